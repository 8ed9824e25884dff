"""What a run costs, who pays, and the effects a comparison weighs against the cost.

Costs are computed after a run from the recorder's weekly tallies, never per agent:

* a night in a situation: nights ``nights[r, situation]`` (the recorder's nights per
  cell in week ``r``, counted night by night, ``sim.nights``) x price per day;
* a week of support: person-weeks ``support_weeks[r, team]`` (kept by the model's
  policies) x price per week;
* a team's staff: its staff (FTE, times the scenario's scale) x price per FTE-week,
  every week the team is enabled, whether its places are used or not;
* an eviction: moves from ``at_risk`` into a homeless situation x price per eviction;
* other services: person-weeks (nights / 7) by situation and needs group x units used
  per person per year / 52 x price per unit; person-weeks in a team's support use the team's
  ``services`` multiplier times as much (``policies.support_cells``).

Week ``r`` (0-based) of a horizon of ``W`` weeks is in year ``r // 52``; states
``0 .. W-1`` are the horizon and the moves of week ``r`` (recorded as flows into state
``r + 1``) fall in week ``r``. Prices are indexed to ``costs.price_year``. Costs and
effects of year ``t`` are discounted by the product of ``1 / (1 + rate)`` over years
``1 .. t`` (year 0 is not discounted), with ``long_rate`` from ``long_rate_from`` on.
Each dated change of the scenario may change prices and use rates from its week on;
the price year, index and discount rates of the first phase hold throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.scenario.costs_schema import (
    LIVING,
    PAYERS,
    SERVICES,
    SUPPORT_TEAMS,
    Costs,
    Price,
)
from sim.scenario.errors import ScenarioError
from sim.scenario.policy_schema import TEAM_KINDS, team_kind
from sim.situations import (
    DAYS_PER_WEEK,
    HOMELESS,
    HOMELESS_MASK,
    HOUSED,
    HOUSED_MASK,
    LEFT,
    N_NEEDS,
    N_SIT,
    NEEDS,
    SITUATIONS,
    WEEKS_PER_YEAR,
    Situation,
)

if TYPE_CHECKING:
    from sim.model import HomelessnessModel
    from sim.outcomes import Recorder
    from sim.scenario.schema import Scenario

AT_RISK = int(Situation.AT_RISK)
CITIZEN = PAYERS.index("citizen")
HOMELESS_NAMES = frozenset(s.name.lower() for s in HOMELESS)
HOUSED_NAMES = frozenset(s.name.lower() for s in HOUSED)


# ---------------------------------------------------------------- checks


def check_costs(sc: Scenario, file: str | None = None) -> None:  # noqa: C901 - one check per cross-field rule of the costs, kept together
    """Cross-field checks of ``sc.costs`` (the schema checks each key on its own).

    Own payments may not exceed their price; every price year needs an index; use
    rates are keyed by needs group; QALY weights cover every situation in use.
    """
    costs = sc.costs
    _check_team_prices(sc, file)
    for path, price in iter_prices(costs):
        if price.price > price.own_payment and not price.payers:
            raise ScenarioError("expected at least one payer", file=file, path=f"{path}.payers")
        if price.own_payment > price.price:
            raise ScenarioError(
                f"own payment {price.own_payment:g} is more than the price {price.price:g}",
                file=file,
                path=f"{path}.own_payment",
            )
        index_factor(costs, price.price_year, f"{path}.price_year", file)
    for year, value in costs.price_index.items():
        if _year(year) is None:
            raise ScenarioError(
                f"expected a year as key, got {year!r}", file=file, path=f"costs.price_index.{year}"
            )
        if not value > 0:
            raise ScenarioError(
                f"expected a positive index, got {value!r}",
                file=file,
                path=f"costs.price_index.{year}",
            )
    for name in SERVICES:
        use = getattr(costs.services, name).use
        for where, by_needs in use.items():
            path = f"costs.services.{name}.use.{where}"
            if not isinstance(by_needs, dict):
                raise ScenarioError(
                    "expected a mapping {low: x, medium: y, high: z}", file=file, path=path
                )
            for g in by_needs:
                if g not in NEEDS:
                    raise ScenarioError(
                        f"unknown needs group '{g}' (expected one of {', '.join(NEEDS)})",
                        file=file,
                        path=f"{path}.{g}",
                    )
    util = costs.effects.utilities
    if util:
        missing = [s for s in LIVING if s not in util and s not in sc.disabled]
        if missing:
            raise ScenarioError(
                f"QALY weights are missing for {', '.join(missing)} (give "
                "one for every situation, or none)",
                file=file,
                path="costs.effects.utilities",
            )


def _check_team_prices(sc: Scenario, file: str | None) -> None:
    """Prices of support and staff are by kind of team or by one of the scenario's teams."""
    known = (*TEAM_KINDS, *sc.policies.teams)
    for section in ("support", "staff"):
        for key in getattr(sc.costs, section):
            if key not in known:
                raise ScenarioError(
                    f"unknown team or kind of team '{key}' (kinds: {', '.join(TEAM_KINDS)}; "
                    f"teams: {', '.join(sc.policies.teams)})",
                    file=file,
                    path=f"costs.{section}.{key}",
                )


