"""Storyline 2: SSRF on the web app, the instance's credentials stolen, S3 emptied.

The Capital One pattern. Someone scans the company's public load balancer (hundreds
of 404s, a scanner's user agent) and finds a page that fetches any URL it is given.
They point it at the instance metadata service and walk down to
``/latest/meta-data/iam/security-credentials/<role>``: the web server hands out its
role's temporary key. AWS WAF saw every one of those requests, and its rule matched,
but the rule was in COUNT mode. Nothing of this reaches CloudTrail.

Minutes later the key (``ASIA...``, the very key the web server's own calls are signed
with in that six-hour window) is used from another address, outside AWS: who am I,
which buckets are there, then object after object from the customer-data bucket, and a
few database dumps from the backups bucket, which CloudTrail's data events do not
cover: only the S3 server access logs show those. GuardDuty notices the key outside AWS.

The learner links the two halves by time and by the key: the web probing and the API
calls come from different addresses.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers import guardduty as gd
from helpers import ids, s3access, web
from helpers.background import MS_HOUR, Background, Incident
from helpers.events import calls, role_identity
from helpers.quiz.question import Hint, Question, nudge, nudges
from helpers.schema import frame
from helpers.storylines.base import Injection, Step, Storyline
from helpers.traffic import random_public_ips
from helpers.world import GEO, Instance, World, public_ip, remote_details

STEPS = (
    Step(
        "scanning",
        "Scanning the public load balancer: hundreds of 404s from a scanner",
        "T1595.003",
        "Reconnaissance",
        ("web",),
        prevent="AWS WAF: Bot Control and rate-based rules in BLOCK mode",
        detect="WAF and ALB logs: one address, hundreds of 404s, a scanner's user agent",
        investigate="ALB access logs and WAF logs by client address",
    ),
    Step(
        "exploit",
        "SSRF: a page that fetches URLs fetches the metadata service for the attacker",
        "T1190",
        "Initial Access",
        ("web",),
        prevent="AWS WAF: the EC2MetaDataSSRF rule in BLOCK mode, not COUNT; input validation",
        detect="WAF logs: a rule that matched in COUNT mode (nonTerminatingMatchingRules)",
        investigate="WAF logs: httpRequest.args carrying 169.254.169.254",
    ),
    Step(
        "credential-access",
        "The web server's role credentials, read through the SSRF",
        "T1552.005",
        "Credential Access",
        ("web",),
        prevent="IMDSv2 (HttpTokens required): a token the SSRF cannot get",
        detect="Nothing in CloudTrail: the metadata service is not an API call",
        investigate="WAF/ALB logs: the request for security-credentials/<role>, its target",
    ),
    Step(
        "use-outside",
        "The instance's temporary key used from outside AWS, from another address",
        "T1078.004",
        "Initial Access",
        ("cloudtrail", "guardduty"),
        prevent="IAM: aws:EC2InstanceSourceVPC / source-IP conditions on the role",
        detect="GuardDuty: UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        investigate="CloudTrail: the key's calls, by source address",
    ),
    Step(
        "discovery",
        "Who am I, which buckets are there",
        "T1580",
        "Discovery",
        ("cloudtrail",),
        prevent="IAM least privilege: the web role needs no s3:ListAllMyBuckets",
        detect="GuardDuty: Discovery:S3/AnomalousBehavior",
        investigate="CloudTrail: GetCallerIdentity, ListBuckets, the denied calls",
    ),
    Step(
        "exfiltration",
        "GetObject over the customer-data bucket, and the backups",
        "T1530",
        "Collection",
        ("cloudtrail", "s3_access"),
        prevent="Bucket policies that allow the role only from the VPC endpoint",
        detect="GuardDuty S3 protection: Exfiltration:S3/AnomalousBehavior",
        investigate="CloudTrail data events, and S3 server access logs for every bucket",
    ),
)

#: The web scanners an attacker runs, with the user agent each sends. (Nikto is the
#: contracted vendor's: :data:`helpers.webtraffic.VENDOR_AGENT`.)
SCANNERS = {
    "Nuclei": "Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
    "gobuster": "gobuster/3.6",
    "ffuf": "Fuzz Faster U Fool v2.1.0-dev",
    "feroxbuster": "feroxbuster/2.10.4",
    "Wfuzz": "Wfuzz/3.1.0",
}
#: Pages of the shop that fetch a URL they are given, and the parameter naming it: the
#: SSRF goes through one of them.
FETCH_PAGES = (
    (web.Site.fetch_path, "url"),  # the shop's image proxy, which ordinary pages call all day
    ("/api/v1/share/preview", "url"),
    ("/api/v1/reviews/media-import", "src"),
    ("/api/v1/wishlist/import", "from"),
    ("/api/v1/webhooks/test", "endpoint"),
)
#: What a scanner's wordlist asks for: words with common suffixes, and well-known files.
WORDS = (
    "admin administrator api backup backups bak config conf console cgi-bin data db debug "
    "default dev download dump export files hidden internal jenkins login logs manager "
    "monitor old panel private proxy redirect secret server setup shell staging stats status "
    "system temp test tmp upload uploads user users v1 v2 web"
).split()
SUFFIXES = ("", "/", ".php", ".bak", ".zip", ".old", ".json")
WELL_KNOWN = (
    "/.env /.git/config /.git/HEAD /.svn/entries /.DS_Store /.aws/credentials /.ssh/id_rsa "
    "/wp-login.php /xmlrpc.php /phpmyadmin/ /server-status /actuator/env /swagger-ui.html "
    "/v2/api-docs /graphql /web.config /phpinfo.php /static/../../etc/passwd /robots.txt "
    "/sitemap.xml /favicon.ico /login /search /cart /account /api/v1/health"
).split()
WORDLIST = tuple(f"/{w}{s}" for w in WORDS for s in SUFFIXES) + tuple(WELL_KNOWN)
#: Paths of the wordlist the shop really serves (200); most of the rest are 404s.
SITE_PATHS = (
    "/robots.txt /sitemap.xml /favicon.ico /login /search /cart /account /api/v1/health"
).split()
#: Paths the web ACL's managed rules block (in BLOCK mode, unlike the SSRF rule).
BLOCKED_PATHS = {
    "/.env": "ExploitablePaths_URIPATH",
    "/.git/config": "ExploitablePaths_URIPATH",
    "/.git/HEAD": "ExploitablePaths_URIPATH",
    "/.aws/credentials": "ExploitablePaths_URIPATH",
    "/static/../../etc/passwd": "GenericLFI_URIPATH",
}
IMDS = "http://169.254.169.254"
#: The WAF rule that sees a metadata address in a query string (AWS managed core rule set):
#: the web ACL overrides it to COUNT (:data:`helpers.web.COUNT_MODE`), so it logs and lets go.
SSRF_RULE = "EC2MetaDataSSRF_QUERYARGUMENTS"
CURL = "curl/8.5.0"
PYTHON_REQUESTS = "python-requests/2.31.0"
#: The attacker's SDK: Boto3 on a rented server; its S3 resource API adds "Resource".
SDK = (
    "Boto3/1.34.144 md/Botocore#1.34.144 ua/2.0 os/linux#5.15.0-113-generic md/arch#x86_64 "
    "lang/python#3.10.12 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.144"
)
S3_CLIENT = SDK + " Resource"
#: Two-letter country codes of :data:`helpers.world.GEO`, as WAF writes httpRequest.country.
COUNTRY_CODES = {
    "Netherlands": "NL",
    "Germany": "DE",
    "Romania": "RO",
    "Singapore": "SG",
    "United States": "US",
    "Brazil": "BR",
    "Russia": "RU",
    "Vietnam": "VN",
}
#: What people hand those pages all week (URL-encoded, as browsers send them).
EVERYDAY_URLS = (
    "https%3A%2F%2Fimages.partner-supply.example%2Fp%2F",
    "https%3A%2F%2Fwww.instagram.com%2Fp%2F",
    "https%3A%2F%2Fi.imgur.com%2F",
    "https%3A%2F%2Fwww.pinterest.com%2Fpin%2F",
    "https%3A%2F%2Fhooks.slack.com%2Fservices%2F",
)
#: An internet-wide sprayer of SSRF payloads (a decoy): paths this site does not have.
SPRAY_PATHS = ("/proxy", "/api/proxy", "/fetch", "/redirect", "/image", "/url")
SPRAY_TARGETS = (
    "http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2F",
    "http%3A%2F%2F169.254.169.254%2Flatest%2Fmeta-data%2Fiam%2Fsecurity-credentials%2F",
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
)
SPRAYER = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36"
)
BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)
ATTACKER_CALLS_DENIED = ("ListUsers", "ListRoles", "GetAccountAuthorizationDetails")
#: The role key rotates every six hours (background.instance_roles): kind 11 of its draws.
SESSION_PERIOD = 6 * MS_HOUR
IMDSV2 = "IMDSv2 (HttpTokens required)"


def _ts(ms: np.ndarray | list[int] | int) -> pa.Array:
    return pa.array(np.atleast_1d(np.asarray(ms, dtype=np.int64)), pa.timestamp("ms", tz="UTC"))


def _dt(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _iso(ms: int) -> str:
    return _dt(ms).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def instance_session(
    world: World, incident: Incident, instance: Instance, at_ms: int
) -> tuple[str, int]:
    """The temporary key the instance's role session holds at ``at_ms``, and when that
    session began: drawn exactly as the background draws the instance's own calls, so
    the stolen key is the key the web server itself signs with at that time."""
    k = world.instances.index(instance)
    role = next(r for r in world.roles if r.name == instance.role)
    background = Background(world, 0.0, incident)
    ident = background._rotating_sessions(  # the background's own draw, not a copy of it
        11, k, role, instance.instance_id, np.array([at_ms]), SESSION_PERIOD, 60_000
    )
    key = ident.access_key_id[0].as_py()
    created = int(np.asarray(ident.session_created)[0].astype("datetime64[ms]").astype(np.int64))
    return key, created


#: The alert a learner starts from, as a careless query takes it.
ALERT_KEY = (
    "(SELECT access_key_id FROM guardduty_latest "
    "WHERE type LIKE '%InstanceCredentialExfiltration%' LIMIT 1)"
)
IMDS_ARGS = "args LIKE '%169.254.169.254%'"
TOP_404 = (
    "(SELECT client_ip FROM alb WHERE elb_status_code = 404 "
    "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1)"
)
#: What a careless learner types for each question with a nudge (tests run them).
NAIVE: dict[str, list[str]] = {
    # the finding seen most often: a port probe
    "ssrf-imds.q01": [
        "SELECT remote_ip FROM guardduty_latest WHERE remote_ip IS NOT NULL "
        "ORDER BY count DESC LIMIT 1"
    ],
    # the key's first call of all: the web server's own
    "ssrf-imds.q04": [f"SELECT min(event_time) FROM cloudtrail WHERE access_key_id = {ALERT_KEY}"],
    # every object read in the bucket: the order workers' too
    "ssrf-imds.q05": [
        "SELECT count(*) FROM cloudtrail WHERE event_name = 'GetObject' "
        "AND request_parameters->>'bucketName' LIKE '%customer-data%'"
    ],
    # whoever sent the most metadata URLs: an internet-wide sprayer
    "ssrf-imds.q06": [
        f"SELECT client_ip FROM waf WHERE {IMDS_ARGS} GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ],
    "ssrf-imds.q07": [
        f"SELECT uri FROM waf WHERE {IMDS_ARGS} GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ],
    # the commonest verdict on metadata URLs: the rule that decided, not the one that matched
    "ssrf-imds.q08": [
        f"SELECT terminating_rule_id FROM waf WHERE {IMDS_ARGS} "
        "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ],
    # the scanner of whoever made the most 404s: the contracted vendor
    "ssrf-imds.q09": [
        f"SELECT regexp_extract(any_value(user_agent), '{'|'.join(('Nikto', *SCANNERS))}') "
        f"FROM alb WHERE client_ip = {TOP_404}"
    ],
    # every 404 of the week, and the busiest 404 address's
    "ssrf-imds.q10": [
        "SELECT count(*) FROM alb WHERE elb_status_code = 404",
        f"SELECT count(*) FROM alb WHERE elb_status_code = 404 AND client_ip = {TOP_404}",
    ],
    # every bucket anyone read an object from
    "ssrf-imds.q12": [
        "SELECT DISTINCT bucket FROM s3_access WHERE operation = 'REST.GET.OBJECT' ORDER BY 1"
    ],
}


class SsrfImds(Storyline):
    """Storyline 2: the scan, the SSRF, the key used from outside, the buckets read."""

    name = "ssrf-imds"
    title = "SSRF on the web app: instance credentials stolen, S3 data taken"
    summary = (
        "A scanner finds a page that fetches URLs; the attacker makes it read the web "
        "server's role credentials from the metadata service and uses them from outside "
        "to download customer data."
    )
    steps = STEPS
    naive_queries = NAIVE

    def plan(self, world: World, rng: np.random.Generator) -> Incident:
        """Early in one of the role key's six-hour windows, on days 2-4 of the week, so
        everything the attacker does with the key fits before the key rotates."""
        day = int(rng.integers(2, 5))
        window = int(rng.integers(0, 4))
        start = int(world.start.timestamp() * 1000) + day * 24 * MS_HOUR + window * SESSION_PERIOD
        start += int(rng.uniform(0.3, 1.3) * MS_HOUR)
        return Incident(start=start, end=start + 5 * MS_HOUR)

    def inject(self, world: World, rng: np.random.Generator, incident: Incident) -> Injection:
        """Web requests (scan, SSRF), the stolen key's calls, the S3 requests, the alert, and
        the decoys; every answer's fact comes from what is injected here."""
        inj = Injection()
        webs = [i for i in world.instances if i.role == world.roles[0].name]
        role = next(r for r in world.roles if r.name == webs[0].role)
        victim = webs[int(rng.integers(len(webs)))]
        targets = np.asarray([i.private_ip for i in webs])
        scan_ip = public_ip(rng)
        api_ip = public_ip(rng)
        while api_ip == scan_ip:
            api_ip = public_ip(rng)
        country = COUNTRY_CODES[GEO[int(rng.integers(len(GEO)))][0]]
        tool = list(SCANNERS)[int(rng.integers(len(SCANNERS)))]
        page, param = FETCH_PAGES[int(rng.integers(len(FETCH_PAGES)))]
        window_end = (incident.start // SESSION_PERIOD + 1) * SESSION_PERIOD

        # 1. The scan: part of a wordlist, each path once, mostly 404s; a few paths are
        # blocked by the web ACL's managed rules (403), and the scan finds the page.
        n_scan = int(rng.integers(100, 180))
        paths = np.asarray(WORDLIST)[rng.choice(len(WORDLIST), n_scan, replace=False)]
        paths[int(rng.integers(n_scan // 2, n_scan - 1))] = page
        scan_ms = incident.start + np.cumsum(rng.integers(1_500, 9_000, n_scan))
        blocked = np.isin(paths, list(BLOCKED_PATHS))
        status = np.where(np.isin(paths, SITE_PATHS), 200, np.where(paths == page, 400, 404))
        status = np.where(blocked, 403, status).astype(np.int16)
        inj.add(
            "web",
            "scanning",
            self._requests(
                rng,
                scan_ms,
                scan_ip,
                country,
                paths,
                "",
                SCANNERS[tool],
                status,
                targets[rng.integers(0, len(targets), n_scan)],
                np.where(paths == page, 87, -1),
                waf_action=pa.array(np.where(blocked, "BLOCK", "ALLOW")),
                waf_rule=pa.array([BLOCKED_PATHS.get(p) for p in paths], pa.string()),
            ),
        )
        scan_end = int(scan_ms[-1])

        # 2. The SSRF: a test fetch, then down the metadata tree to the role's credentials.
        creds_path = f"/latest/meta-data/iam/security-credentials/{role.name}"
        walk = [
            ("https://example.com/", 1_256, False),
            (f"{IMDS}/latest/meta-data/", 338, True),
            (f"{IMDS}/latest/meta-data/iam/", 24, True),
            (f"{IMDS}/latest/meta-data/iam/security-credentials/", len(role.name), True),
            (f"{IMDS}{creds_path}", int(rng.integers(1_520, 1_600)), True),
        ]
        client = CURL if rng.random() < 0.5 else PYTHON_REQUESTS
        t = scan_end + int(rng.integers(4, 25)) * 60_000
        ssrf_ms = t + np.concatenate([[0], np.cumsum(rng.integers(8_000, 70_000, len(walk) - 1))])
        ssrf_targets = targets[rng.integers(0, len(targets), len(walk))]
        ssrf_targets[-1] = victim.private_ip
        imds = np.array([w[2] for w in walk])
        ssrf = self._requests(
            rng,
            ssrf_ms,
            scan_ip,
            country,
            page,
            np.asarray([f"{param}={w[0]}" for w in walk]),
            client,
            200,
            ssrf_targets,
            np.asarray([w[1] for w in walk]) + 180,
            waf_count_rules=pa.array(np.where(imds, SSRF_RULE, None), pa.string()),
        )
        inj.add("web", "exploit", ssrf.slice(0, len(walk) - 1))
        inj.add("web", "credential-access", ssrf.slice(len(walk) - 1))
        fetched = int(ssrf_ms[-1])

        # 3. The key, from another address, outside AWS: the web server's own session key.
        stolen_key, session_start = instance_session(world, incident, victim, fetched)
        ident = role_identity(
            world, role, victim.instance_id, stolen_key, np.datetime64(session_start, "ms")
        )
        region = world.home_region
        common = dict(world=world, rng=rng, source_ip=api_ip, user_agent=SDK)
        first = fetched + int(rng.integers(5, 40)) * 60_000 + int(rng.integers(0, 60_000))
        inj.add_events(
            "use-outside", calls("GetCallerIdentity", _np(first), ident, region=region, **common)
        )

        # 4. Discovery: the buckets, and IAM (denied: the web role has no IAM rights).
        t = first + int(rng.integers(20_000, 90_000))
        inj.add_events("discovery", calls("ListBuckets", _np(t), ident, region=region, **common))
        denied = [a for a in ATTACKER_CALLS_DENIED if rng.random() < 0.7] or ["ListUsers"]
        for api in denied:
            t += int(rng.integers(5_000, 40_000))
            inj.add_events(
                "discovery", calls(api, _np(t), ident, region=region, denied=True, **common)
            )
        n_calls = 2 + len(denied)

        # 5. Exfiltration: the customer-data bucket (CloudTrail data events and S3 access
        # logs), then the backups bucket (S3 access logs only: the trail does not select it).
        bucket = next(b for b in world.sensitive_buckets if "customer-data" in b)
        backups = next(b for b in world.buckets if b.endswith(f"backups-{world.account_id[-4:]}"))
        requester = f"arn:aws:sts::{world.account_id}:assumed-role/{role.name}/{victim.instance_id}"
        t += int(rng.integers(2, 10)) * 60_000
        n_objects = int(rng.integers(60, 300))
        get_ms = t + 15_000 + np.cumsum(rng.integers(300, 6_000, n_objects))
        keys = pa.array(
            [
                f"customers/{2020 + k // 20_000}/profiles-{k:05d}.csv.gz"
                for k in rng.choice(90_000, n_objects, replace=False)
            ]
        )
        sizes = rng.integers(40_000, 6_000_000, n_objects)
        logged = inj.add(
            "s3_access",
            "exfiltration",
            self._s3(rng, [t, *get_ms.tolist()], bucket, api_ip, requester, keys, sizes),
        )
        # the same requests as data events: same request ids, keys, bytes and client
        for api, rows in (("ListObjects", logged.slice(0, 1)), ("GetObject", logged.slice(1))):
            inj.add_events(
                "exfiltration",
                calls(
                    api,
                    rows["time"].to_numpy().astype("datetime64[ms]"),
                    ident,
                    world=world,
                    rng=rng,
                    region=region,
                    source_ip=api_ip,
                    user_agent=S3_CLIENT,
                    values=s3access.trail_values(rows),
                ),
            )
        n_calls += 2 + n_objects
        n_dumps = int(rng.integers(2, 6))
        b0 = int(get_ms[-1]) + int(rng.integers(1, 6)) * 60_000
        dump_ms = b0 + 12_000 + np.cumsum(rng.integers(20_000, 120_000, n_dumps))
        days = rng.choice(28, n_dumps, replace=False) + 1
        dump_keys = pa.array([f"db/nightly/customers-2026-{int(d):02d}.sql.gz" for d in days])
        dump_sizes = rng.integers(200_000_000, 900_000_000, n_dumps)
        inj.add(
            "s3_access",
            "exfiltration",
            self._s3(
                rng, [b0, *dump_ms.tolist()], backups, api_ip, requester, dump_keys, dump_sizes
            ),
        )
        last = int(dump_ms[-1])
        assert last < window_end, "the attack must end before the key rotates"

        # GuardDuty: the instance's credentials outside AWS, updated as the calls go on.
        remote = remote_details(rng, api_ip)
        key_details = gd.AccessKey(
            stolen_key, f"{role.role_id}:{victim.instance_id}", role.name, "AssumedRole"
        )
        finding = gd.api_call_finding(
            account=world.account_id,
            region=region,
            detector_id=world.detector_id,
            finding_id=ids.random_strings(rng, 1, 32, ids.HEX)[0],
            finding_type="UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
            severity=8.0,
            title=f"Credentials for instance role {role.name} used from external IP address.",
            description=(
                "Credentials created exclusively for an EC2 instance using instance role "
                f"{role.name} have been used from external IP address {api_ip}."
            ),
            access_key=key_details,
            api="GetCallerIdentity",
            service_name="sts.amazonaws.com",
            remote=remote,
            first_seen=_dt(first),
            last_seen=_dt(first),
            count=1,
            created_at=_dt(first) + timedelta(minutes=5),
            updated_at=_dt(first) + timedelta(minutes=5),
        )
        inj.add_finding("use-outside", finding)
        inj.add_finding(
            "use-outside",
            gd.updated(
                finding,
                count=n_calls,
                last_seen=_dt(int(get_ms[-1])),
                updated_at=_dt(int(get_ms[-1])) + timedelta(minutes=7),
            ),
        )

        self._decoys(inj, world, incident, page, param)

        inj.facts = {
            "scan_ip": scan_ip,
            "scan_tool": tool,
            "scan_requests": n_scan,
            "scan_404s": int((status == 404).sum()),
            "scan_start": _iso(int(scan_ms[0])),
            "preview_page": page,
            "preview_param": param,
            "waf_rule": SSRF_RULE,
            "ssrf_requests": int(imds.sum()),
            "creds_fetched": _iso(fetched),
            "victim_instance": victim.instance_id,
            "victim_private_ip": victim.private_ip,
            "role": role.name,
            "alert_ip": api_ip,
            "stolen_key": stolen_key,
            "first_use": _iso(first),
            "minutes_to_use": round((first - fetched) / 60_000, 2),
            "denied_apis": sorted(denied),
            "bucket": bucket,
            "objects_stolen": n_objects,
            "backups_bucket": backups,
            "dumps_stolen": n_dumps,
            "gigabytes": round((int(sizes.sum()) + int(dump_sizes.sum())) / 1e9, 3),
            "buckets_read": sorted([bucket, backups]),
            "last_call": _iso(last),
            "incident_start": _iso(incident.start),
        }
        return inj

    @staticmethod
    def _requests(
        rng: np.random.Generator,
        ms: np.ndarray,
        client_ip: str | pa.Array,
        country: str | np.ndarray,
        uri: str | np.ndarray,
        args: str | np.ndarray | pa.Array,
        user_agent: str,
        status: int | np.ndarray,
        target_ip: np.ndarray,
        sent_bytes: np.ndarray | None = None,
        **waf: object,
    ) -> pa.Table:
        """GET requests to the load balancer with their ids; ``waf`` names the WAF's
        verdict (``waf_action``, ``waf_rule``, ``waf_count_rules``), else the default ALLOW.
        A ``sent_bytes`` below zero is left for the writer to draw."""
        n = len(ms)
        status = np.broadcast_to(np.asarray(status, dtype=np.int16), (n,)).copy()
        if sent_bytes is not None:
            sent_bytes = pa.array(sent_bytes, pa.int64(), mask=np.asarray(sent_bytes) < 0)
        return frame(
            web.REQUESTS,
            n,
            time=_ts(ms),
            client_ip=client_ip,
            client_port=rng.integers(32_768, 61_000, n).astype(np.int32),
            country=country,
            method="GET",
            uri=uri,
            args=args,
            user_agent=user_agent,
            status=status,
            target_status=status,
            target_ip=target_ip,
            sent_bytes=sent_bytes,
            request_id=web.request_ids(rng, np.asarray(ms, dtype=np.int64)),
            **waf,
        )

    @staticmethod
    def _s3(
        rng: np.random.Generator,
        ms: list[int],
        bucket: str,
        remote_ip: str,
        requester: str,
        keys: pa.Array,
        sizes: np.ndarray,
    ) -> pa.Table:
        """A listing, then one GET per object, as the bucket's server access log has them."""
        n = len(ms)
        return s3access.requests(
            rng,
            n,
            time=_ts(ms),
            bucket=bucket,
            remote_ip=remote_ip,
            requester=requester,
            operation=np.asarray(["REST.GET.BUCKET"] + ["REST.GET.OBJECT"] * (n - 1)),
            key=pa.concat_arrays([pa.nulls(1, pa.string()), keys]),
            http_status=200,
            bytes_sent=np.concatenate([[int(rng.integers(3_000, 9_000))], sizes]),
            object_size=pa.array([None, *sizes.tolist()], pa.int64()),
            user_agent=S3_CLIENT,
            signature_version="SigV4",
            authentication_type="AuthHeader",
            tls_version="TLSv1.3",
        )

    def _decoys(
        self,
        inj: Injection,
        world: World,
        incident: Incident,
        page: str,
        param: str,
    ) -> None:
        """Look-alikes in the web logs, not the incident's.

        An internet-wide SSRF sprayer fires metadata URLs at paths this site does not have
        (404s, the same WAF rule counting them) the day before or after; and, when the page
        the attacker abuses is not the shop's image proxy (which the background calls all
        day), people use it as intended all week.
        """
        rng = np.random.default_rng([world.seed, 202, 1])
        webs = np.asarray([i.private_ip for i in world.instances if i.role == world.roles[0].name])
        n = int(rng.integers(40, 90))
        side = -1 if rng.random() < 0.5 else 1
        start = incident.start + side * int(rng.uniform(14, 30) * MS_HOUR)
        ms = start + np.cumsum(rng.integers(300, 4_000, n))
        paths = np.asarray(SPRAY_PATHS)[
            rng.choice(len(SPRAY_PATHS), n, p=[0.4, 0.15, 0.15, 0.1, 0.1, 0.1])
        ]
        names = np.asarray(["url", "dest", "redirect", "uri", "path"])[rng.integers(0, 5, n)]
        what = np.asarray(SPRAY_TARGETS)[rng.integers(0, len(SPRAY_TARGETS), n)]
        inj.add_decoy(
            "web",
            self._requests(
                rng,
                ms,
                public_ip(rng),
                COUNTRY_CODES[GEO[int(rng.integers(len(GEO)))][0]],
                paths,
                pc.binary_join_element_wise(pa.array(names), pa.array(what), "="),
                SPRAYER,
                404,
                webs[rng.integers(0, len(webs), n)],
                waf_count_rules=SSRF_RULE,
            ),
        )
        if page == web.Site.fetch_path:
            return
        week = int(world.start.timestamp() * 1000)
        m = int(rng.integers(40, 120))
        ms = np.sort(rng.integers(week, week + world.days * 24 * MS_HOUR, m))
        sites = np.asarray(EVERYDAY_URLS)[rng.integers(0, len(EVERYDAY_URLS), m)]
        tails = ids.random_array(rng, m, 10, ids.ALNUM)
        inj.add_decoy(
            "web",
            self._requests(
                rng,
                ms,
                random_public_ips(rng, m),
                np.asarray(list(COUNTRY_CODES.values()))[rng.integers(0, 8, m)],
                page,
                pc.binary_join_element_wise(f"{param}=", pa.array(sites), tails, ""),
                BROWSER,
                200,
                webs[rng.integers(0, len(webs), m)],
            ),
        )

    def naive_facts(self, con) -> dict[str, Any]:
        """What the careless queries of :data:`NAIVE` return on the built catalog: the
        known-wrong answers, so a nudge fires exactly when a query falls for a decoy."""

        def one(query: str):
            return con.execute(query).fetchone()[0]

        first = one(NAIVE["ssrf-imds.q04"][0])
        return {
            "naive_alert_ip": one(
                "SELECT remote_ip FROM guardduty_latest WHERE remote_ip IS NOT NULL "
                "ORDER BY count DESC, id LIMIT 1"
            ),
            # catalog times are naive UTC
            "naive_first_use": None
            if first is None
            else _iso(int(first.replace(tzinfo=UTC).timestamp() * 1000)),
            "naive_objects": int(one(NAIVE["ssrf-imds.q05"][0])),
            "naive_ssrf_ip": one(
                f"SELECT client_ip FROM waf WHERE {IMDS_ARGS} "
                "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            ),
            "naive_ssrf_uri": one(
                f"SELECT uri FROM waf WHERE {IMDS_ARGS} "
                "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            ),
            "naive_404": int(one(NAIVE["ssrf-imds.q10"][0])),
            "naive_top_404": int(one(NAIVE["ssrf-imds.q10"][1])),
            "naive_buckets": [r[0] for r in con.execute(NAIVE["ssrf-imds.q12"][0]).fetchall()],
        }

    questions = ()  # set below, beside the question texts


def _np(ms: int) -> np.ndarray:
    return np.array([ms], dtype="datetime64[ms]")


QUESTIONS = (
    Question(
        "ssrf-imds.q01",
        "GuardDuty raised a High-severity alert: credentials of an EC2 instance were used "
        "from outside AWS. From which IP address?",
        "ip",
        50,
        answer=lambda f: f["alert_ip"],
        known_wrong=nudge(
            "naive_alert_ip",
            "That address probes a public instance: a low-severity "
            "Recon:EC2/PortProbeUnprotectedPort finding, real but routine. Look for the "
            "finding about credentials.",
            unless="alert_ip",
        ),
        hints=(
            Hint(
                "`guardduty_latest`: the finding whose type names InstanceCredentialExfiltration.",
                10,
            ),
        ),
        explanation="GuardDuty learns where an instance's credentials are normally used "
        "from; a call with them from outside AWS is InstanceCredentialExfiltration.OutsideAWS.",
        step="use-outside",
    ),
    Question(
        "ssrf-imds.q02",
        "Which access key id did that caller use?",
        "text",
        50,
        answer=lambda f: f["stolen_key"],
        answer_format="an access key id, e.g. ASIAEXAMPLE123456789",
        hints=(Hint("The same finding names it: access_key_id.", 10),),
        explanation="An ASIA... key is temporary: a role session's. Instance profiles hand "
        "one to each instance through the metadata service and rotate it every few hours.",
        step="use-outside",
    ),
    Question(
        "ssrf-imds.q03",
        "Which EC2 instance were those credentials issued to?",
        "text",
        75,
        answer=lambda f: f["victim_instance"],
        answer_format="an instance id, e.g. i-0123456789abcdef0",
        hints=(
            Hint(
                "In cloudtrail, the calls signed with that key: an instance's role session is "
                "named after the instance (the last part of arn).",
                15,
            ),
        ),
        explanation="arn:aws:sts::<account>:assumed-role/<role>/<instance id>: EC2 names an "
        "instance profile's session after the instance.",
        step="use-outside",
    ),
    Question(
        "ssrf-imds.q04",
        "When was the key first used from outside AWS? Answer to the minute (UTC).",
        "timestamp",
        75,
        answer=lambda f: f["first_use"],
        tolerance=60,
        answer_format="a UTC time, e.g. 2026-03-05T14:02Z (within 60 seconds)",
        known_wrong=nudge(
            "naive_first_use",
            "That is the key's first call of all, made by the web server itself: the "
            "instance uses its own key all day. Which calls came from the alert's address?",
            unless="first_use",
        ),
        hints=(Hint("min(event_time) of the key's calls from the alert's address.", 15),),
        explanation="The same key signs the instance's calls (from its own address) and the "
        "attacker's: only the source address tells them apart.",
        step="use-outside",
    ),
    Question(
        "ssrf-imds.q05",
        "How many objects did the attacker download from the customer-data bucket, "
        "according to CloudTrail?",
        "int",
        100,
        answer=lambda f: f["objects_stolen"],
        known_wrong=nudge(
            "naive_objects",
            "That counts every object read in the bucket this week: the order workers read "
            "it all day. Keep only the stolen key's calls from outside.",
            unless="objects_stolen",
        ),
        hints=(
            Hint(
                "GetObject events with the stolen key and the alert's address; the bucket is in "
                "request_parameters->>'bucketName'.",
                20,
            ),
        ),
        explanation="Object reads are data events: logged only because the trail selects "
        "the sensitive buckets.",
        step="exfiltration",
    ),
    Question(
        "ssrf-imds.q06",
        "The credentials left the web server through the website. From which address did the "
        "requests that made the server read its metadata service come?",
        "ip",
        100,
        answer=lambda f: f["scan_ip"],
        known_wrong=nudge(
            "naive_ssrf_ip",
            "That address sprays metadata URLs at pages this site does not have: every "
            "one got a 404, and none named the role. Which requests did the site answer, "
            "with the role's name in them?",
            unless="scan_ip",
        ),
        hints=(
            Hint("waf (or alb): args LIKE '%169.254.169.254%', by client_ip, with the status.", 20),
            Hint(
                "The request that fetched the credentials names the role (its name is in the "
                "finding as user_name).",
                20,
            ),
        ),
        explanation="169.254.169.254 is the instance metadata service: only the instance "
        "itself can reach it, so a URL naming it in a query string is an SSRF attempt.",
        step="exploit",
    ),
    Question(
        "ssrf-imds.q07",
        "Which page of the site did the attacker make fetch the metadata service?",
        "text",
        75,
        answer=lambda f: f["preview_page"],
        answer_format="a path, e.g. /api/v1/search",
        known_wrong=nudge(
            "naive_ssrf_uri",
            "That is where a sprayer tried its luck: the site has no such page (404). "
            "Which page answered the attacker's requests?",
            unless="preview_page",
        ),
        hints=(Hint("The uri of the attacker's requests that carried 169.254.169.254.", 15),),
        explanation="A page that fetches a URL it is given (a preview, an image proxy, a "
        "webhook tester) must refuse internal and link-local addresses.",
        step="exploit",
    ),
    Question(
        "ssrf-imds.q08",
        "Which AWS WAF rule matched those requests, and still let them through?",
        "text",
        75,
        answer=lambda f: f["waf_rule"],
        answer_format="a rule name as WAF logs it, e.g. SQLi_QUERYARGUMENTS",
        known_wrong=nudge(
            lambda f: "Default_Action",
            "Default_Action is what decided (the web ACL's default: allow). Which rule "
            "matched the request without deciding? Look at the rules matched in COUNT mode.",
        ),
        hints=(Hint("waf.count_rules: the rules that matched in COUNT mode.", 15),),
        explanation="A managed rule overridden to COUNT logs its match "
        "(nonTerminatingMatchingRules, a label) and lets the request go on.",
        step="exploit",
    ),
    Question(
        "ssrf-imds.q09",
        "Before the SSRF, the same address scanned the site. Which tool did it scan with, "
        "judging by its user agent?",
        "choice",
        50,
        answer=lambda f: f["scan_tool"],
        choices=("Nikto", *SCANNERS),
        known_wrong=nudge(
            lambda f: "Nikto",
            "Nikto is the contracted security vendor's scanner: its address is allow-listed "
            "in the web ACL (terminating_rule_id). Which scanner came from the SSRF's address?",
        ),
        hints=(Hint("The user_agent of that address's requests that got a 404.", 10),),
        explanation="Wordlist scanners ask for hundreds of paths in minutes; their user agent "
        "gives them away unless the attacker changes it.",
        step="scanning",
    ),
    Question(
        "ssrf-imds.q10",
        "How many of that address's requests did the site answer with a 404?",
        "int",
        100,
        answer=lambda f: f["scan_404s"],
        known_wrong=nudges(
            nudge(
                "naive_404",
                "That counts every 404 of the week: bots, the vendor's scanner, people "
                "mistyping. Keep only the attacker's address.",
                unless="scan_404s",
            ),
            nudge(
                "naive_top_404",
                "That address made the most 404s of the week, but it is the contracted "
                "vendor's scanner, allow-listed in the web ACL. Count the SSRF address's.",
                unless="scan_404s",
            ),
        ),
        hints=(Hint("alb: count(*) with client_ip = the address and elb_status_code = 404.", 20),),
        explanation="A burst of 404s from one address is a scan; most sites see several a "
        "week, and the WAF's allow-list lets the contracted scanner's through.",
        step="scanning",
    ),
    Question(
        "ssrf-imds.q11",
        "How many minutes passed between the request that returned the role's credentials "
        "and the first use of the key from outside AWS?",
        "float",
        150,
        answer=lambda f: f["minutes_to_use"],
        tolerance=1.0,
        answer_format="a number of minutes, e.g. 12.5 (within 1 minute)",
        hints=(
            Hint(
                "The first: the request whose args end in security-credentials/<role> "
                "(waf.time). The second: your answer to q04. Subtract.",
                30,
            ),
        ),
        explanation="Two addresses, two sources, one key: time and the role's name link the "
        "web request to the API calls.",
        step="credential-access",
    ),
    Question(
        "ssrf-imds.q12",
        "CloudTrail shows object reads only for the buckets its trail selects. Which buckets did "
        "the attacker read objects from? Give all of them.",
        "set",
        150,
        answer=lambda f: f["buckets_read"],
        answer_format="bucket names separated by commas",
        known_wrong=nudge(
            "naive_buckets",
            "Those are buckets anyone read objects from this week. Keep only the stolen "
            "credentials' requests (requester, remote_ip).",
        ),
        hints=(
            Hint(
                "s3_access: REST.GET.OBJECT by the role session (requester ends in the "
                "instance id) from the alert's address.",
                30,
            ),
        ),
        explanation="S3 server access logs record every request to a bucket that has them "
        "on, whatever the trail selects.",
        step="exfiltration",
    ),
    Question(
        "ssrf-imds.q13",
        "How much data did the attacker download from the two buckets, in gigabytes "
        "(10^9 bytes), according to the S3 access logs?",
        "float",
        100,
        answer=lambda f: f["gigabytes"],
        tolerance=0.05,
        answer_format="a number of GB, e.g. 3.21 (within 0.05)",
        hints=(Hint("sum(bytes_sent) of those requests, divided by 1e9.", 20),),
        explanation="bytes_sent is what left the bucket; CloudTrail has it only for the "
        "buckets its trail selects (additionalEventData.bytesTransferredOut).",
        step="exfiltration",
    ),
    Question(
        "ssrf-imds.q14",
        "Debrief: which service, already in front of the site, saw every SSRF request and would "
        "have stopped them with its rule in BLOCK mode?",
        "choice",
        50,
        answer=lambda f: "AWS WAF",
        choices=("AWS Shield", "AWS WAF", "Amazon Inspector", "Amazon Macie"),
        explanation="AWS WAF's core rule set has EC2MetaDataSSRF rules; in COUNT mode they "
        "only log. Shield stops floods, Inspector finds vulnerable software, Macie finds "
        "sensitive data in S3.",
    ),
    Question(
        "ssrf-imds.q15",
        "Debrief: which instance setting would have made the SSRF return no credentials at all?",
        "choice",
        50,
        answer=lambda f: IMDSV2,
        choices=(
            "EBS encryption by default",
            IMDSV2,
            "Termination protection",
            "Detailed CloudWatch monitoring",
        ),
        explanation="IMDSv2 wants a session token first, from a PUT with a special header: a "
        "page that fetches a URL with GET cannot get one.",
    ),
    Question(
        "ssrf-imds.q16",
        "Debrief: which service detected the stolen credentials in use, with no rule written "
        "by you?",
        "choice",
        50,
        answer=lambda f: "Amazon GuardDuty",
        choices=("AWS CloudTrail", "AWS WAF", "Amazon GuardDuty", "Amazon Detective"),
        explanation="GuardDuty's InstanceCredentialExfiltration finding comes from CloudTrail "
        "analysis; CloudTrail and WAF record, Detective investigates.",
    ),
)

SsrfImds.questions = QUESTIONS

__all__ = ["QUESTIONS", "STEPS", "SsrfImds", "instance_session"]
