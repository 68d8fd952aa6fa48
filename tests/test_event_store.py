"""The event store's group commit: many writes at once share a few commits, a write
that fails writes nothing and fails alone, and what was acknowledged is on disk; two
stores on one file (two server processes) take turns at writing."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor

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


def test_two_stores_on_one_file_take_turns_and_lose_no_write(store, tmp_path):
    """Two server processes each have a store of their own on the event's file."""
    other = Store(tmp_path / "event.sqlite")
    try:

        def writes(writer: Store, team: str) -> list[int]:
            async def at_once() -> list[int]:
                jobs = [lambda con, n=n: writer.insert(con, hint(team, n)) for n in range(1, 101)]
                return await asyncio.gather(*(writer.arun(j) for j in jobs))

            return asyncio.run(at_once())

        async def both() -> list[list[int]]:
            return await asyncio.gather(
                asyncio.to_thread(writes, store, "team-01"),
                asyncio.to_thread(writes, other, "team-02"),
            )

        mine, theirs = asyncio.run(both())
        marks = other.marks()
    finally:
        other.close()

    on_disk = {r["id"]: r["team"] for r in store.records()}
    assert {**dict.fromkeys(mine, "team-01"), **dict.fromkeys(theirs, "team-02")} == on_disk
    assert 200 == len(on_disk) and max(on_disk) == marks.records


def test_a_store_waits_while_another_writes_and_its_event_loop_goes_on(store, tmp_path):
    other = Store(tmp_path / "event.sqlite")
    holding, go_on = threading.Event(), threading.Event()

    def slow(con: sqlite3.Connection) -> int:
        holding.set()
        go_on.wait(10)
        return store.insert(con, hint("team-01", 1))

    async def meanwhile() -> tuple[bool, float, int]:
        loop = asyncio.get_running_loop()
        second = asyncio.ensure_future(
            other.arun(lambda con: other.insert(con, hint("team-02", 1)))
        )
        began = loop.time()
        await asyncio.sleep(0.3)  # the loop serves others while the store waits
        slept = loop.time() - began
        waited = not second.done()
        go_on.set()
        return waited, slept, await second

    try:
        with ThreadPoolExecutor(1) as pool:
            first = pool.submit(store.run, slow)
            assert holding.wait(10)
            waited, slept, second_id = asyncio.run(meanwhile())
            first_id = first.result(10)
    finally:
        go_on.set()
        other.close()

    assert waited, "the second store should wait for the first one's write"
    assert slept < 2, f"the event loop stood still for {slept:.1f} s while the store waited"
    assert first_id < second_id
