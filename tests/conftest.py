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


def overlay(checkout: Path, layer: Path, skip: frozenset[str] = frozenset()) -> list[str]:
    """Copy the files of ``layer`` over the checkout; a file named DELETE lists paths to remove.

    Files named in ``skip`` (layer-relative) are not copied. Returns the relative paths written.
    """
    written = []
    for path in sorted(layer.rglob("*")):
        if path.is_dir():
            continue
        rel = path.relative_to(layer).as_posix()
        if rel in skip:
            continue
        if rel == "DELETE":
            for line in path.read_text(encoding="utf-8").split():
                (checkout / line).unlink()
            continue
        target = checkout / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        written.append(rel)
    return written


@pytest.fixture(scope="session")
def real_atlas(tmp_path_factory):
    """The atlas of this checkout, built once for the whole session. Read it; never change it."""
    from llm_atlas import Atlas

    atlas = Atlas.open(ROOT, tmp_path_factory.mktemp("real") / "store")
    atlas.build()
    yield atlas
    atlas.close()


@pytest.fixture(scope="session")
def mini_atlas(tmp_path_factory):
    """The small fixture graph, checked out and built once for the whole session. Read it; never change it."""
    from llm_atlas import Atlas

    base = tmp_path_factory.mktemp("mini")
    atlas = Atlas.open(make_checkout(base / "atlas"), base / "store")
    atlas.build()
    yield atlas
    atlas.close()


@pytest.fixture
def mini(tmp_path: Path) -> Path:
    """A fresh checkout with the small fixture graph (valid as it stands)."""
    return make_checkout(tmp_path / "atlas")


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


def pytest_addoption(parser):
    parser.addoption(
        "--update-goldens",
        action="store_true",
        default=False,
        help="rewrite golden files from the current output instead of comparing (review the diff before committing)",
    )


@pytest.fixture
def update_goldens(request) -> bool:
    return bool(request.config.getoption("--update-goldens"))


def check_golden(path: Path, actual: str, update: bool) -> None:
    """Compare ``actual`` with the golden file at ``path`` (or rewrite it with --update-goldens)."""
    if update or not path.exists():
        if not update:
            pytest.fail(f"golden file {path} is missing: run pytest --update-goldens and review it")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"output differs from {path}; if the change is intended, run pytest --update-goldens and review the diff"