def team_price(sc: Scenario, section: str, team: str) -> Price | None:
    """Return the price per week of team ``team`` in ``costs.<section>``.

    Support is priced per person, staff per FTE: the team's own price, else its kind's;
    None if neither is given or the team is not in this parameter phase.
    """
    prices = getattr(sc.costs, section)
    params = sc.policies.teams.get(team)
    if team in prices:
        return prices[team]
    if params is None:
        return None
    return prices.get(team_kind(team, params).name)


def iter_prices(costs: Costs) -> list[tuple[str, Price]]:
    """Every price of a cost section with its dotted key path."""
    out = [(f"costs.situations.{s}", getattr(costs.situations, s)) for s in LIVING]
    out += [(f"costs.support.{t}", price) for t, price in costs.support.items()]
    out += [(f"costs.staff.{t}", price) for t, price in costs.staff.items()]
    out.append(("costs.eviction", costs.eviction))
    out += [(f"costs.services.{k}.price", getattr(costs.services, k).price) for k in SERVICES]
    return out


def _year(key: object) -> int | None:
    try:
        year = int(str(key))
    except ValueError:
        return None
    return year if 1900 <= year <= 2200 else None


def index_factor(
    costs: Costs, year: int | None, path: str = "costs", file: str | None = None
) -> float:
    """Factor taking a price of ``year`` to ``costs.price_year`` (1 for the same year)."""
    if year is None or year == costs.price_year:
        return 1.0
    table = {_year(k): float(v) for k, v in costs.price_index.items()}
    for y in (year, costs.price_year):
        if y not in table:
            raise ScenarioError(
                f"no price index for {y} in costs.price_index (needed to "
                f"take {year} prices to {costs.price_year})",
                file=file,
                path=path,
            )
    return table[costs.price_year] / table[year]


# ---------------------------------------------------------------- price tables


@dataclass(frozen=True)
class CostItem:
    """One cost line of a phase: DKK per unit of its driver, split by payer."""

    name: str
    unit_price: float  # DKK of costs.price_year, per unit of the driver
    shares: np.ndarray  # (payers,) shares of the unit price, adding up to 1


def split(price: Price, costs: Costs) -> CostItem:
    """Index a price and split it by payer (own payment to the citizen first)."""
    f = index_factor(costs, price.price_year)
    shares = np.zeros(len(PAYERS))
    if price.price > 0:
        rest = (price.price - price.own_payment) / price.price
        for payer, share in price.payers.items():
            shares[PAYERS.index(payer)] += share * rest
        shares[CITIZEN] += price.own_payment / price.price
    else:
        shares[PAYERS.index(next(iter(price.payers), "municipality"))] = 1.0
    return CostItem("", price.price * f, shares)


def use_table(use: dict) -> np.ndarray:
    """Units per person per week, (situations, needs), from rates per person per year."""
    table = np.zeros((N_SIT, N_NEEDS))
    for s, name in enumerate(SITUATIONS):
        if name == "left":
            continue
        group = "homeless" if name in HOMELESS_NAMES else "housed"
        where = next((k for k in (name, group, "default") if k in use), None)
        if where is None:
            continue
        for g, needs in enumerate(NEEDS):
            table[s, g] = float(use[where].get(needs, 0.0)) / WEEKS_PER_YEAR
    return table


