"""Remote queries: run the saved queries against any SPARQL 1.1 endpoint (``llm-atlas query --endpoint``).

>>> from llm_atlas import Atlas, remote
>>> atlas = Atlas.open()                                                              # doctest: +SKIP
>>> remote.remote_query("http://localhost:7878/query", atlas.saved_query("dependents"),
...                     {"artifact": "dataset:common-crawl"}).rows                   # doctest: +SKIP

The answer is the same :class:`~llm_atlas.query.QueryResult` the embedded store gives, so every output
format works unchanged.

**Which graph the query sees.** Locally a query runs over the union of the file graphs. A remote endpoint
answers over its own default graph. When that graph has data (``llm-atlas serve``, ``oxigraph serve
--union-default-graph``, Fuseki's ``tdb2:unionDefaultGraph``, the ``atlas.nt`` dump loaded into the default
graph) the query runs on it; when it is empty, as on a store ``llm-atlas publish`` filled, the atlas's file
graphs on the endpoint are named as the query's default graph with the protocol's ``default-graph-uri``
parameters, which any SPARQL 1.1 endpoint honours. One ``ASK`` finds out which; ``atlas_graphs`` decides
instead when given. The requests go through :mod:`llm_atlas.sparql_client`.

**Parameters.** A remote endpoint has no equivalent of pyoxigraph's substitutions, and splicing values into
the text is how injections happen. The values are bound instead with a SPARQL 1.1 ``VALUES`` block placed
first in the query's outermost ``WHERE`` group, which joins the values with the whole pattern, as a
substitution does. Every value is first an RDF term validated for the parameter's type (an IRI checked by
pyoxigraph and against SPARQL's IRIREF characters, an integer by pattern, a string escaped with SPARQL's
own escapes, never ``\\u`` ones, which some servers decode before parsing); the rewritten query is then
parsed locally, so a value can only ever be a value. The shared prefixes are declared in front of the query.
"""

from __future__ import annotations

import pyoxigraph as ox

from .errors import UsageError
from .layout import FILE_GRAPH_BASE, RECORD_BASE
from .namespaces import sparql_prefixes
from .query import QueryResult, SavedQuery, bind_params, bind_values, query_form, sparql_term
from .sparql_client import DEFAULT_TIMEOUT, RemoteError, SparqlEndpoint, http_request, redact
from .sparql_syntax import check_syntax


def remote_text(query: str | SavedQuery, params: dict[str, str] | None = None) -> str:
    """The text sent to the endpoint: the shared prefixes, then the query with its parameters bound."""
    if isinstance(query, SavedQuery):
        text = bind_values(query.text, bind_params(query, params or {}))
    else:
        if params:
            raise UsageError("--param applies to saved queries, which declare their parameters")
        text = query
        check_syntax(text)  # refused here, with line and column, rather than by the server
    return sparql_prefixes() + text


# -- running -------------------------------------------------------------------------------------------------

ATLAS_GRAPH_BASES = (FILE_GRAPH_BASE, RECORD_BASE)  # a file's graph, or a source record's graph of an import


def remote_graphs(endpoint: str | SparqlEndpoint, *, under: tuple[str, ...] = ATLAS_GRAPH_BASES, user: str | None = None,
                  password: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> list[str]:
    """The named graphs on the endpoint whose IRI starts with one of ``under`` (the atlas's graphs), sorted."""
    client = endpoint if isinstance(endpoint, SparqlEndpoint) else SparqlEndpoint(endpoint, user=user, password=password, timeout=timeout)
    under = (under,) if isinstance(under, str) else under
    tests = " || ".join(f"STRSTARTS(STR(?g), {sparql_term(ox.Literal(base))})" for base in under)
    text = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ }} FILTER ({tests}) }}"
    return sorted({row[0].value for row in client.select(text).rows if isinstance(row[0], ox.NamedNode)})


def remote_query(endpoint: str, query: str | SavedQuery, params: dict[str, str] | None = None, *,
                 user: str | None = None, password: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 atlas_graphs: bool | None = None) -> QueryResult:
    """Run a saved query (or SPARQL text) at a remote SPARQL endpoint; the same QueryResult as locally.

    ``params`` are the saved query's parameters as on the command line (``{"artifact": "dataset:the-pile"}``),
    bound with a VALUES block (see the module's documentation). Which graph the query sees:
    ``atlas_graphs=None`` (the default) finds out, as :func:`dataset_of` says; ``True`` names the atlas's
    file graphs as the default graph; ``False`` uses the endpoint's own default graph. Raises UsageError for
    a bad URL, query or parameter, RemoteError when the endpoint fails.
    """
    client = SparqlEndpoint(endpoint, user=user, password=password, timeout=timeout)
    text = remote_text(query, params)
    form = query_form(text)
    graphs = dataset_of(client) if atlas_graphs is None else (_atlas_graphs(client) if atlas_graphs else [])
    # the dataset the query sees locally: the union of the atlas's graphs as the default graph, and each of
    # them as a named graph too (naming only default graphs would leave GRAPH ?g with nothing to match)
    return client.query(text, form, default_graphs=graphs, named_graphs=graphs)


def dataset_of(client: SparqlEndpoint) -> list[str]:
    """The graphs to name as the query's default graph: none when the endpoint's default graph has data
    (``llm-atlas serve``, ``oxigraph serve --union-default-graph``, a dump loaded into the default graph),
    else the atlas's graphs that ``llm-atlas publish`` wrote there (an empty default graph)."""
    if client.query("ASK { ?s ?p ?o }", "ASK").boolean:
        return []
    return remote_graphs(client)


def _atlas_graphs(client: SparqlEndpoint) -> list[str]:
    graphs = remote_graphs(client)
    if not graphs:
        raise RemoteError(f"no atlas graphs (<{FILE_GRAPH_BASE}...>) at {client.shown}: publish the atlas there first", url=client.shown)
    return graphs


__all__ = ["RemoteError", "remote_query", "remote_graphs", "dataset_of", "remote_text", "bind_values", "sparql_term", "http_request", "redact"]
