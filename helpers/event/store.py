"""The scoreboard server's state in SQLite: teams, attempts and hints, the clock.

One file, ``event.sqlite`` in the event folder, in WAL mode with ``synchronous=FULL``:
a write the server acknowledged is on disk before the answer leaves, so neither a
crash nor a restart loses it. Attempts and hints share one table, ``records``, in
the order they happened (its ``id``); a correct attempt is recorded once per team and
question (a later one is "already solved", not recorded), and a hint once per team,
question and hint number. Answers are never stored: an attempt keeps the verdict and
an HMAC of the normalised answer. A team's reset moves its records to
``reset_records``, where the export still finds them.

Writes are jobs (a function of the connection) that one writer thread runs one after
another, each in a savepoint of its own, and commits in groups: whatever queued while
the disk synced the last group goes into the next transaction, so forty teams at once
wait for a few syncs, not forty. A job that raises writes nothing and gets its
exception back; the others are committed. Reads use a connection per thread and see
what was committed.

>>> store = Store(Path("events/dec/event.sqlite"))  # doctest: +SKIP
>>> store.run(lambda con: store.insert(con, record))  # doctest: +SKIP
17
"""

from __future__ import annotations

import asyncio
import json
import os
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import asdict
from pathlib import Path
from typing import Any, TypeVar

from helpers.event.clock import Clock
from helpers.event.config import Team

