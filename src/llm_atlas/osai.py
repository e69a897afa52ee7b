"""Import job: the European Open Source AI Index into ``imports/osai-index.ttl``.

The index (Liesenfeld, Dingemanse et al.; CC BY 4.0, doi:10.5281/zenodo.15386042) keeps one YAML file per
generative AI system, rating it open, partial or closed on a dozen openness dimensions, each with evidence
links. :func:`import_osai` turns a snapshot of it into one Turtle file:

- one ``atlas:OpennessAssessment`` per system file, with one ``atlas:OpennessJudgement`` per rated dimension
  (its dimension and class are concepts of ``ontology/vocabularies/openness.ttl``, read from the checkout;
  its evidence is the index's links that are http(s) IRIs). The index's notes are prose of its authors and
  are not carried over;
- each system reconciled to a model of the atlas: an exact Hugging Face id first (the system's link or
  end-model weights link against ``atlas:huggingFaceId`` of models), then the Hugging Face owner (an
  organisation's ``atlas:huggingFaceId``) together with the name, then the normalised name against the
  labels of models (several candidates narrowed by the system's organisation). A system with several
  candidates left is ambiguous: its assessment is written without ``atlas:assesses`` and the report lists
  the candidates. A system not in the atlas gets a model (and organisations) created in the import file,
  marked ``atlas:importedFrom source:osai-index``, with the statement claims the shapes ask for;
- a ``dcat:Dataset`` node describing the snapshot (source, DOI, version, licence, citations).

A file that is not valid YAML, names an unknown dimension or gives an unknown class is reported as a
:class:`~llm_atlas.errors.Problem` with its path and line and skipped; the rest is imported. The output is
deterministic (sorted, no timestamps) and written atomically, so rerunning on the same snapshot changes
nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox
import yaml

from .canonical_turtle import serialize
from .errors import InvalidData, Problem, UsageError, sort_problems
from .layout import GRAPH_DIR, IMPORTS_DIR, source_files
from .loader import load_file
from .namespaces import BASE, DCTERMS, ONTOLOGY, PREFIXES, RDF, RDFS, SKOS, XSD
from .progress import progress
from .rdfbridge import compact
from .store import atomic_write_text

SOURCE_KEY = "osai-index"
SOURCE = BASE + "source/" + SOURCE_KEY
DATASET = BASE + "import/" + SOURCE_KEY
ASSESSMENT_BASE = DATASET + "/"
OUTPUT = f"{IMPORTS_DIR}/{SOURCE_KEY}.ttl"
VOCABULARY = "ontology/vocabularies/openness.ttl"

INDEX_URL = "https://osai-index.eu/"
INDEX_DOI = "10.5281/zenodo.15386042"
INDEX_TITLE = "European Open Source AI Index database"
LICENCES = {"CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/"}
DEFAULT_LICENCE = LICENCES["CC-BY-4.0"]
PAPER_CITATION = (
    "Liesenfeld, A. and Dingemanse, M. (2024). Rethinking open source generative AI: open-washing and the EU AI Act. "
    "In Proceedings of the 2024 ACM Conference on Fairness, Accountability, and Transparency (FAccT '24), pp. 1774-1787. "
    "doi:10.1145/3630106.3659005"
)
MAX_FILE_BYTES = 1024 * 1024  # a system file is a few KiB

# Rule ids of the problems an import reports (for the rule catalogue, docs/rules.md).
# The rules this module reports (osai-*) are listed in rules.py.

A = RDF + "type"
LABEL = RDFS + "label"
DESCRIPTION = DCTERMS + "description"
ATLAS = ONTOLOGY
# Where the index's free-text base model name goes. The ontology has no property for it yet: skos:note
# until one is added (then change this constant and queries/osai-base-models.rq together).
BASE_MODEL_NAME = ATLAS + "baseModelName"
PLACEHOLDER_NAMES = {"", "unknown", "undisclosed", "none", "n/a", "na", "not applicable", "-"}

SYSTEM_KEYS = ("system", "org")


# -- names -------------------------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Lowercase ASCII-ish text: accents stripped, case folded, parenthesised asides dropped."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"\([^)]*\)", " ", plain)


# One trailing version, size or variant token: "-3.1", "2", "-70b", "v0.1", "-8x22b", "-instruct", "-base".
# queries/osai-base-models.rq spells the same rule in SPARQL (as a repeated group, which Rust's regex
# engine runs in linear time); here it is applied in a loop, which Python's backtracking engine needs.
_TRAILING_TOKEN = re.compile(
    r"(?:[^a-z0-9]*(?:v?[0-9]+(?:[._][0-9]+)*[a-z]?|[0-9]+x[0-9]+[a-z])|[^a-z0-9]+(?:base|instruct|chat|it|pt|hf|sft|dpo|preview))$"
)
_ORG_SUFFIXES = {"ai", "inc", "ltd", "llc", "gmbh", "group", "corp", "corporation"}


def name_key(text: str) -> str:
    """The normalised name of a model or system: case, accents, punctuation and version suffixes dropped.

    >>> [name_key(n) for n in ("Llama 3.1", "Llama-2-70B-chat", "SEA-LION", "Teuken-7B", "Mixtral-8x22B-v0.1", "Tülu")]
    ['llama', 'llama', 'sealion', 'teuken', 'mixtral', 'tulu']
    """
    folded = _fold(text[:200])
    stripped = folded
    while True:
        match = _TRAILING_TOKEN.search(stripped)
        if not match or match.start() == match.end():
            break
        stripped = stripped[: match.start()]
    key = re.sub(r"[^a-z0-9]", "", stripped)
    return key or re.sub(r"[^a-z0-9]", "", folded)


def org_key(text: str) -> str:
    """The normalised name of an organisation: as :func:`name_key` without versions, less 'AI', 'Inc', ...

    >>> [org_key(n) for n in ("Hugging Face", "HuggingFace", "Mistral AI", "StabilityAI", "Alibaba Group", "Zhipu AI (Z.ai)")]
    ['huggingface', 'huggingface', 'mistral', 'stability', 'alibaba', 'zhipu']
    """
    tokens = re.findall(r"[a-z0-9]+", _fold(text[:200]))
    kept = list(tokens)
    while len(kept) > 1 and kept[-1] in _ORG_SUFFIXES:
        kept.pop()
    if len(kept) == 1 and kept[0].endswith("ai") and len(kept[0]) >= 6:
        kept[0] = kept[0][:-2]
    return "".join(kept) or "".join(tokens)


def slugify(text: str) -> str:
    """A slug for an IRI: lowercase ASCII letters and digits joined by single hyphens."""
    return "-".join(re.findall(r"[a-z0-9]+", _fold(text).replace("'", "")))


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _scalar(value) -> str | None:
    """A YAML scalar as text (None for empty values and for containers)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = _clean(str(value))
    return text or None


