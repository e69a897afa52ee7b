"""Network job: the collaboration network of organisations and the project-artefact graph.

Everything is read from the built store with SPARQL (over the union of the file graphs, shared prefixes
predeclared) and turned into networkx graphs, an analysis (:class:`NetworkReport`) and GraphML / GEXF files
for Gephi. The drawings (PNG, SVG) are :mod:`llm_atlas.network_drawing`'s, which alone loads matplotlib.

>>> from llm_atlas import Atlas
>>> from llm_atlas import network
>>> atlas = Atlas.open()                                                    # doctest: +SKIP
>>> graph = network.collaboration_graph(atlas.store)                        # doctest: +SKIP
>>> print(network.network_report(atlas.store).to_markdown())                # doctest: +SKIP
>>> network.write_network_outputs(atlas.store, "report/network")            # doctest: +SKIP

Why a MultiGraph for collaborations: two organisations can be linked by several collaborations of
different kinds and stages (Hugging Face and BigScience: an orchestration, a compute partnership and a
derivation). One edge per collaboration and pair of participants keeps each claim's kind, stage,
confidence and artefacts intact for export and drawing; :func:`aggregate` folds the parallel edges into a
weighted simple graph (weight = number of collaborations) for centrality and community detection.
"""

from __future__ import annotations

import io
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
from networkx.algorithms import bipartite

from .markdown import md_escape
from .outputs import check_out_dir, write_files
from .namespaces import BASE, KIND_OF_CLASS, ONTOLOGY, PREFIXES, RDFS_LABEL, XSD_BOOLEAN

ATLAS = ONTOLOGY

COLLABORATION = "collaboration"
PROJECT_ARTIFACT = "project-artifact"
RELATIONS = ("releases", "builds", "uses")  # precedence when a project has several links to one artefact
LIST_SEPARATOR = "; "

GOVERNANCE_ORDER = (
    "single-company", "multi-company", "single-research-institute", "multi-organisational-research-institute",
    "company-sponsored-grassroots", "non-profit-sponsored-grassroots",
)


# -- reading the store ---------------------------------------------------------------------------------


def _as_store(source: Any) -> ox.Store:
    """A pyoxigraph Store from a Store or from anything with a ``.store`` (an :class:`~llm_atlas.Atlas`)."""
    if isinstance(source, ox.Store):
        return source
    store = getattr(source, "store", None)
    if isinstance(store, ox.Store):
        return store
    raise TypeError(f"expected a pyoxigraph Store or an Atlas, got {type(source).__name__}")


def _select(store: ox.Store, text: str) -> list[dict[str, Any]]:
    """SELECT over the union of the file graphs; rows as {variable: term or None}."""
    answer = store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True)
    variables = [v.value for v in answer.variables]
    return [{name: solution[name] for name in variables} for solution in answer]


def _value(term: Any) -> Any:
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        if term.datatype.value == XSD_BOOLEAN:
            return term.value in ("true", "1")
        return term.value
    return term.value


class _Vocabulary:
    """Labels and notations of every IRI in the store, chosen deterministically."""

    def __init__(self, store: ox.Store):
        labels: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for row in _select(store, "SELECT ?s ?p ?l WHERE { VALUES ?p { rdfs:label skos:prefLabel } ?s ?p ?l . FILTER(isIRI(?s)) }"):
            literal = row["l"]
            rank = 0 if literal.language == "en" else 1 if literal.language is None else 2
            rank = rank * 2 + (0 if row["p"].value == RDFS_LABEL else 1)
            labels[row["s"].value].append((rank, literal.value))
        self.labels = {iri: min(found)[1] for iri, found in labels.items()}
        notations: dict[str, list[str]] = defaultdict(list)
        for row in _select(store, "SELECT ?s ?n WHERE { ?s skos:notation ?n }"):
            notations[row["s"].value].append(row["n"].value)
        self.notations = {iri: min(found) for iri, found in notations.items()}
        self.broader = {}
        for row in _select(store, "SELECT ?s ?b WHERE { ?s skos:broader ?b . FILTER(isIRI(?s) && isIRI(?b)) }"):
            self.broader.setdefault(row["s"].value, set()).add(row["b"].value)
        types: dict[str, set[str]] = defaultdict(set)
        for row in _select(store, "SELECT ?s ?t WHERE { ?s a ?t . FILTER(isIRI(?s) && isIRI(?t)) }"):
            types[row["s"].value].add(row["t"].value)
        self.types = dict(types)

    def label(self, iri: str | None) -> str | None:
        if iri is None:
            return None
        return self.labels.get(iri) or _local_name(iri)

    def notation(self, iri: str | None) -> str | None:
        if iri is None:
            return None
        return self.notations.get(iri) or _local_name(iri)

    def kind(self, iri: str) -> str:
        """The entity kind (folder name: model, dataset, ...) from the asserted class, else from the IRI."""
        kinds = sorted(KIND_OF_CLASS[t] for t in self.types.get(iri, ()) if t in KIND_OF_CLASS)
        if kinds:
            return kinds[0]
        return _kind_from_iri(iri)


