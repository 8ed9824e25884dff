"""homesim: an agent-based simulation of homelessness flows in Danish municipalities.

The public Python API, imported as ``homesim``::

    import homesim
    scenario = homesim.load_scenario("randers_baseline")  # a shipped name, a path or a mapping
    model = homesim.HomelessnessModel(scenario, rng=1)
    model.run(52)                      # or Mesa's model.run_for(52)
    results = homesim.run_replications(scenario, replications=20)
    results.intervals()                # or homesim.interval_table(results.summary)

Every entry point takes a scenario as a loaded scenario, a path, the name of a shipped
scenario (``homesim.shipped_files()`` lists them) or a mapping. The analysis modules
(``homesim.compare``, ``homesim.cea``, ``homesim.psa``, ``homesim.sensitivity``,
``homesim.calibration``) and the plots (``homesim.plots.*``, each function returning a
matplotlib figure) are public too. The names below are imported on first use, so that
``import homesim`` (and the command line's start-up) stays fast.

The source folder is ``sim/``, and ``homesim`` is this very package under its
documented name (``homesim.model is sim.model``). Importing it as ``sim`` from outside
the package still works but is deprecated: it warns with a :class:`DeprecationWarning`.
"""

import os
import sys
import types
import warnings
from importlib import import_module
from typing import TYPE_CHECKING, Any

#: Public name -> the module that defines it.
_EXPORTS = {
    "BatchResults": "sim.batch.store",
    "open_results": "sim.batch.store",
    "Comparison": "sim.compare",
    "compare": "sim.compare",
    "HomelessnessModel": "sim.model",
    "WeeklyCollector": "sim.model",
    "Results": "sim.runner",
    "RunResult": "sim.runner",
    "run_once": "sim.runner",
    "run_replications": "sim.runner",
    "interval_table": "sim.runner",
    "LoadedScenario": "sim.scenario.loader",
    "load_scenario": "sim.scenario.loader",
    "ScenarioError": "sim.scenario.errors",
    "read_scenario_file": "sim.lookup",
    "get_leaf": "sim.lookup",
    "get_value": "sim.lookup",
    "pit_by_situation": "sim.simulate",
    "ShippedFile": "sim.shipped",
    "find_shipped": "sim.shipped",
    "shipped_files": "sim.shipped",
    "shipped_root": "sim.shipped",
    "run_seed": "sim.streams",
    "SITUATIONS": "sim.situations",
    "HOMELESS_MASK": "sim.situations",
    "WEEKS_PER_YEAR": "sim.situations",
    "TEAM_NAMES": "sim.scenario.policy_schema",
    "PAYERS": "sim.scenario.costs_schema",
}

__all__ = [
    "HOMELESS_MASK",
    "PAYERS",
    "SITUATIONS",
    "TEAM_NAMES",
    "WEEKS_PER_YEAR",
    "BatchResults",
    "Comparison",
    "HomelessnessModel",
    "LoadedScenario",
    "Results",
    "RunResult",
    "ScenarioError",
    "ShippedFile",
    "WeeklyCollector",
    "__version__",
    "compare",
    "find_shipped",
    "get_leaf",
    "get_value",
    "interval_table",
    "load_scenario",
    "open_results",
    "pit_by_situation",
    "read_scenario_file",
    "run_once",
    "run_replications",
    "run_seed",
    "shipped_files",
    "shipped_root",
]

if TYPE_CHECKING:
    from sim.batch.store import BatchResults, open_results
    from sim.compare import Comparison, compare
    from sim.lookup import get_leaf, get_value, read_scenario_file
    from sim.model import HomelessnessModel, WeeklyCollector
    from sim.runner import Results, RunResult, interval_table, run_once, run_replications
    from sim.scenario.costs_schema import PAYERS
    from sim.scenario.errors import ScenarioError
    from sim.scenario.loader import LoadedScenario, load_scenario
    from sim.scenario.policy_schema import TEAM_NAMES
    from sim.shipped import ShippedFile, find_shipped, shipped_files, shipped_root
    from sim.simulate import pit_by_situation
    from sim.situations import HOMELESS_MASK, SITUATIONS, WEEKS_PER_YEAR
    from sim.streams import run_seed


def __getattr__(name: str) -> Any:
    """Import a public name's module on first use (PEP 562)."""
    if name == "__version__":
        value = _installed_version()
        globals()[name] = value
        return value
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sim' has no attribute '{name}'")
    value = getattr(import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, "__version__"})


def _installed_version() -> str:
    """The installed distribution's version (read on demand: importlib.metadata is slow)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("homesim")
    except PackageNotFoundError:  # running from a source tree without installation
        return "0.0.0+unknown"


#: Public functions named like the submodule that defines them (``sim.compare``).
_SHADOWED = frozenset({"compare"})


class _Package(types.ModuleType):
    """The package's module type, which keeps public functions named like submodules.

    Importing the submodule ``sim.compare`` must not replace the function
    ``sim.compare`` (the import system sets the parent's attribute).
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            return  # the module stays in sys.modules; the name means the function
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

#: Top-level names whose imports of ``sim`` are the package's own (no warning).
_OWN = frozenset({"sim", "homesim"})


def _importer() -> str:
    """The module name of the code whose import statement is loading this package.

    Frames of this module and of the import machinery (``importlib``) are skipped; an
    empty string when no other frame is found.
    """
    frame = sys._getframe(1)
    while frame is not None:
        name = str(frame.f_globals.get("__name__", ""))
        if name != __name__ and name.split(".")[0] != "importlib":
            return name
        frame = frame.f_back
    return ""


def _warns(importer: str) -> bool:
    """Whether an import by ``importer`` is a user's import of the deprecated name.

    Never for the package's own modules, nor for the ``homesim`` command itself: a
    console script installed before the name changed imports ``sim.cli``.
    """
    if importer.split(".")[0] in _OWN:
        return False
    script = (getattr(sys, "argv", None) or [""])[0]
    return not (importer == "__main__" and os.path.basename(script) == "homesim")


if _warns(_importer()):
    warnings.warn(
        "the import name 'sim' is deprecated; import homesim instead (the same modules)",
        DeprecationWarning,
        skip_file_prefixes=(os.path.dirname(__file__) + os.sep,),
    )
