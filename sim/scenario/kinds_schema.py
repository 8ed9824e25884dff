"""Scenario keys for kinds of users and for returns after rehousing.

A *kind* is a citizen's latent way of using homelessness services (Kuhn & Culhane
1998: transitional, episodic, chronic), drawn once when the citizen enters. It scales
how long they stay in each homeless situation, which situations they go to, and how
soon they lose a home again. *Returns* give the risk of losing a home by the time
since moving in from homelessness, in bands of months, optionally by kind.

Kind names are the scenario's own, so the checks that need them (every mix names the
same kinds, multipliers name known kinds) are in :func:`check_kinds`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario.errors import ScenarioError
from sim.scenario.fields import spec
from sim.situations import AGE_BANDS, HOMELESS_MASK, LIVING, NEEDS, SITUATIONS

#: Keys of ``kinds.shares``: 'default', a needs group, or a needs group and an age band.
SHARE_KEYS: tuple[str, ...] = ("default", *NEEDS, *(f"{g}/{b}" for g in NEEDS for b in AGE_BANDS))
HOMELESS_NAMES: tuple[str, ...] = tuple(s for k, s in enumerate(SITUATIONS) if HOMELESS_MASK[k])


@dataclass(frozen=True)
class Kinds:
    """Latent kinds of users, drawn at entry (and for the week-0 population).

    Without this section every citizen is of one kind and the model is as before.
    """

    shares: dict = spec(
        "Shares of each kind, by who enters: kinds.shares.<key>.<kind>, where <key> is "
        "'default' (required; its kinds are the scenario's kinds), a needs group "
        "('high') or a needs group and age band ('high/18-24'); the most specific key "
        "that exists applies. Each mix adds up to 1.",
        factory=dict,
        keys=SHARE_KEYS,
        ge=0,
        le=1,
    )
    homeless_shares: dict = spec(
        "Shares of each kind among those homeless in week 0, keyed as kinds.shares "
        "(default: kinds.shares). Long stays are over-represented in a stock, so the "
        "kinds of those homeless at a point in time differ from those of entrants.",
        factory=dict,
        keys=SHARE_KEYS,
        ge=0,
        le=1,
    )
    exit: dict = spec(
        "Multiplier on the weekly chance of leaving a homeless situation, by kind: "
        "kinds.exit.<kind> (every homeless situation) or kinds.exit.<kind>.<situation>. "
        "Below 1: longer stays. Death and moving away are not scaled.",
        factory=dict,
        ge=0,
        le=100,
    )
    tilt: dict = spec(
        "Multiplier on the share of moves that go to a situation, by kind: "
        "kinds.tilt.<kind>.<situation>. The chance of leaving stays the same; only "
        "where people go changes.",
        factory=dict,
        ge=0,
        le=100,
    )
    returns: dict = spec(
        "Multiplier on the weekly chance of losing a home (moving from a housed "
        "situation into homelessness), by kind: kinds.returns.<kind>.",
        factory=dict,
        ge=0,
        le=100,
    )


@dataclass(frozen=True)
class Returns:
    """The risk of losing a home by time since moving in from homelessness.

    Months are counted from the move into a home; band ``i`` covers ``months[i-1]`` to
    ``months[i]`` (the first from 0). After the last edge the ordinary risk holds.
    Without this section the bands are the one band of ``rehousing``.
    """

    months: list = spec(
        "Upper edges of the bands, in months after moving in, increasing "
        "(e.g. [6, 12, 24]: 0-6, 6-12, 12-24; after 24 months the ordinary risk).",
        factory=list,
    )
    multiplier: dict = spec(
        "Multiplier on the chance of losing the home in each band: "
        "returns.multiplier.<kind or 'default'> is a list, one number per band "
        "(each in [0, 100]).",
        factory=dict,
    )


def kind_names(kinds: Kinds) -> tuple[str, ...]:
    """The scenario's kinds, in the order of ``kinds.shares.default`` (one if none)."""
    default = kinds.shares.get("default")
    return tuple(default) if default else ("all",)


