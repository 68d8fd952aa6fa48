"""AWS WAF logs: the writer, the reader and the catalog table ``waf``.

The web ACL on the load balancer logs every request it inspects as one JSON line:
its verdict (the terminating rule and action, the rule groups it went through, the
rules that matched in COUNT mode, the labels rules added) and the request itself
(client, country, headers, URI, query string, request id). Files are delivered every
5 minutes in AWS's ``WAFLogs`` key layout.

:func:`write` renders prepared requests (:func:`helpers.web.prepare`) column-wise, JSON
escaping done by Arrow (and, for the rare value that needs it, by :mod:`json`);
:func:`read_files` loads those files, or a learner's own, into the same typed table,
headers as a list of ``{name, value}`` structs with ``host`` and ``user_agent`` beside.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote_plus

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers import web
from helpers.files import load_groups, one_line, relative
from helpers.schema import Column, Table

_HEADER = "STRUCT(name VARCHAR, value VARCHAR)"

#: The catalog table ``waf``: one row per request the web ACL inspected.
TABLE = Table(
    name="waf",
    row="one request AWS WAF inspected on the load balancer (one WAF log record)",
    columns=(
        Column(
            "time",
            "TIMESTAMP",
            "timestamp: when the request arrived, UTC (= alb.request_creation_time)",
        ),
        Column("action", "VARCHAR", "the terminating action: ALLOW, BLOCK, CAPTCHA, CHALLENGE"),
        Column(
            "terminating_rule_id",
            "VARCHAR",
            "the rule that decided: Default_Action, a web ACL rule, or a managed rule group "
            "(AWS-AWSManagedRulesCommonRuleSet, ...)",
        ),
        Column(
            "terminating_rule_type", "VARCHAR", "REGULAR, MANAGED_RULE_GROUP, RATE_BASED, GROUP"
        ),
        Column(
            "group_rule_id",
            "VARCHAR",
            "for a terminating rule group: the rule inside it that matched "
            "(ruleGroupList[].terminatingRule.ruleId), e.g. SQLi_QUERYARGUMENTS",
        ),
        Column(
            "count_rules",
            "VARCHAR[]",
            "rules that matched in COUNT mode (they log and let the request through): "
            "nonTerminatingMatchingRules, at the top level and inside rule groups",
        ),
        Column("labels", "VARCHAR[]", "labels matching rules added, e.g. awswaf:managed:aws:..."),
        Column("client_ip", "VARCHAR", "httpRequest.clientIp"),
        Column("country", "VARCHAR", "httpRequest.country: where WAF places the address"),
        Column("method", "VARCHAR", "httpRequest.httpMethod"),
        Column("host", "VARCHAR", "the Host header (from headers)"),
        Column("uri", "VARCHAR", "httpRequest.uri: the path, without the query"),
        Column("args", "VARCHAR", "httpRequest.args: the query string, '' when none"),
        Column("http_version", "VARCHAR", "httpRequest.httpVersion"),
        Column("user_agent", "VARCHAR", "the User-Agent header (from headers); NULL when none"),
        Column(
            "headers",
            f"{_HEADER}[]",
            "httpRequest.headers as sent, a list of {name, value}: "
            "list_filter(headers, lambda h: lower(h.name) = 'referer')",
        ),
        Column(
            "request_id",
            "VARCHAR",
            "httpRequest.requestId; for an ALB it is its trace id's Root (alb.trace_id)",
        ),
        Column("http_source_name", "VARCHAR", "what WAF protects: ALB, CF, APIGW, ..."),
        Column("http_source_id", "VARCHAR", "which one: account-app/lb-name/lb-id for an ALB"),
        Column("web_acl_id", "VARCHAR", "webaclId: the web ACL's ARN"),
        Column(
            "terminating_rule_match_details",
            "JSON",
            "what a terminating SQLi or XSS rule matched: conditionType, location, matchedData",
        ),
        Column(
            "rule_group_list",
            "JSON",
            "ruleGroupList: each rule group evaluated, its terminatingRule and COUNT matches",
        ),
        Column(
            "non_terminating_matching_rules",
            "JSON",
            "nonTerminatingMatchingRules: web ACL rules that matched in COUNT mode",
        ),
        Column("rate_based_rule_list", "JSON", "rateBasedRuleList"),
        Column("response_code_sent", "INTEGER", "a custom response's status code; NULL when none"),
        Column("format_version", "INTEGER", "formatVersion (1)"),
        Column("file", "VARCHAR", "the log file the record was read from, relative to raw/"),
    ),
)

_HEADER_TYPE = pa.struct([("name", pa.string()), ("value", pa.string())])
_ARROW = {
    "VARCHAR": pa.string(),
    "INTEGER": pa.int32(),
    "JSON": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
    "VARCHAR[]": pa.list_(pa.string()),
    f"{_HEADER}[]": pa.list_(_HEADER_TYPE),
}
#: The Arrow schema of catalog rows (what :func:`write` returns).
ROWS = pa.schema([(c.name, _ARROW[c.type]) for c in TABLE.columns])


# -- the verdicts --------------------------------------------------------------------


def _verdict(action: str, rule: str, rule_type: str, counts: str | None, labels: str | None):
    """What WAF logs about one (action, rule, COUNT rules, labels) combination.

    Managed rules (:data:`helpers.web.MANAGED_RULES`) are logged inside their rule
    group: the web ACL's rule for the group terminates, ``ruleGroupList`` lists the
    groups evaluated up to it (each with its COUNT matches), and the rule adds its
    label. Other rules are web ACL rules, evaluated before the groups.
    """
    count_rules = [c.strip() for c in (counts or "").split(",") if c.strip()]
    group = web.MANAGED_RULES.get(rule, (None,))[0]
    if group is not None:
        rule_id, rule_type = web.RULE_GROUPS[group][0], "MANAGED_RULE_GROUP"
    else:
        rule_id = rule
    top = [c for c in count_rules if c not in web.MANAGED_RULES]
    grouped = {
        g: [c for c in count_rules if web.MANAGED_RULES.get(c, (None,))[0] == g]
        for g in range(len(web.RULE_GROUPS))
    }
    if group is not None:
        last = group
    elif rule == "Default_Action":
        last = len(web.RULE_GROUPS) - 1
    else:
        last = -1
    last = max([last, *(g for g, rules in grouped.items() if rules)])
    rule_groups = [
        {
            "ruleGroupId": web.RULE_GROUPS[g][1],
            "terminatingRule": (
                {"ruleId": rule, "action": action, "ruleMatchDetails": None} if g == group else None
            ),
            "nonTerminatingMatchingRules": [
                {
                    "ruleId": c,
                    "action": "COUNT",
                    "overriddenAction": "BLOCK",
                    "ruleMatchDetails": [],
                }
                for c in grouped[g]
            ],
            "excludedRules": None,
            "customerConfig": None,
        }
        for g in range(last + 1)
    ]
    non_terminating = [{"ruleId": c, "action": "COUNT", "ruleMatchDetails": []} for c in top]
    if labels is None:
        names = [web.label(c) for c in count_rules] + [web.label(rule)]
        label_list = [x for x in names if x]
    else:
        label_list = [x.strip() for x in labels.split(",") if x.strip()]
    matched = None
    if rule.startswith("SQLi"):
        matched = "SQL_INJECTION"
    elif rule.startswith("CrossSiteScripting"):
        matched = "XSS"
    return {
        "head": (
            f'"terminatingRuleId":{_dumps(rule_id)},"terminatingRuleType":{_dumps(rule_type)},'
            f'"action":{_dumps(action)}'
        ),
        "rule_groups": _dumps(rule_groups),
        "non_terminating": _dumps(non_terminating),
        "labels_json": (
            f',"labels":{_dumps([{"name": x} for x in label_list])}' if label_list else ""
        ),
        "terminating_rule_id": rule_id,
        "terminating_rule_type": rule_type,
        "group_rule_id": rule if group is not None else None,
        "count_rules": top + [c for g in range(len(web.RULE_GROUPS)) for c in grouped[g]],
        "labels": label_list,
        "matched": matched,
        "location": _location(rule),
    }


def _location(rule: str) -> str:
    suffix = rule.rsplit("_", 1)[-1]
    return {
        "QUERYARGUMENTS": "ALL_QUERY_ARGS",
        "QUERYSTRING": "QUERY_STRING",
        "URIPATH": "URI",
        "HEADER": "HEADER",
        "BODY": "BODY",
        "COOKIE": "COOKIE",
    }.get(suffix, "QUERY_STRING")


def _match_details(kind: str, location: str, args: str) -> str:
    """terminatingRuleMatchDetails of a SQLi or XSS match: the tokens it matched."""
    value = unquote_plus(args.split("=", 1)[-1])
    tokens = re.findall(r"[A-Za-z0-9_]+|[^\sA-Za-z0-9_]", value)[:4]
    detail: dict = {"conditionType": kind}
    if kind == "SQL_INJECTION":
        detail["sensitivityLevel"] = "LOW"
    detail |= {"location": location, "matchedData": tokens}
    return _dumps([detail])


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# -- headers ---------------------------------------------------------------------------

_BROWSER = r"^Mozilla/5\.0 \((Windows|Macintosh|X11|Linux|iPhone|iPad)"
_ACCEPT = (  # (uri pattern, what browsers accept for it)
    (r"^/api/", "application/json, text/plain, */*"),
    (r"\.css$", "text/css,*/*;q=0.1"),
    (r"\.js$", "*/*"),
    (
        r"\.(png|jpe?g|gif|webp|svg|ico|avif)$",
        "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    ),
)
_PAGE_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8"
)
_LANGUAGES = {
    "US": "en-US,en;q=0.9",
    "GB": "en-GB,en;q=0.9",
    "IE": "en-IE,en-GB;q=0.9,en;q=0.8",
    "DE": "de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7",
    "FR": "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7",
    "NL": "nl-NL,nl;q=0.9,en-US;q=0.8,en;q=0.7",
    "ES": "es-ES,es;q=0.9,en;q=0.8",
    "IT": "it-IT,it;q=0.9,en-US;q=0.8,en;q=0.7",
    "PL": "pl-PL,pl;q=0.9,en-US;q=0.8,en;q=0.7",
    "BR": "pt-BR,pt;q=0.9,en-US;q=0.8,en;q=0.7",
    "JP": "ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7",
    "AU": "en-AU,en;q=0.9",
    "CA": "en-CA,en;q=0.9,fr-CA;q=0.8",
}


def _headers(r: dict[str, pa.Array]) -> list[tuple[str, pa.Array]]:
    """The request's headers as (name, values) slots, in the order clients send them;
    a null value is a header this request did not carry."""
    n = len(r["uri"])
    ua = r["user_agent"]
    browser = pc.fill_null(pc.match_substring_regex(ua, _BROWSER), False)
    browser = pc.and_(browser, pc.invert(pc.fill_null(pc.match_substring(ua, "bot"), False)))
    accept = pa.repeat(pa.scalar(_PAGE_ACCEPT), n)
    for pattern, value in reversed(_ACCEPT):
        accept = pc.if_else(pc.match_substring_regex(r["uri"], pattern), value, accept)
    accept = pc.if_else(browser, accept, "*/*")
    keys = pa.array(list(_LANGUAGES))
    languages = pa.array(list(_LANGUAGES.values())).take(pc.index_in(r["country"], value_set=keys))
    language = pc.if_else(browser, pc.fill_null(languages, "en-US,en;q=0.9"), _NO_TEXT)
    encoding = pc.if_else(
        browser, "gzip, deflate, br, zstd", pc.if_else(ua.is_valid(), "gzip", _NO_TEXT)
    )
    posted = pc.equal(r["method"], "POST")
    content = pc.if_else(
        posted,
        pc.if_else(
            pc.match_substring_regex(r["uri"], r"^/api/"),
            "application/json",
            "application/x-www-form-urlencoded",
        ),
        _NO_TEXT,
    )
    return [
        ("Host", r["host"]),
        ("User-Agent", ua),
        ("Accept", accept),
        ("Accept-Language", language),
        ("Accept-Encoding", encoding),
        ("Referer", r["referer"]),
        ("Content-Type", content),
    ]


_NO_TEXT = pa.scalar(None, pa.string())


def _header_list(slots: list[tuple[str, pa.Array]], lower: pa.Array) -> pa.Array:
    """The headers as a list of {name, value} per request (HTTP/2 names in lower case)."""
    n = len(slots[0][1])
    k = len(slots)
    present = np.stack([web.to_numpy(v.is_valid()) for _, v in slots], axis=1)
    names = [pc.if_else(lower, name.lower(), name) for name, _ in slots]
    at = (np.arange(k)[None, :] * n + np.arange(n)[:, None])[present]
    values = pa.concat_arrays([v for _, v in slots]).take(pa.array(at))
    named = pa.concat_arrays(names).take(pa.array(at))
    offsets = np.concatenate([[0], np.cumsum(present.sum(axis=1))]).astype(np.int32)
    items = pa.StructArray.from_arrays([named, values], fields=list(_HEADER_TYPE))
    return pa.ListArray.from_arrays(pa.array(offsets), items, type=pa.list_(_HEADER_TYPE))


#: Headers nearly unique per request: rendered column-wise; the others per distinct set.
_PER_ROW = ("User-Agent", "Referer")


def _header_json(slots: list[tuple[str, pa.Array]], lower: pa.Array) -> pa.Array:
    """The headers as the JSON text of their list, without the brackets.

    Most headers repeat (a browser sends the same Accept and Accept-Language all visit
    long): each distinct set of them is rendered once and taken per request; User-Agent
    and Referer, which vary more, are quoted column-wise between them.
    """
    unset = "\x00"
    shared = [(name, v) for name, v in slots if name not in _PER_ROW]
    key = pc.binary_join_element_wise(
        pc.if_else(lower, "1", "0"), *(pc.fill_null(v, unset) for _, v in shared), "\x1f"
    )
    encoded = pc.dictionary_encode(key)
    # the shared headers fall in segments around the per-row ones
    order = [name for name, _ in slots]
    segment_of = {}
    segment = 0
    for name in order:
        if name in _PER_ROW:
            segment += 1
        else:
            segment_of[name] = segment
    texts: list[list[str | None]] = [[] for _ in range(segment + 1)]
    rendered: dict[tuple[str, str], str] = {}
    for combo in encoded.dictionary.to_pylist():
        h2, *values = combo.split("\x1f")
        parts: list[list[str]] = [[] for _ in range(segment + 1)]
        for (name, _), value in zip(shared, values, strict=True):
            if value == unset:
                continue
            shown = name.lower() if h2 == "1" else name
            if (shown, value) not in rendered:
                rendered[shown, value] = _dumps({"name": shown, "value": value})
            parts[segment_of[name]].append(rendered[shown, value])
        for k, part in enumerate(parts):
            texts[k].append(",".join(part) or None)
    pieces = []
    for k in range(segment + 1):
        pieces.append(pa.array(texts[k], pa.string()).take(encoded.indices))
        if k < len(_PER_ROW):
            name = _PER_ROW[k]
            values = dict(slots)[name]
            prefix = pc.if_else(
                lower, f'{{"name":"{name.lower()}","value":"', f'{{"name":"{name}","value":"'
            )
            pieces.append(pc.binary_join_element_wise(prefix, _json_inner(values), '"}', ""))
    return pc.binary_join_element_wise(*pieces, ",", null_handling="skip")


def _json_text(values: pa.Array) -> pa.Array:
    """JSON string literals of a string column (nulls stay null)."""
    return pc.binary_join_element_wise('"', _json_inner(values), '"', "")


def _json_inner(values: pa.Array) -> pa.Array:
    """A string column escaped for the inside of JSON string literals.

    Generated values almost never need escaping: one scan of the column's bytes finds
    whether any does, and only the values with a quote, a backslash or a control
    character are escaped (by :func:`json.dumps`).
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    data = values.buffers()[2]
    if data is None or values.type != pa.string():
        return values
    raw = np.frombuffer(data, np.uint8)
    if not ((raw < 0x20) | (raw == 0x22) | (raw == 0x5C)).any():
        return values
    special = pc.fill_null(pc.match_substring_regex(values, r'[\\"\x00-\x1f]'), False)
    rows = np.flatnonzero(web.to_numpy(special))
    if not len(rows):
        return values
    fixed = [_dumps(v)[1:-1] for v in values.take(pa.array(rows)).to_pylist()]
    return pc.replace_with_mask(values, special, pa.array(fixed, pa.string()))


