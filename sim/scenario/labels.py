"""Words for scenario keys and codes, for reports and the dashboard.

Scenario files and result tables use short codes (``at_risk``, ``housing_first``,
``places.starter.capacity``); people reading a report should see words. This list
lives beside the schema so that a new key gets its words where it is defined.
:func:`key_label` turns a dotted key path into words, :func:`code_label` a code
value (a situation, a pathway, a payer, a priority rule). A key or code with no entry
falls back to its own name with spaces for underscores, never to a dotted path.
Support teams are named by their ``label`` (:func:`team_labels`), scenarios by the first
sentence of their ``description`` (:func:`scenario_titles`), in reports and figures alike.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: Housing situations (sim.situations.SITUATIONS).
SITUATIONS: dict[str, str] = {
    "own": "own home",
    "at_risk": "at risk of eviction",
    "rough": "rough sleeping",
    "night_shelter": "night shelter",
    "shelter": "shelter (§110)",
    "friends": "with family or friends",
    "starter": "starter homes",
    "alternative": "alternative housing",
    "supported": "supported housing",
    "left": "left (died or moved away)",
}

#: Needs groups, age bands and the situation groups used in cost and service keys.
GROUPS: dict[str, str] = {
    "low": "low needs",
    "medium": "medium needs",
    "high": "high needs",
    "18-24": "aged 18-24",
    "25-29": "aged 25-29",
    "30+": "aged 30 and over",
    "default": "default",
    "homeless": "while homeless",
    "housed": "while housed",
}

#: Support teams and other policies.
POLICIES: dict[str, str] = {
    "cti": "CTI",
    "icm": "ICM",
    "act": "ACT",
    "floating": "floating support",
    "rapid_rehousing": "rapid re-housing",
    "pathway": "pathway",
    "teams": "support teams",
    "prevention": "eviction prevention",
    "youth": "youth",
    "floating_support": "floating support",
}

#: Values a scenario may give as a code (choices of the schema).
CODES: dict[str, str] = {
    "none": "none",
    "staircase": "staircase model",
    "housing_first": "Housing First",
    "first_come": "first come, first served",
    "longest_homeless": "longest homeless first",
    "highest_needs": "highest needs first",
    "youngest_first": "youngest first",
    "municipality": "municipality",
    "region": "region",
    "state": "state",
    "citizen": "citizen",
    "assigned_home": "homes assigned by the municipality",
    **SITUATIONS,
    **POLICIES,
}

#: Top-level sections of a scenario.
SECTIONS: dict[str, str] = {
    "setting": "Setting",
    "initial": "At the start",
    "entries": "Entries",
    "exits": "Exits",
    "transitions": "Weekly chance of moving",
    "duration_dependence": "Duration dependence",
    "rehousing": "After rehousing",
    "places": "Places",
    "housing": "Housing",
    "policies": "Policies",
    "changes": "Changes",
    "costs": "Costs",
    "disabled": "Situations left out",
    "name": "Name",
    "description": "Description",
    "extends": "Extends",
}

#: Fields of the schema's sections.
FIELDS: dict[str, str] = {
    "municipality": "municipality",
    "start_year": "first year",
    "years": "horizon (years)",
    "scale": "scale",
    "pit_week": "week of the point-in-time count",
    "counts": "persons",
    "needs_mix": "needs mix",
    "age_mix": "age mix",
    "spell_weeks_mean": "mean time already homeless (weeks)",
    "share": "share",
    "to": "goes to",
    "per_week": "entrants per week",
    "routes": "routes",
    "eviction": "eviction",
    "release": "release from prison or hospital",
    "moving_in": "moving in",
    "death_per_year_homeless": "deaths per year while homeless",
    "death_per_year_housed": "deaths per year while housed",
    "move_away_per_year": "moving away per year",
    "enabled": "on",
    "half_life_weeks": "half-life (weeks)",
    "floor": "floor",
    "multiplier": "multiplier",
    "weeks": "weeks",
    "capacity": "places",
    "priority": "waiting-list order",
    "overflow": "when full, goes to",
    "assignments_per_week": "homes assigned by the municipality per week",
    "self_found_share": "share of homes found without assignment",
    "date": "date",
    "set": "set",
    "staff": "staff",
    "kind": "kind of team",
    "label": "name in tables",
    "caseload": "caseload per staff",
    "needs": "needs groups",
    "ages": "age bands",
    "situations": "situations",
    "referral_per_week": "referrals per week",
    "on_housing": "referred on housing",
    "duration_weeks": "duration (weeks)",
    "end_per_week": "weekly chance of ending",
    "m_house": "effect on the chance of being housed",
    "m_loss": "effect on the chance of losing a home",
    "phases": "phases",
    "services": "services",
    "model": "model",
    "readiness_weeks": "readiness (weeks)",
    "fidelity": "fidelity",
    "reach_per_week": "tenancies reached per week",
    "reserved_starter_homes": "starter homes reserved",
    "eviction_risk": "eviction risk",
    "support": "support",
    "currency": "currency",
    "price_year": "price year",
    "price_index": "price index",
    "price_index_source": "source of the price index",
    "discount_rate": "discount rate",
    "long_rate": "long-term discount rate",
    "long_rate_from": "long-term rate from year",
    "price": "price",
    "payers": "payers",
    "own_payment": "own payment",
    "use": "use",
    "effects": "health effects",
    "utilities": "quality of life",
    "chronic_weeks": "weeks to count as long-term homeless",
    "psychiatric_bed_days": "psychiatric bed days",
    "somatic_bed_days": "somatic bed days",
    "emergency_visits": "emergency room visits",
    "police_contacts": "police contacts",
    "prison_days": "prison days",
    "substance_treatment_weeks": "substance treatment weeks",
    "utility": "quality of life",
}

_ALL: dict[str, str] = {**FIELDS, **GROUPS, **POLICIES, **SITUATIONS}
_INDEX = re.compile(r"\[(\d+)\]")


def word(part: str) -> str:
    """Words for one part of a key path (a field, a situation, a team, a year)."""
    if part in _ALL:
        return _ALL[part]
    if part in SECTIONS:
        return SECTIONS[part].lower()
    # a team's name made of parts (``youth_icm``): the kinds of team in their words
    return " ".join(POLICIES.get(p, p) for p in part.split("_") if p)


def words(code: str, teams: Mapping[str, str] | None = None) -> str:
    """Words for a compound code (``support_cti`` -> "support CTI").

    The whole code's words if it has words of its own (a team's label in ``teams``,
    name -> label, first), else each part's between underscores.
    """
    if teams and code in teams:
        return teams[code]
    if code in _ALL or code in CODES:
        return _ALL.get(code) or CODES[code]
    return " ".join(word(p) for p in code.split("_") if p)


def team_words(name: str, label: str | None = None) -> str:
    """A support team for people: its ``label`` if given, else its name in words.

    ``youth_icm`` with no label -> "youth ICM"; a team named after its kind keeps the
    kind's words (``icm`` -> "ICM").
    """
    return label or word(name)


def team_labels(scenario: Mapping[str, Any]) -> dict[str, str]:
    """Name -> words of every team a scenario mapping names (``policies.teams``).

    ``scenario`` is a scenario as written or as run (a manifest's ``as_run``); a team's
    ``label`` is used where given, else its name in words (:func:`team_words`).
    """
    policies = scenario.get("policies")
    teams = policies.get("teams") if isinstance(policies, Mapping) else None
    if not isinstance(teams, Mapping):
        return {}
    out = {}
    for name, team in teams.items():
        label = team.get("label") if isinstance(team, Mapping) else None
        out[str(name)] = team_words(str(name), label if isinstance(label, str) else None)
    return out


def code_label(value: object) -> str:
    """Words for a code value (``housing_first`` -> "Housing First"); others as they are."""
    if isinstance(value, str):
        return CODES.get(value, value)
    return str(value)


def _parts(path: str) -> list[str]:
    """Parts of ``a.b[2].c``: ['a', 'b', '#3', 'c'] (list items counted from 1)."""
    out: list[str] = []
    for piece in path.split("."):
        head, *_ = piece.split("[", 1)
        if head:
            out.append(head)
        out += [f"#{int(i) + 1}" for i in _INDEX.findall(piece)]
    return out


def key_label(path: str, teams: Mapping[str, str] | None = None) -> str:
    """Words for a dotted scenario key.

    ``places.starter.capacity`` -> "Places: starter homes, places";
    ``transitions.high.shelter.own`` -> "Weekly chance of moving, high needs: shelter
    (§110) to own home". A team in ``policies.teams`` or ``costs.support`` /
    ``costs.staff`` is named by ``teams`` (name -> label, :func:`team_labels`) where it
    is there, else by its name in words.
    """
    parts = _parts(path)
    if not parts:
        return ""
    head, rest = parts[0], parts[1:]
    if head == "transitions" and len(rest) == 3:
        return f"{SECTIONS['transitions']}, {word(rest[0])}: {word(rest[1])} to {word(rest[2])}"
    title = SECTIONS.get(head, word(head).capitalize())
    if not rest:
        return title
    team_at = 1 if (head, rest[0]) in _TEAM_KEYS else None
    shown = [
        f"change {p[1:]}"
        if p.startswith("#") and head == "changes"
        else (f"item {p[1:]}" if p.startswith("#") else word(p))
        for p in rest
    ]
    if team_at is not None and len(rest) > team_at and teams and rest[team_at] in teams:
        shown[team_at] = teams[rest[team_at]]
    return f"{title}: {', '.join(shown)}"


#: (section, part) pairs whose next part is a team's name.
_TEAM_KEYS = {("policies", "teams"), ("costs", "support"), ("costs", "staff")}


def parameter_label(name: str, teams: Mapping[str, str] | None = None) -> str:
    """Words for a parameter's dotted key, or for a name given by hand (a group's)."""
    return key_label(name, teams) if looks_like_key(name) else words(name, teams)


def looks_like_key(text: str) -> bool:
    """Whether ``text`` holds a dotted scenario key (``a.b`` of lower-case words)."""
    return bool(DOTTED_KEY.search(text))


#: A dotted key: a top-level section of the schema followed by ``.name`` parts.
_SECTION_NAMES = "|".join(sorted(SECTIONS, key=len, reverse=True))
DOTTED_KEY = re.compile(rf"\b(?:{_SECTION_NAMES})(?:\.[a-z_][a-z0-9_]*)+\b")


def in_words(text: str) -> str:
    """``text`` with each dotted scenario key (quoted or not) replaced by its words.

    For messages such as a failed run's error.
    """
    return re.sub(rf"'?({DOTTED_KEY.pattern})'?", lambda m: key_label(m.group(1)), text)


# ---------------------------------------------------------------- scenario titles

#: Longest title used where space is short (table columns, headings, legends); longer
#: ones are cut at a colon, else at a comma.
SHORT_TITLE = 90

_SENTENCE_END = re.compile(r"\.(\s|$)")


def first_sentence(text: str) -> str:
    """The first sentence of ``text`` (a full stop inside brackets does not end it)."""
    depth = 0
    for i, ch in enumerate(text):
        depth += (ch == "(") - (ch == ")")
        if ch == "." and depth == 0 and _SENTENCE_END.match(text, i):
            return text[:i].strip()
    return text.strip()


def name_in_words(name: str) -> str:
    """A scenario name as a title, for scenarios with no description."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:]


