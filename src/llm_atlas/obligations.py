"""Licence obligations along lineage: the saved query's verdicts, each with its path and its evidence.

The verdicts are those of the saved query ``queries/licence-obligations.rq``, which applies the licence-rule
table of ``ontology/vocabularies/license-rule.ttl``; nothing here decides one. This module adds what a query
cannot say well:

- the nearest base per licence: a derivative owes a licence's terms to every ancestor under that licence,
  and the one nearest to it answers for the others (a GGUF of a Llama fine-tune is listed against the
  fine-tune, the fine-tune against Llama), so that each change of licence shows once per derivative;
- the path from the derivative to its base (the shortest, ties broken by IRI), through the edges the query
  follows: derivations from the weights, one derivation of the row's kind, then dataset derivations;
- the evidence of every edge on the path and of both licence statements: the source record that states it
  (its public page and its place in the snapshot) or the curated claim (source, locator, evidence,
  confidence), and any differing statement a source made about either licence.

It is shared by ``llm-atlas licences`` (:mod:`llm_atlas.licences`), the report and the entity pages, so it
lives in the core and imports no job. Not legal advice: see docs/licences.md.
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from .errors import UsageError
from .layout import RECORD_BASE
from .namespaces import ONTOLOGY, RDF, RDFS, SKOS
from .query import SavedQuery, run_query

QUERY_NAME = "licence-obligations"
ATLAS = ONTOLOGY
VERDICT = ONTOLOGY + "license-verdict/"
DERIVATION = ONTOLOGY + "derivation-kind/"
OBLIGATION = ONTOLOGY + "license-obligation/"
WEIGHTS = DERIVATION + "weights"  # followed any number of times before the row's own derivation
DATASET_DERIVATION = DERIVATION + "dataset-derivation"  # followed any number of times after it
FLOWS_DOWN = OBLIGATION + "flows-down"
NO_OBLIGATION = OBLIGATION + "none"
MODEL_RELEASE = ATLAS + "ModelRelease"
DATASET = ATLAS + "Dataset"
# How the verdicts are listed: what needs a person's attention first.
VERDICT_ORDER = tuple(VERDICT + v for v in ("conflict", "needs-review", "not-assessable", "may-change", "carries-terms"))

_A = ox.NamedNode(RDF + "type")
_SUBJECT, _PREDICATE, _OBJECT = (ox.NamedNode(RDF + n) for n in ("subject", "predicate", "object"))
_LABEL = ox.NamedNode(RDFS + "label")
_PREF_LABEL = ox.NamedNode(SKOS + "prefLabel")
_LICENSE = ox.NamedNode(ATLAS + "license")
_LICENSE_NAME = ox.NamedNode(ATLAS + "licenseName")
_SPELLING = ox.NamedNode(ATLAS + "sourceSpelling")
_UNIDENTIFIED = ox.NamedNode(ATLAS + "UnidentifiedLicense")
_STATEMENT_CLAIM = ox.NamedNode(ATLAS + "StatementClaim")
_DIFFERING = ox.NamedNode(ATLAS + "DifferingStatement")
_SOURCE, _EVIDENCE, _LOCATOR, _CONFIDENCE = (ox.NamedNode(ATLAS + n) for n in ("source", "evidence", "locator", "confidence"))
_DERIVED_FROM_RECORD = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")


@dataclass(frozen=True)
class Evidence:
    """Who states a fact, and where: a source record of an import, or a claim of the curated graph."""

    source: str  # the atlas:source IRI (source:hf-hub, source:external, ...)
    url: str  # the public page (atlas:evidence), "" when there is none
    locator: str  # the place in the snapshot or in the source ("warehouse/.../top_models.csv:120", "slide 21")
    confidence: str  # the atlas:confidence IRI, "" when not given
    via: str  # the record or claim IRI the evidence was read from
    says: str = ""  # for a differing statement: the value the source gives instead (a licence IRI)


@dataclass(frozen=True)
class Step:
    """One edge of a derivation path: ``derivative`` --``relation``--> ``base``."""

    derivative: str
    relation: str  # the property IRI (atlas:fineTunedFrom, atlas:trainedOn, ...)
    base: str
    evidence: tuple[Evidence, ...]


@dataclass
class Obligation:
    """What one base's licence requires of one derivative, and the verdict on the derivative's licence."""

    verdict: str
    derivative: str
    base: str
    derivation: str  # the derivation kind concept
    derivative_licence: str  # "" when no source states one
    base_licence: str
    obligation: str
    certainty: str
    rule: str
    rule_source: str  # the URL of the licence text
    rule_section: str
    labels: dict[str, str]  # IRI -> label, for every IRI above and on the path
    path: list[Step] = field(default_factory=list)
    derivative_licence_evidence: tuple[Evidence, ...] = ()
    base_licence_evidence: tuple[Evidence, ...] = ()

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or iri

    @property
    def sort_key(self) -> tuple:
        order = VERDICT_ORDER.index(self.verdict) if self.verdict in VERDICT_ORDER else len(VERDICT_ORDER)
        return (order, self.label(self.derivative).casefold(), self.derivative, self.label(self.base).casefold(), self.base,
                self.derivation, self.base_licence, self.derivative_licence, self.rule)


@dataclass
class Assessment:
    """Every derivative's obligations (nearest base per licence), with what is needed to count them."""

    obligations: list[Obligation]
    rows: int  # rows of the saved query, before the nearest base was kept
    every: list[Obligation]  # every row of the saved query (every base, not only the nearest), without paths or evidence
    releases: frozenset[str]  # the model releases of the atlas
    datasets: frozenset[str]
    flowing: frozenset[str]  # obligation concepts whose terms flow down (obligation:flows-down and narrower)
    labels: dict[str, str]

    def derivatives(self, *, verdict: str | None = None, kind: frozenset[str] | None = None,
                    obligations: Iterable[str] | None = None) -> set[str]:
        """The derivatives with at least one obligation matching the filters (releases and datasets alike)."""
        wanted = set(obligations) if obligations is not None else None
        return {o.derivative for o in self.obligations
                if (verdict is None or o.verdict == verdict) and (wanted is None or o.obligation in wanted)
                and (kind is None or o.derivative in kind)}

    def inheriting_releases(self) -> set[str]:
        """Model releases that owe a base anything (notices included)."""
        return self.derivatives(kind=self.releases, obligations=self._all_obligations() - {NO_OBLIGATION})

    def flowing_releases(self) -> set[str]:
        """Model releases that owe a base terms their own licence must carry (share-alike, use restrictions, ...)."""
        return self.derivatives(kind=self.releases, obligations=self.flowing)

    def conflicted_releases(self) -> set[str]:
        return self.derivatives(verdict=VERDICT + "conflict", kind=self.releases)

    def _all_obligations(self) -> set[str]:
        return {o.obligation for o in self.obligations}

    def count_by(self, *keys: str) -> dict[tuple, int]:
        """Obligations counted by the given attributes (``"verdict"``, ``"derivation"``, ``"rule"``, ...)."""
        counts: dict[tuple, int] = defaultdict(int)
        for o in self.obligations:
            counts[tuple(getattr(o, k) for k in keys)] += 1
        return dict(counts)

    def conflicts(self) -> list[Obligation]:
        return [o for o in self.obligations if o.verdict == VERDICT + "conflict"]

    def release(self, iri: str) -> "ReleaseObligations":
        """One release's (or dataset's) obligations, as :func:`for_release` gives them, from this assessment:
        compute the assessment once (a server at start-up), then answer every page from it."""
        return ReleaseObligations(iri, [o for o in self.obligations if o.derivative == iri], [o for o in self.every if o.base == iri])


