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
    ("json", '"type":"triple"'),
    ("xml", "<triple><subject><uri>http://example.org/a</uri></subject>"),
])
def test_a_query_returning_a_triple_term_is_written_in_every_format(capsys, args, fmt, expected):
    query = "SELECT (<<( <http://example.org/a> <http://example.org/b> 1 )>> AS ?t) WHERE {}"
    code, out, err = run(capsys, *args, "query", "-e", query, "--format", fmt)
    assert code == 0, err
    if fmt == "csv":
        out = list(csv.reader(io.StringIO(out)))[1][0]
    assert expected in out


# -- the command table -------------------------------------------------------------------------------------


def test_every_subcommand_comes_from_the_table_and_the_names_it_repeats_agree_with_the_package():
    from llm_atlas import cli, link, namespaces, query

    parser = cli.make_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command")
    assert list(subparsers.choices) == [c.name for c in cli.COMMANDS]
    # the CLI spells these out so that --help imports nothing heavy; they must not drift
    assert cli.QUERY_FORMATS == query.FORMATS
    assert cli.KINDS == tuple(namespaces.KINDS)
    assert cli.LINKED_KINDS == tuple(sorted(link.LINKED_KINDS, key=cli.LINKED_KINDS.index)) and set(cli.LINKED_KINDS) == set(link.LINKED_KINDS)


@pytest.mark.parametrize("argv, hint", [
    (["quer", "study-sample"], "did you mean query or queries?"),
    (["valdate"], "did you mean validate?"),
    (["validate", "--format", "jsn"], "did you mean json?"),
    (["new", "modle", "x"], "did you mean model?"),
])
def test_a_mistyped_command_or_choice_gets_a_suggestion_and_exit_2(capsys, args, argv, hint):
    with pytest.raises(SystemExit) as exited:
        main([*args, *argv])
    assert exited.value.code == 2 and hint in capsys.readouterr().err


def test_a_mistyped_saved_query_gets_a_suggestion(capsys, args):
    code, _, err = run(capsys, *args, "query", "study-sampel")
    assert code == 2 and "no saved query 'study-sampel'; did you mean study-sample?" in err


def test_a_parameter_naming_nothing_gets_a_suggestion(capsys, args):
    code, out, err = run(capsys, *args, "query", "dependents", "--param", "artifact=dataset:web-crawll")
    assert code == 0 and "(0 rows)" in out
    assert "warning: parameter artifact: dataset:web-crawll names nothing in the atlas; did you mean dataset:web-crawl?" in err
    code, _, err = run(capsys, *args, "query", "dependents", "--param", "artifact=dataset:web-crawl")
    assert code == 0 and "warning" not in err


# -- reading commands follow the files ------------------------------------------------------------------------


def test_query_sees_an_edited_label_without_a_build(capsys, args, mini):
    code, out, _ = run(capsys, *args, "query", "study-sample")
    assert code == 0 and "Beta Corp" in out
    path = mini / "graph/organization/beta-corp.ttl"
    path.write_text(path.read_text().replace('"Beta Corp"@en', '"Beta Corporation"@en'))
    code, out, err = run(capsys, *args, "query", "study-sample")
    assert code == 0 and "Beta Corporation" in out and "warning" not in err


def test_a_file_that_no_longer_parses_leaves_the_answer_stale_and_says_so(capsys, args, mini):
    run(capsys, *args, "build")
    path = mini / "graph/organization/beta-corp.ttl"
    path.write_text(path.read_text().replace('"Beta Corp"@en', '"Beta Corporation"@en') + "\nthis is not turtle\n")
    code, out, err = run(capsys, *args, "query", "study-sample")
    assert code == 0 and "Beta Corp" in out and "Beta Corporation" not in out
    assert "warning: answering from the store as last built: 1 changed file(s) do not parse (graph/organization/beta-corp.ttl:" in err


def test_every_reading_command_follows_the_files(mini, store_dir, tmp_path):
    atlas = Atlas.open(mini, store_dir)
    atlas.build()
    path = mini / "graph/organization/beta-corp.ttl"
    path.write_text(path.read_text().replace('"Beta Corp"@en', '"Beta Corporation"@en'))
    result = atlas.export(tmp_path / "export", ["nt"])
    assert '"Beta Corporation"@en' in (tmp_path / "export" / "atlas.nt").read_text()
    path.write_text(path.read_text().replace('"Beta Corporation"@en', '"Beta Three"@en'))
    _, analysis = atlas.network(tmp_path / "network")
    assert "Beta Three" in [o.label for o in analysis.organisations]
    path.write_text(path.read_text().replace('"Beta Three"@en', '"Beta Four"@en'))
    assert [h.label for h in atlas.search("beta four")][:1] == ["Beta Four"]
    atlas.close()
    assert result.triples > 0


# -- output folders ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["report", "network"])
def test_out_onto_a_file_or_under_one_is_a_usage_error(capsys, args, tmp_path, command):
    existing = tmp_path / "existing.md"
    existing.write_text("keep me")
    for out in (existing, existing / "sub", tmp_path / "figures.svg"):
        code, _, err = run(capsys, *args, command, "--out", str(out))
        assert code == 2 and err.startswith("llm-atlas: error: ") and "Traceback" not in err, err
    assert existing.read_text() == "keep me" and not (tmp_path / "figures.svg").exists()


def test_network_run_inside_graph_writes_into_the_checkout_not_the_current_folder(capsys, args, mini, monkeypatch):
    monkeypatch.chdir(mini / "graph")
    code, _, err = run(capsys, *args, "network")
    assert code == 0
    assert (mini / "report" / "network" / "collaboration.svg").is_file()
    assert not (mini / "graph" / "report").exists()
