"""Export job: the whole atlas as RDF dumps, JSON-LD, CSV tables, GraphML, with a VoID / DCAT description.

>>> from llm_atlas import Atlas
>>> from llm_atlas import export
>>> atlas = Atlas.open()                                                    # doctest: +SKIP
>>> export.export(atlas.store, "dist", ["ttl", "nq", "jsonld", "csv"])      # doctest: +SKIP

``export(store, out_dir, formats)`` writes into the folder ``out_dir``:

========= =========================================================================================
format    files
========= =========================================================================================
``ttl``   ``atlas.ttl``: the union of the file graphs as one graph, Turtle with the shared prefixes
``nt``    ``atlas.nt``: the same graph as N-Triples (one triple a line: grep, diff, stream)
``nq``    ``atlas.nq``: N-Quads, every triple in the named graph of its source file (lossless)
``jsonld``  ``atlas.jsonld`` (compacted with the atlas context) and ``context.jsonld`` (the context)
``csv``   one table per entity class (``organizations.csv``, ``projects.csv``, ...), ``claims.csv``
          (every statement claim with its source and confidence) and ``prefixes.csv``
``graphml`` ``atlas.graphml``: entities and concepts as nodes, their links as edges
========= =========================================================================================

and always ``void.ttl``, the VoID / DCAT description of the dataset (counts per class and property,
licence, version, vocabularies, and the dumps this export wrote, as absolute IRIs under ``base_url``,
where the files are to be published; default :data:`DUMP_BASE`).

Every export is deterministic (the same store gives the same bytes: everything is sorted and blank nodes,
which only the shapes have, get labels computed from their content) and atomic: each file is written to
a temporary file in ``out_dir`` first, and only when all of them are complete are they renamed over the
old ones, so a failing export leaves the folder as it was.

JSON-LD: pyoxigraph writes expanded JSON-LD only (no context, no compaction), so the compaction is done
here, with the atlas context: ``src/llm_atlas/context.jsonld``, generated from the shared prefixes and the
ontology's properties (:func:`jsonld_context`; ``pytest --update-goldens`` regenerates it after an ontology
change). The document embeds the context, so it stands alone: any JSON-LD processor reads it offline,
without resolving anything. A copy of the context is written beside it as ``context.jsonld`` (the file
``https://w3id.org/llm-atlas/context.jsonld`` is meant to serve), for other documents to refer to. A
property the context does not define (an ontology newer than the package) is written as a compact IRI with
explicit value objects, so compaction never depends on a term that may be missing.

GraphML: :mod:`llm_atlas.network` already writes the study's two analysis views (the organisations'
collaboration network and the project-artefact graph). The export is the whole entity graph instead, for
Gephi or Cytoscape users who want to explore every link: one node per entity and per vocabulary concept,
one edge per link between two of them (keyed by the property), each edge with the confidence and source
of the statement claim that backs it.
"""

from __future__ import annotations

import json
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import pyoxigraph as ox

from .version import __version__
from .errors import UsageError
from .outputs import check_out_dir, csv_text, write_files
from .progress import progress
from .ntriples import canonical_blank_nodes, term_order, triple_order
from .namespaces import (BASE, DCTERMS, KIND_OF_CLASS, KINDS, ONTOLOGY, OWL, PREFIXES, RDF, RDF_LANG_STRING, RDFS, SKOS, STANDARD, XSD,
                         XSD_STRING, curie)

FORMATS = ("ttl", "nt", "nq", "jsonld", "csv", "graphml")

DUMP_NAMES = {"ttl": "atlas.ttl", "nt": "atlas.nt", "nq": "atlas.nq", "jsonld": "atlas.jsonld", "graphml": "atlas.graphml"}
VOID_NAME = "void.ttl"
CONTEXT_NAME = "context.jsonld"
CONTEXT_IRI = BASE + "context.jsonld"
DUMP_BASE = BASE + "dump/"  # where a published export's files live, unless --base-url says otherwise
PACKAGED_CONTEXT = Path(__file__).resolve().parent / CONTEXT_NAME

