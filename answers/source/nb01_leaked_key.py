# ruff: noqa: E501  (Markdown tables and SQL are long lines)
"""01-leaked-key: a guided investigation from a GuardDuty alert to the debrief.

The questions pivot one into the next: the alert's address and key, the key's
owner, everything the address did, what it created, where it ran instances, the
flows of those instances, the data it read. Scaffolding shrinks as the notebook
goes: a query with a blank, then a skeleton, then only what to find. The
reference solutions hold for any seed: they go by the attacker's address, key
and user, never by volume, so the decoys (the Terraform plan, the audit role,
the administrator's new hire, the order workers' reads, the port probes) do not
fool them.
"""

from make_notebooks import SOLUTION_SETUP, Code, Md, Task, debrief_table, parameters

from helpers.storylines.leaked_key import STEPS

SETUP = """
import pandas as pd

import helpers as gd

gd.open_dataset()  # the data set named by $GAMEDAY_DATASET, else datasets/leaked-key
"""


CELLS = [
    Md(
        """
# 01 · Leaked key: a guided investigation

**Time:** about 75 minutes (after `00-start-here`, which shows the tools).

You are on call for the company whose logs you toured in 00. Sometime this week
**GuardDuty** raised an alert. Your job: find out what happened, from the first call to
the last, and say what would have stopped it.

A real investigation starts from the alert and **pivots**: each answer is the filter of
the next question.

> alert → which address, which key → whose key → since when, with what →
> what they tried → what they created to stay → where they ran what → where the data went
> → the timeline → the debrief

How this notebook helps you:

- Early questions give you a query with a blank `____` to fill in. Later ones give you less,
  and at the end only say what to find: by then you know the tables.
- Write down the values you find (an address, a key, a user name): the next question needs
  them, and the timeline in section 6 is built from them.
- Hints cost points (`gd.hint("leaked-key.q01")`); wrong answers do not.
- The week also holds ordinary work that looks suspicious at first sight. When a number
  seems too big, ask *who* made those calls before you answer.
"""
    ),
    Code(parameters("leaked-key"), only="solution", tags=("parameters",)),
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
Read the list before you dive in:

- The Low `Recon:EC2/PortProbeUnprotectedPort` findings are the Internet probing the public
  servers, as you saw in 00: real, routine, not this week's story.
- The others tell one story in two parts: some are about an **instance**
  (`resource_type = 'Instance'`), some about an **access key** (`AccessKey`).

A stolen key is where an attack like this usually starts, so start with the key and come
back to the instances in section 4.
"""
    ),
    Task(
        "leaked-key.q01",
        """
### Where did the call come from?

A finding about an access key names the API it saw called (`api`), the key
(`access_key_id`) and the **remote address** (`remote_ip`) with its owner (`remote_org`) and
country. Replace `____` with the resource type of findings about keys and run the query.
""",
        scaffold="""
gd.sql('''
    SELECT type, severity, api, remote_ip, remote_org, remote_country, first_seen
    FROM guardduty_latest
    WHERE resource_type = '____'
    ORDER BY first_seen
''')
""",
        solution="""
alert = gd.sql('''
    SELECT type, severity, api, remote_ip, remote_org, access_key_id, first_seen
    FROM guardduty_latest
    WHERE resource_type = 'AccessKey'
    ORDER BY first_seen
''')
answer = str(alert.remote_ip[0])
ATTACKER_IP = answer
alert
""",
    ),
    Task(
        "leaked-key.q02",
        """
### Which key?

The address belongs to a hosting provider: people do not work from data centres, attackers
rent servers there. The same findings name the key that signed the calls. A key id that
starts with `AKIA` is a **long-term** key of an IAM user: it does not expire, so a copy
pushed to a public repository works for whoever finds it until someone deactivates it.
""",
        scaffold="""
gd.sql('''
    SELECT type, api, access_key_id, first_seen
    FROM guardduty_latest
    WHERE remote_ip = '____'
''')
""",
        solution="""
keys = gd.sql('''
    SELECT DISTINCT access_key_id FROM guardduty_latest WHERE remote_ip = ?
''', [ATTACKER_IP])
assert len(keys) == 1
answer = str(keys.access_key_id[0])
LEAKED_KEY = answer
keys
""",
    ),
    Task(
        "leaked-key.q03",
        """
### Whose key?

GuardDuty tells you what it noticed; **CloudTrail** tells you everything the key did. Ask
CloudTrail who the key belongs to and from which addresses it was used this week. Go by
the key, not by who makes the most calls: some users of this account read a lot every
night, for good reasons.
""",
        scaffold="""
gd.sql('''
    SELECT user_name, identity_type, source_ip, count(*) AS calls,
           min(event_time) AS first, max(event_time) AS last
    FROM cloudtrail
    WHERE access_key_id = '____'
    GROUP BY ALL ORDER BY first
''')
""",
        solution="""
owners = gd.sql('''
    SELECT user_name, identity_type, source_ip, count(*) AS calls,
           min(event_time) AS first, max(event_time) AS last
    FROM cloudtrail
    WHERE access_key_id = ?
    GROUP BY ALL ORDER BY first
''', [LEAKED_KEY])
assert owners.user_name.nunique() == 1  # one key, one owner
answer = str(owners.user_name[0])
owners
""",
    ),
    Task(
        "leaked-key.q04",
        """
### Since when?

One key, several addresses: the owner's (the office, home) and the attacker's. The
incident starts with the attacker's first call. A time straight from a query is a fine
answer: here, `answer = span.first_call[0]`.
""",
        scaffold="""
span = gd.sql('''
    SELECT min(event_time) AS first_call, max(event_time) AS last_call, count(*) AS calls
    FROM cloudtrail
    WHERE source_ip = '____'
''')
span
""",
        solution="""
span = gd.sql('''
    SELECT min(event_time) AS first_call, max(event_time) AS last_call, count(*) AS calls
    FROM cloudtrail
    WHERE source_ip = ?
''', [ATTACKER_IP])
answer = span.first_call[0].strftime("%Y-%m-%dT%H:%M:%SZ")
span
""",
    ),
    Task(
        "leaked-key.q05",
        """
### With what?

The first call was most likely `GetCallerIdentity`: AWS's *who am I?*, the first thing anyone
does with a key they found. Every call also carries the user agent of the client that made
it. Which client made the calls from the attacker's address? (A choice question takes the
letter or the text of a choice.)
""",
        scaffold="""
