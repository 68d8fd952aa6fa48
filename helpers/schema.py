"""Catalog columns as data: a name, a DuckDB type and what it means.

Each log source declares its catalog table as a tuple of :class:`Column`;
the catalog creates tables from it and the data dictionary
(``gameday describe``, ``datasets/README.md``) is printed from it, so the
two never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa


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


def frame(schema: pa.Schema, n: int, **columns: Any) -> pa.Table:
    """``n`` rows of a generator frame from arrays, numpy arrays or scalars.

    A column not given is all nulls, so a storyline names only what it knows and a
    writer fills the rest (ids, sizes) the way AWS would.

    >>> frame(pa.schema([("a", pa.int32()), ("b", pa.string())]), 2, a=7).to_pylist()
    [{'a': 7, 'b': None}, {'a': 7, 'b': None}]
    """
    unknown = set(columns) - set(schema.names)
    if unknown:
        raise TypeError(f"not columns of this frame: {', '.join(sorted(unknown))}")
    arrays = []
    for f in schema:
        v = columns.get(f.name)
        if isinstance(v, pa.ChunkedArray):
            v = v.combine_chunks()
        if isinstance(v, pa.Array):
            arrays.append(v.cast(f.type))
        elif isinstance(v, np.ndarray | list):
            arrays.append(pa.array(v, type=f.type))
        elif v is None:
            arrays.append(pa.nulls(n, f.type))
        else:
            arrays.append(pa.repeat(pa.scalar(v, type=f.type), n))
    return pa.Table.from_arrays(arrays, schema=schema)
