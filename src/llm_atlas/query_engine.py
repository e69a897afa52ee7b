"""The query engine of ``llm-atlas serve``: one ``oxigraph serve`` process holding the atlas in memory.

Why a separate Oxigraph server rather than pyoxigraph in worker processes of our own (measured, see
benchmarks/results/endpoint.md): pyoxigraph holds the GIL while it evaluates, so using both cores took two
processes with a copy each, and forked copies do not stay shared (reading the in-memory store writes to its
pages: one full scan made 255 of 320 MB private in each child at 10^6 triples). One Oxigraph server answers
on every core from one copy, and it cancels most queries that overrun.

The engine starts from a **checkpoint** of the store (RocksDB hard links: a millisecond, no copy): first an
engine that reads the checkpoint on disk answers at once, while an in-memory engine is loaded from it in the
background (the disk engine streams its quads into it); then the in-memory engine takes over and the disk
engine stops. At 10^6 triples the first answer comes within a second instead of after the load, and memory
holds one copy. Engines run through :mod:`llm_atlas.sandbox` (no outgoing TCP, no file writes, bounded
memory) on 127.0.0.1 and a port of our choosing.

:class:`QueryEngine` is the engines' only client, on the server's event loop:

* at most ``concurrency`` queries run at the engine and ``queue`` more wait; beyond that :class:`Busy`;
* a query still running after ``timeout`` seconds is abandoned (:class:`QueryTimeout`); if it still runs
  ``CANCEL_GRACE`` seconds after that, or abandoned queries fill every slot, the engine is replaced (disk
  engine at once, memory in the background: the only sure way to stop a query, Oxigraph's own cancellation
  misses a cartesian COUNT or an ORDER BY over a product) and the queries it was answering are asked again
  of the new one;
* answers are read only up to ``max_rows`` rows (the rest is never transferred) and come back as TSV
  (solutions), JSON (a boolean) or N-Triples (graphs), formats whose rows can be counted exactly, or as the
  engine's SPARQL JSON for solutions a client wants in JSON (its rows counted by
  :class:`~llm_atlas.sparql_results.JsonRowCounter`, and sent on as they are); the protocol layer turns the
  others into whatever the client asked for;
* an engine that dies, or whose resident memory passes ``memory`` (a query wanting too much), is replaced the
  same way; the queries it was answering get :class:`EngineStopped` (one of them did it: none is asked again).
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import httptools
import pyoxigraph as ox

from .sparql_results import JsonRowCounter, json_select_error

START_TIMEOUT = 60.0  # seconds for the engine to listen
CANCEL_GRACE = 1.0  # seconds past the timeout an abandoned query may keep the engine busy before it is replaced
DEFAULT_ENGINE_MEMORY = 4 * 1024**3  # resident memory the engine may use (bytes) before it is replaced
MEMORY_CHECK = 0.25  # seconds between looks at the engine's resident memory
TSV = "text/tab-separated-values"
N_TRIPLES = "application/n-triples"
SPARQL_JSON = "application/sparql-results+json"


class Busy(Exception):
    """Every query slot is taken and the queue is full, or a queued query waited a whole timeout."""


class QueryTimeout(Exception):
    """The query ran longer than the timeout; it was abandoned."""


class EngineStopped(Exception):
    """The engine died while answering (or is being restarted)."""


class EngineRefused(Exception):
    """The engine answered with an error: its HTTP status and message."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class EngineAnswer:
    """What the engine sent, cut at the row limit: the body in ``media`` (TSV, JSON or N-Triples)."""

    media: str
    body: bytes
    truncated: bool = False
    engine: str = "memory"  # "memory", or "disk" while the in-memory engine is being loaded


def find_oxigraph() -> str | None:
    """The ``oxigraph`` command installed beside this Python (the ``oxigraph`` package), else on PATH."""
    return shutil.which("oxigraph", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))


class _Spawner:
    """Starts every engine from one thread that lives as long as the server's process.

    The sandbox asks the kernel to kill the engine when its parent dies (PR_SET_PDEATHSIG), and for the
    kernel the parent is the *thread* that started it: an engine started by a short-lived thread (the one that
    loads memory in the background) would be killed when that thread ends.
    """

    def __init__(self):
        self._requests: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def popen(self, command: list[str], **options) -> subprocess.Popen:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="llm-atlas-engine-spawner", daemon=True)
                self._thread.start()
        done: queue.Queue = queue.Queue(maxsize=1)
        self._requests.put((command, options, done))
        outcome = done.get()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _serve(self) -> None:
        while True:
            command, options, done = self._requests.get()
            try:
                done.put(subprocess.Popen(command, **options))
            except BaseException as error:  # noqa: BLE001 - handed to the caller
                done.put(error)


