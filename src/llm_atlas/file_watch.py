"""Knowing that no file a build loads has changed since the last look, without a stat of every file.

A reader of the atlas (``Atlas.query`` and the other reading methods, ``serve --reload``) must never answer
from a store older than the files. Comparing the size and time of every file (:func:`llm_atlas.layout.file_stats`)
costs a stat per file: about 1 ms on this repository's graph, 100 ms at 10^6 triples (18,500 files), which is
most of a short query's time. On Linux the kernel says the same thing for free: inotify queues an event
inside the very system call that writes, renames, deletes or touches a file, so once :meth:`ChangeWatcher.changed`
has drained the queue and found it empty, every change finished before the call would have been in it.

Elsewhere (no inotify, the watch limit reached, a forked child holding the parent's watcher, or
``LLM_ATLAS_NO_WATCH`` set) :func:`start` returns None, and readers stat every file as before.

Not seen by inotify: changes made to a network file system by another machine. Set ``LLM_ATLAS_NO_WATCH=1``
for a checkout on such a file system.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .layout import GRAPH_DIR, IMPORTS_DIR, ONTOLOGY_DIR

DATA_FOLDERS = (ONTOLOGY_DIR, GRAPH_DIR, IMPORTS_DIR)


class ChangeWatcher:
    """inotify watches on the checkout's root and every folder under ontology/, graph/ and imports/."""

    def __init__(self, root: Path, inotify, flags):
        self.root = str(root)
        self._inotify = inotify
        self._flags = flags
        self._pid = os.getpid()
        self._broken = False  # True once the watches can no longer be trusted to see every change
        self._mask = (flags.MODIFY | flags.ATTRIB | flags.CLOSE_WRITE | flags.MOVED_FROM | flags.MOVED_TO | flags.CREATE
                      | flags.DELETE | flags.DELETE_SELF | flags.MOVE_SELF)
        self._watch_root = self._inotify.add_watch(self.root, flags.CREATE | flags.DELETE | flags.MOVED_FROM | flags.MOVED_TO
                                                   | flags.DELETE_SELF | flags.MOVE_SELF)
        self._watch_folders()

    def _watch_folders(self) -> None:
        """Add a watch on every data folder there is now (adding one twice is harmless: the kernel keeps one)."""
        for top in DATA_FOLDERS:
            base = os.path.join(self.root, top)
            if not os.path.isdir(base):
                continue
            for dirpath, dirnames, _ in os.walk(base):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                try:
                    self._inotify.add_watch(dirpath, self._mask)
                except FileNotFoundError:  # gone meanwhile: its parent's event says so
                    continue
                except OSError:  # the per-user limit of watches: from now on every look stats the files
                    self._broken = True
                    return

    def changed(self) -> bool:
        """Whether anything may have changed in the data folders since the last call (True after a lost event,
        once the root itself moved, or in another process than the one that started the watcher)."""
        if self._broken or os.getpid() != self._pid:  # a forked child shares the parent's queue: reading it would steal events
            return True
        events = self._inotify.read(timeout=0)
        flags = self._flags
        relevant = restructured = False
        for event in events:
            if event.wd == self._watch_root:  # the root: only the data folders themselves appearing or going count
                if event.mask & (flags.DELETE_SELF | flags.MOVE_SELF | flags.IGNORED):
                    self._broken = True
                if event.name in DATA_FOLDERS:
                    relevant = restructured = True
                continue
            relevant = True  # any event in a data folder, and a lost-events notice (Q_OVERFLOW, on no watch)
            if event.mask & (flags.Q_OVERFLOW | flags.ISDIR | flags.IGNORED | flags.DELETE_SELF | flags.MOVE_SELF):
                restructured = True
        if restructured:  # watch new folders before the caller looks at the files, so no later change is missed
            self._watch_folders()
        return relevant or self._broken

    def close(self) -> None:
        if os.getpid() == self._pid:
            self._inotify.close()


def start(root: Path) -> ChangeWatcher | None:
    """A watcher on the checkout at ``root``, or None where the kernel cannot watch it (see the module's text)."""
    if not sys.platform.startswith("linux") or os.environ.get("LLM_ATLAS_NO_WATCH"):
        return None
    try:
        from inotify_simple import INotify, flags
    except ImportError:  # pragma: no cover - a dependency; only a broken install lacks it
        return None
    try:
        inotify = INotify(inheritable=False, nonblocking=True)
    except OSError:  # the per-user limit of inotify instances
        return None
    try:
        return ChangeWatcher(root, inotify, flags)
    except OSError:  # the per-user limit of watches, or a folder gone meanwhile
        inotify.close()
        return None
