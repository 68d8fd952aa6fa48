"""Catalog columns as data: a name, a DuckDB type and what it means.

Each log source declares its catalog table as a tuple of :class:`Column`;
the catalog creates tables from it and the data dictionary
(``gameday describe``, ``datasets/README.md``) is printed from it, so the
two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of a catalog table."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class Table:
    """A catalog table: its name, what one row is, and its columns in order."""

    name: str
    row: str
    columns: tuple[Column, ...]

    def ddl(self) -> str:
        """``CREATE TABLE`` text for this table.

        >>> Table("t", "a row", (Column("a", "INTEGER", "an int"),)).ddl()
        'CREATE TABLE IF NOT EXISTS t (a INTEGER)'
        """
        cols = ", ".join(f"{c.name} {c.type}" for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.name} ({cols})"

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]
