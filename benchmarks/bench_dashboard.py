"""The dashboard's "Run to the end": seconds to run the horizon and draw the page once.

    .venv/bin/python benchmarks/bench_dashboard.py              # Randers, 1 and 10 years
    .venv/bin/python benchmarks/bench_dashboard.py --years 1    # one horizon only

Figures printed, for scenarios/randers_baseline.yaml (median of ``--repeat`` tries):

1. run: both models of the dashboard (levers and baseline) stepped to the horizon, with
   the DataCollector collecting every week (what the button does before drawing);
2. draw: the totals (costs undiscounted and discounted, the notes beside levers) and
   the three plots rendered to PNG, once (what the page then shows).

The target is under 2 s for run and draw together on one year. Timings on a shared
machine are noisy: run it when the machine is otherwise idle for clean figures. The CPU
time of each (this process, user + system) is printed too: it hardly depends on the load,
so on a busy machine it is the better guess of the time on an idle one.
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path

from homesim.dashboard import _figure, advance, build_model, plot_specs, view_of
from homesim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def once(loaded, years: int) -> tuple[float, float, float, float]:
    """Return the seconds to run the horizon, and to work out and draw what the page shows.

    Wall time of each, then the CPU time of each (this process, user + system).
    """
    model, error = build_model(loaded, 0, years, {})
    if model is None:
        raise SystemExit(error)
    start, cpu = time.perf_counter(), time.process_time()
    error = advance(model)
    run, run_cpu = time.perf_counter() - start, time.process_time() - cpu
    if error:
        raise SystemExit(error)
    start, cpu = time.perf_counter(), time.process_time()
    view = view_of(model, {})
    if isinstance(view, str):
        raise SystemExit(view)
    df = model.datacollector.get_model_vars_dataframe()
    for title, ylabel, columns in plot_specs().values():
        _figure(df, columns, title, ylabel).savefig(io.BytesIO(), format="png")
    return run, time.perf_counter() - start, run_cpu, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, nargs="*", default=[1, 10])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    loaded = load_scenario(ROOT / "scenarios" / "randers_baseline.yaml")
    for years in args.years:
        times = [once(loaded, years) for _ in range(args.repeat)]
        run, draw, run_cpu, draw_cpu = (statistics.median(t[k] for t in times) for k in range(4))
        print(
            f"randers_baseline, {years} year(s): run {run:.2f} s, draw {draw:.2f} s, "
            f"together {run + draw:.2f} s (median of {args.repeat}); CPU time: run "
            f"{run_cpu:.2f} s, draw {draw_cpu:.2f} s, together {run_cpu + draw_cpu:.2f} s"
        )


if __name__ == "__main__":
    main()
