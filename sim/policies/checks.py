"""Validation of the policy keys that span several fields."""

from __future__ import annotations

from sim.scenario.errors import ScenarioError
from sim.scenario.policy_schema import MAX_PHASES, TEAM_NAMES, Phase, Policies


def check_policies(pol: Policies, file: str | None) -> None:
    """Phases add up to the duration; enabled teams have places to give."""
    from sim.scenario.loader import build  # the loader imports this module lazily

    for name in TEAM_NAMES:
        team = getattr(pol.teams, name)
        path = f"policies.teams.{name}"
        phases = [build(Phase, ph, f"{path}.phases[{i}]", file) for i, ph in enumerate(team.phases)]
        if len(phases) > MAX_PHASES:
            raise ScenarioError(
                f"{len(phases)} phases, expected at most {MAX_PHASES}",
                file=file,
                path=f"{path}.phases",
            )
        if phases:
            total = sum(ph.weeks for ph in phases)
            if team.duration_weeks is None or total != team.duration_weeks:
                raise ScenarioError(
                    f"phase weeks add up to {total}, expected duration_weeks "
                    f"({team.duration_weeks})",
                    file=file,
                    path=f"{path}.phases",
                )
        if not team.needs and team.enabled:
            raise ScenarioError(
                "an enabled team needs at least one needs group", file=file, path=f"{path}.needs"
            )
