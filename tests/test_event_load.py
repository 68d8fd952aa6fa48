"""Forty teams at once: each sends 25 attempts and hint requests concurrently. Every
attempt the server acknowledged is in the database, nothing else is, and every team's
score equals what its attempt log implies under the notebook's scoring."""

from __future__ import annotations

import random
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from event_support import SHARED_TEAMS, Server, fresh_copy, running_server

from helpers.quiz.scoring import Settings, score

pytestmark = pytest.mark.slow

REQUESTS = 25
PENALTY = 3


def plan(server: Server, team: str, seed: int) -> list[tuple[str, str, Any]]:
    """25 requests: per question a hint or not, wrong or partial answers, the right one,
    sometimes once more; questions interleaved at random, each in its own order."""
    rng = random.Random(seed)
    key = server.key(team)
    entries = server.checker(team).entries
    queues = []
    for qid in rng.sample(list(entries), 9):
        entry = entries[qid]
        steps: list[tuple[str, str, Any]] = []
        if entry.hint_costs and rng.random() < 0.5:
            steps.append(("hint", qid, None))
        if entry.kind == "set":
            steps.append(("attempt", qid, key[qid][:1]))
        steps += [("attempt", qid, f"wrong-{n}") for n in range(rng.randint(0, 2))]
        if rng.random() < 0.8:
            steps.append(("attempt", qid, key[qid]))
            if rng.random() < 0.3:
                steps.append(("attempt", qid, key[qid]))  # already solved
        queues.append(steps)
    ops: list[tuple[str, str, Any]] = []
    while len(ops) < REQUESTS and any(queues):
        queue = rng.choice([q for q in queues if q])
        ops.append(queue.pop(0))
    while len(ops) < REQUESTS:
        ops.append(("hint", ops[-1][1], None))
    return ops


def test_forty_teams_at_once_lose_nothing_and_score_as_their_logs_say(shared_event, tmp_path):
    folder = fresh_copy(shared_event, tmp_path / "ev", wrong_penalty=PENALTY)
    with running_server(folder) as server:
        server.admin("start")
        teams = [t.id for t in server.event.teams]
        plans = {t: plan(server, t, n) for n, t in enumerate(teams)}
        clients = {t: server.client(t) for t in teams}
        start = threading.Barrier(len(teams))

        def play(team: str) -> tuple[list[dict[str, Any]], list[float]]:
            client = clients[team]
            acknowledged, latencies = [], []
            start.wait()
            for kind, qid, answer in plans[team]:
                began = time.perf_counter()
                if kind == "hint":
                    status, body = client.hint(qid)
                else:
                    status, body = client.attempt(qid, answer)
                latencies.append(time.perf_counter() - began)
                assert 200 == status, body
                if body.get("recorded"):
                    acknowledged.append({"kind": kind, "qid": qid, **body})
            return acknowledged, latencies

        with ThreadPoolExecutor(len(teams)) as pool:
            results = dict(zip(teams, pool.map(play, teams), strict=True))
        records = server.records()
        board = {t["id"]: t for t in server.board(live=True)["teams"]}

    assert SHARED_TEAMS == len(teams)
    acknowledged = {a["id"]: (team, a) for team, (acks, _) in results.items() for a in acks}
    by_id = {r["id"]: r for r in records}
    assert set(acknowledged) == set(by_id)
    for rid, (team, a) in acknowledged.items():
        r = by_id[rid]
        assert (team, a["qid"], "hint" if a["kind"] == "hint" else "attempt") == (
            r["team"],
            r["qid"],
            r["type"],
        )
        if a["kind"] == "attempt":
            assert (a["verdict"], a["fraction"]) == (r["verdict"], r["fraction"])

    settings = Settings(wrong_penalty=PENALTY)
    entries = server.checker(teams[0]).entries
    for team, (acks, _) in results.items():
        log = [
            {"type": "hint", "qid": a["qid"], "hint": a["n"]}
            if a["kind"] == "hint"
            else {
                "type": "attempt",
                "qid": a["qid"],
                "verdict": a["verdict"],
                "fraction": a["fraction"],
            }
            for a in sorted(acks, key=lambda a: a["id"])
        ]
        assert score(log, entries, settings).total == board[team]["points"], team

    latencies = sorted(x for _, lat in results.values() for x in lat)
    assert len(teams) * REQUESTS == len(latencies)
    print(
        f"\n{len(latencies)} requests from {len(teams)} teams at once: median "
        f"{statistics.median(latencies) * 1000:.1f} ms, p99 "
        f"{latencies[int(len(latencies) * 0.99)] * 1000:.1f} ms"
    )
