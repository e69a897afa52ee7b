"""The export job: RDF dumps, JSON-LD with the atlas context, CSV tables, GraphML, VoID; atomic and deterministic."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest
import rdflib

from llm_atlas import Atlas, export, outputs
from llm_atlas.errors import UsageError
from llm_atlas.namespaces import KINDS, PREFIXES

from .conftest import ROOT, check_golden, make_checkout

GOLDENS = Path(__file__).resolve().parent / "goldens" / "export"
VOID = "http://rdfs.org/ns/void#"


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Atlas:
    base = tmp_path_factory.mktemp("export")
    atlas = Atlas.open(make_checkout(base / "atlas"), base / "store")
    atlas.build()
    yield atlas
    atlas.close()


@pytest.fixture(scope="module")
def exported(built, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("out") / "dist"
    result = export.export(built.store, out, "all")
    assert [p.name for p in result.files] == sorted_names(result.files)
    return out


def sorted_names(files) -> list[str]:
    return [p.name for p in files]


def union_triples(store: ox.Store) -> set[ox.Triple]:
    return {ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, None)}


def canonical(triples) -> set[str]:
    """Triples as N-Triples lines with blank nodes relabelled from their content (graph isomorphism for trees)."""
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in triples]
    return {f"{q.subject} {q.predicate} {q.object}" for q in export.canonical_blank_nodes(quads)}


def count(store: ox.Store, sparql: str) -> int:
    return int(next(iter(store.query(sparql, prefixes=PREFIXES, use_default_graph_as_union=True)))["n"].value)


# -- RDF dumps -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, fmt", [("atlas.ttl", ox.RdfFormat.TURTLE), ("atlas.nt", ox.RdfFormat.N_TRIPLES)])
def test_graph_dumps_parse_back_to_the_union_of_the_file_graphs(built, exported, name, fmt):
    parsed = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(path=exported / name, format=fmt)]
    expected = union_triples(built.store)
    assert len(parsed) == len(expected) == count(built.store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
    assert canonical(parsed) == canonical(expected)


def test_turtle_uses_the_shared_prefixes(exported):
    text = (exported / "atlas.ttl").read_text(encoding="utf-8")
    assert "@prefix organization: <https://w3id.org/llm-atlas/organization/> ." in text
    assert "organization:alpha-lab a atlas:Organization" in text


def test_nquads_keep_every_triple_in_the_graph_of_its_file(built, exported):
    quads = list(ox.parse(path=exported / "atlas.nq", format=ox.RdfFormat.N_QUADS))
    store = built.store
    assert len(quads) == len(store)
    assert {q.graph_name for q in quads} == set(store.named_graphs())
    graph = ox.NamedNode("https://w3id.org/llm-atlas/file/graph/organization/alpha-lab.ttl")
    assert sum(1 for q in quads if q.graph_name == graph) == len(list(store.quads_for_pattern(None, None, None, graph)))
    by_graph = {}
    for q in quads:
        by_graph.setdefault(q.graph_name.value, []).append(ox.Triple(q.subject, q.predicate, q.object))
    for name in store.named_graphs():
        local = [ox.Triple(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, None, name)]
        assert canonical(by_graph[name.value]) == canonical(local), name


# -- JSON-LD -------------------------------------------------------------------------------------------------

def standalone(document: dict) -> dict:
    assert document["@context"] == export.packaged_context()["@context"], "the context is embedded, not referred to"
    return document


def test_jsonld_embeds_the_context_and_ships_it(exported):
    document = json.loads((exported / "atlas.jsonld").read_text(encoding="utf-8"))
    assert isinstance(document["@context"], dict) and document["@context"] == export.packaged_context()["@context"]
    assert (exported / "context.jsonld").read_bytes() == export.PACKAGED_CONTEXT.read_bytes()
    alpha = next(node for node in document["@graph"] if node["@id"] == "organization:alpha-lab")
    assert alpha["@type"] == "atlas:Organization"
    assert alpha["label"] == "Alpha Lab"  # an English literal, by the term's @language
    assert alpha["inSample"] == "true"  # typed by the context (xsd:boolean), lexical form kept
    assert alpha["organizationType"] == "orgtype:non-profit-grassroots"  # an IRI, by the term's @type @id
    assert alpha["atlas:source"] == "source:slides"  # 'source' is the prefix; the property keeps its compact IRI


def test_jsonld_expands_to_exactly_the_union(built, exported):
    document = standalone(json.loads((exported / "atlas.jsonld").read_text(encoding="utf-8")))
    parsed = [ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(json.dumps(document), format=ox.RdfFormat.JSON_LD)]
    expected = union_triples(built.store)
    assert len(parsed) == len(expected)
    assert canonical(parsed) == canonical(expected)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # rdflib's JSON-LD parser uses its own deprecated ConjunctiveGraph
def test_jsonld_expands_the_same_in_rdflib(built, exported):
    document = standalone(json.loads((exported / "atlas.jsonld").read_text(encoding="utf-8")))
    graph = rdflib.Graph().parse(data=json.dumps(document), format="json-ld")
    assert len(graph) == len(union_triples(built.store))
    alpha = rdflib.URIRef(PREFIXES["organization"] + "alpha-lab")
    assert (alpha, rdflib.URIRef(PREFIXES["atlas"] + "source"), rdflib.URIRef(PREFIXES["source"] + "slides")) in graph
    assert (alpha, rdflib.RDFS.label, rdflib.Literal("Alpha Lab", lang="en")) in graph


def test_jsonld_is_exact_for_values_the_context_does_not_expect():
    atlas, ex = PREFIXES["atlas"], "http://example.org/"
    s = ox.NamedNode(PREFIXES["model"] + "m")
    triples = [
        ox.Triple(s, ox.NamedNode(export.RDFS + "label"), ox.Literal("Modell", language="de")),  # not @en
        ox.Triple(s, ox.NamedNode(export.RDFS + "label"), ox.Literal("plain")),  # no language at all
        ox.Triple(s, ox.NamedNode(atlas + "languageCount"), ox.Literal("07", datatype=ox.NamedNode(export.XSD + "integer"))),
        ox.Triple(s, ox.NamedNode(atlas + "languageCount"), ox.Literal("seven")),  # not the coerced type
        ox.Triple(s, ox.NamedNode(atlas + "country"), ox.NamedNode(ex + "no")),  # an IRI for a literal property
        ox.Triple(s, ox.NamedNode(atlas + "ledBy"), ox.Literal("not an IRI")),  # a literal for an IRI property
        ox.Triple(s, ox.NamedNode(atlas + "brandNewProperty"), ox.Literal("x", datatype=ox.NamedNode(ex + "dt"))),
        ox.Triple(s, ox.NamedNode(ex + "p"), ox.NamedNode(ex + "o")),
        ox.Triple(s, ox.NamedNode(ex + "p"), ox.BlankNode("b1")),
        ox.Triple(ox.BlankNode("b1"), ox.NamedNode(export.RDF + "type"), ox.NamedNode(ex + "C")),
        ox.Triple(s, ox.NamedNode(ex + "q"), ox.Literal('quote " and \\ and \n newline')),
        ox.Triple(s, ox.NamedNode(export.RDF + "type"), ox.NamedNode(atlas + "Model")),
    ]
    document = export.jsonld_document(triples, export.packaged_context(), export.packaged_context()["@context"])
    parsed = {ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(json.dumps(document), format=ox.RdfFormat.JSON_LD)}
    assert canonical(parsed) == canonical(triples)


def test_context_file_is_generated_from_the_ontology(update_goldens):
    """src/llm_atlas/context.jsonld is what the ontology gives (pytest --update-goldens rewrites it)."""
    check_golden(export.PACKAGED_CONTEXT, export.context_text(export.ontology_context(ROOT)), update_goldens)
    context = export.packaged_context()["@context"]
    assert context["ledBy"] == {"@id": "atlas:ledBy", "@type": "@id"}
    assert context["languageCount"] == {"@id": "atlas:languageCount", "@type": "xsd:integer"}
    assert context["source"] == PREFIXES["source"] and context["atlas:source"]["@type"] == "@id"
    assert all(context[p] == ns for p, ns in PREFIXES.items())


# -- CSV -----------------------------------------------------------------------------------------------------

def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_one_csv_per_entity_class_with_claims_and_prefixes(exported):
    names = {p.name for p in exported.glob("*.csv")}
    assert names == set(export.csv_names())
    assert len(names) == len(KINDS) + 2
    for name in export.csv_names()[: len(KINDS)]:
        header = (exported / name).read_text(encoding="utf-8").splitlines()[0]
        assert header.startswith("iri,label,description"), name


def test_organisations_table_matches_a_query(built, exported):
    rows = read_csv(exported / "organizations.csv")
    answer = built.query("SELECT ?o ?label ?type WHERE { ?o a atlas:Organization ; rdfs:label ?label "
                         "OPTIONAL { ?o atlas:organizationType ?type } } ORDER BY ?o")
    expected = [(export.short(r[0]), r[1].value, export.short(r[2])) for r in answer.rows]
    assert [(r["iri"], r["label"], r["organizationType"]) for r in rows] == expected
    alpha = next(r for r in rows if r["iri"] == "organization:alpha-lab")
    assert alpha["country"] == "NO" and alpha["continent"] == "continent:europe" and alpha["inSample"] == "true"


def test_claims_table_has_every_statement_claim_with_its_confidence(built, exported):
    rows = read_csv(exported / "claims.csv")
    assert len(rows) == count(built.store, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a atlas:StatementClaim }")
    country = next(r for r in rows if r["claim"] == "organization:alpha-lab#country-no")
    assert country == {"claim": "organization:alpha-lab#country-no", "subject": "organization:alpha-lab", "predicate": "atlas:country",
                       "object": "NO", "confidence": "confidence:stated", "source": "source:external", "locator": "",
                       "evidence": "https://example.org/alpha-lab/about", "comment": ""}
    assert {r["prefix"]: r["namespace"] for r in read_csv(exported / "prefixes.csv")} == PREFIXES


def test_csv_and_void_goldens(exported, update_goldens):
    for name in export.csv_names() + [export.VOID_NAME]:
        check_golden(GOLDENS / name, (exported / name).read_text(encoding="utf-8"), update_goldens)


# -- GraphML -------------------------------------------------------------------------------------------------

def test_graphml_has_the_entities_and_their_links_with_claim_confidence(built, exported):
    graph = nx.read_graphml(exported / "atlas.graphml", force_multigraph=True)
    entities = count(built.store, "SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE { { ?e a skos:Concept } UNION { VALUES ?c { "
                     + " ".join(f"<{c}>" for c in KINDS.values()) + " } ?e a ?c } }")
    assert graph.number_of_nodes() == entities
    alpha = graph.nodes["project:alpha"]
    assert alpha["kind"] == "project" and alpha["label"] and alpha["iri"] == PREFIXES["project"] + "alpha"
    led = [d for _, v, d in graph.out_edges("project:alpha", data=True) if d["predicate"] == "atlas:ledBy"]
    assert led and all(d["confidence"].startswith("confidence:") for d in led)
    assert graph.nodes["orgtype:non-profit-grassroots"]["kind"] == "concept"


# -- VoID ----------------------------------------------------------------------------------------------------

def void_store(path: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=path, format=ox.RdfFormat.TURTLE)  # no base IRI: every IRI in it is absolute
    return store


def void_value(void: ox.Store, sparql: str):
    return [row for row in void.query("PREFIX void: <http://rdfs.org/ns/void#> PREFIX dcat: <http://www.w3.org/ns/dcat#> " + sparql)]


def test_void_counts_are_the_store_counts(built, exported):
    void = void_store(exported / export.VOID_NAME)
    store = built.store
    (row,) = void_value(void, "SELECT ?t ?e ?s ?o WHERE { ?d a void:Dataset ; void:triples ?t ; void:entities ?e ; "
                              "void:distinctSubjects ?s ; void:distinctObjects ?o }")
    assert int(row["t"].value) == count(store, "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }")
    assert int(row["e"].value) == count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER (isIRI(?s) && STRSTARTS(STR(?s), 'https://w3id.org/llm-atlas/')) }")
    assert int(row["s"].value) == count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }")
    assert int(row["o"].value) == count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }")
    classes = {r["c"].value: int(r["n"].value) for r in void_value(void, "SELECT ?c ?n WHERE { ?d void:classPartition [ void:class ?c ; void:entities ?n ] }")}
    expected = {r["c"].value: int(r["n"].value) for r in store.query("SELECT ?c (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?c } GROUP BY ?c", use_default_graph_as_union=True)}
    assert classes == expected and classes[PREFIXES["atlas"] + "Organization"] == 2
    properties = {r["p"].value: int(r["n"].value) for r in void_value(void, "SELECT ?p ?n WHERE { ?d void:propertyPartition [ void:property ?p ; void:triples ?n ] }")}
    expected = {r["p"].value: int(r["n"].value) for r in store.query("SELECT ?p (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } } GROUP BY ?p", use_default_graph_as_union=True)}
    assert properties == expected


def test_void_describes_the_dataset_and_names_the_dumps_written(exported):
    void = void_store(exported / export.VOID_NAME)
    base = export.DUMP_BASE
    dumps = {r["f"].value for r in void_value(void, "SELECT ?f WHERE { ?d void:dataDump ?f }")}
    assert dumps == {base + name for name in ("atlas.ttl", "atlas.nt", "atlas.nq", "atlas.jsonld")}
    assert all((exported / Path(d).name).is_file() for d in dumps)
    downloads = {r["f"].value for r in void_value(void, "SELECT ?f WHERE { ?d dcat:distribution/dcat:downloadURL ?f }")}
    assert all((exported / Path(d).name).is_file() for d in downloads) and base + "organizations.csv" in downloads
    (row,) = void_value(void, "SELECT ?l ?v ?src WHERE { ?d a dcat:Dataset ; <http://purl.org/dc/terms/license> ?l ; "
                              "<http://www.w3.org/2002/07/owl#versionInfo> ?v ; <http://purl.org/dc/terms/source> ?src }")
    assert row["l"].value == "https://creativecommons.org/licenses/by/4.0/"
    assert row["v"].value == "0.1.0" and row["src"].value == "https://arxiv.org/abs/2509.25397"
    assert not void_value(void, "SELECT ?e WHERE { ?d void:sparqlEndpoint ?e }")  # none is known to be true


def test_void_names_the_files_where_they_will_be_published(built, tmp_path):
    export.export(built.store, tmp_path / "d", ["nq", "csv"], base_url="https://data.example.org/atlas/2026-01/")
    text = (tmp_path / "d" / export.VOID_NAME).read_text(encoding="utf-8")
    assert "<atlas.nq>" not in text and "<./>" not in text
    dumps = {r["f"].value for r in void_value(void_store(tmp_path / "d" / export.VOID_NAME), "SELECT ?f WHERE { ?d void:dataDump ?f }")}
    assert dumps == {"https://data.example.org/atlas/2026-01/atlas.nq"}
    for bad in ("atlas/", "https://data.example.org/no-slash", "ftp://x/"):
        with pytest.raises(UsageError, match="--base-url"):
            export.export(built.store, tmp_path / "e", ["nq"], base_url=bad)
    assert not (tmp_path / "e").exists()


def test_void_alone(built, tmp_path):
    path = export.write_void(built.store, tmp_path / "v")
    assert [p.name for p in (tmp_path / "v").iterdir()] == ["void.ttl"] and path.name == "void.ttl"
    assert not void_value(void_store(path), "SELECT ?f WHERE { ?d void:dataDump ?f }")


# -- determinism and atomicity -------------------------------------------------------------------------------

def test_exports_are_byte_identical_across_rebuilds(built, exported, tmp_path):
    again = Atlas.open(built.root, tmp_path / "store2")
    again.build(force=True)  # a fresh store: new random blank node labels for the shapes
    export.export(again.store, tmp_path / "b", "all")
    again.close()
    for path in sorted(exported.iterdir()):
        assert (tmp_path / "b" / path.name).read_bytes() == path.read_bytes(), path.name


def test_a_failing_export_leaves_the_folder_as_it_was(built, tmp_path, monkeypatch):
    out = tmp_path / "dist"
    export.export(built.store, out, ["nt"])
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    written = []
    real_fsync = os.fsync

    def failing_fsync(fd):
        written.append(fd)
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(outputs.os, "fsync", failing_fsync)
    with pytest.raises(UsageError, match="No space left"):
        export.export(built.store, out, "all")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before  # no temporary file, nothing replaced


def test_a_failing_export_into_a_new_folder_leaves_nothing(built, tmp_path, monkeypatch):
    monkeypatch.setattr(outputs.os, "replace", lambda *a: (_ for _ in ()).throw(OSError(13, "Permission denied")))
    with pytest.raises(UsageError, match="Permission denied"):
        export.export(built.store, tmp_path / "new" / "dist", ["ttl", "csv"])
    assert not (tmp_path / "new" / "dist").exists()


def test_export_under_a_file_is_refused_before_any_work(built, tmp_path):
    # a path whose parent is a file cannot be a folder for anyone, root included (CI runs as root)
    (tmp_path / "plain").write_text("x")
    with pytest.raises(UsageError, match="cannot write the export to .*plain is a file"):
        export.export(built.store, tmp_path / "plain" / "dist", "all")
    assert (tmp_path / "plain").read_text() == "x"


def test_bad_arguments(built, tmp_path):
    with pytest.raises(UsageError, match="unknown export format 'xml'"):
        export.export(built.store, tmp_path / "d", ["ttl", "xml"])
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        export.export(built.store, tmp_path / "file", ["ttl"])
    with pytest.raises(UsageError, match="folder"):
        export.export(built.store, tmp_path / "atlas.ttl", ["ttl"])
    assert export.normalise_formats("nq,ttl") == ["ttl", "nq"] and export.normalise_formats(["all"]) == list(export.FORMATS)


def test_files_are_readable_by_others(built, tmp_path):
    old = os.umask(0o022)
    try:
        export.export(built.store, tmp_path / "d", ["nt"])
    finally:
        os.umask(old)
    assert (tmp_path / "d" / "atlas.nt").stat().st_mode & 0o777 == 0o644
