"""The OSAI index's history and the atlas as of a date: a tiny git history of two systems, bundled, imported.

Commits (committer dates, UTC): 2024-01-10 alpha.yaml in the 2023-2024 ``project:`` layout (weights closed);
2024-06-01 alpha.yaml in the current layout (weights partial) and "Gamma Chat.yaml" added; 2024-09-01 only the
notes of alpha.yaml change (no new state) and a broken file is added; 2025-01-15 alpha's weights are open and
Gamma Chat is removed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.asof import parse_date
from llm_atlas.cli import main
from llm_atlas.errors import EXIT_USAGE, UsageError
from llm_atlas.importers.osai_history import HISTORY_FILE, import_history
from llm_atlas.namespaces import PREFIXES

from .conftest import FIXTURES, check_golden
from .test_osai import osai_checkout

OSAI = FIXTURES / "osai"
GOLDEN = OSAI / "golden" / "history"
ALPHA = "https://w3id.org/llm-atlas/model/alpha-lab-alpha-2-13b-instruct"

ALPHA_OLD = """\
project:
    name: Alpha 2
    link: https://alpha.example.org/models/alpha-2
    llmbase: Beta-Base-13B
    license: MIT
org:
    name: Alpha Lab
    link: https://alpha.example.org/
opencode:
    class: open
    link: https://alpha.example.org/code
rlweights:
    class: closed
    link: https://alpha.example.org/models/alpha-2
"""

ALPHA_NEW = """\
system:
    name: Alpha 2
    link: https://alpha.example.org/models/alpha-2
    type: text
    basemodelname: Beta-Base-13B
    endmodelname: Alpha-2-13B-Instruct
    endmodellicense: {licence}
    releasedate: 2025-02
    notes: {notes}
org:
    name: Alpha Lab
    link: https://alpha.example.org/
trainingcode:
    class: open
    link: https://alpha.example.org/code
weights_endmodel:
    class: {weights}
    link: https://alpha.example.org/models/alpha-2
