"""Import files (imports/<name>.trig): the default graph goes into the file's graph, each named graph is a
source record that must live under the file's record namespace, and a rebuild replaces a file's records."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_atlas import Atlas
from llm_atlas.errors import InvalidData
from llm_atlas.layout import relpath_of_graph

HEAD = """@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .

<https://w3id.org/llm-atlas/import/fixture> a atlas:Import ;
    rdfs:label "Fixture import"@en ;
    owl:versionInfo "abc1234" .
"""


def record(name: str, text: str, stem: str = "fixture") -> str:
    return f"<https://w3id.org/llm-atlas/record/{stem}/{name}> {{\n<https://w3id.org/llm-atlas/model/alpha-7b> rdfs:comment \"{text}\"@en .\n}}\n"


def comments(atlas: Atlas) -> list[tuple[str, str]]:
    rows = atlas.query('SELECT ?g ?c WHERE { GRAPH ?g { ?s rdfs:comment ?c } FILTER(STRSTARTS(STR(?g), "https://w3id.org/llm-atlas/record/")) } ORDER BY ?g').rows
    return [(r[0].value, r[1].value) for r in rows]


def write(checkout: Path, text: str) -> Path:
    path = checkout / "imports" / "fixture.trig"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_record_graphs_are_loaded_and_traced_to_their_file(mini, store_dir):
    write(mini, HEAD + record("one", "from one") + record("two", "from two"))
    with Atlas.open(mini, store_dir) as atlas:
        atlas.build()
        assert [c for _, c in comments(atlas)] == ["from one", "from two"]
        assert atlas.validate().conforms
    assert relpath_of_graph("https://w3id.org/llm-atlas/record/fixture/one") == "imports/fixture.trig"


def test_a_rebuild_replaces_the_records_of_a_changed_file(mini, store_dir):
    path = write(mini, HEAD + record("one", "from one") + record("two", "from two"))
    with Atlas.open(mini, store_dir) as atlas:
        atlas.build()
        path.write_text(HEAD + record("three", "from three"), encoding="utf-8")
        result = atlas.build()
        assert result.loaded == ["imports/fixture.trig"] and not result.rebuilt
        assert comments(atlas) == [("https://w3id.org/llm-atlas/record/fixture/three", "from three")]


@pytest.mark.parametrize("full", [True, False], ids=["full-build", "incremental"])
def test_a_graph_outside_the_record_namespace_is_refused_with_its_line(mini, store_dir, full):
    with Atlas.open(mini, store_dir) as atlas:
        if not full:
            atlas.build()
        write(mini, HEAD + record("one", "fine") + record("one", "overwrites another file", stem="other"))
        with pytest.raises(InvalidData) as raised:
            atlas.build(force=full)
    [problem] = raised.value.problems
    assert (problem.path, problem.rule, problem.line) == ("imports/fixture.trig", "record-graph", 11)
    assert "record/other/one" in problem.message


def test_trig_is_only_for_imports(mini, store_dir):
    (mini / "graph" / "model" / "stray.trig").write_text(HEAD, encoding="utf-8")
    with Atlas.open(mini, store_dir) as atlas, pytest.raises(InvalidData) as raised:
        atlas.build()
    assert [p.rule for p in raised.value.problems] == ["not-turtle"]
