"""Linking to Wikidata, against a real Oxigraph server on 127.0.0.1 serving a small recorded fixture shaped
like Wikidata (tests/fixtures/wikidata/): the review table, --apply, escaping of hostile labels, back-off
on HTTP 429, and the federated saved query. Nothing here touches the internet."""

from __future__ import annotations

import json
import re
import shutil
import socket
import string
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, Variable
from rdflib.plugins.sparql.algebra import translateQuery
from rdflib.plugins.sparql.parser import parseQuery
from rdflib.plugins.sparql.parserutils import CompValue

from llm_atlas import Atlas, __version__
from llm_atlas.errors import InvalidData, UsageError
from llm_atlas.canonical_turtle import format_text, quote_string
from llm_atlas.link import (
    LINKED_KINDS,
    TYPES_BY_KIND,
    WIKIDATA_CLASSES,
    case_variants,
    sparql_literal,
    user_agent,
)
from llm_atlas.namespaces import KINDS
from llm_atlas.query import parse_saved_query
from llm_atlas.sparql_client import MAX_WAIT, retry_after_seconds

from .conftest import FIXTURES, ROOT, make_checkout

WIKIDATA_FIXTURES = FIXTURES / "wikidata"
HOSTILE_QUOTE = 'x" } ; DROP ALL ; { "'
HOSTILE_BACKSLASH = 'a\\\\" . ?s ?p ?o #'  # a, two backslashes, a quote: the kind of text that ends a literal early


# -- a real Oxigraph server ----------------------------------------------------------------------------


