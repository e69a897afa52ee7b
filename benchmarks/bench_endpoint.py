"""The `llm-atlas serve` SPARQL endpoint against in-process pyoxigraph and against `oxigraph serve`.

    python benchmarks/bench_endpoint.py [--repeat N] [--duration S] [--clients 1,4,16] [--root PATH]

The atlas is built into a temporary store with `Atlas.open(root, store).build()`; nothing of the checkout is
written. The same saved queries (every one of queries/ but those tagged `federated`, with their default
parameters), run four ways:

- in-process: `run_query` on the persistent store (what `Atlas.query` and `llm-atlas query` do: union of the
  file graphs, shared prefixes, parameters as pyoxigraph substitutions);
- ours: `llm-atlas serve --host 127.0.0.1 --port 0` in a subprocess, with its defaults (workers = max(2,
  min(4, cores)), queue 4, timeout 10 s, 10 000 rows, a log line per request on stderr);
- in-memory (for reference): the same engine on an in-memory copy of the store loaded from its N-Quads, given
  the servers' text: what each of our query workers holds and runs, without HTTP;
- oxigraph serve: the `oxigraph` CLI (same Oxigraph version as pyoxigraph) in a subprocess,
  `oxigraph serve --location TMP --bind 127.0.0.1:PORT --union-default-graph --timeout-s 10`, loaded with
  `llm_atlas.publish.publish` (one Graph Store PUT per file graph).

Both servers get the same text: `remote.remote_text(query)` (the shared prefixes declared, the parameters
bound with a VALUES block, as `llm-atlas query --endpoint` sends them), by urllib POST
`application/sparql-query` with `Accept: application/sparql-results+json`, one connection per request
(urllib does not keep connections alive; our server speaks HTTP/1.0 anyway). An HTTP time is from the request
to the last byte of the body; the JSON is parsed afterwards, outside the time. The in-process time includes
turning every row into Python terms. Each query: one warm-up, then the median of N runs. Row counts are
compared across all of them, and the rows themselves as multisets of lexical values (blank nodes as `_:`).
Also: a saved query with parameters timed in-process with the VALUES text, `ASK {}` over HTTP as the
per-request floor of each server, and our server's own `X-Atlas-Query-Time` header.

Throughput: C client threads (in this process, urllib, no keep-alive) each loop for `--duration` seconds over
the same mix (every query above once, in order, each thread starting at a different query), against each
server in turn; bounded by the duration and by `--max-requests` per thread. A 503 (or 429) answer is counted
and the client goes on with the next query after `--backoff` seconds (default 0: it does not wait the
Retry-After). Reported: answers per second (all, and 200 only), p50/p95 latency of the 200 answers, 503/429
counts and their Retry-After, other failures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pyoxigraph as ox

from llm_atlas import Atlas
from llm_atlas.layout import source_files
from llm_atlas.publish import publish
from llm_atlas.query import bind_params, run_query
from llm_atlas.remote import remote_text

ROOT = Path(__file__).resolve().parents[1]
OXIGRAPH = shutil.which("oxigraph", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
JSON_RESULTS = "application/sparql-results+json"
START_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0


# -- the servers --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, proc: subprocess.Popen, headers: dict | None = None) -> None:
    """Poll ``url`` until it answers (any HTTP status), the process dies, or START_TIMEOUT passes."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=START_TIMEOUT) as response:
                response.read()
            return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {START_TIMEOUT:.0f} s")


def start_ours(root: Path, store: Path, log: Path) -> tuple[subprocess.Popen, str]:
    """`llm-atlas serve` on a port the OS picks; the URL is read from the line it prints when ready."""
    err = open(log, "w")  # noqa: SIM115 - closed with the process below
    proc = subprocess.Popen([sys.executable, "-m", "llm_atlas", "--root", str(root), "--store", str(store), "serve",
                             "--host", "127.0.0.1", "--port", "0"], stdout=subprocess.DEVNULL, stderr=err)
    proc._bench_log = err  # type: ignore[attr-defined]
    deadline = time.monotonic() + START_TIMEOUT
    url = None
    while time.monotonic() < deadline and url is None:
        if proc.poll() is not None:
            raise RuntimeError(f"llm-atlas serve exited with {proc.returncode}: {log.read_text()[-2000:]}")
        for line in log.read_text().splitlines():
            if line.startswith("LLM Atlas at http://"):
                url = line.split()[3].rstrip("/")
                break
        else:
            time.sleep(0.1)
    if url is None:
        raise RuntimeError("llm-atlas serve did not start")
    # the ontology page waits for the documentation the server generates in the background at start:
    # once it is there, nothing but queries uses the server's CPU
    wait_http(url + "/ontology/", proc, {"Accept": "text/html"})
    return proc, url + "/sparql"


