"""A child process for work a timeout must be able to stop: running a saved query, reading a stranger's query.

pyoxigraph cannot interrupt a query once it runs, and a hostile text can make even its parser slow or crash
it (see llm_atlas.sparql_guard). Such work runs in a child process (a fresh interpreter: it inherits no store
handle or thread, and imports nothing of the caller's main module), which is killed when its time is up; a
crash or a kill costs only the child, and the next call starts another. The store is opened read-only in the
child, by its path, beside the parent's.

Functions handed to :meth:`Worker.call` are named module functions (the child imports them by name) whose
arguments and results pickle; pyoxigraph terms do.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path

from .errors import AtlasError

START_TIMEOUT = 60.0  # seconds a child may take to start (importing pyoxigraph on a loaded machine)


class WorkerTimeout(AtlasError):
    """The work ran longer than its timeout; the child was killed."""


class WorkerFailed(AtlasError):
    """The child died (a crash) or the work raised; ``str()`` says which."""


def _child(read_fd: int, write_fd: int) -> None:
    """The child's loop: one call at a time, until the parent closes its end."""
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    outbox.send(("ready", None))
    while True:
        try:
            function, args = inbox.recv()
        except EOFError:
            return
        try:
            outbox.send(("ok", function(*args)))
        except BaseException as error:  # noqa: BLE001 - the parent decides what an error means
            outbox.send(("error", f"{type(error).__name__}: {error}"))


class Worker:
    """One child process, reused from call to call, replaced after a timeout or a crash."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._outbox: Connection | None = None
        self._inbox: Connection | None = None
        self._pending = 0  # calls submitted whose results are not read yet (the child runs them in order)

    def _start(self) -> None:
        if self._process is not None and self._process.poll() is None:
            return
        self.close()
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        code = f"from llm_atlas.worker import _child; _child({to_child_r}, {from_child_w})"
        try:
            # -P: the working folder (perhaps a checkout under review) is not put on the child's import path
            self._process = subprocess.Popen([sys.executable, "-P", "-c", code], pass_fds=(to_child_r, from_child_w),
                                             stdin=subprocess.DEVNULL)
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self._outbox = Connection(to_child_w, readable=False)
        self._inbox = Connection(from_child_r, writable=False)
        if not self._inbox.poll(START_TIMEOUT):
            self.close()
            raise WorkerFailed("the worker process did not start")
        try:
            self._inbox.recv()
        except EOFError:
            self.close()
            raise WorkerFailed("the worker process could not start (is llm-atlas installed in this interpreter?)") from None

    def call(self, function: Callable, *args, timeout: float):
        """``function(*args)`` in the child; raises :class:`WorkerTimeout` or :class:`WorkerFailed`."""
        self.submit(function, *args)
        return self.result(timeout=timeout)

    def submit(self, function: Callable, *args) -> None:
        """Start ``function(*args)`` in the child and return at once; several calls may be submitted before their
        results are read: the child runs them one after the other, and :meth:`result` gives them in that order."""
        self._start()
        outbox = self._outbox  # (another thread may close the worker meanwhile)
        if outbox is None:
            raise WorkerFailed("the worker process was closed")
        try:
            outbox.send((function, args))
        except (EOFError, OSError):
            pass  # the child is gone: result() says so
        except Exception as error:  # noqa: BLE001 - a function or argument that does not pickle
            raise WorkerFailed(f"cannot hand {getattr(function, '__name__', function)!r} to the worker: {error}") from None
        self._pending += 1

    def result(self, *, timeout: float):
        """The value of the oldest call :meth:`submit` started whose result was not read yet (``timeout``: seconds
        from now); raises :class:`WorkerTimeout` or :class:`WorkerFailed` (a timeout or a crash replaces the child,
        and the calls submitted after this one are lost with it)."""
        if not self._pending:
            raise WorkerFailed("no call was started")
        self._pending -= 1
        inbox = self._inbox  # (another thread may close the worker while this one waits: it then fails)
        if inbox is None:
            raise WorkerFailed("the worker process was closed")
        try:
            ready = inbox.poll(timeout)
        except (EOFError, OSError, ValueError):  # (ValueError: closed by another thread)
            ready = True
        if not ready:
            self.close()
            raise WorkerTimeout(f"stopped after {timeout:g} s")
        try:
            status, value = inbox.recv()
        except (EOFError, OSError, ValueError):
            self.close()
            raise WorkerFailed("the worker process died (a crash in the engine)") from None
        if status == "error":
            raise WorkerFailed(value)
        return value

    def close(self) -> None:
        for connection in (self._outbox, self._inbox):
            if connection is not None:
                connection.close()
        if self._process is not None:
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
        self._process = self._outbox = self._inbox = None
        self._pending = 0

    def __enter__(self) -> "Worker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# -- work that runs in the child -----------------------------------------------------------------------------

_stores: dict[tuple[str, bool], object] = {}


def run_on_store(store_dir: str, text: str, substitutions: dict, prefixes: dict) -> tuple[str, bytes]:
    """Run a query on the store at ``store_dir`` (opened read-only, once per child); the answer serialised
    ("boolean"/"solutions" as SPARQL results JSON, "triples" as N-Triples)."""
    import pyoxigraph as ox

    store = _stores.get((store_dir, False))
    if store is None:
        store = _stores[store_dir, False] = ox.Store.read_only(str(Path(store_dir)))
    return _answer(store, text, substitutions, prefixes)


def load_in_memory(source: str) -> int:
    """An in-memory copy of ``source`` in this child, made once (its number of quads): an N-Quads file, or a
    store folder, whose dump is loaded. Queried several times faster than the store on disk, for its memory."""
    from .store import memory_copy_of

    store = _stores.get((source, True))
    if store is None:
        store = _stores[source, True] = memory_copy_of(Path(source))
    return len(store)


def run_in_memory(source: str, text: str, substitutions: dict, prefixes: dict) -> tuple[str, bytes]:
    """:func:`run_on_store` on the in-memory copy of ``source`` (:func:`load_in_memory`, made first if need be)."""
    load_in_memory(source)
    return _answer(_stores[source, True], text, substitutions, prefixes)


def _answer(store, text: str, substitutions: dict, prefixes: dict) -> tuple[str, bytes]:
    import pyoxigraph as ox

    answer = store.query(text, prefixes=prefixes, use_default_graph_as_union=True,
                         substitutions={ox.Variable(k): v for k, v in substitutions.items()} or None)
    if isinstance(answer, ox.QueryBoolean):
        return "boolean", b"true" if bool(answer) else b"false"
    if isinstance(answer, ox.QueryTriples):
        return "triples", answer.serialize(format=ox.RdfFormat.N_TRIPLES)
    return "solutions", answer.serialize(format=ox.QueryResultsFormat.JSON)