DATASET_IRI = BASE
STUDY = "https://arxiv.org/abs/2509.25397"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"
TITLE = "LLM Atlas"
DESCRIPTION = (
    "The knowledge graph of the open large-language-model ecosystem: projects, organisations, models, "
    "datasets, benchmarks, leaderboards, frameworks, compute, collaborations, governance models and "
    "motivations, after Linåker, Osborne, Ding and Burtenshaw, 'A Cartography of Open Collaboration in Open "
    "Source AI' (arXiv:2509.25397). Every claim names its source and its confidence (stated, paraphrased or "
    "inferred)."
)

# Media types of the files an export writes (IANA registrations), for dcat:mediaType.
MEDIA_TYPES = {
    "ttl": "text/turtle",
    "nt": "application/n-triples",
    "nq": "application/n-quads",
    "jsonld": "application/ld+json",
    "csv": "text/csv",
    "graphml": "application/graphml+xml",
}
RDF_DUMPS = ("ttl", "nt", "nq", "jsonld")
DISTRIBUTION_TITLES = {
    "ttl": "The atlas as one graph, Turtle",
    "nt": "The atlas as one graph, N-Triples",
    "nq": "The atlas with one named graph per source file, N-Quads",
    "jsonld": "The atlas as one graph, JSON-LD (the atlas context embedded)",
    "csv": "The atlas as tables: one per entity class, the statement claims, the prefixes",
    "graphml": "The atlas's entities and concepts and the links between them, GraphML",
}

# CSV file name of each entity kind (kinds whose plural is not kind + "s" are listed).
TABLE_NAMES = {kind: kind + "s" for kind in KINDS}
TABLE_NAMES.update({"compute": "compute-resources", "knowledge": "knowledge-sharing", "study": "studies"})
CSV_SEPARATOR = "; "

RDF_TYPE = ox.NamedNode(RDF + "type")
re_scheme = re.compile(r"^(https?|file):")
ATLAS_NS = ONTOLOGY


# -- reading the store ---------------------------------------------------------------------------------------

def _key(term) -> str:
    return str(term)


@dataclass
class Snapshot:
    """Everything an export writes is computed from one read of the store."""

    quads: list[ox.Quad]  # sorted by graph, subject, predicate, object
    triples: list[ox.Triple]  # the union graph, sorted, without duplicates

    @classmethod
    def of(cls, store: ox.Store) -> "Snapshot":
        quads = canonical_blank_nodes(q for q in store.quads_for_pattern(None, None, None, None))
        quads.sort(key=lambda q: (term_order(q.graph_name), triple_order(q)))
        triples = sorted({ox.Triple(q.subject, q.predicate, q.object) for q in quads}, key=triple_order)
        return cls(quads, triples)

    def by_subject(self) -> dict[str, list[ox.Triple]]:
        out: dict[str, list[ox.Triple]] = defaultdict(list)
        for t in self.triples:
            out[_key(t.subject)].append(t)
        return out


# -- compact names -------------------------------------------------------------------------------------------

