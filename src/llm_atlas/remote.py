"""Remote SPARQL: run the saved queries against any SPARQL 1.1 endpoint (through SPARQLWrapper).

>>> from llm_atlas import Atlas, remote
>>> atlas = Atlas.open()                                                              # doctest: +SKIP
>>> remote.remote_query("http://localhost:7878/query", atlas.saved_query("dependents"),
...                     {"artifact": "dataset:common-crawl"}).rows                   # doctest: +SKIP

The answer is the same :class:`~llm_atlas.query.QueryResult` the embedded store gives, so every output
format works unchanged.

**Which graph the query sees.** Locally a query runs over the union of the file graphs. A remote endpoint
answers over its own default graph, so either the server makes that the union of its named graphs
(``oxigraph serve --union-default-graph``, Fuseki's ``tdb2:unionDefaultGraph``, or the ``atlas.nt`` dump
loaded into the default graph), or ``atlas_graphs=True`` lists the atlas's file graphs on the endpoint
(those ``llm-atlas publish`` wrote) and names them as the query's default graph with the protocol's
``default-graph-uri`` parameters, which any SPARQL 1.1 endpoint honours.

**Parameters.** A remote endpoint has no equivalent of pyoxigraph's substitutions, and splicing values into
the text is how injections happen. The values are bound instead with a SPARQL 1.1 ``VALUES`` block placed
first in the query's outermost ``WHERE`` group, which joins the values with the whole pattern, as a
substitution does. Every value is first an RDF term validated for the parameter's type (an IRI checked by
pyoxigraph and against SPARQL's IRIREF characters, an integer by pattern, a string escaped with SPARQL's
own escapes, never ``\\u`` ones, which some servers decode before parsing); the rewritten query is then
parsed locally, so a value can only ever be a value. The shared prefixes are declared in front of the query.
"""

from __future__ import annotations

import ast
import base64
import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Sequence

import pyoxigraph as ox

from .errors import EXIT_USAGE, AtlasError, UsageError
from .layout import FILE_GRAPH_BASE
from .namespaces import PREFIXES, sparql_prefixes
from .query import QueryResult, SavedQuery, bind_params, bind_values, query_form, sparql_term

DEFAULT_TIMEOUT = 60.0
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
USER_AGENT = "llm-atlas"
EXCERPT = 300


class RemoteError(AtlasError):
    """A remote endpoint failed (HTTP error, refused connection, timeout, unreadable answer): exit 2.

    ``status`` is the HTTP status (None when there was no HTTP answer), ``body`` an excerpt of the answer.
    Messages never contain credentials: URLs are shown without user information or secret parameters.
    """

    exit_code = EXIT_USAGE

    def __init__(self, message: str, *, url: str = "", status: int | None = None, body: str = ""):
        self.url = url
        self.status = status
        self.body = body
        super().__init__(message)


# -- URLs and credentials ------------------------------------------------------------------------------------

_SECRET_PARAM = re.compile(r"(?i)(key|token|secret|pass|auth|sig)")


def redact(url: str) -> str:
    """The URL as it may appear in a message or a log: no user information, no secret-looking parameter."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    try:
        if parts.port:
            netloc += f":{parts.port}"
    except ValueError:
        pass
    query = urllib.parse.urlencode([(k, "***" if _SECRET_PARAM.search(k) else v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)])
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def check_url(url: str, option: str = "--endpoint") -> str:
    """An endpoint URL (http or https, with a host; no credentials, no fragment), or a UsageError."""
    if not isinstance(url, str) or not url or any(c.isspace() or ord(c) < 32 for c in url):
        raise UsageError(f"{option}: give the endpoint's URL, e.g. http://localhost:7878/query")
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as error:
        raise UsageError(f"{option}: {redact(url)} is not a valid URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"{option}: {redact(url)} is not an http(s) URL with a host, e.g. http://localhost:7878/query")
    if parts.username is not None or parts.password is not None:
        raise UsageError(f"{option}: put no credentials in the URL ({redact(url)}): they would show in logs; use --user and --password")
    if parts.fragment:
        raise UsageError(f"{option}: {redact(url)} has a fragment (#...), which is never sent to a server")
    return url


def basic_auth(user: str | None, password: str | None) -> str | None:
    """The value of an ``Authorization`` header for HTTP Basic authentication (None without a user)."""
    if user is None and password is None:
        return None
    if not user:
        raise UsageError("a password needs a user name (--user)")
    token = base64.b64encode(f"{user}:{password or ''}".encode("utf-8")).decode("ascii")
    return "Basic " + token


def excerpt(body: bytes | str | None) -> str:
    """The start of an answer's body on one line, for a message."""
    if body is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    text = " ".join("".join(c if c.isprintable() or c.isspace() else " " for c in text).split())
    return text if len(text) <= EXCERPT else text[:EXCERPT] + "..."


