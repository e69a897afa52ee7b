"""Search: labels, alternative labels and identifiers, ranked; the same hits from the API and the CLI."""

from __future__ import annotations

import json

import pytest

from llm_atlas.cli import main
from llm_atlas.search import Entry, SearchIndex, fold

BASE = "https://w3id.org/llm-atlas/"
INDEX = SearchIndex([
    Entry(BASE + "model/llama", "model", ("Llama",), ("LLaMA",), ("llama", "model:llama", "meta-llama/Llama-2-7b")),
    Entry(BASE + "model/codellama", "model", ("Code Llama",), (), ("codellama", "model:codellama")),
    Entry(BASE + "organization/ai2", "organization", ("Allen Institute for AI",), ("AI2", "Ai2"), ("ai2", "organization:ai2")),
    Entry(BASE + "project/opengpt-x", "project", ("OpenGPT-X",), (), ("opengpt-x", "project:opengpt-x")),
    Entry(BASE + "ontology/governance-model/single-company", "concept", ("single-company project",), (),
          ("single-company", "governance:single-company")),
    Entry(BASE + "organization/zurich", "organization", ("Universität Zürich",), (), ("zurich", "organization:zurich")),
])


@pytest.mark.parametrize("text, first, score, field", [
    ("llama", "model:llama", 100, "label"),           # a label, exactly (case ignored)
    ("ai2", "organization:ai2", 90, "alternative label"),
    ("meta-llama/Llama-2-7b", "model:llama", 90, "identifier"),
    ("allen", "organization:ai2", 70, "label"),       # the start of a label
    ("institute ai", "organization:ai2", 50, "label"),  # every word starts a word of the label
    ("open gpt", "project:opengpt-x", 70, "label"),   # spaces do not count
    ("lama", "model:llama", 40, "label"),             # inside a label; the closest in length first
    ("zurich", "organization:zurich", 90, "identifier"),
    ("universitat", "organization:zurich", 70, "label"),  # accents do not count
    ("lamma", "model:llama", 20, "label"),            # a typo: close to a label (ratio 0.8)
])
def test_ranking(text, first, score, field):
    hits = INDEX.search(text)
    assert (hits[0].curie, hits[0].score, hits[0].field) == (first, score, field)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_kinds_limit_and_nothing_found():
    assert [h.curie for h in INDEX.search("single", kinds=["concept"])] == ["governance:single-company"]
    assert INDEX.search("single", kinds=["model"]) == []
    assert len(INDEX.search("l", limit=2)) <= 2
    assert INDEX.search("   ") == [] and INDEX.search("xyzzy") == []
    assert fold("  Zürich,  AI ") == "zurich ai"


def test_the_real_graph(real_atlas):
    assert [h.curie for h in real_atlas.search("bloom", limit=2)] == ["model:bloom", "project:bloom"]
    assert real_atlas.search("AI2", limit=1)[0].curie == "organization:ai2"
    assert real_atlas.search("speakleash/Bielik-7B-v0.1", limit=1)[0].curie == "model:bielik"
    assert real_atlas.search("grassroots", kinds=["concept"], limit=1)[0].kind == "concept"


def test_the_command(capsys, mini, store_dir):
    code = main(["--root", str(mini), "--store", str(store_dir), "search", "alpha", "lab", "--format", "json"])
    out = capsys.readouterr().out
    assert code == 0 and json.loads(out)[0]["curie"] == "organization:alpha-lab"
    code = main(["--root", str(mini), "--store", str(store_dir), "search", "nothing-like-this"])
    assert code == 0 and capsys.readouterr().out == "no entity or concept matches\n"
