"""The speed limit: the simplest weekly kernel of homesim's shape, in plain numpy.

Each week: one uniform per citizen, a table lookup of the chance of leaving by row
code, destinations resolved for the movers only (cumulative search of their rows),
and first-come places (a move into a full place waits on its list until a place is
free). No spells, no policies, no tallies beyond counts by situation. homesim's
time divided by this one's (``benchmarks/bench_model.py``) says what the model's
bookkeeping costs over the bare kernel.

Usage: python benchmarks/limit.py [citizens] [weeks]
"""

from __future__ import annotations

import sys
import time

import numpy as np

N_SIT = 10  # situations, as homesim's (the last one absorbing: left)
N_CODES = 2 * N_SIT * 3  # rows: (rehoused, situation, needs), as homesim's base block
LIMITED = (3, 4, 6, 7, 8)  # situations with places


def tables(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random weekly move rows (about 1% leave a week) and their chance of leaving."""
    rows = rng.random((N_CODES, N_SIT)) * (rng.random((N_CODES, N_SIT)) < 0.4)
    rows *= 0.01 / np.maximum(rows.sum(axis=1, keepdims=True), 1e-12)
    sit = (np.arange(N_CODES) // 3) % N_SIT
    rows[np.arange(N_CODES), sit] = 0.0
    rows[sit == N_SIT - 1] = 0.0
    return rows, rows.sum(axis=1)


def run(n: int, weeks: int, seed: int = 1) -> tuple[float, int]:
    """Step ``n`` citizens for ``weeks`` weeks; returns (seconds, citizen-weeks)."""
    rng = np.random.default_rng(seed)
    rows, leave = tables(rng)
    cum = np.cumsum(rows, axis=1)
    needs = rng.integers(0, 3, n)
    sit = rng.integers(0, N_SIT - 1, n).astype(np.int8)
    code = sit.astype(np.intp) * 3 + needs
    cap = np.full(N_SIT, np.iinfo(np.int64).max)
    cap[list(LIMITED)] = np.bincount(sit, minlength=N_SIT)[list(LIMITED)] + n // 1000 + 1
    occupancy = np.bincount(sit, minlength=N_SIT).astype(np.int64)
    waiting = np.zeros(0, dtype=np.intp)
    wanted = np.zeros(0, dtype=np.int8)
    on_list = np.zeros(n, dtype=bool)
    t0 = time.perf_counter()
    steps = 0
    for _ in range(weeks):
        steps += int(n - occupancy[N_SIT - 1])
        u = rng.random(n)
        movers = np.flatnonzero((u < leave[code]) & ~on_list)  # waiters keep waiting
        c = cum[code[movers]]
        dest = (c > u[movers, None]).argmax(axis=1).astype(np.int8)
        # first come, first served: last week's waiting list before this week's movers
        cand = np.concatenate([waiting, movers])
        to = np.concatenate([wanted, dest])
        occupancy -= np.bincount(sit[movers], minlength=N_SIT)
        order = np.argsort(to, kind="stable")
        cand, to = cand[order], to[order]
        first = np.searchsorted(to, np.arange(N_SIT))
        rank = np.arange(to.size) - first[to]
        free = cap - occupancy
        ok = rank < free[to]
        occupancy += np.bincount(sit[movers], minlength=N_SIT)  # waiters stay put
        go, where = cand[ok], to[ok]
        occupancy -= np.bincount(sit[go], minlength=N_SIT)
        occupancy += np.bincount(where, minlength=N_SIT)
        sit[go] = where
        code[go] = sit[go].astype(np.intp) * 3 + needs[go]
        on_list[waiting] = False
        waiting, wanted = cand[~ok], to[~ok]
        on_list[waiting] = True
    return time.perf_counter() - t0, steps


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    weeks = int(sys.argv[2]) if len(sys.argv) > 2 else 520
    seconds, steps = run(n, weeks)
    print(
        f"limit kernel: {n:,} citizens x {weeks} weeks in {seconds:.3f} s, "
        f"{steps / seconds / 1e6:.1f} M citizen-weeks/s"
    )


if __name__ == "__main__":
    main()
