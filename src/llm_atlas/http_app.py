"""HTTP for ``llm-atlas serve``: the ASGI application (Starlette) and the uvicorn protocol that bounds slow clients.

Routes: ``/sparql`` (the SPARQL 1.1 Protocol), ``/`` and ``/<kind>/`` (lists), ``/<kind>/<slug>`` and every
other atlas IRI's path (pages, or Turtle, JSON-LD, N-Triples, RDF/XML by content negotiation or suffix),
``/ontology/``, ``/query`` (the editor), ``/queries/`` and ``/queries/<name>`` (a page per saved query),
``/queries.json``, ``/prefixes.json``, ``/static/...``.

What a client can hold: a connection that has not sent its request line and headers within ``head_timeout``
seconds gets 408 and is closed (:func:`protocol_with_head_deadline`), a request line over ``MAX_URL`` 414; a body that has not arrived within
``body_timeout`` seconds gets 408; conflicting ``Content-Length`` headers get 400 (uvicorn's parser refuses
them), a body without a length 411, one over the cap 413, all without reading it. The event loop keeps
serving everyone else meanwhile: a slow client holds a few kilobytes, no thread and no query slot.
"""

from __future__ import annotations

import asyncio
import ctypes
import json
import math
import mimetypes
import re
import sys
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route

from . import sparql_protocol as protocol
from .guard_process import CACHE_CHARS, CACHE_ENTRIES, CACHE_TEXT_LIMIT, GuardProcess
from .namespaces import BASE, KINDS, PREFIXES
from .pages import Pages, QueryPageProblem
from .query_engine import Busy, EngineRefused, EngineStopped, QueryEngine, QueryTimeout
from .sparql_protocol import GRAPH_TYPES, RDF_FORMATS, RESULT_TYPES, Refused
from .text_cache import TextCache

# Pages: no script or style from elsewhere, no request to anywhere but this server.
CSP_PAGES = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]
ALLOWED_METHODS = "GET, HEAD, POST, OPTIONS"
EXPOSED_HEADERS = f"{protocol.TRUNCATED_HEADER}, {protocol.ROW_LIMIT_HEADER}, Retry-After, Content-Type, Location"
CLOSE = {"Connection": "close"}
SUFFIXES = {".ttl": "turtle", ".jsonld": "jsonld", ".nt": "ntriples", ".rdf": "rdfxml", ".html": "html"}
PAGE_OFFERS = [("text/html", "html"), ("application/xhtml+xml", "html"), *GRAPH_TYPES]
MAX_URL = 60_000  # bytes of a request target; httptools cannot parse one over 64 KiB, so longer ones get 414
_SAFE_PATH = re.compile(r"(/[A-Za-z0-9_\-.]+)+/?")
_SAFE_HOST = re.compile(r"^[A-Za-z0-9.\-]+(?::\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](?::\d{1,5})?$")

# After an answer this large, the server gives the memory it freed back to the system (glibc's malloc_trim,
# 0.3 ms), a moment later: the answer's buffers are freed into the heaps, which otherwise keep them
# (benchmarks/results/endpoint.md).
GIVE_BACK_AFTER = 1 << 20
GIVE_BACK_DELAY = 1.0  # seconds
try:
    _malloc_trim = ctypes.CDLL(None).malloc_trim  # glibc; elsewhere there is none, and nothing is given back
except (OSError, AttributeError):
    _malloc_trim = None


def text_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response((message + "\n").encode("utf-8"), status, headers, "text/plain; charset=utf-8")


