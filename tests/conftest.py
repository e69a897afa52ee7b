"""Shared fixtures: throwaway atlas checkouts built from the real ontology and small fixture graphs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI_GRAPH = FIXTURES / "mini" / "graph"
SHARED = ROOT.parent / "shared"


def make_checkout(dest: Path, graph: Path = MINI_GRAPH) -> Path:
    """A checkout at ``dest``: the real ontology/ and queries/, and the given graph/ folder."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "ontology", dest / "ontology")
    shutil.copytree(ROOT / "queries", dest / "queries")
    shutil.copytree(graph, dest / "graph")
    return dest


def overlay(checkout: Path, layer: Path) -> list[str]:
    """Copy the files of ``layer`` over the checkout; a file named DELETE lists paths to remove.

    Returns the relative paths written.
    """
    written = []
    for path in sorted(layer.rglob("*")):
        if path.is_dir():
            continue
        rel = path.relative_to(layer).as_posix()
        if rel == "DELETE":
            for line in path.read_text(encoding="utf-8").split():
                (checkout / line).unlink()
            continue
        target = checkout / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        written.append(rel)
    return written


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A fresh checkout with the small fixture graph (valid as it stands)."""
    return make_checkout(tmp_path / "atlas")


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"
