"""The `llm-atlas serve` SPARQL endpoint against `oxigraph serve` holding the same data in memory.

    python benchmarks/bench_endpoint.py [--repeat N] [--duration S] [--clients 1,4,16] [--root PATH]
                                        [--store PATH] [--skip-in-process] [--skip NAME,...]

The atlas at ``--root`` (default: this repository; a synthetic checkout from `benchmarks/generate.py` for the
scale runs) is built into ``--store`` (default: a temporary store); nothing of the checkout is written. The
same saved queries (every one of queries/ but those tagged `federated`, with their default parameters) run:

- in-process: `run_query` on the persistent store (what `llm-atlas query` does; `--skip-in-process` leaves it
  out, it takes minutes at 10^6);
- in-memory (for reference): pyoxigraph on an in-memory copy, given the servers' text;
- ours: `llm-atlas serve --host 127.0.0.1 --port 0` in a subprocess, with its defaults, measured once its
  in-memory engine has taken over (header `X-Atlas-Engine: memory`);
- oxigraph serve: the `oxigraph` CLI (the same Oxigraph as pyoxigraph and as our engine) in memory,
  `oxigraph serve --bind 127.0.0.1:PORT --union-default-graph --timeout-s 10`, loaded with one
  `POST /store?no_transaction` of the store's N-Quads.

Both servers get the same text: `remote.remote_text(query)` (the shared prefixes declared, the parameters
bound with a VALUES block), by urllib POST `application/sparql-query` with `Accept: application/sparql-results+json`,
one connection per request. An HTTP time is from the request to the last byte of the body. Each query: one
warm-up, then the median of N runs, the two servers taking turns. Row counts are compared across all of them, and the rows themselves as
multisets of lexical values (blank nodes as `_:`).

Throughput: C client threads (in this process, urllib, no keep-alive) each loop for `--duration` seconds over
the same mix, against each server in turn; a 503 is counted and the client goes on at once.

Start-up and memory: seconds from starting each server to its first answer (ours: also to the in-memory
engine taking over; oxigraph: after its load); PSS (proportional set size: shared pages counted once) of
every process of each server, sampled every half second through the whole run (the peak and the end), against
one in-memory copy (pyoxigraph loading the same N-Quads in a fresh process: its RSS growth). And the design
not taken, for comparison: pyoxigraph loaded once, then two forked workers running the mix (PSS of the three).
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


def start_ours(root: Path, store: Path, log: Path) -> tuple[subprocess.Popen, str, dict]:
    """`llm-atlas serve` on a port the OS picks; the URL is read from the line it prints when ready.
    Returns the process, the endpoint and the seconds from the start to the first answer and to memory."""
    err = open(log, "w")  # noqa: SIM115 - closed with the process below
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "llm_atlas", "--root", str(root), "--store", str(store), "serve",
                             "--host", "127.0.0.1", "--port", "0"], stdout=subprocess.DEVNULL, stderr=err)
    proc._bench_log = err  # type: ignore[attr-defined]
    deadline = time.monotonic() + START_TIMEOUT * 5
    url = None
    while time.monotonic() < deadline and url is None:
        if proc.poll() is not None:
            raise RuntimeError(f"llm-atlas serve exited with {proc.returncode}: {log.read_text()[-2000:]}")
        for line in log.read_text().splitlines():
            if line.startswith("LLM Atlas at http://"):
                url = line.split()[3].rstrip("/")
                break
        else:
            time.sleep(0.02)
    if url is None:
        raise RuntimeError("llm-atlas serve did not start")
    times = {}
    while time.monotonic() < deadline:
        try:
            status, _, _, headers = post(url + "/sparql", "ASK {}")
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.02)
            continue
        if status == 200:
            times.setdefault("first", time.monotonic() - started)
            if headers.get("x-atlas-engine") == "memory":
                times["memory"] = time.monotonic() - started
                break
        time.sleep(0.05)
    return proc, url + "/sparql", times


def start_oxigraph(log: Path, nquads: Path) -> tuple[subprocess.Popen, str, dict]:
    """`oxigraph serve` in memory, loaded with the N-Quads file; the seconds to its first answer after the load."""
    port = free_port()
    err = open(log, "w")  # noqa: SIM115
    started = time.monotonic()
    proc = subprocess.Popen([OXIGRAPH, "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph", "--timeout-s", "10"],
                            stdout=subprocess.DEVNULL, stderr=err)
    proc._bench_log = err  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}"
    wait_http(url + "/query?query=ASK%7B%7D", proc)
    with open(nquads, "rb") as body:
        request = urllib.request.Request(url + "/store?no_transaction", data=body, method="POST",
                                         headers={"Content-Type": "application/n-quads", "Content-Length": str(nquads.stat().st_size)})
        with urllib.request.urlopen(request, timeout=3600) as response:
            response.read()
    status, _, _, _ = post(url + "/query", "ASK {}")
    return proc, url + "/query", {"first": time.monotonic() - started}


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
    """(status, body, seconds to the last byte, headers by lower-case name) of one POST application/sparql-query."""
    request = urllib.request.Request(endpoint, data=text.encode("utf-8"), method="POST",
                                     headers={"Content-Type": "application/sparql-query", "Accept": JSON_RESULTS})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
            body = response.read()
            return response.status, body, time.perf_counter() - started, {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        body = error.read() if error.fp else b""
        return error.code, body, time.perf_counter() - started, {k.lower(): v for k, v in (error.headers or {}).items()}


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


def latency(store: ox.Store | None, memory: ox.Store, queries, texts: dict[str, str], endpoints: dict[str, str], repeat: int) -> list[dict]:
    """Per query: medians in-process (when ``store`` is given), in memory, and over HTTP at each endpoint."""
    results = []
    for query in queries:
        text = texts[query.name]
        row = {"name": query.name, "params": ", ".join(f"{p.name}={p.default}" for p in query.params)}
        row["memory"], in_memory = timed_ms(lambda t=text: run_query(memory, t), repeat)
        reference = in_memory
        if store is not None:
            bindings = bind_params(query, {})
            row["inproc"], reference = timed_ms(lambda q=query.text, b=bindings: run_query(store, q, b), repeat)
        if reference.boolean is not None:
            reference_rows = [(str(reference.boolean).lower(),)]
        else:
            reference_rows = [tuple(lexical(t) for t in r) for r in reference.rows]
        row["rows"] = {"reference": len(reference_rows)}
        row["same"] = {"memory": Counter(tuple(lexical(t) for t in r) for r in in_memory.rows) == Counter(reference_rows)
                       if in_memory.boolean is None else in_memory.boolean == reference.boolean}
        for name, endpoint in endpoints.items():
            status, body, first, _ = post(endpoint, text)  # warm-up
            row.setdefault("first", {})[name] = first * 1000
        times: dict[str, list[float]] = {name: [] for name in endpoints}
        bodies: dict[str, bytes] = {}
        failed: dict[str, str] = {}
        for attempt in range(repeat):  # the servers take turns, so that a change in the machine's load hits both
            order = list(endpoints.items()) if attempt % 2 == 0 else list(reversed(endpoints.items()))
            for name, endpoint in order:
                if name in failed:
                    continue
                status, body, seconds, _ = post(endpoint, text)
                if status != 200:  # a timeout at scale: the query is left out of the sums, and said so
                    failed[name] = f"HTTP {status}: {body[:120].decode('utf-8', 'replace').strip()}"
                    continue
                try:
                    rows_of_json(body)
                except ValueError:  # oxigraph serve's own timeout: a 200 whose JSON ends with the error
                    failed[name] = "cancelled while writing the answer: " + body[-80:].decode("utf-8", "replace").strip()
                    continue
                times[name].append(seconds)
                bodies[name] = body
        row["failed"] = failed
        for name in endpoints:
            if name in failed:
                row[name] = float("nan")
                row["rows"][name] = "failed"
                row["same"][name] = False
                continue
            remote_rows, truncated = rows_of_json(bodies[name])
            row[name] = median_ms(times[name])
            row["rows"][name] = len(remote_rows) if not truncated else f"{len(remote_rows)} (truncated)"
            row["same"][name] = Counter(remote_rows) == Counter(reference_rows)
        results.append(row)
    return results


# -- memory -------------------------------------------------------------------------------------------------


def pss_kib(pid: int) -> int:
    """Proportional set size of a process (KiB): its private pages, plus its share of the shared ones."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree(root: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    mine, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        children = [pid for pid, ppid in parents.items() if ppid == parent and pid not in mine]
        mine.update(children)
        frontier.extend(children)
    return sorted(mine)


