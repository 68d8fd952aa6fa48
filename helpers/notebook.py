"""The notebook API: open a data set, query it, answer its questions::

    open_dataset()                       # $GAMEDAY_DATASET, datasets/leaked-key, or a folder
    sql("SELECT count(*) FROM cloudtrail")
    question("q1")                       # the prompt, the answer format, points, hints
    check("q1", "203.0.113.7")           # one line: correct, or what to try next
    hint("q1")                           # the next hint and what it costs
    progress()                           # your points so far, a table and a chart
    timeline("SELECT event_time AS time, source_ip AS lane, event_name AS step "
             "FROM cloudtrail WHERE user_name = 'ci-deploy'")

Every function works on the data set opened last (the default one if none
was opened: ``$GAMEDAY_DATASET`` when set, else ``datasets/leaked-key``).
Answers are checked against the data set's ``answers.json`` (hashes only);
each check and hint is recorded in
``<dataset>/progress/<participant>.jsonl`` (``$GAMEDAY_PARTICIPANT``, else your
user name), so progress survives a kernel restart. A :class:`Session` does the
same for an explicit folder and question list (tests, trainers).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import duckdb
import pandas as pd

from helpers import charts  # noqa: F401  (enables the offline chart renderer)
from helpers.catalog import parquet_views
from helpers.errors import DatasetError, GameDayError, UsageError
from helpers.paths import default_dataset_dir
from helpers.quiz import unlock
from helpers.quiz.answers import CORRECT, FORMAT_PROBLEM, Checker, Entry, Verdict
from helpers.quiz.attempts import AttemptsLog, now, participant_name
from helpers.quiz.feedback import check_line, hint_note, hint_title, no_more_hints
from helpers.quiz.normalise import normalise
from helpers.quiz.question import Question
from helpers.quiz.scoring import Progress, Settings, score

if TYPE_CHECKING:
    import altair as alt

__all__ = [
    "Card",
    "CheckResult",
    "QueryError",
    "Session",
    "attack_timeline",
    "check",
    "hint",
    "open_dataset",
    "progress",
    "question",
    "session",
    "sql",
    "timeline",
]

DATABASE_FILE = "gameday.duckdb"
#: Names the data set :func:`open_dataset` opens when given no folder (tests, trainers).
DATASET_ENV = "GAMEDAY_DATASET"
#: The blank a notebook's query leaves for the learner to fill in.
BLANK = "____"
DESCRIBE = "tables and columns: `gameday describe`"


class QueryError(GameDayError):
    """A SQL query DuckDB could not run; the message is DuckDB's, on one line."""


def _short_traceback(exc: BaseException) -> list[str]:
    return [f"\x1b[31m{type(exc).__name__}\x1b[0m: {exc}"]


F = TypeVar("F", bound=Callable[..., Any])


def _short_errors(fn: F) -> F:
    """Show a user mistake in a notebook as one red line, not a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GameDayError as exc:
            exc._render_traceback_ = functools.partial(_short_traceback, exc)  # type: ignore[attr-defined]
            raise

    return wrapper  # type: ignore[return-value]


def run_query(con: duckdb.DuckDBPyConnection, query: str, params: Any = None) -> pd.DataFrame:
    """``query`` on ``con`` as a DataFrame; a DuckDB error becomes a one-line QueryError."""
    if not isinstance(query, str) or not query.strip():
        raise QueryError("sql() takes a query as text, e.g. sql('SELECT count(*) FROM cloudtrail')")
    try:
        result = con.execute(query, params) if params else con.execute(query)
        return result.df() if result.description else pd.DataFrame()
    except duckdb.Error as exc:
        raise QueryError(f"{_one_line(exc)} ({DESCRIBE})") from None


def _one_line(exc: BaseException) -> str:
    """DuckDB's message without the query echo: ``Catalog Error: ... Did you mean "x"?``."""
    lines = []
    for line in str(exc).splitlines():
        if line.startswith("LINE "):
            break
        if line.strip():
            lines.append(line.strip())
    return " ".join(lines) or type(exc).__name__


# -- what a notebook shows --------------------------------------------------------------------


def _ipython() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:
        return None
    return get_ipython()