def _local_name(iri: str) -> str:
    return re.split(r"[/#]", iri.rstrip("/#"))[-1]


def _sorted_unique(values) -> list:
    return sorted(set(v for v in values if v is not None))


# -- the collaboration graph ---------------------------------------------------------------------------


def collaboration_graph(store: Any, *, include_inferred: bool = True) -> nx.MultiGraph:
    """Organisations linked by ``atlas:Collaboration``: one edge per collaboration and pair of participants.

    Every ``atlas:Organization`` is a node, isolated ones included (node key: the organisation IRI), except
    organisations an import created that take part in no collaboration.
    Node attributes: ``label``, ``in_sample`` (bool), ``organization_type`` / ``organization_type_label``
    (notation and label, None when not recorded), ``continent`` / ``continent_label``,
    ``governance_models`` / ``governance_model_labels`` (of the projects the organisation leads, sorted),
    ``governance_family`` / ``governance_family_label`` (the family of those models, preferring the
    projects in the study's sample; None when it leads no project), ``projects_led`` / ``projects_led_labels``.
    Edge key: the collaboration IRI. Edge attributes: ``collaboration`` (IRI), ``label``, ``kind`` /
    ``kind_label``, ``stage`` / ``stage_label``, ``confidence`` (notation), ``artifacts`` /
    ``artifact_labels`` (sorted by IRI), ``sources`` (notations) and ``locator``.
    With ``include_inferred=False`` the collaborations the atlas inferred (confidence inferred) are left out.
    """
    store = _as_store(store)
    vocab = _Vocabulary(store)
    graph = nx.MultiGraph(name="LLM Atlas collaboration network", kind=COLLABORATION)

    facts: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for row in _select(store, """
        SELECT ?org ?p ?o WHERE {
          ?org a atlas:Organization .
          # organisations created by an import (atlas:importedFrom) are not part of the study's map:
          # they take part in no collaboration and would bury it under isolated nodes
          FILTER NOT EXISTS { ?org atlas:importedFrom ?dataset . FILTER NOT EXISTS { ?anyCollaboration atlas:participant ?org } }
          OPTIONAL { VALUES ?p { atlas:inSample atlas:organizationType atlas:continent } ?org ?p ?o }
        }"""):
        entry = facts[row["org"].value]
        if row["p"] is not None:
            entry[row["p"].value.removeprefix(ATLAS)].add(_value(row["o"]))

    led: dict[str, dict[str, dict]] = defaultdict(dict)
    for row in _select(store, """
        SELECT ?org ?project ?gov ?inSample WHERE {
          ?project a atlas:Project ; atlas:ledBy ?org .
          OPTIONAL { ?project atlas:governanceModel ?gov }
          OPTIONAL { ?project atlas:inSample ?inSample }
        }"""):
        project = led[row["org"].value].setdefault(row["project"].value, {"governance": set(), "in_sample": False})
        if row["gov"] is not None:
            project["governance"].add(row["gov"].value)
        project["in_sample"] = project["in_sample"] or bool(_value(row["inSample"]))

    collaborations: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for row in _select(store, """
        SELECT ?c ?p ?o WHERE {
          ?c a atlas:Collaboration .
          VALUES ?p { atlas:participant atlas:collaborationKind atlas:lifecycleStage atlas:confidence
                      atlas:onArtifact atlas:source atlas:locator }
          ?c ?p ?o .
        }"""):
        collaborations[row["c"].value][row["p"].value.removeprefix(ATLAS)].add(_value(row["o"]))

    participants = {p for c in collaborations.values() for p in c["participant"]}
    for org in sorted(set(facts) | participants):
        graph.add_node(org, **_organisation_attributes(org, facts.get(org, {}), led.get(org, {}), vocab))

    for iri in sorted(collaborations):
        claim = collaborations[iri]
        confidence = vocab.notation(min(claim["confidence"])) if claim["confidence"] else None
        if not include_inferred and confidence == "inferred":
            continue
        kind = min(claim["collaborationKind"]) if claim["collaborationKind"] else None
        stage = min(claim["lifecycleStage"]) if claim["lifecycleStage"] else None
        artifacts = sorted(claim["onArtifact"])
        attributes = {
            "collaboration": iri,
            "label": vocab.label(iri),
            "kind": vocab.notation(kind),
            "kind_label": vocab.label(kind),
            "stage": vocab.notation(stage),
            "stage_label": vocab.label(stage),
            "confidence": confidence,
            "artifacts": artifacts,
            "artifact_labels": [vocab.label(a) for a in artifacts],
            "sources": sorted(vocab.notation(s) for s in claim["source"]),
            "locator": min(claim["locator"]) if claim["locator"] else None,
        }
        members = sorted(claim["participant"])
        for i, u in enumerate(members):
            for v in members[i + 1:]:
                graph.add_edge(u, v, key=iri, **attributes)
    return graph


