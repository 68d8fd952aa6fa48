"""The notebook API on a tiny data set: sql, question, check, hint, progress, timeline."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_quiz_fixtures import QUESTIONS, make_dataset

from helpers import notebook
from helpers.errors import DatasetError, UsageError
from helpers.notebook import QueryError, Session


@pytest.fixture
def dataset(tmp_path):
    return make_dataset(tmp_path)


@pytest.fixture
def session(dataset):
    return Session(dataset, questions=QUESTIONS, participant="ada")


@pytest.fixture
def opened(dataset, monkeypatch):
    """The module-level API on the tiny data set, as a notebook uses it."""
    monkeypatch.setattr(notebook, "_session", None)
    return notebook.open_dataset(dataset, questions=QUESTIONS, participant="ada")


def test_sql_returns_a_dataframe(session):
    expected = pd.DataFrame({"source_ip": ["203.0.113.7"], "n": [2]})

    actual = session.sql(
        "SELECT source_ip, count(*)::INTEGER AS n FROM cloudtrail"
        " WHERE user_name = ? GROUP BY 1 HAVING n > 1",
        ["ci-deploy"],
    )

    pd.testing.assert_frame_equal(expected, actual, check_dtype=False)


def test_sql_is_read_only(session):
    with pytest.raises(QueryError, match="read-only"):
        session.sql("DELETE FROM cloudtrail")


def test_a_sql_error_is_one_line_with_a_pointer_to_the_data_dictionary(session):
    with pytest.raises(QueryError) as error:
        session.sql("SELECT source_ipp FROM cloudtrail")

    message = str(error.value)
    assert message.startswith('Binder Error: Referenced column "source_ipp" not found')
    assert message.endswith("(tables and columns: `gameday describe`)")
    assert "\n" not in message


def test_notebook_errors_render_as_one_line_not_a_traceback(opened):
    with pytest.raises(QueryError) as error:
        notebook.sql("SELEC 1")

    lines = error.value._render_traceback_()
    assert 1 == len(lines)
    assert "QueryError" in lines[0] and 'syntax error at or near "SELEC"' in lines[0]


def test_open_dataset_says_what_to_do_when_there_is_none(tmp_path):
    with pytest.raises(DatasetError) as error:
        notebook.open_dataset(tmp_path / "nowhere")

    expected = f"no data set at {tmp_path / 'nowhere'}: run `make lab` or `gameday generate`"
    assert expected == str(error.value)


def test_question_shows_prompt_format_points_and_hints(session):
    card = session.question("attacker-ip")

    assert "attacker-ip (100 points)" == card.title
    assert "From which address did the attacker use the leaked key?" == card.body
    assert [
        "Answer format: an IP address, e.g. 203.0.113.7",
        "Hints: 2 (cost 10, 25 points; used 0): `hint('attacker-ip')`",
    ] == card.details
    assert card.markdown().startswith("**attacker-ip (100 points)**")


def test_check_prints_one_line_and_returns_the_result(opened, capsys):
    result = notebook.check("attacker-ip", " 203.0.113.7 ")

    assert "✓ attacker-ip: correct, 100 points\n" == capsys.readouterr().out
    assert (True, 100) == (result.correct, result.points)


@pytest.mark.parametrize(
    ("qid", "answer", "line"),
    [
        (
            "attacker-ip",
            "010.0.0.1",
            "? attacker-ip: write 10.0.0.1 without leading zeros (010 can be read as octal)",
        ),
        (
            "attacker-ip",
            "198.51.100.9",
            "✗ attacker-ip: that address only scans: who used the key?",
        ),
        ("attacker-ip", "192.0.2.1", "✗ attacker-ip: not quite; a hint: hint('attacker-ip')"),
        ("technique", "c", "✗ technique: not quite"),
        (
            "buckets",
            "prod-backups, hr-exports, logs",
            "◐ buckets: 2 of 3 right, 1 extra: 33 points so far",
        ),
    ],
)
def test_check_says_the_most_useful_thing(session, qid, answer, line):
    assert line == session.check(qid, answer).line


def test_hints_cost_points_when_solved(session):
    first = session.hint("attacker-ip")
    second = session.hint("attacker-ip")
    again = session.hint("attacker-ip", 1)
    none_left = session.hint("attacker-ip")

    assert "Hint 1 of 2 for attacker-ip (-10 points when you solve it)" == first.title
    assert "Filter cloudtrail on the leaked access key." == first.body
    assert "Hint 2 of 2 for attacker-ip (-25 points when you solve it)" == second.title
    assert "Hint 1 of 2 for attacker-ip (seen before, no further cost)" == again.title
    assert "attacker-ip: no more hints" == none_left.title
    assert "✓ attacker-ip: correct, 65 points (100 less 35 for hints and tries)" == (
        session.check("attacker-ip", "203.0.113.7").line
    )


def test_a_hint_after_solving_is_free(session):
    session.check("leaked-user", "ci-deploy")

    assert "Hint 1 of 1 for leaked-user (free: you solved it already)" == (
        session.hint("leaked-user").title
    )
    assert 50 == session.progress().row("leaked-user").points


def test_a_bad_hint_number_is_a_usage_error(session):
    with pytest.raises(UsageError, match=r"attacker-ip has 2 hint\(s\)"):
        session.hint("attacker-ip", 3)


def test_an_unknown_question_lists_the_closest(session):
    with pytest.raises(UsageError, match=r"no question 'bucket': did you mean buckets\?"):
        session.check("bucket", "x")


def test_answers_can_come_straight_from_a_query(session):
    first = session.sql("SELECT min(event_time) FROM cloudtrail WHERE source_ip = '203.0.113.7'")
    address = session.sql(
        "SELECT DISTINCT source_ip FROM cloudtrail WHERE event_name = 'ListUsers'"
    )

    assert session.check("first-call", first).correct
    assert session.check("attacker-ip", address["source_ip"]).correct


def test_progress_survives_a_kernel_restart(dataset):
    Session(dataset, questions=QUESTIONS, participant="ada").check("calls", "1,234")

    restarted = Session(dataset, questions=QUESTIONS, participant="ada")
    someone_else = Session(dataset, questions=QUESTIONS, participant="bob")

    assert (60, 60) == (restarted.progress().total, restarted.progress().row("calls").points)
    assert 0 == someone_else.progress().total


def test_the_attempts_log_holds_hashes_not_answers(session):
    session.check("leaked-user", "ci-deploy")
    session.hint("attacker-ip")

    lines = session.log.path.read_text().splitlines()
    attempt, hint = (json.loads(line) for line in lines)

    assert "ci-deploy" not in lines[0]
    assert {
        "type",
        "qid",
        "answer",
        "verdict",
        "fraction",
        "points",
        "hints",
        "time",
        "unlock",
    } == set(attempt)
    assert ("leaked-user", "correct", 50) == (attempt["qid"], attempt["verdict"], attempt["points"])
    assert {"type": "hint", "qid": "attacker-ip", "hint": 1, "cost": 10} == {
        k: v for k, v in hint.items() if k != "time"
    }


def test_penalties_from_the_data_set_settings(tmp_path):
    folder = make_dataset(tmp_path, settings={"wrong_penalty": 5})
    session = Session(folder, questions=QUESTIONS, participant="ada")

    assert "✗ calls: not quite (-5 points)" == session.check("calls", "1").line
    assert "✓ calls: correct, 55 points (60 less 5 for hints and tries)" == (
        session.check("calls", "1234").line
    )


def test_progress_table_and_timeline(opened):
    notebook.check("first-call", "2026-03-05 14:02:30")

    table = notebook.progress().table()
    chart = notebook.timeline(
        "SELECT event_time AS time, source_ip AS lane, 'initial-access' AS step FROM cloudtrail"
    )

    assert ["solved", "attempts", "hints", "points"] == list(table.columns)
    assert 80 == table.loc["first-call", "points"]
    assert {"solved"} == set(pd.DataFrame(chart.to_dict()["datasets"].popitem()[1])["finding"])


def test_without_storyline_text_checks_still_work(dataset):
    session = Session(dataset, participant="ada")  # storyline "test-scenario" is unknown

    assert session.check("calls", "1234").correct
    with pytest.raises(DatasetError, match="no text for question calls"):
        session.question("calls")


def test_the_package_offers_the_whole_notebook_api_lazily():
    import helpers
    from helpers import notebook

    assert set(notebook.__all__) | {"answer_box"} == set(helpers.__all__)
    assert notebook.check is helpers.check
