"""The canonical Turtle writer: one deterministic layout, proven lossless (core: fmt, check, link and the importers use it).

The layout (what ``llm-atlas fmt`` writes into ``graph/``, ``llm-atlas fmt --check`` expects, ``link --apply``
writes and the importers write into ``imports/``)::

    @prefix <only the shared prefixes the file uses, sorted> .

    <primary entity> a <class> ;
        rdfs:label ... ;
        skos:altLabel ... ;
        dcterms:description ... ;
        <every other predicate, sorted by its written (prefixed) name> <objects, sorted, joined by ", "> .

    <owned nodes, <entity>#fragment, sorted by IRI, each laid out the same way> .

- IRIs take a shared prefix when the rest of the IRI is a plain ``PN_LOCAL`` (no escapes needed);
  anything else, and every fragment IRI, is written in full ``<...>``.
- Strings are always ``"..."`` with escapes (quotes, backslashes, line breaks, control characters);
  ``xsd:string`` is written plain; ``xsd:integer``, ``xsd:decimal`` and ``xsd:boolean`` are bare tokens
  only when their lexical form is canonical (``"007"^^xsd:integer`` stays typed, so it round-trips).
- A predicate whose objects do not fit on one line (``MAX_WIDTH``) puts one object per line.
- Blank nodes (forbidden in graph/ by the data model, but never lost): a blank node used once as an
  object is nested as ``[ ... ]``; one never used as an object is a ``[] ...`` block; the rest get
  ``_:b0``, ``_:b1``... in a canonical order (colour refinement, then the smallest output over the
  remaining ties), so the output does not depend on the parser's random labels.

Nothing depends on set or dict iteration order: every choice is a sort on written text or on a SHA-256
of structure. The formatter proves its output: it reparses it with pyoxigraph, compares the two graphs
with ``rdflib.compare.isomorphic`` and formats the reparsed graph again, which must give the same text.
If that proof fails it raises :class:`FormatError` and nothing is written.

Comments are not data: a file with a ``#`` comment is refused (reported), not silently stripped.

>>> text = ('<https://w3id.org/llm-atlas/model/x> <http://www.w3.org/2000/01/rdf-schema#label> "X"@en ;'
...         ' a <https://w3id.org/llm-atlas/ontology/Model> .')
>>> print(format_text(text, "x.ttl"), end="")
@prefix atlas: <https://w3id.org/llm-atlas/ontology/> .
@prefix model: <https://w3id.org/llm-atlas/model/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<BLANKLINE>
model:x a atlas:Model ;
    rdfs:label "X"@en .
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from .errors import EXIT_USAGE, AtlasError, InvalidData, Problem
from .loader import classify_syntax_error, syntax_position
from .namespaces import (DCTERMS_DESCRIPTION, PREFIXES, RDF, RDF_TYPE, RDFS_LABEL, SKOS_ALT_LABEL, XSD_BOOLEAN, XSD_DECIMAL, XSD_INTEGER,
                         XSD_STRING, turtle_prefixes)

LEADING_PREDICATES = (
    RDF_TYPE,
    RDFS_LABEL,
    SKOS_ALT_LABEL,
    DCTERMS_DESCRIPTION,
    # a statement claim reads as its triple, subject first
    RDF + "subject",
    RDF + "predicate",
    RDF + "object",
)
INDENT = "    "
MAX_WIDTH = 100  # a predicate line with several objects longer than this puts one object per line
MAX_TIE_LEAVES = 256  # blank nodes this interchangeable are refused rather than searched for long

# The rules this module reports (format-comment, format-unsupported, blank-node, encoding, turtle-syntax,
# relative-iri) are listed in rules.py.

_NAMESPACES = sorted(PREFIXES.items(), key=lambda item: (-len(item[1]), item[0]))  # longest namespace first


class FormatError(AtlasError):
    """The formatter could not prove its output equal to its input (a bug in the formatter): nothing was written."""

    exit_code = EXIT_USAGE


# -- terms ---------------------------------------------------------------------------------------------

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PERCENT = "%[0-9A-Fa-f]{2}"
# PN_LOCAL of Turtle 1.1 without PN_LOCAL_ESC: names that need a backslash are written as <IRI>.
_PN_LOCAL = re.compile(
    f"(?:[{_PN_CHARS_U}:0-9]|{_PERCENT})(?:(?:[{_PN_CHARS}.:]|{_PERCENT})*(?:[{_PN_CHARS}:]|{_PERCENT}))?"
)
_CANONICAL_INTEGER = re.compile(r"0|-?[1-9][0-9]*")
_CANONICAL_DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)\.(?:[0-9]*[1-9]|0)")

_STRING_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
# Characters that are legal in a string but invisible or misleading in a file: written as \uXXXX.
_INVISIBLE = re.compile("[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_IRI_FORBIDDEN = re.compile('[\u0000-\u0020<>"{}|^`\\\\]')


def _uchar(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def quote_string(value: str) -> str:
    """A Turtle ``"..."`` string literal for ``value``."""
    out = []
    for char in value:
        if char in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[char])
        elif _INVISIBLE.match(char):
            out.append(_uchar(char))
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def iri_text(iri: str, used: set[str]) -> str:
    """``prefix:local`` with the longest shared namespace whose local part needs no escape, else ``<iri>``."""
    for prefix, namespace in _NAMESPACES:
        if iri.startswith(namespace):
            local = iri[len(namespace):]
            if local == "" or _PN_LOCAL.fullmatch(local):
                used.add(prefix)
                return f"{prefix}:{local}"
    return "<" + _IRI_FORBIDDEN.sub(lambda m: _uchar(m.group()), iri) + ">"


def literal_text(literal: ox.Literal, used: set[str]) -> str:
    value = literal.value
    if literal.language:
        return quote_string(value) + "@" + literal.language
    datatype = literal.datatype.value
    if datatype == XSD_STRING:
        return quote_string(value)
    if datatype == XSD_INTEGER and _CANONICAL_INTEGER.fullmatch(value):
        return value
    if datatype == XSD_DECIMAL and _CANONICAL_DECIMAL.fullmatch(value) and value != "-0.0":
        return value
    if datatype == XSD_BOOLEAN and value in ("true", "false"):
        return value
    return quote_string(value) + "^^" + iri_text(datatype, used)


def _sha(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


# -- the document --------------------------------------------------------------------------------------

Triple = tuple  # (subject, predicate, object) of pyoxigraph terms


class _Document:
    """The triples of one file, indexed for writing."""

    def __init__(self, triples: Iterable[Triple]):
        self.triples = set(triples)
        self.out: dict = {}  # subject -> [(predicate, object)]
        self.inc: dict = {}  # blank node -> [(subject, predicate)]
        for s, p, o in self.triples:
            self.out.setdefault(s, []).append((p, o))
            if isinstance(o, ox.BlankNode):
                self.inc.setdefault(o, []).append((s, p))
        self.bnodes = {t for s, _, o in self.triples for t in (s, o) if isinstance(t, ox.BlankNode)}
        self.labelled = self._needing_labels()

    def _needing_labels(self) -> set:
        """Blank nodes that cannot be nested: used as an object more than once, or on a cycle of nestings."""
        shared = {b for b in self.bnodes if len(self.inc.get(b, ())) > 1}
        on_cycle = set()  # every node of a cycle, so that no choice depends on iteration order
        for b in self.bnodes:
            if len(self.inc.get(b, ())) != 1:
                continue
            seen = {b}
            x = self.inc[b][0][0]
            while isinstance(x, ox.BlankNode) and len(self.inc.get(x, ())) == 1:
                if x == b:
                    on_cycle.add(b)
                    break
                if x in seen:
                    break  # b hangs off a cycle; the cycle's own nodes get labels
                seen.add(x)
                x = self.inc[x][0][0]
        return shared | on_cycle

    # -- canonical blank node labels -------------------------------------------------------------------

    def _refine(self, colours: dict) -> dict:
        """Colour refinement: split blank nodes by their neighbourhoods until the partition is stable."""

        def key(term) -> str:
            return "B" + colours[term] if isinstance(term, ox.BlankNode) else str(term)

        while True:
            new = {}
            for b in self.bnodes:
                signature = sorted(
                    [f"o {p} {key(o)}" for p, o in self.out.get(b, ())]
                    + [f"i {p} {key(s)}" for s, p in self.inc.get(b, ())]
                )
                new[b] = _sha(colours[b], *signature)
            if len(set(new.values())) == len(set(colours.values())):
                return new
            colours = new

    def _orderings(self, colours: dict, budget: list[int]) -> Iterator[list]:
        """Every canonical order of the labelled blank nodes (one per branch of the remaining ties)."""
        colours = self._refine(colours)
        classes: dict[str, list] = {}
        for b in self.labelled:
            classes.setdefault(colours[b], []).append(b)
        ties = sorted(c for c, members in classes.items() if len(members) > 1)
        if not ties:
            budget[0] -= 1
            if budget[0] < 0:
                raise _TooSymmetric()
            yield sorted(self.labelled, key=colours.__getitem__)
            return
        # Twins (same neighbours, by identity) can be swapped by an automorphism: their branches give
        # the same texts, so one of each set of twins is enough.
        representatives = {self._twin_key(m): m for m in classes[ties[0]]}
        for _, member in sorted(representatives.items()):
            branch = dict(colours)
            branch[member] = _sha(colours[member], "individualised")
            yield from self._orderings(branch, budget)

    def _twin_key(self, b) -> tuple:
        return (tuple(sorted(f"{p} {o}" for p, o in self.out.get(b, ()))),
                tuple(sorted(f"{s} {p}" for s, p in self.inc.get(b, ()))))

    def render(self) -> str:
        if not self.labelled:
            return self._render({})
        best = None
        for order in self._orderings({b: "" for b in self.bnodes}, [MAX_TIE_LEAVES]):
            text = self._render({b: f"b{i}" for i, b in enumerate(order)})
            if best is None or text < best:
                best = text
        return best

    # -- writing ---------------------------------------------------------------------------------------

    def _render(self, labels: dict) -> str:
        used: set[str] = set()
        iri_blocks, labelled_blocks, anonymous_blocks = [], [], []
        for subject in self.out:
            if isinstance(subject, ox.NamedNode):
                key = ("#" in subject.value, subject.value)
                iri_blocks.append((key, self._block(iri_text(subject.value, used), subject, labels, used)))
            elif subject in labels:
                labelled_blocks.append((int(labels[subject][1:]), self._block("_:" + labels[subject], subject, labels, used)))
            elif not self.inc.get(subject):
                anonymous_blocks.append(self._block("[]", subject, labels, used))
            # else: nested inside the block of the node that uses it
        blocks = [b for _, b in sorted(iri_blocks)] + [b for _, b in sorted(labelled_blocks)] + sorted(anonymous_blocks)
        if not blocks:
            return ""
        return turtle_prefixes(used) + "\n" + "\n\n".join(blocks) + "\n"

    def _entries(self, subject, indent: str, labels: dict, used: set[str]) -> list[tuple[str, list[str]]]:
        """(written predicate, sorted written objects) of a subject, in canonical predicate order."""
        by_predicate: dict[str, list] = {}
        for p, o in self.out[subject]:
            by_predicate.setdefault(p.value, []).append(o)
        entries = []
        for predicate, objects in by_predicate.items():
            if predicate == RDF_TYPE:
                written = "a"
            else:
                written = iri_text(predicate, used)
            if predicate in LEADING_PREDICATES:
                order = (LEADING_PREDICATES.index(predicate), 0, "")
            else:
                order = (len(LEADING_PREDICATES), written.startswith("<"), written)
            # IRIs (prefixed names, then <full IRIs>), blank nodes, literals; each sorted by written text
            keyed = []
            for o in objects:
                text = self._object(o, indent, labels, used)
                kind = 0 if isinstance(o, ox.NamedNode) else 1 if isinstance(o, ox.BlankNode) else 2
                keyed.append((kind, text.startswith("<"), text))
            entries.append((order, written, [text for _, _, text in sorted(keyed)]))
        return [(written, texts) for _, written, texts in sorted(entries)]

    def _object(self, term, indent: str, labels: dict, used: set[str]) -> str:
        if isinstance(term, ox.NamedNode):
            return iri_text(term.value, used)
        if isinstance(term, ox.Literal):
            return literal_text(term, used)
        if isinstance(term, ox.BlankNode):
            if term in labels:
                return "_:" + labels[term]
            if term not in self.out:
                return "[]"
            inner = indent + INDENT
            lines = [_entry(inner + p, objects, inner + INDENT) for p, objects in self._entries(term, inner, labels, used)]
            return "[\n" + " ;\n".join(lines) + "\n" + indent + "]"
        raise TypeError(f"cannot write {term!r}")

    def _block(self, subject_text: str, subject, labels: dict, used: set[str]) -> str:
        entries = self._entries(subject, INDENT, labels, used)
        lines = []
        if entries[0][0] == "a":
            lines.append(_entry(subject_text + " a", entries[0][1], INDENT + INDENT))
            entries = entries[1:]
        else:
            lines.append(subject_text)
        lines += [_entry(INDENT + p, objects, INDENT + INDENT) for p, objects in entries]
        if len(lines) > 1 and lines[0] == subject_text:
            return subject_text + "\n" + " ;\n".join(lines[1:]) + " ."
        return " ;\n".join(lines) + " ."


def _entry(head: str, objects: list[str], continuation: str) -> str:
    """``head obj1, obj2`` on one line, or one object per line when that is longer than MAX_WIDTH."""
    line = head + " " + ", ".join(objects)
    if len(objects) > 1 and len(line) + 2 > MAX_WIDTH and not any("\n" in o for o in objects):
        return head + " " + (",\n" + continuation).join(objects)
    return line


class _TooSymmetric(Exception):
    pass


# -- parsing and proving -------------------------------------------------------------------------------


def _parse(text: str, path: str) -> list[Triple]:
    """The triples of a Turtle text (strict pyoxigraph parse, as the loader does); InvalidData otherwise."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise _invalid(path, "encoding", "the text is not valid Unicode: save the file as UTF-8") from None
    if data.startswith(b"\xef\xbb\xbf"):
        raise _invalid(path, "encoding", "the file starts with a byte order mark (BOM): save it as UTF-8 without BOM", 1, 1)
    parser = ox.parse(input=data, format=ox.RdfFormat.TURTLE, path=None, base_iri=None)
    try:
        triples = [(q.subject, q.predicate, q.object) for q in parser]
    except SyntaxError as error:
        message = str(error)
        raise _invalid(path, classify_syntax_error(message), f"Turtle syntax error: {message}", *syntax_position(error)) from None
    except RecursionError:
        raise _invalid(path, "turtle-syntax", "the file nests too deeply to parse") from None
    if parser.base_iri:
        raise _invalid(path, "relative-iri", "@base is not allowed: write every IRI in full or with a shared prefix")
    return triples


