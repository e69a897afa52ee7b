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
