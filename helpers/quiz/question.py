"""A quiz question as data: its prompt, its kind, its points, its hints.

A storyline module declares its questions beside its steps. The answer is
never written down: ``answer(facts)`` derives it from the storyline's
ground-truth facts, so the key follows the seed.

>>> q = Question("q1", "Which address sent the first call?", "ip", 100,
...              answer=lambda facts: facts["attacker_ip"],
...              hints=(Hint("Sort cloudtrail by event_time.", 10),))
>>> q.answer({"attacker_ip": "203.0.113.7"})
'203.0.113.7'
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: Every kind of answer the checker knows, with the format line a prompt shows
#: when the question does not give its own ``answer_format``.
KINDS: dict[str, str] = {
    "text": "a word or short phrase (case does not matter)",
    "choice": "a letter (a, b, ...) or the text of a choice",
    "ip": "an IP address, e.g. 203.0.113.7",
    "int": "a whole number, e.g. 1234 or 1,234",
    "float": "a number",
    "timestamp": "a UTC time, e.g. 2026-03-05T14:02:11Z",
    "set": "several values in any order, separated by commas, spaces or new lines",
    "list": "several values in order, separated by commas, spaces or new lines",
}


@dataclass(frozen=True)
class Hint:
    """A hint and the points it costs (off the question's reward when solved)."""

    text: str
    cost: int


@dataclass(frozen=True)
class Question:
    """One quiz question; ``answer(facts)`` derives the expected answer.

    ``known_wrong(facts)`` returns ``{wrong answer: nudge}`` for answers that are
    wrong for an instructive reason (a decoy's address, the audit role); the
    nudge must not give the answer away.
    """

    id: str
    prompt: str
    kind: str
    points: int
    answer: Callable[[Mapping[str, Any]], Any]
    hints: tuple[Hint, ...] = ()
    explanation: str = ""
    answer_format: str = ""
    choices: tuple[str, ...] = ()
    tolerance: float = 0.0
    decimals: int | None = None
    case_sensitive: bool = False
    known_wrong: Callable[[Mapping[str, Any]], Mapping[str, str]] | None = None
    step: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"question {self.id}: kind {self.kind!r} is not one of {list(KINDS)}")
        if not self.id or any(c.isspace() for c in self.id):
            raise ValueError(f"question id {self.id!r} must be one word")
        if self.points < 0:
            raise ValueError(f"question {self.id}: points must be >= 0")
        if self.kind == "choice" and len(self.choices) < 2:
            raise ValueError(f"question {self.id}: a choice question needs two or more choices")
        if self.kind != "choice" and self.choices:
            raise ValueError(f"question {self.id}: only choice questions have choices")
        if not math.isfinite(self.tolerance) or self.tolerance < 0:
            raise ValueError(f"question {self.id}: tolerance must be a number >= 0")
        if self.tolerance and self.kind not in ("float", "timestamp"):
            raise ValueError(f"question {self.id}: only float and timestamp take a tolerance")
        if self.decimals is not None and (self.kind != "float" or self.decimals < 0):
            raise ValueError(f"question {self.id}: decimals (>= 0) is for float questions")
        if any(h.cost < 0 for h in self.hints):
            raise ValueError(f"question {self.id}: hint costs must be >= 0")

    @property
    def format_help(self) -> str:
        """The answer format a prompt shows: the question's own, else its kind's."""
        if self.answer_format:
            return self.answer_format
        text = KINDS[self.kind]
        if self.kind == "float" and self.decimals is not None:
            text += f", rounded to {self.decimals} decimal places"
        elif self.tolerance and self.kind == "float":
            text += f" (within {self.tolerance:g})"
        elif self.tolerance:
            text += f" (within {self.tolerance:g} seconds)"
        return text


def nudge(
    key: str | Callable[[Mapping[str, Any]], Any], text: str, unless: str | None = None
) -> Callable[[Mapping[str, Any]], dict[str, str]]:
    """A ``known_wrong``: ``{facts[key]: text}`` (or ``{key(facts): text}``), a wrong answer
    a decoy gives and its nudge. None when the fact is missing, or when it is the answer
    itself on this seed (``facts[unless]``). A list is the answer as one would type it.

    >>> nudge("decoy_ip", "That is the scanner.")({"decoy_ip": "192.0.2.1"})
    {'192.0.2.1': 'That is the scanner.'}
    """

    def known_wrong(facts: Mapping[str, Any]) -> dict[str, str]:
        value = key(facts) if callable(key) else facts.get(key)
        if value is None or value == []:
            return {}
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        if unless is not None and str(value).lower() == str(facts.get(unless)).lower():
            return {}
        return {str(value): text}

    return known_wrong


def nudges(
    *each: Callable[[Mapping[str, Any]], dict[str, str]],
) -> Callable[[Mapping[str, Any]], dict[str, str]]:
    """Several known-wrong answers of one question, as one ``known_wrong``."""

    def known_wrong(facts: Mapping[str, Any]) -> dict[str, str]:
        out: dict[str, str] = {}
        for one in each:
            out.update(one(facts))
        return out

    return known_wrong
