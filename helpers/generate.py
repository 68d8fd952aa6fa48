"""``gameday generate``: storyline + seed -> native files + DuckDB catalog + answer key.

Data flows one way. The week is cut into chunks aligned to 5 minutes; for each
chunk the background and the storyline's events are built as columns, written
as AWS's native files and appended to the catalog, so memory stays bounded at
any scale. The answer key (plaintext answers and ground truth) goes outside the
data set; the data set gets only hashed answers.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import shutil
import sys
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from helpers import cloudtrail, guardduty, sources, vpcflow
from helpers.background import MS_DAY, Background, Chunk
from helpers.catalog import PARQUET_FOLDER, CatalogWriter, finish_catalog
from helpers.errors import DatasetError, UsageError
from helpers.findings import benign_findings
from helpers.paths import (
    DEFAULT_SCALE,
    DEFAULT_SCENARIO,
    DEFAULT_SEED,
    default_dataset_dir,
    default_key_path,
)
from helpers.quiz import unlock
from helpers.quiz.answers import Checker, answer_key, expected_normalised, write_answers
from helpers.quiz.normalise import Rules
from helpers.storylines import get_storyline, questions_for
from helpers.traffic import Traffic
from helpers.world import build_world


@dataclass(frozen=True)
class Scale:
    """How busy the account is: a rate multiplier and the chunk size that keeps memory low."""

    name: str
    rate: float
    chunk_minutes: int
    description: str
    #: Hand each chunk's freed Arrow memory back to the system (see _release_unused):
    #: needed where 672 chunks would pile up, a second lost at the workshop scale.
    release_memory: bool = False


SCALES = {
    "small": Scale("small", 0.05, 24 * 60, "for tests: about 50k CloudTrail events, seconds"),
    "workshop": Scale(  # chunks of ~40k events and ~90k flows
        "workshop", 1.0, 6 * 60, "the default: 7 days, about 1M CloudTrail events, 2M flows"
    ),
    "large": Scale("large", 50.0, 15, "at least 50M CloudTrail events, in 15-minute chunks", True),
}

#: What the generator writes into a data set folder (and --force may remove).
GENERATED = (
    "raw",
    "tables",
    "gameday.duckdb",
    "gameday.duckdb.wal",
    "dataset.json",
    "answers.json",
    "debrief.sealed.json",
    ".flow-spool",
)


#: The warm-up's count: people who signed in to the console successfully (a spray's
#: failures are not sign-ins).
CONSOLE_USERS_SQL = (
    "SELECT count(DISTINCT user_name) FROM cloudtrail WHERE event_name = 'ConsoleLogin' "
    "AND response_elements->>'ConsoleLogin' = 'Success'"
)


@dataclass(frozen=True)
class Generated:
    """What ``generate`` made, for the CLI's report and for tests."""

    out: Path
    key_path: Path
    counts: dict[str, int]
    seconds: float


