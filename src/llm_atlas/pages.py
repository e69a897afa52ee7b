"""The HTML pages of ``llm-atlas serve``: home, entity and concept pages, the query page, the ontology docs.

Pages are rendered from an in-memory copy of the store with fixed pattern look-ups (no SPARQL text from a
request reaches this module), every value escaped. An entity page shows the entity's facts, each with the
claim that backs it (source, locator, evidence, confidence and, for an inference, the reason), links to
the entities it names and that name it, and its external identifiers.
"""

from __future__ import annotations

import html
import re
import threading
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

import pyoxigraph as ox

from .version import __version__
from .layout import FILE_GRAPH_BASE, relpath_of_graph
from .namespaces import BASE, DCTERMS, KINDS, ONTOLOGY, OWL, RDF, RDFS, SKOS, XSD
from .namespaces import curie as _curie

SCHEMA = "https://schema.org/"

RDF_TYPE = RDF + "type"
LABELS = (RDFS + "label", SKOS + "prefLabel")
DESCRIPTIONS = (DCTERMS + "description", SKOS + "definition")
STATEMENT_CLAIM = ONTOLOGY + "StatementClaim"
A_SOURCE, A_EVIDENCE, A_CONFIDENCE, A_LOCATOR = (ONTOLOGY + n for n in ("source", "evidence", "confidence", "locator"))
COMMENT = RDFS + "comment"
ONTOLOGY_FILE = "ontology/atlas.ttl"

# Shown in the page header or the provenance box, not in the table of facts.
HEADER_PROPERTIES = {RDF_TYPE, *LABELS, *DESCRIPTIONS}
PROVENANCE_PROPERTIES = {A_SOURCE, A_EVIDENCE, A_CONFIDENCE, A_LOCATOR, COMMENT}
REIFICATION = {RDF + "subject", RDF + "predicate", RDF + "object"}

# External identifiers: property -> how a value becomes a link (IRIs are links as they are).
IDENTIFIERS: dict[str, str | None] = {
    OWL + "sameAs": None,
    SKOS + "exactMatch": None,
    SCHEMA + "url": None,
    ONTOLOGY + "sourceRepository": None,
    ONTOLOGY + "rorId": None,
    ONTOLOGY + "license": None,
    ONTOLOGY + "huggingFaceId": "https://huggingface.co/{}",
    ONTOLOGY + "arxivId": "https://arxiv.org/abs/{}",
    RDFS + "seeAlso": None,
}
HUGGING_FACE_DATASETS = "https://huggingface.co/datasets/{}"
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
    "recommendation": "Recommendations", "source": "Sources",
}

INCOMING_LIMIT = 100  # links listed per property among "referenced by"; the rest are counted


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def local_path(iri: str) -> str | None:
    """The path on this server of an atlas IRI (``https://w3id.org/llm-atlas/project/x`` -> ``/project/x``)."""
    if iri.startswith(BASE):
        return "/" + iri[len(BASE):]
    return None


def curie(iri: str) -> str:
    return _curie(iri) or iri


