"""The GameDay notebooks: built from their sources and committed without outputs; the
participants' run top to bottom with blank answers; the solutions solve every seed from
the logs alone; the decoys' nudges fire on the naive queries; no answer leaks into a
file a participant sees."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import duckdb
import nbformat
import pytest
from conftest import REPO, SEEDS, key_of
from nbclient import NotebookClient
from test_quiz_fixtures import QUESTIONS as MINI_QUESTIONS
from test_quiz_fixtures import make_dataset

from helpers import notebook
from helpers.quiz.answers import CORRECT, FORMAT_PROBLEM, KNOWN_WRONG, PARTIAL, Checker
from helpers.quiz.attempts import AttemptsLog
from helpers.quiz.normalise import normalise
from helpers.storylines import STORYLINES, get_storyline, questions_for

GAMEDAYS = tuple(STORYLINES)  # every storyline is a GameDay with its notebook pair


def _one(pattern: str) -> Path:
    found = sorted(REPO.glob(pattern))
    assert len(found) == 1, f"expected one notebook matching {pattern}, found {found}"
    return found[0]


#: The start-here pair, and each storyline's pair: notebooks/NN-<name>.ipynb and its solution.
PARTICIPANT_NOTEBOOKS = {"start-here": REPO / "notebooks" / "00-start-here.ipynb"} | {
    name: _one(f"notebooks/[0-9][0-9]-{name}.ipynb") for name in GAMEDAYS
}
SOLUTION_NOTEBOOKS = {"start-here": REPO / "answers" / "00-start-here-solution.ipynb"} | {
    name: _one(f"answers/[0-9][0-9]-{name}-solution.ipynb") for name in GAMEDAYS
}


def questions_of(scenario: str) -> dict[str, Any]:
    return {q.id: q for q in questions_for(scenario)}


def load_builder():
    """``answers/source/make_notebooks.py``, the notebooks' builder."""
    path = REPO / "answers" / "source" / "make_notebooks.py"
    spec = importlib.util.spec_from_file_location("make_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_notebooks"] = module
    spec.loader.exec_module(module)
    return module


def execute(path: Path, parameters: dict[str, Any] | None = None) -> nbformat.NotebookNode:
    """Run a notebook in a fresh python3 kernel (the venv's), from its own folder.

    ``parameters`` go in a cell injected after the one tagged ``parameters``, as
    papermill does. A cell that raises fails the test with the cell and its error.
    """
    nb = nbformat.read(path, as_version=4)
    if parameters is not None:
        at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
        cell = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in parameters.items()))
        cell.metadata["tags"] = ["injected-parameters"]
        nb.cells.insert(at + 1, cell)
    client = NotebookClient(
        nb, kernel_name="python3", timeout=180, resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    return nb


def outputs(nb: nbformat.NotebookNode, output_type: str) -> list[dict]:
    return [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == output_type
    ]


def canonical(entry, value: Any):
    """An answer as the checker sees it: canonical values, or a number for a tolerance."""
    n = normalise(value, entry.rules)
    assert n.ok, (entry.qid, value, n.problem)
    return n.number if entry.tolerance else n.values


@pytest.fixture
def fresh_session(monkeypatch):
    """The module-level API with no data set open; restored after the test."""
    monkeypatch.setattr(notebook, "_session", None)


# -- the notebook API's features the notebooks need (fast) -------------------------------------


def test_open_dataset_opens_the_data_set_named_by_the_environment(
    tmp_path, monkeypatch, fresh_session
):
    ds = make_dataset(tmp_path)
    monkeypatch.setenv("GAMEDAY_DATASET", str(ds))

    assert ds == notebook.open_dataset(questions=MINI_QUESTIONS).dataset_dir


def test_a_blank_answer_is_one_friendly_line_and_no_attempt(
    tmp_path, monkeypatch, fresh_session, capsys
):
    ds = make_dataset(tmp_path)
    notebook.open_dataset(ds, questions=MINI_QUESTIONS, participant="ada")

    results = [notebook.check("attacker-ip", blank) for blank in (None, "", "  ", [])]

    lines = capsys.readouterr().out.splitlines()
    assert [
        "· attacker-ip: no answer yet: put yours in `answer` and run the cell again"
    ] * 4 == lines
    assert {FORMAT_PROBLEM} == {r.status for r in results}
    assert [] == AttemptsLog.for_participant(ds, "ada").records()


def test_a_query_with_a_blank_is_not_run(tmp_path, fresh_session, capsys):
    notebook.open_dataset(make_dataset(tmp_path), questions=MINI_QUESTIONS, participant="ada")

    result = notebook.sql("SELECT ____ FROM cloudtrail")

    assert result.empty
    assert (
        "Fill in the blank ____ in the query, then run the cell again.\n" == capsys.readouterr().out
    )


# -- the committed notebooks (fast) -------------------------------------------------------------


def test_notebooks_are_built_from_their_sources():
    assert [] == load_builder().out_of_step(), "run answers/source/make_notebooks.py"


@pytest.mark.parametrize(
    "path", [*PARTICIPANT_NOTEBOOKS.values(), *SOLUTION_NOTEBOOKS.values()], ids=lambda p: p.name
)
def test_notebooks_are_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [] == [c.id for c in code if c.outputs or c.execution_count is not None]


def test_every_question_is_asked_once_in_its_notebook_and_its_solution():
    def asked(path: Path) -> list[str]:
        text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells)
        return re.findall(r'gd\.(?:check|answer_box)\("([\w.-]+)"', text)

    for name in PARTICIPANT_NOTEBOOKS:
        scenario = GAMEDAYS[0] if name == "start-here" else name
        expected = [q for q in questions_of(scenario) if q.startswith(f"{name}.")]
        assert expected, name
        assert expected == asked(PARTICIPANT_NOTEBOOKS[name]), name
        assert expected == asked(SOLUTION_NOTEBOOKS[name]), name


