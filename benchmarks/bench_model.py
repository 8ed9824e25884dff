"""Speed and memory of the weekly engine.

Prints, for each case, the simulation time, agent-steps per second (citizens present
each week, summed over weeks) and the peak resident memory of a fresh process:

- the Randers baseline and Randers Housing First, 10 years, one replication;
- the Denmark baseline scaled to about 10k, 100k and 1M citizens, 520 weeks, with full
  data collection (counts by situation x needs x age band, flows, queues every week);
- the Randers Housing First scenario (every policy on) scaled to about 100k citizens,
  against the same scale of the Randers baseline (the policy overhead).

Wall time is what a user waits; CPU time (process time) is shown too because it
is less disturbed by other work on the machine. Each process first runs two years of
the same scenario at a small size, so that loading the compiled loops from numba's
cache (a cost once per process, printed by ``bench_startup.py``; a loop is loaded when
first used, and some, such as the return bands after rehousing, are first used after
some weeks) is not counted in the run.

Each Randers case is followed by the limit kernel (``benchmarks/limit.py``) at the
same citizen-weeks and homesim's time as a multiple of it (goals: 3x at Randers size,
2x at about 100,000 citizens).

Usage: python benchmarks/bench_model.py [--quick | --tiny]  (--tiny: only check it runs)
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import homesim
path, scale, years = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
sc = homesim.load_scenario(path, setting__scale=scale)
warm = homesim.load_scenario(path, setting__scale=min(scale, 0.1))
homesim.HomelessnessModel(warm, rng=0, years=2).run()  # load every compiled loop first
t0 = time.perf_counter()
model = homesim.HomelessnessModel(sc, rng=1, years=years)
t1 = time.perf_counter()
c1 = time.process_time()
model.run()
t2 = time.perf_counter()
c2 = time.process_time()
present = model.recorder.counts[:-1, :9].sum()
print(json.dumps({"setup_s": t1 - t0, "run_s": t2 - t1, "cpu_s": c2 - c1,
                  "agent_steps": int(present),
                  "citizens_end": int(model.citizens.n),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(scenario: str, scale: float, years: int = 10, repeat: int = 1) -> dict:
    """Best of ``repeat`` fresh processes (the shared machine's speed varies)."""
    best = None
    for _ in range(repeat):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                CHILD,
                str(ROOT / "scenarios" / scenario),
                str(scale),
                str(years),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        best = r if best is None or r["run_s"] < best["run_s"] else best
    return best


def line(label: str, r: dict) -> str:
    """Return one printed line of a case: seconds, CPU seconds, M agent-steps/s, citizens, MB."""
    rate = r["agent_steps"] / r["run_s"] / 1e6
    return (
        f"{label:<44} {r['run_s']:7.2f} s (cpu {r['cpu_s']:6.2f} s)  "
        f"{rate:6.1f} M agent-steps/s  "
        f"{r['citizens_end']:>9,} citizens  peak {r['peak_mb']:7.0f} MB"
    )


LIMIT_CHILD = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[1])
import limit
seconds, steps = limit.run(int(sys.argv[2]), int(sys.argv[3]))
print(json.dumps({"run_s": seconds, "cpu_s": seconds, "agent_steps": steps,
                  "citizens_end": int(sys.argv[2]), "setup_s": 0.0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure_limit(citizens: int, weeks: int, repeat: int = 1) -> dict:
    """The limit kernel (``benchmarks/limit.py``) at the same size, best of ``repeat``."""
    best = None
    for _ in range(repeat):
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                LIMIT_CHILD,
                str(ROOT / "benchmarks"),
                str(citizens),
                str(weeks),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        best = r if best is None or r["run_s"] < best["run_s"] else best
    return best


def ratio(label: str, r: dict, years: int, repeat: int) -> None:
    """Print homesim's time as a multiple of the limit kernel's at the same citizen-weeks."""
    weeks = years * 52
    lim = measure_limit(max(1, r["agent_steps"] // weeks), weeks, repeat)
    print(line(f"limit kernel, {label}", lim))
    print(
        f"  homesim / limit at {label}: {r['run_s'] / lim['run_s']:.2f}x "
        f"(cpu {r['cpu_s'] / lim['cpu_s']:.2f}x)"
    )


def main() -> None:
    quick = "--quick" in sys.argv
    tiny = "--tiny" in sys.argv  # only checks that every case runs
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    rep = 1 if quick or tiny else 3
    years = 1 if tiny else 10
    r = measure("randers_baseline.yaml", 1.0, years=years, repeat=rep)
    print(line(f"Randers baseline, {years} years (best of {rep})", r))
    ratio("Randers size", r, years, rep)
    r = measure("randers_housing_first.yaml", 1.0, years=years, repeat=rep)
    print(line(f"Randers Housing First, {years} years (best of {rep})", r))
    sizes = [0.01] if tiny else [0.1, 1.0] if quick else [0.1, 1.0, 10.0]
    for scale in sizes:
        r = measure("denmark_baseline.yaml", scale, years=years, repeat=rep if scale < 10 else 1)
        print(line(f"Denmark baseline x{scale:g}, {years * 52} weeks", r))
    # the overhead is a ratio of two noisy times: interleave three of each, keep the best
    big = 0.6 if tiny else 60.0
    runs = [
        (
            measure("randers_baseline.yaml", big, years=years),
            measure("randers_housing_first.yaml", big, years=years),
        )
        for _ in range(1 if quick or tiny else 3)
    ]
    base = min((b for b, _ in runs), key=lambda r: r["run_s"])
    pol = min((p for _, p in runs), key=lambda r: r["run_s"])
    print(line(f"Randers baseline x{big:g}, {years * 52} weeks", base))
    ratio(f"Randers x{big:g}", base, years, 1 if quick or tiny else 3)
    print(line(f"Randers Housing First x{big:g}, every policy on", pol))
    print(
        f"policy overhead (best of {len(runs)} each): "
        f"{pol['run_s'] / base['run_s']:.2f}x the no-policy time "
        f"(cpu {pol['cpu_s'] / base['cpu_s']:.2f}x)"
    )


if __name__ == "__main__":
    main()
