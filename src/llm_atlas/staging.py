"""Staging: what a build would change, found and parsed without touching the store, and committed to it.

:func:`stage` hashes every file, compares with the store's manifest and parses the changed files strictly;
:func:`commit` writes a staged change into the store and its dump (see :mod:`llm_atlas.store`), and keeps an
in-memory copy of the data up to date with it. ``build`` commits at once, ``validate`` only when the staged
data is valid, ``check`` never; every reading command of the API commits what changed first.
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
from .layout import SourceFile, source_files
from .loader import LoadedFile, import_quads, load_file
from .progress import progress
from .store import (
    BASE_FILE,
    Manifest,
    append_to_dump,
    dump_dir,
    graphs_of_files,
    load_dump,
    manifest_path,
    open_store,
    read_manifest,
    replace_store_dir,
    write_dump,
    write_manifest,
)


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


def stage(root: Path, store_dir: Path, *, force: bool = False, tolerant: bool = False, parse_full: bool = True,
          store_checked: bool = False) -> Staged:
    """Find and parse what changed.

    Raises :class:`InvalidData` if a changed file does not parse, or if the store is one that git tracks;
    with ``tolerant``, files that do not parse are left out and their problems kept in ``Staged.failed``
    instead (a staged view for checks, never committed). ``store_checked``: the caller has already made sure
    the store is not committed (asking git costs a process per call, more than the rest of a refresh).
    """
    if not store_checked:
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
    memory: ox.Store | None = field(default=None, repr=False)  # the built data in memory, when the build has it

    @property
    def unchanged(self) -> int:
        return self.files - len(self.loaded)

    def summary(self) -> str:
        how = "full build" if self.rebuilt else ("up to date" if not (self.loaded or self.removed) else "incremental")
        return (
            f"{how}: {self.files} files ({len(self.loaded)} loaded, {len(self.removed)} removed, "
            f"{self.unchanged} unchanged); {self.triples} triples in {self.graphs} named graphs; {self.seconds:.2f} s"
        )


def commit(staged: Staged, store_dir: Path, memory: ox.Store | None = None) -> BuildResult:
    """Write a staged build into the store and its dump (neither open elsewhere in this process).

    ``memory``, if given, is an in-memory store that already holds the data as the build leaves it (the
    staged change applied: :func:`apply_staged`); a full build then takes its data from it instead of
    reading the files again. ``BuildResult.memory`` holds the built data in memory when the build has it.
    """
    result = BuildResult(files=staged.files, loaded=[item.source.relpath for item in staged.changed], removed=staged.removed, rebuilt=staged.full)
    previous = read_manifest(store_dir)
    dumps = dump_dir(store_dir)
    if staged.full:
        # Everything into memory first (the fastest parse pyoxigraph offers), then the dump and the
        # on-disk store from it, both beside the old ones and swapped in: the old stay whole until then.
        memory = memory if memory is not None else load_sources(progress(staged.changed, desc="build: loading"))
        fresh, fresh_dump = store_dir.with_name(store_dir.name + ".new"), dumps.with_name(dumps.name + ".new")
        for folder in (fresh, fresh_dump):
            shutil.rmtree(folder, ignore_errors=True)
        write_dump(fresh_dump, memory)
        store = open_store(fresh)
        store.bulk_load(path=str(fresh_dump / BASE_FILE), format=ox.RdfFormat.TRIG, lenient=True)
        store.flush()
        del store
        gc.collect()  # pyoxigraph releases the store's lock when the object is freed
        manifest_path(store_dir).unlink(missing_ok=True)  # a crash between the two swaps costs a full rebuild
        replace_store_dir(fresh, store_dir)
        replace_store_dir(fresh_dump, dumps)
        result.triples, result.graphs = len(memory), sum(1 for _ in memory.named_graphs())
        result.memory = memory
    else:
        store = open_store(store_dir)
        stale = graphs_of_files(store, staged.root, staged.replaced)
        removed = sum(1 for g in stale for _ in store.quads_for_pattern(None, None, None, g))
        for g in stale:
            store.remove_graph(g)
        added = [q for item in staged.changed for q in item.quads]
        store.extend(added)
        store.flush()
        del store
        gc.collect()
        compact = append_to_dump(dumps, stale, added)
        if compact:  # fold the log of changes into a new base
            write_dump(dumps, memory if memory is not None else load_dump(dumps))
        triples = previous.quads if previous else 0
        graphs = previous.graphs if previous else 0
        result.triples = triples - removed + len(added)
        result.graphs = graphs - len(stale) + len({q.graph_name for q in added})
        result.memory = memory
    # The manifest is written last: after a crash above it is stale, which only costs a reload next time.
    write_manifest(store_dir, Manifest(files=staged.hashes, stats=staged.stats, quads=result.triples, graphs=result.graphs))
    result.seconds = time.perf_counter() - staged.started
    return result


@dataclass
class Undo:
    """What :func:`apply_staged` changed in a store, to take it back."""

    removed: list[ox.Quad]
    added_graphs: list[ox.NamedNode]


def apply_staged(memory: ox.Store, staged: Staged) -> Undo:
    """Apply an incremental staged change to an in-memory store (the replaced files' graphs out, the new in)."""
    stale = graphs_of_files(memory, staged.root, staged.replaced)
    removed = [q for g in stale for q in memory.quads_for_pattern(None, None, None, g)]
    for g in stale:
        memory.remove_graph(g)
    added = [q for item in staged.changed for q in item.quads]
    memory.extend(added)
    return Undo(removed, sorted({q.graph_name for q in added if isinstance(q.graph_name, ox.NamedNode)}, key=lambda g: g.value))


def revert(memory: ox.Store, undo: Undo) -> None:
    for g in undo.added_graphs:
        if memory.contains_named_graph(g):
            memory.remove_graph(g)
    memory.extend(undo.removed)


def load_sources(items) -> ox.Store:
    """An in-memory store of the files (parsed already or not), each in its graph(s)."""
    memory = ox.Store()
    for item in items:
        graph = ox.NamedNode(item.source.graph_iri)
        if item.quads:
            memory.extend(item.quads)
        elif item.source.is_import_dataset:  # a graph outside the file's record namespace raises ForeignGraph, a ValueError
            memory.extend(import_quads(ox.parse(path=str(item.source.path), format=ox.RdfFormat.TRIG), graph, item.source.record_base))
        else:
            memory.load(path=str(item.source.path), format=ox.RdfFormat.TURTLE, to_graph=graph)
    return memory
