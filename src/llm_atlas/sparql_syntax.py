"""SPARQL syntax errors that say what is wrong, where: one check for the command line and the endpoint.

pyoxigraph, the engine that runs every query, is the grammar: a query it cannot parse is refused before
anything runs. Its error is a parser's ("error at 1:28: expected one of Prefix not found, ['%'], ['-' |
'0' ..= '9' ...") and points where the parser gave up, often past the mistake. :func:`check_syntax` turns
it into one sentence with the line and column of the mistake itself:

>>> check_syntax("SELECT * WHERE {\\n  ?s foo:bar ?o }")
Traceback (most recent call last):
...
llm_atlas.sparql_syntax.SparqlSyntaxError: SPARQL syntax error at line 2, column 6: unknown prefix foo: (in foo:bar); declare it with PREFIX foo: <...>, or use one of the shared prefixes (atlas:, model:, dataset:, ...)
>>> check_syntax("SELECT * WHERE { ?s ?p ?o ")
Traceback (most recent call last):
...
llm_atlas.sparql_syntax.SparqlSyntaxError: SPARQL syntax error at line 1, column 16: the { here is never closed
>>> check_syntax("SELECT * WHERE { ?s ?p ?o }")
'SELECT'
"""

from __future__ import annotations

import re

import pyoxigraph as ox

from . import sparql_guard
from .errors import UsageError
from .namespaces import PREFIXES
from .suggest import did_you_mean  # at the top: the endpoint's sandboxed workers cannot open files later

UPDATE_KEYWORDS = ("INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD", "WITH")
QUERY_KEYWORDS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "PREFIX", "BASE")
# Longer texts get the parser's own words at its line and column, not an explanation: the tokenizer below tries
# a string at each quote and a prefixed name at each letter of a dotted run, so a hostile text of 2 MiB (an
# unclosed string of escaped quotes, "a.a.a...") took hours; at this length, under half a second. The longest
# saved query is under 5 KiB.
EXPLAIN_LIMIT = 12 * 1024
# Words that may stand before "(" in a query: the built-in functions and aggregates of SPARQL 1.1 (and 1.2),
# and the keywords a parenthesis follows.
CALLABLE = {
    "STR", "LANG", "LANGMATCHES", "DATATYPE", "BOUND", "IRI", "URI", "BNODE", "RAND", "ABS", "CEIL", "FLOOR", "ROUND", "CONCAT",
    "SUBSTR", "STRLEN", "REPLACE", "UCASE", "LCASE", "ENCODE_FOR_URI", "CONTAINS", "STRSTARTS", "STRENDS", "STRBEFORE", "STRAFTER",
    "YEAR", "MONTH", "DAY", "HOURS", "MINUTES", "SECONDS", "TIMEZONE", "TZ", "NOW", "UUID", "STRUUID", "MD5", "SHA1", "SHA256",
    "SHA384", "SHA512", "COALESCE", "IF", "STRLANG", "STRDT", "SAMETERM", "ISIRI", "ISURI", "ISBLANK", "ISLITERAL", "ISNUMERIC",
    "REGEX", "EXISTS", "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT", "FILTER", "BIND", "VALUES", "IN", "NOT",
    "SELECT", "WHERE", "BY", "ASC", "DESC", "HAVING", "TRIPLE", "SUBJECT", "PREDICATE", "OBJECT", "ISTRIPLE", "LANGDIR",
    "STRLANGDIR", "HASLANG", "HASLANGDIR", "DISTINCT", "AS",
}

# The tokens that can hide a brace, a quote or a colon: strings (long ones first), IRIs, comments.
_TOKEN = re.compile(
    r"""(?P<string>'''(?:'{0,2}(?:[^'\\]|\\.))*'''|\"\"\"(?:"{0,2}(?:[^"\\]|\\.))*\"\"\"|'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")"""
    r"""|(?P<open_string>'''|\"\"\"|'|")"""
    r"""|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)"""
    r"""|(?P<bad_iri><[^<>{}\n\s]+\s[^<>{}\n]*>)"""
    r"""|(?P<comment>\#[^\n\r]*)"""
    r"""|(?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)"""
    r"""|(?P<pname>(?:[A-Za-z\u00c0-\uffff][\w\-.\u00b7\u00c0-\uffff]*)?:(?:[\w\-.:%\\\u00b7\u00c0-\uffff]*[\w\-:%\u00b7\u00c0-\uffff])?)"""
    r"""|(?P<word>[A-Za-z_\u00c0-\uffff][\w\-\u00b7\u00c0-\uffff]*)"""
    r"""|(?P<brace>[{}])"""
    r"""|(?P<space>\s+)"""
    r"""|(?P<other>.)""",
    re.DOTALL,
)
_PREFIX_DECLARATION = re.compile(r"PREFIX\s+([A-Za-z\u00c0-\uffff][\w\-.\u00b7\u00c0-\uffff]*)?:", re.IGNORECASE)


