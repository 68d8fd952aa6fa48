"""VPC Flow Logs: the generator's flow frame, the native writer, the reader, the catalog table.

Flow records are built as columns (:data:`FRAME`), written as version-2 text
files (header line, ``.log.gz``, one file per flow log per 5 minutes) in
AWS's key layout by :func:`write_native`, and read back by :func:`read_files`,
which also takes a learner's real files (any version's fields, in any order,
with or without header, ``-`` values, IPv6, ``.log.gz`` or plain text).
"""

from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers.files import load_groups, one_line, relative
from helpers.gz import LEVEL as GZIP_LEVEL
from helpers.gz import gzip_bytes
from helpers.schema import Column, Table

#: The generator's columns for one flow record (version 2 fields, in order),
#: plus where it is delivered (region, flow log id).
FRAME = pa.schema(
    [
        ("version", pa.int8()),  # always 2 here
        ("account_id", pa.string()),
        ("interface_id", pa.string()),
        ("srcaddr", pa.string()),
        ("dstaddr", pa.string()),
        ("srcport", pa.int32()),  # None -> "-" (ICMP)
        ("dstport", pa.int32()),
        ("protocol", pa.int16()),  # IANA: 6 TCP, 17 UDP, 1 ICMP
        ("packets", pa.int64()),
        ("bytes", pa.int64()),
        ("start", pa.int64()),  # epoch seconds
        ("end", pa.int64()),
        ("action", pa.string()),  # ACCEPT | REJECT
        ("log_status", pa.string()),  # OK | NODATA | SKIPDATA
        ("region", pa.string()),  # delivery: the flow log's region
        ("flow_log_id", pa.string()),  # delivery: fl-...
    ]
)

#: The catalog table ``vpc_flow``: one row per flow record.
TABLE = Table(
    name="vpc_flow",
    row="one VPC flow record: one flow (5-tuple) on one network interface over one interval",
    columns=(
        Column("version", "SMALLINT", "the flow log format version (2 for the default format)"),
        Column(
            "account_id", "VARCHAR", "the account that owns the interface (keeps leading zeros)"
        ),
        Column("interface_id", "VARCHAR", "the network interface (ENI), eni-..."),
        Column("srcaddr", "VARCHAR", "source address (IPv4 or IPv6)"),
        Column("dstaddr", "VARCHAR", "destination address"),
        Column("srcport", "INTEGER", "source port; NULL where it does not apply (ICMP)"),
        Column("dstport", "INTEGER", "destination port; NULL where it does not apply"),
        Column("protocol", "SMALLINT", "IANA protocol number: 6 TCP, 17 UDP, 1 ICMP"),
        Column("packets", "BIGINT", "packets in the interval"),
        Column("bytes", "BIGINT", "bytes in the interval"),
        Column("start_time", "TIMESTAMP", "start of the interval (from epoch seconds), UTC"),
        Column("end_time", "TIMESTAMP", "end of the interval, UTC"),
        Column("action", "VARCHAR", "ACCEPT or REJECT (security group / network ACL)"),
        Column("log_status", "VARCHAR", "OK, NODATA or SKIPDATA"),
        Column("vpc_id", "VARCHAR", "version 3+ only: the VPC; NULL in version 2 logs"),
        Column("subnet_id", "VARCHAR", "version 3+ only: the subnet"),
        Column("instance_id", "VARCHAR", "version 3+ only: the instance behind the interface"),
        Column("tcp_flags", "INTEGER", "version 3+ only: OR of the TCP flags seen"),
        Column("flow_direction", "VARCHAR", "version 5 only: ingress or egress"),
        Column("region", "VARCHAR", "the region, from the file's key (or the version 4 field)"),
        Column("file", "VARCHAR", "the delivery file the record was read from, relative to raw/"),
    ),
)

#: The version 2 (default format) fields in order: the header line of every file
#: the writer delivers, and the order assumed for a file without header.
V2_FIELDS = (
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
)

