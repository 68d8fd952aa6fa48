"""Score from the attempts log alone.

Per question: the reward is its points less the cost of each hint used before
it was solved (hints are free once it is solved), never below a floor
(``hint_floor`` of the points, 10% unless the data set says otherwise). A solved
question earns its reward; an unsolved one earns its best partial credit
(a share of the reward). Wrong attempts cost nothing unless the data set sets
``wrong_penalty``: then each wrong or partial attempt before solving costs that
many points. Format problems never count. The total is never below 0.

The data set's settings live in ``dataset.json``::

    {"scenario": "leaked-key", "settings": {"wrong_penalty": 5, "hint_floor": 0.25}}

>>> rows = [{"type": "hint", "qid": "q1", "hint": 1},
...         {"type": "attempt", "qid": "q1", "verdict": "correct", "fraction": 1.0}]
>>> score(rows, {"q1": (100, (30,))}).total
70
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from helpers.errors import DatasetError

if TYPE_CHECKING:
    import altair as alt

DATASET_FILE = "dataset.json"


@dataclass(frozen=True)
class Settings:
    """A data set's scoring settings."""

    wrong_penalty: int = 0
    hint_floor: float = 0.1

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> Settings:
        try:
            penalty = int(data.get("wrong_penalty", 0))
            floor = float(data.get("hint_floor", 0.1))
        except (TypeError, ValueError):
            raise DatasetError(f"dataset.json settings are not numbers: {dict(data)}") from None
        if penalty < 0 or not 0 <= floor <= 1:
            raise DatasetError(
                "dataset.json settings: wrong_penalty must be >= 0 and hint_floor 0 to 1"
            )
        return cls(penalty, floor)

    @classmethod
    def from_dataset(cls, dataset_dir: Path) -> Settings:
        """The ``settings`` of ``<dataset_dir>/dataset.json`` (defaults when absent)."""
        path = Path(dataset_dir) / DATASET_FILE
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return cls()
        except ValueError as exc:
            raise DatasetError(f"{path} is not JSON ({exc})") from None
        return cls.from_mapping((info or {}).get("settings") or {})


@dataclass(frozen=True)
class QuestionScore:
    """One row of the progress table."""

    question: str
    solved: bool
    attempts: int
    hints: int
    points: int
    possible: int


@dataclass(frozen=True)
class Progress:
    """The progress table and total; shows itself (table and chart) in a notebook."""

    rows: tuple[QuestionScore, ...]
    total: int
    possible: int

    def row(self, qid: str) -> QuestionScore:
        return next(r for r in self.rows if r.question == qid)

    @property
    def solved(self) -> set[str]:
        return {r.question for r in self.rows if r.solved}

    def table(self) -> pd.DataFrame:
        """question, solved, attempts, hints, points: one row per question."""
        columns = ["question", "solved", "attempts", "hints", "points"]
        return pd.DataFrame(
            [[getattr(r, c) for c in columns] for r in self.rows], columns=columns
        ).set_index("question")

    def chart(self) -> alt.Chart:
        """Points per question against the points possible: a small bar chart."""
        from helpers.charts import progress_chart

        return progress_chart(self)

    def __str__(self) -> str:
        w = max([len("question"), *(len(r.question) for r in self.rows)])
        lines = [f"{'question':<{w}}  {'solved':<6} {'attempts':>8} {'hints':>5} {'points':>9}"]
        for r in self.rows:
            points = f"{r.points}/{r.possible}"
            mark = "yes" if r.solved else "-"
            lines.append(f"{r.question:<{w}}  {mark:<6} {r.attempts:>8} {r.hints:>5} {points:>9}")
        lines.append(f"total: {self.total} of {self.possible} points")
        return "\n".join(lines)

    def _ipython_display_(self) -> None:
        from IPython.display import Markdown, display

        display(self.table())
        display(Markdown(f"**Total: {self.total} of {self.possible} points**"))
        display(self.chart())


def score_question(
    qid: str,
    points: int,
    hint_costs: tuple[int, ...],
    records: Iterable[Mapping[str, Any]],
    settings: Settings = Settings(),
) -> QuestionScore:
    """The score of one question from its records, in log order."""
    solved = False
    best = 0.0
    attempts = wrong = 0
    paid: set[int] = set()
    seen: set[int] = set()
    for r in records:
        if r.get("qid") != qid:
            continue
        if r.get("type") == "hint":
            n = r.get("hint")
            if isinstance(n, int) and 1 <= n <= len(hint_costs):
                seen.add(n)
                if not solved:
                    paid.add(n)
        elif r.get("type") == "attempt" and not solved and r.get("verdict") != "format":
            attempts += 1
            if r.get("verdict") == "correct":
                solved, best = True, 1.0
            else:
                wrong += 1
                best = max(best, _fraction(r.get("fraction")))
    floor = math.ceil(points * settings.hint_floor)
    reward = max(points - sum(hint_costs[n - 1] for n in paid), min(floor, points))
    earned = round(reward * best) - settings.wrong_penalty * wrong
    return QuestionScore(qid, solved, attempts, len(seen), earned, points)


def score(
    records: Iterable[Mapping[str, Any]],
    questions: Mapping[str, Any],
    settings: Settings = Settings(),
) -> Progress:
    """Progress over ``questions``: ``{qid: entry}`` where an entry has ``points`` and
    ``hint_costs`` (an answers.json :class:`~helpers.quiz.answers.Entry`), or is a
    ``(points, hint_costs)`` pair. Records of other questions are ignored.
    """
    records = list(records)
    rows = []
    for qid, entry in questions.items():
        points, costs = entry if isinstance(entry, tuple) else (entry.points, entry.hint_costs)
        rows.append(score_question(qid, points, tuple(costs), records, settings))
    total = max(0, sum(r.points for r in rows))
    return Progress(tuple(rows), total, sum(r.possible for r in rows))


def _fraction(value: Any) -> float:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return 0.0
    return min(1.0, max(0.0, f)) if math.isfinite(f) else 0.0
