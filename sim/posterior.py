"""Posterior calibration: ABC-SMC of a scenario's free parameters against targets.

The observation model: a target's observed figure ``y_i`` is one run's value ``x_i``
(the model is stochastic, and the world is one realisation of it) plus an observation
error ``N(0, sd_i^2)`` with the ``sd`` the targets file gives. For a parameter set, R
runs on fresh seeds give the unbiased likelihood estimate

    p_hat(y | theta) = (1 / R) sum_r exp(-0.5 sum_i w_i ((x_ri - y_i) / sd_i) ** 2)

(up to a constant), which :mod:`sim.abc_smc` turns into a posterior sample that is
exact under this model once its temperature reaches 1. Replicates are thus treated
honestly: their spread widens the posterior instead of being averaged away.

Priors: each free parameter's prior is, in this order, the ``prior:`` of its entry in
the targets file, the ``dist`` the scenario gives that key, or uniform on the free
range; a distribution is truncated to the free range ``[low, high]``.

Outputs (:class:`PosteriorFit`): the weighted posterior sample, diagnostics per
generation, a posterior-predictive table (every target: observed against the 80%
and 95% predictive intervals of a new observation), the draws behind it, and a
fitted scenario whose free parameters carry the posterior as truncated-normal
distributions (``homesim psa --posterior`` draws the joint sample instead).
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.special import logsumexp

from sim import abc_smc
from sim.batch.engine import Engine
from sim.batch.progress import Progress
from sim.batch.runs import RunOutput, RunSpec
from sim.calibration import (
    FITTED_SOURCE,
    FreeParameter,
    SdScale,
    Target,
    Targets,
    check_free,
    fitted_scenario_yaml,
    run_measure,
    series_index,
    series_sums,
    target_values,
    weighted_z2,
)
from sim.distributions import make_parameter
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import (
    LoadedScenario,
    Provenance,
    change_key,
    expand_path,
    is_wildcard,
    node_at,
)

#: Replication indices of posterior-predictive runs start here, far above the fit's.
PREDICTIVE_OFFSET = 10**9
#: Interval levels of the predictive table and of the forecasts.
LEVELS = (0.8, 0.95)


@dataclass
class PosteriorFit:
    """An ABC-SMC calibration: sample, diagnostics, predictive checks."""

    free: tuple[FreeParameter, ...]
    targets: list[Target]
    posterior: pd.DataFrame  # particle, one column per dotted path, weight, distance
    generations: pd.DataFrame
    predictive: pd.DataFrame  # per target: observed, sd, mean, intervals, inside
    predictive_draws: pd.DataFrame  # draw, target, value
    stopped: str
    exact: bool
    runs: int
    seconds: float
    replications: int
    seed: int
    resumed_from: int | None = None
    temperature: float = 1.0  # of the population returned (1: exact)
    method: str = "abc-smc"
    left_out: list[str] = field(default_factory=list)
    sd_scale: SdScale | None = None  # each series' sds known only up to a factor

    @property
    def weights(self) -> np.ndarray:
        """The posterior's particle weights, one per particle."""
        return self.posterior["weight"].to_numpy()

    def summary(self) -> pd.DataFrame:
        """Per parameter: weighted mean, sd, median and the 90% and 95% intervals."""
        rows = []
        w = self.weights
        for p in self.free:
            x = self.posterior[p.path].to_numpy(float)
            mean = float(w @ x)
            lo90, hi90 = abc_smc.credible_interval(x, w, 0.9)
            lo95, hi95 = abc_smc.credible_interval(x, w, 0.95)
            rows.append(
                {
                    "parameter": p.path,
                    "mean": mean,
                    "sd": float(np.sqrt(w @ (x - mean) ** 2)),
                    "median": abc_smc.weighted_quantile(x, w, 0.5),
                    "low_90": lo90,
                    "high_90": hi90,
                    "low_95": lo95,
                    "high_95": hi95,
                    "prior_low": p.low,
                    "prior_high": p.high,
                }
            )
        return pd.DataFrame(rows)

    def distinct(self) -> int:
        """Distinct parameter sets among the particles with a positive weight."""
        cols = [p.path for p in self.free]
        return len(self.posterior.loc[self.weights > 0, cols].drop_duplicates())

    def statistics(self) -> dict[str, Any]:
        """Summary numbers for fit.json."""
        pred = self.predictive
        return {
            "method": self.method,
            "particles": len(self.posterior),
            "replications": self.replications,
            "seed": self.seed,
            "generations": len(self.generations),
            "temperature": self.temperature,
            "exact": self.exact,
            "stopped": self.stopped,
            "runs": self.runs,
            "ess": float(1.0 / np.sum(self.weights**2)),
            # resampling and moves leave copies: the ESS of equal weights counts them all
            "distinct": self.distinct(),
            "seconds": round(self.seconds, 1),
            "resumed_from": self.resumed_from,
            "likelihood": (
                "gaussian, sds as given"
                if self.sd_scale is None
                else f"student-t: each series' sds up to a factor, inverse-gamma("
                f"{self.sd_scale.shape:g}, {self.sd_scale.rate:g}) prior on its square"
            ),
            "observed_inside_80": float(pred["inside_80"].mean()),
            "observed_inside_95": float(pred["inside_95"].mean()),
            "means": {p.path: float(self.weights @ self.posterior[p.path]) for p in self.free},
        }


