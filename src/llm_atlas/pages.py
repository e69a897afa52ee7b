"""The HTML pages of ``llm-atlas serve``: home, kind lists, entity and concept pages, the ontology, the query
editor and a page per saved query.

Pages are Jinja2 templates (``web/templates``, autoescaped: every value is escaped where it is printed) over
data the server reads from the query engine with fixed query templates; nothing a request sends becomes
query text here (IRIs from a path are checked by pyoxigraph and written as ``<...>``). A link is only ever a
path on this server or an http(s) address: an IRI with another scheme (``urn:``, ``javascript:``) is shown
as text. An entity page shows the entity's facts, each with the claim that backs it (source, locator,
evidence, confidence and, for an inference, the reason), the entity's other nodes, what names it, and its
external identifiers.
"""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import jinja2
import pyoxigraph as ox

from . import openness as openness_rules
from .layout import FILE_GRAPH_BASE, relpath_of_graph
from .search import IDENTIFIER_PROPERTIES, SearchIndex
from .namespaces import BASE, DCTERMS, KINDS, ONTOLOGY, OWL, RDF, RDFS, SKOS, XSD
from .namespaces import curie as _curie
from .version import __version__

SCHEMA = "https://schema.org/"
RDF_TYPE = RDF + "type"
LABELS = (RDFS + "label", SKOS + "prefLabel")
DESCRIPTIONS = (DCTERMS + "description", SKOS + "definition")
STATEMENT_CLAIM = ONTOLOGY + "StatementClaim"
A_SOURCE, A_EVIDENCE, A_CONFIDENCE, A_LOCATOR = (ONTOLOGY + n for n in ("source", "evidence", "confidence", "locator"))
COMMENT = RDFS + "comment"
ONTOLOGY_FILE = "ontology/atlas.ttl"
ONTOLOGY_GRAPH = FILE_GRAPH_BASE + ONTOLOGY_FILE
TEMPLATES = Path(__file__).resolve().parent / "web" / "templates"

# Shown in the page header or the provenance box, not in the table of facts.
HEADER_PROPERTIES = {RDF_TYPE, *LABELS, *DESCRIPTIONS}
PROVENANCE_PROPERTIES = {A_SOURCE, A_EVIDENCE, A_CONFIDENCE, A_LOCATOR, COMMENT}
REIFICATION = (RDF + "subject", RDF + "predicate", RDF + "object")

# External identifiers: property -> how a value becomes a link (IRIs are links as they are).
IDENTIFIERS: dict[str, str | None] = {
    OWL + "sameAs": None, SKOS + "exactMatch": None, SCHEMA + "url": None, ONTOLOGY + "sourceRepository": None,
    ONTOLOGY + "rorId": None, ONTOLOGY + "license": None, ONTOLOGY + "huggingFaceId": "https://huggingface.co/{}",
    ONTOLOGY + "arxivId": "https://arxiv.org/abs/{}", RDFS + "seeAlso": None,
}
HUGGING_FACE_DATASETS = "https://huggingface.co/datasets/{}"
# Disagreements (queries/disagreements.rq reads them the same way): a differing statement an import kept, against
# the value the atlas asserts (a release's base models count as one fact whatever the derivation), and claims
# linked by atlas:contradictedBy; a resolution (graph/resolution/) names one with atlas:resolves.
DIFFERING_STATEMENT, CONTRADICTED_BY = ONTOLOGY + "DifferingStatement", ONTOLOGY + "contradictedBy"
RESOLVES, FAVOURS, REASON = ONTOLOGY + "resolves", ONTOLOGY + "favours", ONTOLOGY + "reason"
PROV = "http://www.w3.org/ns/prov#"
DERIVATIONS = {ONTOLOGY + n for n in ("baseModel", "fineTunedFrom", "quantizedFrom", "adapterOf", "continuedPretrainingOf",
                                       "distilledFrom", "mergedFrom")}
DISAGREEMENT_CLASSES = {ONTOLOGY + "ModelRelease", ONTOLOGY + "Dataset"}  # pages that always show the section
DATASET_CLASSES = {ONTOLOGY + "Dataset", ONTOLOGY + "Benchmark"}

STANDARD_LABELS = {
    RDF_TYPE: "type", RDFS + "label": "label", RDFS + "comment": "comment", RDFS + "seeAlso": "see also",
    SKOS + "prefLabel": "preferred label", SKOS + "altLabel": "also known as", SKOS + "definition": "definition",
    SKOS + "broader": "broader", SKOS + "narrower": "narrower", SKOS + "inScheme": "in scheme",
    SKOS + "topConceptOf": "top concept of", SKOS + "hasTopConcept": "top concept", SKOS + "notation": "notation",
    SKOS + "exactMatch": "same as (exact match)", SKOS + "related": "related", OWL + "sameAs": "same as",
    DCTERMS + "description": "description", DCTERMS + "issued": "issued", DCTERMS + "license": "licence",
    DCTERMS + "bibliographicCitation": "citation", SCHEMA + "url": "web site",
}
KIND_TITLES = {
    "organization": "Organisations", "project": "Projects", "model": "Models", "dataset": "Datasets",
    "benchmark": "Benchmarks", "leaderboard": "Leaderboards", "framework": "Software frameworks",
    "compute": "Compute resources", "partnership": "Compute partnerships", "knowledge": "Knowledge sharing",
    "platform": "Platforms", "collaboration": "Collaborations", "onramp": "On-ramps", "challenge": "Challenges",
    "recommendation": "Recommendations", "source": "Sources", "resolution": "Resolutions",
}

INCOMING_LIMIT = 100  # links listed per property among "referenced by"; the rest are counted
HOME_LIMIT = 60  # entities listed per kind on the home page
PAGE_SIZE = 500  # entities per page of a kind list
RESULT_ROWS_SHOWN = 2000  # rows of a saved query's answer shown on its page
SEARCH_HITS = 50  # hits shown for a search
SEARCH_TEXT_LIMIT = 200  # characters of a search text that count


# -- what the templates print ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """A link, or text where there must be none: ``href`` is a local path or an http(s) address only."""

    text: str
    href: str | None = None
    title: str | None = None
    external: bool = False
    css: str | None = None


@dataclass(frozen=True)
class TermView:
    text: str
    link: Link | None = None
    language: str | None = None
    datatype: str | None = None
    datatype_iri: str | None = None


