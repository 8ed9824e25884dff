"""Scenario keys for policies: housing pathway, support teams, eviction prevention, youth.

Effects are multipliers on the weekly chances of the core model: ``m_house`` on moves
from homelessness into a home, ``m_loss`` on moves from a home into homelessness.
1.0 means no effect, so a policy with neutral effects changes nothing but its costs.

Support teams are named in the scenario (``policies.teams.<name>``), any number of
them up to :data:`MAX_TEAMS`, each of a kind (:data:`TEAM_KINDS`): time-limited, in
phases (CTI, rapid re-housing), or open-ended (ICM, ACT, floating support). The
classic teams ``cti``, ``icm``, ``act`` and ``floating`` are in every scenario,
disabled unless enabled, and are of the kind of their name.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.scenario.errors import ScenarioError
from sim.scenario.fields import PRIORITY_RULES, spec
from sim.situations import AGE_BANDS, LIVING, NEEDS

#: The classic teams, in every scenario (disabled by default), in this order first.
TEAM_NAMES = ("cti", "icm", "act", "floating")
#: Phases a team's support may have (each is an effect state of the move tables).
MAX_PHASES = 6
#: Teams a scenario may have: every (team, phase) is an effect state, stored in a byte.
MAX_TEAMS = 20


@dataclass(frozen=True)
class TeamKind:
    """A kind of support team: whether its support is time-limited, and what it is."""

    name: str
    time_limited: bool
    doc: str


#: The kinds of support team. A time-limited kind has a fixed length
#: (``duration_weeks``, optionally in ``phases``); an open-ended kind ends with a weekly
#: chance (``end_per_week``). Each kind has its own default prices (``costs.support``,
#: ``costs.staff``).
TEAM_KINDS: dict[str, TeamKind] = {
    k.name: k
    for k in (
        TeamKind("cti", True, "Critical Time Intervention: support at a transition, in phases"),
        TeamKind(
            "rapid_rehousing",
            True,
            "rapid re-housing: short help into a home of one's own, with time-limited "
            "rental help and case management (US)",
        ),
        TeamKind("icm", False, "Intensive Case Management: a case manager coordinates services"),
        TeamKind("act", False, "Assertive Community Treatment: a team that treats, open-ended"),
        TeamKind("floating", False, "floating support in one's own home (bostøtte, §85)"),
    )
}


@dataclass(frozen=True)
class Phase:
    """A phase of time-limited support (CTI: transition, try-out, transfer of care)."""

    weeks: int = spec("Length of the phase.", 13, unit="weeks", ge=1)
    m_house: float = spec("Multiplier on the chance of getting housed in this phase.", 1.0, ge=0)
    m_loss: float = spec("Multiplier on the chance of losing a home in this phase.", 1.0, ge=0)


@dataclass(frozen=True)
class Team:
    """A support team with a caseload limit, of a kind.

    Kinds are time-limited (cti, rapid_rehousing) or open-ended (icm, act, floating).
    """

    kind: str | None = spec(
        "Kind of team: cti or rapid_rehousing (time-limited: duration_weeks, optionally in "
        "phases) or icm, act, floating (open-ended: end_per_week). Empty (null): the kind "
        "of the team's name, for the classic teams cti, icm, act and floating.",
        None,
        choices=tuple(TEAM_KINDS),
    )
    label: str = spec("Name of the team in tables and figures; empty: the team's name.", "")
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
        "Fixed length of support (CTI: 39), needed by the time-limited kinds; empty (null) "
        "for the open-ended kinds.",
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
        entries=Phase,
    )
    services: float = spec(
        "Multiplier on the use of other services (hospital, police...) "
        "while supported; read by the cost model.",
        1.0,
        ge=0,
    )


class Teams(dict):
    """Support teams by name, in number order (a mapping of :class:`Team`).

    ``teams.act`` reads as ``teams["act"]``.
    """

    def __getattr__(self, name: str) -> Team:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def classic_teams() -> Teams:
    """The teams every scenario has, disabled until a scenario enables them."""
    return Teams({name: Team() for name in TEAM_NAMES})


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
    teams: dict = spec(
        "Support teams by name: policies.teams.<name>. The classic teams cti, icm, act "
        "and floating are always there (disabled unless enabled); a scenario may add "
        f"teams of any kind, up to {MAX_TEAMS} teams in all. Outputs and costs name "
        "each team: support_weeks_<name>, cost_item_support_<name>.",
        factory=classic_teams,
        entries=Team,
    )
    prevention: Prevention = field(
        default_factory=Prevention, metadata={"doc": "Eviction prevention."}
    )
    youth: Youth = field(default_factory=Youth, metadata={"doc": "Youth focus."})


# ---------------------------------------------------------------- cross-key checks


def team_kind(name: str, team: Team) -> TeamKind:
    """The kind of team ``name``: its ``kind``, or the kind of its name."""
    return TEAM_KINDS[team.kind or name]


def team_label(name: str, team: Team) -> str:
    """The team's name in tables and figures: its ``label``, or its name."""
    return team.label or name


