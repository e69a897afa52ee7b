"""Strict Turtle loading with pyoxigraph, and finding where an entity is written in its file.

pyoxigraph is the parse gate: it passes the whole W3C Turtle suite, where rdflib accepts invalid
documents. A file that does not parse is reported with ``path:line:col`` and the parser's message; it is
never half-loaded.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import pyoxigraph as ox

from .errors import Problem
from .layout import SourceFile, display_name, is_plain_name, record_base

MAX_FILE_BYTES = 2 * 1024 * 1024  # an entity file is a few KiB; anything this big is a mistake or an attack
# An import holds a whole source (thousands of records); the bound keeps one file below what git hosts accept.
MAX_IMPORT_BYTES = 64 * 1024 * 1024
MAX_NESTING = 32  # [ ] and ( ) depth; entity files need two or three levels
# Blank nodes in one file: entity files have none, the shapes under two hundred. A long collection of them
# makes pySHACL clone it once per result that names it (quadratic): refused before any tool sees it.
MAX_BLANK_NODES = 1000

_POSITION = re.compile(r"line (\d+) column (\d+)|at line (\d+) between columns (\d+)|error at (\d+):(\d+)")


@dataclass
class LoadedFile:
    """The outcome of loading one file: its quads (in its own named graph) or its problems."""

    source: SourceFile
    quads: list[ox.Quad] = field(default_factory=list)
    prefixes: dict[str, str] = field(default_factory=dict)
    text: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def syntax_position(error: SyntaxError) -> tuple[int, int]:
    """Line and column of a pyoxigraph syntax error (1-based; 0 when unknown)."""
    if getattr(error, "lineno", None):
        return int(error.lineno), int(error.offset or 0)
    match = _POSITION.search(str(error))
    if match:
        numbers = [int(g) for g in match.groups() if g is not None]
        return numbers[0], numbers[1]
    return 0, 0


def classify_syntax_error(message: str) -> str:
    if re.search(r"prefix \S* ?has not been declared", message):
        return "unknown-prefix"
    if "No scheme found in an absolute IRI" in message or "relative IRI" in message:
        return "relative-iri"
    return "turtle-syntax"


def printable(message: str) -> str:
    """A parser message safe for a terminal or a CI annotation: control characters escaped."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", message)


_BASE_DIRECTIVE = re.compile(r"^\s*(@base|BASE)\b", re.IGNORECASE | re.MULTILINE)


