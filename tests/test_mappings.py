"""SSSOM export of the atlas's external links: the fixture graph (with identifier claims added) against a
golden file, the rules of SSSOM/TSV, and one record per identifier claim on the real graph."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from llm_atlas import Atlas
from llm_atlas.errors import UsageError
from llm_atlas.link import APPLY_COMMENT
from llm_atlas.namespaces import LEXICAL_MATCHING
from llm_atlas.mappings import COLUMNS, IDENTIFIER_PROPERTIES

from .conftest import ROOT, check_golden, make_checkout

GOLDENS = Path(__file__).resolve().parent / "goldens" / "mappings"

# The slots of SSSOM's MappingSet and Mapping classes (mapping-commons/sssom, src/sssom_schema/schema/sssom_schema.yaml),
# in the schema's order.
MAPPING_SET_SLOTS = [
    "sssom_version", "curie_map", "mappings", "mapping_set_id", "mapping_set_version", "mapping_set_source", "mapping_set_title",
    "mapping_set_description", "mapping_set_confidence", "creator_id", "creator_label", "license", "subject_type", "subject_source",
    "subject_source_version", "object_type", "object_source", "object_source_version", "predicate_type", "mapping_provider",
    "cardinality_scope", "mapping_tool", "mapping_tool_id", "mapping_tool_version", "mapping_date", "publication_date",
    "subject_match_field", "object_match_field", "subject_preprocessing", "object_preprocessing", "similarity_measure",
    "curation_rule", "curation_rule_text", "see_also", "issue_tracker", "other", "comment", "extension_definitions",
]
MAPPING_SLOTS = [
    "record_id", "subject_id", "subject_label", "subject_category", "predicate_id", "predicate_label", "predicate_modifier", "object_id",
    "object_label", "object_category", "mapping_justification", "author_id", "author_label", "reviewer_id", "reviewer_label",
    "creator_id", "creator_label", "license", "subject_type", "subject_source", "subject_source_version", "object_type",
    "object_source", "object_source_version", "predicate_type", "mapping_provider", "mapping_source", "mapping_cardinality",
    "cardinality_scope", "mapping_tool", "mapping_tool_id", "mapping_tool_version", "mapping_date", "publication_date",
    "review_date", "confidence", "curation_rule", "curation_rule_text", "subject_match_field", "object_match_field", "match_string",
    "subject_preprocessing", "object_preprocessing", "similarity_score", "similarity_measure", "see_also", "issue_tracker_item",
    "other", "comment",
]
# EntityReference slots: written as CURIEs in SSSOM/TSV
CURIE_COLUMNS = ("record_id", "subject_id", "subject_category", "predicate_id", "object_id", "mapping_justification", "mapping_source")
BUILT_IN = {
    "owl": "http://www.w3.org/2002/07/owl#", "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "semapv": "https://w3id.org/semapv/vocab/",
    "skos": "http://www.w3.org/2004/02/skos/core#", "sssom": "https://w3id.org/sssom/",
    "xsd": "http://www.w3.org/2001/XMLSchema#", "linkml": "https://w3id.org/linkml/",
}
JUSTIFICATIONS = {"semapv:ManualMappingCuration", "semapv:LexicalMatching"}

# Identifier claims added to the fixture graph (it has none of its own): one of each kind of identifier, a
# Hugging Face id on a model, a dataset, a leaderboard and an organisation, a repository outside the known
# hosts, a comment with quotes, and a link as `llm-atlas link --apply` writes it.
PREFIXES = """\
@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .
@prefix confidence: <https://w3id.org/llm-atlas/ontology/confidence/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix source: <https://w3id.org/llm-atlas/source/> .
"""


def _claim(entity: str, fragment: str, predicate: str, value: str, confidence: str, evidence: str, comment: str = "",
           marked: bool = False) -> str:
    subject = f"<https://w3id.org/llm-atlas/{entity}>"
    return (
        f"{subject} {predicate} {value} .\n"
        f"<https://w3id.org/llm-atlas/{entity}#{fragment}> a atlas:StatementClaim ;\n"
        f"    rdf:subject {subject} ; rdf:predicate {predicate} ; rdf:object {value} ;\n"
        f"    atlas:source source:external ; atlas:evidence <{evidence}> ; atlas:confidence confidence:{confidence}"
        + (f" ;\n    rdfs:comment {comment}@en" if comment else "")
        + (f" ;\n    dcterms:type <{LEXICAL_MATCHING}>" if marked else "") + " .\n"
    )


IDENTIFIERS = {
    "model/alpha-7b": [
        ("huggingfaceid", "atlas:huggingFaceId", '"alpha-lab/Alpha-7B"', "stated", "https://huggingface.co/alpha-lab/Alpha-7B"),
        ("arxivid", "atlas:arxivId", '"2401.00001"', "paraphrased", "https://arxiv.org/abs/2401.00001"),
        ("license-apache-2-0", "atlas:license", "<https://spdx.org/licenses/Apache-2.0>", "stated",
         "https://huggingface.co/alpha-lab/Alpha-7B/blob/main/README.md", '"The card says \\"Apache 2.0\\"."'),
    ],
    "dataset/alpha-corpus": [
        ("huggingfaceid", "atlas:huggingFaceId", '"alpha-lab/alpha-corpus"', "stated", "https://huggingface.co/datasets/alpha-lab/alpha-corpus"),
    ],
    "leaderboard/alpha-board": [
        ("huggingfaceid", "atlas:huggingFaceId", '"alpha-lab/leaderboard"', "stated", "https://huggingface.co/spaces/alpha-lab/leaderboard"),
    ],
    "organization/alpha-lab": [
        ("huggingfaceid", "atlas:huggingFaceId", '"alpha-lab"', "stated", "https://huggingface.co/alpha-lab"),
        ("rorid", "atlas:rorId", "<https://ror.org/0abcdef12>", "stated", "https://ror.org/0abcdef12"),
        ("exactmatch-q990001", "skos:exactMatch", "<http://www.wikidata.org/entity/Q990001>", "inferred",
         "https://www.wikidata.org/wiki/Q990001", f'"{APPLY_COMMENT}"', True),
    ],
    "framework/trainer": [
        ("sourcerepository-github", "atlas:sourceRepository", "<https://github.com/alpha-lab/trainer>", "stated",
         "https://github.com/alpha-lab/trainer"),
        ("sourcerepository-codeberg", "atlas:sourceRepository", "<https://codeberg.org/alpha-lab/trainer>", "paraphrased",
         "https://codeberg.org/alpha-lab/trainer", '"A mirror."'),
    ],
}


def mini_with_identifiers(tmp_path: Path) -> Atlas:
    checkout = make_checkout(tmp_path / "atlas")
    for entity, claims in IDENTIFIERS.items():
        path = checkout / "graph" / f"{entity}.ttl"
        added = "".join(_claim(entity, *claim) for claim in claims)
        path.write_text(PREFIXES + path.read_text(encoding="utf-8") + "\n" + added, encoding="utf-8")
    return Atlas.open(checkout, tmp_path / "store")


def parse_sssom(text: str) -> tuple[dict, list[str], list[dict[str, str]]]:
    """(metadata, columns, records) of an SSSOM/TSV text (no value of these files needs unquoting but one)."""
    lines = text.split("\n")
    assert lines[-1] == "" and "\r" not in text
    meta_lines = [line for line in lines if line.startswith("#")]
    assert lines[:len(meta_lines)] == meta_lines, "the metadata block comes first, in one piece"
    metadata = yaml.safe_load("\n".join(line[1:] for line in meta_lines))
    columns = lines[len(meta_lines)].split("\t")
    records = []
    for line in lines[len(meta_lines) + 1:-1]:
        cells = line.split("\t")
        assert len(cells) == len(columns), line
        records.append({c: (v[1:-1].replace('""', '"') if v.startswith('"') else v) for c, v in zip(columns, cells)})
    return metadata, columns, records


def expand(curie: str, curie_map: dict[str, str]) -> str:
    prefix, _, local = curie.partition(":")
    namespace = curie_map.get(prefix) or BUILT_IN.get(prefix)
    assert namespace, f"{curie}: prefix {prefix!r} is not declared"
    assert local and not re.search(r"\s", local), curie
    return namespace + local


def check_sssom(text: str) -> tuple[dict, list[dict[str, str]]]:
    """Assert the rules of SSSOM/TSV this export follows; return the metadata and the records."""
    metadata, columns, records = parse_sssom(text)
    assert list(metadata)[0] == "curie_map"
    assert [k for k in metadata if k != "curie_map"] == [k for k in MAPPING_SET_SLOTS if k in metadata and k != "curie_map"]
    assert metadata["license"] == "https://creativecommons.org/licenses/by/4.0/"
    assert metadata["mapping_set_id"].startswith("https://w3id.org/llm-atlas/mappings/")
    assert metadata["sssom_version"] == "1.1"
    curie_map = metadata["curie_map"]
    assert list(curie_map) == sorted(curie_map) and not set(curie_map) & set(BUILT_IN)
    assert columns == [c for c in MAPPING_SLOTS if c in columns] and set(columns) <= set(COLUMNS)
    assert {"subject_id", "predicate_id", "object_id", "mapping_justification"} <= set(columns)
    used = set()
    for record in records:
        for column in CURIE_COLUMNS:
            if record.get(column):
                expand(record[column], curie_map)
                used.add(record[column].split(":", 1)[0])
        assert record["mapping_justification"] in JUSTIFICATIONS
        assert re.fullmatch(r"0|1|0\.\d{1,3}", record["confidence"]) and 0 <= float(record["confidence"]) <= 1
        assert all(url.startswith(("https://", "http://")) for url in record["see_also"].split("|"))
    assert used - set(BUILT_IN) == set(curie_map), "the curie_map declares exactly the prefixes used"
    assert records == sorted(records, key=lambda r: tuple(r.get(c, "") for c in columns))
    assert len({r["record_id"] for r in records}) == len(records)
    return metadata, records


# -- the fixture graph ---------------------------------------------------------------------------------


def test_the_fixture_graph_exports_as_the_golden_file(tmp_path, update_goldens):
    with mini_with_identifiers(tmp_path) as atlas:
        assert atlas.validate().problems == []  # the added claims are valid atlas data
        out = tmp_path / "out" / "mini.sssom.tsv"
        export = atlas.export_mappings(out)
        text = out.read_text(encoding="utf-8")
        assert export.records == 10 and export.text == text
        check_golden(GOLDENS / "mini.sssom.tsv", text, update_goldens)
        atlas.export_mappings(out)
        assert out.read_text(encoding="utf-8") == text  # deterministic
        assert [p.name for p in out.parent.iterdir()] == ["mini.sssom.tsv"]  # no temporary file left behind


def test_the_fixture_export_follows_sssom(tmp_path):
    with mini_with_identifiers(tmp_path) as atlas:
        metadata, records = check_sssom(atlas.export_mappings(tmp_path / "mini.sssom.tsv").text)
    curie_map = metadata["curie_map"]
    by_record = {r["record_id"]: r for r in records}
    objects = {record_id: expand(r["object_id"], curie_map) for record_id, r in by_record.items()}
    assert objects == {
        "model:alpha-7b#huggingfaceid": "https://huggingface.co/alpha-lab/Alpha-7B",
        "model:alpha-7b#arxivid": "https://arxiv.org/abs/2401.00001",
        "model:alpha-7b#license-apache-2-0": "https://spdx.org/licenses/Apache-2.0",
        "dataset:alpha-corpus#huggingfaceid": "https://huggingface.co/datasets/alpha-lab/alpha-corpus",
        "leaderboard:alpha-board#huggingfaceid": "https://huggingface.co/spaces/alpha-lab/leaderboard",
        "organization:alpha-lab#huggingfaceid": "https://huggingface.co/alpha-lab",
        "organization:alpha-lab#rorid": "https://ror.org/0abcdef12",
        "organization:alpha-lab#exactmatch-q990001": "http://www.wikidata.org/entity/Q990001",
        "framework:trainer#sourcerepository-github": "https://github.com/alpha-lab/trainer",
        "framework:trainer#sourcerepository-codeberg": "https://codeberg.org/alpha-lab/trainer",
    }
    link = by_record["organization:alpha-lab#exactmatch-q990001"]
    assert (link["mapping_justification"], link["confidence"], link["predicate_id"]) == ("semapv:LexicalMatching", "0.6", "skos:exactMatch")
    assert by_record["model:alpha-7b#arxivid"]["confidence"] == "0.9"
    assert {r["mapping_justification"] for k, r in by_record.items() if "exactmatch" not in k} == {"semapv:ManualMappingCuration"}
    assert by_record["model:alpha-7b#license-apache-2-0"]["comment"] == 'The card says "Apache 2.0".'
    assert by_record["model:alpha-7b#huggingfaceid"]["object_label"] == "alpha-lab/Alpha-7B"
    assert expand(by_record["model:alpha-7b#huggingfaceid"]["subject_id"], curie_map) == "https://w3id.org/llm-atlas/model/alpha-7b"
    assert expand(by_record["model:alpha-7b#huggingfaceid"]["record_id"], curie_map) == "https://w3id.org/llm-atlas/model/alpha-7b#huggingfaceid"
    assert {r["mapping_source"] for r in records} == {"source:external"}
    assert curie_map["codeberg.org"] == "https://codeberg.org/"


@pytest.mark.parametrize("comment, marked, justification", [
    (f'"{APPLY_COMMENT}"', False, "semapv:ManualMappingCuration"),  # the comment is for people: it decides nothing
    ('"Checked by hand."', True, "semapv:LexicalMatching"),
    ("", True, "semapv:LexicalMatching"),
])
def test_the_justification_follows_the_mark_in_the_data_not_the_comment(tmp_path, comment, marked, justification):
    checkout = make_checkout(tmp_path / "atlas")
    path = checkout / "graph" / "organization" / "alpha-lab.ttl"
    claim = ("exactmatch-q990001", "skos:exactMatch", "<http://www.wikidata.org/entity/Q990001>", "inferred",
             "https://www.wikidata.org/wiki/Q990001", comment, marked)
    path.write_text(PREFIXES + path.read_text(encoding="utf-8") + "\n" + _claim("organization/alpha-lab", *claim), encoding="utf-8")
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        _, _, records = parse_sssom(atlas.export_mappings(tmp_path / "out.sssom.tsv").text)
    assert [r["mapping_justification"] for r in records] == [justification]


def test_without_identifiers_the_set_has_only_the_required_columns(tmp_path):
    with Atlas.open(make_checkout(tmp_path / "atlas"), tmp_path / "store") as atlas:
        text = atlas.export_mappings(tmp_path / "empty.sssom.tsv").text
    metadata, columns, records = parse_sssom(text)
    assert records == [] and columns == ["subject_id", "predicate_id", "object_id", "mapping_justification"]
    assert metadata["curie_map"] is None or metadata["curie_map"] == {}


def test_the_output_must_be_a_file(tmp_path):
    with Atlas.open(make_checkout(tmp_path / "atlas"), tmp_path / "store") as atlas:
        with pytest.raises(UsageError, match="folder"):
            atlas.export_mappings(tmp_path)


# -- the real graph ------------------------------------------------------------------------------------

IDENTIFIER_CLAIMS = """
SELECT DISTINCT ?claim WHERE {
  VALUES ?p { %s }
  ?claim a atlas:StatementClaim ; rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o .
  ?s ?p ?o .
}""" % " ".join(f"<{p}>" for p in IDENTIFIER_PROPERTIES)


def test_the_real_graph_has_one_record_per_identifier_claim(tmp_path):
    with Atlas.open(ROOT, tmp_path / "store") as atlas:
        export = atlas.export_mappings(tmp_path / "llm-atlas.sssom.tsv")
        claims = {row[0].value for row in atlas.query(IDENTIFIER_CLAIMS).rows}
    metadata, records = check_sssom(export.text)
    assert export.records == len(records) == len(claims) > 0
    assert {expand(r["record_id"], metadata["curie_map"]) for r in records} == claims
    pythia = {r["predicate_id"]: expand(r["object_id"], metadata["curie_map"]) for r in records if r["subject_id"] == "model:pythia"}
    assert pythia == {"atlas:huggingFaceId": "https://huggingface.co/EleutherAI/pythia-6.9b",
                      "atlas:arxivId": "https://arxiv.org/abs/2304.01373",
                      "atlas:license": "https://spdx.org/licenses/Apache-2.0"}