def _oxigraph() -> str:
    found = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")
    if not found:
        pytest.fail("the `oxigraph` command (PyPI package oxigraph, in the test extra) is not installed: pip install -e '.[test]'")
    return found


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class OxigraphServer:
    def __init__(self, location: Path):
        self.location = location
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> None:
        binary = _oxigraph()
        files = sorted(str(p) for p in WIKIDATA_FIXTURES.glob("*.ttl"))
        subprocess.run([binary, "load", "--location", str(self.location), "--file", *files], check=True, capture_output=True, timeout=120)
        for _ in range(3):  # a port taken between choosing it and binding it: try another
            port = _free_port()
            self.process = subprocess.Popen([binary, "serve", "--location", str(self.location), "--bind", f"127.0.0.1:{port}"],
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            self.url = f"http://127.0.0.1:{port}/query"
            if self._wait_until_answering():
                return
            self.stop()
        pytest.fail("the Oxigraph server did not start")

    def _wait_until_answering(self, seconds: float = 30.0) -> bool:
        deadline = time.monotonic() + seconds
        ask = self.url + "?" + urllib.parse.urlencode({"query": "ASK { }"})
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(ask, timeout=2) as response:
                    if response.status == 200:
                        return True
            except OSError:
                time.sleep(0.1)
        return False

    def triples(self) -> int:
        query = urllib.parse.urlencode({"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
        request = urllib.request.Request(self.url + "?" + query, headers={"Accept": "application/sparql-results+json"})
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(json.load(response)["results"]["bindings"][0]["n"]["value"])

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        if self.process.stderr:
            self.process.stderr.close()
        self.process = None


@pytest.fixture(scope="module")
def wikidata(tmp_path_factory):
    server = OxigraphServer(tmp_path_factory.mktemp("wikidata") / "db")
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- a small local HTTP server in front of it: records requests, can answer 429 first -------------------


class Recorder:
    """An HTTP server on 127.0.0.1 that records every request; it answers the first ``fail_first`` with 429
    (and ``Retry-After``), then passes the request to ``upstream`` or answers ``canned``."""

    def __init__(self, *, upstream: str | None = None, canned: dict | None = None, fail_first: int = 0,
                 retry_after: str | None = None):
        self.upstream, self.canned, self.fail_first, self.retry_after = upstream, canned, fail_first, retry_after
        self.requests: list[dict] = []
        self.times: list[float] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.times.append(time.monotonic())
                recorder.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if len(recorder.requests) <= recorder.fail_first:
                    self.send_response(429)
                    if recorder.retry_after is not None:
                        self.send_header("Retry-After", recorder.retry_after)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if recorder.upstream:
                    request = urllib.request.Request(recorder.upstream, data=body, method="POST", headers={
                        "Content-Type": self.headers.get("Content-Type", ""), "Accept": self.headers.get("Accept", "")})
                    with urllib.request.urlopen(request, timeout=30) as response:
                        status, kind, payload = response.status, response.headers.get("Content-Type", ""), response.read()
                else:
                    status, kind, payload = 200, "application/sparql-results+json", json.dumps(recorder.canned).encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Recorder":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)

    def queries(self) -> list[str]:
        return [urllib.parse.parse_qs(r["body"].decode("utf-8"))["query"][0] for r in self.requests]


def values_of(query: str, variable: str = "text") -> list:
    """The terms a parsed query's VALUES block gives ``?variable`` (rdflib's SPARQL parser)."""
    found = []

    def walk(node):
        if isinstance(node, CompValue):
            if node.name == "values":
                found.extend(row[Variable(variable)] for row in node.res if Variable(variable) in row)
            for value in node.values():
                walk(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                walk(value)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)

    walk(translateQuery(parseQuery(query)).algebra)
    return found


# -- the checkouts -------------------------------------------------------------------------------------


def atlas_at(tmp_path: Path, name: str = "atlas") -> Atlas:
    return Atlas.open(make_checkout(tmp_path / name), tmp_path / f"{name}-store")


def rows_of(report) -> list[tuple]:
    return [(r.entity.rsplit("/", 2)[-2] + ":" + r.entity.rsplit("/", 1)[1], r.qid, r.label, r.description, r.score, r.decision)
            for r in report.rows]


EXPECTED_REVIEW = [
    ("benchmark:alpha-bench", "", "", "", 0.0, "none"),
    ("dataset:alpha-corpus", "", "", "", 0.0, "none"),
    ("dataset:web-crawl", "", "", "", 0.0, "none"),
    ("framework:trainer", "Q990006", "Trainer", "fictional football coach", 1.0, "none"),
    ("leaderboard:alpha-board", "", "", "", 0.0, "none"),
    ("model:alpha-7b", "Q990003", "alpha-7b", "fictional open large language model", 1.2, "accepted"),
    ("model:beta-base", "Q990004", "Beta Base", "fictional base language model", 0.9, "ambiguous"),
    ("model:beta-base", "Q990005", "Beta Base", "fictional military installation", 0.7, "ambiguous"),
    ("organization:alpha-lab", "Q990001", "Alpha Lab", "fictional AI research laboratory in Norway", 1.2, "accepted"),
    ("organization:beta-corp", "Q990002", "Beta Corporation", "fictional Japanese technology company", 1.0, "accepted"),
    ("project:alpha", "", "", "", 0.0, "none"),
    ("project:beta", "", "", "", 0.0, "none"),
]
ACCEPTED = {"organization/alpha-lab": "Q990001", "organization/beta-corp": "Q990002", "model/alpha-7b": "Q990003"}


# -- the review table ----------------------------------------------------------------------------------


def test_the_review_table_is_exactly_the_expected_one(wikidata, tmp_path):
    with atlas_at(tmp_path) as atlas:
        report = atlas.link_wikidata(endpoint=wikidata.url)
    assert rows_of(report) == EXPECTED_REVIEW
    assert report.entities == 11 and report.requests == 1 and report.applied == []
    why = {(r.entity.rsplit("/", 1)[1], r.qid): r.why for r in report.rows}
    assert why[("beta-corp", "Q990002")] == "alias, type agrees"  # "Beta Corp" is an alias of "Beta Corporation"
    assert why[("trainer", "Q990006")] == "label, other type"  # a person, not software
    assert why[("beta-base", "Q990005")] == "label, other type, 2 candidates"
    assert why[("alpha-corpus", "")] == "no item with this label or alias"  # the German label does not count
    table = report.to_table()
    assert table.splitlines()[0].split() == ["entity", "qid", "label", "description", "score", "decision", "why"]
    assert "organization:alpha-lab   Q990001" in table
    assert table.splitlines()[-1] == (
        "11 entities without a Wikidata link looked up in 1 request(s): 3 accepted, 1 ambiguous, "
        "1 matched only an item of another type, 6 without a candidate")
    assert json.loads(report.to_json())["rows"][5]["item"] == "http://www.wikidata.org/entity/Q990003"
    assert report.to_tsv().splitlines()[6].split("\t")[:2] == ["model:alpha-7b", "Q990003"]


def test_kinds_limit_what_is_looked_up(wikidata, tmp_path):
    with atlas_at(tmp_path) as atlas:
        report = atlas.link_wikidata(endpoint=wikidata.url, kinds=["model", "framework"])
        assert [r for r in rows_of(report)] == [r for r in EXPECTED_REVIEW if r[0].split(":")[0] in ("model", "framework")]
        with pytest.raises(UsageError, match="cannot link kind compute"):
            atlas.link_wikidata(endpoint=wikidata.url, kinds=["compute"])
        with pytest.raises(UsageError):
            atlas.link_wikidata(endpoint=wikidata.url, kinds=[])


def test_requests_are_batched_polite_posts(wikidata, tmp_path):
    with atlas_at(tmp_path) as atlas, Recorder(upstream=wikidata.url) as recorder:
        report = atlas.link_wikidata(endpoint=recorder.url, batch_size=4, contact="atlas-maintainers@example.org")
    assert rows_of(report) == EXPECTED_REVIEW  # the same answer, asked in three parts
    assert len(recorder.requests) == report.requests == 3  # 11 entities, 4 per request
    for request in recorder.requests:
        headers = {k.lower(): v for k, v in request["headers"].items()}
        assert headers["user-agent"] == f"llm-atlas/{__version__} (https://w3id.org/llm-atlas; mailto:atlas-maintainers@example.org)"
        assert headers["content-type"] == "application/x-www-form-urlencoded"
        assert "application/sparql-results+json" in headers["accept"]
    # every label and alias of the batch, in its case variants, is a VALUES literal
    first = values_of(recorder.queries()[0])
    assert Literal("Alpha Bench", lang="en") not in first and Literal("AlphaBench", lang="en") in first
    assert {Literal(v, lang="en") for v in case_variants("Alpha Corpus")} <= set(first)
    assert user_agent("") == f"llm-atlas/{__version__} (https://w3id.org/llm-atlas)"
    with pytest.raises(UsageError):
        user_agent("not an address")


# -- --apply -------------------------------------------------------------------------------------------


def _snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "graph").rglob("*.ttl"))}


