"""Reading a base revision with git: which files existed, what they held, what the working tree changed."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError


def git(root: Path, *args: str, input: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], input=input, capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed: --base needs it") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(f"git {' '.join(args[:2])} failed: {message[-1] if message else done.returncode}")
    return done.stdout


def resolve(root: Path, rev: str) -> str:
    if rev.startswith("-"):
        raise UsageError(f"not a revision: {rev!r}")
    try:
        return git(root, "rev-parse", "--verify", "--quiet", rev + "^{commit}").decode().strip()
    except UsageError:
        raise UsageError(f"--base {rev}: no such revision in {root} (fetch it, e.g. git fetch origin main)") from None


GITLINK = "160000"  # the mode git gives a submodule


@dataclass
class Change:
    """How the working tree differs from a base revision, over the whole tree."""

    base: str
    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    submodules: list[str] = field(default_factory=list)  # paths the change makes (or keeps) a git submodule

    @property
    def touched(self) -> list[str]:
        """Paths that exist in the working tree and differ from the base."""
        return sorted(set(self.added + self.modified))

    @property
    def paths(self) -> list[str]:
        return sorted(set(self.added + self.modified + self.deleted))

    def under(self, folder: str) -> "Change":
        """The part of the change under ``folder``."""
        def keep(paths: list[str]) -> list[str]:
            return [p for p in paths if p.startswith(folder + "/")]
        return Change(self.base, keep(self.added), keep(self.modified), keep(self.deleted), keep(self.submodules))


def _decode(data: bytes) -> list[str]:
    return [p for p in data.decode("utf-8", "surrogateescape").split("\0") if p]


def change_since(root: Path, rev: str) -> Change:
    """Every path the working tree (tracked files, and untracked ones not ignored) changes since ``rev``."""
    sha = resolve(root, rev)
    change = Change(sha)
    # --raw gives both modes, so a file turned into a submodule (mode 160000) is seen as one
    raw = git(root, "diff", "--raw", "--no-renames", "--no-abbrev", "-z", sha).decode("utf-8", "surrogateescape").split("\0")
    position = 0
    while position + 1 < len(raw):
        header, path = raw[position], raw[position + 1]
        position += 2
        if not header.startswith(":"):
            continue
        old_mode, new_mode, _, _, status = header[1:].split(" ", 4)
        if GITLINK in (old_mode, new_mode) and new_mode != "000000":
            change.submodules.append(path)
        if status.startswith("A"):
            change.added.append(path)
        elif status.startswith("D"):
            change.deleted.append(path)
        else:
            change.modified.append(path)
    change.added += _decode(git(root, "ls-files", "--others", "--exclude-standard", "-z"))
    for name in ("added", "modified", "deleted", "submodules"):
        setattr(change, name, sorted(set(getattr(change, name))))
    return change


def is_toplevel(root: Path) -> bool:
    """Whether ``root`` is the top of a git working tree (not a folder inside some other repository)."""
    if not (root / ".git").exists():  # cheap: a checkout's top has .git (a folder, or a file for a worktree)
        return False
    try:
        top = git(root, "rev-parse", "--show-toplevel").decode("utf-8", "surrogateescape").strip()
    except UsageError:
        return False
    return Path(top).resolve() == root.resolve()


def tracked(root: Path, *pathspecs: str) -> list[tuple[str, str]]:
    """(mode, path) of every file git tracks under the pathspecs (all files if none)."""
    out = []
    for entry in _decode(git(root, "ls-files", "--stage", "-z", "--", *pathspecs)):
        meta, _, path = entry.partition("\t")
        out.append((meta.split(" ", 1)[0], path))
    return out


def untracked(root: Path) -> list[str]:
    """Files that git does not track and does not ignore."""
    return _decode(git(root, "ls-files", "--others", "--exclude-standard", "-z"))


def read_at(root: Path, rev: str, paths: list[str]) -> dict[str, bytes]:
    """The content of ``paths`` at ``rev`` (one git process for all of them)."""
    if not paths:
        return {}
    request = "".join(f"{rev}:{p}\n" for p in paths).encode("utf-8", "surrogateescape")
    out = git(root, "cat-file", "--batch", input=request)
    contents: dict[str, bytes] = {}
    position = 0
    for path in paths:
        header_end = out.index(b"\n", position)
        header = out[position:header_end].split()
        if header[-1] == b"missing":
            position = header_end + 1
            continue
        size = int(header[2])
        contents[path] = out[header_end + 1: header_end + 1 + size]
        position = header_end + 1 + size + 1
    return contents
