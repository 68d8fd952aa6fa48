"""Route 53 Resolver query logs: the generator's frame, the native writer, the reader, the table.

The VPC's resolver logs every DNS query an instance makes (that it cannot answer
from its cache): package mirrors and AWS endpoints all week long, and in
storylines a mining pool, a C2 domain, or data leaving as long, random-looking
labels.

Queries are built as columns (:data:`FRAME`); :func:`write_native` writes them as
Resolver delivers them to S3, JSON lines in ``.log.gz`` files, one per VPC per
5 minutes::

    AWSLogs/<account>/vpcdnsquerylogs/<vpc-id>/YYYY/MM/DD/
        <vpc-id>_vpcdnsquerylogs_<account>_<YYYYMMDDTHHmmZ>_<8 hex>.log.gz

Each line is one query, keys in the order Resolver writes them::

    {"version":"1.100000","account_id":"...","region":"...","vpc_id":"...",
     "query_timestamp":"2026-06-01T10:00:00Z","query_name":"pypi.org.","query_type":"A",
     "query_class":"IN","rcode":"NOERROR","answers":[{"Rdata":"...","Type":"A","Class":"IN"}],
     "srcaddr":"10.0.1.7","srcport":"40211","transport":"UDP","srcids":{"instance":"i-..."}}

:func:`read_files` loads them, and a learner's own resolver logs, into the table
``dns``. ``query_name`` stays as logged (with its trailing dot); ``domain`` is the
same name without it, lower-cased, for ``WHERE domain = 'pypi.org'``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers.files import Members, load_groups, one_line, relative
from helpers.gz import gzip_bytes
from helpers.s3access import strftime_seconds
from helpers.schema import Column, Table

TS = pa.timestamp("ms", tz="UTC")

#: One row per DNS query that reached the VPC's resolver.
FRAME = pa.schema(
    [
        ("time", TS),  # query_timestamp
        ("query_name", pa.string()),  # with the trailing dot, as logged: "example.com."
        ("query_type", pa.string()),  # A | AAAA | TXT | CNAME | ...
        ("rcode", pa.string()),  # NOERROR | NXDOMAIN | SERVFAIL
        ("answers", pa.list_(pa.string())),  # the answers' Rdata; empty for NXDOMAIN
        ("srcaddr", pa.string()),  # the instance's private address
        ("srcport", pa.int32()),
        ("transport", pa.string()),  # UDP | TCP; null -> UDP
        ("instance_id", pa.string()),  # srcids.instance
    ]
)

#: The catalog table ``dns``: one row per query.
TABLE = Table(
    name="dns",
    row="one Route 53 Resolver query log record: one DNS query from the VPC",
    columns=(
        Column("time", "TIMESTAMP", "query_timestamp: when the query was made, UTC"),
        Column(
            "query_name",
            "VARCHAR",
            "the name asked for, as logged: with its trailing dot (pypi.org.)",
        ),
        Column(
            "domain",
            "VARCHAR",
            "query_name without the trailing dot, lower-cased: compare with this (pypi.org)",
        ),
        Column("query_type", "VARCHAR", "the record type asked for: A, AAAA, TXT, CNAME, ..."),
        Column("query_class", "VARCHAR", "the query class, IN"),
        Column("rcode", "VARCHAR", "the response code: NOERROR, NXDOMAIN, SERVFAIL, ..."),
        Column(
            "answers",
            "VARCHAR[]",
            "the answers' data (addresses, CNAME targets, TXT values), in order; empty when "
            "none; list_contains(answers, '1.2.3.4') finds a name by its address",
        ),
        Column("srcaddr", "VARCHAR", "the address the query came from (the instance's)"),
        Column("srcport", "INTEGER", "its source port"),
        Column("transport", "VARCHAR", "UDP or TCP"),
        Column("instance_id", "VARCHAR", "srcids.instance: the instance that asked"),
        Column("vpc_id", "VARCHAR", "the VPC the query came from"),
        Column("region", "VARCHAR", "the VPC's region"),
        Column("account_id", "VARCHAR", "the account that owns the VPC"),
        Column("file", "VARCHAR", "the delivery file the record was read from, relative to raw/"),
    ),
)

VERSION = "1.100000"
#: Seconds per delivery file: one file per VPC every 5 minutes.
WINDOW_SECONDS = 300

_ARROW_TYPES = {
    "INTEGER": pa.int32(),
    "VARCHAR": pa.string(),
    "VARCHAR[]": pa.list_(pa.string()),
    "TIMESTAMP": pa.timestamp("us"),
}
#: The Arrow schema of catalog rows (what :func:`write_native` returns).
ROWS = pa.schema([(c.name, _ARROW_TYPES[c.type]) for c in TABLE.columns])

#: How read_files reads a line: every field pinned (JSON keys not named are ignored).
JSON_COLUMNS = {
    "version": "VARCHAR",
    "account_id": "VARCHAR",
    "region": "VARCHAR",
    "vpc_id": "VARCHAR",
    "query_timestamp": "VARCHAR",
    "query_name": "VARCHAR",
    "query_type": "VARCHAR",
    "query_class": "VARCHAR",
    "rcode": "VARCHAR",
    "answers": 'STRUCT("Rdata" VARCHAR, "Type" VARCHAR, "Class" VARCHAR)[]',
    "srcaddr": "VARCHAR",
    "srcport": "VARCHAR",
    "transport": "VARCHAR",
    "srcids": "STRUCT(instance VARCHAR, resolver_endpoint VARCHAR)",
}
_NAME_RE = re.compile(
    r"^(?P<vpc>vpc-[0-9a-f]+)_vpcdnsquerylogs_(?P<account>\d{12})_\d{8}T\d{4}Z_[0-9a-f]+"
    r"\.log(?:\.gz)?$"
)


def write_native(frame: pa.Table, raw: Path, world, salt: str) -> dict[str, pa.Table]:
    """Write queries as Resolver's S3 delivery files; return ``{"dns": catalog rows}``.

    One ``.log.gz`` per 5-minute window of query times, named for the window's
    end, under ``raw/AWSLogs/...`` (see the module's docstring); lines roughly,
    not strictly, in time order; gzip with mtime 0, so the same (frame, salt)
    gives the same bytes. Nulls are filled as Resolver logs them (transport UDP,
    rcode NOERROR, no answers, a drawn source port). Call it once per time chunk
    aligned to 5 minutes.

    Returns the catalog rows (schema :data:`ROWS`, exactly what :func:`read_files`
    makes of the files), row i for frame row i.
    """
    raw = Path(raw)
    frame = frame.select(FRAME.names).cast(FRAME).combine_chunks()
    n = frame.num_rows
    if n == 0:
        return {TABLE.name: ROWS.empty_table()}
    for name in ("time", "query_name", "query_type", "srcaddr"):
        if frame[name].null_count:
            raise ValueError(f"write_native: column {name!r} has nulls; every query needs one")
    col = {name: frame[name].chunk(0) for name in FRAME.names}
    ms = pc.cast(col["time"], pa.int64()).to_numpy()
    digest = hashlib.blake2b(f"{salt}|resolver|{ms.min()}|{n}".encode(), digest_size=8)
    rng = np.random.default_rng(int.from_bytes(digest.digest(), "big"))
    col["srcport"] = pc.coalesce(
        col["srcport"], pa.array(rng.integers(1024, 65536, n).astype(np.int32))
    )
    col["transport"] = pc.coalesce(col["transport"], pa.scalar("UDP"))
    col["rcode"] = pc.coalesce(col["rcode"], pa.scalar("NOERROR"))
    col["answers"] = pc.if_else(
        pc.is_null(col["answers"]), pa.scalar([], FRAME.field("answers").type), col["answers"]
    )
    seconds = ms // 1000
    lines = _lines(col, seconds, world)

    window = seconds // WINDOW_SECONDS
    present, inverse = np.unique(window, return_inverse=True)
    keys = [_key(world.account_id, world.vpc_id, int(w), salt) for w in present.tolist()]
    jitter = seconds * 1000 + rng.integers(0, 5_000, n)
    order = np.lexsort((jitter, inverse))
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(keys)))])
    for parent in sorted({os.path.dirname(k) for k in keys}):
        (raw / parent).mkdir(parents=True, exist_ok=True)
    root = str(raw)
    ordered = lines.take(pa.array(order))
    offsets = np.frombuffer(ordered.buffers()[1], np.int32)[: len(ordered) + 1]
    data = memoryview(ordered.buffers()[2])
    for i, k in enumerate(keys):
        with open(os.path.join(root, k), "wb") as out:  # thousands of files: no pathlib
            out.write(gzip_bytes(data[offsets[bounds[i]] : offsets[bounds[i + 1]]]))

    files = pa.array(keys, pa.string()).take(pa.array(inverse))
    rows = {
        "time": pa.array(seconds * 1_000_000).cast(pa.timestamp("us")),
        "query_name": col["query_name"],
        "domain": _domain(col["query_name"]),
        "query_type": col["query_type"],
        "query_class": pa.repeat(pa.scalar("IN"), n),
        "rcode": col["rcode"],
        "answers": col["answers"],
        "srcaddr": col["srcaddr"],
        "srcport": col["srcport"],
        "transport": col["transport"],
        "instance_id": col["instance_id"],
        "vpc_id": pa.repeat(pa.scalar(world.vpc_id), n),
        "region": pa.repeat(pa.scalar(world.home_region), n),
        "account_id": pa.repeat(pa.scalar(world.account_id), n),
        "file": files,
    }
    return {TABLE.name: pa.table([rows[f.name].cast(f.type) for f in ROWS], schema=ROWS)}


def _key(account: str, vpc: str, window: int, salt: str) -> str:
    """The S3 key of one delivery file, named for the end of its 5-minute window."""
    stamp = datetime.fromtimestamp((window + 1) * WINDOW_SECONDS, UTC)
    digest = hashlib.blake2b(f"{salt}|{account}|{vpc}|{window}".encode(), digest_size=4)
    return (
        f"AWSLogs/{account}/vpcdnsquerylogs/{vpc}/{stamp:%Y/%m/%d}/"
        f"{vpc}_vpcdnsquerylogs_{account}_{stamp:%Y%m%dT%H%MZ}_{digest.hexdigest()}.log.gz"
    )


def _domain(names: pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.utf8_rtrim(names, characters="."))


def _json_text(values: pa.Array) -> pa.Array:
    """Strings safe inside JSON quotes (backslash and quote escaped, where there are any)."""
    for char, escaped in (("\\", "\\\\"), ('"', '\\"')):
        if pc.any(pc.match_substring(values, char)).as_py():
            values = pc.replace_substring(values, char, escaped)
    return values


def _answers(answers: pa.ListArray, query_type: pa.Array) -> pa.Array:
    """Each row's answers as the JSON array text Resolver writes, without the brackets.

    A name (ending in a dot) answering an A or AAAA query is a CNAME on the way;
    any other answer has the type asked for.
    """
    values = pc.list_flatten(answers)
    parents = pc.list_parent_indices(answers)
    asked = query_type.take(parents)
    name = pc.and_(pc.ends_with(values, "."), pc.is_in(asked, pa.array(["A", "AAAA"])))
    kind = pc.if_else(name, "CNAME", asked)
    items = pc.binary_join_element_wise(
        '{"Rdata":"', _json_text(values), '","Type":"', kind, '","Class":"IN"}', ""
    )
    offsets = answers.offsets
    if answers.offset or offsets[0].as_py():
        offsets = pc.subtract(offsets, offsets[0])
    return pc.binary_join(pa.ListArray.from_arrays(offsets, items), ",")


def _lines(col: dict[str, pa.Array], seconds: np.ndarray, world) -> pa.StringArray:
    """The queries as JSON lines (``\\n`` after each), keys in Resolver's order."""
    stamp = strftime_seconds(seconds, "%Y-%m-%dT%H:%M:%SZ")
    head = (
        f'{{"version":"{VERSION}","account_id":"{world.account_id}",'
        f'"region":"{world.home_region}","vpc_id":"{world.vpc_id}","query_timestamp":"'
    )
    srcids = pc.if_else(
        pc.is_null(col["instance_id"]),
        "{}",
        pc.binary_join_element_wise('{"instance":"', col["instance_id"], '"}', ""),
    )
    return pc.binary_join_element_wise(
        head,
        stamp,
        '","query_name":"',
        _json_text(col["query_name"]),
        '","query_type":"',
        col["query_type"],
        '","query_class":"IN","rcode":"',
        col["rcode"],
        '","answers":[',
        _answers(col["answers"], col["query_type"]),
        '],"srcaddr":"',
        col["srcaddr"],
        '","srcport":"',
        pc.cast(col["srcport"], pa.string()),
        '","transport":"',
        col["transport"],
        '","srcids":',
        srcids,
        "}\n",
        "",
    )


# -- reading -------------------------------------------------------------------------


def looks_like(path: Path, head: str) -> bool:
    """Whether a file holds Resolver query logs, from its name and first KB of text.

    >>> looks_like(Path("x.log"), '{"version":"1.100000","account_id":"1","region":"r",'
    ...            '"vpc_id":"vpc-1","query_timestamp":"2021-02-04T17:51:55Z","query_name":"a."}')
    True
    >>> looks_like(Path("x.log"), '{"timestamp":1,"formatVersion":1,"webaclId":"arn:aws:waf"}')
    False
    """
    first = head.lstrip("\ufeff \t\r\n").split("\n", 1)[0]
    return bool(
        (first.startswith("{") and '"query_name"' in first and '"query_timestamp"' in first)
        or _NAME_RE.match(Path(path).name)
    )


def read_files(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], root: Path | None = None
) -> tuple[int, list[tuple[Path, str]]]:
    """Load Resolver query log files into ``dns``; return (rows inserted, skipped files).

    JSON lines, ``.log.gz`` or plain, every field pinned (fields DNS Firewall or
    later versions add are ignored): times in UTC, ``srcport`` as a number,
    ``answers`` as the list of their Rdata. A file that is not that (broken gzip,
    not JSON, a line without query_name or query_timestamp) is skipped with a
    one-line reason; the others load. ``file`` is the path relative to ``root``.

    >>> con.execute(TABLE.ddl())  # doctest: +SKIP
    >>> read_files(con, sorted(raw.rglob("*_vpcdnsquerylogs_*")), root=raw)  # doctest: +SKIP
    (1234, [])
    """
    skipped: dict[int, tuple[Path, str]] = {}
    groups: dict[str, list[tuple[int, Path]]] = {}
    for index, path in enumerate(map(Path, paths)):
        try:
            with open(path, "rb") as stream:
                compression = "gzip" if stream.read(2) == b"\x1f\x8b" else "none"
            head = _head(path, compression)
        except (OSError, EOFError, zlib.error) as error:
            skipped[index] = (path, f"cannot read the file: {one_line(error)}")
            continue
        reason = _sniff(head)
        if reason:
            skipped[index] = (path, reason)
        else:
            groups.setdefault(compression, []).append((index, path))

    def insert(compression: str, members: Members) -> int:
        n, bad = _insert(con, [p for _, p in members], compression, root)
        for index, path in members:  # files with rows it could not read
            if str(path) in bad:
                skipped[index] = (path, bad[str(path)])
        return n

    inserted = load_groups(groups, insert, skipped)
    return inserted, [skipped[i] for i in sorted(skipped)]