# ---------------------------------------------------------------- priors


def refitted_priors(loaded: LoadedScenario, targets: Targets) -> list[str]:
    """Free parameters whose prior would be a dist an earlier fit wrote: its posterior.

    A parameter with no ``prior:`` in the targets takes the scenario's ``dist``; when
    ``homesim calibrate`` wrote that dist, fitting the same data again counts it twice.
    """
    out = []
    for p in targets.free:
        prov = _prior_from_scenario(loaded, p)
        if prov is not None and (prov.source or "").startswith(FITTED_SOURCE):
            out.append(p.path)
    return out


def _prior_from_scenario(loaded: LoadedScenario, p: FreeParameter) -> Provenance | None:
    """The scenario's entry whose ``dist`` is ``p``'s prior: none if the targets give one."""
    prov = loaded.provenance.get(p.path)
    if p.prior is not None or prov is None or prov.dist is None:
        return None
    return prov


def build_prior(loaded: LoadedScenario, targets: Targets) -> abc_smc.Prior:
    """Return the prior of every free parameter.

    Raises ScenarioError for a prior with no probability on the free range or a fixed
    one.
    """
    dists = []
    for p in targets.free:
        spec, where, file = p.prior, f"free.{p.path}.prior", targets.file
        prov = _prior_from_scenario(loaded, p)
        if prov is not None:
            spec, where, file = prov.dist, f"{p.path}.dist", loaded.file
        if spec is None:
            dists.append(None)
            continue
        par = make_parameter(p.path, p.low, spec, file=file)
        if par.is_fixed:
            raise ScenarioError(
                "a fixed value is no prior: give a distribution with spread "
                "or leave it out (uniform on the free range)",
                file=file,
                path=where,
            )
        mass = float(par.dist.cdf(p.high) - par.dist.cdf(p.low))
        if not mass > 1e-9:
            raise ScenarioError(
                f"the prior {spec} puts no probability on the free range [{p.low:g}, {p.high:g}]",
                file=file,
                path=where,
            )
        dists.append(par.dist)
    return abc_smc.Prior(
        tuple(p.path for p in targets.free),
        tuple(p.low for p in targets.free),
        tuple(p.high for p in targets.free),
        tuple(dists),
    )


def strict_targets(loaded: LoadedScenario, targets: Targets, years: int | None) -> list[Target]:
    """Every target, which must fall inside the run's years (an error otherwise)."""
    start = loaded.params.setting.start_year
    end = start + (years or loaded.params.setting.years) - 1
    for i, t in enumerate(targets.targets):
        if t.year is not None and not start <= t.year <= end:
            raise ScenarioError(
                f"target '{t.name}' is dated {t.year}, outside the run "
                f"({start}-{end}); lengthen the run with --years or drop "
                "the target",
                file=targets.file,
                path=f"targets[{i}].year",
            )
    return list(targets.targets)