@dataclass
class ReleaseObligations:
    """What one release (or dataset) owes the licences it derives from, and what its derivatives owe its licence."""

    iri: str
    owed: list[Obligation]  # this release as the derivative (nearest base per licence)
    owed_to: list[Obligation]  # this release as the base: every derivative at any distance

    def is_empty(self) -> bool:
        return not self.owed and not self.owed_to


def find_query(queries: Iterable[SavedQuery]) -> SavedQuery:
    """The saved query the obligations come from, among a checkout's saved queries."""
    for query in queries:
        if query.name == QUERY_NAME:
            return query
    raise UsageError(f"the saved query {QUERY_NAME} is missing from queries/: the licence obligations need queries/{QUERY_NAME}.rq")


# -- the lineage, read once ------------------------------------------------------------------------------------


class _Lineage:
    """The derivation edges of the store by kind, and the facts the paths and the evidence need."""

    def __init__(self, store: ox.Store):
        self.store = store
        self.kind_of: dict[str, str] = {}  # property IRI -> derivation kind IRI
        for quad in store.quads_for_pattern(None, ox.NamedNode(ATLAS + "derivationProperty"), None, None):
            if isinstance(quad.object, ox.NamedNode) and isinstance(quad.subject, ox.NamedNode):
                self.kind_of[quad.object.value] = quad.subject.value
        self.out: dict[str, list[tuple[str, str]]] = defaultdict(list)  # node -> sorted [(property, base)]
        seen: set[tuple[str, str, str]] = set()
        for prop in sorted(self.kind_of):
            for quad in store.quads_for_pattern(None, ox.NamedNode(prop), None, None):
                if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.NamedNode):
                    edge = (quad.subject.value, prop, quad.object.value)
                    if edge not in seen:
                        seen.add(edge)
                        self.out[edge[0]].append((prop, edge[2]))
        for edges in self.out.values():
            edges.sort(key=lambda e: (e[1], e[0]))
        self._reach: dict[str, frozenset[str]] = {}
        self._labels: dict[str, str] = {}

    def reach(self, node: str) -> frozenset[str]:
        """Every node ``node`` derives from, at any distance, by any kind of derivation."""
        if node not in self._reach:
            found: set[str] = set()
            queue = deque([node])
            while queue:
                for _, base in self.out.get(queue.popleft(), ()):
                    if base not in found:
                        found.add(base)
                        queue.append(base)
            found.discard(node)
            self._reach[node] = frozenset(found)
        return self._reach[node]

    def path(self, derivative: str, kind: str, base: str) -> list[tuple[str, str, str]]:
        """The shortest path the saved query follows for this row: derivations from the weights, one of ``kind``,
        then dataset derivations. Empty if there is none (the store changed under the query)."""
        start = (derivative, False)
        parent: dict[tuple[str, bool], tuple[tuple[str, bool], str] | None] = {start: None}
        queue = deque([start])
        while queue:
            node, done = queue.popleft()
            if done and node == base:
                steps = []
                state = (node, done)
                while parent[state] is not None:
                    previous, prop = parent[state]
                    steps.append((previous[0], prop, state[0]))
                    state = previous
                return steps[::-1]
            for prop, nxt in self.out.get(node, ()):
                prop_kind = self.kind_of.get(prop)
                moves = []
                if not done and prop_kind == kind:
                    moves.append((nxt, True))
                if not done and prop_kind == WEIGHTS:
                    moves.append((nxt, False))
                if done and prop_kind == DATASET_DERIVATION:
                    moves.append((nxt, True))
                for move in moves:
                    if move not in parent:
                        parent[move] = ((node, done), prop)
                        queue.append(move)
        return []

    def label(self, iri: str) -> str:
        if iri not in self._labels:
            text = ""
            for predicate in (_LABEL, _PREF_LABEL):
                values = [q.object for q in self.store.quads_for_pattern(ox.NamedNode(iri), predicate, None, None) if isinstance(q.object, ox.Literal)]
                english = sorted(v.value for v in values if v.language in (None, "", "en"))
                if english or values:
                    text = (english or sorted(v.value for v in values))[0]
                    break
            self._labels[iri] = text
        return self._labels[iri]

    def values(self, subject: str | ox.NamedNode, predicate: ox.NamedNode) -> list:
        node = subject if isinstance(subject, ox.NamedNode) else ox.NamedNode(subject)
        return sorted({q.object for q in self.store.quads_for_pattern(node, predicate, None, None)}, key=lambda t: t.value)

    def first(self, subject, predicate: ox.NamedNode) -> str:
        values = self.values(subject, predicate)
        return values[0].value if values else ""

    # -- evidence --------------------------------------------------------------------------------------------

    def evidence(self, subject: str, predicate: str, obj: ox.NamedNode | ox.Literal) -> tuple[Evidence, ...]:
        """Who states the triple: each source record whose graph holds it, and each claim about it."""
        s, p = ox.NamedNode(subject), ox.NamedNode(predicate)
        found: list[Evidence] = []
        for quad in self.store.quads_for_pattern(s, p, obj, None):
            graph = quad.graph_name
            if isinstance(graph, ox.NamedNode) and graph.value.startswith(RECORD_BASE):
                found.append(self._from(graph.value))
        for claim in self._claims(s, p, obj, _STATEMENT_CLAIM):
            found.append(self._from(claim))
        return tuple(sorted(set(found), key=lambda e: (e.source, e.url, e.locator, e.via)))

    def differing(self, subject: str, predicate: str) -> tuple[Evidence, ...]:
        """What sources of lower precedence say instead (atlas:DifferingStatement), kept beside the asserted value."""
        found = []
        for quad in self.store.quads_for_pattern(None, _SUBJECT, ox.NamedNode(subject), None):
            claim = quad.subject
            if (isinstance(claim, ox.NamedNode) and ox.NamedNode(predicate) in self.values(claim, _PREDICATE)
                    and _DIFFERING in self.values(claim, _A)):
                for value in self.values(claim, _OBJECT):
                    evidence = self._from(claim.value)
                    found.append(Evidence(evidence.source, evidence.url, evidence.locator, evidence.confidence, evidence.via, value.value))
        return tuple(sorted(set(found), key=lambda e: (e.source, e.says, e.via)))

    def _claims(self, s: ox.NamedNode, p: ox.NamedNode, o, kind: ox.NamedNode) -> list[str]:
        claims = []
        for quad in self.store.quads_for_pattern(None, _SUBJECT, s, None):
            claim = quad.subject
            if not isinstance(claim, ox.NamedNode):
                continue
            if p in self.values(claim, _PREDICATE) and o in self.values(claim, _OBJECT) and kind in self.values(claim, _A):
                claims.append(claim.value)
        return sorted(set(claims))

    def _from(self, node: str) -> Evidence:
        """The evidence a record or claim gives; a claim an import wrote borrows its record's page and place."""
        url, locator = self.first(node, _EVIDENCE), self.first(node, _LOCATOR)
        record = self.first(node, _DERIVED_FROM_RECORD)
        if record and not url:
            url, locator = self.first(record, _EVIDENCE), locator or self.first(record, _LOCATOR)
        return Evidence(self.first(node, _SOURCE), url, locator, self.first(node, _CONFIDENCE), node)

    def licence_evidence(self, release: str, licence: str) -> tuple[Evidence, ...]:
        """Who states that ``release`` is under ``licence``: the atlas:license fact, or for a licence the rules know
        by a source's spelling, the atlas:UnidentifiedLicense fact and the spelling; plus what sources say instead."""
        if not licence:
            return self.differing(release, ATLAS + "license")
        found = list(self.evidence(release, ATLAS + "license", ox.NamedNode(licence)))
        if not found:
            spellings = {v.value.casefold() for v in self.values(licence, _SPELLING)}
            found += self.evidence(release, ATLAS + "license", _UNIDENTIFIED)
            for name in self.values(release, _LICENSE_NAME):
                if name.value.casefold() in spellings:
                    found += self.evidence(release, ATLAS + "licenseName", name)
        return tuple(sorted(set(found), key=lambda e: (e.source, e.url, e.locator, e.via))) + self.differing(release, ATLAS + "license")