gd.sql('''
    SELECT user_agent, count(*) AS calls, min(event_time) AS first
    FROM cloudtrail
    WHERE source_ip = '____'
    GROUP BY ALL ORDER BY first
''')
""",
        solution="""
agents = gd.sql('''
    SELECT user_agent, count(*) AS calls FROM cloudtrail
    WHERE source_ip = ? GROUP BY ALL ORDER BY calls DESC
''', [ATTACKER_IP])
# what each client leaves in a user agent, and the words of the choice that names it
MARKS = {"kali": "Kali Linux", "boto3": "Boto3", "terraform": "Terraform", "aws internal": "Console"}
seen = agents.user_agent[0].lower()
mark = next(words for clue, words in MARKS.items() if clue in seen)
answer = next(c for c in gd.session().questions["leaked-key.q05"].choices if mark in c)
agents
""",
    ),
    Md(
        """
## 2. Discovery: what they tried, and what was denied

After *who am I?* comes *what can I reach?*: a burst of List, Describe and Get calls across
services. The key's owner is not allowed everything, so many of those calls are **denied**,
and what was denied tells you what the attacker was after.

But denied calls are everywhere in a real account. Who was denied most this week?
"""
    ),
    Code(
        """
gd.sql('''
    SELECT user_name, identity_type, count(*) AS denied,
           count(DISTINCT source_ip) AS addresses,
           count(DISTINCT date_trunc('day', event_time)) AS days
    FROM cloudtrail
    WHERE error_code IS NOT NULL
    GROUP BY ALL ORDER BY denied DESC LIMIT 5
''')
"""
    ),
    Md(
        """
The top of that list is denied hundreds of times, every day, from one address. Before you
call it an attacker, look at its name, its user agent and its hours: a security vendor's
read-only scanner looks exactly like this, by design. Noisy is not the same as malicious.
"""
    ),
    Task(
        "leaked-key.q06",
        """
### How many denied?

Count only the attacker's denied calls: those from their address whose `error_code` is set.
Two blanks this time.
""",
        scaffold="""
