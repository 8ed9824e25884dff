"""ABC-SMC on the batch engine: the same fit bit for bit serially, on 2 local processes
and on a local Dask cluster, and a fit stopped inside a generation resumes from its run
cache to the result of one run straight through."""

from __future__ import annotations

import pytest
from conftest import chain_scenario
from pandas.testing import assert_frame_equal

import sim
from sim.calibration import load_targets
from sim.posterior import fit_posterior
from tests.engines import StopAfter, StoppedError, against_serial, on_every_backend


def problem():
    """A 2-year chain of 1,060 people and two yearly targets of one free parameter."""
    sc = sim.load_scenario(
        chain_scenario(
            {"own": 1000, "shelter": 60},
            {"own": {"shelter": 0.004}, "shelter": {"own": 0.05}},
            years=2,
        )
    )
    targets = load_targets(
        {
            "targets": [
                {"measure": "pit", "year": 2015, "observed": 70.0, "cv": 0.1},
                {"measure": "shelter_users", "year": 2016, "observed": 150.0, "cv": 0.1},
            ],
            "free": {"transitions.low.own.shelter": {"low": 0.001, "high": 0.01}},
        }
    )
    return sc, targets


def fit(**kw):
    sc, targets = problem()
    return fit_posterior(
        sc, targets, particles=12, replications=1, seed=2, generations=3, predictive_draws=4, **kw
    )


def same(a, b) -> None:
    """Two fits are the same: particles, weights, diagnostics (but the timing), draws."""
    assert_frame_equal(a.posterior, b.posterior, check_exact=True)
    assert_frame_equal(
        a.generations.drop(columns="seconds"),
        b.generations.drop(columns="seconds"),
        check_exact=True,
    )
    assert_frame_equal(a.predictive_draws, b.predictive_draws, check_exact=True)
    assert (a.runs, a.stopped, a.temperature) == (b.runs, b.stopped, b.temperature)


def test_abc_smc_is_the_same_on_every_backend(dask_client) -> None:
    fits = on_every_backend(fit, dask_client)
    for _, got, serial in against_serial(fits):
        same(got, serial)
    assert len(fits["serial"].generations) >= 2  # more than the prior sample was run
    assert fits["serial"].posterior["transitions.low.own.shelter"].nunique() > 1


def test_stopped_inside_a_generation_resumes_to_the_same_fit(tmp_path) -> None:
    straight = fit()
    # generation 0 runs 12 parameter sets (one run each); stop 5 runs into generation 1
    with pytest.raises(StoppedError):
        fit(state_dir=tmp_path, cache=tmp_path / "runs", run_progress=StopAfter(17))
    kept = {p: p.stat().st_mtime_ns for p in (tmp_path / "runs").rglob("*.json")}
    assert len(kept) == 17  # every finished run is kept before it is counted
    resumed = fit(state_dir=tmp_path, cache=tmp_path / "runs", run_progress=False)
    same(resumed, straight)
    assert resumed.resumed_from == 0  # generation 0 from the state, generation 1 from the runs
    assert all(p.stat().st_mtime_ns == t for p, t in kept.items())  # none was run again
    assert len(list((tmp_path / "runs").rglob("*.json"))) == straight.runs + 4
