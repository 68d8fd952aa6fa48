"""The scoreboard server's state in SQLite: teams, attempts and hints, the clock.

One file, ``event.sqlite`` in the event folder, in WAL mode with ``synchronous=FULL``:
a write the server acknowledged is on disk before the answer leaves, so neither a
crash nor a restart loses it. Attempts and hints share one table, ``records``, in
the order they happened (its ``id``); a correct attempt is recorded once per team and
question (a later one is "already solved", not recorded), and a hint once per team,
question and hint number. Answers are never stored: an attempt keeps the verdict and
an HMAC of the normalised answer. A team's reset moves its records to
``reset_records``, where the export still finds them.

Writes are jobs (a function of the connection), run one after another, each in a
savepoint of its own, and committed in groups: whatever queued while the disk synced
the last group goes into the next transaction, so forty teams at once wait for a few
syncs, not forty. In the server the jobs run on the event loop's thread and only the
commit on a thread of its own: a job is a few SQLite calls, and handing each over to
another thread made it wait for the interpreter's lock behind every request (four
times its own time). A job that raises writes nothing and gets its exception back; the
others are committed. Reads use a connection per thread and see what was committed.

>>> store = Store(Path("events/dec/event.sqlite"))  # doctest: +SKIP
>>> store.run(lambda con: store.insert(con, record))  # doctest: +SKIP
17
"""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
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
-- who solved a question before whom (the speed bonus), without reading every record
CREATE INDEX IF NOT EXISTS solves ON records (qid, id)
    WHERE type = 'attempt' AND verdict = 'correct';
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
        #: One user of the write connection at a time: a group, or a `run`.
        self._lock = threading.Lock()
        #: Syncs each group's commit to disk, off the event loop's thread.
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="event-store-commit")
        #: Jobs waiting for the next group, and whether a task is writing groups.
        self._queued: list[tuple[Job, asyncio.Future[Any]]] = []
        self._committing = False
        self._writing: asyncio.Task[None] | None = None
        #: Counts the commits: a cached scoreboard is good while it has not moved.
        self.version = 0

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        con.row_factory = sqlite3.Row
        con.execute("PRAGMA synchronous = FULL")
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA busy_timeout = 10000")
        return con

    def close(self) -> None:
        """Wait for a group being committed, then close every connection."""
        with self._lock:
            self._committer.shutdown()
            self._con.close()
            for con in self._all:
                con.close()

    # -- writing

    def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run a write in a transaction of its own and commit it; its result, or its
        exception (nothing written). For callers outside the server's event loop."""
        with self._lock:
            try:
                ((result, error),) = self._transaction([job])
            except Exception:
                self._rollback()
                raise
            self._commit()
        if error is not None:
            raise error
        return result

    async def arun(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run a write in the next group and wait for its commit; its result, or its
        exception. The event loop serves others while the group's commit syncs."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        self._queued.append((job, waiter))
        if not self._committing:
            self._committing = True
            self._writing = loop.create_task(self._groups(loop))
        return await waiter

    async def _groups(self, loop: asyncio.AbstractEventLoop) -> None:
        """Write groups until none is queued: the jobs of a group run here, on the
        event loop's thread (no thread hand-over per job), its commit (the disk's sync)
        on the committer's; whatever arrives meanwhile is the next group."""
        try:
            while self._queued:
                group, self._queued = self._queued[:GROUP], self._queued[GROUP:]
                if not self._lock.acquire(blocking=False):  # a `run` from another thread
                    await loop.run_in_executor(self._committer, self._lock.acquire)
                try:
                    outcomes = self._transaction([job for job, _ in group])
                except Exception as exc:  # the disk failed: nothing of the group is written
                    self._rollback()
                    self._lock.release()
                    outcomes = [(None, exc)] * len(group)
                else:
                    try:  # the committer releases the lock, even if this task is cancelled
                        await loop.run_in_executor(self._committer, self._commit, True)
                    except Exception as exc:  # nothing of the group is acknowledged
                        outcomes = [(None, exc)] * len(group)
                for (_, waiter), (result, error) in zip(group, outcomes, strict=True):
                    if waiter.done():  # its request went away
                        continue
                    if error is None:
                        waiter.set_result(result)
                    else:
                        waiter.set_exception(error)
        finally:
            self._committing = False

    def _transaction(self, jobs: list[Job]) -> list[tuple[Any, BaseException | None]]:
        """Begin a transaction and run ``jobs`` in it, each in a savepoint of its own:
        one that raises writes nothing and gets its exception back. The caller holds
        the lock and commits."""
        con = self._con
        con.execute("BEGIN IMMEDIATE")
        outcomes: list[tuple[Any, BaseException | None]] = []
        for job in jobs:
            con.execute("SAVEPOINT job")
            try:
                result = job(con)
            except Exception as exc:
                con.execute("ROLLBACK TO job")
                con.execute("RELEASE job")
                outcomes.append((None, exc))
            else:
                con.execute("RELEASE job")
                outcomes.append((result, None))
        return outcomes

    def _commit(self, release: bool = False) -> None:
        """Commit the open transaction (or roll it back if that fails); release the
        lock afterwards when asked to."""
        try:
            self._con.execute("COMMIT")
            self.version += 1
        except Exception:
            self._rollback()
            raise
        finally:
            if release:
                self._lock.release()

    def _rollback(self) -> None:
        if self._con.in_transaction:
            self._con.execute("ROLLBACK")

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
