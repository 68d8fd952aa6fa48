"""CloudTrail: the generator's event frame, the native writer, the reader, the catalog table.

Data flows one way: background and storylines build a :data:`FRAME` table
(one row per event, columns built vectorised); :func:`write_native` renders
every record as CloudTrail JSON in bulk (DuckDB), writes the ``.json.gz``
delivery files in AWS's key layout and returns the rows for the catalog;
:func:`read_files` is the one path from files (ours or a learner's real
logs) to the same catalog table, with pinned types.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers.files import one_line, relative
from helpers.gz import LEVEL as GZIP_LEVEL
from helpers.gz import gzip_bytes
from helpers.schema import Column, Table

#: The generator's columns for one CloudTrail event. ``None`` means the field
#: is absent from the record (AWS omits absent fields rather than writing null,
#: except requestParameters / responseElements, which are written as null).
#: JSON-valued columns hold JSON text, already serialised.
FRAME = pa.schema(
    [
        ("event_time", pa.timestamp("ms", tz="UTC")),
        ("event_version", pa.string()),  # "1.08" .. "1.11"
        ("event_source", pa.string()),  # iam.amazonaws.com
        ("event_name", pa.string()),
        ("aws_region", pa.string()),
        ("source_ip", pa.string()),  # an address, a service host name or "AWS Internal"
        ("user_agent", pa.string()),
        # userIdentity
        ("identity_type", pa.string()),  # IAMUser, AssumedRole, AWSService, Root, ...
        ("principal_id", pa.string()),
        ("arn", pa.string()),
        ("account_id", pa.string()),
        ("access_key_id", pa.string()),
        ("user_name", pa.string()),  # userIdentity.userName (IAMUser, Root)
        ("invoked_by", pa.string()),  # userIdentity.invokedBy (AWSService, ...)
        ("issuer_type", pa.string()),  # sessionContext.sessionIssuer.*
        ("issuer_principal_id", pa.string()),
        ("issuer_arn", pa.string()),
        ("issuer_account_id", pa.string()),
        ("issuer_user_name", pa.string()),
        ("session_created", pa.timestamp("ms", tz="UTC")),  # sessionContext.attributes.creationDate
        ("mfa_authenticated", pa.bool_()),  # sessionContext.attributes.mfaAuthenticated
        ("console_session", pa.bool_()),  # sessionCredentialFromConsole (only when true)
        # the call
        ("error_code", pa.string()),
        ("error_message", pa.string()),
        ("request_parameters", pa.string()),  # JSON text or None (written as null)
        ("response_elements", pa.string()),  # JSON text or None (written as null)
        ("additional_event_data", pa.string()),  # JSON text or None (omitted)
        ("resources", pa.string()),  # JSON text of a list, or None (omitted)
        ("service_event_details", pa.string()),  # JSON text or None (omitted)
        ("request_id", pa.string()),
        ("event_id", pa.string()),  # uuid
        ("read_only", pa.bool_()),
        ("event_type", pa.string()),  # AwsApiCall, AwsServiceEvent, AwsConsoleSignIn, ...
        ("management_event", pa.bool_()),
        ("event_category", pa.string()),  # Management | Data
        ("recipient_account_id", pa.string()),
        ("shared_event_id", pa.string()),
        ("tls_version", pa.string()),  # tlsDetails.* (absent for console / service events)
        ("cipher_suite", pa.string()),
        ("tls_host", pa.string()),  # tlsDetails.clientProvidedHostHeader
    ]
)

#: The catalog table ``cloudtrail``: one row per CloudTrail record.
TABLE = Table(
    name="cloudtrail",
    row="one CloudTrail record (a management or data event)",
    columns=(
        Column("event_time", "TIMESTAMP", "eventTime, in UTC"),
        Column("event_source", "VARCHAR", "the service called, e.g. iam.amazonaws.com"),
        Column("event_name", "VARCHAR", "the API action, e.g. CreateAccessKey"),
        Column("aws_region", "VARCHAR", "the region the call went to"),
        Column(
            "source_ip",
            "VARCHAR",
            "sourceIPAddress: the caller's address, or a service name such as "
            "ec2.amazonaws.com, or 'AWS Internal'",
        ),
        Column(
            "user_agent", "VARCHAR", "the client that made the call (aws-cli, Boto3, console, ...)"
        ),
        Column(
            "identity_type",
            "VARCHAR",
            "userIdentity.type: IAMUser, AssumedRole, AWSService, Root, ...",
        ),
        Column("arn", "VARCHAR", "userIdentity.arn: the user, or the role session, that called"),
        Column("account_id", "VARCHAR", "userIdentity.accountId: the caller's account"),
        Column(
            "user_name",
            "VARCHAR",
            "the IAM user's name; for a role session, the role's name (sessionIssuer.userName)",
        ),
        Column(
            "access_key_id",
            "VARCHAR",
            "the key that signed the call: AKIA... long-term (a user), ASIA... temporary",
        ),
        Column("principal_id", "VARCHAR", "userIdentity.principalId"),
        Column("session_issuer_arn", "VARCHAR", "for role sessions: the role's ARN"),
        Column(
            "mfa_authenticated",
            "BOOLEAN",
            "the session was MFA-authenticated (for ConsoleLogin: MFAUsed = Yes)",
        ),
        Column("error_code", "VARCHAR", "errorCode, e.g. AccessDenied; NULL when the call worked"),
        Column("error_message", "VARCHAR", "errorMessage"),
        Column("read_only", "BOOLEAN", "readOnly: true for calls that only read"),
        Column("event_type", "VARCHAR", "AwsApiCall, AwsServiceEvent, AwsConsoleSignIn, ..."),
        Column("event_category", "VARCHAR", "Management, or Data for object-level S3 events"),
        Column("management_event", "BOOLEAN", "managementEvent"),
        Column("recipient_account_id", "VARCHAR", "the account whose trail logged the event"),
        Column("request_parameters", "JSON", "requestParameters as JSON (often NULL)"),
        Column("response_elements", "JSON", "responseElements as JSON (often NULL)"),
        Column("additional_event_data", "JSON", "additionalEventData as JSON"),
        Column("resources", "JSON", "resources: a JSON list of {ARN, accountId, type}"),
        Column("request_id", "VARCHAR", "requestID"),
        Column("event_id", "VARCHAR", "eventID: unique per record"),
        Column("event_version", "VARCHAR", "eventVersion, e.g. 1.09"),
        Column("record", "JSON", "the whole record as delivered"),
        Column("file", "VARCHAR", "the delivery file the record was read from, relative to raw/"),
    ),
)

#: Events are delivered in one file per region per window of this many milliseconds.
WINDOW_MS = 5 * 60 * 1000

_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ISO = "%Y-%m-%dT%H:%M:%SZ"


# ---------------------------------------------------------------------------
# Rendering: one SQL statement turns the FRAME into CloudTrail JSON text.
#
# Each member is ``'"key":' || value``; a NULL value makes the whole member
# NULL and concat_ws drops it, which is how AWS omits absent fields.
#
# String members are placeholders, filled in per call: most FRAME columns
# repeat a few values (event names, ARNs, user agents), so those members are
# rendered once per distinct value (DuckDB's to_json over the dictionary)
# and handed to the record's SQL as a dictionary column; columns of mostly
# unique values (event ids) are escaped row by row.

_TEXT = re.compile(r"@@(\w+)@(\w+)@@")


def _member(key: str, value: str) -> str:
    return f"""'"{key}":' || {value}"""


def _text(key: str, column: str) -> str:
    """A string member, JSON-escaped by to_json (see :func:`_with_members`)."""
    return f"@@{key}@{column}@@"


def _time(key: str, column: str) -> str:
    """An ISO time member, ``"key":"2026-01-02T03:04:05Z"``, in one strftime."""
    return f"""strftime({column}, '"{key}":"{_ISO}"')"""


def _flag(key: str, column: str, true: str = "true", false: str = "false") -> str:
    """A boolean member, written as constants (no per-row string building)."""
    return (
        f"""CASE WHEN {column} THEN '"{key}":{true}' """
        f"""WHEN NOT {column} THEN '"{key}":{false}' END"""
    )


def _object(*members: str) -> str:
    return "concat('{', concat_ws(',', " + ", ".join(members) + "), '}')"


def _some(*columns: str) -> str:
    return "(" + " OR ".join(f"{c} IS NOT NULL" for c in columns) + ")"


_ISSUER = (
    "issuer_type",
    "issuer_principal_id",
    "issuer_arn",
    "issuer_account_id",
    "issuer_user_name",
)
_SESSION_CONTEXT = _object(
    _member(
        "sessionIssuer",
        _object(
            _text("type", "issuer_type"),
            _text("principalId", "issuer_principal_id"),
            _text("arn", "issuer_arn"),
            _text("accountId", "issuer_account_id"),
            _text("userName", "issuer_user_name"),
        ),
    ),
    _member(
        "attributes",
        _object(
            _time("creationDate", "session_created"),
            _flag("mfaAuthenticated", "mfa_authenticated", '"true"', '"false"'),
        ),
    ),
)
_USER_IDENTITY = _object(
    _text("type", "identity_type"),
    _text("principalId", "principal_id"),
    _text("arn", "arn"),
    _text("accountId", "account_id"),
    _text("accessKeyId", "access_key_id"),
    _text("userName", "user_name"),
    _member(
        "sessionContext",
        f"CASE WHEN {_some(*_ISSUER, 'session_created')} THEN {_SESSION_CONTEXT} END",
    ),
    _text("invokedBy", "invoked_by"),
)
_TLS = _object(
    _text("tlsVersion", "tls_version"),
    _text("cipherSuite", "cipher_suite"),
    _text("clientProvidedHostHeader", "tls_host"),
)
#: The SQL expression of one record, keys in the order AWS writes them.
_RECORD = _object(
    _text("eventVersion", "event_version"),
    _member("userIdentity", _USER_IDENTITY),
    _time("eventTime", "event_time"),
    _text("eventSource", "event_source"),
    _text("eventName", "event_name"),
    _text("awsRegion", "aws_region"),
    _text("sourceIPAddress", "source_ip"),
    _text("userAgent", "user_agent"),
    _text("errorCode", "error_code"),
    _text("errorMessage", "error_message"),
    _member("requestParameters", "coalesce(request_parameters, 'null')"),
    _member("responseElements", "coalesce(response_elements, 'null')"),
    _member("additionalEventData", "additional_event_data"),
    _text("requestID", "request_id"),
    _text("eventID", "event_id"),
    _flag("readOnly", "read_only"),
    _member("resources", "resources"),
    _text("eventType", "event_type"),
    _flag("managementEvent", "management_event"),
    _text("recipientAccountId", "recipient_account_id"),
    _text("sharedEventID", "shared_event_id"),
    _text("eventCategory", "event_category"),
    _member(
        "tlsDetails",
        f"CASE WHEN {_some('tls_version', 'cipher_suite', 'tls_host')} THEN {_TLS} END",
    ),
    """CASE WHEN console_session THEN '"sessionCredentialFromConsole":"true"' END""",
    _member("serviceEventDetails", "service_event_details"),
)


def _prepared(frame: pa.Table) -> pa.Table:
    """FRAME's columns in order, times as naive UTC, and a row index ``_i``."""
    missing = [name for name in FRAME.names if name not in frame.column_names]
    if missing:
        raise ValueError(f"the CloudTrail frame lacks columns {missing}: build it with FRAME")
    frame = frame.select(FRAME.names).cast(FRAME)
    for name in ("event_time", "session_created"):
        i = frame.schema.get_field_index(name)
        frame = frame.set_column(i, name, frame[name].cast(pa.timestamp("us")))
    return frame.append_column("_i", pa.array(np.arange(frame.num_rows, dtype=np.int64)))


