"""SHACL validation compiled to SPARQL and run in pyoxigraph, giving exactly pySHACL's results.

pySHACL stays the reference and does the reading and the writing: its shape model (``ShapesGraph``,
``Shape`` and the constraint components it builds) decides what the shapes mean, and its components build
every validation result (focus node, path, value, source shape, severity, messages), so a result here is
the one pySHACL would give. What changes is how the failing value nodes are found: each constraint runs
as one SPARQL query over all its focus nodes at once, in pyoxigraph, instead of Python loops per focus
node over an rdflib copy of the data.

Three ways a constraint is evaluated:

- exact: the query finds precisely the violations (``sh:class``, cardinalities, ``sh:hasValue``,
  ``sh:closed``, ``sh:equals``, ``sh:disjoint``, the logical and shape-based components) and pySHACL's
  component builds the result for each;
- judged: where pySHACL compares Python values (``sh:datatype``, value ranges, ``sh:pattern`` with
  Python's ``re``, string lengths, ...), the query only drops the values that surely pass and pySHACL's own
  ``evaluate`` judges the few that are left, so its quirks are kept;
- SPARQL-based constraints (``sh:sparql``) run once with ``$this`` free, when that is provably the same as
  running them once per focus node with ``$this`` pre-bound.

A top-level shape with anything else (a SPARQL constraint that needs pre-binding, custom constraint
components, recursion, a blank node where a query needs a constant) is validated by pySHACL itself over an
rdflib copy of the data, made only when such a shape exists. The data is the union of every graph of the
store, graph names dropped. Nested conformance (``sh:node``, ``sh:or``, ...) follows pySHACL, including how
``allow_warnings`` lets a shape with warnings conform.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
import rdflib
from pyshacl.constraints.constraint_component import ConstraintComponent
from pyshacl.constraints.core import (
    cardinality_constraints as cardinality,
)
from pyshacl.constraints.core import (
    logical_constraints as logical,
)
from pyshacl.constraints.core import (
    other_constraints as other,
)
from pyshacl.constraints.core import (
    property_pair_constraints as pairs,
)
from pyshacl.constraints.core import (
    shape_based_constraints as shaped,
)
from pyshacl.constraints.core import (
    string_based_constraints as strings,
)
from pyshacl.constraints.core import (
    value_constraints as values,
)
from pyshacl.constraints.core import (
    value_range_constraints as ranges,
)
from pyshacl.constraints.sparql.sparql_based_constraints import SPARQLBasedConstraint
from pyshacl.errors import ConstraintLoadWarning
from pyshacl.graph_abstraction import DataGraph
from pyshacl.pytypes import SHACLExecutor
from pyshacl.shape import Shape
from pyshacl.shapes_graph import ShapesGraph
from rdflib.namespace import RDF, RDFS, SH, XSD

from .rdfbridge import to_rdflib

RDF_TYPE = str(RDF.type)
SUBCLASS = str(RDFS.subClassOf)


@dataclass(frozen=True)
class ShaclResult:
    """One validation result, with the fields of pySHACL's report (rdflib terms)."""

    focus: rdflib.term.Node
    severity: rdflib.term.Node
    source_shape: rdflib.term.Node
    component: rdflib.term.Node
    path: rdflib.term.Node | None = None
    value: rdflib.term.Node | None = None
    source_constraint: rdflib.term.Node | None = None
    messages: tuple[rdflib.Literal, ...] = ()
    details: tuple[ShaclResult, ...] = ()

    def key(self) -> tuple:
        """A comparable form (messages as sorted text, details recursively)."""
        return (
            self.focus, self.path, self.value, self.source_shape, self.severity, self.component, self.source_constraint,
            tuple(sorted((str(m), m.language or "") for m in self.messages)), tuple(sorted(d.key() for d in self.details)),
        )

    def flatten(self) -> list[ShaclResult]:
        """This result and every nested detail (pySHACL's report holds them all as sh:ValidationResult)."""
        out = [self]
        for detail in self.details:
            out += detail.flatten()
        return out


def result_from_report(report) -> ShaclResult:
    """A ShaclResult from what a pySHACL component returns: ``(text, result node, result triples)``."""
    _, node, triples = report
    fields: dict = {}
    messages: list = []
    details: list = []
    nested: dict = {}
    for s, p, o in triples:
        if isinstance(o, tuple):
            o = o[1]
        if s != node:
            nested.setdefault(s, []).append((s, p, o))
            continue
        if p == SH.resultMessage:
            messages.append(o)
        elif p == SH.detail:
            details.append(o)
        else:
            fields[p] = o
    detail_results = tuple(result_from_report(("", d, nested_triples(d, nested))) for d in details)
    return ShaclResult(
        focus=fields[SH.focusNode], severity=fields[SH.resultSeverity], source_shape=fields[SH.sourceShape],
        component=fields[SH.sourceConstraintComponent], path=fields.get(SH.resultPath), value=fields.get(SH.value),
        source_constraint=fields.get(SH.sourceConstraint), messages=tuple(messages), details=detail_results,
    )


def nested_triples(node, nested: dict) -> list:
    """The triples about a detail result and, recursively, its own details."""
    out = list(nested.get(node, []))
    for _, p, o in nested.get(node, []):
        if p == SH.detail:
            out += nested_triples(o, nested)
    return out


def results_of_report_graph(report: rdflib.Graph) -> list[ShaclResult]:
    """The top-level results of a pySHACL report graph (details nested), for comparing engines."""

    def read(node) -> ShaclResult:
        messages = tuple(report.objects(node, SH.resultMessage))
        return ShaclResult(
            focus=report.value(node, SH.focusNode), severity=report.value(node, SH.resultSeverity),
            source_shape=report.value(node, SH.sourceShape), component=report.value(node, SH.sourceConstraintComponent),
            path=report.value(node, SH.resultPath), value=report.value(node, SH.value),
            source_constraint=report.value(node, SH.sourceConstraint), messages=messages,
            details=tuple(read(d) for d in report.objects(node, SH.detail)),
        )

    reports = list(report.subjects(RDF.type, SH.ValidationReport))
    return [read(node) for r in reports for node in report.objects(r, SH.result)]


