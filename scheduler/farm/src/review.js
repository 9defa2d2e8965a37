"use strict";
const $ = (id) => document.getElementById(id);
// The token lives in this tab only (sessionStorage: gone when the tab closes, never shared
// with other tabs, not kept on disk).
$("token").value = sessionStorage.getItem("quakecast-token") || "";

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

async function api(method, path, body) {
  const r = await fetch(path, {
    method,
    headers: {"Authorization": "Bearer " + $("token").value.trim(), "Content-Type": "application/json"},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await r.json();
  if (!r.ok) throw new Error((data.error && data.error.message) || r.statusText);
  return data;
}

function rows(obj) {
  return "<table>" + Object.entries(obj).map(([k, v]) =>
    "<tr><td>" + esc(k) + "</td><td>" + esc(typeof v === "object" ? JSON.stringify(v) : v) + "</td></tr>").join("") + "</table>";
}

function render(job) {
  const div = document.createElement("div");
  div.className = "job";
  div.id = "job-" + job.id;
  div.dataset.job = job.id;
  div.innerHTML =
    '<video controls preload="metadata" src="' + esc(job.outputs.video) + '"></video>' +
    "<div>" +
    "<h2>" + esc(job.event.region) + " " + esc(job.facts.magnitude) + "</h2>" +
    '<p>Job <code>' + esc(job.id) + '</code> — state <span class="state">' + esc(job.state) + "</span></p>" +
    "<h3>Facts</h3>" + rows(job.facts) +
    "<h3>Push copy</h3>" + rows(job.push_copy || {}) +
    "<h3>Audience</h3>" + rows(job.audience) +
    "<h3>Report</h3><pre>" + esc(job.report) + "</pre>" +
    '<p><input class="reason" placeholder="reason (required to reject)" size="40"> ' +
    '<button class="approve">Approve</button> <button class="reject">Reject</button> ' +
    '<span class="msg"></span></p>' +
    "</div>";
  const decide = async (what) => {
    const reason = div.querySelector(".reason").value;
    div.querySelector(".msg").textContent = "…";
    try {
      const r = await api("POST", "/v1/jobs/" + encodeURIComponent(job.id) + "/" + what, {reason});
      div.querySelector(".state").textContent = r.job.state;
      div.querySelector(".msg").textContent = what + "d by " + (r.job.reviewer || "?");
      div.querySelectorAll("button").forEach((b) => (b.disabled = true));
    } catch (e) {
      div.querySelector(".msg").textContent = "error: " + e.message;
    }
  };
  div.querySelector(".approve").onclick = () => decide("approve");
  div.querySelector(".reject").onclick = () => decide("reject");
  return div;
}

async function load() {
  sessionStorage.setItem("quakecast-token", $("token").value.trim());
  $("status").textContent = "loading…";
  try {
    const q = await api("GET", "/v1/review/queue");
    $("queue").replaceChildren(...q.jobs.map(render));
    $("status").textContent = q.jobs.length + " awaiting review (reviewer: " + q.reviewer + ")";
  } catch (e) {
    $("status").textContent = "error: " + e.message;
  }
}
$("load").onclick = load;
if ($("token").value) load();