# -- assessing -----------------------------------------------------------------------------------------------

_COLUMNS = ("verdictIri", "derivativeIri", "baseIri", "derivationIri", "derivativeLicenceIri", "baseLicenceIri", "obligationIri",
            "certaintyIri", "ruleIri", "ruleSource", "ruleSection")


def _rows(store: ox.Store, query: SavedQuery | str, bindings: dict[str, ox.NamedNode] | None = None) -> list[dict[str, str]]:
    text = query.text if isinstance(query, SavedQuery) else query
    result = run_query(store, text, bindings)
    missing = [c for c in _COLUMNS if c not in result.variables]
    if missing:
        raise UsageError(f"queries/{QUERY_NAME}.rq does not project {', '.join('?' + m for m in missing)}: "
                         "the licence obligations read these columns (see docs/licences.md)")
    index = {name: i for i, name in enumerate(result.variables)}
    rows = []
    for row in result.rows:
        rows.append({name: (row[i].value if row[i] is not None else "") for name, i in index.items()})
    return rows


def _nearest(rows: list[dict[str, str]], lineage: _Lineage) -> list[dict[str, str]]:
    """Drop a row when a base nearer to its derivative carries the same licence (that base answers for it)."""
    bases: dict[tuple[str, str], set[str]] = defaultdict(set)
    for row in rows:
        bases[(row["derivativeIri"], row["baseLicenceIri"])].add(row["baseIri"])
    kept = []
    for row in rows:
        others = bases[(row["derivativeIri"], row["baseLicenceIri"])] - {row["baseIri"]}
        if not any(row["baseIri"] in lineage.reach(m) for m in others):
            kept.append(row)
    return kept