def short(term) -> str:
    """How a term reads in a CSV cell or a GraphML attribute: a shared-prefix name, an IRI, or the text."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return curie(term.value) or term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return term.value


def _local_name(iri: str) -> str:
    return iri.rstrip("/#").rsplit("#", 1)[-1].rsplit("/", 1)[-1]


# -- JSON-LD -------------------------------------------------------------------------------------------------

# Terms for the properties of other vocabularies that the atlas uses on its entities and concepts. A value
# of "@language" makes a plain JSON string an English literal (the data model asks @en of every text meant
# for people); other languages and plain strings are written as value objects.
STANDARD_TERMS: dict[str, tuple[str, dict]] = {
    "label": (RDFS + "label", {"@language": "en"}),
    "comment": (RDFS + "comment", {"@language": "en"}),
    "seeAlso": (RDFS + "seeAlso", {"@type": "@id"}),
    "description": (DCTERMS + "description", {"@language": "en"}),
    "title": (DCTERMS + "title", {}),
    "isPartOf": (DCTERMS + "isPartOf", {"@type": "@id"}),
    "isReplacedBy": (DCTERMS + "isReplacedBy", {"@type": "@id"}),
    "prefLabel": (SKOS + "prefLabel", {"@language": "en"}),
    "altLabel": (SKOS + "altLabel", {"@language": "en"}),
    "definition": (SKOS + "definition", {"@language": "en"}),
    "note": (SKOS + "note", {"@language": "en"}),
    "notation": (SKOS + "notation", {}),
    "broader": (SKOS + "broader", {"@type": "@id"}),
    "narrower": (SKOS + "narrower", {"@type": "@id"}),
    "inScheme": (SKOS + "inScheme", {"@type": "@id"}),
    "topConceptOf": (SKOS + "topConceptOf", {"@type": "@id"}),
    "hasTopConcept": (SKOS + "hasTopConcept", {"@type": "@id"}),
    "exactMatch": (SKOS + "exactMatch", {"@type": "@id"}),
    "url": (PREFIXES["schema"] + "url", {"@type": "@id"}),
    "subject": (RDF + "subject", {"@type": "@id"}),
    "predicate": (RDF + "predicate", {"@type": "@id"}),
    "object": (RDF + "object", {}),
    "deprecated": (OWL + "deprecated", {"@type": XSD + "boolean"}),
}
_PROPERTY_CLASSES = {OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty", RDF + "Property", ATLAS_NS + "ClaimProperty"}
_LITERAL_RANGES = {RDFS + "Literal", RDF_LANG_STRING, XSD_STRING}


def jsonld_context(ontology: Iterable[ox.Triple | ox.Quad]) -> dict:
    """The atlas JSON-LD context: the shared prefixes, and a term for each property of the ontology.

    A property's term is its local name (``ledBy``), typed ``@id`` when its values are IRIs and with the
    datatype of its range (``languageCount``: ``xsd:integer``); where the local name is taken (the prefixes
    ``source:`` and ``confidence:`` are also properties ``atlas:source`` and ``atlas:confidence``) the term
    is the compact IRI itself (``"atlas:source"``), so no definition shadows another.
    """
    types: dict[str, set[str]] = defaultdict(set)
    ranges: dict[str, set[str]] = defaultdict(set)
    for t in ontology:
        if not isinstance(t.subject, ox.NamedNode) or not isinstance(t.object, ox.NamedNode):
            continue
        if t.predicate == RDF_TYPE:
            types[t.subject.value].add(t.object.value)
        elif t.predicate.value == RDFS + "range":
            ranges[t.subject.value].add(t.object.value)
    context: dict[str, object] = {prefix: namespace for prefix, namespace in sorted(PREFIXES.items())}
    definitions: list[tuple[str, str, dict]] = []
    for iri in sorted(p for p, classes in types.items() if classes & _PROPERTY_CLASSES):
        classes, rng = types[iri], ranges.get(iri, set())
        if iri in {value[0] for value in STANDARD_TERMS.values()}:
            continue
        if OWL + "ObjectProperty" in classes or (rng and not any(r.startswith(XSD) or r in _LITERAL_RANGES for r in rng)):
            coercion = {"@type": "@id"}
        elif len(rng) == 1 and next(iter(rng)).startswith(XSD) and next(iter(rng)) != XSD_STRING:
            coercion = {"@type": curie(next(iter(rng))) or next(iter(rng))}
        else:
            coercion = {}
        definitions.append((_local_name(iri), iri, coercion))
    definitions += [(name, iri, {k: (curie(v) or v) if k == "@type" and v != "@id" else v for k, v in coercion.items()})
                    for name, (iri, coercion) in STANDARD_TERMS.items()]
    for name, iri, coercion in definitions:
        compact = curie(iri) or iri
        key = name if name and name not in context and ":" not in name else compact
        if key in context:
            continue
        context[key] = {"@id": compact, **coercion}
    return {"@context": dict(sorted(context.items()))}


def ontology_context(root: Path) -> dict:
    """The context generated from a checkout's ``ontology/atlas.ttl`` (what ``context.jsonld`` must hold)."""
    return jsonld_context(ox.parse(path=root / "ontology" / "atlas.ttl", format=ox.RdfFormat.TURTLE))


def context_text(context: dict) -> str:
    """The context file's text: one definition a line, sorted, so that a change reads as a one-line diff."""
    entries = [f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)}" for key, value in context["@context"].items()]
    return '{\n "@context": {\n' + ",\n".join(entries) + "\n }\n}\n"


def packaged_context() -> dict:
    return json.loads(PACKAGED_CONTEXT.read_text(encoding="utf-8"))