def web_iri(value: str) -> str | None:
    """``value`` if it is an http(s) IRI that pyoxigraph accepts, else None."""
    text = value.strip()
    if not re.match(r"^https?://[^\s/]", text, re.IGNORECASE):
        return None
    try:
        return ox.NamedNode(text).value
    except ValueError:
        return None


_HF_NON_REPOS = {
    "datasets", "spaces", "docs", "blog", "papers", "models", "organizations", "learn", "api", "tasks", "posts", "settings",
    "join", "login",
}


def huggingface_ref(url: str) -> tuple[str, str | None] | None:
    """(owner, "owner/name" or None) of a Hugging Face Hub link to a model repository, organisation or collection.

    >>> huggingface_ref("https://huggingface.co/BAAI/AquilaChat2-70B-Expr")
    ('BAAI', 'BAAI/AquilaChat2-70B-Expr')
    >>> huggingface_ref("https://huggingface.co/collections/swiss-ai/apertus-llm-68b6")
    ('swiss-ai', None)
    >>> huggingface_ref("https://huggingface.co/datasets/allenai/dolma") is None
    True
    """
    match = re.match(r"^https?://(?:www\.)?huggingface\.co/([^?#]*)", url.strip(), re.IGNORECASE)
    if not match:
        return None
    parts = [p for p in match.group(1).split("/") if p]
    if not parts:
        return None
    if parts[0] == "collections":
        return (parts[1], None) if len(parts) > 1 else None
    if parts[0] in _HF_NON_REPOS:
        return None
    return parts[0], (f"{parts[0]}/{parts[1]}" if len(parts) > 1 else None)


_HF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(/[A-Za-z0-9_.-]+)?$")


# -- the index ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Vocabulary:
    """The openness dimensions and classes, by the key the index's YAML files use."""

    dimensions: dict[str, str]  # notation -> concept IRI
    classes: dict[str, str]


def read_vocabulary(root: Path) -> Vocabulary:
    path = root / VOCABULARY
    if not path.is_file():
        raise UsageError(f"{path} is missing: the import maps the index's dimensions and classes with it")
    store = ox.Store()
    try:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    except SyntaxError as error:
        raise UsageError(f"{VOCABULARY} does not parse: {error}") from None

    def notations(scheme_prefix: str, leaves_only: bool) -> dict[str, str]:
        narrower = "FILTER EXISTS { ?concept skos:broader ?group }" if leaves_only else ""
        rows = store.query(
            f"SELECT ?concept ?notation WHERE {{ ?concept a skos:Concept ; skos:inScheme {scheme_prefix}:scheme ; "
            f"skos:notation ?notation . {narrower} }}",
            prefixes=PREFIXES,
        )
        return {row["notation"].value: row["concept"].value for row in rows}

    vocabulary = Vocabulary(notations("dimension", True), notations("openness", False))
    if not vocabulary.dimensions or set(vocabulary.classes) != {"open", "partial", "closed"}:
        raise UsageError(f"{VOCABULARY} lacks the openness dimensions or the classes open, partial and closed")
    return vocabulary


@dataclass(frozen=True)
class Judgement:
    dimension: str  # concept IRI
    openness: str  # class concept IRI
    evidence: tuple[str, ...]


