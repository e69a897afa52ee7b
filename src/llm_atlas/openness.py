"""Openness under several frameworks, from one set of facts: ``llm-atlas openness``.

The facts are the rows of the saved query ``queries/openness-components.rq``: each release's components
(weights, code, data, documentation) as each index describes them, published or not, under which licence,
with the record that says so. The rules are data of the ontology, read from the store:

- the Model Openness Framework (MOF): the class that requires each component, whether it is required, the
  kinds of licence accepted (``openness-component.ttl``), the conditional Class III pass (``mof-class.ttl``),
  applied as the Model Openness Tool's evaluator applies them;
- the Open Source AI Definition 1.0 (OSAID): its requirements (``openness-rule.ttl``);
- the European Open Source AI Index (OSAI): a dimension's class from the components read from it
  (``atlas:osaiDimension``) and the licences dimension from every published component's licence.

Per release and source, :func:`verdicts` gives the MOF class, the OSAID verdict and (from the Model Openness
Tool's facts) the OSAI class per dimension, each with why. :func:`compare` sets them against what the other
index says: the OSAI classes the index published, the MOF class the Model Openness Tool would publish (its
snapshot holds no class: the class is computed by the tool's own rules from its record), and lists every
mismatch with its kind: an index inconsistent with its own rules, or the two indexes holding different facts.
Output is deterministic. docs/openness.md explains the rules and their limits.

This module computes; it writes nothing. It is shared by ``llm-atlas openness`` (:mod:`llm_atlas.crosswalk`
prints a release and writes the crosswalk), the report's openness section and the release pages of ``llm-atlas
serve``, so it lives in the core and imports no job. The pages read the engine, not a store: they run
:func:`release_query` (the saved query bound to one release), :data:`RULES_QUERY` and :func:`published_query`
there and hand the answers to :func:`facts_from_rows`, :func:`read_rules` and :func:`read_published`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox

from .errors import UsageError
from .namespaces import ONTOLOGY, PREFIXES, RDF, RDFS, SKOS, curie
from .query import SavedQuery, bind_values, run_query, sparql_term
from .sparql_syntax import SparqlSyntaxError, check_syntax
from .suggest import did_you_mean, nearest

QUERY_NAME = "openness-components"
ATLAS = ONTOLOGY
COMPONENT = ONTOLOGY + "openness-component/"
DIMENSION = ONTOLOGY + "openness-dimension/"
OPENNESS = ONTOLOGY + "openness-class/"
RULE = ONTOLOGY + "openness-rule/"
MOT = PREFIXES["source"] + "mot"
OSAI = PREFIXES["source"] + "osai-index"
WEIGHTS = COMPONENT + "model-parameters-final"
LICENSES = DIMENSION + "licenses"
OWN_RULES = "inconsistent with its own rules"
DIFFERENT_FACTS = "the indexes hold different facts"
CLASS_NAMES = {1: "Class I", 2: "Class II", 3: "Class III"}
OSAI_CLASSES = ("open", "partial", "closed")
COLUMNS = ("releaseIri", "sourceIri", "componentIri", "published", "licenceStatus", "licenceIri", "licence", "location", "evidence",
           "locator", "recordIri", "factIri", "release", "source", "component")

_A = ox.NamedNode(RDF + "type")


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


@dataclass(frozen=True)
class Fact:
    """What one source says about one component of one release."""

    release: str
    source: str
    component: str
    published: str  # "yes", "partly", "no"
    licence_status: str  # "open", "not open", "partly open", "not stated", "not identified", "not classified", ""
    licence: str  # the licence's label (or "licences dimension: open" for the index)
    licence_iri: str
    location: str
    evidence: str  # the record's public page
    locator: str
    record: str
    node: str  # the component node, or the index's judgement that decided

    @property
    def passes(self) -> bool:
        return self.published == "yes" and self.licence_status == "open"

    def outcome(self, *, strict: bool) -> str:
        """"pass", "fail" or "unknown" for a requirement on this component. ``strict`` reads as the Model Openness
        Tool does: a licence not stated or not identified counts as missing, not as unknown."""
        if self.published in ("no", "partly"):
            return "fail"
        if self.licence_status == "open":
            return "pass"
        if self.licence_status == "not open":
            return "fail"
        if strict and self.licence_status in ("not stated", "not identified"):
            return "fail"
        return "unknown"

    def describe(self) -> str:
        published = {"yes": "published", "partly": "partly published", "no": "not published"}.get(self.published, self.published)
        if self.published == "no":
            return published
        return f"{published}, under {self.licence or 'no licence stated'} ({self.licence_status or 'not stated'})"


@dataclass
class Rules:
    """The frameworks' rules as the ontology states them."""

    labels: dict[str, str]
    mof_class: dict[str, int]  # required component -> the least open class number that requires it (3: Class III)
    conditional: dict[int, list[str]]  # class number -> components that pass it conditionally
    osaid: list[tuple[str, str, tuple[str, ...]]]  # (requirement, "all"/"any", components)
    osai_dimensions: dict[str, list[str]]  # dimension -> components read from it
    published_dimensions: list[str]  # dimensions whose class follows the components (osai-published)

    def label(self, iri: str) -> str:
        return self.labels.get(iri) or curie(iri) or iri


