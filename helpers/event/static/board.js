// The scoreboard's drawing, shared by the public page and the trainer's: the ranking,
// solves per question, and the score over time as an SVG chart. No library, nothing
// from the internet; text goes in with textContent only.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const COLOURS = ["#ffb020", "#3ddc84", "#4dabf7", "#ff6b6b", "#c77dff",
                 "#f783ac", "#63e6be", "#ffd43b", "#a9e34b", "#74c0fc"];
const CHART_TEAMS = 10;

function el(tag, attrs = {}, text = null) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== null) node.textContent = String(text);
  return node;
}

function svg(tag, attrs = {}, text = null) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== null) node.textContent = String(text);
  return node;
}

function clockText(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(r).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}

function shortId(qid) {
  const tail = qid.split(".").pop();
  return qid.startsWith("start-here.") ? `s${tail.replace(/^q/, "")}` : tail;
}

// the header: event name, status, time left (ticks between refreshes), frozen
function renderClock(data, fetchedAt) {
  document.getElementById("event").textContent = data.event;
  const status = document.getElementById("status");
  status.textContent = data.clock.status.replace("_", " ");
  status.className = data.clock.status;
  const frozen = document.getElementById("frozen");
  frozen.classList.toggle("hidden", !(data.clock.frozen && !data.live));
  const left = data.clock.status === "running"
    ? data.clock.time_left - (Date.now() - fetchedAt) / 1000
    : data.clock.time_left;
  document.getElementById("clock").textContent = clockText(left);
}

function renderTeams(data) {
  const head = document.querySelector("#teams thead tr");
  head.replaceChildren(el("th", {}, "#"), el("th", {}, "team"), el("th", {}, "points"),
                       el("th", {}, "solved"), el("th", {}, "questions"));
  const body = document.querySelector("#teams tbody");
  const rows = data.teams.map((t) => {
    const tr = el("tr", { "data-team": t.id, class: t.rank <= 3 && t.points > 0 ? "top" : "" });
    tr.append(el("td", { class: "rank" }, t.rank), el("td", { class: "name" }, t.name),
              el("td", { class: "points" }, t.points),
              el("td", { class: "solved" }, `${t.solved}/${data.questions.length}`));
    const marks = el("td", { class: "marks" });
    for (const q of data.questions) {
      const done = q.id in t.solves;
      const mark = el("span", { class: done ? "q done" : "q" });
      mark.title = `${q.id}${done ? ` solved at ${clockText(t.solves[q.id])}` : ""}`;
      marks.append(mark);
    }
    tr.append(marks);
    return tr;
  });
  body.replaceChildren(...rows);
}

function renderQuestions(data) {
  const body = document.querySelector("#questions tbody");
  const most = Math.max(1, data.teams.length);
  body.replaceChildren(...data.questions.map((q) => {
    const tr = el("tr", { "data-question": q.id });
    const bar = el("div", { class: "bar" });
    bar.style.width = `${(100 * q.solves) / most}%`;
    const cell = el("td");
    cell.append(bar);
    tr.append(el("td", {}, shortId(q.id)), el("td", { class: "count" }, q.points),
              el("td", { class: "count" }, q.solves), cell);
    return tr;
  }));
}

// 1, 2 or 5 times a power of ten: the axis' step
function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(Math.max(raw, 1)));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
}

// the score over time of the leading teams, as step lines
function renderChart(data) {
  const chart = document.getElementById("chart");
  const W = 800, H = 360, L = 56, R = 40, T = 14, B = 34;
  chart.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const teams = data.teams.slice(0, CHART_TEAMS);
  const end = Math.max(60, data.clock.duration || 60);
  const most = Math.max(10, ...teams.flatMap((t) => t.series.map((p) => p[1])));
  const step = niceStep(most / 4);
  const top = Math.ceil(most / step) * step;
  const x = (s) => L + ((W - L - R) * Math.min(s, end)) / end;
  const y = (p) => H - B - ((H - T - B) * p) / top;
  const nodes = [];
  for (let p = 0; p <= top; p += step) {
    const yy = y(p);
    nodes.push(svg("line", { x1: L, x2: W - R, y1: yy, y2: yy, stroke: "#2c3640" }));
    nodes.push(svg("text", { x: L - 8, y: yy + 6, "text-anchor": "end" }, p));
  }
  for (let i = 0; i <= 4; i++) {
    const s = (end * i) / 4;
    nodes.push(svg("text", { x: x(s), y: H - 6, "text-anchor": i === 4 ? "end" : "middle" },
                   `${Math.round(s / 60)} min`));
  }
  const now = data.clock.elapsed || 0;
  teams.forEach((t, i) => {
    let d = "", last = 0;
    for (const [s, p] of t.series) {
      d += d ? ` H${x(s).toFixed(1)} V${y(p).toFixed(1)}` : `M${x(s).toFixed(1)} ${y(p).toFixed(1)}`;
      last = p;
    }
    d += ` H${x(Math.max(now, t.series[t.series.length - 1][0])).toFixed(1)} V${y(last).toFixed(1)}`;
    nodes.push(svg("path", { d, fill: "none", stroke: COLOURS[i % COLOURS.length],
                             "stroke-width": 3, "data-team": t.id }));
  });
  chart.replaceChildren(...nodes);
  const legend = document.getElementById("legend");
  legend.replaceChildren(...teams.map((t, i) => {
    const item = el("span", {}, t.name);
    item.style.setProperty("--swatch", COLOURS[i % COLOURS.length]);
    return item;
  }));
}

function renderBoard(data, fetchedAt) {
  renderClock(data, fetchedAt);
  renderTeams(data);
  renderQuestions(data);
  renderChart(data);
  document.getElementById("updated").textContent =
    `updated ${new Date(fetchedAt).toLocaleTimeString()}`;
}
