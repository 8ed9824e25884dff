"""Scenarios: the schema of every key, and loading and validating YAML files."""

from sim.scenario.errors import ScenarioError
from sim.scenario.loader import LoadedScenario, Provenance, load_scenario, set_path
from sim.scenario.schema import Scenario

__all__ = ["LoadedScenario", "Provenance", "Scenario", "ScenarioError", "load_scenario",
           "set_path"]
