"""Checks that SHACL cannot make: how entities map to files, and what each folder may hold.

Every file: the term rules (llm_atlas.terms). A file of graph/: one primary entity, its IRI named by the
file's path, the class its folder promises, nodes it owns named by fragments of its IRI, no blank nodes, and
only the shared prefixes. A file of ontology/: only the ontology's own terms (and external terms it
annotates), never atlas entities or claims about them, which belong in graph/.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

from .errors import Problem
from .layout import GRAPH_DIR, ONTOLOGY_DIR
from .loader import LineIndex, blank_node_position
from .namespaces import BASE, KINDS, ONTOLOGY, PREFIXES, RDF_TYPE, SLUG
from .terms import term_problems

_PREFIX_LINE = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


def expected_iri(relpath: str) -> tuple[str, str, str] | None:
    """(kind, slug, IRI) that a file path under graph/ names, or None if the path has no such shape."""
    parts = relpath.split("/")
    if len(parts) != 3 or parts[0] != GRAPH_DIR or not parts[2].endswith(".ttl"):
        return None
    kind, slug = parts[1], parts[2][: -len(".ttl")]
    return kind, slug, f"{BASE}{kind}/{slug}"


def check_file(relpath: str, quads: Iterable[ox.Quad], text: str) -> list[Problem]:
    """Problems of one file, given its triples and its text (for prefixes and line numbers)."""
    quads = list(quads)
    problems = term_problems(relpath, quads, text)
    if relpath.startswith(ONTOLOGY_DIR + "/"):
        return problems + ontology_scope(relpath, quads, text)
    if relpath.startswith(GRAPH_DIR + "/"):
        return problems + _entity_file(relpath, quads, text)
    return problems


def ontology_scope(relpath: str, quads: list[ox.Quad], text: str) -> list[Problem]:
    """An ontology file describes ontology terms: a triple about an atlas entity or its claims is refused.

    The ontology is validated with the data, so a fact written there (a sponsor, a country, with a claim
    that backs it) would otherwise reach every answer without going through graph/ and its rules.
    """
    index = LineIndex(text, _declared(text))
    problems = []
    for subject in sorted({q.subject.value for q in quads if isinstance(q.subject, ox.NamedNode)}):
        if subject.startswith(BASE) and not subject.startswith(ONTOLOGY):
            problems.append(Problem(relpath, index.subject_line(subject) or 1, 1, "ontology-scope",
                                    f"ontology/ holds the ontology's terms, concepts and shapes; <{subject}> is atlas data: "
                                    "describe it in its file under graph/ (docs/data-model.md)", focus=subject))
    return problems


def _declared(text: str) -> dict[str, str]:
    return {m.group(1) or "": m.group(2) for m in map(_PREFIX_LINE.match, text.splitlines()) if m}


def _entity_file(relpath: str, quads: list[ox.Quad], text: str) -> list[Problem]:
    problems: list[Problem] = []
    declarations: list[tuple[str, str, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _PREFIX_LINE.match(line)
        if match:
            declarations.append((match.group(1) or "", match.group(2), number))
    index = LineIndex(text, {p: iri for p, iri, _ in declarations})

    def add(rule: str, message: str, line: int = 1, focus: str = "", col: int = 1) -> None:
        problems.append(Problem(relpath, line or 1, col, rule, message, focus=focus))

    for prefix, iri, line in declarations:  # every declaration: a prefix may be bound twice
        if PREFIXES.get(prefix) != iri:
            wanted = f" (the shared list has {prefix}: <{PREFIXES[prefix]}>)" if prefix in PREFIXES else ""
            add("shared-prefixes", f"prefix {prefix}: <{iri}> is not in the project's shared list{wanted}; use the prefixes of docs/data-model.md", line, col=1)

    expected = expected_iri(relpath)
    if expected is None:
        add("entity-path", "entity files live at graph/<kind>/<slug>.ttl")
        return problems
    kind, slug, iri = expected
    if kind not in KINDS:
        add("entity-path", f"unknown kind folder graph/{kind}/: use one of {', '.join(sorted(KINDS))}")
        return problems
    if not SLUG.fullmatch(slug):  # fullmatch: the pattern's $ would let a trailing newline through
        add("entity-path", f"file name {slug!r} is not a slug: lowercase letters, digits and single hyphens, e.g. open-llm-leaderboard.ttl")

    subjects: set[str] = set()
    types: dict[str, set[str]] = {}
    for quad in quads:
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.BlankNode):
                line, col = blank_node_position(text)
                add("blank-node", "blank nodes are not allowed: name the node with a fragment of the entity IRI, e.g. <" + iri + "#claim-name>", line, col=col)
                break
        if isinstance(quad.subject, ox.NamedNode):
            subjects.add(quad.subject.value)
            if quad.predicate.value == RDF_TYPE and isinstance(quad.object, ox.NamedNode):
                types.setdefault(quad.subject.value, set()).add(quad.object.value)
    primaries = sorted(s for s in subjects if "#" not in s)
    if len(primaries) != 1 or primaries[0] != iri:
        others = [p for p in primaries if p != iri]
        if others:
            for other in others:
                add("entity-per-file", f"this file is graph/{kind}/{slug}.ttl, so it describes <{iri}> and nothing else; <{other}> belongs in a file of its own", index.subject_line(other), other)
        if iri not in primaries:
            add("entity-path", f"the file's path names <{iri}>, but the file does not describe it: rename the file or fix the subject IRI", 1, iri)
    elif KINDS[kind] not in types.get(iri, set()):
        add("entity-class", f"an entity in graph/{kind}/ has rdf:type <{KINDS[kind]}>", index.subject_line(iri), iri)
    for subject in sorted(subjects):
        if "#" not in subject:
            continue
        owner, fragment = subject.split("#", 1)
        if owner != iri or not SLUG.fullmatch(fragment):
            add("owned-node", f"a node in this file is named <{iri}#name> with a slug-like name; <{subject}> is not", index.subject_line(subject), subject)
    # Dedupe repeated blank-node reports: one per file is enough to act on.
    seen: set[tuple] = set()
    unique = []
    for p in problems:
        key = (p.rule, p.focus, p.line, p.message)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique
