"""What a change does to the ontology: every rule, term and label it adds, removes or changes.

A change under ontology/ changes what valid data is (a shape) or what every answer says (a label that every
report prints): the contribution check lists each such difference as a warning for the reviewer, at the line
of the term in its file. Blank nodes (the property shapes and lists of a shape) are compared by structure,
as part of the named node they hang from.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pyoxigraph as ox

from .errors import Problem
from .loader import LineIndex
from .namespaces import ONTOLOGY, PREFIXES

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
TEXT_PREDICATES = {
    "http://www.w3.org/2000/01/rdf-schema#label": "label",
    "http://www.w3.org/2004/02/skos/core#prefLabel": "label",
    "http://www.w3.org/2004/02/skos/core#altLabel": "alternative label",
    "http://www.w3.org/2004/02/skos/core#definition": "definition",
    "http://www.w3.org/2000/01/rdf-schema#comment": "comment",
    "http://purl.org/dc/terms/description": "description",
    "http://www.w3.org/ns/shacl#message": "message",
}
NAMES = {**PREFIXES, "shape": ONTOLOGY + "shapes/"}  # the shapes' own prefix, as shapes.ttl writes it
MAX_LISTED = 6  # triples shown per changed node; the rest are counted


def _short(term) -> str:
    if isinstance(term, ox.NamedNode):
        best = max((p for p, ns in NAMES.items() if term.value.startswith(ns) and len(term.value) > len(ns)),
                   key=lambda p: len(NAMES[p]), default=None)
        return f"{best}:{term.value[len(NAMES[best]):]}" if best else f"<{term.value}>"
    return str(term)


def describe(quads: list[ox.Quad]) -> dict[str, dict[str, set[str]]]:
    """Named subject -> predicate -> written objects, blank-node objects written out by their structure."""
    by_subject: dict = defaultdict(list)
    for q in quads:
        by_subject[q.subject].append(q)

    def written(term, depth: int = 0) -> str:
        if isinstance(term, ox.BlankNode):
            if depth > 40:
                return "[...]"
            inner = sorted(f"{_short(q.predicate)} {written(q.object, depth + 1)}" for q in by_subject.get(term, []))
            return "[ " + " ; ".join(inner) + " ]"
        return _short(term)

    out: dict[str, dict[str, set[str]]] = {}
    for subject, triples in by_subject.items():
        if isinstance(subject, ox.NamedNode):
            node = out.setdefault(subject.value, defaultdict(set))
            for q in triples:
                node[q.predicate.value].add(written(q.object))
    return out


def ontology_changes(old: dict[str, list[ox.Quad]], new: dict[str, list[ox.Quad]], texts: dict[str, str]) -> list[Problem]:
    """Warnings (rule ``ontology-changed``) for every named node of ontology/ whose description differs.

    ``old`` and ``new`` map each ontology file to its quads at the base and now; ``texts`` the new files' text.
    """
    def index(files: dict[str, list[ox.Quad]]) -> tuple[dict, dict[str, str]]:
        nodes: dict = {}
        where: dict[str, str] = {}
        for relpath in sorted(files):
            for subject, predicates in describe(files[relpath]).items():
                merged = nodes.setdefault(subject, defaultdict(set))
                for predicate, objects in predicates.items():
                    merged[predicate] |= objects
                where.setdefault(subject, relpath)
        return nodes, where

    before, old_where = index(old)
    after, new_where = index(new)
    lines: dict[str, LineIndex] = {}
    problems = []
    for subject in sorted(set(before) | set(after)):
        a, b = before.get(subject, {}), after.get(subject, {})
        if a == b:
            continue
        is_rule = any("sh:NodeShape" in node.get(RDF_TYPE, ()) for node in (a, b))
        kind = "rule" if is_rule else "term"
        name = _short(ox.NamedNode(subject))
        relpath = new_where.get(subject) or old_where.get(subject, "ontology")
        line = 1
        if subject in new_where and relpath in texts:
            if relpath not in lines:
                declared = {m.group(1) or "": m.group(2) for m in re.finditer(r"^\s*@prefix\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", texts[relpath], re.MULTILINE)}
                lines[relpath] = LineIndex(texts[relpath], NAMES | declared)
            line = lines[relpath].subject_line(subject) or 1
        if not a:
            message = f"{kind} {name} is new"
        elif not b:
            message = f"{kind} {name} is removed: data or queries that use it change meaning"
        else:
            parts = []
            for predicate in sorted(set(a) | set(b)):
                gone, came = sorted(a.get(predicate, set()) - b.get(predicate, set())), sorted(b.get(predicate, set()) - a.get(predicate, set()))
                if not (gone or came):
                    continue
                what = TEXT_PREDICATES.get(predicate)
                if what:
                    parts.append(f"{what} {' / '.join(gone) or '(none)'} -> {' / '.join(came) or '(none)'}")
                else:
                    parts += [f"- {_short(ox.NamedNode(predicate))} {o}" for o in gone] + [f"+ {_short(ox.NamedNode(predicate))} {o}" for o in came]
            shown = parts[:MAX_LISTED] + ([f"... and {len(parts) - MAX_LISTED} more"] if len(parts) > MAX_LISTED else [])
            consequence = ("what valid data is changes with it" if is_rule else
                           "every answer and page that shows it changes" if any(TEXT_PREDICATES.get(p) for p in set(a) | set(b)
                                                                                  if a.get(p) != b.get(p)) else
                           "what the data means changes with it")
            message = f"{kind} {name} is changed ({'; '.join(shown)}): {consequence}"
        problems.append(Problem(relpath, line, 1, "ontology-changed", message + "; a maintainer reviews it", "warning", subject))
    return problems
