"""'Did you mean ...?': the nearest names to a word a user mistyped (commands, saved queries, slugs, concepts).

>>> did_you_mean("stdy-sample", ["study-sample", "sample-by-type", "motivations"])
'did you mean study-sample?'
>>> did_you_mean("xyz", ["study-sample"])
''
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def nearest(word: str, choices: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` choices closest to ``word``: difflib's ratio, case ignored; names it starts or ends are kept too."""
    options = sorted(set(choices))
    lowered = {c.lower(): c for c in options}
    found = [lowered[m] for m in difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=cutoff)]
    if len(word) >= 3:
        found += [c for c in options if c not in found and (c.lower().startswith(word.lower()) or word.lower().startswith(c.lower()))]
    return found[:n]


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """``did you mean a, b or c?`` for the nearest choices, or the empty string when none is near."""
    found = nearest(word, choices, n)
    if not found:
        return ""
    listed = found[0] if len(found) == 1 else ", ".join(found[:-1]) + " or " + found[-1]
    return f"did you mean {listed}?"


__all__ = ["nearest", "did_you_mean"]
