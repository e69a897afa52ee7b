"""Commands that neither draw nor analyse load none of the heavy libraries (the start-up time is measured in
benchmarks/bench_startup.py; this only checks what is imported)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "networkx", "rdflib", "pyshacl", "pylode", "SPARQLWrapper", "yaml", "pandas", "tqdm")

PROBE = """
import json, sys
from llm_atlas.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exited:
    code = exited.code
print(json.dumps({"code": code}), file=sys.stderr)
print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})), file=sys.stderr)
"""


def loaded_by(*argv: str, code: int = 0) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *argv], capture_output=True, text=True, check=False)
    lines = done.stderr.strip().splitlines()
    assert json.loads(lines[-2])["code"] == code, done.stderr  # the command ran as it should before anything is judged
    return set(json.loads(lines[-1]))


@pytest.mark.parametrize("argv, code", [(["--help"], 0), (["query", "--help"], 0), (["frobnicate"], 2)])
def test_help_and_usage_errors_load_no_job(argv, code):
    loaded = loaded_by(*argv, code=code)
    assert not loaded & set(HEAVY) and "pyoxigraph" not in loaded


def test_query_and_search_load_no_heavy_library(built_mini):
    for command in (["query", "study-sample"], ["search", "alpha"], ["queries"]):
        loaded = loaded_by("--root", str(built_mini.root), "--store", str(built_mini.store_dir), *command)
        assert "llm_atlas" in loaded and not loaded & set(HEAVY), (command, loaded & set(HEAVY))