@dataclass
class Provenance:
    sources: list[TermView] = field(default_factory=list)
    locators: list[str] = field(default_factory=list)
    evidence: list[Link] = field(default_factory=list)
    confidence: list[Link] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


@dataclass
class Side:
    """One side of a disagreement: the value, and who says it on what evidence (one provenance per claim or record)."""

    value: TermView
    says: list[Provenance]
    favoured: bool = False


@dataclass
class Disagreement:
    kind: str  # "differing statement" or "contradicted claims"
    property: Link
    sides: list[Side]
    anchor: str
    resolution: dict | None = None


def local_path(iri: str) -> str | None:
    """The path on this server of an atlas IRI (``https://w3id.org/llm-atlas/project/x`` -> ``/project/x``)."""
    return "/" + iri[len(BASE):] if iri.startswith(BASE) else None


def web_address(iri: str) -> str | None:
    """``iri`` when a browser may follow it (http or https), else None."""
    return iri if urlsplit(iri).scheme.lower() in ("http", "https") else None


def curie(iri: str) -> str:
    """The shared-prefix name of an IRI (``organization:alpha-lab``), or the IRI itself."""
    return _curie(iri) or iri


def ontology_anchor(iri: str) -> str:
    """The id of a term's section on the ontology page (its local name)."""
    return iri[len(ONTOLOGY):] if iri.startswith(ONTOLOGY) else ""


def sparql_iri(iri: str) -> str:
    """An IRI as SPARQL text, checked by pyoxigraph (so nothing but an IRI can be written this way)."""
    return str(ox.NamedNode(iri))


def _values(iris: Iterable[str]) -> str:
    return " ".join(sparql_iri(i) for i in iris)


def _chunks(items: list, size: int) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


# The licence-obligations saved query narrowed to one release: a VALUES block first in its inner select, where
# the derivative and its bases are found (obligations.py reads the same query for the report and `licences`).
LICENCE_QUERY = "licence-obligations"
_LICENCE_INNER = "SELECT DISTINCT ?derivativeIri ?derivationIri ?baseIri ?baseLicenceValue ?baseLicenceIri WHERE {"
LICENCE_CLASSES = {ONTOLOGY + "ModelRelease", ONTOLOGY + "Dataset"}
# A release's openness: the openness-components saved query bound to the release, with the verdicts of
# openness.py (the core module `llm-atlas openness` and the report use).
OPENNESS_CLASSES = {ONTOLOGY + "ModelRelease"}


def licence_query_for(text: str, variable: str, iri: str) -> str | None:
    """The licence-obligations query about one derivative (``variable`` derivativeIri) or one base (baseIri);
    None if the saved query no longer has the shape this relies on (then the page shows no such section)."""
    if text.count(_LICENCE_INNER) != 1:
        return None
    return text.replace(_LICENCE_INNER, f"{_LICENCE_INNER}\n      VALUES ?{variable} {{ {sparql_iri(iri)} }}")


# -- reading the atlas ---------------------------------------------------------------------------------------

Select = Callable[[str], Awaitable[list[dict]]]
Construct = Callable[[str], Awaitable[list[ox.Triple]]]


class PageData:
    """The atlas as the pages read it: fixed queries to the engine, labels remembered until the data changes."""

    def __init__(self, select: Select, construct: Construct):
        self.select = select
        self.construct = construct
        self._labels: dict[str, str | None] = {}
        self._counts: dict | None = None
        self._ontology: list[ox.Triple] | None = None
        self._search: SearchIndex | None = None
        self._openness: openness_rules.Rules | None = None

    def forget(self) -> None:
        """The data changed (``serve --reload``): drop what was remembered."""
        self._labels.clear()
        self._counts = None
        self._ontology = None
        self._search = None
        self._openness = None

    async def openness_rules(self) -> openness_rules.Rules:
        """The openness frameworks' rules (:mod:`llm_atlas.openness`), read once from the ontology."""
        if self._openness is None:
            self._openness = openness_rules.read_rules(openness_rules.store_of(await self.construct(openness_rules.RULES_QUERY)))
        return self._openness

    async def search_index(self) -> SearchIndex:
        """The search index of :mod:`llm_atlas.search`, built from the names and types the engine holds (read
        into a small store of their own: the index is made the way ``llm-atlas search`` makes it)."""
        if self._search is None:
            names = (RDF_TYPE, RDFS + "label", SKOS + "prefLabel", SKOS + "altLabel", *IDENTIFIER_PROPERTIES)
            triples = await self.construct(
                f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ VALUES ?p {{ {_values(names)} }} ?s ?p ?o "
                f"FILTER(isIRI(?s) && !CONTAINS(STR(?s), \"#\")) }}")
            store = ox.Store()
            store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
            self._search = SearchIndex.from_store(store)
        return self._search

    async def labels(self, iris: Iterable[str]) -> dict[str, str]:
        """The best label of each IRI that has one: English or untagged first, rdfs:label before skos:prefLabel."""
        wanted = set(iris)
        missing = sorted(i for i in wanted if i not in self._labels)
        for chunk in _chunks(missing, 400):
            found: dict[str, tuple[int, str]] = {}
            rows = await self.select(f"SELECT ?s ?p ?l WHERE {{ VALUES ?s {{ {_values(chunk)} }} "
                                     f"VALUES ?p {{ {_values(LABELS)} }} ?s ?p ?l FILTER(isLITERAL(?l)) }}")
            for row in rows:
                label = row["l"]
                rank = (0 if label.language in (None, "", "en") else 2) + LABELS.index(row["p"].value)
                key = (rank, label.value)
                if row["s"].value not in found or key < found[row["s"].value]:
                    found[row["s"].value] = key
            if len(self._labels) > 200_000:
                self._labels.clear()
            for iri in chunk:
                self._labels[iri] = found[iri][1] if iri in found else None
        return {i: self._labels[i] for i in wanted if self._labels.get(i)}

    async def counts(self) -> dict:
        if self._counts is None:
            rows = await self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
            sizes = {r["g"].value: int(r["n"].value) for r in rows if isinstance(r["g"], ox.NamedNode)}
            kinds = await self.select("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { VALUES ?c { "
                                      + _values(KINDS.values()) + " } ?s a ?c } GROUP BY ?c")
            self._counts = {"graphs": sizes, "quads": sum(sizes.values()),
                            "kinds": {r["c"].value: int(r["n"].value) for r in kinds}}
        return self._counts

    async def ontology(self) -> list[ox.Triple]:
        if self._ontology is None:
            self._ontology = await self.construct(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {sparql_iri(ONTOLOGY_GRAPH)} {{ ?s ?p ?o }} }}")
        return self._ontology

    async def members(self, class_iri: str, limit: int, offset: int = 0) -> list[str]:
        """Instances of a class in label order (the engine sorts, so a kind of any size costs one page)."""
        rows = await self.select(
            f"SELECT ?s (MIN(LCASE(STR(?l))) AS ?k) WHERE {{ ?s a {sparql_iri(class_iri)} FILTER(isIRI(?s)) "
            f"OPTIONAL {{ ?s {sparql_iri(RDFS + 'label')}|{sparql_iri(SKOS + 'prefLabel')} ?l }} }} "
            f"GROUP BY ?s ORDER BY ?k ?s LIMIT {int(limit)} OFFSET {int(offset)}")
        return [r["s"].value for r in rows]

    async def values(self, subjects: list[str], predicates: Iterable[str]) -> dict[str, dict[str, list]]:
        """subject -> predicate -> objects (deduplicated, in a stable order)."""
        out: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
        for chunk in _chunks(sorted(set(subjects)), 400):
            rows = await self.select(f"SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?s {{ {_values(chunk)} }} "
                                     f"VALUES ?p {{ {_values(predicates)} }} ?s ?p ?o }} ORDER BY ?s ?p ?o")
            for row in rows:
                out[row["s"].value][row["p"].value].append(row["o"])
        return out