# ---------------------------------------------------------------- likelihood


@dataclass(frozen=True)
class TargetLogLik:
    """Turns a frame of runs into log p_hat; picklable, so workers compute it."""

    targets: tuple[Target, ...]
    scale: float = 1.0  # the scenario's setting.scale: counts are compared per full size
    sd_scale: SdScale | None = None  # each series' sds known only up to a factor

    def values(self, frame: pd.DataFrame) -> np.ndarray:
        """Return the target values of each run (per full size), as an array (runs, targets)."""
        return target_values(frame, self.targets, self.scale).to_numpy(float)

    def __call__(self, frame: pd.DataFrame) -> float:
        """Return log p_hat of the frame of runs."""
        return loglik(self.values(frame), self.targets, self.sd_scale)


def loglik(values: np.ndarray, targets: Sequence[Target], sd_scale: SdScale | None = None) -> float:
    """Log of the mean over runs (rows) of the observation kernel, <= 0.

    The kernel is Gaussian with the targets' sds, or with ``sd_scale`` the Student-t
    left when each series' unknown factor on its sds is integrated out.
    """
    z2 = weighted_z2(values, targets)
    if sd_scale is None:
        logp = -0.5 * np.sum(z2, axis=1)
    else:
        idx, n = series_index(targets)
        logp = np.sum(sd_scale.log_marginal(series_sums(z2, idx, len(n)), n), axis=1)
    logp = np.where(np.isfinite(logp), logp, -np.inf)
    return float(logsumexp(logp) - math.log(len(logp)))


# ---------------------------------------------------------------- fitting


def fit_posterior(
    loaded: LoadedScenario,
    targets: Targets,
    particles: int = 200,
    replications: int = 2,
    seed: int = 0,
    years: int | None = None,
    generations: int = 15,
    max_runs: int | None = None,
    workers: int = 1,
    scheduler: Any = None,
    state_dir: str | Path | None = None,
    predictive_draws: int = 200,
    progress: bool = False,
    cache: str | Path | None = None,
    run_progress: bool | Progress | None = None,
    kernel: str = "auto",
    max_seconds: float | None = None,
    moves: int = 2,
    keep: float = 0.5,
) -> PosteriorFit:
    """Fit the free parameters by ABC-SMC; resumes from ``state_dir`` if it holds a state.

    ``kernel`` is the perturbation kernel (:data:`sim.abc_smc.KERNELS`), ``max_seconds``
    a wall-clock budget for the sampler (the fit stops with its last complete
    generation, and a later call resumes from it). ``moves`` from 1 (default 2) picks the
    tempered scheme with that many Metropolis-Hastings moves per particle and generation
    (0: stochastic acceptance), and
    ``keep`` its share of effective sample size kept at each temperature
    (:func:`sim.abc_smc.moved_generation`).

    The runs go to the batch engine (``workers`` local processes or the Dask cluster at
    ``scheduler``: the same numbers bit for bit); ``cache`` keeps every finished run,
    so a fit stopped inside a generation redoes none of its runs. ``progress`` prints
    a line per generation, ``run_progress`` shows runs done. Everything is checked
    before anything runs or is written.
    """
    if particles < 10 or replications < 1 or generations < 1 or predictive_draws < 1:
        raise ScenarioError(
            "expected --particles >= 10, --replications >= 1, "
            "--generations >= 1 and --predictive-draws >= 1"
        )
    if max_runs is not None and max_runs < particles:
        raise ScenarioError(f"--max-runs must be at least --particles ({particles})")
    check_free(loaded, targets)
    used = strict_targets(loaded, targets, years)
    prior = build_prior(loaded, targets)
    settings = abc_smc.Settings(
        particles=particles,
        max_generations=generations,
        max_runs=max_runs,
        seed=seed,
        kernel=kernel,
        max_seconds=max_seconds,
        moves=moves,
        keep=keep,
    )
    ll = TargetLogLik(tuple(used), loaded.params.setting.scale, targets.sd_scale)
    t0 = time.perf_counter()
    with Engine(workers, scheduler, cache=cache) as engine:
        runs = ParticleRuns(loaded, targets.free, replications, seed, years, run_measure(used))
        runs.engine, runs.progress = engine, run_progress
        try:
            res = abc_smc.run_smc(
                runs.evaluator(ll),
                prior,
                settings,
                state_dir,
                fingerprint(loaded, used, replications, years, targets.sd_scale),
                _printer() if progress else None,
            )
        except abc_smc.StateMismatchError as exc:
            raise ScenarioError(f"{exc}; use another --out folder") from None
        except abc_smc.NoFiniteLikelihoodError as exc:
            why = runs.first_invalid or "every run's likelihood is zero"
            raise ScenarioError(f"{exc}: {why}", file=targets.file, path="free") from None
        post = posterior_table(targets.free, res.population)
        table, draws = predictive_check(runs, ll, post, predictive_draws, seed)
    return PosteriorFit(
        targets.free,
        used,
        post,
        res.generations,
        table,
        draws,
        res.stopped,
        res.exact,
        res.runs,
        time.perf_counter() - t0,
        replications,
        seed,
        res.resumed_from,
        res.temperature,
        sd_scale=targets.sd_scale,
    )


