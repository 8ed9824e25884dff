"""``homesim psa BASE.yaml ALT.yaml ...``: probabilistic sensitivity analysis."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim.batch.cache import FOLDER as RUNS_FOLDER
from sim.batch.shutdown import orderly
from sim.commands import arguments
from sim.commands.arguments import command_line
from sim.commands.engine_options import (
    add_engine_options,
    engine_workers,
    result_options,
    show_progress,
)
from sim.distributions import METHODS
from sim.folders import check_out_path, claim_folder, out_argument, plan_of
from sim.plots.psa import ce_plane, ceac_plot, evpi_plot
from sim.posterior_sample import read_posterior_sample
from sim.psa import NOISE, curves, incremental, run_psa, summary_table, wtp_grid
from sim.results_io import finish, manifest, write_csv, write_json
from sim.scenario.errors import ScenarioError
from sim.scenario.labels import titles_of
from sim.scenario.loader import load_scenario

#: Most parameter draws of one analysis.
MAX_DRAWS = 1_000_000


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "psa",
        help="probabilistic sensitivity analysis over parameter distributions",
        description="Draw parameters from the scenarios' distributions (or a calibration "
        "posterior), run every draw for every scenario with common random "
        "numbers, and write the CE plane, acceptability curves, EVPI, tables "
        "and plots to DIR. The first scenario is the base.",
    )
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO.yaml")
    p.add_argument(
        "--draws",
        type=arguments.whole(1, MAX_DRAWS, "a number of draws"),
        required=True,
        help="parameter draws",
    )
    p.add_argument(
        "--replications",
        "-n",
        type=arguments.replications,
        default=1,
        help="replications per draw and scenario (default 1)",
    )
    p.add_argument("--seed", type=arguments.seed, default=0, help="root seed (default 0)")
    p.add_argument(
        "--years", type=arguments.years, default=None, help="horizon (default: the scenario's)"
    )
    p.add_argument(
        "--sampling",
        choices=METHODS,
        default="lhs",
        help="design of the draws (default lhs: Latin hypercube)",
    )
    p.add_argument(
        "--posterior",
        type=Path,
        default=None,
        metavar="CSV",
        help="draw these parameters from a calibration posterior.csv",
    )
    p.add_argument("--cost", default="cost_total_discounted", help="cost column")
    p.add_argument("--effect", default="homeless_days", help="effect column")
    p.add_argument(
        "--effect-direction",
        choices=("lower", "higher"),
        default="lower",
        help="is a lower or a higher effect value better (default lower: homeless days avoided)",
    )
    p.add_argument(
        "--noise",
        choices=NOISE,
        default="common",
        help="common: every draw uses the same replication seeds (the cloud "
        "shows parameter uncertainty only); fresh: new seeds per draw",
    )
    p.add_argument(
        "--wtp-max",
        type=arguments.number(0, above=True),
        default=3000.0,
        help="largest willingness to pay, DKK per unit of effect (default 3000)",
    )
    p.add_argument(
        "--population",
        type=arguments.number(0, above=True),
        default=None,
        help="persons for the population EVPI (default: persons modelled)",
    )
    p.add_argument(
        "--out",
        type=out_argument,
        default=None,
        help="results folder (default "
        "results/psa_<base name>; its runs/ keeps finished runs, so a stopped "
        "PSA resumes)",
    )
    add_engine_options(p)
    p.set_defaults(func=orderly(run))


def run(args: argparse.Namespace) -> int:
    scenarios = [load_scenario(s) for s in args.scenarios]
    posterior = read_posterior_sample(args.posterior) if args.posterior else None
    wtp = wtp_grid(args.wtp_max)
    if args.population is not None and args.population <= 0:
        raise ScenarioError("--population must be positive")
    out = check_out_path(
        Path("results") / f"psa_{scenarios[0].name}" if args.out is None else args.out
    )
    if args.draws < 1 or args.replications < 1:
        raise ScenarioError("--draws and --replications must be at least 1")
    workers = engine_workers(
        args,
        scenarios,
        args.draws * args.replications * len(scenarios),
        args.years,
        runs_flag="--draws x --replications",
    )
    plan = plan_of(
        [sc.hash for sc in scenarios],
        result_options(args, "scenarios", "out"),
        None if posterior is None else posterior.to_json(),
    )
    with claim_folder(out, "psa", plan, args.force):
        return _run_and_write(args, scenarios, posterior, wtp, out, workers)


def _run_and_write(
    args: argparse.Namespace,
    scenarios: list,
    posterior: pd.DataFrame | None,
    wtp,
    out: Path,
    workers: int,
) -> int:
    res = run_psa(
        scenarios,
        args.draws,
        args.replications,
        args.seed,
        args.years,
        args.sampling,
        args.cost,
        args.effect,
        args.effect_direction,
        args.noise,
        workers,
        posterior,
        progress=show_progress(args),
        scheduler=args.scheduler,
        cache=out / RUNS_FOLDER,
    )
    costs, effects = res.arrays()
    inc = incremental(costs, effects, res.names)
    table = summary_table(inc)
    cur = curves(res, wtp, args.population)
    from sim.report.outcomes import outcome_label

    effect_words = outcome_label(args.effect)
    effect_label = f"{effect_words} {'avoided' if args.effect_direction == 'lower' else ''}".strip()
    write_csv(out / "draws.csv", res.draws)
    write_csv(out / "outcomes.csv", res.outcomes)
    write_csv(out / "incremental.csv", inc)
    write_csv(out / "summary.csv", table)
    write_csv(out / "ceac_evpi.csv", cur)
    shown = titles_of(scenarios)
    if len(res.names) > 1:
        cost_label = f"{outcome_label(args.cost)} (DKK)"
        ce_plane(inc, out / "ce_plane.png", effect_label, cost_label, shown)
    ceac_plot(cur, res.names, out / "ceac.png", f"DKK per unit of {effect_label}", shown)
    evpi_plot(cur, out / "evpi.png", f"DKK per unit of {effect_label}")
    write_json(
        out / "manifest.json",
        finish(
            manifest(
                {sc.name: sc for sc in scenarios},
                {
                    "root": args.seed,
                    "replications": args.replications,
                    "noise": args.noise,
                    "derivation": "draw i, replication k: SeedSequence(root, spawn_key=(k,)) with "
                    "common noise, (i * R + k,) with fresh noise; the same for every "
                    "scenario",
                },
                command=command_line(),
                extra={
                    "draws": args.draws,
                    "sampling": args.sampling,
                    "cost": args.cost,
                    "effect": args.effect,
                    "direction": args.effect_direction,
                    "parameters": [c for c in res.draws.columns if c != "draw"],
                    "posterior": str(args.posterior) if args.posterior else None,
                },
            )
        ),
    )
    print(format_summary(table, cur, res.names))
    print(
        f"\nwrote {out}/ (draws, outcomes, incremental, summary, ceac_evpi .csv; "
        "ce_plane, ceac, evpi .png; manifest.json)"
    )
    return 0


def format_summary(table: pd.DataFrame, cur: pd.DataFrame, names: list[str]) -> str:
    lines = []
    for r in table.itertuples():
        lines.append(f"{r.alternative} vs {names[0]} ({r.draws} draws):")
        lines.append(
            f"  incremental cost {r.d_cost_mean:,.0f} [{r.d_cost_low:,.0f}, {r.d_cost_high:,.0f}]"
        )
        lines.append(
            f"  effect gain      {r.gain_mean:,.1f} [{r.gain_low:,.1f}, {r.gain_high:,.1f}]"
        )
        lines.append(
            f"  P(cost saving) {r.p_cost_saving:.2f}, P(gain) {r.p_gain:.2f}, "
            f"P(dominant) {r.p_dominant:.2f}"
        )
    for w in (cur["wtp"].iloc[0], cur["wtp"].iloc[len(cur) // 2], cur["wtp"].iloc[-1]):
        row = cur[cur["wtp"] == w].iloc[0]
        probs = ", ".join(f"{n} {row[f'p_{n}']:.2f}" for n in names)
        lines.append(
            f"WTP {w:,.0f}: P(most cost-effective) {probs}; EVPI per person "
            f"{row['evpi_per_person']:,.0f}, population {row['evpi_population']:,.0f}"
        )
    return "\n".join(lines)
