"""The dashboard page with a model whose weekly step fails, for the browser test that
checks a failing scenario shows a message in the page (served by solara from here)."""

from __future__ import annotations

from sim import dashboard
from sim.model import HomelessnessModel


def _fail(self: HomelessnessModel) -> None:
    raise AttributeError("'CitizenArrays' object has no attribute 'team'")


HomelessnessModel.step = _fail  # type: ignore[method-assign]
Page = dashboard.Page
