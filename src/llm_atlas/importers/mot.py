"""The Model Openness Tool: model releases scored against the Model Openness Framework's components.

Reads ``models/*.yml`` of a clone of lfai/model_openness_tool (MIT). One record per file: the release
(``release.name``), matched by its Hugging Face id first (``release.huggingface``, a URL whose path is the id,
as the tool itself reads it), else by name with its producer; and what the file states about it:

- ``producer`` -> atlas:createdBy an organisation (created or matched by name), or atlas:creatorName for a
  person or a project (see :mod:`.creators`: a person is never made an organisation);
- ``license.distribution`` -> the release's atlas:license (with the tool's spelling, atlas:licenseName);
- ``origin`` -> atlas:baseModel to a release of the atlas that answers to the name with the producer as its
  creator (the tool does not say how the release was derived), or the name as text (atlas:baseModelName) when
  none or several do: an origin is a name, often a family or a licence written in the wrong field, so nothing is
  made of it. An origin that names the release itself (Llama-3-8B's "llama-3-8B") marks a base model: no link;
- ``repository`` -> atlas:sourceRepository (a GitHub repository, trimmed to owner/name);
- ``components`` -> one atlas:OpennessComponent per listed component (``<record>#component-<type>``):
  componentType (by the component's name, see ontology/vocabularies/openness-component.ttl), componentIncluded
  (false for the tool's "Component not included" in any of its spellings), componentLicense (the tool's
  "unlicensed", that is "License not specified", "Undisclosed" and a component without a licence ->
  atlas:NoLicenseStated; other spellings resolved like every licence, see :mod:`.licences`),
  componentLocation (``component_path``), licenseDocument (``license_path``).

Not imported, and why: ``release.date`` is not the release's date but the day the tool's record last changed
(its ModelSerializer writes the entity's changed time; GPT-2 has 2024-10-03), so it is the record's
dcterms:modified; ``version`` is mostly a size ("7B") and sometimes wrong, ``type`` and ``architecture`` have no
term yet; the global ``code``/``data``/``document`` licences are the release's licences for a kind of content,
which the tool does not carry over to components (its evaluator reads only a component's own licence): each is
reported as left out. A Hugging Face URL that is not a model repository (a collection, a paper page), or that
names another size than the record's own name (CodeT5+-220M pointing at codet5p-16b), is left out with a
warning rather than matched: the record is then matched by name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox
import yaml

from ..errors import Problem
from .base import ATLAS, RDF, XSD, Importer, Link, Owned, Record, Ref, Snapshot, fold, literal, web_iri
from .creators import maker_facts, organisation_ref, read_makers
from .hf_hub import HF_ID
from .licences import NO_LICENCE_STATED, licence_facts, resolve
from .snapshots import git_version
from .yamlfile import get, items, line, read_yaml, text

COMPONENT = ATLAS + "openness-component/"
# The Model Openness Framework's components by the name the tool's files give them -> concept slug.
COMPONENTS = {
    "Model architecture": "model-architecture",
    "Data preprocessing code": "data-preprocessing-code",
    "Training code": "training-code",
    "Inference code": "inference-code",
    "Evaluation code": "evaluation-code",
    "Supporting libraries and tools": "supporting-libraries",
    "Model parameters (Final)": "model-parameters-final",
    "Model parameters (Intermediate)": "model-parameters-intermediate",
    "Datasets": "datasets",
    "Evaluation data": "evaluation-data",
    "Model metadata": "model-metadata",
    "Sample model outputs": "sample-model-outputs",
    "Model card": "model-card",
    "Data card": "data-card",
    "Technical report": "technical-report",
    "Research paper": "research-paper",
    "Evaluation results": "evaluation-results",
}
_BY_FOLDED = {fold(name): slug for name, slug in COMPONENTS.items()}
_NOT_INCLUDED = re.compile(r"^(?:component\s+)+not\s+include", re.IGNORECASE)  # "Component not include(d)", "Component Component not included"
_NOT_STATED = {"unlicensed", "undisclosed", "license not specified", "licence not specified"}  # the tool's "License not specified" is written "unlicensed"
_HUB_URL = re.compile(r"^(?:https?://)?(?:www\.)?huggingface\.co/(.*)$", re.IGNORECASE)
_HUB_PAGES = {"collections", "papers", "datasets", "spaces", "docs", "blog", "organizations", "models", "settings"}
_GITHUB = re.compile(r"^https?://(?:www\.)?github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+?)(?:\.git)?(?:[/?#].*)?$")
_SIZE = re.compile(r"(\d+(?:[._]\d+)?)\s*([mbt])(?![a-z])")
_UNIT = {"m": 1e6, "b": 1e9, "t": 1e12}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def sizes(name: str) -> set[int]:
    """The parameter counts a name spells (``Mixtral-8x7B`` -> 7e9; ``1_1B`` -> 1.1e9), context sizes (``8k``) not counted.

    >>> sorted(sizes("CodeT5+-220M")), sorted(sizes("granite-20b-code-instruct-8k")), sorted(sizes("OpenELM-1_1B"))
    ([220000000], [20000000000], [1100000000])
    """
    found = set()
    for number, unit in _SIZE.findall(fold(name)):
        found.add(round(float(number.replace("_", ".")) * _UNIT[unit]))
    return found


def hub_id(value: str) -> tuple[str, str]:
    """The Hub id a ``huggingface`` value names, or "" and why not.

    >>> hub_id("https://huggingface.co/LLM360/Amber"), hub_id("mistralai/Mistral-7B-v0.1")[0]
    (('LLM360/Amber', ''), 'mistralai/Mistral-7B-v0.1')
    >>> hub_id("https://huggingface.co/microsoft/phi-1/blob/main/README.md")[0], hub_id("https://huggingface.co/01-ai/Yi-1.5-34B-Chat · Hugging Face")[0]
    ('microsoft/phi-1', '01-ai/Yi-1.5-34B-Chat')
    >>> hub_id("https://huggingface.co/collections/ibm-granite/granite-41-language-models")[1]
    'a Hub collections page, not a model repository'
    """
    words = value.strip().split()
    if not words:
        return "", ""
    url = _HUB_URL.match(words[0])
    if url:
        path = [p for p in url.group(1).split("?")[0].split("/") if p]
        if path and path[0].casefold() in _HUB_PAGES:
            return "", f"a Hub {path[0].casefold()} page, not a model repository"
        if len(path) < 2:
            return "", "a Hub user or organisation page, not a model repository"
        candidate = f"{path[0]}/{path[1]}"
    elif len(words) == 1 and "/" in words[0]:
        candidate = words[0]
    else:
        return "", "not a Hugging Face URL or Hub id"
    if not HF_ID.match(candidate):
        return "", "not a Hugging Face URL or Hub id"
    return candidate, ""


def github_repository(value: str) -> str:
    """A GitHub repository URL trimmed to https://github.com/owner/name, or "" for anything else."""
    match = _GITHUB.match(value.strip())
    if not match or match.group(1).casefold() in {"orgs", "topics", "features"}:
        return ""
    return f"https://github.com/{match.group(1)}/{match.group(2)}"


