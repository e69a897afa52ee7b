"""The canonical Turtle formatter: lossless, idempotent, byte-stable, and careful with the files it writes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib.compare import isomorphic

from llm_atlas import canonical_turtle
from llm_atlas.errors import InvalidData
from llm_atlas.fmt import FormatError, check_files, format_file, format_text, write_files
from llm_atlas.rdfbridge import graph_from_triples

from .conftest import ROOT

EX = "https://example.org/"
GRAPH_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "graph").rglob("*.ttl"))


def parse(text: str) -> list[ox.Triple]:
    return [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(input=text.encode("utf-8"), format=ox.RdfFormat.TURTLE)]


def same_triples(a: str, b: str) -> bool:
    """Exactly the same triples (for texts without blank nodes: term by term, lexical forms included)."""
    return set(parse(a)) == set(parse(b))


# -- the real graph --------------------------------------------------------------------------------------


@pytest.mark.parametrize("relpath", GRAPH_FILES)
def test_graph_file_round_trips_and_is_idempotent(relpath):
    text = (ROOT / relpath).read_text(encoding="utf-8")
    formatted = format_text(text, relpath)
    assert isomorphic(graph_from_triples(parse(text)), graph_from_triples(parse(formatted)))
    assert same_triples(text, formatted)  # no blank nodes in graph/: even the terms are identical
    assert format_text(formatted, relpath) == formatted


HASHSEED_SCRIPT = """
import sys
from llm_atlas.fmt import format_file
for path in sys.argv[1:]:
    sys.stdout.write(format_file(path)[1])
"""

BLANK_NODES = """\
@prefix model: <https://w3id.org/llm-atlas/model/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
model:m a model:T ; rdfs:seeAlso [ rdfs:label "nested" ; rdfs:seeAlso [ rdfs:label "deeper" ] ], _:shared ; model:p _:shared, [] .
_:shared rdfs:label "shared" .
_:c1 model:next _:c2 . _:c2 model:next _:c1 .
_:s1 model:link _:s2, _:s3 . _:s2 model:x _:s3 . _:s3 model:x _:s2 .
[ model:anon "top" ] .
[] model:anon "top2" ; a model:T .
_:a1 model:p _:z1, _:z2 . _:a2 model:p _:z1, _:z2 .
( 1 2 "three" ) model:is model:list .
_:p1 model:n _:q1 . _:q1 model:n _:p1 . _:p2 model:n _:q2 . _:q2 model:n _:p2 . _:p3 model:n _:q3 . _:q3 model:n _:p3 .
"""


def test_output_does_not_depend_on_hash_seed(tmp_path):
    blank = tmp_path / "blank-nodes.ttl"
    blank.write_text(BLANK_NODES, encoding="utf-8")
    paths = [str(ROOT / p) for p in GRAPH_FILES[::15]] + [str(blank)]
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run([sys.executable, "-c", HASHSEED_SCRIPT, *paths], env=env, cwd=ROOT, capture_output=True, check=True)
        outputs.append(done.stdout)
    assert outputs[0] and outputs[0] == outputs[1]


# -- terms -----------------------------------------------------------------------------------------------

LITERALS = r"""@prefix model: <https://w3id.org/llm-atlas/model/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
model:x model:s "quote \" backslash \\ newline \n tab \t cr \r bs \b ff \f" ;
    model:long '''two
lines with "quotes" and ''single'' ones''' ;
    model:single 'it\'s' ;
    model:unicode "é 日本 🦙 \u00e9 \U0001F999" ;
    model:control "nul-free \u0001 \u001F del \u007F c1 \u0085 ls \u2028 ps \u2029 rlo \u202E bom \uFEFF" ;
    model:empty "" ;
    model:lang "colour"@en-GB, "Farbe"@de ;
    model:typedstring "plain"^^xsd:string ;
    model:date "2024-01-31"^^xsd:date ;
    model:language "sw"^^xsd:language ;
    model:int 7, -3, 0, "007"^^xsd:integer, +5, -0, "12"^^xsd:nonNegativeInteger ;
    model:dec 1.5, -0.25, 2.0, "1.50"^^xsd:decimal, .5, -0.0, "01.5"^^xsd:decimal, "3"^^xsd:decimal ;
    model:bool true, false, "1"^^xsd:boolean, "0"^^xsd:boolean ;
    model:double 1e3, "NaN"^^xsd:double ;
    model:other "x"^^<https://example.org/datatype>, "y"^^<https://w3id.org/llm-atlas/model/a/b> .
