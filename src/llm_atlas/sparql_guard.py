"""The SPARQL guard: can a query reach outside the atlas? Decided the way the engine that runs it reads it.

pyoxigraph, the atlas's engine, evaluates ``SERVICE`` by making the HTTP request itself, and it starts
evaluating as soon as it is handed a query. So a query from outside (a request to the endpoint, a saved
query in a contribution) is inspected before the engine runs it::

    >>> inspect("SELECT ?s WHERE { ?s ?p 'SERVICE <http://example.org/>' }").safe
    True
    >>> inspect("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }").findings[0].rule
    'sparql-service'

:func:`inspect` returns a :class:`Verdict`: the query form and the problems found, each with a rule id, a
message and the line and column in the text given:

``sparql-service``  a ``SERVICE`` pattern (the engine would call another server)
``sparql-dataset``  a ``FROM`` or ``FROM NAMED`` clause (the query would pick its own dataset)
``sparql-update``   an update (``INSERT``, ``DROP``, ``LOAD`` ...): queries are read-only
``sparql-syntax``   not a query the engine can parse (its message, at its position)

**Read as the engine reads it.** An earlier check parsed queries with rdflib, which expands ``\\u`` escapes
before it tokenises (as the SPARQL grammar says); pyoxigraph expands them only inside strings and IRIs, so
``?p "x\\u005C" . SERVICE <...> { } } # "`` was a string and a comment to the check and a SERVICE pattern to
the engine. The engine's grammar has more such corners: it matches keywords without a word boundary
(``trueSERVICE``, ``ASKFROM<g>``, a prefix named ``fromage:`` right after the projection), and a ``<``
starts an IRI or compares, by context. So the guard asks the engine itself, without ever handing it a
``SERVICE`` keyword:

1. Every case-insensitive ``service`` and ``from`` in the text has its last letter renamed (``servicx``,
   ``frox``; prefixes predeclared by the caller too). Inside a string, an IRI or a comment that keeps the
   text valid; a variable, a local name, a prefix or a language tag stays a name (renamed wherever it is
   written); a keyword stops being one. If the engine parses this text, the query has neither keyword: a
   keyword the engine read in the original could not be read as anything else in the renamed text.
2. Otherwise, ``from`` is put back (a FROM clause fetches nothing: it is safe to hand over). If that
   parses, the query has a FROM clause.
3. Otherwise each ``service`` becomes ``GRAPH`` (``SILENT`` dropped), the local pattern of the same shape.
   If that parses, the query has a SERVICE pattern; if not, a syntax error, reported at the engine's
   position.

If pyoxigraph is ever built to expand escapes first (spargebra's ``standard-unicode-escaping``), the guard
notices (:func:`engine_expands_escapes`) and reads the expanded text, escaping its own backslashes when it
hands text to the engine.

**Cost and hazard.** Usually one parse by the engine (about 1 ms for a long saved query), remembered per
text. pyoxigraph plans a query and starts evaluating it when it is handed one; on the empty store the guard
uses that is at most the query's own ``VALUES`` and ``BIND`` work, but a hostile text can still make it slow
(hundreds of independent triple patterns) or crash it (thousands of nested groups overflow its stack). Run
the guard where a timeout can stop it and a crash costs nothing when the text comes from a stranger: the
endpoint does, in its worker processes.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox

SERVICE_RULE = "sparql-service"
DATASET_RULE = "sparql-dataset"
UPDATE_RULE = "sparql-update"
SYNTAX_RULE = "sparql-syntax"

SERVICE_MESSAGE = ("SERVICE is refused: a federated query would make the engine call another server; "
                   "query the atlas's own data")
DATASET_MESSAGE = ("FROM and FROM NAMED are refused: queries run over the atlas's own dataset (the default graph "
                   "is the union of its files, each file a named graph: use GRAPH to pick files)")
UPDATE_MESSAGE = "SPARQL Update is refused: queries are read-only"

FORMS = ("SELECT", "CONSTRUCT", "DESCRIBE", "ASK")
UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH")

CACHE_TEXT_LIMIT = 16 * 1024  # longer texts are inspected every time rather than kept in the cache

# Character classes of the engine's grammar (spargebra's PN_CHARS_BASE, PN_CHARS_U, PN_CHARS, VARNAME).
_BASE = ("A-Za-z\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u02FF\u0370-\u037D\u037F-\u1FFF\u200C-\u200D\u2070-\u218F"
         "\u2C00-\u2FEF\u3001-\uD7FF\uF900-\uFDCF\uFDF0-\uFFFD")
_CHARS_U = _BASE + "_"
_CHARS = _CHARS_U + "\\-0-9\u00B7\u0300-\u036F\u203F-\u2040"
_PNAME_NS = re.compile(f"(?:[{_BASE}][{_CHARS}]*(?:\\.+[{_CHARS}]+)*)?:")
_IRIREF = re.compile(r"<[^>]*>")
_SHORT_STRING = re.compile(r"""'(?:[^'\\\n\r]|\\[tbnrf"'\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*'"""
                           r'''|"(?:[^"\\\n\r]|\\[tbnrf"'\\]|\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8})*"''')
