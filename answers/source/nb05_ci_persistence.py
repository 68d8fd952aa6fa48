# ruff: noqa: E501  (Markdown tables and SQL are long lines)
"""05-ci-persistence: from one quiet GuardDuty alert to a compromised deploy pipeline.

The questions pivot one into the next: the alert's address and key, the GitHub
workflow that key was issued to, every session that workflow opened and every
call signed with their keys, what those calls left behind (a role trusting an
outside account, a replaced function), what they took (a shared snapshot, and
its copy), the outside account's return, the timeline and the debrief.
Scaffolding shrinks as the notebook goes. The reference solutions hold for any
seed: they go by the keys the outside workflow was issued, never by volume or
recency, so the decoys (the company's own deploys, Terraform's new role for the
security vendor, the nightly backup's shares and copies, the vendor's scanner
assuming its role) do not fool them.
"""

from make_notebooks import SOLUTION_SETUP, Code, Md, Task, debrief_table, parameters

from helpers.storylines.ci_persistence import STEPS

SETUP = """
import os

import pandas as pd

import helpers as gd
from helpers.paths import default_dataset_dir

# the data set named by $GAMEDAY_DATASET, else datasets/ci-persistence
gd.open_dataset(os.environ.get("GAMEDAY_DATASET") or default_dataset_dir("ci-persistence"))
"""