def _rebatched(table: pa.Table) -> pa.Table:
    """The table in many small batches, so that DuckDB scans it on all its threads."""
    return pa.Table.from_batches(table.to_batches(max_chunksize=16_384), table.schema)


def _with_members(con: duckdb.DuckDBPyConnection, table: pa.Table) -> tuple[pa.Table, str]:
    """Add pre-rendered ``"key":"value"`` columns for repetitive string members.

    Returns the table and the record's SQL that uses them.
    """
    encoded: dict[int, pa.DictionaryArray] = {}
    members = _TEXT.findall(_RECORD)
    for i, (_, column) in enumerate(members):
        values = table[column]
        sample = values.slice(0, 4096)
        if values.null_count == len(values) or pc.count_distinct(sample).as_py() * 8 > len(sample):
            continue  # absent, or mostly unique (ids): escaped row by row
        codes = pc.dictionary_encode(values.combine_chunks())
        if len(codes.dictionary) * 8 <= len(codes):
            encoded[i] = codes
    if encoded:
        distinct = pa.table(
            {
                "key": pa.array(
                    [members[i][0] for i, c in encoded.items() for _ in range(len(c.dictionary))],
                    pa.string(),
                ),
                "value": pa.concat_arrays([c.dictionary for c in encoded.values()]),
            }
        )
        view = f"_cloudtrail_values_{uuid4().hex}"
        con.register(view, distinct)
        try:
            rendered = con.sql(
                f"""SELECT '"' || key || '":' || to_json(value) AS member FROM {view}"""
            ).to_arrow_table()["member"]
        finally:
            con.unregister(view)
        start = 0
        for i, codes in encoded.items():
            size = len(codes.dictionary)
            fragments = rendered.slice(start, size).combine_chunks()
            table = table.append_column(
                f"_m{i}", pa.DictionaryArray.from_arrays(codes.indices, fragments)
            )
            start += size

    position = iter(range(len(members)))

    def fill(match: re.Match) -> str:
        i = next(position)
        return f"_m{i}" if i in encoded else _member(match[1], f"to_json({match[2]})")

    return _rebatched(table), _TEXT.sub(fill, _RECORD)