class Site:
    """Everything the pages need, indexed once from the store copy."""

    def __init__(self, store: ox.Store, root: Path, saved_queries: list, limits: dict | None = None):
        self.store = store
        self.root = Path(root)
        self.saved_queries = saved_queries
        self.limits = limits or {}
        self.subjects: set[str] = set()
        self.labels: dict[str, str] = {}
        self.types: dict[str, set[str]] = defaultdict(set)
        self.owned: dict[str, list[str]] = defaultdict(list)  # entity IRI -> its fragment nodes
        self.claims: dict[tuple, list[str]] = defaultdict(list)  # (s, p, o) -> claim nodes backing it
        self.files: dict[str, str] = {}  # subject IRI -> file it is stated in (the first one)
        self.graph_sizes: dict[str, int] = defaultdict(int)
        self.quad_count = 0
        self._index()
        self._ontology_html: str | None = None
        self._ontology_anchors: dict[str, str] = {}  # term IRI -> id of its section in the documentation
        self._ontology_lock = threading.Lock()
        self._ontology_done = threading.Event()
        self._licences = None  # the licence obligations, on first use (see licences())
        self._licence_lock = threading.Lock()

    # -- index -------------------------------------------------------------------------------------------

    def _index(self) -> None:
        label_rank: dict[str, int] = {}
        reified: dict[str, dict[str, ox.NamedNode | ox.Literal]] = defaultdict(dict)
        for quad in self.store.quads_for_pattern(None, None, None, None):
            self.quad_count += 1
            subject, predicate, obj, graph = quad.subject, quad.predicate.value, quad.object, quad.graph_name
            if isinstance(graph, ox.NamedNode):
                self.graph_sizes[graph.value] += 1
            if not isinstance(subject, ox.NamedNode):
                continue
            s = subject.value
            if s not in self.subjects:
                self.subjects.add(s)
                if "#" in s and s.startswith(BASE):
                    self.owned[s.split("#", 1)[0]].append(s)
            if isinstance(graph, ox.NamedNode) and s not in self.files:
                relpath = relpath_of_graph(graph.value)
                if relpath:
                    self.files[s] = relpath
            if predicate == RDF_TYPE and isinstance(obj, ox.NamedNode):
                self.types[s].add(obj.value)
            elif predicate in LABELS and isinstance(obj, ox.Literal):
                rank = (0 if obj.language in ("en", "") or obj.language is None else 2) + LABELS.index(predicate)
                if rank < label_rank.get(s, 99):
                    label_rank[s] = rank
                    self.labels[s] = obj.value
            elif predicate in REIFICATION:
                reified[s][predicate] = obj
        for node, parts in reified.items():
            if len(parts) == 3:
                key = (parts[RDF + "subject"], parts[RDF + "predicate"], parts[RDF + "object"])
                self.claims[key].append(node)

    # -- look-ups ----------------------------------------------------------------------------------------

    def exists(self, iri: str) -> bool:
        return iri in self.subjects

    def label(self, iri: str) -> str:
        if iri in self.labels:
            return self.labels[iri]
        if "#" in iri and iri.startswith(BASE):
            owner, fragment = iri.split("#", 1)
            return f"{self.labels.get(owner, curie(owner))} #{fragment}"
        return curie(iri)

    def property_label(self, iri: str) -> str:
        return self.labels.get(iri) or STANDARD_LABELS.get(iri) or curie(iri)

    def values(self, subject: str, predicate: str) -> list:
        seen, out = set(), []
        for quad in self.store.quads_for_pattern(ox.NamedNode(subject), ox.NamedNode(predicate), None, None):
            if quad.object not in seen:
                seen.add(quad.object)
                out.append(quad.object)
        return out

    def first_value(self, subject: str, predicates) -> str | None:
        for predicate in predicates:
            values = self.values(subject, predicate)
            english = [v for v in values if isinstance(v, ox.Literal) and v.language in (None, "", "en")]
            if english or values:
                return (english or values)[0].value
        return None

    def statements(self, subject: str) -> list[tuple[str, object]]:
        """(predicate, object) pairs of a subject, without duplicates across files."""
        seen, out = set(), []
        for quad in self.store.quads_for_pattern(ox.NamedNode(subject), None, None, None):
            key = (quad.predicate.value, quad.object)
            if key not in seen:
                seen.add(key)
                out.append(key)
        return out

    def describe(self, iri: str) -> list[ox.Triple]:
        """The triples about an IRI and the nodes it owns (its fragments: claims, assessments)."""
        seen: set = set()
        out: list[ox.Triple] = []
        for subject in [iri, *sorted(self.owned.get(iri, []))]:
            for quad in self.store.quads_for_pattern(ox.NamedNode(subject), None, None, None):
                triple = ox.Triple(quad.subject, quad.predicate, quad.object)
                if triple not in seen:
                    seen.add(triple)
                    out.append(triple)
        return out

    def instances(self, class_iri: str) -> list[str]:
        found = {q.subject.value for q in self.store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(class_iri), None)
                 if isinstance(q.subject, ox.NamedNode)}
        return sorted(found, key=lambda i: (self.label(i).lower(), i))

    # -- rendering helpers -------------------------------------------------------------------------------

    def link(self, iri: str, text: str | None = None) -> str:
        path = local_path(iri)
        shown = esc(text if text is not None else self.label(iri))
        if path is not None:
            return f'<a href="{esc(path)}" title="{esc(curie(iri))}">{shown}</a>'
        return f'<a class="external" href="{esc(iri)}" rel="external nofollow noopener noreferrer">{shown}</a>'

    def term(self, term, *, external_text: bool = True) -> str:
        if isinstance(term, ox.NamedNode):
            if term.value.startswith(BASE):
                return self.link(term.value)
            return self.link(term.value, term.value if external_text else curie(term.value))
        if isinstance(term, ox.Literal):
            out = esc(term.value)
            if term.language and term.language != "en":
                out += f' <span class="lang">@{esc(term.language)}</span>'
            elif not term.language and term.datatype.value not in (XSD + "string",):
                out += f' <span class="datatype" title="{esc(term.datatype.value)}">{esc(curie(term.datatype.value))}</span>'
            return out
        if isinstance(term, ox.BlankNode):
            return f"<code>_:{esc(term.value)}</code>"
        return esc(str(term))

    def property_link(self, iri: str) -> str:
        text = esc(self.property_label(iri))
        if iri.startswith(ONTOLOGY):
            return f'<a href="/ontology/{esc(self.ontology_anchor(iri))}" title="{esc(curie(iri))}">{text}</a>'
        return f'<a class="external" href="{esc(iri)}" title="{esc(curie(iri))}" rel="external nofollow noopener noreferrer">{text}</a>'

    def provenance(self, node: str) -> str:
        """Sources (with locator), evidence and confidence of a claim node or of a claim entity."""
        parts = []
        sources = self.values(node, A_SOURCE)
        locators = [v.value for v in self.values(node, A_LOCATOR)]
        if sources:
            text = ", ".join(self.term(s) for s in sources)
            if locators:
                text += " (" + esc("; ".join(locators)) + ")"
            parts.append(f'<span class="sources">{text}</span>')
        evidence = self.values(node, A_EVIDENCE)
        if evidence:
            links = []
            for item in evidence:
                if isinstance(item, ox.NamedNode):
                    host = urlsplit(item.value).hostname or item.value
                    links.append(f'<a class="external evidence-link" href="{esc(item.value)}" rel="external nofollow noopener noreferrer" '
                                 f'title="{esc(item.value)}">{esc(host)}</a>')
            parts.append('<span class="evidence">evidence: ' + ", ".join(links) + "</span>")
        return " ".join(parts) or '<span class="muted">no source given</span>'

    def confidence(self, node: str) -> str:
        out = []
        for value in self.values(node, A_CONFIDENCE):
            if isinstance(value, ox.NamedNode):
                name = value.value.rsplit("/", 1)[-1]
                out.append(f'<a class="confidence confidence-{esc(name)}" href="{esc(local_path(value.value) or value.value)}">'
                           f"{esc(self.label(value.value))}</a>")
        comments = [v.value for v in self.values(node, COMMENT) if isinstance(v, ox.Literal)]
        text = " ".join(out) or '<span class="muted">—</span>'
        if comments:
            text += "".join(f'<p class="reason">{esc(c)}</p>' for c in comments)
        return text

    def page(self, title: str, body: str, *, head: str = "", crumbs: list[tuple[str, str | None]] | None = None,
             wide: bool = False) -> str:
        trail = ""
        if crumbs:
            items = [f'<a href="{esc(href)}">{esc(text)}</a>' if href else f"<span>{esc(text)}</span>" for text, href in crumbs]
            trail = '<nav class="crumbs" aria-label="breadcrumbs">' + " <span>›</span> ".join(items) + "</nav>"
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} · LLM Atlas</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/atlas.css">
{head}</head>
<body>
<header class="site"><a class="brand" href="/">LLM Atlas</a>
<nav><a href="/">Entities</a><a href="/query">Query</a><a href="/ontology/">Ontology</a><a href="/sparql?format=turtle">Service description</a></nav></header>
<main class="{'wide' if wide else ''}">
{trail}
{body}
</main>
<footer>LLM Atlas {esc(__version__)} · data and ontology CC BY 4.0 · every claim names its source and confidence</footer>
</body>
</html>
"""

    def error_page(self, status: int, title: str, message: str) -> str:
        return self.page(title, f"<h1>{esc(status)} {esc(title)}</h1><p>{esc(message)}</p><p><a href=\"/\">All entities</a></p>")

    # -- pages -------------------------------------------------------------------------------------------

    def home_page(self) -> str:
        sections, total = [], 0
        for kind, class_iri in KINDS.items():
            members = self.instances(class_iri)
            total += len(members)
            if not members:
                continue
            items = "".join(f"<li>{self.link(m)}</li>" for m in members)
            sections.append(f'<section class="kind" id="{esc(kind)}"><h2><a href="/{esc(kind)}/">{esc(KIND_TITLES.get(kind, kind))}</a> '
                            f'<span class="count">{len(members)}</span></h2><ul class="entities">{items}</ul></section>')
        schemes = self.instances(SKOS + "ConceptScheme")
        vocab = "".join(f"<li>{self.link(s)}</li>" for s in schemes)
        body = f"""<h1>LLM Atlas</h1>
