"""The one SPARQL and HTTP client: every request the atlas sends to another server goes through here.

:class:`SparqlEndpoint` speaks the SPARQL 1.1 Protocol (a form-encoded POST, so long queries and many
``default-graph-uri`` parameters fit) and reads the answer into the same
:class:`~llm_atlas.query.QueryResult` the embedded store gives. :func:`http_request` sends the plain HTTP
requests of the Graph Store Protocol (``publish``). ``link`` (Wikidata), ``remote`` (``query --endpoint``)
and ``publish`` use them; nothing else in the package opens a socket, except the endpoint it serves.

Politeness and safety: a User-Agent naming the tool and its version (``link`` adds a contact address), a
timeout on every request, and on HTTP 429 or 503 a wait of ``Retry-After`` seconds (capped at
:data:`MAX_WAIT`) before a bounded number of retries. Credentials go in an ``Authorization`` header (HTTP
Basic, never re-sent on a redirect) and never into a message: URLs are shown by :func:`redact`.

Only the standard library's urllib is used: the protocol is one POST, and the answer is parsed here (JSON
results, with SPARQL 1.2 triple terms) or by pyoxigraph (RDF for CONSTRUCT and DESCRIBE).
"""

from __future__ import annotations

import base64
import email.utils
import json
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from datetime import timezone

import pyoxigraph as ox

from .errors import UsageError
from .namespaces import XSD_STRING
from .query import QueryResult
from .version import __version__

USER_AGENT = f"llm-atlas/{__version__} (https://w3id.org/llm-atlas)"
DEFAULT_TIMEOUT = 60.0  # seconds per request (the public Wikidata endpoint stops a query after 60 s)
MAX_WAIT = 120.0  # seconds: a longer Retry-After is capped to this
EXCERPT = 300  # characters of an error answer's body shown in a message

SELECT_ACCEPT = "application/sparql-results+json"
GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"


class RemoteError(UsageError):
    """A remote server failed (HTTP error, refused connection, timeout, unreadable answer): exit 2.

    ``status`` is the HTTP status (None when there was no HTTP answer), ``body`` an excerpt of the answer.
    """

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


def retry_after_seconds(value: str | None, attempt: int, now: Callable[[], float] = time.time) -> float:
    """Seconds to wait after a 429/503: the ``Retry-After`` header (seconds or an HTTP date), capped at
    :data:`MAX_WAIT`; without a usable header, 2, 4, 8... seconds."""
    wait = None
    if value:
        value = value.strip()
        if re.fullmatch(r"\d+", value):
            wait = float(value)
        else:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                if when.tzinfo is None:
                    when = when.replace(tzinfo=timezone.utc)
                wait = max(0.0, when.timestamp() - now())
    if wait is None:
        wait = float(2 ** (attempt + 1))
    return min(wait, MAX_WAIT)


# -- HTTP ----------------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Writes and queries are never sent on to another address: a redirect is reported as the answer it is."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def http_request(method: str, url: str, *, data: bytes | None = None, headers: dict[str, str] | None = None,
                 auth: str | None = None, timeout: float = DEFAULT_TIMEOUT, agent: str = USER_AGENT) -> tuple[int, bytes]:
    """One HTTP request; (status, body), or a :class:`RemoteError` naming the status and the start of the body."""
    request = urllib.request.Request(url, data=data, method=method, headers={"User-Agent": agent, **(headers or {})})
    if auth:
        request.add_unredirected_header("Authorization", auth)
    shown = redact(url)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        body = error.read(65536) if error.fp else b""
        raise RemoteError(f"{method} {shown} failed: HTTP {error.code} {error.reason}" + (f": {excerpt(body)}" if body else ""),
                          url=shown, status=error.code, body=excerpt(body)) from error
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise RemoteError(f"{method} {shown} failed: {reason}", url=shown) from None


# -- SPARQL --------------------------------------------------------------------------------------------------


def _term(binding: dict):
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
    if kind == "triple" and isinstance(value, dict):
        return ox.Triple(_term(value["subject"]), _term(value["predicate"]), _term(value["object"]))
    raise ValueError(f"unsupported term in the answer: {binding!r}")


