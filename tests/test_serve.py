"""`llm-atlas serve`: the SPARQL 1.1 Protocol endpoint, its safety guarantees, and the web pages.

Every server here binds 127.0.0.1 on a free port and is stopped by its fixture. The outbound-request tests
point SERVICE, FROM and LOAD at a canary TCP server on 127.0.0.1 that counts the connections it receives:
it must count zero. The store folder's fingerprint (every file's bytes) must not change.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import http.client
import io
import json
import socket
import threading
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import quote, urlencode

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.errors import InvalidData
from llm_atlas.namespaces import BASE, PREFIXES, XSD
from llm_atlas.serve import DEFAULT_HOST, AtlasServer, store_fingerprint
from llm_atlas.sparql_protocol import Refused, check_query, negotiate

from .conftest import make_checkout, make_disagreement_checkout

TIMEOUT = 2.0
MAX_ROWS = 25
SPARQL_JSON = "application/sparql-results+json"


# ---------------------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------------------


class Canary:
    """A TCP server on 127.0.0.1 that counts connections (and answers nothing useful)."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            try:
                conn.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/sparql-results+json\r\n\r\n"
                             b'{"head":{"vars":[]},"results":{"bindings":[{}]}}')
            except OSError:
                pass
            conn.close()

    def close(self):
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def canary():
    c = Canary()
    yield c
    c.close()


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    root = make_checkout(tmp_path_factory.mktemp("serve") / "atlas")
    Atlas.open(root).build()
    return root


@pytest.fixture(scope="module")
def server(checkout):
    atlas = Atlas.open(checkout)
    srv = AtlasServer(atlas, port=0, timeout=TIMEOUT, max_rows=MAX_ROWS, workers=2, queue=2, max_body=64 * 1024)
    srv.start()
    srv.fingerprint_at_start = store_fingerprint(atlas.store_dir)
    yield srv
    srv.close()


def call(srv, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None, timeout: float = 30):
    """(status, headers with lower-case names, body) of one request; redirects are not followed."""
    conn = http.client.HTTPConnection(srv.host, srv.port, timeout=timeout)
    try:
        if isinstance(body, str):
            body = body.encode("utf-8")
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def get_query(srv, query: str, accept: str | None = None, extra: str = ""):
    headers = {"Accept": accept} if accept else {}
    return call(srv, "GET", "/sparql?query=" + quote(query) + extra, headers=headers)


def post_form(srv, fields: dict, accept: str | None = None):
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if accept:
        headers["Accept"] = accept
    return call(srv, "POST", "/sparql", urlencode(fields), headers)


def post_direct(srv, query: str, accept: str | None = None, content_type: str = "application/sparql-query"):
    headers = {"Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    return call(srv, "POST", "/sparql", query, headers)


def parse_triples(body: bytes, rdf_format) -> list[ox.Triple]:
    return [quad.triple for quad in ox.parse(body, format=rdf_format)]


def bindings(body: bytes) -> list[dict]:
    return json.loads(body)["results"]["bindings"]


def triple_count(srv) -> int:
    status, _, body = get_query(srv, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert status == 200
    return int(bindings(body)[0]["n"]["value"])


STUDY_QUERY = """PREFIX atlas: <https://w3id.org/llm-atlas/ontology/>
SELECT ?org ?label WHERE { ?org a atlas:Organization ; rdfs:label ?label } ORDER BY ?label"""


# ---------------------------------------------------------------------------------------------------------
# the safety decision, without a server
# ---------------------------------------------------------------------------------------------------------

SERVICE_FORMS = [
    "SELECT * WHERE { SERVICE <{c}> { ?s ?p ?o } }",
    "SELECT * WHERE { SERVICE SILENT <{c}> { ?s ?p ?o } }",
    "select * where { service silent <{c}> { ?s ?p ?o } }",
    "SELECT * WHERE { sErViCe <{c}> { ?s ?p ?o } }",
    "SELECT * WHERE { BIND(<{c}> AS ?e) SERVICE ?e { ?s ?p ?o } }",
    "SELECT * WHERE { VALUES ?e { <{c}> } SERVICE SILENT ?e { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { { SELECT ?x WHERE { SERVICE <{c}> { ?x ?y ?z } } } } }",
    "SELECT * WHERE { ?s ?p ?o FILTER EXISTS { SERVICE <{c}> { ?s ?p ?o } } }",
    "SELECT * WHERE { ?s ?p ?o MINUS { GRAPH ?g { SERVICE <{c}> { ?s ?p ?o } } } }",
    "ASK { SERVICE <{c}> { ?s ?p ?o } }",
    "CONSTRUCT { ?s ?p ?o } WHERE { SERVICE <{c}> { ?s ?p ?o } }",
    "DESCRIBE ?s WHERE { SERVICE <{c}> { ?s ?p ?o } }",
    "SELECT (COUNT(*) AS ?n) WHERE { SERVICE <{c}> { ?s ?p ?o } } GROUP BY ?s",
    # an IRI written with escapes still names the canary
    "SELECT * WHERE { SERVICE <{cu}> { ?s ?p ?o } }",
    # what the rdflib pre-check misread (escapes expanded first, it saw a string and a comment)
    'SELECT * WHERE { ?s ?p "x\\u005C" . SERVICE <{c}> { ?s ?p ?o } } # "',
    # keywords are matched without a word boundary; this '<' compares, it starts no IRI
    "SELECT * WHERE { ?s ?p trueSERVICE <{c}> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o FILTER(1<2)SERVICE <{c}>#>\n{ ?a ?b ?c } }",
    # a SERVICE inside a SERVICE
    "SELECT * WHERE { { ?s ?p ?o } UNION { SERVICE <{c}> { SERVICE <{c}> { ?s ?p ?o } } } }",
    "SELECT * WHERE { SERVICE SILENT <{c}> { SERVICE ?x { ?s ?p ?o } } }",
]
# pyoxigraph expands \u escapes only inside strings and IRIs: an escaped keyword is no keyword, so the query
# does not parse (400) and cannot run (llm_atlas.sparql_guard follows the engine should that ever change)
ESCAPED_KEYWORD_FORMS = [
    "SELECT * WHERE { \\u0053ERVICE <{c}> { ?s ?p ?o } }",
    "SELECT * WHERE { \\u0073\\u0065\\u0072\\u0076\\u0069\\u0063\\u0065 <{c}> { ?s ?p ?o } }",
    "SELECT * WHERE { SERV\\u0049CE \\u0053ILENT <{c}> { ?s ?p ?o } }",
    "SELECT * WHERE { \\U00000053ERVICE <{c}> { ?s ?p ?o } }",
    "SELECT * WHERE \\u007B SERVICE <{c}> \\u007B ?s ?p ?o } }",
    "SELECT * \\u0046ROM <{c}> WHERE { ?s ?p ?o }",
    "\\u0044ROP ALL",
]
DATASET_FORMS = [
    "SELECT * FROM <{c}> WHERE { ?s ?p ?o }",
    "SELECT * FROM NAMED <{c}> WHERE { GRAPH ?g { ?s ?p ?o } }",
    "ASK FROM <{c}> { ?s ?p ?o }",
    "CONSTRUCT { ?s ?p ?o } FROM <{c}> WHERE { ?s ?p ?o }",
    "DESCRIBE ?s FROM <{c}> WHERE { ?s ?p ?o }",
]
UPDATE_FORMS = [
    'INSERT DATA { <http://example.org/s> <http://example.org/p> "x" }',
    'INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> "x" } }',
    "DELETE DATA { <https://w3id.org/llm-atlas/organization/alpha-lab> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/llm-atlas/ontology/Organization> }",
    "DELETE WHERE { ?s ?p ?o }",
    "DELETE { ?s ?p ?o } INSERT { ?s ?p 1 } WHERE { ?s ?p ?o }",
    "WITH <https://w3id.org/llm-atlas/file/graph/project/alpha.ttl> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "LOAD <{c}>",
    "LOAD SILENT <{c}> INTO GRAPH <http://example.org/g>",
    "CLEAR ALL",
    "CLEAR DEFAULT",
    "CREATE GRAPH <http://example.org/g>",
    "DROP ALL",
    "DROP SILENT GRAPH <https://w3id.org/llm-atlas/file/graph/project/alpha.ttl>",
    "COPY DEFAULT TO <http://example.org/g>",
    "MOVE <https://w3id.org/llm-atlas/file/graph/project/alpha.ttl> TO DEFAULT",
    "ADD <https://w3id.org/llm-atlas/file/graph/project/alpha.ttl> TO <http://example.org/g>",
    "CLEAR ALL ; LOAD <{c}>",
]


def fill(template: str, canary_url: str = "http://127.0.0.1:9/sparql") -> str:
    escaped = "".join(f"\\u{ord(ch):04X}" if ch.isdigit() else ch for ch in canary_url)  # digits as \u escapes
    return template.replace("{cu}", escaped).replace("{c}", canary_url)


@pytest.mark.parametrize("template", SERVICE_FORMS)
def test_check_refuses_service_in_every_form(template):
    with pytest.raises(Refused) as refused:
        check_query(fill(template))
    assert refused.value.status == 403 and "SERVICE" in refused.value.message


@pytest.mark.parametrize("template", ESCAPED_KEYWORD_FORMS)
def test_check_refuses_escaped_keywords_as_unparsable(template):
    with pytest.raises(Refused) as refused:
        check_query(fill(template))
    assert refused.value.status == 400 and refused.value.message.startswith("SPARQL syntax error at line 1, column ")


@pytest.mark.parametrize("template", DATASET_FORMS)
def test_check_refuses_from_and_from_named(template):
    with pytest.raises(Refused) as refused:
        check_query(fill(template))
    assert refused.value.status == 403 and "FROM" in refused.value.message


@pytest.mark.parametrize("template", UPDATE_FORMS)
def test_check_refuses_updates_sent_as_queries(template):
    with pytest.raises(Refused) as refused:
        check_query(fill(template))
    assert refused.value.status == 403 and "read-only" in refused.value.message


@pytest.mark.parametrize("text", [
    # a double escape is no keyword either: \u005C is a backslash
    "SELECT * WHERE { \\u005Cu0053ERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o",
    "",
])
def test_check_refuses_what_the_engine_cannot_parse(text):
    with pytest.raises(Refused) as refused:
        check_query(text)
    assert refused.value.status == 400


def test_check_accepts_the_saved_queries_and_knows_their_form(checkout):
    queries = Atlas.open(checkout).saved_queries()
    assert queries
    for query in queries:
        if "federated" in query.tags:  # saved queries that call other endpoints: refused here, by design
            with pytest.raises(Refused):
                check_query(query.text)
            continue
        assert check_query(query.text) in ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE"), query.name
    assert check_query("CONSTRUCT WHERE { ?s ?p ?o }") == "CONSTRUCT"
    assert check_query("DESCRIBE <https://w3id.org/llm-atlas/organization/alpha-lab>") == "DESCRIBE"
    assert check_query("ASK { ?s ?p ?o }") == "ASK"
    # GRAPH over the file graphs is fine: it reads the atlas's own dataset
    assert check_query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } }") == "SELECT"
    # SPARQL 1.2 triple terms: the engine reads them, as `llm-atlas query` does
    assert check_query("SELECT * WHERE { ?s ?p <<( ?a ?b ?c )>> }") == "SELECT"
    # a string or an IRI that merely contains the word is not a SERVICE pattern
    assert check_query('SELECT * WHERE { ?s ?p "SERVICE <http://127.0.0.1:9/> FROM" }') == "SELECT"
    assert check_query("SELECT * WHERE { ?s <http://example.org/SERVICE> ?o }") == "SELECT"


