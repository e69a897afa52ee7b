"""Format job: ``llm-atlas fmt`` writes the files of ``graph/`` in the canonical Turtle layout.

The layout, and the proof that formatting loses nothing, are :mod:`llm_atlas.canonical_turtle`'s; this
module finds the files, reads them with the loader's checks, reports those that differ (``--check``) and
rewrites them atomically.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from pathlib import Path

from .canonical_turtle import FormatError, format_text
from .errors import InvalidData, Problem, UsageError, sort_problems
from .layout import SourceFile
from .loader import load_file
from .store import atomic_write_text

__all__ = ["FormatError", "format_text", "format_file", "expand_paths", "check_files", "write_files"]


def _display(path: Path, root: Path | None) -> str:
    base = (root or Path.cwd()).resolve()
    try:
        return path.resolve().relative_to(base).as_posix()
    except ValueError:
        return path.as_posix()


def format_file(path: str | os.PathLike, root: str | os.PathLike | None = None) -> tuple[bool, str]:
    """(changed, canonical text) of one file; nothing is written.

    The file is read with the loader's checks (Turtle only, size, UTF-8 without BOM, strict parse, no
    @base); problems are reported relative to ``root`` (default: the current directory) as InvalidData.
    """
    path = Path(path)
    display = _display(path, Path(root) if root is not None else None)
    loaded = load_file(SourceFile(display, path))
    if loaded.problems:
        raise InvalidData(loaded.problems)
    formatted = format_text(loaded.text, display)
    return formatted != loaded.text, formatted


def expand_paths(paths: Iterable[str | os.PathLike]) -> list[Path]:
    """The files to format: files as given, folders as every ``*.ttl`` below them (hidden ones skipped), sorted."""
    found: set[Path] = set()
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = [d for d in dirnames if not d.startswith(".")]
                found.update(Path(dirpath) / name for name in filenames if name.endswith(".ttl") and not name.startswith("."))
        elif path.exists():
            found.add(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    return sorted(found, key=lambda p: p.as_posix())


def _first_difference(old: str, new: str) -> int:
    for number, (a, b) in enumerate(zip(old.splitlines(), new.splitlines()), start=1):
        if a != b:
            return number
    return min(len(old.splitlines()), len(new.splitlines())) + 1


def _run(paths: Iterable[str | os.PathLike], root) -> tuple[list[tuple[Path, str, str]], list[Problem]]:
    """For each file: (path, display path, canonical text) when it changes; and the problems."""
    root_path = Path(root) if root is not None else None
    changes, problems = [], []
    for path in expand_paths(paths):
        display = _display(path, root_path)
        try:
            changed, text = format_file(path, root)
        except InvalidData as error:
            problems.extend(error.problems)
            continue
        if changed:
            changes.append((path, display, text))
    return changes, problems


def check_files(paths: Iterable[str | os.PathLike], root: str | os.PathLike | None = None) -> list[Problem]:
    """The problems of files that are not canonical (rule ``format``) or cannot be formatted; writes nothing."""
    changes, problems = _run(paths, root)
    for path, display, text in changes:
        old = path.read_text(encoding="utf-8")
        diff = difflib.unified_diff(old.splitlines(), text.splitlines(), display, display + " (canonical)", lineterm="", n=1)
        problems.append(Problem(display, _first_difference(old, text), 1, "format",
                                f"the file is not in canonical form: run `llm-atlas fmt {display}`",
                                details=tuple(list(diff)[:40])))
    return sort_problems(problems)


def write_files(paths: Iterable[str | os.PathLike], root: str | os.PathLike | None = None) -> tuple[list[Path], list[Problem]]:
    """Rewrite every file that is not canonical; returns (files changed, problems of files left untouched).

    Every file is formatted and proven before any is written, so a FormatError writes nothing at all;
    each write is atomic (the old content or the new, never a part).
    """
    changes, problems = _run(paths, root)
    for path, _, text in changes:
        atomic_write_text(path, text)
    return [path for path, _, _ in changes], sort_problems(problems)
