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


@dataclass
class Change:
    """How the working tree differs from a base revision under one folder."""

    base: str
    base_files: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    modified: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)  # changed files outside the folder

    @property
    def touched(self) -> list[str]:
        return sorted(self.added + self.modified)


def change_since(root: Path, rev: str, folder: str = "graph") -> Change:
    sha = resolve(root, rev)
    change = Change(sha)
    listing = git(root, "ls-tree", "-r", "-z", "--name-only", sha, "--", folder + "/").decode("utf-8", "surrogateescape")
    change.base_files = sorted(p for p in listing.split("\0") if p)
    diff = git(root, "diff", "--no-renames", "--name-status", "-z", sha).decode("utf-8", "surrogateescape").split("\0")
    for status, path in zip(diff[0::2], diff[1::2]):
        if not path:
            continue
        if not path.startswith(folder + "/"):
            change.outside.append(path)
        elif status.startswith("A"):
            change.added.append(path)
        elif status.startswith("D"):
            change.deleted.append(path)
        else:
            change.modified.append(path)
    untracked = git(root, "ls-files", "--others", "--exclude-standard", "-z").decode("utf-8", "surrogateescape").split("\0")
    for path in untracked:
        if path.startswith(folder + "/"):
            change.added.append(path)
        elif path:
            change.outside.append(path)
    for name in ("added", "modified", "deleted", "outside"):
        setattr(change, name, sorted(set(getattr(change, name))))
    return change


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
