"""The ``gameday`` command: a thin shell over functions a notebook could call.

Every user mistake is a :class:`~helpers.errors.GameDayError`: printed on one
line, exit status 2 for usage and 1 for everything else, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from helpers.errors import GameDayError, UsageError
from helpers.paths import DEFAULT_SCALE, DEFAULT_SCENARIO, DEFAULT_SEED


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing usage and exiting."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, not {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 0, not {text!r}")
    return value


def cmd_generate(args: argparse.Namespace) -> int:
    from helpers.generate import generate

    result = generate(
        args.scenario,
        args.seed,
        args.scale,
        args.out,
        args.force,
        args.key_out,
        progress=not args.quiet,
    )
    counts = ", ".join(f"{n:,} {t}" for t, n in result.counts.items())
    print(f"data set ready in {result.out} ({counts}) in {result.seconds:.1f} s")
    print(f"answer key (trainers only): {result.key_path}")
    return 0


def cmd_scenarios(args: argparse.Namespace) -> int:
    from helpers.storylines import STORYLINES

    width = max(len(n) for n in STORYLINES)
    for name, s in STORYLINES.items():
        print(f"{name:<{width}}  {s.summary}")
    return 0


def cmd_describe(args: argparse.Namespace) -> int:
    from helpers.catalog import data_dictionary

    print(data_dictionary(markdown=args.markdown))
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from helpers.ingest import ingest

    report = ingest(args.paths, args.out, force=args.force)
    for line in report.lines():
        print(line)
    print(f"catalog: {Path(args.out) / 'gameday.duckdb'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="gameday", description="Security-incident GameDays on realistic AWS logs."
    )
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser(
        "generate", help="generate a data set: native AWS logs + DuckDB catalog + key"
    )
    p.add_argument(
        "--scenario", default=DEFAULT_SCENARIO, help=f"storyline (default {DEFAULT_SCENARIO})"
    )
    p.add_argument(
        "--seed", type=_seed, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})"
    )
    p.add_argument("--scale", default=DEFAULT_SCALE, help="small, workshop (default) or large")
    p.add_argument(
        "--out", type=Path, default=None, help="data set folder (default datasets/<scenario>)"
    )
    p.add_argument(
        "--key-out",
        type=Path,
        default=None,
        help="answer key file (default answers/keys/<data set>.json)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing data set")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("scenarios", help="list the storylines")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("describe", help="the data dictionary: every table and column")
    p.add_argument("--markdown", action="store_true", help="as Markdown")
    p.set_defaults(func=cmd_describe)

    p = sub.add_parser("ingest", help="load your own CloudTrail / VPC flow / GuardDuty files")
    p.add_argument("paths", nargs="+", type=Path, help="files or folders")
    p.add_argument("--out", type=Path, default=Path("datasets/ingested"), help="catalog folder")
    p.add_argument("--force", action="store_true", help="replace an existing catalog")
    p.set_defaults(func=cmd_ingest)

    try:
        from helpers.quiz_cli import add_commands
    except ImportError:  # pragma: no cover - the quiz CLI is part of the kit
        pass
    else:
        add_commands(sub)

    from helpers.event.cli import add_commands as add_event_commands

    add_event_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except UsageError as exc:
        print(f"gameday: {exc}", file=sys.stderr)
        return 2
    except GameDayError as exc:
        print(f"gameday: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("gameday: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
