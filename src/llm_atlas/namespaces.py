"""The one shared list of prefixes, the IRI scheme of the atlas, and the standard vocabularies' terms.

Every Turtle file under ``graph/`` may use these prefixes and no others; the formatter writes them, the
checks enforce them, and queries get them for free. :func:`curie` is the one way an IRI is shortened for
people (tables, CSV cells, messages), and :func:`expand` reads such a name back:

>>> curie("https://w3id.org/llm-atlas/model/x#claim-a")
'model:x#claim-a'
>>> expand("model:x#claim-a")
'https://w3id.org/llm-atlas/model/x#claim-a'
>>> shorten("https://example.org/other"), curie("https://example.org/other") is None
('<https://example.org/other>', True)
"""

from __future__ import annotations

import re

BASE = "https://w3id.org/llm-atlas/"
ONTOLOGY = BASE + "ontology/"

# Entity kinds: the path segment of an entity IRI and the folder of its file, with the class it must have.
KINDS: dict[str, str] = {
    "organization": ONTOLOGY + "Organization",
    "project": ONTOLOGY + "Project",
    "model": ONTOLOGY + "Model",
    "dataset": ONTOLOGY + "Dataset",
    "benchmark": ONTOLOGY + "Benchmark",
    "leaderboard": ONTOLOGY + "Leaderboard",
    "framework": ONTOLOGY + "SoftwareFramework",
    "compute": ONTOLOGY + "ComputeResource",
    "partnership": ONTOLOGY + "ComputePartnership",
    "knowledge": ONTOLOGY + "KnowledgeSharing",
    "platform": ONTOLOGY + "Platform",
    "collaboration": ONTOLOGY + "Collaboration",
    "onramp": ONTOLOGY + "OnRamp",
    "challenge": ONTOLOGY + "Challenge",
    "recommendation": ONTOLOGY + "Recommendation",
    "source": ONTOLOGY + "Source",
    "study": ONTOLOGY + "Study",
    "resolution": ONTOLOGY + "Resolution",
}

# Closed vocabularies (SKOS concept schemes in ontology/vocabularies/): prefix -> folder name in the IRI.
VOCABULARIES: dict[str, str] = {
    "access": "access",
    "audience": "audience",
    "certainty": "rule-certainty",
    "collabkind": "collaboration-kind",
    "component": "openness-component",
    "confidence": "confidence",
    "continent": "continent",
    "derivation": "derivation-kind",
    "dimension": "openness-dimension",
    "domain": "artifact-domain",
    "engagement": "engagement-level",
    "evidencedomain": "evidence-domain",
    "gap": "gap",
    "governance": "governance-model",
    "licensecat": "license-category",
    "licenserule": "license-rule",
    "matchkey": "match-key",
    "mofclass": "mof-class",
    "motivation": "motivation",
    "obligation": "license-obligation",
    "openness": "openness-class",
    "opennessrule": "openness-rule",
    "orgtype": "organization-type",
    "stage": "lifecycle-stage",
    "verdict": "license-verdict",
}

STANDARD: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dcterms": "http://purl.org/dc/terms/",
    "doap": "http://usefulinc.com/ns/doap#",
    "fair4ml": "https://w3id.org/fair4ml#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "mldcat": "http://data.europa.eu/it6/",
    "org": "http://www.w3.org/ns/org#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "prov": "http://www.w3.org/ns/prov#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "schema": "https://schema.org/",
    "sh": "http://www.w3.org/ns/shacl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "vann": "http://purl.org/vocab/vann/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}

PREFIXES: dict[str, str] = {
    "atlas": ONTOLOGY,
    **{kind: f"{BASE}{kind}/" for kind in KINDS},
    **{prefix: f"{ONTOLOGY}{folder}/" for prefix, folder in VOCABULARIES.items()},
    **STANDARD,
}

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# An entity IRI, optionally with a fragment naming a node the entity's file owns (a claim).
ENTITY_IRI = re.compile(
    r"^" + re.escape(BASE) + r"(?P<kind>[a-z]+)/(?P<slug>[^/#]+)(?:#(?P<fragment>[^#]*))?$"
)

