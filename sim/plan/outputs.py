"""What a plan writes: frontier, recommended scenario, target probabilities, budget impact.

- ``frontier.csv`` / ``frontier.png``: every evaluated plan (discounted cost against
  discounted homeless days avoided; a dot each), the cost-effect frontier as a line (the
  plans no other plan beats on both), the recommended plan marked;
- ``recommended.yaml``: the chosen plan as a scenario that extends the base;
- ``targets.csv``: the chance that each target is met, with its 95% Wilson interval;
- ``budget_impact.csv``: cost by year and payer of the base and the plan, and the
  difference (DKK, undiscounted, price year; plan costs the model does not price included);
- ``plan.json`` (the answer in numbers), ``plan.md`` (in words), ``manifest.json``.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.plan.evaluate import Evaluation, dated_changes, extra_costs, wilson
from sim.plan.optimise import PlanResult
from sim.plan.search import feasible
from sim.results_io import write_csv, write_json, write_text
from sim.scenario.costs_schema import PAYERS


def frontier_table(result: PlanResult) -> pd.DataFrame:
    """Return one row per evaluated plan.

    Each row holds its values, mean cost and effect, feasibility, the chance of each
    target, and whether it is on the cost-effect frontier.
    """
    spec = result.spec
    rows = []
    for stage, evs in (("search", result.search), ("confirmed", result.confirmed)):
        for values, ev in evs.items():
            row = {
                "stage": stage,
                **{v.key: x for v, x in zip(spec.variables, values, strict=True)},
            }
            row.update(_measures(result, ev))
            row["recommended"] = values == result.selection.best
            rows.append(row)
    table = pd.DataFrame(rows)
    search = table["stage"] == "search"
    table["on_frontier"] = False
    table.loc[search, "on_frontier"] = _frontier_mask(
        table.loc[search, "cost_discounted"], table.loc[search, "days_avoided"]
    )
    return table


def _measures(result: PlanResult, ev: Evaluation) -> dict:
    spec = result.spec
    out = {
        "replications": ev.replications,
        "cost_discounted": float(ev.cost.mean()),
        "cost_vs_base_discounted": float(ev.cost.mean() - result.base.cost[: ev.cost.size].mean()),
        "days_avoided": float(ev.days.mean()),
        "feasible": feasible(spec, ev),
    }
    for t, p in zip(spec.targets, ev.probabilities(), strict=True):
        out[f"chance: {t.describe()}"] = float(p)
    return out


def _frontier_mask(cost: pd.Series, days: pd.Series) -> np.ndarray:
    """Plans that no other plan beats on both cost (lower) and days avoided (higher)."""
    c, d = cost.to_numpy(), days.to_numpy()
    keep = np.ones(c.size, dtype=bool)
    for i in range(c.size):
        better = (c <= c[i]) & (d >= d[i]) & ((c < c[i]) | (d > d[i]))
        keep[i] = not better.any()
    return keep


def targets_table(result: PlanResult) -> pd.DataFrame:
    """The chance each target is met by the chosen plan, with its 95% interval."""
    ev = result.chosen_evaluation()
    rows = []
    for t, col in zip(result.spec.targets, ev.met.T, strict=True):
        k, n = int(col.sum()), int(col.size)
        low, high = wilson(k, n)
        rows.append(
            {
                "target": t.describe(),
                "required": t.probability,
                "probability": k / n if n else math.nan,
                "low": low,
                "high": high,
                "replications": n,
                "met": k / n >= t.probability if n else False,
            }
        )
    columns = ["target", "required", "probability", "low", "high", "replications", "met"]
    return pd.DataFrame(rows, columns=columns)  # the columns also when the plan has no target


def budget_table(
    result: PlanResult, runs_base: pd.DataFrame, runs_plan: pd.DataFrame
) -> pd.DataFrame:
    """Return the cost by year and payer of the base, the plan and the difference.

    Means over the plan's replications; DKK, undiscounted.
    """
    spec = result.spec
    extra, _ = extra_costs(spec, result.chosen)
    runs_base = runs_base.loc[runs_plan.index]
    rows = []
    for y in range(spec.years):
        year = spec.start_year + y
        for p, payer in enumerate(PAYERS):
            col = f"yearly_{payer}_{year}"
            base = float(runs_base[col].mean()) if col in runs_base else 0.0
            plan = (float(runs_plan[col].mean()) if col in runs_plan else 0.0) + extra[y, p]
            rows.append(
                {
                    "year": year,
                    "payer": payer,
                    "base": base,
                    "plan": plan,
                    "plan_costs_not_in_model": float(extra[y, p]),
                    "difference": plan - base,
                }
            )
    return pd.DataFrame(rows)


def recommended_scenario(result: PlanResult, out_dir: Path) -> dict:
    """Return the chosen plan as a scenario extending the base.

    ``extends`` is relative to ``out_dir``.
    """
    spec = result.spec
    from sim.shipped import reference_to

    ref = reference_to(Path(spec.base.file), out_dir)
    doc: dict = {
        "extends": ref,
        "name": f"{spec.name}_recommended",
        "description": f"The plan '{spec.name}' recommends: "
        + ", ".join(
            f"{v.label} {_fmt(x)}" for v, x in zip(spec.variables, result.chosen, strict=True)
        )
        + ".",
    }
    changes: dict[int, dict] = {}
    for var, value in zip(spec.variables, result.chosen, strict=True):
        value = int(value) if var.integer else float(value)
        if var.from_year is None or var.from_year <= spec.start_year:
            _set(doc, var.key, value)
        else:
            changes.setdefault(var.from_year, {})[var.key] = value
    if changes:
        doc["changes"] = [*(spec.base.raw.get("changes") or []), *dated_changes(changes)]
    return doc


def _set(doc: dict, dotted: str, value) -> None:
    node = doc
    *path, last = dotted.split(".")
    for part in path:
        node = node.setdefault(part, {})
    node[last] = value


def _fmt(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.3g}"


def answer(result: PlanResult) -> dict:
    """The plan's answer in numbers (``plan.json``)."""
    spec = result.spec
    ev = result.chosen_evaluation()
    return {
        "plan": spec.name,
        "objective": spec.objective,
        "feasible": result.feasible,
        "recommended" if result.feasible else "closest": {
            v.key: (int(x) if v.integer else float(x))
            for v, x in zip(spec.variables, result.chosen, strict=True)
        },
        "probability_of_correct_selection": result.selection.pcs if result.feasible else None,
        "replications": ev.replications,
        "cost_discounted": float(ev.cost.mean()),
        "cost_vs_base_discounted": float(
            ev.cost.mean() - result.base.cost[: ev.replications].mean()
        ),
        "homeless_days_avoided_discounted": float(ev.days.mean()),
        "targets": targets_table(result).to_dict(orient="records"),
        "candidates_evaluated": len(result.search),
        "runs_made": result.runs_made,
    }


