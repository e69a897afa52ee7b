"""Publishing to a Graph Store Protocol endpoint and querying remote endpoints, against a real Oxigraph server.

The server is the ``oxigraph`` command of the PyPI package ``oxigraph`` (the ``test`` extra), started on
127.0.0.1 on a free port with a temporary database for each fixture, and stopped at the end.
"""

from __future__ import annotations

import base64
import http.server
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas, ntriples, publish, remote, sparql_client
from llm_atlas.errors import UsageError
from llm_atlas.layout import FILE_GRAPH_BASE
from llm_atlas.query import parse_saved_query

from .conftest import ROOT, make_checkout

# Federated queries (tag `federated`) reach other endpoints through SERVICE: the tests never run them.
SAVED = sorted(p.stem for p in (ROOT / "queries").glob("*.rq")
               if not re.search(r"^#\+ tags:.*\bfederated\b", p.read_text(encoding="utf-8"), re.MULTILINE))


# -- servers -------------------------------------------------------------------------------------------------

def oxigraph_binary() -> str | None:
    return shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OxigraphServer:
    def __init__(self, location: Path, *, union: bool = True):
        binary = oxigraph_binary()
        if binary is None:
            pytest.fail("the oxigraph server is not installed: pip install -e '.[test]' (the package oxigraph)")
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.query_url, self.store_url = self.base + "/query", self.base + "/store"
        self.log = location.with_suffix(".log")
        args = [binary, "serve", "--location", str(location), "--bind", f"127.0.0.1:{self.port}"] + (["--union-default-graph"] if union else [])
        self.process = subprocess.Popen(args, stdout=self.log.open("wb"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(self.query_url + "?query=ASK%7B%7D", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the oxigraph server did not start: {self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def put(self, graph: str, ntriples: str) -> None:
        request = urllib.request.Request(publish.graph_url(self.store_url, graph), data=ntriples.encode(), method="PUT",
                                         headers={"Content-Type": "application/n-triples"})
        urllib.request.urlopen(request, timeout=10).close()

    def quads(self) -> set[str]:
        """The server's content, blank nodes relabelled from their content."""
        answer = remote.remote_query(self.query_url, "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
        quads = [ox.Quad(s, p, o, g) for g, s, p, o in answer.rows]
        return {f"{q.subject} {q.predicate} {q.object} {q.graph_name}" for q in ntriples.canonical_blank_nodes(quads)}

    def graphs(self) -> set[str]:
        return {row[0].value for row in remote.remote_query(self.query_url, "SELECT DISTINCT ?g WHERE { GRAPH ?g {} }").rows}


@pytest.fixture
def server(tmp_path):
    running = OxigraphServer(tmp_path / "oxigraph-db")
    yield running
    running.stop()


@pytest.fixture
def atlas(tmp_path) -> Atlas:
    built = Atlas.open(make_checkout(tmp_path / "atlas"), tmp_path / "store")
    built.build()
    yield built
    built.close()


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """The mini atlas, built, and published to a server (module-wide: the query tests only read)."""
    base = tmp_path_factory.mktemp("published")
    built = Atlas.open(make_checkout(base / "atlas"), base / "store")
    built.build()
    running = OxigraphServer(base / "oxigraph-db")
    publish.publish(built.store, running.query_url)
    yield built, running
    running.stop()
    built.close()


class Stub:
    """A tiny HTTP server that answers every request with one status and body, and records the requests."""

    def __init__(self, status: int, body: bytes = b"", content_type: str = "text/plain"):
        self.requests: list[tuple[str, str, dict]] = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                stub.requests.append((self.command, self.path, dict(self.headers)))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_PUT = do_DELETE = answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub():
    made = []

    def make(status: int, body: bytes = b"", content_type: str = "text/plain") -> Stub:
        made.append(Stub(status, body, content_type))
        return made[-1]

    yield make
    for s in made:
        s.close()


def answers(result) -> object:
    """A result as a comparable value: rows as a sorted multiset of {variable: term} (ORDER BY ties may differ)."""
    if result.boolean is not None:
        return result.boolean
    if result.triples is not None:
        return sorted(str(t) for t in result.triples)
    return sorted(tuple(sorted((v, str(t)) for v, t in zip(result.variables, row) if t is not None)) for row in result.rows)


# -- publish -------------------------------------------------------------------------------------------------

def test_publish_uploads_every_file_graph(atlas, server):
    seen = []
    report = publish.publish(atlas.store, server.query_url, on_graph=seen.append)
    local = {g.value for g in atlas.store.named_graphs()}
    assert report.complete and report.count("created") == len(local) == len(seen) and report.count("deleted") == 0
    assert report.triples == len(atlas.store)
    assert report.graph_store == server.store_url  # Oxigraph's layout: /query -> /store
    assert server.graphs() == local
    expected = {f"{q.subject} {q.predicate} {q.object} {q.graph_name}"
                for q in ntriples.canonical_blank_nodes(atlas.store.quads_for_pattern(None, None, None, None))}
    assert server.quads() == expected
    assert "created" in report.to_text() and report.summary().startswith(f"published {len(local)} graphs")


def test_publishing_twice_is_idempotent(atlas, server):
    publish.publish(atlas.store, server.query_url, graph_store=server.store_url)
    first = server.quads()
    report = publish.publish(atlas.store, server.query_url, graph_store=server.store_url)
    assert server.quads() == first
    assert report.count("replaced") == len(report.graphs) and report.count("created") == report.count("deleted") == 0


def test_a_graph_removed_locally_is_deleted_remotely_and_others_are_untouched(atlas, server):
    foreign = "http://example.org/someone-elses-graph"
    server.put(foreign, "<http://example.org/s> <http://example.org/p> \"kept\" .\n")
    publish.publish(atlas.store, server.query_url)
    (atlas.root / "graph" / "platform" / "model-hub.ttl").unlink()
    atlas.build()
    report = publish.publish(atlas.store, server.query_url)
    gone = FILE_GRAPH_BASE + "graph/platform/model-hub.ttl"
    assert [(g.graph, g.action) for g in report.graphs if g.action == "deleted"] == [(gone, "deleted")]
    assert server.graphs() == {g.value for g in atlas.store.named_graphs()} | {foreign}


# -- remote queries ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SAVED)
def test_every_saved_query_answers_the_same_remotely(published, name):
    atlas, running = published
    query = atlas.saved_query(name)
    local = atlas.query(query)
    assert answers(remote.remote_query(running.query_url, query)) == answers(local)
    # the union of the atlas's graphs named with default-graph-uri, whatever the server's default graph is
    assert answers(remote.remote_query(running.query_url, query, atlas_graphs=True)) == answers(local)


def test_parameters_are_bound_remotely(published):
    atlas, running = published
    query = atlas.saved_query("dependents")
    for value in ("dataset:web-crawl", "<https://w3id.org/llm-atlas/model/beta-base>", "dataset:nothing-here"):
        local = atlas.query(query, {"artifact": value})
        remote_answer = remote.remote_query(running.query_url, query, {"artifact": value})
        assert remote_answer.variables == local.variables
        assert answers(remote_answer) == answers(local)
    assert remote.remote_query(running.query_url, query, {"artifact": "dataset:web-crawl"}).rows


def test_remote_results_render_like_local_ones(published):
    atlas, running = published
    query = atlas.saved_query("study-sample")
    assert remote.remote_query(running.query_url, query).render("table") == atlas.query(query).render("table")


def test_ask_and_construct_remotely(published):
    _, running = published
    assert remote.remote_query(running.query_url, "ASK { ?o a atlas:Organization }").boolean is True
    result = remote.remote_query(running.query_url, "CONSTRUCT { ?o rdfs:label ?l } WHERE { ?o a atlas:Organization ; rdfs:label ?l }")
    assert sorted(t.object.value for t in result.triples) == ["Alpha Lab", "Beta Corp"]


ECHO = parse_saved_query(
    "#+ summary: Echo\n#+ question: Does a value stay a value?\n#+ tags: test\n#+ param: name string x The value\n"
    "# a comment with a brace { and a string \"}\"\nSELECT ?v ?n ?name WHERE { BIND (STR(?name) AS ?v) OPTIONAL { ?x rdfs:label ?name } "
    "BIND (STRLEN(?name) AS ?n) }\n",
    "echo",
)
HOSTILE = [
    'x" } ; DROP ALL ; SELECT * WHERE { "',
    "x' } DROP ALL #",
    '""" \'\'\' "',
    "\\u0022 } ; DROP ALL ; #",
    "\\\\u0022\\U00000022\\",
    "line\nbreak\r\ttab \b \f",
    "} { # <http://evil.example/> ?name $name",
    "Linåker, 🙂, \u200b",
    "",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_string_values_stay_values(published, value):
    atlas, running = published
    before = len(running.quads())
    answer = remote.remote_query(running.query_url, ECHO, {"name": value})
    assert [(row[0].value, int(row[1].value)) for row in answer.rows] == [(value, len(value))]
    assert answers(answer) == answers(atlas.query(ECHO, {"name": value}))
    assert len(running.quads()) == before


@pytest.mark.parametrize("value", ["nul \x00 char", "escape \x1b"])
def test_control_characters_are_refused(published, value):
    _, running = published
    with pytest.raises(UsageError, match="control character"):
        remote.remote_query(running.query_url, ECHO, {"name": value})


@pytest.mark.parametrize("value", ["dataset:x> } ; DROP ALL ; <y", "<http://a> } DROP ALL { <b>", "http://a b", 'http://a"', "not an iri"])
def test_hostile_iri_values_are_refused(published, value):
    atlas, running = published
    with pytest.raises(UsageError):
        remote.remote_query(running.query_url, atlas.saved_query("dependents"), {"artifact": value})


def test_values_go_first_in_the_outermost_where_group():
    iri = ox.NamedNode("http://example.org/a")
    bound = remote.bind_values("PREFIX ex: <http://example.org/#x>\n# WHERE {\nSELECT (COUNT(*) AS ?n) (EXISTS { ?s ?p '{' } AS ?e) ?p "
                               "WHERE {\n ?s ?p \"{\" } GROUP BY ?p", {"s": iri})
    assert "?p WHERE {\n  VALUES (?s) { (<http://example.org/a>) }\n\n ?s ?p" in bound
    construct = remote.bind_values("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": iri})
    assert construct.startswith("CONSTRUCT { ?s ?p ?o } WHERE {\n  VALUES (?s)")
    sub = remote.bind_values("SELECT ?s WHERE { SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 }", {"s": iri})
    assert "{\n  VALUES (?s) { (<http://example.org/a>) }\n  { SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 }\n}" in sub
    ask = remote.bind_values("ASK { FILTER (?s = <http://example.org/a>) }", {"s": iri, "t": ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))})
    assert 'VALUES (?s ?t) { (<http://example.org/a> "5"^^<http://www.w3.org/2001/XMLSchema#integer>) }' in ask
    with pytest.raises(UsageError, match="short form"):
        remote.bind_values("CONSTRUCT WHERE { ?s ?p ?o }", {"s": iri})
    with pytest.raises(UsageError, match="not a SPARQL query"):
        remote.bind_values("DROP ALL", {"s": iri})


# -- query --endpoint without flags ---------------------------------------------------------------------------

def _cli_rows(capsys, atlas, url: str, name: str = "study-sample") -> list:
    from llm_atlas.cli import main

    code = main(["--root", str(atlas.root), "--store", str(atlas.store_dir), "query", name, "--endpoint", url, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return [[b.get(v, {}).get("value") for v in doc["head"]["vars"]] for doc in [__import__("json").loads(out)] for b in doc["results"]["bindings"]]


def test_query_endpoint_finds_the_published_graphs_of_a_plain_store(tmp_path, capsys):
    """A store publish filled, served without a union default graph: the atlas graphs are found, no flag needed."""
    with Atlas.open(make_checkout(tmp_path / "atlas"), tmp_path / "store") as atlas:
        running = OxigraphServer(tmp_path / "plain-db", union=False)
        try:
            publish.publish(atlas.store, running.query_url)
            local = [[t.value if t is not None else None for t in row] for row in atlas.query("study-sample").rows]
            assert local and _cli_rows(capsys, atlas, running.query_url) == local
            # the endpoint's default graph really is empty: without the atlas graphs the query finds nothing
            assert remote.remote_query(running.query_url, atlas.saved_query("study-sample"), atlas_graphs=False).rows == []
        finally:
            running.stop()


def test_query_endpoint_works_against_llm_atlas_serve(tmp_path, capsys):
    from llm_atlas.serve import AtlasServer

    with Atlas.open(make_checkout(tmp_path / "atlas"), tmp_path / "store") as atlas:
        atlas.build()
        local = [[t.value if t is not None else None for t in row] for row in atlas.query("study-sample").rows]
        atlas.close()
        server = AtlasServer(atlas, port=0, workers=1, queue=1)
        server.start()
        try:
            assert local and _cli_rows(capsys, atlas, server.url + "/sparql") == local
        finally:
            server.close()


# -- errors --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("status", [500, 404])
def test_http_errors_of_publish_are_reported_with_status_and_body(atlas, stub, status):
    failing = stub(status, b"<h1>boom: the disk is on fire</h1>")
    with pytest.raises(publish.PublishError) as caught:
        publish.publish(atlas.store, failing.url + "/query", user="alice", password="s3cret-pw")
    error = caught.value
    assert error.status == status and "boom: the disk is on fire" in error.body and f"HTTP {status}" in str(error)
    assert error.exit_code == 2 and error.report.graphs == [] and not error.report.complete
    assert "s3cret-pw" not in str(error) and "alice" not in str(error)
    method, path, headers = failing.requests[0]
    assert method == "PUT" and path.startswith("/store?graph=https%3A%2F%2Fw3id.org%2Fllm-atlas%2Ffile%2F")
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"alice:s3cret-pw").decode()


@pytest.mark.parametrize("status", [500, 404, 401, 503])
def test_http_errors_of_remote_queries_are_reported(published, stub, status):
    atlas, _ = published
    failing = stub(status, b"endpoint says no")
    with pytest.raises(remote.RemoteError) as caught:
        remote.remote_query(failing.url + "/sparql", atlas.saved_query("study-sample"), password="pw", user="u")
    assert caught.value.status == status and "endpoint says no" in str(caught.value) and "pw" not in str(caught.value).replace("endpoint", "")


def test_an_answer_that_is_not_sparql_results_is_reported(published, stub):
    atlas, _ = published
    html = stub(200, b"<html>a login page</html>", "text/html")
    with pytest.raises(remote.RemoteError, match="not a SPARQL result"):
        remote.remote_query(html.url + "/sparql", atlas.saved_query("study-sample"))


def test_an_unreachable_endpoint_is_reported(atlas):
    url = f"http://127.0.0.1:{free_port()}/query"
    with pytest.raises(publish.PublishError) as caught:
        publish.publish(atlas.store, url, timeout=5)
    assert caught.value.status is None and "refused" in str(caught.value).lower()
    with pytest.raises(remote.RemoteError):
        remote.remote_query(url, "ASK {}", timeout=5)


def test_a_failing_delete_stops_the_publish(atlas, server, monkeypatch):
    publish.publish(atlas.store, server.query_url)
    real = sparql_client.http_request

    def flaky(method, url, **kwargs):
        if method == "DELETE":
            raise remote.RemoteError("DELETE failed: HTTP 503", url=url, status=503)
        return real(method, url, **kwargs)

    monkeypatch.setattr(publish, "http_request", flaky)
    (atlas.root / "graph" / "platform" / "model-hub.ttl").unlink()
    atlas.build()
    with pytest.raises(publish.PublishError) as caught:
        publish.publish(atlas.store, server.query_url)
    assert caught.value.status == 503 and caught.value.report.count("replaced") == len(list(atlas.store.named_graphs()))


@pytest.mark.parametrize("url, message", [
    ("ftp://example.org/sparql", "http"),
    ("http:///sparql", "http"),
    ("localhost:7878/query", "http"),
    ("http://alice:s3cret@example.org/sparql", "no credentials"),
    ("http://example.org/sparql#x", "fragment"),
    ("http://example.org:99999/sparql", "not a valid URL"),
    ("http://example.org/spa rql", "give the endpoint"),
    ("", "give the endpoint"),
])
def test_bad_urls_are_usage_errors(atlas, url, message):
    with pytest.raises(UsageError, match=message) as caught:
        publish.publish(atlas.store, url)
    assert "s3cret" not in str(caught.value)
    with pytest.raises(UsageError, match=message):
        remote.remote_query(url, "ASK {}")


def test_a_password_needs_a_user(atlas):
    with pytest.raises(UsageError, match="user"):
        publish.publish(atlas.store, "http://127.0.0.1:1/query", password="pw")


def test_urls():
    assert publish.default_graph_store("http://h:7878/query") == "http://h:7878/store"
    assert publish.default_graph_store("http://h/ds") == "http://h/ds"
    assert publish.graph_url("http://h/store", FILE_GRAPH_BASE + "graph/a b.ttl") == \
        "http://h/store?graph=https%3A%2F%2Fw3id.org%2Fllm-atlas%2Ffile%2Fgraph%2Fa%20b.ttl"
    assert publish.graph_url("http://h/ds?x=1", "http://g") == "http://h/ds?x=1&graph=http%3A%2F%2Fg"
    assert remote.redact("http://u:p@h:1/q?api_key=k&x=1") == "http://h:1/q?api_key=%2A%2A%2A&x=1"
