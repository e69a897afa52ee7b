"""Report (a composition of the query and network jobs): the answers to the study's questions, with the figures.

The report follows the study (Linåker, Osborne, Ding and Burtenshaw, arXiv:2509.25397): its sample, then
its three research questions, each answered by the saved queries whose ``#+ question:`` carries the label
(``Sample -``, ``RQ1 -``, ``RQ2 -``, ``RQ3 -``), then the study's recommendations and what the atlas's
evidence rests on. Each answer gives its question, how it counts (the query's own comment), the table
(IRI columns left out: the query's CSV has them) and the query file. The collaboration network belongs to
RQ1 and is rendered like the rest.

A stamp says what the report was made from: the commit, the triples and files, the validation verdict.
Counts of projects are counts of the study's sample (``atlas:inSample true``) unless a section says
otherwise. Output is deterministic (no timestamps), so a report can be committed and its diff reviewed;
it is written all at once or not at all (:mod:`llm_atlas.outputs`).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import obligations, openness
from .markdown import anchor, md_escape, md_table, to_html
from .outputs import check_out_dir, write_files
from .progress import progress
from .query import QueryResult, SavedQuery, bind_params, display, run_query

TITLE = "LLM Atlas report"
INTRO = (
    "Answers of the saved queries to the questions of Linåker, Osborne, Ding and Burtenshaw, "
    "*A Cartography of Open Collaboration in Open Source AI* (arXiv:2509.25397), computed from the atlas. "
    "Claims marked `inferred` are the atlas's reading, not findings of the paper; counts of projects count the "
    "study's 14 projects (its sample) unless a section says otherwise."
)

# The report's chapters, in the study's order: (key, heading, what the chapter asks). A saved query joins a
# chapter by the label its question starts with; overview queries and the other study queries close the report.
CHAPTERS: tuple[tuple[str, str, str], ...] = (
    ("Sample", "The study's sample", "Who the study interviewed: 17 developers of 14 open LLM projects, by organisation type, "
                                      "continent and governance model."),
    ("RQ1", "RQ1: Collaboration across the lifecycle and the artefacts",
     "Where and how does open collaboration take place throughout the development and reuse lifecycle of open LLMs, "
     "and on which artefacts beyond the models?"),
    ("RQ2", "RQ2: Motivations", "Which motivations (social, economic, technological) drive open LLM development?"),
    ("RQ3", "RQ3: Governance", "Which organisational and governance models do the projects follow, and how do they differ?"),
    ("study", "Recommendations and the atlas's own inferences", "The study's recommendations next to the graph, and every "
                                                                "statement that is the atlas's inference."),
    ("overview", "What the atlas holds and what it rests on", "Entities, claims and their sources."),
    ("ecosystem", "The ecosystem around the sample", "What the imported sources add around the study's projects: releases, datasets, "
                                                     "lineage, licences, dates and results, how complete they are, and where they come from."),
    ("openness", "Openness under several frameworks", "How open each release is under the Model Openness Framework, the Open "
                                                         "Source AI Definition and the European Open Source AI Index, from each openness "
                                                         "index's facts, and where the two indexes disagree."),
    ("licences", "Licence obligations along lineage", "What each base's licence requires of the releases and datasets derived "
                                                        "from it, and whether their recorded licences keep it."),
)
NETWORK_HEADING = "Collaboration network"
LINEAGE_HEADING = "Lineage of a family"
LINEAGE_FILES = ("lineage.png", "lineage.svg")


def chapter_of(query: SavedQuery) -> str | None:
    """The chapter a saved query answers in (None: not part of the report)."""
    label = re.match(r"(Sample|RQ\d)\s*-", query.question)
    if label and "study" in query.tags:
        return label.group(1)
    if "study" in query.tags:
        return "study"
    if "overview" in query.tags:
        return "overview"
    if "ecosystem" in query.tags and "report" in query.tags:
        return "ecosystem"
    return None


def selected(queries: list[SavedQuery]) -> list[SavedQuery]:
    """The queries a report runs, in the order of the chapters, by name within each."""
    order = {key: i for i, (key, _, _) in enumerate(CHAPTERS)}
    chosen = [q for q in queries if chapter_of(q) is not None]
    return sorted(chosen, key=lambda q: (order[chapter_of(q)], q.name))


def how_it_counts(query: SavedQuery) -> str:
    """The query's own explanation: the comment lines between its header and its first PREFIX or SELECT."""
    lines = []
    for line in query.text.splitlines():
        if line.startswith("#+"):
            continue
        if not line.startswith("#"):
            if lines or line.strip():
                break
            continue
        lines.append(line.lstrip("#").strip())
    return " ".join(lines)