def load_file(source: SourceFile, *, parse: bool = True) -> LoadedFile:
    """Parse one file strictly; never raises for bad content, returns its problems instead.

    With ``parse=False`` every check but the parse itself is made and no quads are produced: a full
    build then streams the file into the store with pyoxigraph's bulk loader (the same strict parser).
    """
    loaded = LoadedFile(source)
    rel = display_name(source.relpath)  # the name as it may be printed: a hostile one is escaped

    # A problem with the file as a whole (its name, its kind, its size) is reported at 1:1, the file's start.
    def problem(rule: str, message: str, line: int = 1, col: int = 1) -> LoadedFile:
        loaded.problems.append(Problem(rel, line, col, rule, message))
        loaded.quads = []
        return loaded

    if not is_plain_name(source.relpath.removeprefix("/")):  # (fmt names a file outside the checkout by its absolute path)
        return problem("file-name", "file and folder names use only ASCII letters, digits, '.', '_' and '-' (this one is shown "
                                    "escaped): rename it, e.g. graph/organization/eleutherai.ttl")
    if source.path.is_symlink():
        return problem("symlink", "symbolic links are not followed (one could point outside the checkout): commit the file itself")
    trig = source.is_import_dataset
    if not rel.endswith(".ttl") and not trig:
        return problem("not-turtle", "only Turtle files (.ttl) belong in ontology/ and graph/ (and TriG files, imports/<name>.trig, "
                                     "in imports/): convert or move this file")
    limit = MAX_IMPORT_BYTES if trig or rel.startswith("imports/") else MAX_FILE_BYTES
    try:
        size = source.path.stat().st_size
        if size > limit:
            return problem("file-too-large", f"file is {size} bytes; the limit is {limit}: one entity per file keeps files small")
        data = source.path.read_bytes()
    except OSError as error:
        return problem("unreadable", f"cannot read the file: {error.strerror or error}")
    if data.startswith(b"\xef\xbb\xbf"):
        return problem("encoding", "the file starts with a byte order mark (BOM): save it as UTF-8 without BOM", 1, 1)
    try:
        loaded.text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        col = error.start - (data.rfind(b"\n", 0, error.start) + 1) + 1
        return problem("encoding", f"the file is not valid UTF-8 (byte 0x{data[error.start]:02x}): save it as UTF-8", line, col)

    depth, line, col = nesting_depth(loaded.text)
    if depth > MAX_NESTING:
        return problem("nesting-too-deep", f"brackets or parentheses nest deeper than {MAX_NESTING} levels: entity files need a few; flatten the structure", line, col)

    if not parse:
        if _BASE_DIRECTIVE.search(loaded.text):
            line = _first_line_matching(loaded.text, _BASE_DIRECTIVE)
            return problem("relative-iri", "@base is not allowed: write every IRI in full or with a shared prefix", line, 1)
        where = rdf12_position(loaded.text)
        if where:
            return problem("rdf12-syntax", RDF12_MESSAGE.format(what=where[2]), where[0], where[1])
        return loaded

    graph = ox.NamedNode(source.graph_iri)
    parser = ox.parse(input=data, format=ox.RdfFormat.TRIG if trig else ox.RdfFormat.TURTLE, path=None, base_iri=None)
    try:
        if trig:
            loaded.quads = list(import_quads(parser, graph, record_base(rel)))
        else:
            loaded.quads = [ox.Quad(q.subject, q.predicate, q.object, graph) for q in parser]
    except ForeignGraph as error:
        line = _first_line_matching(loaded.text, re.compile(re.escape(error.graph)))
        return problem("record-graph", f"a named graph of {rel} is <{error.graph}>: an import's named graphs are its source records, "
                                       f"named <{record_base(rel)}...>; regenerate the file with `llm-atlas import`", line or 1, 1)
    except SyntaxError as error:
        line, col = syntax_position(error)
        message = printable(str(error))
        rule = classify_syntax_error(message)
        hint = " (write the IRI in full, or with a shared prefix)" if rule == "relative-iri" else ""
        return problem(rule, f"Turtle syntax error: {message}{hint}", line, col)
    except RecursionError:
        return problem("turtle-syntax", "the file nests too deeply to parse")
    loaded.prefixes = dict(parser.prefixes)
    if parser.base_iri:
        line = _first_line_matching(loaded.text, _BASE_DIRECTIVE)
        return problem("relative-iri", "@base is not allowed: write every IRI in full or with a shared prefix", line, 1)
    blank = {t.value for q in loaded.quads for t in (q.subject, q.object) if isinstance(t, ox.BlankNode)}
    if len(blank) > MAX_BLANK_NODES:
        line, col = blank_node_position(loaded.text)
        return problem("too-many-blank-nodes", f"the file has {len(blank)} blank nodes (brackets, collections); the limit is "
                                               f"{MAX_BLANK_NODES}: entity files need none, name each node with an IRI", line, col)
    where = rdf12_position(loaded.text)
    if where is None and any(_is_rdf12(q) for q in loaded.quads):
        where = (1, 1, "an RDF 1.2 term")  # the parser made one, though no marker was found: still refuse it
    if where:
        return problem("rdf12-syntax", RDF12_MESSAGE.format(what=where[2]), where[0], where[1])
    return loaded


# -- scanning Turtle text --------------------------------------------------------------------------------------
# The scans below read the text before (or without) the parser, so they skip what can hide a marker or a bracket:
# strings, IRIs, comments, prefixed names, escapes. Each form runs in linear time on any input: the strings are
# written unrolled, and a word that is not a prefixed name is a token of its own, so that a long one is skipped
# in one step (tried letter by letter, a hostile file of a long word took hours: 15 s for 40,000 letters).
_TURTLE_SKIP = (
    r'"""[^"\\]*(?:(?:\\.|"(?!""))[^"\\]*)*"""'
    r"|'\'\'[^'\\]*(?:(?:\\.|'(?!''))[^'\\]*)*'\'\'"
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
    r'|<[^<>"{}|^`\\\s]*>'
    r"|#[^\n]*"
    r"|(?:[A-Za-z][\w.-]*+)?:(?:[\w\-.:%]++|\\.)++"  # a prefixed name, whose local part may escape a '#'
    r"|\\."
)
_TURTLE_WORD = r"[A-Za-z][\w.-]*+"  # a word that is not a prefixed name: the last alternative (VERSION is a marker)


# -- RDF 1.2 ------------------------------------------------------------------------------------------------
# pyoxigraph reads RDF 1.2 Turtle: triple terms <<( s p o )>>, reifiers << s p o >> and ~ name, annotations
# {| ... |}, base directions "text"@en--ltr and VERSION. The atlas has not chosen to use any of them (its
# claims are RDF 1.1 reification with rdf:subject/predicate/object), and the formatter, rdflib and pySHACL
# would each read them differently, so a file that uses them is refused at the marker's line and column.