#: The fields AWS documents for flow log records (versions 2 to 8); custom
#: formats name any of them, in any order, in the header line.
KNOWN_FIELDS = frozenset(
    (
        *V2_FIELDS,
        # version 3
        "vpc-id",
        "subnet-id",
        "instance-id",
        "tcp-flags",
        "type",
        "pkt-srcaddr",
        "pkt-dstaddr",
        # version 4
        "region",
        "az-id",
        "sublocation-type",
        "sublocation-id",
        # version 5
        "pkt-src-aws-service",
        "pkt-dst-aws-service",
        "flow-direction",
        "traffic-path",
        # version 7
        "ecs-cluster-arn",
        "ecs-cluster-name",
        "ecs-container-instance-arn",
        "ecs-container-instance-id",
        "ecs-container-id",
        "ecs-second-container-id",
        "ecs-service-name",
        "ecs-task-definition-arn",
        "ecs-task-arn",
        "ecs-task-id",
        # version 8
        "reject-reason",
    )
)

#: Seconds per delivery file: flow logs publish one file per flow log every 5 minutes.
WINDOW_SECONDS = 300

_ARROW_TYPES = {
    "SMALLINT": pa.int16(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "VARCHAR": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
}

#: The Arrow schema of catalog rows (what :func:`write_native` returns).
ROWS = pa.schema([(c.name, _ARROW_TYPES[c.type]) for c in TABLE.columns])

# flow log field -> catalog column it fills (``region`` is handled on its own:
# the key layout wins over the version 4 field)
_FIELD_COLUMN = {
    "version": "version",
    "account-id": "account_id",
    "interface-id": "interface_id",
    "srcaddr": "srcaddr",
    "dstaddr": "dstaddr",
    "srcport": "srcport",
    "dstport": "dstport",
    "protocol": "protocol",
    "packets": "packets",
    "bytes": "bytes",
    "start": "start_time",
    "end": "end_time",
    "action": "action",
    "log-status": "log_status",
    "vpc-id": "vpc_id",
    "subnet-id": "subnet_id",
    "instance-id": "instance_id",
    "tcp-flags": "tcp_flags",
    "flow-direction": "flow_direction",
}

_HEADER_LINE = (" ".join(V2_FIELDS) + "\n").encode()

# <account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz
_NAME_RE = re.compile(
    r"^(?P<account>\d{12})_vpcflowlogs_(?P<region>[a-z0-9-]+?)_(?P<flow_log_id>fl-[0-9a-z]+)"
    r"_(?P<stamp>\d{8}T\d{4}Z)_(?P<hash>[0-9a-z]+)\.log(?:\.gz)?$"
)
# .../vpcflowlogs/<region>/YYYY/..., or the Hive-compatible .../aws-region=<region>/...
_KEY_REGION_RE = re.compile(
    r"(?:/vpcflowlogs/|/aws-service=vpcflowlogs/aws-region=)(?P<region>[a-z]{2}(?:-[a-z]+)+-\d+)/"
)
_FIELD_NAME_RE = re.compile(r"^[a-z][a-z0-9-]*$")


def write_native(
    frame: pa.Table, raw_dir: Path, salt: str, gzip_level: int = GZIP_LEVEL, threads: int = 2
) -> pa.Table:
    """Write flow records as the version 2 ``.log.gz`` files AWS delivers; return catalog rows.

    One file per (account, region, flow log id) per 5-minute window of the
    record's ``end``, named for the window's end (the delivery time, so every
    record in a file ended before the time in its name)::

        AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/
            <account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz

    Each file starts with the header line; records are roughly, not strictly,
    in time order, as AWS writes them. The text is built column-wise (no
    Python loop per record) and the files are compressed on ``threads``
    threads with gzip mtime 0, so the same (frame, salt) gives the same bytes.
    Call it once per time chunk aligned to 5 minutes (a later call for the
    same window would overwrite that window's files).

    Returns the catalog rows, exactly ``TABLE.names`` (schema :data:`ROWS`),
    row i for frame row i; ``file`` is relative to ``raw_dir``, POSIX form.

    >>> rows = write_native(frame, Path("raw"), salt="demo")  # doctest: +SKIP
    """
    raw_dir = Path(raw_dir)
    frame = frame.select(FRAME.names).cast(FRAME)
    if frame.num_rows == 0:
        return ROWS.empty_table()
    if any(frame[name].num_chunks > 1 for name in FRAME.names):
        frame = frame.combine_chunks()
    for name in ("account_id", "region", "flow_log_id", "end"):
        if frame[name].null_count:
            raise ValueError(f"write_native: column {name!r} has nulls; every record needs one")

    # Which file each record goes to: a dense code over (account, region, flow log, window).
    end = frame["end"].to_numpy()
    window = end // WINDOW_SECONDS
    w0 = int(window.min())
    codes, values = [], []
    for name in ("account_id", "region", "flow_log_id"):
        encoded = pc.dictionary_encode(frame[name]).chunk(0)
        codes.append(encoded.indices.to_numpy().astype(np.int64))
        values.append(encoded.dictionary.to_pylist())
    radix = [len(v) for v in values] + [int(window.max()) - w0 + 1]
    group = codes[0]
    for c, r in zip([*codes[1:], window - w0], radix[1:], strict=True):
        group = group * r + c
    size = int(np.prod(radix, dtype=np.float64))
    if size <= 1 << 24:
        present = np.flatnonzero(np.bincount(group, minlength=size))
        lookup = np.zeros(size, dtype=np.int64)
        lookup[present] = np.arange(len(present))
        inverse = lookup[group]
    else:
        present, inverse = np.unique(group, return_inverse=True)

    # The file of each group, and the groups in path order.
    files = []
    for g in present.tolist():
        g, w = divmod(g, radix[3])
        g, f = divmod(g, radix[2])
        a, r = divmod(g, radix[1])
        files.append(_key(values[0][a], values[1][r], values[2][f], w0 + w, salt))
    rank = np.empty(len(files), dtype=np.int64)
    rank[sorted(range(len(files)), key=files.__getitem__)] = np.arange(len(files))
    files.sort()
    record_file = rank[inverse]

    # Order within a file: by end time give or take a minute, as records arrive.
    seed = hashlib.blake2b(f"{salt}|vpcflow|{w0}|{frame.num_rows}".encode(), digest_size=8)
    rng = np.random.default_rng(int.from_bytes(seed.digest(), "big"))
    n = frame.num_rows
    position = end - window * WINDOW_SECONDS + rng.integers(0, 60, n)
    order = np.argsort(
        (record_file << 30) | (position << 20) | rng.integers(0, 1 << 20, n), kind="stable"
    )
    bounds = np.concatenate([[0], np.cumsum(np.bincount(record_file, minlength=len(files)))])
    for parent in sorted({(raw_dir / key).parent for key in files}):
        parent.mkdir(parents=True, exist_ok=True)
    paths = pa.array(files, pa.string())

    def render(start: int, stop: int) -> tuple[pa.StringArray, pa.Table]:
        """Text and catalog rows of frame rows [start, stop), in frame order."""
        part = frame.slice(start, stop - start)
        return _lines(part), _catalog_rows(part, paths.take(record_file[start:stop]))

    def deliver(lines: pa.StringArray, i: int) -> None:
        """Write file i: the header line, then its records in delivery order, gzipped."""
        records = lines.take(order[bounds[i] : bounds[i + 1]])
        offsets, data = records.buffers()[1:3]
        at = np.frombuffer(offsets, np.int32)[[records.offset, records.offset + len(records)]]
        body = memoryview(data)[at[0] : at[1]]
        (raw_dir / files[i]).write_bytes(_gzip((_HEADER_LINE, body), gzip_level))

    # Building text, compressing and writing all release the GIL: every thread works.
    workers = max(1, threads)
    cuts = np.linspace(0, n, 2 * workers + 1).astype(int).tolist()
    biggest_first = sorted(range(len(files)), key=lambda i: bounds[i] - bounds[i + 1])
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(render, cuts[:-1], cuts[1:]))
        lines = pa.concat_arrays([text for text, _ in parts])
        list(pool.map(partial(deliver, lines), biggest_first))
    return pa.concat_tables([rows for _, rows in parts])


