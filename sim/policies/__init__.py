"""Support policies on top of the core model, one module each.

- ``support``: CTI, ICM, ACT and floating support teams (caseloads, waiting lists,
  duration, effects);
- ``pathway``: the staircase model or Housing First;
- ``prevention``: eviction prevention;
- ``checks``: cross-key validation of the policy part of a scenario.

``PolicySet`` wires them into a model: it keeps their per-citizen arrays, acts before
each week's moves, filters moves (staircase) and supplies the multipliers that change
supported citizens' weekly chances.
"""

from sim.policies.runtime import PolicySet

__all__ = ["PolicySet"]