def check_policies(pol: Policies, file: str | None) -> None:
    """Check the policy keys that span several fields.

    Each team's kind, length and phases; labels of their own; Housing First's teams
    exist.
    """
    if len(pol.teams) > MAX_TEAMS:
        raise ScenarioError(
            f"{len(pol.teams)} teams, expected at most {MAX_TEAMS}",
            file=file,
            path="policies.teams",
        )
    labels: dict[str, str] = {}
    for name, team in pol.teams.items():
        path = f"policies.teams.{name}"
        _check_kind(name, team, path, file)
        _check_length(name, team, path, file)
        if not team.needs and team.enabled:
            raise ScenarioError(
                "an enabled team needs at least one needs group", file=file, path=f"{path}.needs"
            )
        label = team_label(name, team)
        if label in labels:
            raise ScenarioError(
                f"team '{labels[label]}' has the label '{label}' too; expected a label of its own",
                file=file,
                path=f"{path}.label",
            )
        labels[label] = name
    for i, name in enumerate(pol.pathway.teams):
        if not isinstance(name, str):
            raise ScenarioError(
                f"expected a team's name (text), got {type(name).__name__} {name!r}"[:120],
                file=file,
                path=f"policies.pathway.teams[{i}]",
            )
        if name not in pol.teams:
            raise ScenarioError(
                f"unknown team '{name}' (the scenario's teams: {', '.join(pol.teams)})",
                file=file,
                path=f"policies.pathway.teams[{i}]",
            )


def _check_kind(name: str, team: Team, path: str, file: str | None) -> None:
    """Return a team's kind: given, or the kind of its name.

    A team named after a kind is of that kind (so that ``act`` always means ACT).
    """
    if team.kind is None and name not in TEAM_KINDS:
        raise ScenarioError(
            f"expected the team's kind (one of {', '.join(TEAM_KINDS)}): '{name}' is not the "
            "name of a kind",
            file=file,
            path=f"{path}.kind",
        )
    if team.kind is not None and name in TEAM_KINDS and team.kind != name:
        raise ScenarioError(
            f"a team named '{name}' is of kind {name}; give a team of kind {team.kind} "
            "another name",
            file=file,
            path=f"{path}.kind",
        )


def _check_length(name: str, team: Team, path: str, file: str | None) -> None:
    """Time-limited teams have a length (phases adding up to it); open-ended ones none."""
    kind = team_kind(name, team)
    if len(team.phases) > MAX_PHASES:
        raise ScenarioError(
            f"{len(team.phases)} phases, expected at most {MAX_PHASES}",
            file=file,
            path=f"{path}.phases",
        )
    if not kind.time_limited and (team.duration_weeks is not None or team.phases):
        key = "duration_weeks" if team.duration_weeks is not None else "phases"
        raise ScenarioError(
            f"a team of kind {kind.name} is open-ended (it ends with end_per_week); expected "
            f"no {key}",
            file=file,
            path=f"{path}.{key}",
        )
    if kind.time_limited and team.enabled and team.duration_weeks is None:
        raise ScenarioError(
            f"a team of kind {kind.name} is time-limited; expected duration_weeks",
            file=file,
            path=f"{path}.duration_weeks",
        )
    if team.phases:
        total = sum(ph.weeks for ph in team.phases)
        if team.duration_weeks is None or total != team.duration_weeks:
            raise ScenarioError(
                f"phase weeks add up to {total}, expected duration_weeks ({team.duration_weeks})",
                file=file,
                path=f"{path}.phases",
            )