# -- the writer -----------------------------------------------------------------------------


def write(requests: pa.Table, raw: Path, site: web.Site, salt: str) -> pa.Table:
    """Write prepared requests as WAF log files; return the ``waf`` catalog rows.

    One file per 5-minute window, foldered and named for the window's start::

        AWSLogs/<account>/WAFLogs/<region>/<web-acl>/YYYY/MM/DD/HH/mm/
            <account>_waflogs_<region>_<web-acl>_<YYYYMMDDTHHmmZ>_<hash>.log.gz

    One compact JSON record per line in arrival order, keys in AWS's order, ``labels``
    only where a rule added one; gzip mtime 0: the same requests give the same bytes.
    The rows returned are what :func:`read_files` reads back, ``file`` relative to ``raw``.
    """
    n = requests.num_rows
    if n == 0:
        return ROWS.empty_table()
    r = {name: requests[name].combine_chunks() for name in requests.column_names}
    ms = web.epoch_ms(r["time"])

    # The verdict's parts per distinct (action, rule, COUNT rules, labels), then per row.
    unset = "\x00"
    key = pc.binary_join_element_wise(
        r["waf_action"],
        r["waf_rule"],
        r["waf_rule_type"],
        pc.fill_null(r["waf_count_rules"], unset),
        pc.fill_null(r["waf_labels"], unset),
        "\x1f",
    )
    encoded = pc.dictionary_encode(key)
    verdicts = []
    for text in encoded.dictionary.to_pylist():
        action, rule, rule_type, counts, labels = text.split("\x1f")
        verdicts.append(
            _verdict(
                action,
                rule,
                rule_type,
                None if counts == unset else counts,
                None if labels == unset else labels,
            )
        )
    pick = encoded.indices

    def per_row(field: str, type_: pa.DataType | None = None) -> pa.Array:
        return pa.array([v[field] for v in verdicts], type_ or pa.string()).take(pick)

    details = pa.repeat(pa.scalar("[]"), n)
    matched = [i for i, v in enumerate(verdicts) if v["matched"]]
    if matched:
        rows = np.flatnonzero(np.isin(pick.to_numpy(zero_copy_only=False), matched))
        args = r["args"].take(pa.array(rows)).to_pylist()
        texts = [
            _match_details(verdicts[i]["matched"], verdicts[i]["location"], a)
            for i, a in zip(pick.take(pa.array(rows)).to_pylist(), args, strict=True)
        ]
        mask = np.zeros(n, bool)
        mask[rows] = True
        details = pc.replace_with_mask(details, pa.array(mask), pa.array(texts, pa.string()))

    lower = pc.equal(r["http_version"], "HTTP/2.0")
    slots = _headers(r)
    line = pc.binary_join_element_wise(
        '{"timestamp":',
        pa.array(ms).cast(pa.string()),
        f',"formatVersion":1,"webaclId":{_dumps(site.web_acl_arn)},',
        per_row("head"),
        ',"terminatingRuleMatchDetails":',
        details,
        f',"httpSourceName":"ALB","httpSourceId":{_dumps(site.http_source_id)},"ruleGroupList":',
        per_row("rule_groups"),
        ',"rateBasedRuleList":[],"nonTerminatingMatchingRules":',
        per_row("non_terminating"),
        ',"requestHeadersInserted":null,"responseCodeSent":null,"httpRequest":{"clientIp":"',
        _json_inner(r["client_ip"]),
        '","country":"',
        _json_inner(r["country"]),
        '","headers":[',
        _header_json(slots, lower),
        '],"uri":"',
        _json_inner(r["uri"]),
        '","args":"',
        _json_inner(r["args"]),
        '","httpVersion":"',
        _json_inner(r["http_version"]),
        '","httpMethod":"',
        _json_inner(r["method"]),
        '","requestId":"',
        _json_inner(r["request_id"]),
        '"}',
        per_row("labels_json"),
        "}\n",
        "",
    )

    window = ms // web.WINDOW_MS
    acl, account, region = site.web_acl_name, site.account_id, site.region

    def name(w: int) -> str:
        at = web.stamp(w * web.WINDOW_MS)
        digest = web.short_hash(salt, "waf", acl, w)
        return (
            f"AWSLogs/{account}/WAFLogs/{region}/{acl}/{at:%Y/%m/%d/%H/%M}/"
            f"{account}_waflogs_{region}_{acl}_{at:%Y%m%dT%H%MZ}_{digest}.log.gz"
        )

    files, file_of = web.files_by_window(pa.array(window), name)
    order = np.lexsort((ms, file_of))
    web.deliver(raw, files, line, file_of, order)

    columns = {
        "time": pc.cast(pa.array(ms * 1000, pa.timestamp("us")), pa.timestamp("us")),
        "action": r["waf_action"],
        "terminating_rule_id": per_row("terminating_rule_id"),
        "terminating_rule_type": per_row("terminating_rule_type"),
        "group_rule_id": per_row("group_rule_id"),
        "count_rules": per_row("count_rules", pa.list_(pa.string())),
        "labels": per_row("labels", pa.list_(pa.string())),
        "client_ip": r["client_ip"],
        "country": r["country"],
        "method": r["method"],
        "host": r["host"],
        "uri": r["uri"],
        "args": r["args"],
        "http_version": r["http_version"],
        "user_agent": r["user_agent"],
        "headers": _header_list(slots, lower),
        "request_id": r["request_id"],
        "http_source_name": pa.repeat(pa.scalar("ALB"), n),
        "http_source_id": pa.repeat(pa.scalar(site.http_source_id), n),
        "web_acl_id": pa.repeat(pa.scalar(site.web_acl_arn), n),
        "terminating_rule_match_details": details,
        "rule_group_list": per_row("rule_groups"),
        "non_terminating_matching_rules": per_row("non_terminating"),
        "rate_based_rule_list": pa.repeat(pa.scalar("[]"), n),
        "response_code_sent": pa.nulls(n, pa.int32()),
        "format_version": pa.repeat(pa.scalar(1, pa.int32()), n),
        "file": pa.array(files, pa.string()).take(pa.array(file_of)),
    }
    return pa.table([pc.cast(columns[f.name], f.type) for f in ROWS], schema=ROWS)


