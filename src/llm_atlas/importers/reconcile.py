"""Reconciliation: one entity per real thing, across the curated graph and every import.

:class:`AtlasIndex` reads what an import reconciles against: the curated graph (graph/) and the import files
of higher precedence (an import never depends on one that runs after it, so running the imports in order is
deterministic). :class:`Reconciler` resolves each :class:`~.base.Ref` to an IRI by the strongest key that picks
out exactly one entity of the right kind (matchkey: Hugging Face id, then arXiv id, then repository, then
normalised name with creator; for an organisation or a project, its normalised name), reusing what this import created before, and otherwise mints an IRI from the
strongest key it has. A key that picks out several entities is a tie: the record gets an entity of its own
and the candidates are listed for review, never merged by guess.

Names are compared as keys (:func:`release_key`, :func:`organisation_key`) through an index, so that a name
costs a dictionary look-up, not a walk over every entity; the index also holds what the current run has
created, so that two records of one source that name one release by name (without a shared identifier)
reach one entity.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..layout import GRAPH_DIR, IMPORTS_DIR
from ..namespaces import BASE, ONTOLOGY
from .base import KIND_CLASSES, KIND_FOLDER, Ref, fold, short_hash, slugify

MATCH_KEYS = ("huggingface-id", "arxiv-id", "repository", "name-creator", "organization-name")
MATCHKEY = ONTOLOGY + "match-key/"

_KIND_OF_LEVEL = {ONTOLOGY + "ModelRelease": "model-release", ONTOLOGY + "ModelFamily": "model-family"}
_KIND_OF_CLASS = {ONTOLOGY + "Dataset": "dataset", ONTOLOGY + "Benchmark": "benchmark", ONTOLOGY + "Organization": "organization",
                  ONTOLOGY + "Leaderboard": "leaderboard", ONTOLOGY + "Project": "project"}
AGENT_KINDS = ("organization", "project")  # kinds without a creator: matched by their own name (organisation_key)


def hf_key(hf_id: str) -> str:
    """Hub ids are case-insensitive: ``Meta-Llama/llama-3-8B`` and ``meta-llama/Llama-3-8B`` are one repository."""
    return hf_id.strip().strip("/").casefold()


def repo_key(url: str) -> str:
    """A repository URL without scheme, ``www.``, ``.git`` or trailing slash, in lower case."""
    text = re.sub(r"^(?:git\+)?https?://(?:www\.)?", "", url.strip().casefold())
    return re.sub(r"(?:\.git)?/*$", "", text)


_CREATOR_NOISE = {"ai", "inc", "ltd", "llc", "gmbh", "group", "corp", "corporation", "the", "labs", "lab", "research"}


def org_key(text: str) -> str:
    """A creator's name as a prefix of its releases' names: ``Mistral AI`` and ``mistralai`` are one; ``Meta`` stays ``meta``.

    Looser than :func:`organisation_key` ("Labs" and "Research" do not count): it only strips a maker's name
    from a release name, it never decides that two organisations are one.

    >>> [org_key(n) for n in ("Mistral AI", "mistralai", "Alibaba Group", "Meta", "EleutherAI", "Hugging Face")]
    ['mistral', 'mistral', 'alibaba', 'meta', 'eleuther', 'huggingface']
    """
    tokens = re.findall(r"[a-z0-9]+", fold(text))
    while len(tokens) > 1 and tokens[-1] in _CREATOR_NOISE:
        tokens.pop()
    key = "".join(tokens)
    if len(tokens) == 1 and key.endswith("ai") and len(key) >= 6:
        key = key[:-2]
    return key


_LEGAL_FORMS = {"inc", "ltd", "llc", "gmbh", "corp", "corporation", "co", "limited", "plc", "group", "ai"}


def organisation_key(text: str) -> str:
    """An organisation's name for deciding that two spellings name one organisation.

    Case, accents, punctuation, a trailing legal form or "Group", and a trailing "AI" do not count; every
    other word does, so that a lab is not merged into its company ("Cohere" and "Cohere Labs" stay two).
    Spellings that this cannot tell apart or together are decided in ``data/creator-names.csv``.

    >>> [organisation_key(n) for n in ("Mistral AI", "mistralai", "Alibaba Group", "AI21 Labs", "DeepSeek-AI", "01.AI", "Cohere Labs", "TII UAE")]
    ['mistral', 'mistral', 'alibaba', 'ai21labs', 'deepseek', '01', 'coherelabs', 'tiiuae']
    """
    tokens = re.findall(r"[a-z0-9]+", fold(text))
    while len(tokens) > 1 and tokens[0] == "the":
        tokens.pop(0)
    while len(tokens) > 1 and tokens[-1] in _LEGAL_FORMS:
        tokens.pop()
    key = "".join(tokens)
    if len(tokens) == 1 and key.endswith("ai") and len(key) >= 6:
        key = key[:-2]
    return key


def joined(name: str) -> str:
    """A name's letters and digits only, folded: ``Meta-Llama-3-8B`` -> ``metallama38b`` (the owner of ``owner/name`` dropped)."""
    return "".join(re.findall(r"[a-z0-9]+", fold(name.rsplit("/", 1)[-1])))


