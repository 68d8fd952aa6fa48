"""A tiny hand-made data set for the quiz tests: questions of every kind, their facts,
a dataset.json, an answers.json from write_answers, and a small gameday.duckdb.

Other test modules import :func:`make_dataset`, :data:`QUESTIONS` and :data:`FACTS`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from helpers import cloudtrail, guardduty, vpcflow
from helpers.quiz.answers import write_answers
from helpers.quiz.question import Hint, Question

SALT = b"test-salt"

FACTS: dict[str, Any] = {
    "attacker_ip": "203.0.113.7",
    "decoy_ip": "198.51.100.9",
    "leaked_user": "ci-deploy",
    "calls": 1234,
    "error_ratio": 0.125,
    "megabytes": 12.3,
    "first_call": "2026-03-05T14:02:11Z",
    "key_created": "2026-03-05T14:09:30Z",
    "buckets": ["prod-backups", "hr-exports", "billing-2025"],
    "iam_calls": ["GetCallerIdentity", "ListUsers", "CreateAccessKey", "AttachUserPolicy"],
}

QUESTIONS: tuple[Question, ...] = (
    Question(
        "attacker-ip",
        "From which address did the attacker use the leaked key?",
        "ip",
        100,
        answer=lambda f: f["attacker_ip"],
        hints=(Hint("Filter cloudtrail on the leaked access key.", 10), Hint("Sort by time.", 25)),
        known_wrong=lambda f: {f["decoy_ip"]: "that address only scans: who used the key?"},
        step="initial-access",
    ),
    Question(
        "leaked-user",
        "Whose access key leaked?",
        "text",
        50,
        answer=lambda f: f["leaked_user"],
        hints=(Hint("Look for calls from an unusual address.", 10),),
        known_wrong=lambda f: {"audit-role": "the audit role reads everything, every hour"},
        step="initial-access",
    ),
    Question(
        "technique",
        "How did the attacker get in?",
        "choice",
        30,
        answer=lambda f: "Leaked access key",
        choices=("Phishing", "Leaked access key", "SQL injection"),
    ),
    Question("calls", "How many calls did the attacker make?", "int", 60, lambda f: f["calls"]),
    Question(
        "error-ratio",
        "What share of the attacker's calls failed?",
        "float",
        40,
        lambda f: f["error_ratio"],
        decimals=2,
    ),
    Question(
        "megabytes",
        "How many megabytes left the VPC?",
        "float",
        40,
        lambda f: f["megabytes"],
        tolerance=0.5,
    ),
    Question(
        "first-call",
        "When did the attacker first use the key?",
        "timestamp",
        80,
        lambda f: f["first_call"],
        tolerance=60,
        step="initial-access",
    ),
    Question(
        "key-created",
        "When did the attacker create a new access key?",
        "timestamp",
        80,
        lambda f: f["key_created"],
        known_wrong=lambda f: {"2026-03-05T14:02:11Z": "that is the first call, not the new key"},
        step="persistence",
    ),
    Question(
        "buckets",
        "Which buckets did the attacker read?",
        "set",
        100,
        lambda f: f["buckets"],
        hints=(Hint("GetObject calls, by the leaked key.", 20),),
        known_wrong=lambda f: {"public-assets": "public-assets is read by the website all day"},
        step="exfiltration",
    ),
    Question(
        "iam-calls",
        "The attacker's IAM calls, in order?",
        "list",
        100,
        lambda f: f["iam_calls"],
        case_sensitive=True,
        step="discovery",
    ),
)


def make_dataset(
    tmp_path: Path,
    settings: dict[str, Any] | None = None,
    questions: tuple[Question, ...] = QUESTIONS,
) -> Path:
    """``<tmp_path>/mini``: dataset.json, answers.json and a small gameday.duckdb."""
    folder = tmp_path / "mini"
    folder.mkdir()
    info: dict[str, Any] = {"dataset": "mini", "scenario": "test-scenario", "seed": 7}
    if settings is not None:
        info["settings"] = settings
    (folder / "dataset.json").write_text(json.dumps(info))
    write_answers(folder, questions, FACTS, salt=SALT)
    con = duckdb.connect(str(folder / "gameday.duckdb"))
    try:
        for table in (cloudtrail.TABLE, vpcflow.TABLE, guardduty.TABLE):
            con.execute(table.ddl())
        con.execute(
            "INSERT INTO cloudtrail (event_time, event_name, source_ip, user_name, arn,"
            " access_key_id, error_code) VALUES"
            " ('2026-03-05 09:00:00', 'ListBuckets', '10.0.0.5', 'ci-deploy',"
            "  'arn:aws:iam::111122223333:user/ci-deploy', 'AKIAEXAMPLE', NULL),"
            " ('2026-03-05 14:02:11', 'GetCallerIdentity', '203.0.113.7', 'ci-deploy',"
            "  'arn:aws:iam::111122223333:user/ci-deploy', 'AKIAEXAMPLE', NULL),"
            " ('2026-03-05 14:05:00', 'ListUsers', '203.0.113.7', 'ci-deploy',"
            "  'arn:aws:iam::111122223333:user/ci-deploy', 'AKIAEXAMPLE', 'AccessDenied'),"
            " ('2026-03-06 02:00:00', 'GetObject', '198.51.100.9', 'audit-role',"
            "  'arn:aws:sts::111122223333:assumed-role/audit-role/s1', 'ASIAEXAMPLE', NULL)"
        )
        con.execute(
            "INSERT INTO vpc_flow (srcaddr, dstaddr, srcport, dstport, bytes, start_time,"
            " end_time, action) VALUES"
            " ('10.0.1.23', '203.0.113.7', 40000, 443, 5000000, '2026-03-05 15:00:00',"
            "  '2026-03-05 15:01:00', 'ACCEPT'),"
            " ('10.0.1.23', '203.0.113.7', 40001, 443, 7300000, '2026-03-05 15:10:00',"
            "  '2026-03-05 15:11:00', 'ACCEPT'),"
            " ('203.0.113.7', '10.0.1.23', 443, 40000, 20000, '2026-03-05 15:00:00',"
            "  '2026-03-05 15:01:00', 'ACCEPT'),"
            " ('10.0.1.9', '10.0.1.23', 5432, 40100, 1000, '2026-03-05 15:20:00',"
            "  '2026-03-05 15:21:00', 'ACCEPT')"
        )
    finally:
        con.close()
    return folder


def test_the_fixture_holds_a_catalog_and_answers_but_no_plaintext(tmp_path):
    folder = make_dataset(tmp_path)

    assert ["answers.json", "dataset.json", "gameday.duckdb"] == sorted(
        p.name for p in folder.iterdir()
    )
    text = (folder / "answers.json").read_text()
    for secret in ("203.0.113.7", "ci-deploy", "prod-backups", "GetCallerIdentity", "12.3"):
        assert secret not in text
    assert "Sort by time." not in text  # hint texts stay in the storyline code
