"""The proof that a file of imports/ is what its importer makes: a regenerator per importer, and the check's verification.

Every importer (each source of llm_atlas.importers, the European Open Source AI Index's among them) has a :class:`Regenerator`: the file it writes, the paths of the checkout its output depends on besides its
snapshot (it reconciles with graph/ and earlier imports), and a way to run it again without writing. The
API records each import in imports/MANIFEST.json (:func:`record_import`); :func:`verify` is the check's side:
every file of imports/ has a record, its bytes are the recorded ones, and the importer run again on the
recorded snapshot (over the checkout as it is) gives exactly those bytes. A new importer of
llm_atlas.importers.REGISTRY is covered without a change here.

A composite job: it runs the importer jobs, and the check calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import importmanifest
from .errors import AtlasError, InvalidData, Problem
from .importmanifest import ImportRecord
from .layout import IMPORT_MANIFEST, IMPORTS_DIR, display_name
from .version import __version__


@dataclass(frozen=True)
class Regenerator:
    name: str  # the importer's name in imports/MANIFEST.json: a source key of llm_atlas.importers
    version: str
    output: str  # the file it writes, under imports/
    reads: tuple[str, ...]  # paths (or folders, ending in /) of the checkout whose content changes its output
    # (snapshot folder, checkout, commit, the file's bytes now) -> None if regenerating gives those bytes, else
    # the (line, column) from which it differs (1, 1 when the importer cannot say)
    compare: Callable[[Path, Path, str | None, bytes], tuple[int, int] | None]

    def depends_on(self, relpath: str) -> bool:
        return relpath != self.output and any(relpath == r or (r.endswith("/") and relpath.startswith(r)) for r in self.reads)


def _source_regenerator(source: str) -> Regenerator:
    def compare(snapshot: Path, root: Path, commit: str | None, data: bytes) -> tuple[int, int] | None:
        from .importers import import_source

        # write=False: the import renders the file and compares it with the one in the checkout, writing nothing
        report = import_source(source, snapshot, root, version=commit, write=False)
        if report.rendered is None or report.rendered.encode("utf-8") == data:
            return None
        return first_difference(data, report.rendered.encode("utf-8"))  # the line a check points at

    from .importers import REGISTRY

    # it reconciles with graph/ and with the imports that run before it, and reads what its importer says it reads
    # of the checkout (the OSAI importer: the openness vocabulary)
    reads = ("graph/", "imports/", *REGISTRY[source].reads)
    return Regenerator(source, __version__, f"{IMPORTS_DIR}/{source}.trig", reads, compare)


def regenerator(name: str) -> Regenerator | None:
    """The regenerator of the importer called ``name`` in imports/MANIFEST.json, or None if there is none."""
    from .importers import ALIASES, REGISTRY

    name = ALIASES.get(name, name)  # osai, the name the index's first importer had, is the osai-index importer
    return _source_regenerator(name) if name in REGISTRY else None


def record_import(root: Path, name: str, snapshot: Path, *, snapshots: Path | None = None, commit: str | None = None) -> ImportRecord:
    """Record in imports/MANIFEST.json the file the importer ``name`` just wrote from ``snapshot``.

    The snapshot is named by its path under the snapshots folder (``../shared``, or ``$LLM_ATLAS_SNAPSHOTS``),
    which every checker has; a snapshot elsewhere is recorded without a path, and a check can then regenerate
    the file only if the importer reads no snapshot folder (the ScanCode index ships in a Python package).
    """
    job = regenerator(name)
    if job is None:
        raise AtlasError(f"no importer {name!r} to record")
    folder = snapshots or importmanifest.default_snapshots(root)
    relative = importmanifest.relative_snapshot(folder, Path(snapshot)) or ""
    entry = ImportRecord(job.output, job.name, job.version, relative, commit or "", importmanifest.digest((root / job.output).read_bytes()))
    importmanifest.record(root, entry)
    return entry


# -- verification (the contribution check) ---------------------------------------------------------------------


@dataclass
class Verification:
    problems: list[Problem]
    regenerated: list[str]


def verify(root: Path, present: list[str], records: dict[str, ImportRecord], snapshots: Path, *,
           regenerate: Callable[[ImportRecord], bool], must_verify: Callable[[ImportRecord], bool]) -> Verification:
    """Check the files of imports/ (``present``, plain names only) against their ``records``.

    ``regenerate(record)`` says whether to run the importer again for a file whose digest matches;
    ``must_verify(record)`` whether a file that cannot be regenerated here (no snapshot) is an error rather
    than a warning.
    """
    problems: list[Problem] = []
    regenerated: list[str] = []
    for relpath in sorted(set(present) - set(records)):
        problems.append(Problem(relpath, 1, 1, "import-unlisted",
                                "imports/ holds only files an importer wrote, each recorded in imports/MANIFEST.json: run "
                                "`llm-atlas import <source> <snapshot>` instead of adding the file by hand"))
    for relpath, entry in sorted(records.items()):
        path = root / relpath
        if relpath not in present:
            if not path.exists() and not path.is_symlink():
                problems.append(Problem(IMPORT_MANIFEST, 1, 1, "import-missing",
                                        f"{display_name(relpath)} is recorded in imports/MANIFEST.json but missing: rerun its import "
                                        f"(`llm-atlas import {entry.importer} <snapshot>`), never delete it by hand"))
            continue  # present but refused by name or kind: reported by the loader
        try:
            data = path.read_bytes()
        except OSError as error:
            problems.append(Problem(relpath, 1, 1, "unreadable", f"cannot read the file: {error.strerror or error}"))
            continue
        if importmanifest.digest(data) != entry.sha256:
            problems.append(Problem(relpath, 1, 1, "import-hand-edited",
                                    f"this file is not the one its importer wrote (its SHA-256 differs from imports/MANIFEST.json): "
                                    f"generated files are never edited by hand; rerun `llm-atlas import {entry.importer} <snapshot>`"))
            continue
        if not regenerate(entry):
            continue
        problems += _regenerate(root, entry, data, snapshots, must_verify(entry))
        regenerated.append(relpath)
    return Verification(problems, regenerated)


def _regenerate(root: Path, entry: ImportRecord, data: bytes, snapshots: Path, required: bool) -> list[Problem]:
    relpath = entry.relpath
    job = regenerator(entry.importer)
    if job is None or job.output != relpath:
        return [Problem(relpath, 1, 1, "import-not-reproducible",
                        f"imports/MANIFEST.json names importer {entry.importer!r} for this file, which no importer of this "
                        "version of llm-atlas writes")]
    folder = importmanifest.snapshot_dir(snapshots, entry) if entry.snapshot_path else root
    if folder is None or not folder.is_dir():
        where = f"{snapshots}/{entry.snapshot_path}" if folder is not None else f"{entry.snapshot_path!r} (not a plain relative path)"
        return [Problem(relpath, 1, 1, "import-unverified",
                        f"the snapshot {where} is not here, so this file cannot be regenerated and compared "
                        f"(CI has it; locally set ${importmanifest.SNAPSHOTS_ENV} or pass --snapshots)",
                        "error" if required else "warning")]
    try:
        difference = job.compare(folder, root, entry.snapshot_commit or None, data)
    except InvalidData:
        return [Problem(relpath, 1, 1, "import-unverified", "the importer cannot read the atlas (see the problems of graph/): "
                                                            "this file is compared once they are fixed", "error" if required else "warning")]
    except AtlasError as error:
        return [Problem(relpath, 1, 1, "import-not-reproducible", f"the importer refuses the recorded snapshot: {error}")]
    if difference is None:
        return []
    return [Problem(relpath, difference[0], difference[1], "import-not-reproducible",
                    f"running importer {job.name} {job.version} on the recorded snapshot ({entry.snapshot_path or 'its own data'} at "
                    f"{entry.snapshot_commit or '?'}) over this checkout gives other bytes, from this line on: the file was "
                    f"edited by hand, or is out of date with graph/; rerun `llm-atlas import {job.name} <snapshot>`")]


def first_difference(old: bytes, new: bytes) -> tuple[int, int]:
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    for number, (a, b) in enumerate(zip(old_lines, new_lines), start=1):
        if a != b:
            col = next((i for i, (x, y) in enumerate(zip(a, b), start=1) if x != y), min(len(a), len(b)) + 1)
            return number, col
    return min(len(old_lines), len(new_lines)) + (0 if len(old_lines) == len(new_lines) else 1), 1