def first_comment(text: str) -> tuple[int, int] | None:
    """Line and column of the first ``#`` comment of a Turtle text that parses (None if it has none)."""
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "#":
            line_start = text.rfind("\n", 0, i) + 1
            return text.count("\n", 0, i) + 1, i - line_start + 1
        if char == "\\":  # an escape in a prefixed name (ex:a\#b)
            i += 2
        elif char == "<":  # an IRI (no '>' inside); '<<' of RDF 1.2 ends up here too, harmlessly
            end = text.find(">", i + 1)
            i = n if end < 0 else end + 1
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, i) else char
            i += len(quote)
            while i < n and not text.startswith(quote, i):
                i += 2 if text[i] == "\\" else 1
            i += len(quote)
        else:
            i += 1
    return None


def _refuse_what_cannot_be_kept(text: str, triples: list[Triple], path: str) -> None:
    comment = first_comment(text)
    if comment:
        raise _invalid(path, "format-comment", "this # comment would be lost by formatting: put the text in "
                       "rdfs:comment@en or delete it, then run `llm-atlas fmt`", *comment)
    for _, _, o in triples:
        if isinstance(o, ox.Triple):
            raise _invalid(path, "format-unsupported", "RDF 1.2 triple terms (<< >>) are not part of the data model: "
                           "use a StatementClaim node")
        if isinstance(o, ox.Literal) and o.direction is not None:
            raise _invalid(path, "format-unsupported", f"the base direction of {o} is not part of the data model: "
                           "use a plain language tag (@en)")


