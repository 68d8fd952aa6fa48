"""Typical investigation queries on a data set, warm: median of several runs.

    .venv/bin/python benchmarks/bench_queries.py [DATASET_DIR]

Defaults to datasets/leaked-key (generate it first: `make dataset`).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import duckdb

from helpers.paths import default_dataset_dir

QUERIES = {
    "events by name for one access key": """
        SELECT event_name, count(*) FROM cloudtrail
        WHERE access_key_id = (SELECT access_key_id FROM cloudtrail
                               WHERE identity_type = 'IAMUser' AND access_key_id LIKE 'AKIA%'
                               LIMIT 1)
        GROUP BY event_name ORDER BY 2 DESC""",
    "distinct source IPs with AccessDenied": """
        SELECT source_ip, count(*) FROM cloudtrail WHERE error_code = 'AccessDenied'
        GROUP BY source_ip ORDER BY 2 DESC""",
    "first and last event per principal": """
        SELECT arn, min(event_time), max(event_time), count(*) FROM cloudtrail GROUP BY arn""",
    "flows to odd ports": """
        SELECT interface_id, dstaddr, dstport, sum(bytes) FROM vpc_flow
        WHERE dstport IN (3333, 4444, 5555, 14444) GROUP BY ALL""",
    "request parameter from JSON": """
        SELECT request_parameters->>'userName' AS user, source_ip FROM cloudtrail
        WHERE event_name = 'CreateUser'""",
}


def main() -> None:
    ds = Path(sys.argv[1]) if len(sys.argv) > 1 else default_dataset_dir()
    con = duckdb.connect(str(ds / "gameday.duckdb"), read_only=True)
    rows = con.execute("SELECT count(*) FROM cloudtrail").fetchone()[0]
    print(f"{ds}: {rows:,} CloudTrail events")
    for name, sql in QUERIES.items():
        con.execute(sql).fetchall()  # warm
        times = []
        for _ in range(7):
            t = time.perf_counter()
            con.execute(sql).fetchall()
            times.append((time.perf_counter() - t) * 1000)
        print(f"  {name}: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")


if __name__ == "__main__":
    main()
