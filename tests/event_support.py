"""Event mode's test fixtures: events made once per session, and a real scoreboard server
(``gameday serve`` in a subprocess, on a free loopback port) on a fresh copy of one.

Loaded by ``conftest.py`` (``pytest_plugins``)::

    def test_x(shared_event, tmp_path):
        with running_server(fresh_copy(shared_event, tmp_path / "ev")) as server:
            status, body = server.call("GET", "/api/v1/scoreboard")
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from helpers.event.client import EventClient
from helpers.event.config import BUNDLES_DIR, DB_FILE, EVENT_FILE, Event, EventRules, Tokens
from helpers.event.create import create_event
from helpers.quiz.answers import Checker

REPO = Path(__file__).resolve().parents[1]
SHARED_TEAMS = 40


@pytest.fixture(scope="session")
def shared_event(tmp_path_factory) -> Path:
    """A 40-team event on one ``small`` data set (generated once), 120 minutes."""
    folder = tmp_path_factory.mktemp("events") / "shared"
    create_event(folder, SHARED_TEAMS, shared_seed=True, scale="small", progress=False)
    return folder


@pytest.fixture(scope="session")
def per_team_event(tmp_path_factory) -> Path:
    """A 2-team event, a ``small`` data set per team from its own secret seed."""
    folder = tmp_path_factory.mktemp("events") / "per-team"
    create_event(folder, 2, scale="small", progress=False)
    return folder


def fresh_copy(event: Path, dest: Path, **rules: Any) -> Path:
    """The event without its bundles and state (a new database on first use), with
    ``rules`` changed as given."""
    shutil.copytree(event, dest, ignore=shutil.ignore_patterns(BUNDLES_DIR, f"{DB_FILE}*"))
    if rules:
        path = dest / EVENT_FILE
        data = json.loads(path.read_text())
        data["rules"].update(rules)
        EventRules.from_mapping(data["rules"])  # still valid
        path.write_text(json.dumps(data))
    return dest


def unpack(bundle: Path, into: Path) -> Path:
    """Unpack a team's bundle with tar, as a participant would; the folder it made."""
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(["tar", "xzf", str(bundle), "-C", str(into)], check=True)
    (folder,) = into.iterdir()
    return folder


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """A ``gameday serve`` subprocess and what a test needs to talk to it."""

    folder: Path
    port: int
    process: subprocess.Popen
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def event(self) -> Event:
        return Event.load(self.folder)

    @property
    def tokens(self) -> Tokens:
        return Tokens.load(self.folder)

    def team_id(self, n: int) -> str:
        return self.event.teams[n].id

    def dataset(self, team: str) -> str:
        return self.event.team(team).dataset

    def client(self, team: str) -> EventClient:
        return EventClient(self.url, self.tokens.teams[team], self.dataset(team))

    def key(self, team: str) -> dict[str, Any]:
        """The team's plaintext answers, from its key file."""
        return json.loads((self.folder / self.event.team(team).key).read_text())["answers"]

    def checker(self, team: str) -> Checker:
        return Checker.load(self.folder / self.event.team(team).answers)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        raw: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], bytes]:
        """``(status, JSON body or {}, raw body)`` of one request."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"Content-Type": "application/json", **(headers or {})}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        try:
            conn.request(method, path, body=data, headers=sent)
            response = conn.getresponse()
            payload = response.read()
        finally:
            conn.close()
        try:
            parsed = json.loads(payload)
        except ValueError:
            parsed = {}
        return response.status, parsed if isinstance(parsed, dict) else {}, payload

    def admin(self, action: str, **extra: Any) -> dict[str, Any]:
        status, body, _ = self.call(
            "POST", "/api/v1/admin/clock", {"action": action, **extra}, self.tokens.trainer
        )
        assert 200 == status, body
        return body

    def board(self, live: bool = False) -> dict[str, Any]:
        path = "/api/v1/admin/scoreboard" if live else "/api/v1/scoreboard"
        status, body, _ = self.call("GET", path, token=self.tokens.trainer if live else None)
        assert 200 == status, body
        return body

    def records(self) -> list[dict[str, Any]]:
        """Every record in the database, read straight from SQLite."""
        con = sqlite3.connect(f"file:{self.folder / DB_FILE}?mode=ro", uri=True)
        try:
            con.row_factory = sqlite3.Row
            return [dict(r) for r in con.execute("SELECT * FROM records ORDER BY id")]
        finally:
            con.close()

    def kill(self) -> None:
        """SIGKILL: no clean shutdown."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(
    folder: Path, port: int | None = None, log: Path | None = None, args: tuple[str, ...] = ()
) -> Server:
    """``gameday serve FOLDER [ARGS]`` on a free loopback port, once it answers."""
    port = port or free_port()
    log = log or folder.parent / f"{folder.name}-server-{port}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "helpers.cli", "serve", str(folder), "--port", str(port), *args],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    server = Server(folder, port, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server exited ({process.returncode}): {log.read_text()}")
        with contextlib.suppress(OSError):
            if server.call("GET", "/api/v1/health")[0] == 200:
                return server
        time.sleep(0.1)
    server.kill()
    raise AssertionError(f"the server did not answer within 60 s: {log.read_text()}")


@contextlib.contextmanager
def running_server(folder: Path) -> Iterator[Server]:
    server = start_server(folder)
    try:
        yield server
    finally:
        server.stop()
