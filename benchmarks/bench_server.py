"""The scoreboard server under forty teams at once: latency of a check (and of a hint).

    .venv/bin/python benchmarks/bench_server.py [--event DIR] [--teams 40] [--requests 25]
                        [--rounds 3] [--pace SECONDS] [--client raw|urllib]

Makes a ``small`` event with one shared data set (or reuses ``--event``), starts
``gameday serve`` on a free loopback port, starts the clock, and lets every team send
its requests at once: answers (wrong, partial, right, again) and hint requests, each
team's one after another, back to back (``--pace 0``) or at random moments over
``--pace`` seconds. Each request opens a connection of its own, as the notebook's
``urllib`` does; the ``raw`` client (the default) sends it from asyncio, so the client
takes little of the two cores; ``urllib`` is the notebook's own client, a thread per
request in flight. Between rounds the trainer resets every team. Prints the median and
the 99th percentile of the time from connecting to reading the whole answer, and the
server's CPU per request (all its worker processes; ``--workers`` as ``gameday serve``
takes it, default one per core).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from helpers.event.client import EventClient
from helpers.event.config import DB_FILE, Event, Tokens
from helpers.event.create import create_event

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trainer_call(url: str, token: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        url + path,
        data=json.dumps(body).encode() if body is not None else None,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def plan(
    key: dict, kinds: dict, requests: int, rng: random.Random
) -> list[tuple[str, str, object]]:
    """Answers and hints over every question: at most 2 wrong answers per question."""
    questions = list(key)
    rng.shuffle(questions)
    ops = []
    for i in range(requests):
        qid = questions[i % len(questions)]
        roll = rng.random()
        if roll < 0.2:
            ops.append(("hint", qid, None))
        elif roll < 0.5:
            ops.append(("check", qid, key[qid][:1] if kinds[qid] == "set" else "no-such-thing"))
        else:
            ops.append(("check", qid, key[qid]))
    return ops


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--event", type=Path, help="an event folder to reuse (a copy is served)")
    parser.add_argument("--teams", type=int, default=40)
    parser.add_argument("--requests", type=int, default=25, help="per team and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pace", type=float, default=0.0, help="spread a round over seconds")
    parser.add_argument(
        "--client", choices=("raw", "urllib"), default="raw", help="light, or the notebook's"
    )
    parser.add_argument("--workers", type=int, help="server processes (gameday serve's default)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-server-"))
    try:
        folder = work / "event"
        if args.event:
            shutil.copytree(
                args.event, folder, ignore=shutil.ignore_patterns("bundles", f"{DB_FILE}*")
            )
        else:
            started = time.perf_counter()
            create_event(folder, args.teams, shared_seed=True, scale="small", progress=False)
            print(f"event of {args.teams} teams made in {time.perf_counter() - started:.1f} s")
        run(folder, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run(folder: Path, args: argparse.Namespace) -> None:
    event, tokens = Event.load(folder), Tokens.load(folder)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "helpers.cli", "serve", str(folder), "--port", str(port)]
        + (["--workers", str(args.workers)] if args.workers else []),
        cwd=REPO,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(url + "/api/v1/health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.1)
        trainer_call(url, tokens.trainer, "/api/v1/admin/clock", {"action": "start"})
        teams = list(event.teams)[: args.teams]
        keys = {t.id: json.loads((folder / t.key).read_text())["answers"] for t in teams}
        kinds = {
            q: e["kind"]
            for q, e in json.loads((folder / teams[0].answers).read_text())["questions"].items()
        }
        checks: list[float] = []
        hints: list[float] = []
        errors = 0
        wall = 0.0
        server_cpu = 0.0
        for round_ in range(args.rounds):
            for t in teams:
                trainer_call(url, tokens.trainer, f"/api/v1/admin/teams/{t.id}/reset")
            rng = random.Random(round_)
            plans = {t.id: plan(keys[t.id], kinds, args.requests, rng) for t in teams}
            send = (
                _urllib_sender(url, tokens, teams)
                if args.client == "urllib"
                else _raw_sender(port, tokens, teams)
            )
            t0, cpu0 = time.perf_counter(), _cpu_seconds(server.pid)
            results = _run(_round(plans, send, args.pace, round_))
            wall += time.perf_counter() - t0
            server_cpu += _cpu_seconds(server.pid) - cpu0
            for kind, status, took in results:
                (hints if kind == "hint" else checks).append(took)
                errors += status not in (200, 429)
    finally:
        server.terminate()
        server.wait(timeout=30)

    def line(name: str, values: list[float]) -> str:
        ms = sorted(v * 1000 for v in values)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        return (
            f"  {name}: {len(ms)} requests, median {statistics.median(ms):.1f} ms, "
            f"p99 {p99:.1f} ms, max {ms[-1]:.1f} ms"
        )

    pace = "back to back" if not args.pace else f"spread over {args.pace:g} s"
    pace += f", {args.client} client"
    if args.workers:
        pace += f", {args.workers} server process{'es' if args.workers > 1 else ''}"
    total = len(checks) + len(hints)
    print(
        f"{len(teams)} teams at once, {args.requests} requests each ({pace}), "
        f"{args.rounds} rounds: {total / wall:.0f} requests/s, {errors} errors"
        + (f", server CPU {server_cpu / total * 1000:.2f} ms per request" if server_cpu else "")
    )
    print(line("check", checks))
    print(line("hint", hints))


def _run(coroutine):
    """asyncio.run on uvloop where it is installed: the client's side of the two cores
    stays small (the teams' own machines would send these requests)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


def _cpu_seconds(pid: int) -> float:
    """CPU time (user + system) so far of a process and its children (the server's other
    workers); 0 where /proc is not there."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(int(child)) for child in children)


async def _round(plans: dict, send, pace: float, round_: int) -> list[tuple[str, int, float]]:
    """Every team's plan at once, each team's requests one after another (or at random
    moments over ``pace`` seconds); ``(kind, HTTP status, seconds)`` per request."""
    results: list[tuple[str, int, float]] = []
    began = time.perf_counter()

    async def team(team_id: str) -> None:
        rng = random.Random(f"{team_id}-{round_}")
        at = sorted(rng.uniform(0, pace) for _ in plans[team_id])
        for when, (kind, qid, answer) in zip(at, plans[team_id], strict=True):
            delay = began + when - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            t0 = time.perf_counter()
            status = await send(team_id, kind, qid, answer)
            results.append((kind, status, time.perf_counter() - t0))

    await asyncio.gather(*(team(t) for t in plans))
    return results


def _raw_sender(port: int, tokens: Tokens, teams: list):
    """A light client: one asyncio connection per request, as the notebook's ``urllib``
    opens, without Python's HTTP machinery on the client's side of the two cores."""
    datasets = {t.id: t.dataset for t in teams}

    async def send(team: str, kind: str, qid: str, answer) -> int:
        path = "/api/v1/hints" if kind == "hint" else "/api/v1/attempts"
        body = {"dataset": datasets[team], "qid": qid}
        body.update({"n": None} if kind == "hint" else {"answer": answer})
        data = json.dumps(body).encode()
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Authorization: Bearer {tokens.teams[team]}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            "Connection: close\r\n\r\n"
        )
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head.encode() + data)
        raw = await reader.read()
        writer.close()
        return int(raw[9:12])

    return send


def _urllib_sender(url: str, tokens: Tokens, teams: list):
    """The notebook's own client, one thread per request in flight."""
    clients = {t.id: EventClient(url, tokens.teams[t.id], t.dataset) for t in teams}

    async def send(team: str, kind: str, qid: str, answer) -> int:
        client = clients[team]
        call = (
            (lambda: client.hint(qid)) if kind == "hint" else (lambda: client.attempt(qid, answer))
        )
        status, _ = await asyncio.to_thread(call)
        return status

    return send


if __name__ == "__main__":
    main()
