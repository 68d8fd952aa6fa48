"""S3 server access logs: the generator's frame, the native writer, the reader, the table.

Server access logging records every request to a bucket, whatever CloudTrail's
trail selects and whether or not the trail is logging: in storyline 3 these
logs are what remains while CloudTrail is stopped, and for the buckets the
trail does not select they are the only record of object reads at all.

Requests are built as columns (:data:`FRAME`); :func:`write_native` writes them
as S3 delivers them, space-separated text objects (not gzipped) in the logs
bucket, with AWS's simple key format (``TargetObjectKeyFormat`` SimplePrefix,
the default) and one target prefix per source bucket::

    <logs bucket>/s3-access/<source bucket>/YYYY-MM-DD-hh-mm-ss-<16 hex digits>

one object per bucket per 5 minutes of requests, named for its delivery time.
:func:`read_files` loads them, and a learner's own access logs, into the table
``s3_access`` with pinned types.

A storyline names only what it knows; the writer fills the rest as S3 would
(request and host ids, the request line, times, TLS details). To make the same
request appear as a CloudTrail data event, draw its ids first and pass them on:

>>> rng = np.random.default_rng(7)
>>> rows = requests(rng, 2, bucket="b", key=["a.csv", "b.csv"], operation="REST.GET.OBJECT")
>>> sorted(trail_values(rows))
['bucket', 'bytes_out', 'key', 'uuid', 'x_amz_id_2']
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers import agents
from helpers.files import Members, load_groups, one_line, relative
from helpers.schema import Column, Table, frame

TS = pa.timestamp("ms", tz="UTC")

#: One row per request to a bucket that has server access logging on.
FRAME = pa.schema(
    [
        ("time", TS),
        ("bucket", pa.string()),
        ("remote_ip", pa.string()),
        ("requester", pa.string()),  # an IAM ARN, or null -> "-" (anonymous)
        ("request_id", pa.string()),  # null -> drawn by the writer
        ("operation", pa.string()),  # REST.GET.OBJECT, REST.PUT.OBJECT, REST.COPY.OBJECT, ...
        ("key", pa.string()),  # the object key; null -> "-"
        ("request_uri", pa.string()),  # "GET /key HTTP/1.1"; null -> built from operation + key
        ("http_status", pa.int16()),
        ("error_code", pa.string()),  # null -> "-"
        ("bytes_sent", pa.int64()),  # null -> "-"
        ("object_size", pa.int64()),
        ("total_time", pa.int32()),  # ms; null -> drawn
        ("turn_around_time", pa.int32()),
        ("referer", pa.string()),
        ("user_agent", pa.string()),
        ("version_id", pa.string()),
        ("signature_version", pa.string()),  # SigV4; null -> SigV4 when a requester signed
        ("authentication_type", pa.string()),  # AuthHeader | QueryString
        ("tls_version", pa.string()),  # TLSv1.2 | TLSv1.3
        ("host_id", pa.string()),  # x-amz-id-2; null -> drawn (CloudTrail's x-amz-id-2)
    ]
)

#: The catalog table ``s3_access``: one row per log record.
TABLE = Table(
    name="s3_access",
    row="one S3 server access log record: one request to a bucket with access logging on",
    columns=(
        Column("time", "TIMESTAMP", "when S3 received the request, UTC (to the second)"),
        Column("bucket", "VARCHAR", "the bucket the request was made to"),
        Column("bucket_owner", "VARCHAR", "the canonical user id of the bucket's owner"),
        Column("remote_ip", "VARCHAR", "the requester's apparent address"),
        Column(
            "requester",
            "VARCHAR",
            "who signed the request: an IAM user or assumed-role ARN (arn:aws:sts::...:"
            "assumed-role/<role>/<session>), a canonical id; NULL when anonymous",
        ),
        Column(
            "request_id",
            "VARCHAR",
            "S3's request id; a CloudTrail data event of the same request has it as request_id",
        ),
        Column(
            "operation",
            "VARCHAR",
            "REST.<HTTP method>.<resource>, e.g. REST.GET.OBJECT, REST.PUT.OBJECT, "
            "REST.COPY.OBJECT (REST.COPY.OBJECT_GET in the source bucket), REST.DELETE.OBJECT, "
            "REST.POST.MULTI_OBJECT_DELETE with one BATCH.DELETE.OBJECT per key, REST.GET.BUCKET "
            "(a listing)",
        ),
        Column("key", "VARCHAR", "the object key (URL-decoded); NULL for bucket operations"),
        Column("request_uri", "VARCHAR", "the HTTP request line, e.g. GET /path/key HTTP/1.1"),
        Column("http_status", "INTEGER", "the HTTP status S3 answered: 200, 204, 403, 404, ..."),
        Column(
            "error_code", "VARCHAR", "S3's error code (AccessDenied, NoSuchKey, ...); NULL if none"
        ),
        Column("bytes_sent", "BIGINT", "response bytes sent; NULL when none"),
        Column("object_size", "BIGINT", "the size of the object in question"),
        Column("total_time", "INTEGER", "ms the request was in flight, from S3's side"),
        Column("turn_around_time", "INTEGER", "ms S3 spent processing the request"),
        Column("referer", "VARCHAR", "the HTTP Referer header"),
        Column("user_agent", "VARCHAR", "the HTTP User-Agent: the SDK, CLI or console"),
        Column("version_id", "VARCHAR", "the version id in the request"),
        Column("host_id", "VARCHAR", "x-amz-id-2, the extended request id"),
        Column("signature_version", "VARCHAR", "SigV4 or SigV2; NULL when unauthenticated"),
        Column("cipher_suite", "VARCHAR", "the TLS cipher negotiated; NULL over plain HTTP"),
        Column(
            "authentication_type",
            "VARCHAR",
            "AuthHeader, QueryString (a presigned URL); NULL when unauthenticated",
        ),
        Column("host_header", "VARCHAR", "the endpoint used, e.g. <bucket>.s3.<region>..."),
        Column("tls_version", "VARCHAR", "TLSv1.2, TLSv1.3; NULL over plain HTTP"),
        Column("access_point_arn", "VARCHAR", "the access point of the request, if any"),
        Column("acl_required", "VARCHAR", "Yes when an ACL was needed to authorize the request"),
        Column("file", "VARCHAR", "the log object the record was read from, relative to raw/"),
    ),
)

#: Where the logs of ``bucket`` go inside the logs bucket (its TargetPrefix).
PREFIX = "s3-access/{bucket}/"
#: Seconds of requests per log object. S3 delivers server access logs best-effort, an
#: object every few minutes to hours per bucket; a quarter of an hour keeps the file
#: count (and the generator's time creating files) a third of what 5 minutes made.
WINDOW_SECONDS = 900

#: The request line S3 logs per operation; ``{key}`` is the URL-encoded key.
REQUEST_LINES = {
    "REST.GET.OBJECT": "GET /{key}",
    "REST.HEAD.OBJECT": "HEAD /{key}",
    "REST.PUT.OBJECT": "PUT /{key}",
    "REST.COPY.OBJECT": "PUT /{key}",
    "REST.COPY.OBJECT_GET": "GET /{key}",  # the copy's read of its source (a copy logs two)
    "REST.DELETE.OBJECT": "DELETE /{key}",
    "REST.POST.MULTI_OBJECT_DELETE": "POST /?delete",
    "REST.GET.BUCKET": "GET /?list-type=2&prefix=&encoding-type=url",
    "REST.HEAD.BUCKET": "HEAD /",
    "REST.GET.ACL": "GET /?acl",
    "REST.GET.BUCKETPOLICY": "GET /?policy",
    "REST.GET.VERSIONING": "GET /?versioning",
    "REST.GET.ENCRYPTION": "GET /?encryption",
    "REST.GET.PUBLIC_ACCESS_BLOCK": "GET /?publicAccessBlock",
    "REST.GET.LOCATION": "GET /?location",
    "REST.GET.LOGGING_STATUS": "GET /?logging",
    "REST.GET.BUCKETTAGGING": "GET /?tagging",
}

_ARROW_TYPES = {
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "VARCHAR": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
}
#: The Arrow schema of catalog rows (what :func:`write_native` returns).
ROWS = pa.schema([(c.name, _ARROW_TYPES[c.type]) for c in TABLE.columns])

#: The fields of a record in order; the first 18 are in every log, the rest were
#: appended over the years (a record has them all today). Fields AWS appends later
#: are read past.
FIELDS = (
    "bucket_owner",
    "bucket",
    "time",
    "remote_ip",
    "requester",
    "request_id",
    "operation",
    "key",
    "request_uri",
    "http_status",
    "error_code",
    "bytes_sent",
    "object_size",
    "total_time",
    "turn_around_time",
    "referer",
    "user_agent",
    "version_id",
    "host_id",
    "signature_version",
    "cipher_suite",
    "authentication_type",
    "host_header",
    "tls_version",
    "access_point_arn",
    "acl_required",
)
_QUOTED = ("request_uri", "referer", "user_agent")
_TOKEN = r"(\S+)"
_STRING = r'("[^"]*"|-)'
#: One record: 18 fields always, up to 8 later ones, then anything AWS appends next.
RECORD_RE = (
    r"^(\S+) (\S+) \[([^\]]+)\] "
    + " ".join(_STRING if f in _QUOTED else _TOKEN for f in FIELDS[3:18])
    + "".join(f"(?: {_TOKEN})?" for _ in FIELDS[18:])
    + r"(?: .*)?$"
)
_FIRST_LINE = re.compile(r"^\S+ \S+ \[\d{2}/[A-Za-z]{3}/\d{4}(?::\d{2}){3} [+-]\d{4}\] ")
_NAME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$")
_HEX_UPPER = np.frombuffer(b"0123456789ABCDEF", dtype=np.uint8)
_BASE64 = np.frombuffer(
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", dtype=np.uint8
)


# -- ids and rows for storylines and backgrounds -----------------------------------


def request_ids(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` S3 request ids: 16 upper-case hex digits, as ``3E57427F33A59F07``.

    >>> request_ids(np.random.default_rng(1), 2).to_pylist()  # doctest: +SKIP
    ['9B5F0E0D0C3A4471', ...]
    """
    return _random(rng, n, 16, _HEX_UPPER)


