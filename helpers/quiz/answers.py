"""The answer file: checking answers without the answers.

A data set holds ``answers.json`` and nothing plaintext: per question its kind,
points, hint costs and a salted HMAC-SHA256 of the canonical answer (see
:mod:`helpers.quiz.normalise`). The salt is random per data set and sits in
the file. A :class:`Checker` verifies an answer from that file alone, the same
way a server could later (a server would keep the file, salt included, to
itself; in a notebook the hashes stop a glance at the key, not a determined
brute force over every address in the logs).

What is hashed, per question ``qid`` of kind ``kind`` (``\\x1f`` separates):

* one value: ``kind, qid, canonical``;
* a set: each element, ``kind, qid, element``, so "3 of 5 right, 1 extra" works;
* a list: each element with its place, ``kind, qid, "i\\x1felement"``, plus the
  elements without their places (to say "right values, wrong order");
* a float or timestamp with a tolerance ``t``: a hash cannot say "within t", so
  the value is bucketed on a grid of width ``g = t / 4`` and the bucket number
  ``floor(value / g)`` is hashed (``"~<bucket>"``). The checker hashes the bucket
  of the submitted value and its 4 neighbours on each side: every answer within
  ``t`` is accepted, and none further than ``1.25 t`` (the grid's coarseness).

Known-wrong answers (a decoy's address) are hashed the same way, each mapped to
its nudge, which is shown to the learner and so never gives the answer away.

>>> from helpers.quiz.question import Question
>>> q = Question("q1", "Which address?", "ip", 100, answer=lambda f: f["ip"])
>>> checker = Checker.from_json(answers_json([q], {"ip": "203.0.113.7"}, salt=b"s"))
>>> checker.check("q1", " 203.0.113.7 ").status
'correct'
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
import math
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from helpers.errors import DatasetError, UsageError
from helpers.quiz.normalise import NORMALISATION, Normalised, Rules, normalise
from helpers.quiz.question import Question

ANSWERS_FILE = "answers.json"
FORMAT = 1
#: Grid steps per tolerance: the grid is ``tolerance / TOLERANCE_STEPS`` wide.
TOLERANCE_STEPS = 4

CORRECT, PARTIAL, WRONG, KNOWN_WRONG, FORMAT_PROBLEM = (
    "correct",
    "partial",
    "wrong",
    "known_wrong",
    "format",
)


def digest(salt: bytes, kind: str, qid: str, canonical: str) -> str:
    """HMAC-SHA256 (hex) of one canonical value of question ``qid``."""
    message = "\x1f".join((kind, qid, canonical)).encode("utf-8", "surrogatepass")
    return hmac.new(salt, message, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Verdict:
    """What the checker thinks of one answer; ``message`` is one line for the learner.

    ``status`` is one of ``correct``, ``partial``, ``wrong``, ``known_wrong`` or
    ``format`` (the answer could not be read: nothing is held against it).
    ``fraction`` is the share of the question's credit the answer earns.
    ``digest`` is the learner's normalised answer, hashed, for the attempts log.
    """

    qid: str
    status: str
    message: str
    fraction: float = 0.0
    right: int = 0
    count: int = 1
    extra: int = 0
    digest: str | None = None

    @property
    def correct(self) -> bool:
        return self.status == CORRECT


@dataclass(frozen=True)
class Entry:
    """One question of ``answers.json``: how to normalise and what the hashes are."""

    qid: str
    kind: str
    points: int
    hint_costs: tuple[int, ...] = ()
    count: int = 1
    elements: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()
    case_sensitive: bool = False
    decimals: int | None = None
    tolerance: float = 0.0
    grid: float | None = None
    reach: int = 0
    known_wrong: Mapping[str, str] = field(default_factory=dict)

    @property
    def rules(self) -> Rules:
        return Rules(self.kind, self.choices, self.case_sensitive, self.decimals, self.tolerance)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "points": self.points,
            "hint_costs": list(self.hint_costs),
            "count": self.count,
            "elements": list(self.elements),
        }
        if self.members:
            data["members"] = list(self.members)
        if self.choices:
            data["choices"] = list(self.choices)
        if self.case_sensitive:
            data["case_sensitive"] = True
        if self.decimals is not None:
            data["decimals"] = self.decimals
        if self.grid is not None:
            data.update(tolerance=self.tolerance, grid=self.grid, reach=self.reach)
        if self.known_wrong:
            data["known_wrong"] = dict(self.known_wrong)
        return data

    @classmethod
    def from_json(cls, qid: str, data: Mapping[str, Any]) -> Entry:
        return cls(
            qid=qid,
            kind=str(data["kind"]),
            points=int(data["points"]),
            hint_costs=tuple(int(c) for c in data.get("hint_costs", ())),
            count=int(data.get("count", 1)),
            elements=tuple(data["elements"]),
            members=tuple(data.get("members", ())),
            choices=tuple(data.get("choices", ())),
            case_sensitive=bool(data.get("case_sensitive", False)),
            decimals=data.get("decimals"),
            tolerance=float(data.get("tolerance", 0.0)),
            grid=data.get("grid"),
            reach=int(data.get("reach", 0)),
            known_wrong=dict(data.get("known_wrong", {})),
        )


# -- writing ----------------------------------------------------------------------------------


def answer_key(questions: Iterable[Question], facts: Mapping[str, Any]) -> dict[str, Any]:
    """Plaintext canonical answers ``{qid: answer}``, for the trainer's key file.

    >>> q = Question("q1", "Which address?", "ip", 100, answer=lambda f: f["ip"])
    >>> answer_key([q], {"ip": "::ffff:203.0.113.7"})
    {'q1': '203.0.113.7'}
    """
    key: dict[str, Any] = {}
    for q in questions:
        rules = Rules.of(q)
        shown = expected_normalised(q, facts, replace(rules, case_sensitive=True))
        if q.kind == "choice":
            canonical = expected_normalised(q, facts, rules).values[0]
            key[q.id] = next(c for c in q.choices if normalise(c, rules).values[0] == canonical)
        elif q.kind == "int":
            key[q.id] = int(shown.values[0])
        elif q.kind == "float":
            key[q.id] = float(shown.values[0]) if q.decimals is not None else shown.number
        elif q.kind in ("set", "list"):
            key[q.id] = list(shown.values)
        else:
            key[q.id] = shown.values[0]
    return key


def answers_json(
    questions: Iterable[Question], facts: Mapping[str, Any], salt: bytes | None = None
) -> dict[str, Any]:
    """The content of ``answers.json`` for these questions and facts (see the module doc)."""
    salt = secrets.token_bytes(32) if salt is None else salt
    entries: dict[str, Any] = {}
    for q in questions:
        if q.id in entries:
            raise ValueError(f"question id {q.id} is used twice")
        entries[q.id] = _entry(q, facts, salt).to_json()
    return {
        "format": FORMAT,
        "normalisation": NORMALISATION,
        "hash": "hmac-sha256",
        "salt": salt.hex(),
        "questions": entries,
    }


def write_answers(
    dataset_dir: Path,
    questions: Iterable[Question],
    facts: Mapping[str, Any],
    salt: bytes | None = None,
) -> Path:
    """Write ``<dataset_dir>/answers.json`` (hashes only) and return its path.

    >>> write_answers(Path(tmp), questions_for("leaked-key"), facts)  # doctest: +SKIP
    PosixPath('.../answers.json')
    """
    path = Path(dataset_dir) / ANSWERS_FILE
    text = json.dumps(answers_json(questions, facts, salt), indent=1, ensure_ascii=False)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path


def expected_normalised(q: Question, facts: Mapping[str, Any], rules: Rules) -> Normalised:
    value = q.answer(facts)
    n = normalise(value, rules)
    if not n.ok:
        raise ValueError(f"question {q.id}: its answer {value!r} does not normalise: {n.problem}")
    if q.kind in ("set", "list") and isinstance(value, list | tuple):
        raw = len(value) if q.kind == "list" else len(set(value))
        if len(n.values) > raw:
            raise ValueError(f"question {q.id}: an element of {value!r} holds a separator")
    return n


def _entry(q: Question, facts: Mapping[str, Any], salt: bytes) -> Entry:
    rules = Rules.of(q)
    n = expected_normalised(q, facts, rules)
    grid = q.tolerance / TOLERANCE_STEPS if q.tolerance else None
    base = Entry(
        qid=q.id,
        kind=q.kind,
        points=q.points,
        hint_costs=tuple(h.cost for h in q.hints),
        choices=q.choices,
        case_sensitive=q.case_sensitive,
        decimals=q.decimals,
        tolerance=q.tolerance,
        grid=grid,
        reach=TOLERANCE_STEPS if grid else 0,
    )

    def h(canonical: str) -> str:
        return digest(salt, q.kind, q.id, canonical)

    if q.kind == "set":
        elements = tuple(sorted(h(e) for e in n.values))
        members: tuple[str, ...] = ()
    elif q.kind == "list":
        elements = tuple(h(f"{i}\x1f{e}") for i, e in enumerate(n.values))
        members = tuple(sorted(h(e) for e in n.values))
    else:
        elements = (h(_scalar_canonical(n, base)),)
        members = ()
    known: dict[str, str] = {}
    if q.known_wrong is not None:
        for wrong, nudge in q.known_wrong(facts).items():
            w = normalise(wrong, rules)
            if not w.ok:
                raise ValueError(f"question {q.id}: known-wrong {wrong!r}: {w.problem}")
            if q.kind in ("set", "list"):
                known.update((h(e), nudge) for e in w.values if e not in n.values)
            elif w.values == n.values:
                raise ValueError(f"question {q.id}: known-wrong {wrong!r} is the answer")
            else:
                known[h(_scalar_canonical(w, base))] = nudge
    return replace(base, count=len(n.values), elements=elements, members=members, known_wrong=known)


def _scalar_canonical(n: Normalised, entry: Entry, shift: int = 0) -> str:
    """The hashed text of a one-value answer: its canonical text, or its bucket."""
    if entry.grid and n.number is not None:
        return f"~{math.floor(n.number / entry.grid) + shift}"
    return n.values[0]


# -- checking ---------------------------------------------------------------------------------


class Checker:
    """Checks answers against ``answers.json`` alone: no plaintext answer needed.

    >>> checker = Checker.load(dataset_dir)  # doctest: +SKIP
    >>> checker.check("q2", "10.0.0.5, 10.0.0.6").message  # doctest: +SKIP
    '1 of 3 right'
    """

    def __init__(self, entries: Mapping[str, Entry], salt: bytes) -> None:
        self.entries = dict(entries)
        self.salt = salt

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checker:
        found = (data.get("format"), data.get("normalisation"))
        if found != (FORMAT, NORMALISATION):
            raise DatasetError(
                f"answers.json has format/normalisation {found}, this kit reads "
                f"{(FORMAT, NORMALISATION)}: regenerate the data set with `gameday generate`"
            )
        questions = data["questions"]
        return cls(
            {qid: Entry.from_json(qid, e) for qid, e in questions.items()},
            bytes.fromhex(data["salt"]),
        )

    @classmethod
    def load(cls, path: Path) -> Checker:
        """From ``answers.json``, or the data set folder holding it."""
        path = Path(path)
        if path.is_dir():
            path = path / ANSWERS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls.from_json(data)
        except FileNotFoundError:
            raise DatasetError(
                f"no {ANSWERS_FILE} at {path.parent}: regenerate the data set with "
                "`gameday generate`"
            ) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{path} is damaged ({exc}): regenerate the data set") from None

    @property
    def ids(self) -> list[str]:
        return list(self.entries)

    def entry(self, qid: str) -> Entry:
        """The entry of ``qid``; an unknown id raises UsageError naming the closest ids."""
        try:
            return self.entries[qid]
        except (KeyError, TypeError):
            raise UnknownQuestion(qid, self.ids) from None

    def check(self, qid: str, answer: Any) -> Verdict:
        """The verdict on ``answer``; never raises for any answer (only for an unknown id)."""
        entry = self.entry(qid)
        n = normalise(answer, entry.rules)
        if not n.ok:
            return Verdict(
                qid, FORMAT_PROBLEM, n.problem or "could not read that answer", count=entry.count
            )
        try:
            if entry.kind == "set":
                return self._set(entry, n)
            if entry.kind == "list":
                return self._list(entry, n)
            return self._scalar(entry, n)
        except Exception as exc:  # a damaged entry must not break a notebook
            return Verdict(qid, FORMAT_PROBLEM, f"could not check that answer ({exc})")

    def _h(self, entry: Entry, canonical: str) -> str:
        return digest(self.salt, entry.kind, entry.qid, canonical)

    def _scalar(self, entry: Entry, n: Normalised) -> Verdict:
        shifts = range(-entry.reach, entry.reach + 1) if entry.grid else range(1)
        candidates = [self._h(entry, _scalar_canonical(n, entry, s)) for s in shifts]
        mine = self._h(entry, _scalar_canonical(n, entry))
        if any(c in entry.elements for c in candidates):
            return Verdict(entry.qid, CORRECT, "correct", 1.0, 1, 1, 0, mine)
        for c in candidates:
            if c in entry.known_wrong:
                return Verdict(entry.qid, KNOWN_WRONG, entry.known_wrong[c], digest=mine)
        return Verdict(entry.qid, WRONG, "not quite", digest=mine)

    def _set(self, entry: Entry, n: Normalised) -> Verdict:
        got = {self._h(entry, e): e for e in n.values}
        expected = set(entry.elements)
        right = len(got.keys() & expected)
        wrong = [d for d in got if d not in expected]
        return self._partial(entry, n, right, len(wrong), wrong, "right")

    def _list(self, entry: Entry, n: Normalised) -> Verdict:
        right = sum(
            1
            for i, e in enumerate(n.values[: entry.count])
            if self._h(entry, f"{i}\x1f{e}") == entry.elements[i]
        )
        extra = max(0, len(n.values) - entry.count)
        mine = sorted(self._h(entry, e) for e in n.values)
        wrong = [d for d in mine if d not in set(entry.members)]
        verdict = self._partial(entry, n, right, extra, wrong, "in the right place")
        if verdict.status != CORRECT and mine == sorted(entry.members):
            where = f"only {right} of {entry.count}" if right else "none"
            message = f"the right values, but {where} in the right place"
            return replace(verdict, message=message)
        return verdict

    def _partial(
        self, entry: Entry, n: Normalised, right: int, extra: int, wrong: Sequence[str], said: str
    ) -> Verdict:
        mine = self._h(entry, "\x1e".join(n.values))
        count = entry.count
        if right == count and extra == 0:
            return Verdict(entry.qid, CORRECT, "correct", 1.0, right, count, 0, mine)
        nudges = list(dict.fromkeys(entry.known_wrong[d] for d in wrong if d in entry.known_wrong))
        fraction = max(0, right - extra) / count if count else 0.0
        if right == 0:
            status, message = (KNOWN_WRONG, nudges[0]) if nudges else (WRONG, "not quite")
            return Verdict(entry.qid, status, message, 0.0, 0, count, extra, mine)
        message = f"{right} of {count} {said}" + (f", {extra} extra" if extra else "")
        if nudges:
            message += f" ({nudges[0]})"
        return Verdict(entry.qid, PARTIAL, message, fraction, right, count, extra, mine)


class UnknownQuestion(UsageError):
    """A question id that is not in the data set; the message names the closest ids."""

    def __init__(self, qid: object, ids: Sequence[str]) -> None:
        close = difflib.get_close_matches(str(qid), ids, n=3, cutoff=0.5)
        if close:
            tail = f"did you mean {' or '.join(close)}?"
        else:
            shown = ", ".join(ids[:12]) + (", ..." if len(ids) > 12 else "")
            tail = f"the questions are {shown}" if ids else "this data set has no questions"
        super().__init__(f"no question {qid!r}: {tail}")
