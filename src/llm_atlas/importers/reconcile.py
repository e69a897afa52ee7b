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

MATCH_KEYS = ("huggingface-id", "arxiv-id", "repository", "name-creator")
MATCHKEY = ONTOLOGY + "match-key/"

_KIND_OF_LEVEL = {ONTOLOGY + "ModelRelease": "model-release", ONTOLOGY + "ModelFamily": "model-family"}
_KIND_OF_CLASS = {ONTOLOGY + "Dataset": "dataset", ONTOLOGY + "Benchmark": "benchmark", ONTOLOGY + "Organization": "organization",
                  ONTOLOGY + "Leaderboard": "leaderboard"}


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
    facts: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # predicate -> written values


_ENTITY_QUERY = """
SELECT ?e ?type ?label ?hf ?arxiv ?repo ?creator WHERE {
  ?e a ?type .
  VALUES ?type { atlas:ModelRelease atlas:ModelFamily atlas:Dataset atlas:Benchmark atlas:Organization atlas:Leaderboard }
  OPTIONAL { ?e rdfs:label ?label }
  OPTIONAL { ?e atlas:huggingFaceId ?hf }
  OPTIONAL { ?e atlas:arxivId ?arxiv }
  OPTIONAL { ?e atlas:sourceRepository ?repo }
  OPTIONAL { ?e atlas:createdBy ?creator }
}"""


class AtlasIndex:
    """The entities an import reconciles against, by key."""

    def __init__(self, entities: list[Known], taken: set[str], org_hf: dict[str, str]):
        self.entities = {e.iri: e for e in entities}
        self.taken = taken  # every IRI in use (entities, owned nodes): a minted IRI must be new
        self.org_hf = org_hf  # Hub namespace (casefolded) -> organisation IRI
        self.curated_facts: dict[str, set[tuple[str, str]]] = {}  # curated entity -> (predicate, written object) it states
        self.by: dict[tuple[str, str, str], list[str]] = defaultdict(list)  # (key kind, entity kind, value) -> IRIs
        for e in sorted(entities, key=lambda e: e.iri):
            for value in e.hf:
                self.by[("huggingface-id", e.kind, hf_key(value))].append(e.iri)
            for value in e.arxiv:
                self.by[("arxiv-id", e.kind, value)].append(e.iri)
            for value in e.repos:
                self.by[("repository", e.kind, repo_key(value))].append(e.iri)

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
        prefixes = {"atlas": ONTOLOGY, "rdfs": "http://www.w3.org/2000/01/rdf-schema#"}
        known: dict[str, Known] = {}
        for row in store.query(_ENTITY_QUERY, prefixes=prefixes, use_default_graph_as_union=True):
            iri, type_ = row["e"].value, row["type"].value
            kind = _KIND_OF_LEVEL.get(type_) or _KIND_OF_CLASS.get(type_)
            if kind is None or (kind == "dataset" and iri in known):
                continue
            entity = known.get(iri)
            if entity is None:
                entity = known[iri] = Known(iri, kind, iri in curated_subjects)
            if row["label"] is not None and not entity.label:
                entity.label = row["label"].value
            if row["hf"] is not None:
                entity.hf.add(row["hf"].value)
            if row["arxiv"] is not None:
                entity.arxiv.add(row["arxiv"].value)
            if row["repo"] is not None:
                entity.repos.add(row["repo"].value)
            if row["creator"] is not None:
                entity.creators.add(row["creator"].value)
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
        for entity in self.index.entities.values():
            if entity.kind != ref.kind:
                continue
            namespaces = {hf_key(h).split("/", 1)[0] for h in entity.hf if "/" in h}
            made_by = entity.creators | {self.index.org_hf[n] for n in namespaces if n in self.index.org_hf}
            if not (made_by & creators):
                continue
            names = {entity.label} | {h.split("/", 1)[-1] for h in entity.hf}
            if any(release_key(n, creator_keys) == wanted for n in names if n):
                found.append(entity.iri)
        return sorted(found)

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
        tie: tuple[str, ...] = ()
        for key_kind, value in keys:
            own = self.own.get((key_kind, ref.kind, value))
            if own:
                return Resolution(own, "again")
            hits = self.index.by.get((key_kind, ref.kind, value), [])
            if key_kind == "arxiv-id" and ref.kind.startswith("model") and hits:
                # one paper often introduces several releases: an arXiv id decides only with the name
                hits = [h for h in hits if self.index.entities[h].label and release_key(self.index.entities[h].label) == release_key(ref.name)]
            if len(hits) == 1:
                known = self.index.entities[hits[0]]
                return Resolution(hits[0], "known", key_kind, known.curated)
            if hits and not tie:
                tie = tuple(hits)
        if not tie:
            named = self._by_name(ref)
            if len(named) == 1:
                known = self.index.entities[named[0]]
                return Resolution(named[0], "known", "name-creator", known.curated)
            if named:
                tie = tuple(named)
        return self._create(ref, keys, tie)

    def _create(self, ref: Ref, keys: list[tuple[str, str]], tie: tuple[str, ...]) -> Resolution:
        folder = KIND_FOLDER[ref.kind]
        if ref.hf_id:
            basis = ref.hf_id
        elif ref.creator is not None and ref.kind != "organization":
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
            self.own.setdefault(("name", ref.kind, fold(basis)), iri)
        return Resolution(iri, "new", candidates=tie)

    def resolve_named(self, ref: Ref) -> Resolution:
        """As :meth:`resolve`, and a name-only Ref seen before in this run (same kind, same name and creator) is reused."""
        if not (ref.hf_id or ref.arxiv or ref.repo or ref.iri):
            basis = f"{ref.creator.name} {ref.name}" if ref.creator is not None and ref.kind != "organization" else ref.name
            own = self.own.get(("name", ref.kind, fold(basis)))
            if own:
                return Resolution(own, "again")
        return self.resolve(ref)


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
