"""The rule catalogue: every rule id a problem can carry, with what it means.

SHACL rules are documented by the shapes themselves (label, comment, message); the rules checked in
Python (loading, file layout, saved queries) are listed here. ``llm-atlas rules`` prints the catalogue
that docs/rules.md holds; a test keeps the two equal.
"""

from __future__ import annotations

import rdflib
from rdflib.namespace import RDF, RDFS, SH

from .namespaces import ONTOLOGY
from .rdfbridge import compact

SHAPES_NS = ONTOLOGY + "shapes/"


def rule_id(shapes: rdflib.Graph, source_shape: rdflib.term.Node, path: rdflib.term.Node | None) -> str:
    """The stable rule id of a result: the local name of its node shape (plus the path when that shape has several)."""
    node_shape = source_shape
    if isinstance(source_shape, rdflib.BNode):
        parents = list(shapes.subjects(SH.property, source_shape))
        node_shape = parents[0] if parents else source_shape
    name = str(node_shape)
    name = name[len(SHAPES_NS):] if name.startswith(SHAPES_NS) else compact(node_shape)
    if isinstance(source_shape, rdflib.BNode) and len(list(shapes.objects(node_shape, SH.property))) > 1 and path is not None:
        name += "/" + compact(path).split(":")[-1]
    return name