class SparqlSyntaxError(UsageError):
    """A query that does not parse: exit 2, with the line and column of the mistake."""

    def __init__(self, line: int, column: int, message: str):
        self.line, self.column, self.reason = line, column, message
        super().__init__(f"SPARQL syntax error at line {line}, column {column}: {message}")


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[: line - 1]) + column - 1


def _tokens(text: str) -> list[tuple[str, str, int]]:
    return [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(text) if m.lastgroup not in ("space", "comment")]


def explain(text: str, error: SyntaxError, prefixes: dict[str, str] = PREFIXES) -> SparqlSyntaxError:
    """The parser's error as a sentence about the mistake, with its line and column."""
    raw = str(error)
    match = re.match(r"error at (\d+):(\d+): expected (?:one of )?(.*)", raw, re.DOTALL)
    line, column = (int(match.group(1)), int(match.group(2))) if match else (1, 1)
    expected = match.group(3) if match else raw
    offset = min(_offset(text, line, column), len(text))
    if len(text) > EXPLAIN_LIMIT:
        return SparqlSyntaxError(line, column, _grammar_check(expected) or _stopped_at(text, offset, expected)
                                 or "the query does not parse: it ends before it is complete" + _expected(expected))
    tokens = _tokens(text)
    words = [t for t in tokens if t[0] == "word"]

    if not tokens:
        return SparqlSyntaxError(1, 1, "the query is empty")
    if words and words[0][1].upper() in UPDATE_KEYWORDS or any(w[1].upper() == "DATA" for w in words[:3]):
        return SparqlSyntaxError(*_position(text, words[0][2]), "this is an update (INSERT, DELETE, ...): only queries are run, nothing is ever written")
    for kind, value, start in tokens:
        if kind == "open_string":
            return SparqlSyntaxError(*_position(text, start), f"the string starting with {value} here is never closed")
    if "IRI parsing failed" in expected:
        start = text.rfind("<", 0, _offset(text, line, column))
        bad = re.match(r"<[^>\n]*>?", text[start:]) if start >= 0 else None
        return SparqlSyntaxError(*_position(text, max(start, 0)), f"{bad.group() if bad else 'this'} is not a valid IRI "
                                 "(an absolute IRI, with no spaces or quotes)")
    declared = set(prefixes) | {m.group(1) or "" for m in _PREFIX_DECLARATION.finditer(text)}
    for kind, value, start in tokens:
        if kind == "pname" and value.split(":", 1)[0] not in declared:
            prefix = value.split(":", 1)[0]
            return SparqlSyntaxError(*_position(text, start), f"unknown prefix {prefix}: (in {value}); declare it with PREFIX {prefix}: <...>, "
                                     "or use one of the shared prefixes (atlas:, model:, dataset:, ...)")
    first = next((t for t in tokens if t[0] in ("word", "pname", "brace", "var", "other")), None)
    if first and first[0] == "word" and first[1].upper() not in QUERY_KEYWORDS:
        hint = did_you_mean(first[1].upper(), QUERY_KEYWORDS[:4])
        return SparqlSyntaxError(*_position(text, first[2]), f"a query starts with SELECT, ASK, CONSTRUCT or DESCRIBE (after its PREFIX "
                                 f"lines), not {first[1]!r}" + (f"; {hint}" if hint else ""))
    if "variable that is unbound" in expected:
        unbound = _ungrouped(tokens)
        if unbound:
            return SparqlSyntaxError(*_position(text, unbound[2]), f"{unbound[1]} is selected but neither in GROUP BY nor inside an "
                                     "aggregate (COUNT, SAMPLE, GROUP_CONCAT, ...)")
    depth: list[int] = []
    for kind, value, start in tokens:
        if kind == "brace" and value == "{":
            depth.append(start)
        elif kind == "brace":
            if not depth:
                return SparqlSyntaxError(*_position(text, start), "this } closes nothing: a { is missing, or there is one } too many")
            depth.pop()
    if depth:
        return SparqlSyntaxError(*_position(text, depth[-1]), "the { here is never closed")
    check = _grammar_check(expected)
    if check:
        return SparqlSyntaxError(line, column, check)
    for i, (kind, value, start) in enumerate(tokens[:-1]):
        if kind == "word" and tokens[i + 1][1] == "(" and value.upper() not in CALLABLE:
            return SparqlSyntaxError(*_position(text, start), f"{value}() is not a SPARQL function (a custom function is called by "
                                     "its IRI, <...>() or prefix:name())")
    stopped = _stopped_at(text, offset, expected)
    if stopped is None:
        # the parser read to the end and found nothing that completes what came before: what it lists is noise
        last = tokens[-1]
        return SparqlSyntaxError(*_position(text, last[2]), f"the query does not parse: it ends before it is complete (near {last[1]!r}: "
                                 "an unfinished triple pattern, expression or clause?)")
    return SparqlSyntaxError(line, column, stopped)


