"""Build job: load every file of ontology/, graph/ and imports/ into the store and its dump, a named graph per file.

A build happens in two steps (both in :mod:`llm_atlas.staging`): ``stage`` finds and parses what changed,
touching nothing; ``commit`` writes the staged files into the store. A file that does not parse stops the
build at the first step, so the store stays exactly as it was.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox

from .staging import BuildResult, Staged, apply_staged, commit, stage
from .store import Manifest, read_manifest, write_manifest

__all__ = ["build", "build_staged", "BuildResult", "commit"]


def build(root: Path, store_dir: Path, *, force: bool = False, memory: ox.Store | None = None) -> BuildResult:
    """Load what changed (everything with ``force``); InvalidData, and the store untouched, if a file does not parse.

    ``memory``, an in-memory copy of the store as built so far, is kept up to date with it.
    """
    return build_staged(stage(root, store_dir, force=force, parse_full=False), store_dir, memory)


def build_staged(staged: Staged, store_dir: Path, memory: ox.Store | None = None) -> BuildResult:
    """Commit a change staged with ``parse_full=False`` (a full build leaves the parse to the loader).

    ``memory`` (an in-memory copy of the store as built so far) gets the change too; after a full build,
    ``BuildResult.memory`` holds the new data in memory.
    """
    if not staged.pending:  # nothing to load: only the manifest's file stats are brought up to date
        counts = read_manifest(store_dir)
        write_manifest(store_dir, Manifest(files=staged.hashes, stats=staged.stats, quads=counts.quads, graphs=counts.graphs))
        return BuildResult(files=staged.files, memory=memory, seconds=time.perf_counter() - staged.started,
                           triples=counts.quads, graphs=counts.graphs)
    if memory is not None and not staged.full:
        apply_staged(memory, staged)
    elif staged.full:
        memory = None
    try:
        return commit(staged, store_dir, memory)
    except (SyntaxError, ValueError):
        # a file the loader refused: parse everything the slow way, which reports every bad file with
        # its position (and raises InvalidData); the old store is untouched
        return commit(stage(staged.root, store_dir, force=True), store_dir)
