"""The SPARQL guard in a process of its own, for text that comes from strangers.

:mod:`llm_atlas.sparql_guard` asks pyoxigraph to parse the query, and pyoxigraph plans and starts evaluating
what it parses: a hostile text can keep it busy for minutes (hundreds of independent triple patterns) or
crash it (thousands of nested groups overflow its stack). In the server's own process either would stop
every other request, so ``llm-atlas serve`` asks a small process instead: it holds no data, cannot open a
socket or a file once it is ready, may map a bounded amount of memory, and is replaced when it overruns the
timeout or dies. Verdicts are remembered in the server, so a query seen before costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import select
import signal
import struct
import subprocess
import sys
import threading

from . import sparql_guard
from .sparql_guard import Finding, Verdict
from .text_cache import TextCache

try:  # POSIX only
    import resource
except ImportError:  # pragma: no cover
    resource = None  # type: ignore[assignment]

GUARD_MEMORY = 1024**3  # address space of the guard process (bytes)
CACHE_ENTRIES = 4096
CACHE_CHARS = 16 * 1024 * 1024  # characters of the texts remembered, all together (many long texts: the oldest go)
CACHE_TEXT_LIMIT = 64 * 1024  # longer texts are asked every time
START_TIMEOUT = 60.0

# texts the guard process reads before it closes the door, so that nothing it needs is imported lazily later
WARM_UP = [
    "SELECT DISTINCT ?s (COUNT(?o) AS ?n) WHERE { ?s <http://example.org/p>/<http://example.org/q>* ?o "
    "FILTER(REGEX(STR(?o), 'a', 'i')) } GROUP BY ?s ORDER BY DESC(?n) LIMIT 1",
    "ASK { ?s ?p ?o }", "CONSTRUCT WHERE { ?s ?p ?o }", "DESCRIBE <http://example.org/a>",
    "SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }",
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o", "DROP ALL", "",
]


def _close_the_door() -> bool:
    """Forbid this process to open any new file descriptor (so no socket): lower RLIMIT_NOFILE to the
    descriptors already open, after filling the gaps below the highest one. Returns whether it holds."""
    if resource is None:  # pragma: no cover
        return False
    try:
        fds = sorted(int(name) for name in os.listdir("/proc/self/fd"))
    except OSError:  # pragma: no cover - no /proc
        return False
    highest = max(fds)
    while True:  # every free number below the highest open descriptor gets /dev/null
        fd = os.open(os.devnull, os.O_RDONLY)
        if fd > highest:
            os.close(fd)
            break
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 1, hard))
    try:
        os.open(os.devnull, os.O_RDONLY)
    except OSError:
        return True
    return False  # pragma: no cover


def _read_exact(stream, size: int) -> bytes | None:
    chunks, wanted = [], size
    while wanted:
        chunk = stream.read(wanted)
        if not chunk:
            return None
        chunks.append(chunk)
        wanted -= len(chunk)
    return b"".join(chunks)


def _read_message(stream) -> bytes | None:
    """One length-prefixed message (None at the end of the stream)."""
    header = _read_exact(stream, 4)
    return None if header is None else _read_exact(stream, struct.unpack(">I", header)[0])


def _write_message(stream, data: bytes) -> None:
    stream.write(struct.pack(">I", len(data)) + data)
    stream.flush()


def _verdict_json(verdict: Verdict) -> bytes:
    return json.dumps({"form": verdict.form, "findings": [[f.rule, f.message, f.line, f.column] for f in verdict.findings]}).encode()


def _verdict_of(data: bytes) -> Verdict:
    """A verdict from the child's JSON (JSON, not pickle: the child reads hostile text, so what it sends back is
    data only, never code)."""
    document = json.loads(data)
    findings = tuple(Finding(str(rule), str(message), int(line), int(column)) for rule, message, line, column in document["findings"])
    form = document["form"]
    if form not in (None, *sparql_guard.FORMS) or any(f.rule not in STATUS_RULES for f in findings):
        raise ValueError("not a verdict")
    return Verdict(form, findings)


STATUS_RULES = (sparql_guard.SERVICE_RULE, sparql_guard.DATASET_RULE, sparql_guard.UPDATE_RULE, sparql_guard.SYNTAX_RULE)


def main() -> None:
    """The child: read (text, prefixes) messages on stdin, answer verdicts on stdout, until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the server's to handle
    with contextlib.suppress(Exception):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: end with the server
    for text in WARM_UP:
        sparql_guard.inspect(text)
    _verdict_json(sparql_guard.inspect(WARM_UP[0]))  # json's encoder, imported before the door closes
    sandboxed = _close_the_door()
    if resource is not None:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (GUARD_MEMORY, GUARD_MEMORY))
    incoming, outgoing = sys.stdin.buffer, sys.stdout.buffer
    _write_message(outgoing, json.dumps({"ready": True, "sandboxed": sandboxed}).encode())
    while True:
        data = _read_message(incoming)
        if data is None:
            return
        request = json.loads(data)
        try:
            verdict = sparql_guard.inspect(request["text"], dict(request["prefixes"]))
        except MemoryError:
            verdict = Verdict(None, (Finding(sparql_guard.SYNTAX_RULE, "the query needs more memory to read than this "
                                                                         "endpoint allows", 1, 1),))
        _write_message(outgoing, _verdict_json(verdict))


