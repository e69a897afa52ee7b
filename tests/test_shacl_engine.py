"""The SHACL engine compiles shapes to SPARQL run in pyoxigraph; it must give exactly what pySHACL gives.

Compared result by result (focus node, path, value, source shape, severity, constraint component, source
constraint, messages, nested details) on every fixture checkout the tests use, on the real graph, and on
the W3C SHACL test suites (core and SPARQL-based), each run through both engines. Both read the data as
the store holds it (pyoxigraph keeps numbers in canonical form: "01"^^xsd:integer is stored as "1").
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pyshacl
import pytest
import rdflib
from pyshacl.errors import ValidationFailure
from rdflib.namespace import RDF

from llm_atlas.layout import SHAPES_FILE, source_files
from llm_atlas.loader import load_file
from llm_atlas.rdfbridge import graph_from_triples
from llm_atlas.shacl import Locator, shacl_problems, shacl_results, store_of, subject_files
from llm_atlas.shacl_sparql import SparqlValidator, free_this, results_of_report_graph, safe_pattern

from .conftest import FIXTURES, ROOT, SHARED, make_checkout, make_import_checkout, overlay


def checkout_data(root: Path):
    by_file = {}
    for source in source_files(root):
        loaded = load_file(source)
        if loaded.ok:
            by_file[source.relpath] = loaded.quads
    shapes = graph_from_triples(by_file.pop(SHAPES_FILE))
    return by_file, shapes


def results_both_ways(root: Path, focus=None, parsed=None):
    by_file, shapes = parsed or checkout_data(root)
    store = store_of(q for quads in by_file.values() for q in quads)
    fast = Counter(r.key() for r in shacl_results(store, shapes, focus))
    reference = Counter(r.key() for r in shacl_results(store, shapes, focus, engine="pyshacl"))
    return fast, reference


def problems_both_ways(root: Path, focus=None):
    by_file, shapes = checkout_data(root)
    store = store_of(q for quads in by_file.values() for q in quads)
    locator = Locator(root, subject_files(by_file))

    def key(problems):
        return sorted((p.path, p.line, p.rule, p.severity, p.focus, p.value, p.predicate, p.message) for p in problems)

    return key(shacl_problems(store, shapes, locator, focus)), key(shacl_problems(store, shapes, locator, focus, engine="pyshacl"))


def test_every_shape_of_the_atlas_is_compiled(tmp_path):
    """No shape of ontology/shapes.ttl needs pySHACL itself: validation never copies the data into rdflib."""
    by_file, shapes = checkout_data(make_checkout(tmp_path / "atlas"))
    store = store_of(q for quads in by_file.values() for q in quads)

    def refuse():
        raise AssertionError("the engine asked for an rdflib copy of the data")

    outcome = SparqlValidator(store, shapes, rdflib_data=refuse).validate()
    assert outcome.fallback_shapes == [] and outcome.compiled_shapes > 40


def batches_of_disjoint_cases() -> list[list[Path]]:
    """The violating fixture layers, grouped so that no two layers of a group write the same file."""
    batches: list[tuple[set[str], list[Path]]] = []
    for case in sorted((FIXTURES / "shapes").iterdir()):
        layer = case / "bad"
        files = {p.relative_to(layer).as_posix() for p in layer.rglob("*") if p.is_file()}
        if "DELETE" in files:
            files |= set((layer / "DELETE").read_text().split())
        for taken, members in batches:
            if not taken & files:
                taken |= files
                members.append(layer)
                break
        else:
            batches.append((set(files), [layer]))
    return [members for _, members in batches]


BATCHES = batches_of_disjoint_cases()
LAYERS = sorted(p for case in (FIXTURES / "shapes").iterdir() for p in (case / "good", case / "bad") if p.is_dir())


@pytest.mark.parametrize("batch", range(len(BATCHES)))
def test_same_results_on_the_violating_fixtures(batch, tmp_path):
    checkout = make_checkout(tmp_path / "atlas")
    for layer in BATCHES[batch]:
        overlay(checkout, layer)
    fast, reference = results_both_ways(checkout)
    assert fast, "a batch of violating fixtures gave no result at all"
    assert fast == reference
    fast, reference = problems_both_ways(checkout)
    assert fast == reference


@pytest.mark.parametrize("layer", LAYERS, ids=[f"{p.parent.name}/{p.name}" for p in LAYERS])
def test_same_results_on_every_shape_fixture(layer, tmp_path):
    checkout = make_checkout(tmp_path / "atlas")
    overlay(checkout, layer)
    fast, reference = results_both_ways(checkout)
    assert fast == reference


BAD_INPUTS = sorted(p for p in (FIXTURES / "bad").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[p.name for p in BAD_INPUTS])
def test_same_results_on_the_hostile_input_fixtures(case, tmp_path):
    # a case says which checkout it changes: the small graph, or the small graph with the fixture index imported
    expected = json.loads((case / "expected.json").read_text()) if (case / "expected.json").exists() else {}
    make = make_import_checkout if expected.get("template") == "imports" else make_checkout
    checkout = make(tmp_path / "atlas")
    overlay(checkout, case)
    fast, reference = results_both_ways(checkout)
    assert fast == reference


def test_same_results_with_focus_nodes(tmp_path):
    """With focus nodes: the full run's results for those nodes (nested checks of other nodes included)."""
    checkout = make_checkout(tmp_path / "atlas")
    for case in sorted((FIXTURES / "shapes").iterdir())[::2]:
        if (case / "bad").is_dir():
            overlay(checkout, case / "bad")
    parsed = checkout_data(checkout)  # one parse: the shapes' blank nodes keep their names across runs
    everything, _ = results_both_ways(checkout, parsed=parsed)
    failing = sorted({str(k[0]) for k in everything if isinstance(k[0], rdflib.URIRef)})
    focus = set(failing[::3]) | {"https://w3id.org/llm-atlas/project/alpha"}
    fast, reference = results_both_ways(checkout, focus, parsed=parsed)
    assert fast and fast == reference
    assert fast == Counter({k: n for k, n in everything.items() if str(k[0]) in focus})


