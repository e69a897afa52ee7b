"""Full validation against plain pySHACL on the same data, on this repository's graph and generated ones.

    python benchmarks/bench_validate.py [--sizes real,100000,1000000] [--timeout 900] [--pyshacl-above 0]
                                        [--before REV] [--work DIR]

For each size (``real``: a snapshot of this checkout's ontology/, graph/, imports/; a number: a checkout of
that many triples from benchmarks/generate.py), each step in a fresh process so that its time and peak
memory (max RSS) are its own, imports timed apart:

- bare load:      plain pyoxigraph parses every file into an in-memory store (``Store.load`` per file)
- pySHACL:        the plain library: rdflib parses every file into one Graph, then ``pyshacl.validate``
                  with ontology/shapes.ttl (inference none, warnings allowed, as the atlas runs it)
- engine:         the atlas's SHACL engine alone on the same data in an in-memory store
                  (``llm_atlas.shacl.shacl_results``), the counterpart of the pySHACL step
- validate, cold: ``Atlas.validate()`` with no store yet (parse, validate, then write store and dump)
- validate:       ``Atlas.validate()`` again in a new process: the store is built, the dump is loaded into
                  memory and everything is validated (what ``llm-atlas validate`` does on a built checkout)
- before:         with ``--before REV``, ``Atlas.validate()`` on a built store with the code of REV (a git
                  worktree of this repository), for the before/after table

The verdicts are compared (number of problems and conformance); a step that exceeds ``--timeout`` is
reported as such, never extrapolated. pySHACL is skipped above ``--pyshacl-above`` triples if given.
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
    checkout, store, step = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    loading = time.perf_counter()
    import pyoxigraph as ox, pyshacl, rdflib
    import llm_atlas
    from llm_atlas.layout import SHAPES_FILE, source_files
    imports = time.perf_counter() - loading
    started, cpu = time.perf_counter(), time.process_time()
    out = {}
    if step == "bare":
        s = ox.Store()
        for f in source_files(checkout):
            s.load(path=str(f.path), format=ox.RdfFormat.TRIG if f.relpath.endswith(".trig") else ox.RdfFormat.TURTLE,
                   **({} if f.relpath.endswith(".trig") else {"to_graph": ox.NamedNode(f.graph_iri)}))
        out["triples"] = len(s)
    elif step == "pyshacl":
        data = rdflib.Graph()
        for f in source_files(checkout):
            if f.relpath.endswith(".trig"):
                for subject, predicate, obj, _ in rdflib.Dataset().parse(f.path, format="trig").quads((None, None, None, None)):
                    data.add((subject, predicate, obj))  # every graph's triples, names dropped
            elif f.relpath != SHAPES_FILE:
                data.parse(f.path, format="turtle")
        shapes = rdflib.Graph().parse(checkout / SHAPES_FILE, format="turtle")
        out["parse"] = time.perf_counter() - started
        conforms, report, _ = pyshacl.validate(data, shacl_graph=shapes, inference="none", allow_warnings=True, advanced=False)
        out["conforms"] = bool(conforms)
        out["results"] = len(list(report.subjects(rdflib.RDF.type, rdflib.SH.ValidationResult)))
    elif step == "engine":
        from llm_atlas.rdfbridge import graph_from_triples
        from llm_atlas.shacl import shacl_results
        s = ox.Store()
        for f in source_files(checkout):
            if f.relpath != SHAPES_FILE:
                s.load(path=str(f.path), format=ox.RdfFormat.TRIG if f.relpath.endswith(".trig") else ox.RdfFormat.TURTLE,
                       **({} if f.relpath.endswith(".trig") else {"to_graph": ox.NamedNode(f.graph_iri)}))
        shapes = graph_from_triples(ox.parse(path=str(checkout / SHAPES_FILE), format=ox.RdfFormat.TURTLE))
        out["parse"] = time.perf_counter() - started
        results = shacl_results(s, shapes)
        out["results"] = sum(len(r.flatten()) for r in results)
        out["conforms"] = not any(str(x.severity).endswith("Violation") for r in results for x in r.flatten())
    elif step in ("validate", "validate-cold", "before"):
        from llm_atlas import Atlas
        atlas = Atlas.open(checkout, store)
        if step == "before":
            atlas.build()
            started, cpu = time.perf_counter(), time.process_time()
        report = atlas.validate()
        out["conforms"] = report.conforms
        out["results"] = sum(1 for p in report.problems)
    out["seconds"] = time.perf_counter() - started
    out["cpu"] = time.process_time() - cpu
    out["imports"] = imports
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    """
)