@dataclass
class System:
    """One system file of the index, read and checked."""

    file: str  # the file's name in the index folder
    path: str  # as reported
    name: str
    link: str | None
    types: tuple[str, ...]
    base_model_name: str | None
    org_name: str | None
    org_link: str | None
    judgements: list[Judgement]
    weights_links: tuple[str, ...]  # end-model weights evidence: more exact ids of the system
    evidence_skipped: int = 0
    slug: str = ""

    @property
    def assessment(self) -> str:
        return ASSESSMENT_BASE + self.slug


def system_files(index_dir: Path) -> list[Path]:
    """The system files of an index folder: every .yaml/.yml file except the _parameters files."""
    files = [p for p in index_dir.iterdir() if p.is_file() and p.suffix.lower() in (".yaml", ".yml") and not p.name.startswith(("_", "."))]
    return sorted(files, key=lambda p: (p.name.casefold(), p.name))


def _links(value) -> tuple[list[str], int]:
    """The http(s) IRIs of a link value (a string or a list), and how many non-empty values were not."""
    items = value if isinstance(value, list) else [value]
    good, skipped = [], 0
    for item in items:
        text = _scalar(item)
        if text is None:
            continue
        iri = web_iri(text)
        if iri is None:
            skipped += 1
        elif iri not in good:
            good.append(iri)
    return good, skipped


def _line(node) -> tuple[int, int]:
    mark = getattr(node, "start_mark", None)
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def read_system(path: Path, display: str, vocabulary: Vocabulary) -> System | list[Problem]:
    """A system file read and checked, or the problems that make it unusable (with line and column)."""

    def problem(rule: str, message: str, line: int = 0, col: int = 0, severity: str = "error") -> Problem:
        return Problem(display, line, col, rule, message, severity)

    try:
        data_bytes = path.read_bytes()
    except OSError as error:
        return [problem("osai-yaml", f"cannot read the file: {error.strerror or error}")]
    if len(data_bytes) > MAX_FILE_BYTES:
        return [problem("osai-yaml", f"the file is {len(data_bytes)} bytes; a system file is a few KiB (limit {MAX_FILE_BYTES})")]
    try:
        text = data_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data_bytes[: error.start].count(b"\n") + 1
        return [problem("osai-yaml", "the file is not valid UTF-8: save it as UTF-8", line)]

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as error:
        mark, context = error.problem_mark or error.context_mark, error.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
        where = f" (line {context.line + 1}, column {context.column + 1})" if context is not None and context is not mark else ""
        what = f"{error.context}{where}: {error.problem}" if error.context else str(error.problem)
        return [problem("osai-yaml", f"not valid YAML: {what}", line, col)]
    except yaml.YAMLError as error:
        return [problem("osai-yaml", f"not valid YAML: {error}")]
    except RecursionError:
        return [problem("osai-yaml", "the file nests too deeply to read")]
    finally:
        loader.dispose()

    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        line, col = _line(node)
        return [problem("osai-structure", "a system file is a mapping with system:, org: and one entry per dimension", line or 1, col)]

    nodes = {}
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode):
            nodes.setdefault(key_node.value, (key_node, value_node))

    problems: list[Problem] = []
    for key_node, _ in node.value:
        key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
        if key in SYSTEM_KEYS or key in vocabulary.dimensions:
            continue
        line, col = _line(key_node)
        known = ", ".join(sorted(vocabulary.dimensions))
        message = f"unknown dimension {key!r}: the dimensions are {known} ({VOCABULARY})"
        problems.append(problem("osai-unknown-dimension", message, line, col))

    judgements: list[Judgement] = []
    evidence_skipped = 0
    weights_links: list[str] = []
    for notation, concept in sorted(vocabulary.dimensions.items(), key=lambda item: item[1]):
        if notation not in data:
            continue
        entry = data[notation]
        key_node, value_node = nodes[notation]
        if entry is None:
            continue  # not rated: not applicable
        if not isinstance(entry, dict):
            line, col = _line(value_node)
            problems.append(problem("osai-structure", f"{notation}: is a mapping with class:, link: and notes:", line, col))
            continue
        raw = entry.get("class")
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue  # left empty: not applicable
        value = raw.strip().casefold() if isinstance(raw, str) else None
        if value not in vocabulary.classes:
            class_node = next((v for k, v in value_node.value if isinstance(k, yaml.ScalarNode) and k.value == "class"), value_node)
            line, col = _line(class_node)
            message = f"unknown class {raw!r} for {notation}: use open, partial or closed (or leave it empty for not applicable)"
            problems.append(problem("osai-unknown-class", message, line, col))
            continue
        links, skipped = _links(entry.get("link"))
        evidence_skipped += skipped
        if notation == "weights_endmodel":
            weights_links = links
        judgements.append(Judgement(concept, vocabulary.classes[value], tuple(links)))

    system = data.get("system")
    org = data.get("org") if isinstance(data.get("org"), dict) else {}
    if data.get("system") is not None and not isinstance(system, dict):
        line, col = _line(nodes["system"][1])
        problems.append(problem("osai-structure", "system: is a mapping with name:, link:, basemodelname:, ...", line, col))
    if problems:
        return problems
    system = system or {}
    name = _scalar(system.get("name"))
    if name is None:
        line, col = _line(nodes["system"][0]) if "system" in nodes else (1, 1)
        return [problem("osai-no-name", "system: has no name: nothing to import (an unfilled template?)", line, col, "warning")]
    if not judgements:
        line, col = _line(nodes["system"][0]) if "system" in nodes else (1, 1)
        return [problem("osai-structure", "no dimension is rated open, partial or closed: nothing to import", line, col, "warning")]
    link = web_iri(_scalar(system.get("link")) or "")
    raw_types = _scalar(system.get("type")) or ""
    types = tuple(t for t in (_clean(part).casefold() for part in raw_types.split(",")) if t)
    base = _scalar(system.get("basemodelname"))
    if base is not None and base.casefold().strip(" ?.") in PLACEHOLDER_NAMES:
        base = None
    return System(
        file=path.name,
        path=display,
        name=name,
        link=link,
        types=types,
        base_model_name=base,
        org_name=_scalar(org.get("name")),
        org_link=web_iri(_scalar(org.get("link")) or ""),
        judgements=judgements,
        weights_links=tuple(weights_links),
        evidence_skipped=evidence_skipped,
    )


