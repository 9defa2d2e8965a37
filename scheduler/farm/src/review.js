"use strict";
// The duty reviewer's console. No framework, no inline code (the page's CSP allows only this
// file and review.css): the queue follows /v1/review/stream (server-sent events read through
// fetch, so the token travels in a header, never in a URL), one bulletin at a time is shown
// from /v1/review/jobs/{id}, the map is the server's SVG inlined, decisions go to the API.
const $ = (id) => document.getElementById(id);

const T = {
  en: {
    title: "Bulletins awaiting review", token: "Reviewer token", connect: "Connect",
    offline: "offline", live: "live", connecting: "connecting…", queue: "Queue",
    empty: "Nothing awaits review.", decision: "Decision", approve: "Approve", reject: "Reject",
    reason: "reason (required to reject)", pushcopy: "Push copy", copytitle: "Title",
    copybody: "Body", save: "Save copy", target: "What is pushed to whom",
    diff: "Changes from the bulletin it replaces", keyframes: "Key frames", map: "Audience map",
    facts: "Facts and their sources", subtitles: "Subtitles", report: "The report as received",
    help: "Keys: J / K next and previous bulletin · A approve · R reject (type a reason first) · E edit the push copy · ? this help",
    since_origin: "since origin", since_report: "since report", waiting: "waiting",
    tier: "Tier", level: "Intensity", cells: "H3 cells", users: "Users", population: "Population",
    source: "source", method: "method", field: "Field", before: "Before", after: "After",
    replaces: "Replaces", left: "This bulletin has left the queue: it is now", by: "by",
    need_reason: "A rejection needs a reason: type it, then press R again.",
    saved: "saved", edited_by: "edited by", generated: "generated", not_rendered: "not rendered yet",
    approved: "approved", rejected: "rejected", stream_lost: "stream lost, reconnecting…",
    bad_token: "The token was refused", scene: "scene", state: "state",
    audience_none: "No audience computed yet.",
    push_summary: (n, res) => `The push service receives ${n} H3 cells (resolution ${res}) by tier, the signed video link and the copy above.`,
    fields: {report: "Report", magnitude: "Magnitude", depth_km: "Depth (km)", origin_utc: "Origin (UTC)",
      epicentre: "Epicentre", place_zh: "Place (zh)", place_en: "Place (en)", nearest: "Nearest places",
      epicentral_intensity: "Epicentral intensity", felt_radius_km: "Felt radius (km)",
      tier_strong: "Tier strong", tier_felt: "Tier felt", tier_weak: "Tier weak", tier_other: "Other tier"},
    tiers: {strong: "strong", felt: "felt", weak: "weak"},
    kinds: {parameters: "Parameters", place: "Place", nearby: "Nearby places", intensity: "Predicted intensity",
      history: "Recent seismicity", elevation: "Elevation"},
  },
  zh: {
    title: "待审地震速报", token: "审核员令牌", connect: "连接", offline: "未连接", live: "实时",
    connecting: "连接中…", queue: "待审队列", empty: "暂无待审速报。", decision: "审核",
    approve: "通过", reject: "驳回", reason: "理由（驳回必填）", pushcopy: "推送文案",
    copytitle: "标题", copybody: "正文", save: "保存文案", target: "推送对象",
    diff: "与被替代速报的差异", keyframes: "关键帧", map: "推送范围地图", facts: "事实与来源",
    subtitles: "字幕", report: "原始报文",
    help: "快捷键：J / K 下一条、上一条 · A 通过 · R 驳回（先填写理由） · E 编辑推送文案 · ? 帮助",
    since_origin: "距发震", since_report: "距收报", waiting: "已等待",
    tier: "分级", level: "烈度", cells: "H3格网", users: "用户", population: "人口",
    source: "来源", method: "方法", field: "项目", before: "替代前", after: "替代后",
    replaces: "替代", left: "该速报已离开队列，当前状态", by: "审核人",
    need_reason: "驳回需要理由：请先填写，再按 R。", saved: "已保存", edited_by: "编辑人",
    generated: "自动生成", not_rendered: "尚未生成", approved: "已通过", rejected: "已驳回",
    stream_lost: "连接中断，正在重连…", bad_token: "令牌无效", scene: "场景", state: "状态",
    audience_none: "尚未计算推送对象。",
    push_summary: (n, res) => `推送服务将收到按分级划分的 ${n} 个 H3 格网（分辨率 ${res}）、签名视频链接和上面的文案。`,
    fields: {report: "报文", magnitude: "震级", depth_km: "深度（公里）", origin_utc: "发震时刻（UTC）",
      epicentre: "震中", place_zh: "地名（中文）", place_en: "地名（英文）", nearest: "最近地点",
      epicentral_intensity: "震中烈度", felt_radius_km: "有感半径（公里）",
      tier_strong: "强烈档", tier_felt: "有感档", tier_weak: "轻微档", tier_other: "其他档"},
    tiers: {strong: "强烈", felt: "有感", weak: "轻微"},
    kinds: {parameters: "地震参数", place: "地点", nearby: "附近地点", intensity: "预测烈度",
      history: "历史地震", elevation: "海拔"},
  },
};
let lang = localStorage.getItem("quakecast-lang") ||
  ((navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en");
const t = (k) => (T[lang][k] !== undefined ? T[lang][k] : T.en[k] !== undefined ? T.en[k] : k);

let queue = [];          // the latest snapshot, most urgent first
let selected = null;     // job id shown
let shown = null;        // its console view
let seen = {};           // job id -> ms the entry first appeared on this page
let armedReject = false;
let following = null;    // AbortController of the stream

$("token").value = sessionStorage.getItem("quakecast-token") || "";

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}
const token = () => $("token").value.trim();

async function api(method, path, body) {
  const r = await fetch(path, {
    method, cache: "no-store",
    headers: {"Authorization": "Bearer " + token(), "Content-Type": "application/json"},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await r.text();
  let data = {};
  try { data = JSON.parse(text); } catch (_) { data = {text}; }
  if (!r.ok) {
    const err = new Error((data.error && data.error.message) || r.status + " " + r.statusText);
    err.status = r.status; err.body = data;
    throw err;
  }
  return data;
}

function ago(ms) {
  if (ms == null) return "–";
  let s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  if (s < 90) return s + " s";
  const m = Math.floor(s / 60);
  if (m < 90) return m + " min";
  const h = Math.floor(m / 60);
  if (h < 48) return h + " h " + (m % 60) + " min";
  return Math.floor(h / 24) + " d";
}

function applyLang() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = t(el.dataset.t); });
  document.querySelectorAll("[data-tp]").forEach((el) => { el.placeholder = t(el.dataset.tp); });
  $("lang").textContent = lang === "zh" ? "English" : "中文";
  const live = $("live");
  live.textContent = t(live.classList.contains("on") ? "live" : "offline");
  renderQueue();
  if (shown) renderDetail(shown);
}