gd.sql('''
    SELECT count(*) AS denied
    FROM cloudtrail
    WHERE source_ip = '____' AND ____
''')
""",
        solution="""
denied = gd.sql('''
    SELECT event_name, error_code, count(*) AS calls
    FROM cloudtrail
    WHERE source_ip = ? AND error_code IS NOT NULL
    GROUP BY ALL ORDER BY calls DESC
''', [ATTACKER_IP])
answer = int(denied.calls.sum())
denied
""",
    ),
    Task(
        "leaked-key.q07",
        """
### Which APIs were denied?

Now the names of those denied calls: every distinct `event_name`. Write the query yourself,
starting from the one above. A whole column is a fine answer: keep the result
(`df = gd.sql(...)`), then `answer = df["event_name"]`.
""",
        scaffold="""
# your query: the distinct event names of the attacker's denied calls
""",
        solution="""
apis = gd.sql('''
    SELECT DISTINCT event_name FROM cloudtrail
    WHERE source_ip = ? AND error_code IS NOT NULL
    ORDER BY event_name
''', [ATTACKER_IP])
answer = apis.event_name.tolist()
apis
""",
    ),
    Md(
        """
Look at what they reached for and could not get: secrets, the account's whole IAM picture,
databases, the audit trail and the threat detector. That is an attacker sizing up the
account, and checking whether anyone is watching.

## 3. Persistence: a way back in

The attacker knows the leaked key can be deactivated any minute. So the next move is a way
back in that does not depend on it: **a user of their own, a policy that gives it power, and
a key for that user** (sometimes a console password too). These are IAM *write* calls:
`event_source = 'iam.amazonaws.com'` and `NOT read_only`. IAM is a global service: its calls
are logged in the US East (N. Virginia) region, whatever region the company works in.
"""
    ),
    Task(
        "leaked-key.q08",
        """
### The new user

List the week's IAM write calls with who made them (`user_name`), from where (`source_ip`)
and for which user (`request_parameters->>'userName'`). More than one user was created this
week: which one is the attacker's?
""",
        scaffold="""
# your query: IAM write calls of the week, who made them, from where, for which user
""",
        solution="""
changes = gd.sql('''
    SELECT event_time, event_name, user_name, source_ip,
           request_parameters->>'userName' AS target_user
    FROM cloudtrail
    WHERE event_source = 'iam.amazonaws.com' AND NOT read_only
    ORDER BY event_time
''')
created = changes[(changes.event_name == "CreateUser") & (changes.source_ip == ATTACKER_IP)]
assert len(created) == 1
answer = str(created.target_user.iloc[0])
BACKDOOR_USER = answer
changes
""",
    ),
    Task(
        "leaked-key.q09",
        """
### With which rights?

`AttachUserPolicy` gives a user a managed policy. Which one did the attacker's user get?
Compare it with what the administrator's new hire got.
""",
        scaffold="""
# your query: AttachUserPolicy calls, for which user, which policy
""",
        solution="""
policies = gd.sql('''
    SELECT event_time, source_ip, request_parameters->>'userName' AS target_user,
           request_parameters->>'policyArn' AS policy_arn
    FROM cloudtrail
    WHERE event_name = 'AttachUserPolicy'
    ORDER BY event_time
''')
arn = policies[policies.target_user == BACKDOOR_USER].policy_arn.iloc[0]
answer = arn.rsplit("/", 1)[-1]  # the name is the ARN's last part
policies
""",
    ),
    Md(
        """
A user created from a hosting provider's address minutes after the first *who am I?*, given
the broadest rights AWS has, and a key of its own: from now on the attacker does not need the
leaked key. Deactivating it would no longer be enough; the new user and its key must go too.

## 4. Resource hijacking: where they ran what

Back to the alert list: the **High** findings are about instances and a crypto-currency
domain.
"""
    ),
    Code(
        """
gd.sql('''
    SELECT type, severity, count(*) AS findings, max(count) AS times_seen,
           min(first_seen) AS first_seen, any_value(domain) AS domain
    FROM guardduty_latest
    WHERE severity >= 7
    GROUP BY ALL
''')
"""
    ),
    Md(
        """
