"""Where `llm-atlas serve`'s memory goes, process by process, after it has answered every saved query.

    python benchmarks/bench_serve_memory.py --root PATH [--store PATH] [--passes N] [--settle S] [--per-query] [--clients N]

Starts `llm-atlas serve` on the checkout's store (built first if need be), waits for its in-memory engine, sends
every saved query but the federated ones `--passes` times in a row (as `bench_endpoint.py` sends them), waits
`--settle` seconds (the disk engine it started with is retired a timeout after the in-memory one takes over),
and prints the PSS of each of its processes: the server, the engine, the guard. Run it with each revision's
code (``PYTHONPATH=CLONE/src``) to compare them; `bench_endpoint.py` gives the totals against `oxigraph serve`.
``--per-query`` also prints the server process's PSS before and after each query that moves it by 3 MiB or more.
``--clients N`` sends each pass from N concurrent clients, each beginning at its own place in the list (the
engine then holds the working memory of several large queries at once), and prints the PSS right after the
passes as well as after ``--settle``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_endpoint import post, pss_kib, start_ours, stop, tree  # noqa: E402

from llm_atlas import Atlas  # noqa: E402
from llm_atlas.remote import remote_text  # noqa: E402


def processes_of(pids) -> list[tuple[int, str]]:
    """(pid, what) of each process, by its command line: an engine, the guard, or the server."""
    found = []
    for pid in pids:
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        found.append((pid, "engine (disk)" if "serve-read-only" in command else "engine (memory)" if "oxigraph serve" in command
                      else "guard" if "guard_process" in command else "server (Python)"))
    return found


def processes(root_pid: int) -> list[tuple[str, int]]:
    """(what, PSS in MiB) of every process of the server, by its command line."""
    return sorted((what, pss_kib(pid) // 1024) for pid, what in processes_of(tree(root_pid)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--store", help="the checkout's store (default: ROOT/.llm-atlas/store)")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--settle", type=float, default=12.0)
    parser.add_argument("--per-query", action="store_true", help="the server's PSS around each query that moves it")
    parser.add_argument("--clients", type=int, default=1, help="concurrent clients sending each pass (default 1)")
    args = parser.parse_args()
    if args.clients < 1:
        parser.error("--clients takes a number of clients, 1 or more")
    if args.clients > 1 and args.per_query:
        parser.error("--per-query measures one query at a time: it cannot be used with --clients above 1")
    root = Path(args.root).resolve()
    store = Path(args.store).resolve() if args.store else root / ".llm-atlas" / "store"
    atlas = Atlas.open(root, store)
    atlas.build()
    named = [(q.name, remote_text(q)) for q in atlas.saved_queries() if "federated" not in q.tags]
    texts = [text for _, text in named]
    atlas.close()
    proc, url, _ = start_ours(root, store, Path(tempfile.mkdtemp(prefix="atlas-bench-memory-")) / "serve.log")
    try:
        print("after start:", processes(proc.pid), flush=True)
        server = proc.pid  # `llm-atlas serve` itself; its engine and guard are its children
        if args.clients > 1:
            statuses: list[int] = []

            def client(start: int) -> None:
                for _ in range(args.passes):
                    for text in texts[start:] + texts[:start]:
                        statuses.append(post(url, text)[0])

            threads = [threading.Thread(target=client, args=(i * len(texts) // args.clients,)) for i in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rows = processes(proc.pid)
            print(f"right after {args.passes} passes from {args.clients} clients ({statuses.count(200)} answers of 200, "
                  f"{len(statuses) - statuses.count(200)} other):", rows, f"total {sum(mib for _, mib in rows)} MiB", flush=True)
        else:
            for number in range(args.passes):
                for name, text in named:
                    before = pss_kib(server) // 1024 if args.per_query else 0
                    status, body, _, _ = post(url, text)
                    after = pss_kib(server) // 1024 if args.per_query else 0
                    if abs(after - before) >= 3:
                        print(f"pass {number + 1} {name}: {status}, {len(body)} bytes; server {before} -> {after} MiB", flush=True)
        time.sleep(args.settle)
        rows = processes(proc.pid)
        print(f"after {args.passes} passes of {len(texts)} queries and {args.settle:g} s:", rows,
              f"total {sum(mib for _, mib in rows)} MiB", flush=True)
    finally:
        stop(proc)


if __name__ == "__main__":
    main()