@dataclass
class Verdict:
    framework: str  # "MOF", "OSAID", "OSAI <dimension>"
    value: str  # "Class II", "meets", "open", "cannot tell", ...
    definite: bool
    why: list[str] = field(default_factory=list)


@dataclass
class Mismatch:
    release: str
    framework: str
    kind: str  # OWN_RULES or DIFFERENT_FACTS
    index: str  # the source whose verdict is at odds ("" for both)
    published: str  # what the index says (or derives from its own facts)
    derived: str  # what the rules give from the other facts
    evidence: list[str]


@dataclass
class ReleaseOpenness:
    iri: str
    label: str
    facts: dict[str, dict[str, Fact]]  # source -> component -> fact
    verdicts: dict[str, list[Verdict]]  # source -> verdicts from its facts
    published: dict[str, tuple[str, str]]  # OSAI dimension -> (class, judgement IRI) as the index published it
    mismatches: list[Mismatch]
    comparisons: dict[str, tuple[int, int]]  # framework -> (agreeing, comparable)

    @property
    def both(self) -> bool:
        return MOT in self.facts and OSAI in self.facts


# -- reading ---------------------------------------------------------------------------------------------------


def find_query(queries: Iterable[SavedQuery]) -> SavedQuery:
    for query in queries:
        if query.name == QUERY_NAME:
            return query
    raise UsageError(f"the saved query {QUERY_NAME} is missing from queries/: the openness verdicts need queries/{QUERY_NAME}.rq")


def release_query(text: str, release: str) -> str:
    """The saved query bound to one release: ``VALUES ?releaseIri`` first in every SELECT group that projects
    ``?releaseIri`` (the outer one, and the sub-select that ranks the index's judgements, so that the engine
    reads one release's judgements rather than all of them). Text an engine can run without substitutions:
    the pages send it to ``oxigraph serve``."""
    block = f"VALUES ?releaseIri {{ {sparql_term(_n(release))} }}"

    def bind(match: re.Match) -> str:
        line_start = match.string.rfind("\n", 0, match.start()) + 1
        if "#" in match.string[line_start:match.start()] or not re.search(r"\?releaseIri\b", match.group(0)):
            return match.group(0)  # in a comment, or a group that does not project the release
        return f"{match.group(0)}\n  {block}"

    bound = re.sub(r"\bSELECT\b[^{}]*?\bWHERE\s*\{", bind, text)
    try:
        check_syntax(bound)
    except SparqlSyntaxError:
        bound = bind_values(text, {"releaseIri": _n(release)})  # the outer group only: the same answer, read less narrowly
    return bound


def facts_from_rows(rows: Iterable[dict[str, ox.Term | None]]) -> list[Fact]:
    """Facts from the saved query's solutions (variable name -> term, None or absent when unbound)."""
    facts = []
    for row in rows:
        v = {name: (row[name].value if row.get(name) is not None else "") for name in COLUMNS}
        facts.append(Fact(v["releaseIri"], v["sourceIri"], v["componentIri"], v["published"], v["licenceStatus"], v["licence"],
                          v["licenceIri"], v["location"], v["evidence"], v["locator"], v["recordIri"], v["factIri"]))
    return facts


