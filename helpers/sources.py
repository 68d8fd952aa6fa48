"""The log sources the generator builds beside CloudTrail, VPC flows and GuardDuty.

Each is a frame of event columns (what storylines and the background build), a
native writer that turns one chunk of that frame into AWS's files and catalog
rows, and a background that builds the ordinary week's events chunk by chunk.
They share nothing with CloudTrail but the world, so they are built in the
second process with the flows (see :func:`helpers.generate.side_week`).

A source's ``writer`` module provides ``write_native(frame, raw, world, salt) ->
{table: rows}``; each of its ``readers`` modules provides the catalog ``TABLE``,
``looks_like(path, head)`` and ``read_files(con, files, progress)`` (for ``gameday
ingest``); its background class is built as ``Class(world, rate, incident)`` and
called ``.frame(chunk) -> pa.Table`` (rows of :attr:`SideSource.frame`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from helpers import resolver, s3access, web


@dataclass(frozen=True)
class SideSource:
    """A source built in the side process: web requests (ALB + WAF), S3 access, DNS."""

    name: str  # the key storylines inject under: Injection.add(name, step, table)
    frame: pa.Schema
    readers: tuple[str, ...]  # modules with TABLE, looks_like, read_files: one per table
    id_columns: tuple[str, ...]  # identify one event in the trainer's ground truth
    what: Callable[[pa.Table], pa.Array]  # what the debrief timeline groups events by
    writer: str  # "module" whose write_native(frame, raw, world, salt) -> {table: rows}
    background: str  # "module:Class" building the ordinary week's frame per chunk
    time_column: str = "time"

    def available(self) -> bool:
        """Whether its modules are built (a test asserts every source is)."""
        try:
            writer = importlib.import_module(self.writer)
            module, cls = self.background.split(":")
            background = importlib.import_module(module)
            readers = [importlib.import_module(m) for m in self.readers]
        except ImportError:
            return False
        return (
            hasattr(writer, "write_native")
            and hasattr(background, cls)
            and all(hasattr(r, "TABLE") and hasattr(r, "read_files") for r in readers)
        )

    def reader_modules(self) -> list:
        return [importlib.import_module(m) for m in self.readers]

    def write_native(self, frame: pa.Table, raw: Path, world, salt: str) -> dict[str, pa.Table]:
        return importlib.import_module(self.writer).write_native(frame, raw, world, salt)

    def background_for(self, world, rate: float, incident) -> Callable:
        module, cls = self.background.split(":")
        return getattr(importlib.import_module(module), cls)(world, rate, incident).frame


SIDE_SOURCES: tuple[SideSource, ...] = (
    SideSource(
        "web",
        web.REQUESTS,
        ("helpers.alb", "helpers.waf"),
        id_columns=("request_id",),
        what=lambda t: pc.binary_join_element_wise(
            "requests from", t["client_ip"], "answered", pc.cast(t["status"], pa.string()), " "
        ),
        writer="helpers.web",
        background="helpers.webtraffic:WebTraffic",
    ),
    SideSource(
        "s3_access",
        s3access.FRAME,
        ("helpers.s3access",),
        id_columns=("request_id",),
        what=lambda t: pc.binary_join_element_wise(t["operation"], "on", t["bucket"], " "),
        writer="helpers.s3access",
        background="helpers.objects:ObjectTraffic",
    ),
    SideSource(
        "dns",
        resolver.FRAME,
        ("helpers.resolver",),
        id_columns=("srcaddr", "query_name", "time"),
        what=lambda t: pc.binary_join_element_wise(
            t["query_type"], "queries for", pc.binary_join_element_wise("*.", _domain(t), ""), " "
        ),
        writer="helpers.resolver",
        background="helpers.dnstraffic:DnsTraffic",
    ),
)
BY_NAME = {s.name: s for s in SIDE_SOURCES}


def _domain(t: pa.Table) -> pa.ChunkedArray:
    """The last two labels of each query name: what a timeline groups DNS queries by."""
    return pc.struct_field(pc.extract_regex(t["query_name"], r"(?P<d>[^.]+\.[^.]+)\.?$"), "d")


def available() -> tuple[SideSource, ...]:
    """The side sources whose modules are built."""
    return tuple(s for s in SIDE_SOURCES if s.available())