RDF12_MESSAGE = ("{what} is RDF 1.2 syntax, which the atlas does not use: state the triple plainly and back it with an "
                 "atlas:StatementClaim (rdf:subject, rdf:predicate, rdf:object), as docs/data-model.md shows")
_RDF_REIFIES = "http://www.w3.org/1999/02/22-rdf-syntax-ns#reifies"
_RDF12_MARKERS = {
    "triple": r"<<\(", "reifier": r"<<", "annotation": r"\{\|", "tilde": r"~",
    "direction": r"@[A-Za-z]+(?:-[A-Za-z0-9]+)*--(?:ltr|rtl)\b",
    "version": r"(?:(?<=\n)|^)[ \t]*(?:@version|VERSION)\b",
}
_RDF12_TOKENS = re.compile(f"(?P<skip>{_TURTLE_SKIP})|" + "|".join(f"(?P<{kind}>{rx})" for kind, rx in _RDF12_MARKERS.items())
                           + f"|(?P<word>{_TURTLE_WORD})", re.IGNORECASE)
# The same tokens with the markers in one group: findall gives "" for each skipped token and the marker
# itself for a marker, in C; the same tokenization, so a marker exists exactly when one of them is not "".
_RDF12_MARKER_FOUND = re.compile(f"(?:{_TURTLE_SKIP})|(" + "|".join(_RDF12_MARKERS.values()) + f")|(?:{_TURTLE_WORD})", re.IGNORECASE)
_RDF12_WHAT = {"triple": "a triple term <<( ... )>>", "reifier": "a reified triple << ... >>", "annotation": "an annotation {| ... |}",
               "tilde": "a reifier ~", "direction": "a base direction (--ltr, --rtl)", "version": "a VERSION directive"}


def rdf12_position(text: str) -> tuple[int, int, str] | None:
    """(line, column, what) of the first RDF 1.2 marker outside strings, IRIs and comments, or None."""
    if not any(marker in text for marker in ("<<", "{|", "~", "--", "ersion", "ERSION")):
        return None  # the common case: nothing that could be a marker
    if not any(_RDF12_MARKER_FOUND.findall(text)):
        return None  # only inside strings, IRIs or comments (a large import file: its "--" and "~" in strings)
    for token in _RDF12_TOKENS.finditer(text):
        kind = token.lastgroup
        if kind in ("skip", "word"):
            continue
        start = token.start() + (len(token.group()) - len(token.group().lstrip(" \t")) if kind == "version" else 0)
        line = text.count("\n", 0, start) + 1
        return line, start - (text.rfind("\n", 0, start) + 1) + 1, _RDF12_WHAT[kind]
    return None


def _is_rdf12(quad: ox.Quad) -> bool:
    if isinstance(quad.subject, ox.Triple) or isinstance(quad.object, ox.Triple) or quad.predicate.value == _RDF_REIFIES:
        return True
    return isinstance(quad.object, ox.Literal) and getattr(quad.object, "direction", None) is not None


class ForeignGraph(ValueError):
    """A named graph of an import file outside the file's record namespace."""

    def __init__(self, graph: str):
        super().__init__(f"named graph <{graph}> is not a record graph of this file")
        self.graph = graph


def import_quads(quads, file_graph: ox.NamedNode, records: str):
    """The quads of an import file as the store keeps them: the default graph in the file's graph, each
    record graph as it is, and any other graph name refused (it could overwrite another file's data)."""
    for q in quads:
        if isinstance(q.graph_name, ox.DefaultGraph):
            yield ox.Quad(q.subject, q.predicate, q.object, file_graph)
        elif isinstance(q.graph_name, ox.NamedNode) and q.graph_name.value.startswith(records) and len(q.graph_name.value) > len(records):
            yield q
        else:
            raise ForeignGraph(str(q.graph_name.value if isinstance(q.graph_name, (ox.NamedNode, ox.BlankNode)) else q.graph_name))


_NESTING_TOKENS = re.compile(f"{_TURTLE_SKIP}|[\\[\\]()]|{_TURTLE_WORD}")
# The same tokens, the brackets in a group: findall gives them in order ("" for each skipped token), in C.
_NESTING_BRACKETS = re.compile(f"(?:{_TURTLE_SKIP})|([\\[\\]()])|(?:{_TURTLE_WORD})")


