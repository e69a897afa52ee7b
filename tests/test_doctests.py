"""The examples in the package's docstrings run, against the atlas of this checkout (``atlas`` in them)."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import llm_atlas

MODULES = ["llm_atlas"] + sorted(m.name for m in pkgutil.iter_modules(llm_atlas.__path__, "llm_atlas.") if m.name != "llm_atlas.__main__")


@pytest.mark.parametrize("name", MODULES)
def test_the_examples_of(name, real_atlas):
    module = importlib.import_module(name)
    result = doctest.testmod(module, extraglobs={"atlas": real_atlas}, optionflags=doctest.ELLIPSIS, report=False,
                             raise_on_error=False, verbose=False)
    assert result.failed == 0, f"{result.failed} of the {result.attempted} examples of {name} fail: python -m doctest -v src/{name.replace('.', '/')}.py"


def test_the_api_and_the_core_have_examples():
    """The modules a newcomer reads first show how they are used."""
    for name in ("llm_atlas", "llm_atlas.api", "llm_atlas.namespaces", "llm_atlas.sparql_results", "llm_atlas.sparql_syntax",
                 "llm_atlas.search", "llm_atlas.suggest", "llm_atlas.ntriples", "llm_atlas.markdown"):
        module = importlib.import_module(name)
        assert doctest.DocTestFinder().find(module) and any(t.examples for t in doctest.DocTestFinder().find(module)), name