# -- the pages -----------------------------------------------------------------------------------------------


class Pages:
    """Renders every HTML page; ``data`` reads the atlas from the engine."""

    def __init__(self, data: PageData, saved_queries: list, *, timeout: float, max_rows: int, search: bool = True):
        self.data = data
        self.saved_queries = saved_queries
        self.timeout = timeout
        self.max_rows = max_rows
        self.search = search
        self._searching: asyncio.Semaphore | None = None
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                      undefined=jinja2.StrictUndefined, trim_blocks=False)

    def render(self, template: str, title: str, **values) -> str:
        values.setdefault("crumbs", None)
        values.setdefault("wide", False)
        search_text = values.pop("search_text", "")
        return self.env.get_template(template).render(title=title, version=__version__, search=self.search,
                                                      search_text=search_text, **values)

    def error(self, status: int, title: str, message: str) -> str:
        return self.render("error.html", title, status=status, message=message)

    # -- links ---------------------------------------------------------------------------------------------

    def link(self, iri: str, labels: dict[str, str], text: str | None = None, css: str | None = None) -> Link:
        shown = text if text is not None else self.label(iri, labels)
        path = local_path(iri)
        if path is not None:
            return Link(shown, path, curie(iri), css=css)
        address = web_address(iri)
        if address is not None:
            return Link(shown, address, iri if text is None and shown != iri else None, external=True, css=css)
        return Link(shown if shown != iri else iri, None, iri if shown != iri else None, css=css)  # no link: not http(s)

    @staticmethod
    def label(iri: str, labels: dict[str, str]) -> str:
        if iri in labels:
            return labels[iri]
        if "#" in iri and iri.startswith(BASE):
            owner, fragment = iri.split("#", 1)
            return f"{labels.get(owner, curie(owner))} #{fragment}"
        return curie(iri)

    def property_link(self, iri: str, labels: dict[str, str]) -> Link:
        text = labels.get(iri) or STANDARD_LABELS.get(iri) or curie(iri)
        if iri.startswith(ONTOLOGY):
            return Link(text, "/ontology/#" + ontology_anchor(iri), curie(iri))
        address = web_address(iri)
        return Link(text, address, curie(iri), external=address is not None)

    def term(self, term, labels: dict[str, str], *, external_text: bool = True) -> TermView:
        if isinstance(term, ox.NamedNode):
            if term.value.startswith(BASE):
                return TermView(self.label(term.value, labels), self.link(term.value, labels))
            return TermView(term.value, self.link(term.value, labels, term.value if external_text else curie(term.value)))
        if isinstance(term, ox.Literal):
            if term.language and term.language != "en":
                return TermView(term.value, language=term.language)
            if not term.language and term.datatype.value != XSD + "string":
                return TermView(term.value, datatype=curie(term.datatype.value), datatype_iri=term.datatype.value)
            return TermView(term.value)
        if isinstance(term, ox.BlankNode):
            return TermView("_:" + term.value)
        return TermView(str(term))

    def provenance(self, node_values: dict[str, list], labels: dict[str, str]) -> Provenance:
        out = Provenance()
        out.sources = [self.term(s, labels) for s in node_values.get(A_SOURCE, [])]
        out.locators = [v.value for v in node_values.get(A_LOCATOR, []) if isinstance(v, ox.Literal)]
        for item in node_values.get(A_EVIDENCE, []):
            if isinstance(item, ox.NamedNode):
                address = web_address(item.value)
                host = urlsplit(item.value).hostname or item.value
                out.evidence.append(Link(host, address, item.value, external=address is not None, css="evidence-link"))
        for value in node_values.get(A_CONFIDENCE, []):
            if isinstance(value, ox.NamedNode):
                name = value.value.rsplit("/", 1)[-1]
                out.confidence.append(Link(self.label(value.value, labels), local_path(value.value) or web_address(value.value),
                                           css=f"confidence confidence-{name}"))
        out.reasons = [v.value for v in node_values.get(COMMENT, []) if isinstance(v, ox.Literal)]
        return out

    # -- home and kinds ------------------------------------------------------------------------------------

    async def home(self) -> str:
        counts = await self.data.counts()
        kinds, everyone = [], []
        for kind, class_iri in KINDS.items():
            count = counts["kinds"].get(class_iri, 0)
            if count:
                members = await self.data.members(class_iri, HOME_LIMIT)
                everyone += members
                kinds.append({"name": kind, "title": KIND_TITLES.get(kind, kind), "count": count, "members": members})
        schemes = await self.data.members(SKOS + "ConceptScheme", 500)
        labels = await self.data.labels(everyone + schemes)
        for kind in kinds:
            kind["members"] = [self.link(m, labels) for m in kind["members"]]
        return self.render("home.html", "Entities", kinds=kinds, schemes=[self.link(s, labels) for s in schemes],
                           entities=sum(counts["kinds"].values()), quads=counts["quads"], graphs=len(counts["graphs"]))

    async def kind(self, kind: str, page: int = 1) -> str:
        class_iri = KINDS[kind]
        count = (await self.data.counts())["kinds"].get(class_iri, 0)
        pages = max(1, -(-count // PAGE_SIZE))
        page = min(max(1, page), pages)
        members = await self.data.members(class_iri, PAGE_SIZE, (page - 1) * PAGE_SIZE)
        labels = await self.data.labels(members + [class_iri])
        descriptions = await self.data.values(members, DESCRIPTIONS)
        rows = []
        for member in members:
            found = [v for p in DESCRIPTIONS for v in descriptions[member].get(p, []) if isinstance(v, ox.Literal)]
            english = [v for v in found if v.language in (None, "", "en")]
            rows.append({"link": self.link(member, labels), "description": (english or found)[0].value if found else ""})
        title = KIND_TITLES.get(kind, kind)
        return self.render("kind.html", title, crumbs=[("Atlas", "/"), (title, None)], count=count, rows=rows,
                           class_link=self.link(class_iri, labels, curie(class_iri)), page=page, pages=pages)

    # -- one resource --------------------------------------------------------------------------------------

    async def exists(self, iri: str) -> bool:
        return bool(await self.data.select(f"SELECT ?p WHERE {{ {sparql_iri(iri)} ?p ?o }} LIMIT 1"))

    async def describe(self, iri: str) -> list[ox.Triple]:
        """The triples about an IRI and the nodes it owns (its fragments: claims, assessments)."""
        return await self.data.construct(
            f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ BIND({sparql_iri(iri)} AS ?s) ?s ?p ?o }} UNION "
            f"{{ {self._owned_pattern(iri)} ?s ?p ?o }} }}")

    @staticmethod
    def _owned_pattern(iri: str) -> str:
        # the entity's other nodes are named <entity>#fragment and live in the graphs that describe it
        return (f"GRAPH ?g {{ {sparql_iri(iri)} ?x ?y }} GRAPH ?g {{ ?s ?q ?z }} "
                f"FILTER(isIRI(?s) && STRSTARTS(STR(?s), {ox.Literal(iri + '#')}))")

    async def resource(self, iri: str) -> str | None:
        """The page of an entity, a vocabulary concept or any other node with the atlas's IRI; None if unknown."""
        rows = await self.data.select(f"SELECT DISTINCT ?p ?o ?g WHERE {{ GRAPH ?g {{ {sparql_iri(iri)} ?p ?o }} }} ORDER BY ?g")
        if not rows:
            return None
        statements, seen, file = [], set(), None
        for row in rows:
            key = (row["p"].value, row["o"])
            if key not in seen:
                seen.add(key)
                statements.append(key)
            if file is None and isinstance(row["g"], ox.NamedNode):
                file = relpath_of_graph(row["g"].value)
        own_values: dict[str, list] = defaultdict(list)
        for predicate, obj in statements:
            own_values[predicate].append(obj)
        types = sorted(o.value for o in own_values.get(RDF_TYPE, []) if isinstance(o, ox.NamedNode))

        owned = sorted({r["s"].value for r in await self.data.select(f"SELECT DISTINCT ?s WHERE {{ {self._owned_pattern(iri)} }}")})
        claim_rows = await self.data.select(
            f"SELECT ?c ?p ?o WHERE {{ ?c {sparql_iri(RDF + 'subject')} {sparql_iri(iri)} ; {sparql_iri(RDF + 'predicate')} ?p ; "
            f"{sparql_iri(RDF + 'object')} ?o FILTER(isIRI(?c)) }} ORDER BY ?c")
        claims: dict[tuple, list[str]] = defaultdict(list)
        for row in claim_rows:
            claims[(row["p"].value, row["o"])].append(row["c"].value)
        claim_nodes = sorted({c for nodes in claims.values() for c in nodes})
        node_values = await self.data.values(claim_nodes, sorted(PROVENANCE_PROPERTIES))
        others = [n for n in owned if n not in set(claim_nodes)]
        other_rows = await self.data.select(f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {_values(others)} }} ?s ?p ?o }}") if others else []
        other_types = {r["s"].value for r in other_rows if r["p"].value == RDF_TYPE and r["o"].value == STATEMENT_CLAIM}
        incoming = await self.data.select(
            f"SELECT DISTINCT ?s ?p ?claimed WHERE {{ ?s ?p {sparql_iri(iri)} FILTER(isIRI(?s) && ?p NOT IN "
            f"({', '.join(sparql_iri(p) for p in REIFICATION)})) OPTIONAL {{ ?s a {sparql_iri(STATEMENT_CLAIM)} . "
            f"?s {sparql_iri(RDF + 'predicate')} ?claimed }} }} LIMIT 20000")

        mentioned = {iri, *types, *(p for p, _ in statements), *(r["p"].value for r in incoming), *(r["s"].value for r in incoming)}
        mentioned |= {o.value for _, o in statements if isinstance(o, ox.NamedNode)}
        mentioned |= {r["claimed"].value for r in incoming if r["claimed"] is not None}
        mentioned |= {s.split("#", 1)[0] for s in mentioned if "#" in s}
        for values in [*node_values.values(), own_values]:
            for predicate in (A_SOURCE, A_CONFIDENCE):
                mentioned |= {v.value for v in values.get(predicate, []) if isinstance(v, ox.NamedNode)}
        mentioned |= {r["p"].value for r in other_rows} | {r["o"].value for r in other_rows if isinstance(r["o"], ox.NamedNode)}
        labels = await self.data.labels(mentioned)

        title = self.label(iri, labels)
        path = local_path(iri) or "/"
        kind = iri[len(BASE):].split("/", 1)[0] if iri.startswith(BASE) else ""
        crumbs = [("Atlas", "/")]
        if kind in KINDS:
            crumbs.append((KIND_TITLES.get(kind, kind), f"/{kind}/"))
        else:
            schemes = [o for o in own_values.get(SKOS + "inScheme", []) if isinstance(o, ox.NamedNode)]
            if schemes:
                crumbs.append((self.label(schemes[0].value, labels), local_path(schemes[0].value)))
        crumbs.append((title, None))

        description = next((v.value for p in DESCRIPTIONS for v in own_values.get(p, [])
                            if isinstance(v, ox.Literal) and v.language in (None, "", "en")), None) or next(
            (v.value for p in DESCRIPTIONS for v in own_values.get(p, []) if isinstance(v, ox.Literal)), None)
        own_provenance = None
        if set(own_values) & PROVENANCE_PROPERTIES:
            own_provenance = self.provenance(own_values, labels)

        facts, identifiers = [], []
        has_sources = bool(own_values.get(A_SOURCE))
        for predicate, obj in sorted(statements, key=lambda po: ((labels.get(po[0]) or STANDARD_LABELS.get(po[0]) or curie(po[0])).lower(),
                                                                 getattr(po[1], "value", str(po[1])).lower())):
            if predicate in HEADER_PROPERTIES or predicate in PROVENANCE_PROPERTIES:
                continue
            backing = claims.get((predicate, obj), [])
            row = {"property": self.property_link(predicate, labels), "value": self._fact_value(predicate, obj, types, labels),
                   "claims": [self.provenance(node_values.get(c, {}), labels) for c in backing],
                   "entity_sources": has_sources, "anchor": backing[0].split("#", 1)[1] if backing and "#" in backing[0] else None}
            (identifiers if predicate in IDENTIFIERS else facts).append(row)

        nodes = []
        by_node: dict[str, list] = defaultdict(list)
        for row in other_rows:
            by_node[row["s"].value].append((row["p"].value, row["o"]))
        for node in others:
            if node in other_types:
                continue
            pairs = sorted(set(by_node[node]), key=lambda po: ((labels.get(po[0]) or STANDARD_LABELS.get(po[0]) or curie(po[0])).lower(),
                                                               getattr(po[1], "value", str(po[1])).lower()))
            nodes.append({"fragment": node.split("#", 1)[1],
                          "rows": [(self.property_link(p, labels), self.term(o, labels)) for p, o in pairs]})

        groups: dict[str, set] = defaultdict(set)
        claim_groups: dict[str, dict[str, str | None]] = defaultdict(dict)
        for row in incoming:
            subject, predicate = row["s"].value, row["p"].value
            if subject.split("#", 1)[0] == iri:
                continue  # a node of this entity
            if row["claimed"] is not None:
                claim_groups[predicate][subject] = row["claimed"].value
            else:
                groups[predicate].add(subject)
        incoming_view = []
        for predicate in sorted(groups, key=lambda p: (labels.get(p) or STANDARD_LABELS.get(p) or curie(p)).lower()):
            subjects = sorted(groups[predicate], key=lambda s: (self.label(s, labels).lower(), s))
            incoming_view.append({"property": self.property_link(predicate, labels),
                                  "subjects": [self.link(s, labels) for s in subjects[:INCOMING_LIMIT]],
                                  "more": max(0, len(subjects) - INCOMING_LIMIT)})
        claims_view = []
        for predicate in sorted(claim_groups, key=lambda p: (labels.get(p) or STANDARD_LABELS.get(p) or curie(p)).lower()):
            found = sorted(claim_groups[predicate].items(), key=lambda item: (self.label(item[0].split("#", 1)[0], labels).lower(), item[0]))
            links = []
            for claim, claimed in found[:INCOMING_LIMIT]:
                property_text = labels.get(claimed) or STANDARD_LABELS.get(claimed) or curie(claimed) if claimed else "claim"
                links.append(Link(f"{self.label(claim.split('#', 1)[0], labels)} — {property_text}", local_path(claim) or web_address(claim)))
            claims_view.append({"property_label": labels.get(predicate) or STANDARD_LABELS.get(predicate) or curie(predicate),
                                "claims": links, "count": len(found), "more": max(0, len(found) - INCOMING_LIMIT)})

        licences = await self.licence_obligations(iri) if LICENCE_CLASSES & set(types) else None
        openness = await self.openness(iri, title) if OPENNESS_CLASSES & set(types) else None
        disagreements = await self.disagreements(iri, labels)
        show_disagreements = bool(disagreements) or bool(DISAGREEMENT_CLASSES & set(types))

        alternates = [(media, path + suffix) for media, suffix in
                      (("text/turtle", ".ttl"), ("application/ld+json", ".jsonld"), ("application/n-triples", ".nt"))]
        return self.render("resource.html", title, crumbs=crumbs, iri=iri, path=path, file=file, description=description,
                           types=[self.link(t, labels, labels.get(t) or curie(t)) for t in types], alternates=alternates,
                           own_provenance=own_provenance, nodes=nodes, incoming=incoming_view, incoming_claims=claims_view,
                           disagreements=disagreements, show_disagreements=show_disagreements, licences=licences,
                           openness=openness,
                           fact_sections=[{"id": "facts", "title": "Facts", "rows": facts},
                                          {"id": "identifiers", "title": "External identifiers", "rows": identifiers}])

    async def licence_obligations(self, iri: str) -> dict | None:
        """What a release or dataset owes the licences it derives from, and which derivatives owe its licence
        (the licence-obligations saved query, narrowed to it); None when neither."""
        query = next((q for q in self.saved_queries if q.name == LICENCE_QUERY), None)
        owed_text = licence_query_for(query.text, "derivativeIri", iri) if query is not None else None
        owed_to_text = licence_query_for(query.text, "baseIri", iri) if query is not None else None
        if owed_text is None or owed_to_text is None:
            return None
        owed = await self.data.select(owed_text)
        owed_to = await self.data.select(owed_to_text)
        if not owed and not owed_to:
            return None
        mentioned = {r[k].value for r in owed for k in ("baseIri", "baseLicenceIri", "derivativeLicenceIri") if r.get(k) is not None}
        mentioned |= {r["derivativeIri"].value for r in owed_to}
        labels = await self.data.labels(mentioned)

        def text(row, key: str) -> str:
            return row[key].value if row.get(key) is not None else ""

        rows = [{"verdict": text(r, "verdict"), "derivation": text(r, "derivation"), "base": self.link(r["baseIri"].value, labels),
                 "base_licence": self.link(r["baseLicenceIri"].value, labels, text(r, "baseLicence")),
                 "licence": self.link(r["derivativeLicenceIri"].value, labels, text(r, "derivativeLicence"))
                 if r.get("derivativeLicenceIri") is not None else Link(text(r, "derivativeLicence") or "not stated"),
                 "rule": Link(text(r, "rule"), web_address(text(r, "ruleSource")), text(r, "ruleSource"), external=True),
                 "section": text(r, "ruleSection"), "certainty": text(r, "certainty")} for r in owed]
        verdicts: dict[str, set[str]] = defaultdict(set)
        for r in owed_to:
            verdicts[text(r, "verdict")].add(r["derivativeIri"].value)
        derivatives = sorted({r["derivativeIri"].value for r in owed_to}, key=lambda d: (self.label(d, labels).lower(), d))
        verdict_of = {r["derivativeIri"].value: text(r, "verdict") for r in owed_to}
        return {"owed": rows[:INCOMING_LIMIT], "owed_more": max(0, len(rows) - INCOMING_LIMIT),
                "owed_to": [{"derivative": self.link(d, labels), "verdict": verdict_of[d]} for d in derivatives[:INCOMING_LIMIT]],
                "owed_to_count": len(derivatives), "owed_to_more": max(0, len(derivatives) - INCOMING_LIMIT),
                "owed_to_summary": ", ".join(f"{v} {len(ds)}" for v, ds in sorted(verdicts.items()))}

    async def openness(self, iri: str, title: str) -> dict | None:
        """A release's openness: each index's component facts with their evidence, each framework's verdict from
        each index's facts and why, the OSAI classes published against those derived, and the mismatches. One
        release's rows only (the saved query bound to it); None without the saved query."""
        query = next((q for q in self.saved_queries if q.name == openness_rules.QUERY_NAME), None)
        if query is None:
            return None
        facts = openness_rules.facts_from_rows(await self.data.select(openness_rules.release_query(query.text, iri)))
        if not facts:
            return {"sources": [], "osai": [], "mismatches": [], "both": False}
        rules = await self.data.openness_rules()
        published = openness_rules.read_published(
            openness_rules.store_of(await self.data.construct(openness_rules.published_query(iri))), iri)
        result = openness_rules.assess_release(iri, title, facts, rules, published)
        mentioned = {f.source for f in facts} | {f.licence_iri for f in facts if f.licence_iri} | {f.record for f in facts if f.record}
        labels = {**rules.labels, **await self.data.labels(mentioned)}

        def address(text: str) -> Link | None:
            return Link(text, web_address(text), external=True) if text else None

        sources = []
        for source, components in sorted(result.facts.items()):
            rows = [{"component": self.link(c, labels, rules.label(c)),
                     "published": {"yes": "published", "partly": "partly published", "no": "not published"}.get(f.published, f.published),
                     "licence": self.link(f.licence_iri, labels, f.licence or None) if f.licence_iri else None, "licence_text": f.licence,
                     "status": f.licence_status, "location": address(f.location),
                     "evidence": Link(f.locator or f.evidence, web_address(f.evidence), f.evidence, external=True) if f.evidence else None,
                     "locator": "" if f.evidence else f.locator, "record": self.link(f.record, labels, "record") if f.record else None}
                    for c, f in sorted(components.items(), key=lambda kv: (rules.label(kv[0]).lower(), kv[0]))]
            sources.append({"source": self.link(source, labels, labels.get(source) or openness_rules.source_name(source)),
                            "facts": rows, "verdicts": [{"framework": v.framework, "value": v.value, "definite": v.definite, "why": v.why}
                                                        for v in result.verdicts.get(source, [])]})
        derived = {v.framework: v.value for v in result.verdicts.get(openness_rules.MOT, [])}
        osai = [{"dimension": self.link(d, labels, rules.label(d)), "published": cls, "judgement": self.link(j, labels, cls),
                 "derived": derived.get(f"OSAI {rules.label(d)}", "")}
                for d, (cls, j) in sorted(result.published.items(), key=lambda kv: rules.label(kv[0]).lower())]
        mismatches = [{"framework": m.framework, "kind": m.kind,
                       "index": openness_rules.source_name(m.index) if m.index else "both indexes",
                       "published": m.published, "derived": m.derived, "evidence": m.evidence} for m in result.mismatches]
        return {"sources": sources, "osai": osai, "mismatches": mismatches, "both": result.both}

    async def disagreements(self, iri: str, labels: dict[str, str]) -> list[Disagreement]:
        """Where sources disagree about the entity: both sides with their sources and evidence, and the resolution.

        Every query is anchored on the entity (its claims and differing statements), never on all the graphs.
        """
        me = sparql_iri(iri)
        differing = await self.data.select(
            f"SELECT ?d ?p ?o WHERE {{ ?d {sparql_iri(RDF + 'subject')} {me} ; a {sparql_iri(DIFFERING_STATEMENT)} ; "
            f"{sparql_iri(RDF + 'predicate')} ?p ; {sparql_iri(RDF + 'object')} ?o }} ORDER BY ?p ?o ?d")
        pairs = await self.data.select(
            f"SELECT DISTINCT ?c ?other ?written WHERE {{ ?c {sparql_iri(RDF + 'subject')} {me} . "
            f"?c {sparql_iri(CONTRADICTED_BY)}|^{sparql_iri(CONTRADICTED_BY)} ?other "
            f"BIND(EXISTS {{ ?c {sparql_iri(CONTRADICTED_BY)} ?other }} AS ?written) }} ORDER BY DESC(?written) ?c ?other")
        if not differing and not pairs:
            return []
        asserted = await self.data.select(
            f"SELECT ?p ?o WHERE {{ VALUES ?p {{ {_values(sorted({r['p'].value for r in differing} | DERIVATIONS))} }} {me} ?p ?o }}") if differing else []
        # who states an asserted value: the statement claims about it, or the import records that describe it
        claimed = await self.data.select(
            f"SELECT ?c ?p ?o WHERE {{ ?c {sparql_iri(RDF + 'subject')} {me} ; a {sparql_iri(STATEMENT_CLAIM)} ; "
            f"{sparql_iri(RDF + 'predicate')} ?p ; {sparql_iri(RDF + 'object')} ?o }}") if differing else []
        records = await self.data.select(
            f"SELECT ?r ?p ?o WHERE {{ ?r {sparql_iri(ONTOLOGY + 'describes')} {me} . GRAPH ?r {{ {me} ?p ?o }} "
            f"VALUES ?p {{ {_values(sorted({r['p'].value for r in differing} | DERIVATIONS))} }} }}") if differing else []
        origin = await self.data.select(
            f"SELECT ?d ?r WHERE {{ VALUES ?d {{ {_values(sorted({r['d'].value for r in differing}))} }} "
            f"?d {sparql_iri(PROV + 'wasDerivedFrom')} ?r }}") if differing else []
        nodes = ({r["d"].value for r in differing} | {r["c"].value for r in pairs} | {r["other"].value for r in pairs})
        resolutions = await self.data.select(
            f"SELECT ?res ?x WHERE {{ VALUES ?x {{ {_values(sorted(nodes))} }} ?res {sparql_iri(RESOLVES)} ?x }} ORDER BY ?res")
        said_by = {r["c"].value for r in claimed} | {r["r"].value for r in records} | {r["r"].value for r in origin}
        resolution_nodes = sorted({r["res"].value for r in resolutions})
        prov = await self.data.values(sorted(nodes | said_by | set(resolution_nodes)),
                                      sorted(PROVENANCE_PROPERTIES | {RDF + "object", RDF + "predicate", RDF + "subject", FAVOURS,
                                                                      REASON, DCTERMS + "date", PROV + "wasAttributedTo"}))
        wanted = {v.value for node in prov.values() for values in node.values() for v in values if isinstance(v, ox.NamedNode)}
        wanted |= {r["p"].value for r in differing} | {r["o"].value for r in differing if isinstance(r["o"], ox.NamedNode)}
        wanted |= {r["o"].value for r in asserted if isinstance(r["o"], ox.NamedNode)} | set(resolution_nodes)
        labels = {**labels, **await self.data.labels(wanted - set(labels))}

        def says(node: str) -> Provenance:
            return self.provenance(prov.get(node, {}), labels)

        def first(node: str, predicate: str):
            return next(iter(prov.get(node, {}).get(predicate, [])), None)

        resolved_by: dict[str, list[str]] = defaultdict(list)
        for row in resolutions:
            resolved_by[row["x"].value].append(row["res"].value)

        def resolution(candidates: list[str], sides: list[Side], keys: list[set]) -> dict | None:
            found = sorted({r for node in candidates for r in resolved_by.get(node, [])})
            if not found:
                return None
            res = found[0]
            kept = first(res, FAVOURS)
            for side, key in zip(sides, keys):
                side.favoured = kept is not None and kept in key
            who = [self.term(w, labels) for w in prov.get(res, {}).get(PROV + "wasAttributedTo", [])]
            date = first(res, DCTERMS + "date")
            reason = first(res, REASON)
            return {"link": self.link(res, labels), "who": who, "date": date.value if date is not None else "",
                    "reason": reason.value if reason is not None else "", "evidence": says(res).evidence,
                    "keeps_both": kept is None, "more": len(found) - 1}

        out: list[Disagreement] = []
        backing = defaultdict(list)
        for row in claimed:
            backing[(row["p"].value, row["o"])].append(row["c"].value)
        stated_in = defaultdict(list)
        for row in records:
            stated_in[(row["p"].value, row["o"])].append(row["r"].value)
        derived = defaultdict(list)
        for row in origin:
            derived[row["d"].value].append(row["r"].value)
        for row in differing:
            node, predicate, other = row["d"].value, row["p"].value, row["o"]
            same_fact = {predicate} | (DERIVATIONS if predicate in DERIVATIONS else set())
            for kept in [r for r in asserted if r["p"].value in same_fact and r["o"] != other]:
                keyed = (kept["p"].value, kept["o"])
                mine = Side(self.term(kept["o"], labels),
                            [says(c) for c in backing.get(keyed, [])] + [says(r) for r in stated_in.get(keyed, [])])
                theirs_says = says(node)
                for rec in derived.get(node, []):
                    theirs_says.evidence += says(rec).evidence
                    theirs_says.locators += says(rec).locators
                theirs = Side(self.term(other, labels), [theirs_says])
                sides = [mine, theirs]
                out.append(Disagreement("differing statement", self.property_link(predicate, labels), sides,
                                        "disagreement-" + (node.split("#", 1)[-1] if "#" in node else str(len(out))),
                                        resolution([node], sides, [{kept["o"], *(ox.NamedNode(c) for c in backing.get(keyed, []))},
                                                                   {ox.NamedNode(node), other}])))
        seen: set[frozenset] = set()
        for row in pairs:  # each pair once, from the claim that carries atlas:contradictedBy (as the saved query reads it)
            claim, other = row["c"].value, row["other"].value
            if frozenset((claim, other)) in seen:
                continue
            seen.add(frozenset((claim, other)))
            predicate = first(claim, RDF + "predicate")
            sides = [Side(self.term(first(c, RDF + "object"), labels) if first(c, RDF + "object") is not None else TermView(c), [says(c)])
                     for c in (claim, other)]
            out.append(Disagreement("contradicted claims",
                                    self.property_link(predicate.value, labels) if predicate is not None else Link("claim"), sides,
                                    "disagreement-" + (claim.split("#", 1)[-1] if "#" in claim else str(len(out))),
                                    resolution([claim, other], sides, [{ox.NamedNode(claim)}, {ox.NamedNode(other)}])))
        return out

    def _fact_value(self, predicate: str, obj, types: list[str], labels: dict[str, str]) -> TermView:
        template = IDENTIFIERS.get(predicate)
        if template and isinstance(obj, ox.Literal):
            if predicate == ONTOLOGY + "huggingFaceId" and DATASET_CLASSES & set(types):
                template = HUGGING_FACE_DATASETS
            return TermView(obj.value, Link(obj.value, web_address(template.format(obj.value)), external=True))
        return self.term(obj, labels)

    # -- the ontology --------------------------------------------------------------------------------------

    async def ontology(self) -> str:
        triples = await self.data.ontology()
        by_subject: dict[str, list] = defaultdict(list)
        for t in triples:
            if isinstance(t.subject, ox.NamedNode):
                by_subject[t.subject.value].append((t.predicate.value, t.object))
        classes = sorted(s for s, po in by_subject.items() if s.startswith(ONTOLOGY) and (RDF_TYPE, ox.NamedNode(OWL + "Class")) in po)
        properties = sorted(s for s, po in by_subject.items() if s.startswith(ONTOLOGY) and any(
            p == RDF_TYPE and getattr(o, "value", "") in (OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty")
            for p, o in po))
        mentioned = set(by_subject) | {o.value for po in by_subject.values() for _, o in po if isinstance(o, ox.NamedNode)}
        schemes = await self.data.members(SKOS + "ConceptScheme", 500)
        labels = await self.data.labels(mentioned | set(schemes))
        rows_of = (("Comment", RDFS + "comment"), ("Subclass of", RDFS + "subClassOf"), ("Subproperty of", RDFS + "subPropertyOf"),
                   ("Domain", RDFS + "domain"), ("Range", RDFS + "range"), ("Equivalent to", OWL + "equivalentClass"),
                   ("Equivalent to", OWL + "equivalentProperty"), ("Same as", SKOS + "exactMatch"), ("Close to", SKOS + "closeMatch"))

        def view(iri: str) -> dict:
            rows = []
            for name, predicate in rows_of:
                values = [o for p, o in by_subject[iri] if p == predicate and not isinstance(o, ox.BlankNode)]
                if values:
                    rows.append((name, [self.term(v, labels, external_text=False) for v in values]))
            local = ontology_anchor(iri)
            return {"anchor": local, "label": labels.get(iri, local), "curie": curie(iri), "iri": iri, "rows": rows}

        heading = next((o.value for p, o in by_subject.get(ONTOLOGY, []) if p == DCTERMS + "title" and isinstance(o, ox.Literal)),
                       "LLM Atlas ontology")
        description = next((o.value for p, o in by_subject.get(ONTOLOGY, []) if p == DCTERMS + "description" and isinstance(o, ox.Literal)), "")
        return self.render("ontology.html", "Ontology", heading=heading, namespace=ONTOLOGY, description=description,
                           classes=[view(c) for c in classes], properties=[view(p) for p in properties],
                           schemes=[self.link(s, labels) for s in schemes])

    # -- search --------------------------------------------------------------------------------------------

    async def search_page(self, text: str) -> str:
        text = " ".join(text.split())[:SEARCH_TEXT_LIMIT]
        hits = []
        if text:
            index = await self.data.search_index()
            if self._searching is None:
                self._searching = asyncio.Semaphore(2)
            async with self._searching:  # ranking is CPU work (fuzzy matching every name): off the event loop, two at a time
                found = await asyncio.to_thread(index.search, text, limit=SEARCH_HITS)
            hits = [{"link": Link(h.label, local_path(h.iri) or web_address(h.iri), h.curie), "curie": h.curie, "kind": h.kind,
                     "field": h.field, "matched": h.matched} for h in found]
        return self.render("search.html", "Search", crumbs=[("Atlas", "/"), ("Search", None)], hits=hits, search_text=text)

    # -- the query editor and the saved queries ------------------------------------------------------------

    def saved_queries_json(self) -> list[dict]:
        return [{"name": q.name, "summary": q.summary, "question": q.question, "tags": list(q.tags),
                 "params": [{"name": p.name, "type": p.type, "default": p.default, "description": p.description} for p in q.params],
                 "text": q.text, "example": bound_text(q), "federated": "federated" in q.tags} for q in self.saved_queries]

    def query_editor(self) -> str:
        queries = [{"name": q.name, "summary": q.summary, "question": q.question, "tags": q.tags, "federated": "federated" in q.tags}
                   for q in self.saved_queries]
        return self.render("query.html", "Query", wide=True, queries=queries, timeout=f"{self.timeout:g}", max_rows=self.max_rows)

    def saved_query_list(self) -> str:
        return self.render("saved_queries.html", "Saved queries", crumbs=[("Atlas", "/"), ("Saved queries", None)],
                           queries=self.saved_queries)

    async def saved_query(self, query, values: dict[str, str], run: Callable[[str], Awaitable]) -> tuple[int, str]:
        """A saved query's page: its parameters in a form, its answer with labels and links. ``run`` answers
        a query text as the endpoint would (guard, limits) and returns (variables, rows, boolean, truncated),
        or raises with a message for the reader."""
        params, problem, bindings = [], None, {}
        for param in query.params:
            raw = values.get(param.name, param.default)
            params.append({"name": param.name, "type": param.type, "default": param.default, "description": param.description, "value": raw})
            try:
                bindings[param.name] = param.bind(raw)
            except Exception as error:  # noqa: BLE001 - a UsageError naming the parameter and what it expects
                problem = str(error)
        text = bound_text(query, bindings) if not problem else query.text
        variables, rows, boolean, truncated, status = [], [], None, False, 200
        if problem is None:
            try:
                variables, terms, boolean, truncated = await run(text)
            except QueryPageProblem as trouble:
                problem, status = trouble.message, trouble.status
            else:
                shown = terms[:RESULT_ROWS_SHOWN]
                atlas = {t.value for row in shown for t in row if isinstance(t, ox.NamedNode) and t.value.startswith(BASE)}
                labels = await self.data.labels(atlas)
                rows = [[self.term(t, labels) if t is not None else None for t in row] for row in shown]
                truncated = truncated or len(terms) > RESULT_ROWS_SHOWN
        elif problem:
            status = 400
        encoded = urlencode({"query": text})
        downloads = [(name, f"/sparql?{encoded}&format={fmt}") for name, fmt in (("JSON", "json"), ("CSV", "csv"), ("TSV", "tsv"), ("XML", "xml"))]
        page = self.render("saved_query.html", query.name, crumbs=[("Atlas", "/"), ("Saved queries", "/queries/"), (query.name, None)],
                           query=query, params=params, problem=problem, variables=variables, rows=rows, boolean=boolean,
                           truncated=truncated, max_rows=min(self.max_rows, RESULT_ROWS_SHOWN), downloads=downloads,
                           editor_link=encoded, text=text)
        return status, page


class QueryPageProblem(Exception):
    """Why a saved query's page shows no answer (refused, timed out, busy), with the HTTP status."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def bound_text(query, bindings: dict | None = None) -> str:
    """A saved query ready to run at the endpoint: its parameters bound with VALUES (to their defaults unless
    ``bindings`` gives RDF terms).

    The CLI binds parameters as substitutions; an endpoint has none, so the text gets ``VALUES ?name { term }``
    first in the outer WHERE group, which joins the value in before anything else in the group: the same
    answer for the saved queries' patterns.
    """
    if not query.params:
        return query.text
    lines = query.text.split("\n")
    for number, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            continue
        match = re.search(r"\bWHERE\s*\{", line, flags=re.IGNORECASE)
        if match:
            bound = []
            for param in query.params:
                term = (bindings or {}).get(param.name) or param.bind(param.default)
                note = "the value given" if bindings and param.name in bindings else "default of the saved query; change it here"
                bound.append(f"  VALUES ?{param.name} {{ {term} }}  # parameter {param.name} ({note})")
            head, tail = line[: match.end()], line[match.end():]
            lines[number: number + 1] = [head, *bound] + ([tail] if tail.strip() else [])
            return "\n".join(lines)
    return query.text


__all__ = ["Link", "PageData", "Pages", "QueryPageProblem", "TermView", "bound_text", "curie", "local_path", "web_address"]
