"""``llm-atlas serve``: the atlas as a read-only SPARQL 1.1 endpoint, with a page per entity, the ontology, a
query editor and a page per saved query, on one port (127.0.0.1 by default).

The parts, one concern each:

==============================  =============================================================================
:mod:`llm_atlas.http_app`       HTTP: the ASGI application (Starlette, served by uvicorn), headers, CORS,
                                limits on slow and oversized requests
:mod:`llm_atlas.sparql_protocol` the SPARQL 1.1 Protocol: what a request asks, content negotiation, formats
:mod:`llm_atlas.sparql_guard`   SPARQL safety: SERVICE, FROM and updates, read as the engine reads them
:mod:`llm_atlas.guard_process`  the guard in a sandboxed process, for text from strangers
:mod:`llm_atlas.query_engine`   the query engine: one sandboxed ``oxigraph serve`` holding the atlas in
                                memory; admission, timeouts, row limits, restarts
:mod:`llm_atlas.pages`          the pages: Jinja2 templates over data read from the engine
==============================  =============================================================================

This module starts them: it brings the store up to date (stat-based, cheap when nothing changed), writes
its quads to a snapshot file, loads that into the engine, and runs uvicorn. With ``reload`` it watches the
checkout and loads a new engine when a file changes.

Why it is safe to expose (each point is proven by tests/test_serve.py):

* **Read-only.** ``update`` parameters and ``application/sparql-update`` bodies are refused (403) before
  anything is parsed; a query that is an update is refused (403). The engine holds an in-memory copy made
  from a snapshot; nothing a request does reaches the store on disk, and the engine may not write files.
* **No outbound requests.** Every query passes :mod:`llm_atlas.sparql_guard`, which reads it as pyoxigraph
  does and refuses SERVICE and FROM (403), as are ``default-graph-uri`` and ``named-graph-uri``. Second line
  of defence: the engine runs under Landlock (Linux 6.7 and later), which denies it every outgoing TCP
  connection (:mod:`llm_atlas.sandbox`); the guard process can open no socket or file at all.
* **Bounded.** A timeout per query (503; an engine still busy with it a second later is replaced), a row cap with an explicit flag (``X-Atlas-Truncated``, ``"truncated"`` in JSON), a body cap
  (413), at most ``workers`` queries at the engine and ``queue`` waiting (the rest get 503 with
  ``Retry-After``), deadlines for a request's headers and body (408), a cap on open connections (503), a
  bound on the engine's resident memory (it is replaced beyond it), an address-space limit for the guard. CORS is off unless an origin is given.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox

from .errors import InvalidData, UsageError
from .namespaces import PREFIXES

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_TIMEOUT = 10.0  # seconds a query may run
DEFAULT_MAX_ROWS = 10_000  # solutions (SELECT) or triples (CONSTRUCT, DESCRIBE) per answer
DEFAULT_MAX_BODY = 256 * 1024  # bytes of a POST body; the longest saved query is under 5 KiB
DEFAULT_QUEUE = 64  # queries that may wait for a slot beyond those running (each waits at most one timeout)
DEFAULT_MAX_CONNECTIONS = 1024  # open connections and requests in progress before new ones get 503 at once
DEFAULT_HEAD_TIMEOUT = 10.0  # seconds a client may take to send its request line and headers
DEFAULT_BODY_TIMEOUT = 10.0  # seconds a client may take to send its request body
DEFAULT_ENGINE_MEMORY = 4 * 1024**3  # resident memory of the engine (bytes) before it is replaced; it holds the atlas
RELOAD_INTERVAL = 1.0  # seconds between looks at the checkout with ``reload``
GUARD_TIMEOUT = 10.0  # seconds the SPARQL guard may take to read one query

WEB_DIR = Path(__file__).resolve().parent / "web"
STATIC_DIR = WEB_DIR / "static"


def store_fingerprint(store_dir: Path) -> str:
    """SHA-256 over the names and bytes of every file of a store folder and its manifest (for tests)."""
    digest = hashlib.sha256()
    paths = sorted(p for p in store_dir.rglob("*") if p.is_file())
    manifest = store_dir.parent / (store_dir.name + ".manifest.json")
    if manifest.is_file():
        paths.append(manifest)
    for path in paths:
        digest.update(str(path.relative_to(store_dir.parent)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _stale(atlas) -> bool:
    """Whether a file changed since the last build (sizes and times, hashing only the doubtful; nothing
    written: the store is opened for writing only when there is something to build)."""
    from .staging import stage

    staged = stage(atlas.root, atlas.store_dir, parse_full=False)
    return bool(staged.full or staged.changed or staged.removed)


def _bring_up_to_date(atlas) -> str | None:
    """Build what changed; a warning when the checkout does not build but an older store can be served."""
    from .store import read_manifest

    try:
        if _stale(atlas):
            atlas.build()
    except InvalidData as error:
        if read_manifest(atlas.store_dir) is None:
            raise
        return f"warning: the checkout does not build ({error}); serving the store as it was last built"
    return None


def _queries_stamp(root: Path) -> tuple:
    from .layout import QUERIES_DIR

    folder = root / QUERIES_DIR
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(folder.glob("*.rq"))) if folder.is_dir() else ()


class AtlasServer:
    """The endpoint and its pages. ``start()`` runs it in a thread (tests), ``serve_forever()`` in the calling
    thread (the command line); ``close()`` stops the server, the engine and the guard."""

    def __init__(self, atlas, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, timeout: float = DEFAULT_TIMEOUT,
                 max_rows: int = DEFAULT_MAX_ROWS, cors: str | None = None, workers: int | None = None,
                 queue: int = DEFAULT_QUEUE, max_body: int = DEFAULT_MAX_BODY,
                 max_connections: int = DEFAULT_MAX_CONNECTIONS, engine_memory: int | None = DEFAULT_ENGINE_MEMORY,
                 head_timeout: float = DEFAULT_HEAD_TIMEOUT, body_timeout: float = DEFAULT_BODY_TIMEOUT,
                 sandbox: bool = True, in_memory: bool = True, reload: bool = False, log: bool = False, as_of: str | None = None):
        from .guard_process import GuardProcess
        from .http_app import AtlasApp, Settings, load_static, protocol_with_head_deadline
        from .pages import PageData, Pages
        from .query_engine import QueryEngine, checkpoint

        if timeout <= 0:
            raise ValueError("the timeout must be positive")
        if max_rows < 1:
            raise ValueError("max_rows must be at least 1")
        if as_of is not None:
            from .asof import parse_date

            parse_date(as_of)
            if reload:
                raise UsageError("--as-of serves the atlas as known on a past date: it does not go with --reload")
        self.atlas = atlas
        self.as_of = as_of
        self.timeout = float(timeout)
        self.max_rows = int(max_rows)
        self.max_body = int(max_body)
        self.cors = cors.strip() if cors else None
        self.log = log
        self.reload = reload
        self.warning = _bring_up_to_date(atlas)
        self.workdir = Path(tempfile.mkdtemp(prefix="llm-atlas-serve-"))
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        self._watcher: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.engine = self.guard = None
        try:
            # queries at the engine at once: two per core, so that our side of one overlaps the engine's of another
            self.concurrency = workers or max(2, min(8, 2 * (os.cpu_count() or 1)))
            source = atlas.store_dir
            if as_of is not None:  # the atlas as known then, written once into the server's own folder
                from .asof import materialize

                view = atlas.view(as_of)
                self.warning = "; ".join(filter(None, (self.warning, f"serving the atlas {atlas.as_of_note}")))
                atlas.close()
                source = materialize(view, self.workdir / "as-of-store")
                del view
            self.engine = QueryEngine(checkpoint(source, self.workdir / "checkpoint-0"), concurrency=self.concurrency,
                                      queue=queue, timeout=self.timeout, max_rows=self.max_rows, memory=engine_memory,
                                      sandbox=sandbox, in_memory=in_memory, log=self.workdir / "engine.log").start()
            # the guard reads a query in a millisecond; the bound is for hostile texts, not for a busy machine
            self.guard = GuardProcess(PREFIXES, timeout=GUARD_TIMEOUT)
            self.pages = Pages(PageData(self._select, self._construct), self._saved_queries(), timeout=self.timeout,
                               max_rows=self.max_rows)
            self._queries_stamp = _queries_stamp(atlas.root)
            self.sock = self._listen(host, port)
            self.host, self.port = self.sock.getsockname()[:2]
            settings = Settings(timeout=self.timeout, max_rows=self.max_rows, max_body=self.max_body, body_timeout=body_timeout,
                                cors=self.cors, concurrency=self.concurrency, host=self.host, port=self.port, access_log=log)
            self.app = AtlasApp(self.engine, self.guard, self.pages, load_static(STATIC_DIR), settings, log_errors=log)
            import uvicorn

            config = uvicorn.Config(self.app.asgi, http=protocol_with_head_deadline(head_timeout), lifespan="off",
                                    limit_concurrency=max_connections, timeout_keep_alive=5, server_header=False,
                                    access_log=False, log_level="info" if log else "warning")
            self.server = uvicorn.Server(config)
        except BaseException:
            self._shutdown()
            raise

    # -- data for the pages --------------------------------------------------------------------------------

    async def _select(self, query: str) -> list[dict]:
        from .sparql_protocol import Refused
        from .query_engine import Busy, EngineRefused, EngineStopped, QueryTimeout

        try:
            answer = await self.engine.internal(query)
        except (Busy, QueryTimeout, EngineStopped) as error:
            raise Refused(503, f"the page could not be made just now ({type(error).__name__}): try again") from None
        except EngineRefused as refusal:
            raise RuntimeError(f"a page query failed: {refusal.message}") from None
        solutions = ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.TSV)
        names = [v.value for v in solutions.variables]
        return [{name: solution[name] for name in names} for solution in solutions]

    async def _construct(self, query: str) -> list[ox.Triple]:
        from .query_engine import N_TRIPLES

        answer = await self.engine.internal(query, N_TRIPLES)
        return [quad.triple for quad in ox.parse(answer.body, format=ox.RdfFormat.N_TRIPLES)]

    def _saved_queries(self) -> list:
        from .layout import QUERIES_DIR

        return self.atlas.saved_queries() if (self.atlas.root / QUERIES_DIR).is_dir() else []

    # -- running -------------------------------------------------------------------------------------------

    @staticmethod
    def _listen(host: str, port: int) -> socket.socket:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
            sock.listen(256)
        except OSError as error:
            sock.close()
            raise UsageError(f"cannot listen on {host}:{port}: {error}") from None
        return sock

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            try:
                await self.server.serve(sockets=[self.sock])
            finally:
                await self.engine.aclose()

        asyncio.run(main()) if not _uvloop() else _uvloop().run(main())

    def start(self) -> AtlasServer:
        self._thread = threading.Thread(target=self._run, name="llm-atlas-serve", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not self.server.started:
            self.close()
            raise RuntimeError("the server did not start")
        self._start_watcher()
        return self

    def serve_forever(self) -> None:
        self._start_watcher()
        self._run()

    def _start_watcher(self) -> None:
        if self.reload and self._watcher is None:
            self._watcher = threading.Thread(target=self._watch, name="llm-atlas-reload", daemon=True)
            self._watcher.start()

    def _watch(self) -> None:
        """``reload``: look at the checkout every second; when a file changed, build it and load a new engine."""
        generation = 0
        while not self._closed.wait(RELOAD_INTERVAL):
            try:
                stamp = _queries_stamp(self.atlas.root)
                if stamp != self._queries_stamp:
                    self._queries_stamp = stamp
                    self.pages.saved_queries = self._saved_queries()
                    print("reloaded the saved queries", file=sys.stderr, flush=True)
                if not _stale(self.atlas):
                    continue
                result = self.atlas.build()
                generation += 1
                self.reload_engine(self.workdir / f"checkpoint-{generation}")
                print(f"reloaded: {len(result.loaded)} file(s) changed, {len(result.removed)} removed", file=sys.stderr, flush=True)
            except (InvalidData, UsageError) as error:
                print(f"reload: the checkout does not build, still serving the last good version: {error}", file=sys.stderr, flush=True)
            except Exception as error:  # noqa: BLE001 - keep serving the last good version whatever went wrong
                print(f"reload failed, still serving the last good version: {error}", file=sys.stderr, flush=True)

    def reload_engine(self, destination: Path) -> None:
        """Serve the store as it is now: a new checkpoint, answered from disk at once, from memory when loaded."""
        from .query_engine import checkpoint

        old = self.engine.checkpoint
        self.engine.replace_checkpoint(checkpoint(self.atlas.store_dir, destination))
        self.pages.data.forget()
        timer = threading.Timer(self.timeout + 2.0, shutil.rmtree, args=(old,), kwargs={"ignore_errors": True})
        timer.daemon = True
        timer.start()

    def close(self) -> None:
        self._closed.set()
        if self._thread is not None:
            self.server.should_exit = True
            self._thread.join(10)
        self._shutdown()

    def _shutdown(self) -> None:
        self._closed.set()
        if self.engine is not None:
            self.engine.close()
        if self.guard is not None:
            self.guard.close()
        with contextlib.suppress(Exception):
            self.sock.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> AtlasServer:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _uvloop():
    """uvloop when it is installed (faster, Linux and macOS), else None: the standard asyncio loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return None
    return uvloop


