"""Where the endpoint's time per request goes: `llm-atlas serve`, a relay that does nothing, and `oxigraph serve`.

    python benchmarks/bench_relay.py [--root PATH] [--store PATH] [--repeat N] [--rounds R]

Three servers answer the same texts (`ASK {}` and every saved query but the federated ones, as
`bench_endpoint.py` sends them: `remote.remote_text`, one urllib POST per request, no keep-alive):

- ours: `llm-atlas serve` with its defaults (guard, admission, row cap, access log, its own engine);
- relay: uvicorn (httptools, uvloop, the protocol and limits `serve` configures) with a bare ASGI
  application that reads the body and passes it to the same `oxigraph serve` over one kept-alive connection
  (the engine client `llm-atlas serve` uses, `query_engine._Connection`), answering with the engine's JSON
  untouched: the least any Python front in this design can cost;
- oxigraph: `oxigraph serve --union-default-graph` in memory, asked directly (the relay's engine).

For each text, R rounds; in each round the three servers take turns, N requests each, and the round's mean
is kept; the figure is the median of the rounds. So the machine's drift falls on all three alike.

`ours / relay` is what the endpoint's own work costs (guard, protocol, admission, rendering, the log);
`relay / oxigraph` is the price of a relay in Python, which no change inside the endpoint can remove.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_endpoint import OXIGRAPH, ROOT, free_port, post, start_ours, start_oxigraph, stop, wait_http  # noqa: E402

from llm_atlas import Atlas  # noqa: E402
from llm_atlas.remote import remote_text  # noqa: E402

RELAY = r'''
import sys, uvicorn
from llm_atlas.http_app import protocol_with_head_deadline
from llm_atlas.query_engine import _Connection

port, engine_port = int(sys.argv[1]), int(sys.argv[2])
idle = []

async def relay(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    connection = idle.pop() if idle else await _Connection.open("127.0.0.1", engine_port)
    try:
        status, answer, _ = await connection.request("/query", body, "application/sparql-results+json", None)
    except (ConnectionError, OSError):  # the engine closed the kept-alive connection: once more on a new one
        connection = await _Connection.open("127.0.0.1", engine_port)
        status, answer, _ = await connection.request("/query", body, "application/sparql-results+json", None)
    if connection.reusable:
        idle.append(connection)
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/sparql-results+json")]})
    await send({"type": "http.response.body", "body": answer})

uvicorn.Server(uvicorn.Config(relay, host="127.0.0.1", port=port, http=protocol_with_head_deadline(10.0), loop="uvloop",
                              lifespan="off", limit_concurrency=1024, timeout_keep_alive=5, server_header=False,
                              access_log=False, log_level="warning")).run()
'''


def start_relay(engine_url: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    engine_port = int(engine_url.rsplit(":", 1)[1].split("/", 1)[0])
    err = open(log, "w")  # noqa: SIM115 - closed with the process by stop()
    proc = subprocess.Popen([sys.executable, "-c", RELAY, str(port), str(engine_port)], stdout=subprocess.DEVNULL, stderr=err)
    proc._bench_log = err  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{port}/sparql"
    wait_http(url, proc)
    return proc, url


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", default=str(ROOT))
    parser.add_argument("--store", help="a store built from --root to use (default: built into a temporary folder)")
    parser.add_argument("--repeat", type=int, default=20, help="requests per server in each round (default 20)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds per text (default 5)")
    args = parser.parse_args()
    if OXIGRAPH is None:
        sys.exit("the oxigraph CLI is not installed (pip install oxigraph)")
    root = Path(args.root).resolve()
    work = Path(tempfile.mkdtemp(prefix="atlas-bench-relay-"))
    procs: list[subprocess.Popen] = []
    load_before = os.getloadavg()
    try:
        atlas = Atlas.open(root, args.store or work / "store")
        atlas.build()
        queries = [q for q in atlas.saved_queries() if "federated" not in q.tags]
        texts = {"ASK {}": "ASK {}"} | {q.name: remote_text(q) for q in queries}
        nquads = work / "atlas.nq"
        atlas.store.dump(output=str(nquads), format=ox.RdfFormat.N_QUADS)
        store_dir = atlas.store_dir
        atlas.close()
        ours_proc, ours, _ = start_ours(root, store_dir, work / "ours.log")
        procs.append(ours_proc)
        oxi_proc, oxi, _ = start_oxigraph(work / "oxigraph.log", nquads)
        procs.append(oxi_proc)
        relay_proc, relay = start_relay(oxi, work / "relay.log")
        procs.append(relay_proc)
        servers = {"ours": ours, "relay": relay, "oxigraph": oxi}

        rows = []
        for name, text in texts.items():
            for url in servers.values():  # warm-up: the guard reads each text once
                status, _, _, _ = post(url, text)
                if status != 200:
                    raise RuntimeError(f"{name}: HTTP {status} from {url}")
            means: dict[str, list[float]] = {server: [] for server in servers}
            for _ in range(args.rounds):
                for server, url in servers.items():
                    started = time.perf_counter()
                    for _ in range(args.repeat):
                        post(url, text)
                    means[server].append((time.perf_counter() - started) / args.repeat * 1000)
            rows.append((name, {server: statistics.median(values) for server, values in means.items()}))
    finally:
        for proc in procs:
            stop(proc)

    print(f"{len(texts)} texts; {args.rounds} rounds of {args.repeat} requests per server and text; Python "
          f"{platform.python_version()}, pyoxigraph {ox.__version__}, {os.cpu_count()} cores; load average (1 min) "
          f"{load_before[0]:.2f} at the start, {os.getloadavg()[0]:.2f} at the end\n")
    print("| text | ours ms | relay ms | oxigraph ms | ours / oxigraph | relay / oxigraph | ours / relay |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, t in rows:
        print(f"| {name} | {t['ours']:.2f} | {t['relay']:.2f} | {t['oxigraph']:.2f} | {t['ours'] / t['oxigraph']:.2f}x | "
              f"{t['relay'] / t['oxigraph']:.2f}x | {t['ours'] / t['relay']:.2f}x |")
    sums = {server: sum(t[server] for _, t in rows[1:]) for server in ("ours", "relay", "oxigraph")}
    print(f"| **saved queries, sum** | {sums['ours']:.1f} | {sums['relay']:.1f} | {sums['oxigraph']:.1f} | "
          f"{sums['ours'] / sums['oxigraph']:.2f}x | {sums['relay'] / sums['oxigraph']:.2f}x | {sums['ours'] / sums['relay']:.2f}x |")
    ratios = {key: statistics.median(t[a] / t[b] for _, t in rows[1:])
              for key, (a, b) in {"ours/oxigraph": ("ours", "oxigraph"), "relay/oxigraph": ("relay", "oxigraph"),
                                  "ours/relay": ("ours", "relay")}.items()}
    print(f"| **saved queries, median ratio** | | | | {ratios['ours/oxigraph']:.2f}x | {ratios['relay/oxigraph']:.2f}x | "
          f"{ratios['ours/relay']:.2f}x |")


if __name__ == "__main__":
    main()