CELLS = [
    Md(
        """
# 05 · Compromised CI role: a guided investigation

**Time:** about 75 minutes (after `00-start-here`, which shows the tools).

The company deploys its Lambda functions from **GitHub Actions**. No key is stored in GitHub:
each workflow run asks GitHub for a short-lived **OIDC token** and trades it with AWS STS for a
one-hour session of the deploy role (`AssumeRoleWithWebIdentity`). The token says who is
asking in its *claims*: `aud` (the audience, `sts.amazonaws.com`) and `sub` (the subject:
`repo:<owner>/<repository>:ref:refs/heads/<branch>`). The role's **trust policy** decides which
tokens are good enough.

This week **GuardDuty** raised one alert, about a session of a role. That is all anyone
noticed. Your job: find out what happened, from the first call to the last, and say what
would have stopped it.

> alert → which session, from where → which workflow got it → how often, since when, doing what →
> what it left behind → what it took → did they come back → the timeline → the debrief

How this notebook helps you:

- Early questions give you a query with a blank `____` to fill in. Later ones give you less,
  and at the end only say what to find.
- Write down the values you find (an address, a repository, key ids, names): the next question
  needs them, and the timeline in section 7 is built from them.
- Hints cost points (`gd.hint("ci-persistence.q01")`); wrong answers do not.
- The deploy role is busy all week with the company's own work, and so is the rest of the
  account. The newest or the most frequent event is rarely the attacker's: ask *which session*
  made a call before you answer.
"""
    ),
    Code(parameters("ci-persistence"), only="solution", tags=("parameters",)),
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
The Low `Recon:EC2/PortProbeUnprotectedPort` findings are the Internet probing the public
servers, as in 00: real and routine. One finding is different: Medium, about an **access key**,
its type starting with `Persistence:`. GuardDuty learns what each identity usually does; this
one did something it never does, of the kind attackers do to keep a way in.
"""
    ),
    Task(
        "ci-persistence.q01",
        """
### Who, and from where?

A finding about an access key names the key (`access_key_id`), whose it is (`user_name`), the
API it saw called (`api`) and the **remote address** (`remote_ip`) with its owner
(`remote_org`). Replace `____` with the resource type of findings about keys.
""",
        scaffold="""
gd.sql('''
    SELECT type, user_name, access_key_id, api, remote_ip, remote_org, first_seen, created_at
    FROM guardduty_latest
    WHERE resource_type = '____'
''')
""",
        solution="""
alert = gd.sql('''
    SELECT type, user_name, access_key_id, api, remote_ip, remote_org, first_seen, created_at
    FROM guardduty_latest
    WHERE resource_type = 'AccessKey'
''')
assert len(alert) == 1
answer = str(alert.remote_ip[0])
RUNNER_IP = answer
FLAGGED_KEY = str(alert.access_key_id[0])
ALERT_CREATED = alert.created_at[0]
alert
""",
    ),
    Md(
        """
The key starts with `ASIA`: a **temporary** key, the kind a role's session gets. `user_name`
names the role: the deploy pipeline's. The address is a hosting provider's, not GitHub's
(GitHub-hosted runners change address with every run) and not the office's. Note the key id:
it is the thread to pull.
"""
    ),
    Task(
        "ci-persistence.q02",
        """
### Which workflow got those keys?

GuardDuty knows the session; CloudTrail knows how it began. Every session of the deploy role
starts with an `AssumeRoleWithWebIdentity` call, and CloudTrail logs it with:

- `user_name`: the token's subject, `repo:<owner>/<repository>:ref:...`;
- `source_ip`: where the workflow ran;
- `response_elements->'credentials'->>'accessKeyId'`: the temporary key it was handed.

Replace `____` with the key from the alert. Answer with `owner/repository`.
""",
        scaffold="""
gd.sql('''
    SELECT event_time, user_name AS subject, source_ip,
           request_parameters->>'roleSessionName' AS session_name,
           response_elements->'credentials'->>'accessKeyId' AS issued_key
    FROM cloudtrail
    WHERE event_name = 'AssumeRoleWithWebIdentity'
      AND response_elements->'credentials'->>'accessKeyId' = '____'
''')
""",
        solution="""
issued = gd.sql('''
    SELECT event_time, user_name AS subject, source_ip,
           request_parameters->>'roleSessionName' AS session_name,
           response_elements->'credentials'->>'accessKeyId' AS issued_key
    FROM cloudtrail
    WHERE event_name = 'AssumeRoleWithWebIdentity'
      AND response_elements->'credentials'->>'accessKeyId' = ?
''', [FLAGGED_KEY])
assert len(issued) == 1
SUBJECT = str(issued.subject[0])
answer = SUBJECT.split(":")[1]  # repo:<owner>/<repository>:ref:... -> owner/repository
REPO = answer
issued
""",
    ),
    Md(
        """
Now compare with every workflow that assumed the role this week. Read the owners letter by
letter: the company's GitHub organisation is not the only one here, though one of the others
tries hard to look like it.
"""
    ),
    Code(
        """
gd.sql('''
    SELECT user_name AS subject, count(*) AS runs, count(DISTINCT source_ip) AS addresses,
           min(event_time) AS first, max(event_time) AS last, any_value(user_agent) AS client
    FROM cloudtrail
    WHERE event_name = 'AssumeRoleWithWebIdentity'
    GROUP BY ALL ORDER BY runs DESC
''')
"""
    ),
    Md(
        """
The role's trust policy checked that the token came from GitHub and was meant for AWS, but not
*which repository* asked: any repository on GitHub, anyone's, could assume the company's deploy
role. That is the whole breach. No password was stolen, no key leaked.
"""
    ),
    Task(
        "ci-persistence.q03",
        """
### How often?

Each run of the outside workflow opened a session of its own. Count them: replace `____` with
the whole subject you found (it is a `user_name`).
""",
        scaffold="""
gd.sql('''
    SELECT count(*) AS runs
    FROM cloudtrail
    WHERE event_name = 'AssumeRoleWithWebIdentity' AND user_name = '____'
''')
""",
        solution="""
runs = gd.sql('''
    SELECT event_time, source_ip, response_elements->'credentials'->>'accessKeyId' AS issued_key
    FROM cloudtrail
    WHERE event_name = 'AssumeRoleWithWebIdentity' AND user_name = ?
    ORDER BY event_time
''', [SUBJECT])
answer = len(runs)
runs
""",
    ),
    Task(
        "ci-persistence.q04",
        """
### Since when?

The incident starts with the outside workflow's first run. Change the query above to give the
earliest `event_time`. A time straight from a query is a fine answer.
""",
        scaffold="""
# the earliest AssumeRoleWithWebIdentity of the outside subject
""",
        solution="""
first = gd.sql('''
    SELECT min(event_time) AS first_run
    FROM cloudtrail
    WHERE event_name = 'AssumeRoleWithWebIdentity' AND user_name = ?
''', [SUBJECT])
FIRST_RUN = first.first_run[0]
answer = FIRST_RUN.strftime("%Y-%m-%dT%H:%M:%SZ")
first
""",
    ),
    Md(
        """
## 2. What the sessions did

A role session is known by its temporary key: every call it makes carries that key in
`access_key_id`. The outside workflow's runs were handed several keys, one per run; together
they are the exact scope of what it did, however busy the role was with the company's own
deploys. Collect them, then ask CloudTrail for every call signed with one of them. (In Python,
a list of them goes into a query as a parameter: `gd.sql("... IN (SELECT unnest(?::VARCHAR[]))",
[keys])`.)
"""
    ),
    Task(
        "ci-persistence.q05",
        """
### How many calls?

The inner query (one blank) gives the keys the outside workflow was handed, one per run; the
outer one finds every call signed with one of them. How many calls in all? The sign-ins
themselves do not count: they were signed with GitHub's token, not with these keys.
""",
        scaffold="""
gd.sql('''
    SELECT event_source, event_name, count(*) AS calls, count(error_code) AS denied,
           min(event_time) AS first
    FROM cloudtrail
    WHERE access_key_id IN (
        SELECT response_elements->'credentials'->>'accessKeyId'
        FROM cloudtrail
        WHERE event_name = 'AssumeRoleWithWebIdentity' AND user_name = '____'
    )
    GROUP BY ALL ORDER BY first
''')
""",
        solution="""
SESSION_KEYS = runs.issued_key.tolist()
did = gd.sql('''
    SELECT event_source, event_name, count(*) AS calls, count(error_code) AS denied,
           min(event_time) AS first
    FROM cloudtrail
    WHERE access_key_id IN (SELECT unnest(?::VARCHAR[]))
    GROUP BY ALL ORDER BY first
''', [SESSION_KEYS])
answer = int(did.calls.sum())
did
""",
    ),
    Md(
        """
Read the list in time order. First a look around: who am I, which roles exist, what the deploy
role itself may do, which functions, instances, volumes and snapshots there are (and two calls
the role was not allowed). Then **writes**: IAM, Lambda, EC2. A deploy pipeline updates its
functions; it has no business creating roles or snapshots.

## 3. Persistence: a door that stays open

The attacker knows the trust policy can be fixed any minute. So they leave a way back that does
not depend on it: **a role of their own**, whose trust policy lets an account of theirs assume
it, with a policy that gives it rights. These are IAM write calls (`event_source =
'iam.amazonaws.com'` and `NOT read_only`). IAM is global: its calls are logged in US East
(N. Virginia), whatever region the company works in.
"""
    ),
    Task(
        "ci-persistence.q06",
        """
### The new role

List the week's `CreateRole` calls with who made them (`user_name`, `access_key_id`), from
where (`source_ip`) and the role's name (`request_parameters->>'roleName'`). More than one role
was created this week: which one is the attacker's?
""",
        scaffold="""
# your query: CreateRole calls, by whom, with which key, from where, which role
""",
        solution="""
roles = gd.sql('''
    SELECT event_time, user_name, access_key_id, source_ip,
           request_parameters->>'roleName' AS role_name
    FROM cloudtrail
    WHERE event_name = 'CreateRole'
    ORDER BY event_time
''')
theirs = roles[roles.access_key_id.isin(SESSION_KEYS)]
assert len(theirs) == 1
answer = str(theirs.role_name.iloc[0])
BACKDOOR_ROLE = answer
roles
""",
    ),
    Task(
        "ci-persistence.q07",
        """
### Trusted by whom?

A role's trust policy is sent as a JSON document *inside* the request, as a string:
`request_parameters->>'assumeRolePolicyDocument'`. DuckDB reads JSON out of a string too:
`json_extract_string(<that text>, '$.Statement[0].Principal.AWS')` gives the principal, an ARN
like `arn:aws:iam::<account>:root`. Which account may assume the attacker's role? Compare with
the other role created this week.
""",
        scaffold="""
# your query: each new role's name and the principal its trust policy names
""",
        solution="""
trusts = gd.sql('''
    SELECT event_time, user_name, request_parameters->>'roleName' AS role_name,
           json_extract_string(request_parameters->>'assumeRolePolicyDocument',
                               '$.Statement[0].Principal.AWS') AS principal
    FROM cloudtrail
    WHERE event_name = 'CreateRole'
    ORDER BY event_time
''')
principal = trusts[trusts.role_name == BACKDOOR_ROLE].principal.iloc[0]
answer = principal.split(":")[4]  # arn:aws:iam::<account>:root
ATTACKER_ACCOUNT = answer
trusts
""",
    ),
    Task(
        "ci-persistence.q08",
        """
### With which rights?

`AttachRolePolicy` gives a role a managed policy. Which one did the attacker's role get? Give
the policy's name, the last part of its ARN.
""",
        scaffold="""
# your query: AttachRolePolicy calls, which role, which policy, by whom
""",
        solution="""
attached = gd.sql('''
    SELECT event_time, user_name, access_key_id, request_parameters->>'roleName' AS role_name,
           request_parameters->>'policyArn' AS policy_arn
    FROM cloudtrail
    WHERE event_name = 'AttachRolePolicy'
    ORDER BY event_time
''')
mine = attached[(attached.role_name == BACKDOOR_ROLE) & attached.access_key_id.isin(SESSION_KEYS)]
assert len(mine) == 1
answer = mine.policy_arn.iloc[0].rsplit("/", 1)[-1]
attached
""",
    ),
    Md(
        """
Right after, the same session changed something the company runs every day.

## 4. The implant

`UpdateFunctionCode20150331v2` (CloudTrail names Lambda calls with their API version) replaces a
function's code with a new package. The pipeline does exactly that every working day, with the
very same role. Only the session tells a deploy from an implant.
"""
    ),
    Task(
        "ci-persistence.q09",
        """
### Which function?

Find the attacker's code update. The function's bare name is in
`response_elements->>'functionName'` (the request holds its whole ARN).
""",
        scaffold="""
# your query: the code updates signed with the outside keys
""",
        solution="""
updates = gd.sql('''
    SELECT event_time, access_key_id, source_ip,
           response_elements->>'functionName' AS function,
           response_elements->>'codeSha256' AS code_sha256,
           (response_elements->>'codeSize')::BIGINT AS code_size
    FROM cloudtrail
    WHERE event_name = 'UpdateFunctionCode20150331v2'
      AND access_key_id IN (SELECT unnest(?::VARCHAR[]))
''', [SESSION_KEYS])
assert len(updates) == 1
answer = str(updates.function[0])
updates
""",
    ),
    Task(
        "ci-persistence.q10",
        """
### Which package?

Lambda answers a code update with the new package's SHA-256 digest, `codeSha256`. It is what
you compare with the pipeline's builds, and what you search for in other accounts. What is the
digest of the attacker's package?
""",
        scaffold="""
# your query: the digest of that update's package
""",
        solution="""
answer = str(updates.code_sha256[0])
gd.sql('''
    SELECT response_elements->>'functionName' AS function, response_elements->>'codeSha256' AS code_sha256,
           count(*) AS deploys, min(event_time) AS first, max(event_time) AS last
    FROM cloudtrail
    WHERE event_name = 'UpdateFunctionCode20150331v2'
    GROUP BY ALL ORDER BY first
''')
""",
    ),
    Md(
        """
## 5. Exfiltration: a snapshot shared

An **EBS snapshot** is a copy of a disk. Whoever may create a volume from it may read the whole
disk: `ModifySnapshotAttribute` with `createVolumePermission` → `add` → a `userId` (an account)
shares it with another account, which can then copy it into its own, out of your sight. The
company's nightly backup does that too, for good reasons, with a snapshot of the same database
volume.
"""
    ),
    Task(
        "ci-persistence.q11",
        """
### Which snapshot?

Find the snapshot the attacker shared (and, while you are there, the `CreateSnapshot` that made
it: which volume did it copy?).
""",
        scaffold="""
# your query: snapshots created and shared this week, by whom
""",
        solution="""
snapshots = gd.sql('''
    SELECT event_time, event_name, user_name, access_key_id,
           request_parameters->>'volumeId' AS volume,
           coalesce(request_parameters->>'snapshotId', response_elements->>'snapshotId') AS snapshot,
           request_parameters->>'$.createVolumePermission.add.items[0].userId' AS shared_with
    FROM cloudtrail
    WHERE event_name IN ('CreateSnapshot', 'ModifySnapshotAttribute')
    ORDER BY event_time
''')
shares = snapshots[(snapshots.event_name == "ModifySnapshotAttribute") & snapshots.access_key_id.isin(SESSION_KEYS)]
assert len(shares) == 1
answer = str(shares.snapshot.iloc[0])
SNAPSHOT_ID = answer
snapshots
""",
    ),
    Task(
        "ci-persistence.q12",
        """
### Shared with whom?

Which account did the attacker give the snapshot to? Is it the account the new role trusts?
""",
        scaffold="""
# your query: the account in the attacker's createVolumePermission
""",
        solution="""
answer = str(shares.shared_with.iloc[0])
shares
""",
    ),
    Task(
        "ci-persistence.q13",
        """
### Did the data leave?

A share alone moves nothing. But when another account copies a snapshot you shared, AWS logs a
**service event** in *your* account: `SharedSnapshotCopyInitiated`, with the copying account as
`account_id`. Its details are not in any column of their own: they are in the whole record,
`record->'serviceEventDetails'`. When did the copy of the attacker's snapshot begin?
""",
        scaffold="""
# your query: the copies of shared snapshots, which snapshot, by which account
""",
        solution="""
copies = gd.sql('''
    SELECT event_time, account_id, record->'serviceEventDetails'->>'snapshotId' AS snapshot
    FROM cloudtrail
    WHERE event_name = 'SharedSnapshotCopyInitiated'
    ORDER BY event_time
''')
copied = copies[copies.snapshot == SNAPSHOT_ID]
assert len(copied) == 1
answer = copied.event_time.iloc[0].strftime("%Y-%m-%dT%H:%M:%SZ")
copies
""",
    ),
    Md(
        """
The database's disk now lives in an account you cannot see into. Everything on it (tables,
files, and any secret stored on the instance) must be treated as stolen.

