"""Report pipeline: the answers to the study's questions, as text, Markdown and HTML, with the figures.

The saved queries tagged ``overview`` or ``study`` are run with their default parameters; the
collaboration network is analysed and drawn. Output is deterministic (no timestamps; rows in each query's
ORDER BY; drawings byte-stable), so a report can be committed and its diff reviewed. Everything is written
to a scratch folder first and moved into the folder the user names file by file, so a failure leaves no
half-written report.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import network
from .query import QueryResult, SavedQuery, bind_params, run_query

REPORT_TAGS = ("overview", "study")
TITLE = "LLM Atlas report"
INTRO = (
    "Answers of the saved queries to the questions of Linåker, Osborne, Ding and Burtenshaw, "
    "*A Cartography of Open Collaboration in Open Source AI* (arXiv:2509.25397), computed from the atlas. "
    "Claims marked `inferred` are the atlas's reading, not findings of the paper."
)


@dataclass
class Section:
    query: SavedQuery
    result: QueryResult


@dataclass
class Report:
    sections: list[Section] = field(default_factory=list)
    network: network.NetworkReport | None = None
    files: list[Path] = field(default_factory=list)

    def to_text(self) -> str:
        out = []
        for section in self.sections:
            out.append(f"== {section.query.summary} ({section.query.name})")
            out.append(f"   {section.query.question}")
            out.append(section.result.to_table())
        if self.network is not None:
            out.append("== Collaboration network")
            out.append(self.network.to_markdown(level=3))
        return "\n".join(out)

    def to_markdown(self) -> str:
        out = [f"# {TITLE}", "", INTRO, ""]
        for section in self.sections:
            q = section.query
            out += [f"## {q.summary}", "", f"*{q.question}*", "", f"Query: `queries/{q.name}.rq`", ""]
            out.append(section.result.to_markdown())
        if self.network is not None:
            out += ["![Collaboration network](collaboration.svg)", "", self.network.to_markdown(level=2)]
        return "\n".join(out).rstrip() + "\n"

    def to_html(self, figure_svg: str = "") -> str:
        def table(result: QueryResult) -> str:
            head = "".join(f"<th>{html.escape(v)}</th>" for v in result.variables)
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in result.display_rows())
            return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"

        parts = [
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8">',
            f"<title>{TITLE}</title>",
            "<style>body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}"
            "table{border-collapse:collapse;margin:1em 0;font-size:.9em}th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
            "th{background:#f3f3f3}figure{margin:1em 0}figure svg{max-width:100%;height:auto}code{background:#f3f3f3;padding:0 .2em}</style>",
            "</head><body>",
            f"<h1>{TITLE}</h1>",
            "<p>" + html.escape(INTRO).replace("*A Cartography", "<em>A Cartography").replace("Source AI*", "Source AI</em>") + "</p>",
        ]
        if figure_svg:
            svg = figure_svg[figure_svg.find("<svg"):] if "<svg" in figure_svg else figure_svg
            parts.append(f"<figure>{svg}<figcaption>The collaboration network: organisations by type and governance family, lines by collaboration kind (dashed: inferred by the atlas).</figcaption></figure>")
        for section in self.sections:
            q = section.query
            parts += [f"<h2>{html.escape(q.summary)}</h2>", f"<p><em>{html.escape(q.question)}</em></p>",
                      f"<p>Query: <code>queries/{html.escape(q.name)}.rq</code></p>", table(section.result)]
        if self.network is not None:
            parts.append(f"<h2>Collaboration network</h2><pre>{html.escape(self.network.to_markdown(level=3))}</pre>")
        parts.append("</body></html>")
        return "\n".join(parts) + "\n"


def selected(queries: list[SavedQuery]) -> list[SavedQuery]:
    """The queries a report runs: overview first, then the study's questions, each by name."""
    chosen = [q for q in queries if any(t in q.tags for t in REPORT_TAGS)]
    return sorted(chosen, key=lambda q: (0 if "overview" in q.tags else 1, q.name))


def make_report(store: ox.Store, queries: list[SavedQuery], out_dir: Path | None, *, figures: bool = True,
                run: Callable[[SavedQuery], QueryResult] | None = None) -> Report:
    """``run`` answers one saved query (default: in this process, on ``store``); the API runs them where a
    timeout stops one that would never finish."""
    report = Report()
    for query in selected(queries):
        report.sections.append(Section(query, run(query) if run else run_query(store, query.text, bind_params(query, {}))))
    if out_dir is None:
        if figures:
            report.network = network.network_report(store)
        return report
    out_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".report-", dir=out_dir))
    try:
        analysis: list = []
        written = network.write_network_outputs(store, scratch, analysis=analysis) if figures else []
        report.network = analysis[0] if analysis else None
        (scratch / "report.md").write_text(report.to_markdown(), encoding="utf-8")
        svg = (scratch / "collaboration.svg").read_text(encoding="utf-8") if figures else ""
        (scratch / "report.html").write_text(report.to_html(svg), encoding="utf-8")
        names = ["report.md", "report.html"] + [p.name for p in written]
        for name in names:  # each move is atomic; the report appears only once it is complete
            os.replace(scratch / name, out_dir / name)
            report.files.append(out_dir / name)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return report
