"""Build job: load every file of ontology/, graph/ and imports/ into the store and its dump, a named graph per file.

A build happens in two steps: :func:`llm_atlas.staging.stage` finds and parses what changed, touching
nothing; :func:`commit` writes the staged files into the store. A file that does not parse stops the
build at the first step, so the store stays exactly as it was.
"""

from __future__ import annotations

import gc
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .loader import import_quads
from .staging import Staged, stage
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
        memory = memory if memory is not None else load_sources(staged.changed)
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


def build(root: Path, store_dir: Path, *, force: bool = False, memory: ox.Store | None = None) -> BuildResult:
    """Build what changed. ``memory``, an in-memory copy of the store as built so far, is kept up to date."""
    staged = stage(root, store_dir, force=force, parse_full=False)
    if memory is not None and not staged.full and staged.pending:
        apply_staged(memory, staged)
    elif staged.full:
        memory = None
    if not staged.pending:  # nothing to load: only the manifest's file stats are brought up to date
        counts = read_manifest(store_dir)
        write_manifest(store_dir, Manifest(files=staged.hashes, stats=staged.stats, quads=counts.quads, graphs=counts.graphs))
        return BuildResult(files=staged.files, memory=memory, seconds=time.perf_counter() - staged.started,
                           triples=counts.quads, graphs=counts.graphs)
    try:
        return commit(staged, store_dir, memory)
    except (SyntaxError, ValueError):
        # a file the loader refused: parse everything the slow way, which reports every bad file with
        # its position (and raises InvalidData); the old store is untouched
        return commit(stage(root, store_dir, force=True), store_dir)

