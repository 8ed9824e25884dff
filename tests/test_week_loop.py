"""The compiled week (``sim.week_loop``) against the numpy week it replaces.

Both live the same rules draw for draw, so every tally, log and citizen array must be
equal to the last bit, on scenarios that use each rule: waiting lists with each
priority rule, overflow, assigned homes with self-finding, a policy's priority group
(Housing First) and a reserve (youth), support teams and prevention.
"""

from __future__ import annotations

import numpy as np
import pytest

import homesim
from sim.citizens import NO_WEEK
from sim.kernels import duration_parts, duration_table
from sim.model import HomelessnessModel
from sim.transitions import duration_multiplier

TALLIES = ("counts", "flows", "entries", "queues", "applied", "refused", "users", "nights")
LOGS = ("stays", "spells", "episodes")


def _run(scenario, compiled: bool, weeks: int, seed: int) -> HomelessnessModel:
    model = HomelessnessModel(scenario, rng=seed)
    model.compiled_week = compiled
    model.run(weeks)
    return model


def _differences(a: HomelessnessModel, b: HomelessnessModel) -> list[str]:
    """Names of every tally, log, citizen array or summary figure that differs."""
    ra, rb = a.recorder, b.recorder
    bad = [
        k
        for k in (*TALLIES, "peak", "homeless_any")
        if not np.array_equal(getattr(ra, k), getattr(rb, k))
    ]
    bad += [k for k in LOGS if not getattr(ra, k).frame().equals(getattr(rb, k).frame())]
    ca, cb = a.citizens, b.citizens
    bad += [f"citizens.{f}" for f in ca._data if not np.array_equal(ca._data[f], cb._data[f])]
    ta, tb = a.policies.teams, b.policies.teams
    if ta is not None:
        bad += [
            f"support.{k}"
            for k in ("support_weeks", "team_waiting", "support_cells")
            if not np.array_equal(getattr(a.policies, k), getattr(b.policies, k))
        ]
        bad += [
            f"support.{k}"
            for k in ("in_support", "cells", "waiting")
            if not np.array_equal(getattr(ta, k), getattr(tb, k))
        ]
        spells = [np.concatenate(c) for c in zip(*ta.spells(a.weeks), strict=True)]
        other = [np.concatenate(c) for c in zip(*tb.spells(b.weeks), strict=True)]
        if any(
            x.dtype != y.dtype or not np.array_equal(x, y)
            for x, y in zip(spells, other, strict=True)
        ):
            bad.append("support.spells")
    sa, sb = a.summary(), b.summary()
    bad += [k for k in sa if not (sa[k] == sb[k] or (np.isnan(sa[k]) and np.isnan(sb[k])))]
    return bad


CASES = {
    "randers_baseline": {},  # first come, youngest first, highest needs; overflow
    "randers_housing_first": {},  # a priority group on the assigned-home list
    "randers_youth_icm": {},  # a priority group and a reserve on the starter list
    "randers_eviction_prevention": {},
    "fredericia_housing_first": {},
    "randers_staircase": {},  # the staircase's steps
    "randers_act_expansion": {},  # a team resized and youth first, by a dated change
    "randers_housing_first ": {  # each team's list by another rule, under-30s first
        "policies__teams__cti__priority": "youngest_first",
        "policies__teams__icm__priority": "longest_homeless",
        "policies__teams__act__priority": "highest_needs",
        "policies__youth__priority": True,
        "policies__teams__act__staff": 0.5,
    },
    "randers_baseline ": {  # every list by longest homeless; all homes assigned
        "places__shelter__priority": "longest_homeless",
        "places__starter__priority": "longest_homeless",
        "housing__self_found_share": 0.0,
        "housing__assignments_per_week": 1.0,
    },
    "randers_baseline  ": {  # scarce beds, homes found on the market only
        "places__shelter__capacity": 10,
        "places__night_shelter__capacity": 4,
        "housing__self_found_share": 1.0,
    },
}


@pytest.mark.parametrize("name", list(CASES))
def test_compiled_week_equals_numpy_week(name):
    scenario = homesim.load_scenario(name.strip(), **CASES[name])
    weeks = 3 * 52  # three years: lists fill, homes are assigned, people return
    a = _run(scenario, False, weeks, seed=11)
    b = _run(scenario, True, weeks, seed=11)
    assert a.recorder.flows.sum() > 100  # the runs move people
    if a.policies.teams is not None:  # teams admit and end support
        assert a.policies.support_weeks.sum() > 100 and len(a.policies.teams.log) > 5
    assert _differences(a, b) == []


def test_moves_changed_by_another_policy_take_the_numpy_week():
    """The staircase's steps are a rule of the compiled week; another filter is not."""
    from sim.policies.lifecycle import BasePolicy

    class Cancel(BasePolicy):
        def filter_moves(self, movers, dest):
            return movers[:0], dest[:0]

    model = HomelessnessModel(homesim.load_scenario("randers_staircase"), rng=1)
    assert model.policies.staircase is not None
    assert not model.policies.filters_moves
    model.policies.policies.append(Cancel())
    assert model.policies.filters_moves
    model.run(4)  # the numpy week: the drawn moves are cancelled, entrants still come
    assert model.recorder.flows[1:5].sum() == 0
    assert model.recorder.entries[1:5].sum() > 0


def test_compiled_week_keeps_every_count():
    """Nobody lost or counted twice, no place over capacity, on every week."""
    scenario = homesim.load_scenario("randers_youth_icm")
    model = HomelessnessModel(scenario, rng=5)
    caps = model.allocator.rules.capacity[:-1]
    from sim.places import PLACE_SITUATION

    for _ in range(104):
        model.step()
        a = model.citizens
        inside = np.bincount(a.situation, minlength=model.occupancy.size)
        assert np.array_equal(inside, model.occupancy)
        assert (
            model.recorder.peak[model.week - 1] <= np.where(np.isfinite(caps), caps, 1e18)
        ).all()
        assert (model.occupancy[PLACE_SITUATION] <= np.where(np.isfinite(caps), caps, 1e18)).all()


def test_duration_multipliers_follow_the_formula():
    """The compiled multipliers (``kernels.duration_parts``) are the formula's to 2 ulp.

    Both weeks use the compiled ones, so they are equal between weeks by construction;
    here they are checked against ``transitions.duration_multiplier``.
    """
    start = np.random.default_rng(0).integers(-600, 520, 10_000).astype(np.int32)
    start[::3] = NO_WEEK
    table = duration_table(700, 52.0, 0.3)  # spells of 700 weeks or more are computed
    idx, mult = duration_parts(start, 520, table, 52.0, 0.3)
    assert np.array_equal(idx, np.flatnonzero(start != NO_WEEK))
    ref = duration_multiplier((520 - start[idx]).astype(np.float64), 52.0, 0.3)
    np.testing.assert_allclose(mult, ref, rtol=5e-16, atol=0)
    assert mult.min() > 0.3 and mult.max() <= 1.0 + 1e-12
    assert ((520 - start[idx]) >= 700).any()  # some beyond the table
    _, computed = duration_parts(start, 520, table[:0], 52.0, 0.3)  # no table at all
    assert np.array_equal(mult, computed)  # looked up or computed, the same numbers
