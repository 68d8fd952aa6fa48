"""Several server processes on one event (``gameday serve --workers``): each plays the
event from the database, so what one records, the clock one starts and a reset one
makes are the others' too; the workers stop with the server, even with a killed one."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest
from event_support import fresh_copy, start_server

from helpers.event.game import Game, Refused

pytestmark = pytest.mark.slow


def points_of(board: dict, team: str) -> int:
    return next(t["points"] for t in board["teams"] if t["id"] == team)


def test_two_games_on_one_event_share_the_clock_the_records_and_a_reset(shared_event, tmp_path):
    folder = fresh_copy(shared_event, tmp_path / "ev")
    first, second = Game.open(folder), Game.open(folder)  # as two workers have
    try:
        team = first.event.teams[0]
        key = json.loads((folder / team.key).read_text())["answers"]
        qid, other_qid = list(key)[:2]
        answer = key[qid]

        def attempt(game: Game, question: str) -> dict:
            return asyncio.run(game.attempt(team.id, team.dataset, question, answer))

        with pytest.raises(Refused) as before_start:
            attempt(second, qid)
        asyncio.run(first.act("start"))
        solved = attempt(second, qid)
        board_before_reset = second.scoreboard(live=True)  # cached by the second
        seen_by_first = first.scoreboard(live=True)
        asyncio.run(first.reset(team.id))
        board_after_reset = second.scoreboard(live=True)
        solved_again = attempt(second, qid)
        asyncio.run(second.act("pause"))
        with pytest.raises(Refused) as paused:
            attempt(first, other_qid)
        clock_seen_by_first = first.clock()["status"]
    finally:
        first.store.close()
        second.store.close()

    assert "not_started" == before_start.value.status
    assert "correct" == solved["status"]
    assert solved["points"] == points_of(seen_by_first, team.id) > 0
    assert points_of(board_before_reset, team.id) > 0 == points_of(board_after_reset, team.id)
    assert "correct" == solved_again["status"]  # not "already solved": the reset counted
    assert ("paused", "paused") == (paused.value.status, clock_seen_by_first)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a parent to reap it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _workers_of(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _gone_within(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="--workers needs Linux")
def test_the_workers_stop_with_the_server_and_die_with_a_killed_one(shared_event, tmp_path):
    folder = fresh_copy(shared_event, tmp_path / "ev")
    server = start_server(folder, args=("--workers", "3"))
    try:
        workers = _workers_of(server.process.pid)
        server.admin("start")
        team = server.team_id(0)
        statuses = {server.client(team).attempt(q, "nope")[0] for q in list(server.key(team))[:5]}
        server.stop()  # SIGTERM
        stopped = [_gone_within(pid, 10) for pid in workers]

        server = start_server(folder, port=server.port, log=server.log, args=("--workers", "2"))
        killed_workers = _workers_of(server.process.pid)
        server.kill()  # SIGKILL: no chance to tell the workers
        killed = [_gone_within(pid, 5) for pid in killed_workers]
        server = start_server(folder, port=server.port, log=server.log)  # port and event free
        clock = server.board()["clock"]["status"]
    finally:
        server.stop()

    assert 2 == len(workers) and {200} == statuses
    assert [True, True] == stopped
    assert 1 == len(killed_workers) and [True] == killed
    assert "running" == clock
