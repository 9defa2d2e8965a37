#!/usr/bin/env python3
"""The fault drill: the farm in its distributed shape on loopback, under an aftershock storm and
faults, checked for lost, doubled and wrong bulletins.

Started for real, each as its own process: PostgreSQL (Debian's binaries, a fresh cluster),
an S3 server (`quakecast-s3`, s3s-fs), `quakecast serve --workers 0` (API, review, push) and N
`quakecast worker` processes. In this script: the agency (signed Standard Webhooks, retried on
errors as an agency would), a duty reviewer approving what reaches the queue, and a push service
that refuses the first tries of every delivery.

The storm: per event an automatic report, its duplicate (new webhook id), a replay (same webhook
id), a revised automatic report, then the official one; some events are withdrawn afterwards.
Faults (unless --no-faults): a worker killed with SIGKILL in the middle of a segment and started
again, the S3 process stopped (SIGSTOP) for --s3-stop seconds, the service killed and started
again in the middle of the storm.

It prints reports sent, bulletins produced, pushed exactly once, superseded, withdrawn, lost,
duplicate pushes, wrong videos served and webhook→stored latency, and exits 1 when anything was
lost, pushed twice or served wrong. `--scale 1,2,3` runs the same storm (no faults) per worker
count and prints the throughput. Run through infra/drill.sh, which builds the binaries.
"""
import argparse
import base64
import hashlib
import hmac
import http.server
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
QUAKECAST = os.path.join(TARGET, "debug", "quakecast")
S3_BIN = os.path.join(TARGET, "debug", "quakecast-s3")
SECRET_KEY = bytes([0x2A] * 32)
SECRET = "whsec_" + base64.b64encode(SECRET_KEY).decode()
PUSH_KEY = bytes([0x07] * 32)
PUSH_SECRET = "whsec_" + base64.b64encode(PUSH_KEY).decode()
TOKEN = "drill-reviewer-token-0123456789"
S3_ID, S3_SECRET, BUCKET = "drillkey", "drillsecret0123456789", "bulletins"
FINAL = {"pushed", "superseded", "withdrawn", "rejected", "failed"}


def log(msg):
    print(f"drill {time.strftime('%H:%M:%S')} {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sign(key, msg_id, ts, body):
    mac = hmac.new(key, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def request(method, url, body=None, headers=None, timeout=30):
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except (OSError, urllib.error.URLError):
        # Refused or reset: the service is restarting (one of the drill's faults).
        return None, b""


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


class Postgres:
    def __init__(self, work):
        bins = sorted(
            os.path.join("/usr/lib/postgresql", d, "bin")
            for d in os.listdir("/usr/lib/postgresql")
            if os.path.exists(os.path.join("/usr/lib/postgresql", d, "bin", "initdb"))
        ) if os.path.isdir("/usr/lib/postgresql") else []
        if not bins:
            sys.exit("drill: PostgreSQL is not installed (scripts/setup.sh installs it)")
        self.bin = bins[-1]
        self.dir = os.path.join(work, "pg")
        os.makedirs(self.dir)
        self.root = os.getuid() == 0
        if self.root:
            shutil.chown(self.dir, "postgres")
        data = os.path.join(self.dir, "data")
        self._run("initdb", "-D", data, "-U", "farm", "--auth=trust", "-E", "UTF8")
        self.port = free_port()
        self.proc = subprocess.Popen(
            self._cmd("postgres", "-D", data, "-k", self.dir, "-p", str(self.port),
                      "-h", "127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200"),
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "pg.log"), "w"))
        self.data = data
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit("drill: postgres did not start")
                time.sleep(0.1)
        time.sleep(0.5)
        self.url = f"postgres://farm@127.0.0.1:{self.port}/postgres"

    def _cmd(self, name, *args):
        exe = os.path.join(self.bin, name)
        return (["runuser", "-u", "postgres", "--", exe] if self.root else [exe]) + list(args)

    def _run(self, name, *args):
        r = subprocess.run(self._cmd(name, *args), capture_output=True, text=True)
        if r.returncode != 0:
            sys.exit(f"drill: {name} failed: {r.stderr.strip()}")

    def stop(self):
        subprocess.run(self._cmd("pg_ctl", "stop", "-m", "immediate", "-D", self.data),
                       capture_output=True)
        self.proc.kill()
        self.proc.wait()