def _triples(text: str) -> set:
    return {(q.subject, q.predicate, q.object) for q in ox.parse(text.encode("utf-8"), format=ox.RdfFormat.TURTLE)}


def _link_triples(path: str, qid: str) -> set:
    kind, slug = path.split("/")
    entity = ox.NamedNode(f"https://w3id.org/llm-atlas/{kind}/{slug}")
    claim = ox.NamedNode(f"{entity.value}#exactmatch-{qid.lower()}")
    item = ox.NamedNode(f"http://www.wikidata.org/entity/{qid}")
    rdf, atlas = "http://www.w3.org/1999/02/22-rdf-syntax-ns#", "https://w3id.org/llm-atlas/ontology/"
    exact = ox.NamedNode("http://www.w3.org/2004/02/skos/core#exactMatch")
    return {
        (entity, exact, item),
        (claim, ox.NamedNode(rdf + "type"), ox.NamedNode(atlas + "StatementClaim")),
        (claim, ox.NamedNode(rdf + "subject"), entity),
        (claim, ox.NamedNode(rdf + "predicate"), exact),
        (claim, ox.NamedNode(rdf + "object"), item),
        (claim, ox.NamedNode(atlas + "source"), ox.NamedNode("https://w3id.org/llm-atlas/source/external")),
        (claim, ox.NamedNode(atlas + "evidence"), ox.NamedNode(f"https://www.wikidata.org/wiki/{qid}")),
        (claim, ox.NamedNode(atlas + "confidence"), ox.NamedNode(atlas + "confidence/inferred")),
        (claim, ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment"),
         ox.Literal("matched by llm-atlas link on label and type; review", language="en")),
        # the mark the SSSOM export reads as "lexical matching" (the comment is for people only)
        (claim, ox.NamedNode("http://purl.org/dc/terms/type"), ox.NamedNode("https://w3id.org/semapv/vocab/LexicalMatching")),
    }


