"""The atlas as it was known on a date (``--as-of DATE`` on query, report and serve).

Two clocks: when something happened (atlas:releaseDate, atlas:dateCreated: facts like any other, queried as
they are) and when a source said it (an import's snapshot date, dcterms:issued of its atlas:Import; each state of
the index's history, prov:generatedAtTime to prov:invalidatedAtTime). The view as of DATE (the end of that day,
UTC) holds:

- the curated graph (ontology/, graph/) as it is: it is the atlas's own editorial layer, whose dates are the
  "happened" clock; when a file was edited says when the atlas was written, not what was known then;
- each import whose snapshot date is on or before DATE (an import without one is left out, and said so);
- for the European Open Source AI Index, when ``history/osai-index.trig`` is there, the one state of each record
  valid on DATE instead of the current import: never a superseded state beside a current one.

It is a separate in-memory store made from the current one: the current store is not touched, so queries
without ``--as-of`` are exactly as fast as before.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from .errors import UsageError
from .layout import FILE_GRAPH_BASE, IMPORTS_DIR, RECORD_BASE

HISTORY_FILE = "history/osai-index.trig"
HISTORY_GRAPH = FILE_GRAPH_BASE + HISTORY_FILE
STATE_BASE = "https://w3id.org/llm-atlas/state/osai-index/"
ATLAS = "https://w3id.org/llm-atlas/ontology/"
PROV = "http://www.w3.org/ns/prov#"
DCTERMS = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def parse_date(text: str) -> dt.date:
    """An ISO date (YYYY-MM-DD); UsageError otherwise.

    >>> parse_date("2025-03-01")
    datetime.date(2025, 3, 1)
    """
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text or ""):
        raise UsageError(f"--as-of {text!r}: give an ISO date, YYYY-MM-DD (e.g. --as-of 2025-03-01)")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise UsageError(f"--as-of {text!r}: not a date ({error})") from None


def _end_of(day: dt.date) -> str:
    return (day + dt.timedelta(days=1)).strftime("%Y-%m-%dT00:00:00Z")


@dataclass
class History:
    """The states of the history file: their quads, and when each held."""

    intervals: dict[str, tuple[str, str]]  # state IRI -> (generatedAtTime, invalidatedAtTime or "")
    quads: dict[str, list[ox.Quad]]  # state IRI -> its graph's quads and its description (in the history file's graph)
    common: list[ox.Quad]  # the rest of the default graph (the history's import node)


_cache: dict[str, tuple[tuple, History]] = {}


def read_history(root: Path) -> History | None:
    path = root / HISTORY_FILE
    try:
        info = os.stat(path)
    except OSError:
        return None
    stamp = (info.st_size, info.st_mtime_ns)
    cached = _cache.get(str(path))
    if cached and cached[0] == stamp:
        return cached[1]
    graph = ox.NamedNode(HISTORY_GRAPH)
    intervals: dict[str, list[str]] = {}
    quads: dict[str, list[ox.Quad]] = {}
    common: list[ox.Quad] = []
    generated, invalidated = PROV + "generatedAtTime", PROV + "invalidatedAtTime"
    for q in ox.parse(path=str(path), format=ox.RdfFormat.TRIG, lenient=True):
        if isinstance(q.graph_name, ox.NamedNode):
            quads.setdefault(q.graph_name.value, []).append(q)
            continue
        subject = q.subject.value
        moved = ox.Quad(q.subject, q.predicate, q.object, graph)
        if subject.startswith(STATE_BASE):
            quads.setdefault(subject.split("#", 1)[0], []).append(moved)
            if q.predicate.value == generated:
                intervals.setdefault(subject, ["", ""])[0] = q.object.value
            elif q.predicate.value == invalidated:
                intervals.setdefault(subject, ["", ""])[1] = q.object.value
        else:
            common.append(moved)
    history = History({k: (v[0], v[1]) for k, v in intervals.items()}, quads, common)
    _cache[str(path)] = (stamp, history)
    return history


@dataclass
class AsOfView:
    day: dt.date
    store: ox.Store
    states: int = 0  # history states in the view
    imports_kept: list[str] = field(default_factory=list)
    imports_left_out: list[str] = field(default_factory=list)  # "file (why)"

    def note(self) -> str:
        parts = [f"as of {self.day.isoformat()}"]
        if self.states:
            parts.append(f"{self.states} states of the OSAI index history")
        if self.imports_kept:
            parts.append("imports " + ", ".join(self.imports_kept))
        if self.imports_left_out:
            parts.append("left out: " + ", ".join(self.imports_left_out))
        return "; ".join(parts)


def _import_dates(store: ox.Store) -> dict[str, str]:
    """imports/<file> -> the snapshot date (dcterms:issued of its atlas:Import, "" when none)."""
    dates: dict[str, str] = {}
    prefix = FILE_GRAPH_BASE + IMPORTS_DIR + "/"
    for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), ox.NamedNode(ATLAS + "Import"), None):
        if isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.startswith(prefix):
            relpath = q.graph_name.value[len(FILE_GRAPH_BASE):]
            issued = next(iter(store.quads_for_pattern(q.subject, ox.NamedNode(DCTERMS + "issued"), None, q.graph_name)), None)
            dates[relpath] = max(dates.get(relpath, ""), issued.object.value[:10] if issued else "")
    return dates


def as_of(store: ox.Store, root: Path, day: dt.date) -> AsOfView:
    """The atlas known on ``day``: a new in-memory store (see the module's docstring)."""
    history = read_history(root)
    dropped_files: set[str] = set()
    view = AsOfView(day, ox.Store())
    for relpath, issued in sorted(_import_dates(store).items()):
        name = relpath.rsplit("/", 1)[-1]
        if history is not None and name == "osai-index.trig":
            dropped_files.add(relpath)
            view.imports_left_out.append(f"{relpath} (replaced by {HISTORY_FILE})")
        elif not issued:
            dropped_files.add(relpath)
            view.imports_left_out.append(f"{relpath} (no snapshot date)")
        elif issued > day.isoformat():
            dropped_files.add(relpath)
            view.imports_left_out.append(f"{relpath} (snapshot of {issued})")
        else:
            view.imports_kept.append(f"{relpath} ({issued})")
    dropped = {FILE_GRAPH_BASE + r for r in dropped_files}
    bases = tuple(RECORD_BASE + r.rsplit("/", 1)[-1].rsplit(".", 1)[0] + "/" for r in dropped_files)
    graphs = [g for g in store.named_graphs() if isinstance(g, ox.NamedNode)
              and g.value not in dropped and not (bases and g.value.startswith(bases))]
    for graph in graphs:
        view.store.bulk_extend(store.quads_for_pattern(None, None, None, graph))
    default = list(store.quads_for_pattern(None, None, None, ox.DefaultGraph()))
    if default:
        view.store.bulk_extend(default)
    if history is not None:
        end = _end_of(day)
        chosen = [state for state, (start, stop) in history.intervals.items() if start < end and (not stop or stop >= end)]
        view.states = len(chosen)
        if chosen:
            view.store.bulk_extend(history.common)
        for state in sorted(chosen):
            view.store.bulk_extend(history.quads.get(state, []))
    return view


def add_history(store: ox.Store, root: Path, day: dt.date | None = None) -> int:
    """Add every state of the history (those the index had said by the end of ``day``) to ``store``, each in its
    graph: for questions across time, which read each state in its GRAPH. An end after ``day`` is not yet known
    then, and is left out. Returns the number of states added."""
    history = read_history(root)
    if history is None:
        return 0
    end = _end_of(day) if day is not None else None
    invalidated = {PROV + "invalidatedAtTime", ATLAS + "invalidatedByCommit"}
    added = 0
    store.bulk_extend(history.common)
    for state, (start, stop) in sorted(history.intervals.items()):
        if end is not None and start >= end:
            continue
        added += 1
        quads = history.quads.get(state, [])
        if end is not None and stop and stop >= end:
            quads = [q for q in quads if not (q.subject.value == state and q.predicate.value in invalidated)]
        store.bulk_extend(quads)
    return added


def materialize(store: ox.Store, directory: Path) -> Path:
    """``store`` written as an on-disk store at ``directory`` (for the report's query workers and the endpoint's
    engine, which open a store by its folder); closed when this returns."""
    import gc

    disk = ox.Store(str(directory))
    disk.bulk_extend(store.quads_for_pattern(None, None, None, None))
    disk.flush()
    del disk
    gc.collect()
    return directory
