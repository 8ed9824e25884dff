"""Scenario keys for policies: housing pathway, support teams, eviction prevention, youth.

Effects are multipliers on the weekly chances of the core model: ``m_house`` on moves
from homelessness into a home, ``m_loss`` on moves from a home into homelessness.
1.0 means no effect, so a policy with neutral effects changes nothing but its costs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.scenario.fields import PRIORITY_RULES, spec
from sim.situations import AGE_BANDS, LIVING, NEEDS

TEAM_NAMES = ("cti", "icm", "act", "floating")
#: Phases a team's support may have (each is an effect state of the move tables).
MAX_PHASES = 6


@dataclass(frozen=True)
class Phase:
    """A phase of time-limited support (CTI: transition, try-out, transfer of care)."""

    weeks: int = spec("Length of the phase.", 13, unit="weeks", ge=1)
    m_house: float = spec("Multiplier on the chance of getting housed in this phase.", 1.0, ge=0)
    m_loss: float = spec("Multiplier on the chance of losing a home in this phase.", 1.0, ge=0)


@dataclass(frozen=True)
class Team:
    """A support team (CTI, ICM, ACT or floating support §85) with a caseload limit."""

    enabled: bool = spec("Whether the team works in this scenario.", False)
    staff: float = spec(
        "Case managers or team members (full-time equivalents).", 0.0, unit="FTE", ge=0
    )
    caseload: float = spec(
        "Citizens per staff member; places = staff x caseload.", 10.0, unit="citizens/FTE", ge=0
    )
    needs: list = spec(
        "Needs groups the team takes.", factory=lambda: ["medium", "high"], choices=NEEDS
    )
    ages: list = spec(
        "Age bands the team takes.", factory=lambda: list(AGE_BANDS), choices=AGE_BANDS
    )
    situations: list = spec(
        "Situations from which citizens are referred (e.g. shelter for shelter exit, rough "
        "for outreach).",
        factory=lambda: ["shelter"],
        choices=LIVING,
    )
    referral_per_week: float = spec(
        "Weekly chance that an eligible citizen is referred to the team's waiting list.",
        0.1,
        unit="per week",
        ge=0,
        le=1,
    )
    on_housing: bool = spec(
        "Also refer eligible citizens at the moment they are housed from homelessness.", False
    )
    priority: str = spec("Order of the team's waiting list.", "first_come", choices=PRIORITY_RULES)
    duration_weeks: int | None = spec(
        "Fixed length of support (CTI: 39); empty (null) for open-ended support.",
        None,
        unit="weeks",
        ge=1,
    )
    end_per_week: float = spec(
        "Weekly chance that open-ended support ends.", 0.0, unit="per week", ge=0, le=1
    )
    m_house: float = spec("Multiplier on the chance of getting housed while supported.", 1.0, ge=0)
    m_loss: float = spec("Multiplier on the chance of losing a home while supported.", 1.0, ge=0)
    phases: list = spec(
        "Phases with their own effects (overrides m_house/m_loss); their "
        "weeks must add up to duration_weeks; at most 6.",
        factory=list,
    )
    services: float = spec(
        "Multiplier on the use of other services (hospital, police...) "
        "while supported; read by the cost model.",
        1.0,
        ge=0,
    )


@dataclass(frozen=True)
class Teams:
    """The four support methods."""

    cti: Team = field(
        default_factory=Team,
        metadata={
            "doc": "Critical Time Intervention: 9 months in three phases, medium needs, at a "
            "transition."
        },
    )
    icm: Team = field(
        default_factory=Team,
        metadata={
            "doc": "Intensive Case Management: open-ended, medium to high needs, caseload ~15."
        },
    )
    act: Team = field(
        default_factory=Team,
        metadata={"doc": "Assertive Community Treatment: open-ended, highest needs, caseload ~10."},
    )
    floating: Team = field(
        default_factory=Team,
        metadata={"doc": "Floating support in one's own home (bostøtte, Serviceloven §85)."},
    )


@dataclass(frozen=True)
class Pathway:
    """How homeless citizens reach housing."""

    model: str = spec(
        "'none' keeps the flows as given; 'staircase' (treatment first) lets homeless "
        "citizens reach housing only through shelter and starter housing after a readiness "
        "period; 'housing_first' puts citizens in support on the list for an assigned home "
        "at once, without readiness demands.",
        "none",
        choices=("none", "staircase", "housing_first"),
    )
    readiness_weeks: dict = spec(
        "Staircase: weeks in starter housing before own housing is allowed, by needs.",
        factory=lambda: {"low": 13, "medium": 26, "high": 52},
        unit="weeks",
        keys=NEEDS,
        ge=0,
    )
    fidelity: float = spec(
        "Housing First: share of supported homeless citizens offered an assigned home "
        "without conditions.",
        1.0,
        ge=0,
        le=1,
    )
    teams: list = spec(
        "Housing First: teams whose homeless clients are in the programme.",
        factory=lambda: ["cti", "icm", "act"],
        choices=TEAM_NAMES,
    )
    floating_support: bool = spec(
        "Housing First: programme citizens housed get floating support if a place is free.", True
    )


@dataclass(frozen=True)
class Prevention:
    """Eviction prevention by a housing-social unit working with housing associations."""

    enabled: bool = spec("Whether prevention works in this scenario.", False)
    reach_per_week: float = spec(
        "Weekly chance that an at-risk tenancy is reached.", 0.1, unit="per week", ge=0, le=1
    )
    m_loss: float = spec(
        "Multiplier on the chance that a reached tenancy ends in "
        "homelessness. Default 0.43: with legal counsel 22% of tenants "
        "had final judgments against them, without it 51% (Seron, "
        "Van Ryzin, Frankel & Kovath 2001, Law & Society Review 35(2), "
        "419-433, a randomised experiment).",
        0.43,
        ge=0,
    )


@dataclass(frozen=True)
class Youth:
    """Youth focus (Randers' 'unge på kanten'): under-30s first."""

    priority: bool = spec(
        "Under-30s go first on every team's waiting list and for starter homes.", False
    )
    reserved_starter_homes: int = spec("Starter homes kept for under-30s.", 0, unit="homes", ge=0)


@dataclass(frozen=True)
class Policies:
    """Support policies switched on in a scenario."""

    pathway: Pathway = field(
        default_factory=Pathway, metadata={"doc": "Staircase or Housing First."}
    )
    teams: Teams = field(
        default_factory=Teams, metadata={"doc": "Support teams: CTI, ICM, ACT, floating support."}
    )
    prevention: Prevention = field(
        default_factory=Prevention, metadata={"doc": "Eviction prevention."}
    )
    youth: Youth = field(default_factory=Youth, metadata={"doc": "Youth focus."})