class MemorySampler:
    """PSS of each server's processes every half second: the peak and the last sample (MiB)."""

    def __init__(self):
        self.servers: dict[str, int] = {}
        self.peak: dict[str, float] = {}
        self.last: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def watch(self, name: str, pid: int) -> None:
        self.servers[name] = pid

    def start(self) -> MemorySampler:
        self._thread.start()
        return self

    def sample(self) -> None:
        for name, pid in list(self.servers.items()):
            mib = sum(pss_kib(p) for p in tree(pid)) / 1024
            self.last[name] = mib
            self.peak[name] = max(self.peak.get(name, 0.0), mib)

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sample()


ONE_COPY = """
import sys, pyoxigraph as ox
def rss():
    return next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS'))
before = rss()
store = ox.Store()
store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS)
print(rss() - before)
"""

FORK_PROBE = """
import json, os, sys, pyoxigraph as ox
def pss(pid):
    return next(int(l.split()[1]) for l in open(f'/proc/{pid}/smaps_rollup') if l.startswith('Pss:'))
store = ox.Store()
store.bulk_load(path=sys.argv[1], format=ox.RdfFormat.N_QUADS)
mix = json.loads(open(sys.argv[2]).read())
loaded = pss(os.getpid())
children = []
for _ in range(2):
    done_r, done_w = os.pipe()
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        for text in mix:
            result = store.query(text, use_default_graph_as_union=True)
            if not isinstance(result, ox.QueryBoolean):
                for _row in result:
                    pass
        os.write(done_w, b'x')
        os.read(go_r, 1)
        os._exit(0)
    children.append((pid, done_r, go_w))
for pid, done_r, go_w in children:
    os.read(done_r, 1)
total = pss(os.getpid()) + sum(pss(pid) for pid, _, _ in children)
for pid, _, go_w in children:
    os.write(go_w, b'x')
    os.waitpid(pid, 0)
print(json.dumps({"loaded": loaded, "after": total}))
"""