## 6. The door in use

A role that trusts an outside account is used with `AssumeRole` *from* that account. CloudTrail
logs it in your account: `identity_type = 'AWSAccount'`, the caller's `account_id`, its
`source_ip`, and the role asked for in `request_parameters->>'roleArn'`. Outside accounts
assume roles here for good reasons too.
"""
    ),
    Task(
        "ci-persistence.q14",
        """
### From where?

Did the outside account come back through the attacker's role? From which address?
""",
        scaffold="""
# your query: AssumeRole calls by other accounts, which role, from where
""",
        solution="""
outside = gd.sql('''
    SELECT event_time, account_id, source_ip, request_parameters->>'roleArn' AS role_arn,
           response_elements->'credentials'->>'accessKeyId' AS issued_key
    FROM cloudtrail
    WHERE event_name = 'AssumeRole' AND identity_type = 'AWSAccount'
    ORDER BY event_time
''')
back = outside[outside.role_arn.str.endswith("/" + BACKDOOR_ROLE)]
assert len(back) == 1
answer = str(back.source_ip.iloc[0])
BACKDOOR_IP = answer
outside.groupby(["account_id", "source_ip", "role_arn"]).size()
""",
    ),
    Md(
        """
## 7. The timeline

Put it all on one chart: the outside workflow's runs and calls, the copy, the return, and
GuardDuty's alert. Fill in your case notes, then run the cells below. The chart marks the steps
you have solved with large diamonds.
"""
    ),
    Code(
        """