def read_facts(store: ox.Store, query: SavedQuery | str, release: str | None = None) -> list[Fact]:
    text = query.text if isinstance(query, SavedQuery) else query
    result = run_query(store, release_query(text, release) if release else text)
    missing = [c for c in COLUMNS if c not in result.variables]
    if missing:
        raise UsageError(f"queries/{QUERY_NAME}.rq does not project {', '.join('?' + m for m in missing)}: `llm-atlas openness` reads these columns")
    return facts_from_rows(dict(zip(result.variables, row)) for row in result.rows)


def _objects(store: ox.Store, subject: str | None, predicate: str) -> list[tuple[str, ox.Term]]:
    return sorted(((q.subject.value, q.object) for q in store.quads_for_pattern(_n(subject) if subject else None, _n(predicate), None, None)
                   if isinstance(q.subject, ox.NamedNode)), key=lambda p: (p[0], p[1].value))


# What :func:`read_rules` reads, as one CONSTRUCT (the pages load its answer into a small store, once).
RULE_PREDICATES = tuple(ATLAS + p for p in ("mofRequired", "mofClass", "conditionalPass", "requirementOf", "requiresComponent",
                                             "requiresAnyComponent", "osaiDimension", "judgesDimension"))
RULES_QUERY = f"""CONSTRUCT {{ ?s ?p ?o }} WHERE {{
  {{ VALUES ?p {{ {" ".join(f"<{p}>" for p in RULE_PREDICATES)} }} ?s ?p ?o }}
  UNION {{ ?s <{SKOS}prefLabel> ?o BIND(<{SKOS}prefLabel> AS ?p) FILTER(STRSTARTS(STR(?s), "{ONTOLOGY}openness-")) }}
  UNION {{ {{ ?x <{ATLAS}mofClass> ?s }} UNION {{ ?s <{ATLAS}conditionalPass> ?x }} ?s <{SKOS}notation> ?o BIND(<{SKOS}notation> AS ?p) }}
}}"""


def published_query(release: str) -> str:
    """What :func:`read_published` reads about one release, as a CONSTRUCT."""
    pattern = (f"?assessment <{ATLAS}assesses> {sparql_term(_n(release))} ; <{ATLAS}judgement> ?judgement . "
               f"?judgement <{ATLAS}opennessDimension> ?dimension ; <{ATLAS}opennessClass> ?class .")
    return f"CONSTRUCT {{ {pattern} }} WHERE {{ {pattern} }}"


def store_of(triples: Iterable[ox.Triple]) -> ox.Store:
    """A small in-memory store of a CONSTRUCT's answer, for :func:`read_rules` and :func:`read_published`."""
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)
    return store


def read_rules(store: ox.Store) -> Rules:
    labels: dict[str, str] = {}
    for subject, obj in _objects(store, None, SKOS + "prefLabel"):
        if subject.startswith(ONTOLOGY + "openness-") and isinstance(obj, ox.Literal) and obj.language in (None, "", "en"):
            labels.setdefault(subject, obj.value)
    notation = {s: o.value for s, o in _objects(store, None, SKOS + "notation") if s.startswith(ONTOLOGY)}
    required = {s for s, o in _objects(store, None, ATLAS + "mofRequired") if o.value == "true"}
    mof_class = {s: int(notation.get(o.value, "0")) for s, o in _objects(store, None, ATLAS + "mofClass") if s in required}
    conditional: dict[int, list[str]] = defaultdict(list)
    for s, o in _objects(store, None, ATLAS + "conditionalPass"):
        conditional[int(notation.get(s, "0"))].append(o.value)
    osaid = []
    for requirement, framework in _objects(store, None, ATLAS + "requirementOf"):
        if framework.value != RULE + "osaid":
            continue
        every = tuple(o.value for _, o in _objects(store, requirement, ATLAS + "requiresComponent"))
        anyof = tuple(o.value for _, o in _objects(store, requirement, ATLAS + "requiresAnyComponent"))
        osaid.append((requirement, "all", every) if every else (requirement, "any", anyof))
    dimensions: dict[str, list[str]] = defaultdict(list)
    for component, dimension in _objects(store, None, ATLAS + "osaiDimension"):
        dimensions[dimension.value].append(component)
    judged = [o.value for _, o in _objects(store, RULE + "osai-published", ATLAS + "judgesDimension")]
    return Rules(labels, mof_class, dict(conditional), osaid, dict(dimensions), judged)