"""


def test_literals_round_trip_exactly():
    formatted = format_text(LITERALS, "literals.ttl")
    assert same_triples(LITERALS, formatted)
    assert format_text(formatted, "literals.ttl") == formatted
    expected_pieces = [
        r'"quote \" backslash \\ newline \n tab \t cr \r bs \b ff \f"',
        r'"two\nlines with \"quotes\" and \'\'single\'\' ones"'.replace("\\'", "'"),
        '"it\'s"',
        '"é 日本 🦙 é 🦙"',
        r'"nul-free \u0001 \u001F del \u007F c1 \u0085 ls \u2028 ps \u2029 rlo \u202E bom \uFEFF"',
        'model:empty "" ;',
        '"Farbe"@de, "colour"@en-gb',
        'model:typedstring "plain" ;',
        '"2024-01-31"^^xsd:date',
        '"sw"^^xsd:language',
        'model:int "+5"^^xsd:integer, "-0"^^xsd:integer, "007"^^xsd:integer, "12"^^xsd:nonNegativeInteger, -3, 0, 7 ;',
        '"-0.0"^^xsd:decimal',
        '".5"^^xsd:decimal',
        '"01.5"^^xsd:decimal',
        '"1.50"^^xsd:decimal',
        '"3"^^xsd:decimal',
        " -0.25, 1.5, 2.0",
        'model:bool "0"^^xsd:boolean, "1"^^xsd:boolean, false, true ;',
        '"1e3"^^xsd:double',
        '"x"^^<https://example.org/datatype>',
        '"y"^^<https://w3id.org/llm-atlas/model/a/b>',
    ]
    collapsed = " ".join(line.strip() for line in formatted.split("\n"))  # wrapped object lists on one line
    for piece in expected_pieces:
        assert piece in collapsed, f"{piece!r} not in\n{formatted}"


IRIS = r"""@prefix model: <https://w3id.org/llm-atlas/model/> .
model:x model:o <https://w3id.org/llm-atlas/model/a/b>, model:a\(b\), <https://w3id.org/llm-atlas/model/v1.>,
        model:gpt-3.5, model:a%20b, model:123, <https://w3id.org/llm-atlas/model/>, model:a:b, model:café,
        <https://w3id.org/llm-atlas/model/a~b>, model:_x, <https://w3id.org/llm-atlas/model/-x>,
        <https://w3id.org/llm-atlas/model/.x>, <https://example.org/x>, <https://w3id.org/llm-atlas/model/y#frag>,
        <https://w3id.org/llm-atlas/model/\u0041BC>, model:a\.b, model:a\/b ;
    <https://w3id.org/llm-atlas/ontology/odd/prop> "p" .
