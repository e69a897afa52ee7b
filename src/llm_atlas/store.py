"""The store: a persistent embedded pyoxigraph store, its manifest, and a compact dump for in-memory use.

Each source file lives in a named graph of its own (an import's source records in graphs of their own, see
:mod:`llm_atlas.layout`). Three things sit side by side:

- the persistent store (RocksDB), ``<store>/``: indexed on disk, opened in milliseconds; what the
  contribution check looks single entities up in;
- the dump, ``<store>.dump/``: the same quads as compact TriG (a base file and a log of the changes
  since), loaded into an in-memory store for queries, validation and reports. Queries on the on-disk store
  take 3-10x as long as in memory (benchmarks/results/queries.md); loading the dump costs about 3 s of CPU
  per million triples, paid once per process;
- the manifest, ``<store>.manifest.json``: the SHA-256 of every file loaded. It is written only after
  both the store and the dump have committed, so a crash between costs a reload next time, never a wrong
  answer.
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

from .version import __version__
from .errors import UsageError
from .layout import SourceFile, record_base, relpath_of_graph
from .namespaces import PREFIXES

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 3  # 3: a dump beside the store


@dataclass
class Manifest:
    files: dict[str, str]  # relpath -> sha256
    stats: dict[str, tuple[int, int]] = field(default_factory=dict)  # relpath -> (size, mtime_ns) when hashed
    written_ns: int = 0  # when the manifest was written (for the racy-file rule in staging)
    quads: int = 0  # in the store (a triple written in two files counts twice)
    graphs: int = 0  # named graphs in the store
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
        return Manifest(files=dict(raw["files"]), stats=stats, written_ns=int(raw.get("written_ns", 0)), quads=int(raw.get("quads", 0)),
                        graphs=int(raw.get("graphs", 0)), tool_version=raw["tool_version"], format=raw["format"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # unreadable manifest: rebuild from scratch


def write_manifest(store_dir: Path, manifest: Manifest) -> None:
    path = manifest_path(store_dir)
    payload = {
        "format": manifest.format,
        "tool_version": manifest.tool_version,
        "files": dict(sorted(manifest.files.items())),
        "stats": {k: list(v) for k, v in sorted(manifest.stats.items())},
        "quads": manifest.quads,
        "graphs": manifest.graphs,
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


def graphs_of_files(store: ox.Store, root: Path, relpaths) -> list[ox.NamedNode]:
    """The named graphs of ``store`` that hold the given files: each file's graph and an import's record graphs."""
    found = [ox.NamedNode(SourceFile(r, root / r).graph_iri) for r in sorted(relpaths)]
    bases = tuple(record_base(r) for r in sorted(relpaths) if SourceFile(r, root / r).is_import_dataset)
    if bases:
        found += [g for g in store.named_graphs() if isinstance(g, ox.NamedNode) and g.value.startswith(bases)]
    return [g for g in found if store.contains_named_graph(g)]


# -- the dump: the store as compact TriG, for loading into memory --------------------------------------------

DUMP_FORMAT = 1
BASE_FILE = "base.trig"
LOG_FILE = "log.json"
# The log of changes is folded into a new base once it holds this share of the base's bytes, or this many
# changes: loading stays about as fast as loading one file, and a build rewrites only what changed.
COMPACT_SHARE = 0.25
COMPACT_ENTRIES = 64


def dump_dir(store_dir: Path) -> Path:
    return store_dir.with_name(store_dir.name + ".dump")


def _read_log(directory: Path) -> dict:
    try:
        log = json.loads((directory / LOG_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return log if isinstance(log, dict) and log.get("format") == DUMP_FORMAT else {}


def has_dump(directory: Path) -> bool:
    return (directory / BASE_FILE).is_file() and bool(_read_log(directory))


def _write_trig(path: Path, store: ox.Store) -> None:
    fd, tmp = tempfile.mkstemp(prefix="." + path.name + ".", dir=path.parent)
    os.close(fd)
    try:
        store.dump(tmp, format=ox.RdfFormat.TRIG, prefixes=PREFIXES)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_dump(directory: Path, store: ox.Store) -> None:
    """A new dump of ``store`` (every graph) in ``directory``: one base file, an empty log."""
    directory.mkdir(parents=True, exist_ok=True)
    _write_trig(directory / BASE_FILE, store)
    # a crash here leaves the new base with the old log: its entries are then applied once more, which
    # changes nothing, since each one replaces whole graphs with what they held when it was written
    atomic_write_text(directory / LOG_FILE, json.dumps({"format": DUMP_FORMAT, "entries": []}) + "\n")
    for stale in directory.glob("delta-*.trig"):
        stale.unlink(missing_ok=True)


def append_to_dump(directory: Path, dropped: list[ox.NamedNode], quads: list[ox.Quad]) -> bool:
    """Record a change: the graphs ``dropped``, then ``quads`` added. True if the log is due for compaction."""
    log = _read_log(directory)
    entries = list(log.get("entries", []))
    number = max((int(e["delta"][6:-5]) for e in entries), default=0) + 1
    name = f"delta-{number:06d}.trig"
    delta = ox.Store()
    delta.extend(quads)
    _write_trig(directory / name, delta)
    entries.append({"delta": name, "drop": [g.value for g in dropped]})
    atomic_write_text(directory / LOG_FILE, json.dumps({"format": DUMP_FORMAT, "entries": entries}, indent=1) + "\n")
    delta_bytes = sum((directory / e["delta"]).stat().st_size for e in entries)
    return len(entries) >= COMPACT_ENTRIES or delta_bytes > COMPACT_SHARE * (directory / BASE_FILE).stat().st_size


def memory_copy_of(source: Path) -> ox.Store:
    """An in-memory store of ``source``: an N-Quads file (the data a report hands its other processes), or a
    store folder, whose dump is loaded."""
    if source.is_file():
        store = ox.Store()
        store.bulk_load(path=str(source), format=ox.RdfFormat.N_QUADS)
        return store
    return load_dump(dump_dir(source))


def load_dump(directory: Path) -> ox.Store:
    """The dumped store in memory: the base, then every logged change in order."""
    log = _read_log(directory)
    if not log or not (directory / BASE_FILE).is_file():
        raise FileNotFoundError(f"no dump at {directory}")
    store = ox.Store()
    # lenient: the dump holds data the strict parser accepted already; skipping the IRI checks saves ~20 %
    store.load(path=str(directory / BASE_FILE), format=ox.RdfFormat.TRIG, lenient=True)
    for entry in log["entries"]:
        for graph in entry["drop"]:
            node = ox.NamedNode(graph)
            if store.contains_named_graph(node):
                store.remove_graph(node)
        store.load(path=str(directory / entry["delta"]), format=ox.RdfFormat.TRIG, lenient=True)
    return store
