"""Warm-up questions for ``00-start-here``: the ground every investigation stands on.

They belong to every data set, whatever its storyline, and their answers come
from the world and the generated week, never from the incident.
"""

from __future__ import annotations

from helpers.quiz.question import Hint, Question

QUESTIONS = (
    Question(
        "start-here.q01",
        "What is the AWS account id whose logs you are reading?",
        "text",
        20,
        answer=lambda f: f["account_id"],
        answer_format="12 digits, e.g. 123456789012",
        hints=(Hint("`SELECT DISTINCT recipient_account_id FROM cloudtrail`", 5),),
        explanation="recipientAccountId is the account whose trail logged the event; it is also "
        "in every file's S3 key (AWSLogs/<account>/...).",
    ),
    Question(
        "start-here.q02",
        "Which region does the company mostly work in (the region with the most CloudTrail "
        "events)?",
        "text",
        20,
        answer=lambda f: f["home_region"],
        answer_format="a region code, e.g. eu-west-3",
        hints=(Hint("GROUP BY aws_region ORDER BY count(*) DESC", 5),),
        explanation="Most activity happens in the home region; IAM and STS calls are logged in "
        "us-east-1 because those services are global.",
    ),
    Question(
        "start-here.q03",
        "How many different IAM users signed in to the console successfully during the week?",
        "int",
        30,
        answer=lambda f: f["console_users"],
        hints=(
            Hint(
                "event_name = 'ConsoleLogin' and response_elements->>'ConsoleLogin' = 'Success'", 5
            ),
            Hint("count(DISTINCT user_name)", 5),
        ),
        explanation="ConsoleLogin records are AwsConsoleSignIn events from signin.amazonaws.com; "
        "their result is in responseElements.",
    ),
)
