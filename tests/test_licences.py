"""Licence obligations along lineage: the rule table, the saved query and `llm-atlas licences`.

The fixture atlas is the mini graph, the licences of the ScanCode index that the fixture uses (the real
importer, filtered to them), a small Hub catalogue (tests/fixtures/licences/hub) with one release per case and
curated files for what the Hub does not say (a dataset made from an ODbL dataset, a release distilled from a
Gemma-licensed teacher). Each case is named in the expectations below, so a golden can only be regenerated
to something these tests still accept.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.cli import main
from llm_atlas.errors import InvalidData, UsageError
from llm_atlas.importers import REGISTRY, import_source
from llm_atlas.importers.base import Record
from llm_atlas.importers.licences import UNIDENTIFIED, LicencesImporter, licence_for_key, licence_index, resolve
from llm_atlas.importers.run import run_import
from llm_atlas.licences import CSV_COLUMNS, FILES
from llm_atlas.obligations import VERDICT

from .conftest import FIXTURES, ROOT, check_golden, make_checkout, overlay

GOLDENS = Path(__file__).resolve().parent / "goldens" / "licences"
HUB = FIXTURES / "licences" / "hub"
ONTOLOGY = "https://w3id.org/llm-atlas/ontology/"
MODEL = "https://w3id.org/llm-atlas/model/"
DATASET = "https://w3id.org/llm-atlas/dataset/"
FIXTURE_LICENCES = {"apache-2.0", "mit", "cc-by-4.0", "cc-by-nc-4.0", "cc-by-sa-4.0", "odbl-1.0", "llama-3.1-license-2024",
                    "llama-3.2-license-2024", "gemma-tou-2024-04-01"}


class _FixtureLicences(LicencesImporter):
    """The ScanCode licence import, limited to the licences the fixture catalogue uses."""

    def records(self, path):
        for item in super().records(path):
            if not isinstance(item, Record) or item.key in FIXTURE_LICENCES:
                yield item


def build_fixture(dest: Path) -> Path:
    checkout = make_checkout(dest)
    overlay(checkout, FIXTURES / "importers" / "overlay")  # the graph/source/ files of the importers
    overlay(checkout, FIXTURES / "licences" / "overlay")
    run_import(_FixtureLicences(), checkout, checkout, REGISTRY, version="fixture")
    report = import_source("hf-hub", HUB, checkout, version="fixture")
    assert not report.skipped, report.to_text()
    return checkout


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    return build_fixture(tmp_path_factory.mktemp("licences") / "atlas")


@pytest.fixture(scope="module")
def atlas(checkout, tmp_path_factory):
    with Atlas.open(checkout, tmp_path_factory.mktemp("licences-store") / "store") as opened:
        opened.build()
        yield opened


@pytest.fixture(scope="module")
def written(atlas, tmp_path_factory):
    out = tmp_path_factory.mktemp("licences-out") / "licences"
    return atlas.licences(out), out


def column(result, name: str) -> list[str]:
    index = result.variables.index(name)
    return [row[index].value if row[index] is not None else "" for row in result.rows]


def verdicts(result) -> set[tuple[str, str, str]]:
    """(derivative, base, verdict) as slugs and verdict names, for readable expectations."""
    def slug(iri: str) -> str:
        return iri.rsplit("/", 1)[-1]

    return set(zip(map(slug, column(result, "derivativeIri")), map(slug, column(result, "baseIri")), map(slug, column(result, "verdictIri"))))


# -- the fixture is valid data, and the saved query gives the expected verdict for each case --------------------


def test_the_fixture_atlas_is_valid(checkout, tmp_path):
    with Atlas.open(checkout, tmp_path / "store") as fresh:
        report = fresh.validate()
    assert report.conforms, "\n".join(p.as_text() for p in report.problems)


def test_saved_query_matches_its_golden(atlas, update_goldens):
    check_golden(GOLDENS / "licence-obligations.tsv", atlas.query("licence-obligations").render("tsv"), update_goldens)


CASES = {
    # a Llama 3.1 fine-tune under Apache-2.0 loosens the agreement that flows down (section 1.b.i)
    ("a-llama-ft-apache", "meta-llama-fixture-8b", "conflict"),
    ("b-llama-ft-keeps", "meta-llama-fixture-8b", "carries-terms"),
    # a quantisation that states no licence
    ("b-llama-ft-keeps-gguf", "b-llama-ft-keeps", "not-assessable"),
    # the obligation reaches through a release whose licence no source states
    ("c-llama-ft-unlicensed-awq", "meta-llama-fixture-8b", "conflict"),
    ("c-llama-ft-unlicensed", "meta-llama-fixture-8b", "not-assessable"),
    # another version of the same family: the rule cannot say, a person must
    ("d-llama-ft-32", "meta-llama-fixture-8b", "needs-review"),
    # the Hub's "llama3", which the installed ScanCode index does not know, read through atlas:sourceSpelling
    ("e-llama3-ft-mit", "meta-llama3-fixture", "conflict"),
    # a merge carries both parents' terms, and the Llama terms through a parent that relicensed them
    ("h-gemma-llama-merge", "g-gemma-fixture-2b", "conflict"),
    ("h-gemma-llama-merge", "meta-llama-fixture-8b", "conflict"),
    ("h-gemma-llama-merge", "a-llama-ft-apache", "carries-terms"),
    # non-commercial flows down (an adapter under the same licence keeps it)
    ("n-nc-ft-mit", "n-nc-base", "conflict"),
    ("n-nc-ft-nc", "n-nc-base", "carries-terms"),
    # a permissive base lets derivatives add restrictions
    ("p-apache-ft-nc", "p-apache-base", "may-change"),
    ("p-apache-ft-apache", "p-apache-base", "carries-terms"),
    # training on data is unsettled: needs review, never conflict
    ("t-trained-on-sa", "corp-sa-wiki", "needs-review"),
    ("t-trained-on-nc", "corp-nc-chat", "carries-terms"),
    # a dataset made from an ODbL database, under CC BY 4.0 (section 4.4)
    ("street-extract", "street-map", "conflict"),
    # distillation from a Gemma teacher makes a Model Derivative (section 1.1(e))
    ("gemma-student", "g-gemma-fixture-2b", "conflict"),
}


def test_every_case_gets_its_verdict(atlas):
    found = verdicts(atlas.query("licence-obligations"))
    assert CASES <= found, sorted(CASES - found)


def test_conflicts_are_exactly_the_cases_that_loosen_terms(atlas):
    conflicts = {(d, b) for d, b, v in verdicts(atlas.query("licence-obligations")) if v == "conflict"}
    assert conflicts == {(d, b) for d, b, v in CASES if v == "conflict"} | {("c-llama-ft-unlicensed-awq", "meta-llama-fixture-8b")}


def test_training_on_data_is_never_a_conflict(atlas):
    result = atlas.query("licence-obligations")
    trained = [v for d, v in zip(column(result, "derivationIri"), column(result, "verdictIri")) if d.endswith("/training-data")]
    assert VERDICT + "needs-review" in trained and VERDICT + "conflict" not in trained


def test_the_query_reads_only_the_rule_table(atlas, checkout, tmp_path):
    """Change one rule's verdict in the data and the answer changes with it: no verdict is written in code."""
    rules = checkout / "ontology/vocabularies/license-rule.ttl"
    text = rules.read_text(encoding="utf-8")
    start = text.index("licenserule:cc-by-nc-4-0-adaptations ")
    end = text.index(" .\n", start)
    changed = text[:start] + text[start:end].replace("verdict:conflict", "verdict:needs-review") + text[end:]
    copy = make_checkout(tmp_path / "copy", checkout / "graph")
    (copy / "imports").mkdir()
    for path in (checkout / "imports").iterdir():
        (copy / "imports" / path.name).write_bytes(path.read_bytes())
    (copy / "ontology/vocabularies/license-rule.ttl").write_text(changed, encoding="utf-8")
    with Atlas.open(copy, tmp_path / "store") as other:
        found = verdicts(other.query("licence-obligations"))
    assert ("n-nc-ft-mit", "n-nc-base", "needs-review") in found and ("n-nc-ft-mit", "n-nc-base", "conflict") not in found