def read_files(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], root: Path | None = None
) -> tuple[int, list[tuple[Path, str]]]:
    """Load flow log files into the ``vpc_flow`` table; return (rows inserted, skipped files).

    The one path from files to the catalog, for the generator's files and a
    learner's real ones alike: any version's fields in the order the header
    line names them (a file without header is read as the version 2 default
    format), ``-`` as NULL, IPv4 or IPv6, ``.log.gz`` or plain ``.log`` /
    ``.txt``. Every field is read as text, then cast to the table's pinned
    types. ``region`` comes from the file's name or key layout, else the
    version 4 ``region`` field; ``file`` is the path relative to ``root``
    (POSIX form; the path as given where it is not under ``root``).

    A file that cannot be loaded (corrupt or truncated gzip, not a flow log,
    empty, a value that does not fit its type) is skipped and returned with a
    one-line reason; the others still load. Files of one format are read in
    one statement, so thousands of files load quickly. Call it outside an
    explicit transaction: DuckDB aborts a transaction on a failed read.

    >>> con.execute(TABLE.ddl())  # doctest: +SKIP
    >>> read_files(con, sorted(Path("raw").rglob("*.log.gz")), root=Path("raw"))  # doctest: +SKIP
    (1234, [])
    """
    skipped: dict[int, tuple[Path, str]] = {}
    groups: dict[tuple[str, bool, tuple[str, ...]], list[tuple[int, Path]]] = {}
    for index, path in enumerate(map(Path, paths)):
        try:
            head, compression = _head(path)
        except (OSError, EOFError, zlib.error) as error:
            skipped[index] = (path, f"cannot read the file: {one_line(error)}")
            continue
        found = _sniff(head)
        if isinstance(found, str):
            skipped[index] = (path, found)
            continue
        groups.setdefault((compression, *found), []).append((index, path))

    inserted = load_groups(
        groups,
        lambda key, members: _insert(con, [p for _, p in members], *key, root),
        skipped,
    )
    return inserted, [skipped[i] for i in sorted(skipped)]