def _obligation(row: dict[str, str], lineage: _Lineage, *, with_evidence: bool = True) -> Obligation:
    rule = row["ruleIri"]
    o = Obligation(
        verdict=row["verdictIri"], derivative=row["derivativeIri"], base=row["baseIri"], derivation=row["derivationIri"],
        derivative_licence=row["derivativeLicenceIri"], base_licence=row["baseLicenceIri"], obligation=row["obligationIri"],
        certainty=row["certaintyIri"], rule=rule, rule_source=row["ruleSource"], rule_section=row["ruleSection"], labels={},
    )
    if with_evidence:
        for derivative, prop, base in lineage.path(o.derivative, o.derivation, o.base):
            o.path.append(Step(derivative, prop, base, lineage.evidence(derivative, prop, ox.NamedNode(base))))
        o.derivative_licence_evidence = lineage.licence_evidence(o.derivative, o.derivative_licence)
        o.base_licence_evidence = lineage.licence_evidence(o.base, o.base_licence)
    iris = {o.verdict, o.derivative, o.base, o.derivation, o.derivative_licence, o.base_licence, o.obligation, o.certainty, o.rule}
    for step in o.path:
        iris |= {step.derivative, step.relation, step.base}
    for evidence in (*o.derivative_licence_evidence, *o.base_licence_evidence):
        iris |= {evidence.source, evidence.says, evidence.confidence}
    for step in o.path:
        for evidence in step.evidence:
            iris |= {evidence.source, evidence.confidence}
    o.labels = {iri: lineage.label(iri) or iri for iri in sorted(iris) if iri}
    if o.base_licence and o.labels.get(o.base_licence) == o.base_licence:  # a licence the rules know by its spelling only
        spelling = lineage.first(o.base_licence, _SPELLING)
        if spelling:
            o.labels[o.base_licence] = f'"{spelling}" ({o.base_licence})'
    if o.derivative_licence and o.labels.get(o.derivative_licence) == o.derivative_licence:
        spelling = lineage.first(o.derivative_licence, _SPELLING)
        if spelling:
            o.labels[o.derivative_licence] = f'"{spelling}" ({o.derivative_licence})'
    return o


