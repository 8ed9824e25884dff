"""``homesim evppi PSA_DIR``: the value of learning groups of parameters, from a PSA."""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.commands.arguments import command_line
from sim.evppi import METHODS, evppi_table
from sim.plots.style import PALETTE, new_figure
from sim.results_io import atomic_write, write_csv, write_json
from sim.scenario.errors import ScenarioError
from sim.scenario.labels import parameter_label


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evppi",
        help="expected value of partial perfect information from a PSA folder",
        description="Estimate the EVPPI of groups of parameters from the draws and outcomes "
        "of a 'homesim psa' folder, by regressing incremental effects and costs "
        "on each group (a Gaussian process, as the voi package does). Writes "
        "DIR/evppi.csv, evppi.png and manifest.json (default DIR: "
        "PSA_DIR/evppi).",
    )
    p.add_argument("psa_dir", metavar="PSA_DIR", type=Path)
    p.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME=PATH[,PATH...]",
        help="a group of parameters (dotted paths as in draws.csv); repeat for "
        "more groups (default: every parameter on its own)",
    )
    p.add_argument(
        "--method", choices=METHODS, default="gp", help="regression (default gp; linear as a check)"
    )
    p.add_argument("--out", type=Path, default=None, help="results folder")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    draws, outcomes, curves = _read_psa(args.psa_dir)
    params = [c for c in draws.columns if c != "draw"]
    groups = parse_groups(args.group, params)
    names = list(dict.fromkeys(outcomes["scenario"]))
    if len(names) < 2:
        raise ScenarioError(
            "EVPPI needs a PSA of two or more scenarios", file=str(args.psa_dir / "outcomes.csv")
        )
    wide = outcomes.pivot(index="draw", columns="scenario")
    costs = wide["cost"][names].to_numpy(float)
    effects = wide["effect"][names].to_numpy(float)
    draws = draws.set_index("draw").loc[wide.index].reset_index()
    wtp = curves["wtp"].to_numpy(float)
    table = evppi_table(draws, costs, effects, groups, wtp, args.method)
    persons = float(outcomes["persons"].mean()) if "persons" in outcomes else np.nan
    table["evppi_per_person"] = table["evppi"] / persons if persons > 0 else np.nan
    out = args.out or args.psa_dir / "evppi"
    write_csv(out / "evppi.csv", table)
    evppi_plot(table, curves, out / "evppi.png")
    write_json(
        out / "manifest.json",
        {
            "command": command_line(),
            "psa": str(args.psa_dir),
            "method": args.method,
            "groups": groups,
            "options": names,
            "draws": len(draws),
        },
    )
    at = table[table["wtp"] == wtp.max()]
    print(
        f"EVPPI at willingness to pay {wtp.max():g} (modelled population, "
        f"{len(draws)} draws, {args.method}):"
    )
    for r in at.itertuples():
        print(f"  {r.group:<32} {r.evppi:>14,.0f}")
    print(f"wrote {out}/ (evppi.csv, evppi.png, manifest.json)")
    return 0


def parse_groups(specs: list[str], params: list[str]) -> dict[str, list[str]]:
    """``NAME=a.b,c.d`` specs as a mapping; every path must be a PSA parameter."""
    if not specs:
        return {p: [p] for p in params}
    groups: dict[str, list[str]] = {}
    for spec in specs:
        name, sep, paths = spec.partition("=")
        cols = [c.strip() for c in paths.split(",") if c.strip()]
        if not sep or not name.strip() or not cols:
            raise ScenarioError(f"--group: expected NAME=PATH[,PATH...], got '{spec}'")
        unknown = [c for c in cols if c not in params]
        if unknown:
            raise ScenarioError(
                f"--group {name}: '{unknown[0]}' is not a parameter of the "
                f"PSA (its parameters: {', '.join(params) or 'none'})"
            )
        groups[name.strip()] = cols
    return groups


def _read_psa(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    tables = []
    for name in ("draws.csv", "outcomes.csv", "ceac_evpi.csv"):
        path = folder / name
        if not path.is_file():
            raise ScenarioError(
                "not found: expected a 'homesim psa' results folder", file=str(path)
            )
        try:
            tables.append(pd.read_csv(path))
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ScenarioError(f"not a readable CSV table: {exc}", file=str(path)) from None
    draws, outcomes, curves = tables
    if len(draws.columns) < 2:
        raise ScenarioError(
            "the PSA drew no parameters; EVPPI needs uncertain parameters",
            file=str(folder / "draws.csv"),
        )
    need = {"draw", "scenario", "cost", "effect"}
    if not need <= set(outcomes.columns):
        raise ScenarioError(
            f"expected columns {', '.join(sorted(need))}", file=str(folder / "outcomes.csv")
        )
    return draws, outcomes, curves


def evppi_plot(table: pd.DataFrame, curves: pd.DataFrame, path: Path) -> None:
    """EVPPI of each group against willingness to pay, with the EVPI above them."""
    fig, ax = new_figure(7, 4)
    if "evpi_modelled" in curves:
        ax.plot(
            curves["wtp"],
            curves["evpi_modelled"],
            color=PALETTE[7],
            lw=1.5,
            ls="--",
            label="EVPI (all parameters)",
        )
    for i, (name, sub) in enumerate(table.groupby("group", sort=False)):
        label = parameter_label(str(name))
        ax.plot(sub["wtp"], sub["evppi"], color=PALETTE[i % 7], lw=1.4, label=label)
    ax.set_xlabel("willingness to pay (DKK per unit of effect)")
    ax.set_ylabel("EVPPI, modelled population (DKK)")
    ax.legend(frameon=False, fontsize=7)
    ax.set_title("Expected value of partial perfect information")
    fig.tight_layout()
    atomic_write(Path(path), lambda p: fig.savefig(p, format="png"))
    plt.close(fig)
