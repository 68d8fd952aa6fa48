"""The scoreboard server's API with a real server on loopback: answers checked against
the team's own key, recorded and scored as the notebook scores; hints; progress; the
board; the clock; reset and export; and a bundle's notebook session talking to it."""

from __future__ import annotations

import csv
import io
import json
import socket
import threading

import pandas as pd
import pytest
from event_support import Server, free_port, fresh_copy, running_server, unpack

from helpers import cli, notebook
from helpers.event.client import EventClient, ServerUnreachable
from helpers.event.config import BUNDLES_DIR, Event
from helpers.quiz.scoring import Settings, score

pytestmark = pytest.mark.slow

PENALTY = 5
BONUS = (30, 20)
# Each test plays its own team; only one test solves the first ip question, and only one
# the first int question, whose speed bonuses are checked: the order of tests is free.


@pytest.fixture(scope="module")
def server(shared_event, tmp_path_factory):
    """A running event: a penalty for wrong answers, a speed bonus, the clock started."""
    folder = fresh_copy(
        shared_event,
        tmp_path_factory.mktemp("api") / "ev",
        wrong_penalty=PENALTY,
        speed_bonus=list(BONUS),
    )
    with running_server(folder) as server:
        server.admin("start")
        yield server


def first_of(server: Server, kind: str, team: str) -> str:
    """The first question of a kind (with hints, when it has any)."""
    entries = server.checker(team).entries
    with_hints = [q for q, e in entries.items() if e.kind == kind and e.hint_costs]
    return (with_hints or [q for q, e in entries.items() if e.kind == kind])[0]


def attempt(server: Server, team: str, qid: str, answer) -> tuple[int, dict]:
    status, body = server.client(team).attempt(qid, answer)
    return status, body


def log_of(server: Server, team: str) -> list[dict]:
    """The team's records as the notebook's scoring reads them."""
    return [r for r in server.records() if r["team"] == team]


def test_a_correct_answer_scores_once(server):
    team = server.team_id(0)
    qid = first_of(server, "ip", team)
    answer = server.key(team)[qid]
    before = len(server.records())

    first = attempt(server, team, qid, answer)
    again = attempt(server, team, qid, answer)

    entry = server.checker(team).entries[qid]
    assert 200 == first[0]
    assert ("correct", True, entry.points, True) == (
        first[1]["status"],
        first[1]["correct"],
        first[1]["points"],
        first[1]["recorded"],
    )
    assert f"✓ {qid}: correct, {entry.points} points + {BONUS[0]} speed bonus" == first[1]["line"]
    assert (200, "already_solved", True, False) == (
        again[0],
        again[1]["status"],
        again[1]["correct"],
        again[1]["recorded"],
    )
    assert before + 1 == len(server.records())


def test_wrong_partial_and_unreadable_answers(server):
    team = server.team_id(1)
    ip_q = first_of(server, "ip", team)
    set_q = first_of(server, "set", team)
    expected_set = server.key(team)[set_q]

    wrong = attempt(server, team, ip_q, "192.0.2.254")[1]
    partial = attempt(server, team, set_q, expected_set[:1])[1]
    unreadable = attempt(server, team, ip_q, "999.1.1.1")[1]

    assert ("incorrect", False) == (wrong["status"], wrong["correct"])
    assert f"(-{PENALTY} points)" in wrong["line"]
    assert "partial" == partial["status"]
    assert f"1 of {len(expected_set)} right" in partial["message"]
    assert ("format", False) == (unreadable["status"], unreadable["recorded"])
    assert ["wrong", "partial"] == [r["verdict"] for r in log_of(server, team)] or [
        "known_wrong",
        "partial",
    ] == [r["verdict"] for r in log_of(server, team)]


def test_a_hint_costs_its_points_off_the_reward(server):
    team = server.team_id(2)
    qid = first_of(server, "text", team)
    entry = server.checker(team).entries[qid]
    client = server.client(team)

    status, shown = client.hint(qid)
    again = client.hint(qid, 1)[1]
    solved = attempt(server, team, qid, server.key(team)[qid])[1]

    assert (200, "shown", 1, entry.hint_costs[0]) == (
        status,
        shown["status"],
        shown["n"],
        shown["cost"],
    )
    assert shown["text"] and shown["title"].startswith("Hint 1 of ")
    assert (0, False) == (again["cost"], again["recorded"])
    assert entry.points - entry.hint_costs[0] == solved["points"]
    expected = score(log_of(server, team), {qid: entry}, Settings(PENALTY)).rows[0].points
    assert expected == solved["points"]


def test_the_speed_bonus_goes_to_the_first_solvers(server):
    teams = [server.team_id(n) for n in (3, 4, 5)]
    qid = first_of(server, "int", teams[0])

    bonuses = [attempt(server, t, qid, server.key(t)[qid])[1]["bonus"] for t in teams]

    assert [*BONUS, 0] == bonuses
    board = {t["id"]: t for t in server.board()["teams"]}
    points = server.checker(teams[0]).entries[qid].points
    assert [points + b for b in bonuses] == [board[t]["points"] for t in teams]


