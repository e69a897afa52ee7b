"""The contribution check: scope of --base, history, the summary, and the same verdict as a full run."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from llm_atlas import Atlas
from llm_atlas.cli import main


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
