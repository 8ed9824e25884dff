"""``homesim plan PLAN.yaml --out DIR``: the cheapest plan that reaches the targets."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from sim.batch.shutdown import orderly
from sim.commands.arguments import command_line
from sim.commands.engine_options import add_engine_options, engine_workers, show_progress
from sim.folders import check_out_path, claim_folder, out_argument


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan",
        help="find the cheapest mix of places and support that reaches targets",
        description="Search a plan file's decision variables with common random numbers, "
        "confirm the best candidates with more replications, and write the "
        "frontier, the recommended scenario, the chance of each target and the "
        "budget impact to DIR. A stopped plan resumes where it was.",
    )
    p.add_argument("plan", metavar="PLAN.yaml", help="a plan file, or a shipped plan's name")
    p.add_argument(
        "--out",
        type=out_argument,
        required=True,
        metavar="DIR",
        help="results folder (its plan_runs.parquet keeps finished runs, so a "
        "stopped plan resumes)",
    )
    add_engine_options(p)
    p.set_defaults(func=orderly(run))


def plan_hash(spec) -> str:
    """A hash of what the plan asks (its results can be resumed only under the same)."""
    data = json.dumps({**spec.as_dict(), "base_raw": spec.base.raw}, sort_keys=True, default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def run(args: argparse.Namespace) -> int:
    from sim.plan.spec import load_plan

    spec = load_plan(args.plan)
    out = check_out_path(args.out)
    most = (
        spec.search.trials * spec.search.replications
        + spec.confirm.candidates * spec.confirm.max_replications
    )
    workers = engine_workers(args, [spec.base], most, spec.years)
    key = plan_hash(spec)
    with claim_folder(out, "plan", key, args.force):
        _run(spec, out, key, workers, args)
    return 0


def _run(spec, out: Path, key: str, workers: int, args: argparse.Namespace) -> None:
    from sim.plan.optimise import run_plan
    from sim.plan.outputs import write_outputs
    from sim.plan.runs import PlanRuns, candidate_id
    from sim.report import folder_report
    from sim.results_io import finish, manifest, write_json

    command = command_line()
    meta = manifest(
        {spec.base.name: spec.base},
        {"root": spec.search.seed},
        command,
        extra={"kind": "plan", "plan": spec.as_dict(), "plan_hash": key},
    )
    write_json(out / "manifest.json", meta)
    result = run_plan(
        spec, out, workers=workers, progress=show_progress(args), scheduler=args.scheduler
    )
    runs = PlanRuns(spec, out)
    chosen = runs.frames[candidate_id(result.chosen)]
    n = result.chosen_evaluation().replications
    write_outputs(result, out, runs.frames["base"].iloc[:n], chosen.iloc[:n])
    write_json(out / "manifest.json", finish(meta))
    folder_report(out)
    if show_progress(args):
        print((out / "plan.md").read_text().split("\n\n", 2)[-1].split("\n\n")[0])
        print(
            f"wrote {out}/ (report.html, plan.md, frontier.csv, frontier.png, "
            "targets.csv, budget_impact.csv, "
            + ("recommended" if result.feasible else "closest")
            + ".yaml, manifest.json)"
        )
