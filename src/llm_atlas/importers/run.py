"""The one import pipeline every source goes through (see :mod:`.base` for what an importer yields)."""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import pyoxigraph as ox

from ..errors import Problem, UsageError
from ..layout import IMPORTS_DIR
from ..namespaces import BASE, ONTOLOGY
from ..store import atomic_write_text
from . import trig
from .base import (
    DCTERMS,
    OWL,
    PROV,
    RDF,
    RDFS,
    RECORD_BASE,
    XSD,
    A,
    Importer,
    ImportReport,
    Record,
    Ref,
    literal,
    short_hash,
    slugify,
    timed,
)
from .reconcile import MATCHKEY, AtlasIndex, Reconciler, Resolution, import_files_before, kind_classes

ATLAS = ONTOLOGY
SOURCE_BASE = BASE + "source/"
CONFIDENCE = ONTOLOGY + "confidence/"

# Facts of which a thing has one value: when a source of higher precedence (or the curated graph) already
# gives another, a lower source's value is kept as an atlas:DifferingStatement, visible but not asserted.
SINGLE_VALUED = {ATLAS + p for p in ("license", "releaseDate", "dateCreated", "parameterCount", "access", "inFamily", "inSeries")}
# A release has one base model whatever the kind of derivation (a merge has several: not in this group).
BASE_MODEL_GROUP = {ATLAS + p for p in ("baseModel", "fineTunedFrom", "quantizedFrom", "adapterOf", "continuedPretrainingOf", "distilledFrom")}


def _term(value) -> ox.NamedNode | ox.Literal:
    if isinstance(value, (ox.NamedNode, ox.Literal)):
        return value
    raise TypeError(f"a fact's value is a Ref, an IRI or a literal, not {value!r}")


def _local(predicate: str) -> str:
    return predicate.rsplit("/", 1)[-1].rsplit("#", 1)[-1].casefold()