@dataclass
class ParticleRuns:
    """Runs of parameter sets on the batch engine, one summary table per set.

    Parameter set ``k`` (a particle's serial number) runs replications
    ``k * R .. k * R + R - 1`` under common random numbers, so its numbers depend on
    ``k`` alone, never on the worker count, the backend or a stop.
    """

    loaded: LoadedScenario
    free: Sequence[FreeParameter]
    replications: int
    seed: int
    years: int | None
    measure: str = "rows"
    engine: Engine | None = None
    progress: bool | Progress | None = None
    #: The error of the first run whose parameters made no valid scenario, if any.
    first_invalid: str | None = None

    def frames(
        self, sets: Sequence[dict[str, Any]], first: Sequence[int], reps: int
    ) -> list[pd.DataFrame | None]:
        """Return a table of ``reps`` runs for each set of overrides.

        Set ``i`` runs replications ``first[i] ..``; None for a set that makes no valid
        scenario. The workers build (and so check) each set's scenario themselves, so
        this process does not build every candidate's scenario before the runs start.
        """
        specs = [
            RunSpec(
                self.loaded,
                self.loaded.name,
                int(f),
                o,
                int(f) + r,
                self.seed,
                self.years,
                measure=self.measure,
            )
            for o, f in zip(sets, first, strict=True)
            for r in range(reps)
        ]
        if self.engine is None:
            with Engine(1) as own:
                outs = own.run(specs, self.progress, "abc-smc")
        else:
            outs = self.engine.run(specs, self.progress, "abc-smc")
        frames: list[pd.DataFrame | None] = []
        for i in range(len(sets)):
            mine = outs[i * reps : (i + 1) * reps]
            bad = [o for o in mine if _invalid(o)]
            if bad:
                if self.first_invalid is None:
                    self.first_invalid = (bad[0].error or {}).get("message")
                frames.append(None)
            else:
                frames.append(pd.DataFrame([o.summary for o in _checked_outputs(mine)]))
        return frames

    def evaluator(self, ll: TargetLogLik) -> abc_smc.Evaluate:
        """Log p_hat of each candidate position, for :func:`sim.abc_smc.run_smc`."""

        def evaluate(z: np.ndarray, serials: np.ndarray) -> np.ndarray:
            sets = [_overrides(self.free, zi) for zi in z]
            first = [int(k) * self.replications for k in serials]
            frames = self.frames(sets, first, self.replications)
            return np.array([-np.inf if f is None else ll(f) for f in frames], dtype=float)

        return evaluate


def _invalid(out: RunOutput) -> bool:
    """Whether a run failed because its parameters make no valid scenario."""
    return not out.ok and (out.error or {}).get("type") == "ScenarioError"


