"""Build job: load every file of ontology/ and graph/ into the persistent store, one named graph per file.

Only what changed is reloaded. Every changed file is parsed before the store is touched, so a file that
does not parse leaves the store exactly as it was. A first build (or one after an upgrade) loads into a
fresh store beside the old one and swaps it in.
"""

from __future__ import annotations

import gc
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import InvalidData, Problem
from .layout import SourceFile, source_files
from .loader import LoadedFile, load_file
from .store import Manifest, open_store, read_manifest, replace_store_dir, write_manifest


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


def _parse_all(sources: list[SourceFile]) -> list[LoadedFile]:
    loaded = [load_file(source) for source in sources]
    problems: list[Problem] = [p for item in loaded for p in item.problems]
    if problems:
        raise InvalidData(problems, f"{len(problems)} file(s) could not be loaded; the store was left unchanged")
    return loaded


def build(root: Path, store_dir: Path, *, force: bool = False) -> BuildResult:
    started = time.perf_counter()
    sources = source_files(root)
    hashes = {source.relpath: source.sha256() for source in sources}
    manifest = None if force else read_manifest(store_dir)
    result = BuildResult(files=len(sources))

    if manifest is None or not manifest.compatible():
        loaded = _parse_all(sources)
        fresh = store_dir.with_name(store_dir.name + ".new")
        shutil.rmtree(fresh, ignore_errors=True)
        store = open_store(fresh)
        store.bulk_extend(q for item in loaded for q in item.quads)
        store.flush()
        result.triples, result.graphs = len(store), sum(1 for _ in store.named_graphs())
        del store
        gc.collect()  # pyoxigraph releases the store's lock when the object is freed
        replace_store_dir(fresh, store_dir)
        result.loaded = [s.relpath for s in sources]
        result.rebuilt = True
    else:
        changed = [s for s in sources if manifest.files.get(s.relpath) != hashes[s.relpath]]
        removed = sorted(set(manifest.files) - set(hashes))
        loaded = _parse_all(changed)
        store = open_store(store_dir)
        stale = [ox.NamedNode(s.graph_iri) for s in changed] + [ox.NamedNode(SourceFile(r, root / r).graph_iri) for r in removed]
        if stale:
            store.update("".join(f"DROP SILENT GRAPH {g} ;\n" for g in stale).rstrip(" ;\n"))
        store.extend(q for item in loaded for q in item.quads)
        store.flush()
        result.triples, result.graphs = len(store), sum(1 for _ in store.named_graphs())
        del store
        gc.collect()
        result.loaded = [s.relpath for s in changed]
        result.removed = removed

    write_manifest(store_dir, Manifest(files=hashes))
    result.seconds = time.perf_counter() - started
    return result
