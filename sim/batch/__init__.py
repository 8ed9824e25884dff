"""Batches: many scenarios, sweep points and replications, run anywhere, resumable.

- :mod:`sim.batch.spec`: batch files (scenarios, sweeps, replications, seeds, outputs).
- :mod:`sim.batch.runs`: :class:`RunSpec` (one run, picklable) and :func:`simulate`.
- :mod:`sim.batch.engine`: :func:`execute` (serial, local processes or Dask).
- :mod:`sim.batch.store`: the results store and its reader :func:`open_results`.

Other commands (comparison, sensitivity analysis, calibration) build their own lists
of :class:`RunSpec` and hand them to :func:`execute`.
"""

from sim.batch.engine import BatchReport, execute
from sim.batch.runs import RunOutput, RunSpec, simulate
from sim.batch.spec import Batch, batch_from_mapping, load_batch
from sim.batch.store import BatchResults, ResultsStore, open_results

__all__ = ["Batch", "BatchReport", "BatchResults", "ResultsStore", "RunOutput", "RunSpec",
           "batch_from_mapping", "execute", "load_batch", "open_results", "simulate"]