def words(result: PlanResult) -> str:
    """The answer as a short Markdown page."""
    spec = result.spec
    a = answer(result)
    chosen = ", ".join(
        f"{v.label} {_fmt(x)}" for v, x in zip(spec.variables, result.chosen, strict=True)
    )
    lines = [f"# Plan: {spec.name}", "", spec.description, ""]
    if result.feasible:
        lines.append(
            f"**Recommended:** {chosen}. Probability that it is the best of the "
            f"{len(result.selection.confirmed)} plans confirmed: at least "
            f"{a['probability_of_correct_selection']:.2f}."
        )
    else:
        worst = targets_table(result)
        short = worst[~worst["met"]]
        gaps = "; ".join(
            f"{r.target}: {r.probability:.2f} against {r.required:g}" for r in short.itertuples()
        )
        lines.append(
            "**No plan within the bounds meets every target.** The closest is "
            f"{chosen}" + (f" ({gaps})." if gaps else " (it exceeds the budget).")
        )
    lines += [
        "",
        f"Discounted cost {a['cost_discounted']:,.0f} "
        f"({a['cost_vs_base_discounted']:+,.0f} against the base); "
        f"{a['homeless_days_avoided_discounted']:,.0f} homeless days avoided "
        f"(discounted), over {a['replications']} replications.",
        "",
        "| target | chance | 95% interval | required |",
        "|---|---|---|---|",
    ]
    for r in targets_table(result).itertuples():
        lines.append(
            f"| {r.target} | {r.probability:.2f} | {r.low:.2f}-{r.high:.2f} | {r.required:g} |"
        )
    lines += [
        "",
        f"{a['candidates_evaluated']} candidates evaluated, "
        f"{a['runs_made']} runs made in this command.",
    ]
    return "\n".join(lines) + "\n"


