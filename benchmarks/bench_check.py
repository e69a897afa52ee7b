"""`llm-atlas check --base` on a 10-file change against full validation, at 10^4, 10^5 and 10^6 triples.

    python benchmarks/bench_check.py [--sizes 10000,100000,1000000] [--timeout 900] [--work DIR] [--baseline REV --repeat 5]

For each size a synthetic ecosystem that conforms to the ontology and shapes is generated
(benchmarks/generate.py), committed to a git repository and built. Then, each step in a fresh process so
that its peak memory (max RSS) is its own:

- bare load:         pyoxigraph parses every file into an in-memory store (the floor for a build)
- build:             `Atlas.build()` from nothing into the on-disk store
- check --base:      ten files changed (generate.change_files), `Atlas.check("HEAD")` on the built store
- full validation:   `Atlas.validate()` over the whole graph (this project's engine: pySHACL for core
                     constraints, pyoxigraph for SPARQL-based ones)
- plain pySHACL:     rdflib parses every file into one graph, then `pyshacl.validate` with the shapes,
                     nothing else (the baseline the design decision was measured against)

The verdicts are compared: check --base and full validation must report the same problems for the
changed files. A step that exceeds --timeout is reported as such, never extrapolated.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

STEP = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    sys.path.insert(0, {here!r})
    checkout, store, step = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    loading = time.perf_counter()
    import pyoxigraph, pyshacl, rdflib  # imports are timed apart: a long-running tool pays them once
    import llm_atlas
    imports = time.perf_counter() - loading
    started, cpu = time.perf_counter(), time.process_time()
    out = {{}}
    if step == "bare":
        import pyoxigraph as ox
        from llm_atlas.layout import source_files
        s = ox.Store()
        for f in source_files(checkout):
            s.bulk_extend(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(f.graph_iri)) for q in ox.parse(path=str(f.path), format=ox.RdfFormat.TURTLE))
        out["triples"] = len(s)
    elif step == "build":
        from llm_atlas import Atlas
        out["triples"] = Atlas.open(checkout, store).build(force=True).triples
    elif step == "check":
        from llm_atlas import Atlas
        report = Atlas.open(checkout, store).check("HEAD")
        out["problems"] = sorted([p.path, p.line, p.rule, p.focus] for p in report.problems if p.rule != "format")
        out["files"] = report.files_checked
        out["nodes"] = report.focus_nodes
    elif step == "validate":
        from llm_atlas import Atlas
        report = Atlas.open(checkout, store).validate()
        out["problems"] = sorted([p.path, p.line, p.rule, p.focus] for p in report.problems)
    elif step == "pyshacl":
        import pyshacl, rdflib
        from llm_atlas.layout import source_files
        data = rdflib.Graph()
        for f in source_files(checkout):
            if f.relpath != "ontology/shapes.ttl":
                data.parse(f.path, format="turtle")
        shapes = rdflib.Graph().parse(checkout / "ontology/shapes.ttl", format="turtle")
        conforms, _, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True)
        out["conforms"] = bool(conforms)
    out["seconds"] = time.perf_counter() - started
    out["cpu"] = time.process_time() - cpu
    out["imports"] = imports
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    """
)


def run_step(checkout: Path, store: Path, step: str, timeout: float, source: str | None = None) -> dict:
    """One step in a fresh process; ``source``: another revision's src/ folder to run instead of the installed code."""
    code = STEP.format(here=str(HERE))
    env = dict(os.environ, PYTHONPATH=source) if source else None
    try:
        done = subprocess.run([sys.executable, "-c", code, str(checkout), str(store), step], capture_output=True, text=True, timeout=timeout,
                              check=False, env=env)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=bench", "-c", "user.email=bench@example.org", *args], check=True, capture_output=True)