def http_request(method: str, url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
                 auth: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> tuple[int, bytes]:
    """One HTTP request with urllib (no redirects for writes); (status, body) or a RemoteError."""
    request = urllib.request.Request(url, data=data, method=method, headers={"User-Agent": USER_AGENT, **(headers or {})})
    if auth:
        request.add_unredirected_header("Authorization", auth)
    shown = redact(url)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        body = error.read(65536) if error.fp else b""
        raise RemoteError(f"{method} {shown} failed: HTTP {error.code} {error.reason}" + (f": {excerpt(body)}" if body else ""),
                          url=shown, status=error.code, body=excerpt(body)) from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RemoteError(f"{method} {shown} failed: {reason}", url=shown) from None


def remote_text(query: str | SavedQuery, params: dict[str, str] | None = None) -> str:
    """The text sent to the endpoint: the shared prefixes, then the query with its parameters bound."""
    if isinstance(query, SavedQuery):
        text = bind_values(query.text, bind_params(query, params or {}))
    else:
        if params:
            raise UsageError("--param applies to saved queries, which declare their parameters")
        text = query
        try:
            ox.Store().query(text, prefixes=PREFIXES)
        except SyntaxError as error:
            raise UsageError(f"SPARQL syntax error: {error}") from None
    return sparql_prefixes() + text


# -- running -------------------------------------------------------------------------------------------------

def _term(binding: dict) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    kind, value = binding.get("type"), binding.get("value", "")
    if kind == "uri":
        return ox.NamedNode(value)
    if kind == "bnode":
        return ox.BlankNode(value)
    if kind in ("literal", "typed-literal"):
        if binding.get("xml:lang"):
            return ox.Literal(value, language=binding["xml:lang"])
        datatype = binding.get("datatype")
        if datatype and datatype != XSD_STRING:
            return ox.Literal(value, datatype=ox.NamedNode(datatype))
        return ox.Literal(value)
    raise ValueError(f"unsupported term in the answer: {binding!r}")


def _wrapper(endpoint: str, *, user, password, timeout, default_graphs: Sequence[str] = ()):
    from SPARQLWrapper import BASIC, POST, URLENCODED, SPARQLWrapper

    wrapper = SPARQLWrapper(endpoint, agent=USER_AGENT)
    wrapper.setMethod(POST)  # long queries and many default-graph-uri parameters fit in a body, not a URL
    wrapper.setRequestMethod(URLENCODED)
    wrapper.setTimeout(max(1, int(round(timeout))))
    if user is not None or password is not None:
        basic_auth(user, password)  # validates
        wrapper.setHTTPAuth(BASIC)
        wrapper.setCredentials(user, password or "")
    for graph in default_graphs:
        wrapper.addDefaultGraph(graph)
    return wrapper


def _run(wrapper, text: str, form: str, endpoint: str):
    from SPARQLWrapper import JSON, TURTLE
    from SPARQLWrapper.SPARQLExceptions import (EndPointInternalError, EndPointNotFound, QueryBadFormed, SPARQLWrapperException,
                                                Unauthorized, URITooLong)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SPARQLWrapper's own guess of the query form, replaced below
        wrapper.setQuery(text)
    # SPARQLWrapper guesses the form with a regular expression that long prologues and comments defeat
    # (it took a saved query for an update and sent it as update=); the form is known here.
    wrapper.queryType = form
    wrapper.setReturnFormat(JSON if form in ("SELECT", "ASK") else TURTLE)
    shown = redact(endpoint)
    statuses = {QueryBadFormed: 400, Unauthorized: 401, EndPointNotFound: 404, URITooLong: 414, EndPointInternalError: 500}
    try:
        result = wrapper.query()
        return result.response.read(), (result.response.headers.get("Content-Type") or "").split(";")[0].strip()
    except SPARQLWrapperException as error:
        status = next((code for cls, code in statuses.items() if isinstance(error, cls)), None)
        body = b""
        message = str(error)
        if "Response:\n" in message:
            try:
                body = ast.literal_eval(message.split("Response:\n", 1)[1])
            except (ValueError, SyntaxError):
                body = message.split("Response:\n", 1)[1].encode()
        detail = excerpt(body)
        raise RemoteError(f"query at {shown} failed: HTTP {status or '?'} {type(error).__name__}" + (f": {detail}" if detail else ""),
                          url=shown, status=status, body=detail) from None
    except urllib.error.HTTPError as error:
        body = error.read(65536) if error.fp else b""
        raise RemoteError(f"query at {shown} failed: HTTP {error.code} {error.reason}" + (f": {excerpt(body)}" if body else ""),
                          url=shown, status=error.code, body=excerpt(body)) from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as error:
        raise RemoteError(f"query at {shown} failed: {getattr(error, 'reason', error)}", url=shown) from None


def _result(body: bytes, content_type: str, form: str, endpoint: str) -> QueryResult:
    shown = redact(endpoint)
    try:
        if form in ("SELECT", "ASK"):
            answer = json.loads(body.decode("utf-8"))
            if "boolean" in answer:
                return QueryResult(boolean=bool(answer["boolean"]))
            variables = list(answer["head"].get("vars", []))
            rows = [[_term(b[v]) if v in b else None for v in variables] for b in answer["results"]["bindings"]]
            return QueryResult(variables, rows)
        fmt = ox.RdfFormat.from_media_type(content_type) or ox.RdfFormat.TURTLE
        return QueryResult(triples=[ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, format=fmt)])
    except (ValueError, KeyError, TypeError, SyntaxError, UnicodeDecodeError) as error:
        raise RemoteError(f"the answer of {shown} is not a SPARQL result ({content_type or 'no content type'}): {error}; "
                          f"starts with: {excerpt(body[:200])}", url=shown, body=excerpt(body)) from None


