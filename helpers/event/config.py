"""An event's folder: what it holds, its rules, its teams, its tokens.

``EVENT_DIR`` belongs to the trainer and is readable by its owner only (folders
0700, files 0600)::

    gameday-event.json         name, scenario, scale, server URL, rules, teams
    tokens.json                the trainer's token and every team's
    answers/<data set>.json    the data set's answers.json (hashes, salt): the server's
    keys/<data set>.json       the data set's plaintext answer key (for the trainer)
    bundles/<event>-<team>.tar.gz  what each team gets
    event.sqlite               the server's state (see :mod:`helpers.event.store`)

A team's bundle holds its data set with ``event.json`` (:data:`TEAM_CONFIG`) in it:
the server's URL, the team's id and token, the data set's id, and each question's
kind, points and hint costs; never an answer, a hash or a salt.

>>> event = Event.load(Path("events/dec"))  # doctest: +SKIP
>>> event.team("team-01").name  # doctest: +SKIP
'team-01'
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from helpers.errors import DatasetError, UsageError

EVENT_FILE = "gameday-event.json"
TOKENS_FILE = "tokens.json"
DB_FILE = "event.sqlite"
ANSWERS_DIR = "answers"
KEYS_DIR = "keys"
BUNDLES_DIR = "bundles"
#: The team's configuration in its data set folder: it turns on event mode.
TEAM_CONFIG = "event.json"
FORMAT = 1
DEFAULT_URL = "http://127.0.0.1:8000"
#: Team ids and data set ids: what the server accepts in a field or a path.
TEAM_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


@dataclass(frozen=True)
class EventRules:
    """How an event is scored and run.

    ``speed_bonus`` gives the first team to solve a question ``speed_bonus[0]`` extra
    points, the second ``speed_bonus[1]``, and so on; ``freeze_minutes`` hides the last
    minutes' changes from the public scoreboard; ``wrong_per_minute`` limits the wrong
    answers per team and question in any minute.
    """

    minutes: float = 120
    wrong_penalty: int = 0
    hint_floor: float = 0.1
    speed_bonus: tuple[int, ...] = ()
    freeze_minutes: float = 0
    wrong_per_minute: int = 10

    def __post_init__(self) -> None:
        if not 0 < self.minutes <= 7 * 24 * 60:
            raise UsageError(f"--minutes must be above 0 and at most a week, not {self.minutes}")
        if self.wrong_penalty < 0:
            raise UsageError(f"--wrong-penalty must be >= 0, not {self.wrong_penalty}")
        if not 0 <= self.hint_floor <= 1:
            raise UsageError(f"the hint floor must be 0 to 1, not {self.hint_floor}")
        if any(b < 0 for b in self.speed_bonus):
            raise UsageError(f"--speed-bonus takes points >= 0, not {list(self.speed_bonus)}")
        if not 0 <= self.freeze_minutes < self.minutes:
            raise UsageError(
                f"--freeze-minutes must be 0 or more and under --minutes, not {self.freeze_minutes}"
            )
        if self.wrong_per_minute < 1:
            raise UsageError(f"the rate limit must be 1 or more, not {self.wrong_per_minute}")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> EventRules:
        values = dict(data)
        values["speed_bonus"] = tuple(int(b) for b in values.get("speed_bonus", ()))
        return cls(**values)


@dataclass(frozen=True)
class Team:
    """A team: its id (``team-07``), its name on the board, its data set's id, and the
    files (relative to the event folder) its answers are checked against."""

    id: str
    name: str
    dataset: str
    answers: str
    key: str


@dataclass(frozen=True)
class Event:
    """An event folder's ``gameday-event.json``."""

    folder: Path
    name: str
    scenario: str
    scale: str
    seeding: str
    url: str
    created: str
    rules: EventRules = field(default_factory=EventRules)
    teams: tuple[Team, ...] = ()

    @classmethod
    def load(cls, folder: Path) -> Event:
        """The event in ``folder``; a DatasetError says what is missing."""
        folder = Path(folder).expanduser()
        path = folder / EVENT_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            hint = (
                " (that is a team's data set: serve the event folder)"
                if (folder / TEAM_CONFIG).is_file()
                else ""
            )
            raise DatasetError(
                f"no event in {folder}: no {EVENT_FILE}{hint}; make one with "
                "`gameday event create EVENT_DIR --teams N`"
            ) from None
        except (OSError, ValueError) as exc:
            raise DatasetError(f"cannot read {path}: {exc}") from None
        try:
            if data.get("format") != FORMAT:
                raise ValueError(f"format {data.get('format')!r}, this kit reads {FORMAT}")
            return cls(
                folder=folder,
                name=str(data["name"]),
                scenario=str(data["scenario"]),
                scale=str(data["scale"]),
                seeding=str(data["seeding"]),
                url=str(data["url"]),
                created=str(data["created"]),
                rules=EventRules.from_mapping(data.get("rules", {})),
                teams=tuple(Team(**t) for t in data["teams"]),
            )
        except (KeyError, TypeError, ValueError, UsageError) as exc:
            raise DatasetError(f"{path} is damaged ({exc})") from None

    def save(self) -> Path:
        data = {
            "format": FORMAT,
            "name": self.name,
            "scenario": self.scenario,
            "scale": self.scale,
            "seeding": self.seeding,
            "url": self.url,
            "created": self.created,
            "rules": asdict(self.rules) | {"speed_bonus": list(self.rules.speed_bonus)},
            "teams": [asdict(t) for t in self.teams],
        }
        return write_private(self.folder / EVENT_FILE, json.dumps(data, indent=1) + "\n")

    def team(self, team_id: str) -> Team:
        for t in self.teams:
            if t.id == team_id:
                return t
        raise UsageError(f"no team {team_id!r} in event {self.name}")

    def tokens(self) -> Tokens:
        return Tokens.load(self.folder)


@dataclass(frozen=True)
class Tokens:
    """The trainer's token and each team's, from ``tokens.json``."""

    trainer: str
    teams: Mapping[str, str]

    @classmethod
    def load(cls, folder: Path) -> Tokens:
        path = Path(folder) / TOKENS_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(str(data["trainer"]), {str(k): str(v) for k, v in data["teams"].items()})
        except FileNotFoundError:
            raise DatasetError(f"no {TOKENS_FILE} in {folder}: is it an event folder?") from None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise DatasetError(f"{path} is damaged ({exc})") from None

    def save(self, folder: Path) -> Path:
        data = {"trainer": self.trainer, "teams": dict(self.teams)}
        return write_private(Path(folder) / TOKENS_FILE, json.dumps(data, indent=1) + "\n")


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` readable by its owner only (0600), atomically."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def private_dir(path: Path) -> Path:
    """``path`` as a folder readable by its owner only (0700)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path
