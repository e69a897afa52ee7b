"""Malformed and hostile contributions: each is refused with the right rule, where it is, and nothing is written.

A case is a folder ``fixtures/bad/<case>/``: the files it adds or replaces, by path from the checkout root
(a file ``DELETE`` lists paths to delete), and ``expected.json``::

    {"rule": "turtle-syntax", "path": "graph/...", "line": 8, "col": 23, "exit": 1,
     "generate": "nesting",                      # optional: the file is made here, not stored
     "full": {...} | "why not",                  # optional: what `check` without --base reports instead
     "validate": {...} | "why not",              # optional: the same for `validate`
     "xfail": "reason" | {"base": "reason"},     # optional: a known, reviewed defect of the tool
     "forbid_output": "text",                    # optional: must not appear in any output
     "slow": true}                               # optional

``line`` and ``col`` are asserted when not null (they were checked by hand against each file). Every case is
run through ``check --base main`` on a git checkout of the mini fixture graph with a built store, then through
``check`` (whole graph) and ``validate``; each must exit with ``exit`` and report ``rule`` at ``path`` among its
problems (a file may also be out of canonical form: ``format`` problems are allowed alongside). Afterwards the
store holds exactly the quads it held and every file of the checkout is byte for byte what the case left.
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

from llm_atlas.cli import main
from llm_atlas.store import manifest_path

from .conftest import FIXTURES, copy_built, overlay

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
    else:
        raise AssertionError(f"unknown generator {kind!r}")


def apply_case(case: str, root: Path) -> None:
    """Overlay the case's files on the checkout (expected.json aside) and make its generated file."""
    overlay(root, CASES_DIR / case, skip=frozenset({"expected.json"}))
    generate = expected_of(case).get("generate")
    if generate:
        _generate(generate, root)


# -- a built, committed checkout, made once and copied per test ---------------------------------------------------


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.org", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def template(mini_built, tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("bad-input-template") / "template"
    root, _ = copy_built(mini_built, base)  # the session's build, not another one
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "base")
    return base


@pytest.fixture
def workspace(template: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(checkout, store): a private copy of the template, store and manifest included."""
    shutil.copytree(template, tmp_path / "ws", symlinks=True)
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


def command(mode: str, root: Path, store: Path) -> list[str]:
    args = ["--root", str(root), "--store", str(store)]
    if mode == "base":
        return args + ["check", "--base", "main", "--format", "json"]
    if mode == "full":
        return args + ["check", "--format", "json"]
    return args + ["validate", "--format", "json"]


def expectation(case: str, mode: str) -> dict | str:
    """What ``mode`` must report for ``case``: the base expectation, overridden per mode; a string if n/a."""
    expected = expected_of(case)
    override = expected.get(mode, {}) if mode != "base" else {}
    if isinstance(override, str):
        return override
    keys = ("rule", "path", "line", "col", "exit")
    merged = {k: expected[k] for k in keys}
    if override:
        merged.update({k: None for k in ("line", "col")})
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
    store_before = store_fingerprint(store)
    apply_case(case, root)
    files_before = files_fingerprint(root)

    code, out, err = run_cli(command(mode, root, store))

    problems = json.loads(out) if out.strip() else []
    found = [(p["rule"], p["path"], p["line"], p["col"]) for p in problems]
    hits = [p for p in problems if p["rule"] == wanted["rule"] and p["path"] == wanted["path"]]
    assert hits, f"{case} ({mode}): no {wanted['rule']} problem at {wanted['path']}; got {found}\n{err}"
    if wanted["line"] is not None:
        assert any(p["line"] == wanted["line"] for p in hits), f"{case} ({mode}): {wanted['rule']} not at line {wanted['line']}: {found}"
    if wanted["col"] is not None:
        assert any((p["line"], p["col"]) == (wanted["line"], wanted["col"]) for p in hits), f"{case} ({mode}): not at {wanted['line']}:{wanted['col']}: {found}"
    assert code == wanted["exit"], f"{case} ({mode}): exit {code}, expected {wanted['exit']}\n{err}"
    assert all(p["help"] == f"docs/rules.md#{p['rule']}" for p in problems)
    forbidden = expected_of(case).get("forbid_output")
    if forbidden:
        assert forbidden not in out + err, f"{case} ({mode}): the output shows {forbidden!r}"

    assert files_fingerprint(root) == files_before, f"{case} ({mode}): the command changed files of the checkout"
    assert store_fingerprint(store) == store_before, f"{case} ({mode}): the command changed the store"


def test_the_corpus_is_well_formed():
    assert len(CASES) >= 30
    rules_doc = (Path(__file__).resolve().parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")
    for case in CASES:
        expected = expected_of(case)
        assert set(expected) <= {"rule", "path", "line", "col", "exit", "generate", "full", "validate", "xfail", "forbid_output", "slow"}, case
        assert expected["exit"] in (1, 2), case
        documented = f"### {expected['rule']}\n" in rules_doc or expected["rule"] in {"format", "history-removed"}
        assert documented, f"{case}: rule {expected['rule']} is not in docs/rules.md"
        files = [p for p in (CASES_DIR / case).rglob("*") if p.is_file() and p.name != "expected.json"]
        assert files or expected.get("generate"), f"{case}: nothing to apply"


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
