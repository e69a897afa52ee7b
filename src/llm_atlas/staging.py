"""Staging: what a build would change, found and parsed without touching the store, and committed to it.

:func:`stage` hashes every file, compares with the store's manifest and parses the changed files strictly;
:func:`commit` writes a staged change into the store. ``build`` commits at once, ``validate`` only when the
staged data is valid, ``check`` never; every reading command of the API commits what changed first.
"""

from __future__ import annotations

import gc
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import gitrepo
from .errors import InvalidData, Problem
from .layout import SourceFile, record_base, source_files
from .loader import LoadedFile, import_quads, load_file
from .progress import progress
from .store import Manifest, manifest_path, open_store, read_manifest, replace_store_dir, write_manifest


@dataclass
class Staged:
    """What a build would do: the parsed files to (re)load, the files to drop, and the new manifest."""

    root: Path
    files: int
    hashes: dict[str, str]
    stats: dict[str, tuple[int, int]]
    changed: list[LoadedFile]
    removed: list[str]
    full: bool
    started: float
    failed: list[Problem] = field(default_factory=list)  # files that did not parse (tolerant staging only)

    @property
    def pending(self) -> bool:
        return self.full or bool(self.changed or self.removed)

    @property
    def replaced(self) -> set[str]:
        """Files whose stored content the staged build replaces or drops."""
        return {item.source.relpath for item in self.changed} | set(self.removed) | {p.path for p in self.failed}


def _parse_all(sources: list[SourceFile], parse: bool = True) -> list[LoadedFile]:
    loaded = [load_file(source, parse=parse) for source in progress(sources, desc="build: reading files" if parse else "build: checking files")]
    problems: list[Problem] = [p for item in loaded for p in item.problems]
    if problems:
        raise InvalidData(problems, f"{len(problems)} file(s) could not be loaded; the store was left unchanged")
    return loaded


def committed_store(root: Path, store_dir: Path) -> list[str]:
    """The files of the store (and its manifest) that git tracks in the checkout: a store someone committed.

    Such a store is never read: its manifest can be made to match the files while the store holds anything.
    """
    try:
        store, manifest = store_dir.resolve(), manifest_path(store_dir).resolve()
        top = root.resolve()
    except OSError:
        return []
    if not store.is_relative_to(top) or not gitrepo.is_toplevel(top):
        return []
    return [path for _, path in gitrepo.tracked(top, store.relative_to(top).as_posix(), manifest.relative_to(top).as_posix())]


def refuse_committed_store(root: Path, store_dir: Path) -> None:
    committed = committed_store(root, store_dir)
    if committed:
        first = min(committed)
        raise InvalidData([Problem(first, 1, 1, "committed-store",
                                   f"the store is committed ({len(committed)} file(s) tracked by git, first {first}): it is never read; "
                                   "remove it from git (git rm -r --cached .llm-atlas) and build it from the files")],
                          "a committed store is never read: the store was left unchanged")


def stage(root: Path, store_dir: Path, *, force: bool = False, tolerant: bool = False, parse_full: bool = True) -> Staged:
    """Find and parse what changed.

    Raises :class:`InvalidData` if a changed file does not parse, or if the store is one that git tracks;
    with ``tolerant``, files that do not parse are left out and their problems kept in ``Staged.failed``
    instead (a staged view for checks, never committed).
    """
    refuse_committed_store(root, store_dir)
    started = time.perf_counter()
    sources = source_files(root)
    manifest = None if force else read_manifest(store_dir)
    full = manifest is None or not manifest.compatible()
    # Like git's index: a file whose size and modification time are those recorded when it was hashed
    # is not read again. At 10^6 triples (25 000 files) this turns a second of hashing into a few stats.
    hashes: dict[str, str] = {}
    stats: dict[str, tuple[int, int]] = {}
    for source in progress(sources, desc="build: checking files"):
        try:
            info = source.path.stat()
        except OSError:  # a broken link or a file gone meanwhile: the loader reports it by name
            hashes[source.relpath], stats[source.relpath] = "", (0, 0)
            continue
        stats[source.relpath] = (info.st_size, info.st_mtime_ns)
        known = None if full else manifest.files.get(source.relpath)
        # a file changed less than two seconds before the manifest was written may have been changed again
        # within the file system's timestamp granularity: hash it ("racy" files, as git calls them)
        settled = not full and info.st_mtime_ns < manifest.written_ns - 2_000_000_000
        if known and settled and manifest.stats.get(source.relpath) == stats[source.relpath]:
            hashes[source.relpath] = known
        else:
            try:
                hashes[source.relpath] = source.sha256()
            except OSError:
                hashes[source.relpath] = ""
    changed = sources if full else [s for s in sources if not hashes[s.relpath] or manifest.files.get(s.relpath) != hashes[s.relpath]]
    removed = [] if full else sorted(set(manifest.files) - set(hashes))
    if not tolerant:
        # parse_full=False: a full build checks every file but leaves the parse to the bulk loader
        return Staged(root, len(sources), hashes, stats, _parse_all(changed, parse=parse_full or not full), removed, full, started)
    loaded = [load_file(source) for source in changed]
    failed = [p for item in loaded for p in item.problems]
    return Staged(root, len(sources), hashes, stats, [item for item in loaded if item.ok], removed, full, started, failed)