# -- the job: nearest base, paths, evidence, figures ----------------------------------------------------------------


def test_the_nearest_base_answers_for_the_licence(written):
    report, _ = written
    pairs = {(o.derivative.rsplit("/", 1)[-1], o.base.rsplit("/", 1)[-1]) for o in report.assessment.obligations}
    # b/llama-ft-keeps carries Llama 3.1: its GGUF is listed against it, not again against Llama-Fixture-8B
    assert ("b-llama-ft-keeps-gguf", "b-llama-ft-keeps") in pairs
    assert ("b-llama-ft-keeps-gguf", "meta-llama-fixture-8b") not in pairs
    # a/llama-ft-apache does not carry it, so the merge still owes it to Llama-Fixture-8B
    assert ("h-gemma-llama-merge", "meta-llama-fixture-8b") in pairs
    assert report.assessment.rows > len(report.assessment.obligations)


def test_a_conflict_has_its_path_and_the_evidence_of_every_edge(written):
    report, _ = written
    [awq] = [o for o in report.assessment.conflicts() if o.derivative == MODEL + "c-llama-ft-unlicensed-awq"]
    assert [(s.derivative, s.relation, s.base) for s in awq.path] == [
        (MODEL + "c-llama-ft-unlicensed-awq", ONTOLOGY + "quantizedFrom", MODEL + "c-llama-ft-unlicensed"),
        (MODEL + "c-llama-ft-unlicensed", ONTOLOGY + "fineTunedFrom", MODEL + "meta-llama-fixture-8b"),
    ]
    for step in awq.path:
        [evidence] = step.evidence
        assert evidence.source.endswith("/source/hf-hub") and evidence.url.startswith("https://huggingface.co/")
        assert re.fullmatch(r"warehouse/catalog/huggingface/top_models\.csv:\d+", evidence.locator)
    assert awq.derivative_licence == "https://spdx.org/licenses/MIT" and awq.derivative_licence_evidence
    assert awq.base_licence_evidence[0].url == "https://huggingface.co/meta/Llama-Fixture-8B"
    assert awq.rule_source == "https://github.com/meta-llama/llama-models/blob/main/models/llama3_1/LICENSE"
    assert awq.rule_section.startswith("section 1.b.i") and awq.certainty == ONTOLOGY + "rule-certainty/clear"


