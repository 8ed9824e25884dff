"""Load scenario files: YAML (safe), ``extends`` chains, parameter sources, validation.

The pipeline is one way: YAML text -> merged raw mapping (``extends`` resolved) ->
parameter leaves unwrapped (their sources kept aside) -> typed ``Scenario`` objects.
Bad input raises :class:`ScenarioError` naming the file, the key path and what was
expected; nothing reaches the model unvalidated.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import json
import math
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from sim.errors import ScenarioError
from sim.scenario import schema
from sim.scenario.fields import MAX_CITIZENS, schema_hints, upper_bound
from sim.scenario.kinds_schema import check_kinds
from sim.scenario.policy_schema import check_policies
from sim.shipped import locate, locate_near
from sim.situations import NEEDS, WEEKS_PER_YEAR
from sim.userfiles import check_file, load_yaml

#: Keys allowed in a parameter leaf written as a mapping: ``{value: 0.02, source: ...}``.
PARAM_KEYS = frozenset({"value", "source", "low", "high", "dist", "unit", "note"})
#: Longest ``extends`` chain (the shipped scenarios use at most three files).
MAX_EXTENDS = 16


@dataclass(frozen=True)
class Provenance:
    """Where a parameter's value comes from, and how uncertain it is."""

    path: str
    source: str | None = None
    low: float | None = None
    high: float | None = None
    dist: dict | None = None


@dataclass(frozen=True)
class LoadedScenario:
    """A validated scenario together with what produced it.

    ``params`` is the typed scenario; ``raw`` the merged mapping as run (sources kept),
    ``provenance`` the source and range of every parameter that names one, and
    ``phases`` the parameter sets in force from given weeks on (dated changes).
    """

    params: schema.Scenario
    raw: dict
    provenance: dict[str, Provenance]
    file: str | None = None
    phases: tuple[tuple[int, schema.Scenario], ...] = field(default=())

    @property
    def name(self) -> str:
        """The scenario's name."""
        return self.params.name

    @property
    def hash(self) -> str:
        """SHA-256 of the scenario as run (canonical JSON of the merged mapping)."""
        return scenario_hash(self.raw)

    def with_overrides(
        self, overrides: Mapping[str, Any], name: str | None = None
    ) -> LoadedScenario:
        """A new scenario with dotted-path overrides applied, validated again."""
        raw = unshared_copy(self.raw)
        for path, value in overrides.items():
            set_path(raw, path, value, file=self.file)
        if name is not None:
            raw["name"] = name
        return from_raw(raw, file=self.file)

    def to_yaml(self) -> str:
        """The scenario as run, as YAML text (sources kept)."""
        return yaml.safe_dump(self.raw, sort_keys=False, allow_unicode=True)


def unshared_copy(node: Any) -> Any:
    """A deep copy in which no two places share an object.

    ``copy.deepcopy`` keeps shared sub-mappings shared (a YAML alias, or one dict used
    for several needs groups), so an override of one would change the others too.
    """
    if isinstance(node, Mapping):
        return {k: unshared_copy(v) for k, v in node.items()}
    if isinstance(node, list | tuple):
        return [unshared_copy(v) for v in node]
    return node


