"""A family's lineage (llm_atlas.lineage) and its drawing: which releases it holds, how far it reaches, what the
drawing leaves out and says so; the report's ecosystem chapter with the figure, and ``--family`` refused with a
hint when it names no family."""

from __future__ import annotations

import shutil

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas, lineage
from llm_atlas.cli import main
from llm_atlas.errors import EXIT_USAGE, UsageError
from llm_atlas.lineage_drawing import lineage_drawings

from .conftest import FIXTURES, make_checkout, overlay

M = "https://w3id.org/llm-atlas/model/"
A = "https://w3id.org/llm-atlas/ontology/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"


def store_of(*triples: tuple[str, str, str]) -> ox.Store:
    store = ox.Store()
    for s, p, o in triples:
        obj = ox.Literal(o) if p == LABEL else ox.NamedNode(o)
        store.add(ox.Quad(ox.NamedNode(s), ox.NamedNode(p), obj, ox.NamedNode("https://example.org/g")))
    return store


def family_graph(extra_quantisations: int = 0) -> ox.Store:
    """Family "fam" (nested "fam-2" in it): r1 fine-tuned from base b; r2 in the nested family; d1 fine-tuned from r1,
    d2 quantised from d1, d3 an adapter of r2; and ``extra_quantisations`` quantisations of r1 (q0, q1, ...)."""
    triples = [
        (M + "fam", RDF_TYPE, A + "ModelFamily"), (M + "fam", LABEL, "Fam"),
        (M + "fam-2", RDF_TYPE, A + "ModelFamily"), (M + "fam-2", A + "inFamily", M + "fam"),
        (M + "other", RDF_TYPE, A + "ModelFamily"), (M + "o1", RDF_TYPE, A + "ModelRelease"), (M + "o1", A + "inFamily", M + "other"),
        (M + "r1", RDF_TYPE, A + "ModelRelease"), (M + "r1", A + "inFamily", M + "fam"), (M + "r1", LABEL, "R1"),
        (M + "r2", RDF_TYPE, A + "ModelRelease"), (M + "r2", A + "inFamily", M + "fam-2"),
        (M + "r1", A + "fineTunedFrom", M + "b"),
        (M + "d1", A + "fineTunedFrom", M + "r1"), (M + "d2", A + "quantizedFrom", M + "d1"),
        (M + "d3", A + "adapterOf", M + "r2"), (M + "x", A + "fineTunedFrom", M + "o1"),
    ]
    triples += [(M + f"q{i}", A + "quantizedFrom", M + "r1") for i in range(extra_quantisations)]
    return store_of(*triples)


def test_a_family_holds_its_nested_releases_their_bases_and_every_descendant():
    found = lineage.family_lineage(family_graph(), M + "fam")
    roles = {node.removeprefix(M): data["role"] for node, data in found.graph.nodes(data=True)}
    assert roles == {"r1": "release", "r2": "release", "b": "base", "d1": "descendant", "d2": "descendant", "d3": "descendant"}
    assert found.releases == [M + "r1", M + "r2"] and found.label == "Fam" and found.left_out == 0
    assert {n.removeprefix(M): d["depth"] for n, d in found.graph.nodes(data=True) if d["role"] == "descendant"} == {"d1": 1, "d2": 2, "d3": 1}
    assert dict(found.relation_counts()) == {"fine-tuned from": 2, "quantised from": 1, "adapter of": 1}
    assert found.graph.edges[M + "d2", M + "d1"]["relation"] == "quantised from"
    assert "its 2 releases, made from 1 other release, and the 3 releases made from them" in found.caption()
    assert "leaves" not in found.caption()


def test_the_drawing_keeps_the_deepest_lineages_and_says_how_many_it_left_out():
    found = lineage.family_lineage(family_graph(extra_quantisations=10), M + "fam", drawn=3)
    kept = sorted(n.removeprefix(M) for n in found.descendants)
    # d1 has a lineage of its own (d2): it and d2 are kept first, then the nearest by IRI
    assert kept == ["d1", "d2", "d3"] and found.left_out == 10
    assert found.relation_counts()["quantised from"] == 11  # the counts are the whole lineage's, not the drawing's
    assert "keeps 3 descendants" in found.caption() and "leaves 10 out" in found.caption()


def test_the_busiest_family_is_the_one_with_the_most_descendants():
    assert lineage.busiest_family(family_graph()) == M + "fam"
    assert lineage.busiest_family(store_of((M + "fam", RDF_TYPE, A + "ModelFamily"))) is None


def test_family_names_expand_like_other_entity_names():
    assert lineage.expand_family("model:llama") == lineage.expand_family("llama") == M + "llama"
    assert lineage.expand_family(M + "llama") == M + "llama"