def run_step(checkout: Path, store: Path, step: str, timeout: float, src: Path | None = None) -> dict:
    env = dict(os.environ)
    if src is not None:  # another revision's code
        env["PYTHONPATH"] = str(src) + os.pathsep + env.get("PYTHONPATH", "")
    try:
        done = subprocess.run([sys.executable, "-c", STEP, str(checkout), str(store), step], capture_output=True, text=True,
                              timeout=timeout, check=False, env=env)
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def cell(result: dict, key: str = "seconds", digits: int = 2) -> str:
    if "timeout" in result:
        return f"> {result['timeout']:.0f} (timed out)"
    if "error" in result:
        return f"error: {result['error']}"
    if "skipped" in result:
        return result["skipped"]
    return f"{result[key]:.{digits}f}"


def ratio(result: dict, base: dict) -> str:
    if "seconds" not in result or "seconds" not in base:
        if "seconds" in result and "timeout" in base:
            return f"< {result['seconds'] / base['timeout']:.3f}x"
        return "-"
    return f"{result['seconds'] / base['seconds']:.3f}x"


def make_checkout(size: str, dest: Path) -> Path:
    if size == "real":
        for folder in ("ontology", "graph", "imports", "queries"):
            if (ROOT / folder).is_dir():
                shutil.copytree(ROOT / folder, dest / folder)
        return dest
    sys.path.insert(0, str(HERE))
    from generate import generate

    generate(dest, int(size), 1)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="real,100000,1000000")
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--pyshacl-above", type=int, default=0, help="skip plain pySHACL above this many triples (0: never skip)")
    parser.add_argument("--before", help="a git revision whose Atlas.validate() to time on the same data")
    parser.add_argument("--work", help="keep the generated checkouts here (default: a temporary folder)")
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="atlas-bench-validate-"))
    work.mkdir(parents=True, exist_ok=True)
    before_src = None
    if args.before:
        before_tree = work / "before"
        if not before_tree.exists():
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before_tree), args.before], check=True, capture_output=True)
        before_src = before_tree / "src"
    load = os.getloadavg()[0]
    rows = []
    try:
        for size in args.sizes.split(","):
            checkout = work / f"atlas-{size}"
            if not checkout.exists():
                make_checkout(size, checkout)
            store = work / f"store-{size}"
            for path in (store, store.with_name(store.name + ".dump")):
                shutil.rmtree(path, ignore_errors=True)
            Path(str(store) + ".manifest.json").unlink(missing_ok=True)
            print(f"size {size}", file=sys.stderr, flush=True)
            row = {"size": size}
            row["bare"] = run_step(checkout, store, "bare", args.timeout)
            skip = args.pyshacl_above and row["bare"].get("triples", 0) > args.pyshacl_above
            row["pyshacl"] = {"skipped": "not run"} if skip else run_step(checkout, store, "pyshacl", args.timeout)
            row["engine"] = run_step(checkout, store, "engine", args.timeout)
            row["cold"] = run_step(checkout, store, "validate-cold", args.timeout)
            row["validate"] = run_step(checkout, store, "validate", args.timeout)
            if before_src is not None:
                before_store = work / f"before-store-{size}"
                shutil.rmtree(before_store, ignore_errors=True)
                Path(str(before_store) + ".manifest.json").unlink(missing_ok=True)
                row["before"] = run_step(checkout, before_store, "before", args.timeout, before_src)
            print(json.dumps(row), file=sys.stderr, flush=True)
            rows.append(row)
    finally:
        if before_src is not None:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(work / "before")], capture_output=True)
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores; each step in a new process, imports excluded; "
          f"timeout {args.timeout:.0f} s; load average (1 min) {load:.2f} at the start, {os.getloadavg()[0]:.2f} at the end\n")
    print("| triples | bare load s | pySHACL s (plain library) | engine s | engine / pySHACL | validate, built store s | validate / pySHACL "
          "| validate, no store yet s | before s | same verdict |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        triples = row["bare"].get("triples", row["size"])
        verdicts = {row[k].get("conforms") for k in ("pyshacl", "engine", "cold", "validate", "before") if k in row and "conforms" in row[k]}
        same = "yes" if len(verdicts) == 1 else ("n/a" if not verdicts else "**no**")
        results = f" ({row['pyshacl'].get('results')} / {row['engine'].get('results')} results)" if "results" in row["pyshacl"] else ""
        print(f"| {triples} | {cell(row['bare'])} | {cell(row['pyshacl'])} | {cell(row['engine'])} | {ratio(row['engine'], row['pyshacl'])} | "
              f"{cell(row['validate'])} | {ratio(row['validate'], row['pyshacl'])} | {cell(row['cold'])} | "
              f"{cell(row.get('before', {'skipped': '-'}))} | {same}{results} |")
    print("\nPeak memory (max RSS, MB) and CPU seconds of each step:\n")
    print("| triples | bare load | pySHACL | engine | validate, built store | validate, no store yet | before |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        triples = row["bare"].get("triples", row["size"])
        cells = []
        for key in ("bare", "pyshacl", "engine", "validate", "cold", "before"):
            r = row.get(key, {"skipped": "-"})
            cells.append(f"{cell(r, 'max_rss_mb', 0)} MB, {cell(r, 'cpu')} s cpu" if "seconds" in r else cell(r))
        print(f"| {triples} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
