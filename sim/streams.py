"""Random streams: one independent generator per source of chance.

A run's streams derive from a root seed and the run's key (e.g. the replication
index) through numpy's SeedSequence, never from worker count or order. Each source of
chance (moves, entries, places...) has its own stream, so that a policy that changes
how many draws one part makes does not shift the draws of any other part: this is
what makes common random numbers work when scenarios are compared.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba.typed import List

from sim.compiled import njit

#: Named sources of chance. Append new names at the end: the position is the key.
STREAMS: tuple[str, ...] = (
    "init",
    "moves",
    "entries",
    "places",
    "support",
    "prevention",
    "mesa",
    "kinds",
    "nights",
)


def run_seed(root: int, *key: int) -> np.random.SeedSequence:
    """The seed of one run: ``root`` plus a key such as ``(replication,)``."""
    return np.random.SeedSequence(entropy=int(root), spawn_key=tuple(int(k) for k in key))


def as_seed_sequence(seed: int | np.random.SeedSequence | None) -> np.random.SeedSequence:
    """Accept an int, a SeedSequence or None (fresh entropy)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    return np.random.SeedSequence(seed)


def make_streams(
    seed: int | np.random.SeedSequence | None, names: Sequence[str] = STREAMS
) -> dict[str, np.random.Generator]:
    """One PCG64 generator per named stream, all children of ``seed``."""
    ss = as_seed_sequence(seed)
    out = {}
    for name in names:
        child = np.random.SeedSequence(
            entropy=ss.entropy, spawn_key=(*ss.spawn_key, STREAMS.index(name))
        )
        out[name] = np.random.Generator(np.random.PCG64(child))
    return out


#: The streams the compiled loops draw from, in the order of :func:`compiled_streams`
#: (the moves stream is drawn inline, through ``sim.pcg.LiveState``).
COMPILED_STREAMS: tuple[str, ...] = ("nights", "places", "support")
NIGHTS, PLACES, SUPPORT = range(len(COMPILED_STREAMS))


@njit(cache=True)
def _listed(nights, places, support):
    out = List()
    out.append(nights)
    out.append(places)
    out.append(support)
    return out


def compiled_streams(streams: dict[str, np.random.Generator]) -> List:
    """The generators of :data:`COMPILED_STREAMS` in a numba list, for the compiled loops.

    The list holds the same generators (their bit generators' state), so draws made in
    a compiled loop and in numpy advance one stream. Handing a numpy Generator to a
    compiled function costs some 20 microseconds a call (numba reads its bit
    generator through ctypes); the list is read once, when it is made, and then costs
    a few microseconds a call.
    """
    return _listed(*(streams[name] for name in COMPILED_STREAMS))
