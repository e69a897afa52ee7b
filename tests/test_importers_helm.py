"""The HELM importer on a small snapshot, after the Hub, leaderboard and MOT imports: releases reconciled by name
with creator (curated, Hub, MOT-created), organisations matched by name, access mapped onto the atlas's scheme,
non-LLM models typed by what HELM says, a parameter count that differs from the leaderboard's, an ambiguous
name, values left out and entries skipped with file:line, same bytes twice."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.importers import import_source
from llm_atlas.importers.helm import ACCESS, helm_date

from .conftest import FIXTURES, ask, check_golden, make_checkout, overlay, short

HUB = FIXTURES / "importers" / "hub"
MOT = FIXTURES / "importers" / "mot"
HELM = FIXTURES / "importers" / "helm"
GOLDENS = Path(__file__).parent / "goldens" / "importers"
FILE = "src/helm/config/model_metadata.yaml"
PREFIXES = {
    "atlas": "https://w3id.org/llm-atlas/ontology/", "model": "https://w3id.org/llm-atlas/model/",
    "organization": "https://w3id.org/llm-atlas/organization/", "access": "https://w3id.org/llm-atlas/ontology/access/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "fair4ml": "https://w3id.org/fair4ml#",
}


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    checkout = make_checkout(tmp_path_factory.mktemp("helm") / "atlas")
    overlay(checkout, FIXTURES / "importers" / "overlay")
    for source in ("hf-hub", "open-llm-leaderboard"):
        import_source(source, HUB, checkout, version="fixture")
    import_source("mot", MOT, checkout, version="fixture")
    return checkout, import_source("helm", HELM, checkout, version="fixture")


@pytest.fixture(scope="module")
def store(imported) -> ox.Store:
    checkout, _ = imported
    store = ox.Store()
    store.load(path=str(checkout / "imports" / "helm.trig"), format=ox.RdfFormat.TRIG)
    return store



def described(store: ox.Store) -> dict[str, str]:
    return {short(r): short(e) for r, e in ask(store, "SELECT ?r ?e WHERE { ?r a atlas:SourceRecord ; atlas:describes ?e }")}


def test_import_file_is_golden(imported, update_goldens):
    checkout, _ = imported
    check_golden(GOLDENS / "helm.trig", (checkout / "imports" / "helm.trig").read_text(encoding="utf-8"), update_goldens)


def test_the_imported_atlas_is_valid(imported, tmp_path):
    checkout, _ = imported
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        report = atlas.validate()
    assert report.conforms, "\n".join(p.as_text() for p in report.problems)


def test_same_snapshot_same_bytes(imported):
    checkout, _ = imported
    before = (checkout / "imports" / "helm.trig").read_bytes()
    assert not import_source("helm", HELM, checkout, version="fixture").changed
    assert (checkout / "imports" / "helm.trig").read_bytes() == before


def test_the_report_counts_what_happened(imported):
    _, report = imported
    assert report.read == 10
    # the curated Alpha-7B, the Hub's gamma/Gamma-7B-Instruct and MOT's Mega-530B, each by name with its creator
    assert (report.matched, report.matched_by) == (3, {"name-creator": 3})
    assert [(p.path, p.line, p.rule, p.severity) for p in report.skipped] == [
        (FILE, 5, "import-record", "warning"),  # HELM's own test model
        (FILE, 79, "import-record", "warning"),  # acme/acme-large listed twice
    ]
    assert not report.has_errors
    assert [(p.path, p.line, p.message.split(" ")[0]) for p in sorted(report.left_out)] == [
        (FILE, 59, "access"), (FILE, 60, "num_parameters"), (FILE, 76, "release")]
    assert len(report.ambiguous) == 1 and "zed-mirror-zed-1b" in report.ambiguous[0] and "zed-zed-1b" in report.ambiguous[0]


def test_releases_are_reconciled_by_name_with_creator(store):
    records = described(store)
    assert records["model-alpha-lab-alpha-7b"] == "alpha-7b"  # curated
    assert records["model-gamma-gamma-7b-instruct"] == "gamma-gamma-7b-instruct"  # the Hub's, its creator the organisation MOT created
    assert records["model-microsoft-mega-530b"] == "microsoft-mega-530b"  # created by MOT
    # two Hub repositories answer to zed/zed-1b: a release of its own, the candidates listed on its record
    assert ask(store, "SELECT ?c WHERE { ?r atlas:describes ?e ; atlas:candidate ?c . ?e rdfs:label \"Zed (1B)\"@en }") == [
        ("<https://w3id.org/llm-atlas/model/zed-mirror-zed-1b>",), ("<https://w3id.org/llm-atlas/model/zed-zed-1b>",)]
    # a release no one else has gets HELM's display name as its label, and HELM's prose is not copied
    assert ask(store, "SELECT ?l WHERE { model:acme-ai-acme-large rdfs:label ?l }") == [('"Acme Large"@en',)]
    assert ask(store, "SELECT ?d WHERE { ?e <http://purl.org/dc/terms/description> ?d FILTER(CONTAINS(?d, \"Prose\")) }") == []


def test_creators_are_organisations_matched_by_name_or_names(store):
    # the curated Alpha Lab and MOT's Gamma and Microsoft are matched, not made again; Acme AI is new
    created = ask(store, "SELECT ?o WHERE { ?o a atlas:Organization }")
    assert [short(o) for (o,) in created] == ["acme-ai"]
    # HELM's Microsoft/NVIDIA are the organisations MOT created (each record states its own makers)
    assert [short(o) for (o,) in ask(store, "SELECT ?o WHERE { model:microsoft-mega-530b atlas:createdBy ?o }")] == ["microsoft", "nvidia"]
    assert ask(store, "SELECT ?n WHERE { ?m atlas:creatorName ?n }") == [('"nitrosocke"',)]


def test_access_dates_parameters(store):
    access = {short(m): short(a) for m, a in ask(store, "SELECT ?m ?a WHERE { ?m atlas:access ?a }")}
    assert access == {"alpha-7b": "open-weights", "gamma-gamma-7b-instruct": "open-weights", "microsoft-mega-530b": "closed",
                      "zed-zed-1b-7c2f3ab5": "open-weights", "acme-ai-acme-large": "api-only", "dreamy-diffusion": "open-weights",
                      "acme-ai-acme-small": "closed"}
    assert ask(store, "SELECT ?d WHERE { model:dreamy-diffusion atlas:releaseDate ?d }") == [
        ('"2024-06-05"^^<http://www.w3.org/2001/XMLSchema#date>',)]  # HELM's misspelt release: key, its date padded
    assert ask(store, "SELECT ?d WHERE { model:acme-ai-acme-small atlas:releaseDate ?d }") == []  # 2024-18-4 is not a date
    assert ask(store, "SELECT ?n WHERE { model:microsoft-mega-530b atlas:parameterCount ?n }") == [('"530000000000"^^<http://www.w3.org/2001/XMLSchema#integer>',)]


def test_a_parameter_count_that_differs_from_the_leaderboards(store):
    # the leaderboard said 7.24B for gamma/Gamma-7B-Instruct first; HELM's 7B is kept, not asserted
    assert ask(store, "SELECT ?o WHERE { ?d a atlas:DifferingStatement ; rdf:subject model:gamma-gamma-7b-instruct ; "
                      "rdf:predicate atlas:parameterCount ; rdf:object ?o }") == [('"7000000000"^^<http://www.w3.org/2001/XMLSchema#integer>',)]
    assert ask(store, "SELECT ?o WHERE { model:gamma-gamma-7b-instruct atlas:parameterCount ?o }") == []


def test_models_that_are_not_llms_are_typed_by_what_helm_says(store):
    tasks = {short(m): t.strip('"') for m, t in ask(store, "SELECT ?m ?t WHERE { ?m fair4ml:mlTask ?t }") if not short(m).startswith("zed")}
    assert tasks["dreamy-diffusion"] == "text-to-image"
    assert tasks["acme-ai-acme-embed"] == "sentence-similarity"
    assert tasks["acme-ai-acme-small"] == "audio-text-to-text"
    assert ask(store, "SELECT ?t WHERE { model:acme-ai-acme-large fair4ml:mlTask ?t }") == [('"image-text-to-text"',), ('"text-generation"',)]


def test_helm_dates_and_access_mapping():
    assert (helm_date("2023-06-22"), helm_date("2024-6-5"), helm_date("2024-18-4"), helm_date("yesterday")) == ("2023-06-22", "2024-06-05", "", "")
    assert {k: short(v) for k, v in ACCESS.items()} == {"open": "open-weights", "limited": "api-only", "closed": "closed"}


def test_an_import_file_no_importer_writes_is_read_first(tmp_path):
    """A file of imports/ that no registered importer writes is read first: its organisations are matched, its IRIs never minted again."""
    checkout = make_checkout(tmp_path / "atlas")
    overlay(checkout, FIXTURES / "importers" / "overlay")
    (checkout / "imports").mkdir()
    (checkout / "imports" / "legacy.ttl").write_text(
        "@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .\n@prefix organization: <https://w3id.org/llm-atlas/organization/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        'organization:acme-ai a atlas:Organization ; rdfs:label "ACME AI"@en .\n'
        'organization:zed a atlas:Organization ; rdfs:label "Zed Industries"@en .\n', encoding="utf-8")
    report = import_source("helm", HELM, checkout, version="fixture")
    store = ox.Store()
    store.load(path=str(checkout / "imports" / "helm.trig"), format=ox.RdfFormat.TRIG)
    makers = {short(m): short(o) for m, o in ask(store, "SELECT ?m ?o WHERE { ?m atlas:createdBy ?o }")}
    assert makers["acme-ai-acme-large"] == "acme-ai"  # "Acme AI" is the legacy file's ACME AI
    assert makers["zed-zed-1b"] != "zed"  # another organisation called Zed: a new IRI, not the legacy file's
    assert ask(store, "SELECT ?l WHERE { organization:acme-ai rdfs:label ?l }") == []
    assert makers["zed-zed-1b"].startswith("zed-")
    assert report.matched_by == {"name-creator": 1}  # the curated Alpha-7B; the legacy file holds no release
