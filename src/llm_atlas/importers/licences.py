"""Licences: from a source's spelling to an atlas:License, and the licence import from the ScanCode LicenseDB.

:func:`resolve` names a licence by its SPDX IRI when the licence is on the SPDX list, else by its ScanCode
LicenseDB IRI, with ScanCode's category; the data is the LicenseDB index that ships in the
``license-expression`` package (CC BY 4.0), never a hand-written table. Source spellings that are neither
SPDX ids nor ScanCode keys (the Hub's ``llama3.1``) are mapped in ``data/licence-aliases.csv``. A spelling
that says a licence applies without naming one (``other``) is atlas:UnidentifiedLicense; one that says
nothing (``unknown``, empty) is no licence at all: not stated is never guessed.

The ``licences`` importer writes every licence of the index as an atlas:License (label, SPDX id, ScanCode key,
category), so that any import can link to any licence without an order between them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import pyoxigraph as ox

from ..errors import Problem
from ..namespaces import ONTOLOGY
from .base import ATLAS, Importer, Record, Ref, Snapshot, literal

SPDX = "https://spdx.org/licenses/"
SCANCODE = "https://scancode-licensedb.aboutcode.org/"
UNIDENTIFIED = ATLAS + "UnidentifiedLicense"
NO_LICENCE_STATED = ATLAS + "NoLicenseStated"
CATEGORY = ONTOLOGY + "license-category/"
_NOT_STATED = {"", "unknown", "none", "n/a", "na", "not specified", "unspecified", "-", "?", "tbd", "undisclosed", "not stated"}
_UNIDENTIFIED = {"other", "custom", "proprietary", "cc", "gfdl", "gpl", "lgpl", "bsd", "openrail", "openrail++", "creativeml-openrail-m",
                 "apple-amlr", "apple-ascl", "llama3", "research-only", "non-commercial"}


@dataclass(frozen=True)
class Licence:
    iri: str
    key: str  # the ScanCode key ("" for atlas:UnidentifiedLicense)
    spdx: str  # the SPDX id, when on the SPDX list
    category: str  # the ScanCode category's concept IRI
    name: str  # ScanCode's short name


def _category_concept(name: str) -> str:
    return CATEGORY + re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")


@lru_cache(maxsize=1)
def licence_index() -> dict[str, dict]:
    """The ScanCode LicenseDB index shipped in license-expression, by ScanCode key."""
    from license_expression import get_license_index  # a 2 MB JSON: only the commands that import pay for it

    return {entry["license_key"]: entry for entry in get_license_index()}


@lru_cache(maxsize=1)
def _by_spelling() -> dict[str, str]:
    """Every spelling the index knows (key, SPDX id, other SPDX ids), folded, -> ScanCode key."""
    found: dict[str, str] = {}
    for key, entry in sorted(licence_index().items()):
        if entry.get("is_deprecated"):
            continue
        for spelling in (key, entry.get("spdx_license_key") or "", *(entry.get("other_spdx_license_keys") or [])):
            if spelling:
                found.setdefault(spelling.casefold(), key)
    text = resources.files("llm_atlas.importers").joinpath("data/licence-aliases.csv").read_text(encoding="utf-8")
    for row in csv.DictReader(line for line in text.splitlines() if not line.startswith("#")):
        found[row["name"].casefold()] = row["scancode_key"]
    return found


def licence_for_key(key: str) -> Licence:
    entry = licence_index()[key]
    spdx = entry.get("spdx_license_key") or ""
    on_spdx_list = bool(spdx) and not spdx.startswith("LicenseRef-")
    iri = SPDX + spdx if on_spdx_list else f"{SCANCODE}{key}.html"
    return Licence(iri, key, spdx if on_spdx_list else "", _category_concept(entry.get("category") or "Unstated License"), entry.get("short_name") or key)


def _spellings(text: str) -> Iterator[str]:
    """A folded spelling, without a trailing "license", and with its spaces as hyphens: "CC BY-NC 4.0" is the
    SPDX id CC-BY-NC-4.0, "MPL 2.0" is MPL-2.0 (the Data Provenance Collection and the OSAI index write SPDX ids so)."""
    stem = re.sub(r" licen[cs]e$", "", text)
    for form in (text, stem):
        yield form
        yield form.replace(" ", "-")


def resolve(spelling: str | None) -> Licence | None:
    """The licence a source's spelling names; atlas:UnidentifiedLicense for one it names without identifying;
    None when the source states none.

    >>> [resolve(s).iri for s in ("apache-2.0", "MIT", "llama3.1", "cc-by-nc-4.0", "other")]  # doctest: +NORMALIZE_WHITESPACE
    ['https://spdx.org/licenses/Apache-2.0', 'https://spdx.org/licenses/MIT',
     'https://scancode-licensedb.aboutcode.org/llama-3.1-license-2024.html', 'https://spdx.org/licenses/CC-BY-NC-4.0',
     'https://w3id.org/llm-atlas/ontology/UnidentifiedLicense']
    >>> resolve("unknown") is None
    True
    """
    text = re.sub(r"\s+", " ", (spelling or "").strip()).casefold()
    text = re.sub(r"^licen[cs]eref-scancode-", "", text)
    if text in _NOT_STATED:
        return None
    key = None
    for candidate in _spellings(text):
        key = _by_spelling().get(candidate)
        if key is not None:
            break
    if key is None:
        return Licence(UNIDENTIFIED, "", "", "", spelling.strip())
    return licence_for_key(key)


def licence_facts(record: Record, spelling: str | None) -> None:
    """Add the licence a record states (and the source's own spelling of it) to the record."""
    if spelling is None or not spelling.strip():
        return
    found = resolve(spelling)
    if found is None:
        return
    record.add(ATLAS + "license", ox.NamedNode(found.iri))
    record.add(ATLAS + "licenseName", literal(spelling.strip()))


def licences_of(record: Record, spellings: list[str]) -> None:
    """The licences of a record whose source has a licence field for what it describes (the Hub's license:
    tags, the leaderboard's column): each one stated, or atlas:NoLicenseStated when the field says none.

    "Not stated" is what the source says, never a guess of a licence; a source of lower precedence that
    states one later is kept beside it (the import run does not count silence as a disagreement).
    """
    stated = [s for s in spellings if s and s.strip() and resolve(s) is not None]
    for spelling in stated:
        licence_facts(record, spelling)
    if not stated:
        record.add(ATLAS + "license", ox.NamedNode(NO_LICENCE_STATED))


class LicencesImporter(Importer):
    source = "scancode-licensedb"
    title = "the ScanCode LicenseDB"
    precedence = 1

    def snapshot(self, path: Path, version: str | None) -> Snapshot:
        from importlib.metadata import version as package_version

        return Snapshot(
            source=self.source, title="ScanCode LicenseDB (index shipped in license-expression)",
            version=version or f"license-expression {package_version('license-expression')}",
            license="https://creativecommons.org/licenses/by/4.0/",
            citations=(("ScanCode LicenseDB, nexB Inc. and others, https://scancode-licensedb.aboutcode.org/ (CC BY 4.0), "
                       "as shipped in the license-expression package (https://github.com/aboutcode-org/license-expression)"),),
            homepage="https://scancode-licensedb.aboutcode.org/",
        )

    def records(self, path: Path) -> Iterator[Record | Problem]:
        for key, entry in sorted(licence_index().items()):
            if entry.get("is_deprecated"):
                continue
            licence = licence_for_key(key)
            record = Record(key=key, location=f"license-expression index: {key}", evidence=f"{SCANCODE}{key}.html",
                            subject=Ref("license", name=licence.name, iri=licence.iri))
            record.add(ATLAS + "scancodeKey", literal(key))
            if licence.spdx:
                record.add(ATLAS + "spdxId", literal(licence.spdx))
            record.add(ATLAS + "licenseCategory", ox.NamedNode(licence.category))
            yield record