_SPAWNER = _Spawner()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


class EngineProcess:
    """One sandboxed ``oxigraph serve``: reading a checkpoint on disk (``checkpoint`` given), or in memory."""

    host = "127.0.0.1"

    def __init__(self, checkpoint: Path | None = None, *, timeout: float, sandbox: bool = True, log: Path | None = None,
                 executable: str | None = None):
        self.checkpoint = checkpoint
        self.timeout = timeout
        self.sandbox = sandbox
        self.log = log
        self.executable = executable or find_oxigraph()
        if self.executable is None:
            raise RuntimeError("the oxigraph command is not installed (pip install oxigraph, a dependency of llm-atlas)")
        self.process: subprocess.Popen | None = None
        self.port = 0

    @property
    def in_memory(self) -> bool:
        return self.checkpoint is None

    def start(self) -> EngineProcess:
        """Start the server; blocks until it listens (a memory engine is empty until :meth:`copy_from`)."""
        for attempt in range(5):  # the port is picked, then bound by the engine: another process may take it between
            self.port = _free_port(self.host)
            where = ["serve"] if self.checkpoint is None else ["serve-read-only", "--location", str(self.checkpoint)]
            # no --timeout-s: Oxigraph would start a thread per query that sleeps through the timeout (thousands
            # under load, until thread creation fails), and cancels only some queries; QueryEngine replaces an
            # engine that will not let go of a query instead
            command = [self.executable, *where, "--bind", f"{self.host}:{self.port}", "--union-default-graph"]
            if self.sandbox:
                # the sandbox module needs nothing but the standard library: run as a script, not through the package
                # no address-space limit: Oxigraph starts a thread (2 MiB of stack reserved) per query to time it out,
                # thousands a minute under load; QueryEngine bounds the resident memory instead
                command = [sys.executable, str(Path(__file__).resolve().parent / "sandbox.py"), "--bind-port", str(self.port),
                           "--", *command]
            log = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115 - closed below
            try:
                self.process = _SPAWNER.popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True)
            finally:
                if self.log:
                    log.close()
            if self._wait_listening():
                return self
            self.stop()
        raise RuntimeError(f"the query engine did not start: {self.log_tail()}")

    def _wait_listening(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.01)
        return False

    def copy_from(self, source: EngineProcess) -> None:
        """Stream every quad of ``source`` (N-Quads from its Graph Store) into this in-memory engine, with
        Oxigraph's bulk loader (no transaction: nothing queries this engine yet). Blocks."""
        reading = http.client.HTTPConnection(source.host, source.port, timeout=START_TIMEOUT * 20)
        writing = http.client.HTTPConnection(self.host, self.port, timeout=START_TIMEOUT * 20)
        try:
            reading.request("GET", "/store", headers={"Accept": "application/n-quads"})
            dump = reading.getresponse()
            if dump.status != 200:
                raise RuntimeError(f"the disk engine did not give its quads: {dump.status} {dump.read(300)!r}")

            def chunks():
                while chunk := dump.read(1 << 20):
                    yield chunk

            writing.request("POST", "/store?no_transaction", body=chunks(), encode_chunked=True,
                            headers={"Content-Type": "application/n-quads"})
            response = writing.getresponse()
            message = response.read()
            if response.status >= 300:
                raise RuntimeError(f"the memory engine refused the quads: {response.status} {message[:300]!r}")
        finally:
            reading.close()
            writing.close()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def resident_bytes(self) -> int:
        """The engine's resident memory (Linux; 0 where it cannot be read)."""
        if self.process is None:
            return 0
        try:
            with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            pass
        return 0

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(5)
        self.process = None

    def log_tail(self, size: int = 2000) -> str:
        if not self.log or not self.log.exists():
            return "(no log)"
        return self.log.read_bytes()[-size:].decode("utf-8", "replace").strip()


def checkpoint(store_dir: Path, destination: Path) -> Path:
    """A checkpoint of the store at ``destination``: RocksDB hard links, made in a millisecond through a
    read-only handle (nothing is written to the store). Building the store later does not change it."""
    store = ox.Store.read_only(str(store_dir))
    try:
        store.backup(str(destination))
    finally:
        del store
    return destination