class _Compactor:
    """Compacts triples with a context: every choice made so that expansion gives back exactly the triple."""

    def __init__(self, context: dict):
        definitions = context["@context"]
        self.prefixes = sorted(((v, k) for k, v in definitions.items() if isinstance(v, str)), key=lambda item: (-len(item[0]), item[1]))
        self.keys = set(definitions)
        self._cache: dict[tuple[str, bool], str] = {}
        self.terms: dict[str, tuple[str, dict]] = {}
        for key, value in definitions.items():
            if isinstance(value, dict):
                self.terms[self.expand(value["@id"])] = (key, value)

    def expand(self, text: str) -> str:
        prefix, _, local = text.partition(":")
        for namespace, name in self.prefixes:
            if name == prefix:
                return namespace + local
        return text

    def iri(self, iri: str, *, vocab: bool = False) -> str:
        cached = self._cache.get((iri, vocab))
        if cached is None:
            cached = self._cache[(iri, vocab)] = self._compact(iri, vocab)
        return cached

    def _compact(self, iri: str, vocab: bool) -> str:
        for namespace, prefix in self.prefixes:
            if iri.startswith(namespace):
                local = iri[len(namespace):]
                compact = f"{prefix}:{local}"
                if local and not local.startswith("//") and not (vocab and compact in self.keys and self.terms.get(iri, ("",))[0] != compact):
                    return compact
        return iri

    def node(self, term) -> str:
        return "_:" + term.value if isinstance(term, ox.BlankNode) else self.iri(term.value)

    def value(self, term, definition: dict):
        coercion, language = definition.get("@type"), definition.get("@language")
        if isinstance(term, (ox.NamedNode, ox.BlankNode)):
            return self.node(term) if coercion == "@id" else {"@id": self.node(term)}
        datatype = term.datatype.value
        if term.language:
            if language == term.language and coercion is None:
                return term.value
            return {"@value": term.value, "@language": term.language}
        if datatype == XSD_STRING:
            return term.value if coercion is None and language is None else {"@value": term.value}
        if coercion is not None and coercion != "@id" and self.expand(coercion) == datatype:
            return term.value
        return {"@value": term.value, "@type": self.iri(datatype, vocab=True)}

    def document(self, triples: Sequence[ox.Triple], context_ref) -> dict:
        nodes: dict[str, dict] = {}
        order: list[str] = []
        for t in triples:
            subject = self.node(t.subject)
            if subject not in nodes:
                nodes[subject] = {"@id": subject}
                order.append(subject)
            node = nodes[subject]
            if t.predicate == RDF_TYPE and not isinstance(t.object, ox.Literal):
                node.setdefault("@type", []).append(self.iri(t.object.value, vocab=True) if isinstance(t.object, ox.NamedNode) else self.node(t.object))
                continue
            key, definition = self.terms.get(t.predicate.value, (None, {}))
            if key is None:
                key = self.iri(t.predicate.value, vocab=True)
            node.setdefault(key, []).append(self.value(t.object, definition))
        graph = []
        for subject in order:
            node = nodes[subject]
            out = {}
            for key in sorted(node):
                values = node[key]
                if isinstance(values, list):
                    values = sorted(values, key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
                    out[key] = values[0] if len(values) == 1 else values
                else:
                    out[key] = values
            graph.append(out)
        return {"@context": context_ref, "@graph": graph}


def jsonld_document(triples: Sequence[ox.Triple], context: dict | None = None, context_ref=CONTEXT_IRI) -> dict:
    """The triples as compacted JSON-LD: ``{"@context": context_ref, "@graph": [...]}``, nodes sorted."""
    return _Compactor(context or packaged_context()).document(triples, context_ref)


# -- CSV -----------------------------------------------------------------------------------------------------

def csv_names() -> list[str]:
    """The files of a CSV export, in a fixed order."""
    return [f"{TABLE_NAMES[kind]}.csv" for kind in KINDS] + ["claims.csv", "prefixes.csv"]


def _column(iri: str) -> str:
    if iri.startswith(ATLAS_NS) and "/" not in iri[len(ATLAS_NS):]:
        return iri[len(ATLAS_NS):]
    return curie(iri) or iri


def _csv(header: list[str], rows: list[list[str]]) -> bytes:
    return csv_text(header, rows, line_end="\r\n").encode("utf-8")  # RFC 4180


def _join(values: Iterable) -> str:
    return CSV_SEPARATOR.join(sorted({short(v) for v in values}))


def csv_tables(snapshot: Snapshot) -> dict[str, bytes]:
    """One table per entity class, ``claims.csv`` and ``prefixes.csv`` (file name -> bytes).

    An entity table has the columns ``iri``, ``label``, ``description`` and then one per property its
    entities use (named by the local name for atlas properties, else ``prefix:local``), several values of
    a cell joined by ``'; '``; IRIs are written with the shared prefixes of ``prefixes.csv``. The source
    and confidence of each fact are in ``claims.csv``, one row per statement claim.
    """
    subjects = snapshot.by_subject()
    members: dict[str, list[str]] = defaultdict(list)
    for t in snapshot.triples:
        if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode) and t.object.value in KIND_OF_CLASS:
            members[KIND_OF_CLASS[t.object.value]].append(_key(t.subject))
    label, description = RDFS + "label", DCTERMS + "description"
    tables: dict[str, bytes] = {}
    for kind in KINDS:
        entities = sorted(set(members.get(kind, [])), key=lambda s: short(subjects[s][0].subject))
        values: list[dict[str, list]] = []
        columns: set[str] = set()
        for subject in entities:
            cells: dict[str, list] = defaultdict(list)
            for t in subjects[subject]:
                if t.predicate == RDF_TYPE and t.object.value == KINDS[kind]:
                    continue
                name = {label: "label", description: "description"}.get(t.predicate.value) or _column(t.predicate.value)
                cells[name].append(t.object)
            cells["iri"] = [subjects[subject][0].subject]
            columns.update(cells)
            values.append(cells)
        header = ["iri", "label", "description"] + sorted(columns - {"iri", "label", "description"})
        rows = [[_join(cells.get(column, [])) for column in header] for cells in values]
        tables[f"{TABLE_NAMES[kind]}.csv"] = _csv(header, rows)

    claim_columns = ["claim", "subject", "predicate", "object", "confidence", "source", "locator", "evidence", "comment"]
    claim_props = {RDF + "subject": "subject", RDF + "predicate": "predicate", RDF + "object": "object",
                   ATLAS_NS + "confidence": "confidence", ATLAS_NS + "source": "source", ATLAS_NS + "locator": "locator",
                   ATLAS_NS + "evidence": "evidence", RDFS + "comment": "comment"}
    claims = []
    for subject, triples in subjects.items():
        if not any(t.predicate == RDF_TYPE and t.object.value == ATLAS_NS + "StatementClaim" for t in triples):
            continue
        cells: dict[str, list] = defaultdict(list)
        for t in triples:
            if t.predicate.value in claim_props:
                cells[claim_props[t.predicate.value]].append(t.object)
        claims.append([short(triples[0].subject)] + [_join(cells.get(c, [])) for c in claim_columns[1:]])
    tables["claims.csv"] = _csv(claim_columns, sorted(claims))
    tables["prefixes.csv"] = _csv(["prefix", "namespace"], [[p, ns] for p, ns in sorted(PREFIXES.items())])
    return tables


