"""Scenarios: the schema of every key, and loading and validating YAML files.

The names below are imported on first use, so that ``sim.scenario.errors`` (which the
command line needs at start-up) comes without the loader, YAML or numpy.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.scenario.errors import ScenarioError
    from sim.scenario.loader import LoadedScenario, Provenance, load_scenario, set_path
    from sim.scenario.schema import Scenario

_EXPORTS = {
    "LoadedScenario": "loader",
    "Provenance": "loader",
    "load_scenario": "loader",
    "set_path": "loader",
    "Scenario": "schema",
    "ScenarioError": "errors",
}

__all__ = ["LoadedScenario", "Provenance", "Scenario", "ScenarioError", "load_scenario", "set_path"]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'sim.scenario' has no attribute '{name}'")
    return getattr(import_module(f"sim.scenario.{_EXPORTS[name]}"), name)
