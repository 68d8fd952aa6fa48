"""Score arithmetic: hints, floors, partial credit, penalties; all from the log."""

from __future__ import annotations

import json

import pytest

from helpers.errors import DatasetError
from helpers.quiz.scoring import Settings, score, score_question


def hint(qid, n):
    return {"type": "hint", "qid": qid, "hint": n}


def attempt(qid, verdict, fraction=None):
    fraction = 1.0 if verdict == "correct" else (fraction or 0.0)
    return {"type": "attempt", "qid": qid, "verdict": verdict, "fraction": fraction}


COSTS = (10, 25)  # a 100-point question with two hints


@pytest.mark.parametrize(
    ("records", "points"),
    [
        ([], 0),
        ([attempt("q", "correct")], 100),
        ([hint("q", 1), attempt("q", "correct")], 90),
        ([hint("q", 1), hint("q", 2), attempt("q", "correct")], 65),
        ([hint("q", 1), hint("q", 1), attempt("q", "correct")], 90),  # a hint is paid once
        ([attempt("q", "correct"), hint("q", 1), hint("q", 2)], 100),  # free once solved
        ([attempt("q", "wrong"), attempt("q", "known_wrong"), attempt("q", "correct")], 100),
        ([attempt("q", "partial", 0.6)], 60),
        ([hint("q", 2), attempt("q", "partial", 0.6)], 45),  # a share of the reward
        ([attempt("q", "partial", 0.6), attempt("q", "partial", 0.2)], 60),  # the best counts
        ([attempt("q", "format"), attempt("q", "correct")], 100),
        ([hint("q", 3), attempt("q", "correct")], 100),  # no such hint: ignored
        ([attempt("other", "correct")], 0),
    ],
)
def test_points_without_penalties(records, points):
    assert points == score_question("q", 100, COSTS, records).points


def test_hints_never_take_a_question_below_its_floor():
    records = [hint("q", 1), hint("q", 2), attempt("q", "correct")]

    assert 10 == score_question("q", 100, (60, 60), records).points
    assert 25 == score_question("q", 100, (60, 60), records, Settings(hint_floor=0.25)).points
    assert 0 == score_question("q", 100, (60, 60), records, Settings(hint_floor=0)).points


@pytest.mark.parametrize(
    ("records", "points"),
    [
        ([attempt("q", "wrong"), attempt("q", "correct")], 95),
        ([attempt("q", "wrong"), attempt("q", "partial", 0.5), attempt("q", "correct")], 90),
        ([attempt("q", "format"), attempt("q", "correct")], 100),  # format problems are free
        ([attempt("q", "correct"), attempt("q", "wrong")], 100),  # after solving: free
        ([attempt("q", "wrong"), attempt("q", "wrong")], -10),
    ],
)
def test_wrong_attempts_cost_only_with_a_penalty(records, points):
    assert points == score_question("q", 100, COSTS, records, Settings(wrong_penalty=5)).points


def test_the_total_is_never_below_zero():
    records = [attempt("a", "wrong")] * 10 + [attempt("b", "correct")]

    progress = score(records, {"a": (100, ()), "b": (20, ())}, Settings(wrong_penalty=5))

    assert (-50, 20, 0) == (progress.rows[0].points, progress.rows[1].points, progress.total)


def test_progress_table_and_text():
    records = [
        hint("q1", 1),
        attempt("q1", "wrong"),
        attempt("q1", "correct"),
        attempt("q2", "partial", 0.5),
    ]

    progress = score(records, {"q1": (100, COSTS), "q2": (50, ()), "q3": (30, ())})

    assert [
        {"question": "q1", "solved": True, "attempts": 2, "hints": 1, "points": 90},
        {"question": "q2", "solved": False, "attempts": 1, "hints": 0, "points": 25},
        {"question": "q3", "solved": False, "attempts": 0, "hints": 0, "points": 0},
    ] == progress.table().reset_index().to_dict("records")
    assert (115, 180, {"q1"}) == (progress.total, progress.possible, progress.solved)
    assert "total: 115 of 180 points" == str(progress).splitlines()[-1]


def test_settings_come_from_dataset_json(tmp_path):
    (tmp_path / "dataset.json").write_text(
        json.dumps({"scenario": "x", "settings": {"wrong_penalty": 5, "hint_floor": 0.2}})
    )

    assert Settings(5, 0.2) == Settings.from_dataset(tmp_path)
    assert Settings(0, 0.1) == Settings.from_dataset(tmp_path / "elsewhere")


def test_nonsense_settings_say_so():
    with pytest.raises(DatasetError, match="wrong_penalty must be >= 0"):
        Settings.from_mapping({"wrong_penalty": -1})
    with pytest.raises(DatasetError, match="not numbers"):
        Settings.from_mapping({"hint_floor": "lots"})
