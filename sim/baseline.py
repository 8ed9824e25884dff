"""A frozen baseline: key outputs of a few shipped scenarios for fixed seeds.

``tests/data/baseline.json`` holds them; ``tests/test_baseline.py`` reruns the same
runs and asks for the same numbers to the last bit, so a change that claims "same
results bit for bit" is checked, and one that changes results must refreeze the file
on purpose (``python -m sim.baseline``) and say why.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from sim.model import HomelessnessModel
from sim.results_io import write_json
from sim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "tests" / "data" / "baseline.json"
#: (scenario file, seed, years, scale): small enough to rerun in a test.
RUNS: tuple[tuple[str, int, int, float], ...] = (
    ("randers_baseline.yaml", 1, 3, 1.0),
    ("randers_housing_first.yaml", 2, 3, 1.0),
    ("randers_eviction_prevention.yaml", 3, 3, 1.0),
    ("denmark_calibrated.yaml", 4, 3, 0.05),
)


def run_key(scenario: str, seed: int, years: int, scale: float) -> str:
    """The key of one frozen run in the baseline file: scenario, seed, years and scale."""
    return f"{scenario} seed={seed} years={years} scale={scale:g}"


def outputs(scenario: str, seed: int, years: int, scale: float) -> dict[str, float]:
    """The summary of one run (every scalar output), NaN written as None."""
    sc = load_scenario(ROOT / "scenarios" / scenario, setting__scale=scale)
    out = HomelessnessModel(sc, rng=seed, years=years).run().summary()
    return {
        k: (None if isinstance(v, float) and math.isnan(v) else float(v)) for k, v in out.items()
    }


def freeze(path: Path = BASELINE) -> dict[str, dict[str, float]]:
    """Run every baseline run and write their outputs (atomically)."""
    data = {run_key(*run): outputs(*run) for run in RUNS}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, data)
    return data


if __name__ == "__main__":
    freeze(Path(sys.argv[1]) if len(sys.argv) > 1 else BASELINE)
    print(f"wrote {BASELINE if len(sys.argv) < 2 else sys.argv[1]}")