def _invalid(path: str, rule: str, message: str, line: int = 0, col: int = 0) -> InvalidData:
    return InvalidData([Problem(path, line, col, rule, message)])


MAX_BLANK_NODES = 200  # entity files have none; canonical labelling costs grow fast with their number


def render_triples(triples: Iterable[Triple], path_for_messages: str = "") -> str:
    """The canonical text of a set of pyoxigraph triples (no proof; :func:`format_text` proves)."""
    triples = list(triples)
    blanks = {t for s, _, o in triples for t in (s, o) if isinstance(t, ox.BlankNode)}
    if len(blanks) > MAX_BLANK_NODES:
        raise _invalid(path_for_messages, "blank-node", f"the file has {len(blanks)} blank nodes (collections or [ ] nodes); the "
                       f"formatter writes at most {MAX_BLANK_NODES}: name the nodes with fragments of the entity IRI")
    try:
        return _Document(triples).render()
    except RecursionError:
        raise _invalid(path_for_messages, "blank-node", "blank nodes nest too deeply to write: "
                       "name the nodes with fragments of the entity IRI") from None
    except _TooSymmetric:
        raise _invalid(path_for_messages, "blank-node", "too many interchangeable blank nodes to write them in one "
                       "canonical order: name each node with a fragment of the entity IRI") from None


