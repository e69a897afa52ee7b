"""Data as tests: the real graph/ folder, file by file and as a whole."""

from __future__ import annotations


import pytest

from llm_atlas.layout import SourceFile
from llm_atlas.loader import load_file
from llm_atlas.structure import check_file

from .conftest import ROOT

GRAPH_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "graph").rglob("*") if p.is_file())


@pytest.fixture
def atlas(real_atlas):
    return real_atlas


@pytest.mark.parametrize("relpath", GRAPH_FILES)
def test_file_parses_alone_and_matches_its_path(relpath):
    loaded = load_file(SourceFile(relpath, ROOT / relpath))
    assert loaded.ok, "\n".join(p.as_text() for p in loaded.problems)
    problems = check_file(relpath, loaded.quads, loaded.text)
    assert not problems, "\n".join(p.as_text() for p in problems)


def test_whole_graph_conforms(atlas):
    report = atlas.validate()
    assert report.conforms, "\n".join(p.as_text() for p in report.problems)
    assert report.problems == []


# The brief's table (slides 11 and 14; countries and continents from the brief), with the atlas's labels.
SAMPLE = [
    ("BigScience workshop", "non-profit or grassroots organisation", "Europe", "BLOOM", "company-sponsored grassroots project"),
    ("OpenGPT-X consortium", "public research institute or public body", "Europe", "OpenGPT-X", "multi-organisational research institute project"),
    ("Cohere Labs", "non-profit or grassroots organisation", "North America", "Aya", "non-profit-sponsored grassroots project"),
    ("EleutherAI", "non-profit or grassroots organisation", "North America", "Pythia", "non-profit-sponsored grassroots project"),
    ("Masakhane", "non-profit or grassroots organisation", "Africa", "Masakhane", "non-profit-sponsored grassroots project"),
    ("SpeakLeash", "non-profit or grassroots organisation", "Europe", "Bielik", "non-profit-sponsored grassroots project"),
    ("AI Singapore", "public research institute or public body", "Asia", "SEA-LION", "single research institute project"),
    ("Allen Institute for AI", "non-profit or grassroots organisation", "North America", "OLMo", "single research institute project"),
    ("Beijing Academy of Artificial Intelligence", "public research institute or public body", "Asia", "Aquila", "single research institute project"),
    ("National Library of Norway", "public research institute or public body", "Europe", "National Library of Norway language models", "single research institute project"),
    ("Ant Group", "large enterprise (Big Tech)", "Asia", "Ant Group open models", "single-company project"),
    ("Hugging Face", "small and medium enterprise (startup)", "North America", "SmolLM", "single-company project"),
    ("Meta", "large enterprise (Big Tech)", "North America", "Llama", "single-company project"),
    ("SCB 10X", "small and medium enterprise (startup)", "Asia", "Typhoon", "single-company project"),
]


def test_study_sample_equals_the_brief(atlas):
    result = atlas.query("study-sample")
    assert result.variables == ["organization", "organizationType", "continent", "project", "governanceModel"]
    assert [tuple(t.value for t in row) for row in result.rows] == SAMPLE


def test_counts_by_type_match_the_brief(atlas):
    rows = atlas.query(
        "SELECT ?type (COUNT(?o) AS ?n) WHERE { ?o atlas:inSample true ; atlas:organizationType/skos:notation ?type } GROUP BY ?type ORDER BY ?type"
    ).rows
    assert {r[0].value: int(r[1].value) for r in rows} == {"non-profit-grassroots": 6, "public-research": 4, "sme": 2, "large-enterprise": 2}


def test_every_inferred_claim_says_why(atlas):
    rows = atlas.query(
        """SELECT ?claim WHERE { ?claim atlas:confidence confidence:inferred .
           FILTER NOT EXISTS { ?claim rdfs:comment ?why } } ORDER BY ?claim"""
    ).rows
    assert [r[0].value for r in rows] == []


def test_every_on_ramp_and_challenge_of_the_brief_is_there(atlas):
    rows = atlas.query(
        "SELECT ?kind (COUNT(?f) AS ?n) WHERE { ?f a ?kind . VALUES ?kind { atlas:OnRamp atlas:Challenge } } GROUP BY ?kind ORDER BY ?kind"
    ).rows
    assert {r[0].value.rsplit("/", 1)[1]: int(r[1].value) for r in rows} == {"OnRamp": 14, "Challenge": 8}