def fmt_step(result: dict, key: str = "seconds") -> str:
    if "timeout" in result:
        return f"> {result['timeout']:.0f} (timed out)"
    if "error" in result:
        return "error: " + result["error"][:60]
    return f"{result[key]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--work", default="")
    parser.add_argument("--skip-pyshacl-above", type=int, default=200000, help="plain pySHACL is not run above this size (it is minutes already at 10^5)")
    parser.add_argument("--baseline", metavar="REV", help="also time check --base of this git revision of llm-atlas on the same checkouts, "
                                                          "alternating with this one (--repeat times each): the ratio is what a change of "
                                                          "the checker costs, measured side by side")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each check for --baseline (medians are reported)")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from generate import change_files, generate  # noqa: E402

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="atlas-check-bench-"))
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        checkout = work / f"eco-{size}"
        store = work / f"store-{size}"
        shutil.rmtree(checkout, ignore_errors=True)
        shutil.rmtree(store, ignore_errors=True)
        counts = generate(checkout, size, seed=1)
        git(checkout, "init", "-q", "-b", "main")
        git(checkout, "add", ".")
        git(checkout, "commit", "-q", "-m", "base")
        bare = run_step(checkout, store, "bare", args.timeout)
        build = run_step(checkout, store, "build", args.timeout)
        changed = change_files(checkout, 10, seed=2)
        check = run_step(checkout, store, "check", args.timeout)
        validate = run_step(checkout, store, "validate", args.timeout)
        plain = run_step(checkout, store, "pyshacl", args.timeout) if size <= args.skip_pyshacl_above else {"error": "not run at this size"}
        same = None
        if "problems" in check and "problems" in validate:
            scoped = [p for p in validate["problems"] if p[0] in set(changed)]
            same = [p for p in check["problems"] if p[0] in set(changed)] == scoped
        rows.append((size, counts, bare, build, check, validate, plain, same, changed))

    print(f"Single runs, each step in its own process; seconds exclude interpreter start and imports (about 0.9 s); "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} cores; timeout {args.timeout:.0f} s\n")
    print("| triples | files | bare load s | build s (ratio) | check --base s (10 files) | full validation s | ratio full/check | plain pySHACL s | same verdict |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for size, counts, bare, build, check, validate, plain, same, changed in rows:
        ratio_build = f" ({build['seconds'] / bare['seconds']:.1f}x)" if "seconds" in build and "seconds" in bare else ""
        ratio = f"{validate['seconds'] / check['seconds']:.0f}x" if "seconds" in validate and "seconds" in check else "n/a"
        print(f"| {counts.get('triples', size)} | {counts.get('files', '?')} | {fmt_step(bare)} | {fmt_step(build)}{ratio_build} | {fmt_step(check)} | {fmt_step(validate)} | {ratio} | {fmt_step(plain)} | {same} |")
    print("\nCPU seconds of each step (the figure to read on a shared machine; wall above):\n")
    print("| triples | bare load | build | check --base | full validation | plain pySHACL |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size, counts, bare, build, check, validate, plain, same, changed in rows:
        print(f"| {counts.get('triples', size)} | " + " | ".join(fmt_step(r, "cpu") for r in (bare, build, check, validate, plain)) + " |")
    print("\nPeak memory (max RSS, MB):\n")
    print("| triples | bare load | build | check --base | full validation | plain pySHACL |")
    print("|---:|---:|---:|---:|---:|---:|")
    for size, counts, bare, build, check, validate, plain, same, changed in rows:
        cells = [fmt_step(r, "max_rss_mb") for r in (bare, build, check, validate, plain)]
        print(f"| {counts.get('triples', size)} | " + " | ".join(cells) + " |")
    if args.baseline:
        compare(args, work, rows)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def compare(args, work: Path, rows) -> None:
    """check --base of --baseline and of this checkout, alternating in fresh processes on the same change."""
    import statistics

    baseline = work / "baseline"
    shutil.rmtree(baseline, ignore_errors=True)
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(baseline), args.baseline], check=True)
    try:
        print(f"\ncheck --base (10 files), {args.repeat} runs each, alternating; this checkout against {args.baseline} "
              "(medians, seconds excluding imports):\n")
        print("| triples | baseline s | this s | ratio this/baseline | same problems |")
        print("|---:|---:|---:|---:|---|")
        for size, counts, *_ in rows:
            checkout, store = work / f"eco-{size}", work / f"store-{size}"
            old, new, same = [], [], True
            for _ in range(args.repeat):
                a = run_step(checkout, store, "check", args.timeout, str(baseline / "src"))
                b = run_step(checkout, store, "check", args.timeout)
                if "seconds" in a and "seconds" in b:
                    old.append(a["seconds"])
                    new.append(b["seconds"])
                    same = same and a["problems"] == b["problems"]
            if old:
                m_old, m_new = statistics.median(old), statistics.median(new)
                print(f"| {counts.get('triples', size)} | {m_old:.2f} | {m_new:.2f} | {m_new / m_old:.2f} | {same} |")
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], check=False)


if __name__ == "__main__":
    main()
