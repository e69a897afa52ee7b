"""The Data Provenance Collection importer on a small snapshot, after the Hub catalogue import it reconciles with.

The fixture (tests/fixtures/importers/data-provenance/): "Alpha Corpus" names the Hub's alpha-lab/alpha-corpus
(licences: one the Hub states too, one it does not); "Beta Mix" is a collection of its own: two subsets of one Hub
repository with different licences, a dataset the curated graph has (name with creator), one the Hub has (arXiv id
and name), and one by a project of the atlas; "Broken" is not JSON; "Leftovers" repeats an identifier and lacks a name.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from llm_atlas import Atlas
from llm_atlas.importers import import_source
from llm_atlas.importers.data_provenance import github_repo, hf_dataset_id

from .conftest import FIXTURES, ROOT, SHARED, check_golden, make_checkout, overlay
from .test_importers import GOLDENS, HUB, ask, quads

SNAPSHOT = FIXTURES / "importers" / "data-provenance"
REAL = SHARED / "external" / "data-provenance"
DP = "https://w3id.org/llm-atlas/dataset/"


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    checkout = make_checkout(tmp_path_factory.mktemp("data-provenance") / "atlas")
    overlay(checkout, FIXTURES / "importers" / "overlay")
    overlay(checkout, FIXTURES / "importers" / "data-provenance-overlay")
    import_source("hf-hub", HUB, checkout, version="fixture")
    report = import_source("data-provenance", SNAPSHOT, checkout, version="fixture")
    return checkout, report


def test_the_import_file_is_golden(imported, update_goldens):
    checkout, _ = imported
    check_golden(GOLDENS / "data-provenance.trig", (checkout / "imports" / "data-provenance.trig").read_text(encoding="utf-8"), update_goldens)


def test_the_imported_atlas_is_valid(imported, tmp_path):
    checkout, _ = imported
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        report = atlas.validate()
    assert report.conforms, "\n".join(p.as_text() for p in report.problems)


def test_same_snapshot_same_bytes(imported):
    checkout, _ = imported
    before = (checkout / "imports" / "data-provenance.trig").read_bytes()
    again = import_source("data-provenance", SNAPSHOT, checkout, version="fixture")
    assert not again.changed and (checkout / "imports" / "data-provenance.trig").read_bytes() == before


def test_skipped_records_name_file_line_and_rule(imported):
    _, report = imported
    assert [(p.path, p.line, p.col, p.rule, p.severity) for p in report.skipped] == [
        ("data_summaries/Broken.json", 4, 34, "import-syntax", "error"),
        ("data_summaries/Leftovers.json", 2, 1, "import-record", "warning"),
        ("data_summaries/Leftovers.json", 9, 1, "import-record", "warning"),
    ]
    broken, duplicate, nameless = report.skipped
    assert "not valid JSON" in broken.message and "nothing of this file" in broken.message
    assert "taken already by data_summaries/Beta Mix.json:2" in duplicate.message
    assert "no Dataset Name" in nameless.message
    assert report.has_errors  # a file that does not parse is an error (exit 1); the rest is imported all the same


def described(checkout: Path) -> list[tuple[str, str, str]]:
    """(file:line, entity, match key) of every record that describes its entity."""
    rows = ask(quads(checkout, "data-provenance"),
               "SELECT ?loc ?e ?k WHERE { ?r atlas:locator ?loc ; atlas:describes ?e OPTIONAL { ?r atlas:matchedBy ?k } "
               "FILTER NOT EXISTS { ?r atlas:knownByReferenceOnly true } }")
    return sorted((loc.strip('"').split("/")[-1], e.rsplit("/", 1)[-1][:-1], (k or "").rsplit("/", 1)[-1][:-1]) for loc, e, k in rows)


def test_reconciliation_by_key(imported):
    checkout, report = imported
    assert report.matched_by == {"arxiv-id": 1, "huggingface-id": 1, "name-creator": 1}
    assert described(checkout) == [
        ("Alpha Corpus.json:2", "alpha-lab-alpha-corpus", "huggingface-id"),  # the Hub's dataset
        ("Beta Mix.json:16", "beta-beta-mix", ""),  # the second subset of one Hub repository: the same dataset
        ("Beta Mix.json:2", "beta-beta-mix", ""),  # the first subset creates it (the Hub catalogue lacks it)
        ("Beta Mix.json:2", "beta-mix", ""),  # the collection: its datasets are several, so it is a dataset of its own
        ("Beta Mix.json:30", "web-crawl", "name-creator"),  # curated, by its name and its creator Beta Corp
        ("Beta Mix.json:44", "alpha-lab-alpha-corpus", "arxiv-id"),  # the Hub's, by the paper and an agreeing name
        ("Beta Mix.json:58", "delta-university-code-tasks", ""),  # the same paper, another name: not merged
    ]


def test_subsets_of_one_repository_add_up_their_licences(imported):
    checkout, _ = imported
    store = quads(checkout, "data-provenance")
    assert ask(store, "SELECT ?l WHERE { dataset:beta-beta-mix atlas:license ?l }") == [
        ("<https://spdx.org/licenses/Apache-2.0>",), ("<https://spdx.org/licenses/MIT>",)]
    assert ask(store, "SELECT ?d WHERE { ?d a atlas:DifferingStatement ; rdf:subject dataset:beta-beta-mix }") == []
    assert ask(store, "SELECT ?d WHERE { dataset:beta-mix atlas:derivedFrom ?d }") == [
        (f"<{DP}alpha-lab-alpha-corpus>",), (f"<{DP}beta-beta-mix>",), (f"<{DP}delta-university-code-tasks>",), (f"<{DP}web-crawl>",)]


def test_a_licence_the_hub_does_not_state_is_kept_as_a_differing_statement(imported):
    checkout, _ = imported
    store = quads(checkout, "data-provenance")
    # the Hub says cc-by-4.0 for alpha-lab/alpha-corpus: the collection's CC BY 4.0 corroborates it (not repeated),
    # its CC BY-NC 4.0 is kept, visible and not asserted
    assert ask(store, "SELECT ?l WHERE { dataset:alpha-lab-alpha-corpus atlas:license ?l }") == []
    assert ask(store, "SELECT ?o WHERE { ?d a atlas:DifferingStatement ; rdf:subject dataset:alpha-lab-alpha-corpus ; rdf:predicate atlas:license ; "
                      "rdf:object ?o }") == [("<https://spdx.org/licenses/CC-BY-NC-4.0>",)]


def test_who_verified_each_licence_and_where_it_is_stated(imported):
    checkout, _ = imported
    rows = ask(quads(checkout, "data-provenance"),
               "SELECT ?s ?l ?page ?who WHERE { ?n a atlas:LicenseStatement ; rdf:subject ?s ; rdf:predicate atlas:license ; rdf:object ?l "
               "OPTIONAL { ?n atlas:evidence ?page } OPTIONAL { ?n atlas:verifiedBy ?who } }")
    assert [(s.rsplit("/", 1)[-1][:-1], l.rsplit("/", 1)[-1][:-1], p, w) for s, l, p, w in rows] == [
        ("alpha-lab-alpha-corpus", "CC-BY-4.0", "<https://creativecommons.org/licenses/by/4.0/>", '"Ada Example"'),
        ("alpha-lab-alpha-corpus", "CC-BY-4.0", "<https://huggingface.co/datasets/alpha-lab/alpha-corpus#license>", '"Ada Example"'),
        ("alpha-lab-alpha-corpus", "CC-BY-NC-4.0", "<https://alpha.example.org/terms>", '"Ada Example"'),
        ("beta-beta-mix", "Apache-2.0", None, '"Bo Example"'),  # "not a url" is no page
        ("beta-beta-mix", "MIT", "<https://github.com/beta-corp/beta-mix/blob/main/LICENSE>", '"Bo Example"'),  # spaces normalised
        ("delta-university-code-tasks", "UnidentifiedLicense", "<https://codeforge.example.org/terms>", '"Cy Example"'),
    ]
    # "Unspecified" states no licence: nothing is guessed for web-crawl
    assert ask(quads(checkout, "data-provenance"), "SELECT ?l WHERE { dataset:web-crawl atlas:license ?l }") == []


def test_creators_projects_generation_and_derivation(imported):
    checkout, _ = imported
    store = quads(checkout, "data-provenance")
    # organisations by name (Alpha Lab, Beta Corp are curated), a new one created; the project CodeForge builds the dataset
    assert ask(store, "SELECT DISTINCT ?d ?o WHERE { ?d atlas:createdBy ?o }") == [
        (f"<{DP}alpha-lab-alpha-corpus>", "<https://w3id.org/llm-atlas/organization/alpha-lab>"),
        (f"<{DP}beta-beta-mix>", "<https://w3id.org/llm-atlas/organization/beta-corp>"),
        (f"<{DP}delta-university-code-tasks>", "<https://w3id.org/llm-atlas/organization/delta-university>"),
    ]
    assert ask(store, "SELECT ?o WHERE { ?o a atlas:Organization }") == [("<https://w3id.org/llm-atlas/organization/delta-university>",)]
    assert ask(store, "SELECT ?d WHERE { <https://w3id.org/llm-atlas/project/codeforge> atlas:builds ?d . "
                      "?c a atlas:StatementClaim ; rdf:subject <https://w3id.org/llm-atlas/project/codeforge> ; rdf:object ?d }") == [
        (f"<{DP}delta-university-code-tasks>",)]
    # model generated: a named model (and "Other") is; "templates" alone is not a model
    assert ask(store, "SELECT DISTINCT ?d ?m WHERE { ?d atlas:modelGenerated true OPTIONAL { ?d atlas:generatedWith ?m } }") == [
        (f"<{DP}beta-beta-mix>", '"OpenAI GPT-4"'), (f"<{DP}delta-university-code-tasks>", '"StarCoder"')]
    # derived from: a Hub URL (the Hub's reference entity, by its id), a name of the snapshot, a name no record describes
    assert ask(store, "SELECT DISTINCT ?d ?s WHERE { ?d atlas:derivedFrom ?s FILTER (?d != dataset:beta-mix) }") == [
        (f"<{DP}alpha-lab-alpha-corpus>", f"<{DP}old-forum-dump>"),
        (f"<{DP}alpha-lab-alpha-corpus>", f"<{DP}web-crawl>"),
        (f"<{DP}beta-beta-mix>", f"<{DP}alpha-corpus-7a4b1810>"),  # two datasets of the snapshot are called alpha-corpus
        (f"<{DP}delta-university-code-tasks>", f"<{DP}alpha-lab-alpha-corpus>"),
        (f"<{DP}delta-university-code-tasks>", f"<{DP}gamma-chat-mix>"),
    ]
    # a name two entities answer to is never guessed: the reference lists them for review
    assert ask(store, "SELECT ?c WHERE { ?r atlas:describes dataset:alpha-corpus-7a4b1810 ; atlas:candidate ?c }") == [
        (f"<{DP}alpha-corpus>",), (f"<{DP}alpha-lab-alpha-corpus>",)]
    text = (checkout / "imports" / "data-provenance.trig").read_text(encoding="utf-8")
    assert "Fixture notes" not in text  # the annotators' notes are prose: never carried over


@pytest.mark.parametrize("url,hf_id", [
    ("https://huggingface.co/datasets/tatsu-lab/alpaca", "tatsu-lab/alpaca"),
    ("https://huggingface.co/datasets/CohereForAI/aya_dataset/viewer/default/train?f=1", "CohereForAI/aya_dataset"),
    ("https://hf.co/datasets/arbml/CIDAR", "arbml/CIDAR"),
    ("huggingface.co/datasets/Anthropic/hh-rlhf", "Anthropic/hh-rlhf"),
    ("https://huggingface.co/datasets/cos_e", "cos_e"),
    ("https://huggingface.co/project-baize", ""),
    ("https://github.com/nomic-ai/gpt4all", ""),
])
def test_hub_dataset_ids(url, hf_id):
    assert hf_dataset_id(url) == hf_id


def test_github_repositories():
    assert github_repo("https://github.com/facebookarchive/bAbI-tasks/blob/master/LICENSE.md") == "https://github.com/facebookarchive/bAbI-tasks"
    assert github_repo("https://github.com/google-research/FLAN/tree/main/flan/v2") == "https://github.com/google-research/FLAN"
    assert github_repo("https://gitlab.com/x/y") == ""


@pytest.mark.slow
def test_the_real_collection_reads_every_dataset(tmp_path):
    if not REAL.is_dir():
        pytest.skip(f"the Data Provenance Collection snapshot is not at {REAL} (shared/ is absent)")
    checkout = tmp_path / "atlas"
    for folder in ("ontology", "graph", "queries"):
        shutil.copytree(ROOT / folder, checkout / folder)
    report = import_source("data-provenance", REAL, checkout)
    # 2,311 datasets in 108 files; the one identifier given in two files is skipped with a warning
    assert not report.has_errors, report.to_text()
    assert [(p.path, p.rule) for p in report.skipped] == [("data_summaries/PII-masking-200k.json", "import-record")]
    # every record read is written (2,310 datasets and the collections that are datasets of their own)
    assert report.records - report.references == report.read - len(report.skipped) > 2310
    assert report.matched_by.get("arxiv-id", 0) > 50  # the Aya Dataset's 71 subsets are the curated dataset:aya-dataset