def test_apply_writes_exactly_the_accepted_links_and_the_checkout_stays_valid(wikidata, tmp_path):
    with atlas_at(tmp_path) as atlas:
        before = _snapshot(atlas.root)
        report = atlas.link_wikidata(endpoint=wikidata.url, apply=True)
        after = _snapshot(atlas.root)

        assert rows_of(report) == EXPECTED_REVIEW
        assert sorted((a.path, a.qid) for a in report.applied) == sorted((f"graph/{p}.ttl", q) for p, q in ACCEPTED.items())
        changed = {path for path in before if before[path] != after[path]}
        assert changed == {f"graph/{p}.ttl" for p in ACCEPTED}
        assert set(after) == set(before)  # no file added or removed
        for path, qid in ACCEPTED.items():
            old, new = before[f"graph/{path}.ttl"].decode(), after[f"graph/{path}.ttl"].decode()
            assert _triples(new) - _triples(old) == _link_triples(path, qid)
            assert _triples(old) <= _triples(new)
            assert format_text(new, path) == new  # written in canonical form
        assert report.summary().endswith("; 3 link(s) written to 3 file(s)")

        assert atlas.validate().problems == []

        again = atlas.link_wikidata(endpoint=wikidata.url, apply=True)
        assert again.entities == 8 and again.applied == [] and again.accepted == []
        assert {r.entity.rsplit("/", 1)[1] for r in again.rows}.isdisjoint({p.split("/")[1] for p in ACCEPTED})
        assert rows_of(again) == [r for r in EXPECTED_REVIEW if r[5] != "accepted"]
        assert _snapshot(atlas.root) == after


def test_apply_writes_nothing_when_a_file_cannot_be_formatted(wikidata, tmp_path):
    with atlas_at(tmp_path) as atlas:
        path = atlas.root / "graph/model/alpha-7b.ttl"
        path.write_text(path.read_text(encoding="utf-8") + "# a comment the formatter would lose\n", encoding="utf-8")
        before = _snapshot(atlas.root)
        with pytest.raises(InvalidData) as error:
            atlas.link_wikidata(endpoint=wikidata.url, apply=True)
        assert any(p.rule == "format-comment" for p in error.value.problems)
        assert _snapshot(atlas.root) == before


# -- hostile labels ------------------------------------------------------------------------------------


@pytest.mark.parametrize("hostile", [
    HOSTILE_QUOTE, HOSTILE_BACKSLASH, "}", "\\", '"', "'''", '"""', "a\nb", "tab\there", "x'} ; DROP ALL ; {'", "{ ?s ?p ?o }",
    "\\u0022 } #", "\\U0001F600\\\\u0022", "\\\\\\u0022", "a\\\\\\", "\u00e9\u4e2d\U0001f600",
])
def test_a_literal_is_always_the_value_it_was_given(hostile):
    """The escaped literal, put in a query, reads back as exactly the value (pyoxigraph and rdflib agree)."""
    literal = sparql_literal(hostile)
    query = f"SELECT ?v WHERE {{ VALUES ?v {{ {literal} }} }}"
    (row,) = list(ox.Store().query(query))
    assert row["v"] == ox.Literal(hostile, language="en")
    assert values_of(query, "v") == [Literal(hostile, lang="en")]  # rdflib replaces \\u escapes first, as SPARQL 1.1 says
    assert _java_style(literal) == hostile  # engines that replace only \\u escapes whose backslash is not escaped
    assert "\n" not in literal and set(re.findall(r"\\u[0-9A-Fa-f]{4}", literal)) <= {f"\\u{ord(c):04X}" for c in "uU" + string.hexdigits}


def _java_style(literal: str) -> str:
    """The value of a "..."@en literal for a parser that replaces a \\uXXXX escape only when an even number
    of backslashes precede it (Java's rule), then reads the SPARQL escapes."""
    text, out, i = literal[1:literal.rindex('"@')], [], 0
    while i < len(text):
        run = len(text[:i]) - len(text[:i].rstrip("\\"))
        if text.startswith("\\u", i) and run % 2 == 0 and re.fullmatch(r"[0-9A-Fa-f]{4}", text[i + 2:i + 6]):
            out.append(chr(int(text[i + 2:i + 6], 16)))
            i += 6
        else:
            out.append(text[i])
            i += 1
    escapes = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "'": "'"}
    return re.sub(r"\\(.)", lambda m: escapes[m.group(1)], "".join(out), flags=re.S)