class NotCompilable(Exception):
    """This shape (or one it refers to) needs pySHACL itself."""


# -- SPARQL text -------------------------------------------------------------------------------------


def sparql_term(term) -> str:
    """An IRI or literal of the shapes graph in SPARQL syntax; blank nodes cannot be named in a query."""
    if isinstance(term, rdflib.URIRef):
        return str(ox.NamedNode(str(term)))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        return str(ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype or XSD.string))))
    raise NotCompilable(f"{term!r} cannot be written in a query")


def sparql_path(sg: ShapesGraph, path, depth: int = 0) -> str:
    """A SHACL property path as a SPARQL property path, with the semantics of pySHACL's value_nodes_from_path."""
    if depth > 10:
        raise NotCompilable("path too deep")
    if isinstance(path, rdflib.URIRef):
        return sparql_term(path)
    if not isinstance(path, rdflib.BNode):
        raise NotCompilable("a path is an IRI or a blank node")
    graph = sg.graph
    if (path, RDF.first, None) in graph:
        items = list(graph.items(path))
        if len(items) < 2:
            raise NotCompilable("a sequence path has at least two members")
        return "(" + " / ".join(sparql_path(sg, item, depth + 1) for item in items) + ")"
    # one kind of path per node, in the order pySHACL looks for them
    for predicate, form in ((SH.inversePath, "^({})"), (SH.alternativePath, None), (SH.zeroOrMorePath, "({})*"),
                            (SH.oneOrMorePath, "({})+"), (SH.zeroOrOnePath, "({})?")):
        found = list(graph.objects(path, predicate))
        if not found:
            continue
        if len(found) > 1:
            raise NotCompilable("two path kinds on one node")
        if form is None:
            members = list(graph.items(found[0]))
            if len(members) < 2:
                raise NotCompilable("an alternative path has at least two members")
            return "(" + " | ".join(sparql_path(sg, m, depth + 1) for m in members) + ")"
        return form.format(sparql_path(sg, found[0], depth + 1))
    raise NotCompilable("unknown path")


class Names:
    """Fresh variable names, so that nested patterns never capture each other's variables."""

    def __init__(self):
        self.count = 0

    def __call__(self, stem: str) -> str:
        self.count += 1
        return f"?{stem}_{self.count}"


# -- focus nodes ----------------------------------------------------------------------------------------


class Focus:
    """The focus nodes of a shape, as a SPARQL group pattern binding a variable."""

    def pattern(self, var: str, names: Names) -> str:
        raise NotImplementedError


class TargetFocus(Focus):
    """The targets of a top-level shape, optionally only some given IRIs among them."""

    def __init__(self, shape: Shape, only: frozenset[str] | None = None):
        nodes, classes, implicit, objects_of, subjects_of = shape.target()
        self.nodes = list(nodes)
        self.classes = list(classes) + list(implicit)
        self.objects_of = list(objects_of)
        self.subjects_of = list(subjects_of)
        self.only = only
        for term in self.nodes + self.classes + self.objects_of + self.subjects_of:
            sparql_term(term)  # raises NotCompilable for a blank node

    @property
    def empty(self) -> bool:
        return not (self.nodes or self.classes or self.objects_of or self.subjects_of)

    def pattern(self, var: str, names: Names) -> str:
        branches = []
        if self.nodes:
            branches.append(f"VALUES {var} {{ {' '.join(sparql_term(n) for n in self.nodes)} }}")
        for cls in self.classes:
            c = names("class")
            branches.append(f"{var} <{RDF_TYPE}> {c} . {c} <{SUBCLASS}>* {sparql_term(cls)}")
        for p in self.subjects_of:
            branches.append(f"{var} {sparql_term(p)} {names('any')}")
        for p in self.objects_of:
            branches.append(f"{names('any')} {sparql_term(p)} {var}")
        union = " UNION ".join("{ " + b + " }" for b in branches)
        only = ""
        if self.only is not None:
            only = f"VALUES {var} {{ {' '.join(sparql_term(rdflib.URIRef(iri)) for iri in sorted(self.only))} }} "
        return f"{{ SELECT DISTINCT {var} WHERE {{ {only}{union} }} }}"


class ValueFocus(Focus):
    """The value nodes of a shape's focus nodes: the focus nodes of a shape it refers to."""

    def __init__(self, parent: Focus, parent_path: str | None):
        self.parent = parent
        self.parent_path = parent_path  # None for a node shape: its value node is its focus node

    def pattern(self, var: str, names: Names) -> str:
        if self.parent_path is None:
            return self.parent.pattern(var, names)
        p = names("parent")
        return f"{{ SELECT DISTINCT {var} WHERE {{ {self.parent.pattern(p, names)} {p} {self.parent_path} {var} }} }}"


# -- SPARQL-based constraints: when $this may be left free -----------------------------------------------

_FIRST_PATTERN_BINDS_THIS = re.compile(r"\bWHERE\s*\{\s*[$?]this\s", re.IGNORECASE)
_PROJECTS_THIS = re.compile(r"\bSELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(?:\*|[^{]*?[$?]this\b)[^{]*?(?:\bWHERE\b|\{)", re.IGNORECASE | re.DOTALL)
_SELECT = re.compile(r"\bSELECT\b", re.IGNORECASE)
_AGGREGATE = re.compile(r"\b(?:COUNT|SUM|AVG|MIN|MAX|GROUP_CONCAT|SAMPLE)\s*\(|\bGROUP\s+BY\b", re.IGNORECASE)


