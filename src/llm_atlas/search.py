"""Search: find entities and vocabulary concepts by what people call them, ranked.

Every entity of the atlas (``https://w3id.org/llm-atlas/<kind>/<slug>``) and every concept of its
vocabularies is indexed under its labels (``rdfs:label``, ``skos:prefLabel``), alternative labels
(``skos:altLabel``) and identifiers (its slug and compact name, Hugging Face, arXiv and ROR ids, Wikidata
items, SKOS notations). A hit's score says how it matched, best first:

=====  ======================================================================================
score  the whole text (case and accents ignored) ...
=====  ======================================================================================
100    is a label                 (``bloom`` finds BLOOM)
 90    is an alternative label or an identifier
 70    starts a label; 60 an alternative label or identifier
 50    every word of it starts a word of a label (``sea lion`` finds SEA-LION); 45 of the others
 40    appears inside a label; 30 inside an alternative label or identifier
<=25   is close to a label (a typo: ``lama`` finds Llama), by difflib's ratio
=====  ======================================================================================

Ties go to entities before concepts, then to the name closest in length to the text, then by label.
Spaces do not count when comparing (``open gpt`` is ``OpenGPT``). ``llm-atlas search TEXT`` prints the hits; the web
pages build one :class:`SearchIndex` and ask it for each query.

>>> index = SearchIndex([Entry("https://w3id.org/llm-atlas/project/bloom", "project", ("BLOOM",), ("BigScience Large Open-science Open-access Multilingual Language Model",), ("bloom",))])
>>> [(h.curie, h.score, h.field) for h in index.search("bloom")]
[('project:bloom', 100, 'label')]
>>> [(h.curie, h.score, h.field) for h in index.search("multilingual")]
[('project:bloom', 45, 'alternative label')]
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import pyoxigraph as ox

from .namespaces import BASE, KINDS, PREFIXES, RDF_TYPE, RDFS_LABEL, SKOS, SKOS_ALT_LABEL, SKOS_EXACT_MATCH, SKOS_NOTATION, SKOS_PREF_LABEL, curie

IDENTIFIER_PROPERTIES = (PREFIXES["atlas"] + "huggingFaceId", PREFIXES["atlas"] + "arxivId", PREFIXES["atlas"] + "rorId",
                         SKOS_EXACT_MATCH, SKOS_NOTATION)
CONCEPT = "concept"


@dataclass(frozen=True)
class Entry:
    """What an entity or concept is called: labels, alternative labels, identifiers."""

    iri: str
    kind: str  # an entity kind (organization, model, ...) or "concept"
    labels: tuple[str, ...]
    alt_labels: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    iri: str
    curie: str
    label: str
    kind: str
    score: int
    field: str  # label, alternative label, identifier
    matched: str  # the value that matched


def fold(text: str) -> str:
    """Lower case, accents and punctuation dropped, spaces single: what a search compares."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", plain).split())


def _words(text: str) -> list[str]:
    return fold(text).split()


def _score(query: str, value: str, primary: bool) -> int:
    """How well ``query`` (folded) matches ``value`` in a field that is a label (``primary``) or another name."""
    folded = fold(value)
    if not folded:
        return 0
    joined, joined_query = folded.replace(" ", ""), query.replace(" ", "")
    if folded == query or joined == joined_query:
        return 100 if primary else 90
    if folded.startswith(query) or joined.startswith(joined_query):
        return 70 if primary else 60
    words = folded.split()
    wanted = query.split()
    if wanted and all(any(w.startswith(q) for w in words) for q in wanted):
        return 50 if primary else 45
    if query in folded or joined_query in joined:
        return 40 if primary else 30
    if primary and len(query) >= 3:
        ratio = max([difflib.SequenceMatcher(None, query, folded).ratio()]
                    + [difflib.SequenceMatcher(None, query, w).ratio() for w in words if abs(len(w) - len(query)) <= 3])
        if ratio >= 0.75:
            return int(25 * ratio)
    return 0


