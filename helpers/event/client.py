"""The notebook's side of an event: ``check``, ``hint`` and ``progress`` ask the server.

A team's data set holds ``event.json`` (:data:`~helpers.event.config.TEAM_CONFIG`):
the server's URL, the team's token, the data set's id, and each question's kind,
points and hint costs, never an answer. :func:`helpers.notebook.open_dataset` sees it
and opens an :class:`EventSession`: the same calls and widgets as ever, the answers
checked and recorded by the server (``$GAMEDAY_SERVER`` overrides its URL).

An answer is read in the notebook first (the kit's normalisation), so an unreadable
one is said at once and never sent; what is sent is its canonical text, which the
server reads the same way. When the server cannot be reached the learner reads one
line: not recorded, try again.

HTTP is the standard library's ``urllib``: nothing to install in a participant's kernel.

>>> s = EventSession(Path("datasets/leaked-key"))  # doctest: +SKIP
>>> s.check("leaked-key.q01", "203.0.113.7").line  # doctest: +SKIP
'✓ leaked-key.q01: correct, 50 points'
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from helpers.errors import DatasetError, GameDayError, UsageError
from helpers.event.config import TEAM_CONFIG
from helpers.notebook import Card, CheckResult, Session
from helpers.quiz.answers import FORMAT_PROBLEM, Checker, Entry, UnknownQuestion, Verdict
from helpers.quiz.normalise import normalise
from helpers.quiz.question import Question
from helpers.quiz.scoring import Progress, QuestionScore

__all__ = ["TEAM_CONFIG", "EventClient", "EventSession", "ServerUnreachable", "wire_answer"]

#: Overrides the server's URL of the bundle (the trainer moved the server).
SERVER_ENV = "GAMEDAY_SERVER"
TIMEOUT = 15.0


class ServerUnreachable(GameDayError):
    """The event's server did not answer: nothing was recorded."""


class ServerRefused(GameDayError):
    """The server refused a request for a reason the learner cannot fix by retrying."""


