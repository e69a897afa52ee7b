"""LLM Atlas: the knowledge graph of the open large-language-model ecosystem.

>>> from llm_atlas import Atlas, __version__
>>> Atlas.__name__, __version__.count(".")
('Atlas', 2)
"""

from .version import __version__

__all__ = ["Atlas", "__version__"]


def __getattr__(name: str):
    # The API is imported on first use, so that `llm-atlas --help` and the submodules a job needs do not
    # load every job of the package.
    if name == "Atlas":
        from .api import Atlas

        return Atlas
    raise AttributeError(f"module 'llm_atlas' has no attribute {name!r}")