class MotImporter(Importer):
    source = "mot"
    title = "the Model Openness Tool"
    precedence = 30
    description = "the Model Openness Tool (a clone of lfai/model_openness_tool: models/*.yml)"

    def __init__(self):
        self._version = "main"

    def snapshot(self, path: Path, version: str | None) -> Snapshot:
        version = version or git_version(path) or git_version(path / "models") or "unknown"
        self._version = version if re.fullmatch(r"[0-9a-f]{7,40}", version) else "main"
        return Snapshot(
            source=self.source, title="Model Openness Tool model records",
            version=version,
            license="https://spdx.org/licenses/MIT",
            citations=("The Model Openness Tool Authors. Model Openness Tool, https://github.com/lfai/model_openness_tool (MIT).",
                       ("White, M. et al. (2024). The Model Openness Framework: Promoting Completeness and Openness for Reproducibility, "
                        "Transparency, and Usability in Artificial Intelligence. arXiv:2403.13784.")),
            homepage="https://github.com/lfai/model_openness_tool",
            creators=("The Model Openness Tool Authors",),
        )

    def records(self, path: Path) -> Iterator[Record | Problem]:
        folder = path / "models" if (path / "models").is_dir() else path
        prefix = "models/" if folder != path else ""
        files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".yml", ".yaml")) if folder.is_dir() else []
        if not files:
            yield Problem(prefix or ".", 0, 0, "import-structure", "no model files (models/*.yml): is this a clone of lfai/model_openness_tool?")
            return
        for file in files:
            display = prefix + file.name
            node = read_yaml(file, display)
            if isinstance(node, Problem):
                yield node
                continue
            yield self._record(node, file.name, display)

    def _record(self, document: yaml.Node, filename: str, display: str) -> Record | Problem:
        release = get(document, "release")
        if not isinstance(release, yaml.MappingNode):
            at = line(release or document)
            return Problem(display, at[0] or 1, at[1], "import-record", "the file has no release: mapping (name:, producer:, components:): skipped",
                           severity="warning")
        name = text(get(release, "name"))
        if not name:
            at = line(get(release, "name") or release)
            return Problem(display, at[0], at[1], "import-record", "release: has no name: nothing to import (skipped)", severity="warning")
        problems: list[Problem] = []

        def left_out(node, message: str) -> None:
            at = line(node)
            problems.append(Problem(display, at[0], at[1], "import-value", message, severity="warning"))

        makers = read_makers(text(get(release, "producer")))
        creator = organisation_ref(makers.organisations[0]) if makers.organisations else None
        hf = ""
        hub_node = get(release, "huggingface")
        if text(hub_node):
            hf, why = hub_id(text(hub_node))
            if why:
                left_out(hub_node, f"huggingface {text(hub_node)!r} is {why}: left out, the release is matched by name")
            own = sizes(name) or sizes(text(get(release, "version")))
            if hf and own and sizes(hf) and not own & sizes(hf):
                left_out(hub_node, f"huggingface {hf!r} names another size than the release {name!r}: left out (not the same release), "
                                   "the release is matched by name")
                hf = ""
        at = line(get(release, "name"))
        record = Record(key=f"model {filename}", location=f"{display}:{at[0]}",
                        evidence=f"https://github.com/lfai/model_openness_tool/blob/{self._version}/models/{quote(filename)}",
                        subject=Ref("model-release", name=name, hf_id=hf, creator=creator), label=name, problems=problems)
        date = text(get(release, "date"))
        if _DATE.match(date):
            record.modified = date
        if hf:
            record.add(ATLAS + "huggingFaceId", literal(hf))
        maker_facts(record, makers)
        self._licences(record, get(release, "license"), left_out)
        origin_node = get(release, "origin")
        origin = text(origin_node)
        if origin:
            # looked for among the producer's releases, those in the Hub namespace of this release included
            owner = hf.split("/", 1)[0] if "/" in hf else ""
            record.add(ATLAS + "baseModel", Link(Ref("model-release", name=origin, creator=creator, owner=owner), ATLAS + "baseModelName"))
        repository_node = get(release, "repository")
        if text(repository_node):
            repository = github_repository(text(repository_node))
            if repository:
                record.add(ATLAS + "sourceRepository", ox.NamedNode(repository))
            else:
                left_out(repository_node, f"repository {text(repository_node)!r} is not a GitHub repository URL: left out")
        self._components(record, get(release, "components"), left_out)
        return record

    def _licences(self, record: Record, licences: yaml.Node | None, left_out) -> None:
        if licences is not None and not isinstance(licences, yaml.MappingNode) and text(licences):
            left_out(licences, "license: is a mapping (distribution:, code:, data:, document:): left out")
            return
        for kind_node, value in (licences.value if isinstance(licences, yaml.MappingNode) else []):
            kind, spelling = text(kind_node), text(get(value, "name"))
            if not spelling:
                continue
            if kind == "distribution":
                licence_facts(record, spelling)
            else:
                left_out(kind_node, f"license.{kind} {spelling!r} is the release's licence for its {kind}, which the tool does not carry over to "
                                    "components: left out (each component's own licence is imported)")

    def _components(self, record: Record, components: yaml.Node | None, left_out) -> None:
        seen: set[str] = set()
        for item in items(components):
            name_node = get(item, "name")
            slug = _BY_FOLDED.get(fold(text(name_node)))
            if slug is None:
                left_out(name_node or item, f"component {text(name_node)!r} is not one of the Model Openness Framework's components: left out")
                continue
            if slug in seen:
                left_out(name_node, f"component {text(name_node)!r} is listed twice: the later one is left out")
                continue
            seen.add(slug)
            fragment = f"component-{slug}"
            facts: list[tuple[str, object]] = [
                (RDF + "type", ox.NamedNode(ATLAS + "OpennessComponent")),
                (ATLAS + "componentType", ox.NamedNode(COMPONENT + slug)),
            ]
            spelling = text(get(item, "license"))
            if _NOT_INCLUDED.match(spelling):
                facts.append((ATLAS + "componentIncluded", literal("false", XSD + "boolean")))
            else:
                facts.append((ATLAS + "componentIncluded", literal("true", XSD + "boolean")))
                found = None if fold(spelling) in _NOT_STATED else resolve(spelling)
                facts.append((ATLAS + "componentLicense", ox.NamedNode(found.iri if found else NO_LICENCE_STATED)))
                if spelling:
                    facts.append((ATLAS + "licenseName", literal(spelling)))
            for key, predicate in (("component_path", "componentLocation"), ("license_path", "licenseDocument")):
                value_node = get(item, key)
                if not text(value_node):
                    continue
                page = web_iri(text(value_node))
                if page:
                    facts.append((ATLAS + predicate, ox.NamedNode(page)))
                else:
                    left_out(value_node, f"{key} {text(value_node)!r} of {text(name_node)!r} is not a web address: left out")
            record.nodes.append((fragment, facts))
            record.add(ATLAS + "hasComponent", Owned(fragment))
        if components is not None and not isinstance(components, yaml.SequenceNode) and text(components):
            left_out(components, "components: is a list of components: left out")


__all__ = ["COMPONENTS", "MotImporter", "github_repository", "hub_id", "sizes"]
