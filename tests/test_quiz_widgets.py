"""The answer box, driven from Python: type, click, read the feedback line."""

from __future__ import annotations

import pytest
from test_quiz_fixtures import QUESTIONS, make_dataset

from helpers.notebook import Session
from helpers.widgets import answer_box


@pytest.fixture
def session(tmp_path):
    return Session(make_dataset(tmp_path), questions=QUESTIONS, participant="ada")


def test_submit_shows_the_verdict(session):
    box = answer_box("attacker-ip", session)

    box.text.value = "192.0.2.1"
    box.submit.click()
    first = box.feedback.value
    box.text.value = "203.0.113.7"
    box.submit.click()

    assert "✗ attacker-ip: not quite; a hint: hint('attacker-ip')" == first
    assert "✓ attacker-ip: correct, 100 points" == box.feedback.value
    assert (True, True) == (box.text.disabled, box.submit.disabled)
    # the cell run again (tomorrow): the box remembers
    assert (
        "✓ attacker-ip: solved, 100 of 100 points"
        == answer_box("attacker-ip", session).feedback.value
    )


def test_the_hint_button_asks_before_spending(session):
    box = answer_box("attacker-ip", session)
    assert "Hint 1 (-10)" == box.hint_button.description

    box.hint_button.click()
    asked = (box.confirm.layout.display, box.confirm_label.value)
    box.no.click()
    cancelled = (box.confirm.layout.display, session.hints_seen("attacker-ip"))
    box.hint_button.click()
    box.yes.click()

    assert ("flex", "Hint 1 costs 10 points when you solve it. Show it?") == asked
    assert ("none", []) == cancelled
    assert [1] == session.hints_seen("attacker-ip")
    assert "Filter cloudtrail on the leaked access key." in box.hints.value
    assert "Hint 2 (-25)" == box.hint_button.description


def test_rerunning_the_cell_shows_the_state_from_the_log(session):
    first = answer_box("leaked-user", session)
    first.hint_button.click()
    first.yes.click()
    first.text.value = "ci-deploy"
    first.submit.click()

    again = answer_box("leaked-user", Session(session.dataset_dir, QUESTIONS, "ada"))

    assert "✓ leaked-user: solved, 40 of 50 points" == again.feedback.value
    assert "Look for calls from an unusual address." in again.hints.value
    assert ("No more hints", True) == (again.hint_button.description, again.hint_button.disabled)


def test_a_question_without_hints_has_a_disabled_button(session):
    box = answer_box("calls", session)

    assert ("No hints", True) == (box.hint_button.description, box.hint_button.disabled)
    assert "How many calls did the attacker make?" in box.prompt.value
