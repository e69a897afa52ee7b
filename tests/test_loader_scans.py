"""The loader's two text scans (RDF 1.2 markers, bracket nesting) give the answers of a token-by-token scan.

Both first run one regular-expression pass in C (``findall``) and fall back to the tokens one by one only to
say where a marker is, or where the nesting passes the limit. The references below are the token-by-token
scans as they were before that pass, compared on every file of this checkout and on random texts made of the
pieces that make the scans hard: markers inside strings, IRIs, comments and escapes, unterminated strings,
brackets deeper than the limit.
"""

from __future__ import annotations

import random
import re
import subprocess
import sys

import pytest

from llm_atlas import loader
from llm_atlas.layout import source_files

from .conftest import ROOT


# The scanners' patterns before they were made linear: each alternative as it was, which took quadratic time on a
# long word (so the random texts below keep their words short).
OLD_RDF12_TOKENS = re.compile(
    r'(?P<skip>"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\s]*>'
    r"|#[^\n]*"
    r"|(?:[A-Za-z][\w.-]*)?:(?:[\w\-.:%]|\\.)+"
    r"|\\.)"
    r"|(?P<triple><<\()|(?P<reifier><<)|(?P<annotation>\{\|)|(?P<tilde>~)"
    r"|(?P<direction>@[A-Za-z]+(?:-[A-Za-z0-9]+)*--(?:ltr|rtl)\b)"
    r"|(?P<version>(?:(?<=\n)|^)[ \t]*(?:@version|VERSION)\b)",
    re.IGNORECASE,
)
OLD_NESTING_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\s]*>'
    r"|(?:[A-Za-z][\w.-]*)?:(?:[\w\-.:%]|\\.)+"
    r"|\\."
    r"|#[^\n]*"
    r"|[\[\]()]"
)
OLD_BLANK_NODE_TOKENS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'\'\'(?:[^'\\]|\\.|'(?!''))*'\'\'"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r'|<[^<>"{}|^`\\\s]*>'
    r"|#[^\n]*"
    r"|(?P<label>_:[\w.-]+)"
    r"|(?:[A-Za-z][\w.-]*)?:(?:[\w\-.:%]|\\.)+"
    r"|\\."
    r"|(?P<open>[\[(])"
)
OLD_TOKEN = re.compile(r"<([^>\s]*)>|([A-Za-z][\w.-]*)?:((?:[\w\-.:%]|\\.)*)")


def reference_rdf12_position(text: str):
    for token in OLD_RDF12_TOKENS.finditer(text):
        kind = token.lastgroup
        if kind == "skip":
            continue
        start = token.start() + (len(token.group()) - len(token.group().lstrip(" \t")) if kind == "version" else 0)
        return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1, loader._RDF12_WHAT[kind]
    return None


def reference_nesting_depth(text: str):
    depth = deepest = where = 0
    for token in OLD_NESTING_TOKENS.finditer(text):
        c = token.group()
        if c in "[(":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest == loader.MAX_NESTING + 1:
                    where = token.start()
        elif c in "])":
            depth -= 1
    if deepest <= loader.MAX_NESTING:
        return deepest, 0, 0
    return deepest, text.count("\n", 0, where) + 1, where - (text.rfind("\n", 0, where) + 1) + 1


PIECES = [
    '"a -- b"', "'x ~ y'", '"""two\nlines << ( [ """', "'''also ~ {| '''", '"esc \\" << "', "<http://example.org/a~b>",
    "<http://example.org/(x)>", "# a comment << ~ [ (\n", "ex:a\\~b", "ex:p", ":q", "ex:x.y-z", "<<", "<<(", ")>>", ">>",
    "{|", "|}", "~", "~ ex:r", '"t"@en--ltr', '"t"@en-GB--rtl', "@en--ltr", "@prefix", "\nVERSION \"1.2\"", "\n  @version",
    " VERSION", "version", "VERSIONS", "\n", " ", "\t", ".", ";", ",", "[", "]", "(", ")", "\\[", "\\(", '"', "'", "<", ">", "#",
    ":", "@", "-", "--", "\\", '"unterminated', "<http://example.org/open", "a", "1", "abc", "VERSIONx", "ab_:c", "_:b1", "_:",
    "1abc:x", "a.b-c", "xyz:", "ex:", "ex:\\#x", "é", "ex:é",
]


