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

Several server processes can share the file (``gameday serve --workers``): a lock on
``event.sqlite.writer`` (``flock``) passes the writing from one to the next the moment
it is free, where SQLite's own busy wait would sleep in steps of milliseconds; the
transaction (``BEGIN IMMEDIATE``) begins under it, so a job reads what the other
processes committed before it.

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
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from helpers.event.config import Team

try:
    import fcntl
except ImportError:  # Windows: one server process, nothing to share the file with
    fcntl = None  # type: ignore[assignment]

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


class Marks(NamedTuple):
    """The last record and the last trainer's action ever written (ids never reused):
    what a cached board was computed up to, in whichever process wrote them."""

    records: int
    admin: int


class Store:
    """The event's SQLite database; every method is safe from any thread."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.exists():
            # the WAL and shared-memory files take the database file's mode
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        con = self._connect()
        try:
            con.execute("PRAGMA journal_mode = WAL")
            con.executescript(SCHEMA)
        finally:
            con.close()
        #: The write connection, and a read connection per thread: opened on first use.
        self._con: sqlite3.Connection | None = None
        self._readers = threading.local()
        self._all: list[sqlite3.Connection] = []
        #: One user of the write connection at a time in this process: a group, or a `run`.
        self._lock = threading.Lock()
        #: ... and across processes (a file lock, held with ``_lock``): opened on first
        #: use, as a process's own (a lock shared through a fork would not exclude).
        self._writer: int | None = None
        #: Syncs each group's commit to disk, off the event loop's thread.
        self._committer = ThreadPoolExecutor(1, thread_name_prefix="event-store-commit")
        #: Jobs waiting for the next group, and whether a task is writing groups.
        self._queued: list[tuple[Job, asyncio.Future[Any]]] = []
        self._committing = False
        self._writing: asyncio.Task[None] | None = None
        #: Counts this process's commits.
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
            self._disconnect()

    def detach(self) -> None:
        """Close the connections (they open again on first use), so that the process can
        fork: a SQLite connection must not cross a fork. Call it with no write running
        and before the first group (whose commit starts the committer's thread)."""
        with self._lock:
            self._disconnect()
            self._readers = threading.local()

    def _disconnect(self) -> None:
        for con in [self._con, *self._all]:
            if con is not None:
                con.close()
        self._con = None
        self._all = []
        if self._writer is not None:
            os.close(self._writer)
            self._writer = None

    def _writing_con(self) -> sqlite3.Connection:
        if self._con is None:
            self._con = self._connect()
        return self._con

    # -- taking turns at writing

    def _writer_fd(self) -> int:
        if self._writer is None:
            path = self.path.with_name(self.path.name + ".writer")
            self._writer = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        return self._writer

    def _try_acquire(self) -> bool:
        """Take the write lock (this process's, then the file's) if both are free now."""
        if not self._lock.acquire(blocking=False):
            return False
        if fcntl is not None:
            try:
                fcntl.flock(self._writer_fd(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                self._lock.release()
                return False
        return True

    def _acquire(self) -> None:
        """Wait for the write lock and take it (the system wakes this thread when it is
        free): for a `run`, on its own thread."""
        self._lock.acquire()
        if fcntl is not None:
            try:
                fcntl.flock(self._writer_fd(), fcntl.LOCK_EX)
            except BaseException:
                self._lock.release()
                raise

    def _wait_until_free(self) -> None:
        """Wait (off the event loop) until the write lock is free, without taking it:
        the group takes it when the loop comes round to it, so the lock is never held
        while a busy loop gets there, and another process waits no longer than it
        writes."""
        with self._lock:  # the file lock is this process's: unlocking it below must not
            # free a `run` of another thread, so none may hold it meanwhile
            if fcntl is not None:
                fcntl.flock(self._writer_fd(), fcntl.LOCK_EX)
                fcntl.flock(self._writer_fd(), fcntl.LOCK_UN)

    def _release(self) -> None:
        if fcntl is not None:
            fcntl.flock(self._writer_fd(), fcntl.LOCK_UN)
        self._lock.release()

    # -- writing

    def run(self, job: Callable[[sqlite3.Connection], T]) -> T:
        """Run a write in a transaction of its own and commit it; its result, or its
        exception (nothing written). For callers outside the server's event loop."""
        self._acquire()
        try:
            ((result, error),) = self._transaction([job])
        except Exception:
            self._rollback()
            self._release()
            raise
        self._commit(release=True)
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
                while not self._try_acquire():  # another process's group, or a `run`
                    await loop.run_in_executor(self._committer, self._wait_until_free)
                # what queued while waiting joins the group
                group, self._queued = self._queued[:GROUP], self._queued[GROUP:]
                try:
                    outcomes = self._transaction([job for job, _ in group])
                except Exception as exc:  # the disk failed: nothing of the group is written
                    self._rollback()
                    self._release()
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
        con = self._writing_con()
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
            self._writing_con().execute("COMMIT")
            self.version += 1
        except Exception:
            self._rollback()
            raise
        finally:
            if release:
                self._release()

    def _rollback(self) -> None:
        if self._con is not None and self._con.in_transaction:
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

    def clock_state(self, con: sqlite3.Connection | None = None) -> str | None:
        """The stored clock (JSON), or None before the first action; in a write job,
        pass its connection."""
        sql = "SELECT state FROM clock WHERE id = 1"
        rows = con.execute(sql).fetchall() if con is not None else self._query(sql)
        return rows[0][0] if rows else None

    def save_clock(self, con: sqlite3.Connection, state: str) -> None:
        """Store the clock (JSON, in a write job)."""
        con.execute(
            "INSERT INTO clock (id, state) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET state = excluded.state",
            (state,),
        )

    def marks(self) -> Marks:
        """The ids of the last record and the last trainer's action written so far."""
        seqs = {name: seq for name, seq in self._query("SELECT name, seq FROM sqlite_sequence")}
        return Marks(seqs.get("records", 0), seqs.get("admin_log", 0))

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
