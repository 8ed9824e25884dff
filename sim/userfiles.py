"""Open and decode the files a user hands to homesim: scenarios, batches, targets, plans.

Every reader of a user file goes through this module, so that a bad file gets the same
one-line :class:`ScenarioError` (naming the file and what was expected) whichever
command reads it: a missing file, a folder, a device or pipe, a file too large, binary
or non-UTF-8 content, an empty file, malformed YAML, a duplicate key (both lines
named), keys other than text or whole numbers, and YAML whose aliases would expand beyond a small
bound. The bound is checked on the composed node graph, before any alias is expanded
into Python objects, so a few hundred bytes of nested anchors cannot exhaust memory.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, SequenceNode

from sim.errors import ScenarioError

#: Largest YAML file read (bytes). The largest shipped scenario is about 40 kB.
MAX_YAML_BYTES = 2 * 1024 * 1024
#: Largest number of YAML nodes a document may hold once its aliases are expanded.
#: The largest shipped scenario (with its ``extends`` chain) holds a few thousand.
MAX_YAML_NODES = 200_000
#: Deepest nesting of mappings and lists in a YAML document (shipped files: under 10).
MAX_YAML_DEPTH = 50

MERGE_TAG = "tag:yaml.org,2002:merge"


def check_file(path: str | Path, *, max_bytes: int = MAX_YAML_BYTES) -> Path:
    """``path`` as a :class:`Path` if it names a readable regular file of at most ``max_bytes``.

    Otherwise a :class:`ScenarioError` saying what it is instead.
    """
    path = Path(path)
    file = str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ScenarioError("file not found", file=file) from None
    except NotADirectoryError:
        raise ScenarioError(
            "file not found (a part of the path is a file, not a folder)", file=file
        ) from None
    except OSError as exc:
        raise ScenarioError(f"cannot be opened: {exc.strerror or exc}", file=file) from None
    except ValueError:  # a NUL character in the name
        raise ScenarioError("is not a valid file name", file=file) from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError("is a folder, expected a file", file=file)
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError(
            "is not a regular file (a device, pipe or socket), expected a file", file=file
        )
    if info.st_size > max_bytes:
        raise ScenarioError(
            f"is {_size(info.st_size)}, more than the {_size(max_bytes)} a "
            "file of this kind may hold",
            file=file,
        )
    if not os.access(path, os.R_OK):
        raise ScenarioError("cannot be read (permission denied)", file=file)
    return path


def read_text(path: str | Path, *, max_bytes: int = MAX_YAML_BYTES) -> str:
    """The text of a user file, decoded as UTF-8 (a byte-order mark is dropped).

    Binary content (a NUL byte) and bytes that are not UTF-8 are refused with the
    line and column where they occur.
    """
    path = check_file(path, max_bytes=max_bytes)
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # the file may have grown since the check
    except OSError as exc:
        raise ScenarioError(f"cannot be read: {exc.strerror or exc}", file=str(path)) from None
    if len(data) > max_bytes:
        raise ScenarioError(
            f"is more than the {_size(max_bytes)} a file of this kind may hold", file=str(path)
        )
    nul = data.find(b"\0")
    if nul >= 0:
        raise ScenarioError(
            f"holds binary data (a NUL byte at {_where(data, nul)}), expected UTF-8 text",
            file=str(path),
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at "
            f"{_where(data, exc.start)}); save it as UTF-8",
            file=str(path),
        ) from None


def load_yaml(path: str | Path) -> dict:
    """Read a user YAML file into a mapping with text keys; errors name the file.

    An empty file (or one holding only comments) is an error: a scenario, batch or
    targets file always holds at least one key.
    """
    file = str(path)
    return parse_yaml(read_text(path), file=file)


def parse_yaml(text: str, file: str | None = None) -> dict:
    """Parse YAML text (one document, a mapping at the top) safely and within bounds."""
    try:
        loader = _UserLoader(text)
    except yaml.YAMLError as exc:
        raise ScenarioError(_yaml_problem(exc), file=file) from None
    try:
        node = _compose(loader, file)
        check_node_graph(node, file)
        data = _construct(loader, node, file)
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ScenarioError(f"expected a mapping of keys at the top, got {_kind(data)}", file=file)
    return data


def _compose(loader: _UserLoader, file: str | None) -> Node:
    """The document's node graph (aliases still shared, nothing built yet)."""
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        raise ScenarioError(_yaml_problem(exc), file=file) from None
    except RecursionError:
        raise ScenarioError(
            f"malformed YAML: nested more than {MAX_YAML_DEPTH} levels deep", file=file
        ) from None
    if node is None:
        raise ScenarioError("is empty: expected a mapping of keys", file=file)
    return node


def _construct(loader: _UserLoader, node: Node, file: str | None) -> Any:
    """Python values from a checked node graph.

    PyYAML's safe constructor turns some malformed tagged scalars into exceptions other
    than YAMLError (``!!int ''`` an IndexError, ``2015-13-45`` a ValueError, a
    5000-digit integer a ValueError). Its only input is the document, so any exception
    here is a fault of the file, reported as such.
    """
    try:
        return loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise ScenarioError(_yaml_problem(exc), file=file) from None
    except RecursionError:
        raise ScenarioError(
            f"malformed YAML: nested more than {MAX_YAML_DEPTH} levels deep", file=file
        ) from None
    except Exception as exc:  # any fault here is the file's (see the docstring)
        why = str(exc) or type(exc).__name__
        raise ScenarioError(f"malformed YAML: a value cannot be read ({why})", file=file) from None


