"""Link atlas entities to Wikidata items: propose ``skos:exactMatch`` links for review, and write accepted ones.

:func:`link_wikidata` looks at every organisation, project, model, dataset, benchmark, software framework
and leaderboard that has no ``skos:exactMatch`` yet, asks a Wikidata SPARQL endpoint for items whose
English label or alias is the entity's label or one of its ``skos:altLabel`` s (case-insensitively, see
below), checks each item's type against a small table of Wikidata classes per atlas class, scores the
candidates and returns a review table. With ``apply=True`` it writes the accepted links into the entity
files, each with the :class:`atlas:StatementClaim` the data model asks for (``source:external``, the
item's page as ``atlas:evidence``, ``confidence:inferred``, the mark ``dcterms:type semapv:LexicalMatching``
that says a program matched it, and a comment asking for review).

Scoring (:data:`SCORE_LABEL` ...): the item's English label equals the entity's label: 1.0; otherwise an
alias matched (the item's alias, or the entity's altLabel): 0.8; the item is an instance of one of the
classes listed for the entity's kind (``wdt:P31/wdt:P279*``): +0.2; every other candidate of the same
entity: -0.3 each. The one candidate of an entity is ``accepted`` when its type agrees and its score is at
least 1.0 (label + type = 1.2, alias + type = 1.0); an entity with several candidates gets them all as
``ambiguous`` (the penalty keeps each below 1.0: a person decides); a lone candidate of another type is
listed as ``none``, as is an entity with no candidate at all.

Matching is case-insensitive the way a Wikidata endpoint can afford it: a label lookup with a bound literal
is an index lookup, ``LCASE`` over every label is not. Each string is sent in a few case variants (as
written, lower case, upper case, title case, first letter capitalised) and the answers are checked with
``str.casefold`` here, so "Alpha-7B" finds an item labelled "alpha-7b" but not one labelled "aLpHa-7b".

Politeness and safety: a descriptive User-Agent (with a contact address when one is given, or
``$LLM_ATLAS_CONTACT``), at most :data:`BATCH_SIZE` entities per request, one request at a time, a timeout,
and on HTTP 429 or 503 a wait of ``Retry-After`` seconds (capped) before a bounded number of retries
(:class:`~llm_atlas.sparql_client.SparqlEndpoint`, the client every outgoing query goes through).
Strings from the graph enter the query only through :func:`sparql_literal`, which escapes them so that no
label can end the literal: a label is always a value, never query text.
"""

from __future__ import annotations

import json
import os
import re
import string
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .version import __version__
from .errors import InvalidData, Problem, UsageError
from .canonical_turtle import format_text
from .layout import relpath_of_graph
from .namespaces import DCTERMS_TYPE, KINDS, LEXICAL_MATCHING, PREFIXES, SKOS_EXACT_MATCH, shorten
from .sparql_client import DEFAULT_TIMEOUT, SparqlEndpoint
from .store import atomic_write_text

WIKIDATA_ENDPOINT = "https://query.wikidata.org/sparql"
ENTITY = "http://www.wikidata.org/entity/"
WIKI_PAGE = "https://www.wikidata.org/wiki/"
PROJECT_URL = "https://w3id.org/llm-atlas"

APPLY_COMMENT = "matched by llm-atlas link on label and type; review"

BATCH_SIZE = 20  # entities per request
TIMEOUT = DEFAULT_TIMEOUT  # seconds per request (the public endpoint stops a query after 60 s)
MAX_RETRIES = 3  # after a 429 or 503

SCORE_LABEL = 1.0
SCORE_ALIAS = 0.8
SCORE_TYPE = 0.2
PENALTY_PER_OTHER_CANDIDATE = 0.3
ACCEPT_AT = 1.0