def _render_prepared(
    con: duckdb.DuckDBPyConnection, prepared: pa.Table, extra: str = ""
) -> pa.Table:
    """Render ``prepared`` in its own order: region, window start, record (and ``extra``)."""
    table, record = _with_members(con, prepared)
    view = f"_cloudtrail_frame_{uuid4().hex}"
    con.register(view, table)
    try:
        rendered = con.sql(f"""
            SELECT _i,
                   aws_region,
                   epoch_ms(event_time) // {WINDOW_MS} * {WINDOW_MS} AS window_start,
                   {record} AS record
                   {extra}
            FROM {view}
        """).to_arrow_table()
    finally:
        con.unregister(view)
    index = rendered["_i"].to_numpy()
    if not np.array_equal(index, prepared["_i"].to_numpy()):  # DuckDB keeps scan order; be sure
        rendered = rendered.take(pc.sort_indices(rendered["_i"]))
    return rendered.drop_columns("_i")


def render_records(con: duckdb.DuckDBPyConnection, frame: pa.Table) -> pa.Table:
    """Render every event of a :data:`FRAME` table as its CloudTrail JSON record, in bulk.

    Returns one row per event, in input order: ``aws_region``, ``window_start``
    (epoch ms of the 5-minute delivery window the event falls in) and
    ``record`` (the JSON text, keys in AWS's order, absent fields omitted).

        >>> render_records(duckdb.connect(), frame)["record"][0].as_py()  # doctest: +SKIP
        '{"eventVersion":"1.09","userIdentity":{"type":"IAMUser",...'
    """
    return _render_prepared(con, _prepared(frame))


