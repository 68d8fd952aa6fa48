# ruff: noqa: E501  (Markdown tables and SQL are long lines)
"""03-console-ransomware: from two GuardDuty alerts, through a hole in CloudTrail, to the debrief.

The questions pivot one into the next: the alerts' user and bucket, the call that
silenced the trail and its address, the sign-in before it, the password spray that
found the password, the console session and the key it made, then the silence
itself and what the bucket's own access logs saw through it. Scaffolding shrinks
as the notebook goes. The reference solutions hold for any seed: they go by the
user, the addresses and the gap, never by volume, so the decoys (a colleague
mistyping a new password, the user's everyday key, the audit role's denials, the
nightly backup's copies) do not fool them.
"""

from make_notebooks import SOLUTION_SETUP, Code, Md, Task, debrief_table, parameters

from helpers.storylines.console_ransomware import STEPS

SETUP = """
import os

import pandas as pd

import helpers as gd
from helpers.paths import default_dataset_dir

# the data set named by $GAMEDAY_DATASET, else datasets/console-ransomware
gd.open_dataset(os.environ.get("GAMEDAY_DATASET") or default_dataset_dir("console-ransomware"))
"""


CELLS = [
    Md(
        """
# 03 · Console ransomware: a guided investigation

**Time:** about 75 minutes (after `00-start-here`, which shows the tools).

It is the morning after. Overnight, **GuardDuty** raised two alerts about this account, and
the team that owns one of the company's buckets says it is empty but for encrypted files and
a note asking for money. Your job: find out how the attacker got in, what they did, what the
logs can and cannot tell you, and what would have stopped it.

This investigation has a twist: at some point **CloudTrail stops recording**. You will work
up to that moment with CloudTrail, then through it with the one log the attacker did not
think of.

> alerts → the call that silenced the trail → the sign-in before it → the password spray →
> what the console session did → the silence → the bucket's own logs → the timeline →
> the debrief

How this notebook helps you:

- Early questions give you a query with a blank `____` to fill in. Later ones give you less,
  and at the end only say what to find: by then you know the tables.
- Write down what you find (a user, addresses, a bucket): the next question needs it, and the
  timeline in section 6 is built from your notes.
- Hints cost points (`gd.hint("console-ransomware.q01")`); wrong answers do not.
- The week also holds ordinary work that looks suspicious at first sight. When a number
  seems too big, ask *who* made those calls, and *from where*, before you answer.
"""
    ),
    Code(parameters("console-ransomware"), only="solution", tags=("parameters",)),
    Code(SETUP, only="participant"),
    Code(
        SOLUTION_SETUP
        + "FAILED_SIGN_IN = \"event_name = 'ConsoleLogin' AND response_elements->>'ConsoleLogin' = 'Failure'\""
        + "\n",
        only="solution",
    ),
    Md(
        """
## 1. The alerts

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
servers, as in 00: real, routine, not this story. Two findings are different:

- a **High** one about a **bucket** (`resource_type = 'S3Bucket'`): objects deleted in a way
  GuardDuty has never seen in this account;
- a **Low** one whose type starts with `Stealth:`: the account's CloudTrail trail was turned
  off. Low, because GuardDuty cannot tell an administrator's maintenance from an attacker
  covering their tracks. Here it is the most important finding of the week.

GuardDuty saw both although the trail was off: it reads AWS's own stream of events, not the
trail's files. Start with the trail.
"""
    ),
    Task(
        "console-ransomware.q01",
        """
### Who turned the trail off?

A finding about an IAM principal names it (`user_name`), its access key (`access_key_id`),
the API it saw (`api`) and the caller's address (`remote_ip`). Replace `____` with the start
of the finding's type and run the query.
""",
        scaffold="""
gd.sql('''
    SELECT type, user_name, access_key_id, api, remote_ip, remote_org, first_seen
    FROM guardduty_latest
    WHERE type LIKE '____%'
''')
""",
        solution="""
stealth = gd.sql('''
    SELECT type, user_name, access_key_id, api, remote_ip, remote_org, first_seen
    FROM guardduty_latest
    WHERE type LIKE 'Stealth:%'
''')
assert len(stealth) == 1
answer = str(stealth.user_name[0])
VICTIM = answer
stealth
""",
    ),
    Task(
        "console-ransomware.q02",
        """
### Which bucket?

Now the High finding. S3 findings carry the bucket's details inside the finding's JSON:
`finding->'resource'->'s3BucketDetails'` is a list, and `->0` takes its first element. The
finding also names the access key that signed the deletions, and their address: keep both in
mind. Fill in the resource type.
""",
        scaffold="""
gd.sql('''
    SELECT type, finding->'resource'->'s3BucketDetails'->0->>'name' AS bucket,
           user_name, access_key_id, api, remote_ip, first_seen, last_seen
    FROM guardduty_latest
    WHERE resource_type = '____'
''')
""",
        solution="""
impact = gd.sql('''
    SELECT type, finding->'resource'->'s3BucketDetails'->0->>'name' AS bucket,
           user_name, access_key_id, api, remote_ip, first_seen, last_seen
    FROM guardduty_latest
    WHERE resource_type = 'S3Bucket'
''')
assert len(impact) == 1 and impact.user_name[0] == VICTIM
answer = str(impact.bucket[0])
BUCKET = answer
impact
""",
    ),
    Md(
        """
## 2. Up to the silence: CloudTrail

The same user in both alerts, but a different access key, and a different address. Turning a
trail off is an API call like any other, and CloudTrail records it: it is the last thing the
trail writes before it goes quiet. CloudTrail's own calls have `event_source =
'cloudtrail.amazonaws.com'`; `NOT read_only` keeps the ones that change something.
"""
    ),
    Task(
        "console-ransomware.q03",
        """
### When?

Fill in the user from question 1. Not every call here worked (`error_code`): the one that
stopped the trail did. A time straight from a query is a fine answer:
`answer = calls.event_time[0]`, for example.
""",
        scaffold="""
calls = gd.sql('''
    SELECT event_time, event_name, error_code, user_name, source_ip, user_agent,
           request_parameters->>'name' AS trail
    FROM cloudtrail
    WHERE event_source = 'cloudtrail.amazonaws.com' AND NOT read_only
      AND user_name = '____'
    ORDER BY event_time
''')
calls
""",
        solution="""
trail_changes = gd.sql('''
    SELECT event_time, event_name, error_code, user_name, source_ip, user_agent,
           request_parameters->>'name' AS trail
    FROM cloudtrail
    WHERE event_source = 'cloudtrail.amazonaws.com' AND NOT read_only
    ORDER BY event_time
''')
worked = trail_changes[(trail_changes.user_name == VICTIM) & trail_changes.error_code.isna()]
assert len(worked) == 1
stop = worked.iloc[0]
STOP_TIME = stop.event_time
answer = STOP_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
trail_changes
""",
    ),
    Task(
        "console-ransomware.q04",
        """
### From where?

The same record says where the call came from. Its user agent, `AWS Internal`, means the
**AWS Management Console** made the call on someone's behalf: a person signed in with a
password and clicked, no script and no key. Note the address: it is the attacker's console
address for the rest of the investigation.
""",
        scaffold="",
        solution="""
answer = str(stop.source_ip)
CONSOLE_IP = answer
stop.to_frame().T
""",
    ),
    Task(
        "console-ransomware.q05",
        """
### The sign-in

Somebody signed in to the console as this user. A sign-in is a `ConsoleLogin` record: its
result is in `response_elements`, and `additional_event_data->>'MFAUsed'` says whether a
second factor was used. When did the attacker sign in?
""",
        scaffold="""
gd.sql('''
    SELECT event_time, source_ip, user_agent,
           response_elements->>'ConsoleLogin' AS result,
           additional_event_data->>'MFAUsed' AS mfa_used
    FROM cloudtrail
    WHERE event_name = 'ConsoleLogin' AND user_name = '____'
    ORDER BY event_time
''')
""",
        solution="""
sign_ins = gd.sql('''
    SELECT event_time, source_ip, user_agent,
           response_elements->>'ConsoleLogin' AS result,
           additional_event_data->>'MFAUsed' AS mfa_used
    FROM cloudtrail
    WHERE event_name = 'ConsoleLogin' AND user_name = ?
    ORDER BY event_time
''', [VICTIM])
entered = sign_ins[(sign_ins.result == "Success") & (sign_ins.source_ip == CONSOLE_IP)
                   & (sign_ins.event_time <= STOP_TIME)].iloc[-1]
assert entered.mfa_used == "No"
answer = entered.event_time.strftime("%Y-%m-%dT%H:%M:%SZ")
sign_ins
""",
    ),
    Md(
        """
A password, no second factor, and a failed attempt for the same user a while before the one
that worked. Did the attacker know the password, or guess it? Look at every failed sign-in
of the week, hour by hour:
"""
    ),
    Code(
        """
gd.sql('''
    SELECT date_trunc('hour', event_time) AS hour, count(*) AS failures,
           count(DISTINCT user_name) AS users, count(DISTINCT source_ip) AS addresses
    FROM cloudtrail
    WHERE event_name = 'ConsoleLogin' AND response_elements->>'ConsoleLogin' = 'Failure'
    GROUP BY ALL ORDER BY hour
''')
"""
    ),
    Md(
        """
Dozens of failures for many different users from a few addresses, in one evening: a
**password spray**. Rather than many passwords against one user (which locks the account), a
spray tries one common password against many users, pauses, and tries the next one. It only
needs one user with a weak password and no MFA.

But not every failure that evening was the spray. People mistype passwords too.
"""
    ),
    Task(
        "console-ransomware.q06",
        """
### How many addresses?

Group the failures by address. For each one: how many failures, for how many *different*
users, and when. Which addresses are the spray's? Fill in the result of a failed sign-in.
""",
        scaffold="""
gd.sql('''
    SELECT source_ip, count(*) AS failures, count(DISTINCT user_name) AS users,
           min(event_time) AS first, max(event_time) AS last, any_value(user_agent) AS agent
    FROM cloudtrail
    WHERE event_name = 'ConsoleLogin' AND response_elements->>'ConsoleLogin' = '____'
    GROUP BY ALL ORDER BY first
''')
""",
        solution="""
failures = gd.sql(f'''
    SELECT source_ip, count(*) AS failures, count(DISTINCT user_name) AS users,
           min(event_time) AS first, max(event_time) AS last, any_value(user_agent) AS agent
    FROM cloudtrail
    WHERE {FAILED_SIGN_IN}
    GROUP BY ALL ORDER BY first
''')
SPRAY_IPS = sorted(failures[failures.users >= 2].source_ip)  # a spray fails for many users
assert CONSOLE_IP in SPRAY_IPS
answer = len(SPRAY_IPS)
failures
""",
    ),
    Task(
        "console-ransomware.q07",
        """
### How many users?

Now the names the spray tried: every `user_name` of the sign-in attempts from the spray's
addresses. Look at the names before you count them: are they all the company's users?
""",
        scaffold="""
# your query: the user names of the sign-in attempts from the spray's addresses
""",
        solution="""
names = gd.sql('''
    SELECT user_name, count(*) AS attempts, count(DISTINCT source_ip) AS addresses
    FROM cloudtrail
    WHERE event_name = 'ConsoleLogin' AND source_ip IN (SELECT unnest(?::VARCHAR[]))
    GROUP BY ALL ORDER BY attempts DESC
''', [SPRAY_IPS])
real = names[names.user_name != "HIDDEN_DUE_TO_SECURITY_REASONS"]  # names the account lacks
answer = len(real)
names
""",
    ),
    Md(
        """
User names are not secrets: a spray list is built from staff names found online, plus
guesses. A name the account does not have is logged under a placeholder, so that a typo of a
password in the user-name box never lands in a log.

## 3. The console session

Once in, the attacker looked around. Everything the console does is an API call made for the
signed-in user, from their address, so CloudTrail has the whole session.
"""
    ),
    Task(
        "console-ransomware.q08",
        """
### What was denied?

List the session's calls in order: from the console address, what (`event_name`), and whether
it was denied (`error_code`). How many were denied? Denials happen all week long in this
account; count only the attacker's.
""",
        scaffold="""
gd.sql('''
    SELECT event_time, event_name, event_source, error_code, user_agent
    FROM cloudtrail
    WHERE source_ip = '____' AND event_name <> 'ConsoleLogin'
    ORDER BY event_time
''')
""",
        solution="""
session = gd.sql('''
    SELECT event_time, event_name, event_source, error_code, user_agent
    FROM cloudtrail
    WHERE source_ip = ? AND event_name <> 'ConsoleLogin'
    ORDER BY event_time
''', [CONSOLE_IP])
answer = int(session.error_code.notna().sum())
session
""",
    ),
    Md(
        """
Users, roles, secrets, bucket policies, GuardDuty, deleting the trail: denied whenever tried,
this is a developer's account. The buckets, their versioning and the trail's status: allowed.
Two of the allowed calls matter most. One made a **long-term access key** for the user: a way
back in that needs neither the password nor the console. The other stopped the trail.
"""
    ),
    Task(
        "console-ransomware.q09",
        """
### The key for later

Which access key did the console session create? `CreateAccessKey` returns the new key in
`response_elements`. The user has a key of their own too: which one is new? Compare it with the
key GuardDuty's High finding named (question 2).
""",
        scaffold="""
# your query: CreateAccessKey calls, by whom, from where, and the key each one made
""",
        solution="""
created = gd.sql('''
    SELECT event_time, user_name, source_ip,
           response_elements->'accessKey'->>'accessKeyId' AS new_key
    FROM cloudtrail
    WHERE event_name = 'CreateAccessKey'
    ORDER BY event_time
''')
mine = created[created.source_ip == CONSOLE_IP]
assert len(mine) == 1
answer = str(mine.new_key.iloc[0])
assert answer == impact.access_key_id[0]  # the key that signed the deletions
created
""",
    ),
    Md(
        """
## 4. The silence

A few minutes later the trail stopped. Look at CloudTrail's own rhythm: the longest pauses
between two consecutive records of the week.
"""
    ),
    Task(
        "console-ransomware.q10",
        """
### When did CloudTrail speak again?

A busy account leaves a record every few seconds, day and night: instance roles, Lambda
functions, AWS services. One pause stands out. The first record after it is the call that
restarted the trail (look it up: who made it, from where?).
""",
        scaffold="""
gd.sql('''
    SELECT event_time AS silent_from, next_time AS silent_until, next_time - event_time AS silence
    FROM (SELECT event_time, lead(event_time) OVER (ORDER BY event_time) AS next_time
          FROM cloudtrail)
    ORDER BY silence DESC
    LIMIT 3
''')
""",
        solution="""
pauses = gd.sql('''
    SELECT event_time AS silent_from, next_time AS silent_until, next_time - event_time AS silence
    FROM (SELECT event_time, lead(event_time) OVER (ORDER BY event_time) AS next_time
          FROM cloudtrail)
    ORDER BY silence DESC
    LIMIT 3
''')
assert pauses.silent_from[0] == STOP_TIME  # the silence starts with the stop
RESUME_TIME = pauses.silent_until[0]
restart = trail_changes[trail_changes.event_time == RESUME_TIME]
assert len(restart) == 1 and restart.user_name.iloc[0] != VICTIM
answer = RESUME_TIME.strftime("%Y-%m-%dT%H:%M:%SZ")
pauses
""",
    ),
    Md(
        """
An administrator, woken by GuardDuty's High alert, restarted the trail and deactivated the new
key. Their own sign-in is not in CloudTrail either: it happened during the silence.

Between those two moments CloudTrail has **nothing**: not the attacker, not the company's
applications, not AWS's own services. Whatever happened to the bucket happened in there. So
where do you look?

## 5. Through the silence: the bucket's own logs

**S3 server access logs** are a setting of each bucket, written by S3 itself to a logs
bucket. They have nothing to do with CloudTrail, so stopping a trail does not stop them. The
attacker did not think of them. They are in the table `s3_access`: one row per request, with
the `bucket`, the `requester` (the ARN of whoever signed it), the `remote_ip`, the
`operation` (`REST.GET.OBJECT`, `REST.PUT.OBJECT`, ...), the object `key`, and the
`http_status` S3 answered.

Which operations does the week hold, in which buckets?
"""
    ),
    Code(
        """
gd.sql('''
    SELECT bucket, operation, count(*) AS records, count(DISTINCT remote_ip) AS addresses,
           count(DISTINCT requester) AS requesters
    FROM s3_access
    GROUP BY ALL ORDER BY records DESC
''')
"""
    ),
    Task(
        "console-ransomware.q11",
        """
### From where, this time?

The requests that emptied the bucket were signed as the user: their `requester` is the user's
ARN (`arn:aws:iam::<account>:user/<name>`). From which address did they come? From here on,
the questions only say what to find.
""",
        scaffold="""
# your query: the bucket's requests signed by the user, by address, first and last
""",
        solution="""
theirs = gd.sql('''
    SELECT remote_ip, any_value(user_agent) AS agent, count(*) AS records,
           min(time) AS first, max(time) AS last
    FROM s3_access
    WHERE bucket = ? AND requester LIKE ('%:user/' || ?)
      AND time BETWEEN ? AND ?
    GROUP BY ALL ORDER BY records DESC
''', [BUCKET, VICTIM, STOP_TIME, RESUME_TIME])
assert len(theirs) == 1
answer = str(theirs.remote_ip[0])
RANSOM_IP = answer
theirs
""",
    ),
    Md(
        """
Not the console address: the script ran somewhere else, with the key the console session made.
S3 access logs name who signed a request and from where, but not the key; GuardDuty's finding
and the `CreateAccessKey` record tell you which key that was.

Now what did the script do? Look at its requests operation by operation, with their status.
"""
    ),
    Task(
        "console-ransomware.q12",
        """
### Encrypted

Copying an object onto a new key, encrypted with a key only the attacker holds, makes the copy
useless to its owner. How many objects did the attacker manage to encrypt? A copy leaves more
than one line, and not every copy worked.
""",
        scaffold="""
# your query: the script's requests to the bucket, by operation and http_status
""",
        solution="""
script = gd.sql('''
    SELECT operation, http_status, error_code, count(*) AS records,
           min(time) AS first, max(time) AS last
    FROM s3_access
    WHERE bucket = ? AND remote_ip = ?
    GROUP BY ALL ORDER BY first
''', [BUCKET, RANSOM_IP])
copies = script[(script.operation == "REST.COPY.OBJECT") & (script.http_status == 200)]
answer = int(copies.records.sum())
script
""",
    ),
    Task(
        "console-ransomware.q13",
        """
### Deleted

Then the originals went. How many objects did the attacker delete? A `DeleteObjects` request
deletes many objects at once; the log has a line for the request and a line for each object.
""",
        scaffold="""
# your query: the script's deletions
""",
        solution="""
deleted = gd.sql('''
    SELECT count(*) AS objects, count(DISTINCT request_id) AS requests,
           min(time) AS first, max(time) AS last
    FROM s3_access
    WHERE bucket = ? AND remote_ip = ? AND operation = 'BATCH.DELETE.OBJECT'
''', [BUCKET, RANSOM_IP])
answer = int(deleted.objects[0])
deleted
""",
    ),
    Task(
        "console-ransomware.q14",
        """
### The note

One more object was written at the end. What is its key?
""",
        scaffold="""
# your query: the objects the script wrote
""",
        solution="""
written = gd.sql('''
    SELECT time, key, object_size FROM s3_access
    WHERE bucket = ? AND remote_ip = ? AND operation = 'REST.PUT.OBJECT'
''', [BUCKET, RANSOM_IP])
assert len(written) == 1
answer = str(written.key[0])
written
""",
    ),
    Task(
        "console-ransomware.q15",
        """
### How fast?

How many minutes passed between the trail going silent (CloudTrail) and the first object
encrypted (S3 access logs)? Two tables, one subtraction.
""",
        scaffold="""
# your query (or two): the moment the trail stopped, the first successful copy
""",
        solution="""
first_copy = gd.sql('''
    SELECT min(time) AS first FROM s3_access
    WHERE bucket = ? AND remote_ip = ? AND operation = 'REST.COPY.OBJECT' AND http_status = 200
''', [BUCKET, RANSOM_IP]).first[0]
answer = round((first_copy - STOP_TIME).total_seconds() / 60, 2)
answer
""",
    ),
    Md(
        """
Minutes. Stopping the trail was the attacker's last step before the damage: an alert on it is
worth waking someone for, whatever its severity says.

## 6. The timeline

Put everything on one chart: the spray, the console session, the silence, the script's
requests, GuardDuty's findings. Fill in your case notes, then run the cells below. The chart
marks the steps you have solved with large diamonds.
"""
    ),
    Code(
        """
# Your case notes: fill in what you found (as text), then run this cell and the next ones.
SPRAY_IPS = []  # the spray's addresses (section 2), e.g. ["203.0.113.7", "198.51.100.23"]
CONSOLE_IP = None  # the address that stopped the trail (section 2)
RANSOM_IP = None  # the address the bucket's requests came from (section 5)
BUCKET = None  # the bucket (section 1)
""",
        only="participant",
    ),
    Code(
        """
# The case notes, from the reference queries above.
SPRAY_IPS, CONSOLE_IP, RANSOM_IP, BUCKET
""",
        only="solution",
    ),
    Code(
        """
sign_ins = gd.sql('''
    SELECT event_time AS time, 'spray ' || source_ip AS lane,
           response_elements->>'ConsoleLogin' AS what,
           CASE WHEN response_elements->>'ConsoleLogin' = 'Success' THEN 'initial-access'
                ELSE 'password-spray' END AS step
    FROM cloudtrail
    WHERE event_name = 'ConsoleLogin' AND source_ip IN (SELECT unnest(?::VARCHAR[]))
''', [SPRAY_IPS])
console = gd.sql('''
    SELECT event_time AS time, 'console ' || source_ip AS lane, event_name AS what,
           CASE WHEN event_name = 'CreateAccessKey' THEN 'persistence'
                WHEN event_source = 'cloudtrail.amazonaws.com' AND NOT read_only
                     THEN 'defense-evasion'
                ELSE 'discovery' END AS step
    FROM cloudtrail
    WHERE source_ip = ? AND event_name <> 'ConsoleLogin'
''', [CONSOLE_IP])
trail = gd.sql('''
    SELECT event_time AS time, 'CloudTrail itself' AS lane, event_name AS what,
           'defense-evasion' AS step
    FROM cloudtrail
    WHERE event_source = 'cloudtrail.amazonaws.com' AND NOT read_only
''')
script = gd.sql('''
    SELECT time_bucket(INTERVAL 1 MINUTE, time) AS time, 'script ' || remote_ip AS lane,
           operation AS what,
           CASE WHEN operation LIKE '%DELETE%' THEN 'destruction' ELSE 'encryption' END AS step
    FROM s3_access
    WHERE remote_ip = ? AND bucket = ?
    GROUP BY ALL
''', [RANSOM_IP, BUCKET])
findings = gd.sql('''
    SELECT first_seen AS time, 'GuardDuty' AS lane, type AS what,
           CASE WHEN type LIKE 'Impact:%' THEN 'destruction' ELSE 'defense-evasion' END AS step
    FROM guardduty_latest
    WHERE type NOT LIKE 'Recon:%'
''')
found = pd.concat(
    [df for df in (sign_ins, console, trail, script, findings) if not df.empty], ignore_index=True
)
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
Read it from left to right: the spray's two rounds from a handful of addresses, the one
success, a console session of a quarter of an hour that ends with a new key and a stopped
trail, then a hole in CloudTrail with the script's copies, deletions and note inside it, and
GuardDuty's two alerts. How long did the attacker need from the sign-in to the first deleted
object? How long was nobody looking?

## 7. Debrief

A GameDay ends with a debrief: for each step, which AWS service would have **prevented** it,
which **detected** it, and which helped (or would have helped) to **investigate** it.
"""
    ),
    Task(
        "console-ransomware.q16",
        """
### Prevent the sign-in

The spray found a password. What would have made a password alone not enough?
""",
        scaffold="",
        solution="""
# The sign-in that worked had no second factor: a policy could have required one.
mfa = gd.sql('''
    SELECT additional_event_data->>'MFAUsed' AS mfa_used FROM cloudtrail
    WHERE event_name = 'ConsoleLogin' AND source_ip = ?
      AND response_elements->>'ConsoleLogin' = 'Success'
''', [CONSOLE_IP])
assert set(mfa.mfa_used) == {"No"}
answer = next(c for c in gd.session().questions["console-ransomware.q16"].choices if "MFA" in c)
mfa
""",
        widget=True,
    ),
    Task(
        "console-ransomware.q17",
        """
### Prevent the loss

The deleted objects are gone: what would have kept them recoverable?
""",
        scaffold="",
        solution="""
# The deletions removed objects, not versions: the bucket kept no older version to go back to.
versions = gd.sql('''
    SELECT count(*) AS deleted, count(version_id) AS with_a_version FROM s3_access
    WHERE remote_ip = ? AND operation = 'BATCH.DELETE.OBJECT'
''', [RANSOM_IP])
assert versions.with_a_version[0] == 0
choices = gd.session().questions["console-ransomware.q17"].choices
answer = next(c for c in choices if "Versioning" in c)
versions
""",
        widget=True,
    ),
    Task(
        "console-ransomware.q18",
        """
### Protect the trail

The user was allowed to stop the trail. What could deny that to everyone in the account, even
its administrators?
""",
        scaffold="",
        solution="""
# The stop was allowed (no error): only a policy above the account's own could have refused it.
allowed = gd.sql('''
    SELECT event_name, error_code FROM cloudtrail
    WHERE event_source = 'cloudtrail.amazonaws.com' AND NOT read_only AND event_time = ?
''', [STOP_TIME])
assert allowed.error_code.isna().all()
choices = gd.session().questions["console-ransomware.q18"].choices
answer = next(c for c in choices if "service control policy" in c)
answer
""",
        widget=True,
    ),
    Task(
        "console-ransomware.q19",
        """
### Investigate through the gap

Which log recorded the bucket's requests while the trail was stopped?
""",
        scaffold="",
        solution="""
# Which tables hold records from inside the silence?
inside = gd.sql('''
    SELECT 'cloudtrail' AS log, count(*) AS records FROM cloudtrail
    WHERE event_time > ? AND event_time < ?
    UNION ALL
    SELECT 's3_access', count(*) FROM s3_access WHERE time > ? AND time < ?
''', [STOP_TIME, RESUME_TIME, STOP_TIME, RESUME_TIME])
counts = dict(zip(inside.log, inside.records))
assert counts["cloudtrail"] == 0 and counts["s3_access"] > 0
choices = gd.session().questions["console-ransomware.q19"].choices
answer = next(c for c in choices if "access logs" in c)
inside
""",
        widget=True,
    ),
    Task(
        "console-ransomware.q20",
        """
### Detect

And which service raised both alerts, trail or no trail?
""",
        scaffold="",
        solution="""
detector = gd.sql('''
    SELECT DISTINCT finding->'service'->>'serviceName' AS service
    FROM guardduty_latest WHERE type NOT LIKE 'Recon:%'
''')
service = detector.service[0]  # guardduty
choices = gd.session().questions["console-ransomware.q20"].choices
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
| prevent | **IAM** | MFA for every console user, enforced by a policy that denies everything without `aws:MultiFactorAuthPresent`; better, no IAM users for people at all (IAM Identity Center); least privilege, so a developer can neither stop a trail nor empty a bucket. |
| prevent | **AWS Organizations (SCPs)** | A policy above the account that denies `cloudtrail:StopLogging`, `DeleteTrail` and `PutEventSelectors` to everyone; an organisation trail that member accounts cannot change. |
| prevent | **S3 Versioning, Object Lock, AWS Backup** | A delete that only adds a delete marker; versions nobody can remove before their date; copies in another account. |
| prevent | **WAF, Shield** | Protect web applications and absorb floods. Not this incident: the console's sign-in page is AWS's own. |
| detect | **GuardDuty** | Both alerts, trail or no trail: it reads the events from AWS directly. |
| detect | **Security Hub** | Its checks flag console users without MFA (IAM.5) and trails that are not logging (CloudTrail.1), before anyone attacks. |
| detect | **Inspector** | Finds vulnerable software on instances and functions. Not this incident. |
| investigate | **CloudTrail** | Everything up to the gap, and the restart after it. |
| investigate | **S3 server access logs** | The only record of the attack itself. |
| investigate | **Detective** | A user's sign-ins, addresses and calls over time, as a graph: much of sections 2 and 3 in a few clicks. |
| investigate | **OpenSearch** | Search and dashboards over months of logs (DuckDB played that part today). |
"""
    ),
    Md(
        """
### Switch these on before the next incident

1. **MFA for every console user**, checked by Security Hub, and enforced by policy.
2. An **organisation trail**, and an **SCP** that protects it; log file validation, delivered
   to a separate, locked-down log account.
3. **S3 server access logs** on the buckets that matter (or CloudTrail data events, which a
   stopped trail loses too): today they were the only witness.
4. **Versioning and Object Lock** on buckets whose loss would hurt, or AWS Backup copies in
   another account.
5. **GuardDuty** with S3 Protection in every region, its findings in **Security Hub**, and an
   alert that wakes someone up for `Stealth:IAMUser/CloudTrailLoggingDisabled`, Low or not.

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