# -- reading --------------------------------------------------------------------------------

_NAME_RE = re.compile(r"_waflogs_[a-z0-9-]+_.+_\d{8}T\d{4}Z_[0-9a-f]+\.log(?:\.gz)?$")
_EXPECTED = "expected AWS WAF log records, one JSON object per line"
_JSON_COLUMNS = {
    "timestamp": "BIGINT",
    "formatVersion": "INTEGER",
    "webaclId": "VARCHAR",
    "terminatingRuleId": "VARCHAR",
    "terminatingRuleType": "VARCHAR",
    "action": "VARCHAR",
    "terminatingRuleMatchDetails": "JSON",
    "httpSourceName": "VARCHAR",
    "httpSourceId": "VARCHAR",
    "ruleGroupList": "JSON",
    "rateBasedRuleList": "JSON",
    "nonTerminatingMatchingRules": "JSON",
    "responseCodeSent": "VARCHAR",
    "httpRequest": (
        f"STRUCT(clientIp VARCHAR, country VARCHAR, headers {_HEADER}[], uri VARCHAR, "
        "args VARCHAR, httpVersion VARCHAR, httpMethod VARCHAR, requestId VARCHAR)"
    ),
    "labels": "STRUCT(name VARCHAR)[]",
}


def _header_sql(name: str) -> str:
    return f"list_filter(j.httpRequest.headers, lambda h: lower(h.name) = '{name}')[1].value"