# ---------------------------------------------------------------------------
# Catalog rows of records read from files: json_transform parses each record
# once into pinned types (no inference, so every file set gives the same
# types). write_native builds the same rows from the FRAME columns directly;
# the tests check that reading its files back gives exactly those rows.

_V = "VARCHAR"
_STRUCTURE = {
    "eventVersion": _V,
    "userIdentity": {
        "type": _V,
        "principalId": _V,
        "arn": _V,
        "accountId": _V,
        "accessKeyId": _V,
        "userName": _V,
        "sessionContext": {
            "sessionIssuer": {"arn": _V, "userName": _V},
            "attributes": {"mfaAuthenticated": _V},
        },
    },
    "eventTime": _V,
    "eventSource": _V,
    "eventName": _V,
    "awsRegion": _V,
    "sourceIPAddress": _V,
    "userAgent": _V,
    "errorCode": _V,
    "errorMessage": _V,
    "requestParameters": "JSON",
    "responseElements": "JSON",
    "additionalEventData": "JSON",
    "requestID": _V,
    "eventID": _V,
    "readOnly": "BOOLEAN",
    "resources": "JSON",
    "eventType": _V,
    "managementEvent": "BOOLEAN",
    "recipientAccountId": _V,
    "eventCategory": _V,
}
_UI = "j.userIdentity"
_COLUMNS_SQL = {
    "event_time": "make_timestamp(epoch_us(TRY_CAST(j.eventTime AS TIMESTAMPTZ)))",
    "event_source": "j.eventSource",
    "event_name": "j.eventName",
    "aws_region": "j.awsRegion",
    "source_ip": "j.sourceIPAddress",
    "user_agent": "j.userAgent",
    "identity_type": f"{_UI}.type",
    "arn": f"{_UI}.arn",
    "account_id": f"{_UI}.accountId",
    "user_name": f"coalesce({_UI}.userName, {_UI}.sessionContext.sessionIssuer.userName)",
    "access_key_id": f"{_UI}.accessKeyId",
    "principal_id": f"{_UI}.principalId",
    "session_issuer_arn": f"{_UI}.sessionContext.sessionIssuer.arn",
    "mfa_authenticated": f"""CASE
        WHEN j.eventName = 'ConsoleLogin' AND j.additionalEventData->>'$.MFAUsed' IS NOT NULL
        THEN j.additionalEventData->>'$.MFAUsed' = 'Yes'
        ELSE TRY_CAST({_UI}.sessionContext.attributes.mfaAuthenticated AS BOOLEAN) END""",
    "error_code": "j.errorCode",
    "error_message": "j.errorMessage",
    "read_only": "j.readOnly",
    "event_type": "j.eventType",
    "event_category": "j.eventCategory",
    "management_event": "j.managementEvent",
    "recipient_account_id": "j.recipientAccountId",
    "request_parameters": "j.requestParameters",
    "response_elements": "j.responseElements",
    "additional_event_data": "j.additionalEventData",
    "resources": "j.resources",
    "request_id": "j.requestID",
    "event_id": "j.eventID",
    "event_version": "j.eventVersion",
    "record": "record",
    "file": "file",
}
assert list(_COLUMNS_SQL) == TABLE.names


def _catalog_sql(source: str) -> str:
    """SELECT the catalog columns from ``source``, a relation of (record, file)."""
    structure = json.dumps(_STRUCTURE).replace("'", "''")
    columns = ",\n".join(f"{sql} AS {name}" for name, sql in _COLUMNS_SQL.items())
    return f"""
        SELECT {columns}
        FROM (SELECT record, file, json_transform(record, '{structure}') AS j FROM {source})
    """


# ---------------------------------------------------------------------------
# Writing delivery files