def _prove(triples: list[Triple], text: str, path: str) -> None:
    """Raise FormatError unless ``text`` parses to a graph isomorphic to ``triples`` and formats to itself."""
    try:
        reparsed = _parse(text, path)
    except InvalidData as error:
        message = error.problems[0].message
        raise FormatError(f"{path}: the formatter wrote Turtle that does not parse ({message}); nothing was written") from error
    if not _same_graph(triples, reparsed):
        raise FormatError(f"{path}: the formatted text is not the same graph as the file; nothing was written")
    if render_triples(reparsed, path) != text:
        raise FormatError(f"{path}: formatting is not stable (a second pass changes the text); nothing was written")


def _same_graph(a: list[Triple], b: list[Triple]) -> bool:
    """Graph isomorphism: equal sets when there is no blank node, rdflib's canonical comparison otherwise."""
    if not any(isinstance(t, ox.BlankNode) for triple in (*a, *b) for t in triple):
        return set(a) == set(b)
    from rdflib.compare import isomorphic  # only files with blank nodes need it

    from .rdfbridge import graph_from_triples

    return isomorphic(graph_from_triples(ox.Triple(s, p, o) for s, p, o in set(a)),
                      graph_from_triples(ox.Triple(s, p, o) for s, p, o in set(b)))


# -- the API -------------------------------------------------------------------------------------------


def format_text(text: str, path_for_messages: str, *, prove: bool = True) -> str:
    """The canonical form of a Turtle text.

    Raises :class:`~llm_atlas.errors.InvalidData` when the text does not parse, has a comment or uses
    terms the formatter cannot keep, and :class:`FormatError` when the result fails its proof. The proof
    guards what gets written; a caller that only compares (``prove=False``) writes nothing.
    """
    triples = _parse(text, path_for_messages)
    _refuse_what_cannot_be_kept(text, triples, path_for_messages)
    formatted = render_triples(triples, path_for_messages)
    if prove:
        _prove(triples, formatted, path_for_messages)
    return formatted


def serialize(triples: Iterable[ox.Triple | Triple], path_for_messages: str = "") -> str:
    """The canonical Turtle of triples a program made (an importer, say), proven before it is returned.

    Raises :class:`FormatError` if the text would not read back as the same graph: a writer bug never
    reaches a file.
    """
    plain = [(t.subject, t.predicate, t.object) if isinstance(t, ox.Triple) else tuple(t) for t in triples]
    text = render_triples(plain, path_for_messages)
    _prove(plain, text, path_for_messages or "<generated>")
    return text