@dataclass
class Section:
    query: SavedQuery
    result: QueryResult

    @property
    def columns(self) -> list[int]:
        """The columns shown: all but the IRIs (``...Iri``), which the query's CSV output keeps."""
        return [i for i, v in enumerate(self.result.variables) if not v.endswith("Iri")]


@dataclass
class Stamp:
    """What a report was made from."""

    commit: str  # the commit, "+ changes" when the working tree differs; or why there is none
    triples: int
    files: int
    verdict: str

    def text(self) -> str:
        return f"Made from commit {self.commit}: {self.triples} triples in {self.files} files; validation: {self.verdict}."


@dataclass
class Report:
    sections: list[Section] = field(default_factory=list)
    network: object | None = None  # llm_atlas.network.NetworkReport
    licences: object | None = None  # llm_atlas.obligations.Assessment, rendered by llm_atlas.licences.report_section
    lineage: object | None = None  # llm_atlas.lineage.FamilyLineage, drawn in lineage.svg / lineage.png
    openness: object | None = None  # llm_atlas.openness.Crosswalk, rendered by llm_atlas.crosswalk.report_section
    stamp: Stamp | None = None
    files: list[Path] = field(default_factory=list)

    def chapters(self) -> list[tuple[str, str, str, list[Section]]]:
        found = []
        for key, heading, about in CHAPTERS:
            sections = [s for s in self.sections if chapter_of(s.query) == key]
            if (sections or (key == "RQ1" and self.network is not None) or (key == "licences" and self.licences is not None)
                    or (key == "ecosystem" and self.lineage is not None) or (key == "openness" and self.openness is not None)):
                found.append((key, heading, about, sections))
        return found

    def to_text(self) -> str:
        out = [TITLE, self.stamp.text() if self.stamp else "", ""]
        for key, heading, _, sections in self.chapters():
            out.append(f"=== {heading}")
            for section in sections:
                out.append(f"== {section.query.summary} ({section.query.name})")
                out.append(f"   {section.query.question}")
                out.append(section.result.to_table())
            if key == "RQ1" and self.network is not None:
                out.append(f"== {NETWORK_HEADING}")
                out.append(self.network.to_markdown(level=3))
            if key == "ecosystem" and self.lineage is not None:
                out.append(f"== {LINEAGE_HEADING}")
                out.append(self.lineage.caption())
            if key == "openness" and self.openness is not None:
                from .crosswalk import crosswalk_text

                out.append(crosswalk_text(self.openness))
            if key == "licences" and self.licences is not None:
                from .licences import LicenceReport

                out.append(LicenceReport(self.licences).to_text())
        return "\n".join(out)

    def to_markdown(self) -> str:
        out = [f"# {TITLE}", ""]
        if self.stamp:
            out += [md_escape(self.stamp.text()), ""]
        out += [INTRO, "", "## Contents", ""]
        for key, heading, _, sections in self.chapters():
            out.append(f"- [{heading}](#{anchor(heading)})")
        out.append("")
        for key, heading, about, sections in self.chapters():
            out += [f"## {heading}", "", f"*{md_escape(about)}*", ""]
            for section in sections:
                q = section.query
                out += [f"### {md_escape(q.summary)}", "", f"*{md_escape(q.question)}*", ""]
                counts = how_it_counts(q)
                if counts:
                    out += [f"How it counts: {md_escape(counts)}", ""]
                out.append(self._table(section))
                out += [f"Query: `queries/{q.name}.rq`", ""]
            if key == "RQ1" and self.network is not None:
                out += ["![Collaboration network](collaboration.svg)", "", self.network.to_markdown(level=3)]
            if key == "ecosystem" and self.lineage is not None:
                out += [f"### {md_escape(LINEAGE_HEADING)}", "", f"![Lineage of {md_escape(self.lineage.label)}](lineage.svg)", "",
                        self.lineage.to_markdown(), "Query: `queries/descendants.rq` (every descendant of a release, with its licence "
                        "and date); `llm-atlas report --family FAMILY` draws another family.", ""]
            if key == "openness" and self.openness is not None:
                from .crosswalk import report_section as openness_section

                out += [openness_section(self.openness, level=3, heading=False)]
            if key == "licences" and self.licences is not None:
                from .licences import report_section

                out += [report_section(self.licences, level=3, heading=False)]
        return "\n".join(out).rstrip() + "\n"

    @staticmethod
    def _table(section: Section) -> str:
        result = section.result
        if result.boolean is not None:
            return ("yes" if result.boolean else "no") + "\n"
        if not result.variables:
            return "_no result_\n"
        columns = section.columns
        numeric = {n for n, i in enumerate(columns)
                   if result.rows and all(isinstance(r[i], ox.Literal) and re.fullmatch(r"-?\d+(\.\d+)?", r[i].value) for r in result.rows if r[i] is not None)}
        rows = [[display(row[i]) for i in columns] for row in result.rows]
        table = md_table([result.variables[i] for i in columns], rows, numeric)
        return table + ("" if rows else "\n_no rows_\n")

    def to_html(self, figure_svg: str = "", lineage_svg: str = "") -> str:
        body = to_html(self.to_markdown())
        if figure_svg:  # the drawings inline, so the page stands alone
            body = body.replace('<img src="collaboration.svg" alt="Collaboration network">',
                                f"<figure>{_svg_element(figure_svg)}<figcaption>The collaboration network: organisations by type "
                                "and governance family, lines by collaboration kind (dashed: inferred by the atlas).</figcaption></figure>")
        if lineage_svg and self.lineage is not None:
            body = re.sub(r'<img src="lineage\.svg" alt="[^"]*">',
                          lambda _: f"<figure>{_svg_element(lineage_svg)}<figcaption>{html.escape(self.lineage.caption())}</figcaption></figure>",
                          body)
        return "\n".join([
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(TITLE)}</title>",
            "<style>body{font-family:system-ui,sans-serif;max-width:75em;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}"
            "div.table{overflow-x:auto;margin:1em 0}table{border-collapse:collapse;font-size:.88em}"
            "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top;max-width:28em;overflow-wrap:anywhere}"
            "th{background:#f3f3f3;position:sticky;top:0}td.num,th.num{text-align:right;white-space:nowrap}"
            "figure{margin:1em 0}figure svg{max-width:100%;height:auto}code{background:#f3f3f3;padding:0 .2em}"
            "h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}</style>",
            "</head><body>",
            body,
            "</body></html>",
        ]) + "\n"


