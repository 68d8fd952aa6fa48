"""answers.json: hashes only, and a Checker that needs nothing else."""

from __future__ import annotations

import json

import pytest
from test_quiz_fixtures import FACTS, QUESTIONS, SALT, make_dataset

from helpers.errors import DatasetError, UsageError
from helpers.quiz.answers import Checker, answer_key, answers_json, digest, write_answers
from helpers.quiz.question import Question


@pytest.fixture
def checker():
    return Checker.from_json(answers_json(QUESTIONS, FACTS, salt=SALT))


def test_answer_key_is_plaintext_and_canonical():
    expected = {
        "attacker-ip": "203.0.113.7",
        "leaked-user": "ci-deploy",
        "technique": "Leaked access key",
        "calls": 1234,
        "error-ratio": 0.13,
        "megabytes": 12.3,
        "first-call": "2026-03-05T14:02:11Z",
        "key-created": "2026-03-05T14:09:30Z",
        "buckets": ["billing-2025", "hr-exports", "prod-backups"],
        "iam-calls": ["GetCallerIdentity", "ListUsers", "CreateAccessKey", "AttachUserPolicy"],
    }
    assert expected == answer_key(QUESTIONS, FACTS)


def test_write_answers_writes_hashes_kinds_points_and_hint_costs(tmp_path):
    path = write_answers(tmp_path, QUESTIONS, FACTS, salt=SALT)
    data = json.loads(path.read_text())

    assert tmp_path / "answers.json" == path
    assert SALT.hex() == data["salt"]
    entry = data["questions"]["attacker-ip"]
    assert ("ip", 100, [10, 25], 1) == (
        entry["kind"],
        entry["points"],
        entry["hint_costs"],
        entry["count"],
    )
    assert [digest(SALT, "ip", "attacker-ip", "203.0.113.7")] == entry["elements"]
    assert 3 == data["questions"]["buckets"]["count"]
    assert 3 == len(data["questions"]["buckets"]["elements"])


def test_the_salt_is_random_per_data_set(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = json.loads(write_answers(tmp_path / "a", QUESTIONS, FACTS).read_text())
    b = json.loads(write_answers(tmp_path / "b", QUESTIONS, FACTS).read_text())

    assert a["salt"] != b["salt"]
    assert a["questions"]["calls"]["elements"] != b["questions"]["calls"]["elements"]
    assert Checker.from_json(a).check("calls", "1,234").correct
    assert Checker.from_json(b).check("calls", "1 234").correct


def test_the_checker_reads_only_answers_json(tmp_path):
    folder = make_dataset(tmp_path)

    assert "correct" == Checker.load(folder).check("leaked-user", "CI-Deploy").status
    assert "correct" == Checker.load(folder / "answers.json").check("technique", "b").status


@pytest.mark.parametrize(
    ("qid", "answer"),
    [
        ("attacker-ip", "::ffff:203.0.113.7"),
        ("leaked-user", "`CI-DEPLOY`"),
        ("technique", "B"),
        ("technique", "leaked access key"),
        ("calls", "1,234"),
        ("error-ratio", "0.125"),
        ("error-ratio", 0.13),
        ("megabytes", "12.3"),
        ("megabytes", "12.75"),
        ("megabytes", 11.85),
        ("first-call", "2026-03-05 14:03:10"),
        ("first-call", "2026-03-05T14:01:12Z"),
        ("key-created", "2026-03-05T14:09:30.900Z"),
        ("buckets", "prod-backups hr-exports billing-2025"),
        ("iam-calls", "GetCallerIdentity, ListUsers, CreateAccessKey, AttachUserPolicy"),
    ],
)
def test_correct_answers(checker, qid, answer):
    assert ("correct", 1.0) == (
        checker.check(qid, answer).status,
        checker.check(qid, answer).fraction,
    )


@pytest.mark.parametrize(
    ("qid", "answer"),
    [
        ("attacker-ip", "203.0.113.8"),
        ("technique", "a"),
        ("calls", "1235"),
        ("error-ratio", "0.12"),
        ("megabytes", "13.0"),
        ("first-call", "2026-03-05T14:03:27Z"),  # 76 s late: beyond 1.25 x 60 s
        ("key-created", "2026-03-05T14:09:31Z"),  # no tolerance: the same second only
        ("buckets", "logs"),
    ],
)
def test_wrong_answers(checker, qid, answer):
    verdict = checker.check(qid, answer)

    assert ("wrong", "not quite", 0.0) == (verdict.status, verdict.message, verdict.fraction)


def test_a_case_sensitive_list_wants_the_case():
    checker = Checker.from_json(answers_json(QUESTIONS, FACTS, salt=SALT))
    answer = "getcalleridentity, ListUsers, CreateAccessKey, AttachUserPolicy"

    assert "3 of 4 in the right place" == checker.check("iam-calls", answer).message


def test_known_wrong_answers_get_their_nudge(checker):
    assert ("known_wrong", "that address only scans: who used the key?") == (
        checker.check("attacker-ip", "198.51.100.9").status,
        checker.check("attacker-ip", "198.51.100.9").message,
    )
    assert "the audit role reads everything, every hour" == (
        checker.check("leaked-user", "Audit-Role").message
    )
    assert "that is the first call, not the new key" == (
        checker.check("key-created", "2026-03-05 14:02:11").message
    )


@pytest.mark.parametrize(
    ("answer", "message", "fraction"),
    [
        ("prod-backups, hr-exports", "2 of 3 right", 2 / 3),
        ("prod-backups, hr-exports, logs", "2 of 3 right, 1 extra", 1 / 3),
        ("prod-backups, logs, tmp", "1 of 3 right, 2 extra", 0.0),
        (
            "prod-backups, public-assets",
            "1 of 3 right, 1 extra (public-assets is read by the website all day)",
            0.0,
        ),
        ("public-assets", "public-assets is read by the website all day", 0.0),
        ("logs", "not quite", 0.0),
    ],
)
def test_set_partial_credit(checker, answer, message, fraction):
    verdict = checker.check("buckets", answer)

    assert (message, fraction) == (verdict.message, pytest.approx(verdict.fraction))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (
            "GetCallerIdentity, ListUsers, ListRoles, AttachUserPolicy",
            "3 of 4 in the right place",
        ),
        (
            "GetCallerIdentity, ListUsers, AttachUserPolicy, CreateAccessKey",
            "the right values, but only 2 of 4 in the right place",
        ),
        (
            "ListUsers, GetCallerIdentity, AttachUserPolicy, CreateAccessKey",
            "the right values, but none in the right place",
        ),
        (
            "GetCallerIdentity, ListUsers, CreateAccessKey, AttachUserPolicy, ListRoles",
            "4 of 4 in the right place, 1 extra",
        ),
    ],
)
def test_list_partial_credit(checker, answer, message):
    assert message == checker.check("iam-calls", answer).message


