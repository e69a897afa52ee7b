"""Build against a bare pyoxigraph load of the same files, and the report from a cold start, where its time goes.

    python benchmarks/bench_build.py [--sizes real,100000,1000000] [--repeat 5] [--report-sizes real] [--work DIR]

For each size (``real``: a snapshot of this checkout; a number: a checkout of that many triples made by
benchmarks/generate.py), side by side in one process, medians of ``--repeat`` runs (wall and CPU seconds):

- bare load:      the plain library's fastest load: pyoxigraph parses every file into a named graph of an
                  in-memory store (``Store.load`` per file) (the baseline);
- full build:     ``Atlas.build(force=True)``: every file checked (size, encoding, nesting) and hashed, parsed
                  into memory, written as the dump and bulk-loaded into the on-disk store, manifest last;
- no-op build:    ``Atlas.build()`` when nothing changed (a stat of every file);
- one-file build: ``Atlas.build()`` after one entity file changed (the change into the store, the dump's log
                  and the in-memory copy);
- first read:     ``Atlas.store`` in a new ``Atlas`` (the dump loaded into memory: what a new process pays
                  before its first query).

Then, at ``--report-sizes``, ``llm-atlas report`` from a cold start (new process, no store), and the same run
under cProfile to see where the time goes: imports, the build, validation, the saved queries, the network
analysis and its drawings.
"""

from __future__ import annotations

import argparse
import gc
import os
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

from llm_atlas import Atlas
from llm_atlas.layout import source_files

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

# Functions of the report's run whose cumulative time is shown (by file and name, as cProfile keys them).
PHASES = [
    ("build (parse, dump, on-disk store)", "staging.py", "commit"),
    ("  of which the on-disk store (RocksDB bulk load)", "~", "<method 'bulk_load' of 'pyoxigraph.Store' objects>"),
    ("validate: file rules", "structure.py", "check_file"),
    ("validate: SHACL", "shacl.py", "shacl_results"),
    ("report: saved queries", "query.py", "run_query"),
    ("report: network analysis and drawings", "network.py", "network_files"),
    ("  of which the graphs' queries and building", "network.py", "collaboration_graph"),
    ("  of which project-artefact graph", "network.py", "project_artifact_graph"),
    ("  of which the analysis (networkx)", "network.py", "analyse"),
    ("  of which drawing (matplotlib)", "network_drawing.py", "drawing_bytes"),
]