# Your case notes: fill in what you found (as text), then run this cell and the next ones.
REPO = None  # the outside workflow's owner/repository (section 1)
SNAPSHOT_ID = None  # the snapshot it shared (section 5)
BACKDOOR_IP = None  # where the outside account came back from (section 6)
""",
        only="participant",
    ),
    Code(
        """
# The case notes, from the reference queries above.
REPO, SNAPSHOT_ID, BACKDOOR_IP
""",
        only="solution",
    ),
    Code(
        """
keys = gd.sql('''
    SELECT response_elements->'credentials'->>'accessKeyId' AS issued_key
    FROM cloudtrail
    WHERE event_name = 'AssumeRoleWithWebIdentity' AND user_name LIKE 'repo:' || ? || ':%'
''', [REPO])
calls = gd.sql('''
    SELECT event_time AS time, 'outside workflow' AS lane, event_name AS what,
           CASE WHEN event_name = 'AssumeRoleWithWebIdentity' THEN 'initial-access'
                WHEN event_source = 'iam.amazonaws.com' AND NOT read_only THEN 'persistence'
                WHEN event_source = 'lambda.amazonaws.com' AND NOT read_only THEN 'implant'
                WHEN event_time > (SELECT min(event_time) FROM cloudtrail
                                   WHERE event_name = 'CreateSnapshot'
                                     AND access_key_id IN (SELECT unnest(?::VARCHAR[])))
                     THEN 'exfiltration'
                ELSE 'discovery' END AS step
    FROM cloudtrail
    WHERE access_key_id IN (SELECT unnest(?::VARCHAR[]))
       OR (event_name = 'AssumeRoleWithWebIdentity' AND user_name LIKE 'repo:' || ? || ':%')
''', [keys.issued_key.tolist(), keys.issued_key.tolist(), REPO])
copy = gd.sql('''
    SELECT event_time AS time, 'outside account' AS lane, event_name AS what, 'exfiltration' AS step
    FROM cloudtrail
    WHERE event_name = 'SharedSnapshotCopyInitiated'
      AND record->'serviceEventDetails'->>'snapshotId' = ?
''', [SNAPSHOT_ID])
back = gd.sql('''
    SELECT event_time AS time, 'outside account' AS lane, event_name AS what, 'backdoor-use' AS step
    FROM cloudtrail
    WHERE source_ip = ?
''', [BACKDOOR_IP])
alert = gd.sql('''
    SELECT created_at AS time, 'GuardDuty' AS lane, type AS what, 'persistence' AS step
    FROM guardduty_latest
    WHERE resource_type = 'AccessKey'
''')
found = pd.concat([df for df in (calls, copy, back, alert) if not df.empty], ignore_index=True)
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
Read it from left to right: the first run looking around, the second leaving a role and a new
function behind, the third snapshotting the database and sharing it, the copy a little later,
any later runs checking on it, and the next day the outside account walking in through its own door.
GuardDuty's alert sits among them. How much had already happened when it fired?
"""
    ),
    Task(
        "ci-persistence.q15",
        """