def _delivery(salt: str, account_id: str, region: str, window_start_ms: int) -> str:
    """The key of the file that delivers one region's window: AWS's layout, drawn from a hash."""
    digest = hashlib.blake2b(f"{salt}|{region}|{window_start_ms}".encode(), digest_size=32).digest()
    delay = timedelta(minutes=1 + digest[0] % 5)  # delivered 1-5 minutes after the window closes
    delivered = datetime.fromtimestamp((window_start_ms + WINDOW_MS) / 1000, UTC) + delay
    unique = "".join(_ALPHABET[b % len(_ALPHABET)] for b in digest[1:17])
    name = f"{account_id}_CloudTrail_{region}_{delivered:%Y%m%dT%H%MZ}_{unique}.json.gz"
    return f"AWSLogs/{account_id}/CloudTrail/{region}/{delivered:%Y/%m/%d}/{name}"


def _gzip_file(path: Path, pieces: list[pa.Array], level: int) -> None:
    """Write ``{"Records":[...]}`` of the records in ``pieces``, gzipped with mtime 0.

    The same records give the same bytes. ISA-L (:mod:`helpers.gz`) releases the
    GIL while it deflates, so threads writing different files use all cores.
    """
    parts: list[bytes | pa.Buffer] = [b'{"Records":[']
    for i, piece in enumerate(pieces):
        joined = pc.binary_join(pa.ListArray.from_arrays([0, len(piece)], piece), ",")
        parts += [b"," if i else b"", memoryview(joined[0].as_buffer())]
    parts.append(b"]}")
    path.write_bytes(gzip_bytes(parts, level))


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64: a fixed, well-spread hash of 64-bit integers (numpy wraps on overflow)."""
    x = (x + np.uint64(0x9E3779B97F4A7C15)) ^ (x >> np.uint64(30))
    x = (x * np.uint64(0xBF58476D1CE4E5B9)) ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _file_order(prepared: pa.Table, salt: str) -> tuple[np.ndarray, np.ndarray, pa.Array]:
    """Row order by region and window, shuffled inside each file by a salted hash.

    Returns (the order, each row's window start in epoch ms, each row's region),
    the last two already in that order.
    """
    if prepared["event_time"].null_count:
        raise ValueError("every CloudTrail event needs an event_time to be delivered")
    regions = pc.dictionary_encode(prepared["aws_region"]).combine_chunks()
    names = regions.dictionary.to_numpy(zero_copy_only=False)
    rank = np.argsort(np.argsort(names))[regions.indices.to_numpy()]  # regions by name
    ms = prepared["event_time"].cast(pa.int64()).to_numpy() // 1000
    windows = ms // WINDOW_MS * WINDOW_MS
    seed = np.uint64(int.from_bytes(hashlib.blake2b(salt.encode(), digest_size=8).digest()))
    with np.errstate(over="ignore"):
        shuffle = _mix(np.arange(len(ms), dtype=np.uint64) ^ seed)
    order = np.lexsort((shuffle, windows, rank))
    return order, windows[order], regions.take(pa.array(order))


def _take(table: pa.Table, indices: np.ndarray, pool: ThreadPoolExecutor) -> pa.Table:
    """``table.take(indices)``, a column per thread."""
    index = pa.array(indices)
    return pa.table(list(pool.map(lambda column: column.take(index), table.columns)), table.schema)


#: FRAME columns the catalog rows are made of.
_CATALOG_FROM_FRAME = {*TABLE.names, "issuer_arn"}

#: Catalog columns that are not plain FRAME columns, computed beside the record.
_CATALOG_EXTRA = f"""
    , coalesce(user_name, issuer_user_name) AS catalog_user_name
    , CASE
          WHEN event_name = 'ConsoleLogin' AND additional_event_data->>'$.MFAUsed' IS NOT NULL
          THEN additional_event_data->>'$.MFAUsed' = 'Yes'
          WHEN {_some(*_ISSUER, "session_created")} THEN mfa_authenticated
      END AS catalog_mfa
