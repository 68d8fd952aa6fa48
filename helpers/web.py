"""Web requests to the company's public Application Load Balancer, as one frame.

AWS WAF sits on the load balancer, so every request leaves a line in both the WAF
log and the ALB access log. Storylines and the background build *requests* once
(:data:`REQUESTS`); :mod:`helpers.alb` and :mod:`helpers.waf` each write their own
native files and catalog rows from the same frame, so the two sources always
agree about a request (its time, client, URI, and the WAF's verdict).

Columns left null are filled by the writers the way AWS would (request ids, trace
ids, processing times), so a storyline names only what it knows:

>>> from helpers.schema import frame
>>> frame(REQUESTS, 1, uri="/login", method="GET", status=200).num_rows
1

The site itself (domain, load balancer, its nodes and targets, the web ACL and its
rules) is drawn from the world by :func:`site`. A storyline that injects requests
gives them their ids up front with :func:`request_ids`, so that the trainer's ground
truth (which records ``request_id``) names what lands in the files: WAF's
``requestId``, and the ALB's trace id ``Root=<request_id>``::

    ms = start + np.sort(rng.integers(0, 600_000, n))        # epoch ms
    scan = frame(web.REQUESTS, n, time=ms.astype("datetime64[ms]"), client_ip=attacker,
                 uri=paths, args="", user_agent="gobuster/3.6", status=404,
                 request_id=web.request_ids(rng, ms))
    injection.add("web", "recon", scan)

A WAF verdict is named by its rule: ``waf_action="BLOCK", waf_rule="SQLi_QUERYARGUMENTS"``
(a managed rule of :data:`MANAGED_RULES`: logged inside its rule group, with its label),
or ``waf_count_rules="EC2MetaDataSSRF_QUERYARGUMENTS"`` for a rule that only counts
(:data:`COUNT_MODE`); a blocked request is answered 403 by the load balancer.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers import ids
from helpers.gz import gzip_bytes

if TYPE_CHECKING:
    from helpers.world import World

TS = pa.timestamp("ms", tz="UTC")

#: One row per HTTP request the load balancer received.
REQUESTS = pa.schema(
    [
        ("time", TS),  # when the request arrived (ALB request_creation_time, WAF timestamp)
        ("client_ip", pa.string()),
        ("client_port", pa.int32()),  # null -> drawn
        ("country", pa.string()),  # two-letter code, as WAF's httpRequest.country; null -> by IP
        ("method", pa.string()),  # GET, POST, ...; null -> GET
        ("host", pa.string()),  # the Host header; null -> the site's domain
        ("uri", pa.string()),  # the path, no query string; null -> /
        ("args", pa.string()),  # the query string without "?", "" when none
        ("http_version", pa.string()),  # HTTP/1.1 | HTTP/2.0; null -> HTTP/1.1
        ("user_agent", pa.string()),  # null: the client sent none
        ("referer", pa.string()),  # null when the client sent none
        ("status", pa.int16()),  # what the load balancer answered (elb_status_code); null -> 200
        ("target_status", pa.int16()),  # what the target answered; null -> status when forwarded
        ("target_ip", pa.string()),  # the instance that served it; null -> one of the site's
        ("received_bytes", pa.int64()),  # null -> from the request's size
        ("sent_bytes", pa.int64()),  # null -> drawn for the status
        ("target_processing_time", pa.float64()),  # seconds; null -> drawn by the writer
        ("waf_action", pa.string()),  # ALLOW | BLOCK | COUNT (terminating action); null -> ALLOW
        ("waf_rule", pa.string()),  # terminating rule (a managed rule's own id); null -> default
        ("waf_rule_type", pa.string()),  # REGULAR | MANAGED_RULE_GROUP | RATE_BASED; null -> known
        ("waf_count_rules", pa.string()),  # rules that matched in COUNT mode, comma-separated
        (
            "waf_labels",
            pa.string(),
        ),  # labels added by matching rules, comma-separated; null -> known
        ("request_id", pa.string()),  # WAF httpRequest.requestId; null -> drawn
        ("trace_id", pa.string()),  # ALB X-Amzn-Trace-Id Root=...; null -> Root=<request_id>
        ("scheme", pa.string()),  # https | http; null -> https (http gets the listener's 301)
    ]
)

#: What the writers need beyond :data:`REQUESTS`, filled by :func:`prepare`.
PREPARED = pa.schema(
    [
        *REQUESTS,
        ("target_port", pa.int32()),
        ("request_processing_time", pa.float64()),  # -1 where not measured, as ALB writes it
        ("response_processing_time", pa.float64()),
        ("forwarded", pa.bool_()),  # reached a target (not blocked, not redirected)
    ]
)

#: A delivery file per 5 minutes, for both sources.
WINDOW_MS = 5 * 60 * 1000

# -- the web ACL ----------------------------------------------------------------

#: The web ACL's first rule: an IP set rule letting the contracted security vendor's
#: scanner through unchecked (terminating ALLOW, evaluated before any rule group).
VENDOR_RULE = "AllowSecurityVendorScanner"

#: The web ACL's managed rule groups in priority order: (rule name in the web ACL,
#: ruleGroupId, label namespace). The default action is Allow.
RULE_GROUPS: tuple[tuple[str, str, str], ...] = (
    (
        "AWS-AWSManagedRulesAmazonIpReputationList",
        "AWS#AWSManagedRulesAmazonIpReputationList",
        "amazon-ip-list",
    ),
    ("AWS-AWSManagedRulesCommonRuleSet", "AWS#AWSManagedRulesCommonRuleSet", "core-rule-set"),
    (
        "AWS-AWSManagedRulesKnownBadInputsRuleSet",
        "AWS#AWSManagedRulesKnownBadInputsRuleSet",
        "known-bad-inputs",
    ),
    ("AWS-AWSManagedRulesSQLiRuleSet", "AWS#AWSManagedRulesSQLiRuleSet", "sql-database"),
)

#: Rules of those groups that this kit's requests match: rule id -> (group, label name).
#: The label is ``awswaf:managed:aws:<namespace>:<label name>`` (AWS's own spelling).
MANAGED_RULES: dict[str, tuple[int, str]] = {
    "AWSManagedIPReputationList": (0, "AWSManagedIPReputationList"),
    "AWSManagedReconnaissanceList": (0, "AWSManagedReconnaissanceList"),
    "NoUserAgent_HEADER": (1, "NoUserAgent_Header"),
    "UserAgent_BadBots_HEADER": (1, "BadBots_Header"),
    "SizeRestrictions_QUERYSTRING": (1, "SizeRestrictions_QueryString"),
    "EC2MetaDataSSRF_QUERYARGUMENTS": (1, "EC2MetaDataSSRF_QueryArguments"),
    "EC2MetaDataSSRF_URIPATH": (1, "EC2MetaDataSSRF_URIPath"),
    "GenericLFI_QUERYARGUMENTS": (1, "GenericLFI_QueryArguments"),
    "GenericLFI_URIPATH": (1, "GenericLFI_URIPath"),
    "RestrictedExtensions_URIPATH": (1, "RestrictedExtensions_URIPath"),
    "GenericRFI_QUERYARGUMENTS": (1, "GenericRFI_QueryArguments"),
    "CrossSiteScripting_QUERYARGUMENTS": (1, "CrossSiteScripting_QueryArguments"),
    "ExploitablePaths_URIPATH": (2, "ExploitablePaths_URIPath"),
    "Log4JRCE_HEADER": (2, "Log4JRCE_Header"),
    "Log4JRCE_QUERYSTRING": (2, "Log4JRCE_QueryString"),
    "JavaDeserializationRCE_HEADER": (2, "JavaDeserializationRCE_Header"),
    "SQLi_QUERYARGUMENTS": (3, "SQLi_QueryArguments"),
    "SQLiExtendedPatterns_QUERYARGUMENTS": (3, "SQLiExtendedPatterns_QueryArguments"),
}

#: Managed rules this web ACL overrides to Count: set so while tuning, never set back.
#: Requests they match are logged (nonTerminatingMatchingRules, a label) and let through.
COUNT_MODE = frozenset({"EC2MetaDataSSRF_QUERYARGUMENTS", "EC2MetaDataSSRF_URIPATH"})


def label(rule: str) -> str | None:
    """The label a managed rule adds to the requests it matches (None for other rules).

    >>> label("SQLi_QUERYARGUMENTS")
    'awswaf:managed:aws:sql-database:SQLi_QueryArguments'
    """
    if rule not in MANAGED_RULES:
        return None
    group, name = MANAGED_RULES[rule]
    return f"awswaf:managed:aws:{RULE_GROUPS[group][2]}:{name}"


# -- the site ---------------------------------------------------------------------


@dataclass(frozen=True)
class Site:
    """The company's public web shop as AWS sees it: one internet-facing ALB with a
    WAF web ACL, in the home region, forwarding to the web instances."""

    account_id: str
    region: str
    domain: str  # what browsers ask for (Host header, TLS SNI)
    lb_name: str
    lb_id: str  # 16 hex digits
    dns_name: str  # <lb-name>-<digits>.<region>.elb.amazonaws.com: what scanners ask for
    nodes: tuple[str, ...]  # the load balancer nodes' private addresses (one per zone)
    addresses: tuple[str, ...]  # the nodes' public addresses (what the DNS name resolves to)
    targets: tuple[str, ...]  # the web instances' private addresses
    target_port: int
    target_group_arn: str
    certificate_arn: str
    web_acl_name: str
    web_acl_id: str  # a uuid
    vendor_ip: str  # the contracted security vendor's scanner (allow-listed in the web ACL)
    #: The shop's image proxy: fetches the URL given in ``?url=`` (thumbnails of partner
    #: images). Ordinary pages call it all day; it is what an SSRF goes through.
    fetch_path: str = "/api/v1/image-proxy"

    @property
    def elb(self) -> str:
        """The load balancer as ALB logs name it: ``app/<name>/<id>``."""
        return f"app/{self.lb_name}/{self.lb_id}"

    @property
    def load_balancer_arn(self) -> str:
        return (
            f"arn:aws:elasticloadbalancing:{self.region}:{self.account_id}:loadbalancer/{self.elb}"
        )

    @property
    def web_acl_arn(self) -> str:
        return (
            f"arn:aws:wafv2:{self.region}:{self.account_id}:regional/webacl/"
            f"{self.web_acl_name}/{self.web_acl_id}"
        )

    @property
    def http_source_id(self) -> str:
        """WAF's httpSourceId for an ALB: ``<account>-app/<name>/<id>``."""
        return f"{self.account_id}-{self.elb}"