def looks_like(path: Path, head: str) -> bool:
    """Whether a file is a VPC flow log, from its name and first KB of (decompressed) text.

    True when the first line is a header of flow log fields or a version 2
    record, or when the name is AWS's flow log file name (so a broken flow log
    reaches :func:`read_files`, which says what is wrong with it).

    >>> looks_like(Path("x.log"), "version account-id interface-id srcaddr\\n")
    True
    >>> looks_like(Path("x.json"), '{"Records": []}')
    False
    """
    return not isinstance(_sniff(head), str) or bool(_NAME_RE.match(Path(path).name))


def _key(account: str, region: str, flow_log_id: str, window: int, salt: str) -> str:
    """The S3 key of one delivery file, named for the end of its 5-minute window."""
    stamp = datetime.fromtimestamp((window + 1) * WINDOW_SECONDS, UTC)
    digest = hashlib.blake2b(
        f"{salt}|{account}|{region}|{flow_log_id}|{window}".encode(), digest_size=4
    ).hexdigest()
    return (
        f"AWSLogs/{account}/vpcflowlogs/{region}/{stamp:%Y/%m/%d}/"
        f"{account}_vpcflowlogs_{region}_{flow_log_id}_{stamp:%Y%m%dT%H%MZ}_{digest}.log.gz"
    )


def _lines(rows: pa.Table) -> pa.StringArray:
    """The records as text: fields joined by spaces, ``-`` for None, ``\\n`` after each."""
    fields = [_text(rows[name]) for name in FRAME.names[:13]]
    last = pc.binary_join_element_wise(_text(rows["log_status"]), "", "\n")
    lines = pc.binary_join_element_wise(*fields, last, " ")
    return lines.combine_chunks() if isinstance(lines, pa.ChunkedArray) else lines


def _catalog_rows(rows: pa.Table, files: pa.Array) -> pa.Table:
    """Catalog rows (schema :data:`ROWS`) of frame rows, given the file of each."""
    n = rows.num_rows
    seconds = pa.timestamp("s")
    columns = {
        "version": pc.cast(rows["version"], pa.int16()),
        "start_time": pc.cast(pc.cast(rows["start"], seconds), ROWS.field("start_time").type),
        "end_time": pc.cast(pc.cast(rows["end"], seconds), ROWS.field("end_time").type),
        "file": files,
    }
    return pa.table(
        [
            columns[f.name]
            if f.name in columns
            else rows[f.name]
            if f.name in FRAME.names
            else pa.nulls(n, f.type)
            for f in ROWS
        ],
        schema=ROWS,
    )


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A column as strings, ``-`` for None."""
    column = pc.cast(column, pa.string())
    return pc.fill_null(column, "-") if column.null_count else column


def _gzip(parts: Sequence[bytes | memoryview], level: int) -> bytes:
    """One gzip member of the parts, mtime 0: the same bytes every run."""
    return gzip_bytes(parts, level)


def _head(path: Path, size: int = 1024) -> tuple[str, str]:
    """The first ``size`` characters of a file's text, and its compression."""
    with open(path, "rb") as raw:
        magic = raw.read(2)
    if magic == b"\x1f\x8b":
        with gzip.open(path, "rb") as stream:
            return stream.read(size).decode("utf-8", "replace"), "gzip"
    with open(path, "rb") as stream:
        return stream.read(size).decode("utf-8", "replace"), "none"