def remote_graphs(endpoint: str, *, under: str = FILE_GRAPH_BASE, user: str | None = None, password: str | None = None,
                  timeout: float = DEFAULT_TIMEOUT) -> list[str]:
    """The named graphs on the endpoint whose IRI starts with ``under`` (the atlas's file graphs), sorted."""
    check_url(endpoint)
    text = ("SELECT DISTINCT ?g WHERE { GRAPH ?g { } FILTER (STRSTARTS(STR(?g), " + sparql_term(ox.Literal(under)) + ")) }")
    wrapper = _wrapper(endpoint, user=user, password=password, timeout=timeout)
    result = _result(*_run(wrapper, text, "SELECT", endpoint), "SELECT", endpoint)
    return sorted({row[0].value for row in result.rows if isinstance(row[0], ox.NamedNode)})


def remote_query(endpoint: str, query: str | SavedQuery, params: dict[str, str] | None = None, *,
                 user: str | None = None, password: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                 atlas_graphs: bool = False) -> QueryResult:
    """Run a saved query (or SPARQL text) at a remote SPARQL endpoint; the same QueryResult as locally.

    ``params`` are the saved query's parameters as on the command line (``{"artifact": "dataset:the-pile"}``),
    bound with a VALUES block (see the module's documentation). ``atlas_graphs``: query the union of the
    atlas's file graphs on the endpoint rather than its default graph. Raises UsageError for a bad URL,
    query or parameter, RemoteError when the endpoint fails.
    """
    check_url(endpoint)
    text = remote_text(query, params)
    form = query_form(text)
    graphs = remote_graphs(endpoint, user=user, password=password, timeout=timeout) if atlas_graphs else []
    if atlas_graphs and not graphs:
        raise RemoteError(f"no atlas graphs (<{FILE_GRAPH_BASE}...>) at {redact(endpoint)}: publish the atlas there first", url=redact(endpoint))
    wrapper = _wrapper(endpoint, user=user, password=password, timeout=timeout, default_graphs=graphs)
    return _result(*_run(wrapper, text, form, endpoint), form, endpoint)


__all__ = ["RemoteError", "remote_query", "remote_graphs", "remote_text", "bind_values", "sparql_term", "check_url", "redact", "http_request"]
