"""Build against a bare pyoxigraph load of the same files, and the report's wall time from a cold start.

    python benchmarks/bench_build.py [--repeat N] [--root PATH]

Side by side in one run, medians of N repeats:
- bare load: pyoxigraph parses every file of ontology/ and graph/ into an in-memory store (the floor);
- full build: `Atlas.build(force=True)` into a fresh on-disk store (parse, named graph per file, manifest);
- no-op build: `Atlas.build()` when nothing changed (hash every file, compare with the manifest);
- one-file build: `Atlas.build()` after one file changed;
- report, cold: `llm-atlas report` in a new process with no store (build, validate, every study query).
"""

from __future__ import annotations

import argparse
import os
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

ROOT = Path(__file__).resolve().parents[1]


def bare_load(root: Path) -> int:
    store = ox.Store()
    for source in source_files(root):
        graph = ox.NamedNode(source.graph_iri)
        store.extend(ox.Quad(q.subject, q.predicate, q.object, graph) for q in ox.parse(path=str(source.path), format=ox.RdfFormat.TURTLE))
    return len(store)


def timed(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--root", default=str(ROOT))
    args = parser.parse_args()
    root = Path(args.root)
    work = Path(tempfile.mkdtemp(prefix="atlas-bench-"))
    try:
        atlas = Atlas.open(root, work / "store")
        triples = bare_load(root)
        files = len(source_files(root))
        bare = timed(lambda: bare_load(root), args.repeat)
        full = timed(lambda: atlas.build(force=True), args.repeat)
        noop = timed(atlas.build, args.repeat)

        copy = work / "copy"
        shutil.copytree(root / "ontology", copy / "ontology")
        shutil.copytree(root / "graph", copy / "graph")
        shutil.copytree(root / "queries", copy / "queries")
        copy_atlas = Atlas.open(copy, work / "copy-store")
        copy_atlas.build()
        target = copy / "graph/organization/eleutherai.ttl"
        original = target.read_text()
        flip = [0]

        def one_file():
            flip[0] += 1
            target.write_text(original + f"# edit {flip[0]}\n")
            copy_atlas.build()

        one = timed(one_file, args.repeat)

        def cold_report():
            store = work / "cold-store"
            shutil.rmtree(store, ignore_errors=True)
            Path(str(store) + ".manifest.json").unlink(missing_ok=True)
            subprocess.run([sys.executable, "-m", "llm_atlas", "--root", str(root), "--store", str(store), "report", "--out", str(work / "report")],
                           check=True, capture_output=True)

        report = timed(cold_report, max(1, args.repeat // 2))
        atlas.close()
        copy_atlas.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    rows = [
        ("bare pyoxigraph load (in memory)", bare, 1.0),
        ("llm-atlas build, full (on disk)", full, full / bare),
        ("llm-atlas build, nothing changed", noop, noop / bare),
        ("llm-atlas build, one file changed", one, one / bare),
        ("llm-atlas report, cold start (new process)", report, report / bare),
    ]
    print(f"{files} files, {triples} triples; median of {args.repeat} runs; Python {sys.version.split()[0]}, pyoxigraph {ox.__version__}, {os.cpu_count()} cores\n")
    print("| run | seconds | ratio to bare load |")
    print("|---|---:|---:|")
    for name, seconds, ratio in rows:
        print(f"| {name} | {seconds:.3f} | {ratio:.1f}x |")


if __name__ == "__main__":
    main()
