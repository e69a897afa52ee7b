"""The Python API. The command line is a thin layer over :class:`Atlas`.

>>> from llm_atlas import Atlas
>>> atlas = Atlas.open()                                        # doctest: +SKIP
>>> atlas.build().summary()                                     # doctest: +SKIP
>>> atlas.validate().conforms                                   # doctest: +SKIP
>>> atlas.query("study-sample").rows[0]                         # doctest: +SKIP
"""

from __future__ import annotations

import gc
import os
import re
from pathlib import Path

import pyoxigraph as ox
import rdflib

from . import build as build_job
from . import check as check_pipeline
from . import export as export_job
from . import fmt as fmt_job
from . import link as link_job
from . import mappings as mappings_job
from . import network as network_job
from . import osai as osai_job
from . import publish as publish_job
from . import remote as remote_job
from . import report as report_job
from . import rules as rules_job
from . import validate as validate_job
from .errors import InvalidData, Problem, UsageError
from .layout import QUERIES_DIR, SHAPES_FILE, STORE_DIR, find_root
from .query import QueryResult, SavedQuery, bind_params, load_saved_queries, parse_saved_query, run_query
from .staging import stage
from .store import dump_dir, has_dump, load_dump, read_manifest


class Atlas:
    """An atlas checkout (ontology/, graph/, queries/) and its store."""

    def __init__(self, root: Path, store_dir: Path):
        self.root = root
        self.store_dir = store_dir
        self._memory: ox.Store | None = None
        self._parsed: dict[tuple, SavedQuery] = {}  # saved queries by (name, size, mtime)

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
        """The built data in memory (loaded from the store's dump once), building it first if there is none yet.

        Read it, do not write it: it is the query engine's copy of what the persistent store holds.
        """
        if self._memory is None:
            if read_manifest(self.store_dir) is None or not has_dump(dump_dir(self.store_dir)):
                self.build(force=read_manifest(self.store_dir) is not None)  # a store without its dump: rebuild both
            if self._memory is None:
                self._memory = load_dump(dump_dir(self.store_dir))
        return self._memory

    def close(self) -> None:
        self._memory = None
        gc.collect()

    def __enter__(self) -> "Atlas":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- jobs ------------------------------------------------------------------------------------------

    def build(self, *, force: bool = False) -> build_job.BuildResult:
        """Load every changed file of ontology/, graph/ and imports/ into the store (all of them with ``force``)."""
        memory, self._memory = (None if force else self._memory), None  # changed in place by an incremental build
        result = build_job.build(self.root, self.store_dir, force=force, memory=memory)
        self._memory = result.memory
        return result

    def validate(self) -> validate_job.ValidationReport:
        """SHACL over the data as it is on disk.

        Files changed since the last build are parsed and checked before they reach the store; the build
        is committed only when the data is valid, so invalid data never replaces a valid store.
        """
        staged = stage(self.root, self.store_dir, parse_full=False)
        undo = None
        if staged.full:
            try:
                memory = build_job.load_sources(staged.changed)
            except (SyntaxError, ValueError):  # parse every file the slow way: InvalidData names each bad one
                staged = stage(self.root, self.store_dir, force=True)
                memory = build_job.load_sources(staged.changed)
        else:
            memory = self.store
            undo = build_job.apply_staged(memory, staged)
        report = validate_job.validate(self.root, memory, sorted(staged.hashes))
        if report.conforms:
            if staged.pending:
                build_job.commit(staged, self.store_dir, memory)
            self._memory = memory
        elif undo is not None:
            build_job.revert(memory, undo)
        return report

    def check(self, base: str | None = None) -> check_pipeline.CheckReport:
        """The contribution check (files, entities, format, SHACL, history, summary); writes nothing."""
        self.close()
        return check_pipeline.check(self.root, self.store_dir, base)

    def format_check(self, paths: list[Path]) -> list[Problem]:
        """Problems for the files (or folders) that are not in canonical form; writes nothing."""
        return fmt_job.check_files(fmt_job.expand_paths(paths), root=self.root)

    def format_write(self, paths: list[Path]) -> tuple[list[Path], list[Problem]]:
        """Rewrite the files in canonical form (each proven lossless first); returns (changed, problems)."""
        return fmt_job.write_files(fmt_job.expand_paths(paths), root=self.root)

    def saved_queries(self) -> list[SavedQuery]:
        return load_saved_queries(self.root / QUERIES_DIR, self.root)

    def saved_query(self, name: str) -> SavedQuery:
        path = self.root / QUERIES_DIR / f"{name}.rq"
        if not path.is_file():
            names = ", ".join(q.stem for q in sorted((self.root / QUERIES_DIR).glob("*.rq")))
            raise UsageError(f"no saved query {name!r}; saved queries: {names}")
        stat = path.stat()
        key = (name, stat.st_size, stat.st_mtime_ns)
        if key not in self._parsed:  # parsing checks the query by running it on an empty store: ~10 ms each time
            self._parsed[key] = parse_saved_query(path.read_text(encoding="utf-8"), name, path, path.relative_to(self.root).as_posix())
        return self._parsed[key]

    def query(self, query: str | SavedQuery, params: dict[str, str] | None = None) -> QueryResult:
        """Run a saved query (by name or object), a ``.rq`` file, or SPARQL text."""
        if isinstance(query, str):
            if query.endswith(".rq"):
                query = self._query_file(Path(query))
            elif re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", query):
                query = self.saved_query(query)
            else:
                if params:
                    raise UsageError("--param applies to saved queries, which declare their parameters")
                return run_query(self.store, query)
        return run_query(self.store, query.text, bind_params(query, params or {}))

    def import_osai(self, index_dir: Path, *, version: str | None = None):
        """Import the European Open Source AI Index into imports/osai-index.ttl; returns the ImportReport."""
        self.close()
        return osai_job.import_osai(Path(index_dir), self.root, version=version)

    def link_wikidata(self, endpoint: str = "https://query.wikidata.org/sparql", *, kinds=None, apply: bool = False, contact: str | None = None):
        """Propose (and with ``apply`` write) Wikidata links for entities that lack one; returns the LinkReport."""
        return link_job.link_wikidata(self, endpoint=endpoint, kinds=kinds or None, apply=apply, contact=contact)

    def export_mappings(self, out_path: str | os.PathLike):
        """Every external link as an SSSOM TSV."""
        return mappings_job.export_sssom(self, Path(out_path))

    def export(self, out_dir: str | os.PathLike, formats="all"):
        """Write the whole atlas into ``out_dir`` in the given formats, with a VoID/DCAT description."""
        return export_job.export(self.store, out_dir, formats)

    def export_void(self, out_dir: str | os.PathLike) -> Path:
        return export_job.write_void(self.store, out_dir)

    def publish(self, endpoint: str, **options):
        """Upload every file graph to a Graph Store Protocol endpoint, replacing each; returns the PublishReport."""
        return publish_job.publish(self.store, endpoint, **options)

    def remote_query(self, endpoint: str, query: str | SavedQuery, params: dict[str, str] | None = None, *, atlas_graphs: bool = False) -> QueryResult:
        """Run a saved query (by name), a .rq file or SPARQL text on a remote endpoint through SPARQLWrapper."""
        if isinstance(query, str) and query.endswith(".rq"):
            query = self._query_file(Path(query))
        elif isinstance(query, str) and re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", query):
            query = self.saved_query(query)
        return remote_job.remote_query(endpoint, query, params, atlas_graphs=atlas_graphs)

    def serve(self, **options) -> int:
        """Serve the SPARQL endpoint and the pages until interrupted (see llm_atlas.serve.serve)."""
        from .serve import serve  # the web layer is loaded only when serving

        return serve(self, **options)

    def network(self, out_dir: str | os.PathLike, *, include_inferred: bool = True):
        """Analyse and draw the collaboration network; returns (files written, NetworkReport)."""
        analysis: list = []
        written = network_job.write_network_outputs(self.store, out_dir, include_inferred=include_inferred, analysis=analysis)
        return written, analysis[0]

    def rules(self) -> str:
        """The rule catalogue (docs/rules.md), from the checkout's shapes."""
        shapes = rdflib.Graph().parse(self.root / SHAPES_FILE, format="turtle")
        return rules_job.catalogue(shapes)

    @staticmethod
    def _query_file(path: Path) -> SavedQuery:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read query file {path}: {error}") from None
        if any(line.startswith("#+") for line in text.splitlines()):
            return parse_saved_query(text, path.stem, path, str(path))
        return SavedQuery(path.stem, path, text)

    def report(self, out_dir: str | os.PathLike | None = None) -> report_job.Report:
        """The main job: build, validate, answer the study's questions; write Markdown to ``out_dir``."""
        validation = self.validate()
        if not validation.conforms:
            raise InvalidData(validation.problems, validation.summary())
        return report_job.make_report(self.store, self.saved_queries(), Path(out_dir) if out_dir else None)