"""


def _json_or_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """JSON text as the catalog holds it: the JSON literal null is SQL NULL."""
    return pc.if_else(pc.equal(column, "null"), pa.scalar(None, pa.string()), column)


def write_native(
    frame: pa.Table,
    raw_dir: Path,
    account_id: str,
    salt: str,
    gzip_level: int = GZIP_LEVEL,
    threads: int = 2,
    rows: str = "catalog",
) -> pa.Table:
    """Write the events of ``frame`` as CloudTrail delivery files; return their catalog rows.

    ``rows="events"`` returns instead the frame's columns (times to the second, as the
    records hold them) and ``file``, for the ``cloudtrail_events`` table that a
    generated catalog stores: its ``cloudtrail`` view derives the catalog columns and
    renders ``record`` from them with the same SQL, so the record text is not stored
    twice (the single largest cost of loading a week).

    One ``.json.gz`` per region per 5-minute window of eventTime, in AWS's key
    layout (``AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_
    <region>_<YYYYMMDDTHHmmZ>_<16 chars>.json.gz``, named and foldered by its delivery
    time), records shuffled inside each file. Everything is drawn from ``salt``: the
    same frame and salt give byte-identical files. Returns an Arrow table with the
    columns of :data:`TABLE`; ``file`` is relative to ``raw_dir``.

    Call it once per time chunk aligned to 5 minutes: a window's file is named from
    (salt, region, window) alone, so a second call with the same window rewrites it.
    gzip level 1 is the default: about 1.5 times as fast as level 6 here, with files
    a third larger (a ratio of 9 rather than 12), which AWS's own files do not pin down.

    FRAME's JSON columns are embedded verbatim: give them compact JSON
    (``json.dumps(v, separators=(",", ":"), ensure_ascii=False)``) so that the rows
    returned here equal the rows :func:`read_files` reads back from the files.

        >>> rows = write_native(frame, raw, "123456789012", salt="seed-1")  # doctest: +SKIP
        >>> rows.column_names == TABLE.names  # doctest: +SKIP
        True
    """
    raw_dir = Path(raw_dir)
    prepared = _prepared(frame)
    if prepared["aws_region"].null_count:
        raise ValueError("every CloudTrail event needs an aws_region to be delivered")
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        return _write(prepared, raw_dir, account_id, salt, gzip_level, threads, pool, rows)


def _write(
    prepared: pa.Table,
    raw_dir: Path,
    account_id: str,
    salt: str,
    gzip_level: int,
    threads: int,
    pool: ThreadPoolExecutor,
    rows: str = "catalog",
) -> pa.Table:
    order, windows, regions = _file_order(prepared, salt)
    events = _take(prepared, order, pool)  # in file order
    del prepared
    con = duckdb.connect(config={"threads": max(1, threads)})
    try:
        rendered = _render_prepared(con, events, _CATALOG_EXTRA)
    finally:
        con.close()
    if rows != "events":
        events = events.select([c for c in events.column_names if c in _CATALOG_FROM_FRAME])
    records = rendered["record"]  # as DuckDB returned it, in chunks: no copy

    # one file per run of equal (region, window)
    n = len(records)
    codes = regions.indices.to_numpy()
    change = (codes[1:] != codes[:-1]) | (windows[1:] != windows[:-1])
    starts = np.flatnonzero(np.concatenate(([n > 0], change)))
    ends = np.append(starts[1:], n)
    keys = [
        _delivery(salt, account_id, regions.dictionary[codes[i]].as_py(), int(windows[i]))
        for i in starts
    ]
    for folder in {key.rsplit("/", 1)[0] for key in keys}:
        (raw_dir / folder).mkdir(parents=True, exist_ok=True)

    def write(k: int) -> None:
        pieces = records.slice(int(starts[k]), int(ends[k] - starts[k])).chunks
        _gzip_file(raw_dir / keys[k], [p for p in pieces if len(p)], gzip_level)

    list(pool.map(write, range(len(keys))))

    file_of_row = np.repeat(np.arange(len(keys)), ends - starts)
    file = pa.array(keys, pa.string()).take(pa.array(file_of_row))
    if rows == "events":
        events = events.drop_columns("_i").set_column(
            0, "event_time", pc.floor_temporal(events["event_time"], unit="second")
        )
        return events.append_column("file", file)
    columns = {
        **{name: events[name] for name in TABLE.names if name in events.column_names},
        "event_time": pc.floor_temporal(events["event_time"], unit="second"),
        "user_name": rendered["catalog_user_name"],
        "session_issuer_arn": events["issuer_arn"],
        "mfa_authenticated": rendered["catalog_mfa"],
        "request_parameters": _json_or_null(events["request_parameters"]),
        "response_elements": _json_or_null(events["response_elements"]),
        "additional_event_data": _json_or_null(events["additional_event_data"]),
        "resources": _json_or_null(events["resources"]),
        "record": records,
        "file": file,
    }
    return pa.table({name: columns[name] for name in TABLE.names})


# ---------------------------------------------------------------------------
# A generated catalog stores the generator's columns (``cloudtrail_events``) and
# derives the catalog table ``cloudtrail`` in a view: the same columns as the
# table a reader fills, with ``record`` rendered by the same SQL as the files.

EVENTS_TABLE = "cloudtrail_events"
_DUCK_TYPES = {pa.string(): "VARCHAR", pa.bool_(): "BOOLEAN"}


#: Where a generated data set keeps ``cloudtrail_events``: Parquet files, one per chunk.
#: DuckDB stores a million CloudTrail rows in ~20 CPU-seconds, pyarrow writes them as
#: Parquet in ~2, and DuckDB queries them there as fast (see README, benchmarks).
EVENTS_FOLDER = Path("tables") / EVENTS_TABLE


def events_ddl() -> str:
    """``CREATE TABLE cloudtrail_events``: FRAME's columns (naive UTC times) and ``file``."""
    cols = [
        f"{f.name} {'TIMESTAMP' if pa.types.is_timestamp(f.type) else _DUCK_TYPES[f.type]}"
        for f in FRAME
    ]
    return f"CREATE TABLE IF NOT EXISTS {EVENTS_TABLE} ({', '.join(cols)}, file VARCHAR)"