class _Run:
    def __init__(self, importer: Importer, index: AtlasIndex, snapshot):
        self.importer = importer
        self.index = index
        self.snapshot = snapshot
        self.reconciler = Reconciler(index)
        self.quads: list[ox.Quad] = []
        self.source = ox.NamedNode(SOURCE_BASE + importer.source)
        self.import_node = ox.NamedNode(snapshot.iri)
        self.report = ImportReport(importer.source, f"{IMPORTS_DIR}/{importer.source}.trig")
        self.described: set[str] = set()  # entities some record of this import describes
        self.cored: set[str] = set()  # entities whose type, label and description this import wrote
        self.asserted: dict[tuple[str, str], set[str]] = defaultdict(set)  # (subject, predicate) -> values this import asserted
        self.record_iris: set[str] = set()
        self.pending_refs: dict[str, tuple] = {}  # IRI -> (Ref, Resolution, location) of entities linked to

    def add(self, s: str, p: str, o, graph=None) -> None:
        subject = ox.NamedNode(s)
        obj = ox.NamedNode(o) if isinstance(o, str) else o
        self.quads.append(ox.Quad(subject, ox.NamedNode(p), obj, graph or ox.DefaultGraph()))

    def record_iri(self, key: str) -> str:
        iri = f"{RECORD_BASE}{self.importer.source}/{slugify(key) or short_hash(key)}"
        if iri in self.record_iris:
            iri = f"{iri}-{short_hash(key)}"
        self.record_iris.add(iri)
        return iri

    # -- the import node ---------------------------------------------------------------------------------

    def describe_import(self) -> None:
        snap, node = self.snapshot, self.import_node.value
        self.add(node, A, ATLAS + "Import")
        self.add(node, RDFS + "label", literal(f"{snap.title} (snapshot {snap.version})", language="en"))
        self.add(node, DCTERMS + "title", literal(snap.title, language="en"))
        self.add(node, OWL + "versionInfo", literal(snap.version))
        self.add(node, DCTERMS + "license", snap.license)
        self.add(node, DCTERMS + "source", snap.homepage)
        self.add(node, ATLAS + "source", self.source)
        for citation in snap.citations:
            self.add(node, DCTERMS + "bibliographicCitation", literal(citation))
        for creator in snap.creators:
            self.add(node, DCTERMS + "creator", literal(creator))
        if snap.issued:
            self.add(node, DCTERMS + "issued", literal(snap.issued, XSD + "date"))

    # -- entities ----------------------------------------------------------------------------------------

    def core(self, iri: str, ref: Ref, description: str, graph: ox.NamedNode) -> None:
        """Type, label, description and source of an entity this import created (once, in the first record about it)."""
        if iri in self.cored:
            return
        self.cored.add(iri)
        for cls in kind_classes(ref.kind):
            self.add(iri, A, cls, graph)
        self.add(iri, RDFS + "label", literal(ref.name or ref.hf_id or iri.rsplit("/", 1)[-1], language="en"), graph)
        self.add(iri, DCTERMS + "description", literal(description or self.importer.describe(ref.kind, ref.name), language="en"), graph)
        self.provenance(iri, graph)

    def provenance(self, iri: str, graph: ox.NamedNode) -> None:
        self.add(iri, ATLAS + "source", self.source, graph)
        self.add(iri, ATLAS + "importedFrom", self.source, graph)

    def value(self, value, graph: ox.NamedNode, location: str) -> ox.NamedNode | ox.Literal:
        if isinstance(value, Ref):
            resolution = self.reconciler.resolve_named(value)
            self.pending_refs.setdefault(resolution.iri, (value, resolution, location))
            return ox.NamedNode(resolution.iri)
        return _term(value)

    # -- a record ----------------------------------------------------------------------------------------

    def write_record(self, record: Record, subject: Resolution) -> None:
        rec = self.record_iri(record.key)
        graph = ox.NamedNode(rec)
        report = self.report
        report.records += 1
        self.add(rec, A, ATLAS + "SourceRecord")
        self.add(rec, ATLAS + "describes", subject.iri)
        self.add(rec, ATLAS + "source", self.source)
        self.add(rec, ATLAS + "confidence", CONFIDENCE + record.confidence)
        self.add(rec, ATLAS + "evidence", record.evidence)
        self.add(rec, ATLAS + "locator", literal(record.location))
        self.add(rec, ATLAS + "inImport", self.import_node)
        if record.reference_only:
            self.add(rec, ATLAS + "knownByReferenceOnly", literal("true", XSD + "boolean"))
        if subject.outcome == "known":
            if subject.key:
                self.add(rec, ATLAS + "matchedBy", MATCHKEY + subject.key)
            report.matched += 1
            report.matched_by[subject.key or "iri"] = report.matched_by.get(subject.key or "iri", 0) + 1
        for candidate in subject.candidates:
            self.add(rec, ATLAS + "candidate", candidate)
        if subject.candidates:
            report.ambiguous.append(f"{record.location} {record.subject.display}: " + ", ".join(subject.candidates))

        known = self.index.entities.get(subject.iri)
        if subject.outcome in ("new", "again"):
            self.core(subject.iri, record.subject, record.description, graph)
        elif known is not None and not known.curated:
            self.provenance(subject.iri, graph)
        curated = known is not None and known.curated

        for predicate, raw in record.facts:
            value = self.value(raw, graph, record.location)
            self.fact(rec, graph, subject.iri, predicate, value, curated, known)
        for fragment, facts in record.nodes:
            node = f"{rec}#{fragment}"
            for predicate, raw in facts:
                self.add(node, predicate, self.value(raw, graph, record.location), graph)

    def fact(self, rec: str, graph: ox.NamedNode, subject: str, predicate: str, value, curated: bool, known) -> None:
        written = str(value)
        if curated and (predicate, written) in self.index.curated_facts.get(subject, ()):
            return  # the curated file says it already, with its own claim; the record's atlas:describes corroborates it
        earlier: set[str] = set()
        if known is not None:
            group = BASE_MODEL_GROUP if predicate in BASE_MODEL_GROUP else {predicate}
            for p in group:
                earlier |= known.facts.get(p, set())
        if predicate in SINGLE_VALUED or predicate in BASE_MODEL_GROUP:
            mine = self.asserted[(subject, "base" if predicate in BASE_MODEL_GROUP else predicate)]
            if (earlier and written not in earlier) or (mine and written not in mine):
                self.differing(rec, graph, subject, predicate, value)
                return
            if written in earlier:
                return  # said already by a source of higher precedence: the record's atlas:describes corroborates it
            mine.add(written)
        self.add(subject, predicate, value, graph)
        if curated:  # the curated graph's rule: every claim-property fact on a curated entity has its statement claim
            shown = value.value.rsplit("/", 1)[-1] if isinstance(value, ox.NamedNode) else value.value
            claim = f"{subject}#{self.importer.source}-{_local(predicate)}-{slugify(shown, 40) or short_hash(written)}"
            self.add(claim, A, ATLAS + "StatementClaim", graph)
            self.add(claim, RDF + "subject", subject, graph)
            self.add(claim, RDF + "predicate", predicate, graph)
            self.add(claim, RDF + "object", value, graph)
            self.add(claim, ATLAS + "source", self.source, graph)
            self.add(claim, ATLAS + "confidence", CONFIDENCE + "stated", graph)
            self.add(claim, PROV + "wasDerivedFrom", rec, graph)

    def differing(self, rec: str, graph: ox.NamedNode, subject: str, predicate: str, value) -> None:
        node = f"{rec}#differs-{_local(predicate)}-{short_hash(str(value))}"
        self.add(node, A, ATLAS + "DifferingStatement", graph)
        self.add(node, RDF + "subject", subject, graph)
        self.add(node, RDF + "predicate", predicate, graph)
        self.add(node, RDF + "object", value, graph)
        self.add(node, ATLAS + "source", self.source, graph)
        self.add(node, ATLAS + "confidence", CONFIDENCE + "stated", graph)
        self.add(node, PROV + "wasDerivedFrom", rec, graph)

    # -- entities only linked to -------------------------------------------------------------------------

    def write_references(self) -> None:
        """An entity a record links to but no record describes gets a record of its own, marked reference only,
        so that no link dangles."""
        while self.pending_refs:
            iri, (ref, resolution, location) = min(self.pending_refs.items())
            del self.pending_refs[iri]
            if resolution.outcome == "known" or iri in self.described or iri in self.cored:
                continue
            evidence = f"https://huggingface.co/{'datasets/' if ref.kind == 'dataset' else ''}{ref.hf_id}" if ref.hf_id else self.snapshot.homepage
            record = Record(key=f"ref {iri.removeprefix(BASE)}", location=location, evidence=evidence, subject=ref,
                            reference_only=True, description=f"Known to the atlas only because {self.importer.title} links to it.")
            self.described.add(iri)
            self.report.references += 1
            self.report.created += 1
            self.write_record(record, Resolution(iri, "new"))


