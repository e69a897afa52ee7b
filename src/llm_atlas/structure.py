"""Checks that SHACL cannot make: how entities map to files.

One primary entity per file of graph/, its IRI named by the file's path, the class its folder promises,
nodes it owns named by fragments of its IRI, no blank nodes, and only the shared prefixes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import pyoxigraph as ox

from .errors import Problem
from .layout import GRAPH_DIR
from .loader import LineIndex
from .namespaces import BASE, KINDS, PREFIXES, RDF_TYPE, SLUG

_PREFIX_LINE = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE)


def expected_iri(relpath: str) -> tuple[str, str, str] | None:
    """(kind, slug, IRI) that a file path under graph/ names, or None if the path has no such shape."""
    parts = relpath.split("/")
    if len(parts) != 3 or parts[0] != GRAPH_DIR or not parts[2].endswith(".ttl"):
        return None
    kind, slug = parts[1], parts[2][: -len(".ttl")]
    return kind, slug, f"{BASE}{kind}/{slug}"


def check_file(relpath: str, quads: Iterable[ox.Quad], text: str) -> list[Problem]:
    """Problems of one graph/ file, given its triples and its text (for prefixes and line numbers)."""
    problems: list[Problem] = []
    declarations: list[tuple[str, str, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = _PREFIX_LINE.match(line)
        if match:
            declarations.append((match.group(1) or "", match.group(2), number))
    index = LineIndex(text, {p: iri for p, iri, _ in declarations})

    def add(rule: str, message: str, line: int = 0, focus: str = "", col: int = 0) -> None:
        problems.append(Problem(relpath, line, col, rule, message, focus=focus))

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
    if not SLUG.match(slug):
        add("entity-path", f"file name {slug!r} is not a slug: lowercase letters, digits and single hyphens, e.g. open-llm-leaderboard.ttl")

    subjects: set[str] = set()
    types: dict[str, set[str]] = {}
    for quad in quads:
        for term in (quad.subject, quad.object):
            if isinstance(term, ox.BlankNode):
                add("blank-node", "blank nodes are not allowed: name the node with a fragment of the entity IRI, e.g. <" + iri + "#claim-name>")
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
        if owner != iri or not SLUG.match(fragment):
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