"""


def _commit(repo: Path, when: str, message: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", "-C", str(repo), "add", "-A"], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", message], check=True, env=env)


def make_bundle(where: Path) -> Path:
    repo = where / "index"
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "alpha.yaml").write_text(ALPHA_OLD, encoding="utf-8")
    _commit(repo, "2024-01-10T12:00:00+01:00", "first")
    (repo / "alpha.yaml").write_text(ALPHA_NEW.format(licence="MIT", notes="one", weights="partial"), encoding="utf-8")
    shutil.copyfile(OSAI / "index" / "Gamma Chat.yaml", repo / "Gamma Chat.yaml")
    _commit(repo, "2024-06-01T10:00:00+00:00", "yaml 2")
    (repo / "alpha.yaml").write_text(ALPHA_NEW.format(licence="MIT", notes="two", weights="partial"), encoding="utf-8")
    (repo / "broken.yaml").write_text("system:\n    name: Broken\n  bad: [\n", encoding="utf-8")
    _commit(repo, "2024-09-01T10:00:00+00:00", "notes")
    (repo / "alpha.yaml").write_text(ALPHA_NEW.format(licence="Apache-2.0", notes="two", weights="open"), encoding="utf-8")
    (repo / "Gamma Chat.yaml").unlink()
    _commit(repo, "2025-01-15T10:00:00+00:00", "open weights")
    bundle = where / "history.bundle"
    subprocess.run(["git", "-C", str(repo), "bundle", "create", "-q", str(bundle), "main"], check=True, capture_output=True)
    return bundle


def history_checkout(dest: Path) -> Path:
    """The OSAI tests' checkout: the fixture graph, the fixture layer and the index's source entity."""
    return osai_checkout(dest)


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    base = tmp_path_factory.mktemp("history")
    bundle = make_bundle(base)
    checkout = history_checkout(base / "atlas")
    report = import_history(bundle, checkout)
    return checkout, bundle, report


def rows(store: ox.Store, query: str) -> list[tuple]:
    return sorted(tuple(t.value if t is not None else "" for t in row)
                  for row in store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True))


def history_store(checkout: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=str(checkout / HISTORY_FILE), format=ox.RdfFormat.TRIG)
    return store


def test_every_distinct_state_with_its_interval(history):
    checkout, _, report = history
    assert (report.commits, report.mainline, report.states, report.records, report.current) == (4, 4, 4, 2, 1)
    assert report.layouts == {"project": 1, "current": 4}
    found = rows(history_store(checkout), """
        SELECT ?state ?from ?until ?commitShort ?previous WHERE {
          ?state a atlas:RecordState ; prov:generatedAtTime ?from ; atlas:sourceCommit ?commit .
          OPTIONAL { ?state prov:invalidatedAtTime ?until } OPTIONAL { ?state prov:wasRevisionOf ?previous }
          BIND (SUBSTR(?commit, 1, 7) AS ?commitShort) }""")
    slugs = [(r[0].split("/osai-index/")[1].split("/")[0], r[1], r[2], r[0].endswith(r[3]), r[4] != "") for r in found]
    # the notes-only change of 2024-09-01 is no new state; the removal of Gamma Chat ends its state
    assert sorted(slugs, key=lambda s: (s[0], s[1])) == [
        ("alpha", "2024-01-10T11:00:00Z", "2024-06-01T10:00:00Z", True, False),
        ("alpha", "2024-06-01T10:00:00Z", "2025-01-15T10:00:00Z", True, True),
        ("alpha", "2025-01-15T10:00:00Z", "", True, True),
        ("gamma-chat", "2024-06-01T10:00:00Z", "2025-01-15T10:00:00Z", True, False),
    ]


def test_an_unreadable_state_is_reported_with_commit_file_line_and_rule(history):
    _, _, report = history
    assert [(p.path.split(":")[1], p.line, p.rule) for p in report.skipped] == [("broken.yaml", 3, "osai-yaml")]
    assert report.skipped[0].path.split(":")[0] and "broken.yaml" in report.to_text()


def test_the_history_file_matches_its_golden_and_a_second_import_gives_the_same_bytes(history, update_goldens):
    checkout, bundle, _ = history
    first = (checkout / HISTORY_FILE).read_text(encoding="utf-8")
    check_golden(GOLDEN / "osai-index-history.trig", first, update_goldens)
    again = import_history(bundle, checkout)
    assert not again.changed and (checkout / HISTORY_FILE).read_text(encoding="utf-8") == first


def test_the_history_is_out_of_the_current_graph(history, tmp_path):
    checkout, _, _ = history
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        found = atlas.query("SELECT (COUNT(*) AS ?n) WHERE { ?s a atlas:RecordState }").rows
        assert found[0][0].value == "0"


@pytest.mark.parametrize("day, alpha, gamma", [
    ("2023-12-31", [], []),
    ("2024-03-01", [("trainingcode", "open"), ("weights_endmodel", "closed")], []),
    ("2024-06-01", [("trainingcode", "open"), ("weights_endmodel", "partial")], [("weights_basemodel", "open")]),
    ("2024-10-01", [("trainingcode", "open"), ("weights_endmodel", "partial")], [("weights_basemodel", "open")]),
    ("2025-02-01", [("trainingcode", "open"), ("weights_endmodel", "open")], []),
])
def test_as_of_a_date_one_state_of_each_record(history, tmp_path, day, alpha, gamma):
    checkout, _, _ = history
    query = """SELECT ?slug ?dimension ?class WHERE {
        ?a a atlas:OpennessAssessment ; atlas:judgement ?j . ?j atlas:opennessDimension ?d ; atlas:opennessClass ?c .
        ?d skos:notation ?dimension . ?c skos:notation ?class BIND (STRAFTER(STR(?a), "osai-index/") AS ?slug) }"""
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        found = [tuple(t.value for t in r) for r in atlas.query(query, as_of=day).rows]
        assert sorted((d, c) for s, d, c in found if s == "alpha") == alpha
        assert [(d, c) for s, d, c in found if s == "gamma-chat" and d == "weights_basemodel"] == gamma
        # never two states of one record: one class per assessment and dimension
        assert len({(s, d) for s, d, _ in found}) == len(found)


def test_the_licence_known_then(history, tmp_path):
    checkout, _, _ = history
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        def licences(day):
            return sorted(r[0].value for r in atlas.query(f"SELECT ?l WHERE {{ <{ALPHA}> atlas:licenseName ?l }}", as_of=day).rows)
        assert licences("2024-07-01") == ["MIT"] and licences("2025-06-01") == ["Apache-2.0"]


def _table(result) -> str:
    return result.render("tsv")


def test_the_saved_queries_match_their_goldens(history, tmp_path, update_goldens):
    checkout, _, _ = history
    with Atlas.open(checkout, tmp_path / "store") as atlas:
        check_golden(GOLDEN / "osai-verdict-history.tsv", _table(atlas.query("osai-verdict-history", {"release": ALPHA})), update_goldens)
        check_golden(GOLDEN / "osai-verdict-history-2024-07-01.tsv",
                     _table(atlas.query("osai-verdict-history", {"release": ALPHA}, as_of="2024-07-01")), update_goldens)
        for day in ("2024-07-01", "2025-06-01"):
            check_golden(GOLDEN / f"open-releases-on-{day}.tsv",
                         _table(atlas.query("open-releases-on", {"date": day}, as_of=day)), update_goldens)
        check_golden(GOLDEN / "family-lineage-growth.tsv", _table(atlas.query("family-lineage-growth", {"family": "model:alpha"})),
                     update_goldens)
        check_golden(GOLDEN / "family-lineage-growth-2024-07-01.tsv",
                     _table(atlas.query("family-lineage-growth", {"family": "model:alpha"}, as_of="2024-07-01")), update_goldens)


# -- bad input ----------------------------------------------------------------------------------------------


def test_not_a_bundle_is_refused_and_nothing_is_written(tmp_path):
    checkout = history_checkout(tmp_path / "atlas")
    fake = tmp_path / "fake.bundle"
    fake.write_text("hello\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"fake\.bundle:1: not a git bundle .*\[history-bundle\]"):
        import_history(fake, checkout)
    with pytest.raises(UsageError, match=r"no such file \[history-bundle\]"):
        import_history(tmp_path / "missing.bundle", checkout)
    truncated = tmp_path / "cut.bundle"
    truncated.write_bytes(b"# v2 git bundle\n0000 bad\n")
    with pytest.raises(UsageError, match=r"\[history-bundle\]"):
        import_history(truncated, checkout)
    assert not (checkout / HISTORY_FILE).exists()


@pytest.mark.parametrize("text", ["2024-13-01", "yesterday", "2024-1-1", ""])
def test_a_bad_date_is_a_usage_error(text):
    with pytest.raises(UsageError, match="--as-of"):
        parse_date(text)


def test_the_cli(history, tmp_path, capsys):
    checkout, bundle, _ = history
    args = ["--root", str(checkout), "--store", str(tmp_path / "store")]
    assert main([*args, "query", "osai-verdict-history", "--param", f"release={ALPHA}", "--as-of", "2024-07-01", "--format", "tsv"]) == 0
    out = capsys.readouterr().out
    assert "weights_endmodel" in out and '"partial"\t"closed"' in out and '"open"\t' not in out
    for bad in ("2024-02-30", "soon"):
        assert main([*args, "query", "open-releases-on", "--as-of", bad]) == EXIT_USAGE
        assert "--as-of" in capsys.readouterr().err
    assert main([*args, "report", "--as-of", "later", "--out", str(tmp_path / "r")]) == EXIT_USAGE
    assert not (tmp_path / "r").exists()
    assert main([*args, "serve", "--as-of", "later"]) == EXIT_USAGE
    assert main([*args, "import", "osai-index-history", str(bundle)]) == 0
    assert "unchanged" in capsys.readouterr().out


def test_the_report_as_of_a_date(history, tmp_path, capsys):
    checkout, _, _ = history
    args = ["--root", str(checkout), "--store", str(tmp_path / "store")]
    assert main([*args, "report", "--as-of", "2024-07-01", "--out", str(tmp_path / "report")]) == 0
    text = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "as of 2024-07-01" in text


def test_serve_as_of_a_date(history, tmp_path):
    import json
    import urllib.request
    from urllib.parse import quote

    from llm_atlas.serve import AtlasServer

    checkout, _, _ = history
    atlas = Atlas.open(checkout, tmp_path / "store")
    atlas.build()
    query = ("PREFIX atlas: <https://w3id.org/llm-atlas/ontology/> PREFIX skos: <http://www.w3.org/2004/02/skos/core#> "
             "SELECT ?class WHERE { ?a atlas:judgement ?j . ?j atlas:opennessDimension ?d ; atlas:opennessClass ?c . "
             "?d skos:notation 'weights_endmodel' . ?c skos:notation ?class . FILTER (STRENDS(STR(?a), '/alpha')) }")
    answers = {}
    for day in ("2024-03-01", None):
        with AtlasServer(atlas, port=0, timeout=10, workers=1, queue=1, as_of=day).start() as srv:
            request = urllib.request.Request(f"{srv.url}/sparql?query={quote(query)}", headers={"Accept": "application/sparql-results+json"})
            with urllib.request.urlopen(request, timeout=30) as response:
                body = json.loads(response.read())
            answers[day] = sorted(b["class"]["value"] for b in body["results"]["bindings"])
    assert answers == {"2024-03-01": ["closed"], None: []}  # the checkout has no current osai-index import
