"""The attempts log: one JSON line per check or hint, append-only.

One file per participant (or team) in ``<dataset>/progress/<participant>.jsonl``;
the participant is ``$GAMEDAY_PARTICIPANT``, else the OS user name. A line
holds a question id, the answer's hash (never the answer), the verdict, the
points, hint use and the time. The log survives kernel restarts, and two
processes appending at once lose nothing: each line goes out in one
``O_APPEND`` write under an exclusive ``fcntl`` lock. A damaged line (a crash
mid-write, a hand edit) is reported once and skipped.

>>> log = AttemptsLog(Path(tmp) / "progress" / "ada.jsonl")  # doctest: +SKIP
>>> log.append({"type": "hint", "qid": "q1", "hint": 1, "cost": 10})  # doctest: +SKIP
>>> [r["qid"] for r in log.records()]  # doctest: +SKIP
['q1']
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: O_APPEND alone
    fcntl = None  # type: ignore[assignment]

PROGRESS_DIR = "progress"


class DamagedLineWarning(UserWarning):
    """A line of an attempts log that is not a JSON record; it is skipped."""


def participant_name(name: str | None = None) -> str:
    """``name``, else ``$GAMEDAY_PARTICIPANT``, else the OS user, safe as a file name.

    >>> participant_name("Team Blue/2")
    'Team_Blue_2'
    """
    if not name:
        name = os.environ.get("GAMEDAY_PARTICIPANT", "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except Exception:  # no user name in some containers
            name = ""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")
    return safe[:64] or "participant"


def now() -> str:
    """The time, UTC, ISO-8601 with milliseconds and a Z."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class AttemptsLog:
    """An append-only JSON-lines file of attempts and hints."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._reported: set[tuple[int, str]] = set()

    @classmethod
    def for_participant(cls, dataset_dir: Path, participant: str | None = None) -> AttemptsLog:
        """The log of ``participant`` (see :func:`participant_name`) in a data set."""
        name = participant_name(participant)
        return cls(Path(dataset_dir) / PROGRESS_DIR / f"{name}.jsonl")

    def __repr__(self) -> str:
        return f"AttemptsLog({str(self.path)!r})"

    def append(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Append one record (``time`` added when missing) and return it."""
        line = {**record}
        line.setdefault("time", now())
        data = (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            with _locked(fd, exclusive=True):
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    data = b"\n" + data  # end a line a crash cut short
                written = os.write(fd, data)
                while written < len(data):  # a regular file takes it in one go
                    written += os.write(fd, data[written:])
        finally:
            os.close(fd)
        return line

    def records(self) -> list[dict[str, Any]]:
        """Every readable record, in the order written; damaged lines are skipped."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return []
        try:
            with _locked(fd, exclusive=False), os.fdopen(os.dup(fd), "rb") as f:
                raw = f.read()
        finally:
            os.close(fd)
        out = []
        for number, line in enumerate(raw.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line.decode("utf-8"))
                if not isinstance(record, dict) or not isinstance(record.get("qid"), str):
                    raise ValueError("not a record")
            except ValueError as exc:
                self._report(number, line, exc)
                continue
            out.append(record)
        return out

    def _report(self, number: int, line: bytes, exc: Exception) -> None:
        key = (number, line[:200].decode("utf-8", "replace"))
        if key in self._reported:
            return
        self._reported.add(key)
        warnings.warn(
            f"{self.path} line {number} is damaged and was skipped ({type(exc).__name__})",
            DamagedLineWarning,
            stacklevel=3,
        )


@contextmanager
def _locked(fd: int, exclusive: bool) -> Iterator[None]:
    if fcntl is None:
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
