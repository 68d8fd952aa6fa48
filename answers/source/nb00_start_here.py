# ruff: noqa: E501  (Markdown tables are long lines)
"""00-start-here: a tour of the data set, the three log sources, DuckDB SQL and the quiz.

For someone who knows a little SQL and has never seen CloudTrail. Every example
runs on the background of the week (the Terraform plan, people at work, port
probes), never on the incident, so the tour spoils nothing of 01.
"""

from make_notebooks import Code, Md, Task

SETUP = """
import gzip
import json
from collections import Counter

import helpers as gd

ds = gd.open_dataset()  # the data set named by $GAMEDAY_DATASET, else datasets/leaked-key
ds
"""

SOLUTION_SETUP = """
import gzip
import json
from collections import Counter
from pathlib import Path

import helpers as gd
from helpers.paths import project_root

dataset = Path(DATASET).expanduser()
if not dataset.is_absolute():
    dataset = project_root() / dataset
ds = gd.open_dataset(dataset, participant="reference-solution")
ANSWERS = {}  # question id -> the answer the reference query computed
ds
"""

PARAMETERS = """
# Parameters (papermill convention): the data set to solve, and where to write the answers.
DATASET = "datasets/leaked-key"  # relative to the project folder, or an absolute path
ANSWERS_OUT = None  # a path: write {question id: answer} there as JSON
"""