Several instances asking DNS for a mining pool's name, over and over. Nobody in the company
launched instances this week. GuardDuty names them, but the story of who launched them, with
which key and from where, is in CloudTrail; and what they did on the network is in the VPC
flow logs. From here on, the questions only say what to find.
"""
    ),
    Task(
        "leaked-key.q10",
        """
### Where?

Instances are launched with `RunInstances`. Find those calls: which region did they go to?
Look at who made them and from which address, and compare with what you know: it is not the
first address any more. Note this second address for the timeline.
""",
        scaffold="""
# your query: the RunInstances calls, where, by whom, from where
""",
        solution="""
launches = gd.sql('''
    SELECT event_time, aws_region, user_name, access_key_id, source_ip, user_agent
    FROM cloudtrail
    WHERE event_name = 'RunInstances' AND user_name = ?
    ORDER BY event_time
''', [BACKDOOR_USER])
assert launches.aws_region.nunique() == 1
answer = str(launches.aws_region[0])
SECOND_IP = str(launches.source_ip[0])
launches
""",
    ),
    Task(
        "leaked-key.q11",
        """
### Which instances?

`RunInstances`' answer (`response_elements`) describes the new instances: a list
`instancesSet.items`, each with its `instanceId`, its `privateIpAddress` and its network
interfaces (`networkInterfaceSet.items[*].networkInterfaceId`). Remember from 00: a path
with `[*]` gives a list, and `unnest(...)` turns it into rows. Keep the network interfaces
and private addresses too: you need them next.
""",
        scaffold="""
# your query: the instance ids (with their network interfaces and private addresses)
""",
        solution="""
instances = gd.sql('''
    SELECT event_time,
           unnest(response_elements->>'$.instancesSet.items[*].instanceId') AS instance_id,
           unnest(response_elements->>'$.instancesSet.items[*].privateIpAddress') AS private_ip,
           unnest(response_elements->>'$.instancesSet.items[*].networkInterfaceSet.items[*].networkInterfaceId') AS eni
    FROM cloudtrail
    WHERE event_name = 'RunInstances' AND user_name = ?
''', [BACKDOOR_USER])
answer = sorted(instances.instance_id)
MINER_ENIS = sorted(instances.eni)
MINER_IPS = sorted(instances.private_ip)
instances
""",
    ),
    Task(
        "leaked-key.q12",
        """
### Talking to whom, on which port?

A network interface is the bridge from CloudTrail to the flow logs (`vpc_flow.interface_id`).
Find the new instances' flows. Each conversation shows up twice, once per direction; the
instances' own outbound records have their private address as `srcaddr`. A mining pool
shows as long, steady flows to one outside address on an unusual port.
""",
        scaffold="""
# your query: the new instances' outbound flows, by destination address and port
""",
        solution="""
flows = gd.sql('''
    SELECT dstaddr, dstport, count(*) AS records, sum(bytes) AS bytes,
           min(start_time) AS first, max(end_time) AS last
    FROM vpc_flow
    WHERE interface_id IN (SELECT unnest(?::VARCHAR[]))
      AND srcaddr IN (SELECT unnest(?::VARCHAR[]))
    GROUP BY ALL ORDER BY records DESC
''', [MINER_ENIS, MINER_IPS])
answer = int(flows.dstport[0])
POOL_PORT = answer
flows
""",
    ),
    Task(
        "leaked-key.q13",
        """
### The pool

Which outside address do the instances mine for?
""",
        scaffold="""
# your query: the destination address of those flows
""",
        solution="""
pool = gd.sql('''
    SELECT dstaddr, count(DISTINCT interface_id) AS instances, sum(bytes) AS bytes
    FROM vpc_flow
    WHERE interface_id IN (SELECT unnest(?::VARCHAR[])) AND dstport = ?
    GROUP BY ALL ORDER BY bytes DESC
''', [MINER_ENIS, POOL_PORT])
answer = str(pool.dstaddr[0])
pool
""",
    ),
    Md(
        """
Instances in a region the company never uses, in that region's default network, talking to
one outside address for the rest of the week: the account pays for the hardware, somebody
else collects the coins. GuardDuty's DNS findings (`domain`) name the pool; the flow logs
prove the traffic.

## 5. Exfiltration: where the data went

