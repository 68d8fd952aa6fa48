# ruff: noqa: E501  (Markdown tables and SQL are long lines)
"""02-ssrf-imds: from a GuardDuty alert, through the web logs, to the buckets and the debrief.

The investigation has two halves that never share an address: the API calls
(CloudTrail, GuardDuty, S3 access logs) come from one, the web requests that
stole the key (WAF and ALB logs) from another. The learner links them by the
role's name, the web server's address and time. Scaffolding shrinks as the
notebook goes: a query with a blank, then a skeleton, then only what to find.
The reference solutions hold for any seed: they go by the alert's key and
address, the role's name in the SSRF request and the requester in the access
logs, never by volume, so the decoys (the web server's own calls with the same
key, the order workers' reads, an internet-wide SSRF sprayer, the contracted
vendor's Nikto scan, the backup agent) do not fool them.
"""

from make_notebooks import SOLUTION_SETUP, Code, Md, Task, debrief_table, parameters

from helpers.storylines.ssrf_imds import STEPS

SETUP = """
import os

import pandas as pd

import helpers as gd
from helpers.paths import default_dataset_dir

# the data set named by $GAMEDAY_DATASET, else datasets/ssrf-imds
gd.open_dataset(os.environ.get("GAMEDAY_DATASET") or default_dataset_dir("ssrf-imds"))
"""


