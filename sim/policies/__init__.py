"""Support policies on top of the core model, one module each, one lifecycle.

- ``lifecycle``: the ``Policy`` protocol every policy follows (the arrays it declares,
  before the moves, filter the moves, multipliers, on a move, after the week, and the
  rules it sets for the lists for places);
- ``support``: support teams named in the scenario, each of a kind (CTI, rapid
  re-housing, ICM, ACT, floating support): caseloads, duration, effects;
- ``team_lists``: the teams' waiting lists (one class owns them);
- ``team_rules``: a team's rules as lookup tables, and the effect states of support;
- ``pathway``: the staircase model or Housing First;
- ``prevention``: eviction prevention;
- ``youth``: under-30s first for starter homes, and starter homes kept for them.

``PolicySet`` holds the policies in force and calls them at each point of the week.
"""

from sim.policies.runtime import PolicySet

__all__ = ["PolicySet"]
