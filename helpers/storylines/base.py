"""What a storyline is: steps in order, the events each leaves, and its questions.

A storyline module reads like the incident's script. It declares its
:class:`Step` s (each with its ATT&CK technique and the sources it leaves
traces in) and its questions, and :meth:`Storyline.inject` turns a world and a
seed into the events of each source plus the ground truth: which event belongs
to which step (for the trainer's key only) and the *facts* the questions'
answers are derived from.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa

from helpers import cloudtrail, sources, vpcflow
from helpers.background import Incident
from helpers.quiz.question import Question
from helpers.world import World


@dataclass(frozen=True)
class Step:
    """One step of an attack, as the debrief walks through it."""

    id: str
    title: str
    technique: str  # MITRE ATT&CK id, e.g. T1078.004
    tactic: str
    sources: tuple[str, ...]  # cloudtrail, vpc_flow, guardduty
    prevent: str = ""
    detect: str = ""
    investigate: str = ""


@dataclass
class Injection:
    """A storyline's events for one world and seed, with their ground truth.

    CloudTrail, flows and findings have their own lists; the side sources of
    :mod:`helpers.sources` (``web``, ``s3_access``, ``dns``) go through :meth:`add`.
    Decoys (:meth:`add_decoy`) are written to the logs like any event but are not
    the incident's: they stay out of the ground truth and the timeline.
    ``cloudtrail_gaps`` are [start, end) epoch-ms windows in which the trail was
    not logging: the generator drops every CloudTrail record inside them.
    """

    cloudtrail: list[tuple[str, pa.Table]] = field(default_factory=list)  # (step id, FRAME rows)
    flows: list[tuple[str, pa.Table]] = field(default_factory=list)  # (step id, flow FRAME rows)
    findings: list[tuple[str, dict]] = field(default_factory=list)  # (step id, finding version)
    side: dict[str, list[tuple[str, pa.Table]]] = field(default_factory=dict)  # source -> steps
    decoys: dict[str, list[pa.Table]] = field(default_factory=dict)  # source -> tables
    cloudtrail_gaps: list[tuple[int, int]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def add_events(self, step: str, table: pa.Table) -> pa.Table:
        self.cloudtrail.append((step, table))
        return table

    def add_flows(self, step: str, table: pa.Table) -> pa.Table:
        self.flows.append((step, table))
        return table

    def add_finding(self, step: str, finding: dict) -> dict:
        self.findings.append((step, finding))
        return finding

    def add(self, source: str, step: str, table: pa.Table) -> pa.Table:
        """Events of ``step`` in a side source: ``web``, ``s3_access`` or ``dns``."""
        spec = sources.BY_NAME.get(source)
        if spec is None:
            raise ValueError(f"unknown source {source!r}: one of {', '.join(sources.BY_NAME)}")
        self.side.setdefault(source, []).append((step, table.cast(spec.frame)))
        return table

    def add_decoy(self, source: str, table: pa.Table) -> pa.Table:
        """Events that look like the incident but are not (``cloudtrail``, ``vpc_flow`` or a
        side source): in the logs, never in the ground truth."""
        self.decoys.setdefault(source, []).append(table)
        return table

    def cloudtrail_table(self) -> pa.Table:
        tables = [t for _, t in self.cloudtrail] + self.decoys.get("cloudtrail", [])
        return pa.concat_tables(tables) if tables else cloudtrail.FRAME.empty_table()

    def flows_table(self) -> pa.Table:
        tables = [t for _, t in self.flows] + self.decoys.get("vpc_flow", [])
        return pa.concat_tables(tables) if tables else vpcflow.FRAME.empty_table()

    def side_tables(self) -> dict[str, pa.Table]:
        """Each side source's injected events, decoys included, in its frame's schema."""
        out = {}
        for spec in sources.SIDE_SOURCES:
            tables = [t for _, t in self.side.get(spec.name, [])]
            tables += [t.cast(spec.frame) for t in self.decoys.get(spec.name, [])]
            out[spec.name] = pa.concat_tables(tables) if tables else spec.frame.empty_table()
        return out

    def ground_truth(self, steps: tuple[Step, ...]) -> list[dict]:
        """One row per injected event: step, technique, source, event id, time."""
        technique = {s.id: s.technique for s in steps}
        rows: list[dict] = []
        for step, t in self.cloudtrail:
            for eid, when in zip(
                t.column("event_id").to_pylist(), t.column("event_time").to_pylist(), strict=True
            ):
                rows.append(
                    {
                        "step": step,
                        "technique": technique[step],
                        "source": "cloudtrail",
                        "event_id": eid,
                        "time": when.isoformat().replace("+00:00", "Z"),
                    }
                )
        for step, t in self.flows:
            cols = t.select(["interface_id", "srcaddr", "srcport", "dstaddr", "dstport", "start"])
            for eni, src, sp, dst, dp, start in zip(
                *(c.to_pylist() for c in cols.columns), strict=True
            ):
                rows.append(
                    {
                        "step": step,
                        "technique": technique[step],
                        "source": "vpc_flow",
                        "event_id": f"{eni} {src}:{sp} > {dst}:{dp} @{start}",
                        "time": np.datetime64(start, "s").astype(str) + "Z",
                    }
                )
        for source, steps in self.side.items():
            spec = sources.BY_NAME[source]
            for step, t in steps:
                ids = [_text(t.column(c)) for c in spec.id_columns]
                for eid, when in zip(
                    zip(*ids, strict=True), _text(t.column(spec.time_column)), strict=True
                ):
                    rows.append(
                        {
                            "step": step,
                            "technique": technique[step],
                            "source": source,
                            "event_id": " ".join(eid),
                            "time": when,
                        }
                    )
        seen: set[str] = set()
        for step, f in self.findings:
            if f["id"] in seen:
                continue
            seen.add(f["id"])
            rows.append(
                {
                    "step": step,
                    "technique": technique[step],
                    "source": "guardduty",
                    "event_id": f["id"],
                    "time": f["service"]["eventFirstSeen"],
                }
            )
        return rows

    def timeline(self, steps: tuple[Step, ...]) -> list[dict]:
        """The incident in a few dozen rows: per step, source and action, first and last time.

        This is what the sealed debrief shows once every question is solved.
        """
        order = {s.id: i for i, s in enumerate(steps)}
        technique = {s.id: s.technique for s in steps}
        groups: dict[tuple[str, str, str], list] = {}

        def add(step: str, source: str, what: str, first: str, last: str, n: int) -> None:
            g = groups.setdefault((step, source, what), [first, last, 0])
            g[0], g[1], g[2] = min(g[0], first), max(g[1], last), g[2] + n

        for step, t in self.cloudtrail:
            agg = t.group_by("event_name").aggregate(
                [("event_time", "min"), ("event_time", "max"), ("event_time", "count")]
            )
            for row in agg.to_pylist():
                add(
                    step,
                    "cloudtrail",
                    row["event_name"],
                    _iso(row["event_time_min"]),
                    _iso(row["event_time_max"]),
                    row["event_time_count"],
                )
        for step, t in self.flows:
            agg = t.group_by(["dstaddr", "dstport"]).aggregate(
                [("start", "min"), ("end", "max"), ("start", "count")]
            )
            for row in agg.to_pylist():
                add(
                    step,
                    "vpc_flow",
                    f"flows to {row['dstaddr']}:{row['dstport']}",
                    _epoch_iso(row["start_min"]),
                    _epoch_iso(row["end_max"]),
                    row["start_count"],
                )
        for source, steps in self.side.items():
            spec = sources.BY_NAME[source]
            for step, t in steps:
                what = spec.what(t)
                grouped = pa.table({"what": what, "time": t[spec.time_column]})
                agg = grouped.group_by("what").aggregate(
                    [("time", "min"), ("time", "max"), ("time", "count")]
                )
                for row in agg.to_pylist():
                    add(
                        step,
                        source,
                        str(row["what"]),
                        _iso(row["time_min"]),
                        _iso(row["time_max"]),
                        row["time_count"],
                    )
        for step, f in self.findings:
            add(
                step,
                "guardduty",
                f["type"],
                f["service"]["eventFirstSeen"],
                f["service"]["eventLastSeen"],
                1,
            )
        rows = [
            {
                "step": step,
                "technique": technique[step],
                "source": source,
                "what": what,
                "first": first,
                "last": last,
                "count": n,
            }
            for (step, source, what), (first, last, n) in groups.items()
        ]
        return sorted(rows, key=lambda r: (order[r["step"]], r["first"]))


def _iso(value) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _text(column: pa.ChunkedArray) -> list[str]:
    """A column as ground-truth text: times in ISO form with Z, nulls as "-"."""
    if pa.types.is_timestamp(column.type):
        return [_iso(v) if v is not None else "-" for v in column.to_pylist()]
    return ["-" if v is None else str(v) for v in column.to_pylist()]


def _epoch_iso(seconds: int) -> str:
    return str(np.datetime64(int(seconds), "s")) + ".000Z"


class Storyline(ABC):
    """An incident: its steps, its questions, and how it leaves its traces."""

    name: str
    title: str
    summary: str
    steps: tuple[Step, ...]
    questions: tuple[Question, ...]
    #: What a careless learner types for each question with a known-wrong nudge: the
    #: tests run these and expect the nudge (or, for ``naive_may_solve``, the answer).
    naive_queries: dict[str, list[str]] = {}  # noqa: RUF012 - read-only class data
    #: Questions whose decoy can be the answer itself on some seeds.
    naive_may_solve: frozenset[str] = frozenset()

    @abstractmethod
    def plan(self, world: World, rng: np.random.Generator) -> Incident:
        """When the incident happens in the world's week (the background needs it)."""

    @abstractmethod
    def inject(self, world: World, rng: np.random.Generator, incident: Incident) -> Injection:
        """The incident's events in every source, with the facts its questions need."""

    def naive_facts(self, con) -> dict:
        """What careless queries return on the built catalog (the known-wrong answers'
        values), merged into the facts; none by default."""
        return {}

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)
