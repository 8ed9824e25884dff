"""The scenario schema: every key a scenario file may hold, with its meaning and unit.

This module is the single source of truth for scenario keys. ``loader`` validates YAML
against it, ``docs/scenario-reference.md`` is generated from it, and the model reads
the typed objects it defines. Probabilities are per week unless a key says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.scenario.costs_schema import Costs
from sim.scenario.fields import MAX_COUNT, MAX_ENTRIES_PER_WEEK, PRIORITY_RULES, spec
from sim.scenario.kinds_schema import Kinds, Returns
from sim.scenario.policy_schema import Policies
from sim.situations import AGE_BANDS, LIVING, NEEDS

PLACE_NAMES = ("night_shelter", "shelter", "starter", "alternative", "supported")


@dataclass(frozen=True)
class Setting:
    """Where and when the scenario plays out."""

    municipality: str = spec("Name of the municipality or area modelled.", "Randers")
    start_year: int = spec(
        "Calendar year of week 0 (the first week of January).", 2015, unit="year", ge=1990, le=2100
    )
    years: int = spec("Default horizon of a run.", 10, unit="years", ge=1, le=100)
    scale: float = spec(
        "Multiplies initial counts, entry rates and capacities: 10 gives a ten times "
        "larger population with the same dynamics (for speed tests and large areas).",
        1.0,
        ge=0.0001,
        le=10000,
    )
    pit_week: int = spec(
        "Week of the year of the point-in-time count (VIVE counts in week 6).",
        6,
        unit="week of year",
        ge=1,
        le=52,
    )


@dataclass(frozen=True)
class Initial:
    """Who is where in week 0."""

    counts: dict = spec(
        "Number of citizens in each situation at the start (whole numbers).",
        factory=dict,
        unit="persons",
        ge=0,
        most=MAX_COUNT,
        keys=LIVING,
        whole=True,
    )
    needs_mix: dict = spec(
        "Shares of low, medium and high needs. Key 'default' applies to every situation "
        "not named; a situation name gives that situation its own mix.",
        factory=lambda: {"default": {"low": 1.0, "medium": 0.0, "high": 0.0}},
        keys=("default", *LIVING),
    )
    age_mix: dict = spec(
        "Shares of the age bands 18-24, 25-29 and 30+.",
        factory=lambda: {"18-24": 0.0, "25-29": 0.0, "30+": 1.0},
        keys=AGE_BANDS,
        sum_to_one=True,
        ge=0,
        le=1,
    )
    spell_weeks_mean: float = spec(
        "Mean time already spent homeless by those homeless in week 0 (geometric).",
        52.0,
        unit="weeks",
        ge=0,
        most=5200,
    )
    former_users: list = spec(
        "Situations whose occupants in week 0 have used the shelter system before (a "
        "pool of former users): in the data's terms (Toronto's flows) their first use "
        "in the run is a return to shelter, not a first use (newly identified).",
        factory=list,
        choices=LIVING,
    )
    recent_users: list = spec(
        "Situations whose occupants in week 0 used the shelter system in the three "
        "months before (Toronto's actively homeless outside a shelter bed that night): "
        "in the data's terms they are actively homeless from night 0, as if their last "
        "use ended then.",
        factory=list,
        choices=LIVING,
    )


@dataclass(frozen=True)
class Route:
    """One way into the system (eviction, prison or hospital release, moving in)."""

    share: float = spec("Share of all entrants who come this way.", 1.0, ge=0, le=1)
    to: dict = spec(
        "Where entrants by this route go first (shares).",
        factory=dict,
        keys=LIVING,
        sum_to_one=True,
        ge=0,
        le=1,
    )


@dataclass(frozen=True)
class Entries:
    """New citizens entering the pool each week."""

    per_week: float = spec(
        "Mean number of entrants per week (Poisson).",
        0.0,
        unit="persons/week",
        ge=0,
        most=MAX_ENTRIES_PER_WEEK,
    )
    needs_mix: dict = spec(
        "Needs mix of entrants.",
        factory=lambda: {"low": 1.0, "medium": 0.0, "high": 0.0},
        keys=NEEDS,
        sum_to_one=True,
        ge=0,
        le=1,
    )
    age_mix: dict = spec(
        "Age mix of entrants.",
        factory=lambda: {"18-24": 0.0, "25-29": 0.0, "30+": 1.0},
        keys=AGE_BANDS,
        sum_to_one=True,
        ge=0,
        le=1,
    )
    routes: dict = spec("Entry routes by name; their shares must add up to 1.", factory=dict)


@dataclass(frozen=True)
class Exits:
    """Leaving the system: death and moving out of the municipality."""

    death_per_year_homeless: dict = spec(
        "Yearly chance of death while homeless, by needs group.",
        factory=lambda: {"low": 0.0, "medium": 0.0, "high": 0.0},
        unit="per year",
        keys=NEEDS,
        ge=0,
        le=1,
    )
    death_per_year_housed: dict = spec(
        "Yearly chance of death while housed, by needs group.",
        factory=lambda: {"low": 0.0, "medium": 0.0, "high": 0.0},
        unit="per year",
        keys=NEEDS,
        ge=0,
        le=1,
    )
    move_away_per_year: float = spec(
        "Yearly chance of moving out of the municipality.", 0.0, unit="per year", ge=0, le=1
    )


@dataclass(frozen=True)
class DurationDependence:
    """Long spells lower the weekly chance of leaving homelessness for a home.

    The chance of moving from a homeless situation to a housed one is multiplied by
    ``floor + (1 - floor) * 0.5 ** (weeks_homeless / half_life_weeks)``.
    """

    enabled: bool = spec("Switch duration dependence on (off = memoryless).", False)
    half_life_weeks: float = spec(
        "Weeks of homelessness that halve the excess chance.", 52.0, unit="weeks", ge=1
    )
    floor: float = spec("Lowest multiplier, reached in very long spells.", 0.3, ge=0, le=1)


@dataclass(frozen=True)
class Rehousing:
    """The first months in a home after homelessness carry a higher risk of losing it.

    For ``weeks`` after being housed from homelessness, the chance of moving from a
    housed situation into homelessness is multiplied by ``multiplier``.
    """

    multiplier: float = spec("Multiplier on the chance of losing the home.", 1.0, ge=0)
    weeks: int = spec("How long the higher risk lasts.", 104, unit="weeks", ge=0)


@dataclass(frozen=True)
class Place:
    """A kind of scarce place with a waiting list."""

    capacity: int | None = spec(
        "Number of places (a whole number); empty (null) means unlimited.",
        None,
        unit="places",
        ge=0,
    )
    priority: str = spec("Order of the waiting list.", "first_come", choices=PRIORITY_RULES)
    overflow: dict = spec(
        "Where applicants go when no place is free this week (shares); empty means they "
        "stay where they are and wait.",
        factory=dict,
        keys=LIVING,
        sum_to_one=True,
        ge=0,
        le=1,
    )


@dataclass(frozen=True)
class Places:
    """Capacity-limited places."""

    night_shelter: Place = field(default_factory=Place, metadata={"doc": "Night shelter beds."})
    shelter: Place = field(default_factory=Place, metadata={"doc": "§110 shelter beds."})
    starter: Place = field(default_factory=Place, metadata={"doc": "Starter / transitional homes."})
    alternative: Place = field(
        default_factory=Place, metadata={"doc": "Alternative homes (skæve boliger)."}
    )
    supported: Place = field(
        default_factory=Place, metadata={"doc": "Supported housing places (§107/§108)."}
    )


@dataclass(frozen=True)
class Housing:
    """Homes the municipality assigns to homeless citizens (kommunal anvisning)."""

    assignments_per_week: float | None = spec(
        "Homes the municipality can assign to homeless citizens per week; fractions "
        "accumulate (0.5 = one every two weeks). Empty (null) means unlimited.",
        None,
        unit="homes/week",
        ge=0,
    )
    self_found_share: float = spec(
        "Share of moves from homelessness to own housing that citizens find themselves "
        "(private or social market) and that need no assigned home.",
        1.0,
        ge=0,
        le=1,
    )
    priority: str = spec(
        "Order of the waiting list for assigned homes.", "first_come", choices=PRIORITY_RULES
    )


@dataclass(frozen=True)
class Change:
    """A change of parameters from a given date on (a policy switched on, a resize)."""

    date: str = spec("Date from which the change holds: YYYY, YYYY-MM or YYYY-MM-DD.", "")
    set: dict = spec(
        "Parameters to change, by dotted key path (e.g. places.starter.capacity: 48).", factory=dict
    )


@dataclass(frozen=True)
class Scenario:
    """A complete, validated scenario (after ``extends`` has been resolved)."""

    name: str = spec("Short name used in tables and plots.", "scenario")
    description: str = spec("What the scenario represents.", "")
    setting: Setting = field(
        default_factory=Setting, metadata={"doc": "Where and when the scenario plays out."}
    )
    initial: Initial = field(default_factory=Initial, metadata={"doc": "Population in week 0."})
    entries: Entries = field(default_factory=Entries, metadata={"doc": "New citizens."})
    exits: Exits = field(default_factory=Exits, metadata={"doc": "Death and moving away."})
    transitions: dict = spec(
        "Weekly probabilities of moving between situations, by needs group: "
        "transitions.<needs>.<from>.<to>. The chance of staying is what is left; each "
        "row must add up to at most 1. Death and moving away come on top (exits).",
        factory=dict,
        keys=NEEDS,
        ge=0,
        le=1,
    )
    duration_dependence: DurationDependence = field(
        default_factory=DurationDependence,
        metadata={"doc": "Long spells lower the chance of leaving homelessness."},
    )
    rehousing: Rehousing = field(
        default_factory=Rehousing,
        metadata={"doc": "Higher risk of losing a home soon after homelessness."},
    )
    kinds: Kinds = field(
        default_factory=Kinds,
        metadata={"doc": "Latent kinds of users (transitional, episodic, chronic...)."},
    )
    returns: Returns = field(
        default_factory=Returns,
        metadata={"doc": "Risk of losing a home by months since moving in, by kind."},
    )
    places: Places = field(default_factory=Places, metadata={"doc": "Scarce places."})
    housing: Housing = field(
        default_factory=Housing, metadata={"doc": "Homes assigned by the municipality."}
    )
    policies: Policies = field(
        default_factory=Policies, metadata={"doc": "Support policies (pathway, teams, prevention)."}
    )
    costs: Costs = field(
        default_factory=Costs, metadata={"doc": "Unit costs, payers and discounting."}
    )
    disabled: list = spec(
        "Situations switched off in this scenario (no one may be there).",
        factory=list,
        choices=LIVING,
    )
    changes: list = spec("Dated parameter changes.", factory=list)