def _checked_outputs(outs: Sequence[RunOutput]) -> Sequence[RunOutput]:
    """The outputs; a failed run stops the fit with its error (ScenarioError)."""
    for out in outs:
        if not out.ok:
            err = out.error or {}
            raise ScenarioError(
                f"replication {out.spec.replication} of '{out.spec.name}' failed: "
                f"{err.get('type')}: {err.get('message')}",
                file=out.spec.file,
            )
    return outs


def _overrides(free: Sequence[FreeParameter], z: Sequence[float]) -> dict[str, float | int]:
    return {p.path: p.value(v) for p, v in zip(free, z, strict=True)}


def fingerprint(
    loaded: LoadedScenario,
    targets: Sequence[Target],
    replications: int,
    years: int | None,
    sd_scale: SdScale | None = None,
) -> str:
    """Identity of a fitting problem: scenario, targets, likelihood, replications, horizon."""
    desc: dict[str, Any] = {
        "scenario": loaded.hash,
        "replications": replications,
        "years": years,
        "targets": [(t.name, t.column, t.divide_by, t.observed, t.sd, t.weight) for t in targets],
    }
    # each absent when unused, so that older fits' states still match
    if sd_scale is not None:
        desc["sd_scale"] = [sd_scale.shape, sd_scale.rate]
    if any(t.parts for t in targets):  # a span's sum and mean are different problems
        desc["aggregates"] = [t.aggregate for t in targets if t.parts]
    return hashlib.sha256(json.dumps(desc, sort_keys=True).encode()).hexdigest()


def _printer() -> Callable[[dict], None]:
    def show(row: dict) -> None:
        print(
            f"generation {row['generation']}: temperature {row['temperature']:.4g}, "
            f"tolerance {row['tolerance']:.4g} (best distance {row['best_distance']:.4g}), "
            f"accepted {row['accepted']} of {row['runs']} runs "
            f"({row['acceptance_rate']:.1%}; {row['outside_prior']} draws outside the "
            f"prior redrawn), ESS {row['ess']:.0f}",
            flush=True,
        )

    return show


def posterior_table(free: Sequence[FreeParameter], pop: abc_smc.Population) -> pd.DataFrame:
    """Return the weighted sample.

    Particle, parameter values (as the model used them), weight, and the distance
    -2 log p_hat.
    """
    out = pd.DataFrame({"particle": np.arange(len(pop.z))})
    for j, p in enumerate(free):
        out[p.path] = [p.value(v) for v in pop.z[:, j]]
    out["weight"] = pop.weights
    out["distance"] = -2.0 * pop.loglik
    return out


# ---------------------------------------------------------------- predictive check