### How long until anyone could notice?

Count the whole minutes between the outside workflow's **first** run (question 4) and the
moment GuardDuty **created** its alert (`created_at`). This needs both sources.
""",
        scaffold="""
# your query or Python: created_at of the alert minus the first run, in whole minutes
""",
        solution="""
gap = ALERT_CREATED - FIRST_RUN
answer = int(gap.total_seconds() // 60)
gap
""",
    ),
    Md(
        """
## 8. Debrief

A GameDay ends with a debrief: for each step, which AWS service would have **prevented** it,
which **detected** it, and which helped (or would have helped) to **investigate** it. Two
questions first, then the whole picture.
"""
    ),
    Task(
        "ci-persistence.q16",
        """
### Prevent

Look again at what CloudTrail logged for every workflow's sign-in: the audience
(`response_elements->>'audience'`) and the subject (`response_elements->>'subjectFromWebIdentityToken'`).
Which of them tells the company's workflows from the outside one?
""",
        scaffold="",
        solution="""
claims = gd.sql('''
    SELECT count(DISTINCT response_elements->>'audience') AS audiences,
           count(DISTINCT response_elements->>'subjectFromWebIdentityToken') AS subjects
    FROM cloudtrail
    WHERE event_name = 'AssumeRoleWithWebIdentity'
''')
assert claims.audiences[0] == 1 < claims.subjects[0]  # every token has the same audience
choices = gd.session().questions["ci-persistence.q16"].choices
answer = next(c for c in choices if c.endswith(":sub"))  # the claim that differs
claims
""",
        widget=True,
    ),
    Task(
        "ci-persistence.q17",
        """
### Detect

The new role's trust and the shared snapshot both open the account to someone outside it.
Which service watches for exactly that?
""",
        scaffold="",
        solution="""
# No log of this week names it: IAM Access Analyzer was not switched on. Its external-access
# analyzer reviews resource policies (role trust policies, EBS snapshots, S3 buckets, KMS keys...)
# and reports every grant to a principal outside the account or organisation.
answer = "IAM Access Analyzer"
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
| prevent | **IAM** | A trust policy whose conditions pin `token.actions.githubusercontent.com:sub` to the company's repositories and branches (`StringEquals`, or `StringLike` on its own organisation, never `repo:*`); a deploy role allowed to update its functions and nothing else; a permissions boundary; an organisation policy (SCP) that denies creating roles, and sharing snapshots, outside the platform team's path. |
| prevent | **WAF** | Filters HTTP requests to web applications. Not this incident: no website was touched. |
| prevent | **Shield** | Protects against denial-of-service floods. Not this incident. |
| detect | **GuardDuty** | Noticed the deploy role creating a role, the one thing deploys never do, but only after the first sign-in and discovery. |
| detect | **IAM Access Analyzer** | Would have reported the role trusted by an outside account and the snapshot shared with another one, the moment they existed. |
| detect | **Security Hub** | Gathers GuardDuty's and Access Analyzer's findings, and its checks flag functions without code signing. |
| investigate | **CloudTrail** | Every call, and the one field that told the workflows apart: the token's subject. |
| investigate | **Detective** | Draws the role's sessions, their addresses and their calls as a graph: sections 1 and 2 in a few clicks. |
"""
    ),
    Md(
        """
### After the incident

1. Fix the deploy role's trust policy (a condition on `sub`), then look for every other role
   that trusts `token.actions.githubusercontent.com`: the same mistake is often made twice.
2. Delete the attacker's role; redeploy the function from a known build and compare its
   `codeSha256`; revoke the deploy role's sessions issued before the fix.
3. Treat the database as stolen: rotate every credential it held, and tell the people whose data
   it was.
4. Switch on **IAM Access Analyzer** for external access in every region, **Lambda code
   signing**, and a CloudTrail alert on `AssumeRoleWithWebIdentity` with an unknown subject.

## 9. Your score, and the true timeline

When every question is solved, the kit unseals the incident's **true** timeline: every event the
attacker left, by step. Compare it with yours: what did you miss?
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
