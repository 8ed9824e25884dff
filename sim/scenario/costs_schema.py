"""Scenario keys for costs: prices per situation, support and event, payers, discounting.

Every price is in Danish kroner (DKK) of its own ``price_year``; the cost model indexes
it to ``costs.price_year`` with ``costs.price_index`` before use. Each price belongs
to payers (shares adding up to 1); a citizen's own payment, where there is one, is
taken off the price first. What a price is per depends on where it sits: a day in a
situation, a week of support, an eviction, or one unit of another service (a bed day,
a visit, a contact, a prison day, a week of treatment).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.scenario.fields import spec
from sim.scenario.policy_schema import TEAM_KINDS, TEAM_NAMES
from sim.situations import LIVING, NEEDS, SITUATIONS

#: Who pays. The citizen pays own payments (e.g. the §110 shelter rate).
PAYERS: tuple[str, ...] = ("municipality", "region", "state", "citizen")
#: The classic support teams (every scenario has them, in this order first); a
#: scenario's own teams follow them (``sim.policies.team_rules.team_names``).
SUPPORT_TEAMS: tuple[str, ...] = TEAM_NAMES
#: Other services whose use depends on situation and needs group.
SERVICES: tuple[str, ...] = (
    "psychiatric_bed_days",
    "somatic_bed_days",
    "emergency_visits",
    "police_contacts",
    "prison_days",
    "substance_treatment_weeks",
)
#: Where a service-use rate may be given: a situation, a group of situations, or default.
USE_KEYS: tuple[str, ...] = (
    "default",
    "homeless",
    "housed",
    *(s for s in SITUATIONS if s != "left"),
)


def _municipality() -> dict:
    return {"municipality": 1.0}


@dataclass(frozen=True)
class Price:
    """One price: amount, price year, who pays it."""

    price: float = spec(
        "Price of one unit (a day, a week, an event: see where it sits).", 0.0, unit="DKK", ge=0
    )
    price_year: int | None = spec(
        "Price year of 'price'; empty means the scenario's costs.price_year.",
        None,
        unit="year",
        ge=1990,
        le=2100,
    )
    payers: dict = spec(
        "Shares of the price (after any own payment) by payer.",
        factory=_municipality,
        keys=PAYERS,
        sum_to_one=True,
        ge=0,
        le=1,
    )
    own_payment: float = spec(
        "Part of the price the citizen pays (e.g. the §110 daily rate); it goes to the "
        "payer 'citizen' and the rest is split by 'payers'. At most the price.",
        0.0,
        unit="DKK",
        ge=0,
    )


def _price(doc: str) -> Price:
    return field(default_factory=Price, metadata={"doc": doc, "unit": "DKK"})


@dataclass(frozen=True)
class SituationPrices:
    """Price of one day in each situation, per person (DKK per person-day)."""

    own: Price = _price("A day in own housing (beyond ordinary rent, usually nothing).")
    at_risk: Price = _price("A day housed but at risk of eviction.")
    rough: Price = _price("A day sleeping rough (services used come on top).")
    night_shelter: Price = _price("A night in an emergency night shelter.")
    shelter: Price = _price("A day in a §110 shelter (the full price per night).")
    friends: Price = _price("A day staying with family or friends.")
    starter: Price = _price("A day in starter / transitional housing.")
    alternative: Price = _price("A day in alternative housing (skæve boliger).")
    supported: Price = _price("A day in supported housing (§107/§108).")


@dataclass(frozen=True)
class Service:
    """Another service: its price per unit and how many units people use."""

    price: Price = field(
        default_factory=Price, metadata={"doc": "Price of one unit of the service.", "unit": "DKK"}
    )
    use: dict = spec(
        "Units used per person per year, by where people stay and needs group: "
        "use.<where>.<needs>. <where> is a situation, 'homeless' or 'housed' (groups of "
        "situations) or 'default'; the most specific one given applies. A needs group "
        "left out uses nothing.",
        factory=dict,
        unit="units/person/year",
        keys=USE_KEYS,
        ge=0,
    )


def _service(doc: str) -> Service:
    return field(default_factory=Service, metadata={"doc": doc})


@dataclass(frozen=True)
class Services:
    """Expected use of other public services, by situation and needs group."""

    psychiatric_bed_days: Service = _service("Psychiatric hospital bed days.")
    somatic_bed_days: Service = _service("Somatic hospital bed days.")
    emergency_visits: Service = _service("Emergency room visits.")
    police_contacts: Service = _service("Police contacts (arrests, call-outs).")
    prison_days: Service = _service("Days in prison or custody.")
    substance_treatment_weeks: Service = _service("Weeks in alcohol or drug treatment.")


@dataclass(frozen=True)
class Effects:
    """How health effects are counted."""

    utilities: dict = spec(
        "Quality-of-life weight of a year in each situation (0 = dead, 1 = full health), "
        "for QALYs. Give one for every situation people can be in, from a published "
        "source; empty means no QALYs are reported (there are no built-in weights).",
        factory=dict,
        keys=LIVING,
        ge=-1,
        le=1,
    )
    chronic_weeks: int = spec(
        "A homeless spell this long or longer counts as long-term (chronic) homelessness.",
        52,
        unit="weeks",
        ge=1,
    )


@dataclass(frozen=True)
class Costs:
    """Unit costs, their payers, and discounting."""

    currency: str = spec("Currency of every price (text used in tables).", "DKK")
    price_year: int = spec(
        "Price year results are reported in; prices of other years are "
        "indexed to it with price_index.",
        2023,
        unit="year",
        ge=1990,
        le=2100,
    )
    price_index: dict = spec(
        "Price index by year (any base, e.g. consumer prices 2015 = 100); needed for every "
        "price year that differs from costs.price_year.",
        factory=dict,
        unit="index",
        ge=0,
    )
    price_index_source: str = spec("Where the price index comes from.", "")
    discount_rate: float = spec(
        "Yearly discount rate for costs and effects in years 0 to long_rate_from - 1 "
        "(Danish public cost-benefit: 3.5%).",
        0.035,
        unit="per year",
        ge=0,
        le=1,
    )
    long_rate: float = spec(
        "Yearly discount rate from year long_rate_from on (Danish: 2.5% for years 36-70).",
        0.025,
        unit="per year",
        ge=0,
        le=1,
    )
    long_rate_from: int = spec(
        "First year (0-based) discounted at long_rate.", 36, unit="year", ge=1, le=1000
    )
    situations: SituationPrices = field(
        default_factory=SituationPrices, metadata={"doc": "Price per person-day in each situation."}
    )
    support: dict = spec(
        "Price of one week of support per person supported (DKK per person-week), by "
        "kind of team (costs.support.<kind>: "
        + ", ".join(TEAM_KINDS)
        + ") or by team (costs.support.<team name>); a team without a price of its own "
        "has its kind's (none given: 0).",
        factory=dict,
        entries=Price,
    )
    staff: dict = spec(
        "Price of one week of one full-time staff member (DKK per FTE-week; salary and "
        "overheads), by kind of team or by team as costs.support. Charged for the team's "
        "staff every week the team is enabled, however many places are in use: an idle "
        "place costs as much as a used one. Use it instead of (or, for the part of the "
        "cost that is not staff, beside) the person-week price.",
        factory=dict,
        entries=Price,
    )
    eviction: Price = field(
        default_factory=Price,
        metadata={
            "doc": "Price of one eviction (a move from at risk into a homeless situation).",
            "unit": "DKK",
        },
    )
    services: Services = field(
        default_factory=Services, metadata={"doc": "Use and price of other services."}
    )
    effects: Effects = field(
        default_factory=Effects, metadata={"doc": "QALY weights and the long-term threshold."}
    )


__all__ = [
    "LIVING",
    "NEEDS",
    "PAYERS",
    "SERVICES",
    "SUPPORT_TEAMS",
    "USE_KEYS",
    "Costs",
    "Effects",
    "Price",
    "Service",
    "Services",
    "SituationPrices",
]
