"""The one error type scenario and batch input problems raise.

It is defined in ``sim.errors``, below every reader of user files, so that
``sim.userfiles`` can raise it too.
"""

from sim.errors import ScenarioError

__all__ = ["ScenarioError"]
