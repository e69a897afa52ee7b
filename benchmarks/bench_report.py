"""`llm-atlas report` at two revisions of the project, side by side on one checkout, alternating.

    python benchmarks/bench_report.py CHECKOUT --revisions c4410ec,HEAD [--repeat 2] [--cold] [--with-ontology]
                                      [--library-path REV=DIR ...]

Each revision's code is taken with ``git archive`` into a temporary folder and run as ``python -m llm_atlas``
with that folder first on ``PYTHONPATH``; the runs alternate between the revisions, so a change in the
machine's load falls on both. ``--cold`` removes the checkout's store before each run (the report builds
everything); otherwise the store is built first, untimed (a report after a build). ``--with-ontology`` also
puts the revision's ``ontology/`` and ``queries/`` into the checkout before each run (the shapes and queries
are part of what a revision changes); the checkout's own are put back at the end. ``--library-path REV=DIR``
puts DIR before the revision's code on its ``PYTHONPATH``: the libraries a revision ran with, when a dependency's
version is part of the change (``pip install --no-deps --target DIR matplotlib==3.11.2``).

Prints each run's wall seconds, the CPU seconds of the report and every process it started, and the medians.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def archive(revision: str, dest: Path) -> Path:
    dest.mkdir(parents=True)
    data = subprocess.run(["git", "-C", str(REPO), "archive", revision, "src", "ontology", "queries"], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=data, check=True)
    return dest


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("checkout", type=Path)
    parser.add_argument("--revisions", default="HEAD~1,HEAD")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cold", action="store_true", help="no store before each run")
    parser.add_argument("--with-ontology", action="store_true", help="use each revision's ontology/ and queries/ too")
    parser.add_argument("--library-path", action="append", default=[], metavar="REV=DIR",
                        help="a folder of libraries put first on REV's PYTHONPATH (repeatable)")
    args = parser.parse_args()
    library_paths = dict(item.split("=", 1) for item in args.library_path)
    checkout = args.checkout.resolve()
    revisions = args.revisions.split(",")
    if set(library_paths) - set(revisions):
        sys.exit(f"--library-path names a revision not in --revisions: {', '.join(sorted(set(library_paths) - set(revisions)))}")
    work = Path(tempfile.mkdtemp(prefix="atlas-bench-report-"))
    saved = work / "checkout-own"
    try:
        trees = {rev: archive(rev, work / f"rev-{i}") for i, rev in enumerate(revisions)}
        if args.with_ontology:
            for folder in ("ontology", "queries"):
                shutil.copytree(checkout / folder, saved / folder)
        times: dict[str, list[float]] = {rev: [] for rev in revisions}
        print(f"load average (1 min) at the start {os.getloadavg()[0]:.2f}; {'cold' if args.cold else 'after a build'}")
        for run in range(1, args.repeat + 1):
            for rev, tree in trees.items():
                if args.with_ontology:
                    for folder in ("ontology", "queries"):
                        shutil.rmtree(checkout / folder)
                        shutil.copytree(tree / folder, checkout / folder)
                env = {**os.environ, "PYTHONPATH": os.pathsep.join([*filter(None, [library_paths.get(rev)]), str(tree / "src")])}
                if args.cold:
                    shutil.rmtree(checkout / ".llm-atlas", ignore_errors=True)
                else:
                    subprocess.run([sys.executable, "-m", "llm_atlas", "build"], cwd=checkout, env=env, check=True, capture_output=True)
                out = work / "out"
                shutil.rmtree(out, ignore_errors=True)
                cpu, started = children_cpu(), time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "llm_atlas", "report", "--out", str(out)], cwd=checkout, env=env, capture_output=True, text=True)
                wall, cpu = time.perf_counter() - started, children_cpu() - cpu
                if done.returncode != 0:
                    sys.exit(f"{rev}: report failed (exit {done.returncode}): {done.stderr[-500:]}")
                times[rev].append(wall)
                print(f"{rev} run {run}: {wall:.2f} s wall, {cpu:.2f} CPU s", flush=True)
        print(f"load average (1 min) at the end {os.getloadavg()[0]:.2f}")
        for rev in revisions:
            print(f"{rev}: median {statistics.median(times[rev]):.2f} s of {len(times[rev])} runs")
    finally:
        if args.with_ontology and saved.exists():
            for folder in ("ontology", "queries"):
                shutil.rmtree(checkout / folder, ignore_errors=True)
                shutil.copytree(saved / folder, checkout / folder)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
