"""Drawings of the collaboration network and the project-artefact graph (PNG, SVG), with matplotlib.

Drawing uses matplotlib's Agg canvas directly (the object API, never pyplot), so importing this module
changes no global matplotlib state; the same graph gives the same bytes. Only the commands that draw
(``network``, ``report``) import it: the graphs and their analysis are :mod:`llm_atlas.network`'s.
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from pathlib import Path

import networkx as nx
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .drawing import figure_bytes
from .network import COLLABORATION, PROJECT_ARTIFACT, RELATIONS, _governance_rank, aggregate

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



# -- drawing ---------------------------------------------------------------------------------------------


def draw(graph: nx.Graph, path: str | Path, *, title: str | None = None) -> Path:
    """Draw a collaboration graph or a project-artefact graph to ``.png`` or ``.svg`` (same input, same bytes)."""
    path = Path(path)
    data = drawing_bytes(graph, path.suffix.lower().lstrip("."), title=title)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def drawing_bytes(graph: nx.Graph, fmt: str, *, title: str | None = None) -> bytes:
    """The drawing of a collaboration graph or a project-artefact graph as ``png`` or ``svg`` bytes."""
    return drawings(graph, (fmt,), title=title)[fmt]


def drawings(graph: nx.Graph, formats: tuple[str, ...] = ("png", "svg"), *, title: str | None = None) -> dict[str, bytes]:
    """The drawing in each of ``formats`` (``png``, ``svg``), laid out and drawn once (the layout and the label
    placement are most of the time a report takes on the real graph)."""
    kind = graph.graph.get("kind")
    if kind is None:
        kind = PROJECT_ARTIFACT if any("bipartite" in d for _, d in graph.nodes(data=True)) else COLLABORATION
    draw_figure = _draw_project_artifact if kind == PROJECT_ARTIFACT else _draw_collaboration
    return figure_bytes(lambda: draw_figure(graph, title), formats)


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


__all__ = ["draw", "drawing_bytes"]