_GAP = re.compile(r"(?:[ \t\r\n]|#[^\r\n]*)*")  # the grammar's whitespace and comments
_ENGINE_POSITION = re.compile(r"error at (\d+):(\d+)")
_WORDS = {"service": re.compile("service", re.IGNORECASE | re.ASCII), "from": re.compile("from", re.IGNORECASE | re.ASCII)}


@dataclass(frozen=True)
class Finding:
    """One reason a query is refused: rule id, message, and where (1-based line and column of the text)."""

    rule: str
    message: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: [{self.rule}] {self.message}"


@dataclass(frozen=True)
class Verdict:
    """What the guard found: the query form (SELECT, CONSTRUCT, DESCRIBE, ASK; None if it is not a query)
    and the problems, empty when the query is safe to run."""

    form: str | None
    findings: tuple[Finding, ...] = ()

    @property
    def safe(self) -> bool:
        return not self.findings


class UnsafeQuery(ValueError):
    """Raised by :func:`require_safe`; ``finding`` says why."""

    def __init__(self, finding: Finding):
        super().__init__(str(finding))
        self.finding = finding


def inspect(text: str, prefixes: Mapping[str, str] | None = None) -> Verdict:
    """The verdict on ``text`` with ``prefixes`` predeclared (as the engine will be given them)."""
    key = tuple(sorted(prefixes.items())) if prefixes else ()
    if len(text) <= CACHE_TEXT_LIMIT:
        return _inspect_cached(text, key)
    return _inspect(text, key)


def require_safe(text: str, prefixes: Mapping[str, str] | None = None) -> str:
    """The form of a query that may run, or :class:`UnsafeQuery` with the first problem."""
    verdict = inspect(text, prefixes)
    if verdict.findings:
        raise UnsafeQuery(verdict.findings[0])
    assert verdict.form is not None
    return verdict.form


def without_service(text: str) -> str:
    """``text`` with every ``SERVICE`` the engine could read made a ``GRAPH`` (``SILENT`` dropped): the same
    grammar and nothing to fetch, for checking a federated query's syntax without running it. Every
    case-insensitive ``service`` is replaced, wherever it stands (a keyword can be glued to what comes before
    it: ``trueSERVICE``), which leaves a name a name and a string a string."""
    expands = engine_expands_escapes()
    view = _expand_escapes(text)[0] if expands else text
    edits = [_as_graph(view, m.start()) for m in _WORDS["service"].finditer(view)]
    inert = _apply(view, edits)[0] if edits else view
    return inert.replace("\\", "\\u005C") if expands else inert


@functools.cache
def engine_expands_escapes() -> bool:
    """Whether pyoxigraph expands ``\\u`` escapes before tokenising (0.5 does not: only in strings and IRIs)."""
    try:
        ox.Store().query("ASK \\u007B\\u007D")
    except SyntaxError:
        return False
    return True


# ---------------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _inspect_cached(text: str, prefixes: tuple[tuple[str, str], ...]) -> Verdict:
    return _inspect(text, prefixes)


def _inspect(text: str, prefixes: tuple[tuple[str, str], ...]) -> Verdict:
    expands = engine_expands_escapes()
    view, origin = _expand_escapes(text) if expands else (text, None)
    where = _Locator(text, origin)
    if _GAP.fullmatch(view):
        return Verdict(None, (where.finding(SYNTAX_RULE, "the query is empty", 0),))
    head = _skip_prologue(view)
    form = next((f for f in FORMS if view[head:head + len(f)].upper() == f), None)
    if form is None and any(view[head:head + len(k)].upper() == k for k in UPDATE_KEYWORDS):
        return Verdict(None, (where.finding(UPDATE_RULE, UPDATE_MESSAGE, head),))

    services = [m.start() for m in _WORDS["service"].finditer(view)]
    froms = [m.start() for m in _WORDS["from"].finditer(view)]
    engine = _Engine(view, prefixes, expands)
    renamed_services = [_rename(view, at, "service") for at in services]
    renamed_froms = [_rename(view, at, "from") for at in froms]
    # every word renamed: no SERVICE or FROM can be read any more; strings, IRIs, comments and names stay valid
    error = engine.error(renamed_services + renamed_froms)
    if error is None:
        return Verdict(form or engine.form, ())
    if froms:  # FROM is harmless to hand over (it fetches nothing): does the text parse with it?
        with_from = engine.error(renamed_services)
        if with_from is None:
            return Verdict(form, (where.finding(DATASET_RULE, DATASET_MESSAGE, _nearest(froms, error.offset)),))
        error = with_from
    if services:
        as_graph = engine.error([_as_graph(view, at) for at in services])
        if as_graph is None:
            return Verdict(form, (where.finding(SERVICE_RULE, SERVICE_MESSAGE, _nearest(services, error.offset)),))
        error = as_graph
    return Verdict(form, (where.syntax(view, error, prefixes),))


