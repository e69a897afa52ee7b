"""Reconciliation: one entity per real thing, across the curated graph and every import.

:class:`AtlasIndex` reads what an import reconciles against: the curated graph (graph/) and the import files
of higher precedence (an import never depends on one that runs after it, so running the imports in order is
deterministic). :class:`Reconciler` resolves each :class:`~.base.Ref` to an IRI by the strongest key that picks
out exactly one entity of the right kind (matchkey: Hugging Face id, then arXiv id, then repository, then
normalised name with creator), reusing what this import created before, and otherwise mints an IRI from the
strongest key it has. A key that picks out several entities is a tie: the record gets an entity of its own
and the candidates are listed for review, never merged by guess.
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

MATCH_KEYS = ("huggingface-id", "arxiv-id", "repository", "name-creator", "name")
MATCHKEY = ONTOLOGY + "match-key/"

_KIND_OF_LEVEL = {ONTOLOGY + "ModelRelease": "model-release", ONTOLOGY + "ModelFamily": "model-family"}
_KIND_OF_CLASS = {ONTOLOGY + "Dataset": "dataset", ONTOLOGY + "Benchmark": "benchmark", ONTOLOGY + "Organization": "organization",
                  ONTOLOGY + "Leaderboard": "leaderboard", ONTOLOGY + "Project": "project"}


def hf_key(hf_id: str) -> str:
    """Hub ids are case-insensitive: ``Meta-Llama/llama-3-8B`` and ``meta-llama/Llama-3-8B`` are one repository."""
    return hf_id.strip().strip("/").casefold()


def repo_key(url: str) -> str:
    """A repository URL without scheme, ``www.``, ``.git`` or trailing slash, in lower case."""
    text = re.sub(r"^(?:git\+)?https?://(?:www\.)?", "", url.strip().casefold())
    return re.sub(r"(?:\.git)?/*$", "", text)


_CREATOR_NOISE = {"ai", "inc", "ltd", "llc", "gmbh", "group", "corp", "corporation", "the", "labs", "lab", "research"}


def org_key(text: str) -> str:
    """An organisation's name for matching: ``Mistral AI`` and ``mistralai`` are one; ``Meta`` stays ``meta``.

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


# Words that do not tell one organisation from another: "Stanford University CRFM" is "Stanford CRFM", "Cohere For
# AI" is "Cohere Labs". "Research" is not among them: Google Research is a part of Google, not Google.
_ORG_GENERIC = {"the", "of", "for", "and", "university", "inc", "ltd", "llc", "gmbh", "corp", "corporation", "co", "group", "ai",
                "lab", "labs", "team"}


def org_tokens(text: str) -> frozenset[str]:
    """The distinctive words of an organisation's name, for the weaker of the two name matches.

    >>> sorted(org_tokens("Stanford University CRFM")) == sorted(org_tokens("Stanford CRFM"))
    True
    >>> org_tokens("Cohere For AI") == org_tokens("Cohere Labs"), org_tokens("Google Research") == org_tokens("Google")
    (True, False)
    """
    tokens = frozenset(re.findall(r"[a-z0-9]+", fold(text)))
    return (tokens - _ORG_GENERIC) or tokens


def release_key(name: str, creator_keys: set[str] = frozenset()) -> str:
    """A release's name for matching, versions and sizes kept: ``Llama 3 (8B)``, ``Meta-Llama-3-8B`` -> ``llama38b``.

    Leading tokens that name the creator (``meta``, ``meta-llama``) are dropped, so a name with and without
    its maker's prefix compare equal; everything but letters and digits is dropped.

    >>> release_key("Meta-Llama-3-8B", {"meta", "metallama"}), release_key("Llama 3 (8B)")
    ('llama38b', 'llama38b')
    """
    tokens = re.findall(r"[a-z0-9]+", fold(name.rsplit("/", 1)[-1]))
    joined = "".join(tokens)
    for key in sorted(creator_keys, key=len, reverse=True):
        if key and joined.startswith(key) and len(joined) > len(key):
            joined = joined[len(key):]
            break
    return joined


