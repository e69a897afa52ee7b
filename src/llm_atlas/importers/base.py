"""What every importer shares: the records it reads, the report it prints, and the one way it writes.

An importer reads one snapshot of one external source and yields :class:`Record` objects, one per record
of the source (a catalogue row, a YAML file), each naming the entity it describes by its keys (a
:class:`Ref`: Hugging Face id, arXiv id, repository, name and creator), never by an atlas IRI; and the
:class:`~llm_atlas.errors.Problem` of every record it skips, with file, line and why. Everything after that
is common (:func:`run_import`): reconciliation against the curated graph and the imports of higher
precedence (:mod:`.reconcile`), the facts of each record written to a named graph of its own (one triple
per fact, the record's source, confidence and evidence said once for all its facts), statement claims for
what a record adds to a curated entity, deterministic TriG (:mod:`.trig`) written atomically, and the report.
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..errors import Problem, sort_problems
from ..namespaces import BASE, ONTOLOGY

RECORD_BASE = BASE + "record/"
IMPORT_BASE = BASE + "import/"

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
DCTERMS = "http://purl.org/dc/terms/"
OWL = "http://www.w3.org/2002/07/owl#"
PROV = "http://www.w3.org/ns/prov#"
A = RDF + "type"
ATLAS = ONTOLOGY

# Entity kinds an import can describe or link to, with the classes their entities get.
KIND_CLASSES: dict[str, tuple[str, ...]] = {
    "model-release": (ATLAS + "Model", ATLAS + "ModelRelease"),
    "model-family": (ATLAS + "Model", ATLAS + "ModelFamily"),
    "dataset": (ATLAS + "Dataset",),
    "benchmark": (ATLAS + "Benchmark",),
    "organization": (ATLAS + "Organization",),
    "leaderboard": (ATLAS + "Leaderboard",),
    "license": (ATLAS + "License",),
}
KIND_FOLDER = {"model-release": "model", "model-family": "model", "dataset": "dataset", "benchmark": "benchmark",
               "organization": "organization", "leaderboard": "leaderboard", "license": "license"}


def fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def slugify(text: str, limit: int = 80) -> str:
    """A slug: lowercase ASCII letters and digits joined by single hyphens, cut at a hyphen near ``limit``.

    >>> slugify("meta-llama/Llama-3.1-8B-Instruct")
    'meta-llama-llama-3-1-8b-instruct'
    """
    slug = "-".join(re.findall(r"[a-z0-9]+", fold(text).replace("'", "")))
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


# -- what an importer yields -------------------------------------------------------------------------


@dataclass(frozen=True)
class Ref:
    """An entity named by its keys, as a source names it (reconciliation turns it into an IRI).

    ``kind`` is one of :data:`KIND_CLASSES`. ``name`` is the source's own name for it (also its label when
    the record creates the entity). ``creator`` is the organisation that makes it, itself a Ref.
    ``iri`` names an entity the importer knows exactly (a curated one, or one of its own by design).
    """

    kind: str
    name: str = ""
    hf_id: str = ""
    arxiv: str = ""
    repo: str = ""
    creator: Ref | None = None
    iri: str = ""

    def __post_init__(self):
        if self.kind not in KIND_CLASSES:
            raise ValueError(f"unknown kind {self.kind!r}")
        if not (self.name or self.hf_id or self.iri):
            raise ValueError("a Ref needs a name, a Hugging Face id or an IRI")

    @property
    def display(self) -> str:
        return self.hf_id or self.name or self.iri


Value = "Ref | ox.NamedNode | ox.Literal"


@dataclass
class Record:
    """One record of a source: the entity it describes and the facts it states about it.

    ``facts`` are (predicate IRI, value) pairs about the subject; a value is a :class:`Ref` (another
    entity), an IRI or a literal. ``nodes`` are nodes the record owns (an evaluation result), by fragment:
    (fragment, [(predicate, value), ...]); they are written as ``<record IRI>#<fragment>``.
    ``reference_only`` marks a record that only names an entity something links to.
    """

    key: str  # unique within the import; becomes the record IRI's last segment (slugified)
    location: str  # where in the snapshot: "path/to/file.csv:123"
    evidence: str  # the public page of the record (http(s))
    subject: Ref
    facts: list[tuple[str, object]] = field(default_factory=list)
    nodes: list[tuple[str, list[tuple[str, object]]]] = field(default_factory=list)
    description: str = ""  # the atlas's own words for a created entity (never the source's prose)
    reference_only: bool = False
    confidence: str = "stated"

    def add(self, predicate: str, value) -> None:
        if value is None or value == "":
            return
        self.facts.append((predicate, value))


@dataclass(frozen=True)
class Snapshot:
    """The snapshot an import reads, and how to cite it."""

    source: str  # the source key: source:<key> in graph/source/, imports/<key>.trig
    title: str
    version: str  # the commit or release of the snapshot
    license: str  # IRI
    citations: tuple[str, ...]
    homepage: str
    creators: tuple[str, ...] = ()
    issued: str = ""  # xsd:date of the snapshot, when known

    @property
    def iri(self) -> str:
        return IMPORT_BASE + self.source


# -- the report ----------------------------------------------------------------------------------------


@dataclass
class ImportReport:
    source: str
    output: str
    read: int = 0
    matched: int = 0  # records that describe an entity the atlas already had (curated or an earlier import)
    created: int = 0  # entities this import created
    references: int = 0  # entities created only because something links to them
    ambiguous: list[str] = field(default_factory=list)  # "record: candidates"
    skipped: list[Problem] = field(default_factory=list)
    matched_by: dict[str, int] = field(default_factory=dict)
    triples: int = 0
    facts: int = 0
    records: int = 0
    changed: bool = False
    seconds: float = 0.0

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.skipped)

    def summary(self) -> str:
        keys = ", ".join(f"{n} by {k}" for k, n in sorted(self.matched_by.items()))
        return (
            f"import {self.source}: {self.read} records read, {self.matched} matched to existing entities"
            f"{f' ({keys})' if keys else ''}, {self.created} entities created ({self.references} known by reference only), "
            f"{len(self.ambiguous)} ambiguous, {len(self.skipped)} skipped; {self.facts} facts in {self.records} record graphs, "
            f"{self.triples} triples ({self.triples / self.facts if self.facts else 0:.2f} per fact) -> {self.output}"
            f"{'' if self.changed else ' (unchanged)'}; {self.seconds:.1f} s"
        )

    def to_text(self) -> str:
        lines = [self.summary()]
        if self.ambiguous:
            lines.append(f"ambiguous ({len(self.ambiguous)}), kept as entities of their own and listed for review:")
            lines += [f"  {a}" for a in self.ambiguous]
        if self.skipped:
            lines.append(f"skipped ({len(self.skipped)}):")
            lines += [f"  {p.as_text()}" for p in sort_problems(self.skipped)]
        return "\n".join(lines) + "\n"


def timed(report: ImportReport, started: float) -> ImportReport:
    report.seconds = time.perf_counter() - started
    return report


def literal(value: str, datatype: str | None = None, language: str | None = None) -> ox.Literal:
    if language:
        return ox.Literal(value, language=language)
    return ox.Literal(value, datatype=ox.NamedNode(datatype)) if datatype else ox.Literal(value)


def web_iri(value: str) -> str | None:
    """``value`` if it is an http(s) IRI that pyoxigraph accepts, else None."""
    text = (value or "").strip()
    if not re.match(r"^https?://[^\s/]", text, re.IGNORECASE):
        return None
    try:
        return ox.NamedNode(text).value
    except ValueError:
        return None


class Importer:
    """One source. Subclasses set the class attributes and implement :meth:`snapshot` and :meth:`records`."""

    source: str = ""  # the source key (graph/source/<key>.ttl, imports/<key>.trig)
    title: str = ""
    precedence: int = 100  # lower runs earlier and wins when sources disagree on a single-valued fact
    description: str = ""  # one line for `llm-atlas import --help`

    def snapshot(self, path: Path, version: str | None) -> Snapshot:
        raise NotImplementedError

    def records(self, path: Path) -> Iterator[Record | Problem]:
        raise NotImplementedError

    def describe(self, kind: str, name: str) -> str:
        """The description of an entity this import creates (the atlas's words, never the source's)."""
        what = {"model-release": "Model release", "model-family": "Model family", "dataset": "Dataset", "benchmark": "Benchmark",
                "organization": "Organisation", "leaderboard": "Leaderboard", "license": "Licence"}[kind]
        return f"{what} listed in {self.title}."


def facts_of(record: Record) -> Iterable[tuple[str, object]]:
    return record.facts