<p class="lead">The knowledge graph of the open large-language-model ecosystem: {total} entities, {self.quad_count} triples from
{len(self.graph_sizes)} files. Every claim names its source and its confidence (stated, paraphrased or inferred).</p>
<ul class="actions"><li><a href="/query">Query the atlas with SPARQL</a> (saved queries included)</li>
<li><a href="/ontology/">The ontology</a></li><li>SPARQL endpoint: <code>/sparql</code> (SPARQL 1.1 Protocol, read-only)</li></ul>
{''.join(sections)}
<section class="kind" id="vocabularies"><h2>Vocabularies <span class="count">{len(schemes)}</span></h2><ul class="entities">{vocab}</ul></section>"""
        return self.page("Entities", body)

    def kind_page(self, kind: str) -> str:
        members = self.instances(KINDS[kind])
        rows = "".join(f"<tr><td>{self.link(m)}</td><td>{esc(self.first_value(m, DESCRIPTIONS) or '')}</td></tr>" for m in members)
        title = KIND_TITLES.get(kind, kind)
        body = (f"<h1>{esc(title)} <span class=\"count\">{len(members)}</span></h1>"
                f'<p>Class {self.link(KINDS[kind], curie(KINDS[kind]))}.</p>'
                f'<table class="listing"><thead><tr><th>Name</th><th>Description</th></tr></thead><tbody>{rows}</tbody></table>')
        return self.page(title, body, crumbs=[("Atlas", "/"), (title, None)])

    def _kind_of(self, iri: str) -> str | None:
        rest = iri[len(BASE):] if iri.startswith(BASE) else ""
        kind = rest.split("/", 1)[0]
        return kind if kind in KINDS else None

    def resource_page(self, iri: str) -> str:
        """The page of an entity, a vocabulary concept or any other node with the atlas's IRI."""
        title = self.label(iri)
        path = local_path(iri) or "/"
        statements = self.statements(iri)
        types = [o.value for p, o in statements if p == RDF_TYPE and isinstance(o, ox.NamedNode)]
        description = self.first_value(iri, DESCRIPTIONS)
        kind = self._kind_of(iri)
        crumbs = [("Atlas", "/")]
        if kind:
            crumbs.append((KIND_TITLES.get(kind, kind), f"/{kind}/"))
        else:
            schemes = self.values(iri, SKOS + "inScheme")
            if schemes and isinstance(schemes[0], ox.NamedNode):
                crumbs.append((self.label(schemes[0].value), local_path(schemes[0].value)))
        crumbs.append((title, None))

        type_links = ", ".join(self.link(t, self.labels.get(t) or curie(t)) for t in sorted(types))
        alternates = "".join(f'<link rel="alternate" type="{m}" href="{esc(path)}{ext}">\n' for m, ext in
                             (("text/turtle", ".ttl"), ("application/ld+json", ".jsonld"), ("application/n-triples", ".nt")))
        file = self.files.get(iri)
        sections = [f'<h1>{esc(title)}</h1>', f'<p class="types">{type_links}</p>' if type_links else ""]
        if description:
            sections.append(f'<p class="description">{esc(description)}</p>')
        identity = [f"<dt>IRI</dt><dd><code>{esc(iri)}</code></dd>",
                    (f'<dt>Data</dt><dd><a href="{esc(path)}.ttl">Turtle</a> · <a href="{esc(path)}.jsonld">JSON-LD</a> · '
                     f'<a href="{esc(path)}.nt">N-Triples</a></dd>')]
        if file:
            identity.append(f"<dt>File</dt><dd><code>{esc(file)}</code></dd>")
        sections.append('<dl class="identity">' + "".join(identity) + "</dl>")

        # provenance of the entity itself (its sources; for a claim entity: confidence, locator, evidence)
        own = {p for p, _ in statements}
        if own & PROVENANCE_PROPERTIES:
            rows = [f"<tr><th>Sources</th><td>{self.provenance(iri)}</td></tr>"]
            if A_CONFIDENCE in own or COMMENT in own:
                rows.append(f"<tr><th>Confidence</th><td>{self.confidence(iri)}</td></tr>")
            sections.append('<section id="provenance"><h2>Provenance</h2><table class="provenance">' + "".join(rows) + "</table></section>")

        facts, identifiers = [], []
        for predicate, obj in sorted(statements, key=lambda po: (self.property_label(po[0]).lower(), self._sort_key(po[1]))):
            if predicate in HEADER_PROPERTIES or predicate in PROVENANCE_PROPERTIES:
                continue
            row = self._fact_row(iri, predicate, obj, types)
            (identifiers if predicate in IDENTIFIERS else facts).append(row)
        head = "<thead><tr><th>Property</th><th>Value</th><th>Source</th><th>Confidence</th></tr></thead>"
        if facts:
            sections.append(f'<section id="facts"><h2>Facts</h2><table class="facts">{head}<tbody>{"".join(facts)}</tbody></table></section>')
        if identifiers:
            sections.append(f'<section id="identifiers"><h2>External identifiers</h2><table class="facts">{head}<tbody>{"".join(identifiers)}</tbody></table></section>')

        others = [n for n in sorted(self.owned.get(iri, [])) if STATEMENT_CLAIM not in self.types.get(n, set())]
        if others:
            blocks = []
            for node in others:
                rows = "".join(f"<tr><th>{self.property_link(p)}</th><td>{self.term(o)}</td></tr>"
                               for p, o in sorted(self.statements(node), key=lambda po: (self.property_label(po[0]).lower(), self._sort_key(po[1]))))
                fragment = node.split("#", 1)[1]
                blocks.append(f'<div class="node" id="{esc(fragment)}"><h3>#{esc(fragment)}</h3><table class="provenance">{rows}</table></div>')
            sections.append('<section id="nodes"><h2>Other nodes of this entity</h2>' + "".join(blocks) + "</section>")

        if {ONTOLOGY + "ModelRelease", ONTOLOGY + "Dataset"} & set(types):
            sections.append(self.licence_section(iri))
        incoming = self._incoming(iri)
        if incoming:
            sections.append('<section id="referenced-by"><h2>Referenced by</h2>' + incoming + "</section>")
        return self.page(title, "\n".join(s for s in sections if s), head=alternates, crumbs=crumbs)

    # -- licence obligations (llm_atlas.obligations; docs/licences.md) -------------------------------------

    def licences(self):
        """The licence obligations of the whole atlas, computed once on first use (a few seconds), or None
        without the saved query ``licence-obligations``."""
        with self._licence_lock:
            if self._licences is None:
                from . import obligations

                query = next((q for q in self.saved_queries if q.name == obligations.QUERY_NAME), None)
                self._licences = obligations.assess(self.store, query) if query is not None else False
            return self._licences or None

    def licence_section(self, iri: str) -> str:
        """What a release owes the licences it derives from (with path, rule and evidence), and what its
        derivatives owe its licence; "" when neither."""
        assessment = self.licences()
        if assessment is None:
            return ""
        found = assessment.release(iri)
        if found.is_empty():
            return ""
        parts = ['<section id="licence-obligations"><h2>Licence obligations along lineage</h2>',
                 '<p class="muted">The atlas\'s reading of the licence texts (docs/licences.md), not legal advice.</p>']
        if found.owed:
            rows = []
            for o in found.owed:
                path = " → ".join([self.link(o.derivative)] + [f"<em>{esc(self.label(s.relation))}</em> {self.link(s.base)}" for s in o.path])
                evidence = "; ".join(self._evidence_html(e) for s in o.path for e in s.evidence)
                rows.append(f"<tr><td>{esc(o.label(o.verdict))}</td><td>{path}</td><td>{self.term(ox.NamedNode(o.base_licence))}</td>"
                            f"<td>{self.term(ox.NamedNode(o.derivative_licence)) if o.derivative_licence else 'not stated'}</td>"
                            f'<td><a class="external" href="{esc(o.rule_source)}" rel="external nofollow noopener noreferrer">'
                            f"{esc(o.label(o.rule))}</a> ({esc(o.rule_section)}; {esc(o.label(o.certainty))})</td><td>{evidence}</td></tr>")
            parts.append("<h3>What it owes the licences it derives from</h3><table class=\"facts\"><thead><tr><th>Verdict</th><th>Path</th>"
                         "<th>Base's licence</th><th>Its licence</th><th>Rule</th><th>Evidence of the edges</th></tr></thead>"
                         f"<tbody>{''.join(rows)}</tbody></table>")
        if found.owed_to:
            counts: dict[str, int] = defaultdict(int)
            for o in found.owed_to:
                counts[o.label(o.verdict)] += 1
            listed = "".join(f"<li>{self.link(o.derivative)}: {esc(o.label(o.verdict))} ({esc(o.label(o.derivative_licence) if o.derivative_licence else 'not stated')})</li>"
                             for o in found.owed_to[:INCOMING_LIMIT])
            more = f'<li class="muted">and {len(found.owed_to) - INCOMING_LIMIT} more</li>' if len(found.owed_to) > INCOMING_LIMIT else ""
            summary = ", ".join(f"{esc(k)} {v}" for k, v in sorted(counts.items()))
            parts.append(f"<h3>Derivatives that owe its licence ({len(found.owed_to)}: {summary})</h3><ul class=\"entities\">{listed}{more}</ul>")
        parts.append("</section>")
        return "".join(parts)

    def _evidence_html(self, evidence) -> str:
        text = esc(curie(evidence.source) if evidence.source else "no source")
        if evidence.locator:
            text += " " + esc(evidence.locator)
        if evidence.url:
            return f'<a class="external evidence-link" href="{esc(evidence.url)}" rel="external nofollow noopener noreferrer">{text}</a>'
        return text

    @staticmethod
    def _sort_key(term) -> str:
        return getattr(term, "value", str(term)).lower()

    def _identifier_html(self, predicate: str, obj, types: list[str]) -> str:
        template = IDENTIFIERS.get(predicate)
        if template and isinstance(obj, ox.Literal):
            if predicate == ONTOLOGY + "huggingFaceId" and DATASET_CLASSES & set(types):
                template = HUGGING_FACE_DATASETS
            url = template.format(obj.value)
            return f'<a class="external" href="{esc(url)}" rel="external nofollow noopener noreferrer">{esc(obj.value)}</a>'
        return self.term(obj)

    def _fact_row(self, iri: str, predicate: str, obj, types: list[str]) -> str:
        value = self._identifier_html(predicate, obj, types) if predicate in IDENTIFIERS else self.term(obj)
        claims = self.claims.get((ox.NamedNode(iri), ox.NamedNode(predicate), obj), [])
        if claims:
            source = "".join(f'<div class="claim">{self.provenance(c)}</div>' for c in claims)
            confidence = "".join(f'<div class="claim">{self.confidence(c)}</div>' for c in claims)
            anchor = f' id="{esc(claims[0].split("#", 1)[1])}"' if "#" in claims[0] else ""
        else:
            has_sources = bool(self.values(iri, A_SOURCE))
            source = '<span class="muted">the entity\'s sources (above)</span>' if has_sources else '<span class="muted">—</span>'
            confidence = '<span class="muted">—</span>'
            anchor = ""
        return f"<tr{anchor}><th>{self.property_link(predicate)}</th><td>{value}</td><td>{source}</td><td>{confidence}</td></tr>"

    def _incoming(self, iri: str) -> str:
        groups: dict[str, dict[str, None]] = defaultdict(dict)
        claim_groups: dict[str, dict[str, None]] = defaultdict(dict)
        for quad in self.store.quads_for_pattern(None, None, ox.NamedNode(iri), None):
            if not isinstance(quad.subject, ox.NamedNode):
                continue
            subject, predicate = quad.subject.value, quad.predicate.value
            if predicate in REIFICATION or subject.split("#", 1)[0] == iri:
                continue  # a claim restating a fact listed anyway, or a node of this entity
            if STATEMENT_CLAIM in self.types.get(subject, set()):
                claim_groups[predicate][subject] = None
            else:
                groups[predicate][subject] = None
        out = []
        for predicate in sorted(groups, key=lambda p: self.property_label(p).lower()):
            subjects = sorted(groups[predicate], key=lambda s: self.label(s).lower())
            items = "".join(f"<li>{self.link(s)}</li>" for s in subjects[:INCOMING_LIMIT])
            more = f'<li class="muted">and {len(subjects) - INCOMING_LIMIT} more</li>' if len(subjects) > INCOMING_LIMIT else ""
            out.append(f"<h3><span class=\"muted\">…</span> {self.property_link(predicate)} {esc(self.label(iri))}</h3>"
                       f"<ul class=\"entities\">{items}{more}</ul>")
        for predicate in sorted(claim_groups, key=lambda p: self.property_label(p).lower()):
            claims = sorted(claim_groups[predicate], key=lambda s: (self.label(s.split('#', 1)[0]).lower(), s))
            items = []
            for claim in claims[:INCOMING_LIMIT]:
                owner = claim.split("#", 1)[0]
                prop = self.values(claim, RDF + "predicate")
                prop_text = self.property_label(prop[0].value) if prop and isinstance(prop[0], ox.NamedNode) else "claim"
                items.append(f'<li><a href="{esc(local_path(claim) or claim)}">{esc(self.label(owner))} — {esc(prop_text)}</a></li>')
            if len(claims) > INCOMING_LIMIT:
                items.append(f'<li class="muted">and {len(claims) - INCOMING_LIMIT} more</li>')
            out.append(f"<h3>Claims with this {esc(self.property_label(predicate))} <span class=\"count\">{len(claims)}</span></h3>"
                       f"<ul class=\"claims\">{''.join(items)}</ul>")
        return "".join(out)

    # -- the query page and the saved queries ------------------------------------------------------------

    def saved_queries_json(self) -> list[dict]:
        out = []
        for query in self.saved_queries:
            out.append({
                "name": query.name, "summary": query.summary, "question": query.question, "tags": list(query.tags),
                "params": [{"name": p.name, "type": p.type, "default": p.default, "description": p.description} for p in query.params],
                "text": query.text, "example": example_text(query), "federated": "federated" in query.tags,
            })
        return out

    def query_page(self) -> str:
        items = []
        for query in self.saved_queries:
            tags = " ".join(f'<span class="tag">{esc(t)}</span>' for t in query.tags)
            note = ""
            if "federated" in query.tags:
                note = ('<p class="note">Federated (SERVICE): this endpoint refuses it, as it makes no outbound '
                        'requests; run it with <code>llm-atlas query</code>.</p>')
            items.append(f'<li><button type="button" class="saved-query" data-name="{esc(query.name)}" title="{esc(query.question)}">'
                         f'{esc(query.name)}</button><p>{esc(query.summary)}</p>{note}<p class="tags">{tags}</p></li>')
        limits = ""
        if self.limits:
            limits = (f'<p class="muted">Read-only SPARQL 1.1 over the atlas. Limits: {self.limits.get("timeout", 0):g} s per query, '
                      f'at most {self.limits.get("max_rows")} rows (a cut answer is flagged). No SERVICE, FROM or updates. '
                      f'The shared prefixes are predeclared (<a href="/prefixes.json">list</a>).</p>')
        body = f"""<div class="query-layout">
<aside class="saved" aria-label="saved queries"><h2>Saved queries</h2>{limits}<ul id="saved-queries">{''.join(items)}</ul></aside>
<section class="editor"><div id="truncated" class="notice" hidden></div><div id="yasgui"></div>
<noscript>The query editor needs JavaScript; the endpoint itself is at <code>/sparql</code>.</noscript></section>
</div>
<script src="/static/yasgui/yasgui.min.js"></script>
<script src="/static/query.js"></script>"""
        head = '<link rel="stylesheet" href="/static/yasgui/yasgui.min.css">\n'
        return self.page("Query", body, head=head, wide=True)

    # -- the service description -------------------------------------------------------------------------

    def service_description(self, endpoint: str, timeout: float, max_rows: int, max_body: int, workers: int, cors: bool) -> list[ox.Triple]:
        def lit(text: str) -> str:
            return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

        named = []
        for graph, size in sorted(self.graph_sizes.items()):
            named.append(f"[ a sd:NamedGraph ; sd:name <{graph}> ; sd:graph [ a sd:Graph ; void:triples {size} ] ]")
        description = (f"LLM Atlas, read-only. Queries are SPARQL 1.1 (parsed by rdflib before they run); SERVICE, FROM, "
                       f"FROM NAMED and updates are refused. Limits: {timeout:g} s per query (longer ones are stopped, 503), "
                       f"at most {max_rows} rows or triples per answer (a cut answer has the header X-Atlas-Truncated: true), "
                       f"request bodies up to {max_body} bytes, {workers} queries at a time. The default graph is the union of "
                       f"the named graphs, one per file of the atlas (<{FILE_GRAPH_BASE}PATH>). CORS "
                       f"{'enabled' if cors else 'off'}.")
        turtle = f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix formats: <http://www.w3.org/ns/formats/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{endpoint}> a sd:Service ;
  sd:endpoint <{endpoint}> ;
  sd:supportedLanguage sd:SPARQL11Query ;
  sd:feature sd:UnionDefaultGraph ;
  sd:defaultEntailmentRegime <http://www.w3.org/ns/entailment/Simple> ;
  sd:resultFormat formats:SPARQL_Results_JSON, formats:SPARQL_Results_XML, formats:SPARQL_Results_CSV,
    formats:SPARQL_Results_TSV, formats:Turtle, formats:N-Triples, formats:JSON-LD, formats:RDF_XML ;
  dcterms:title {lit("LLM Atlas SPARQL endpoint")} ;
  rdfs:comment {lit(description)} ;
  sd:defaultDataset [ a sd:Dataset ;
    sd:defaultGraph [ a sd:Graph ; void:triples {self.quad_count} ] ;
    sd:namedGraph {", ".join(named) if named else "[]"} ] .