SCHEMA = """
CREATE TABLE IF NOT EXISTS teams (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    dataset TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS records (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    team TEXT NOT NULL REFERENCES teams(id),
    type TEXT NOT NULL CHECK (type IN ('attempt', 'hint')),
    qid TEXT NOT NULL,
    verdict TEXT,          -- attempts: correct, partial, wrong or known_wrong
    fraction REAL,         -- attempts: the share of the credit
    digest TEXT,           -- attempts: HMAC of the normalised answer, never the answer
    unlock TEXT,           -- correct attempts: the sealed debrief's unlock token
    hint INTEGER,          -- hints: which one (1, 2, ...)
    cost INTEGER,          -- hints: what it costs
    at REAL NOT NULL,      -- Unix time
    elapsed REAL NOT NULL  -- event time, seconds
);
CREATE INDEX IF NOT EXISTS records_by_team ON records (team, qid, at);
CREATE UNIQUE INDEX IF NOT EXISTS one_solve ON records (team, qid)
    WHERE type = 'attempt' AND verdict = 'correct';
CREATE UNIQUE INDEX IF NOT EXISTS one_hint ON records (team, qid, hint) WHERE type = 'hint';
CREATE TABLE IF NOT EXISTS reset_records (
    id INTEGER PRIMARY KEY,
    team TEXT NOT NULL,
    type TEXT NOT NULL,
    qid TEXT NOT NULL,
    verdict TEXT,
    fraction REAL,
    digest TEXT,
    unlock TEXT,
    hint INTEGER,
    cost INTEGER,
    at REAL NOT NULL,
    elapsed REAL NOT NULL,
    reset_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL    -- the Clock as JSON
);
CREATE TABLE IF NOT EXISTS admin_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""

COLUMNS = (
    "id",
    "team",
    "type",
    "qid",
    "verdict",
    "fraction",
    "digest",
    "unlock",
    "hint",
    "cost",
    "at",
    "elapsed",
)


T = TypeVar("T")
Job = Callable[[sqlite3.Connection], Any]
#: The most jobs in one transaction.
GROUP = 256


class Store:
    """The event's SQLite database; every method is safe from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            # the WAL and shared-memory files take the database file's mode
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._con = self._connect()
        self._con.execute("PRAGMA journal_mode = WAL")
        self._con.executescript(SCHEMA)
        self._readers = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._jobs: queue.SimpleQueue[tuple[Job, Future] | None] = queue.SimpleQueue()
        #: Counts the commits: a cached scoreboard is good while it has not moved.
        self.version = 0
        self._writer = threading.Thread(target=self._write, name="event-store", daemon=True)
        self._writer.start()

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA synchronous = FULL")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA busy_timeout = 10000")
        return con

    def close(self) -> None:
        """Finish the queued writes, then close every connection."""
        if self._writer.is_alive():
            self._jobs.put(None)
            self._writer.join()
        self._con.close()
        for con in self._all:
            con.close()

    # -- writing

    def submit(self, job: Callable[[sqlite3.Connection], T]) -> Future[T]:
        """Queue a write; the future holds its result once it is committed."""
        future: Future[T] = Future()
        self._jobs.put((job, future))
        return future

    def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run a write and wait for its commit; its result, or its exception."""
        return self.submit(job).result()

    async def arun(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """:meth:`run` for a coroutine: the event loop serves others while it waits."""
        return await asyncio.wrap_future(self.submit(job))

    def _write(self) -> None:
        while True:
            first = self._jobs.get()
            if first is None:
                return
            group = [first]
            while len(group) < GROUP:
                try:
                    more = self._jobs.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._jobs.put(None)  # stop after this group
                    break
                group.append(more)
            self._commit(group)

    def _commit(self, group: list[tuple[Job, Future]]) -> None:
        con = self._con
        done: list[tuple[Future, Any, BaseException | None]] = []
        try:
            con.execute("BEGIN IMMEDIATE")
            for job, future in group:
                if not future.set_running_or_notify_cancel():
                    continue
                con.execute("SAVEPOINT job")
                try:
                    result = job(con)
                except Exception as exc:
                    con.execute("ROLLBACK TO job")
                    con.execute("RELEASE job")
                    done.append((future, None, exc))
                else:
                    con.execute("RELEASE job")
                    done.append((future, result, None))
            con.execute("COMMIT")
        except Exception as exc:  # the disk failed: nothing of the group is acknowledged
            if con.in_transaction:
                con.execute("ROLLBACK")
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        self.version += 1
        for future, result, error in done:
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

    # -- reading

    def _reader(self) -> sqlite3.Connection:
        con = getattr(self._readers, "con", None)
        if con is None:
            con = self._readers.con = self._connect()
            self._all.append(con)
        return con

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[sqlite3.Row]:
        return self._reader().execute(sql, tuple(params)).fetchall()

    # -- teams and the clock

    def sync_teams(self, teams: Iterable[Team]) -> None:
        """Add the event's teams (names and data sets follow the event file)."""
        rows = [(t.id, t.name, t.dataset) for t in teams]
        self.run(
            lambda con: con.executemany(
                "INSERT INTO teams (id, name, dataset) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, dataset = excluded.dataset",
                rows,
            )
        )

    def clock(self, default: Clock) -> Clock:
        """The stored clock, or ``default`` before the first action."""
        rows = self._query("SELECT state FROM clock WHERE id = 1")
        return Clock(**json.loads(rows[0]["state"])) if rows else default

    def save_clock(self, con: sqlite3.Connection, clock: Clock) -> None:
        """Store the clock (in a write job)."""
        con.execute(
            "INSERT INTO clock (id, state) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET state = excluded.state",
            (json.dumps(asdict(clock)),),
        )

    def log_admin(self, con: sqlite3.Connection, at: float, action: str, detail: Any) -> None:
        con.execute(
            "INSERT INTO admin_log (at, action, detail) VALUES (?, ?, ?)",
            (at, action, json.dumps(detail)),
        )

    # -- records

    def records(
        self, team: str | None = None, qid: str | None = None, con: sqlite3.Connection | None = None
    ) -> list[dict[str, Any]]:
        """Records in the order they happened, of one team (and question) or all; in a
        write job, pass its connection."""
        where, params = [], []
        if team is not None:
            where.append("team = ?")
            params.append(team)
        if qid is not None:
            where.append("qid = ?")
            params.append(qid)
        sql = f"SELECT {', '.join(COLUMNS)} FROM records"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        rows = con.execute(sql, params).fetchall() if con is not None else self._query(sql, params)
        return [dict(r) for r in rows]

    def records_after(self, last_id: int, cutoff: float | None = None) -> list[dict[str, Any]]:
        """Records after record ``last_id``, in order; only those up to event time
        ``cutoff`` when one is given."""
        sql = f"SELECT {', '.join(COLUMNS)} FROM records WHERE id > ?"
        params: list[Any] = [last_id]
        if cutoff is not None:
            sql += " AND elapsed <= ?"
            params.append(cutoff)
        return [dict(r) for r in self._query(sql + " ORDER BY id", params)]

    def reset_records(self) -> list[dict[str, Any]]:
        rows = self._query(f"SELECT {', '.join(COLUMNS)}, reset_at FROM reset_records ORDER BY id")
        return [dict(r) for r in rows]

    def insert(self, con: sqlite3.Connection, record: dict[str, Any]) -> int:
        """Add a record (in a write job); its id."""
        names = [c for c in COLUMNS if c != "id" and c in record]
        cursor = con.execute(
            f"INSERT INTO records ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
            [record[c] for c in names],
        )
        return int(cursor.lastrowid or 0)

    def wrong_since(self, con: sqlite3.Connection, team: str, qid: str, since: float) -> int:
        """Wrong and partial attempts of a team on a question since a time."""
        return con.execute(
            "SELECT count(*) FROM records WHERE team = ? AND qid = ? AND at >= ? "
            "AND type = 'attempt' AND verdict IN ('wrong', 'known_wrong', 'partial')",
            (team, qid, since),
        ).fetchone()[0]

    def solvers_before(
        self, qid: str, record_id: int, con: sqlite3.Connection | None = None
    ) -> int:
        """How many teams solved ``qid`` before record ``record_id``."""
        sql = (
            "SELECT count(*) FROM records WHERE qid = ? AND type = 'attempt' "
            "AND verdict = 'correct' AND id < ?"
        )
        if con is not None:
            return con.execute(sql, (qid, record_id)).fetchone()[0]
        return self._query(sql, (qid, record_id))[0][0]

    def reset_team(self, con: sqlite3.Connection, team: str, at: float) -> int:
        """Move a team's records to ``reset_records``; how many moved."""
        con.execute(
            f"INSERT INTO reset_records ({', '.join(COLUMNS)}, reset_at) "
            f"SELECT {', '.join(COLUMNS)}, ? FROM records WHERE team = ?",
            (at, team),
        )
        return con.execute("DELETE FROM records WHERE team = ?", (team,)).rowcount
