"""What a report says about the scenarios of a folder: their titles, parameters, sources.

Everything here reads the manifest's ``scenarios`` (each scenario as run, after
``extends`` and overrides). Titles come from a scenario's ``description``; keys and
codes are written in words (:mod:`sim.scenario.labels`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np
import pandas as pd

from sim.report.blocks import Block, Details, Heading, Notes, table
from sim.report.numbers import value as plain_value
from sim.scenario.labels import (
    code_label,
    key_label,
    scenario_title,
    scenario_titles,
    short_scenario_title,
    team_labels,
    word,
)

#: Top-level sections whose parameters make the short table of key parameters
#: (``costs`` only with its own top-level items, e.g. price year and discount rate).
KEY_SECTIONS = ("setting", "places", "housing", "entries", "policies")


def _description(man: dict, name: str) -> str:
    """The ``description`` of scenario ``name`` as run (blank if none)."""
    sc = man.get("scenarios", {}).get(name, {})
    return str(sc.get("as_run", {}).get("description") or "")


def full_title(man: dict, name: str) -> str:
    """A scenario's title: the first sentence of its description, else its name in words."""
    return scenario_title(name, _description(man, name))


def short_title(man: dict, name: str) -> str:
    """A title short enough for a table column: the full title cut at a colon or comma."""
    return short_scenario_title(name, _description(man, name))


def titles(man: dict, names: list[str], short: bool = True) -> dict[str, str]:
    """Titles of ``names``; where two would read the same, the full titles (or names)."""
    return scenario_titles({n: _description(man, n) for n in names}, short)


def teams_of(man: dict) -> dict[str, str]:
    """Name -> words of every support team the folder's scenarios name (their labels)."""
    out: dict[str, str] = {}
    for sc in man.get("scenarios", {}).values():
        out.update(team_labels(sc.get("as_run", {})))
    return out


def names_of(man: dict) -> list[str]:
    """Return the names of the scenarios in a manifest."""
    return list(man.get("scenarios", {}))


# ---------------------------------------------------------------- parameters


def parameter_leaves(node: Any, path: str = "") -> Iterator[tuple[str, Any, dict]]:
    """(dotted path, value, {source, low, high, dist}) of every leaf of a scenario mapping.

    A ``{value: x, source: ...}`` mapping is one leaf; lists of scalars are one leaf;
    lists of mappings are walked with ``[i]`` in the path.
    """
    if isinstance(node, dict) and "value" in node:
        yield path, node["value"], {k: v for k, v in node.items() if k != "value"}
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from parameter_leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list) and any(isinstance(v, dict | list) for v in node):
        for i, v in enumerate(node):
            yield from parameter_leaves(v, f"{path}[{i}]")
    else:
        yield path, node, {}


def shown_value(v: Any, teams: Mapping[str, str] | None = None) -> str:
    """A parameter value for people: codes and mapping keys in words.

    ``teams`` (name -> label) names the support teams a value lists (the pathway's).
    """
    if isinstance(v, str):
        return (teams or {}).get(v) or code_label(v)
    if isinstance(v, list):
        return ", ".join(shown_value(x, teams) for x in v)
    if isinstance(v, dict):
        return ", ".join(
            f"{key_label(k, teams) if '.' in str(k) else word(str(k))}: {shown_value(x, teams)}"
            for k, x in v.items()
        )
    return plain_value(v)


def _range(meta: dict) -> str:
    rng = (
        f"{plain_value(meta['low'])} to {plain_value(meta['high'])}"
        if "low" in meta and "high" in meta
        else ""
    )
    if isinstance(meta.get("dist"), dict):
        rng = (rng + "; " if rng else "") + ", ".join(
            f"{k} {plain_value(v)}" for k, v in meta["dist"].items()
        )
    return rng


def _is_key(path: str) -> bool:
    top = path.split(".", 1)[0].split("[", 1)[0]
    return top in KEY_SECTIONS or (top == "costs" and path.count(".") == 1 and "[" not in path)


def parameter_table(as_run: dict, key_only: bool = False) -> pd.DataFrame:
    """Parameters as run: words for the key, value, range and source (blank if none).

    ``key_only`` keeps the sections of :data:`KEY_SECTIONS` and the top-level items
    of ``costs``, in that order.
    """
    rows = []
    teams = team_labels(as_run)
    for path, v, meta in parameter_leaves(as_run):
        top = path.split(".", 1)[0].split("[", 1)[0]
        if top in ("name", "description", "extends") or (key_only and not _is_key(path)):
            continue
        rows.append(
            {
                "parameter": key_label(path, teams),
                "value": shown_value(v, teams),
                "range": _range(meta),
                "source": str(meta.get("source", "")),
                "_top": top,
            }
        )
    df = pd.DataFrame(rows, columns=["parameter", "value", "range", "source", "_top"])
    if key_only:
        order = {k: i for i, k in enumerate(KEY_SECTIONS)}
        rank = df["_top"].map(lambda x: order.get(x, len(order)))
        df = df.iloc[np.argsort(rank.to_numpy(), kind="stable")]
    return df.drop(columns="_top").reset_index(drop=True)


def parameter_blocks(man: dict) -> list[Block]:
    """Each scenario's key parameters and all its parameters, folded, at the end."""
    blocks: list[Block] = [Heading("Scenario parameters and their sources")]
    full = titles(man, names_of(man), short=False)
    for name, sc in man.get("scenarios", {}).items():
        as_run = sc.get("as_run", {})
        where = f"File {sc.get('file')}" if sc.get("file") else "Given as a mapping"
        about = Notes(
            (
                f"{where}; content hash {str(sc.get('hash', ''))[:12]}.",
                *(
                    [" ".join(str(as_run["description"]).split())]
                    if as_run.get("description")
                    else []
                ),
            )
        )
        key = parameter_table(as_run, key_only=True)
        every = parameter_table(as_run)
        blocks += [
            Details(f"{full[name]}: key parameters ({len(key)})", (about, table(key))),
            Details(f"{full[name]}: all parameters ({len(every)})", (table(every),)),
        ]
    blocks.append(
        Notes(
            (
                "Parameters are those of the scenario as run (after 'extends' and overrides). A "
                "source that starts with 'assumption' marks a figure that is not published; a "
                "blank source means none was given.",
            )
        )
    )
    return blocks


def find_leaf(man: dict, path: str) -> Any:
    """The leaf at dotted ``path`` of the first scenario that has it (or None)."""
    for sc in man.get("scenarios", {}).values():
        node: Any = sc.get("as_run", {})
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is not None:
            return node
    return None


def source_of(man: dict, path: str) -> str:
    """Return the source given for the value at dotted ``path`` (blank if none)."""
    leaf = find_leaf(man, path)
    return str(leaf.get("source", "")) if isinstance(leaf, dict) else ""


def as_written(man: dict, path: str) -> Any:
    """Return the value at dotted ``path`` as the scenario wrote it."""
    leaf = find_leaf(man, path)
    return leaf.get("value") if isinstance(leaf, dict) else leaf


def currency_of(man: dict) -> str:
    """Return the currency of the first scenario that names one (default DKK)."""
    for sc in man.get("scenarios", {}).values():
        cur = sc.get("as_run", {}).get("costs", {}).get("currency")
        if isinstance(cur, str):
            return cur
    return "DKK"