def site(world: World) -> Site:
    """The world's web shop, drawn from its seed (the same world, the same site).

    >>> from helpers.world import build_world
    >>> site(build_world(7)).domain == f"www.{build_world(7).slug}.example"
    True
    """
    from helpers.world import public_ip

    rng = np.random.default_rng([world.seed, 40])
    taken = {i.private_ip for i in world.instances}
    nodes: list[str] = []
    while len(nodes) < 2:
        ip = f"{world.vpc_cidr_prefix}.1.{int(rng.integers(4, 250))}"
        if ip not in taken and ip not in nodes:
            nodes.append(ip)
    lb_name = f"{world.slug}-web"
    lb_id = ids.random_strings(rng, 1, 16, ids.HEX)[0]
    tg_id = ids.random_strings(rng, 1, 16, ids.HEX)[0]
    region, account = world.home_region, world.account_id
    return Site(
        account_id=account,
        region=region,
        domain=f"www.{world.slug}.example",
        lb_name=lb_name,
        lb_id=lb_id,
        dns_name=f"{lb_name}-{int(rng.integers(10**8, 2 * 10**9))}.{region}.elb.amazonaws.com",
        nodes=tuple(nodes),
        addresses=tuple(public_ip(rng) for _ in nodes),
        targets=tuple(i.private_ip for i in world.instances if "-web-" in i.name),
        target_port=8080,
        target_group_arn=(
            f"arn:aws:elasticloadbalancing:{region}:{account}:targetgroup/{world.slug}-web-tg/{tg_id}"
        ),
        certificate_arn=f"arn:aws:acm:{region}:{account}:certificate/{ids.uuids(rng, 1)[0]}",
        web_acl_name=f"{world.slug}-web-acl",
        web_acl_id=str(ids.uuids(rng, 1)[0]),
        vendor_ip=world.audit_ip,
    )


