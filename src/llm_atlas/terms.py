"""Rules on the terms of every file, whatever its folder: the text people read, language tags, link schemes.

The parser accepts any Unicode in a literal or an IRI and any IRI scheme; these rules keep out what would
mislead a reader or a page: invisible and bidirectional control characters (a label that reads "Meta" but is
not, an IRI that renders backwards), text that is not in Unicode normalisation form C (two labels that look
alike and compare unequal), ``xsd:language`` values that are not BCP 47 tags, and IRIs whose scheme is not
http or https (a ``javascript:`` or ``file:`` link in a page). Each problem points at the term's line and
column in the file.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import pyoxigraph as ox

from .errors import Problem

XSD_LANGUAGE = "http://www.w3.org/2001/XMLSchema#language"
_XSD_LANGUAGE_NODE = ox.NamedNode(XSD_LANGUAGE)

# Characters that change how text renders without showing themselves: every format character (Unicode
# category Cf: zero-width spaces and joiners, bidi embeddings, overrides and isolates, the BOM, tag
# characters, soft hyphens), and the C0/C1 controls other than tab, line feed and carriage return.
_INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u070f\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
                        r"\U000110bd\U000110cd\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001-\U000e007f]")

# BCP 47 (RFC 5646, section 2.1): a well-formed language tag, or one of the grandfathered tags. The primary
# language subtag is held to two or three letters (ISO 639): the grammar's four- and five-to-eight-letter
# forms are reserved and none is registered, so "english" is a mistake, never a tag.
_BCP47 = re.compile(
    r"[a-z]{2,3}(?:-[a-z]{3}){0,3}"  # language, with up to three extended subtags
    r"(?:-[a-z]{4})?"  # script
    r"(?:-(?:[a-z]{2}|[0-9]{3}))?"  # region
    r"(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*"  # variants
    r"(?:-[0-9a-wyz](?:-[a-z0-9]{2,8})+)*"  # extensions
    r"(?:-x(?:-[a-z0-9]{1,8})+)?"  # private use
    r"|x(?:-[a-z0-9]{1,8})+"
    r"|en-gb-oed|i-(?:ami|bnn|default|enochian|hak|klingon|lux|mingo|navajo|pwn|tao|tay|tsu)|sgn-(?:be-fr|be-nl|ch-de)"
    r"|art-lojban|cel-gaulish|no-bok|no-nyn|zh-(?:guoyu|hakka|min|min-nan|xiang)",
    re.IGNORECASE,
)
WEB_SCHEMES = ("http://", "https://")


def is_bcp47(tag: str) -> bool:
    """Whether ``tag`` is a well-formed BCP 47 language tag.

    >>> [is_bcp47(t) for t in ("sw", "zh-Hant-TW", "sl-rozaj-biske", "en-US-x-twain", "i-klingon", "english", "en_US", "e", "en-")]
    [True, True, True, True, True, False, False, False, False]
    """
    if not _BCP47.fullmatch(tag):
        return False
    # no singleton (an extension or private-use introducer) twice; no variant twice (RFC 5646, 2.2.5-6)
    parts = tag.lower().split("-")
    private = parts.index("x") if "x" in parts else len(parts)
    singletons = [p for p in parts[1:private] if len(p) == 1]
    variants = [p for p in parts[1:private] if len(p) >= 5 or (len(p) == 4 and p[0].isdigit())]
    return len(set(singletons)) == len(singletons) and len(set(variants)) == len(variants)


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'a control character')}"


class _Finder:
    """Where a term is written: its line and column in the file's text, found only when a problem needs it."""

    def __init__(self, text: str):
        self.text = text

    def position(self, offset: int) -> tuple[int, int]:
        line = self.text.count("\n", 0, offset) + 1
        return line, offset - (self.text.rfind("\n", 0, offset) + 1) + 1

    def find(self, *needles: str) -> tuple[int, int]:
        for needle in needles:
            if needle:
                offset = self.text.find(needle)
                if offset >= 0:
                    return self.position(offset)
        return 1, 1

    def find_char(self, char: str) -> tuple[int, int]:
        """The character itself, or its escape (\\uXXXX, \\UXXXXXXXX) as Turtle allows it in strings and IRIs."""
        offset = self.text.find(char)
        if offset < 0:
            escape = re.search(rf"\\u{ord(char):04x}|\\U{ord(char):08x}", self.text, re.IGNORECASE)
            return self.position(escape.start()) if escape else (1, 1)
        return self.position(offset)


def _first_unnormalised(finder: _Finder, value: str) -> tuple[int, int]:
    """Where the text stops being NFC: its first combining mark (or the text itself)."""
    mark = next((c for c in value if unicodedata.combining(c)), None)
    if mark is not None:
        return finder.find_char(mark)
    first = value.split("\n", 1)[0]
    return finder.find(first[:80], first[:20])


