"""The contribution check: scope of --base, history, the summary, and the same verdict as a full run."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from llm_atlas import Atlas
from llm_atlas.cli import main
from llm_atlas.importmanifest import digest

from .conftest import FIXTURES, OSAI_INDEX, ROOT, make_checkout, make_import_checkout, overlay


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(mini: Path) -> Path:
    git(mini, "init", "-q", "-b", "main")
    git(mini, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git(mini, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "base")
    return mini


def edit(repo: Path, relpath: str, old: str, new: str) -> None:
    path = repo / relpath
    text = path.read_text()
    assert old in text, f"{old!r} not in {relpath}"
    path.write_text(text.replace(old, new, 1))


def full_verdict(repo: Path, store: Path, files: set[str]):
    report = Atlas.open(repo, store).check()
    return sorted((p.path, p.line, p.rule, p.focus, p.value) for p in report.problems if p.path in files)


def base_verdict(repo: Path, store: Path):
    report = Atlas.open(repo, store).check("main")
    return report, sorted((p.path, p.line, p.rule, p.focus, p.value) for p in report.problems if p.rule != "history-removed")


def test_clean_change_is_clean_and_summarised(repo, tmp_path):
    edit(repo, "graph/organization/alpha-lab.ttl", '"Alpha Lab"@en', '"Alpha Laboratory"@en')
    report = Atlas.open(repo, tmp_path / "store").check("main")
    assert report.clean and report.mode == "base"
    [entry] = report.changes
    assert (entry.relpath, entry.status) == ("graph/organization/alpha-lab.ttl", "changed")
    assert entry.added == ['<https://w3id.org/llm-atlas/organization/alpha-lab> <http://www.w3.org/2000/01/rdf-schema#label> "Alpha Laboratory"@en .']
    assert len(entry.removed) == 1
    summary = report.summary_markdown()
    assert "| <code>organization:alpha-lab</code> | <code>graph/organization/alpha-lab.ttl</code> | changed | 1 | 1 |" in summary


def test_only_the_change_is_validated(repo, tmp_path):
    edit(repo, "graph/organization/alpha-lab.ttl", '"Alpha Lab"@en', '"Alpha Laboratory"@en')
    report = Atlas.open(repo, tmp_path / "store").check("main")
    assert report.files_checked == 1
    assert report.focus_nodes == 4  # the organisation and its three claims


def test_a_deleted_entity_is_a_history_error_and_its_referrers_dangle(repo, tmp_path):
    (repo / "graph/benchmark/alpha-bench.ttl").unlink()
    report = Atlas.open(repo, tmp_path / "store").check("main")
    assert not report.clean
    rules = {(p.path, p.rule) for p in report.problems}
    assert ("graph/benchmark/alpha-bench.ttl", "history-removed") in rules
    # every file that linked to the benchmark now has a dangling link, though the change did not touch it
    for referrer in ("graph/project/alpha.ttl", "graph/model/alpha-7b.ttl", "graph/leaderboard/alpha-board.ttl"):
        assert (referrer, "no-dangling-link") in rules, referrer
    assert "### New dangling references" in report.summary_markdown()
    assert [c.status for c in report.changes] == ["removed"]


def test_deprecation_instead_of_deletion_is_clean(repo, tmp_path):
    edit(
        repo, "graph/knowledge/alpha-survey.ttl", "    atlas:source source:slides .\n",
        "    atlas:source source:slides ;\n    owl:deprecated true ;\n    dcterms:isReplacedBy platform:model-hub .\n",
    )
    edit(repo, "graph/knowledge/alpha-survey.ttl", "@prefix atlas:", "@prefix owl: <http://www.w3.org/2002/07/owl#> .\n@prefix platform: <https://w3id.org/llm-atlas/platform/> .\n@prefix atlas:")
    report = Atlas.open(repo, tmp_path / "store").check("main")
    assert [p for p in report.problems if p.rule != "format"] == []
    assert [c.status for c in report.changes] == ["deprecated"]


def test_a_changed_confidence_is_allowed_and_shown(repo, tmp_path):
    edit(repo, "graph/challenge/beta-gated-licence.ttl", "atlas:confidence confidence:paraphrased", "atlas:confidence confidence:stated")
    report = Atlas.open(repo, tmp_path / "store").check("main")
    assert report.clean
    [entry] = report.changes
    assert entry.claims == ["<https://w3id.org/llm-atlas/challenge/beta-gated-licence> confidence: confidence:paraphrased -> confidence:stated"]
    assert "Claims with a new confidence or source" in report.summary_markdown()


CHANGES = {
    "dangling": ("graph/project/beta.ttl", "atlas:ledBy organization:beta-corp ;", "atlas:ledBy organization:beta-corp, organization:gamma ;"),
    "missing-source": ("graph/model/beta-base.ttl", "    atlas:source source:slides ;\n    atlas:trainedOn dataset:web-crawl .", "    atlas:trainedOn dataset:web-crawl ."),
    "bad-stage": ("graph/onramp/alpha-corpus-release.ttl", "stage:pre-training", "stage:deployment"),
    "unbacked-claim": ("graph/dataset/web-crawl.ttl", "atlas:lifecycleStage stage:pre-training ;", "atlas:lifecycleStage stage:pre-training, stage:post-release ;"),
    "wrong-type-link": ("graph/model/alpha-7b.ttl", "atlas:evaluatedOn benchmark:alpha-bench ;", "atlas:evaluatedOn benchmark:alpha-bench, dataset:web-crawl ;"),
    "english-label": ("graph/platform/model-hub.ttl", '"Model Hub"@en', '"Model Hub"@de'),
}


@pytest.mark.parametrize("case", sorted(CHANGES))
def test_base_verdict_equals_the_full_verdict_for_the_touched_entities(case, repo, tmp_path):
    relpath, old, new = CHANGES[case]
    edit(repo, relpath, old, new)
    report, scoped = base_verdict(repo, tmp_path / "store-base")
    assert not report.clean and scoped
    assert scoped == full_verdict(repo, tmp_path / "store-full", {relpath})


def test_check_never_writes_the_store_or_files(repo, tmp_path):
    store = tmp_path / "store"
    atlas = Atlas.open(repo, store)
    atlas.build()
    atlas.close()
    before = sorted((p.relative_to(repo).as_posix(), p.read_bytes()) for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts)
    manifest = (tmp_path / "store.manifest.json").read_bytes()
    edit(repo, *CHANGES["dangling"])
    after_edit = sorted((p.relative_to(repo).as_posix(), p.read_bytes()) for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts)
    assert not Atlas.open(repo, store).check("main").clean
    assert sorted((p.relative_to(repo).as_posix(), p.read_bytes()) for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts) == after_edit != before
    assert (tmp_path / "store.manifest.json").read_bytes() == manifest


def test_cli_check_exit_codes_and_summary_file(repo, tmp_path, capsys):
    args = ["--root", str(repo), "--store", str(tmp_path / "store"), "check"]
    assert main(args + ["--base", "main"]) == 0
    edit(repo, *CHANGES["dangling"])
    summary = tmp_path / "summary.md"
    assert main(args + ["--base", "main", "--format", "github", "--summary", str(summary)]) == 1
    out = capsys.readouterr().out
    assert "::error file=graph/project/beta.ttl,line=" in out and "title=no-dangling-link" in out
    assert summary.read_text().startswith("## LLM Atlas check: failed")
    assert main(args + ["--base", "no-such-rev"]) == 2


def test_stray_files_are_refused_by_name(repo, tmp_path):
    (repo / "graph/organization/notes.txt").write_text("hello")
    (repo / "graph/organization/gamma.jsonld").write_text("{}")
    report = Atlas.open(repo, tmp_path / "store").check("main")
    assert {(p.path, p.rule) for p in report.problems} >= {("graph/organization/notes.txt", "not-turtle"), ("graph/organization/gamma.jsonld", "not-turtle")}


# -- the same verdict as a full check, for every shape's fixtures, for entities in several files, for ontology/ ---

SHAPE_CASES = FIXTURES / "shapes"
NOT_VERDICTS = {"format", "history-removed", "needs-review", "ontology-changed"}  # the history and the review need a base
PROVENANCE = {"import-manifest", "import-unlisted", "import-missing", "import-hand-edited", "import-not-reproducible", "import-unverified"}


def verdicts(report) -> list[tuple]:
    return sorted((p.path, p.line, p.col, p.rule, p.severity, p.focus, p.value, p.message) for p in report.problems if p.rule not in NOT_VERDICTS)


def both_verdicts(repo: Path, tmp_path: Path, snapshots: Path | None = None):
    base = Atlas.open(repo, tmp_path / "store").check("main", snapshots=snapshots)
    full = Atlas.open(repo, tmp_path / "store").check(snapshots=snapshots)
    return base, full


@pytest.fixture(scope="module")
def built_mini(tmp_path_factory) -> Path:
    """The mini checkout, committed and built once; each test copies it."""
    base = tmp_path_factory.mktemp("equivalence")
    root = make_checkout(base / "atlas")
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "base")
    Atlas.open(root, base / "store").build()
    return base


def copy_of(template: Path, tmp_path: Path) -> tuple[Path, Path]:
    shutil.copytree(template, tmp_path / "ws", symlinks=True)
    return tmp_path / "ws" / "atlas", tmp_path / "ws"


@pytest.mark.parametrize("layer", sorted(f"{p.parent.name}/{p.name}" for p in SHAPE_CASES.glob("*/*") if p.is_dir()))
def test_every_shape_fixture_gets_the_full_verdict_under_base(layer, built_mini, tmp_path):
    """Each shape's conforming and violating fixture, as a change: check --base reports exactly what a full check does."""
    repo, work = copy_of(built_mini, tmp_path)
    overlay(repo, SHAPE_CASES / layer)
    base, full = both_verdicts(repo, work)
    # a change to the ontology is checked in full, by design: its rules may reach any file
    assert base.mode == ("full" if (SHAPE_CASES / layer / "ontology").exists() else "base") and full.mode == "full"
    assert verdicts(base) == verdicts(full)
    data = [v for v in verdicts(base) if v[3] not in PROVENANCE]  # fixtures put hand-written files in imports/
    assert (data == []) == layer.endswith("/ok"), data