One more thing came from the attacker's first address. CloudTrail records object reads
(`GetObject`) only for the buckets its trail selects for **data events**: here, the sensitive
ones. Applications read those buckets all day long. What did the attacker read?
"""
    ),
    Task(
        "leaked-key.q14",
        """
### Which bucket?

Find the bucket the attacker read objects from (S3 calls keep the bucket's name in
`request_parameters`).
""",
        scaffold="""
# your query: object reads by bucket, by whom, from where
""",
        solution="""
reads = gd.sql('''
    SELECT request_parameters->>'bucketName' AS bucket, user_name, source_ip,
           count(*) AS objects, min(event_time) AS first, max(event_time) AS last
    FROM cloudtrail
    WHERE event_name = 'GetObject'
    GROUP BY ALL ORDER BY objects DESC
''')
theirs = reads[reads.source_ip == ATTACKER_IP]
assert len(theirs) == 1
answer = str(theirs.bucket.iloc[0])
BUCKET = answer
reads
""",
    ),
    Task(
        "leaked-key.q15",
        """
### How many objects?

How many objects did the attacker download?
""",
        scaffold="""
# your query: the attacker's object reads in that bucket
""",
        solution="""
stolen = gd.sql('''
    SELECT count(*) AS objects, count(DISTINCT request_parameters->>'key') AS distinct_keys,
           sum((additional_event_data->>'bytesTransferredOut')::BIGINT) AS bytes_out
    FROM cloudtrail
    WHERE event_name = 'GetObject' AND source_ip = ?
      AND request_parameters->>'bucketName' = ?
''', [ATTACKER_IP, BUCKET])
answer = int(stolen.objects[0])
stolen
""",
    ),
    Md(
        """
Whose key read them? Look at `user_name` of those calls: the attacker's new user, from the
first address. The stolen data is gone for good; what remains is to tell the people it
belonged to, and to make sure it cannot happen again.

## 6. The timeline

Put everything you found on one chart: what the attacker's two addresses did, the new
instances' traffic, and GuardDuty's findings. Fill in your case notes, then run the cells
below. The chart marks the steps you have solved with large diamonds.
"""
    ),
    Code(
        """
# Your case notes: fill in what you found (as text), then run this cell and the next ones.
ATTACKER_IP = None  # the address in the alert (section 1)
SECOND_IP = None  # the address the instances were launched from (section 4)
MINER_ENIS = []  # the new instances' network interfaces, e.g. ["eni-0...", "eni-0..."]
""",
        only="participant",
    ),
    Code(
        """
# The case notes, from the reference queries above.
ATTACKER_IP, SECOND_IP, MINER_ENIS
""",
        only="solution",
    ),
    Code(
        """
calls = gd.sql('''
    SELECT event_time AS time, source_ip AS lane, event_name AS what,
           CASE WHEN event_name = 'GetCallerIdentity' THEN 'initial-access'
                WHEN event_source = 'iam.amazonaws.com' AND NOT read_only THEN 'persistence'
                WHEN event_name IN ('GetObject', 'ListObjects') THEN 'exfiltration'
                WHEN source_ip = ? THEN 'resource-hijacking'
                ELSE 'discovery' END AS step
    FROM cloudtrail
    WHERE source_ip IN (?, ?)
''', [SECOND_IP, ATTACKER_IP, SECOND_IP])
flows = gd.sql('''
    SELECT time_bucket(INTERVAL 1 HOUR, start_time) AS time,
           'flows of the new instances' AS lane, 'traffic to the pool' AS what,
           'resource-hijacking' AS step
    FROM vpc_flow
    WHERE interface_id IN (SELECT unnest(?::VARCHAR[]))
    GROUP BY ALL
''', [MINER_ENIS])
findings = gd.sql('''
    SELECT first_seen AS time, 'GuardDuty' AS lane, type AS what,
           CASE WHEN type LIKE 'CryptoCurrency:%' THEN 'resource-hijacking'
                WHEN type LIKE 'Discovery:%' THEN 'discovery'
                ELSE 'initial-access' END AS step
    FROM guardduty_latest
    WHERE type NOT LIKE 'Recon:%'
''')
found = pd.concat([df for df in (calls, flows, findings) if not df.empty], ignore_index=True)
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
Read it from left to right: the first *who am I?*, the discovery burst within minutes, the
new user, a pause, the second address launching instances far away, their traffic that never
stops, the burst of object reads. How long did the attacker need from the first call to the
first instance? How long until someone could have noticed?

