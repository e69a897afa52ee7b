"""The drawing of a family's lineage (PNG, SVG), with matplotlib: derivation flows from left to right.

Columns are distances along the lineage: the bases a release of the family was made from (left), the family's
own releases, then the releases made from them, one column per step. A release is a dot coloured by its licence
category (as its recorded licence is classified in the ScanCode LicenseDB), labelled with its name; an edge is
coloured by how the release was made. Only the report imports this module (it loads matplotlib).
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch

from .drawing import FORMATS, figure_bytes
from .lineage import RELATIONS, FamilyLineage

RELATION_COLOURS = dict(zip((label for _, label in RELATIONS),
                            ("#0b4f8a", "#d95f02", "#7b3294", "#1b9e77", "#e7298a", "#a6761d", "#666666")))
LICENCE_COLOURS = {  # by ScanCode category (skos:prefLabel of license-category.ttl)
    "permissive": "#66c2a5", "public domain": "#66c2a5", "copyleft": "#8da0cb", "copyleft limited": "#8da0cb",
    "proprietary free": "#fc8d62", "free restricted": "#fc8d62", "source-available": "#fc8d62",
    "commercial": "#e78ac3", "unstated licence": "#e0e0e0", "not recorded": "#e0e0e0",
}
OTHER_LICENCE = "#ffd92f"
LICENCE_LEGEND = (("permissive or public domain", "#66c2a5"), ("copyleft", "#8da0cb"),
                  ("restricted: proprietary free, source-available", "#fc8d62"), ("commercial", "#e78ac3"),
                  ("not stated or not recorded", "#e0e0e0"), ("other", OTHER_LICENCE))
ROW_HEIGHT = 0.26  # inches per release in the tallest column
COLUMN_WIDTH = 3.4  # inches per column
LABEL_CHARACTERS = 42  # longer names are cut (a Hub id can be 90 characters); the report's tables have them whole
LEGEND_HEIGHT = 1.3  # inches below the drawing for the two legends
TITLE_HEIGHT = 0.7  # inches above it for the title and the column headings


def lineage_drawings(lineage: FamilyLineage, formats: tuple[str, ...] = FORMATS) -> dict[str, bytes]:
    """The drawing of ``lineage`` in each of ``formats`` (same lineage, same bytes)."""
    return figure_bytes(lambda: _draw(lineage), formats)


def _columns(lineage: FamilyLineage) -> dict[int, list[str]]:
    graph = lineage.graph
    column: dict[str, int] = {}
    for node, data in graph.nodes(data=True):
        if data["role"] == "release":
            column[node] = 0
        elif data["role"] == "descendant":
            column[node] = data["depth"]
    for base in lineage.bases:  # a base sits one column left of the nearest release made from it
        distances = [nx.shortest_path_length(graph, r, base) for r in lineage.releases if nx.has_path(graph, r, base)]
        column[base] = -min(distances) if distances else -1
    by_column: dict[int, list[str]] = defaultdict(list)
    for node, c in column.items():
        by_column[c].append(node)
    return dict(sorted(by_column.items()))


def _draw(lineage: FamilyLineage) -> Figure:
    graph = lineage.graph
    columns = _columns(lineage)
    tallest = max((len(nodes) for nodes in columns.values()), default=1)
    width = COLUMN_WIDTH * max(len(columns), 1) + 1.0
    height = max(3.6, ROW_HEIGHT * tallest + LEGEND_HEIGHT + TITLE_HEIGHT + 0.4)
    figure = Figure(figsize=(width, height))
    bottom, top = LEGEND_HEIGHT / height, TITLE_HEIGHT / height
    ax = figure.add_axes((0.01, bottom, 0.98, 1 - bottom - top))
    ax.set_axis_off()
    figure.suptitle(f"Lineage of {lineage.label}", fontsize=11, y=1 - 0.12 / height, va="top")
    pos: dict[str, tuple[float, float]] = {}
    order = {c: i for i, c in enumerate(columns)}
    for c, nodes in columns.items():
        # a node sits near the nodes it was made from: sort by the mean row of its parents already placed, then name
        def key(n: str) -> tuple:
            rows = [pos[p][1] for p in graph.successors(n) if p in pos]
            return (-(sum(rows) / len(rows)) if rows else 0.0, graph.nodes[n]["label"].casefold(), n)

        for i, node in enumerate(sorted(nodes, key=key)):
            pos[node] = (float(order[c]), (len(nodes) - 1) / 2 - i)
    for child, parent, data in sorted(graph.edges(data=True)):
        if child in pos and parent in pos:
            ax.add_patch(FancyArrowPatch(pos[parent], pos[child], arrowstyle="-|>", mutation_scale=7, linewidth=0.8,
                                         color=RELATION_COLOURS[data["relation"]], shrinkA=4, shrinkB=4,
                                         connectionstyle="arc3,rad=0.0" if pos[parent][0] != pos[child][0] else "arc3,rad=0.3"))
    for node in sorted(pos):
        data = graph.nodes[node]
        x, y = pos[node]
        ax.scatter([x], [y], s=46 if data["role"] == "release" else 28, zorder=3,
                   color=LICENCE_COLOURS.get(data["licence"], OTHER_LICENCE),
                   edgecolors="#222222" if data["role"] == "release" else "#777777", linewidths=1.2 if data["role"] == "release" else 0.5)
        label = data["label"] if len(data["label"]) <= LABEL_CHARACTERS else data["label"][:LABEL_CHARACTERS - 1] + "…"
        ax.annotate(label, (x, y), xytext=(5, 0), textcoords="offset points", va="center", fontsize=6.5,
                    fontweight="bold" if data["role"] == "release" else "normal", zorder=4)
    if pos:
        xs = [p[0] for p in pos.values()]
        ys = [p[1] for p in pos.values()]
        ax.set_xlim(min(xs) - 0.1, max(xs) + 0.95)
        ax.set_ylim(min(ys) - 0.7, max(ys) + 0.7)
    for c, x in order.items():
        heading = "bases" if c < 0 else "the family's releases" if c == 0 else f"{c} step{'s' if c > 1 else ''} down"
        ax.text(x, ax.get_ylim()[1], heading, ha="left", va="bottom", fontsize=7, color="#555555")
    used = lineage.relation_counts()
    relation_handles = [Line2D([], [], color=RELATION_COLOURS[label], linewidth=1.5, label=f"{label} ({used[label]})")
                        for _, label in RELATIONS if used[label]]
    licence_handles = [Line2D([], [], marker="o", linestyle="", markersize=6, markerfacecolor=colour, markeredgecolor="#777777",
                              label=text) for text, colour in LICENCE_LEGEND]
    if relation_handles:
        figure.legend(handles=relation_handles, loc="lower left", fontsize=6.5, frameon=False, title="how it was made (edges)",
                      title_fontsize=7, ncols=2 if width < 9 else 3, bbox_to_anchor=(0.01, 0.01), alignment="left")
    figure.legend(handles=licence_handles, loc="lower right", fontsize=6.5, frameon=False, title="licence category",
                  title_fontsize=7, ncols=1 if width < 9 else 2, bbox_to_anchor=(0.99, 0.01), alignment="left")
    return figure


__all__ = ["lineage_drawings"]
