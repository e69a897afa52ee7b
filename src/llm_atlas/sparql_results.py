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
        return json_select_with_row_limit(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                                          truncated=truncated, row_limit=row_limit)
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
    return json_select_with_row_limit(solutions.serialize(format=ox.QueryResultsFormat.JSON), truncated=truncated, row_limit=row_limit)


class JsonRowCounter:
    """The rows of a SPARQL JSON results document (compact, as Oxigraph writes it) counted as it streams in, to
    stop reading past a row cap and cut the document there.

    A row after the first begins ``,{"`` and a variable's name. Inside a string a ``"`` is always escaped, so
    ``,{"`` can occur in one only at its very end, and is then followed by what follows a string (``,``,
    ``}``, ``]`` or ``:``), never by a name: counting ``,{"`` and taking away those followed by one of these
    four counts the rows exactly, at the speed of ``bytes.count``. A row with nothing bound (``,{}``) has no
    such mark; once one may be present, the rows are counted again from the start on the text with its strings
    taken out (a string cut by the end of a chunk carried over to the next), and the cut is found by a
    tokenizer: slower, and only for answers with such rows (or literals holding ``,{}``).

    That reads each chunk four times (20 us for a 6 kB answer in five chunks, on every request). So while the
    answer cannot pass the cap, only a bound is kept: every row after the first begins ``,{``, so there are
    at most one more rows than ``,{`` marks (one count per chunk: 8 us, `benchmarks/bench_row_counter.py`).
    Once the bound passes the cap, the exact count runs over everything fed so far and goes on from there;
    ``rows`` is exact when asked.

    >>> doc = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":",{"}},{"x":{"type":"bnode","value":"b"}}]}}'
    >>> counter = JsonRowCounter(1)
    >>> counter.feed(doc)
    >>> counter.rows, counter.over, counter.cut(doc)
    (2, True, b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":",{"}}]}}')
    """

    _NEXT_ROW = re.compile(rb',\{"[^,}\]:]')
    _STRING_END = re.compile(rb',\{"[,}\]:]')  # ,{" at the end of a string
    _FIRST_ROW = b'"bindings":[{'
    _OVERLAP = len(_FIRST_ROW) - 1  # bytes of the last chunk kept, so that no mark is missed across chunks
    _STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
    _TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*(?:"|\\?\Z)|[,\[]\{', re.DOTALL)  # a string (maybe cut), or a row start

    def __init__(self, limit: int):
        self.limit = limit
        self._rows = 0
        self.over = False  # more than ``limit`` rows
        self._exact = False  # counting rows exactly (else only the bound: 1 + the ``,{`` marks seen)
        self._marks = 0
        self._last = b""  # the last byte fed, for a mark across two chunks
        self._first = False  # the first row has begun
        self._next = 0  # rows begun after the first
        self._tail = b""
        self._fed: list[bytes] = []
        self._slow = False  # a row with nothing bound may be present: count outside strings
        self._carry = b""  # (slow count) a string the last chunk ended inside
        self._last_outside = b""  # (slow count) the last byte outside strings seen

    @property
    def rows(self) -> int:
        """The rows begun in what was fed (the last may be incomplete)."""
        if not self._exact:
            self._count_exactly()
        return self._rows

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self._fed.append(chunk)
        if self._exact:
            self._feed_exact(chunk)
            return
        self._marks += chunk.count(b",{") + (self._last == b"," and chunk[:1] == b"{")
        self._last = chunk[-1:]
        if self._marks + 1 > self.limit:  # it may be over: count exactly from here on
            self._count_exactly()

    def _count_exactly(self) -> None:
        self._exact = True
        if self._fed:
            self._feed_exact(b"".join(self._fed))

    def _feed_exact(self, chunk: bytes) -> None:
        if self._slow:
            self._count_outside_strings(self._carry + chunk)
        else:
            tail, data = self._tail, self._tail + chunk
            if b",{}" in data:
                self._slow, self._rows = True, 0
                self._count_outside_strings(b"".join(self._fed))
            else:
                self._first = self._first or self._FIRST_ROW in data
                # a ,{" is counted once the byte after it has come (it may be a string's end)
                self._next += (data.count(b',{"', 0, len(data) - 1) - tail.count(b',{"', 0, len(tail) - 1)
                               - len(self._STRING_END.findall(data)) + len(self._STRING_END.findall(tail)))
                self._rows = self._next + 1 if self._first else 0
            self._tail = data[-self._OVERLAP:]
        self.over = self._rows > self.limit

    def _count_outside_strings(self, data: bytes) -> None:
        outside = self._STRING.sub(b"", data)
        # what is left from the quote of a string the data ends inside is the data's own tail: no string ends there
        open_at = outside.find(b'"')
        if open_at >= 0:
            self._carry = data[len(data) - (len(outside) - open_at):]
            outside = outside[:open_at]
        else:
            self._carry = b""
        self._rows += (outside.count(b",{") + outside.count(b"[{")
                      + (self._last_outside in (b",", b"[") and outside[:1] == b"{"))
        self._last_outside = outside[-1:] or self._last_outside

    def cut(self, document: bytes) -> bytes:
        """``document`` (everything fed) with its first ``limit`` rows only, closed; only when :attr:`over`."""
        assert self.over
        if self._slow:
            starts = [match.start() for match in self._TOKENS.finditer(document) if match.group()[0] != 0x22]
            return document[:starts[self.limit]] + b"]}}"
        for seen, match in enumerate(self._NEXT_ROW.finditer(document), 1):
            if seen == self.limit:
                return document[:match.start()] + b"]}}"
        raise AssertionError("fewer rows than counted")


_ROW_DECODER = json.JSONDecoder()


def json_select_error(document: bytes) -> str | None:
    """The error that cut a compact SPARQL JSON SELECT document short, or None when it is complete.

    Oxigraph answers 200 before it has evaluated the rows, so an error met while streaming them is written
    as its message after the rows already sent: the message is what follows the last whole row (each is
    decoded, so braces, brackets or quotes in the message cannot be taken for the document's).

    >>> json_select_error(b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"}"}}oops {x}')
    'oops {x}'
    >>> json_select_error(b'{"head":{"vars":["x"]},"results":{"bindings":[]}}') is None
    True
    """
    if document.endswith(b"]}}"):
        return None
    text = document.decode("utf-8", "replace")
    opening = text.find('"bindings":[')
    if opening < 0:  # not even the head: the whole body is the message
        return text.strip()
    try:
        variables = set(json.loads(text[:opening].removesuffix(',"results":{') + "}")["head"]["vars"])
    except (ValueError, KeyError, TypeError):
        variables = set()
    at = start = opening + len('"bindings":[')  # at: the end of the last whole row
    while text.startswith("{", start):
        try:
            row, end = _ROW_DECODER.raw_decode(text, start)
        except ValueError:  # the message begins with a brace
            break
        if not (isinstance(row, dict) and row.keys() <= variables
                and all(isinstance(term, dict) and "type" in term for term in row.values())):
            break  # JSON, but not a row of this answer: the message
        at = end
        start = end + 1 if text.startswith(",{", end) else len(text)
    return text[at:].strip()


def json_select_with_row_limit(document: bytes, *, truncated: bool | None = None, row_limit: int | None = None) -> bytes:
    """A compact SPARQL JSON SELECT document (the engine's, cut by :class:`JsonRowCounter` if it was over the
    cap, or one written here) as :func:`write_select` writes it: the row-cap fields last (when ``truncated``
    is given), and a newline."""
    if truncated is None:
        return document + b"\n"
    assert document.endswith(b"}")
    tail = b',"truncated":true,"rowLimit":' + str(row_limit).encode() if truncated else b',"truncated":false'
    return document[:-1] + tail + b"}\n"


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
           "JsonRowCounter", "json_select_with_row_limit", "json_select_error", "select_json_from_tsv"]
