"""The runs of a plan, kept by candidate and replication so that nothing is run twice.

Every run of a plan (the base's and each candidate's) is one row of ``plan_runs.parquet``
in the results folder, written atomically after each batch. A stopped plan resumes from
it: the search asks the same candidates again (its sampler is seeded) and finds their
runs done.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from sim.plan.evaluate import Candidate, candidate_raw, run_plan_tasks, tasks_for
from sim.plan.spec import PlanSpec
from sim.results_io import write_parquet

BASE = "base"
FILE = "plan_runs.parquet"


def candidate_id(values: Candidate | None) -> str:
    """A short stable name of a candidate (``base`` for the base scenario itself)."""
    if values is None:
        return BASE
    text = json.dumps([float(v) for v in values])
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class PlanRuns:
    """Per-replication outcomes of the base and of every candidate run so far."""

    def __init__(
        self,
        spec: PlanSpec,
        out_dir: Path | None,
        workers: int = 1,
        progress: bool = False,
        scheduler: Any = None,
        engine: Any = None,
    ):
        self.spec = spec
        self.engine = engine  # a batch engine kept for every call (None: one per call)
        self.path = None if out_dir is None else Path(out_dir) / FILE
        self.workers = workers
        self.scheduler = scheduler
        self.progress = progress
        self.frames: dict[str, pd.DataFrame] = {}
        self.values: dict[str, Candidate] = {}
        self.runs_made = 0
        if self.path is not None and self.path.is_file():
            self._load(pd.read_parquet(self.path))

    def _load(self, table: pd.DataFrame) -> None:
        names = [v.key for v in self.spec.variables]
        for cid, grp in table.groupby("candidate", sort=False):
            frame = grp.drop(columns=["candidate", *names]).set_index("replication")
            self.frames[str(cid)] = frame.sort_index()
            if cid != BASE:
                self.values[str(cid)] = tuple(float(grp[n].iloc[0]) for n in names)

    def get(self, values: Candidate | None, replications: int) -> pd.DataFrame:
        """Outcomes of replications ``0 .. replications-1`` (runs what is missing)."""
        self.ensure([values], replications)
        return self.frames[candidate_id(values)].iloc[:replications]

    def ensure(
        self, candidates: Sequence[Candidate | None], replications: int | Sequence[int]
    ) -> None:
        """Run what is missing so that each candidate has its replications; then save.

        All the candidates' runs go in one call to the engine.
        """
        counts = (
            [replications] * len(candidates)
            if isinstance(replications, int)
            else list(replications)
        )
        wanted: dict[str, tuple[Candidate | None, int]] = {}
        for values, n in zip(candidates, counts, strict=True):
            cid = candidate_id(values)
            wanted[cid] = (values, max(n, wanted.get(cid, (None, 0))[1]))
        tasks, owners = [], []
        for cid, (values, n) in wanted.items():
            have = len(self.frames.get(cid, ()))
            if have >= n:
                continue
            raw = self.spec.base.raw if values is None else candidate_raw(self.spec, values)
            new = tasks_for(self.spec, raw, range(have, n))
            tasks += new
            owners += [(cid, values, t[2]) for t in new]
        if not tasks:
            return
        rows = run_plan_tasks(tasks, self.workers, self.scheduler, self.progress, self.engine)
        self.runs_made += len(rows)
        for cid in dict.fromkeys(o[0] for o in owners):
            mine = [(o, r) for o, r in zip(owners, rows, strict=True) if o[0] == cid]
            frame = pd.DataFrame(
                [r for _, r in mine], index=pd.Index([o[2] for o, _ in mine], name="replication")
            )
            old = self.frames.get(cid)
            self.frames[cid] = frame if old is None else pd.concat([old, frame]).sort_index()
            if mine[0][0][1] is not None:
                self.values[cid] = mine[0][0][1]
        self.save()

    def save(self) -> None:
        """Write every run so far (atomically)."""
        if self.path is None:
            return
        names = [v.key for v in self.spec.variables]
        parts = []
        for cid, frame in self.frames.items():
            part = frame.reset_index()
            part.insert(0, "candidate", cid)
            values = self.values.get(cid, tuple(float("nan") for _ in names))
            for n, v in zip(names, values, strict=True):
                part[n] = float(v)
            parts.append(part)
        write_parquet(self.path, pd.concat(parts, ignore_index=True))