# -- GraphML -------------------------------------------------------------------------------------------------

def entity_graph(snapshot: Snapshot) -> nx.MultiDiGraph:
    """Entities (of every kind) and vocabulary concepts as nodes; every link between two of them as an edge.

    Node attributes: ``iri``, ``label``, ``kind`` (the entity kind, or ``concept``), ``type`` (the classes).
    Edge key and ``predicate``: the property; ``confidence`` and ``source``: those of the statement claim
    backing the link ('' for links that need none, such as a collaboration's participants).
    """
    subjects = snapshot.by_subject()
    kinds: dict[str, str] = {}
    classes: dict[str, list[str]] = defaultdict(list)
    for t in snapshot.triples:
        if t.predicate == RDF_TYPE and isinstance(t.subject, ox.NamedNode) and isinstance(t.object, ox.NamedNode):
            classes[t.subject.value].append(t.object.value)
            if t.object.value in KIND_OF_CLASS:
                kinds[t.subject.value] = KIND_OF_CLASS[t.object.value]
            elif t.object.value == SKOS + "Concept":
                kinds.setdefault(t.subject.value, "concept")
    backing: dict[tuple[str, str, str], tuple[list, list]] = {}
    for triples in subjects.values():
        fields: dict[str, list] = defaultdict(list)
        for t in triples:
            fields[t.predicate.value].append(t.object)
        if not any(isinstance(o, ox.NamedNode) and o.value == ATLAS_NS + "StatementClaim" for o in fields.get(RDF + "type", [])):
            continue
        for s in fields.get(RDF + "subject", []):
            for p in fields.get(RDF + "predicate", []):
                for o in fields.get(RDF + "object", []):
                    conf, src = backing.setdefault((_key(s), _key(p), _key(o)), ([], []))
                    conf += fields.get(ATLAS_NS + "confidence", [])
                    src += fields.get(ATLAS_NS + "source", [])
    graph = nx.MultiDiGraph()
    for iri in sorted(kinds):
        node_triples = subjects.get(_key(ox.NamedNode(iri)), [])
        labels = [t.object for t in node_triples if t.predicate.value in (RDFS + "label", SKOS + "prefLabel") and isinstance(t.object, ox.Literal)]
        english = [label for label in labels if label.language == "en"] or labels
        graph.add_node(short(ox.NamedNode(iri)), iri=iri, label=_join(english[:1]) if english else "", kind=kinds[iri],
                       type=_join(ox.NamedNode(c) for c in classes[iri]))
    for t in snapshot.triples:
        if t.predicate == RDF_TYPE or not isinstance(t.object, ox.NamedNode) or not isinstance(t.subject, ox.NamedNode):
            continue
        if t.subject.value in kinds and t.object.value in kinds:
            conf, src = backing.get((_key(t.subject), _key(t.predicate), _key(t.object)), ([], []))
            name = short(t.predicate)
            graph.add_edge(short(t.subject), short(t.object), key=name, predicate=name, confidence=_join(conf), source=_join(src))
    return graph


