"""Benchmark the CloudTrail writer: 1,000,000 events of about 1 KB, in chunks of 150k.

Builds a synthetic FRAME with numpy/pyarrow (vectorised, no loop per event),
then times write_native (render + gzip + write + catalog rows) chunk by chunk,
at gzip levels 1 and 6.

    .venv/bin/python benchmarks/bench_cloudtrail.py               # 1M events, levels 1 and 6
    .venv/bin/python benchmarks/bench_cloudtrail.py 200000 1,2 3  # 200k, levels 1 and 2, 3 times

The machine is shared: compare the best of a few runs, and the CPU seconds.
"""

from __future__ import annotations

import itertools
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers.cloudtrail import FRAME, WINDOW_MS, write_native

ACCOUNT = "123456789012"
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
SPAN_MS = 24 * 3600 * 1000
CHUNK = 150_000

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _uuids(rng: np.random.Generator, n: int) -> pa.Array:
    """n random uuid4-looking strings, built as one byte buffer."""
    nibbles = rng.integers(0, 16, size=(n, 32), dtype=np.uint8)
    nibbles[:, 12] = 4
    chars = np.full((n, 36), ord("-"), dtype=np.uint8)
    for dst, src in ((0, 0), (9, 8), (14, 12), (19, 16), (24, 20)):
        width = 8 if dst == 0 else (12 if dst == 24 else 4)
        chars[:, dst : dst + width] = _HEX[nibbles[:, src : src + width]]
    offsets = np.arange(0, 36 * (n + 1), 36, dtype=np.int32)
    return pa.Array.from_buffers(
        pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes())]
    )


def _pick(rng: np.random.Generator, pool: list, n: int, p: list[float] | None = None) -> np.ndarray:
    return rng.choice(len(pool), size=n, p=p)


