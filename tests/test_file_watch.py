"""A reader that trusts the kernel's change events instead of a stat of every file must still never answer
stale: every kind of change to the data files is seen by the very next query, and a look with nothing changed
stats nothing (which is the point: see llm_atlas.file_watch)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from llm_atlas import file_watch, layout
from llm_atlas.api import Atlas

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")

HOUR_AGO = time.time() - 3600


def age(root: Path) -> None:
    """Every data file an hour old, so the reader trusts their timestamps (fresh ones are stat-ed every time)."""
    for folder in file_watch.DATA_FOLDERS:
        for path in (root / folder).rglob("*"):
            os.utime(path, (HOUR_AGO, HOUR_AGO))


def labels(atlas: Atlas) -> set[str]:
    found = {row[0].value for row in atlas.query("SELECT ?label WHERE { ?org a atlas:Organization ; rdfs:label ?label }").rows}
    assert found, "the fixture graph has organisations"
    return found


@pytest.fixture
def watched(built_mini, monkeypatch):
    """(atlas, calls): the fixture graph, settled and read once, and a count of the stats of every file since."""
    age(built_mini.root)
    labels(built_mini)
    assert built_mini._watcher is not None, "inotify is available on Linux"
    calls = []
    real = layout.file_stats

    def counted(root):
        calls.append(root)
        return real(root)

    monkeypatch.setattr("llm_atlas.api.file_stats", counted)
    return built_mini, calls


def test_with_nothing_changed_no_file_is_stat_ed(watched):
    atlas, calls = watched
    first = labels(atlas)
    for _ in range(5):
        assert labels(atlas) == first
    assert calls == []


def test_an_edit_in_place_is_seen_at_once(watched):
    atlas, calls = watched
    path = atlas.root / "graph/organization/beta-corp.ttl"
    path.write_text(path.read_text().replace('"Beta Corp"@en', '"Beta Corporation"@en'))
    assert "Beta Corporation" in labels(atlas) and len(calls) == 1


def test_an_edit_that_keeps_the_old_timestamp_is_still_looked_at(watched):
    atlas, calls = watched
    path = atlas.root / "graph/organization/beta-corp.ttl"
    path.write_text(path.read_text().replace('"Beta Corp"@en', '"Beta Corp."@en'))
    os.utime(path, (HOUR_AGO, HOUR_AGO))  # the size changed, the time did not
    assert "Beta Corp." in labels(atlas) and len(calls) == 1


def test_an_atomic_save_by_rename_is_seen(watched):
    atlas, _ = watched
    path = atlas.root / "graph/organization/beta-corp.ttl"
    temporary = path.with_name(".beta-corp.ttl.tmp")
    temporary.write_text(path.read_text().replace('"Beta Corp"@en', '"Beta Renamed"@en'))
    os.replace(temporary, path)
    assert "Beta Renamed" in labels(atlas)


def test_a_deleted_file_is_seen(watched):
    atlas, _ = watched
    before = labels(atlas)
    (atlas.root / "graph/organization/beta-corp.ttl").unlink()
    after = labels(atlas)
    assert "Beta Corp" in before and "Beta Corp" not in after


def test_a_file_in_a_new_folder_and_its_later_edits_are_seen(watched):
    atlas, _ = watched
    folder = atlas.root / "graph/organization/more"
    folder.mkdir()
    source = (atlas.root / "graph/organization/beta-corp.ttl").read_text()
    new = folder / "gamma.ttl"
    new.write_text(source.replace("beta-corp", "gamma-corp").replace('"Beta Corp"@en', '"Gamma Corp"@en'))
    assert "Gamma Corp" in labels(atlas)
    age(atlas.root)
    labels(atlas)  # settled again
    new.write_text(new.read_text().replace('"Gamma Corp"@en', '"Gamma Two"@en'))  # inside the folder watched since
    assert "Gamma Two" in labels(atlas)


def test_a_data_folder_that_appears_is_watched(watched):
    atlas, calls = watched
    assert not (atlas.root / "imports").exists()
    (atlas.root / "imports").mkdir()
    assert labels(atlas) and len(calls) == 1
    source = (atlas.root / "graph/organization/beta-corp.ttl").read_text()
    (atlas.root / "imports/delta.trig").write_text(source.replace("beta-corp", "delta-corp").replace('"Beta Corp"@en', '"Delta Corp"@en'))
    assert "Delta Corp" in labels(atlas)


def test_a_change_beside_the_data_folders_costs_nothing(watched):
    atlas, calls = watched
    (atlas.root / "NOTES.md").write_text("not data\n")
    (atlas.root / "queries" / "extra.rq").write_text("SELECT * WHERE { ?s ?p ?o } LIMIT 1\n")
    labels(atlas)
    assert calls == []


def test_lost_events_make_the_next_look_a_full_one(tmp_path):
    """The kernel's queue overflowing (Q_OVERFLOW, on no watch) means anything may have changed."""
    from inotify_simple import Event, flags

    class Overflowing:
        def add_watch(self, path, mask):
            return 1

        def read(self, timeout=None):
            return [Event(-1, flags.Q_OVERFLOW, 0, "")]

    (tmp_path / "graph").mkdir()
    watcher = file_watch.ChangeWatcher(tmp_path, Overflowing(), flags)
    assert watcher.changed() is True


def test_a_forked_child_does_not_steal_the_parents_events(watched):
    atlas, _ = watched
    path = atlas.root / "graph/organization/beta-corp.ttl"
    path.write_text(path.read_text().replace('"Beta Corp"@en', '"Beta Forked"@en'))
    pid = os.fork()
    if pid == 0:  # the child: a look from here says "changed" without reading the shared queue
        os._exit(0 if atlas._watcher.changed() else 1)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert "Beta Forked" in labels(atlas)


def test_without_a_watcher_every_look_stats_the_files(built_mini, monkeypatch):
    monkeypatch.setenv("LLM_ATLAS_NO_WATCH", "1")
    age(built_mini.root)
    labels(built_mini)
    assert built_mini._watcher is None
    path = built_mini.root / "graph/organization/beta-corp.ttl"
    path.write_text(path.read_text().replace('"Beta Corp"@en', '"Beta Unwatched"@en'))
    assert "Beta Unwatched" in labels(built_mini)


def test_closing_the_atlas_stops_the_watch(watched):
    atlas, _ = watched
    atlas.close()
    assert atlas._watcher is None
    path = atlas.root / "graph/organization/beta-corp.ttl"
    path.write_text(path.read_text().replace('"Beta Corp"@en', '"Beta Reopened"@en'))
    assert "Beta Reopened" in labels(atlas)
