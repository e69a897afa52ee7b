"""The main job's report: every study query answered, the network drawn, deterministic, never half-written."""

from __future__ import annotations

import hashlib

import pytest

from llm_atlas import Atlas
from llm_atlas.errors import InvalidData
from llm_atlas.report import selected


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
        assert f"## {query.summary}" in markdown and f"`queries/{query.name}.rq`" in markdown
    assert "## Collaboration network" in markdown and "![Collaboration network](collaboration.svg)" in markdown


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