def test_progress_and_the_board_follow_the_attempt_log(server):
    team = server.team_id(6)
    client = server.client(team)
    key = server.key(team)
    entries = server.checker(team).entries
    text_q, set_q = first_of(server, "text", team), first_of(server, "set", team)
    attempt(server, team, text_q, "not-the-answer")
    client.hint(set_q)
    attempt(server, team, set_q, key[set_q][:2])
    attempt(server, team, text_q, key[text_q])

    status, progress = client.progress()

    settings = Settings(PENALTY)
    expected = score(log_of(server, team), entries, settings)
    rows = {r["question"]: r for r in progress["questions"]}
    assert 200 == status
    assert [r.points for r in expected.rows] == [rows[q]["points"] for q in entries]
    assert [1] == rows[set_q]["hints_seen"]
    board = {t["id"]: t for t in server.board()["teams"]}
    bonus = sum(r["bonus"] for r in progress["questions"])
    assert expected.total + bonus == progress["total"] == board[team]["points"]
    assert {text_q} == set(board[team]["solves"])


def test_reset_sets_a_team_back_and_the_export_keeps_its_records(server):
    team = server.team_id(7)
    qid = first_of(server, "text", team)  # not ip nor int: their speed bonus is tested
    attempt(server, team, qid, server.key(team)[qid])
    trainer = server.tokens.trainer

    status, reset, _ = server.call("POST", f"/api/v1/admin/teams/{team}/reset", token=trainer)
    _, document, _ = server.call("GET", "/api/v1/admin/export.json", token=trainer)

    assert (200, {"team": team, "archived": 1}) == (status, reset)
    assert [] == log_of(server, team)
    assert 0 == {t["id"]: t for t in server.board()["teams"]}[team]["points"]
    assert [team] == [r["team"] for r in document["reset_records"]]


def test_the_export_has_a_row_per_team_and_question(server):
    team = server.team_id(11)
    trainer = server.tokens.trainer
    ip_q, text_q = first_of(server, "ip", team), first_of(server, "text", team)
    attempt(server, team, text_q, server.key(team)[text_q])
    server.client(team).hint(ip_q)

    status, _, raw_csv = server.call("GET", "/api/v1/admin/export.csv", token=trainer)
    _, document, _ = server.call("GET", "/api/v1/admin/export.json", token=trainer)

    rows = list(csv.DictReader(io.StringIO(raw_csv.decode())))
    entries = server.checker(team).entries
    assert 200 == status
    assert len(server.event.teams) * len(entries) == len(rows)
    mine = {r["question"]: r for r in rows if r["team"] == team}
    solved = [q for q, r in mine.items() if r["solved"] == "True"]
    assert [text_q] == solved
    assert ("1", "0") == (mine[text_q]["attempts"], mine[text_q]["hints"])
    assert ("0", "1") == (mine[ip_q]["attempts"], mine[ip_q]["hints"])
    assert float(mine[text_q]["solved_elapsed_s"]) >= 0
    assert len(server.event.teams) == len(document["teams"])
    assert {r["id"] for r in server.records()} == {r["id"] for r in document["records"]}


@pytest.fixture(scope="module")
def bundle_dataset(server, shared_event, tmp_path_factory):
    """Team 9's bundle, unpacked: its data set folder (with event.json)."""
    team = server.team_id(9)
    event = Event.load(shared_event)
    archive = shared_event / BUNDLES_DIR / f"{event.name}-{team}.tar.gz"
    return unpack(archive, tmp_path_factory.mktemp("bundle")) / "datasets" / event.scenario


@pytest.fixture
def opened(bundle_dataset, server, monkeypatch):
    """The notebook API on team 9's bundle, talking to the test's server."""
    monkeypatch.setenv("GAMEDAY_SERVER", server.url)
    monkeypatch.setattr(notebook, "_session", None)
    return notebook.open_dataset(bundle_dataset)


def test_a_bundle_opens_an_event_session_whose_checks_go_to_the_server(opened, server, capsys):
    team = server.team_id(9)
    key = server.key(team)
    ts_q = first_of(server, "timestamp", team)
    set_q = first_of(server, "set", team)

    timestamp = notebook.check(ts_q, pd.Timestamp(key[ts_q]))  # a Timestamp travels as text
    as_series = notebook.check(set_q, pd.Series(key[set_q]))
    card = notebook.hint(first_of(server, "ip", team))
    progress = notebook.progress()

    assert "EventSession" == type(opened).__name__
    assert (True, True) == (timestamp.correct, as_series.correct)
    assert card.title.startswith("Hint 1 of")
    assert {ts_q, set_q} <= progress.solved
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"✓ {ts_q}: correct")
    assert {r["team"] for r in server.records()[-3:]} == {team}