def nesting_depth(text: str) -> tuple[int, int, int]:
    """The deepest [ ] / ( ) nesting outside IRIs, strings and comments, and where it first exceeds the limit.

    Run before the parser so that a hostile file cannot make anything downstream (rdflib, pySHACL, the
    formatter) recurse without bound. Entity files have a handful of brackets, so the common case is a
    count; otherwise one regular-expression pass skips strings, IRIs and comments (and a second one, only
    for a file over the limit, finds where).
    """
    if text.count("[") + text.count("(") <= MAX_NESTING:
        return min(text.count("["), 1) + min(text.count("("), 1), 0, 0  # cannot exceed the limit
    depth = deepest = 0
    for c in "".join(_NESTING_BRACKETS.findall(text)):  # the brackets alone: a large import file has few
        depth += 1 if c in "[(" else -1
        deepest = max(deepest, depth)
    if deepest <= MAX_NESTING:
        return deepest, 0, 0
    depth, where = 0, 0  # too deep: the tokens again, for where it first passes the limit
    for token in _NESTING_TOKENS.finditer(text):
        c = token.group()
        if c in "[(":
            depth += 1
            if depth > MAX_NESTING:
                where = token.start()
                break
        elif c in "])":
            depth -= 1
    line = text.count("\n", 0, where) + 1
    return deepest, line, where - (text.rfind("\n", 0, where) + 1) + 1


_BLANK_NODE_TOKENS = re.compile(f"(?P<label>_:[\\w.-]+)|(?P<open>[\\[(])|{_TURTLE_SKIP}|{_TURTLE_WORD}")


def blank_node_position(text: str) -> tuple[int, int]:
    """Line and column of the first blank node written in the text: a ``_:label``, ``[`` or ``(`` (1, 1 if none)."""
    for token in _BLANK_NODE_TOKENS.finditer(text):
        if token.lastgroup in ("label", "open"):
            start = token.start()
            return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1
    return 1, 1


def _first_line_matching(text: str, pattern: re.Pattern) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            return number
    return 0


# an IRI, a prefixed name, or a word that is neither (skipped whole: letter by letter, a long one would take
# quadratic time, as in the scans above)
_TOKEN = re.compile(r"<([^>\s]*)>|([A-Za-z][\w.-]*+)?:((?:[\w\-.:%]++|\\.)*+)|" + _TURTLE_WORD)


def _expand(token: re.Match, prefixes: dict[str, str]) -> str | None:
    if token.group(1) is not None:
        return token.group(1)
    if token.group(3) is None:  # a word
        return None
    prefix = token.group(2) or ""
    if prefix in prefixes:
        local = re.sub(r"\\(.)", r"\1", token.group(3) or "")
        return prefixes[prefix] + local
    return None


class LineIndex:
    """Where subjects and their predicates are written in a Turtle file.

    Good enough for the canonical layout (a subject at column 1, its predicates indented below it):
    used only to point a person at a line, never to read data.
    """

    def __init__(self, text: str, prefixes: dict[str, str]):
        self.text = text
        self.prefixes = prefixes

    # indexed on the first question: most files checked have no problem to point at
    @functools.cached_property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @functools.cached_property
    def subjects(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for number, line in enumerate(self.lines, start=1):
            if not line or line[0].isspace() or line.startswith(("#", "@", "PREFIX", "BASE", "prefix", "base")):
                continue
            token = _TOKEN.match(line)
            if token:
                iri = _expand(token, self.prefixes)
                if iri and iri not in found:
                    found[iri] = number
        return found

    def subject_line(self, iri: str) -> int:
        """The line the subject's block starts on; outside the canonical layout, the first line naming it."""
        line = self.subjects.get(iri)
        if line is None:
            line = self.mention_line(iri)
            self.subjects[iri] = line
        return line

    def mention_line(self, iri: str) -> int:
        """The first line that names ``iri`` in full or with a declared prefix (0 if none does)."""
        forms = ["<" + iri + ">"]
        for prefix, namespace in self.prefixes.items():
            if iri.startswith(namespace) and len(iri) > len(namespace):
                forms.append(prefix + ":" + iri[len(namespace):])
        for number, line in enumerate(self.lines, start=1):
            for form in forms:
                at = line.find(form)
                # a prefixed name must stand alone (not be the tail of a longer name or IRI)
                if at >= 0 and (form.startswith("<") or at == 0 or not (line[at - 1].isalnum() or line[at - 1] in "_-.:/#")):
                    end = at + len(form)
                    if form.startswith("<") or end == len(line) or not (line[end].isalnum() or line[end] in "_-"):
                        return number
        return 0

    def predicate_line(self, subject: str, predicate: str) -> int:
        """The line of ``predicate`` within ``subject``'s block, else the subject's line."""
        start = self.subject_line(subject)
        if not start:
            return 0
        for number in range(start, len(self.lines) + 1):
            line = self.lines[number - 1]
            if number > start and line and not line[0].isspace():
                break
            for token in _TOKEN.finditer(line):
                if _expand(token, self.prefixes) == predicate:
                    return number
        return start
