"""Build job: load every file of ontology/, graph/ and imports/ into the persistent store, one named graph per file.

A build happens in two steps (both in :mod:`llm_atlas.staging`): ``stage`` finds and parses what changed,
touching nothing; ``commit`` writes the staged files into the store. A file that does not parse stops the
build at the first step, so the store stays exactly as it was.
"""

from __future__ import annotations

from pathlib import Path

from .staging import BuildResult, Staged, commit, stage

__all__ = ["build", "build_staged", "BuildResult", "commit"]


def build(root: Path, store_dir: Path, *, force: bool = False) -> BuildResult:
    """Load what changed (everything with ``force``); InvalidData, and the store untouched, if a file does not parse."""
    return build_staged(stage(root, store_dir, force=force, parse_full=False), store_dir)


def build_staged(staged: Staged, store_dir: Path) -> BuildResult:
    """Commit a change staged with ``parse_full=False`` (a full build leaves the parse to the bulk loader)."""
    try:
        return commit(staged, store_dir)
    except (SyntaxError, ValueError):
        # a file the bulk loader refused: parse everything the slow way, which reports every bad file
        # with its position (and raises InvalidData); the old store is untouched
        return commit(stage(staged.root, store_dir, force=True), store_dir)