def synthetic_frame(n: int, seed: int = 7) -> pa.Table:
    """A FRAME table of n events spread over one day, sorted by time, ~1 KB per record."""
    rng = np.random.default_rng(seed)
    times = np.sort(rng.integers(START_MS, START_MS + SPAN_MS, size=n))
    regions = ["us-east-1", "us-west-2", "eu-west-1", "ap-southeast-2"]
    calls = [  # (source, name, read_only, request parameters)
        ("ec2.amazonaws.com", "DescribeInstances", True, {"instancesSet": {}, "filterSet": {}}),
        ("s3.amazonaws.com", "GetObject", True, {"bucketName": "app-data-prod", "key": "k/x"}),
        ("iam.amazonaws.com", "ListUsers", True, None),
        ("sts.amazonaws.com", "AssumeRole", False, {"roleArn": f"arn:aws:iam::{ACCOUNT}:role/app"}),
        ("iam.amazonaws.com", "CreateAccessKey", False, {"userName": "deploy"}),
        ("kms.amazonaws.com", "Decrypt", True, {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
        ("lambda.amazonaws.com", "Invoke", False, {"functionName": "resize-images"}),
    ]
    call = _pick(rng, calls, n, [0.3, 0.25, 0.1, 0.1, 0.05, 0.1, 0.1])
    params = [
        json.dumps(
            {**c[3], "maxResults": 1000, "filter": [{"name": "tag:env", "values": ["prod"]}] * 3},
            separators=(",", ":"),
        )
        if c[3]
        else None
        for c in calls
    ]
    agents = [
        "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1016-aws exe/x86_64.ubuntu.22 prompt/off "
        "command/ec2.describe-instances",
        "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.12.2 "
        "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/122.0.0.0 Safari/537.36",
        "aws-sdk-go-v2/1.25.3 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/s3#1.51.4",
    ]
    who = rng.integers(0, 3, size=n)  # 0 IAMUser, 1 AssumedRole, 2 AWSService
    user = rng.integers(0, 40, size=n)

    def col(values: np.ndarray, mask: np.ndarray) -> pa.Array:
        return pa.array(values, pa.string(), mask=~mask)

    names = np.array([f"svc-user-{i:02d}" for i in range(40)], dtype=object)
    is_user, is_role, is_svc = who == 0, who == 1, who == 2
    role_names = np.array([f"app-role-{i:02d}" for i in range(40)], dtype=object)
    session = np.array([f"i-0{i:015x}" for i in range(40)], dtype=object)
    arns = np.where(
        is_user,
        f"arn:aws:iam::{ACCOUNT}:user/" + names[user],
        f"arn:aws:sts::{ACCOUNT}:assumed-role/" + role_names[user] + "/" + session[user],
    )
    keys = np.array([f"AKIA{i:016X}" for i in range(40)], dtype=object)
    temp_keys = np.array([f"ASIA{i * 7919:016X}" for i in range(40)], dtype=object)
    ips = np.array(
        [f"{a}.{b}.{c}.{d}" for a, b, c, d in rng.integers(1, 255, size=(2000, 4))], dtype=object
    )
    events = {
        "event_time": pa.array(times, pa.timestamp("ms", tz="UTC")),
        "event_version": pa.array(np.full(n, "1.09", dtype=object), pa.string()),
        "event_source": pa.array([c[0] for c in calls]).take(call),
        "event_name": pa.array([c[1] for c in calls]).take(call),
        "aws_region": pa.array(regions).take(_pick(rng, regions, n, [0.55, 0.25, 0.15, 0.05])),
        "source_ip": col(ips[rng.integers(0, 2000, size=n)], ~is_svc),
        "user_agent": pa.array(agents).take(_pick(rng, agents, n)),
        "identity_type": pa.array(["IAMUser", "AssumedRole", "AWSService"]).take(who),
        "principal_id": col(np.array([f"AIDA{i:017X}" for i in range(40)], object)[user], ~is_svc),
        "arn": col(arns, ~is_svc),
        "account_id": col(np.full(n, ACCOUNT, dtype=object), ~is_svc),
        "access_key_id": col(np.where(is_user, keys[user], temp_keys[user]), ~is_svc),
        "user_name": col(names[user], is_user),
        "invoked_by": col(np.full(n, "ec2.amazonaws.com", dtype=object), is_svc),
        "issuer_type": col(np.full(n, "Role", dtype=object), is_role),
        "issuer_principal_id": col(
            np.array([f"AROA{i:017X}" for i in range(40)], object)[user], is_role
        ),
        "issuer_arn": col(f"arn:aws:iam::{ACCOUNT}:role/" + role_names[user], is_role),
        "issuer_account_id": col(np.full(n, ACCOUNT, dtype=object), is_role),
        "issuer_user_name": col(role_names[user], is_role),
        "session_created": pa.array(times - 600_000, pa.timestamp("ms", tz="UTC"), mask=~is_role),
        "mfa_authenticated": pa.array(np.zeros(n, dtype=bool), mask=~is_role),
        "console_session": pa.array(np.zeros(n, dtype=bool)),
        "error_code": col(np.full(n, "AccessDenied", dtype=object), rng.random(n) < 0.03),
        "request_parameters": pa.array(params, pa.string()).take(call),
        "response_elements": pa.nulls(n, pa.string()),
        "additional_event_data": pa.nulls(n, pa.string()),
        "resources": pa.nulls(n, pa.string()),
        "service_event_details": pa.nulls(n, pa.string()),
        "request_id": _uuids(rng, n),
        "event_id": _uuids(rng, n),
        "read_only": pa.array([c[2] for c in calls]).take(call),
        "event_type": pa.array(np.full(n, "AwsApiCall", dtype=object), pa.string()),
        "management_event": pa.array(np.ones(n, dtype=bool)),
        "event_category": pa.array(np.full(n, "Management", dtype=object), pa.string()),
        "recipient_account_id": pa.array(np.full(n, ACCOUNT, dtype=object), pa.string()),
        "shared_event_id": pa.nulls(n, pa.string()),
        "tls_version": col(np.full(n, "TLSv1.3", dtype=object), ~is_svc),
        "cipher_suite": col(np.full(n, "TLS_AES_128_GCM_SHA256", dtype=object), ~is_svc),
        "tls_host": pa.array([f"{c[0].split('.')[0]}.us-east-1.amazonaws.com" for c in calls]).take(
            call
        ),
    }
    denied = pc_denied(events["error_code"])
    events["error_message"] = col(
        np.full(n, f"User: arn:aws:iam::{ACCOUNT}:user/x is not authorized to perform", object),
        denied,
    )
    return pa.table({name: events[name] for name in FRAME.names}, schema=FRAME)


def pc_denied(error_code: pa.Array) -> np.ndarray:
    return ~np.asarray(error_code.is_null().to_numpy(zero_copy_only=False))


def chunks(frame: pa.Table, size: int) -> list[pa.Table]:
    """Cut the time-sorted frame near every ``size`` rows, on 5-minute boundaries."""
    windows = frame["event_time"].cast(pa.int64()).to_numpy() // WINDOW_MS
    cuts = [0]
    while cuts[-1] + size < frame.num_rows:
        window = windows[cuts[-1] + size]
        cut = int(np.searchsorted(windows, window, side="left"))
        if cut <= cuts[-1]:  # one window holds more than size events: keep it whole
            cut = int(np.searchsorted(windows, window, side="right"))
        cuts.append(cut)
    cuts.append(frame.num_rows)
    return [frame.slice(a, b - a) for a, b in itertools.pairwise(cuts) if b > a]


def run(level: int, frame: pa.Table) -> None:
    out = Path(tempfile.mkdtemp(prefix="bench-cloudtrail-"))
    try:
        parts = chunks(frame, CHUNK)
        before = peak_mb()
        wall, cpu = time.perf_counter(), time.process_time()
        rows = record_bytes = 0
        for part in parts:
            table = write_native(part, out, ACCOUNT, salt="bench", gzip_level=level)
            rows += table.num_rows
            record_bytes += pc.sum(pc.binary_length(table["record"])).as_py()
            del table
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        files = list(out.rglob("*.json.gz"))
        written = sum(f.stat().st_size for f in files)
        print(
            f"gzip level {level}: {rows:,} events in {len(parts)} chunks: {wall:.2f} s "
            f"({cpu:.1f} CPU-s), {rows / wall:,.0f} events/s; "
            f"{record_bytes / rows:,.0f} B per record, {record_bytes / 1e6:,.0f} MB of JSON "
            f"-> {written / 1e6:,.1f} MB gzip in {len(files)} files; "
            f"peak RSS {before:,.0f} -> {peak_mb():,.0f} MB"
        )
    finally:
        shutil.rmtree(out)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    levels = [int(x) for x in sys.argv[2].split(",")] if len(sys.argv) > 2 else [1, 6]
    repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    t0 = time.perf_counter()
    frame = synthetic_frame(n)
    print(f"built a {n:,}-event frame in {time.perf_counter() - t0:.2f} s")
    for _ in range(repeat):
        for level in levels:
            run(level, frame)


if __name__ == "__main__":
    main()