def graphml_bytes(graph: nx.MultiDiGraph) -> bytes:
    # generate_graphml uses the standard library writer (never lxml), so the bytes do not depend on what
    # else is installed.
    return ("\n".join(nx.generate_graphml(graph, encoding="utf-8", prettyprint=True)) + "\n").encode("utf-8")


# -- VoID / DCAT ---------------------------------------------------------------------------------------------

@dataclass
class DatasetStatistics:
    triples: int
    entities: int  # distinct subject IRIs in the atlas's URI space
    distinct_subjects: int
    distinct_objects: int
    classes: dict[str, int]  # class IRI -> distinct instances
    properties: dict[str, int]  # property IRI -> triples
    vocabularies: list[str]
    version: str
    creator: str | None

    @classmethod
    def of(cls, snapshot: Snapshot) -> "DatasetStatistics":
        triples = snapshot.triples
        instances: dict[str, set[str]] = defaultdict(set)
        properties: dict[str, int] = defaultdict(int)
        for t in triples:
            properties[t.predicate.value] += 1
            if t.predicate == RDF_TYPE and isinstance(t.object, ox.NamedNode):
                instances[t.object.value].add(_key(t.subject))
        used = set(properties) | set(instances)
        vocabularies = sorted(ns for ns in _vocabulary_namespaces() if any(i.startswith(ns) for i in used))
        ontology = ox.NamedNode(ONTOLOGY)
        version = next((t.object.value for t in triples if t.subject == ontology and t.predicate.value == OWL + "versionInfo"), __version__)
        creator = next((t.object.value for t in triples if t.subject == ontology and t.predicate.value == DCTERMS + "creator"), None)
        return cls(
            triples=len(triples),
            entities=len({t.subject.value for t in triples if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(BASE)}),
            distinct_subjects=len({_key(t.subject) for t in triples}),
            distinct_objects=len({_key(t.object) for t in triples}),
            classes={c: len(s) for c, s in sorted(instances.items())},
            properties=dict(sorted(properties.items())),
            vocabularies=vocabularies,
            version=version,
            creator=creator,
        )


def _vocabulary_namespaces() -> set[str]:
    return {ONTOLOGY} | set(STANDARD.values())