<https://w3id.org/llm-atlas/model/x#claim> model:o model:x .
"""


def test_iris_round_trip_exactly():
    formatted = format_text(IRIS, "iris.ttl")
    assert same_triples(IRIS, formatted)
    assert format_text(formatted, "iris.ttl") == formatted
    written = formatted.split("model:o ", 1)[1].split(" ;", 1)[0]
    objects = [o.strip() for o in written.split(",")]
    assert objects == [
        "model:", "model:123", "model:ABC", "model:_x", "model:a%20b", "model:a.b", "model:a:b", "model:café",
        "model:gpt-3.5",
        "<https://example.org/x>", "<https://w3id.org/llm-atlas/model/-x>", "<https://w3id.org/llm-atlas/model/.x>",
        "<https://w3id.org/llm-atlas/model/a(b)>", "<https://w3id.org/llm-atlas/model/a/b>",
        "<https://w3id.org/llm-atlas/model/a~b>", "<https://w3id.org/llm-atlas/model/v1.>",
        "<https://w3id.org/llm-atlas/model/y#frag>",
    ]
    assert "    <https://w3id.org/llm-atlas/ontology/odd/prop> \"p\"" in formatted  # full IRIs sort after prefixed names
    assert formatted.index("\nmodel:x") < formatted.index("\n<https://w3id.org/llm-atlas/model/x#claim>")


@pytest.mark.parametrize("value", ['a"b', "a\\b", "a\nb", "a\tb", "\u0000", "\x7f", "🦙", "'''", '"""', "\\u0041", ""])
def test_any_string_survives(value):
    text = f'<https://w3id.org/llm-atlas/model/x> <https://w3id.org/llm-atlas/ontology/p> {canonical_turtle.quote_string(value)} .\n'
    (triple,) = parse(format_text(text, "s.ttl"))
    assert triple.object.value == value


# -- layout ----------------------------------------------------------------------------------------------

MESSY = """\
@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .
@prefix unused: <https://example.org/unused/> .
@prefix org2: <https://w3id.org/llm-atlas/organization/> .
@prefix xsd:   <http://www.w3.org/2001/XMLSchema#> .
PREFIX confidence: <https://w3id.org/llm-atlas/ontology/confidence/>

<https://w3id.org/llm-atlas/organization/acme#country-de>   a   atlas:StatementClaim ;
  atlas:confidence confidence:stated;
  <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> org2:acme ;
  <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> atlas:country ;
  <http://www.w3.org/1999/02/22-rdf-syntax-ns#object> "DE" ;
  atlas:source <https://w3id.org/llm-atlas/source/slides> ;
  atlas:locator "slide 11"^^xsd:string .

org2:acme atlas:source <https://w3id.org/llm-atlas/source/slides>,    <https://w3id.org/llm-atlas/source/external> ;
\tatlas:country "DE" ;
\t<http://purl.org/dc/terms/description> "An \\"example\\" company."@en ;
\tatlas:inSample "true"^^xsd:boolean ;
\t<http://www.w3.org/2000/01/rdf-schema#label> 'Acme'@en ;
\ta atlas:Organization ;
\t<http://www.w3.org/2004/02/skos/core#altLabel> "Acme Corp."@en, "ACME"@en ;
\tatlas:evidence <https://example.org/a-rather-long-page-about-acme-number-two>, <https://example.org/a-rather-long-page-about-acme-number-one> ;
\tatlas:country "DE" ; .

<https://w3id.org/llm-atlas/organization/acme#continent-europe> atlas:source <https://w3id.org/llm-atlas/source/slides> ; a atlas:StatementClaim ;
  <http://www.w3.org/1999/02/22-rdf-syntax-ns#object> <https://w3id.org/llm-atlas/ontology/continent/europe> ;
  <http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate> atlas:continent ;
  <http://www.w3.org/1999/02/22-rdf-syntax-ns#subject> org2:acme ; atlas:confidence confidence:stated ;
  atlas:locator "slide 11" .
"""

