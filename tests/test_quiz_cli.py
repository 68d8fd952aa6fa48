"""The quiz commands, run in-process: output and exit codes."""

from __future__ import annotations

import json

import pytest
from test_quiz_fixtures import QUESTIONS, make_dataset

from helpers.quiz_cli import main


@pytest.fixture
def dataset(tmp_path, monkeypatch):
    monkeypatch.setenv("GAMEDAY_HOME", str(tmp_path))  # keys in tmp_path/answers/keys
    monkeypatch.setenv("GAMEDAY_PARTICIPANT", "ada")
    return make_dataset(tmp_path)


@pytest.fixture
def key_file(tmp_path, dataset):
    path = tmp_path / "answers" / "keys" / "mini.json"
    path.parent.mkdir(parents=True)
    key = {
        "dataset": "mini",
        "scenario": "test-scenario",
        "seed": 7,
        "scale": "tiny",
        "answers": {"attacker-ip": "203.0.113.7", "buckets": ["hr-exports", "prod-backups"]},
    }
    path.write_text(json.dumps(key))
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_exits_0_when_correct_and_1_when_not(dataset, capsys):
    assert (0, "✓ attacker-ip: correct, 100 points\n", "") == run(
        capsys, "check", "attacker-ip", "203.0.113.7", "--dataset", str(dataset)
    )
    assert (1, "? calls: expected a whole number, got '12.5'\n", "") == run(
        capsys, "check", "calls", "12.5", "--dataset", str(dataset)
    )
    assert (1, "✗ calls: not quite\n", "") == run(
        capsys, "check", "calls", "12", "--dataset", str(dataset)
    )


def test_check_exits_2_on_a_usage_error(dataset, tmp_path, capsys):
    assert (
        2,
        "",
        "error: no question 'call': did you mean calls or iam-calls or first-call?\n",
    ) == run(capsys, "check", "call", "12", "--dataset", str(dataset))
    code, _, err = run(capsys, "check", "calls", "--dataset", str(dataset))
    assert 2 == code and "the following arguments are required: answer" in err
    code, _, err = run(capsys, "check", "calls", "12", "--dataset", str(tmp_path / "none"))
    assert 2 == code and err.startswith("error: no data set at ")


def test_hint_and_progress(dataset, monkeypatch, capsys):
    monkeypatch.setattr("helpers.storylines.questions_for", lambda scenario: QUESTIONS)
    assert (
        0,
        "Hint 1 of 1 for leaked-user (-10 points when you solve it)\n"
        "Look for calls from an unusual address.\n",
        "",
    ) == run(capsys, "hint", "leaked-user", "--dataset", str(dataset))
    run(capsys, "check", "calls", "1234", "--dataset", str(dataset))

    code, out, _ = run(capsys, "progress", "--dataset", str(dataset))

    assert 0 == code
    assert "calls        yes           1     0     60/60" in out.splitlines()
    assert "leaked-user  -             0     1      0/50" in out.splitlines()
    assert "total: 60 of 680 points" == out.splitlines()[-1]


def test_hint_without_the_storyline_says_so(dataset, capsys):
    code, _, err = run(capsys, "hint", "leaked-user", "--dataset", str(dataset))

    assert (
        1,
        "error: no hint text for leaked-user: the storyline 'test-scenario' is not installed\n",
    ) == (code, err)


def test_key_prints_the_plaintext_key(dataset, key_file, capsys):
    assert (0, "attacker-ip  203.0.113.7\nbuckets      hr-exports, prod-backups\n", "") == run(
        capsys, "key", "--dataset", str(dataset)
    )
    code, out, _ = run(capsys, "key", "--json", "--key", str(key_file))
    assert (0, ["hr-exports", "prod-backups"]) == (code, json.loads(out)["buckets"])


def test_key_refuses_clearly_without_a_key_file(dataset, capsys):
    code, _, err = run(capsys, "key", "--dataset", str(dataset))

    assert 1 == code
    assert err.startswith("error: no answer key at ")
    assert "keys stay on the trainer's machine" in err


class FakeGenerate:
    """Stands in for helpers.generate.generate: records the call, rewrites the data set."""

    def __init__(self, fail=False):
        self.calls = []
        self.fail = fail

    def __call__(self, scenario, seed, scale, out, force=True, key_out=None):
        self.calls.append((scenario, seed, scale, out, force, key_out))
        if self.fail:
            raise RuntimeError("generator crashed")
        (out / "answers.json").write_text((out / "answers.json").read_text())


def test_reset_archives_the_logs_then_regenerates_with_the_same_seed(
    dataset, key_file, monkeypatch, capsys
):
    fake = FakeGenerate()
    monkeypatch.setattr("helpers.generate.generate", fake)
    run(capsys, "check", "calls", "1234", "--dataset", str(dataset))

    code, out, _ = run(capsys, "reset", "--dataset", str(dataset))

    assert 0 == code
    assert [("test-scenario", 7, "tiny", dataset, True, key_file)] == fake.calls
    archived = list((dataset / "progress" / "archive").glob("*/ada.jsonl"))
    assert 1 == len(archived)
    assert "calls" == json.loads(archived[0].read_text())["qid"]
    assert not (dataset / "progress" / "ada.jsonl").exists()
    assert out.startswith("reset mini: scenario test-scenario, seed 7; 1 attempts log(s) archived")
    assert [] == list(dataset.parent.glob(".mini.progress-*"))


def test_reset_with_a_new_seed(dataset, monkeypatch, capsys):
    fake = FakeGenerate()
    monkeypatch.setattr("helpers.generate.generate", fake)

    assert 0 == run(capsys, "reset", "--new-seed", "--dataset", str(dataset))[0]
    assert isinstance(fake.calls[0][1], int)


def test_reset_keeps_the_archive_when_the_generator_fails(dataset, key_file, monkeypatch, capsys):
    monkeypatch.setattr("helpers.generate.generate", FakeGenerate(fail=True))
    run(capsys, "check", "calls", "1234", "--dataset", str(dataset))

    with pytest.raises(RuntimeError):
        main(["reset", "--dataset", str(dataset)])

    assert 1 == len(list((dataset / "progress" / "archive").glob("*/ada.jsonl")))


def test_reset_without_a_known_seed_asks_for_a_new_one(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("GAMEDAY_HOME", str(tmp_path))
    folder = make_dataset(tmp_path)
    (folder / "dataset.json").write_text(json.dumps({"scenario": "test-scenario"}))

    code, _, err = run(capsys, "reset", "--dataset", str(folder))

    assert 2 == code
    assert "use --new-seed" in err


def test_the_gameday_command_has_the_quiz_commands(dataset, capsys):
    cli = pytest.importorskip("helpers.cli")

    assert 0 == cli.main(["check", "calls", "1234", "--dataset", str(dataset)])
    assert 1 == cli.main(["check", "calls", "1", "--dataset", str(dataset)])
    assert 2 == cli.main(["check", "nope", "1", "--dataset", str(dataset)])
    assert 2 == cli.main(["check", "calls", "1", "--dataset", str(dataset.parent / "none")])