def read_published(store: ox.Store, release: str) -> dict[str, tuple[str, str]]:
    """The OSAI classes the index published for a release: dimension -> (class notation, judgement)."""
    found: dict[str, tuple[str, str]] = {}
    for quad in store.quads_for_pattern(None, _n(ATLAS + "assesses"), _n(release), None):
        for _, judgement in _objects(store, quad.subject.value, ATLAS + "judgement"):
            dims = _objects(store, judgement.value, ATLAS + "opennessDimension")
            classes = _objects(store, judgement.value, ATLAS + "opennessClass")
            if dims and classes:
                found[dims[0][1].value] = (classes[0][1].value.rsplit("/", 1)[1], judgement.value)
    return found


# -- the frameworks ----------------------------------------------------------------------------------------------


def mof(facts: dict[str, Fact], rules: Rules, *, strict: bool) -> Verdict:
    """The MOF class from one source's facts. ``strict`` (the Model Openness Tool's own record): a required
    component the record does not list, or lists without a licence, is missing; otherwise it is not known."""
    status: dict[int, str] = {}
    why: list[str] = []
    for number in (3, 2, 1):
        outcomes = {}
        for component, least in sorted(rules.mof_class.items()):
            if least < number:
                continue
            fact = facts.get(component)
            outcomes[component] = fact.outcome(strict=strict) if fact else ("fail" if strict else "unknown")
        failing = sorted(rules.label(c) for c, o in outcomes.items() if o == "fail")
        unknown = sorted(rules.label(c) for c, o in outcomes.items() if o == "unknown")
        status[number] = "fail" if failing else "unknown" if unknown else "pass"
        if failing:
            why.append(f"{CLASS_NAMES[number]} not met: {', '.join(failing)} missing or not openly licensed")
        elif unknown:
            why.append(f"{CLASS_NAMES[number]} cannot be told: nothing known of {', '.join(unknown)}")
    best = next((n for n in (1, 2, 3) if status[n] == "pass"), None)
    higher_unknown = any(status[n] == "unknown" for n in (1, 2, 3) if best is None or n < best)
    if best is not None:
        value = CLASS_NAMES[best]
    else:
        conditional = [c for c in rules.conditional.get(3, []) if facts.get(c) and facts[c].outcome(strict=strict) == "pass"]
        if conditional:
            value = "Class III (conditional)"
            why.append(f"Class III given conditionally: {', '.join(rules.label(c) for c in conditional)} under an open licence")
        elif status[3] == "unknown":
            value = "cannot tell"
        else:
            value = "none"
    if higher_unknown and value != "cannot tell":
        value += " or higher"
    return Verdict("MOF", value, not higher_unknown and value != "cannot tell", why)


def osaid(facts: dict[str, Fact], rules: Rules) -> Verdict:
    """The OSAID verdict: meets, does not meet, or cannot tell (a requirement neither met nor failed)."""
    failed, unknown, why = [], [], []
    for requirement, mode, components in rules.osaid:
        outcomes = {c: (facts[c].outcome(strict=False) if c in facts else "unknown") for c in components}
        name = rules.label(requirement)
        if mode == "any":
            result = "pass" if "pass" in outcomes.values() else "unknown" if "unknown" in outcomes.values() else "fail"
        else:
            result = "fail" if "fail" in outcomes.values() else "unknown" if "unknown" in outcomes.values() else "pass"
        bad = sorted(rules.label(c) for c, o in outcomes.items() if o != "pass")
        if result == "fail":
            failed.append(name)
            why.append(f"{name}: not met ({', '.join(rules.label(c) + ' ' + (facts[c].describe() if c in facts else 'not described') for c in sorted(outcomes) if outcomes[c] != 'pass')})")
        elif result == "unknown":
            unknown.append(name)
            why.append(f"{name}: cannot tell ({', '.join(bad)} not described or licence not known)")
        else:
            why.append(f"{name}: met")
    value = "does not meet" if failed else "cannot tell" if unknown else "meets"
    return Verdict("OSAID", value, value != "cannot tell", why)


