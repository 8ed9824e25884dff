"""numpy's PCG64 drawn inline in compiled loops, bit for bit.

The weekly step draws one uniform per citizen from the moves stream. Through numba's
``Generator.random()`` each draw is a call into numpy's C library by pointer; here the
same generator's next double is computed in the loop itself: a 128-bit linear
congruential step and the XSL-RR output (O'Neill 2014, "PCG: a family of simple fast
space-efficient statistically good algorithms for random number generation"), then
the top 53 bits as a double in [0, 1), exactly as numpy's ``PCG64`` and
``Generator.random`` make them.

The loop works on the generator's own state: :class:`LiveState` is a view of the four
64-bit words numpy keeps it in (read through the bit generator's ``ctypes`` interface,
their order checked against ``bit_generator.state`` when it is made), so draws made
inline, by numba's ``Generator`` methods and by numpy advance one stream. Where the
memory layout is not one of the two numpy uses (a native 128-bit integer, low word
first, or the emulated pair, high word first), the words are a copy, which
:meth:`LiveState.pull` and :meth:`LiveState.push` carry in and out through
``bit_generator.state``: slower (some microseconds a call), the same numbers.
"""

from __future__ import annotations

import ctypes

import numpy as np
from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from sim.compiled import njit

#: PCG64's multiplier, MULT_HI * 2**64 + MULT_LO (numpy's PCG_DEFAULT_MULTIPLIER_128).
MULT_HI = np.uint64(2549297995355413924)
MULT_LO = np.uint64(4865540595714422341)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_ROTATE = np.uint64(58)  # the top 6 bits of the state give the rotation
_TO_53 = np.uint64(11)
_MASK = np.uint64(63)
_BITS = np.uint64(64)
_TO_DOUBLE = 1.0 / 9007199254740992.0  # 2**-53

#: Word positions of (state low, state high, increment low, increment high).
LAYOUTS = (np.array([0, 1, 2, 3], np.intp), np.array([1, 0, 3, 2], np.intp))


@intrinsic
def _mulhi(typingctx, a, b):
    """The high 64 bits of the 128-bit product of two uint64."""
    if a != types.uint64 or b != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        return builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))

    return types.uint64(types.uint64, types.uint64), codegen


@njit(inline="always")
def next_double(lo, hi, inc_lo, inc_hi):
    """One draw of PCG64 from state (``hi``, ``lo``), increment (``inc_hi``, ``inc_lo``).

    The state steps to ``state * MULT + inc`` (mod 2**128) and the new state's XSL-RR
    output, its top 53 bits, is the double. Returns (the double in [0, 1) that numpy's
    ``Generator.random`` gives, the new low word, the new high word); every argument
    is a uint64.
    """
    low = lo * MULT_LO
    new_lo = low + inc_lo
    carry = _ONE if new_lo < low else _ZERO
    new_hi = hi * MULT_LO + lo * MULT_HI + _mulhi(lo, MULT_LO) + inc_hi + carry
    word = new_hi ^ new_lo
    r = new_hi >> _ROTATE
    out = (word >> r) | (word << ((_BITS - r) & _MASK))
    return np.float64(out >> _TO_53) * _TO_DOUBLE, new_lo, new_hi


@njit(cache=True, nogil=True)
def draw_doubles(words, order, n):
    """``n`` uniforms from a :class:`LiveState`'s ``words`` and ``order``, in place.

    The same numbers, and the same state after, as ``Generator.random(n)``.
    """
    lo, hi = words[order[0]], words[order[1]]
    inc_lo, inc_hi = words[order[2]], words[order[3]]
    out = np.empty(n, np.float64)
    for j in range(n):
        out[j], lo, hi = next_double(lo, hi, inc_lo, inc_hi)
    words[order[0]], words[order[1]] = lo, hi
    return out


class LiveState:
    """The state of one ``numpy.random.Generator(PCG64)`` as compiled loops draw from it.

    ``words`` (four uint64) and ``order`` (their positions: state low, state high,
    increment low, increment high) go to the compiled loop; :meth:`pull` before it and
    :meth:`push` after it keep the generator in step, and do nothing when ``words`` is
    the generator's own memory (``live``). ``copy=True`` makes a copy even where a view
    could be had (to test the fallback).
    """

    def __init__(self, generator: np.random.Generator, *, copy: bool = False) -> None:
        self.bit_generator = generator.bit_generator  # keeps the viewed memory alive
        if type(self.bit_generator) is not np.random.PCG64:
            raise TypeError(f"inline draws need a PCG64 generator, not {self.bit_generator!r}")
        self.live = False
        self.words = np.zeros(4, np.uint64)
        self.order = LAYOUTS[0]
        view = None if copy else _view(self.bit_generator)
        if view is not None:
            for order in LAYOUTS:
                if _words(view, order) == _state_words(self.bit_generator):
                    self.words, self.order, self.live = view, order, True
                    break
        self.pull()

    def pull(self) -> None:
        """Copy the generator's state into ``words`` (nothing when live)."""
        if not self.live:
            self.words[:] = _state_words(self.bit_generator)

    def push(self) -> None:
        """Copy ``words`` back into the generator (nothing when live)."""
        if self.live:
            return
        full = self.bit_generator.state
        lo, hi = int(self.words[0]), int(self.words[1])
        full["state"]["state"] = hi << 64 | lo
        self.bit_generator.state = full


def _split(value: int) -> tuple[int, int]:
    """(low word, high word) of a 128-bit integer."""
    return value & (2**64 - 1), value >> 64


def _state_words(bit_generator: np.random.PCG64) -> tuple[int, int, int, int]:
    """(state low, state high, increment low, increment high) from the public state."""
    s = bit_generator.state["state"]
    return (*_split(s["state"]), *_split(s["inc"]))


def _words(view: np.ndarray, order: np.ndarray) -> tuple[int, ...]:
    return tuple(int(view[k]) for k in order)


def _view(bit_generator: np.random.PCG64) -> np.ndarray | None:
    """The four words of the generator's state, in its own memory (None if unreadable)."""
    try:
        address = bit_generator.ctypes.state_address
        pointer = ctypes.cast(address, ctypes.POINTER(ctypes.c_void_p))[0]
        if not pointer:
            return None
        return np.ctypeslib.as_array((ctypes.c_uint64 * 4).from_address(pointer))
    except (AttributeError, TypeError, ValueError):
        return None