def release_key(name: str, creator_keys: set[str] | frozenset[str] = frozenset()) -> str:
    """A release's name for matching, versions and sizes kept: ``Llama 3 (8B)``, ``Meta-Llama-3-8B`` -> ``llama38b``.

    The shortest run of leading words that spells a creator key (``meta`` of ``Meta-Llama``) is dropped, so a
    name with and without its maker's prefix compare equal; a longer run is kept (``metallama`` is also a key
    of Meta's, by its Hub namespace, but dropping it would drop the family name). Everything but letters and
    digits is dropped; the owner of ``owner/name`` does not count.

    >>> release_key("Meta-Llama-3-8B", {"meta", "metallama"}), release_key("Llama 3 (8B)"), release_key("meta/llama-3-8b", {"meta"})
    ('llama38b', 'llama38b', 'llama38b')
    """
    tokens = re.findall(r"[a-z0-9]+", fold(name.rsplit("/", 1)[-1]))
    for cut in range(1, len(tokens)):
        if "".join(tokens[:cut]) in creator_keys:
            return "".join(tokens[cut:])
    return "".join(tokens)


def namespace_of(hf_id: str) -> str:
    """The owner of a Hub id, casefolded (``meta-llama/Llama-3.1-8B`` -> ``meta-llama``); "" for an id without one."""
    return hf_key(hf_id).split("/", 1)[0] if "/" in hf_id else ""


@dataclass
class Known:
    """An entity the atlas already has, with its keys."""

    iri: str
    kind: str
    curated: bool
    label: str = ""
    names: set[str] = field(default_factory=set)  # label and alternative labels
    hf: set[str] = field(default_factory=set)
    arxiv: set[str] = field(default_factory=set)
    repos: set[str] = field(default_factory=set)
    creators: set[str] = field(default_factory=set)  # IRIs
    facts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # predicate -> written values


_TYPES = ("ModelRelease", "ModelFamily", "Benchmark", "Organization", "Leaderboard", "Project", "Dataset")
# one simple pattern per key (a single query with an OPTIONAL per key multiplies the rows of entities with several
# values and takes minutes on a grown atlas; each of these is a scan of one predicate)
_KEY_PREDICATES = {"label": "http://www.w3.org/2000/01/rdf-schema#label", "alt": "http://www.w3.org/2004/02/skos/core#altLabel",
                   "hf": ONTOLOGY + "huggingFaceId", "arxiv": ONTOLOGY + "arxivId", "repo": ONTOLOGY + "sourceRepository",
                   "creator": ONTOLOGY + "createdBy"}