class _Shown:
    """Shown once when made; shown again only when displayed in a later cell."""

    _shown_in: int | None = None

    def markdown(self) -> str:
        return str(self)

    def show(self) -> None:
        ip = _ipython()
        if ip is None or not getattr(ip, "kernel", None):
            print(self)
            return
        from IPython.display import Markdown, display

        display(Markdown(self.markdown()))
        self._shown_in = ip.execution_count

    def _ipython_display_(self) -> None:
        ip = _ipython()
        if ip is not None and self._shown_in == ip.execution_count:
            return
        from IPython.display import Markdown, display

        display(Markdown(self.markdown()))


@dataclass(eq=False)
class CheckResult(_Shown):
    """The outcome of :func:`check`: the verdict, the points now, the line printed.

    ``points`` is None when they were not looked up (an event's server out of reach).
    """

    verdict: Verdict
    points: int | None
    line: str

    @property
    def correct(self) -> bool:
        return self.verdict.correct

    @property
    def status(self) -> str:
        return self.verdict.status

    def __str__(self) -> str:
        return self.line

    def __repr__(self) -> str:
        return f"CheckResult({self.line!r})"

    def show(self) -> None:
        print(self.line)
        ip = _ipython()
        self._shown_in = ip.execution_count if ip is not None else None

    def _ipython_display_(self) -> None:
        ip = _ipython()
        if ip is not None and self._shown_in == ip.execution_count:
            return
        print(self.line)


@dataclass(eq=False)
class Card(_Shown):
    """A question or a hint, as Markdown in a notebook and as text elsewhere."""

    title: str
    body: str
    details: list[str] = field(default_factory=list)

    def markdown(self) -> str:
        details = "".join(f"\n- {d}" for d in self.details)
        return f"**{self.title}**\n\n{self.body}\n{details}"

    def __str__(self) -> str:
        details = "".join(f"\n  {d}" for d in self.details)
        return f"{self.title}\n{self.body}{details}"

    def __repr__(self) -> str:
        return f"Card({self.title!r})"


# -- the session ------------------------------------------------------------------------------


