"""Build: strict parse, one named graph per file, incremental reloads, and bad input that changes nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.errors import InvalidData
from llm_atlas.layout import FILE_GRAPH_BASE
from llm_atlas.store import manifest_path


def store_fingerprint(store_dir: Path) -> str:
    """A hash of every quad in the store (read-only open), to prove a failed build changed nothing."""
    store = ox.Store.read_only(str(store_dir))
    lines = sorted(str(q) for q in store)
    del store
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def test_every_file_gets_its_own_named_graph(mini, store_dir):
    atlas = Atlas.open(mini, store_dir)
    result = atlas.build()
    assert result.rebuilt and result.files == result.graphs == len(result.loaded)
    graphs = {g.value for g in atlas.store.named_graphs()}
    assert FILE_GRAPH_BASE + "graph/organization/alpha-lab.ttl" in graphs
    assert FILE_GRAPH_BASE + "ontology/atlas.ttl" in graphs
    # a triple traces back to its file
    answer = atlas.query("SELECT ?g WHERE { GRAPH ?g { organization:alpha-lab a atlas:Organization } }")
    assert [r[0].value for r in answer.rows] == [FILE_GRAPH_BASE + "graph/organization/alpha-lab.ttl"]
    atlas.close()


def test_rebuild_reuses_the_store_and_reloads_only_what_changed(mini, store_dir):
    atlas = Atlas.open(mini, store_dir)
    first = atlas.build()
    second = atlas.build()
    assert not second.rebuilt and second.loaded == [] and second.removed == []
    assert second.triples == first.triples

    path = mini / "graph/organization/alpha-lab.ttl"
    path.write_text(path.read_text().replace('"Alpha Lab"@en', '"Alpha Laboratory"@en'))
    (mini / "graph/knowledge/alpha-survey.ttl").unlink()
    third = atlas.build()
    assert third.loaded == ["graph/organization/alpha-lab.ttl"]
    assert third.removed == ["graph/knowledge/alpha-survey.ttl"]
    labels = atlas.query('SELECT ?l WHERE { organization:alpha-lab rdfs:label ?l }')
    assert [r[0].value for r in labels.rows] == ["Alpha Laboratory"]
    gone = atlas.query("ASK { knowledge:alpha-survey ?p ?o }")
    assert gone.boolean is False
    atlas.close()


def test_force_reloads_everything(mini, store_dir):
    atlas = Atlas.open(mini, store_dir)
    atlas.build()
    assert atlas.build(force=True).rebuilt
    atlas.close()


def test_a_lost_manifest_means_a_full_rebuild(mini, store_dir):
    atlas = Atlas.open(mini, store_dir)
    atlas.build()
    manifest_path(store_dir).unlink()
    assert atlas.build().rebuilt
    atlas.close()


BAD_FILES = {
    "syntax": ('@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .\n\n<https://w3id.org/llm-atlas/organization/x> a atlas:Organization ;\n    <http://www.w3.org/2000/01/rdf-schema#label> "unterminated .\n', "turtle-syntax", 4),
    "unknown-prefix": ('@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .\n\norganization:x a atlas:Organization .\n', "unknown-prefix", 3),
    "bom": ("\ufeff@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .\n", "encoding", 1),
    "base": ("@base <https://w3id.org/llm-atlas/organization/> .\n<x> a <https://w3id.org/llm-atlas/ontology/Organization> .\n", "relative-iri", 1),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_file_is_reported_and_the_store_is_left_as_it_was(case, mini, store_dir):
    text, rule, line = BAD_FILES[case]
    atlas = Atlas.open(mini, store_dir)
    atlas.build()
    atlas.close()
    before = store_fingerprint(store_dir)
    manifest_before = manifest_path(store_dir).read_bytes()
    bad = mini / "graph/organization/x.ttl"
    bad.write_bytes(text.encode("utf-8"))
    with pytest.raises(InvalidData) as raised:
        atlas.build()
    problems = raised.value.problems
    assert [(p.path, p.rule) for p in problems] == [("graph/organization/x.ttl", rule)]
    assert problems[0].line == line
    assert store_fingerprint(store_dir) == before
    assert manifest_path(store_dir).read_bytes() == manifest_before


def test_invalid_utf8_gives_line_and_column(mini, store_dir):
    bad = mini / "graph/organization/x.ttl"
    bad.write_bytes(b'@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .\n# caf\xe9\n')
    with pytest.raises(InvalidData) as raised:
        Atlas.open(mini, store_dir).build()
    [problem] = raised.value.problems
    assert (problem.rule, problem.line, problem.col) == ("encoding", 2, 6)


def test_non_turtle_files_are_refused_by_name(mini, store_dir):
    (mini / "graph/organization/notes.json").write_text("{}")
    with pytest.raises(InvalidData) as raised:
        Atlas.open(mini, store_dir).build()
    assert [(p.path, p.rule) for p in raised.value.problems] == [("graph/organization/notes.json", "not-turtle")]


def test_all_bad_files_are_reported_together(mini, store_dir):
    for name in ("a", "b"):
        (mini / f"graph/organization/{name}.ttl").write_text("this is not turtle\n")
    with pytest.raises(InvalidData) as raised:
        Atlas.open(mini, store_dir).build()
    assert [p.path for p in raised.value.problems] == ["graph/organization/a.ttl", "graph/organization/b.ttl"]


def test_a_first_build_that_fails_creates_no_store(mini, store_dir):
    (mini / "graph/organization/x.ttl").write_text("nonsense")
    with pytest.raises(InvalidData):
        Atlas.open(mini, store_dir).build()
    assert not store_dir.exists()


INVALID_BUT_PARSEABLE = {
    # a link to an entity that does not exist
    "dangling-link": (
        "project/alpha.ttl",
        lambda text: text.replace("atlas:ledBy organization:alpha-lab ;", "atlas:ledBy organization:alpha-lab, organization:nobody ;"),
        "no-dangling-link",
    ),
    # an entity without a source
    "missing-source": (
        "organization/beta-corp.ttl",
        lambda text: text.replace("    atlas:organizationType orgtype:large-enterprise ;\n    atlas:source source:slides .", "    atlas:organizationType orgtype:large-enterprise ."),
        "source-required",
    ),
}


@pytest.mark.parametrize("case", sorted(INVALID_BUT_PARSEABLE))
def test_validate_checks_a_change_before_it_reaches_the_store(case, mini, store_dir):
    relpath, edit, rule = INVALID_BUT_PARSEABLE[case]
    atlas = Atlas.open(mini, store_dir)
    assert atlas.validate().conforms
    atlas.close()
    before = store_fingerprint(store_dir)
    manifest_before = manifest_path(store_dir).read_bytes()
    path = mini / "graph" / relpath
    edited = edit(path.read_text())
    assert edited != path.read_text()
    path.write_text(edited)

    report = atlas.validate()
    atlas.close()
    assert not report.conforms
    hits = [p for p in report.problems if p.rule == rule]
    assert hits and all(p.path == f"graph/{relpath}" and p.line > 0 for p in hits)
    assert store_fingerprint(store_dir) == before
    assert manifest_path(store_dir).read_bytes() == manifest_before


def test_validate_commits_a_valid_change(mini, store_dir):
    atlas = Atlas.open(mini, store_dir)
    atlas.validate()
    path = mini / "graph/organization/alpha-lab.ttl"
    path.write_text(path.read_text().replace('"Alpha Lab"@en', '"Alpha Laboratory"@en'))
    assert atlas.validate().conforms
    assert atlas.query("ASK { organization:alpha-lab rdfs:label 'Alpha Laboratory'@en }").boolean
    atlas.close()
