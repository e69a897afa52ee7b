"""Openness under several frameworks from one set of facts: the saved query's goldens on a fixture atlas with
both indexes imported, each verdict path of :mod:`llm_atlas.openness` on hand-made facts, the command and the
release page."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.cli import main
from llm_atlas.errors import UsageError
from llm_atlas.namespaces import ONTOLOGY, RDF
from llm_atlas.openness import (
    DIFFERENT_FACTS,
    MOT,
    OSAI,
    OWN_RULES,
    Fact,
    assess_release,
    mof,
    osai_from,
    osaid,
    RULES_QUERY,
    crosswalk,
    find_query,
    published_query,
    read_facts,
    read_published,
    read_rules,
    release_query,
    store_of,
)

from .conftest import FIXTURES, ROOT, check_golden, make_checkout

GOLDENS = Path(__file__).resolve().parent / "goldens" / "openness"
SNAPSHOTS = FIXTURES / "openness"
C = "https://w3id.org/llm-atlas/ontology/openness-component/"
D = "https://w3id.org/llm-atlas/ontology/openness-dimension/"
WEIGHTS_7B = "https://w3id.org/llm-atlas/model/wlab-weights-7b"


@pytest.fixture(scope="module")
def open_atlas(tmp_path_factory):
    from llm_atlas.importers import import_source

    base = tmp_path_factory.mktemp("openness")
    checkout = make_checkout(base / "atlas")
    for source in ("scancode-licensedb", "mot", "osai-index"):  # the sources' descriptions, as the real graph has them
        shutil.copyfile(ROOT / "graph" / "source" / f"{source}.ttl", checkout / "graph" / "source" / f"{source}.ttl")
    for source, path in (("scancode-licensedb", SNAPSHOTS), ("mot", SNAPSHOTS / "mot"), ("osai-index", SNAPSHOTS / "osai")):
        import_source(source, path, checkout)
    atlas = Atlas.open(checkout, base / "store")
    atlas.build()
    yield atlas
    atlas.close()


@pytest.fixture(scope="module")
def rules(open_atlas):
    return read_rules(open_atlas.store)


def test_component_facts_match_the_golden(open_atlas, update_goldens):
    result = open_atlas.query("openness-components")
    check_golden(GOLDENS / "openness-components.tsv", result.render("tsv"), update_goldens)


def test_the_crosswalk_matches_the_golden(open_atlas, tmp_path, update_goldens):
    written, walk = open_atlas.openness_crosswalk(tmp_path / "out")
    assert sorted(p.name for p in written) == sorted(["openness-crosswalk.md", "openness-crosswalk.html", "openness-crosswalk.csv",
                                                      "openness-mismatches.csv"])
    for name in ("openness-crosswalk.csv", "openness-mismatches.csv"):
        check_golden(GOLDENS / name, (tmp_path / "out" / name).read_text(encoding="utf-8"), update_goldens)
    assert [r.label for r in walk.releases] == ["Open-1B", "Weights-7B"]
    assert walk.mot_only == 1


def test_the_fixture_releases_get_the_expected_verdicts(open_atlas):
    open_1b = open_atlas.openness("openlab-open-1b")
    assert [v.value for v in open_1b.verdicts[MOT][:2]] == ["Class I", "meets"]
    assert not open_1b.mismatches
    weights = open_atlas.openness(WEIGHTS_7B)
    assert weights.verdicts[MOT][0].value == "Class III (conditional)"
    kinds = {(m.framework, m.kind) for m in weights.mismatches}
    assert ("OSAI licences", OWN_RULES) in kinds  # rated open, end model under a Llama licence
    assert ("MOF data card", OWN_RULES) in kinds  # not included, yet a location
    assert ("MOF", DIFFERENT_FACTS) in kinds  # the tool: weights under Apache-2.0 (conditional Class III); the index: a Llama licence
    assert ("OSAI datasheet", DIFFERENT_FACTS) in kinds  # the index: partial; the tool: not included
    assert ("OSAI training code", DIFFERENT_FACTS) not in kinds  # both say published (the licence is another dimension)


def test_an_unknown_release_is_a_usage_error_with_the_nearest_name(open_atlas, capsys):
    with pytest.raises(UsageError, match="did you mean model:wlab-weights-7b"):
        open_atlas.openness("wlab-weights-7c")
    assert main(["--root", str(open_atlas.root), "--store", str(open_atlas.store_dir), "openness", "wlab-weights-7c"]) == 2


def test_the_command_prints_facts_verdicts_and_why(open_atlas, capsys):
    assert main(["--root", str(open_atlas.root), "--store", str(open_atlas.store_dir), "openness", "model:wlab-weights-7b"]) == 0
    out = capsys.readouterr().out
    assert "## Component facts: Model Openness Tool" in out and "## Component facts: European Open Source AI Index" in out
    assert "- MOF: Class III (conditional)" in out and "final model weights under an open licence" in out
    assert "[inconsistent with its own rules]" in out


def test_the_command_wants_a_release_or_the_crosswalk(open_atlas, capsys):
    assert main(["--root", str(open_atlas.root), "--store", str(open_atlas.store_dir), "openness"]) == 2


def test_what_the_pages_read_gives_what_the_store_gives(open_atlas, rules):
    """The pages read the engine, not a store: the saved query bound to one release in its text, the rules and
    the published classes as CONSTRUCTs; each gives what the command reads from the store."""
    store, query = open_atlas.store, find_query(open_atlas.saved_queries())
    bound = release_query(query.text, WEIGHTS_7B)
    assert bound.count(f"VALUES ?releaseIri {{ <{WEIGHTS_7B}> }}") == 2  # the outer group and the judgements' sub-select
    every = [f for f in read_facts(store, query) if f.release == WEIGHTS_7B]
    assert every and sorted(read_facts(store, bound), key=repr) == sorted(every, key=repr)
    assert read_rules(store_of(store.query(RULES_QUERY, use_default_graph_as_union=True))) == rules
    published = read_published(store_of(store.query(published_query(WEIGHTS_7B), use_default_graph_as_union=True)), WEIGHTS_7B)
    assert published and published == read_published(store, WEIGHTS_7B)
    assert [r.iri for r in crosswalk(store, query).releases if r.iri == WEIGHTS_7B]


# -- each verdict path on hand-made facts -------------------------------------------------------------------------


def fact(component, published="yes", status="open", source=MOT, location=""):
    return Fact("urn:r", source, C + component, published, status, "", "", location, "", "", "urn:rec", "urn:node")


def facts(source=MOT, **overrides):
    every = {c: fact(c, source=source) for c in ("model-architecture", "data-preprocessing-code", "training-code", "inference-code",
                                                 "evaluation-code", "model-parameters-final", "model-parameters-intermediate", "datasets",
                                                 "evaluation-data", "model-card", "data-card", "technical-report", "research-paper",
                                                 "evaluation-results")}
    for name, value in overrides.items():
        name = name.replace("_", "-")
        if value is None:
            every.pop(name)
        else:
            every[name] = fact(name, *value, source=source)
    return {C + k: v for k, v in every.items()}


def test_mof_classes_follow_the_required_components(rules):
    assert mof(facts(), rules, strict=True).value == "Class I"
    assert mof(facts(datasets=("no", "")), rules, strict=True).value == "Class II"
    assert mof(facts(evaluation_code=("yes", "not stated")), rules, strict=True).value == "Class III"
    assert mof(facts(model_card=("no", ""), model_parameters_final=("yes", "not open")), rules, strict=True).value == "none"
    conditional = mof(facts(model_card=("no", "")), rules, strict=True)
    assert conditional.value == "Class III (conditional)" and conditional.definite


def test_mof_cannot_tell_when_a_source_does_not_describe_a_required_component(rules):
    assert mof(facts(evaluation_code=None), rules, strict=True).value == "Class III"  # the tool: missing
    higher = mof(facts(evaluation_code=None), rules, strict=False)
    assert higher.value == "Class III or higher" and not higher.definite
    unsure = mof(facts(evaluation_results=None, model_parameters_final=None), rules, strict=False)
    assert unsure.value == "cannot tell" and not unsure.definite


def test_osaid_meets_fails_or_cannot_tell(rules):
    assert osaid(facts(), rules).value == "meets"
    assert osaid(facts(datasets=("no", "")), rules).value == "meets"  # the data card is data information
    failed = osaid(facts(training_code=("yes", "not open")), rules)
    assert failed.value == "does not meet" and any("training code" in w for w in failed.why)
    assert osaid(facts(inference_code=None), rules).value == "cannot tell"
    assert osaid(facts(model_parameters_final=("yes", "not stated")), rules).value == "cannot tell"


def test_osai_classes_from_component_facts(rules):
    classes = {v.framework: v.value for v in osai_from(facts(datasets=("no", ""), training_code=("yes", "not open")), rules)}
    assert classes["OSAI base model training data"] == "closed"
    assert classes["OSAI training code"] == "open"
    assert classes["OSAI licences"] == "partial"


def test_a_published_class_the_other_index_s_facts_do_not_give_is_a_mismatch(rules):
    mot = list(facts(training_code=("no", "")).values())
    osai = [fact("training-code", source=OSAI), fact("model-parameters-final", source=OSAI)]
    published = {D + "training-code": ("open", "urn:j")}
    result = assess_release("urn:r", "R", mot + osai, rules, published)
    assert [(m.framework, m.kind, m.published, m.derived) for m in result.mismatches] == [("OSAI training code", DIFFERENT_FACTS, "open", "partial")]  # preprocessing code published, training code not
    assert result.comparisons["OSAI"] == (0, 1)


# -- the release page ------------------------------------------------------------------------------------------------


def _pages(atlas):
    """The pages as `serve` makes them, reading the fixture's store in place of the engine."""
    from llm_atlas.pages import PageData, Pages

    store = atlas.store
    asked: list[str] = []

    async def select(text):
        asked.append(text)
        result = store.query(text, use_default_graph_as_union=True)
        names = [v.value for v in result.variables]
        return [{n: solution[n] for n in names} for solution in result]

    async def construct(text):
        asked.append(text)
        return list(store.query(text, use_default_graph_as_union=True))

    return Pages(PageData(select, construct), atlas.saved_queries(), timeout=10, max_rows=1000), asked