def predictive_check(
    runs: ParticleRuns, ll: TargetLogLik, post: pd.DataFrame, draws: int, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Posterior-predictive distribution of a new observation of every target.

    ``draws`` particles are resampled by weight; each runs once on a fresh seed, and an
    observation error ``N(0, sd^2)`` is added, so the intervals are those a new
    observed figure should fall in.
    """
    idx = abc_smc.resample(post["weight"].to_numpy(), draws, [seed, 99])
    sets = [{p.path: _plain(post[p.path].iloc[i]) for p in runs.free} for i in idx]
    first = [PREDICTIVE_OFFSET + n for n in range(len(idx))]
    frames = runs.frames(sets, first, 1)
    vals = np.vstack([ll.values(f) for f in frames if f is not None])
    rng = np.random.default_rng([seed, 98])
    sd = np.array([t.sd for t in ll.targets]) * np.ones_like(vals)
    if ll.sd_scale is not None:  # each draw's factor on each series, given its run
        idx, n = series_index(ll.targets)
        q = series_sums(weighted_z2(vals, ll.targets), idx, len(n))
        sd = sd * np.sqrt(ll.sd_scale.draw_squared(np.nan_to_num(q, nan=0.0), n, rng))[:, idx]
    noisy = vals + rng.standard_normal(vals.shape) * sd
    draws_df = pd.DataFrame(noisy, columns=[t.name for t in ll.targets])
    draws_df.insert(0, "draw", np.arange(len(draws_df)))
    return predictive_table(ll.targets, noisy), draws_df.melt(
        id_vars="draw", var_name="target", value_name="value"
    )


def _plain(x: Any) -> Any:
    return x.item() if isinstance(x, np.generic) else x


def interval_columns(x: np.ndarray, observed: float, suffix: str = "") -> dict[str, Any]:
    """``low_80``, ``high_80``, ``inside_80`` and the same for 95 (each + ``suffix``).

    The central 80% and 95% intervals of the draws ``x`` and whether each holds
    ``observed``; NaN bounds (and False) for no draws.
    """
    out: dict[str, Any] = {}
    for level in LEVELS:
        a = (1 - level) / 2
        lo, hi = np.quantile(x, [a, 1 - a]) if len(x) else (math.nan, math.nan)
        tag = f"{round(level * 100)}{suffix}"
        out[f"low_{tag}"], out[f"high_{tag}"] = float(lo), float(hi)
        out[f"inside_{tag}"] = bool(lo <= observed <= hi)
    return out


def predictive_table(targets: Sequence[Target], noisy: np.ndarray) -> pd.DataFrame:
    """Observed against the predictive mean and central 80% and 95% intervals."""
    rows = []
    for j, t in enumerate(targets):
        x = noisy[:, j]
        x = x[np.isfinite(x)]
        row = {
            "target": t.name,
            "year": t.year,
            "observed": t.observed,
            "sd": t.sd,
            "mean": float(np.mean(x)) if len(x) else math.nan,
            **interval_columns(x, t.observed),
        }
        row["z"] = (row["mean"] - t.observed) / t.sd
        row["source"] = t.source
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------- fitted scenario


def posterior_scenario_yaml(
    loaded: LoadedScenario, targets: Targets, fit: PosteriorFit, out_path: Path, posterior_file: str
) -> str:
    """Return a scenario that extends the original with the posterior.

    Each free parameter takes the posterior mean as its value and a truncated normal
    fitted to the posterior as its ``dist``.
    """
    summary = fit.summary().set_index("parameter")
    values = {p.path: p.value(p.position(float(summary.loc[p.path, "mean"]))) for p in fit.free}
    table = fit.predictive.rename(columns={"low_95": "low", "high_95": "high"})
    shim = _FitView(values, _distance_at(fit), table, fit.method)
    doc = yaml.safe_load(fitted_scenario_yaml(loaded, targets, shim, out_path))  # type: ignore[arg-type]
    doc["description"] = (
        f"{loaded.name} with {len(fit.free)} parameter(s) fitted by "
        f"ABC-SMC to {targets.file or targets.name} ({len(fit.posterior)} "
        f"particles, temperature {fit.temperature:.3g}"
        f"{', exact' if fit.exact else ''}); the joint posterior sample "
        f"is {posterior_file}."
    )
    for p in fit.free:
        mean, sd = float(summary.loc[p.path, "mean"]), float(summary.loc[p.path, "sd"])
        sd = max(sd, 1e-6 * (p.high - p.low))
        if change_key(p.path) is not None or is_wildcard(p.path):
            # no dist inside a change, nor for one value tied to several keys (drawn
            # apart they would no longer be one): the joint sample holds them
            for each in expand_path(loaded.raw, p.path):
                node = node_at(doc, each)
                node["source"] += (
                    f"; posterior mean (sd {_num(sd)}; joint sample in {posterior_file})"
                )
            continue
        node = node_at(doc, p.path)
        node["dist"] = {"truncated_normal": [_num(mean), _num(sd), _num(p.low), _num(p.high)]}
        node["source"] = (
            f"{node['source']}; posterior mean, and a truncated normal with "
            f"the posterior's mean and sd as dist (joint sample in "
            f"{posterior_file})"
        )
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


@dataclass
class _FitView:
    """The few fields :func:`fitted_scenario_yaml` reads from a fit."""

    values: dict[str, float | int]
    distance: float
    table: pd.DataFrame
    method: str


def _distance_at(fit: PosteriorFit) -> float:
    """Median distance -2 log p_hat of the posterior particles."""
    return abc_smc.weighted_quantile(fit.posterior["distance"].to_numpy(), fit.weights, 0.5)


def _num(x: float) -> float:
    return float(f"{x:.6g}")