# -- committing -----------------------------------------------------------------------------------------


@dataclass
class BuildResult:
    files: int
    loaded: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rebuilt: bool = False
    triples: int = 0
    graphs: int = 0
    seconds: float = 0.0

    @property
    def unchanged(self) -> int:
        return self.files - len(self.loaded)

    def summary(self) -> str:
        how = "full build" if self.rebuilt else ("up to date" if not (self.loaded or self.removed) else "incremental")
        return (
            f"{how}: {self.files} files ({len(self.loaded)} loaded, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged); {self.triples} triples in {self.graphs} named graphs; {self.seconds:.2f} s"
        )


def commit(staged: Staged, store_dir: Path) -> BuildResult:
    """Write a staged build into the store (which must not be open elsewhere in this process)."""
    result = BuildResult(files=staged.files, loaded=[item.source.relpath for item in staged.changed], removed=staged.removed, rebuilt=staged.full)
    if staged.full:
        # Load into a fresh store beside the old one and swap it in: the old store stays whole until then.
        fresh = store_dir.with_name(store_dir.name + ".new")
        shutil.rmtree(fresh, ignore_errors=True)
        store = open_store(fresh)
        try:
            # one bulk load for all files, streamed: the files not parsed in Python go through pyoxigraph's
            # strict parser here, so memory stays flat whatever the size of the atlas
            store.bulk_extend(q for item in progress(staged.changed, desc="build: loading") for q in _quads(item))
        except (SyntaxError, ValueError, OSError):
            del store
            gc.collect()
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        store.flush()
        result.triples, result.graphs = len(store), sum(1 for _ in store.named_graphs())
        del store
        gc.collect()  # pyoxigraph releases the store's lock when the object is freed
        replace_store_dir(fresh, store_dir)
    else:
        store = open_store(store_dir)
        replaced = sorted(staged.replaced)
        stale = [ox.NamedNode(SourceFile(relpath, staged.root / relpath).graph_iri) for relpath in replaced]
        record_bases = tuple(record_base(relpath) for relpath in replaced if SourceFile(relpath, staged.root / relpath).is_import_dataset)
        if record_bases:  # an import's record graphs go with it
            stale += [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value.startswith(record_bases)]
        for g in stale:
            if store.contains_named_graph(g):
                store.remove_graph(g)
        store.extend(q for item in staged.changed for q in item.quads)
        store.flush()
        result.triples, result.graphs = len(store), sum(1 for _ in store.named_graphs())
        del store
        gc.collect()
    # The manifest is written last: after a crash above it is stale, which only costs a reload next time.
    write_manifest(store_dir, Manifest(files=staged.hashes, stats=staged.stats))
    result.seconds = time.perf_counter() - staged.started
    return result


def _quads(item):
    if item.quads:
        return item.quads
    graph = ox.NamedNode(item.source.graph_iri)
    if item.source.is_import_dataset:  # a graph outside the file's record namespace raises ForeignGraph, a ValueError
        return import_quads(ox.parse(path=str(item.source.path), format=ox.RdfFormat.TRIG), graph, item.source.record_base)
    return (ox.Quad(t.subject, t.predicate, t.object, graph) for t in ox.parse(path=str(item.source.path), format=ox.RdfFormat.TURTLE))
