"""The network job: collaboration graph, project-artefact graph, analysis, GraphML / GEXF export, drawings."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest
from networkx.algorithms import bipartite

from llm_atlas import Atlas
from llm_atlas import network, network_drawing
from llm_atlas.namespaces import PREFIXES

from .conftest import ROOT, check_golden

GOLDENS = Path(__file__).resolve().parent / "goldens" / "network"

ORG = PREFIXES["organization"]
PROJECT = PREFIXES["project"]
COLLAB = PREFIXES["collaboration"]
ALPHA, BETA = ORG + "alpha-lab", ORG + "beta-corp"
GAMMA, DELTA, EPSILON = ORG + "gamma-institute", ORG + "delta-centre", ORG + "epsilon-foundation"
ADAPTS = COLLAB + "alpha-adapts-beta"
M = "https://w3id.org/llm-atlas/"


def iri(curie: str) -> str:
    prefix, local = curie.split(":", 1)
    return PREFIXES[prefix] + local


# -- fixtures ----------------------------------------------------------------------------------------------

# Extra entities laid over the mini graph so that the network has a path, a parallel edge, an inferred
# collaboration, an isolated organisation and an artefact shared by two projects:
#
#   Beta Corp ==(2)== Alpha Lab --(inferred)-- Gamma Institute --- Delta Centre      Epsilon Foundation
#
EXTRA = {
    "organization/gamma-institute.ttl": """
organization:gamma-institute a atlas:Organization ;
    rdfs:label "Gamma Institute"@en ;
    dcterms:description "A fictional public research institute for tests."@en ;
    atlas:inSample true ;
    atlas:organizationType orgtype:public-research ;
    atlas:continent continent:europe ;
    atlas:source source:slides .

<https://w3id.org/llm-atlas/organization/gamma-institute#organizationtype-public-research> a atlas:StatementClaim ;
    rdf:subject organization:gamma-institute ; rdf:predicate atlas:organizationType ; rdf:object orgtype:public-research ;
    atlas:source source:slides ; atlas:locator "slide 11" ; atlas:confidence confidence:stated .

<https://w3id.org/llm-atlas/organization/gamma-institute#continent-europe> a atlas:StatementClaim ;
    rdf:subject organization:gamma-institute ; rdf:predicate atlas:continent ; rdf:object continent:europe ;
    atlas:source source:slides ; atlas:locator "slide 11" ; atlas:confidence confidence:stated .
""",
    "organization/delta-centre.ttl": """
organization:delta-centre a atlas:Organization ;
    rdfs:label "Delta Centre"@en ;
    dcterms:description "A fictional computing centre outside the sample, for tests."@en ;
    atlas:inSample false ;
    atlas:source source:slides .
""",
    "organization/epsilon-foundation.ttl": """
organization:epsilon-foundation a atlas:Organization ;
    rdfs:label "Epsilon Foundation"@en ;
    dcterms:description "A fictional foundation with no collaboration, for tests."@en ;
    atlas:inSample false ;
    atlas:source source:slides .
""",
    "project/gamma.ttl": """
project:gamma a atlas:Project ;
    rdfs:label "Gamma"@en ;
    dcterms:description "A fictional research institute project for tests."@en ;
    atlas:inSample true ;
    atlas:ledBy organization:gamma-institute ;
    atlas:governanceModel governance:single-research-institute ;
    atlas:uses dataset:web-crawl, framework:trainer ;
    atlas:source source:slides .

<https://w3id.org/llm-atlas/project/gamma#ledby-gamma-institute> a atlas:StatementClaim ;
    rdf:subject project:gamma ; rdf:predicate atlas:ledBy ; rdf:object organization:gamma-institute ;
    atlas:source source:slides ; atlas:locator "slide 11" ; atlas:confidence confidence:stated .

