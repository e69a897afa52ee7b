"""The pull-request check as CI runs it: the base revision's checker decides, and nothing of the pull request runs.

.ci/check-pr is run here as the workflow runs it (from a checkout of the base revision, over the pull request's
tree), with the interpreter of the tests instead of a fresh install, so that nothing is downloaded.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import MINI_GRAPH, ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "check.yml"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
                          check=True, capture_output=True, text=True)
    return done.stdout.strip()


def test_the_workflow_runs_the_base_checker_over_the_pull_request_as_data():
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads the key `on` as true
    assert set(triggers) == {"pull_request_target"}  # the workflow file itself is the base branch's
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write"}
    steps = workflow["jobs"]["check"]["steps"]
    checkouts = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    base, pr = checkouts
    assert base["with"]["ref"] == "${{ github.event.pull_request.base.sha }}" and base["with"]["path"] == "base"
    assert pr["with"]["path"] == "pr" and pr["with"]["persist-credentials"] is False and pr["with"]["submodules"] is False
    assert pr["with"]["ref"] == "refs/pull/${{ github.event.pull_request.number }}/merge"
    runs = "\n".join(s.get("run", "") for s in steps)
    assert 'bash base/.ci/check-pr "$BASE_SHA" pr' in runs
    # nothing from the pull request's checkout is installed, imported or executed
    for line in runs.splitlines():
        command = line.strip()
        assert "pr/" not in command and not re.match(r"(llm-atlas|pip|python3?|bash pr|\./)", command), command


@pytest.fixture
def pull_request(tmp_path) -> tuple[Path, Path, str]:
    """(base checkout, pull-request tree, base sha): a repository with the project's code and the mini graph, and
    a pull request that rewrites the checker to pass everything, adds data only that cheat would pass, and drops
    a canary that any run of its code would write."""
    repo = tmp_path / "repo"
    repo.mkdir()
    for folder in ("src", "ontology", "queries", ".ci"):
        shutil.copytree(ROOT / folder, repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(MINI_GRAPH, repo / "graph")
    shutil.copyfile(ROOT / "pyproject.toml", repo / "pyproject.toml")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "base")
    base_sha = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-q", "-b", "pr")
    canary = tmp_path / "canary"
    cheat = f'import pathlib\npathlib.Path({str(canary)!r}).write_text("ran")\n\ndef check(*args, **kwargs):\n    raise SystemExit(0)\n'
    (repo / "src/llm_atlas/check.py").write_text(cheat, encoding="utf-8")
    (repo / ".ci/check-pr").write_text(f"#!/usr/bin/env bash\necho ran > {canary}\nexit 0\n", encoding="utf-8")
    beta = repo / "graph/model/beta-base.ttl"
    beta.write_text(beta.read_text().replace("    atlas:source source:slides ;\n    atlas:trainedOn", "    atlas:trainedOn"), encoding="utf-8")
    git(repo, "commit", "-q", "-am", "a cheat and data only it passes")
    base = tmp_path / "base"
    git(repo, "worktree", "add", "-q", "--detach", str(base), base_sha)
    return base, repo, base_sha


def run_check_pr(checker: Path, tree: Path, base_sha: str, out: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, CHECK_PR_PYTHON=sys.executable)
    env.pop("LLM_ATLAS_STORE", None)
    return subprocess.run(["bash", str(checker / ".ci/check-pr"), base_sha, str(tree), str(out)], env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_base_revision_decides_and_the_pull_request_does_not_run(pull_request, tmp_path):
    base, tree, base_sha = pull_request
    done = run_check_pr(base, tree, base_sha, tmp_path / "out")
    assert done.returncode == 1, done.stderr
    assert (tmp_path / "out/status").read_text().strip() == "1"
    assert "title=source-required" in done.stdout and "file=graph/model/beta-base.ttl" in done.stdout
    summary = (tmp_path / "out/summary.md").read_text()
    assert summary.startswith("## LLM Atlas check: failed")
    assert "<code>src/llm_atlas/check.py</code>" in summary and "<code>.ci/check-pr</code>" in summary
    assert "needs-review" in done.stdout
    assert not (tmp_path / "canary").exists()  # neither the cheat's module nor its script ran


def test_the_script_refuses_to_run_from_anything_but_the_base(pull_request, tmp_path):
    base, tree, base_sha = pull_request
    done = run_check_pr(tree, tree, base_sha, tmp_path / "elsewhere")  # the pull request's own copy of the script
    assert done.returncode == 0 and (tmp_path / "canary").exists()  # what a workflow must never do: it runs the cheat
    (tmp_path / "canary").unlink()
    pr_sha = git(tree, "rev-parse", "HEAD")
    done = run_check_pr(base, tree, pr_sha, tmp_path / "out")
    assert done.returncode == 2 and "not at" in done.stderr
    assert not (tmp_path / "canary").exists()