def html_response(page: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(page.encode("utf-8"), status, headers, "text/html; charset=utf-8")


def load_static(folder: Path) -> dict[str, tuple[bytes, str]]:
    """Every file under web/static, read once: the only files the server sends (no path from a request
    reaches the file system)."""
    files: dict[str, tuple[bytes, str]] = {}
    for path in sorted(folder.rglob("*")) if folder.is_dir() else []:
        if path.is_file() and not path.name.startswith("."):
            content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
            if path.suffix == ".js":
                content_type = "text/javascript"
            if content_type.startswith("text/") or content_type in ("image/svg+xml", "application/json"):
                content_type += "; charset=utf-8"
            files[path.relative_to(folder).as_posix()] = (path.read_bytes(), content_type)
    return files


class Settings:
    """The limits and options the application applies."""

    def __init__(self, *, timeout: float, max_rows: int, max_body: int, body_timeout: float, cors: str | None,
                 concurrency: int, host: str, port: int, prefixes: dict[str, str] = PREFIXES, access_log: bool = False):
        self.timeout = timeout
        self.max_rows = max_rows
        self.max_body = max_body
        self.body_timeout = body_timeout
        self.cors = cors.strip() if cors else None
        self.concurrency = concurrency
        self.host = host
        self.port = port
        self.prefixes = prefixes
        self.access_log = access_log  # a line per answer on standard error


class AtlasApp:
    """The endpoint and the pages as one ASGI application (``self.asgi``)."""

    def __init__(self, engine: QueryEngine, guard: GuardProcess, pages: Pages, static: dict[str, tuple[bytes, str]],
                 settings: Settings, log_errors: bool = False):
        self.engine = engine
        self.guard = guard
        self.pages = pages
        self.static = static
        self.settings = settings
        self.log_errors = log_errors
        self._giving_back = False  # a give-back of freed memory is scheduled
        # the text sent to the engine for a text seen before (a query carrying its forty PREFIX lines took
        # 70-110 us to read them, about a twentieth of a small query's time): bounded like the guard's verdicts
        self._prepared: TextCache[str] = TextCache(CACHE_ENTRIES, CACHE_CHARS, CACHE_TEXT_LIMIT)
        page = ["GET", "HEAD"]
        routes = [
            Route("/sparql", self.sparql, methods=["GET", "HEAD", "POST"]),
            Route("/", self.home, methods=page),
            Route("/query", self.query_editor, methods=page),
            Route("/search", self.search, methods=page),
            Route("/queries", lambda request: Response(b"", 301, {"Location": "/queries/"}), methods=page),
            Route("/queries/", self.saved_query_list, methods=page),
            Route("/queries/{name}", self.saved_query, methods=page),
            Route("/queries.json", self.saved_queries_json, methods=page),
            Route("/prefixes.json", self.prefixes_json, methods=page),
            Route("/static/{name:path}", self.static_file, methods=page),
            Route("/favicon.ico", lambda request: self._static("favicon.svg"), methods=page),
            Route("/ontology", self.ontology, methods=page),
            Route("/ontology/", self.ontology, methods=page),
            Route("/{path:path}", self.resource, methods=page),
        ]
        self.router = Starlette(routes=routes, exception_handlers={Refused: self._refused, Exception: self._failed})
        self.asgi = _Headers(self._dispatch, settings)

    async def _dispatch(self, scope, receive, send) -> None:
        """``/sparql`` straight to its handler, every other path through the router: the endpoint answers
        queries of a millisecond, where the router's five layers of middleware cost a tenth of one (the
        methods it takes are checked by :class:`_Headers` and :meth:`sparql`; errors map as the router's)."""
        if scope["type"] != "http" or scope["path"] != "/sparql":
            return await self.router(scope, receive, send)
        request = Request(scope, receive)
        try:
            response = await self.sparql(request)
        except Refused as refusal:
            response = await self._refused(request, refusal)
        except Exception as error:  # noqa: BLE001 - as the router's handler for Exception: a 500 that says why
            response = await self._failed(request, error)
        await response(scope, receive, send)
        if _malloc_trim is not None and len(response.body) >= GIVE_BACK_AFTER and not self._giving_back:
            # a second later: the event loop frees the answer's write buffers only once the client has read them
            self._giving_back = True
            asyncio.get_running_loop().call_later(GIVE_BACK_DELAY, self._give_back)

    def _give_back(self) -> None:
        self._giving_back = False
        if _malloc_trim is not None:
            _malloc_trim(0)

    # -- errors --------------------------------------------------------------------------------------------

    async def _refused(self, request: Request, refusal: Refused) -> Response:
        return text_response(refusal.status, refusal.message, refusal.headers)

    async def _failed(self, request: Request, error: Exception) -> Response:
        if self.log_errors:
            import traceback

            traceback.print_exception(error)
        return text_response(500, f"internal error: {protocol.short(error)}")

    def not_found(self, accept: str | None, what: str) -> Response:
        if not accept or protocol.prefers_html(accept, GRAPH_TYPES):
            return html_response(self.pages.error(404, "Not found", what), 404)
        return text_response(404, what)

    # -- the SPARQL endpoint -------------------------------------------------------------------------------

    async def read_body(self, request: Request) -> bytes:
        """The body of a POST, within the size cap and the time limit, or :class:`Refused` (the connection is
        then closed, so an unread body cannot be taken for the next request)."""
        if request.headers.get("transfer-encoding"):
            raise Refused(411, "send the body with a Content-Length (chunked bodies are not accepted)", CLOSE)
        lengths = request.headers.getlist("content-length")
        if not lengths:
            raise Refused(411, "a POST needs a Content-Length", CLOSE)
        if len(set(lengths)) > 1:
            raise Refused(400, "conflicting Content-Length headers", CLOSE)
        try:
            length = int(lengths[0])
        except ValueError:
            raise Refused(400, "bad Content-Length", CLOSE) from None
        if length < 0:
            raise Refused(400, "bad Content-Length", CLOSE)
        if length > self.settings.max_body:
            raise Refused(413, f"the request body is larger than {self.settings.max_body} bytes, the limit of this endpoint", CLOSE)
        chunks, received = [], 0
        try:
            async with asyncio.timeout(self.settings.body_timeout):
                async for chunk in request.stream():
                    received += len(chunk)
                    chunks.append(chunk)
        except TimeoutError:
            raise Refused(408, f"the request body did not arrive within {self.settings.body_timeout:g} s", CLOSE) from None
        except ClientDisconnect:
            raise Refused(400, "the client went away before its request body was complete", CLOSE) from None
        if received != length:
            raise Refused(400, "the request body is shorter than its Content-Length", CLOSE)
        return b"".join(chunks)

    async def sparql(self, request: Request) -> Response:
        settings = self.settings
        content_type = request.headers.get("content-type")
        body = b""
        if request.method == "POST":
            if protocol.media_type(content_type) == protocol.SPARQL_UPDATE:
                raise Refused(403, protocol.UPDATE_REFUSED, CLOSE)
            body = await self.read_body(request)
        asked = protocol.read_request(request.method, request.scope["query_string"].decode("latin-1"), content_type, body)
        accept = request.headers.get("accept")
        if asked.query is None:
            return await self.service_description(request, accept, asked.formats)
        text = asked.query
        if len(text.encode("utf-8")) > settings.max_body:
            raise Refused(413, f"the query is longer than {settings.max_body} bytes")
        if not asked.formats and request.method in ("GET", "HEAD") and protocol.prefers_html(accept, RESULT_TYPES + GRAPH_TYPES):
            # a person following a link: show the query in the editor rather than raw results
            return Response(b"", 303, {"Location": "/query?" + urlencode({"query": text})})
        started = time.monotonic()
        form = await self.check(text)
        fmt = protocol.answer_format(form, accept, asked.formats)
        answer = await self.run(text, form, json=fmt == "json")
        render = protocol.render if len(answer.body) < 1 << 20 else self._render_in_thread
        rendered = await _maybe_await(render(form, answer.media, answer.body, answer.truncated, fmt, settings.max_rows, settings.prefixes))
        headers = dict(rendered.headers)
        headers["Vary"] = "Accept"
        headers["X-Atlas-Query-Time"] = f"{time.monotonic() - started:.3f}"
        headers["X-Atlas-Engine"] = answer.engine
        return Response(rendered.body, 200, headers, rendered.content_type)

    async def _render_in_thread(self, *args):
        return await asyncio.to_thread(protocol.render, *args)

    async def check(self, text: str) -> str:
        """The form of a query the guard lets run, or :class:`Refused` with its reason and position."""
        verdict = await self.guard.ainspect(text)
        if verdict.findings:
            raise protocol.refusal(verdict.findings[0])
        assert verdict.form is not None
        return verdict.form

    def _prepare(self, text: str) -> str:
        """The query with the shared prefixes it uses and does not declare (:func:`sparql_protocol.with_prefixes`)."""
        prepared = self._prepared.get(text)
        if prepared is None:
            prepared = protocol.with_prefixes(text, self.settings.prefixes)
            self._prepared.put(text, prepared, extra=0 if prepared is text else len(prepared))
        return prepared

    async def run(self, text: str, form: str, *, json: bool = False):
        try:
            return await self.engine.answer(self._prepare(text), form, json=json)
        except Busy:
            raise Refused(503, "the endpoint is busy: every query slot is in use and the queue is full",
                          {"Retry-After": str(max(1, math.ceil(self.settings.timeout)))}) from None
        except QueryTimeout:
            raise Refused(503, f"query timed out: it ran longer than {self.settings.timeout:g} s, the limit of this endpoint") from None
        except EngineStopped:
            raise Refused(500, "the query engine stopped while answering (the query may need more memory than it may use); "
                               "it is being restarted") from None
        except EngineRefused as refusal:
            raise Refused(400, f"the query failed: {protocol.short(refusal.message)}") from None

    def endpoint_iri(self, request: Request) -> str:
        host = request.headers.get("host") or ""
        if not _SAFE_HOST.match(host):
            host = f"{self.settings.host}:{self.settings.port}" if ":" not in self.settings.host else f"[{self.settings.host}]:{self.settings.port}"
        return f"http://{host}/sparql"

    async def service_description(self, request: Request, accept: str | None, formats: list[str]) -> Response:
        if not formats and protocol.prefers_html(accept, GRAPH_TYPES):
            return Response(b"", 303, {"Location": "/query"})
        fmt = protocol.FORMAT_ALIASES.get(formats[0].lower()) if formats else protocol.negotiate(accept, GRAPH_TYPES)
        fmt = protocol.GRAPH_ALIAS_OF_RESULT.get(fmt, fmt)
        if fmt not in RDF_FORMATS:
            raise Refused(406, "the service description is available as " + protocol.offered(GRAPH_TYPES))
        counts = await self.pages.data.counts()
        triples = protocol.service_description(
            self.endpoint_iri(request), timeout=self.settings.timeout, max_rows=self.settings.max_rows,
            max_body=self.settings.max_body, concurrency=self.settings.concurrency, cors=bool(self.settings.cors),
            quads=counts["quads"], graph_sizes=counts["graphs"])
        return Response(protocol.serialize_graph(triples, fmt, protocol.SERVICE_DESCRIPTION_PREFIXES), 200,
                        {"Vary": "Accept"}, protocol.CONTENT_TYPES[fmt])

    # -- pages ---------------------------------------------------------------------------------------------

    async def home(self, request: Request) -> Response:
        return html_response(await self.pages.home())

    async def search(self, request: Request) -> Response:
        text = protocol.form_fields(request.scope["query_string"].decode("latin-1")).get("q", [""])[0]
        return html_response(await self.pages.search_page(text))

    async def query_editor(self, request: Request) -> Response:
        return html_response(self.pages.query_editor())

    async def saved_query_list(self, request: Request) -> Response:
        return html_response(self.pages.saved_query_list())

    async def saved_query(self, request: Request) -> Response:
        name = request.path_params["name"]
        query = next((q for q in self.pages.saved_queries if q.name == name), None)
        if query is None:
            return self.not_found(request.headers.get("accept"), f"no saved query named {name!r}")
        values = {key: found[0] for key, found in protocol.form_fields(request.scope["query_string"].decode("latin-1")).items()}
        status, page = await self.pages.saved_query(query, values, self._answer_for_page)
        return html_response(page, status)

    async def _answer_for_page(self, text: str):
        """(variables, rows of terms, boolean, truncated) of a saved query run as the endpoint runs it."""
        try:
            form = await self.check(text)
            answer = await self.run(text, form)
        except Refused as refusal:
            raise QueryPageProblem(refusal.status, refusal.message) from None
        if form == "ASK":
            return [], [], bool(json.loads(answer.body)["boolean"]), False
        if form == "SELECT":
            solutions = ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.TSV)
            variables = [v.value for v in solutions.variables]
            return variables, [[solution[v] for v in variables] for solution in solutions], None, answer.truncated
        triples = [q.triple for q in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)]
        return ["subject", "predicate", "object"], [[t.subject, t.predicate, t.object] for t in triples], None, answer.truncated

    async def saved_queries_json(self, request: Request) -> Response:
        return Response(json.dumps(self.pages.saved_queries_json(), ensure_ascii=False, indent=1).encode(), 200, None,
                        "application/json; charset=utf-8")

    async def prefixes_json(self, request: Request) -> Response:
        return Response(json.dumps(PREFIXES, indent=1).encode(), 200, None, "application/json; charset=utf-8")

    async def static_file(self, request: Request) -> Response:
        return self._static(request.path_params["name"])

    def _static(self, name: str) -> Response:
        found = self.static.get(name)
        if found is None:
            return text_response(404, "no such file")
        body, content_type = found
        return Response(body, 200, {"Cache-Control": "public, max-age=3600"}, content_type)

    def _page_format(self, request: Request, suffix: str | None) -> str | None:
        """'html' or an RDF format key for a page; None when nothing acceptable."""
        if suffix:
            return suffix
        formats = parse_qs(request.scope["query_string"].decode("latin-1")).get("format", [])
        if formats:
            fmt = protocol.FORMAT_ALIASES.get(formats[0].lower())
            fmt = protocol.GRAPH_ALIAS_OF_RESULT.get(fmt, fmt)
            return fmt if fmt in RDF_FORMATS else ("html" if formats[0].lower() == "html" else None)
        return protocol.negotiate(request.headers.get("accept"), PAGE_OFFERS)

    @staticmethod
    def _not_acceptable(what: str) -> Response:
        return text_response(406, f"{what} is available as text/html, {protocol.offered(GRAPH_TYPES)}")

    async def ontology(self, request: Request) -> Response:
        if request.url.path == "/ontology":
            return Response(b"", 301, {"Location": "/ontology/"})
        fmt = self._page_format(request, None)
        if fmt is None:
            return self._not_acceptable("the ontology")
        if fmt != "html":
            return Response(protocol.serialize_graph(await self.pages.data.ontology(), fmt), 200, {"Vary": "Accept"},
                            protocol.CONTENT_TYPES[fmt])
        return html_response(await self.pages.ontology(), headers={"Vary": "Accept"})

    async def resource(self, request: Request) -> Response:
        path = request.url.path
        accept = request.headers.get("accept")
        segments = path.strip("/").split("/")
        if not _SAFE_PATH.fullmatch(path) or any(s in (".", "..") for s in segments):
            return self.not_found(accept, f"no page at {path}")
        if len(segments) == 1 and segments[0] in KINDS:  # /<kind>/ : the list of a kind's entities
            if not path.endswith("/"):
                return Response(b"", 301, {"Location": path + "/"})
            page = parse_qs(request.scope["query_string"].decode("latin-1")).get("page", ["1"])[0]
            return html_response(await self.pages.kind(segments[0], int(page) if page.isdigit() else 1))
        suffix = None
        for ending, key in SUFFIXES.items():
            if segments[-1].endswith(ending) and len(segments[-1]) > len(ending):
                segments[-1], suffix = segments[-1][: -len(ending)], key
                break
        iri = BASE + "/".join(segments)
        if path.endswith("/") and segments[0] == "ontology" and len(segments) == 2:  # a vocabulary folder: its scheme
            if await self.pages.exists(iri + "/scheme"):
                return Response(b"", 303, {"Location": "/" + iri[len(BASE):] + "/scheme"})
            return self.not_found(accept, f"no vocabulary at {path}")
        if path.endswith("/"):
            return self.not_found(accept, f"nothing in the atlas has the IRI {iri}")
        fmt = self._page_format(request, suffix)
        if fmt is None:
            return self._not_acceptable("this resource")
        if fmt != "html":
            if not await self.pages.exists(iri):
                return self.not_found(accept, f"nothing in the atlas has the IRI {iri}")
            return Response(protocol.serialize_graph(await self.pages.describe(iri), fmt), 200, {"Vary": "Accept"},
                            protocol.CONTENT_TYPES[fmt])
        if segments[0] == "ontology" and len(segments) == 2:  # an ontology term: its section of the documentation
            if not await self.pages.exists(iri):
                return self.not_found(accept, f"nothing in the atlas has the IRI {iri}")
            return Response(b"", 303, {"Location": "/ontology/#" + segments[1], "Vary": "Accept"})
        page = await self.pages.resource(iri)
        if page is None:
            return self.not_found(accept, f"nothing in the atlas has the IRI {iri}")
        return html_response(page, headers={"Vary": "Accept"})


