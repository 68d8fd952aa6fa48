"""The happy path end to end: an event made, its server started, a team's bundle unpacked,
the storyline's solution notebook run against the team's data set with the answers going
to the server, and the team's score on the scoreboard's API."""

from __future__ import annotations

import nbformat
import pytest
from conftest import REPO
from event_support import fresh_copy, running_server, unpack
from nbclient import NotebookClient

from helpers.event.config import BUNDLES_DIR, Event

pytestmark = pytest.mark.slow


def run_notebook(path, parameters: dict) -> nbformat.NotebookNode:
    """Run a notebook in a fresh kernel, ``parameters`` after the cell tagged so."""
    nb = nbformat.read(path, as_version=4)
    at = next(i for i, c in enumerate(nb.cells) if "parameters" in c.metadata.get("tags", []))
    cell = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in parameters.items()))
    nb.cells.insert(at + 1, cell)
    NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    return nb


def test_a_teams_solution_notebook_scores_on_the_board(per_team_event, tmp_path, monkeypatch):
    event = Event.load(per_team_event)
    team = event.teams[1]
    bundle = per_team_event / BUNDLES_DIR / f"{event.name}-{team.id}.tar.gz"
    dataset = unpack(bundle, tmp_path / "bundle") / "datasets" / event.scenario
    solution = next(REPO.glob(f"answers/[0-9][0-9]-{event.scenario}-solution.ipynb"))

    with running_server(fresh_copy(per_team_event, tmp_path / "ev")) as server:
        server.admin("start")
        monkeypatch.setenv("GAMEDAY_SERVER", server.url)  # the kernel inherits it
        nb = run_notebook(solution, {"DATASET": str(dataset), "ANSWERS_OUT": None})
        board = {t["id"]: t for t in server.board()["teams"]}
        entries = server.checker(team.id).entries
        records = server.records()

    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert [] == errors
    mine = [q for q in entries if q.startswith(f"{event.scenario}.")]
    assert sum(entries[q].points for q in mine) == board[team.id]["points"]
    assert set(mine) == set(board[team.id]["solves"])
    assert 0 == board[event.teams[0].id]["points"]
    assert {team.id} == {r["team"] for r in records}
    # every question solved: the sealed debrief opened with the server's unlock tokens
    debrief = next(c for c in nb.cells if c.cell_type == "code" and "attack_timeline" in c.source)
    kinds = {k for o in debrief.outputs for k in o.get("data", {})}
    assert any("vegalite" in k for k in kinds), kinds
