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
    "project": (ATLAS + "Project",),
}
KIND_FOLDER = {"model-release": "model", "model-family": "model", "dataset": "dataset", "benchmark": "benchmark",
               "organization": "organization", "leaderboard": "leaderboard", "license": "license", "project": "project"}


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
    ``owner`` is a namespace the creator publishes under when the source implies one (HELM's ``meta`` of
    ``meta/llama-3-8b``, the Hub namespace of the release whose base model a record names): names of releases
    in a Hub namespace that spells or starts with it count as the creator's.
    """

    kind: str
    name: str = ""
    hf_id: str = ""
    arxiv: str = ""
    repo: str = ""
    creator: Ref | None = None
    iri: str = ""
    owner: str = ""

    def __post_init__(self):
        if self.kind not in KIND_CLASSES:
            raise ValueError(f"unknown kind {self.kind!r}")
        if not (self.name or self.hf_id or self.iri):
            raise ValueError("a Ref needs a name, a Hugging Face id or an IRI")

    @property
    def display(self) -> str:
        return self.hf_id or self.name or self.iri


@dataclass(frozen=True)
class Link:
    """A link to an entity a source names only by name (and creator), such as a base model written "Llama-2-13B".

    Written as ``predicate -> entity`` when exactly one entity the atlas (or this import) already has answers to
    ``ref``; otherwise the source's name is kept as a literal on ``name_predicate``, a tie is listed for review,
    and no entity is created, since a name alone may be a family, a typo or a licence written in the wrong field.
    A link from an entity to itself is not written (a release whose origin is itself is a base model).
    """

    ref: Ref
    name_predicate: str


@dataclass(frozen=True)
class Owned:
    """The value ``<record IRI>#<fragment>``: a node the record owns (see :attr:`Record.nodes`), linked from the subject."""

    fragment: str


Value = "Ref | Link | Owned | ox.NamedNode | ox.Literal"


@dataclass
class Record:
    """One record of a source: the entity it describes and the facts it states about it.

    ``facts`` are (predicate IRI, value) pairs about the subject; a value is a :class:`Ref` (another
    entity), an IRI or a literal. ``nodes`` are nodes the record owns (an evaluation result), by fragment:
    (fragment, [(predicate, value), ...]); they are written as ``<record IRI>#<fragment>``, or at the IRI given
    when the fragment is an absolute http(s) IRI (a node whose IRI was published before the record design and
    is kept, since an IRI is never deleted).
    ``reference_only`` marks a record that only names an entity something links to.
    """

    key: str  # unique within the import; becomes the record IRI's last segment (slugified)
    location: str  # where in the snapshot: "path/to/file.csv:123"
    evidence: str  # the public page of the record (http(s))
    subject: Ref
    facts: list[tuple[str, object]] = field(default_factory=list)
    nodes: list[tuple[str, list[tuple[str, object]]]] = field(default_factory=list)
    # facts the record states about another entity it names, (subject, predicate, value): a maker that is a
    # project builds the dataset the record describes (written in the record's graph like its own facts)
    about: list[tuple[Ref, str, object]] = field(default_factory=list)
    description: str = ""  # the atlas's own words for a created entity (never the source's prose)
    # entities the importer found the record could be linked to without a key deciding (several families that
    # answer to a system's name): listed for review as atlas:candidate, never chosen
    candidates: list[str] = field(default_factory=list)
    label: str = ""  # the label of an entity the record creates (default: the subject's name)
    modified: str = ""  # xsd:date on which the source last changed the record, when it says (dcterms:modified)
    reference_only: bool = False
    confidence: str = "stated"
    problems: list[Problem] = field(default_factory=list)  # values of this record left out, with file:line and why

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
    left_out: list[Problem] = field(default_factory=list)  # values of kept records left out (a warning each)
    links: dict[str, int] = field(default_factory=dict)  # links by name (Link): linked, to itself, not found, ambiguous
    triples: int = 0
    facts: int = 0
    records: int = 0
    changed: bool = False
    seconds: float = 0.0
    snapshot_version: str = ""  # the snapshot's version as the importer read it (given, from git, or a README beside it)
    rendered: str | None = field(default=None, repr=False)  # the file's text, kept only when nothing is written

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.skipped)

    def summary(self) -> str:
        keys = ", ".join(f"{n} by {k}" for k, n in sorted(self.matched_by.items()))
        links = ", ".join(f"{self.links[k]} {k}" for k in ("linked", "to itself", "not found", "ambiguous") if self.links.get(k))
        return (
            f"import {self.source}: {self.read} records read, {self.matched} matched to existing entities"
            f"{f' ({keys})' if keys else ''}, {self.created} entities created ({self.references} known by reference only), "
            f"{len(self.ambiguous)} ambiguous, {len(self.skipped)} skipped"
            f"{f', {len(self.left_out)} values left out' if self.left_out else ''}{f'; links by name: {links}' if links else ''}; "
            f"{self.facts} facts in {self.records} record graphs, "
            f"{self.triples} triples ({self.triples / self.facts if self.facts else 0:.2f} per fact) -> {self.output}"
            f"{'' if self.changed else ' (unchanged)'}; {self.seconds:.1f} s"
        )

    def to_text(self) -> str:
        lines = [self.summary()]
        if self.ambiguous:
            lines.append(f"ambiguous ({len(self.ambiguous)}), listed for review (a record's entity kept apart, a link kept as a name):")
            lines += [f"  {a}" for a in self.ambiguous]
        if self.left_out:
            lines.append(f"values left out ({len(self.left_out)}), the rest of each record imported:")
            lines += [f"  {p.as_text()}" for p in sort_problems(self.left_out)]
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
    # Single-valued facts whose values add up over the records of this import instead of differing: for a source
    # whose several records describe parts of one entity (the Data Provenance Collection's subsets of one Hub
    # dataset each state their own licences; the dataset carries them all).
    additive: frozenset[str] = frozenset()
    reads: tuple[str, ...] = ()  # files of the checkout besides graph/ and imports/ whose content changes the output

    def snapshot(self, path: Path, version: str | None) -> Snapshot:
        raise NotImplementedError

    def prepare(self, index) -> None:
        """Called with the :class:`~.reconcile.AtlasIndex` of the run before :meth:`records`, for an importer that
        must know what the atlas has to say what a record states (which family a system belongs to, whether a
        maker is an organisation or a project). Most importers name entities by their keys and need nothing."""

    def records(self, path: Path) -> Iterator[Record | Problem]:
        raise NotImplementedError

    def describe(self, kind: str, name: str) -> str:
        """The description of an entity this import creates (the atlas's words, never the source's)."""
        what = {"model-release": "Model release", "model-family": "Model family", "dataset": "Dataset", "benchmark": "Benchmark",
                "organization": "Organisation", "leaderboard": "Leaderboard", "license": "Licence", "project": "Project"}[kind]
        return f"{what} listed in {self.title}."


def facts_of(record: Record) -> Iterable[tuple[str, object]]:
    return record.facts
