"""The importers by name, and the proof that a file of imports/ is what its importer makes.

Each importer registers the file it writes, the paths of the checkout it reads besides its snapshot (for
reconciliation with graph/), and a function that renders the file's bytes from a snapshot without writing
anything. :func:`run_import` writes the file and its record in imports/MANIFEST.json; :func:`verify` is the
check's side: every file of imports/ has a record, its bytes are the recorded ones, and the importer run
again on the recorded snapshot (over the checkout as it is) gives exactly those bytes. A new importer plugs
in with one entry of :data:`IMPORTERS`.

A composite job: it calls the importer jobs, and the check calls it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from . import importmanifest, osai
from .errors import AtlasError, InvalidData, Problem, UsageError
from .importmanifest import ImportRecord
from .layout import IMPORT_MANIFEST, IMPORTS_DIR, display_name
from .store import atomic_write_text


@dataclass(frozen=True)
class Importer:
    name: str
    version: str
    output: str  # the file it writes, under imports/
    reads: tuple[str, ...]  # paths (or folders, ending in /) of the checkout whose content changes its output
    render: Callable[[Path, Path, str | None], tuple[bytes, object]]  # (snapshot folder, checkout, commit) -> (bytes, report)

    def depends_on(self, relpath: str) -> bool:
        return relpath != self.output and any(relpath == r or (r.endswith("/") and relpath.startswith(r)) for r in self.reads)


def _osai(snapshot: Path, root: Path, commit: str | None):
    text, report = osai.render_osai(snapshot, root, version=commit)
    return text.encode("utf-8"), report


IMPORTERS: dict[str, Importer] = {
    # reconciles with the models and organisations of graph/ and the other imports, and reads the openness
    # vocabulary; see llm_atlas.osai
    "osai": Importer("osai", osai.IMPORTER_VERSION, osai.OUTPUT, ("graph/", "imports/", osai.VOCABULARY), _osai),
}


def importer(name: str) -> Importer:
    if name not in IMPORTERS:
        raise UsageError(f"no importer {name!r}; importers: {', '.join(sorted(IMPORTERS))}")
    return IMPORTERS[name]


def run_import(name: str, snapshot: Path, root: Path, snapshots: Path, *, commit: str | None = None):
    """Run an importer: write its file and its record in imports/MANIFEST.json; returns the importer's report.

    The record names the snapshot by its path under ``snapshots`` (the folder every checker has, ``../shared``);
    a snapshot elsewhere is refused, since no check could regenerate the file from it.
    """
    job = importer(name)
    relative = importmanifest.relative_snapshot(snapshots, Path(snapshot))
    if relative is None:
        raise UsageError(f"{snapshot} is not inside the snapshots folder {snapshots}: import from the snapshot every checker "
                         f"has (e.g. {snapshots}/external/...), or set ${importmanifest.SNAPSHOTS_ENV}")
    data, report = job.render(Path(snapshot), root, commit)
    atomic_write_text(root / job.output, data.decode("utf-8"))
    version = getattr(report, "version", None) or commit or ""
    importmanifest.record(root, ImportRecord(job.output, job.name, job.version, relative, version, importmanifest.digest(data)))
    return report


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
    job = IMPORTERS.get(entry.importer)
    if job is None or job.output != relpath:
        return [Problem(relpath, 1, 1, "import-not-reproducible",
                        f"imports/MANIFEST.json names importer {entry.importer!r} for this file, which no importer of this "
                        f"version of llm-atlas writes ({', '.join(sorted(IMPORTERS))})")]
    folder = importmanifest.snapshot_dir(snapshots, entry)
    if folder is None or not folder.is_dir():
        where = f"{snapshots}/{entry.snapshot_path}" if folder is not None else f"{entry.snapshot_path!r} (not a plain relative path)"
        return [Problem(relpath, 1, 1, "import-unverified",
                        f"the snapshot {where} is not here, so this file cannot be regenerated and compared "
                        f"(CI has it; locally set ${importmanifest.SNAPSHOTS_ENV} or pass --snapshots)",
                        "error" if required else "warning")]
    try:
        fresh, _ = job.render(folder, root, entry.snapshot_commit or None)
    except InvalidData:
        return [Problem(relpath, 1, 1, "import-unverified", "the importer cannot read the atlas (see the problems of graph/): "
                                                            "this file is compared once they are fixed", "error" if required else "warning")]
    except AtlasError as error:
        return [Problem(relpath, 1, 1, "import-not-reproducible", f"the importer refuses the recorded snapshot: {error}")]
    if fresh == data:
        return []
    line, col = _first_difference(data, fresh)
    return [Problem(relpath, line, col, "import-not-reproducible",
                    f"running importer {job.name} {job.version} on the recorded snapshot ({entry.snapshot_path} at "
                    f"{entry.snapshot_commit or '?'}) over this checkout gives other bytes, from this line on: the file was "
                    f"edited by hand, or is out of date with graph/; rerun `llm-atlas import {job.name} <snapshot>`")]


def _first_difference(old: bytes, new: bytes) -> tuple[int, int]:
    old_lines, new_lines = old.split(b"\n"), new.split(b"\n")
    for number, (a, b) in enumerate(zip(old_lines, new_lines), start=1):
        if a != b:
            col = next((i for i, (x, y) in enumerate(zip(a, b), start=1) if x != y), min(len(a), len(b)) + 1)
            return number, col
    return min(len(old_lines), len(new_lines)) + (0 if len(old_lines) == len(new_lines) else 1), 1


def files_in_imports(paths: list[str]) -> list[str]:
    """The data files of imports/ among ``paths`` (the manifest aside)."""
    return sorted(p for p in paths if p.startswith(IMPORTS_DIR + "/") and p != IMPORT_MANIFEST)
