"""The scenario reference (docs/scenario-reference.md), generated from the schema.

Every scenario key is a dataclass field in ``sim.scenario.schema`` (and the modules it
includes) whose metadata holds its description, unit and bounds (``fields.spec``).
This module walks those fields and writes one Markdown table per section, so the
reference can never disagree with what the loader accepts.

Regenerate with ``homesim docs`` or ``python -m sim.docs_reference``; add ``--check``
to fail (exit 1) when the committed file is out of date.
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import re
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.results_io import write_text
from sim.scenario import schema
from sim.scenario.loader import PARAM_KEYS

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "scenario-reference.md"

TYPE_NAMES = {
    int: "integer",
    float: "number",
    str: "text",
    bool: "true/false",
    dict: "mapping",
    list: "list",
}


@dataclass(frozen=True)
class KeyDoc:
    """One scenario key as the reference shows it."""

    path: str  # dotted key path, e.g. "places.starter.capacity"
    type: str  # human type name ("number or null", "section", ...)
    default: Any  # default value (sections: None)
    doc: str  # description from the field metadata
    unit: str | None = None
    ge: float | None = None
    le: float | None = None
    choices: tuple[str, ...] | None = None
    keys: tuple[str, ...] | None = None
    sum_to_one: bool = False
    section: bool = False  # a group of keys (a nested dataclass)
    section_doc: str = ""  # the group's docstring (sections only)


def _is_dataclass_type(t: Any) -> bool:
    return isinstance(t, type) and dataclasses.is_dataclass(t)


def type_name(t: Any) -> str:
    """A reader's name for a field's type: ``float | None`` -> ``number or null``."""
    if isinstance(t, types.UnionType) or typing.get_origin(t) is typing.Union:
        parts = [type_name(a) for a in typing.get_args(t) if a is not type(None)]
        nullable = type(None) in typing.get_args(t)
        return " or ".join(parts) + (" or null" if nullable else "")
    origin = typing.get_origin(t) or t
    if _is_dataclass_type(origin):
        return "section"
    return TYPE_NAMES.get(origin, getattr(origin, "__name__", str(origin)))


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


#: How the reference writes the name of an entry of a named mapping, and the index of
#: an entry of a list of sections (``policies.teams.<name>.phases[i].weeks``).
ENTRY_NAME, ENTRY_INDEX = "<name>", "[i]"


def _entry_keys(f: dataclasses.Field, t: Any, path: str) -> Iterator[KeyDoc]:
    """A field of named entries (``spec(entries=...)``) as documented keys.

    The field, then the entry as a section, then the entry's keys.
    """
    entry = f.metadata["entries"]
    default = _default(f)
    shown = {name: {} for name in default} if isinstance(default, dict) else []
    yield KeyDoc(path, type_name(t), shown, f.metadata.get("doc", ""))
    sub = f"{path}.{ENTRY_NAME}" if isinstance(default, dict) else f"{path}{ENTRY_INDEX}"
    what = "One entry of" if isinstance(default, dict) else "One item of"
    yield KeyDoc(
        sub,
        "section",
        None,
        f"{what} `{path}`.",
        section=True,
        section_doc=inspect.cleandoc(entry.__doc__ or ""),
    )
    yield from iter_keys(entry, sub + ".")


def iter_keys(cls: type = schema.Scenario, prefix: str = "") -> Iterator[KeyDoc]:
    """Every key of the schema under ``cls``, depth first, in declaration order."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        t = hints[f.name]
        meta = f.metadata
        path = f"{prefix}{f.name}"
        if meta.get("entries") is not None:
            yield from _entry_keys(f, t, path)
        elif _is_dataclass_type(t):
            yield KeyDoc(
                path,
                "section",
                None,
                meta.get("doc", ""),
                section=True,
                section_doc=inspect.cleandoc(t.__doc__ or ""),
            )
            yield from iter_keys(t, path + ".")
        else:
            yield KeyDoc(
                path,
                type_name(t),
                _default(f),
                meta.get("doc", ""),
                unit=meta.get("unit"),
                ge=meta.get("ge"),
                le=meta.get("le") if meta.get("most") is None else meta["most"],
                choices=meta.get("choices"),
                keys=meta.get("keys"),
                sum_to_one=bool(meta.get("sum_to_one")),
            )


def key_exists(path: str, cls: type = schema.Scenario) -> bool:
    """Whether a dotted path names a key or section of the schema.

    Any name or index stands for an entry's: ``policies.teams.act.staff`` matches
    ``policies.teams.<name>.staff``.
    """
    return any(_key_pattern(k.path).fullmatch(path) for k in iter_keys(cls))


def _key_pattern(doc_path: str) -> re.Pattern:
    """The paths a documented path stands for."""
    text = re.escape(doc_path)
    text = text.replace(re.escape(ENTRY_NAME), "[a-z][a-z0-9_]*")
    return re.compile(text.replace(re.escape(ENTRY_INDEX), r"\[\d+\]"))


