"""The history of the European Open Source AI Index: every distinct state of each system's record, with when the
index said it and until when it held (``llm-atlas import osai-index-history BUNDLE``).

The index's database is a git repository; its history (a ``git bundle``) holds every earlier state of every system
file. This importer reads the main line of that history (``git log --first-parent``: the states the database
published, a side branch's work counting from the merge that published it) and, for each record of the
``osai-index`` import (one per system file, keyed by its slug), writes each *distinct* state once:

- a named graph ``state/osai-index/<slug>/<commit>`` holding what the ``osai-index`` importer writes for the
  record at that commit (the same reader, reconciliation and facts, so that the saved queries read a state like
  the current record): a state whose facts equal the previous state's is not repeated, however the file's
  notes, comments or layout changed;
- in the default graph, the state itself: an atlas:RecordState (and atlas:SourceRecord), prov:specializationOf
  the record, prov:generatedAtTime the committer date of the commit it first appeared in (atlas:sourceCommit),
  prov:invalidatedAtTime the date of the commit that changed or removed it (atlas:invalidatedByCommit), none
  while it holds, prov:wasRevisionOf the state it replaced; its evidence is the file at that commit.

Earlier layouts of the files (2023-2024 ``project:`` files, the nested "yaml 2.0" files) are read by renaming
their keys (:func:`~.osai_index.upgrade_layout`); a state that still cannot be read is reported with
``commit:file:line`` and the rule, and the record's previous state stands (the last the index said readably).

The output, ``history/osai-index.trig``, is outside ``imports/``: a build never loads it, so the current graph
neither sees a superseded state nor gets slower; ``--as-of DATE`` reads it (:mod:`llm_atlas.asof`). Same bundle
and same checkout, same bytes.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..errors import Problem, UsageError, sort_problems
from ..namespaces import BASE
from ..store import atomic_write_text
from . import trig
from .base import DCTERMS, OWL, PROV, RDFS, XSD, A, literal, slugify
from .osai_index import (
    CC_BY_4,
    INDEX_DOI,
    INDEX_TITLE,
    INDEX_URL,
    PAPER_CITATION,
    REPOSITORY,
    OsaiImporter,
    Snapshot,
    assessment_slug,
    read_system_bytes,
)
from .reconcile import AtlasIndex, import_files_before
from .run import ATLAS, RECORD_BASE, SOURCE_BASE, _Run

SOURCE_KEY = "osai-index"
HISTORY_FILE = "history/osai-index.trig"
STATE_BASE = BASE + "state/osai-index/"
HISTORY_IMPORT = BASE + "import/osai-index-history"
BUNDLE_HEADS = (b"# v2 git bundle\n", b"# v3 git bundle\n")


@dataclass
class HistoryReport:
    output: str = HISTORY_FILE
    commits: int = 0  # in the bundle
    mainline: int = 0  # commits of the main line read, in order
    blobs: int = 0  # distinct system-file contents read
    states: int = 0  # distinct states written
    records: int = 0  # records (systems) with at least one state
    current: int = 0  # states still holding at the last commit
    triples: int = 0
    layouts: dict[str, int] = field(default_factory=dict)  # file contents read, by layout
    skipped: list[Problem] = field(default_factory=list)
    head: str = ""
    first: str = ""
    last: str = ""
    changed: bool = False
    seconds: float = 0.0
    rendered: str | None = field(default=None, repr=False)

    source = "osai-index-history"
    has_errors = False  # an unreadable state of the past is reported; the history is still imported

    def summary(self) -> str:
        layouts = ", ".join(f"{n} {k}" for k, n in sorted(self.layouts.items()))
        return (f"import osai-index-history: {self.commits} commits in the bundle, {self.mainline} on the main line read "
                f"({self.first} to {self.last}, HEAD {self.head}); {self.blobs} distinct file contents read ({layouts}); "
                f"{self.states} distinct states of {self.records} records ({self.current} holding now), "
                f"{len(self.skipped)} unreadable file states skipped; {self.triples} triples -> {self.output}"
                f"{'' if self.changed else ' (unchanged)'}; {self.seconds:.1f} s")

    def to_text(self) -> str:
        lines = [self.summary()]
        if self.skipped:
            lines.append(f"skipped ({len(self.skipped)}), the record's previous state standing:")
            lines += [f"  {p.as_text()}" for p in sort_problems(self.skipped)]
        return "\n".join(lines) + "\n"


def _git(repo: Path, *args: str, data: bytes | None = None) -> bytes:
    result = subprocess.run(["git", "-C", str(repo), *args], input=data, capture_output=True, check=False)
    if result.returncode != 0:
        raise UsageError(f"git {args[0]} failed in the history: {result.stderr.decode('utf-8', 'replace').strip()}")
    return result.stdout


def clone_bundle(bundle: Path, into: Path) -> Path:
    """A bare clone of ``bundle`` in ``into``; UsageError (rule history-bundle) if it is no readable git bundle."""
    if not bundle.is_file():
        raise UsageError(f"{bundle}: no such file [history-bundle]: give the index's history as a file `git bundle create` wrote")
    with bundle.open("rb") as handle:
        head = handle.read(16)
    if head not in BUNDLE_HEADS:
        raise UsageError(f"{bundle}:1: not a git bundle (it does not start with '# v2 git bundle') [history-bundle]: "
                         "give the file `git bundle create` wrote")
    target = into / "history.git"
    result = subprocess.run(["git", "clone", "--quiet", "--bare", str(bundle), str(target)], capture_output=True, check=False)
    if result.returncode != 0:
        raise UsageError(f"{bundle}: git cannot clone this bundle [history-bundle]: {result.stderr.decode('utf-8', 'replace').strip()}")
    return target


def bundle_tip(repo: Path, bundle: Path) -> str:
    """The commit the history ends at: the bundle's HEAD, else its first branch."""
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "-q", "HEAD^{commit}"], capture_output=True, check=False)
    if head.returncode == 0:
        return head.stdout.decode().strip()
    refs = _git(repo, "for-each-ref", "--format=%(objectname)", "refs/heads", "refs/tags").decode().split()
    if not refs:
        raise UsageError(f"{bundle}: the bundle has no branch [history-bundle]")
    return refs[0]