def events_parquet(rows: pa.Table) -> pa.Table:
    """Catalog rows as the Parquet files store them: times as naive UTC (DuckDB reads a
    zoned time as TIMESTAMPTZ, which would show in the reader's own time zone)."""
    columns = {}
    for name in [*FRAME.names, "file"]:
        col = rows.column(name)
        if pa.types.is_timestamp(col.type):
            col = col.cast(pa.timestamp(col.type.unit))
        columns[name] = col
    return pa.table(columns)


def events_view_sql(dataset: Path, temp: bool = False) -> str:
    """``CREATE VIEW cloudtrail_events`` over the data set's Parquet files.

    The path is absolute (DuckDB resolves relative ones from the working directory);
    :meth:`helpers.notebook.Session.connect` re-points a TEMP view of the same name at
    the folder's new place when a data set has been moved or unpacked elsewhere.
    """
    glob = (Path(dataset).resolve() / EVENTS_FOLDER / "*.parquet").as_posix().replace("'", "''")
    columns = ", ".join([*FRAME.names, "file"])
    kind = "TEMP VIEW" if temp else "VIEW"
    return (
        f"CREATE OR REPLACE {kind} {EVENTS_TABLE} AS SELECT {columns} FROM read_parquet('{glob}')"
    )


def _plain_record_sql() -> str:
    return _TEXT.sub(lambda m: _member(m[1], f"to_json({m[2]})"), _RECORD)


_VIEW_COLUMNS = {
    **{name: name for name in TABLE.names},
    "user_name": "coalesce(user_name, issuer_user_name)",
    "session_issuer_arn": "issuer_arn",
    "mfa_authenticated": f"""CASE
          WHEN event_name = 'ConsoleLogin' AND additional_event_data->>'$.MFAUsed' IS NOT NULL
          THEN additional_event_data->>'$.MFAUsed' = 'Yes'
          WHEN {_some(*_ISSUER, "session_created")} THEN mfa_authenticated
      END""",
    **{
        name: f"CAST(nullif({name}, 'null') AS JSON)"
        for name in (
            "request_parameters",
            "response_elements",
            "additional_event_data",
            "resources",
        )
    },
    "record": f"CAST({_plain_record_sql()} AS JSON)",
}


def view_sql() -> str:
    """``CREATE VIEW cloudtrail`` over ``cloudtrail_events``, with :data:`TABLE`'s columns."""
    columns = ",\n    ".join(f"{_VIEW_COLUMNS[name]} AS {name}" for name in TABLE.names)
    return f"CREATE OR REPLACE VIEW {TABLE.name} AS SELECT\n    {columns}\nFROM {EVENTS_TABLE}"


# ---------------------------------------------------------------------------
# Reading files (ours or a learner's real logs) into the catalog table

_GZIP_MAGIC = b"\x1f\x8b"
_HEAD_BYTES = 8192
_MAX_OBJECT = 1 << 30  # a whole {"Records": [...]} file is one JSON object to DuckDB
_EXPECTED = 'expected CloudTrail JSON: {"Records": [...]} or a JSON array of records'
_NAME = re.compile(r"_CloudTrail_[a-z0-9-]+_\d{8}T\d{4}Z_[A-Za-z0-9]{16}\.json(\.gz)?$")
_RECORDS = re.compile(r'\{\s*"Records"\s*:\s*\[')
_EMPTY = re.compile(r'\{\s*"Records"\s*:\s*\[\s*\]\s*\}\s*$')
_SOURCE = re.compile(r'"eventSource"\s*:\s*"[a-z0-9.-]+\.amazonaws\.com"')


def looks_like(path: Path, head: str) -> bool:
    """Whether a file is CloudTrail, from its name and its first few KB of (decompressed) text.

    A ``{"Records": [...]}`` object or a JSON array whose first record has a
    CloudTrail ``eventSource`` (``<service>.amazonaws.com``; S3 or SQS event
    notifications also use a Records wrapper, with ``aws:s3``); digest files are not.

        >>> looks_like(Path("x.json"), '{"Records":[{"eventSource":"iam.amazonaws.com",')
        True
    """
    if "CloudTrail-Digest" in str(path):
        return False
    text = head.lstrip("\ufeff \t\r\n")
    if text.startswith("{"):
        if _EMPTY.match(text):
            return True
        wrapped = _RECORDS.match(text) or (_NAME.search(Path(path).name) and '"Records"' in text)
        return bool(wrapped and _SOURCE.search(text))
    return text.startswith("[") and bool(_SOURCE.search(text))


def _head(path: Path) -> tuple[bool, bytes]:
    """(gzipped, the first few KB of decompressed bytes). Raises on a broken gzip stream."""
    with path.open("rb") as f:
        gzipped = f.read(2) == _GZIP_MAGIC
    if gzipped:
        with gzip.open(path, "rb") as f:
            return True, f.read(_HEAD_BYTES)
    with path.open("rb") as f:
        return False, f.read(_HEAD_BYTES)


