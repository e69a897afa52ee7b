"""Hand triples from pyoxigraph to rdflib (for pySHACL and the formatter) without a text round trip."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib
from rdflib.plugins.sparql import prepareQuery

from .namespaces import XSD_STRING, shorten



def to_rdflib(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        # rdflib keeps "x" and "x"^^xsd:string apart; RDF 1.1 says they are the same term.
        if datatype == XSD_STRING:
            return rdflib.Literal(term.value)
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(datatype))
    raise TypeError(f"unsupported term {term!r}")


class PreparedQueryGraph(rdflib.Graph):
    """An rdflib graph that parses each distinct SPARQL text once.

    pySHACL runs a SPARQL-based constraint once per focus node with the same text; rdflib would parse
    it every time, which is most of the cost of a validation (measured: 85 % of the time on the
    fixture graph). Results are unchanged: the prepared query is what rdflib would have built.
    """

    _prepared: dict = {}

    def query(self, query_object, processor="sparql", result="sparql", initNs=None, initBindings=None, use_store_provided=True, **kwargs):
        if isinstance(query_object, str):
            namespaces = dict(initNs) if initNs else dict(self.namespaces())
            key = (query_object, tuple(sorted((k, str(v)) for k, v in namespaces.items())), kwargs.get("base"))
            prepared = self._prepared.get(key)
            if prepared is None:
                prepared = prepareQuery(query_object, initNs=namespaces, base=kwargs.get("base"))
                self._prepared[key] = prepared
            query_object = prepared
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


def graph_from_triples(triples: Iterable, graph: rdflib.Graph | None = None) -> rdflib.Graph:
    """An rdflib graph of pyoxigraph triples or quads (graph names dropped)."""
    graph = graph if graph is not None else rdflib.Graph()
    for t in triples:
        graph.add((to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object)))
    return graph


def compact(term: rdflib.term.Node | str | None) -> str:
    """A readable form of a term: a shared-prefix name where one fits, else <IRI> or the literal."""
    if term is None:
        return ""
    if isinstance(term, rdflib.Literal):
        return term.n3()
    text = str(term)
    if isinstance(term, rdflib.BNode):
        return "_:" + text
    return shorten(text)
