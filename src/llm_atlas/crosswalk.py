"""``llm-atlas openness``: the text of one release's openness, the crosswalk's files, and the report's section.

What is computed (the facts, each framework's verdict, the comparison of the two indexes) is
:mod:`llm_atlas.openness`, in the core, which the report and the release pages of ``llm-atlas serve`` share;
this job only writes it: :func:`release_text` (``llm-atlas openness RELEASE``), :func:`write_crosswalk`
(``--crosswalk``: openness-crosswalk.md/.html/.csv and openness-mismatches.csv, all or nothing) and
:func:`report_section` (the report's chapter). Output is deterministic.
"""

from __future__ import annotations

from pathlib import Path

from .markdown import md_escape, md_table, to_html
from .namespaces import curie
from .openness import (
    DIFFERENT_FACTS,
    HEADERS,
    OWN_RULES,
    Crosswalk,
    ReleaseOpenness,
    Rules,
    figures,
    label_of,
    source_name,
    table_row,
)
from .outputs import csv_text, write_files

FILES = ("openness-crosswalk.md", "openness-crosswalk.html", "openness-crosswalk.csv", "openness-mismatches.csv")


def release_text(r: ReleaseOpenness, rules: Rules | None = None) -> str:
    out = [f"Openness of {r.label} <{r.iri}>", ""]
    if not r.facts:
        out.append("No openness index describes this release's components.")
        return "\n".join(out) + "\n"
    for source, components in sorted(r.facts.items()):
        out.append(f"## Component facts: {source_name(source)}")
        for component, fact in sorted(components.items(), key=lambda kv: kv[0]):
            name = rules.label(component) if rules else curie(component) or component
            out.append(f"- {name}: {fact.describe()}")
            details = [d for d in (fact.location, f"{fact.evidence} {fact.locator}".strip()) if d]
            if details:
                out.append(f"    evidence: {'; '.join(details)}")
        out.append("")
        out.append(f"## Verdicts from the {source_name(source)}'s facts")
        for verdict in r.verdicts.get(source, []):
            out.append(f"- {verdict.framework}: {verdict.value}")
            for line in verdict.why:
                out.append(f"    {line}")
        out.append("")
    if r.published:
        out.append("## OSAI classes as the index published them")
        for dimension, (cls, judgement) in sorted(r.published.items()):
            out.append(f"- {rules.label(dimension) if rules else curie(dimension)}: {cls} ({judgement})")
        out.append("")
    out.append("## Mismatches")
    if not r.mismatches:
        out.append("none" if r.both else "none (only one index describes this release: nothing to compare with the other)")
    for m in r.mismatches:
        out.append(f"- {m.framework} [{m.kind}]: {m.published} vs {m.derived}")
        for e in m.evidence:
            out.append(f"    {e}")
    return "\n".join(out) + "\n"


def crosswalk_markdown(c: Crosswalk, *, stamp: str = "") -> str:
    out = ["# Openness crosswalk: the Model Openness Tool and the European Open Source AI Index", ""]
    if stamp:
        out += [md_escape(stamp), ""]
    out += [md_escape("Each framework's verdict derived from each index's component facts (docs/openness.md). The Model Openness "
                      "Tool's snapshot holds no published class: its MOF class is computed by the tool's own rules from its record."), ""]
    out += [md_table(["figure", "value"], [[k, v] for k, v in figures(c)]), ""]
    out += ["## Releases both indexes assess", ""]
    out += [md_table([h.replace("_", " ") for h in HEADERS if h != "release_iri"],
                     [[x for i, x in enumerate(table_row(r, c.rules)) if i != 1] for r in c.releases]), ""]
    out += ["## Mismatches", ""]
    rows = [[label_of(c, m.release), m.framework, m.kind, m.published, m.derived, " / ".join(m.evidence)] for m in c.mismatches()]
    out += [md_table(["release", "framework", "kind", "index says", "rules give", "evidence"], rows) if rows else "none", ""]
    return "\n".join(out)


def crosswalk_text(c: Crosswalk) -> str:
    out = ["Openness crosswalk: the Model Openness Tool and the European Open Source AI Index"]
    out += [f"  {k}: {v}" for k, v in figures(c)]
    return "\n".join(out) + "\n"


def _csv(headers: list[str], rows: list[list[str]]) -> bytes:
    return csv_text(headers, rows).encode("utf-8")


def write_crosswalk(c: Crosswalk, out: Path, *, stamp: str = "") -> list[Path]:
    markdown = crosswalk_markdown(c, stamp=stamp)
    files = {
        "openness-crosswalk.md": markdown.encode("utf-8"),
        "openness-crosswalk.html": to_html(markdown).encode("utf-8"),
        "openness-crosswalk.csv": _csv(HEADERS, [table_row(r, c.rules) for r in c.releases]),
        "openness-mismatches.csv": _csv(["release", "release_iri", "framework", "kind", "index", "index_says", "rules_give", "evidence"],
                                        [[label_of(c, m.release), m.release, m.framework, m.kind, m.index, m.published, m.derived,
                                          " | ".join(m.evidence)] for m in c.mismatches()]),
    }
    return write_files(out, files)


def report_section(c: Crosswalk, *, level: int = 2, heading: bool = True) -> str:
    """The report's chapter: the crosswalk's figures and its table, or a sentence when no release is described by
    both indexes (nothing to compare: the figures would be all zeros)."""
    hashes = "#" * level
    out = [f"{hashes} Openness under several frameworks", ""] if heading else []
    out += [md_escape("The Model Openness Framework's class, the Open Source AI Definition's verdict and the European Open Source "
                      "AI Index's classes, each derived from each openness index's component facts and compared (docs/openness.md).")
            + " `llm-atlas openness RELEASE` " + md_escape("shows one release's facts, verdicts and why (so does its page in")
            + " `llm-atlas serve`" + md_escape(");") + " `llm-atlas openness --crosswalk` "
            + md_escape("writes this table and every mismatch with its evidence as CSV."), ""]
    if not c.releases and not c.mot_only and not c.osai_only:
        out += [md_escape("No release is described by an openness index: there is nothing to compare (import") + " `mot` "
                + md_escape("and") + " `osai-index`" + md_escape(")."), ""]
        return "\n".join(out)
    out += [md_table(["figure", "value"], [[k, v] for k, v in figures(c)]), ""]
    if not c.releases:
        out += ["No release is described by both indexes: there is nothing to compare.", ""]
        return "\n".join(out)
    kinds = {OWN_RULES: 0, DIFFERENT_FACTS: 0}
    for m in c.mismatches():
        kinds[m.kind] += 1
    out += [f"{hashes}# Releases both indexes assess ({len(c.releases)})", ""]
    out += [md_table([h.replace("_", " ") for h in HEADERS if h != "release_iri"],
                     [[x for i, x in enumerate(table_row(r, c.rules)) if i != 1] for r in c.releases]), ""]
    out += [md_escape(f"{kinds[OWN_RULES]} mismatches where an index is {OWN_RULES}, {kinds[DIFFERENT_FACTS]} where {DIFFERENT_FACTS}: "
                      "openness-mismatches.csv of") + " `llm-atlas openness --crosswalk` " + md_escape("lists each with its evidence."), ""]
    out += ["Query: `queries/openness-components.rq`", ""]
    return "\n".join(out)


__all__ = ["FILES", "release_text", "crosswalk_markdown", "crosswalk_text", "write_crosswalk", "report_section"]
