"""``llm-atlas new <kind> <slug>``: the skeleton of a new entity file, with the claim blocks to fill in.

The file is ``graph/<kind>/<slug>.ttl`` in the canonical layout (``llm-atlas fmt --check`` passes), with
the entity, its class, every field the data model requires of that kind, and a statement claim for each
claim property it sets (subject, predicate, object, source, confidence), the blocks ``docs/data-model.md``
describes. What only a person can know is a placeholder that the checks refuse until it is replaced:

- text (label, description, locator) is ``"FILL-IN: what to write"`` without a language tag, which the
  shapes reject (text for people is English, ``"..."@en``);
- a link (a source, a maker, a concept) names ``.../fill-in`` (``source:fill-in``, ``orgtype:fill-in``,
  ``organization:fill-in``), which names nothing: a dangling link, or a value outside the vocabulary.

So the skeleton loads, builds and formats like any file, and ``llm-atlas check`` points at each line still
to fill. A claim's fragment (``#organizationtype-fill-in``) is renamed after its object when it is filled
(``#organizationtype-sme``), as the data model says.
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from .canonical_turtle import serialize
from .errors import UsageError
from .layout import GRAPH_DIR
from .namespaces import (ATLAS, DCTERMS_DESCRIPTION, KINDS, PREFIXES, RDF, RDF_TYPE, RDFS_LABEL, SLUG, XSD_BOOLEAN, entity_iri)
from .store import atomic_write_text
from .suggest import did_you_mean

FILL = "fill-in"

# What each kind needs beyond label, description and source: (property, placeholder namespace or a literal, claim?).
# Claim properties get a statement claim; the others (a finding's own stage and confidence) belong to the entity,
# which is itself a claim.
ARTIFACT = [("createdBy", "organization", True)]
FIELDS: dict[str, list[tuple[str, str, bool]]] = {
    "organization": [("inSample", "false", False), ("organizationType", "orgtype", True), ("continent", "continent", True)],
    "project": [("inSample", "false", False), ("ledBy", "organization", True)],
    "model": ARTIFACT, "dataset": ARTIFACT, "benchmark": ARTIFACT, "leaderboard": ARTIFACT, "framework": ARTIFACT,
    "knowledge": ARTIFACT, "platform": ARTIFACT,
    "compute": [("operatedBy", "organization", True)],
    "partnership": [("partner", "organization", True), ("computeResource", "compute", True)],
    "onramp": [("lifecycleStage", "stage", False), ("confidence", "confidence", False), ("locator", "where in the source (slide 21)", False)],
    "challenge": [("lifecycleStage", "stage", False), ("confidence", "confidence", False), ("locator", "where in the source (slide 20)", False)],
    "collaboration": [("participant", "organization", False), ("collaborationKind", "collabkind", False),
                      ("lifecycleStage", "stage", False), ("confidence", "confidence", False)],
    "recommendation": [("audience", "audience", False), ("confidence", "confidence", False)],
    "source": [],
    "study": [],
    # a maintainer's decision on a disagreement: what it resolves and favours, why, when and who (no atlas:source:
    # the decision is the maintainer's, attributed with prov:wasAttributedTo)
    "resolution": [("resolves", "resolution", False), ("favours", "the side kept: one of the two claims, or the value kept", False),
                   ("reason", "why, citing the evidence", False), ("dcterms:date", "the date of the decision, as 2026-01-31", False),
                   ("prov:wasAttributedTo", "who decided: an IRI such as https://github.com/<user>", False)],
}
# the claims of a finding, collaboration or recommendation are the entity itself: no statement claims
SELF_CLAIMS = {"onramp", "challenge", "collaboration", "recommendation"}
TWO_OR_MORE = {"partner", "participant"}


def _text(what: str) -> ox.Literal:
    return ox.Literal(f"FILL-IN: {what}")


def _placeholder(namespace: str, n: int = 0) -> ox.NamedNode:
    return ox.NamedNode(PREFIXES[namespace] + FILL + (f"-{n}" if n else ""))


def skeleton_triples(kind: str, slug: str, label: str | None = None) -> list[ox.Triple]:
    """The triples of the skeleton of ``<kind>/<slug>`` (see the module's documentation)."""
    entity = ox.NamedNode(entity_iri(kind, slug))
    triples = [
        ox.Triple(entity, ox.NamedNode(RDF_TYPE), ox.NamedNode(KINDS[kind])),
        ox.Triple(entity, ox.NamedNode(RDFS_LABEL), ox.Literal(label, language="en") if label else _text("its English name")),
        ox.Triple(entity, ox.NamedNode(DCTERMS_DESCRIPTION), _text("one or two English sentences saying what it is")),
    ]
    if kind not in ("source", "resolution"):
        triples.append(ox.Triple(entity, ox.NamedNode(ATLAS + "source"), _placeholder("source")))
    for name, target, claimed in FIELDS[kind]:
        predicate = ox.NamedNode(PREFIXES[name.split(":")[0]] + name.split(":")[1] if ":" in name else ATLAS + name)
        if target == "false":
            objects = [ox.Literal("false", datatype=ox.NamedNode(XSD_BOOLEAN))]
        elif target in PREFIXES:
            objects = [_placeholder(target, n) for n in ((1, 2) if name in TWO_OR_MORE else (0,))]
        else:
            objects = [_text(target)]
        for obj in objects:
            triples.append(ox.Triple(entity, predicate, obj))
            if claimed and kind not in SELF_CLAIMS:
                tail = obj.value.rsplit("/", 1)[-1]
                claim = ox.NamedNode(f"{entity.value}#{name.lower()}-{tail}")
                triples += [
                    ox.Triple(claim, ox.NamedNode(RDF_TYPE), ox.NamedNode(ATLAS + "StatementClaim")),
                    ox.Triple(claim, ox.NamedNode(RDF + "subject"), entity),
                    ox.Triple(claim, ox.NamedNode(RDF + "predicate"), predicate),
                    ox.Triple(claim, ox.NamedNode(RDF + "object"), obj),
                    ox.Triple(claim, ox.NamedNode(ATLAS + "source"), _placeholder("source")),
                    ox.Triple(claim, ox.NamedNode(ATLAS + "confidence"), _placeholder("confidence")),
                ]
    if kind in SELF_CLAIMS:
        triples.append(ox.Triple(entity, ox.NamedNode(ATLAS + "source"), _placeholder("source")))
    return triples


def new_entity(root: Path, kind: str, slug: str, *, label: str | None = None) -> Path:
    """Write the skeleton of ``graph/<kind>/<slug>.ttl`` into the checkout at ``root``; its path.

    Raises UsageError for an unknown kind, a slug that is not a slug, or a file that exists already.
    """
    if kind not in KINDS:
        hint = did_you_mean(kind, KINDS)
        raise UsageError(f"no kind {kind!r}" + (f"; {hint}" if hint else f"; kinds: {', '.join(KINDS)}"))
    if not SLUG.fullmatch(slug):
        raise UsageError(f"{slug!r} is not a slug: lower-case letters and digits joined by single hyphens, e.g. open-llm-leaderboard")
    if label is not None and not label.strip():
        raise UsageError("--label is empty")
    path = root / GRAPH_DIR / kind / f"{slug}.ttl"
    if path.exists():
        raise UsageError(f"{path.relative_to(root).as_posix()} exists already: edit it, or choose another slug")
    atomic_write_text(path, serialize(skeleton_triples(kind, slug, label), path.relative_to(root).as_posix()))
    return path


__all__ = ["new_entity", "skeleton_triples", "FIELDS"]
