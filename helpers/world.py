"""The world: one AWS account of one company, drawn from the data set's seed.

Everything a log record names (the account, people, roles, keys, instances,
their network interfaces and addresses, buckets, the office's egress
addresses) comes from here, so background activity and a storyline agree on
who exists, and two seeds give two different companies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from helpers import ids

COMPANIES = (
    ("Northwind Analytics", "northwind"),
    ("Bluefin Logistics", "bluefin"),
    ("Carrow & Pike Health", "carrowpike"),
    ("Helix Robotics", "helixbot"),
    ("Larkspur Retail", "larkspur"),
    ("Quillon Payments", "quillon"),
    ("Oakridge Media", "oakridge"),
    ("Tessellate Games", "tessellate"),
)
#: (home region, its IANA time zone, a typical UTC offset; the real one comes from zoneinfo).
HOMES = (
    ("eu-west-1", "Europe/Dublin", 0),
    ("eu-central-1", "Europe/Berlin", 1),
    ("us-east-1", "America/New_York", -5),
    ("us-west-2", "America/Los_Angeles", -8),
    ("ap-southeast-2", "Australia/Sydney", 11),
    ("eu-west-2", "Europe/London", 0),
)
#: Regions a company like this never uses: where an attacker goes to hide.
FAR_REGIONS = (
    "ap-northeast-3",
    "sa-east-1",
    "ap-south-1",
    "me-south-1",
    "af-south-1",
    "ap-southeast-3",
    "eu-north-1",
    "ca-central-1",
)
FIRST = (
    "alice bruno chen dana emeka fatima gustavo hana ivan jade kofi lena mateo nora omar "
    "priya quentin rosa samir tara ugo vera wei xena yusuf zoe aiko bjorn carla dmitri "
    "elif farid greta hiro ingrid jonas kira lucas maya nils"
).split()
LAST = (
    "smith okafor novak garcia kim larsen rossi dubois nakamura silva petrov haddad "
    "murphy schmidt costa lindqvist moreau tanaka oconnor varga"
).split()
#: Public address blocks that look like ordinary ISPs and hosting providers.
#: Drawn at random inside; never a famous address (no 8.8.8.8, no AWS ranges).
PUBLIC_BLOCKS = (
    (45, 0),
    (62, 0),
    (77, 0),
    (81, 0),
    (85, 0),
    (91, 0),
    (94, 0),
    (109, 0),
    (141, 0),
    (146, 0),
    (178, 0),
    (185, 0),
    (188, 0),
    (193, 0),
    (195, 0),
    (212, 0),
    (217, 0),
)
INSTANCE_TYPES_APP = ("t3.medium", "t3.large", "m6i.large", "m5.xlarge", "c6i.large")


def public_ip(rng: np.random.Generator) -> str:
    first = PUBLIC_BLOCKS[int(rng.integers(len(PUBLIC_BLOCKS)))][0]
    return f"{first}.{rng.integers(1, 255)}.{rng.integers(0, 256)}.{rng.integers(1, 255)}"


@dataclass(frozen=True)
class User:
    """An IAM user: a person, or a service account with a long-term key."""

    name: str
    user_id: str  # AIDA...
    access_key: str  # AKIA...
    mfa: bool
    person: bool = True
    admin: bool = False
    home_ip: str = ""  # where they work from outside the office


@dataclass(frozen=True)
class Role:
    name: str
    role_id: str  # AROA...
    kind: str  # instance | lambda | ci | audit | service-linked | admin
    path: str = "/"


@dataclass(frozen=True)
class Instance:
    instance_id: str
    name: str
    instance_type: str
    eni: str
    private_ip: str
    public_ip: str | None
    role: str
    subnet: str
    image_id: str


@dataclass(frozen=True)
class World:
    seed: int
    account_id: str
    company: str
    slug: str
    home_region: str
    time_zone: str
    utc_offset_hours: int
    start: datetime  # the first midnight (UTC) of the week of logs
    days: int
    office_ips: tuple[str, ...]
    nat_ip: str
    ci_ip: str
    audit_ip: str  # the security vendor's scanner address
    audit_account: str
    vpc_id: str
    vpc_cidr_prefix: str  # "10.42"
    flow_log_id: str
    users: tuple[User, ...]
    roles: tuple[Role, ...]
    instances: tuple[Instance, ...]
    buckets: tuple[str, ...]
    sensitive_buckets: tuple[str, ...]
    functions: tuple[str, ...]
    kms_key_id: str
    detector_id: str
    trail_name: str
    github_org: str

    @property
    def people(self) -> tuple[User, ...]:
        return tuple(u for u in self.users if u.person)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)

    def user(self, name: str) -> User:
        return next(u for u in self.users if u.name == name)

    def role(self, kind: str) -> tuple[Role, ...]:
        return tuple(r for r in self.roles if r.kind == kind)

    def role_arn(self, role: Role) -> str:
        return f"arn:aws:iam::{self.account_id}:role{role.path}{role.name}"

    def user_arn(self, user: User) -> str:
        return f"arn:aws:iam::{self.account_id}:user/{user.name}"

    @property
    def data_event_buckets(self) -> tuple[str, ...]:
        """The buckets the trail's data event selectors name: the sensitive ones. Object
        reads and writes elsewhere leave no CloudTrail record, only S3 access logs."""
        return self.sensitive_buckets

    @property
    def access_log_bucket(self) -> str:
        """The bucket server access logs are delivered to (the logs bucket)."""
        return self.buckets[-1]

    @property
    def access_logged_buckets(self) -> tuple[str, ...]:
        """The buckets with server access logging on: all but the logs bucket itself
        (logging it to itself would log every delivery, forever)."""
        return tuple(b for b in self.buckets if b != self.access_log_bucket)

    def local_to_utc_hour(self, local_hour: float) -> float:
        return local_hour - self.utc_offset_hours

    def summary(self) -> dict:
        """What a participant may know up front, for dataset.json: no answers, and so
        neither the account id nor the home region (warm-up questions ask for them)."""
        return {
            "company": self.company,
            "time_zone": self.time_zone,
            "start": self.start.isoformat().replace("+00:00", "Z"),
            "end": self.end.isoformat().replace("+00:00", "Z"),
            "office_ips": list(self.office_ips),
            "vpc_id": self.vpc_id,
        }


def build_world(seed: int, days: int = 7) -> World:
    """Draw the whole account from ``seed``: same seed, same world."""
    rng = np.random.default_rng([seed, 1])
    company, slug = COMPANIES[int(rng.integers(len(COMPANIES)))]
    home_region, tz, _ = HOMES[int(rng.integers(len(HOMES)))]
    # A recent week that ends before "now" in the kit's time: the week's start is a Monday.
    weeks_back = int(rng.integers(2, 30))
    start = datetime(2026, 11, 2, tzinfo=UTC) - timedelta(weeks=weeks_back)
    account_id = str(int(rng.integers(1, 9))) + "".join(str(d) for d in rng.integers(0, 10, 11))

    n_people = int(rng.integers(14, 24))
    names: list[str] = []
    while len(names) < n_people:
        name = f"{FIRST[int(rng.integers(len(FIRST)))]}.{LAST[int(rng.integers(len(LAST)))]}"
        if name not in names:
            names.append(name)
    users = []
    for i, name in enumerate(names):
        users.append(
            User(
                name=name,
                user_id=ids.principal_id(rng, "AIDA"),
                access_key=ids.access_key(rng),
                mfa=bool(rng.random() < 0.8) or i < 2,
                admin=i < 2,
                home_ip=public_ip(rng),
            )
        )
    for name in ("terraform-ci", "backup-agent", "grafana-reader"):
        users.append(
            User(
                name=name,
                user_id=ids.principal_id(rng, "AIDA"),
                access_key=ids.access_key(rng),
                mfa=False,
                person=False,
            )
        )

    roles = [
        Role(f"{slug}-web-instance-role", ids.principal_id(rng, "AROA"), "instance"),
        Role(f"{slug}-worker-instance-role", ids.principal_id(rng, "AROA"), "instance"),
        Role(f"{slug}-orders-lambda-role", ids.principal_id(rng, "AROA"), "lambda"),
        Role(f"{slug}-thumbnails-lambda-role", ids.principal_id(rng, "AROA"), "lambda"),
        Role("github-actions-deploy", ids.principal_id(rng, "AROA"), "ci"),
        Role("SecurityAudit-ReadOnly", ids.principal_id(rng, "AROA"), "audit"),
        Role("OrganizationAccountAccessRole", ids.principal_id(rng, "AROA"), "admin"),
        Role(
            "AWSServiceRoleForAutoScaling",
            ids.principal_id(rng, "AROA"),
            "service-linked",
            "/aws-service-role/autoscaling.amazonaws.com/",
        ),
        Role(
            "AWSServiceRoleForConfig",
            ids.principal_id(rng, "AROA"),
            "service-linked",
            "/aws-service-role/config.amazonaws.com/",
        ),
    ]

    b = int(rng.integers(16, 250))
    vpc_prefix = f"10.{b}"
    subnets = ids.resource_id(rng, "subnet-", 2)
    instances = []
    specs = [("web", 3, roles[0].name, True), ("worker", 3, roles[1].name, False)]
    specs.append(("db", 1, roles[1].name, False))
    specs.append(("bastion", 1, roles[1].name, True))
    n = 0
    for kind, count, role, public in specs:
        for k in range(count):
            n += 1
            instances.append(
                Instance(
                    instance_id=ids.resource_id(rng, "i-0", 1, 16)[0],
                    name=f"{slug}-{kind}-{k + 1}",
                    instance_type=INSTANCE_TYPES_APP[int(rng.integers(len(INSTANCE_TYPES_APP)))],
                    eni=ids.resource_id(rng, "eni-0", 1, 16)[0],
                    private_ip=f"{vpc_prefix}.{1 if public else 2}.{int(rng.integers(4, 250))}",
                    public_ip=public_ip(rng) if public else None,
                    role=role,
                    subnet=subnets[0 if public else 1],
                    image_id=ids.resource_id(rng, "ami-0", 1, 16)[0],
                )
            )

    buckets = tuple(
        f"{slug}-{suffix}-{account_id[-4:]}"
        for suffix in (
            "app-assets",
            "customer-data",
            "finance-reports",
            "backups",
            "tf-state",
            "logs",
        )
    )
    return World(
        seed=seed,
        account_id=account_id,
        company=company,
        slug=slug,
        home_region=home_region,
        time_zone=tz,
        utc_offset_hours=round(start.astimezone(ZoneInfo(tz)).utcoffset().total_seconds() / 3600),
        start=start,
        days=days,
        office_ips=tuple(public_ip(rng) for _ in range(2)),
        nat_ip=public_ip(rng),
        ci_ip=public_ip(rng),
        audit_ip=public_ip(rng),
        audit_account="".join(str(d) for d in rng.integers(1, 10, 12)),
        vpc_id=ids.resource_id(rng, "vpc-0", 1, 16)[0],
        vpc_cidr_prefix=vpc_prefix,
        flow_log_id=ids.resource_id(rng, "fl-0", 1, 16)[0],
        users=tuple(users),
        roles=tuple(roles),
        instances=tuple(instances),
        buckets=buckets,
        sensitive_buckets=(buckets[1], buckets[2]),
        functions=(f"{slug}-orders-processor", f"{slug}-thumbnail-resizer"),
        kms_key_id=ids.random_strings(rng, 1, 8, ids.HEX)[0]
        + "-"
        + "-".join(ids.random_strings(rng, 1, 4, ids.HEX)[0] for _ in range(3))
        + "-"
        + ids.random_strings(rng, 1, 12, ids.HEX)[0],
        detector_id=ids.random_strings(rng, 1, 32, ids.HEX)[0],
        trail_name=f"{slug}-org-trail",
        github_org=slug,
    )


#: Where remote addresses appear to be, as GuardDuty's geo/ASN enrichment shows them.
#: Made-up hosting providers and ISPs: realistic shapes, no real organisation named.
GEO = (
    ("Netherlands", "Amsterdam", 52.37, 4.89),
    ("Germany", "Frankfurt am Main", 50.11, 8.68),
    ("Romania", "Bucharest", 44.43, 26.10),
    ("Singapore", "Singapore", 1.29, 103.85),
    ("United States", "Ashburn", 39.04, -77.49),
    ("Brazil", "Sao Paulo", -23.55, -46.63),
    ("Russia", "Moscow", 55.75, 37.62),
    ("Vietnam", "Hanoi", 21.03, 105.85),
)
HOSTERS = (
    "Kestrel VPS Ltd",
    "Nordlight Hosting",
    "Bluegate Cloud SRL",
    "Vantora Networks",
    "Hexaport Datacenter",
    "Ironleaf Servers",
)


def remote_details(rng: np.random.Generator, ip: str):
    """GuardDuty's remoteIpDetails for ``ip``: a country, a city, a hosting provider."""
    from helpers.guardduty import RemoteIp

    country, city, lat, lon = GEO[int(rng.integers(len(GEO)))]
    org = HOSTERS[int(rng.integers(len(HOSTERS)))]
    return RemoteIp(
        ip=ip,
        country=country,
        city=city,
        lat=lat,
        lon=lon,
        asn=str(int(rng.integers(10_000, 65_000))),
        asn_org=org,
        isp=org,
        org=org,
    )