def scenario_hash(raw: Mapping) -> str:
    """SHA-256 of the scenario mapping as canonical JSON (sorted keys), in hex."""
    text = json.dumps(raw, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# ---------------------------------------------------------------- reading files


def read_yaml(path: Path) -> dict:
    """Parse one YAML file safely into a mapping, with clear errors (``sim.userfiles``)."""
    return load_yaml(path)


def deep_merge(base: dict, override: Mapping) -> dict:
    """Merge ``override`` into a copy of ``base``; mappings merge, anything else replaces.

    A parameter leaf (``{value: ..., source: ...}``) is replaced as a whole unless the
    override gives a bare value, which then keeps the base's source, or some of a
    leaf's keys (``{dist: ...}``), which update it. A mapping of other keys replaces a
    leaf: ``exit: {episodic: {shelter: 5.0}}`` over ``episodic: {value: 1.4, ...}``.
    """
    out = unshared_copy(base)
    for key, value in override.items():
        old = out.get(key)
        if _merges(old, value):
            out[key] = deep_merge(old, value)
        else:
            out[key] = unshared_copy(value)
    return out


def _merges(old: Any, value: Any) -> bool:
    """True when override ``value`` merges into ``old`` instead of replacing it."""
    if not (isinstance(old, dict) and isinstance(value, dict)) or _is_param_leaf(value):
        return False
    return not _is_param_leaf(old) or bool(set(value) & PARAM_KEYS)


def resolve_extends(path: Path, _chain: tuple[Path, ...] = ()) -> dict:
    """Read ``path`` and merge it over the file it ``extends`` (relative to itself)."""
    data = read_yaml(path)  # errors name the file as given; the chain holds real paths
    real = path.resolve()
    if real in _chain:
        cycle = " -> ".join(p.name for p in (*_chain, real))
        raise ScenarioError(f"'extends' forms a cycle: {cycle}", file=str(path), path="extends")
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError("expected a file name (text)", file=str(path), path="extends")
    if len(_chain) >= MAX_EXTENDS:
        raise ScenarioError(
            f"'extends' chain is longer than {MAX_EXTENDS} files", file=str(path), path="extends"
        )
    parent_path = locate_near(path.parent, parent)  # or a shipped scenario of that name
    try:
        check_file(parent_path)
    except ScenarioError as exc:
        raise ScenarioError(
            f"extended file '{parent}' {exc.message}", file=str(path), path="extends"
        ) from None
    return deep_merge(resolve_extends(parent_path, (*_chain, real)), data)


def load_scenario(
    source: str | Path | Mapping | LoadedScenario, **overrides: Any
) -> LoadedScenario:
    """Load and validate a scenario from a YAML path, a shipped name or a mapping.

    A name without a folder (``"randers_baseline"``) that is not a file here is the
    shipped scenario of that name (:mod:`sim.shipped`); so is ``extends:`` in a mapping.

    Keyword ``overrides`` use double underscores for dots, e.g.
    ``load_scenario("x.yaml", places__starter__capacity=48)``.
    """
    if isinstance(source, LoadedScenario):  # already loaded: only the overrides to apply
        if not overrides:
            return source
        return source.with_overrides({k.replace("__", "."): v for k, v in overrides.items()})
    if isinstance(source, Mapping):
        raw = unshared_copy(dict(source))
        file = None
        parent = raw.pop("extends", None)
        if parent is not None:
            raw = deep_merge(resolve_extends(locate(parent)), raw)
    else:
        file = str(locate(source))
        raw = resolve_extends(Path(file))
    for key, value in overrides.items():
        set_path(raw, key.replace("__", "."), value, file=file)
    return from_raw(raw, file=file)


def from_raw(raw: dict, file: str | None = None) -> LoadedScenario:
    """Validate a merged raw mapping into a :class:`LoadedScenario`."""
    raw = unshared_copy(raw)
    provenance: dict[str, Provenance] = {}
    plain = unwrap_params(raw, "", provenance, file)
    params = build(schema.Scenario, plain, "", file)
    check_scenario(params, file)
    phases = build_phases(raw, params, file)
    loaded = LoadedScenario(params=params, raw=raw, provenance=provenance, file=file, phases=phases)
    from sim.distributions import validate_distributions  # imports this module's schema

    validate_distributions(loaded)
    return loaded


# ---------------------------------------------------------------- parameter leaves


def _is_param_leaf(node: Any) -> bool:
    return isinstance(node, dict) and "value" in node and set(node) <= PARAM_KEYS


def unwrap_params(node: Any, path: str, prov: dict[str, Provenance], file: str | None) -> Any:
    """Replace ``{value, source, low, high, dist}`` leaves by their value; record sources."""
    if _is_param_leaf(node):
        for bound in ("low", "high"):
            if bound in node and not _is_number(node[bound]):
                raise ScenarioError(
                    f"expected a number for '{bound}'", file=file, path=f"{path}.{bound}"
                )
        dist = node.get("dist")
        if dist is not None and not isinstance(dist, dict):
            raise ScenarioError(
                "expected a mapping such as {beta: [a, b]}", file=file, path=f"{path}.dist"
            )
        prov[path] = Provenance(path, node.get("source"), node.get("low"), node.get("high"), dist)
        return node["value"]
    if isinstance(node, dict):
        return {k: unwrap_params(v, _join(path, str(k)), prov, file) for k, v in node.items()}
    if isinstance(node, list):
        return [unwrap_params(v, f"{path}[{i}]", prov, file) for i, v in enumerate(node)]
    return node


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _is_number(x: Any) -> bool:
    """A finite int or float (not a bool); an int of any size is finite."""
    if isinstance(x, bool) or not isinstance(x, int | float):
        return False
    return isinstance(x, int) or math.isfinite(x)


# ---------------------------------------------------------------- typed building


def build(cls: type, data: Any, path: str, file: str | None) -> Any:
    """Build dataclass ``cls`` from ``data``, checking every key against the schema."""
    if not isinstance(data, dict):
        raise ScenarioError(
            f"expected a mapping, got {_describe(data)}", file=file, path=path or None
        )
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            raise ScenarioError(
                _unknown_key_message(str(key), fields), file=file, path=_join(path, str(key))
            )
    hints = schema_hints(cls)
    values = {}
    for name, f in fields.items():
        if name in data:
            values[name] = convert(hints[name], f.metadata, data[name], _join(path, name), file)
            if f.metadata.get("entries") is not None and isinstance(values[name], dict):
                # named entries given add to (or replace) the default entries
                default = f.default_factory()
                values[name] = type(default)({**default, **values[name]})
    return cls(**values)


def _unknown_key_message(key: str, fields: Mapping[str, Any]) -> str:
    near = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.5)
    hint = f"; did you mean '{near[0]}'?" if near else ""
    return f"unknown key '{key}'{hint} (known keys: {', '.join(fields)})"


