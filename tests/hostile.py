"""Hostile strings, in one place: text a user (or a source) could put where the atlas expects a value.

Every test that checks that a value stays a value (a SPARQL literal, a parameter, a label in a file, a
page, a report) takes its strings from here, so a new trick is added once and tried everywhere.
"""

# Strings that end a literal early, inject query text, or confuse an escaping rule.
HOSTILE_QUOTE = 'x" } ; DROP ALL ; { "'
HOSTILE_BACKSLASH = 'a\\\\" . ?s ?p ?o #'  # a, two backslashes, a quote: the kind of text that ends a literal early

HOSTILE_STRINGS = [
    HOSTILE_QUOTE,
    HOSTILE_BACKSLASH,
    'x" } ; DROP ALL ; SELECT * WHERE { "',
    "x' } DROP ALL #",
    "x'} ; DROP ALL ; {'",
    '""" \'\'\' "',
    "}", "\\", '"', "'''", '"""',
    "{ ?s ?p ?o }",
    "} { # <http://evil.example/> ?name $name",
    "\\u0022 } ; DROP ALL ; #",
    "\\u0022 } #",
    "\\\\u0022\\U00000022\\",
    "\\U0001F600\\\\u0022",
    "\\\\\\u0022",
    "a\\\\\\",
    "line\nbreak\r\ttab \b \f",
    "a\nb",
    "tab\there",
    "Linåker, 🙂, \u200b",
    "\u00e9\u4e2d\U0001f600",
    "",
]

# Values given where an IRI is expected.
HOSTILE_IRIS = ["dataset:x> } ; DROP ALL ; <y", "<http://a> } DROP ALL { <b>", "http://a b", 'http://a"', "not an iri"]

# Text given where markup is written (reports, pages): it must come out as text.
HOSTILE_MARKUP = ["*Bold* _it_ `code`", "<script>alert(1)</script>", "a | b", "[link](javascript:alert(1))", "# heading", "&amp; &lt;"]

# Characters a value may not carry at all.
CONTROL_CHARACTERS = ["nul \x00 char", "escape \x1b"]
