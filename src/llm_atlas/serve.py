"""``llm-atlas serve``: a read-only SPARQL 1.1 Protocol endpoint and web pages over the built store.

One port (127.0.0.1 by default) serves:

``/sparql``
    The SPARQL 1.1 Protocol endpoint: GET, POST form-encoded, POST direct (``application/sparql-query``).
    SELECT and ASK results as JSON, XML, CSV or TSV; CONSTRUCT and DESCRIBE as Turtle, N-Triples, JSON-LD or
    RDF/XML, by content negotiation (or ``format=json|xml|csv|tsv|turtle|ntriples|jsonld|rdfxml``). Without
    a query it returns the service description (a browser is sent to the query page). The dataset: the
    union of the atlas's file graphs is the default graph, each file is a named graph.
``/query``
    The query page: YASGUI (vendored in ``web/static/yasgui``, no CDN) with the saved queries as examples.
``/queries.json``, ``/prefixes.json``
    The saved queries (name, summary, question, tags, parameters, text) and the shared prefixes.
``/<kind>/<slug>``
    A page per entity, at the path of its IRI (``https://w3id.org/llm-atlas/project/bloom`` is
    ``/project/bloom``) so the w3id.org IRIs can redirect here: HTML for browsers, Turtle, JSON-LD or
    N-Triples for machines (content negotiation, or the suffixes ``.ttl``, ``.jsonld``, ``.nt``).
``/ontology/``
    The ontology's documentation, generated from ``ontology/atlas.ttl`` by pyLODE; a term IRI
    (``/ontology/Project``) redirects to its section; vocabulary concepts have pages like entities.

Why it is safe to expose (each point is proven by tests/test_serve.py):

* **Read-only.** The ``update`` parameter and ``application/sparql-update`` bodies are refused with 403
  before anything is parsed; a ``query`` that parses as an update is refused with 403. The persistent
  store is opened read-only once, at start, to take a copy; queries run on in-memory copies in worker
  processes that only ever call ``Store.query``. Nothing a request does can reach the store on disk.
* **No outbound requests.** pyoxigraph evaluates ``SERVICE`` by making the HTTP request itself (measured),
  so every query is parsed with rdflib first, after ``\\u`` escapes are expanded as the SPARQL grammar
  says, and refused (403) if the parse tree or its algebra holds a SERVICE pattern (any IRI, a variable,
  SILENT, nested anywhere) or a FROM / FROM NAMED clause; so are the protocol's ``default-graph-uri`` and
  ``named-graph-uri``. A query rdflib cannot parse is refused (400) even if pyoxigraph could run it. Second
  line of defence, should the two parsers ever disagree: a worker lowers its open-file limit to the
  descriptors it already holds before it answers anything, so it cannot open a socket at all.
* **Bounded.** A hard timeout: pyoxigraph cannot interrupt a query, so queries run in worker processes
  and a worker that overruns is killed (SIGKILL) and replaced by a standby worker that is already loaded,
  so the next query is answered at once. A row cap with an explicit flag (``X-Atlas-Truncated``, and
  ``"truncated"`` in JSON results), a request body cap (413), at most ``workers + queue`` queries admitted
  (the rest get 503 with ``Retry-After``), a bound on open connections, a socket timeout for slow
  clients, an address-space limit per worker. CORS is off unless an origin is given.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import math
import mimetypes
import multiprocessing
import os
import queue as queue_module
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from itertools import islice
from pathlib import Path
from typing import ClassVar
from urllib.parse import parse_qs, urlencode, urlsplit

import pyoxigraph as ox

from .version import __version__
from .namespaces import BASE, KINDS, PREFIXES
from .ntriples import sorted_ntriples
from .sparql_results import write_boolean, write_select
from .sparql_syntax import SparqlSyntaxError, check_syntax, explain

try:  # POSIX only; the limits are skipped where it is missing
    import resource
except ImportError:  # pragma: no cover
    resource = None  # type: ignore[assignment]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_TIMEOUT = 10.0  # seconds a query may run before its worker is killed
DEFAULT_MAX_ROWS = 10_000  # solutions (SELECT) or triples (CONSTRUCT, DESCRIBE) per answer
DEFAULT_MAX_BODY = 256 * 1024  # bytes of a POST body; the longest saved query is under 5 KiB
DEFAULT_QUEUE = 4  # queries that may wait for a worker beyond those running
DEFAULT_MAX_CONNECTIONS = 64  # open connections (one thread each) before new ones get 503 at once
DEFAULT_WORKER_MEMORY = 2 * 1024**3  # address space of a worker (bytes); one loaded with the atlas maps ~250 MiB
CLIENT_SOCKET_TIMEOUT = 20  # seconds a client may take to send its request line, headers and body
WORKER_START_TIMEOUT = 60.0

WEB_DIR = Path(__file__).resolve().parent / "web"
STATIC_DIR = WEB_DIR / "static"

SPARQL_RESULTS_JSON = "application/sparql-results+json"
SPARQL_RESULTS_XML = "application/sparql-results+xml"
TURTLE = "text/turtle"
N_TRIPLES = "application/n-triples"
JSON_LD = "application/ld+json"
RDF_XML = "application/rdf+xml"

# Media types by query form, the server's preference first (ties in the client's q-values go to it).
RESULT_TYPES: list[tuple[str, str]] = [
    (SPARQL_RESULTS_JSON, "json"), (SPARQL_RESULTS_XML, "xml"), ("text/csv", "csv"),
    ("text/tab-separated-values", "tsv"), ("application/json", "json"), ("application/xml", "xml"), ("text/xml", "xml"),
]
GRAPH_TYPES: list[tuple[str, str]] = [
    (TURTLE, "turtle"), (N_TRIPLES, "ntriples"), (JSON_LD, "jsonld"), (RDF_XML, "rdfxml"),
    ("application/x-turtle", "turtle"), ("text/plain", "ntriples"), ("application/json", "jsonld"),
    ("application/xml", "rdfxml"), ("text/xml", "rdfxml"),
]
CONTENT_TYPES = {
    "json": SPARQL_RESULTS_JSON, "xml": SPARQL_RESULTS_XML, "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8", "turtle": "text/turtle; charset=utf-8",
    "ntriples": "application/n-triples", "jsonld": JSON_LD, "rdfxml": RDF_XML,
}
RDF_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD,
               "rdfxml": ox.RdfFormat.RDF_XML}
# ?format= values: short names, for links and curl; graph forms read json/xml as JSON-LD / RDF/XML.
FORMAT_ALIASES = {
    "json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv",
    "turtle": "turtle", "ttl": "turtle", "ntriples": "ntriples", "nt": "ntriples", "n-triples": "ntriples",
    "jsonld": "jsonld", "json-ld": "jsonld", "rdfxml": "rdfxml", "rdf": "rdfxml", "rdf+xml": "rdfxml",
}
GRAPH_ALIAS_OF_RESULT = {"json": "jsonld", "xml": "rdfxml"}

UPDATE_REFUSED = "SPARQL Update is refused: this endpoint is read-only"
SERVICE_REFUSED = ("SERVICE is refused: this endpoint makes no outbound requests, so federated queries are not "
                   "available; query the atlas's own data")
DATASET_REFUSED = ("FROM, FROM NAMED, default-graph-uri and named-graph-uri are refused: this endpoint answers "
                   "over its own dataset only (the default graph is the union of the atlas's files, each file "
                   "a named graph <https://w3id.org/llm-atlas/file/PATH>: use GRAPH to pick files)")

TRUNCATED_HEADER = "X-Atlas-Truncated"
ROW_LIMIT_HEADER = "X-Atlas-Row-Limit"


# ---------------------------------------------------------------------------------------------------------
# Content negotiation
# ---------------------------------------------------------------------------------------------------------


def parse_accept(header: str | None) -> list[tuple[str, float]]:
    """The media ranges of an Accept header with their q-values (``*/*`` when there is none)."""
    if not header or not header.strip():
        return [("*/*", 1.0)]
    ranges = []
    for part in header.split(","):
        pieces = [p.strip() for p in part.split(";")]
        media = pieces[0].lower()
        if not media or "/" not in media:
            continue
        q = 1.0
        for param in pieces[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        ranges.append((media, q))
    return ranges or [("*/*", 1.0)]


def _q_for(media: str, ranges: list[tuple[str, float]]) -> float:
    """The q-value the most specific matching range gives ``media`` (-1 when none matches)."""
    best_specificity, q = -1, -1.0
    kind = media.split("/")[0]
    for candidate, value in ranges:
        if candidate == media:
            specificity = 2
        elif candidate == kind + "/*":
            specificity = 1
        elif candidate == "*/*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, q = specificity, value
    return q


def negotiate(accept: str | None, offers: list[tuple[str, str]]) -> str | None:
    """The key of the best offer for an Accept header, or None if nothing offered is acceptable."""
    ranges = parse_accept(accept)
    best, best_q = None, 0.0
    for media, key in offers:
        q = _q_for(media, ranges)
        if q > best_q:
            best, best_q = key, q
    return best


def prefers_html(accept: str | None, offers: list[tuple[str, str]]) -> bool:
    """Whether the client names text/html explicitly and likes it at least as much as any data offer."""
    ranges = parse_accept(accept)
    explicit_html = [q for media, q in ranges if media in ("text/html", "application/xhtml+xml")]
    if not explicit_html or max(explicit_html) <= 0:
        return False
    html_q = max(explicit_html)
    explicit_data = [q for media, q in ranges if any(media == offer for offer, _ in offers)]
    return not explicit_data or html_q >= max(explicit_data)


# ---------------------------------------------------------------------------------------------------------
# The safety decision, on rdflib's parse of the query
# ---------------------------------------------------------------------------------------------------------


class Refused(Exception):
    """A request the endpoint will not run, with the HTTP status and the reason for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _short(error: BaseException, limit: int = 300) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit] + "..."


def _tree_nodes(root) -> Iterable:
    """Every node of an rdflib parse tree or algebra: CompValues, ParseResults, lists, dicts (iteratively)."""
    from pyparsing import ParseResults
    from rdflib.plugins.sparql.parserutils import CompValue

    stack, seen = [root], set()
    while stack:
        node = stack.pop()
        if isinstance(node, (CompValue, ParseResults, dict, list, tuple, set, frozenset)):
            if id(node) in seen:
                continue
            seen.add(id(node))
        yield node
        if isinstance(node, CompValue):
            stack.extend(dict.values(node))
        elif isinstance(node, ParseResults):
            stack.extend(list(node))
            stack.extend(node.values())
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, (list, tuple, set, frozenset)):
            stack.extend(node)


def _refuse_unsafe(tree) -> None:
    from rdflib.plugins.sparql.parserutils import CompValue

    for node in _tree_nodes(tree):
        if not isinstance(node, CompValue):
            continue
        if node.name == "ServiceGraphPattern" or "service_string" in node:
            raise Refused(403, SERVICE_REFUSED)
        if node.name == "DatasetClause" or dict.get(node, "datasetClause"):
            raise Refused(403, DATASET_REFUSED)


QUERY_FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}


def check_query(text: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """The form (SELECT, ASK, CONSTRUCT, DESCRIBE) of a query this endpoint will run, or :class:`Refused`.

    The decision is made on rdflib's parse tree and algebra, never by searching the text: rdflib expands
    ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes before it parses, as the SPARQL grammar requires, so a keyword
    or IRI written with escapes is judged as what it means. The text handed to pyoxigraph afterwards is
    the same text, unchanged (pyoxigraph expands the escapes once too, so both parsers read the same
    query; a double escape such as ``\\u005Cu0053`` does not parse at all and is refused).
    """
    from rdflib.plugins.sparql.algebra import translateQuery
    from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

    if not text.strip():
        raise Refused(400, "the query is empty")
    try:
        parsed = parseQuery(text)
    except RecursionError:  # rdflib's grammar recurses without end on some nestings (SERVICE in SERVICE)
        raise Refused(400, "the query nests too deeply for this endpoint's parser: it is refused") from None
    except Exception as error:  # noqa: BLE001 - pyparsing's ParseException, or whatever odd input raises
        try:
            parseUpdate(text)
        except Exception:  # noqa: BLE001 - neither a query nor an update
            try:  # the command line's check, so that both say the same about the same mistake
                check_syntax(text, prefixes)
            except SparqlSyntaxError as syntax:
                raise Refused(400, str(syntax)) from None
            raise Refused(400, "the query does not parse as SPARQL 1.1 (this endpoint accepts SPARQL 1.1 "
                               f"queries only; SPARQL 1.2 syntax such as triple terms is refused): {_short(error)}") from None
        raise Refused(403, UPDATE_REFUSED) from None
    _refuse_unsafe(parsed)  # the parse tree holds every construct of the text: this is the decision
    form = QUERY_FORMS.get(getattr(parsed[-1], "name", ""))
    try:
        query = translateQuery(parsed, initNs=prefixes)
    except RecursionError:
        raise Refused(400, "the query nests too deeply for this endpoint's parser: it is refused") from None
    except Exception:  # noqa: BLE001
        # rdflib cannot build the algebra of some valid queries (DESCRIBE * is one); the algebra only
        # re-reads the parse tree checked above, so the query may go on: pyoxigraph reports real errors
        query = None
    if query is not None:
        _refuse_unsafe(query.algebra)  # belt and braces
        form = QUERY_FORMS.get(getattr(query.algebra, "name", ""), form)
    if form is None:  # pragma: no cover - the grammar has these four forms only
        raise Refused(400, "unsupported query form")
    return form


# ---------------------------------------------------------------------------------------------------------
# Result serialisation (in the worker, so that serialising a large answer counts against the timeout)
# ---------------------------------------------------------------------------------------------------------

def serialize_select(variables: list[str], rows: list[list], fmt: str, truncated: bool, max_rows: int) -> bytes:
    return write_select(variables, rows, fmt, truncated=truncated, row_limit=max_rows)


def serialize_boolean(value: bool, fmt: str) -> bytes:
    return write_boolean(value, fmt)


def used_prefixes(terms: Iterable, prefixes: dict[str, str] = PREFIXES) -> dict[str, str]:
    """The shared prefixes that some IRI among ``terms`` starts with (so Turtle lists only those)."""
    namespaces = sorted(prefixes.items(), key=lambda item: -len(item[1]))
    used: dict[str, str] = {}
    for term in terms:
        if isinstance(term, ox.NamedNode):
            for name, namespace in namespaces:
                if term.value.startswith(namespace):
                    local = term.value[len(namespace):]
                    if re.fullmatch(r"[A-Za-z0-9_][\w\-.]*", local) and not local.endswith("."):
                        used[name] = namespace
                    break
    return dict(sorted(used.items()))


def serialize_graph(triples: list[ox.Triple], fmt: str, prefixes: dict[str, str] = PREFIXES) -> bytes:
    rdf_format = RDF_FORMATS[fmt]
    if fmt == "turtle":
        terms = (term for t in triples for term in (t.subject, t.predicate, t.object))
        return ox.serialize(triples, format=rdf_format, prefixes=used_prefixes(terms, prefixes))
    if fmt == "ntriples":
        return sorted_ntriples(triples)
    return ox.serialize(triples, format=rdf_format)


# ---------------------------------------------------------------------------------------------------------
# Worker processes
# ---------------------------------------------------------------------------------------------------------


# Parsed in each worker before it closes the door: whatever rdflib, pyparsing or Python import lazily on the way
# (a module is a file to open) is imported while the worker still may open files.
# (Measured: the package import in the forkserver already brings in every module these need, so this is
# insurance; tests/test_serve.py sends queries using every part of the grammar to sandboxed workers.)
WARM_UP = [
    """PREFIX ex: <http://example.org/>
SELECT DISTINCT ?s (COUNT(?o) AS ?n) (GROUP_CONCAT(?l; SEPARATOR=", ") AS ?ls) WHERE {
  VALUES ?k { ex:a "b" 1 1.5 true } ?s ex:p/ex:q*|^ex:r ?o ; ex:l ?l . OPTIONAL { ?s ex:v ?v }
  { SELECT ?s WHERE { ?s a ex:C } } UNION { ?s ex:z ?z } MINUS { ?s ex:m ?m } FILTER NOT EXISTS { ?s ex:n ?n2 }
  GRAPH ?g { ?s ?p2 ?o2 } BIND(IF(ISIRI(?o), STR(?o), LCASE(?l)) AS ?b) FILTER(REGEX(?b, "^a", "i") && ?o IN (ex:a))
  BIND(YEAR(NOW()) + STRLEN(REPLACE(?b, "a", "b")) AS ?y) BIND(xsd:integer("1") AS ?i) BIND(SHA256(?b) AS ?h)
} GROUP BY ?s HAVING (COUNT(?o) > 0) ORDER BY DESC(?n) LIMIT 10 OFFSET 1""",
    "BASE <http://example.org/> PREFIX ex: <x#> ASK { <a> ex:b $c }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 1",
    "CONSTRUCT WHERE { ?s ?p ?o }",
    "DESCRIBE <http://example.org/a> ?s WHERE { ?s ?p ?o }",
    "DESCRIBE *",
    "SELECT * FROM <http://example.org/g> FROM NAMED <http://example.org/h> WHERE { ?s ?p ?o }",
    "SELECT * WHERE { SERVICE SILENT <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o }} broken",
    "SELECT * WHERE { ?s ?p <<( ?a ?b ?c )>> }",
    "SELECT * WHERE { \\u0053ERVICE <x:> { ?s ?p ?o } }",
    """PREFIX ex: <http://example.org/>
INSERT DATA { ex:a ex:b "c" } ; DELETE DATA { ex:a ex:b "c" } ; DELETE WHERE { ?s ?p ?o } ;
WITH ex:g DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } USING ex:h WHERE { ?s ?p ?o } ;
LOAD SILENT ex:x INTO GRAPH ex:g ; CLEAR ALL ; CLEAR DEFAULT ; CLEAR NAMED ; CREATE GRAPH ex:g ; DROP GRAPH ex:g ;
COPY DEFAULT TO ex:g ; MOVE ex:g TO DEFAULT ; ADD ex:g TO ex:h""",
    "",
]


def _warm_up(prefixes: dict[str, str]) -> None:
    for text in WARM_UP:
        with contextlib.suppress(Refused):
            check_query(text, prefixes)
    for fmt in ("json", "xml", "csv", "tsv"):
        serialize_select(["x"], [[ox.Literal("a", language="en")], [ox.NamedNode("http://example.org/")], [ox.BlankNode()], [None]],
                         fmt, False, 1)
        serialize_boolean(True, fmt)
    triples = [ox.Triple(ox.NamedNode(BASE + "a"), ox.NamedNode(BASE + "b"), ox.Literal("1", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer")))]
    for fmt in RDF_FORMATS:
        serialize_graph(triples, fmt, prefixes)


def _close_the_door() -> bool:
    """Forbid this process to open any new file descriptor (so no socket): lower RLIMIT_NOFILE to the
    descriptors already open, after filling the gaps below the highest one. Returns whether it holds."""
    if resource is None:  # pragma: no cover
        return False
    try:
        fds = sorted(int(name) for name in os.listdir("/proc/self/fd"))
    except OSError:  # pragma: no cover - no /proc: probe the descriptors one by one
        fds = [fd for fd in range(256) if _fd_open(fd)]
    highest = max(fds)
    fillers = []
    while True:  # every free number below the highest open descriptor gets /dev/null
        fd = os.open(os.devnull, os.O_RDONLY)
        if fd > highest:
            os.close(fd)
            break
        fillers.append(fd)
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 1, hard))
    try:
        socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()
    except OSError:
        return True
    return False  # pragma: no cover


def _fd_open(fd: int) -> bool:  # pragma: no cover
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _die_with_parent() -> None:
    """Linux: the kernel kills this worker when its parent (the forkserver, which ends with the server) dies."""
    with contextlib.suppress(Exception):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _worker_main(conn, settings: dict) -> None:
    """A query worker: load the snapshot, close the door, answer requests until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    signal.signal(signal.SIGALRM, signal.SIG_DFL)  # an alarm ends the process, even inside pyoxigraph
    _die_with_parent()
    store = ox.Store()
    snapshot = conn.recv_bytes()
    if snapshot:
        store.bulk_load(snapshot, format=ox.RdfFormat.N_QUADS)
    del snapshot
    _warm_up(settings["prefixes"])  # also: the first query does not pay for building the grammar
    sandboxed = _close_the_door() if settings.get("sandbox", True) else False
    memory = settings.get("memory")
    if memory and resource is not None:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    conn.send({"ready": True, "pid": os.getpid(), "sandboxed": sandboxed, "quads": len(store)})
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        backstop = math.ceil(settings["timeout"]) + 5
        signal.alarm(backstop)  # should the server be gone and not kill this worker, it ends itself
        try:
            reply = answer(store, request, settings)
        except MemoryError:
            reply = _error_reply(500, "the query needs more memory than a worker may use")
        except Exception as error:  # noqa: BLE001 - the client gets the reason; the worker lives on
            reply = _error_reply(500, f"the query failed: {_short(error)}")
        finally:
            signal.alarm(0)
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


def _error_reply(status: int, message: str, headers: dict | None = None) -> dict:
    return {"status": status, "type": "text/plain; charset=utf-8", "body": (message + "\n").encode("utf-8"), "headers": headers or {}}


@functools.lru_cache(maxsize=512)
def _checked(text: str, prefixes: tuple[tuple[str, str], ...]) -> tuple[int, str]:
    """check_query's verdict, remembered: rdflib takes up to half a second to parse a long query, and the
    same texts (the saved queries) come again and again. (0, form) or (status, reason)."""
    try:
        return 0, check_query(text, dict(prefixes))
    except Refused as refusal:
        return refusal.status, refusal.message


def answer(store: ox.Store, request: dict, settings: dict) -> dict:
    """Check, run and serialise one query (in a worker). Returns status, content type, body and headers."""
    text = request["query"]
    max_rows = settings["max_rows"]
    if settings.get("check", True):
        status, verdict = _checked(text, tuple(sorted(settings["prefixes"].items())))
        if status:
            return _error_reply(status, verdict)
    try:
        results = store.query(text, prefixes=settings["prefixes"], use_default_graph_as_union=True)
    except SyntaxError as error:
        return _error_reply(400, str(explain(text, error, settings["prefixes"])))
    except (OSError, ValueError, RuntimeError) as error:
        return _error_reply(400, f"the query failed: {_short(error)}")
    graph_form = isinstance(results, ox.QueryTriples)
    offers = GRAPH_TYPES if graph_form else RESULT_TYPES
    fmt = request.get("format")
    if fmt:
        fmt = FORMAT_ALIASES.get(fmt.lower().strip())
        if graph_form:
            fmt = GRAPH_ALIAS_OF_RESULT.get(fmt, fmt)
        allowed = {key for _, key in offers}
        if fmt not in allowed:
            return _error_reply(400, f"format={request['format']!r} does not fit a {'graph' if graph_form else 'result'} query; "
                                     f"use one of {', '.join(sorted(allowed))}")
    else:
        fmt = negotiate(request.get("accept"), offers)
        if fmt is None:
            return _error_reply(406, "no acceptable format: this query's answer is available as "
                                     + ", ".join(dict.fromkeys(media for media, _ in offers)))
    headers = {}
    try:
        if isinstance(results, ox.QueryBoolean):
            body = serialize_boolean(bool(results), fmt)
        elif graph_form:
            triples = list(islice(results, max_rows + 1))
            truncated = len(triples) > max_rows
            body = serialize_graph(triples[:max_rows], fmt, settings["prefixes"])
            headers = {TRUNCATED_HEADER: "true" if truncated else "false", ROW_LIMIT_HEADER: str(max_rows)}
        else:
            variables = [v.value for v in results.variables]
            keys = list(results.variables)
            rows = [[solution[k] for k in keys] for solution in islice(results, max_rows + 1)]
            truncated = len(rows) > max_rows
            body = serialize_select(variables, rows[:max_rows], fmt, truncated, max_rows)
            headers = {TRUNCATED_HEADER: "true" if truncated else "false", ROW_LIMIT_HEADER: str(max_rows)}
    except (OSError, ValueError, RuntimeError, SyntaxError) as error:  # evaluation errors surface while iterating
        return _error_reply(400, f"the query failed: {_short(error)}")
    return {"status": 200, "type": CONTENT_TYPES[fmt], "body": body, "headers": headers}


class Busy(Exception):
    """Every worker is busy and the queue is full (or a queued query waited too long)."""


class QueryTimeout(Exception):
    pass


class WorkerDied(Exception):
    pass


class _Worker:
    def __init__(self, ctx, snapshot: bytes, settings: dict):
        self.conn, child = ctx.Pipe(duplex=True)
        self.process = ctx.Process(target=_worker_main, args=(child, settings), name="llm-atlas-query", daemon=True)
        self.process.start()
        child.close()
        self.conn.send_bytes(snapshot)
        self.info: dict = {}

    def wait_ready(self, timeout: float) -> bool:
        try:
            if self.conn.poll(timeout):
                self.info = self.conn.recv()
                return bool(self.info.get("ready"))
        except (EOFError, OSError):
            pass
        return False

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.join(2)
        with contextlib.suppress(Exception):
            self.conn.close()


class QueryPool:
    """Worker processes, each with an in-memory copy of the store, plus one loaded standby.

    At most ``workers`` queries run at once and ``queue`` more wait for a worker; beyond that :meth:`run`
    raises :class:`Busy` at once. A query still running after ``timeout`` seconds has its worker killed;
    the standby takes its place at once and a new standby is loaded in the background.
    """

    def __init__(self, snapshot: bytes, *, workers: int, queue: int, timeout: float, max_rows: int,
                 memory: int | None = DEFAULT_WORKER_MEMORY, check: bool = True, sandbox: bool = True,
                 prefixes: dict[str, str] = PREFIXES):
        if workers < 1:
            raise ValueError("a query pool needs at least one worker")
        self.size = workers
        self.timeout = timeout
        self.snapshot = snapshot
        self.settings = {"prefixes": dict(prefixes), "max_rows": max_rows, "timeout": timeout, "memory": memory,
                         "check": check, "sandbox": sandbox}
        methods = multiprocessing.get_all_start_methods()
        # forkserver: workers fork from a clean single-threaded server process that has the modules loaded,
        # so a replacement is ready in a fraction of a second; never fork this threaded HTTP server itself.
        self._ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
        if self._ctx.get_start_method() == "forkserver":
            self._ctx.set_forkserver_preload(["llm_atlas.serve"])
        self._idle: queue_module.Queue[_Worker] = queue_module.Queue()
        self._slots = threading.BoundedSemaphore(workers + max(0, queue))
        self._lock = threading.Lock()
        self._active = 0  # workers in the pool, idle or busy (the standby not counted)
        self._pending = 0  # workers being started
        self._standby: _Worker | None = None
        self._all: set[_Worker] = set()
        self._closed = False
        self.replaced = 0  # workers killed for overrunning or found dead
        started = [self._spawn() for _ in range(workers + 1)]
        for worker in started:
            if not worker.wait_ready(WORKER_START_TIMEOUT):
                self.close()
                raise RuntimeError("a query worker did not start")
        with self._lock:
            for worker in started[:workers]:
                self._idle.put(worker)
            self._active = workers
            self._standby = started[workers]

    @property
    def sandboxed(self) -> bool:
        with self._lock:
            workers = list(self._all)
        return bool(workers) and all(w.info.get("sandboxed") for w in workers if w.info)

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self.snapshot, self.settings)
        with self._lock:
            self._all.add(worker)
        return worker

    def run(self, request: dict) -> dict:
        if self._closed:
            raise Busy()
        if not self._slots.acquire(blocking=False):
            raise Busy()
        try:
            for attempt in range(2):
                try:  # a queued query waits at most one timeout (plus the time to swap in the standby)
                    worker = self._idle.get(timeout=self.timeout + 1.0)
                except queue_module.Empty:
                    raise Busy() from None
                try:
                    worker.conn.send(request)
                except (OSError, ValueError):  # the worker died while idle: not this query's doing, try another
                    self._replace(worker)
                    if attempt:
                        raise WorkerDied() from None
                    continue
                try:
                    if worker.conn.poll(self.timeout):
                        reply = worker.conn.recv()
                        self._idle.put(worker)
                        return reply
                except (EOFError, OSError, ValueError):
                    self._replace(worker)
                    raise WorkerDied() from None
                self._replace(worker)
                raise QueryTimeout()
            raise WorkerDied()  # pragma: no cover - the loop returns or raises
        finally:
            self._slots.release()

    def _replace(self, worker: _Worker) -> None:
        """Kill a worker; put the standby in its place; load new workers in the background."""
        worker.kill()
        with self._lock:
            self._all.discard(worker)
            self.replaced += 1
            self._active -= 1
            if self._standby is not None and not self._closed:
                self._idle.put(self._standby)
                self._standby = None
                self._active += 1
            needed = (self.size - self._active) + (1 if self._standby is None else 0) - self._pending
            needed = max(0, needed) if not self._closed else 0
            self._pending += needed
        for _ in range(needed):
            threading.Thread(target=self._replenish, name="llm-atlas-worker-start", daemon=True).start()

    def _replenish(self) -> None:
        """Start one worker (a few tries); it joins the pool if the pool is short, else becomes the standby."""
        for attempt in range(5):
            if self._closed:
                break
            worker = None
            try:
                worker = self._spawn()
                ready = worker.wait_ready(WORKER_START_TIMEOUT)
            except Exception:  # noqa: BLE001 - try again below
                ready = False
            if ready:
                with self._lock:
                    if not self._closed:
                        self._pending -= 1
                        if self._active < self.size:
                            self._active += 1
                            self._idle.put(worker)
                            return
                        if self._standby is None:
                            self._standby = worker
                            return
                        self._pending += 1  # not needed after all: undone below
            if worker is not None:
                worker.kill()
                with self._lock:
                    self._all.discard(worker)
            if ready:
                break
            time.sleep(0.5 * (attempt + 1))
        with self._lock:
            self._pending -= 1

    def close(self) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._standby = None
        for worker in workers:
            worker.kill()


