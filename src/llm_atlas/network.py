"""Network job: the collaboration network of organisations and the project-artefact graph.

Everything is read from the built store with SPARQL (over the union of the file graphs, shared prefixes
predeclared) and turned into networkx graphs, an analysis (:class:`NetworkReport`), GraphML / GEXF files
for Gephi and drawings (PNG, SVG). No network access; drawing uses matplotlib's Agg canvas directly (the
object API, never pyplot), so importing this module changes no global matplotlib state.

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
import math
import re
import textwrap
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import networkx as nx
import pyoxigraph as ox
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from networkx.algorithms import bipartite

from .namespaces import BASE, KIND_OF_CLASS, ONTOLOGY, PREFIXES, RDFS_LABEL, XSD_BOOLEAN

ATLAS = ONTOLOGY

COLLABORATION = "collaboration"
PROJECT_ARTIFACT = "project-artifact"
RELATIONS = ("releases", "builds", "uses")  # precedence when a project has several links to one artefact
LIST_SEPARATOR = "; "

# Colours: Okabe-Ito / ColorBrewer tones that stay apart for colour-blind readers; edges darker than nodes.
ORGTYPE_COLOURS = {
    "non-profit-grassroots": "#66c2a5",
    "public-research": "#8da0cb",
    "sme": "#fc8d62",
    "large-enterprise": "#e78ac3",
}
NO_TYPE_COLOUR = "#e0e0e0"
KIND_COLOURS = {
    "formal-partnership": "#0b4f8a",
    "knowledge-sharing": "#1b9e77",
    "derivation": "#d95f02",
    "adaptation": "#7b3294",
}
FAMILY_MARKERS = {
    "company-projects": "s",
    "research-institute-projects": "^",
    "grassroots-projects": "o",
}
NO_FAMILY_MARKER = "D"
RELATION_STYLES = {  # colour, line style
    "releases": ("#d95f02", "-"),
    "builds": ("#0b4f8a", "-"),
    "uses": ("#1b9e77", (0, (4, 2))),
}
ARTIFACT_COLOURS = {
    "model": "#fdb462",
    "dataset": "#80b1d3",
    "benchmark": "#b3de69",
    "leaderboard": "#ccebc5",
    "framework": "#bebada",
    "compute": "#fb8072",
    "partnership": "#fccde5",
    "knowledge": "#ffffb3",
    "platform": "#8dd3c7",
}
FALLBACK_COLOURS = ("#bc80bd", "#d9d9d9", "#ffed6f", "#a6cee3", "#b2df8a")
GOVERNANCE_ORDER = (
    "single-company", "multi-company", "single-research-institute", "multi-organisational-research-institute",
    "company-sponsored-grassroots", "non-profit-sponsored-grassroots",
)

SVG_RC = {"svg.hashsalt": "llm-atlas", "svg.id": "llm-atlas-network", "svg.fonttype": "none", "font.family": "DejaVu Sans"}


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


def project_artifact_graph(store: Any) -> nx.Graph:
    """Bipartite graph of projects (``bipartite=0``) and the artefacts they release, build or use (``bipartite=1``).

    Every ``atlas:Project`` is a node; artefacts appear when some project links to them. Project attributes:
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
                  "Projects that release, build or use the artefact, and the collaborations on it "
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
    return text.replace("|", "\\|").replace("\n", " ")


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
    )


def _kind_from_iri(iri: str) -> str:
    match = re.match(re.escape(BASE) + r"([a-z]+)/", iri)
    return match.group(1) if match else "unknown"


def network_report(store: Any, *, include_inferred: bool = True) -> NetworkReport:
    """:func:`analyse` of the store's collaboration network and project-artefact graph."""
    store = _as_store(store)
    return analyse(collaboration_graph(store, include_inferred=include_inferred), project_artifact_graph(store))


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