def _organisation_attributes(org: str, facts: dict[str, set], led: dict[str, dict], vocab: _Vocabulary) -> dict:
    org_type = min(facts.get("organizationType") or [None], key=lambda x: x or "")
    continent = min(facts.get("continent") or [None], key=lambda x: x or "")
    governance = _sorted_unique(g for p in led.values() for g in p["governance"])
    governance.sort(key=lambda g: (_governance_rank(vocab.notation(g)), g))
    projects = sorted(led, key=lambda p: (vocab.label(p), p))
    family = _primary_family(led, vocab)
    return {
        "label": vocab.label(org),
        "in_sample": any(bool(x) for x in facts.get("inSample", ())),
        "organization_type": vocab.notation(org_type),
        "organization_type_label": vocab.label(org_type),
        "continent": vocab.notation(continent),
        "continent_label": vocab.label(continent),
        "governance_models": [vocab.notation(g) for g in governance],
        "governance_model_labels": [vocab.label(g) for g in governance],
        "governance_family": vocab.notation(family),
        "governance_family_label": vocab.label(family),
        "projects_led": projects,
        "projects_led_labels": [vocab.label(p) for p in projects],
    }


def _governance_rank(notation: str | None) -> int:
    return GOVERNANCE_ORDER.index(notation) if notation in GOVERNANCE_ORDER else len(GOVERNANCE_ORDER)


def _primary_family(led: dict[str, dict], vocab: _Vocabulary) -> str | None:
    """The governance family of the projects an organisation leads: in-sample projects first, then by order."""
    candidates = []
    for project in led.values():
        for model in project["governance"]:
            for family in vocab.broader.get(model, ()) or (model,):
                candidates.append((0 if project["in_sample"] else 1, _governance_rank(vocab.notation(model)), family))
    return min(candidates)[2] if candidates else None


def aggregate(graph: nx.MultiGraph) -> nx.Graph:
    """The weighted simple graph of a collaboration MultiGraph: one edge per pair of organisations.

    Edge attributes: ``weight`` (number of collaborations), ``collaborations`` (IRIs), ``kinds`` (sorted
    distinct kind notations). Node attributes are copied.
    """
    simple = nx.Graph(**graph.graph)
    for node in sorted(graph.nodes):
        simple.add_node(node, **graph.nodes[node])
    for u, v, key, data in sorted(graph.edges(keys=True, data=True), key=lambda e: (*sorted(e[:2]), e[2])):
        a, b = sorted((u, v))
        if simple.has_edge(a, b):
            edge = simple.edges[a, b]
            edge["weight"] += 1
            edge["collaborations"].append(key)
            edge["kinds"] = sorted(set(edge["kinds"]) | {data.get("kind")} - {None})
        else:
            simple.add_edge(a, b, weight=1, collaborations=[key], kinds=sorted({data.get("kind")} - {None}))
    return simple


# -- the project-artefact graph ------------------------------------------------------------------------