class AtlasIndex:
    """The entities an import reconciles against, by key."""

    def __init__(self, entities: list[Known], taken: set[str], org_hf: dict[str, str]):
        self.entities = {e.iri: e for e in entities}
        self.taken = taken  # every IRI in use (entities, owned nodes): a minted IRI must be new
        self.org_hf = org_hf  # Hub namespace (casefolded) -> organisation IRI
        self.curated_facts: dict[str, set[tuple[str, str]]] = {}  # curated entity -> (predicate, written object) it states
        self.root: Path | None = None  # the checkout read (an importer reads its vocabularies from it)
        self.by: dict[tuple[str, str, str], list[str]] = defaultdict(list)  # (key kind, entity kind, value) -> IRIs
        self.names = NameIndex()
        for e in sorted(entities, key=lambda e: e.iri):
            for value in e.hf:
                self.by[("huggingface-id", e.kind, hf_key(value))].append(e.iri)
            for value in e.arxiv:
                self.by[("arxiv-id", e.kind, value)].append(e.iri)
            for value in e.repos:
                self.by[("repository", e.kind, repo_key(value))].append(e.iri)
            self.names.add(e)

    @classmethod
    def read(cls, root: Path, import_files: list[Path], store: ox.Store | None = None) -> AtlasIndex:
        """The curated graph of ``root`` and the given import files (pyoxigraph, strict)."""
        store = store or ox.Store()
        curated_subjects: set[str] = set()
        curated_facts: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for path in sorted((root / GRAPH_DIR).rglob("*.ttl")):
            graph = ox.NamedNode("https://w3id.org/llm-atlas/file/" + path.relative_to(root).as_posix())
            triples = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
            store.bulk_extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in triples)
            entity = BASE + path.relative_to(root / GRAPH_DIR).with_suffix("").as_posix()
            curated_subjects.add(entity)
            curated_facts[entity] |= {(t.predicate.value, str(t.object)) for t in triples if t.subject == ox.NamedNode(entity)}
        for path in import_files:
            store.bulk_extend(ox.parse(path=str(path), format=ox.RdfFormat.TRIG if path.suffix == ".trig" else ox.RdfFormat.TURTLE))
        prefixes = {"atlas": ONTOLOGY, "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "skos": "http://www.w3.org/2004/02/skos/core#"}
        known: dict[str, Known] = {}
        deprecated = {q.subject.value for q in store.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/2002/07/owl#deprecated"),
                                                                        ox.Literal("true", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#boolean")))}
        type_node = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
        for name in _TYPES:  # the first kind wins: a benchmark that is also typed a dataset stays a benchmark
            type_ = ONTOLOGY + name
            kind = _KIND_OF_LEVEL.get(type_) or _KIND_OF_CLASS.get(type_)
            for quad in store.quads_for_pattern(None, type_node, ox.NamedNode(type_)):
                iri = quad.subject.value
                if isinstance(quad.subject, ox.NamedNode) and iri not in known and iri not in deprecated:
                    known[iri] = Known(iri, kind, iri in curated_subjects)
        for key, predicate in _KEY_PREDICATES.items():
            for quad in store.quads_for_pattern(None, ox.NamedNode(predicate), None):
                entity = known.get(quad.subject.value)
                if entity is None:
                    continue
                value = quad.object.value
                if key in ("label", "alt"):
                    entity.names.add(value)
                    if key == "label" and (not entity.label or value < entity.label):
                        entity.label = value
                elif key == "hf":
                    entity.hf.add(value)
                elif key == "arxiv":
                    entity.arxiv.add(value)
                elif key == "repo":
                    entity.repos.add(value)
                elif isinstance(quad.object, ox.NamedNode):
                    entity.creators.add(value)
        # the single-valued facts of each entity, to tell agreement from disagreement (see run.SINGLE_VALUED)
        for row in store.query(
            "SELECT ?e ?p ?o WHERE { ?e ?p ?o . VALUES ?p { atlas:license atlas:releaseDate atlas:dateCreated atlas:parameterCount "
            "atlas:access atlas:baseModel atlas:fineTunedFrom atlas:quantizedFrom atlas:adapterOf atlas:continuedPretrainingOf "
            "atlas:distilledFrom atlas:inFamily atlas:inSeries } }", prefixes=prefixes, use_default_graph_as_union=True):
            entity = known.get(row["e"].value)
            if entity is not None:
                entity.facts[row["p"].value].add(str(row["o"]))
        taken = {row["s"].value for row in store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o FILTER(isIRI(?s)) }", use_default_graph_as_union=True)}
        org_hf = {hf_key(v): e.iri for e in known.values() if e.kind == "organization" for v in e.hf}
        index = cls(list(known.values()), taken, org_hf)
        index.curated_facts = curated_facts
        index.root = root
        return index


class NameIndex:
    """Entities by the keys of their names: releases (and other artefacts) by :func:`joined` name, organisations
    and projects by :func:`organisation_key`. Candidates only: :meth:`Reconciler._by_name` decides for artefacts;
    an organisation or project is matched when its key picks out one."""

    def __init__(self):
        self.artefacts: dict[tuple[str, str], list[str]] = defaultdict(list)  # (kind, joined name) -> IRIs
        self.agents: dict[tuple[str, str], list[str]] = defaultdict(list)  # (organization|project, organisation key) -> IRIs

    def add(self, entity: Known) -> None:
        if entity.kind in AGENT_KINDS:
            for key in sorted({organisation_key(n) for n in entity.names | {entity.label} if n} - {""}):
                if entity.iri not in self.agents[(entity.kind, key)]:
                    self.agents[(entity.kind, key)].append(entity.iri)
            return
        for key in sorted({joined(n) for n in entity.names | {entity.label} | entity.hf if n} - {""}):
            if entity.iri not in self.artefacts[(entity.kind, key)]:
                self.artefacts[(entity.kind, key)].append(entity.iri)


@dataclass
class Resolution:
    iri: str
    outcome: str  # "known" (matched to an existing entity), "new" (this import created it), "again" (created earlier in this import), "none" (find only)
    key: str = ""  # the match key (for "known")
    curated: bool = False
    candidates: tuple[str, ...] = ()  # a tie left for review


class Reconciler:
    """Resolves Refs for one import run; remembers what the run created so later records reuse it."""

    def __init__(self, index: AtlasIndex):
        self.index = index
        self.created: dict[str, tuple[str, Ref]] = {}  # IRI -> (kind, the first Ref that created it)
        self.own: dict[tuple[str, str, str], str] = {}  # (key kind, entity kind, value) -> IRI created in this run
        self.mine: dict[str, Known] = {}  # what this run created, as the index knows entities (for matching by name)
        self.names = NameIndex()  # ... and by name

    def entity(self, iri: str) -> Known | None:
        return self.index.entities.get(iri) or self.mine.get(iri)

    # -- names ---------------------------------------------------------------------------------------------

    def _creator(self, ref: Ref) -> tuple[set[str], set[str]]:
        """The organisations a Ref's creator names (IRIs, never created here) and the keys its releases' names may
        start with or its Hub namespaces may spell: its names, its Hub namespaces, and the Ref's owner."""
        iris: set[str] = set()
        keys: set[str] = set()
        if ref.owner:
            keys |= {org_key(ref.owner), joined(ref.owner)}
        if ref.creator is None:
            return iris, keys - {""}
        found = self.find(ref.creator)
        if found.iri:
            iris.add(found.iri)
        keys |= {org_key(ref.creator.name), joined(ref.creator.name)}
        for iri in iris:
            entity = self.entity(iri)
            if entity is not None:
                keys |= {org_key(n) for n in entity.names} | {joined(n) for n in entity.names}
                keys |= {joined(h) for h in entity.hf}
        keys |= {joined(ns) for ns, org in self.index.org_hf.items() if org in iris}
        return iris, keys - {""}

    def _made_by(self, entity: Known, creators: set[str], keys: set[str]) -> bool:
        """Whether an entity is its creator's: it says so (atlas:createdBy), or its Hub namespace belongs to the creator
        (an organisation of the atlas with that Hub id), or spells the creator's name (``mistralai``: Mistral AI) or
        starts with it (``meta-llama``: Meta; a key of at least four characters, so that ``ai2`` does not claim ``ai21labs``)."""
        if entity.creators & creators:
            return True
        for hf in entity.hf:
            namespace = namespace_of(hf)
            if not namespace:
                continue
            if self.index.org_hf.get(namespace) in creators:
                return True
            spelled = joined(namespace)
            if spelled in keys or org_key(namespace) in keys or any(len(k) >= 4 and spelled.startswith(k) for k in keys):
                return True
        return False

    def _by_name(self, ref: Ref) -> list[str]:
        """Entities of the Ref's kind, already known or created in this run, whose name equals the Ref's (as release
        keys) and that are the Ref's creator's. A name is never enough without the creator; a Ref with a Hub id
        that matched nothing only finds entities that have no Hub id."""
        if not ref.name or (ref.creator is None and not ref.owner):
            return []
        creators, keys = self._creator(ref)
        wanted = release_key(ref.name, keys)
        if not wanted:
            return []
        found = set()
        for names in (self.index.names, self.names):
            for prefix in ("", *sorted(keys)):
                for iri in names.artefacts.get((ref.kind, prefix + wanted), ()):
                    entity = self.entity(iri)
                    if entity is None or iri in found or not self._made_by(entity, creators, keys):
                        continue
                    if ref.hf_id and entity.hf:
                        continue  # two Hub repositories are two releases, whatever their names: a Ref's own id did not match
                    own_keys = keys | {joined(namespace_of(h)) for h in entity.hf} - {""}
                    if any(release_key(n, own_keys) == wanted for n in entity.names | {entity.label} | entity.hf if n):
                        found.add(iri)
        return sorted(found)

    def _agents_named(self, ref: Ref) -> list[str]:
        """Organisations (or projects, by the Ref's kind) whose name or alternative name has the Ref's
        :func:`organisation_key`, known or created in this run."""
        key = organisation_key(ref.name)
        if not key:
            return []
        return sorted(set(self.index.names.agents.get((ref.kind, key), ())) | set(self.names.agents.get((ref.kind, key), ())))

    def _same_name(self, ref: Ref) -> list[str]:
        """Entities of the kind with the same normalised name, for a Ref that has nothing else: candidates only."""
        wanted = release_key(ref.name)
        return sorted(self.index.names.artefacts.get((ref.kind, wanted), ())) if wanted else []

    # -- key guards ----------------------------------------------------------------------------------------

    @staticmethod
    def _repo_names(hf_ids) -> set[str]:
        return {hf_key(h).rsplit("/", 1)[-1] for h in hf_ids if h}

    def _agrees(self, ref: Ref, hf_ids: set[str], names: set[str]) -> bool | None:
        """Whether an entity with these Hub ids and names can be what ``ref`` names: False when both have Hub ids
        whose repository names differ, True when a repository name or a normalised name is the same, None when
        nothing says either way."""
        if ref.hf_id and hf_ids:
            return hf_key(ref.hf_id).rsplit("/", 1)[-1] in self._repo_names(hf_ids)
        wanted = {release_key(n) for n in (ref.name, ref.hf_id) if n} - {""}
        have = {release_key(n) for n in names if n} - {""}
        if wanted and have:
            return bool(wanted & have) or None
        return None

    def _known_agrees(self, ref: Ref, iri: str, strict: bool) -> bool:
        entity = self.index.entities[iri]
        verdict = self._agrees(ref, entity.hf, {entity.label} | self._repo_names(entity.hf))
        return verdict is True if strict else verdict is not False

    def _own_agrees(self, ref: Ref, iri: str, strict: bool) -> bool:
        _, first = self.created[iri]
        verdict = self._agrees(ref, {first.hf_id} - {""}, {first.name} | self._repo_names({first.hf_id}))
        return verdict is True if strict else verdict is not False

    # -- resolving -----------------------------------------------------------------------------------------

    def _keys(self, ref: Ref) -> list[tuple[str, str]]:
        keys = []
        if ref.hf_id:
            keys.append(("huggingface-id", hf_key(ref.hf_id)))
        if ref.arxiv:
            keys.append(("arxiv-id", ref.arxiv))
        if ref.repo:
            keys.append(("repository", repo_key(ref.repo)))
        return keys

    def _lookup(self, ref: Ref) -> tuple[Resolution | None, tuple[str, ...]]:
        """The entity a Ref names, if the atlas or this run has exactly one; otherwise None and the tie, if any."""
        if ref.iri:
            known = self.index.entities.get(ref.iri)
            if known is not None:
                return Resolution(ref.iri, "known", curated=known.curated), ()
            return (Resolution(ref.iri, "again"), ()) if ref.iri in self.created else (None, ())
        agent = ref.kind in AGENT_KINDS
        tie: tuple[str, ...] = ()
        for key_kind, value in self._keys(ref):
            # a paper or a code base often introduces several artefacts: for them it decides only with the name
            strict = key_kind != "huggingface-id" and not agent
            own = self.own.get((key_kind, ref.kind, value))
            if own and (key_kind == "huggingface-id" or self._own_agrees(ref, own, strict)):
                return Resolution(own, "again"), ()
            hits = self.index.by.get((key_kind, ref.kind, value), [])
            if key_kind != "huggingface-id":
                hits = [h for h in hits if self._known_agrees(ref, h, strict)]
            if len(hits) == 1:
                known = self.index.entities[hits[0]]
                return Resolution(hits[0], "known", key_kind, known.curated), ()
            if hits and not tie:
                tie = tuple(hits)
        if tie:
            return None, tie
        if agent:
            named, key_kind = self._agents_named(ref), "organization-name"
        else:
            named, key_kind = self._by_name(ref), "name-creator"
        if len(named) == 1:
            if named[0] in self.mine:
                return Resolution(named[0], "again"), ()
            known = self.index.entities[named[0]]
            return Resolution(named[0], "known", key_kind, known.curated), ()
        if not named and not agent and not self._keys(ref) and ref.creator is None and not ref.owner:
            return None, tuple(self._same_name(ref))  # a bare name: entities of that name are candidates, never chosen
        return None, tuple(named)

    def resolve(self, ref: Ref) -> Resolution:
        """The entity a Ref names: one the atlas has (by the strongest key that picks out exactly one), one this run
        created, or a new one (with the candidates of a tie, for review)."""
        found, tie = self._lookup(ref)
        if found is not None:
            return found
        if ref.iri:
            return self._register(ref.iri, ref, [], ())
        return self._create(ref, self._keys(ref), tie)

    def find(self, ref: Ref) -> Resolution:
        """As :meth:`resolve`, but never creates: outcome "none" (iri "") when no entity, or several, answer to the Ref."""
        found, tie = self._lookup(ref)
        return found if found is not None else Resolution("", "none", candidates=tie)

    def _create(self, ref: Ref, keys: list[tuple[str, str]], tie: tuple[str, ...]) -> Resolution:
        folder = KIND_FOLDER[ref.kind]
        if ref.hf_id:
            basis = ref.hf_id
        elif ref.creator is not None and ref.kind not in AGENT_KINDS and "/" not in ref.name:
            basis = f"{ref.creator.name} {ref.name}"
        else:
            basis = ref.name
        slug = slugify(basis) or short_hash(ref.display)
        iri = f"{BASE}{folder}/{slug}"
        if iri in self.index.taken or iri in self.created:
            iri = f"{BASE}{folder}/{slug}-{short_hash(ref.kind + ' ' + ref.display)}"
        if iri in self.created:  # the same name, another key: keep them apart
            iri = f"{BASE}{folder}/{slug}-{short_hash(repr(ref))}"
        return self._register(iri, ref, keys, tie)

    def _register(self, iri: str, ref: Ref, keys: list[tuple[str, str]], tie: tuple[str, ...]) -> Resolution:
        self.created[iri] = (ref.kind, ref)
        for key_kind, value in keys:
            self.own.setdefault((key_kind, ref.kind, value), iri)
        if not keys and ref.name:
            self.own.setdefault(("name", ref.kind, _name_basis(ref)), iri)
        entity = Known(iri, ref.kind, False, label=ref.name or ref.hf_id, names={n for n in (ref.name,) if n}, hf={ref.hf_id} if ref.hf_id else set())
        if ref.creator is not None:  # resolved now (created if new), so that later records find this entity by name and creator
            entity.creators.add(self.resolve_named(ref.creator).iri)
        self.mine[iri] = entity
        self.names.add(entity)
        return Resolution(iri, "new", candidates=tie)

    def alias(self, iri: str, ref: Ref) -> None:
        """A record of this run calls an entity the atlas already has by ``ref``'s name: later records may find it by that
        name too (a base model written "DeepSeek-MoE-16B" for the release the Hub calls deepseek-moe-16b-base)."""
        if iri in self.mine or not ref.name or ref.kind in AGENT_KINDS:
            return
        known = self.index.entities.get(iri)
        if known is None:
            return
        known.names.add(ref.name)
        if ref.creator is not None:
            creator = self.find(ref.creator)
            if creator.iri:
                known.creators.add(creator.iri)
        self.names.add(Known(iri, known.kind, known.curated, names={ref.name}))

    def resolve_named(self, ref: Ref) -> Resolution:
        """As :meth:`resolve`, and a name-only Ref seen before in this run (same kind, same name and creator) is reused."""
        if not (ref.hf_id or ref.arxiv or ref.repo or ref.iri):
            own = self.own.get(("name", ref.kind, _name_basis(ref)))
            if own:
                return Resolution(own, "again")
        return self.resolve(ref)


def _name_basis(ref: Ref) -> str:
    if ref.kind in AGENT_KINDS:
        return organisation_key(ref.name) or fold(ref.name)
    return fold(f"{ref.creator.name} {ref.name}" if ref.creator is not None else ref.name)


def find_agent(index: AtlasIndex, name: str, hf_namespace: str = "") -> tuple[str, str] | None:
    """("organization" or "project", IRI) of the one organisation, else the one project, of the atlas that a maker's
    Hub namespace or name picks out; None when none or several do. A maker a source names is often a project of
    the atlas (BigCode, BigScience) rather than an organisation: it is linked as the project, not minted anew.
    The same look-up as :meth:`Reconciler.find` (Hub id, then :func:`organisation_key`), so spellings it cannot
    decide are listed in ``data/creator-names.csv`` (:func:`.creators.read_makers`) for every importer alike."""
    from .creators import read_makers

    reconciler = Reconciler(index)
    makers = read_makers(name)
    names = list(makers.organisations) or ([name] if name and not makers.names else [])
    if len(names) > 1:
        return None  # several organisations: not one maker
    if not names and makers.names:
        names = list(makers.names)  # kept as text for organisations, but it may be a project of the atlas (BigCode)
    spelled = names[0] if names else ""
    for kind in AGENT_KINDS:
        if hf_namespace:
            hits = index.by.get(("huggingface-id", kind, hf_key(hf_namespace)), [])
            if len(hits) == 1:
                return kind, hits[0]
        if spelled:
            found = reconciler.find(Ref(kind, name=spelled))
            if found.iri:
                return kind, found.iri
            if found.candidates:
                return None
    return None


def kind_classes(kind: str) -> tuple[str, ...]:
    return KIND_CLASSES[kind]


def import_files_before(root: Path, precedence: int, registry: dict) -> list[Path]:
    """The import files an import of this precedence reconciles against: those that run before it, and first any
    file of imports/ that no registered importer writes, given data to every registered import (every importer
    of this version is registered, the OSAI index's included, so there is none unless one is added by hand, which
    the check refuses). Without them, an import would mint IRIs such a file already uses."""
    folder = root / IMPORTS_DIR
    written = {f"{importer.source}.trig" for importer in registry.values()}
    files = sorted(p for p in folder.glob("*") if p.is_file() and p.suffix in (".ttl", ".trig") and p.name not in written) if folder.is_dir() else []
    for importer in sorted(registry.values(), key=lambda i: (i.precedence, i.source)):
        if importer.precedence < precedence:
            path = root / IMPORTS_DIR / f"{importer.source}.trig"
            if path.is_file():
                files.append(path)
    return files
