"""The synthetic checkout generator of benchmarks/generate.py: valid, deterministic, of the size asked.

A generated checkout of the ontology plus ~1,500 triples of graph/ must build and validate with no problem
at all; change_files must keep it so; break_files must make validation report exactly the rule ids it
announces, at the files it names.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

from llm_atlas import Atlas

from .conftest import ROOT


def _load_generator():
    spec = importlib.util.spec_from_file_location("atlas_benchmark_generate", ROOT / "benchmarks" / "generate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gen = _load_generator()
# the ontology is most of a small checkout (3,516 triples with the licence-rule table), so the target is the
# ontology's size plus a small graph/: a fixed number falls below the ontology as it grows, and cannot be met
TARGET = gen.count_triples(ROOT, ("ontology",)) + 1500


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted((root / "graph").rglob("*")) if p.is_file()}


def _validate(checkout: Path, store: Path):
    atlas = Atlas.open(checkout, store)
    try:
        return atlas.validate()
    finally:
        atlas.close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("generated") / "atlas"
    return out, gen.generate(out, TARGET, seed=1)


def _copy(generated, tmp_path: Path) -> Path:
    checkout = tmp_path / "atlas"
    shutil.copytree(generated[0], checkout)
    return checkout


def test_size_and_every_kind(generated, tmp_path):
    out, counts = generated
    assert abs(counts["triples"] - TARGET) <= 0.2 * TARGET, counts
    assert counts["triples"] == counts["graph_triples"] + counts["ontology_triples"]
    kinds = {path.name for path in (ROOT / "graph").iterdir() if path.is_dir()}
    assert set(counts["entities"]) == kinds and all(n >= 1 for n in counts["entities"].values()), counts
    assert counts["files"] == len(list((out / "graph").glob("*/*.ttl")))
    atlas = Atlas.open(out, tmp_path / "store")
    try:
        assert atlas.build().triples == counts["triples"]
    finally:
        atlas.close()


def test_valid(generated, tmp_path):
    report = _validate(generated[0], tmp_path / "store")
    assert report.problems == [], "\n".join(p.as_text() for p in report.problems[:20])


def test_same_seed_same_bytes(generated, tmp_path):
    again = tmp_path / "again"
    counts = gen.generate(again, TARGET, seed=1)
    assert counts["entities"] == generated[1]["entities"]
    assert _files(again) == _files(generated[0])
    other = tmp_path / "other"
    gen.generate(other, TARGET, seed=2)
    assert _files(other) != _files(generated[0])


def test_change_files_keeps_it_valid(generated, tmp_path):
    checkout = _copy(generated, tmp_path)
    before = _files(checkout)
    changed = gen.change_files(checkout, 6, seed=3)
    assert len(changed) == 6 == len(set(changed))
    after = _files(checkout)
    assert sorted(rel for rel in after if after[rel] != before[rel]) == sorted(changed)
    report = _validate(checkout, tmp_path / "store")
    assert report.problems == [], "\n".join(p.as_text() for p in report.problems)


def test_break_files_reports_the_expected_rules(generated, tmp_path):
    checkout = _copy(generated, tmp_path)
    broken = gen.break_files(checkout, len(gen.BREAKS), seed=4)
    assert {rule for _, rule in broken} == set(gen.BREAKS)
    assert len({path for path, _ in broken}) == len(broken)
    report = _validate(checkout, tmp_path / "store")
    assert all(p.severity == "error" for p in report.problems)
    assert sorted({(p.path, p.rule) for p in report.problems}) == broken, "\n".join(p.as_text() for p in report.problems)


def test_cli(tmp_path, capsys):
    gen.main([str(tmp_path / "cli"), "--triples", "2500", "--seed", "5"])
    out = capsys.readouterr().out
    assert "triples" in out and "files" in out
    assert (tmp_path / "cli" / "graph" / "source" / "slides.ttl").is_file()
    assert (tmp_path / "cli" / "queries").is_dir()