class GuardProcess:
    """Verdicts from a sandboxed child process, remembered; the child is replaced when it overruns or dies."""

    def __init__(self, prefixes: dict[str, str], timeout: float):
        self.prefixes = sorted(prefixes.items())
        self.timeout = timeout
        self._lock = threading.Lock()
        self._cache: TextCache[Verdict] = TextCache(CACHE_ENTRIES, CACHE_CHARS, CACHE_TEXT_LIMIT)
        self._child: subprocess.Popen | None = None
        self.sandboxed = False
        self.replaced = 0
        self._start()

    def _start(self) -> None:
        self._child = subprocess.Popen([sys.executable, "-m", "llm_atlas.guard_process"], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0,
                                       start_new_session=True)
        ready = self._receive(START_TIMEOUT)
        if ready is None:
            self._stop()
            raise RuntimeError("the SPARQL guard process did not start")
        self.sandboxed = bool(json.loads(ready).get("sandboxed"))

    def _receive(self, timeout: float) -> bytes | None:
        """The child's next message within ``timeout`` seconds, else None."""
        assert self._child is not None and self._child.stdout is not None
        ready, _, _ = select.select([self._child.stdout], [], [], timeout)
        if not ready:
            return None
        return _read_message(self._child.stdout)

    def _stop(self) -> None:
        if self._child is None:
            return
        with contextlib.suppress(Exception):
            self._child.kill()
        with contextlib.suppress(Exception):
            self._child.wait(2)
        for stream in (self._child.stdin, self._child.stdout):
            with contextlib.suppress(Exception):
                stream.close()
        self._child = None

    def _replace(self) -> None:
        self.replaced += 1
        self._stop()
        self._start()

    def inspect(self, text: str) -> Verdict:
        """The verdict on ``text`` (blocking; safe from any thread)."""
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        with self._lock:
            try:
                assert self._child is not None and self._child.stdin is not None
                _write_message(self._child.stdin, json.dumps({"text": text, "prefixes": self.prefixes}).encode())
                answer = self._receive(self.timeout)
                if answer is None and self._child.poll() is None:
                    self._replace()
                    return Verdict(None, (Finding(sparql_guard.SYNTAX_RULE, f"the query could not be read within {self.timeout:g} s: "
                                                                             "it is refused", 1, 1),))
                if answer is None:
                    raise EOFError
                verdict = _verdict_of(answer)
            except (EOFError, OSError, ValueError, KeyError):
                self._replace()
                return Verdict(None, (Finding(sparql_guard.SYNTAX_RULE, "the query cannot be read (the parser stopped on it: "
                                                                         "it nests too deeply, or is too large)", 1, 1),))
            self._cache.put(text, verdict)
        return verdict

    async def ainspect(self, text: str) -> Verdict:
        cached = self._cache.get(text)
        if cached is not None:
            return cached
        return await asyncio.to_thread(self.inspect, text)

    def close(self) -> None:
        with self._lock:
            self._stop()


__all__ = ["GuardProcess"]


if __name__ == "__main__":
    main()
