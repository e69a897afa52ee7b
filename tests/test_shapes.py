"""Every SHACL rule has a conforming and a violating fixture; the violating one gives the rule's id and message.

A case is a folder ``fixtures/shapes/<rule-id>/`` (``/`` in a rule id written ``--``) with ``ok/`` and
``bad/`` layers, each overlaid on the small valid fixture graph (see conftest.overlay).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import rdflib

from llm_atlas import Atlas
from llm_atlas.rules import shacl_rules

from .conftest import FIXTURES, ROOT, make_checkout, overlay

CASES_DIR = FIXTURES / "shapes"


def shapes_graph() -> rdflib.Graph:
    return rdflib.Graph().parse(ROOT / "ontology" / "shapes.ttl", format="turtle")


def rules_and_messages() -> dict[str, str]:
    """Rule id -> the contributor message of every constraint in the shapes."""
    return {rule: message for rule, (_, _, message) in shacl_rules(shapes_graph()).items()}


RULES = rules_and_messages()
CASES = sorted(p.name.replace("--", "/") for p in CASES_DIR.iterdir() if p.is_dir()) if CASES_DIR.is_dir() else []


def case_dir(rule: str) -> Path:
    return CASES_DIR / rule.replace("/", "--")


def validate_with(tmp_path: Path, layer: Path):
    checkout = make_checkout(tmp_path / "atlas")
    written = overlay(checkout, layer)
    atlas = Atlas.open(checkout, tmp_path / "store")
    try:
        return atlas.validate(), written
    finally:
        atlas.close()


def test_every_rule_has_a_case():
    missing = sorted(set(RULES) - set(CASES))
    assert not missing, f"shapes without fixtures in tests/fixtures/shapes/: {missing}"


def test_every_case_names_a_rule():
    unknown = sorted(set(CASES) - set(RULES))
    assert not unknown, f"fixture folders for rules that do not exist: {unknown}"


@pytest.mark.parametrize("rule", sorted(RULES))
def test_conforming_fixture(rule, tmp_path):
    report, _ = validate_with(tmp_path, case_dir(rule) / "ok")
    assert report.problems == [], "\n".join(p.as_text() for p in report.problems)


@pytest.mark.parametrize("rule", sorted(RULES))
def test_violating_fixture(rule, tmp_path):
    report, written = validate_with(tmp_path, case_dir(rule) / "bad")
    hits = [p for p in report.problems if p.rule == rule]
    assert hits, f"expected [{rule}]; got:\n" + "\n".join(p.as_text() for p in report.problems)
    expected = RULES[rule].split("{")[0].strip()
    assert any(p.message.startswith(expected) for p in hits), [p.message for p in hits]
    # the result points at a line of a file the case wrote (where the contributor has to look)
    assert any(p.path in written and p.line > 0 for p in hits), [p.as_text() for p in hits]


def test_evidence_domain_matches_a_host_as_the_listed_names_say(tmp_path):
    """shape:evidence-domain looks the host's last two to six labels up in the list: the same links are warned
    about as comparing every host with every listed name (equal, or ending in "." and the name) would warn about."""
    hosts = ["example.org", "deep.a.b.c.d.e.f.example.org", "EXAMPLE.ORG:8080", "notexample.org", "example.org.elsewhere.net",
             "sub.aiwiki.ai", "huggingface.co", "www.huggingface.co", "localhost", "a..example.org"]
    links = [f"https://{host}/page" for host in hosts] + ["mailto:someone@example.org"]
    layer = tmp_path / "layer"
    (layer / "graph" / "model").mkdir(parents=True)
    source = (case_dir("evidence-domain") / "ok" / "graph" / "model" / "gamma-7b.ttl").read_text()
    (layer / "graph" / "model" / "gamma-7b.ttl").write_text(
        source.replace("atlas:evidence <https://example.org/gamma> .", "atlas:evidence " + ", ".join(f"<{link}>" for link in links) + " ."))
    report, _ = validate_with(tmp_path, layer)
    warned = {link for link in links if any(p.rule == "evidence-domain" and link in p.message for p in report.problems)}

    listed = rdflib.Graph().parse(ROOT / "ontology" / "vocabularies" / "evidence-domain.ttl", format="turtle")
    atlas = rdflib.Namespace("https://w3id.org/llm-atlas/ontology/")
    aggregator = rdflib.URIRef("https://w3id.org/llm-atlas/ontology/evidence-domain/aggregator")
    names = {str(name) for domain, name in listed.subject_objects(atlas.domainName) if listed.value(domain, atlas.domainClass) != aggregator}

    def on_a_listed_domain(link: str) -> bool:
        host = link.split("://", 1)[1].split("/")[0].split(":")[0].lower() if "://" in link else link.lower()
        return any(host == name or host.endswith("." + name) for name in names)

    assert warned == {link for link in links if not on_a_listed_domain(link)}
    assert "https://deep.a.b.c.d.e.f.example.org/page" not in warned and "https://notexample.org/page" in warned


def test_an_evidence_domain_of_more_than_six_labels_is_refused(tmp_path):
    """The evidence-domain shape looks up at most six labels, so the list may not name a longer host."""
    layer = tmp_path / "layer"
    target = layer / "ontology" / "vocabularies" / "evidence-domain-fixture.ttl"
    target.parent.mkdir(parents=True)
    ok = (case_dir("evidence-domain-entry/domainName") / "ok" / "ontology" / "vocabularies" / "evidence-domain-fixture.ttl").read_text()
    target.write_text(ok.replace('"example.net"', '"a.b.c.d.e.example.net"'))
    report, _ = validate_with(tmp_path, layer)
    assert [p.rule for p in report.problems] == ["evidence-domain-entry/domainName"]
