"""Check pipeline: one verdict on a contribution, the command a pull request's CI runs.

In order, stopping at nothing: files (only Turtle under graph/, UTF-8, bounded size and nesting, strict
parse), entities (one per file, IRI from the path, shared prefixes), formatting (the canonical form),
meaning (SHACL: with a base revision only the entities the change touches, plus what their constraints
reach; without one the whole graph), history (an IRI that existed at the base never disappears), and a
Markdown summary of what the change does to the graph. The store and the files are never written.

Restricting SHACL to a change is sound because no shape of the atlas looks at triples outside the focus
entity's own file except to ask what a linked IRI is (its rdf:type) or whether it exists; the view below
hands pySHACL exactly those triples. tests/test_check.py proves the verdicts equal a full run's.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib

from . import gitrepo
from .canonical_turtle import format_text
from .errors import AtlasError, InvalidData, Problem, sort_problems
from .layout import GRAPH_DIR, ONTOLOGY_DIR, SHAPES_FILE, SourceFile, relpath_of_graph, source_files
from .loader import LoadedFile, load_file
from .namespaces import ONTOLOGY, OWL_DEPRECATED, RDF_TYPE
from .rdfbridge import compact, graph_from_triples
from .shacl import Locator, dedupe, shacl_problems, subject_files
from .staging import Staged, stage
from .store import open_store, read_manifest
from .structure import check_file

CONFIDENCE = ONTOLOGY + "confidence"
SOURCE = ONTOLOGY + "source"


@dataclass
class EntityChange:
    relpath: str
    iri: str
    status: str  # added, removed, changed, deprecated
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)  # claims whose confidence or source changed


@dataclass
class CheckReport:
    problems: list[Problem]
    changes: list[EntityChange]
    mode: str  # "full" or "base"
    base: str = ""
    files_checked: int = 0
    focus_nodes: int = 0
    seconds: float = 0.0

    @property
    def clean(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def verdict(self) -> str:
        errors = sum(p.severity == "error" for p in self.problems)
        scope = f"change since {self.base[:10]}" if self.base else "whole graph"
        state = "clean" if self.clean else f"{errors} error(s)"
        return f"check ({scope}): {state}; {self.files_checked} files, {self.focus_nodes} nodes validated; {self.seconds:.2f} s"

    def summary_markdown(self) -> str:
        out = ["## LLM Atlas check: " + ("passed" if self.clean else "failed"), ""]
        out.append(f"{self.verdict()}.")
        out.append("")
        if self.changes:
            out += ["| entity | file | change | triples added | triples removed |", "|---|---|---|---:|---:|"]
            for c in self.changes:
                out.append(f"| `{compact(c.iri) if c.iri else '?'}` | `{c.relpath}` | {c.status} | {len(c.added)} | {len(c.removed)} |")
            out.append("")
            for c in self.changes:
                if not (c.added or c.removed):
                    continue
                out += [f"<details><summary><code>{c.relpath}</code>: +{len(c.added)} / -{len(c.removed)}</summary>", "", "```diff"]
                out += [f"- {t}" for t in c.removed] + [f"+ {t}" for t in c.added]
                out += ["```", "", "</details>", ""]
            claims = [(c, line) for c in self.changes for line in c.claims]
            if claims:
                out += ["### Claims with a new confidence or source", ""]
                out += [f"- `{c.relpath}`: {line}" for c, line in claims]
                out.append("")
        dangling = [p for p in self.problems if p.rule == "no-dangling-link"]
        out += ["### New dangling references", ""]
        out += [f"- `{p.location()}`: <{p.focus}> -> {p.value}" for p in dangling] or ["None."]
        out.append("")
        errors = [p for p in self.problems if p.rule != "no-dangling-link"]
        if errors:
            out += ["### Problems", ""]
            out += [f"- `{p.location()}` **{p.rule}**: {p.message}" for p in errors]
            out.append("")
        return "\n".join(out).rstrip() + "\n"


# -- files, entities, formatting -------------------------------------------------------------------


def _graph_files(root: Path) -> list[str]:
    """Every file under graph/, hidden ones included: a stray file is refused by name, never skipped."""
    base = root / GRAPH_DIR
    return sorted(p.relative_to(root).as_posix() for p in base.rglob("*") if p.is_file() or p.is_symlink()) if base.is_dir() else []


def _format_problems(loaded: LoadedFile) -> list[Problem]:
    try:
        canonical = format_text(loaded.text, loaded.source.relpath, prove=False)
    except InvalidData as error:  # the formatter refuses what it cannot keep (a comment, many blank nodes)
        return error.problems
    except AtlasError as error:
        return [Problem(loaded.source.relpath, 0, 0, "format", f"the formatter cannot rewrite this file: {error}")]
    if canonical == loaded.text:
        return []
    line = next((i for i, (a, b) in enumerate(zip(loaded.text.splitlines(), canonical.splitlines()), start=1) if a != b), 1)
    return [Problem(loaded.source.relpath, line, 1, "format", f"not in canonical form: run `llm-atlas fmt {loaded.source.relpath}`")]


def check_files(root: Path, relpaths: list[str]) -> tuple[dict[str, LoadedFile], list[Problem]]:
    loaded: dict[str, LoadedFile] = {}
    problems: list[Problem] = []
    for relpath in relpaths:
        item = load_file(SourceFile(relpath, root / relpath))
        problems += item.problems
        if item.ok:
            loaded[relpath] = item
            problems += check_file(relpath, item.quads, item.text)
            problems += _format_problems(item)
    return loaded, problems


# -- the current state of the atlas, for looking up what a change links to ---------------------------


class View:
    """The atlas as the working tree has it: the built store with the files changed since overlaid.

    With no store (a fresh clone) everything is parsed into an in-memory store. Nothing is ever written
    to the persistent store.
    """

    def __init__(self, root: Path, store_dir: Path):
        self.staged: Staged = stage(root, store_dir, tolerant=True)
        if self.staged.full:
            self.store = ox.Store()
            self.store.bulk_extend(q for item in self.staged.changed for q in item.quads)
            self.hidden: set[str] = set()
            self.overlay: dict[str, list[ox.Quad]] = {}
        else:
            self.store = open_store(store_dir) if read_manifest(store_dir) else ox.Store()
            self.hidden = {SourceFile(r, root / r).graph_iri for r in self.staged.replaced}
            self.overlay = {item.source.relpath: item.quads for item in self.staged.changed}
        self.by_subject: dict[str, list[ox.Quad]] = defaultdict(list)
        self.by_object: dict[str, set[str]] = defaultdict(set)
        for relpath, quads in self.overlay.items():
            for q in quads:
                if isinstance(q.subject, ox.NamedNode):
                    self.by_subject[q.subject.value].append(q)
                if isinstance(q.object, ox.NamedNode):
                    self.by_object[q.object.value].add(relpath)

    def _visible(self, quads) -> list[ox.Quad]:
        return [q for q in quads if not (isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value in self.hidden)]

    def about(self, iri: str) -> list[ox.Quad]:
        return self._visible(self.store.quads_for_pattern(ox.NamedNode(iri), None, None, None)) + self.by_subject.get(iri, [])

    def exists(self, iri: str) -> bool:
        return bool(self.about(iri))

    def referrers(self, iri: str) -> set[str]:
        found = {relpath_of_graph(q.graph_name.value) for q in self._visible(self.store.quads_for_pattern(None, None, ox.NamedNode(iri), None))}
        return {r for r in found if r} | self.by_object.get(iri, set())

    def file_quads(self, relpath: str) -> list[ox.Quad]:
        if relpath in self.overlay:
            return self.overlay[relpath]
        graph = ox.NamedNode(SourceFile(relpath, Path(relpath)).graph_iri)
        return list(self.store.quads_for_pattern(None, None, None, graph))

    def ontology_quads(self) -> dict[str, list[ox.Quad]]:
        files = [s.relpath for s in source_files(self.staged.root) if s.relpath.startswith(ONTOLOGY_DIR + "/")]
        return {relpath: self.file_quads(relpath) for relpath in files}

    def close(self) -> None:
        self.store = None


# -- the pipeline ---------------------------------------------------------------------------------


def _subjects(quads) -> set[str]:
    return {q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)}


def _parse_bytes(relpath: str, data: bytes) -> list[ox.Quad]:
    try:
        return list(ox.parse(input=data, format=ox.RdfFormat.TURTLE))
    except SyntaxError:
        return []


def _triple_text(q) -> str:
    return f"{q.subject} {q.predicate} {q.object} ."


def check(root: Path, store_dir: Path, base: str | None = None) -> CheckReport:
    started = time.perf_counter()
    change = gitrepo.change_since(root, base) if base else None
    relpaths = change.touched if change else _graph_files(root)
    loaded, problems = check_files(root, relpaths)

    ontology_changed = bool(change and any(p.startswith(ONTOLOGY_DIR + "/") for p in change.outside))
    view = View(root, store_dir)
    try:
        problems += [p for p in view.staged.failed if not p.path.startswith(GRAPH_DIR + "/")]  # graph/ ones are reported above
        if change is None or ontology_changed:
            mode = "full"
            by_file = {relpath: view.file_quads(relpath) for relpath in sorted({s.relpath for s in source_files(root)} - {p.path for p in view.staged.failed})}
            focus = None
        else:
            mode = "base"
            by_file, focus = _focus_view(root, change, loaded, view)
        shapes = graph_from_triples(by_file.get(SHAPES_FILE) or view.file_quads(SHAPES_FILE))
        data = [q for relpath, quads in by_file.items() if relpath != SHAPES_FILE for q in quads]
        locate_in = {r: q for r, q in by_file.items() if focus is None or r in focus[1]}
        problems += shacl_problems(data, shapes, Locator(root, subject_files(locate_in)), None if focus is None else focus[0])

        changes: list[EntityChange] = []
        if change is not None:
            problems += _history(change)
            changes = _summarise(root, change, loaded)
    finally:
        view.close()
    focus_count = len(focus[0]) if focus is not None else len(_subjects(q for r, qs in by_file.items() if r.startswith(GRAPH_DIR + "/") for q in qs))
    return CheckReport(sort_problems(dedupe(problems)), changes, mode, change.base if change else "", len(relpaths), focus_count, time.perf_counter() - started)


def _focus_view(root: Path, change: gitrepo.Change, loaded: dict[str, LoadedFile], view: View):
    """The files and nodes to validate for a change, and the triples their constraints reach."""
    focus_files = set(loaded)
    # IRIs that were defined at the base in files the change modified or deleted, and exist no more:
    # whoever still links to them now has a dangling link, so their files are validated too.
    old = gitrepo.read_at(root, change.base, sorted(set(change.modified) | set(change.deleted)))
    gone = set()
    for relpath, data in old.items():
        gone |= {iri for iri in _subjects(_parse_bytes(relpath, data)) if not view.exists(iri)}
    for iri in sorted(gone):
        focus_files |= {r for r in view.referrers(iri) if r.startswith(GRAPH_DIR + "/")}

    by_file: dict[str, list[ox.Quad]] = dict(view.ontology_quads())
    for relpath in sorted(focus_files):
        by_file[relpath] = loaded[relpath].quads if relpath in loaded else view.file_quads(relpath)
    focus_quads = [q for r in focus_files for q in by_file[r]]
    nodes = _subjects(focus_quads)
    context: list[ox.Quad] = []
    seen = set(nodes)
    for q in focus_quads:
        if isinstance(q.object, ox.NamedNode) and q.object.value not in seen and not q.object.value.startswith(ONTOLOGY):
            seen.add(q.object.value)
            about = view.about(q.object.value)
            typed = [a for a in about if a.predicate.value == RDF_TYPE]
            context += typed or about[:1]
    by_file["<context>"] = context
    return by_file, (nodes, focus_files)


def _history(change: gitrepo.Change) -> list[Problem]:
    return [
        Problem(
            relpath, 0, 0, "history-removed",
            f"this file existed at the base ({change.base[:10]}); an IRI is never deleted: restore the file, add "
            "owl:deprecated true and dcterms:isReplacedBy <the replacement> to the entity",
        )
        for relpath in change.deleted
        if relpath.endswith(".ttl")
    ]


def _summarise(root: Path, change: gitrepo.Change, loaded: dict[str, LoadedFile]) -> list[EntityChange]:
    old = gitrepo.read_at(root, change.base, sorted(set(change.modified) | set(change.deleted)))
    changes = []
    for relpath in sorted(set(change.added) | set(change.modified) | set(change.deleted)):
        if not relpath.endswith(".ttl"):
            continue
        before = _parse_bytes(relpath, old[relpath]) if relpath in old else []
        after = loaded[relpath].quads if relpath in loaded else []
        entity = next((s for s in sorted(_subjects(after or before)) if "#" not in s), "")
        b = {_triple_text(q) for q in before}
        a = {_triple_text(q) for q in after}
        if relpath in change.deleted:
            status = "removed"
        elif not before:
            status = "added"
        elif any(q.predicate.value == OWL_DEPRECATED and q.object.value == "true" for q in after) and not any(q.predicate.value == OWL_DEPRECATED for q in before):
            status = "deprecated"
        else:
            status = "changed"
        entry = EntityChange(relpath, entity, status, sorted(a - b), sorted(b - a))
        entry.claims = _claim_changes(before, after)
        changes.append(entry)
    return changes


def _claim_changes(before, after) -> list[str]:
    def props(quads, predicate):
        out = defaultdict(set)
        for q in quads:
            if q.predicate.value == predicate:
                out[q.subject.value].add(compact_term(q.object))
        return out

    lines = []
    for predicate, name in ((CONFIDENCE, "confidence"), (SOURCE, "source")):
        old, new = props(before, predicate), props(after, predicate)
        for claim in sorted(set(old) & set(new)):
            if old[claim] != new[claim]:
                lines.append(f"<{claim}> {name}: {', '.join(sorted(old[claim]))} -> {', '.join(sorted(new[claim]))}")
    return lines


def compact_term(term) -> str:
    return compact(rdflib.URIRef(term.value)) if isinstance(term, ox.NamedNode) else str(term)