CELLS = [
    Md(
        """
# 02 · SSRF and stolen instance credentials: a guided investigation

**Time:** about 90 minutes (after `00-start-here`, which shows the tools).

You are on call for the company whose logs you toured in 00. This week **GuardDuty** raised
a High-severity alert: credentials that belong to one of the company's EC2 instances were
used from somewhere that is not AWS. Nobody copies an instance's credentials by accident.
Your job: find out what was done with them, how they left the instance, and what would have
stopped it.

This case has two halves, and they never share an address:

- the **API calls** made with the credentials: CloudTrail, GuardDuty and the S3 server
  access logs (`s3_access`);
- the **web requests** that got the credentials out: the logs of the company's public load
  balancer (`alb`) and of the AWS WAF web ACL in front of it (`waf`).

> alert → which address, which key → whose key → what it did → how it left the instance
> (the web logs) → the scan before → the link between the halves → what CloudTrail did not
> see → the timeline → the debrief

How this notebook helps you:

- Early questions give you a query with a blank `____` to fill in. Later ones give you less,
  and at the end only say what to find.
- Write down the values you find (addresses, the key, the role, the instance): the next
  question needs them, and the timeline in section 7 is built from them.
- Hints cost points (`gd.hint("ssrf-imds.q01")`); wrong answers do not.
- Every week holds ordinary work that looks suspicious at first sight, on the web too. When
  a number seems too big, ask *who* before you answer.
"""
    ),
    Code(parameters("ssrf-imds"), only="solution", tags=("parameters",)),
    Code(SETUP, only="participant"),
    Code(SOLUTION_SETUP, only="solution"),
    Md(
        """
## 1. The alert

Every GuardDuty finding of the week, most severe first:
"""
    ),
    Code(
        """
gd.sql('''
    SELECT type, severity, resource_type, count, first_seen, title
    FROM guardduty_latest
    ORDER BY severity DESC, first_seen
''')
"""
    ),
    Md(
        """
The Low `Recon:EC2/PortProbeUnprotectedPort` findings are the Internet knocking on the public
servers, as you saw in 00: real, routine, and the findings seen most often. The High one
is different. Its type, `UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS`,
says it all: an EC2 instance gets temporary credentials for its role from AWS, they are
meant to be used by that instance only, and GuardDuty saw them used from an address outside
AWS.
"""
    ),
    Task(
        "ssrf-imds.q01",
        """
### From where?

The finding names the API it saw called (`api`), the key (`access_key_id`), the role
(`user_name`) and the **remote address** (`remote_ip`) with its owner and country. Replace
`____` with a word of the finding's type and run the query.
""",
        scaffold="""
gd.sql('''
    SELECT type, api, access_key_id, user_name, remote_ip, remote_org, remote_country, first_seen
    FROM guardduty_latest
    WHERE type LIKE '%____%'
''')
""",
        solution="""
alert = gd.sql('''
    SELECT type, api, access_key_id, user_name, remote_ip, remote_org, first_seen
    FROM guardduty_latest
    WHERE type LIKE '%InstanceCredentialExfiltration%'
    ORDER BY first_seen
''')
answer = str(alert.remote_ip[0])
ALERT_IP = answer
alert
""",
    ),
    Task(
        "ssrf-imds.q02",
        """
### Which key?

A key id that starts with `ASIA` is **temporary**: it belongs to a role session, not to a
person. An instance with a role (an *instance profile*) gets such a key from the instance
metadata service, and a fresh one every few hours.
""",
        scaffold="""
gd.sql('''
    SELECT DISTINCT access_key_id, user_name
    FROM guardduty_latest
    WHERE remote_ip = '____'
''')
""",
        solution="""
keys = gd.sql('''
    SELECT DISTINCT access_key_id, user_name FROM guardduty_latest WHERE remote_ip = ?
''', [ALERT_IP])
assert len(keys) == 1
answer = str(keys.access_key_id[0])
STOLEN_KEY = answer
ROLE = str(keys.user_name[0])  # the instance role
keys
""",
    ),
    Task(
        "ssrf-imds.q03",
        """
### Whose key?

GuardDuty tells you what it noticed; **CloudTrail** tells you everything the key did. A role
session's calls carry its `arn`: `arn:aws:sts::<account>:assumed-role/<role>/<session>`, and
EC2 names an instance's session after the instance. Look at every call signed with the key,
by address.
""",
        scaffold="""
gd.sql('''
    SELECT arn, source_ip, count(*) AS calls, min(event_time) AS first, max(event_time) AS last
    FROM cloudtrail
    WHERE access_key_id = '____'
    GROUP BY ALL ORDER BY first
''')
""",
        solution="""
sessions = gd.sql('''
    SELECT arn, source_ip, count(*) AS calls, min(event_time) AS first, max(event_time) AS last
    FROM cloudtrail
    WHERE access_key_id = ?
    GROUP BY ALL ORDER BY first
''', [STOLEN_KEY])
assert sessions.arn.nunique() == 1  # one key, one session
answer = sessions.arn[0].rsplit("/", 1)[-1]
INSTANCE_ID = answer
sessions
""",
    ),
    Md(
        """
One key, two addresses. One of them is the alert's. The other one is the instance itself:
its role's calls go out through its own public address, all day. GuardDuty knows the
company's public instances from its port-probe findings, which describe the instance with
its addresses. Check that the second address is the instance's own:
"""
    ),
    Code(
        """
gd.sql('''
    SELECT DISTINCT instance_id,
           finding->'resource'->'instanceDetails'->'networkInterfaces'->0->>'publicIp' AS public_ip,
           finding->'resource'->'instanceDetails'->'networkInterfaces'->0->>'privateIpAddress' AS private_ip,
           finding->'resource'->'instanceDetails'->'tags'->0->>'value' AS name
    FROM guardduty
    WHERE resource_type = 'Instance'
    ORDER BY name
''')
"""
    ),
    Task(
        "ssrf-imds.q04",
        """
### Since when?

The same key signs the instance's own calls and the thief's. So *the key's first call* is
not the answer: the instance used it first. When was the key first used **from the alert's
address**? A time straight from a query is a fine answer.
""",
        scaffold="""
span = gd.sql('''
    SELECT min(event_time) AS first_call, max(event_time) AS last_call, count(*) AS calls
    FROM cloudtrail
    WHERE access_key_id = '____' AND source_ip = '____'
''')
span
""",
        solution="""
span = gd.sql('''
    SELECT min(event_time) AS first_call, max(event_time) AS last_call, count(*) AS calls
    FROM cloudtrail
    WHERE access_key_id = ? AND source_ip = ?
''', [STOLEN_KEY, ALERT_IP])
FIRST_USE = span.first_call[0]
answer = FIRST_USE.strftime("%Y-%m-%dT%H:%M:%SZ")
span
""",
    ),
    Md(
        """
## 2. What the key did

Everything the key did from the alert's address, by API. Read it like a story: *who am I?*,
*what is there?*, a few things the role was not allowed to do, then the reads. Fill in your
case notes first: the cell below keeps the values the rest of the notebook needs.
"""
    ),
    Code(
        """
# Your case notes: fill them in as you go (as text) and run this cell again each time.
# The queries from here on use them.
ALERT_IP = None  # the address in the alert (q01)
STOLEN_KEY = None  # the key it used (q02)
INSTANCE_ID = None  # the instance the key belongs to (q03)
SCAN_IP = None  # the address of the web requests (q06, in section 3)
""",
        only="participant",
    ),
    Code(
        """
gd.sql('''
    SELECT event_name, error_code, count(*) AS calls, min(event_time) AS first, max(event_time) AS last
    FROM cloudtrail
    WHERE access_key_id = ? AND source_ip = ?
    GROUP BY ALL ORDER BY first
''', [STOLEN_KEY, ALERT_IP])
"""
    ),
    Task(
        "ssrf-imds.q05",
        """
### How many objects?

`GetObject` calls are **data events**: CloudTrail logs them only for the buckets its trail
selects, here the sensitive ones. Applications read those buckets all day, so count only the
thief's reads. Fill in the condition that keeps them.
""",
        scaffold="""
gd.sql('''
    SELECT request_parameters->>'bucketName' AS bucket, count(*) AS objects
    FROM cloudtrail
    WHERE event_name = 'GetObject' AND ____
    GROUP BY ALL
''')
""",
        solution="""
reads = gd.sql('''
    SELECT request_parameters->>'bucketName' AS bucket, count(*) AS objects,
           sum((additional_event_data->>'bytesTransferredOut')::BIGINT) AS bytes_out
    FROM cloudtrail
    WHERE event_name = 'GetObject' AND access_key_id = ? AND source_ip = ?
    GROUP BY ALL
''', [STOLEN_KEY, ALERT_IP])
assert len(reads) == 1 and "customer-data" in reads.bucket[0]
answer = int(reads.objects[0])
reads
""",
    ),
    Md(
        """
## 3. How did the key leave the instance?

Nothing in CloudTrail shows the key being taken: an instance reads its credentials from the
**instance metadata service**, at the link-local address `169.254.169.254`, and that is not
an API call. Only the instance can reach that address... or a program on the instance that
fetches whatever URL it is given. That is a **server-side request forgery (SSRF)**: ask the
web site to fetch `http://169.254.169.254/latest/meta-data/iam/security-credentials/<role>`
and it hands you its own role's key.

The instance is one of the company's web servers, behind the public load balancer. Two logs
record every request that reached it, and they share an id (`waf.request_id` is the part
of `alb.trace_id` after `Root=`):

- `waf`: what AWS WAF saw: the client, the path (`uri`), the query string (`args`), which
  rule decided (`terminating_rule_id`, `action`) and which rules matched without deciding
  (`count_rules`);
- `alb`: what the load balancer did: the status the client got (`elb_status_code`), the
  web server that answered (`target_ip`, a private address), the bytes sent back.
"""
    ),
    Code(
        """
gd.sql('''
    SELECT w.time, w.client_ip, w.uri, w.args, w.action, w.terminating_rule_id, w.count_rules,
           a.elb_status_code, a.target_ip, a.sent_bytes
    FROM waf w JOIN alb a ON a.trace_id = 'Root=' || w.request_id
    ORDER BY w.time
    LIMIT 5
''')
"""
    ),
    Task(
        "ssrf-imds.q06",
        """
### Who asked for the metadata?

Find every request whose query string names the metadata service's address, with what the
site answered. You will find more than one sender: the Internet sprays such URLs at every
site, hoping. Which address did the site actually answer, up to the role's credentials?
""",
        scaffold="""
gd.sql('''
    SELECT w.time, w.client_ip, w.uri, w.args, a.elb_status_code, a.target_ip, a.sent_bytes
    FROM waf w JOIN alb a ON a.trace_id = 'Root=' || w.request_id
    WHERE w.args LIKE '%____%'
    ORDER BY w.time
''')
""",
        solution="""
imds = gd.sql('''
    SELECT w.time, w.client_ip, w.uri, w.args, w.count_rules, a.elb_status_code AS status,
           a.target_ip, a.sent_bytes
    FROM waf w JOIN alb a ON a.trace_id = 'Root=' || w.request_id
    WHERE w.args LIKE '%169.254.169.254%'
    ORDER BY w.time
''')
# the request that read the role's credentials names the role, and the site answered it
creds = imds[imds.args.str.contains(f"security-credentials/{ROLE}", regex=False) & (imds.status == 200)]
assert len(creds) == 1
answer = str(creds.client_ip.iloc[0])
SCAN_IP = answer
CREDS_AT = creds.time.iloc[0]
imds.groupby(["client_ip", "status"]).size()
""",
    ),
    Task(
        "ssrf-imds.q07",
        """
### Through which page?

Which page of the site fetched the URLs for that address? Look at everything the address sent
with a query string, in order: a harmless test first, then down the metadata tree.
""",
        scaffold="""
# your query: the requests of that address that had a query string, in time order
""",
        solution="""
walk = gd.sql('''
    SELECT w.time, w.uri, w.args, w.user_agent, a.elb_status_code, a.target_ip, a.sent_bytes
    FROM waf w JOIN alb a ON a.trace_id = 'Root=' || w.request_id
    WHERE w.client_ip = ? AND w.args <> ''
    ORDER BY w.time
''', [SCAN_IP])
assert walk.uri.nunique() == 1
answer = str(walk.uri[0])
walk
""",
    ),
    Task(
        "ssrf-imds.q08",
        """
### And the WAF?

AWS WAF inspected each of those requests. A rule that **decides** is the terminating rule
(`terminating_rule_id`, with its `action`); a rule that matched but was set to **COUNT** only
logs its match (`count_rules`, and a label) and lets the request go on. Which rule recognised
the attack and let it through?
""",
        scaffold="""
# your query: the WAF's verdict on that address's requests to the metadata service
""",
        solution="""
verdict = gd.sql('''
    SELECT action, terminating_rule_id, array_to_string(count_rules, ', ') AS count_rules,
           count(*) AS requests
    FROM waf
    WHERE client_ip = ? AND args LIKE '%169.254.169.254%'
    GROUP BY ALL
''', [SCAN_IP])
assert len(verdict) == 1
answer = str(verdict.count_rules[0])
verdict
""",
    ),
    Md(
        """
The rule was there, and it matched every one of those requests. But it was in **COUNT** mode:
rules are often switched to COUNT while a team checks that they do not block real customers,
and then never switched back. The web ACL's default action, `ALLOW`, decided.

## 4. The scan before

Nobody guesses a page that fetches URLs. Before the SSRF, the same address went through the
site with a scanner: hundreds of paths in a few minutes, most of them `404`. Scans are not
rare on the Internet, and this company even pays for one: a security vendor scans the site
from its own address, allow-listed in the web ACL. Who made the most 404s this week?
"""
    ),
    Code(
        """
gd.sql('''
    SELECT a.client_ip, count(*) AS not_found, any_value(a.user_agent) AS a_user_agent,
           any_value(w.terminating_rule_id) AS waf_rule, min(a.time) AS first, max(a.time) AS last
    FROM alb a JOIN waf w ON a.trace_id = 'Root=' || w.request_id
    WHERE a.elb_status_code = 404
    GROUP BY ALL ORDER BY not_found DESC LIMIT 5
''')
"""
    ),
    Task(
        "ssrf-imds.q09",
        """
### With what?

Which tool did the SSRF's address scan the site with? Its user agent tells.
""",
        scaffold="""
# your query: the user agents of that address's requests
""",
        solution="""
agents = gd.sql('''
    SELECT user_agent, count(*) AS requests FROM alb
    WHERE client_ip = ? AND elb_status_code = 404
    GROUP BY ALL ORDER BY requests DESC
''', [SCAN_IP])
# what each tool leaves in its user agent
MARKS = {"nuclei": "Nuclei", "gobuster": "gobuster", "fuzz faster u fool": "ffuf",
         "feroxbuster": "feroxbuster", "wfuzz": "Wfuzz", "nikto": "Nikto"}
seen = agents.user_agent[0].lower()
answer = next(tool for mark, tool in MARKS.items() if mark in seen)
agents
""",
    ),
    Task(
        "ssrf-imds.q10",
        """
### How loud?

How many of that address's requests did the site answer with a 404?
""",
        scaffold="""
# your query: that address's requests by status
""",
        solution="""
statuses = gd.sql('''
    SELECT elb_status_code, count(*) AS requests FROM alb WHERE client_ip = ?
    GROUP BY ALL ORDER BY elb_status_code
''', [SCAN_IP])
answer = int(statuses.set_index("elb_status_code").requests[404])
statuses
""",
    ),
    Md(
        """
A few of the scanner's requests got a `403`: the web ACL's other managed rules *were* in BLOCK
mode, and stopped a path climbing out of the web root and a few well-known secret files.
Only the metadata rule had been left counting.

## 5. One key, two addresses: linking the halves

The web requests came from one address, the API calls from another: nothing in the logs says
they are the same person. Three things link them:

1. **The role's name**: the SSRF asked the metadata service for the credentials of the role
   the stolen key belongs to.
2. **The web server**: the load balancer sent that request to one web server (`target_ip`, a
   private address). Which instance is it? (GuardDuty's instance details, in section 1, give
   each public instance's private address.)
3. **Time and the key**: the instance's role key changes every few hours. The key used from
   outside must be the one the web server held when the SSRF happened: its own calls with
   that key begin before the SSRF and go on after it.
"""
    ),
    Code(
        """
# the web server that answered the request for the credentials, and its instance
gd.sql('''
    SELECT w.time, w.args, a.target_ip,
           (SELECT any_value(instance_id) FROM guardduty
            WHERE finding->'resource'->'instanceDetails'->'networkInterfaces'->0->>'privateIpAddress'
                  = a.target_ip) AS instance_id
    FROM waf w JOIN alb a ON a.trace_id = 'Root=' || w.request_id
    WHERE w.client_ip = ? AND w.args LIKE '%security-credentials/_%'
''', [SCAN_IP])
"""
    ),
    Code(
        """
# the instance's own calls with the stolen key, around the SSRF: from its own address
gd.sql('''
    SELECT access_key_id, source_ip, count(*) AS calls, min(event_time) AS first, max(event_time) AS last
    FROM cloudtrail
    WHERE arn LIKE '%/' || ? AND access_key_id = ? AND source_ip <> ?
    GROUP BY ALL
''', [INSTANCE_ID, STOLEN_KEY, ALERT_IP])
"""
    ),
    Task(
        "ssrf-imds.q11",
        """
### How fast?

How many minutes passed between the request that returned the role's credentials (in the web
logs) and the first call with the key from outside (section 1)? Subtracting two pandas
timestamps gives a `Timedelta`: `.total_seconds() / 60` turns it into minutes.
""",
        scaffold="""
# the time of the request for the role's credentials, the first use of the key, and the difference
""",
        solution="""
answer = round((FIRST_USE - CREDS_AT).total_seconds() / 60, 2)
print(f"credentials out at {CREDS_AT}, first call from outside at {FIRST_USE}: {answer} minutes")
""",
    ),
    Md(
        """
## 6. What CloudTrail did not see

CloudTrail logged the object reads of the customer-data bucket because its trail selects that
bucket for data events. Other buckets are not selected: reads there leave no CloudTrail record
at all. But every bucket of this account except the logs bucket has **server access logging**
on: S3 writes one line per request to it, whoever made it (`s3_access`). The requester of a
role session is its ARN, which ends in the session's name.
"""
    ),
    Task(
        "ssrf-imds.q12",
        """
### Which buckets?

Which buckets did the stolen credentials read objects from (`REST.GET.OBJECT`)? Give all of
them.
""",
        scaffold="""
# your query: the stolen credentials' requests in the S3 access logs, by bucket and operation
""",
        solution="""
s3 = gd.sql('''
    SELECT bucket, operation, count(*) AS requests, sum(bytes_sent) AS bytes_sent,
           min(time) AS first, max(time) AS last
    FROM s3_access
    WHERE remote_ip = ? AND requester LIKE '%/' || ?
    GROUP BY ALL ORDER BY first
''', [ALERT_IP, INSTANCE_ID])
answer = sorted(s3[s3.operation == "REST.GET.OBJECT"].bucket)
s3
""",
    ),
    Task(
        "ssrf-imds.q13",
        """
### How much?

How many gigabytes (10^9 bytes) did those reads send out, in all?
""",
        scaffold="""
# your query: the bytes sent by those object reads
""",
        solution="""
answer = round(int(s3[s3.operation == "REST.GET.OBJECT"].bytes_sent.sum()) / 1e9, 3)
answer
""",
    ),
    Md(
        """
Customer profiles, and database dumps from the backups bucket: the dumps are the bigger loss,
and CloudTrail never saw them. Without the access logs, an investigation would have
reported a fraction of what left.

## 7. The timeline

Put everything on one chart: the web requests of the SSRF's address, the calls of the stolen
key from the alert's address, the S3 requests, and GuardDuty's alert. The cells below use your
case notes (section 2): check they hold the SSRF's address, the alert's address and the key.
The chart marks the steps you have solved with large diamonds.
"""
    ),
    Code(
        """
SCAN_IP, ALERT_IP, STOLEN_KEY
"""
    ),
    Code(
        """
requests = gd.sql('''
    SELECT time, 'web requests from ' || client_ip AS lane, uri AS what,
           CASE WHEN args LIKE '%security-credentials/_%' THEN 'credential-access'
                WHEN args <> '' THEN 'exploit' ELSE 'scanning' END AS step
    FROM waf WHERE client_ip = ?
''', [SCAN_IP])
calls = gd.sql('''
    SELECT event_time AS time, 'API calls from ' || source_ip AS lane, event_name AS what,
           CASE WHEN event_name = 'GetCallerIdentity' THEN 'use-outside'
                WHEN event_name IN ('GetObject', 'ListObjects') THEN 'exfiltration'
                ELSE 'discovery' END AS step
    FROM cloudtrail WHERE access_key_id = ? AND source_ip = ?
''', [STOLEN_KEY, ALERT_IP])
objects = gd.sql('''
    SELECT time, 'S3 access logs' AS lane, operation || ' ' || bucket AS what, 'exfiltration' AS step
    FROM s3_access WHERE remote_ip = ?
''', [ALERT_IP])
findings = gd.sql('''
    SELECT first_seen AS time, 'GuardDuty' AS lane, type AS what, 'use-outside' AS step
    FROM guardduty_latest WHERE type NOT LIKE 'Recon:%'
''')
found = pd.concat([df for df in (requests, calls, objects, findings) if not df.empty], ignore_index=True)
found.groupby(["lane", "step"]).agg(events=("time", "size"), first=("time", "min"))
"""
    ),
    Code(
        """
gd.timeline(found, label="what", title="What I found (UTC)")
"""
    ),
    Md(
        """
Read it from left to right: the scan, a pause, a handful of requests to one page, then,
minutes later and from somewhere else, *who am I?*, the bucket list and a stream of object
reads, with GuardDuty's alert on the first call. How long did the attacker need from the
first scan request to the first object read? How long did the key stay usable?

## 8. Debrief

A GameDay ends with a debrief: for each step, which AWS service would have **prevented** it,
which **detected** it, and which helped (or would have helped) to **investigate** it. Three
questions first, then the whole picture.
"""
    ),
    Task(
        "ssrf-imds.q14",
        """
### Prevent, at the edge

Which service saw every SSRF request, and would have stopped them had its rule not been in
COUNT mode?
""",
        scaffold="",
        solution="""
# The service whose web ACL logged the rule's matches: its ARN names it (arn:aws:wafv2:...).
acl = gd.sql("SELECT DISTINCT web_acl_id FROM waf WHERE client_ip = ?", [SCAN_IP])
service = acl.web_acl_id[0].split(":")[2].removesuffix("v2")  # wafv2 -> waf
choices = gd.session().questions["ssrf-imds.q14"].choices
answer = next(c for c in choices if c.lower().split()[-1] == service)
acl
""",
        widget=True,
    ),
    Task(
        "ssrf-imds.q15",
        """
### Prevent, on the instance

The SSRF could only make the web server send plain `GET` requests. Which setting of the
instance would have made the metadata service refuse them?
""",
        scaffold="",
        solution="""
# IMDSv1 answers a plain GET. IMDSv2 first wants a token from PUT /latest/api/token (with a
# special header): the attacker never asked for one, and an SSRF through a GET cannot.
tokens = gd.sql('''
    SELECT count(*) AS token_requests FROM waf
    WHERE client_ip = ? AND (args LIKE '%api/token%' OR method = 'PUT')
''', [SCAN_IP])
assert tokens.token_requests[0] == 0
choices = gd.session().questions["ssrf-imds.q15"].choices
answer = next(c for c in choices if "HttpTokens" in c)
tokens
""",
        widget=True,
    ),
    Task(
        "ssrf-imds.q16",
        """
### Detect

And who raised the alarm about the stolen key, without anyone writing a rule for it?
""",
        scaffold="",
        solution="""
# The alert names the service that raised it.
detector = gd.sql('''
    SELECT DISTINCT finding->'service'->>'serviceName' AS service
    FROM guardduty_latest WHERE type LIKE '%InstanceCredentialExfiltration%'
''')
service = detector.service[0]  # guardduty
choices = gd.session().questions["ssrf-imds.q16"].choices
answer = next(c for c in choices if c.lower().replace(" ", "").endswith(service))
detector
""",
        widget=True,
    ),
    Md(
        """
### Step by step

"""
        + debrief_table(STEPS)
    ),
    Md(
        """
The services a GameDay debrief walks through, and what each had to do with this incident:

| | service | this incident |
| --- | --- | --- |
| prevent | **WAF** | Its core rule set recognised every SSRF request (the rule you found in section 3), but the rule was left in COUNT mode. In BLOCK mode the attack ends at the first request. |
| prevent | **EC2: IMDSv2** | With `HttpTokens` set to `required`, the metadata service answers only requests that carry a session token obtained with a `PUT`: a page that fetches a URL cannot get one. An account-wide default and an SCP (`ec2:MetadataHttpTokens`) enforce it. |
| prevent | **IAM** | Least privilege: a web server needs neither `s3:ListAllMyBuckets` nor the backups bucket. Condition keys (`aws:EC2InstanceSourceVPC`, `aws:SourceVpc` on the buckets' policies) make an instance's credentials useless outside its network. |
| prevent | **Shield** | Protects against denial-of-service floods. Not this incident. |
| detect | **GuardDuty** | Raised the alert from CloudTrail alone, on the first call from outside, with no rule written by anyone. |
| detect | **Security Hub** | Its checks flag instances that allow IMDSv1 (EC2.8) and web ACLs with rules in count; it gathers GuardDuty's findings. |
| detect | **Inspector** | Finds vulnerable software on instances and images: sometimes the very library behind an SSRF. |
| investigate | **CloudTrail** | What the key did, and from where; data events for the selected buckets. |
| investigate | **WAF and ALB logs** | The only record of how the key left: the SSRF requests, their page, their verdict, the web server that answered. |
| investigate | **S3 server access logs** | Every request to every bucket, including the reads CloudTrail's trail did not select. |
| investigate | **Detective** | Draws the role session, its addresses and its calls over time as a graph. |
"""
    ),
    Md(
        """
### Switch these on before the next incident

Every answer today came from a log somebody had switched on. Many accounts have fewer:

1. **WAF logging** on every web ACL, and a review of every rule left in COUNT.
2. **ALB access logs** on every load balancer: the web server behind each request, and what
   it answered.
3. **CloudTrail** data events for the buckets that matter, and **S3 server access logs** on
   all the others (they are cheap): here the dumps were only in the access logs.
4. **GuardDuty** in every region, with S3 Protection; findings gathered in Security Hub.
5. **IMDSv2 required** on every instance, by default for the account.

## 9. Your score, and the true timeline

When every question with an exact answer is solved, the kit unseals the incident's **true**
timeline: every event the attacker left, by step. Compare it with yours: what did you miss?
"""
    ),
    Code(
        """
gd.progress()
"""
    ),
    Code(
        """
gd.attack_timeline()
"""
    ),
    Code(
        """
if ANSWERS_OUT:
    Path(ANSWERS_OUT).write_text(json.dumps(ANSWERS, indent=1) + "\\n")
print(f"{len(ANSWERS)} reference answers, every one accepted")
""",
        only="solution",
    ),
]
