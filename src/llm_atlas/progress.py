"""Progress on a terminal for long work (build, validate, report, import, export); nothing anywhere else.

A bar is drawn on stderr only when stderr is a terminal and the environment variable ``CI`` is not set
(CI logs and pipes stay clean); ``LLM_ATLAS_PROGRESS=0`` turns it off, ``=1`` forces it on. The bar is
tqdm's, imported only when a bar is drawn: tqdm is one small module without dependencies that handles
terminals, widths and rates, and it is what the project's other long jobs use (rich would bring pygments
and markdown-it and cost ~100 ms of start-up for the same bar).

>>> list(progress(range(3), desc="nothing to see"))  # not a terminal here: the items, untouched
[0, 1, 2]
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
DELAY = 0.5  # seconds: work that ends sooner never shows a bar


def enabled() -> bool:
    """Whether bars are drawn: on a terminal, outside CI, unless LLM_ATLAS_PROGRESS says otherwise."""
    forced = os.environ.get("LLM_ATLAS_PROGRESS")
    if forced is not None:
        return forced not in ("", "0", "false", "no")
    return bool(getattr(sys.stderr, "isatty", lambda: False)()) and not os.environ.get("CI")


def progress(items: Iterable[T], *, desc: str, unit: str = "file", total: int | None = None) -> Iterator[T] | Iterable[T]:
    """``items``, with a bar on stderr while they are consumed (when :func:`enabled` and there are enough)."""
    if total is None:
        try:
            total = len(items)  # type: ignore[arg-type]
        except TypeError:
            total = None
    if not enabled():
        return items
    from tqdm import tqdm

    return tqdm(items, desc=desc, unit=unit, total=total, file=sys.stderr, leave=False, dynamic_ncols=True, delay=DELAY)


__all__ = ["progress", "enabled"]
