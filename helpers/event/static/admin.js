// The trainer's page: every call carries the trainer's token (kept for this tab only).
"use strict";

const KEY = "gameday-trainer-token";
let board = null;
let fetchedAt = Date.now();

function token() { return sessionStorage.getItem(KEY) || ""; }
function say(text) { document.getElementById("message").textContent = text; }

async function call(method, path, body) {
  const response = await fetch(path, {
    method,
    cache: "no-store",
    headers: { Authorization: `Bearer ${token()}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try { message = (await response.json()).message || message; } catch (_) { /* not JSON */ }
    throw new Error(message);
  }
  return response;
}

async function refresh() {
  if (!token()) { say("enter the trainer's token"); return; }
  try {
    board = await (await call("GET", "/api/v1/admin/scoreboard")).json();
    fetchedAt = Date.now();
    renderBoard(board, fetchedAt);
    const select = document.getElementById("team");
    if (select.options.length !== board.teams.length) {
      const ids = board.teams.map((t) => t.id).sort();
      select.replaceChildren(...ids.map((id) => el("option", { value: id }, id)));
    }
    document.getElementById("error").textContent = "";
  } catch (err) {
    document.getElementById("error").textContent = err.message;
  }
}

async function download(path, name) {
  try {
    const blob = await (await call("GET", path)).blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: name });
    document.body.append(link);
    link.click();
    link.remove();
  } catch (err) { say(err.message); }
}

document.getElementById("login").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY, document.getElementById("token").value.trim());
  document.getElementById("token").value = "";
  say("");
  refresh();
});

for (const button of document.querySelectorAll("#clock-controls button")) {
  button.addEventListener("click", async () => {
    const action = button.dataset.action;
    const minutes = Number(document.getElementById("minutes").value) || 0;
    try {
      const clock = await (await call("POST", "/api/v1/admin/clock",
        action === "extend" ? { action, minutes } : { action })).json();
      say(`${action}: the clock is ${clock.status.replace("_", " ")}`);
      refresh();
    } catch (err) { say(`${action}: ${err.message}`); }
  });
}

document.getElementById("reset").addEventListener("click", async () => {
  const team = document.getElementById("team").value;
  if (!team || !window.confirm(`Reset ${team}? Its attempts and hints are set aside.`)) return;
  try {
    const done = await (await call("POST", `/api/v1/admin/teams/${encodeURIComponent(team)}/reset`)).json();
    say(`${done.team}: ${done.archived} records set aside`);
    refresh();
  } catch (err) { say(err.message); }
});

document.getElementById("export-csv").addEventListener("click",
  () => download("/api/v1/admin/export.csv", "results.csv"));
document.getElementById("export-json").addEventListener("click",
  () => download("/api/v1/admin/export.json", "results.json"));

refresh();
setInterval(refresh, 3000);
setInterval(() => { if (board) renderClock(board, fetchedAt); }, 1000);