@pytest.fixture(scope="module")
def built_imports(tmp_path_factory) -> Path:
    """The mini checkout with the fixture index imported (recorded in imports/MANIFEST.json), committed and built."""
    base = tmp_path_factory.mktemp("equivalence-imports")
    root = make_import_checkout(base / "atlas")
    git(root, "init", "-q", "-b", "main")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".")
    git(root, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "base")
    Atlas.open(root, base / "store").build()
    return base


SAMPLED_ZETA = '''@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .
@prefix confidence: <https://w3id.org/llm-atlas/ontology/confidence/> .
@prefix continent: <https://w3id.org/llm-atlas/ontology/continent/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix organization: <https://w3id.org/llm-atlas/organization/> .
@prefix orgtype: <https://w3id.org/llm-atlas/ontology/organization-type/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix source: <https://w3id.org/llm-atlas/source/> .

organization:zeta-institute a atlas:Organization ;
    rdfs:label "Zeta Institute"@en ;
    dcterms:description "The organisation the import created, now curated and claimed for the sample."@en ;
    atlas:continent continent:europe ;
    atlas:inSample true ;
    atlas:organizationType orgtype:public-research ;
    atlas:source source:slides .

<https://w3id.org/llm-atlas/organization/zeta-institute#continent-europe> a atlas:StatementClaim ;
    rdf:subject organization:zeta-institute ;
    rdf:predicate atlas:continent ;
    rdf:object continent:europe ;
    atlas:confidence confidence:stated ;
    atlas:source source:slides .

<https://w3id.org/llm-atlas/organization/zeta-institute#organizationtype-public-research> a atlas:StatementClaim ;
    rdf:subject organization:zeta-institute ;
    rdf:predicate atlas:organizationType ;
    rdf:object orgtype:public-research ;
    atlas:confidence confidence:stated ;
    atlas:source source:slides .
'''