@dataclass(frozen=True)
class Snapshot:
    """What the import records about the snapshot it read."""

    version: str | None
    doi: str
    title: str
    record_date: str | None  # the date the Zenodo record gives for its upload
    licence: str
    creators: tuple[str, ...]
    digest: str  # sha256 over the system files' names and bytes


def snapshot_version(index_dir: Path) -> str | None:
    """The commit of the snapshot: from a git checkout of the index, or from a README beside it that says
    ``<folder name> ... commit <hash>`` (how shared/README.md records its snapshots)."""
    git = index_dir / ".git"
    head = git / "HEAD"
    if head.is_file():
        text = head.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("ref:"):
            ref = text[4:].strip()
            ref_file = git / ref
            if ref_file.is_file():
                text = ref_file.read_text(encoding="utf-8", errors="replace").strip()
            elif (git / "packed-refs").is_file():
                for line in (git / "packed-refs").read_text(encoding="utf-8", errors="replace").splitlines():
                    if line.endswith(" " + ref):
                        text = line.split()[0]
        if re.fullmatch(r"[0-9a-f]{40}", text):
            return text[:7]
    for folder in (index_dir, *list(index_dir.parents)[:3]):
        readme = folder / "README.md"
        if not readme.is_file():
            continue
        for line in readme.read_text(encoding="utf-8", errors="replace").splitlines():
            match = re.search(r"\bcommit ([0-9a-f]{7,40})\b", line)
            if match and (index_dir.name + "/") in line:
                return match.group(1)
    return None