def bare_load(root: Path) -> ox.Store:
    store = ox.Store()
    for source in source_files(root):
        if source.relpath.endswith(".trig"):
            store.load(path=str(source.path), format=ox.RdfFormat.TRIG)
        else:
            store.load(path=str(source.path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(source.graph_iri))
    return store


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median wall and median CPU seconds of ``repeat`` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        gc.collect()
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


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


def clear(store_dir: Path) -> None:
    for path in (store_dir, store_dir.with_name(store_dir.name + ".dump")):
        shutil.rmtree(path, ignore_errors=True)
    Path(str(store_dir) + ".manifest.json").unlink(missing_ok=True)


def builds(checkout: Path, work: Path, repeat: int) -> list[tuple[str, tuple[float, float]]]:
    store_dir = work / "store"
    clear(store_dir)
    atlas = Atlas.open(checkout, store_dir)
    rows = [("bare pyoxigraph load (in memory)", timed(lambda: bare_load(checkout), repeat))]
    rows.append(("llm-atlas build, full", timed(lambda: atlas.build(force=True), repeat)))
    rows.append(("llm-atlas build, nothing changed", timed(atlas.build, repeat)))
    target = sorted((checkout / "graph" / "organization").glob("*.ttl"))[0]
    original = target.read_text(encoding="utf-8")
    flip = [0]

    def one_file():
        flip[0] += 1
        target.write_text(original + f"\n# edit {flip[0]}\n", encoding="utf-8")
        atlas.build()

    rows.append(("llm-atlas build, one file changed", timed(one_file, repeat)))
    target.write_text(original, encoding="utf-8")
    atlas.build()
    atlas.close()

    def first_read():
        fresh = Atlas.open(checkout, store_dir)
        assert len(fresh.store) > 0
        fresh.close()

    rows.append(("first read in a new Atlas (load the dump)", timed(first_read, repeat)))
    return rows


def cold_report(checkout: Path, work: Path, repeat: int) -> tuple[float, list[tuple[str, float]]]:
    store_dir = work / "cold-store"

    def run():
        clear(store_dir)
        subprocess.run([sys.executable, "-m", "llm_atlas", "--root", str(checkout), "--store", str(store_dir), "report",
                        "--out", str(work / "report")], check=True, capture_output=True, env={**os.environ, "LLM_ATLAS_PROGRESS": "0"})

    wall, _ = timed(run, repeat)
    clear(store_dir)
    profile = work / "report.prof"
    code = ("import cProfile, sys, time; t = time.perf_counter(); pr = cProfile.Profile(); pr.enable(); "
            "from llm_atlas.cli import main\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"pr.disable(); pr.dump_stats({str(profile)!r})")
    subprocess.run([sys.executable, "-c", code, "--root", str(checkout), "--store", str(store_dir), "report", "--out", str(work / "report")],
                   check=True, capture_output=True, env={**os.environ, "LLM_ATLAS_PROGRESS": "0"})
    stats = pstats.Stats(str(profile))
    total = max(v[3] for v in stats.stats.values())
    phases = [("the whole run, under cProfile", total)]
    # cProfile counts a recursive function's time once, at its outermost call: all the time spent importing
    imports = sum(v[3] for k, v in stats.stats.items() if k[2] == "_find_and_load")
    phases.append(("imports (llm_atlas and the libraries it loads)", imports))
    for label, file_suffix, name in PHASES:
        seconds = sum(v[3] for k, v in stats.stats.items() if k[2] == name and (file_suffix == "~" or k[0].endswith(file_suffix)))
        phases.append((label, seconds))
    return wall, phases


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="real,100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--report-sizes", default="real")
    parser.add_argument("--work", help="keep the generated checkouts here (default: a temporary folder)")
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="atlas-bench-build-"))
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    print(f"Python {sys.version.split()[0]}, pyoxigraph {ox.__version__}, {os.cpu_count()} cores; medians of {args.repeat} runs; "
          f"load average (1 min) {load:.2f} at the start\n")
    try:
        for size in args.sizes.split(","):
            checkout = work / f"atlas-{size}"
            if not checkout.exists():
                make_checkout(size, checkout)
            print(f"size {size}", file=sys.stderr, flush=True)
            rows = builds(checkout, work / f"run-{size}", args.repeat)
            quads = len(bare_load(checkout))
            files = len(source_files(checkout))
            (bare_wall, bare_cpu) = rows[0][1]
            print(f"## {'This repository' if size == 'real' else f'Synthetic, {int(size)} triples'}: {files} files, {quads} quads\n")
            print("| run | wall s | ratio to bare load | CPU s | CPU ratio |")
            print("|---|---:|---:|---:|---:|")
            for name, (wall, cpu) in rows:
                print(f"| {name} | {wall:.3f} | {wall / bare_wall:.2f}x | {cpu:.3f} | {cpu / bare_cpu:.2f}x |")
            print()
            if size in args.report_sizes.split(","):
                wall, phases = cold_report(checkout, work / f"run-{size}", max(1, args.repeat // 2))
                print(f"`llm-atlas report` from a cold start (new process, no store): **{wall:.2f} s** wall (median of {max(1, args.repeat // 2)}). "
                      "Where the time goes (one run under cProfile, cumulative seconds; profiling slows Python code):\n")
                print("| part | seconds |")
                print("|---|---:|")
                for label, seconds in phases:
                    print(f"| {label} | {seconds:.2f} |")
                print()
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"Load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores.")


if __name__ == "__main__":
    main()
