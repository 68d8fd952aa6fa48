"""Typical investigation queries on a data set, warm: median of several runs.

    .venv/bin/python benchmarks/bench_queries.py [DATASET_DIR]

Defaults to datasets/leaked-key (generate it first: `make dataset`).
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from helpers.notebook import Session
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
    "the whole record of one event": """
        SELECT record FROM cloudtrail WHERE event_name = 'CreateAccessKey' LIMIT 5""",
    "404s per client (alb)": """
        SELECT client_ip, count(*) FROM alb WHERE elb_status_code = 404
        GROUP BY ALL ORDER BY 2 DESC LIMIT 10""",
    "rules that only counted (waf)": """
        SELECT count_rules, count(*) FROM waf WHERE count_rules IS NOT NULL GROUP BY ALL""",
    "deletes per bucket and address (s3_access)": """
        SELECT bucket, remote_ip, count(*) FROM s3_access WHERE operation LIKE '%DELETE%'
        GROUP BY ALL ORDER BY 3 DESC""",
    "long DNS names (dns)": """
        SELECT domain, count(*) FROM dns WHERE length(query_name) > 60 GROUP BY ALL""",
}


def main() -> None:
    ds = Path(sys.argv[1]) if len(sys.argv) > 1 else default_dataset_dir()
    con = Session(ds).connect()  # as a notebook opens it
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