CANONICAL = """\
@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .
@prefix confidence: <https://w3id.org/llm-atlas/ontology/confidence/> .
@prefix continent: <https://w3id.org/llm-atlas/ontology/continent/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix organization: <https://w3id.org/llm-atlas/organization/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix source: <https://w3id.org/llm-atlas/source/> .

organization:acme a atlas:Organization ;
    rdfs:label "Acme"@en ;
    skos:altLabel "ACME"@en, "Acme Corp."@en ;
    dcterms:description "An \\"example\\" company."@en ;
    atlas:country "DE" ;
    atlas:evidence <https://example.org/a-rather-long-page-about-acme-number-one>,
        <https://example.org/a-rather-long-page-about-acme-number-two> ;
    atlas:inSample true ;
    atlas:source source:external, source:slides .

<https://w3id.org/llm-atlas/organization/acme#continent-europe> a atlas:StatementClaim ;
    rdf:subject organization:acme ;
    rdf:predicate atlas:continent ;
    rdf:object continent:europe ;
    atlas:confidence confidence:stated ;
    atlas:locator "slide 11" ;
    atlas:source source:slides .

<https://w3id.org/llm-atlas/organization/acme#country-de> a atlas:StatementClaim ;
    rdf:subject organization:acme ;
    rdf:predicate atlas:country ;
    rdf:object "DE" ;
    atlas:confidence confidence:stated ;
    atlas:locator "slide 11" ;
    atlas:source source:slides .
"""


def test_messy_file_formats_to_the_golden_text():
    assert format_text(MESSY, "messy.ttl") == CANONICAL
    assert format_text(CANONICAL, "canonical.ttl") == CANONICAL


def test_subject_without_type_and_nested_blank_nodes():
    text = '<https://w3id.org/llm-atlas/model/x> <https://w3id.org/llm-atlas/ontology/p> [ <https://w3id.org/llm-atlas/ontology/q> "v" ] .'
    assert format_text(text, "x.ttl") == (
        "@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .\n"
        "@prefix model: <https://w3id.org/llm-atlas/model/> .\n"
        "\n"
        "model:x\n"
        "    atlas:p [\n"
        '        atlas:q "v"\n'
        "    ] .\n"
    )


def test_empty_file_formats_to_nothing():
    assert format_text("@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .\n", "empty.ttl") == ""


# -- blank nodes -----------------------------------------------------------------------------------------


def test_blank_nodes_round_trip_and_are_canonical():
    formatted = format_text(BLANK_NODES, "b.ttl")
    assert isomorphic(graph_from_triples(parse(BLANK_NODES)), graph_from_triples(parse(formatted)))
    assert format_text(formatted, "b.ttl") == formatted
    # The same graph written in another order with other labels gives the same text.
    lines = BLANK_NODES.splitlines()
    shuffled = "\n".join(lines[:2] + lines[:1:-1]).replace("_:", "_:other") + "\n"
    assert format_text(shuffled, "b.ttl") == formatted


def test_too_many_interchangeable_blank_nodes_are_refused():
    pairs = "".join(f"_:a{i} <https://example.org/n> _:b{i} . _:b{i} <https://example.org/n> _:a{i} .\n" for i in range(6))
    with pytest.raises(InvalidData) as error:
        format_text(pairs, "pairs.ttl")
    assert [p.rule for p in error.value.problems] == ["blank-node"]


def test_twin_blank_nodes_are_cheap():
    twins = "".join(f"<{EX}x> <{EX}p> _:t{i} . <{EX}y> <{EX}p> _:t{i} .\n" for i in range(12))
    formatted = format_text(twins, "twins.ttl")
    assert "_:b11" in formatted and isomorphic(graph_from_triples(parse(twins)), graph_from_triples(parse(formatted)))


# -- what the formatter refuses ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("<https://example.org/x> <https://example.org/p> .", "turtle-syntax"),
        ("model:x <https://example.org/p> 1 .", "unknown-prefix"),
        ("@base <https://example.org/> .\n<x> <p> <o> .", "relative-iri"),
        ("<https://example.org/x> <https://example.org/p> 1 . # a note", "format-comment"),
        (f"<{EX}x> <{EX}p> <<( <{EX}a> <{EX}b> 1 )>> .", "format-unsupported"),
        ('<https://example.org/x> <https://example.org/p> "x"@en--ltr .', "format-unsupported"),
    ],
)
def test_what_cannot_be_formatted_is_reported(text, rule):
    with pytest.raises(InvalidData) as error:
        format_text(text, "bad.ttl")
    assert [(p.path, p.rule) for p in error.value.problems] == [("bad.ttl", rule)]