def project_artifact_graph(store: Any, *, in_sample_only: bool = False) -> nx.Graph:
    """Bipartite graph of projects (``bipartite=0``) and the artefacts they release, build or use (``bipartite=1``).

    Every ``atlas:Project`` is a node (only those of the study's sample with ``in_sample_only``); artefacts
    appear when one of those projects links to them directly. Project attributes:
    ``label``, ``kind`` ("project"), ``in_sample``, ``governance_model`` / ``governance_model_label``,
    ``governance_family``, ``led_by`` / ``led_by_labels``. Artefact attributes: ``label``, ``kind`` (model,
    dataset, benchmark, ...: the folder of its file), ``kind_label`` (the class label). Edge attributes:
    ``relation`` (releases, builds or uses; the first of these when there are several) and ``relations``.
    """
    store = _as_store(store)
    vocab = _Vocabulary(store)
    graph = nx.Graph(name="LLM Atlas projects and artefacts", kind=PROJECT_ARTIFACT)

    projects: dict[str, dict[str, set]] = defaultdict(lambda: defaultdict(set))
    for row in _select(store, """
        SELECT ?project ?p ?o WHERE {
          ?project a atlas:Project .
          OPTIONAL { VALUES ?p { atlas:inSample atlas:governanceModel atlas:ledBy atlas:releases atlas:builds atlas:uses }
                     ?project ?p ?o }
        }"""):
        if row["p"] is not None:
            projects[row["project"].value][row["p"].value.removeprefix(ATLAS)].add(_value(row["o"]))
        else:
            projects.setdefault(row["project"].value, defaultdict(set))  # a project with none of these properties

    if in_sample_only:
        projects = {p: facts for p, facts in projects.items() if any(bool(x) for x in facts.get("inSample", ()))}
    graph.graph["projects"] = "the study's projects" if in_sample_only else "all projects"
    links: dict[tuple[str, str], set[str]] = defaultdict(set)
    for project, facts in projects.items():
        for relation in RELATIONS:
            for artifact in facts.get(relation, ()):
                links[project, artifact].add(relation)

    for project in sorted(projects):
        facts = projects[project]
        gov = min(facts["governanceModel"]) if facts.get("governanceModel") else None
        leads = sorted(facts.get("ledBy", ()))
        family = None
        if gov is not None:
            family = min(vocab.broader.get(gov, ()) or (gov,))
        graph.add_node(project, **{
            "label": vocab.label(project),
            "bipartite": 0,
            "kind": "project",
            "kind_label": vocab.label(ATLAS + "Project"),
            "in_sample": any(bool(x) for x in facts.get("inSample", ())),
            "governance_model": vocab.notation(gov),
            "governance_model_label": vocab.label(gov),
            "governance_family": vocab.notation(family),
            "led_by": leads,
            "led_by_labels": [vocab.label(o) for o in leads],
        })
    for artifact in sorted({a for _, a in links}):
        kind = vocab.kind(artifact)
        cls = next((c for c, k in KIND_OF_CLASS.items() if k == kind), None)
        graph.add_node(artifact, label=vocab.label(artifact), bipartite=1, kind=kind, kind_label=vocab.label(cls) if cls else kind)
    for (project, artifact) in sorted(links):
        relations = sorted(links[project, artifact], key=RELATIONS.index)
        graph.add_edge(project, artifact, relation=relations[0], relations=relations)
    return graph


def artifact_projection(graph: nx.Graph) -> nx.Graph:
    """Projects linked by the artefacts they share (networkx bipartite weighted projection).

    Edge attributes: ``weight`` (number of shared artefacts), ``artifacts`` / ``artifact_labels`` (sorted).
    All projects are nodes, unlinked ones included.
    """
    projects = sorted(n for n, d in graph.nodes(data=True) if d.get("bipartite") == 0)
    projected = bipartite.weighted_projected_graph(graph, projects)
    result = nx.Graph(name="LLM Atlas projects linked by shared artefacts", kind="project-projection")
    for node in projects:
        result.add_node(node, **graph.nodes[node])
    for u, v in sorted(tuple(sorted(e)) for e in projected.edges):
        shared = sorted(set(graph[u]) & set(graph[v]))
        result.add_edge(u, v, weight=projected.edges[u, v]["weight"], artifacts=shared,
                        artifact_labels=[graph.nodes[a].get("label", a) for a in shared])
    return result


# -- analysis --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrganisationCentrality:
    iri: str
    label: str
    in_sample: bool
    organization_type: str | None
    governance: tuple[str, ...]          # labels of the governance models of the projects it leads
    partners: int                        # distinct organisations it collaborates with (degree)
    collaborations: int                  # collaborations it takes part in
    degree_centrality: float
    betweenness_centrality: float
    component: int                       # index into NetworkReport.components (1-based)
    community: int | None                # index into NetworkReport.communities (1-based), None if isolated


@dataclass(frozen=True)
class SharedArtifact:
    iri: str
    label: str
    kind: str
    projects: tuple[str, ...]            # labels of the projects that release, build or use it
    collaborations: tuple[str, ...]      # labels of the collaborations on it


@dataclass(frozen=True)
class ProjectLink:
    projects: tuple[str, str]            # labels
    iris: tuple[str, str]
    weight: int
    artifacts: tuple[str, ...]           # labels


