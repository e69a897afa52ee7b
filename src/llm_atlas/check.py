"""Check pipeline: one verdict on a contribution, the command a pull request's CI runs.

Every path of the tree is in scope. In order, stopping at nothing:

- names: a path that is not plain (llm_atlas.layout.is_plain_name) is refused under an escaped name before
  it is printed anywhere; a committed store (anything under .llm-atlas/, or a store's files) and a git
  submodule are refused; a change to code (src/, tests/, benchmarks/, .github/, .ci/, pyproject.toml) is
  reported for a maintainer's review, since the check that runs is the base revision's, never the change's;
- files of ontology/, graph/ and imports/ (Turtle only, UTF-8, bounded size and nesting, strict parse, no
  RDF 1.2), their terms (llm_atlas.terms), entities (one per file, IRI from the path, shared prefixes) and
  the canonical form of graph/ files;
- saved queries (their header, their syntax, no SERVICE, FROM or update);
- meaning (SHACL): with a base revision only the nodes the change can affect, with what their constraints
  read (see :func:`_scope`); without one, or when ontology/ changes, the whole atlas. A change to ontology/
  is also validated under the base revision's ontology and shapes, and each rule, term and label it changes
  is listed for the reviewer;
- imports: every file of imports/ is recorded in imports/MANIFEST.json with the digest its importer wrote,
  and is regenerated from its recorded snapshot to compare bytes (llm_atlas.importers);
- history: an IRI that existed at the base never disappears;
- a Markdown summary of what the change does to the graph, every name in it escaped.

The store and the files are never written, and a store that git tracks is never read.

Restricting SHACL to a change is sound because of what the atlas's shapes read around a focus node: its own
triples (in any file), the triples of the IRIs it links to (their class, their existence, a claim's subject,
an assessment's judgements), the statement claims about it, the ontology, and the keys of all sources.
:func:`_scope` hands pySHACL exactly those, for every node whose verdict a changed triple can change.
tests/test_check.py proves the verdicts equal a full run's, for every shape's fixtures among other changes.
"""

from __future__ import annotations

import html
import os
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib

from . import gitrepo, import_provenance, importmanifest
from .canonical_turtle import format_text
from .errors import AtlasError, InvalidData, Problem, sort_problems
from .layout import (
    GRAPH_DIR, IMPORT_MANIFEST, IMPORTS_DIR, ONTOLOGY_DIR, QUERIES_DIR, SHAPES_FILE, SourceFile, display_name, is_plain_name,
    relpath_of_graph, source_files,
)
from .loader import LoadedFile, load_file
from .namespaces import ONTOLOGY, OWL_DEPRECATED, RDF_TYPE
from .ontodiff import ontology_changes
from .query import saved_query_problems
from .rdfbridge import compact, graph_from_triples
from .shacl import Locator, dedupe, shacl_problems, subject_files
from .staging import Staged, committed_store, stage
from .store import open_store, read_manifest
from .structure import check_file
from .worker import Worker, WorkerFailed, WorkerTimeout