def check_kinds(kinds: Kinds, returns: Returns, file: str | None) -> None:
    """Checks of the kinds and returns sections that need the scenario's kind names."""
    if kinds.shares and "default" not in kinds.shares:
        raise ScenarioError(
            "expected a 'default' mix naming every kind", file=file, path="kinds.shares"
        )
    names = kind_names(kinds)
    if kinds.homeless_shares and "default" not in kinds.homeless_shares:
        raise ScenarioError(
            "expected a 'default' mix naming every kind", file=file, path="kinds.homeless_shares"
        )
    _check_mixes(kinds, names, file)
    if not kinds.shares and (kinds.exit or kinds.tilt or kinds.returns or kinds.homeless_shares):
        raise ScenarioError("expected kinds.shares naming the kinds first", file=file, path="kinds")
    for section, allowed in (("exit", HOMELESS_NAMES), ("tilt", LIVING), ("returns", None)):
        for kind, value in getattr(kinds, section).items():
            path = f"kinds.{section}.{kind}"
            if kind not in names:
                raise ScenarioError(
                    f"unknown kind '{kind}' (expected one of {', '.join(names)})",
                    file=file,
                    path=path,
                )
            _check_by_situation(value, allowed, path, file)
    _check_returns(returns, names, file)


def _check_mixes(kinds: Kinds, names: tuple[str, ...], file: str | None) -> None:
    """Every mix of ``shares`` and ``homeless_shares`` gives each kind a share; they add to 1."""
    mixes = [("shares", k, m) for k, m in kinds.shares.items()]
    mixes += [("homeless_shares", k, m) for k, m in kinds.homeless_shares.items()]
    for section, key, mix in mixes:
        path = f"kinds.{section}.{key}"
        if not isinstance(mix, dict):
            raise ScenarioError("expected a mapping {kind: share}", file=file, path=path)
        if set(mix) != set(names):
            raise ScenarioError(
                f"expected shares of the kinds {', '.join(names)}, got {', '.join(map(str, mix))}",
                file=file,
                path=path,
            )
        total = sum(mix.values())
        if abs(total - 1.0) > 1e-6:
            raise ScenarioError(
                f"expected shares adding up to 1, they add up to {total:.6g}", file=file, path=path
            )


def _check_by_situation(
    value, allowed: tuple[str, ...] | None, path: str, file: str | None
) -> None:
    """A multiplier is a number or (where ``allowed``) a mapping of situations."""
    if isinstance(value, dict) and allowed is not None:
        for sit in value:
            if sit not in allowed:
                raise ScenarioError(
                    f"unknown situation '{sit}' (expected one of {', '.join(allowed)})",
                    file=file,
                    path=f"{path}.{sit}",
                )
        return
    if isinstance(value, dict):
        raise ScenarioError("expected a number", file=file, path=path)


def _check_returns(returns: Returns, names: tuple[str, ...], file: str | None) -> None:
    """The return bands' months rise, and each kind's multipliers give one per band."""
    months = returns.months
    _check_months(months, file)
    if returns.multiplier and not months:
        raise ScenarioError(
            "expected returns.months giving the bands", file=file, path="returns.months"
        )
    if months and "default" not in returns.multiplier:
        raise ScenarioError(
            "expected a 'default' list of multipliers, one per band",
            file=file,
            path="returns.multiplier",
        )
    for key, values in returns.multiplier.items():
        path = f"returns.multiplier.{key}"
        if key != "default" and key not in names:
            raise ScenarioError(
                f"unknown kind '{key}' (expected 'default' or one of {', '.join(names)})",
                file=file,
                path=path,
            )
        if not isinstance(values, list) or len(values) != len(months):
            raise ScenarioError(
                f"expected a list of {len(months)} multipliers, one per band", file=file, path=path
            )
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v <= 100:
                raise ScenarioError(
                    f"expected a number in [0, 100], got {v!r}", file=file, path=f"{path}[{i}]"
                )


def _check_months(months: list, file: str | None) -> None:
    """The months at which the return bands end: numbers above 0, increasing."""
    for i, m in enumerate(months):
        if isinstance(m, bool) or not isinstance(m, int | float) or m <= 0:
            raise ScenarioError(
                f"expected a number of months above 0, got {m!r}",
                file=file,
                path=f"returns.months[{i}]",
            )
        if i and m <= months[i - 1]:
            raise ScenarioError(
                "expected months increasing from band to band",
                file=file,
                path=f"returns.months[{i}]",
            )
