"""homesim: an agent-based simulation of homelessness flows in Danish municipalities.

The public Python API::

    import sim
    scenario = sim.load_scenario("scenarios/randers_baseline.yaml")
    model = sim.HomelessnessModel(scenario, rng=1)
    model.run(52)                      # or Mesa's model.run_for(52)
    results = sim.run_replications(scenario, replications=20)
"""

from importlib.metadata import PackageNotFoundError, version

from sim.batch.store import BatchResults, open_results
from sim.compare import Comparison, compare
from sim.model import HomelessnessModel
from sim.runner import Results, RunResult, run_once, run_replications
from sim.scenario import LoadedScenario, ScenarioError, load_scenario

try:
    __version__ = version("homesim")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["Comparison", "HomelessnessModel", "LoadedScenario", "Results", "RunResult",
           "ScenarioError", "__version__", "compare", "load_scenario", "run_once",
           "run_replications"]
__all__ += ["BatchResults", "open_results"]
