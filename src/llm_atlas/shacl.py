"""The SHACL engine: pySHACL over rdflib graphs handed over from pyoxigraph, results mapped to ``path:line``.

Shared by the validate job (the whole graph) and the check pipeline (only the entities a change touches).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import RDF, SH

from .errors import InvalidData, Problem
from .layout import SHAPES_FILE
from .loader import LineIndex
from .namespaces import PREFIXES
from .rdfbridge import compact
from .rules import rule_id

SEVERITIES = {SH.Violation: "error", SH.Warning: "warning", SH.Info: "info"}


class Locator:
    """Maps a node to the file and line it is written on."""

    def __init__(self, root: Path, graph_of: dict[str, str]):
        self.root = root
        self.graph_of = graph_of
        self.indexes: dict[str, LineIndex] = {}

    def index(self, relpath: str) -> LineIndex | None:
        if relpath not in self.indexes:
            try:
                text = (self.root / relpath).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                return None
            prefixes = dict(PREFIXES)
            for match in re.finditer(r"^\s*@prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", text, re.MULTILINE):
                prefixes[match.group(1) or ""] = match.group(2)
            self.indexes[relpath] = LineIndex(text, prefixes)
        return self.indexes[relpath]

    def locate(self, focus: str, path: str | None) -> tuple[str, int]:
        relpath = self.graph_of.get(focus, "")
        if not relpath:
            return "", 0
        index = self.index(relpath)
        if index is None:
            return relpath, 0
        line = index.predicate_line(focus, path) if path else index.subject_line(focus)
        return relpath, line


def subject_files(by_file: dict[str, list[ox.Quad]]) -> dict[str, str]:
    """The file each subject is written in."""
    graph_of: dict[str, str] = {}
    for relpath in sorted(by_file):
        for quad in by_file[relpath]:
            if isinstance(quad.subject, ox.NamedNode):
                graph_of.setdefault(quad.subject.value, relpath)
    return graph_of


def shacl_problems(data: rdflib.Graph, shapes: rdflib.Graph, locator: Locator, focus_nodes: Iterable[str] | None = None) -> list[Problem]:
    """Validate ``data`` against ``shapes`` (only ``focus_nodes`` if given) and map the results to files."""
    focus = None if focus_nodes is None else [rdflib.URIRef(n) for n in sorted(focus_nodes)]
    if focus == []:
        return []
    conforms, results, _ = pyshacl.validate(
        data, shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=True, advanced=False,
        meta_shacl=False, focus_nodes=focus,
    )
    if not isinstance(results, rdflib.Graph):  # pySHACL refused the shapes themselves
        raise InvalidData([Problem(SHAPES_FILE, 0, 0, "shapes-invalid", f"pySHACL cannot use the shapes: {getattr(results, 'message', results)}")])
    problems = []
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        shape = results.value(result, SH.sourceShape)
        severity = SEVERITIES.get(results.value(result, SH.resultSeverity), "error")
        messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
        message = messages[0] if messages else "constraint not met"
        rule = rule_id(shapes, shape, path)
        relpath, line = locator.locate(str(focus), str(path) if isinstance(path, rdflib.URIRef) else None)
        extra = []
        if path is not None and compact(path) not in message:
            extra.append(f"property {compact(path)}")
        if value == focus:
            value = None
        if value is not None and compact(value) not in message:
            extra.append(f"value {compact(value)}")
        if extra:
            message = f"{message} ({'; '.join(extra)})"
        problems.append(
            Problem(relpath, line, 1 if line else 0, rule, message, severity, str(focus), compact(value) if value is not None else "", compact(path) if path is not None else "")
        )
    return problems


def dedupe(problems: list[Problem]) -> list[Problem]:
    seen = set()
    out = []
    for p in problems:
        key = (p.path, p.line, p.rule, p.focus, p.value, p.predicate, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
