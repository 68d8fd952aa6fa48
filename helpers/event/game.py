"""The rules of play: a team's answer checked, recorded and scored; hints bought; the
clock; the boards. The HTTP server (:mod:`helpers.event.server`) is a thin shell over
:class:`Game`, and so is ``gameday event export``.

Answers are checked as in a notebook: the team's own data set's ``answers.json``
(kept in the event folder, never in a bundle) and the same
:class:`~helpers.quiz.answers.Checker`, so normalisation, partial credit and the
nudges of known-wrong answers are the notebook's. What a team reads is the notebook's
line (:mod:`helpers.quiz.feedback`).

Outcomes of an attempt (``status``, as CTFd names them): ``correct``, ``incorrect``,
``partial``, ``already_solved`` (checked, not recorded), ``format`` (unreadable, not
recorded); refused with nothing recorded: ``ratelimited`` (too many wrong answers to
one question in a minute), ``not_started``, ``paused``, ``ended``.

Writes (attempts, hints, the clock, a reset) are coroutines: their jobs wait for the
store's group commit while the event loop serves others.

Everything that changes lives in the database, not in a :class:`Game`: the clock is read
back where it is used (parsed again only when it changed), a board is cached against
the last record and trainer's action written. So several server processes, each with
a :class:`Game` of its own, play one event.

>>> game = Game.open(Path("events/dec"))  # doctest: +SKIP
>>> outcome = asyncio.run(  # doctest: +SKIP
...     game.attempt("team-01", dataset_id, "leaked-key.q01", "203.0.113.7"))
>>> outcome["status"]  # doctest: +SKIP
'correct'
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from helpers.errors import GameDayError, UsageError
from helpers.event import results
from helpers.event.clock import ENDED, NOT_STARTED, PAUSED, RUNNING, Clock
from helpers.event.config import DB_FILE, Event, Team
from helpers.event.store import Marks, Store
from helpers.quiz import unlock
from helpers.quiz.answers import CORRECT, FORMAT_PROBLEM, PARTIAL, Checker, Entry, UnknownQuestion
from helpers.quiz.feedback import check_line, hint_note, hint_title, no_more_hints
from helpers.quiz.normalise import normalise
from helpers.quiz.question import Question
from helpers.quiz.scoring import Settings, score_question

#: Wrong answers are counted over this window for the rate limit.
RATE_WINDOW = 60.0

_CLOSED = {
    NOT_STARTED: "the event has not started yet",
    PAUSED: "the event is paused",
    ENDED: "the event is over",
}


class Refused(GameDayError):
    """A request the server turns down: an HTTP status, an outcome, a line to show."""

    def __init__(self, http: int, status: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.http = http
        self.status = status
        self.message = message
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"status": self.status, "message": self.message, **self.extra}


class Game:
    """An event in play: its teams, their checkers, the store, the clock."""

    def __init__(self, event: Event, store: Store, now: Callable[[], float] = time.time) -> None:
        self.event = event
        self.store = store
        self.now = now
        rules = event.rules
        self.settings = Settings(rules.wrong_penalty, rules.hint_floor)
        self.teams: dict[str, Team] = {t.id: t for t in event.teams}
        loaded: dict[str, Checker] = {}
        self.checkers: dict[str, Checker] = {}
        for t in event.teams:
            if t.answers not in loaded:
                loaded[t.answers] = Checker.load(event.folder / t.answers)
            self.checkers[t.id] = loaded[t.answers]
        if not self.checkers:
            raise UsageError(f"event {event.name} has no teams")
        #: Points and hint costs per question: the same in every team's data set.
        self.entries: dict[str, Entry] = dict(next(iter(loaded.values())).entries)
        self.texts = _question_texts(event.scenario)
        store.sync_teams(event.teams)
        #: The clock before the trainer's first action.
        self._unset = Clock(rules.minutes * 60, freeze_minutes=rules.freeze_minutes)
        #: The stored clock as last read, and its parse.
        self._clock_memo: tuple[str | None, Clock] = (None, self._unset)
        self._boards: dict[bool, _Board] = {}
        self._board_lock = threading.Lock()

    @classmethod
    def open(cls, folder: Path) -> Game:
        """The event in ``folder`` with its database (created on first use)."""
        event = Event.load(folder)
        return cls(event, Store(event.folder / DB_FILE))

    # -- who asks

    def team_for(self, team_id: str, dataset: str) -> tuple[Team, Checker]:
        team = self.teams[team_id]
        if dataset != team.dataset:
            raise Refused(
                403,
                "forbidden",
                "that data set is not your team's: use the data set of your team's bundle",
            )
        return team, self.checkers[team_id]

    def entry(self, checker: Checker, qid: str) -> Entry:
        try:
            return checker.entry(qid)
        except UnknownQuestion as exc:
            raise Refused(404, "unknown_question", str(exc)) from None

    def _stored_clock(self, con: sqlite3.Connection | None = None) -> Clock:
        """The clock as stored (by this process or another); in a write job, pass its
        connection: the job then sees the clock it will be recorded under."""
        state = self.store.clock_state(con)
        memo = self._clock_memo
        if state != memo[0]:
            memo = (state, Clock(**json.loads(state)) if state else self._unset)
            self._clock_memo = memo
        return memo[1]

    def _open_for_play(self, clock: Clock, now: float, qid: str) -> None:
        status = clock.status(now)
        if status != RUNNING:
            raise Refused(
                403,
                status,
                f"· {qid}: not recorded: {_CLOSED[status]}",
                clock=clock.to_public(now),
            )

    # -- attempts

    async def attempt(self, team_id: str, dataset: str, qid: str, answer: Any) -> dict[str, Any]:
        """Check a team's answer; record it unless it is refused; the outcome as JSON.

        The answer is checked here; whether it counts (the clock, solved already, the
        rate limit) is decided in the write job, in the order of the records.
        """
        team, checker = self.team_for(team_id, dataset)
        entry = self.entry(checker, qid)
        verdict = checker.check(qid, answer)
        unlock_token = None
        if verdict.status == CORRECT and not entry.tolerance and entry.kind != "float":
            n = normalise(answer, entry.rules)
            unlock_token = unlock.token(checker.salt, qid, entry.kind, n)
        limit = self.event.rules.wrong_per_minute

        def job(con: sqlite3.Connection) -> tuple[list[dict[str, Any]], dict[str, Any] | None, int]:
            now = self.now()
            clock = self._stored_clock(con)
            self._open_for_play(clock, now, qid)
            mine = self.store.records(team.id, qid, con=con)
            solved = score_question(qid, entry.points, entry.hint_costs, mine, self.settings).solved
            if verdict.status == FORMAT_PROBLEM or solved:
                return mine, None, 0
            if self.store.wrong_since(con, team.id, qid, now - RATE_WINDOW) >= limit:
                raise Refused(
                    429,
                    "ratelimited",
                    f"⏳ {qid}: not recorded: {limit} wrong answers in a minute is the limit; "
                    "wait a minute, then try again",
                    retry_after=int(RATE_WINDOW),
                )
            record: dict[str, Any] = {
                "team": team.id,
                "type": "attempt",
                "qid": qid,
                "verdict": verdict.status,
                "fraction": round(verdict.fraction, 4),
                "digest": verdict.digest,
                "unlock": unlock_token,
                "at": now,
                "elapsed": clock.elapsed(now),
            }
            record["id"] = self.store.insert(con, record)
            if verdict.status != CORRECT:
                return mine, record, 0
            rank = self.store.solvers_before(qid, record["id"], con=con)
            return mine, record, _nth(self.event.rules.speed_bonus, rank)

        mine, record, bonus = await self.store.arun(job)
        before = score_question(qid, entry.points, entry.hint_costs, mine, self.settings)
        hints_left = len(entry.hint_costs) - before.hints
        if record is None:
            line = check_line(qid, verdict, before, before, entry.points, hints_left)
            status = "format" if verdict.status == FORMAT_PROBLEM else "already_solved"
            return self._outcome(status, verdict, line, before.points, entry)
        after = score_question(qid, entry.points, entry.hint_costs, [*mine, record], self.settings)
        line = check_line(
            qid,
            verdict,
            before,
            after,
            entry.points,
            hints_left,
            self.event.rules.wrong_penalty,
            bonus,
        )
        status = {CORRECT: "correct", PARTIAL: "partial"}.get(verdict.status, "incorrect")
        return self._outcome(
            status, verdict, line, after.points, entry, id=record["id"], bonus=bonus
        )

    @staticmethod
    def _outcome(
        status: str, verdict: Any, line: str, points: int, entry: Entry, **extra: Any
    ) -> dict[str, Any]:
        return {
            "status": status,
            "verdict": verdict.status,
            "correct": verdict.status == CORRECT,
            "message": verdict.message,
            "fraction": round(verdict.fraction, 4),
            "line": line,
            "points": points,
            "possible": entry.points,
            "recorded": "id" in extra,
            **extra,
        }

    # -- hints

    async def hint(self, team_id: str, dataset: str, qid: str, n: int | None) -> dict[str, Any]:
        """Show hint ``n`` (default: the next one not seen) and record it; its cost comes
        off the question's reward when the team solves it."""
        team, checker = self.team_for(team_id, dataset)
        entry = self.entry(checker, qid)
        question = self.texts.get(qid)
        texts = question.hints if question is not None else ()
        if not entry.hint_costs or not texts:
            return {
                "status": "none",
                "title": f"{qid}: no hints",
                "text": "This question has no hints.",
            }
        total = len(texts)
        if n is not None and not 1 <= n <= total:
            raise Refused(
                422,
                "invalid",
                f"{qid} has {total} hint(s): hint({qid!r}, 1) to hint({qid!r}, {total})",
            )

        def job(con: sqlite3.Connection) -> dict[str, Any]:
            now = self.now()
            clock = self._stored_clock(con)
            self._open_for_play(clock, now, qid)
            mine = self.store.records(team.id, qid, con=con)
            used = {r["hint"] for r in mine if r["type"] == "hint"}
            shown = n
            if shown is None:
                shown = next((i for i in range(1, total + 1) if i not in used), None)
                if shown is None:
                    title, text = no_more_hints(qid, total)
                    return {"status": "none", "title": title, "text": text}
            cost = entry.hint_costs[shown - 1] if shown <= len(entry.hint_costs) else 0
            solved = score_question(qid, entry.points, entry.hint_costs, mine, self.settings).solved
            record_id = None
            if shown not in used:
                record_id = self.store.insert(
                    con,
                    {
                        "team": team.id,
                        "type": "hint",
                        "qid": qid,
                        "hint": shown,
                        "cost": 0 if solved else cost,
                        "at": now,
                        "elapsed": clock.elapsed(now),
                    },
                )
            return {
                "status": "shown",
                "n": shown,
                "total": total,
                "cost": 0 if solved or shown in used else cost,
                "title": hint_title(qid, shown, total, hint_note(shown in used, solved, cost)),
                "text": texts[shown - 1].text,
                "recorded": record_id is not None,
                "id": record_id,
            }

        return await self.store.arun(job)

    # -- a team's progress

    def progress(self, team_id: str, dataset: str) -> dict[str, Any]:
        """Per question: solved, attempts, hints seen, points, bonus; the total; the
        debrief's unlock tokens of the questions solved."""
        team, checker = self.team_for(team_id, dataset)
        records = self.store.records(team.id)
        state = results.play(records, [team], checker.entries, self.settings, ())[team.id]
        bonus = {
            qid: _nth(self.event.rules.speed_bonus, self.store.solvers_before(qid, r["id"]))
            for qid, r in state.solved.items()
        }
        rows = []
        for qid, entry in checker.entries.items():
            s = state.scores.get(qid)
            seen = sorted(r["hint"] for r in state.by_question.get(qid, []) if r["type"] == "hint")
            rows.append(
                {
                    "question": qid,
                    "solved": s.solved if s else False,
                    "attempts": s.attempts if s else 0,
                    "hints": len(seen),
                    "hints_seen": seen,
                    "points": s.points if s else 0,
                    "possible": entry.points,
                    "bonus": bonus.get(qid, 0),
                }
            )
        return {
            "team": team.id,
            "name": team.name,
            "questions": rows,
            "total": max(0, sum(r["points"] for r in rows) + sum(bonus.values())),
            "possible": sum(e.points for e in checker.entries.values()),
            "unlock": {r["qid"]: r["unlock"] for r in records if r.get("unlock")},
            "clock": self.clock(),
        }

    # -- the boards

    def clock(self, now: float | None = None) -> dict[str, Any]:
        return self._stored_clock().to_public(self.now() if now is None else now)

    def scoreboard(self, live: bool = False) -> dict[str, Any]:
        """The ranking; the public board stops at the freeze, the trainer's (``live``) not.

        Each board is a :class:`~helpers.event.results.Playback` fed only the records
        since it was last asked for (played back anew after a trainer's action, such
        as a reset, or a new freeze), so many pages polling cost little.
        """
        now = self.now()
        clock = self._stored_clock()
        cutoff = None if live else clock.freeze_point(now)
        with self._board_lock:
            marks = self.store.marks()
            cached = self._boards.get(live)
            reusable = (
                cached is not None and cached.cutoff == cutoff and cached.marks.admin == marks.admin
            )
            if reusable and cached.marks == marks:
                return self._board_json(cached.board, clock, live, now)
            playback = (
                cached.playback
                if reusable
                else results.Playback(
                    self.event.teams, self.entries, self.settings, self.event.rules.speed_bonus
                )
            )
            playback.feed(self.store.records_after(playback.last_id, cutoff))
            cached = _Board(playback, playback.board(), cutoff, marks)
            self._boards[live] = cached
        return self._board_json(cached.board, clock, live, now)

    def _board_json(
        self, board: dict[str, Any], clock: Clock, live: bool, now: float
    ) -> dict[str, Any]:
        return {"event": self.event.name, "clock": clock.to_public(now), "live": live, **board}

    # -- the trainer's side

    async def act(self, action: str, minutes: float = 0) -> dict[str, Any]:
        """A clock action (start, pause, resume, end, freeze, unfreeze, extend)."""

        def job(con: sqlite3.Connection) -> float:
            now = self.now()
            try:
                clock = self._stored_clock(con).act(action, now, minutes)
            except UsageError as exc:
                raise Refused(409, "conflict", str(exc)) from None
            self.store.save_clock(con, json.dumps(asdict(clock)))
            self.store.log_admin(con, now, action, {"minutes": minutes} if minutes else {})
            return now

        return self.clock(await self.store.arun(job))

    async def reset(self, team_id: str) -> dict[str, Any]:
        """Set a team back to nothing; its records move to ``reset_records``."""
        if team_id not in self.teams:
            raise Refused(404, "unknown_team", f"no team {team_id!r} in this event")

        def job(con: sqlite3.Connection) -> int:
            now = self.now()
            moved = self.store.reset_team(con, team_id, now)
            self.store.log_admin(con, now, "reset", {"team": team_id, "records": moved})
            return moved

        moved = await self.store.arun(job)
        return {"team": team_id, "archived": moved}

    def export(self) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The results per team and question (CSV rows) and everything as one document."""
        records = self.store.records()
        rows = results.export_rows(
            records,
            self.event.teams,
            self.entries,
            self.settings,
            self.event.rules.speed_bonus,
        )
        board = results.standings(
            records, self.event.teams, self.entries, self.settings, self.event.rules.speed_bonus
        )
        by_team: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            by_team.setdefault(row["team"], []).append(
                {k: v for k, v in row.items() if k not in ("rank", "team", "name")}
            )
        document = {
            "event": self.event.name,
            "scenario": self.event.scenario,
            "rules": {
                "minutes": self.event.rules.minutes,
                "wrong_penalty": self.event.rules.wrong_penalty,
                "hint_floor": self.event.rules.hint_floor,
                "speed_bonus": list(self.event.rules.speed_bonus),
            },
            "clock": self.clock(),
            "exported": results._iso(self.now()),
            "teams": [
                {
                    "rank": t["rank"],
                    "id": t["id"],
                    "name": t["name"],
                    "points": t["points"],
                    "solved": t["solved"],
                    "questions": by_team.get(t["id"], []),
                }
                for t in board["teams"]
            ],
            "records": [results.public_record(r) for r in records],
            "reset_records": [results.public_record(r) for r in self.store.reset_records()],
        }
        return rows, document


@dataclass(frozen=True)
class _Board:
    """A board as last computed, and the playback it came from."""

    playback: results.Playback
    board: dict[str, Any]
    cutoff: float | None
    marks: Marks


def _nth(values: tuple[int, ...], index: int) -> int:
    return values[index] if index < len(values) else 0


def _question_texts(scenario: str) -> Mapping[str, Question]:
    """The questions of the scenario (their hints' text), by id."""
    from helpers.storylines import questions_for

    return {q.id: q for q in questions_for(scenario)}
