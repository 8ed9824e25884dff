"""One resource estimate, checked before any run starts.

Every many-run command (``run``, ``batch``, ``compare``, ``psa``, ``calibrate``,
``sensitivity``) calls :func:`check_resources` with its scenarios, its number of runs
and its workers before it writes or runs anything. It refuses, with one line naming
the flag or key to change, a plan that cannot finish on this machine:

- **memory**: citizens per run (initial counts plus entrants over the horizon, times
  ``setting.scale``) times :data:`BYTES_PER_CITIZEN`, plus :data:`BYTES_PER_WORKER`
  for each worker, for as many runs at once as there are workers, against the memory
  available now (``MemAvailable`` of ``/proc/meminfo``);
- **runs**: more than :data:`MAX_RUNS` runs in one command;
- **workers**: more local workers than cores are capped to the cores, with a note
  (they would only compete for the same cores; results do not depend on the count).

``--allow-large`` (``allow_large=True``) skips the memory and run-count refusals and
keeps the workers asked for, for a user who knows the machine can take it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from dataclasses import dataclass

from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario
from sim.situations import WEEKS_PER_YEAR

#: Memory a run needs per citizen modelled, in bytes: the citizen arrays (about 30
#: columns of 1-8 bytes, grown by doubling), the Mesa agents of those who moved, and
#: the stay, spell and episode logs. Peak allocations (tracemalloc) of runs of the
#: small test scenario were 150 bytes per citizen at 25,000 citizens and 124 at
#: 123,000; scenarios with support teams keep more per citizen, so the estimate
#: allows about 2.7 times that.
BYTES_PER_CITIZEN = 400
#: Memory of one worker process before its first run (interpreter, numpy, pandas,
#: Mesa and the model's modules), in bytes.
BYTES_PER_WORKER = 200 * 2**20
#: Largest number of runs one command starts without ``--allow-large``: beyond it a
#: typing slip (``--replications 1000000000``) is far likelier than a real plan.
MAX_RUNS = 200_000
#: Share of the available memory a plan may use.
MEMORY_SHARE = 0.8


@dataclass(frozen=True)
class Estimate:
    """What a plan needs: runs, citizens of the largest run, workers and memory (bytes)."""

    runs: int
    citizens: int
    workers: int
    memory: int
    available: int | None


def citizens_per_run(sc: LoadedScenario, years: int | None = None) -> int:
    """Citizens a run of ``sc`` models: initial counts plus expected entrants, scaled."""
    p = sc.params
    horizon = years or p.setting.years
    start = sum(float(v) for v in p.initial.counts.values())
    entrants = float(p.entries.per_week) * WEEKS_PER_YEAR * horizon
    return int((start + entrants) * float(p.setting.scale))


def cores() -> int:
    """Cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def available_memory() -> int | None:
    """Memory available to new processes now, in bytes (None where unknown)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def estimate(
    scenarios: Iterable[LoadedScenario], runs: int, workers: int, years: int | None = None
) -> Estimate:
    """The resources a plan of ``runs`` runs of ``scenarios`` on ``workers`` needs."""
    citizens = max((citizens_per_run(sc, years) for sc in scenarios), default=0)
    at_once = max(1, min(workers, runs))
    memory = at_once * (citizens * BYTES_PER_CITIZEN + BYTES_PER_WORKER)
    return Estimate(runs, citizens, workers, memory, available_memory())


def check_resources(
    scenarios: Iterable[LoadedScenario],
    runs: int,
    workers: int | None,
    years: int | None = None,
    allow_large: bool = False,
    local: bool = True,
    runs_flag: str = "--replications",
) -> int:
    """Refuse a plan this machine cannot run; returns the local workers to use.

    Args:
        scenarios: the scenarios the plan runs (the largest one sets the memory).
        runs: runs in the plan.
        workers: local workers asked for (None: one per core).
        years: horizon override of the command (None: each scenario's own).
        allow_large: skip the refusals and keep ``workers`` as given (``--allow-large``).
        local: False when the runs go to a Dask cluster: only the run count and the
            memory of one run are checked here, not the workers.
        runs_flag: the option or key that sets the number of runs, for the message.

    Raises ScenarioError (exit 2) with the figures and the override.
    """
    have = cores()
    asked = have if workers is None else workers
    use = asked
    if local and asked > have and not allow_large:
        print(
            f"homesim: note: --workers {asked} is more than the {have} cores of this "
            f"machine; using {have} (give --allow-large to start {asked})",
            file=sys.stderr,
        )
        use = have
    est = estimate(scenarios, runs, use if local else 1, years)
    if allow_large:
        return use
    if runs > MAX_RUNS:
        raise ScenarioError(
            f"{runs_flag}: the plan has {runs:,} runs, more than the "
            f"{MAX_RUNS:,} one command starts; give fewer, or "
            "--allow-large to start them anyway"
        )
    if est.available is not None and est.memory > MEMORY_SHARE * est.available:
        raise ScenarioError(
            f"a run models about {est.citizens:,} citizens (initial.counts and "
            f"entries.per_week over the horizon, times setting.scale): "
            f"{_gib(est.memory)} for {max(1, min(est.workers, runs))} run(s) at once, but "
            f"only {_gib(est.available)} of memory is available; use fewer citizens or "
            "--workers, or give --allow-large to try anyway"
        )
    return use


def _gib(n: int) -> str:
    return f"{n / 2**30:.1f} GiB"
