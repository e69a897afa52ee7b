"""Shared fixtures: the real graph and the small fixture graph, each built once per session, and throwaway
checkouts for the tests that change files.

- ``real_atlas`` and ``mini_atlas`` are built once for the whole session and only read.
- ``mini_built`` is a built checkout (``atlas/``, ``store/``, the manifest) never opened after its build:
  :func:`copy_built` gives a test its own copy, store included, instead of building again.
- ``mini`` is a fresh checkout of the fixture graph with no store, for tests of building itself.

Tests that need ``../shared`` or Chromium call :func:`require`: without them they skip on a developer's
machine and fail in CI (where the environment variable ``CI`` is set), since CI has both.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from llm_atlas.namespaces import PREFIXES

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
MINI_GRAPH = FIXTURES / "mini" / "graph"
SHARED = ROOT.parent / "shared"
IN_CI = bool(os.environ.get("CI"))


def require(available: bool, what: str) -> None:
    """Skip without ``what`` on a developer's machine; fail in CI, which must have it."""
    if not available:
        if IN_CI:
            pytest.fail(f"{what} is missing, and CI must have it")
        pytest.skip(f"{what} is missing")


def copy_built(template: Path, dest: Path) -> tuple[Path, Path]:
    """A private copy of a built checkout (from ``mini_built``): (checkout, store)."""
    shutil.copytree(template, dest, symlinks=True)
    return dest / "atlas", dest / "store"


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


OSAI_INDEX = FIXTURES / "osai" / "index"  # a snapshot, named "osai/index" under the snapshots folder FIXTURES


def make_import_checkout(dest: Path) -> Path:
    """The small fixture graph with the fixture index imported: imports/osai-index.trig recorded in imports/MANIFEST.json.

    The snapshots folder is ``FIXTURES``: a check regenerates the import from ``FIXTURES / "osai/index"``.
    """
    from llm_atlas import Atlas

    checkout = make_checkout(dest)
    overlay(checkout, FIXTURES / "osai" / "layer")
    shutil.copyfile(ROOT / "graph/source/osai-index.ttl", checkout / "graph/source/osai-index.ttl")
    Atlas.open(checkout, dest.parent / "import-store").import_osai(OSAI_INDEX, snapshots=FIXTURES)
    return checkout


IMPORTED = Path(__file__).resolve().parent / "goldens" / "importers"  # what the importers write for the fixture catalogue


def make_disagreement_checkout(dest: Path) -> Path:
    """The ecosystem fixture (the mini graph, the importers' overlay and the fixture catalogue's imports of every
    importer) with curated contradictions and resolutions (fixtures/disagreements/): open and resolved
    disagreements of both forms, differing statements and contradicted claims."""
    checkout = make_checkout(dest)
    overlay(checkout, FIXTURES / "importers" / "overlay")
    overlay(checkout, FIXTURES / "disagreements")
    (checkout / "imports").mkdir(exist_ok=True)
    for name in ("hf-hub", "open-llm-leaderboard", "mot", "helm"):
        shutil.copyfile(IMPORTED / f"{name}.trig", checkout / "imports" / f"{name}.trig")
    return checkout


@pytest.fixture(scope="session")
def real_atlas(tmp_path_factory):
    """The atlas of this checkout, built once for the whole session. Read it; never change it."""
    from llm_atlas import Atlas

    atlas = Atlas.open(ROOT, tmp_path_factory.mktemp("real") / "store")
    atlas.build()
    yield atlas
    atlas.close()


@pytest.fixture(scope="session")
def mini_built(tmp_path_factory) -> Path:
    """A folder with the small fixture graph checked out (atlas/) and built (store/), built once; copy it."""
    from llm_atlas import Atlas

    base = tmp_path_factory.mktemp("mini-built")
    atlas = Atlas.open(make_checkout(base / "atlas"), base / "store")
    atlas.build()
    atlas.close()
    return base


@pytest.fixture(scope="session")
def mini_atlas(mini_built, tmp_path_factory):
    """The small fixture graph, built once for the whole session (a copy of mini_built). Read it; never change it."""
    from llm_atlas import Atlas

    root, store = copy_built(mini_built, tmp_path_factory.mktemp("mini") / "copy")
    atlas = Atlas.open(root, store)
    yield atlas
    atlas.close()


@pytest.fixture
def built_mini(mini_built, tmp_path):
    """A private built copy of the fixture graph: an Atlas whose files and store a test may change."""
    from llm_atlas import Atlas

    root, store = copy_built(mini_built, tmp_path / "built")
    atlas = Atlas.open(root, store)
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


def ask(store, query: str) -> list[tuple]:
    """The rows of a query over the union of a store's graphs, with the atlas's prefixes, as sorted tuples of strings."""
    rows = store.query(query, prefixes=PREFIXES, use_default_graph_as_union=True)
    return sorted(tuple(str(t) if t is not None else None for t in row) for row in rows)


def short(term: str) -> str:
    """The last segment of an IRI as a string ("<.../model/alpha-7b>" -> "alpha-7b")."""
    return term.strip("<>").rsplit("/", 1)[-1]