def test_with_prefixes_declares_the_shared_prefixes_a_query_uses_and_does_not_declare():
    from llm_atlas.sparql_protocol import with_prefixes

    shared = {"schema": "https://schema.org/", "atlas": "https://w3id.org/llm-atlas/ontology/", "ex": "http://example.org/"}
    body = "SELECT * { ?s schema:name ?n ; atlas:x ?y ; xatlas:z ?w ; a.ex:q ?v }"
    # used ones only, in name order; not a name that merely ends in one (xatlas:, a.ex:)
    assert with_prefixes(body, shared) == ("PREFIX atlas: <https://w3id.org/llm-atlas/ontology/>\n"
                                          "PREFIX schema: <https://schema.org/>\n" + body)
    # one the prologue declares is left to it, in any case, with BASE, comments and the empty name around it
    own = "base <http://b/> # a comment\nprefix schema: <http://mine/>\nPREFIX : <http://e/>\n" + body
    assert with_prefixes(own, shared) == "PREFIX atlas: <https://w3id.org/llm-atlas/ontology/>\n" + own
    # a declaration in a comment, or after the prologue, declares nothing for this purpose
    commented = "# PREFIX schema: <http://mine/>\n" + body
    assert with_prefixes(commented, shared).startswith("PREFIX atlas: <https://w3id.org/llm-atlas/ontology/>\n"
                                                       "PREFIX schema: <https://schema.org/>\n#")
    # an IRI holding a '#' does not end the prologue's scan early, nor hide the next declaration
    hashed = "PREFIX ex: <http://example.org/#PREFIX:schema:>\nPREFIX schema: <http://mine/>\n" + body
    assert with_prefixes(hashed, shared) == "PREFIX atlas: <https://w3id.org/llm-atlas/ontology/>\n" + hashed
    # the engine reads the result with no prefix of its own, and the query's declaration wins
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("http://s"), ox.NamedNode("http://mine/name"), ox.Literal("mine")))
    answer = store.query(with_prefixes("PREFIX schema: <http://mine/>\nSELECT ?n { ?s schema:name ?n }", shared))
    assert [row["n"].value for row in answer] == ["mine"]
    assert with_prefixes("ASK {}", shared) == "ASK {}"


def test_json_answers_from_the_engine_are_the_command_line_s_bytes():
    """The endpoint writes a SELECT answer in JSON with pyoxigraph from the engine's TSV; `llm-atlas query
    --format json` writes it from terms in Python: the same bytes, for every kind of term and character."""
    from llm_atlas.sparql_results import select_json_from_tsv, write_select

    text = "".join(chr(i) for i in range(0x20)) + '\x7f\u2028"\\/<>&é\U0001F600\ufeff'
    store = ox.Store()
    s, p = ox.NamedNode("http://example.org/é?a=1#x"), ox.NamedNode("http://example.org/p")
    for value in [ox.Literal(text), ox.Literal("chat", language="fr-CA"), ox.Literal("1", datatype=ox.NamedNode(XSD + "integer")),
                  ox.Literal("x", datatype=ox.NamedNode("http://example.org/dt")), ox.BlankNode("b0"),
                  ox.Triple(s, p, ox.Literal("o", language="en"))]:
        store.add(ox.Quad(s, p, value))
    query = "SELECT ?s ?o ?unbound WHERE { ?s ?p ?o OPTIONAL { ?o ?p ?unbound } } ORDER BY STR(?o)"
    tsv = store.query(query).serialize(format=ox.QueryResultsFormat.TSV)
    solutions = store.query(query)
    variables = [v.value for v in solutions.variables]
    rows = [[row[v] for v in variables] for row in solutions]
    assert len(rows) == 6
    for truncated in (None, False, True):
        written = write_select(variables, rows, "json", truncated=truncated, row_limit=6)
        assert select_json_from_tsv(tsv, truncated=truncated, row_limit=6) == written
        assert {"type": "bnode", "value": "b0"} in [b["o"] for b in json.loads(written)["results"]["bindings"]]
    assert json.loads(written)["truncated"] is True and json.loads(written)["rowLimit"] == 6
    empty = store.query("SELECT ?x WHERE { ?x ?x ?x }").serialize(format=ox.QueryResultsFormat.TSV)
    assert select_json_from_tsv(empty, truncated=False) == write_select(["x"], [], "json", truncated=False)


# Literals whose text looks like JSON structure once escaped: a row counter that did not skip strings whole
# would count or cut inside them.
TRICKY = ['},{', '{"x":{', '"},{"', '\\', '\\"', 'a\\\\"},{\\"b', '[{}]', "\n{\t}\u2028", "é\U0001F600{", ",{", ",{:", "x,{},y"]


def _tricky_solutions(store: ox.Store, n: int, seed: int, *, empty: bool = True):
    """n rows of literals built from TRICKY; with ``empty``, some rows with nothing bound (and literals holding
    ``,{}``, which looks like one)."""
    import random

    rng = random.Random(seed)
    rows = []
    for i in range(n):
        if empty and rng.random() < 0.1:
            rows.append("(UNDEF UNDEF UNDEF)")  # a row with nothing bound: {}
            continue
        pieces = TRICKY if empty else [piece for piece in TRICKY if ",{}" not in piece]
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
        literal = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t") + '"'
        other = rng.choice(["<http://example.org/{i}>", '"x"@en', "UNDEF", "<<( <http://e/s> <http://e/p> \"}\" )>>"]).replace("{i}", str(i))
        rows.append(f"({i} {literal} {other})")
    query = "SELECT ?i ?text ?other WHERE { VALUES (?i ?text ?other) { " + " ".join(rows) + " } }"
    return query, store.query(query)


@pytest.mark.parametrize("seed", range(10))
def test_json_row_counter_counts_and_cuts_exactly_however_the_answer_is_chunked(seed):
    """The engine's JSON is cut at the row cap by counting rows as the chunks arrive: for every limit around the
    number of rows and every chunking down to single bytes, the cut document is write_select's for the first
    ``limit`` rows, and an answer at or under the cap is never cut."""
    import random

    from llm_atlas.sparql_results import JsonRowCounter, json_select_with_row_limit, write_select

    rng = random.Random(seed)
    n = (0, 1, 3, 17, 60)[seed % 5]
    # rows with something bound in each (counted by their marks), or some with nothing bound (counted outside strings)
    query, solutions = _tricky_solutions(ox.Store(), n, seed, empty=seed < 5)
    variables = [v.value for v in solutions.variables]
    rows = [[row[v] for v in variables] for row in solutions]
    document = ox.Store().query(query).serialize(format=ox.QueryResultsFormat.JSON)
    assert len(rows) == n
    if seed == 0:  # only rows with nothing bound
        n = 40
        query = "SELECT ?x WHERE { VALUES ?x { " + "UNDEF " * n + "} }"
        rows, variables = [[None]] * n, ["x"]
        document = ox.Store().query(query).serialize(format=ox.QueryResultsFormat.JSON)
    for limit in sorted({1, 2, max(1, n - 1), max(1, n), n + 1, 1000}):
        for size in (1, 2, 7, rng.randint(3, 200), len(document) or 1):
            counter = JsonRowCounter(limit)
            read = []
            for start in range(0, len(document), size):
                chunk = document[start:start + size]
                read.append(chunk)
                counter.feed(chunk)
                if counter.over:
                    break
            assert counter.over == (n > limit), (limit, size)
            if counter.over:
                assert limit < counter.rows <= n, (limit, size)  # reading stops in the chunk that passes the cap
                cut = json_select_with_row_limit(counter.cut(b"".join(read)), truncated=True, row_limit=limit)
                assert cut == write_select(variables, rows[:limit], "json", truncated=True, row_limit=limit), (limit, size)
            else:
                assert counter.rows == n, (limit, size)
                assert b"".join(read) == document


