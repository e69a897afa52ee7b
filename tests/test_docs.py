"""The documents say what the code does: the claim properties, the commands, the exit codes."""

from __future__ import annotations

import re

import pyoxigraph as ox

from llm_atlas.cli import COMMANDS
from llm_atlas.namespaces import curie

from .conftest import ROOT


def test_the_data_model_lists_every_claim_property_of_the_ontology():
    ontology = ox.Store()
    ontology.load(path=ROOT / "ontology" / "atlas.ttl", format=ox.RdfFormat.TURTLE)
    claim_properties = {curie(r["p"].value) for r in ontology.query(
        "SELECT ?p WHERE { ?p a <https://w3id.org/llm-atlas/ontology/ClaimProperty> }")}
    doc = (ROOT / "docs" / "data-model.md").read_text(encoding="utf-8")
    table = doc[doc.index("### The claim properties"):doc.index("## External identifiers")]
    listed = set(re.findall(r"^\| `([a-z]+:[A-Za-z]+)` \|", table, re.MULTILINE))
    assert listed == claim_properties, f"docs/data-model.md: missing {sorted(claim_properties - listed)}, extra {sorted(listed - claim_properties)}"


def test_the_readme_shows_every_command_and_the_exit_codes():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in COMMANDS:
        assert re.search(rf"^llm-atlas {command.name}\b", readme, re.MULTILINE), f"README.md does not show `llm-atlas {command.name}`"
    assert "`0` success" in readme and "`1`" in readme and "`2` usage or input error" in readme


def test_the_tutorial_questions_are_saved_queries():
    tutorial = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    mistyped = set(re.findall(r"llm-atlas query ([a-z0-9][a-z0-9-]*)` answers \"did you mean", tutorial))
    assert mistyped == {"stdy-sample"}  # the one name it gets wrong on purpose, to show the suggestion
    named = set(re.findall(r"llm-atlas query ([a-z0-9][a-z0-9-]*)", tutorial)) - mistyped
    assert {"sample-by-governance", "established-datasets", "collaboration-by-stage"} <= named
    for name in named:
        assert (ROOT / "queries" / f"{name}.rq").is_file(), name