def osai_from(facts: dict[str, Fact], rules: Rules) -> list[Verdict]:
    """The OSAI class per dimension from one source's component facts (none for a dimension it says nothing of)."""
    verdicts = []
    for dimension in rules.published_dimensions:
        described = [facts[c] for c in rules.osai_dimensions.get(dimension, []) if c in facts]
        if not described:
            continue
        states = {f.published for f in described}
        value = "open" if states == {"yes"} else "closed" if states == {"no"} else "partial"
        verdicts.append(Verdict(f"OSAI {rules.label(dimension)}", value, True,
                                [f"{rules.label(f.component)}: {f.describe()}" for f in described]))
    published = [f for f in facts.values() if f.published == "yes"]
    if published:
        states = {f.licence_status == "open" for f in published}
        value = "open" if states == {True} else "closed" if states == {False} else "partial"
        not_open = sorted(f"{rules.label(f.component)} ({f.licence or 'no licence'}: {f.licence_status})" for f in published if f.licence_status != "open")
        verdicts.append(Verdict(f"OSAI {rules.label(LICENSES)}", value, True,
                                [f"published components not under an open licence: {', '.join(not_open)}" if not_open else "every published component under an open licence"]))
    return verdicts


# -- comparing -----------------------------------------------------------------------------------------------------


def _evidence(fact: Fact | None, rules: Rules) -> str:
    if fact is None:
        return ""
    where = f" ({fact.location})" if fact.location else ""
    return f"{rules.label(fact.source) if fact.source in rules.labels else source_name(fact.source)}: {rules.label(fact.component)} {fact.describe()}{where}; {fact.evidence} {fact.locator}".strip()


def source_name(iri: str) -> str:
    return {MOT: "Model Openness Tool", OSAI: "European Open Source AI Index"}.get(iri, curie(iri) or iri)


def assess_release(iri: str, label: str, facts: list[Fact], rules: Rules, published: dict[str, tuple[str, str]]) -> ReleaseOpenness:
    by_source: dict[str, dict[str, Fact]] = defaultdict(dict)
    for fact in facts:
        by_source[fact.source].setdefault(fact.component, fact)
    verdicts: dict[str, list[Verdict]] = {}
    for source, components in sorted(by_source.items()):
        strict = source == MOT
        verdicts[source] = [mof(components, rules, strict=strict), osaid(components, rules)]
        if source == MOT:
            verdicts[source] += osai_from(components, rules)
    result = ReleaseOpenness(iri, label, dict(by_source), verdicts, published, [], {})
    _compare(result, rules)
    return result


