"""Application Load Balancer access logs: the writer, the reader and the catalog table ``alb``.

Each request the load balancer handled is one line of space-separated fields, quoted
where a field can hold spaces (the request line, the user agent, ...), ``-`` where a
value is absent and ``-1`` where a time could not be measured. Nodes of the load
balancer deliver a ``.log.gz`` every 5 minutes each, in AWS's key layout.

:func:`write` renders prepared requests (:func:`helpers.web.prepare`) column-wise;
:func:`read_files` loads those files, or a learner's own, into the same typed table.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers import web
from helpers.files import load_groups, one_line, relative
from helpers.schema import Column, Table

_NULL = "NULL where the log has -"

#: The catalog table ``alb``: one row per request, fields as AWS documents them.
TABLE = Table(
    name="alb",
    row="one request to the public Application Load Balancer (its access log line)",
    columns=(
        Column(
            "type", "VARCHAR", "the listener's protocol: http, https, h2 (HTTP/2 over TLS), ws, ..."
        ),
        Column(
            "time",
            "TIMESTAMP",
            "when the load balancer sent its response, UTC (see request_creation_time)",
        ),
        Column("elb", "VARCHAR", "the load balancer: app/lb-name/lb-id"),
        Column("client_ip", "VARCHAR", "the client's address (text: logs can hold odd values)"),
        Column("client_port", "INTEGER", "the client's source port"),
        Column("target_ip", "VARCHAR", f"the target (instance) that served it; {_NULL}"),
        Column("target_port", "INTEGER", f"the target's port; {_NULL}"),
        Column(
            "request_processing_time",
            "DOUBLE",
            "seconds from receiving the request to sending it to a target; NULL where the "
            "log has -1 (not forwarded: blocked by WAF, redirected, or the client left)",
        ),
        Column(
            "target_processing_time",
            "DOUBLE",
            "seconds the target took to answer; NULL where the log has -1",
        ),
        Column(
            "response_processing_time",
            "DOUBLE",
            "seconds from the target's answer to the response; NULL where the log has -1",
        ),
        Column("elb_status_code", "INTEGER", "the status the client got (403 when WAF blocked)"),
        Column("target_status_code", "INTEGER", f"the status the target answered; {_NULL}"),
        Column("received_bytes", "BIGINT", "size of the request, headers and body"),
        Column("sent_bytes", "BIGINT", "size of the response"),
        Column("request", "VARCHAR", "the request line as logged: method URL protocol"),
        Column("method", "VARCHAR", "GET, POST, ... (from request)"),
        Column("url", "VARCHAR", "scheme://host:port/path?query as logged (from request)"),
        Column("uri", "VARCHAR", "the path, without the query (compare waf.uri)"),
        Column("query", "VARCHAR", "the query string without '?', '' when none (compare waf.args)"),
        Column("http_version", "VARCHAR", "HTTP/1.1, HTTP/2.0 (from request)"),
        Column("user_agent", "VARCHAR", f"the User-Agent header; {_NULL}"),
        Column("ssl_cipher", "VARCHAR", f"the TLS cipher; {_NULL} (plain HTTP)"),
        Column("ssl_protocol", "VARCHAR", f"TLSv1.2, TLSv1.3; {_NULL}"),
        Column("target_group_arn", "VARCHAR", f"the target group that got it; {_NULL}"),
        Column(
            "trace_id",
            "VARCHAR",
            "X-Amzn-Trace-Id as logged, Root=1-...; the same request in waf has "
            "request_id = the part after Root=",
        ),
        Column("domain_name", "VARCHAR", f"the SNI domain the client asked for; {_NULL}"),
        Column("chosen_cert_arn", "VARCHAR", f"the certificate presented; {_NULL}"),
        Column(
            "matched_rule_priority",
            "INTEGER",
            "the listener rule that matched, 0 for the default; NULL where none was evaluated",
        ),
        Column(
            "request_creation_time",
            "TIMESTAMP",
            "when the request arrived, UTC: the same instant as waf.time",
        ),
        Column(
            "actions_executed",
            "VARCHAR",
            "comma-separated: waf,forward | waf,redirect | waf (blocked by WAF) | ...",
        ),
        Column("redirect_url", "VARCHAR", f"where a redirect sent the client; {_NULL}"),
        Column("error_reason", "VARCHAR", f"why the load balancer failed the request; {_NULL}"),
        Column("target_port_list", "VARCHAR", f"target ip:port list as logged; {_NULL}"),
        Column("target_status_code_list", "VARCHAR", f"target statuses as logged; {_NULL}"),
        Column("classification", "VARCHAR", f"desync mitigation: Ambiguous, Severe; {_NULL}"),
        Column("classification_reason", "VARCHAR", f"why it was so classified; {_NULL}"),
        Column("file", "VARCHAR", "the log file the line was read from, relative to raw/"),
    ),
)

_ARROW = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "TIMESTAMP": pa.timestamp("us"),
}
#: The Arrow schema of catalog rows (what :func:`write` returns).
ROWS = pa.schema([(c.name, _ARROW[c.type]) for c in TABLE.columns])

#: TLS as modern clients negotiate it with the ELBSecurityPolicy-TLS13 policies.
_TLS = (("TLS_AES_128_GCM_SHA256", "TLSv1.3"), ("ECDHE-RSA-AES128-GCM-SHA256", "TLSv1.2"))


def write(requests: pa.Table, raw: Path, site: web.Site, salt: str) -> pa.Table:
    """Write prepared requests as ALB access log files; return the ``alb`` catalog rows.

    One file per load balancer node per 5-minute window of arrival, named for the
    window's end as AWS names them::

        AWSLogs/<account>/elasticloadbalancing/<region>/YYYY/MM/DD/<account>_elasticloadbalancing_
            <region>_app.<lb-name>.<lb-id>_<YYYYMMDDTHHmmZ>_<node ip>_<random>.log.gz

    Lines are in the order responses left the node; gzip mtime 0 and every draw from
    ``salt``: the same requests give the same bytes. The rows returned are what
    :func:`read_files` reads back from the files, ``file`` relative to ``raw``.
    """
    n = requests.num_rows
    if n == 0:
        return ROWS.empty_table()
    r = {name: requests[name].combine_chunks() for name in requests.column_names}
    rng = np.random.default_rng(
        int(web.short_hash(salt, "alb", int(web.epoch_ms(r["time"]).min()), n, size=8), 16)
    )
    arrival = web.epoch_ms(r["time"])
    total = sum(np.maximum(web.to_numpy(r[c]), 0.0) for c in _TIMES)
    # the response leaves a few hundred microseconds after the logged (rounded) times add up
    done_us = arrival * 1000 + np.round(total * 1e6).astype(np.int64) + rng.integers(20, 480, n)
    response = pa.array(done_us, pa.timestamp("us", tz="UTC"))
    created = pa.array(arrival * 1000, pa.timestamp("us", tz="UTC"))

    https = pc.equal(r["scheme"], "https")
    forwarded, blocked = r["forwarded"], pc.equal(r["waf_action"], "BLOCK")
    kind = pc.if_else(
        https, pc.if_else(pc.equal(r["http_version"], "HTTP/2.0"), "h2", "https"), "http"
    )
    query = pc.if_else(pc.equal(r["args"], ""), "", pc.binary_join_element_wise("?", r["args"], ""))
    port = pc.if_else(https, ":443", ":80")
    url = pc.binary_join_element_wise(r["scheme"], "://", r["host"], port, r["uri"], query, "")
    request = pc.binary_join_element_wise(r["method"], url, r["http_version"], " ")
    tls = rng.random(n) < 0.7
    cipher = pc.if_else(https, pa.array(np.where(tls, _TLS[0][0], _TLS[1][0])), _NO_TEXT)
    protocol = pc.if_else(https, pa.array(np.where(tls, _TLS[0][1], _TLS[1][1])), _NO_TEXT)
    ip_host = pc.match_substring_regex(r["host"], r"^[0-9.]+$|^\[?[0-9a-fA-F:]+\]?$")
    sni = pc.if_else(pc.or_(pc.invert(https), ip_host), _NO_TEXT, r["host"])
    redirected = pc.and_(pc.invert(forwarded), pc.invert(blocked))
    redirect_url = pc.if_else(
        redirected,
        pc.binary_join_element_wise("https://", r["host"], ":443", r["uri"], query, ""),
        _NO_TEXT,
    )
    actions = pc.if_else(blocked, "waf", pc.if_else(forwarded, "waf,forward", "waf,redirect"))
    target_port = pc.cast(r["target_port"], pa.string())
    target = pc.binary_join_element_wise(r["target_ip"], target_port, ":")
    columns = {
        "type": kind,
        "time": pc.cast(response, pa.timestamp("us")),
        "elb": pa.repeat(pa.scalar(site.elb), n),
        "client_ip": r["client_ip"],
        "client_port": r["client_port"],
        "target_ip": r["target_ip"],
        "target_port": r["target_port"],
        "request_processing_time": _measured(r["request_processing_time"]),
        "target_processing_time": _measured(r["target_processing_time"]),
        "response_processing_time": _measured(r["response_processing_time"]),
        "elb_status_code": r["status"],
        "target_status_code": r["target_status"],
        "received_bytes": r["received_bytes"],
        "sent_bytes": r["sent_bytes"],
        "request": request,
        "method": r["method"],
        "url": url,
        "uri": r["uri"],
        "query": r["args"],
        "http_version": r["http_version"],
        "user_agent": r["user_agent"],
        "ssl_cipher": cipher,
        "ssl_protocol": protocol,
        "target_group_arn": pc.if_else(forwarded, site.target_group_arn, _NO_TEXT),
        "trace_id": r["trace_id"],
        "domain_name": sni,
        "chosen_cert_arn": pc.if_else(https, site.certificate_arn, _NO_TEXT),
        "matched_rule_priority": pc.if_else(blocked, pa.scalar(None, pa.int32()), 0),
        "request_creation_time": pc.cast(created, pa.timestamp("us")),
        "actions_executed": actions,
        "redirect_url": redirect_url,
        "error_reason": pa.nulls(n, pa.string()),
        "target_port_list": target,
        "target_status_code_list": pc.cast(r["target_status"], pa.string()),
        "classification": pa.nulls(n, pa.string()),
        "classification_reason": pa.nulls(n, pa.string()),
    }

    def text(name: str) -> pa.Array:
        value = columns[name]
        if pa.types.is_timestamp(value.type):
            value = web.iso_us(web.to_numpy(pc.cast(value, pa.int64())))
        elif pa.types.is_floating(value.type):
            value = _seconds(value)
        return pc.fill_null(pc.cast(value, pa.string()), "-")

    client_port = pc.cast(r["client_port"], pa.string())
    quoted = (
        "request",
        "user_agent",
        "trace_id",
        "domain_name",
        "chosen_cert_arn",
        "actions_executed",
        "redirect_url",
        "error_reason",
        "target_port_list",
        "target_status_code_list",
        "classification",
        "classification_reason",
    )
    pieces: list = []
    for field in _LINE_FIELDS:  # one join for the whole line: fields and their separators
        if field == "client":
            pieces += [r["client_ip"], ":", client_port, " "]
        elif field == "target":
            pieces += [pc.fill_null(target, "-"), " "]
        elif field in quoted:
            pieces += ['"', text(field), '" ']
        else:
            pieces += [text(field), " "]
    pieces[-1] = '"\n'
    lines = pc.binary_join_element_wise(*pieces, "")

    # The node that handled each request: the load balancer's DNS answers round robin.
    node_index = pc.fill_null(
        pc.index_in(
            pc.utf8_slice_codeunits(r["request_id"], -2, -1),
            value_set=pa.array(list("0123456789abcdef")),
        ),
        0,
    )
    node = web.to_numpy(node_index) % len(site.nodes)
    window = arrival // web.WINDOW_MS
    keys = pa.array(window * len(site.nodes) + node)

    def name(key: int) -> str:
        window_end = (key // len(site.nodes) + 1) * web.WINDOW_MS
        node_ip = site.nodes[key % len(site.nodes)]
        at = web.stamp(window_end)
        random = web.short_hash(salt, "alb", node_ip, window_end)
        return (
            f"AWSLogs/{site.account_id}/elasticloadbalancing/{site.region}/{at:%Y/%m/%d}/"
            f"{site.account_id}_elasticloadbalancing_{site.region}_app.{site.lb_name}."
            f"{site.lb_id}_{at:%Y%m%dT%H%MZ}_{node_ip}_{random}.log.gz"
        )

    files, file_of = web.files_by_window(keys, name)
    order = np.lexsort((done_us, file_of))
    web.deliver(raw, files, lines, file_of[order], order)
    columns["file"] = pa.array(files, pa.string()).take(pa.array(file_of))
    return pa.table([pc.cast(columns[f.name], f.type) for f in ROWS], schema=ROWS)


_TIMES = ("request_processing_time", "target_processing_time", "response_processing_time")
#: The access log line's fields in order (catalog column names where one matches).
_LINE_FIELDS = (
    "type time elb client target request_processing_time target_processing_time "
    "response_processing_time elb_status_code target_status_code received_bytes sent_bytes "
    "request user_agent ssl_cipher ssl_protocol target_group_arn trace_id domain_name "
    "chosen_cert_arn matched_rule_priority request_creation_time actions_executed redirect_url "
    "error_reason target_port_list target_status_code_list classification classification_reason"
).split()
_NO_TEXT = pa.scalar(None, pa.string())


def _measured(seconds: pa.Array) -> pa.Array:
    """-1 (not measured) as NULL, as the catalog keeps it."""
    return pc.if_else(pc.less(seconds, 0), pa.scalar(None, pa.float64()), seconds)


def _seconds(seconds: pa.Array) -> pa.Array:
    """Seconds as ALB writes them, to the millisecond (``0.035``), ``-1`` for NULL or -1."""
    ms = np.round(web.to_numpy(seconds.fill_null(-1.0)) * 1000).astype(np.int64)
    whole = pa.array(ms // 1000).cast(pa.string())
    fraction = pc.utf8_lpad(pa.array(ms % 1000).cast(pa.string()), 3, "0")
    text = pc.binary_join_element_wise(whole, fraction, ".")
    return pc.if_else(pa.array(ms < 0), "-1", text)


# -- reading ------------------------------------------------------------------------------

_FIELD_NAMES = [
    "type", "time", "elb", "client", "client_port", "target", "rpt", "tpt", "rspt",
    "elb_status_code", "target_status_code", "received_bytes", "sent_bytes", "request",
    "user_agent", "ssl_cipher", "ssl_protocol", "target_group_arn", "trace_id", "domain_name",
    "chosen_cert_arn", "matched_rule_priority", "request_creation_time", "actions_executed",
    "redirect_url", "error_reason", "target_port_list", "target_status_code_list",
    "classification", "classification_reason",
]  # fmt: skip
_Q = r'"(.*?)"'
_T = r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z)"
_NUM = r"(-?\d+(?:\.\d+)?|-)"
#: One access log line: the fields up to trace_id are required, the later ones
#: (added by AWS over the years) optional, and fields appended after them ignored.
_LINE_PATTERN = (
    rf"^(\S+) {_T} (\S+) (\S+):(\d+) (\S+) {_NUM} {_NUM} {_NUM} (\d{{3}}|-) (\d{{3}}|-) "
    rf"(\d+|-) (\d+|-) {_Q} {_Q} (\S+) (\S+) (\S+) {_Q}"
    rf"(?: {_Q} {_Q} (-?\d+|-) ({_T[1:-1]}|-) {_Q} {_Q} {_Q} {_Q} {_Q}(?: {_Q} {_Q})?)?"
    r"(?: .*)?$"
)
_LINE_RE = re.compile(_LINE_PATTERN)
_EXTRACT_SQL = (
    f"regexp_extract(line, '{_LINE_PATTERN}', [{', '.join(repr(n) for n in _FIELD_NAMES)}])"
)
_NAME_RE = re.compile(
    r"_elasticloadbalancing_[a-z0-9-]+_app\.[A-Za-z0-9-]+\.[0-9a-f]+_\d{8}T\d{4}Z_[^_]+_[0-9a-z]+"
    r"\.log(?:\.gz)?$"
)
_EXPECTED = "expected ALB access log lines (type time elb client:port target:port ...)"


def looks_like(path: Path, head: str) -> bool:
    """Whether a file is an ALB access log, from its first line or AWS's file name.

    >>> looks_like(Path("x.log"), 'https 2026-01-02T03:04:05.123456Z app/web/0a1b '
    ...   '203.0.113.9:5100 10.0.1.5:8080 0.001 0.020 0.000 200 200 300 900 '
    ...   '"GET https://a:443/ HTTP/1.1" "x" - - - "Root=1-0-0"')
    True
    >>> looks_like(Path("x.log"), '{"timestamp": 1}')
    False
    """
    first = head.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    return bool(_LINE_RE.match(first)) or bool(_NAME_RE.search(Path(path).name))


def read_files(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], root: Path | None = None
) -> tuple[int, list[tuple[Path, str]]]:
    """Load ALB access log files into the ``alb`` table; return (rows, skipped files).

    Takes AWS's ``.log.gz`` files and plain text, with AWS's 29 fields or the older,
    shorter lines (missing trailing fields are NULL; fields AWS appends later, such as
    ``conn_trace_id``, are ignored). Types are pinned: ``-`` is NULL, a time of ``-1``
    is NULL, addresses stay text (logs can hold values that are not valid addresses).
    A file that cannot be read or holds a line that is not an access log entry is
    skipped whole with a one-line reason; the others load.

    >>> con.execute(TABLE.ddl())  # doctest: +SKIP
    >>> read_files(con, sorted(Path("raw").rglob("*_app.*.log.gz")))  # doctest: +SKIP
    (1234, [])
    """
    skipped: dict[int, tuple[Path, str]] = {}
    groups: dict[str, list[tuple[int, Path]]] = {}
    for index, path in enumerate(map(Path, paths)):
        try:
            compression = _compression(path)
        except (OSError, EOFError, zlib.error) as error:
            skipped[index] = (path, f"cannot read the file: {one_line(error)}")
            continue
        groups.setdefault(compression, []).append((index, path))

    inserted = load_groups(
        groups,
        lambda compression, members: _insert(
            con, [p for _, p in members], compression, root, skipped, members
        ),
        skipped,
        "corrupt or truncated: ",
    )
    return inserted, [skipped[i] for i in sorted(skipped)]


def _compression(path: Path) -> str:
    """gzip or none, from the first bytes; reads a little to fail early on a broken gzip."""
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        with gzip.open(path, "rb") as f:
            f.read(1024)
        return "gzip"
    return "none"


def _insert(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    compression: str,
    root: Path | None,
    skipped: dict[int, tuple[Path, str]],
    members: list[tuple[int, Path]],
) -> int:
    """Stage the files' lines, set aside files with lines that are not entries, insert."""
    listing = pa.table(
        {"path": [str(p) for p in paths], "file": [relative(p, root) for p in paths]}
    )
    files, stage = "_gameday_alb_files", "_gameday_alb_stage"
    con.register(files, listing)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {stage} AS "
            f"SELECT filename, line, {_EXTRACT_SQL} AS f "
            f"FROM read_csv(?, columns = {{'line': 'VARCHAR'}}, delim = '{chr(1)}', quote = '', "
            f"escape = '', header = false, auto_detect = false, compression = '{compression}', "
            f"filename = true) WHERE line <> ''",
            [[str(p) for p in paths]],
        ).fetchall()
        bad = dict(
            con.execute(
                f"SELECT filename, count(*) FILTER (f.type = '') || ' of ' || count(*) "
                f"|| ' lines are not ALB access log entries (first: ' "
                f"|| coalesce(any_value(left(line, 60)) FILTER (f.type = ''), '') || ')' "
                f"FROM {stage} GROUP BY filename HAVING bool_or(f.type = '')"
            ).fetchall()
        )
        seen = {r[0] for r in con.execute(f"SELECT DISTINCT filename FROM {stage}").fetchall()}
        for index, path in members:
            if str(path) in bad:
                skipped[index] = (path, f"{bad[str(path)]}: {_EXPECTED}")
            elif str(path) not in seen:
                skipped[index] = (path, f"empty file: {_EXPECTED}")
        [(count,)] = con.execute(
            f"INSERT INTO {TABLE.name} ({', '.join(TABLE.names)}) "
            f"SELECT {', '.join(_COLUMNS_SQL[c] for c in TABLE.names)} "
            f"FROM {stage} AS s JOIN {files} AS l ON s.filename = l.path "
            f"WHERE s.filename NOT IN (SELECT filename FROM {stage} WHERE f.type = '')"
        ).fetchall()
        return count
    finally:
        con.unregister(files)
        con.execute(f"DROP TABLE IF EXISTS {stage}").fetchall()


