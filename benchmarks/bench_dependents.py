"""The saved query `dependents` as it is against its text at an earlier revision, for the artefacts that matter.

    python benchmarks/bench_dependents.py DIR [--before REV] [--top 4] [--repeat 1]

DIR is a built checkout (its store's dump is loaded into an in-memory pyoxigraph store, the plain library).
The artefacts asked about are the ``--top`` most depended-on ones (the most incoming dependency links), the
query's default artefact and ``dataset:the-pile``; each is asked of both texts in turns, with the parameter
bound as ``llm-atlas query`` binds it, and the rows must be the same. `dependents` is the saved query whose
cost depended on the form of its chains rather than on the answer (issue 15: every saved query within 2 s at
10^6 triples).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import pyoxigraph as ox

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from llm_atlas.query import bind_params, bind_values, load_saved_queries  # noqa: E402
from llm_atlas.store import dump_dir, load_dump  # noqa: E402

LINKS = "atlas:trainedOn atlas:derivedFrom atlas:baseModel atlas:usesBenchmark atlas:evaluatedOn atlas:uses atlas:builds atlas:releases"
MOST_DEPENDED_ON = f"""PREFIX atlas: <https://w3id.org/llm-atlas/ontology/>
SELECT ?artifact (COUNT(*) AS ?links) WHERE {{ VALUES ?link {{ {LINKS} }} ?dependent ?link ?artifact }}
GROUP BY ?artifact ORDER BY DESC(?links) ?artifact LIMIT %d"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("root", help="a built checkout (llm-atlas build)")
    parser.add_argument("--before", default="b349d4d~1", help="the revision whose text to compare with (default b349d4d~1)")
    parser.add_argument("--top", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    root = Path(args.root)
    query = next(q for q in load_saved_queries(ROOT / "queries", ROOT) if q.name == "dependents")
    before = subprocess.run(["git", "-C", str(ROOT), "show", f"{args.before}:queries/dependents.rq"], capture_output=True,
                            text=True, check=True).stdout
    started = time.perf_counter()
    store = load_dump(dump_dir(root / ".llm-atlas" / "store"))
    print(f"{len(store)} quads loaded into memory in {time.perf_counter() - started:.1f} s; pyoxigraph {ox.__version__}\n")
    artifacts = [row["artifact"].value for row in store.query(MOST_DEPENDED_ON % args.top, use_default_graph_as_union=True)]
    default = bind_params(query, {})["artifact"].value
    artifacts += [a for a in (default, "https://w3id.org/llm-atlas/dataset/the-pile") if a not in artifacts]
    print(f"| artefact | rows | {args.before} s | now s | before / now | same rows |")
    print("|---|---:|---:|---:|---:|---|")
    for artifact in artifacts:
        times: dict[str, list[float]] = {"before": [], "now": []}
        answers = {}
        for _ in range(args.repeat):
            for label, text in (("before", before), ("now", query.text)):
                bound = bind_values(text, {"artifact": ox.NamedNode(artifact)})
                started = time.perf_counter()
                answers[label] = [tuple(map(str, row)) for row in store.query(bound, use_default_graph_as_union=True)]
                times[label].append(time.perf_counter() - started)
        was, now = statistics.median(times["before"]), statistics.median(times["now"])
        same = "yes" if answers["before"] == answers["now"] else "NO"
        print(f"| {artifact.removeprefix('https://w3id.org/llm-atlas/')} | {len(answers['now'])} | {was:.2f} | {now:.2f} | "
              f"{was / max(now, 1e-6):.0f}x | {same} |", flush=True)


if __name__ == "__main__":
    main()
