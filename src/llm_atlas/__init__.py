"""LLM Atlas: the knowledge graph of the open large-language-model ecosystem."""

__version__ = "0.1.0"

from .api import Atlas  # noqa: E402  (the API needs __version__ defined first)

__all__ = ["Atlas", "__version__"]
