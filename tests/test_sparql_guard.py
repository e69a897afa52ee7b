"""The SPARQL guard (llm_atlas.sparql_guard): every verdict is checked against what the engine really does.

pyoxigraph refuses, by itself and before it opens any socket, to make an HTTP request to port 9 ("dedicated
to an other use"). So a query whose SERVICE points at http://127.0.0.1:9/ shows, without any network, whether
the engine read a SERVICE pattern: running it raises that error. Every hostile case below is first proven
hostile that way, then must be refused by the guard; every benign case must run without it and be accepted.
"""

from __future__ import annotations

import doctest
import re

import pyoxigraph as ox
import pytest

from llm_atlas import sparql_guard
from llm_atlas.namespaces import PREFIXES
from llm_atlas.sparql_guard import (
    DATASET_RULE,
    SERVICE_RULE,
    SYNTAX_RULE,
    UPDATE_RULE,
    UnsafeQuery,
    engine_expands_escapes,
    inspect,
    require_safe,
)

PORT_9 = "http://127.0.0.1:9/"
EX = f"PREFIX ex: <{PORT_9}>\n"


def engine_reads_service(text: str) -> bool:
    """Whether pyoxigraph, running ``text`` over data every pattern below matches, tries to call port 9."""
    store = ox.Store()
    a, p = ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/p")
    for value in (ox.Literal("x\\"), ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")),
                  ox.Literal("1", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")), ox.NamedNode("http://example.org/o")):
        store.add(ox.Quad(a, p, value, ox.NamedNode("http://example.org/g")))
    try:
        results = store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)
        if not isinstance(results, ox.QueryBoolean):
            list(results)
    except OSError as error:
        if "port 9" in str(error):
            return True
        raise
    except SyntaxError:
        return False
    return False


# Each of these the engine reads as a SERVICE call (proven per case below); the guard must refuse each.
HOSTILE = {
    "plain": "SELECT * WHERE { ?s ?p ?o SERVICE <" + PORT_9 + "> { ?a ?b ?c } }",
    "lower case": "select * where { ?s ?p ?o service <" + PORT_9 + "> { ?a ?b ?c } }",
    "mixed case, prefixed name": EX + "SELECT * WHERE { ?s ?p ?o sErViCe ex:x { ?a ?b ?c } }",
    "nested": "SELECT * WHERE { ?s ?p ?o OPTIONAL { { SELECT ?a WHERE { SERVICE <" + PORT_9 + "> { ?a ?b ?c } } } } }",
    "in a UNION": "SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE <" + PORT_9 + "> { ?a ?b ?c } } }",
    "ASK": "ASK { ?s ?p ?o SERVICE <" + PORT_9 + "> { ?a ?b ?c } }",
    "CONSTRUCT": "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o SERVICE <" + PORT_9 + "> { ?a ?b ?c } }",
    "DESCRIBE": "DESCRIBE ?s WHERE { ?s ?p ?o SERVICE <" + PORT_9 + "> { ?a ?b ?c } }",
    "IRI written with escapes": "SELECT * WHERE { ?s ?p ?o SERVICE <http://127.0.0.1:\\u0039/> { ?a ?b ?c } }",
    # the trick that fooled the rdflib check: to rdflib (escapes first) a string and a comment
    "escaped backslash ends a string": 'SELECT * WHERE { ?s ?p "x\\u005C" . SERVICE <' + PORT_9 + '> { ?a ?b ?c } } # "',
    # keywords are matched without a word boundary
    "glued to its target": EX + "SELECT * WHERE { ?s ?p ?o SERVICEex:x { ?a ?b ?c } }",
    "glued to true": EX + "SELECT * WHERE { ?s ?p trueSERVICE ex:x { ?a ?b ?c } }",
    "glued to a number": EX + "SELECT * WHERE { ?s ?p 1SERVICE ex:x { ?a ?b ?c } }",
    "glued to a group": EX + "SELECT * WHERE { ?s ?p ?o MINUS{}SERVICE ex:x { ?a ?b ?c } }",
    # '<' compares here; an IRI-minded reading would swallow SERVICE into <2)SERVICE ex:x#>
    "behind a comparison": EX + "SELECT * WHERE { ?s ?p ?o FILTER(1<2)SERVICE ex:x#>\n{ ?a ?b ?c } }",
    # a prefix named service, used where a pattern may start: SERVICE :x
    "a prefix named service": (f"PREFIX : <{PORT_9}>\nPREFIX service: <http://example.org/>\n"
                               "SELECT * WHERE { ?s ?p ?o service:x { ?a ?b ?c } }"),
}

# Each of these has the words where they are no keyword; the engine calls nothing and the guard accepts.
BENIGN = {
    "a string": 'SELECT * WHERE { ?s ?p "SERVICE <' + PORT_9 + '> { ?a ?b ?c } FROM <x>" }',
    "a long string": 'SELECT * WHERE { BIND("""x\nSERVICE <' + PORT_9 + '> { }\n""" AS ?v) }',
    "a single-quoted string": "SELECT * WHERE { BIND('service' AS ?v) }",
    "in EXISTS, in a string": 'SELECT * WHERE { ?s ?p ?o FILTER EXISTS { ?s ?p "SERVICE" } }',
    "a comment": "SELECT * WHERE { ?s ?p ?o } # SERVICE <" + PORT_9 + "> { } FROM <x>",
    "an IRI": "SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }",
    "the service description vocabulary": "SELECT * WHERE { ?s <http://www.w3.org/ns/sparql-service-description#endpoint> ?o }",
    "variables": "SELECT ?service ?from WHERE { ?service ?p ?from }",
    "local names": EX + "SELECT * WHERE { ?s ex:serviceArea ?o ; ex:fromDate ?d }",
    "a language tag": 'SELECT * WHERE { BIND("x"@service AS ?v) }',
    "a blank node label": "SELECT * WHERE { _:service ?p ?o }",
    "a prefix named service, in a triple": "PREFIX service: <http://example.org/>\nSELECT * WHERE { ?s service:p ?o }",
    "a string ending in an escaped backslash": 'SELECT * WHERE { ?s ?p "x\\\\" . } # SERVICE',
    "no keyword at all": "SELECT * WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 3",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_every_service_the_engine_reads_is_refused(name):
    text = HOSTILE[name]
    assert engine_reads_service(text), f"{name}: the engine does not call SERVICE here, so the case proves nothing"
    verdict = inspect(text, PREFIXES)
    assert [f.rule for f in verdict.findings] == [SERVICE_RULE], (name, verdict)


@pytest.mark.parametrize("text", [
    # forms this engine version happens not to call (SILENT hides it, a variable endpoint stays unbound, an
    # EXISTS is planned away): a SERVICE is refused all the same
    "SELECT * WHERE { SERVICE SILENT <" + PORT_9 + "> { ?a ?b ?c } }",
    "SELECT * WHERE { VALUES ?e { <" + PORT_9 + "> } SERVICE ?e { ?a ?b ?c } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <" + PORT_9 + "> { ?a ?b ?c } } }",
    "SELECT * WHERE { ?s ?p ?o FILTER NOT EXISTS { SERVICE SILENT ?x { ?a ?b ?c } } }",
])
def test_every_service_is_refused(text):
    assert [f.rule for f in inspect(text).findings] == [SERVICE_RULE]


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_words_that_are_no_keyword_are_accepted(name):
    text = BENIGN[name]
    assert not engine_reads_service(text)
    verdict = inspect(text, PREFIXES)
    assert verdict.safe and verdict.form == "SELECT", (name, verdict)


def test_the_engine_is_never_handed_a_service_keyword(monkeypatch):
    """The texts the guard parses have no 'service' in them at all (renamed, or turned into GRAPH)."""
    handed: list[str] = []
    real = sparql_guard._EMPTY

    class Recording:
        def query(self, text, **options):
            handed.append(text)
            return real.query(text, **options)

    monkeypatch.setattr(sparql_guard, "_EMPTY", Recording())
    sparql_guard._inspect_cached.cache_clear()
    for text in [*HOSTILE.values(), *BENIGN.values(), "SELECT * WHERE { SERVICE SILENT <" + PORT_9 + "> { } }"]:
        inspect(text, PREFIXES)
    sparql_guard._inspect_cached.cache_clear()
    assert handed
    assert not [t for t in handed if re.search("service", t, re.IGNORECASE)]


@pytest.mark.parametrize("text, line, column", [
    ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", 1, 10),
    ("SELECT *\nFROM NAMED <http://example.org/g>\nWHERE { GRAPH ?g { ?s ?p ?o } }", 2, 1),
    ("ASK from <http://example.org/g> { ?s ?p ?o }", 1, 5),
    ("ASKFROM<http://example.org/g>{ ?s ?p ?o }", 1, 4),
    # a prefix glued to FROM by the grammar: SELECT ?s FROM age:g
    ("PREFIX age: <http://example.org/>\nSELECT ?s fromage:g WHERE { ?s ?p ?o }", 2, 11),
])
def test_from_clauses_are_refused(text, line, column):
    verdict = inspect(text)
    assert [(f.rule, f.line, f.column) for f in verdict.findings] == [(DATASET_RULE, line, column)]
    assert "FROM" in verdict.findings[0].message


@pytest.mark.parametrize("text", [
    'INSERT DATA { <http://example.org/s> <http://example.org/p> "x" }',
    "DELETE WHERE { ?s ?p ?o }",
    "PREFIX ex: <http://example.org/>\nWITH ex:g DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <" + PORT_9 + ">", "CLEAR ALL", "drop all", "CREATE GRAPH <http://example.org/g>",
    "COPY DEFAULT TO <http://example.org/g>", "MOVE <http://example.org/g> TO DEFAULT",
    "ADD <http://example.org/g> TO <http://example.org/h>", "CLEAR ALL ; LOAD <" + PORT_9 + ">",
])
def test_updates_are_refused(text):
    verdict = inspect(text)
    assert [f.rule for f in verdict.findings] == [UPDATE_RULE] and verdict.form is None
    assert "read-only" in verdict.findings[0].message


def test_syntax_errors_carry_the_engines_position_in_the_text_given():
    [finding] = inspect("SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER(?o = ) }").findings
    assert (finding.rule, finding.line) == (SYNTAX_RULE, 3) and finding.column >= 14
    assert "does not parse" in finding.message
    # a SERVICE on line 3 is reported there, whatever the guard handed the engine
    [finding] = inspect("SELECT *\nWHERE {\n  ?s ?p ?o . SERVICE <" + PORT_9 + "> { ?a ?b ?c } }").findings
    assert (finding.rule, finding.line, finding.column) == (SERVICE_RULE, 3, 14)
    # a SERVICE in a query that is broken besides is a syntax error: it can run nowhere
    [finding] = inspect("SELECT * WHERE { SERVICE <" + PORT_9 + "> { ?a ?b } }").findings
    assert finding.rule == SYNTAX_RULE
    assert [f.rule for f in inspect("").findings] == [SYNTAX_RULE]
    assert [f.rule for f in inspect("  # nothing but a comment\n").findings] == [SYNTAX_RULE]


def test_forms_and_the_predeclared_prefixes():
    assert require_safe("SELECT * WHERE { ?s ?p ?o }") == "SELECT"
    assert require_safe("PREFIX ex: <http://example.org/>\nBASE <http://example.org/>\nask { ?s ?p ?o }") == "ASK"
    assert require_safe("CONSTRUCT WHERE { ?s ?p ?o }") == "CONSTRUCT"
    assert require_safe("DESCRIBE <http://example.org/a>") == "DESCRIBE"
    assert require_safe("SELECT * WHERE { ?s ?p <<( ?a ?b ?c )>> }") == "SELECT"  # the engine reads SPARQL 1.2
    assert inspect("SELECT * WHERE { ?s rdfs:label ?o }").findings[0].rule == SYNTAX_RULE  # no prefix given
    assert inspect("SELECT * WHERE { ?s rdfs:label ?o }", PREFIXES).safe
    # a predeclared prefix named like a keyword is renamed with its uses
    assert inspect("SELECT * WHERE { ?s service:p ?o }", {"service": "http://example.org/"}).safe
    with pytest.raises(UnsafeQuery) as refused:
        require_safe(HOSTILE["plain"])
    assert refused.value.finding.rule == SERVICE_RULE and "SERVICE" in str(refused.value)


def test_the_installed_engine_expands_escapes_only_in_strings_and_iris():
    """If this fails, pyoxigraph changed how it reads \\u escapes: the guard follows it on its own (the
    expanding mode is tested below), but review the endpoint's tests of escaped keywords."""
    assert engine_expands_escapes() is False
    # an escaped keyword is therefore no keyword: the engine cannot parse it (refused as a syntax error)
    verdict = inspect("SELECT * WHERE { \\u0053ERVICE <" + PORT_9 + "> { ?s ?p ?o } }")
    assert [f.rule for f in verdict.findings] == [SYNTAX_RULE]
    assert not engine_reads_service("SELECT * WHERE { ?s ?p ?o \\u0053ERVICE <" + PORT_9 + "> { ?a ?b ?c } }")


@pytest.mark.parametrize("text, expanded", [
    ("\\u0041", "A"), ("\\U0001F600", "\U0001F600"), ("a\\u0062c", "abc"), ("\\u00", "\\u00"), ("\\uZZZZ!", "\\uZZZZ!"),
    ("\\uD800", "\\uD800"), ("\\u+041", "A"), ("\\n\\u0041", "\\nA"), ("x\\", "x\\"),
    # the iterator's quirk: a backslash it buffered reads its escape from the text, not the buffer
    ("\\\\u0041", "\\A"),
])
def test_escape_expansion_follows_spargebra(text, expanded):
    out, origin = sparql_guard._expand_escapes(text)
    assert out == expanded and len(origin) == len(out)


def test_an_engine_that_expands_escapes_first_is_read_that_way(monkeypatch):
    """spargebra built with ``standard-unicode-escaping``: modelled as the escapes expanded, then pyoxigraph."""
    real = ox.Store()

    class ExpandingEngine:
        def query(self, text, **options):
            return real.query(sparql_guard._expand_escapes(text)[0], **options)

    monkeypatch.setattr(sparql_guard, "_EMPTY", ExpandingEngine())
    monkeypatch.setattr(sparql_guard, "engine_expands_escapes", lambda: True)
    sparql_guard._inspect_cached.cache_clear()
    try:
        [finding] = inspect("SELECT *\nWHERE { \\u0053ERVICE <" + PORT_9 + "> { ?s ?p ?o } }").findings
        assert (finding.rule, finding.line, finding.column) == (SERVICE_RULE, 2, 9)  # at the escape, in the text given
        assert inspect("\\u0044ROP ALL").findings[0].rule == UPDATE_RULE
        assert inspect("SELECT * \\u0046ROM <http://example.org/g> WHERE { ?s ?p ?o }").findings[0].rule == DATASET_RULE
        # an escaped backslash is a backslash before tokenising: this string now runs to the comment
        assert not inspect('SELECT * WHERE { ?s ?p "x\\u005C" . SERVICE <' + PORT_9 + '> { ?a ?b ?c } } # "').safe
        assert inspect('SELECT * WHERE { ?s ?p "a\\u005Cu0041" }').safe  # \u005C then u0041: the string's own \u0041
    finally:
        sparql_guard._inspect_cached.cache_clear()


def test_docstring_examples_run():
    failures, tried = doctest.testmod(sparql_guard)
    assert tried >= 2 and failures == 0