@dataclass
class NetworkReport:
    """The analysis of the collaboration network and of the project-artefact graph."""

    organisations: list[OrganisationCentrality]        # by degree, then betweenness, then label (then IRI)
    components: list[list[str]]                        # labels; by size, then first label; singletons included
    communities: list[list[str]]                       # greedy modularity over organisations with partners
    shared_artifacts: list[SharedArtifact]             # by projects, collaborations, then label
    project_links: list[ProjectLink]                   # by weight, then labels
    collaborations: int = 0
    inferred_collaborations: int = 0
    pairs: int = 0
    kinds: dict[str, int] = field(default_factory=dict)  # kind label -> collaborations
    top_artifacts: int = 10
    projects_scope: str = "all projects"  # which projects the artefact counts count

    @property
    def in_sample(self) -> int:
        return sum(1 for o in self.organisations if o.in_sample)

    @property
    def isolated(self) -> list[OrganisationCentrality]:
        return sorted((o for o in self.organisations if o.partners == 0), key=lambda o: o.label)

    def most_central(self, n: int = 3) -> list[OrganisationCentrality]:
        return self.organisations[:n]

    def to_dict(self) -> dict:
        return {
            "organisations": len(self.organisations),
            "organisations_in_sample": self.in_sample,
            "collaborations": self.collaborations,
            "inferred_collaborations": self.inferred_collaborations,
            "pairs": self.pairs,
            "kinds": dict(self.kinds),
            "centrality": [asdict(o) | {"governance": list(o.governance)} for o in self.organisations],
            "components": [list(c) for c in self.components],
            "communities": [list(c) for c in self.communities],
            "shared_artifacts": [asdict(a) | {"projects": list(a.projects), "collaborations": list(a.collaborations)}
                                 for a in self.shared_artifacts],
            "project_links": [{"projects": list(p.projects), "iris": list(p.iris), "weight": p.weight,
                               "artifacts": list(p.artifacts)} for p in self.project_links],
        }

    def to_markdown(self, level: int = 2) -> str:
        """The analysis as Markdown, headings starting at ``level`` (2: ``##``)."""
        h = "#" * level
        hh = "#" * (level + 1)
        lines = [f"{h} Collaboration network", ""]
        inferred = ""
        if self.inferred_collaborations:
            verb = "is an inference" if self.inferred_collaborations == 1 else "are inferences"
            inferred = (f" {self.inferred_collaborations} of the {self.collaborations} collaborations {verb} of the "
                        "atlas, not statements of the study (confidence inferred; see the saved query `inferred-claims`).")
        kinds = "; ".join(f"{k} {n}" for k, n in self.kinds.items())
        lines.append(
            f"{_n(len(self.organisations), 'organisation')} ({self.in_sample} in the study's sample); "
            f"{_n(self.collaborations, 'collaboration')} linking {_n(self.pairs, 'pair')} of organisations"
            + (f" (by kind: {kinds})." if kinds else ".") + inferred
        )
        lines += ["", f"{hh} Most central organisations", "",
                  "Degree centrality: share of the other organisations an organisation collaborates with; "
                  "betweenness: share of shortest paths between other organisations that pass through it "
                  "(both over the distinct pairs, normalised by the number of organisations).", ""]
        lines += ["| # | organisation | type | governance of the projects it leads | partners | collaborations | degree | betweenness |",
                  "|---:|---|---|---|---:|---:|---:|---:|"]
        connected = [o for o in self.organisations if o.partners]
        for rank, o in enumerate(connected, start=1):
            sample = "" if o.in_sample else " (not in sample)"
            lines.append(f"| {rank} | {_md(o.label)}{sample} | {_md(o.organization_type or '–')} | "
                         f"{_md('; '.join(o.governance) or '–')} | {o.partners} | {o.collaborations} | "
                         f"{o.degree_centrality:.3f} | {o.betweenness_centrality:.3f} |")
        if not connected:
            lines.append("| – | no collaboration recorded | | | | | | |")
        isolated = self.isolated
        if isolated:
            names = ", ".join(_md(o.label) + ("" if o.in_sample else "*") for o in isolated)
            lines += ["", f"No collaboration recorded ({len(isolated)}): {names}."
                      + (" (* not in the study's sample)" if any(not o.in_sample for o in isolated) else "")]
        lines += ["", f"{hh} Connected components", ""]
        groups = [c for c in self.components if len(c) > 1]
        lines.append(f"{_n(len(self.components), 'component')}: {len(groups)} with collaborations, "
                     f"{_n(len(self.components) - len(groups), 'single organisation')}.")
        if groups:
            lines += ["", "| # | organisations | members |", "|---:|---:|---|"]
            lines += [f"| {i} | {len(c)} | {_md(', '.join(c))} |" for i, c in enumerate(groups, start=1)]
        lines += ["", f"{hh} Communities", "",
                  "Greedy modularity maximisation (networkx, deterministic), edges weighted by the number of "
                  "collaborations; organisations without partners are left out.", ""]
        if self.communities:
            lines += ["| # | organisations | members |", "|---:|---:|---|"]
            lines += [f"| {i} | {len(c)} | {_md(', '.join(c))} |" for i, c in enumerate(self.communities, start=1)]
        else:
            lines.append("No communities: no collaboration recorded.")
        lines += ["", f"{hh} Artefacts shared by most projects", "",
                  f"How it counts: {self.projects_scope} that release, build or use the artefact directly (a dataset "
                  "used only through a derived dataset or a base model does not count here: the saved query "
                  "established-datasets counts those), and the collaborations on the artefact "
                  f"(top {self.top_artifacts}).", ""]
        if self.shared_artifacts:
            lines += ["| artefact | kind | projects | collaborations | project names |", "|---|---|---:|---:|---|"]
            for a in self.shared_artifacts:
                lines.append(f"| {_md(a.label)} | {a.kind} | {len(a.projects)} | {len(a.collaborations)} | "
                             f"{_md(', '.join(a.projects) or '–')} |")
        else:
            lines.append("No artefacts linked to projects.")
        lines += ["", f"{hh} Projects linked by shared artefacts", ""]
        if self.project_links:
            lines += ["| project | project | shared artefacts | weight |", "|---|---|---|---:|"]
            for p in self.project_links:
                lines.append(f"| {_md(p.projects[0])} | {_md(p.projects[1])} | {_md(', '.join(p.artifacts))} | {p.weight} |")
        else:
            lines.append("No two projects share an artefact.")
        return "\n".join(lines) + "\n"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def _md(text: str) -> str:
    return md_escape(text)


