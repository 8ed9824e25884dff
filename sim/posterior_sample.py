"""A calibration's posterior sample, as ``homesim calibrate`` writes it (``posterior.csv``).

Its rows are parameter sets, its columns dotted scenario keys (plus bookkeeping such as
``particle``, ``weight`` and ``distance``). ``homesim psa --posterior`` and
``homesim validation --posterior`` read it here and draw rows from it the same way.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd

from sim.scenario.errors import ScenarioError
from sim.userfiles import read_text

#: Largest posterior table read (bytes).
MAX_BYTES = 256 * 1024 * 1024


def read_posterior_sample(path: Path) -> pd.DataFrame:
    """The table at ``path``; ScenarioError naming the file if it is not a posterior sample."""
    text = read_text(path, max_bytes=MAX_BYTES)
    try:
        frame = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ScenarioError(f"not a readable CSV table: {exc}", file=str(path)) from None
    cols = parameter_columns(frame)
    if not cols or frame.empty:
        raise ScenarioError(
            "expected rows and columns named by dotted key paths (as "
            "'homesim calibrate --method abc' writes)",
            file=str(path),
        )
    if not all(pd.api.types.is_numeric_dtype(frame[c]) for c in cols):
        raise ScenarioError("expected numbers in every parameter column", file=str(path))
    if "weight" in frame:
        w = frame["weight"].to_numpy(float)
        if not (np.isfinite(w).all() and (w >= 0).all() and w.sum() > 0):
            raise ScenarioError(
                "expected finite weights >= 0 with a positive sum in column 'weight'",
                file=str(path),
            )
    return frame


def parameter_columns(sample: pd.DataFrame) -> list[str]:
    """The columns that are scenario keys (dotted paths)."""
    return [c for c in sample.columns if "." in c]


def draw_rows(sample: pd.DataFrame, n: int, seed: int) -> np.ndarray:
    """Indices of ``n`` rows drawn with replacement from ``default_rng([seed, 1])``.

    In proportion to the ``weight`` column of an ABC-SMC sample, else uniformly.
    """
    rng = np.random.default_rng([seed, 1])
    if "weight" in sample:
        w = sample["weight"].to_numpy(float)
        return rng.choice(len(sample), size=n, p=w / w.sum())
    return rng.integers(0, len(sample), size=n)
