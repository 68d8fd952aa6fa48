"""The event store's group commit: many writes at once share a few commits, a write
that fails writes nothing and fails alone, and what was acknowledged is on disk."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest

from helpers.event.config import Team
from helpers.event.store import Store

TEAMS = [
    Team(id=f"team-{n:02d}", name=f"Team {n}", dataset="0" * 16, answers="", key="")
    for n in range(1, 4)
]


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "event.sqlite")
    store.sync_teams(TEAMS)
    yield store
    store.close()


def hint(team: str, n: int, at: float = 1.0) -> dict:
    return {
        "team": team,
        "type": "hint",
        "qid": "q01",
        "hint": n,
        "cost": 5,
        "at": at,
        "elapsed": at,
    }


def test_writes_sent_at_once_share_commits_and_a_failing_one_fails_alone(store):
    class Refused(Exception):
        pass

    def refused(con: sqlite3.Connection) -> None:
        store.insert(con, hint("team-01", 99))  # written, then undone with its job
        raise Refused("no")

    async def at_once() -> list:
        jobs = [lambda con, n=n: store.insert(con, hint("team-02", n)) for n in range(1, 41)]
        jobs.insert(20, refused)
        return await asyncio.gather(*(store.arun(j) for j in jobs), return_exceptions=True)

    commits_before = store.version
    outcomes = asyncio.run(at_once())

    assert isinstance(outcomes[20], Refused)
    ids = [o for i, o in enumerate(outcomes) if i != 20]
    assert sorted(ids) == ids and len(set(ids)) == 40
    assert [r["id"] for r in store.records()] == ids  # the refused job left nothing
    assert store.version - commits_before < 40 / 4  # forty writes, a few commits


def test_a_write_from_another_thread_waits_its_turn_and_is_on_disk(store, tmp_path):
    async def from_the_loop_and_a_thread() -> list[int]:
        loop_writes = [
            store.arun(lambda con, n=n: store.insert(con, hint("team-03", n))) for n in range(1, 11)
        ]
        thread_write = asyncio.to_thread(
            store.run, lambda con: store.insert(con, hint("team-01", 1))
        )
        return await asyncio.gather(*loop_writes, thread_write)

    ids = asyncio.run(from_the_loop_and_a_thread())

    other = sqlite3.connect(tmp_path / "event.sqlite")  # what a restarted server reads
    try:
        on_disk = {row[0] for row in other.execute("SELECT id FROM records")}
    finally:
        other.close()
    assert set(ids) == on_disk and 11 == len(on_disk)


def test_a_job_of_run_that_fails_writes_nothing_and_raises(store):
    def half_then_fail(con: sqlite3.Connection) -> None:
        store.insert(con, hint("team-01", 1))
        raise ValueError("half way")

    with pytest.raises(ValueError, match="half way"):
        store.run(half_then_fail)

    assert [] == store.records()
    store.run(lambda con: store.insert(con, hint("team-01", 1)))  # the store goes on
    assert [("team-01", 1)] == [(r["team"], r["hint"]) for r in store.records()]