@pytest.mark.parametrize(
    "iri",
    [
        "framework:gpt-neox", "compute:jean-zay", "dataset:common-crawl", "dataset:infinity-instruct", "model:lugha-llama",
        "benchmark:global-mmlu", "benchmark:afrobench", "project:bigcode", "platform:hugging-face-hub",
        "knowledge:bielik-toxicity-survey", "dataset:the-pile", "dataset:roots", "dataset:dolma", "dataset:the-stack",
        "dataset:fineweb", "framework:lm-evaluation-harness", "leaderboard:open-llm-leaderboard",
    ],
)
def test_named_artefacts_exist(atlas, iri):
    assert atlas.query(f"ASK {{ {iri} a ?class ; rdfs:label ?label ; atlas:source ?source }}").boolean


# -- issue 9 section 1 and issue 12: each check fails on the data before they were fixed ----------------


def test_every_model_is_a_family_or_a_release(atlas):
    rows = atlas.query(
        """SELECT ?m WHERE { ?m a atlas:Model .
             FILTER ((EXISTS { ?m a atlas:ModelFamily }) = (EXISTS { ?m a atlas:ModelRelease })) } ORDER BY ?m"""
    ).rows
    assert [r[0].value for r in rows] == []
    families = atlas.query("SELECT (COUNT(?m) AS ?n) WHERE { ?m a atlas:ModelFamily }").rows[0][0].value
    assert int(families) == 15


def test_release_facts_sit_on_releases(atlas):
    assert not atlas.query("ASK { model:llama atlas:huggingFaceId|atlas:arxivId ?id }").boolean
    assert not atlas.query("ASK { model:sea-lion atlas:huggingFaceId|atlas:arxivId|atlas:baseModel ?v }").boolean
    assert atlas.query('ASK { model:llama-3-1-8b atlas:inFamily model:llama ; atlas:releaseDate "2024-07-23"^^xsd:date }').boolean


def test_base_models_are_the_ones_the_cards_name(atlas):
    assert atlas.query("ASK { model:bielik-7b-v0-1 atlas:continuedPretrainingOf model:mistral-7b-v0-1 }").boolean
    assert atlas.query("ASK { model:typhoon-7b atlas:continuedPretrainingOf model:mistral-7b-v0-1 }").boolean
    assert not atlas.query("ASK { ?typhoon atlas:inFamily model:typhoon ; atlas:baseModel model:llama }").boolean
    assert atlas.query("ASK { model:gemma2-9b-cpt-sea-lionv3-base atlas:continuedPretrainingOf model:gemma-2-9b }").boolean
    # every lineage edge is between releases
    rows = atlas.query(
        """SELECT ?a ?b WHERE { ?a ?p ?b . VALUES ?p { atlas:baseModel atlas:fineTunedFrom atlas:continuedPretrainingOf
             atlas:quantizedFrom atlas:adapterOf atlas:mergedFrom atlas:distilledFrom }
             FILTER NOT EXISTS { ?a a atlas:ModelRelease . ?b a atlas:ModelRelease } } ORDER BY ?a"""
    ).rows
    assert rows == []


def test_projects_build_only_what_they_made(atlas):
    assert not atlas.query("ASK { project:pythia atlas:builds ?x }").boolean
    assert not atlas.query("ASK { project:aquila atlas:builds dataset:infinity-instruct }").boolean
    assert atlas.query("ASK { dataset:infinity-instruct atlas:createdBy organization:baai }").boolean


def test_no_inference_names_a_study_source(atlas):
    rows = atlas.query(
        """SELECT ?c WHERE { ?c atlas:confidence confidence:inferred .
             { ?c atlas:source ?s . VALUES ?s { source:paper-v1 source:paper-v2 source:slides source:blog } }
             UNION { ?c atlas:locator ?l } } ORDER BY ?c"""
    ).rows
    assert [r[0].value for r in rows] == []
    assert atlas.query("ASK { ?c atlas:source source:atlas ; prov:wasDerivedFrom ?premise }").boolean


def test_no_evidence_link_points_to_an_aggregator(atlas):
    rows = atlas.query(
        """SELECT ?page WHERE { GRAPH ?g { ?s atlas:evidence ?page }
             FILTER (STRSTARTS(STR(?g), "https://w3id.org/llm-atlas/file/graph/"))
             ?d atlas:domainName ?name ; atlas:domainClass evidencedomain:aggregator .
             BIND (LCASE(REPLACE(STR(?page), "^[a-zA-Z]+://([^/:?#]+).*$", "$1")) AS ?host)
             FILTER (?host = ?name || STRENDS(?host, CONCAT(".", ?name))) } ORDER BY ?page"""
    ).rows
    assert [r[0].value for r in rows] == []


def test_assessments_are_about_releases(atlas):
    rows = atlas.query("SELECT ?a ?m WHERE { ?a atlas:assesses ?m . ?m a atlas:ModelFamily } ORDER BY ?a").rows
    assert rows == []
    assert atlas.query("ASK { ?a atlas:assesses ?release . ?release atlas:inFamily model:llama }").boolean
