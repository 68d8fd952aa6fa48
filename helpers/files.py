"""Small helpers every log reader needs: how to name a file, how to say what went wrong."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from pathlib import Path

import duckdb

#: A group's files as (position in the caller's list, path).
Members = list[tuple[int, Path]]


def relative(path: Path, root: Path | None) -> str:
    """The path relative to root in POSIX form, or as given where it is not under root.

    >>> relative(Path("/data/raw/AWSLogs/x.gz"), Path("/data/raw"))
    'AWSLogs/x.gz'
    """
    if root is not None:
        try:
            return path.absolute().relative_to(Path(root).absolute()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def one_line(error: BaseException) -> str:
    """The first line of an error message, with its type where the message is empty.

    >>> one_line(ValueError("bad\\nmore"))
    'bad'
    """
    lines = str(error).strip().splitlines()
    text = lines[0].split(" LINE ")[0] if lines else type(error).__name__  # DuckDB adds the SQL
    return text if len(text) <= 200 else text[:197] + "..."


def load_groups(
    groups: Mapping[Hashable, Members],
    insert: Callable[[Hashable, Members], int],
    skipped: dict[int, tuple[Path, str]],
    reason: str = "",
) -> int:
    """Load each group of files with one ``insert``; where DuckDB rejects a group, file by
    file, so that a bad file is named in ``skipped`` (after ``reason``) and the rest load."""
    inserted = 0
    for key, members in groups.items():
        try:
            inserted += insert(key, members)
        except duckdb.Error:
            for index, path in members:
                try:
                    inserted += insert(key, [(index, path)])
                except duckdb.Error as error:
                    skipped[index] = (path, f"{reason}{one_line(error)}")
    return inserted
