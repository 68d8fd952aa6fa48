"""``gameday serve``: the scoreboard server: JSON API, scoreboard page, trainer's page.

Starlette routes, pydantic validates, uvicorn serves, :class:`~helpers.event.game.Game` decides.

Teams (``Authorization: Bearer <team token>``; the bundle's ``event.json`` holds it)::

    POST /api/v1/attempts   {"dataset": ID, "qid": QID, "answer": TEXT | [TEXT, ...]}
    POST /api/v1/hints      {"dataset": ID, "qid": QID, "n": N | null}
    GET  /api/v1/progress?dataset=ID

Everyone: ``GET /`` (the scoreboard page), ``GET /api/v1/scoreboard`` (frozen in the
last minutes when the event says so), ``GET /api/v1/health``.

The trainer (``Authorization: Bearer <trainer token>``; ``tokens.json``; page ``/admin``)::

    POST /api/v1/admin/clock          {"action": "start" | "pause" | "resume" | "end" |
                                       "freeze" | "unfreeze" | "extend", "minutes": M}
    POST /api/v1/admin/teams/TEAM/reset
    GET  /api/v1/admin/scoreboard     (never frozen)
    GET  /api/v1/admin/export.csv, /api/v1/admin/export.json

Refusals are JSON ``{"status": ..., "message": ...}``: 401 without a valid token, 403
for another team's data set, a team token on the trainer's side or a closed clock,
404 for an unknown question or team, 413 for a body over 64 KiB, 422 (400 for
malformed JSON) for a field that is not what it should be, 429 over the rate limit.
No response ever holds an answer, a hash or a salt, and a refused request records
nothing.

On Linux the server runs as several processes on one listening socket (``--workers``,
by default one per core, at most four): each is a whole server, and they share the
event through its database (see :mod:`helpers.event.game`). Forty teams at once keep
one core busy with HTTP and JSON alone; a second process takes the other core.

>>> serve(Path("events/dec"), host="0.0.0.0", port=8000)  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import FrameType
from typing import Annotated, Any, ClassVar, TypeVar

import uvicorn
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from helpers.errors import UsageError
from helpers.event.clock import ACTIONS
from helpers.event.config import Event
from helpers.event.game import Game, Refused
from helpers.event.results import to_csv

#: The largest request body accepted: answers are short.
MAX_BODY = 64 * 1024
#: Held locked while a server runs on the event folder.
LOCK_FILE = ".serve.lock"
#: The most server processes ``--workers`` starts by default.
MAX_DEFAULT_WORKERS = 4
#: How long a server waits for the last one on the same event to finish exiting.
LOCK_WAIT = 3.0
STATIC = Path(__file__).with_name("static")
TRAINER = "\x00trainer"  # not a team id: team ids are [a-z0-9-]

# -- what a request may hold -------------------------------------------------------------------

Qid = Annotated[
    str, StringConstraints(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]
DatasetId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
TeamId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
Value = Annotated[str, StringConstraints(max_length=10_000)] | StrictInt | StrictFloat


class AttemptIn(BaseModel):
    """An answer: text or a number, or a list of them for a set or list question."""

    model_config = ConfigDict(extra="forbid")

    dataset: DatasetId
    qid: Qid
    answer: Value | Annotated[list[Value], Field(max_length=5_000)]


class HintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dataset: DatasetId
    qid: Qid
    n: Annotated[int, Field(ge=1, le=100, strict=True)] | None = None


class ClockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Annotated[str, StringConstraints(pattern="^(" + "|".join(ACTIONS) + ")$")]
    minutes: Annotated[float, Field(ge=0, le=24 * 60)] = 0


class ProgressIn(BaseModel):
    """The query of ``GET /api/v1/progress``: other parameters are ignored."""

    dataset: DatasetId


_TEAM_ID = TypeAdapter(TeamId)


M = TypeVar("M", bound=BaseModel)


async def _body(request: Request, model: type[M]) -> M:
    """The request's JSON body as ``model`` (pydantic parses and validates it; a
    :class:`ValidationError` becomes a 400 or 422 in :func:`_invalid`)."""
    return model.model_validate_json(await request.body())


# -- the pieces Starlette does not have ---------------------------------------------------------


class SecurityHeaders:
    """Sends every response with headers that keep the pages to this server's own
    resources (no script, style or image from elsewhere) and out of caches."""

    HEADERS: ClassVar[list[tuple[bytes, bytes]]] = [
        (
            b"content-security-policy",
            b"default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'",
        ),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"cache-control", b"no-store"),
    ]

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *self.HEADERS]}
            await send(message)

        await self.app(scope, receive, with_headers)


# The handlers are coroutines: Starlette runs a plain function in its thread pool, a
# thread hand-over per refusal (a 401 took three times the CPU).


async def _refused(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Refused)
    headers = {}
    if exc.http == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if "retry_after" in exc.extra:
        headers["Retry-After"] = str(exc.extra["retry_after"])
    return JSONResponse(exc.body(), status_code=exc.http, headers=headers)


async def _invalid(request: Request, exc: Exception) -> Response:
    """What was wrong with a field, without echoing the request (it may hold an answer)."""
    assert isinstance(exc, ValidationError)
    errors = exc.errors(include_input=False, include_url=False)
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse({"status": "invalid", "message": "the body is not JSON"}, 400)
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ())) or "request"
    message = f"{where}: {first.get('msg', 'not valid')}"
    return JSONResponse({"status": "invalid", "message": message[:200]}, 422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    names = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}
    message = str(exc.detail)
    if exc.status_code == 413:
        message = f"a request body is at most {MAX_BODY} bytes: answers are short"
    return JSONResponse(
        {"status": names.get(exc.status_code, "error"), "message": message},
        status_code=exc.status_code,
        headers=exc.headers,
    )


# -- the app ------------------------------------------------------------------------------------

Endpoint = Callable[[Request], Awaitable[Response]]


def create_app(folder: Path) -> Starlette:
    """The server's app over the event in ``folder``.

    Starlette routes, pydantic validates, :class:`Game` decides. (FastAPI did the
    same with three times the CPU per request: under forty teams at once that was the
    queue in front of every check.)

    >>> app = create_app(Path("events/dec"))  # doctest: +SKIP
    """
    game = Game.open(Path(folder))
    tokens = game.event.tokens()
    roles = {token: team for team, token in tokens.teams.items()}
    roles[tokens.trainer] = TRAINER

    def role_of(request: Request) -> str:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused(
                401, "unauthorized", "no token: send it as the header 'Authorization: Bearer TOKEN'"
            )
        role = roles.get(token.strip())
        if role is None:
            raise Refused(401, "unauthorized", "that token is not one of this event's")
        return role

    def team_of(request: Request) -> str:
        role = role_of(request)
        if role == TRAINER:
            raise Refused(403, "forbidden", "the trainer's token is not a team's")
        return role

    def trainer_only(endpoint: Callable[[Request], Any]) -> Endpoint:
        """``endpoint`` behind the trainer's token, checked before anything else; a plain
        function (a long read) runs in Starlette's thread pool, as a route's would."""

        async def guarded(request: Request) -> Response:
            if role_of(request) != TRAINER:
                raise Refused(403, "forbidden", "the trainer's side needs the trainer's token")
            if inspect.iscoroutinefunction(endpoint):
                return await endpoint(request)
            return await run_in_threadpool(endpoint, request)

        return guarded

    # Writes are committed in groups by the store; the event loop serves others while a
    # group's commit syncs. The boards and the export, longer, run in Starlette's pool
    # (endpoints that are plain functions).

    def scoreboard_page(request: Request) -> Response:
        return FileResponse(STATIC / "scoreboard.html")

    def admin_page(request: Request) -> Response:
        return FileResponse(STATIC / "admin.html")

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "event": game.event.name})

    def scoreboard(request: Request) -> Response:
        return JSONResponse(game.scoreboard(live=False))

    async def attempt(request: Request) -> Response:
        team_id = team_of(request)
        body = await _body(request, AttemptIn)
        return JSONResponse(await game.attempt(team_id, body.dataset, body.qid, body.answer))

    async def hint(request: Request) -> Response:
        team_id = team_of(request)
        body = await _body(request, HintIn)
        return JSONResponse(await game.hint(team_id, body.dataset, body.qid, body.n))

    async def progress(request: Request) -> Response:
        team_id = team_of(request)
        query = ProgressIn.model_validate(dict(request.query_params))
        return JSONResponse(game.progress(team_id, query.dataset))

    @trainer_only
    async def clock(request: Request) -> Response:
        body = await _body(request, ClockIn)
        return JSONResponse(await game.act(body.action, body.minutes))

    @trainer_only
    async def reset(request: Request) -> Response:
        team_id = _TEAM_ID.validate_python(request.path_params["team_id"])
        return JSONResponse(await game.reset(team_id))

    @trainer_only
    def live_scoreboard(request: Request) -> Response:
        return JSONResponse(game.scoreboard(live=True))

    @trainer_only
    def export_json(request: Request) -> Response:
        return JSONResponse(game.export()[1])

    @trainer_only
    def export_csv(request: Request) -> Response:
        return PlainTextResponse(
            to_csv(game.export()[0]),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{game.event.name}.csv"'},
        )

    api = "/api/v1"
    app = Starlette(
        routes=[
            Route("/", scoreboard_page),
            Route("/admin", admin_page),
            Route(f"{api}/health", health),
            Route(f"{api}/scoreboard", scoreboard),
            Route(f"{api}/attempts", attempt, methods=["POST"]),
            Route(f"{api}/hints", hint, methods=["POST"]),
            Route(f"{api}/progress", progress),
            Route(f"{api}/admin/clock", clock, methods=["POST"]),
            Route(f"{api}/admin/teams/{{team_id}}/reset", reset, methods=["POST"]),
            Route(f"{api}/admin/scoreboard", live_scoreboard),
            Route(f"{api}/admin/export.json", export_json),
            Route(f"{api}/admin/export.csv", export_csv),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers={
            Refused: _refused,
            ValidationError: _invalid,
            HTTPException: _http_error,
        },
        max_body_size=MAX_BODY,  # 413 beyond it, before the body is read
    )
    app.state.game = game
    return app


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or a UsageError in one line (port in use, no such address)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): "
            "is another server on that port? pass --port"
        ) from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _only_server(folder: Path):
    """An exclusive lock on the event folder while a server runs on it (released by the
    system if the server dies; a server that has just been stopped gets a moment to
    finish exiting), or a UsageError in one line."""
    Event.load(folder)  # a one-line error for a folder that is not an event
    handle = os.fdopen(os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600), "r+")
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        return handle
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except OSError:
            if time.monotonic() > deadline:
                handle.close()
                raise UsageError(
                    f"another `gameday serve` is serving {folder}: one server per event"
                ) from None
            time.sleep(0.05)


def default_workers() -> int:
    """Server processes by default: one per core (at most four) on Linux, where a worker
    can be made to die with the first (so a killed server frees its port at once); one
    elsewhere."""
    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(MAX_DEFAULT_WORKERS, os.cpu_count() or 1))


def serve(
    folder: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    certfile: Path | None = None,
    keyfile: Path | None = None,
    workers: int | None = None,
) -> None:
    """Serve the event in ``folder`` until Ctrl+C (or SIGTERM), in ``workers`` processes
    (default: :func:`default_workers`).

    >>> serve(Path("events/dec"), host="0.0.0.0")  # doctest: +SKIP
    """
    if (certfile is None) != (keyfile is None):
        raise UsageError("HTTPS needs both --certfile and --keyfile")
    workers = default_workers() if workers is None else workers
    if workers < 1:
        raise UsageError(f"--workers must be 1 or more, not {workers}")
    if workers > 1 and not sys.platform.startswith("linux"):
        raise UsageError("--workers above 1 needs Linux: run one server process here")
    with _only_server(Path(folder)):
        sock = bind(host, port)
        try:
            app = create_app(folder)
            game: Game = app.state.game
            game.store.detach()  # each worker opens its own connections
            # What start-up loaded (checkers, questions, pandas) lives as long as the
            # server: out of the collector's sight, a full collection is not a 30 ms
            # pause in the middle of the teams' requests, and the workers share it.
            gc.collect()
            gc.freeze()
            config = uvicorn.Config(
                app,
                log_level="warning",
                access_log=False,
                ssl_certfile=certfile,
                ssl_keyfile=keyfile,
                timeout_graceful_shutdown=5,
            )
            others = [_fork_worker(config, sock) for _ in range(workers - 1)]
            try:
                _announce(game, host, port, "https" if certfile else "http", workers)
                _FirstWorker(config, others).run(sockets=[sock])
            finally:
                _stop(others)
                game.store.close()
        finally:
            sock.close()


class _FirstWorker(uvicorn.Server):
    """The process ``gameday serve`` started, serving like the others: it passes a stop
    signal on to them at once and waits for them to finish before it exits."""

    def __init__(self, config: uvicorn.Config, others: list[int]) -> None:
        super().__init__(config)
        self.others = others

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        for pid in self.others:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        super().handle_exit(sig, frame)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        await super().shutdown(sockets)
        await asyncio.to_thread(_stop, self.others)


def _fork_worker(config: uvicorn.Config, sock: socket.socket) -> int:
    """Another server process on the same socket; its process id. It dies with this
    one, even when this one is killed (SIGKILL leaves no chance to tell it)."""
    parent = os.getpid()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == parent:  # else it died already
            uvicorn.Server(config).run(sockets=[sock])
        code = 0
    except KeyboardInterrupt:
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        os._exit(code)


def _stop(pids: list[int], timeout: float = 10.0) -> None:
    """Ask worker processes to stop (SIGTERM: they finish the requests they hold), wait
    for them, and kill those still there after ``timeout`` seconds. Those reaped leave
    ``pids``, so a second call signals no process that has since been given one's id."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pids:
        late = time.monotonic() > deadline
        for pid in list(pids):
            if late:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                if os.waitpid(pid, 0 if late else os.WNOHANG)[0] == 0:
                    continue
            pids.remove(pid)
        if pids:
            time.sleep(0.05)


def _announce(game: Game, host: str, port: int, scheme: str, workers: int = 1) -> None:
    """Where the pages are, on stderr."""
    if host in ("0.0.0.0", "::", ""):
        here = f"{scheme}://<this machine's address>:{port}"
    else:
        here = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
    processes = f"{workers} server processes; " if workers > 1 else ""
    print(
        f"event {game.event.name}: {len(game.teams)} teams, clock {game.clock()['status']}\n"
        f"scoreboard: {here}/   trainer: {here}/admin "
        f"(token in {game.event.folder / 'tokens.json'})\n"
        f"the teams' bundles send to {game.event.url}\n{processes}Ctrl+C stops the server",
        file=sys.stderr,
        flush=True,
    )
