"""The lineage of one model family: its releases, the releases they were made from, and every release made from
them (fine-tuned, quantised, adapted, merged, further pre-trained or distilled), as a directed graph.

The report's ecosystem chapter draws it for a chosen family (``llm-atlas report --family``), by default the family
whose releases have the most descendants in the atlas, so that the figure shows the lineage the graph holds most
of. The edges are the atlas's derivation properties (``atlas:derivationProperty`` of the derivation kinds "from
the weights" and "by distillation"); every edge is one the graph asserts, with its relation. A figure of a
popular base would draw thousands of quantisations: the drawing keeps the releases of the family, their bases,
and whole branches of descendants, the largest first (:data:`DRAWN_DESCENDANTS` descendants at most), and says how
many it left out; ``queries/descendants.rq`` lists them all.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import networkx as nx
import pyoxigraph as ox

from .markdown import md_escape, md_table
from .namespaces import BASE, ONTOLOGY

# The derivation properties between releases, nearest-to-the-weights first (the order of the legend).
RELATIONS: tuple[tuple[str, str], ...] = (
    ("fineTunedFrom", "fine-tuned from"),
    ("quantizedFrom", "quantised from"),
    ("adapterOf", "adapter of"),
    ("mergedFrom", "merged from"),
    ("continuedPretrainingOf", "continued pre-training of"),
    ("distilledFrom", "distilled from"),
    ("baseModel", "base model (how not stated)"),
)
RELATION_LABELS = {ONTOLOGY + local: label for local, label in RELATIONS}
DRAWN_DESCENDANTS = 40  # descendants drawn at most; the rest are counted in the caption
MAX_DEPTH = 4  # descendants further than this from a release of the family are not followed

_PATH = "|".join(f"atlas:{local}" for local, _ in RELATIONS)
_PREFIXES = f"PREFIX atlas: <{ONTOLOGY}>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"

# The family whose releases have the most descendants; ties go to the family IRI first in order.
_BUSIEST_FAMILY = _PREFIXES + f"""
SELECT ?family (COUNT(DISTINCT ?descendant) AS ?descendants) WHERE {{
  ?family a atlas:ModelFamily .
  ?release atlas:inFamily+ ?family .
  ?descendant ({_PATH})+ ?release .
}}
GROUP BY ?family
ORDER BY DESC(?descendants) ?family
LIMIT 1
"""
_FAMILY_RELEASES = _PREFIXES + """
SELECT DISTINCT ?release WHERE { ?release a atlas:ModelRelease ; atlas:inFamily+ ?family }
"""
_EDGES_UP = _PREFIXES + f"""
SELECT DISTINCT ?child ?link ?parent WHERE {{
  VALUES ?link {{ {" ".join(f"atlas:{local}" for local, _ in RELATIONS)} }}
  ?release atlas:inFamily+ ?family .
  ?release ({_PATH})* ?child .
  ?child ?link ?parent .
}}
"""
_EDGES_DOWN = _PREFIXES + f"""
SELECT DISTINCT ?child ?link ?parent WHERE {{
  VALUES ?link {{ {" ".join(f"atlas:{local}" for local, _ in RELATIONS)} }}
  ?release atlas:inFamily+ ?family .
  ?child ?link ?parent .
  ?parent ({_PATH})* ?release .
}}
"""
_LABELS = _PREFIXES + """
SELECT ?node ?label ?category ?date WHERE {
  VALUES ?node { %s }
  OPTIONAL { ?node rdfs:label ?label }
  OPTIONAL { ?node atlas:license/atlas:licenseCategory/<http://www.w3.org/2004/02/skos/core#prefLabel> ?category }
  OPTIONAL { ?node atlas:releaseDate ?released }
  OPTIONAL { ?node atlas:dateCreated ?created }
  BIND (COALESCE(?released, ?created) AS ?date)
}
"""


@dataclass
class FamilyLineage:
    """A family's lineage graph and what the drawing leaves out."""

    family: str  # IRI
    label: str
    graph: nx.DiGraph  # child -> parent edges with "relation"; nodes with "label", "role", "licence", "date", "depth"
    releases: list[str] = field(default_factory=list)  # the family's own releases
    left_out: int = 0  # descendants not drawn
    edge_counts: Counter = field(default_factory=Counter)  # relation label -> edges in the whole lineage, drawn or not

    def relation_counts(self) -> Counter:
        """Edges by relation in the whole lineage (the drawing may leave some out)."""
        return self.edge_counts

    @property
    def descendants(self) -> list[str]:
        return [n for n, d in self.graph.nodes(data=True) if d["role"] == "descendant"]

    @property
    def bases(self) -> list[str]:
        return [n for n, d in self.graph.nodes(data=True) if d["role"] == "base"]

    def caption(self) -> str:
        counts = self.relation_counts()
        parts = ", ".join(f"{counts[label]} {label}" for _, label in RELATIONS if counts[label])
        drawn = len(self.descendants)
        bases = len(self.bases)
        made_from = "no other release" if bases == 0 else "1 other release" if bases == 1 else f"{bases} other releases"
        n = len(self.releases)
        text = (f"The lineage of {self.label}: its {n} release{'' if n == 1 else 's'}, made from {made_from}, and the "
                f"{drawn + self.left_out} releases made from them; lineage edges: {parts or 'none'}.")
        if self.left_out:
            text += (f" The drawing keeps {drawn} descendants, the largest branches first, and leaves "
                     f"{self.left_out} out; queries/descendants.rq lists every one.")
        return text

    def to_markdown(self) -> str:
        counts = self.relation_counts()
        rows = [[label, str(counts[label])] for _, label in RELATIONS if counts[label]]
        return md_escape(self.caption()) + "\n\n" + (md_table(["relation", "edges"], rows, {1}) if rows else "_no lineage edges_\n")


def busiest_family(store: ox.Store) -> str | None:
    """The family whose releases have the most descendants (None: the atlas holds no lineage edge into a family)."""
    for solution in store.query(_BUSIEST_FAMILY, use_default_graph_as_union=True):
        return solution["family"].value
    return None


def family_lineage(store: ox.Store, family: str, *, drawn: int = DRAWN_DESCENDANTS) -> FamilyLineage:
    """The lineage graph of ``family`` (an IRI): its releases, their bases (at any distance) and their descendants
    (to :data:`MAX_DEPTH` steps), keeping at most ``drawn`` descendants (those with the most descendants of
    their own, then by IRI, so that the same graph gives the same figure)."""
    node = ox.NamedNode(family)
    label = _label(store, node) or family.rsplit("/", 1)[-1]
    # the family's IRI goes into the text as a parsed IRI (ox.NamedNode refuses anything that is not one)
    def ask(query: str) -> list:
        return list(store.query(query.replace("?family", str(node)), use_default_graph_as_union=True))

    releases = sorted(s["release"].value for s in ask(_FAMILY_RELEASES))
    up = [(s["child"].value, s["link"].value, s["parent"].value) for s in ask(_EDGES_UP)]
    down = [(s["child"].value, s["link"].value, s["parent"].value) for s in ask(_EDGES_DOWN)]
    full = nx.DiGraph()
    for child, link, parent in sorted(set(up) | set(down)):
        full.add_edge(child, parent, relation=RELATION_LABELS[link])
    own = set(releases)
    full.add_nodes_from(own)
    # the bases: what a release of the family is made from, at any distance (not in the family itself)
    bases = set().union(*(nx.descendants(full, r) for r in own)) - own if own else set()
    reversed_graph = full.reverse(copy=False)
    depth: dict[str, int] = {}
    for release in sorted(own):
        for other, distance in nx.single_source_shortest_path_length(reversed_graph, release, cutoff=MAX_DEPTH).items():
            if other not in own and other not in bases:
                depth[other] = min(depth.get(other, distance), distance)
    # keep whole branches, the largest first (so that the figure shows how deep the lineage goes): a branch is a
    # release made from the family directly, with what was made from it, kept nearest first until ``drawn`` are
    # kept; each kept release brings the releases on its way up to the family
    size = {n: len(nx.descendants(reversed_graph, n)) for n in depth}
    first = sorted((n for n in depth if depth[n] == 1), key=lambda n: (-size[n], n))
    branch = {}
    for rank, top in enumerate(first):
        for n in [top, *sorted(nx.descendants(reversed_graph, top))]:
            branch.setdefault(n, rank)
    keep: set[str] = set()
    for n in sorted(depth, key=lambda n: (branch.get(n, len(first)), depth[n], n)):
        chain = {n} | {p for p in nx.descendants(full, n) if p in depth}
        if len(keep | chain) <= drawn:
            keep |= chain
    nodes = own | bases | keep
    graph = nx.DiGraph(full.subgraph(nodes))
    info = _node_info(store, sorted(nodes))
    for n in graph.nodes:
        role = "release" if n in own else "base" if n in bases else "descendant"
        label_, licence, date = info.get(n, (None, None, None))
        graph.nodes[n].update(label=label_ or _slug(n), role=role, licence=licence or "not recorded", date=date or "",
                              depth=depth.get(n, 0))
    return FamilyLineage(family, label, graph, releases, left_out=len(depth) - len(keep & set(depth)),
                         edge_counts=Counter(data["relation"] for _, _, data in full.edges(data=True)))


def _node_info(store: ox.Store, nodes: list[str]) -> dict[str, tuple[str | None, str | None, str | None]]:
    found: dict[str, tuple[str | None, str | None, str | None]] = {}
    for start in range(0, len(nodes), 500):
        values = " ".join(f"<{n}>" for n in nodes[start:start + 500])
        for s in store.query(_LABELS % values, use_default_graph_as_union=True):
            node = s["node"].value
            old = found.get(node, (None, None, None))
            new = tuple(s[v].value if s[v] is not None else None for v in ("label", "category", "date"))
            # several labels, licences or dates (two sources): keep the least in order, so the figure is stable
            found[node] = tuple(min((x for x in (a, b) if x is not None), default=None) for a, b in zip(old, new))
    return found


def _label(store: ox.Store, node: ox.NamedNode) -> str | None:
    labels = sorted(q.object.value for q in store.quads_for_pattern(node, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"), None))
    return labels[0] if labels else None


def _slug(iri: str) -> str:
    return iri[len(BASE):] if iri.startswith(BASE) else iri


def expand_family(value: str) -> str:
    """A family named as an IRI, ``model:<slug>`` or ``<slug>`` -> its IRI."""
    if value.startswith(("http://", "https://")):
        return value
    slug = value.split(":", 1)[1] if value.startswith("model:") else value
    return f"{BASE}model/{slug}"


__all__ = ["FamilyLineage", "busiest_family", "family_lineage", "expand_family", "RELATIONS", "DRAWN_DESCENDANTS"]