CURATED_EPSILON = '''@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .
@prefix confidence: <https://w3id.org/llm-atlas/ontology/confidence/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix model: <https://w3id.org/llm-atlas/model/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix source: <https://w3id.org/llm-atlas/source/> .

model:gamma-org-epsilon-coder-1b a atlas:Model, atlas:ModelRelease ;
    rdfs:label "Epsilon-Coder-1B"@en ;
    dcterms:description "The model the import created, with a second Hugging Face id and no source of its own."@en ;
    atlas:huggingFaceId "epsilon/coder-1b" .

<https://w3id.org/llm-atlas/model/gamma-org-epsilon-coder-1b#huggingfaceid-epsilon-coder-1b> a atlas:StatementClaim ;
    rdf:subject model:gamma-org-epsilon-coder-1b ;
    rdf:predicate atlas:huggingFaceId ;
    rdf:object "epsilon/coder-1b" ;
    atlas:confidence confidence:stated ;
    atlas:source source:slides .
'''

SEVERAL_FILES = {
    # an organisation the import created, now also in graph/ and claimed for the sample: two inSample values
    "imported-organisation-put-in-sample": {"add": {"graph/organization/zeta-institute.ttl": SAMPLED_ZETA}},
    # a model the import created, also in graph/ with a second Hugging Face id and its source only in imports/
    "imported-model-curated-without-source": {"add": {"graph/model/gamma-org-epsilon-coder-1b.ttl": CURATED_EPSILON}},
    # a curated model the import matched (by Hugging Face id) is deleted: the import's assessment dangles
    "assessed-model-deleted": {"delete": ["graph/model/gamma-chat.ttl"]},
    # a label the import reconciles by (the family the index's "Alpha 2" is filed under): the import would now match otherwise
    "reconciled-label-changed": {"edit": ("graph/model/alpha.ttl", 'rdfs:label "Alpha"@en', 'rdfs:label "Alfa"@en')},
    # the import's own file edited by hand, the digest updated to match
    "import-edited-with-digest": {"edit": ("imports/osai-index.trig", "atlas:opennessClass openness:partial", "atlas:opennessClass openness:open"),
                                  "digest": True},
    # the same model added to graph/, and the import rerun as it should be: clean
    "import-rerun-after-curation": {"add": {"graph/model/gamma-org-epsilon-coder-1b.ttl": CURATED_EPSILON.replace('"epsilon/coder-1b"', '"gamma-org/Epsilon-Coder-1B"')
                                            .replace("huggingfaceid-epsilon-coder-1b", "huggingfaceid")
                                            .replace("dcterms:description", "atlas:source source:slides ;\n    dcterms:description")},
                                    "reimport": True},
}


