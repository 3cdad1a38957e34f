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
