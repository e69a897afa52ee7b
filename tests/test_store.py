"""The store and its dump: the in-memory copy always holds what the persistent store holds, through full and
incremental builds, compaction, a replayed log and a rejected change."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest

from llm_atlas import Atlas
from llm_atlas import store as store_module
from llm_atlas.store import BASE_FILE, LOG_FILE, dump_dir, load_dump, manifest_path, read_manifest


def quads_on_disk(store_dir: Path) -> Counter:
    store = ox.Store.read_only(str(store_dir))
    found = quads_in(store)
    del store
    return found


def quads_in(store: ox.Store) -> Counter:
    """Every quad, with blank node labels blanked out (a parser names blank nodes afresh on each load)."""
    return Counter(re.sub(r"_:[A-Za-z0-9]+", "_:", str(q)) for q in store)


def edit(checkout: Path, relpath: str, old: str, new: str) -> None:
    path = checkout / relpath
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


TRIG = """@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/llm-atlas/import/fixture> rdfs:label "Fixture import"@en .
<https://w3id.org/llm-atlas/record/fixture/{n}> {{ <https://w3id.org/llm-atlas/model/alpha-7b> rdfs:comment "record {n}"@en . }}
<https://w3id.org/llm-atlas/record/fixture/x> {{ <https://w3id.org/llm-atlas/model/alpha-7b> rdfs:comment "always"@en . }}
"""


def changes(checkout: Path):
    """A sequence of edits: a file changed, one removed, one added, an import with records changed."""
    yield lambda: edit(checkout, "graph/organization/alpha-lab.ttl", '"Alpha Lab"@en', '"Alpha Laboratory"@en')
    yield lambda: (checkout / "graph/knowledge/alpha-survey.ttl").unlink()
    yield lambda: shutil.copyfile(checkout / "graph/organization/beta-corp.ttl", checkout / "graph/organization/beta-corp-copy.ttl")
    yield lambda: (checkout / "imports").mkdir(exist_ok=True) or (checkout / "imports/fixture.trig").write_text(TRIG.format(n=1))
    yield lambda: (checkout / "imports/fixture.trig").write_text(TRIG.format(n=2))
    yield lambda: edit(checkout, "graph/organization/alpha-lab.ttl", '"Alpha Laboratory"@en', '"Alpha Lab"@en')


def test_a_full_build_writes_a_dump_with_every_quad(mini, store_dir):
    atlas = Atlas.open(mini, store_dir)
    result = atlas.build()
    assert result.rebuilt and result.triples > 1000
    on_disk = quads_on_disk(store_dir)
    assert quads_in(load_dump(dump_dir(store_dir))) == on_disk == quads_in(atlas.store)
    assert read_manifest(store_dir).quads == len(atlas.store) == result.triples


def test_incremental_builds_keep_the_dump_and_the_memory_copy_equal_to_the_store(mini, store_dir, tmp_path):
    atlas = Atlas.open(mini, store_dir)
    atlas.build()
    memory = atlas.store
    for number, change in enumerate(changes(mini)):
        change()
        result = atlas.build()
        assert not result.rebuilt
        on_disk = quads_on_disk(store_dir)
        assert atlas.store is memory, "an incremental build updates the loaded copy in place"
        assert quads_in(memory) == on_disk, f"after change {number}"
        assert quads_in(load_dump(dump_dir(store_dir))) == on_disk, f"after change {number}"
        assert result.triples == len(memory) and result.graphs == len(list(memory.named_graphs()))
    # and all of it equals a build from scratch of the same files
    fresh = Atlas.open(mini, tmp_path / "fresh-store")
    fresh.build()
    assert quads_in(fresh.store) == quads_on_disk(store_dir)


def test_the_log_of_changes_is_folded_into_the_base(mini, store_dir, monkeypatch):
    monkeypatch.setattr(store_module, "COMPACT_ENTRIES", 3)
    atlas = Atlas.open(mini, store_dir)
    atlas.build()
    folder = dump_dir(store_dir)
    for change in changes(mini):
        change()
        Atlas.open(mini, store_dir).build()  # a new process each time: nothing loaded in memory
    assert len(list(folder.glob("delta-*.trig"))) < 3
    assert quads_in(load_dump(folder)) == quads_on_disk(store_dir)


def test_a_log_replayed_over_a_newer_base_changes_nothing(mini, store_dir):
    """A crash after a new base is written but before the log is emptied replays the old log once more."""
    atlas = Atlas.open(mini, store_dir)
    atlas.build()
    folder = dump_dir(store_dir)
    for change in list(changes(mini))[:4]:
        change()
        atlas.build()
    log = (folder / LOG_FILE).read_text()
    deltas = {p.name: p.read_bytes() for p in folder.glob("delta-*.trig")}
    store_module.write_dump(folder, load_dump(folder))
    (folder / LOG_FILE).write_text(log)
    for name, data in deltas.items():
        (folder / name).write_bytes(data)
    assert quads_in(load_dump(folder)) == quads_on_disk(store_dir)


def test_a_rejected_change_leaves_the_memory_copy_store_and_dump_as_they_were(mini, store_dir):
    atlas = Atlas.open(mini, store_dir)
    assert atlas.validate().conforms
    memory = quads_in(atlas.store)
    on_disk = quads_on_disk(store_dir)
    dump = {p.name: p.read_bytes() for p in dump_dir(store_dir).iterdir()}
    manifest = manifest_path(store_dir).read_bytes()
    edit(mini, "graph/organization/alpha-lab.ttl", "    atlas:inSample true ;\n", "")
    (mini / "graph/knowledge/alpha-survey.ttl").unlink()
    report = atlas.validate()
    assert not report.conforms and any(p.rule == "organization-in-sample" for p in report.problems)
    assert quads_in(atlas.store) == memory
    assert quads_on_disk(store_dir) == on_disk
    assert {p.name: p.read_bytes() for p in dump_dir(store_dir).iterdir()} == dump
    assert manifest_path(store_dir).read_bytes() == manifest


def test_a_store_without_its_dump_is_rebuilt(mini, store_dir):
    Atlas.open(mini, store_dir).build()
    shutil.rmtree(dump_dir(store_dir))
    atlas = Atlas.open(mini, store_dir)
    assert atlas.query("ASK { organization:alpha-lab a atlas:Organization }").boolean
    assert (dump_dir(store_dir) / BASE_FILE).is_file()


@pytest.mark.parametrize("broken", ["log", "base"])
def test_a_damaged_dump_is_rebuilt(mini, store_dir, broken):
    Atlas.open(mini, store_dir).build()
    (dump_dir(store_dir) / (LOG_FILE if broken == "log" else BASE_FILE)).unlink()
    assert Atlas.open(mini, store_dir).query("ASK { organization:alpha-lab a atlas:Organization }").boolean