class Session:
    """An open data set: its catalog, its questions, one participant's attempts.

    ``questions`` defaults to the storyline's (``helpers.storylines.questions_for``
    of the scenario in ``dataset.json``); pass them to use others.

    >>> s = Session(tmp_path / "mini", questions=(q1, q2), participant="ada")  # doctest: +SKIP
    >>> s.check("q1", "203.0.113.7").correct  # doctest: +SKIP
    True
    """

    def __init__(
        self,
        dataset_dir: Path | str | None = None,
        questions: Iterable[Question] | None = None,
        participant: str | None = None,
    ) -> None:
        folder = Path(dataset_dir) if dataset_dir is not None else _default_folder()
        folder = folder.expanduser()
        if not (folder / DATABASE_FILE).is_file():
            raise DatasetError(f"no data set at {folder}: run `make lab` or `gameday generate`")
        self.dataset_dir = folder
        self.info = _read_info(folder)
        self.settings = Settings.from_mapping(self.info.get("settings") or {})
        self.participant = participant_name(participant)
        self.log = AttemptsLog.for_participant(folder, self.participant)
        self._questions = {q.id: q for q in questions} if questions is not None else None
        self._checker: Checker | None = None

    def __repr__(self) -> str:
        return f"Session({str(self.dataset_dir)!r}, participant={self.participant!r})"

    def _repr_markdown_(self) -> str:
        try:
            tables = run_query(self.connect(), "SELECT table_name FROM duckdb_tables() ORDER BY 1")
            names = ", ".join(f"`{t}`" for t in tables["table_name"])
        except GameDayError:
            names = "?"
        return (
            f"Data set **{self.dataset_dir.name}** (scenario `{self.scenario}`): "
            f"tables {names}; {len(self.entries) if self._has_answers() else 'no'} "
            f"questions; progress of **{self.participant}**."
        )

    @property
    def scenario(self) -> str:
        return str(self.info.get("scenario", ""))

    @property
    def db_path(self) -> Path:
        return self.dataset_dir / DATABASE_FILE

    @property
    def checker(self) -> Checker:
        if self._checker is None:
            self._checker = Checker.load(self.dataset_dir)
        return self._checker

    @property
    def entries(self) -> Mapping[str, Entry]:
        """Every question's kind, points and hint costs (an answers.json entry), by id."""
        return self.checker.entries

    def entry(self, qid: str) -> Entry:
        """The entry of ``qid``; an unknown id raises a UsageError naming the closest ids."""
        return self.checker.entry(qid)

    def _has_answers(self) -> bool:
        try:
            self.entries  # noqa: B018
        except GameDayError:
            return False
        return True

    @property
    def questions(self) -> dict[str, Question]:
        """The questions' text (prompts, hints), by id; empty if the storyline is unknown."""
        if self._questions is None:
            self._questions = {}
            try:
                from helpers.storylines import questions_for

                self._questions = {q.id: q for q in questions_for(self.scenario)}
            except (ImportError, GameDayError, KeyError, ValueError):
                pass
        return self._questions

    # -- SQL

    def connect(self) -> duckdb.DuckDBPyConnection:
        """A new read-only connection to the catalog (close it when done).

        Each query opens its own, so a data set can be regenerated while notebooks are open.
        """
        try:
            con = duckdb.connect(str(self.db_path), read_only=True)
            # A generated data set's rows live in Parquet beside the catalog: point the
            # views at them wherever the data set is now (moved, unpacked from a bundle).
            for view in parquet_views(self.dataset_dir, temp=True):
                con.execute(view)
            return con
        except duckdb.Error as exc:
            raise QueryError(f"cannot open {self.db_path}: {_one_line(exc)}") from None

    def sql(self, query: str, params: Any = None) -> pd.DataFrame:
        """Run a query on the catalog (read-only) and return a DataFrame."""
        con = self.connect()
        try:
            return run_query(con, query, params)
        finally:
            con.close()

    # -- questions

    def _entry_and_question(self, qid: str) -> tuple[Any, Question | None]:
        entry = self.entry(qid)
        return entry, self.questions.get(qid)

    def question(self, qid: str) -> Card:
        """The prompt, answer format, points and hints of a question."""
        entry, q = self._entry_and_question(qid)
        if q is None:
            raise DatasetError(
                f"no text for question {qid}: the storyline {self.scenario!r} is not installed"
            )
        row = self.progress().row(qid)
        details = [f"Answer format: {q.format_help}"]
        if q.kind == "choice":
            details += [f"**{chr(97 + i)}**. {c}" for i, c in enumerate(q.choices)]
        if entry.hint_costs:
            costs = ", ".join(str(c) for c in entry.hint_costs)
            details.append(
                f"Hints: {len(entry.hint_costs)} (cost {costs} points; used {row.hints}): "
                f"`hint({qid!r})`"
            )
        if row.solved:
            details.append(f"Solved: {row.points} of {row.possible} points")
        state = f"{entry.points} points"
        return Card(f"{qid} ({state})", q.prompt, details)

    def check(self, qid: str, answer: Any) -> CheckResult:
        """Check an answer, record the attempt, and say in one line how it went."""
        entry = self.entry(qid)
        records = self.log.records()
        before = score(records, {qid: entry}, self.settings).rows[0]
        verdict = self.checker.check(qid, answer)
        record = {
            "type": "attempt",
            "qid": qid,
            "answer": verdict.digest,
            "verdict": verdict.status,
            "fraction": round(verdict.fraction, 4),
            "hints": before.hints,
            "time": now(),
        }
        after = score([*records, record], {qid: entry}, self.settings).rows[0]
        record["points"] = after.points
        if verdict.status == CORRECT and not entry.tolerance and entry.kind != "float":
            record["unlock"] = unlock.token(
                self.checker.salt, qid, entry.kind, normalise(answer, entry.rules)
            )
        self.log.append(record)
        hints_left = len(entry.hint_costs) - before.hints
        line = check_line(
            qid, verdict, before, after, entry.points, hints_left, self.settings.wrong_penalty
        )
        return CheckResult(verdict, after.points, line)

    def hint(self, qid: str, n: int | None = None) -> Card:
        """Show hint ``n`` (default: the next unused) and record its use."""
        entry, q = self._entry_and_question(qid)
        texts = q.hints if q is not None else ()
        if not entry.hint_costs:
            return Card(f"{qid}: no hints", "This question has no hints.")
        if not texts:
            raise DatasetError(
                f"no hint text for {qid}: the storyline {self.scenario!r} is not installed"
            )
        records = self.log.records()
        used = self.hints_seen(qid, records)
        total = len(texts)
        if n is None:
            n = next((i for i in range(1, total + 1) if i not in used), None)
            if n is None:
                return Card(*no_more_hints(qid, total))
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= total:
            raise UsageError(
                f"{qid} has {total} hint(s): hint({qid!r}, 1) to hint({qid!r}, {total})"
            )
        cost = entry.hint_costs[n - 1] if n <= len(entry.hint_costs) else 0
        solved = score(records, {qid: entry}, self.settings).rows[0].solved
        note = hint_note(n in used, solved, cost)
        if n not in used:
            self.log.append(
                {
                    "type": "hint",
                    "qid": qid,
                    "hint": n,
                    "cost": 0 if solved else cost,
                    "time": now(),
                }
            )
        return Card(hint_title(qid, n, total, note), texts[n - 1].text)

    def hints_seen(self, qid: str, records: list[dict[str, Any]] | None = None) -> list[int]:
        """The numbers of the hints of ``qid`` already shown, in order."""
        records = self.log.records() if records is None else records
        return sorted(
            {
                r["hint"]
                for r in records
                if r.get("type") == "hint"
                and r.get("qid") == qid
                and isinstance(r.get("hint"), int)
            }
        )

    def progress(self) -> Progress:
        """Points per question and in total, from the attempts log."""
        return score(self.log.records(), self.entries, self.settings)

    def solved_steps(self) -> set[str]:
        """The storyline steps of the questions solved (for :func:`timeline`)."""
        solved = self.progress().solved
        return {q.step for q in self.questions.values() if q.id in solved and q.step}

    def attack_timeline(self, key: Path | str | None = None) -> alt.LayerChart | Card:
        """The incident's true timeline: unlocked once every question is solved.

        A trainer passes the answer ``key`` file to see it at any time (the debrief).
        """
        from helpers.charts import timeline

        if key is not None:
            try:
                rows = json.loads(Path(key).read_text())["timeline"]
            except (OSError, ValueError, KeyError) as exc:
                raise DatasetError(f"cannot read the timeline from key {key}: {exc}") from None
        else:
            path = self.dataset_dir / unlock.SEALED_FILE
            if not path.exists():
                raise DatasetError(f"{path} is missing: regenerate the data set")
            sealed = json.loads(path.read_text())
            tokens = self.unlock_tokens()
            missing = [q for q in sealed["required"] if q not in tokens]
            if missing:
                return Card(
                    "The true timeline is still sealed",
                    f"Solve {len(missing)} more question(s) to unlock it: {', '.join(missing)}.",
                )
            opened = unlock.open_seal(sealed, tokens)
            if opened is None:
                raise DatasetError(f"{path} does not open with your answers: another data set's?")
            rows = opened["timeline"]
        df = pd.DataFrame(rows)
        df["time"] = pd.to_datetime(df["first"], utc=True)
        df["label"] = df["what"] + " ×" + df["count"].astype(str)
        return timeline(df, time="time", lane="source", color="step", label="label")

    def unlock_tokens(self) -> dict[str, str]:
        """The debrief's unlock tokens of the questions solved, by question id."""
        return {
            r["qid"]: r["unlock"]
            for r in self.log.records()
            if r.get("type") == "attempt" and isinstance(r.get("unlock"), str)
        }

    def timeline(self, events: pd.DataFrame | str, **options: Any) -> alt.LayerChart:
        """:func:`helpers.charts.timeline` of a DataFrame or a query, solved steps marked."""
        from helpers.charts import timeline

        if isinstance(events, str):
            events = self.sql(events)
        if "solved" not in options and self._has_answers():
            options["solved"] = self.solved_steps()
        return timeline(events, **options)


