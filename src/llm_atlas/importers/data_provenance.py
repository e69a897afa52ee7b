"""The Data Provenance Collection: fine-tuning datasets audited for creators, licences and lineage.

Reads ``data_summaries/*.json`` of a clone of Data-Provenance-Initiative/Data-Provenance-Collection (Apache-2.0):
one JSON file per collection, an object whose members are the collection's datasets. One record per dataset
(file:line of its key). What the collection audits is a dataset *as a collection takes it*: the entries of the
Flan Collection, xP3x or Tasksource are the source datasets they reformat (cos_e, cmrc2018), their Hub link,
paper, creators and licences are the source's, and the subsets of one Hub repository (CommitPackFT's 277
languages, the Aya Dataset's 71) are entries of their own. So an entry is reconciled to the dataset it names:
its Hugging Face id first (a Hub dataset page), then its arXiv id, its GitHub repository, its name with its
first creator; entries that name one Hub repository describe that one dataset, and their licences add up
(:attr:`Importer.additive`: each subset states its own, the repository carries them all).

What each record states about its dataset:

- creators -> atlas:createdBy, organisations matched by name or created (the collection's template asks for
  institutions, never people); a creator that is a project of the atlas (BigCode) is not minted as an
  organisation: the record states that the project builds the dataset (atlas:builds);
- each licence -> atlas:license (resolved with :func:`.licences.resolve`; "Unspecified" states none) and its
  spelling, and an atlas:LicenseStatement node keeping what the collection says about that licence: the page
  it is stated on (atlas:evidence) and who verified it (atlas:verifiedBy, a name: the atlas describes no people);
- derived-from datasets -> atlas:derivedFrom, by Hub URL, else by the name of a dataset or collection of the
  snapshot, else by name (an entity known only by reference, candidates of the same name listed for review);
- the models that generated it -> atlas:modelGenerated true (when the list names a model, not only
  "templates"; an empty list is not stated as false) and atlas:generatedWith, each model as the collection
  names it;
- its Hugging Face id, arXiv id and GitHub repository.

A collection whose datasets are several Hub repositories or papers (xP3x, the Flan Collection's five parts,
Tasksource) is a dataset of its own with a record of its own (atlas:derivedFrom each of its datasets); one
whose entries all name one repository (CommitPackFT) is that dataset. The collection's licence notes and
descriptions are its annotators' prose and are not carried over; its "Inferred Metadata" (automatic crawls)
is not either.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from ..errors import Problem
from .base import ATLAS, RDF, XSD, Importer, Record, Ref, Snapshot, literal, web_iri
from .hf_hub import HF_ID
from .licences import resolve
from .reconcile import find_agent
from .snapshots import git_version

FOLDER = "data_summaries"
REPOSITORY = "https://github.com/Data-Provenance-Initiative/Data-Provenance-Collection"
REQUIRED = ("Unique Dataset Identifier", "Dataset Name", "Collection")
_HF_DATASET = re.compile(r"^(?:https?://)?(?:www\.)?(?:huggingface\.co|hf\.co)/datasets/([^?#]+)", re.IGNORECASE)
_ARXIV = re.compile(r"arxiv\.org/(?:abs|pdf)/([0-9]{4}\.[0-9]{4,5})(?:v[0-9]+)?", re.IGNORECASE)
_GITHUB = re.compile(r"^https?://(?:www\.)?github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)", re.IGNORECASE)
NOT_A_MODEL = {"templates"}  # the collection's word for data made from templates, not by a model
UNNAMED_MODEL = {"other"}  # a model the collection does not name


def hf_dataset_id(url: str) -> str:
    """The Hub id of a dataset page URL ("" when the URL is not one).

    >>> hf_dataset_id("https://huggingface.co/datasets/tatsu-lab/alpaca/viewer/default"), hf_dataset_id("https://hf.co/datasets/cos_e")
    ('tatsu-lab/alpaca', 'cos_e')
    >>> hf_dataset_id("https://huggingface.co/ai4privacy")
    ''
    """
    match = _HF_DATASET.match((url or "").strip())
    if not match:
        return ""
    parts = [p for p in match.group(1).split("/") if p]
    if not parts:
        return ""
    # owner/name, or a canonical dataset without owner (cos_e, squad); what follows is a path inside the repository
    hf_id = "/".join(parts[:2]) if len(parts) >= 2 and parts[1] not in ("viewer", "blob", "tree", "resolve", "discussions") else parts[0]
    return hf_id if HF_ID.match(hf_id) else ""


def github_repo(url: str) -> str:
    """The repository of a GitHub URL (a file or tree inside it names the repository).

    >>> github_repo("https://github.com/facebookarchive/bAbI-tasks/blob/master/LICENSE.md")
    'https://github.com/facebookarchive/bAbI-tasks'
    """
    match = _GITHUB.match((url or "").strip())
    if not match:
        return ""
    owner, name = match.group(1), re.sub(r"\.git$", "", match.group(2))
    return f"https://github.com/{owner}/{name}" if name else ""


def arxiv_id(url: str) -> str:
    match = _ARXIV.search(url or "")
    return match.group(1) if match else ""


def _text(value) -> str:
    return re.sub(r"\s+", " ", value).strip() if isinstance(value, str) else ""


def _texts(value) -> list[str]:
    if not isinstance(value, list):
        return []
    seen: list[str] = []
    for item in value:
        text = _text(item)
        if text and text not in seen:
            seen.append(text)
    return seen


@dataclass
class Entry:
    file: str  # display path of the JSON file
    stem: str  # the file's name without .json
    line: int
    uid: str
    data: dict

    @property
    def location(self) -> str:
        return f"{self.file}:{self.line}"

    @property
    def hf_id(self) -> str:
        return hf_dataset_id(_text(self.data.get("Hugging Face URL")))

    @property
    def identity(self) -> str:
        """What the entry names, for grouping: its Hub repository, else the entry itself."""
        return f"hf:{self.hf_id.casefold()}" if self.hf_id else f"entry:{self.uid}"


def read_members(text: str, display: str) -> Iterator[tuple[str, int, object] | Problem]:
    """The members of a JSON object file with the line of each key, in file order (a key given twice is
    reported, not silently overwritten as json.load would)."""
    decoder = json.JSONDecoder()

    def where(pos: int) -> tuple[int, int]:
        line = text.count("\n", 0, pos) + 1
        return line, pos - (text.rfind("\n", 0, pos) + 1) + 1

    def skip(pos: int) -> int:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        return pos

    try:
        pos = skip(0)
        if pos < len(text) and text[pos] == "\ufeff":
            pos = skip(pos + 1)
        if pos >= len(text) or text[pos] != "{":
            line, col = where(pos)
            yield Problem(display, line, col, "import-structure", "a collection file is a JSON object whose members are its datasets")
            return
        pos = skip(pos + 1)
        seen: dict[str, int] = {}
        if pos < len(text) and text[pos] == "}":
            return
        while True:
            if pos >= len(text) or text[pos] != '"':
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, pos)
            key_pos = pos
            key, pos = json.decoder.scanstring(text, pos + 1)
            pos = skip(pos)
            if pos >= len(text) or text[pos] != ":":
                raise json.JSONDecodeError("Expecting ':' delimiter", text, pos)
            value, pos = decoder.raw_decode(text, skip(pos + 1))
            line, col = where(key_pos)
            if key in seen:
                yield Problem(display, line, col, "import-record", f"the dataset {key!r} is given twice in this file (first on line {seen[key]}): "
                              "the later one is skipped", severity="warning")
            else:
                seen[key] = line
                yield key, line, value
            pos = skip(pos)
            if pos < len(text) and text[pos] == ",":
                pos = skip(pos + 1)
                continue
            if pos < len(text) and text[pos] == "}":
                return
            raise json.JSONDecodeError("Expecting ',' delimiter", text, pos)
    except json.JSONDecodeError as error:
        yield Problem(display, error.lineno, error.colno, "import-syntax", f"not valid JSON: {error.msg}; nothing of this file is imported")
    except RecursionError:
        yield Problem(display, 0, 0, "import-syntax", "the JSON nests too deeply to read; nothing of this file is imported")


class DataProvenanceImporter(Importer):
    source = "data-provenance"
    title = "the Data Provenance Collection"
    precedence = 50
    additive = frozenset({ATLAS + "license"})

    def snapshot(self, path: Path, version: str | None) -> Snapshot:
        return Snapshot(
            source=self.source, title="Data Provenance Collection (dataset summaries)",
            version=version or git_version(path) or "unknown",
            license="https://spdx.org/licenses/Apache-2.0",
            citations=(("Longpre, S., Mahari, R., Chen, A. et al. (2024). A large-scale audit of dataset licensing and attribution in AI. "
                        "Nature Machine Intelligence 6, 975-987. doi:10.1038/s42256-024-00878-8"),
                       f"Data Provenance Initiative. Data Provenance Collection, {REPOSITORY} (Apache-2.0)."),
            homepage=REPOSITORY,
            creators=("Data Provenance Initiative",),
        )

    def prepare(self, index) -> None:
        self._index = index

    def _agent(self, name: str) -> tuple[str, str] | None:
        index = getattr(self, "_index", None)
        return find_agent(index, name) if index is not None else None

    def _folder(self, path: Path) -> Path:
        return path / FOLDER if (path / FOLDER).is_dir() else path

    def _entries(self, path: Path) -> Iterator[Entry | Problem]:
        folder = self._folder(path)
        files = sorted((p for p in folder.glob("*.json") if not p.name.startswith(("_", "."))), key=lambda p: p.name)
        if not files:
            yield Problem(folder.as_posix(), 0, 0, "import-structure", f"no collection files (*.json) in {folder}: is this a clone of the "
                          "Data Provenance Collection (its data_summaries/ folder)?")
            return
        seen: dict[str, str] = {}
        for file in files:
            display = file.relative_to(path).as_posix() if folder != path else file.name
            try:
                text = file.read_bytes().decode("utf-8")
            except OSError as error:
                yield Problem(display, 0, 0, "import-unreadable", f"cannot read the file: {error.strerror or error}")
                continue
            except UnicodeDecodeError as error:
                yield Problem(display, 0, 0, "import-syntax", f"the file is not UTF-8 (byte {error.start}): nothing of this file is imported")
                continue
            for item in read_members(text, display):
                if isinstance(item, Problem):
                    yield item
                    continue
                key, line, value = item
                if not isinstance(value, dict):
                    yield Problem(display, line, 1, "import-record", f"the dataset {key!r} is not a JSON object: skipped", severity="warning")
                    continue
                missing = [k for k in REQUIRED if not _text(value.get(k))]
                if missing:
                    yield Problem(display, line, 1, "import-record", f"the dataset {key!r} has no {', '.join(missing)}: skipped", severity="warning")
                    continue
                uid = _text(value["Unique Dataset Identifier"])
                if uid.casefold() in seen:
                    yield Problem(display, line, 1, "import-record", f"the dataset identifier {uid!r} is taken already by {seen[uid.casefold()]}: "
                                  "this entry is skipped", severity="warning")
                    continue
                seen[uid.casefold()] = f"{display}:{line}"
                yield Entry(display, file.stem, line, uid, value)

    def records(self, path: Path) -> Iterator[Record | Problem]:
        entries: list[Entry] = []
        for item in self._entries(path):
            if isinstance(item, Problem):
                yield item
            else:
                entries.append(item)
        version = git_version(path) or "main"
        shared = defaultdict(set)  # Hub repository -> entries that name it
        for entry in entries:
            if entry.hf_id:
                shared[entry.hf_id.casefold()].add(entry.uid)
        refs = {entry.uid: self._ref(entry, len(shared.get(entry.hf_id.casefold(), ())) > 1) for entry in entries}
        by_file: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            by_file[entry.file].append(entry)
        collections = {file: self._collection_ref(group) for file, group in by_file.items() if len({e.identity for e in group}) > 1}
        names = self._names(entries, refs, collections, by_file)
        for entry in entries:
            yield self._record(entry, refs[entry.uid], names, version)
        for file, ref in sorted(collections.items()):
            group = by_file[file]
            record = Record(key=f"collection {group[0].stem}", location=group[0].location, evidence=self._evidence(group[0], version),
                            subject=ref, description=f"Collection of datasets ({_text(group[0].data['Collection'])}) audited by the Data Provenance Collection.")
            for key, value in ((ATLAS + "huggingFaceId", ref.hf_id), (ATLAS + "sourceRepository", ref.repo)):
                if value:
                    record.add(key, literal(value) if key.endswith("huggingFaceId") else ox.NamedNode(value))
            seen: set[str] = set()
            for entry in group:
                member = refs[entry.uid]
                identity = entry.identity
                if identity in seen or (ref.hf_id and member.hf_id.casefold() == ref.hf_id.casefold()):
                    continue
                seen.add(identity)
                record.add(ATLAS + "derivedFrom", member)
            yield record

    # -- refs ----------------------------------------------------------------------------------------------

    @staticmethod
    def _creators(entry: Entry) -> list[Ref]:
        return [Ref("organization", name=name) for name in _texts(entry.data.get("Creators"))]

    def _org_creators(self, entry: Entry) -> list[Ref]:
        return [c for c in self._creators(entry) if (agent := self._agent(c.name)) is None or agent[0] == "organization"]

    def _ref(self, entry: Entry, repository_shared: bool) -> Ref:
        """The dataset an entry names; an entry that shares its Hub repository with others is labelled by the
        repository (its own name is a subset's)."""
        hf_id = entry.hf_id
        creators = self._org_creators(entry)
        name = hf_id if repository_shared else _text(entry.data["Dataset Name"])
        return Ref("dataset", name=name, hf_id=hf_id, arxiv=arxiv_id(_text(entry.data.get("ArXiv URL"))),
                   repo=github_repo(_text(entry.data.get("GitHub URL"))), creator=creators[0] if creators else None)

    @staticmethod
    def _collection_ref(group: list[Entry]) -> Ref:
        url = _text(group[0].data.get("Collection URL"))
        return Ref("dataset", name=_text(group[0].data["Collection"]), hf_id=hf_dataset_id(url), repo=github_repo(url))

    @staticmethod
    def _names(entries: list[Entry], refs: dict[str, Ref], collections: dict[str, Ref], by_file: dict[str, list[Entry]]) -> dict[str, Ref]:
        """What a derived-from name of the snapshot stands for: a collection of its own, else the one dataset (or
        Hub repository) an identifier or a dataset name picks out."""
        found: dict[str, set[str]] = defaultdict(set)
        first: dict[str, Ref] = {}
        for entry in entries:
            for name in (entry.uid, _text(entry.data["Dataset Name"]), _text(entry.data["Collection"])):
                found[name.casefold()].add(entry.identity)
                first.setdefault(f"{name.casefold()} {entry.identity}", refs[entry.uid])
        names = {name: first[f"{name} {next(iter(ids))}"] for name, ids in found.items() if len(ids) == 1}
        for file, ref in collections.items():
            names[_text(by_file[file][0].data["Collection"]).casefold()] = ref
        return names

    # -- a record ------------------------------------------------------------------------------------------

    @staticmethod
    def _evidence(entry: Entry, version: str) -> str:
        return f"{REPOSITORY}/blob/{version}/{FOLDER}/{quote(entry.stem + '.json')}"

    def _record(self, entry: Entry, ref: Ref, names: dict[str, Ref], version: str) -> Record:
        data = entry.data
        record = Record(key=f"dataset {entry.uid}", location=entry.location, evidence=self._evidence(entry, version), subject=ref,
                        description=f"Dataset ({_text(data['Dataset Name'])}) audited by the Data Provenance Collection.")
        if ref.hf_id:
            record.add(ATLAS + "huggingFaceId", literal(ref.hf_id))
        if ref.arxiv:
            record.add(ATLAS + "arxivId", literal(ref.arxiv))
        if ref.repo:
            record.add(ATLAS + "sourceRepository", ox.NamedNode(ref.repo))
        for creator in self._creators(entry):
            agent = self._agent(creator.name)
            if agent is None or agent[0] == "organization":
                record.add(ATLAS + "createdBy", creator)
            else:  # a project of the atlas: it builds the dataset
                record.about.append((Ref("project", name=creator.name, iri=agent[1]), ATLAS + "builds", ref))
        self._licences(record, entry, ref)
        generators = _texts(data.get("Model Generated"))
        # only "true": an empty list is the template's default as much as a statement, and the subsets of one
        # repository differ (one translated by a model, one written by people) while the repository is one dataset
        if any(g.casefold() not in NOT_A_MODEL for g in generators):
            record.add(ATLAS + "modelGenerated", literal("true", XSD + "boolean"))
        for generator in generators:
            if generator.casefold() not in NOT_A_MODEL | UNNAMED_MODEL:
                record.add(ATLAS + "generatedWith", literal(generator))
        for name in _texts(data.get("Derived from Datasets")):
            source = self._derived(name, names)
            if source is not None and source != ref:
                record.add(ATLAS + "derivedFrom", source)
        return record

    @staticmethod
    def _licences(record: Record, entry: Entry, subject: Ref) -> None:
        verifier = _text(entry.data.get("License Verified By"))
        licences = entry.data.get("Licenses")
        for n, item in enumerate(licences if isinstance(licences, list) else [], start=1):
            if not isinstance(item, dict):
                continue
            spelling = _text(item.get("License"))
            found = resolve(spelling)
            if found is None:
                continue  # "Unspecified": the collection states no licence, and none is guessed
            record.add(ATLAS + "license", ox.NamedNode(found.iri))
            record.add(ATLAS + "licenseName", literal(spelling))
            node = [(RDF + "type", ox.NamedNode(ATLAS + "LicenseStatement")), (RDF + "subject", subject),
                    (RDF + "predicate", ox.NamedNode(ATLAS + "license")), (RDF + "object", ox.NamedNode(found.iri)),
                    (ATLAS + "licenseName", literal(spelling))]
            page = web_iri(_text(item.get("License URL")))
            if page:
                node.append((ATLAS + "evidence", ox.NamedNode(page)))
            if verifier:
                node.append((ATLAS + "verifiedBy", literal(verifier)))
            record.nodes.append((f"license-{n}", node))

    @staticmethod
    def _derived(name: str, names: dict[str, Ref]) -> Ref | None:
        hf_id = hf_dataset_id(name)
        if hf_id:
            return Ref("dataset", name=hf_id, hf_id=hf_id)
        if name.casefold() in names:
            return names[name.casefold()]
        repo = github_repo(name)
        if repo:
            return Ref("dataset", name=repo.removeprefix("https://github.com/"), repo=repo)
        if re.match(r"^https?://", name):
            return None  # a web page that is not a dataset's: not a name either
        return Ref("dataset", name=name)