def serve(atlas, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, timeout: float = DEFAULT_TIMEOUT,
          max_rows: int = DEFAULT_MAX_ROWS, cors: str | None = None, workers: int | None = None,
          queue: int = DEFAULT_QUEUE, max_body: int = DEFAULT_MAX_BODY, reload: bool = False, log: bool = True,
          ready: Callable[[AtlasServer], None] | None = None, as_of: str | None = None) -> int:
    """Serve the atlas until interrupted (Ctrl-C or SIGTERM); returns the exit code (0).

    ``atlas`` is an :class:`llm_atlas.Atlas`; its store is brought up to date first. Raises
    :class:`llm_atlas.errors.UsageError` when the address cannot be bound.
    """
    from .sandbox import NETWORK_ABI, landlock_abi

    server = AtlasServer(atlas, host=host, port=port, timeout=timeout, max_rows=max_rows, cors=cors, workers=workers,
                         queue=queue, max_body=max_body, reload=reload, log=log, as_of=as_of)
    notes = [server.warning] if server.warning else []
    if host not in ("127.0.0.1", "localhost", "::1"):
        notes.append(f"note: listening on {host}, not only on this machine; the endpoint is read-only and bounded, "
                     "but put a proxy with TLS in front of it for the open internet")
    if landlock_abi() < NETWORK_ABI:
        notes.append("note: this kernel has no Landlock network rules (Linux 6.7 and later): the query engine is not "
                     "fenced off the network, only the SPARQL guard refuses SERVICE")
    print(f"LLM Atlas at {server.url}/ (SPARQL endpoint {server.url}/sparql, query page {server.url}/query); "
          f"timeout {server.timeout:g} s, at most {server.max_rows} rows, {server.concurrency} queries at a time, "
          f"CORS {'for ' + server.cors if server.cors else 'off'}{', reloading on changes' if reload else ''}. Ctrl-C stops."
          + "".join("\n" + n for n in notes), file=sys.stderr, flush=True)
    if ready is not None:
        ready(server)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    return 0


__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_MAX_ROWS",
    "DEFAULT_PORT",
    "DEFAULT_TIMEOUT",
    "AtlasServer",
    "serve",
    "store_fingerprint",
]