def _compare(r: ReleaseOpenness, rules: Rules) -> None:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    mot, osai = r.facts.get(MOT, {}), r.facts.get(OSAI, {})
    # own rules: the index's licences dimension open while the end model's licence is of no open kind
    licences = r.published.get(LICENSES)
    weights = osai.get(WEIGHTS)
    if licences and licences[0] == "open" and weights and weights.licence_status == "not open":
        r.mismatches.append(Mismatch(r.iri, f"OSAI {rules.label(LICENSES)}", OWN_RULES, OSAI, "open", "partial or closed",
                                     [f"European Open Source AI Index: licences rated open ({licences[1]}), yet its end model licence is {weights.licence} (not open); "
                                      f"{weights.evidence} {weights.locator}"]))
    # own rules: the tool's record says a component is not included, yet gives where it is
    for component, fact in sorted(mot.items()):
        if fact.published == "no" and fact.location:
            r.mismatches.append(Mismatch(r.iri, f"MOF {rules.label(component)}", OWN_RULES, MOT, "not included", f"found at {fact.location}",
                                         [_evidence(fact, rules)]))
    if not (mot and osai):
        r.comparisons = {}
        return
    # OSAI classes: as the index published them, against the class the Model Openness Tool's facts give
    for verdict in r.verdicts.get(MOT, []):
        if not verdict.framework.startswith("OSAI "):
            continue
        dimension = next((d for d in (*rules.published_dimensions, LICENSES) if f"OSAI {rules.label(d)}" == verdict.framework), "")
        if dimension not in r.published:
            continue
        stated, judgement = r.published[dimension]
        counts["OSAI"][1] += 1
        if stated == verdict.value:
            counts["OSAI"][0] += 1
            continue
        components = rules.osai_dimensions.get(dimension, []) if dimension != LICENSES else sorted(mot)
        evidence = [f"European Open Source AI Index: {rules.label(dimension)} {stated} ({judgement})"]
        evidence += [_evidence(mot.get(c), rules) for c in components if c in mot and (dimension != LICENSES or mot[c].published == "yes")]
        r.mismatches.append(Mismatch(r.iri, verdict.framework, DIFFERENT_FACTS, OSAI, stated, verdict.value, [e for e in evidence if e]))
    # MOF and OSAID: the verdict from each index's facts, where both are definite
    for position, name in ((0, "MOF"), (1, "OSAID")):
        a, b = r.verdicts[MOT][position], r.verdicts[OSAI][position]
        if not (a.definite and b.definite):
            continue
        counts[name][1] += 1
        if a.value == b.value:
            counts[name][0] += 1
            continue
        differing = [c for c in sorted(set(mot) & set(osai)) if mot[c].outcome(strict=False) != osai[c].outcome(strict=False)]
        evidence = []
        for c in differing:
            evidence += [_evidence(mot[c], rules), _evidence(osai[c], rules)]
        r.mismatches.append(Mismatch(r.iri, name, DIFFERENT_FACTS, "", f"{a.value} (Model Openness Tool's facts)",
                                     f"{b.value} (European Open Source AI Index's facts)", evidence or a.why + b.why))
    r.comparisons = {k: (v[0], v[1]) for k, v in counts.items()}


# -- the atlas ---------------------------------------------------------------------------------------------------


def _label(store: ox.Store, iri: str) -> str:
    values = [o for _, o in _objects(store, iri, RDFS + "label") if isinstance(o, ox.Literal)]
    return sorted(v.value for v in values)[0] if values else (curie(iri) or iri)


def resolve_release(store: ox.Store, raw: str) -> str:
    """A release IRI from an IRI, ``model:<slug>`` or a bare slug; UsageError (exit 2) with the nearest names."""
    base = PREFIXES["model"]
    text = raw.strip().strip("<>")
    iri = text if "://" in text else base + text.split(":", 1)[1] if text.startswith("model:") else base + text
    release = _n(ATLAS + "ModelRelease")
    if next(iter(store.quads_for_pattern(_n(iri), _A, release, None)), None) is not None:
        return iri
    slugs = {q.subject.value[len(base):] for q in store.quads_for_pattern(None, _A, release, None)
             if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(base) and "#" not in q.subject.value}
    wanted = iri[len(base):] if iri.startswith(base) else text
    hint = did_you_mean("model:" + wanted, ["model:" + s for s in nearest(wanted, slugs)])
    raise UsageError(f"no model release {raw!r} in the atlas" + (f"; {hint}" if hint else "") + " (`llm-atlas search` finds releases by name)")


def for_release(store: ox.Store, query: SavedQuery | str, raw: str) -> ReleaseOpenness:
    iri = resolve_release(store, raw)
    return assess_release(iri, _label(store, iri), read_facts(store, query, iri), read_rules(store), read_published(store, iri))


@dataclass
class Crosswalk:
    releases: list[ReleaseOpenness]  # the releases both indexes assess
    mot_only: int
    osai_only: int
    rules: Rules

    def agreement(self) -> dict[str, tuple[int, int]]:
        totals: dict[str, list[int]] = {"OSAI": [0, 0], "MOF": [0, 0], "OSAID": [0, 0]}
        for r in self.releases:
            for name, (agree, comparable) in r.comparisons.items():
                totals[name][0] += agree
                totals[name][1] += comparable
        return {k: (v[0], v[1]) for k, v in totals.items()}

    def mismatches(self) -> list[Mismatch]:
        return [m for r in self.releases for m in r.mismatches]