CELLS = [
    Md(
        """
# 00 · Start here: reading AWS logs

**Time:** this notebook and the next one, `01-leaked-key`, take a learner who knows basic
SQL about **two hours** together (about 45 minutes here, 75 in the investigation).

Somewhere in a week of a company's AWS logs an attacker is hiding among ordinary work.
Before the hunt (notebook 01), this tour shows the ground you will stand on:

1. what a data set is and where its files are;
2. one raw **CloudTrail** record, read field by field: who did what, when, from where,
   with which key;
3. one **VPC Flow Logs** file and one **GuardDuty** finding;
4. **DuckDB SQL** on the catalog: filters, `GROUP BY`, time windows, JSON columns;
5. how to answer: `gd.check`, the answer box, hints and what they cost, your progress;

and ends with three warm-up questions.

Run each cell with **Shift+Enter**, from the top. Your answers and progress are saved as
you go: close the notebook and come back tomorrow, your points are still there.
"""
    ),
    Code(PARAMETERS, only="solution", tags=("parameters",)),
    Code(SETUP, only="participant"),
    Code(SOLUTION_SETUP, only="solution"),
    Md(
        """
`helpers` (imported as `gd`) is the kit's notebook API; `help(gd)` lists everything.
`open_dataset()` opened the data set; every `gd.` function below works on it.

## 1. What a data set is

A data set is a folder. Let us look inside.
"""
    ),
    Code(
        """
folder = ds.dataset_dir
sorted(p.name for p in folder.iterdir())
"""
    ),
    Md(
        """
- `raw/`: the log files exactly as AWS delivers them to an S3 bucket, gzipped;
- `gameday.duckdb`: the same records loaded into a database, one table per log source
  (the *catalog*), so you can ask questions in SQL;
- `dataset.json`: what the data set is;
- `answers.json`: the questions' answers, **hashed**: the kit can check an answer without
  holding it in plain text;
- `progress/`: your attempts and hints, one file per participant (it appears with your
  first answer).

`dataset.json` first:
"""
    ),
    Code(
        """
info = json.loads((folder / "dataset.json").read_text())
info
"""
    ),
    Md(
        """
The `world` is the company: its AWS account, the **home region** where it runs its
systems, its **time zone**, the week the logs cover and its **office addresses**. Keep two
things in mind for the whole GameDay:

- **Every time in the logs is UTC.** People work office hours in their own time zone, so
  their day starts at a different UTC hour.
- Calls from the office addresses are the company's own people. An address that is not
  the office, not home broadband and not an AWS service deserves a second look.

## 2. The raw files: AWS's layout

AWS writes logs to S3 under keys that always follow the same pattern:

| source | key |
| --- | --- |
| CloudTrail | `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/<account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<random>.json.gz` |
| VPC Flow Logs | `AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/<account>_vpcflowlogs_<region>_<flow log id>_<yyyymmddThhmmZ>_<hash>.log.gz` |
| GuardDuty | `AWSLogs/<account>/GuardDuty/<region>/<yyyy>/<mm>/<dd>/<uuid>.jsonl.gz` (an export) |

So the folder names alone tell you the account, the source, the region and the day.
How many files of each source?
"""
    ),
    Code(
        """
raw = folder / "raw"
files = [p.relative_to(raw) for p in raw.rglob("*.gz")]
print(f"{len(files):,} files")
Counter(p.parts[2] for p in files)  # AWSLogs / <account> / <source> / ...
"""
    ),
    Md(
        """
CloudTrail delivers a file about every five minutes per region, so a week makes thousands
of small files. Nobody reads them one by one: that is what the catalog is for. But you
should see one of each at least once, so you know what the catalog's columns really are.

## 3. CloudTrail: one record, field by field

**CloudTrail** records every call made to the AWS API in the account: from the console,
the command line, a program, or an AWS service acting on the company's behalf. One call,
one *record*. We ask the catalog for the first call of the week signed with a long-term key
(`AKIA…`), and which file it came from, then open that file with nothing but `gzip` and `json`.
"""
    ),
    Code(
        """
row = gd.sql('''
    SELECT file, event_id FROM cloudtrail
    WHERE access_key_id LIKE 'AKIA%' AND event_name LIKE 'Describe%'
    ORDER BY event_time LIMIT 1
''').iloc[0]
print(row.file)

with gzip.open(raw / row.file, "rt") as f:
    delivery = json.load(f)
print(f"this file holds {len(delivery['Records'])} records under the key 'Records'")

record = next(r for r in delivery["Records"] if r["eventID"] == row.event_id)
print(json.dumps(record, indent=2))
"""
    ),
    Md(
        """
Read it as a sentence: **who** did **what**, **when**, **from where**, **with which key**.

| question | field | what it says |
| --- | --- | --- |
| who | `userIdentity.type` | `IAMUser` (a person or a program with its own IAM user), `AssumedRole` (someone or something using a role for a while), `AWSService`, `Root` |
| who | `userIdentity.arn`, `userName` | the user (or the role session) that called |
| with which key | `userIdentity.accessKeyId` | **`AKIA…`**: a *long-term* key of an IAM user; it works until someone deactivates it. **`ASIA…`**: a *temporary* key from STS (a role, a console session); it expires within hours |
| what | `eventSource`, `eventName` | the service called and the API action, e.g. `ec2.amazonaws.com` / `DescribeSubnets` |
| what | `requestParameters`, `responseElements` | what was asked, and what came back (often `null` for reads) |
| did it work | `errorCode`, `errorMessage` | only present when the call failed, e.g. `AccessDenied` |
| when | `eventTime` | UTC (the `Z`) |
| from where | `sourceIPAddress` | the caller's address, or an AWS service's name (`ec2.amazonaws.com`) when a service called on the account's behalf |
| with what | `userAgent` | the client: `aws-cli/…`, `Boto3/…` (Python), `Terraform/…`, `AWS Internal` (the console) |
| where to | `awsRegion` | the region the call went to; IAM and STS are global services whose calls are logged in the US East (N. Virginia) region |
| bookkeeping | `eventID`, `eventType`, `eventCategory`, `readOnly`, `recipientAccountId` | a unique id; `AwsApiCall` or `AwsConsoleSignIn`…; `Management` or `Data` (object reads and writes in S3); whether the call only read; the account whose trail logged it |

Now a call signed with a **temporary** key: a program on an EC2 instance or in Lambda
using its role. Only the `userIdentity` part differs:
"""
    ),
    Code(
        """
row = gd.sql('''
    SELECT record FROM cloudtrail
    WHERE identity_type = 'AssumedRole' AND event_name = 'Decrypt'
    ORDER BY event_time LIMIT 1
''').iloc[0]
print(json.dumps(json.loads(row.record)["userIdentity"], indent=2))
"""
    ),
    Md(
        """
An `ASIA…` key, an `arn` of the form `assumed-role/<role>/<session>`, and a
`sessionContext.sessionIssuer`: the role behind the session. In the catalog, `user_name`
holds the role's name for role sessions, so one `GROUP BY user_name` covers people and roles.

The catalog flattens each record into columns (and keeps the whole record in `record`).
Here is the first record again, as a row, turned on its side to fit:
"""
    ),
    Code(
        """
gd.sql(
    "SELECT * EXCLUDE (record) FROM cloudtrail WHERE event_id = ?", [record["eventID"]]
).T
"""
    ),
    Md(
        """
## 4. VPC Flow Logs: who talked to whom

A **VPC flow log** record summarises the traffic of one connection (source, destination,
ports, protocol) on one network interface over a capture window of up to ten minutes. No
content, no domain names: only who talked to whom, how much, and whether it was allowed.
A file is plain text with a header line. The first file of the week:
"""
    ),
    Code(
        """
flow_file = gd.sql("SELECT file FROM vpc_flow ORDER BY start_time LIMIT 1").iloc[0, 0]
with gzip.open(raw / flow_file, "rt") as f:
    lines = f.read().splitlines()
print(f"{flow_file}: {len(lines) - 1} records")
print("\\n".join(lines[:6]))
"""
    ),
    Md(
        """
| field | meaning |
| --- | --- |
| `version` | the format (2: the default fields) |
| `account-id` | the account that owns the interface |
| `interface-id` | the network interface (`eni-…`): the network card of an instance; the bridge from CloudTrail (which names an instance's interfaces) to flow records |
| `srcaddr`, `dstaddr`, `srcport`, `dstport` | who talked to whom; a conversation shows up as two records, one per direction |
| `protocol` | IANA number: 6 TCP, 17 UDP, 1 ICMP |
| `packets`, `bytes` | how much, in the window |
| `start`, `end` | the window, in seconds since 1970 (UTC); the catalog turns them into `start_time`, `end_time` |
| `action` | `ACCEPT` (allowed by the security group and the network ACL) or `REJECT` (refused) |
| `log-status` | `OK`, or `NODATA` / `SKIPDATA` when nothing was, or could be, recorded |

Rejected traffic is mostly the Internet knocking on closed doors:
"""
    ),
    Code(
        """
gd.sql('''
    SELECT dstport, protocol, action, count(*) AS records, count(DISTINCT srcaddr) AS sources
    FROM vpc_flow
    WHERE action = 'REJECT'
    GROUP BY ALL ORDER BY records DESC LIMIT 5
''')
"""
    ),
    Md(
        """
## 5. GuardDuty: a finding and its updates

**GuardDuty** is AWS's managed threat detection: it reads CloudTrail, VPC flow and DNS
logs itself and raises **findings**. A finding's type reads like this:

`ThreatPurpose:ResourceType/ThreatFamily.Variant!Artifact`, e.g. `Backdoor:EC2/C&CActivity.B!DNS`:
the purpose (*Backdoor*), the kind of resource (an *EC2* instance), the threat (*C&C activity*,
variant *B*), and where it was seen (*DNS* logs).

| severity | band |
| --- | --- |
| 1.0 – 3.9 | Low: suspicious but common, often blocked already |
| 4.0 – 6.9 | Medium: unusual, investigate when you can |
| 7.0 – 8.9 | High: a resource is compromised, act now |
| 9.0 – 10.0 | Critical (attack sequences) |

When GuardDuty sees the same activity again it **updates** the finding: same `id`, a higher
`service.count`, a later `updatedAt`. An export holds every version, one JSON object per line.
Here is the first finding of the week, a port probe:
"""
    ),
    Code(
        """
probe = gd.sql('''
    SELECT id, file FROM guardduty
    WHERE type LIKE 'Recon:%' ORDER BY first_seen, updated_at LIMIT 1
''').iloc[0]
with gzip.open(raw / probe.file, "rt") as f:
    versions = [json.loads(line) for line in f]
finding = next(v for v in versions if v["id"] == probe.id)
head = ("type", "severity", "title", "createdAt", "updatedAt")
print(json.dumps({k: finding[k] for k in head}, indent=2))
print(json.dumps(finding["service"]["action"], indent=2))
print("count:", finding["service"]["count"])
"""
    ),
    Md(
        """
In the catalog, `guardduty` has one row per exported version, and the view
`guardduty_latest` one row per finding (its last version). The same finding over the week:
"""
    ),
    Code(
        """
gd.sql('''
    SELECT id, type, severity, count, first_seen, last_seen, updated_at
    FROM guardduty WHERE id = ? ORDER BY updated_at
''', [probe.id])
"""
    ),
    Md(
        """
A port probe is **Low** severity and real: public servers are probed all day long. Findings
per severity band this week (`CASE` turns a number into a label):
"""
    ),
    Code(
        """
gd.sql('''
    SELECT CASE WHEN severity >= 7 THEN 'high'
                WHEN severity >= 4 THEN 'medium'
                ELSE 'low' END AS band,
           count(*) AS findings
    FROM guardduty_latest
    GROUP BY band ORDER BY band
''')
"""
    ),
    Md(
        """
## 5½. The other sources: web, S3 and DNS

Four more sources come into play in the later GameDays. Each has a table of its own, and
each answers a question CloudTrail cannot:

| table | AWS source | one row | answers |
| --- | --- | --- | --- |
| `alb` | Application Load Balancer access logs | one HTTP request to the public site | who asked for which page, what the site answered (`elb_status_code`), which server served it (`target_ip`) |
| `waf` | AWS WAF logs (the firewall in front of the load balancer) | the same request, as the firewall judged it | `action` (ALLOW / BLOCK / COUNT), the rule that decided (`terminating_rule_id`), rules that only counted (`count_rules`), the headers and query string (`headers`, `args`) |
| `s3_access` | S3 server access logs | one request to a bucket | every read, write, copy and delete (`operation`, e.g. `REST.GET.OBJECT`), even where CloudTrail does not log it, or is not logging at all |
| `dns` | Route 53 Resolver query logs | one DNS question an instance asked | which names the servers looked up (`query_name`, `domain`) and the answers |

A request to the site is in both `alb` and `waf`: same time, same client, same path.
The load balancer's view of the week, by status code:
"""
    ),
    Code(
        """
gd.sql('''
    SELECT elb_status_code, count(*) AS requests, count(DISTINCT client_ip) AS clients
    FROM alb GROUP BY ALL ORDER BY requests DESC
''')
"""
    ),
    Md(
        """
404s are normal: stale links, `favicon.ico`, bots. What the firewall blocked, and why:
"""
    ),
    Code(
        """
gd.sql('''
    SELECT terminating_rule_id, action, count(*) AS requests
    FROM waf WHERE action <> 'ALLOW'
    GROUP BY ALL ORDER BY requests DESC LIMIT 5
''')
"""
    ),
    Md(
        """
S3 access logs name operations the way S3's REST API does. Which operations, on which
buckets, this week:
"""
    ),
    Code(
        """
gd.sql('''
    SELECT bucket, operation, count(*) AS requests
    FROM s3_access GROUP BY ALL ORDER BY requests DESC LIMIT 8
''')
"""
    ),
    Md(
        """
And the names the instances look up most (`domain` is `query_name` without its final dot):
"""
    ),
    Code(
        """
gd.sql('''
    SELECT domain, query_type, count(*) AS queries, count(DISTINCT srcaddr) AS instances
    FROM dns GROUP BY ALL ORDER BY queries DESC LIMIT 8
''')
"""
    ),
    Md(
        """
## 6. DuckDB SQL on the catalog

`gd.sql("...")` runs a query on the catalog (read-only) and returns a pandas DataFrame. The
tables are `cloudtrail`, `vpc_flow`, `guardduty` (and the view `guardduty_latest`), `alb`,
`waf`, `s3_access` and `dns`;
`DESCRIBE` lists a table's columns (and `gameday describe` in a terminal explains each one):
"""
    ),
    Code(
        """
gd.sql("DESCRIBE cloudtrail")[["column_name", "column_type"]]
"""
    ),
    Md(
        """
**Filter and group.** Who calls the API most? `GROUP BY ALL` groups by every column that is
not an aggregate.
"""
    ),
    Code(
        """
gd.sql('''
    SELECT identity_type, user_name, count(*) AS calls, count(error_code) AS errors
    FROM cloudtrail
    GROUP BY ALL
    ORDER BY calls DESC
    LIMIT 10
''')
"""
    ),
    Md(
        """
**Time windows.** `date_trunc('day', t)` (or `'hour'`) cuts a time down to its day or hour,
so you can count per day; `hour(t)` gives the hour (UTC). The Terraform user runs a plan
every night: hundreds of reads in a few minutes.
"""
    ),
    Code(
        """
gd.sql('''
    SELECT date_trunc('day', event_time) AS day,
           min(event_time) AS first, max(event_time) AS last, count(*) AS calls
    FROM cloudtrail
    WHERE user_name = 'terraform-ci'
    GROUP BY day ORDER BY day
''')
"""
    ),
    Md(
        """
`INTERVAL` does arithmetic on times. What did the first person to sign in to the console
this week do in the half hour after? (A `WITH` clause names a small query so the main one can
use it.)
"""
    ),
    Code(
        """
gd.sql('''
    WITH first_login AS (
        SELECT user_name, event_time AS t FROM cloudtrail
        WHERE event_name = 'ConsoleLogin' ORDER BY event_time LIMIT 1
    )
    SELECT cloudtrail.user_name, event_name, count(*) AS calls,
           min(event_time) AS first, max(event_time) AS last
    FROM cloudtrail, first_login
    WHERE cloudtrail.user_name = first_login.user_name
      AND event_time BETWEEN first_login.t AND first_login.t + INTERVAL 30 MINUTE
    GROUP BY ALL ORDER BY first
''')
"""
    ),
    Md(
        """
**JSON columns.** `request_parameters`, `response_elements`, `additional_event_data`,
`resources`, `record` (and `finding` in GuardDuty) hold JSON. Two operators reach inside:

- `col->'key'` returns **JSON** (text in quotes, objects, lists), and chains: `record->'userIdentity'->'arn'`;
- `col->>'key'` returns **text**, ready to compare or group: `response_elements->>'ConsoleLogin'`;
- a path with `[*]` takes every element of a list and returns a DuckDB list:
  `resources->>'$[*].ARN'`; `unnest(...)` turns a list into rows (group them in an outer
  query, as below: DuckDB does not group on `unnest` directly).
"""
    ),
    Code(
        """
gd.sql('''
    SELECT user_name,
           response_elements->>'ConsoleLogin' AS result,
           additional_event_data->>'MFAUsed' AS mfa,
           record->'userIdentity'->'type' AS identity_json
    FROM cloudtrail
    WHERE event_name = 'ConsoleLogin'
    ORDER BY event_time LIMIT 5
''')
"""
    ),
    Code(
        """
gd.sql('''
    SELECT role, count(*) AS sessions
    FROM (SELECT unnest(resources->>'$[*].ARN') AS role
          FROM cloudtrail WHERE event_name = 'AssumeRole')
    GROUP BY role ORDER BY sessions DESC
''')
"""
    ),
    Md(
        """
An error in a query comes back as one red line saying what DuckDB did not understand;
fix it and run the cell again. A query that still holds the blank `____` is not run: the
questions below give you queries to complete.

## 7. How to answer

Each question has an id. `gd.question(id)` shows it with its answer format, its points and
its hints:
"""
    ),
    Code(
        """
gd.question("start-here.q01")
"""
    ),
    Code(
        """
# gd.hint("start-here.q01")  # remove the # to see the hint: it costs 5 of the 20 points
""",
        only="participant",
    ),
    Md(
        """
Then put your answer in `answer` and run `gd.check(id, answer)`: one line says whether it is
right and, if not, what to look at. Answers are accepted in the form you have them: typed
text, or a value straight from a query (`df.iloc[0, 0]`, or a whole column for a question
that asks for several values, in any order). Addresses, numbers and times are normalised:
`1,234` is 1234, `2026-03-05 14:02` is a UTC time.

- **Wrong answers cost nothing** (unless your trainer turns that on): try again.
- **Hints cost points**, shown before you see them: `gd.hint(id)` shows the next one. The cost
  comes off that question's points when you solve it, never below a floor; hints are free once
  you have solved the question.
- `gd.answer_box(id)` does the same with a text box, a *Submit* and a *Hint* button
  (the Hint button asks before it spends points).
- `gd.progress()` shows your points per question and in total.

A blank answer is not an attempt: running the answer cells below as they are only reminds
you to fill them in. Now the warm-up.

## 8. Warm-up questions
"""
    ),
    Task(
        "start-here.q01",
        """
### The account

Every record names the account whose trail logged it (`recipient_account_id`), and every
file's key starts with it. Complete the query (replace `____` with a column name) and
run it.
""",
        scaffold="""
gd.sql("SELECT ____, count(*) AS records FROM cloudtrail GROUP BY ALL")
""",
        solution="""
accounts = gd.sql('''
    SELECT recipient_account_id, count(*) AS records
    FROM cloudtrail GROUP BY ALL ORDER BY records DESC
''')
answer = str(accounts.recipient_account_id[0])
accounts
""",
    ),
    Task(
        "start-here.q02",
        """
### The home region

A company runs its systems in one region, mostly. Count the week's CloudTrail events per
region: replace `____` with the column to group by.
""",
        scaffold="""
gd.sql('''
    SELECT ____ AS region, count(*) AS events
    FROM cloudtrail GROUP BY ALL ORDER BY events DESC
''')
""",
        solution="""
regions = gd.sql('''
    SELECT aws_region, count(*) AS events
    FROM cloudtrail GROUP BY ALL ORDER BY events DESC
''')
answer = str(regions.aws_region[0])
regions.head()
""",
    ),
    Task(
        "start-here.q03",
        """
### Who signs in to the console

A console sign-in is a `ConsoleLogin` record; whether it worked is in its
`response_elements` (the JSON `{"ConsoleLogin": "Success"}` or `"Failure"`). Replace `____`
with the right value, run the query, and this time answer in the box below it (type the
number, then *Submit*).
""",
        scaffold="""
gd.sql('''
    SELECT count(DISTINCT user_name) AS people
    FROM cloudtrail
    WHERE event_name = 'ConsoleLogin' AND response_elements->>'ConsoleLogin' = '____'
''')
""",
        solution="""
people = gd.sql('''
    SELECT count(DISTINCT user_name) AS people
    FROM cloudtrail
    WHERE event_name = 'ConsoleLogin' AND response_elements->>'ConsoleLogin' = 'Success'
\'\'\')
answer = int(people.people[0])
people
""",
        widget=True,
    ),
    Md(
        """
## Your progress

Your points so far. Hints you asked for show in the `hints` column.
"""
    ),
    Code(
        """
gd.progress()
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
    Md(
        """
**Next:** open **`01-leaked-key.ipynb`**. GuardDuty has raised an alert; you are on call.
"""
    ),
]