def _describe(x: Any) -> str:
    return "nothing" if x is None else f"{type(x).__name__} {x!r}"[:80]


def convert(tp: Any, meta: Mapping, value: Any, path: str, file: str | None) -> Any:
    """Check one value against its type hint and field metadata."""
    tp, optional = _unwrap_optional(tp)
    if value is None:
        if optional:
            return None
        raise ScenarioError("expected a value, got nothing", file=file, path=path)
    if dataclasses.is_dataclass(tp):
        return build(tp, value, path, file)
    if tp is bool:
        return _flag(value, path, file)
    if tp in (int, float):
        return _number(tp, meta, value, path, file)
    if tp is str:
        return _text(meta, value, path, file)
    if meta.get("entries") is not None and tp in (list, dict):
        return _entries(tp, meta["entries"], value, path, file)
    if tp is list:
        return _list(meta, value, path, file)
    if tp is dict:
        return _mapping(meta, value, path, file)
    raise TypeError(f"schema type {tp!r} not supported")  # a schema bug, not user input


def _unwrap_optional(tp: Any) -> tuple[Any, bool]:
    """The type inside ``X | None`` (or ``Optional[X]``), and whether None is allowed."""
    if isinstance(tp, types.UnionType) or typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0], len(args) < len(typing.get_args(tp))
    return tp, False


def _flag(value: Any, path: str, file: str | None) -> bool:
    """True or false, nothing else (1 or the text "true" are refused)."""
    if not isinstance(value, bool):
        raise ScenarioError(f"expected true or false, got {_describe(value)}", file=file, path=path)
    return value


def _text(meta: Mapping, value: Any, path: str, file: str | None) -> str:
    """Text, one of the field's choices if it has any."""
    if not isinstance(value, str):
        raise ScenarioError(f"expected text, got {_describe(value)}", file=file, path=path)
    _check_choice(meta, value, path, file)
    return value