@dataclass
class Known:
    """An entity the atlas already has, with its keys."""

    iri: str
    kind: str
    curated: bool
    label: str = ""
    hf: set[str] = field(default_factory=set)
    arxiv: set[str] = field(default_factory=set)
    repos: set[str] = field(default_factory=set)
    creators: set[str] = field(default_factory=set)  # IRIs
    alt: set[str] = field(default_factory=set)  # alternative labels (skos:altLabel)
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
        for e in sorted(entities, key=lambda e: e.iri):
            for value in e.hf:
                self.by[("huggingface-id", e.kind, hf_key(value))].append(e.iri)
            for value in e.arxiv:
                self.by[("arxiv-id", e.kind, value)].append(e.iri)
            for value in e.repos:
                self.by[("repository", e.kind, repo_key(value))].append(e.iri)

    def _lookups(self):
        """Name lookups over the whole index, computed once: each reconciliation otherwise walks every entity."""
        cached = getattr(self, "_cached", None)
        if cached is None:
            agent_keys: dict[tuple[str, str], list[str]] = defaultdict(list)  # (kind, org_key) -> IRIs
            agent_tokens: dict[tuple[str, frozenset], list[str]] = defaultdict(list)  # (kind, distinctive words) -> IRIs
            same_name: dict[tuple[str, str], list[str]] = defaultdict(list)  # (kind, release_key) -> IRIs
            by_kind: dict[str, list[Known]] = defaultdict(list)
            by_maker: dict[tuple[str, str], list[Known]] = defaultdict(list)  # (kind, maker IRI) -> entities it made
            for e in sorted(self.entities.values(), key=lambda e: e.iri):
                by_kind[e.kind].append(e)
                namespaces = {hf_key(h).split("/", 1)[0] for h in e.hf if "/" in h}
                for maker in e.creators | {self.org_hf[n] for n in namespaces if n in self.org_hf}:
                    by_maker[(e.kind, maker)].append(e)
                names = {n for n in {e.label, *e.alt} if n}
                if e.kind in ("organization", "project"):
                    for key in {org_key(n) for n in names} - {""}:
                        agent_keys[(e.kind, key)].append(e.iri)
                    for tokens in {org_tokens(n) for n in names} - {frozenset()}:
                        agent_tokens[(e.kind, tokens)].append(e.iri)
                repo_names = {hf_key(h).rsplit("/", 1)[-1] for h in e.hf if h}
                for key in {release_key(n) for n in names | repo_names} - {""}:
                    same_name[(e.kind, key)].append(e.iri)
            cached = self._cached = (agent_keys, agent_tokens, same_name, by_kind, by_maker)
        return cached

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
            store.bulk_extend(ox.parse(path=str(path), format=ox.RdfFormat.TRIG))
        prefixes = {"atlas": ONTOLOGY, "rdfs": "http://www.w3.org/2000/01/rdf-schema#", "owl": "http://www.w3.org/2002/07/owl#",
                    "skos": "http://www.w3.org/2004/02/skos/core#"}
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
            for quad in sorted(store.quads_for_pattern(None, ox.NamedNode(predicate), None), key=lambda q: (q.subject.value, str(q.object))):
                entity = known.get(quad.subject.value)
                if entity is None:
                    continue
                value = quad.object.value
                if key == "label":
                    entity.label = entity.label or value
                elif key == "alt":
                    entity.alt.add(value)
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


@dataclass
class Resolution:
    iri: str
    outcome: str  # "known" (matched to an existing entity), "new" (this import created it), "again" (created earlier in this import)
    key: str = ""  # the match key (for "known")
    curated: bool = False
    candidates: tuple[str, ...] = ()  # a tie left for review


