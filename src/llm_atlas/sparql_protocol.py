"""The SPARQL 1.1 Protocol as ``llm-atlas serve`` speaks it: what a request asks, and the answer's format.

No I/O here: :func:`read_request` turns a request's method, query string, content type and body into the
query text (or a :class:`Refused`), :func:`check_query` asks :mod:`llm_atlas.sparql_guard` whether it may
run, :func:`answer_format` negotiates the format, and :func:`render` turns the engine's answer (TSV,
a JSON boolean or N-Triples, see :mod:`llm_atlas.query_engine`) into it with the writers
``llm-atlas query`` uses (:mod:`llm_atlas.sparql_results`), so both write the same bytes for the same answer.

SELECT and ASK answers go out as SPARQL JSON, XML, CSV or TSV; CONSTRUCT and DESCRIBE as Turtle (with the
shared prefixes it uses), N-Triples, JSON-LD or RDF/XML. ``?format=`` (short names, for links and curl)
overrides the Accept header. An answer cut at the row limit says so: ``X-Atlas-Truncated: true`` and, in
JSON, ``"truncated": true`` with ``"rowLimit"``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs

import pyoxigraph as ox

from . import sparql_guard
from .namespaces import PREFIXES
from .ntriples import sorted_ntriples
from .sparql_results import json_select_with_row_limit, select_json_from_tsv, write_boolean, write_select

SPARQL_RESULTS_JSON = "application/sparql-results+json"
SPARQL_RESULTS_XML = "application/sparql-results+xml"
TURTLE = "text/turtle"
N_TRIPLES = "application/n-triples"
JSON_LD = "application/ld+json"
RDF_XML = "application/rdf+xml"
FORM_URLENCODED = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"

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
DATASET_REFUSED = ("FROM, FROM NAMED, default-graph-uri and named-graph-uri are refused: this endpoint answers "
                   "over its own dataset only (the default graph is the union of the atlas's files, each file "
                   "a named graph <https://w3id.org/llm-atlas/file/PATH>: use GRAPH to pick files)")

TRUNCATED_HEADER = "X-Atlas-Truncated"
ROW_LIMIT_HEADER = "X-Atlas-Row-Limit"
MAX_FIELDS = 64  # parameters of one request


class Refused(Exception):
    """A request the endpoint will not run, with the HTTP status, the reason for the client and headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


# -- content negotiation -------------------------------------------------------------------------------------


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


def offered(offers: list[tuple[str, str]]) -> str:
    return ", ".join(dict.fromkeys(media for media, _ in offers))


# -- what a request asks -------------------------------------------------------------------------------------


@dataclass
class ProtocolRequest:
    query: str | None  # None: the client asks for the service description
    formats: list[str] = field(default_factory=list)  # ?format= / ?output= values