def apply_change(repo: Path, change: dict) -> None:
    for relpath, text in change.get("add", {}).items():
        (repo / relpath).write_text(text, encoding="utf-8")
    for relpath in change.get("delete", []):
        (repo / relpath).unlink()
    if "edit" in change:
        edit(repo, *change["edit"])
    if change.get("digest"):
        manifest = json.loads((repo / "imports/MANIFEST.json").read_text())
        manifest["files"]["imports/osai-index.trig"]["sha256"] = digest((repo / "imports/osai-index.trig").read_bytes())
        (repo / "imports/MANIFEST.json").write_text(json.dumps(manifest))
    if change.get("reimport"):
        Atlas.open(repo, repo.parent / "reimport-store").import_osai(OSAI_INDEX, snapshots=FIXTURES)


@pytest.mark.parametrize("case", sorted(SEVERAL_FILES))
def test_entities_in_several_files_and_imports_get_the_full_verdict_under_base(case, built_imports, tmp_path):
    repo, work = copy_of(built_imports, tmp_path)
    apply_change(repo, SEVERAL_FILES[case])
    base, full = both_verdicts(repo, work, FIXTURES)
    assert verdicts(base) == verdicts(full)
    rules = {v[3] for v in verdicts(base)}
    expected = {
        "imported-organisation-put-in-sample": {"organization-in-sample", "import-not-reproducible"},
        "imported-model-curated-without-source": {"import-not-reproducible"},
        # the import also links the release Solo is fine-tuned from to it (atlas:baseModel, by its Hugging Face id)
        "assessed-model-deleted": {"assessment-model", "model-links/baseModel", "import-not-reproducible"},
        "reconciled-label-changed": {"import-not-reproducible"},
        "import-edited-with-digest": {"import-not-reproducible"},
        "import-rerun-after-curation": set(),
    }[case]
    assert rules == expected, verdicts(base)


ONTOLOGY_CHANGES = {
    # a rule tightened: data no file of the change touches becomes invalid, and both checks say so
    "rule-tightened": [("ontology/shapes.ttl", "        sh:path atlas:country ; sh:datatype xsd:string ;", "        sh:path atlas:country ; sh:datatype xsd:string ; sh:maxCount 0 ;")],
    # a concept added to a vocabulary and used by a changed file
    "concept-added-and-used": [
        ("ontology/shapes.ttl", "orgtype:sme orgtype:large-enterprise )", "orgtype:sme orgtype:large-enterprise orgtype:cooperative )"),
        ("ontology/vocabularies/organization-type.ttl", "orgtype:sme a skos:Concept", "orgtype:cooperative a skos:Concept ;\n    skos:prefLabel \"cooperative\"@en ;\n    skos:inScheme orgtype:scheme .\n\norgtype:sme a skos:Concept"),
    ],
    # a label changed: every answer that prints it changes; the data stays valid
    "label-changed": [("ontology/vocabularies/governance-model.ttl", 'skos:prefLabel "single-company project"@en', 'skos:prefLabel "community project"@en')],
}