def start_oxigraph(location: Path, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    err = open(log, "w")  # noqa: SIM115
    proc = subprocess.Popen([OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}",
                             "--union-default-graph", "--timeout-s", "10"], stdout=subprocess.DEVNULL, stderr=err)
    proc._bench_log = err  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/query?query=ASK%7B%7D", proc)
    return proc, url + "/query"


def stop(proc: subprocess.Popen | None) -> None:
    if proc is None:
        return
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    log = getattr(proc, "_bench_log", None)
    if log is not None:
        log.close()


# -- whose CPU -----------------------------------------------------------------------------------------------


def machine_busy() -> float | None:
    """CPU-seconds the whole machine has spent busy since boot (Linux /proc/stat), None elsewhere."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def tree_cpu(root: int) -> float | None:
    """CPU-seconds used so far by ``root`` and every process descended from it (Linux /proc)."""
    try:
        parents, used = {}, {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                after = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parents[int(entry.name)] = int(after[1])
            used[int(entry.name)] = (int(after[11]) + int(after[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return None
    mine, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in mine]
        mine.update(children)
        frontier.extend(children)
    return sum(used.get(pid, 0.0) for pid in mine)


# -- one request --------------------------------------------------------------------------------------------


def post(endpoint: str, text: str) -> tuple[int, bytes, float, dict]:
    """(status, body, seconds to the last byte, headers) of one POST application/sparql-query."""
    request = urllib.request.Request(endpoint, data=text.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
            body = response.read()
            return response.status, body, time.perf_counter() - started, dict(response.headers)
    except urllib.error.HTTPError as error:
        body = error.read() if error.fp else b""
        return error.code, body, time.perf_counter() - started, dict(error.headers or {})


def lexical(term) -> str:
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:"
    return term.value


def rows_of_json(body: bytes) -> tuple[list[tuple], bool]:
    """The rows (lexical values, in head order) of SPARQL JSON results, and our truncation flag."""
    doc = json.loads(body.decode("utf-8"))
    if "boolean" in doc:
        return [(str(doc["boolean"]).lower(),)], False
    names = doc["head"]["vars"]
    rows = []
    for binding in doc["results"]["bindings"]:
        rows.append(tuple("_:" if v in binding and binding[v]["type"] == "bnode" else binding.get(v, {}).get("value", "")
                          for v in names))
    return rows, bool(doc.get("truncated"))


# -- latency ------------------------------------------------------------------------------------------------


def ratio(a: float, b: float) -> str:
    value = a / b
    return f"{value:.2f}x" if value < 1 else f"{value:.1f}x"


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def timed_ms(fn, repeat: int):
    """(median ms of ``repeat`` runs after one warm-up, the last result)."""
    result = fn()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return median_ms(times), result


def latency(atlas: Atlas, memory: ox.Store, queries, texts: dict[str, str], endpoints: dict[str, str], repeat: int) -> list[dict]:
    results = []
    store = atlas.store
    for query in queries:
        bindings = bind_params(query, {})
        text = texts[query.name]
        row = {"name": query.name, "params": ", ".join(f"{p.name}={p.default}" for p in query.params)}
        row["inproc"], local = timed_ms(lambda q=query.text, b=bindings: run_query(store, q, b), repeat)
        row["memory"], in_memory = timed_ms(lambda t=text: run_query(memory, t), repeat)
        if bindings:  # the same store, the parameters bound with VALUES as the servers get them
            row["inproc_values"], _ = timed_ms(lambda t=text: run_query(store, t), repeat)
        if local.boolean is not None:
            local_rows = [(str(local.boolean).lower(),)]
        else:
            local_rows = [tuple(lexical(t) for t in r) for r in local.rows]
        row["rows"] = {"inproc": len(local_rows)}
        row["same"] = {"memory": Counter(tuple(lexical(t) for t in r) for r in in_memory.rows) == Counter(local_rows)
                       if in_memory.boolean is None else in_memory.boolean == local.boolean}
        row["rows"]["memory"] = len(in_memory.rows) if in_memory.boolean is None else 1
        for name, endpoint in endpoints.items():
            status, body, first, _ = post(endpoint, text)  # warm-up
            row.setdefault("first", {})[name] = first * 1000
            times = []
            inside = []
            for _ in range(repeat):
                status, body, seconds, headers = post(endpoint, text)
                if status != 200:
                    raise RuntimeError(f"{query.name} at {name}: HTTP {status}: {body[:300]!r}")
                times.append(seconds)
                if "X-Atlas-Query-Time" in headers:  # ours: from taking the request to the worker's answer
                    inside.append(float(headers["X-Atlas-Query-Time"]))
            remote_rows, truncated = rows_of_json(body)
            row[name] = median_ms(times)
            if inside:
                row["ours_inside"] = median_ms(inside)
            row["rows"][name] = len(remote_rows) if not truncated else f"{len(remote_rows)} (truncated)"
            row["same"][name] = Counter(remote_rows) == Counter(local_rows)
        results.append(row)
    return results


# -- throughput ---------------------------------------------------------------------------------------------


def throughput(endpoint: str, mix: list[str], clients: int, duration: float, max_requests: int, backoff: float) -> dict:
    lock = threading.Lock()
    ok_latencies: list[float] = []
    ok_by_query: Counter = Counter()
    statuses: Counter = Counter()
    retry_after: Counter = Counter()
    failures: Counter = Counter()
    start = threading.Barrier(clients + 1)
    deadline_box: list[float] = []

    def client(index: int) -> None:
        start.wait()
        deadline = deadline_box[0]
        mine_ok, mine_status, mine_retry, mine_fail, mine_by_query = [], Counter(), Counter(), Counter(), Counter()
        position = index % len(mix)
        for _ in range(max_requests):
            if time.monotonic() >= deadline:
                break
            current = position
            try:
                status, _body, seconds, headers = post(endpoint, mix[current])
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as error:
                mine_fail[type(getattr(error, "reason", error)).__name__] += 1
                time.sleep(0.01)
                continue
            finally:
                position = (position + 1) % len(mix)
            mine_status[status] += 1
            if status == 200:
                mine_ok.append(seconds)
                mine_by_query[current] += 1
            elif status in (503, 429):
                mine_retry[headers.get("Retry-After", "none")] += 1
                if backoff:
                    time.sleep(backoff)
        with lock:
            ok_latencies.extend(mine_ok)
            statuses.update(mine_status)
            retry_after.update(mine_retry)
            failures.update(mine_fail)
            ok_by_query.update(mine_by_query)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    began = time.monotonic()
    deadline_box.append(began + duration)
    start.wait()
    for thread in threads:
        thread.join(duration + REQUEST_TIMEOUT + 5)
    elapsed = time.monotonic() - began
    ok_latencies.sort()

    def pct(p: float) -> float:
        if not ok_latencies:
            return float("nan")
        return ok_latencies[min(len(ok_latencies) - 1, round(p * (len(ok_latencies) - 1)))] * 1000

    answers = sum(statuses.values())
    return {"clients": clients, "elapsed": elapsed, "answers": answers, "ok": statuses.get(200, 0),
            "busy": statuses.get(503, 0) + statuses.get(429, 0), "other": answers - statuses.get(200, 0) - statuses.get(503, 0) - statuses.get(429, 0),
            "failures": sum(failures.values()), "failure_kinds": dict(failures), "retry_after": dict(retry_after),
            "p50": pct(0.50), "p95": pct(0.95), "alive": sum(t.is_alive() for t in threads), "by_query": ok_by_query}


# -- main ---------------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per throughput run (default 10)")
    parser.add_argument("--clients", default="1,4,16", help="concurrent clients per throughput run (default 1,4,16)")
    parser.add_argument("--max-requests", type=int, default=20_000, help="bound on requests per client and run")
    parser.add_argument("--backoff", type=float, default=0.0, help="seconds a client waits after a 503/429 (default 0)")
    parser.add_argument("--root", default=str(ROOT))
    args = parser.parse_args()
    root = Path(args.root).resolve()
    clients = [int(c) for c in args.clients.split(",") if c.strip()]
    if OXIGRAPH is None:
        sys.exit("the oxigraph CLI is not installed (pip install oxigraph)")
    oxigraph_version = subprocess.run([OXIGRAPH, "--version"], capture_output=True, text=True, check=True).stdout.strip()

    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="atlas-bench-endpoint-"))
    procs: list[subprocess.Popen] = []
    try:
        atlas = Atlas.open(root, work / "store")
        atlas.build()
        triples = len(atlas.store)
        files = len(source_files(root))
        queries = [q for q in atlas.saved_queries() if "federated" not in q.tags]
        skipped = [q.name for q in atlas.saved_queries() if "federated" in q.tags]
        texts = {q.name: remote_text(q) for q in queries}

        ours_proc, ours = start_ours(root, work / "store", work / "ours.log")
        procs.append(ours_proc)
        oxi_proc, oxi = start_oxigraph(work / "oxigraph", work / "oxigraph.log")
        procs.append(oxi_proc)
        started = time.perf_counter()
        report = publish(atlas.store, oxi)
        load_seconds = time.perf_counter() - started
        _, body, _, _ = post(oxi, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        oxi_quads = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])

        endpoints = {"ours": ours, "oxigraph": oxi}
        cpu_start = (time.monotonic(), machine_busy(), tree_cpu(os.getpid()))
        # what each of our query workers holds: an in-memory copy of the store, loaded from its N-Quads
        memory = ox.Store()
        memory.bulk_load(atlas.store.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
        lat = latency(atlas, memory, queries, texts, endpoints, args.repeat)
        del memory
        floor = {}
        for name, endpoint in endpoints.items():  # the cost of a request that does nothing
            floor[name], _ = timed_ms(lambda endpoint=endpoint: post(endpoint, "ASK {}"), max(args.repeat, 20))
        mix = [texts[q.name] for q in queries]
        runs = []
        for name, endpoint in endpoints.items():
            for count in clients:
                result = throughput(endpoint, mix, count, args.duration, args.max_requests, args.backoff)
                result["server"] = name
                runs.append(result)
                time.sleep(1.0)  # let a queue drain between runs
        cpu_end = (time.monotonic(), machine_busy(), tree_cpu(os.getpid()))
        atlas.close()
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)

    others = ""
    if None not in cpu_start and None not in cpu_end:
        wall = cpu_end[0] - cpu_start[0]
        other = max(0.0, (cpu_end[1] - cpu_start[1]) - (cpu_end[2] - cpu_start[2]))
        others = (f"; during the measurements ({wall:.0f} s) processes other than this benchmark and its servers used "
                  f"{other:.1f} CPU-seconds of the {wall * (os.cpu_count() or 1):.0f} the machine had ({100 * other / (wall * (os.cpu_count() or 1)):.0f}%)")

    # -- the Markdown -----------------------------------------------------------------------------------
    print(f"{files} files, {triples} quads ({oxi_quads} in oxigraph serve after publish: {report.count('created') + report.count('replaced')} "
          f"graph PUTs, {load_seconds:.2f} s); {len(queries)} saved queries"
          + (f" ({', '.join(skipped)} skipped: tagged federated)" if skipped else "")
          + f"; Python {sys.version.split()[0]}, pyoxigraph {ox.__version__}, {oxigraph_version}, {os.cpu_count()} cores, "
          f"{platform.system()} {platform.machine()}; load average (1 min) {load_before[0]:.2f} at the start" + others + "\n")
    print(f"## Latency per saved query (median of {args.repeat} after one warm-up, ms)\n")
    print("in-process = `run_query` on the on-disk store (as `llm-atlas query`); in-memory = the same engine on an in-memory "
          "copy with the servers' query text (what each of our workers runs, without HTTP); ours = `llm-atlas serve`; "
          "oxigraph = `oxigraph serve --union-default-graph` (on-disk store). Both servers over HTTP on 127.0.0.1.\n")
    print("| query | rows | in-process | in-memory | ours (HTTP) | oxigraph serve (HTTP) | ours / in-process | oxigraph / in-process "
          "| ours / oxigraph | ours / in-memory |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    mismatches = []
    for row in lat:
        counts = row["rows"]
        if len({str(v) for v in counts.values()}) != 1:
            mismatches.append(f"{row['name']}: rows in-process {counts['inproc']}, in-memory {counts['memory']}, ours {counts['ours']}, "
                              f"oxigraph {counts['oxigraph']}")
        for name in ("memory", "ours", "oxigraph"):
            if not row["same"][name] and counts[name] == counts["inproc"]:
                mismatches.append(f"{row['name']}: {name} has as many rows as in-process but not the same rows")
        label = row["name"] + (f" ({row['params']})" if row["params"] else "")
        shown = str(counts["inproc"]) if len({str(v) for v in counts.values()}) == 1 else \
            " / ".join(str(counts[k]) for k in ("inproc", "memory", "ours", "oxigraph"))

        def cells(r: dict, digits: int) -> str:
            return (f"{r['inproc']:.{digits}f} | {r['memory']:.{digits}f} | {r['ours']:.{digits}f} | {r['oxigraph']:.{digits}f} | "
                    f"{ratio(r['ours'], r['inproc'])} | {ratio(r['oxigraph'], r['inproc'])} | {ratio(r['ours'], r['oxigraph'])} | "
                    f"{ratio(r['ours'], r['memory'])}")

        print(f"| {label} | {shown} | {cells(row, 2)} |")
    keys = ("inproc", "memory", "ours", "oxigraph")
    print(f"| **all {len(lat)} (sum of medians)** | | {cells({k: sum(r[k] for r in lat) for k in keys}, 1)} |")
    print(f"| **median query** | | {cells({k: statistics.median(r[k] for r in lat) for k in keys}, 2)} |")
    print()
    for row in lat:
        if "inproc_values" in row:
            print(f"{row['name']} in-process with its parameter bound by VALUES (the servers' text) instead of a substitution: "
                  f"{row['inproc_values']:.2f} ms against {row['inproc']:.2f} ms.\n")
    if mismatches:
        print("Mismatches: " + "; ".join(mismatches) + ".\n")
    else:
        print(f"Row counts equal across in-process, in-memory, ours and oxigraph serve for all {len(lat)} queries, "
              "and the rows themselves equal as multisets.\n")
    inside = [r["ours_inside"] for r in lat if "ours_inside" in r]
    if len(inside) == len(lat):
        print(f"Of our server's time, the part from admitting a query to the worker's serialised answer (its `X-Atlas-Query-Time` "
              f"header, ms resolution; sum of medians): {sum(inside):.1f} ms of {sum(r['ours'] for r in lat):.1f} ms; the rest is "
              "HTTP, the request thread and the client.\n")
    print(f"Per-request floor, `ASK {{}}` over HTTP (median of {max(args.repeat, 20)}): ours {floor['ours']:.2f} ms, "
          f"oxigraph serve {floor['oxigraph']:.2f} ms.\n")
    first_ours = sum(r["first"]["ours"] for r in lat)
    first_oxi = sum(r["first"]["oxigraph"] for r in lat)
    print(f"Warm-up (first request of each query, summed): ours {first_ours:.0f} ms, oxigraph serve {first_oxi:.0f} ms. "
          "Our workers check each query with rdflib before running it and remember the verdict per worker, "
          "so a query's first request on each worker pays that parse.\n")

    print(f"## Throughput on loopback ({args.duration:g} s per run, clients are threads of one Python process)\n")
    print(f"Each client loops over the {len(mix)} queries above (one each, in order); after a 503/429 it goes on with the next "
          f"query {'at once' if not args.backoff else f'after {args.backoff:g} s'} (it does not wait the Retry-After).\n")
    slowest = sorted(range(len(lat)), key=lambda i: -lat[i]["memory"])[:5]
    print(f"Slow share: the part of the 200 answers that are of the five slowest queries ({', '.join(lat[i]['name'] for i in slowest)}; "
          f"{100 * len(slowest) / len(lat):.0f}% of the mix), to show whether the answers that got through were the cheap ones.\n")
    print("| server | clients | answers/s (all) | answers/s (200) | p50 ms (200) | p95 ms (200) | 200 | slow share | "
          "503/429 (Retry-After) | other status | failed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        retry = ", ".join(f"{k} s: {v}" for k, v in sorted(run["retry_after"].items())) if run["retry_after"] else ""
        busy = f"{run['busy']}" + (f" ({retry})" if retry else "")
        failed = f"{run['failures']}" + (f" ({', '.join(f'{k} {v}' for k, v in run['failure_kinds'].items())})" if run["failures"] else "")
        label = "ours" if run["server"] == "ours" else "oxigraph serve"
        share = f"{100 * sum(run['by_query'][i] for i in slowest) / run['ok']:.0f}%" if run["ok"] else "-"
        print(f"| {label} | {run['clients']} | {run['answers'] / run['elapsed']:.1f} | {run['ok'] / run['elapsed']:.1f} | "
              f"{run['p50']:.1f} | {run['p95']:.1f} | {run['ok']} | {share} | {busy} | {run['other']} | {failed} |")
    by = {(r["server"], r["clients"]): r for r in runs}
    print()
    ratios = []
    for count in clients:
        a, b = by.get(("ours", count)), by.get(("oxigraph", count))
        if a and b and b["ok"]:
            ratios.append(f"{count} client{'s' if count != 1 else ''}: {(a['ok'] / a['elapsed']) / (b['ok'] / b['elapsed']):.2f}x")
    print("Successful answers per second, ours / oxigraph serve: " + "; ".join(ratios) + ".")
    if any(r["alive"] for r in runs):
        print("\nWarning: some client threads were still running when a run was cut off.")


if __name__ == "__main__":
    main()