def _svg_element(svg: str) -> str:
    """The <svg> element of an SVG file (without the XML declaration and doctype), to inline in a page."""
    return svg[svg.find("<svg"):] if "<svg" in svg else svg


def stamp(store: ox.Store, root: Path | None, verdict: str) -> Stamp:
    """The commit of the checkout at ``root`` (git), the store's size, and the validation verdict."""
    from . import gitrepo
    from .errors import UsageError
    from .layout import relpath_of_graph

    commit = "unknown (not a git checkout)"
    if root is not None and (root / ".git").exists():
        try:
            sha = gitrepo.git(root, "rev-parse", "--short=12", "HEAD").decode().strip()
            dirty = gitrepo.git(root, "status", "--porcelain", "--", "ontology", "graph", "imports", "queries").strip()
            commit = sha + (" with uncommitted changes" if dirty else "")
        except UsageError as error:
            commit = f"unknown ({error})"
    files = {relpath_of_graph(g.value) for g in store.named_graphs() if isinstance(g, ox.NamedNode)} - {None}
    return Stamp(commit, len(store), len(files), verdict)


@dataclass
class Figures:
    """The report's drawings and the analyses they show: the network's files (GraphML, GEXF, PNG, SVG,
    network.md) and analysis, and the lineage of one family with its PNG and SVG."""

    files: dict[str, bytes]
    network: object | None  # llm_atlas.network.NetworkReport
    lineage: object | None  # llm_atlas.lineage.FamilyLineage


