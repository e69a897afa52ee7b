"""The SHACL engine: the shapes over the data of a pyoxigraph store, results mapped to ``path:line``.

Shared by the validate job (the whole graph) and the check pipeline (only the entities a change touches).
Two engines give the same results (tests/test_shacl_engine.py proves it on every fixture, the real graph
and the W3C SHACL suites):

- ``sparql`` (the default): :mod:`llm_atlas.shacl_sparql`, SHACL compiled to SPARQL and run in
  pyoxigraph, with pySHACL building every result; pySHACL itself only for shapes that cannot be compiled;
- ``pyshacl``: the reference, pySHACL over an rdflib copy of the data.

The data is the union of every named graph of the store, graph names dropped; each result is traced back
to the file it is written in through the graph it came from (a file may hold many graphs).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib
from pyshacl.errors import ReportableRuntimeError, ShapeLoadError, ValidationFailure
from rdflib.namespace import SH

from .errors import InvalidData, Problem
from .layout import RECORD_BASE, SHAPES_FILE, relpath_of_graph
from .loader import LineIndex
from .namespaces import PREFIXES
from .rdfbridge import PreparedQueryGraph, compact, graph_from_triples
from .rules import rule_id
from .shacl_sparql import NotCompilable, ShaclResult, SparqlValidator, results_of_report_graph

SEVERITIES = {SH.Violation: "error", SH.Warning: "warning", SH.Info: "info"}
ENGINES = ("sparql", "pyshacl")


class Locator:
    """Maps a node to the file and line it is written on.

    ``file_of(iri, predicate)`` names the file that describes the node (with that predicate, if one is
    given), or "" if none does; or a (file, named graph) pair, so that in an import with a graph per source
    record the line is looked for in the block of that record's graph.
    """

    def __init__(self, root: Path, file_of: Callable[[str, str | None], str | tuple[str, str]] | dict[str, str]):
        self.root = root
        if isinstance(file_of, dict):
            graph_of = file_of
            self.file_of = lambda iri, predicate: graph_of.get(iri, "")
        else:
            self.file_of = file_of
        self.texts: dict[str, tuple[list[str], dict[str, str]] | None] = {}
        self.indexes: dict[tuple[str, str], tuple[int, LineIndex] | None] = {}

    @classmethod
    def for_store(cls, root: Path, store: ox.Store, graph_file: Callable[[str], str | None] = relpath_of_graph) -> Locator:
        """A locator that asks the store which graphs describe a node, and ``graph_file`` which file each graph is in."""

        def file_of(iri: str, predicate: str | None) -> tuple[str, str]:
            subject = ox.NamedNode(iri)
            places: set[tuple[str, str]] = set()
            if predicate:
                places = _places(store.quads_for_pattern(subject, ox.NamedNode(predicate), None, None), graph_file)
            return min(places or _places(store.quads_for_pattern(subject, None, None, None), graph_file), default=("", ""))

        return cls(root, file_of)

    def _text(self, relpath: str) -> tuple[list[str], dict[str, str]] | None:
        if relpath not in self.texts:
            try:
                text = (self.root / relpath).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self.texts[relpath] = None
                return None
            prefixes = dict(PREFIXES)
            for match in re.finditer(r"^\s*@prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", text, re.MULTILINE):
                prefixes[match.group(1) or ""] = match.group(2)
            self.texts[relpath] = (text.split("\n"), prefixes)
        return self.texts[relpath]

    def index(self, relpath: str, graph: str = "") -> tuple[int, LineIndex] | None:
        """The line index of a file, or of the block of one of its graphs, with the line before the block."""
        key = (relpath, graph)
        if key not in self.indexes:
            found = self._text(relpath)
            if found is None:
                self.indexes[key] = None
                return None
            lines, prefixes = found
            whole = LineIndex("\n".join(lines), prefixes)
            start = whole.subject_line(graph) if graph else 0  # a graph's name opens its block at column 1
            if start:
                end = next((n for n in range(start, len(lines)) if lines[n].strip() == "}"), len(lines))
                self.indexes[key] = (start - 1, LineIndex("\n".join(lines[start - 1:end]), prefixes))
            else:
                self.indexes[key] = (0, whole)
        return self.indexes[key]

    def locate(self, focus: str, path: str | None) -> tuple[str, int]:
        found = self.file_of(focus, path)
        relpath, graph = found if isinstance(found, tuple) else (found, "")
        if not relpath:
            return "", 0
        record = graph if graph.startswith(RECORD_BASE) else ""
        located = self.index(relpath, record)
        if located is None:
            return relpath, 0
        offset, index = located
        line = index.predicate_line(focus, path) if path else index.subject_line(focus)
        return relpath, offset + line if line else 0


def _places(quads, graph_file: Callable[[str], str | None]) -> set[tuple[str, str]]:
    """(file, graph) of each quad in a named graph that a file holds."""
    found = set()
    for quad in quads:
        if isinstance(quad.graph_name, ox.NamedNode):
            relpath = graph_file(quad.graph_name.value)
            if relpath:
                found.add((relpath, quad.graph_name.value))
    return found


def subject_files(by_file: dict[str, list[ox.Quad]]) -> dict[str, str]:
    """The file each subject is written in (the first by path), for data held as quads per file."""
    graph_of: dict[str, str] = {}
    for relpath in sorted(by_file):
        for quad in by_file[relpath]:
            if isinstance(quad.subject, ox.NamedNode):
                graph_of.setdefault(quad.subject.value, relpath)
    return graph_of


def store_of(quads: Iterable[ox.Quad | ox.Triple]) -> ox.Store:
    """An in-memory store of quads (or triples, into the default graph)."""
    store = ox.Store()
    store.bulk_extend(q if isinstance(q, ox.Quad) else ox.Quad(q.subject, q.predicate, q.object) for q in quads)
    return store


def rdflib_copy(store: ox.Store) -> rdflib.Graph:
    """The union of the store's graphs as one rdflib graph, for pySHACL (each triple once)."""
    return graph_from_triples(store.quads_for_pattern(None, None, None, None), PreparedQueryGraph())