def form_fields(text: str) -> dict[str, list[str]]:
    try:
        return parse_qs(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except (ValueError, UnicodeDecodeError) as error:
        raise Refused(400, f"cannot read the parameters: {short(error)}") from None


def _utf8(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "the request body is not UTF-8") from None


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()


def read_request(method: str, query_string: str, content_type: str | None, body: bytes) -> ProtocolRequest:
    """The query of a GET or POST to the endpoint (form-encoded or direct), or :class:`Refused`: updates and
    the dataset parameters are refused before anything is parsed."""
    params = form_fields(query_string)
    body_query = None
    if method == "POST":
        media = media_type(content_type)
        if media == SPARQL_UPDATE:
            raise Refused(403, UPDATE_REFUSED)
        if media == FORM_URLENCODED:
            for key, values in form_fields(body.decode("latin-1") if body.isascii() else _utf8(body)).items():
                params.setdefault(key, []).extend(values)
        elif media == SPARQL_QUERY:
            body_query = _utf8(body)
        else:
            raise Refused(415, f"POST a query as {FORM_URLENCODED} (query=...) or as {SPARQL_QUERY}; this endpoint takes no updates")
    if "update" in params or "using-graph-uri" in params or "using-named-graph-uri" in params:
        raise Refused(403, UPDATE_REFUSED)
    if "default-graph-uri" in params or "named-graph-uri" in params:
        raise Refused(403, DATASET_REFUSED)
    queries = params.get("query", [])
    if body_query is not None:
        if queries:
            raise Refused(400, "give the query once: in the body or in the query parameter, not both")
        queries = [body_query]
    if len(queries) > 1:
        raise Refused(400, "give exactly one query parameter")
    return ProtocolRequest(queries[0] if queries else None, params.get("format", []) + params.get("output", []))


# -- may it run ----------------------------------------------------------------------------------------------

# SERVICE, FROM and updates are refused (403: understood, and will not be done); what is no query, 400
STATUS_OF_RULE = {sparql_guard.SERVICE_RULE: 403, sparql_guard.DATASET_RULE: 403, sparql_guard.UPDATE_RULE: 403,
                  sparql_guard.SYNTAX_RULE: 400}


def refusal(finding: sparql_guard.Finding) -> Refused:
    """The answer to a query the guard refuses: a syntax error word for word as ``llm-atlas query -e`` says it
    (400), anything else with the line and column of what is refused (403)."""
    if finding.rule == sparql_guard.SYNTAX_RULE:
        return Refused(400, f"SPARQL syntax error at line {finding.line}, column {finding.column}: {finding.message}")
    return Refused(STATUS_OF_RULE[finding.rule], f"line {finding.line}, column {finding.column}: {finding.message}")


def check_query(text: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """The form (SELECT, ASK, CONSTRUCT, DESCRIBE) of a query this endpoint will run, or :class:`Refused`
    (the guard in this process: the endpoint asks its guard process, which answers the same)."""
    verdict = sparql_guard.inspect(text, prefixes)
    if verdict.findings:
        raise refusal(verdict.findings[0])
    assert verdict.form is not None
    return verdict.form


def with_prefixes(text: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """The query with the shared prefixes it uses and does not declare itself declared first, for an engine
    that has none predeclared.

    A name counts as used wherever it stands before a colon (an unused declaration is harmless); one the
    query's prologue declares is left to that declaration, which would win anyway. Every request pays this:
    an alternation of the shared names tried at every position of the text, and declarations repeated for
    queries that carry their own (as ``llm-atlas query --endpoint`` sends them), cost the endpoint more than
    a small query takes to run.
    """
    declared = _declared_prefixes(text)
    used = sorted(name for name in prefixes if name not in declared and _uses(text, name))
    return "".join(f"PREFIX {name}: <{prefixes[name]}>\n" for name in used) + text


def _uses(text: str, name: str) -> bool:
    """Whether ``name:`` stands in the text other than as the tail of a longer name (substring search: a
    regular expression tried at every position of a long query costs a hundred times more)."""
    token = name + ":"
    start = text.find(token)
    while start != -1:
        if start == 0 or not _continues_name(text[start - 1]):
            return True
        start = text.find(token, start + 1)
    return False


def _continues_name(char: str) -> bool:
    return char.isalnum() or char in "_-."


_IRI_REF = r"<[^<>\"{}|^`\\\x00-\x20]*>"
_PREFIX_NAME = r"(?:[^\W\d_][\w\-.]*)?"
# a prologue: white space, comments, BASE and PREFIX declarations; whatever else ends it for this scan
_PROLOGUE = re.compile(r"(?:\s+|#[^\n\r]*|(?i:BASE)\s*" + _IRI_REF + r"|(?i:PREFIX)\s+" + _PREFIX_NAME + r":\s*" + _IRI_REF + ")*")
# in a prologue: an IRI or a comment (kept whole, so no '#' or word in them is read as more), or a declared
# name with its colon (so that the empty name differs from the other matches, which give '')
_DECLARED_NAME = re.compile(_IRI_REF + r"|#[^\n\r]*|(?i:PREFIX)\s+(" + _PREFIX_NAME + ":)")


def _declared_prefixes(text: str) -> set[str]:
    """The prefix names the query's prologue declares (one it does not recognise ends the prologue for this
    scan, and is then declared again: harmless)."""
    prologue = text[:_PROLOGUE.match(text).end()]
    return {name[:-1] for name in _DECLARED_NAME.findall(prologue) if name}


# -- the answer ----------------------------------------------------------------------------------------------


def answer_format(form: str, accept: str | None, formats: list[str]) -> str:
    """The format key for an answer of ``form``: ``?format=`` first, else the Accept header."""
    graph_form = form in ("CONSTRUCT", "DESCRIBE")
    offers = GRAPH_TYPES if graph_form else RESULT_TYPES
    if formats:
        fmt = FORMAT_ALIASES.get(formats[0].lower().strip())
        if graph_form:
            fmt = GRAPH_ALIAS_OF_RESULT.get(fmt, fmt)
        allowed = {key for _, key in offers}
        if fmt not in allowed:
            raise Refused(400, f"format={formats[0]!r} does not fit a {'graph' if graph_form else 'result'} query; "
                               f"use one of {', '.join(sorted(allowed))}")
        return fmt
    fmt = _negotiated(accept, graph_form)
    if fmt is None:
        raise Refused(406, "no acceptable format: this query's answer is available as " + offered(offers))
    return fmt


@functools.lru_cache(maxsize=256)
def _negotiated(accept: str | None, graph_form: bool) -> str | None:
    """:func:`negotiate` for an answer, remembered: clients send few distinct Accept headers, and reading
    one took 5 us (13 us for a browser's), each request."""
    return negotiate(accept, GRAPH_TYPES if graph_form else RESULT_TYPES)


@dataclass
class Rendered:
    body: bytes
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def render(form: str, media: str, body: bytes, truncated: bool, fmt: str, max_rows: int,
           prefixes: dict[str, str] = PREFIXES) -> Rendered:
    """The engine's answer (``media``: TSV or SPARQL JSON for SELECT, JSON for ASK, N-Triples for graphs) in ``fmt``."""
    if form == "ASK":
        return Rendered(serialize_boolean(bool(json.loads(body)["boolean"]), fmt), CONTENT_TYPES[fmt])
    limits = {TRUNCATED_HEADER: "true" if truncated else "false", ROW_LIMIT_HEADER: str(max_rows)}
    if form == "SELECT":
        # the command line's writers: `llm-atlas query --format X` and this endpoint write a term the same way
        if fmt == "json" and media == SPARQL_RESULTS_JSON:  # the engine's own JSON: the same writer as write_select's
            return Rendered(json_select_with_row_limit(body, truncated=truncated, row_limit=max_rows), CONTENT_TYPES[fmt], limits)
        if fmt == "json":
            return Rendered(select_json_from_tsv(body, truncated=truncated, row_limit=max_rows), CONTENT_TYPES[fmt], limits)
        solutions = ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV)
        variables = [v.value for v in solutions.variables]
        rows = [[solution[v] for v in variables] for solution in solutions]
        return Rendered(write_select(variables, rows, fmt, truncated=truncated, row_limit=max_rows), CONTENT_TYPES[fmt], limits)
    triples = [quad.triple for quad in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
    return Rendered(serialize_graph(triples, fmt, prefixes), CONTENT_TYPES[fmt], limits)


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


def short(error: BaseException | str, limit: int = 300) -> str:
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit] + "..."


# -- the service description --------------------------------------------------------------------------------


def service_description(endpoint: str, *, timeout: float, max_rows: int, max_body: int, concurrency: int,
                        cors: bool, quads: int, graph_sizes: dict[str, int]) -> list[ox.Triple]:
    """The SPARQL 1.1 Service Description of the endpoint, with its limits and dataset."""
    def literal(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    named = [f"[ a sd:NamedGraph ; sd:name <{graph}> ; sd:graph [ a sd:Graph ; void:triples {size} ] ]"
             for graph, size in sorted(graph_sizes.items())]
    description = (f"LLM Atlas, read-only. Queries are SPARQL as pyoxigraph reads it; SERVICE, FROM, FROM NAMED and "
                   f"updates are refused. Limits: {timeout:g} s per query (longer ones are stopped, 503), at most "
                   f"{max_rows} rows or triples per answer (a cut answer has the header X-Atlas-Truncated: true), "
                   f"request bodies up to {max_body} bytes, {concurrency} queries at a time. The default graph is the "
                   f"union of the named graphs, one per file of the atlas. CORS {'enabled' if cors else 'off'}.")
    turtle = f"""@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .
@prefix void: <http://rdfs.org/ns/void#> .
@prefix formats: <http://www.w3.org/ns/formats/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<{endpoint}> a sd:Service ;
  sd:endpoint <{endpoint}> ;
  sd:supportedLanguage sd:SPARQL11Query ;
  sd:feature sd:UnionDefaultGraph ;
  sd:defaultEntailmentRegime <http://www.w3.org/ns/entailment/Simple> ;
  sd:resultFormat formats:SPARQL_Results_JSON, formats:SPARQL_Results_XML, formats:SPARQL_Results_CSV,
    formats:SPARQL_Results_TSV, formats:Turtle, formats:N-Triples, formats:JSON-LD, formats:RDF_XML ;
  dcterms:title {literal("LLM Atlas SPARQL endpoint")} ;
  rdfs:comment {literal(description)} ;
  sd:defaultDataset [ a sd:Dataset ;
    sd:defaultGraph [ a sd:Graph ; void:triples {quads} ] ;
    sd:namedGraph {", ".join(named) if named else "[]"} ] .
"""
    return [quad.triple for quad in ox.parse(turtle.encode("utf-8"), format=ox.RdfFormat.TURTLE)]


SERVICE_DESCRIPTION_PREFIXES = {
    "sd": "http://www.w3.org/ns/sparql-service-description#", "void": "http://rdfs.org/ns/void#",
    "formats": "http://www.w3.org/ns/formats/", "dcterms": "http://purl.org/dc/terms/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "xsd": "http://www.w3.org/2001/XMLSchema#",
}