@pytest.mark.slow
def test_same_results_on_the_real_graph():
    fast, reference = results_both_ways(ROOT)
    assert fast == reference
    fast, reference = problems_both_ways(ROOT)
    assert fast == reference


def test_data_in_any_named_graph_is_validated_as_one_union(tmp_path):
    """Quads may sit in any graphs (a file may hold many): the union is validated, duplicates count once."""
    checkout = make_checkout(tmp_path / "atlas")
    overlay(checkout, FIXTURES / "shapes" / "label-required" / "bad")
    by_file, shapes = checkout_data(checkout)
    one_graph = store_of(q for quads in by_file.values() for q in quads)
    scattered = ox.Store()
    for number, quad in enumerate(q for quads in by_file.values() for q in quads):
        for copy in range(1 + number % 2):  # every other triple twice, in two record graphs
            scattered.add(ox.Quad(quad.subject, quad.predicate, quad.object, ox.NamedNode(f"https://w3id.org/llm-atlas/record/test/{number % 7}/{copy}")))
    expected = Counter(r.key() for r in shacl_results(one_graph, shapes))
    assert expected
    assert Counter(r.key() for r in shacl_results(scattered, shapes)) == expected
    assert Counter(r.key() for r in shacl_results(scattered, shapes, engine="pyshacl")) == expected


# -- the parts of the compiler that decide what is safe ----------------------------------------------------


