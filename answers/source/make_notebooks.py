"""Build each GameDay notebook pair from one source: the participant's and the trainer's.

    .venv/bin/python answers/source/make_notebooks.py           # write the notebooks
    .venv/bin/python answers/source/make_notebooks.py --check   # exit 1 if one is out of step

A source module (``nb00_start_here.py``, ``nb01_leaked_key.py``) lists its cells
in order: :class:`Md` and :class:`Code` go to both notebooks (or to one, with
``only=``), and a :class:`Task` is a question: its context in Markdown, then
the question's card drawn from the storyline's :class:`~helpers.quiz.question.Question`
(prompt, answer format, points), then for the participant a scaffold and an
answer cell, for the trainer a reference query and an ``assert``. Nobody edits
two copies by hand: edit the source and run this script; a test checks that the
committed notebooks are what it builds, with no outputs.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import nbformat

from helpers.quiz.question import Question
from helpers.storylines import STORYLINES, questions_for

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PARTICIPANT, SOLUTION = "participant", "solution"
#: source module -> (participant notebook, solution notebook), relative to the project.
PAIRS = {
    "nb00_start_here": ("notebooks/00-start-here.ipynb", "answers/00-start-here-solution.ipynb"),
    "nb01_leaked_key": ("notebooks/01-leaked-key.ipynb", "answers/01-leaked-key-solution.ipynb"),
    "nb02_ssrf_imds": ("notebooks/02-ssrf-imds.ipynb", "answers/02-ssrf-imds-solution.ipynb"),
    "nb03_console_ransomware": (
        "notebooks/03-console-ransomware.ipynb",
        "answers/03-console-ransomware-solution.ipynb",
    ),
    "nb04_ssh_c2": ("notebooks/04-ssh-c2.ipynb", "answers/04-ssh-c2-solution.ipynb"),
    "nb05_ci_persistence": (
        "notebooks/05-ci-persistence.ipynb",
        "answers/05-ci-persistence-solution.ipynb",
    ),
}
#: Every storyline's questions (the warm-ups included), by id.
QUESTIONS: dict[str, Question] = {q.id: q for name in STORYLINES for q in questions_for(name)}


@dataclass(frozen=True)
class Md:
    """A Markdown cell."""

    text: str
    only: str | None = None


@dataclass(frozen=True)
class Code:
    """A code cell."""

    source: str
    only: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Task:
    """A question: context, the card, then a scaffold (participant) or a reference (trainer).

    ``scaffold`` is a query with a blank ``____`` early on, a comment saying what to
    find later. ``solution`` computes ``answer`` from the logs alone. ``widget``
    gives the participant an answer box instead of the answer cell.
    """

    qid: str
    context: str
    scaffold: str
    solution: str
    widget: bool = False


#: The solution's opening cell: open the data set named by the parameters cell, as the
#: reference solver, and collect each reference answer in ANSWERS.
SOLUTION_SETUP = """
import json
from pathlib import Path

import pandas as pd

import helpers as gd
from helpers.paths import project_root

dataset = Path(DATASET).expanduser()
if not dataset.is_absolute():
    dataset = project_root() / dataset
gd.open_dataset(dataset, participant="reference-solution")
ANSWERS = {}  # question id -> the answer the reference query computed
"""


def parameters(scenario: str) -> str:
    """The solution's first cell, tagged ``parameters`` (papermill's convention)."""
    return f"""
# Parameters (papermill convention): the data set to solve, and where to write the answers.
DATASET = "datasets/{scenario}"  # relative to the project folder, or an absolute path
ANSWERS_OUT = None  # a path: write {{question id: answer}} there as JSON
"""


def debrief_table(steps) -> str:
    """A storyline's steps as the debrief walks through them."""
    rows = [
        "| step | ATT&CK | what happened | prevent | detect | investigate |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for s in steps:
        rows.append(
            f"| `{s.id}` | {s.technique} ({s.tactic}) | {s.title} | {s.prevent} | {s.detect} "
            f"| {s.investigate} |"
        )
    return "\n".join(rows)


def card(q: Question) -> str:
    """The question as the notebook shows it: prompt, choices, answer format, points."""
    lines = [f"> **Question `{q.id}`** ({q.points} points): {q.prompt}"]
    if q.kind == "choice":
        lines.append(">")
        lines += [f"> - **{chr(97 + i)}.** {c}" for i, c in enumerate(q.choices)]
    lines += [">", f"> *Answer format:* {q.format_help}"]
    return "\n".join(lines)


def answer_cell(q: Question, widget: bool) -> str:
    if widget:
        return f'gd.answer_box("{q.id}")'
    return f'answer = None  # your answer\ngd.check("{q.id}", answer)'


def reference_check(q: Question) -> str:
    return f'assert gd.check("{q.id}", answer).correct\nANSWERS["{q.id}"] = answer'


def cells_for(source: list, audience: str) -> list:
    """The notebook cells of ``source`` for ``audience`` (participant or solution)."""
    cells = []

    def md(text: str) -> None:
        cells.append(nbformat.v4.new_markdown_cell(text.strip("\n")))

    def code(text: str, tags: tuple[str, ...] = ()) -> None:
        cell = nbformat.v4.new_code_cell(text.strip("\n"))
        if tags:
            cell.metadata["tags"] = list(tags)
        cells.append(cell)

    for item in source:
        if getattr(item, "only", None) not in (None, audience):
            continue
        if isinstance(item, Md):
            md(item.text)
        elif isinstance(item, Code):
            code(item.source, item.tags)
        elif isinstance(item, Task):
            q = QUESTIONS[item.qid]
            md(item.context.strip("\n") + "\n\n" + card(q))
            if audience == PARTICIPANT:
                if item.scaffold.strip():
                    code(item.scaffold)
                code(answer_cell(q, item.widget))
            else:
                code(item.solution)
                code(reference_check(q))
                if q.explanation:
                    md(f"*Why it matters:* {q.explanation}")
        else:
            raise TypeError(f"not a cell: {item!r}")
    for i, cell in enumerate(cells):
        cell.id = f"{audience[0]}{i:03d}"
    return cells


def notebook(source: list, audience: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = cells_for(source, audience)
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


def load_source(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_notebooks", sys.modules[__name__])
    spec.loader.exec_module(module)
    return module


def built() -> dict[Path, str]:
    """Every notebook's path and the text this script writes for it."""
    out = {}
    for name, (participant, solution) in PAIRS.items():
        source = load_source(name).CELLS
        for audience, rel in ((PARTICIPANT, participant), (SOLUTION, solution)):
            out[ROOT / rel] = nbformat.writes(notebook(source, audience)) + "\n"
    return out


def out_of_step() -> list[Path]:
    """The committed notebooks that differ from what the sources build."""
    return [p for p, text in built().items() if not p.exists() or p.read_text() != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only say what is out of step")
    args = parser.parse_args(argv)
    if args.check:
        stale = out_of_step()
        for p in stale:
            print(f"{p.relative_to(ROOT)} is out of step: run answers/source/make_notebooks.py")
        return 1 if stale else 0
    for path, text in built().items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