function setLive(on, text) {
  const live = $("live");
  live.classList.toggle("on", on);
  live.classList.toggle("off", !on);
  live.textContent = text || t(on ? "live" : "offline");
}

function place(e) {
  return (lang === "zh" ? e.place_zh : e.place_en) || e.region;
}

function renderQueue() {
  const ol = $("queue");
  ol.replaceChildren(...queue.map((e, i) => {
    const li = document.createElement("li");
    li.className = "entry" + (e.id === selected ? " selected" : "") + (e.epicentral_intensity >= 6 ? " severe" : "");
    li.dataset.job = e.id;
    li.dataset.seenMs = seen[e.id];
    li.dataset.rank = i;
    li.tabIndex = 0;
    li.innerHTML =
      '<span class="mag">' + esc(e.magnitude_type) + " " + esc(Number(e.magnitude).toFixed(1)) + "</span>" +
      '<span class="int">' + esc(e.epicentral_roman || "–") + "</span>" +
      '<span class="place">' + esc(place(e)) + "</span>" +
      '<span class="src">' + esc(e.source) + " · " + esc(e.status) + " r" + esc(e.revision) + "</span>" +
      '<span class="times"><span class="t-origin" data-ms="' + esc(e.origin_ms) + '"></span> ' + esc(t("since_origin")) +
      ' · <span class="t-report" data-ms="' + esc(e.received_ms) + '"></span> ' + esc(t("since_report")) + "</span>";
    li.onclick = () => select(e.id);
    return li;
  }));
  $("count").textContent = queue.length ? "(" + queue.length + ")" : "";
  $("empty").hidden = queue.length > 0;
  tick();
}