# ---------------------------------------------------------------------------------------------------------
# The store snapshot
# ---------------------------------------------------------------------------------------------------------


def take_snapshot(store_dir: Path) -> bytes:
    """The store's quads as N-Quads, read through a read-only handle (which writes nothing to the folder)."""
    store = ox.Store.read_only(str(store_dir))
    try:
        return store.dump(format=ox.RdfFormat.N_QUADS)
    finally:
        del store


def store_fingerprint(store_dir: Path) -> str:
    """SHA-256 over the names and bytes of every file of a store folder and its manifest (for tests)."""
    digest = hashlib.sha256()
    paths = sorted(p for p in store_dir.rglob("*") if p.is_file())
    manifest = store_dir.parent / (store_dir.name + ".manifest.json")
    if manifest.is_file():
        paths.append(manifest)
    for path in paths:
        digest.update(str(path.relative_to(store_dir.parent)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


# ---------------------------------------------------------------------------------------------------------
# HTTP
# ---------------------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def text_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8", headers or {})


# Pages: no script or style from elsewhere, no request to anywhere but this server.
CSP_PAGES = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
EXPOSED_HEADERS = f"{TRUNCATED_HEADER}, {ROW_LIMIT_HEADER}, Retry-After, Content-Type, Location"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, address, handler, app: AtlasServer, max_connections: int):
        self.app = app
        self._connections = threading.BoundedSemaphore(max_connections)
        super().__init__(address, handler)

    def process_request(self, request, client_address):
        if not self._connections.acquire(blocking=False):
            body = b"too many open connections; retry shortly\n"
            with contextlib.suppress(OSError):
                request.settimeout(1.0)
                request.sendall(b"HTTP/1.0 503 Service Unavailable\r\nRetry-After: 1\r\nConnection: close\r\n"
                                b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: "
                                + str(len(body)).encode() + b"\r\n\r\n" + body)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except Exception:
            self._connections.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._connections.release()

    def handle_error(self, request, client_address):  # a client that hangs up is not an error worth a traceback
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, socket.timeout)):
            return
        super().handle_error(request, client_address)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server_version = f"llm-atlas/{__version__}"
    sys_version = ""
    protocol_version = "HTTP/1.0"  # one request per connection: a connection holds a thread only while it works
    timeout = CLIENT_SOCKET_TIMEOUT

    def do_GET(self):
        self.server.app.dispatch(self, "GET")

    def do_HEAD(self):
        self.server.app.dispatch(self, "HEAD")

    def do_POST(self):
        self.server.app.dispatch(self, "POST")

    def do_OPTIONS(self):
        self.server.app.dispatch(self, "OPTIONS")

    def _refuse_method(self):
        self.server.app.send(self, text_response(405, f"method {self.command} not allowed", {"Allow": ALLOWED_METHODS}), "GET")

    do_PUT = do_DELETE = do_PATCH = do_TRACE = do_CONNECT = _refuse_method

    def log_message(self, format, *args):
        if self.server.app.log:
            sys.stderr.write(f"{self.address_string()} - [{self.log_date_time_string()}] {format % args}\n")


