"""``gameday event create``: an event's folder, its teams' data sets, tokens and bundles.

Each team gets a data set generated from a secret random seed (63 bits: too many to
try them all), or all teams share one (``shared_seed``: generated once). The data
set's ``answers.json`` (hashes and salt) moves into the event folder, where the
server checks with it; the plaintext key goes beside it. A team's bundle,
``bundles/<event>-<team>.tar.gz``, unpacks to one folder::

    <event>/README-TEAM.txt          how to start, where the scoreboard is
    <event>/datasets/<scenario>/     the team's data set, with event.json (server, token)
    <event>/notebooks/               the participant notebooks
    <event>/helpers/, pyproject.toml, Makefile, README.md   the kit, for `make lab`

It holds no answer, no hash and no salt: the sealed debrief stays sealed without
the unlock tokens, which only the server (holding the salt) hands out, one per
question a team solves.

A bundle is two gzip members, which every gzip and tar reader reads as one archive:
the team's own files first, then the data set and the kit, compressed once per data
set, so a shared data set is not compressed again for every team.

>>> create_event(Path("events/dec"), teams=12, scale="small")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import shutil
import sys
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from helpers.errors import DatasetError, UsageError
from helpers.event.config import (
    ANSWERS_DIR,
    BUNDLES_DIR,
    DB_FILE,
    DEFAULT_URL,
    KEYS_DIR,
    TEAM_CONFIG,
    Event,
    EventRules,
    Team,
    Tokens,
    private_dir,
)
from helpers.event.store import Store
from helpers.gz import gzip_bytes
from helpers.paths import DEFAULT_SCENARIO
from helpers.quiz.answers import ANSWERS_FILE, Checker, Entry

#: Most teams an event takes (the issue's events have 35 to 70).
MAX_TEAMS = 500
DEFAULT_EVENT_SCALE = "workshop"
#: What of the kit a bundle carries, besides the notebooks, for `make lab`.
KIT_FILES = ("README.md", "pyproject.toml", "Makefile", "environment.yml")
KIT_SUFFIXES = (".py", ".html", ".js", ".css")
#: What of a generated data set stays out of a bundle.
NOT_BUNDLED = (ANSWERS_FILE, "progress")
#: ISA-L's fastest level: a bundle is mostly gzip files and a DuckDB file.
BUNDLE_LEVEL = 1


@dataclass(frozen=True)
class CreatedEvent:
    """What ``create_event`` made."""

    event: Event
    tokens: Tokens
    bundles: tuple[Path, ...]


def kit_root() -> Path:
    """The folder the kit runs from (holds ``helpers/`` and ``notebooks/``)."""
    import helpers

    return Path(helpers.__file__).resolve().parents[1]


def check_url(url: str) -> str:
    if not re.fullmatch(r"https?://[^\s/?#]+(:\d+)?/?", url or ""):
        raise UsageError(
            f"--url must be the server's address as teams reach it, e.g. http://10.0.0.5:8000, "
            f"not {url!r}"
        )
    return url.rstrip("/")


def create_event(
    folder: Path,
    teams: int,
    scenario: str = DEFAULT_SCENARIO,
    shared_seed: bool = False,
    scale: str = DEFAULT_EVENT_SCALE,
    url: str = DEFAULT_URL,
    rules: EventRules | None = None,
    progress: bool = True,
) -> CreatedEvent:
    """Make the event folder: per team a data set, a token and a bundle; the trainer's
    token. ``rules`` default to :class:`~helpers.event.config.EventRules`' defaults.

    >>> create_event(Path("events/dec"), 40, shared_seed=True, scale="small")  # doctest: +SKIP
    """
    from helpers.generate import check_options

    folder = Path(folder).expanduser()
    if isinstance(teams, bool) or not isinstance(teams, int) or not 1 <= teams <= MAX_TEAMS:
        raise UsageError(f"--teams must be 1 to {MAX_TEAMS}, not {teams!r}")
    check_options(scenario, 0, scale)
    url = check_url(url)
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise DatasetError(
            f"{folder} already holds files: an event folder is made once, name a new one"
        )
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", folder.resolve().name).strip(".-") or "event"
    made_folder = not folder.exists()
    try:
        return _create(
            folder, name, teams, scenario, shared_seed, scale, url, rules or EventRules(), progress
        )
    except BaseException:
        if made_folder:
            shutil.rmtree(folder, ignore_errors=True)
        else:
            for child in folder.iterdir():
                shutil.rmtree(child) if child.is_dir() else child.unlink()
        raise


def _create(
    folder: Path,
    name: str,
    teams: int,
    scenario: str,
    shared_seed: bool,
    scale: str,
    url: str,
    rules: EventRules,
    progress: bool,
) -> CreatedEvent:
    private_dir(folder)
    for sub in (ANSWERS_DIR, KEYS_DIR, BUNDLES_DIR):
        private_dir(folder / sub)
    work = private_dir(folder / ".work")
    width = max(2, len(str(teams)))
    ids = [f"team-{i:0{width}d}" for i in range(1, teams + 1)]
    tokens = Tokens(secrets.token_urlsafe(24), {t: secrets.token_urlsafe(24) for t in ids})
    notebooks = participant_notebooks(scenario)
    kit = _kit_members(name, notebooks)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    bar = _bar(
        teams, progress, "shared data set, then bundles" if shared_seed else "team data sets"
    )
    parts: dict[str, tuple[Path, dict[str, Entry]]] = {}
    made: list[Team] = []
    bundles: list[Path] = []
    for team_id in ids:
        data = "shared" if shared_seed else team_id
        if data not in parts:
            parts[data] = _data_set_part(folder, work, name, data, scenario, scale, kit)
        part, entries = parts[data]
        team = Team(
            id=team_id,
            name=team_id,
            dataset=secrets.token_hex(8),
            answers=f"{ANSWERS_DIR}/{data}.json",
            key=f"{KEYS_DIR}/{data}.json",
        )
        config = team_config(name, url, team, tokens.teams[team_id], entries, rules)
        own = {
            f"{name}/README-TEAM.txt": team_readme(name, team, url, scenario, notebooks).encode(),
            f"{name}/datasets/{scenario}/{TEAM_CONFIG}": (
                json.dumps(config, indent=1) + "\n"
            ).encode(),
        }
        bundles.append(_write_bundle(folder / BUNDLES_DIR / f"{name}-{team_id}.tar.gz", own, part))
        if not shared_seed:
            part.unlink()
        made.append(team)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    event = Event(
        folder=folder,
        name=name,
        scenario=scenario,
        scale=scale,
        seeding="shared" if shared_seed else "per-team",
        url=url,
        created=created,
        rules=rules,
        teams=tuple(made),
    )
    event.save()
    tokens.save(folder)
    store = Store(folder / DB_FILE)
    store.sync_teams(event.teams)
    store.close()
    shutil.rmtree(work)
    return CreatedEvent(event, tokens, tuple(bundles))


def _bar(total: int, enabled: bool, what: str):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, unit="team", desc=what, file=sys.stderr)


def _data_set_part(
    folder: Path,
    work: Path,
    name: str,
    data: str,
    scenario: str,
    scale: str,
    kit: list[tuple[str, Path]],
) -> tuple[Path, dict[str, Entry]]:
    """Generate a data set from a secret seed; keep its answers and key in the event
    folder; compress it with the kit as the shared part of its teams' bundles."""
    from helpers.generate import generate

    out = work / data
    key = folder / KEYS_DIR / f"{data}.json"
    generate(scenario, secrets.randbits(63), scale, out, key_out=key, progress=False)
    os.chmod(key, 0o600)
    answers = folder / ANSWERS_DIR / f"{data}.json"
    shutil.move(out / ANSWERS_FILE, answers)
    os.chmod(answers, 0o600)
    entries = dict(Checker.load(answers).entries)
    members = [*kit, (f"{name}/datasets/{scenario}", out)]
    part = work / f"{data}.part.gz"
    _write_part(part, members)
    shutil.rmtree(out)
    return part, entries


