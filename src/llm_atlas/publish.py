"""Publish job: upload the built atlas to a SPARQL 1.1 Graph Store Protocol endpoint, graph by graph.

>>> from llm_atlas import Atlas, publish
>>> atlas = Atlas.open()                                                                  # doctest: +SKIP
>>> report = publish.publish(atlas.store, "http://localhost:7878/query")                  # doctest: +SKIP
>>> print(report.to_text())                                                               # doctest: +SKIP

Each file graph of the store (``https://w3id.org/llm-atlas/file/<path>``) is sent with one HTTP ``PUT`` of
its N-Triples to ``<graph store>?graph=<graph IRI>``: the protocol defines PUT as replacing the graph, so
each graph changes in one request, old content or new, never a mixture, and publishing twice leaves the
endpoint as publishing once did. Then the atlas's graphs the endpoint still has but the store does not (a
file deleted or renamed since the last publish) are deleted with ``DELETE``. Graphs outside
``https://w3id.org/llm-atlas/file/`` are never touched. The endpoint as a whole is not switched
atomically (the protocol has no transaction over several graphs): while a publish runs, a query may see
some graphs new and others old, and a removed file's graph until the end.

``endpoint`` is the SPARQL query endpoint (used to list the graphs already there); ``graph_store`` the
Graph Store Protocol endpoint, by default Oxigraph's layout (``.../query`` -> ``.../store``) or else the
endpoint's URL itself (as with a Fuseki dataset URL). Every request goes through
:mod:`llm_atlas.sparql_client`. Credentials go in an ``Authorization`` header (HTTP Basic, not re-sent on
a redirect) and never in a message.
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

import pyoxigraph as ox

from .layout import FILE_GRAPH_BASE
from .ntriples import sorted_ntriples
from .remote import remote_graphs
from .sparql_client import DEFAULT_TIMEOUT, RemoteError, basic_auth, check_url, http_request, redact
from .store import quads_by_file


@dataclass(frozen=True)
class GraphResult:
    """What happened to one graph: ``created``, ``replaced`` or ``deleted``."""

    graph: str
    action: str
    triples: int
    status: int
    seconds: float

    def as_text(self) -> str:
        count = f"{self.triples} triples" if self.action != "deleted" else "removed locally"
        return f"{self.action:8} {self.graph} ({count}, HTTP {self.status}, {self.seconds * 1000:.0f} ms)"


@dataclass
class PublishReport:
    endpoint: str  # redacted
    graph_store: str  # redacted
    graphs: list[GraphResult] = field(default_factory=list)
    seconds: float = 0.0
    complete: bool = False

    def count(self, action: str) -> int:
        return sum(1 for g in self.graphs if g.action == action)

    @property
    def triples(self) -> int:
        return sum(g.triples for g in self.graphs if g.action != "deleted")

    def summary(self) -> str:
        state = "published" if self.complete else "publish stopped after"
        return (f"{state} {self.count('created') + self.count('replaced')} graphs ({self.triples} triples) to {self.graph_store}: "
                f"{self.count('created')} created, {self.count('replaced')} replaced, {self.count('deleted')} deleted; {self.seconds:.2f} s")

    def to_text(self) -> str:
        return "".join(g.as_text() + "\n" for g in self.graphs) + self.summary() + "\n"


class PublishError(RemoteError):
    """A publish that stopped on a failing request; ``report`` says which graphs were done before it."""

    def __init__(self, error: RemoteError, report: PublishReport):
        super().__init__(str(error), url=error.url, status=error.status, body=error.body)
        self.report = report


def default_graph_store(endpoint: str) -> str:
    """Oxigraph serves queries at ``/query`` and the Graph Store Protocol at ``/store``; else the same URL."""
    parts = urllib.parse.urlsplit(endpoint)
    if parts.path.endswith("/query"):
        return urllib.parse.urlunsplit(parts._replace(path=parts.path[: -len("query")] + "store", query=""))
    return endpoint


def graph_url(graph_store: str, graph: str) -> str:
    """``<graph store>?graph=<graph IRI>`` (indirect graph identification), percent-encoded."""
    separator = "&" if urllib.parse.urlsplit(graph_store).query else "?"
    return graph_store + separator + "graph=" + urllib.parse.quote(graph, safe="")


def local_graphs(store: ox.Store) -> dict[str, bytes]:
    """Graph IRI -> the graph's N-Triples, for every file graph of the store."""
    return {FILE_GRAPH_BASE + relpath: sorted_ntriples(quads) for relpath, quads in sorted(quads_by_file(store).items())}


def publish(store: ox.Store, endpoint: str, *, graph_store: str | None = None, user: str | None = None,
            password: str | None = None, timeout: float = DEFAULT_TIMEOUT,
            on_graph: Callable[[GraphResult], None] | None = None) -> PublishReport:
    """Upload every file graph (PUT, replacing it), then delete the atlas graphs no longer in the store.

    ``on_graph`` is called after each graph (to print progress). Raises UsageError for a bad URL or
    credentials, and :class:`PublishError` (a RemoteError, with the partial report) when a request fails:
    the publish stops there, and deletes nothing unless every upload succeeded.
    """
    check_url(endpoint, "--endpoint")
    store_url = check_url(graph_store, "--graph-store") if graph_store else default_graph_store(endpoint)
    auth = basic_auth(user, password)
    report = PublishReport(redact(endpoint), redact(store_url))
    started = time.monotonic()

    def record(result: GraphResult) -> None:
        report.graphs.append(result)
        if on_graph:
            on_graph(result)

    try:
        graphs = local_graphs(store)
        for graph, body in graphs.items():
            t0 = time.monotonic()
            status, _ = http_request("PUT", graph_url(store_url, graph), data=body, auth=auth, timeout=timeout,
                                     headers={"Content-Type": "application/n-triples"})
            triples = body.count(b"\n")  # N-Triples: one triple a line
            record(GraphResult(graph, "created" if status == 201 else "replaced", triples, status, time.monotonic() - t0))
        for graph in remote_graphs(endpoint, user=user, password=password, timeout=timeout):
            if graph in graphs:
                continue
            t0 = time.monotonic()
            try:
                status, _ = http_request("DELETE", graph_url(store_url, graph), auth=auth, timeout=timeout)
            except RemoteError as error:
                if error.status != 404:  # already gone: what we wanted
                    raise
                status = 404
            record(GraphResult(graph, "deleted", 0, status, time.monotonic() - t0))
    except RemoteError as error:
        report.seconds = time.monotonic() - started
        raise PublishError(error, report) from None
    report.seconds = time.monotonic() - started
    report.complete = True
    return report


__all__ = ["publish", "PublishReport", "GraphResult", "PublishError", "default_graph_store", "graph_url", "local_graphs"]
