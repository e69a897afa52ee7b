"""HELM's model metadata: the models Stanford CRFM's Holistic Evaluation of Language Models evaluates.

Reads ``src/helm/config/model_metadata.yaml`` of a clone of stanford-crfm/helm (Apache-2.0): one record per
entry of ``models:``. HELM names a model ``creator/name`` (``meta/llama-3-8b``), which is not a Hugging Face id,
so the release is reconciled by name with its creator: a release of the atlas whose name is the same as a
release key (``llama-3-8b`` and the Hub's ``Meta-Llama-3-8B`` are both ``llama38b`` once the maker's prefix is
dropped) and that is the creator's (its atlas:createdBy, or a Hub namespace that belongs to, spells or starts
with the creator's name or HELM's namespace: ``meta-llama`` for ``meta``). A name that several releases answer
to is listed, never guessed; a name none answers to makes a release of its own, labelled with HELM's display
name. What the entry states:

- ``creator_organization_name`` -> atlas:createdBy an organisation (matched by name to the curated and
  imported organisations, created otherwise), or atlas:creatorName for a person (see :mod:`.creators`);
- ``access`` -> atlas:access, mapped onto the atlas's access scheme (:data:`ACCESS`): HELM's "open" (weights
  anyone can download) is access:open-weights, "limited" (usable through an API, weights not released) is
  access:api-only, "closed" (neither) is access:closed;
- ``release_date`` -> atlas:releaseDate (HELM's ``release:``, a misspelling of the same field in a few entries,
  is read as it; a date that is not one, such as 2024-18-4, is left out with a warning);
- ``num_parameters`` -> atlas:parameterCount;
- ``tags`` -> fair4ml:mlTask, in the Hugging Face Hub's pipeline-tag words that the Hub import also uses
  (:data:`TASKS`), so that the image, audio, vision-language and embedding models HELM also evaluates are typed
  by what HELM says they do: they are kept, as model releases, not skipped.

Not imported: ``description`` (HELM's prose), ``display_name`` except as the label of a release this import
creates. Skipped with the reason: HELM's own test model (``simple/model1``) and the NeurIPS efficiency
challenge's placeholder for a locally served model (``neurips/local``), which are not models.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import yaml

from ..errors import Problem
from ..namespaces import ONTOLOGY
from .base import ATLAS, XSD, Importer, Record, Ref, Snapshot, literal
from .creators import maker_facts, organisation_ref, read_makers
from .hf_hub import FAIR4ML
from .snapshots import git_version
from .yamlfile import get, items, line, read_yaml, text

FILE = "src/helm/config/model_metadata.yaml"
ACCESS = {  # HELM's access -> the atlas's access scheme (ontology/vocabularies/access.ttl)
    "open": ONTOLOGY + "access/open-weights",
    "limited": ONTOLOGY + "access/api-only",
    "closed": ONTOLOGY + "access/closed",
}
TASKS = {  # HELM's tags -> what the model does, as the Hub's pipeline tags say it (fair4ml:mlTask)
    "TEXT_MODEL_TAG": "text-generation",
    "VISION_LANGUAGE_MODEL_TAG": "image-text-to-text",
    "AUDIO_LANGUAGE_MODEL_TAG": "audio-text-to-text",
    "TEXT_TO_IMAGE_MODEL_TAG": "text-to-image",
    "TEXT_SIMILARITY_MODEL_TAG": "sentence-similarity",
}
NOT_MODELS = {  # HELM namespaces whose entries are not models, and why
    "simple": "HELM's own test model, not a model anyone released",
    "neurips": "the NeurIPS efficiency challenge's placeholder for a locally served model, not a model",
}
RUNNERS = {"huggingface"}  # HELM namespaces that say how HELM runs a model (from the Hub), not who made it
_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")


def helm_date(value: str) -> str:
    """An xsd:date from HELM's date (``2024-6-5`` -> ``2024-06-05``), or "" when it is not a date.

    >>> helm_date("2023-06-22"), helm_date("2024-6-5"), helm_date("2024-18-4")
    ('2023-06-22', '2024-06-05', '')
    """
    match = _DATE.match(value.strip())
    if not match:
        return ""
    year, month, day = (int(g) for g in match.groups())
    from datetime import date

    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


class HelmImporter(Importer):
    source = "helm"
    title = "HELM's model metadata"
    precedence = 40
    description = "HELM's model metadata (a clone of stanford-crfm/helm: src/helm/config/model_metadata.yaml)"

    def __init__(self):
        self._version = "main"

    def snapshot(self, path: Path, version: str | None) -> Snapshot:
        version = version or git_version(path) or "unknown"
        self._version = version if re.fullmatch(r"[0-9a-f]{7,40}", version) else "main"
        return Snapshot(
            source=self.source, title="HELM model metadata",
            version=version,
            license="https://spdx.org/licenses/Apache-2.0",
            citations=("Liang, P. et al. (2023). Holistic Evaluation of Language Models. Transactions on Machine Learning Research.",
                       "Stanford CRFM. HELM, src/helm/config/model_metadata.yaml, https://github.com/stanford-crfm/helm (Apache-2.0)."),
            homepage="https://github.com/stanford-crfm/helm",
            creators=("Stanford CRFM",),
        )

    def _file(self, path: Path) -> tuple[Path, str]:
        if path.is_file():
            return path, path.name
        for candidate in (FILE, "model_metadata.yaml"):
            if (path / candidate).is_file():
                return path / candidate, candidate
        return path / FILE, FILE

    def records(self, path: Path) -> Iterator[Record | Problem]:
        file, display = self._file(path)
        if not file.is_file():
            yield Problem(display, 0, 0, "import-unreadable", "no such file: is this a clone of stanford-crfm/helm?")
            return
        document = read_yaml(file, display, rule="import-structure")
        if isinstance(document, Problem):
            yield document
            return
        models = get(document, "models")
        if not isinstance(models, yaml.SequenceNode):
            at = line(models or document)
            yield Problem(display, at[0] or 1, at[1], "import-structure", "the file has no models: list: is this HELM's model_metadata.yaml?")
            return
        seen: dict[str, int] = {}
        for entry in items(models):
            yield self._record(entry, display, seen)

    def _record(self, entry: yaml.Node, display: str, seen: dict[str, int]) -> Record | Problem:
        at = line(entry)
        name_node = get(entry, "name")
        name = text(name_node)
        owner, _, short = name.partition("/")
        if not isinstance(entry, yaml.MappingNode) or not short or not owner:
            return Problem(display, at[0], at[1], "import-record", f"a model entry is named creator/name, not {name!r}: skipped", severity="warning")
        if owner in NOT_MODELS:
            return Problem(display, at[0], at[1], "import-record", f"{name} is {NOT_MODELS[owner]}: skipped", severity="warning")
        if name.casefold() in seen:
            return Problem(display, at[0], at[1], "import-record", f"{name} is listed twice (first on line {seen[name.casefold()]}): the later entry is "
                                                                   "skipped", severity="warning")
        seen[name.casefold()] = at[0]
        problems: list[Problem] = []

        def left_out(node, message: str) -> None:
            where = line(node)
            problems.append(Problem(display, where[0], where[1], "import-value", message, severity="warning"))

        makers = read_makers(text(get(entry, "creator_organization_name")))
        creator = organisation_ref(makers.organisations[0]) if makers.organisations else None
        subject = Ref("model-release", name=short, creator=creator, owner="" if owner.casefold() in RUNNERS else owner)
        record = Record(key=f"model {name.casefold()}", location=f"{display}:{at[0]}",
                        evidence=f"https://github.com/stanford-crfm/helm/blob/{self._version}/{FILE}#L{at[0]}",
                        subject=subject, label=text(get(entry, "display_name")) or name, problems=problems)
        maker_facts(record, makers)
        access_node = get(entry, "access")
        if text(access_node):
            if text(access_node) in ACCESS:
                record.add(ATLAS + "access", ox.NamedNode(ACCESS[text(access_node)]))
            else:
                left_out(access_node, f"access {text(access_node)!r} is not open, limited or closed: left out")
        date_node = get(entry, "release_date") or get(entry, "release")
        if text(date_node):
            date = helm_date(text(date_node))
            if date:
                record.add(ATLAS + "releaseDate", literal(date, XSD + "date"))
            else:
                left_out(date_node, f"release date {text(date_node)!r} is not a date: left out")
        size_node = get(entry, "num_parameters")
        if text(size_node):
            if re.fullmatch(r"[1-9][0-9]*", text(size_node)):
                record.add(ATLAS + "parameterCount", literal(text(size_node), XSD + "integer"))
            else:
                left_out(size_node, f"num_parameters {text(size_node)!r} is not a positive whole number: left out")
        for task in sorted({TASKS[text(tag)] for tag in items(get(entry, "tags")) if text(tag) in TASKS}):
            record.add(FAIR4ML + "mlTask", literal(task))
        return record


__all__ = ["ACCESS", "FILE", "TASKS", "HelmImporter", "helm_date"]