def read_snapshot(index_dir: Path, files: list[Path], version: str | None) -> Snapshot:
    doi, title, date, licence, creators = INDEX_DOI, INDEX_TITLE, None, DEFAULT_LICENCE, ()
    zenodo = index_dir / ".zenodo.json"
    if zenodo.is_file():
        try:
            meta = json.loads(zenodo.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise UsageError(f"{zenodo} is not valid JSON: {error}") from None
        title = _clean(str(meta.get("title") or title))
        licence_id = (meta.get("license") or {}).get("id") if isinstance(meta.get("license"), dict) else meta.get("license")
        if licence_id:
            licence = LICENCES.get(str(licence_id), f"https://spdx.org/licenses/{licence_id}")
        creators = tuple(_clean(str(c["name"])) for c in meta.get("creators") or [] if isinstance(c, dict) and c.get("name"))
        found = re.search(r"point in time \((\d{4}-\d{2}-\d{2})\)", str(meta.get("description") or ""))
        date = found.group(1) if found else None
    for name in ("readme.md", "README.md"):
        readme = index_dir / name
        if readme.is_file():
            found = re.search(r"doi\.org/(10\.\d{4,9}/zenodo\.\d+)", readme.read_text(encoding="utf-8", errors="replace"))
            if found:
                doi = found.group(1)
                break
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return Snapshot(version or snapshot_version(index_dir), doi, title, date, licence, creators, digest.hexdigest())


# -- the atlas ---------------------------------------------------------------------------------------


@dataclass
class Entity:
    """A model or organisation of the atlas, as reconciliation sees it."""

    iri: str
    label: str
    keys: set[str] = field(default_factory=set)
    hf_ids: set[str] = field(default_factory=set)  # casefolded
    creators: set[str] = field(default_factory=set)


@dataclass
class AtlasView:
    models: dict[str, Entity]
    organizations: dict[str, Entity]
    taken: set[str]  # every atlas IRI in use

    def models_with_key(self, key: str) -> list[Entity]:
        return [m for m in self.models.values() if key in m.keys]


def read_atlas(root: Path) -> AtlasView:
    """The models and organisations of graph/ and of the other imports (never the file this job writes)."""
    store = ox.Store()
    problems: list[Problem] = []
    for source in source_files(root):
        if not source.relpath.startswith((GRAPH_DIR + "/", IMPORTS_DIR + "/")) or source.relpath == OUTPUT:
            continue
        loaded = load_file(source)
        problems += loaded.problems
        store.extend(ox.Quad(q.subject, q.predicate, q.object) for q in loaded.quads)
    if problems:
        raise InvalidData(problems, "the atlas does not load, so the import cannot reconcile with it: fix these files first")
    if not store.query("ASK { source:osai-index a atlas:Source }", prefixes=PREFIXES):
        raise UsageError(
            f"the checkout has no source {SOURCE}: add graph/source/{SOURCE_KEY}.ttl "
            f"(an atlas:Source with atlas:sourceKey \"{SOURCE_KEY}\")")

    def entities(cls: str, key) -> dict[str, Entity]:
        found: dict[str, Entity] = {}
        rows = store.query(
            f"""SELECT ?e ?p ?v WHERE {{
                ?e a {cls} ; ?p ?v .
                FILTER (?p IN (rdfs:label, skos:altLabel, atlas:huggingFaceId, atlas:createdBy))
                FILTER NOT EXISTS {{ ?e owl:deprecated true }}
            }}""",
            prefixes=PREFIXES,
        )
        for row in rows:
            iri, predicate, value = row["e"].value, row["p"].value, row["v"]
            entity = found.setdefault(iri, Entity(iri, ""))
            if predicate == LABEL:
                entity.label = entity.label or value.value
                entity.keys.add(key(value.value))
            elif predicate == SKOS + "altLabel":
                entity.keys.add(key(value.value))
            elif predicate == ATLAS + "huggingFaceId":
                entity.hf_ids.add(value.value.casefold())
            elif isinstance(value, ox.NamedNode):
                entity.creators.add(value.value)
        for entity in found.values():
            entity.keys.discard("")
            entity.label = entity.label or entity.iri
        return found

    taken = {row["s"].value for row in store.query("SELECT DISTINCT ?s WHERE { ?s ?p ?o . FILTER (isIRI(?s)) }")}
    return AtlasView(entities("atlas:Model", name_key), entities("atlas:Organization", org_key), taken)


# -- reconciliation ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Matched:
    file: str
    system: str
    assessment: str
    model: str
    how: str  # huggingface-id, huggingface-owner, name


@dataclass(frozen=True)
class Created:
    file: str
    system: str
    assessment: str
    model: str
    organizations: tuple[str, ...]  # the model's makers (atlas:createdBy)
    new_model: bool  # False when an earlier system of the import created the model
    new_organizations: tuple[str, ...]


@dataclass(frozen=True)
class Ambiguous:
    file: str
    system: str
    assessment: str
    candidates: tuple[str, ...]
    how: str


@dataclass
class NewOrganization:
    iri: str
    label: str
    evidence: str | None


@dataclass
class NewModel:
    iri: str
    label: str
    types: tuple[str, ...]
    link: str | None
    hf_id: str | None
    makers: dict[str, str | None]  # organisation IRI -> evidence of the createdBy claim


class _Reconciler:
    def __init__(self, atlas: AtlasView, systems: list[System]):
        self.atlas = atlas
        self.taken = set(atlas.taken)
        self.new_orgs: dict[str, NewOrganization] = {}  # org key -> created organisation
        self.new_models: dict[tuple, NewModel] = {}  # (name key, makers) -> created model
        # organisation names the index uses on their own: a part of "A and B" is split off only when it is one
        self.single_org_keys = {org_key(s.org_name) for s in systems if s.org_name}

    def unique_iri(self, kind: str, text: str, fallback: str) -> str:
        slug = slugify(text) or slugify(fallback) or kind
        iri, n = f"{BASE}{kind}/{slug}", 1
        while iri in self.taken:
            n += 1
            iri = f"{BASE}{kind}/{slug}-{n}"
        self.taken.add(iri)
        return iri

    def org_parts(self, name: str) -> list[str]:
        cleaned = _clean(re.sub(r"\([^)]*\)", " ", name))
        parts = [_clean(p) for p in re.split(r"\s+and\s+|\s*[,;&]\s*", cleaned) if _clean(p)]
        if len(parts) > 1 and any(self.atlas_orgs_named(p) or org_key(p) in self.single_org_keys for p in parts):
            return parts
        return [cleaned] if cleaned else []

    def atlas_orgs_named(self, name: str) -> list[str]:
        key = org_key(name)
        return sorted(o.iri for o in self.atlas.organizations.values() if key in o.keys)

    def hf_organizations(self, system: System) -> list[str]:
        owners = set()
        for url in (system.link, *system.weights_links):
            ref = huggingface_ref(url) if url else None
            if ref:
                owners.add(ref[0].casefold())
        return sorted(o.iri for o in self.atlas.organizations.values() if o.hf_ids & owners)

    def repos(self, system: System) -> set[str]:
        found = set()
        for url in (system.link, *system.weights_links):
            ref = huggingface_ref(url) if url else None
            if ref and ref[1]:
                found.add(ref[1].casefold())
        return found

    def resolve(self, system: System) -> Matched | Ambiguous | Created:
        key = name_key(system.name)
        # 1. exact identifiers
        repos = self.repos(system)
        by_id = sorted(m.iri for m in self.atlas.models.values() if m.hf_ids & repos)
        if len(by_id) == 1:
            return Matched(system.file, system.name, system.assessment, by_id[0], "huggingface-id")
        if by_id:
            return Ambiguous(system.file, system.name, system.assessment, tuple(by_id), "huggingface-id")
        # 2. the Hugging Face owner is an organisation of the atlas: its models, by name
        hf_orgs = self.hf_organizations(system)
        named = self.atlas.models_with_key(key)
        by_owner = sorted(m.iri for m in named if m.creators & set(hf_orgs))
        if len(by_owner) == 1:
            return Matched(system.file, system.name, system.assessment, by_owner[0], "huggingface-owner")
        # 3. the name, narrowed by the system's organisations when several models answer to it
        candidates = sorted(m.iri for m in named)
        if len(candidates) > 1:
            makers = set(hf_orgs) | {iri for part in self.org_parts(system.org_name or "") for iri in self.atlas_orgs_named(part)}
            narrowed = sorted(m.iri for m in named if m.creators & makers)
            if len(narrowed) == 1:
                return Matched(system.file, system.name, system.assessment, narrowed[0], "name")
            return Ambiguous(system.file, system.name, system.assessment, tuple(candidates), "name")
        if candidates:
            return Matched(system.file, system.name, system.assessment, candidates[0], "name")
        return self.create(system, key, hf_orgs)

    def create(self, system: System, key: str, hf_orgs: list[str]) -> Created:
        makers: dict[str, str | None] = {iri: system.org_link or system.link for iri in hf_orgs}
        new_orgs: list[str] = []
        parts = self.org_parts(system.org_name or "")
        for part in parts:
            found = self.atlas_orgs_named(part)
            if len(found) == 1:
                makers.setdefault(found[0], system.org_link or system.link)
                continue
            if found:
                continue  # several organisations of the atlas answer to this name: no link rather than a wrong one
            if hf_orgs and len(parts) == 1:
                continue  # the Hugging Face owner already names the maker
            okey = org_key(part)
            org = self.new_orgs.get(okey)
            if org is None:
                org = NewOrganization(self.unique_iri("organization", part, "organization"), part, system.org_link or system.link)
                self.new_orgs[okey] = org
                new_orgs.append(org.iri)
            makers.setdefault(org.iri, system.org_link or system.link)
        model_key = (key, tuple(sorted(makers)))
        model = self.new_models.get(model_key)
        new_model = model is None
        if model is None:
            ref = huggingface_ref(system.link) if system.link else None
            hf_id = ref[1] if ref and ref[1] and _HF_ID.match(ref[1]) else None
            model_iri = self.unique_iri("model", system.name, system.file.rsplit(".", 1)[0])
            model = NewModel(model_iri, system.name, system.types, system.link, hf_id, makers)
            self.new_models[model_key] = model
        return Created(system.file, system.name, system.assessment, model.iri, tuple(sorted(makers)), new_model, tuple(sorted(new_orgs)))


# -- the report --------------------------------------------------------------------------------------


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


@dataclass
class ImportReport:
    """What an import did: matched, created, ambiguous and skipped systems, and what it wrote."""

    index_dir: str
    output: str
    files: int = 0
    matched: list[Matched] = field(default_factory=list)
    created: list[Created] = field(default_factory=list)
    ambiguous: list[Ambiguous] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)
    judgements: int = 0
    evidence_links: int = 0
    evidence_skipped: int = 0
    base_model_names: int = 0
    models_created: int = 0
    organizations_created: int = 0
    version: str | None = None

    @property
    def imported(self) -> int:
        return len(self.matched) + len(self.created) + len(self.ambiguous)

    @property
    def skipped_files(self) -> list[str]:
        return sorted({p.path for p in self.skipped})

    @property
    def has_errors(self) -> bool:
        """True when a file was skipped for an error (a warning, such as the unfilled template, is not one)."""
        return any(p.severity == "error" for p in self.skipped)

    def summary(self) -> str:
        version = f" (snapshot {self.version})" if self.version else ""
        return (
            f"imported {self.imported} of {self.files} system files from {self.index_dir}{version} into {self.output}: "
            f"{len(self.matched)} matched, {len(self.created)} created ({_count(self.models_created, 'new model')}, "
            f"{_count(self.organizations_created, 'new organisation')}), {len(self.ambiguous)} ambiguous, "
            f"{len(self.skipped_files)} skipped; "
            f"{_count(self.judgements, 'judgement')} with {_count(self.evidence_links, 'evidence link')}"
        )

    def to_text(self) -> str:
        out = [self.summary()]
        if self.matched:
            out += ["", f"matched ({len(self.matched)}):"]
            out += [f"  {m.file}: {m.system} -> {compact(m.model)} [{m.how}]" for m in self.matched]
        if self.ambiguous:
            out += ["", f"ambiguous ({len(self.ambiguous)}), imported without atlas:assesses:"]
            out += [f"  {a.file}: {a.system} -> {' | '.join(compact(c) for c in a.candidates)} [{a.how}]" for a in self.ambiguous]
        if self.created:
            out += ["", f"created ({len(self.created)}):"]
            for c in self.created:
                model = compact(c.model) + (" (new)" if c.new_model else "")
                makers = ", ".join(compact(o) + (" (new)" if o in c.new_organizations else "") for o in c.organizations)
                makers = makers or "no organisation"
                out.append(f"  {c.file}: {c.system} -> {model}, created by {makers}")
        if self.skipped:
            out += ["", f"skipped ({len(self.skipped_files)}):"]
            out += ["  " + p.as_text() for p in sort_problems(self.skipped)]
        if self.evidence_skipped:
            out += ["", f"{self.evidence_skipped} evidence values were not http(s) IRIs and were left out"]
        return "\n".join(out) + "\n"