class _Objects:
    """Git objects read through one ``git cat-file --batch``."""

    def __init__(self, repo: Path):
        self.repo = repo

    def read(self, names: list[str]) -> dict[str, tuple[str, bytes]]:
        out = _git(self.repo, "cat-file", "--batch", data="".join(n + "\n" for n in names).encode())
        found, pos = {}, 0
        for name in names:
            end = out.index(b"\n", pos)
            header = out[pos:end].decode().split()
            pos = end + 1
            if header[-1] == "missing":
                continue
            size = int(header[2])
            found[name] = (header[1], out[pos:pos + size])
            pos += size + 1
        return found


def _tree_entries(data: bytes) -> dict[str, str]:
    """name -> blob id of a (binary) git tree's files."""
    entries, pos = {}, 0
    while pos < len(data):
        space = data.index(b" ", pos)
        nul = data.index(b"\0", space)
        mode, name = data[pos:space], data[space + 1:nul].decode("utf-8", "surrogateescape")
        sha = data[nul + 1:nul + 21].hex()
        pos = nul + 21
        if not mode.startswith(b"4"):  # 40000: a folder
            entries[name] = sha
    return entries


def _is_system_file(name: str) -> bool:
    return name.lower().endswith((".yaml", ".yml")) and not name.startswith(("_", "."))


def _utc(iso: str) -> str:
    return dt.datetime.fromisoformat(iso).astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _slugs(names: list[str]) -> dict[str, str]:
    """file -> record slug, as the osai-index import gives them for a folder holding these files."""
    out, taken = {}, set()
    for name in sorted(names, key=lambda n: (n.casefold(), n)):
        base = assessment_slug(name) or "system"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        out[name] = slug
    return out


@dataclass
class _State:
    slug: str
    file: str
    commit: str  # 40 hex digits: where it first appeared
    time: str  # xsd:dateTime, UTC
    describes: str
    quads: list[tuple]  # (subject, predicate, object) of the record's graph, the record IRI as is
    description: list[tuple]  # (predicate, object) of the record
    key: frozenset
    end_commit: str = ""
    end_time: str = ""
    previous: str = ""  # the state IRI it replaced

    @property
    def iri(self) -> str:
        return f"{STATE_BASE}{self.slug}/{self.commit[:7]}"


