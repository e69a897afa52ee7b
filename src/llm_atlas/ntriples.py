"""Sorted N-Triples: the one line-per-triple form, the same bytes for the same graph.

Used wherever triples are written one a line for people or machines to compare: ``export`` (``atlas.nt``,
and the order of every other dump), ``publish`` (each graph's upload), ``query`` (CONSTRUCT and DESCRIBE
answers) and the endpoint. Blank nodes, which pyoxigraph labels at random on every parse, are renamed after
their content first, so that equal data gives equal text.

>>> import pyoxigraph as ox
>>> a, b = ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/b")
>>> print(sorted_ntriples([ox.Triple(b, a, ox.Literal("2")), ox.Triple(a, a, b)]).decode(), end="")
<http://example.org/a> <http://example.org/a> <http://example.org/b> .
<http://example.org/b> <http://example.org/a> "2" .
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from typing import TypeVar

import pyoxigraph as ox

from .namespaces import RDF_TYPE

_TYPE = ox.NamedNode(RDF_TYPE)
QuadOrTriple = TypeVar("QuadOrTriple", ox.Quad, ox.Triple)


def term_order(term) -> tuple:
    """Sort key of a term: IRIs by their text (an entity before the claims of its fragments), then blank
    nodes, then literals and triple terms by their N-Triples text."""
    if isinstance(term, ox.NamedNode):
        return (0, term.value)
    if isinstance(term, ox.BlankNode):
        return (1, term.value)
    if isinstance(term, ox.DefaultGraph):
        return (-1, "")
    return (2, str(term))


def triple_order(t) -> tuple:
    """Subjects in order, ``rdf:type`` first among a subject's triples, then predicates and objects."""
    return (term_order(t.subject), t.predicate != _TYPE, t.predicate.value, term_order(t.object))


def canonical_blank_nodes(statements: Iterable[QuadOrTriple]) -> list[QuadOrTriple]:
    """The quads (or triples) with every blank node renamed after its content.

    A label is a hash of the node's neighbourhood, refined until stable (colour refinement), with a counter
    for nodes no refinement can tell apart. That is exact for the tree-shaped blank nodes Turtle writes.
    """
    statements = list(statements)
    blanks = sorted({t.value for q in statements for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)})
    if not blanks:
        return statements
    colour = {b: "" for b in blanks}

    def show(term) -> str:
        return "_:" + colour[term.value] if isinstance(term, ox.BlankNode) else str(term)

    def graph_of(q) -> str:
        return str(q.graph_name) if isinstance(q, ox.Quad) else ""

    touching = [q for q in statements if isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode)]
    classes = 1
    for _ in range(len(blanks) + 1):
        signature: dict[str, list[str]] = {b: [] for b in blanks}
        for q in touching:
            if isinstance(q.subject, ox.BlankNode):
                signature[q.subject.value].append(f"out {q.predicate} {show(q.object)} {graph_of(q)}")
            if isinstance(q.object, ox.BlankNode):
                signature[q.object.value].append(f"in {show(q.subject)} {q.predicate} {graph_of(q)}")
        colour = {b: hashlib.sha256("\n".join(sorted(sig)).encode()).hexdigest()[:20] for b, sig in signature.items()}
        count = len(set(colour.values()))
        if count == classes:
            break
        classes = count
    labels: dict[str, str] = {}
    seen: dict[str, int] = defaultdict(int)
    for b in sorted(blanks, key=lambda b: (colour[b], b)):
        n = seen[colour[b]]
        seen[colour[b]] += 1
        labels[b] = f"b{colour[b]}" + (f"x{n}" if n else "")

    def rename(term):
        return ox.BlankNode(labels[term.value]) if isinstance(term, ox.BlankNode) else term

    return [ox.Quad(rename(q.subject), q.predicate, rename(q.object), q.graph_name) if isinstance(q, ox.Quad)
            else ox.Triple(rename(q.subject), q.predicate, rename(q.object)) for q in statements]


def sorted_triples(statements: Iterable[ox.Triple | ox.Quad]) -> list[ox.Triple]:
    """The distinct triples of some triples or quads (graph names dropped), blank nodes named, sorted."""
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in statements}
    return sorted(canonical_blank_nodes(triples), key=triple_order)


def sorted_ntriples(statements: Iterable[ox.Triple | ox.Quad]) -> bytes:
    """The distinct triples as N-Triples, one a line, in :func:`triple_order`."""
    return ox.serialize(sorted_triples(statements), format=ox.RdfFormat.N_TRIPLES)


__all__ = ["term_order", "triple_order", "canonical_blank_nodes", "sorted_triples", "sorted_ntriples"]