def _dash(field: str) -> str:
    """A field as text, NULL for - or absent."""
    return f"CASE WHEN f.{field} IN ('-', '') THEN NULL ELSE f.{field} END"


def _cast(field: str, type_: str) -> str:
    return f"CAST({_dash(field)} AS {type_})"


def _time(field: str) -> str:
    return f"nullif(CAST({_dash(field)} AS DOUBLE), -1)"


_URL = "regexp_extract(f.request, '^\\S+ (.*) \\S+$', 1)"
_URL_SQL = f"nullif(nullif({_URL}, ''), '-')"
_PATH = "'^(?:[A-Za-z][A-Za-z0-9+.-]*://[^/?]*)?([^?]*)'"
_COLUMNS_SQL = {
    "type": "f.type",
    "time": "CAST(f.time AS TIMESTAMP)",
    "elb": "f.elb",
    "client_ip": "trim(f.client, '[]')",
    "client_port": "CAST(f.client_port AS INTEGER)",
    "target_ip": f"trim(regexp_extract({_dash('target')}, '^(.*):\\d+$', 1), '[]')",
    "target_port": f"CAST(nullif(regexp_extract({_dash('target')}, ':(\\d+)$', 1), '') AS INTEGER)",
    "request_processing_time": _time("rpt"),
    "target_processing_time": _time("tpt"),
    "response_processing_time": _time("rspt"),
    "elb_status_code": _cast("elb_status_code", "INTEGER"),
    "target_status_code": _cast("target_status_code", "INTEGER"),
    "received_bytes": _cast("received_bytes", "BIGINT"),
    "sent_bytes": _cast("sent_bytes", "BIGINT"),
    "request": "f.request",
    "method": "nullif(regexp_extract(f.request, '^(\\S+) ', 1), '-')",
    "url": _URL_SQL,
    "uri": f"nullif(regexp_extract({_URL_SQL}, {_PATH}, 1), '')",
    "query": f"CASE WHEN {_URL_SQL} IS NOT NULL THEN regexp_extract({_URL_SQL}, '\\?(.*)$', 1) END",
    "http_version": "nullif(regexp_extract(f.request, ' (\\S+)$', 1), '-')",
    "user_agent": _dash("user_agent"),
    "ssl_cipher": _dash("ssl_cipher"),
    "ssl_protocol": _dash("ssl_protocol"),
    "target_group_arn": _dash("target_group_arn"),
    "trace_id": _dash("trace_id"),
    "domain_name": _dash("domain_name"),
    "chosen_cert_arn": _dash("chosen_cert_arn"),
    "matched_rule_priority": _cast("matched_rule_priority", "INTEGER"),
    "request_creation_time": _cast("request_creation_time", "TIMESTAMP"),
    "actions_executed": _dash("actions_executed"),
    "redirect_url": _dash("redirect_url"),
    "error_reason": _dash("error_reason"),
    "target_port_list": _dash("target_port_list"),
    "target_status_code_list": _dash("target_status_code_list"),
    "classification": _dash("classification"),
    "classification_reason": _dash("classification_reason"),
    "file": "l.file",
}
