"""Programme outcomes measured as the evaluations measure them.

- CTI: share housed at the end of the 39 weeks of support (Danish Homelessness
  Strategy 2009-2013: 88%).
- ICM and ACT: among citizens housed while supported by the team, the share still
  housed 12 months later (76% and about 90%).
- Housing First overall: the same among everyone housed with the support of a
  programme team (``policies.pathway.teams``; Randers: about 90% keep their home).
- ACT found a home: share of ACT participants housed when their support ended or at
  the horizon (Randers ACT: 77% by the end of the project).
- Time to housing: weeks from the start of support to housing, for those housed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.outcomes import retention
from sim.scenario.policy_schema import TEAM_NAMES
from sim.situations import HOUSED_MASK

CTI, ICM, ACT = (TEAM_NAMES.index(t) for t in ("cti", "icm", "act"))


def support_spells(model) -> pd.DataFrame:
    """Support spells: team, start, end (-1: still open at the horizon), situation, needs."""
    teams = model.policies.teams
    if teams is None:
        return pd.DataFrame(columns=["team", "start", "end", "situation", "needs"])
    chunks = teams.spells(model.week)
    cols = [np.concatenate([c[i] for c in chunks]) for i in range(5)]
    return pd.DataFrame(
        dict(zip(["team", "start", "end", "situation", "needs"], cols, strict=True))
    )


def programme_outcomes(model) -> dict[str, float]:
    """Summary columns for support programmes (empty when no team works)."""
    spells = support_spells(model)
    if spells.empty:
        return {}
    out: dict[str, float] = {}
    housed_now = HOUSED_MASK[spells["situation"].to_numpy()]
    cti = spells[(spells.team == CTI) & (spells.end >= 0)]
    if len(cti):
        out["cti_housed_at_end"] = float(housed_now[cti.index].mean())
        out["cti_housed_at_end_n"] = float(len(cti))
    act = spells[spells.team == ACT]
    if len(act):
        out["act_housed_by_end"] = float(housed_now[act.index].mean())
        out["act_housed_by_end_n"] = float(len(act))
    episodes = model.recorder.episodes.frame()
    names = model.policies.support_teams
    programme = [names.index(t) for t in model.params.policies.pathway.teams]
    for name, codes in (("icm", [ICM]), ("act", [ACT]), ("programme", programme)):
        share, n = retention(episodes[episodes.support.isin(codes)], model.week, 12)
        if n:
            out[f"{name}_kept_home_12m"] = share
            out[f"{name}_kept_home_12m_n"] = float(n)
    return out