def test_json_row_counter_counts_exactly_only_an_answer_that_may_pass_the_cap():
    """Under the cap only the bound is kept (a ``,{`` per row after the first), in one pass over each chunk;
    an answer with more marks than that is counted exactly, from its first chunk."""
    from llm_atlas.sparql_results import JsonRowCounter

    class Watched(JsonRowCounter):
        exact_bytes = 0

        def _feed_exact(self, chunk):
            self.exact_bytes += len(chunk)
            super()._feed_exact(chunk)

    n = 30
    document = ox.Store().query("SELECT ?x WHERE { VALUES ?x { " + " ".join(f'"{i},{{"' for i in range(n)) + " } }").serialize(
        format=ox.QueryResultsFormat.JSON)
    marks = document.count(b",{")  # a row's start, and one inside each literal
    assert marks == 2 * n - 1
    for limit, exact in ((marks + 1, False), (marks, True), (n, True)):
        counter = Watched(limit)
        for start in range(0, len(document), 7):
            counter.feed(document[start:start + 7])
        assert counter.over is False and (counter.exact_bytes > 0) == exact, limit
        if exact:  # everything was counted, the chunks before the switch at once
            assert counter.exact_bytes == len(document)
        assert counter.rows == n


@pytest.mark.parametrize("seed", range(4))
def test_an_error_after_some_rows_is_read_as_the_engine_s_message_whatever_the_rows_and_the_message_hold(seed):
    """Oxigraph writes an error met while it streams rows after the rows it sent (a 200): the message read back
    is the whole message, after any number of rows whose literals look like JSON structure, and however the
    message itself is made (braces, brackets, quotes, a comma and a brace)."""
    from llm_atlas.sparql_results import json_select_error

    query, _ = _tricky_solutions(ox.Store(), 17, seed, empty=seed % 2 == 0)
    document = ox.Store().query(query).serialize(format=ox.QueryResultsFormat.JSON)
    assert json_select_error(document) is None
    head, rows = document.split(b'"bindings":[', 1)
    rows = rows.removesuffix(b"]}}")
    # where a row ends (each is written whole before the error): the cut points of a streamed answer
    decoder, text, ends = json.JSONDecoder(), rows.decode(), []
    at = 0
    while at < len(text):
        _, at = decoder.raw_decode(text, at)
        ends.append(len(text[:at].encode()))
        at += 1  # the comma
    assert len(ends) == 17
    messages = ["Connection refused (os error 111)", '{"x":1} is not a "term"', ',{"y":[]}]}', "é ] } ,{", "[{}]"]
    for written in [0, *ends]:
        for message in messages:
            body = head + b'"bindings":[' + rows[:written] + message.encode()
            assert json_select_error(body) == message, (written, message)


def test_after_an_answer_of_a_mebibyte_or_more_the_server_gives_freed_memory_back(server, monkeypatch):
    """glibc keeps what a large answer's buffers freed in its heaps; the server asks it to give that back after
    such an answer (and only then: it costs a fraction of a millisecond)."""
    from llm_atlas import http_app

    trims = []
    monkeypatch.setattr(http_app, "_malloc_trim", lambda pad: trims.append(pad))
    word = "x" * 60_000
    large = f'SELECT ?x WHERE {{ VALUES ?n {{ {" ".join(map(str, range(MAX_ROWS)))} }} BIND(CONCAT(STR(?n), "{word}") AS ?x) }}'
    status, _, body = post_direct(server, large, "application/sparql-results+json")
    assert status == 200 and len(body) >= http_app.GIVE_BACK_AFTER
    deadline = time.monotonic() + 5
    while not trims and time.monotonic() < deadline:  # it runs once the answer is sent
        time.sleep(0.01)
    assert trims == [0]
    status, _, body = post_direct(server, "SELECT ?x WHERE { VALUES ?x { 1 2 3 } }", "application/sparql-results+json")
    time.sleep(0.2)
    assert status == 200 and len(body) < 1000 and trims == [0]


def test_an_engine_error_in_a_200_answer_is_an_error_not_rows(tmp_path):
    """A query that fails after Oxigraph has begun its answer (a SERVICE that cannot be reached, asked of the
    engine directly: the guard refuses SERVICE) is refused with the engine's message, in JSON as in TSV, never
    passed on as a cut-short document."""
    import asyncio

    from llm_atlas.query_engine import EngineRefused, QueryEngine, checkpoint

    store = ox.Store(str(tmp_path / "store"))
    store.add(ox.Quad(ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p"), ox.Literal("o"),
                      ox.NamedNode("http://example.org/g")))
    store.flush()
    del store
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    engine = QueryEngine(checkpoint(tmp_path / "store", tmp_path / "checkpoint"), concurrency=1, queue=0, timeout=20,
                         max_rows=10, in_memory=False).start()
    failing = f"SELECT * WHERE {{ ?s ?p ?o SERVICE <http://127.0.0.1:{port}/sparql> {{ ?a ?b ?c }} }}"

    async def scenario():
        refusals = []
        for json_answer in (True, False):
            with pytest.raises(EngineRefused) as refused:
                await engine.answer(failing, "SELECT", json=json_answer)
            refusals.append(refused.value)
        answer = await engine.answer("SELECT ?o WHERE { ?s ?p ?o }", "SELECT", json=True)  # the engine still answers
        return refusals, answer

    try:
        refusals, answer = asyncio.run(scenario())
    finally:
        engine.close()
    for refusal in refusals:
        message = str(refusal)
        assert refusal.status == 400 and message, message
        assert "bindings" not in message and "?a" not in message and not message.startswith(("{", ",", "[")), message
    assert json.loads(answer.body)["results"]["bindings"] == [{"o": {"type": "literal", "value": "o"}}]


def test_json_answers_sent_as_the_engine_wrote_them_are_the_command_line_s_bytes(server):
    """A client asking for JSON gets the engine's own JSON, cut at the cap by counting its rows: the bytes
    `llm-atlas query --format json` writes for the same rows, under the cap and over it."""
    from llm_atlas.sparql_results import write_select

    for n, seed, empty in ((MAX_ROWS - 1, 1, True), (MAX_ROWS, 2, False), (MAX_ROWS + 1, 3, True), (MAX_ROWS + 1, 3, False),
                           (4 * MAX_ROWS, 4, True), (4 * MAX_ROWS, 5, False)):
        query, solutions = _tricky_solutions(ox.Store(), n, seed, empty=empty)
        variables = [v.value for v in solutions.variables]
        rows = [[row[v] for v in variables] for row in solutions]
        status, headers, body = post_direct(server, query, "application/sparql-results+json")
        assert status == 200, body
        over = n > MAX_ROWS
        assert headers["x-atlas-truncated"] == ("true" if over else "false")
        assert body == write_select(variables, rows[:MAX_ROWS], "json", truncated=over, row_limit=MAX_ROWS)
        # the other formats still come from the engine's TSV, cut at the same row
        status, _, csv_body = post_direct(server, query, "text/csv")
        assert csv_body == write_select(variables, rows[:MAX_ROWS], "csv", truncated=over, row_limit=MAX_ROWS)


def test_the_access_log_has_a_line_per_answer_that_no_request_can_break(capsys):
    from llm_atlas.http_app import Settings, _Headers

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def ask(headers_app, raw_path: bytes, query_string: bytes = b""):
        scope = {"type": "http", "method": "GET", "path": raw_path.decode(), "raw_path": raw_path, "query_string": query_string,
                 "headers": [], "client": ("127.0.0.1", 5000), "http_version": "1.1"}
        sent = []

        async def send(message):
            sent.append(message)

        await headers_app(scope, None, send)
        return sent

    settings = dict(timeout=1, max_rows=1, max_body=1, body_timeout=1, cors=None, concurrency=1, host="127.0.0.1", port=1)
    asyncio.run(ask(_Headers(app, Settings(**settings, access_log=True)), b"/sparql", b"query=ASK%20%7B%7D%0A%0D"))
    asyncio.run(ask(_Headers(app, Settings(**settings, access_log=True)), b"/a%0Ab" + b"x" * 300))
    asyncio.run(ask(_Headers(app, Settings(**settings)), b"/not-logged"))
    lines = capsys.readouterr().err.splitlines()
    assert lines == ['127.0.0.1:5000 "GET /sparql?query=ASK%20%7B%7D%0A%0D HTTP/1.1" 418',
                     '127.0.0.1:5000 "GET /a%0Ab' + "x" * 194 + '... HTTP/1.1" 418']


def test_negotiate_follows_q_values_and_specificity():
    offers = [("application/sparql-results+json", "json"), ("text/csv", "csv")]
    assert negotiate(None, offers) == "json"
    assert negotiate("*/*", offers) == "json"
    assert negotiate("text/csv", offers) == "csv"
    assert negotiate("text/*;q=0.9, application/sparql-results+json;q=0.5", offers) == "csv"
    assert negotiate("application/sparql-results+json;q=0, text/csv;q=0.1", offers) == "csv"
    assert negotiate("image/png", offers) is None


def test_answer_format_remembers_an_accept_header_per_kind_of_answer():
    """The format negotiated for an Accept header is remembered, apart for graphs and for results: the same
    header asked again, or for the other kind, gives what reading it afresh gives, and a 406 every time."""
    from llm_atlas.sparql_protocol import GRAPH_TYPES, RESULT_TYPES, Refused, answer_format

    for accept in ("text/turtle, application/sparql-results+xml;q=0.5", "*/*", None, "text/csv;q=0.2, application/n-triples"):
        for _ in range(2):
            for form, offers in (("SELECT", RESULT_TYPES), ("CONSTRUCT", GRAPH_TYPES), ("ASK", RESULT_TYPES)):
                assert answer_format(form, accept, []) == negotiate(accept, offers), (accept, form)
    assert answer_format("CONSTRUCT", "text/turtle", []) == "turtle"
    assert answer_format("SELECT", "text/turtle, application/sparql-results+xml;q=0.5", []) == "xml"
    for _ in range(2):
        with pytest.raises(Refused) as refused:
            answer_format("SELECT", "image/png", [])
        assert refused.value.status == 406


