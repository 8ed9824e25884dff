"""``homesim plan PLAN.yaml --out DIR``: the cheapest plan that reaches the targets."""

from __future__ import annotations

import argparse
import hashlib
import json
import shlex
import sys
from pathlib import Path

from sim.scenario.errors import ScenarioError


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "plan", help="find the cheapest mix of places and support that reaches targets",
        description="Search a plan file's decision variables with common random numbers, "
                    "confirm the best candidates with more replications, and write the "
                    "frontier, the recommended scenario, the chance of each target and the "
                    "budget impact to DIR. A stopped plan resumes where it was.")
    p.add_argument("plan", metavar="PLAN.yaml")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="results folder")
    p.add_argument("--workers", type=int, default=1, help="processes (default 1)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress")
    p.set_defaults(func=run)


def plan_hash(spec) -> str:
    """A hash of what the plan asks (its results can be resumed only under the same)."""
    data = json.dumps({**spec.as_dict(), "base_raw": spec.base.raw}, sort_keys=True,
                      default=str)
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def run(args: argparse.Namespace) -> int:
    from sim.plan.spec import load_plan
    if args.workers < 1:
        raise ScenarioError("--workers must be at least 1")
    spec = load_plan(args.plan)
    out: Path = args.out
    if str(out) in ("", "."):
        raise ScenarioError("--out must name a results folder")
    key = plan_hash(spec)
    _claim(out, key)
    from sim.plan.optimise import run_plan
    from sim.plan.outputs import write_outputs
    from sim.plan.runs import candidate_id
    from sim.results_io import manifest, write_json
    command = "homesim " + " ".join(shlex.quote(a) for a in sys.argv[1:])
    meta = manifest({spec.base.name: spec.base}, {"root": spec.search.seed}, command,
                    extra={"kind": "plan", "plan": spec.as_dict(), "plan_hash": key})
    write_json(out / "manifest.json", meta)
    progress = None
    if not args.quiet and sys.stderr.isatty():
        from tqdm.auto import tqdm

        def progress(it):
            return tqdm(it, desc=spec.name, unit="run", leave=False)
    result = run_plan(spec, out, workers=args.workers, progress=progress)
    from sim.plan.runs import PlanRuns
    runs = PlanRuns(spec, out)
    chosen = runs.frames[candidate_id(result.chosen)]
    n = result.chosen_evaluation().replications
    write_outputs(result, out, runs.frames["base"].iloc[:n], chosen.iloc[:n])
    import datetime as dt
    meta["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    write_json(out / "manifest.json", meta)
    from sim.report import folder_report
    folder_report(out)
    if not args.quiet:
        print((out / "plan.md").read_text().split("\n\n", 2)[-1].split("\n\n")[0])
        print(f"wrote {out}/ (report.html, plan.md, frontier.csv, frontier.png, targets.csv, "
              "budget_impact.csv, " + ("recommended" if result.feasible else "closest")
              + ".yaml, manifest.json)")
    return 0


def _claim(out: Path, key: str) -> None:
    """Refuse a folder that holds other results; a folder of the same plan resumes."""
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"--out {out} is a file, not a folder")
    mf = out / "manifest.json"
    if mf.is_file():
        try:
            old = json.loads(mf.read_text())
        except (OSError, ValueError):
            old = {}
        if old.get("plan_hash") != key:
            raise ScenarioError(f"--out {out} holds other results (not this plan's); choose "
                                "another folder")
    elif out.is_dir() and any(out.iterdir()):
        raise ScenarioError(f"--out {out} is not empty and holds no plan; choose another "
                            "folder")