class _Connection:
    """One keep-alive HTTP/1.1 connection to the engine, read with httptools (the parser uvicorn uses)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, port: int):
        self.reader = reader
        self.writer = writer
        self.port = port  # of the engine it talks to
        self.reusable = True
        self.reused = False  # taken from the pool: the engine may have closed it meanwhile
        self._reading: _Response | None = None  # the answer being read (kept when a read is cancelled, for finish)

    @classmethod
    async def open(cls, host: str, port: int) -> _Connection:
        reader, writer = await asyncio.open_connection(host, port)
        return cls(reader, writer, port)

    async def request(self, path: str, body: bytes, accept: str,
                      counter: _LineCounter | JsonRowCounter | None = None) -> tuple[int, bytes, bool]:
        """(status, body, cut): the response body, read until ``counter`` (when given) is over its limit (then
        the connection is given up and ``cut`` is true: the rest of the answer is never transferred).

        Cancelled (a timeout), it leaves its reading where it stopped: :meth:`finish` goes on with it."""
        self.writer.write(b"POST " + path.encode() + b" HTTP/1.1\r\nHost: engine\r\nContent-Type: application/sparql-query\r\n"
                          b"Accept: " + accept.encode() + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        reading = self._reading = _Response(counter)
        reading.parser = httptools.HttpResponseParser(reading)
        await self.writer.drain()
        return await self.finish()

    async def finish(self) -> tuple[int, bytes, bool]:
        """Read the rest of the answer :meth:`request` began (a stream read that is cancelled loses no data)."""
        reading, parser, counter = self._reading, self._reading.parser, self._reading.counter
        while not reading.complete:
            data = await self.reader.read(256 * 1024)
            if not data:
                raise ConnectionError("the engine closed the connection")
            parser.feed_data(data)
            if counter is not None and counter.over:
                self.reusable = False
                self._let_go()
                return parser.get_status_code(), b"".join(reading.chunks), True
        self.reusable = reading.keep_alive
        self._let_go()
        return parser.get_status_code(), b"".join(reading.chunks), False

    def _let_go(self) -> None:
        """Forget the answer read: the parser and its callbacks refer to each other, a cycle that only Python's
        full collections free, so each large answer (its chunks) stayed in memory long after it was sent."""
        if self._reading is not None:
            self._reading.parser = None
            self._reading = None

    def close(self) -> None:
        self.reusable = False
        self._let_go()
        with contextlib.suppress(Exception):
            self.writer.close()


class _LineCounter:
    """The lines of a TSV or N-Triples answer as it streams in (the same interface as
    :class:`~llm_atlas.sparql_results.JsonRowCounter`): over once there are more than ``limit``."""

    def __init__(self, limit: int):
        self.limit = limit
        self.lines = 0
        self.over = False

    def feed(self, chunk: bytes) -> None:
        self.lines += chunk.count(b"\n")
        self.over = self.lines > self.limit

    def cut(self, document: bytes) -> bytes:
        """``document`` with its first ``limit`` lines only."""
        return b"\n".join(document.split(b"\n", self.limit)[:self.limit]) + b"\n"


class _Response:
    """httptools callbacks: the body chunks (each fed to ``counter``) and whether the message is complete."""

    def __init__(self, counter: _LineCounter | JsonRowCounter | None = None):
        self.chunks: list[bytes] = []
        self.counter = counter
        self.complete = False
        self.keep_alive = False
        self.parser = None

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        if self.counter is not None:
            self.counter.feed(body)

    def on_message_complete(self) -> None:
        self.complete = True
        self.keep_alive = self.parser.should_keep_alive()  # llhttp forgets it once the message is over


@dataclass
class EngineStats:
    timeouts: int = 0  # queries abandoned at the timeout
    restarts: int = 0  # engines replaced because a query would not stop, or the engine died
    promotions: int = 0  # in-memory engines that took over from a disk engine


class QueryEngine:
    """The engines' only client: admission, timeouts, row limits, replacements. Lives on one event loop;
    engines are started and swapped from threads (:meth:`start`, :meth:`replace_checkpoint`, restarts)."""

    def __init__(self, checkpoint: Path, *, concurrency: int, queue: int, timeout: float, max_rows: int,
                 memory: int | None = DEFAULT_ENGINE_MEMORY, sandbox: bool = True, in_memory: bool = True,
                 log: Path | None = None, executable: str | None = None):
        if concurrency < 1:
            raise ValueError("the query engine needs at least one query slot")
        self.checkpoint = checkpoint
        self.concurrency = concurrency
        self.queue = max(0, queue)
        self.timeout = float(timeout)
        self.max_rows = int(max_rows)
        self.in_memory = in_memory
        self.memory = memory
        self._options = {"timeout": self.timeout, "sandbox": sandbox, "log": log, "executable": executable}
        self.process: EngineProcess | None = None
        self.stats = EngineStats()
        self.promoted = threading.Event()  # set when an in-memory engine has taken over
        self._swap = threading.Lock()  # one engine swap at a time (start, promotion, reload, restart)
        self._generation = 0  # counts swaps of the engine that answers
        self._data_generation = 0  # counts checkpoints: a copy of an older one is dropped
        self._feeding: EngineProcess | None = None  # the disk engine an in-memory copy is being loaded from
        self._spares: list[EngineProcess] = []  # engines being loaded or answering their last queries
        self._closed = False
        self._slots: asyncio.Semaphore | None = None
        self._internal_slots: asyncio.Semaphore | None = None
        self._ready: asyncio.Event | None = None
        self._waiting = 0
        self._abandoned = 0
        self._idle: deque[_Connection] = deque()
        self._restarting: asyncio.Future | None = None
        self._watchers: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._killed: set[int] = set()  # ids of engines stopped for what a query did (its queries are not asked again)

    # -- engines (threads) ---------------------------------------------------------------------------------

    def _engine(self, checkpoint: Path | None) -> EngineProcess:
        return EngineProcess(checkpoint, **self._options)

    def start(self) -> QueryEngine:
        """An engine on the checkpoint, answering at once; the in-memory copy is made in the background."""
        self.process = self._engine(self.checkpoint).start()
        self._promote_in_background()
        if self.memory:
            threading.Thread(target=self._watch_memory, name="llm-atlas-engine-memory", daemon=True).start()
        return self

    def _watch_memory(self) -> None:
        """Replace an engine whose resident memory passes the limit (a query wanting too much): what an address
        space limit would do, without counting the stacks Oxigraph reserves for its timeout threads."""
        while not self._closed:
            time.sleep(MEMORY_CHECK)
            process, loop = self.process, self._loop
            if process is not None and loop is not None and process.resident_bytes() > self.memory:
                self._killed.add(id(process))
                process.stop()  # the query dies with it; _run sees the engine gone and restarts it

    def _promote_in_background(self) -> None:
        """Load an in-memory engine from the disk engine now answering, unless a copy is under way (a copy
        survives the replacement of the engine that answers queries: the engine feeding it stays until done)."""
        with self._swap:
            if not self.in_memory or self._closed or self._feeding is not None or self.process is None or self.process.in_memory:
                return
            self._feeding = self.process
            data = self._data_generation
        self.promoted.clear()
        threading.Thread(target=self._promote, args=(data,), name="llm-atlas-engine-load", daemon=True).start()

    def _promote(self, data: int) -> None:
        source = self._feeding
        assert source is not None
        target = self._engine(None)
        self._spares.append(target)
        try:
            target.start().copy_from(source)
        except Exception as error:  # noqa: BLE001 - the disk engine keeps answering; say why the copy failed
            print(f"llm-atlas serve: the in-memory engine could not be loaded ({error}); answering from disk",
                  file=sys.stderr, flush=True)
            target.stop()
            self._spares.remove(target)
            with self._swap:
                self._feeding = None
                retry = not self._closed and source is not self.process  # the feeder died or was replaced: try again
            if source is not self.process:
                source.stop()
            if retry:
                self._promote_in_background()
            return
        with self._swap:
            self._feeding = None
            self._spares.remove(target)
            if self._closed or data != self._data_generation:  # the checkpoint changed meanwhile (serve --reload)
                target.stop()
                stale = True
            else:
                old, self.process = self.process, target
                self._generation += 1
                self.stats.promotions += 1
                stale = False
        if stale:
            if source is not self.process:
                source.stop()
            self._promote_in_background()
            return
        if old is not source:
            source.stop()  # the feeder had been replaced for queries meanwhile: its copy is done
        if old is not None:
            self._retire(old)
        self.promoted.set()

    def _retire(self, old: EngineProcess) -> None:
        """Stop an engine once the queries it began are answered (or have timed out)."""
        self._spares.append(old)

        def stop() -> None:
            old.stop()
            with contextlib.suppress(ValueError):
                self._spares.remove(old)

        timer = threading.Timer(self.timeout + 1.0, stop)
        timer.daemon = True
        timer.start()

    def replace_checkpoint(self, checkpoint: Path) -> None:
        """Serve a newer checkpoint (``serve --reload``): on disk at once, in memory when loaded."""
        fresh = self._engine(checkpoint).start()
        with self._swap:
            old, self.process = self.process, fresh
            self.checkpoint = checkpoint
            self._generation += 1
            self._data_generation += 1
            feeding = old is self._feeding
        if old is not None and not feeding:
            self._retire(old)
        self._promote_in_background()

    def _restart(self) -> None:
        """Replace an engine that will not stop a query, or that died: a disk engine on the checkpoint takes
        over at once, the stuck one is killed (and its query with it), memory follows in the background. A
        disk engine that is feeding the in-memory copy is left to finish it (then stopped): killing it would
        start the copy over, and at 10^6 triples a run of slow queries on disk would never let it end."""
        fresh = self._engine(self.checkpoint).start()
        with self._swap:
            old, self.process = self.process, fresh
            self._generation += 1
            self.stats.restarts += 1
            feeding = old is self._feeding
        if old is not None and not feeding:
            old.stop()
        self._promote_in_background()

    # -- admission -----------------------------------------------------------------------------------------

    def _loop_state(self) -> None:
        if self._slots is None:  # created on the loop that uses them
            self._slots = asyncio.Semaphore(self.concurrency)
            self._internal_slots = asyncio.Semaphore(self.concurrency)
            self._ready = asyncio.Event()
            self._ready.set()
            self._loop = asyncio.get_running_loop()

    async def answer(self, text: str, form: str, *, json: bool = False) -> EngineAnswer:
        """Run a query the guard passed; the answer in the engine's countable format for its form: TSV for
        SELECT, or with ``json`` the engine's SPARQL JSON, cut at the row cap by counting its rows as it comes
        (what a client that asks for JSON is sent as it is, without being parsed and written again)."""
        if form == "SELECT":
            media = SPARQL_JSON if json else TSV
        else:
            media = SPARQL_JSON if form == "ASK" else N_TRIPLES
        max_lines = None if form == "ASK" else self.max_rows + (1 if form == "SELECT" else 0)
        self._loop_state()
        assert self._slots is not None
        if self._closed or (self._slots.locked() and self._waiting >= self.queue):
            raise Busy()
        if not self._slots.locked():
            await self._slots.acquire()  # a free slot: taken at once, without a timer
        else:
            self._waiting += 1
            try:  # a queued query waits at most one timeout for a slot
                await asyncio.wait_for(self._slots.acquire(), self.timeout)
            except asyncio.TimeoutError:
                raise Busy() from None
            finally:
                self._waiting -= 1
        try:
            return await self._run(text, media, max_lines)
        finally:
            self._slots.release()

    async def internal(self, text: str, media: str = TSV, *, max_lines: int | None = None) -> EngineAnswer:
        """A query of the server's own (for the pages): bounded apart from the public queries, so a flood of
        page views cannot take their slots, nor the reverse."""
        self._loop_state()
        assert self._internal_slots is not None
        async with self._internal_slots:
            return await self._run(text, media, max_lines)

    # -- one query -----------------------------------------------------------------------------------------

    async def _run(self, text: str, media: str, max_lines: int | None) -> EngineAnswer:
        assert self._ready is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        for _attempt in range(3):
            if not self._ready.is_set():  # an engine is being replaced: wait for it within the deadline
                try:
                    await asyncio.wait_for(self._ready.wait(), max(0.001, deadline - loop.time()))
                except asyncio.TimeoutError:
                    raise EngineStopped() from None
            process = self.process
            if process is None:
                raise EngineStopped()
            connection = None
            # what counts the answer's rows as it comes: a SELECT's JSON its rows, other formats their lines
            counter = None if max_lines is None else JsonRowCounter(self.max_rows) if media == SPARQL_JSON else _LineCounter(max_lines)
            try:
                connection = await self._connection(process)
                # no task of its own: the timeout cancels the reading, and the watcher goes on with it
                timer = asyncio.timeout_at(deadline)
                try:
                    async with timer:
                        status, body, cut = await connection.request("/query", text.encode("utf-8"), media, counter)
                except TimeoutError:
                    if not timer.expired():  # a socket's own timeout, not the query's
                        raise
                    self.stats.timeouts += 1
                    self._watch_abandoned(connection, process)
                    raise QueryTimeout() from None
            except asyncio.CancelledError:  # the request itself was cancelled: the connection is mid-answer
                if connection is not None:
                    connection.close()
                raise
            except (ConnectionError, OSError, httptools.HttpParserError) as error:
                if connection is not None:
                    connection.close()
                if self.process is not process and id(process) not in self._killed:
                    continue  # the engine was swapped meanwhile (reload, memory, restart): ask the one now serving
                if connection is not None and connection.reused and process.alive:
                    continue  # a kept-alive connection the engine had closed: ask again on a new one
                for _ in range(20):  # did it die? (a crash closes the sockets a moment before the process is gone)
                    if not process.alive:
                        break
                    await asyncio.sleep(0.05)
                if not process.alive:
                    self._schedule_restart(process)
                    raise EngineStopped() from None
                raise EngineRefused(502, f"the query engine could not be reached: {error}") from None
            self._release(connection)
            if status != 200:
                raise EngineRefused(status, body.decode("utf-8", "replace").strip())
            where = "memory" if process.in_memory else "disk"
            if cut:
                assert counter is not None
                return EngineAnswer(media, counter.cut(body), truncated=True, engine=where)
            # an error while Oxigraph streams rows comes after the rows it wrote: a 200 with a tail
            if isinstance(counter, JsonRowCounter) and (error := json_select_error(body)) is not None:
                raise EngineRefused(400, error)
            if body and not body.endswith(b"\n") and media != SPARQL_JSON:
                raise EngineRefused(400, body.rsplit(b"\n", 1)[-1].decode("utf-8", "replace").strip())
            return EngineAnswer(media, body, engine=where)
        raise EngineStopped()

    async def _connection(self, process: EngineProcess) -> _Connection:
        while self._idle:
            connection = self._idle.pop()
            if connection.reusable and connection.port == process.port and not connection.writer.is_closing():
                connection.reused = True
                return connection
            connection.close()
        return await _Connection.open(process.host, process.port)

    def _release(self, connection: _Connection) -> None:
        if connection.reusable and not self._closed and self.process is not None and connection.port == self.process.port:
            self._idle.append(connection)
        else:
            connection.close()

    def _watch_abandoned(self, connection: _Connection, process: EngineProcess) -> None:
        """Should the engine still be busy with an abandoned query ``CANCEL_GRACE`` seconds later, or should
        abandoned queries fill every slot, it is replaced."""
        self._abandoned += 1

        async def watch() -> None:
            try:
                await asyncio.wait_for(connection.finish(), CANCEL_GRACE)
            except asyncio.TimeoutError:
                self._schedule_restart(process)
            except Exception:  # noqa: BLE001 - the engine ended it with an error or hung up: done
                pass
            finally:
                connection.close()
                self._abandoned -= 1

        task = asyncio.ensure_future(watch())
        self._watchers.add(task)
        task.add_done_callback(self._watchers.discard)
        if self._abandoned >= self.concurrency:
            self._schedule_restart(process)

    def _schedule_restart(self, process: EngineProcess) -> None:
        if self._closed or self.process is not process or (self._restarting is not None and not self._restarting.done()):
            return
        assert self._ready is not None
        self._ready.clear()

        async def restart() -> None:
            try:
                await asyncio.to_thread(self._restart)
            finally:
                while self._idle:
                    self._idle.pop().close()
                self._ready.set()

        self._restarting = asyncio.ensure_future(restart())

    @property
    def ready(self) -> bool:
        return self._ready is None or self._ready.is_set()

    async def aclose(self) -> None:
        self._closed = True
        for task in list(self._watchers):
            task.cancel()
        while self._idle:
            self._idle.pop().close()
        if self._restarting is not None:
            with contextlib.suppress(Exception):
                await self._restarting

    def close(self) -> None:
        """Stop every engine (from any thread)."""
        self._closed = True
        with self._swap:
            engines = [self.process, self._feeding, *self._spares]
        for engine in engines:
            if engine is not None:
                engine.stop()


__all__ = [
    "Busy",
    "checkpoint",
    "EngineAnswer",
    "EngineProcess",
    "EngineRefused",
    "EngineStopped",
    "QueryEngine",
    "QueryTimeout",
    "find_oxigraph",
]