def _round(x: float) -> float:
    return round(x, 9)


def analyse(collaboration: nx.MultiGraph, project_artifacts: nx.Graph | None = None, *, top_artifacts: int = 10) -> NetworkReport:
    """Centralities, components, communities and shared artefacts.

    ``collaboration`` is the graph of :func:`collaboration_graph` (a MultiGraph or its :func:`aggregate`);
    ``project_artifacts`` the graph of :func:`project_artifact_graph` (optional: without it the artefacts are
    those the collaborations work on). Everything is sorted with ties broken by label, then IRI.
    """
    simple = aggregate(collaboration) if collaboration.is_multigraph() else collaboration
    label = {n: simple.nodes[n].get("label") or n for n in simple.nodes}

    def by_label(nodes) -> list[str]:
        return sorted(nodes, key=lambda n: (label[n], n))

    degree = nx.degree_centrality(simple) if len(simple) > 1 else {n: 0.0 for n in simple}
    betweenness = nx.betweenness_centrality(simple, normalized=True)

    components = sorted((by_label(c) for c in nx.connected_components(simple)), key=lambda c: (-len(c), label[c[0]], c[0]))
    component_of = {n: i for i, c in enumerate(components, start=1) for n in c}
    linked = simple.subgraph(n for n in simple if simple.degree(n) > 0)
    ordered = nx.Graph()
    ordered.add_nodes_from(by_label(linked.nodes))
    ordered.add_weighted_edges_from(sorted((*sorted((u, v)), d.get("weight", 1)) for u, v, d in linked.edges(data=True)))
    communities = []
    if ordered.number_of_edges():
        found = nx.community.greedy_modularity_communities(ordered, weight="weight")
        communities = sorted((by_label(c) for c in found), key=lambda c: (-len(c), label[c[0]], c[0]))
    community_of = {n: i for i, c in enumerate(communities, start=1) for n in c}

    collab_count: dict[str, set[str]] = defaultdict(set)
    kinds: dict[str, set[str]] = defaultdict(set)
    inferred: set[str] = set()
    on_artifact: dict[str, set[str]] = defaultdict(set)
    collab_labels: dict[str, str] = {}
    artifact_labels: dict[str, str] = {}
    if collaboration.is_multigraph():
        for u, v, key, data in collaboration.edges(keys=True, data=True):
            collab_count[u].add(key)
            collab_count[v].add(key)
            kinds[data.get("kind_label") or data.get("kind") or "unknown"].add(key)
            collab_labels[key] = data.get("label") or key
            if data.get("confidence") == "inferred":
                inferred.add(key)
            for iri, name in zip(data.get("artifacts", ()), data.get("artifact_labels", ())):
                on_artifact[iri].add(key)
                artifact_labels[iri] = name
    else:
        for u, v, data in collaboration.edges(data=True):
            for key in data.get("collaborations", ()):
                collab_count[u].add(key)
                collab_count[v].add(key)

    organisations = []
    for n in simple.nodes:
        d = simple.nodes[n]
        organisations.append(OrganisationCentrality(
            iri=n, label=label[n], in_sample=bool(d.get("in_sample")),
            organization_type=d.get("organization_type_label"),
            governance=tuple(d.get("governance_model_labels") or ()),
            partners=simple.degree(n), collaborations=len(collab_count[n]),
            degree_centrality=_round(degree[n]), betweenness_centrality=_round(betweenness[n]),
            component=component_of[n], community=community_of.get(n),
        ))
    organisations.sort(key=lambda o: (-o.degree_centrality, -o.betweenness_centrality, o.label, o.iri))

    shared: list[SharedArtifact] = []
    links: list[ProjectLink] = []
    users: dict[str, list[str]] = defaultdict(list)
    kind_of: dict[str, str] = {}
    if project_artifacts is not None:
        for node, d in project_artifacts.nodes(data=True):
            if d.get("bipartite") == 1:
                artifact_labels[node] = d.get("label") or node
                kind_of[node] = d.get("kind", "")
                users[node] = sorted((project_artifacts.nodes[p].get("label") or p for p in project_artifacts[node]))
        projection = artifact_projection(project_artifacts)
        for u, v, d in projection.edges(data=True):
            a, b = sorted((u, v), key=lambda n: (projection.nodes[n].get("label") or n, n))
            links.append(ProjectLink(
                projects=(projection.nodes[a].get("label") or a, projection.nodes[b].get("label") or b),
                iris=(a, b), weight=int(d["weight"]), artifacts=tuple(d["artifact_labels"])))
        links.sort(key=lambda p: (-p.weight, p.projects, p.iris))
    for iri in set(users) | set(on_artifact):
        shared.append(SharedArtifact(
            iri=iri, label=artifact_labels.get(iri, _local_name(iri)), kind=kind_of.get(iri) or _kind_from_iri(iri),
            projects=tuple(users.get(iri, ())),
            collaborations=tuple(sorted(collab_labels[c] for c in on_artifact.get(iri, ())))))
    shared.sort(key=lambda a: (-len(a.projects), -len(a.collaborations), a.label, a.iri))
    shared = [a for a in shared if len(a.projects) + len(a.collaborations) > 0][:top_artifacts]

    kind_counts = {k: len(v) for k, v in sorted(kinds.items(), key=lambda kv: (-len(kv[1]), kv[0]))}
    all_collabs = set().union(*collab_count.values()) if collab_count else set()
    return NetworkReport(
        organisations=organisations,
        components=[[label[n] for n in c] for c in components],
        communities=[[label[n] for n in c] for c in communities],
        shared_artifacts=shared, project_links=links,
        collaborations=len(all_collabs), inferred_collaborations=len(inferred), pairs=simple.number_of_edges(),
        kinds=kind_counts, top_artifacts=top_artifacts,
        projects_scope=(project_artifacts.graph.get("projects", "all projects") if project_artifacts is not None else "all projects"),
    )


