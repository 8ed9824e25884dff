"""Property-based tests of the YAML reader and the scenario schema (hypothesis).

Whatever a scenario file holds, loading it either gives a validated scenario or raises
the project's :class:`ScenarioError`; never another exception, never more than
``DEADLINE`` per document, and never much memory. Three generators cover the layers:
raw text made of YAML's punctuation (the parser, anchors and aliases), documents built
from random values (the reader and the type checks), and a valid scenario with random
values at real key paths of the schema (the bounds and the cross-field checks).

Examples are drawn from a fixed seed (``derandomize``), so the test is the same on every
run and machine; 2,500 documents in all.
"""

from __future__ import annotations

import datetime as dt
import resource
import tempfile
from pathlib import Path

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sim.docs_reference import iter_keys  # noqa: E402
from sim.scenario.errors import ScenarioError  # noqa: E402
from sim.scenario.loader import load_scenario  # noqa: E402
from sim.userfiles import parse_yaml  # noqa: E402

#: Longest a single document may take to load (ms); a valid tiny scenario takes a few.
DEADLINE = 3000
#: Growth of the process's peak memory allowed over a whole test (MB).
MAX_GROWTH_MB = 300

SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=DEADLINE,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)

BASE = {
    "name": "tiny",
    "setting": {"years": 1},
    "initial": {"counts": {"own": 20, "shelter": 5}},
    "transitions": {"low": {"own": {"at_risk": 0.02}, "shelter": {"own": 0.1}}},
}
LEAF_PATHS = sorted(k.path for k in iter_keys() if not k.section)
SECTION_PATHS = sorted(k.path for k in iter_keys() if k.section)

_dir = Path(tempfile.mkdtemp(prefix="homesim-props-"))
_counter = iter(range(10**9))


def load_text(text: str | bytes) -> None:
    """Write ``text`` to a new file and load it: a scenario or a ScenarioError only."""
    path = _dir / f"s{next(_counter)}.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    try:
        load_scenario(path)
    except ScenarioError as exc:
        assert str(exc).strip() and "\n" not in exc.message.strip("\n"), repr(exc.message)
    finally:
        path.unlink()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---------------------------------------------------------------- generators

YAML_BITS = [
    ":",
    ": ",
    "-",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "&a ",
    "&b ",
    "*a",
    "*b",
    "!!str ",
    "!!int ",
    "!!python/object ",
    "!!binary ",
    "!!set ",
    "? ",
    "<<: ",
    "#",
    "'",
    '"',
    "|",
    ">",
    "\n",
    "\n  ",
    "\n    ",
    " ",
    "\t",
    "name",
    "setting",
    "years",
    "initial",
    "counts",
    "own",
    "extends",
    "1",
    "0.5",
    "-3",
    "1e9",
    "1.0e+9",
    ".inf",
    ".nan",
    "null",
    "true",
    "2015-01-01",
    "\x00",
    "\x07",
    "é",
    "\ufeff",
    "---",
    "...",
]

raw_text = st.lists(st.sampled_from(YAML_BITS), max_size=40).map("".join)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-10, max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 1, 1)),
    st.sampled_from(["1.0e9", "1e9", "own", "shelter", "low", "first_come", "housing_first"]),
)
keys = st.one_of(
    st.sampled_from(
        sorted(
            {p.split(".")[-1] for p in LEAF_PATHS}
            | {
                "name",
                "extends",
                "changes",
                "date",
                "set",
                "value",
                "source",
                "low",
                "high",
                "dist",
            }
        )
    ),
    st.text(max_size=8),
    st.integers(-3, 3000),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
documents = st.dictionaries(keys, values, max_size=6)

paths = st.sampled_from(LEAF_PATHS + SECTION_PATHS)


def set_dotted(doc: dict, dotted: str, value: object) -> dict:
    node = doc
    parts = dotted.split(".")
    for part in parts[:-1]:
        nxt = node.get(part)
        if not isinstance(nxt, dict):
            nxt = node[part] = {}
        node = nxt
    node[parts[-1]] = value
    return doc


def base_copy() -> dict:
    return yaml.safe_load(yaml.safe_dump(BASE))


# ---------------------------------------------------------------- properties


def test_the_base_document_is_valid():
    """The base of the schema-path test loads: its failures come from the changes."""
    load_scenario(BASE)


@settings(SETTINGS, max_examples=1000)
@given(text=raw_text)
def _raw_text(text):
    load_text(text)


@settings(SETTINGS, max_examples=700)
@given(doc=documents)
def _documents(doc):
    load_text(yaml.safe_dump(doc, allow_unicode=True))


@settings(SETTINGS, max_examples=800)
@given(changes=st.lists(st.tuples(paths, values), min_size=1, max_size=4))
def _schema_paths(changes):
    doc = base_copy()
    for path, value in changes:
        set_dotted(doc, path, value)
    load_text(yaml.safe_dump(doc, allow_unicode=True))


@pytest.mark.parametrize(
    "prop",
    [_raw_text, _documents, _schema_paths],
    ids=["raw text", "random documents", "values at schema paths"],
)
def test_loading_gives_a_scenario_or_a_scenario_error(prop):
    """Every generated document loads or raises ScenarioError, within the deadline, and
    the peak memory of the process grows by less than ``MAX_GROWTH_MB``."""
    before = peak_mb()
    prop()
    assert peak_mb() - before < MAX_GROWTH_MB


def test_every_alias_expansion_is_bounded():
    """Nested anchors of any width and depth are refused or loaded, fast, in bounded memory."""
    before = peak_mb()
    for width in (2, 5, 10, 30):
        for depth in (1, 3, 6, 12):
            lines = [f"a0: &a0 [{', '.join(['x'] * width)}]"]
            lines += [
                f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, depth + 1)
            ]
            try:
                parse_yaml("\n".join(lines), file="bomb.yaml")
            except ScenarioError as exc:
                assert "alias" in exc.message or "nested" in exc.message
    assert peak_mb() - before < MAX_GROWTH_MB
