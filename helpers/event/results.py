"""The ranking, the score over time, and the export: all from the records alone.

A team's points on a question follow :func:`helpers.quiz.scoring.score_question`,
as in a notebook (hint costs off the reward, partial credit, a penalty per wrong
answer when the event sets one); on top, a speed bonus goes to the first teams to
solve each question, in the order of the records. The total is never below 0.

>>> board = standings(store.records(), event.teams, entries, settings)  # doctest: +SKIP
>>> board["teams"][0]["points"]  # doctest: +SKIP
420
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.event.config import Team, write_private
from helpers.quiz.answers import Entry
from helpers.quiz.scoring import QuestionScore, Settings, score_question

EXPORT_COLUMNS = (
    "rank",
    "team",
    "name",
    "question",
    "solved",
    "solved_elapsed_s",
    "solved_at",
    "attempts",
    "wrong",
    "hints",
    "hint_cost",
    "points",
    "bonus",
)


@dataclass
class TeamState:
    """A team's standing while the records are played back."""

    team: Team
    by_question: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))
    scores: dict[str, QuestionScore] = field(default_factory=dict)
    bonus: dict[str, int] = field(default_factory=dict)
    solved: dict[str, dict[str, Any]] = field(default_factory=dict)
    points: int = 0  # the questions' points, bonus aside (may be below 0 with penalties)
    total: int = 0
    last_change: float = 0.0
    series: list[list[float]] = field(default_factory=lambda: [[0.0, 0]])


class Playback:
    """Every team's standing, fed the records in the order they happened; fed more
    later, it is up to date again without playing the old ones back.

    >>> board = Playback(teams, entries, settings).feed(store.records()).board()  # doctest: +SKIP
    """

    def __init__(
        self,
        teams: Sequence[Team],
        entries: Mapping[str, Entry],
        settings: Settings,
        speed_bonus: Sequence[int] = (),
    ) -> None:
        self.state = {t.id: TeamState(t) for t in teams}
        self.entries = entries
        self.settings = settings
        self.speed_bonus = tuple(speed_bonus)
        self.solvers: dict[str, int] = defaultdict(int)
        #: The id of the last record fed.
        self.last_id = 0

    def feed(self, records: Iterable[Mapping[str, Any]]) -> Playback:
        for r in records:
            self.last_id = max(self.last_id, int(r.get("id") or 0))
            t = self.state.get(r["team"])
            entry = self.entries.get(r["qid"])
            if t is None or entry is None:
                continue
            qid = entry.qid
            mine = t.by_question[qid]
            mine.append(r)
            if qid in t.solved:
                continue  # nothing after the solve changes a question's points
            if r["type"] == "attempt" and r["verdict"] == "correct":
                rank = self.solvers[qid]
                self.solvers[qid] += 1
                t.bonus[qid] = self.speed_bonus[rank] if rank < len(self.speed_bonus) else 0
                t.solved[qid] = dict(r)
            old = t.scores[qid].points if qid in t.scores else 0
            t.scores[qid] = score_question(qid, entry.points, entry.hint_costs, mine, self.settings)
            t.points += t.scores[qid].points - old
            total = max(0, t.points + sum(t.bonus.values()))
            if total != t.total:
                t.total = total
                t.last_change = float(r["elapsed"])
                t.series.append([round(float(r["elapsed"]), 1), total])
        return self

    def ranked(self) -> list[TeamState]:
        """Most points first; on a tie, who got there first; then by name."""
        return sorted(self.state.values(), key=lambda t: (-t.total, t.last_change, t.team.name))

    def board(self) -> dict[str, Any]:
        """The scoreboard: teams ranked, solves per question, each team's score over time."""
        rows = [
            {
                "rank": rank,
                "id": t.team.id,
                "name": t.team.name,
                "points": t.total,
                "solved": len(t.solved),
                "solves": {q: round(float(r["elapsed"]), 1) for q, r in t.solved.items()},
                "series": list(t.series),
            }
            for rank, t in enumerate(self.ranked(), start=1)
        ]
        questions = [
            {"id": qid, "points": e.points, "solves": self.solvers.get(qid, 0)}
            for qid, e in self.entries.items()
        ]
        return {"teams": rows, "questions": questions}


