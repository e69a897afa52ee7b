"""Saved queries: every queries/*.rq parses, answers on the fixture graph as its golden file says, answers
the study's questions on the real graph, and binds its parameters as RDF terms, never as query text."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.errors import InvalidData, UnknownTermWarning, UsageError
from llm_atlas.namespaces import PREFIXES, RDF_TYPE, RDFS_LABEL
from llm_atlas.query import QueryResult, _tokens, bind_params, load_saved_queries

from .conftest import ROOT, check_golden, make_checkout

QUERIES_DIR = ROOT / "queries"
GOLDENS = Path(__file__).resolve().parent / "goldens" / "queries"
QUERY_NAMES = sorted(p.stem for p in QUERIES_DIR.glob("*.rq"))
# Federated queries (tag `federated`) reach a remote endpoint through SERVICE: tests never touch the
# internet, so they run only against a local server (tests/test_link.py), not in the runs below.
LOCAL_QUERY_NAMES = [
    name for name in QUERY_NAMES
    if not re.search(r"^#\+ tags:.*\bfederated\b", (QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8"), re.MULTILINE)
]

# The columns each saved query returns (the contract with scripts and with the report).
COLUMNS = {
    "missing-identifiers": ["kind", "identifier", "entity", "missingOfClass", "entityIri"],
    "osai-base-models": ["assessment", "baseModelName", "baseModel", "baseModelImported", "assessedModel", "assessmentIri", "baseModelIri"],
    "osai-study-projects": ["project", "model", "assessment", "open", "partial", "closed", "rated", "projectIri", "modelIri", "assessmentIri"],
    "artifacts-per-project": ["project", "relation", "artifact", "kind", "stage", "madeBy", "confidence", "projectIri", "artifactIri"],
    "claims-by-confidence": ["confidence", "claims"],
    "contradicted-claims": ["subject", "predicate", "value", "source", "otherValue", "otherSource", "otherEvidence", "claim", "otherClaim"],
    "collaboration-by-artifact-kind": ["kind", "domain", "stage", "collaborations", "onRamps", "artifacts"],
    "collaboration-by-stage": ["stageOrder", "stage", "collaborationStyle", "collaborations", "inferredCollaborations", "onRamps", "challenges", "collaborationsAndOnRamps"],
    "dependents": ["depth", "kind", "dependent", "relation", "dependsOn", "dependentIri", "dependsOnIri", "artifact"],
    "entities-by-class": ["class", "entities"],
    "entities-without-identifier": ["kind", "entity", "inSample", "evidence", "entityIri"],
    "established-datasets": ["dataset", "createdBy", "projects", "otherProjects", "projectList", "derivedDatasets", "derivedList", "datasetIri"],
    "evidence-domains": ["domainClass", "claimKind", "links", "share"],
    "evidence-audit": ["claimType", "subject", "predicate", "object", "source", "locator", "evidence", "confidence", "claimIri"],
    "evidence-summary": ["source", "stated", "paraphrased", "inferred", "claims"],
    "findings-by-stage": ["stage", "kind", "finding", "organization", "description", "source", "locator", "evidence", "confidence", "findingIri"],
    "gap-filling-datasets": ["gap", "artifact", "kind", "languages", "languageCount", "createdBy", "gapConfidence", "artifactIri"],
    "governance-models": ["family", "governanceModel", "inSample", "projectCount", "projects", "centralisationRank", "centralisationConfidence",
                          "communityEngagement", "engagementConfidence", "familyConfidence", "governanceModelIri"],
    "inferred-claims": ["claim", "subject", "predicate", "object", "source", "why"],
    "motivations": ["category", "motivation", "categoryConfidence", "project", "continent", "linkConfidence", "motivationIri", "projectIri"],
    "recommendations-and-gaps": ["recommendation", "audience", "audienceConfidence", "gap", "gapConfidence", "relatedKind", "artifactsAddressingGap",
                                 "artifact", "kind", "sameKind", "artifactGapConfidence", "recommendationIri", "artifactIri"],
    "sample-by-continent": ["continent", "organizations", "organizationList", "continentIri"],
    "sample-by-governance": ["family", "governanceModel", "organizations", "organizationsAndProjects", "governanceModelIri"],
    "sample-by-type": ["organizationType", "organizations", "organizationList", "organizationTypeIri"],
    "study-sample": ["organization", "organizationType", "continent", "project", "governanceModel"],
    "descendants": ["depth", "descendant", "relation", "parent", "licence", "licenceCategory", "date", "descendantIri", "parentIri", "release"],
    "osai-verdict-history": ["dimension", "openness", "was", "since", "commit", "record", "state", "release"],
    "open-releases-on": ["released", "release", "licence", "licenceCategory", "releaseIri", "licenceIri", "date"],
    "family-lineage-growth": ["date", "release", "relation", "base", "baseDate", "releaseIri", "baseIri", "family"],
    "ancestors": ["depth", "child", "relation", "ancestor", "licence", "licenceCategory", "date", "childIri", "ancestorIri", "release"],
    "trained-on": ["hops", "release", "via", "licence", "date", "releaseIri", "viaIri", "dataset"],
    "licence-changes-along-lineage": ["derivative", "relation", "base", "derivativeLicence", "baseLicence", "derivativeCategory", "baseCategory",
                                      "categoryChanged", "derivativeIri", "baseIri", "derivativeLicenceIri", "baseLicenceIri"],
    "benchmark-results": ["release", "benchmark", "score", "metric", "precision", "date", "releaseIri", "benchmarkIri", "resultIri", "reporter"],
    "source-disagreements": ["subject", "property", "value", "valueSource", "otherValue", "otherSource", "subjectIri", "propertyIri", "differingIri"],
    "ecosystem-summary": ["measure", "class", "source", "confidence", "count"],
    "ecosystem-coverage": ["measure", "count"],
    "licence-obligations": ["verdict", "derivative", "derivation", "base", "derivativeLicence", "baseLicence", "obligation", "certainty", "rule",
                            "ruleSource", "ruleSection", "derivativeIri", "baseIri", "derivativeLicenceIri", "baseLicenceIri", "ruleIri",
                            "verdictIri", "derivationIri", "obligationIri", "certaintyIri"],
    "openness-components": ["release", "source", "component", "published", "licence", "licenceStatus", "location", "evidence", "locator",
                            "releaseIri", "sourceIri", "componentIri", "licenceIri", "recordIri", "factIri"],
    "disagreements": ["kind", "subject", "property", "value", "valueSource", "valueEvidence", "otherValue", "otherSource", "otherEvidence",
                      "status", "favoured", "reason", "decidedBy", "decidedOn", "subjectIri", "propertyIri", "disagreementIri", "otherIri",
                      "resolutionIri"],
}

# The study's questions each have a saved query the report runs.
STUDY_QUERIES = {
    "artifacts-per-project", "collaboration-by-artifact-kind", "collaboration-by-stage", "established-datasets", "findings-by-stage",
    "gap-filling-datasets", "governance-models", "inferred-claims", "motivations", "recommendations-and-gaps", "sample-by-continent",
    "sample-by-governance", "sample-by-type", "study-sample",
}


def body(text: str) -> str:
    """The query without its comment lines (header included)."""
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))


def values(result: QueryResult, column: str) -> list[str]:
    index = result.variables.index(column)
    return ["" if row[index] is None else row[index].value for row in result.rows]


def records(result: QueryResult) -> list[dict[str, str]]:
    return [{v: ("" if t is None else t.value) for v, t in zip(result.variables, row)} for row in result.rows]




# -- the files -----------------------------------------------------------------------------------------


def test_every_saved_query_parses_with_a_complete_header():
    queries = load_saved_queries(QUERIES_DIR, ROOT)
    assert [q.name for q in queries] == QUERY_NAMES
    assert set(QUERY_NAMES) == set(COLUMNS), "a new saved query needs its columns in COLUMNS (and a golden file)"
    for query in queries:
        assert query.summary and query.question and query.tags, query.name
    assert {q.name for q in queries if q.answers_study} == STUDY_QUERIES


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_every_saved_query_ends_with_an_order_by(name):
    text = body((QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8"))
    # the last clause, after the last closing brace of the WHERE clause, is the outer ORDER BY
    assert re.search(r"\}\s*(GROUP BY[^{}]*)?(HAVING[^{}]*)?ORDER BY[^{}]+$", text.strip()), f"{name}.rq has no outer ORDER BY"


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_every_saved_query_declares_its_prefixes(name):
    """Without the predeclared shared prefixes, as any other SPARQL engine would read it."""
    ox.Store().query((QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8"))


def test_the_dependents_parameter_is_a_variable_not_text():
    query = load_saved_queries(QUERIES_DIR, ROOT)[QUERY_NAMES.index("dependents")]
    assert [(p.name, p.type, p.default) for p in query.params] == [("artifact", "iri", "dataset:common-crawl")]
    text = body(query.text)
    assert "?artifact" in text and "common-crawl" not in text


# -- the shapes that are slow on any engine ------------------------------------------------------------


def not_exists_blocks(tokens: list[tuple[str, str, int]]) -> list[tuple[int, int]]:
    """(first, last) token index of the inside of each FILTER NOT EXISTS { ... } of a query."""
    blocks = []
    for i in range(len(tokens) - 3):
        if [t[1].upper() for t in tokens[i:i + 3]] == ["FILTER", "NOT", "EXISTS"] and tokens[i + 3][1] == "{":
            depth = 0
            for j in range(i + 3, len(tokens)):
                if tokens[j][0] == "punct":
                    depth += {"{": 1, "}": -1}.get(tokens[j][1], 0)
                if depth == 0:
                    blocks.append((i + 4, j))
                    break
    return blocks


def subjects(block: list[tuple[str, str, int]]) -> list[tuple[str, str]]:
    """The subjects of the triple patterns of a group (nested groups, FILTER, VALUES and BIND skipped)."""
    found, expect, depth = [], True, 0
    keywords = {"FILTER", "VALUES", "BIND", "OPTIONAL", "MINUS", "UNION", "GRAPH", "SERVICE", "NOT", "EXISTS"}
    for kind, value, _ in block:
        if kind == "punct" and value in "{(":
            depth += 1
        elif kind == "punct" and value in "})":
            depth -= 1
            if depth == 0:
                expect = True
        elif depth:
            continue
        elif kind == "word" and value.upper() in keywords:
            expect = False
        elif kind == "other" and value == ".":
            expect = True
        elif expect and kind in ("var", "iri", "word"):
            found.append((kind, value))
            expect = False
    return found


def quadratic_not_exists(text: str) -> list[str]:
    """FILTER NOT EXISTS groups whose patterns start from no node the rest of the query binds.

    pyoxigraph evaluates such a group once per row of the outer pattern, each time from scratch (the
    claim-backed constraint and collaboration-by-artifact-kind took minutes at 10^5 triples); with MINUS
    the group is evaluated once and anti-joined. A group with a subject bound outside it is looked up by
    that subject, which is cheap.
    """
    tokens = _tokens(text)
    slow = []
    for first, last in not_exists_blocks(tokens):
        outside = {v for n, (kind, v, _) in enumerate(tokens) if kind == "var" and not first <= n < last}
        starts = subjects(tokens[first:last])
        if not any(kind != "var" or value in outside for kind, value in starts):
            slow.append(" ".join(v for _, v, _ in tokens[first:last])[:120])
    return slow


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_no_saved_query_has_the_quadratic_not_exists_shape(name):
    """Where MINUS gives the same rows (the shared variables are bound on every row), it is used instead."""
    slow = quadratic_not_exists(body((QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")))
    assert not slow, f"{name}.rq: FILTER NOT EXISTS {{ {slow[0]} }} starts from no bound node: write it with MINUS"


def test_the_quadratic_shape_is_recognised():
    slow = "SELECT ?f WHERE { ?f a <C> . FILTER NOT EXISTS { ?claim <s> ?f ; <c> <inferred> } }"
    cheap = "SELECT ?f WHERE { ?f a <C> . FILTER NOT EXISTS { ?f <p> ?v } }"
    values_first = "SELECT ?f WHERE { ?f a <C> . FILTER NOT EXISTS { VALUES ?p { <a> <b> } ?f ?p ?v } }"
    assert quadratic_not_exists(slow) and not quadratic_not_exists(cheap) and not quadratic_not_exists(values_first)


@pytest.mark.parametrize("name", [n for n in LOCAL_QUERY_NAMES if re.search(r"\bMINUS\b", body((QUERIES_DIR / f"{n}.rq").read_text(encoding="utf-8")))])
def test_a_minus_gives_the_rows_of_filter_not_exists(name, mini_atlas, real_atlas):
    """Every MINUS of a saved query replaces a FILTER NOT EXISTS: both give the same rows, on both graphs."""
    text = (QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")
    not_exists = re.sub(r"\bMINUS\b", "FILTER NOT EXISTS", text)
    for atlas in (mini_atlas, real_atlas):
        assert records(atlas.query(text)) == records(atlas.query(not_exists))


def test_a_parameter_is_bound_the_same_way_with_values_and_with_substitution(mini_atlas):
    """run_query binds a parameter with a VALUES block where that equals a pyoxigraph substitution."""
    query = load_saved_queries(QUERIES_DIR, ROOT)[QUERY_NAMES.index("dependents")]
    for artifact in ("dataset:web-crawl", "dataset:alpha-corpus", "model:beta-base", "dataset:no-such-dataset"):
        bindings = bind_params(query, {"artifact": artifact})
        substituted = mini_atlas.store.query(query.text, prefixes=PREFIXES, use_default_graph_as_union=True,
                                             substitutions={ox.Variable(k): v for k, v in bindings.items()})
        expected = [[s[v] for v in ("depth", "dependentIri", "relation", "dependsOnIri", "artifact")] for s in substituted]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnknownTermWarning)  # the last artefact names nothing, on purpose
            got = mini_atlas.query("dependents", {"artifact": artifact})
        columns = [got.variables.index(v) for v in ("depth", "dependentIri", "relation", "dependsOnIri", "artifact")]
        assert [[row[i] for i in columns] for row in got.rows] == expected


# -- the fixture graph: golden files -------------------------------------------------------------------


@pytest.mark.parametrize("name", LOCAL_QUERY_NAMES)
def test_saved_query_on_the_fixture_graph_matches_its_golden(name, mini_atlas, update_goldens):
    result = mini_atlas.query(name)
    assert result.variables == COLUMNS[name]
    check_golden(GOLDENS / f"{name}.tsv", result.render("tsv"), update_goldens)


def test_dependents_of_the_fixture_web_crawl_match_the_golden(mini_atlas, update_goldens):
    result = mini_atlas.query("dependents", {"artifact": "dataset:web-crawl"})
    check_golden(GOLDENS / "dependents--web-crawl.tsv", result.render("tsv"), update_goldens)


def test_dependents_of_the_fixture_web_crawl_are_exactly_the_expected_ones(mini_atlas):
    result = mini_atlas.query("dependents", {"artifact": "dataset:web-crawl"})
    rows = {(r["depth"], r["dependentIri"].rsplit("/", 2)[-2] + ":" + r["dependentIri"].rsplit("/", 1)[1], r["relation"],
             r["dependsOnIri"].rsplit("/", 1)[1]) for r in records(result)}
    assert rows == {
        ("1", "dataset:alpha-corpus", "derived from", "web-crawl"),
        ("1", "model:beta-base", "trained on", "web-crawl"),
        ("1", "project:alpha", "uses", "web-crawl"),
        ("2", "model:alpha-7b", "base model", "beta-base"),
        ("2", "model:alpha-7b", "trained on", "alpha-corpus"),
        ("2", "project:alpha", "builds", "alpha-corpus"),
        ("2", "project:beta", "releases", "beta-base"),
        ("3", "project:alpha", "releases", "alpha-7b"),
    }
    assert len(result.rows) == len(rows)
    assert set(values(result, "artifact")) == {"https://w3id.org/llm-atlas/dataset/web-crawl"}
    # nothing depends on the benchmark's leaderboard, and a leaderboard depends on its benchmark
    board = mini_atlas.query("dependents", {"artifact": "benchmark:alpha-bench"})
    assert {(r["dependent"], r["relation"]) for r in records(board)} == {
        ("Alpha Leaderboard", "uses benchmark"), ("Alpha-7B", "evaluated on"), ("Alpha", "builds"), ("Alpha", "releases")}


def test_dependents_depth_is_exact_up_to_five_steps_and_six_means_six_or_more(tmp_path):
    checkout = make_checkout(tmp_path / "atlas")
    prefixes = ("@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .\n@prefix dataset: <https://w3id.org/llm-atlas/dataset/> .\n"
                "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n\n")
    for k in range(8):
        link = f" ;\n    atlas:derivedFrom dataset:chain-{k - 1}" if k else ""
        (checkout / f"graph/dataset/chain-{k}.ttl").write_text(
            prefixes + f'dataset:chain-{k} a atlas:Dataset ;\n    rdfs:label "Chain {k}"@en{link} .\n', encoding="utf-8")
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        rows = records(atlas.query("dependents", {"artifact": "dataset:chain-0"}))
    assert [(r["dependent"], r["dependsOn"], r["depth"]) for r in rows] == [
        ("Chain 1", "Chain 0", "1"), ("Chain 2", "Chain 1", "2"), ("Chain 3", "Chain 2", "3"), ("Chain 4", "Chain 3", "4"),
        ("Chain 5", "Chain 4", "5"), ("Chain 6", "Chain 5", "6"), ("Chain 7", "Chain 6", "6")]


LINKS = ("trainedOn", "derivedFrom", "baseModel", "usesBenchmark", "evaluatedOn", "uses", "builds", "releases")


def dependents_by_union() -> str:
    """The reference form of ``dependents``: one UNION branch per chain length, each chain a path pattern (the
    saved query's first form; the same rows, but evaluated over the whole graph, so slow at scale)."""
    step = "(" + "|".join(f"atlas:{link}" for link in LINKS) + ")"
    branches = ["{ ?dependentIri ?link ?artifact . BIND (?artifact AS ?dependsOnIri) BIND (1 AS ?steps) }"]
    for n in range(2, 7):
        chain = "/".join([step] * (n - 1)) + ("+" if n == 6 else "")
        branches.append(f"{{ ?dependentIri ?link ?dependsOnIri . ?dependsOnIri {chain} ?artifact . BIND ({n} AS ?steps) }}")
    saved = (QUERIES_DIR / "dependents.rq").read_text(encoding="utf-8")
    where = saved[saved.index("WHERE {"):saved.index("GROUP BY")]
    head = saved[:saved.index("WHERE {")]
    links = " ".join(f"atlas:{link}" for link in LINKS)
    return (head + "WHERE {\n  VALUES ?link { " + links + " }\n  {\n    " + "\n    UNION\n    ".join(branches) + "\n  }\n"
            + where[where.index("  FILTER (?dependentIri != ?artifact)"):where.index("  # the shortest chain")] + "}\n"
            + saved[saved.index("GROUP BY"):])


@pytest.mark.parametrize("seed", range(12))
def test_dependents_gives_the_rows_of_the_union_of_chains_by_length(seed):
    """On random link graphs with cycles, self-links, diamonds and chains longer than six, for artefacts in and
    out of the graph: the nested-EXISTS form gives exactly the rows of the reference form."""
    import random

    rng = random.Random(seed)
    store = ox.Store()
    store.load(path=str(ROOT / "ontology" / "atlas.ttl"), format=ox.RdfFormat.TURTLE)
    kinds = ("Dataset", "Model", "Benchmark", "Project")
    nodes = [ox.NamedNode(f"https://w3id.org/llm-atlas/test/n{i}") for i in range(rng.randint(8, 30))]
    atlas_ns = "https://w3id.org/llm-atlas/ontology/"
    for i, node in enumerate(nodes):
        store.add(ox.Quad(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(atlas_ns + rng.choice(kinds))))
        if rng.random() < 0.8:
            store.add(ox.Quad(node, ox.NamedNode(RDFS_LABEL), ox.Literal(f"Node {i}")))
    for i in range(1, len(nodes)):  # a long chain, then random links over it
        store.add(ox.Quad(nodes[i], ox.NamedNode(atlas_ns + rng.choice(LINKS)), nodes[i - 1]))
    for _ in range(rng.randint(0, 3 * len(nodes))):
        store.add(ox.Quad(rng.choice(nodes), ox.NamedNode(atlas_ns + rng.choice(LINKS)), rng.choice(nodes)))
    saved = (QUERIES_DIR / "dependents.rq").read_text(encoding="utf-8")
    reference = dependents_by_union()
    answered = 0
    for artifact in [*rng.sample(nodes, 4), ox.NamedNode("https://w3id.org/llm-atlas/test/absent")]:
        values = f"VALUES ?artifact {{ {artifact} }}"
        got = [tuple(map(str, row)) for row in store.query(saved.replace("WHERE {", "WHERE {\n" + values, 1))]
        expected = [tuple(map(str, row)) for row in store.query(reference.replace("WHERE {", "WHERE {\n" + values, 1))]
        assert got == expected, artifact
        answered += len(got)
    assert answered  # the graphs are dense enough that the comparison is never only of empty answers


def test_a_link_to_a_motivation_category_itself_is_listed(tmp_path):
    """No graph has one yet: a project in a throwaway checkout linked straight to a category."""
    checkout = make_checkout(tmp_path / "atlas")
    (checkout / "graph/project/gamma.ttl").write_text(
        "@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .\n"
        "@prefix confidence: <https://w3id.org/llm-atlas/ontology/confidence/> .\n"
        "@prefix dcterms: <http://purl.org/dc/terms/> .\n"
        "@prefix motivation: <https://w3id.org/llm-atlas/ontology/motivation/> .\n"
        "@prefix organization: <https://w3id.org/llm-atlas/organization/> .\n"
        "@prefix project: <https://w3id.org/llm-atlas/project/> .\n"
        "@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .\n"
        "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
        "@prefix source: <https://w3id.org/llm-atlas/source/> .\n\n"
        'project:gamma a atlas:Project ;\n    rdfs:label "Gamma"@en ;\n    dcterms:description "A test project."@en ;\n'
        "    atlas:inSample false ;\n    atlas:ledBy organization:beta-corp ;\n    atlas:motivatedBy motivation:economic ;\n"
        "    atlas:source source:slides .\n\n"
        "<https://w3id.org/llm-atlas/project/gamma#motivatedby-economic> a atlas:StatementClaim ;\n"
        "    rdf:subject project:gamma ; rdf:predicate atlas:motivatedBy ; rdf:object motivation:economic ;\n"
        '    atlas:source source:slides ; atlas:confidence confidence:inferred ; rdfs:comment "Test."@en .\n',
        encoding="utf-8",
    )
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        rows = records(atlas.query("motivations"))
    gamma = [r for r in rows if r["project"] == "Gamma"]
    assert gamma == [{"category": "economic motivations", "motivation": "", "categoryConfidence": "", "project": "Gamma",
                      "continent": "Asia", "linkConfidence": "inferred", "motivationIri": "https://w3id.org/llm-atlas/ontology/motivation/economic",
                      "projectIri": "https://w3id.org/llm-atlas/project/gamma"}]
    # the sub-motivation rows are unchanged: one per sub-motivation, Alpha's link the only project
    assert [(r["motivation"], r["project"]) for r in rows if r["motivation"]] == [
        ("building regional ecosystems", ""), ("democratising access to AI", ""),
        ("expanding language representation", "Alpha"), ("advancing open science", "")]


# -- the real graph: the study's questions -------------------------------------------------------------


# An audit query whose empty answer is the goal: checked for consistency instead of for rows.
MAY_BE_EMPTY = {"entities-without-identifier"}


# Queries about imported releases: they answer once imports/ holds the ecosystem's records (the curated graph
# alone has no lineage between releases); tests/test_ecosystem_queries.py checks them on a fixture with imports.
ECOSYSTEM_QUERIES = {"descendants", "ancestors", "trained-on", "licence-changes-along-lineage", "benchmark-results", "source-disagreements"}
# ... and the queries across time, whose defaults name fixture releases and families and which read the OSAI history
# (history/osai-index.trig, generated, not committed): tests/test_osai_history.py checks their rows on a fixture history
ECOSYSTEM_QUERIES |= {"osai-verdict-history", "family-lineage-growth"}


@pytest.mark.parametrize("name", LOCAL_QUERY_NAMES)
def test_saved_query_answers_on_the_real_graph(name, real_atlas):
    result = real_atlas.query(name)
    assert result.variables == COLUMNS[name]
    # the ecosystem queries' default parameters name fixture releases, and the Hub catalogue they read is not
    # committed (imports/osai-index.trig is, with records of its own): they run here, their rows are checked there
    assert result.rows or name in MAY_BE_EMPTY or name in ECOSYSTEM_QUERIES, f"{name} returns no row on the real graph"


def test_osai_assessments_of_a_family_s_releases_count_for_the_project(real_atlas):
    rows = records(real_atlas.query("osai-study-projects"))
    llama = [r for r in rows if r["project"] == "Llama" and r["assessment"]]
    # Llama 2, 3, 3.1, 3.3 and 4: five versions the index rates, each a release in the family model:llama
    assert len(llama) == 5 and {r["modelIri"] for r in llama} == {"https://w3id.org/llm-atlas/model/llama"}


def test_no_curated_evidence_points_to_an_aggregator_or_an_unlisted_domain(real_atlas):
    rows = records(real_atlas.query("evidence-domains"))
    assert {r["domainClass"] for r in rows} <= {"primary-record", "press"}
    # identifiers are confirmed at their primary record only
    assert {r["domainClass"] for r in rows if r["claimKind"] == "identifier"} == {"primary-record"}
    assert round(sum(float(r["share"]) for r in rows)) == 100


def test_contradicted_claims_show_both_sides_of_each_disagreement(real_atlas):
    rows = records(real_atlas.query("contradicted-claims"))
    pairs = {(r["subject"], r["value"], r["source"], r["otherValue"], r["otherSource"]) for r in rows}
    assert ("Lugha-Llama-8B-wura", "Global MMLU", "slides", "IrokoBench", "external") in pairs
    assert ("Ant Group", "Ant Group", "slides", "Alibaba", "external") in pairs
    assert ("OpenGPT-X consortium", "OpenGPT-X consortium", "slides", "Fraunhofer IAIS", "external") in pairs
    # read in both directions: every pair is listed from each side
    assert {(r["claim"], r["otherClaim"]) for r in rows} == {(r["otherClaim"], r["claim"]) for r in rows}


def test_entities_without_identifier_are_exactly_the_unidentified_ones(real_atlas):
    listed = set(values(real_atlas.query("entities-without-identifier"), "entityIri"))
    everything = set(values(real_atlas.query(
        "SELECT ?e WHERE { VALUES ?c { atlas:Organization atlas:Project atlas:Model atlas:Dataset atlas:Benchmark atlas:Leaderboard "
        "atlas:SoftwareFramework } ?e a ?c }"), "e"))
    identified = set(values(real_atlas.query(
        "SELECT DISTINCT ?e WHERE { VALUES ?p { schema:url skos:exactMatch owl:sameAs atlas:huggingFaceId atlas:arxivId atlas:rorId "
        "atlas:sourceRepository } ?e ?p ?id }"), "e"))
    assert listed == everything - identified


def test_the_sample_by_type_is_the_study_s(real_atlas):
    result = real_atlas.query("sample-by-type")
    counts = {r["organizationTypeIri"].rsplit("/", 1)[1]: int(r["organizations"]) for r in records(result)}
    assert counts == {"non-profit-grassroots": 6, "public-research": 4, "sme": 2, "large-enterprise": 2}
    assert values(result, "organizationType")[:2] == ["non-profit or grassroots organisation", "public research institute or public body"]


def test_the_sample_has_fourteen_organisations_by_every_grouping(real_atlas):
    assert len(real_atlas.query("study-sample").rows) == 14
    assert sum(int(v) for v in values(real_atlas.query("sample-by-continent"), "organizations")) == 14
    by_governance = {r["governanceModelIri"].rsplit("/", 1)[1]: int(r["organizations"]) for r in records(real_atlas.query("sample-by-governance"))}
    assert by_governance == {"single-company": 4, "single-research-institute": 4, "multi-organisational-research-institute": 1,
                             "non-profit-sponsored-grassroots": 4, "company-sponsored-grassroots": 1}
    continents = {r["continent"]: int(r["organizations"]) for r in records(real_atlas.query("sample-by-continent"))}
    assert continents["South America"] == 0 and continents["Africa"] == 1


def test_collaboration_is_a_bazaar_after_release(real_atlas):
    rows = records(real_atlas.query("collaboration-by-stage"))
    assert [(r["stage"], r["collaborationStyle"]) for r in rows] == [
        ("pre-training", "cathedral"), ("post-training", "cathedral"), ("post-release", "bazaar")]
    stage = {r["stage"]: r for r in rows}
    for r in rows:
        assert int(r["collaborationsAndOnRamps"]) == int(r["collaborations"]) + int(r["onRamps"])
    assert int(stage["post-release"]["collaborationsAndOnRamps"]) > int(stage["post-training"]["collaborationsAndOnRamps"])
    # the brief's table of findings: 9 in pre-training, 3 in post-training, 10 post-release
    assert [int(r["onRamps"]) + int(r["challenges"]) for r in rows] == [9, 3, 10]


def test_findings_by_stage_are_the_brief_s_twenty_two(real_atlas):
    rows = records(real_atlas.query("findings-by-stage"))
    assert len(rows) == 22
    general = [r for r in rows if not r["organization"]]
    assert [(r["stage"], r["kind"]) for r in general] == [("post-training", "challenge")]
    assert all(r["source"] and r["locator"].startswith("slide") for r in rows)


def test_governance_model_ranks_and_engagement_are_flagged_inferred(real_atlas):
    rows = records(real_atlas.query("governance-models"))
    ranked = [r for r in rows if r["centralisationRank"]]
    assert [r["centralisationRank"] for r in ranked] == ["1", "2", "3", "4", "5"]
    assert {r["centralisationConfidence"] for r in ranked} == {"inferred"}
    assert {r["engagementConfidence"] for r in rows if r["communityEngagement"]} == {"inferred"}
    assert [r["inSample"] for r in rows] == ["true"] * 5 + ["false"]


def test_every_motivation_link_is_inferred(real_atlas):
    rows = records(real_atlas.query("motivations"))
    assert {r["linkConfidence"] for r in rows if r["project"]} == {"inferred"}
    assert {r["categoryConfidence"] for r in rows if r["motivation"]} == {"inferred"}


def test_common_crawl_is_the_most_used_established_dataset(real_atlas):
    rows = records(real_atlas.query("established-datasets"))
    top = rows[0]
    assert top["dataset"] == "Common Crawl" and int(top["projects"]) >= 5 and int(top["derivedDatasets"]) >= 5
    dependents = records(real_atlas.query("dependents"))
    # derivedList is transitive (FineWeb-Edu derives from FineWeb, which derives from Common Crawl)
    derived = {r["dependent"] for r in dependents if r["relation"] == "derived from" and r["kind"] == "Dataset"}
    assert set(top["derivedList"].split(", ")) == derived


def test_recommendations_show_where_the_graph_has_no_artifact(real_atlas):
    rows = records(real_atlas.query("recommendations-and-gaps"))
    for r in rows:
        assert (r["artifact"] == "") == (r["artifactsAddressingGap"] == "0")
    assert any(r["artifactsAddressingGap"] == "0" for r in rows)


def test_evidence_summary_agrees_with_claims_by_confidence(real_atlas):
    summary = {r["source"]: r for r in records(real_atlas.query("evidence-summary"))}
    by_confidence = {r["confidence"]: int(r["claims"]) for r in records(real_atlas.query("claims-by-confidence"))}
    total = summary["all sources"]
    assert {k: int(total[k]) for k in ("stated", "paraphrased", "inferred")} == by_confidence
    assert int(total["claims"]) == sum(by_confidence.values()) == len(real_atlas.query("evidence-audit").rows)
    assert set(summary) == {"paper-v1", "paper-v2", "slides", "blog", "external", "osai-index", "atlas", "all sources"}


def test_the_report_runs_every_study_query(real_atlas, tmp_path):
    report = real_atlas.report(tmp_path)
    names = [s.query.name for s in report.sections]
    assert STUDY_QUERIES <= set(names)
    text = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Query: `queries/collaboration-by-stage.rq`" in text


# -- parameters are values, never query text ----------------------------------------------------------

HOSTILE_IRIS = [
    'dataset:x"}>',
    "<https://w3id.org/llm-atlas/dataset/a> } ; DROP ALL ; {",
    "https://w3id.org/llm-atlas/dataset/common-crawl> } UNION { ?dependentIri ?link ?dependsOnIri } #",
    "dataset:common-crawl> . ?dependentIri ?link ?dependsOnIri . <x",
    '"dataset:common-crawl"',
    "dataset:a b",
    "dataset:x{",
    "",
]


@pytest.mark.parametrize("value", HOSTILE_IRIS)
def test_a_hostile_iri_parameter_is_refused_or_matches_nothing(value, mini_atlas):
    before = len(mini_atlas.store)
    try:
        result = mini_atlas.query("dependents", {"artifact": value})
    except UsageError:
        pass
    else:
        assert result.rows == []
    assert len(mini_atlas.store) == before


def test_a_valid_iri_that_names_nothing_matches_nothing(mini_atlas):
    with pytest.warns(UnknownTermWarning, match="dataset:no-such-dataset names nothing in the atlas"):
        assert mini_atlas.query("dependents", {"artifact": "dataset:no-such-dataset"}).rows == []
    assert mini_atlas.query("dependents", {"artifact": "https://example.org/x?a=1&b=%7D"}).rows == []


LABEL_QUERY = """\
#+ summary: Entities with a label
#+ question: Which entity has exactly this label?
#+ tags: test
#+ param: label string Beta The label to look for
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>

SELECT ?entity ?label
WHERE {
  ?entity rdfs:label ?text .
  FILTER (STR(?text) = ?label)
}
ORDER BY ?entity
"""


@pytest.mark.parametrize("value", ['" } UNION { ?s ?p ?o } #', "Beta\" || true || \"", "') } #", "Beta } ; DROP ALL ; {"])
def test_a_hostile_string_parameter_stays_a_literal(value, mini_atlas, tmp_path):
    path = tmp_path / "by-label.rq"
    path.write_text(LABEL_QUERY, encoding="utf-8")
    before = len(mini_atlas.store)
    result = mini_atlas.query(str(path), {"label": value})
    assert result.rows == []
    assert len(mini_atlas.store) == before
    # the same query finds what the label names
    good = mini_atlas.query(str(path), {"label": "Beta"})
    assert values(good, "entity") == ["https://w3id.org/llm-atlas/project/beta"]
    assert mini_atlas.query(str(path)).rows == good.rows


def test_an_integer_parameter_must_be_an_integer(mini_atlas, tmp_path):
    path = tmp_path / "limit.rq"
    path.write_text(LABEL_QUERY.replace("#+ param: label string Beta The label to look for", "#+ param: label integer 1 A number"), encoding="utf-8")
    with pytest.raises(UsageError):
        mini_atlas.query(str(path), {"label": "1 } UNION { ?s ?p ?o }"})


# -- broken saved queries are reported with path, line and rule ----------------------------------------

GOOD_HEADER = "#+ summary: x\n#+ question: y\n#+ tags: z\n"


def broken(tmp_path: Path, name: str, text: str) -> list:
    (tmp_path / "queries").mkdir(exist_ok=True)
    (tmp_path / "queries" / f"{name}.rq").write_text(text, encoding="utf-8")
    with pytest.raises(InvalidData) as error:
        load_saved_queries(tmp_path / "queries", tmp_path)
    return error.value.problems


def test_a_misspelt_header_key_is_reported_on_its_line(tmp_path):
    problems = broken(tmp_path, "misspelt", "#+ summary: x\n#+ question: y\n#+ tags: z\n#+ summry: x\nSELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n")
    assert [(p.path, p.line, p.rule) for p in problems] == [("queries/misspelt.rq", 4, "query-header")]
    assert "summry" in problems[0].message


def test_a_missing_question_is_reported(tmp_path):
    problems = broken(tmp_path, "no-question", "#+ summary: x\n#+ tags: z\nSELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s\n")
    assert [(p.path, p.rule) for p in problems] == [("queries/no-question.rq", "query-header")]
    assert problems[0].line >= 1 and "question" in problems[0].message


def test_a_bad_parameter_line_is_reported(tmp_path):
    problems = broken(tmp_path, "bad-param", GOOD_HEADER + "#+ param: artifact url dataset:x The artefact\nSELECT ?artifact WHERE { ?artifact ?p ?o } ORDER BY ?artifact\n")
    assert [(p.path, p.line, p.rule) for p in problems] == [("queries/bad-param.rq", 4, "query-header")]


def test_a_sparql_syntax_error_is_reported_with_its_line(tmp_path):
    text = GOOD_HEADER + 'SELECT ?s\nWHERE {\n  ?s <https://schema.org/name> "unterminated\n}\nORDER BY ?s\n'
    problems = broken(tmp_path, "syntax", text)
    assert [(p.path, p.line, p.rule) for p in problems] == [("queries/syntax.rq", 6, "query-syntax")]
    # oxigraph reports the furthest point its parser reached, which may lie after the faulty token,
    # but always inside the file
    problems = broken(tmp_path, "syntax", GOOD_HEADER + "SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTER (?s = = ?o)\n}\nORDER BY ?s\n")
    assert [(p.path, p.rule) for p in problems] == [("queries/syntax.rq", "query-syntax")]
    assert 4 <= problems[0].line <= 8