def scenario_title(name: str, description: str | None = None) -> str:
    """A scenario's title: the first sentence of its description, else its name in words."""
    desc = " ".join(str(description or "").split())
    return first_sentence(desc) if desc else name_in_words(name)


def short_scenario_title(name: str, description: str | None = None) -> str:
    """A title short enough for a table column or a legend: cut at a colon or comma."""
    title = scenario_title(name, description)
    at = title.find(": ", 10)
    if 0 < at <= SHORT_TITLE:
        return title[:at]
    if len(title) <= SHORT_TITLE:
        return title
    for sep in (": ", ", "):
        at = title.find(sep, 10)
        if 0 < at <= SHORT_TITLE:
            return title[:at]
    return title[:SHORT_TITLE].rsplit(" ", 1)[0] + "..."


def scenario_titles(described: Mapping[str, str | None], short: bool = True) -> dict[str, str]:
    """Titles of scenarios given as name -> description.

    Where two would read the same, the full titles; where those do too, the names in
    words.
    """
    pick = short_scenario_title if short else scenario_title
    out = {n: pick(n, d) for n, d in described.items()}
    if len(set(out.values())) < len(out):
        out = {n: scenario_title(n, d) for n, d in described.items()}
    if len(set(out.values())) < len(out):
        out = {n: name_in_words(n) for n in described}
    return out


def titles_of(scenarios: Any) -> dict[str, str]:
    """Short titles of loaded scenarios (each with ``name`` and ``params.description``)."""
    return scenario_titles({sc.name: sc.params.description for sc in scenarios})
