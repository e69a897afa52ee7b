"""As-of query time against the current one, and the current graph's query times with and without the OSAI history.

    python benchmarks/bench_history.py [--repeat 5] [--as-of 2025-03-01]

Needs history/osai-index.trig (`llm-atlas import osai-index-history ../shared/external/osai-index-history.bundle`).
Prints a Markdown table: median seconds per query, current without the history file, current with it, as of the
date (the view made once, then queried), and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from llm_atlas import Atlas
from llm_atlas.asof import HISTORY_FILE

QUERIES = [("open-releases-on", {"date": "2025-03-01"}), ("osai-study-projects", {}), ("osai-base-models", {}),
           ("ecosystem-summary", {}), ("licence-changes-along-lineage", {})]


def median_time(fn, repeat: int) -> float:
    fn()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--as-of", default="2025-03-01")
    args = parser.parse_args()
    root = Path(__file__).resolve().parents[1]
    history, aside = root / HISTORY_FILE, root / (HISTORY_FILE + ".aside")
    atlas = Atlas.open(root)
    atlas.query("claims-by-confidence")  # build and load the store
    results: dict[str, list[float]] = {name: [] for name, _ in QUERIES}
    os.replace(history, aside)
    try:
        for name, params in QUERIES:
            results[name].append(median_time(lambda: atlas.query(name, params), args.repeat))
    finally:
        os.replace(aside, history)
    for name, params in QUERIES:
        results[name].append(median_time(lambda: atlas.query(name, params), args.repeat))
    started = time.perf_counter()
    atlas.view(args.as_of)
    view_seconds = time.perf_counter() - started
    for name, params in QUERIES:
        results[name].append(median_time(lambda: atlas.query(name, params, as_of=args.as_of), args.repeat))
    print(f"as-of view made in {view_seconds:.2f} s ({atlas.as_of_note}); current store {len(atlas.store)} quads, "
          f"as-of view {len(atlas.view(args.as_of))} quads\n")
    print("| query | current, no history (s) | current, history present (s) | with/without | as of " + args.as_of + " (s) | as-of/current |")
    print("|---|---|---|---|---|---|")
    for name, (without, with_history, as_of) in results.items():
        print(f"| {name} | {without:.4f} | {with_history:.4f} | {with_history / without:.2f} | {as_of:.4f} | {as_of / with_history:.2f} |")


if __name__ == "__main__":
    main()