def test_the_drawing_is_deterministic_and_labels_every_release():
    found = lineage.family_lineage(family_graph(), M + "fam")
    first, second = lineage_drawings(found), lineage_drawings(found)
    assert first == second and first["png"].startswith(b"\x89PNG")
    svg = first["svg"].decode()
    for text in ("Lineage of Fam", "R1", "fine-tuned from (2)", "adapter of (1)", "licence category"):
        assert text in svg
    with pytest.raises(ValueError):
        lineage_drawings(found, ("pdf",))


FAMILY_FILE = """@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .
@prefix confidence: <https://w3id.org/llm-atlas/ontology/confidence/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix model: <https://w3id.org/llm-atlas/model/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix source: <https://w3id.org/llm-atlas/source/> .

model:alpha a atlas:Model, atlas:ModelFamily ;
    rdfs:label "Alpha"@en ;
    dcterms:description "A fictional model family for tests."@en ;
    atlas:source source:slides .
"""
IN_FAMILY = """
<https://w3id.org/llm-atlas/model/alpha-7b#infamily-alpha> a atlas:StatementClaim ;
    rdf:subject model:alpha-7b ;
    rdf:predicate atlas:inFamily ;
    rdf:object model:alpha ;
    atlas:confidence confidence:stated ;
    atlas:locator "slide 25" ;
    atlas:source source:slides .
"""


@pytest.fixture
def family_checkout(tmp_path):
    """The fixture graph with the small Hub catalogue's imports (descendants of alpha-7b) and alpha-7b in family alpha."""
    checkout = make_checkout(tmp_path / "atlas")
    overlay(checkout, FIXTURES / "importers" / "overlay")
    (checkout / "imports").mkdir(exist_ok=True)
    for source in ("hf-hub", "open-llm-leaderboard"):
        shutil.copyfile(FIXTURES.parent / "goldens" / "importers" / f"{source}.trig", checkout / "imports" / f"{source}.trig")
    (checkout / "graph/model/alpha.ttl").write_text(FAMILY_FILE)
    release = checkout / "graph/model/alpha-7b.ttl"
    release.write_text(release.read_text().replace("    atlas:baseModel model:beta-base ;", "    atlas:baseModel model:beta-base ;\n"
                                                   "    atlas:inFamily model:alpha ;", 1) + IN_FAMILY)
    return checkout


def test_the_report_draws_the_lineage_of_the_busiest_family(family_checkout, tmp_path):
    atlas = Atlas.open(family_checkout, tmp_path / "store")
    report = atlas.report(tmp_path / "out")
    again = atlas.report(tmp_path / "again")
    atlas.close()
    names = {p.name for p in report.files}
    assert {"lineage.png", "lineage.svg"} <= names
    assert (tmp_path / "out" / "lineage.svg").read_bytes() == (tmp_path / "again" / "lineage.svg").read_bytes()
    assert {p.name for p in again.files} == names
    markdown = (tmp_path / "out" / "report.md").read_text()
    chapter = markdown[markdown.index("## The ecosystem around the sample"):markdown.index("## Licence obligations along lineage")]
    assert "### Lineage of a family" in chapter and "![Lineage of Alpha](lineage.svg)" in chapter
    assert "its 1 release, made from 1 other release, and the 4 releases made from them" in chapter
    page = (tmp_path / "out" / "report.html").read_text()
    assert page.count("<figure><svg") == 2 and 'src="lineage.svg"' not in page


def test_report_family_option_names_a_family_or_is_refused_with_a_hint(family_checkout, tmp_path, capsys):
    store = tmp_path / "store"
    assert main(["--root", str(family_checkout), "--store", str(store), "report", "--out", str(tmp_path / "ok"),
                 "--family", "model:alpha"]) == 0
    assert (tmp_path / "ok" / "lineage.svg").exists()
    capsys.readouterr()
    assert main(["--root", str(family_checkout), "--store", str(store), "report", "--out", str(tmp_path / "bad"),
                 "--family", "alpah"]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "--family alpah: no model family of the atlas has this name; did you mean alpha?" in err
    assert not (tmp_path / "bad").exists()
    atlas = Atlas.open(family_checkout, store)
    with pytest.raises(UsageError):
        atlas.report(tmp_path / "bad", family="model:alpha-7b")  # a release is not a family
    atlas.close()


def test_without_lineage_into_a_family_the_report_draws_none(mini, tmp_path):
    atlas = Atlas.open(mini, tmp_path / "store")
    report = atlas.report(tmp_path / "out")
    atlas.close()
    assert report.lineage is None and not (tmp_path / "out" / "lineage.svg").exists()
    assert "Lineage of a family" not in (tmp_path / "out" / "report.md").read_text()