def figures_of(store: ox.Store, family: str | None, *, draw: bool = True) -> Figures:
    """The figures of the report on ``store`` (``family``: the IRI of the family whose lineage is drawn, None for
    the family whose releases have the most descendants); ``draw`` False: the analyses only, no files."""
    from . import lineage, network

    family = family or lineage.busiest_family(store)
    found = lineage.family_lineage(store, family) if family is not None else None
    if not draw:
        return Figures({}, network.network_report(store, in_sample_only=True), found)
    files, analysis = network.network_files(store, in_sample_only=True)
    if found is not None:
        from .lineage_drawing import lineage_drawings

        drawn = lineage_drawings(found)
        files["lineage.png"], files["lineage.svg"] = drawn["png"], drawn["svg"]
    return Figures(files, analysis, found)


# -- in a worker process (llm_atlas.worker): the drawings while the parent validates and answers the queries ------


def load_drawing_libraries() -> None:
    """Import matplotlib and the drawing modules (about a second), so that drawing can start at once later."""
    from . import lineage_drawing, network_drawing  # noqa: F401


def figures_on_store(store_dir: str, family: str | None) -> Figures:
    """:func:`figures_of` on the store at ``store_dir``, opened read-only beside the parent's."""
    return figures_of(ox.Store.read_only(store_dir), family)


def figures_on_dump(path: str, family: str | None) -> Figures:
    """:func:`figures_of` on the N-Quads at ``path`` (the data the parent is validating, before any store holds it),
    loaded into memory here."""
    from .store import memory_copy_of

    return figures_of(memory_copy_of(Path(path)), family)


def make_report(store: ox.Store, queries: list[SavedQuery], out_dir: Path | None, *, figures: bool = True,
                root: Path | None = None, verdict: str = "valid", run: Callable[[SavedQuery], QueryResult] | None = None,
                family: str | None = None, drawn: Callable[[], Figures] | None = None) -> Report:
    """Answer the report's queries on ``store`` and write ``report.md``, ``report.html``, the network's files and
    the lineage figure into ``out_dir`` (all or nothing), or only compute the answers when ``out_dir`` is None.

    ``family`` (an IRI) is the family whose lineage the ecosystem chapter draws; by default the family whose
    releases have the most descendants (none drawn when no lineage edge reaches a family).

    ``run`` answers one saved query (default: in this process, on ``store``); the API runs them where a timeout
    stops one that would never finish. ``drawn`` gives the figures (default: drawn here, after the queries); the
    API draws them in another process while the queries run."""
    report = Report(stamp=stamp(store, root, verdict))
    for query in progress(selected(queries), desc="report", unit="query"):
        report.sections.append(Section(query, run(query) if run else run_query(store, query.text, bind_params(query, {}))))
    licence_query = next((q for q in queries if q.name == obligations.QUERY_NAME), None)
    if licence_query is not None:  # the licence chapter (llm-atlas licences has every conflict, with its evidence)
        report.licences = obligations.assess(store, licence_query)
    openness_query = next((q for q in queries if q.name == openness.QUERY_NAME), None)
    if openness_query is not None:  # the openness chapter (llm-atlas openness --crosswalk writes its CSVs)
        report.openness = openness.crosswalk(store, openness_query)
    draw = figures and out_dir is not None
    if drawn is not None and draw:
        made = drawn()
    elif figures:
        made = figures_of(store, family, draw=draw)
    else:  # no figures: the lineage's counts only
        from . import lineage

        family = family or lineage.busiest_family(store)
        made = Figures({}, None, lineage.family_lineage(store, family) if family is not None else None)
    report.lineage, report.network = made.lineage, made.network
    if out_dir is None:
        return report
    out = check_out_dir(out_dir, "the report")
    files = dict(made.files) if figures else {}
    files["report.md"] = report.to_markdown().encode("utf-8")
    files["report.html"] = report.to_html(files.get("collaboration.svg", b"").decode("utf-8"),
                                          files.get("lineage.svg", b"").decode("utf-8")).encode("utf-8")
    from .network import NETWORK_FILES

    names = ["report.md", "report.html"] + [name for name in NETWORK_FILES if name in files]
    names += [name for name in LINEAGE_FILES if name in files]
    report.files = write_files(out, {name: files[name] for name in names})
    return report


__all__ = ["Report", "Section", "Stamp", "Figures", "figures_of", "make_report", "selected", "chapter_of", "how_it_counts", "CHAPTERS"]
