"""The engine runs SPARQL-based constraints in pyoxigraph; it must give exactly what pySHACL alone gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_atlas.layout import SHAPES_FILE, source_files
from llm_atlas.loader import load_file
from llm_atlas.rdfbridge import graph_from_triples
from llm_atlas.shacl import Locator, shacl_problems, split_shapes, subject_files

from .conftest import FIXTURES, ROOT, make_checkout, overlay


def problems_both_ways(root: Path, focus=None):
    by_file = {}
    for source in source_files(root):
        loaded = load_file(source)
        if loaded.ok:
            by_file[source.relpath] = loaded.quads
    shapes = graph_from_triples(by_file.pop(SHAPES_FILE))
    triples = [q for quads in by_file.values() for q in quads]
    locator = Locator(root, subject_files(by_file))

    def key(problems):
        return sorted((p.path, p.line, p.rule, p.severity, p.focus, p.value, p.predicate, p.message) for p in problems)

    fast = key(shacl_problems(triples, shapes, locator, focus))
    slow = key(shacl_problems(triples, shapes, locator, focus, accelerate=False))
    return fast, slow


def test_every_sparql_constraint_of_the_shapes_is_accelerated():
    import rdflib
    from rdflib.namespace import SH

    shapes = rdflib.Graph().parse(ROOT / SHAPES_FILE, format="turtle")
    _, constraints = split_shapes(shapes)
    assert len(constraints) == len(list(shapes.objects(None, SH.sparql)))


def batches_of_disjoint_cases() -> list[list[Path]]:
    """The violating fixture layers, grouped so that no two layers of a group write the same file."""
    batches: list[tuple[set[str], list[Path]]] = []
    for case in sorted((FIXTURES / "shapes").iterdir()):
        layer = case / "bad"
        files = {p.relative_to(layer).as_posix() for p in layer.rglob("*") if p.is_file()}
        if "DELETE" in files:
            files |= set((layer / "DELETE").read_text().split())
        for taken, members in batches:
            if not taken & files:
                taken |= files
                members.append(layer)
                break
        else:
            batches.append((set(files), [layer]))
    return [members for _, members in batches]


BATCHES = batches_of_disjoint_cases()


@pytest.mark.parametrize("batch", range(len(BATCHES)))
def test_same_results_on_the_violating_fixtures(batch, tmp_path):
    checkout = make_checkout(tmp_path / "atlas")
    for layer in BATCHES[batch]:
        overlay(checkout, layer)
    fast, slow = problems_both_ways(checkout)
    assert fast, "a batch of violating fixtures gave no problem at all"
    assert fast == slow


def test_same_results_with_focus_nodes(tmp_path):
    checkout = make_checkout(tmp_path / "atlas")
    for case in sorted((FIXTURES / "shapes").iterdir())[::2]:
        if (case / "bad").is_dir():
            overlay(checkout, case / "bad")
    focus = {"https://w3id.org/llm-atlas/project/alpha", "https://w3id.org/llm-atlas/organization/beta-corp"}
    fast, slow = problems_both_ways(checkout, focus)
    assert fast == slow


@pytest.mark.slow
def test_same_results_on_the_real_graph():
    fast, slow = problems_both_ways(ROOT)
    assert fast == slow
