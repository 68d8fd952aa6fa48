"""How long a data set takes from nothing to a queryable gameday.duckdb, and its peak memory.

    .venv/bin/python benchmarks/bench_generate.py [--scale workshop] [--scenario leaked-key]

Prints one line per run: scale, events per table, seconds, peak resident memory.
The numbers in README come from this script on the 2-core reference machine.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

from helpers.generate import generate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="workshop")
    parser.add_argument("--scenario", default="leaked-key")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="gameday-bench-"))
    try:
        started = time.perf_counter()
        result = generate(
            args.scenario,
            args.seed,
            args.scale,
            tmp / "ds",
            key_out=tmp / "key.json",
            progress=False,
        )
        seconds = time.perf_counter() - started
        me = resource.getrusage(resource.RUSAGE_SELF)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb, child_mb = me.ru_maxrss / 1024, children.ru_maxrss / 1024
        cpu_main = me.ru_utime + me.ru_stime
        cpu_side = children.ru_utime + children.ru_stime
        raw_mb = sum(p.stat().st_size for p in (tmp / "ds" / "raw").rglob("*") if p.is_file()) / 1e6
        files = sum(1 for p in (tmp / "ds" / "raw").rglob("*") if p.is_file())
        db_mb = (tmp / "ds" / "gameday.duckdb").stat().st_size / 1e6
        counts = ", ".join(f"{t} {n:,}" for t, n in result.counts.items())
        print(
            f"generate {args.scenario} scale={args.scale}: {counts}; {seconds:.1f} s; "
            f"CPU {cpu_main:.1f} s main + {cpu_side:.1f} s side process; "
            f"peak RSS {peak_mb:,.0f} MB + side process {child_mb:,.0f} MB; "
            f"{files:,} native files, {raw_mb:,.0f} MB gz; "
            f"catalog {db_mb:,.0f} MB"
        )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