"""
        return [quad.triple for quad in ox.parse(turtle.encode("utf-8"), format=ox.RdfFormat.TURTLE)]

    # -- the ontology ------------------------------------------------------------------------------------

    def ontology_triples(self) -> list[ox.Triple]:
        graph = ox.NamedNode(FILE_GRAPH_BASE + ONTOLOGY_FILE)
        seen, out = set(), []
        for quad in self.store.quads_for_pattern(None, None, None, graph):
            triple = ox.Triple(quad.subject, quad.predicate, quad.object)
            if triple not in seen:
                seen.add(triple)
                out.append(triple)
        return out

    def start_ontology_docs(self) -> None:
        """Generate the ontology's documentation in the background (pyLODE takes about two seconds)."""
        threading.Thread(target=self._make_ontology_docs, name="llm-atlas-ontology-docs", daemon=True).start()

    def _make_ontology_docs(self) -> None:
        with self._ontology_lock:
            if self._ontology_done.is_set():
                return
            try:
                page = pylode_page(self.root / ONTOLOGY_FILE)
            except Exception:  # noqa: BLE001 - pyLODE missing or failing: the page made here instead
                page = None
            if page is None:
                page = self.fallback_ontology_page()
            anchors = {html.unescape(iri): ident for ident, iri in re.findall(
                r'<div class="[^"]*\bentity\b[^"]*" id="([^"]+)">.*?<code>([^<]+)</code>', page, flags=re.DOTALL)}
            for ident in re.findall(r'<div class="term" id="([^"]+)">', page):  # the page made here
                anchors.setdefault(ONTOLOGY + ident, ident)
            self._ontology_anchors = anchors
            self._ontology_html = page
            self._ontology_done.set()

    def ontology_page(self) -> str:
        if not self._ontology_done.wait(30):
            self._make_ontology_docs()
        return self._ontology_html or self.fallback_ontology_page()

    def ontology_anchor(self, iri: str) -> str:
        """``#id`` of a term's section in the ontology's documentation ("" when it has none)."""
        if not iri.startswith(ONTOLOGY) or iri == ONTOLOGY:
            return ""
        if not self._ontology_done.is_set():
            return "#" + iri[len(ONTOLOGY):]
        anchor = self._ontology_anchors.get(iri)
        return "#" + anchor if anchor else ""

    def fallback_ontology_page(self) -> str:
        """Classes and properties of the ontology with labels, comments, domains, ranges and alignments."""
        triples = self.ontology_triples()
        by_subject: dict[str, list] = defaultdict(list)
        for t in triples:
            if isinstance(t.subject, ox.NamedNode):
                by_subject[t.subject.value].append((t.predicate.value, t.object))
        classes = sorted(s for s, po in by_subject.items() if (RDF_TYPE, ox.NamedNode(OWL + "Class")) in po and s.startswith(ONTOLOGY))
        properties = sorted(s for s, po in by_subject.items() if s.startswith(ONTOLOGY) and any(
            p == RDF_TYPE and o.value in (OWL + "ObjectProperty", OWL + "DatatypeProperty", OWL + "AnnotationProperty")
            for p, o in po))

        def block(iri: str) -> str:
            local = iri[len(ONTOLOGY):]
            rows = []
            for predicate, name in ((RDFS + "comment", "Comment"), (RDFS + "subClassOf", "Subclass of"),
                                    (RDFS + "subPropertyOf", "Subproperty of"), (RDFS + "domain", "Domain"), (RDFS + "range", "Range")):
                values = [o for p, o in by_subject[iri] if p == predicate]
                if values:
                    rows.append(f"<tr><th>{name}</th><td>{', '.join(self.term(v, external_text=False) for v in values)}</td></tr>")
            return (f'<div class="term" id="{esc(local)}"><h3>{esc(self.labels.get(iri, local))} <code>{esc(curie(iri))}</code></h3>'
                    f'<table class="provenance">{"".join(rows)}</table></div>')

        title = self.first_value(ONTOLOGY, (DCTERMS + "title",)) or "LLM Atlas ontology"
        description = self.first_value(ONTOLOGY, (DCTERMS + "description",)) or ""
        body = (f"<h1>{esc(title)}</h1><p><code>{esc(ONTOLOGY)}</code></p><p class=\"description\">{esc(description)}</p>"
                f'<p>Data: <a href="/ontology/?format=turtle">Turtle</a> · <a href="/ontology/?format=jsonld">JSON-LD</a></p>'
                f'<section id="classes"><h2>Classes</h2>{"".join(block(c) for c in classes)}</section>'
                f'<section id="properties"><h2>Properties</h2>{"".join(block(p) for p in properties)}</section>')
        return self.page("Ontology", body)