def free_this(select: str) -> bool:
    """Whether running the query once with ``$this`` free gives, per focus node, what pre-binding gives.

    True when ``$this`` is projected and bound by the first triple pattern of the outer group and there is
    no subquery: then every later use of ``$this`` (filters, EXISTS, OPTIONAL, UNION branches) sees the
    focus node either way. Pre-bound variables other than ``$this`` are not supported here.
    """
    text = re.sub(r"#[^\n]*", "", select)  # pySHACL refuses queries whose comments would confuse this anyway
    return (
        bool(_FIRST_PATTERN_BINDS_THIS.search(text)) and bool(_PROJECTS_THIS.search(text))
        and len(_SELECT.findall(text)) == 1 and "currentShape" not in text and "shapesGraph" not in text
    )


# -- the validator ------------------------------------------------------------------------------------------

VALUE_LEVEL = (
    values.DatatypeConstraintComponent, values.NodeKindConstraintComponent, ranges.MinExclusiveConstraintComponent,
    ranges.MinInclusiveConstraintComponent, ranges.MaxExclusiveConstraintComponent, ranges.MaxInclusiveConstraintComponent,
    strings.MinLengthConstraintComponent, strings.MaxLengthConstraintComponent, strings.PatternConstraintComponent,
    strings.LanguageInConstraintComponent, other.InConstraintComponent,
)
NUMERIC = {str(XSD[n]) for n in ("integer", "decimal", "float", "double", "int", "long", "short", "byte", "nonNegativeInteger",
                                 "positiveInteger", "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong",
                                 "unsignedShort", "unsignedByte")}
# Lexical forms that rdflib turns into the Python type pySHACL checks for, so a literal of that datatype
# with such a form surely passes sh:datatype; anything else is left for pySHACL to judge.
SURE_LEXICAL = {
    str(XSD.integer): r"^[+-]?[0-9]+$",
    str(XSD.boolean): r"^(true|false|1|0)$",
    str(XSD.decimal): r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$",
}
# Regular expressions whose meaning is the same in Python's re (pySHACL) and in SPARQL (pyoxigraph's
# regex crate) as far as a match goes: literal characters, escaped punctuation, simple classes, groups,
# alternation, quantifiers and anchors. Others are judged in Python for every value.
_SAFE_PATTERN_TOKEN = re.compile(
    r"\\[.\\/\-^$*+?()\[\]{}|:#@%&!,;=<>'\" ]"  # an escaped punctuation character
    r"|\[\^?(?:\\[.\\/\-^$\[\]]|[^\\\[\]&~])+\]"  # a class of plain characters and ranges (no nesting or set operators)
    r"|\(\?:|[()|^$.]"
    r"|[*+?](?:\?)?|\{\d+(?:,\d*)?\}\??"
    r"|[A-Za-z0-9 _/:#@%&!,;=<>'\"~`-]"
)


def safe_pattern(pattern: str) -> bool:
    if re.search(r"\(\?(?!:)", pattern):  # inline flags, lookarounds, named groups: not in the shared subset
        return False
    position = 0
    while position < len(pattern):
        match = _SAFE_PATTERN_TOKEN.match(pattern, position)
        if not match:
            return False
        position = match.end()
    return True


@dataclass
class Validation:
    results: list[ShaclResult] = field(default_factory=list)
    compiled_shapes: int = 0
    fallback_shapes: list = field(default_factory=list)  # shape nodes validated by pySHACL itself
    queries: int = 0


