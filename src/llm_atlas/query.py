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

import csv
import functools
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import rdflib

from .errors import InvalidData, Problem, UsageError
from .loader import syntax_position
from .namespaces import PREFIXES, sparql_prefixes
from .rdfbridge import compact as _compact_rdflib
from .rdfbridge import json_term

HEADER = re.compile(r"^#\+\s*([a-z]+)\s*:\s*(.*?)\s*$")
KNOWN_KEYS = {"summary", "question", "tags", "param"}
REQUIRED_KEYS = ("summary", "question", "tags")
PARAM_TYPES = ("iri", "string", "integer")
FORMATS = ("table", "csv", "tsv", "json")


XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# -- terms and parameters: values bound as SPARQL VALUES (remote endpoints, and local runs) ------------------------------------------------------------------------------------

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
        ox.Store().query(bound, prefixes=PREFIXES)
    except SyntaxError as error:
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
            return ox.Literal(str(int(raw)), datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))
        if self.type == "string":
            return ox.Literal(raw)
        return ox.NamedNode(expand_iri(raw, self.name))


def expand_iri(raw: str, name: str = "value") -> str:
    """An absolute IRI from ``<iri>``, ``https://...`` or a shared-prefix name such as ``dataset:the-pile``."""
    text = raw.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    match = re.fullmatch(r"([A-Za-z][\w-]*):([\w\-.]*)", text)
    if match and match.group(1) in PREFIXES:
        text = PREFIXES[match.group(1)] + match.group(2)
    elif not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", text):
        raise UsageError(f"parameter {name}: {raw!r} is neither an IRI nor a name with a known prefix (e.g. dataset:the-pile)")
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
    try:
        ox.Store().query(query.text, prefixes=PREFIXES)
    except SyntaxError as error:
        line, col = syntax_position(error)
        problems.append(Problem(display, line, col, "query-syntax", f"SPARQL syntax error: {error}"))
    else:
        # pyoxigraph binds a parameter only if its variable is projected by the outer SELECT
        for param in params:
            try:
                ox.Store().query(query.text, prefixes=PREFIXES, substitutions={ox.Variable(param.name): param.bind(param.default)})
            except (ValueError, UsageError) as error:
                problems.append(Problem(display, _line_of(text, "#+ param: " + param.name), 1, "query-header",
                                        f"parameter {param.name} cannot be bound: the outer SELECT must project ?{param.name} ({error})"))
    if problems:
        raise InvalidData(problems, f"saved query {display} is broken")
    return query


def _line_of(text: str, needle: str) -> int:
    return next((n for n, line in enumerate(text.splitlines(), start=1) if line.startswith(needle)), 1)


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
            problems.append(Problem(display, 0, 0, "query-unreadable", f"cannot read the query file: {error}"))
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
        """SPARQL 1.1 Query Results JSON (or a boolean / N-Triples for other query forms)."""
        if self.boolean is not None:
            return json.dumps({"head": {}, "boolean": self.boolean}) + "\n"
        if self.triples is not None:
            return "".join(f"{t.subject} {t.predicate} {t.object} .\n" for t in self.triples)
        bindings = []
        for row in self.rows:
            binding = {}
            for var, term in zip(self.variables, row):
                if term is not None:
                    binding[var] = json_term(term)
            bindings.append(binding)
        return json.dumps({"head": {"vars": self.variables}, "results": {"bindings": bindings}}, ensure_ascii=False, indent=1) + "\n"

    def to_delimited(self, delimiter: str) -> str:
        buffer = io.StringIO()
        if delimiter == "\t":
            # SPARQL 1.1 TSV: terms in SPARQL syntax, header with '?'
            buffer.write("\t".join("?" + v for v in self.variables) + "\n")
            for row in self.rows:
                buffer.write("\t".join("" if t is None else str(t) for t in row) + "\n")
            return buffer.getvalue()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(self.variables)
        for row in self.rows:
            writer.writerow(["" if t is None else t.value for t in row])
        return buffer.getvalue()

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
        if fmt == "json":
            return self.to_json()
        if fmt == "csv":
            return self.to_delimited(",")
        if fmt == "tsv":
            return self.to_delimited("\t")
        return self.to_table()


def display(term) -> str:
    """How a term reads in a table: literals as their text, IRIs with a shared prefix."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        return _compact_rdflib(rdflib.URIRef(term.value))
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
        line, col = syntax_position(error)
        raise UsageError(f"SPARQL syntax error at line {line}, column {col}: {error}") from None
    except ValueError as error:  # e.g. a substituted variable that the query does not project
        raise UsageError(f"cannot run the query: {error}") from None
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult(boolean=bool(answer))
    if isinstance(answer, ox.QueryTriples):
        return QueryResult(triples=list(answer))
    variables = [v.value for v in answer.variables]
    rows = [[solution[v] for v in variables] for solution in answer]
    return QueryResult(variables, rows)


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
