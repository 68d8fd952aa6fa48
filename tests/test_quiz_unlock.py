"""The sealed debrief opens with every required correct answer, and not before."""

from __future__ import annotations

import json

import pytest

from helpers.notebook import Session
from helpers.quiz import unlock
from helpers.quiz.answers import Checker, expected_normalised
from helpers.quiz.normalise import Rules
from helpers.storylines import questions_for

pytestmark = pytest.mark.slow


def tokens_of_key(salt: bytes, questions, facts) -> dict[str, str]:
    by_id = {q.id: q for q in questions}
    return {
        qid: unlock.token(
            salt, qid, by_id[qid].kind, expected_normalised(by_id[qid], facts, Rules.of(by_id[qid]))
        )
        for qid in unlock.required(questions)
    }


def test_seal_opens_only_with_every_token():
    tokens = {"a": "1" * 64, "b": "2" * 64}
    sealed = unlock.seal({"timeline": [1, 2]}, tokens, ["a", "b"])

    assert {"timeline": [1, 2]} == unlock.open_seal(sealed, tokens)
    assert unlock.open_seal(sealed, {"a": tokens["a"]}) is None
    assert unlock.open_seal(sealed, {**tokens, "b": "3" * 64}) is None


def test_the_data_set_reveals_the_true_timeline_to_a_learner_who_solved_everything(
    small_dataset, tmp_path
):
    from conftest import key_of

    key = json.loads(key_of(small_dataset).read_text())
    session = Session(small_dataset, participant="unlock-test")
    session.log.path.unlink(missing_ok=True)

    sealed = session.attack_timeline()
    assert "still sealed" in sealed.title

    for qid, answer in key["answers"].items():
        assert session.check(qid, answer).correct, qid
    chart = session.attack_timeline()
    spec = chart.to_dict()
    shown = {row["_label"] for rows in spec["datasets"].values() for row in rows if "_label" in row}
    assert {f"{row['what']} ×{row['count']}" for row in key["timeline"]} == shown
    session.log.path.unlink()


def test_unlock_tokens_match_between_generator_and_checker(small_dataset):
    from conftest import key_of

    key = json.loads(key_of(small_dataset).read_text())
    questions = questions_for(key["scenario"])
    salt = Checker.load(small_dataset).salt
    expected = tokens_of_key(salt, questions, key["facts"])
    sealed = json.loads((small_dataset / unlock.SEALED_FILE).read_text())
    assert unlock.open_seal(sealed, expected) is not None