def shacl_results(store: ox.Store, shapes: rdflib.Graph, focus_nodes: Iterable[str] | None = None, *, engine: str = "sparql",
                  progress: Callable[[list], Iterable] | None = None) -> list[ShaclResult]:
    """Validate the union of the store's graphs against ``shapes``; only ``focus_nodes`` (IRIs) if given.

    Problems with the shapes themselves (pySHACL cannot use them) raise :class:`InvalidData`.
    """
    focus = None if focus_nodes is None else set(focus_nodes)
    if focus is not None and not focus:
        return []
    shapes_copy = rdflib.Graph()  # pySHACL adds a few triples to the shapes graph it is given
    for triple in shapes:
        shapes_copy.add(triple)
    try:
        if engine == "pyshacl":
            return _pyshacl_results(store, shapes_copy, focus)
        validator = SparqlValidator(store, shapes_copy, union=True, rdflib_data=lambda: rdflib_copy(store), progress=progress)
        return validator.validate(focus).results
    except (ValidationFailure, ReportableRuntimeError, ShapeLoadError, NotCompilable, SyntaxError) as error:
        message = getattr(error, "message", None) or str(error)
        raise InvalidData([Problem(SHAPES_FILE, 0, 0, "shapes-invalid", f"the shapes cannot be used: {message}")]) from None


def _pyshacl_results(store: ox.Store, shapes: rdflib.Graph, focus: set[str] | None) -> list[ShaclResult]:
    # pySHACL's own focus_nodes option also skips the nested checks (sh:or, sh:node, ...) of value nodes
    # that are not focus nodes themselves; a full run filtered to the focus nodes is the reference instead
    _, report, _ = pyshacl.validate(
        rdflib_copy(store), shacl_graph=shapes, inference="none", abort_on_first=False, allow_warnings=True, advanced=False, meta_shacl=False,
    )
    if not isinstance(report, rdflib.Graph):
        raise ValidationFailure(getattr(report, "message", str(report)))
    results = results_of_report_graph(report)
    if focus is not None:
        results = [r for r in results if isinstance(r.focus, rdflib.URIRef) and str(r.focus) in focus]
    return results


def problems_of_results(results: Iterable[ShaclResult], shapes: rdflib.Graph, locator: Locator) -> list[Problem]:
    """One problem per result and per nested detail (as every sh:ValidationResult of pySHACL's report)."""
    problems = []
    for top in results:
        for r in top.flatten():
            severity = SEVERITIES.get(r.severity, "error")  # a custom severity fails validation, as in pySHACL
            messages = sorted(str(m) for m in r.messages)
            rule = rule_id(shapes, r.source_shape, r.path)
            problems.append(_problem(locator, rule, severity, r.focus, r.path, r.value, messages[0] if messages else "constraint not met"))
    return problems


def _problem(locator: Locator, rule: str, severity: str, focus, path, value, message: str) -> Problem:
    relpath, line = locator.locate(str(focus), str(path) if isinstance(path, rdflib.URIRef) else None)
    extra = []
    if path is not None and compact(path) not in message:
        extra.append(f"property {compact(path)}")
    if value is not None and str(value) == str(focus) and not isinstance(value, rdflib.Literal):
        value = None
    if value is not None and compact(value) not in message:
        extra.append(f"value {compact(value)}")
    if extra:
        message = f"{message} ({'; '.join(extra)})"
    return Problem(relpath, line, 1 if line else 0, rule, message, severity, str(focus), compact(value) if value is not None else "", compact(path) if path is not None else "")


def shacl_problems(data: ox.Store | Iterable, shapes: rdflib.Graph, locator: Locator, focus_nodes: Iterable[str] | None = None, *,
                   engine: str = "sparql", progress: Callable[[list], Iterable] | None = None) -> list[Problem]:
    """Validate the data (a store, or pyoxigraph quads or triples) against ``shapes``; only ``focus_nodes`` if given."""
    store = data if isinstance(data, ox.Store) else store_of(data)
    return problems_of_results(shacl_results(store, shapes, focus_nodes, engine=engine, progress=progress), shapes, locator)


def dedupe(problems: list[Problem]) -> list[Problem]:
    seen = set()
    out = []
    for p in problems:
        key = (p.path, p.line, p.rule, p.focus, p.value, p.predicate, p.message)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