function tick() {
  document.querySelectorAll(".t-origin, .t-report").forEach((el) => { el.textContent = ago(Number(el.dataset.ms)); });
}
setInterval(tick, 1000);

function onQueue(snapshot) {
  const now = Date.now();
  for (const e of snapshot.jobs) if (!(e.id in seen)) seen[e.id] = now;
  const before = queue.find((e) => e.id === selected);
  queue = snapshot.jobs;
  const after = queue.find((e) => e.id === selected);
  renderQueue();
  if (selected && !after) {
    leftQueue(selected);
  } else if (after && before && after.updated_ms !== before.updated_ms) {
    select(selected, true);
  } else if (!selected && queue.length) {
    select(queue[0].id);
  }
}

async function leftQueue(id) {
  try {
    const v = await api("GET", "/v1/jobs/" + encodeURIComponent(id));
    if (id !== selected) return;
    $("state").textContent = v.state;
    const b = $("banner");
    b.hidden = false;
    b.textContent = t("left") + " " + v.state + (v.reviewer ? " (" + t("by") + " " + v.reviewer + ")" : "");
  } catch (_) { /* gone */ }
}

function parseEvents(block) {
  let event = "message", data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue;
    const i = line.indexOf(":");
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? "" : line.slice(i + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (event === "queue" && data.length) onQueue(JSON.parse(data.join("\n")));
}

async function follow() {
  if (following) following.abort();
  const ctl = new AbortController();
  following = ctl;
  while (!ctl.signal.aborted) {
    setLive(false, t("connecting"));
    try {
      const r = await fetch("/v1/review/stream", {
        headers: {"Authorization": "Bearer " + token()}, cache: "no-store", signal: ctl.signal,
      });
      if (r.status === 401 || r.status === 403) {
        const body = await r.json().catch(() => ({}));
        setLive(false);
        $("status").textContent = t("bad_token") + ": " + ((body.error && body.error.message) || r.status);
        return;
      }
      if (!r.ok) throw new Error(r.status + " " + r.statusText);
      setLive(true);
      $("status").textContent = "";
      const reader = r.body.getReader();
      const dec = new TextDecoder();
      let buf = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buf += dec.decode(value, {stream: true});
        let i;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          parseEvents(buf.slice(0, i));
          buf = buf.slice(i + 2);
        }
      }
    } catch (e) {
      if (ctl.signal.aborted) return;
    }
    setLive(false, t("stream_lost"));
    await new Promise((res) => setTimeout(res, 2000));
  }
}

async function select(id, refresh) {
  if (!refresh && id !== selected) {
    $("reason").value = "";
    $("decision-msg").textContent = "";
    $("copy-msg").textContent = "";
    armedReject = false;
  }
  selected = id;
  document.querySelectorAll("#queue .entry").forEach((li) => li.classList.toggle("selected", li.dataset.job === id));
  try {
    const v = await api("GET", "/v1/review/jobs/" + encodeURIComponent(id));
    if (id !== selected) return;
    const fresh = !shown || shown.id !== v.id;
    shown = v;
    renderDetail(v, fresh);
  } catch (e) {
    $("status").textContent = e.message;
  }
}

function table(el, head, rows) {
  el.replaceChildren();
  const tr = document.createElement("tr");
  tr.innerHTML = head.map((h) => "<th>" + esc(h) + "</th>").join("");
  el.appendChild(tr);
  for (const r of rows) el.appendChild(r);
}

