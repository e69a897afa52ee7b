"""The Python API. The command line is a thin layer over :class:`Atlas`.

Each method is one command: it takes plain values, calls the job that does the work (jobs never see the
``Atlas``) and returns the job's report object. Every method that reads the store brings it up to date
with the files first (:meth:`Atlas.refresh`: a stat of every file, a parse of the changed ones), or warns
with :class:`~llm_atlas.errors.StaleStoreWarning` that it answers from the last build.

>>> from llm_atlas import Atlas
>>> atlas = Atlas.open()  # the checkout around the current directory           # doctest: +SKIP
>>> atlas.query("study-sample").variables
['organization', 'organizationType', 'continent', 'project', 'governanceModel']
>>> atlas.query("SELECT (COUNT(*) AS ?n) WHERE { ?o atlas:inSample true ; a atlas:Organization }").rows[0][0].value
'14'
>>> atlas.saved_query("stdy-sample")
Traceback (most recent call last):
...
llm_atlas.errors.UsageError: no saved query 'stdy-sample'; did you mean study-sample? (`llm-atlas queries` lists them)

(tests/test_doctests.py runs these examples on the atlas of the checkout.)

Jobs that need heavy libraries (rdflib and pySHACL to validate, networkx and matplotlib to analyse and
draw, PyYAML to import) are imported by the method that runs them, so that ``llm-atlas query`` and
``llm-atlas --help`` start without them (see benchmarks/bench_startup.py).
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from . import build as build_job
from . import file_watch
from .errors import InvalidData, Problem, StaleStoreWarning, UnknownTermWarning, UsageError
from .layout import QUERIES_DIR, SHAPES_FILE, STORE_DIR, file_stats, find_root
from .namespaces import BASE, ONTOLOGY, RDF_TYPE, curie
from .query import QueryResult, SavedQuery, bind_params, load_saved_queries, parse_saved_query, run_query, run_query_isolated
from .staging import refuse_committed_store, stage
from .store import dump_dir, has_dump, load_dump, read_manifest
from .suggest import did_you_mean, nearest
from .worker import START_TIMEOUT, Worker, WorkerFailed, WorkerTimeout

QUERY_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
QUERY_TIMEOUT = 60.0  # seconds a saved query of the report may run (the study's answers take well under one)
DRAWING_TIMEOUT = 600.0  # seconds the report's drawing process may take before the figures are drawn in-process
# up to this many quads a report with no current store hands the data as read to its drawing and query processes
# (an in-memory copy in each, about 90 MiB at this size); beyond, they read the store once it is committed
EARLY_REPORT_QUADS = 250_000
# up to this many quads the report's queries are answered from an in-memory copy in their process (about 350 MiB
# at this size; on the grown graph of 629,536 quads its 19 queries take 2.8 s so, plus 2.5 s to load the copy,
# against 14.0 s on the store on disk); beyond, on the store
ANSWER_IN_MEMORY_QUADS = 1_000_000
COPY_TIMEOUT = 600.0  # seconds the query process may take to load its in-memory copy before the store is read


class Atlas:
    """An atlas checkout (ontology/, graph/, imports/, queries/) and its store."""

    def __init__(self, root: Path, store_dir: Path):
        self.root = root
        self.store_dir = store_dir
        self._memory: ox.Store | None = None  # the store's data in memory (what queries run on)
        self._parsed: dict[tuple, SavedQuery] = {}  # saved queries by (name, size, mtime)
        self._store_checked = False  # whether git was asked that the store is not committed (once per Atlas)
        self._up_to_date: tuple | None = None  # layout.file_stats when the store was last found up to date
        self._watcher: file_watch.ChangeWatcher | None = None  # says when the files may have changed since the last look
        self._watch_started = False
        self._refreshing = threading.RLock()  # one refresh at a time: the report asks from a thread too

    @classmethod
    def open(cls, root: str | os.PathLike | None = None, store: str | os.PathLike | None = None) -> "Atlas":
        """Open the checkout at ``root`` (default: found from the current directory).

        The store defaults to ``.llm-atlas/store`` inside the checkout, or ``$LLM_ATLAS_STORE``.
        """
        found = find_root(root)
        store_dir = Path(store or os.environ.get("LLM_ATLAS_STORE") or found / STORE_DIR).resolve()
        return cls(found, store_dir)

    # -- the store -------------------------------------------------------------------------------------

    @property
    def store(self) -> ox.Store:
        """The store as last built, in memory (built first if there is none yet). Reading methods call :meth:`refresh`.

        It is loaded once from the dump beside the persistent store (see :mod:`llm_atlas.store`) and kept up
        to date by :meth:`build`, :meth:`refresh` and :meth:`validate`: read it, do not write it.
        """
        if self._memory is None:
            refuse_committed_store(self.root, self.store_dir)  # a store someone committed is never read
            if read_manifest(self.store_dir) is None or not has_dump(dump_dir(self.store_dir)):
                self.build(force=read_manifest(self.store_dir) is not None)  # a store without its dump: rebuild both
            if self._memory is None:
                self._memory = load_dump(dump_dir(self.store_dir))
        return self._memory

    def close(self) -> None:
        """Release the in-memory copy of the store."""
        self._views = None  # the as-of views made from it
        if self._watcher is not None:
            self._watcher.close()
            self._watcher, self._watch_started = None, False
            self._up_to_date = None
        if self._memory is not None:
            self._memory = None
            gc.collect()

    def __enter__(self) -> "Atlas":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def refresh(self) -> build_job.BuildResult | None:
        """Bring the store up to date with the files: stat every file, load the changed ones.

        Returns the build, or None when nothing changed. When a changed file does not parse, the store is
        left as it is and a :class:`~llm_atlas.errors.StaleStoreWarning` says so (with no store at all,
        the :class:`~llm_atlas.errors.InvalidData` is raised: there is nothing to answer from).
        """
        with self._refreshing:
            return self._refresh()

    def _refresh(self) -> build_job.BuildResult | None:
        try:
            if not self._store_checked:  # once per Atlas: git is asked in a process of its own
                refuse_committed_store(self.root, self.store_dir)
                self._store_checked = True
            if not self._watch_started:  # before the first look at the files, so no change after it is missed
                self._watcher, self._watch_started = file_watch.start(self.root), True
            # no event from the kernel since the files were last found as the store holds them: nothing to do,
            # not even a stat (see llm_atlas.file_watch); the events are read at every look, so the next one
            # only hears of changes made after this one
            changed = self._watcher is None or self._watcher.changed()
            if self._up_to_date is not None and not changed:
                return None
            # the files as they are: the same as when the store was last found up to date means nothing to do
            # (no manifest read, no hashing); like git's index, a file changed in the last two seconds is not
            # trusted to its timestamp, so no fingerprint is kept while one is that fresh
            stats = file_stats(self.root)
            if stats == self._up_to_date:
                return None
            staged = stage(self.root, self.store_dir, parse_full=False, store_checked=True)
            result = self._build_staged(staged) if staged.pending else None
            settled = time.time_ns() - 2_000_000_000
            self._up_to_date = stats if all(mtime < settled for _, _, mtime in stats) else None
            return result
        except InvalidData as error:
            if read_manifest(self.store_dir) is None:
                raise
            files = sorted({p.path for p in error.problems})
            first = error.problems[0].as_text() if error.problems else ""
            warnings.warn(StaleStoreWarning(
                f"answering from the store as last built: {len(files)} changed file(s) do not parse ({first}"
                + (f"; and {len(files) - 1} more" if len(files) > 1 else "") + "); run `llm-atlas validate` to see every problem"),
                stacklevel=3)
            return None

    def _fresh(self) -> ox.Store:
        self.refresh()
        return self.store

    # -- building and checking ---------------------------------------------------------------------------

    def build(self, *, force: bool = False) -> build_job.BuildResult:
        """Load every changed file of ontology/, graph/ and imports/ into the store (all of them with ``force``)."""
        return self._build_staged(stage(self.root, self.store_dir, force=force, parse_full=False))

    def _build_staged(self, staged) -> build_job.BuildResult:
        memory, self._memory = (None if staged.full else self._memory), None  # an incremental build changes it in place
        result = build_job.build_staged(staged, self.store_dir, memory)
        self._memory = result.memory
        return result

    def validate(self):
        """SHACL over the data as it is on disk; the store is updated only when the data is valid.

        Returns a :class:`~llm_atlas.validate.ValidationReport`.
        """
        return self._validate()

    def _validate(self, loaded: Callable[[ox.Store], None] | None = None):
        """:meth:`validate`, calling ``loaded`` with the data about to be validated (see validate_checkout)."""
        from .validate import validate_checkout

        memory, self._memory = self._memory, None  # changed in place while validating
        report, self._memory = validate_checkout(self.root, self.store_dir, memory, loaded=loaded)
        return report

    def check(self, base: str | None = None, *, snapshots: str | os.PathLike | None = None):
        """The contribution check (names, files, entities, format, queries, SHACL, imports, history, summary); writes nothing.

        ``snapshots``: the folder of external snapshots that imports/ is regenerated from (default ``../shared``).
        """
        from .check import check

        self.close()
        return check(self.root, self.store_dir, base, snapshots=Path(snapshots) if snapshots else None)

    def format_check(self, paths: list[Path]):
        """Problems for the files (or folders) that are not in canonical form; writes nothing."""
        from . import fmt

        return fmt.check_files(fmt.expand_paths(paths), root=self.root)

    def format_write(self, paths: list[Path]):
        """Rewrite the files in canonical form (each proven lossless first); returns (changed, problems)."""
        from . import fmt

        return fmt.write_files(fmt.expand_paths(paths), root=self.root)

    def rules(self) -> str:
        """The rule catalogue (docs/rules.md), from the checkout's shapes."""
        import rdflib

        from .rules import catalogue

        return catalogue(rdflib.Graph().parse(self.root / SHAPES_FILE, format="turtle"))

    # -- queries -----------------------------------------------------------------------------------------

    def saved_queries(self) -> list[SavedQuery]:
        return load_saved_queries(self.root / QUERIES_DIR, self.root)

    def saved_query(self, name: str) -> SavedQuery:
        path = self.root / QUERIES_DIR / f"{name}.rq"
        if not path.is_file():
            names = [q.stem for q in sorted((self.root / QUERIES_DIR).glob("*.rq"))]
            hint = did_you_mean(name, names)
            raise UsageError(f"no saved query {name!r}" + (f"; {hint}" if hint else f"; saved queries: {', '.join(names)}")
                             + " (`llm-atlas queries` lists them)")
        stat = path.stat()
        key = (name, stat.st_size, stat.st_mtime_ns)
        if key not in self._parsed:  # parsing checks the query by running it on an empty store: ~10 ms each time
            self._parsed[key] = parse_saved_query(path.read_text(encoding="utf-8"), name, path, path.relative_to(self.root).as_posix())
        return self._parsed[key]

    def _resolve(self, query: str | SavedQuery) -> SavedQuery | str:
        """A saved query by name, a .rq file, or SPARQL text (returned as it is)."""
        if isinstance(query, SavedQuery):
            return query
        if query.endswith(".rq"):
            return self._query_file(Path(query))
        if QUERY_NAME.fullmatch(query):
            return self.saved_query(query)
        return query

    def view(self, as_of: str | None = None, *, history: bool = False) -> ox.Store:
        """The store a query runs on: the current atlas, or (``as_of``, an ISO date) the atlas as known on that date
        (see :mod:`llm_atlas.asof`); ``history`` adds every state of the OSAI index's history, each in its own graph,
        for questions across time (saved queries tagged ``history``). Views are made once per store and date."""
        store = self._fresh()
        if as_of is None and not history:
            return store
        from . import asof

        day = asof.parse_date(as_of) if as_of is not None else None
        key = (id(store), day, history, asof.read_history(self.root) is not None and (self.root / asof.HISTORY_FILE).stat().st_mtime_ns)
        views = getattr(self, "_views", None)
        if views is None or views[0] != key[0]:
            views = self._views = (key[0], {})
        if key not in views[1]:
            view = asof.as_of(store, self.root, day) if day is not None else None
            result = view.store if view is not None else ox.Store()
            if view is None:
                result.bulk_extend(store.quads_for_pattern(None, None, None, None))
            if history:
                asof.add_history(result, self.root, day)
            self.as_of_note = view.note() if view is not None else ""
            views[1][key] = (result, self.as_of_note)
        result, self.as_of_note = views[1][key]
        return result

    def query(self, query: str | SavedQuery, params: dict[str, str] | None = None, *, as_of: str | None = None) -> QueryResult:
        """Run a saved query (by name or object), a ``.rq`` file, or SPARQL text, on the store brought up to date
        (``as_of``: on the atlas as known on that ISO date). A saved query tagged ``history`` also sees every state of
        the OSAI index's history (up to ``as_of``)."""
        target = self._resolve(query)
        if as_of is not None:
            from .asof import parse_date

            parse_date(as_of)  # a bad date is refused before anything is built
        store = self.view(as_of, history=isinstance(target, SavedQuery) and "history" in target.tags)
        if isinstance(target, str):
            if params:
                raise UsageError("--param applies to saved queries, which declare their parameters")
            return run_query(store, target)
        bindings = bind_params(target, params or {})
        self._warn_unknown(store, {name: term for name, term in bindings.items() if name in (params or {})})
        return run_query(store, target.text, bindings)

    def _warn_unknown(self, store: ox.Store, bindings: dict) -> None:
        """Warn, with the nearest names, when a parameter names an atlas IRI nothing in the atlas has."""
        for name, term in bindings.items():
            if not isinstance(term, ox.NamedNode) or not term.value.startswith(BASE) or self._exists(store, term):
                continue
            namespace = term.value.rsplit("/", 1)[0] + "/"
            known = {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode(RDF_TYPE), None, None)
                     if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(namespace) and "#" not in q.subject.value}
            shown = curie(term.value) or term.value
            near = [curie(namespace + n) or namespace + n for n in nearest(term.value[len(namespace):], [i[len(namespace):] for i in known])]
            hint = did_you_mean(shown, near) if near else ""
            warnings.warn(UnknownTermWarning(f"parameter {name}: {shown} names nothing in the atlas" + (f"; {hint}" if hint else "")), stacklevel=3)

    @staticmethod
    def _exists(store: ox.Store, term: ox.NamedNode) -> bool:
        return next(iter(store.quads_for_pattern(term, None, None, None)), None) is not None

    def remote_query(self, endpoint: str, query: str | SavedQuery, params: dict[str, str] | None = None, *,
                     atlas_graphs: bool | None = None) -> QueryResult:
        """Run a saved query (by name), a .rq file or SPARQL text at a remote SPARQL endpoint.

        ``atlas_graphs``: None finds out which graph holds the atlas (see :func:`llm_atlas.remote.dataset_of`).
        """
        from .remote import remote_query

        return remote_query(endpoint, self._resolve(query), params, atlas_graphs=atlas_graphs)

    @staticmethod
    def _query_file(path: Path) -> SavedQuery:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read query file {path}: {error}") from None
        if any(line.startswith("#+") for line in text.splitlines()):
            return parse_saved_query(text, path.stem, path, str(path))
        return SavedQuery(path.stem, path, text)

    def search(self, text: str, *, limit: int = 20, kinds=None):
        """Entities and concepts whose labels, alternative labels or identifiers match ``text``, best first.

        >>> [(hit.curie, hit.field) for hit in atlas.search("bloom", kinds=["project"], limit=1)]
        [('project:bloom', 'label')]
        """
        from .search import search

        return search(self._fresh(), text, limit=limit, kinds=kinds)

    # -- reading commands ----------------------------------------------------------------------------------

    def export(self, out_dir: str | os.PathLike, formats="all", **options):
        """Write the whole atlas into ``out_dir`` in the given formats, with a VoID/DCAT description.

        ``options``: ``base_url``, where the files will be published (for the IRIs of ``void.ttl``).
        """
        from .export import export
        from .outputs import check_out_dir

        check_out_dir(out_dir, "the export")
        return export(self._fresh(), out_dir, formats, **options)

    def export_void(self, out_dir: str | os.PathLike, **options) -> Path:
        from .export import write_void
        from .outputs import check_out_dir

        check_out_dir(out_dir, "the export")
        return write_void(self._fresh(), out_dir, **options)

    def export_mappings(self, out_path: str | os.PathLike):
        """Every external link as an SSSOM TSV."""
        from .mappings import export_sssom

        return export_sssom(self._fresh(), Path(out_path))

    def publish(self, endpoint: str, **options):
        """Upload every file graph to a Graph Store Protocol endpoint, replacing each; returns the PublishReport."""
        from .publish import publish

        return publish(self._fresh(), endpoint, **options)

    def serve(self, **options) -> int:
        """Serve the SPARQL endpoint and the pages until interrupted (see llm_atlas.serve.serve)."""
        from .serve import serve  # the web layer is loaded only when serving

        self.refresh()
        self.close()  # the server takes its own read-only copy of the store
        return serve(self, **options)

    def network(self, out_dir: str | os.PathLike | None = None, *, include_inferred: bool = True):
        """Analyse and draw the collaboration network into ``out_dir`` (default: report/network in the checkout).

        Returns (files written, NetworkReport).
        """
        from .network import write_network_outputs
        from .outputs import check_out_dir

        out = Path(out_dir) if out_dir is not None else self.root / "report" / "network"
        check_out_dir(out, "the network")
        analysis: list = []
        written = write_network_outputs(self._fresh(), out, include_inferred=include_inferred, analysis=analysis)
        return written, analysis[0]

    def report(self, out_dir: str | os.PathLike | None = None, *, query_timeout: float = QUERY_TIMEOUT, family: str | None = None,
               as_of: str | None = None):
        """The main job: validate, answer the study's questions, draw the network and a family's lineage; written
        to ``out_dir`` (default: report/ in the checkout). Raises InvalidData, writing nothing, when the data is
        invalid or a saved query runs longer than ``query_timeout`` seconds (each runs in a worker process that is
        stopped); UsageError when ``family`` (an IRI, ``model:<slug>`` or a slug) is not a model family of the atlas,
        or ``as_of`` is not a date. Without ``family`` the lineage drawn is the one of the family whose releases have
        the most descendants. With ``as_of`` (YYYY-MM-DD) the answers are over the atlas as known on that date."""
        import tempfile

        from . import report as report_job
        from .outputs import check_out_dir

        out = Path(out_dir) if out_dir is not None else self.root / "report"
        if as_of is not None:
            from .asof import parse_date

            parse_date(as_of)  # a bad date is refused before anything is checked or written
        check_out_dir(out, "the report")
        scratch = None
        queries = report_job.selected(self.saved_queries())
        # The drawings take a process of their own: matplotlib loads while the files are read, and the figures are
        # drawn while the data is validated (on two cores the report takes about the longer of the two, not both).
        # When the store already holds the files as they are (a report after a build), the queries and the
        # drawings start at once on it, beside the validation; otherwise they start on the data as read (handed
        # over as N-Quads, answered from memory). The verdict decides whether anything is written.
        with Worker() as worker, Worker() as drawer:
            early = None
            drawing = None  # what the drawing process was given: "store" or "read" (then its libraries come first)
            try:
                if as_of is None and family is None and self._store_is_current():
                    with contextlib.suppress(WorkerFailed):  # no drawing process: drawn() draws here
                        drawer.submit(report_job.figures_on_store, str(self.store_dir), None)
                        drawing = "store"
                    counted = read_manifest(self.store_dir)
                    early = _EarlyAnswers(worker, self.store_dir, queries, query_timeout,
                                          in_memory=counted is not None and counted.quads <= ANSWER_IN_MEMORY_QUADS)
                else:
                    drawer.submit(report_job.load_drawing_libraries)
                scratch = tempfile.TemporaryDirectory(prefix="llm-atlas-report-")

                def start_on_read(data: ox.Store) -> None:
                    nonlocal drawing, early
                    if as_of is not None or family is not None or early is not None or len(data) > EARLY_REPORT_QUADS:
                        return  # already started on the store, of a view or family known once the data is valid, or large
                    read = Path(scratch.name) / "read.nq"
                    try:
                        data.dump(str(read), format=ox.RdfFormat.N_QUADS)
                    except OSError:
                        return  # no room for the copy: both wait for the store
                    with contextlib.suppress(WorkerFailed):
                        drawer.submit(report_job.figures_on_dump, str(read), None)
                        drawing = "read"
                    early = _EarlyAnswers(worker, read, queries, query_timeout, in_memory=True)

                validation = self._validate(loaded=start_on_read)
                if not validation.conforms:
                    raise InvalidData(validation.problems, validation.summary())
                family_iri = self._family(family) if family is not None else None
                warnings_count = sum(p.severity == "warning" for p in validation.problems)
                verdict = f"valid ({validation.entities} entity files, 0 errors, {warnings_count} warnings)"
                store, store_dir = self.store, self.store_dir
                if as_of is not None:  # the atlas as known then, on disk for the worker processes (removed afterwards)
                    from .asof import materialize

                    store = self.view(as_of)
                    verdict += f"; answered {self.as_of_note}"
                    store_dir = materialize(store, Path(scratch.name) / "store")
                if drawing != "store":
                    try:
                        drawer.result(timeout=START_TIMEOUT)  # the libraries
                        if drawing is None:
                            drawer.submit(report_job.figures_on_store, str(store_dir), family_iri)
                            drawing = "store"
                    except (WorkerTimeout, WorkerFailed):
                        drawing = None  # no drawing process: drawn() draws here

                def run(query: SavedQuery) -> QueryResult:
                    if early is not None and (found := early.answer(query)) is not None:
                        return found
                    return _answer_isolated(worker, store_dir, query, query_timeout)  # (no in-memory copy: the store)

                def drawn() -> report_job.Figures:
                    try:
                        if drawing is not None:
                            return drawer.result(timeout=DRAWING_TIMEOUT)
                    except (WorkerTimeout, WorkerFailed):  # the drawing process failed: draw here, as without one
                        pass
                    return report_job.figures_of(store, family_iri)

                return report_job.make_report(store, self.saved_queries(), out, root=self.root, verdict=verdict, run=run,
                                              family=family_iri, drawn=drawn)
            finally:
                if early is not None:
                    early.stop()
                    worker.close()  # ends the query it may be waiting for
                    early.join()
                worker.close()  # the children have the scratch store open
                drawer.close()
                if scratch is not None:
                    scratch.cleanup()

    def _store_is_current(self) -> bool:
        """Whether the store holds the files as they are now (nothing to build; says nothing about validity)."""
        if read_manifest(self.store_dir) is None:
            return False
        try:
            return not stage(self.root, self.store_dir, tolerant=True, parse_full=False).pending
        except (InvalidData, UsageError):
            return False

    def _family(self, name: str) -> str:
        """The IRI of the model family ``name`` names, or a UsageError with the nearest families' slugs."""
        from .lineage import expand_family

        iri = expand_family(name)
        store = self.store
        family_class = ox.NamedNode(ONTOLOGY + "ModelFamily")
        rdf_type = ox.NamedNode(RDF_TYPE)
        if any(True for _ in store.quads_for_pattern(ox.NamedNode(iri), rdf_type, family_class)):
            return iri
        slugs = sorted({q.subject.value.removeprefix(BASE + "model/") for q in store.quads_for_pattern(None, rdf_type, family_class)
                        if isinstance(q.subject, ox.NamedNode)})
        hint = did_you_mean(name.removeprefix("model:"), slugs)
        raise UsageError(f"--family {name}: no model family of the atlas has this name" + (f"; {hint}" if hint else
                         f" (families: {', '.join(slugs[:12])}{', ...' if len(slugs) > 12 else ''})"))

    def licences(self, out_dir: str | os.PathLike | None = None):
        """Licence obligations along lineage: what each base's licence requires of its derivatives, the verdict on
        each derivative's licence, with paths, rules and evidence; licences.md, licences.html and two CSVs written
        to ``out_dir`` (default: report/licences in the checkout), all or nothing. Returns the LicenceReport.

        The licence-rule table is checked first: a broken rule raises InvalidData (exit 1) and nothing is written.
        """
        from . import licences as licences_job
        from .obligations import assess, find_query
        from .outputs import check_out_dir
        from .report import stamp

        out = Path(out_dir) if out_dir is not None else self.root / "report" / "licences"
        check_out_dir(out, "the licence report")
        query = find_query(self.saved_queries())
        store = self._fresh()
        licences_job.check_rules(store, self.root)
        assessment = assess(store, query)
        text = stamp(store, self.root, "the licence-rule table is valid (llm-atlas validate checks the rest)").text()
        return licences_job.write_licences(assessment, out, stamp=text)

    def release_licences(self, release: str):
        """What one release (or dataset) owes the licences it derives from, and what its derivatives owe its
        licence: a :class:`~llm_atlas.obligations.ReleaseObligations` (``release``: an IRI or ``model:<slug>``)."""
        from .obligations import find_query, for_release
        from .query import expand_iri

        return for_release(self._fresh(), find_query(self.saved_queries()), expand_iri(release, "release"))

    def openness(self, release: str):
        """One release's openness: each index's component facts with evidence, each framework's verdict from each
        index's facts and why, and the mismatches (``release``: an IRI, ``model:<slug>`` or a slug; an unknown
        release raises UsageError, exit 2, with the nearest names). Returns a ReleaseOpenness."""
        from .openness import find_query, for_release

        return for_release(self._fresh(), find_query(self.saved_queries()), release)

    def openness_crosswalk(self, out_dir: str | os.PathLike | None = None):
        """The crosswalk of the releases both openness indexes assess: verdicts, agreement rates and every mismatch,
        written as openness-crosswalk.md/.html/.csv and openness-mismatches.csv to ``out_dir`` (default:
        report/openness in the checkout), all or nothing. Returns (the files written, the Crosswalk)."""
        from .crosswalk import write_crosswalk
        from .openness import crosswalk, find_query
        from .outputs import check_out_dir
        from .report import stamp

        out = Path(out_dir) if out_dir is not None else self.root / "report" / "openness"
        check_out_dir(out, "the openness crosswalk")
        store = self._fresh()
        walk = crosswalk(store, find_query(self.saved_queries()))
        text = stamp(store, self.root, "not validated (llm-atlas validate checks the data)").text()
        return write_crosswalk(walk, out, stamp=text), walk

    # -- writing commands ----------------------------------------------------------------------------------

    def new(self, kind: str, slug: str, *, label: str | None = None) -> Path:
        """Write the skeleton of a new entity file, ``graph/<kind>/<slug>.ttl``, with the claim blocks to fill in."""
        from .skeleton import new_entity

        return new_entity(self.root, kind, slug, label=label)

    def import_source(self, source: str, path: str | os.PathLike, *, version: str | None = None, snapshots: str | os.PathLike | None = None):
        """Import one snapshot of an external source into imports/<source>.trig, recorded in imports/MANIFEST.json
        (see :mod:`llm_atlas.import_provenance`); returns the ImportReport."""
        from .import_provenance import record_import
        from .importers import import_source  # the importers load their sources' parsers only when importing

        self.close()
        report = import_source(source, Path(path), self.root, version=version)
        # recorded under the importer's own name (osai is an alias of osai-index), with the snapshot's version as the
        # importer read it when none was given (so that a check regenerates from the same commit)
        record_import(self.root, report.source, Path(path), snapshots=Path(snapshots) if snapshots else None,
                      commit=version or report.snapshot_version or None)
        return report

    def import_history(self, bundle: str | os.PathLike):
        """Import every distinct state of the European Open Source AI Index's records from the git bundle of its history
        into history/osai-index.trig (outside the build; ``--as-of`` reads it); returns the HistoryReport."""
        from .importers.osai_history import import_history

        self.close()
        return import_history(Path(bundle), self.root)

    def import_osai(self, index_dir: Path, *, version: str | None = None, snapshots: str | os.PathLike | None = None):
        """Import the European Open Source AI Index into imports/osai-index.trig (the ``osai-index`` importer of the
        registry), recorded in imports/MANIFEST.json like every import; returns the ImportReport."""
        return self.import_source("osai-index", index_dir, version=version, snapshots=snapshots)

    def link_wikidata(self, endpoint: str = "https://query.wikidata.org/sparql", *, kinds=None, apply: bool = False,
                      contact: str | None = None, **options):
        """Propose (and with ``apply`` write) Wikidata links for entities that lack one; returns the LinkReport.

        ``options`` go to :func:`llm_atlas.link.link_wikidata` (``batch_size``, ``timeout``, ``max_retries``).
        """
        from .link import link_wikidata

        report = link_wikidata(self._fresh(), self.root, endpoint=endpoint, kinds=kinds, apply=apply, contact=contact, **options)
        if report.applied:
            self.build()  # the store follows the files the links were written into
        return report