# -- the engine ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EngineError:
    offset: int  # in the view
    message: str


class _Engine:
    """Parses edited copies of the view with pyoxigraph on an empty store; maps its error positions back."""

    def __init__(self, view: str, prefixes: tuple[tuple[str, str], ...], expands: bool):
        self.view = view
        # a predeclared prefix named like the words is renamed with them, so its uses stay declared
        self.prefixes = {_WORDS["service"].sub(_renamed_word, _WORDS["from"].sub(_renamed_word, name)): iri
                         for name, iri in prefixes} or None
        self.expands = expands
        self.form: str | None = None

    def error(self, edits: list[tuple[int, int, str]]) -> _EngineError | None:
        probe, back = _apply(self.view, edits)
        # an engine that expands escapes first gets every backslash escaped: it reads exactly ``probe``
        sent = probe.replace("\\", "\\u005C") if self.expands else probe
        try:
            result = _EMPTY.query(sent, prefixes=self.prefixes)
        except SyntaxError as failure:
            message = " ".join(str(failure).split())
            match = _ENGINE_POSITION.search(message)
            offset = _offset_of(probe, int(match.group(1)), int(match.group(2))) if match else 0
            message = _ENGINE_POSITION.sub("", message).lstrip(": ")
            return _EngineError(back(offset), message if len(message) <= 300 else message[:300] + " ...")
        except (OSError, ValueError, RuntimeError):
            return None  # parsed; evaluating on the empty store failed (a bad regex, a cast): the query's own business
        self.form = "SELECT" if isinstance(result, ox.QuerySolutions) else "ASK" if isinstance(result, ox.QueryBoolean) else "CONSTRUCT"
        return None


_EMPTY = ox.Store()


def _apply(view: str, edits: list[tuple[int, int, str]]):
    """``view`` with the (start, end, replacement) edits made, and a map from offsets in it back to the view."""
    pieces: list[str] = []
    starts: list[int] = []  # where each replacement starts in the new text
    spans: list[tuple[int, int, int]] = []  # (its end there, its start in the view, view offset minus new offset after it)
    at = shift = 0
    for start, end, replacement in sorted(edits):
        pieces += [view[at:start], replacement]
        starts.append(start + shift)
        shift += len(replacement) - (end - start)
        spans.append((start + shift + (end - start), start, -shift))
        at = end
    pieces.append(view[at:])

    def back(offset: int) -> int:
        index = bisect.bisect_right(starts, offset) - 1
        if index < 0:
            return offset
        replacement_end, view_start, difference = spans[index]
        return view_start if offset < replacement_end else offset + difference

    return "".join(pieces), back


def _offset_of(text: str, line: int, column: int) -> int:
    """The offset of a 1-based line and column (characters, lines split at ``\\n``, as the engine counts)."""
    start = 0
    for _ in range(line - 1):
        newline = text.find("\n", start)
        if newline < 0:
            break
        start = newline + 1
    return min(len(text), start + max(0, column - 1))


# -- reading the text ----------------------------------------------------------------------------------------


def _skip_prologue(view: str) -> int:
    """Where the query form (or an update's first operation) starts, after BASE, PREFIX and VERSION."""
    at = _GAP.match(view).end()
    while True:
        word = view[at:at + 7].upper()
        if word.startswith("BASE"):
            rest = [_IRIREF]
            at += 4
        elif word.startswith("PREFIX"):
            rest = [_PNAME_NS, _IRIREF]
            at += 6
        elif word.startswith("VERSION"):
            rest = [_SHORT_STRING]
            at += 7
        else:
            return at
        for pattern in rest:
            at = _GAP.match(view, at).end()
            match = pattern.match(view, at)
            if match is None:
                return at
            at = match.end()
        at = _GAP.match(view, at).end()