class EventClient:
    """JSON over HTTP to the scoreboard server, as one team.

    >>> client = EventClient("http://127.0.0.1:8000", token, dataset_id)  # doctest: +SKIP
    >>> client.call("GET", "/api/v1/health")  # doctest: +SKIP
    (200, {'status': 'ok', 'event': 'dec'})
    """

    def __init__(self, server: str, token: str, dataset: str, timeout: float = TIMEOUT) -> None:
        self.server = server.rstrip("/")
        self.token = token
        self.dataset = dataset
        self.timeout = timeout

    def call(
        self, method: str, path: str, body: Mapping[str, Any] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """``(HTTP status, JSON body)``; ServerUnreachable when no answer came back."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.server + path,
            data=data,
            method=method,
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.status, _json(response.read())
        except urllib.error.HTTPError as exc:
            with exc:
                payload = _json(exc.read())
            if exc.code >= 500:
                raise ServerUnreachable(f"the server failed ({exc.code})") from None
            return exc.code, payload
        except http.client.HTTPException:  # the server went away in the middle of its answer
            raise ServerUnreachable("the connection broke before the whole answer came") from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ServerUnreachable(str(reason) or type(exc).__name__) from None

    def attempt(self, qid: str, answer: str | list[str]) -> tuple[int, dict[str, Any]]:
        return self.call(
            "POST", "/api/v1/attempts", {"dataset": self.dataset, "qid": qid, "answer": answer}
        )

    def hint(self, qid: str, n: int | None = None) -> tuple[int, dict[str, Any]]:
        return self.call("POST", "/api/v1/hints", {"dataset": self.dataset, "qid": qid, "n": n})

    def progress(self) -> tuple[int, dict[str, Any]]:
        query = urllib.parse.urlencode({"dataset": self.dataset})
        return self.call("GET", f"/api/v1/progress?{query}")


def _json(raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def wire_answer(answer: Any, entry: Entry) -> tuple[str | list[str] | None, str | None]:
    """``(what to send, None)``, or ``(None, the problem)`` for an unreadable answer.

    What is sent is the canonical text the kit's normalisation makes of the answer
    (a list for set and list questions; a time to the microsecond), so a DataFrame
    column or a Timestamp travels as JSON and the server reads it as the notebook did.

    >>> from helpers.quiz.answers import Entry
    >>> wire_answer(" 010.0.0.1", Entry("q", "ip", 10))[1]
    'write 10.0.0.1 without leading zeros (010 can be read as octal)'
    >>> wire_answer(["b", "A"], Entry("q", "set", 10))
    (['a', 'b'], None)
    """
    n = normalise(answer, entry.rules)
    if not n.ok:
        return None, n.problem
    if entry.kind in ("set", "list"):
        return list(n.values), None
    if entry.kind == "timestamp" and n.number is not None:
        moment = dt.datetime.fromtimestamp(n.number, dt.UTC)
        return moment.isoformat(timespec="microseconds").replace("+00:00", "Z"), None
    if entry.kind == "float" and n.number is not None:
        return repr(n.number), None
    return n.values[0], None


class EventSession(Session):
    """A team's data set of an event: questions as ever, answers checked by the server.

    The questions' kinds, points and hint costs come from ``event.json``; the
    prompts and hints' text from the storyline, as in any data set.
    """

    def __init__(
        self,
        dataset_dir: Path | str | None = None,
        questions: Iterable[Question] | None = None,
        participant: str | None = None,
    ) -> None:
        super().__init__(dataset_dir, questions=questions, participant=participant)
        path = self.dataset_dir / TEAM_CONFIG
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
            self.team = str(config["team"])
            self.team_name = str(config.get("team_name") or self.team)
            self.event = str(config.get("event", ""))
            server = os.environ.get(SERVER_ENV, "").strip() or str(config["server"])
            self.client = EventClient(server, str(config["token"]), str(config["dataset"]))
            self._entries = {
                qid: Entry.from_json(qid, {**data, "elements": ()})
                for qid, data in config["questions"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DatasetError(
                f"{path} is damaged ({exc}): ask your trainer for the bundle"
            ) from None
        self.participant = self.team

    def __repr__(self) -> str:
        return (
            f"EventSession({str(self.dataset_dir)!r}, team={self.team!r}, server={self.server!r})"
        )

    def _repr_markdown_(self) -> str:
        return super()._repr_markdown_() + (
            f" Event **{self.event}**: answers go to the scoreboard at {self.server}."
        )

    @property
    def server(self) -> str:
        return self.client.server

    @property
    def checker(self) -> Checker:
        raise DatasetError(
            f"this is team {self.team}'s data set of event {self.event}: "
            f"answers are checked by the scoreboard server at {self.server}"
        )

    @property
    def entries(self) -> Mapping[str, Entry]:
        return self._entries

    def entry(self, qid: str) -> Entry:
        try:
            return self._entries[qid]
        except (KeyError, TypeError):
            raise UnknownQuestion(qid, list(self._entries)) from None

    def _unreachable(self, what: str, exc: ServerUnreachable) -> str:
        return (
            f"{what}: not recorded: the scoreboard server at {self.server} cannot be reached "
            f"({exc}); try again in a moment"
        )

    def _refused(self, status: int, body: Mapping[str, Any]) -> ServerRefused:
        message = str(body.get("message") or f"HTTP {status}")
        if status == 401:
            message += ": check the token in event.json, or ask your trainer"
        return ServerRefused(message)

    def check(self, qid: str, answer: Any) -> CheckResult:
        """Send an answer to the server; the line it sends back (or why there is none)."""
        entry = self.entry(qid)
        wire, problem = wire_answer(answer, entry)
        if wire is None:
            verdict = Verdict(qid, FORMAT_PROBLEM, problem or "could not read that answer")
            return CheckResult(verdict, None, f"? {qid}: {verdict.message}")
        try:
            status, body = self.client.attempt(qid, wire)
        except ServerUnreachable as exc:
            verdict = Verdict(qid, "unreachable", str(exc))
            return CheckResult(verdict, None, "✗ " + self._unreachable(qid, exc))
        if "line" not in body or not isinstance(body.get("line"), str):
            if status in (200, 403, 429) and isinstance(body.get("message"), str):
                line = body["message"]
            else:
                raise self._refused(status, body)
        else:
            line = body["line"]
        verdict = Verdict(
            qid,
            str(body.get("verdict") or body.get("status") or "error"),
            str(body.get("message", "")),
            float(body.get("fraction") or 0.0),
        )
        points = body.get("points")
        return CheckResult(verdict, points if isinstance(points, int) else None, line)

    def hint(self, qid: str, n: int | None = None) -> Card:
        """Buy hint ``n`` (default: the next) from the server; what it says and costs."""
        self.entry(qid)
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
            raise UsageError(f"hint({qid!r}, n): n is a hint's number, 1 or more")
        try:
            status, body = self.client.hint(qid, n)
        except ServerUnreachable as exc:
            raise ServerUnreachable(self._unreachable(f"hint for {qid}", exc)) from None
        if status != 200:
            raise self._refused(status, body)
        return Card(str(body.get("title", qid)), str(body.get("text", "")))

    def _progress_body(self) -> dict[str, Any]:
        try:
            status, body = self.client.progress()
        except ServerUnreachable as exc:
            raise ServerUnreachable(
                f"progress unavailable: the scoreboard server at {self.server} cannot be "
                f"reached ({exc}); try again in a moment"
            ) from None
        if status != 200:
            raise self._refused(status, body)
        return body

    def progress(self) -> Progress:
        """Your team's points per question and in total, from the server."""
        body = self._progress_body()
        rows = tuple(
            QuestionScore(
                r["question"], r["solved"], r["attempts"], r["hints"], r["points"], r["possible"]
            )
            for r in body["questions"]
        )
        return Progress(rows, int(body["total"]), int(body["possible"]))

    def hints_seen(self, qid: str, records: list[dict[str, Any]] | None = None) -> list[int]:
        body = self._progress_body()
        row = next((r for r in body["questions"] if r["question"] == qid), None)
        return list(row["hints_seen"]) if row else []

    def unlock_tokens(self) -> dict[str, str]:
        return dict(self._progress_body().get("unlock") or {})

    def solved_steps(self) -> set[str]:
        """The steps of the questions solved; none when the server is out of reach (a
        timeline is drawn all the same)."""
        try:
            return super().solved_steps()
        except GameDayError:
            return set()