def test_a_literal_cannot_carry_nul():
    with pytest.raises(UsageError):
        sparql_literal("a\x00b")
    assert sparql_literal("plain", None) == '"plain"'
    with pytest.raises(UsageError):
        sparql_literal("x", 'en" } ')


def _relabel(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert f"rdfs:label {quote_string(old)}@en" in text
    path.write_text(text.replace(f"rdfs:label {quote_string(old)}@en", f"rdfs:label {quote_string(new)}@en"), encoding="utf-8")


def test_hostile_labels_reach_the_server_as_literals_of_one_query(wikidata, tmp_path):
    with atlas_at(tmp_path) as atlas:
        _relabel(atlas.root / "graph/organization/beta-corp.ttl", "Beta Corp", HOSTILE_QUOTE)
        _relabel(atlas.root / "graph/model/alpha-7b.ttl", "Alpha-7B", HOSTILE_BACKSLASH)
        assert atlas.validate().problems == []
        triples = wikidata.triples()
        with Recorder(upstream=wikidata.url) as recorder:
            report = atlas.link_wikidata(endpoint=recorder.url, apply=True)
        assert len(recorder.requests) == 1
        (query,) = recorder.queries()
        texts = values_of(query)  # the server's query parses, and its VALUES hold the labels as literals
        assert Literal(HOSTILE_QUOTE, lang="en") in texts and Literal(HOSTILE_BACKSLASH, lang="en") in texts
        assert set(texts) == {Literal(v, lang="en") for e in ("Alpha Lab", HOSTILE_QUOTE, "Alpha", "Beta", HOSTILE_BACKSLASH,
                                                                "Beta Base", "Alpha Corpus", "Web Crawl", "AlphaBench", "Trainer",
                                                                "Alpha Leaderboard") for v in case_variants(e)}
        # the labels matched the items named by them, and nothing was dropped from the server
        decided = {(r.entity.rsplit("/", 1)[1], r.qid, r.decision) for r in report.rows if r.qid}
        assert ("beta-corp", "Q990009", "accepted") in decided and ("alpha-7b", "Q990010", "accepted") in decided
        assert wikidata.triples() == triples
        # the written files keep the labels and validate
        assert HOSTILE_QUOTE in _label(atlas.root / "graph/organization/beta-corp.ttl", "organization/beta-corp")
        assert HOSTILE_BACKSLASH in _label(atlas.root / "graph/model/alpha-7b.ttl", "model/alpha-7b")
        assert atlas.validate().problems == []


def _label(path: Path, entity: str) -> set[str]:
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    subject = ox.NamedNode(f"https://w3id.org/llm-atlas/{entity}")
    return {o.value for s, p, o in _triples(path.read_text(encoding="utf-8")) if s == subject and p == label}


# -- HTTP 429 ------------------------------------------------------------------------------------------

CANNED = {"head": {"vars": ["text", "item", "how", "itemLabel", "description", "class"]}, "results": {"bindings": [
    {"text": {"type": "literal", "value": "Alpha Lab", "xml:lang": "en"},
     "item": {"type": "uri", "value": "http://www.wikidata.org/entity/Q990001"},
     "how": {"type": "literal", "value": "label"},
     "itemLabel": {"type": "literal", "value": "Alpha Lab", "xml:lang": "en"},
     "description": {"type": "literal", "value": "canned answer", "xml:lang": "en"},
     "class": {"type": "uri", "value": "http://www.wikidata.org/entity/Q31855"}},
]}}


def test_a_429_is_waited_out_as_retry_after_says_and_retried(tmp_path):
    with atlas_at(tmp_path) as atlas, Recorder(canned=CANNED, fail_first=1, retry_after="1") as recorder:
        started = time.monotonic()
        report = atlas.link_wikidata(endpoint=recorder.url, kinds=["organization"])
        elapsed = time.monotonic() - started
    assert len(recorder.requests) == 2 and report.requests == 2 and report.waited == 1.0
    assert recorder.times[1] - recorder.times[0] >= 1.0  # it waited the second Retry-After asked for
    assert elapsed < 30
    assert recorder.queries()[0] == recorder.queries()[1]
    assert [(r.entity.rsplit("/", 1)[1], r.qid, r.decision) for r in report.rows] == [
        ("alpha-lab", "Q990001", "accepted"), ("beta-corp", "", "none")]


def test_retries_after_429_are_bounded(tmp_path):
    waits: list[float] = []
    with atlas_at(tmp_path) as atlas, Recorder(canned=CANNED, fail_first=10**6, retry_after="7") as recorder:
        with pytest.raises(UsageError, match="HTTP 429"):
            atlas.link_wikidata(endpoint=recorder.url, kinds=["organization"], max_retries=2, sleep=waits.append)
    assert len(recorder.requests) == 3  # the first try and two retries, then it gives up
    assert waits == [7.0, 7.0]


def test_retry_after_takes_seconds_or_a_date_and_is_capped():
    assert retry_after_seconds("3", 0) == 3.0
    assert retry_after_seconds(None, 0) == 2.0 and retry_after_seconds("soon", 2) == 8.0  # no usable header: 2, 4, 8 s
    assert retry_after_seconds("999999", 0) == MAX_WAIT
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=timezone.utc)
    when = format_datetime(now + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds(when, 0, now=now.timestamp) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), 0, now=now.timestamp) == 0.0


