"""Every analysis entry point takes a scenario as loaded, a path, a shipped name or a
mapping; every plot function returns a matplotlib figure, written too when given a path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

import sim
from sim import calibration, psa, sensitivity
from sim.distributions import uncertain_parameters
from sim.plots import calibration as calibration_plots
from sim.plots import psa as psa_plots
from sim.plots import sensitivity as sensitivity_plots

NAME = "randers_housing_first"


@pytest.fixture(scope="module")
def loaded():
    return sim.load_scenario(NAME)


def _sources(loaded):
    path = sim.find_shipped(NAME)
    return [loaded, NAME, path, str(path), dict(loaded.raw)]


def test_draws_are_the_same_whatever_form_the_scenario_takes(loaded):
    ref = psa.make_draws([loaded], 4, seed=1).values
    for source in _sources(loaded):
        np.testing.assert_array_equal(psa.make_draws([source], 4, seed=1).values, ref)


def test_calibration_takes_names_of_scenario_and_targets(loaded):
    targets = calibration.load_targets("randers")
    used, _ = calibration.usable_targets(NAME, targets)
    assert [t.name for t in used] == [
        t.name for t in calibration.usable_targets(loaded, targets)[0]
    ]
    for source in _sources(loaded):
        assert calibration.usable_targets(source, targets)[0] == used


def test_one_way_takes_a_name(loaded):
    seen = []

    def fake(sc, replications, seed, years):
        """A stand-in simulator: records the scenario it is handed, outcome 1 per run."""
        seen.append(sc.name)
        return pd.DataFrame({"homeless_days": [1.0] * len(replications)})

    params = [p for p in uncertain_parameters(loaded) if not p.is_fixed][:1]
    assert params, "the shipped scenario has no uncertain parameter"
    by_name = sensitivity.one_way(
        NAME, "homeless_days", replications=1, params=params, simulator=fake
    )
    by_loaded = sensitivity.one_way(
        loaded, "homeless_days", replications=1, params=params, simulator=fake
    )
    pd.testing.assert_frame_equal(by_name, by_loaded)
    assert seen and all(n.startswith(loaded.name) for n in seen)


def _psa_tables():
    inc = pd.DataFrame(
        {"alternative": ["hf"] * 5, "gain": np.arange(5.0), "d_cost": np.arange(5.0) - 2}
    )
    curves = pd.DataFrame(
        {
            "wtp": [0.0, 1.0, 2.0],
            "p_base": [1.0, 0.5, 0.2],
            "p_hf": [0.0, 0.5, 0.8],
            "evpi_population": [0.0, 2.0, 1.0],
            "evpi_per_person": [0.0, 0.2, 0.1],
        }
    )
    return inc, curves


def _figures(path_of):
    inc, curves = _psa_tables()
    fit = pd.DataFrame(
        {
            "target": ["pit_2015", "pit_2017"],
            "year": [2015, 2017],
            "observed": [117.0, 86.0],
            "sd": [17.0, 13.0],
            "mean": [113.0, 90.0],
            "low": [108.0, 76.0],
            "high": [121.0, 100.0],
        }
    )
    tornado = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "low": [0.1, 1.0],
            "high": [0.2, 2.0],
            "base": [10.0, 10.0],
            "outcome_low": [8.0, 9.0],
            "outcome_high": [13.0, 11.0],
            "swing": [5.0, 2.0],
        }
    )
    sobol = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "first": [0.5, 0.2],
            "first_low": [0.4, 0.1],
            "first_high": [0.6, 0.3],
            "total": [0.6, 0.3],
            "total_low": [0.5, 0.2],
            "total_high": [0.7, 0.4],
        }
    )
    return {
        "ce_plane": psa_plots.ce_plane(inc, path_of("ce_plane")),
        "ceac": psa_plots.ceac_plot(curves, ["base", "hf"], path_of("ceac")),
        "evpi": psa_plots.evpi_plot(curves, path_of("evpi")),
        "fit": calibration_plots.fit_plot(fit, path_of("fit")),
        "tornado": sensitivity_plots.tornado(tornado, "homeless_days", path_of("tornado")),
        "sobol": sensitivity_plots.sobol_bars(sobol, "homeless_days", path_of("sobol")),
    }


def test_plot_functions_return_figures_without_a_path():
    for name, fig in _figures(lambda name: None).items():
        assert isinstance(fig, Figure), name
        assert fig.axes, name


def test_plot_functions_also_write_the_file_when_given_a_path(tmp_path):
    figures = _figures(lambda name: tmp_path / f"{name}.png")
    for name, fig in figures.items():
        assert isinstance(fig, Figure), name
        assert (tmp_path / f"{name}.png").read_bytes()[:4] == b"\x89PNG", name