def participant_notebooks(scenario: str) -> list[Path]:
    """The notebooks of an event: ``00-start-here`` and the scenario's own."""
    folder = kit_root() / "notebooks"
    found = sorted(folder.glob("00-start-here.ipynb")) + sorted(
        folder.glob(f"[0-9][0-9]-{scenario}.ipynb")
    )
    if not found:
        raise DatasetError(
            f"no participant notebooks for {scenario} in {folder}: create events from a clone "
            "of the kit"
        )
    return found


def _kit_members(name: str, notebooks: list[Path]) -> list[tuple[str, Path]]:
    """``(name in the archive, file)`` for the kit's files a bundle carries."""
    root = kit_root()
    members = [(f"{name}/{f}", root / f) for f in KIT_FILES if (root / f).is_file()]
    for path in sorted((root / "helpers").rglob("*")):
        if path.is_file() and path.suffix in KIT_SUFFIXES and "__pycache__" not in path.parts:
            members.append((f"{name}/{path.relative_to(root).as_posix()}", path))
    members += [(f"{name}/notebooks/{p.name}", p) for p in notebooks]
    return members


def _clean(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    """No owner names in a bundle, plain modes, nothing of the answers."""
    if Path(info.name).name in NOT_BUNDLED:
        return None
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    info.mode = 0o755 if info.isdir() else 0o644
    return info


def _write_part(path: Path, members: list[tuple[str, Path]]) -> None:
    """A gzip member holding a tar archive of ``members`` (folders recursively)."""
    from isal import igzip

    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with (
        open(fd, "wb") as raw,
        igzip.IGzipFile(fileobj=raw, mode="wb", compresslevel=BUNDLE_LEVEL, mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for arcname, source in members:
            tar.add(source, arcname=arcname, filter=_clean)


def _write_bundle(path: Path, own: Mapping[str, bytes], part: Path) -> Path:
    """The team's own files as tar members (no end-of-archive), then the shared part."""
    stamp = int(dt.datetime.now(dt.UTC).timestamp())
    pieces = []
    for arcname, data in own.items():
        info = tarfile.TarInfo(arcname)
        info.size = len(data)
        info.mode = 0o600 if arcname.endswith(TEAM_CONFIG) else 0o644
        info.mtime = stamp
        pieces += [info.tobuf(tarfile.PAX_FORMAT), data, b"\0" * (-len(data) % tarfile.BLOCKSIZE)]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(fd, "wb") as out, part.open("rb") as shared:
        out.write(gzip_bytes(b"".join(pieces)))
        shutil.copyfileobj(shared, out, 1 << 20)
    return path


def team_config(
    event: str,
    url: str,
    team: Team,
    token: str,
    entries: Mapping[str, Entry],
    rules: EventRules,
) -> dict[str, object]:
    """The team's ``event.json``: where the server is, who the team is, and per question
    only what the notebook needs to read an answer and show the points."""
    questions = {}
    for qid, e in entries.items():
        q: dict[str, object] = {
            "kind": e.kind,
            "points": e.points,
            "hint_costs": list(e.hint_costs),
        }
        if e.choices:
            q["choices"] = list(e.choices)
        if e.case_sensitive:
            q["case_sensitive"] = True
        if e.decimals is not None:
            q["decimals"] = e.decimals
        if e.tolerance:
            q["tolerance"] = e.tolerance
        questions[qid] = q
    return {
        "format": 1,
        "event": event,
        "server": url,
        "team": team.id,
        "team_name": team.name,
        "token": token,
        "dataset": team.dataset,
        "rules": {"minutes": rules.minutes, "wrong_penalty": rules.wrong_penalty},
        "questions": questions,
    }


def team_readme(event: str, team: Team, url: str, scenario: str, notebooks: list[Path]) -> str:
    """How a team starts: what the bundle holds, where the server is."""
    data = f"datasets/{scenario}"
    order = ", then ".join(f"notebooks/{p.name}" for p in notebooks)
    return f"""GameDay event {event}: {team.name}

Your answers go to the event's scoreboard server at {url}
(open {url}/ in a browser for the ranking). Your team's token is in
{data}/event.json: keep it within your team.

Start, with python3 (3.11 or newer) and make, in this folder:

    GAMEDAY_DATASET="$PWD/{data}" make lab DATASET={data}

(it installs the kit in .venv and starts JupyterLab), or, where GameDay Kit is
installed already:

    GAMEDAY_DATASET="$PWD/{data}" jupyter lab notebooks/

Open {order}. check(), hint() and progress() ask the server; when it cannot be
reached, your answer is not recorded: try again. If the trainer moved the server, set
GAMEDAY_SERVER=http://HOST:PORT before starting.
"""