_COLUMNS_SQL = {
    "time": "make_timestamp(j.timestamp * 1000)",
    "action": "j.action",
    "terminating_rule_id": "j.terminatingRuleId",
    "terminating_rule_type": "j.terminatingRuleType",
    "group_rule_id": (
        "list_filter(json_extract_string(j.ruleGroupList, '$[*].terminatingRule.ruleId'), "
        "lambda x: x IS NOT NULL)[1]"
    ),
    "count_rules": (
        "list_concat("
        "coalesce(json_extract_string(j.nonTerminatingMatchingRules, '$[*].ruleId'), []), "
        "coalesce(json_extract_string(j.ruleGroupList, "
        "'$[*].nonTerminatingMatchingRules[*].ruleId'), []))"
    ),
    "labels": "coalesce(list_transform(j.labels, lambda x: x.name), [])",
    "client_ip": "j.httpRequest.clientIp",
    "country": "j.httpRequest.country",
    "method": "j.httpRequest.httpMethod",
    "host": _header_sql("host"),
    "uri": "j.httpRequest.uri",
    "args": "j.httpRequest.args",
    "http_version": "j.httpRequest.httpVersion",
    "user_agent": _header_sql("user-agent"),
    "headers": "j.httpRequest.headers",
    "request_id": "j.httpRequest.requestId",
    "http_source_name": "j.httpSourceName",
    "http_source_id": "j.httpSourceId",
    "web_acl_id": "j.webaclId",
    "terminating_rule_match_details": "j.terminatingRuleMatchDetails",
    "rule_group_list": "j.ruleGroupList",
    "non_terminating_matching_rules": "j.nonTerminatingMatchingRules",
    "rate_based_rule_list": "j.rateBasedRuleList",
    "response_code_sent": "TRY_CAST(j.responseCodeSent AS INTEGER)",
    "format_version": "j.formatVersion",
    "file": "l.file",
}