RDF_SUBJECT = "http://www.w3.org/1999/02/22-rdf-syntax-ns#subject"
CONFIDENCE = ONTOLOGY + "confidence"
SOURCE = ONTOLOGY + "source"
SOURCE_KEY = ONTOLOGY + "sourceKey"
JUDGEMENT = ONTOLOGY + "judgement"
RESOLVES = ONTOLOGY + "resolves"
CONTRADICTED_BY = ONTOLOGY + "contradictedBy"
DEEP = {RDF_SUBJECT, JUDGEMENT, RESOLVES}  # links whose target's triples a constraint reads (statement-asserted, assessment-dimension-once)
SH = "http://www.w3.org/ns/shacl#"
DATA_DIRS = (ONTOLOGY_DIR, GRAPH_DIR, IMPORTS_DIR)
# Paths whose change runs code somewhere (the package, the tests and benchmarks CI runs, the workflows and
# their scripts, the build): the check does not run them, and a maintainer reads them.
CODE_PATHS = ("src/", "tests/", "benchmarks/", ".github/", ".ci/", "pyproject.toml", "setup.py", "setup.cfg", "conftest.py")
# A store in the tree: the default folder, a manifest beside a store, or the files of a RocksDB database.
_STORE_FILE = re.compile(r"(?:^|/)\.llm-atlas(?:/|$)|\.manifest\.json$|(?:^|/)(?:CURRENT|IDENTITY|LOCK|MANIFEST-\d+|OPTIONS-\d+|\d+\.(?:sst|log|blob))$")
MAX_DIFF_LINES = 200  # triples listed per file in the summary; the rest are counted


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
    review: list[str] = field(default_factory=list)  # code paths the change touches (a maintainer reads them)
    regenerated: list[str] = field(default_factory=list)  # files of imports/ regenerated and compared

    @property
    def clean(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    def verdict(self) -> str:
        errors = sum(p.severity == "error" for p in self.problems)
        warnings = sum(p.severity == "warning" for p in self.problems)
        scope = f"change since {self.base[:10]}" if self.base else "whole graph"
        state = "clean" if self.clean else f"{errors} error(s)"
        if warnings:
            state += f", {warnings} warning(s)"
        if self.review:
            state += f"; {len(self.review)} code file(s) for a maintainer to review"
        return f"check ({scope}): {state}; {self.files_checked} files, {self.focus_nodes} nodes validated; {self.seconds:.2f} s"

    def summary_markdown(self) -> str:
        """The pull-request comment. Every name, IRI, value and message is escaped: none can write Markdown or HTML."""
        heading = "passed" if self.clean else "failed"
        if self.clean and self.review:
            heading += ", needs a maintainer's review"
        out = ["## LLM Atlas check: " + heading, "", md_text(self.verdict()) + ".", ""]
        if self.review:
            out += ["### Code changes for a maintainer to review", "",
                    "The check that decided is the base revision's; this change's code did not run. A maintainer reviews:", ""]
            out += [f"- {md_code(path)}" for path in self.review]
            out.append("")
        ontology = [p for p in self.problems if p.rule == "ontology-changed"]
        if ontology:
            out += ["### Ontology changes (each changes what data is valid or what answers say)", ""]
            out += [f"- {md_code(p.location())}: {md_text(p.message)}" for p in ontology]
            out.append("")
        if self.changes:
            out += ["| entity | file | change | triples added | triples removed |", "|---|---|---|---:|---:|"]
            for c in self.changes:
                out.append(f"| {md_code(compact(c.iri) if c.iri else '?')} | {md_code(c.relpath)} | {c.status} | {len(c.added)} | {len(c.removed)} |")
            out.append("")
            for c in self.changes:
                if not (c.added or c.removed):
                    continue
                lines = [f"- {t}" for t in c.removed] + [f"+ {t}" for t in c.added]
                if len(lines) > MAX_DIFF_LINES:
                    lines = lines[:MAX_DIFF_LINES] + [f"  ... and {len(lines) - MAX_DIFF_LINES} more"]
                out += [f"<details><summary>{md_code(c.relpath)}: +{len(c.added)} / -{len(c.removed)}</summary>", "", md_pre("\n".join(lines)), "",
                        "</details>", ""]
            claims = [(c, line) for c in self.changes for line in c.claims]
            if claims:
                out += ["### Claims with a new confidence or source", ""]
                out += [f"- {md_code(c.relpath)}: {md_text(line)}" for c, line in claims]
                out.append("")
        dangling = [p for p in self.problems if p.rule == "no-dangling-link"]
        out += ["### New dangling references", ""]
        out += [f"- {md_code(p.location())}: {md_code('<' + p.focus + '>')} -> {md_code(p.value)}" for p in dangling] or ["None."]
        out.append("")
        errors = [p for p in self.problems if p.rule not in ("no-dangling-link", "ontology-changed")]
        if errors:
            out += ["### Problems", ""]
            out += [f"- {md_code(p.location())} **{md_text(p.rule)}** ({p.severity}): {md_text(p.message)}" for p in errors]
            out.append("")
        return "\n".join(out).rstrip() + "\n"


# -- Markdown that cannot be escaped from ---------------------------------------------------------------------


def md_code(text: str) -> str:
    """Inline code as HTML, which GitHub renders in tables too: every character that means something escaped."""
    escaped = html.escape(_printable(text), quote=True).replace("|", "&#124;").replace("`", "&#96;").replace("\\", "&#92;")
    return f"<code>{escaped}</code>"


def md_text(text: str) -> str:
    """Running text: HTML and Markdown punctuation escaped, so a message quoting data stays text."""
    escaped = html.escape(_printable(text), quote=False)  # <, > and & as entities: no HTML, no autolink in <...>
    # the characters that open emphasis, code, links, images, tables and strikethrough mid-line (a message never
    # starts a line of the summary, and line breaks are escaped, so block markers cannot occur)
    return re.sub(r"([\\`*_\[\]|~])", r"\\\1", escaped)


_ENTITIES = {"`": "&#96;", "[": "&#91;", "]": "&#93;", "!": "&#33;", "|": "&#124;", "*": "&#42;", "_": "&#95;", "~": "&#126;", "\\": "&#92;"}


def md_pre(text: str) -> str:
    """A preformatted block as HTML: no fence a line could close, and (for any renderer that would still read
    Markdown in it) every Markdown character an entity."""
    escaped = html.escape(_printable(text, keep_newlines=True), quote=False)
    return "<pre>" + "".join(_ENTITIES.get(c, c) for c in escaped) + "</pre>"


def _printable(text: str, keep_newlines: bool = False) -> str:
    def escape(match: re.Match) -> str:
        char = match.group()
        return "\n" if keep_newlines and char == "\n" else f"\\u{ord(char):04x}"
    return re.sub(r"[\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]", escape, text)


# -- what is in scope ---------------------------------------------------------------------------------------------


@dataclass
class Inventory:
    data: list[str] = field(default_factory=list)  # files of ontology/, graph/, imports/ to load and check
    queries: list[str] = field(default_factory=list)
    imports_present: list[str] = field(default_factory=list)  # files of imports/ in the tree (plain names)
    review: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _in(path: str, folders) -> bool:
    return any(path.startswith(folder + "/") for folder in folders)


def is_store_path(path: str) -> bool:
    return bool(_STORE_FILE.search(path))


def _walk(root: Path, folder: str) -> list[str]:
    """Every file under ``folder``, hidden ones included: a stray file is refused by name, never skipped."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root / folder):
        dirnames.sort()
        found += [(Path(dirpath) / name).relative_to(root).as_posix() for name in filenames]
        found += [(Path(dirpath) / name).relative_to(root).as_posix() for name in dirnames if (Path(dirpath) / name).is_symlink()]
    return sorted(found)


def _classify(paths: list[str], exists, inventory: Inventory, *, committed: set[str], submodules: set[str], review: bool) -> None:
    stores: list[str] = []
    for path in paths:
        if review and (path.startswith(CODE_PATHS) or path in CODE_PATHS or path.endswith((".py", ".sh"))):
            inventory.review.append(path)  # printed escaped, whatever its name
        if not is_plain_name(path) and _in(path, DATA_DIRS + (QUERIES_DIR,)):
            inventory.problems.append(Problem(display_name(path), 1, 1, "file-name",
                                              "file and folder names use only ASCII letters, digits, '.', '_' and '-' (this one is shown "
                                              "escaped): rename it"))
            continue
        if path in committed and is_store_path(path):
            stores.append(path)
            continue
        if path in submodules or path == ".gitmodules" and exists(path):
            inventory.problems.append(Problem(path, 1, 1, "submodule",
                                              "git submodules are not used: their content is fetched from elsewhere and bypasses every check; "
                                              "commit the files themselves (imports/ files are written by `llm-atlas import`)"))
            continue
        if not exists(path) or not is_plain_name(path):
            continue
        if _in(path, DATA_DIRS) and path != IMPORT_MANIFEST and Path(path).name.lower() != "readme.md":
            inventory.data.append(path)
        elif _in(path, (QUERIES_DIR,)) and Path(path).name.lower() != "readme.md":
            inventory.queries.append(path)
    if stores:  # one problem for the whole store, at its first file
        inventory.problems.append(Problem(stores[0], 1, 1, "committed-store",
                                          f"a store is committed ({len(stores)} file(s), first {stores[0]}): the store is built from the files "
                                          "and never read from a checkout; remove it from git (git rm -r --cached .llm-atlas) and keep it ignored"))
    for path in inventory.review:
        inventory.problems.append(Problem(display_name(path), 1, 1, "needs-review",
                                          "this change runs as code somewhere (the package, CI, the tests): the check that decides is the base "
                                          "revision's and did not run it; a maintainer reviews it before merging", "warning"))


def inventory(root: Path, change: gitrepo.Change | None) -> Inventory:
    """The paths a check looks at, sorted out; with ``change``, only the changed ones."""
    found = Inventory()

    def exists(path: str) -> bool:
        return os.path.lexists(root / path)

    if change is not None:
        committed = {p for p in change.touched if exists(p)}  # in a pull request every changed file is committed
        _classify(change.paths, exists, found, committed=committed, submodules=set(change.submodules), review=True)
    elif gitrepo.is_toplevel(root):
        tracked = gitrepo.tracked(root)
        paths = sorted({p for _, p in tracked} | set(gitrepo.untracked(root)))
        _classify(paths, exists, found, committed={p for _, p in tracked}, submodules={p for mode, p in tracked if mode == gitrepo.GITLINK},
                  review=False)
        # what git does not list in the data folders (ignored files) is still loaded by a build: check it too
        listed = set(found.data) | {p.path for p in found.problems}
        found.data += [s.relpath for s in source_files(root) if s.relpath not in listed and is_plain_name(s.relpath)]
    else:
        paths = sorted({p for folder in DATA_DIRS + (QUERIES_DIR,) for p in _walk(root, folder)})
        _classify(paths, exists, found, committed=set(), submodules=set(), review=False)
    found.data = sorted(set(found.data))
    found.imports_present = sorted(p for p in _walk(root, IMPORTS_DIR) if is_plain_name(p) and p != IMPORT_MANIFEST
                                   and not Path(p).name.startswith(".") and Path(p).name.lower() != "readme.md")
    return found


# -- files, entities, formatting -------------------------------------------------------------------------------


def _format_problems(loaded: LoadedFile) -> list[Problem]:
    try:
        canonical = format_text(loaded.text, loaded.source.relpath, prove=False)
    except InvalidData as error:  # the formatter refuses what it cannot keep (a comment, many blank nodes)
        return [p if p.line else Problem(p.path, 1, 1, p.rule, p.message, p.severity, p.focus) for p in error.problems]
    except AtlasError as error:
        return [Problem(loaded.source.relpath, 1, 1, "format", f"the formatter cannot rewrite this file: {error}")]
    if canonical == loaded.text:
        return []
    # split on "\n" only, so that a carriage return counts as a difference on its own line
    old_lines, new_lines = loaded.text.split("\n"), canonical.split("\n")
    line, col = min(len(old_lines), len(new_lines)), 1
    for number, (a, b) in enumerate(zip(old_lines, new_lines), start=1):
        if a != b:
            line, col = number, next((i for i, (x, y) in enumerate(zip(a, b), start=1) if x != y), min(len(a), len(b)) + 1)
            break
    return [Problem(loaded.source.relpath, line, col, "format", f"not in canonical form from here on: run `llm-atlas fmt {loaded.source.relpath}`")]


def check_files(root: Path, relpaths: list[str]) -> tuple[dict[str, LoadedFile], list[Problem]]:
    """Load each file strictly, then its term, folder and (for graph/) format rules."""
    loaded: dict[str, LoadedFile] = {}
    problems: list[Problem] = []
    for relpath in relpaths:
        item = load_file(SourceFile(relpath, root / relpath))
        problems += item.problems
        if item.ok:
            loaded[relpath] = item
            problems += check_file(relpath, item.quads, item.text)
            if relpath.startswith(GRAPH_DIR + "/"):
                problems += _format_problems(item)
    return loaded, problems


QUERY_READ_TIMEOUT = 20.0  # seconds to read one saved query (the guard's parse is a few milliseconds)


def check_queries(root: Path, relpaths: list[str]) -> list[Problem]:
    """The saved-query policy for each file: a header, valid SPARQL, no SERVICE, FROM or update.

    A contributor's query text is read by the guard in a worker process: a text built to make the engine's
    parser slow or crash it costs the worker, not the check.
    """
    problems = []
    with Worker() as worker:
        for relpath in relpaths:
            path = root / relpath
            if path.is_symlink():
                problems.append(Problem(relpath, 1, 1, "symlink", "symbolic links are not followed: commit the file itself"))
            elif not relpath.endswith(".rq"):
                problems.append(Problem(relpath, 1, 1, "query-file", "queries/ holds saved queries, <name>.rq: rename or move this file"))
            else:
                try:
                    problems += worker.call(saved_query_problems, path, relpath, timeout=QUERY_READ_TIMEOUT)
                except (WorkerTimeout, WorkerFailed) as error:
                    problems.append(Problem(relpath, 1, 1, "query-syntax", f"the SPARQL parser could not read this query ({error}): "
                                                                           "simplify it"))
    return problems


# -- the current state of the atlas, for looking up what a change links to ---------------------------------------


class View:
    """The atlas as the working tree has it: the built store with the files changed since overlaid.

    With no usable store (none, a fresh clone, or one that git tracks) everything is parsed into an in-memory
    store; files already loaded by the check are reused. Nothing is ever written to the persistent store.
    """

    def __init__(self, root: Path, store_dir: Path | None, preloaded: dict[str, LoadedFile] | None = None):
        preloaded = preloaded or {}
        self.root = root
        self.hidden: set[str] = set()
        self.overlay: dict[str, list[ox.Quad]] = {}
        self.failed: list[Problem] = []
        if store_dir is None or read_manifest(store_dir) is None:
            self.store = ox.Store()
            for source in source_files(root):
                item = preloaded.get(source.relpath) or load_file(source)
                self.failed += item.problems
                self.store.bulk_extend(item.quads)
            self.files = sorted(s.relpath for s in source_files(root))
        else:
            staged: Staged = stage(root, store_dir, tolerant=True)
            self.failed = staged.failed
            self.files = sorted(staged.hashes)
            if staged.full:  # a store of another version: parse everything
                self.store = ox.Store()
                self.store.bulk_extend(q for item in staged.changed for q in item.quads)
            else:
                self.store = open_store(store_dir)
                self.hidden = set(staged.replaced)  # files whose stored quads the working tree replaces
                self.overlay = {item.source.relpath: item.quads for item in staged.changed}
        self.by_subject: dict[str, list[ox.Quad]] = defaultdict(list)
        self.by_object: dict[str, list[ox.Quad]] = defaultdict(list)
        self.by_predicate: dict[str, list[ox.Quad]] = defaultdict(list)
        for quads in self.overlay.values():
            for q in quads:
                if isinstance(q.subject, ox.NamedNode):
                    self.by_subject[q.subject.value].append(q)
                if isinstance(q.object, ox.NamedNode):
                    self.by_object[q.object.value].append(q)
                self.by_predicate[q.predicate.value].append(q)

    def _visible(self, quads) -> list[ox.Quad]:
        """The stored quads of files the working tree has not changed (an import's record graphs included)."""
        if not self.hidden:
            return list(quads)
        return [q for q in quads if not (isinstance(q.graph_name, ox.NamedNode) and relpath_of_graph(q.graph_name.value) in self.hidden)]

    def about(self, iri: str) -> list[ox.Quad]:
        """Every quad with ``iri`` as subject, in any file."""
        return self._visible(self.store.quads_for_pattern(ox.NamedNode(iri), None, None, None)) + self.by_subject.get(iri, [])

    def exists(self, iri: str) -> bool:
        if iri in self.by_subject:
            return True
        return any(True for _ in self._visible(self.store.quads_for_pattern(ox.NamedNode(iri), None, None, None)))

    def types_or_any(self, iri: str) -> list[ox.Quad]:
        """Its rdf:type quads (for sh:class), or one quad if it has no type (that it exists)."""
        node = ox.NamedNode(iri)
        typed = self._visible(self.store.quads_for_pattern(node, ox.NamedNode(RDF_TYPE), None, None))
        typed += [q for q in self.by_subject.get(iri, []) if q.predicate.value == RDF_TYPE]
        if typed:
            return typed
        for q in self._visible(self.store.quads_for_pattern(node, None, None, None)):
            return [q]
        return self.by_subject.get(iri, [])[:1]

    def linking(self, iri: str, predicate: str | None = None) -> list[ox.Quad]:
        """Every quad with ``iri`` as object (through ``predicate`` only, if given)."""
        p = ox.NamedNode(predicate) if predicate else None
        found = self._visible(self.store.quads_for_pattern(None, p, ox.NamedNode(iri), None))
        return found + [q for q in self.by_object.get(iri, []) if predicate is None or q.predicate.value == predicate]

    def with_predicate(self, predicate: str) -> list[ox.Quad]:
        return self._visible(self.store.quads_for_pattern(None, ox.NamedNode(predicate), None, None)) + self.by_predicate.get(predicate, [])

    def file_quads(self, relpath: str) -> list[ox.Quad]:
        if relpath in self.overlay:
            return self.overlay[relpath]
        source = SourceFile(relpath, self.root / relpath)
        quads = list(self.store.quads_for_pattern(None, None, None, ox.NamedNode(source.graph_iri)))
        if source.is_import_dataset:  # and the file's record graphs
            records = [g for g in self.store.named_graphs() if isinstance(g, ox.NamedNode) and g.value.startswith(source.record_base)]
            for graph in records:
                quads += self.store.quads_for_pattern(None, None, None, graph)
        return quads

    def all_quads(self) -> dict[str, list[ox.Quad]]:
        """Every file's quads, grouped once (a full check)."""
        by_file: dict[str, list[ox.Quad]] = defaultdict(list)
        for q in self._visible(self.store.quads_for_pattern(None, None, None, None)):
            if isinstance(q.graph_name, ox.NamedNode):
                relpath = relpath_of_graph(q.graph_name.value)
                if relpath is not None:
                    by_file[relpath].append(q)
        for relpath, quads in self.overlay.items():
            by_file[relpath] = quads
        return dict(by_file)

    def ontology_quads(self) -> dict[str, list[ox.Quad]]:
        return {relpath: self.file_quads(relpath) for relpath in self.files if relpath.startswith(ONTOLOGY_DIR + "/")}

    def close(self) -> None:
        self.store = None


# -- the pipeline --------------------------------------------------------------------------------------------------


def _subjects(quads) -> set[str]:
    return {q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)}


RDF_SUFFIXES = (".ttl", ".trig")  # Turtle everywhere, TriG for the imports


def _parse_bytes(relpath: str, data: bytes) -> list[ox.Quad]:
    """The quads of a file as a revision held it (nothing if it did not parse: the base is then not the judge)."""
    try:
        return list(ox.parse(input=data, format=ox.RdfFormat.TRIG if relpath.endswith(".trig") else ox.RdfFormat.TURTLE))
    except SyntaxError:
        return []


def _triple_text(q) -> str:
    return f"{q.subject} {q.predicate} {q.object} ."


def check(root: Path, store_dir: Path, base: str | None = None, *, snapshots: Path | None = None) -> CheckReport:
    started = time.perf_counter()
    snapshots = snapshots or importmanifest.default_snapshots(root)
    change = gitrepo.change_since(root, base) if base else None
    found = inventory(root, change)
    problems = list(found.problems)
    loaded, file_problems = check_files(root, found.data)
    problems += file_problems
    problems += check_queries(root, found.queries)

    ontology_changed = bool(change and any(_in(p, (ONTOLOGY_DIR,)) for p in change.paths))
    old_files = gitrepo.read_at(root, change.base, [p for p in change.modified + change.deleted if _in(p, DATA_DIRS) and p.endswith(RDF_SUFFIXES)]) if change else {}
    old_quads = {relpath: _parse_bytes(relpath, data) for relpath, data in old_files.items()}
    view = View(root, None if committed_store(root, store_dir) else store_dir, loaded)
    try:
        reported = {p.path for p in problems}
        problems += [p for p in view.failed if p.path not in reported]
        if change is None or ontology_changed:
            mode = "full"
            failed = {p.path for p in view.failed} | {p.path for p in file_problems if p.rule in _LOAD_RULES}
            by_file = {relpath: quads for relpath, quads in view.all_quads().items() if relpath in view.files and relpath not in failed}
            focus = None
        else:
            mode = "base"
            shapes = graph_from_triples(view.file_quads(SHAPES_FILE))
            by_file, focus, nested = _scope(change, loaded, old_quads, view, nested_paths(shapes))
        if focus is None:
            shapes = graph_from_triples(by_file.get(SHAPES_FILE) or view.file_quads(SHAPES_FILE))
        data = [q for relpath, quads in by_file.items() if relpath != SHAPES_FILE for q in quads]
        if focus is None:
            problems += shacl_problems(data, shapes, Locator(root, subject_files(by_file)))
        else:
            # pySHACL applies its focus_nodes option to nested shapes too: a value node checked through sh:or /
            # sh:node is skipped, so conforms, unless it is a focus node itself. Those value nodes are therefore
            # focus nodes as well, and what is reported about them (with less context than a full run) dropped.
            results = shacl_problems(data, shapes, Locator(root, subject_files(by_file)), focus | nested)
            problems += [p for p in results if p.focus in focus]
        if change is not None and ontology_changed:
            problems += _under_base_ontology(root, change, by_file, problems)
            problems += ontology_changes(_base_ontology(root, change), {r: q for r, q in by_file.items() if _in(r, (ONTOLOGY_DIR,))},
                                         {r: f.text for r, f in loaded.items()} | _texts(root, view.files))

        verification = _verify_imports(root, change, found, snapshots)
        problems += verification.problems
        changes: list[EntityChange] = []
        if change is not None:
            problems += _history(change)
            changes = _summarise(change, loaded, old_quads)
    finally:
        view.close()
    if focus is not None:
        focus_count = len(focus)
    else:
        focus_count = len(_subjects(q for r, qs in by_file.items() if not _in(r, (ONTOLOGY_DIR,)) for q in qs))
    checked = len(found.data) + len(found.queries)
    return CheckReport(sort_problems(dedupe(problems)), changes, mode, change.base if change else "", checked, focus_count,
                       time.perf_counter() - started, found.review, verification.regenerated)


_LOAD_RULES = {"file-name", "symlink", "not-turtle", "file-too-large", "unreadable", "encoding", "nesting-too-deep", "turtle-syntax",
               "unknown-prefix", "relative-iri", "rdf12-syntax", "too-many-blank-nodes"}


def _texts(root: Path, relpaths: list[str]) -> dict[str, str]:
    out = {}
    for relpath in relpaths:
        if _in(relpath, (ONTOLOGY_DIR,)):
            try:
                out[relpath] = (root / relpath).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                pass
    return out


# -- the scope of a change -------------------------------------------------------------------------------------


NESTING = {SH + name for name in ("or", "and", "xone", "not", "node", "qualifiedValueShape")}


def nested_paths(shapes: rdflib.Graph) -> set[str]:
    """The properties whose values a shape checks against other shapes (sh:or, sh:node, ...): their values are
    read in full, not only for their class."""
    return {str(path) for shape, path in shapes.subject_objects(rdflib.URIRef(SH + "path"))
            if isinstance(path, rdflib.URIRef) and any((shape, rdflib.URIRef(n), None) in shapes for n in NESTING)}


def _scope(change: gitrepo.Change, loaded: dict[str, LoadedFile], old_quads: dict[str, list[ox.Quad]], view: View, nesting: set[str]):
    """The nodes whose verdict the change can alter, the quads (by file) their constraints read, and the value
    nodes that nested shapes check.

    A node is in scope when a triple it reads changed: its own triples; for a statement claim, its subject's
    triples (statement-asserted), and for a subject, its claims (claim-backed, motivation-inferred); for an
    assessment, its judgements (assessment-dimension-once); for anything linking to a node, that node's class
    and existence (sh:class, no-dangling-link), or all of it through a property a nested shape checks
    (``nesting``); for a source, every source's key (source-key-unique).
    """
    changed = [r for r in change.paths if _in(r, (GRAPH_DIR, IMPORTS_DIR)) and r != IMPORT_MANIFEST]
    new_quads = {r: loaded[r].quads for r in changed if r in loaded}

    def triples(quads) -> set[tuple]:
        return {(q.subject, q.predicate, q.object) for q in quads}

    delta: set[tuple] = set()
    for relpath in changed:
        delta |= triples(new_quads.get(relpath, [])) ^ triples(old_quads.get(relpath, []))
    touched = {s.value for s, _, _ in delta if isinstance(s, ox.NamedNode)}
    nodes = set(touched) | {s for quads in new_quads.values() for s in _subjects(quads)}
    old_about: dict[str, list[tuple]] = defaultdict(list)
    for quads in old_quads.values():
        for q in quads:
            if isinstance(q.subject, ox.NamedNode):
                old_about[q.subject.value].append((q.predicate.value, q.object))
    for subject in touched:
        # a changed claim changes its subject's verdict (old subject and new)
        subjects = [o for p, o in old_about.get(subject, []) if p == RDF_SUBJECT] + [q.object for q in view.about(subject) if q.predicate.value == RDF_SUBJECT]
        nodes |= {o.value for o in subjects if isinstance(o, ox.NamedNode)}
        # claims about a changed node read its triples; an assessment reads its judgements
        for predicate in (RDF_SUBJECT, JUDGEMENT):
            nodes |= {q.subject.value for q in view.linking(subject, predicate) if isinstance(q.subject, ox.NamedNode)}
        # a resolution reads the disagreement it resolves: the claim (or differing statement) itself, and the
        # claims and asserted values about that statement's subject (resolution-resolves, resolution-favours)
        for claim in [subject, *(q.subject.value for q in view.linking(subject, RDF_SUBJECT) if isinstance(q.subject, ox.NamedNode))]:
            nodes |= {q.subject.value for q in view.linking(claim, RESOLVES) if isinstance(q.subject, ox.NamedNode)}
        # a node whose class changed, or that appeared or vanished: whatever links to it
        retyped = any(s.value == subject and p.value == RDF_TYPE for s, p, _ in delta if isinstance(s, ox.NamedNode))
        if retyped or (subject in old_about) != view.exists(subject):
            nodes |= {q.subject.value for q in view.linking(subject) if isinstance(q.subject, ox.NamedNode)}
    keys = {o.value for _, p, o in delta if p.value == SOURCE_KEY}
    source_keys = view.with_predicate(SOURCE_KEY)
    if keys:
        nodes |= {q.subject.value for q in source_keys if q.object.value in keys and isinstance(q.subject, ox.NamedNode)}
    nodes = {n for n in nodes if view.exists(n)}

    quads: set[ox.Quad] = set()
    nested: set[str] = set()
    seen: set[str] = set()
    for node in nodes:
        about = view.about(node)
        quads.update(about)
        for q in about:  # one step out
            if not isinstance(q.object, ox.NamedNode) or q.object.value.startswith(ONTOLOGY):
                continue
            if q.predicate.value in DEEP or q.predicate.value in nesting:
                quads.update(view.about(q.object.value))  # all of it: a claim's subject, judgements, a nested shape's value
                if q.predicate.value in nesting and q.object.value.startswith(("http://", "https://")):
                    nested.add(q.object.value)  # (pySHACL reads an IRI of any other scheme as a prefixed name)
            elif q.object.value not in seen:
                seen.add(q.object.value)
                quads.update(view.types_or_any(q.object.value))  # its class for sh:class, or that it exists
        for claim in view.linking(node, RDF_SUBJECT):
            quads.update(view.about(claim.subject.value))
        for q in about:  # a resolution: the other side of its disagreement
            if q.predicate.value != RESOLVES or not isinstance(q.object, ox.NamedNode):
                continue
            quads.update(view.linking(q.object.value, CONTRADICTED_BY))  # a claim contradicting it, read backwards
            for s in view.about(q.object.value):
                if s.predicate.value == RDF_SUBJECT and isinstance(s.object, ox.NamedNode):
                    quads.update(view.about(s.object.value))  # the value the atlas asserts, and the claims backing it
                    for claim in view.linking(s.object.value, RDF_SUBJECT):
                        quads.update(view.about(claim.subject.value))
    quads.update(source_keys)
    by_file: dict[str, list[ox.Quad]] = defaultdict(list)
    for q in quads:
        by_file[relpath_of_graph(q.graph_name.value) or "<context>"].append(q)
    for relpath, ontology in view.ontology_quads().items():
        by_file[relpath] = ontology
    return dict(by_file), nodes, nested - nodes


# -- ontology changes ------------------------------------------------------------------------------------------


def _base_ontology(root: Path, change: gitrepo.Change) -> dict[str, list[ox.Quad]]:
    listing = gitrepo.git(root, "ls-tree", "-r", "-z", "--name-only", change.base, "--", ONTOLOGY_DIR + "/").decode("utf-8", "surrogateescape")
    relpaths = [p for p in listing.split("\0") if p.endswith(RDF_SUFFIXES)]
    return {relpath: _parse_bytes(relpath, data) for relpath, data in gitrepo.read_at(root, change.base, relpaths).items()}


def _under_base_ontology(root: Path, change: gitrepo.Change, by_file: dict[str, list[ox.Quad]], found: list[Problem]) -> list[Problem]:
    """The data validated with the base revision's ontology and shapes: a change cannot relax the rules that judge it."""
    base = _base_ontology(root, change)
    shapes = graph_from_triples(base.get(SHAPES_FILE, []))
    data = [q for relpath, quads in by_file.items() if not _in(relpath, (ONTOLOGY_DIR,)) for q in quads]
    data += [q for relpath, quads in base.items() if relpath != SHAPES_FILE for q in quads]
    try:
        results = shacl_problems(data, shapes, Locator(root, subject_files({r: q for r, q in by_file.items() if not _in(r, (ONTOLOGY_DIR,))})))
    except InvalidData as error:
        return error.problems
    known = {(p.path, p.line, p.rule, p.focus, p.value) for p in found}
    suffix = " (under the base revision's shapes: this change relaxes the rule that refuses it)"
    return [Problem(p.path, p.line, p.col, p.rule, p.message + suffix, p.severity, p.focus, p.value, p.predicate)
            for p in results if (p.path, p.line, p.rule, p.focus, p.value) not in known]


# -- imports ---------------------------------------------------------------------------------------------------


def _verify_imports(root: Path, change: gitrepo.Change | None, found: Inventory, snapshots: Path) -> import_provenance.Verification:
    records, problems = importmanifest.read(root)
    if change is None:
        verification = import_provenance.verify(root, found.imports_present, records, snapshots, regenerate=lambda entry: True,
                                        must_verify=lambda entry: False)
    else:
        old = gitrepo.read_at(root, change.base, [IMPORT_MANIFEST]).get(IMPORT_MANIFEST)
        base_records, _ = importmanifest.parse(old)
        changed = set(change.paths)

        def altered(entry) -> bool:  # the record or the file is part of the change
            return base_records.get(entry.relpath) != entry or entry.relpath in changed

        def regenerate(entry) -> bool:  # anything its output depends on changed, or it was made by another version
            job = import_provenance.regenerator(entry.importer)
            return (altered(entry) or job is None or job.version != entry.importer_version
                    or any(job.depends_on(path) for path in changed))

        verification = import_provenance.verify(root, found.imports_present, records, snapshots, regenerate=regenerate, must_verify=altered)
    verification.problems = problems + verification.problems
    return verification


# -- history and the summary -----------------------------------------------------------------------------------


def _history(change: gitrepo.Change) -> list[Problem]:
    return [
        Problem(
            relpath, 1, 1, "history-removed",
            f"this file existed at the base ({change.base[:10]}); an IRI is never deleted: restore the file, add "
            "owl:deprecated true and dcterms:isReplacedBy <the replacement> to the entity",
        )
        for relpath in change.deleted
        if relpath.endswith(RDF_SUFFIXES) and _in(relpath, DATA_DIRS) and is_plain_name(relpath)
    ]


def _summarise(change: gitrepo.Change, loaded: dict[str, LoadedFile], old_quads: dict[str, list[ox.Quad]]) -> list[EntityChange]:
    changes = []
    for relpath in change.paths:
        if not (relpath.endswith(RDF_SUFFIXES) and _in(relpath, (GRAPH_DIR, IMPORTS_DIR)) and is_plain_name(relpath)):
            continue
        before = old_quads.get(relpath, [])
        after = loaded[relpath].quads if relpath in loaded else []
        entity = next((s for s in sorted(_subjects(after or before)) if "#" not in s), "")
        b = {_triple_text(q) for q in before}
        a = {_triple_text(q) for q in after}
        if relpath in change.deleted:
            status = "removed"
        elif relpath in change.added:
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