def _answer_isolated(worker: Worker, store_dir: Path, query: SavedQuery, timeout: float, *, in_memory: bool = False) -> QueryResult:
    """A saved query of the report in the worker process (on its in-memory copy of ``store_dir`` with
    ``in_memory``); InvalidData (rule query-timeout) if it overruns or fails."""
    where = f"{QUERIES_DIR}/{query.name}.rq"
    try:
        return run_query_isolated(worker, store_dir, query.text, bind_params(query, {}), timeout=timeout, in_memory=in_memory)
    except WorkerTimeout:
        raise InvalidData([Problem(where, 1, 1, "query-timeout", f"this saved query ran longer than {timeout:g} s and "
                                   "was stopped: make it selective enough to answer in seconds")], "a saved query did not finish") from None
    except WorkerFailed as error:
        raise InvalidData([Problem(where, 1, 1, "query-timeout", f"this saved query could not be answered: {error}")],
                          "a saved query failed") from None


class _EarlyAnswers:
    """The report's saved queries answered in the worker process by a thread, while the caller validates.

    The thread only waits on the worker (pyoxigraph runs in the child), so the validation keeps this process's
    core. Answers are handed out in the report's order; a query that overran or failed raises its InvalidData
    when its answer is asked for, that is only once the data has been found valid. With ``in_memory`` the child
    first makes its in-memory copy of ``source`` (outside the queries' timeout); should that fail, no query is
    answered here (:meth:`answer` gives None)."""

    def __init__(self, worker: Worker, source: Path, queries: list[SavedQuery], timeout: float, *, in_memory: bool = False):
        import threading

        self._answers: dict[str, QueryResult | InvalidData] = {}
        self._ready = {q.name: threading.Event() for q in queries}
        self._stopping = threading.Event()
        self._no_copy = False
        self._thread = threading.Thread(target=self._run, args=(worker, source, queries, timeout, in_memory), daemon=True,
                                        name="llm-atlas-report-queries")
        self._thread.start()

    def _run(self, worker: Worker, source: Path, queries: list[SavedQuery], timeout: float, in_memory: bool) -> None:
        if in_memory:
            from .worker import load_in_memory

            try:
                worker.call(load_in_memory, str(source), timeout=COPY_TIMEOUT)
            except (WorkerTimeout, WorkerFailed):
                self._no_copy = True
                for event in self._ready.values():
                    event.set()
                return
        for query in queries:
            if self._stopping.is_set():
                break
            try:
                self._answers[query.name] = _answer_isolated(worker, source, query, timeout, in_memory=in_memory)
            except InvalidData as error:
                self._answers[query.name] = error
            finally:
                self._ready[query.name].set()

    def answer(self, query: SavedQuery) -> QueryResult | None:
        self._ready[query.name].wait()
        if self._no_copy:
            return None
        found = self._answers.get(query.name)
        if found is None:
            raise InvalidData([Problem(f"{QUERIES_DIR}/{query.name}.rq", 1, 1, "query-timeout", "this saved query was not answered")],
                              "a saved query failed")
        if isinstance(found, InvalidData):
            raise found
        return found

    def stop(self) -> None:
        """Ask no more queries; the caller closes the worker, which ends the one running."""
        self._stopping.set()
        for event in self._ready.values():
            event.set()  # a reader waiting for an answer that will not come

    def join(self) -> None:
        self._thread.join()