def _number(tp: type, meta: Mapping, value: Any, path: str, file: str | None) -> float | int:
    """A number within the field's bounds; a whole number for ``int`` (never rounded)."""
    whole = tp is int or bool(meta.get("whole"))
    if not _is_number(value):
        kind = "a whole number" if whole else "a number"
        raise ScenarioError(
            f"expected {kind}, got {_describe(value)}{number_hint(value)}", file=file, path=path
        )
    if whole:
        if isinstance(value, float) and not value.is_integer():
            raise ScenarioError(f"expected a whole number, got {value!r}", file=file, path=path)
        value = int(value)
    lo, hi = meta.get("ge"), upper_bound(meta)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ScenarioError(
            f"expected a number in [{_fmt(lo, '-inf')}, {_fmt(hi, 'inf')}], got {_short(value)}",
            file=file,
            path=path,
        )
    return value


def number_hint(value: Any) -> str:
    """A hint for text that reads as a number elsewhere but not in YAML 1.1.

    '1.0e9' and '1e9' are text there, since an exponent needs a dot and a sign ('1.0e+9').
    """
    if not isinstance(value, str):
        return ""
    try:
        x = float(value.replace("_", ""))
    except ValueError:
        return ""
    if not math.isfinite(x):
        return ""
    if "e" not in value.lower():
        return f"; write {value} without quotes"
    mantissa, exponent = f"{x:e}".split("e")
    mantissa = mantissa.rstrip("0")
    mantissa = mantissa + "0" if mantissa.endswith(".") else mantissa
    return (
        f"; YAML reads {value!r} as text (an exponent needs a dot and a sign): "
        f"write {mantissa}e{int(exponent):+d}"
    )


def _fmt(x: float | None, unbounded: str) -> str:
    return unbounded if x is None else f"{x:,g}" if abs(x) < 1e6 else f"{x:,.0f}"


def _short(x: float | int) -> str:
    """A number for a message: as written, or shortened when very long."""
    if isinstance(x, int) and x.bit_length() > 64:
        return f"a whole number of about {x.bit_length() * 0.30103:.0f} digits"
    text = repr(x)
    return text if len(text) <= 24 else f"{x:.6g}"


def _check_choice(meta: Mapping, value: str, path: str, file: str | None) -> None:
    choices = meta.get("choices")
    if choices and value not in choices:
        near = difflib.get_close_matches(value, choices, n=1)
        hint = f"; did you mean '{near[0]}'?" if near else ""
        raise ScenarioError(
            f"expected one of {', '.join(choices)}, got '{value}'{hint}", file=file, path=path
        )


#: A name of an entry of a named mapping (a support team, a price by team): lower-case
#: letters, digits and '_', so that it can stand in a dotted key and an output column.
ENTRY_NAME = re.compile(r"[a-z][a-z0-9_]*")


