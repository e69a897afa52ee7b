"""Every saved query through the atlas against raw in-memory pyoxigraph on the same data, and the store options.

    python benchmarks/bench_queries.py [--sizes real,100000,1000000] [--repeat 5] [--timeout 60]
                                       [--before REV] [--before-sizes real,100000] [--skip NAMES] [--work DIR]

For each size (``real``: a snapshot of this checkout; a number: a checkout of that many triples made by
benchmarks/generate.py), side by side in one process, medians of ``--repeat`` runs of each saved query with
its default parameters (``federated`` ones skipped: no network here):

- raw:     the plain library: pyoxigraph parses every file into a named graph of an in-memory store, and the
           query runs with the default graph as the union of the graphs (the baseline);
- atlas:   ``Atlas.query(name)``, as ``llm-atlas query`` runs it: the in-memory store loaded from the dump
           beside the persistent store, parameters bound by ``run_query``;
- disk:    the same text on the persistent on-disk (RocksDB) store, where every query ran before;
- before:  with ``--before REV``, the saved query's text at REV, parameters as pyoxigraph substitutions, on the
           on-disk store: how the query ran at REV (for the before/after table; only at ``--before-sizes``,
           since a query that ran for minutes then cannot be stopped in-process).

(The comparison with rdflib's SPARQL engine, 28x slower on the real graph, is recorded at commit 8f2de21.)

raw and atlas run exactly the same text (the atlas's, parameters bound); the ratio atlas / raw is the cost of
the atlas's store. Rows are compared between all engines. Start-up costs are measured too: parsing the files
(raw), loading the dump (atlas), opening the on-disk store, and their peak memory. A query whose runs add up
to more than ``--timeout`` seconds is not repeated further; the table says how many runs a median is of.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyoxigraph as ox

from llm_atlas import Atlas
from llm_atlas.layout import QUERIES_DIR, source_files
from llm_atlas.namespaces import PREFIXES
from llm_atlas.query import _values_bind_like_substitutions, bind_params, bind_values, parse_saved_query
from llm_atlas.store import open_store

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def raw_load(root: Path) -> ox.Store:
    """The plain library's fastest load: each file parsed into its named graph of an in-memory store."""
    store = ox.Store()
    for source in source_files(root):
        if source.relpath.endswith(".trig"):
            store.load(path=str(source.path), format=ox.RdfFormat.TRIG)
        else:
            store.load(path=str(source.path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(source.graph_iri))
    return store


def rows_of(answer) -> Counter:
    if isinstance(answer, ox.QueryBoolean):
        return Counter([("ask", bool(answer))])
    return Counter(tuple("" if s[v] is None else str(s[v]) for v in answer.variables) for s in answer)


def timed(fn, repeat: int, budget: float):
    """(median seconds, runs, first result) of up to ``repeat`` runs, fewer once they add up to ``budget``."""
    times, first = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
        first = result if first is None else first
        if sum(times) > budget:
            break
    return statistics.median(times), len(times), first


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def ms(seconds: float, runs: int, repeat: int) -> str:
    text = f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:,.0f}"
    return text + (f" ({runs} runs)" if runs < repeat else "")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def make_checkout(size: str, dest: Path) -> Path:
    if size == "real":
        for folder in ("ontology", "graph", "imports", QUERIES_DIR):
            if (ROOT / folder).is_dir():
                shutil.copytree(ROOT / folder, dest / folder)
        return dest
    sys.path.insert(0, str(HERE))
    from generate import generate

    generate(dest, int(size), 1)
    return dest


def before_queries(rev: str, names: list[str]) -> dict:
    """The saved queries as they were at ``rev`` (those that existed)."""
    found = {}
    for name in names:
        shown = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:queries/{name}.rq"], capture_output=True, text=True)
        if shown.returncode == 0:
            found[name] = parse_saved_query(shown.stdout, name)
    return found


