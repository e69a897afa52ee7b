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
    Link,
    Owned,
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
LICENSE = ATLAS + "license"
NOT_STATED = f"<{ATLAS}NoLicenseStated>"  # atlas:NoLicenseStated as str() writes a NamedNode
SINGLE_VALUED = {ATLAS + p for p in ("license", "releaseDate", "dateCreated", "parameterCount", "access", "inFamily", "inSeries")}
# A release has one base model whatever the kind of derivation (a merge has several: not in this group).
BASE_MODEL_GROUP = {ATLAS + p for p in ("baseModel", "fineTunedFrom", "quantizedFrom", "adapterOf", "continuedPretrainingOf", "distilledFrom")}
DERIVATIONS = BASE_MODEL_GROUP | {ATLAS + "mergedFrom", ATLAS + "derivedFrom", ATLAS + "trainedOn"}
# A fact that goes with another of the same record: when the record's licence is kept as a differing statement,
# its spelling of the licence is said of that statement (else the entity would show one source's spelling beside
# another's licence, and the disagreement would be listed twice).
COMPANIONS = {ATLAS + "licenseName": ATLAS + "license"}


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
        # (subject, predicate) -> value -> the records of this import that asserted it
        self.asserted: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        self.claims_written: set[str] = set()  # statement claims on curated entities, written once per import
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

    def core(self, iri: str, ref: Ref, description: str, graph: ox.NamedNode, label: str = "") -> None:
        """Type, label, description and source of an entity this import created (once, in the first record about it).

        An organisation an import creates is not one of the study's sample (atlas:inSample false): the sample is
        the curated graph's."""
        if iri in self.cored:
            return
        self.cored.add(iri)
        for cls in kind_classes(ref.kind):
            self.add(iri, A, cls, graph)
        self.add(iri, RDFS + "label", literal(label or ref.name or ref.hf_id or iri.rsplit("/", 1)[-1], language="en"), graph)
        self.add(iri, DCTERMS + "description", literal(description or self.importer.describe(ref.kind, ref.name), language="en"), graph)
        if ref.kind in ("organization", "project"):  # the study's sample is curated: nothing an import creates is in it
            self.add(iri, ATLAS + "inSample", literal("false", XSD + "boolean"), graph)
        self.provenance(iri, graph)

    def provenance(self, iri: str, graph: ox.NamedNode) -> None:
        self.add(iri, ATLAS + "source", self.source, graph)
        self.add(iri, ATLAS + "importedFrom", self.source, graph)

    def value(self, value, graph: ox.NamedNode, location: str) -> ox.NamedNode | ox.Literal:
        if isinstance(value, Ref):
            resolution = self.reconciler.resolve_named(value)
            self.pending_refs.setdefault(resolution.iri, (value, resolution, location))
            return ox.NamedNode(resolution.iri)
        if isinstance(value, Owned):
            return ox.NamedNode(f"{graph.value}#{value.fragment}")
        return _term(value)

    def link(self, record: Record, subject: str, predicate: str, link: Link) -> tuple[str, ox.NamedNode | ox.Literal] | None:
        """The fact a Link gives: to the one entity that answers to it, or the source's name kept as a literal."""
        found = self.reconciler.find(link.ref)
        counts = self.report.links
        if found.iri == subject:
            counts["to itself"] = counts.get("to itself", 0) + 1
            return None
        if found.iri:
            counts["linked"] = counts.get("linked", 0) + 1
            return predicate, ox.NamedNode(found.iri)
        if found.candidates:
            counts["ambiguous"] = counts.get("ambiguous", 0) + 1
            self.report.ambiguous.append(f"{record.location} {_local(predicate)} {link.ref.display!r} (kept as a name): " + ", ".join(found.candidates))
        else:
            counts["not found"] = counts.get("not found", 0) + 1
        return link.name_predicate, literal(link.ref.name)

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
        if record.modified:
            self.add(rec, DCTERMS + "modified", literal(record.modified, XSD + "date"))
        report.left_out += record.problems
        if subject.outcome == "known":
            if subject.key:
                self.add(rec, ATLAS + "matchedBy", MATCHKEY + subject.key)
            report.matched += 1
            report.matched_by[subject.key or "iri"] = report.matched_by.get(subject.key or "iri", 0) + 1
        candidates = sorted(set(subject.candidates) | set(record.candidates))
        for candidate in candidates:
            self.add(rec, ATLAS + "candidate", candidate)
        if candidates:
            report.ambiguous.append(f"{record.location} {record.subject.display}: " + ", ".join(candidates))

        known = self.index.entities.get(subject.iri)
        if subject.outcome in ("new", "again"):
            self.core(subject.iri, record.subject, record.description, graph, record.label)
        elif known is not None and not known.curated:
            self.provenance(subject.iri, graph)
        curated = known is not None and known.curated

        diverted: dict[str, str] = {}  # predicate -> the differing statement this record's fact became
        for predicate, raw in record.facts:
            if isinstance(raw, Link):
                linked = self.link(record, subject.iri, predicate, raw)
                if linked is None:
                    continue
                predicate, value = linked
            else:
                value = self.value(raw, graph, record.location)
            if COMPANIONS.get(predicate) in diverted:
                self.add(diverted[COMPANIONS[predicate]], predicate, value, graph)
                continue
            statement = self.fact(rec, graph, subject.iri, predicate, value, curated, known)
            if statement:
                diverted.setdefault(predicate, statement)
        for other, predicate, raw in record.about:
            resolution = self.reconciler.resolve_named(other)
            self.pending_refs.setdefault(resolution.iri, (other, resolution, record.location))
            entity = self.index.entities.get(resolution.iri)
            self.fact(rec, graph, resolution.iri, predicate, self.value(raw, graph, record.location), bool(entity and entity.curated), entity)
        for fragment, facts in record.nodes:
            node = fragment if fragment.startswith(("https://", "http://")) else f"{rec}#{fragment}"
            for predicate, raw in facts:
                self.add(node, predicate, self.value(raw, graph, record.location), graph)

    def fact(self, rec: str, graph: ox.NamedNode, subject: str, predicate: str, value, curated: bool, known) -> str:
        """Write one fact of a record; when it is kept as a differing statement instead, that statement's IRI (else "")."""
        if isinstance(value, ox.NamedNode) and value.value == subject and predicate in DERIVATIONS:
            return ""  # two names a source gives for one thing (a collection and the repository it is) derive nothing from each other
        written = str(value)
        if curated and (predicate, written) in self.index.curated_facts.get(subject, ()):
            return ""  # the curated file says it already, with its own claim; the record's atlas:describes corroborates it
        earlier: set[str] = set()
        if known is not None:
            group = BASE_MODEL_GROUP if predicate in BASE_MODEL_GROUP else {predicate}
            for p in group:
                earlier |= known.facts.get(p, set())
        if predicate in SINGLE_VALUED or predicate in BASE_MODEL_GROUP:
            mine = self.asserted[(subject, "base" if predicate in BASE_MODEL_GROUP else predicate)]
            # values one record states together (a dataset under two licences) stand together, and so do the values
            # of several records of an import whose records describe parts of one entity (Importer.additive)
            others = set() if predicate in self.importer.additive else {v for v, recs in mine.items() if recs - {rec}}
            if predicate == LICENSE:
                # silence is no disagreement: "not stated" is written only where nothing else is known of the
                # licence, and a licence stated beside a "not stated" is no differing value
                curated_licences = {o for p, o in self.index.curated_facts.get(subject, ()) if p == LICENSE} if curated else set()
                if written == NOT_STATED and (earlier or mine or curated_licences):
                    return ""
                earlier, others = earlier - {NOT_STATED}, others - {NOT_STATED}
            if (earlier and written not in earlier) or (others and written not in others):
                return self.differing(rec, graph, subject, predicate, value)
            if written in earlier:
                return ""  # said already by a source of higher precedence: the record's atlas:describes corroborates it
            mine[written].add(rec)
        self.add(subject, predicate, value, graph)
        if curated:  # the curated graph's rule: every claim-property fact on a curated entity has its statement claim
            shown = value.value.rsplit("/", 1)[-1] if isinstance(value, ox.NamedNode) else value.value
            slug = slugify(shown, 40)
            if not slug or slug != slugify(shown, 1000):  # cut short: two values may share the first 40 characters
                slug = "-".join(filter(None, (slug, short_hash(written))))
            claim = f"{subject}#{self.importer.source}-{_local(predicate)}-{slug}"
            if claim in self.claims_written:
                # another record says it too: it adds its provenance to the one claim, in its own graph (a claim
                # written whole in every record's graph would be joined with itself record by record: a
                # union-graph query over 277 records of one collection made 10^7 rows of one claim)
                self.add(claim, PROV + "wasDerivedFrom", rec, graph)
                return ""
            self.claims_written.add(claim)
            self.add(claim, A, ATLAS + "StatementClaim", graph)
            self.add(claim, RDF + "subject", subject, graph)
            self.add(claim, RDF + "predicate", predicate, graph)
            self.add(claim, RDF + "object", value, graph)
            self.add(claim, ATLAS + "source", self.source, graph)
            self.add(claim, ATLAS + "confidence", CONFIDENCE + "stated", graph)
            self.add(claim, PROV + "wasDerivedFrom", rec, graph)
        return ""

    def differing(self, rec: str, graph: ox.NamedNode, subject: str, predicate: str, value) -> str:
        node = f"{rec}#differs-{_local(predicate)}-{short_hash(str(value))}"
        self.add(node, A, ATLAS + "DifferingStatement", graph)
        self.add(node, RDF + "subject", subject, graph)
        self.add(node, RDF + "predicate", predicate, graph)
        self.add(node, RDF + "object", value, graph)
        self.add(node, ATLAS + "source", self.source, graph)
        self.add(node, ATLAS + "confidence", CONFIDENCE + "stated", graph)
        self.add(node, PROV + "wasDerivedFrom", rec, graph)
        return node

    # -- entities only linked to -------------------------------------------------------------------------

    def write_references(self) -> None:
        """An entity a record links to but no record describes gets a record of its own, marked reference only,
        so that no link dangles. The record states the identifier the link names it by (its Hub id): that is what
        the atlas knows of it, and what a later import recognises it by."""
        while self.pending_refs:
            iri, (ref, resolution, location) = min(self.pending_refs.items())
            del self.pending_refs[iri]
            if resolution.outcome == "known" or iri in self.described or iri in self.cored:
                continue
            evidence = f"https://huggingface.co/{'datasets/' if ref.kind == 'dataset' else ''}{ref.hf_id}" if ref.hf_id else self.snapshot.homepage
            record = Record(key=f"ref {iri.removeprefix(BASE)}", location=location, evidence=evidence, subject=ref,
                            reference_only=True, description=f"Known to the atlas only because {self.importer.title} links to it.")
            # the keys it is named by, so that a later import that describes it reconciles to it instead of minting another
            if ref.hf_id:
                record.add(ATLAS + "huggingFaceId", literal(ref.hf_id))
            if ref.arxiv:
                record.add(ATLAS + "arxivId", literal(ref.arxiv))
            if ref.repo:
                record.add(ATLAS + "sourceRepository", ox.NamedNode(ref.repo))
            self.described.add(iri)
            self.report.references += 1
            self.report.created += 1
            self.write_record(record, Resolution(iri, "new", candidates=resolution.candidates))


