"""Parameter distributions: uncertain scenario values and the draws made from them.

Any numeric leaf of a scenario may carry a distribution::

    own: {value: 0.02, source: "DOMAIN.md", dist: {beta: [20, 980]}}

Supported families (parameters in brackets, in this order):

==================  ==========================  ===========================================
name                parameters                  meaning
==================  ==========================  ===========================================
beta                [a, b]                      probabilities and shares; mean a / (a + b)
gamma               [shape, scale]              costs, rates; mean shape * scale
lognormal           [meanlog, sdlog]            costs, rates; median exp(meanlog)
uniform             [low, high]                 a plain range
truncated_normal    [mean, sd] or               normal cut to [low, high]; with two
                    [mean, sd, low, high]       parameters it is cut to the key's bounds
fixed               [value] (or a number)       no uncertainty (a constant)
==================  ==========================  ===========================================

Validation checks the family, the number and sign of its parameters, and that its
support lies inside the bounds the schema gives the key (a beta on a key that may
exceed 1 is fine; a gamma on a probability is not). Draws use quasi-random designs
from ``scipy.stats.qmc`` (Latin hypercube by default, scrambled Sobol on request)
mapped through each distribution's inverse CDF, and come out as override mappings for
:meth:`LoadedScenario.with_overrides` (dotted paths).
"""

from __future__ import annotations

import dataclasses
import math
import typing
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats
from scipy.stats import qmc

from sim.scenario import schema
from sim.scenario.errors import ScenarioError
from sim.scenario.fields import schema_hints

#: Family name -> allowed numbers of parameters.
FAMILIES: dict[str, tuple[int, ...]] = {
    "beta": (2,),
    "gamma": (2,),
    "lognormal": (2,),
    "uniform": (2,),
    "truncated_normal": (2, 4),
    "fixed": (1,),
}
#: Quasi-random designs for drawing.
METHODS = ("lhs", "sobol")
#: Quantiles used as low/high when a parameter has a distribution but no low/high.
INTERVAL_QUANTILES = (0.025, 0.975)


@dataclass(frozen=True)
class KeyBounds:
    """What the schema allows at a key: bounds (None = open) and whether it is whole."""

    ge: float | None = None
    le: float | None = None
    integer: bool = False


