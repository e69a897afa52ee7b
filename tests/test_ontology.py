"""The ontology, vocabularies and shapes are the product: keep them complete and consistent with each other."""

from __future__ import annotations

import re

import pytest
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SH, SKOS

from llm_atlas.namespaces import KINDS, ONTOLOGY, PREFIXES, VOCABULARIES
from llm_atlas.rules import catalogue

from .conftest import ROOT

ATLAS = rdflib.Namespace(ONTOLOGY)


@pytest.fixture(scope="module")
def ontology() -> rdflib.Graph:
    graph = rdflib.Graph()
    for path in sorted((ROOT / "ontology").rglob("*.ttl")):
        if path.name != "shapes.ttl":
            graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def shapes() -> rdflib.Graph:
    return rdflib.Graph().parse(ROOT / "ontology" / "shapes.ttl", format="turtle")


def atlas_terms(graph: rdflib.Graph):
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    return sorted({s for k in kinds for s in graph.subjects(RDF.type, k) if str(s).startswith(ONTOLOGY)})


def test_ontology_header(ontology):
    header = rdflib.URIRef(ONTOLOGY)
    assert (header, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(header, OWL.versionInfo) is not None
    assert ontology.value(header, DCTERMS.license) == rdflib.URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert ontology.value(header, DCTERMS.title) is not None


def test_every_term_has_an_english_label_and_comment(ontology):
    bad = []
    for term in atlas_terms(ontology):
        for prop in (RDFS.label, RDFS.comment):
            values = list(ontology.objects(term, prop))
            if not any(isinstance(v, rdflib.Literal) and v.language == "en" for v in values):
                bad.append(f"{term} lacks an English {prop.n3(ontology.namespace_manager)}")
    assert not bad, "\n".join(bad)


REQUIRED_CLASSES = [
    "Project", "Organization", "Model", "Artifact", "Dataset", "Benchmark", "Leaderboard", "SoftwareFramework",
    "ComputeResource", "ComputePartnership", "KnowledgeSharing", "Collaboration", "Challenge", "OnRamp", "Recommendation",
]


@pytest.mark.parametrize("name", REQUIRED_CLASSES)
def test_required_class_exists(ontology, name):
    assert (ATLAS[name], RDF.type, OWL.Class) in ontology


@pytest.mark.parametrize("kind", ["Dataset", "Benchmark", "Leaderboard", "SoftwareFramework", "ComputeResource", "ComputePartnership", "KnowledgeSharing", "Model"])
def test_artifact_kinds_are_artifacts(ontology, kind):
    assert (ATLAS[kind], RDFS.subClassOf, ATLAS.Artifact) in ontology


@pytest.mark.parametrize(
    "namespace",
    ["http://www.w3.org/ns/prov#", "http://www.w3.org/ns/org#", "http://www.w3.org/ns/dcat#", "http://usefulinc.com/ns/doap#",
     "https://schema.org/", "https://w3id.org/fair4ml#", "http://data.europa.eu/it6/"],
)
def test_aligned_with(ontology, namespace):
    aligned = [o for p in (RDFS.subClassOf, RDFS.subPropertyOf) for o in ontology.objects(None, p) if str(o).startswith(namespace)]
    assert aligned, f"no subclass or subproperty axiom reuses {namespace}"


def test_alignments_are_explained():
    text = (ROOT / "ontology" / "atlas.ttl").read_text(encoding="utf-8")
    for name in ("PROV-O", "W3C ORG", "DCAT", "DOAP", "SKOS", "schema.org", "FAIR4ML", "MLDCAT-AP"):
        assert re.search(rf"^# - {re.escape(name)}:", text, re.MULTILINE), f"atlas.ttl does not say why it aligns with {name}"


def test_every_concept_is_labelled_defined_and_placed(ontology):
    bad = []
    for concept in sorted(ontology.subjects(RDF.type, SKOS.Concept)):
        if not any(l.language == "en" for l in ontology.objects(concept, SKOS.prefLabel)):
            bad.append(f"{concept}: no English skos:prefLabel")
        if ontology.value(concept, SKOS.definition) is None:
            bad.append(f"{concept}: no skos:definition")
        scheme = ontology.value(concept, SKOS.inScheme)
        if scheme is None or (scheme, RDF.type, SKOS.ConceptScheme) not in ontology:
            bad.append(f"{concept}: not in a concept scheme")
        top = (concept, SKOS.topConceptOf, scheme) in ontology
        broader = ontology.value(concept, SKOS.broader)
        if top == (broader is not None):
            bad.append(f"{concept}: must be either a top concept or have one skos:broader")
    assert not bad, "\n".join(bad)


def concepts(ontology, scheme_folder: str, top: bool | None = None):
    base = f"{ONTOLOGY}{scheme_folder}/"
    found = [c for c in ontology.subjects(RDF.type, SKOS.Concept) if str(c).startswith(base)]
    if top is not None:
        found = [c for c in found if ((c, SKOS.topConceptOf, None) in ontology) == top]
    return sorted(str(c)[len(base):] for c in found)


def test_governance_models_in_their_families(ontology):
    models = concepts(ontology, "governance-model", top=False)
    assert models == sorted([
        "single-company", "single-research-institute", "multi-organisational-research-institute",
        "non-profit-sponsored-grassroots", "company-sponsored-grassroots", "multi-company",
    ])
    assert concepts(ontology, "governance-model", top=True) == ["company-projects", "grassroots-projects", "research-institute-projects"]
    in_sample = [m for m in models if ontology.value(rdflib.URIRef(f"{ONTOLOGY}governance-model/{m}"), ATLAS.inSample) == rdflib.Literal(True)]
    assert len(in_sample) == 5 and "multi-company" not in in_sample


def test_organisation_types_stages_and_motivations(ontology):
    assert concepts(ontology, "organization-type") == ["large-enterprise", "non-profit-grassroots", "public-research", "sme"]
    assert concepts(ontology, "lifecycle-stage", top=True) == ["post-release", "post-training", "pre-training"]
    for stage in ("pre-training", "post-training", "post-release"):
        activities = list(ontology.subjects(SKOS.broader, rdflib.URIRef(f"{ONTOLOGY}lifecycle-stage/{stage}")))
        assert len(activities) == 4, stage
    assert concepts(ontology, "motivation", top=True) == ["economic", "social", "technological"]
    assert concepts(ontology, "motivation", top=False) == ["democratising-access", "language-representation", "open-science", "regional-ecosystems"]


def test_inferred_orderings_are_marked_inferred(ontology):
    inferred = ontology.value(None, SKOS.prefLabel, rdflib.Literal("inferred", lang="en"))
    for prop in (ATLAS.centralisationRank, ATLAS.communityEngagement):
        for subject, value in ontology.subject_objects(prop):
            claims = [c for c in ontology.subjects(RDF.subject, subject) if (c, RDF.predicate, prop) in ontology and (c, RDF.object, value) in ontology]
            assert claims and all((c, ATLAS.confidence, inferred) in ontology for c in claims), (subject, prop)


def test_claim_rule_targets_every_claim_property(ontology, shapes):
    claim_properties = set(ontology.subjects(RDF.type, ATLAS.ClaimProperty))
    targets = set(shapes.objects(rdflib.URIRef(ONTOLOGY + "shapes/claim-backed"), SH.targetSubjectsOf))
    assert targets == claim_properties


def test_claim_rule_exempts_exactly_the_claim_classes(ontology, shapes):
    subclasses = set(ontology.transitive_subjects(RDFS.subClassOf, ATLAS.Claim)) - {ATLAS.Claim}
    select = str(shapes.value(shapes.value(rdflib.URIRef(ONTOLOGY + "shapes/claim-backed"), SH.sparql), SH.select))
    listed = set(re.findall(r"atlas:(\w+)", select.split("?claimClass IN")[1].split(")")[0]))
    assert {ATLAS[n] for n in listed} == subclasses


def test_shapes_use_only_defined_terms(ontology, shapes):
    used = set(shapes.objects(None, SH.path)) | set(shapes.objects(None, SH.targetClass)) | set(shapes.objects(None, SH["class"]))
    used |= set(shapes.objects(None, SH.targetSubjectsOf))
    undefined = sorted(str(t) for t in used if str(t).startswith(ONTOLOGY) and (t, RDF.type, None) not in ontology)
    assert not undefined


def test_every_class_has_a_shape(ontology, shapes):
    targeted = set(shapes.objects(None, SH.targetClass))
    closure = set()
    for cls in targeted:
        closure |= set(ontology.transitive_subjects(RDFS.subClassOf, cls))
    classes = {c for c in ontology.subjects(RDF.type, OWL.Class) if str(c).startswith(ONTOLOGY)} - {ATLAS.ClaimProperty}
    assert sorted(map(str, classes - closure)) == []


def test_kinds_and_vocabulary_prefixes_match_the_ontology(ontology):
    for kind, cls in KINDS.items():
        assert (rdflib.URIRef(cls), RDF.type, OWL.Class) in ontology, kind
    for prefix, folder in VOCABULARIES.items():
        scheme = rdflib.URIRef(PREFIXES[prefix] + "scheme")
        assert (scheme, RDF.type, SKOS.ConceptScheme) in ontology, prefix


def test_rule_catalogue_is_up_to_date(shapes):
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == catalogue(shapes), "docs/rules.md is stale: run `llm-atlas rules > docs/rules.md`"
