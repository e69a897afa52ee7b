"""Deterministic TriG for import files: the same quads give the same bytes.

Layout: the shared prefixes the file uses; the default graph's subjects (the import, its records, the
claims it adds to curated entities); then one block per record graph, sorted by graph IRI, its subjects at
column 1 so that problems can be located by line (see :class:`llm_atlas.loader.LineIndex`). Within a
subject, ``rdf:type`` first, then labels and descriptions, then the other predicates sorted by their
written name; objects sorted by their written form.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

import pyoxigraph as ox

from ..namespaces import PREFIXES

_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_XSD = "http://www.w3.org/2001/XMLSchema#"
_LEADING = (
    _RDF_TYPE,
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "http://purl.org/dc/terms/description",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#subject",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#predicate",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#object",
)
# PN_LOCAL without escapes: what can follow "prefix:" as is (no trailing dot, no leading hyphen).
_PLAIN_LOCAL = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.\-]*[A-Za-z0-9_\-])?$")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
# longest namespace first, so that "model:" wins over a shorter namespace it extends
_NAMESPACES = sorted(PREFIXES.items(), key=lambda item: -len(item[1]))


def quote(value: str) -> str:
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


class TermWriter:
    """Writes terms with the shared prefixes, remembering which prefixes were used."""

    def __init__(self):
        self.used: set[str] = set()

    def iri(self, value: str) -> str:
        for prefix, namespace in _NAMESPACES:
            if value.startswith(namespace):
                local = value[len(namespace):]
                if local and _PLAIN_LOCAL.match(local):
                    self.used.add(prefix)
                    return f"{prefix}:{local}"
                break
        return f"<{value}>"

    def term(self, term) -> str:
        if isinstance(term, ox.NamedNode):
            return self.iri(term.value)
        if isinstance(term, ox.Literal):
            if term.language:
                return f"{quote(term.value)}@{term.language}"
            datatype = term.datatype.value
            if datatype == _XSD + "string":
                return quote(term.value)
            if datatype == _XSD + "integer" and re.fullmatch(r"-?(0|[1-9][0-9]*)", term.value):
                return term.value
            if datatype == _XSD + "boolean" and term.value in ("true", "false"):
                return term.value
            return f"{quote(term.value)}^^{self.iri(datatype)}"
        raise TypeError(f"import files hold IRIs and literals only, not {term!r}")


def _predicate_key(writer: TermWriter, predicate: str) -> tuple:
    if predicate in _LEADING:
        return (0, _LEADING.index(predicate), "")
    return (1, 0, writer.iri(predicate))


def _subject_blocks(writer: TermWriter, triples: Iterable[tuple]) -> list[str]:
    by_subject: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for subject, predicate, obj in triples:
        by_subject[subject.value][predicate.value].add(writer.term(obj))
    blocks = []
    for subject in sorted(by_subject):
        predicates = by_subject[subject]
        lines = []
        for predicate in sorted(predicates, key=lambda p: _predicate_key(writer, p)):
            head = "a" if predicate == _RDF_TYPE else writer.iri(predicate)
            lines.append(f"{head} {', '.join(sorted(predicates[predicate]))}")
        blocks.append(writer.iri(subject) + " " + " ;\n    ".join(lines) + " .\n")
    return blocks


def render(quads: Iterable[ox.Quad], header: str = "") -> str:
    """The TriG text of ``quads`` (graph names: ox.DefaultGraph or record graph IRIs)."""
    default: list[tuple] = []
    graphs: dict[str, list[tuple]] = defaultdict(list)
    for q in quads:
        if isinstance(q.graph_name, ox.DefaultGraph):
            default.append((q.subject, q.predicate, q.object))
        else:
            graphs[q.graph_name.value].append((q.subject, q.predicate, q.object))
    writer = TermWriter()
    body = ["\n".join(_subject_blocks(writer, default))] if default else []
    for name in sorted(graphs):
        body.append(f"{writer.iri(name)} {{\n" + "".join(_subject_blocks(writer, graphs[name])) + "}\n")
    prefixes = "".join(f"@prefix {p}: <{PREFIXES[p]}> .\n" for p in sorted(writer.used))
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines()) if header else ""
    return comment + ("\n" if comment else "") + prefixes + "\n" + "\n".join(body)
