"""The quiz on the command line: ``check``, ``hint``, ``progress``, ``key``, ``reset``.

Each command is a thin shell over the notebook API (:mod:`helpers.notebook`)::

    gameday check q1 203.0.113.7       # exit 0 if correct, 1 if not, 2 on a usage error
    gameday hint q1                    # the next hint and its cost (recorded)
    gameday progress                   # points per question and in total
    gameday key [--json] [--key FILE]  # trainer: the plaintext key from the key file
    gameday reset [--new-seed]         # archive attempts logs, regenerate the data set

``helpers/cli.py`` registers them with :func:`add_commands`; every parser sets
``func``, which takes the parsed arguments and returns the exit code. A user
mistake raises :class:`~helpers.errors.GameDayError`; :func:`run` shows how the
main program turns it into one line on stderr (exit 2 for a UsageError, else 1).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpers.errors import DatasetError, GameDayError, UsageError
from helpers.paths import DEFAULT_SCALE, default_dataset_dir, default_key_path
from helpers.quiz.attempts import PROGRESS_DIR

if TYPE_CHECKING:
    from helpers.notebook import Session


def _session(dataset: Path) -> Session:
    """The notebook API's session, imported on use: pandas and Altair take seconds to load.
    In a team's data set of an event, the server checks the answers."""
    from helpers.notebook import new_session

    return new_session(dataset)


ARCHIVE_DIR = "archive"


def add_commands(subparsers: Any) -> None:
    """Register check, hint, progress, key and reset on an argparse subparsers object."""
    p = subparsers.add_parser("check", help="check an answer (exit 0 if correct, 1 if not)")
    p.add_argument("qid", help="the question id, e.g. q1")
    p.add_argument("answer", help="your answer (quote it if it has spaces)")
    _dataset_option(p)
    p.set_defaults(func=cmd_check)

    p = subparsers.add_parser("hint", help="show the next hint of a question and its cost")
    p.add_argument("qid", help="the question id, e.g. q1")
    _dataset_option(p)
    p.set_defaults(func=cmd_hint)

    p = subparsers.add_parser("progress", help="points per question and in total")
    _dataset_option(p)
    p.set_defaults(func=cmd_progress)

    p = subparsers.add_parser("key", help="trainer: print the answer key")
    _dataset_option(p)
    p.add_argument("--json", action="store_true", help="print the answers as JSON")
    p.add_argument("--key", metavar="FILE", help="the key file (default: answers/keys/<name>.json)")
    p.set_defaults(func=cmd_key)

    p = subparsers.add_parser(
        "reset", help="archive the attempts logs and regenerate the data set (same seed)"
    )
    _dataset_option(p)
    p.add_argument("--new-seed", action="store_true", help="regenerate with a new random seed")
    p.set_defaults(func=cmd_reset)


def _dataset_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dataset", metavar="DIR", help="the data set folder (default: datasets/leaked-key)"
    )


def _dataset(args: argparse.Namespace) -> Path:
    return Path(args.dataset).expanduser() if args.dataset else default_dataset_dir()


def cmd_check(args: argparse.Namespace) -> int:
    """``check QID ANSWER``: one line; exit 0 if correct, 1 if not, 2 if it cannot check.

    Exit 1 means "checked, not correct" only, so every other mistake (no data
    set, an unknown question) is raised as a UsageError: exit 2.
    """
    try:
        result = _session(_dataset(args)).check(args.qid, args.answer)
    except UsageError:
        raise
    except GameDayError as exc:
        raise UsageError(str(exc)) from None
    print(result.line)
    return 0 if result.correct else 1


def cmd_hint(args: argparse.Namespace) -> int:
    """``hint QID``: the next hint and its cost; its use is recorded."""
    print(_session(_dataset(args)).hint(args.qid))
    return 0


def cmd_progress(args: argparse.Namespace) -> int:
    """``progress``: the progress table and total."""
    print(_session(_dataset(args)).progress())
    return 0