PYTHON_RULES: dict[str, tuple[str, str]] = {
    "not-turtle": ("loading", "Only Turtle files (.ttl) belong in ontology/ and graph/; imports/ also holds TriG files (imports/<name>.trig)."),
    "file-too-large": ("loading", "A file is larger than the limit (2 MiB; 64 MiB for a file of imports/); one entity per file keeps files small."),
    "record-graph": ("loading", "A named graph of an import file (imports/<name>.trig) is not one of its source records "
                                "(<https://w3id.org/llm-atlas/record/<name>/...>): it could overwrite another file's data."),
    "symlink": ("loading", "A symbolic link in ontology/, graph/ or imports/: links are not followed, since one could point outside the checkout."),
    "unreadable": ("loading", "The file cannot be read (permissions, a broken link)."),
    "nesting-too-deep": ("loading", "Brackets or parentheses nest deeper than 32 levels (a bound that keeps every tool downstream safe)."),
    "encoding": ("loading", "The file is not UTF-8, or starts with a byte order mark."),
    "turtle-syntax": ("loading", "The file is not valid Turtle; the message is the strict parser's (pyoxigraph) with line and column."),
    "unknown-prefix": ("loading", "A prefixed name uses a prefix the file does not declare."),
    "relative-iri": ("loading", "@base or a relative IRI: every IRI must be absolute or use a shared prefix."),
    "file-name": ("loading", "A file or folder name with anything but ASCII letters, digits, '.', '_' and '-': refused before it is "
                             "printed anywhere, and shown escaped (\\xNN) in the problem."),
    "rdf12-syntax": ("loading", "RDF 1.2 syntax (a triple term <<( )>>, a reifier << >> or ~, an annotation {| |}, a base direction, "
                                "VERSION), which the atlas does not use: its claims are rdf:subject/predicate/object statements."),
    "too-many-blank-nodes": ("loading", "More than 1000 blank nodes in one file (a long collection): refused before any tool downstream "
                                        "spends quadratic time on it."),
    "invisible-character": ("terms", "A literal or IRI holds an invisible or bidirectional control character (zero-width space, "
                                     "right-to-left override, ...) that makes it read as something it is not."),
    "unicode-nfc": ("terms", "A literal or IRI is not in Unicode normalisation form C: two spellings of one text would compare unequal."),
    "language-tag": ("terms", "An xsd:language value is not a BCP 47 language tag (RFC 5646), e.g. \"sw\" or \"zh-Hant\"."),
    "iri-scheme": ("terms", "An IRI whose scheme is not http or https (javascript:, file:, data:, ...): the atlas links only to web pages."),
    "ontology-scope": ("layout", "A file of ontology/ describes atlas data (an entity or a claim): facts belong in graph/, under its rules."),
    "shared-prefixes": ("layout", "A prefix is declared that is not in the project's shared list (src/llm_atlas/namespaces.py), or with another IRI."),
    "entity-path": ("layout", "The file is not at graph/<kind>/<slug>.ttl, or does not describe the entity its path names."),
    "entity-per-file": ("layout", "A file describes more than one primary entity."),
    "entity-class": ("layout", "The entity lacks the rdf:type its kind folder promises (graph/organization/ holds atlas:Organization, ...)."),
    "owned-node": ("layout", "A secondary node (a claim) is not named <entity IRI>#<slug>."),
    "blank-node": ("layout", "Blank nodes are not allowed in graph/: name the node with a fragment of the entity IRI."),
    "shapes-invalid": ("shapes", "pySHACL cannot use ontology/shapes.ttl (a shape breaks the SHACL specification)."),
    "query-header": ("queries", "A saved query's header is missing a key, has an unknown key, or a malformed parameter line."),
    "query-syntax": ("queries", "A saved query is not valid SPARQL 1.1."),
    "query-unreadable": ("queries", "A saved query file cannot be read."),
    "format": ("formatting", "The file is not in the canonical layout that `llm-atlas fmt` writes: run it on the file."),
    "format-comment": ("formatting", "The file has a # comment, which formatting would lose: put the text in rdfs:comment or delete it."),
    "format-unsupported": ("formatting", "The file uses RDF 1.2 triple terms or base directions, which the formatter does not write."),
    "osai-yaml": ("import", "A file of the European Open Source AI Index is not valid YAML (or not UTF-8, or too large); it is skipped."),
    "osai-structure": ("import", "A file of the index is not shaped like a system file (a mapping with system:, org: and one "
                                 "mapping per dimension); it is skipped."),
    "osai-unknown-dimension": ("import", "A file of the index names a dimension that ontology/vocabularies/openness.ttl does not "
                                         "know; the file is skipped."),
    "osai-unknown-class": ("import", "A file of the index gives a dimension a class other than open, partial or closed (empty means "
                                     "not applicable); the file is skipped."),
    "osai-no-name": ("import", "A file of the index has no system name (such as the submission template); it is skipped with a warning."),
    "committed-store": ("contribution", "A store (anything under .llm-atlas/, a store manifest, RocksDB files) is committed: it is never "
                                        "read, since its content need not match the files; every user builds the store from the files."),
    "submodule": ("contribution", "A git submodule (or .gitmodules): its content comes from elsewhere and bypasses every check."),
    "needs-review": ("contribution", "The change touches code (src/, tests/, benchmarks/, .github/, .ci/, pyproject.toml, *.py, *.sh). "
                                     "A warning: the check that ran is the base revision's, and a maintainer reads the code."),
    "sparql-service": ("queries", "A saved query (or a query sent to the endpoint) has a SERVICE pattern: it would make the engine call "
                                  "another server. Saved queries never reach outside the atlas; a federated example lives in docs/examples/."),
    "sparql-dataset": ("queries", "A saved query has FROM or FROM NAMED: queries run over the atlas's own dataset (GRAPH picks files)."),
    "sparql-update": ("queries", "A saved query is an update (INSERT, DELETE, LOAD, DROP, ...): saved queries are read-only."),
    "query-timeout": ("queries", "A saved query of the report ran longer than the report's --query-timeout (default 60 s) and was stopped."),
    "query-file": ("queries", "A file in queries/ that is not a saved query (<name>.rq)."),
    "ontology-changed": ("contribution", "A warning for the reviewer: the change adds, removes or changes a rule (shape), a term or a "
                                         "label of the ontology or a vocabulary; the data is also validated under the base's shapes."),
    "import-manifest": ("imports", "imports/MANIFEST.json is not the record `llm-atlas import` writes (JSON with an entry per file)."),
    "import-unlisted": ("imports", "A file in imports/ that imports/MANIFEST.json does not record: only importers write there."),
    "import-missing": ("imports", "A file that imports/MANIFEST.json records is missing: rerun its import, never delete it by hand."),
    "import-hand-edited": ("imports", "A file of imports/ whose SHA-256 is not the one its importer recorded: it was edited by hand."),
    "import-not-reproducible": ("imports", "Running the file's importer again on its recorded snapshot, over this checkout, gives other "
                                           "bytes (shown from the first line that differs): hand-edited, or out of date with graph/."),
    "import-unverified": ("imports", "The snapshot a file of imports/ was made from is not available here, so it cannot be regenerated "
                                     "and compared: an error for a file the change touches, a warning otherwise (CI has the snapshots)."),
    "import-unreadable": ("import", "A file of an import's snapshot cannot be read; nothing of it is imported."),
    "import-syntax": ("import", "A file of an import's snapshot does not parse (JSON that is not well formed, a file that is not UTF-8); "
                                "the position is where the parser stopped; nothing of that file is imported, the other files are."),
    "import-structure": ("import", "A file of an import's snapshot lacks the columns or keys the importer reads (the wrong file, or a "
                                   "newer layout of the source); nothing of it is imported."),
    "import-record": ("import", "One record of a snapshot is not usable (an id that is not a Hub id, a duplicate row); it is skipped and "
                                "the rest is imported."),
    "import-value": ("import", "One value of a record is not usable (a Hugging Face URL that is a collection page or names another release, "
                               "a location that is not a web address, an unknown component); it is left out and the rest of the record is imported."),
    "license-rules-missing": ("licences", "The atlas has no licence rules (atlas:LicenseRule): `llm-atlas licences` cannot read obligations "
                                          "without ontology/vocabularies/license-rule.ttl (docs/licences.md)."),
    "history-removed": ("history", "A file that existed at the base revision is gone: IRIs are never deleted; deprecate the entity instead (owl:deprecated true, dcterms:isReplacedBy)."),
}


