"""Shared by the benchmarks: the serial CPU cost of one run of each scenario."""

from __future__ import annotations

import time

from homesim.runner import run_once
from homesim.scenario.loader import LoadedScenario


def cpu_per_run(scenarios: list[LoadedScenario], runs: int, indent: str = "  ") -> list[float]:
    """CPU seconds per run of each scenario, measured serially on ``runs`` runs, printed."""
    cpu = []
    for sc in scenarios:
        t0 = time.process_time()
        for k in range(runs):
            run_once(sc, k, 0, detail=False)
        cpu.append((time.process_time() - t0) / runs)
        print(f"{indent}{sc.name}: {cpu[-1]:.3f} CPU s per run (serial, {runs} runs)")
    return cpu
