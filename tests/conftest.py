"""Shared fixtures: small data sets generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

# the fixtures of the real-browser tests: chromium_browser, artefacts; of event mode:
# shared_event, per_team_event
pytest_plugins = ["browser_support", "event_support"]

REPO = Path(__file__).resolve().parents[1]
SHARED_REAL_LOGS = REPO.parent / "shared" / "real-logs"

#: Seeds the integrity proof runs on (three different worlds and attackers).
SEEDS = (11, 2026, 31337)


def real_logs() -> Path:
    """``../shared/real-logs``, or skip the test saying why."""
    if not SHARED_REAL_LOGS.is_dir():
        pytest.skip(f"real AWS log samples not found at {SHARED_REAL_LOGS} (../shared is absent)")
    return SHARED_REAL_LOGS


@pytest.fixture(scope="session")
def small_gameday(tmp_path_factory):
    """``small_gameday(scenario, seed)``: a ``small`` data set with its key beside it
    (see :func:`key_of`), generated on first use and shared by the whole session."""
    from helpers.generate import generate

    root = tmp_path_factory.mktemp("datasets")
    made: dict[tuple[str, int], Path] = {}

    def get(scenario: str, seed: int) -> Path:
        if (scenario, seed) not in made:
            ds = root / f"{scenario}-{seed}"
            generate(scenario, seed, "small", ds, key_out=key_of(ds), progress=False)
            made[scenario, seed] = ds
        return made[scenario, seed]

    return get


@pytest.fixture(scope="session")
def small_datasets(small_gameday) -> dict[int, Path]:
    """One ``small`` leaked-key data set per seed, with its key beside it."""
    return {seed: small_gameday("leaked-key", seed) for seed in SEEDS}


@pytest.fixture(scope="session")
def small_dataset(small_datasets) -> Path:
    return small_datasets[SEEDS[0]]


def key_of(dataset: Path) -> Path:
    return dataset.parent / "keys" / f"{dataset.name}.json"
