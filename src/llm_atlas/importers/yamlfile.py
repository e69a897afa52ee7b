"""Reading a source's YAML file with the line of every value, for problems a curator can find.

Values are read from PyYAML's node tree (``yaml.compose``), never constructed: a scalar stays the string the
file has (``7B``, ``2024-12-15``, ``1.0``), so nothing is converted behind the importer's back, and each node
keeps the line and column it starts at.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import Problem

MAX_FILE_BYTES = 1024 * 1024  # a record file of these sources is a few KiB
_NULL = "tag:yaml.org,2002:null"


def read_yaml(path: Path, display: str, rule: str = "import-record") -> yaml.Node | Problem:
    """The document node of a YAML file, or the problem (with line and column) that makes it unreadable."""
    try:
        data = path.read_bytes()
    except OSError as error:
        return Problem(display, 0, 0, "import-unreadable", f"cannot read the file: {error.strerror or error}")
    if len(data) > MAX_FILE_BYTES:
        return Problem(display, 0, 0, rule, f"the file is {len(data)} bytes; a record file is a few KiB (limit {MAX_FILE_BYTES}): skipped")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return Problem(display, data[: error.start].count(b"\n") + 1, 0, rule, "the file is not valid UTF-8: skipped")
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        return Problem(display, line, col, rule, f"not valid YAML ({error.problem or error.context}): skipped")
    except (yaml.YAMLError, RecursionError) as error:
        return Problem(display, 0, 0, rule, f"not valid YAML ({type(error).__name__}): skipped")
    if node is None:
        return Problem(display, 1, 1, rule, "the file is empty: skipped", severity="warning")
    return node


def line(node: yaml.Node | None) -> tuple[int, int]:
    mark = getattr(node, "start_mark", None)
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def get(node: yaml.Node | None, key: str) -> yaml.Node | None:
    """The value node of ``key`` in a mapping node (the first, if the file repeats the key), else None."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return value_node
    return None


def has(node: yaml.Node | None, key: str) -> bool:
    return get(node, key) is not None


def text(node: yaml.Node | None) -> str:
    """A scalar's text, stripped; "" for a missing, null or non-scalar value."""
    if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
        return ""
    return node.value.strip()


def items(node: yaml.Node | None) -> list[yaml.Node]:
    return list(node.value) if isinstance(node, yaml.SequenceNode) else []