def looks_like(path: Path, head: str) -> bool:
    """Whether a file is an AWS WAF log, from its first record or AWS's file name.

    >>> looks_like(Path("x.log"), '{"timestamp":1693457862729,"formatVersion":1,'
    ...            '"webaclId":"arn:aws:wafv2:ap-southeast-2:111111111111:regional/webacl/A/b",'
    ...            '"terminatingRuleId":"Default_Action"')
    True
    >>> looks_like(Path("x.json"), '{"Records": [{"eventVersion": "1.08"')
    False
    """
    first = head.lstrip("\ufeff \t\r\n").split("\n", 1)[0]
    by_content = (
        first.startswith("{")
        and '"webaclId"' in first
        and ('"terminatingRuleId"' in first or '"httpRequest"' in first)
    )
    return by_content or bool(_NAME_RE.search(Path(path).name))


def read_files(
    con: duckdb.DuckDBPyConnection, paths: Sequence[Path], root: Path | None = None
) -> tuple[int, list[tuple[Path, str]]]:
    """Load AWS WAF log files into the ``waf`` table; return (rows, skipped files).

    Takes the S3 delivery files (JSON lines, ``.log.gz`` or plain) with their fields
    read into pinned types: unknown fields are ignored, missing ones NULL, lists of
    rule matches kept as JSON. A file that cannot be read, is not JSON lines, or holds
    records without ``timestamp``, ``action`` and ``httpRequest`` is skipped whole with
    a one-line reason; the others load.

    >>> con.execute(TABLE.ddl())  # doctest: +SKIP
    >>> read_files(con, sorted(Path("raw").rglob("*_waflogs_*.log.gz")))  # doctest: +SKIP
    (1234, [])
    """
    skipped: dict[int, tuple[Path, str]] = {}
    groups: dict[str, list[tuple[int, Path]]] = {}
    for index, path in enumerate(map(Path, paths)):
        try:
            compression, head = _head(path)
        except (OSError, EOFError, zlib.error) as error:
            skipped[index] = (path, f"cannot read the file: {one_line(error)}")
            continue
        if not head.strip():
            skipped[index] = (path, f"empty file: {_EXPECTED}")
        elif not head.lstrip("\ufeff \t\r\n").startswith("{"):
            skipped[index] = (path, f"not JSON lines (starts {head.strip()[:20]!r}): {_EXPECTED}")
        else:
            groups.setdefault(compression, []).append((index, path))

    inserted = load_groups(
        groups,
        lambda compression, members: _insert(con, members, compression, root, skipped),
        skipped,
        "not AWS WAF JSON lines: ",
    )
    return inserted, [skipped[i] for i in sorted(skipped)]