def _renamed(word: str) -> str:
    """The word with its last letter as ``x`` (case kept): still a letter inside a string, an IRI, a comment,
    a variable, a local name, a prefix (renamed where it is declared too) or a language tag; no keyword."""
    return word[:-1] + ("X" if word[-1].isupper() else "x")


def _renamed_word(match: re.Match) -> str:
    return _renamed(match.group(0))


def _rename(view: str, at: int, word: str) -> tuple[int, int, str]:
    end = at + len(word)
    return (at, end, _renamed(view[at:end]))


def _as_graph(view: str, at: int) -> tuple[int, int, str]:
    """``SERVICE [SILENT]`` as ``GRAPH``: the same shape of pattern, evaluated locally."""
    end = at + len("service")
    after = _GAP.match(view, end).end()
    if view[after:after + 6].upper() == "SILENT":
        end = after + 6
    return (at, end, "GRAPH " if end > at + len("service") else "GRAPH")


def _nearest(candidates: list[int], offset: int) -> int:
    """The last candidate at or before the engine's error position (the engine reports a failed keyword a
    few characters after where it starts), else the first."""
    before = [c for c in candidates if c <= offset]
    return before[-1] if before else candidates[0]


class _Locator:
    """Line and column in the text the caller gave, from an offset in the view."""

    def __init__(self, text: str, origin: list[int] | None):
        self.text = text
        self.origin = origin

    def finding(self, rule: str, message: str, offset: int) -> Finding:
        if self.origin is not None:
            offset = self.origin[offset] if offset < len(self.origin) else len(self.text)
        line = self.text.count("\n", 0, offset) + 1
        column = offset - (self.text.rfind("\n", 0, offset) + 1) + 1
        return Finding(rule, message, line, column)

    def syntax(self, view: str, error: _EngineError, prefixes: tuple[tuple[str, str], ...]) -> Finding:
        """The engine's complaint said the way ``llm-atlas query`` says it (what is wrong, at the mistake)."""
        from .sparql_syntax import explain  # imported here: sparql_syntax asks this module for inert text

        line = view.count("\n", 0, error.offset) + 1
        column = error.offset - (view.rfind("\n", 0, error.offset) + 1) + 1
        try:
            explained = explain(view, SyntaxError(f"error at {line}:{column}: {error.message}"), dict(prefixes))
        except Exception:  # noqa: BLE001 - explaining is a courtesy: the engine's own words, where it fails
            return self.finding(SYNTAX_RULE, f"the query does not parse: {error.message}", error.offset)
        return self.finding(SYNTAX_RULE, explained.reason, _offset_of(view, explained.line, explained.column))


def _expand_escapes(text: str) -> tuple[str, list[int]]:
    """What an engine built with spargebra's ``standard-unicode-escaping`` parses: its
    ``UnescapeUnicodeCharIterator`` step for step (quirks included), and where each character came from."""
    out: list[str] = []
    origin: list[int] = []
    buffer: list[tuple[str, int]] = []  # the iterator's look-ahead buffer, with source offsets
    position = 0

    def take() -> tuple[str, int] | None:
        nonlocal position
        if position >= len(text):
            return None
        position += 1
        return text[position - 1], position - 1

    def emit(char: str, source: int) -> None:
        out.append(char)
        origin.append(source)

    while True:
        current = buffer.pop(0) if buffer else take()
        if current is None:
            break
        char, source = current
        if char != "\\":
            emit(char, source)
            continue
        following = take()  # from the text, not the buffer, as the iterator does
        if following is None:
            emit("\\", source)
            continue
        buffer.append(following)
        if following[0] not in "uU":
            emit("\\", source)
            continue
        complete = True
        for _ in range(4 if following[0] == "u" else 8):
            item = take()
            if item is None:
                complete = False
                break
            buffer.append(item)
        digits = "".join(c for c, _ in buffer[1:])
        code = int(digits, 16) if complete and re.fullmatch(r"\+?[0-9A-Fa-f]+", digits) else -1
        if 0 <= code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF:
            buffer.clear()
            emit(chr(code), source)
        else:
            emit("\\", source)
    return "".join(out), origin


__all__ = [
    "DATASET_RULE",
    "SERVICE_RULE",
    "SYNTAX_RULE",
    "UPDATE_RULE",
    "Finding",
    "UnsafeQuery",
    "Verdict",
    "engine_expands_escapes",
    "inspect",
    "require_safe",
    "without_service",
]
