"""Normalisation, kind by kind: what a learner types (or a query returns) -> canonical text."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from helpers.quiz.normalise import Rules, normalise


def canonical(value, kind, **rules):
    n = normalise(value, Rules(kind, **rules))
    assert n.problem is None, n.problem
    return n.values


def problem(value, kind, **rules):
    n = normalise(value, Rules(kind, **rules))
    assert n.values == ()
    return n.problem


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("ci-deploy", "ci-deploy"),
        ("  CI-Deploy  ", "ci-deploy"),
        ('"ci-deploy"', "ci-deploy"),
        ("`ci-deploy`", "ci-deploy"),
        ("'`ci-deploy`'", "ci-deploy"),
        ("“ci-deploy”", "ci-deploy"),
        ("ｃｉ－ｄｅｐｌｏｙ", "ci-deploy"),  # full-width
        ("Admin\u00a0\tRole\n", "admin role"),
        ("ci\u200b-deploy", "ci-deploy"),  # zero-width space
        (b"ci-deploy", "ci-deploy"),
        (np.str_("ci-deploy"), "ci-deploy"),
        (pd.Series(["ci-deploy"]), "ci-deploy"),
        (pd.DataFrame({"user_name": ["ci-deploy"]}), "ci-deploy"),
        (["ci-deploy"], "ci-deploy"),
        ("🔑 key", "🔑 key"),
        (42, "42"),
    ],
)
def test_text(given, expected):
    assert (expected,) == canonical(given, "text")


def test_text_case_sensitive_keeps_case():
    assert ("AdministratorAccess",) == canonical(
        " AdministratorAccess ", "text", case_sensitive=True
    )


CHOICES = ("Phishing", "Leaked access key", "SQL injection")


@pytest.mark.parametrize(
    "given", ["b", "B", "(b)", "b)", "b.", "leaked ACCESS key", "b) Leaked access key", "ｂ"]
)
def test_choice_by_letter_or_text(given):
    assert ("leaked access key",) == canonical(given, "choice", choices=CHOICES)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7\n", "203.0.113.7"),
        ("２０３．０．１１３．７", "203.0.113.7"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("::FFFF:CB00:7107", "203.0.113.7"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("203.0.113.7/32", "203.0.113.7"),
        (pd.Series(["203.0.113.7"]), "203.0.113.7"),
        (np.array(["203.0.113.7"]), "203.0.113.7"),
    ],
)
def test_ip(given, expected):
    assert (expected,) == canonical(given, "ip")


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        ("010.0.0.1", "write 10.0.0.1 without leading zeros (010 can be read as octal)"),
        ("10.0.0.01", "write 10.0.0.1 without leading zeros"),
        ("203.0.113.7:443", "give the address without the port: 203.0.113.7"),
        ("203.0.113.0/24", "give one address, not a network ('203.0.113.0/24')"),
        ("203.0.113.256", "'203.0.113.256' is not an IP address: each part is 0 to 255"),
        ("ci-deploy", "'ci-deploy' is not an IP address"),
        (3405803783, "give the address in its usual form, e.g. 203.0.113.7"),
    ],
)
def test_ip_format_problems(given, hint):
    assert hint == problem(given, "ip")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("1234", "1234"),
        ("1,234", "1234"),
        ("1 234", "1234"),
        ("1_234", "1234"),
        ("１，２３４", "1234"),
        ("+1234", "1234"),
        ("1234.0", "1234"),
        (1234, "1234"),
        (1234.0, "1234"),
        (np.int64(1234), "1234"),
        (np.float32(1234.0), "1234"),
        (pd.DataFrame({"n": [1234]}), "1234"),
        (np.array([[1234]]), "1234"),
        ("-3", "-3"),
    ],
)
def test_int(given, expected):
    assert (expected,) == canonical(given, "int")


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        ("12.5", "expected a whole number, got '12.5'"),
        (12.5, "expected a whole number, got 12.5"),
        ("1,23", "expected a whole number like 1234, got '1,23'"),
        ("twelve", "expected a whole number like 1234, got 'twelve'"),
        (True, "expected a whole number, got True"),
        ("1" * 5000, "that number is far too long"),
    ],
)
def test_int_format_problems(given, hint):
    assert hint == problem(given, "int")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("0.125", "0.13"),  # half away from zero
        ("0.124", "0.12"),
        (0.125, "0.13"),
        ("0.13", "0.13"),
        (".1", "0.10"),
        ("1,000.5", "1000.50"),
        ("-0.001", "0.00"),
        (np.float64(0.125), "0.13"),
    ],
)
def test_float_rounded_to_decimals(given, expected):
    assert (expected,) == canonical(given, "float", decimals=2)


def test_float_problems():
    assert "give the number without the % sign" == problem("12.5%", "float")
    assert "that is not a finite number" == problem(float("inf"), "float")
    assert "expected a number like 12.5, got 'inf'" == problem("inf", "float")
    assert "no answer given" == problem(float("nan"), "float")


@pytest.mark.parametrize(
    "given",
    [
        "2026-03-05T14:02:11Z",
        "2026-03-05T14:02:11",
        "2026-03-05 14:02:11",
        "2026-03-05 14:02:11 UTC",
        "2026-03-05T14:02:11.999Z",
        "2026-03-05T15:02:11+01:00",
        "２０２６-０３-０５T１４:０２:１１Z",
        "1772719331",
        1772719331,
        1772719331.5,
        1772719331000,  # milliseconds
        pd.Timestamp("2026-03-05 14:02:11"),
        pd.Timestamp("2026-03-05 14:02:11", tz="UTC"),
        pd.Timestamp("2026-03-05 09:02:11", tz="America/New_York"),
        dt.datetime(2026, 3, 5, 14, 2, 11),
        np.datetime64("2026-03-05T14:02:11"),
        pd.DataFrame({"event_time": [pd.Timestamp("2026-03-05 14:02:11")]}),
    ],
)
def test_timestamp(given):
    assert ("2026-03-05T14:02:11Z",) == canonical(given, "timestamp")


def test_timestamp_problems():
    assert problem("yesterday", "timestamp").startswith("could not read 'yesterday' as a time")
    assert "no answer given" == problem(pd.NaT, "timestamp")


@pytest.mark.parametrize(
    "given",
    [
        "hr-exports, prod-backups, billing-2025",
        "hr-exports prod-backups billing-2025",
        "hr-exports;prod-backups;billing-2025",
        "hr-exports\nprod-backups\nbilling-2025\n",
        "HR-Exports，prod-backups、billing-2025",
        "['hr-exports', 'prod-backups', 'billing-2025']",
        "hr-exports, prod-backups, billing-2025, prod-backups",
        ["billing-2025", "prod-backups", "hr-exports"],
        pd.Series(["billing-2025", "prod-backups", "hr-exports"]),
        pd.DataFrame({"bucket": ["billing-2025", "prod-backups", "hr-exports"]}),
        np.array(["billing-2025", "prod-backups", "hr-exports"]),
    ],
)
def test_set_any_order_any_separator(given):
    assert ("billing-2025", "hr-exports", "prod-backups") == canonical(given, "set")


def test_set_elements_are_addresses_and_numbers_in_canonical_form():
    given = "::ffff:10.0.0.1, 0443 2001:DB8::1"

    assert ("10.0.0.1", "2001:db8::1", "443") == canonical(given, "set")


def test_list_keeps_order_and_duplicates():
    assert ("b", "a", "b") == canonical("B, a, b", "list")


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        ("", "empty answer: no values given"),
        ([], "empty answer: no values given"),
        (pd.DataFrame(), "empty answer: no values given"),
        ([["a"], ["b"]], "nested lists: give a flat list of values"),
        ("10.0.0.1, 010.0.0.2", "write 10.0.0.2 without leading zeros (010 can be read as octal)"),
        (pd.DataFrame({"a": [1], "b": [2]}), "that table has 2 columns: pick one, e.g. df['a']"),
    ],
)
def test_set_problems(given, hint):
    assert hint == problem(given, "set")


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        (None, "no answer given"),
        ("", "empty answer"),
        ("  ``  ", "empty answer"),
        (["a", "b"], "expected one value, got 2"),
        ([], "empty answer: no value given"),
        ({"a": 1}, "expected a value or a list, got a dict"),
        (b"\xff\xfe", "could not read those bytes as UTF-8 text"),
        ("x" * 10_000_000, "that answer is 10,000,000 characters long: answers are short"),
        (object(), "cannot read a object as an answer"),
    ],
)
def test_anything_else_is_a_problem_not_an_error(given, hint):
    assert hint == problem(given, "text")