def check_options(scenario: str, seed: Any, scale: str) -> None:
    get_storyline(scenario)
    if scale not in SCALES:
        raise UsageError(f"unknown scale {scale!r}: choose one of {', '.join(SCALES)}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise UsageError(f"--seed must be a whole number >= 0, not {seed!r}")


def prepare_out(out: Path, force: bool) -> None:
    """Make ``out`` ready; refuse to overwrite without ``force``; with it, remove only ours."""
    if out.exists() and not out.is_dir():
        raise DatasetError(f"--out {out} is a file, not a folder")
    if out.exists() and any(out.iterdir()):
        if not force:
            raise DatasetError(
                f"--out {out} already holds files: pass --force to replace the data set "
                "(only what the generator wrote is removed)"
            )
        for name in GENERATED:
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise DatasetError(f"--out {out} is not writable: {exc.strerror or exc}") from None


def _progress(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        unit="chunk",
        desc="generating",
        file=sys.stderr,
        disable=None if enabled else True,
    )


def _slice(table: pa.Table, column: str, start, end) -> pa.Table:
    col = table.column(column)
    mask = pc.and_(pc.greater_equal(col, start), pc.less(col, end))
    return table.filter(mask)


def generate(
    scenario: str = DEFAULT_SCENARIO,
    seed: int = DEFAULT_SEED,
    scale: str = DEFAULT_SCALE,
    out: Path | None = None,
    force: bool = False,
    key_out: Path | None = None,
    progress: bool = True,
) -> Generated:
    """Generate a data set: native logs under ``out/raw``, ``out/gameday.duckdb``, the key.

    >>> generate("leaked-key", 7, "small", Path("/tmp/ds"), force=True)  # doctest: +SKIP
    """
    import time

    started = time.perf_counter()
    check_options(scenario, seed, scale)
    seed = int(seed)
    sc = SCALES[scale]
    out = Path(out) if out is not None else default_dataset_dir(scenario)
    prepare_out(out, force)
    key_path = Path(key_out) if key_out is not None else default_key_path(out)

    storyline = get_storyline(scenario)
    world = build_world(seed)
    rng = np.random.default_rng([seed, 3])
    incident = storyline.plan(world, rng)
    background = Background(world, sc.rate, incident)
    injection = storyline.inject(world, rng, incident)
    injected_ct = injection.cloudtrail_table()

    raw = out / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    salt = f"{scenario}:{seed}:{scale}"
    week_start = int(world.start.timestamp() * 1000)
    step = sc.chunk_minutes * 60_000
    starts = range(week_start, week_start + world.days * MS_DAY, step)
    # VPC flows and the side sources share nothing with CloudTrail but the world: a
    # process of their own builds and writes them on the second core meanwhile.
    spool = out / ".flow-spool"
    spool.mkdir(exist_ok=True)
    flow_pool = ProcessPoolExecutor(max_workers=1, mp_context=_process_context())
    flow_job = flow_pool.submit(
        side_week,
        world,
        sc.rate,
        incident,
        injection.flows_table(),
        injection.side_tables(),
        starts,
        step,
        raw,
        salt,
        spool,
    )
    gaps = injection.cloudtrail_gaps
    db_path = out / "gameday.duckdb"
    events_dir = out / cloudtrail.EVENTS_FOLDER
    events_dir.mkdir(parents=True, exist_ok=True)
    writer = CatalogWriter(db_path)
    con = writer.con
    counts: dict[str, int] = {"cloudtrail": 0, "vpc_flow": 0, "guardduty": 0}
    try:
        bar = _progress(len(starts), progress)
        for index, start in enumerate(starts):
            chunk = Chunk(index, start, start + step)
            lo = pa.scalar(start, pa.timestamp("ms", tz="UTC"))
            hi = pa.scalar(start + step, pa.timestamp("ms", tz="UTC"))
            ct = pa.concat_tables(
                [background.cloudtrail(chunk), _slice(injected_ct, "event_time", lo, hi)]
            )
            if gaps:
                ct = _without_gaps(ct, gaps)
            rows = cloudtrail.write_native(ct, raw, world.account_id, salt, rows="events")
            writer.write_parquet(
                cloudtrail.events_parquet(rows), events_dir / f"{index:05d}.parquet"
            )
            counts["cloudtrail"] += rows.num_rows
            del ct, rows
            if sc.release_memory:
                _release_unused()

            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.close()

        findings = benign_findings(world, np.random.default_rng([seed, 31])) + [
            f for _, f in injection.findings
        ]
        rows = guardduty.write_native(findings, raw, salt)
        writer.append("guardduty", rows)
        counts["guardduty"] = rows.num_rows
        con = writer.close()
        for table, n in flow_job.result().items():
            counts[table] = n
            if n:  # the side process's Parquet files are the table's rows
                (spool / table).rename(out / PARQUET_FOLDER / table)
        finish_catalog(con, dataset=out)

        facts = dict(injection.facts)
        facts.update(
            account_id=world.account_id,
            home_region=world.home_region,
            console_users=con.execute(CONSOLE_USERS_SQL).fetchone()[0],
            new_hire=background.new_hire,
        )
        facts.update(storyline.naive_facts(con))
    finally:
        writer.close(raise_errors=False).close()
        flow_pool.shutdown(cancel_futures=True)
        shutil.rmtree(spool, ignore_errors=True)

    questions = questions_for(scenario)
    write_answers(out, questions, facts)
    _write_sealed_debrief(out, questions, facts, injection.timeline(storyline.steps))
    _write_dataset_json(out, scenario, scale, world, counts, storyline)
    _write_key(key_path, out, scenario, seed, scale, questions, facts, injection, storyline)
    return Generated(
        out=out, key_path=key_path, counts=counts, seconds=time.perf_counter() - started
    )


def _process_context() -> mp.context.BaseContext:
    """fork where it is safe (Linux): no re-import of the caller's script, which
    spawn needs guarded by ``if __name__ == "__main__"``; spawn elsewhere."""
    return mp.get_context("fork" if sys.platform.startswith("linux") else "spawn")


def _without_gaps(ct: pa.Table, gaps: list[tuple[int, int]]) -> pa.Table:
    """CloudTrail minus the records of windows in which the trail was not logging."""
    ms = pc.cast(ct.column("event_time"), pa.int64())
    silent = pa.repeat(False, ct.num_rows)
    for first, last in gaps:
        silent = pc.or_(silent, pc.and_(pc.greater_equal(ms, first), pc.less(ms, last)))
    return ct.filter(pc.invert(silent))


def side_week(
    world,
    rate: float,
    incident,
    injected_flows: pa.Table,
    injected: dict[str, pa.Table],
    starts: range,
    step: int,
    raw: Path,
    salt: str,
    spool: Path,
) -> dict[str, int]:
    """The week's VPC flow records and side sources (web, S3 access, DNS): built, written
    as native files, and spooled as Parquet per catalog table, chunk by chunk. Runs in a
    process of its own; returns the rows per catalog table."""
    traffic = Traffic(world, rate)
    side = [
        (spec, spec.background_for(world, rate, incident), injected[spec.name])
        for spec in sources.available()
    ]
    carry = vpcflow.FRAME.empty_table()
    totals: dict[str, int] = {"vpc_flow": 0}
    for index, start in enumerate(starts):
        chunk = Chunk(index, start, start + step)
        end_s = (start + step) // 1000
        # A flow file holds the records whose interval ends in its 5-minute window, so
        # a flow that starts in this chunk and ends in the next waits for the next.
        flows = pa.concat_tables(
            [carry, traffic.flows(chunk), _slice(injected_flows, "end", start // 1000, end_s)]
        )
        if index + 1 < len(starts):
            ends_here = pc.less(flows.column("end"), end_s)
            carry = flows.filter(pc.invert(ends_here))
            flows = flows.filter(ends_here)
        rows = vpcflow.write_native(flows, raw, salt, threads=1)
        _spool(spool, "vpc_flow", index, rows, totals)

        lo = pa.scalar(start, pa.timestamp("ms", tz="UTC"))
        hi = pa.scalar(start + step, pa.timestamp("ms", tz="UTC"))
        for spec, background, events in side:
            frame = pa.concat_tables([background(chunk), _slice(events, spec.time_column, lo, hi)])
            for table, rows in spec.write_native(frame, raw, world, salt).items():
                _spool(spool, table, index, rows, totals)
    return totals


def _release_unused() -> None:
    """Hand the chunk's freed Arrow memory back to the system. pyarrow's mimalloc pool
    otherwise keeps it for reuse: at the large scale ~350 MB a process between chunks,
    on top of the next chunk's peak."""
    pa.default_memory_pool().release_unused()


def _spool(spool: Path, table: str, index: int, rows: pa.Table, totals: dict[str, int]) -> None:
    totals[table] = totals.get(table, 0) + rows.num_rows
    if rows.num_rows:
        (spool / table).mkdir(exist_ok=True)
        pq.write_table(
            _naive_times(rows), spool / table / f"{index:05d}.parquet", compression="zstd"
        )


def _naive_times(rows: pa.Table) -> pa.Table:
    """Times as naive UTC: DuckDB reads a zoned Parquet time as TIMESTAMPTZ, which would
    show in the reader's own time zone."""
    for i, f in enumerate(rows.schema):
        if pa.types.is_timestamp(f.type) and f.type.tz is not None:
            rows = rows.set_column(i, f.name, rows.column(i).cast(pa.timestamp(f.type.unit)))
    return rows


def _write_sealed_debrief(out: Path, questions, facts, timeline: list[dict]) -> None:
    """The true timeline, sealed with the answers: a solver's reward, nobody's spoiler."""
    salt = Checker.load(out).salt
    by_id = {q.id: q for q in questions}
    qids = unlock.required(questions)
    tokens = {
        qid: unlock.token(
            salt, qid, by_id[qid].kind, expected_normalised(by_id[qid], facts, Rules.of(by_id[qid]))
        )
        for qid in qids
    }
    unlock.write_sealed(out, {"timeline": timeline}, tokens, qids)


def _write_dataset_json(out: Path, scenario: str, scale: str, world, counts, storyline) -> None:
    meta = {
        "name": out.name,
        "scenario": scenario,
        "title": storyline.title,
        "scale": scale,
        "world": world.summary(),
        "tables": counts,
        "settings": {"wrong_penalty": 0, "hint_floor": 0.1},
    }
    (out / "dataset.json").write_text(json.dumps(meta, indent=2) + "\n")


def _write_key(
    path: Path, out: Path, scenario, seed, scale, questions, facts, injection, storyline
) -> None:
    key = {
        "dataset": out.name,
        "dataset_path": str(out.resolve()),
        "scenario": scenario,
        "seed": seed,
        "scale": scale,
        "answers": answer_key(questions, facts),
        "facts": facts,
        "steps": [s.__dict__ for s in storyline.steps],
        "timeline": injection.timeline(storyline.steps),
        "ground_truth": injection.ground_truth(storyline.steps),
    }
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(key, indent=1, default=str) + "\n")
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    except OSError as exc:
        raise DatasetError(
            f"cannot write the answer key to {path}: {exc.strerror or exc}"
        ) from None