class Proc:
    """A child process whose first stdout line says where it listens (when it does)."""

    def __init__(self, name, argv, env, work, wait_line=True):
        self.name, self.argv, self.env, self.work = name, argv, env, work
        self.start(wait_line)

    def start(self, wait_line=True):
        err = open(os.path.join(self.work, f"{self.name}.log"), "a")
        self.proc = subprocess.Popen(self.argv, env=self.env, stdout=subprocess.PIPE,
                                     stderr=err, text=True)
        self.line = self.proc.stdout.readline().strip() if wait_line else ""
        if wait_line and not self.line:
            sys.exit(f"drill: {self.name} did not start; see {err.name}")

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        if sig in (signal.SIGKILL, signal.SIGTERM):
            self.proc.wait()

    def alive(self):
        return self.proc.poll() is None


class PushService(http.server.ThreadingHTTPServer):
    """Refuses the first `refuse` tries of every delivery key with 503, then acknowledges."""

    def __init__(self, refuse):
        self.refuse = refuse
        self.lock = threading.Lock()
        self.tries = {}        # key -> tries seen
        self.acked = {}        # key -> acknowledged deliveries (a push service dedups by key)
        self.bodies = {}
        super().__init__(("127.0.0.1", 0), PushHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server_address[1]}/push"


class PushHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        msg_id, ts = self.headers.get("webhook-id", ""), self.headers.get("webhook-timestamp", "")
        good = sign(PUSH_KEY, msg_id, ts, body) in self.headers.get("webhook-signature", "").split()
        srv = self.server
        try:
            key = json.loads(body).get("idempotency_key", msg_id)
        except ValueError:
            key = msg_id
        with srv.lock:
            n = srv.tries[key] = srv.tries.get(key, 0) + 1
            ok = good and n > srv.refuse
            if ok:
                srv.acked[key] = srv.acked.get(key, 0) + 1
                srv.bodies[key] = json.loads(body)
        self.send_response(200 if ok else (401 if not good else 503))
        self.end_headers()


def report(event, status, revision, magnitude, lat, lon, minute):
    return json.dumps({
        "format": "cenc-quick-report/1",
        "event_id": event,
        "status": status,
        "revision": revision,
        "origin_time": f"2025-03-0{1 + minute // 600 % 9}T{minute // 60 % 24:02d}:{minute % 60:02d}:00+08:00",
        "latitude": lat,
        "longitude": lon,
        "depth_km": 10,
        "magnitude": magnitude,
        "magnitude_type": "M",
        "region": "四川雅安市汉源县",
        "source": "CENC",
    }, ensure_ascii=False).encode()


def withdrawal(event):
    return json.dumps({"format": "cenc-quick-report/1", "event_id": event,
                       "deleted": True}).encode()


