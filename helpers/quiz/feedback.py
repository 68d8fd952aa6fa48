"""What a learner reads after a check or a hint: the same words in a notebook and from
an event's scoreboard server (:mod:`helpers.event`), which both call these.

>>> from helpers.quiz.answers import Verdict
>>> from helpers.quiz.scoring import QuestionScore
>>> before = QuestionScore("q1", False, 0, 1, 0, 100)
>>> after = QuestionScore("q1", True, 1, 1, 90, 100)
>>> check_line("q1", Verdict("q1", "correct", "correct", 1.0), before, after, 100, 1)
'✓ q1: correct, 90 points (100 less 10 for hints and tries)'
"""

from __future__ import annotations

from helpers.quiz.answers import CORRECT, FORMAT_PROBLEM, PARTIAL, Verdict
from helpers.quiz.scoring import QuestionScore


def check_line(
    qid: str,
    verdict: Verdict,
    before: QuestionScore,
    after: QuestionScore,
    points: int,
    hints_left: int,
    wrong_penalty: int = 0,
    bonus: int = 0,
) -> str:
    """One line on a checked answer: ``before`` and ``after`` are the question's score
    around this attempt, ``points`` its full reward, ``bonus`` a speed bonus earned."""
    if verdict.status == CORRECT:
        if before.solved:
            return f"✓ {qid}: correct (already solved: {after.points} points)"
        less = points - after.points
        why = f" ({points} less {less} for hints and tries)" if less > 0 else ""
        extra = f" + {bonus} speed bonus" if bonus else ""
        return f"✓ {qid}: correct, {after.points} points{why}{extra}"
    if verdict.status == FORMAT_PROBLEM:
        return f"? {qid}: {verdict.message}"
    if before.solved:
        return f"✗ {qid}: {verdict.message} (you already solved it: {after.points} points)"
    tail = f" (-{wrong_penalty} points)" if wrong_penalty else ""
    if verdict.status == PARTIAL:
        return f"◐ {qid}: {verdict.message}: {after.points} points so far{tail}"
    if hints_left > 0 and verdict.message == "not quite":
        tail += f"; a hint: hint({qid!r})"
    return f"✗ {qid}: {verdict.message}{tail}"


def hint_note(seen_before: bool, solved: bool, cost: int) -> str:
    """What showing a hint costs, in the words of its title."""
    if seen_before:
        return "seen before, no further cost"
    if solved:
        return "free: you solved it already"
    return f"-{cost} points when you solve it" if cost else "free"


def hint_title(qid: str, n: int, total: int, note: str) -> str:
    return f"Hint {n} of {total} for {qid} ({note})"


def no_more_hints(qid: str, total: int) -> tuple[str, str]:
    """The title and text shown once every hint of a question has been seen."""
    return (
        f"{qid}: no more hints",
        f"You have seen all {total}: hint({qid!r}, 1) shows the first again.",
    )