class Reconciler:
    """Resolves Refs for one import run; remembers what the run created so later records reuse it."""

    def __init__(self, index: AtlasIndex):
        self.index = index
        self.created: dict[str, tuple[str, Ref]] = {}  # IRI -> (kind, the first Ref that created it)
        self.own: dict[tuple[str, str, str], str] = {}  # (key kind, entity kind, value) -> IRI created in this run

    def _creator_iris(self, ref: Ref) -> set[str]:
        if ref.creator is None:
            return set()
        return {self.resolve(ref.creator).iri}

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

    def _by_name(self, ref: Ref) -> list[str]:
        if not ref.name or ref.creator is None:
            return []
        creators = self._creator_iris(ref)
        creator_keys = {org_key(ref.creator.name)} | {org_key(self.index.entities[c].label) for c in creators if c in self.index.entities}
        creator_keys |= {hf_key(ns).replace("-", "") for ns, org in self.index.org_hf.items() if org in creators}
        wanted = release_key(ref.name, creator_keys)
        if not wanted:
            return []
        found = []
        by_maker = self.index._lookups()[4]
        candidates = {e.iri: e for c in sorted(creators) for e in by_maker.get((ref.kind, c), [])}
        for entity in (candidates[i] for i in sorted(candidates)):
            if ref.hf_id and entity.hf and self._agrees(ref, entity.hf, set()) is False:
                continue
            names = {entity.label} | {h.split("/", 1)[-1] for h in entity.hf}
            if any(release_key(n, creator_keys) == wanted for n in names if n):
                found.append(entity.iri)
        return sorted(found)

    def _by_agent_name(self, ref: Ref) -> list[str]:
        """Organisations or projects whose name or alternative name is ``ref``'s: the normalised name first, then the
        distinctive words (``Stanford University CRFM`` is ``Stanford CRFM``)."""
        agent_keys, agent_tokens = self.index._lookups()[:2]
        exact = agent_keys.get((ref.kind, org_key(ref.name)), []) if org_key(ref.name) else []
        if exact:
            return sorted(exact)
        tokens = org_tokens(ref.name)
        return sorted(agent_tokens.get((ref.kind, tokens), [])) if tokens else []

    def _same_name(self, ref: Ref) -> list[str]:
        """Entities of the kind with the same normalised name, for a Ref that has nothing else: candidates only."""
        wanted = release_key(ref.name)
        return sorted(self.index._lookups()[2].get((ref.kind, wanted), [])) if wanted else []

    def resolve(self, ref: Ref) -> Resolution:
        if ref.iri:
            known = self.index.entities.get(ref.iri)
            return Resolution(ref.iri, "known" if known else ("again" if ref.iri in self.created else "new"), curated=bool(known and known.curated))
        keys = []
        if ref.hf_id:
            keys.append(("huggingface-id", hf_key(ref.hf_id)))
        if ref.arxiv:
            keys.append(("arxiv-id", ref.arxiv))
        if ref.repo:
            keys.append(("repository", repo_key(ref.repo)))
        agent = ref.kind in ("organization", "project")
        tie: tuple[str, ...] = ()
        for key_kind, value in keys:
            # a paper or a code base often introduces several artefacts: for them it decides only with the name
            strict = key_kind != "huggingface-id" and not agent
            own = self.own.get((key_kind, ref.kind, value))
            if own and (key_kind == "huggingface-id" or self._own_agrees(ref, own, strict)):
                return Resolution(own, "again")
            hits = self.index.by.get((key_kind, ref.kind, value), [])
            if key_kind != "huggingface-id":
                hits = [h for h in hits if self._known_agrees(ref, h, strict)]
            if len(hits) == 1:
                known = self.index.entities[hits[0]]
                return Resolution(hits[0], "known", key_kind, known.curated)
            if hits and not tie:
                tie = tuple(hits)
        if not tie and agent and ref.name:
            named = self._by_agent_name(ref)
            if len(named) == 1:
                known = self.index.entities[named[0]]
                return Resolution(named[0], "known", "name", known.curated)
            tie = tuple(named)
        elif not tie:
            named = self._by_name(ref)
            if len(named) == 1:
                known = self.index.entities[named[0]]
                return Resolution(named[0], "known", "name-creator", known.curated)
            if named:
                tie = tuple(named)
            elif not keys and ref.creator is None:
                tie = tuple(self._same_name(ref))
        return self._create(ref, keys, tie)

    def _create(self, ref: Ref, keys: list[tuple[str, str]], tie: tuple[str, ...]) -> Resolution:
        folder = KIND_FOLDER[ref.kind]
        if ref.hf_id:
            basis = ref.hf_id
        elif ref.creator is not None and ref.kind not in ("organization", "project"):
            basis = f"{ref.creator.name} {ref.name}"
        else:
            basis = ref.name
        slug = slugify(basis) or short_hash(ref.display)
        iri = f"{BASE}{folder}/{slug}"
        if iri in self.index.taken or iri in self.created:
            iri = f"{BASE}{folder}/{slug}-{short_hash(ref.kind + ' ' + ref.display)}"
        if iri in self.created:  # the same name, another key: keep them apart
            iri = f"{BASE}{folder}/{slug}-{short_hash(repr(ref))}"
        self.created[iri] = (ref.kind, ref)
        for key_kind, value in keys:
            self.own.setdefault((key_kind, ref.kind, value), iri)
        if not keys and ref.name:
            self.own.setdefault(("name", ref.kind, self._name_key(ref)), iri)
        return Resolution(iri, "new", candidates=tie)

    @staticmethod
    def _name_key(ref: Ref) -> str:
        if ref.kind in ("organization", "project"):
            return org_key(ref.name) or fold(ref.name)
        basis = f"{ref.creator.name} {ref.name}" if ref.creator is not None else ref.name
        return fold(basis)

    def resolve_named(self, ref: Ref) -> Resolution:
        """As :meth:`resolve`, and a name-only Ref seen before in this run (same kind, same name and creator) is reused."""
        if not (ref.hf_id or ref.arxiv or ref.repo or ref.iri):
            own = self.own.get(("name", ref.kind, self._name_key(ref)))
            if own:
                return Resolution(own, "again")
        return self.resolve(ref)


def find_agent(index: AtlasIndex, name: str, hf_namespace: str = "") -> tuple[str, str] | None:
    """("organization" or "project", IRI) of the one organisation, else the one project, of the atlas that a maker's
    Hub namespace or name picks out; None when none or several do. A maker a source names is often a project of
    the atlas (BigCode, BigScience) rather than an organisation: it is linked as the project, not minted anew."""
    reconciler = Reconciler(index)
    for kind in ("organization", "project"):
        if hf_namespace:
            hits = index.by.get(("huggingface-id", kind, hf_key(hf_namespace)), [])
            if len(hits) == 1:
                return kind, hits[0]
        if name:
            hits = reconciler._by_agent_name(Ref(kind, name=name))
            if len(hits) == 1:
                return kind, hits[0]
            if hits:
                return None
    return None


def kind_classes(kind: str) -> tuple[str, ...]:
    return KIND_CLASSES[kind]


def import_files_before(root: Path, precedence: int, registry: dict) -> list[Path]:
    """The import files an import of this precedence reconciles against (those that run before it)."""
    files = []
    for importer in sorted(registry.values(), key=lambda i: (i.precedence, i.source)):
        if importer.precedence < precedence:
            path = root / IMPORTS_DIR / f"{importer.source}.trig"
            if path.is_file():
                files.append(path)
    return files