def storm_plan(n, rng):
    """`n` deliveries: (label, event, webhook id, body), and per event what must come out of it
    ("withdrawn", or the (status, revision) of the bulletin that must be pushed: the best-ranked
    report sent). Per event: automatic r1, a duplicate (new webhook id), a replay (same webhook
    id), automatic r2, official r0; every fourth event, from the second, is then withdrawn."""
    plan, expect, k = [], {}, 0
    rank = {"automatic": 0, "official": 1}
    # Two ids that a lossy store-key scheme maps to one key: each must get its own video.
    for i, ev in enumerate(["COLL.1", "COLL_1"][: max(0, n - 1) // 8 + 1]):
        plan.append(("look-alike id", ev, f"msg-coll-{i}",
                     report(ev, "official", 0, 4.5 + i / 2, 30.0 + i, 101.0 + i, 100 + i)))
        expect[ev] = ("official", 0)
    while len(plan) < n:
        ev = f"DRILL{k:03d}"
        lat, lon = 29.0 + rng.uniform(-0.6, 0.6), 102.5 + rng.uniform(-0.6, 0.6)
        m = round(rng.uniform(4.0, 5.6), 1)
        auto1 = report(ev, "automatic", 1, m, lat, lon, k)
        steps = [("automatic r1", f"msg-{ev}-a1", auto1, ("automatic", 1)),
                 ("duplicate", f"msg-{ev}-a1-dup", auto1, None),
                 ("replay", f"msg-{ev}-a1", auto1, None),
                 ("automatic r2", f"msg-{ev}-a2",
                  report(ev, "automatic", 2, m + 0.1, lat, lon, k), ("automatic", 2)),
                 ("official", f"msg-{ev}-o0",
                  report(ev, "official", 0, m, lat + 0.01, lon, k), ("official", 0))]
        if k % 4 == 1:
            steps.append(("withdrawal", f"msg-{ev}-del", withdrawal(ev), "withdrawn"))
        best = None
        for label, mid, body, outcome in steps[: n - len(plan)]:
            plan.append((label, ev, mid, body))
            if outcome == "withdrawn":
                best = outcome
            elif outcome and (best is None or (rank[outcome[0]], outcome[1])
                              > (rank[best[0]], best[1])):
                best = outcome
        expect[ev] = best
        k += 1
    return plan, expect


class Farm:
    def __init__(self, args, work, workers):
        self.args, self.work = args, work
        self.pg = Postgres(work)
        s3root = os.path.join(work, "s3")
        self.s3root = os.path.join(s3root, BUCKET)
        env = dict(os.environ, XDG_RUNTIME_DIR=os.path.join(work, "xdg"),
                   QUAKECAST_LOG="info", NO_COLOR="1")
        os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700)
        self.s3 = Proc("s3", [S3_BIN, "--root", s3root, "--bucket", BUCKET,
                              "--key", S3_ID, "--secret", S3_SECRET], env, work)
        endpoint = self.s3.line.split()[-1]
        self.env = dict(env, AWS_ACCESS_KEY_ID=S3_ID, AWS_SECRET_ACCESS_KEY=S3_SECRET,
                        AWS_REGION="us-east-1", QUAKECAST_S3_ENDPOINT=endpoint)
        self.push = PushService(args.push_refuse)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        common = ["--database", self.pg.url, "--store", f"s3://{BUCKET}/drill",
                  "--work-dir", os.path.join(work, "work"), "--lease-secs", "3",
                  "--poll-ms", "100"]
        self.serve_argv = [QUAKECAST, "serve", *common, "--workers", "0",
                           "--listen", f"127.0.0.1:{self.port}", "--webhook-secret", SECRET,
                           "--reviewer", f"alice:{TOKEN}", "--push-url", self.push.url,
                           "--push-secret", PUSH_SECRET, "--push-backoff-ms", "200",
                           "--push-backoff-max-ms", "2000", "--size", "180x320", "--fps",
                           str(args.fps), "--segments", "3", "--preset", "ultrafast", "--audio"]
        self.serve = Proc("serve", self.serve_argv, self.env, work)
        self.workers = [Proc(f"worker{i}", [QUAKECAST, "worker", *common, "--workers", "1"],
                             self.env, work) for i in range(workers)]

    def restart_serve(self):
        self.serve.kill(signal.SIGKILL)
        self.serve.start()

    def get(self, path):
        st, body = request("GET", self.base + path, headers={"authorization": f"Bearer {TOKEN}"})
        return st, body

    def job(self, job_id):
        st, body = self.get(f"/v1/jobs/{job_id}")
        return json.loads(body) if st == 200 else None

    def close(self):
        for w in self.workers:
            if w.alive():
                w.kill(signal.SIGKILL)
        if self.serve.alive():
            self.serve.kill(signal.SIGTERM)
        os.kill(self.s3.proc.pid, signal.SIGCONT)
        self.s3.kill(signal.SIGKILL)
        self.pg.stop()
        self.push.shutdown()


def send(farm, msg_id, body, deadline):
    """Deliver one webhook as an agency would: retry on connection errors and 5xx."""
    delay = 0.2
    while True:
        ts = str(int(time.time()))
        headers = {"content-type": "application/json", "webhook-id": msg_id,
                   "webhook-timestamp": ts, "webhook-signature": sign(SECRET_KEY, msg_id, ts, body)}
        try:
            st, resp = request("POST", farm.base + "/v1/events", body, headers, timeout=10)
        except (OSError, urllib.error.URLError):
            st, resp = None, b""
        if st is not None and st < 500:
            try:
                return st, json.loads(resp)
            except ValueError:
                return st, {}
        if time.time() > deadline:
            return st, {}
        time.sleep(delay)
        delay = min(delay * 2, 2.0)


def reviewer(farm, stop, approved):
    while not stop.is_set():
        try:
            st, body = farm.get("/v1/review/queue")
            jobs = json.loads(body).get("jobs", []) if st == 200 else []
        except (OSError, ValueError, urllib.error.URLError):
            jobs = []
        for j in jobs:
            jid = j.get("id")
            if jid in approved:
                continue
            try:
                st, _ = request("POST", f"{farm.base}/v1/jobs/{jid}/approve",
                             json.dumps({"reason": "drill"}).encode(),
                             {"authorization": f"Bearer {TOKEN}",
                              "content-type": "application/json"})
            except (OSError, urllib.error.URLError):
                continue
            if st in (200, 409):
                approved.add(jid)
        stop.wait(0.3)


def faults(farm, args, stop, notes):
    t0 = time.time()

    def at(secs):
        stop.wait(max(0.0, t0 + secs - time.time()))
        return not stop.is_set()

    # A worker killed in the middle of a segment: wait for one to hold a lease.
    if at(args.kill_at):
        w = farm.workers[0]
        w.kill(signal.SIGKILL)
        notes.append(f"worker0 SIGKILL at +{time.time() - t0:.1f} s")
        time.sleep(1.0)
        w.start(wait_line=False)
    # A worker asked to stop (SIGTERM, as Kubernetes does) finishes its task, then exits.
    if at(args.kill_at + 1.5) and len(farm.workers) > 1:
        w = farm.workers[1]
        t = time.time()
        w.proc.send_signal(signal.SIGTERM)
        try:
            w.proc.wait(timeout=120)
            notes.append(f"worker1 SIGTERM at +{t - t0:.1f} s: exited after "
                         f"{time.time() - t:.1f} s (status {w.proc.returncode})")
        except subprocess.TimeoutExpired:
            notes.append("worker1 SIGTERM: still running after 120 s (killed)")
            w.kill(signal.SIGKILL)
        w.start(wait_line=False)
    if at(args.s3_stop_at):
        os.kill(farm.s3.proc.pid, signal.SIGSTOP)
        notes.append(f"S3 SIGSTOP for {args.s3_stop:.0f} s at +{time.time() - t0:.1f} s")
        stop.wait(args.s3_stop)
        os.kill(farm.s3.proc.pid, signal.SIGCONT)
    if at(args.restart_at):
        farm.restart_serve()
        notes.append(f"service SIGKILL and restart at +{time.time() - t0:.1f} s")


def run_storm(args, workers, with_faults):
    work = tempfile.mkdtemp(prefix="quakecast-drill-")
    os.chmod(work, 0o755)  # PostgreSQL runs as its own user when the drill runs as root
    rng = random.Random(args.seed)
    plan, events = storm_plan(args.reports, rng)
    farm = Farm(args, work, workers)
    log(f"{len(plan)} reports for {len(events)} events, {workers} worker process(es), "
        f"faults {'on' if with_faults else 'off'}; logs in {work}")
    stop = threading.Event()
    approved, notes = set(), []
    threads = [threading.Thread(target=reviewer, args=(farm, stop, approved), daemon=True)]
    if with_faults:
        threads.append(threading.Thread(target=faults, args=(farm, args, stop, notes), daemon=True))
    for t in threads:
        t.start()
    t_start = time.time()
    deadline = t_start + args.timeout
    accepted, refused, jobs_of = 0, [], {}
    for label, ev, mid, body in plan:
        st, resp = send(farm, mid, body, deadline)
        if st in (200, 202):
            accepted += 1
            job = (resp.get("job") or {}).get("id")
            if job:
                jobs_of.setdefault(ev, set()).add(job)
        else:
            refused.append((label, ev, st, resp))
        time.sleep(rng.uniform(0.0, args.gap))
    t_sent = time.time()
    # Wait until every job is final, every push delivered and every retraction too.
    final = {}
    while time.time() < deadline:
        pending = 0
        for ids in jobs_of.values():
            for jid in ids:
                if settled(final.get(jid)):
                    continue
                j = farm.job(jid)
                if j is not None:
                    final[jid] = j
                if not settled(j):
                    pending += 1
        if pending == 0:
            break
        time.sleep(0.5)
    t_done = time.time()
    stop.set()
    for t in threads:
        t.join(timeout=30)
    result = check(farm, events, jobs_of, final, accepted, refused, plan)
    result.update(workers=workers, secs=t_done - t_start, send_secs=t_sent - t_start,
                  notes=notes, work=work)
    farm.close()
    return result


def settled(j):
    """A job that will not change any more: final, and its retraction (if any) delivered."""
    if not j or j["state"] not in FINAL:
        return False
    r = j.get("retraction")
    return not r or r.get("state") in ("delivered", "dead", "failed")


def check(farm, events, jobs_of, final, accepted, refused, plan):
    states = {}
    for j in final.values():
        states[j["state"]] = states.get(j["state"], 0) + 1
    lost, wrong, latencies = [], [], []
    for ev, want in events.items():
        js = [final.get(j) for j in jobs_of.get(ev, ())]
        js = [j for j in js if j]
        seen = [(j["report_status"], j["revision"], j["state"]) for j in js]
        if want == "withdrawn":
            if not any(j["state"] == "withdrawn" for j in js):
                lost.append((ev, "not withdrawn", seen))
            continue
        live = [j for j in js if j["state"] != "superseded"]
        if len(live) != 1 or live[0]["state"] != "pushed" or (
                live[0]["report_status"], live[0]["revision"]) != want:
            lost.append((ev, f"no pushed bulletin of {want[0]} r{want[1]}", seen))
    for j in final.values():
        t = j.get("timings") or {}
        if t.get("ready_at_ms") and t.get("received_at_ms"):
            latencies.append((t["ready_at_ms"] - t["received_at_ms"]) / 1000)
        if j["state"] != "pushed":
            continue
        # The video served for this job is the one its manifest describes, for its event.
        mkey = ((j.get("outputs") or {}).get("manifest_object") or {}).get("key")
        try:
            manifest = json.load(open(os.path.join(farm.s3root, "drill", mkey)))
        except (OSError, TypeError, ValueError) as e:
            wrong.append((j["id"], f"manifest unreadable: {e}"))
            continue
        st, video = farm.get(f"/v1/jobs/{j['id']}/video")
        sha = hashlib.sha256(video).hexdigest()
        ev = manifest.get("event", {})
        if st != 200 or sha != manifest["video"]["sha256"]:
            wrong.append((j["id"], f"served video {sha[:12]} (HTTP {st}) is not the manifest's "
                                   f"{manifest['video']['sha256'][:12]}"))
        elif ev != j.get("event"):
            wrong.append((j["id"], f"manifest is of {ev.get('event_id')} r{ev.get('revision')} "
                                   f"{ev.get('status')}, the job of {j['event_id']} "
                                   f"r{j['revision']} {j['report_status']}"))
    with farm.push.lock:
        acked = dict(farm.push.acked)
        tries = sum(farm.push.tries.values())
    pushes = {k: n for k, n in acked.items() if k.startswith("push-")}
    duplicates = {k: n for k, n in acked.items() if n > 1}
    pushed_jobs = {j["id"] for j in final.values() if j["state"] == "pushed"}
    not_acked = [jid for jid in pushed_jobs if f"push-{jid}" not in acked]
    return dict(reports=len(plan), accepted=accepted, refused=refused,
                jobs=len(final), states=states, pushes=len(pushes), push_tries=tries,
                duplicates=duplicates, not_acked=not_acked, lost=lost, wrong=wrong,
                p50=pct(latencies, 50), p99=pct(latencies, 99), bulletins=len(latencies))


def print_result(r):
    s = r["states"]
    print(f"reports sent           {r['reports']} ({r['accepted']} accepted, "
          f"{len(r['refused'])} refused)")
    print(f"jobs                   {r['jobs']}  {json.dumps(s, sort_keys=True)}")
    print(f"bulletins produced     {r['bulletins']}")
    print(f"pushed exactly once    {r['pushes'] - len(r['duplicates'])} "
          f"({r['push_tries']} delivery tries)")
    print(f"superseded             {s.get('superseded', 0)}")
    print(f"withdrawn              {s.get('withdrawn', 0)}")
    print(f"lost                   {len(r['lost']) + len(r['not_acked'])}")
    print(f"duplicate pushes       {len(r['duplicates'])}")
    print(f"wrong videos served    {len(r['wrong'])}")
    print(f"webhook→stored         p50 {r['p50']:.1f} s, p99 {r['p99']:.1f} s")
    print(f"storm                  sent in {r['send_secs']:.1f} s, settled after {r['secs']:.1f} s "
          f"with {r['workers']} worker process(es)")
    for n in r["notes"]:
        print(f"fault                  {n}")
    for x in r["lost"] + r["wrong"] + r["refused"]:
        print(f"  !! {x}")
    if r["duplicates"]:
        print(f"  !! duplicates {r['duplicates']}")
    if r["not_acked"]:
        print(f"  !! pushed but never acknowledged: {r['not_acked']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reports", type=int, default=50)
    ap.add_argument("--workers", type=int, default=3)
    ap.add_argument("--fps", type=int, default=10)
    ap.add_argument("--gap", type=float, default=0.3, help="largest pause between reports, s")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--push-refuse", type=int, default=2)
    ap.add_argument("--no-faults", action="store_true")
    ap.add_argument("--kill-at", type=float, default=4)
    ap.add_argument("--s3-stop-at", type=float, default=8)
    ap.add_argument("--s3-stop", type=float, default=10)
    ap.add_argument("--restart-at", type=float, default=20)
    ap.add_argument("--scale", help="worker counts to compare, e.g. 1,2,3 (no faults)")
    ap.add_argument("--voice", default="espeak",
                    help="QUAKECAST_VOICE for the farm: espeak (default: the drill is about faults, "
                         "and the neural voice makes each new event's intake ~6 s on 2 cores, so "
                         "revisions stop overlapping) or neural")
    args = ap.parse_args()
    if args.voice == "espeak":
        os.environ["QUAKECAST_VOICE"] = "espeak"
    for b in (QUAKECAST, S3_BIN):
        if not os.access(b, os.X_OK):
            sys.exit(f"drill: {b} is missing; run infra/drill.sh (it builds it)")
    if args.scale:
        rows = []
        for n in [int(x) for x in args.scale.split(",")]:
            r = run_storm(args, n, with_faults=False)
            print_result(r)
            rows.append(r)
        print("\nworkers  settled_s  bulletins  bulletins/min  per worker-min  p50_s  p99_s")
        for r in rows:
            per_min = r["bulletins"] / (r["secs"] / 60)
            print(f"{r['workers']:>7}  {r['secs']:>9.1f}  {r['bulletins']:>9}  {per_min:>13.1f}"
                  f"  {per_min / r['workers']:>14.1f}  {r['p50']:>5.1f}  {r['p99']:>5.1f}")
        bad = any(r["lost"] or r["wrong"] or r["duplicates"] or r["not_acked"] for r in rows)
    else:
        r = run_storm(args, args.workers, with_faults=not args.no_faults)
        print_result(r)
        bad = r["lost"] or r["wrong"] or r["duplicates"] or r["not_acked"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
