"""Every saved query on the atlas's pyoxigraph store against the same data in rdflib.

    python benchmarks/bench_queries.py [--repeat N] [--root PATH] [--triples N] [--timeout S] [--rdflib graph|dataset]

Side by side in one run, for each saved query of queries/ with its default parameters, medians of N repeats:
- pyoxigraph: `run_query` on the persistent store of `Atlas.open(root, store)` after `Atlas.build()`,
  as `llm-atlas query` runs it (union of the named graphs, shared prefixes, parameters as substitutions);
- rdflib: the same query text through rdflib's SPARQL engine on every file of ontology/, graph/ and
  imports/ parsed into one plain `rdflib.Graph` (or, with `--rdflib dataset`, a `Dataset` with one named
  graph per file and `default_union=True`), with `initNs=PREFIXES` and the parameters as `initBindings`.
Both read a snapshot of the checkout's ontology/, graph/, imports/ and queries/ copied at the start.
Both return every row (materialised); the row counts are compared, and the rows themselves as multisets of
lexical values per variable. Load times: `Atlas.build(force=True)` (parse, on-disk store, manifest) against
rdflib parsing all files.

The same again on a synthetic checkout of `--triples` triples made by `benchmarks/generate.py`
(skipped with a note if it is missing or fails; `--triples 0` skips it).

rdflib runs in a worker process so that one run longer than `--timeout` seconds can be stopped (the query is
then reported as a timeout and the worker restarted). On either engine, repeats stop early once a query's
runs add up to more than `--timeout`; the table says how many runs a median is of when fewer than N.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import rdflib

from llm_atlas import Atlas
from llm_atlas.layout import QUERIES_DIR, source_files
from llm_atlas.namespaces import PREFIXES
from llm_atlas.query import bind_params, load_saved_queries, run_query
from llm_atlas.rdfbridge import to_rdflib

ROOT = Path(__file__).resolve().parents[1]


# -- the rdflib side (in a worker process) -----------------------------------------------------------------


def rdflib_load(root: Path, mode: str) -> rdflib.Graph:
    if mode == "dataset":
        graph = rdflib.Dataset(default_union=True)
        for source in source_files(root):
            graph.graph(rdflib.URIRef(source.graph_iri)).parse(source.path, format="turtle")
        return graph
    graph = rdflib.Graph()
    for source in source_files(root):
        graph.parse(source.path, format="turtle")
    return graph


def _lexical(term) -> str:
    return "" if term is None else str(term)


def rdflib_worker(conn, root: str, mode: str) -> None:
    """Load the files, then answer ("load",) and ("query", text, bindings, want_rows) until ("stop",)."""
    started = time.perf_counter()
    graph = rdflib_load(Path(root), mode)
    conn.send((time.perf_counter() - started, len(graph)))
    while True:
        message = conn.recv()
        if message[0] == "stop":
            return
        if message[0] == "load":
            started = time.perf_counter()
            fresh = rdflib_load(Path(root), mode)
            conn.send((time.perf_counter() - started, len(fresh)))
            del fresh
            continue
        _, text, bindings, want_rows = message
        try:
            started = time.perf_counter()
            result = graph.query(text, initNs=PREFIXES, initBindings=bindings)
            rows = list(result)
            seconds = time.perf_counter() - started
        except Exception as error:  # noqa: BLE001 - rdflib may not support something: report it, keep going
            conn.send(("error", f"{type(error).__name__}: {error}"))
            continue
        if result.type == "SELECT":
            names = [str(v) for v in result.vars]
            values = [{n: _lexical(row[i]) for i, n in enumerate(names)} for row in rows] if want_rows else None
        elif result.type == "ASK":
            values = [{"ask": str(bool(result.askAnswer))}] if want_rows else None
        else:
            values = None
        conn.send(("ok", seconds, len(rows), values))


class RdflibEngine:
    """A worker process holding the rdflib graph; restarted after a run is stopped for taking too long."""

    def __init__(self, root: Path, mode: str):
        self.root, self.mode = root, mode
        self.context = mp.get_context("spawn")
        self.process = None
        self.conn = None
        self.loads: list[float] = []
        self.triples = 0

    def start(self) -> None:
        self.conn, child = self.context.Pipe()
        self.process = self.context.Process(target=rdflib_worker, args=(child, str(self.root), self.mode), daemon=True)
        self.process.start()
        child.close()
        seconds, self.triples = self.conn.recv()
        self.loads.append(seconds)

    def reload(self) -> None:
        self.conn.send(("load",))
        seconds, _ = self.conn.recv()
        self.loads.append(seconds)

    def run(self, text: str, bindings: dict, want_rows: bool, timeout: float):
        """("ok", seconds, rows, values), ("error", message) or ("timeout",)."""
        self.conn.send(("query", text, bindings, want_rows))
        if self.conn.poll(timeout):
            return self.conn.recv()
        self.kill()
        self.start()
        return ("timeout",)

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.join()
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.conn.send(("stop",))
            self.process.join(10)
            self.kill()


# -- the pyoxigraph side ---------------------------------------------------------------------------------


def oxigraph_rows(result) -> list[dict[str, str]]:
    if result.boolean is not None:
        return [{"ask": str(result.boolean).lower()}]
    return [{v: ("" if t is None else t.value) for v, t in zip(result.variables, row)} for row in result.rows]


def timed_runs(run_once, repeat: int, budget: float) -> tuple[list[float], object]:
    """Up to ``repeat`` runs, fewer once they add up to more than ``budget`` seconds."""
    times, first = [], None
    for _ in range(repeat):
        outcome = run_once(len(times) == 0)
        if outcome[0] != "ok":
            return times, outcome if not times else first
        times.append(outcome[1])
        if first is None:
            first = outcome
        if sum(times) > budget:
            break
    return times, first


# -- one dataset -------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}" if seconds < 10 else f"{seconds * 1000:,.0f}"


def bench(root: Path, work: Path, args) -> dict:
    atlas = Atlas.open(root, work / "store")
    atlas.build(force=True)
    build_times = []
    for _ in range(args.repeat):
        build_times.append(atlas.build(force=True).seconds)
    store = atlas.store
    triples = len(store)
    files = len(source_files(root))
    queries = load_saved_queries(root / QUERIES_DIR, root)

    engine = RdflibEngine(root, args.rdflib)
    engine.start()
    for _ in range(args.repeat - 1):
        engine.reload()

    rows_out = []
    try:
        for query in queries:
            bindings = bind_params(query, {})
            rdflib_bindings = {name: to_rdflib(term) for name, term in bindings.items()}

            def ox_once(want_rows: bool, query=query, bindings=bindings):
                try:
                    started = time.perf_counter()
                    result = run_query(store, query.text, bindings)
                    seconds = time.perf_counter() - started
                except Exception as error:  # noqa: BLE001 - reported in the table (e.g. a SERVICE without network)
                    return ("error", f"{type(error).__name__}: {error}")
                count = 1 if result.boolean is not None else len(result.triples) if result.triples is not None else len(result.rows)
                return ("ok", seconds, count, oxigraph_rows(result) if want_rows and result.triples is None else None)

            ox_times, ox_first = timed_runs(ox_once, args.repeat, args.timeout)
            def rdflib_once(want_rows: bool, text=query.text, bindings=rdflib_bindings):
                return engine.run(text, bindings, want_rows, args.timeout)

            rl_times, rl_first = timed_runs(rdflib_once, args.repeat, args.timeout)
            rows_out.append(summarise(query.name, ox_times, ox_first, rl_times, rl_first, args))
            print(f"  {query.name}: {rows_out[-1]['line']}", file=sys.stderr, flush=True)
    finally:
        engine.stop()
        atlas.close()
    return {
        "files": files,
        "triples": triples,
        "rdflib_triples": engine.triples,
        "build": statistics.median(build_times),
        "parse": statistics.median(engine.loads),
        "rows": rows_out,
    }


def summarise(name: str, ox_times, ox_first, rl_times, rl_first, args) -> dict:
    ox_med = statistics.median(ox_times) if ox_times else None
    rl_med = statistics.median(rl_times) if rl_times else None
    ox_rows = ox_first[2] if ox_times else None
    cells = {"name": name, "ox": ox_med, "rl": rl_med, "ratio": None, "lower_bound": False}

    def runs(times) -> str:
        return f" ({len(times)} runs)" if 0 < len(times) < args.repeat else ""

    cells["ox_cell"] = ms(ox_med) + runs(ox_times) if ox_times else "error: " + ox_first[1].replace("|", "\\|").replace("\n", " ")[:160]
    if rl_times:
        cells["rl_cell"] = ms(rl_med) + runs(rl_times)
    elif rl_first[0] == "timeout":
        cells["rl_cell"] = f"timeout > {args.timeout:.0f} s"
    else:
        cells["rl_cell"] = "error"
    if ox_med and rl_med:
        cells["ratio"] = rl_med / ox_med
        cells["ratio_cell"] = f"{rl_med / ox_med:.1f}x"
    elif ox_med and rl_first and rl_first[0] == "timeout":
        cells["ratio"] = args.timeout / ox_med
        cells["lower_bound"] = True
        cells["ratio_cell"] = f"> {args.timeout / ox_med:.0f}x"
    else:
        cells["ratio_cell"] = "-"
    cells["rows_cell"] = "-" if ox_rows is None else str(ox_rows)
    if not rl_times:
        match = "error: " + rl_first[1].replace("|", "\\|").replace("\n", " ")[:160] if rl_first[0] == "error" else "not compared (timeout)"
    elif ox_rows is None:
        match = "not compared (pyoxigraph error)"
    elif rl_first[2] != ox_rows:
        match = f"**row count differs: rdflib {rl_first[2]}**"
    elif rl_first[3] is None:
        match = "yes (count)"
    else:
        ox_values = Counter(tuple(sorted(r.items())) for r in ox_first[3])
        rl_values = Counter(tuple(sorted(r.items())) for r in rl_first[3])
        differing = sum((ox_values - rl_values).values())
        match = "yes" if differing == 0 else f"count yes; values differ in {differing} rows"
    cells["match"] = match
    cells["line"] = f"pyoxigraph {cells['ox_cell']} ms, rdflib {cells['rl_cell']} ms, {cells['ratio_cell']}, rows {cells['rows_cell']}, {match}"
    return cells


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def print_section(title: str, result: dict, args) -> None:
    print(f"## {title}\n")
    print(f"{result['files']} files, {result['triples']} triples in the store ({result['rdflib_triples']} in rdflib); "
          f"median of {args.repeat} runs\n")
    print("| load | seconds | ratio to pyoxigraph |")
    print("|---|---:|---:|")
    print(f"| pyoxigraph: `Atlas.build(force=True)`, on disk | {result['build']:.3f} | 1.0x |")
    print(f"| rdflib: parse every file into one {'Dataset (graph per file)' if args.rdflib == 'dataset' else 'Graph'} | "
          f"{result['parse']:.3f} | {result['parse'] / result['build']:.1f}x |")
    print()
    print("| query | pyoxigraph ms | rdflib ms | rdflib / pyoxigraph | rows | same rows in rdflib |")
    print("|---|---:|---:|---:|---:|---|")
    for row in result["rows"]:
        print(f"| {row['name']} | {row['ox_cell']} | {row['rl_cell']} | {row['ratio_cell']} | {row['rows_cell']} | {row['match']} |")
    measured = [r for r in result["rows"] if r["ratio"] is not None and not r["lower_bound"]]
    bounded = [r for r in result["rows"] if r["lower_bound"]]
    print()
    line = f"Geometric mean of rdflib / pyoxigraph over the {len(measured)} queries both engines finished: **{geomean([r['ratio'] for r in measured]):.1f}x**"
    if bounded:
        line += (f"; over all {len(measured) + len(bounded)} with the {len(bounded)} rdflib timeout{'s' if len(bounded) != 1 else ''} counted at the timeout "
                 f"(so a lower bound): **> {geomean([r['ratio'] for r in measured + bounded]):.1f}x**")
    print(line + ".")
    both = [r for r in result["rows"] if r["ox"] is not None]
    slow_ox = sorted(both, key=lambda r: -r["ox"])[:3]
    slow_rl = sorted(result["rows"], key=lambda r: -(args.timeout if r["lower_bound"] else (r["rl"] or 0)))[:3]
    ox_list = ", ".join(f"{r['name']} ({r['ox_cell']} ms)" for r in slow_ox)
    rl_list = ", ".join(f"{r['name']} ({r['rl_cell']}{'' if r['lower_bound'] else ' ms'})" for r in slow_rl)
    print(f"Slowest on pyoxigraph: {ox_list}. Slowest on rdflib: {rl_list}.")
    faster = [r for r in measured if r["ratio"] < 1]
    if faster:
        print("rdflib is faster on: " + ", ".join(f"{r['name']} ({r['ratio_cell']})" for r in faster) + ".")
    print()


def load_generator():
    path = Path(__file__).resolve().parent / "generate.py"
    if not path.is_file():
        return None, "benchmarks/generate.py does not exist"
    import importlib.util

    spec = importlib.util.spec_from_file_location("atlas_bench_generate", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - another helper's script: skip with a note
        return None, f"benchmarks/generate.py does not import: {type(error).__name__}: {error}"
    if not callable(getattr(module, "generate", None)):
        return None, "benchmarks/generate.py has no generate(out_dir, triples, seed)"
    return module.generate, ""


def describe_checkout(root: Path) -> str:
    """The commit the checkout is at, and whether its files differ from it."""
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "ontology", "graph", "imports", QUERIES_DIR],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {head}" + (" with uncommitted changes to its data or queries" if dirty else "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--root", default=str(ROOT))
    parser.add_argument("--triples", type=int, default=100_000, help="size of the synthetic checkout (0: skip it)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=120.0,
                        help="seconds: a longer rdflib run is stopped; repeats stop once a query's runs add up to more")
    parser.add_argument("--rdflib", choices=("graph", "dataset"), default="graph",
                        help="one plain Graph, or a Dataset with a named graph per file and default_union")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    work = Path(tempfile.mkdtemp(prefix="atlas-bench-queries-"))
    load_at_start = os.getloadavg()[0]
    print(f"Python {sys.version.split()[0]}, pyoxigraph {ox.__version__}, rdflib {rdflib.__version__}, {os.cpu_count()} cores; "
          f"median of {args.repeat} runs, rdflib runs stopped after {args.timeout:.0f} s; "
          f"rdflib on one {'Dataset with a named graph per file (default_union)' if args.rdflib == 'dataset' else 'plain Graph'}\n")
    try:
        # A snapshot: both engines read exactly the same files even if the checkout changes during the run.
        snapshot = work / "checkout"
        for folder in ("ontology", "graph", "imports", QUERIES_DIR):
            if (root / folder).is_dir():
                shutil.copytree(root / folder, snapshot / folder)
        title = f"This repository's graph ({describe_checkout(root)})"
        print(f"## {title}", file=sys.stderr, flush=True)
        print_section(title, bench(snapshot, work / "real", args), args)
        if args.triples > 0:
            generate, why = load_generator()
            checkout = work / "synthetic"
            if generate is not None:
                try:
                    made = generate(checkout, args.triples, args.seed)
                except Exception as error:  # noqa: BLE001 - skip the synthetic graph with a note
                    generate, why = None, f"generate() failed: {type(error).__name__}: {error}"
            if generate is None:
                print(f"## Synthetic graph\n\nSkipped: {why}.\n")
            else:
                title = f"Synthetic graph (`generate.py`, {args.triples} triples, seed {args.seed})"
                print(f"## {title}", file=sys.stderr, flush=True)
                print_section(title, bench(checkout, work / "synthetic-store", args), args)
                entities = ", ".join(f"{k} {v}" for k, v in made.get("entities", {}).items())
                if entities:
                    print(f"Entities: {entities}.\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"Load average (1 min) at the start and the end of the run: {load_at_start:.2f} and {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores; above about 1, other processes shared the cores with the engines.")


if __name__ == "__main__":
    main()
