"""Where `llm-atlas serve`'s memory goes, process by process, after it has answered every saved query.

    python benchmarks/bench_serve_memory.py --root PATH [--store PATH] [--passes N] [--settle S]

Starts `llm-atlas serve` on the checkout's store (built first if need be), waits for its in-memory engine, sends
every saved query but the federated ones `--passes` times in a row (as `bench_endpoint.py` sends them), waits
`--settle` seconds (the disk engine it started with is retired a timeout after the in-memory one takes over),
and prints the PSS of each of its processes: the server, the engine, the guard. Run it with each revision's
code (``PYTHONPATH=CLONE/src``) to compare them; `bench_endpoint.py` gives the totals against `oxigraph serve`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_endpoint import post, pss_kib, start_ours, stop, tree  # noqa: E402

from llm_atlas import Atlas  # noqa: E402
from llm_atlas.remote import remote_text  # noqa: E402


def processes(root_pid: int) -> list[tuple[str, int]]:
    """(what, PSS in MiB) of every process of the server, by its command line."""
    rows = []
    for pid in tree(root_pid):
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        what = ("engine (disk)" if "serve-read-only" in command else "engine (memory)" if "oxigraph serve" in command
                else "guard" if "guard_process" in command else "server (Python)")
        rows.append((what, pss_kib(pid) // 1024))
    return sorted(rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--root", required=True)
    parser.add_argument("--store", help="the checkout's store (default: ROOT/.llm-atlas/store)")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--settle", type=float, default=12.0)
    args = parser.parse_args()
    root = Path(args.root).resolve()
    store = Path(args.store).resolve() if args.store else root / ".llm-atlas" / "store"
    atlas = Atlas.open(root, store)
    atlas.build()
    texts = [remote_text(q) for q in atlas.saved_queries() if "federated" not in q.tags]
    atlas.close()
    proc, url, _ = start_ours(root, store, Path(tempfile.mkdtemp(prefix="atlas-bench-memory-")) / "serve.log")
    try:
        print("after start:", processes(proc.pid), flush=True)
        for _ in range(args.passes):
            for text in texts:
                post(url, text)
        time.sleep(args.settle)
        rows = processes(proc.pid)
        print(f"after {args.passes} passes of {len(texts)} queries and {args.settle:g} s:", rows,
              f"total {sum(mib for _, mib in rows)} MiB", flush=True)
    finally:
        stop(proc)


if __name__ == "__main__":
    main()