def item_names(teams: tuple[str, ...] = SUPPORT_TEAMS) -> tuple[str, ...]:
    """Names of the cost lines, in the order of the cost arrays."""
    return (
        *LIVING,
        *(f"support_{t}" for t in teams),
        *(f"staff_{t}" for t in teams),
        "evictions",
        *SERVICES,
    )


def discount_factors(costs: Costs, weeks: int) -> np.ndarray:
    """Discount factor of each week: year t gets prod over years 1..t of 1 / (1 + rate)."""
    years = -(-weeks // WEEKS_PER_YEAR)
    rates = np.array(
        [
            costs.discount_rate if y < costs.long_rate_from else costs.long_rate
            for y in range(1, years)
        ]
    )
    by_year = np.concatenate([[1.0], np.cumprod(1.0 / (1.0 + rates))])
    return by_year[np.arange(weeks) // WEEKS_PER_YEAR]


# ---------------------------------------------------------------- a run's costs


@dataclass
class RunCosts:
    """Costs of one run: ``weekly[item, payer, week]`` in DKK of the price year."""

    items: tuple[str, ...]
    weekly: np.ndarray
    discount: np.ndarray  # (weeks,)
    currency: str = "DKK"
    price_year: int = 0
    payers: tuple[str, ...] = PAYERS

    def total(self, discounted: bool = False) -> float:
        """Return the run's total cost (DKK of the price year; discounted or not)."""
        return float(self._w(discounted).sum())

    def by_item(self, discounted: bool = False) -> dict[str, float]:
        """Return the run's cost by item (DKK of the price year; discounted or not)."""
        sums = self._w(discounted).sum(axis=(1, 2))
        return {name: float(v) for name, v in zip(self.items, sums, strict=True)}

    def by_payer(self, discounted: bool = False) -> dict[str, float]:
        """Return the run's cost by payer (DKK of the price year; discounted or not)."""
        sums = self._w(discounted).sum(axis=(0, 2))
        return {name: float(v) for name, v in zip(self.payers, sums, strict=True)}

    def yearly(self, discounted: bool = False) -> np.ndarray:
        """Cost by year and payer, (years, payers)."""
        w = self._w(discounted).sum(axis=0)
        years = -(-w.shape[1] // WEEKS_PER_YEAR)
        pad = np.zeros((w.shape[0], years * WEEKS_PER_YEAR))
        pad[:, : w.shape[1]] = w
        return pad.reshape(w.shape[0], years, WEEKS_PER_YEAR).sum(axis=2).T

    def _w(self, discounted: bool) -> np.ndarray:
        return self.weekly * self.discount if discounted else self.weekly


def support_weeks_of(model: object, weeks: int) -> tuple[np.ndarray, tuple[str, ...]]:
    """Person-weeks in support by week and team, and the team names (empty if none).

    Read from ``recorder.support_weeks`` or ``policies.support_weeks`` of the model
    (rows are states 0..weeks, columns teams named by ``support_teams`` if the holder
    gives them, else in the order of :data:`SUPPORT_TEAMS`).
    """
    for holder in (getattr(model, "recorder", None), getattr(model, "policies", None)):
        arr = getattr(holder, "support_weeks", None)
        if arr is not None:
            arr = np.asarray(arr, dtype=float)[:weeks]
            names = tuple(getattr(holder, "support_teams", SUPPORT_TEAMS))[: arr.shape[1]]
            return arr, names
    return np.zeros((weeks, 0)), ()


def support_cells_of(model: object, weeks: int, teams: tuple[str, ...]) -> np.ndarray | None:
    """Person-weeks in support by week, team, situation and needs, if the model keeps it."""
    cells = getattr(getattr(model, "policies", None), "support_cells", None)
    if cells is None or not teams:
        return None
    return np.asarray(cells, dtype=float)[:weeks, : len(teams)]


def service_multipliers(sc: Scenario, teams: tuple[str, ...]) -> np.ndarray:
    """Multiplier on other services' use while in each team's support (1 = no change)."""
    holder = getattr(getattr(sc, "policies", None), "teams", None) or {}
    return np.array([float(getattr(holder.get(t), "services", 1.0)) for t in teams])


def cost_arrays(
    phases: tuple[tuple[int, Scenario], ...],
    counts: np.ndarray,
    evictions: np.ndarray,
    support: np.ndarray,
    teams: tuple[str, ...],
    weeks: int,
    cells: np.ndarray | None = None,
) -> RunCosts:
    """Weekly costs by item and payer from weekly tallies under dated parameter phases.

    ``counts``: person-weeks (weeks, situations, needs), i.e. nights / 7, so a
    situation's cost is its price per day times its nights; ``evictions``: evictions in
    each week (weeks,); ``support``: person-weeks by team (weeks, teams); ``cells``:
    person-weeks in support by (weeks, teams, situations, needs), used to apply each
    team's ``services`` multiplier to the use of other services by those it supports.
    """
    first = phases[0][1].costs
    items = item_names(teams)
    out = np.zeros((len(items), len(PAYERS), weeks))
    starts = [w for w, _ in phases] + [weeks]
    for (w0, sc), w1 in zip(phases, starts[1:], strict=True):
        if w0 >= weeks:
            break
        seg = slice(w0, min(w1, weeks))
        c = sc.costs
        per_sit = counts[seg].sum(axis=2)  # (weeks, situations)
        row = 0
        for s in LIVING:
            it = split(getattr(c.situations, s), first)
            driver = per_sit[:, SITUATIONS.index(s)] * DAYS_PER_WEEK
            out[row, :, seg] = np.outer(it.shares, driver * it.unit_price)
            row += 1
        for k, team in enumerate(teams):
            price = team_price(sc, "support", team)
            if price is not None:
                it = split(price, first)
                out[row, :, seg] = np.outer(it.shares, support[seg, k] * it.unit_price)
            row += 1
        for team in teams:
            out[row, :, seg] = _staff_cost(sc, team, first, seg.stop - seg.start)
            row += 1
        it = split(c.eviction, first)
        out[row, :, seg] = np.outer(it.shares, evictions[seg] * it.unit_price)
        row += 1
        extra = service_multipliers(sc, teams) - 1.0 if cells is not None else None
        for name in SERVICES:
            svc = getattr(c.services, name)
            table = use_table(svc.use)
            units = np.einsum("wsg,sg->w", counts[seg], table)
            if extra is not None and extra.any():
                units += np.einsum("wksg,sg,k->w", cells[seg], table, extra)
            it = split(svc.price, first)
            out[row, :, seg] = np.outer(it.shares, units * it.unit_price)
            row += 1
    return RunCosts(items, out, discount_factors(first, weeks), first.currency, first.price_year)


def _staff_cost(sc: Scenario, team: str, first: Costs, weeks: int) -> np.ndarray:
    """Weekly cost by payer of a team's staff in one parameter phase, (payers, weeks)."""
    price = team_price(sc, "staff", team)
    params = sc.policies.teams.get(team)
    if price is None or params is None or not params.enabled:
        return np.zeros((len(PAYERS), weeks))
    it = split(price, first)
    fte = params.staff * sc.setting.scale
    return np.outer(it.shares, np.full(weeks, fte * it.unit_price))


def person_weeks(rec: Recorder, weeks: int) -> np.ndarray:
    """Return person-weeks by week and cell, (weeks, situations, needs, age bands).

    The nights spent in each cell during each week, divided by 7 (whole weeks where
    nobody moved mid-week).
    """
    return rec.nights[:weeks].astype(float) / DAYS_PER_WEEK


def run_costs(model: HomelessnessModel) -> RunCosts:
    """The costs of a finished (or partly run) model, over the weeks run so far."""
    rec = model.recorder
    weeks = min(model.week, rec.weeks)
    counts = person_weeks(rec, weeks).sum(axis=3)
    homeless = HOMELESS_MASK.copy()
    evictions = rec.flows[1 : weeks + 1, AT_RISK][:, homeless].sum(axis=1).astype(float)
    support, teams = support_weeks_of(model, weeks)
    return cost_arrays(
        model.loaded.phases,
        counts,
        evictions,
        support,
        teams,
        weeks,
        support_cells_of(model, weeks, teams),
    )


# ---------------------------------------------------------------- effects


def run_effects(model: HomelessnessModel) -> dict[str, float]:
    """Effects over the horizon: days, people ever homeless, long spells, QALYs."""
    rec, params = model.recorder, model.loaded.params
    weeks = min(model.week, rec.weeks)
    disc = discount_factors(params.costs, weeks)
    nights = rec.nights[:weeks].sum(axis=(2, 3)).astype(float)  # (weeks, situations)
    homeless = nights[:, HOMELESS_MASK].sum(axis=1)
    housed = nights[:, HOUSED_MASK].sum(axis=1)
    a = model.citizens
    chronic = params.costs.effects.chronic_weeks
    now_h = HOMELESS_MASK[a.situation]
    # a spell begun at the horizon itself (state ``weeks``) is outside the horizon
    late = now_h & (a.spell_start == weeks) & (a.spells == 1)
    spells = rec.spells.frame()
    done = spells[spells["end"] <= weeks]
    open_len = weeks - a.spell_start[now_h]
    end_state = rec.counts[weeks].sum(axis=(1, 2))
    out = {
        "homeless_days_discounted": float((homeless * disc).sum()),
        "housed_days_discounted": float((housed * disc).sum()),
        "housed_end": float(end_state[HOUSED_MASK].sum()),
        "people_ever_homeless": float(((a.spells > 0) & ~late).sum()),
        "chronic_homeless_end": float((open_len >= chronic).sum()),
        "long_spells": float(
            ((done["end"] - done["start"]) >= chronic).sum() + (open_len >= chronic).sum()
        ),
        "evictions": float(rec.flows[1 : weeks + 1, AT_RISK][:, HOMELESS_MASK].sum()),
    }
    util = params.costs.effects.utilities
    if util:
        w = np.array([util.get(s, 0.0) for s in SITUATIONS[:LEFT]] + [0.0])
        per_week = nights @ w / DAYS_PER_WEEK / WEEKS_PER_YEAR
        out["qalys"] = float(per_week.sum())
        out["qalys_discounted"] = float((per_week * disc).sum())
    return out


def support_starts(model: object, weeks: int, n_teams: int) -> np.ndarray | None:
    """Support spells begun within the horizon, by team (to cost per person supported)."""
    teams = getattr(getattr(model, "policies", None), "teams", None)
    if teams is None or not hasattr(teams, "spells"):
        return np.zeros(n_teams) if n_teams else None
    out = np.zeros(n_teams)
    for team, since, *_ in teams.spells(weeks):
        keep = since < weeks
        out += np.bincount(np.asarray(team)[keep].astype(np.intp), minlength=n_teams)[:n_teams]
    return out


def cost_columns(model: HomelessnessModel) -> dict[str, float]:
    """Return the summary columns of a run.

    Costs (total, by payer, by item; plain and discounted), support person-weeks and
    effects.
    """
    rc = run_costs(model)
    out: dict[str, float] = {}
    for disc, suffix in ((False, ""), (True, "_discounted")):
        out[f"cost_total{suffix}"] = rc.total(disc)
        for payer, v in rc.by_payer(disc).items():
            out[f"cost_{payer}{suffix}"] = v
    for disc, suffix in ((False, ""), (True, "_discounted")):
        for item, v in rc.by_item(disc).items():
            out[f"cost_item_{item}{suffix}"] = v
    support, teams = support_weeks_of(model, rc.weekly.shape[2])
    for k, team in enumerate(teams):
        out[f"support_weeks_{team}"] = float(support[:, k].sum())
    starts = support_starts(model, rc.weekly.shape[2], len(teams))
    for k, team in enumerate(teams):
        if starts is not None:
            out[f"support_starts_{team}"] = float(starts[k])
    out.update(run_effects(model))
    return out
