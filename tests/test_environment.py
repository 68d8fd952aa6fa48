"""environment.yml (conda) and pyproject.toml (pip) list the same dependencies."""

from __future__ import annotations

import re
import tomllib

from conftest import REPO


def _name_and_bound(spec: str) -> tuple[str, str]:
    spec = spec.split(";")[0]  # pip's environment markers have no conda spelling
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", spec)
    assert m, spec
    return m.group(1).lower().replace("_", "-"), m.group(2).replace(" ", "")


def test_conda_environment_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    pip = dict(_name_and_bound(s) for s in project["dependencies"])
    pip.update(_name_and_bound(s) for s in project["optional-dependencies"]["test"])

    conda = {}
    text = (REPO / "environment.yml").read_text()
    for line in text.split("dependencies:", 1)[1].splitlines():
        m = re.match(r"^\s*-\s+([^#\s][^#]*)", line)
        if m and not line.strip().startswith("- pip") and "python" not in line:
            name, bound = _name_and_bound(m.group(1).strip())
            conda[name] = bound

    assert pip == conda


def test_readme_documents_every_cli_command():
    from helpers.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    readme = (REPO / "README.md").read_text()
    missing = [name for name in sub.choices if f"gameday {name}" not in readme]
    assert missing == []


def test_datasets_readme_is_the_data_dictionary_of_the_code():
    from helpers.catalog import datasets_readme

    assert datasets_readme() == (REPO / "datasets" / "README.md").read_text()