class SearchIndex:
    """The names of every entity and concept, ready to be searched many times."""

    def __init__(self, entries: Iterable[Entry]):
        self.entries = list(entries)

    @classmethod
    def from_store(cls, store: ox.Store) -> "SearchIndex":
        names: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        kinds: dict[str, str] = {}
        for quad in store.quads_for_pattern(None, None, None, None):
            subject = quad.subject
            if not isinstance(subject, ox.NamedNode) or "#" in subject.value:
                continue
            iri, predicate, obj = subject.value, quad.predicate.value, quad.object
            if predicate == RDF_TYPE and isinstance(obj, ox.NamedNode):
                if obj.value == SKOS + "Concept":
                    kinds.setdefault(iri, CONCEPT)
                elif iri.startswith(BASE) and obj.value in KINDS.values():
                    kinds[iri] = next(k for k, c in KINDS.items() if c == obj.value)
            elif predicate in (RDFS_LABEL, SKOS_PREF_LABEL) and isinstance(obj, ox.Literal):
                names[iri]["labels"].add(obj.value)
            elif predicate == SKOS_ALT_LABEL and isinstance(obj, ox.Literal):
                names[iri]["alt"].add(obj.value)
            elif predicate in IDENTIFIER_PROPERTIES:
                value = obj.value
                names[iri]["ids"].add(value.rsplit("/", 1)[-1] if predicate == SKOS_EXACT_MATCH else value)
        entries = []
        for iri, kind in sorted(kinds.items()):
            found = names.get(iri, {})
            slug = iri.rstrip("/").rsplit("/", 1)[-1]
            identifiers = {slug, curie(iri) or iri} | found.get("ids", set())
            entries.append(Entry(iri, kind, tuple(sorted(found.get("labels", ()))), tuple(sorted(found.get("alt", ()))),
                                 tuple(sorted(identifiers))))
        return cls(entries)

    def search(self, text: str, *, limit: int = 20, kinds: Iterable[str] | None = None) -> list[Hit]:
        """The best ``limit`` hits for ``text``, best first (see the module's table of scores)."""
        query = fold(text)
        if not query:
            return []
        wanted = set(kinds) if kinds else None
        hits = []
        for entry in self.entries:
            if wanted is not None and entry.kind not in wanted:
                continue
            best = (0, "", "")
            for field, values, primary in (("label", entry.labels, True), ("alternative label", entry.alt_labels, False),
                                           ("identifier", entry.identifiers, False)):
                for value in values:
                    score = _score(query, value, primary)
                    if score > best[0]:
                        best = (score, field, value)
            if best[0]:
                label = entry.labels[0] if entry.labels else (curie(entry.iri) or entry.iri)
                hits.append(Hit(entry.iri, curie(entry.iri) or entry.iri, label, entry.kind, best[0], best[1], best[2]))
        # among equal scores: entities before concepts, then the closest in length to the text (Llama before
        # Code Llama for "lama"), then by label
        hits.sort(key=lambda h: (-h.score, h.kind == CONCEPT, abs(len(fold(h.matched)) - len(query)), fold(h.label), h.iri))
        return hits[:limit]


def search(store: ox.Store, text: str, *, limit: int = 20, kinds: Iterable[str] | None = None) -> list[Hit]:
    """:meth:`SearchIndex.search` over the entities and concepts of ``store``."""
    return SearchIndex.from_store(store).search(text, limit=limit, kinds=kinds)


def render_hits(hits: list[Hit], fmt: str = "table") -> str:
    """The hits as an aligned table (with how each matched) or as JSON."""
    if fmt == "json":
        return json.dumps([asdict(h) for h in hits], indent=1, ensure_ascii=False) + "\n"
    if not hits:
        return "no entity or concept matches\n"
    rows = [[str(h.score), h.curie, h.label, h.kind, h.field if h.field == "label" else f"{h.field}: {h.matched}"] for h in hits]
    header = ["score", "name", "label", "kind", "matched"]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [header, ["-" * w for w in widths], *rows]]
    return "\n".join(lines) + "\n"


__all__ = ["SearchIndex", "Entry", "Hit", "search", "render_hits", "fold"]