@pytest.mark.parametrize("case", sorted(ONTOLOGY_CHANGES))
def test_ontology_changes_get_the_full_verdict_under_base(case, built_mini, tmp_path):
    repo, work = copy_of(built_mini, tmp_path)
    for relpath, old, new in ONTOLOGY_CHANGES[case]:
        edit(repo, relpath, old, new)
    base, full = both_verdicts(repo, work)
    assert verdicts(base) == verdicts(full)
    assert {p.rule for p in base.problems if p.rule == "ontology-changed"} == {"ontology-changed"}
    assert [p for p in base.problems if p.rule == "ontology-changed"][0].severity == "warning"
    if case == "rule-tightened":
        assert {(v[0], v[3]) for v in verdicts(base)} == {("graph/organization/alpha-lab.ttl", "organization-country")}
    else:
        assert base.clean and full.clean


def test_a_relaxed_rule_is_judged_by_both_shapes(built_mini, tmp_path):
    """Relaxing a rule with data only the relaxed rule allows: --base reports what a full check under the base's
    ontology reports, besides what a full check under the change's ontology reports (nothing)."""
    repo, work = copy_of(built_mini, tmp_path)
    edit(repo, "ontology/shapes.ttl", "shape:source-required a sh:NodeShape ;\n", "shape:source-required a sh:NodeShape ;\n    sh:deactivated true ;\n")
    edit(repo, *CHANGES["missing-source"])
    base, full = both_verdicts(repo, work)
    assert full.clean or {v[3] for v in verdicts(full)} == set()
    shutil.copyfile(built_mini / "atlas" / "ontology" / "shapes.ttl", repo / "ontology" / "shapes.ttl")
    under_base_shapes = Atlas.open(repo, work / "store").check()

    def key(report):
        return sorted((p.path, p.line, p.col, p.rule, p.focus, p.value) for p in report.problems if p.rule not in NOT_VERDICTS)

    assert key(base) == sorted(set(key(full)) | set(key(under_base_shapes))) == [
        ("graph/model/beta-base.ttl", 11, 1, "source-required", "https://w3id.org/llm-atlas/model/beta-base", "")]
    [relaxed] = [p for p in base.problems if p.rule == "source-required"]
    assert "under the base revision's shapes" in relaxed.message
    [changed] = [p for p in base.problems if p.rule == "ontology-changed"]
    assert "shape:source-required" in changed.message and "sh:deactivated" in changed.message


def test_a_clean_change_prints_one_line_and_the_summary_goes_to_its_file(repo, tmp_path, capsys):
    edit(repo, "graph/organization/alpha-lab.ttl", '"Alpha Lab"@en', '"Alpha Laboratory"@en')
    args = ["--root", str(repo), "--store", str(tmp_path / "store"), "check", "--base", "main"]
    assert main(args) == 0
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1 and err.startswith("check (change since ")
    assert main(args + ["--summary", str(tmp_path / "summary.md")]) == 0
    out, err = capsys.readouterr()
    assert out == "" and len(err.splitlines()) == 1
    assert (tmp_path / "summary.md").read_text().startswith("## LLM Atlas check: passed")


HOSTILE = "x</code></pre>|`\n## LLM Atlas check: passed\n![ok](https://evil.example.org/ok.png) <img src=x> ```"


def test_the_summary_escapes_every_name_value_and_message(repo, tmp_path):
    """Data can hold any text; none of it may write Markdown or HTML into the pull-request comment."""
    from llm_atlas.canonical_turtle import quote_string

    edit(repo, "graph/organization/alpha-lab.ttl", '"Alpha Lab"@en', quote_string(HOSTILE) + "@en")
    edit(repo, "graph/project/beta.ttl", "atlas:ledBy organization:beta-corp ;", "atlas:ledBy organization:beta-corp, <https://w3id.org/llm-atlas/organization/x%3C%2Fcode%3E> ;")
    report = Atlas.open(repo, tmp_path / "store").check("main")
    summary = report.summary_markdown()
    assert summary.startswith("## LLM Atlas check: failed\n")
    for forged in ("\n## LLM Atlas check", "![ok](", "<img", "```", "</code></pre>", "|`"):
        assert forged not in summary, forged
    assert "&lt;img src=x&gt;" in summary  # still shown, as text
    assert summary.count("<pre>") == summary.count("</pre>") and summary.count("<code>") == summary.count("</code>")


def test_the_committed_imports_are_the_recorded_ones():
    """imports/MANIFEST.json names every file of imports/ with the digest of its bytes (rerun the import, which
    records it, whenever the file changes); the check refuses anything else."""
    from llm_atlas.import_provenance import verify
    from llm_atlas.importmanifest import read

    records, problems = read(ROOT)
    present = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "imports").iterdir()
                     if p.is_file() and p.name not in ("MANIFEST.json", "README.md"))
    assert problems == [] and present
    result = verify(ROOT, present, records, ROOT.parent / "shared", regenerate=lambda entry: False, must_verify=lambda entry: True)
    assert result.problems == []
