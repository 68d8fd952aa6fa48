"""Properties: the checker never raises, whatever it is given; good answers always pass."""

from __future__ import annotations

import datetime as dt
import decimal
import ipaddress
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_quiz_fixtures import FACTS, QUESTIONS, SALT

from helpers.quiz.answers import Checker, Verdict, answers_json
from helpers.quiz.normalise import Normalised, normalise
from helpers.quiz.question import Question

CHECKER = Checker.from_json(answers_json(QUESTIONS, FACTS, salt=SALT))
STATUSES = {"correct", "partial", "wrong", "known_wrong", "format"}
BIG = "1" * 10_000_000

ODD = st.sampled_from(
    [
        BIG,
        BIG.encode(),
        "\ud800",
        "010.0.0.1",
        "1e400",
        "-0",
        "NaN",
        "🔑🧨👩‍💻",
        "\x00",
        "9" * 5000,
        pd.NaT,
        pd.NA,
        np.nan,
        np.datetime64("NaT"),
        np.datetime64("2262-04-12"),
        pd.Timestamp.max,
        pd.Timestamp.min,
        decimal.Decimal("sNaN"),
        np.float32("nan"),
        np.int64(2**62),
        np.array(5),
        np.zeros((2, 3)),
        pd.DataFrame(),
        pd.DataFrame({"a": [1], "b": ["x"]}),
        pd.Index(["a"]),
        {"a": 1},
        object(),
        type,
        Ellipsis,
    ]
)
NUMBERISH = st.tuples(
    st.lists(st.integers(0, 9999), min_size=1, max_size=5), st.sampled_from(".,: ")
).map(lambda parts: parts[1].join(map(str, parts[0])))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.text(),
    st.binary(),
    st.decimals(),
    st.datetimes(),
    st.datetimes(timezones=st.just(dt.UTC)),
    st.dates(),
    st.ip_addresses().map(str),
    NUMBERISH,
    st.integers(-(2**63), 2**63 - 1).map(np.int64),
    st.floats(width=32).map(np.float32),
    ODD,
)
SOME = st.lists(SCALARS, max_size=4)
VALUES = st.one_of(
    SCALARS,
    SOME,
    st.tuples(SCALARS, SCALARS),
    st.lists(SOME, max_size=3),  # nested lists
    SOME.map(lambda xs: pd.Series(xs, dtype=object)),
    SOME.map(lambda xs: pd.DataFrame({"col": pd.Series(xs, dtype=object)})),
    SOME.map(lambda xs: np.array([*xs, None], dtype=object)),
)
KIND_QUESTIONS = {
    "text": "leaked-user",
    "choice": "technique",
    "ip": "attacker-ip",
    "int": "calls",
    "float, rounded": "error-ratio",
    "float, within a tolerance": "megabytes",
    "timestamp, within a tolerance": "first-call",
    "timestamp, to the second": "key-created",
    "set": "buckets",
    "list": "iam-calls",
}
NEVER_RAISES = settings(
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.parametrize("kind", KIND_QUESTIONS)
@NEVER_RAISES
@given(value=VALUES)
def test_the_checker_returns_a_verdict_whatever_it_is_given(kind, value):
    entry = CHECKER.entry(KIND_QUESTIONS[kind])
    verdict = CHECKER.check(entry.qid, value)
    normalised = normalise(value, entry.rules)

    assert isinstance(verdict, Verdict)
    assert verdict.status in STATUSES
    assert isinstance(verdict.message, str) and "\n" not in verdict.message
    assert 0.0 <= verdict.fraction <= 1.0
    assert isinstance(normalised, Normalised)
    assert normalised.ok == (normalised.problem is None)


@settings(max_examples=300, deadline=None)
@given(address=st.ip_addresses())
def test_any_address_passes_in_any_usual_spelling(address):
    q = Question("ip", "?", "ip", 1, answer=lambda f: str(address))
    checker = Checker.from_json(answers_json([q], {}, salt=SALT))
    spellings = [str(address), f" {address.exploded.upper()} "]
    if address.version == 4:
        spellings.append(f"::ffff:{address}")
        spellings.append(str(ipaddress.IPv6Address(f"::ffff:{address}")))

    assert all(checker.check("ip", s).correct for s in spellings)


@settings(max_examples=300, deadline=None)
@given(
    answer=st.floats(0, 4e9),
    tolerance=st.floats(0.5, 86400),
    offset=st.floats(-1, 1),
)
def test_a_time_within_the_tolerance_passes_and_beyond_a_quarter_more_fails(
    answer, tolerance, offset
):
    q = Question("t", "?", "timestamp", 1, answer=lambda f: answer, tolerance=tolerance)
    checker = Checker.from_json(answers_json([q], {}, salt=SALT))
    given_ = answer + offset * tolerance * 0.999
    beyond = answer + math.copysign(1.26 * tolerance, offset or 1)

    assert checker.check("t", given_).correct
    assert not checker.check("t", beyond).correct


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(
        st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12),
        min_size=1,
        max_size=6,
        unique=True,
    ),
    data=st.data(),
)
def test_a_set_passes_in_any_order_with_any_separators(names, data):
    q = Question("s", "?", "set", 1, answer=lambda f: names)
    checker = Checker.from_json(answers_json([q], {}, salt=SALT))
    shuffled = data.draw(st.permutations(names))
    separators = data.draw(
        st.lists(
            st.sampled_from([",", " ", "\n", ";", " , ", "\t"]),
            min_size=len(names),
            max_size=len(names),
        )
    )
    text = "".join(n.upper() + s for n, s in zip(shuffled, separators, strict=True))

    assert checker.check("s", text).correct


@settings(max_examples=300, deadline=None)
@given(number=st.integers(-(10**15), 10**15))
def test_a_whole_number_passes_with_any_grouping(number):
    q = Question("n", "?", "int", 1, answer=lambda f: number)
    checker = Checker.from_json(answers_json([q], {}, salt=SALT))

    for spelling in (f"{number:,}", f"{number:_}", f"{number:,}".replace(",", " "), float(number)):
        assert checker.check("n", spelling).correct, spelling