# The kinds of entity linked, and the Wikidata classes an item of each must be an instance of (directly or
# through subclasses, wdt:P31/wdt:P279*) for its type to agree. Kept small on purpose: a broad class (say
# "entity") would make every homonym agree. Each Q-id was checked against public Wikidata queries and
# documentation that use it with this meaning (for example `?item wdt:P31/wdt:P279* wd:Q4830453` for
# businesses, `wd:Q115305900 # large language model`, `wd:Q1172284` for dcat:Dataset's close match).
WIKIDATA_CLASSES: dict[str, str] = {
    "Q43229": "organization",
    "Q4830453": "business",
    "Q31855": "research institute",
    "Q163740": "nonprofit organization",
    "Q1298668": "research project",
    "Q7397": "software",
    "Q341": "free software",
    "Q1172284": "dataset",
    "Q115305900": "large language model",
    "Q35127": "website",
}
TYPES_BY_KIND: dict[str, tuple[str, ...]] = {
    # an organisation: any organisation (businesses, research institutes and non-profits are subclasses,
    # listed so the table says what is meant)
    "organization": ("Q43229", "Q4830453", "Q31855", "Q163740"),
    # a project: Wikidata files open LLM efforts as research projects, as organisations (BigScience), or
    # under the model they released
    "project": ("Q1298668", "Q43229", "Q115305900"),
    "model": ("Q115305900",),
    "dataset": ("Q1172284",),
    # benchmarks are evaluation datasets (atlas:Benchmark is a dcat:Dataset)
    "benchmark": ("Q1172284",),
    "framework": ("Q7397", "Q341"),
    # a leaderboard is a public ranking page
    "leaderboard": ("Q35127",),
}
LINKED_KINDS = tuple(TYPES_BY_KIND)

ACCEPTED, AMBIGUOUS, NONE = "accepted", "ambiguous", "none"
_QID = re.compile(r"^Q[1-9][0-9]*$")


# -- escaping ------------------------------------------------------------------------------------------

_SPARQL_ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")


def sparql_literal(value: str, language: str | None = "en") -> str:
    """A SPARQL string literal whose value is exactly ``value`` (``"..."@en`` by default).

    Every character that could end the literal or the line is escaped with the SPARQL escapes (ECHAR):
    backslash, double quote, line feed, carriage return, tab, backspace and form feed. Braces, ``#``,
    ``.``, ``;`` and ``'`` need no escape inside a double-quoted literal: once the quote cannot be closed
    early they are just characters of the value (escaping ``'`` is legal, but some parsers then fail).

    Codepoint escapes (``\\uXXXX``) are the trap: SPARQL 1.1 replaces them before parsing, some engines
    only where the backslash is not itself escaped, SPARQL 1.2 and Oxigraph read them inside strings. A
    value holding a backslash followed by ``u`` (the text ``\\u0022``, say) would read back as a quote
    under one of these rules whatever single escape is chosen. So a ``u`` or ``U`` right after a backslash
    of the value is written as ``\\u0075`` / ``\\u0055``, and the hex digits after it as ``\\u0030``...
    (so that no reader takes them for an eight-digit escape): the backslash stays ``\\\\``, no ``\\u`` of
    the value is left for a replacement to misread, and every one of those rules reads the value back
    unchanged. NUL and unpaired surrogates cannot be sent at all and are refused.
    """
    if not isinstance(value, str):
        raise TypeError(f"a SPARQL literal needs a str, not {type(value).__name__}")
    if "\x00" in value or any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise UsageError(f"cannot send {value!r} to a SPARQL endpoint: it contains NUL or an unpaired surrogate")
    out = []
    spelled = False  # inside a "\\u..." of the value: its letter and the hex digits after it are spelled out
    for i, char in enumerate(value):
        if char in "uU" and i and value[i - 1] == "\\":
            spelled = True
        elif spelled and char not in string.hexdigits:
            spelled = False
        out.append(f"\\u{ord(char):04X}" if spelled else _SPARQL_ESCAPES.get(char, char))
    body = "".join(out)
    if language is None:
        return f'"{body}"'
    if not _LANGUAGE_TAG.fullmatch(language):
        raise UsageError(f"{language!r} is not a language tag")
    return f'"{body}"@{language}'


def case_variants(text: str) -> list[str]:
    """The spellings sent for one string (see the module docstring), sorted, without repeats."""
    variants = {text, text.lower(), text.upper(), text.title(), text[:1].upper() + text[1:]}
    return sorted(v for v in variants if v)


