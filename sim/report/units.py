"""The unit costs of a folder's scenarios, with their sources, for the folded table."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sim.report.numbers import value
from sim.report.scenarios import parameter_leaves
from sim.scenario.labels import key_label


def unit_cost_table(man: dict, short: dict[str, str]) -> pd.DataFrame:
    """Return the prices and own payments of each scenario as run.

    Words for the item, the value in each scenario (columns titled by ``short``), range
    and source.
    """
    rows: dict[str, dict[str, Any]] = {}
    for name, sc in man.get("scenarios", {}).items():
        costs = sc.get("as_run", {}).get("costs", {})
        for path, v, meta in parameter_leaves(costs, "costs"):
            if not path.endswith((".price", ".own_payment")):
                continue
            row = rows.setdefault(path, {"unit cost": key_label(path)})
            row[short.get(name, name)] = value(v)
            if "low" in meta and "high" in meta:
                row["range"] = f"{value(meta['low'])} to {value(meta['high'])}"
            if meta.get("source"):
                row["source"] = str(meta["source"])
    df = pd.DataFrame(list(rows.values())).fillna("")
    ends = [c for c in ("range", "source") if c in df.columns]
    return df[[c for c in df.columns if c not in ends] + ends]
