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
from .progress import progress
from .rdfbridge import graph_from_triples
from .shacl import Locator, dedupe, shacl_problems
from .staging import apply_staged, commit, load_sources, revert, stage
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
             engine: str = "sparql") -> ValidationReport:
    """Validate the data of ``store``, which holds the quads of ``files`` (paths relative to ``root``).

    The store is left as it was given; while SHACL runs, the shapes' own triples are taken out of it.
    """
    started = time.perf_counter()
    problems: list[Problem] = []
    for relpath in progress(files, desc="validate: files"):  # every folder: the term rules apply to all files
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
        problems += shacl_problems(store, shapes, Locator.for_store(root, store, graph_file), engine=engine,
                                   progress=lambda items: progress(items, desc="validate: shapes", unit="shape"))
    finally:
        store.extend(shape_quads)
    entities = sum(1 for relpath in files if relpath.startswith("graph/"))
    return ValidationReport(sort_problems(dedupe(problems)), entities, time.perf_counter() - started)


def validate_checkout(root: Path, store_dir: Path, memory: ox.Store | None = None, *,
                      loaded: Callable[[ox.Store], None] | None = None) -> tuple[ValidationReport, ox.Store | None]:
    """SHACL over the data as it is on disk, and the store brought up to date when (and only when) it is valid.

    Files changed since the last build are parsed and checked before they reach the store; the staged build
    is committed only when the data conforms, so invalid data never replaces a valid store. ``memory`` is
    the store's in-memory copy (loaded from its dump when not given): the change is applied to it for the
    validation and taken back if the data is invalid. Returns the report and the in-memory copy of the
    store as it now is (None if there is no store). ``loaded`` is called with the data about to be validated (the
    report starts drawing it then; the data is not changed by the validation, and is what a commit writes).
    """
    from .store import dump_dir, has_dump, load_dump, read_manifest

    staged = stage(root, store_dir, parse_full=False)
    undo = None
    if staged.full or read_manifest(store_dir) is None or not has_dump(dump_dir(store_dir)):
        if not staged.full:
            staged = stage(root, store_dir, force=True, parse_full=False)
        try:
            data = load_sources(progress(staged.changed, desc="validate: loading"))
        except (SyntaxError, ValueError):  # parse every file the slow way: InvalidData names each bad one
            staged = stage(root, store_dir, force=True)
            data = load_sources(staged.changed)
        memory = None
    else:
        data = memory if memory is not None else load_dump(dump_dir(store_dir))
        undo = apply_staged(data, staged)
    if loaded is not None:
        loaded(data)
    report = validate(root, data, sorted(staged.hashes))
    if report.conforms:
        if staged.pending:
            commit(staged, store_dir, data)
        return report, data
    if undo is not None:
        revert(data, undo)
        return report, data
    return report, memory