def test_hashes_in_iris_strings_and_escapes_are_not_comments():
    text = f'@prefix model: <https://w3id.org/llm-atlas/model/> .\n<{EX}x#y> model:p "#1", """multi\n# line""", model:a\\#b .'
    formatted = format_text(text, "hash.ttl")
    assert same_triples(text, formatted)
    assert canonical_turtle.first_comment(text) is None
    assert canonical_turtle.first_comment('<a> <b> "x" . \n # here') == (2, 2)


# -- files -------------------------------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path):
    graph = tmp_path / "graph" / "organization"
    graph.mkdir(parents=True)
    (graph / "good.ttl").write_text(CANONICAL, encoding="utf-8")
    (graph / "messy.ttl").write_text(MESSY, encoding="utf-8")
    (graph / "broken.ttl").write_text(CANONICAL.replace(" ;\n    rdfs:label", "\n    rdfs:label", 1), encoding="utf-8")
    (graph / "notes.txt").write_text("not Turtle, not looked at", encoding="utf-8")
    return tmp_path


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(root.rglob("*")) if p.is_file()}


def test_format_file_reports_change(files):
    assert format_file(files / "graph/organization/good.ttl") == (False, CANONICAL)
    assert format_file(files / "graph/organization/messy.ttl") == (True, CANONICAL)


def test_check_reports_exactly_the_files_that_differ_and_writes_nothing(files):
    before = snapshot(files)
    problems = check_files([files / "graph"], root=files)
    assert [(p.path, p.rule) for p in problems] == [
        ("graph/organization/broken.ttl", "turtle-syntax"),
        ("graph/organization/messy.ttl", "format"),
    ]
    messy = problems[1]
    assert messy.line == 2 and "llm-atlas fmt graph/organization/messy.ttl" in messy.message
    assert messy.details and messy.details[0].startswith("---")
    assert snapshot(files) == before


def test_write_rewrites_what_differs_and_leaves_a_broken_file_untouched(files):
    before = snapshot(files)
    changed, problems = write_files([files / "graph"], root=files)
    assert changed == [files / "graph/organization/messy.ttl"]
    assert [(p.path, p.rule) for p in problems] == [("graph/organization/broken.ttl", "turtle-syntax")]
    after = snapshot(files)
    assert after["graph/organization/messy.ttl"][0] == CANONICAL.encode("utf-8")
    for unchanged in ("graph/organization/good.ttl", "graph/organization/broken.ttl", "graph/organization/notes.txt"):
        assert after[unchanged] == before[unchanged]
    assert sorted(p.name for p in (files / "graph/organization").iterdir()) == ["broken.ttl", "good.ttl", "messy.ttl", "notes.txt"]
    assert [(p.path, p.rule) for p in check_files([files / "graph"], root=files)] == [("graph/organization/broken.ttl", "turtle-syntax")]


def test_a_failed_proof_writes_nothing(files, monkeypatch):
    (files / "graph/organization/messy-too.ttl").write_text(MESSY, encoding="utf-8")
    before = snapshot(files)
    real = canonical_turtle.literal_text
    monkeypatch.setattr(canonical_turtle, "literal_text", lambda literal, used: '"tampered"' if literal.value == "DE" else real(literal, used))
    with pytest.raises(FormatError, match="not the same graph"):
        write_files([files / "graph"], root=files)
    assert snapshot(files) == before


def test_a_missing_path_is_a_usage_error(tmp_path):
    from llm_atlas.errors import UsageError

    with pytest.raises(UsageError):
        check_files([tmp_path / "nowhere"])
