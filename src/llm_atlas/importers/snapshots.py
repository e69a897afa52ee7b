"""Which snapshot of a source a folder holds: its git commit, or what a README beside it records."""

from __future__ import annotations

import re
from pathlib import Path


def git_version(folder: Path) -> str | None:
    """The commit of the snapshot (7 hex digits): from a git checkout, or from a README in the folder or up to
    three levels above that says ``<folder name>/ ... commit <hash>`` (how shared/README.md records its snapshots)."""
    folder = Path(folder).resolve()
    git = folder / ".git"
    head = git / "HEAD"
    if head.is_file():
        text = head.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("ref:"):
            ref = text[4:].strip()
            if (git / ref).is_file():
                text = (git / ref).read_text(encoding="utf-8", errors="replace").strip()
            elif (git / "packed-refs").is_file():
                for line in (git / "packed-refs").read_text(encoding="utf-8", errors="replace").splitlines():
                    if line.endswith(" " + ref):
                        text = line.split()[0]
        if re.fullmatch(r"[0-9a-f]{40}", text):
            return text[:7]
    for parent in (folder, *list(folder.parents)[:3]):
        readme = parent / "README.md"
        if not readme.is_file():
            continue
        for line in readme.read_text(encoding="utf-8", errors="replace").splitlines():
            match = re.search(r"\bcommit ([0-9a-f]{7,40})\b", line)
            if match and (folder.name + "/") in line:
                return match.group(1)[:7]
    return None
