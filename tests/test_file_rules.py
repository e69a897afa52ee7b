"""Every rule checked in Python that a file alone can break has a passing and a failing fixture, like the shapes.

A case is a folder ``fixtures/rules/<rule-id>/`` with ``ok/`` and ``bad/`` layers overlaid on the small valid
fixture graph; ``check`` (the whole checkout) must report the rule for ``bad/``, at a line and column of a file
the layer wrote, and nothing at all (formatting aside) for ``ok/``, whose files are the near misses: text in
other scripts, a tilde in an IRI, RDF 1.2 markers inside a string, SERVICE in a comment.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.layout import display_name
from llm_atlas.rules import PYTHON_RULES

from .conftest import FIXTURES, make_checkout, overlay

CASES_DIR = FIXTURES / "rules"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir())
# the rules a single file can break; the others need git history, a store or a snapshot (tests/test_check.py,
# tests/test_bad_input.py)
FILE_RULES = {"file-name", "rdf12-syntax", "invisible-character", "unicode-nfc", "language-tag", "iri-scheme", "ontology-scope",
              "sparql-service", "sparql-dataset", "sparql-update", "query-header", "entity-path"}


def check_with(tmp_path: Path, layer: Path):
    checkout = make_checkout(tmp_path / "atlas")
    written = overlay(checkout, layer)
    atlas = Atlas.open(checkout, tmp_path / "store")
    try:
        return atlas.check(), [display_name(p) for p in written]
    finally:
        atlas.close()


def test_every_file_rule_has_a_case():
    assert FILE_RULES <= set(CASES) <= set(PYTHON_RULES)


@pytest.mark.parametrize("rule", CASES)
def test_conforming_fixture(rule, tmp_path):
    report, _ = check_with(tmp_path, CASES_DIR / rule / "ok")
    assert [p.as_text() for p in report.problems if p.rule != "format"] == []


@pytest.mark.parametrize("rule", CASES)
def test_violating_fixture(rule, tmp_path):
    report, written = check_with(tmp_path, CASES_DIR / rule / "bad")
    hits = [p for p in report.problems if p.rule == rule]
    assert hits, "\n".join(p.as_text() for p in report.problems)
    assert all(p.severity == "error" and p.message for p in hits)
    assert any(p.path in written and p.line >= 1 and p.col >= 1 for p in hits), [p.as_text() for p in hits]


@pytest.mark.parametrize("literal,rule", [
    ('"Meta\\u200BAI"', "invisible-character"),  # a zero-width space, written as an escape in ASCII text
    ('"Meta\\U0000202EAI"', "invisible-character"),
    ('"back\\bspace"', "invisible-character"),
    ('"form\\ffeed"', "invisible-character"),
    ('"cafe\\u0301"', "unicode-nfc"),  # e and a combining accent, in ASCII text
    ('"tab\\tand\\nnewline"', None),
])
def test_escapes_in_ascii_text_are_read_as_the_characters_they_stand_for(literal, rule):
    """A file of plain ASCII skips the per-term character checks (terms.plain_text), except where an escape could
    decode to a character they refuse."""
    from llm_atlas.terms import term_problems

    text = f'<https://w3id.org/llm-atlas/organization/x> <http://www.w3.org/2000/01/rdf-schema#label> {literal} .\n'
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(input=text.encode(), format=ox.RdfFormat.TURTLE)]
    assert [p.rule for p in term_problems("graph/organization/x.ttl", quads, text)] == ([rule] if rule else [])


def test_a_plain_file_still_has_its_schemes_and_language_tags_checked():
    from llm_atlas.terms import term_problems

    text = ('<https://w3id.org/llm-atlas/organization/x> <https://w3id.org/llm-atlas/ontology/homepage> <ftp://example.org/> ;\n'
            '    <https://w3id.org/llm-atlas/ontology/language> "english"^^<http://www.w3.org/2001/XMLSchema#language> .\n')
    quads = [ox.Quad(t.subject, t.predicate, t.object) for t in ox.parse(input=text.encode(), format=ox.RdfFormat.TURTLE)]
    assert sorted(p.rule for p in term_problems("graph/organization/x.ttl", quads, text)) == ["iri-scheme", "language-tag"]
