"""The scale probe: the embedded store at 10^7 triples (generated), and where a server store takes over.

    python benchmarks/bench_scale.py [--sizes 1000000,10000000] [--timeout 3600] [--work DIR] [--no-server]
                                     [--server-only] [--server-queries study-sample,claims-by-confidence]

For each size, a checkout made by benchmarks/generate.py, then each step in a fresh process (its wall and
CPU time, its peak memory as max RSS):

- bare load:    plain pyoxigraph parses every file into an in-memory store (the floor);
- build:        ``Atlas.build()`` from nothing: the dump and the on-disk store (their sizes on disk);
- first read:   a new ``Atlas`` loads the dump into memory (what every process that reads pays once);
- queries:      three saved queries after that load (study-sample, claims-by-confidence, dependents);
- validate:     ``Atlas.validate()`` on the built store (the dump loaded, everything validated);

and, unless ``--no-server``, the same three queries on an Oxigraph server (``oxigraph serve`` from the
``oxigraph`` package, the project's test dependency) over HTTP, on a store loaded from the same dump: its
load time, the time to its first answer after a start, and each query's latency. A step that exceeds
``--timeout`` or fails is reported as such ("what breaks first"). ``--server-only`` times only the server, on the
dump a previous run left in ``--work``; ``--server-queries`` names the queries it asks (a query that runs for
many minutes on the server's on-disk store can be left out).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUERIES = ("study-sample", "claims-by-confidence", "dependents")

STEP = textwrap.dedent(
    """
    import json, resource, sys, time
    from pathlib import Path
    checkout, store, step = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
    import pyoxigraph as ox
    from llm_atlas import Atlas
    from llm_atlas.layout import source_files
    wall, cpu = time.perf_counter(), time.process_time()
    out = {}
    if step == "bare":
        s = ox.Store()
        for f in source_files(checkout):
            s.load(path=str(f.path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(f.graph_iri))
        out["quads"] = len(s)
    elif step == "build":
        out["quads"] = Atlas.open(checkout, store).build(force=True).triples
    elif step == "read":
        atlas = Atlas.open(checkout, store)
        out["quads"] = len(atlas.store)
        out["load"] = time.perf_counter() - wall
        for name in sys.argv[4].split(","):
            started = time.perf_counter()
            rows = len(atlas.query(name).rows)
            out[name] = [time.perf_counter() - started, rows]
    elif step == "validate":
        report = Atlas.open(checkout, store).validate()
        out["conforms"] = report.conforms
        out["problems"] = len(report.problems)
    out["seconds"] = time.perf_counter() - wall
    out["cpu"] = time.process_time() - cpu
    out["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))
    """
)


def run_step(checkout: Path, store: Path, step: str, timeout: float, *extra: str) -> dict:
    try:
        done = subprocess.run([sys.executable, "-c", STEP, str(checkout), str(store), step, *extra], capture_output=True, text=True,
                              timeout=timeout, check=False, env={**os.environ, "LLM_ATLAS_PROGRESS": "0"})
    except subprocess.TimeoutExpired:
        return {"timeout": timeout}
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines() or [f"exit code {done.returncode}"]
        return {"error": lines[-1][:300], "returncode": done.returncode}
    return json.loads(done.stdout.strip().splitlines()[-1])


def size_of(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server(dump_base: Path, work: Path, timeout: float, queries: tuple[str, ...] = QUERIES) -> dict:
    """Load the dump into an Oxigraph server's store, start it, and time the queries over HTTP."""
    from llm_atlas.layout import QUERIES_DIR
    from llm_atlas.namespaces import sparql_prefixes
    from llm_atlas.query import bind_params, bind_values, parse_saved_query

    binary = shutil.which("oxigraph")
    if binary is None:
        return {"error": "no oxigraph command (pip install oxigraph)"}
    location = work / "oxigraph-server"
    shutil.rmtree(location, ignore_errors=True)
    out: dict = {}
    started = time.perf_counter()
    loaded = subprocess.run([binary, "load", "--location", str(location), "--file", str(dump_base)], capture_output=True, text=True, timeout=timeout)
    if loaded.returncode != 0:
        return {"error": (loaded.stderr.strip().splitlines() or ["load failed"])[-1][:300]}
    out["load"] = time.perf_counter() - started
    out["store_mb"] = size_of(location) / 1e6
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([binary, "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}", "--union-default-graph"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        url = f"http://127.0.0.1:{port}/query"

        def ask(text: str) -> tuple[float, int]:
            request = urllib.request.Request(url, data=urllib.parse.urlencode({"query": text}).encode(),
                                             headers={"Accept": "application/sparql-results+json", "Content-Type": "application/x-www-form-urlencoded"})
            began = time.perf_counter()
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                body = json.loads(answer.read())
            return time.perf_counter() - began, len(body.get("results", {}).get("bindings", []))

        while True:
            try:
                ask("ASK { ?s ?p ?o }")
                break
            except OSError:
                if process.poll() is not None or time.perf_counter() - started > 120:
                    return {**out, "error": "the server did not start: " + process.stderr.read().decode()[-300:]}
                time.sleep(0.05)
        out["first_answer"] = time.perf_counter() - started
        root = HERE.parent
        for name in queries:
            path = root / QUERIES_DIR / f"{name}.rq"
            query = parse_saved_query(path.read_text(encoding="utf-8"), name, path)
            text = sparql_prefixes() + bind_values(query.text, bind_params(query, {}))
            out[name] = list(ask(text))
    finally:
        process.terminate()
        process.wait(timeout=30)
    return out


def cell(result: dict, key: str = "seconds", digits: int = 1) -> str:
    if "timeout" in result:
        return f"> {result['timeout']:.0f} s (timed out)"
    if "error" in result:
        return f"failed: {result['error']}"
    value = result.get(key)
    return "-" if value is None else f"{value:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--work", help="keep the generated checkouts here (default: a temporary folder)")
    parser.add_argument("--no-server", action="store_true")
    parser.add_argument("--server-only", action="store_true", help="time only the server, on the dump a previous run left in --work")
    parser.add_argument("--server-queries", default=",".join(QUERIES), help="the saved queries the server is asked")
    args = parser.parse_args()
    server_queries = tuple(q for q in args.server_queries.split(",") if q)
    if args.server_only:
        if not args.work:
            parser.error("--server-only needs the --work folder of an earlier run")
        for size in args.sizes.split(","):
            dump = Path(args.work) / f"store-{size}.dump" / "base.trig"
            if not dump.is_file():
                parser.error(f"no dump at {dump}: run without --server-only first")
            print(f"size {size}: oxigraph server", file=sys.stderr, flush=True)
            result = server(dump, Path(args.work), args.timeout, server_queries)
            print(json.dumps(result), file=sys.stderr, flush=True)
            cells = " | ".join(f"{name} {result[name][0]:.3f} s ({result[name][1]} rows)" if name in result else f"{name} -" for name in server_queries)
            print(f"| {size} | load {result.get('load', 0):.2f} s, {result.get('store_mb', 0):.0f} MB | first answer {result.get('first_answer', 0):.2f} s | {cells} |"
                  + (f" error: {result['error']}" if "error" in result else ""))
        return
    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="atlas-bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(HERE))
    from generate import generate

    load = os.getloadavg()[0]
    rows = []
    try:
        for size in args.sizes.split(","):
            checkout = work / f"atlas-{size}"
            generated = None
            if not checkout.exists():
                started = time.perf_counter()
                generated = generate(checkout, int(size), 1)
                generated["generate_seconds"] = time.perf_counter() - started
            store = work / f"store-{size}"
            for path in (store, store.with_name(store.name + ".dump")):
                shutil.rmtree(path, ignore_errors=True)
            Path(str(store) + ".manifest.json").unlink(missing_ok=True)
            row = {"size": size, "files": sum(1 for _ in (checkout / "graph").rglob("*.ttl")), "source_mb": size_of(checkout) / 1e6}
            for step in ("bare", "build", "read", "validate"):
                print(f"size {size}: {step}", file=sys.stderr, flush=True)
                row[step] = run_step(checkout, store, step, args.timeout, ",".join(QUERIES))
                print(json.dumps(row[step]), file=sys.stderr, flush=True)
            row["store_mb"] = size_of(store) / 1e6 if store.exists() else None
            row["dump_mb"] = size_of(store.with_name(store.name + ".dump")) / 1e6 if store.with_name(store.name + ".dump").exists() else None
            if not args.no_server and row["dump_mb"]:
                print(f"size {size}: oxigraph server", file=sys.stderr, flush=True)
                row["server"] = server(store.with_name(store.name + ".dump") / "base.trig", work, args.timeout, server_queries)
                print(json.dumps(row["server"]), file=sys.stderr, flush=True)
            rows.append(row)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)

    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores; each step in a new process; load average (1 min) {load:.2f} at the start, "
          f"{os.getloadavg()[0]:.2f} at the end\n")
    print("| quads | files | bare load s | build s | store on disk MB | dump MB | first read (load the dump) s | validate s | peak memory MB (bare / build / read / validate) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for row in rows:
        quads = row["bare"].get("quads") or row["build"].get("quads") or row["size"]
        memory = " / ".join(cell(row[s], "max_rss_mb", 0) for s in ("bare", "build", "read", "validate"))
        store_mb = f"{row['store_mb']:.0f}" if row["store_mb"] else "-"
        dump_mb = f"{row['dump_mb']:.0f}" if row["dump_mb"] else "-"
        print(f"| {quads} | {row['files']} | {cell(row['bare'])} | {cell(row['build'])} | {store_mb} | {dump_mb} | {cell(row['read'], 'load')} | "
              f"{cell(row['validate'])} | {memory} |")
    print("\nSaved queries, embedded (after the dump is loaded) and on an Oxigraph server (over HTTP, the same dump loaded into its on-disk store):\n")
    print("| quads | query | embedded s | server s | rows |")
    print("|---:|---|---:|---:|---:|")
    for row in rows:
        quads = row["bare"].get("quads") or row["size"]
        for name in QUERIES:
            embedded = row["read"].get(name)
            remote = row.get("server", {}).get(name)
            print(f"| {quads} | {name} | {embedded[0]:.3f} | " if embedded else f"| {quads} | {name} | {cell(row['read'])} | ", end="")
            print(f"{remote[0]:.3f} | {remote[1]} |" if remote else f"{cell(row.get('server', {'error': 'not run'}))} | {embedded[1] if embedded else '-'} |")
    print("\nOxigraph server: time to load the dump into its store, and to its first answer after a start:\n")
    print("| quads | load s | first answer s | store MB |")
    print("|---:|---:|---:|---:|")
    for row in rows:
        s = row.get("server", {})
        quads = row["bare"].get("quads") or row["size"]
        print(f"| {quads} | {cell(s, 'load')} | {cell(s, 'first_answer', 2)} | {cell(s, 'store_mb', 0)} |")


if __name__ == "__main__":
    main()
