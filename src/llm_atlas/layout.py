"""Where things are in an atlas checkout: the project root and the files a build loads."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .errors import UsageError

ONTOLOGY_DIR = "ontology"
GRAPH_DIR = "graph"
QUERIES_DIR = "queries"
SHAPES_FILE = "ontology/shapes.ttl"
STORE_DIR = ".llm-atlas/store"
FILE_GRAPH_BASE = "https://w3id.org/llm-atlas/file/"


@dataclass(frozen=True)
class SourceFile:
    """A Turtle file of the atlas, by its path relative to the project root."""

    relpath: str
    path: Path

    @property
    def graph_iri(self) -> str:
        """The named graph the file's triples are loaded into."""
        return FILE_GRAPH_BASE + self.relpath

    @property
    def in_graph_dir(self) -> bool:
        return self.relpath.startswith(GRAPH_DIR + "/")

    def sha256(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()


def relpath_of_graph(graph_iri: str) -> str | None:
    return graph_iri[len(FILE_GRAPH_BASE):] if graph_iri.startswith(FILE_GRAPH_BASE) else None


def is_project_root(path: Path) -> bool:
    return (path / ONTOLOGY_DIR).is_dir() and (path / GRAPH_DIR).is_dir()


def find_root(start: str | os.PathLike | None = None) -> Path:
    """The atlas checkout to work on.

    An explicit path must be a checkout. Without one: the current directory or a parent of it, then the
    checkout this package was installed from (an editable install), so ``llm-atlas report`` works from
    anywhere inside the repository.
    """
    if start is not None:
        root = Path(start).resolve()
        if not is_project_root(root):
            raise UsageError(f"{root} is not an LLM Atlas checkout: it needs an ontology/ and a graph/ folder")
        return root
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if is_project_root(candidate):
            return candidate
    packaged = Path(__file__).resolve().parents[2]
    if is_project_root(packaged):
        return packaged
    raise UsageError(
        "no LLM Atlas checkout here: run the command inside the repository, or pass --root PATH "
        "(a folder with ontology/ and graph/)"
    )


def source_files(root: Path) -> list[SourceFile]:
    """Every file a build loads: all of ``ontology/`` and ``graph/``, sorted by path.

    Non-Turtle files are included on purpose: the loader refuses them by name rather than skipping them.
    """
    found: list[SourceFile] = []
    for folder in (ONTOLOGY_DIR, GRAPH_DIR):
        base = root / folder
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in filenames:
                if name.startswith(".") or name.endswith(("~", ".swp")) or name.lower() in {"readme.md"}:
                    continue
                path = Path(dirpath) / name
                found.append(SourceFile(path.relative_to(root).as_posix(), path))
    return sorted(found, key=lambda f: f.relpath)
