"""What the endpoint worked out from a query's text, remembered, within a bound on entries *and* characters.

The endpoint remembers the guard's verdict on a text and the text it sends the engine, so that a query seen
before costs a dictionary lookup. A bound on the number of entries alone would let distinct long texts fill the
server (4,096 texts of 64 KiB are 256 MiB), so the characters held are bounded too; the oldest entries go
first. Reads need no lock (one dictionary lookup); writers serialise among themselves.

>>> cache = TextCache(max_entries=2, max_chars=10, max_text=6)
>>> cache.put("abc", 1); cache.put("defg", 2); cache.get("abc")
1
>>> cache.put("hi", 3)  # three entries: the oldest goes
>>> cache.get("abc") is None, cache.get("defg"), cache.get("hi")
(True, 2, 3)
>>> cache.put("toolong", 4)  # longer than max_text: not kept
>>> cache.get("toolong") is None, len(cache), cache.chars
(True, 2, 6)
>>> cache.put("xyz", 5, extra=4)  # 6 + 3 + 4 characters > 10: the oldest go until it fits
>>> cache.get("defg") is None, cache.get("hi"), cache.get("xyz"), cache.chars
(True, 3, 5, 9)
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

V = TypeVar("V")


class TextCache(Generic[V]):
    """Values by text, at most ``max_entries`` of them holding at most ``max_chars`` characters (each text's
    length plus the ``extra`` characters its value holds); texts over ``max_text`` characters are not kept."""

    def __init__(self, max_entries: int, max_chars: int, max_text: int):
        self.max_entries, self.max_chars, self.max_text = max_entries, max_chars, max_text
        self._entries: OrderedDict[str, tuple[V, int]] = OrderedDict()
        self.chars = 0

    def get(self, text: str) -> V | None:
        found = self._entries.get(text)
        return None if found is None else found[0]

    def put(self, text: str, value: V, extra: int = 0) -> None:
        size = len(text) + extra
        if len(text) > self.max_text or size > self.max_chars or text in self._entries:
            return
        self._entries[text] = (value, size)
        self.chars += size
        while len(self._entries) > self.max_entries or self.chars > self.max_chars:
            _, (_, dropped) = self._entries.popitem(last=False)
            self.chars -= dropped

    def __len__(self) -> int:
        return len(self._entries)


__all__ = ["TextCache"]
