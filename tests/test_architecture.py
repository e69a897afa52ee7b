"""docs/architecture.md is the map of the package: every module is in its layer table, and every import
points down the layers (CLI -> API -> composite jobs -> jobs -> core); no job imports another job."""

from __future__ import annotations

import ast
import re
from functools import cache

import pytest

from .conftest import ROOT

PACKAGE = ROOT / "src" / "llm_atlas"
RANK = {"CLI": 4, "API": 3, "composite jobs": 2, "jobs": 1, "core": 0}
# Modules that are one job between them: a job may import its own parts.
FAMILIES = [{"network", "network_drawing"}, {"lineage", "lineage_drawing"}, {"serve", "pages", "http_app", "sparql_protocol", "guard_process", "query_engine", "sandbox"}, {"__init__", "api"}, {"__main__", "cli"}, {"check", "import_provenance"}]


@cache
def layers() -> dict[str, str]:
    """Module (or package) name -> layer, from the table of docs/architecture.md."""
    found = {}
    for line in (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.split("|")]
        if len(cells) > 3 and cells[1] in RANK:
            # the modules a row names: `x.py` or `x/`; "(query, network)" after a composite names what it uses
            for name in re.findall(r"`([\w_]+)(?:\.py|/)`", cells[2]):
                found[name] = cells[1]
    return found


@cache
def modules() -> dict[str, list[ast.Module]]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "web":
            continue
        name = relative.parts[0] if len(relative.parts) > 1 else relative.stem  # a subpackage is one module here
        out.setdefault(name, [])
        tree = ast.parse(path.read_text(encoding="utf-8"))
        tree.depth = len(relative.parts) - 1  # 1 inside a subpackage: there `from .x` is the subpackage's own x
        out[name].append(tree)
    return out


def imports(trees) -> set[str]:
    """The package's modules these trees import (at the top or inside a function)."""
    found = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level:
                if node.level <= getattr(tree, "depth", 0):
                    continue  # a module of the same subpackage
                names = [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
                found.update(names)
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("llm_atlas."):
                found.add(node.module.split(".")[1])
    return found


def test_every_module_is_on_the_map():
    mapped = layers()
    present = set(modules())
    assert present - set(mapped) == set(), "add these modules to the layer table of docs/architecture.md"
    assert set(mapped) - present == set(), "the layer table of docs/architecture.md names modules that do not exist"


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_point_down_the_layers(module):
    mapped = layers()
    trees = modules()[module]
    for target in sorted(imports(trees) - {module}):
        if target not in mapped or any({module, target} <= family for family in FAMILIES):
            continue
        mine, theirs = RANK[mapped[module]], RANK[mapped[target]]
        if mapped[module] == "core":
            assert theirs == 0, f"core module {module} imports {target} ({mapped[target]})"
        else:
            assert theirs < mine, f"{module} ({mapped[module]}) imports {target} ({mapped[target]}): against the arrows"