def test_the_solutions_first_code_cell_holds_the_parameters():
    for path in SOLUTION_NOTEBOOKS.values():
        first = next(c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert ["parameters"] == first.metadata.get("tags")
        assert re.search(r'^DATASET = "datasets/[\w-]+"(  #.*)?$', first.source, re.M), path.name
        assert "ANSWERS_OUT = None" in first.source


# -- running them (slow) ------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("nb", sorted(PARTICIPANT_NOTEBOOKS))
def test_participant_notebooks_run_top_to_bottom_with_blank_answers(nb, small_gameday, monkeypatch):
    small_dataset = small_gameday(GAMEDAYS[0] if nb == "start-here" else nb, SEEDS[0])
    participant = f"nb-test-blank-{nb}"
    monkeypatch.setenv("GAMEDAY_DATASET", str(small_dataset))
    monkeypatch.setenv("GAMEDAY_PARTICIPANT", participant)

    ran = execute(PARTICIPANT_NOTEBOOKS[nb])

    assert [] == outputs(ran, "error")
    text = "".join(o["text"] for o in outputs(ran, "stream") if o["name"] == "stdout")
    checks = [c for c in ran.cells if c.cell_type == "code" and "gd.check(" in c.source]
    assert checks
    for cell in checks:
        printed = "".join(o["text"] for o in cell.outputs if o.output_type == "stream")
        assert re.fullmatch(r"· [\w.-]+: no answer yet: .*\n", printed), printed
    assert "Traceback" not in text
    assert [] == AttemptsLog.for_participant(small_dataset, participant).records()


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scenario", GAMEDAYS)
def test_solution_notebooks_solve_every_seed_from_the_logs(scenario, seed, small_gameday, tmp_path):
    ds = small_gameday(scenario, seed)
    reference: dict[str, Any] = {}
    # the warm-ups are the same questions everywhere: solved on each scenario's first seed
    solutions = ("start-here", scenario) if seed == SEEDS[0] else (scenario,)
    for nb in solutions:
        out = tmp_path / f"answers-{nb}.json"
        ran = execute(SOLUTION_NOTEBOOKS[nb], {"DATASET": str(ds), "ANSWERS_OUT": str(out)})
        assert [] == outputs(ran, "error")
        reference.update(json.loads(out.read_text()))

    key = json.loads(key_of(ds).read_text())["answers"]
    if "start-here" not in solutions:
        key = {qid: a for qid, a in key.items() if not qid.startswith("start-here.")}
    checker = Checker.load(ds)
    assert sorted(key) == sorted(reference)
    for qid, answer in key.items():
        entry = checker.entry(qid)
        assert CORRECT == checker.check(qid, reference[qid]).status, qid
        assert CORRECT == checker.check(qid, answer).status, qid
        if entry.tolerance:
            assert abs(canonical(entry, answer) - canonical(entry, reference[qid])) <= (
                entry.tolerance
            ), qid
        else:
            assert canonical(entry, answer) == canonical(entry, reference[qid]), qid


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scenario", GAMEDAYS)
def test_known_wrong_nudges_are_what_the_naive_queries_return(
    scenario, seed, small_gameday, fresh_session, capsys
):
    ds = small_gameday(scenario, seed)
    storyline = get_storyline(scenario)
    questions = questions_of(scenario)
    facts = json.loads(key_of(ds).read_text())["facts"]
    with_nudges = {qid for qid, q in questions.items() if q.known_wrong is not None}
    naive_queries = storyline.naive_queries
    assert sorted(with_nudges) == sorted(naive_queries), "give each nudge its naive query"
    import helpers as gd

    gd.open_dataset(ds, participant="nb-test-naive")
    con = duckdb.connect(str(ds / "gameday.duckdb"), read_only=True)
    try:
        for qid, queries in naive_queries.items():
            q = questions[qid]
            nudges = set(q.known_wrong(facts).values())
            for query in queries:
                rows = con.execute(query).fetchall()
                naive = [r[0] for r in rows] if q.kind == "set" else rows[0][0]
                result = gd.check(qid, naive)
                if result.correct:
                    # this seed's decoy happens to be the answer (a nudge with unless=)
                    assert qid in storyline.naive_may_solve, qid
                    continue
                assert result.status in (KNOWN_WRONG, PARTIAL), (qid, query, result.line)
                assert any(n in result.line for n in nudges), (qid, query, result.line)
    finally:
        con.close()
    capsys.readouterr()


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("scenario", GAMEDAYS)
def test_no_answer_leaks_into_a_participants_files(scenario, seed, small_gameday):
    """No plaintext answer of any seed in the participant notebooks, and none of this
    seed's in the data set's files a participant sees (all but the logs themselves),
    after a participant has solved everything and taken a hint."""
    ds = small_gameday(scenario, seed)
    questions = questions_of(scenario)
    key = json.loads(key_of(ds).read_text())["answers"]
    solver = notebook.Session(ds, participant="nb-test-leak-scan")
    solver.hint(next(q for q in questions if q.startswith(f"{scenario}.")))
    for qid, answer in key.items():
        assert solver.check(qid, answer).correct, qid

    def secrets(answers: dict[str, Any], skip: tuple[str, ...] = ()) -> set[str]:
        out = set()
        for qid, answer in answers.items():
            if questions[qid].kind == "choice" or qid in skip:
                continue  # a choice's answer is one of the choices every learner sees
            values = answer if isinstance(answer, list) else [answer]
            out |= {str(v) for v in values if len(str(v)) > 3}
        return out

    def found(text: str, values: set[str]) -> list[str]:
        # whole tokens only: "4444" inside a hex digest is not a leak
        return sorted(
            v
            for v in values
            if re.search(rf"(?<![\w.-]){re.escape(v)}(?![\w-]|\.\w)", text, re.IGNORECASE)
        )

    every_seed = set()
    for s in SEEDS:
        every_seed |= secrets(json.loads(key_of(small_gameday(scenario, s)).read_text())["answers"])
    for path in (PARTICIPANT_NOTEBOOKS["start-here"], PARTICIPANT_NOTEBOOKS[scenario]):
        assert [] == found(path.read_text(), every_seed), path.name

    files = [
        p
        for p in ds.rglob("*")
        if p.is_file()
        and not {"raw", "tables"} & set(p.relative_to(ds).parts)  # the logs themselves
        and "gameday.duckdb" not in p.name
    ]
    assert {"dataset.json", "answers.json"} <= {p.name for p in files}
    assert any(p.parent.name == "progress" for p in files)
    for path in files:
        text = path.read_text()
        mine = secrets(key)
        assert [] == found(text, mine), path.relative_to(ds)
