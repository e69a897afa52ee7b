r"""The SPARQL query results formats: one writer per format, for the command line and the endpoint alike.

``write_select(variables, rows, fmt)`` and ``write_boolean(value, fmt)`` give the bytes of SPARQL 1.1 Query
Results JSON, XML, CSV and TSV (with the SPARQL 1.2 form of triple terms), so that ``llm-atlas query
--format csv`` and the endpoint's ``text/csv`` answer write a blank node, a literal or a triple term the
same way.

>>> import pyoxigraph as ox
>>> write_select(["x"], [[ox.BlankNode("b0")], [ox.Literal("a,b")]], "csv")
b'x\r\n_:b0\r\n"a,b"\r\n'
>>> print(write_select(["x"], [[ox.Literal("1", datatype=ox.NamedNode(XSD_INTEGER))]], "tsv").decode(), end="")
?x
"1"^^<http://www.w3.org/2001/XMLSchema#integer>
"""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pyoxigraph as ox

from .namespaces import XSD_INTEGER, XSD_STRING  # noqa: F401  (XSD_INTEGER: the doctest)

SELECT_FORMATS = ("json", "xml", "csv", "tsv")
MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
}

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def json_term(term) -> dict:
    """A term as SPARQL 1.1 Query Results JSON (with SPARQL 1.2 triple terms)."""
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {"subject": json_term(term.subject), "predicate": json_term(term.predicate),
                                            "object": json_term(term.object)}}
    raise TypeError(f"not an RDF term: {term!r}")


def _xml_text(value: str) -> str:
    return html.escape(_XML_INVALID.sub("\ufffd", value), quote=True)


def xml_term(term) -> str:
    if isinstance(term, ox.NamedNode):
        return f"<uri>{_xml_text(term.value)}</uri>"
    if isinstance(term, ox.BlankNode):
        return f"<bnode>{_xml_text(term.value)}</bnode>"
    if isinstance(term, ox.Literal):
        if term.language:
            return f'<literal xml:lang="{_xml_text(term.language)}">{_xml_text(term.value)}</literal>'
        if term.datatype.value != XSD_STRING:
            return f'<literal datatype="{_xml_text(term.datatype.value)}">{_xml_text(term.value)}</literal>'
        return f"<literal>{_xml_text(term.value)}</literal>"
    if isinstance(term, ox.Triple):
        return (f"<triple><subject>{xml_term(term.subject)}</subject><predicate>{xml_term(term.predicate)}</predicate>"
                f"<object>{xml_term(term.object)}</object></triple>")
    raise TypeError(f"not an RDF term: {term!r}")


def syntax_term(term) -> str:
    """A term in SPARQL / N-Triples syntax (TSV cells): ``<iri>``, ``_:b0``, ``"x"@en``, ``<<( s p o )>>``."""
    if isinstance(term, ox.Triple):
        return f"<<( {syntax_term(term.subject)} {syntax_term(term.predicate)} {syntax_term(term.object)} )>>"
    # N-Triples escapes quotes, backslashes and line breaks; a raw tab would split the TSV cell
    return str(term).replace("\t", "\\t")


def csv_value(term) -> str:
    """A term as SPARQL 1.1 CSV writes it: the IRI or the lexical form, ``_:label`` for a blank node."""
    if term is None:
        return ""
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    return syntax_term(term)


def write_select(variables: list[str], rows: list[list], fmt: str, *, truncated: bool | None = None, row_limit: int | None = None) -> bytes:
    """A SELECT answer in ``fmt`` (json, xml, csv, tsv). ``truncated`` (an endpoint with a row cap): whether
    rows were cut at ``row_limit``, written into JSON as ``"truncated"`` and ``"rowLimit"`` (an extension
    other clients ignore)."""
    if fmt == "json":
        bindings = [{v: json_term(t) for v, t in zip(variables, row) if t is not None} for row in rows]
        doc: dict = {"head": {"vars": list(variables)}, "results": {"bindings": bindings}}
        return _with_row_limit(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), truncated, row_limit)
    if fmt == "xml":
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n<head>']
        out += [f'<variable name="{_xml_text(v)}"/>' for v in variables]
        out.append("</head>\n<results>")
        for row in rows:
            cells = "".join(f'<binding name="{_xml_text(v)}">{xml_term(t)}</binding>' for v, t in zip(variables, row) if t is not None)
            out.append(f"<result>{cells}</result>")
        out.append("</results>\n</sparql>\n")
        return "\n".join(out).encode("utf-8")
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(variables)
        for row in rows:
            writer.writerow([csv_value(t) for t in row])
        return buffer.getvalue().encode("utf-8")
    if fmt == "tsv":
        lines = ["\t".join("?" + v for v in variables)]
        lines += ["\t".join("" if t is None else syntax_term(t) for t in row) for row in rows]
        return ("\n".join(lines) + "\n").encode("utf-8")
    raise ValueError(f"unknown results format {fmt!r}; formats: {', '.join(SELECT_FORMATS)}")


def select_json_from_tsv(tsv: bytes, *, truncated: bool | None = None, row_limit: int | None = None) -> bytes:
    """A SELECT answer given as SPARQL TSV (what the endpoint's engine sends), as :func:`write_select` writes
    it in JSON, byte for byte, but written by pyoxigraph: a large answer takes a tenth of the time."""
    solutions = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
    return _with_row_limit(solutions.serialize(format=ox.QueryResultsFormat.JSON), truncated, row_limit)


