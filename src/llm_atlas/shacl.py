"""The SHACL engine: pySHACL over rdflib graphs handed over from pyoxigraph, results mapped to ``path:line``.

Shared by the validate job (the whole graph) and the check pipeline (only the entities a change touches).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import rdflib
from rdflib.namespace import OWL, RDF, RDFS, SH

from .errors import InvalidData, Problem
from .layout import SHAPES_FILE
from .loader import LineIndex
from .namespaces import PREFIXES
from .rdfbridge import PreparedQueryGraph, compact, graph_from_triples, to_rdflib
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


@dataclass
class SparqlConstraint:
    """A SPARQL-based constraint that the engine evaluates in pyoxigraph in one query for all focus nodes."""

    shape: rdflib.term.Node
    select: str
    message: str
    severity: str
    targets: list[tuple[str, str]]  # (kind, IRI): targetClass, targetSubjectsOf, targetObjectsOf, targetNode


# A constraint can be run once for all focus nodes (with ?this free, then filtered to the targets) instead
# of once per focus node with $this pre-bound, when $this is bound by the first triple pattern of the outer
# group: then every later use of $this, inside FILTER NOT EXISTS included, sees the same value either way.
_OUTER_THIS = re.compile(r"WHERE\s*\{\s*\$this\s", re.IGNORECASE)
_TARGETS = {SH.targetClass: "class", SH.targetSubjectsOf: "subjectsOf", SH.targetObjectsOf: "objectsOf", SH.targetNode: "node"}


def split_shapes(shapes: rdflib.Graph) -> tuple[rdflib.Graph, list[SparqlConstraint]]:
    """The shapes left to pySHACL, and the SPARQL-based constraints the engine runs in pyoxigraph."""
    core = rdflib.Graph()
    for triple in shapes:
        core.add(triple)
    constraints = []
    for shape, constraint in sorted(shapes.subject_objects(SH.sparql)):
        select = shapes.value(constraint, SH.select)
        if select is None or not _OUTER_THIS.search(str(select)) or "$currentShape" in str(select) or "$shapesGraph" in str(select):
            continue
        if shapes.value(constraint, SH.deactivated) == rdflib.Literal(True) or shapes.value(shape, SH.deactivated) == rdflib.Literal(True):
            continue
        if (shape, RDF.type, RDFS.Class) in shapes or (shape, RDF.type, OWL.Class) in shapes:
            continue  # implicit class targets: leave to pySHACL
        prologue = ""
        for prefixes in shapes.objects(constraint, SH.prefixes):
            for declaration in sorted(shapes.objects(prefixes, SH.declare)):
                prologue += f"PREFIX {shapes.value(declaration, SH.prefix)}: <{shapes.value(declaration, SH.namespace)}>\n"
        message = shapes.value(constraint, SH.message) or shapes.value(shape, SH.message)
        severity = SEVERITIES.get(shapes.value(shape, SH.severity), "error")
        targets = sorted((kind, str(t)) for p, kind in _TARGETS.items() for t in shapes.objects(shape, p))
        constraints.append(SparqlConstraint(shape, prologue + str(select).replace("$this", "?this"), str(message or "constraint not met"), severity, targets))
        core.remove((shape, SH.sparql, constraint))
    return core, constraints


def _targets(store: ox.Store, constraint: SparqlConstraint) -> set[str]:
    found: set[str] = set()
    for kind, iri in constraint.targets:
        if kind == "node":
            found.add(iri)
            continue
        pattern = {
            "class": f"?this <http://www.w3.org/1999/02/22-rdf-syntax-ns#type>/<http://www.w3.org/2000/01/rdf-schema#subClassOf>* <{iri}>",
            "subjectsOf": f"?this <{iri}> ?o",
            "objectsOf": f"?s <{iri}> ?this",
        }[kind]
        found |= {str(s["this"].value) for s in store.query(f"SELECT DISTINCT ?this WHERE {{ {pattern} }}") if isinstance(s["this"], ox.NamedNode)}
    return found


def _lexical(term) -> str:
    return term.value if term is not None else ""


def _sparql_results(store: ox.Store, constraint: SparqlConstraint, focus: set[str] | None):
    targets = _targets(store, constraint)
    if focus is not None:
        targets &= focus
    if not targets:
        return
    solutions = store.query(constraint.select)
    names = [v.value for v in solutions.variables]
    for solution in solutions:
        this = solution["this"]
        if this is None or this.value not in targets:
            continue
        bindings = {name: solution[name] for name in names}
        message = re.sub(r"\{[?$](\w+)\}", lambda m: _lexical(bindings.get(m.group(1)) if m.group(1) != "this" else this), constraint.message)
        path = bindings.get("path")
        value = bindings.get("value")
        yield this.value, (to_rdflib(path) if path is not None else None), (to_rdflib(value) if value is not None else None), message


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


def shacl_problems(
    triples: Iterable, shapes: rdflib.Graph, locator: Locator, focus_nodes: Iterable[str] | None = None, *, accelerate: bool = True
) -> list[Problem]:
    """Validate the data (pyoxigraph triples or quads) against ``shapes``, only ``focus_nodes`` if given.

    Core constraints run in pySHACL over an rdflib copy of the data. SPARQL-based constraints whose
    ``$this`` the first triple pattern binds run in pyoxigraph, once each for all focus nodes, rather than
    once per focus node in rdflib (``accelerate=False`` leaves everything to pySHACL; a test proves both
    give the same results).
    """
    triples = list(triples)
    focus_set = None if focus_nodes is None else set(focus_nodes)
    if focus_set is not None and not focus_set:
        return []
    core, constraints = split_shapes(shapes) if accelerate else (shapes, [])
    problems = []
    if constraints:
        store = ox.Store()
        store.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples)
        for constraint in constraints:
            rule = rule_id(shapes, constraint.shape, None)
            for focus, path, value, message in _sparql_results(store, constraint, focus_set):
                problems.append(_problem(locator, rule, constraint.severity, focus, path, value, message))
        del store

    data = PreparedQueryGraph()
    graph_from_triples(triples, data)
    focus = None if focus_set is None else [rdflib.URIRef(n) for n in sorted(focus_set)]
    conforms, results, _ = pyshacl.validate(
        data, shacl_graph=core, inference="none", abort_on_first=False, allow_warnings=True, advanced=False,
        meta_shacl=False, focus_nodes=focus,
    )
    if not isinstance(results, rdflib.Graph):  # pySHACL refused the shapes themselves
        raise InvalidData([Problem(SHAPES_FILE, 0, 0, "shapes-invalid", f"pySHACL cannot use the shapes: {getattr(results, 'message', results)}")])
    for result in results.subjects(RDF.type, SH.ValidationResult):
        focus_node = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        severity = SEVERITIES.get(results.value(result, SH.resultSeverity), "error")
        messages = sorted(str(m) for m in results.objects(result, SH.resultMessage))
        rule = rule_id(shapes, results.value(result, SH.sourceShape), path)
        problems.append(_problem(locator, rule, severity, focus_node, path, value, messages[0] if messages else "constraint not met"))
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