def read_results(body: bytes, content_type: str, form: str) -> QueryResult:
    """A SPARQL answer as a QueryResult: JSON results for SELECT and ASK, RDF for CONSTRUCT and DESCRIBE."""
    if form in ("SELECT", "ASK"):
        answer = json.loads(body.decode("utf-8"))
        if "boolean" in answer:
            return QueryResult(boolean=bool(answer["boolean"]))
        variables = list(answer["head"].get("vars", []))
        rows = [[_term(b[v]) if v in b else None for v in variables] for b in answer["results"]["bindings"]]
        return QueryResult(variables, rows)
    fmt = ox.RdfFormat.from_media_type(content_type) or ox.RdfFormat.TURTLE
    return QueryResult(triples=[ox.Triple(q.subject, q.predicate, q.object) for q in ox.parse(body, format=fmt)])


class SparqlEndpoint:
    """A client of one SPARQL 1.1 Protocol endpoint.

    ``max_retries``: how many times a query answered with HTTP 429 or 503 is sent again (after the wait
    the answer asks for); ``requests`` and ``waited`` count what was sent and how long was waited.
    """

    def __init__(self, url: str, *, agent: str = USER_AGENT, user: str | None = None, password: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT, max_retries: int = 0, sleep: Callable[[float], None] = time.sleep,
                 option: str = "--endpoint"):
        self.url = check_url(url, option)
        self.shown = redact(url)
        self.agent = agent
        self.auth = basic_auth(user, password)
        self.timeout = max(1.0, float(timeout))
        self.max_retries = max(0, int(max_retries))
        self.sleep = sleep
        self.requests = 0
        self.waited = 0.0

    def query(self, text: str, form: str, *, default_graphs: Sequence[str] = (), named_graphs: Sequence[str] = ()) -> QueryResult:
        """Send a query whose form (SELECT, ASK, CONSTRUCT, DESCRIBE) the caller knows; its answer."""
        fields = [("query", text)] + [("default-graph-uri", g) for g in default_graphs] + [("named-graph-uri", g) for g in named_graphs]
        data = urllib.parse.urlencode(fields).encode("utf-8")
        headers = {"Content-Type": "application/x-www-form-urlencoded",
                   "Accept": SELECT_ACCEPT if form in ("SELECT", "ASK") else GRAPH_ACCEPT}
        attempt = 0
        while True:
            self.requests += 1
            request = urllib.request.Request(self.url, data=data, method="POST", headers={"User-Agent": self.agent, **headers})
            if self.auth:
                request.add_unredirected_header("Authorization", self.auth)
            try:
                with _OPENER.open(request, timeout=self.timeout) as response:
                    body, content_type = response.read(), (response.headers.get("Content-Type") or "").split(";")[0].strip()
                break
            except urllib.error.HTTPError as error:
                answer = error.read(65536) if error.fp else b""
                if error.code in (429, 503) and attempt < self.max_retries:
                    wait = retry_after_seconds(error.headers.get("Retry-After") if error.headers else None, attempt)
                    self.waited += wait
                    self.sleep(wait)
                    attempt += 1
                    continue
                if error.code in (429, 503) and attempt:
                    why = "too many requests" if error.code == 429 else "service unavailable"
                    raise RemoteError(f"{self.shown} answered HTTP {error.code} ({why}) {attempt + 1} times in a row; try again later",
                                      url=self.shown, status=error.code, body=excerpt(answer)) from None
                raise RemoteError(f"query at {self.shown} failed: HTTP {error.code} {error.reason}" + (f": {excerpt(answer)}" if answer else ""),
                                  url=self.shown, status=error.code, body=excerpt(answer)) from None
            except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, OSError) as error:
                reason = getattr(error, "reason", error)
                raise RemoteError(f"cannot reach the SPARQL endpoint {self.shown}: {reason}", url=self.shown) from None
        try:
            return read_results(body, content_type, form)
        except (ValueError, KeyError, TypeError, SyntaxError, UnicodeDecodeError) as error:
            raise RemoteError(f"the answer of {self.shown} is not a SPARQL result ({content_type or 'no content type'}): {error}; "
                              f"starts with: {excerpt(body[:200])}", url=self.shown, body=excerpt(body)) from None

    def select(self, text: str, *, default_graphs: Sequence[str] = ()) -> QueryResult:
        return self.query(text, "SELECT", default_graphs=default_graphs)


__all__ = ["SparqlEndpoint", "RemoteError", "http_request", "read_results", "check_url", "redact", "basic_auth", "excerpt",
           "retry_after_seconds", "USER_AGENT", "DEFAULT_TIMEOUT", "MAX_WAIT"]