def _head(path: Path, size: int = 1024) -> tuple[str, str]:
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":
        with gzip.open(path, "rb") as f:
            return "gzip", f.read(size).decode("utf-8", "replace")
    with open(path, "rb") as f:
        return "none", f.read(size).decode("utf-8", "replace")


def _insert(
    con: duckdb.DuckDBPyConnection,
    members: list[tuple[int, Path]],
    compression: str,
    root: Path | None,
    skipped: dict[int, tuple[Path, str]],
) -> int:
    """Stage the files' records, set aside files with records that are not WAF's, insert."""
    paths = [p for _, p in members]
    listing = pa.table(
        {"path": [str(p) for p in paths], "file": [relative(p, root) for p in paths]}
    )
    files, stage = "_gameday_waf_files", "_gameday_waf_stage"
    columns = ", ".join(f"'{k}': '{v}'" for k, v in _JSON_COLUMNS.items())
    con.register(files, listing)
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {stage} AS SELECT * FROM read_json(?, "
            f"format = 'newline_delimited', columns = {{{columns}}}, "
            f"compression = '{compression}', filename = true)",
            [[str(p) for p in paths]],
        ).fetchall()
        lacking = "j.timestamp IS NULL OR j.action IS NULL OR j.httpRequest IS NULL"
        bad = dict(
            con.execute(
                f"SELECT filename, count(*) FILTER ({lacking}) || ' of ' || count(*) "
                f"FROM {stage} AS j GROUP BY filename HAVING bool_or({lacking})"
            ).fetchall()
        )
        for index, path in members:
            if str(path) in bad:
                skipped[index] = (
                    path,
                    f"{bad[str(path)]} records lack timestamp, action or httpRequest: {_EXPECTED}",
                )
        [(count,)] = con.execute(
            f"INSERT INTO {TABLE.name} ({', '.join(TABLE.names)}) "
            f"SELECT {', '.join(_COLUMNS_SQL[c] for c in TABLE.names)} "
            f"FROM {stage} AS j JOIN {files} AS l ON j.filename = l.path "
            f"WHERE j.filename NOT IN (SELECT filename FROM {stage} AS j WHERE {lacking})"
        ).fetchall()
        return count
    finally:
        con.unregister(files)
        con.execute(f"DROP TABLE IF EXISTS {stage}").fetchall()
