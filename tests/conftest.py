"""Shared fixtures: small data sets generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

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
def small_datasets(tmp_path_factory) -> dict[int, Path]:
    """One ``small`` leaked-key data set per seed, with its key beside it."""
    from helpers.generate import generate

    root = tmp_path_factory.mktemp("datasets")
    out = {}
    for seed in SEEDS:
        ds = root / f"leaked-key-{seed}"
        generate(
            "leaked-key",
            seed,
            "small",
            ds,
            key_out=root / "keys" / f"{ds.name}.json",
            progress=False,
        )
        out[seed] = ds
    return out


@pytest.fixture(scope="session")
def small_dataset(small_datasets) -> Path:
    return small_datasets[SEEDS[0]]


def key_of(dataset: Path) -> Path:
    return dataset.parent / "keys" / f"{dataset.name}.json"
