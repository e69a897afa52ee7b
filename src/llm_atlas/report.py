"""Report job: the answers of the saved queries that address the study, as text and Markdown.

The Markdown is deterministic (no timestamps, sorted rows from each query's ORDER BY), so a report can be
committed and its diff reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .query import QueryResult, SavedQuery, bind_params, run_query
from .store import atomic_write_text

REPORT_TAGS = ("overview", "study")


@dataclass
class Section:
    query: SavedQuery
    result: QueryResult


@dataclass
class Report:
    sections: list[Section] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def to_text(self) -> str:
        out = []
        for section in self.sections:
            out.append(f"== {section.query.summary} ({section.query.name})")
            out.append(f"   {section.query.question}")
            out.append(section.result.to_table())
        return "\n".join(out)

    def to_markdown(self) -> str:
        out = [
            "# LLM Atlas report",
            "",
            "Answers of the saved queries to the questions of Linåker, Osborne, Ding and Burtenshaw, "
            "*A Cartography of Open Collaboration in Open Source AI* (arXiv:2509.25397), computed from the atlas. "
            "Claims marked `inferred` are the atlas's reading, not findings of the paper.",
            "",
        ]
        for section in self.sections:
            q = section.query
            out += [f"## {q.summary}", "", f"*{q.question}*", "", f"Query: `queries/{q.name}.rq`", ""]
            out.append(section.result.to_markdown())
        return "\n".join(out).rstrip() + "\n"


def selected(queries: list[SavedQuery]) -> list[SavedQuery]:
    """The queries a report runs: overview first, then the study's questions, each by name."""
    chosen = [q for q in queries if any(t in q.tags for t in REPORT_TAGS)]
    return sorted(chosen, key=lambda q: (0 if "overview" in q.tags else 1, q.name))


def make_report(store: ox.Store, queries: list[SavedQuery], out_dir: Path | None) -> Report:
    report = Report()
    for query in selected(queries):
        report.sections.append(Section(query, run_query(store, query.text, bind_params(query, {}))))
    if out_dir is not None:
        target = out_dir / "report.md"
        atomic_write_text(target, report.to_markdown())
        report.files.append(target)
    return report
