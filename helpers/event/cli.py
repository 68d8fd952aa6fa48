"""``gameday event create``, ``gameday event export`` and ``gameday serve``: thin shells
over :func:`~helpers.event.create.create_event`, :func:`~helpers.event.results.export_results`
and :func:`~helpers.event.server.serve`.

    gameday event create events/dec --teams 40 [--shared-seed] [--scale small] [--minutes 120]
    gameday serve events/dec --host 0.0.0.0 --port 8000
    gameday event export events/dec [--out DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from helpers.errors import UsageError
from helpers.paths import DEFAULT_SCENARIO


def _whole(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be {minimum} or more, not {text!r}")
        return value

    return parse


def _minutes(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of minutes, not {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {text!r}")
    return value


def _points(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(p) for p in text.replace(" ", "").split(",") if p)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"takes points separated by commas, e.g. 30,20,10, not {text!r}"
        ) from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"takes points >= 0, not {text!r}")
    return values


def add_commands(subparsers: Any) -> None:
    """Register ``event`` (``create``, ``export``) and ``serve``."""
    from helpers.event.config import DEFAULT_URL
    from helpers.event.create import DEFAULT_EVENT_SCALE

    event = subparsers.add_parser("event", help="a team competition: create an event, export it")
    sub = event.add_subparsers(dest="event_command", required=True, parser_class=type(event))

    p = sub.add_parser(
        "create", help="per-team data sets, tokens and participant bundles in EVENT_DIR"
    )
    p.add_argument("event_dir", type=Path, metavar="EVENT_DIR", help="a new folder for the event")
    p.add_argument("--teams", type=_whole(1), required=True, help="how many teams")
    p.add_argument(
        "--scenario", default=DEFAULT_SCENARIO, help=f"storyline (default {DEFAULT_SCENARIO})"
    )
    seeding = p.add_mutually_exclusive_group()
    seeding.add_argument(
        "--shared-seed", action="store_true", help="one data set for every team (generated once)"
    )
    seeding.add_argument(
        "--seed-per-team",
        action="store_true",
        help="a data set per team from its own secret seed (the default)",
    )
    p.add_argument(
        "--scale",
        default=DEFAULT_EVENT_SCALE,
        help=f"small, workshop or large (default {DEFAULT_EVENT_SCALE}; small takes ~10 s a "
        "data set, workshop ~30 s)",
    )
    p.add_argument("--minutes", type=_minutes, default=120.0, help="the event's length (120)")
    p.add_argument(
        "--url",
        default=DEFAULT_URL,
        help=f"the server's address as the teams reach it (default {DEFAULT_URL})",
    )
    p.add_argument(
        "--wrong-penalty", type=_whole(0), default=0, help="points off per wrong answer (0)"
    )
    p.add_argument(
        "--speed-bonus",
        type=_points,
        default=(),
        metavar="POINTS",
        help="extra points for the first solvers of each question, e.g. 30,20,10",
    )
    p.add_argument(
        "--freeze-minutes",
        type=_minutes,
        default=0.0,
        help="freeze the public scoreboard for the last minutes (0: never)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_event_create)

    p = sub.add_parser("export", help="results per team and question as CSV and JSON")
    p.add_argument("event_dir", type=Path, metavar="EVENT_DIR")
    p.add_argument("--out", type=Path, default=None, help="folder for the files (EVENT_DIR)")
    p.set_defaults(func=cmd_event_export)

    p = subparsers.add_parser("serve", help="run an event's scoreboard server")
    p.add_argument("event_dir", type=Path, metavar="EVENT_DIR")
    p.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (0.0.0.0: every interface)"
    )
    p.add_argument("--port", type=_whole(1), default=8000, help="port (8000)")
    p.add_argument("--certfile", type=Path, default=None, help="HTTPS: the certificate (PEM)")
    p.add_argument("--keyfile", type=Path, default=None, help="HTTPS: its private key (PEM)")
    p.add_argument(
        "--workers",
        type=_whole(1),
        default=None,
        help="server processes (Linux: one per core, at most 4; elsewhere 1)",
    )
    p.set_defaults(func=cmd_serve)


def cmd_event_create(args: argparse.Namespace) -> int:
    from helpers.event.config import EventRules
    from helpers.event.create import create_event

    rules = EventRules(
        minutes=args.minutes,
        wrong_penalty=args.wrong_penalty,
        speed_bonus=args.speed_bonus,
        freeze_minutes=args.freeze_minutes,
    )
    made = create_event(
        args.event_dir,
        args.teams,
        scenario=args.scenario,
        shared_seed=args.shared_seed,
        scale=args.scale,
        url=args.url,
        rules=rules,
        progress=not args.quiet,
    )
    event = made.event
    print(
        f"event {event.name}: {len(event.teams)} teams, {event.scenario} at {event.scale} scale, "
        f"{'one shared data set' if event.seeding == 'shared' else 'a data set per team'}, "
        f"{event.rules.minutes:g} minutes"
    )
    print(f"bundles for the teams: {event.folder / 'bundles'}/ (one .tar.gz each)")
    print(f"trainer's token: {made.tokens.trainer} (kept in {event.folder / 'tokens.json'})")
    print(f"next: gameday serve {event.folder}  (teams reach it at {event.url})")
    return 0


def cmd_event_export(args: argparse.Namespace) -> int:
    from helpers.event.results import export_results

    for path in export_results(args.event_dir, args.out):
        print(path)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from helpers.event.server import serve

    if args.port > 65535:
        raise UsageError(f"--port must be 1 to 65535, not {args.port}")
    serve(args.event_dir, args.host, args.port, args.certfile, args.keyfile, args.workers)
    return 0