def export(graph: nx.Graph, path: str | Path) -> Path:
    """Write ``graph`` as GraphML (``.graphml``) or GEXF (``.gexf``, for Gephi), deterministically."""
    path = Path(path)
    suffix = path.suffix.lower()
    clean = serialisable(graph)
    buffer = io.BytesIO()
    if suffix == ".graphml":
        nx.write_graphml(clean, buffer, encoding="utf-8", prettyprint=True)
        data = buffer.getvalue()
    elif suffix == ".gexf":
        nx.write_gexf(clean, buffer, encoding="utf-8", prettyprint=True)
        # the writer stamps today's date; drop it so the same graph gives the same bytes
        data = re.sub(rb' lastmodifieddate="[^"]*"', b"", buffer.getvalue())
    else:
        raise ValueError(f"cannot export a graph to {path.name}: use .graphml or .gexf")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- drawing ---------------------------------------------------------------------------------------------


def draw(graph: nx.Graph, path: str | Path, *, title: str | None = None) -> Path:
    """Draw a collaboration graph or a project-artefact graph to ``.png`` or ``.svg`` (same input, same bytes)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise ValueError(f"cannot draw to {path.name}: use .png or .svg")
    kind = graph.graph.get("kind")
    if kind is None:
        kind = PROJECT_ARTIFACT if any("bipartite" in d for _, d in graph.nodes(data=True)) else COLLABORATION
    with rc_context(SVG_RC):
        if kind == PROJECT_ARTIFACT:
            figure = _draw_project_artifact(graph, title)
        else:
            figure = _draw_collaboration(graph, title)
        FigureCanvasAgg(figure)
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        if suffix == ".svg":
            figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
        else:
            figure.savefig(buffer, format="png", dpi=150, metadata={"Software": None})
    path.write_bytes(buffer.getvalue())
    return path


def _colour(mapping: dict[str, str], key: str | None, default: str) -> str:
    if key is None:
        return default
    if key in mapping:
        return mapping[key]
    return FALLBACK_COLOURS[sum(map(ord, key)) % len(FALLBACK_COLOURS)]


def _wrap(text: str, width: int = 20) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _collaboration_layout(simple: nx.Graph) -> tuple[dict, list[str], tuple[float, float]]:
    """Positions in a [0, W] x [0, H] canvas: the largest component on the left, smaller components in a
    column on the right, organisations without collaborations in a grid along the bottom.
    Returns positions, the isolated nodes and the (W, H) of the canvas."""
    label = {n: simple.nodes[n].get("label") or n for n in simple}
    components = sorted((sorted(c, key=lambda n: (label[n], n)) for c in nx.connected_components(simple)),
                        key=lambda c: (-len(c), label[c[0]], c[0]))
    groups = [c for c in components if len(c) > 1]
    isolated = sorted((c[0] for c in components if len(c) == 1), key=lambda n: (label[n], n))
    pos: dict = {}
    columns = 6
    rows = math.ceil(len(isolated) / columns) if isolated else 0
    bottom = 1.25 * rows + (0.7 if rows else 0)
    width = 10.0
    height = bottom + (7.0 if groups else 0)

    def place(component: list[str], x0: float, y0: float, w: float, h: float) -> None:
        sub = nx.Graph()
        sub.add_nodes_from(component)
        sub.add_edges_from(sorted(tuple(sorted(e)) for e in simple.subgraph(component).edges))
        if len(component) == 2:
            layout = {component[0]: (-1.0, 0.0), component[1]: (1.0, 0.0)}
        else:
            layout = nx.spring_layout(sub, seed=11, k=2.2 / math.sqrt(len(component)), iterations=500)
        xs = [p[0] for p in layout.values()]
        ys = [p[1] for p in layout.values()]
        span_x = (max(xs) - min(xs)) or 1.0
        span_y = (max(ys) - min(ys)) or 1.0
        for n, (x, y) in layout.items():
            pos[n] = (x0 + (x - min(xs)) / span_x * w if max(xs) > min(xs) else x0 + w / 2,
                      y0 + (y - min(ys)) / span_y * h if max(ys) > min(ys) else y0 + h / 2)

    if groups:
        main, rest = groups[0], groups[1:]
        right = 2.6 if rest else 0.0
        place(main, 0.6, bottom + 0.6, width - right - 1.6, 7.0 - 1.3)
        if rest:
            slot = (7.0 - 0.6) / len(rest)
            for i, component in enumerate(rest):
                top = height - 0.6 - i * slot
                place(component, width - right + 0.3, top - slot + 0.35, right - 0.5, max(slot - 1.0, 0.0))
    for i, n in enumerate(isolated):
        row, col = divmod(i, columns)
        pos[n] = (0.6 + col * (width - 1.2) / max(columns - 1, 1), bottom - 0.75 - row * 1.25)
    return pos, isolated, (width, height)


def _draw_collaboration(graph: nx.Graph, title: str | None) -> Figure:
    simple = aggregate(graph) if graph.is_multigraph() else graph
    pos, isolated, (width, height) = _collaboration_layout(simple)
    figure = Figure(figsize=(15, 10.5))
    ax = figure.add_axes((0.01, 0.04, 0.74, 0.86))
    ax.set_xlim(-0.2, width + 0.2)
    ax.set_ylim(-0.3, height + 0.1)
    ax.set_axis_off()

    n_orgs = graph.number_of_nodes()
    n_sample = sum(1 for _, d in graph.nodes(data=True) if d.get("in_sample"))
    collabs = {k for *_, k in graph.edges(keys=True)} if graph.is_multigraph() else set()
    figure.text(0.01, 0.965, title or "Collaboration network of open LLM organisations", fontsize=18, fontweight="bold", va="top")
    figure.text(0.01, 0.928,
                f"LLM Atlas: {n_orgs} organisations ({n_sample} in the study's sample), {len(collabs)} collaborations "
                f"(atlas:Collaboration), one line per collaboration and pair of participants. "
                f"Node size: number of partners.", fontsize=10.5, color="#444444", va="top")

    if isolated:
        ys = [pos[n][1] for n in isolated]
        box = FancyBboxPatch((0.05, min(ys) - 0.95), width - 0.1, max(ys) - min(ys) + 1.65,
                             boxstyle="round,pad=0.02,rounding_size=0.15", fc="#f7f7f7", ec="#cccccc", lw=0.8, zorder=0)
        ax.add_patch(box)
        ax.text(0.2, max(ys) + 0.6, "No collaboration recorded in the atlas", fontsize=10, color="#666666",
                va="top", style="italic")

    # edges: parallel collaborations of one pair fan out as arcs
    pairs: dict[tuple, list[tuple[str, dict]]] = defaultdict(list)
    if graph.is_multigraph():
        for u, v, k, d in graph.edges(keys=True, data=True):
            pairs[tuple(sorted((u, v)))].append((k, d))
    else:
        for u, v, d in graph.edges(data=True):
            pairs[tuple(sorted((u, v)))].append((str(d.get("collaborations", "")), d))
    curves = []
    for (u, v), edges in sorted(pairs.items()):
        edges.sort(key=lambda e: (e[1].get("kind") or "", e[0]))
        count = len(edges)
        for i, (key, d) in enumerate(edges):
            rad = 0.0 if count == 1 else (i - (count - 1) / 2) * 0.28
            kind = d.get("kind") or (d.get("kinds") or [None])[0]
            style = (0, (5, 3)) if d.get("confidence") == "inferred" else "-"
            ax.add_patch(FancyArrowPatch(pos[u], pos[v], connectionstyle=f"arc3,rad={rad}", arrowstyle="-",
                                         color=_colour(KIND_COLOURS, kind, "#777777"), lw=2.2, linestyle=style,
                                         alpha=0.9, shrinkA=9, shrinkB=9, zorder=1))
            curves.append((pos[u], pos[v], rad))

    # nodes: colour = organisation type, marker = governance family of the projects it leads
    nodes = sorted(simple.nodes, key=lambda n: (simple.nodes[n].get("label") or n, n))
    size = {n: 260 + 170 * simple.degree(n) for n in nodes}
    by_marker: dict[str, list[str]] = defaultdict(list)
    for n in nodes:
        by_marker[FAMILY_MARKERS.get(simple.nodes[n].get("governance_family"), NO_FAMILY_MARKER)].append(n)
    for marker, members in sorted(by_marker.items()):
        scale = 1.25 if marker == "^" else 0.7 if marker == NO_FAMILY_MARKER else 1.0
        ax.scatter([pos[n][0] for n in members], [pos[n][1] for n in members],
                   s=[size[n] * scale for n in members], marker=marker,
                   c=[_colour(ORGTYPE_COLOURS, simple.nodes[n].get("organization_type"), NO_TYPE_COLOUR) for n in members],
                   edgecolors=["#222222" if simple.nodes[n].get("in_sample") else "#888888" for n in members],
                   linewidths=[1.6 if simple.nodes[n].get("in_sample") else 0.9 for n in members], zorder=3)

    _place_labels(figure, ax, simple, pos, size, nodes, isolated, curves)
    _collaboration_legends(figure, simple, graph)
    return figure


def _place_labels(figure: Figure, ax, simple: nx.Graph, pos: dict, size: dict, nodes: list[str], isolated: list[str],
                  curves: list[tuple]) -> None:
    """Labels beside their nodes, each at the candidate position that least overlaps the nodes, the labels
    placed so far and the lines (sampled along each drawn curve)."""
    renderer = FigureCanvasAgg(figure).get_renderer()
    taken = []
    for n in nodes:
        x, y = ax.transData.transform(pos[n])
        r = math.sqrt(size[n]) / 2 * figure.dpi / 72 + 3
        taken.append((x - r, y - r, x + r, y + r))
    points = []
    for start, end, rad in curves:
        (x1, y1), (x2, y2) = ax.transData.transform(start), ax.transData.transform(end)
        cx, cy = (x1 + x2) / 2 + rad * (y2 - y1), (y1 + y2) / 2 - rad * (x2 - x1)
        steps = max(int(math.hypot(x2 - x1, y2 - y1) / 6), 2)
        for i in range(1, steps):
            t = i / steps
            points.append(((1 - t) ** 2 * x1 + 2 * (1 - t) * t * cx + t * t * x2, (1 - t) ** 2 * y1 + 2 * (1 - t) * t * cy + t * t * y2))
    order = sorted(nodes, key=lambda n: (n in isolated, -simple.degree(n), simple.nodes[n].get("label") or n, n))
    for n in order:
        text = simple.nodes[n].get("label") or n
        radius = math.sqrt(size[n]) / 2 + 3  # points
        style = {"fontsize": 10, "fontweight": "bold" if simple.nodes[n].get("in_sample") else "normal", "zorder": 4,
                 "bbox": {"boxstyle": "round,pad=0.15", "fc": "#f7f7f7" if n in isolated else "white", "ec": "none", "alpha": 0.85}}
        if n in isolated:
            candidates = [((0, -radius), "center", "top")]
            text = _wrap(text, 24)
        else:
            d = radius * 0.75
            candidates = [((0, -radius), "center", "top"), ((0, radius), "center", "bottom"),
                          ((radius, 0), "left", "center"), ((-radius, 0), "right", "center"),
                          ((d, -d), "left", "top"), ((-d, -d), "right", "top"), ((d, d), "left", "bottom"), ((-d, d), "right", "bottom")]
            text = _wrap(text, 22)
        best = None
        for offset, ha, va in candidates:
            artist = ax.annotate(text, pos[n], xytext=offset, textcoords="offset points", ha=ha, va=va, **style)
            box = artist.get_window_extent(renderer)
            artist.remove()
            rect = (box.x0, box.y0, box.x1, box.y1)
            crossing = sum(1 for px, py in points if rect[0] <= px <= rect[2] and rect[1] <= py <= rect[3])
            score = sum(_overlap(rect, other) for other in taken) + 60 * crossing
            if best is None or score < best[0]:
                best = (score, offset, ha, va, rect)
            if score == 0:
                break
        _, offset, ha, va, rect = best
        ax.annotate(text, pos[n], xytext=offset, textcoords="offset points", ha=ha, va=va, **style)
        taken.append(rect)


def _overlap(a: tuple, b: tuple) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > 0 and h > 0 else 0.0


def _collaboration_legends(figure: Figure, simple: nx.Graph, graph: nx.Graph) -> None:
    types: dict[str, str] = {}
    families: dict[str, str] = {}
    missing_type = missing_family = False
    for _, d in simple.nodes(data=True):
        if d.get("organization_type"):
            types[d["organization_type"]] = d.get("organization_type_label") or d["organization_type"]
        else:
            missing_type = True
        if d.get("governance_family"):
            families[d["governance_family"]] = d.get("governance_family_label") or d["governance_family"]
        else:
            missing_family = True
    type_order = list(ORGTYPE_COLOURS)
    handles = [Line2D([], [], marker="o", linestyle="none", markersize=11, markerfacecolor=_colour(ORGTYPE_COLOURS, t, NO_TYPE_COLOUR),
                      markeredgecolor="#222222", label=types[t])
               for t in sorted(types, key=lambda t: (type_order.index(t) if t in type_order else 99, t))]
    if missing_type:
        handles.append(Line2D([], [], marker="o", linestyle="none", markersize=11, markerfacecolor=NO_TYPE_COLOUR,
                              markeredgecolor="#888888", label="not in the study's sample\n(type not recorded)"))
    first = figure.legend(handles=handles, title="Organisation type (bold: in sample)", loc="upper left",
                          bbox_to_anchor=(0.765, 0.90), frameon=False, fontsize=9.5, title_fontsize=10.5, alignment="left")
    family_order = list(FAMILY_MARKERS)
    handles = [Line2D([], [], marker=FAMILY_MARKERS.get(f, NO_FAMILY_MARKER), linestyle="none", markersize=11,
                      markerfacecolor="white", markeredgecolor="#222222", label=families[f])
               for f in sorted(families, key=lambda f: (family_order.index(f) if f in family_order else 99, f))]
    if missing_family:
        handles.append(Line2D([], [], marker=NO_FAMILY_MARKER, linestyle="none", markersize=8, markerfacecolor="white",
                              markeredgecolor="#222222", label="leads no project in the atlas"))
    second = figure.legend(handles=handles, title="Shape: governance family of\nthe projects it leads", loc="upper left",
                           bbox_to_anchor=(0.765, 0.64), frameon=False, fontsize=9.5, title_fontsize=10.5, alignment="left")
    kinds: dict[str, str] = {}
    confidences = set()
    for *_, d in graph.edges(data=True):
        if d.get("kind"):
            kinds[d["kind"]] = d.get("kind_label") or d["kind"]
        confidences.add(d.get("confidence"))
    kind_order = list(KIND_COLOURS)
    handles = [Line2D([], [], color=_colour(KIND_COLOURS, k, "#777777"), lw=2.6, label=kinds[k])
               for k in sorted(kinds, key=lambda k: (kind_order.index(k) if k in kind_order else 99, k))]
    handles += [Line2D([], [], color="#555555", lw=2.2, label="stated or paraphrased by a source"),
                Line2D([], [], color="#555555", lw=2.2, linestyle=(0, (5, 3)), label="inferred by the atlas")]
    figure.legend(handles=handles, title="Line: collaboration kind", loc="upper left", bbox_to_anchor=(0.765, 0.39),
                  frameon=False, fontsize=9.5, title_fontsize=10.5, alignment="left", handlelength=2.8)
    figure.add_artist(first)
    figure.add_artist(second)


def _draw_project_artifact(graph: nx.Graph, title: str | None) -> Figure:
    label = {n: graph.nodes[n].get("label") or n for n in graph}
    projects = [n for n, d in graph.nodes(data=True) if d.get("bipartite") == 0]
    artifacts = [n for n, d in graph.nodes(data=True) if d.get("bipartite") == 1]
    projects.sort(key=lambda n: (_governance_rank(graph.nodes[n].get("governance_model")), label[n], n))
    rows = max(len(projects), len(artifacts), 1)
    height_in = max(6.0, 0.34 * rows + 2.6)
    figure = Figure(figsize=(14, height_in))
    top_margin = 1.5 / height_in
    ax = figure.add_axes((0.02, 0.02, 0.70, 1 - top_margin - 0.02))
    ax.set_axis_off()
    ax.set_xlim(-1.2, 2.0)
    ax.set_ylim(-0.5, rows - 0.5)

    def spread(nodes: list[str]) -> dict:
        step = (rows - 1) / max(len(nodes) - 1, 1) if len(nodes) > 1 else 0
        offset = 0 if len(nodes) > 1 else (rows - 1) / 2
        return {n: rows - 1 - offset - i * step for i, n in enumerate(nodes)}

    y_project = spread(projects)
    # artefacts ordered by the mean height of their projects (fewer crossings), then kind and label
    barycentre = {a: sum(y_project[p] for p in graph[a]) / max(len(graph[a]), 1) for a in artifacts}
    artifacts.sort(key=lambda a: (-barycentre[a], graph.nodes[a].get("kind", ""), label[a], a))
    y_artifact = spread(artifacts)
    pos = {**{p: (0.0, y) for p, y in y_project.items()}, **{a: (1.0, y) for a, y in y_artifact.items()}}

    for u, v, d in sorted(graph.edges(data=True), key=lambda e: tuple(sorted(map(str, e[:2])))):
        colour, style = RELATION_STYLES.get(d.get("relation"), ("#777777", "-"))
        (x0, y0), (x1, y1) = pos[u], pos[v]
        ax.plot([x0, x1], [y0, y1], color=colour, linestyle=style, lw=1.6, alpha=0.85, zorder=1)

    for n in projects:
        family = graph.nodes[n].get("governance_family")
        ax.scatter([0.0], [pos[n][1]], s=170, marker=FAMILY_MARKERS.get(family, NO_FAMILY_MARKER), c="white",
                   edgecolors="#222222", linewidths=1.5, zorder=3)
        ax.text(-0.05, pos[n][1], label[n], ha="right", va="center", fontsize=10,
                fontweight="bold" if graph.nodes[n].get("in_sample") else "normal", zorder=4)
    for n in artifacts:
        kind = graph.nodes[n].get("kind")
        ax.scatter([1.0], [pos[n][1]], s=110, marker="o", c=_colour(ARTIFACT_COLOURS, kind, "#d9d9d9"),
                   edgecolors="#222222", linewidths=0.9, zorder=3)
        ax.text(1.05, pos[n][1], label[n], ha="left", va="center", fontsize=9.5, zorder=4)
    ax.text(0.0, rows - 0.5, "Projects", ha="center", va="bottom", fontsize=11.5, fontweight="bold")
    ax.text(1.0, rows - 0.5, "Artefacts", ha="center", va="bottom", fontsize=11.5, fontweight="bold")

    figure.text(0.02, 1 - 0.35 / height_in, title or "Open LLM projects and the artefacts they release, build and use",
                fontsize=17, fontweight="bold", va="top")
    figure.text(0.02, 1 - 0.85 / height_in,
                f"LLM Atlas: {len(projects)} projects, {len(artifacts)} artefacts, {graph.number_of_edges()} links "
                "(atlas:releases, atlas:builds, atlas:uses). Projects grouped by governance model; bold: in the study's sample.",
                fontsize=10.5, color="#444444", va="top")

    handles = [Line2D([], [], color=RELATION_STYLES[r][0], linestyle=RELATION_STYLES[r][1], lw=2.2, label=r)
               for r in RELATIONS if any(d.get("relation") == r for *_, d in graph.edges(data=True))]
    first = figure.legend(handles=handles, title="Link", loc="upper left", bbox_to_anchor=(0.75, 1 - 1.5 / height_in),
                          frameon=False, fontsize=9.5, title_fontsize=10.5, alignment="left", handlelength=2.8)
    kinds = {graph.nodes[a].get("kind"): graph.nodes[a].get("kind_label") for a in artifacts}
    kind_order = list(ARTIFACT_COLOURS)
    handles = [Line2D([], [], marker="o", linestyle="none", markersize=10, markerfacecolor=_colour(ARTIFACT_COLOURS, k, "#d9d9d9"),
                      markeredgecolor="#222222", label=kinds[k] or k)
               for k in sorted(kinds, key=lambda k: (kind_order.index(k) if k in kind_order else 99, k or ""))]
    second = figure.legend(handles=handles, title="Artefact kind", loc="upper left", bbox_to_anchor=(0.75, 1 - 3.2 / height_in),
                           frameon=False, fontsize=9.5, title_fontsize=10.5, alignment="left")
    families = sorted({graph.nodes[p].get("governance_family") for p in projects}, key=lambda f: (f not in FAMILY_MARKERS,
                      list(FAMILY_MARKERS).index(f) if f in FAMILY_MARKERS else 0, f or ""))
    handles = [Line2D([], [], marker=FAMILY_MARKERS.get(f, NO_FAMILY_MARKER), linestyle="none", markersize=10,
                      markerfacecolor="white", markeredgecolor="#222222",
                      label=(f or "no governance model recorded").replace("-", " "))
               for f in families]
    figure.legend(handles=handles, title="Project shape: governance family", loc="upper left",
                  bbox_to_anchor=(0.75, 1 - (3.6 + 0.3 * len(kinds)) / height_in), frameon=False, fontsize=9.5,
                  title_fontsize=10.5, alignment="left")
    figure.add_artist(first)
    figure.add_artist(second)
    return figure


# -- everything at once ----------------------------------------------------------------------------------


def write_network_outputs(store: Any, out_dir: str | Path, *, include_inferred: bool = True, analysis: list | None = None) -> list[Path]:
    """Write the graphs (GraphML, GEXF), their drawings (PNG, SVG) and ``network.md`` to ``out_dir``.

    Returns the paths written, in a fixed order: collaboration.{graphml,gexf,png,svg},
    project-artifact.{graphml,gexf,png,svg}, network.md. If ``analysis`` is a list, the
    :class:`NetworkReport` is appended to it (so a caller needs not build the graphs twice).
    """
    store = _as_store(store)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    collaboration = collaboration_graph(store, include_inferred=include_inferred)
    projects = project_artifact_graph(store)
    written = []
    for name, graph in (("collaboration", collaboration), ("project-artifact", projects)):
        written.append(export(graph, out / f"{name}.graphml"))
        written.append(export(graph, out / f"{name}.gexf"))
        written.append(draw(graph, out / f"{name}.png"))
        written.append(draw(graph, out / f"{name}.svg"))
    report = analyse(collaboration, projects)
    if analysis is not None:
        analysis.append(report)
    markdown = out / "network.md"
    markdown.write_text(report.to_markdown(level=1), encoding="utf-8")
    written.append(markdown)
    return written


__all__ = [
    "collaboration_graph", "aggregate", "project_artifact_graph", "artifact_projection", "analyse", "network_report",
    "NetworkReport", "OrganisationCentrality", "SharedArtifact", "ProjectLink", "serialisable", "export", "draw",
    "write_network_outputs",
]