async def _maybe_await(value):
    return await value if asyncio.iscoroutine(value) else value


class _Headers:
    """ASGI middleware: security headers on every answer (a CSP on pages), CORS when an origin is configured
    (``Vary`` then names Origin beside whatever the answer varies on), OPTIONS, and 405 for other methods."""

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings
        self.origins = {o.strip().rstrip("/") for o in (settings.cors or "").split(",") if o.strip()}

    def cors(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        if not self.settings.cors:
            return []
        if self.settings.cors == "*":
            return [(b"access-control-allow-origin", b"*"), (b"access-control-expose-headers", EXPOSED_HEADERS.encode())]
        origin = (origin or "").rstrip("/")
        if origin not in self.origins:
            return [(b"vary", b"Origin")]
        return [(b"access-control-allow-origin", origin.encode()), (b"access-control-expose-headers", EXPOSED_HEADERS.encode()),
                (b"vary", b"Origin")]

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        method = scope["method"]
        origin = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"origin"), None)
        extra = self.cors(origin)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", [])]
                content_type = next((v for k, v in headers if k == b"content-type"), b"")
                headers += SECURITY_HEADERS
                if content_type.startswith(b"text/html"):
                    headers.append((b"content-security-policy", CSP_PAGES.encode()))
                for name, value in extra:
                    if name == b"vary":
                        varies = [v for k, v in headers if k == b"vary"]
                        headers = [(k, v) for k, v in headers if k != b"vary"]
                        value = b", ".join(dict.fromkeys(b", ".join([*varies, value]).split(b", ")))
                    headers.append((name, value))
                message = {**message, "headers": headers}
                if self.settings.access_log:
                    _log_access(scope, message["status"])
            await send(message)

        if method == "OPTIONS":
            headers = {"Allow": ALLOWED_METHODS}
            if any(name == b"access-control-allow-origin" for name, _ in extra):
                headers.update({"Access-Control-Allow-Methods": ALLOWED_METHODS, "Access-Control-Allow-Headers": "Accept, Content-Type",
                                "Access-Control-Max-Age": "600"})
            return await Response(b"", 204, headers, "text/plain; charset=utf-8")(scope, receive, send_with_headers)
        if method not in ("GET", "HEAD", "POST"):
            return await text_response(405, f"method {method} not allowed", {"Allow": ALLOWED_METHODS})(scope, receive, send_with_headers)
        if method == "POST" and scope["path"] != "/sparql":
            return await text_response(405, "POST is for /sparql only", {"Allow": "GET, HEAD, OPTIONS"})(scope, receive, send_with_headers)
        await self.app(scope, receive, send_with_headers)


