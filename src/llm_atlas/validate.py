"""Validate job: SHACL (pySHACL) over the built store, every result mapped back to ``path:line``.

The data graph is the graph/ data plus the ontology and vocabularies (so sh:class sees subclass axioms
and the claim rules see which properties are claim properties); the shapes graph is ontology/shapes.ttl.
Results carry the rule id of the shape that produced them (see docs/rules.md).
"""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import Problem, sort_problems
from .layout import SHAPES_FILE
from .rdfbridge import graph_from_triples
from .progress import progress
from .shacl import Locator, dedupe, shacl_problems, subject_files
from .staging import commit, stage
from .store import open_store, quads_by_file
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


def validate(root: Path, by_file: dict[str, list[ox.Quad]], *, focus_files: set[str] | None = None, accelerate: bool = True) -> ValidationReport:
    """Validate the quads of every file (as built, or as a staged build would leave them)."""
    started = time.perf_counter()
    graph_of = subject_files(by_file)
    problems: list[Problem] = []
    for relpath, quads in progress(sorted(by_file.items()), desc="validate: files"):
        if focus_files is None or relpath in focus_files:  # every folder: the term rules apply to all files
            try:
                text = (root / relpath).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                text = ""
            problems += check_file(relpath, quads, text)

    shapes = graph_from_triples(by_file.get(SHAPES_FILE, []))
    data = (q for relpath, quads in by_file.items() if relpath != SHAPES_FILE for q in quads)
    problems += shacl_problems(data, shapes, Locator(root, graph_of), accelerate=accelerate)
    entities = sum(1 for relpath in by_file if relpath.startswith("graph/"))
    return ValidationReport(sort_problems(dedupe(problems)), entities, time.perf_counter() - started)


def validate_checkout(root: Path, store_dir: Path) -> ValidationReport:
    """SHACL over the data as it is on disk, and the store brought up to date when (and only when) it is valid.

    Files changed since the last build are parsed and checked before they reach the store; the staged build
    is committed only when the data conforms, so invalid data never replaces a valid store. The store must
    not be open elsewhere in this process.
    """
    staged = stage(root, store_dir)
    by_file: dict[str, list[ox.Quad]] = {}
    if not staged.full:
        store = open_store(store_dir)
        by_file = quads_by_file(store, exclude=staged.replaced)
        del store
        gc.collect()  # pyoxigraph releases the store's lock when the object is freed
    for item in staged.changed:
        by_file[item.source.relpath] = item.quads
    report = validate(root, by_file)
    if report.conforms and staged.pending:
        commit(staged, store_dir)
    return report
