"""Reading one scenario file as written, and looking up a dotted key in it.

For notebooks and scripts that inspect a scenario's parameters and their sources:
``get_leaf(raw, "costs.situations.shelter.price")`` gives the parameter leaf
``{value, source, low, high, dist}`` as written, ``get_value`` only its value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.scenario.loader import LoadedScenario, change_key, leaf_value, node_at, read_yaml
from sim.shipped import locate

_INDEX = re.compile(r"^(?P<key>[^\[\]]+)((?:\[\d+\])*)$")


def read_scenario_file(source: str | Path) -> dict:
    """The mapping of one YAML file as written (its ``extends`` not followed).

    ``source`` is a path or the name of a shipped file (scenario, costs, batch or targets).
    """
    path = Path(source)
    for kind in ("scenario", "batch", "targets"):
        path = locate(source, kind)
        if path.exists():
            break
    return read_yaml(path)


def get_leaf(scenario: LoadedScenario | Mapping, dotted: str) -> Any:
    """The node at a dotted key of a loaded scenario or of a raw mapping.

    The key reads like ``policies.teams.cti.phases[0].m_house``; a loaded scenario is
    read through its merged mapping. Raises KeyError naming the first part of the key
    that is missing. A key inside a dated change (``changes[2021-01].transitions...``)
    is read as the scenario loader reads it.
    """
    raw = scenario.raw if isinstance(scenario, LoadedScenario) else scenario
    if change_key(dotted) is not None:
        return node_at(raw, dotted)
    node: Any = raw
    done: list[str] = []
    for part in dotted.split("."):
        m = _INDEX.match(part)
        if m is None:
            raise KeyError(f"'{dotted}': '{part}' is not a key or key[index]")
        steps: list[Any] = [m.group("key"), *map(int, re.findall(r"\[(\d+)\]", part))]
        for step in steps:
            node = _step(node, step, dotted, done)
            done.append(str(step))
    return node


def get_value(scenario: LoadedScenario | Mapping, dotted: str) -> Any:
    """The value at a dotted key: a parameter leaf's ``value``, or the node itself."""
    return leaf_value(get_leaf(scenario, dotted))


def _step(node: Any, step: str | int, dotted: str, done: list[str]) -> Any:
    where = ".".join(done) or "the top"
    if isinstance(step, int):
        if not isinstance(node, list) or step >= len(node):
            raise KeyError(f"'{dotted}': no item [{step}] at {where}")
        return node[step]
    if not isinstance(node, Mapping) or step not in node:
        raise KeyError(f"'{dotted}': no key '{step}' at {where}")
    return node[step]