def test_an_endpoint_that_cannot_be_reached_is_a_usage_error(tmp_path):
    with atlas_at(tmp_path) as atlas:
        with pytest.raises(UsageError, match="cannot reach"):
            atlas.link_wikidata(endpoint=f"http://127.0.0.1:{_free_port()}/sparql", kinds=["organization"], timeout=5)
        with pytest.raises(UsageError, match="http"):
            atlas.link_wikidata(endpoint="file:///etc/passwd")


# -- the federated saved query -------------------------------------------------------------------------

WIKIDATA_SERVICE = "SERVICE <https://query.wikidata.org/sparql>"


def test_the_federated_query_works_against_the_local_server(wikidata, tmp_path):
    path = ROOT / "queries" / "wikidata-facts.rq"
    saved = parse_saved_query(path.read_text(encoding="utf-8"), "wikidata-facts", path)
    assert {"linking", "federated"} <= set(saved.tags)
    body = "\n".join(line for line in saved.text.splitlines() if not line.lstrip().startswith("#"))
    assert body.count(WIKIDATA_SERVICE) == 1 and body.count("SERVICE") == 1
    local = saved.text.replace(WIKIDATA_SERVICE, f"SERVICE <{wikidata.url}>")
    with atlas_at(tmp_path) as atlas:
        with Recorder(upstream=wikidata.url) as recorder:  # nothing linked yet: no row, and no question asked
            assert atlas.query(saved.text.replace(WIKIDATA_SERVICE, f"SERVICE <{recorder.url}>")).rows == []
        assert recorder.requests == []
        atlas.link_wikidata(endpoint=wikidata.url, apply=True)
        result = atlas.query(local)
    assert result.variables == ["kind", "entity", "item", "itemLabel", "inception", "countries", "developers", "entityIri"]
    rows = [[("" if t is None else t.value) for t in row] for row in result.rows]
    assert rows == [
        ["Model", "Alpha-7B", "http://www.wikidata.org/entity/Q990003", "alpha-7b", "2024-03-01T00:00:00Z", "", "Alpha Lab",
         "https://w3id.org/llm-atlas/model/alpha-7b"],
        ["Organization", "Alpha Lab", "http://www.wikidata.org/entity/Q990001", "Alpha Lab", "2019-05-01T00:00:00Z", "Norway", "",
         "https://w3id.org/llm-atlas/organization/alpha-lab"],
        ["Organization", "Beta Corp", "http://www.wikidata.org/entity/Q990002", "Beta Corporation", "2001-01-01T00:00:00Z", "Japan", "",
         "https://w3id.org/llm-atlas/organization/beta-corp"],
    ]


# -- the type table ------------------------------------------------------------------------------------


def test_the_type_table_is_well_formed():
    assert set(LINKED_KINDS) == {"organization", "project", "model", "dataset", "benchmark", "framework", "leaderboard"}
    assert set(LINKED_KINDS) <= set(KINDS)
    assert all(re.fullmatch(r"Q[1-9][0-9]*", qid) for qid in WIKIDATA_CLASSES)
    for kind, classes in TYPES_BY_KIND.items():
        assert classes and set(classes) <= set(WIKIDATA_CLASSES), kind
    assert set(WIKIDATA_CLASSES) == {q for classes in TYPES_BY_KIND.values() for q in classes}
