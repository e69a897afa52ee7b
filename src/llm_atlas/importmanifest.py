"""The provenance record of imports/: ``imports/MANIFEST.json`` says what produced each generated file.

For every file under imports/ it records the importer (its registered name and version), the snapshot it
read (a path under the snapshots folder, ``../shared`` beside the checkout unless ``$LLM_ATLAS_SNAPSHOTS``
says otherwise, and the snapshot's commit) and the SHA-256 of the bytes the importer wrote::

    {"format": 1,
     "files": {"imports/osai-index.trig": {"importer": "osai-index", "importer_version": "0.1.0",
                                           "snapshot": {"path": "external/osai-index", "commit": "5a388e8"},
                                           "sha256": "0f3c..."}}}

`llm-atlas import` writes the record with the file; the contribution check refuses a file whose bytes are not
the recorded ones, or that no record names, and regenerates a file with its importer to compare bytes (see
llm_atlas.importers). This module only reads, writes and verifies the record; it runs no importer.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import Problem
from .layout import IMPORT_MANIFEST, IMPORTS_DIR, is_plain_name
from .store import atomic_write_text

MANIFEST_FORMAT = 1
SNAPSHOTS_ENV = "LLM_ATLAS_SNAPSHOTS"


@dataclass(frozen=True)
class ImportRecord:
    """What produced one file of imports/."""

    relpath: str
    importer: str
    importer_version: str
    snapshot_path: str  # relative to the snapshots folder
    snapshot_commit: str
    sha256: str

    def as_json(self) -> dict:
        return {"importer": self.importer, "importer_version": self.importer_version,
                "snapshot": {"path": self.snapshot_path, "commit": self.snapshot_commit}, "sha256": self.sha256}


def default_snapshots(root: Path) -> Path:
    """Where snapshots of external data live: ``$LLM_ATLAS_SNAPSHOTS``, else ``shared/`` beside the checkout."""
    configured = os.environ.get(SNAPSHOTS_ENV)
    return Path(configured) if configured else root.parent / "shared"


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse(data: bytes | None) -> tuple[dict[str, ImportRecord], list[Problem]]:
    """The records of a manifest's bytes (None: no manifest), and what is wrong with it."""
    if data is None:
        return {}, []

    def bad(message: str, line: int = 1) -> tuple[dict, list[Problem]]:
        return {}, [Problem(IMPORT_MANIFEST, line, 1, "import-manifest", message)]

    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        return bad("imports/MANIFEST.json is not UTF-8: regenerate it with `llm-atlas import`")
    except ValueError as error:
        return bad(f"imports/MANIFEST.json is not valid JSON ({error.msg}): regenerate it with `llm-atlas import`", getattr(error, "lineno", 1))
    if not isinstance(raw, dict) or raw.get("format") != MANIFEST_FORMAT or not isinstance(raw.get("files"), dict):
        return bad(f'imports/MANIFEST.json must be {{"format": {MANIFEST_FORMAT}, "files": {{...}}}}, as `llm-atlas import` writes it')
    records: dict[str, ImportRecord] = {}
    problems: list[Problem] = []
    text = data.decode("utf-8")
    for relpath, entry in raw["files"].items():
        line = _line_of(text, json.dumps(relpath))
        try:
            snapshot = entry["snapshot"]
            record = ImportRecord(relpath, str(entry["importer"]), str(entry["importer_version"]), str(snapshot["path"]),
                                  str(snapshot["commit"]), str(entry["sha256"]))
        except (KeyError, TypeError):
            problems.append(Problem(IMPORT_MANIFEST, line, 1, "import-manifest",
                                    "an entry needs importer, importer_version, snapshot {path, commit} and sha256: "
                                    "regenerate it with `llm-atlas import`"))
            continue
        if not (is_plain_name(relpath) and relpath.startswith(IMPORTS_DIR + "/") and relpath != IMPORT_MANIFEST):
            problems.append(Problem(IMPORT_MANIFEST, line, 1, "import-manifest", "an entry names a file outside imports/ (or not a plain name)"))
            continue
        records[relpath] = record
    return records, problems


def _line_of(text: str, needle: str) -> int:
    at = text.find(needle)
    return text.count("\n", 0, at) + 1 if at >= 0 else 1


def read(root: Path) -> tuple[dict[str, ImportRecord], list[Problem]]:
    path = root / IMPORT_MANIFEST
    if path.is_symlink():
        return {}, [Problem(IMPORT_MANIFEST, 1, 1, "symlink", "symbolic links are not followed: commit the file itself")]
    try:
        return parse(path.read_bytes() if path.exists() else None)
    except OSError as error:
        return {}, [Problem(IMPORT_MANIFEST, 1, 1, "unreadable", f"cannot read the file: {error.strerror or error}")]


def record(root: Path, entry: ImportRecord) -> None:
    """Add or replace one file's record (the file itself is written by its importer first)."""
    records, _ = read(root)  # a broken manifest is rewritten from the records that can be read
    records[entry.relpath] = entry
    payload = {"format": MANIFEST_FORMAT, "files": {k: records[k].as_json() for k in sorted(records)}}
    atomic_write_text(root / IMPORT_MANIFEST, json.dumps(payload, indent=2, ensure_ascii=True) + "\n")


def snapshot_dir(snapshots: Path, entry: ImportRecord) -> Path | None:
    """The snapshot folder a record names, if the name is a plain relative path inside ``snapshots``."""
    if not is_plain_name(entry.snapshot_path):
        return None
    path = snapshots / entry.snapshot_path
    try:
        resolved, base = path.resolve(), snapshots.resolve()
    except OSError:
        return None
    return path if resolved == base or base in resolved.parents else None


def relative_snapshot(snapshots: Path, folder: Path) -> str | None:
    """``folder`` as a path relative to the snapshots folder, or None if it lies elsewhere."""
    try:
        relative = folder.resolve().relative_to(snapshots.resolve()).as_posix()
    except (ValueError, OSError):
        return None
    return relative if is_plain_name(relative) else None
