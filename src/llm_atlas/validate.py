"""Validate job: the file rules and SHACL over the data, every problem mapped back to ``path:line``.

The data graph is the union of every graph of the store (graph/ data, imports, and the ontology and
vocabularies, so sh:class sees subclass axioms and the claim rules see which properties are claim
properties) without the shapes; the shapes graph is ontology/shapes.ttl. Results carry the rule id of the
shape that produced them (see docs/rules.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import Problem, sort_problems
from .layout import SHAPES_FILE, SourceFile, relpath_of_graph
from .rdfbridge import graph_from_triples
from .shacl import Locator, dedupe, shacl_problems
from .structure import check_file


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)
    entities: int = 0
    seconds: float = 0.0

    @property
    def conforms(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def summary(self) -> str:
        errors = sum(p.severity == "error" for p in self.problems)
        warnings = sum(p.severity == "warning" for p in self.problems)
        verdict = "valid" if self.conforms else "INVALID"
        return f"{verdict}: {self.entities} entities checked, {errors} errors, {warnings} warnings ({self.seconds:.2f} s)"


def graph_of_file(root: Path, relpath: str) -> ox.NamedNode:
    return ox.NamedNode(SourceFile(relpath, root / relpath).graph_iri)


def validate(root: Path, store: ox.Store, files: list[str], *, graph_file: Callable[[str], str | None] = relpath_of_graph,
             engine: str = "sparql", progress: Callable[[int, int], None] | None = None) -> ValidationReport:
    """Validate the data of ``store``, which holds the quads of ``files`` (paths relative to ``root``).

    The store is left as it was given; while SHACL runs, the shapes' own triples are taken out of it.
    """
    started = time.perf_counter()
    problems: list[Problem] = []
    for relpath in files:
        if relpath.startswith("graph/"):
            try:
                text = (root / relpath).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            problems += check_file(relpath, store.quads_for_pattern(None, None, None, graph_of_file(root, relpath)), text)

    shapes_graph = graph_of_file(root, SHAPES_FILE)
    shape_quads = list(store.quads_for_pattern(None, None, None, shapes_graph))
    shapes = graph_from_triples(shape_quads)
    if shape_quads:
        store.remove_graph(shapes_graph)  # the shapes are not data
    try:
        problems += shacl_problems(store, shapes, Locator.for_store(root, store, graph_file), engine=engine, progress=progress)
    finally:
        store.extend(shape_quads)
    entities = sum(1 for relpath in files if relpath.startswith("graph/"))
    return ValidationReport(sort_problems(dedupe(problems)), entities, time.perf_counter() - started)
