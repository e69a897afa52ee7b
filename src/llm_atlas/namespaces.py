"""The one shared list of prefixes and the IRI scheme of the atlas.

Every Turtle file under ``graph/`` may use these prefixes and no others; the formatter writes them, the
checks enforce them, and queries get them for free.
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
}

# Closed vocabularies (SKOS concept schemes in ontology/vocabularies/): prefix -> folder name in the IRI.
VOCABULARIES: dict[str, str] = {
    "access": "access",
    "audience": "audience",
    "collabkind": "collaboration-kind",
    "confidence": "confidence",
    "continent": "continent",
    "dimension": "openness-dimension",
    "domain": "artifact-domain",
    "engagement": "engagement-level",
    "gap": "gap",
    "governance": "governance-model",
    "licensecat": "license-category",
    "matchkey": "match-key",
    "motivation": "motivation",
    "openness": "openness-class",
    "orgtype": "organization-type",
    "stage": "lifecycle-stage",
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


def entity_iri(kind: str, slug: str) -> str:
    return f"{BASE}{kind}/{slug}"


def sparql_prefixes() -> str:
    """The shared prefixes as a SPARQL prologue."""
    return "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in sorted(PREFIXES.items()))


def turtle_prefixes(used: set[str] | None = None) -> str:
    """The shared prefixes as Turtle directives (only ``used`` ones if given), sorted."""
    names = sorted(PREFIXES if used is None else used)
    return "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in names)