def bench(size: str, checkout: Path, work: Path, args) -> None:
    store_dir = work / f"store-{size}"
    atlas = Atlas.open(checkout, store_dir)
    started = time.perf_counter()
    atlas.build(force=True)
    build = time.perf_counter() - started
    atlas.close()
    gc.collect()

    startup = {}
    base_rss = rss_mb()
    started = time.perf_counter()
    raw = raw_load(checkout)
    startup["raw: parse every file into memory"] = (time.perf_counter() - started, rss_mb() - base_rss)
    base_rss = rss_mb()
    atlas = Atlas.open(checkout, store_dir)
    started = time.perf_counter()
    memory = atlas.store
    startup["atlas: load the dump into memory"] = (time.perf_counter() - started, rss_mb() - base_rss)
    started = time.perf_counter()
    disk = open_store(store_dir)
    startup["disk: open the on-disk store"] = (time.perf_counter() - started, 0.0)
    triples = len(memory)

    skipped = set(filter(None, args.skip.split(",")))
    queries = [q for q in atlas.saved_queries() if "federated" not in q.tags and q.name not in skipped]
    old = before_queries(args.before, [q.name for q in queries]) if args.before and size in args.before_sizes.split(",") else {}
    results = []
    for query in queries:
        bindings = bind_params(query, {})
        text = bind_values(query.text, bindings) if bindings and _values_bind_like_substitutions(query.text) else query.text
        substitutions = None if text is not query.text else ({ox.Variable(k): v for k, v in bindings.items()} or None)

        def on(store, text=text, substitutions=substitutions):
            return rows_of(store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=substitutions))

        row = {"name": query.name}
        row["raw"] = timed(lambda: on(raw), args.repeat, args.timeout)
        row["atlas"] = timed(lambda query=query: rows_of_result(atlas.query(query.name)), args.repeat, args.timeout)
        row["disk"] = timed(lambda: on(disk), args.repeat, args.timeout)
        if query.name in old:
            before = old[query.name]
            before_subs = {ox.Variable(k): v for k, v in bind_params(before, {}).items()} or None
            row["before"] = timed(lambda before=before, before_subs=before_subs: rows_of(disk.query(
                before.text, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=before_subs)), args.repeat, args.timeout)
        answers = {k: frozenset(r[2].items()) for k, r in row.items() if k != "name"}
        row["same"] = len(set(answers.values())) == 1
        if not row["same"]:
            print(f"  {query.name}: rows differ between " + ", ".join(f"{k} ({sum(dict(v).values())})" for k, v in answers.items()), file=sys.stderr)
        row["rows"] = sum(row["raw"][2].values())
        print(f"  {query.name}: raw {row['raw'][0] * 1000:.1f} ms, atlas {row['atlas'][0] * 1000:.1f} ms, disk {row['disk'][0] * 1000:.1f} ms"
              + (f", before {row['before'][0] * 1000:.1f} ms" if "before" in row else ""), file=sys.stderr, flush=True)
        results.append(row)
    disk = None  # closes the on-disk store
    gc.collect()

    print(f"## {size_title(size, checkout)}\n")
    print(f"{triples} quads; `Atlas.build(force=True)` {build:.2f} s; median of {args.repeat} runs"
          + (f"; not run: {args.skip}" if args.skip else "") + "\n")
    print("| start-up | seconds | memory added (max RSS, MB) |")
    print("|---|---:|---:|")
    for name, (seconds, memory_mb) in startup.items():
        print(f"| {name} | {seconds:.3f} | {memory_mb:.0f} |")
    print()
    has_before = any("before" in r for r in results)
    print("| query | raw ms | atlas ms | atlas / raw | disk ms | disk / raw |" + (" before ms | before / atlas |" if has_before else "") + " rows | same rows |")
    print("|---|---:|---:|---:|---:|---:|" + ("---:|---:|" if has_before else "") + "---:|---|")
    for r in results:
        raw_s, atlas_s, disk_s = r["raw"][0], r["atlas"][0], r["disk"][0]
        line = (f"| {r['name']} | {ms(raw_s, r['raw'][1], args.repeat)} | {ms(atlas_s, r['atlas'][1], args.repeat)} | {atlas_s / raw_s:.2f}x | "
                f"{ms(disk_s, r['disk'][1], args.repeat)} | {disk_s / raw_s:.2f}x |")
        if has_before:
            line += (f" {ms(r['before'][0], r['before'][1], args.repeat)} | {r['before'][0] / atlas_s:.1f}x |" if "before" in r else " - | - |")
        print(line + f" {r['rows']} | {'yes' if r['same'] else '**no**'} |")
    print()
    ratios = [r["atlas"][0] / r["raw"][0] for r in results]
    disk_ratios = [r["disk"][0] / r["raw"][0] for r in results]
    print(f"Geometric mean atlas / raw: **{geomean(ratios):.2f}x** (worst {max(ratios):.2f}x, {sum(x > 1.5 for x in ratios)} of {len(ratios)} over 1.5x); "
          f"disk / raw: **{geomean(disk_ratios):.2f}x**. Slowest through the atlas: "
          + ", ".join(f"{r['name']} ({r['atlas'][0] * 1000:.0f} ms)" for r in sorted(results, key=lambda r: -r["atlas"][0])[:3]) + ".")
    if has_before:
        pairs = [(r["before"][0], r["atlas"][0]) for r in results if "before" in r]
        print(f"Before ({args.before}: the query texts then, on the on-disk store) / atlas now, geometric mean: **{geomean([b / a for b, a in pairs]):.1f}x**.")
    print()
    atlas.close()


def rows_of_result(result) -> Counter:
    if result.boolean is not None:
        return Counter([("ask", result.boolean)])
    return Counter(tuple("" if t is None else str(t) for t in row) for row in result.rows)


def size_title(size: str, checkout: Path) -> str:
    if size == "real":
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
        return f"This repository's graph (commit {head})"
    return f"Synthetic graph (`generate.py`, {int(size)} triples, seed 1)"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="real,100000,1000000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds: a query's repeats stop once they add up to more")
    parser.add_argument("--before", help="a git revision: time its saved-query texts on the on-disk store too")
    parser.add_argument("--before-sizes", default="real,100000", help="the sizes at which to run --before")
    parser.add_argument("--work", help="keep the generated checkouts here (default: a temporary folder)")
    parser.add_argument("--skip", default="", help="saved queries not to run (comma-separated names), e.g. one that takes minutes at a size")
    args = parser.parse_args()
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="atlas-bench-queries-"))
    work.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()[0]
    print(f"Python {sys.version.split()[0]}, pyoxigraph {ox.__version__}, {os.cpu_count()} cores; "
          f"load average (1 min) at the start {load:.2f}\n")
    try:
        for size in args.sizes.split(","):
            checkout = work / f"atlas-{size}"
            if not checkout.exists():
                make_checkout(size, checkout)
            print(f"size {size}", file=sys.stderr, flush=True)
            bench(size, checkout, work, args)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print(f"Load average (1 min) at the end: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; above about 1, other processes "
          "shared the cores with the engines.")


if __name__ == "__main__":
    main()
