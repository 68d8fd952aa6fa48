"""The storylines a data set can hide, by name, and the questions of each.

``gameday scenarios`` lists them; ``gameday generate --scenario NAME`` picks one.
"""

from __future__ import annotations

from helpers.errors import UsageError
from helpers.quiz.question import Question
from helpers.storylines import start_here
from helpers.storylines.base import Injection, Step, Storyline
from helpers.storylines.ci_persistence import CiPersistence
from helpers.storylines.console_ransomware import ConsoleRansomware
from helpers.storylines.leaked_key import LeakedKey
from helpers.storylines.ssh_c2 import SshC2
from helpers.storylines.ssrf_imds import SsrfImds

STORYLINES: dict[str, Storyline] = {
    s.name: s for s in (LeakedKey(), SsrfImds(), ConsoleRansomware(), SshC2(), CiPersistence())
}


def get_storyline(name: str) -> Storyline:
    """The storyline called ``name``; a clear error lists the known ones."""
    try:
        return STORYLINES[name]
    except KeyError:
        known = ", ".join(STORYLINES)
        raise UsageError(f"unknown scenario {name!r}: choose one of {known}") from None


def questions_for(scenario: str) -> tuple[Question, ...]:
    """Every question of a data set of this scenario: the warm-ups, then the storyline's."""
    return start_here.QUESTIONS + get_storyline(scenario).questions


__all__ = ["STORYLINES", "Injection", "Step", "Storyline", "get_storyline", "questions_for"]
