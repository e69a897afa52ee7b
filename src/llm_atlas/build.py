"""Build job: load every file of ontology/ and graph/ into the persistent store, one named graph per file.

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

from .layout import SourceFile, record_base
from .loader import import_quads
from .staging import Staged, stage
from .store import Manifest, open_store, replace_store_dir, write_manifest


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
            store.bulk_extend(q for item in staged.changed for q in _quads(item))
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


def build(root: Path, store_dir: Path, *, force: bool = False) -> BuildResult:
    staged = stage(root, store_dir, force=force, parse_full=False)
    try:
        return commit(staged, store_dir)
    except (SyntaxError, ValueError):
        # a file the bulk loader refused: parse everything the slow way, which reports every bad file
        # with its position (and raises InvalidData); the old store is untouched
        return commit(stage(root, store_dir, force=True), store_dir)
