"""YAML loading that remembers where each value came from.

Error messages must name the line of the offending key, so next to the plain data we
keep a map from a value's path (``("sources", 0, "path")``) to its 1-based line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from digest.errors import DigestError

Path_ = tuple[str | int, ...]


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """libyaml's C parser when PyYAML has it, else the pure-Python one; a date that
    does not exist (2026-02-30) is an error at its line, not a crash."""

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a date ({exc})", node.start_mark
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


class Located:
    """Plain YAML data plus the line of every mapping key and sequence item."""

    def __init__(self, data: Any, lines: dict[Path_, int], file: Path, first_line: int):
        self.data = data
        self.lines = lines
        self.file = file
        self.first_line = first_line

    def line(self, *path: str | int) -> int:
        """The line of the deepest known prefix of ``path``."""
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return self.first_line

    def error(self, message: str, *path: str | int) -> DigestError:
        return DigestError(message, self.file, self.line(*path))


def load_yaml(text: str, file: Path, line_offset: int = 0) -> Located:
    """Parse ``text``; ``line_offset`` is the number of file lines before it."""
    try:
        # One parse: compose the node tree (for line numbers), then build the data from it.
        loader = _Loader(text)
        try:
            node = loader.get_single_node()
            if node is not None and _may_be_unbounded(text):
                _check_shape(node, file, line_offset)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        kind = "YAML value error" if isinstance(exc, yaml.constructor.ConstructorError) else "YAML syntax error"
        raise DigestError(f"{kind}: {problem}", file, line) from None
    except yaml.YAMLError as exc:
        raise DigestError(f"YAML error: {exc}", file) from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _walk(node, (), lines, line_offset, file)
    return Located(data, lines, file, line_offset + 1)


# Deeper than any settings or story file nests; Python's own limit is ~1000 calls.
MAX_DEPTH = 100
# Values that aliases may add to a document (each ``*name`` repeats its anchor's
# value): "a billion laughs" (nine aliases of nine of the one before) hangs a loader.
MAX_ALIASED = 100_000


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _may_be_unbounded(text: str) -> bool:
    """Whether ``text`` has an alias, or marks enough for MAX_DEPTH levels (each
    level takes a ``[``, ``{``, ``-``, ``:`` or ``?``): most story files have neither,
    and measuring one costs more than parsing it (~35 us)."""
    return "*" in text or sum(map(text.count, "[{-:?")) >= MAX_DEPTH


def _check_shape(root: yaml.Node, file: Path, offset: int) -> None:
    """Refuse, at its line, a document that would hang or crash loading: nested
    deeper than MAX_DEPTH, an alias inside its own anchor (an endless value), or
    aliases that repeat more than MAX_ALIASED values. Each node is measured once
    (an alias reuses its anchor's node), without recursion."""
    height: dict[int, int] = {}  # id of a node -> its levels, and values, once expanded
    size: dict[int, int] = {}
    open_nodes: set[int] = set()  # the node being measured and those it lies in
    reused: yaml.Node | None = None  # the first node an alias reached again
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, measured = stack.pop()
        key = id(node)
        if measured:
            children = _children(node)
            height[key] = 1 + max((height[id(c)] for c in children), default=0)
            size[key] = 1 + sum(size[id(c)] for c in children)
            open_nodes.discard(key)
            continue
        if key in height:
            reused = reused or node
            continue
        if key in open_nodes:
            line = node.start_mark.line + 1 + offset
            raise DigestError("YAML alias inside its own anchor: its value would never end", file, line)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    if height[id(root)] > MAX_DEPTH:
        node = root
        for _ in range(MAX_DEPTH):  # down the deepest branch, to the level that is too deep
            node = max(_children(node), key=lambda c: height[id(c)])
        raise DigestError(f"YAML nested more than {MAX_DEPTH} levels deep", file, node.start_mark.line + 1 + offset)
    if reused is not None and size[id(root)] - len(size) > MAX_ALIASED:
        raise DigestError(
            f"YAML aliases would repeat {size[id(root)] - len(size):,} values (at most {MAX_ALIASED:,}); "
            "write the values out instead",
            file,
            reused.start_mark.line + 1 + offset,
        )


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int], offset: int, file: Path) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], int] = {}  # (tag, key) -> its line
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            line = key_node.start_mark.line + 1 + offset
            if (key_node.tag, key) in seen:  # YAML would keep the last value silently
                raise DigestError(f"duplicate key {key!r} (first on line {seen[key_node.tag, key]})", file, line)
            seen[key_node.tag, key] = line
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, offset, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1 + offset
            _walk(item, path + (index,), lines, offset, file)
