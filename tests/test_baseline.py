"""The frozen baseline: the same runs give the same numbers, to the last bit."""

from __future__ import annotations

import json

import pytest

from sim.baseline import BASELINE, RUNS, outputs, run_key


@pytest.mark.parametrize("run", RUNS, ids=[r[0] for r in RUNS])
def test_frozen_outputs_are_reproduced(run):
    """Every output stored for this run is reproduced exactly (outputs added since may
    be missing from the file; refreeze with ``python -m sim.baseline`` when a change
    of results is intended, and say why)."""
    frozen = json.loads(BASELINE.read_text())[run_key(*run)]
    now = outputs(*run)
    differ = {k: (v, now.get(k)) for k, v in frozen.items() if now.get(k, "missing") != v}
    assert not differ, differ