def pylode_page(path: Path) -> str | None:
    """The ontology's documentation by pyLODE, with a bar linking back to the atlas; None without pyLODE."""
    import logging

    # pyLODE calls logging.basicConfig(level=DEBUG) when imported: keep the root logger as it was
    root_logger = logging.getLogger()
    level, handlers = root_logger.level, list(root_logger.handlers)
    try:
        from pylode import OntPub
    except ImportError:
        return None
    finally:
        for handler in list(root_logger.handlers):
            if handler not in handlers:
                root_logger.removeHandler(handler)
        root_logger.setLevel(level)
    page = OntPub(ontology=str(path)).make_html()
    bar = ('<div style="font:14px sans-serif;padding:6px 12px;background:#1f3a5f;color:#fff">'
           '<a style="color:#fff;margin-right:1em;font-weight:bold" href="/">LLM Atlas</a>'
           '<a style="color:#fff;margin-right:1em" href="/query">Query</a>'
           '<a style="color:#fff;margin-right:1em" href="/ontology/?format=turtle">Turtle</a>'
           '<a style="color:#fff" href="/ontology/?format=jsonld">JSON-LD</a></div>')
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + bar, page, count=1)


def example_text(query) -> str:
    """A saved query ready to run at the endpoint: its parameters bound to their defaults with VALUES.

    The CLI binds parameters as substitutions; an endpoint has none, so the example puts
    ``VALUES ?name { default }`` first in the outer WHERE group, which joins the value in before anything
    else in the group, the same answer for the saved queries' patterns.
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
                term = param.bind(param.default)
                bound.append(f"  VALUES ?{param.name} {{ {term} }}  # parameter {param.name} (default of the saved query; change it here)")
            head, tail = line[: match.end()], line[match.end():]
            lines[number: number + 1] = [head, *bound] + ([tail] if tail.strip() else [])
            return "\n".join(lines)
    return query.text