# -- Turtle ------------------------------------------------------------------------------------------

Term = ox.NamedNode | ox.Literal


def iri(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def text_en(value: str) -> ox.Literal:
    return ox.Literal(value, language="en")


class _Triples(list):
    """The triples of the import file, gathered for the canonical Turtle writer."""

    def add(self, subject: str, predicate: str, obj: Term) -> None:
        self.append(ox.Triple(ox.NamedNode(subject), ox.NamedNode(predicate), obj))


def _header(snapshot: Snapshot) -> str:
    version = f", snapshot of commit {snapshot.version}" if snapshot.version else ""
    return (
        "# Generated by `llm-atlas import osai` from the European Open Source AI Index: do not edit by hand, rerun the import.\n"
        f"# Data: {snapshot.title}, doi:{snapshot.doi}{version}; CC BY 4.0, by Liesenfeld, Dingemanse et al.\n"
        "# Criteria: Liesenfeld, A. and Dingemanse, M. (2024), Rethinking open source generative AI: open-washing and the\n"
        "# EU AI Act, FAccT '24. The index's judgements and evidence links are carried over; its notes are not.\n"
    )


ORGANIZATION_DESCRIPTION = "Organisation that the European Open Source AI Index names as the maker of a generative AI system it lists."


def _describe_model(model: NewModel) -> str:
    kinds = " and ".join(model.types)
    return f"Generative AI system{f' ({kinds})' if kinds else ''} listed in the European Open Source AI Index."


def build_turtle(systems: list[System], outcomes: list, reconciler: _Reconciler, snapshot: Snapshot) -> tuple[str, list[ox.Triple]]:
    """The import file: a header naming the source, then the triples in the canonical layout (proven lossless)."""
    out = _Triples()
    src, atlas = iri(SOURCE), ATLAS

    # the dataset
    doi = f"https://doi.org/{snapshot.doi}"
    out.add(DATASET, A, iri(PREFIXES["dcat"] + "Dataset"))
    out.add(DATASET, DCTERMS + "title", text_en("European Open Source AI Index (snapshot imported into the LLM Atlas)"))
    out.add(DATASET, DESCRIPTION, text_en(
        "Openness judgements of generative AI systems from the European Open Source AI Index, imported by `llm-atlas import osai`: "
        "one atlas:OpennessAssessment per system file, with one atlas:OpennessJudgement per rated dimension."))
    out.add(DATASET, DCTERMS + "source", iri(INDEX_URL))
    out.add(DATASET, DCTERMS + "isVersionOf", iri(doi))
    out.add(DATASET, DCTERMS + "license", iri(snapshot.licence))
    out.add(DATASET, DCTERMS + "identifier", ox.Literal("sha256:" + snapshot.digest))
    out.add(DATASET, DCTERMS + "bibliographicCitation", ox.Literal(
        f"{', '.join(snapshot.creators) or 'Liesenfeld, A., Dingemanse, M. et al.'}. {snapshot.title}. Zenodo. doi:{snapshot.doi}"))
    out.add(DATASET, DCTERMS + "bibliographicCitation", ox.Literal(PAPER_CITATION))
    for creator in snapshot.creators:
        out.add(DATASET, DCTERMS + "creator", ox.Literal(creator))
    if snapshot.version:
        out.add(DATASET, PREFIXES["owl"] + "versionInfo", ox.Literal(snapshot.version))
    out.add(doi, DCTERMS + "title", ox.Literal(snapshot.title))
    if snapshot.record_date:
        out.add(doi, DCTERMS + "issued", ox.Literal(snapshot.record_date, datatype=iri(XSD + "date")))

    # assessments and their judgements
    for system, outcome in sorted(zip(systems, outcomes), key=lambda pair: pair[0].slug):
        a = system.assessment
        out.add(a, A, iri(atlas + "OpennessAssessment"))
        out.add(a, LABEL, text_en(f"{system.name} in the European Open Source AI Index"))
        out.add(a, atlas + "source", src)
        out.add(a, DCTERMS + "isPartOf", iri(DATASET))
        if not isinstance(outcome, Ambiguous):
            out.add(a, atlas + "assesses", iri(outcome.model))
        if system.base_model_name:
            out.add(a, BASE_MODEL_NAME, ox.Literal(system.base_model_name))
        for judgement in sorted(system.judgements, key=lambda j: j.dimension):
            j = f"{a}#{judgement.dimension.rsplit('/', 1)[1]}"
            out.add(a, atlas + "judgement", iri(j))
            out.add(j, A, iri(atlas + "OpennessJudgement"))
            out.add(j, atlas + "opennessDimension", iri(judgement.dimension))
            out.add(j, atlas + "opennessClass", iri(judgement.openness))
            for link in judgement.evidence:
                out.add(j, atlas + "evidence", iri(link))

    # organisations and models the atlas did not have
    for org in sorted(reconciler.new_orgs.values(), key=lambda o: o.iri):
        out.add(org.iri, A, iri(atlas + "Organization"))
        out.add(org.iri, LABEL, text_en(org.label))
        out.add(org.iri, DESCRIPTION, text_en(ORGANIZATION_DESCRIPTION))
        out.add(org.iri, atlas + "inSample", ox.Literal("false", datatype=iri(XSD + "boolean")))
        out.add(org.iri, atlas + "source", src)
        out.add(org.iri, atlas + "importedFrom", src)
        if org.evidence:
            out.add(org.iri, atlas + "evidence", iri(org.evidence))
    for model in sorted(reconciler.new_models.values(), key=lambda m: m.iri):
        m = model.iri
        out.add(m, A, iri(atlas + "Model"))
        out.add(m, LABEL, text_en(model.label))
        out.add(m, DESCRIPTION, text_en(_describe_model(model)))
        out.add(m, atlas + "source", src)
        out.add(m, atlas + "importedFrom", src)
        if model.link:
            out.add(m, atlas + "evidence", iri(model.link))
            out.add(m, PREFIXES["schema"] + "url", iri(model.link))
        claims = []
        for maker, evidence in sorted(model.makers.items()):
            out.add(m, atlas + "createdBy", iri(maker))
            claims.append((f"{m}#createdby-{maker.rsplit('/', 1)[1]}", atlas + "createdBy", iri(maker), evidence))
        if model.hf_id:
            out.add(m, atlas + "huggingFaceId", ox.Literal(model.hf_id))
            claims.append((f"{m}#huggingfaceid", atlas + "huggingFaceId", ox.Literal(model.hf_id), model.link))
        for claim, predicate, obj, evidence in sorted(claims, key=lambda c: c[0]):
            out.add(claim, A, iri(atlas + "StatementClaim"))
            out.add(claim, RDF + "subject", iri(m))
            out.add(claim, RDF + "predicate", iri(predicate))
            out.add(claim, RDF + "object", obj)
            out.add(claim, atlas + "source", src)
            out.add(claim, atlas + "confidence", iri(PREFIXES["confidence"] + "stated"))
            if evidence:
                out.add(claim, atlas + "evidence", iri(evidence))
    return _header(snapshot) + "\n" + serialize(out, OUTPUT), out


# -- the job -----------------------------------------------------------------------------------------


def import_osai(index_dir: Path, root: Path, *, version: str | None = None) -> ImportReport:
    """Import the European Open Source AI Index at ``index_dir`` into ``root``/imports/osai-index.ttl.

    ``version`` names the snapshot (a commit) when the folder does not say it (see :func:`snapshot_version`).
    Raises :class:`UsageError` when the folder has no system files or the checkout lacks the vocabulary or
    the source, and :class:`InvalidData` when the atlas itself does not load. Files of the index that
    cannot be used are in the report's ``skipped``, never raised.
    """
    index_dir, root = Path(index_dir), Path(root)
    if not index_dir.is_dir():
        raise UsageError(f"{index_dir} is not a folder: give the folder of the index's YAML files")
    files = system_files(index_dir)
    if not files:
        raise UsageError(f"{index_dir} has no .yaml system files: is it the index's database folder?")
    vocabulary = read_vocabulary(root)
    atlas = read_atlas(root)
    snapshot = read_snapshot(index_dir, files, version)

    report = ImportReport(index_dir.as_posix(), OUTPUT, files=len(files), version=snapshot.version)
    systems: list[System] = []
    for path in progress(files, desc="import osai"):
        result = read_system(path, path.as_posix(), vocabulary)
        if isinstance(result, list):
            report.skipped += result
        else:
            systems.append(result)
    report.skipped = sort_problems(report.skipped)

    slugs: set[str] = set()
    for system in systems:
        base = slugify(system.file.rsplit(".", 1)[0]) or slugify(system.name) or "system"
        slug, n = base, 1
        while slug in slugs:
            n += 1
            slug = f"{base}-{n}"
        slugs.add(slug)
        system.slug = slug

    reconciler = _Reconciler(atlas, systems)
    outcomes = [reconciler.resolve(system) for system in systems]
    for outcome in outcomes:
        if isinstance(outcome, Matched):
            report.matched.append(outcome)
        elif isinstance(outcome, Ambiguous):
            report.ambiguous.append(outcome)
        else:
            report.created.append(outcome)
    report.models_created = len(reconciler.new_models)
    report.organizations_created = len(reconciler.new_orgs)
    report.judgements = sum(len(s.judgements) for s in systems)
    report.evidence_links = sum(len(j.evidence) for s in systems for j in s.judgements)
    report.evidence_skipped = sum(s.evidence_skipped for s in systems)
    report.base_model_names = sum(1 for s in systems if s.base_model_name)

    text, _ = build_turtle(systems, outcomes, reconciler, snapshot)
    atomic_write_text(root / OUTPUT, text)
    return report


__all__ = ["import_osai", "ImportReport", "Matched", "Created", "Ambiguous", "name_key", "org_key", "OUTPUT"]