function renderDetail(v, fresh) {
  const c = v.console;
  const d = $("detail");
  d.hidden = false;
  d.dataset.job = v.id;
  $("banner").hidden = v.state === "awaiting_review";
  if (v.state !== "awaiting_review") {
    $("banner").textContent = t("left") + " " + v.state + (v.reviewer ? " (" + t("by") + " " + v.reviewer + ")" : "");
  }
  const e = v.event;
  const q = queue.find((x) => x.id === v.id) || {};
  $("headline").textContent = e.magnitude_type + " " + Number(e.magnitude).toFixed(1) + " · " +
    ((lang === "zh" ? q.place_zh : q.place_en) || e.region);
  $("meta").innerHTML = esc(v.source) + " " + esc(v.report_status) + " r" + esc(v.revision) + " · " +
    esc(t("state")) + ' <span id="state" class="state">' + esc(v.state) + "</span> · " +
    esc(t("since_origin")) + ' <span class="t-origin" data-ms="' + esc(Date.parse(e.origin_time)) + '"></span> · ' +
    esc(t("since_report")) + ' <span class="t-report" data-ms="' + esc(v.timings.received_at_ms) + '"></span>' +
    " · <code>" + esc(v.id) + "</code>";
  const video = $("video");
  if (fresh || !video.src) {
    if (v.outputs.video) video.src = v.outputs.video; else video.removeAttribute("src");
  }
  // Key frames, one per scene.
  const kf = $("keyframes");
  if (fresh || !kf.children.length) {
    kf.replaceChildren(...c.keyframes.map((k) => {
      const fig = document.createElement("figure");
      fig.className = "keyframe";
      const img = document.createElement("img");
      img.alt = k.scene;
      img.loading = "lazy";
      if (k.url) img.src = k.url;
      img.onclick = () => { if (!isNaN(k.secs)) { video.currentTime = k.secs; } };
      const cap = document.createElement("figcaption");
      cap.textContent = k.scene + " · " + k.secs.toFixed(1) + " s";
      fig.append(img, cap);
      return fig;
    }));
  }
  // Subtitles as text.
  $("subtitles").replaceChildren(...c.subtitles.map((s) => {
    const li = document.createElement("li");
    li.innerHTML = '<span class="ts">' + esc(s.start.toFixed(1)) + "–" + esc(s.end.toFixed(1)) + " s</span> " + esc(s.text);
    return li;
  }));
  // Facts with sources.
  $("facts").replaceChildren(...(c.sentences[lang] || c.sentences.en).map((f) => {
    const li = document.createElement("li");
    li.dataset.kind = f.kind;
    li.innerHTML = "<b>" + esc((T[lang].kinds || {})[f.kind] || f.kind) + "</b> " + esc(f.text) +
      '<span class="src">' + esc(t("source")) + ": " + esc(f.data || "–") + (f.method ? " · " + esc(t("method")) + ": " + esc(f.method) : "") + "</span>";
    return li;
  }));
  // Audience tiers and the push.
  const tierRows = c.tiers.map((x) => {
    const tr = document.createElement("tr");
    tr.className = "tier-row tier-" + x.name;
    tr.dataset.tier = x.name;
    tr.innerHTML = '<td><i class="swatch sw-' + esc(x.name) + '"></i>' + esc((T[lang].tiers || {})[x.name] || x.name) + "</td><td>≥ " + esc(x.level) +
      "</td><td>" + esc(x.cells) + "</td><td>" + esc(x.users ?? "–") + "</td><td>" + esc(x.population ?? "–") + "</td>";
    return tr;
  });
  table($("tiers"), [t("tier"), t("level"), t("cells"), t("users"), t("population")], tierRows);
  const cellsSent = (v.console.push_target.tier_cells && v.console.push_target.tier_cells.tiers || [])
    .reduce((n, x) => n + (x.cells ? x.cells.length : 0), 0);
  $("target").textContent = c.tiers.length
    ? T[lang].push_summary(cellsSent, v.console.push_target.tier_cells ? v.console.push_target.tier_cells.h3_resolution : "–")
    : t("audience_none");
  // Push copy (not overwritten while the reviewer types in it).
  const pc = c.push_copy || {};
  if (fresh || (document.activeElement !== $("copy-title") && document.activeElement !== $("copy-body"))) {
    $("copy-title").value = pc.title || "";
    $("copy-body").value = pc.body || "";
  }
  $("copy-title").maxLength = c.push_limits.title;
  $("copy-body").maxLength = c.push_limits.body;
  counters();
  $("copy-edited").textContent = c.push_copy_edited_by ? t("edited_by") + " " + c.push_copy_edited_by : "";
  // What changed.
  const box = $("diff-box");
  box.hidden = !c.diff;
  if (c.diff) {
    const p = c.diff.previous;
    $("diff-of").textContent = t("replaces") + ": " + p.status + " r" + p.revision + " (" + p.state + ", " + p.id + ")";
    table($("diff"), [t("field"), t("before"), t("after")], c.diff.rows.map((r) => {
      const tr = document.createElement("tr");
      tr.dataset.field = r.field;
      if (r.changed) tr.className = "changed";
      tr.innerHTML = "<td>" + esc(T[lang].fields[r.field] || r.field) + "</td><td>" + esc(r.before ?? "–") + "</td><td>" + esc(r.after ?? "–") + "</td>";
      return tr;
    }));
  }
  $("report").textContent = v.report;
  loadMap(v.id);
  tick();
}

