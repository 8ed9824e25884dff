"""EVPPI by regression metamodels, against closed forms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from sim.evppi import evppi, evppi_curve, evppi_table
from sim.psa import evpi

N = 1200
A, B, C = 0.5, 1.0, 1.0


def expected_positive_part(mean: float, sd: float) -> float:
    """E[max(0, X)] for X ~ N(mean, sd^2)."""
    return mean * stats.norm.cdf(mean / sd) + sd * stats.norm.pdf(mean / sd)


@pytest.fixture(scope="module")
def sample() -> np.ndarray:
    return np.random.default_rng(12).standard_normal((N, 2))


def test_linear_gaussian_net_benefit(sample) -> None:
    """INB = a + b x1 + c x2 with x ~ N(0, I): EVPPI(x1) = E[max(0, a + b x1)] - max(0, a).

    Tolerance 0.05: the Monte Carlo error of the estimate over 1,200 draws is about
    0.02 (sd of max(0, .) about 0.7), and the fitted line adds a little; so 0.05 is
    about 2.5 standard errors.
    """
    x = sample
    inb = A + B * x[:, 0] + C * x[:, 1]
    nb = np.column_stack([np.zeros(N), inb])
    exact_1 = expected_positive_part(A, B) - A  # 0.198
    exact_both = expected_positive_part(A, np.hypot(B, C)) - A  # 0.349, the EVPI
    for method in ("gp", "linear"):
        assert evppi(x[:, :1], nb, method) == pytest.approx(exact_1, abs=0.05)
    assert evppi(x, nb, "linear") == pytest.approx(exact_both, abs=0.05)
    # the EVPPI of every parameter is the EVPI of the sample (up to the regression)
    sample_evpi = evpi(np.column_stack([np.zeros(N), -inb]), np.zeros((N, 2)), [0.0])[0]
    assert evppi(x, nb, "linear") == pytest.approx(sample_evpi, abs=1e-9)


def test_nonlinear_net_benefit_needs_the_gp(sample) -> None:
    """INB = a + b (x1^2 - 1) + c x2: E[INB | x1] is quadratic in x1, so a linear fit sees
    nothing (EVPPI near 0) while the GP finds the closed form (numerical integral)."""
    x = sample
    a, b = -0.3, 0.8
    inb = a + b * (x[:, 0] ** 2 - 1) + C * x[:, 1]
    nb = np.column_stack([np.zeros(N), inb])
    exact, _ = integrate.quad(
        lambda t: max(0.0, a + b * (t * t - 1)) * stats.norm.pdf(t), -10, 10, points=[-1.0, 1.0]
    )
    exact -= max(0.0, a)
    assert exact > 0.2
    assert evppi(x[:, :1], nb, "gp") == pytest.approx(exact, abs=0.05)
    assert evppi(x[:, :1], nb, "linear") < 0.05


def test_curve_over_willingness_to_pay(sample) -> None:
    """Costs and effects regressed once: the curve equals EVPPI of w*effect - cost."""
    x = sample
    effects = np.column_stack([np.zeros(N), 1.0 + 0.5 * x[:, 0] + 0.3 * x[:, 1]])
    costs = np.column_stack([np.zeros(N), 2.0 + x[:, 1]])
    wtp = [0.0, 1.0, 2.0, 4.0]
    curve = evppi_curve(x[:, :1], costs, effects, wtp, "linear")
    for w, v in zip(wtp, curve, strict=True):
        assert v == pytest.approx(evppi(x[:, :1], w * effects - costs, "linear"), abs=1e-9)
    # exact at w: INB | x1 = (w - 2) + 0.5 w x1
    for w, v in zip(wtp[1:], curve[1:], strict=True):
        exact = expected_positive_part(w - 2, 0.5 * w) - max(0.0, w - 2)
        assert v == pytest.approx(exact, abs=0.05)
    table = evppi_table(
        pd.DataFrame({"a": x[:, 0], "b": x[:, 1]}),
        costs,
        effects,
        {"first": ["a"], "both": ["a", "b"]},
        wtp,
        "linear",
    )
    assert list(table["group"].unique()) == ["first", "both"]
    assert (table["evppi"] >= 0).all()


def _psa_folder(root, x: np.ndarray) -> None:
    """A PSA folder as 'homesim psa' writes it: effects linear in two parameters."""
    n = len(x)
    pd.DataFrame({"draw": np.arange(n), "a.b": x[:, 0], "c.d": x[:, 1]}).to_csv(
        root / "draws.csv", index=False
    )
    rows = []
    for i in range(n):
        rows.append({"draw": i, "scenario": "base", "cost": 0.0, "effect": 0.0, "persons": 10.0})
        rows.append(
            {
                "draw": i,
                "scenario": "alt",
                "cost": 2.0 + x[i, 1],
                "effect": 1.0 + 0.5 * x[i, 0],
                "persons": 10.0,
            }
        )
    pd.DataFrame(rows).to_csv(root / "outcomes.csv", index=False)
    pd.DataFrame({"wtp": [0.0, 2.0, 4.0], "evpi_modelled": [0.0, 0.0, 0.0]}).to_csv(
        root / "ceac_evpi.csv", index=False
    )


def test_evppi_command(sample, tmp_path, capsys) -> None:
    from sim.cli import main

    _psa_folder(tmp_path, sample)
    assert (
        main(
            [
                "evppi",
                str(tmp_path),
                "--method",
                "linear",
                "--group",
                "effect=a.b",
                "--group",
                "both=a.b,c.d",
            ]
        )
        == 0
    )
    table = pd.read_csv(tmp_path / "evppi" / "evppi.csv")
    assert (tmp_path / "evppi" / "evppi.png").exists()
    row = table[(table["group"] == "effect") & (table["wtp"] == 4.0)].iloc[0]
    # INB | a = (4 - 2) + 2 a: closed form E[max(0, N(2, 2^2))] - 2
    assert row["evppi"] == pytest.approx(expected_positive_part(2.0, 2.0) - 2.0, abs=0.05)
    assert row["evppi_per_person"] == pytest.approx(row["evppi"] / 10)
    capsys.readouterr()
    out = tmp_path / "bad"
    assert main(["evppi", str(tmp_path), "--group", "x=nope.path", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "'nope.path' is not a parameter of the PSA" in err and err.count("\n") == 1
    assert not out.exists()
