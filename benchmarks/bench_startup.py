"""Start-up time of the command line.

Measured for ``homesim --help``, ``--version`` and a command's own ``--help``.

Each case runs in a fresh process (what a user waits for: interpreter start, imports,
argument parsing), repeated; the best and median wall times are printed, with the
target of 0.5 s for ``--help`` and ``--version``. Also prints the interpreter's own
start-up (``python -c pass``) for scale, and the modules ``--help`` imports that the
start-up must do without (numpy, pandas, Mesa, numba, ...).

It also prints what the compiled loops of the night step (``sim/kernels.py``) add to a
process that runs the model: one week of Randers in a fresh process with the compiled
code loaded from numba's cache (every run after a machine's first), and with an empty
cache (the first run on a machine, which compiles). A measurement, not a timed test.

Usage: python benchmarks/bench_startup.py [--repeat N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 0.5
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "homesim --help": [sys.executable, "-m", "homesim", "--help"],
    "homesim --version": [sys.executable, "-m", "homesim", "--version"],
    "homesim run --help": [sys.executable, "-m", "homesim", "run", "--help"],
    "homesim scenarios list": [sys.executable, "-m", "homesim", "scenarios", "list"],
}
HEAVY = ("numpy", "pandas", "mesa", "scipy", "pyarrow", "matplotlib", "yaml", "numba")
#: One week of Randers in a fresh process: imports, the scenario, the model, the week.
ONE_WEEK = (
    "import warnings; warnings.simplefilter('ignore'); import homesim; "
    "homesim.HomelessnessModel('randers_baseline', rng=1, years=1).run(1)"
)


def wall_times(cmd: list[str], repeat: int, env: dict | None = None) -> list[float]:
    """Wall time of ``repeat`` fresh runs of ``cmd`` (seconds)."""
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, env=env)
        out.append(time.perf_counter() - t)
    return out


def heavy_imports_of_help() -> list[str]:
    """Heavy modules that ``homesim --help`` imports (should be none)."""
    code = (
        "import sys\nfrom homesim.cli import main\ntry:\n    main(['--help'])\n"
        "except SystemExit:\n    pass\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    last = res.stdout.strip().splitlines()[-1]
    return [m for m in last.split(",") if m in HEAVY]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=7, help="fresh processes per case")
    args = p.parse_args()
    print(f"{'case':<24} {'best':>8} {'median':>8}  (wall seconds, {args.repeat} runs)")
    for name, cmd in CASES.items():
        times = wall_times(cmd, args.repeat)
        best, median = min(times), statistics.median(times)
        flag = ""
        if name in ("homesim --help", "homesim --version"):
            flag = "  ok" if median < TARGET_S else f"  over the {TARGET_S} s target"
        print(f"{name:<24} {best:>8.3f} {median:>8.3f}{flag}")
    week = [sys.executable, "-c", ONE_WEEK]
    wall_times(week, 1)  # fills the cache if it is empty
    times = wall_times(week, args.repeat)
    print(f"{'one week, cached code':<24} {min(times):>8.3f} {statistics.median(times):>8.3f}")
    with tempfile.TemporaryDirectory() as empty:
        env = {**os.environ, "NUMBA_CACHE_DIR": empty}
        first = wall_times(week, 1, env)[0]
    print(f"{'one week, compiling':<24} {first:>8.3f} {first:>8.3f}  (empty cache: once)")
    heavy = heavy_imports_of_help()
    print("heavy modules imported by --help:", ", ".join(heavy) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
