"""The Hugging Face Hub catalogue of the AI Stack Map: model and dataset repositories.

Reads ``warehouse/catalog/huggingface/`` of a clone of currentai-org/os-ai-map (MIT; the metadata is the
Hub's): ``tracked_models.csv`` and ``top_models.csv`` (Hub tags and creation dates), ``model_repos.csv``
(base model and GitHub repository), ``foundation_model_repos.csv`` (families and example releases),
``tracked_datasets.csv`` and ``top_datasets.csv``. One record per repository (rows of several files about one
repository are one record; the first file in the order above gives the line). What the Hub's tags state:

- ``base_model:finetune:X``, ``:quantized:``, ``:adapter:``, ``:merge:`` -> fineTunedFrom, quantizedFrom,
  adapterOf, mergedFrom (a release); a plain ``base_model:X`` with no typed tag, or model_repos' base model,
  -> baseModel (the source does not say how);
- ``dataset:X`` -> trainedOn (for models), ``arxiv:N`` -> arxivId (new-style ids only), ``license:X`` -> the
  licence, ``language:xx`` -> language (datasets), created_at -> dateCreated (the repository's, not a release date),
  pipeline_tag -> fair4ml:mlTask;
- a family of foundation_model_repos.csv -> inFamily for its example releases.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from ..errors import Problem
from .base import ATLAS, XSD, Importer, Record, Ref, Snapshot, literal
from .licences import licences_of
from .snapshots import git_version

CATALOGUE = Path("warehouse/catalog/huggingface")
FAIR4ML = "https://w3id.org/fair4ml#"
# owner/name, or a name alone for the Hub's oldest models (gpt2, bert-base-uncased)
HF_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*(?:/[A-Za-z0-9_.-]+)?$")
_ARXIV = re.compile(r"^[0-9]{4}\.[0-9]{4,5}$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")
_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})")
LINEAGE = {"finetune": ATLAS + "fineTunedFrom", "quantized": ATLAS + "quantizedFrom", "adapter": ATLAS + "adapterOf",
           "merge": ATLAS + "mergedFrom"}
MODEL_FILES = ("tracked_models.csv", "top_models.csv", "model_repos.csv")
DATASET_FILES = ("tracked_datasets.csv", "top_datasets.csv")


def hub_url(hf_id: str, dataset: bool = False) -> str:
    return f"https://huggingface.co/{'datasets/' if dataset else ''}{hf_id}"


def model_ref(hf_id: str) -> Ref:
    return Ref("model-release", name=hf_id, hf_id=hf_id)


def dataset_ref(hf_id: str) -> Ref:
    return Ref("dataset", name=hf_id, hf_id=hf_id)


@dataclass
class Repo:
    hf_id: str
    location: str
    tags: list[str] = field(default_factory=list)
    created: str = ""
    pipeline: str = ""
    base: str = ""  # model_repos.csv base_model_id
    github: str = ""


def read_rows(path: Path, display: str, id_column: str) -> Iterator[tuple[int, dict] | Problem]:
    try:
        handle = path.open(encoding="utf-8", newline="")
    except OSError as error:
        yield Problem(display, 0, 0, "import-unreadable", f"cannot read the file: {error.strerror or error}")
        return
    with handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or id_column not in reader.fieldnames:
            yield Problem(display, 1, 1, "import-structure", f"the file has no {id_column} column: is this the catalogue's {path.name}?")
            return
        for row in reader:
            line = reader.line_num
            value = (row.get(id_column) or "").strip()
            if not HF_ID.match(value):
                yield Problem(display, line, 1, "import-record", f"{id_column} {value!r} is not a Hub id (owner/name): row skipped", severity="warning")
                continue
            yield line, row


class HubImporter(Importer):
    source = "hf-hub"
    title = "the Hugging Face Hub catalogue of the AI Stack Map"
    precedence = 10

    def snapshot(self, path: Path, version: str | None) -> Snapshot:
        return Snapshot(
            source=self.source, title="Hugging Face Hub metadata (AI Stack Map catalogue)",
            version=version or git_version(path) or "unknown",
            license="https://spdx.org/licenses/MIT",
            citations=(("Current AI and os-ai-map contributors (2026). AI Stack Map, warehouse/catalog/huggingface, "
                       "https://github.com/currentai-org/os-ai-map (MIT); the metadata is the Hugging Face Hub's."),),
            homepage="https://github.com/currentai-org/os-ai-map",
            creators=("Current AI",),
        )

    def _files(self, path: Path) -> Path:
        return path / CATALOGUE if (path / CATALOGUE).is_dir() else path

    def records(self, path: Path) -> Iterator[Record | Problem]:
        folder = self._files(path)
        families = yield from self._families(folder, path)
        models: dict[str, Repo] = {}
        for name in MODEL_FILES:
            display = (folder / name).relative_to(path).as_posix() if folder != path else name
            for item in read_rows(folder / name, display, "model_id"):
                if isinstance(item, Problem):
                    yield item
                    continue
                line, row = item
                hf_id = row["model_id"].strip()
                repo = models.setdefault(hf_id.casefold(), Repo(hf_id, f"{display}:{line}"))
                if row.get("tags") and not repo.tags:
                    repo.tags = [t.strip() for t in row["tags"].split(",") if t.strip()]
                repo.created = repo.created or (row.get("created_at") or "").strip()
                repo.pipeline = repo.pipeline or (row.get("pipeline_tag") or "").strip()
                repo.base = repo.base or (row.get("base_model_id") or "").strip()
                repo.github = repo.github or (row.get("github_repo") or "").strip()
        for key in sorted(models):
            yield self._model(models[key], families.get(key))
        datasets: dict[str, Repo] = {}
        for name in DATASET_FILES:
            display = (folder / name).relative_to(path).as_posix() if folder != path else name
            for item in read_rows(folder / name, display, "dataset_id"):
                if isinstance(item, Problem):
                    yield item
                    continue
                line, row = item
                hf_id = row["dataset_id"].strip()
                repo = datasets.setdefault(hf_id.casefold(), Repo(hf_id, f"{display}:{line}"))
                if row.get("tags") and not repo.tags:
                    repo.tags = [t.strip() for t in row["tags"].split(",") if t.strip()]
                repo.created = repo.created or (row.get("created_at") or "").strip()
        for key in sorted(datasets):
            yield self._dataset(datasets[key])

    def _families(self, folder: Path, path: Path):
        """Family records, and which releases (casefolded Hub ids) each family names as its examples."""
        families: dict[str, Ref] = {}
        name = "foundation_model_repos.csv"
        display = (folder / name).relative_to(path).as_posix() if folder != path else name
        if not (folder / name).is_file():
            return families
        with (folder / name).open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                family, author = (row.get("model_family") or "").strip(), (row.get("hf_author") or "").strip()
                if not family or not author:
                    yield Problem(display, reader.line_num, 1, "import-record", "a family row without model_family or hf_author: skipped", severity="warning")
                    continue
                ref = Ref("model-family", name=f"{author}/{family}")
                record = Record(key=f"family {author}/{family}", location=f"{display}:{reader.line_num}",
                                evidence=hub_url(author), subject=ref,
                                description=f"Model family ({family}) of the Hub organisation {author}, as the AI Stack Map groups its releases.")
                repo = (row.get("github_repo") or "").strip()
                if re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo):
                    record.add(ATLAS + "sourceRepository", ox.NamedNode(f"https://github.com/{repo}"))
                yield record
                for example in (row.get("model_examples") or "").split(","):
                    example = example.strip()
                    if example:
                        families[f"{author}/{example}".casefold()] = ref
        return families

    def _model(self, repo: Repo, family: Ref | None) -> Record:
        record = Record(key=f"model {repo.hf_id.casefold()}", location=repo.location, evidence=hub_url(repo.hf_id), subject=model_ref(repo.hf_id))
        record.add(ATLAS + "huggingFaceId", literal(repo.hf_id))
        date = _DATE.match(repo.created)
        if date:
            record.add(ATLAS + "dateCreated", literal(date.group(1), XSD + "date"))
        if repo.pipeline:
            record.add(FAIR4ML + "mlTask", literal(repo.pipeline))
        typed: dict[str, str] = {}
        plain: list[str] = []
        licences: list[str] = []
        for tag in repo.tags:
            kind, _, value = tag.partition(":")
            if kind == "base_model":
                how, _, target = value.partition(":")
                if how in LINEAGE and HF_ID.match(target):
                    record.add(LINEAGE[how], model_ref(target))
                    typed[target.casefold()] = how
                elif HF_ID.match(value):
                    plain.append(value)
            elif kind == "dataset" and HF_ID.match(value):
                record.add(ATLAS + "trainedOn", dataset_ref(value))
            elif kind == "arxiv" and _ARXIV.match(value):
                record.add(ATLAS + "arxivId", literal(value))
            elif kind == "license":
                licences.append(value)
        # the plain base_model tag repeats each typed one; without a typed tag it (or model_repos' column) is untyped
        for base in (*plain, repo.base):
            if base and HF_ID.match(base) and base.casefold() not in typed and base.casefold() != repo.hf_id.casefold():
                record.add(ATLAS + "baseModel", model_ref(base))
                typed[base.casefold()] = "base"
        licences_of(record, licences)  # several only when the card names several (dual licensing)
        if repo.github and re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+", repo.github):
            record.add(ATLAS + "sourceRepository", ox.NamedNode(f"https://github.com/{repo.github}"))
        if family is not None:
            record.add(ATLAS + "inFamily", family)
        return record

    def _dataset(self, repo: Repo) -> Record:
        record = Record(key=f"dataset {repo.hf_id.casefold()}", location=repo.location, evidence=hub_url(repo.hf_id, True),
                        subject=dataset_ref(repo.hf_id))
        record.add(ATLAS + "huggingFaceId", literal(repo.hf_id))
        date = _DATE.match(repo.created)
        if date:
            record.add(ATLAS + "dateCreated", literal(date.group(1), XSD + "date"))
        licences = []
        for tag in repo.tags:
            kind, _, value = tag.partition(":")
            if kind == "arxiv" and _ARXIV.match(value):
                record.add(ATLAS + "arxivId", literal(value))
            elif kind == "license":
                licences.append(value)
            elif kind == "language" and _LANGUAGE.match(value):
                record.add(ATLAS + "language", literal(value, XSD + "language"))
        licences_of(record, licences)
        return record