def new_session(
    dataset_dir: Path | str | None = None,
    questions: Iterable[Question] | None = None,
    participant: str | None = None,
) -> Session:
    """A :class:`Session` on a data set folder; a team's data set from an event's bundle
    (it holds ``event.json``) gets an :class:`~helpers.event.client.EventSession`, which
    sends answers, hints and progress to the event's server.

    >>> new_session("datasets/leaked-key")  # doctest: +SKIP
    """
    from helpers.event.client import TEAM_CONFIG, EventSession

    folder = Path(dataset_dir) if dataset_dir is not None else _default_folder()
    if (folder.expanduser() / TEAM_CONFIG).is_file():
        return EventSession(folder, questions=questions, participant=participant)
    return Session(folder, questions=questions, participant=participant)


def _default_folder() -> Path:
    """``$GAMEDAY_DATASET`` when set, else ``datasets/leaked-key`` in the project folder."""
    named = os.environ.get(DATASET_ENV, "").strip()
    return Path(named) if named else default_dataset_dir()


def _is_blank(answer: Any) -> bool:
    """No answer yet: None, empty or blank text, an empty list or table."""
    if answer is None:
        return True
    if isinstance(answer, str):
        return not answer.strip()
    if isinstance(answer, list | tuple | set | frozenset | dict | pd.Series | pd.DataFrame):
        return len(answer) == 0
    return False


