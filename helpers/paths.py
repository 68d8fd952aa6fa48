"""Where things live: the project folder, data sets, answer keys.

Notebooks run with JupyterLab's root at ``notebooks/``, the CLI from anywhere,
so nothing may depend on the current directory. Paths resolve against the
project folder (the clone the kit was installed from), which
``GAMEDAY_HOME`` overrides.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_SCENARIO = "leaked-key"
#: The documented fixed seed of ``gameday generate`` without ``--seed``.
DEFAULT_SEED = 2026
DEFAULT_SCALE = "workshop"


def project_root() -> Path:
    """The project folder: ``$GAMEDAY_HOME``, else the folder above this package."""
    home = os.environ.get("GAMEDAY_HOME")
    return Path(home).expanduser().resolve() if home else Path(__file__).resolve().parents[1]


def datasets_dir() -> Path:
    return project_root() / "datasets"


def default_dataset_dir(scenario: str = DEFAULT_SCENARIO) -> Path:
    """``datasets/<scenario>`` in the project folder."""
    return datasets_dir() / scenario


def keys_dir() -> Path:
    """Where answer keys go by default: ``answers/keys/`` (git-ignored)."""
    return project_root() / "answers" / "keys"


def default_key_path(dataset_dir: Path) -> Path:
    """``answers/keys/<data set name>.json`` for a data set folder."""
    return keys_dir() / f"{Path(dataset_dir).name}.json"