def _sniff(head: str) -> tuple[bool, tuple[str, ...]] | str:
    """(has header, fields in order) of a flow log's first text, or why it is not one."""
    if not head.strip():
        return "empty file: no header line and no records"
    if "\x00" in head:
        return "not a VPC flow log: binary content"
    tokens = head.lstrip("\ufeff").splitlines()[0].split()
    if tokens and all(_FIELD_NAME_RE.match(t) for t in tokens):
        known = sum(t in KNOWN_FIELDS for t in tokens)
        if known and 2 * known >= len(tokens):
            return True, tuple(tokens)
    if _is_v2_record(tokens):
        return False, V2_FIELDS
    return (
        "not a VPC flow log: the first line is neither a header of flow log fields "
        f"nor a version 2 record: {' '.join(tokens)[:80]!r}"
    )


def _is_v2_record(tokens: list[str]) -> bool:
    """Whether the fields of one line look like a default-format (version 2) record."""
    return (
        len(tokens) == len(V2_FIELDS)
        and tokens[0].isdigit()
        and (tokens[1].isdigit() or tokens[1] in ("-", "unknown"))
        and tokens[12] in ("ACCEPT", "REJECT", "-")
        and tokens[13] in ("OK", "NODATA", "SKIPDATA")
    )


def _insert(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    compression: str,
    header: bool,
    fields: tuple[str, ...],
    root: Path | None,
) -> int:
    """Insert the records of files that share one format; return how many."""
    where = {}  # field -> its column in read_csv (c0, c1, ...); the first one wins
    for i, name in enumerate(fields):
        where.setdefault(name, f"c{i}")
    exprs = []
    for column in TABLE.columns:
        field = next((f for f, c in _FIELD_COLUMN.items() if c == column.name), None)
        if column.name == "region":
            exprs.append(
                f"coalesce(f.region, r.{where['region']})" if "region" in where else "f.region"
            )
        elif column.name == "file":
            exprs.append("f.file")
        elif field not in where:
            exprs.append(f"CAST(NULL AS {column.type})")
        elif column.type == "TIMESTAMP":
            exprs.append(f"make_timestamp(CAST(r.{where[field]} AS BIGINT) * 1000000)")
        else:
            exprs.append(f"CAST(r.{where[field]} AS {column.type})")
    csv_columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(fields)))
    listing = pa.table(
        {
            "path": [str(p) for p in paths],
            "region": [_key_region(p) for p in paths],
            "file": [relative(p, root) for p in paths],
        }
    )
    name = "_gameday_vpcflow_files"
    con.register(name, listing)
    try:
        (count,) = con.execute(
            f"INSERT INTO {TABLE.name} ({', '.join(TABLE.names)}) "
            f"SELECT {', '.join(exprs)} FROM read_csv($paths, delim = ' ', quote = '', "
            f"escape = '', nullstr = '-', header = {str(header).lower()}, "
            f"columns = {{{csv_columns}}}, auto_detect = false, "
            f"compression = '{compression}', filename = true) AS r "
            f"JOIN {name} AS f ON r.filename = f.path",
            {"paths": listing["path"].to_pylist()},
        ).fetchone()
        return count
    finally:
        con.unregister(name)


def _key_region(path: Path) -> str | None:
    """The region in AWS's file name or key layout, if the path has either."""
    found = _NAME_RE.match(path.name)
    if found:
        return found["region"]
    found = _KEY_REGION_RE.search(Path(path).absolute().as_posix())
    return found["region"] if found else None