def shacl_rules(shapes: rdflib.Graph) -> dict[str, tuple[str, str, str]]:
    """Rule id -> (label, comment, message) for every constraint of the shapes."""
    rules: dict[str, tuple[str, str, str]] = {}
    for shape in sorted(shapes.subjects(RDF.type, SH.NodeShape)):
        label = str(shapes.value(shape, RDFS.label) or "")
        comment = str(shapes.value(shape, RDFS.comment) or "")
        message = shapes.value(shape, SH.message)
        if message is not None:
            rules[rule_id(shapes, shape, None)] = (label, comment, str(message))
        for sparql in shapes.objects(shape, SH.sparql):
            rules[rule_id(shapes, shape, None)] = (label, comment, str(shapes.value(sparql, SH.message)))
        for prop in shapes.objects(shape, SH.property):
            rules[rule_id(shapes, prop, shapes.value(prop, SH.path))] = (label, comment, str(shapes.value(prop, SH.message)))
    return rules


def catalogue(shapes: rdflib.Graph) -> str:
    """docs/rules.md: every rule with its id as an anchor."""
    out = [
        "# Rule catalogue",
        "",
        "Every problem `llm-atlas` reports carries one of these rule ids. This file is generated:",
        "`llm-atlas rules > docs/rules.md` (a test fails when it is out of date).",
        "",
        "## Data rules (SHACL, `ontology/shapes.ttl`)",
        "",
    ]
    for rule, (label, comment, message) in sorted(shacl_rules(shapes).items()):
        out += [f"### {rule}", "", f"*{label}*. {comment}".rstrip(), "", f"> {message}", ""]
    out += ["## File, layout and query rules (checked in Python)", ""]
    for rule, (area, text) in sorted(PYTHON_RULES.items()):
        out += [f"### {rule}", "", f"*{area}*. {text}", ""]
    return "\n".join(out).rstrip() + "\n"
