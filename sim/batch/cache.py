"""The run cache of the analysis commands: one JSON file per finished run, by content.

``compare``, ``psa``, ``calibrate`` and ``sensitivity`` keep every finished run in
``DIR/runs/`` of their results folder, named by a hash of what the run is (scenario
as run, overrides, seed, replication, horizon, what it measures)::

    DIR/runs/<scenario>/<digest>.json     {"run": {...}, "summary": {...}, "extra": {...}}

A command stopped part way and started again finds its finished runs there and does
only the missing ones, whatever order it plans them in (a calibration plans its
evaluations one at a time). Files are written atomically; a 0-byte or unreadable
file counts as not done. The summary holds plain JSON numbers, which read back to
the same float64 bit for bit.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sim.batch.runs import RunOutput, RunSpec
from sim.folders import slug
from sim.results_io import plain, write_text
from sim.scenario.loader import scenario_hash

FOLDER = "runs"


def run_digest(spec: RunSpec) -> str:
    """A hash of everything a run's numbers depend on (never where or when it ran)."""
    text = json.dumps(
        [
            scenario_hash(spec.scenario),
            spec.name,
            spec.point,
            sorted((k, repr(v)) for k, v in spec.overrides.items()),
            spec.replication,
            spec.seed,
            spec.years,
            spec.seeds,
            spec.measure,
        ],
        default=str,
        separators=(",", ":"),
    )
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class RunCache:
    """Finished runs of an analysis command, found again by :func:`run_digest`."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def path(self, spec: RunSpec) -> Path:
        """Where the output of ``spec`` is stored: its scenario's folder, then its digest."""
        return self.root / slug(spec.name) / f"{run_digest(spec)}.json"

    def done(self, spec: RunSpec) -> bool:
        """Whether ``spec`` has a readable stored output."""
        return self.load(spec) is not None

    def load(self, spec: RunSpec) -> RunOutput | None:
        """The stored output of ``spec``, or None if missing, empty or unreadable."""
        try:
            data = json.loads(self.path(spec).read_text(encoding="utf-8"))
            return RunOutput(
                spec, summary=data["summary"], extra=data.get("extra"), rss=0, worker=0
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, out: RunOutput) -> None:
        """Record a finished run; a failed run is not kept (it is tried again)."""
        if not out.ok:
            return
        spec = out.spec
        write_text(
            self.path(spec),
            json.dumps(
                {
                    "run": {
                        "scenario": spec.name,
                        "point": spec.point,
                        "replication": spec.replication,
                        "seed": spec.seed,
                        "years": spec.years,
                        "overrides": plain(dict(spec.overrides)),
                    },
                    "summary": out.summary,
                    "extra": out.extra,
                },
                allow_nan=True,
            )
            + "\n",
        )

    def remove_temporaries(self) -> int:
        """Delete temporary files left by an interrupted write; returns how many."""
        n = 0
        for p in self.root.rglob(".*.tmp") if self.root.exists() else ():
            p.unlink(missing_ok=True)
            n += 1
        return n