def test_format_problems_are_verdicts_too(checker):
    verdict = checker.check("attacker-ip", "010.0.0.1")

    assert ("format", "write 10.0.0.1 without leading zeros (010 can be read as octal)") == (
        verdict.status,
        verdict.message,
    )


def test_an_unknown_question_names_the_closest(checker):
    with pytest.raises(UsageError, match="no question 'atacker-ip': did you mean attacker-ip"):
        checker.check("atacker-ip", "203.0.113.7")


def test_a_missing_answer_file_says_what_to_do(tmp_path):
    with pytest.raises(DatasetError, match=r"no answers\.json at .*: regenerate the data set"):
        Checker.load(tmp_path)


def test_authoring_mistakes_fail_when_the_file_is_written(tmp_path):
    bad_ip = Question("q", "?", "ip", 1, answer=lambda f: "010.0.0.1")
    separator = Question("q", "?", "set", 1, answer=lambda f: ["a b", "c"])
    decoy_is_answer = Question(
        "q", "?", "text", 1, answer=lambda f: "x", known_wrong=lambda f: {"X": "no"}
    )

    for question in (bad_ip, separator, decoy_is_answer):
        with pytest.raises(ValueError, match="question q"):
            write_answers(tmp_path, [question], {})
    with pytest.raises(ValueError, match="used twice"):
        write_answers(tmp_path, [QUESTIONS[0], QUESTIONS[0]], FACTS)


@pytest.mark.parametrize("offset", [-60.0, -45.5, -0.2, 0.0, 12.0, 59.9, 60.0])
def test_tolerance_accepts_everything_within_it(offset):
    q = Question("t", "?", "timestamp", 1, answer=lambda f: 1772719331.0, tolerance=60)
    checker = Checker.from_json(answers_json([q], {}, salt=SALT))

    assert checker.check("t", 1772719331.0 + offset).correct


@pytest.mark.parametrize("offset", [-75.01, 75.0, 90.0, 3600.0])
def test_tolerance_rejects_everything_beyond_one_and_a_quarter_of_it(offset):
    q = Question("t", "?", "timestamp", 1, answer=lambda f: 1772719331.0, tolerance=60)
    checker = Checker.from_json(answers_json([q], {}, salt=SALT))

    assert not checker.check("t", 1772719331.0 + offset).correct
