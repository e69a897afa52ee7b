"""The ecosystem queries (lineage, training data, licences along lineage, results, disagreements, summary) on
a fixture atlas with imported records: the mini graph, a curated release on the Hub, and the imports of the
small Hub catalogue (tests/fixtures/importers/), each answer checked against its golden file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from llm_atlas import Atlas

from .conftest import FIXTURES, check_golden, make_checkout, make_disagreement_checkout, overlay

GOLDENS = Path(__file__).resolve().parent / "goldens" / "ecosystem"
IMPORTED = Path(__file__).resolve().parent / "goldens" / "importers"  # what the importers write for the fixture catalogue
QUERIES = ["descendants", "ancestors", "trained-on", "licence-changes-along-lineage", "benchmark-results", "source-disagreements",
           "ecosystem-summary", "ecosystem-coverage"]


@pytest.fixture(scope="module")
def eco_atlas(tmp_path_factory):
    base = tmp_path_factory.mktemp("eco")
    checkout = make_checkout(base / "atlas")
    overlay(checkout, FIXTURES / "importers" / "overlay")
    (checkout / "imports").mkdir(exist_ok=True)
    for source in ("hf-hub", "open-llm-leaderboard"):  # the small Hub catalogue's imports (other goldens are other fixtures')
        shutil.copyfile(IMPORTED / f"{source}.trig", checkout / "imports" / f"{source}.trig")
    atlas = Atlas.open(checkout, base / "store")
    atlas.build()
    yield atlas
    atlas.close()


@pytest.mark.parametrize("name", QUERIES)
def test_ecosystem_query_matches_its_golden(name, eco_atlas, update_goldens):
    check_golden(GOLDENS / f"{name}.tsv", eco_atlas.query(name).render("tsv"), update_goldens)


def column(result, name):
    index = result.variables.index(name)
    return [row[index].value if row[index] is not None else "" for row in result.rows]


def test_descendants_follow_every_kind_of_derivation(eco_atlas):
    result = eco_atlas.query("descendants", {"release": "model:alpha-7b"})
    assert sorted(zip(column(result, "descendantIri"), column(result, "relation"), column(result, "depth"))) == [
        ("https://w3id.org/llm-atlas/model/delta-delta-merge", "merged from", "1"),
        ("https://w3id.org/llm-atlas/model/epsilon-epsilon-1b", "base model", "1"),
        ("https://w3id.org/llm-atlas/model/gamma-gamma-7b-instruct", "fine-tuned from", "1"),
        ("https://w3id.org/llm-atlas/model/gamma-gamma-7b-instruct-gguf", "quantized from", "2"),
    ]


def test_ancestors_are_the_descendants_read_upwards(eco_atlas):
    up = eco_atlas.query("ancestors", {"release": "model:gamma-gamma-7b-instruct-gguf"})
    assert column(up, "ancestorIri")[:2] == ["https://w3id.org/llm-atlas/model/gamma-gamma-7b-instruct", "https://w3id.org/llm-atlas/model/alpha-7b"]


def test_the_disagreement_shows_both_sides_with_their_sources(eco_atlas):
    result = eco_atlas.query("source-disagreements")
    assert list(zip(column(result, "valueSource"), column(result, "otherSource"))) == [("hf-hub", "open-llm-leaderboard")]


def test_the_summary_counts_imported_facts_by_source(eco_atlas):
    result = eco_atlas.query("ecosystem-summary")
    facts = {(s, c): int(n) for m, s, c, n in zip(column(result, "measure"), column(result, "source"), column(result, "confidence"), column(result, "count"))
             if m == "facts"}
    assert set(facts) == {("hf-hub", "stated"), ("open-llm-leaderboard", "stated")} and all(facts.values())


def test_coverage_counts_what_the_fixture_holds(eco_atlas):
    result = eco_atlas.query("ecosystem-coverage")
    counts = dict(zip(column(result, "measure"), (int(n) for n in column(result, "count"))))
    # the fixture has no ScanCode LicenseDB import: its three licences are the only links to nothing
    assert counts["dangling links"] == 3 and counts["edges without evidence"] == 0
    # every release falls in exactly one licence row, or in none when it has several kinds of statement
    licence_rows = ("releases with an identified licence", "releases with the licence marked not stated",
                    "releases with a licence no source identifies", "releases with no licence statement")
    assert sum(counts[row] for row in licence_rows) >= counts["model releases"] > 0
    assert 0 < counts["release lineage edges (typed)"] and 0 < counts["benchmark scores"]


# -- disagreements: both forms, open and resolved --------------------------------------------------------------


@pytest.fixture(scope="module")
def disagreement_atlas(tmp_path_factory):
    base = tmp_path_factory.mktemp("disagree")
    atlas = Atlas.open(make_disagreement_checkout(base / "atlas"), base / "store")
    atlas.build()
    yield atlas
    atlas.close()


def test_disagreements_match_their_golden(disagreement_atlas, update_goldens):
    check_golden(GOLDENS / "disagreements.tsv", disagreement_atlas.query("disagreements").render("tsv"), update_goldens)


def test_disagreements_are_open_or_resolved_in_both_forms(disagreement_atlas):
    result = disagreement_atlas.query("disagreements")
    rows = list(zip(column(result, "kind"), column(result, "status"), column(result, "favoured"), column(result, "disagreementIri")))
    assert {(kind, status) for kind, status, _, _ in rows} == {
        ("differing statement", "open"), ("differing statement", "resolved"), ("contradicted claims", "open"), ("contradicted claims", "resolved")}
    # the resolved ones name the side they keep: the contradicting claim (the card), the licence the atlas asserts
    assert {(kind, favoured) for kind, status, favoured, _ in rows if status == "resolved"} == {
        ("contradicted claims", "otherValue"), ("differing statement", "value")}
    # the differing statements are exactly those source-disagreements lists: nothing dropped, nothing added
    differing = {iri for kind, _, _, iri in rows if kind == "differing statement"}
    assert differing == set(column(disagreement_atlas.query("source-disagreements"), "differingIri"))


def test_a_resolution_naming_the_other_claim_resolves_the_pair(disagreement_atlas, tmp_path):
    """A pair is listed once, from the claim that carries atlas:contradictedBy; a resolution may name either claim."""
    root = disagreement_atlas.root
    text = (root / "graph/resolution/gamma-7b-training-data.ttl").read_text(encoding="utf-8")
    other = text.replace("gamma-7b#trainedon-web-crawl> ;\n    atlas:favours", "gamma-7b#trainedon-alpha-corpus> ;\n    atlas:favours", 1)
    assert other != text
    shutil.copytree(root, tmp_path / "atlas")  # the module's atlas is only read: change a copy
    (tmp_path / "atlas/graph/resolution/gamma-7b-training-data.ttl").write_text(other, encoding="utf-8")
    with Atlas.open(tmp_path / "atlas", tmp_path / "store") as atlas:
        result = atlas.query("disagreements")
        rows = {(s, f) for k, s, f in zip(column(result, "property"), column(result, "status"), column(result, "favoured")) if k == "trained on"}
        assert rows == {("resolved", "otherValue")}
        assert not [p for p in atlas.validate().problems if p.rule.startswith("resolution-")]
