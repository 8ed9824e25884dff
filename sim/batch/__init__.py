"""Batches: many scenarios, sweep points and replications, run anywhere, resumable.

- :mod:`sim.batch.spec`: batch files (scenarios, sweeps, replications, seeds, outputs).
- :mod:`sim.batch.runs`: :class:`RunSpec` (one run, picklable) and :func:`simulate`.
- :mod:`sim.batch.engine`: :func:`execute` (a batch into a results folder) and
  :func:`run_many` (runs planned by another command, outputs in order), serial, on
  local processes or on Dask.
- :mod:`sim.batch.store`: the results store and its reader :func:`open_results`.
- :mod:`sim.batch.cache`: the run cache that lets the analysis commands resume.
- :mod:`sim.batch.progress`, :mod:`sim.batch.shutdown`: one progress style, and
  orderly shutdown on SIGTERM and SIGINT.

The comparison, sensitivity analysis and calibration build their own lists of
:class:`RunSpec` and hand them to :func:`run_many`.
"""

from sim.batch.engine import BatchReport, Engine, execute, run_many
from sim.batch.runs import RunOutput, RunSpec, simulate
from sim.batch.spec import Batch, batch_from_mapping, load_batch
from sim.batch.store import BatchResults, ResultsStore, open_results

__all__ = [
    "Batch",
    "BatchReport",
    "BatchResults",
    "Engine",
    "ResultsStore",
    "RunOutput",
    "RunSpec",
    "batch_from_mapping",
    "execute",
    "load_batch",
    "open_results",
    "run_many",
    "simulate",
]
