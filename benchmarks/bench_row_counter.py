"""The endpoint's row counter (`sparql_results.JsonRowCounter`) as it is against its code at an earlier revision.

    python benchmarks/bench_row_counter.py [--root PATH] [--before REV] [--chunk BYTES] [--repeat N]

Every saved SELECT query but the federated ones is answered on the checkout's data (built into a temporary
store), in SPARQL JSON as Oxigraph writes it, and fed to both counters in chunks of
``--chunk`` bytes (1,300 by default: about what `oxigraph serve` writes at a time, read as it arrives) with
the endpoint's cap of 10,000 rows. Both must agree on whether the answer is over the cap and on its rows.
The counter runs on every JSON answer the endpoint relays (issue 15: latency within 1.2x of `oxigraph serve`).
"""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
import tempfile
import timeit
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from llm_atlas import Atlas  # noqa: E402
from llm_atlas.query import query_form  # noqa: E402
from llm_atlas.sparql_results import JsonRowCounter  # noqa: E402

CAP = 10_000


def counter_at(revision: str) -> type:
    """``JsonRowCounter`` as ``sparql_results.py`` defined it at ``revision``, loaded as a module of the package
    (its relative imports resolve to today's modules, which the counter does not use)."""
    text = subprocess.run(["git", "-C", str(ROOT), "show", f"{revision}:src/llm_atlas/sparql_results.py"],
                          capture_output=True, text=True, check=True).stdout
    path = Path(tempfile.mkdtemp(prefix="atlas-counter-")) / "sparql_results_before.py"
    path.write_text(text, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("llm_atlas._sparql_results_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.JsonRowCounter


def feed_all(counter_class: type, document: bytes, chunk: int):
    counter = counter_class(CAP)
    for start in range(0, len(document), chunk):
        counter.feed(document[start:start + chunk])
        if counter.over:
            break
    return counter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", default=str(ROOT), help="a checkout whose data to answer on (default: this one)")
    parser.add_argument("--before", default="4de95ff~1", help="the revision to compare with (default 4de95ff~1)")
    parser.add_argument("--chunk", type=int, default=1300)
    parser.add_argument("--repeat", type=int, default=5, help="timings per answer and counter; the best is kept")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    before = counter_at(args.before)
    atlas = Atlas.open(root, Path(tempfile.mkdtemp(prefix="atlas-counter-store-")) / "store")
    atlas.build()
    store = atlas.store
    print(f"{len(store)} quads from {root}; chunks of {args.chunk} bytes; cap {CAP} rows; before = {args.before}\n")
    print(f"| answer | bytes | rows | {args.before} us | now us | before / now |")
    print("|---|---:|---:|---:|---:|---:|")
    totals = [0.0, 0.0]
    answers = {query.name: store.query(query.text, use_default_graph_as_union=True).serialize(format=ox.QueryResultsFormat.JSON)
               for query in atlas.saved_queries() if "federated" not in query.tags and query_form(query.text) == "SELECT"}
    # past the cap, where the counting is exact (the real graph's answers are all under it)
    rows = " ".join(f'({i} "label {i}, {{not a row}}")' for i in range(3 * CAP))
    answers[f"(generated: {3 * CAP} rows)"] = ox.Store().query(f"SELECT ?i ?label WHERE {{ VALUES (?i ?label) {{ {rows} }} }}").serialize(
        format=ox.QueryResultsFormat.JSON)
    for name, document in answers.items():
        old, new = feed_all(before, document, args.chunk), feed_all(JsonRowCounter, document, args.chunk)
        if (old.over, old.rows) != (new.over, new.rows):
            sys.exit(f"{name}: the counters disagree: before {old.over, old.rows}, now {new.over, new.rows}")
        number = max(1, min(2000, 2_000_000 // max(len(document), 1)))
        times = [min(timeit.repeat(lambda c=c: feed_all(c, document, args.chunk), number=number, repeat=args.repeat)) / number * 1e6
                 for c in (before, JsonRowCounter)]
        totals[0] += times[0]
        totals[1] += times[1]
        print(f"| {name} | {len(document)} | {new.rows}{' (over)' if new.over else ''} | {times[0]:.1f} | {times[1]:.1f} | "
              f"{times[0] / max(times[1], 1e-9):.1f}x |", flush=True)
    print(f"| **every answer, sum** | | | {totals[0]:.0f} | {totals[1]:.0f} | {totals[0] / max(totals[1], 1e-9):.1f}x |")
    atlas.close()


if __name__ == "__main__":
    main()
