"""Query job: saved SPARQL queries (``queries/*.rq``), safe parameters, and result formats.

A saved query starts with a header of ``#+ key: value`` lines::

    #+ summary: Projects by governance model
    #+ question: RQ3 - which governance model does each project follow?
    #+ tags: governance, sample, study
    #+ param: artifact iri dataset:common-crawl The artefact whose dependents to list

A parameter line gives the variable name (without ``?``), its type (``iri``, ``string`` or ``integer``),
its default (also the example) and a description. Values are RDF terms, validated for their type and
written only through :func:`sparql_term`, never text spliced into the query, so a value with quotes, braces
or ``>`` stays a value; :func:`run_query` binds them with a VALUES block or with pyoxigraph substitutions.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import sparql_guard
from .errors import InvalidData, Problem, UsageError
from .namespaces import PREFIXES, RDF_LANG_STRING, XSD, XSD_INTEGER, XSD_STRING, expand, shorten, sparql_prefixes
from .ntriples import sorted_ntriples
from .sparql_syntax import SparqlSyntaxError, check_syntax, explain, parse_only
from .sparql_results import SELECT_FORMATS, write_boolean, write_select

HEADER = re.compile(r"^#\+\s*([a-z]+)\s*:\s*(.*?)\s*$")
KNOWN_KEYS = {"summary", "question", "tags", "param"}
REQUIRED_KEYS = ("summary", "question", "tags")
PARAM_TYPES = ("iri", "string", "integer")
FORMATS = ("table", *SELECT_FORMATS)


# -- terms and parameters, bound with a VALUES block (remote endpoints, and local runs where that is safe) ------------------------------------------------------------------------------------

_IRIREF_FORBIDDEN = re.compile(r'[<>"{}|^`\\\x00-\x20]')
_LANGTAG = re.compile(r"^[a-zA-Z]+(?:-[a-zA-Z0-9]+)*$")
_ECHAR = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}


def sparql_term(term: ox.NamedNode | ox.Literal) -> str:
    """A term in SPARQL syntax, made only of what SPARQL reads as that one term."""
    if isinstance(term, ox.NamedNode):
        iri = ox.NamedNode(term.value).value
        if _IRIREF_FORBIDDEN.search(iri):
            raise UsageError(f"{iri!r} cannot be written as a SPARQL IRI")
        return f"<{iri}>"
    if isinstance(term, ox.Literal):
        out = []
        for c in term.value:
            if c in _ECHAR:
                out.append(_ECHAR[c])
            elif ord(c) < 32 or ord(c) == 127 or 0xD800 <= ord(c) <= 0xDFFF:
                raise UsageError(f"a parameter value cannot contain the control character U+{ord(c):04X}")
            else:
                out.append(c)
        text = '"' + "".join(out) + '"'
        if term.language:
            if not _LANGTAG.match(term.language):
                raise UsageError(f"bad language tag {term.language!r}")
            return f"{text}@{term.language}"
        if term.datatype.value not in (XSD_STRING, RDF_LANG_STRING):
            return f"{text}^^{sparql_term(term.datatype)}"
        return text
    raise UsageError(f"cannot bind {term!r}: parameters are IRIs or literals")


# SPARQL tokens that can hide a brace or a parenthesis: strings, IRIs, comments. Long strings first.
_TOKEN = re.compile(
    r"""(?P<string>'''(?:'{0,2}(?:[^'\\]|\\.))*'''|\"\"\"(?:"{0,2}(?:[^"\\]|\\.))*\"\"\"|'(?:[^'\\\n\r]|\\.)*'|"(?:[^"\\\n\r]|\\.)*")"""
    r"""|(?P<iri><[^<>"{}|^`\\\x00-\x20]*>)"""
    r"""|(?P<comment>\#[^\n\r]*)"""
    r"""|(?P<var>[?$][A-Za-z0-9_\u00b7\u00c0-\uffff]+)"""
    r"""|(?P<word>[A-Za-z_\u00c0-\uffff][\w\-.\u00b7\u00c0-\uffff]*(?::[^\s{}()<>"',;]*)?|:[^\s{}()<>"',;]*)"""
    r"""|(?P<punct>[{}()])"""
    r"""|(?P<space>\s+)"""
    r"""|(?P<other>.)""",
    re.DOTALL,
)


def _tokens(text: str) -> list[tuple[str, str, int]]:
    return [(m.lastgroup, m.group(), m.start()) for m in _TOKEN.finditer(text) if m.lastgroup not in ("space", "comment")]


def query_form(text: str) -> str:
    """SELECT, CONSTRUCT, ASK or DESCRIBE (the first keyword after the prologue); UsageError otherwise."""
    tokens = _tokens(text)
    i = 0
    while i < len(tokens):
        kind, value, _ = tokens[i]
        upper = value.upper()
        if kind == "word" and upper == "PREFIX":
            i += 3
        elif kind == "word" and upper == "BASE":
            i += 2
        elif kind == "word" and upper in ("SELECT", "CONSTRUCT", "ASK", "DESCRIBE"):
            return upper
        else:
            break
    raise UsageError("not a SPARQL query (SELECT, CONSTRUCT, ASK or DESCRIBE); updates are never sent")


def _matching(tokens: list[tuple[str, str, int]], start: int) -> int:
    depth = 0
    for j in range(start, len(tokens)):
        if tokens[j][0] == "punct" and tokens[j][1] == "{":
            depth += 1
        elif tokens[j][0] == "punct" and tokens[j][1] == "}":
            depth -= 1
            if depth == 0:
                return j
    raise UsageError("unbalanced braces in the query")


def bind_values(text: str, bindings: dict[str, ox.NamedNode | ox.Literal], *, check: bool = True) -> str:
    """The query with ``VALUES (?a ?b) { (term term) }`` first in its outermost WHERE group.

    ``check``: parse the result before returning it (for text sent elsewhere; a local run parses it anyway).
    """
    if not bindings:
        return text
    for name in bindings:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise UsageError(f"bad parameter name {name!r}")
    names = sorted(bindings)
    block = "VALUES (" + " ".join("?" + n for n in names) + ") { (" + " ".join(sparql_term(bindings[n]) for n in names) + ") }"
    form = query_form(text)
    tokens = _tokens(text)
    start = next(i for i, t in enumerate(tokens) if t[0] == "word" and t[1].upper() == form)
    i = start + 1
    if form == "CONSTRUCT":
        if i < len(tokens) and tokens[i][1].upper() == "WHERE":
            raise UsageError("parameters cannot be bound in the short form CONSTRUCT WHERE { ... }: write the template")
        if i < len(tokens) and tokens[i][1] == "{":
            i = _matching(tokens, i) + 1
    depth = 0
    brace = None
    for j in range(i, len(tokens)):
        kind, value, _ = tokens[j]
        if kind == "punct" and value == "(":
            depth += 1
        elif kind == "punct" and value == ")":
            depth -= 1
        elif kind == "punct" and value == "{" and depth == 0:
            brace = j
            break
    if brace is None:
        raise UsageError(f"the {form} query has no WHERE group to bind its parameters in")
    position = tokens[brace][2] + 1
    following = tokens[brace + 1] if brace + 1 < len(tokens) else None
    if following and following[0] == "word" and following[1].upper() == "SELECT":
        # '{ SELECT ... }' is a sub-select, which admits nothing beside it: nest it in a group
        close = tokens[_matching(tokens, brace)][2]
        bound = text[:position] + "\n  " + block + "\n  {" + text[position:close] + "}\n" + text[close:]
    else:
        bound = text[:position] + "\n  " + block + "\n" + text[position:]
    if not check:
        return bound
    try:
        check_syntax(bound)
    except SparqlSyntaxError as error:
        raise UsageError(f"cannot bind the parameters in this query ({error})") from None
    return bound


@dataclass(frozen=True)
class Param:
    name: str
    type: str
    default: str
    description: str

    def bind(self, raw: str) -> ox.NamedNode | ox.Literal:
        """The RDF term for a user's value, validated for the parameter's type."""
        if self.type == "integer":
            if not re.fullmatch(r"[+-]?\d+", raw.strip()):
                raise UsageError(f"parameter {self.name} is an integer; got {raw!r}")
            return ox.Literal(str(int(raw)), datatype=ox.NamedNode(XSD_INTEGER))
        if self.type == "string":
            return ox.Literal(raw)
        return ox.NamedNode(expand_iri(raw, self.name))


def expand_iri(raw: str, name: str = "value") -> str:
    """An absolute IRI from ``<iri>``, ``https://...`` or a shared-prefix name such as ``dataset:the-pile``."""
    try:
        text = expand(raw)
    except ValueError:
        raise UsageError(f"parameter {name}: {raw!r} is neither an IRI nor a name with a known prefix (e.g. dataset:the-pile)") from None
    try:
        return ox.NamedNode(text).value
    except ValueError as error:
        raise UsageError(f"parameter {name}: {raw!r} is not a valid IRI ({error})") from None


@dataclass
class SavedQuery:
    name: str
    path: Path | None
    text: str
    summary: str = ""
    question: str = ""
    tags: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()

    @property
    def answers_study(self) -> bool:
        return "study" in self.tags


def parse_saved_query(text: str, name: str, path: Path | None = None, display_path: str = "") -> SavedQuery:
    """Read a query file's header; a broken header is reported with ``path:line`` and the rule."""
    display = display_path or (str(path) if path else name)
    problems: list[Problem] = []
    fields: dict[str, str] = {}
    params: list[Param] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#+"):
            continue
        match = HEADER.match(line)
        if not match or match.group(1) not in KNOWN_KEYS:
            problems.append(Problem(display, number, 1, "query-header", f"header lines read '#+ key: value' with key one of {', '.join(sorted(KNOWN_KEYS))}; got {line!r}"))
            continue
        key, value = match.groups()
        if key == "param":
            parts = value.split(None, 3)
            if len(parts) < 3 or not re.fullmatch(r"[A-Za-z_]\w*", parts[0]) or parts[1] not in PARAM_TYPES:
                problems.append(Problem(display, number, 1, "query-header", f"a parameter line reads '#+ param: NAME TYPE DEFAULT DESCRIPTION' with TYPE one of {', '.join(PARAM_TYPES)}; got {value!r}"))
                continue
            params.append(Param(parts[0], parts[1], parts[2], parts[3] if len(parts) > 3 else ""))
        elif key in fields:
            problems.append(Problem(display, number, 1, "query-header", f"'#+ {key}:' appears twice"))
        else:
            fields[key] = value
    for key in REQUIRED_KEYS:
        if not fields.get(key):
            problems.append(Problem(display, 1, 1, "query-header", f"the header lacks '#+ {key}: ...'"))
    query = SavedQuery(name, path, text, fields.get("summary", ""), fields.get("question", ""),
                       tuple(t.strip() for t in fields.get("tags", "").split(",") if t.strip()), tuple(params))
    for param in params:
        if not re.search(r"[?$]" + re.escape(param.name) + r"\b", text):
            problems.append(Problem(display, 1, 1, "query-header", f"parameter {param.name} is not a variable of the query"))
        try:
            param.bind(param.default)
        except UsageError as error:
            problems.append(Problem(display, 1, 1, "query-header", f"default of {error}"))
    # The guard reads the text as the engine does without letting it run a SERVICE: loading a saved query
    # (serve at start-up, queries, report) must never call another server. SERVICE, FROM and updates are
    # refused as the endpoint refuses them, with its rule ids; a syntax error gets check_syntax's sentence.
    verdict = sparql_guard.inspect(query.text, PREFIXES)
    for finding in verdict.findings:
        if finding.rule != sparql_guard.SYNTAX_RULE:
            problems.append(Problem(display, finding.line, finding.column, finding.rule, f"{finding.message}: a saved query runs in "
                                    "report, queries, serve and the tests, so it may not reach outside the atlas or change it"))
    syntax = [f for f in verdict.findings if f.rule == sparql_guard.SYNTAX_RULE]
    if syntax:
        try:
            check_syntax(query.text)
        except SparqlSyntaxError as error:
            problems.append(Problem(display, error.line, error.column, "query-syntax", f"SPARQL syntax error: {error.reason}"))
        else:  # the two readings disagree: the guard's is the engine's own
            problems.append(Problem(display, syntax[0].line, syntax[0].column, "query-syntax", f"SPARQL syntax error: {syntax[0].message}"))
    elif verdict.safe:
        # pyoxigraph binds a parameter only if its variable is projected by the outer SELECT
        for param in params:
            try:
                parse_only(query.text, substitutions={ox.Variable(param.name): param.bind(param.default)})
            except (ValueError, RuntimeError, UsageError) as error:
                problems.append(Problem(display, _line_of(text, "#+ param: " + param.name), 1, "query-header",
                                        f"parameter {param.name} cannot be bound: the outer SELECT must project ?{param.name} ({error})"))
    if problems:
        raise InvalidData(problems, f"saved query {display} is broken")
    return query


def _line_of(text: str, needle: str) -> int:
    return next((n for n, line in enumerate(text.splitlines(), start=1) if line.startswith(needle)), 1)


MAX_QUERY_BYTES = 256 * 1024  # a saved query is a page of text


def saved_query_problems(path: Path, display: str) -> list[Problem]:
    """Everything wrong with one saved query file (nothing if it is sound): read, header, syntax, the guard."""
    try:
        if path.stat().st_size > MAX_QUERY_BYTES:
            return [Problem(display, 1, 1, "query-unreadable", f"the file is larger than {MAX_QUERY_BYTES} bytes: a saved query is a page of text")]
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return [Problem(display, 1, 1, "query-unreadable", f"cannot read the query file: {error}")]
    try:
        parse_saved_query(text, path.stem, path, display)
    except InvalidData as error:
        return error.problems
    return []


def load_saved_queries(queries_dir: Path, root: Path | None = None) -> list[SavedQuery]:
    """Every saved query, sorted by name; all broken ones reported together."""
    queries, problems = [], []
    for path in sorted(queries_dir.glob("*.rq")):
        display = path.relative_to(root).as_posix() if root else str(path)
        try:
            queries.append(parse_saved_query(path.read_text(encoding="utf-8"), path.stem, path, display))
        except InvalidData as error:
            problems += error.problems
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(display, 1, 1, "query-unreadable", f"cannot read the query file: {error}"))
    if problems:
        raise InvalidData(problems, "some saved queries are broken")
    return queries


@dataclass
class QueryResult:
    """A SELECT result (variables and rows of terms), an ASK boolean, or CONSTRUCT triples."""

    variables: list[str] = field(default_factory=list)
    rows: list[list[ox.NamedNode | ox.BlankNode | ox.Literal | None]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[ox.Triple] | None = None

    def to_json(self) -> str:
        """SPARQL 1.1 Query Results JSON (or sorted N-Triples for CONSTRUCT and DESCRIBE)."""
        return self.to_format("json")

    def to_format(self, fmt: str) -> str:
        """The answer in a SPARQL results format (json, xml, csv, tsv): the endpoint's writers, byte for byte.

        CONSTRUCT and DESCRIBE answers are graphs: sorted N-Triples whatever the format.
        """
        if self.triples is not None:
            return sorted_ntriples(self.triples).decode("utf-8")
        if self.boolean is not None:
            return write_boolean(self.boolean, fmt).decode("utf-8")
        return write_select(self.variables, self.rows, fmt).decode("utf-8")

    def to_delimited(self, delimiter: str) -> str:
        return self.to_format("tsv" if delimiter == "\t" else "csv")

    def to_dataframe(self):
        """The rows as a pandas DataFrame with typed columns (``pip install 'llm-atlas[analysis]'``).

        A column whose values are all integers (``xsd:integer``, ``xsd:int``, ...) is ``Int64``, decimals
        and doubles ``Float64``, booleans ``boolean``, dates and times ``datetime64``; anything else (IRIs
        in full, text, mixed values) is ``string``. Unbound cells are missing values (``<NA>``).

        >>> frame = atlas.query("sample-by-type").to_dataframe()
        >>> str(frame["organizations"].dtype), int(frame["organizations"].sum())
        ('Int64', 14)
        """
        try:
            import pandas as pd
        except ImportError:
            raise UsageError("QueryResult.to_dataframe() needs pandas: pip install 'llm-atlas[analysis]'") from None
        if self.boolean is not None:
            return pd.DataFrame({"boolean": pd.array([self.boolean], dtype="boolean")})
        if self.triples is not None:
            rows = [[display(t.subject), display(t.predicate), _plain(t.object)] for t in self.triples]
            return pd.DataFrame(rows, columns=["subject", "predicate", "object"], dtype="string")
        columns = {}
        for i, name in enumerate(self.variables):
            columns[name] = _typed_column(pd, [row[i] for row in self.rows])
        return pd.DataFrame(columns, index=pd.RangeIndex(len(self.rows)))

    def display_rows(self) -> list[list[str]]:
        return [[display(t) for t in row] for row in self.rows]

    def to_table(self) -> str:
        if self.boolean is not None:
            return ("yes" if self.boolean else "no") + "\n"
        if self.triples is not None:
            return self.to_json()
        rows = self.display_rows()
        widths = [max([len(v)] + [len(r[i]) for r in rows]) for i, v in enumerate(self.variables)]
        lines = ["  ".join(v.ljust(w) for v, w in zip(self.variables, widths)).rstrip()]
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
        lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
        return "\n".join(lines) + "\n"

    def to_markdown(self) -> str:
        rows = self.display_rows()
        if not self.variables:
            return "_no result_\n"

        def cell(text: str) -> str:
            return text.replace("|", "\\|").replace("\n", " ")

        out = ["| " + " | ".join(self.variables) + " |", "|" + "|".join("---" for _ in self.variables) + "|"]
        out += ["| " + " | ".join(cell(c) for c in r) + " |" for r in rows]
        return "\n".join(out) + "\n"

    def render(self, fmt: str) -> str:
        """The answer as a table for people, or in a SPARQL results format (json, xml, csv, tsv)."""
        if fmt == "table":
            return self.to_table()
        return self.to_format(fmt)


_INTEGER_TYPES = {XSD + t for t in ("integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
                                    "nonPositiveInteger", "negativeInteger", "unsignedInt", "unsignedLong", "unsignedShort", "unsignedByte")}
_FLOAT_TYPES = {XSD + t for t in ("decimal", "double", "float")}
_TIME_TYPES = {XSD + t for t in ("date", "dateTime", "dateTimeStamp")}


def _plain(term) -> str | None:
    """A term as a value for a table: the IRI in full, the literal's text, ``_:label``, a triple term's syntax."""
    if term is None:
        return None
    if isinstance(term, (ox.NamedNode, ox.Literal)):
        return term.value
    if isinstance(term, ox.BlankNode):
        return "_:" + term.value
    return display(term)


def _typed_column(pd, terms: list):
    """One column of a DataFrame, typed by what all its bound values are (see QueryResult.to_dataframe)."""
    present = [t for t in terms if t is not None]
    datatypes = {t.datatype.value for t in present if isinstance(t, ox.Literal) and not t.language}
    literal = bool(present) and all(isinstance(t, ox.Literal) and not t.language for t in present)
    try:
        if literal and datatypes <= _INTEGER_TYPES:
            return pd.array([None if t is None else int(t.value) for t in terms], dtype="Int64")
        if literal and datatypes <= _INTEGER_TYPES | _FLOAT_TYPES:
            return pd.array([None if t is None else float(t.value) for t in terms], dtype="Float64")
        if literal and datatypes == {XSD + "boolean"}:
            return pd.array([None if t is None else t.value in ("true", "1") for t in terms], dtype="boolean")
        if literal and datatypes <= _TIME_TYPES:
            return pd.to_datetime(pd.Series([None if t is None else t.value for t in terms]), errors="raise", format="ISO8601")
    except (ValueError, TypeError):  # a value outside its type's lexical space: keep the text
        pass
    return pd.array([_plain(t) for t in terms], dtype="string")


def display(term) -> str:
    """How a term reads in a table: literals as their text, IRIs with a shared prefix."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.Triple):  # a SPARQL 1.2 triple term
        return f"<<( {display(term.subject)} {display(term.predicate)} {display(term.object)} )>>"
    return "_:" + term.value


def run_query(store: ox.Store, text: str, bindings: dict[str, ox.NamedNode | ox.Literal] | None = None) -> QueryResult:
    """Run SPARQL over the union of all named graphs, with the shared prefixes predeclared.

    Parameters are bound with a VALUES block first in the outermost WHERE group (see :func:`bind_values`),
    where that is the same as a substitution: the query has no sub-select a value could be hidden from.
    pyoxigraph plans a VALUES join better than a substituted constant (``dependents`` at 10^5 triples: 3.5x
    faster). Elsewhere the values are pyoxigraph substitutions. Either way a value is a parsed RDF term,
    never text.
    """
    substitutions = {ox.Variable(k): v for k, v in (bindings or {}).items()}
    try:
        bound = _bound_text(text, tuple(sorted(bindings.items(), key=lambda item: item[0]))) if substitutions else None
        if bound is not None:
            try:
                answer = store.query(bound, prefixes=PREFIXES, use_default_graph_as_union=True)
            except SyntaxError:  # the block did not fit where it went: substitutions need no place in the text
                answer = store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=substitutions)
        else:
            answer = store.query(text, prefixes=PREFIXES, use_default_graph_as_union=True, substitutions=substitutions or None)
    except SyntaxError as error:
        raise explain(text, error) from None
    except (ValueError, RuntimeError) as error:  # e.g. a substituted variable that the query does not project
        raise UsageError(f"cannot run the query: {error}") from None
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult(boolean=bool(answer))
    if isinstance(answer, ox.QueryTriples):
        return QueryResult(triples=list(answer))
    variables = [v.value for v in answer.variables]
    rows = [[solution[v] for v in variables] for solution in answer]
    return QueryResult(variables, rows)


def run_query_isolated(worker, store_dir: Path, text: str, bindings: dict[str, ox.NamedNode | ox.Literal] | None = None, *,
                       timeout: float, in_memory: bool = False) -> QueryResult:
    """Like :func:`run_query`, in a :class:`~llm_atlas.worker.Worker` child on the store at ``store_dir``: a query
    that runs longer than ``timeout`` seconds is stopped (WorkerTimeout). ``in_memory``: on the child's in-memory
    copy of ``store_dir`` (a store folder or an N-Quads file; see :func:`~llm_atlas.worker.run_in_memory`)."""
    from .worker import run_in_memory, run_on_store

    kind, data = worker.call(run_in_memory if in_memory else run_on_store, str(store_dir), text, dict(bindings or {}),
                             dict(PREFIXES), timeout=timeout)
    if kind == "boolean":
        return QueryResult(boolean=data == b"true")
    if kind == "triples":
        return QueryResult(triples=[ox.Triple(t.subject, t.predicate, t.object) for t in ox.parse(input=data, format=ox.RdfFormat.N_TRIPLES)])
    answer = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    variables = [v.value for v in answer.variables]
    return QueryResult(variables, [[solution[v] for v in variables] for solution in answer])


@functools.lru_cache(maxsize=256)
def _bound_text(text: str, bindings: tuple) -> str | None:
    """The text with its parameters in a VALUES block, or None where substitutions must do (remembered:
    tokenizing a long query costs more than running a short one)."""
    if not _values_bind_like_substitutions(text):
        return None
    try:
        return bind_values(text, dict(bindings), check=False)
    except UsageError:
        return None


def _values_bind_like_substitutions(text: str) -> bool:
    """One SELECT or ASK, no sub-select: a VALUES block in the outer group reaches every use of a variable."""
    try:
        form = query_form(text)
    except UsageError:
        return False
    selects = sum(1 for kind, value, _ in _tokens(text) if kind == "word" and value.upper() == "SELECT")
    return form in ("SELECT", "ASK") and selects <= 1


def bind_params(query: SavedQuery, given: dict[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
    known = {p.name: p for p in query.params}
    unknown = sorted(set(given) - set(known))
    if unknown:
        listed = ", ".join(known) or "none"
        raise UsageError(f"query {query.name} has no parameter {', '.join(unknown)} (its parameters: {listed})")
    return {name: param.bind(given.get(name, param.default)) for name, param in known.items()}


__all__ = ["SavedQuery", "Param", "QueryResult", "parse_saved_query", "load_saved_queries", "run_query", "bind_params", "bind_values", "sparql_term", "query_form", "sparql_prefixes", "FORMATS"]