def _section(page: str, anchor: str) -> str:
    section = page[page.index(f'<section id="{anchor}">'):]
    return section[:section.index("</section>")]


def test_the_release_page_shows_facts_verdicts_and_mismatches(open_atlas):
    import asyncio

    pages, asked = _pages(open_atlas)
    section = _section(asyncio.run(pages.resource(WEIGHTS_7B)), "openness")
    # the component facts per source, with their evidence
    assert section.count('<div class="openness-source">') == 2
    assert ">Model Openness Tool</a>" in section and ">European Open Source AI Index</a>" in section
    assert '<a class="external" href="https://spdx.org/licenses/Apache-2.0"' in section and "<td>licences dimension: open</td>" in section
    assert "final model weights" in section and 'href="https://github.com/' in section and '<a href="/record/osai-index/weights-7b" title="https://w3id.org/llm-atlas/record/osai-index/weights-7b">record</a>' in section
    # each framework's verdict with why
    assert "<th>MOF</th><td>Class III (conditional)</td>" in section and "Class III given conditionally" in section
    assert "<th>OSAID</th>" in section and "<th>OSAI licences</th>" in section
    # the OSAI classes as published and as derived
    assert "OSAI classes: published by the index, derived from the Model Openness Tool's facts" in section
    # the mismatches, each with its kind
    assert "inconsistent with its own rules" in section and "the indexes hold different facts" in section
    # one release's rows only: the saved query was bound to the release, not run over the whole crosswalk
    facts_query = next(q for q in asked if "atlas:hasComponent" in q)
    assert f"VALUES ?releaseIri {{ <{WEIGHTS_7B}> }}" in facts_query
    rules_asked = sum(1 for q in asked if "mofRequired" in q)
    asyncio.run(pages.resource("https://w3id.org/llm-atlas/model/openlab-open-1b"))
    assert sum(1 for q in asked if "mofRequired" in q) == rules_asked == 1  # the rules are read once


