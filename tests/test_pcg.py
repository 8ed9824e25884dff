"""Inline PCG64 draws (``sim.pcg``) are numpy's, bit for bit, and share its state."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from sim.pcg import LAYOUTS, LiveState, draw_doubles


def _pair(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    return (np.random.Generator(np.random.PCG64(seed)), np.random.Generator(np.random.PCG64(seed)))


@pytest.mark.parametrize("seed", [0, 1, 12345, 2**63 + 7])
@pytest.mark.parametrize("n", [0, 1, 7, 1000])
def test_inline_draws_are_numpys(seed: int, n: int) -> None:
    inline, numpy_side = _pair(seed)
    state = LiveState(inline)
    got = draw_doubles(state.words, state.order, n)
    assert np.array_equal(got, numpy_side.random(n))
    # the generator itself has moved on by n draws: the next numbers agree too
    assert np.array_equal(inline.random(5), numpy_side.random(5))


def test_the_state_is_the_generators_own_memory() -> None:
    """numpy draws, inline draws and numba's Generator draws advance one stream."""

    @njit
    def numba_draws(rng, n):
        out = np.empty(n)
        for j in range(n):
            out[j] = rng.random()
        return out

    g, ref = _pair(99)
    state = LiveState(g)
    assert state.live  # numpy's usual layout on 64-bit builds
    parts = [g.random(3), draw_doubles(state.words, state.order, 4), numba_draws(g, 5)]
    parts.append(draw_doubles(state.words, state.order, 2))
    assert np.array_equal(np.concatenate(parts), ref.random(14))


def test_copied_state_is_pulled_and_pushed() -> None:
    """Where the memory cannot be viewed, a copy kept in step gives the same numbers."""
    g, ref = _pair(5)
    state = LiveState(g, copy=True)
    assert not state.live
    first = g.random(10)  # drawn by numpy after the copy was made: pull picks it up
    state.pull()
    got = draw_doubles(state.words, state.order, 6)
    state.push()
    assert np.array_equal(np.concatenate([first, got, g.random(3)]), ref.random(19))


def test_emulated_layout_high_word_first() -> None:
    """numpy's emulated 128-bit state (high word first) is read through ``order``."""
    g, ref = _pair(3)
    lo_first = LiveState(g, copy=True).words
    words = lo_first[[1, 0, 3, 2]].copy()
    got = draw_doubles(words, LAYOUTS[1], 50)
    assert np.array_equal(got, ref.random(50))


def test_other_bit_generators_are_refused() -> None:
    with pytest.raises(TypeError, match="PCG64"):
        LiveState(np.random.Generator(np.random.Philox(1)))
