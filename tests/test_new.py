"""`llm-atlas new`: a skeleton that loads and formats like any file, and that check refuses until it is filled in."""

from __future__ import annotations

import re

import pytest

from llm_atlas import Atlas
from llm_atlas.canonical_turtle import format_text
from llm_atlas.cli import main
from llm_atlas.errors import UsageError
from llm_atlas.loader import load_file
from llm_atlas.layout import SourceFile
from llm_atlas.namespaces import KINDS
from llm_atlas.structure import check_file


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_skeleton_is_a_canonical_file_that_validation_points_at_line_by_line(mini, tmp_path, kind):
    atlas = Atlas.open(mini, tmp_path / "store")
    path = atlas.new(kind, "newcomer")
    relpath = path.relative_to(mini).as_posix()
    text = path.read_text(encoding="utf-8")
    assert relpath == f"graph/{kind}/newcomer.ttl" and format_text(text, relpath) == text  # canonical as written
    loaded = load_file(SourceFile(relpath, path))
    assert loaded.ok and check_file(relpath, loaded.quads, text) == []  # path, class, prefixes, owned nodes
    problems = [p for p in atlas.validate().problems if p.path == relpath]
    assert problems, "an unfilled skeleton must not validate"
    lines = text.splitlines()
    for problem in problems:  # every problem is about a placeholder, on its block
        block = "\n".join(lines[problem.line - 1:]).split("\n\n")[0]
        assert "fill-in" in block.lower(), problem.as_text()
    atlas.close()


def test_an_organisation_filled_in_validates(mini, tmp_path):
    atlas = Atlas.open(mini, tmp_path / "store")
    path = atlas.new("organization", "gamma-lab", label="Gamma Lab")
    text = path.read_text(encoding="utf-8")
    filled = (text.replace('"FILL-IN: one or two English sentences saying what it is"', '"A small lab that trains open models."@en')
              .replace("source:fill-in", "source:slides").replace("confidence:fill-in", "confidence:stated")
              .replace("orgtype:fill-in", "orgtype:sme").replace("organizationtype-fill-in", "organizationtype-sme")
              .replace("continent:fill-in", "continent:europe").replace("continent-fill-in", "continent-europe"))
    assert "fill-in" not in filled.lower()
    path.write_text(format_text(filled, "gamma-lab.ttl"), encoding="utf-8")
    assert [p.as_text() for p in atlas.validate().problems] == []
    atlas.close()


def test_refusals(mini, tmp_path):
    atlas = Atlas.open(mini, tmp_path / "store")
    with pytest.raises(UsageError, match="exists already"):
        atlas.new("organization", "alpha-lab")
    with pytest.raises(UsageError, match="not a slug"):
        atlas.new("model", "Alpha_7B")
    with pytest.raises(UsageError, match="did you mean organization"):
        atlas.new("organisation", "x")
    assert not (mini / "graph" / "model" / "Alpha_7B.ttl").exists()


def test_the_command(capsys, mini, tmp_path):
    code = main(["--root", str(mini), "--store", str(tmp_path / "store"), "new", "dataset", "gamma-corpus", "--label", "Gamma Corpus"])
    err = capsys.readouterr().err
    assert code == 0 and re.search(r"wrote graph/dataset/gamma-corpus.ttl: fill in every value marked FILL-IN", err)
    assert '"Gamma Corpus"@en' in (mini / "graph" / "dataset" / "gamma-corpus.ttl").read_text()
    code = main(["--root", str(mini), "--store", str(tmp_path / "store"), "new", "dataset", "gamma-corpus"])
    assert code == 2 and "exists already" in capsys.readouterr().err