# ------------------------------------------------------------------ rendering


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _value(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"' if v else '""'
    if isinstance(v, dict | list):
        return json.dumps(v, separators=(", ", ": "))
    return f"{v:g}" if isinstance(v, float) else str(v)


def _allowed(k: KeyDoc) -> str:
    parts = []
    if k.ge is not None and k.le is not None:
        parts.append(f"{k.ge:g} to {k.le:g}")
    elif k.ge is not None:
        parts.append(f"at least {k.ge:g}")
    elif k.le is not None:
        parts.append(f"at most {k.le:g}")
    if k.choices:
        parts.append("one of " + ", ".join(f"`{c}`" for c in k.choices))
    if k.keys:
        parts.append("keys: " + ", ".join(f"`{c}`" for c in k.keys))
    if k.sum_to_one:
        parts.append("shares add up to 1")
    return "; ".join(parts)


def _table(keys: list[KeyDoc]) -> list[str]:
    lines = [
        "| key | type | default | unit | allowed | description |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for k in keys:
        lines.append(
            f"| `{k.path}` | {k.type} | `{_cell(_value(k.default))}` | "
            f"{_cell(k.unit or '')} | {_cell(_allowed(k))} | {_cell(k.doc)} |"
        )
    return lines


HEADER = """\
# Scenario reference

<!-- Generated by `homesim docs` (sim/docs_reference.py) from sim/scenario/schema.py.
     Do not edit by hand: change the schema and regenerate. -->

Every key a scenario file may hold, with its type, default, unit and allowed values.
Keys are written as dotted paths: `places.starter.capacity` is

```yaml
places:
  starter:
    capacity: 24
```

Probabilities are per week unless the unit says otherwise. Any number may also be
written as a mapping that names its source and uncertainty, for example
`{{value: 0.02, source: "VIVE 2019", low: 0.01, high: 0.04}}`; the allowed keys of such
a mapping are {param_keys}.
A scenario may start with `extends: other.yaml` and then override only the keys that
change. A bare number over a parameter keeps its source; a mapping of some of those
keys (`{{dist: ...}}`) updates them; any other mapping replaces the parameter, so
`kinds.exit.episodic: {{shelter: 5.0}}` may override a single fitted number.
"""


def render(cls: type = schema.Scenario) -> str:
    """The whole reference as Markdown text."""
    keys = list(iter_keys(cls))
    out = [HEADER.format(param_keys=", ".join(f"`{k}`" for k in sorted(PARAM_KEYS)))]
    top = [k for k in keys if "." not in k.path and not k.section]
    out += ["## Top-level keys", "", *_table(top), ""]
    for sec in (k for k in keys if k.section):
        depth = sec.path.count(".")
        out += [f"{'#' * min(depth + 2, 4)} `{sec.path}`", "", _cell(sec.doc), ""]
        if sec.section_doc and sec.section_doc != sec.doc:
            out += [sec.section_doc, ""]
        members = [k for k in keys if not k.section and k.path.rpartition(".")[0] == sec.path]
        if members:
            out += [*_table(members), ""]
        elif not any(k.path.startswith(sec.path + ".") for k in keys):
            out += ["No keys yet.", ""]
    return "\n".join(out).rstrip() + "\n"


def undocumented(cls: type = schema.Scenario) -> list[str]:
    """Paths of keys (or sections) with no description."""
    return [k.path for k in iter_keys(cls) if not k.doc.strip()]


def write_reference(path: Path = REFERENCE) -> bool:
    """Write the reference if it changed; returns whether it was written."""
    text = render()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    write_text(path, text)
    return True


def main(argv: list[str] | None = None) -> int:
    """``python -m sim.docs_reference``: regenerate the scenario reference."""
    p = argparse.ArgumentParser(
        prog="python -m sim.docs_reference", description="Regenerate docs/scenario-reference.md."
    )
    add_arguments(p)
    return run_args(p.parse_args(argv))


def add_arguments(p: argparse.ArgumentParser) -> None:
    """Add the options of ``homesim docs`` (where to write, check only) to ``p``."""
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR_OR_FILE",
        help="a folder (writes scenario-reference.md in it) or a .md file "
        "(default: docs/ of a source checkout, else the current folder)",
    )
    p.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if the file is out of date"
    )


def target_path(out: Path | None) -> Path:
    """Where the reference goes; never inside an installed package.

    ``out`` (a folder or a ``.md`` file), else the source checkout's ``docs/``, else
    the current folder.
    """
    if out is None:
        in_checkout = (ROOT / "pyproject.toml").is_file() and REFERENCE.parent.is_dir()
        return REFERENCE if in_checkout else Path.cwd() / REFERENCE.name
    if out.is_dir() or out.suffix.lower() != ".md":
        return out / REFERENCE.name
    return out


def run_args(args: argparse.Namespace) -> int:
    """Write (or with ``--check``, compare) the reference; the exit code."""
    args.out = target_path(args.out)
    missing = undocumented()
    if missing:
        print("homesim: error: keys without a description: " + ", ".join(missing), file=sys.stderr)
        return 2
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != render():
            print(f"{args.out} is out of date: run `homesim docs`", file=sys.stderr)
            return 1
        print(f"{args.out} is up to date")
        return 0
    changed = write_reference(args.out)
    print(f"{'wrote' if changed else 'unchanged:'} {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