## 7. Debrief

A GameDay ends with a debrief: for each step, which AWS service would have **prevented** it,
which **detected** it, and which helped (or would have helped) to **investigate** it. Two
questions first, then the whole picture.
"""
    ),
    Task(
        "leaked-key.q16",
        """
### Prevent

What would have made the leaked key useless?
""",
        scaffold="",
        solution="""
# Access keys are issued and governed by the service that logs CreateAccessKey: the one
# whose policies could have refused the key outside the company.
issuer = gd.sql('''
    SELECT DISTINCT event_source FROM cloudtrail WHERE event_name = 'CreateAccessKey'
''')
service = issuer.event_source[0].split(".")[0]  # iam.amazonaws.com -> iam
choices = gd.session().questions["leaked-key.q16"].choices
answer = next(c for c in choices if c.lower().split()[-1] == service)
issuer
""",
        widget=True,
    ),
    Task(
        "leaked-key.q17",
        """
### Detect

And who raised the alarm about the mining, without anyone writing a rule for it?
""",
        scaffold="",
        solution="""
# The mining finding names the service that raised it.
detector = gd.sql('''
    SELECT DISTINCT finding->'service'->>'serviceName' AS service
    FROM guardduty_latest WHERE type LIKE 'CryptoCurrency:%'
''')
service = detector.service[0]  # guardduty
choices = gd.session().questions["leaked-key.q17"].choices
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
| prevent | **IAM** | No long-term keys for people (IAM Identity Center gives them short sessions); conditions on the caller's address (`aws:SourceIp`); least privilege, so the key could list far less and create nobody; an organisation policy (SCP) that denies the regions the company never uses. |
| prevent | **WAF** | Filters HTTP requests to web applications (load balancers, CloudFront, API Gateway). Not this incident: the attacker never touched a website. |
| prevent | **Shield** | Protects against denial-of-service floods. Not this incident. |
| detect | **GuardDuty** | Raised the first alert from CloudTrail alone, then the discovery burst, then the mining from DNS, with no rule written by anyone. |
| detect | **Security Hub** | Gathers findings in one place, and its checks flag long-term keys that are old or unused, and users with administrator rights. |
| detect | **Inspector** | Finds vulnerable software on instances, images and functions. Not this incident: the instances were the attacker's own. |
| investigate | **CloudTrail** | Every API call: the backbone of this whole notebook. |
| investigate | **VPC Flow Logs** | The only proof of the mining traffic, and of where it went. |
| investigate | **Detective** | Draws a key, its user and its addresses over time as a graph: much of sections 1 to 3 in a few clicks. |
| investigate | **OpenSearch** | Search and dashboards over months of logs at scale (DuckDB played that part today). |
"""
    ),
    Md(
        """
### Switch these on before the next incident

Every answer today came from a log somebody had switched on. Many accounts have fewer:

1. **CloudTrail**: an organisation trail in every region, management events plus **S3 data
   events** for the sensitive buckets (without them section 5 would be empty), log file
   validation, delivered to a separate, locked-down log account.
2. **VPC Flow Logs** on every VPC in every region, the default VPCs of unused regions
   included: that is exactly where the attacker went.
3. **GuardDuty** in every region (attackers pick a region where it is off), with S3
   Protection and Runtime Monitoring; findings gathered in **Security Hub**.
4. **Route 53 Resolver query logs**: the DNS questions (the pool's name) in your own logs,
   not only in GuardDuty's findings.
5. Somewhere to search all of it fast (**OpenSearch**, or Athena), and a retention long
   enough to reach back to the leak: leaked keys are often found months later.
6. The **IAM** credential report and Access Analyzer's unused-access findings, reviewed
   regularly: long-term keys that should not exist.

## 8. Your score, and the true timeline

When every question is solved, the kit unseals the incident's **true** timeline: every event
the attacker left, by step. Compare it with yours: what did you miss?
"""
    ),
    Code(
        """
gd.progress()
"""
    ),
    Code(
        """
if hasattr(gd, "attack_timeline"):
    display(gd.attack_timeline())
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