def _grammar_check(expected: str) -> str | None:
    """A check the grammar makes after parsing, which the parser lists among what it expected ("Prefix not found")."""
    reasons = [r.strip() for r in re.split(r",\s*(?=[A-Z\"'\[])", expected) if " " in r.strip() and not r.strip().startswith(("[", "'", '"'))]
    return reasons[0][0].lower() + reasons[0][1:] if reasons else None


def _stopped_at(text: str, offset: int, expected: str) -> str | None:
    """Where the parser stopped (it may stop on a space) and what it expected there; None at the end of the text."""
    found = re.search(r"\S{1,30}", text[offset:])
    return f"the query does not parse at {found.group()!r}" + _expected(expected) if found else None


def _ungrouped(tokens: list[tuple[str, str, int]]) -> tuple[str, str, int] | None:
    """The first variable a grouped SELECT projects bare (not inside an expression) that GROUP BY does not name."""
    words = [i for i, t in enumerate(tokens) if t[0] == "word" and t[1].upper() == "SELECT"]
    group = [i for i, t in enumerate(tokens) if t[0] == "word" and t[1].upper() == "GROUP"]
    if not words or not group:
        return None
    grouped, depth = set(), 0
    for kind, value, _ in tokens[group[-1] + 2:]:
        if kind == "word" and value.upper() in ("HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES"):
            break
        if kind == "var":
            grouped.add(value[1:])
    for kind, value, start in tokens[words[0] + 1:]:
        if kind == "brace" or (kind == "word" and value.upper() == "WHERE"):
            break
        if value == "(":
            depth += 1
        elif value == ")":
            depth -= 1
        elif kind == "var" and depth == 0 and value[1:] not in grouped:
            return kind, value, start
    return None


def _expected(expected: str) -> str:
    """The readable part of the parser's list: quoted tokens and keywords, no character classes."""
    # character classes, ['A' ..= 'Z' | '\\u{F900}'..='\\u{FDCF}']: their hex digits are no keywords (a token "[" stays)
    expected = re.sub(r"\['(?:[^\]\\]|\\.)*\]", "", expected)
    items = re.findall(r'"((?:[^"\\]|\\.)+)"|\b([A-Z][A-Z_]+)\b', expected)
    names = []
    for quoted, keyword in items:
        name = quoted.replace('\\"', '"').replace("\\\\", "\\") if quoted else keyword
        if name and name not in names:
            names.append(name)
    if not names or len(names) > 8:
        return ""
    return "; expected " + (names[0] if len(names) == 1 else "one of " + " ".join(names))


def inert(text: str) -> str:
    """The query with every SERVICE clause turned into a GRAPH clause, for a syntax check that reaches no one.

    pyoxigraph starts evaluating a query as soon as it has parsed it, and evaluates SERVICE by sending the
    request (measured: an empty store connects to the service before ``query()`` returns). A syntax check
    must reach no one, so it parses this text: the same grammar, and nothing to fetch. What counts as a SERVICE
    is what pyoxigraph reads as one (it matches keywords without a word boundary, and expands ``\\u`` escapes
    only inside strings and IRIs): :func:`llm_atlas.sparql_guard.without_service`.
    """
    return sparql_guard.without_service(text)


def parse_only(text: str, prefixes: dict[str, str] = PREFIXES, substitutions: dict | None = None):
    """pyoxigraph's answer to :func:`inert` text over an empty store: parsed, bound, and nothing fetched.

    Raises SyntaxError as pyoxigraph does, and ValueError (or RuntimeError, as pyoxigraph 0.5 raises it)
    for a substitution the query does not allow.
    """
    return ox.Store().query(inert(text), prefixes=prefixes, substitutions=substitutions)


def check_syntax(text: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """The form (SELECT, ASK, CONSTRUCT, DESCRIBE) of a query that parses, or :class:`SparqlSyntaxError`.

    The query is parsed, never sent anywhere: SERVICE clauses are made inert first (see :func:`inert`).
    """
    try:
        answer = parse_only(text, prefixes)
    except SyntaxError as error:
        raise explain(text, error, prefixes) from None
    if isinstance(answer, ox.QueryBoolean):
        return "ASK"
    if isinstance(answer, ox.QueryTriples):
        form = next((t[1].upper() for t in _tokens(text) if t[0] == "word" and t[1].upper() in ("CONSTRUCT", "DESCRIBE")), "CONSTRUCT")
        return form
    return "SELECT"


__all__ = ["check_syntax", "parse_only", "inert", "explain", "SparqlSyntaxError"]