def _lit(value: str, language: str | None = None) -> str:
    return str(ox.Literal(value, language=language)) if language else str(ox.Literal(value))


def check_base_url(base_url: str) -> str:
    """The folder URL the files of an export will be published at: absolute, ending with ``/``."""
    try:
        iri = ox.NamedNode(base_url).value
    except ValueError:
        iri = ""
    if not iri or not re_scheme.match(iri) or not iri.endswith("/"):
        raise UsageError(f"--base-url: {base_url!r} is not the absolute URL of a folder (http, https or file, ending with /), "
                         f"e.g. {DUMP_BASE}")
    return iri


def void_turtle(stats: DatasetStatistics, dumps: Sequence[str] = (), base_url: str = DUMP_BASE) -> str:
    """The VoID / DCAT description of the dataset; ``dumps`` are the formats written beside it.

    The files are named by absolute IRIs under ``base_url`` (``<https://w3id.org/llm-atlas/dump/atlas.nq>``),
    so the description means the same wherever it is read or loaded.
    """
    base_url = check_base_url(base_url)
    void = "http://rdfs.org/ns/void#"
    lines = [
        f"@prefix dcat: <{PREFIXES['dcat']}> .",
        f"@prefix dcterms: <{PREFIXES['dcterms']}> .",
        f"@prefix owl: <{PREFIXES['owl']}> .",
        f"@prefix void: <{void}> .",
        f"@prefix xsd: <{PREFIXES['xsd']}> .",
        "",
        f"<{DATASET_IRI}> a void:Dataset, dcat:Dataset ;",
        f"    dcterms:title {_lit(TITLE, 'en')} ;",
        f"    dcterms:description {_lit(DESCRIPTION, 'en')} ;",
        f"    dcterms:license <{LICENSE}> ;",
        f"    dcterms:source <{STUDY}> ;",
    ]
    if stats.creator:
        lines.append(f"    dcterms:creator {_lit(stats.creator)} ;")
    lines += [
        f"    owl:versionInfo {_lit(stats.version)} ;",
        f"    dcat:version {_lit(stats.version)} ;",
        f"    void:uriSpace {_lit(BASE)} ;",
        f"    void:triples {str(stats.triples)} ;",
        f"    void:entities {str(stats.entities)} ;",
        f"    void:distinctSubjects {str(stats.distinct_subjects)} ;",
        f"    void:distinctObjects {str(stats.distinct_objects)} ;",
        f"    void:classes {str(len(stats.classes))} ;",
        f"    void:properties {str(len(stats.properties))} ;",
    ]
    if stats.vocabularies:
        lines.append("    void:vocabulary " + ", ".join(f"<{v}>" for v in stats.vocabularies) + " ;")
    rdf_dumps = [DUMP_NAMES[f] for f in RDF_DUMPS if f in dumps]
    if rdf_dumps:
        lines.append("    void:dataDump " + ", ".join(f"<{base_url}{name}>" for name in rdf_dumps) + " ;")
    for fmt in (f for f in FORMATS if f in dumps):
        if fmt == "csv":
            urls = ", ".join(f"<{base_url}{name}>" for name in csv_names())
            access = f"<{base_url}>"  # the folder the tables are in
        else:
            urls = access = f"<{base_url}{DUMP_NAMES[fmt]}>"
        lines.append(f"    dcat:distribution [ a dcat:Distribution ; dcterms:title {_lit(DISTRIBUTION_TITLES[fmt], 'en')} ; "
                     f"dcat:accessURL {access} ; dcat:downloadURL {urls} ; "
                     f"dcat:mediaType <https://www.iana.org/assignments/media-types/{MEDIA_TYPES[fmt]}> ] ;")
    for cls_iri, count in stats.classes.items():
        lines.append(f"    void:classPartition [ void:class <{cls_iri}> ; void:entities {str(count)} ] ;")
    for prop, count in stats.properties.items():
        lines.append(f"    void:propertyPartition [ void:property <{prop}> ; void:triples {str(count)} ] ;")
    lines[-1] = lines[-1][:-2] + " ."
    return "\n".join(lines) + "\n"


# -- writing -------------------------------------------------------------------------------------------------