def play(
    records: Iterable[Mapping[str, Any]],
    teams: Sequence[Team],
    entries: Mapping[str, Entry],
    settings: Settings,
    speed_bonus: Sequence[int] = (),
) -> dict[str, TeamState]:
    """Every team's state after the records: per question its records, score, speed
    bonus and solving record; the total and its history."""
    return Playback(teams, entries, settings, speed_bonus).feed(records).state


def standings(
    records: Sequence[Mapping[str, Any]],
    teams: Sequence[Team],
    entries: Mapping[str, Entry],
    settings: Settings,
    speed_bonus: Sequence[int] = (),
    cutoff: float | None = None,
) -> dict[str, Any]:
    """The scoreboard of these records; those after event time ``cutoff`` (a frozen
    board) are left out."""
    if cutoff is not None:
        records = [r for r in records if r["elapsed"] <= cutoff]
    return Playback(teams, entries, settings, speed_bonus).feed(records).board()


def export_rows(
    records: Sequence[Mapping[str, Any]],
    teams: Sequence[Team],
    entries: Mapping[str, Entry],
    settings: Settings,
    speed_bonus: Sequence[int],
) -> list[dict[str, Any]]:
    """Per team and question: solved, when, attempts, wrong ones, hints, points, bonus."""
    playback = Playback(teams, entries, settings, speed_bonus).feed(records)
    out = []
    for rank, t in enumerate(playback.ranked(), start=1):
        for qid in entries:
            mine = t.by_question.get(qid, [])
            s = t.scores.get(qid)
            solve = t.solved.get(qid)
            attempts = [r for r in mine if r["type"] == "attempt"]
            hints = [r for r in mine if r["type"] == "hint"]
            out.append(
                {
                    "rank": rank,
                    "team": t.team.id,
                    "name": t.team.name,
                    "question": qid,
                    "solved": solve is not None,
                    "solved_elapsed_s": round(float(solve["elapsed"]), 1) if solve else None,
                    "solved_at": _iso(solve["at"]) if solve else None,
                    "attempts": len(attempts),
                    "wrong": sum(1 for r in attempts if r["verdict"] != "correct"),
                    "hints": len(hints),
                    "hint_cost": sum(int(r["cost"] or 0) for r in hints),
                    "points": s.points if s is not None else 0,
                    "bonus": t.bonus.get(qid, 0),
                }
            )
    return out


def to_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """The export rows as CSV, one line per team and question."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: ("" if row[k] is None else row[k]) for k in EXPORT_COLUMNS})
    return buffer.getvalue()


def public_record(r: Mapping[str, Any]) -> dict[str, Any]:
    """A record for the export: what happened and when, without digests or tokens."""
    out = {k: r[k] for k in ("id", "team", "type", "qid", "elapsed") if k in r}
    out["at"] = _iso(r["at"])
    if r["type"] == "attempt":
        out.update(verdict=r["verdict"], fraction=r["fraction"])
    else:
        out.update(hint=r["hint"], cost=r["cost"])
    if "reset_at" in r:
        out["reset_at"] = _iso(r["reset_at"])
    return out


def _iso(seconds: float) -> str:
    return (
        dt.datetime.fromtimestamp(float(seconds), dt.UTC)
        .isoformat(timespec="milliseconds")
        .replace("+00:00", "Z")
    )


def export_results(event_dir: Path, out: Path | None = None) -> tuple[Path, Path]:
    """Write ``results.csv`` and ``results.json`` of an event (from its database, with
    or without a server running) into ``out`` (default: the event folder); their paths.

    >>> export_results(Path("events/dec"))  # doctest: +SKIP
    """
    from helpers.event.game import Game  # it plays these results back: imported on use

    game = Game.open(Path(event_dir))
    try:
        rows, document = game.export()
    finally:
        game.store.close()
    folder = Path(out) if out is not None else Path(event_dir)
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = write_private(folder / "results.csv", to_csv(rows))
    json_path = write_private(folder / "results.json", json.dumps(document, indent=1) + "\n")
    return csv_path, json_path