let mapFor = null;
async function loadMap(id) {
  const key = id + "/" + lang;
  if (mapFor === key) return;
  mapFor = key;
  try {
    const r = await fetch("/v1/jobs/" + encodeURIComponent(id) + "/map.svg?lang=" + lang, {
      headers: {"Authorization": "Bearer " + token()}, cache: "no-store",
    });
    if (!r.ok) throw new Error(r.status + " " + r.statusText);
    const doc = new DOMParser().parseFromString(await r.text(), "image/svg+xml");
    if (mapFor !== key) return;
    $("map").replaceChildren(document.importNode(doc.documentElement, true));
  } catch (e) {
    mapFor = null;
    $("map").textContent = e.message;
  }
}

function counters() {
  if (!shown) return;
  const lim = shown.console.push_limits;
  $("title-count").textContent = [...$("copy-title").value].length + "/" + lim.title;
  $("body-count").textContent = [...$("copy-body").value].length + "/" + lim.body;
}
$("copy-title").oninput = counters;
$("copy-body").oninput = counters;

async function saveCopy() {
  if (!selected) return;
  $("copy-msg").textContent = "…";
  try {
    await api("POST", "/v1/jobs/" + encodeURIComponent(selected) + "/push-copy",
      {title: $("copy-title").value, body: $("copy-body").value});
    $("copy-msg").textContent = t("saved");
  } catch (e) {
    $("copy-msg").textContent = e.message;
  }
}
$("copy-save").onclick = saveCopy;

async function decide(what) {
  if (!selected) return;
  const reason = $("reason").value.trim();
  if (what === "reject" && !reason) {
    $("decision-msg").textContent = t("need_reason");
    $("reason").focus();
    return;
  }
  $("decision-msg").textContent = "…";
  try {
    const r = await api("POST", "/v1/jobs/" + encodeURIComponent(selected) + "/" + what, {reason});
    $("state").textContent = r.job.state;
    $("decision-msg").textContent = t(what === "approve" ? "approved" : "rejected") + " — " + (r.job.reviewer || "?");
  } catch (e) {
    $("decision-msg").textContent = e.message;
  }
}
$("approve").onclick = () => decide("approve");
$("reject").onclick = () => decide("reject");

function move(step) {
  if (!queue.length) return;
  const i = queue.findIndex((e) => e.id === selected);
  const j = Math.max(0, Math.min(queue.length - 1, (i < 0 ? 0 : i + step)));
  select(queue[j].id);
}

document.addEventListener("keydown", (ev) => {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement && document.activeElement.tagName);
  if (typing) {
    if (ev.key === "Escape") document.activeElement.blur();
    if (ev.key === "Enter" && document.activeElement === $("reason") && $("reason").value.trim()) {
      ev.preventDefault();
      document.activeElement.blur();
    }
    return;
  }
  const k = ev.key.toLowerCase();
  if (k === "a") { ev.preventDefault(); decide("approve"); }
  else if (k === "r") { ev.preventDefault(); decide("reject"); }
  else if (k === "j" || ev.key === "ArrowDown") { ev.preventDefault(); move(1); }
  else if (k === "k" || ev.key === "ArrowUp") { ev.preventDefault(); move(-1); }
  else if (k === "e") { ev.preventDefault(); $("copy-title").focus(); }
  else if (ev.key === "?") { $("help").hidden = !$("help").hidden; }
});

$("help-btn").onclick = () => { $("help").hidden = !$("help").hidden; };
$("lang").onclick = () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("quakecast-lang", lang);
  applyLang();
};
$("login").onsubmit = (ev) => {
  ev.preventDefault();
  sessionStorage.setItem("quakecast-token", token());
  seen = {};
  follow();
};
applyLang();
if (token()) follow();