def _instances(store: ox.Store, cls: str) -> frozenset[str]:
    return frozenset(q.subject.value for q in store.quads_for_pattern(None, _A, ox.NamedNode(cls), None) if isinstance(q.subject, ox.NamedNode))


def _flowing(store: ox.Store) -> frozenset[str]:
    result = run_query(store, f"SELECT ?o WHERE {{ ?o <{SKOS}broader>* <{FLOWS_DOWN}> }}")
    return frozenset(row[0].value for row in result.rows if row[0] is not None)


def assess(store: ox.Store, query: SavedQuery | str) -> Assessment:
    """Every derivative's obligations in the atlas: the saved query's rows, nearest base per licence, with paths
    and evidence, sorted with conflicts first."""
    lineage = _Lineage(store)
    rows = _rows(store, query)
    obligations = sorted((_obligation(row, lineage) for row in _nearest(rows, lineage)), key=lambda o: o.sort_key)
    every = sorted((_obligation(row, lineage, with_evidence=False) for row in rows), key=lambda o: o.sort_key)
    labels: dict[str, str] = {}
    for o in (*every, *obligations):
        labels.update(o.labels)
    return Assessment(obligations, len(rows), every, _instances(store, MODEL_RELEASE), _instances(store, DATASET), _flowing(store), labels)


def for_release(store: ox.Store, query: SavedQuery | str, iri: str) -> ReleaseObligations:
    """One release's (or dataset's) obligations: what it owes the licences it derives from (nearest base per
    licence, with paths and evidence), and what every derivative owes its licence (without evidence: the
    derivative's own page has it)."""
    lineage = _Lineage(store)
    node = ox.NamedNode(iri)
    owed_rows = _nearest(_rows(store, query, {"derivativeIri": node}), lineage)
    owed = sorted((_obligation(row, lineage) for row in owed_rows), key=lambda o: o.sort_key)
    owed_to = sorted((_obligation(row, lineage, with_evidence=False) for row in _rows(store, query, {"baseIri": node})), key=lambda o: o.sort_key)
    return ReleaseObligations(iri, owed, owed_to)


__all__ = ["QUERY_NAME", "VERDICT", "VERDICT_ORDER", "Evidence", "Step", "Obligation", "Assessment", "ReleaseObligations",
           "find_query", "assess", "for_release"]
