"""``gameday serve``: the scoreboard server: JSON API, scoreboard page, trainer's page.

FastAPI routes and validates, uvicorn serves, :class:`~helpers.event.game.Game` decides.

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

>>> serve(Path("events/dec"), host="0.0.0.0", port=8000)  # doctest: +SKIP
"""

# no `from __future__ import annotations`: FastAPI reads the endpoints' annotations,
# and those naming the closures of create_app must be objects, not strings
import os
import socket
import sys
from pathlib import Path
from typing import Annotated, ClassVar

from fastapi import Depends, FastAPI, Request, Security
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt, StringConstraints
from starlette.exceptions import HTTPException
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


# -- the pieces FastAPI and Starlette do not have -----------------------------------------------


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


def _refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Refused)
    headers = {}
    if exc.http == 401:
        headers["WWW-Authenticate"] = "Bearer"
    if "retry_after" in exc.extra:
        headers["Retry-After"] = str(exc.extra["retry_after"])
    return JSONResponse(exc.body(), status_code=exc.http, headers=headers)


def _invalid(request: Request, exc: Exception) -> JSONResponse:
    """What was wrong with a field, without echoing the request (it may hold an answer)."""
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return JSONResponse({"status": "invalid", "message": "the body is not JSON"}, 400)
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
    message = f"{where}: {first.get('msg', 'not valid')}"
    return JSONResponse({"status": "invalid", "message": message[:200]}, 422)


def _http_error(request: Request, exc: Exception) -> JSONResponse:
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


def create_app(folder: Path) -> FastAPI:
    """The server's app over the event in ``folder``.

    >>> app = create_app(Path("events/dec"))  # doctest: +SKIP
    """
    game = Game.open(Path(folder))
    tokens = game.event.tokens()
    roles = {token: team for team, token in tokens.teams.items()}
    roles[tokens.trainer] = TRAINER
    bearer = HTTPBearer(auto_error=False)

    def role_of(credentials: HTTPAuthorizationCredentials | None) -> str:
        if credentials is None or not credentials.credentials:
            raise Refused(
                401, "unauthorized", "no token: send it as the header 'Authorization: Bearer TOKEN'"
            )
        role = roles.get(credentials.credentials)
        if role is None:
            raise Refused(401, "unauthorized", "that token is not one of this event's")
        return role

    async def team(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> str:
        role = role_of(credentials)
        if role == TRAINER:
            raise Refused(403, "forbidden", "the trainer's token is not a team's")
        return role

    async def trainer(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> str:
        if role_of(credentials) != TRAINER:
            raise Refused(403, "forbidden", "the trainer's side needs the trainer's token")
        return TRAINER

    app = FastAPI(
        title=f"GameDay scoreboard: {game.event.name}",
        docs_url=None,  # Swagger UI loads from the internet
        redoc_url=None,
        openapi_url=None,
        max_body_size=MAX_BODY,  # 413 beyond it, before the body is read
    )
    app.state.game = game
    app.add_exception_handler(Refused, _refused)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    @app.get("/", include_in_schema=False)
    def scoreboard_page() -> FileResponse:
        return FileResponse(STATIC / "scoreboard.html")

    @app.get("/admin", include_in_schema=False)
    def admin_page() -> FileResponse:
        return FileResponse(STATIC / "admin.html")

    # Writes go to the store's writer thread, which commits them in groups; the event loop
    # serves others meanwhile. The boards and the export, longer, run in FastAPI's pool.

    @app.get("/api/v1/health")
    async def health() -> JSONResponse:
        return JSONResponse({"status": "ok", "event": game.event.name})

    @app.get("/api/v1/scoreboard")
    def scoreboard() -> JSONResponse:
        return JSONResponse(game.scoreboard(live=False))

    @app.post("/api/v1/attempts")
    async def attempt(body: AttemptIn, team_id: Annotated[str, Depends(team)]) -> JSONResponse:
        return JSONResponse(await game.attempt(team_id, body.dataset, body.qid, body.answer))

    @app.post("/api/v1/hints")
    async def hint(body: HintIn, team_id: Annotated[str, Depends(team)]) -> JSONResponse:
        return JSONResponse(await game.hint(team_id, body.dataset, body.qid, body.n))

    @app.get("/api/v1/progress")
    async def progress(dataset: DatasetId, team_id: Annotated[str, Depends(team)]) -> JSONResponse:
        return JSONResponse(game.progress(team_id, dataset))

    @app.post("/api/v1/admin/clock", dependencies=[Depends(trainer)])
    async def clock(body: ClockIn) -> JSONResponse:
        return JSONResponse(await game.act(body.action, body.minutes))

    @app.post("/api/v1/admin/teams/{team_id}/reset", dependencies=[Depends(trainer)])
    async def reset(team_id: TeamId) -> JSONResponse:
        return JSONResponse(await game.reset(team_id))

    @app.get("/api/v1/admin/scoreboard", dependencies=[Depends(trainer)])
    def live_scoreboard() -> JSONResponse:
        return JSONResponse(game.scoreboard(live=True))

    @app.get("/api/v1/admin/export.json", dependencies=[Depends(trainer)])
    def export_json() -> JSONResponse:
        return JSONResponse(game.export()[1])

    @app.get("/api/v1/admin/export.csv", dependencies=[Depends(trainer)])
    def export_csv() -> PlainTextResponse:
        return PlainTextResponse(
            to_csv(game.export()[0]),
            media_type="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{game.event.name}.csv"'},
        )

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
    system if the server dies), or a UsageError in one line."""
    Event.load(folder)  # a one-line error for a folder that is not an event
    handle = os.fdopen(os.open(folder / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600), "r+")
    try:
        import fcntl
    except ImportError:  # Windows: no lock
        return handle
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise UsageError(
            f"another `gameday serve` is serving {folder}: one server per event"
        ) from None
    return handle


def serve(
    folder: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    certfile: Path | None = None,
    keyfile: Path | None = None,
) -> None:
    """Serve the event in ``folder`` until Ctrl+C (or SIGTERM).

    >>> serve(Path("events/dec"), host="0.0.0.0")  # doctest: +SKIP
    """
    import uvicorn

    if (certfile is None) != (keyfile is None):
        raise UsageError("HTTPS needs both --certfile and --keyfile")
    with _only_server(Path(folder)):
        sock = bind(host, port)
        try:
            app = create_app(folder)
            game: Game = app.state.game
            try:
                _announce(game, host, port, "https" if certfile else "http")
                config = uvicorn.Config(
                    app,
                    log_level="warning",
                    access_log=False,
                    ssl_certfile=certfile,
                    ssl_keyfile=keyfile,
                    timeout_graceful_shutdown=5,
                )
                uvicorn.Server(config).run(sockets=[sock])
            finally:
                game.store.close()
        finally:
            sock.close()


def _announce(game: Game, host: str, port: int, scheme: str) -> None:
    """Where the pages are, on stderr."""
    if host in ("0.0.0.0", "::", ""):
        here = f"{scheme}://<this machine's address>:{port}"
    else:
        here = f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"
    print(
        f"event {game.event.name}: {len(game.teams)} teams, clock {game.clock()['status']}\n"
        f"scoreboard: {here}/   trainer: {here}/admin "
        f"(token in {game.event.folder / 'tokens.json'})\n"
        f"the teams' bundles send to {game.event.url}\nCtrl+C stops the server",
        file=sys.stderr,
        flush=True,
    )