def test_a_release_no_index_describes_says_so(open_atlas):
    import asyncio

    pages, _ = _pages(open_atlas)
    one_index = _section(asyncio.run(pages.resource("https://w3id.org/llm-atlas/model/openlab-open-1b")), "openness")
    assert "None: the indexes' facts give the same verdicts." in one_index
    release = next(q.subject.value for q in open_atlas.store.quads_for_pattern(
        None, ox.NamedNode(RDF + "type"), ox.NamedNode(ONTOLOGY + "ModelRelease"), None)
        if not any(f.release == q.subject.value for f in read_facts(open_atlas.store, find_query(open_atlas.saved_queries()))))
    section = _section(asyncio.run(pages.resource(release)), "openness")
    assert "No openness index describes this release's components." in section
    assert "Mismatches" not in section


# -- the report ------------------------------------------------------------------------------------------------------


def test_the_report_has_an_openness_chapter_with_the_crosswalk_s_figures(open_atlas):
    from llm_atlas.report import make_report

    report = make_report(open_atlas.store, open_atlas.saved_queries(), None, figures=False)
    markdown = report.to_markdown()
    assert "- [Openness under several frameworks](#openness-under-several-frameworks)" in markdown
    chapter = markdown[markdown.index("\n## Openness under several frameworks\n"):]
    chapter = chapter[:chapter.index("\n## ", 1)]
    assert "| releases both indexes assess | 2 |" in chapter
    assert "| releases only the Model Openness Tool describes | 1 |" in chapter
    assert "| releases only the European Open Source AI Index describes | 0 |" in chapter
    assert "| MOF class from each index's facts (where both are definite) |" in chapter
    assert "| mismatches: inconsistent with its own rules | 2 |" in chapter
    assert "#### Releases both indexes assess (2)" in chapter
    rows = [line for line in chapter.splitlines() if line.startswith(("| Open-1B |", "| Weights-7B |"))]
    assert len(rows) == 2 and "| Class III (conditional) |" in rows[1]
    assert "`llm-atlas serve`); `llm-atlas openness --crosswalk`" in chapter and "Query: `queries/openness-components.rq`" in chapter
    assert markdown == make_report(open_atlas.store, open_atlas.saved_queries(), None, figures=False).to_markdown()  # deterministic
    assert "releases both indexes assess: 2" in report.to_text()