<https://w3id.org/llm-atlas/project/gamma#governancemodel-single-research-institute> a atlas:StatementClaim ;
    rdf:subject project:gamma ; rdf:predicate atlas:governanceModel ; rdf:object governance:single-research-institute ;
    atlas:source source:slides ; atlas:locator "slide 14" ; atlas:confidence confidence:stated .

<https://w3id.org/llm-atlas/project/gamma#uses-web-crawl> a atlas:StatementClaim ;
    rdf:subject project:gamma ; rdf:predicate atlas:uses ; rdf:object dataset:web-crawl ;
    atlas:source source:slides ; atlas:locator "slide 21" ; atlas:confidence confidence:stated .

<https://w3id.org/llm-atlas/project/gamma#uses-trainer> a atlas:StatementClaim ;
    rdf:subject project:gamma ; rdf:predicate atlas:uses ; rdf:object framework:trainer ;
    atlas:source source:slides ; atlas:locator "slide 21" ; atlas:confidence confidence:stated .
""",
    "collaboration/alpha-beta-web-crawl.ttl": """
collaboration:alpha-beta-web-crawl a atlas:Collaboration ;
    rdfs:label "Alpha Lab and Beta Corp share crawl know-how"@en ;
    dcterms:description "Fixture collaboration: a second link between the same two organisations."@en ;
    atlas:participant organization:alpha-lab, organization:beta-corp ;
    atlas:collaborationKind collabkind:knowledge-sharing ;
    atlas:lifecycleStage stage:pre-training ;
    atlas:onArtifact dataset:web-crawl ;
    atlas:source source:slides ;
    atlas:locator "slide 21" ;
    atlas:confidence confidence:paraphrased .
""",
    "collaboration/alpha-gamma-survey.ttl": """
collaboration:alpha-gamma-survey a atlas:Collaboration ;
    rdfs:label "Gamma Institute answers the Alpha survey"@en ;
    dcterms:description "Fixture collaboration: an inferred one."@en ;
    atlas:participant organization:alpha-lab, organization:gamma-institute ;
    atlas:collaborationKind collabkind:knowledge-sharing ;
    atlas:lifecycleStage stage:post-release ;
    atlas:onArtifact knowledge:alpha-survey ;
    atlas:source source:slides ;
    atlas:locator "slide 25" ;
    atlas:confidence confidence:inferred ;
    rdfs:comment "Fixture: an inferred collaboration."@en .
""",
    "collaboration/gamma-delta-compute.ttl": """
collaboration:gamma-delta-compute a atlas:Collaboration ;
    rdfs:label "Delta Centre gives Gamma compute"@en ;
    dcterms:description "Fixture collaboration: a formal partnership."@en ;
    atlas:participant organization:gamma-institute, organization:delta-centre ;
    atlas:collaborationKind collabkind:formal-partnership ;
    atlas:lifecycleStage stage:pre-training ;
    atlas:onArtifact compute:big-machine ;
    atlas:source source:slides ;
    atlas:locator "slide 21" ;
    atlas:confidence confidence:stated .