@dataclass
class ExportResult:
    out_dir: Path
    formats: list[str]
    files: list[Path] = field(default_factory=list)
    triples: int = 0
    quads: int = 0

    def summary(self) -> str:
        names = ", ".join(p.name for p in self.files)
        return f"exported {self.triples} triples ({self.quads} quads) to {self.out_dir}: {names}"


def normalise_formats(formats: Iterable[str] | str) -> list[str]:
    """The formats asked for, in canonical order; ``all`` means every one; commas separate several."""
    if isinstance(formats, str):
        formats = [formats]
    wanted: set[str] = set()
    for item in formats:
        for name in str(item).split(","):
            name = name.strip().lower()
            if not name or name == "void":
                continue
            if name == "all":
                wanted.update(FORMATS)
            elif name in FORMATS:
                wanted.add(name)
            else:
                raise UsageError(f"unknown export format {name!r}; formats: {', '.join(FORMATS)}, all (void.ttl is always written)")
    return [f for f in FORMATS if f in wanted]


def render(store: ox.Store, formats: Iterable[str] | str, *, base_url: str = DUMP_BASE) -> tuple[dict[str, bytes], Snapshot]:
    """The files of an export (name -> bytes) without writing anything."""
    chosen = normalise_formats(formats)
    base_url = check_base_url(base_url)
    snapshot = Snapshot.of(store)
    prefixes = dict(sorted(PREFIXES.items()))
    files: dict[str, bytes] = {}
    for fmt in progress(chosen, desc="export", unit="format"):
        if fmt == "ttl":
            files[DUMP_NAMES["ttl"]] = ox.serialize(snapshot.triples, format=ox.RdfFormat.TURTLE, prefixes=prefixes)
        elif fmt == "nt":
            files[DUMP_NAMES["nt"]] = ox.serialize(snapshot.triples, format=ox.RdfFormat.N_TRIPLES)  # sorted in triple_order
        elif fmt == "nq":
            files[DUMP_NAMES["nq"]] = ox.serialize(snapshot.quads, format=ox.RdfFormat.N_QUADS)
        elif fmt == "jsonld":
            context = packaged_context()
            document = jsonld_document(snapshot.triples, context, context["@context"])  # embedded: the file stands alone
            files[DUMP_NAMES["jsonld"]] = (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
            files[CONTEXT_NAME] = PACKAGED_CONTEXT.read_bytes()
        elif fmt == "csv":
            files.update(csv_tables(snapshot))
        elif fmt == "graphml":
            files[DUMP_NAMES["graphml"]] = graphml_bytes(entity_graph(snapshot))
    files[VOID_NAME] = void_turtle(DatasetStatistics.of(snapshot), chosen, base_url).encode("utf-8")
    return files, snapshot


def export(store: ox.Store, out_dir: str | os.PathLike, formats: Iterable[str] | str = FORMATS, *,
           base_url: str = DUMP_BASE) -> ExportResult:
    """Export the atlas into the folder ``out_dir`` in the given formats, with ``void.ttl``; all or nothing.

    ``formats``: any of ``ttl nt nq jsonld csv graphml`` (a list, or a string with commas; ``all`` for
    every one). An empty list writes only ``void.ttl``. ``base_url``: where the folder will be published
    (the IRIs of the files in ``void.ttl``). Raises :class:`UsageError` for an unknown format, a bad base
    URL or a folder that cannot be written.
    """
    out = check_out_dir(out_dir, "the export")
    chosen = normalise_formats(formats)
    files, snapshot = render(store, chosen, base_url=base_url)
    written = write_files(out, files)
    return ExportResult(out, chosen, written, len(snapshot.triples), len(snapshot.quads))


def write_void(store: ox.Store, out_dir: str | os.PathLike, *, base_url: str = DUMP_BASE) -> Path:
    """Only ``void.ttl`` (no dumps listed), for ``llm-atlas export void OUT``."""
    return export(store, out_dir, [], base_url=base_url).files[-1]


__all__ = [
    "FORMATS", "CONTEXT_IRI", "DUMP_BASE", "ExportResult", "DatasetStatistics", "export", "write_void", "render",
    "jsonld_context", "jsonld_document", "csv_tables", "entity_graph", "void_turtle", "canonical_blank_nodes",
]