KIND_OF_CLASS: dict[str, str] = {cls: kind for kind, cls in KINDS.items()}

# The standard vocabularies, and the terms of them the code names (one set for every module).
RDF = STANDARD["rdf"]
RDFS = STANDARD["rdfs"]
XSD = STANDARD["xsd"]
SKOS = STANDARD["skos"]
OWL = STANDARD["owl"]
DCTERMS = STANDARD["dcterms"]
DCAT = STANDARD["dcat"]
SCHEMA = STANDARD["schema"]
SH = STANDARD["sh"]
ATLAS = ONTOLOGY

RDF_TYPE = RDF + "type"
RDF_LANG_STRING = RDF + "langString"
RDFS_LABEL = RDFS + "label"
RDFS_COMMENT = RDFS + "comment"
SKOS_ALT_LABEL = SKOS + "altLabel"
SKOS_PREF_LABEL = SKOS + "prefLabel"
SKOS_EXACT_MATCH = SKOS + "exactMatch"
SKOS_NOTATION = SKOS + "notation"
DCTERMS_DESCRIPTION = DCTERMS + "description"
OWL_DEPRECATED = OWL + "deprecated"
XSD_STRING = XSD + "string"
XSD_INTEGER = XSD + "integer"
XSD_DECIMAL = XSD + "decimal"
XSD_BOOLEAN = XSD + "boolean"
XSD_DATE = XSD + "date"
DCTERMS_TYPE = DCTERMS + "type"

# The mark a claim carries when a program matched it on labels rather than a person reading a source:
# ``dcterms:type semapv:LexicalMatching`` (SEMAPV, the vocabulary SSSOM justifications use). ``link
# --apply`` writes it; the SSSOM export reads it as the mapping's justification.
SEMAPV = "https://w3id.org/semapv/vocab/"
LEXICAL_MATCHING = SEMAPV + "LexicalMatching"


def entity_iri(kind: str, slug: str) -> str:
    return f"{BASE}{kind}/{slug}"


_LONGEST_FIRST = sorted(PREFIXES.items(), key=lambda item: (-len(item[1]), item[0]))
_CURIE = re.compile(r"^([A-Za-z][\w.-]*):(.*)$", re.DOTALL)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def curie(iri: str) -> str | None:
    """``prefix:rest`` with the longest shared namespace the IRI starts with, or None.

    The rest is kept as it is, ``#`` and ``/`` included, so that :func:`expand` gives back the same IRI:
    a CURIE for people and tables, not a Turtle prefixed name (the Turtle writer escapes or writes
    ``<...>`` where the grammar needs it).
    """
    for prefix, namespace in _LONGEST_FIRST:
        if iri.startswith(namespace):
            rest = iri[len(namespace):]
            if rest and not rest.startswith("//"):
                return f"{prefix}:{rest}"
    return None


def shorten(iri: str) -> str:
    """:func:`curie` where a shared prefix fits, else ``<iri>``."""
    return curie(iri) or f"<{iri}>"


def expand(text: str) -> str:
    """The IRI a user wrote as ``prefix:rest`` (a shared prefix), ``<iri>`` or an absolute IRI.

    Raises ValueError for anything else (a relative reference, an unknown prefix that is not an IRI scheme).
    The IRI itself is not validated here; the caller hands it to pyoxigraph, which does.
    """
    value = text.strip()
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    match = _CURIE.match(value)
    if match and match.group(1) in PREFIXES:
        return PREFIXES[match.group(1)] + match.group(2)
    if _SCHEME.match(value):
        return value
    raise ValueError(f"{text!r} is neither an IRI nor a name with a shared prefix (such as dataset:the-pile)")


def sparql_prefixes() -> str:
    """The shared prefixes as a SPARQL prologue."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in sorted(PREFIXES.items()))


def turtle_prefixes(used: set[str] | None = None) -> str:
    """The shared prefixes as Turtle directives (only ``used`` ones if given), sorted."""
    names = sorted(PREFIXES if used is None else used)
    return "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in names)
