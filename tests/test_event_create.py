"""``gameday event create``: per-team data sets from secret seeds (or one shared), tokens,
and bundles that hold the notebooks and the team's data set but no answer, hash or salt;
everything of the event readable by its owner only; mistakes are one line."""

from __future__ import annotations

import functools
import hashlib
import json
import stat
import tarfile
from pathlib import Path

import pytest
from event_support import SHARED_TEAMS, free_port, fresh_copy, running_server
from isal import igzip

from helpers import cli
from helpers.event.config import (
    ANSWERS_DIR,
    BUNDLES_DIR,
    EVENT_FILE,
    TEAM_CONFIG,
    TOKENS_FILE,
    Event,
    Tokens,
)
from helpers.quiz.answers import ANSWERS_FILE, Checker


@functools.cache
def bundle_files(event: Event, team: str) -> dict[str, bytes]:
    """The files of a team's bundle by name, read with the standard library's tarfile
    (any gzip reader reads its two members as one); the logs and the catalog as their
    SHA-256 only."""
    path = event.folder / BUNDLES_DIR / f"{event.name}-{team}.tar.gz"
    with igzip.open(path) as gz, tarfile.open(fileobj=gz, mode="r|") as tar:
        files = {}
        for m in tar:
            if m.isfile():
                data = _read(tar, m)
                big = "/raw/" in m.name or m.name.endswith(".duckdb")
                files[m.name] = hashlib.sha256(data).hexdigest().encode() if big else data
        return files