def _kind_from_iri(iri: str) -> str:
    match = re.match(re.escape(BASE) + r"([a-z]+)/", iri)
    return match.group(1) if match else "unknown"


def network_report(store: Any, *, include_inferred: bool = True, in_sample_only: bool = False) -> NetworkReport:
    """:func:`analyse` of the store's collaboration network and project-artefact graph."""
    store = _as_store(store)
    return analyse(collaboration_graph(store, include_inferred=include_inferred), project_artifact_graph(store, in_sample_only=in_sample_only))


# -- export ----------------------------------------------------------------------------------------------


def _flat(value: Any) -> Any:
    if isinstance(value, (list, tuple, set, frozenset)):
        items = list(value) if isinstance(value, (list, tuple)) else sorted(value)
        return LIST_SEPARATOR.join(str(v) for v in items)
    if isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _flat_attributes(data: dict) -> dict:
    return {k: _flat(v) for k, v in sorted(data.items()) if v is not None}


def serialisable(graph: nx.Graph) -> nx.Graph:
    """A copy with lists joined by ``"; "``, None values dropped, nodes and edges sorted (undirected
    endpoints ordered), so that writers produce the same bytes for the same graph."""
    result = graph.__class__()
    result.graph.update(_flat_attributes(graph.graph))
    for node in sorted(graph.nodes, key=str):
        result.add_node(node, **_flat_attributes(graph.nodes[node]))
    if graph.is_multigraph():
        edges = [(*_ends(graph, u, v), k, d) for u, v, k, d in graph.edges(keys=True, data=True)]
        for u, v, k, d in sorted(edges, key=lambda e: (str(e[0]), str(e[1]), str(e[2]))):
            result.add_edge(u, v, key=k, **_flat_attributes(d))
    else:
        edges = [(*_ends(graph, u, v), d) for u, v, d in graph.edges(data=True)]
        for u, v, d in sorted(edges, key=lambda e: (str(e[0]), str(e[1]))):
            result.add_edge(u, v, **_flat_attributes(d))
    return result


