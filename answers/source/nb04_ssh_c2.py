# ruff: noqa: E501  (Markdown tables and SQL are long lines)
"""04-ssh-c2: from a low-severity GuardDuty finding to a C2 beacon and DNS exfiltration.

The questions pivot one into the next: the attacked instance, the change that
exposed it, who knocked, who got in, what the implant calls and how often, what
the instance's role read, what left through DNS. Scaffolding shrinks as the
notebook goes. The reference solutions hold for any seed: they go by the
instance, its network interface and its role session, never by volume, so the
decoys (the bastion's port probes, other security group changes, the
developer's own session from home, scanners, the application's own secret
reads, the anti-virus agent's DNS lookups) do not fool them.
"""

from make_notebooks import SOLUTION_SETUP, Code, Md, Task, debrief_table, parameters

from helpers.storylines.ssh_c2 import STEPS

SETUP = """
import pandas as pd

import helpers as gd

gd.open_dataset()  # the data set named by $GAMEDAY_DATASET, else datasets/ssh-c2
"""


CELLS = [
    Md(
        """
# 04 · SSH exposed: brute force, a beacon, and data leaving through DNS

**Time:** about 90 minutes (after `00-start-here`; `01-leaked-key` helps but is not needed).

You are on call again, for the company whose logs you toured in 00. This time the story
starts on a server, not with a key: somebody got a shell on one of the company's instances.
Your job: find how, what the intruder did with it, and what left the building.

You will pivot across four log sources this time:

| table | what one row is |
| --- | --- |
| `guardduty_latest` | a GuardDuty finding (its latest version) |
| `cloudtrail` | an AWS API call |
| `vpc_flow` | a VPC flow record: one connection on one network interface over up to 10 minutes |
| `dns` | a Route 53 Resolver query log entry: one DNS question an instance asked, with the answer |

> alert → which instance → who opened the door → who knocked → who got in, and when →
> whom the implant calls, and how often → what the instance's role read → what left through
> DNS → the timeline → the debrief

How this notebook helps you:

- Early questions give you a query with a blank `____` to fill in; later ones only say what to
  find. Hints cost points (`gd.hint("ssh-c2.q01")`); wrong answers do not.
- Keep the values you find (an instance id, a network interface, addresses, domains): the next
  question needs them, and the timeline in section 7 is built from them.
- The week holds ordinary traffic that looks suspicious at first sight: the internet knocks on
  every open port, people work from home, applications read their secrets all day, security
  agents ask DNS odd-looking questions. Ask *who* and *since when* before you answer.
"""
    ),
    Code(parameters("ssh-c2"), only="solution", tags=("parameters",)),
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
    SELECT type, severity, resource_type, instance_id, remote_ip, domain, count, first_seen
    FROM guardduty_latest
    ORDER BY severity DESC, first_seen
''')
"""
    ),
    Md(
        """
Read it before you dive in:

- The **High** findings say an instance asked DNS for suspicious domains. That is the end of a
  story; start at its beginning.
- `Recon:EC2/PortProbeUnprotectedPort` (Low) is the internet probing the public servers: real,
  routine, there every week.
- `UnauthorizedAccess:EC2/SSHBruteForce` is Low too: GuardDuty rates it so when the instance
  is the *target*, because the internet tries passwords on every SSH port it finds. Whether
  it matters depends on one thing: did anyone get in?
"""
    ),
    Task(
        "ssh-c2.q01",
        """
### Which instance?

Replace `____` with the end of the brute-force finding's type and run the query. Several
findings (one per attacking address) name the same instance.
""",
        scaffold="""
gd.sql('''
    SELECT instance_id, remote_ip, remote_country, count, first_seen, last_seen
    FROM guardduty_latest
    WHERE type LIKE '%____'
    ORDER BY first_seen
''')
""",
        solution="""
alerts = gd.sql('''
    SELECT instance_id, remote_ip, remote_country, count, first_seen, last_seen
    FROM guardduty_latest
    WHERE type LIKE '%SSHBruteForce'
    ORDER BY first_seen
''')
assert alerts.instance_id.nunique() == 1
answer = str(alerts.instance_id[0])
INSTANCE_ID = answer
alerts
""",
    ),
    Md(
        """
## 2. The open door

A finding describes its instance in full (`finding`, the JSON GuardDuty exported): its network
interface, its private and public addresses, its role (instance profile) and its **security
group**, the firewall that decides who may connect. Keep the network interface and the private
address: the flow logs and the DNS logs know the instance by them.
"""
    ),
    Code(
        """
instance = gd.sql('''
    SELECT DISTINCT instance_id,
        finding->>'$.resource.instanceDetails.networkInterfaces[0].networkInterfaceId' AS eni,
        finding->>'$.resource.instanceDetails.networkInterfaces[0].privateIpAddress' AS private_ip,
        finding->>'$.resource.instanceDetails.networkInterfaces[0].publicIp' AS public_ip,
        finding->>'$.resource.instanceDetails.networkInterfaces[0].securityGroups[0].groupId' AS security_group,
        finding->>'$.resource.instanceDetails.iamInstanceProfile.arn' AS instance_profile
    FROM guardduty_latest
    WHERE type LIKE '%SSHBruteForce'
''')
instance
"""
    ),
    Code(
        """
# Keep them: the next queries use these names.
ENI = instance.eni[0]
PRIVATE_IP = instance.private_ip[0]
SECURITY_GROUP = instance.security_group[0]
"""
    ),
    Task(
        "ssh-c2.q02",
        """
### Who opened it?

An instance is only brute-forced over SSH if its security group lets the internet reach port
22. Changes to security groups are API calls, so CloudTrail has them: adding a rule is
`AuthorizeSecurityGroupIngress`. Replace `____` and run: several rules changed this week. Which
one opened *this instance's* group, on port 22, to everyone (`0.0.0.0/0`)?
""",
        scaffold="""
gd.sql('''
    SELECT event_time, user_name, source_ip,
           request_parameters->>'groupId' AS group_id,
           request_parameters->>'$.ipPermissions.items[0].fromPort' AS port,
           request_parameters->>'$.ipPermissions.items[0].ipRanges.items[0].cidrIp' AS cidr
    FROM cloudtrail
    WHERE event_name = '____'
    ORDER BY event_time
''')
""",
        solution="""
rules = gd.sql('''
    SELECT event_time, user_name, source_ip, user_agent,
           request_parameters->>'groupId' AS group_id,
           request_parameters->>'$.ipPermissions.items[0].fromPort' AS port,
           request_parameters->>'$.ipPermissions.items[0].ipRanges.items[0].cidrIp' AS cidr
    FROM cloudtrail
    WHERE event_name = 'AuthorizeSecurityGroupIngress'
    ORDER BY event_time
''')
opened = rules[(rules.group_id == SECURITY_GROUP) & (rules.port == "22") & (rules.cidr == "0.0.0.0/0")]
assert len(opened) == 1
answer = str(opened.user_name.iloc[0])
OPENER_IP = str(opened.source_ip.iloc[0])
rules
""",
    ),
    Task(
        "ssh-c2.q03",
        """
### When?

From that moment on, anyone on the internet could try to log in. A time straight from a
query is a fine answer.
""",
        scaffold="""
gd.sql('''
    SELECT event_time, user_name, source_ip, user_agent
    FROM cloudtrail
    WHERE event_name = 'AuthorizeSecurityGroupIngress' AND request_parameters->>'groupId' = '____'
''')
""",
        solution="""
change = gd.sql('''
    SELECT event_time FROM cloudtrail
    WHERE event_name = 'AuthorizeSecurityGroupIngress' AND request_parameters->>'groupId' = ?
      AND request_parameters->>'$.ipPermissions.items[0].ipRanges.items[0].cidrIp' = '0.0.0.0/0'
''', [SECURITY_GROUP])
OPENED_AT = change.event_time[0]
answer = OPENED_AT.strftime("%Y-%m-%dT%H:%M:%SZ")
change
""",
    ),
    Md(
        """
Look at the address the change came from (`source_ip`) and the client (`user_agent`): a
person with the AWS CLI, not from the office. Somebody working from home one evening, who
could not reach the server and opened the door instead of taking the bastion. Keep that
address in mind.

## 3. Who knocked, and who got in

The **VPC flow logs** record every connection on every network interface: `srcaddr` →
`dstaddr`, ports, bytes, and the interval it covers (`start_time`, `end_time`; a long
connection is reported every 10 minutes). A failed SSH login is one short connection of a few
kilobytes. Connections *to* the instance's port 22 have `dstport = 22` on its interface.
"""
    ),
    Task(
        "ssh-c2.q04",
        """
### The brute-forcers

Fill in the two blanks (the instance's network interface, and the SSH port) and look at who
connected. The internet's scanners knock on every open port once or twice; a brute-forcer
comes back dozens or hundreds of times. GuardDuty named some of them: does the flow log agree,
and is there anyone it did not name?
""",
        scaffold="""
gd.sql('''
    SELECT srcaddr, count(*) AS connections, sum(bytes) AS bytes, max(bytes) AS biggest,
           max(end_time - start_time) AS longest, min(start_time) AS first, max(end_time) AS last
    FROM vpc_flow
    WHERE interface_id = '____' AND dstport = ____
    GROUP BY srcaddr
    ORDER BY connections DESC
''')
""",
        solution="""
knocks = gd.sql('''
    SELECT srcaddr, count(*) AS connections,
           count(*) FILTER (WHERE end_time - start_time < INTERVAL 1 MINUTE) AS short,
           sum(bytes) AS bytes, max(bytes) AS biggest,
           max(end_time - start_time) AS longest, min(start_time) AS first, max(end_time) AS last
    FROM vpc_flow
    WHERE interface_id = ? AND dstport = 22
    GROUP BY srcaddr
    ORDER BY connections DESC
''', [ENI])
brute = knocks[knocks.short >= 10]  # dozens of short tries; scanners knock once or twice
answer = sorted(brute.srcaddr)
BRUTE_FORCERS = answer
knocks.head(12)
""",
    ),
    Task(
        "ssh-c2.q05",
        """
### The one that got in

Look at the brute-forcers only. After a burst of failures, one of them has a connection that
*lasts* and carries far more bytes: a password guessed right. (The biggest SSH connection of
the week is not necessarily it: check where that one comes from, and whether it ever failed a
login first.)
""",
        scaffold="""
# your query: the brute-forcers' records that lasted more than a minute, with their bytes
""",
        solution="""
sessions = gd.sql('''
    SELECT srcaddr, min(start_time) AS began, max(end_time) AS ended,
           count(*) AS records, sum(bytes) AS bytes
    FROM vpc_flow
    WHERE interface_id = ? AND dstport = 22 AND end_time - start_time >= INTERVAL 1 MINUTE
    GROUP BY srcaddr ORDER BY began
''', [ENI])
theirs = sessions[sessions.srcaddr.isin(BRUTE_FORCERS)]
assert len(theirs) == 1
answer = str(theirs.srcaddr.iloc[0])
ATTACKER_IP = answer
sessions
""",
    ),
    Task(
        "ssh-c2.q06",
        """
### When?

When did the intruder's session begin?
""",
        scaffold="""
# your query: the start of that address's first long record
""",
        solution="""
login = gd.sql('''
    SELECT min(start_time) AS began FROM vpc_flow
    WHERE interface_id = ? AND srcaddr = ? AND end_time - start_time >= INTERVAL 1 MINUTE
''', [ENI, ATTACKER_IP])
LOGIN_AT = login.began[0]
answer = LOGIN_AT.strftime("%Y-%m-%dT%H:%M:%SZ")
login
""",
    ),
    Md(
        """
The long session before the brute force came from the address that opened the security
group: the developer copying a large file up, the reason the door was opened. Big, long and
from outside the office, it looks worse than the intruder's; it never failed a login first.

## 4. The beacon

Malware on a server usually **beacons**: it calls its command-and-control (C2) server at a
steady rhythm to ask for orders. To call a name it first asks DNS, and the VPC's resolver logs
every question: the `dns` table. A first look:
"""
    ),
    Code(
        """
gd.sql('''
    SELECT * FROM dns LIMIT 5
''')
"""
    ),
    Task(
        "ssh-c2.q07",
        """
### Whom does it call?

GuardDuty's `Backdoor:EC2/C&CActivity.B!DNS` finding names the domain the instance asked for.
Which address did the resolver answer with? That is the C2 server; the flow logs should show
the instance connecting to it. From here on, the questions only say what to find.
""",
        scaffold="""
# your queries: the C2 domain from GuardDuty, then its answers in the dns table
""",
        solution="""
C2_DOMAIN = gd.sql('''
    SELECT DISTINCT domain FROM guardduty_latest WHERE type LIKE 'Backdoor:%'
''').domain[0]
resolved = gd.sql('''
    SELECT DISTINCT unnest(answers) AS address FROM dns
    WHERE domain = ? AND srcaddr = ?
''', [C2_DOMAIN, PRIVATE_IP])
assert len(resolved) == 1
answer = str(resolved.address[0])
C2_IP = answer
resolved
""",
    ),
    Task(
        "ssh-c2.q08",
        """
### How often?

An implant sleeps a fixed interval between calls, plus or minus some random **jitter** so the
rhythm is less obvious. Recover the interval, in seconds. The resolver logs each query's time
to the second; look at `query_type` first. A window function gives each row the previous row's value:
`lag(time) OVER (ORDER BY time)`; subtracting gives the gaps (`epoch(...)` turns a gap into
seconds). A few gaps are off by a second: the times are rounded.
""",
        scaffold="""
# your query: the gaps between the instance's queries for the C2 domain, and their median
""",
        solution="""
gaps = gd.sql('''
    WITH q AS (
        SELECT time FROM dns WHERE domain = ? AND srcaddr = ? AND query_type = 'A'
    )
    SELECT epoch(time - lag(time) OVER (ORDER BY time)) AS gap FROM q
''', [C2_DOMAIN, PRIVATE_IP])
answer = float(gaps.gap.median())
gaps.gap.describe()
""",
    ),
    Md(
        """
The flow logs say the same, to the second: one short connection to the C2 server after each
query. A beacon is easy to see once you know the address, and hard to see among thousands of
ordinary connections if you do not: that is what the jitter is for.

## 5. The instance's role

An instance's **role** gives it temporary AWS credentials; every program on the instance,
the intruder's included, can use them. In CloudTrail, an EC2 role's session is named after the
instance: its `arn` ends with the instance id.
"""
    ),
    Task(
        "ssh-c2.q09",
        """
### What did it read?

Which secrets did the intruder read from Secrets Manager (`GetSecretValue`, the secret in
`request_parameters->>'secretId'`)? The application on the instance reads its own secrets
through the same session all day: compare *how* the calls were made before and after the
break-in. A user agent starts with the client's name and version
(`split_part(user_agent, ' ', 1)`); the rest describes the machine and, for the AWS CLI, the
command.
""",
        scaffold="""
# your query: the role session's calls, by client and API, before and after the break-in
""",
        solution="""
calls = gd.sql('''
    SELECT split_part(user_agent, ' ', 1) AS client, event_name,
           request_parameters->>'secretId' AS secret_id,
           event_time >= ? AS after_login, count(*) AS calls, min(event_time) AS first
    FROM cloudtrail
    WHERE arn LIKE '%/' || ?
    GROUP BY ALL ORDER BY first
''', [LOGIN_AT, INSTANCE_ID])
before = set(calls[~calls.after_login].client)
new = calls[calls.after_login & ~calls.client.isin(before)]
assert new.client.nunique() == 1  # one new client on the box
answer = sorted(new[new.event_name == "GetSecretValue"].secret_id)
calls
""",
    ),
    Md(
        """
Same key, same address, same role: only the client (`aws-cli` where the application uses an
SDK), the time and the `ListSecrets` before the reads tell the intruder apart.

## 6. Exfiltration through DNS

GuardDuty's last High finding is `Trojan:EC2/DNSDataExfiltration`. No connection needs to
leave the VPC: the instance asks the resolver for names like `<data>.<domain>`, and the
resolver forwards each question to the domain's name server, which the attacker runs. The data
is in the names.
"""
    ),
    Task(
        "ssh-c2.q10",
        """
### Which domain?

Find, in the `dns` table, the names whose first label is long and random-looking
(`split_part(domain, '.', 1)`), and the domain they belong to (the rest of the name). Careful: the instance is not
the only one asking long names.
""",
        scaffold="""
# your query: long first labels, by domain: which instances ask them, since when
""",
        solution="""
long_names = gd.sql('''
    SELECT regexp_replace(domain, '^[^.]*[.]', '') AS parent,
           count(*) AS queries, count(DISTINCT srcaddr) AS instances,
           min(time) AS first, max(time) AS last
    FROM dns
    WHERE length(split_part(domain, '.', 1)) > 30
    GROUP BY ALL ORDER BY queries DESC
''')
mine = gd.sql('''
    SELECT DISTINCT regexp_replace(domain, '^[^.]*[.]', '') AS parent FROM dns
    WHERE srcaddr = ? AND length(split_part(domain, '.', 1)) > 30
''', [PRIVATE_IP])
only_here = long_names[(long_names.instances == 1) & long_names.parent.isin(mine.parent)]
assert len(only_here) == 1
answer = str(only_here.parent.iloc[0])
EXFIL_DOMAIN = answer
long_names
""",
    ),
    Task(
        "ssh-c2.q11",
        """
### How much?

Each query carries a chunk of data, hex-encoded, in its first label: two characters per
byte. How many bytes left?
""",
        scaffold="""
# your query: the first labels' total length for that domain, halved
""",
        solution="""
sent = gd.sql('''
    SELECT count(*) AS queries, sum(length(split_part(domain, '.', 1))) AS characters
    FROM dns
    WHERE srcaddr = ? AND domain LIKE '%.' || ?
''', [PRIVATE_IP, EXFIL_DOMAIN])
answer = int(sent.characters[0]) // 2
sent
""",
    ),
    Md(
        """
A few kilobytes: every secret the role could read fits many times over. DNS exfiltration is
slow, but it passes where other traffic is blocked, because every network lets its servers
resolve names.

## 7. The timeline

Put everything on one chart. Fill in your case notes, then run the cells below. The chart
marks the steps you have solved with large diamonds.
"""
    ),
    Code(
        """
# Your case notes: fill in what you found (as text), then run this cell and the next ones.
# (ENI and PRIVATE_IP, the instance's network interface and address, are set in section 2.)
INSTANCE_ID = None  # the attacked instance (section 1)
BRUTE_FORCERS = []  # the brute-forcing addresses (section 3)
ATTACKER_IP = None  # the address that got in (section 3)
C2_DOMAIN = None  # the beacon's domain (section 4)
EXFIL_DOMAIN = None  # the exfiltration domain (section 6)
""",
        only="participant",
    ),
    Code(
        """
# The case notes, from the reference queries above.
INSTANCE_ID, ENI, PRIVATE_IP, BRUTE_FORCERS, ATTACKER_IP, C2_DOMAIN, EXFIL_DOMAIN
""",
        only="solution",
    ),
    Code(
        """
api = gd.sql('''
    SELECT event_time AS time, 'CloudTrail' AS lane, event_name AS what,
           CASE WHEN event_name = 'AuthorizeSecurityGroupIngress' THEN 'exposure'
                ELSE 'credential-access' END AS step
    FROM cloudtrail
    WHERE (event_name = 'AuthorizeSecurityGroupIngress'
           AND request_parameters->>'$.ipPermissions.items[0].ipRanges.items[0].cidrIp' = '0.0.0.0/0'
           AND request_parameters->>'$.ipPermissions.items[0].fromPort' = '22')
       OR (arn LIKE '%/' || ? AND user_agent LIKE 'aws-cli%')
''', [INSTANCE_ID])
ssh = gd.sql('''
    SELECT time_bucket(INTERVAL 10 MINUTE, start_time) AS time, 'SSH to the instance' AS lane,
           CASE WHEN srcaddr = ? THEN 'the intruder' ELSE 'brute force' END AS what,
           CASE WHEN srcaddr = ? AND end_time - start_time >= INTERVAL 1 MINUTE
                THEN 'initial-access' ELSE 'brute-force' END AS step
    FROM vpc_flow
    WHERE interface_id = ? AND dstport = 22 AND srcaddr IN (SELECT unnest(?::VARCHAR[]))
    GROUP BY ALL
''', [ATTACKER_IP, ATTACKER_IP, ENI, BRUTE_FORCERS])
names = gd.sql('''
    SELECT time_bucket(INTERVAL 30 MINUTE, time) AS time, 'DNS from the instance' AS lane,
           CASE WHEN domain = ? THEN 'beacon' ELSE 'exfiltration' END AS what,
           CASE WHEN domain = ? THEN 'command-and-control' ELSE 'exfiltration' END AS step
    FROM dns
    WHERE srcaddr = ? AND (domain = ? OR domain LIKE '%.' || ?)
    GROUP BY ALL
''', [C2_DOMAIN, C2_DOMAIN, PRIVATE_IP, C2_DOMAIN, EXFIL_DOMAIN])
findings = gd.sql('''
    SELECT first_seen AS time, 'GuardDuty' AS lane, type AS what,
           CASE WHEN type LIKE 'Backdoor:%' THEN 'command-and-control'
                WHEN type LIKE 'Trojan:%' THEN 'exfiltration'
                ELSE 'brute-force' END AS step
    FROM guardduty_latest
    WHERE instance_id = ? AND type NOT LIKE 'Recon:%'
''', [INSTANCE_ID])
found = pd.concat([df for df in (api, ssh, names, findings) if not df.empty], ignore_index=True)
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
Read it from left to right: the door opened in the evening, the first brute-forcers within
the hour, the one that got in, the beacon that never stops, the secrets read, the data leaving
in a few minutes of DNS. How long was port 22 open before anyone could have noticed?

## 8. Debrief

For each step: which AWS service would have **prevented** it, which **detected** it, and which
helps to **investigate** it. Three questions first, then the whole picture.
"""
    ),
    Task(
        "ssh-c2.q12",
        """
### Prevent

The developer only needed a shell on the server. What gives one without any open port?
""",
        scaffold="",
        solution="""
# The instances already talk to Systems Manager (their role reads Parameter Store): the same
# agent gives Session Manager shells, authorised by IAM and logged, with no inbound port.
agent = gd.sql('''
    SELECT DISTINCT event_source FROM cloudtrail
    WHERE arn LIKE '%/' || ? AND event_source LIKE 'ssm.%'
''', [INSTANCE_ID])
assert len(agent) == 1
choices = gd.session().questions["ssh-c2.q12"].choices
answer = next(c for c in choices if "Systems Manager" in c)
agent
""",
        widget=True,
    ),
    Task(
        "ssh-c2.q13",
        """
### Detect, before the attack

GuardDuty saw the attack. Which service would have said *this server can be reached on port
22 from the internet* before anyone tried?
""",
        scaffold="",
        solution="""
# Inspector's network reachability findings: ports open to the internet, checked against
# security groups and routes (AWS Config's restricted-ssh rule would also flag the rule).
choices = gd.session().questions["ssh-c2.q13"].choices
answer = next(c for c in choices if "Inspector" in c)
""",
        widget=True,
    ),
    Task(
        "ssh-c2.q14",
        """
### Investigate

You joined four sources by hand. Which service does it for you?
""",
        scaffold="",
        solution="""
# Detective's behaviour graph is built from CloudTrail, VPC flow logs and GuardDuty findings.
choices = gd.session().questions["ssh-c2.q14"].choices
answer = next(c for c in choices if "Detective" in c)
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
| prevent | **Systems Manager Session Manager** | Shells without inbound ports or passwords: nothing to brute-force. |
| prevent | **AWS Config** | The `restricted-ssh` managed rule flags 0.0.0.0/0 on port 22 at once, and an automatic remediation can remove the rule. |
| prevent | **IAM** | Who may change security groups at all; and a role that reads only the secrets its application needs. |
| prevent | **Route 53 Resolver DNS Firewall** | Blocks lookups of known-bad domains, or allows only the domains the servers need: no beacon, no DNS exfiltration. |
| prevent | **WAF / Shield** | Protect web endpoints from bad requests and floods. Not this incident: SSH is not HTTP. |
| detect | **GuardDuty** | The brute force, the C2 domain, the DNS exfiltration: from flow logs and DNS, with no rule written by anyone. |
| detect | **Inspector** | Network reachability: port 22 open to the internet, before anyone found it. |
| detect | **Security Hub** | Gathers the findings, and its control EC2.13 checks for 0.0.0.0/0 to port 22. |
| investigate | **VPC Flow Logs** | Who connected, how often, how long, how many bytes: the brute force and the session. |
| investigate | **Route 53 Resolver query logs** | Every DNS question with its answer and its exact time: the beacon's rhythm and the exfiltrated data. |
| investigate | **CloudTrail** | The security group change and the role's calls. |
| investigate | **Detective** | The same pivots as a graph: instance, addresses, role, over time. |
"""
    ),
    Md(
        """
### Switch these on before the next incident

1. **Route 53 Resolver query logging** on every VPC: without it, section 4 would have a domain
   from GuardDuty and no rhythm, and section 6 nothing at all.
2. **VPC Flow Logs** on every VPC, kept long enough to look back a week.
3. **GuardDuty** in every region, with Runtime Monitoring on the instances (it would have seen
   the implant start).
4. **AWS Config** with `restricted-ssh`, and **Security Hub** to gather everything.
5. **Session Manager** instead of SSH keys and passwords, and a security group for SSH that
   nobody needs any more.

## 9. Your score, and the true timeline

When every question is solved, the kit unseals the incident's **true** timeline: every event
the intruder left, by step. Compare it with yours: what did you miss?
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