# ---------------------------------------------------------------------------------------------------------
# the protocol
# ---------------------------------------------------------------------------------------------------------


def test_binds_loopback_by_default(server):
    assert DEFAULT_HOST == "127.0.0.1"
    assert server.host == "127.0.0.1"
    import inspect

    from llm_atlas.serve import serve

    assert inspect.signature(serve).parameters["host"].default == "127.0.0.1"
    assert inspect.signature(AtlasServer).parameters["host"].default == "127.0.0.1"


def test_select_by_get_post_form_and_post_direct(server):
    answers = [get_query(server, STUDY_QUERY), post_form(server, {"query": STUDY_QUERY}), post_direct(server, STUDY_QUERY)]
    for status, headers, body in answers:
        assert status == 200, body
        assert headers["content-type"].startswith(SPARQL_JSON)
        assert headers["x-atlas-truncated"] == "false"
        assert [b["label"]["value"] for b in bindings(body)] == ["Alpha Lab", "Beta Corp"]
        assert json.loads(body)["truncated"] is False


def test_select_results_in_json_xml_csv_tsv(server):
    q = STUDY_QUERY
    status, headers, body = get_query(server, q, "application/sparql-results+xml")
    assert status == 200 and headers["content-type"].startswith("application/sparql-results+xml")
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    root = ET.fromstring(body)
    assert [v.get("name") for v in root.findall("r:head/r:variable", ns)] == ["org", "label"]
    literals = [lit.text for lit in root.findall("r:results/r:result/r:binding/r:literal", ns)]
    assert literals == ["Alpha Lab", "Beta Corp"]
    assert root.find("r:results/r:result/r:binding/r:literal", ns).get("{http://www.w3.org/XML/1998/namespace}lang") == "en"

    status, headers, body = get_query(server, q, "text/csv")
    assert status == 200 and headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(body.decode())))
    assert rows == [["org", "label"], [BASE + "organization/alpha-lab", "Alpha Lab"], [BASE + "organization/beta-corp", "Beta Corp"]]

    status, headers, body = get_query(server, q, "text/tab-separated-values")
    assert status == 200 and headers["content-type"].startswith("text/tab-separated-values")
    lines = body.decode().splitlines()
    assert lines[0] == "?org\t?label"
    assert lines[1] == f'<{BASE}organization/alpha-lab>\t"Alpha Lab"@en'

    # format= overrides Accept, for links and curl
    status, headers, body = get_query(server, q, "text/csv", extra="&format=json")
    assert status == 200 and headers["content-type"].startswith(SPARQL_JSON)
    # browsers' Accept lists text/html first: a GET from a browser is shown in the query page
    status, headers, _ = get_query(server, q, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
    assert status == 303 and headers["location"].startswith("/query?query=")


def test_ask_results(server):
    for accept, expected in [(SPARQL_JSON, b'"boolean":true'), ("application/sparql-results+xml", b"<boolean>true</boolean>"),
                             ("text/csv", b"true")]:
        status, _, body = get_query(server, "ASK { ?s a <https://w3id.org/llm-atlas/ontology/Organization> }", accept)
        assert status == 200 and expected in body
    status, _, body = get_query(server, "ASK { ?s a <http://example.org/Nothing> }")
    assert json.loads(body)["boolean"] is False


@pytest.mark.parametrize("accept, media, rdf_format", [
    ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/rdf+xml", "application/rdf+xml", ox.RdfFormat.RDF_XML),
    (None, "text/turtle", ox.RdfFormat.TURTLE),
])
def test_construct_and_describe_as_turtle_ntriples_jsonld(server, accept, media, rdf_format):
    alpha = f"<{BASE}organization/alpha-lab>"
    for query in (f"CONSTRUCT {{ {alpha} ?p ?o }} WHERE {{ {alpha} ?p ?o }}", f"DESCRIBE {alpha}"):
        status, headers, body = get_query(server, query, accept)
        assert status == 200, body
        assert headers["content-type"].startswith(media)
        triples = parse_triples(body, rdf_format)
        label = ox.Triple(ox.NamedNode(BASE + "organization/alpha-lab"), ox.NamedNode(PREFIXES["rdfs"] + "label"),
                          ox.Literal("Alpha Lab", language="en"))
        assert label in triples
        if rdf_format == ox.RdfFormat.JSON_LD:
            json.loads(body)


def test_not_acceptable_and_bad_requests(server):
    status, _, body = get_query(server, STUDY_QUERY, "image/png")
    assert status == 406 and b"application/sparql-results+json" in body
    status, _, _ = get_query(server, "CONSTRUCT WHERE { ?s ?p ?o }", "text/csv")
    assert status == 406
    status, _, body = get_query(server, "SELECT * WHERE { ?s ?p }")
    assert status == 400 and b"does not parse" in body
    status, _, body = get_query(server, STUDY_QUERY, extra="&format=turtle")
    assert status == 400
    status, _, _ = call(server, "GET", "/sparql?query=a&query=b")
    assert status == 400
    status, _, _ = call(server, "POST", "/sparql", "query=x", {"Content-Type": "text/plain"})
    assert status == 415
    status, headers, _ = call(server, "PUT", "/sparql", "x", {"Content-Type": "text/plain"})
    assert status == 405 and "GET" in headers["allow"]
    status, _, _ = call(server, "POST", "/project/alpha", "x", {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 405


def test_prefixes_are_predeclared(server):
    status, _, body = get_query(server, "SELECT ?l WHERE { organization:alpha-lab rdfs:label ?l }")
    assert status == 200 and bindings(body)[0]["l"]["value"] == "Alpha Lab"


def test_service_description(server):
    status, headers, body = call(server, "GET", "/sparql", headers={"Accept": "text/turtle"})
    assert status == 200 and headers["content-type"].startswith("text/turtle")
    triples = parse_triples(body, ox.RdfFormat.TURTLE)
    sd = "http://www.w3.org/ns/sparql-service-description#"
    endpoint = ox.NamedNode(f"http://127.0.0.1:{server.port}/sparql")
    assert ox.Triple(endpoint, ox.NamedNode(PREFIXES["rdf"] + "type"), ox.NamedNode(sd + "Service")) in triples
    assert ox.Triple(endpoint, ox.NamedNode(sd + "endpoint"), endpoint) in triples
    assert ox.Triple(endpoint, ox.NamedNode(sd + "feature"), ox.NamedNode(sd + "UnionDefaultGraph")) in triples
    assert ox.Triple(endpoint, ox.NamedNode(sd + "supportedLanguage"), ox.NamedNode(sd + "SPARQL11Query")) in triples
    formats = {t.object.value for t in triples if t.predicate.value == sd + "resultFormat"}
    assert "http://www.w3.org/ns/formats/SPARQL_Results_CSV" in formats and "http://www.w3.org/ns/formats/JSON-LD" in formats
    status, headers, body = call(server, "GET", "/sparql", headers={"Accept": "application/ld+json"})
    assert status == 200 and json.loads(body)
    status, headers, _ = call(server, "GET", "/sparql", headers={"Accept": "text/html"})
    assert status == 303 and headers["location"] == "/query"


def test_cors_is_off_unless_asked(server):
    status, headers, _ = get_query(server, "ASK {}", None)
    assert status == 200 and "access-control-allow-origin" not in headers
    status, headers, _ = call(server, "GET", "/sparql?query=ASK%7B%7D", headers={"Origin": "https://example.org"})
    assert "access-control-allow-origin" not in headers
    status, headers, _ = call(server, "OPTIONS", "/sparql", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert status == 204 and not any(k.startswith("access-control-") for k in headers)


# ---------------------------------------------------------------------------------------------------------
# read-only and no outbound requests, over every route
# ---------------------------------------------------------------------------------------------------------


def _routes(srv, text: str):
    """The ways to send a query: GET, POST form, POST direct."""
    return [get_query(srv, text), post_form(srv, {"query": text}), post_direct(srv, text)]


@pytest.mark.parametrize("template", UPDATE_FORMS)
def test_updates_are_refused_over_every_route(server, canary, template):
    update = fill(template, canary.url)
    before = triple_count(server)
    answers = [
        call(server, "GET", "/sparql?update=" + quote(update)),
        post_form(server, {"update": update}),
        post_direct(server, update, content_type="application/sparql-update"),
        post_direct(server, update, content_type="application/sparql-update; charset=utf-8"),
        *_routes(server, update),  # an update sent as a query
        post_form(server, {"query": STUDY_QUERY, "update": update}),
    ]
    for status, _, body in answers:
        assert status == 403, body
        assert b"read-only" in body
    assert triple_count(server) == before
    assert canary.connections == 0
    assert store_fingerprint(server.atlas.store_dir) == server.fingerprint_at_start


@pytest.mark.parametrize("template", SERVICE_FORMS + DATASET_FORMS + ESCAPED_KEYWORD_FORMS)
def test_service_and_from_are_refused_over_every_route(server, canary, template):
    query = fill(template, canary.url)
    for status, _, body in _routes(server, query):
        assert status == (400 if template in ESCAPED_KEYWORD_FORMS else 403), body
    assert canary.connections == 0


def test_dataset_protocol_parameters_are_refused(server, canary):
    for name in ("default-graph-uri", "named-graph-uri"):
        status, _, body = call(server, "GET", "/sparql?" + urlencode({"query": "SELECT * WHERE { ?s ?p ?o }", name: canary.url}))
        assert status == 403 and b"FROM" in body
        status, _, _ = post_form(server, {"query": "SELECT * WHERE { ?s ?p ?o }", name: canary.url})
        assert status == 403
        status, _, _ = call(server, "POST", f"/sparql?{name}={quote(canary.url)}", "ASK {}", {"Content-Type": "application/sparql-query"})
        assert status == 403
    assert canary.connections == 0


def test_the_engine_cannot_call_out_even_without_the_guard(checkout, canary, tmp_path):
    """Defence in depth: should the guard ever misread a query, the engine still cannot connect anywhere:
    Landlock denies it every outgoing TCP connection. The guard's own process can open no socket at all."""
    from llm_atlas.guard_process import GuardProcess
    from llm_atlas.query_engine import EngineProcess, checkpoint
    from llm_atlas.sandbox import NETWORK_ABI, landlock_abi

    if landlock_abi() < NETWORK_ABI:
        pytest.skip(f"this kernel has Landlock ABI {landlock_abi()}, network rules need {NETWORK_ABI} (Linux 6.7)")
    guard = GuardProcess(PREFIXES, timeout=5)
    assert guard.sandboxed
    guard.close()
    saved = checkpoint(Atlas.open(checkout).store_dir, tmp_path / "checkpoint")
    query = f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}"
    for sandbox in (True, False):
        engine = EngineProcess(saved, timeout=5, sandbox=sandbox)
        engine.start()
        try:  # straight to the engine: no guard in the way
            connection = http.client.HTTPConnection(engine.host, engine.port, timeout=10)
            connection.request("POST", "/query", query, {"Content-Type": "application/sparql-query"})
            body = connection.getresponse().read()
            connection.close()
        finally:
            engine.stop()
        if sandbox:
            assert b"Permission denied" in body and canary.connections == 0
    assert canary.connections >= 1, "the engine no longer calls SERVICE: the sandbox test proves nothing"
    canary.connections = 0


# ---------------------------------------------------------------------------------------------------------
# limits: timeout, rows, body, concurrency
# ---------------------------------------------------------------------------------------------------------

RUNAWAY = [
    # a cartesian product of the store with itself four times
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }",
    # a regex compiled anew for every pair of triples, over a growing string
    'SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i FILTER(REGEX(CONCAT(STR(?c), STR(?f), STR(?i)), CONCAT("(", STR(?f), ")*x$"))) }',
]


@pytest.mark.slow
def test_a_runaway_query_is_stopped_and_the_next_is_answered_within_a_second(server):
    for runaway in RUNAWAY * 2:  # four in a row: the standby must be replaced every time
        started = time.monotonic()
        status, _, body = get_query(server, runaway)
        stopped = time.monotonic() - started
        assert status == 503 and b"timed out" in body
        assert TIMEOUT <= stopped < TIMEOUT + 1.5
        started = time.monotonic()
        status, _, body = get_query(server, STUDY_QUERY)
        answered = time.monotonic() - started
        assert status == 200 and len(bindings(body)) == 2
        assert answered < 1.0, f"the next query took {answered:.2f} s"
    assert server.engine.stats.timeouts >= 4
    # Oxigraph does not cancel these two by itself: each was stopped by replacing the engine
    time.sleep(1.0 + 2.0 + 1.0)
    assert server.engine.process.alive and server.engine.ready and server.engine.stats.restarts >= 1


def test_a_reading_cut_by_the_timeout_is_finished_by_the_watcher():
    """The engine's answer is read in the request's own task; when the timeout cancels that reading, what
    arrived is kept and :meth:`finish` (the watcher of abandoned queries) reads the rest."""
    from llm_atlas.query_engine import _Connection

    async def scenario():
        second_part = asyncio.Event()

        async def engine(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(len(b"ASK {}"))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\nfirst,")
            await writer.drain()
            await second_part.wait()
            writer.write(b"second")
            await writer.drain()

        listener = await asyncio.start_server(engine, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        connection = await _Connection.open("127.0.0.1", port)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await connection.request("/query", b"ASK {}", "text/plain", None)
        second_part.set()
        answer = await asyncio.wait_for(connection.finish(), 5)
        connection.close()
        listener.close()
        return answer

    assert asyncio.run(scenario()) == (200, b"first,second", False)


@pytest.mark.parametrize("ending", ["complete", "cut by the row counter", "connection closed mid-answer"])
def test_an_answer_read_from_the_engine_is_freed_without_a_garbage_collection(ending):
    """The parser of the engine's answer and its callbacks refer to each other: unless the cycle is broken when
    the reading ends, each answer (its chunks) waits for one of Python's rare full collections, and a server
    sending large answers grew by each one (5.5 MB a query at 10^6 triples)."""
    import gc
    import weakref

    from llm_atlas.query_engine import _Connection, _LineCounter

    answer = b"row\n" * 50_000

    async def scenario():
        async def engine(reader, writer):
            await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(len(b"ASK {}"))
            if ending == "connection closed mid-answer":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % (2 * len(answer)) + answer)
                await writer.drain()
                return  # and never the rest
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(answer) + answer)
            await writer.drain()

        listener = await asyncio.start_server(engine, "127.0.0.1", 0)
        port = listener.sockets[0].getsockname()[1]
        connection = await _Connection.open("127.0.0.1", port)
        counter = _LineCounter(1_000) if ending == "cut by the row counter" else None
        task = asyncio.ensure_future(connection.request("/query", b"ASK {}", "text/plain", counter))
        while connection._reading is None:
            await asyncio.sleep(0)
        reading = weakref.ref(connection._reading)
        if ending == "connection closed mid-answer":
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.5):
                    await asyncio.shield(task)
            connection.close()
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        else:
            status, body, cut = await task
            assert (status, cut) == (200, counter is not None) and body.startswith(b"row\n")
            connection.close()
        listener.close()
        return reading

    gc.disable()
    try:
        reading = asyncio.run(scenario())
        assert reading() is None, "the answer read is still in memory"
    finally:
        gc.enable()


def test_a_query_seen_before_is_sent_as_prepared_then(server, monkeypatch):
    """The text sent to the engine (the shared prefixes it uses declared first) is worked out once per text;
    the answer is the same either way."""
    from llm_atlas import sparql_protocol

    prepared = []
    original = sparql_protocol.with_prefixes
    monkeypatch.setattr(sparql_protocol, "with_prefixes", lambda text, prefixes: prepared.append(text) or original(text, prefixes))
    text = "SELECT (COUNT(*) AS ?n) WHERE { ?s a atlas:Project } # prepared once " + str(time.monotonic())
    answers = [get_query(server, text) for _ in range(3)]
    assert prepared == [text]
    assert all(status == 200 for status, _, _ in answers) and len({body for _, _, body in answers}) == 1
    assert server.app._prepared.get(text) == original(text, server.app.settings.prefixes)


def test_the_guards_memory_of_texts_is_bounded_by_their_characters(server):
    from llm_atlas.guard_process import CACHE_CHARS, CACHE_TEXT_LIMIT

    cache = server.guard._cache
    filler = "x" * (CACHE_TEXT_LIMIT - 100)
    for number in range(CACHE_CHARS // len(filler) + 20):  # past the bound in characters, far under the entries'
        status, _, _ = post_direct(server, f"ASK {{}} # {number} {filler}")
        assert status == 200
    assert cache.chars <= CACHE_CHARS and len(cache) < CACHE_CHARS // len(filler) + 1
    assert cache.get(f"ASK {{}} # 0 {filler}") is None  # the oldest went first


def test_row_cap_with_truncation_flag(server):
    status, headers, body = get_query(server, "SELECT * WHERE { ?s ?p ?o }")
    assert status == 200
    assert headers["x-atlas-truncated"] == "true" and headers["x-atlas-row-limit"] == str(MAX_ROWS)
    doc = json.loads(body)
    assert len(doc["results"]["bindings"]) == MAX_ROWS and doc["truncated"] is True
    status, headers, body = get_query(server, "SELECT * WHERE { ?s ?p ?o }", "text/csv")
    assert headers["x-atlas-truncated"] == "true" and len(body.decode().splitlines()) == MAX_ROWS + 1
    status, headers, body = get_query(server, "CONSTRUCT WHERE { ?s ?p ?o }", "application/n-triples")
    assert headers["x-atlas-truncated"] == "true" and len(body.decode().splitlines()) == MAX_ROWS
    status, headers, body = get_query(server, f"SELECT * WHERE {{ ?s ?p ?o }} LIMIT {MAX_ROWS}")
    assert headers["x-atlas-truncated"] == "false" and json.loads(body)["truncated"] is False


def test_request_body_cap(server):
    cap = server.max_body
    big = "SELECT * WHERE { ?s ?p ?o } #" + "x" * cap
    status, _, _ = post_direct(server, big)
    assert status == 413
    status, _, _ = post_form(server, {"query": big})
    assert status == 413
    status, _, _ = call(server, "GET", "/sparql?query=" + quote("ASK {} #" + "x" * 70000))
    assert status in (413, 414)
    # a huge Content-Length is refused at once, without waiting for the body
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: 10000000000\r\n\r\n")
        reply = sock.recv(4096)
        assert reply.startswith(b"HTTP/1.1 413") and time.monotonic() - started < 2
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n5\r\nASK {\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 411")
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n\r\n")
        assert sock.recv(4096).startswith(b"HTTP/1.1 411")


@pytest.mark.slow
def test_concurrency_bound_and_cors_when_asked(checkout):
    srv = AtlasServer(Atlas.open(checkout), port=0, timeout=1.5, max_rows=10, workers=1, queue=1,
                      cors="https://example.org").start()
    try:
        results: list = []

        def runaway():
            results.append(get_query(srv, RUNAWAY[0]))

        threads = [threading.Thread(target=runaway) for _ in range(2)]  # one runs, one waits in the queue
        for thread in threads:
            thread.start()
            time.sleep(0.2)
        started = time.monotonic()
        status, headers, body = get_query(srv, STUDY_QUERY)
        assert status == 503 and b"busy" in body
        assert int(headers["retry-after"]) >= 1
        assert time.monotonic() - started < 0.5
        for thread in threads:
            thread.join(10)
        assert sorted(r[0] for r in results) == [503, 503]
        assert all(b"timed out" in r[2] for r in results)
        status, _, body = get_query(srv, STUDY_QUERY)
        assert status == 200

        # CORS for the configured origin only
        status, headers, _ = call(srv, "GET", "/sparql?query=ASK%7B%7D", headers={"Origin": "https://example.org"})
        assert headers["access-control-allow-origin"] == "https://example.org"
        assert "X-Atlas-Truncated" in headers["access-control-expose-headers"]
        status, headers, _ = call(srv, "GET", "/sparql?query=ASK%7B%7D", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in headers
        status, headers, _ = call(srv, "OPTIONS", "/sparql", headers={
            "Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
        assert status == 204 and "POST" in headers["access-control-allow-methods"]
    finally:
        srv.close()


def test_an_engine_that_dies_is_replaced(tmp_path):
    """A query that needs more memory than the engine may use gets it replaced; the next query is answered."""
    import asyncio

    from llm_atlas.query_engine import EngineStopped, QueryEngine, checkpoint

    store = ox.Store(str(tmp_path / "store"))
    for i in range(300):
        store.add(ox.Quad(ox.NamedNode(f"http://example.org/{i}"), ox.NamedNode("http://example.org/p"), ox.Literal("x" * 1000),
                          ox.NamedNode("http://example.org/g")))
    store.flush()
    del store
    engine = QueryEngine(checkpoint(tmp_path / "store", tmp_path / "checkpoint"), concurrency=1, queue=0, timeout=20,
                         max_rows=10, memory=512 * 1024**2).start()

    async def scenario():
        bomb = "SELECT (STRLEN(GROUP_CONCAT(CONCAT(?a, ?b))) AS ?n) WHERE { ?s ?p ?a . ?t ?q ?b . ?u ?r ?c }"
        with pytest.raises(EngineStopped):
            await engine.answer(bomb, "SELECT")
        started = time.monotonic()
        answer = await engine.answer("ASK { ?s ?p ?o }", "ASK")
        return answer, time.monotonic() - started

    try:
        assert engine.promoted.wait(30)  # the in-memory engine took over: the bomb hits it
        answer, seconds = asyncio.run(scenario())
        assert b"true" in answer.body and seconds < 1.0 and engine.stats.restarts == 1
    finally:
        engine.close()


# ---------------------------------------------------------------------------------------------------------
# pages
# ---------------------------------------------------------------------------------------------------------


def test_entity_page(server):
    status, headers, body = call(server, "GET", "/organization/alpha-lab", headers={"Accept": "text/html"})
    assert status == 200, body
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in headers["content-security-policy"] and headers["vary"] == "Accept"
    page = body.decode()
    assert "<h1>Alpha Lab</h1>" in page
    assert "A fictional grassroots lab for tests." in page
    # facts with their claims: source, locator, confidence, evidence
    assert 'href="/ontology/continent/europe"' in page and "(slide 11)" in page
    assert "confidence-paraphrased" in page and "confidence-stated" in page
    assert 'href="https://example.org/alpha-lab/about"' in page
    assert 'href="/source/slides"' in page
    # links to related entities (those that name it) and its data
    assert 'href="/project/alpha"' in page and 'href="/dataset/alpha-corpus"' in page
    assert 'href="/organization/alpha-lab.ttl"' in page and 'href="/organization/alpha-lab.jsonld"' in page
    assert "graph/organization/alpha-lab.ttl" in page


def test_entity_page_external_identifiers_and_inferences(server):
    status, _, body = call(server, "GET", "/project/alpha")
    page = body.decode()
    assert status == 200 and "<h1>Alpha</h1>" in page
    assert 'href="/organization/alpha-lab"' in page  # led by
    assert "confidence-inferred" in page or "confidence-stated" in page


@pytest.fixture(scope="module")
def disagreement_server(tmp_path_factory):
    root = make_disagreement_checkout(tmp_path_factory.mktemp("serve-disagree") / "atlas")
    atlas = Atlas.open(root)
    atlas.build()
    srv = AtlasServer(atlas, port=0, timeout=TIMEOUT, max_rows=MAX_ROWS, workers=2, queue=2, max_body=64 * 1024)
    srv.start()
    yield srv
    srv.close()


def _section(page: str, section_id: str) -> str:
    start = page.index(f'<section id="{section_id}">')
    return page[start:page.index("</section>", start)]


def test_release_page_shows_contradicted_claims_and_their_resolution(disagreement_server):
    status, _, body = call(disagreement_server, "GET", "/model/gamma-7b", headers={"Accept": "text/html"})
    assert status == 200, body
    section = _section(body.decode(), "disagreements")
    # both pairs, each side with its source and evidence
    assert section.count('class="disagreement"') == 2
    assert "Web Crawl" in section and "Alpha Corpus" in section and "Alpha Lab" in section and "Beta Corp" in section
    assert "(slide 25)" in section and 'href="https://example.org/gamma"' in section and 'href="/source/slides"' in section
    # the resolved pair: the favoured side, the reason, who and when; the other pair is open
    assert section.count("status-resolved") == 1 and section.count("status-open") == 1
    assert 'href="/resolution/gamma-7b-training-data"' in section and "names the Alpha corpus" in section
    assert 'href="https://github.com/example-maintainer"' in section and "2026-12-01" in section
    trained = section[section.index('id="disagreement-trainedon-web-crawl"'):]
    favoured = trained[trained.index('class="favoured"'):]
    assert "Alpha Corpus" in favoured.split("</tr>")[0]


def test_release_page_shows_differing_statements_with_both_sources(disagreement_server):
    status, _, body = call(disagreement_server, "GET", "/model/gamma-gamma-7b-instruct", headers={"Accept": "text/html"})
    assert status == 200, body
    section = _section(body.decode(), "disagreements")
    assert section.count('class="disagreement"') == 2  # the licence (resolved) and the parameter count (open)
    assert 'href="/source/hf-hub"' in section and 'href="/source/open-llm-leaderboard"' in section and 'href="/source/helm"' in section
    assert "https://spdx.org/licenses/MIT" in section and "7000000000" in section and "7240000000" in section
    assert section.count("status-resolved") == 1 and 'href="/resolution/gamma-gamma-7b-instruct-licence"' in section
    # the evidence of each side: the Hub card and the leaderboard's details
    assert 'href="https://huggingface.co/gamma/Gamma-7B-Instruct"' in section
    assert 'href="https://huggingface.co/datasets/open-llm-leaderboard/gamma__Gamma-7B-Instruct-details"' in section


def test_a_release_without_disagreement_says_so_and_other_pages_say_nothing(disagreement_server):
    _, _, body = call(disagreement_server, "GET", "/model/beta-base", headers={"Accept": "text/html"})
    assert "No source disagrees" in _section(body.decode(), "disagreements")
    # the openness section, its queries answered by the engine: no index describes this release's components
    assert "No openness index describes this release's components." in _section(body.decode(), "openness")
    _, _, body = call(disagreement_server, "GET", "/organization/alpha-lab", headers={"Accept": "text/html"})
    assert 'id="disagreements"' not in body.decode() and 'id="openness"' not in body.decode()


@pytest.mark.parametrize("accept, suffix, rdf_format", [
    ("text/turtle", ".ttl", ox.RdfFormat.TURTLE),
    ("application/ld+json", ".jsonld", ox.RdfFormat.JSON_LD),
    ("application/n-triples", ".nt", ox.RdfFormat.N_TRIPLES),
])
def test_entity_content_negotiation(server, accept, suffix, rdf_format):
    label = ox.Triple(ox.NamedNode(BASE + "organization/alpha-lab"), ox.NamedNode(PREFIXES["rdfs"] + "label"),
                      ox.Literal("Alpha Lab", language="en"))
    claim = ox.NamedNode(BASE + "organization/alpha-lab#country-no")
    for path, headers in (("/organization/alpha-lab", {"Accept": accept}), ("/organization/alpha-lab" + suffix, {})):
        status, response_headers, body = call(server, "GET", path, headers=headers)
        assert status == 200 and response_headers["content-type"].startswith(accept)
        triples = parse_triples(body, rdf_format)
        assert label in triples
        assert any(t.subject == claim for t in triples)  # the claims come with the entity


def test_unknown_pages_are_404(server):
    for path in ("/organization/nobody", "/project/alpha/x", "/nothing", "/static/../serve.py", "/organization/alpha%2Flab"):
        status, _, _ = call(server, "GET", path, headers={"Accept": "text/html"})
        assert status == 404, path
    status, _, _ = call(server, "GET", "/organization/nobody", headers={"Accept": "text/turtle"})
    assert status == 404
    status, _, _ = call(server, "GET", "/organization/alpha-lab", headers={"Accept": "image/png"})
    assert status == 406


def test_every_entity_and_concept_has_a_page(server, checkout):
    import asyncio

    # the server's own way to the engine (no row cap), on the server's event loop
    rows = asyncio.run_coroutine_threadsafe(
        server.pages.data.select("SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s)) }"), server._loop).result(30)
    subjects = {row["s"].value for row in rows}
    iris = sorted(i for i in subjects if i.startswith(BASE) and "#" not in i and not i.startswith(BASE + "file/"))
    assert len(iris) > 50
    for iri in iris:
        path = "/" + iri[len(BASE):]
        status, headers, body = call(server, "GET", path, headers={"Accept": "text/html"})
        if path == "/ontology/":
            assert status == 200, path
            continue
        if path.startswith("/ontology/") and path.count("/") == 2:
            assert status == 303 and headers["location"].startswith("/ontology/"), path
            continue
        assert status == 200, (path, body[:300])
        assert b"<h1>" in body


def test_kind_lists_and_home(server):
    status, _, body = call(server, "GET", "/")
    assert status == 200 and b'href="/organization/alpha-lab"' in body and b'href="/query"' in body
    status, _, body = call(server, "GET", "/organization/")
    assert status == 200 and b"Alpha Lab" in body and b"Beta Corp" in body
    status, headers, _ = call(server, "GET", "/organization")
    assert status == 301 and headers["location"] == "/organization/"
    status, headers, body = call(server, "HEAD", "/organization/alpha-lab")
    assert status == 200 and body == b"" and int(headers["content-length"]) > 1000


def test_ontology_documentation(server):
    status, headers, body = call(server, "GET", "/ontology/", headers={"Accept": "text/html"})
    assert status == 200 and headers["content-type"].startswith("text/html")
    page = body.decode()
    assert "LLM Atlas ontology" in page
    assert "https://w3id.org/llm-atlas/ontology/Organization" in page and "https://w3id.org/llm-atlas/ontology/ledBy" in page
    assert "pyLODE" in page or "made by" in page.lower() or 'class="term"' in page
    status, headers, body = call(server, "GET", "/ontology/", headers={"Accept": "text/turtle"})
    triples = parse_triples(body, ox.RdfFormat.TURTLE)
    assert ox.Triple(ox.NamedNode(PREFIXES["atlas"] + "Organization"), ox.NamedNode(PREFIXES["rdf"] + "type"),
                     ox.NamedNode(PREFIXES["owl"] + "Class")) in triples
    status, headers, _ = call(server, "GET", "/ontology/Organization", headers={"Accept": "text/html"})
    assert status == 303 and headers["location"] == "/ontology/#Organization"
    status, headers, _ = call(server, "GET", "/ontology/ledBy", headers={"Accept": "text/html"})
    assert status == 303 and headers["location"] == "/ontology/#ledBy"
    status, headers, body = call(server, "GET", "/ontology/ledBy", headers={"Accept": "text/turtle"})
    assert status == 200 and b"led by" in body
    status, _, body = call(server, "GET", "/ontology/confidence/stated")
    assert status == 200 and b"<h1>stated</h1>" in body
    status, headers, _ = call(server, "GET", "/ontology/confidence/")
    assert status == 303 and headers["location"] == "/ontology/confidence/scheme"


def test_query_page_is_local_and_lists_the_saved_queries(server, checkout):
    status, headers, body = call(server, "GET", "/query")
    page = body.decode()
    assert status == 200 and "connect-src 'self'" in headers["content-security-policy"]
    assert '<script src="/static/yasgui/yasgui.min.js"></script>' in page
    assert '<link rel="stylesheet" href="/static/yasgui/yasgui.min.css">' in page
    import re

    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', page), "a resource from another origin"
    saved = {q.name for q in Atlas.open(checkout).saved_queries()}
    for name in saved:
        assert f'data-name="{name}"' in page
    for path in ("/static/yasgui/yasgui.min.js", "/static/yasgui/yasgui.min.css", "/static/query.js", "/static/atlas.css",
                 "/static/yasgui/LICENSE"):
        status, headers, body = call(server, "GET", path)
        assert status == 200 and len(body) > 100, path
    status, headers, body = call(server, "GET", "/prefixes.json")
    assert json.loads(body)["atlas"] == PREFIXES["atlas"]


def test_every_saved_query_example_runs_at_the_endpoint(server):
    status, _, body = call(server, "GET", "/queries.json")
    assert status == 200
    queries = json.loads(body)
    assert {"name", "summary", "question", "tags", "params", "text", "example"} <= set(queries[0])
    for query in queries:
        status, _, answer = post_form(server, {"query": query["example"]})
        if query["federated"]:
            assert status == 403 and b"SERVICE" in answer, query["name"]
            continue
        assert status == 200, (query["name"], answer[:300])
        if query["params"]:
            assert query["example"] != query["text"] and "VALUES ?" in query["example"]
    dependents = next(q for q in queries if q["name"] == "dependents")
    status, _, answer = post_form(server, {"query": dependents["example"]})
    assert {b["artifact"]["value"] for b in bindings(answer)} <= {BASE + "dataset/common-crawl"}


FEATURE_QUERY = """PREFIX ex: <http://example.org/>
SELECT DISTINCT ?s (COUNT(DISTINCT ?o) AS ?n) (GROUP_CONCAT(?l; SEPARATOR=", ") AS ?ls) (SAMPLE(?o) AS ?x)
       (MIN(?o) AS ?mi) (MAX(?o) AS ?ma) (AVG(?v) AS ?av) (SUM(?v) AS ?su)
WHERE {
  VALUES ?k { ex:a "b" 1 1.5 1e3 true "c"@en "d"^^xsd:string }
  ?s ex:p/ex:q*|^ex:r+|!(ex:t|^ex:u) ?o ; ex:l ?l .
  OPTIONAL { ?s ex:v ?v FILTER(?v > 1 && ?v < 10 || !BOUND(?v)) }
  { SELECT ?s WHERE { ?s a ex:C } LIMIT 1 } UNION { ?s ex:z ?z }
  MINUS { ?s ex:m ?m }
  FILTER NOT EXISTS { ?s ex:n ?n2 } FILTER EXISTS { ?s ?p ?o }
  GRAPH ?g { ?s ?p2 ?o2 } GRAPH ex:g { ?s ?p3 [ ex:w ( 1 2 ) ] }
  BIND(IF(ISIRI(?o), STR(?o), CONCAT(LCASE(STR(?l)), UCASE("x"))) AS ?b) BIND(COALESCE(?v, 0) AS ?c)
  FILTER(REGEX(STR(?o), "^a", "i") && LANGMATCHES(LANG(?l), "en") && CONTAINS(?b, "x") && STRSTARTS(?b, "a") && STRENDS(?b, "z"))
  FILTER(?o IN (ex:a, ex:b) || ?o NOT IN (ex:c) || SAMETERM(?o, ex:d) || DATATYPE(?v) = xsd:integer || ISURI(?o))
  BIND(YEAR(NOW()) + MONTH(NOW()) + DAY(NOW()) + HOURS(NOW()) + MINUTES(NOW()) + SECONDS(NOW()) AS ?y)
  BIND(STRLEN(REPLACE(SUBSTR(?b, 1, 3), "a", "b", "i")) AS ?len) BIND(ENCODE_FOR_URI(?b) AS ?e)
  BIND(ABS(ROUND(CEIL(FLOOR(RAND())))) AS ?r) BIND(STRDT("1", xsd:integer) AS ?d) BIND(STRLANG("x", "en") AS ?sl)
  BIND(IRI(CONCAT("http://example.org/", ?b)) AS ?i) BIND(URI(?b) AS ?i2) BIND(BNODE() AS ?bn) BIND(BNODE("x") AS ?bn2)
  BIND(MD5(?b) AS ?h) BIND(SHA1(?b) AS ?h1) BIND(SHA256(?b) AS ?h2) BIND(SHA384(?b) AS ?h3) BIND(SHA512(?b) AS ?h5)
  BIND(UUID() AS ?u) BIND(STRUUID() AS ?su2) BIND(TZ(NOW()) AS ?tz) BIND(TIMEZONE(NOW()) AS ?tz2)
  BIND(xsd:decimal("1.0") AS ?dec) BIND(xsd:dateTime("2020-01-01T00:00:00Z") AS ?dt) BIND(xsd:boolean("true") AS ?bo)
  BIND(xsd:double("1") AS ?do) BIND(xsd:float("1") AS ?fl) BIND(xsd:string(1) AS ?st) BIND(xsd:date("2020-01-01") AS ?da)
  BIND(STRBEFORE(?b, "a") AS ?sb) BIND(STRAFTER(?b, "a") AS ?sa) BIND(ISBLANK(?o) || ISLITERAL(?o) || ISNUMERIC(?v) AS ?t)
  BIND(-?v * 2 / 3 - 1 AS ?arith) BIND(<http://example.org/f>(?v) AS ?custom)
}
GROUP BY ?s HAVING (COUNT(?o) > 0) ORDER BY DESC(?n) ASC(?s) LIMIT 10 OFFSET 1"""


def test_sandboxed_workers_answer_every_query_form(server):
    """The workers cannot open files once they answer (no lazy import may happen then): queries that use
    every part of the grammar get an answer or a refusal, never an internal error."""
    from llm_atlas.guard_process import WARM_UP

    extra = [
        "SELECT ?x WHERE { BIND(ENCODE_FOR_URI(\"é ü\") AS ?x) }",
        "SELECT (LANGMATCHES(\"fr-CA\", \"*\") AS ?x) (STRLANG(\"chat\", \"fr\") AS ?y) {}",
        "SELECT * WHERE { ?s ?p ?o FILTER(REGEX(?o, \"[\")) }",  # an invalid regex
        "SELECT (xsd:dateTime(\"nonsense\") AS ?d) (1/0 AS ?z) {}",
        "SELECT * WHERE { ?s ?p ?o } ORDER BY RAND() LIMIT 3",
    ]
    for text in WARM_UP + [FEATURE_QUERY] + extra:
        for status, _, body in _routes(server, text):
            assert status in (200, 400, 403), (text[:80], status, body[:300])


def test_ontology_page_lists_every_term(server):
    status, _, body = call(server, "GET", "/ontology/", headers={"Accept": "text/html"})
    page = body.decode()
    assert status == 200 and 'id="Organization"' in page and 'id="ledBy"' in page and "Subclass of" in page
    assert 'href="/ontology/confidence/scheme"' in page  # the vocabularies, linked


def test_the_store_is_unchanged_and_nothing_called_out(server, canary):
    assert canary.connections == 0
    assert store_fingerprint(server.atlas.store_dir) == server.fingerprint_at_start


def test_no_process_runs_a_saved_query_that_could_reach_out(tmp_path, canary):
    """A saved query that calls another server (as a hostile contribution could add) is refused when the
    saved queries are read (rule sparql-service, before anything runs it), the server does not start on such
    a checkout, and the canary counts no connection."""
    root = make_checkout(tmp_path / "atlas")
    header = "#+ summary: Reaches out\n#+ question: Does anything run this?\n#+ tags: federated\n"
    (root / "queries" / "reach-out-ask.rq").write_text(header + f"ASK {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}\n")
    (root / "queries" / "reach-out-select.rq").write_text(
        header + f"SELECT * WHERE {{ SERVICE <{canary.url}> {{ ?s ?p ?o }} }}\n")
    atlas = Atlas.open(root)
    atlas.build()
    with pytest.raises(InvalidData) as refused:
        atlas.saved_queries()
    assert {(p.path, p.rule) for p in refused.value.problems} == {
        ("queries/reach-out-ask.rq", "sparql-service"), ("queries/reach-out-select.rq", "sparql-service")}
    with pytest.raises(InvalidData):
        AtlasServer(atlas, port=0, timeout=TIMEOUT, workers=1, queue=0).start()
    assert canary.connections == 0


# ---------------------------------------------------------------------------------------------------------
# slow clients, request smuggling, headers
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def strict_server(checkout):
    """Short deadlines for a request's headers and body, so the tests of slow clients run quickly."""
    with AtlasServer(Atlas.open(checkout), port=0, timeout=TIMEOUT, workers=2, queue=2, head_timeout=2.0, body_timeout=2.0,
                     cors="https://example.org").start() as srv:
        yield srv


def _reply(sock: socket.socket, timeout: float = 6.0) -> bytes:
    sock.settimeout(timeout)
    data = b""
    with contextlib.suppress(OSError):
        while chunk := sock.recv(4096):
            data += chunk
    return data


def test_slow_clients_cannot_lock_others_out(strict_server):
    """70 connections sending a byte every half second: every other request is still answered at once, and
    each trickling connection gets 408 when its time for the headers is up."""
    stop = threading.Event()
    sockets = [socket.create_connection((strict_server.host, strict_server.port), timeout=5) for _ in range(70)]

    def trickle():
        request = b"GET /organization/alpha-lab HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n"
        for index in range(len(request)):
            for sock in sockets:
                with contextlib.suppress(OSError):
                    sock.send(request[index:index + 1])
            if stop.wait(0.5):
                return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        time.sleep(0.3)
        for _ in range(10):
            started = time.monotonic()
            status, _, body = get_query(strict_server, STUDY_QUERY)
            assert status == 200 and len(bindings(body)) == 2
            assert time.monotonic() - started < 1.0
        for sock in sockets[:5]:
            assert _reply(sock).startswith(b"HTTP/1.1 408")
    finally:
        stop.set()
        thread.join(5)
        for sock in sockets:
            sock.close()


def test_a_stalled_body_gets_408_and_conflicting_lengths_400(strict_server):
    with socket.create_connection((strict_server.host, strict_server.port), timeout=5) as sock:
        started = time.monotonic()
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 100\r\n\r\nASK {")
        reply = _reply(sock)
        assert reply.startswith(b"HTTP/1.1 408") and b"2 s" in reply and 1.5 < time.monotonic() - started < 5
    with socket.create_connection((strict_server.host, strict_server.port), timeout=5) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 5\r\n"
                     b"Content-Length: 50\r\n\r\nASK {}")
        assert _reply(sock).startswith(b"HTTP/1.1 400")
    with socket.create_connection((strict_server.host, strict_server.port), timeout=5) as sock:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\nContent-Length: 6\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\nASK {}")
        assert _reply(sock).startswith(b"HTTP/1.1 400")
    # a connection that sends nothing at all is closed too
    with socket.create_connection((strict_server.host, strict_server.port), timeout=5) as sock:
        assert _reply(sock).startswith(b"HTTP/1.1 408")


def test_vary_keeps_origin_when_cors_is_on(strict_server):
    status, headers, _ = call(strict_server, "GET", "/sparql?query=ASK%7B%7D", headers={"Origin": "https://example.org"})
    assert status == 200 and headers["access-control-allow-origin"] == "https://example.org"
    assert {v.strip() for v in headers["vary"].split(",")} == {"Accept", "Origin"}
    status, headers, _ = call(strict_server, "GET", "/organization/alpha-lab", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in headers and {v.strip() for v in headers["vary"].split(",")} == {"Accept", "Origin"}


# ---------------------------------------------------------------------------------------------------------
# what pages print: escaped, and links only where a browser may follow them
# ---------------------------------------------------------------------------------------------------------

HOSTILE_TEXT = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """A checkout whose data and ontology hold markup and IRIs with schemes a browser must not follow."""
    root = make_checkout(tmp_path_factory.mktemp("hostile") / "atlas")
    with open(root / "ontology" / "atlas.ttl", "a", encoding="utf-8") as ontology:
        ontology.write(f'\natlas:Organization rdfs:comment "{HOSTILE_TEXT.replace(chr(34), chr(92) + chr(34))}"@en .\n')
    with open(root / "graph" / "organization" / "alpha-lab.ttl", "a", encoding="utf-8") as entity:
        entity.write("\norganization:alpha-lab rdfs:seeAlso <javascript:alert(1)>, <urn:isbn:0451450523>, <https://example.org/fine> .\n")
    atlas = Atlas.open(root)
    atlas.build()
    with AtlasServer(atlas, port=0, timeout=TIMEOUT, workers=1, queue=1).start() as srv:
        yield srv


def test_the_ontology_page_escapes_what_it_prints(hostile_server):
    status, _, body = call(hostile_server, "GET", "/ontology/", headers={"Accept": "text/html"})
    page = body.decode()
    assert status == 200 and "&lt;script&gt;alert(" in page
    assert "<script>alert" not in page and "<img src=x" not in page


def test_entity_pages_link_only_to_web_addresses(hostile_server):
    status, _, body = call(hostile_server, "GET", "/organization/alpha-lab", headers={"Accept": "text/html"})
    page = body.decode()
    assert status == 200
    assert "javascript:alert(1)" in page and "urn:isbn:0451450523" in page  # shown, as text
    assert 'href="javascript:' not in page and 'href="urn:' not in page
    assert 'href="https://example.org/fine"' in page


# ---------------------------------------------------------------------------------------------------------
# the saved queries' pages
# ---------------------------------------------------------------------------------------------------------


def test_saved_query_page_shows_labels_linked_to_entity_pages(server):
    status, headers, body = call(server, "GET", "/queries/sample-by-continent")
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert 'href="/ontology/continent/europe"' in page and ">Europe</a>" in page
    assert "https://w3id.org/llm-atlas/ontology/continent/europe</" not in page  # the label, not the raw IRI
    assert 'href="/sparql?query=' in page and "format=csv" in page  # downloads of the same answer
    status, _, body = call(server, "GET", "/queries/")
    assert status == 200 and b'href="/queries/study-sample"' in body


def test_saved_query_page_has_a_form_for_its_parameters(server):
    status, _, body = call(server, "GET", "/queries/dependents")
    page = body.decode()
    assert status == 200 and 'name="artifact"' in page and 'value="dataset:common-crawl"' in page
    status, _, body = call(server, "GET", "/queries/dependents?artifact=" + quote("dataset:alpha-corpus"))
    page = body.decode()
    assert status == 200 and 'value="dataset:alpha-corpus"' in page and "VALUES ?artifact { &lt;https://w3id.org/llm-atlas/dataset/alpha-corpus&gt; }" in page
    status, _, body = call(server, "GET", "/queries/dependents?artifact=" + quote("no such thing"))
    assert status == 400 and b"parameter artifact" in body
    status, _, _ = call(server, "GET", "/queries/nothing-like-this", headers={"Accept": "text/html"})
    assert status == 404


# ---------------------------------------------------------------------------------------------------------
# the engine: memory after the start, reload
# ---------------------------------------------------------------------------------------------------------


def test_the_engine_moves_into_memory_after_answering_from_disk(server):
    assert server.engine.promoted.wait(30)
    assert server.engine.process.in_memory and server.engine.stats.promotions >= 1
    status, _, body = get_query(server, STUDY_QUERY)
    assert status == 200 and len(bindings(body)) == 2


@pytest.mark.slow
def test_reload_follows_the_files(tmp_path):
    root = make_checkout(tmp_path / "atlas")
    atlas = Atlas.open(root)
    atlas.build()
    path = root / "graph" / "organization" / "alpha-lab.ttl"
    with AtlasServer(atlas, port=0, timeout=TIMEOUT, workers=1, queue=1, reload=True).start() as srv:
        status, _, body = call(srv, "GET", "/organization/alpha-lab")
        assert status == 200 and b"<h1>Alpha Lab</h1>" in body
        path.write_text(path.read_text(encoding="utf-8").replace('"Alpha Lab"@en', '"Alpha Laboratory"@en'), encoding="utf-8")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, _, body = call(srv, "GET", "/organization/alpha-lab")
            if b"<h1>Alpha Laboratory</h1>" in body:
                break
            time.sleep(0.3)
        assert b"<h1>Alpha Laboratory</h1>" in body
        status, _, body = get_query(srv, STUDY_QUERY)
        assert "Alpha Laboratory" in [b["label"]["value"] for b in bindings(body)]


def test_search_box_and_page(server):
    status, _, body = call(server, "GET", "/organization/alpha-lab")
    assert b'<form class="search" role="search" action="/search"' in body  # on every page
    status, headers, body = call(server, "GET", "/search?q=" + quote("alpha lab"))
    page = body.decode()
    assert status == 200 and headers["content-type"].startswith("text/html")
    assert page.index('href="/organization/alpha-lab"') < page.index('href="/model/alpha-7b"')  # the exact name first
    status, _, body = call(server, "GET", "/search?q=" + quote("alpah lab"))  # a typo
    assert b'href="/organization/alpha-lab"' in body
    status, _, body = call(server, "GET", "/search?q=" + quote('<script>alert("x")</script>'))
    assert status == 200 and b"<script>alert" not in body and b"&lt;script&gt;" in body
    status, _, body = call(server, "GET", "/search")
    assert status == 200 and b"<table" not in body
