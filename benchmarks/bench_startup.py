"""Start-up time: how long a command takes before it does its work, against the interpreter's own start.

Goal (issue 15): ``llm-atlas --help`` and ``llm-atlas query study-sample`` finish within 0.25 s of
``python -c pass`` plus the work itself, because the heavy libraries (matplotlib, networkx, rdflib, pySHACL,
pyLODE, PyYAML) load only in the commands that draw or analyse.

Every command runs in a fresh process, the commands interleaved round by round so that the machine's load
falls on all of them alike; the table gives medians. The baselines, in the same run:

- ``python -c pass``: the interpreter alone;
- ``pyoxigraph, by hand``: a script that imports pyoxigraph, opens the same store and runs the same query
  (the plain-library floor for ``query``);
- with ``--before DIR`` (``git archive 4708c57 src | tar -x -C DIR``), the same commands from that tree.

"The work itself" for ``query`` is measured in-process after every import: the stat of every file (the store
kept up to date), the query and its table. The overhead is the command's median minus the interpreter's and
minus the work. ``-X importtime`` then lists what the query command imports, heaviest first.

    python benchmarks/bench_startup.py --repeat 21
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("matplotlib", "networkx", "rdflib", "pyshacl", "pylode", "SPARQLWrapper", "yaml", "pandas", "pyparsing", "owlrl")
GOAL = 0.25  # seconds over the interpreter's start and the work

BY_HAND = """
import sys, pyoxigraph as ox
store = ox.Store.read_only(sys.argv[1])
text = open(sys.argv[2], encoding="utf-8").read()
for row in store.query(text, use_default_graph_as_union=True):
    pass
"""


def run(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-500:]}")
    return seconds


def work_in_process(store: Path, repeat: int) -> float:
    """The query's own work, imports done: median of ``repeat`` calls of the command's main()."""
    from llm_atlas.cli import main

    argv = ["--root", str(ROOT), "--store", str(store), "query", "study-sample"]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        with redirect_stdout(io.StringIO()):
            assert main(argv) == 0
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def imports_of(argv: list[str], env: dict[str, str]) -> list[tuple[str, float]]:
    """Top-level packages the command imports, with their cumulative import time (seconds), heaviest first."""
    done = subprocess.run([sys.executable, "-X", "importtime", *argv], capture_output=True, env=env, check=True)
    totals: dict[str, float] = {}
    for line in done.stderr.decode().splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(2)) == 1:  # a top-level import (one space of indentation)
            name = match.group(3).split(".")[0]
            totals[name] = totals.get(name, 0.0) + int(match.group(1)) / 1e6
    return sorted(totals.items(), key=lambda kv: -kv[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=21, help="rounds (each runs every command once)")
    parser.add_argument("--before", type=Path, help="a src/ tree of an earlier version to time beside this one")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        store = Path(scratch) / "store"
        env = {**os.environ, "LLM_ATLAS_PROGRESS": "0"}
        subprocess.run([sys.executable, "-m", "llm_atlas", "--root", str(ROOT), "--store", str(store), "build"], check=True,
                       capture_output=True, env=env)
        query_file = Path(scratch) / "study-sample.rq"
        query_file.write_text("PREFIX atlas: <https://w3id.org/llm-atlas/ontology/>\n" + (ROOT / "queries/study-sample.rq").read_text(encoding="utf-8"))
        by_hand = Path(scratch) / "by_hand.py"
        by_hand.write_text(BY_HAND)
        cli = [sys.executable, "-m", "llm_atlas"]
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "pyoxigraph, by hand (import, open, query)": [sys.executable, str(by_hand), str(store), str(query_file)],
            "llm-atlas --help": [*cli, "--help"],
            "llm-atlas query study-sample": [*cli, "--root", str(ROOT), "--store", str(store), "query", "study-sample"],
        }
        envs = {name: env for name in commands}
        if args.before:
            before_env = {**env, "PYTHONPATH": str(args.before.resolve())}
            before_store = Path(scratch) / "store-before"
            subprocess.run([*cli, "--root", str(ROOT), "--store", str(before_store), "build"], check=True, capture_output=True, env=before_env)
            commands["before: llm-atlas --help"] = [*cli, "--help"]
            commands["before: llm-atlas query study-sample"] = [*cli, "--root", str(ROOT), "--store", str(before_store), "query", "study-sample"]
            envs["before: llm-atlas --help"] = envs["before: llm-atlas query study-sample"] = before_env

        for argv_name, argv in commands.items():  # warm the file cache once
            run(argv, envs[argv_name])
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.repeat):
            for name, argv in commands.items():
                times[name].append(run(argv, envs[name]))
        work = work_in_process(store, args.repeat)
        query_imports = imports_of(["-m", "llm_atlas", "--root", str(ROOT), "--store", str(store), "query", "study-sample"], env)
        help_imports = imports_of(["-m", "llm_atlas", "--help"], env)

    median = {name: statistics.median(values) for name, values in times.items()}
    interpreter = median["python -c pass"]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load:.2f} at the end; median of {args.repeat} "
          "rounds, commands interleaved\n")
    print("| command | median s | ratio to python -c pass | over interpreter + work | goal (<= 0.25 s over) |")
    print("|---|---:|---:|---:|---|")
    for name, value in median.items():
        own_work = work if name.endswith("query study-sample") and not name.startswith("before") else 0.0
        over = value - interpreter - own_work
        goal = "" if name in ("python -c pass",) or name.startswith("pyoxigraph") else ("met" if over <= GOAL else "missed")
        print(f"| {name} | {value:.3f} | {value / interpreter:.1f}x | {over:.3f} | {goal} |")
    print(f"\nThe work of `query study-sample` (in-process, imports done: files checked, query run, table written): {work:.3f} s.\n")
    for title, found in (("llm-atlas query study-sample", query_imports), ("llm-atlas --help", help_imports)):
        heavy = [name for name, _ in found if name in HEAVY]
        print(f"Imports of `{title}` (top-level packages, cumulative, heaviest first): "
              + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in found[:8])
              + f"; heavy libraries loaded: {', '.join(heavy) or 'none'}.\n")


if __name__ == "__main__":
    main()
