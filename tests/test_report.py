"""The main job's report: every study query answered, the network drawn, deterministic, never half-written."""

from __future__ import annotations

import hashlib

import pytest

from llm_atlas import Atlas
from llm_atlas.errors import InvalidData
from llm_atlas.report import CHAPTERS, chapter_of, selected

from .conftest import ROOT


def digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


def test_report_folder_is_complete_and_deterministic(mini, tmp_path):
    atlas = Atlas.open(mini, tmp_path / "store")
    first = atlas.report(tmp_path / "one")
    atlas.report(tmp_path / "two")
    atlas.close()
    names = sorted(p.name for p in first.files)
    assert names == sorted([
        "report.md", "report.html", "network.md",
        "collaboration.graphml", "collaboration.gexf", "collaboration.png", "collaboration.svg",
        "project-artifact.graphml", "project-artifact.gexf", "project-artifact.png", "project-artifact.svg",
    ])
    assert digest(tmp_path / "one") == digest(tmp_path / "two")
    assert not [p for p in (tmp_path / "one").iterdir() if p.name.startswith(".report-")]


def test_every_study_query_is_answered(mini, tmp_path):
    atlas = Atlas.open(mini, tmp_path / "store")
    report = atlas.report(tmp_path / "out")
    markdown = (tmp_path / "out" / "report.md").read_text()
    study = [q for q in atlas.saved_queries() if "study" in q.tags]
    atlas.close()
    assert study and [s.query.name for s in report.sections] == [q.name for q in selected(atlas.saved_queries())]
    for query in study:
        assert f"### {query.summary}" in markdown and f"`queries/{query.name}.rq`" in markdown
    assert "### Collaboration network" in markdown and "![Collaboration network](collaboration.svg)" in markdown


