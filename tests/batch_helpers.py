"""Small scenario and batch files written to a temporary folder, for the batch tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROWS = {
    "own": {"at_risk": 0.01},
    "at_risk": {"own": 0.15, "friends": 0.05, "rough": 0.02},
    "rough": {"shelter": 0.25, "friends": 0.05, "own": 0.01},
    "shelter": {"starter": 0.06, "rough": 0.04, "own": 0.03},
    "friends": {"rough": 0.05, "shelter": 0.05, "own": 0.04},
    "starter": {"own": 0.08, "shelter": 0.02},
}


def small_scenario(name: str = "small", years: int = 1) -> dict[str, Any]:
    """About 300 citizens with entries, exits and scarce places: a run takes milliseconds."""
    return {
        "name": name,
        "setting": {"years": years, "start_year": 2015},
        "initial": {
            "counts": {
                "own": 150,
                "at_risk": 80,
                "rough": 10,
                "shelter": 20,
                "friends": 20,
                "starter": 5,
            },
            "needs_mix": {"default": {"low": 0.6, "medium": 0.3, "high": 0.1}},
        },
        "entries": {
            "per_week": 2.0,
            "routes": {"eviction": {"share": 1.0, "to": {"at_risk": 1.0}}},
        },
        "exits": {"move_away_per_year": 0.05},
        "transitions": {"low": ROWS, "medium": ROWS, "high": ROWS},
        "places": {
            "shelter": {"capacity": 25, "overflow": {"rough": 1.0}},
            "starter": {"capacity": 6},
        },
        "housing": {"assignments_per_week": 1, "self_found_share": 0.5},
    }


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_batch(folder: Path, **batch: Any) -> Path:
    """Write small.yaml and batch.yaml (defaults: a 2 x 2 grid, 3 replications)."""
    write_yaml(folder / "small.yaml", small_scenario())
    data = {
        "name": "test-batch",
        "scenarios": ["small.yaml"],
        "sweep": {"places.starter.capacity": [6, 12], "housing.assignments_per_week": [1, 3]},
        "replications": 3,
        "seed": 7,
    }
    data.update(batch)
    data = {k: v for k, v in data.items() if v is not None}
    return write_yaml(folder / "batch.yaml", data)