def check_node_graph(root: Node, file: str | None) -> None:
    """Refuse a document whose expanded size or depth exceeds the bounds.

    Each node's expanded size (itself and everything below it, aliases counted as
    often as they are used) is computed once and reused, so the check takes time in
    proportion to the file, not to the expansion. A node that contains itself (a
    recursive alias) is refused too: no scenario key can hold an infinite value.
    """
    sizes: dict[int, tuple[int, int]] = {}
    _expanded(root, 0, sizes, set(), file)


def _expanded(
    node: Node, depth: int, sizes: dict[int, tuple[int, int]], active: set[int], file: str | None
) -> tuple[int, int]:
    """(expanded node count, height) of ``node``; raises past the bounds."""
    key = id(node)
    if key in sizes:
        size, height = sizes[key]
    else:
        if key in active:
            raise ScenarioError(
                "malformed YAML: an alias refers to a node that contains "
                "it (a recursive structure)",
                file=file,
            )
        active.add(key)
        size, height = 1, 0
        for child in _children(node):
            if depth + 1 > MAX_YAML_DEPTH:
                break
            s, h = _expanded(child, depth + 1, sizes, active, file)
            size, height = size + s, max(height, h + 1)
            if size > MAX_YAML_NODES:
                raise ScenarioError(
                    f"YAML aliases expand to more than {MAX_YAML_NODES:,} values (line "
                    f"{node.start_mark.line + 1}); refused before expanding them "
                    "(an alias bomb?)",
                    file=file,
                )
        active.discard(key)
        sizes[key] = (size, height)
    if depth + height > MAX_YAML_DEPTH:
        raise ScenarioError(
            f"malformed YAML: nested more than {MAX_YAML_DEPTH} levels deep "
            f"(line {node.start_mark.line + 1})",
            file=file,
        )
    return size, height


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [n for pair in node.value for n in pair]
    return []


class _KeyProblem(yaml.constructor.ConstructorError):
    """A mapping key that is repeated or not text (its message names the lines)."""


class _UserLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing duplicate keys and keys other than text or numbers.

    The numbers must be whole (years, as in a price index).
    """

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise _KeyProblem(
                    None,
                    None,
                    f"expected a key of text or a whole number, got "
                    f"{_kind(key)} (line {line}); quote it",
                    key_node.start_mark,
                )
            if key in seen:
                raise _KeyProblem(
                    None,
                    None,
                    f"duplicate key '{key}' {_both(seen[key], key_node.start_mark)}; keep one",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def entry_list(data: dict, known: frozenset[str], list_key: str, file: str | None) -> list:
    """The non-empty list ``data[list_key]`` of a targets or figures file.

    The file may hold only ``known`` top-level keys. Raises :class:`ScenarioError`
    naming the file and the key.
    """
    for key in data:
        if key not in known:
            raise ScenarioError(
                f"unknown key '{key}' (known keys: {', '.join(sorted(known))})",
                file=file,
                path=str(key),
            )
    items = data.get(list_key)
    if not isinstance(items, list) or not items:
        raise ScenarioError(f"expected a non-empty list of {list_key}", file=file, path=list_key)
    return items


def check_entry(
    item: Any, where: str, known: frozenset[str] | set[str], expected: str, file: str | None
) -> None:
    """Check one entry of a list of targets or figures before its values are read.

    It must be a mapping (``expected`` names its keys for the message), hold only
    ``known`` keys, and name its outcome by exactly one of ``measure`` (with a year) or
    ``column``. Raises :class:`ScenarioError` at ``where`` (e.g. ``targets[2]``).
    """
    if not isinstance(item, dict):
        raise ScenarioError(f"expected a mapping with {expected}", file=file, path=where)
    for key in item:
        if key not in known:
            raise ScenarioError(
                f"unknown key '{key}' (known keys: {', '.join(sorted(known))})",
                file=file,
                path=f"{where}.{key}",
            )
    if ("measure" in item) == ("column" in item):
        raise ScenarioError(
            "expected either 'measure' (with 'year') or 'column'", file=file, path=where
        )


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """One line: what is wrong with the YAML and where (line, column)."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if isinstance(exc, yaml.reader.ReaderError):
        return (
            f"malformed YAML: control character U+{exc.character:04X} at character "
            f"{exc.position + 1} is not allowed in YAML text"
        )
    if isinstance(exc, _KeyProblem):
        return str(problem)
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
    context = getattr(exc, "context", None)
    text = problem or (str(exc).splitlines() or ["cannot be parsed"])[0]
    if context and problem:
        text = f"{context}, {problem}"
    return f"malformed YAML{where}: {text}"


def _both(first: yaml.Mark, second: yaml.Mark) -> str:
    """Where two keys are: 'on lines 3 and 7', or 'on line 1 (columns 2 and 8)'."""
    if first.line != second.line:
        return f"on lines {first.line + 1} and {second.line + 1}"
    return f"on line {first.line + 1} (columns {first.column + 1} and {second.column + 1})"


def _where(data: bytes, offset: int) -> str:
    line = data.count(b"\n", 0, offset) + 1
    column = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
    return f"line {line}, column {column}"


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MiB" if n >= 1024 * 1024 else f"{n:,} bytes"


def _kind(x: Any) -> str:
    return "nothing" if x is None else f"{type(x).__name__} {x!r}"[:60]