# -- the review table ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    qid: str
    label: str
    description: str
    match: str  # "label" or "alias"
    type_agrees: bool
    classes: tuple[str, ...]


@dataclass(frozen=True)
class ReviewRow:
    """One line of the review table: an entity and one candidate (or none)."""

    entity: str  # the entity IRI
    entity_label: str
    kind: str
    qid: str  # "" when there is no candidate
    label: str
    description: str
    match: str  # "label", "alias" or ""
    type_agrees: bool
    candidates: int  # how many candidates the entity has
    score: float
    decision: str  # accepted, ambiguous or none

    @property
    def item(self) -> str:
        return ENTITY + self.qid if self.qid else ""

    @property
    def why(self) -> str:
        if not self.qid:
            return "no item with this label or alias"
        parts = [self.match, "type agrees" if self.type_agrees else "other type"]
        if self.candidates > 1:
            parts.append(f"{self.candidates} candidates")
        return ", ".join(parts)


@dataclass(frozen=True)
class AppliedLink:
    entity: str
    qid: str
    path: str  # the entity file, relative to the checkout


@dataclass
class LinkReport:
    """What :func:`link_wikidata` found (``rows``) and, with ``apply``, wrote (``applied``)."""

    endpoint: str
    rows: list[ReviewRow] = field(default_factory=list)
    applied: list[AppliedLink] = field(default_factory=list)
    entities: int = 0  # entities without a link that were looked up
    requests: int = 0  # HTTP requests sent, retries included
    waited: float = 0.0  # seconds spent waiting out 429/503 answers
    seconds: float = 0.0

    COLUMNS = ("entity", "qid", "label", "description", "score", "decision", "why")

    @property
    def accepted(self) -> list[ReviewRow]:
        return [r for r in self.rows if r.decision == ACCEPTED]

    @property
    def ambiguous(self) -> list[ReviewRow]:
        return [r for r in self.rows if r.decision == AMBIGUOUS]

    def table_rows(self) -> list[list[str]]:
        return [[shorten(r.entity), r.qid, r.label, r.description, f"{r.score:.1f}" if r.qid else "", r.decision, r.why]
                for r in self.rows]

    def to_table(self) -> str:
        """The review table as aligned text, with a summary line."""
        rows = [[cell.replace("\n", " ").replace("\t", " ") for cell in row] for row in self.table_rows()]
        widths = [max([len(c)] + [len(r[i]) for r in rows]) for i, c in enumerate(self.COLUMNS)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(self.COLUMNS, widths)).rstrip(), "  ".join("-" * w for w in widths)]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.append(self.summary())
        return "\n".join(lines) + "\n"

    def to_tsv(self) -> str:
        def cell(text: str) -> str:
            return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")

        return "".join("\t".join(cell(c) for c in row) + "\n" for row in [list(self.COLUMNS), *self.table_rows()])

    def to_json(self) -> str:
        payload = {
            "endpoint": self.endpoint,
            "entities": self.entities,
            "requests": self.requests,
            "waited": self.waited,
            "rows": [{**asdict(r), "item": r.item} for r in self.rows],
            "applied": [asdict(a) for a in self.applied],
        }
        return json.dumps(payload, indent=1, ensure_ascii=False) + "\n"

    def render(self, fmt: str = "table") -> str:
        if fmt == "json":
            return self.to_json()
        if fmt == "tsv":
            return self.to_tsv()
        return self.to_table()

    def summary(self) -> str:
        linked = {r.entity for r in self.rows if r.decision == ACCEPTED}
        review = {r.entity for r in self.rows if r.decision == AMBIGUOUS}
        other_type = {r.entity for r in self.rows if r.decision == NONE and r.qid}
        nothing = {r.entity for r in self.rows if not r.qid}
        text = (f"{self.entities} entities without a Wikidata link looked up in {self.requests} request(s): "
                f"{len(linked)} accepted, {len(review)} ambiguous, {len(other_type)} matched only an item of another type, "
                f"{len(nothing)} without a candidate")
        if self.applied:
            text += f"; {len(self.applied)} link(s) written to {len({a.path for a in self.applied})} file(s)"
        return text


# -- the endpoint --------------------------------------------------------------------------------------