# -- ids a storyline gives its requests ------------------------------------------------


def request_ids(rng: np.random.Generator, times) -> pa.Array:
    """Request ids as the ALB makes them (``1-<epoch seconds, 8 hex>-<24 hex>``), which
    WAF logs as ``requestId`` and the ALB as its trace id's ``Root``.

    ``times`` are the requests' arrival times (datetime64, epoch ms or a timestamp array).

    >>> rid = request_ids(np.random.default_rng(1), np.array([0], dtype="datetime64[ms]"))
    >>> rid[0].as_py()[:11], len(rid[0].as_py())
    ('1-00000000-', 35)
    """
    seconds = (epoch_ms(times) // 1000).astype(np.uint32)
    shifts = np.arange(28, -1, -4, dtype=np.uint32)
    digits = ids.HEX[(seconds[:, None] >> shifts) & 0xF]
    stamp = pa.array(np.ascontiguousarray(digits).view("S8").ravel(), pa.binary(8))
    body = ids.random_array(rng, len(seconds), 24, ids.HEX)
    return pc.binary_join_element_wise("1", stamp.cast(pa.string()), body, "-")


def trace_ids(request_id: pa.Array) -> pa.Array:
    """The ALB trace ids (``Root=<request id>``) of request ids.

    >>> trace_ids(pa.array(["1-00000000-0123456789abcdef01234567"]))[0].as_py()
    'Root=1-00000000-0123456789abcdef01234567'
    """
    return pc.binary_join_element_wise("Root=", request_id, "")


# -- filling a frame the way AWS would ---------------------------------------------------

#: Where clients whose country the frame leaves out appear to be (WAF's geo lookup).
COUNTRIES = ("US", "DE", "GB", "FR", "NL", "IE", "CA", "IN", "BR", "SG", "JP", "PL", "RO", "VN")
COUNTRY_SHARES = np.array([30, 9, 9, 6, 5, 4, 4, 6, 4, 3, 3, 3, 2, 2], dtype=float)


def prepare(frame: pa.Table, site: Site, salt: str) -> pa.Table:
    """Requests with every column AWS would log filled in (schema :data:`PREPARED`).

    What the frame leaves null is filled as the load balancer and WAF would: a request
    id and trace id, the client's port and country, the target that served it, its
    processing times and sizes. A WAF ``BLOCK`` is answered 403 by the load balancer and
    reaches no target; a plain-HTTP request gets the HTTP listener's redirect (301).
    Random fills are drawn from ``salt`` and the rows' times: the same frame and salt
    give the same requests.
    """
    n = frame.num_rows
    if n == 0:
        return PREPARED.empty_table()
    frame = pa.table(
        [frame[f.name] if f.name in frame.column_names else pa.nulls(n, f.type) for f in REQUESTS],
        schema=REQUESTS,
    ).combine_chunks()
    for name in ("time", "client_ip"):
        if frame[name].null_count:
            raise ValueError(f"web requests need a {name} for every row")
    ms = epoch_ms(frame["time"])
    if (np.diff(ms) < 0).any():  # in time order, so that each file's lines are in order already
        frame = frame.take(pa.array(np.argsort(ms, kind="stable"))).combine_chunks()
        ms = epoch_ms(frame["time"])
    col = {name: frame[name].chunk(0) for name in frame.column_names}
    digest = hashlib.blake2b(f"{salt}|web|{int(ms.min())}|{n}".encode(), digest_size=8)
    rng = np.random.default_rng(int.from_bytes(digest.digest(), "big"))

    out = dict(col)
    out["method"] = pc.fill_null(col["method"], "GET")
    out["host"] = pc.fill_null(col["host"], site.domain)
    out["uri"] = pc.fill_null(col["uri"], "/")
    out["args"] = pc.fill_null(col["args"], "")
    out["http_version"] = pc.fill_null(col["http_version"], "HTTP/1.1")
    out["scheme"] = pc.fill_null(col["scheme"], "https")
    out["waf_action"] = pc.fill_null(col["waf_action"], "ALLOW")
    out["waf_rule"] = pc.fill_null(col["waf_rule"], "Default_Action")
    managed = pc.is_in(out["waf_rule"], value_set=pa.array(list(MANAGED_RULES)))
    out["waf_rule_type"] = pc.if_else(
        col["waf_rule_type"].is_valid(),
        col["waf_rule_type"],
        pc.if_else(managed, "MANAGED_RULE_GROUP", "REGULAR"),
    )

    if col["request_id"].null_count:
        drawn = request_ids(rng, ms)
        out["request_id"] = pc.if_else(col["request_id"].is_valid(), col["request_id"], drawn)
    out["trace_id"] = pc.if_else(
        col["trace_id"].is_valid(), col["trace_id"], trace_ids(out["request_id"])
    )
    out["client_port"] = _filled(col["client_port"], rng.integers(1024, 65536, n), pa.int32())
    if col["country"].null_count:
        out["country"] = pc.if_else(
            col["country"].is_valid(), col["country"], _countries(col["client_ip"])
        )

    blocked = to_numpy(pc.equal(out["waf_action"], "BLOCK"))
    redirect = to_numpy(pc.equal(out["scheme"], "http")) & ~blocked
    forwarded = ~blocked & ~redirect
    status = np.where(
        blocked, 403, np.where(redirect, 301, to_numpy(pc.fill_null(col["status"], 200)))
    ).astype(np.int16)
    out["status"] = pa.array(status)
    out["target_status"] = pa.array(
        np.where(forwarded, to_numpy(pc.fill_null(col["target_status"], pa.array(status))), 0),
        pa.int16(),
        mask=~forwarded,
    )
    # The target: the one named, else one picked by the request id (the load balancer's
    # round robin looks random from outside).
    pick = pc.fill_null(
        pc.index_in(
            pc.utf8_slice_codeunits(out["request_id"], -1, 1 << 30),
            value_set=pa.array(list("0123456789abcdef")),
        ),
        0,
    )
    targets = np.asarray(site.targets or ("-",), dtype=object)
    chosen = targets[to_numpy(pick) % len(targets)]
    target_ip = np.where(to_numpy(col["target_ip"].is_valid()), to_numpy(col["target_ip"]), chosen)
    out["target_ip"] = pa.array(target_ip, pa.string(), mask=~forwarded)
    out["target_port"] = pa.array(np.full(n, site.target_port, np.int32), mask=~forwarded)

    # Processing times, seconds to the millisecond as ALB logs them; -1: not measured.
    drawn_tpt = np.clip(rng.lognormal(np.log(0.035), 0.9, n), 0.001, 29.0)
    tpt = np.round(to_numpy(pc.fill_null(col["target_processing_time"], pa.array(drawn_tpt))), 3)
    out["target_processing_time"] = pa.array(np.where(forwarded, tpt, -1.0))
    out["request_processing_time"] = pa.array(
        np.where(forwarded, rng.choice([0.0, 0.001], n, p=[0.8, 0.2]), -1.0)
    )
    out["response_processing_time"] = pa.array(
        np.where(forwarded, rng.choice([0.0, 0.001], n, p=[0.9, 0.1]), -1.0)
    )
    out["forwarded"] = pa.array(forwarded)

    size = sum(
        to_numpy(pc.fill_null(pc.utf8_length(out[c]), 0)).astype(np.int64)
        for c in ("method", "host", "uri", "args", "user_agent", "referer")
    )
    posted = to_numpy(pc.equal(out["method"], "POST"))
    received = 160 + size + rng.integers(0, 260, n) + posted * rng.integers(40, 900, n)
    out["received_bytes"] = _filled(col["received_bytes"], received, pa.int64())
    sent = np.select(
        [status < 300, status < 400, status == 403, status == 404, status < 500],
        [
            np.clip(rng.lognormal(np.log(9_000), 1.1, n), 180, 5_000_000),
            rng.integers(150, 420, n),
            rng.integers(200, 260, n),
            rng.integers(300, 720, n),
            rng.integers(200, 600, n),
        ],
        rng.integers(150, 400, n),
    ).astype(np.int64)
    # what a blocked or redirected request got back is the load balancer's page, not the app's
    out["sent_bytes"] = pc.if_else(
        pa.array(forwarded), _filled(col["sent_bytes"], sent, pa.int64()), pa.array(sent)
    )
    return pa.table([out[f.name] for f in PREPARED], schema=PREPARED)


def write_native(frame: pa.Table, raw: Path, world: World, salt: str) -> dict[str, pa.Table]:
    """Write a chunk of requests as ALB access logs and WAF logs; return both tables' rows.

    The same prepared requests feed both writers, so the ALB line and the WAF record
    of one request agree (time, client, URI, verdict, request id). Call it once per
    time chunk aligned to 5 minutes. Returns ``{"alb": rows, "waf": rows}`` with each
    catalog table's columns in order.

    >>> rows = write_native(requests, Path("raw"), world, salt="demo")  # doctest: +SKIP
    """
    from helpers import alb, waf

    the_site = site(world)
    requests = prepare(frame, the_site, salt)
    return {
        alb.TABLE.name: alb.write(requests, Path(raw), the_site, salt),
        waf.TABLE.name: waf.write(requests, Path(raw), the_site, salt),
    }


# -- shared by the two writers ---------------------------------------------------------


def deliver(
    raw: Path, files: Sequence[str], lines: pa.Array, file_of: np.ndarray, order: np.ndarray
) -> None:
    """Write ``files[i]`` as one gzip member of the ``lines`` whose ``file_of`` is ``i``,
    in ``order``. Each line ends in a newline already."""
    in_order = bool((np.diff(order) > 0).all())
    taken = lines if in_order else lines.take(pa.array(order))
    if isinstance(taken, pa.ChunkedArray):
        taken = taken.combine_chunks()
    counts = np.bincount(file_of, minlength=len(files))
    bounds = np.concatenate([[0], np.cumsum(counts)])
    offsets = np.frombuffer(taken.buffers()[1], np.int32)[taken.offset :]
    data = memoryview(taken.buffers()[2])
    root = os.fspath(raw)  # plain strings: a week is thousands of files, pathlib adds up
    for parent in sorted({os.path.dirname(f) for f in files}):
        os.makedirs(os.path.join(root, parent), exist_ok=True)
    for i, name in enumerate(files):
        body = data[offsets[bounds[i]] : offsets[bounds[i + 1]]]
        with open(os.path.join(root, name), "wb") as out:
            out.write(gzip_bytes(body))


def files_by_window(keys: pa.Array, names) -> tuple[list[str], np.ndarray]:
    """Sorted file names and each row's file index, from a per-row group key
    (dictionary-encoded) and ``names(key) -> file name``."""
    encoded = pc.dictionary_encode(keys)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    files = [names(k) for k in encoded.dictionary.to_pylist()]
    rank = np.empty(len(files), dtype=np.int64)
    rank[sorted(range(len(files)), key=files.__getitem__)] = np.arange(len(files))
    return sorted(files), rank[encoded.indices.to_numpy(zero_copy_only=False)]


def iso_us(micros: np.ndarray) -> pa.Array:
    """Epoch microseconds as ``2026-01-02T03:04:05.123456Z``, built as one byte matrix
    (Arrow's strftime costs about 10 µs a value; this is a hundred times less).

    >>> iso_us(np.array([1_767_323_045_123_456]))[0].as_py()
    '2026-01-02T03:04:05.123456Z'
    """
    micros = np.asarray(micros, dtype=np.int64)
    day = micros.astype("datetime64[us]").astype("datetime64[D]")
    month = day.astype("datetime64[M]")
    year = month.astype("datetime64[Y]")
    fields = (
        (year.astype(np.int64) + 1970, 4),
        ((month - year).astype(np.int64) + 1, 2),
        ((day - month).astype(np.int64) + 1, 2),
        (micros // 3_600_000_000 % 24, 2),
        (micros // 60_000_000 % 60, 2),
        (micros // 1_000_000 % 60, 2),
        (micros % 1_000_000, 6),
    )
    out = np.empty((len(micros), 27), np.uint8)
    out[:] = np.frombuffer(b"0000-00-00T00:00:00.000000Z", np.uint8)
    at = 0
    for value, width in fields:  # each field is followed by one separator: - - T : : . Z
        for k in range(width):
            out[:, at + k] = 48 + value // 10 ** (width - 1 - k) % 10
        at += width + 1
    return pa.array(out.view("S27").ravel(), pa.binary(27)).cast(pa.string())


def stamp(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


def short_hash(*parts: object, size: int = 4) -> str:
    """A stable hex digest of parts: the random-looking bits of AWS file names."""
    return hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=size).hexdigest()


def epoch_ms(times) -> np.ndarray:
    """Epoch milliseconds of datetime64 / int / timestamp values, as int64."""
    if isinstance(times, pa.ChunkedArray):
        times = times.combine_chunks()
    if isinstance(times, pa.Array):
        if pa.types.is_timestamp(times.type):
            times = pc.cast(pc.cast(times, pa.timestamp("ms", tz=times.type.tz)), pa.int64())
        return times.to_numpy(zero_copy_only=False).astype(np.int64)
    arr = np.asarray(times)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[ms]").astype(np.int64)
    return arr.astype(np.int64)


def to_numpy(array) -> np.ndarray:
    """An Arrow array (or chunked array) as numpy, copying where it must."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.to_numpy(zero_copy_only=False)


def _filled(column: pa.Array, drawn: np.ndarray, type_: pa.DataType) -> pa.Array:
    """``column`` with its nulls replaced by ``drawn`` (same length)."""
    if not column.null_count:
        return column.cast(type_)
    return pc.if_else(column.is_valid(), column.cast(type_), pa.array(drawn, type_))


def _countries(client_ip: pa.Array) -> pa.Array:
    """A country per address, the same for the same address: a stand-in for WAF's
    geo lookup where a frame does not say (made-up addresses have no real place)."""
    encoded = pc.dictionary_encode(client_ip)
    cdf = np.cumsum(COUNTRY_SHARES) / COUNTRY_SHARES.sum()
    picks = [
        COUNTRIES[min(int(np.searchsorted(cdf, int(short_hash("geo", ip), 16) / 2**32)), 13)]
        for ip in encoded.dictionary.to_pylist()
    ]
    return pa.array(picks, pa.string()).take(encoded.indices)