def test_curated_claims_are_evidence_too(written):
    report, _ = written
    [extract] = [o for o in report.assessment.conflicts() if o.derivative == DATASET + "street-extract"]
    [step] = extract.path
    assert step.relation == ONTOLOGY + "derivedFrom"
    assert [(e.source.rsplit("/", 1)[-1], e.url, e.locator) for e in step.evidence] == [
        ("external", "https://example.org/street-extract/about", "how it was made")]
    assert [e.url for e in extract.base_licence_evidence] == ["https://example.org/street-map/licence"]


def test_figures(written):
    report, _ = written
    figures = dict(report.figures())
    # releases with a conflict: a, c-AWQ, e, h, n-nc-ft-mit, gemma-student (the dataset is counted apart)
    assert figures["releases with a conflict"] == 6
    assert figures["datasets with a conflict"] == 1
    assert figures["releases that need review"] == 2  # d-llama-ft-32 and t-trained-on-sa
    assert figures["releases that inherit terms their licence must carry (share-alike, use restrictions, agreements, non-commercial)"] == 13


def test_the_four_files_are_written_and_golden(written, update_goldens):
    report, out = written
    assert sorted(p.name for p in report.files) == sorted(FILES) and sorted(p.name for p in out.iterdir()) == sorted(FILES)
    check_golden(GOLDENS / "licences.md", (out / "licences.md").read_text(encoding="utf-8"), update_goldens)
    check_golden(GOLDENS / "licence-conflicts.csv", (out / "licence-conflicts.csv").read_text(encoding="utf-8"), update_goldens)