def frontier_figure(
    table: pd.DataFrame,
    currency: str = "DKK",
    selected: tuple[float, float] | None = None,
    chosen: str = "recommended",
):
    """Draw discounted cost against homeless days avoided.

    Every plan is a dot, the frontier a line, the recommended plan ringed (``chosen``
    names the ring: "recommended", or "closest to the targets" when no plan meets them)
    and, with ``selected`` (days avoided, cost against the base in DKK), one plan marked
    with a cross. Returns a matplotlib figure (not registered with pyplot, so it may be
    drawn in any thread).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7, 4.5))
    ax = fig.subplots()
    s = table[table["stage"] == "search"]
    ok = s["feasible"].astype(bool)
    ax.scatter(
        s.loc[~ok, "days_avoided"],
        s.loc[~ok, "cost_vs_base_discounted"] / 1e6,
        s=14,
        color="0.7",
        label="misses a target or the budget",
    )
    ax.scatter(
        s.loc[ok, "days_avoided"],
        s.loc[ok, "cost_vs_base_discounted"] / 1e6,
        s=18,
        color="tab:blue",
        label="meets every target",
    )
    f = s[s["on_frontier"].astype(bool)].sort_values("days_avoided")
    ax.plot(
        f["days_avoided"],
        f["cost_vs_base_discounted"] / 1e6,
        color="tab:blue",
        lw=1,
        label="frontier",
    )
    rec = table[table["recommended"].astype(bool) & (table["stage"] == "confirmed")]
    if len(rec):
        ax.scatter(
            rec["days_avoided"],
            rec["cost_vs_base_discounted"] / 1e6,
            s=120,
            facecolors="none",
            edgecolors="tab:red",
            lw=2,
            label=chosen,
        )
    if selected is not None:
        ax.scatter(
            [selected[0]], [selected[1] / 1e6], s=90, marker="x", color="black", lw=2, label="open"
        )
    ax.axhline(0, color="0.4", lw=0.6)
    ax.set_xlabel("homeless days avoided against the base (discounted)")
    ax.set_ylabel(f"cost against the base, million {currency} (discounted)")
    ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


def write_outputs(
    result: PlanResult, out_dir: Path, runs_base: pd.DataFrame, runs_plan: pd.DataFrame
) -> None:
    """Write every output of a plan into ``out_dir`` (each file atomically)."""
    from sim.results_io import atomic_write

    table = frontier_table(result)
    write_csv(out_dir / "frontier.csv", table)
    fig = frontier_figure(table, result.spec.base.params.costs.currency)
    atomic_write(out_dir / "frontier.png", lambda p: fig.savefig(p, dpi=120, format="png"))
    write_csv(out_dir / "targets.csv", targets_table(result))
    write_csv(out_dir / "budget_impact.csv", budget_table(result, runs_base, runs_plan))
    doc = recommended_scenario(result, out_dir)
    name = "recommended.yaml" if result.feasible else "closest.yaml"
    write_text(out_dir / name, yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    write_json(out_dir / "plan.json", answer(result))
    write_text(out_dir / "plan.md", words(result))