def _log_access(scope, status: int) -> None:
    """One line per answer: client, request line (the target as it came, percent-encoded, cut at 200
    characters, so that no request can write a line break into the log) and status. Written directly:
    uvicorn's access log, through ``logging``, took a tenth of a millisecond per request."""
    client = scope.get("client")
    target = scope.get("raw_path") or scope["path"].encode()
    if scope.get("query_string"):
        target += b"?" + scope["query_string"]
    shown = target[:200].decode("ascii", "backslashreplace") + ("..." if len(target) > 200 else "")
    who = f"{client[0]}:{client[1]}" if client else "-"
    sys.stderr.write(f'{who} "{scope["method"]} {shown} HTTP/{scope.get("http_version", "1.1")}" {status}\n')


def protocol_with_head_deadline(head_timeout: float):
    """uvicorn's HTTP protocol (httptools) with a deadline for the request line and headers: a connection
    that has not sent them all ``head_timeout`` seconds after it opened (or after its previous answer) gets
    408 and is closed. uvicorn bounds only the wait between requests, not a request that trickles in."""
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    class HeadDeadlineProtocol(HttpToolsProtocol):
        _head_timer = None

        def connection_made(self, transport):
            super().connection_made(transport)
            self._arm()

        def on_message_begin(self):
            super().on_message_begin()
            self._arm()

        def on_url(self, url):
            super().on_url(url)
            if len(self.url) > MAX_URL and not self.transport.is_closing():
                self._refuse(b"414 URI Too Long", f"the request line is longer than {MAX_URL} bytes: POST long queries\n")

        def on_headers_complete(self):
            self._disarm()
            super().on_headers_complete()

        def connection_lost(self, exc):
            self._disarm()
            super().connection_lost(exc)

        def _arm(self):
            if self._head_timer is None:
                self._head_timer = self.loop.call_later(head_timeout, self._too_slow)

        def _disarm(self):
            if self._head_timer is not None:
                self._head_timer.cancel()
                self._head_timer = None

        def _too_slow(self):
            self._head_timer = None
            if self.transport.is_closing():
                return
            self._refuse(b"408 Request Timeout", f"the request line and headers did not arrive within {head_timeout:g} s\n")

        def _refuse(self, status: bytes, text: str):
            message = text.encode()
            self.transport.write(b"HTTP/1.1 " + status + b"\r\ncontent-type: text/plain; charset=utf-8\r\nconnection: close\r\n"
                                 b"content-length: " + str(len(message)).encode() + b"\r\n\r\n" + message)
            self.transport.close()

    return HeadDeadlineProtocol


__all__ = ["AtlasApp", "Settings", "load_static", "protocol_with_head_deadline"]
