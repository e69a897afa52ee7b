"""The persistent embedded store (pyoxigraph) and its manifest of loaded files.

Each source file lives in a named graph of its own (see :mod:`llm_atlas.layout`). The manifest, a JSON
file beside the store, records the SHA-256 of every file loaded. It is written only after the store has
committed, so a crash between the two costs a reload next time, never a wrong answer.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import __version__
from .errors import UsageError
from .layout import relpath_of_graph

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 2


@dataclass
class Manifest:
    files: dict[str, str]  # relpath -> sha256
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # relpath -> (size, mtime_ns) when hashed
    written_ns: int = 0  # when the manifest was written (for the racy-file rule in staging)
    tool_version: str = __version__
    format: int = MANIFEST_FORMAT

    def compatible(self) -> bool:
        return self.format == MANIFEST_FORMAT and self.tool_version == __version__


def manifest_path(store_dir: Path) -> Path:
    return store_dir.parent / (store_dir.name + "." + MANIFEST_NAME)


def read_manifest(store_dir: Path) -> Manifest | None:
    path = manifest_path(store_dir)
    if not store_dir.is_dir() or not path.is_file():
        return None
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        stats = {k: (int(v[0]), int(v[1])) for k, v in raw.get("stats", {}).items()}
        return Manifest(files=dict(raw["files"]), stats=stats, written_ns=int(raw.get("written_ns", 0)), tool_version=raw["tool_version"], format=raw["format"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable manifest: rebuild from scratch


def write_manifest(store_dir: Path, manifest: Manifest) -> None:
    path = manifest_path(store_dir)
    payload = {
        "format": manifest.format,
        "tool_version": manifest.tool_version,
        "files": dict(sorted(manifest.files.items())),
        "stats": {k: list(v) for k, v in sorted(manifest.stats.items())},
        "written_ns": time.time_ns(),
    }
    atomic_write_text(path, json.dumps(payload, indent=1) + "\n")


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file so that readers see the old content or the new, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; the file should get the usual permissions
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def open_store(store_dir: Path) -> ox.Store:
    try:
        store_dir.parent.mkdir(parents=True, exist_ok=True)
        return ox.Store(str(store_dir))
    except OSError as error:
        raise UsageError(f"cannot open the store at {store_dir}: {error} (is another llm-atlas command using it?)") from error


def replace_store_dir(new_dir: Path, store_dir: Path) -> None:
    """Swap a freshly built store into place (both closed)."""
    old = store_dir.with_name(store_dir.name + ".old")
    if old.exists():
        shutil.rmtree(old)
    if store_dir.exists():
        os.replace(store_dir, old)
    os.replace(new_dir, store_dir)
    shutil.rmtree(old, ignore_errors=True)


def quads_by_file(store: ox.Store | None, exclude: set[str] = frozenset()) -> dict[str, list[ox.Quad]]:
    """The store's quads grouped by the file they came from (files in ``exclude`` left out)."""
    by_file: dict[str, list[ox.Quad]] = {}
    if store is None:
        return by_file
    for quad in store.quads_for_pattern(None, None, None, None):
        if isinstance(quad.graph_name, ox.NamedNode):
            relpath = relpath_of_graph(quad.graph_name.value)
            if relpath is not None and relpath not in exclude:
                by_file.setdefault(relpath, []).append(quad)
    return by_file


def memory_copy(store: ox.Store) -> ox.Store:
    """An in-memory copy of a store (every graph)."""
    memory = ox.Store()
    memory.bulk_extend(store.quads_for_pattern(None, None, None, None))
    return memory
