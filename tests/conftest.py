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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """With ``pytest -n`` (make test): keep each scenario's tests on one worker, so its
    session data sets are generated once, not once per worker."""
    for item in items:
        params = getattr(item, "callspec", None)
        scenario = params.params.get("scenario") if params else None
        module = item.module.__name__ if item.module else ""
        if scenario is None and module.startswith("test_storyline_"):
            scenario = module.removeprefix("test_storyline_").replace("_", "-")
        if scenario is None and {"small_dataset", "small_datasets"} & set(item.fixturenames):
            scenario = "leaked-key"
        if scenario is None and {"shared_event", "per_team_event"} & set(item.fixturenames):
            scenario = "event"  # event mode's events (tests/event_support.py), made once
        nb = params.params.get("nb") if params else None
        if scenario is None and nb is not None:  # participant notebooks: 00 runs on leaked-key
            scenario = "leaked-key" if nb == "start-here" else nb
        item.add_marker(pytest.mark.xdist_group(scenario or module))


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