def crosswalk(store: ox.Store, query: SavedQuery | str) -> Crosswalk:
    rules = read_rules(store)
    by_release: dict[str, list[Fact]] = defaultdict(list)
    for fact in read_facts(store, query):
        by_release[fact.release].append(fact)
    releases, mot_only, osai_only = [], 0, 0
    for iri, facts in sorted(by_release.items()):
        sources = {f.source for f in facts}
        if sources >= {MOT, OSAI}:
            releases.append(assess_release(iri, _label(store, iri), facts, rules, read_published(store, iri)))
        elif MOT in sources:
            mot_only += 1
        elif OSAI in sources:
            osai_only += 1
    releases.sort(key=lambda r: (r.label.casefold(), r.iri))
    return Crosswalk(releases, mot_only, osai_only, rules)


# -- the crosswalk's figures and table (the command, the report) --------------------------------------------


def _rate(agree: int, comparable: int) -> str:
    return f"{agree}/{comparable} ({100 * agree / comparable:.1f}%)" if comparable else "0/0 (nothing to compare)"


def figures(c: Crosswalk) -> list[tuple[str, str]]:
    agreement = c.agreement()
    mismatches = c.mismatches()
    return [
        ("releases both indexes assess", str(len(c.releases))),
        ("releases only the Model Openness Tool describes", str(c.mot_only)),
        ("releases only the European Open Source AI Index describes", str(c.osai_only)),
        ("OSAI classes: published vs derived from the Model Openness Tool's facts (dimension by dimension)", _rate(*agreement["OSAI"])),
        ("MOF class from each index's facts (where both are definite)", _rate(*agreement["MOF"])),
        ("OSAID verdict from each index's facts (where both are definite)", _rate(*agreement["OSAID"])),
        (f"mismatches: {OWN_RULES}", str(sum(m.kind == OWN_RULES for m in mismatches))),
        (f"mismatches: {DIFFERENT_FACTS}", str(sum(m.kind == DIFFERENT_FACTS for m in mismatches))),
    ]


def table_row(r: ReleaseOpenness, rules: Rules) -> list[str]:
    def value(source: str, framework: str) -> str:
        return next((v.value for v in r.verdicts.get(source, []) if v.framework == framework), "")

    published = {d: cls for d, (cls, _) in r.published.items()}
    dims = sum(1 for d in (*rules.published_dimensions, LICENSES) if d in published and value(MOT, f"OSAI {rules.label(d)}"))
    same = sum(1 for d in (*rules.published_dimensions, LICENSES) if d in published and value(MOT, f"OSAI {rules.label(d)}") == published[d])
    return [r.label, r.iri, value(MOT, "MOF"), value(OSAI, "MOF"), value(MOT, "OSAID"), value(OSAI, "OSAID"), f"{same}/{dims}",
            str(sum(m.kind == OWN_RULES for m in r.mismatches)), str(sum(m.kind == DIFFERENT_FACTS for m in r.mismatches))]


HEADERS = ["release", "release_iri", "mof_from_mot", "mof_from_osai", "osaid_from_mot", "osaid_from_osai", "osai_dimensions_agreeing",
           "mismatches_own_rules", "mismatches_different_facts"]


def label_of(c: Crosswalk, iri: str) -> str:
    return next((r.label for r in c.releases if r.iri == iri), iri)


__all__ = ["QUERY_NAME", "OWN_RULES", "DIFFERENT_FACTS", "RULES_QUERY", "HEADERS", "Fact", "Rules", "Verdict", "Mismatch", "ReleaseOpenness",
           "Crosswalk", "find_query", "release_query", "facts_from_rows", "read_facts", "published_query", "store_of", "read_rules",
           "read_published", "mof", "osaid", "osai_from", "assess_release", "resolve_release", "for_release", "crosswalk", "figures",
           "table_row", "label_of", "source_name"]
