"""The import framework on a small catalogue: reconciliation, one named graph per record, claims for curated
entities, differing values kept, references that do not dangle, problems by file and line, same bytes twice."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.importers import REGISTRY, import_source
from llm_atlas.importers.licences import resolve
from llm_atlas.importers.reconcile import organisation_key, release_key

from .conftest import FIXTURES, check_golden, make_checkout, overlay

HUB = FIXTURES / "importers" / "hub"
GOLDENS = Path(__file__).parent / "goldens" / "importers"
ATLAS = "https://w3id.org/llm-atlas/ontology/"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    """A mini checkout with a curated release on the Hub, after the hub and leaderboard imports."""
    checkout = make_checkout(tmp_path_factory.mktemp("importers") / "atlas")
    overlay(checkout, FIXTURES / "importers" / "overlay")
    reports = {source: import_source(source, HUB, checkout, version="fixture") for source in ("hf-hub", "open-llm-leaderboard")}
    return checkout, reports


def quads(checkout: Path, source: str) -> ox.Store:
    store = ox.Store()
    store.load(path=str(checkout / "imports" / f"{source}.trig"), format=ox.RdfFormat.TRIG)
    return store


def ask(store: ox.Store, query: str) -> list[tuple]:
    prefixes = {"atlas": ATLAS, "model": "https://w3id.org/llm-atlas/model/", "dataset": "https://w3id.org/llm-atlas/dataset/",
                "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
    return sorted(tuple(str(t) if t is not None else None for t in row) for row in store.query(query, prefixes=prefixes, use_default_graph_as_union=True))


@pytest.mark.parametrize("source", ["hf-hub", "open-llm-leaderboard"])
def test_import_files_are_golden(imported, source, update_goldens):
    checkout, _ = imported
    check_golden(GOLDENS / f"{source}.trig", (checkout / "imports" / f"{source}.trig").read_text(encoding="utf-8"), update_goldens)


def test_the_imported_atlas_is_valid(imported, tmp_path):
    checkout, _ = imported
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        report = atlas.validate()
    assert report.conforms, "\n".join(p.as_text() for p in report.problems)


def test_same_snapshot_same_bytes(imported):
    checkout, reports = imported
    before = {s: (checkout / "imports" / f"{s}.trig").read_bytes() for s in reports}
    for source in reports:
        again = import_source(source, HUB, checkout, version="fixture")
        assert not again.changed
        assert (checkout / "imports" / f"{source}.trig").read_bytes() == before[source]


def test_the_report_counts_what_happened(imported):
    _, reports = imported
    hub = reports["hf-hub"]
    # 5 models (the bad row skipped), 1 family, 1 dataset; Alpha-7B is the curated model:alpha-7b
    assert (hub.read, hub.matched, hub.matched_by) == (8, 1, {"huggingface-id": 1})
    assert [(p.path, p.line, p.rule, p.severity) for p in hub.skipped] == [
        ("warehouse/catalog/huggingface/top_models.csv", 3, "import-record", "warning")]
    # linked to, described by no record: ghost/Ghost-7B (a merge parent) and gamma/chat-mix (training data)
    assert hub.references == 2
    assert hub.facts and hub.triples / hub.facts < 3


def test_a_curated_release_is_matched_and_gets_claims_not_a_second_description(imported):
    checkout, _ = imported
    store = quads(checkout, "hf-hub")
    assert ask(store, "SELECT ?r ?key WHERE { ?r atlas:describes model:alpha-7b ; atlas:matchedBy ?key }") == [
        ("<https://w3id.org/llm-atlas/record/hf-hub/model-alpha-lab-alpha-7b>", "<https://w3id.org/llm-atlas/ontology/match-key/huggingface-id>")]
    # no label, type or importedFrom written for a curated entity: the curated file has them
    assert ask(store, "SELECT ?p WHERE { model:alpha-7b ?p ?o VALUES ?p { rdfs:label atlas:importedFrom rdf:type } }") == []
    # each fact it adds is backed by a statement claim derived from the record
    facts = ask(store, "SELECT ?p WHERE { model:alpha-7b ?p ?o . FILTER NOT EXISTS { ?c rdf:subject model:alpha-7b ; rdf:predicate ?p ; rdf:object ?o ; "
                       "a atlas:StatementClaim ; <http://www.w3.org/ns/prov#wasDerivedFrom> ?r } }")
    assert facts == []
    # and links to it resolve to the curated IRI
    assert ask(store, "SELECT ?m WHERE { ?m atlas:fineTunedFrom model:alpha-7b }") == [("<https://w3id.org/llm-atlas/model/gamma-gamma-7b-instruct>",)]


def test_typed_lineage_and_references(imported):
    checkout, _ = imported
    store = quads(checkout, "hf-hub")
    edges = ask(store, "SELECT ?m ?p ?b WHERE { ?m ?p ?b . VALUES ?p { atlas:fineTunedFrom atlas:quantizedFrom atlas:mergedFrom atlas:baseModel } }")
    assert [(m.rsplit("/", 1)[-1][:-1], p.rsplit("/", 1)[-1][:-1], b.rsplit("/", 1)[-1][:-1]) for m, p, b in edges] == [
        ("delta-delta-merge", "mergedFrom", "alpha-7b"),
        ("delta-delta-merge", "mergedFrom", "ghost-ghost-7b"),
        ("epsilon-epsilon-1b", "baseModel", "alpha-7b"),  # model_repos.csv gives no derivation type
        ("gamma-gamma-7b-instruct-gguf", "quantizedFrom", "gamma-gamma-7b-instruct"),
        ("gamma-gamma-7b-instruct", "fineTunedFrom", "alpha-7b"),
    ]
    assert ask(store, "SELECT ?e WHERE { ?r atlas:knownByReferenceOnly true ; atlas:describes ?e }") == [
        ("<https://w3id.org/llm-atlas/dataset/gamma-chat-mix>",), ("<https://w3id.org/llm-atlas/model/ghost-ghost-7b>",)]


def test_licences_stated_unidentified_and_not_stated(imported):
    checkout, _ = imported
    store = quads(checkout, "hf-hub")
    rows = ask(store, "SELECT ?m ?l ?name WHERE { ?m atlas:license ?l ; atlas:licenseName ?name }")
    by_model = {m.rsplit("/", 1)[-1][:-1]: (l, n) for m, l, n in rows}
    assert by_model["gamma-gamma-7b-instruct"] == ("<https://scancode-licensedb.aboutcode.org/llama-3.1-license-2024.html>", '"llama3.1"')
    assert by_model["gamma-gamma-7b-instruct-gguf"] == ("<https://w3id.org/llm-atlas/ontology/UnidentifiedLicense>", '"other"')
    assert "delta-delta-merge" not in by_model  # license:unknown states none: nothing is guessed


def test_a_later_source_that_disagrees_is_kept_as_a_differing_statement(imported):
    checkout, _ = imported
    store = quads(checkout, "open-llm-leaderboard")
    # the Hub says llama3.1 for Gamma-7B-Instruct; the leaderboard says mit: kept, not asserted
    assert ask(store, "SELECT ?o WHERE { ?d a atlas:DifferingStatement ; rdf:subject model:gamma-gamma-7b-instruct ; rdf:predicate atlas:license ; rdf:object ?o }") == [
        ("<https://spdx.org/licenses/MIT>",)]
    assert ask(store, "SELECT ?o WHERE { model:gamma-gamma-7b-instruct atlas:license ?o }") == []
    # the same base model as the Hub's: corroborated by the record, not repeated
    assert ask(store, "SELECT ?o WHERE { model:gamma-gamma-7b-instruct atlas:fineTunedFrom ?o }") == []


def test_leaderboard_results(imported):
    checkout, _ = imported
    store = quads(checkout, "open-llm-leaderboard")
    rows = ask(store, "SELECT ?m ?b ?s WHERE { ?r a atlas:EvaluationResult ; atlas:evaluatedRelease ?m ; atlas:onBenchmark ?b ; atlas:score ?s ; "
                      "atlas:reportedBy <https://w3id.org/llm-atlas/leaderboard/open-llm-leaderboard> }")
    assert len(rows) == 18
    assert ("<https://w3id.org/llm-atlas/model/gamma-gamma-7b-instruct>", "<https://w3id.org/llm-atlas/benchmark/ifeval>",
            '"60.25"^^<http://www.w3.org/2001/XMLSchema#decimal>') in rows
    # "Removed" base: no lineage; a model the Hub catalogue does not have is created
    assert ask(store, "SELECT ?p WHERE { model:zeta-zeta-3b ?p ?o VALUES ?p { atlas:baseModel atlas:fineTunedFrom } }") == []
    assert ask(store, "SELECT ?n WHERE { model:zeta-zeta-3b atlas:parameterCount ?n }") == [('"3200000000"^^<http://www.w3.org/2001/XMLSchema#integer>',)]


def test_an_unreadable_snapshot_is_a_usage_error(mini):
    from llm_atlas.errors import UsageError

    with pytest.raises(UsageError, match="does not exist"):
        import_source("hf-hub", mini / "no-such-folder", mini)
    with pytest.raises(UsageError, match="no importer"):
        import_source("no-such-source", HUB, mini)


def test_registry_order():
    assert [i.source for i in sorted(REGISTRY.values(), key=lambda i: i.precedence)][:3] == ["scancode-licensedb", "hf-hub", "open-llm-leaderboard"]


@pytest.mark.parametrize("spelling,expected", [
    ("Apache-2.0", "https://spdx.org/licenses/Apache-2.0"),
    ("llama2", "https://scancode-licensedb.aboutcode.org/llama-2-license-2023.html"),
    ("gemma", "https://scancode-licensedb.aboutcode.org/gemma-tou-2024-04-01.html"),
    ("cc-by-nc-sa-4.0", "https://spdx.org/licenses/CC-BY-NC-SA-4.0"),
    ("openrail", "https://w3id.org/llm-atlas/ontology/UnidentifiedLicense"),
    ("", None), ("unknown", None),
])
def test_licence_spellings(spelling, expected):
    found = resolve(spelling)
    assert (found.iri if found else None) == expected


def test_release_names_compare_with_versions_kept():
    assert release_key("Llama 3 (8B)") == release_key("Meta-Llama-3-8B", {"meta"}) != release_key("Llama 3.1 8B")
    # a longer creator key (Meta's Hub namespace meta-llama) is not stripped: it would take the family name with it
    assert release_key("Meta-Llama-3-8B", {"meta", "metallama"}) == "llama38b"


@pytest.mark.parametrize("a,b,same", [
    ("Mistral AI", "mistralai", True), ("Alibaba Group", "Alibaba", True), ("DeepSeek-AI", "DeepSeek", True),
    ("Cohere", "Cohere Labs", False),  # a lab is not its company
    ("AI21 Labs", "AI21", False),  # decided in data/creator-names.csv, not by the key
])
def test_organisation_names(a, b, same):
    assert (organisation_key(a) == organisation_key(b)) is same


@pytest.mark.parametrize("module", ["base", "reconcile", "licences"])
def test_docstring_examples(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(f"llm_atlas.importers.{module}"))
    assert result.failed == 0 and result.attempted > 0


def test_the_command_line_offers_every_importer():
    from llm_atlas.cli import IMPORT_SOURCES

    # osai: the alias of osai-index; osai-index-history writes history/, outside the build and the registry of imports/
    assert set(IMPORT_SOURCES) == set(REGISTRY) | {"osai", "osai-index-history"}