def user_agent(contact: str | None = None) -> str:
    """``llm-atlas/<version> (https://w3id.org/llm-atlas; mailto:<contact>)``, as Wikimedia's policy asks."""
    contact = contact if contact is not None else os.environ.get("LLM_ATLAS_CONTACT", "")
    contact = contact.strip().removeprefix("mailto:")
    if contact and not re.fullmatch(r"[^\s;()<>@]+@[^\s;()<>@]+", contact):
        raise UsageError(f"the contact address {contact!r} is not an e-mail address")
    return f"llm-atlas/{__version__} ({PROJECT_URL}" + (f"; mailto:{contact}" if contact else "") + ")"


# -- the entities --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entity:
    iri: str
    kind: str
    label: str
    alt_labels: tuple[str, ...]
    relpath: str  # the file it lives in

    @property
    def strings(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys((self.label, *self.alt_labels)))


_ENTITIES_QUERY = """
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?entity ?class ?label ?alt ?graph WHERE {
  GRAPH ?graph { ?entity a ?class ; rdfs:label ?label . }
  FILTER (LANGMATCHES(LANG(?label), "en"))
  FILTER NOT EXISTS { ?entity skos:exactMatch ?linked }
  FILTER NOT EXISTS { ?entity owl:deprecated true }
  OPTIONAL { ?entity skos:altLabel ?alt . FILTER (LANGMATCHES(LANG(?alt), "en")) }
}
"""


def unlinked_entities(store: ox.Store, kinds: Iterable[str]) -> list[Entity]:
    """The entities of the given kinds without a ``skos:exactMatch``, sorted by IRI."""
    wanted = {KINDS[k]: k for k in kinds}
    found: dict[str, dict] = {}
    for solution in store.query(_ENTITIES_QUERY, use_default_graph_as_union=True):
        cls = solution["class"].value
        if cls not in wanted:
            continue
        iri = solution["entity"].value
        if not iri.startswith(PREFIXES[wanted[cls]]):
            continue  # a node typed with the class but not an entity of that kind (a fragment, say)
        graph = solution["graph"]
        relpath = relpath_of_graph(graph.value) if isinstance(graph, ox.NamedNode) else None
        if relpath is None or not relpath.startswith("graph/"):
            continue
        entry = found.setdefault(iri, {"kind": wanted[cls], "label": solution["label"].value, "alts": set(), "relpath": relpath})
        if solution["alt"] is not None:
            entry["alts"].add(solution["alt"].value)
    return [Entity(iri, e["kind"], e["label"], tuple(sorted(e["alts"] - {e["label"]})), e["relpath"])
            for iri, e in sorted(found.items())]


# -- the query -----------------------------------------------------------------------------------------


def candidates_query(strings: Iterable[str]) -> str:
    """The SELECT sent for one batch: items whose English label or alias is one of ``strings``, with their
    English label and description and which of :data:`WIKIDATA_CLASSES` they are instances of."""
    values = "\n    ".join(sparql_literal(s) for s in sorted(set(strings)))
    classes = " ".join(f"wd:{qid}" for qid in sorted(WIKIDATA_CLASSES, key=lambda q: int(q[1:])))
    return f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <http://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX wd: <http://www.wikidata.org/entity/>