@dataclass(frozen=True)
class UncertainParameter:
    """One scenario value with a distribution.

    ``path`` is the dotted key path, ``value`` the value written in the scenario,
    ``family``/``args`` the distribution, ``dist`` the frozen scipy distribution
    (None for ``fixed``) and ``low``/``high`` the range used for one-way sensitivity.
    """

    path: str
    value: float
    family: str
    args: tuple[float, ...]
    dist: Any
    low: float
    high: float
    bounds: KeyBounds

    @property
    def is_fixed(self) -> bool:
        """Whether the parameter has no uncertainty (its family is ``fixed``)."""
        return self.family == "fixed"

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Values at probabilities ``u`` (rounded for whole-number keys)."""
        if self.is_fixed:
            x = np.full(np.shape(u), self.args[0], dtype=float)
        else:
            x = np.asarray(self.dist.ppf(u), dtype=float)
        return np.round(x) if self.bounds.integer else x

    def cast(self, x: float) -> float | int:
        """A plain Python number suitable for a scenario override."""
        return round(float(x)) if self.bounds.integer else float(x)


# ---------------------------------------------------------------- schema bounds


def key_bounds(path: str) -> KeyBounds | None:
    """Bounds and type the schema gives a dotted path, or None if the path is unknown.

    Numbers inside mapping fields (transitions, counts, mixes) take the mapping's
    bounds; ``entries.routes.<name>.share`` takes the route schema's.
    """
    cls: Any = schema.Scenario
    keys = path.split(".")
    i = 0
    while i < len(keys):
        if not dataclasses.is_dataclass(cls):
            return None
        fields = {f.name: f for f in dataclasses.fields(cls)}
        f = fields.get(keys[i])
        if f is None:
            return None
        tp = _strip_optional(schema_hints(cls)[f.name])
        if dataclasses.is_dataclass(tp):
            cls, i = tp, i + 1
            continue
        if tp in (int, float):
            return KeyBounds(f.metadata.get("ge"), f.metadata.get("le"), tp is int)
        if f.metadata.get("entries") is not None and tp is dict and len(keys) >= i + 3:
            cls, i = f.metadata["entries"], i + 2  # a named entry: its name, then its keys
            continue
        if tp is dict:
            if cls is schema.Entries and f.name == "routes" and len(keys) >= i + 3:
                cls, i = schema.Route, i + 2
                continue
            return KeyBounds(
                f.metadata.get("ge"), f.metadata.get("le"), bool(f.metadata.get("whole"))
            )
        return None
    return None


def _strip_optional(tp: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    return args[0] if args and (type(None) in typing.get_args(tp)) else tp


# ---------------------------------------------------------------- building and checking


def make_parameter(
    path: str,
    value: float,
    spec: Any,
    low: float | None = None,
    high: float | None = None,
    file: str | None = None,
) -> UncertainParameter:
    """Check a ``dist`` mapping for the key at ``path`` and build its distribution."""
    where = f"{path}.dist"
    if isinstance(spec, int | float) and not isinstance(spec, bool):
        spec = {"fixed": [spec]}
    if not isinstance(spec, Mapping) or len(spec) != 1:
        raise ScenarioError(
            "expected one distribution such as {beta: [a, b]}", file=file, path=where
        )
    family, args = next(iter(spec.items()))
    if family not in FAMILIES:
        raise ScenarioError(
            f"unknown distribution '{family}' (expected one of {', '.join(FAMILIES)})",
            file=file,
            path=where,
        )
    if not isinstance(args, list | tuple):
        args = [args]
    if not all(_finite(a) for a in args):
        raise ScenarioError(
            f"expected numbers as the parameters of '{family}', got {args!r}",
            file=file,
            path=f"{where}.{family}",
        )
    if len(args) not in FAMILIES[family]:
        n = " or ".join(str(k) for k in FAMILIES[family])
        raise ScenarioError(
            f"'{family}' takes {n} parameters ({_PARAM_NAMES[family]}), got {len(args)}",
            file=file,
            path=f"{where}.{family}",
        )
    bounds = key_bounds(path)
    if bounds is None:
        raise ScenarioError(
            "a distribution can only be given to a numeric scenario key", file=file, path=where
        )
    args = tuple(float(a) for a in args)
    dist, support = _frozen(family, args, bounds, file, f"{where}.{family}")
    _check_support(family, support, bounds, file, where)
    lo_q, hi_q = support if dist is None else dist.ppf(INTERVAL_QUANTILES)
    return UncertainParameter(
        path,
        float(value),
        family,
        args,
        dist,
        float(low if low is not None else lo_q),
        float(high if high is not None else hi_q),
        bounds,
    )


_PARAM_NAMES = {
    "beta": "a, b",
    "gamma": "shape, scale",
    "lognormal": "meanlog, sdlog",
    "uniform": "low, high",
    "truncated_normal": "mean, sd[, low, high]",
    "fixed": "value",
}


def _finite(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _frozen(
    family: str, args: tuple[float, ...], bounds: KeyBounds, file: str | None, where: str
) -> tuple[Any, tuple[float, float]]:
    """The frozen scipy distribution and its support; checks parameter signs."""

    def need(cond: bool, what: str) -> None:
        if not cond:
            raise ScenarioError(f"'{family}' needs {what}, got {list(args)}", file=file, path=where)

    if family == "fixed":
        return None, (args[0], args[0])
    if family == "beta":
        need(args[0] > 0 and args[1] > 0, "a > 0 and b > 0")
        return stats.beta(args[0], args[1]), (0.0, 1.0)
    if family == "gamma":
        need(args[0] > 0 and args[1] > 0, "shape > 0 and scale > 0")
        return stats.gamma(args[0], scale=args[1]), (0.0, math.inf)
    if family == "lognormal":
        need(args[1] > 0, "sdlog > 0")
        return stats.lognorm(args[1], scale=math.exp(args[0])), (0.0, math.inf)
    if family == "uniform":
        need(args[1] > args[0], "low < high")
        return stats.uniform(args[0], args[1] - args[0]), (args[0], args[1])
    # truncated normal
    mean, sd = args[0], args[1]
    need(sd > 0, "sd > 0")
    lo = args[2] if len(args) == 4 else (bounds.ge if bounds.ge is not None else -math.inf)
    hi = args[3] if len(args) == 4 else (bounds.le if bounds.le is not None else math.inf)
    need(hi > lo, "low < high")
    return stats.truncnorm((lo - mean) / sd, (hi - mean) / sd, loc=mean, scale=sd), (lo, hi)


def _check_support(
    family: str, support: tuple[float, float], bounds: KeyBounds, file: str | None, where: str
) -> None:
    lo, hi = support
    if (bounds.ge is not None and lo < bounds.ge) or (bounds.le is not None and hi > bounds.le):
        allowed = f"[{_fmt(bounds.ge)}, {_fmt(bounds.le)}]"
        raise ScenarioError(
            f"'{family}' takes values in [{_fmt(lo)}, {_fmt(hi)}], outside "
            f"what this key allows {allowed}",
            file=file,
            path=where,
        )


def _fmt(x: float | None) -> str:
    if x is None:
        return "inf"
    return f"{x:g}"


def uncertain_parameters(loaded: Any) -> list[UncertainParameter]:
    """Every parameter of a loaded scenario that carries a distribution, checked."""
    out = []
    for path, prov in loaded.provenance.items():
        if prov.dist is None:
            continue
        if "[" in path:
            raise ScenarioError(
                "distributions are supported on scenario keys, not inside lists such as 'changes'",
                file=loaded.file,
                path=path,
            )
        value = _value_at(loaded.raw, path)
        out.append(make_parameter(path, value, prov.dist, prov.low, prov.high, loaded.file))
    return out


def validate_distributions(loaded: Any) -> None:
    """Raise :class:`ScenarioError` (file, key path, what was expected) on a bad ``dist``."""
    uncertain_parameters(loaded)


def _value_at(raw: Mapping, path: str) -> float:
    node: Any = raw
    for key in path.split("."):
        node = node[key]
    return node["value"] if isinstance(node, Mapping) else node


# ---------------------------------------------------------------- drawing


def unit_design(d: int, n: int, method: str = "lhs", seed: int = 0) -> np.ndarray:
    """``n`` points in the unit cube [0, 1)^d from a quasi-random design.

    Latin hypercube (``lhs``) stratifies every parameter; scrambled Sobol (``sobol``)
    fills the cube more evenly and is best with ``n`` a power of two.
    """
    if method not in METHODS:
        raise ScenarioError(f"expected a sampling method in {', '.join(METHODS)}, got '{method}'")
    if n < 1:
        raise ScenarioError("expected at least one draw")
    if d == 0:
        return np.empty((n, 0))
    rng = np.random.default_rng(seed)
    if method == "lhs":
        return qmc.LatinHypercube(d, rng=rng).random(n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # balance warning for n not 2^m
        return qmc.Sobol(d, scramble=True, rng=rng).random(n)


def sample_matrix(
    params: Sequence[UncertainParameter], n: int, method: str = "lhs", seed: int = 0
) -> np.ndarray:
    """Draws as an (n, len(params)) array; fixed parameters take their constant."""
    free = [p for p in params if not p.is_fixed]
    u = unit_design(len(free), n, method, seed)
    # keep away from 0 and 1, where unbounded inverse CDFs are infinite
    u = np.clip(u, 1e-12, 1 - 1e-12)
    out = np.empty((n, len(params)))
    j = 0
    for i, p in enumerate(params):
        if p.is_fixed:
            out[:, i] = p.ppf(np.zeros(n))
        else:
            out[:, i] = p.ppf(u[:, j])
            j += 1
    return out


def to_overrides(
    params: Sequence[UncertainParameter], matrix: np.ndarray
) -> list[dict[str, float | int]]:
    """Rows of a draw matrix as override mappings (dotted path -> value)."""
    return [{p.path: p.cast(x) for p, x in zip(params, row, strict=True)} for row in matrix]


def sample_overrides(
    loaded: Any, n: int, method: str = "lhs", seed: int = 0
) -> list[dict[str, float | int]]:
    """``n`` parameter draws of a scenario as overrides for ``with_overrides``.

    Draws are reproducible from ``seed``; a scenario with no distributions gives
    ``n`` empty mappings.
    """
    params = uncertain_parameters(loaded)
    return to_overrides(params, sample_matrix(params, n, method, seed))
