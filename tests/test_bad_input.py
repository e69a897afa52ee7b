"""Malformed and hostile contributions: each is refused with the right rule, where it is, and nothing is written.

A case is a folder ``fixtures/bad/<case>/``: the files it adds or replaces, by path from the checkout root
(a file ``DELETE`` lists paths to delete), and ``expected.json``::

    {"rule": "turtle-syntax", "path": "graph/...", "line": 8, "col": 23, "exit": 1,
     "severity": "warning",                      # optional: the rule warns (exit 0), for a reviewer to read
     "template": "imports",                      # optional: the checkout with the fixture index imported
     "edit": [{"path": ..., "old": ..., "new": ...}],   # optional: replace text in a file of the checkout
     "manifest_digest": "imports/osai-index.trig",  # optional: record the edited file's digest in imports/MANIFEST.json
     "git_add": true,                            # optional: stage the case's files (committed, as in a pull request)
     "store": "in-tree",                         # optional: the store is .llm-atlas/store inside the checkout
     "generate": "nesting",                      # optional: the file is made here, not stored
     "full": {...} | "why not",                  # optional: what `check` without --base reports instead
     "validate": {...} | "why not",              # optional: the same for `validate`
     "xfail": "reason" | {"base": "reason"},     # optional: a known, reviewed defect of the tool
     "forbid_output": "text",                    # optional: must not appear in any output
     "absent": ["rule"],                         # optional: rules that must not be reported
     "slow": true}                               # optional

Every case is run through ``check --base main`` on a git checkout of the mini fixture graph (or the imports
template) with a built store, then through ``check`` (whole graph) and ``validate``; each must exit with
``exit`` and report ``rule`` at ``path:line:col`` among its problems (a file may also be out of canonical form:
``format`` problems are allowed alongside). Every problem reported carries a real line and column (1-based).
Afterwards the store holds exactly the quads it held and every file of the checkout is byte for byte what the
case left.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas.cli import main
from llm_atlas.importmanifest import digest
from llm_atlas.store import manifest_path

from .conftest import FIXTURES, copy_built, make_import_checkout, overlay

CASES_DIR = FIXTURES / "bad"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir()) if CASES_DIR.is_dir() else []
GAMMA = "graph/organization/gamma-lab.ttl"
TIME_BUDGET = 20  # seconds for one command on one case; a hostile file must not hold CI hostage
PREFIXES = "@prefix organization: <https://w3id.org/llm-atlas/organization/> .\n@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n"
MODES = ("base", "full", "validate")


def expected_of(case: str) -> dict:
    return json.loads((CASES_DIR / case / "expected.json").read_text(encoding="utf-8"))


# -- files made at test time (too big, or not storable in git) --------------------------------------------------


def _generate(kind: str, root: Path) -> None:
    target = root / GAMMA
    if kind == "nesting":  # 100 000 nested collections: the parser's and every later tool's recursion
        target.write_text(PREFIXES + "organization:gamma-lab rdfs:seeAlso " + "(" * 100_000 + ")" * 100_000 + " .\n", encoding="utf-8")
    elif kind == "oversized":  # one literal just over the 2 MiB limit
        target.write_text(PREFIXES + 'organization:gamma-lab rdfs:comment "' + "x" * (2 * 1024 * 1024) + '"@en .\n', encoding="utf-8")
    elif kind == "long-collection":  # flat (depth 1), so under the nesting bound: 10 000 list nodes
        target.write_text(PREFIXES + "organization:gamma-lab rdfs:seeAlso ( " + "organization:x " * 10_000 + ") .\n", encoding="utf-8")
    elif kind == "broken-symlink":
        target.symlink_to(root / "no-such-file.ttl")
    elif kind == "symlink-outside":  # a file outside the checkout (in CI: anything the runner can read)
        secret = root.parent / "outside.ttl"
        secret.write_text("s3cr3t-t0ken-value is not for the log\n", encoding="utf-8")
        target.symlink_to(secret)
    elif kind == "newline-name":  # a name that would write a heading and an image into the pull-request comment
        (root / NEWLINE_NAME).write_text((CASES_DIR / "file-name-with-newlines" / "content.ttl.txt").read_text(encoding="utf-8"), encoding="utf-8")
    elif kind == "submodule":  # a gitlink (mode 160000) under imports/ and its .gitmodules, as `git submodule add` leaves them
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], check=True, capture_output=True, text=True).stdout.strip()
        (root / "imports" / "vendored").mkdir(parents=True)
        git(root, "update-index", "--add", "--cacheinfo", f"160000,{head},imports/vendored")
        (root / ".gitmodules").write_text('[submodule "imports/vendored"]\n\tpath = imports/vendored\n\turl = https://example.org/x.git\n')
    elif kind == "committed-store":  # the built store and its manifest, doctored with a fact no file states, committed
        shutil.copytree(root.parent / "store", root / ".llm-atlas" / "store")
        shutil.copyfile(manifest_path(root.parent / "store"), manifest_path(root / ".llm-atlas" / "store"))
        store = ox.Store(str(root / ".llm-atlas" / "store"))
        store.add(ox.Quad(ox.NamedNode("https://w3id.org/llm-atlas/project/alpha"), ox.NamedNode("https://w3id.org/llm-atlas/ontology/sponsoredBy"),
                          ox.NamedNode("https://w3id.org/llm-atlas/organization/beta-corp"),
                          ox.NamedNode("https://w3id.org/llm-atlas/file/graph/project/alpha.ttl")))
        store.flush()
        del store
        git(root, "add", "-f", ".llm-atlas")
    else:
        raise AssertionError(f"unknown generator {kind!r}")


NEWLINE_NAME = "graph/organization/gamma-lab\n## LLM Atlas check: passed\n![ok](http:evil.example.org?ok.png).ttl"


def apply_case(case: str, root: Path) -> None:
    """Overlay the case's files on the checkout (expected.json aside), apply its edits and make its generated file."""
    expected = expected_of(case)
    written = overlay(root, CASES_DIR / case, skip=frozenset({"expected.json", "content.ttl.txt"}))
    for edit in expected.get("edit", []):
        path = root / edit["path"]
        text = path.read_text(encoding="utf-8")
        assert edit["old"] in text, f"{case}: {edit['old']!r} is not in {edit['path']}"
        path.write_text(text.replace(edit["old"], edit["new"], 1), encoding="utf-8")
    if expected.get("manifest_digest"):  # the hand edit disguised: the manifest records the edited bytes
        relpath = expected["manifest_digest"]
        manifest = json.loads((root / "imports/MANIFEST.json").read_text(encoding="utf-8"))
        manifest["files"][relpath]["sha256"] = digest((root / relpath).read_bytes())
        (root / "imports/MANIFEST.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    if expected.get("generate"):
        _generate(expected["generate"], root)
    if expected.get("git_add"):
        git(root, "add", "-f", "--", *written)


# -- a built, committed checkout, made once and copied per test ---------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args], check=True, capture_output=True)


class Templates:
    """The committed, built checkouts the cases start from, each made once per module: the mini graph (a copy of
    the session's build) and the mini graph with the fixture index imported."""

    def __init__(self, factory, mini_built: Path):
        self.factory = factory
        self.mini_built = mini_built
        self.made: dict[str, Path] = {}

    def __getitem__(self, name: str) -> Path:
        if name not in self.made:
            base = self.factory.mktemp(f"bad-input-{name}") / "template"
            if name == "imports":
                root = make_import_checkout(base / "atlas")
            else:
                root, _ = copy_built(self.mini_built, base)  # the session's build, not another one
            git(root, "init", "-q", "-b", "main")
            git(root, "add", ".")
            git(root, "commit", "-q", "-m", "base")
            if name == "imports":
                atlas = Atlas.open(root, base / "store")
                atlas.build()
                atlas.close()
            self.made[name] = base
        return self.made[name]


@pytest.fixture(scope="module")
def templates(mini_built, tmp_path_factory) -> Templates:
    return Templates(tmp_path_factory, mini_built)


@pytest.fixture
def workspace(templates: Templates, tmp_path: Path, request) -> tuple[Path, Path]:
    """(checkout, store): a private copy of the case's template, store and manifest included."""
    case = request.node.callspec.params["case"]
    shutil.copytree(templates[expected_of(case).get("template", "mini")], tmp_path / "ws", symlinks=True)
    return tmp_path / "ws" / "atlas", tmp_path / "ws" / "store"


def store_fingerprint(store_dir: Path) -> tuple[list[str], bytes]:
    store = ox.Store.read_only(str(store_dir))
    try:
        quads = sorted(str(q) for q in store)
    finally:
        del store
    return quads, manifest_path(store_dir).read_bytes()


def files_fingerprint(root: Path) -> dict[str, tuple[str, bytes | str]]:
    """Every file of the checkout (not .git/): its bytes, or where it points for a symlink."""
    found = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            path = Path(dirpath) / name
            rel = path.relative_to(root).as_posix()
            found[rel] = ("link", os.readlink(path)) if path.is_symlink() else ("file", path.read_bytes())
    return found


# -- running the CLI in-process -------------------------------------------------------------------------------


class OverBudget(BaseException):
    """Not an Exception: the pipeline catches those (a formatter failure becomes a `format` problem)."""


@contextlib.contextmanager
def time_budget(seconds: int):
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def expire(signum, frame):
        raise OverBudget(f"the command took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def run_cli(args: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), time_budget(TIME_BUDGET):
        code = main(args)
    return code, out.getvalue(), err.getvalue()


def command(mode: str, root: Path, store: Path | None) -> list[str]:
    args = ["--root", str(root)] + (["--store", str(store)] if store else [])
    if mode == "base":
        return args + ["check", "--base", "main", "--format", "json", "--snapshots", str(FIXTURES)]
    if mode == "full":
        return args + ["check", "--format", "json", "--snapshots", str(FIXTURES)]
    return args + ["validate", "--format", "json"]


def expectation(case: str, mode: str) -> dict | str:
    """What ``mode`` must report for ``case``: the base expectation, overridden per mode; a string if n/a."""
    expected = expected_of(case)
    override = expected.get(mode, {}) if mode != "base" else {}
    if isinstance(override, str):
        return override
    keys = ("rule", "path", "line", "col", "exit")
    merged = {k: expected[k] for k in keys} | {"severity": expected.get("severity", "error")}
    if override:
        merged.update(override)
    return merged


def params(mode: str) -> list:
    """The cases that mean something for ``mode`` (expected.json says why the others do not)."""
    out = []
    for case in CASES:
        expected = expected_of(case)
        if isinstance(expectation(case, mode), str):
            continue
        marks = []
        if expected.get("slow"):
            marks.append(pytest.mark.slow)
        xfail = expected.get("xfail")
        reason = xfail.get(mode) if isinstance(xfail, dict) else xfail
        if reason:
            marks.append(pytest.mark.xfail(reason=reason, strict=True))
        out.append(pytest.param(case, id=case, marks=marks))
    return out


def run_case(case: str, mode: str, workspace: tuple[Path, Path]) -> None:
    root, store = workspace
    wanted = expectation(case, mode)
    assert not isinstance(wanted, str), "params() leaves out the cases a mode does not apply to"
    in_tree = expected_of(case).get("store") == "in-tree"
    apply_case(case, root)
    if in_tree:  # the store the commands use is the one the case put inside the checkout
        store = root / ".llm-atlas" / "store"
    store_before = store_fingerprint(store)
    files_before = files_fingerprint(root)

    code, out, err = run_cli(command(mode, root, None if in_tree else store))

    problems = json.loads(out) if out.strip() else []
    found = [(p["rule"], p["path"], p["line"], p["col"]) for p in problems]
    hits = [p for p in problems if p["rule"] == wanted["rule"] and p["path"] == wanted["path"]]
    assert hits, f"{case} ({mode}): no {wanted['rule']} problem at {wanted['path']}; got {found}\n{err}"
    if wanted["line"] is not None:
        assert any(p["line"] == wanted["line"] for p in hits), f"{case} ({mode}): {wanted['rule']} not at line {wanted['line']}: {found}"
    if wanted["col"] is not None:
        assert any((p["line"], p["col"]) == (wanted["line"], wanted["col"]) for p in hits), f"{case} ({mode}): not at {wanted['line']}:{wanted['col']}: {found}"
    assert any(p["severity"] == wanted["severity"] for p in hits), f"{case} ({mode}): {wanted['rule']} is not a {wanted['severity']}"
    assert code == wanted["exit"], f"{case} ({mode}): exit {code}, expected {wanted['exit']}\n{err}"
    assert all(p["help"] == f"docs/rules.md#{p['rule']}" for p in problems)
    unplaced = [p for p in problems if p["line"] < 1 or p["col"] < 1]
    assert not unplaced, f"{case} ({mode}): problems without a real line and column: {unplaced}"
    forbidden = expected_of(case).get("forbid_output")
    if forbidden:
        assert forbidden not in out + err, f"{case} ({mode}): the output shows {forbidden!r}"
    for rule in expected_of(case).get("absent", []):
        assert rule not in {p["rule"] for p in problems}, f"{case} ({mode}): {rule} is reported: {found}"

    assert files_fingerprint(root) == files_before, f"{case} ({mode}): the command changed files of the checkout"
    assert store_fingerprint(store) == store_before, f"{case} ({mode}): the command changed the store"


KEYS = {"rule", "path", "line", "col", "exit", "severity", "template", "edit", "manifest_digest", "git_add", "store", "generate", "full",
        "validate", "xfail", "forbid_output", "absent", "slow"}


def test_the_corpus_is_well_formed():
    assert len(CASES) >= 103
    rules_doc = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")
    for case in CASES:
        expected = expected_of(case)
        assert set(expected) <= KEYS, case
        warning = expected.get("severity") == "warning"
        assert expected["exit"] in ((0,) if warning else (1, 2)), case  # a warning alone never fails a check
        for mode in ("base", "full", "validate"):
            wanted = expectation(case, mode)
            if not isinstance(wanted, str):  # every refusal has its place: a real line and column, checked by hand
                assert isinstance(wanted["line"], int) and wanted["line"] >= 1 and isinstance(wanted["col"], int) and wanted["col"] >= 1, (case, mode)
                documented = f"### {wanted['rule']}\n" in rules_doc or wanted["rule"] in {"format", "history-removed"}
                assert documented, f"{case}: rule {wanted['rule']} is not in docs/rules.md"
        files = [p for p in (CASES_DIR / case).rglob("*") if p.is_file() and p.name != "expected.json"]
        assert files or expected.get("generate") or expected.get("edit"), f"{case}: nothing to apply"


@pytest.mark.parametrize("case", params("base"))
def test_check_base(case, workspace):
    """`check --base main`: what a pull request's CI runs."""
    run_case(case, "base", workspace)


@pytest.mark.parametrize("case", params("full"))
def test_check_whole_graph(case, workspace):
    """`check` without --base reports the same rule (history aside: it needs a base)."""
    run_case(case, "full", workspace)


@pytest.mark.parametrize("case", params("validate"))
def test_validate(case, workspace):
    """`validate` reports the same rule; for a file that does not load, through the build staging (exit 1)."""
    run_case(case, "validate", workspace)