class SparqlValidator:
    """Validates the data of a pyoxigraph store against a shapes graph.

    ``union``: the data is the union of the store's named graphs (queries run with the default graph as
    their union); otherwise the store's default graph. ``rdflib_data`` makes an rdflib graph of the same
    data for the shapes pySHACL has to validate itself; it is called at most once, and only if needed.
    ``progress`` wraps the list of shapes as they are validated (a progress bar).
    """

    def __init__(self, store: ox.Store, shapes: rdflib.Graph, *, union: bool = True, allow_warnings: bool = True,
                 rdflib_data: Callable[[], rdflib.Graph] | None = None, progress: Callable[[list], Iterable] | None = None):
        self.store = store
        self.union = union
        self.sg = ShapesGraph(shapes)
        self.allow_warnings = allow_warnings
        self.allowed = {SH.Info, SH.Warning} if allow_warnings else set()
        self.executor = SHACLExecutor(allow_warnings=allow_warnings)
        self.rdflib_data = rdflib_data
        self.progress = progress
        # the data graph pySHACL's components stringify nodes with (for messages): empty but for the blank
        # nodes that appear in results, described as the data describes them
        self.stub = rdflib.Graph()
        self.stub_graph = DataGraph.from_rdflib(self.stub)
        self.described: set = set()
        self.set_store: ox.Store | None = None
        self.queries = 0
        self.compilable_cache: dict = {}
        self.names = Names()
        self.aliases: dict = {}
        self.deciding = 0  # > 0 while only conformance is asked (see failing)

    # -- running queries ---------------------------------------------------------------------------------

    def select(self, text: str, store: ox.Store | None = None, union: bool | None = None):
        self.queries += 1
        store = store or self.store
        return store.query(text, use_default_graph_as_union=self.union if union is None else union)

    def rows(self, text: str, *variables: str) -> list[tuple]:
        solutions = self.select(text)
        return [tuple(s[v] for v in variables) for s in solutions]

    def describe(self, term) -> None:
        """Copy the description of a blank node (recursively) into the stub, for pySHACL's messages."""
        pending = [term]
        while pending:
            node = pending.pop()
            if not isinstance(node, ox.BlankNode) or node.value in self.described:
                continue
            self.described.add(node.value)
            graph = None if self.union else ox.DefaultGraph()
            outgoing = False
            for quad in self.store.quads_for_pattern(node, None, None, graph):
                self.stub.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
                pending.append(quad.object)
                outgoing = True
            if not outgoing:  # pySHACL finds such a node by a triple that links to it, and prints it "[ ]"
                for quad in self.store.quads_for_pattern(None, None, node, graph):
                    self.stub.add((to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object)))
                    break

    def node(self, term):
        alias = self.aliases.get(term)
        if alias is not None:
            return alias
        self.describe(term)
        return to_rdflib(term)

    def alias_target_literals(self, focus: TargetFocus) -> None:
        """pyoxigraph writes numbers in canonical form ("4.0"^^xsd:decimal comes back as "4"); a literal
        sh:targetNode is the shapes graph's own term in pySHACL's results, so map it back."""
        self.aliases = {}
        for node in focus.nodes:
            if isinstance(node, rdflib.Literal):
                [(canonical,)] = self.rows(f"SELECT ?x WHERE {{ VALUES ?x {{ {sparql_term(node)} }} }}", "x")
                self.aliases[canonical] = node

    # -- compilability -----------------------------------------------------------------------------------

    def components(self, shape: Shape) -> list[ConstraintComponent]:
        """The constraint components pySHACL would evaluate on the shape (one per component class)."""
        from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP

        if shape.find_custom_constraints():
            raise NotCompilable("custom constraint components")
        seen, out = set(), []
        for p, _ in self.sg.predicate_objects(shape.node):
            if p in ALL_CONSTRAINT_PARAMETERS:
                cls = CONSTRAINT_PARAMETERS_MAP[p]
                if cls not in seen:
                    seen.add(cls)
                    try:
                        out.append(cls(shape))
                    except ConstraintLoadWarning:  # pySHACL skips such a component too
                        continue
        return out

    def check_compilable(self, shape: Shape, stack: tuple = ()) -> None:
        if shape.node in stack:
            raise NotCompilable("recursive shapes")
        known = self.compilable_cache.get(shape.node)
        if known is not None:
            if known is not True:
                raise NotCompilable(known)
            return
        try:
            if shape.is_property_shape:
                sparql_path(self.sg, shape.path())
            for component in self.components(shape):
                for other_shape in self.referenced_shapes(component):
                    self.check_compilable(other_shape, stack + (shape.node,))
                self.check_component(component)
        except NotCompilable as why:
            self.compilable_cache[shape.node] = str(why)
            raise
        self.compilable_cache[shape.node] = True

    def referenced_shapes(self, component) -> list[Shape]:
        shape = component.shape
        if isinstance(component, shaped.PropertyConstraintComponent):
            nodes = component.property_shapes
        elif isinstance(component, shaped.NodeConstraintComponent):
            nodes = component.node_shapes
        elif isinstance(component, shaped.QualifiedValueShapeConstraintComponent):
            nodes = list(component.value_shapes) + list(self.siblings(component, None))
        elif isinstance(component, logical.NotConstraintComponent):
            nodes = component.not_list
        elif isinstance(component, (logical.AndConstraintComponent, logical.OrConstraintComponent, logical.XoneConstraintComponent)):
            lists = getattr(component, "and_list", None) or getattr(component, "or_list", None) or getattr(component, "xone_nodes", None)
            nodes = [m for lst in lists for m in self.sg.graph.items(lst)]
        else:
            return []
        found = []
        for node in nodes:
            other_shape = shape.get_other_shape(node)
            if other_shape is None:
                raise NotCompilable("a referenced shape does not exist")  # pySHACL reports it
            found.append(other_shape)
        return found

    def check_component(self, component) -> None:
        shape = component.shape
        if isinstance(component, SPARQLBasedConstraint):
            for helper in component.sparql_constraints:
                if not helper.deactivated and not free_this(helper.select_text):
                    raise NotCompilable("a SPARQL constraint that needs $this pre-bound")
            return
        if isinstance(component, values.ClassConstraintComponent):
            for c in component.class_rules:
                sparql_term(c)
        elif isinstance(component, other.InConstraintComponent):
            if any(isinstance(v, rdflib.BNode) for v in component.in_vals):
                raise NotCompilable("sh:in with a blank node")
        elif isinstance(component, other.HasValueConstraintComponent):
            for v in component.has_value_set:
                sparql_term(v)
        elif isinstance(component, other.ClosedConstraintComponent):
            for node in component.property_shapes:
                property_shape = shape.get_other_shape(node)
                if property_shape is None or not property_shape.is_property_shape:
                    raise NotCompilable("sh:closed with a sh:property that is not a property shape")  # pySHACL reports it
        elif isinstance(component, (pairs.EqualsConstraintComponent, pairs.DisjointConstraintComponent,
                                    pairs.LessThanConstraintComponent, pairs.LessThanOrEqualsConstraintComponent)):
            for p in component.property_compare_set:
                if not isinstance(p, rdflib.URIRef):
                    raise NotCompilable("a property pair with a non-IRI property")
        elif isinstance(component, (*VALUE_LEVEL, strings.UniqueLangConstraintComponent, cardinality.MinCountConstraintComponent,
                                    cardinality.MaxCountConstraintComponent, shaped.PropertyConstraintComponent,
                                    shaped.NodeConstraintComponent, shaped.QualifiedValueShapeConstraintComponent,
                                    logical.NotConstraintComponent, logical.AndConstraintComponent,
                                    logical.OrConstraintComponent, logical.XoneConstraintComponent)):
            pass
        else:
            raise NotCompilable(f"no compiler for {type(component).__name__}")
        if not shape.is_property_shape and isinstance(component, strings.UniqueLangConstraintComponent):
            raise NotCompilable("sh:uniqueLang on a node shape")

    # -- the whole validation ------------------------------------------------------------------------------

    def validate(self, focus_nodes: Iterable[str] | None = None) -> Validation:
        """Every result of every top-level shape; with ``focus_nodes``, only for those focus nodes (IRIs)."""
        only = None if focus_nodes is None else frozenset(focus_nodes)
        outcome = Validation()
        fallback = []
        shapes = list(self.sg.shapes)
        for shape in self.progress(shapes) if self.progress else shapes:
            if shape.deactivated:
                continue
            try:
                focus = TargetFocus(shape, only)
                if focus.empty:
                    continue
                self.check_compilable(shape)
            except NotCompilable:
                fallback.append(shape)
                continue
            outcome.compiled_shapes += 1
            self.alias_target_literals(focus)
            outcome.results += self.evaluate(shape, focus)
            self.aliases = {}
        if fallback:
            outcome.fallback_shapes = [s.node for s in fallback]
            outcome.results += self.fallback(fallback, only)
        outcome.queries = self.queries
        return outcome

    def fallback(self, shapes: list[Shape], only: frozenset[str] | None) -> list[ShaclResult]:
        if self.rdflib_data is None:
            raise NotCompilable("these shapes need pySHACL and no rdflib copy of the data was offered: "
                                + ", ".join(str(s.node) for s in shapes))
        data = DataGraph.from_rdflib(self.rdflib_data())
        results = []
        for shape in shapes:
            _, reports = shape.validate(self.executor, data)
            results += [result_from_report(r) for r in reports]
        if only is not None:
            results = [r for r in results if isinstance(r.focus, rdflib.URIRef) and str(r.focus) in only]
        return results

    # -- one shape over a set of focus nodes ---------------------------------------------------------------

    def evaluate(self, shape: Shape, focus: Focus) -> list[ShaclResult]:
        """What validating the focus nodes against the shape reports (shape-referencing included)."""
        if shape.deactivated:
            return []
        results: list[ShaclResult] = []
        for component in self.components(shape):
            results += self.evaluate_component(shape, component, focus)
        return results

    def nonconforming(self, shape: Shape, focus: Focus) -> tuple[set, dict]:
        """The focus nodes that do not conform to the shape, and every node's results (for sh:node details)."""
        results = self.evaluate(shape, focus)
        by_focus: dict = defaultdict(list)
        for r in results:
            by_focus[r.focus].append(r)
        if shape.deactivated or shape.severity in self.allowed:
            return set(), by_focus
        failing = {f for f, rs in by_focus.items() if any(r.severity not in self.allowed for r in rs)}
        return failing, by_focus

    def value_pattern(self, shape: Shape, this: str, value: str) -> str:
        if shape.is_property_shape:
            return f"{this} {sparql_path(self.sg, shape.path())} {value} ."
        return f"BIND ({this} AS {value})"

    def value_pairs(self, shape: Shape, focus: Focus, condition: str = "") -> list[tuple]:
        """Every (focus node, value node) pair, optionally only those where ``condition`` on ?value holds."""
        names = self.names
        where = f"{focus.pattern('?this', names)} {self.value_pattern(shape, '?this', '?value')}"
        if condition:
            where += f" FILTER ({condition})"
        return self.rows(f"SELECT DISTINCT ?this ?value WHERE {{ {where} }}", "this", "value")

    def make(self, component, focus_term, value_term=None, **kw) -> ShaclResult:
        if self.deciding:  # only whether the focus node conforms is asked: its focus and severity are all that count
            return ShaclResult(focus=self.node(focus_term), severity=component.shape.severity,
                               source_shape=component.shape.node, component=component.shacl_constraint_component)
        focus_node = self.node(focus_term)
        value_node = self.node(value_term) if value_term is not None else None
        return result_from_report(component.make_v_result(self.stub_graph, focus_node, value_node=value_node, **kw))

    def judge(self, shape: Shape, component, pairs_found: Iterable[tuple]) -> list[ShaclResult]:
        """pySHACL's own evaluate on the candidate (focus, value) pairs: exactly its results for them."""
        focus_values: dict = defaultdict(set)
        for f, v in pairs_found:
            focus_values[self.node(f)].add(self.node(v))
        if not focus_values:
            return []
        _, reports = component.evaluate(self.executor, self.stub_graph, dict(focus_values), [shape, component])
        return [result_from_report(r) for r in reports]

    def evaluate_component(self, shape: Shape, component, focus: Focus) -> list[ShaclResult]:
        method = getattr(self, "_" + type(component).__name__, None)
        if method is None:  # check_compilable admits only components with a method below
            raise NotCompilable(type(component).__name__)
        return method(shape, component, focus)

    # -- value-level components: candidates found in SPARQL, judged by pySHACL ----------------------------

    def _DatatypeConstraintComponent(self, shape, component, focus):
        dt = str(component.datatype_rule)
        if dt == str(XSD.string):
            sure = f"isLiteral(?value) && LANG(?value) = \"\" && DATATYPE(?value) = <{dt}>"
        elif dt == str(RDF.langString):
            sure = "isLiteral(?value) && LANG(?value) != \"\""
        elif dt in SURE_LEXICAL:
            sure = f"isLiteral(?value) && DATATYPE(?value) = <{dt}> && REGEX(STR(?value), {sparql_term(rdflib.Literal(SURE_LEXICAL[dt]))})"
        else:
            sure = "false"
        return self.judge(shape, component, self.value_pairs(shape, focus, f"!({sure})"))

    def _NodeKindConstraintComponent(self, shape, component, focus):
        kinds = {SH.IRI: "isIRI(?value)", SH.BlankNode: "isBlank(?value)", SH.Literal: "isLiteral(?value)",
                 SH.BlankNodeOrIRI: "(isBlank(?value) || isIRI(?value))", SH.BlankNodeOrLiteral: "(isBlank(?value) || isLiteral(?value))",
                 SH.IRIOrLiteral: "(isIRI(?value) || isLiteral(?value))"}
        sure = kinds.get(component.nodekind_rule, "false")
        return self.judge(shape, component, self.value_pairs(shape, focus, f"!({sure})"))

    def _range(self, shape, component, focus, op: str):
        bounds = component.min_vals if hasattr(component, "min_vals") else component.max_vals
        sure = []
        for bound in bounds:
            if isinstance(bound, rdflib.Literal) and bound.datatype is not None and str(bound.datatype) in NUMERIC:
                sure.append(f"(isNumeric(?value) && COALESCE(?value {op} {sparql_term(bound)}, false))")
            else:
                sure.append("false")
        return self.judge(shape, component, self.value_pairs(shape, focus, "!(" + " && ".join(sure) + ")"))

    def _MinExclusiveConstraintComponent(self, shape, component, focus):
        return self._range(shape, component, focus, ">")

    def _MinInclusiveConstraintComponent(self, shape, component, focus):
        return self._range(shape, component, focus, ">=")

    def _MaxExclusiveConstraintComponent(self, shape, component, focus):
        return self._range(shape, component, focus, "<")

    def _MaxInclusiveConstraintComponent(self, shape, component, focus):
        return self._range(shape, component, focus, "<=")

    def _MinLengthConstraintComponent(self, shape, component, focus):
        n = int(component.string_rules[0].value)
        return self.judge(shape, component, self.value_pairs(shape, focus, f"isBlank(?value) || STRLEN(STR(?value)) < {n}"))

    def _MaxLengthConstraintComponent(self, shape, component, focus):
        n = int(component.string_rules[0].value)
        return self.judge(shape, component, self.value_pairs(shape, focus, f"isBlank(?value) || STRLEN(STR(?value)) > {n}"))

    def _PatternConstraintComponent(self, shape, component, focus):
        flags = "".join(f for f in "im" if component.flags is not None and f in str(component.flags).lower())
        sure = []
        for rule in component.string_rules:
            pattern = str(rule.value) if rule.value is not None and len(rule.value) > 1 else str(rule)
            if not safe_pattern(pattern) or ("i" in flags and not pattern.isascii()):
                sure = ["false"]
                break
            sure.append(f"REGEX(STR(?value), {sparql_term(rdflib.Literal(pattern))}, \"{flags}\")")
        condition = "isBlank(?value) || !(" + " && ".join(sure) + ")"
        return self.judge(shape, component, self.value_pairs(shape, focus, condition))

    def _LanguageInConstraintComponent(self, shape, component, focus):
        wanted = []
        for item in self.sg.graph.items(component.string_rules[0]):
            if not isinstance(item, rdflib.Literal) or not isinstance(item.value, str):
                wanted = None  # pySHACL raises; let it
                break
            wanted.append(str(item.value).lower())
        if wanted is None:
            sure = "false"
        elif "*" in wanted:
            sure = "isLiteral(?value) && LANG(?value) != \"\""
        else:
            listed = ", ".join(sparql_term(rdflib.Literal(w)) for w in sorted(set(wanted))) or "\"\""
            sure = (f"isLiteral(?value) && LANG(?value) != \"\" && (LCASE(LANG(?value)) IN ({listed}) || "
                    f"LCASE(STRBEFORE(CONCAT(LANG(?value), \"-\"), \"-\")) IN ({listed}))")
        return self.judge(shape, component, self.value_pairs(shape, focus, f"!({sure})"))

    def _InConstraintComponent(self, shape, component, focus):
        sure = " || ".join(f"sameTerm(?value, {sparql_term(v)})" for v in component.in_vals) or "false"
        return self.judge(shape, component, self.value_pairs(shape, focus, f"!({sure})"))

    def _UniqueLangConstraintComponent(self, shape, component, focus):
        if True not in component.string_rules:
            return []
        path = sparql_path(self.sg, shape.path())
        candidates = (f"{{ SELECT DISTINCT ?this WHERE {{ {focus.pattern('?this', self.names)} ?this {path} ?a . ?this {path} ?b . "
                      "FILTER (!sameTerm(?a, ?b) && LANG(?a) != \"\" && LCASE(LANG(?a)) = LCASE(LANG(?b))) } }")
        found = self.rows(f"SELECT DISTINCT ?this ?value WHERE {{ {candidates} ?this {path} ?value }}", "this", "value")
        return self.judge(shape, component, found)

    # -- exact components ----------------------------------------------------------------------------------

    def _ClassConstraintComponent(self, shape, component, focus):
        results = []
        for cls in component.class_rules:
            c = self.names("c")
            condition = f"NOT EXISTS {{ ?value <{RDF_TYPE}> {c} . {c} <{SUBCLASS}>* {sparql_term(cls)} }}"
            for f, v in self.value_pairs(shape, focus, condition):
                results.append(self.make(component, f, v))
        return results

    def _count_query(self, shape, focus, having: str) -> list:
        path = sparql_path(self.sg, shape.path())
        return self.rows(
            f"SELECT ?this (COUNT(DISTINCT ?value) AS ?n) WHERE {{ {focus.pattern('?this', self.names)} OPTIONAL {{ ?this {path} ?value }} }} "
            f"GROUP BY ?this HAVING ({having})", "this")

    def _MinCountConstraintComponent(self, shape, component, focus):
        n = int(component.min_count.value)
        if n == 0:
            return []
        if n == 1:
            path = sparql_path(self.sg, shape.path())
            found = self.rows(f"SELECT ?this WHERE {{ {focus.pattern('?this', self.names)} FILTER NOT EXISTS {{ ?this {path} ?any }} }}", "this")
        else:
            found = self._count_query(shape, focus, f"COUNT(DISTINCT ?value) < {n}")
        return [self.make(component, f) for (f,) in found]

    def _MaxCountConstraintComponent(self, shape, component, focus):
        n = int(component.max_count.value)
        if n == 1:  # two different values: a join is cheaper than counting the values of every focus node
            path = sparql_path(self.sg, shape.path())
            found = self.rows(f"SELECT DISTINCT ?this WHERE {{ {focus.pattern('?this', self.names)} ?this {path} ?a . ?this {path} ?b . "
                              "FILTER (!sameTerm(?a, ?b)) }", "this")
        else:
            found = self._count_query(shape, focus, f"COUNT(DISTINCT ?value) > {n}")
        return [self.make(component, f) for (f,) in found]

    def _HasValueConstraintComponent(self, shape, component, focus):
        results = []
        for hv in component.has_value_set:
            term = sparql_term(hv)
            if shape.is_property_shape:
                missing = f"FILTER NOT EXISTS {{ ?this {sparql_path(self.sg, shape.path())} {term} }}"
            else:
                missing = f"FILTER (!sameTerm(?this, {term}))"
            for (f,) in self.rows(f"SELECT ?this WHERE {{ {focus.pattern('?this', self.names)} {missing} }}", "this"):
                results.append(self.make(component, f))
        return results

    def _ClosedConstraintComponent(self, shape, component, focus):
        if not component.is_closed:
            return []
        allowed = set(component.ignored_props)
        for node in component.property_shapes:
            allowed.add(shape.get_other_shape(node).path())
        keep = [f"!sameTerm(?p, {sparql_term(p)})" for p in sorted(allowed, key=str) if isinstance(p, rdflib.URIRef)]
        keep.append(f"!(sameTerm(?p, <{RDF_TYPE}>) && sameTerm(?o, <{RDFS.Resource}>))")
        query = (f"SELECT ?this ?value ?p ?o WHERE {{ {{ SELECT DISTINCT ?this ?value WHERE {{ {focus.pattern('?this', self.names)} "
                 f"{self.value_pattern(shape, '?this', '?value')} }} }} ?value ?p ?o FILTER ({' && '.join(keep)}) }}")
        results = []
        seen = set()
        for f, v, p, o in self.rows(query, "this", "value", "p", "o"):
            if (f, v, p, o) in seen:  # one result per triple of each value node, as pySHACL
                continue
            seen.add((f, v, p, o))
            results.append(self.make(component, f, o, result_path=to_rdflib(p)))
        return results

    def _EqualsConstraintComponent(self, shape, component, focus):
        results = []
        for eq in component.property_compare_set:
            other_values = f"?this {sparql_term(eq)} ?value ."
            if shape.is_property_shape:
                own = f"?this {sparql_path(self.sg, shape.path())} ?value"
            else:
                own = "FILTER (sameTerm(?this, ?value))"
            pattern = focus.pattern("?this", self.names)
            missing_there = f"SELECT DISTINCT ?this ?value WHERE {{ {pattern} {self.value_pattern(shape, '?this', '?value')} FILTER NOT EXISTS {{ {other_values} }} }}"
            missing_here = f"SELECT DISTINCT ?this ?value WHERE {{ {focus.pattern('?this', self.names)} {other_values} FILTER NOT EXISTS {{ {own} }} }}"
            for query in (missing_there, missing_here):
                results += [self.make(component, f, v) for f, v in self.rows(query, "this", "value")]
        return results

    def _DisjointConstraintComponent(self, shape, component, focus):
        results = []
        for dj in component.property_compare_set:
            for f, v in self.value_pairs(shape, focus, f"EXISTS {{ ?this {sparql_term(dj)} ?value }}"):
                results.append(self.make(component, f, v))
        return results

    def _compare(self, shape, component, focus):
        """sh:lessThan(OrEquals): pySHACL compares Python values; it judges every focus node with both sides."""
        results = []
        for other_property in component.property_compare_set:
            prop = sparql_term(other_property)
            pattern = focus.pattern("?this", self.names)
            found = self.rows(f"SELECT DISTINCT ?this ?value ?other WHERE {{ {pattern} {self.value_pattern(shape, '?this', '?value')} "
                              f"?this {prop} ?other }}", "this", "value", "other")
            focus_values: dict = defaultdict(set)
            for f, v, o in found:
                self.stub.add((self.node(f), other_property, self.node(o)))
                focus_values[self.node(f)].add(self.node(v))
            if focus_values:
                single = type(component)(shape)
                single.property_compare_set = {other_property}
                _, reports = single.evaluate(self.executor, self.stub_graph, dict(focus_values), [shape, single])
                results += [result_from_report(r) for r in reports]
        return results

    def _LessThanConstraintComponent(self, shape, component, focus):
        return self._compare(shape, component, focus)

    def _LessThanOrEqualsConstraintComponent(self, shape, component, focus):
        return self._compare(shape, component, focus)

    # -- shape-based and logical components ----------------------------------------------------------------

    def value_focus(self, shape: Shape, focus: Focus) -> ValueFocus:
        return ValueFocus(focus, sparql_path(self.sg, shape.path()) if shape.is_property_shape else None)

    def _PropertyConstraintComponent(self, shape, component, focus):
        results = []
        # pySHACL validates the property shape once per (focus node, value node) pair: a value node shared by
        # several focus nodes of a property shape gets its results once for each of them
        repeat: dict = {}
        if shape.is_property_shape:
            for _, v in self.value_pairs(shape, focus):
                key = to_rdflib(v)
                repeat[key] = repeat.get(key, 0) + 1
        for node in component.property_shapes:
            for r in self.evaluate(shape.get_other_shape(node), self.value_focus(shape, focus)):
                results += [r] * repeat.get(r.focus, 1)
        return results

    def _NodeConstraintComponent(self, shape, component, focus):
        results = []
        pairs_found = None
        for node in component.node_shapes:
            other_shape = shape.get_other_shape(node)
            failing, by_focus = self.nonconforming(other_shape, self.value_focus(shape, focus))
            if not by_focus:
                continue
            pairs_found = pairs_found if pairs_found is not None else self.value_pairs(shape, focus)
            for f, v in pairs_found:
                key = to_rdflib(v)
                if key in failing or by_focus.get(key):
                    text, node_id, triples = component.make_v_result(self.stub_graph, self.node(f), value_node=self.node(v))
                    base = result_from_report((text, node_id, triples))
                    details = tuple(by_focus.get(key, ()))
                    results.append(ShaclResult(**{**base.__dict__, "details": details}))
        return results

    def conformance(self, shapes: list[Shape], shape: Shape, focus: Focus) -> list[set]:
        return [self.failing(s, self.value_focus(shape, focus)) for s in shapes]

    def failing(self, shape: Shape, focus: Focus) -> set:
        """The focus nodes that do not conform to the shape, when nothing else of its results is reported (the
        members of sh:not, sh:and, sh:or, sh:xone and qualified value shapes): results are made with just their
        focus node and severity, as pySHACL makes them (building whole results was 13 s of the grown graph's
        validation, for the value nodes of an sh:xone)."""
        self.deciding += 1
        try:
            return self.nonconforming(shape, focus)[0]
        finally:
            self.deciding -= 1

    def _logical(self, shape, component, focus, lists: list[list], decide) -> list[ShaclResult]:
        results = []
        pairs_found = None
        for members in lists:
            member_shapes = [shape.get_other_shape(m) for m in members]
            failing = self.conformance(member_shapes, shape, focus)
            pairs_found = pairs_found if pairs_found is not None else self.value_pairs(shape, focus)
            for f, v in pairs_found:
                conforms = [to_rdflib(v) not in fails for fails in failing]
                if decide(conforms):
                    results.append(self.make(component, f, v))
        return results

    def _NotConstraintComponent(self, shape, component, focus):
        return self._logical(shape, component, focus, [[n] for n in component.not_list], lambda c: c[0])

    def _AndConstraintComponent(self, shape, component, focus):
        lists = [list(dict.fromkeys(self.sg.graph.items(lst))) for lst in component.and_list]
        return self._logical(shape, component, focus, lists, lambda c: not all(c))

    def _OrConstraintComponent(self, shape, component, focus):
        lists = [list(dict.fromkeys(self.sg.graph.items(lst))) for lst in component.or_list]  # pySHACL takes a set
        return self._logical(shape, component, focus, lists, lambda c: not any(c))

    def _XoneConstraintComponent(self, shape, component, focus):
        lists = [list(self.sg.graph.items(lst)) for lst in component.xone_nodes]  # a list: a shape listed twice counts twice
        return self._logical(shape, component, focus, lists, lambda c: sum(c) != 1)

    def siblings(self, component, value_shape) -> list:
        if not component.is_disjoint:
            return []
        found = []
        for parent in self.sg.subjects(SH.property, component.shape.node):
            for sibling_property in self.sg.objects(parent, SH.property):
                for sibling in self.sg.objects(sibling_property, SH.qualifiedValueShape):
                    if sibling != value_shape and sibling not in found:
                        found.append(sibling)
        return found

    def _QualifiedValueShapeConstraintComponent(self, shape, component, focus):
        results = []
        value_focus = self.value_focus(shape, focus)
        pairs_found = self.value_pairs(shape, focus)
        focus_nodes = None
        for value_shape_node in component.value_shapes:
            value_shape = shape.get_other_shape(value_shape_node)
            failing = self.failing(value_shape, value_focus)
            sibling_shapes = [s for s in (shape.get_other_shape(n) for n in self.siblings(component, value_shape_node)) if s is not None]
            sibling_failing = [self.failing(s, value_focus) for s in sibling_shapes]
            counts: dict = defaultdict(int)
            for f, v in pairs_found:
                key = to_rdflib(v)
                if key not in failing and not any(key not in fails for fails in sibling_failing):
                    counts[f] += 1
            if focus_nodes is None:
                focus_nodes = [f for (f,) in self.rows(f"SELECT ?this WHERE {{ {focus.pattern('?this', self.names)} }}", "this")]
            for f in focus_nodes:
                number = counts.get(f, 0)
                if component.max_count is not None and number > component.max_count:
                    results.append(self.make(component, f, constraint_component=SH.QualifiedMaxCountConstraintComponent))
                if component.min_count is not None and number < component.min_count:
                    results.append(self.make(component, f, constraint_component=SH.QualifiedMinCountConstraintComponent))
        return results

    # -- SPARQL-based constraints -------------------------------------------------------------------------

    def _SPARQLBasedConstraint(self, shape, component, focus):
        focus_nodes = None
        results = []
        result_val_is_focus = not shape.is_property_shape
        for helper in component.sparql_constraints:
            if helper.deactivated:
                continue
            _, text = helper.pre_bind_variables(None)  # pySHACL's checks, and $PATH written as pySHACL writes it
            query = helper.apply_prefixes(text)
            store, union = self.store, self.union
            if self.union and _AGGREGATE.search(text):
                store, union = self.union_as_set(), False  # aggregates must not see a triple twice
            solutions = self.select(query, store, union)
            names = [v.value for v in solutions.variables]
            per_focus: dict = defaultdict(list)
            for solution in solutions:
                this = solution["this"]
                if this is None:
                    continue
                if focus_nodes is None:  # asked for only when there are rows: valid data has none
                    focus_nodes = {row[0] for row in self.rows(f"SELECT ?this WHERE {{ {focus.pattern('?this', self.names)} }}", "this")}
                if this in focus_nodes:
                    per_focus[this].append({n: to_rdflib(solution[n]) for n in names if solution[n] is not None})
            extra = helper.messages or None
            for f_term, rows in per_focus.items():
                f = self.node(f_term)
                violations: list = []
                failed = False
                for row in rows:  # pySHACL's _validate_sparql_query
                    if row.pop("failure", None) is not None:
                        if not failed:
                            violations.append((True, row))
                            failed = True
                        continue
                    p, v, t = row.pop("path", None), row.pop("value", None), row.pop("this", None)
                    if (p is not None or v is not None or t is not None) and (t, p, v, row) not in violations:
                        violations.append((t, p, v, row))
                result_val = f if result_val_is_focus else None
                for violation in violations:
                    if violation[0] is True:
                        report = component.make_v_result(self.stub_graph, f, value_node=result_val, bound_vars=violation[1],
                                                         source_constraint=helper.node, extra_messages=extra)
                    else:
                        t, p, v, row = violation
                        v = result_val if v is None else v
                        for term in (t, v):
                            if isinstance(term, rdflib.BNode):
                                self.describe(ox.BlankNode(str(term)))
                        report = component.make_v_result(self.stub_graph, t or f, value_node=v, result_path=p,
                                                         bound_vars=(t, p, v, row), source_constraint=helper.node, extra_messages=extra)
                    results.append(result_from_report(report))
        return results

    def union_as_set(self) -> ox.Store:
        """The data in a default graph of its own (each triple once), made the first time it is needed."""
        if self.set_store is None:
            self.set_store = ox.Store()
            self.set_store.bulk_extend(ox.Quad(q.subject, q.predicate, q.object) for q in self.store.quads_for_pattern(None, None, None, None))
        return self.set_store