def _head(path: Path, compression: str, size: int = 1024) -> str:
    with open(path, "rb") as stream:
        raw = stream.read(1 << 16)
    if compression == "gzip":
        raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, size)
    return raw[:size].decode("utf-8", "replace")


def _sniff(head: str) -> str:
    """Why the first text of a file is not a Resolver query log; "" when it looks like one."""
    text = head.lstrip("\ufeff \t\r\n")
    if not text:
        return "empty file: no resolver query log records"
    first = text.split("\n", 1)[0]
    if not first.startswith("{"):
        return f"not a Route 53 Resolver query log: the first line is not JSON: {first[:60]!r}"
    if "\n" in text:  # a whole first line: it must name the query
        try:
            record = json.loads(first)
        except ValueError as error:
            return f"not a Route 53 Resolver query log: {one_line(error)}"
        if not isinstance(record, dict) or not {"query_name", "query_timestamp"} <= set(record):
            return "not a Route 53 Resolver query log: no query_name and query_timestamp"
    return ""


def _insert(
    con: duckdb.DuckDBPyConnection, paths: list[Path], compression: str, root: Path | None
) -> tuple[int, dict[str, str]]:
    """Insert the records of files; return (rows inserted, {path: why skipped})."""
    listing = pa.table(
        {"path": [str(p) for p in paths], "file": [relative(p, root) for p in paths]}
    )
    con.register("_gameday_dns_files", listing)
    columns = "{" + ", ".join(f"'{k}': '{v}'" for k, v in JSON_COLUMNS.items()) + "}"
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _gameday_dns_lines AS SELECT * FROM read_json("
            f"$paths, format = 'newline_delimited', columns = {columns}, "
            f"compression = '{compression}', filename = true)",
            {"paths": listing["path"].to_pylist()},
        )
        bad = {
            path: "not a Route 53 Resolver query log: a record has no query_name or query_timestamp"
            for (path,) in con.execute(
                "SELECT DISTINCT filename FROM _gameday_dns_lines "
                "WHERE query_name IS NULL OR query_timestamp IS NULL"
            ).fetchall()
        }
        (count,) = con.execute(
            f"INSERT INTO {TABLE.name} ({', '.join(TABLE.names)}) SELECT "
            "timezone('UTC', CAST(r.query_timestamp AS TIMESTAMPTZ)), r.query_name, "
            "lower(rtrim(r.query_name, '.')), r.query_type, r.query_class, "
            "r.rcode, coalesce(list_transform(r.answers, lambda a: a.Rdata), []), r.srcaddr, "
            "CAST(r.srcport AS INTEGER), r.transport, r.srcids.instance, r.vpc_id, r.region, "
            "r.account_id, f.file "
            "FROM _gameday_dns_lines AS r JOIN _gameday_dns_files AS f ON r.filename = f.path "
            "WHERE r.filename NOT IN (SELECT unnest($bad::VARCHAR[]))",
            {"bad": list(bad)},
        ).fetchone()
        return count, bad
    finally:
        con.execute("DROP TABLE IF EXISTS _gameday_dns_lines")
        con.unregister("_gameday_dns_files")