_SAFE_HOST = re.compile(r"^[A-Za-z0-9.\-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")


class AtlasServer:
    """The HTTP server, its query pool and its pages. ``start()`` runs it in a thread (tests), ``serve_forever()``
    in the calling thread (the command line); ``close()`` stops both the server and the workers."""

    def __init__(self, atlas, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, timeout: float = DEFAULT_TIMEOUT,
                 max_rows: int = DEFAULT_MAX_ROWS, cors: str | None = None, workers: int | None = None,
                 queue: int = DEFAULT_QUEUE, max_body: int = DEFAULT_MAX_BODY,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS, worker_memory: int | None = DEFAULT_WORKER_MEMORY,
                 log: bool = False):
        from .layout import QUERIES_DIR
        from .pages import Site
        from .store import read_manifest

        if timeout <= 0:
            raise ValueError("the timeout must be positive")
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        self.atlas = atlas
        self.timeout = float(timeout)
        self.max_rows = int(max_rows)
        self.max_body = int(max_body)
        self.cors = cors.strip() if cors else None
        self.log = log
        if read_manifest(atlas.store_dir) is None:  # no store yet: build it, as every command that reads does
            atlas.build()
        snapshot = take_snapshot(atlas.store_dir)
        store = ox.Store()
        if snapshot:
            store.bulk_load(snapshot, format=ox.RdfFormat.N_QUADS)
        self.saved_queries = atlas.saved_queries() if (atlas.root / QUERIES_DIR).is_dir() else []
        self.site = Site(store, atlas.root, self.saved_queries, limits={"timeout": self.timeout, "max_rows": self.max_rows})
        self.static = _load_static(STATIC_DIR)
        workers = workers or max(2, min(4, os.cpu_count() or 2))
        self.pool = QueryPool(snapshot, workers=workers, queue=queue, timeout=self.timeout, max_rows=self.max_rows,
                              memory=worker_memory)
        del snapshot
        try:
            server_class = _Server6 if ":" in host else _Server
            self.httpd = server_class((host, port), _Handler, self, max_connections)
        except OSError as error:
            self.pool.close()
            from .errors import UsageError

            raise UsageError(f"cannot listen on {host}:{port}: {error}") from None
        self.host, self.port = self.httpd.server_address[:2]
        self._thread: threading.Thread | None = None
        self.site.start_ontology_docs()

    # -- running -----------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> AtlasServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="llm-atlas-serve", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=0.5)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            if self._thread is not None:
                self.httpd.shutdown()
                self._thread.join(5)
        with contextlib.suppress(Exception):
            self.httpd.server_close()
        self.pool.close()

    def __enter__(self) -> AtlasServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- dispatch ----------------------------------------------------------------------------------------

    def dispatch(self, handler: _Handler, method: str) -> None:
        try:
            response = self.route(handler, method)
        except Refused as refusal:
            response = text_response(refusal.status, refusal.message)
        except Exception as error:  # noqa: BLE001 - answer 500 and keep serving
            if self.log:
                import traceback

                traceback.print_exc()
            response = text_response(500, f"internal error: {_short(error)}")
        self.send(handler, response, method)

    def send(self, handler: _Handler, response: Response, method: str) -> None:
        headers = dict(SECURITY_HEADERS)
        if response.content_type.startswith("text/html"):
            headers["Content-Security-Policy"] = CSP_PAGES
        headers.update(self.cors_headers(handler))
        headers.update(response.headers)
        try:
            handler.send_response(response.status)
            handler.send_header("Content-Type", response.content_type)
            handler.send_header("Content-Length", str(len(response.body)))
            for key, value in headers.items():
                handler.send_header(key, value)
            handler.end_headers()
            if method != "HEAD" and response.body:
                handler.wfile.write(response.body)
        except (ConnectionError, TimeoutError):
            pass

    def cors_headers(self, handler: _Handler) -> dict[str, str]:
        if not self.cors:
            return {}
        if self.cors == "*":
            origin = "*"
        else:
            allowed = {o.strip().rstrip("/") for o in self.cors.split(",") if o.strip()}
            requested = (handler.headers.get("Origin") or "").rstrip("/")
            if requested not in allowed:
                return {"Vary": "Origin"}
            origin = requested
        headers = {"Access-Control-Allow-Origin": origin, "Access-Control-Expose-Headers": EXPOSED_HEADERS}
        if origin != "*":
            headers["Vary"] = "Origin"
        return headers

    def route(self, handler: _Handler, method: str) -> Response:
        parts = urlsplit(handler.path)
        path = parts.path or "/"
        if method == "OPTIONS":
            return self.options(handler)
        if path == "/sparql":
            return self.sparql(handler, method, parts.query)
        if method == "POST":
            return text_response(405, "POST is for /sparql only", {"Allow": "GET, HEAD, OPTIONS"})
        accept = handler.headers.get("Accept")
        if path == "/":
            return self.html(self.site.home_page())
        if path == "/query":
            return self.html(self.site.query_page())
        if path == "/queries.json":
            return Response(200, json.dumps(self.site.saved_queries_json(), ensure_ascii=False, indent=1).encode(),
                            "application/json; charset=utf-8")
        if path == "/prefixes.json":
            return Response(200, json.dumps(PREFIXES, indent=1).encode(), "application/json; charset=utf-8")
        if path.startswith("/static/"):
            return self.static_file(path[len("/static/"):])
        if path == "/favicon.ico":
            return self.static_file("favicon.svg")
        if path in ("/ontology", "/ontology/"):
            return self.ontology(accept, parts.query)
        return self.resource(path, accept, parts.query)

    def html(self, page: str, status: int = 200, headers: dict | None = None) -> Response:
        return Response(status, page.encode("utf-8"), "text/html; charset=utf-8", headers or {})

    def not_found(self, accept: str | None, what: str) -> Response:
        if prefers_html(accept, GRAPH_TYPES) or not accept:
            return self.html(self.site.error_page(404, "Not found", what), 404)
        return text_response(404, what)

    def options(self, handler: _Handler) -> Response:
        headers = {"Allow": ALLOWED_METHODS}
        if self.cors and self.cors_headers(handler).get("Access-Control-Allow-Origin"):
            headers.update({"Access-Control-Allow-Methods": "GET, HEAD, POST, OPTIONS",
                            "Access-Control-Allow-Headers": "Accept, Content-Type",
                            "Access-Control-Max-Age": "600"})
        return Response(204, b"", "text/plain; charset=utf-8", headers)

    def static_file(self, name: str) -> Response:
        found = self.static.get(name)
        if found is None:
            return text_response(404, "no such file")
        body, content_type = found
        return Response(200, body, content_type, {"Cache-Control": "public, max-age=3600"})

    # -- the SPARQL endpoint -----------------------------------------------------------------------------

    def sparql(self, handler: _Handler, method: str, query_string: str) -> Response:
        params = self._form(query_string)
        body_query = None
        if method == "POST":
            media = (handler.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if media == "application/sparql-update":
                self._drain(handler)
                return text_response(403, UPDATE_REFUSED)
            raw = self._read_body(handler)
            if media == "application/x-www-form-urlencoded":
                for key, values in self._form(raw.decode("latin-1") if raw.isascii() else self._utf8(raw)).items():
                    params.setdefault(key, []).extend(values)
            elif media == "application/sparql-query":
                body_query = self._utf8(raw)
            else:
                return text_response(415, "POST a query as application/x-www-form-urlencoded (query=...) or as "
                                          "application/sparql-query; this endpoint takes no updates")
        elif method not in ("GET", "HEAD"):  # pragma: no cover - dispatch sends only these
            return text_response(405, "method not allowed", {"Allow": ALLOWED_METHODS})
        if "update" in params or "using-graph-uri" in params or "using-named-graph-uri" in params:
            return text_response(403, UPDATE_REFUSED)
        if "default-graph-uri" in params or "named-graph-uri" in params:
            return text_response(403, DATASET_REFUSED)
        queries = params.get("query", [])
        if body_query is not None:
            if queries:
                return text_response(400, "give the query once: in the body or in the query parameter, not both")
            queries = [body_query]
        if len(queries) > 1:
            return text_response(400, "give exactly one query parameter")
        formats = params.get("format", []) + params.get("output", [])
        accept = handler.headers.get("Accept")
        if not queries:
            return self.service_description(handler, accept, formats)
        text = queries[0]
        if len(text.encode("utf-8")) > self.max_body:
            return text_response(413, f"the query is longer than {self.max_body} bytes")
        if not formats and method in ("GET", "HEAD") and prefers_html(accept, RESULT_TYPES + GRAPH_TYPES):
            # a person following a link: show the query in the query page rather than raw results
            return Response(303, b"", headers={"Location": "/query?" + urlencode({"query": text})})
        request = {"query": text, "accept": accept, "format": formats[0] if formats else None}
        started = time.monotonic()
        try:
            reply = self.pool.run(request)
        except Busy:
            return text_response(503, "the endpoint is busy: every query worker is in use and the queue is full",
                                 {"Retry-After": str(max(1, math.ceil(self.timeout)))})
        except QueryTimeout:
            return text_response(503, f"query timed out: it ran longer than {self.timeout:g} s, the limit of this endpoint")
        except WorkerDied:
            return text_response(500, "the query worker died (the query may need more memory than a worker may use)")
        headers = dict(reply.get("headers") or {})
        headers["Vary"] = "Accept"
        headers["X-Atlas-Query-Time"] = f"{time.monotonic() - started:.3f}"
        return Response(reply["status"], reply["body"], reply["type"], headers)

    def _form(self, text: str) -> dict[str, list[str]]:
        try:
            return parse_qs(text, keep_blank_values=True, errors="strict", max_num_fields=64)
        except (ValueError, UnicodeDecodeError) as error:
            raise Refused(400, f"cannot read the parameters: {_short(error)}") from None

    @staticmethod
    def _utf8(raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            raise Refused(400, "the request body is not UTF-8") from None

    def _content_length(self, handler: _Handler) -> int:
        if "chunked" in (handler.headers.get("Transfer-Encoding") or "").lower():
            handler.close_connection = True
            raise Refused(411, "send the body with a Content-Length (chunked bodies are not accepted)")
        value = handler.headers.get("Content-Length")
        if value is None:
            raise Refused(411, "a POST needs a Content-Length")
        try:
            length = int(value)
        except ValueError:
            raise Refused(400, "bad Content-Length") from None
        if length < 0:
            raise Refused(400, "bad Content-Length")
        return length

    def _read_body(self, handler: _Handler) -> bytes:
        length = self._content_length(handler)
        if length > self.max_body:
            self._drain(handler, length)
            raise Refused(413, f"the request body is larger than {self.max_body} bytes, the limit of this endpoint")
        data = handler.rfile.read(length)
        if len(data) != length:
            raise Refused(400, "the request body is shorter than its Content-Length")
        return data

    def _drain(self, handler: _Handler, length: int | None = None) -> None:
        """Read and drop a body we refuse (up to a bound), so the client sees the answer, not a reset."""
        if length is None:
            with contextlib.suppress(Refused):
                length = self._content_length(handler)
        if not length or length > 4 * self.max_body:
            handler.close_connection = True
            return
        with contextlib.suppress(OSError):
            remaining, deadline = length, time.monotonic() + 5
            while remaining > 0 and time.monotonic() < deadline:
                chunk = handler.rfile.read(min(65536, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)

    def endpoint_iri(self, handler: _Handler) -> str:
        host = handler.headers.get("Host") or ""
        if not _SAFE_HOST.match(host):
            host = f"{self.host}:{self.port}" if ":" not in self.host else f"[{self.host}]:{self.port}"
        return f"http://{host}/sparql"

    def service_description(self, handler: _Handler, accept: str | None, formats: list[str]) -> Response:
        if not formats and prefers_html(accept, GRAPH_TYPES):
            return Response(303, b"", headers={"Location": "/query"})
        fmt = FORMAT_ALIASES.get(formats[0].lower()) if formats else negotiate(accept, GRAPH_TYPES)
        fmt = GRAPH_ALIAS_OF_RESULT.get(fmt, fmt)
        if fmt not in RDF_FORMATS:
            return text_response(406, "the service description is available as " + ", ".join(dict.fromkeys(m for m, _ in GRAPH_TYPES)))
        triples = self.site.service_description(self.endpoint_iri(handler), self.timeout, self.max_rows, self.max_body,
                                                self.pool.size, bool(self.cors))
        prefixes = {"sd": "http://www.w3.org/ns/sparql-service-description#", "void": "http://rdfs.org/ns/void#",
                    "formats": "http://www.w3.org/ns/formats/", "dcterms": "http://purl.org/dc/terms/",
                    "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "xsd": "http://www.w3.org/2001/XMLSchema#"}
        return Response(200, serialize_graph(triples, fmt, prefixes), CONTENT_TYPES[fmt], {"Vary": "Accept"})

    # -- entity pages, concept pages, the ontology -------------------------------------------------------

    def rdf_response(self, triples: list[ox.Triple], fmt: str) -> Response:
        return Response(200, serialize_graph(triples, fmt), CONTENT_TYPES[fmt], {"Vary": "Accept"})

    def _page_format(self, accept: str | None, query_string: str, suffix: str | None) -> str | None:
        """'html' or an RDF format key for a page; None when nothing acceptable."""
        if suffix:
            return suffix
        formats = parse_qs(query_string).get("format", [])
        if formats:
            fmt = FORMAT_ALIASES.get(formats[0].lower())
            fmt = GRAPH_ALIAS_OF_RESULT.get(fmt, fmt)
            return fmt if fmt in RDF_FORMATS else ("html" if formats[0].lower() == "html" else None)
        offers = [("text/html", "html"), ("application/xhtml+xml", "html")] + GRAPH_TYPES
        return negotiate(accept, offers)

    def ontology(self, accept: str | None, query_string: str) -> Response:
        fmt = self._page_format(accept, query_string, None)
        if fmt is None:
            return text_response(406, "the ontology is available as text/html, " + ", ".join(dict.fromkeys(m for m, _ in GRAPH_TYPES)))
        if fmt != "html":
            return self.rdf_response(self.site.ontology_triples(), fmt)
        return self.html(self.site.ontology_page(), headers={"Vary": "Accept"})

    SUFFIXES: ClassVar[dict[str, str]] = {".ttl": "turtle", ".jsonld": "jsonld", ".nt": "ntriples", ".rdf": "rdfxml", ".html": "html"}

    def resource(self, path: str, accept: str | None, query_string: str) -> Response:
        segments = path.strip("/").split("/")
        if not re.fullmatch(r"(/[A-Za-z0-9_\-.]+)+/?", path) or any(s in (".", "..") for s in segments):
            return self.not_found(accept, f"no page at {path}")
        # /<kind>/ : the list of a kind's entities
        if len(segments) == 1 and segments[0] in KINDS:
            if not path.endswith("/"):
                return Response(301, b"", headers={"Location": path + "/"})
            return self.html(self.site.kind_page(segments[0]))
        suffix = None
        last = segments[-1]
        for ending, key in self.SUFFIXES.items():
            if last.endswith(ending) and len(last) > len(ending):
                segments[-1], suffix = last[: -len(ending)], key
                break
        iri = BASE + "/".join(segments)
        if path.endswith("/") and segments and segments[0] == "ontology" and len(segments) == 2:
            scheme = iri + "/scheme"  # a vocabulary folder: its concept scheme
            if self.site.exists(scheme):
                return Response(303, b"", headers={"Location": "/" + scheme[len(BASE):]})
            return self.not_found(accept, f"no vocabulary at {path}")
        if path.endswith("/") or not self.site.exists(iri):
            return self.not_found(accept, f"nothing in the atlas has the IRI {iri}")
        fmt = self._page_format(accept, query_string, suffix)
        if fmt is None:
            return text_response(406, "this resource is available as text/html, " + ", ".join(dict.fromkeys(m for m, _ in GRAPH_TYPES)))
        if fmt != "html":
            return self.rdf_response(self.site.describe(iri), fmt)
        if segments[0] == "ontology" and len(segments) == 2:  # an ontology term: its section of the documentation
            return Response(303, b"", headers={"Location": "/ontology/" + self.site.ontology_anchor(iri), "Vary": "Accept"})
        return self.html(self.site.resource_page(iri), headers={"Vary": "Accept"})


def _load_static(folder: Path) -> dict[str, tuple[bytes, str]]:
    """Every file under web/static, read once: the only files the server ever sends (no path from a request
    reaches the file system)."""
    files: dict[str, tuple[bytes, str]] = {}
    if not folder.is_dir():
        return files
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            name = path.relative_to(folder).as_posix()
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if content_type.startswith("text/") or content_type in ("application/javascript", "image/svg+xml", "application/json"):
                content_type += "; charset=utf-8"
            if path.suffix == ".js":
                content_type = "text/javascript; charset=utf-8"
            files[name] = (path.read_bytes(), content_type)
    return files


def serve(atlas, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, timeout: float = DEFAULT_TIMEOUT,
          max_rows: int = DEFAULT_MAX_ROWS, cors: str | None = None, workers: int | None = None,
          queue: int = DEFAULT_QUEUE, max_body: int = DEFAULT_MAX_BODY, log: bool = True,
          ready: Callable[[AtlasServer], None] | None = None) -> int:
    """Serve the atlas until interrupted (Ctrl-C or SIGTERM); returns the exit code (0).

    ``atlas`` is an :class:`llm_atlas.Atlas`; the store is built first if there is none. Raises
    :class:`llm_atlas.errors.UsageError` when the address cannot be bound.
    """
    server = AtlasServer(atlas, host=host, port=port, timeout=timeout, max_rows=max_rows, cors=cors, workers=workers,
                         queue=queue, max_body=max_body, log=log)
    stop = threading.Event()

    def _terminate(signum, frame):
        stop.set()
        threading.Thread(target=server.httpd.shutdown, daemon=True).start()

    previous = None
    with contextlib.suppress(ValueError):  # only the main thread may set signal handlers
        previous = signal.signal(signal.SIGTERM, _terminate)
    exposed = "" if host in ("127.0.0.1", "localhost", "::1") else (
        f"\nnote: listening on {host}, not only on this machine; the endpoint is read-only and bounded, "
        "but put a proxy with TLS in front of it for the open internet")
    print(f"LLM Atlas at {server.url}/ (SPARQL endpoint {server.url}/sparql, query page {server.url}/query); "
          f"timeout {server.timeout:g} s, at most {server.max_rows} rows, {server.pool.size} workers, "
          f"CORS {'for ' + server.cors if server.cors else 'off'}. Ctrl-C stops.{exposed}", file=sys.stderr, flush=True)
    if ready is not None:
        ready(server)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
        if previous is not None:
            with contextlib.suppress(ValueError):
                signal.signal(signal.SIGTERM, previous)
    return 0


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "AtlasServer",
    "QueryPool",
    "Refused",
    "check_query",
    "negotiate",
    "serve",
    "store_fingerprint",
    "take_snapshot",
]