def _read(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    f = tar.extractfile(member)
    assert f is not None
    return f.read()


def secrets_of(event: Event) -> set[str]:
    """The salts and hashes of every data set's answers.json, and the trainer's token."""
    found = {event.tokens().trainer}
    for path in {event.folder / t.answers for t in event.teams}:
        checker = Checker.load(path)
        found.add(checker.salt.hex())
        for entry in checker.entries.values():
            found.update(entry.elements)
            found.update(entry.members)
    return found


@pytest.mark.slow
def test_every_team_gets_its_own_data_set_token_and_bundle(per_team_event):
    event = Event.load(per_team_event)
    tokens = Tokens.load(per_team_event)
    keys = [json.loads((event.folder / t.key).read_text()) for t in event.teams]

    assert ("per-team", 2) == (event.seeding, len(event.teams))
    assert len({t.dataset for t in event.teams}) == 2
    assert len({t.answers for t in event.teams}) == 2
    assert keys[0]["seed"] != keys[1]["seed"]
    assert keys[0]["answers"] != keys[1]["answers"]
    assert len({tokens.trainer, *tokens.teams.values()}) == 3
    for team in event.teams:
        files = bundle_files(event, team.id)
        config = json.loads(files[f"{event.name}/datasets/{event.scenario}/{TEAM_CONFIG}"])
        assert (team.id, team.dataset, tokens.teams[team.id]) == (
            config["team"],
            config["dataset"],
            config["token"],
        )
        assert set(config["questions"]) == set(Checker.load(event.folder / team.answers).ids)


@pytest.mark.slow
def test_a_bundle_holds_the_notebooks_and_data_set_but_no_answers(per_team_event):
    event = Event.load(per_team_event)
    team = event.teams[0]
    files = bundle_files(event, team.id)
    root = f"{event.name}/datasets/{event.scenario}"

    names = set(files)
    assert {
        f"{root}/gameday.duckdb",
        f"{root}/dataset.json",
        f"{root}/debrief.sealed.json",
    } <= names
    assert any(n.startswith(f"{root}/raw/AWSLogs/") for n in names)
    notebooks = sorted(Path(n).name for n in names if n.startswith(f"{event.name}/notebooks/"))
    assert ["00-start-here.ipynb", f"01-{event.scenario}.ipynb"] == notebooks
    assert f"{event.name}/helpers/notebook.py" in names
    assert [] == [n for n in names if Path(n).name == ANSWERS_FILE or "/progress/" in n]
    assert [] == [n for n in names if "/answers/" in n or "/keys/" in n]
    key = json.loads((event.folder / team.key).read_text())
    # every file but the logs and the catalog (data only)
    secrets = secrets_of(event) | {str(key["seed"])}
    secrets |= {v for k, v in event.tokens().teams.items() if k != team.id}
    text = b"\n".join(files.values()).decode("utf-8", "replace")
    assert [] == sorted(s for s in secrets if s in text)


@pytest.mark.slow
def test_the_event_folder_is_readable_by_its_owner_only(per_team_event):
    for path in [per_team_event, *per_team_event.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert (0o700 if path.is_dir() else 0o600) == mode, path
    assert {ANSWERS_DIR, BUNDLES_DIR, "keys", EVENT_FILE, TOKENS_FILE, "event.sqlite"} <= {
        p.name for p in per_team_event.iterdir()
    }
    assert "token" not in (per_team_event / EVENT_FILE).read_text()


@pytest.mark.slow
def test_a_shared_seed_generates_once_and_bundles_differ_only_by_team(shared_event):
    event = Event.load(shared_event)
    a, b = (bundle_files(event, t.id) for t in event.teams[:2])
    config = f"{event.name}/datasets/{event.scenario}/{TEAM_CONFIG}"

    assert ("shared", SHARED_TEAMS) == (event.seeding, len(event.teams))
    assert {f"{ANSWERS_DIR}/shared.json"} == {t.answers for t in event.teams}
    assert set(a) == set(b)
    assert len(a) > 1000
    differ = sorted(n for n in a if a[n] != b[n])
    assert [f"{event.name}/README-TEAM.txt", config] == differ


def test_mistakes_are_one_line_before_anything_is_generated(tmp_path, capsys):
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "x").write_text("")

    cases = {
        ("event", "create", str(tmp_path / "a"), "--teams", "0"): 2,
        (
            "event",
            "create",
            str(tmp_path / "a"),
            "--teams",
            "3",
            "--shared-seed",
            "--seed-per-team",
        ): 2,
        ("event", "create", str(tmp_path / "a"), "--teams", "3", "--url", "ftp://x"): 2,
        ("event", "create", str(tmp_path / "a"), "--teams", "3", "--scale", "huge"): 2,
        ("event", "create", str(tmp_path / "a"), "--teams", "3", "--scenario", "nope"): 2,
        ("event", "create", str(tmp_path / "a"), "--teams", "3", "--freeze-minutes", "200"): 2,
        ("event", "create", str(tmp_path / "a"), "--teams", "3", "--speed-bonus", "a,b"): 2,
        ("event", "create", str(taken), "--teams", "3"): 1,
        ("serve", str(tmp_path / "nothing")): 1,
        ("event", "export", str(tmp_path / "nothing")): 1,
    }
    codes = {}
    for argv, _ in cases.items():
        codes[argv] = cli.main(list(argv))
        err = capsys.readouterr().err
        assert 1 == len(err.strip().splitlines()), (argv, err)
        assert err.startswith("gameday: "), err

    assert cases == codes
    assert not (tmp_path / "a").exists()
    assert ["x"] == [p.name for p in taken.iterdir()]


def test_serve_says_in_one_line_when_the_port_is_taken(shared_event, capsys):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = cli.main(["serve", str(shared_event), "--port", str(port)])

    err = capsys.readouterr().err
    assert 2 == code
    assert 1 == len(err.strip().splitlines()) and "--port" in err


@pytest.mark.slow
def test_a_second_server_on_the_same_event_is_refused_in_one_line(shared_event, tmp_path, capsys):
    with running_server(fresh_copy(shared_event, tmp_path / "ev")) as server:
        code = cli.main(["serve", str(server.folder), "--port", str(free_port())])
        still_up = server.call("GET", "/api/v1/health")[0]

    err = capsys.readouterr().err
    assert (2, 200) == (code, still_up)
    assert 1 == len(err.strip().splitlines()) and "another `gameday serve`" in err