def _with_row_limit(document: bytes, truncated: bool | None, row_limit: int | None) -> bytes:
    """A compact JSON results document with the row-cap fields last (when ``truncated`` is given), and a newline."""
    if truncated is None:
        return document + b"\n"
    assert document.endswith(b"}")
    tail = b',"truncated":true,"rowLimit":' + str(row_limit).encode() if truncated else b',"truncated":false'
    return document[:-1] + tail + b"}\n"


class JsonRowCounter:
    """The rows of a SPARQL JSON results document (compact, as Oxigraph writes it) counted as it streams in, to
    stop reading past a row cap and cut the document there.

    Outside strings, ``,{`` occurs only between two rows (in an object a comma is followed by a key, and an
    object value follows a colon) and ``[{`` only before the first row. Strings can hold either, so the count
    of ``,{`` plus one bounds the rows from above: while it is within ``limit`` nothing more is done, which is
    every answer but those near the cap. Past it, the rows are counted exactly on the text with its strings
    taken out (a string cut by the end of a chunk is carried over to the next), and a cut is made before the
    row start after the ``limit``-th.

    >>> doc = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":",{"}},{}]}}'
    >>> counter = JsonRowCounter(1)
    >>> counter.feed(doc)
    >>> counter.rows, counter.over, counter.cut(doc)
    (2, True, b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":",{"}}]}}')
    """

    _STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
    _ROW_START = re.compile(rb"[,\[]\{")
    _TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*(?:"|\\?\Z)|[,\[]\{', re.DOTALL)  # a string (maybe cut), or a row start

    def __init__(self, limit: int):
        self.limit = limit
        self.rows = 0  # counted exactly only once the bound passes the limit
        self.over = False  # more than ``limit`` rows
        self._chunks: list[bytes] = []  # until the exact count starts
        self._bound = 0  # ``,{`` seen: the rows after the first, or more
        self._last = b""  # the last byte seen (a ``,{`` can be split between chunks)
        self._exact = False
        self._carry = b""  # a string the last chunk ended inside
        self._last_outside = b""  # the last byte outside strings that the exact count has seen

    def feed(self, chunk: bytes) -> None:
        if not chunk:  # (after the cap too: cut() needs the count of everything fed)
            return
        if not self._exact:
            self._chunks.append(chunk)
            self._bound += chunk.count(b",{") + (self._last == b"," and chunk[:1] == b"{")
            self._last = chunk[-1:]
            if self._bound + 1 <= self.limit:
                return
            self._exact = True
            data, self._chunks = b"".join(self._chunks), []
        else:
            data = self._carry + chunk
        self._count(data)

    def _count(self, data: bytes) -> None:
        outside = self._STRING.sub(b"", data)
        # Left: the text between strings, and from the quote that opens a string the data ends inside (no
        # complete string follows that quote, so the rest is the data's own tail).
        open_at = outside.find(b'"')
        if open_at >= 0:
            self._carry = data[len(data) - (len(outside) - open_at):]
            outside = outside[:open_at]
        else:
            self._carry = b""
        starts = outside.count(b",{") + outside.count(b"[{") + (self._last_outside in (b",", b"[") and outside[:1] == b"{")
        self._last_outside = outside[-1:] or self._last_outside
        self.rows += starts
        self.over = self.rows > self.limit

    def cut(self, document: bytes) -> bytes:
        """``document`` (everything fed) with its first ``limit`` rows only, closed; only when :attr:`over`."""
        assert self.over
        starts = [match.start() for match in self._ROW_START.finditer(document)]
        if len(starts) != self.rows:  # some are in strings: find the row starts outside them
            starts = [match.start() for match in self._TOKENS.finditer(document) if match.group()[0] != 0x22]
        return document[:starts[self.limit]] + b"]}}"


def json_select_with_row_limit(document: bytes, *, truncated: bool | None = None, row_limit: int | None = None) -> bytes:
    """A compact SPARQL JSON SELECT document from the engine (cut by :class:`JsonRowCounter` if it was over the
    cap) as :func:`write_select` writes it: the row-cap fields last, and a newline."""
    return _with_row_limit(document, truncated, row_limit)


def write_boolean(value: bool, fmt: str) -> bytes:
    """An ASK answer in ``fmt``. CSV and TSV define no boolean form; the word is what common endpoints send."""
    if fmt == "json":
        return b'{"head":{},"boolean":' + (b"true" if value else b"false") + b"}\n"
    if fmt == "xml":
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">\n'
                f"<head/>\n<boolean>{'true' if value else 'false'}</boolean>\n</sparql>\n").encode()
    if fmt in ("csv", "tsv"):
        return ("true\n" if value else "false\n").encode()
    raise ValueError(f"unknown results format {fmt!r}; formats: {', '.join(SELECT_FORMATS)}")


__all__ = ["SELECT_FORMATS", "MEDIA_TYPES", "json_term", "xml_term", "syntax_term", "csv_value", "write_select", "write_boolean",
           "JsonRowCounter", "json_select_with_row_limit", "select_json_from_tsv"]
