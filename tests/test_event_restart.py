"""The server killed (SIGKILL) in the middle of forty teams' traffic, then started again:
nothing it acknowledged is lost, the clock runs on, the teams carry on."""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from event_support import fresh_copy, start_server

from helpers.event.client import ServerUnreachable
from helpers.event.config import DB_FILE

pytestmark = pytest.mark.slow


def test_a_killed_server_restarts_with_everything_it_acknowledged(shared_event, tmp_path):
    folder = fresh_copy(shared_event, tmp_path / "ev")
    server = start_server(folder)
    try:
        server.admin("start")
        teams = [t.id for t in server.event.teams]
        questions = list(server.checker(teams[0]).entries)
        clients = {t: server.client(t) for t in teams}
        stop = threading.Event()
        acknowledged: dict[str, list[int]] = {t: [] for t in teams}
        failures = {t: 0 for t in teams}

        def play(team: str) -> None:
            n = 0
            while not stop.is_set():
                qid = questions[n % len(questions)]  # a wrong answer: never the rate limit
                try:
                    if n % 3 == 2:
                        status, body = clients[team].hint(qid)
                    else:
                        status, body = clients[team].attempt(qid, f"nope-{n}")
                except ServerUnreachable:
                    failures[team] += 1
                    time.sleep(0.05)
                    continue
                if status == 200 and body.get("recorded"):
                    acknowledged[team].append(body["id"])
                n += 1

        with ThreadPoolExecutor(len(teams)) as pool:
            running = [pool.submit(play, t) for t in teams]
            while sum(map(len, acknowledged.values())) < 400:
                time.sleep(0.02)
            before_kill = server.board(live=True)["clock"]
            server.kill()  # mid-load: requests are in flight
            killed_at = sum(map(len, acknowledged.values()))
            time.sleep(0.5)
            server = start_server(folder, port=server.port, log=server.log)
            while sum(map(len, acknowledged.values())) < killed_at + 200:
                time.sleep(0.02)
            stop.set()
            for job in running:
                job.result()
        after = server.board(live=True)["clock"]
        records = {r["id"]: r["team"] for r in server.records()}
    finally:
        server.stop()

    acked = {rid: team for team, ids in acknowledged.items() for rid in ids}
    assert sum(failures.values()) > 0, "the kill should have interrupted some requests"
    assert {} == {rid: team for rid, team in acked.items() if records.get(rid) != team}
    assert ("running", "running") == (before_kill["status"], after["status"])
    assert after["elapsed"] > before_kill["elapsed"]
    con = sqlite3.connect(folder / DB_FILE)
    try:
        assert [("ok",)] == con.execute("PRAGMA integrity_check").fetchall()
    finally:
        con.close()