def import_history(bundle: Path, root: Path, *, write: bool = True) -> HistoryReport:
    """Import every distinct state of the index's records from ``bundle`` into ``history/osai-index.trig``."""
    started = time.perf_counter()
    report = HistoryReport()
    bundle = Path(bundle)
    with tempfile.TemporaryDirectory(prefix="llm-atlas-history-") as tmp:
        repo = clone_bundle(bundle, Path(tmp))
        tip = bundle_tip(repo, bundle)
        report.commits = int(_git(repo, "rev-list", "--count", tip).decode().strip() or 0)
        log = _git(repo, "log", "--first-parent", "--reverse", "--format=%H %cI", tip).decode().split("\n")
        commits = [tuple(line.split(" ", 1)) for line in log if line.strip()]
        if not commits:
            raise UsageError(f"{bundle}: the bundle has no commits [history-bundle]")
        report.mainline = len(commits)
        objects = _Objects(repo)
        trees = objects.read([f"{c}^{{tree}}" for c, _ in commits])
        files_at = [{n: s for n, s in _tree_entries(trees[f"{c}^{{tree}}"][1]).items() if _is_system_file(n)} for c, _ in commits]
        blob_ids = sorted({s for files in files_at for s in files.values()})
        blobs = {k: v[1] for k, v in objects.read(blob_ids).items()}
    report.head, report.first, report.last = commits[-1][0][:7], _utc(commits[0][1]), _utc(commits[-1][1])

    importer = OsaiImporter()
    index = AtlasIndex.read(root, import_files_before(root, importer.precedence, _registry()))
    importer.prepare(index)
    vocabulary = importer._vocabulary

    systems: dict[tuple[str, str], object] = {}  # (file, blob) -> System or None
    first_seen: dict[tuple[str, str], str] = {}
    for (commit, _), files in zip(commits, files_at):
        for name, sha in sorted(files.items()):
            if (name, sha) in systems:
                continue
            first_seen[(name, sha)] = commit
            result = read_system_bytes(blobs[sha], name, f"{commit[:7]}:{name}", vocabulary, old_layouts=True, layouts=report.layouts)
            if isinstance(result, list):
                report.skipped += result
                systems[(name, sha)] = None
            else:
                systems[(name, sha)] = result
    report.blobs = len(systems)
    # organisation names the index uses on their own, as the current import sees them (its last commit)
    from .reconcile import org_key

    importer._single = {org_key(s.org_name) for n, sha in files_at[-1].items() if (s := systems.get((n, sha))) is not None and s.org_name}
    snapshot = _snapshot(report.head)

    rendered: dict[tuple[str, str, str], tuple] = {}  # (slug, file, blob) -> (describes, quads, description, key)
    open_states: dict[str, _State] = {}
    states: list[_State] = []
    for (commit, when), files in zip(commits, files_at):
        slugs = _slugs(list(files))
        seen: set[str] = set()
        for name, sha in sorted(files.items()):
            system = systems[(name, sha)]
            slug = slugs[name]
            if system is None:
                if slug in open_states:
                    seen.add(slug)  # unreadable: the previous state stands
                continue
            seen.add(slug)
            key = (slug, name, sha)
            if key not in rendered:
                rendered[key] = _render_state(importer, index, snapshot, system, slug, first_seen[(name, sha)])
            describes, quads, description, content = rendered[key]
            current = open_states.get(slug)
            if current is not None and current.key == content:
                continue
            state = _State(slug, name, commit, _utc(when), describes, quads, description, content)
            if current is not None:
                current.end_commit, current.end_time = commit, _utc(when)
                state.previous = current.iri
            open_states[slug] = state
            states.append(state)
        for slug in sorted(set(open_states) - seen):  # removed from the index
            gone = open_states.pop(slug)
            gone.end_commit, gone.end_time = commit, _utc(when)
    report.states = len(states)
    report.records = len({s.slug for s in states})
    report.current = len(open_states)

    quads = _quads(states, snapshot, report)
    header = (f"Generated by `llm-atlas import osai-index-history` from the history of {INDEX_TITLE} (git bundle {bundle.name}, "
              f"HEAD {report.head}, {report.mainline} commits of its main line from {report.first} to {report.last}): do not edit by hand.\n"
              f"Licence of the data: <{CC_BY_4}>. Cite: " + " | ".join(snapshot.citations) + "\n"
              "Each named graph is one distinct state of one record of the index; the default graph says when the index said it "
              "(prov:generatedAtTime) and until when it held (prov:invalidatedAtTime).")
    text = trig.render(quads, header)
    report.triples = len(set(quads))
    out = root / HISTORY_FILE
    old = out.read_text(encoding="utf-8") if out.is_file() else None
    report.changed = old != text
    if not write:
        report.rendered = text
    elif report.changed:
        atomic_write_text(out, text)
    report.seconds = time.perf_counter() - started
    return report


def _registry() -> dict:
    from . import REGISTRY

    return REGISTRY