def _ends(graph: nx.Graph, u, v) -> tuple:
    return (u, v) if graph.is_directed() else tuple(sorted((u, v), key=str))


def graph_bytes(graph: nx.Graph, fmt: str) -> bytes:
    """``graph`` as GraphML (``graphml``) or GEXF (``gexf``, for Gephi): the same graph gives the same bytes."""
    clean = serialisable(graph)
    buffer = io.BytesIO()
    if fmt == "graphml":
        nx.write_graphml(clean, buffer, encoding="utf-8", prettyprint=True)
        return buffer.getvalue()
    if fmt == "gexf":
        nx.write_gexf(clean, buffer, encoding="utf-8", prettyprint=True)
        # the writer stamps today's date; drop it so the same graph gives the same bytes
        return re.sub(rb' lastmodifieddate="[^"]*"', b"", buffer.getvalue())
    raise ValueError(f"cannot export a graph as {fmt}: use graphml or gexf")


def export(graph: nx.Graph, path: str | Path) -> Path:
    """Write ``graph`` as GraphML (``.graphml``) or GEXF (``.gexf``)."""
    path = Path(path)
    data = graph_bytes(graph, path.suffix.lower().lstrip("."))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- everything at once ----------------------------------------------------------------------------------


NETWORK_FILES = (
    "collaboration.graphml", "collaboration.gexf", "collaboration.png", "collaboration.svg",
    "project-artifact.graphml", "project-artifact.gexf", "project-artifact.png", "project-artifact.svg", "network.md",
)


def network_files(store: Any, *, include_inferred: bool = True, in_sample_only: bool = False) -> tuple[dict[str, bytes], NetworkReport]:
    """The files of :data:`NETWORK_FILES` (name -> bytes) and the analysis, nothing written."""
    # drawing loads matplotlib: imported here, so that the graphs and their analysis never need it
    from .network_drawing import drawings

    store = _as_store(store)
    collaboration = collaboration_graph(store, include_inferred=include_inferred)
    projects = project_artifact_graph(store, in_sample_only=in_sample_only)
    files: dict[str, bytes] = {}
    for name, graph in (("collaboration", collaboration), ("project-artifact", projects)):
        files[f"{name}.graphml"] = graph_bytes(graph, "graphml")
        files[f"{name}.gexf"] = graph_bytes(graph, "gexf")
        drawn = drawings(graph, ("png", "svg"))
        files[f"{name}.png"], files[f"{name}.svg"] = drawn["png"], drawn["svg"]
    report = analyse(collaboration, projects)
    files["network.md"] = report.to_markdown(level=1).encode("utf-8")
    return files, report


def write_network_outputs(store: Any, out_dir: str | Path, *, include_inferred: bool = True, analysis: list | None = None) -> list[Path]:
    """Write the graphs (GraphML, GEXF), their drawings (PNG, SVG) and ``network.md`` into the folder ``out_dir``.

    All files or none (an unusable folder is a UsageError, checked before the work). Returns the paths in
    the order of :data:`NETWORK_FILES`; if ``analysis`` is a list, the :class:`NetworkReport` is appended.
    """
    out = check_out_dir(out_dir, "the network")
    files, report = network_files(store, include_inferred=include_inferred)
    if analysis is not None:
        analysis.append(report)
    return write_files(out, files)


__all__ = [
    "collaboration_graph", "aggregate", "project_artifact_graph", "artifact_projection", "analyse", "network_report",
    "NetworkReport", "OrganisationCentrality", "SharedArtifact", "ProjectLink", "serialisable", "graph_bytes", "export",
    "network_files", "write_network_outputs", "NETWORK_FILES",
]