def random_texts(count: int, seed: int, brackets: int = 0):
    rng = random.Random(seed)
    for _ in range(count):
        parts = [rng.choice(PIECES) for _ in range(rng.randint(0, 40))]
        if brackets:  # enough openers to pass the count shortcut, nested or not
            parts += [rng.choice(["[", "(", "[ ex:p ", "( "]) for _ in range(rng.randint(brackets // 2, brackets))]
            parts += [rng.choice(["]", ")", '"]"', "# ]\n"]) for _ in range(rng.randint(0, brackets))]
            rng.shuffle(parts)
        yield "".join(parts)


def test_rdf12_markers_as_token_by_token_on_random_texts():
    found = 0
    for text in random_texts(4000, seed=12):
        expected = reference_rdf12_position(text)
        assert loader.rdf12_position(text) == expected, text
        found += expected is not None
    assert 500 < found < 3900  # both answers are common among the texts


def test_nesting_as_token_by_token_on_random_texts():
    too_deep = 0
    for text in random_texts(3000, seed=13, brackets=2 * loader.MAX_NESTING + 10):
        expected = reference_nesting_depth(text)
        assert loader.nesting_depth(text) == expected, text
        too_deep += expected[0] > loader.MAX_NESTING
    assert 100 < too_deep < 2900


@pytest.mark.parametrize("depth", [loader.MAX_NESTING, loader.MAX_NESTING + 1, 500])
def test_nesting_at_and_past_the_limit(depth):
    text = "ex:a ex:p " + "[ ex:q " * depth + '"]]]" ' + "] " * depth + ".\n# ((((\n" + "( ) " * 40
    assert loader.nesting_depth(text) == reference_nesting_depth(text)
    assert (loader.nesting_depth(text)[1] > 0) == (depth > loader.MAX_NESTING)


def test_every_file_of_this_checkout_as_token_by_token():
    sources = source_files(ROOT)
    assert any(s.is_import_dataset for s in sources)  # the large import file, where the C pass is what runs
    for source in sources:
        text = source.path.read_text(encoding="utf-8")
        assert loader.rdf12_position(text) == reference_rdf12_position(text), source.relpath
        depth, *where = loader.nesting_depth(text)  # (a file under the limit by its count of brackets: a bound, not the depth)
        expected, *expected_where = reference_nesting_depth(text)
        assert (depth > loader.MAX_NESTING, where) == (expected > loader.MAX_NESTING, expected_where), source.relpath


def test_a_marker_after_many_strings_holding_markers_is_found_where_it_is():
    text = '"a -- b ~ c" , ' * 5000 + "\nex:s ex:p ex:o ~ ex:r .\n"
    assert loader.rdf12_position(text) == (2, 16, "a reifier ~") == reference_rdf12_position(text)


def reference_blank_node_position(text: str):
    for token in OLD_BLANK_NODE_TOKENS.finditer(text):
        if token.lastgroup in ("label", "open"):
            start = token.start()
            return text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1
    return 1, 1


def test_blank_node_position_as_token_by_token_on_random_texts():
    for text in random_texts(3000, seed=14):
        assert loader.blank_node_position(text) == reference_blank_node_position(text), text


def test_line_index_reads_the_names_of_a_line_as_before():
    prefixes = {"ex": "http://example.org/", "": "http://example.org/empty#", "abc": "http://example.org/abc#"}
    for line in random_texts(3000, seed=15):
        line = line.replace("\n", " ")
        before = [loader._expand(t, prefixes) for t in OLD_TOKEN.finditer(line)]
        after = [loader._expand(t, prefixes) for t in loader._TOKEN.finditer(line)]
        assert [x for x in after if x] == [x for x in before if x], line
        first_before, first_after = OLD_TOKEN.match(line), loader._TOKEN.match(line)
        assert (first_after and loader._expand(first_after, prefixes)) == (first_before and loader._expand(first_before, prefixes)), line


HOSTILE = {  # each 2 MiB, the largest an entity file may be: long runs that a scan once tried letter by letter
    "word": "[ " * 40 + "~ " + "x" * (2 << 20),
    "word-then-colon": "[ " * 40 + "~ " + "x" * (2 << 20) + ": .",
    "unterminated-string": "[ " * 40 + "~ " + '"' + "x" * (2 << 20),
    "language-tag": "[ " * 40 + '"a"@' + "x" * (2 << 20),
    "long-literal-line": 'ex:s ex:p "' + "x" * (2 << 20) + '" .',
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_the_scans_take_linear_time_on_hostile_text(case):
    # in a child with a bound a thousand times what the scans take (about 0.2 s at most): the quadratic forms took hours
    code = ("import sys; from llm_atlas import loader; text = sys.stdin.read(); loader.rdf12_position(text); "
            "loader.nesting_depth(text); loader.blank_node_position(text); "
            "index = loader.LineIndex(text, {'ex': 'http://example.org/'}); index.predicate_line('http://example.org/s', 'http://example.org/q')")
    done = subprocess.run([sys.executable, "-c", code], input=HOSTILE[case], text=True, capture_output=True, timeout=200)
    assert done.returncode == 0, done.stderr
