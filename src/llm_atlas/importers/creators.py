"""How a source's maker field is read: one organisation, several, a person, or a project.

A source writes the maker of a release as free text ("Meta", "Technology Innovation Institute, LightOn",
"Nicholas Kluge."). An organisation becomes or matches an atlas:Organization (reconciled by name,
:func:`~.reconcile.organisation_key`); a person or a project is never made an organisation and stays text
(atlas:creatorName). Which spellings are not simply one organisation's name is decided in
``data/creator-names.csv``, a reviewed table with the reason for each row, not guessed from the spelling: a
two-word name is as often a company ("Aleph Alpha") as a person.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .base import ATLAS, Record, Ref, fold, literal


@dataclass(frozen=True)
class Makers:
    """What a maker field says: organisations (by name) and makers kept as text."""

    organisations: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    why: str = ""


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").strip())


def _key(text: str) -> str:
    return fold(_clean(text))


@lru_cache(maxsize=1)
def _table() -> dict[str, Makers]:
    text = resources.files("llm_atlas.importers").joinpath("data/creator-names.csv").read_text(encoding="utf-8")
    table: dict[str, Makers] = {}
    for row in csv.DictReader(line for line in text.splitlines() if not line.startswith("#")):
        table[_key(row["spelling"])] = Makers(_split(row["organisations"]), _split(row["names"]), row["why"])
    return table


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(_clean(v) for v in (value or "").split("|") if _clean(v))


def read_makers(spelling: str | None) -> Makers:
    """The makers a source's spelling names.

    >>> read_makers("Meta"), read_makers("")
    (Makers(organisations=('Meta',), names=(), why=''), Makers(organisations=(), names=(), why=''))
    >>> read_makers("Dampish, Arkane Industries").names, read_makers("Microsoft/NVIDIA").organisations
    (('Dampish',), ('Microsoft', 'NVIDIA'))
    """
    text = _clean(spelling or "")
    if not text:
        return Makers()
    return _table().get(_key(text)) or Makers((text,))


def organisation_ref(name: str) -> Ref:
    return Ref("organization", name=name)


def maker_facts(record: Record, makers: Makers) -> None:
    """atlas:createdBy for each organisation, atlas:creatorName for each maker kept as text."""
    for name in makers.organisations:
        record.add(ATLAS + "createdBy", organisation_ref(name))
    for name in makers.names:
        record.add(ATLAS + "creatorName", literal(name))