@pytest.mark.parametrize("pattern,safe", [
    ("^https://w3id\\.org/llm-atlas/[a-z]+/[a-z0-9]+(-[a-z0-9]+)*$", True),
    ("^[0-9]{4}\\.[0-9]{4,5}$", True),
    ("^https?://", True),
    ("\\d+", False),  # Unicode digits: Python and the regex crate may disagree
    ("[[:alpha:]]", False),
    ("[a-z&&[^aeiou]]", False),  # a set operation in the regex crate, literal characters in Python
    ("(?i)abc", False),
    ("\\w", False),
])
def test_which_patterns_run_in_sparql(pattern, safe):
    assert safe_pattern(pattern) is safe


@pytest.mark.parametrize("select,free", [
    ("SELECT $this WHERE { $this <p> ?v . FILTER NOT EXISTS { $this <q> ?v } }", True),
    ("SELECT $this ?path ?value WHERE {\n  $this ?path ?value .\n OPTIONAL { ?c <s> $this } FILTER (!BOUND(?c)) }", True),
    ("SELECT ?value WHERE { $this <p> ?value }", False),  # $this not projected: the focus node is unknown
    ("SELECT $this WHERE { ?x <p> $this }", False),  # the first pattern does not bind $this as subject
    ("SELECT $this WHERE { $this <p> ?v . { SELECT (COUNT(*) AS ?n) WHERE { $this <q> ?w } } }", False),
    ("SELECT $this WHERE { $this <p> $currentShape }", False),
])
def test_which_sparql_constraints_run_once_for_all_focus_nodes(select, free):
    assert free_this(select) is free


# -- the W3C SHACL test suites ---------------------------------------------------------------------------

SUITE = SHARED / "conformance" / "w3c-shacl" / "data-shapes-test-suite" / "tests"
BASE = "http://datashapes.org/sh/tests/"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = rdflib.Namespace("http://www.w3.org/ns/shacl-test#")

# Tests where pySHACL (the reference) does not give the W3C expected report. The fast path must still give
# exactly pySHACL's answer on them; the list keeps the reference honest.
PYSHACL_KNOWN_FAILURES = {
    f"{BASE}core/property/uniqueLang-002": 'takes sh:uniqueLang "1"^^xsd:boolean for true; only the literal true activates it',
    f"{BASE}sparql/node/prefixes-001": "does not follow owl:imports to the prefix declarations of another ontology",
    f"{BASE}sparql/pre-binding/shapesGraph-001": "does not support $shapesGraph in SPARQL-based constraints",
}


def suite_parse(path: Path) -> list[ox.Quad]:
    return list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=BASE + path.relative_to(SUITE).as_posix()))


def suite_tests() -> list[tuple[str, Path, Path, Path]]:
    """(test IRI, data file, shapes file, manifest file) of every sht:Validate test, following mf:include."""
    if not SUITE.is_dir():
        return []
    found, seen = [], set()

    def walk(manifest: Path) -> None:
        graph = graph_from_triples(suite_parse(manifest))
        for include in graph.objects(None, MF.include):
            walk(SUITE / str(include)[len(BASE):])
        for entries in graph.objects(None, MF.entries):
            for test in graph.items(entries):
                if (test, RDF.type, SHT.Validate) in graph and str(test) not in seen:
                    seen.add(str(test))
                    action = graph.value(test, MF.action)
                    data = SUITE / str(graph.value(action, SHT.dataGraph))[len(BASE):]
                    shapes = SUITE / str(graph.value(action, SHT.shapesGraph))[len(BASE):]
                    found.append((str(test), data, shapes, manifest))

    walk(SUITE / "manifest.ttl")
    return found


SUITE_TESTS = suite_tests()


def outcome(run) -> tuple:
    try:
        return ("results", Counter(r.key() for r in run()))
    except ValidationFailure as failure:
        return ("failure", str(failure.message))
    except Exception:  # noqa: BLE001 - both engines refuse the same broken shapes, each in its own words
        return ("error",)