def one_copy_mib(nquads: Path) -> float:
    out = subprocess.run([sys.executable, "-c", ONE_COPY, str(nquads)], capture_output=True, text=True, check=True).stdout
    return int(out.strip()) / 1024


def fork_probe_mib(nquads: Path, mix: list[str], work: Path) -> dict:
    mix_file = work / "mix.json"
    mix_file.write_text(json.dumps(mix))
    out = subprocess.run([sys.executable, "-c", FORK_PROBE, str(nquads), str(mix_file)], capture_output=True, text=True, check=True).stdout
    found = json.loads(out)
    return {k: v / 1024 for k, v in found.items()}


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
                mine_retry[headers.get("retry-after", "none")] += 1
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
    parser.add_argument("--store", help="a store built from --root to use (default: built into a temporary folder)")
    parser.add_argument("--skip-in-process", action="store_true", help="leave out the in-process runs on the on-disk store")
    parser.add_argument("--skip", default="", help="saved queries to leave out, comma-separated (ones slower than the timeout at scale)")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    clients = [int(c) for c in args.clients.split(",") if c.strip()]
    if OXIGRAPH is None:
        sys.exit("the oxigraph CLI is not installed (pip install oxigraph)")
    oxigraph_version = subprocess.run([OXIGRAPH, "--version"], capture_output=True, text=True, check=True).stdout.strip()

    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="atlas-bench-endpoint-"))
    procs: list[subprocess.Popen] = []
    sampler = MemorySampler()
    try:
        atlas = Atlas.open(root, args.store or work / "store")
        started = time.perf_counter()
        atlas.build()
        build_seconds = time.perf_counter() - started
        triples = len(atlas.store)
        files = len(source_files(root))
        left_out = {name.strip() for name in args.skip.split(",") if name.strip()}
        queries = [q for q in atlas.saved_queries() if "federated" not in q.tags and q.name not in left_out]
        skipped = [q.name for q in atlas.saved_queries() if "federated" in q.tags] + sorted(left_out)
        texts = {q.name: remote_text(q) for q in queries}
        nquads = work / "atlas.nq"
        atlas.store.dump(output=str(nquads), format=ox.RdfFormat.N_QUADS)
        atlas.close()

        ours_proc, ours, ours_times = start_ours(root, atlas.store_dir, work / "ours.log")
        procs.append(ours_proc)
        sampler.watch("ours", ours_proc.pid)
        oxi_proc, oxi, oxi_times = start_oxigraph(work / "oxigraph.log", nquads)
        procs.append(oxi_proc)
        sampler.watch("oxigraph", oxi_proc.pid)
        sampler.start()
        _, body, _, _ = post(oxi, "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
        oxi_quads = int(json.loads(body)["results"]["bindings"][0]["n"]["value"])

        endpoints = {"ours": ours, "oxigraph": oxi}
        cpu_start = (time.monotonic(), machine_busy(), tree_cpu(os.getpid()))
        memory = ox.Store()
        memory.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        store = None if args.skip_in_process else Atlas.open(root, atlas.store_dir).store
        lat = latency(store, memory, queries, texts, endpoints, args.repeat)
        del memory, store
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
        sampler.stop()
        for proc in procs:
            stop(proc)
        procs = []
        copy_mib = one_copy_mib(nquads)
        fork = fork_probe_mib(nquads, mix, work)
    finally:
        for proc in procs:
            stop(proc)
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()

    others = ""
    if None not in cpu_start and None not in cpu_end:
        wall = cpu_end[0] - cpu_start[0]
        other = max(0.0, (cpu_end[1] - cpu_start[1]) - (cpu_end[2] - cpu_start[2]))
        others = (f"; during the measurements ({wall:.0f} s) processes other than this benchmark and its servers used "
                  f"{other:.1f} CPU-seconds of the {wall * (os.cpu_count() or 1):.0f} the machine had ({100 * other / (wall * (os.cpu_count() or 1)):.0f}%)")

    # -- the Markdown -----------------------------------------------------------------------------------
    print(f"{files} files, {triples} quads ({oxi_quads} in oxigraph serve after its load); built in {build_seconds:.1f} s; "
          f"{len(queries)} saved queries" + (f" ({', '.join(skipped)} skipped: federated, or left out with --skip)" if skipped else "")
          + f"; Python {sys.version.split()[0]}, pyoxigraph {ox.__version__}, {oxigraph_version}, {os.cpu_count()} cores, "
          f"{platform.system()} {platform.machine()}; load average (1 min) {load_before[0]:.2f} at the start, "
          f"{load_after[0]:.2f} at the end" + others + "\n")

    print("## Start-up and memory\n")
    print("| | ours (`llm-atlas serve`) | oxigraph serve (in memory) |")
    print("|---|---:|---:|")
    print(f"| first answer (s from the start) | {ours_times.get('first', float('nan')):.1f} | {oxi_times['first']:.1f} (after its load) |")
    print(f"| answering from memory (s from the start) | {ours_times.get('memory', float('nan')):.1f} | {oxi_times['first']:.1f} |")
    print(f"| PSS at the end (MiB, every process) | {sampler.last['ours']:.0f} | {sampler.last['oxigraph']:.0f} |")
    print(f"| PSS at the peak (MiB) | {sampler.peak['ours']:.0f} | {sampler.peak['oxigraph']:.0f} |")
    print(f"| / one in-memory copy ({copy_mib:.0f} MiB), end | {sampler.last['ours'] / copy_mib:.2f}x | {sampler.last['oxigraph'] / copy_mib:.2f}x |")
    print(f"| / one in-memory copy, peak | {sampler.peak['ours'] / copy_mib:.2f}x | {sampler.peak['oxigraph'] / copy_mib:.2f}x |")
    print()
    print(f"One in-memory copy: pyoxigraph loading the same N-Quads in a fresh process grows by {copy_mib:.0f} MiB. "
          f"The design not taken, pyoxigraph loaded once and two forked workers running the mix once each: "
          f"{fork['loaded']:.0f} MiB loaded, {fork['after']:.0f} MiB PSS for the three after ({fork['after'] / copy_mib:.2f}x one copy): "
          "reading the in-memory store writes to its pages, so the children stop sharing them.\n")

    print(f"## Latency per saved query (median of {args.repeat} after one warm-up, ms)\n")
    inproc = "inproc" in lat[0]
    print(("in-process = `run_query` on the on-disk store (as `llm-atlas query`); " if inproc else "")
          + "in-memory = pyoxigraph on an in-memory copy with the servers' text, without HTTP; ours = `llm-atlas serve`; "
          "oxigraph = `oxigraph serve --union-default-graph` in memory. Both servers over HTTP on 127.0.0.1.\n")
    keys = (["inproc"] if inproc else []) + ["memory", "ours", "oxigraph"]
    names = {"inproc": "in-process", "memory": "in-memory", "ours": "ours (HTTP)", "oxigraph": "oxigraph serve (HTTP)"}
    print("| query | rows | " + " | ".join(names[k] for k in keys) + " | ours / oxigraph | ours / in-memory |")
    print("|---|---:|" + "---:|" * (len(keys) + 2))
    mismatches = []

    def cells(r: dict, digits: int) -> str:
        return " | ".join(f"{r[k]:.{digits}f}" for k in keys) + f" | {ratio(r['ours'], r['oxigraph'])} | {ratio(r['ours'], r['memory'])}"

    failures = [row for row in lat if row["failed"]]
    lat = [row for row in lat if not row["failed"]]
    for row in lat:
        counts = row["rows"]
        if len({str(v) for v in counts.values()}) != 1:
            mismatches.append(f"{row['name']}: rows " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        for name in ("memory", "ours", "oxigraph"):
            if not row["same"][name] and counts.get(name) == counts["reference"]:
                mismatches.append(f"{row['name']}: {name} has as many rows as the reference but not the same rows")
        label = row["name"] + (f" ({row['params']})" if row["params"] else "")
        print(f"| {label} | {counts['reference']} | {cells(row, 2)} |")
    print(f"| **all {len(lat)} (sum of medians)** | | {cells({k: sum(r[k] for r in lat) for k in keys}, 1)} |")
    print(f"| **median query** | | {cells({k: statistics.median(r[k] for r in lat) for k in keys}, 2)} |")
    print()
    for row in failures:
        print(f"Left out of the table: {row['name']} ({'; '.join(f'{k} {v}' for k, v in row['failed'].items())}).\n")
    worst = max(lat, key=lambda r: r["ours"] / r["oxigraph"])
    print(f"Slowest against oxigraph serve: {worst['name']}, {ratio(worst['ours'], worst['oxigraph'])}.\n")
    if mismatches:
        print("Mismatches: " + "; ".join(mismatches) + ".\n")
    else:
        print(f"Row counts equal across every column for all {len(lat)} queries, and the rows themselves equal as multisets.\n")
    print(f"Per-request floor, `ASK {{}}` over HTTP (median of {max(args.repeat, 20)}): ours {floor['ours']:.2f} ms, "
          f"oxigraph serve {floor['oxigraph']:.2f} ms.\n")
    first_ours = sum(r["first"]["ours"] for r in lat)
    first_oxi = sum(r["first"]["oxigraph"] for r in lat)
    print(f"Warm-up (first request of each query, summed): ours {first_ours:.0f} ms, oxigraph serve {first_oxi:.0f} ms "
          "(ours pays the SPARQL guard once per new text).\n")

    print(f"## Throughput on loopback ({args.duration:g} s per run, clients are threads of one Python process)\n")
    print(f"Each client loops over the {len(mix)} queries above (one each, in order); after a 503/429 it goes on with the next "
          f"query {'at once' if not args.backoff else f'after {args.backoff:g} s'} (it does not wait the Retry-After).\n")
    print("| server | clients | answers/s (all) | answers/s (200) | p50 ms (200) | p95 ms (200) | 200 | "
          "503/429 (Retry-After) | other status | failed |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        retry = ", ".join(f"{k} s: {v}" for k, v in sorted(run["retry_after"].items())) if run["retry_after"] else ""
        busy = f"{run['busy']}" + (f" ({retry})" if retry else "")
        failed = f"{run['failures']}" + (f" ({', '.join(f'{k} {v}' for k, v in run['failure_kinds'].items())})" if run["failures"] else "")
        label = "ours" if run["server"] == "ours" else "oxigraph serve"
        print(f"| {label} | {run['clients']} | {run['answers'] / run['elapsed']:.1f} | {run['ok'] / run['elapsed']:.1f} | "
              f"{run['p50']:.1f} | {run['p95']:.1f} | {run['ok']} | {busy} | {run['other']} | {failed} |")
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
