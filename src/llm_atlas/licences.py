"""Licences job: ``llm-atlas licences``, what each base's licence requires of its derivatives, with evidence.

The obligations come from :mod:`llm_atlas.obligations` (the saved query ``licence-obligations``, which applies
the licence-rule table, with the nearest base per licence, the path and the evidence of every edge). This job
checks the rule table first (the shapes of ``ontology/shapes.ttl`` that target atlas:LicenseRule: a broken
rule is an InvalidData with its file and line, exit 1), then writes, all at once or not at all:

- ``licences.md`` and ``licences.html``: the counts, every conflict and every derivation that needs review
  with its path, both licences, the rule (with the licence text and section it cites) and the evidence of
  every edge and of both licence statements, then the rules applied;
- ``licence-obligations.csv``: every derivative-base pair with its verdict; ``licence-conflicts.csv``: the
  conflicts alone. One row per pair, IRIs in full, the evidence as ``source <url> locator`` lists.

:func:`report_section` is the section ``llm-atlas report`` includes. Output is deterministic (no timestamps).
Not legal advice: docs/licences.md says what each verdict means and where the rules are unsure.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import InvalidData, Problem
from .layout import FILE_GRAPH_BASE, SHAPES_FILE, relpath_of_graph
from .markdown import md_escape, md_link, md_table, to_html
from .namespaces import ONTOLOGY, curie
from .obligations import VERDICT, VERDICT_ORDER, Assessment, Evidence, Obligation
from .outputs import check_out_dir, csv_text, write_files

TITLE = "Licence obligations along lineage"
FILES = ("licences.md", "licences.html", "licence-obligations.csv", "licence-conflicts.csv")
NOT_ADVICE = ("This is the atlas's reading of licence texts, applied to the licences its sources record; it is not legal "
              "advice. Training on data is legally unsettled: such derivations need review, they are never called a "
              "conflict. What each verdict means, the rules and their limits: docs/licences.md.")
CONFLICT = VERDICT + "conflict"
NEEDS_REVIEW = VERDICT + "needs-review"
NOT_ASSESSABLE = VERDICT + "not-assessable"
CSV_COLUMNS = ("verdict", "derivative", "derivative_iri", "derivation", "base", "base_iri", "path", "derivative_licence",
               "derivative_licence_iri", "base_licence", "base_licence_iri", "obligation", "certainty", "rule", "rule_iri",
               "rule_source", "rule_section", "path_evidence", "derivative_licence_evidence", "base_licence_evidence")
LICENSE_RULE = ONTOLOGY + "LicenseRule"


# -- the rule table is checked before it is used ---------------------------------------------------------------


def rule_problems(store: ox.Store, root: Path) -> list[Problem]:
    """Problems of the licence-rule table: the shapes that target atlas:LicenseRule, run on the ontology files.

    Cheap next to a full validation (the ontology only), so ``llm-atlas licences`` never answers from a broken
    table: a rule without a source, two rules for one licence and derivation, a conflict where the law is
    unsettled.
    """
    import rdflib
    from rdflib.namespace import SH

    from .shacl import Locator, shacl_problems, subject_files

    by_file: dict[str, list[ox.Quad]] = {}
    for graph in store.named_graphs():
        relpath = relpath_of_graph(graph.value) if isinstance(graph, ox.NamedNode) and graph.value.startswith(FILE_GRAPH_BASE) else None
        if relpath and relpath.startswith("ontology/") and relpath != SHAPES_FILE:
            by_file[relpath] = list(store.quads_for_pattern(None, None, None, graph))
    shapes_quads = list(store.quads_for_pattern(None, None, None, ox.NamedNode(FILE_GRAPH_BASE + SHAPES_FILE)))
    from .rdfbridge import graph_from_triples

    all_shapes = graph_from_triples(shapes_quads)
    rule_shapes = rdflib.Graph()
    wanted = set(all_shapes.subjects(SH.targetClass, rdflib.URIRef(LICENSE_RULE)))
    for shape in wanted:
        for triple in all_shapes.triples((shape, None, None)):
            rule_shapes.add(triple)
        for constraint in all_shapes.objects(shape, SH.sparql):
            for triple in all_shapes.triples((constraint, None, None)):
                rule_shapes.add(triple)
            for prefixes in all_shapes.objects(constraint, SH.prefixes):
                for triple in all_shapes.triples((prefixes, None, None)):
                    rule_shapes.add(triple)
                for declaration in all_shapes.objects(prefixes, SH.declare):
                    for triple in all_shapes.triples((declaration, None, None)):
                        rule_shapes.add(triple)
    if not wanted:
        return []
    data = [q for quads in by_file.values() for q in quads]
    return shacl_problems(data, rule_shapes, Locator(root, subject_files(by_file)))


def check_rules(store: ox.Store, root: Path) -> None:
    """Raise InvalidData (exit 1) when the licence-rule table is broken or empty."""
    problems = [p for p in rule_problems(store, root) if p.severity == "error"]
    if problems:
        raise InvalidData(problems, f"the licence-rule table has {len(problems)} problem(s): fix them before reading licence obligations")
    rules = next(iter(store.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"), ox.NamedNode(LICENSE_RULE), None)), None)
    if rules is None:
        raise InvalidData([Problem("ontology/vocabularies/license-rule.ttl", 0, 0, "license-rules-missing",
                                   "the atlas has no licence rules (atlas:LicenseRule): restore ontology/vocabularies/license-rule.ttl")],
                          "no licence rules in the atlas")


# -- the report --------------------------------------------------------------------------------------------------


@dataclass
class LicenceReport:
    """The assessment, written as Markdown, HTML and CSV."""

    assessment: Assessment
    stamp: str = ""
    files: list[Path] = field(default_factory=list)

    # counts

    def figures(self) -> list[tuple[str, int]]:
        a = self.assessment
        in_lineage = a.derivatives(kind=a.releases)
        return [
            ("model releases in the atlas", len(a.releases)),
            ("releases derived from a base whose licence has a rule", len(in_lineage)),
            ("releases that inherit an obligation (notices included)", len(a.inheriting_releases())),
            ("releases that inherit terms their licence must carry (share-alike, use restrictions, agreements, non-commercial)",
             len(a.flowing_releases())),
            ("releases with a conflict", len(a.conflicted_releases())),
            ("releases that need review", len(a.derivatives(verdict=NEEDS_REVIEW, kind=a.releases))),
            ("releases whose own licence is not stated or not identified", len(a.derivatives(verdict=NOT_ASSESSABLE, kind=a.releases))),
            ("datasets with a conflict", len(a.derivatives(verdict=CONFLICT, kind=a.datasets))),
            ("derivative-base pairs assessed (nearest base per licence)", len(a.obligations)),
            ("derivative-base pairs the saved query gives (every base)", a.rows),
        ]

    def _label(self, iri: str) -> str:
        return self.assessment.labels.get(iri) or curie(iri) or iri

    def _verdict_table(self) -> tuple[list[str], list[list[str]]]:
        counts = self.assessment.count_by("derivation", "verdict")
        derivations = sorted({d for d, _ in counts}, key=lambda d: self._label(d))
        verdicts = [v for v in VERDICT_ORDER if any(key[1] == v for key in counts)]
        headers = ["derivation"] + [self._label(v) for v in verdicts] + ["all"]
        rows = []
        for d in derivations:
            cells = [counts.get((d, v), 0) for v in verdicts]
            rows.append([self._label(d)] + [str(c) for c in cells] + [str(sum(cells))])
        totals = [sum(counts.get((d, v), 0) for d in derivations) for v in verdicts]
        rows.append(["all"] + [str(c) for c in totals] + [str(sum(totals))])
        return headers, rows

    # text

    def to_text(self) -> str:
        out = [TITLE, self.stamp, ""] if self.stamp else [TITLE, ""]
        width = max(len(name) for name, _ in self.figures())
        out += [f"{name:<{width}}  {value:>6}" for name, value in self.figures()]
        conflicts = self.assessment.conflicts()
        out += ["", f"conflicts ({len(conflicts)}):"]
        for o in conflicts:
            out.append(f"  {o.label(o.derivative)} [{o.label(o.derivative_licence) or 'not stated'}] <- "
                       f"{' <- '.join(o.label(s.base) for s in o.path) or o.label(o.base)} [{o.label(o.base_licence)}]  ({o.label(o.rule)})")
        return "\n".join(out) + "\n"

    # Markdown and HTML

    def _evidence_md(self, evidence: tuple[Evidence, ...]) -> str:
        parts = []
        for e in evidence:
            source = (curie(e.source) or e.source) if e.source else "no source"
            text = f"{source}: {e.locator}" if e.locator else source
            if e.says:
                text = f"{source} says {self._label(e.says)}" + (f" ({e.locator})" if e.locator else "")
            parts.append(md_link(text, e.url))
        return "; ".join(parts) if parts else md_escape("no source found")

    def _path_md(self, o: Obligation) -> str:
        if not o.path:
            return md_escape(f"{o.label(o.derivative)} → {o.label(o.base)}")
        items = [md_escape(o.label(o.path[0].derivative))]
        for step in o.path:
            items.append(f"*{md_escape(o.label(step.relation))}* {md_escape(o.label(step.base))}")
        return " → ".join(items)

    def _obligation_rows(self, obligations: list[Obligation]) -> list[list[str]]:
        rows = []
        for o in obligations:
            edges = " · ".join(f"{md_escape(o.label(s.relation))}: {self._evidence_md(s.evidence)}" for s in o.path) or md_escape("no path found")
            rows.append([
                self._path_md(o),
                md_escape(o.label(o.derivative_licence) or "not stated") + " — " + self._evidence_md(o.derivative_licence_evidence),
                md_escape(o.label(o.base_licence)) + " — " + self._evidence_md(o.base_licence_evidence),
                md_link(o.label(o.rule), o.rule_source) + " " + md_escape(f"({o.rule_section}; {o.label(o.obligation)}; {o.label(o.certainty)})"),
                edges,
            ])
        return rows

    def _section(self, title: str, about: str, obligations: list[Obligation], level: int, total: int | None = None) -> list[str]:
        out = [f"{'#' * level} {title} ({len(obligations) if total is None else total})", "", md_escape(about), ""]
        if obligations:
            out.append(md_table(["path (derivative → … → base)", "derivative's licence — evidence", "base's licence — evidence",
                                 "rule (text, section; obligation; certainty)", "evidence of each edge"],
                                self._obligation_rows(obligations), markup=True))
        else:
            out += ["_none_", ""]
        return out

    def to_markdown(self) -> str:
        a = self.assessment
        out = [f"# {TITLE}", ""]
        if self.stamp:
            out += [md_escape(self.stamp), ""]
        out += [md_escape(NOT_ADVICE), "", "## Figures", ""]
        out.append(md_table(["measure", "count"], [[name, str(value)] for name, value in self.figures()], {1}))
        headers, rows = self._verdict_table()
        out += ["## Verdicts by kind of derivation", "", md_table(headers, rows, set(range(1, len(headers))))]
        out += self._section("Conflicts", "The derivative's recorded licence drops or loosens terms its base's licence requires "
                                          "derivatives to keep.", a.conflicts(), 2)
        out += self._section("Needs review", "The atlas cannot decide: training on data or distillation where the law is unsettled, "
                                             "or a derivative licence that may carry the base's terms (another version of the same "
                                             "family).", [o for o in a.obligations if o.verdict == NEEDS_REVIEW], 2)
        out += ["## Cannot be assessed", "", md_escape("The base's licence requires something of the derivative, but no source "
                                                       "identifies the derivative's licence: by base licence (every pair is in "
                                                       "licence-obligations.csv)."), ""]
        missing: dict[str, int] = {}
        for o in a.obligations:
            if o.verdict == NOT_ASSESSABLE:
                missing[o.base_licence] = missing.get(o.base_licence, 0) + 1
        out.append(md_table(["base's licence", "pairs"], [[self._label(k), str(v)] for k, v in sorted(missing.items(), key=lambda kv: (-kv[1], kv[0]))], {1})
                   if missing else "_none_\n")
        out += ["## Rules applied", "", md_escape("Each rule of ontology/vocabularies/license-rule.ttl that decided at least one pair, "
                                                  "with the licence text it rests on."), ""]
        by_rule = a.count_by("rule", "verdict")
        rules = sorted({r for r, _ in by_rule}, key=lambda r: self._label(r))
        sources = {o.rule: (o.rule_source, o.rule_section, o.obligation, o.certainty) for o in a.obligations}
        rows = []
        for rule in rules:
            source, section, obligation, certainty = sources[rule]
            tally = ", ".join(f"{self._label(v)} {by_rule[(rule, v)]}" for v in VERDICT_ORDER if (rule, v) in by_rule)
            rows.append([md_escape(self._label(rule)), md_escape(self._label(obligation)), md_escape(self._label(certainty)),
                         md_link(section, source), md_escape(tally)])
        out.append(md_table(["rule", "obligation", "certainty", "licence text", "pairs"], rows, markup=True) if rows else "_none_\n")
        return "\n".join(out).rstrip() + "\n"

    def to_html(self) -> str:
        body = to_html(self.to_markdown())
        return "\n".join([
            "<!DOCTYPE html>",
            '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
            f"<title>{html.escape(TITLE)} · LLM Atlas</title>",
            "<style>body{font-family:system-ui,sans-serif;max-width:90em;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}"
            "div.table{overflow-x:auto;margin:1em 0}table{border-collapse:collapse;font-size:.85em}"
            "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top;max-width:32em;overflow-wrap:anywhere}"
            "th{background:#f3f3f3;position:sticky;top:0}td.num,th.num{text-align:right;white-space:nowrap}"
            "h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}</style>",
            "</head><body>", body, "</body></html>",
        ]) + "\n"

    # CSV

    @staticmethod
    def _evidence_csv(evidence: tuple[Evidence, ...]) -> str:
        parts = []
        for e in evidence:
            text = " ".join(x for x in (curie(e.source) or e.source, f"<{e.url}>" if e.url else "", e.locator) if x)
            if e.says:
                text += f" says {curie(e.says) or e.says}"
            parts.append(text)
        return " | ".join(parts)

    def _csv_row(self, o: Obligation) -> list[str]:
        path = "; ".join(f"{curie(s.derivative) or s.derivative} {curie(s.relation) or s.relation} {curie(s.base) or s.base}" for s in o.path)
        path_evidence = " || ".join(f"{curie(s.relation) or s.relation}: {self._evidence_csv(s.evidence)}" for s in o.path)
        return [o.label(o.verdict), o.label(o.derivative), o.derivative, o.label(o.derivation), o.label(o.base), o.base, path,
                o.label(o.derivative_licence) if o.derivative_licence else "", o.derivative_licence, o.label(o.base_licence),
                o.base_licence, o.label(o.obligation), o.label(o.certainty), o.label(o.rule), o.rule, o.rule_source, o.rule_section,
                path_evidence, self._evidence_csv(o.derivative_licence_evidence), self._evidence_csv(o.base_licence_evidence)]

    def to_csv(self, obligations: list[Obligation]) -> str:
        return csv_text(CSV_COLUMNS, (self._csv_row(o) for o in obligations))

    def render(self) -> dict[str, bytes]:
        a = self.assessment
        return {
            "licences.md": self.to_markdown().encode("utf-8"),
            "licences.html": self.to_html().encode("utf-8"),
            "licence-obligations.csv": self.to_csv(a.obligations).encode("utf-8"),
            "licence-conflicts.csv": self.to_csv(a.conflicts()).encode("utf-8"),
        }


def write_licences(assessment: Assessment, out_dir: str | Path, *, stamp: str = "") -> LicenceReport:
    """Write the four files into ``out_dir``, all at once or none (a bad folder is a UsageError, exit 2)."""
    out = check_out_dir(out_dir, "the licence report")
    report = LicenceReport(assessment, stamp)
    report.files = write_files(out, report.render())
    return report


def report_section(assessment: Assessment, *, level: int = 2, limit: int = 20, heading: bool = True) -> str:
    """The licence section of ``llm-atlas report``: the figures, the verdicts by derivation and the first
    ``limit`` conflicts (the whole list: ``llm-atlas licences``). Markdown; its own heading at ``level`` unless
    ``heading`` is false (the report's chapter heading stands for it), subsections one level down."""
    report = LicenceReport(assessment)
    out = ([f"{'#' * level} {TITLE}", ""] if heading else []) + [md_escape(NOT_ADVICE), ""]
    out.append(md_table(["measure", "count"], [[name, str(value)] for name, value in report.figures()], {1}))
    headers, rows = report._verdict_table()
    out += [md_table(headers, rows, set(range(1, len(headers))))]
    conflicts = assessment.conflicts()
    shown = conflicts[:limit]
    out += report._section("Conflicts", f"The derivative's recorded licence drops or loosens terms its base's licence requires "
                                        f"derivatives to keep{'' if len(shown) == len(conflicts) else f'; the first {len(shown)}'}. "
                                        "Every conflict, the derivations that need review and the CSV: `llm-atlas licences`.",
                           shown, level + 1 if heading else level, len(conflicts))
    out.append("Query: `queries/licence-obligations.rq`; rules: `ontology/vocabularies/license-rule.ttl`.")
    return "\n".join(out).rstrip() + "\n"


__all__ = ["LicenceReport", "write_licences", "report_section", "rule_problems", "check_rules", "FILES", "TITLE"]


# -- the rule table, for people ------------------------------------------------------------------------------------

RULES_BEGIN = "<!-- licence rules: generated by llm_atlas.licences.rules_markdown; pytest --update-goldens rewrites it -->"
RULES_END = "<!-- end of licence rules -->"


def rules_markdown(store: ox.Store) -> str:
    """The licence-rule table as a Markdown table, one row per rule, in the order of their labels (docs/licences.md)."""
    a = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    pref = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")

    def values(node, prop: str) -> list:
        return sorted({q.object for q in store.quads_for_pattern(node, ox.NamedNode(prop), None, None)}, key=lambda t: t.value)

    def label(node) -> str:
        found = values(node, pref.value)
        return found[0].value if found else node.value

    def licence(node) -> str:
        return node.value.rsplit("/", 1)[-1].removesuffix(".html")

    rows = []
    rules = {q.subject for q in store.quads_for_pattern(None, a, ox.NamedNode(LICENSE_RULE), None)}
    for rule in sorted(rules, key=lambda r: (label(r), r.value)):
        about = [licence(n) for n in values(rule, ONTOLOGY + "appliesToLicense")]
        about += [f"category: {label(n)}" for n in values(rule, ONTOLOGY + "appliesToCategory")]
        kinds = sorted(label(n) for n in values(rule, ONTOLOGY + "appliesToDerivation"))
        same = [v.value for v in values(rule, ONTOLOGY + "satisfiedBySameLicense")]
        carries = (["the same licence"] if same == ["true"] else []) + sorted(licence(n) for n in values(rule, ONTOLOGY + "satisfiedBy"))
        review = sorted(licence(n) for n in values(rule, ONTOLOGY + "reviewWith"))
        source = values(rule, "http://purl.org/dc/terms/source")
        section = values(rule, ONTOLOGY + "locator")
        rows.append([md_escape(label(rule)), md_escape(", ".join(about)), md_escape(", ".join(kinds)),
                     md_escape(", ".join(label(n) for n in values(rule, ONTOLOGY + "obligation"))),
                     md_escape(", ".join(carries) or "none"), md_escape(", ".join(review) or "—"),
                     md_escape(", ".join(label(n) for n in values(rule, ONTOLOGY + "otherwiseVerdict"))),
                     md_escape(", ".join(label(n) for n in values(rule, ONTOLOGY + "ruleCertainty"))),
                     md_link(section[0].value if section else "text", source[0].value if source else "")])
    return md_table(["rule", "licences", "derivations", "obligation", "carry the terms", "review with", "any other licence",
                     "certainty", "licence text"], rows, markup=True)
