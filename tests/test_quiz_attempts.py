"""The attempts log: append-only, survives restarts, concurrent writers lose nothing."""

from __future__ import annotations

import multiprocessing
import warnings

import pytest

from helpers.quiz.attempts import AttemptsLog, DamagedLineWarning, participant_name

LINES_PER_WRITER = 300


def test_records_come_back_in_the_order_written(tmp_path):
    log = AttemptsLog(tmp_path / "progress" / "ada.jsonl")
    log.append({"type": "hint", "qid": "q1", "hint": 1, "cost": 10})
    log.append({"type": "attempt", "qid": "q1", "answer": "ab12", "verdict": "correct"})

    again = AttemptsLog(tmp_path / "progress" / "ada.jsonl")  # a new kernel

    assert [("hint", "q1"), ("attempt", "q1")] == [(r["type"], r["qid"]) for r in again.records()]
    assert all(r["time"].endswith("Z") for r in again.records())


def test_a_missing_log_is_empty(tmp_path):
    assert [] == AttemptsLog(tmp_path / "nobody.jsonl").records()


def _write(path, writer):
    log = AttemptsLog(path)
    for i in range(LINES_PER_WRITER):
        log.append({"type": "attempt", "qid": f"{writer}-{i}", "answer": "x" * 2000})


def test_two_processes_appending_at_once_lose_nothing(tmp_path):
    path = tmp_path / "team.jsonl"
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write, args=(path, name)) for name in ("a", "b")]
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)

    records = AttemptsLog(path).records()

    assert [0, 0] == [w.exitcode for w in writers]
    assert 2 * LINES_PER_WRITER == len(records)
    assert [f"a-{i}" for i in range(LINES_PER_WRITER)] == [
        r["qid"] for r in records if r["qid"].startswith("a-")
    ]


def test_a_damaged_line_is_reported_once_and_skipped(tmp_path):
    path = tmp_path / "ada.jsonl"
    log = AttemptsLog(path)
    log.append({"type": "attempt", "qid": "q1"})
    with path.open("a") as f:
        f.write('{"type": "attempt", "qid": \n')
    log.append({"type": "attempt", "qid": "q2"})

    with pytest.warns(DamagedLineWarning, match="line 2 is damaged"):
        first = log.records()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = log.records()  # not reported again

    assert ["q1", "q2"] == [r["qid"] for r in first] == [r["qid"] for r in second]


def test_a_line_cut_short_by_a_crash_does_not_swallow_the_next(tmp_path):
    path = tmp_path / "ada.jsonl"
    path.write_text('{"type": "attempt", "qid": "q1"}\n{"type": "att')
    log = AttemptsLog(path)

    log.append({"type": "attempt", "qid": "q2"})

    with pytest.warns(DamagedLineWarning):
        assert ["q1", "q2"] == [r["qid"] for r in log.records()]


@pytest.mark.parametrize(
    ("given", "env", "expected"),
    [
        ("Team Blue/2", "", "Team_Blue_2"),
        (None, "red-team", "red-team"),
        (None, "../../etc/passwd", "etc_passwd"),
        ("...", "", "participant"),
    ],
)
def test_participant_names_are_safe_file_names(monkeypatch, given, env, expected):
    monkeypatch.setenv("GAMEDAY_PARTICIPANT", env)

    assert expected == participant_name(given)


def test_participant_defaults_to_the_os_user(monkeypatch):
    monkeypatch.delenv("GAMEDAY_PARTICIPANT", raising=False)
    monkeypatch.setattr("getpass.getuser", lambda: "ada")

    assert "ada" == participant_name()


def test_the_log_lives_in_the_data_set(tmp_path, monkeypatch):
    monkeypatch.setenv("GAMEDAY_PARTICIPANT", "blue")

    assert tmp_path / "progress" / "blue.jsonl" == AttemptsLog.for_participant(tmp_path).path