def _snapshot(head: str) -> Snapshot:
    return Snapshot(source=SOURCE_KEY, title=INDEX_TITLE + " (history)", version=head, license=CC_BY_4,
                    citations=(f"Liesenfeld, A., Dingemanse, M. et al. {INDEX_TITLE}. Zenodo. doi:{INDEX_DOI}", PAPER_CITATION),
                    homepage=INDEX_URL)


def _render_state(importer: OsaiImporter, index: AtlasIndex, snapshot: Snapshot, system, slug: str, commit: str) -> tuple:
    """What the osai-index import writes for one state of a record: (release IRI, the record graph's triples,
    the record's description, a key equal for equal states)."""
    record = importer._record(system, slug, commit[:7])
    run = _Run(importer, index, snapshot)
    resolution = run.reconciler.resolve_named(record.subject)
    if resolution.outcome == "known":
        run.reconciler.alias(resolution.iri, record.subject)
    run.described.add(resolution.iri)
    run.write_record(record, resolution)
    run.write_references()
    rec = f"{RECORD_BASE}{SOURCE_KEY}/{slugify(slug)}"
    graph_triples, description = set(), []
    for q in run.quads:
        if isinstance(q.graph_name, ox.DefaultGraph):
            if q.subject.value == rec and q.predicate.value not in (ATLAS + "inImport",):
                description.append((q.predicate, q.object))
            continue  # the descriptions of reference records: their facts are folded into the state's graph
        graph_triples.add((q.subject, q.predicate, q.object))
    quads = sorted(graph_triples, key=lambda t: (str(t[0]), str(t[1]), str(t[2])))
    kept = [(p, o) for p, o in description if p.value not in (ATLAS + "evidence", ATLAS + "locator")]
    content = frozenset(quads) | frozenset(kept)
    return resolution.iri, quads, description, content


def _rewrite(term, rec: str, state: str):
    if isinstance(term, ox.NamedNode) and (term.value == rec or term.value.startswith(rec + "#")):
        return ox.NamedNode(state + term.value[len(rec):])
    return term


def _quads(states: list[_State], snapshot: Snapshot, report: HistoryReport) -> list[ox.Quad]:
    quads: list[ox.Quad] = []

    def add(s, p, o, g=None):
        quads.append(ox.Quad(ox.NamedNode(s) if isinstance(s, str) else s, ox.NamedNode(p), ox.NamedNode(o) if isinstance(o, str) else o,
                             g or ox.DefaultGraph()))

    node = HISTORY_IMPORT
    add(node, A, ATLAS + "Import")
    add(node, RDFS + "label", literal(f"{snapshot.title} (main line to {report.head})", language="en"))
    add(node, DCTERMS + "title", literal(snapshot.title, language="en"))
    add(node, OWL + "versionInfo", literal(report.head))
    add(node, DCTERMS + "license", snapshot.license)
    add(node, DCTERMS + "source", REPOSITORY)
    add(node, ATLAS + "source", SOURCE_BASE + SOURCE_KEY)
    add(node, DCTERMS + "issued", literal(report.last[:10], XSD + "date"))
    for citation in snapshot.citations:
        add(node, DCTERMS + "bibliographicCitation", literal(citation))
    for state in states:
        rec = f"{RECORD_BASE}{SOURCE_KEY}/{slugify(state.slug)}"
        iri, graph = state.iri, ox.NamedNode(state.iri)
        add(iri, A, ATLAS + "RecordState")
        add(iri, A, ATLAS + "SourceRecord")
        add(iri, PROV + "specializationOf", rec)
        add(iri, ATLAS + "inImport", node)
        add(iri, ATLAS + "sourceCommit", literal(state.commit))
        add(iri, PROV + "generatedAtTime", literal(state.time, XSD + "dateTime"))
        if state.end_commit:
            add(iri, ATLAS + "invalidatedByCommit", literal(state.end_commit))
            add(iri, PROV + "invalidatedAtTime", literal(state.end_time, XSD + "dateTime"))
        if state.previous:
            add(iri, PROV + "wasRevisionOf", state.previous)
        for p, o in state.description:
            if p.value == ATLAS + "evidence":  # the file as it was when the state began
                o = ox.NamedNode(f"{REPOSITORY}/blob/{state.commit[:7]}/{_path(state.file)}")
            add(iri, p.value, _rewrite(o, rec, iri))
        for s, p, o in state.quads:
            quads.append(ox.Quad(_rewrite(s, rec, iri), p, _rewrite(o, rec, iri), graph))
    return quads


def _path(name: str) -> str:
    from urllib.parse import quote

    return quote(name)