PREFIX wdt: <http://www.wikidata.org/prop/direct/>
SELECT ?text ?item ?how ?itemLabel ?description ?class WHERE {{
  VALUES ?text {{
    {values}
  }}
  {{ ?item rdfs:label ?text . BIND ("label" AS ?how) }}
  UNION
  {{ ?item skos:altLabel ?text . BIND ("alias" AS ?how) }}
  FILTER (STRSTARTS(STR(?item), "http://www.wikidata.org/entity/Q"))
  OPTIONAL {{ ?item rdfs:label ?itemLabel . FILTER (LANG(?itemLabel) = "en") }}
  OPTIONAL {{ ?item schema:description ?description . FILTER (LANG(?description) = "en") }}
  OPTIONAL {{
    VALUES ?class {{ {classes} }}
    ?item wdt:P31/wdt:P279* ?class .
  }}
}}
"""


def _value(binding: dict, name: str) -> str:
    term = binding.get(name)
    return term.value if term is not None else ""


def score_candidates(entity: Entity, bindings: list[dict]) -> list[Candidate]:
    """The candidates of one entity among the answers of its batch (one dict of variable -> term a row)."""
    folded = {s.casefold() for s in entity.strings}
    label = entity.label.casefold()
    items: dict[str, dict] = {}
    for b in bindings:
        text = _value(b, "text")
        if text.casefold() not in folded:
            continue
        iri = _value(b, "item")
        qid = iri[len(ENTITY):] if iri.startswith(ENTITY) else ""
        if not _QID.fullmatch(qid):
            continue
        item = items.setdefault(qid, {"label": "", "description": "", "by_label": False, "classes": set()})
        item["label"] = item["label"] or _value(b, "itemLabel")
        item["description"] = item["description"] or _value(b, "description")
        if _value(b, "how") == "label" and text.casefold() == label:
            item["by_label"] = True
        cls = _value(b, "class")
        if cls.startswith(ENTITY) and cls[len(ENTITY):] in WIKIDATA_CLASSES:
            item["classes"].add(cls[len(ENTITY):])
    wanted = set(TYPES_BY_KIND[entity.kind])
    return [
        Candidate(qid, i["label"], i["description"], "label" if i["by_label"] else "alias", bool(i["classes"] & wanted),
                  tuple(sorted(i["classes"], key=lambda q: int(q[1:]))))
        for qid, i in sorted(items.items(), key=lambda kv: int(kv[0][1:]))
    ]


def review(entity: Entity, candidates: list[Candidate]) -> list[ReviewRow]:
    """The review rows of one entity: its candidates scored and decided (see the module docstring)."""
    if not candidates:
        return [ReviewRow(entity.iri, entity.label, entity.kind, "", "", "", "", False, 0, 0.0, NONE)]
    n = len(candidates)
    rows = []
    for c in candidates:
        score = (SCORE_LABEL if c.match == "label" else SCORE_ALIAS) + (SCORE_TYPE if c.type_agrees else 0.0)
        score = round(score - PENALTY_PER_OTHER_CANDIDATE * (n - 1), 2)
        if n == 1:
            decision = ACCEPTED if c.type_agrees and score >= ACCEPT_AT else NONE
        else:
            decision = AMBIGUOUS
        rows.append(ReviewRow(entity.iri, entity.label, entity.kind, c.qid, c.label, c.description, c.match,
                              c.type_agrees, n, score, decision))
    return sorted(rows, key=lambda r: (-r.score, int(r.qid[1:])))


# -- writing accepted links ----------------------------------------------------------------------------


def claim_turtle(entity: str, qid: str) -> str:
    """The link and its backing claim, in Turtle with full IRIs (the formatter lays it out)."""
    item = ENTITY + qid
    claim = f"{entity}#exactmatch-{qid.lower()}"
    atlas = PREFIXES["atlas"]
    rdf = PREFIXES["rdf"]
    return (
        f"<{entity}> <{SKOS_EXACT_MATCH}> <{item}> .\n"
        f"<{claim}> a <{atlas}StatementClaim> ;\n"
        f"    <{rdf}subject> <{entity}> ;\n"
        f"    <{rdf}predicate> <{SKOS_EXACT_MATCH}> ;\n"
        f"    <{rdf}object> <{item}> ;\n"
        f"    <{atlas}source> <{PREFIXES['source']}external> ;\n"
        f"    <{atlas}evidence> <{WIKI_PAGE}{qid}> ;\n"
        f"    <{atlas}confidence> <{PREFIXES['confidence']}inferred> ;\n"
        f"    <{DCTERMS_TYPE}> <{LEXICAL_MATCHING}> ;\n"
        f"    <{PREFIXES['rdfs']}comment> {sparql_literal(APPLY_COMMENT)} .\n"
    )


def apply_links(root: Path, links: list[tuple[Entity, str]]) -> list[AppliedLink]:
    """Add each (entity, Q-id) link with its claim to the entity's file, in canonical form.

    Every new text is formatted (and proven by the formatter) before any file is written; a file the
    formatter refuses (one with a ``#`` comment, say) stops the whole apply with its problem and writes
    nothing. Each write is atomic; files without an accepted link are not touched.
    """
    by_file: dict[str, list[tuple[Entity, str]]] = {}
    for entity, qid in links:
        by_file.setdefault(entity.relpath, []).append((entity, qid))
    texts: dict[str, str] = {}
    problems: list[Problem] = []
    for relpath, items in sorted(by_file.items()):
        path = root / relpath
        try:
            original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(relpath, 0, 0, "unreadable", f"cannot read the file to add the link: {error}"))
            continue
        addition = "".join(claim_turtle(entity.iri, qid) for entity, qid in sorted(items, key=lambda x: (x[0].iri, x[1])))
        try:
            texts[relpath] = format_text(original.rstrip("\n") + "\n\n" + addition, relpath)
        except InvalidData as error:
            problems += error.problems
    if problems:
        raise InvalidData(problems, "no link was written: fix these files (or run `llm-atlas fmt` on them) and run link again")
    for relpath, text in texts.items():
        atomic_write_text(root / relpath, text)
    return [AppliedLink(entity.iri, qid, entity.relpath) for entity, qid in sorted(links, key=lambda x: (x[0].iri, x[1]))]


# -- the job -------------------------------------------------------------------------------------------


def link_wikidata(store: ox.Store, root: Path, endpoint: str = WIKIDATA_ENDPOINT, kinds: Iterable[str] | None = None,
                  apply: bool = False, *, batch_size: int = BATCH_SIZE, timeout: float = TIMEOUT, max_retries: int = MAX_RETRIES,
                  contact: str | None = None, sleep: Callable[[float], None] = time.sleep) -> LinkReport:
    """Propose Wikidata links for the unlinked entities of ``store``; with ``apply``, write the accepted ones
    into the files of the checkout at ``root`` (the caller rebuilds the store afterwards).

    ``kinds`` limits the entity kinds (folder names such as ``organization`` or ``model``; default: all of
    :data:`LINKED_KINDS`). Raises :class:`~llm_atlas.errors.UsageError` for a bad kind or an endpoint that
    cannot be used, and :class:`~llm_atlas.errors.InvalidData` when an accepted link cannot be written.
    """
    started = time.perf_counter()
    chosen = list(LINKED_KINDS) if kinds is None else list(dict.fromkeys(kinds))
    unknown = [k for k in chosen if k not in TYPES_BY_KIND]
    if unknown or not chosen:
        raise UsageError(f"cannot link kind {', '.join(unknown) or '(none)'}: choose among {', '.join(LINKED_KINDS)}")
    if batch_size < 1:
        raise UsageError("the batch size must be at least 1")
    client = SparqlEndpoint(endpoint, agent=user_agent(contact), timeout=timeout, max_retries=max_retries, sleep=sleep)

    entities = unlinked_entities(store, chosen)
    report = LinkReport(endpoint=endpoint, entities=len(entities))
    for start in range(0, len(entities), batch_size):
        batch = entities[start:start + batch_size]
        strings = [variant for e in batch for s in e.strings for variant in case_variants(s)]
        answer = client.select(candidates_query(strings))
        bindings = [{v: t for v, t in zip(answer.variables, row) if t is not None} for row in answer.rows]
        for entity in batch:
            report.rows += review(entity, score_candidates(entity, bindings))
    report.requests, report.waited = client.requests, client.waited
    report.rows.sort(key=lambda r: (r.entity, -r.score, int(r.qid[1:]) if r.qid else 0))

    if apply and report.accepted:
        by_iri = {e.iri: e for e in entities}
        report.applied = apply_links(root, [(by_iri[r.entity], r.qid) for r in report.accepted])
    report.seconds = time.perf_counter() - started
    return report


__all__ = [
    "link_wikidata", "LinkReport", "ReviewRow", "AppliedLink", "Candidate", "Entity",
    "sparql_literal", "case_variants", "candidates_query", "user_agent",
    "WIKIDATA_ENDPOINT", "WIKIDATA_CLASSES", "TYPES_BY_KIND", "LINKED_KINDS", "ACCEPTED", "AMBIGUOUS", "NONE",
]
