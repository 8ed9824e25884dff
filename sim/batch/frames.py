"""Replications of many scenarios at once, as summary tables, on the batch engine.

The probabilistic sensitivity analysis, the sensitivity analyses and the calibration
all ask "run these replications of this scenario and give me a summary row per run"
(:data:`sim.simulate.Simulator`), for many scenarios at a time. :func:`replication_frames`
answers a list of such requests in one call to the engine, so that the runs of every
request spread over the workers together; each table equals what
:func:`sim.simulate.simulate` gives for its request.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from sim.batch.engine import Engine
from sim.batch.progress import Progress
from sim.batch.runs import RunSpec
from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario
from sim.simulate import Simulator, simulate

#: (scenario, replication indices, root seed, horizon in years or None)
Request = tuple[LoadedScenario, Sequence[int], int, "int | None"]


def replication_frames(
    requests: Sequence[Request],
    engine: Engine | None = None,
    simulator: Simulator = simulate,
    progress: bool | Progress | None = None,
    desc: str = "runs",
    measure: str = "rows",
) -> list[pd.DataFrame]:
    """One summary table per request (a row per replication, in the given order).

    Args:
        requests: what to run.
        engine: where to run (default: serially in this process).
        simulator: a stand-in for :func:`sim.simulate.simulate` (tests, toy models);
            when given, it is called once per request in this process.
        progress: as for :func:`sim.batch.run_many`.
        desc: label of the progress display.
        measure: what each run gives (``rows``, or ``monthly`` for monthly targets:
            see :data:`sim.batch.runs.MEASURES`).

    A run that fails stops the caller with its error (ScenarioError).
    """
    if simulator is not simulate:
        return [simulator(*r) for r in requests]
    specs = [
        RunSpec(sc, sc.name, 0, {}, int(k), int(seed), years, measure=measure)
        for sc, reps, seed, years in requests
        for k in reps
    ]
    if engine is None:
        with Engine(1) as own:
            outs = own.run(specs, progress, desc)
    else:
        outs = engine.run(specs, progress, desc)
    for out in outs:
        if not out.ok:
            err = out.error or {}
            raise ScenarioError(
                f"replication {out.spec.replication} of "
                f"'{out.spec.name}' failed: {err.get('type')}: "
                f"{err.get('message')}",
                file=out.spec.file,
            )
    frames, i = [], 0
    for _, reps, _, _ in requests:
        n = len(reps)
        frames.append(pd.DataFrame([o.summary for o in outs[i : i + n]]))
        i += n
    return frames