def run_import(importer: Importer, path: Path, root: Path, registry: dict, *, version: str | None = None, write: bool = True) -> ImportReport:
    """Import one snapshot of one source into ``imports/<source>.trig``; the report says what happened."""
    started = time.perf_counter()
    path = Path(path)
    if not path.exists():
        raise UsageError(f"{path} does not exist: give the folder of the snapshot of {importer.title}")
    if not (root / "graph" / "source" / f"{importer.source}.ttl").is_file():
        raise UsageError(f"the checkout has no source {SOURCE_BASE}{importer.source}: add graph/source/{importer.source}.ttl "
                         f"(an atlas:Source with atlas:sourceKey \"{importer.source}\") before importing it")
    snapshot = importer.snapshot(path, version)
    index = AtlasIndex.read(root, import_files_before(root, importer.precedence, registry))
    importer.prepare(index)
    run = _Run(importer, index, snapshot)
    run.report.snapshot_version = snapshot.version if snapshot.version != "unknown" else ""
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
        if resolution.outcome == "known":
            run.reconciler.alias(resolution.iri, record.subject)
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
    if not write:
        run.report.rendered = text  # what the file would hold: a check compares it with the committed bytes
    if write and run.report.changed:
        atomic_write_text(out, text)
    return timed(run.report, started)
