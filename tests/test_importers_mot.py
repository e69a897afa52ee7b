"""The Model Openness Tool importer on a small snapshot: releases matched by Hub id and by name with producer,
origins linked by name or kept as names, producers that are people or several organisations, component facts,
values left out and records skipped with file:line, a licence that differs from the Hub's, same bytes twice."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.importers import import_source
from llm_atlas.importers.creators import read_makers
from llm_atlas.importers.mot import COMPONENTS, github_repository, hub_id, sizes

from .conftest import FIXTURES, ask, check_golden, make_checkout, overlay, short

HUB = FIXTURES / "importers" / "hub"
MOT = FIXTURES / "importers" / "mot"
GOLDENS = Path(__file__).parent / "goldens" / "importers"
PREFIXES = {
    "atlas": "https://w3id.org/llm-atlas/ontology/", "model": "https://w3id.org/llm-atlas/model/",
    "organization": "https://w3id.org/llm-atlas/organization/", "component": "https://w3id.org/llm-atlas/ontology/openness-component/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "dcterms": "http://purl.org/dc/terms/",
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """A mini checkout with a curated release on the Hub, after the hub, leaderboard and MOT imports."""
    checkout = make_checkout(tmp_path_factory.mktemp("mot") / "atlas")
    overlay(checkout, FIXTURES / "importers" / "overlay")
    for source in ("hf-hub", "open-llm-leaderboard"):
        import_source(source, HUB, checkout, version="fixture")
    return checkout, import_source("mot", MOT, checkout, version="fixture")


@pytest.fixture(scope="module")
def store(imported) -> ox.Store:
    checkout, _ = imported
    store = ox.Store()
    store.load(path=str(checkout / "imports" / "mot.trig"), format=ox.RdfFormat.TRIG)
    return store



def test_import_file_is_golden(imported, update_goldens):
    checkout, _ = imported
    check_golden(GOLDENS / "mot.trig", (checkout / "imports" / "mot.trig").read_text(encoding="utf-8"), update_goldens)


def test_the_imported_atlas_is_valid(imported, tmp_path):
    checkout, _ = imported
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        report = atlas.validate()
    assert report.conforms, "\n".join(p.as_text() for p in report.problems)


def test_same_snapshot_same_bytes(imported):
    checkout, _ = imported
    before = (checkout / "imports" / "mot.trig").read_bytes()
    again = import_source("mot", MOT, checkout, version="fixture")
    assert not again.changed
    assert (checkout / "imports" / "mot.trig").read_bytes() == before


def test_the_report_counts_what_happened(imported):
    _, report = imported
    # 11 files: 9 records, a file without a name and one that is not YAML
    assert (report.read, report.records - report.references) == (11, 9)
    # Alpha-7B.yml by its Hub id (the curated model:alpha-7b), Gamma-7B-Instruct.yml by name with its producer
    assert (report.matched, report.matched_by) == (2, {"huggingface-id": 1, "name-creator": 1})
    assert [(p.path, p.line, p.col, p.rule, p.severity) for p in report.skipped] == [
        ("models/No-Name.yml", 6, 3, "import-record", "warning"),
        ("models/broken.yml", 3, 8, "import-record", "error"),
    ]
    assert report.has_errors  # the command exits 1: a file of the snapshot is broken
    assert [(p.path, p.line, p.rule) for p in sorted(report.left_out)] == [
        ("models/Alpha-2B.yml", 11, "import-value"),  # a Hub URL that names another size
        ("models/Alpha-7B.yml", 39, "import-value"),  # a component location that is not a web address
        ("models/Alpha-7B.yml", 44, "import-value"),  # not a component of the framework
        ("models/Epsilon-1B-Chat.yml", 16, "import-value"),  # the release's licence for its code
        ("models/Epsilon-1B-Chat.yml", 25, "import-value"),  # a component listed twice
    ]
    assert report.links == {"linked": 1, "to itself": 1, "not found": 2, "ambiguous": 1}
    assert len(report.ambiguous) == 1 and report.ambiguous[0].startswith("models/Zed-1B-Chat.yml:6 basemodel 'Zed-1B'")
    assert report.facts and report.triples / report.facts < 2


def test_releases_are_matched_by_hub_id_first_then_by_name_with_producer(store):
    described = {short(r): short(e) for r, e in ask(store, "SELECT ?r ?e WHERE { ?r a atlas:SourceRecord ; atlas:describes ?e }")}
    assert described["model-alpha-7b-yml"] == "alpha-7b"  # curated, by its Hub id
    assert described["model-gamma-7b-instruct-yml"] == "gamma-gamma-7b-instruct"  # the Hub's gamma/Gamma-7B-Instruct, by name and producer
    assert described["model-alpha-2b-yml"] == "alpha-lab-alpha-2b"  # its Hub URL names Alpha-7B: left out, a release of its own
    # two Hub repositories with one name are two releases
    assert described["model-zed-1b-yml"] != described["model-zed-1b-mirror-yml"]
    assert ask(store, "SELECT ?key WHERE { ?r atlas:describes model:gamma-gamma-7b-instruct ; atlas:matchedBy ?key }") == [
        ("<https://w3id.org/llm-atlas/ontology/match-key/name-creator>",)]


def test_a_curated_release_gets_claims_and_a_differing_licence(store):
    # the Hub said apache-2.0 first: MOT's MIT is kept as a differing statement, its spelling with it
    rows = ask(store, "SELECT ?p ?o ?name WHERE { ?d a atlas:DifferingStatement ; rdf:subject model:alpha-7b ; rdf:predicate ?p ; rdf:object ?o ; "
                      "atlas:licenseName ?name }")
    assert [(short(p), o, n) for p, o, n in rows] == [("license", "<https://spdx.org/licenses/MIT>", '"MIT"')]
    assert ask(store, "SELECT ?n WHERE { model:alpha-7b atlas:licenseName ?n }") == []
    assert ask(store, "SELECT ?o WHERE { model:alpha-7b atlas:license ?o }") == []
    # every fact on the curated release has its statement claim, derived from the record
    unbacked = ask(store, "SELECT ?p ?o WHERE { model:alpha-7b ?p ?o . FILTER NOT EXISTS { ?c a atlas:StatementClaim ; rdf:subject model:alpha-7b ; "
                          "rdf:predicate ?p ; rdf:object ?o ; <http://www.w3.org/ns/prov#wasDerivedFrom> ?r } }")
    assert unbacked == []
    # the producer is the curated organisation, which the curated file already names: not repeated
    assert ask(store, "SELECT ?o WHERE { model:alpha-7b atlas:createdBy ?o }") == []


def test_origins_link_by_name_or_stay_names(store):
    assert ask(store, "SELECT ?b WHERE { model:epsilon-epsilon-1b-chat atlas:baseModel ?b }") == [("<https://w3id.org/llm-atlas/model/epsilon-epsilon-1b>",)]
    # Alpha-7B's origin is itself: a base model, no edge
    assert ask(store, "SELECT ?b WHERE { model:alpha-7b atlas:baseModel|atlas:baseModelName ?b }") == []
    # another producer's model, a description in the origin field, a tie: kept as names, nothing created from them
    names = ask(store, "SELECT ?m ?n WHERE { ?m atlas:baseModelName ?n }")
    assert [(short(m), n) for m, n in names] == [
        ("gamma-gamma-7b-instruct", '"Alpha-7B"'), ("solo-1b", '"GPT-3, some differences"'), ("zed-zed-1b-chat", '"Zed-1B"')]
    assert ask(store, "SELECT ?e WHERE { ?e rdfs:label \"GPT-3, some differences\"@en }") == []


def test_producers_are_organisations_or_names(store):
    # a person: a name, never an organisation
    assert ask(store, "SELECT ?n WHERE { model:solo-1b atlas:creatorName ?n }") == [('"Nicholas Kluge"',)]
    assert ask(store, "SELECT ?o WHERE { ?o a atlas:Organization ; rdfs:label ?l FILTER(CONTAINS(STR(?l), \"Kluge\")) }") == []
    # one field, two organisations; an organisation an import creates is not in the study's sample
    makers = ask(store, "SELECT ?o ?s WHERE { model:microsoft-mega-530b atlas:createdBy ?o . ?o atlas:inSample ?s }")
    assert [(short(o), s) for o, s in makers] == [("microsoft", '"false"^^<http://www.w3.org/2001/XMLSchema#boolean>'),
                                                  ("nvidia", '"false"^^<http://www.w3.org/2001/XMLSchema#boolean>')]


def test_components(store):
    rows = ask(store, "SELECT ?type ?included ?licence ?name WHERE { model:alpha-7b atlas:hasComponent ?c . ?c atlas:componentType ?type ; "
                      "atlas:componentIncluded ?included . OPTIONAL { ?c atlas:componentLicense ?licence } OPTIONAL { ?c atlas:licenseName ?name } }")
    got = {short(t): (i.split("^^")[0].strip('"'), short(l) if l else None, n) for t, i, l, n in rows}
    assert got == {
        "model-parameters-final": ("true", "Apache-2.0", '"Apache-2.0"'),
        "training-code": ("true", "NoLicenseStated", '"unlicensed"'),  # the tool's "License not specified"
        "datasets": ("false", None, None),  # "Component not included"
        "research-paper": ("true", "UnidentifiedLicense", '"arXiv.org perpetual non-exclusive license 1.0"'),
        "model-card": ("true", "NoLicenseStated", None),  # listed without a licence
    }
    assert ask(store, "SELECT ?loc ?doc WHERE { model:alpha-7b atlas:hasComponent ?c . ?c atlas:componentLocation ?loc ; atlas:licenseDocument ?doc }") == [
        ("<https://huggingface.co/alpha-lab/Alpha-7B>", "<https://huggingface.co/alpha-lab/Alpha-7B/blob/main/LICENSE>")]
    # a component is the record's node, linked from the release
    assert all(c.startswith("<https://w3id.org/llm-atlas/record/mot/") for (c,) in ask(store, "SELECT ?c WHERE { ?m atlas:hasComponent ?c }"))


def test_the_tools_date_is_the_records_not_the_releases(store):
    assert ask(store, "SELECT ?d WHERE { ?m atlas:releaseDate ?d }") == []
    assert ask(store, "SELECT ?d WHERE { ?r atlas:describes model:alpha-7b ; dcterms:modified ?d }") == [
        ('"2024-10-03"^^<http://www.w3.org/2001/XMLSchema#date>',)]


def test_hub_values_and_repositories(store):
    assert ask(store, "SELECT ?id WHERE { model:epsilon-epsilon-1b-chat atlas:huggingFaceId ?id }") == [('"epsilon/Epsilon-1B-Chat"',)]
    assert ask(store, "SELECT ?id WHERE { model:alpha-lab-alpha-2b atlas:huggingFaceId ?id }") == []
    assert ask(store, "SELECT ?r WHERE { model:alpha-7b atlas:sourceRepository ?r }") == [("<https://github.com/alpha-lab/alpha>",)]


@pytest.mark.parametrize("value,expected", [
    ("https://huggingface.co/LLM360/Amber", "LLM360/Amber"),
    ("xai-org/grok-1", "xai-org/grok-1"),
    ("https://huggingface.co/microsoft/phi-1/blob/main/README.md", "microsoft/phi-1"),
    ("https://huggingface.co/stabilityai/stablelm-2-1_6b · Hugging Face", "stabilityai/stablelm-2-1_6b"),
    ("https://huggingface.co/collections/ibm-granite/granite-41-language-models", ""),
    ("https://huggingface.co/papers/2309.16609", ""),
    ("Baichuan 2: Open Large-scale Language Models", ""),
    ("https://huggingface.co/Salesforce", ""),
])
def test_hub_ids_from_the_tools_urls(value, expected):
    assert hub_id(value)[0] == expected


def test_sizes_and_repositories():
    assert sizes("Mixtral-8x22B-v0.1") == {22_000_000_000} and sizes("Qwen1.5-MoE-A2.7B") == {2_700_000_000} and sizes("bloom") == set()
    assert github_repository("https://github.com/salesforce/CodeT5/tree/main/CodeT5%2B") == "https://github.com/salesforce/CodeT5"
    assert github_repository("https://github.com/01-ai") == ""
    assert len(COMPONENTS) == 17


def test_maker_spellings():
    assert read_makers("Technology Innovation Institute, LightOn").organisations == ("Technology Innovation Institute", "LightOn")
    assert read_makers("BigCode Project").names == ("BigCode Project",) and read_makers("BigCode Project").organisations == ()
    assert read_makers("  Aleph   Alpha ").organisations == ("Aleph Alpha",)  # not in the table: one organisation
