"""``homesim validation SCENARIO``: published figures beside the model's, with verdicts."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim.batch.engine import Engine
from sim.batch.frames import replication_frames
from sim.batch.shutdown import orderly
from sim.calibration import load_targets
from sim.commands import arguments
from sim.commands.arguments import command_line
from sim.commands.engine_options import (
    add_engine_options,
    engine_workers,
    result_options,
    show_progress,
)
from sim.folders import check_out_path, claim_folder, out_argument, plan_of
from sim.posterior_sample import read_posterior_sample
from sim.results_io import finish, manifest, write_csv, write_json, write_text
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import load_scenario
from sim.validation import (
    figures_for,
    load_published,
    markdown_table,
    met_in_words,
    validation_requests,
    validation_table,
)


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validation",
        help="published figures beside the model's, with a verdict for each",
        description="Run SCENARIO --replications times and set every published figure "
        "for its area (setting.municipality, or --area) beside the model's mean and "
        "90%% interval of the runs, with a verdict (inside the range, or off by X%%). "
        "With --posterior FILE each run draws its parameters from a calibration's "
        "posterior sample. Writes DIR/validation.csv, DIR/validation.md and DIR/manifest.json; "
        "finished runs are kept in DIR/runs/, so a stopped command resumes.",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml")
    p.add_argument(
        "--published",
        type=Path,
        default=None,
        metavar="FILE",
        help="published-figures file (default: the shipped published/denmark.yaml)",
    )
    p.add_argument(
        "--area", default=None, help="compare the figures of this area (default: the scenario's)"
    )
    p.add_argument("--replications", "-n", type=arguments.replications, default=20)
    p.add_argument("--seed", type=arguments.seed, default=0, help="root seed (default 0)")
    p.add_argument(
        "--years", type=arguments.years, default=None, help="horizon (default: the scenario's)"
    )
    p.add_argument(
        "--out",
        type=out_argument,
        default=None,
        help="results folder (default results/validation_<scenario name>)",
    )
    p.add_argument(
        "--posterior",
        type=Path,
        default=None,
        metavar="FILE",
        help="draw each run's parameters from a calibration's posterior.csv (the posterior "
        "predictive; rows in proportion to their weight); default: the scenario's values",
    )
    p.add_argument(
        "--targets",
        type=Path,
        default=None,
        metavar="FILE",
        help="the calibration targets the scenario was fitted to: adds a column 'fitted' "
        "that marks the figures the fit saw (the others are checks out of sample)",
    )
    add_engine_options(p)
    p.set_defaults(func=orderly(run))


def run(args: argparse.Namespace) -> int:
    """Check the input, claim the folder, run, and write the table."""
    sc = load_scenario(args.scenario)
    figures = load_published(args.published)
    area = args.area or sc.params.setting.municipality
    chosen = figures_for(figures, area)
    if not chosen:
        known = sorted({a for f in figures for a in f.areas})
        raise ScenarioError(
            f"--area: no published figures for '{area}' (areas: {', '.join(known)})"
        )
    out = check_out_path(
        Path("results") / f"validation_{sc.name}" if args.out is None else args.out
    )
    targets = None if args.targets is None else load_targets(args.targets).targets
    file = None if args.posterior is None else str(args.posterior)
    sample = None if file is None else read_posterior_sample(args.posterior)
    requests = [
        (each, k, args.seed, args.years)
        for each, k in validation_requests(sc, sample, args.replications, args.seed, file)
    ]
    workers = engine_workers(args, [sc], args.replications, args.years)
    plan = plan_of(
        sc.hash,
        repr(chosen),
        None if sample is None else sample.to_json(),
        result_options(args, "scenario", "out", "posterior", "targets"),
    )
    with claim_folder(out, "validation", plan, args.force):
        with Engine(workers, args.scheduler, cache=out / "runs") as engine:
            frames = replication_frames(
                requests, engine, progress=show_progress(args), desc="validation runs"
            )
        frame = pd.concat(frames, ignore_index=True)
        table = validation_table(chosen, frame, sc.params.setting.start_year, targets)
        text = markdown_table(table)
        write_csv(out / "validation.csv", table)
        write_text(out / "validation.md", text + "\n")
        write_json(
            out / "manifest.json",
            finish(
                manifest(
                    {sc.name: sc},
                    {
                        "root": args.seed,
                        "replications": args.replications,
                        "derivation": "SeedSequence(root, spawn_key=(replication,))",
                    },
                    command=command_line(),
                    extra={
                        "kind": "validation",
                        "plan": plan,
                        "area": area,
                        "posterior": file,
                        "targets": None if args.targets is None else str(args.targets),
                    },
                )
            ),
        )
    print(text)
    drawn = "" if file is None else f", parameters drawn from {file}"
    print(
        f"\n{sc.name} ({area}, {args.replications} runs{drawn}, seed {args.seed}): "
        f"{met_in_words(table)}; wrote {out}/ (validation.csv, validation.md, manifest.json)"
    )
    return 0