""",
}


def with_prefixes(body: str) -> str:
    used = sorted(set(re.findall(r"\b([a-z][a-z0-9]*):[A-Za-z]", body)) & set(PREFIXES))
    return "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in used) + body


@pytest.fixture
def mini_atlas(mini, tmp_path):
    atlas = Atlas.open(mini, tmp_path / "store")
    yield atlas
    atlas.close()


@pytest.fixture
def extended_atlas(mini, tmp_path):
    for rel, body in EXTRA.items():
        (mini / "graph" / rel).write_text(with_prefixes(body), encoding="utf-8")
    atlas = Atlas.open(mini, tmp_path / "store")
    yield atlas
    atlas.close()


@pytest.fixture(scope="module")
def real_atlas(tmp_path_factory):
    atlas = Atlas.open(ROOT, tmp_path_factory.mktemp("real") / "store")
    yield atlas
    atlas.close()


# -- the collaboration graph -------------------------------------------------------------------------------

ALPHA_NODE = {
    "label": "Alpha Lab",
    "in_sample": True,
    "organization_type": "non-profit-grassroots",
    "organization_type_label": "non-profit or grassroots organisation",
    "continent": "europe",
    "continent_label": "Europe",
    "governance_models": ["non-profit-sponsored-grassroots"],
    "governance_model_labels": ["non-profit-sponsored grassroots project"],
    "governance_family": "grassroots-projects",
    "governance_family_label": "grassroots projects",
    "projects_led": [PROJECT + "alpha"],
    "projects_led_labels": ["Alpha"],
}
BETA_NODE = {
    "label": "Beta Corp",
    "in_sample": True,
    "organization_type": "large-enterprise",
    "organization_type_label": "large enterprise (Big Tech)",
    "continent": "asia",
    "continent_label": "Asia",
    "governance_models": ["single-company"],
    "governance_model_labels": ["single-company project"],
    "governance_family": "company-projects",
    "governance_family_label": "company projects",
    "projects_led": [PROJECT + "beta"],
    "projects_led_labels": ["Beta"],
}
ADAPTS_EDGE = {
    "collaboration": ADAPTS,
    "label": "Alpha-7B derived from Beta Base",
    "kind": "derivation",
    "kind_label": "derivation",
    "stage": "post-release",
    "stage_label": "post-release",
    "confidence": "stated",
    "artifacts": [M + "model/alpha-7b", M + "model/beta-base"],
    "artifact_labels": ["Alpha-7B", "Beta Base"],
    "sources": ["slides"],
    "locator": "slide 25",
}


def test_collaboration_graph_of_the_mini_fixture(mini_atlas):
    graph = network.collaboration_graph(mini_atlas.store)
    assert isinstance(graph, nx.MultiGraph)
    assert graph.graph["kind"] == "collaboration"
    assert dict(graph.nodes(data=True)) == {ALPHA: ALPHA_NODE, BETA: BETA_NODE}
    assert list(graph.edges(keys=True, data=True)) == [(ALPHA, BETA, ADAPTS, ADAPTS_EDGE)]


def test_collaboration_graph_accepts_an_atlas_and_rejects_anything_else(mini_atlas):
    assert set(network.collaboration_graph(mini_atlas).nodes) == {ALPHA, BETA}
    with pytest.raises(TypeError, match="pyoxigraph Store or an Atlas"):
        network.collaboration_graph("graph/")


def test_parallel_collaborations_stay_separate_edges_and_aggregate_to_weights(extended_atlas):
    graph = network.collaboration_graph(extended_atlas.store)
    assert sorted(graph.nodes) == sorted([ALPHA, BETA, DELTA, EPSILON, GAMMA])
    assert sorted((*sorted((u, v)), k) for u, v, k in graph.edges(keys=True)) == [
        (ALPHA, BETA, COLLAB + "alpha-adapts-beta"),
        (ALPHA, BETA, COLLAB + "alpha-beta-web-crawl"),
        (ALPHA, GAMMA, COLLAB + "alpha-gamma-survey"),
        (DELTA, GAMMA, COLLAB + "gamma-delta-compute"),
    ]
    assert graph.edges[ALPHA, GAMMA, COLLAB + "alpha-gamma-survey"]["confidence"] == "inferred"
    assert graph.edges[DELTA, GAMMA, COLLAB + "gamma-delta-compute"]["kind"] == "formal-partnership"
    # an organisation outside the sample: no type, continent or project
    assert graph.nodes[DELTA] == {
        "label": "Delta Centre", "in_sample": False, "organization_type": None, "organization_type_label": None,
        "continent": None, "continent_label": None, "governance_models": [], "governance_model_labels": [],
        "governance_family": None, "governance_family_label": None, "projects_led": [], "projects_led_labels": [],
    }
    assert graph.nodes[GAMMA]["governance_family"] == "research-institute-projects"
    assert graph.degree(EPSILON) == 0

    simple = network.aggregate(graph)
    assert isinstance(simple, nx.Graph) and not simple.is_multigraph()
    assert sorted((*sorted((u, v)), d["weight"], tuple(d["kinds"])) for u, v, d in simple.edges(data=True)) == [
        (ALPHA, BETA, 2, ("derivation", "knowledge-sharing")),
        (ALPHA, GAMMA, 1, ("knowledge-sharing",)),
        (DELTA, GAMMA, 1, ("formal-partnership",)),
    ]


def test_inferred_collaborations_can_be_left_out(extended_atlas):
    graph = network.collaboration_graph(extended_atlas.store, include_inferred=False)
    assert COLLAB + "alpha-gamma-survey" not in {k for *_, k in graph.edges(keys=True)}
    assert set(graph.nodes) == {ALPHA, BETA, DELTA, EPSILON, GAMMA}  # the nodes stay
    assert nx.number_connected_components(graph) == 3


# -- the project-artefact graph ----------------------------------------------------------------------------


def test_project_artifact_graph_of_the_mini_fixture(mini_atlas):
    graph = network.project_artifact_graph(mini_atlas.store)
    assert graph.graph["kind"] == "project-artifact"
    assert dict(graph.nodes(data=True)) == {
        PROJECT + "alpha": {
            "label": "Alpha", "bipartite": 0, "kind": "project", "kind_label": "Project", "in_sample": True,
            "governance_model": "non-profit-sponsored-grassroots",
            "governance_model_label": "non-profit-sponsored grassroots project",
            "governance_family": "grassroots-projects", "led_by": [ALPHA], "led_by_labels": ["Alpha Lab"],
        },
        PROJECT + "beta": {
            "label": "Beta", "bipartite": 0, "kind": "project", "kind_label": "Project", "in_sample": True,
            "governance_model": "single-company", "governance_model_label": "single-company project",
            "governance_family": "company-projects", "led_by": [BETA], "led_by_labels": ["Beta Corp"],
        },
        M + "benchmark/alpha-bench": {"label": "AlphaBench", "bipartite": 1, "kind": "benchmark", "kind_label": "Benchmark"},
        M + "dataset/alpha-corpus": {"label": "Alpha Corpus", "bipartite": 1, "kind": "dataset", "kind_label": "Dataset"},
        M + "dataset/web-crawl": {"label": "Web Crawl", "bipartite": 1, "kind": "dataset", "kind_label": "Dataset"},
        M + "model/alpha-7b": {"label": "Alpha-7B", "bipartite": 1, "kind": "model", "kind_label": "Model"},
        M + "model/beta-base": {"label": "Beta Base", "bipartite": 1, "kind": "model", "kind_label": "Model"},
    }
    assert sorted((u, v, d["relation"], tuple(d["relations"])) for u, v, d in graph.edges(data=True)) == [
        (PROJECT + "alpha", M + "benchmark/alpha-bench", "builds", ("builds",)),
        (PROJECT + "alpha", M + "dataset/alpha-corpus", "builds", ("builds",)),
        (PROJECT + "alpha", M + "dataset/web-crawl", "uses", ("uses",)),
        (PROJECT + "alpha", M + "model/alpha-7b", "releases", ("releases",)),
        (PROJECT + "beta", M + "model/beta-base", "releases", ("releases",)),
    ]
    assert bipartite.is_bipartite(graph)
    projects = {n for n, d in graph.nodes(data=True) if d["bipartite"] == 0}
    assert bipartite.is_bipartite_node_set(graph, projects)
    projection = network.artifact_projection(graph)
    assert set(projection.nodes) == projects and projection.number_of_edges() == 0


def test_projects_sharing_an_artefact_are_linked_with_a_weight(extended_atlas):
    graph = network.project_artifact_graph(extended_atlas.store)
    assert graph.nodes[M + "framework/trainer"]["kind"] == "framework"
    assert graph.nodes[M + "framework/trainer"]["kind_label"] == "Software framework"
    projection = network.artifact_projection(graph)
    assert sorted(projection.nodes) == [PROJECT + "alpha", PROJECT + "beta", PROJECT + "gamma"]
    assert [(u, v, d) for u, v, d in projection.edges(data=True)] == [
        (PROJECT + "alpha", PROJECT + "gamma",
         {"weight": 1, "artifacts": [M + "dataset/web-crawl"], "artifact_labels": ["Web Crawl"]}),
    ]


# -- analysis ----------------------------------------------------------------------------------------------


def test_centralities_components_and_communities_match_hand_computed_values(extended_atlas):
    report = network.network_report(extended_atlas.store)
    # the path Beta - Alpha - Gamma - Delta plus isolated Epsilon: n = 5 organisations.
    # degree centrality = partners / (n - 1); betweenness normalised by (n - 1)(n - 2) / 2 = 6 pairs:
    # Alpha lies on Beta-Gamma and Beta-Delta, Gamma on Alpha-Delta and Beta-Delta.
    table = [(o.label, o.partners, o.collaborations, o.degree_centrality, o.betweenness_centrality) for o in report.organisations]
    assert table == [
        ("Alpha Lab", 2, 3, 0.5, pytest.approx(2 / 6)),
        ("Gamma Institute", 2, 2, 0.5, pytest.approx(2 / 6)),
        ("Beta Corp", 1, 2, 0.25, 0.0),
        ("Delta Centre", 1, 1, 0.25, 0.0),
        ("Epsilon Foundation", 0, 0, 0.0, 0.0),
    ]
    assert report.components == [["Alpha Lab", "Beta Corp", "Delta Centre", "Gamma Institute"], ["Epsilon Foundation"]]
    assert report.communities == [["Alpha Lab", "Beta Corp"], ["Delta Centre", "Gamma Institute"]]
    assert [o.label for o in report.isolated] == ["Epsilon Foundation"]
    assert (report.collaborations, report.inferred_collaborations, report.pairs) == (4, 1, 3)
    assert report.kinds == {"knowledge sharing": 2, "derivation": 1, "formal partnership": 1}
    top = report.shared_artifacts[0]
    assert (top.label, top.kind, top.projects, top.collaborations) == (
        "Web Crawl", "dataset", ("Alpha", "Gamma"), ("Alpha Lab and Beta Corp share crawl know-how",))
    assert [(p.projects, p.weight, p.artifacts) for p in report.project_links] == [(("Alpha", "Gamma"), 1, ("Web Crawl",))]


def test_ties_are_broken_by_label_not_by_node_key():
    graph = nx.MultiGraph(kind="collaboration")
    for key, label in (("a", "Zulu"), ("b", "Mike"), ("c", "Alpha"), ("d", "Kilo")):
        graph.add_node(key, label=label, in_sample=True)
    graph.add_edge("a", "b", key="x", kind="derivation")
    graph.add_edge("c", "d", key="y", kind="derivation")
    report = network.analyse(graph)
    assert [o.label for o in report.organisations] == ["Alpha", "Kilo", "Mike", "Zulu"]
    assert report.components == [["Alpha", "Kilo"], ["Mike", "Zulu"]]


def test_analysis_of_the_mini_fixture(mini_atlas):
    report = network.network_report(mini_atlas.store)
    assert [(o.label, o.degree_centrality, o.betweenness_centrality) for o in report.organisations] == [
        ("Alpha Lab", 1.0, 0.0), ("Beta Corp", 1.0, 0.0)]
    assert report.components == [["Alpha Lab", "Beta Corp"]]
    data = report.to_dict()
    assert data["organisations"] == 2 and data["collaborations"] == 1
    assert data["centrality"][0]["label"] == "Alpha Lab"
    assert data["shared_artifacts"][0]["label"] == "Alpha-7B"


def test_markdown_of_the_mini_fixture_matches_the_golden(mini_atlas, update_goldens):
    check_golden(GOLDENS / "mini.md", network.network_report(mini_atlas.store).to_markdown(), update_goldens)


def test_markdown_of_the_extended_fixture_matches_the_golden(extended_atlas, update_goldens):
    check_golden(GOLDENS / "extended.md", network.network_report(extended_atlas.store).to_markdown(level=3), update_goldens)


# -- export ------------------------------------------------------------------------------------------------


def edge_set(graph: nx.Graph) -> set:
    if graph.is_multigraph():
        return {(frozenset((u, v)), str(k)) for u, v, k in graph.edges(keys=True)}
    return {frozenset((u, v)) for u, v in graph.edges}


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_export_round_trips_nodes_edges_and_attributes(extended_atlas, tmp_path, suffix):
    graphs = {
        "collaboration": network.collaboration_graph(extended_atlas.store),
        "project-artifact": network.project_artifact_graph(extended_atlas.store),
    }
    for name, graph in graphs.items():
        path = network.export(graph, tmp_path / f"{name}{suffix}")
        if suffix == ".graphml":
            back = nx.read_graphml(path, force_multigraph=graph.is_multigraph())
        else:
            back = nx.read_gexf(path)
        assert set(back.nodes) == set(graph.nodes)
        assert edge_set(back) == edge_set(graph)
        for node, data in graph.nodes(data=True):
            assert back.nodes[node]["label"] == data["label"]
        first = sorted(graph.nodes)[0]
        expected = network.serialisable(graph).nodes[first]
        assert {k: back.nodes[first][k] for k in expected} == expected
        # same graph, same bytes
        again = network.export(graph, tmp_path / f"again{suffix}")
        assert again.read_bytes() == path.read_bytes()
    path = tmp_path / f"collaboration{suffix}"
    collab = nx.read_graphml(path, force_multigraph=True) if suffix == ".graphml" else nx.read_gexf(path)
    edge = collab.edges[GAMMA, ALPHA, COLLAB + "alpha-gamma-survey"]
    assert edge["artifacts"] == M + "knowledge/alpha-survey" and edge["confidence"] == "inferred"
    assert collab.nodes[ALPHA]["in_sample"] is True


def test_lists_become_strings_and_missing_values_are_dropped(mini_atlas):
    graph = network.collaboration_graph(mini_atlas.store)
    clean = network.serialisable(graph)
    edge = clean.edges[ALPHA, BETA, ADAPTS]
    assert edge["artifacts"] == M + "model/alpha-7b; " + M + "model/beta-base"
    graph.nodes[ALPHA]["continent"] = None
    assert "continent" not in network.serialisable(graph).nodes[ALPHA]
    for _, data in clean.nodes(data=True):
        assert all(isinstance(v, (str, bool, int, float)) for v in data.values())


def test_export_refuses_an_unknown_format(mini_atlas, tmp_path):
    with pytest.raises(ValueError, match="use graphml or gexf"):
        network.export(network.collaboration_graph(mini_atlas.store), tmp_path / "graph.json")


# -- drawing -----------------------------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(path: Path) -> list[str]:
    tree = ET.parse(path)  # well-formed XML, or this raises
    return ["".join(t.itertext()) for t in tree.iter(SVG + "text")]


def test_collaboration_drawing_is_written_readable_and_deterministic(extended_atlas, tmp_path):
    graph = network.collaboration_graph(extended_atlas.store)
    png = network_drawing.draw(graph, tmp_path / "collaboration.png")
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n") and png.stat().st_size > 10_000
    svg = network_drawing.draw(graph, tmp_path / "collaboration.svg")
    texts = svg_texts(svg)
    for label in ("Alpha Lab", "Beta Corp", "Gamma Institute", "Delta Centre", "Epsilon Foundation"):
        assert label in texts
    # the legends: organisation types, governance shapes, collaboration kinds and confidence
    for entry in ("Organisation type (bold: in sample)", "non-profit or grassroots organisation", "company projects",
                  "leads no project in the atlas", "Line: collaboration kind", "derivation", "formal partnership",
                  "inferred by the atlas"):
        assert entry in texts, entry
    assert any(t.startswith("Collaboration network") for t in texts)
    again = network_drawing.draw(graph, tmp_path / "again.svg")
    assert again.read_bytes() == svg.read_bytes()
    assert network_drawing.draw(graph, tmp_path / "again.png").read_bytes() == png.read_bytes()


def test_project_artifact_drawing(mini_atlas, tmp_path):
    graph = network.project_artifact_graph(mini_atlas.store)
    svg = network_drawing.draw(graph, tmp_path / "projects.svg", title="Projects and artefacts")
    texts = svg_texts(svg)
    assert "Projects and artefacts" in texts
    for label in ("Alpha", "Beta", "Alpha Corpus", "Web Crawl", "releases", "builds", "uses", "Artefact kind"):
        assert label in texts, label
    assert network_drawing.draw(graph, tmp_path / "again.svg", title="Projects and artefacts").read_bytes() == svg.read_bytes()
    assert network_drawing.draw(graph, tmp_path / "projects.png").stat().st_size > 10_000
    with pytest.raises(ValueError, match="use png or svg"):
        network_drawing.draw(graph, tmp_path / "projects.pdf")


def test_write_network_outputs(mini_atlas, tmp_path):
    out = tmp_path / "network"
    paths = network.write_network_outputs(mini_atlas.store, out)
    assert [p.name for p in paths] == [
        "collaboration.graphml", "collaboration.gexf", "collaboration.png", "collaboration.svg",
        "project-artifact.graphml", "project-artifact.gexf", "project-artifact.png", "project-artifact.svg",
        "network.md",
    ]
    assert all(p.parent == out and p.stat().st_size > 0 for p in paths)
    assert (out / "network.md").read_text(encoding="utf-8").startswith("# Collaboration network\n")


# -- the real graph ----------------------------------------------------------------------------------------


def test_real_graph_has_every_sampled_organisation(real_atlas):
    sampled = {row[0].value for row in real_atlas.query(
        "SELECT ?o WHERE { ?o a atlas:Organization ; atlas:inSample true }").rows}
    assert len(sampled) == 14
    graph = network.collaboration_graph(real_atlas.store)
    assert sampled <= set(graph.nodes)
    assert {n for n, d in graph.nodes(data=True) if d["in_sample"]} == sampled
    for node in sampled:  # the shapes require a type and a continent in the sample
        assert graph.nodes[node]["organization_type"] and graph.nodes[node]["continent"], node
    # isolated organisations are nodes too (the study's sample has organisations with no recorded collaboration)
    assert any(graph.degree(n) == 0 for n in sampled)
    assert graph.number_of_edges() > 0
    collaborations = {row[0].value for row in real_atlas.query("SELECT ?c WHERE { ?c a atlas:Collaboration }").rows}
    assert {k for *_, k in graph.edges(keys=True)} == collaborations


def test_real_graph_analysis(real_atlas):
    report = network.network_report(real_atlas.store)
    assert len(report.components) >= 1 and len(report.components[0]) > 2
    top3 = [o.label for o in report.organisations[:3]]
    assert "Hugging Face" in top3, top3
    by_betweenness = sorted(report.organisations, key=lambda o: -o.betweenness_centrality)
    assert "Hugging Face" in [o.label for o in by_betweenness[:3]]
    # the Hub is the platform several projects publish through
    hub = next(a for a in report.shared_artifacts if a.iri == M + "platform/hugging-face-hub")
    assert len(hub.projects) >= 2
    assert report.shared_artifacts[0].projects and len(report.shared_artifacts[0].projects) >= len(hub.projects)
    markdown = report.to_markdown()
    assert "| 1 | Hugging Face |" in markdown or "Hugging Face" in markdown.split("### Connected components")[0]
