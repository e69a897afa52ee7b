"""Staging: what a build would change, found and parsed without touching the store.

:func:`stage` hashes every file, compares with the store's manifest and parses the changed files strictly.
The build commits a staged change; validation and checks look at it before it reaches the store.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from . import gitrepo
from .errors import InvalidData, Problem
from .layout import SourceFile, source_files
from .loader import LoadedFile, load_file
from .store import manifest_path, read_manifest


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
    loaded = [load_file(source, parse=parse) for source in sources]
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
    for source in sources:
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
