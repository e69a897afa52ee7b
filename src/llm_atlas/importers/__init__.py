"""Importers: one per external source, all on one design (:mod:`.base`, :mod:`.run`).

``REGISTRY`` maps a source key (``llm-atlas import <key> PATH``) to its importer. Precedence orders them:
an import reconciles against the curated graph and the imports that come before it, and on a single-valued
fact (a licence, a date, a base model) the earlier source's value is asserted and a later differing one kept
as an atlas:DifferingStatement.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import UsageError
from .base import Importer, ImportReport
from .hf_hub import HubImporter
from .licences import LicencesImporter
from .open_llm_leaderboard import LeaderboardImporter
from .run import run_import

REGISTRY: dict[str, Importer] = {imp.source: imp for imp in (LicencesImporter(), HubImporter(), LeaderboardImporter())}


def importer(source: str) -> Importer:
    try:
        return REGISTRY[source]
    except KeyError:
        raise UsageError(f"no importer for {source!r}; sources: {', '.join(sorted(REGISTRY))}") from None


def import_source(source: str, path: Path, root: Path, *, version: str | None = None, write: bool = True) -> ImportReport:
    return run_import(importer(source), Path(path), root, REGISTRY, version=version, write=write)


__all__ = ["REGISTRY", "ImportReport", "Importer", "import_source", "importer"]