def run_import(importer: Importer, path: Path, root: Path, registry: dict, *, version: str | None = None, write: bool = True) -> ImportReport:
    """Import one snapshot of one source into ``imports/<source>.trig``; the report says what happened."""
    started = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path} does not exist: give the folder of the snapshot of {importer.title}")
    snapshot = importer.snapshot(path, version)
    index = AtlasIndex.read(root, import_files_before(root, importer.precedence, registry))
    run = _Run(importer, index, snapshot)
    records: list[Record] = []
    for item in importer.records(path):
        if isinstance(item, Problem):
            run.report.skipped.append(item)
        else:
            records.append(item)
    run.report.read = len(records) + len(run.report.skipped)
    records.sort(key=lambda r: r.key)
    keys = [r.key for r in records]
    duplicates = sorted({k for k in keys if keys.count(k) > 1}) if len(set(keys)) != len(keys) else []
    if duplicates:
        raise UsageError(f"importer {importer.source} gave two records the key {duplicates[0]!r}: record keys are unique")
    run.describe_import()
    resolved = []
    for record in records:  # subjects first, so that a link to an entity another record describes is not a reference
        resolution = run.reconciler.resolve_named(record.subject)
        run.described.add(resolution.iri)
        if resolution.outcome == "new":
            run.report.created += 1
        resolved.append((record, resolution))
    for record, resolution in resolved:
        run.write_record(record, resolution)
    run.write_references()
    header = (f"Generated by `llm-atlas import {importer.source}` from {snapshot.title}, snapshot {snapshot.version}: do not edit by hand.\n"
              f"Licence of the data: <{snapshot.license}>. Cite: " + " | ".join(snapshot.citations) + "\n"
              "Each named graph is one record of the source; its facts are the record's, as the source states them.")
    text = trig.render(run.quads, header)
    unique = set(run.quads)
    run.report.triples = len(unique)
    # a fact is a triple a record states (in its named graph); the rest is provenance said once per record
    run.report.facts = sum(1 for q in unique if not isinstance(q.graph_name, ox.DefaultGraph))
    out = root / run.report.output
    old = out.read_text(encoding="utf-8") if out.is_file() else None
    run.report.changed = old != text
    if write and run.report.changed:
        atomic_write_text(out, text)
    return timed(run.report, started)