def read_key(path: Path) -> dict[str, Any]:
    """The trainer's key file; a GameDayError says where it should be when it is not."""
    try:
        key = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DatasetError(
            f"no answer key at {path}: keys stay on the trainer's machine "
            "(`gameday generate` writes one); name another with --key FILE"
        ) from None
    except ValueError as exc:
        raise DatasetError(f"{path} is not a key file ({exc})") from None
    if not isinstance(key, dict) or not isinstance(key.get("answers"), dict):
        raise DatasetError(f"{path} is not a key file: it has no answers")
    return key


def cmd_key(args: argparse.Namespace) -> int:
    """``key``: the plaintext answers from the trainer's key file."""
    path = Path(args.key).expanduser() if args.key else default_key_path(_dataset(args))
    answers = read_key(path)["answers"]
    if args.json:
        print(json.dumps(answers, indent=2, ensure_ascii=False))
        return 0
    width = max((len(q) for q in answers), default=0)
    for qid, answer in answers.items():
        shown = ", ".join(map(str, answer)) if isinstance(answer, list) else answer
        print(f"{qid:<{width}}  {shown}")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    """``reset``: archive the attempts logs, then regenerate with the same (or a new) seed."""
    dataset = _dataset(args)
    info_path = dataset / "dataset.json"
    try:
        info = json.loads(info_path.read_text(encoding="utf-8"))
        scenario = str(info["scenario"])
    except (FileNotFoundError, ValueError, KeyError, TypeError):
        raise DatasetError(
            f"no data set at {dataset} (no dataset.json naming its scenario): "
            "run `gameday generate`"
        ) from None
    key_path = default_key_path(dataset)
    key = read_key(key_path) if key_path.is_file() else {}
    if args.new_seed:
        seed = secrets.randbelow(2**31)
    elif isinstance(key.get("seed", info.get("seed")), int):
        seed = key.get("seed", info.get("seed"))
    else:
        raise UsageError(f"no seed known for {dataset.name} (no key at {key_path}): use --new-seed")
    scale = key.get("scale") or info.get("scale") or DEFAULT_SCALE

    from helpers.generate import generate

    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    archived, holding = _archive_progress(dataset, stamp)
    try:
        generate(scenario, seed, scale, dataset, force=True, key_out=key_path)
    finally:
        if holding is not None:
            _merge_dir(holding, dataset / PROGRESS_DIR)
    where = f"; {archived} attempts log(s) archived in {PROGRESS_DIR}/{ARCHIVE_DIR}/{stamp}"
    print(f"reset {dataset.name}: scenario {scenario}, seed {seed}{where if archived else ''}")
    return 0


def _archive_progress(dataset: Path, stamp: str) -> tuple[int, Path | None]:
    """Move the logs into ``progress/archive/<stamp>/`` and the progress folder out of
    the data set while it is regenerated; return the count and where it is held."""
    progress = dataset / PROGRESS_DIR
    if not progress.is_dir():
        return 0, None
    logs = sorted(progress.glob("*.jsonl"))
    if logs:
        target = progress / ARCHIVE_DIR / stamp
        target.mkdir(parents=True, exist_ok=True)
        for log in logs:
            log.rename(target / log.name)
    holding = dataset.parent / f".{dataset.name}.progress-{stamp}"
    progress.rename(holding)
    return len(logs), holding


def _merge_dir(src: Path, dst: Path) -> None:
    """Move ``src`` to ``dst``, merging into it if it exists; nothing is overwritten."""
    if not dst.exists():
        dst.parent.mkdir(parents=True, exist_ok=True)
        src.rename(dst)
        return
    for child in src.iterdir():
        target = dst / child.name
        if child.is_dir() and target.is_dir():
            _merge_dir(child, target)
            continue
        n = 1
        while target.exists():
            target = dst / f"{child.name}.{n}"
            n += 1
        child.rename(target)
    src.rmdir()  # empty now


def run(args: argparse.Namespace) -> int:
    """Run a parsed command as ``gameday`` does: a mistake is one line on stderr,
    exit 2 for a UsageError and 1 for any other GameDayError."""
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GameDayError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


def main(argv: list[str] | None = None) -> int:
    """These commands alone (helpers/cli.py has them all); argparse errors exit 2."""
    parser = argparse.ArgumentParser(prog="gameday")
    add_commands(parser.add_subparsers(dest="command", required=True))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