@pytest.mark.skipif(not SUITE_TESTS, reason="the W3C SHACL suite is not in ../shared")
@pytest.mark.parametrize("allow_warnings", [True, False], ids=["allow-warnings", "strict"])
@pytest.mark.parametrize("test,data_file,shapes_file,manifest", SUITE_TESTS, ids=[t[0][len(BASE):] for t in SUITE_TESTS])
def test_w3c_shacl_suite_same_results(test, data_file, shapes_file, manifest, allow_warnings):
    data = suite_parse(data_file)
    shapes = data if shapes_file == data_file else suite_parse(shapes_file)
    store = store_of(ox.Quad(q.subject, q.predicate, q.object) for q in data)
    stored = list(store.quads_for_pattern(None, None, None, None))

    def reference():
        _, report, _ = pyshacl.validate(graph_from_triples(stored), shacl_graph=graph_from_triples(shapes), inference="none",
                                        allow_warnings=allow_warnings, advanced=False)
        if not isinstance(report, rdflib.Graph):
            raise report
        return results_of_report_graph(report)

    def fast():
        validator = SparqlValidator(store, graph_from_triples(shapes), union=False, allow_warnings=allow_warnings,
                                    rdflib_data=lambda: graph_from_triples(stored))
        return validator.validate().results

    assert outcome(fast) == outcome(reference)


@pytest.mark.skipif(not SUITE_TESTS, reason="the W3C SHACL suite is not in ../shared")
@pytest.mark.parametrize("test,data_file,shapes_file,manifest", SUITE_TESTS, ids=[t[0][len(BASE):] for t in SUITE_TESTS])
def test_w3c_shacl_suite_pyshacl_passes_or_is_a_known_failure(test, data_file, shapes_file, manifest):
    """pySHACL, the reference, against the suite's expected reports, with its own conformance checker."""
    from pyshacl.validator_conformance import check_sht_result

    data = graph_from_triples(suite_parse(data_file))
    shapes = graph_from_triples(suite_parse(shapes_file))  # a graph of its own: pySHACL adds to its shapes graph
    expected_graph = graph_from_triples(suite_parse(manifest))
    expected = expected_graph.value(rdflib.URIRef(test), MF.result)
    try:
        _, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", advanced=False)
        passes = check_sht_result(report, expected_graph, expected)
    except Exception:  # noqa: BLE001 - an error is a failure of the test case
        passes = False
    if test in PYSHACL_KNOWN_FAILURES:
        assert not passes, f"pySHACL passes {test} now: remove it from PYSHACL_KNOWN_FAILURES"
    else:
        assert passes, f"pySHACL fails {test}: if that is pySHACL's fault, list it in PYSHACL_KNOWN_FAILURES with the reason"


def test_a_problem_in_an_import_points_at_its_record_block(mini, store_dir):
    """In a TriG import the same subject appears in many record graphs: the line is the one in the block
    of the graph that holds the offending triple."""
    from llm_atlas import Atlas

    model = "<https://w3id.org/llm-atlas/model/alpha-7b>"
    text = (
        "@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\n"
        "<https://w3id.org/llm-atlas/import/fixture> rdfs:label \"Fixture import\"@en .\n\n"
        "<https://w3id.org/llm-atlas/record/fixture/a> {\n"
        f"{model} rdfs:comment \"first record\"@en .\n"
        "}\n\n"
        "<https://w3id.org/llm-atlas/record/fixture/b> {\n"
        f"{model} rdfs:comment \"second record\"@en ;\n"
        "    atlas:languageCount \"many\" .\n"
        "}\n"
    )
    (mini / "imports").mkdir(exist_ok=True)
    (mini / "imports" / "fixture.trig").write_text(text, encoding="utf-8")
    report = Atlas.open(mini, store_dir).validate()
    [problem] = [p for p in report.problems if p.rule == "artifact-language-count"]
    assert (problem.path, problem.line) == ("imports/fixture.trig", text.split("\n").index('    atlas:languageCount "many" .') + 1)
