"""The command line: exit codes, output formats, and the same answers as the Python API."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.cli import main

from .conftest import ROOT


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def args(mini, store_dir):
    return ["--root", str(mini), "--store", str(store_dir)]


def break_entity(mini):
    """Drop the source of an organisation (rule source-required)."""
    path = mini / "graph/organization/beta-corp.ttl"
    text = path.read_text()
    broken = text.replace("    atlas:organizationType orgtype:large-enterprise ;\n    atlas:source source:slides .\n", "    atlas:organizationType orgtype:large-enterprise .\n")
    assert broken != text
    path.write_text(broken)
    return path


def test_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for line in ("0  success", "1  the atlas data is invalid", "2  usage or input error"):
        assert line in out


def test_python_dash_m_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "llm_atlas", "--version"], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.startswith("llm-atlas ")


def test_build_prints_what_it_loaded(capsys, args):
    code, out, _ = run(capsys, *args, "build")
    assert code == 0 and out.startswith("full build:") and "triples" in out
    code, out, _ = run(capsys, *args, "build")
    assert code == 0 and out.startswith("up to date:")


def test_validate_valid_exits_0(capsys, args):
    code, out, err = run(capsys, *args, "validate")
    assert (code, out) == (0, "") and err.startswith("valid:")


@pytest.mark.parametrize("fmt", ["text", "json", "github"])
def test_validate_invalid_exits_1_in_every_format(capsys, args, mini, fmt):
    break_entity(mini)
    code, out, err = run(capsys, *args, "validate", "--format", fmt)
    assert code == 1 and err.startswith("INVALID")
    if fmt == "text":
        assert "graph/organization/beta-corp.ttl:" in out and "[source-required]" in out
    elif fmt == "json":
        [problem] = [p for p in json.loads(out) if p["rule"] == "source-required"]
        assert problem["path"] == "graph/organization/beta-corp.ttl" and problem["line"] > 0
        assert problem["severity"] == "error" and problem["focus"].endswith("/organization/beta-corp")
        assert problem["help"] == "docs/rules.md#source-required"
    else:
        assert any(line.startswith("::error file=graph/organization/beta-corp.ttl,line=") and "title=source-required" in line for line in out.splitlines())


def test_a_syntax_error_exits_1_with_path_line_col(capsys, args, mini):
    (mini / "graph/organization/x.ttl").write_text('@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n<https://w3id.org/llm-atlas/organization/x> rdfs:label "x" \n')
    code, out, _ = run(capsys, *args, "validate")
    assert code == 1
    assert out.startswith("graph/organization/x.ttl:3:1: error [turtle-syntax]")


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        ["query"],
        ["query", "no-such-query"],
        ["query", "-e", "SELECT * WHERE { ?s ?p }"],
        ["query", "dependents", "--param", "nonsense"],
        ["validate", "--format", "xml"],
    ],
)
def test_usage_errors_exit_2(capsys, args, argv):
    try:
        code = main([*args, *argv])
    except SystemExit as exited:  # argparse's own usage errors
        code = exited.code
    assert code == 2
    assert capsys.readouterr().err


def test_no_checkout_exits_2(capsys, tmp_path):
    code, _, err = run(capsys, "--root", str(tmp_path), "validate")
    assert code == 2 and "not an LLM Atlas checkout" in err


def test_queries_lists_saved_queries(capsys, args):
    code, out, _ = run(capsys, *args, "queries")
    assert code == 0 and "study-sample" in out


@pytest.mark.parametrize("fmt", ["table", "csv", "tsv", "json"])
def test_query_formats_match_the_api(capsys, args, mini, store_dir, fmt):
    code, out, _ = run(capsys, *args, "query", "study-sample", "--format", fmt)
    assert code == 0
    api = Atlas.open(mini, store_dir).query("study-sample")
    labels = [[t.value for t in row] for row in api.rows]
    if fmt == "json":
        data = json.loads(out)
        assert data["head"]["vars"] == api.variables
        assert [[b[v]["value"] for v in api.variables] for b in data["results"]["bindings"]] == labels
    elif fmt == "csv":
        rows = list(csv.reader(io.StringIO(out)))
        assert rows[0] == api.variables and rows[1:] == labels
    elif fmt == "tsv":
        lines = out.splitlines()
        assert lines[0] == "\t".join("?" + v for v in api.variables)
        assert len(lines) == 1 + len(labels) and '"Beta Corp"@en' in out
    else:
        assert out.splitlines()[0].split() == api.variables and "Beta Corp" in out and "(2 rows)" in out


def test_query_a_file_and_an_expression(capsys, args, tmp_path):
    rq = tmp_path / "q.rq"
    rq.write_text("SELECT ?o WHERE { ?o a atlas:Organization } ORDER BY ?o\n")
    code, out, _ = run(capsys, *args, "query", str(rq), "--format", "csv")
    assert code == 0 and out.splitlines()[1:] == ["https://w3id.org/llm-atlas/organization/alpha-lab", "https://w3id.org/llm-atlas/organization/beta-corp"]
    code, out, _ = run(capsys, *args, "query", "-e", "ASK { organization:alpha-lab a atlas:Organization }")
    assert (code, out) == (0, "yes\n")


def test_report_writes_markdown_and_exits_0(capsys, args, tmp_path):
    out_dir = tmp_path / "out"
    code, out, err = run(capsys, *args, "report", "--out", str(out_dir))
    assert code == 0 and f"wrote {out_dir / 'report.md'}" in err
    text = (out_dir / "report.md").read_text()
    assert text.startswith("# LLM Atlas report") and "Alpha Lab" in text


def test_report_on_invalid_data_exits_1_and_writes_nothing(capsys, args, mini, tmp_path):
    break_entity(mini)
    out_dir = tmp_path / "out"
    code, out, _ = run(capsys, *args, "report", "--out", str(out_dir))
    assert code == 1 and "[source-required]" in out
    assert not out_dir.exists()


def test_the_real_checkout_is_found_from_inside_it(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT / "graph")
    code, out, _ = run(capsys, "--store", str(tmp_path / "store"), "queries")
    assert code == 0 and "study-sample" in out


def test_a_blank_node_reads_the_same_in_the_cli_and_at_the_endpoint(capsys, args):
    from llm_atlas.sparql_results import write_select

    code, out, _ = run(capsys, *args, "query", "-e", 'SELECT ?b WHERE { BIND (BNODE("x") AS ?b) }', "--format", "csv")
    [_, cell] = out.splitlines()
    assert code == 0 and cell.startswith("_:")  # the endpoint's writer is the same function
    assert write_select(["b"], [[ox.BlankNode(cell[2:])]], "csv").decode().splitlines() == ["b", cell]


@pytest.mark.parametrize("fmt, expected", [
    ("table", "<<( <http://example.org/a> <http://example.org/b> 1 )>>"),
    ("tsv", '<<( <http://example.org/a> <http://example.org/b> "1"^^<http://www.w3.org/2001/XMLSchema#integer> )>>'),
    ("csv", '<<( <http://example.org/a> <http://example.org/b> "1"^^<http://www.w3.org/2001/XMLSchema#integer> )>>'),
    ("json", '"type": "triple"'),
    ("xml", "<triple><subject><uri>http://example.org/a</uri></subject>"),
])
def test_a_query_returning_a_triple_term_is_written_in_every_format(capsys, args, fmt, expected):
    query = "SELECT (<<( <http://example.org/a> <http://example.org/b> 1 )>> AS ?t) WHERE {}"
    code, out, err = run(capsys, *args, "query", "-e", query, "--format", fmt)
    assert code == 0, err
    if fmt == "csv":
        out = list(csv.reader(io.StringIO(out)))[1][0]
    assert expected in out
