// The public scoreboard: fetch the board every few seconds, tick the clock every second.
"use strict";

const REFRESH_MS = 3000;
let board = null;
let fetchedAt = Date.now();

async function refresh() {
  try {
    const response = await fetch("/api/v1/scoreboard", { cache: "no-store" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    board = await response.json();
    fetchedAt = Date.now();
    renderBoard(board, fetchedAt);
    document.getElementById("error").textContent = "";
  } catch (err) {
    document.getElementById("error").textContent = `cannot reach the server (${err.message}): retrying`;
  }
}

refresh();
setInterval(refresh, REFRESH_MS);
setInterval(() => { if (board) renderClock(board, fetchedAt); }, 1000);