def _stage_sql(gzipped: bool, files: list[str]) -> str:
    """(filename, record) of every record in ``files``, read as raw JSON: no type inference.

    Each file is one JSON value: ``{"Records": [...]}`` or a bare array of records.
    A file without a Records list stages one NULL record, so the check finds it.
    """
    listing = "[" + ", ".join("'" + f.replace("'", "''") + "'" for f in files) + "]"
    return f"""
        SELECT filename, unnest(CASE
            WHEN len(records) > 0 THEN records
            WHEN starts_with(json, '[') OR json_type(json, '$.Records') = 'ARRAY' THEN []
            ELSE [NULL::JSON] END) AS record
        FROM (SELECT filename, json, CASE WHEN starts_with(json, '[') THEN json->'$[*]'
                                          ELSE json->'$.Records[*]' END AS records
              FROM read_json_objects({listing}, format = 'unstructured', filename = true,
                                     compression = '{"gzip" if gzipped else "none"}',
                                     maximum_object_size = {_MAX_OBJECT}))
    """


def read_files(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], root: Path | None = None
) -> tuple[int, list[tuple[Path, str]]]:
    """Load CloudTrail files into the catalog table ``cloudtrail``; return (rows, skipped files).

    Takes AWS delivery files (``{"Records": [...]}``, ``.json`` or ``.json.gz``,
    account or organization trails) and bare JSON arrays of records as some tools
    export them. Every column is extracted with pinned types. A file that cannot
    be read, or is not CloudTrail, is skipped and returned with a one-line reason;
    the others are loaded. ``file`` is the path relative to ``root``, if given.

        >>> con.execute(TABLE.ddl())  # doctest: +SKIP
        >>> read_files(con, sorted(raw.rglob("*.json.gz")), root=raw)  # doctest: +SKIP
        (1234, [])
    """
    skipped: list[tuple[Path, str]] = []
    groups: dict[bool, list[Path]] = {}  # by compression
    for path in dict.fromkeys(map(Path, paths)):  # each file once, in the order given
        try:
            gzipped, head = _head(path)
        except (OSError, EOFError, zlib.error) as error:
            skipped.append((path, f"unreadable or corrupt gzip ({one_line(error)}): {_EXPECTED}"))
            continue
        text = head.decode("utf-8", errors="replace")
        if not text.strip():
            skipped.append((path, f"empty file: {_EXPECTED}"))
            continue
        if not looks_like(path, text):
            skipped.append((path, f"not CloudTrail: {_EXPECTED}"))
            continue
        groups.setdefault(gzipped, []).append(path)
    if not groups:
        return 0, skipped

    stage = f"_cloudtrail_stage_{uuid4().hex}"
    names = f"_cloudtrail_names_{uuid4().hex}"
    con.execute(f"CREATE TEMP TABLE {stage} (filename VARCHAR, record JSON)")
    # the staging order does not matter, and keeping it would make the load single-threaded
    (keep_order,) = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
    con.execute("SET preserve_insertion_order = false")
    try:
        for gzipped, group in groups.items():
            try:  # one read for the whole group ...
                con.execute(f"INSERT INTO {stage} {_stage_sql(gzipped, list(map(str, group)))}")
            except duckdb.Error:  # ... or one per file, to find the bad ones
                for path in group:
                    try:
                        con.execute(f"INSERT INTO {stage} {_stage_sql(gzipped, [str(path)])}")
                    except duckdb.Error as error:
                        skipped.append(
                            (path, f"corrupt or truncated ({one_line(error)}): {_EXPECTED}")
                        )
        con.execute(f"SET preserve_insertion_order = {bool(keep_order)}")
        bad = dict(
            con.execute(f"""
                SELECT filename, count(*) FILTER (NOT ok) || ' of ' || count(*)
                FROM (SELECT filename, list_count(json_extract_string(
                          record, ['$.eventTime', '$.eventName', '$.eventSource'])) = 3 AS ok
                      FROM {stage})
                GROUP BY filename
                HAVING NOT bool_and(ok)
            """).fetchall()
        )
        failed = {path for path, _ in skipped}
        loaded = [p for g in groups.values() for p in g if p not in failed]
        for path in loaded:
            if str(path) in bad:
                skipped.append(
                    (
                        path,
                        f"{bad[str(path)]} records lack eventTime, eventName or eventSource: "
                        f"{_EXPECTED}",
                    )
                )
        good = [p for p in loaded if str(p) not in bad]
        file_names = [relative(p, root) for p in good]
        con.register(names, pa.table({"filename": list(map(str, good)), "file": file_names}))
        source = f"(SELECT s.record, n.file FROM {stage} s JOIN {names} n USING (filename))"
        inserted = con.execute(
            f"INSERT INTO {TABLE.name} BY NAME {_catalog_sql(source)}"
        ).fetchone()[0]
    finally:
        con.execute(f"SET preserve_insertion_order = {bool(keep_order)}")
        con.execute(f"DROP TABLE IF EXISTS {stage}")
        with contextlib.suppress(duckdb.Error):
            con.unregister(names)
    return inserted, skipped
