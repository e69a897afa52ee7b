"""Export the atlas's external links as an SSSOM mapping set (SSSOM/TSV with its YAML metadata block).

Every identifier claim of the atlas (a :class:`atlas:StatementClaim` about one of
:data:`IDENTIFIER_PROPERTIES`) becomes one mapping record: its subject is the entity, its predicate the
identifier property, its object the identifier as an IRI, and its provenance comes from the claim.

- Identifiers that are not IRIs become IRIs: a Hugging Face id is ``https://huggingface.co/<id>`` for a
  model, an organisation or a project, ``https://huggingface.co/datasets/<id>`` for a dataset or
  benchmark and ``https://huggingface.co/spaces/<id>`` for a leaderboard (a Space); an arXiv id is
  ``https://arxiv.org/abs/<id>``. The identifier as the atlas writes it is kept in ``object_label``.
- Every identifier is written as a CURIE (SSSOM/TSV requires it) with its prefix in the ``curie_map``.
- ``confidence`` follows the claim's ``atlas:confidence``: stated 1.0, paraphrased 0.9, inferred 0.6
  (:data:`CONFIDENCE`).
- ``mapping_justification`` is ``semapv:ManualMappingCuration`` for a claim someone wrote from a source,
  and ``semapv:LexicalMatching`` for a claim marked ``dcterms:type semapv:LexicalMatching`` (what
  ``llm-atlas link --apply`` writes on the links it matched on labels).
- ``see_also`` is the claim's evidence page(s) (for a claim an import wrote, its source record's), ``mapping_source`` the atlas source it comes from
  (``source:external`` ...; the first by IRI if a claim names several), ``record_id`` the claim's IRI and
  ``comment`` the claim's ``rdfs:comment``.

The file follows the canonical SSSOM/TSV rules where they apply: ``curie_map`` first, without the
built-in prefixes and without unused ones, sorted; columns in the order of the Mapping class's slots, with
columns no record uses left out; records sorted; values quoted only when they must be; numbers with at
most three decimals. The output depends only on the graph, and is written atomically.

Specification: https://mapping-commons.github.io/sssom/ (slots checked against
``sssom_schema.yaml`` of mapping-commons/sssom).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import UsageError
from .namespaces import DCTERMS_TYPE, KIND_OF_CLASS, KINDS, LEXICAL_MATCHING, OWL, PREFIXES, RDF, RDFS, SKOS, XSD
from .store import atomic_write_text

ATLAS = PREFIXES["atlas"]

MAPPING_SET_ID = "https://w3id.org/llm-atlas/mappings/llm-atlas.sssom.tsv"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"

# The identifier properties (the "External identifiers" section of ontology/atlas.ttl) and their labels.
IDENTIFIER_PROPERTIES: dict[str, str] = {
    SKOS + "exactMatch": "exact match",
    ATLAS + "huggingFaceId": "Hugging Face id",
    ATLAS + "arxivId": "arXiv id",
    ATLAS + "rorId": "ROR id",
    ATLAS + "sourceRepository": "source repository",
    ATLAS + "license": "license",
}

CONFIDENCE: dict[str, float] = {"stated": 1.0, "paraphrased": 0.9, "inferred": 0.6}
MANUAL = "semapv:ManualMappingCuration"
LEXICAL = "semapv:LexicalMatching"

# SSSOM's built-in prefixes: never declared in a canonical curie_map (and never redefined).
BUILT_IN: dict[str, str] = {
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "semapv": "https://w3id.org/semapv/vocab/",
    "skos": SKOS,
    "sssom": "https://w3id.org/sssom/",
    "xsd": XSD,
    "linkml": "https://w3id.org/linkml/",
}

# Prefixes for the objects (names as the Bioregistry spells them where it has one).
OBJECT_PREFIXES: dict[str, str] = {
    "wikidata": "http://www.wikidata.org/entity/",
    "huggingface": "https://huggingface.co/",
    "huggingface.datasets": "https://huggingface.co/datasets/",
    "huggingface.spaces": "https://huggingface.co/spaces/",
    "arxiv": "https://arxiv.org/abs/",
    "ror": "https://ror.org/",
    "spdx": "https://spdx.org/licenses/",
    "github": "https://github.com/",
    "gitlab": "https://gitlab.com/",
}
HUGGING_FACE_NAMESPACE_BY_KIND = {
    "dataset": "https://huggingface.co/datasets/",
    "benchmark": "https://huggingface.co/datasets/",
    "leaderboard": "https://huggingface.co/spaces/",
}

# The columns, in the order of the slots of SSSOM's Mapping class (the canonical order).
COLUMNS = (
    "record_id", "subject_id", "subject_label", "subject_category", "predicate_id", "predicate_label",
    "object_id", "object_label", "mapping_justification", "mapping_source", "confidence", "see_also", "comment",
)
REQUIRED_COLUMNS = ("subject_id", "predicate_id", "object_id", "mapping_justification")


@dataclass
class MappingExport:
    """What :func:`export_sssom` wrote."""

    path: Path | None
    records: int
    prefixes: dict[str, str] = field(default_factory=dict)
    text: str = ""

    def summary(self) -> str:
        where = f" to {self.path}" if self.path else ""
        return f"{self.records} mapping record(s) written{where} (SSSOM/TSV, {len(self.prefixes)} prefixes)"


class _Curies:
    """Compacts IRIs to CURIEs with a fixed prefix table, and remembers the prefixes used."""

    def __init__(self, table: dict[str, str]):
        self.table = dict(table)
        self.used: dict[str, str] = {}

    def curie(self, iri: str) -> str:
        best = max((p for p, ns in self.table.items() if iri.startswith(ns) and len(iri) > len(ns)),
                   key=lambda p: (len(self.table[p]), p), default=None)
        if best is None:
            best = self._derive(iri)
        if best not in BUILT_IN:
            self.used[best] = self.table[best]
        return f"{best}:{iri[len(self.table[best]):]}"

    def _derive(self, iri: str) -> str:
        """A prefix for an IRI no table prefix covers: its host (``codeberg.org``), else ``ns1``, ``ns2``..."""
        match = re.match(r"^(https?://([^/?#]+)/)", iri)
        if match:
            namespace, host = match.groups()
            name = re.sub(r"[^A-Za-z0-9.\-_]", "-", host.lower())
            name = name if re.match(r"^[A-Za-z_]", name) else "host-" + name
        else:
            cut = max(iri.rfind("/"), iri.rfind("#"), iri.find(":"))
            namespace, name = iri[:cut + 1], "ns"
        base, n = name, 1
        while name in self.table and self.table[name] != namespace or name in BUILT_IN:
            n += 1
            name = f"{base}{n}"
        self.table[name] = namespace
        return name


# -- reading the claims --------------------------------------------------------------------------------

_CLAIMS_QUERY = """
PREFIX atlas: <https://w3id.org/llm-atlas/ontology/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?claim ?subject ?predicate ?object ?confidence ?source ?evidence ?comment ?method ?label ?class WHERE {
  ?claim a atlas:StatementClaim ;
         rdf:subject ?subject ;
         rdf:predicate ?predicate ;
         rdf:object ?object .
  FILTER (?predicate IN (%s))
  FILTER EXISTS { ?subject ?predicate ?object }
  OPTIONAL { ?claim atlas:confidence ?confidence }
  OPTIONAL { ?claim atlas:source ?source }
  # a claim an import wrote has its evidence on the source record it derives from
  OPTIONAL { { ?claim atlas:evidence ?evidence } UNION { ?claim prov:wasDerivedFrom/atlas:evidence ?evidence } }
  OPTIONAL { ?claim rdfs:comment ?comment . FILTER (LANG(?comment) = "" || LANGMATCHES(LANG(?comment), "en")) }
  OPTIONAL { ?claim <%s> ?method }
  OPTIONAL { ?subject rdfs:label ?label }
  OPTIONAL { ?subject a ?class . FILTER (?class IN (%s)) }
}
""" % (", ".join(f"<{p}>" for p in IDENTIFIER_PROPERTIES), DCTERMS_TYPE, ", ".join(f"<{c}>" for c in KINDS.values()))


@dataclass
class _Claim:
    iri: str
    subject: str
    predicate: str
    object: ox.NamedNode | ox.Literal
    confidence: set[str] = field(default_factory=set)
    sources: set[str] = field(default_factory=set)
    evidence: set[str] = field(default_factory=set)
    comments: set[str] = field(default_factory=set)
    methods: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)
    classes: set[str] = field(default_factory=set)


def identifier_claims(store: ox.Store) -> list[_Claim]:
    """Every identifier claim whose triple the graph asserts, sorted by claim IRI."""
    claims: dict[str, _Claim] = {}
    for s in store.query(_CLAIMS_QUERY, use_default_graph_as_union=True):
        if not isinstance(s["claim"], ox.NamedNode) or not isinstance(s["subject"], ox.NamedNode):
            continue  # blank nodes have no identifier to export
        obj = s["object"]
        if not isinstance(obj, (ox.NamedNode, ox.Literal)):
            continue
        claim = claims.setdefault(s["claim"].value, _Claim(s["claim"].value, s["subject"].value, s["predicate"].value, obj))
        for name, bag in (("confidence", claim.confidence), ("source", claim.sources), ("evidence", claim.evidence),
                          ("comment", claim.comments), ("method", claim.methods), ("label", claim.labels), ("class", claim.classes)):
            term = s[name]
            if term is not None:
                bag.add(term.value)
    return [claims[k] for k in sorted(claims)]


# -- writing -------------------------------------------------------------------------------------------


def _object_iri(claim: _Claim, kind: str) -> str:
    if isinstance(claim.object, ox.NamedNode):
        return claim.object.value
    value = claim.object.value.strip()
    if claim.predicate == ATLAS + "huggingFaceId":
        return HUGGING_FACE_NAMESPACE_BY_KIND.get(kind, "https://huggingface.co/") + value
    if claim.predicate == ATLAS + "arxivId":
        return "https://arxiv.org/abs/" + value
    raise UsageError(f"{claim.iri}: cannot turn the {IDENTIFIER_PROPERTIES[claim.predicate]} {value!r} into an IRI")


def _justification(claim: _Claim) -> str:
    """Lexical matching for a claim marked ``dcterms:type semapv:LexicalMatching`` (as ``link --apply`` writes
    it); manual curation for every other claim, which someone wrote from a source."""
    return LEXICAL if LEXICAL_MATCHING in claim.methods else MANUAL


def _confidence(claim: _Claim) -> str:
    levels = [CONFIDENCE[c.rsplit("/", 1)[1]] for c in claim.confidence if c.rsplit("/", 1)[1] in CONFIDENCE]
    return _number(min(levels)) if levels else ""


def _number(value: float) -> str:
    """At most three decimals, no trailing zeros (SSSOM's canonical form): 1.0 -> "1", 0.90 -> "0.9"."""
    text = f"{value:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def _cell(value: str) -> str:
    """A TSV value, quoted (RFC 4180 style, as SSSOM/TSV says) only when it has a tab, line break or quote."""
    if any(c in value for c in '\t\n\r"'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _kind_of(claim: _Claim) -> str:
    kinds = sorted(KIND_OF_CLASS[c] for c in claim.classes if c in KIND_OF_CLASS)
    if kinds:
        return kinds[0]
    for kind in KINDS:
        if claim.subject.startswith(PREFIXES[kind]):
            return kind
    return ""


def records(store: ox.Store) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The mapping records (column -> value) and the prefixes they use."""
    curies = _Curies({**{k: PREFIXES[k] for k in KINDS}, "atlas": ATLAS, "source": PREFIXES["source"], "skos": SKOS,
                      **OBJECT_PREFIXES})
    rows = []
    for claim in identifier_claims(store):
        kind = _kind_of(claim)
        cls = sorted(c for c in claim.classes if c in KIND_OF_CLASS)
        rows.append({
            "record_id": curies.curie(claim.iri),
            "subject_id": curies.curie(claim.subject),
            "subject_label": sorted(claim.labels)[0] if claim.labels else "",
            "subject_category": curies.curie(cls[0]) if cls else "",
            "predicate_id": curies.curie(claim.predicate),
            "predicate_label": IDENTIFIER_PROPERTIES[claim.predicate],
            "object_id": curies.curie(_object_iri(claim, kind)),
            "object_label": claim.object.value if isinstance(claim.object, ox.Literal) else "",
            "mapping_justification": _justification(claim),
            "mapping_source": curies.curie(sorted(claim.sources)[0]) if claim.sources else "",
            "confidence": _confidence(claim),
            "see_also": "|".join(sorted(claim.evidence)),
            "comment": " ".join(sorted(claim.comments)),
        })
    rows.sort(key=lambda r: tuple(r[c] for c in COLUMNS))
    return rows, dict(sorted(curies.used.items()))


def _yaml_scalar(value: str) -> str:
    """A YAML scalar: plain when that reads back as the same string, double-quoted otherwise."""
    plain = (
        re.fullmatch(r"[A-Za-z][A-Za-z0-9 _./:()',\-]*", value)
        and ": " not in value and " #" not in value and not value.endswith((":", " "))
        and value.lower() not in {"true", "false", "yes", "no", "on", "off", "null", "y", "n"}
    )
    return value if plain else json.dumps(value, ensure_ascii=False)


def metadata_block(prefixes: dict[str, str]) -> str:
    """The YAML metadata block, every line starting with ``#``."""
    description = (
        "The external identifiers of the entities of LLM Atlas (Wikidata items, Hugging Face repositories, "
        "arXiv papers, ROR ids, source repositories, SPDX licences), one record per identifier claim of the atlas."
    )
    comment = (
        "confidence is the atlas claim's: stated 1, paraphrased 0.9, inferred 0.6. mapping_justification is "
        "semapv:ManualMappingCuration for a claim written from a source, semapv:LexicalMatching for a link "
        "llm-atlas link matched on labels and types (to review). see_also is the claim's evidence, "
        "mapping_source the atlas source, record_id the claim."
    )
    lines = ["curie_map:"]
    lines += [f"  {name}: {_yaml_scalar(ns)}" for name, ns in sorted(prefixes.items())]
    lines += [
        f"sssom_version: {_yaml_scalar('1.1')}",
        f"mapping_set_id: {_yaml_scalar(MAPPING_SET_ID)}",
        f"mapping_set_title: {_yaml_scalar('LLM Atlas external identifiers')}",
        f"mapping_set_description: {_yaml_scalar(description)}",
        "creator_label:",
        f"  - {_yaml_scalar('LLM Atlas contributors')}",
        f"license: {_yaml_scalar(LICENSE)}",
        f"subject_type: {_yaml_scalar('owl named individual')}",
        f"comment: {_yaml_scalar(comment)}",
    ]
    return "".join("#" + line + "\n" for line in lines)


def sssom_text(store: ox.Store) -> tuple[str, int, dict[str, str]]:
    """(SSSOM/TSV text, number of records, curie_map) for the graph in ``store``."""
    rows, prefixes = records(store)
    columns = [c for c in COLUMNS if c in REQUIRED_COLUMNS or any(r[c] for r in rows)]
    out = [metadata_block(prefixes), "\t".join(columns) + "\n"]
    out += ["\t".join(_cell(r[c]) for c in columns) + "\n" for r in rows]
    return "".join(out), len(rows), prefixes


def export_sssom(store: ox.Store, out_path: str | os.PathLike) -> MappingExport:
    """Write every external link of the atlas in ``store`` as SSSOM/TSV to ``out_path``, atomically."""
    path = Path(out_path)
    if path.is_dir():
        raise UsageError(f"{path} is a folder: give the file to write, e.g. {path / 'llm-atlas.sssom.tsv'}")
    text, count, prefixes = sssom_text(store)
    try:
        atomic_write_text(path, text)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error}") from None
    return MappingExport(path, count, prefixes, text)


__all__ = ["export_sssom", "sssom_text", "records", "identifier_claims", "MappingExport", "IDENTIFIER_PROPERTIES",
           "CONFIDENCE", "COLUMNS", "OBJECT_PREFIXES", "MAPPING_SET_ID"]