def _read_info(folder: Path) -> dict[str, Any]:
    path = folder / "dataset.json"
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise DatasetError(f"{path} is not JSON ({exc}): regenerate the data set") from None
    return info if isinstance(info, dict) else {}


# -- the module-level API over the data set opened last ---------------------------------------

_session: Session | None = None


@_short_errors
def open_dataset(
    path: Path | str | None = None,
    questions: Sequence[Question] | None = None,
    participant: str | None = None,
) -> Session:
    """Open a data set folder for the functions below (default: the folder named by
    ``$GAMEDAY_DATASET``, else ``datasets/leaked-key``). In a team's data set of an
    event, answers, hints and progress go to the event's server.

    >>> open_dataset("datasets/leaked-key")  # doctest: +SKIP
    """
    global _session
    _session = new_session(path, questions=questions, participant=participant)
    return _session


def session() -> Session:
    """The data set opened last; the default data set if none was opened."""
    return _session if _session is not None else open_dataset()


@_short_errors
def sql(query: str, params: Any = None) -> pd.DataFrame:
    """Run SQL on the data set (read-only) and return a DataFrame.

    A query that still holds the blank ``____`` is not run: one line says to fill
    it in, and the result is an empty DataFrame.

    >>> sql("SELECT event_name, count(*) AS n FROM cloudtrail GROUP BY 1")  # doctest: +SKIP
    """
    if isinstance(query, str) and BLANK in query:
        print(f"Fill in the blank {BLANK} in the query, then run the cell again.")
        return pd.DataFrame()
    return session().sql(query, params)


@_short_errors
def question(qid: str) -> Card:
    """Show a question: prompt, answer format, points and hints.

    >>> question("q1")  # doctest: +SKIP
    """
    card = session().question(qid)
    card.show()
    return card


@_short_errors
def check(qid: str, answer: Any) -> CheckResult:
    """Check an answer: prints one line (correct and the points, or what to try next).

    ``answer`` may be text or a value straight from a query (a one-column
    DataFrame, a Series, a list, a Timestamp).

    A blank answer (None, empty text or list) is not an attempt: one line says
    what to do, and nothing is recorded.

    >>> check("q1", "203.0.113.7")  # doctest: +SKIP
    ✓ q1: correct, 100 points
    """
    s = session()
    if _is_blank(answer):
        s.entry(qid)  # an unknown id still says so
        verdict = Verdict(qid, FORMAT_PROBLEM, "no answer yet")
        line = f"· {qid}: no answer yet: put yours in `answer` and run the cell again"
        try:
            points: int | None = s.progress().row(qid).points
        except GameDayError:  # an event's server out of reach: a blank needs none
            points = None
        result = CheckResult(verdict, points, line)
        result.show()
        return result
    result = s.check(qid, answer)
    result.show()
    return result


@_short_errors
def hint(qid: str, n: int | None = None) -> Card:
    """Show the next hint of a question (or hint ``n``) and what it costs.

    >>> hint("q1")  # doctest: +SKIP
    """
    card = session().hint(qid, n)
    card.show()
    return card


@_short_errors
def progress() -> Progress:
    """Your points per question and in total: a table and a chart.

    >>> progress()  # doctest: +SKIP
    """
    return session().progress()


@_short_errors
def attack_timeline(key: Path | str | None = None) -> alt.LayerChart | Card:
    """The incident's true timeline, unlocked by solving every question (or, for a
    trainer's debrief, read from the answer ``key`` file).

    >>> attack_timeline()  # doctest: +SKIP
    """
    result = session().attack_timeline(key)
    if isinstance(result, Card):
        result.show()
    return result


@_short_errors
def timeline(events: pd.DataFrame | str, **options: Any) -> alt.LayerChart:
    """A timeline chart of events (a DataFrame or a query); solved steps are marked.

    Options: ``time="time"``, ``lane="lane"``, ``color="step"``, ``label=None``
    (see :func:`helpers.charts.timeline`).

    >>> timeline("SELECT event_time AS time, source_ip AS lane, event_name AS step "
    ...          "FROM cloudtrail WHERE user_name = 'ci-deploy'")  # doctest: +SKIP
    """
    return session().timeline(events, **options)