def test_html_embeds_the_figure(mini, tmp_path):
    atlas = Atlas.open(mini, tmp_path / "store")
    atlas.report(tmp_path / "out")
    atlas.close()
    page = (tmp_path / "out" / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<figure><svg" in page and "Alpha Lab" in page
    assert "<?xml" not in page


def test_invalid_data_writes_no_report(mini, tmp_path):
    path = mini / "graph/project/alpha.ttl"
    path.write_text(path.read_text().replace("atlas:ledBy organization:alpha-lab ;", "atlas:ledBy organization:nobody ;", 1))
    atlas = Atlas.open(mini, tmp_path / "store")
    with pytest.raises(InvalidData):
        atlas.report(tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_the_report_follows_the_study_with_contents_and_a_stamp(mini, tmp_path):
    atlas = Atlas.open(mini, tmp_path / "store")
    atlas.report(tmp_path / "out")
    atlas.close()
    markdown = (tmp_path / "out" / "report.md").read_text()
    chapters = [line[3:] for line in markdown.splitlines() if line.startswith("## ")]
    assert chapters == ["Contents"] + [heading for _, heading, _ in CHAPTERS]
    assert [markdown.index(f"- [{h}](#") for h in chapters[1:]] == sorted(markdown.index(f"- [{h}](#") for h in chapters[1:])
    # the network belongs to RQ1, between RQ1's tables and RQ2
    assert markdown.index("## RQ1") < markdown.index("### Collaboration network") < markdown.index("## RQ2")
    stamp = markdown.splitlines()[2]
    assert stamp.startswith("Made from commit unknown (not a git checkout): ") and "triples in" in stamp
    assert stamp.endswith("validation: valid (25 entity files, 0 errors, 0 warnings).")  # 24 + source:atlas
    assert "How it counts: Counts the organisations with atlas:inSample true per continent" in markdown
    assert "datasetIri" not in markdown and "projectIri" not in markdown  # IRI columns are for machines


def test_the_ecosystem_chapter_says_how_complete_the_data_is(mini, tmp_path):
    """The report's ecosystem chapter: the coverage figures and the summary by source, with how they count."""
    atlas = Atlas.open(mini, tmp_path / "store")
    atlas.report(tmp_path / "out")
    atlas.close()
    markdown = (tmp_path / "out" / "report.md").read_text()
    chapter = markdown[markdown.index("## The ecosystem around the sample"):markdown.index("## Licence obligations along lineage")]
    assert "| model releases | 2 |" in chapter and "| dangling links | 0 |" in chapter
    assert "How it counts: One row per measure" in chapter and "ecosystem-summary" in chapter


def test_every_study_query_is_in_a_chapter_of_the_study():
    """The study asks three questions (RQ1-RQ3) about its sample; a study query says which it answers."""
    queries = Atlas.open(ROOT).saved_queries()
    for query in queries:
        if "study" in query.tags:
            assert chapter_of(query) in ("Sample", "RQ1", "RQ2", "RQ3", "study"), query.name
            assert not any(query.question.startswith(f"RQ{n} ") for n in (4, 5, 6, 7)), f"{query.name}: the study has three questions"


def test_html_renders_the_network_section_and_fits_its_tables(mini, tmp_path):
    atlas = Atlas.open(mini, tmp_path / "store")
    atlas.report(tmp_path / "out")
    atlas.close()
    page = (tmp_path / "out" / "report.html").read_text()
    assert "<pre>" not in page and '<h3 id="collaboration-network">Collaboration network</h3>' in page
    assert '<h4 id="most-central-organisations">Most central organisations</h4>' in page
    assert '<div class="table"><table>' in page and "overflow-x:auto" in page and "overflow-wrap:anywhere" in page
    assert '<a href="#rq1-collaboration-across-the-lifecycle-and-the-artefacts">' in page


def test_labels_are_text_in_markdown_and_html(mini, tmp_path):
    path = mini / "graph/organization/alpha-lab.ttl"
    path.write_text(path.read_text().replace('rdfs:label "Alpha Lab"@en', 'rdfs:label "Alpha *Lab* | <b>x</b> [y](z)"@en'))
    atlas = Atlas.open(mini, tmp_path / "store")
    atlas.report(tmp_path / "out")
    atlas.close()
    markdown = (tmp_path / "out" / "report.md").read_text()
    assert "Alpha \\*Lab\\* \\| \\<b\\>x\\</b\\> \\[y\\](z)" in markdown
    page = (tmp_path / "out" / "report.html").read_text()
    assert "Alpha *Lab* | &lt;b&gt;x&lt;/b&gt; [y](z)" in page and "<b>x</b>" not in page


def test_study_answers_count_only_the_study_projects(mini, tmp_path):
    """A project outside the sample that uses the web crawl changes neither the datasets' counts nor the artefact table."""
    (mini / "graph/project/gamma.ttl").write_text("""@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .
@prefix confidence: <https://w3id.org/llm-atlas/ontology/confidence/> .
@prefix dataset: <https://w3id.org/llm-atlas/dataset/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix organization: <https://w3id.org/llm-atlas/organization/> .
@prefix project: <https://w3id.org/llm-atlas/project/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix source: <https://w3id.org/llm-atlas/source/> .

project:gamma a atlas:Project ;
    rdfs:label "Gamma"@en ;
    dcterms:description "A fictional project outside the study's sample."@en ;
    atlas:inSample false ;
    atlas:ledBy organization:beta-corp ;
    atlas:source source:slides ;
    atlas:uses dataset:web-crawl .

<https://w3id.org/llm-atlas/project/gamma#ledby-beta-corp> a atlas:StatementClaim ;
    rdf:subject project:gamma ;
    rdf:predicate atlas:ledBy ;
    rdf:object organization:beta-corp ;
    atlas:confidence confidence:stated ;
    atlas:source source:slides .

<https://w3id.org/llm-atlas/project/gamma#uses-web-crawl> a atlas:StatementClaim ;
    rdf:subject project:gamma ;
    rdf:predicate atlas:uses ;
    rdf:object dataset:web-crawl ;
    atlas:confidence confidence:stated ;
    atlas:source source:slides .
""")
    atlas = Atlas.open(mini, tmp_path / "store")
    assert atlas.validate().conforms
    result = atlas.query("established-datasets")
    datasets = {row[0].value: dict(zip(result.variables, row)) for row in result.rows}
    artefacts = atlas.query("artifacts-per-project")
    report = atlas.report(tmp_path / "out")
    atlas.close()
    assert "Gamma" not in {r[0].value for r in artefacts.rows}
    crawl = datasets["Web Crawl"]
    assert crawl["projects"].value == "2" and crawl["projectList"].value == "Alpha, Beta"  # not Gamma
    assert "Gamma" not in {p for a in report.network.shared_artifacts for p in a.projects}



def test_without_openness_data_the_openness_chapter_says_there_is_nothing_to_compare(mini_atlas):
    from llm_atlas.report import make_report

    markdown = make_report(mini_atlas.store, mini_atlas.saved_queries(), None, figures=False).to_markdown()
    chapter = markdown[markdown.index("\n## Openness under several frameworks\n"):]
    chapter = chapter[:chapter.index("\n## ", 1)]
    assert "No release is described by an openness index: there is nothing to compare" in chapter
    assert "| figure | value |" not in chapter and "`llm-atlas openness --crosswalk`" in chapter
