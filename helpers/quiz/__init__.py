"""The quiz engine: questions, answer normalisation, hashed answers, attempts and scores.

* :mod:`~helpers.quiz.question`: :class:`Question` and :class:`Hint`, as data;
* :mod:`~helpers.quiz.normalise`: any answer to canonical text, or what to fix;
* :mod:`~helpers.quiz.answers`: ``answers.json`` (hashes only) and the :class:`Checker`;
* :mod:`~helpers.quiz.attempts`: the append-only attempts log per participant;
* :mod:`~helpers.quiz.scoring`: points, hints and penalties, from the log alone.

The notebook API over these is :mod:`helpers.notebook`.
"""

from __future__ import annotations

from helpers.quiz.answers import Checker, Verdict, answer_key, write_answers
from helpers.quiz.attempts import AttemptsLog, participant_name
from helpers.quiz.normalise import Normalised, Rules, normalise
from helpers.quiz.question import KINDS, Hint, Question
from helpers.quiz.scoring import Progress, Settings, score

__all__ = [
    "KINDS",
    "AttemptsLog",
    "Checker",
    "Hint",
    "Normalised",
    "Progress",
    "Question",
    "Rules",
    "Settings",
    "Verdict",
    "answer_key",
    "normalise",
    "participant_name",
    "score",
    "write_answers",
]