def _entries(tp: type, entry: type, value: Any, path: str, file: str | None) -> list | dict:
    """A list of sections, or a mapping from names to sections, of schema class ``entry``.

    For a field whose metadata names ``entries``.
    """
    if tp is list:
        if not isinstance(value, list):
            raise ScenarioError(f"expected a list, got {_describe(value)}", file=file, path=path)
        return [build(entry, v, f"{path}[{i}]", file) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        raise ScenarioError(f"expected a mapping, got {_describe(value)}", file=file, path=path)
    out = {}
    for name, v in value.items():
        if not isinstance(name, str) or not ENTRY_NAME.fullmatch(name):
            raise ScenarioError(
                f"expected a name of lower-case letters, digits and '_', got {name!r}",
                file=file,
                path=_join(path, str(name)),
            )
        out[name] = build(entry, v, _join(path, name), file)
    return out


def _list(meta: Mapping, value: Any, path: str, file: str | None) -> list:
    if not isinstance(value, list):
        raise ScenarioError(f"expected a list, got {_describe(value)}", file=file, path=path)
    if meta.get("choices"):
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise ScenarioError(
                    f"expected text, got {_describe(item)}", file=file, path=f"{path}[{i}]"
                )
            _check_choice(meta, item, f"{path}[{i}]", file)
    return list(value)


def _mapping(meta: Mapping, value: Any, path: str, file: str | None) -> dict:
    if not isinstance(value, dict):
        raise ScenarioError(f"expected a mapping, got {_describe(value)}", file=file, path=path)
    keys = meta.get("keys")
    if keys:
        for k in value:
            if k not in keys:
                near = difflib.get_close_matches(str(k), keys, n=1, cutoff=0.5)
                hint = f"; did you mean '{near[0]}'?" if near else ""
                raise ScenarioError(
                    f"unknown key '{k}'{hint} (expected one of {', '.join(keys)})",
                    file=file,
                    path=_join(path, str(k)),
                )
    value = _check_numbers(meta, value, path, file)
    if meta.get("sum_to_one") and value:
        for k, v in value.items():
            if not _is_number(v):
                raise ScenarioError(
                    f"expected a share (a number), got {_describe(v)}",
                    file=file,
                    path=_join(path, str(k)),
                )
        total = sum(value.values())
        if abs(total - 1.0) > 1e-6:
            raise ScenarioError(
                f"expected shares adding up to 1, they add up to {total:.6g}", file=file, path=path
            )
    return dict(value)


def _check_numbers(meta: Mapping, node: Any, path: str, file: str | None) -> Any:
    """Bound-check every number inside a mapping (used for mixes and matrices).

    Returns the same mapping, with whole numbers as ints where the field asks for them.
    """
    if isinstance(node, dict):
        return {k: _check_numbers(meta, v, _join(path, str(k)), file) for k, v in node.items()}
    if isinstance(node, bool) or not isinstance(node, int | float):
        if meta.get("ge") is not None or upper_bound(meta) is not None:
            raise ScenarioError(f"expected a number, got {_describe(node)}", file=file, path=path)
        return node
    return _number(int if meta.get("whole") else float, meta, node, path, file)


# ---------------------------------------------------------------- cross-field checks


def check_scenario(sc: schema.Scenario, file: str | None) -> None:
    """Checks that span several keys: matrices, mixes, routes, disabled situations."""
    _check_transitions(sc.transitions, file)
    _check_needs_mixes(sc.initial.needs_mix, file)
    _check_routes(sc.entries.routes, file)
    _check_disabled(sc, file)
    check_kinds(sc.kinds, sc.returns, file)
    _check_size(sc, file)
    check_policies(sc.policies, file)
    from sim.costs import check_costs  # late: sim.costs builds on this package

    check_costs(sc, file)
    for i, ch in enumerate(sc.changes):
        if not isinstance(ch, dict):
            raise ScenarioError(
                "expected a mapping with 'date' and 'set'", file=file, path=f"changes[{i}]"
            )


def _check_transitions(tr: dict, file: str | None) -> None:
    for needs, rows in tr.items():
        if not isinstance(rows, dict):
            raise ScenarioError(
                "expected a mapping from situation to {situation: probability}",
                file=file,
                path=f"transitions.{needs}",
            )
        for src, row in rows.items():
            _check_transition_row(src, row, f"transitions.{needs}.{src}", file)


def _check_transition_row(src: Any, row: Any, p: str, file: str | None) -> None:
    """One row of weekly chances of leaving situation ``src``: known situations, sum <= 1."""
    living = schema.LIVING
    if src not in living:
        raise ScenarioError(_unknown_situation(src), file=file, path=p)
    if not isinstance(row, dict):
        raise ScenarioError("expected a mapping {situation: probability}", file=file, path=p)
    for dst, chance in row.items():
        if isinstance(chance, dict):
            raise ScenarioError(
                "expected a probability, got a mapping", file=file, path=f"{p}.{dst}"
            )
        if dst not in living:
            raise ScenarioError(_unknown_situation(dst), file=file, path=f"{p}.{dst}")
        if dst == src:
            raise ScenarioError(
                "the chance of staying is implied (1 minus the row); leave it out",
                file=file,
                path=f"{p}.{dst}",
            )
    total = sum(row.values())
    if total > 1 + 1e-9:
        raise ScenarioError(
            f"probabilities of leaving add up to {total:.6g}, more than 1",
            file=file,
            path=p,
        )


def _unknown_situation(name: str) -> str:
    near = difflib.get_close_matches(str(name), schema.LIVING, n=1, cutoff=0.5)
    hint = f"; did you mean '{near[0]}'?" if near else ""
    return f"unknown situation '{name}'{hint} (expected one of {', '.join(schema.LIVING)})"


def _check_needs_mixes(mixes: dict, file: str | None) -> None:
    for key, mix in mixes.items():
        meta = {"keys": NEEDS, "sum_to_one": True, "ge": 0, "le": 1}
        _mapping(meta, mix, f"initial.needs_mix.{key}", file)


def _check_routes(routes: dict, file: str | None) -> None:
    if not routes:
        return
    built = {
        name: build(schema.Route, r, f"entries.routes.{name}", file) for name, r in routes.items()
    }
    total = sum(r.share for r in built.values())
    if abs(total - 1) > 1e-6:
        raise ScenarioError(
            f"expected route shares adding up to 1, they add up to {total:.6g}",
            file=file,
            path="entries.routes",
        )
    for name, r in built.items():
        if not r.to:
            raise ScenarioError(
                "expected at least one situation", file=file, path=f"entries.routes.{name}.to"
            )


def _check_size(sc: schema.Scenario, file: str | None) -> None:
    """Refuse more than ``MAX_CITIZENS`` citizens over the horizon.

    Counted: the initial counts plus the expected entrants, times the scale (the model
    draws every entrant when it is built).
    """
    st = sc.setting
    initial = sum(sc.initial.counts.values())
    entrants = sc.entries.per_week * WEEKS_PER_YEAR * st.years
    total = (initial + entrants) * st.scale
    if total > MAX_CITIZENS:
        raise ScenarioError(
            f"the scenario would hold about {total:,.0f} citizens ({initial:,} at the start "
            f"and {entrants:,.0f} entrants over {st.years} years, times scale {st.scale:g}); "
            f"at most {MAX_CITIZENS:,} are allowed",
            file=file,
            path="setting.scale",
        )


def _check_disabled(sc: schema.Scenario, file: str | None) -> None:
    """A disabled situation may hold nobody and be reached by nothing."""
    for sit in sc.disabled:
        if sc.initial.counts.get(sit, 0) > 0:
            raise ScenarioError(
                f"'{sit}' is disabled but has people at the start",
                file=file,
                path=f"initial.counts.{sit}",
            )
        for needs, rows in sc.transitions.items():
            for src, row in rows.items():
                if row.get(sit, 0) > 0:
                    raise ScenarioError(
                        f"'{sit}' is disabled but can be reached",
                        file=file,
                        path=f"transitions.{needs}.{src}.{sit}",
                    )
        for name, route in sc.entries.routes.items():
            if route.get("to", {}).get(sit, 0) > 0:
                raise ScenarioError(
                    f"'{sit}' is disabled but entrants go there",
                    file=file,
                    path=f"entries.routes.{name}.to.{sit}",
                )


# ---------------------------------------------------------------- dotted paths and dates


#: A key inside a dated change: ``changes[2022-01].transitions.low.shelter.own`` is the
#: key ``transitions.low.shelter.own`` that the change dated 2022-01 sets.
_CHANGE_KEY = re.compile(r"^changes\[(?P<date>[^\]]+)\]\.(?P<key>[^\[\]]+)$")


def change_key(dotted: str) -> tuple[str, str] | None:
    """``(date, key)`` of a key inside a dated change, or None for a plain dotted key."""
    m = _CHANGE_KEY.match(dotted)
    return None if m is None else (m["date"], m["key"])


def dated_change(raw: Mapping, date: str, dotted: str, file: str | None = None) -> dict:
    """The change of ``raw`` dated ``date`` (the same day, however it is written)."""
    want = parse_date(date, dotted, file)
    for i, ch in enumerate(raw.get("changes") or []):
        if isinstance(ch, dict) and parse_date(ch.get("date"), f"changes[{i}].date", file) == want:
            return ch
    raise ScenarioError(f"the scenario has no change dated {date}", file=file, path=dotted)


def node_at(raw: Mapping, dotted: str) -> Any:
    """The node at a dotted key of a raw mapping (a key inside a change included).

    Raises KeyError if the mapping holds nothing there.
    """
    ck = change_key(dotted)
    if ck is not None:
        try:
            updates = dated_change(raw, ck[0], dotted).get("set") or {}
        except ScenarioError as exc:
            raise KeyError(dotted) from exc
        if ck[1] not in updates:
            raise KeyError(dotted)
        return updates[ck[1]]
    node: Any = raw
    for key in dotted.split("."):
        if not isinstance(node, Mapping) or key not in node:
            raise KeyError(dotted)
        node = node[key]
    return node


#: A dotted key's part that stands for every key at its level: one value for several
#: keys, as ``transitions.*.rough.night_shelter`` for every needs group.
WILDCARD = "*"
#: The error of a key with ``*`` parts that matches no key of the scenario.
NO_MATCH = "no key of the scenario matches"


def is_wildcard(dotted: str) -> bool:
    """Whether a dotted key has ``*`` parts (a key inside a dated change never has)."""
    return WILDCARD in dotted.split(".") and change_key(dotted) is None


def expand_path(raw: Mapping, dotted: str, file: str | None = None) -> list[str]:
    """The dotted keys a key with ``*`` parts stands for: those the mapping holds.

    A key without ``*`` stands for itself (held or not: :func:`set_path` may add it).
    Raises ScenarioError if a key with ``*`` matches nothing.
    """
    if not is_wildcard(dotted):
        return [dotted]
    found: list[str] = []

    def walk(node: Any, done: list[str], rest: list[str]) -> None:
        if not rest:
            found.append(".".join(done))
            return
        if not isinstance(node, Mapping) or _is_param_leaf(node):
            return
        keys = list(node) if rest[0] == WILDCARD else [rest[0]] if rest[0] in node else []
        for key in keys:
            walk(node[key], [*done, str(key)], rest[1:])

    walk(raw, [], dotted.split("."))
    if not found:
        raise ScenarioError(NO_MATCH, file=file, path=dotted)
    return found


def has_key(raw: Mapping, dotted: str) -> bool:
    """Whether the raw mapping holds a node at the dotted key (any match of a ``*`` key)."""
    try:
        for each in expand_path(raw, dotted):
            node_at(raw, each)
    except (KeyError, ScenarioError):
        return False
    return True


def value_at(raw: Mapping, dotted: str) -> Any:
    """The value at a dotted key: a parameter leaf's ``value``, or the node itself.

    A ``*`` key gives its matches' value if they agree, else their mean.
    """
    values = [leaf_value(node_at(raw, each)) for each in expand_path(raw, dotted)]
    if len(values) == 1 or all(v == values[0] for v in values):
        return values[0]
    return math.fsum(values) / len(values)


def leaf_value(node: Any) -> Any:
    """A parameter leaf's ``value``, or the node itself."""
    return node["value"] if _is_param_leaf(node) else node


def set_path(raw: dict, dotted: str, value: Any, file: str | None = None) -> None:
    """Set ``raw[a][b][c] = value`` for ``"a.b.c"``, keeping a parameter leaf's source.

    ``changes[DATE].a.b`` sets key ``a.b`` of the change dated DATE; a key with ``*``
    parts sets every key of ``raw`` it matches (:func:`expand_path`).
    """
    if is_wildcard(dotted):
        for each in expand_path(raw, dotted, file=file):
            set_path(raw, each, value, file=file)
        return
    ck = change_key(dotted)
    if ck is not None:
        change = dated_change(raw, ck[0], dotted, file)
        updates = change.setdefault("set", {})
        _set_leaf(updates, ck[1], value)
        return
    keys = dotted.split(".")
    node = raw
    for i, key in enumerate(keys[:-1]):
        nxt = node.get(key)
        if nxt is None:
            nxt = node[key] = {}
        if not isinstance(nxt, dict) or _is_param_leaf(nxt):
            raise ScenarioError(
                f"'{'.'.join(keys[: i + 1])}' holds a value, not a mapping", file=file, path=dotted
            )
        node = nxt
    _set_leaf(node, keys[-1], value)


def _set_leaf(node: dict, last: str, value: Any) -> None:
    """Set ``node[last]``; a bare value keeps a parameter leaf's source, a mapping replaces it."""
    if _is_param_leaf(node.get(last)) and not isinstance(value, Mapping):
        node[last] = {**node[last], "value": value}
    else:
        node[last] = value


def parse_date(text: Any, path: str, file: str | None) -> dt.date:
    """Parse YYYY, YYYY-MM or YYYY-MM-DD (YAML may already give a date)."""
    if isinstance(text, dt.date):
        return text
    s = str(text)
    for fmt in ("%Y-%m-%d", "%Y-%m", "%Y"):
        try:
            return dt.datetime.strptime(s, fmt).date()
        except ValueError:
            continue
    raise ScenarioError(
        f"expected a date YYYY, YYYY-MM or YYYY-MM-DD, got {s!r}", file=file, path=path
    )


def week_of(date: dt.date, start_year: int) -> int:
    """Simulation week of a calendar date (week 0 starts on 1 January of start_year)."""
    return max(0, (date - dt.date(start_year, 1, 1)).days // 7)


def _change_week(ch: dict, i: int, params: schema.Scenario, file: str | None) -> int:
    """The week from which dated change ``changes[i]`` holds (checked: keys, date in horizon)."""
    path = f"changes[{i}]"
    extra = set(ch) - {"date", "set"}
    if extra:
        raise ScenarioError(
            _unknown_key_message(sorted(map(str, extra))[0], {"date": 0, "set": 0}),
            file=file,
            path=path,
        )
    if "date" not in ch or not isinstance(ch.get("set"), dict) or not ch["set"]:
        raise ScenarioError("expected 'date' and a non-empty 'set' mapping", file=file, path=path)
    week = week_of(parse_date(ch["date"], f"{path}.date", file), params.setting.start_year)
    if week >= params.setting.years * WEEKS_PER_YEAR:
        raise ScenarioError(
            f"date {ch['date']} is after the horizon "
            f"({params.setting.start_year}+{params.setting.years} years)",
            file=file,
            path=f"{path}.date",
        )
    return week


def build_phases(
    raw: dict, params: schema.Scenario, file: str | None
) -> tuple[tuple[int, schema.Scenario], ...]:
    """The parameter sets in force from week 0 and from each dated change on."""
    changes = raw.get("changes") or []
    if not changes:
        return ((0, params),)
    base = {k: v for k, v in raw.items() if k != "changes"}
    dated = [(_change_week(ch, i, params, file), i, ch["set"]) for i, ch in enumerate(changes)]
    dated.sort(key=lambda t: (t[0], t[1]))
    phases = [(0, params)]
    current = unshared_copy(base)
    for week, i, updates in dated:
        for key, value in updates.items():
            if not isinstance(key, str) or not all(key.split(".")):
                raise ScenarioError(
                    "expected a dotted key path such as places.starter.capacity",
                    file=file,
                    path=f"changes[{i}].set.{key}",
                )
            if key.split(".")[0] in ("changes", "setting", "initial"):
                raise ScenarioError(
                    "this key cannot change during a run", file=file, path=f"changes[{i}].set.{key}"
                )
            set_path(current, key, value, file=file)
        prov: dict[str, Provenance] = {}
        try:
            built = build(schema.Scenario, unwrap_params(current, "", prov, file), "", file)
            check_scenario(built, file)
        except ScenarioError as exc:
            raise ScenarioError(
                exc.message, file=file, path=f"changes[{i}].set ({exc.path})"
            ) from None
        phases.append((week, built))
    return tuple(phases)