def test_an_unreachable_server_is_one_line_saying_nothing_was_recorded(
    bundle_dataset, monkeypatch, capsys
):
    monkeypatch.setenv("GAMEDAY_SERVER", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setattr(notebook, "_session", None)
    notebook.open_dataset(bundle_dataset)

    result = notebook.check("leaked-key.q02", "anything")

    out = capsys.readouterr().out
    assert 1 == len(out.splitlines())
    assert "not recorded" in out and "try again" in out
    assert "unreachable" == result.status


def test_a_server_that_dies_in_the_middle_of_its_answer_is_unreachable_not_a_traceback():
    """A killed server can send the status line and headers, then nothing more."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def half_an_answer() -> None:
        con, _ = listener.accept()
        with con, con.makefile("rb") as request:
            length = 0
            while (line := request.readline()) not in (b"\r\n", b""):  # the whole request
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            request.read(length)
            con.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 395\r\n\r\n{"status"')
        listener.close()

    threading.Thread(target=half_an_answer, daemon=True).start()
    client = EventClient(f"http://127.0.0.1:{port}", "token", "0123456789abcdef")

    with pytest.raises(ServerUnreachable, match="connection broke"):
        client.attempt("leaked-key.q01", "192.0.2.1")


def test_an_unreadable_answer_is_said_at_once_and_not_sent(opened, server):
    before = len(server.records())

    result = notebook.check("leaked-key.q01", "010.0.0.1")

    assert ("format", None) == (result.status, result.points)
    assert "without leading zeros" in result.line
    assert before == len(server.records())


def test_the_answer_box_submits_to_the_server(opened, server):
    from helpers.widgets import answer_box

    team = server.team_id(9)
    qid = first_of(server, "text", team)
    box = answer_box(qid)

    box.text.value = server.key(team)[qid]
    box.submit.click()

    assert box.feedback.value.startswith(f"✓ {qid}: correct")
    assert box.submit.disabled


def test_gameday_check_in_a_bundle_asks_the_server(bundle_dataset, server, monkeypatch, capsys):
    monkeypatch.setenv("GAMEDAY_SERVER", server.url)
    team = server.team_id(9)
    qid = first_of(server, "choice", team)

    code = cli.main(["check", qid, server.key(team)[qid], "--dataset", str(bundle_dataset)])

    assert 0 == code
    assert capsys.readouterr().out.startswith(f"✓ {qid}: correct")


def test_gameday_event_export_writes_csv_and_json(server, tmp_path, capsys):
    code = cli.main(["event", "export", str(server.folder), "--out", str(tmp_path)])

    assert 0 == code
    document = json.loads((tmp_path / "results.json").read_text())
    assert len(server.event.teams) == len(document["teams"])
    assert (tmp_path / "results.csv").read_text().startswith("rank,team,name,question,solved")
    assert 0o600 == (tmp_path / "results.csv").stat().st_mode & 0o777


def test_the_clock_starts_pauses_freezes_extends_and_ends(shared_event, tmp_path):
    with running_server(fresh_copy(shared_event, tmp_path / "ev", minutes=30)) as server:
        team = server.team_id(0)
        qid = first_of(server, "ip", team)
        answer = server.key(team)[qid]

        early = attempt(server, team, qid, answer)
        started = server.admin("start")
        paused = server.admin("pause")
        while_paused = attempt(server, team, qid, answer)
        server.admin("resume")
        frozen = server.admin("freeze")
        solved = attempt(server, team, qid, answer)
        public, live = server.board(), server.board(live=True)
        unfrozen = server.admin("unfreeze")
        after_unfreeze = server.board()
        extended = server.admin("extend", minutes=15)
        ended = server.admin("end")
        late = attempt(server, team, qid, answer)
        twice = server.call("POST", "/api/v1/admin/clock", {"action": "end"}, server.tokens.trainer)

    assert (403, "not_started") == (early[0], early[1]["status"])
    assert "not recorded" in early[1]["message"]
    assert ("running", "paused") == (started["status"], paused["status"])
    assert (403, "paused") == (while_paused[0], while_paused[1]["status"])
    assert frozen["frozen"] and "correct" == solved[1]["status"]
    points = {t["id"]: t["points"] for t in public["teams"]}
    assert 0 == points[team]
    assert 0 < {t["id"]: t["points"] for t in live["teams"]}[team]
    assert not unfrozen["frozen"]
    assert 0 < {t["id"]: t["points"] for t in after_unfreeze["teams"]}[team]
    assert 45 * 60 == extended["duration"]
    assert "ended" == ended["status"]
    assert (403, "ended") == (late[0], late[1]["status"])
    assert (409, "conflict") == (twice[0], twice[1]["status"])
