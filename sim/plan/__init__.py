"""Planning: the cheapest mix of places and support that reaches a target.

A plan file (YAML) names a base scenario, decision variables (numeric scenario keys with
bounds and steps, optionally from a given year), the costs of changes the cost model does
not price, a yearly budget, targets with the probability they must be met, and an
objective. ``homesim plan`` searches the decision space with common random numbers
(``search``), confirms the best candidates with more replications and picks one with a
stated probability of correct selection (``select``), and writes the frontier, the
recommended scenario, target probabilities and a budget-impact table (``outputs``).

- ``spec``: the plan file's schema and validation;
- ``evaluate``: one candidate's runs and what they show (costs, effects, targets);
- ``search``: the global search (Optuna's TPE, or a full grid for small spaces);
- ``select``: the confirmation stage (OCBA allocation, Bonferroni bound on the PCS);
- ``outputs``: tables, figure, recommended scenario and manifest.
"""

from sim.plan.spec import PlanSpec, load_plan

__all__ = ["PlanSpec", "load_plan"]
