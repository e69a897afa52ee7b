"""The European Open Source AI Index: openness assessments of generative AI systems, on the shared import design.

The index (Liesenfeld, Dingemanse et al.; CC BY 4.0, doi:10.5281/zenodo.15386042) keeps one YAML file per system,
rating it open, partial or closed on a dozen openness dimensions, each with evidence links. One record per system
file (``llm-atlas import osai-index PATH``, alias ``osai``), whose subject is the release the index assesses:

- the release is named by its Hub id (the system's link, else its end-model weights link), the index's name for
  the end model (``endmodelname``, else the system's name) and its maker, and reconciled like any other release
  (a Hub id finds the Hub's release; a name finds a release only with its maker). An assessment is about a
  release, never a family: a family of the atlas the system's name picks out (versions and sizes dropped, as the
  index names systems by family and version) is linked with atlas:inFamily, unless the family's makers are known
  and are not the system's (a fine-tune by another maker keeps the family's name); several such families, or
  one made elsewhere, are listed for review (atlas:candidate), never chosen;
- what the file states about the release: its licence (``endmodellicense``, resolved with the ScanCode index,
  the spelling kept), release date (xsd:gYearMonth as the index gives it), base model (a release, by the Hub id
  of the base-model weights link, else by name; the index's own name is kept as atlas:baseModelName), makers;
- makers: the organisation named by the Hub owner of the system's links, else each organisation of ``org:``
  ("A and B" split when a part is known), matched by name or created. A maker that is a project of the atlas
  (BigCode) is linked as the project that releases it (atlas:releases), never minted as an organisation; a
  maker the index tags as an individual is no organisation either: the name is kept as atlas:creatorName;
- the record owns the atlas:OpennessAssessment (its IRI, ``import/osai-index/<file>``, is the one the earlier
  import published) with one atlas:OpennessJudgement per rated dimension (the index's http(s) evidence links),
  the base model's name, and the index's organisation tags (national origin, contributor type), which the
  files carry as comments.

The index's notes are prose of its authors and are not carried over. A file that is not valid YAML, names an
unknown dimension or gives an unknown class is skipped with its path, line and column (osai-* rules).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import yaml

from ..errors import Problem, UsageError
from ..namespaces import BASE, PREFIXES
from .base import ATLAS, DCTERMS, RDF, RDFS, XSD, Importer, Record, Ref, Snapshot, literal, web_iri
from .hf_hub import HF_ID
from .licences import licence_facts
from .reconcile import find_agent, org_key
from .snapshots import git_version

SOURCE_KEY = "osai-index"
ASSESSMENT_BASE = BASE + "import/" + SOURCE_KEY + "/"
VOCABULARY = "ontology/vocabularies/openness.ttl"
INDEX_URL = "https://osai-index.eu/"
INDEX_DOI = "10.5281/zenodo.15386042"
INDEX_TITLE = "European Open Source AI Index database"
REPOSITORY = "https://github.com/Language-Technology-Assessment/main-database"
CC_BY_4 = "https://creativecommons.org/licenses/by/4.0/"
PAPER_CITATION = (
    "Liesenfeld, A. and Dingemanse, M. (2024). Rethinking open source generative AI: open-washing and the EU AI Act. "
    "In Proceedings of the 2024 ACM Conference on Fairness, Accountability, and Transparency (FAccT '24), pp. 1774-1787. "
    "doi:10.1145/3630106.3659005"
)
MAX_FILE_BYTES = 1024 * 1024  # a system file is a few KiB
SCHEMA = "https://schema.org/"
PLACEHOLDER_NAMES = {"", "unknown", "undisclosed", "none", "n/a", "na", "not applicable", "-"}
SYSTEM_KEYS = ("system", "org")
# The organisation tags the files carry as comments ("# - National origin: United States").
TAGS = {"origin": r"^#\s*-\s*National origin:\s*(\S.*)$", "contributor": r"^#\s*-\s*Contributor type:\s*(\S.*)$"}
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


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



def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _scalar(value) -> str | None:
    """A YAML scalar as text (None for empty values and for containers)."""
    if value is None or isinstance(value, (dict, list)):
        return None
    text = _clean(str(value))
    return text or None



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


# Earlier layouts of the system files (the index's history, see llm_atlas.importers.osai_history), by the key that
# shows them: 2023-2024 files describe a ``project:`` with dimensions named after the first paper (llmdata,
# rlweights, ...); the "yaml 2.0" files of October 2024 nest ``datasources:`` and ``weights:``; ``architecture``
# became ``hardware_architecture`` in 2025. Read with ``old_layouts``, each is renamed to the current key,
# keeping its line, so that one reader and one vocabulary serve every state of the history.
OLD_KEYS = {"project": "system", "opencode": "trainingcode", "llmdata": "datasources_basemodel",
            "llmweights": "weights_basemodel", "rldata": "datasources_endmodel", "rlweights": "weights_endmodel",
            "license": "licenses", "architecture": "hardware_architecture"}
OLD_SYSTEM_KEYS = {"llmbase": "basemodelname", "license": "endmodellicense"}


def upgrade_layout(node) -> tuple[object, str]:
    """A system file's YAML mapping node with the keys of an earlier layout renamed to the current ones, and which
    layout it was ("current", "project" for the 2023-2024 layout, "nested" for yaml 2.0, "architecture")."""
    if not isinstance(node, yaml.MappingNode):
        return node, "current"
    keys = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    layout = "project" if "project" in keys else "current"
    pairs = []
    for key, value in node.value:
        if not isinstance(key, yaml.ScalarNode):
            pairs.append((key, value))
            continue
        nested = isinstance(value, yaml.MappingNode) and key.value not in ("system", "org", "project") and value.value and all(
            isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.MappingNode) for k, v in value.value)
        if nested:  # datasources: {basemodel: {class: ...}} -> datasources_basemodel: {class: ...}
            layout = "nested" if layout == "current" else layout
            for sub_key, sub_value in value.value:
                pairs.append((yaml.ScalarNode(sub_key.tag, f"{key.value}_{sub_key.value}", sub_key.start_mark, sub_key.end_mark), sub_value))
            continue
        name = OLD_KEYS.get(key.value, key.value)
        if name == "licenses" and not isinstance(value, yaml.MappingNode):
            name = key.value
        if key.value == "architecture" and layout == "current":
            layout = "architecture"
        if name in ("system",) and isinstance(value, yaml.MappingNode) and key.value == "project":
            value = yaml.MappingNode(value.tag, [
                (yaml.ScalarNode(k.tag, OLD_SYSTEM_KEYS.get(k.value, k.value), k.start_mark, k.end_mark) if isinstance(k, yaml.ScalarNode) else k, v)
                for k, v in value.value], value.start_mark, value.end_mark)
        pairs.append((yaml.ScalarNode(key.tag, name, key.start_mark, key.end_mark) if name != key.value else key, value))
    return yaml.MappingNode(node.tag, pairs, node.start_mark, node.end_mark), layout


def read_system(path: Path, display: str, vocabulary: Vocabulary) -> System | list[Problem]:
    """A system file read and checked, or the problems that make it unusable (with line and column)."""
    try:
        data_bytes = path.read_bytes()
    except OSError as error:
        return [Problem(display, 0, 0, "osai-yaml", f"cannot read the file: {error.strerror or error}")]
    return read_system_bytes(data_bytes, path.name, display, vocabulary)


def read_system_bytes(data_bytes: bytes, file: str, display: str, vocabulary: Vocabulary, *, old_layouts: bool = False,
                      layouts: dict | None = None) -> System | list[Problem]:
    """A system file's bytes read and checked (``file``: its name in the index); ``old_layouts``: earlier layouts of
    the files are read too (:func:`upgrade_layout`), counted by layout in ``layouts``."""

    def problem(rule: str, message: str, line: int = 0, col: int = 0, severity: str = "error") -> Problem:
        return Problem(display, line, col, rule, message, severity)

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
        if old_layouts and node is not None:
            node, layout = upgrade_layout(node)
            if layouts is not None:
                layouts[layout] = layouts.get(layout, 0) + 1
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
    base_links: list[str] = []
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
        if notation == "weights_basemodel":
            base_links = links
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
    org_links, _ = _links(org.get("link"))
    licence = _scalar(system.get("endmodellicense")) or _scalar(system.get("endmodel license"))
    tags = {key: match.group(1).strip() for key, pattern in TAGS.items() if (match := re.search(pattern, text, re.MULTILINE))}
    return System(
        file=file,
        path=display,
        line=_line(nodes["system"][0])[0] if "system" in nodes else 1,
        name=name,
        link=link,
        types=types,
        base_model_name=base,
        end_model_name=_scalar(system.get("endmodelname")),
        licence=licence,
        release_date=_scalar(system.get("releasedate")),
        org_name=_scalar(org.get("name")),
        org_links=tuple(org_links),
        judgements=judgements,
        weights_links=tuple(weights_links),
        base_links=tuple(base_links),
        origin=tags.get("origin"),
        contributor_type=tags.get("contributor"),
        evidence_skipped=evidence_skipped,
    )


@dataclass
class System:
    """One system file of the index, read and checked."""

    file: str  # the file's name in the index folder
    path: str  # as reported
    line: int  # of system:
    name: str
    link: str | None
    types: tuple[str, ...]
    base_model_name: str | None
    end_model_name: str | None
    licence: str | None
    release_date: str | None
    org_name: str | None
    org_links: tuple[str, ...]
    judgements: list[Judgement]
    weights_links: tuple[str, ...]  # end-model weights evidence: the release's Hub repository
    base_links: tuple[str, ...]  # base-model weights evidence: the base release's Hub repository
    origin: str | None = None
    contributor_type: str | None = None
    evidence_skipped: int = 0


def system_files(index_dir: Path) -> list[Path]:
    """The system files of an index folder: every .yaml/.yml file except the _parameters files."""
    files = [p for p in index_dir.iterdir() if p.is_file() and p.suffix.lower() in (".yaml", ".yml") and not p.name.startswith(("_", "."))]
    return sorted(files, key=lambda p: (p.name.casefold(), p.name))


def assessment_slug(file: str) -> str:
    """The slug of a system file's assessment IRI, as the first import of the index minted it (asides dropped).

    >>> assessment_slug("Stable Diffusion (SDXL).yaml"), assessment_slug("Gamma Chat.yaml")
    ('stable-diffusion', 'gamma-chat')
    """
    return "-".join(re.findall(r"[a-z0-9]+", _fold(file.rsplit(".", 1)[0]).replace("'", "")))


def release_date(text: str | None) -> ox.Literal | None:
    """The index's release date as precisely as it gives it: "2024-01" or "2024 NOV" (xsd:gYearMonth), a day, a year.

    >>> [str(release_date(t)) for t in ("2024-01", "2024 NOV", "2023-05-17", "2022")]  # doctest: +NORMALIZE_WHITESPACE
    ['"2024-01"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>', '"2024-11"^^<http://www.w3.org/2001/XMLSchema#gYearMonth>',
     '"2023-05-17"^^<http://www.w3.org/2001/XMLSchema#date>', '"2022"^^<http://www.w3.org/2001/XMLSchema#gYear>']
    >>> release_date("soon") is None
    True
    """
    value = (text or "").strip()
    if re.fullmatch(r"(19|20)\d\d-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])", value):
        return literal(value, XSD + "date")
    if re.fullmatch(r"(19|20)\d\d-(0[1-9]|1[0-2])", value):
        return literal(value, XSD + "gYearMonth")
    match = re.fullmatch(r"((?:19|20)\d\d)[ -]([A-Za-z]{3})[A-Za-z]*", value)
    if match and match.group(2).casefold() in _MONTHS:
        return literal(f"{match.group(1)}-{_MONTHS[match.group(2).casefold()]:02d}", XSD + "gYearMonth")
    if re.fullmatch(r"(19|20)\d\d", value):
        return literal(value, XSD + "gYear")
    return None


def hub_repo(url: str | None) -> str:
    """The Hub id of a model repository link ("" for anything else)."""
    ref = huggingface_ref(url) if url else None
    return ref[1] if ref and ref[1] and HF_ID.match(ref[1]) else ""


class OsaiImporter(Importer):
    source = SOURCE_KEY
    title = "the European Open Source AI Index"
    precedence = 60
    reads = (VOCABULARY,)  # the openness dimensions and classes the index's judgements name

    # -- the snapshot ----------------------------------------------------------------------------------------

    def snapshot(self, path: Path, version: str | None) -> Snapshot:
        if not path.is_dir():
            raise UsageError(f"{path} is not a folder: give the folder of the index's YAML files")
        if not system_files(path):
            raise UsageError(f"{path} has no .yaml system files: is it the index's database folder?")
        title, creators, issued = INDEX_TITLE, (), ""
        zenodo = path / ".zenodo.json"
        if zenodo.is_file():
            try:
                meta = json.loads(zenodo.read_text(encoding="utf-8"))
            except (OSError, ValueError) as error:
                raise UsageError(f"{zenodo} is not valid JSON: {error}") from None
            title = _clean(str(meta.get("title") or title))
            creators = tuple(_clean(str(c["name"])) for c in meta.get("creators") or [] if isinstance(c, dict) and c.get("name"))
            found = re.search(r"point in time \((\d{4}-\d{2}-\d{2})\)", str(meta.get("description") or ""))
            issued = found.group(1) if found else ""
        doi = INDEX_DOI
        for name in ("readme.md", "README.md"):
            if (path / name).is_file():
                found = re.search(r"doi\.org/(10\.\d{4,9}/zenodo\.\d+)", (path / name).read_text(encoding="utf-8", errors="replace"))
                if found:
                    doi = found.group(1)
                    break
        return Snapshot(
            source=self.source, title=title, version=version or git_version(path) or "unknown", license=CC_BY_4,
            citations=(f"{', '.join(creators) or 'Liesenfeld, A., Dingemanse, M. et al.'}. {title}. Zenodo. doi:{doi}", PAPER_CITATION),
            homepage=INDEX_URL, creators=creators, issued=issued,
        )

    # -- what the atlas has ----------------------------------------------------------------------------------

    def prepare(self, index) -> None:
        self._index = index
        self._vocabulary = read_vocabulary(index.root)
        self._families = [e for e in index.entities.values() if e.kind == "model-family"]

    def _families_named(self, system: System, makers: set[str]) -> list[str]:
        """The families of the atlas the system's name (or its end model's) picks out, versions dropped; several are
        narrowed by the system's makers."""
        keys = {name_key(n) for n in (system.name, system.end_model_name) if n} - {""}
        found = sorted(f.iri for f in self._families if keys & {name_key(n) for n in {f.label, *f.names} if n})
        if len(found) > 1 and makers:
            narrowed = [f for f in found if self._index.entities[f].creators & makers]
            if narrowed:
                return narrowed
        return found

    def _made_elsewhere(self, family: str, makers: set[str]) -> bool:
        """Whether the family's makers and the system's are both known and differ: a fine-tune by another maker that
        keeps the family's name is not a release of the family, so the name only proposes it."""
        creators = self._index.entities[family].creators
        return bool(creators and makers and not (creators & makers))

    def _agent(self, name: str, hf_namespace: str = "") -> tuple[str, str] | None:
        return find_agent(self._index, name, hf_namespace)

    # -- the records -----------------------------------------------------------------------------------------

    def records(self, path: Path) -> Iterator[Record | Problem]:
        systems: list[System] = []
        for file in system_files(path):
            result = read_system(file, file.name, self._vocabulary)
            if isinstance(result, list):
                yield from result
            else:
                systems.append(result)
        # organisation names the index uses on their own: a part of "A and B" is split off only when it is one
        self._single = {org_key(s.org_name) for s in systems if s.org_name}
        version = git_version(path) or "main"
        slugs: set[str] = set()
        for system in systems:
            base = assessment_slug(system.file) or "system"
            slug, n = base, 1
            while slug in slugs:
                n += 1
                slug = f"{base}-{n}"
            slugs.add(slug)
            yield self._record(system, slug, version)

    def _org_parts(self, name: str) -> list[str]:
        cleaned = _clean(re.sub(r"\([^)]*\)", " ", name))
        parts = [_clean(p) for p in re.split(r"\s+and\s+|\s*[,;&]\s*", cleaned) if _clean(p)]
        if len(parts) > 1 and any(self._agent(p) or org_key(p) in self._single for p in parts):
            return parts
        return [cleaned] if cleaned else []

    def _makers(self, system: System) -> tuple[list[Ref], list[str], list[str]]:
        """(organisations, projects, names of individuals) that make the system."""
        individual = "individual" in (system.contributor_type or "").casefold()
        orgs: list[Ref] = []
        projects: list[str] = []
        people: list[str] = []
        # the Hub owner of the system's own links, when the atlas knows it, names the maker
        owners = sorted({hub_repo(u).split("/")[0] for u in (system.link, *system.weights_links) if hub_repo(u)}, key=str.casefold)
        for owner in owners:
            agent = self._agent("", owner)
            if agent and agent[0] == "organization":
                orgs.append(Ref("organization", name=self._index.entities[agent[1]].label or owner, iri=agent[1]))
            elif agent:
                projects.append(agent[1])
        parts = self._org_parts(system.org_name or "")
        for part in parts:
            agent = self._agent(part)
            if agent and agent[0] == "organization":
                ref = Ref("organization", name=part, iri=agent[1])
                if ref.iri not in {o.iri for o in orgs}:
                    orgs.append(ref)
            elif agent:
                if agent[1] not in projects:
                    projects.append(agent[1])
            elif individual:
                people.append(part)  # a person is never typed as an organisation
            elif not (orgs or projects) or len(parts) > 1:
                hf_namespace = next((hub_repo(u) or "" for u in system.org_links if hub_repo(u)), "").split("/")[0]
                orgs.append(Ref("organization", name=part, hf_id=hf_namespace if hf_namespace else ""))
        return orgs, projects, people

    def _record(self, system: System, slug: str, version: str) -> Record:
        orgs, projects, people = self._makers(system)
        hf_id = hub_repo(system.link) or next((hub_repo(u) for u in system.weights_links if hub_repo(u)), "")
        name = system.end_model_name or system.name
        subject = Ref("model-release", name=name, hf_id=hf_id, creator=orgs[0] if orgs else None)
        record = Record(key=slug, location=f"{system.path}:{system.line}", evidence=f"{REPOSITORY}/blob/{version}/{quote(system.file)}",
                        subject=subject, description=self._describe(system))
        if hf_id:
            record.add(ATLAS + "huggingFaceId", literal(hf_id))
        if system.link:
            record.add(SCHEMA + "url", ox.NamedNode(system.link))
        licence_facts(record, system.licence)
        record.add(ATLAS + "releaseDate", release_date(system.release_date))
        for org in orgs:
            record.add(ATLAS + "createdBy", org)
        for person in people:
            record.add(ATLAS + "creatorName", literal(person))
        for project in projects:
            record.about.append((Ref("project", name=project.rsplit("/", 1)[-1], iri=project), ATLAS + "releases", subject))
        families = self._families_named(system, {o.iri for o in orgs if o.iri})
        if len(families) == 1 and not self._made_elsewhere(families[0], {o.iri for o in orgs if o.iri}):
            record.add(ATLAS + "inFamily", Ref("model-family", name=system.name, iri=families[0]))
        else:
            record.candidates.extend(families)
        base = self._base(system, subject)
        if base is not None:
            record.add(ATLAS + "baseModel", base)
        record.nodes.extend(self._assessment(system, slug, subject))
        return record

    @staticmethod
    def _describe(system: System) -> str:
        kinds = " and ".join(system.types)
        return f"Release of a generative AI system{f' ({kinds})' if kinds else ''} that the European Open Source AI Index assesses."

    @staticmethod
    def _base(system: System, subject: Ref) -> Ref | None:
        """The base release: by the Hub id of the base-model weights link, else by the index's name; none when the
        system is its own base (a pretrained model names itself)."""
        name = system.base_model_name
        hf_id = next((hub_repo(u) for u in system.base_links if hub_repo(u)), "")
        if subject.hf_id and hf_id.casefold() == subject.hf_id.casefold():
            hf_id = ""
        if not hf_id and (not name or name_key(name) == name_key(subject.name) and _clean(name).casefold() == _clean(subject.name).casefold()):
            return None
        return Ref("model-release", name=name or hf_id, hf_id=hf_id)

    def _assessment(self, system: System, slug: str, subject: Ref) -> list[tuple[str, list]]:
        iri = ASSESSMENT_BASE + slug
        facts: list = [
            (RDF + "type", ox.NamedNode(ATLAS + "OpennessAssessment")),
            (RDFS + "label", literal(f"{system.name} in the European Open Source AI Index", language="en")),
            (ATLAS + "source", ox.NamedNode(BASE + "source/" + SOURCE_KEY)),
            (DCTERMS + "isPartOf", ox.NamedNode(BASE + "import/" + SOURCE_KEY)),
            (ATLAS + "assesses", subject),
        ]
        if system.base_model_name:
            facts.append((ATLAS + "baseModelName", literal(system.base_model_name)))
        if system.origin:
            facts.append((ATLAS + "nationalOrigin", literal(system.origin)))
        if system.contributor_type:
            facts.append((ATLAS + "contributorType", literal(system.contributor_type)))
        nodes = [(iri, facts)]
        for judgement in sorted(system.judgements, key=lambda j: j.dimension):
            node = f"{iri}#{judgement.dimension.rsplit('/', 1)[1]}"
            facts.append((ATLAS + "judgement", ox.NamedNode(node)))
            nodes.append((node, [(RDF + "type", ox.NamedNode(ATLAS + "OpennessJudgement")),
                                 (ATLAS + "opennessDimension", ox.NamedNode(judgement.dimension)),
                                 (ATLAS + "opennessClass", ox.NamedNode(judgement.openness)),
                                 *((ATLAS + "evidence", ox.NamedNode(link)) for link in judgement.evidence)]))
        return nodes