# Escapes in Turtle text that decode to a character the invisible-character rule refuses (\b, \f, \uXXXX, \UXXXXXXXX)
_RISKY_ESCAPE = re.compile(r"\\[bfuU]")


def plain_text(text: str) -> bool:
    """Whether every term parsed from ``text`` is surely visible and in NFC: the text is ASCII, holds no invisible
    ASCII control, and no escape that could decode to one (then the per-term checks cannot fail, and are skipped:
    they were most of the file rules' time on a large graph).

    >>> [plain_text(t) for t in ('<a> <b> "x\\ty" .', '<a> <b> "caf\u00e9" .', '<a> <b> "x\\u200by" .', '<a> <b> "x\\fy" .')]
    [True, False, False, False]
    """
    return text.isascii() and not _INVISIBLE.search(text) and not _RISKY_ESCAPE.search(text)


def term_problems(relpath: str, quads: Iterable[ox.Quad], text: str) -> list[Problem]:
    """The term rules over one file's quads; ``text`` is the file, for line and column."""
    if plain_text(text):  # only an IRI's scheme or an xsd:language tag can be wrong: look at just those quads
        quads = [quad for quad in quads if _scheme_or_language(quad)]
    finder = _Finder(text)
    problems: list[Problem] = []
    seen: set[tuple[str, str]] = set()

    def add(rule: str, key: str, where: tuple[int, int], message: str, focus: str = "") -> None:
        if (rule, key) not in seen:
            seen.add((rule, key))
            problems.append(Problem(relpath, where[0], where[1], rule, message, focus=focus))

    for quad in quads:
        subject = quad.subject.value if isinstance(quad.subject, ox.NamedNode) else ""
        for term in (quad.subject, quad.predicate, quad.object):
            if isinstance(term, ox.NamedNode):
                iri = term.value
                invisible = _INVISIBLE.search(iri)
                if invisible:
                    add("invisible-character", iri, finder.find_char(invisible.group()),
                        f"the IRI <{_shown(iri)}> contains {_describe(invisible.group())}, which does not show on screen: "
                        "retype the IRI", subject)
                elif not unicodedata.is_normalized("NFC", iri):
                    add("unicode-nfc", iri, finder.find("<" + iri, iri.rsplit("/", 1)[-1]),
                        f"the IRI <{_shown(iri)}> is not in Unicode normalisation form C: retype it (or normalise the file to NFC)", subject)
                if not iri.startswith(WEB_SCHEMES):
                    add("iri-scheme", iri, finder.find("<" + iri + ">"),
                        f"<{_shown(iri)}> is not an http or https IRI: the atlas links only to web pages and its own IRIs "
                        "(a page would otherwise turn it into a link of another kind)", subject)
            elif isinstance(term, ox.Literal):
                value = term.value
                invisible = _INVISIBLE.search(value)
                if invisible:
                    add("invisible-character", value, finder.find_char(invisible.group()),
                        f"the text \"{_shown(value)}\" contains {_describe(invisible.group())}, which does not show on screen: "
                        "delete it (retype the text if unsure where it is)", subject)
                elif not unicodedata.is_normalized("NFC", value):
                    add("unicode-nfc", value, _first_unnormalised(finder, value),
                        f"the text \"{_shown(value)}\" is not in Unicode normalisation form C (a letter and a separate combining "
                        "accent instead of the accented letter): retype it or normalise the file to NFC", subject)
                if term.datatype.value == XSD_LANGUAGE and not is_bcp47(value):
                    add("language-tag", value, finder.find(f'"{value}"^^', f'"{value}"'),
                        f"\"{_shown(value)}\" is not a BCP 47 language tag: write e.g. \"sw\"^^xsd:language or \"zh-Hant\"^^xsd:language", subject)
    return problems


def _scheme_or_language(quad: ox.Quad) -> bool:
    """Whether the quad holds an IRI that is not http(s) or an xsd:language literal (the rules a plain text can break).
    Written out term by term: it runs once per triple of the atlas."""
    subject, obj = quad.subject, quad.object
    if type(subject) is ox.NamedNode and not subject.value.startswith(WEB_SCHEMES):
        return True
    if not quad.predicate.value.startswith(WEB_SCHEMES):
        return True
    if type(obj) is ox.NamedNode:
        return not obj.value.startswith(WEB_SCHEMES)
    return type(obj) is ox.Literal and obj.datatype == _XSD_LANGUAGE_NODE


def _shown(text: str) -> str:
    """Text safe to print: invisible characters and controls escaped, long text cut."""
    cut = text if len(text) <= 80 else text[:77] + "..."
    return _INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", cut)