def test_the_csv_lists_every_pair_with_its_evidence(written):
    report, out = written
    rows = list(csv.DictReader(io.StringIO((out / "licence-obligations.csv").read_text(encoding="utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == len(report.assessment.obligations)
    conflicts = list(csv.DictReader(io.StringIO((out / "licence-conflicts.csv").read_text(encoding="utf-8"))))
    assert {r["verdict"] for r in conflicts} == {"conflict"} and len(conflicts) == len(report.assessment.conflicts())
    for row in conflicts:
        assert row["path"] and row["path_evidence"] and row["rule_source"].startswith("https://") and row["base_licence_evidence"]


def test_the_html_stands_alone_and_escapes_labels(written):
    _, out = written
    page = (out / "licences.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<table>" in page and "not legal advice" in page
    assert '<a href="https://ai.google.dev/gemma/terms">' in page


def test_same_atlas_same_bytes(atlas, written, tmp_path):
    _, out = written
    again = tmp_path / "again"
    atlas.licences(again)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == {p.name: p.read_bytes() for p in again.iterdir()}


def test_a_release_page_gets_its_obligations(atlas):
    found = atlas.release_licences("model:h-gemma-llama-merge")
    assert {o.base.rsplit("/", 1)[-1] for o in found.owed} == {"g-gemma-fixture-2b", "meta-llama-fixture-8b", "a-llama-ft-apache", "corp-open-books"}
    base = atlas.release_licences("model:meta-llama-fixture-8b")
    assert {o.derivative.rsplit("/", 1)[-1] for o in base.owed_to} >= {"a-llama-ft-apache", "b-llama-ft-keeps", "b-llama-ft-keeps-gguf"}
    assert atlas.release_licences("model:beta-base").is_empty()


# -- bad input: exit codes and messages --------------------------------------------------------------------------


def test_an_out_that_is_a_file_is_a_usage_error(checkout, tmp_path, capsys):
    target = tmp_path / "licences.md"
    target.write_text("x")
    assert main(["--root", str(checkout), "--store", str(tmp_path / "store"), "licences", "--out", str(target)]) == 2
    assert "is a file" in capsys.readouterr().err


def test_a_folder_in_the_way_writes_nothing(atlas, tmp_path):
    out = tmp_path / "out"
    (out / "licence-conflicts.csv").mkdir(parents=True)
    with pytest.raises(UsageError, match="licence-conflicts.csv is a folder"):
        atlas.licences(out)
    assert sorted(p.name for p in out.iterdir()) == ["licence-conflicts.csv"]


def test_a_broken_rule_is_invalid_data_with_file_and_line(checkout, tmp_path, capsys):
    broken = make_checkout(tmp_path / "broken", checkout / "graph")
    (broken / "imports").mkdir()
    for path in (checkout / "imports").iterdir():
        (broken / "imports" / path.name).write_bytes(path.read_bytes())
    overlay(broken, FIXTURES / "shapes" / "license-rule-complete" / "bad")
    code = main(["--root", str(broken), "--store", str(tmp_path / "store"), "licences", "--out", str(tmp_path / "out")])
    captured = capsys.readouterr()
    assert code == 1 and not (tmp_path / "out").exists()
    assert re.search(r"ontology/vocabularies/license-rule-fixture\.ttl:\d+:1: error \[license-rule-complete\]", captured.out)


def test_no_rules_is_invalid_data(checkout, tmp_path):
    bare = make_checkout(tmp_path / "bare", checkout / "graph")
    (bare / "ontology/vocabularies/license-rule.ttl").unlink()
    with Atlas.open(bare, tmp_path / "store") as opened, pytest.raises(InvalidData) as error:
        opened.licences(tmp_path / "out")
    assert [p.rule for p in error.value.problems] == ["license-rules-missing"]


def test_a_missing_saved_query_is_a_usage_error(checkout, tmp_path, capsys):
    bare = make_checkout(tmp_path / "bare", checkout / "graph")
    (bare / "queries/licence-obligations.rq").unlink()
    assert main(["--root", str(bare), "--store", str(tmp_path / "store"), "licences", "--out", str(tmp_path / "out")]) == 2
    assert "licence-obligations" in capsys.readouterr().err


# -- the rule table against the licence index and the query -------------------------------------------------------


def rule_table() -> ox.Store:
    store = ox.Store()
    for path in sorted((ROOT / "ontology").rglob("*.ttl")):
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return store


def objects(store: ox.Store, predicate: str) -> set[str]:
    return {q.object.value for q in store.quads_for_pattern(None, ox.NamedNode(ONTOLOGY + predicate), None, None)}


def test_every_licence_a_rule_names_is_one_the_importers_can_name():
    """A rule about a licence IRI the importers never write would never apply: a typo, or a licence the
    installed ScanCode index does not know, which then needs the spelling sources use (atlas:sourceSpelling)."""
    store = rule_table()
    known = {licence_for_key(key).iri for key, entry in licence_index().items() if not entry.get("is_deprecated")}
    spelled = {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(ONTOLOGY + "sourceSpelling"), None, None)}
    named = objects(store, "appliesToLicense") | objects(store, "satisfiedBy") | objects(store, "reviewWith")
    unknown = sorted(named - known - spelled)
    assert not unknown, f"licences named by rules that no importer writes: {unknown}; fix the IRI or add atlas:sourceSpelling"


def test_spellings_are_only_for_licences_the_importers_cannot_identify():
    """Once the importers resolve a spelling (a newer ScanCode index, an alias), the rules should name the licence
    the importers write, and the spelling should go."""
    store = rule_table()
    known = {licence_for_key(key).iri for key in licence_index()}
    for quad in store.quads_for_pattern(None, ox.NamedNode(ONTOLOGY + "sourceSpelling"), None, None):
        assert quad.subject.value not in known, f"{quad.subject.value} is in the ScanCode index now: drop its atlas:sourceSpelling"
        assert resolve(quad.object.value).iri == UNIDENTIFIED, f"the importers now resolve {quad.object.value!r}: drop the spelling"


def test_the_query_follows_exactly_the_weights_derivations_of_the_vocabulary():
    store = rule_table()
    weights = {q.object.value for q in store.quads_for_pattern(ox.NamedNode(ONTOLOGY + "derivation-kind/weights"),
                                                               ox.NamedNode(ONTOLOGY + "derivationProperty"), None, None)}
    text = (ROOT / "queries/licence-obligations.rq").read_text(encoding="utf-8")
    path = re.search(r"\?derivativeIri \(([^)]*)\)\* \?through", text).group(1)
    assert {ONTOLOGY + name for name in re.findall(r"atlas:(\w+)", path)} == weights


def test_every_rule_cites_a_licence_text_over_https():
    store = rule_table()
    for quad in store.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                        ox.NamedNode(ONTOLOGY + "LicenseRule"), None):
        sources = [q.object.value for q in store.quads_for_pattern(quad.subject, ox.NamedNode("http://purl.org/dc/terms/source"), None, None)]
        assert sources and all(s.startswith("https://") for s in sources), quad.subject.value


# -- the real atlas: invariants ---------------------------------------------------------------------------------


def test_real_atlas_invariants(real_atlas):
    result = real_atlas.query("licence-obligations")
    assert result.variables[:4] == ["verdict", "derivative", "derivation", "base"]
    names = {VERDICT + v for v in ("carries-terms", "may-change", "conflict", "needs-review", "not-assessable")}
    assert set(column(result, "verdictIri")) <= names
    for derivation, verdict in zip(column(result, "derivationIri"), column(result, "verdictIri")):
        assert not (derivation.endswith("/training-data") and verdict == VERDICT + "conflict")
    for derivative, base in zip(column(result, "derivativeIri"), column(result, "baseIri")):
        assert derivative != base
    # the curated graph alone has releases trained on licensed datasets (OLMo on Dolma, SmolLM on FineWeb, ...)
    assert len(result.rows) >= 1
    if (ROOT / "imports" / "hf-hub.trig").is_file():  # with the Hub catalogue imported: Llama and Gemma derivatives
        assert VERDICT + "conflict" in column(result, "verdictIri") and len(result.rows) >= 500


def test_the_rule_table_in_the_docs_is_the_ontology_s(update_goldens):
    from llm_atlas.licences import RULES_BEGIN, RULES_END, rules_markdown

    doc = ROOT / "docs" / "licences.md"
    text = doc.read_text(encoding="utf-8")
    start, end = text.index(RULES_BEGIN) + len(RULES_BEGIN), text.index(RULES_END)
    table = "\n" + rules_markdown(rule_table()) + "\n"
    if update_goldens:
        doc.write_text(text[:start] + table + text[end:], encoding="utf-8")
        return
    assert text[start:end] == table, "docs/licences.md lists other rules than the ontology: run pytest tests/test_licences.py --update-goldens"


def test_the_entity_page_shows_the_release_s_obligations(atlas):
    """The page of a release, as `serve` renders it (the pages read the engine with the saved query narrowed to
    the release): what it owes its bases' licences, and on a base's page which derivatives owe its licence."""
    import asyncio

    from llm_atlas.pages import PageData, Pages

    store = atlas.store

    async def select(text):
        result = store.query(text, use_default_graph_as_union=True)
        names = [v.value for v in result.variables]
        return [{n: solution[n] for n in names} for solution in result]

    async def construct(text):
        return list(store.query(text, use_default_graph_as_union=True))

    pages = Pages(PageData(select, construct), atlas.saved_queries(), timeout=10, max_rows=1000)
    page = asyncio.run(pages.resource(MODEL + "h-gemma-llama-merge"))
    section = page[page.index('<section id="licence-obligations">'):]
    section = section[:section.index("</section>")]
    assert "What it owes the licences it derives from" in section and "conflict" in section
    assert 'href="https://ai.google.dev/gemma/terms"' in section  # the rule, linked to the licence text it rests on
    assert 'href="/model/' in section  # the base, linked to its page
    base = asyncio.run(pages.resource(MODEL + "meta-llama-fixture-8b"))
    assert "Derivatives that owe its licence" in base and 'href="/model/h-gemma-llama-merge"' in base
    assert 'id="licence-obligations"' not in asyncio.run(pages.resource(MODEL + "beta-base"))


# -- the command line and the main report ------------------------------------------------------------------------


def test_the_cli_writes_the_four_files_and_exits_0(checkout, tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["--root", str(checkout), "--store", str(tmp_path / "store"), "licences", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0 and sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert re.search(r"^releases with a conflict +6$", captured.out, re.M)
    assert re.search(r"^  a/llama-ft-apache \[apache-2\.0\] <- meta/Llama-Fixture-8B \[llama-3\.1-license-2024\]  \(Llama 3\.1 ", captured.out, re.M)
    assert captured.out.count("\n  ") == 8 and captured.err.count("wrote ") == 4


def test_a_broken_rule_leaves_an_earlier_report_as_it_was(checkout, tmp_path):
    out = tmp_path / "out"
    with Atlas.open(checkout, tmp_path / "store") as opened:
        opened.licences(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    broken = make_checkout(tmp_path / "broken", checkout / "graph")
    (broken / "imports").mkdir()
    for path in (checkout / "imports").iterdir():
        (broken / "imports" / path.name).write_bytes(path.read_bytes())
    overlay(broken, FIXTURES / "shapes" / "license-rule-complete" / "bad")
    assert main(["--root", str(broken), "--store", str(tmp_path / "store2"), "licences", "--out", str(out)]) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_the_report_has_a_licence_chapter(checkout, tmp_path):
    with Atlas.open(checkout, tmp_path / "store") as opened:
        opened.report(tmp_path / "report")
    markdown = (tmp_path / "report" / "report.md").read_text(encoding="utf-8")
    assert "- [Licence obligations along lineage](#licence-obligations-along-lineage)" in markdown
    chapter = markdown[markdown.index("\n## Licence obligations along lineage\n"):]
    assert "\n## " not in chapter[1:]  # the last chapter
    assert "| releases with a conflict | 6 |" in chapter and "| datasets with a conflict | 1 |" in chapter
    assert "### Conflicts (8)" in chapter and "not legal advice" in chapter
    rows = [line for line in chapter.splitlines() if line.startswith("| ") and "→ *" in line]
    assert len(rows) == 8 and any(r.startswith("| a/llama-ft-apache → *fine-tuned from* meta/Llama-Fixture-8B |") for r in rows)
    assert "Query: `queries/licence-obligations.rq`" in chapter
    page = (tmp_path / "report" / "report.html").read_text(encoding="utf-8")
    assert "Licence obligations along lineage" in page and "https://ai.google.dev/gemma/terms" in page


def test_the_report_chapter_shows_the_first_conflicts_only(written):
    from llm_atlas.licences import report_section

    report, _ = written
    section = report_section(report.assessment, limit=2)
    assert section.startswith("## Licence obligations along lineage\n") and "### Conflicts (8)" in section
    assert "the first 2" in section and len([line for line in section.splitlines() if "→ *" in line]) == 2