def host_ids(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` extended request ids (``x-amz-id-2``): 56 random bytes in base64, 76 characters
    ending in ``=`` (so the last but one encodes 4 bits: a multiple of 4)."""
    codes = np.frombuffer(rng.bytes(n * 76), np.uint8).reshape(n, 76) & 63
    codes[:, 74] &= 0b111100
    text = _BASE64[codes]
    text[:, 75] = ord("=")
    return pa.array(text.view("S76").ravel(), type=pa.binary(76)).cast(pa.string())


def requests(rng: np.random.Generator, n: int, **columns: Any) -> pa.Table:
    """``n`` rows of :data:`FRAME` with their request and host ids drawn (where not given).

    Ids drawn here land unchanged in the log files and the table, and
    :func:`trail_values` hands them to a CloudTrail data event of the same request.
    """
    columns.setdefault("request_id", request_ids(rng, n))
    columns.setdefault("host_id", host_ids(rng, n))
    return frame(FRAME, n, **columns)


def trail_values(rows: pa.Table) -> dict[str, pa.Array]:
    """Template values for :func:`helpers.events.calls` that make CloudTrail data events of
    the same requests: same bucket and key, same request id (``requestID``) and
    ``x-amz-id-2``, the bytes the log records.

    >>> calls("GetObject", times, ident, ..., values=trail_values(rows))  # doctest: +SKIP
    """
    size = pc.coalesce(rows["bytes_sent"], rows["object_size"], pa.scalar(0, pa.int64()))
    return {
        "bucket": rows["bucket"].combine_chunks(),
        "key": pc.fill_null(rows["key"], "").combine_chunks(),
        "uuid": rows["request_id"].combine_chunks(),
        "x_amz_id_2": rows["host_id"].combine_chunks(),
        "bytes_out": pc.cast(size, pa.string()).combine_chunks(),
    }


def strftime_seconds(seconds: np.ndarray, fmt: str) -> pa.Array:
    """``strftime(fmt)`` of epoch seconds, UTC, for many values at once.

    Arrow's strftime costs microseconds a value; here each day's part is formatted
    once and the clock (``%H:%M:%S``, if ``fmt`` has it) is taken from a table.

    >>> strftime_seconds(np.array([0, 86_399]), "%Y-%m-%dT%H:%M:%SZ").to_pylist()
    ['1970-01-01T00:00:00Z', '1970-01-01T23:59:59Z']
    """
    seconds = np.asarray(seconds, dtype=np.int64)
    if not len(seconds):
        return pa.array([], pa.string())
    day, second = np.divmod(seconds, 86_400)
    first = int(day.min())
    date_fmt, clock, after = fmt.partition("%H:%M:%S")
    days = [
        (datetime(1970, 1, 1) + timedelta(days=first + d)).strftime(date_fmt)
        for d in range(int(day.max()) - first + 1)
    ]
    dated = pa.DictionaryArray.from_arrays(
        pa.array((day - first).astype(np.int32)), pa.array(days, pa.string())
    ).cast(pa.string())
    if not clock:
        return dated
    return pc.binary_join_element_wise(dated, _clock().take(pa.array(second)), after, "")


@functools.cache
def _clock() -> pa.Array:
    """``00:00:00`` ... ``23:59:59``: the 86,400 times of a day."""
    return pa.array([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86_400)])


def _random(rng: np.random.Generator, n: int, length: int, alphabet: np.ndarray) -> pa.Array:
    draws = np.frombuffer(rng.bytes(n * length), np.uint8).reshape(n, length)
    codes = alphabet[draws % len(alphabet)]  # len(alphabet) divides 256: uniform
    return pa.array(codes.view(f"S{length}").ravel(), type=pa.binary(length)).cast(pa.string())


# -- writing -------------------------------------------------------------------------


def canonical_id(account_id: str) -> str:
    """The account's canonical user id (64 hex digits), as the bucket owner field shows it.

    A stand-in derived from the account id: the same account, the same id.
    """
    return hashlib.sha256(f"canonical-user:{account_id}".encode()).hexdigest()


def write_native(frame: pa.Table, raw: Path, world, salt: str) -> dict[str, pa.Table]:
    """Write requests as S3 server access log objects; return ``{"s3_access": catalog rows}``.

    One object per source bucket per 5-minute window of request times, under
    ``raw/<world.access_log_bucket>/s3-access/<bucket>/`` and named
    ``YYYY-MM-DD-hh-mm-ss-<16 hex>`` for its delivery time (a few minutes after
    the window). Records inside an object are roughly, not strictly, in time
    order. Fields a row leaves null are filled as S3 would; the same
    (frame, salt) gives the same bytes. Call it once per time chunk aligned to
    5 minutes.

    Returns the catalog rows (schema :data:`ROWS`, exactly what :func:`read_files`
    makes of the files), row i for frame row i.
    """
    raw = Path(raw)
    frame = frame.select(FRAME.names).cast(FRAME).combine_chunks()
    n = frame.num_rows
    if n == 0:
        return {TABLE.name: ROWS.empty_table()}
    for name in ("time", "bucket", "operation"):
        if frame[name].null_count:
            raise ValueError(f"write_native: column {name!r} has nulls; every request needs one")
    ms = pc.cast(frame["time"], pa.int64()).to_numpy()
    digest = hashlib.blake2b(f"{salt}|s3access|{ms.min()}|{n}".encode(), digest_size=8)
    rng = np.random.default_rng(int.from_bytes(digest.digest(), "big"))
    filled = _fill(frame, rng, world)
    lines = _lines(filled)

    # Which object each record goes to: (bucket, window), objects in path order.
    window = ms // (WINDOW_SECONDS * 1000)
    buckets = pc.dictionary_encode(frame["bucket"]).chunk(0)
    codes = buckets.indices.to_numpy().astype(np.int64)
    w0 = int(window.min())
    group = codes * (int(window.max()) - w0 + 1) + (window - w0)
    present, inverse = np.unique(group, return_inverse=True)
    names = buckets.dictionary.to_pylist()
    span = int(window.max()) - w0 + 1
    keys = [
        _key(world.access_log_bucket, names[g // span], w0 + g % span, salt)
        for g in present.tolist()
    ]
    # within an object: by time give or take half a minute, as S3 collects them
    jitter = ms + rng.integers(0, 30_000, n)
    order = np.lexsort((jitter, inverse))
    bounds = np.concatenate([[0], np.cumsum(np.bincount(inverse, minlength=len(keys)))])
    for parent in sorted({os.path.dirname(k) for k in keys}):
        (raw / parent).mkdir(parents=True, exist_ok=True)
    root = str(raw)
    ordered = lines.take(pa.array(order))
    offsets = np.frombuffer(ordered.buffers()[1], np.int32)[
        ordered.offset : ordered.offset + len(ordered) + 1
    ]
    data = memoryview(ordered.buffers()[2])
    for i, k in enumerate(keys):
        with open(os.path.join(root, k), "wb") as out:  # thousands of files: no pathlib
            out.write(data[offsets[bounds[i]] : offsets[bounds[i + 1]]])
    files = pa.array(keys, pa.string()).take(pa.array(inverse))
    return {TABLE.name: _catalog_rows(filled, files)}


def _key(log_bucket: str, bucket: str, window: int, salt: str) -> str:
    """The log object's path: ``<logs bucket>/<prefix>YYYY-MM-DD-hh-mm-ss-<16 hex>``."""
    seed = hashlib.blake2b(f"{salt}|{bucket}|{window}".encode(), digest_size=10).digest()
    delay = 60 + int.from_bytes(seed[:2], "big") % 540  # delivered 1-10 minutes later
    stamp = datetime.fromtimestamp((window + 1) * WINDOW_SECONDS + delay, UTC)
    unique = seed[2:].hex().upper()
    return f"{log_bucket}/{PREFIX.format(bucket=bucket)}{stamp:%Y-%m-%d-%H-%M-%S}-{unique}"


def _fill(rows: pa.Table, rng: np.random.Generator, world) -> dict[str, pa.Array]:
    """Every field of every record, as S3 logs it (None where the log has ``-``)."""
    n = rows.num_rows
    col = {name: rows[name].chunk(0) for name in FRAME.names}
    for name in _QUOTED:  # a quote inside a quoted field would end it: S3 encodes it
        if pc.any(pc.match_substring(col[name], '"')).as_py():
            col[name] = pc.replace_substring(col[name], '"', "%22")
    op = col["operation"]
    signed = pc.is_valid(col["requester"])
    out: dict[str, pa.Array] = dict(col)
    out["request_id"] = pc.coalesce(col["request_id"], request_ids(rng, n))
    out["host_id"] = pc.coalesce(col["host_id"], host_ids(rng, n))
    out["request_uri"] = pc.coalesce(col["request_uri"], _request_lines(op, col["key"]))
    # 0 bytes is logged as "-"
    out["bytes_sent"] = pc.if_else(
        pc.equal(col["bytes_sent"], 0), pa.scalar(None, pa.int64()), col["bytes_sent"]
    )
    size = pc.coalesce(col["object_size"], col["bytes_sent"], pa.scalar(0, pa.int64()))
    turn = np.maximum(1, rng.lognormal(np.log(12), 0.6, n)).astype(np.int32)
    transfer = (pc.cast(size, pa.float64()).to_numpy(zero_copy_only=False)) / rng.uniform(
        20_000, 90_000, n
    )
    batch = pc.starts_with(op, "BATCH.")
    total = pa.array(turn + transfer.astype(np.int32) + rng.integers(0, 4, n).astype(np.int32))
    none32 = pa.scalar(None, pa.int32())
    out["turn_around_time"] = pc.coalesce(
        col["turn_around_time"], pc.if_else(batch, none32, pa.array(turn))
    )
    out["total_time"] = pc.coalesce(col["total_time"], pc.if_else(batch, none32, total))
    out["signature_version"] = pc.coalesce(
        col["signature_version"], pc.if_else(signed, "SigV4", pa.scalar(None, pa.string()))
    )
    out["authentication_type"] = pc.coalesce(
        col["authentication_type"], pc.if_else(signed, "AuthHeader", pa.scalar(None, pa.string()))
    )
    tls = pc.coalesce(col["tls_version"], pa.scalar("TLSv1.3"))
    out["tls_version"] = tls
    out["cipher_suite"] = pc.if_else(
        pc.equal(tls, "TLSv1.3"), agents.TLS_CIPHER, agents.TLS12_CIPHER
    )
    out["host_header"] = pc.binary_join_element_wise(
        col["bucket"], f".s3.{world.home_region}.amazonaws.com", ""
    )
    out["bucket_owner"] = pa.repeat(pa.scalar(canonical_id(world.account_id)), n)
    out["access_point_arn"] = pa.nulls(n, pa.string())
    out["acl_required"] = pa.nulls(n, pa.string())
    out["time"] = col["time"]
    return out


def _request_lines(op: pa.Array, key: pa.Array) -> pa.Array:
    """``GET /key HTTP/1.1`` and the like, per operation; None where S3 logs ``-``."""
    encoded = _url_encode(pc.fill_null(key, ""))
    result = pa.nulls(len(op), pa.string())
    for name, line in REQUEST_LINES.items():
        mask = pc.equal(op, name)
        if not pc.any(mask).as_py():
            continue
        before, _, after = line.partition("{key}")
        text = (
            pc.binary_join_element_wise(before, encoded, after + " HTTP/1.1", "")
            if "{key}" in line
            else pa.repeat(pa.scalar(line + " HTTP/1.1"), len(op))
        )
        result = pc.if_else(mask, text, result)
    return result


def _url_encode(key: pa.Array) -> pa.Array:
    """Keys as S3 logs them: URL-encoded, ``/`` kept (characters keys here carry)."""
    if not pc.any(pc.match_substring_regex(key, r'[% "+#]')).as_py():
        return key
    for char, code in (("%", "%25"), (" ", "%20"), ('"', "%22"), ("+", "%2B"), ("#", "%23")):
        key = pc.replace_substring(key, char, code)
    return key


def _text(values: pa.Array, quoted: bool = False) -> pa.Array:
    values = pc.cast(values, pa.string())
    if quoted:
        values = pc.binary_join_element_wise('"', pc.fill_null(values, "-"), '"', "")
    return pc.fill_null(values, "-")


def _lines(f: dict[str, pa.Array]) -> pa.StringArray:
    """The records as text, one per line (``\\n`` after each), fields in :data:`FIELDS` order."""
    seconds = pc.cast(f["time"], pa.int64()).to_numpy() // 1000
    when = strftime_seconds(seconds, "[%d/%b/%Y:%H:%M:%S +0000]")
    fields = []
    for name in FIELDS:
        if name == "time":
            fields.append(when)
        elif name == "key":
            fields.append(_text(_url_encode(f["key"])))
        elif name == "request_uri":
            uri = f["request_uri"]
            fields.append(pc.if_else(pc.is_null(uri), "-", _text(uri, quoted=True)))
        else:
            fields.append(_text(f[name], quoted=name in _QUOTED))
    last = pc.binary_join_element_wise(fields.pop(), "\n", "")
    return pc.binary_join_element_wise(*fields, last, " ")


def _catalog_rows(f: dict[str, pa.Array], files: pa.Array) -> pa.Table:
    """Catalog rows (schema :data:`ROWS`): the records as :func:`read_files` reads them."""
    seconds = pc.cast(f["time"], pa.int64()).to_numpy() // 1000
    values = dict(f)
    values["time"] = pa.array(seconds * 1_000_000).cast(pa.timestamp("us"))
    values["file"] = files
    for name in FIELDS:  # "-" (or nothing) in the log reads back as NULL
        if name != "time" and pa.types.is_string(values[name].type):
            empty = pc.is_in(values[name], pa.array(["-", ""]))
            values[name] = pc.if_else(empty, pa.scalar(None, pa.string()), values[name])
    return pa.table([pc.cast(values[c.name], ROWS.field(c.name).type) for c in ROWS], schema=ROWS)


# -- reading -------------------------------------------------------------------------


def looks_like(path: Path, head: str) -> bool:
    """Whether a file is an S3 server access log, from its name and first KB of text.

    True when the first line starts like a record (owner, bucket, bracketed time),
    or when the name is S3's log object name (so a broken log reaches
    :func:`read_files`, which says what is wrong with it).

    >>> looks_like(Path("x"), "79a5 my-bucket [06/Feb/2019:00:00:38 +0000] 192.0.2.3 - ")
    True
    >>> looks_like(Path("x.log"), "http 2018-07-02T22:23:00.186641Z app/my-lb/50dc6c495c0c9188 ")
    False
    """
    return bool(_FIRST_LINE.match(head.lstrip("\ufeff")) or _NAME_RE.match(Path(path).name))


def read_files(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], root: Path | None = None
) -> tuple[int, list[tuple[Path, str]]]:
    """Load S3 server access log files into ``s3_access``; return (rows, skipped files).

    Each line is matched against the record layout (18 fields, the later ones
    where present, anything appended after them ignored) in DuckDB, then cast to
    the table's pinned types: ``-`` is NULL, quotes are taken off, keys are
    URL-decoded, times are UTC. Plain text or gzip. A file with a line that is
    not a record (or a value that does not fit its type, or a broken gzip) is
    skipped with a one-line reason; the others load. ``file`` is the path
    relative to ``root`` (POSIX form; as given where it is not under ``root``).

    >>> con.execute(TABLE.ddl())  # doctest: +SKIP
    >>> read_files(con, [p for p in raw.rglob("*") if p.is_file()], root=raw)  # doctest: +SKIP
    (1234, [])
    """
    skipped: dict[int, tuple[Path, str]] = {}
    groups: dict[str, list[tuple[int, Path]]] = {}
    for index, path in enumerate(map(Path, paths)):
        try:
            with open(path, "rb") as stream:
                start = stream.read(2)
            compression = "gzip" if start == b"\x1f\x8b" else "none"
            head = _head(path, compression)
        except (OSError, EOFError, zlib.error) as error:
            skipped[index] = (path, f"cannot read the file: {one_line(error)}")
            continue
        if not head.strip():
            skipped[index] = (path, "empty file: no S3 access log records")
        elif "\x00" in head:
            skipped[index] = (path, "not an S3 server access log: binary content")
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
    if compression == "gzip":
        with open(path, "rb") as stream:
            raw = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(stream.read(1 << 16), size)
    else:
        with open(path, "rb") as stream:
            raw = stream.read(size)
    return raw.decode("utf-8", "replace")


def _field(name: str) -> str:
    """SQL for one field of the matched record ``m``: ``-`` and missing fields as NULL."""
    value = f"m.{name}"
    if name in _QUOTED:
        value = f"CASE WHEN starts_with({value}, '\"') THEN {value}[2:-2] ELSE {value} END"
    return f"nullif(nullif({value}, ''), '-')"


def _insert(
    con: duckdb.DuckDBPyConnection, paths: list[Path], compression: str, root: Path | None
) -> tuple[int, dict[str, str]]:
    """Insert the records of files; return (rows inserted, {path: why skipped})."""
    listing = pa.table(
        {"path": [str(p) for p in paths], "file": [relative(p, root) for p in paths]}
    )
    con.register("_gameday_s3access_files", listing)
    names = "[" + ", ".join(f"'{f}'" for f in FIELDS) + "]"
    try:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _gameday_s3access_lines AS "
            "SELECT filename, line, regexp_full_match(line, $re) AS ok, "
            f"regexp_extract(line, $re, {names}) AS m "
            "FROM read_csv($paths, columns = {'line': 'VARCHAR'}, delim = $delim, quote = '', "
            "escape = '', header = false, auto_detect = false, filename = true, "
            f"compression = '{compression}') WHERE line IS NOT NULL AND line <> ''",
            {"re": RECORD_RE, "paths": listing["path"].to_pylist(), "delim": chr(0)},
        )
        bad = {
            path: "not an S3 server access log: a line is not a log record: " + repr(line[:80])
            for path, line in con.execute(
                "SELECT filename, min(line) FROM _gameday_s3access_lines WHERE NOT ok "
                "GROUP BY filename"
            ).fetchall()
        }
        exprs = []
        for column in TABLE.columns:
            if column.name == "time":
                exprs.append("timezone('UTC', strptime(m.time, '%d/%b/%Y:%H:%M:%S %z'))::TIMESTAMP")
            elif column.name == "key":
                exprs.append(f"url_decode({_field('key')})")
            elif column.name == "file":
                exprs.append("f.file")
            else:
                exprs.append(f"CAST({_field(column.name)} AS {column.type})")
        (count,) = con.execute(
            f"INSERT INTO {TABLE.name} ({', '.join(TABLE.names)}) SELECT {', '.join(exprs)} "
            "FROM _gameday_s3access_lines AS l JOIN _gameday_s3access_files AS f "
            "ON l.filename = f.path WHERE l.filename NOT IN (SELECT unnest($bad::VARCHAR[]))",
            {"bad": list(bad)},
        ).fetchone()
        return count, bad
    finally:
        con.execute("DROP TABLE IF EXISTS _gameday_s3access_lines")
        con.unregister("_gameday_s3access_files")
