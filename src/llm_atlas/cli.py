"""The ``llm-atlas`` command: a thin layer over :class:`llm_atlas.Atlas`.

Every subcommand is a row of :data:`COMMANDS`: its name, its help, the arguments it takes and the function
that runs it (the API call, then printing). ``main`` parses, opens the checkout and dispatches; nothing
here does the work. The API is imported only when a command runs, so ``llm-atlas --help`` starts at once.

Exit codes: 0 success (the data is valid), 1 the atlas data is invalid (a file does not parse, a shape
is violated, a saved query is broken), 2 usage or input error (bad arguments, no checkout, unknown query,
bad SPARQL or parameter on the command line, store in use, an unreachable endpoint, an unwritable --out).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, AtlasError, AtlasWarning, InvalidData, UsageError, render
from .suggest import did_you_mean
from .version import __version__

EPILOG = """exit codes:
  0  success; for validate, check and report: the data is valid
  1  the atlas data is invalid: a file does not parse, a shape is violated, a saved query is broken
  2  usage or input error: bad arguments, no checkout, unknown query, bad SPARQL or --param, store in use,
     an unreachable endpoint, an --out that cannot be written

Every problem is printed as path:line:col: severity [rule-id] <entity> message; docs/rules.md explains each rule."""

PROBLEM_FORMATS = ("text", "json", "github")
QUERY_FORMATS = ("table", "json", "xml", "csv", "tsv")  # llm_atlas.query.FORMATS, without importing pyoxigraph for --help
KINDS = ("organization", "project", "model", "dataset", "benchmark", "leaderboard", "framework", "compute", "partnership",
         "knowledge", "platform", "collaboration", "onramp", "challenge", "recommendation", "source", "study",
         "resolution")  # namespaces.KINDS
LINKED_KINDS = ("organization", "project", "model", "dataset", "benchmark", "framework", "leaderboard")  # link.LINKED_KINDS


class _Parser(argparse.ArgumentParser):
    _INVALID_CHOICE = re.compile(r"invalid choice: '([^']*)' \(choose from (.*)\)$")

    def error(self, message: str):  # argparse exits 2 on usage errors already; add "did you mean" to a bad choice
        match = self._INVALID_CHOICE.search(message)
        if match:
            choices = re.findall(r"'([^']*)'", match.group(2))
            hint = did_you_mean(match.group(1), choices)
            if hint:
                message += f"; {hint}"
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


@dataclass(frozen=True)
class Command:
    """A subcommand: how it is called and what it runs (``run(atlas, args)`` returns the exit code)."""

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[..., int]


# -- the commands ------------------------------------------------------------------------------------------


def _problems_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=PROBLEM_FORMATS, default="text", help="how to print problems")


def _build_args(p):
    p.add_argument("--force", action="store_true", help="reload every file")
    _problems_format(p)


def _build(atlas, args) -> int:
    print(atlas.build(force=args.force).summary())
    return EXIT_OK


def _validate(atlas, args) -> int:
    report = atlas.validate()
    sys.stdout.write(render(report.problems, args.format))
    print(report.summary(), file=sys.stderr)
    return EXIT_OK if report.conforms else EXIT_INVALID


def _check_args(p):
    p.add_argument("--base", metavar="REV", help="validate only what changed since this git revision (e.g. origin/main)")
    _problems_format(p)
    p.add_argument("--summary", metavar="FILE", help="write the Markdown summary (for a pull-request comment) to FILE")
    p.add_argument("--snapshots", metavar="DIR", help="the external snapshots imports/ is regenerated from (default: ../shared, or $LLM_ATLAS_SNAPSHOTS)")


def _check(atlas, args) -> int:
    from .store import atomic_write_text

    report = atlas.check(args.base, snapshots=args.snapshots)
    sys.stdout.write(render(report.problems, args.format))
    if args.summary:  # the Markdown summary goes only there; the terminal gets the problems and one verdict line
        atomic_write_text(Path(args.summary), report.summary_markdown())
    print(report.verdict(), file=sys.stderr)
    return EXIT_OK if report.clean else EXIT_INVALID


def _fmt_args(p):
    p.add_argument("paths", nargs="*", help="files or folders (default: graph/)")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is not canonical")
    _problems_format(p)


def _fmt(atlas, args) -> int:
    paths = [Path(p) for p in args.paths] or [atlas.root / "graph"]
    if args.check:
        problems = atlas.format_check(paths)
        sys.stdout.write(render(problems, args.format))
        if problems:
            listed = " ".join(sorted({p.path for p in problems}))
            print(f"{len({p.path for p in problems})} file(s) not in canonical form; fix with: llm-atlas fmt {listed}", file=sys.stderr)
        return EXIT_INVALID if problems else EXIT_OK
    changed, problems = atlas.format_write(paths)
    sys.stdout.write(render(problems, args.format))
    for path in changed:
        print(f"formatted {path}", file=sys.stderr)
    return EXIT_INVALID if problems else EXIT_OK


def _query_args(p):
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("name", nargs="?", help="a saved query name (see `llm-atlas queries`) or a .rq file")
    target.add_argument("-e", "--expression", help="SPARQL text to run")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a parameter of a saved query")
    p.add_argument("--format", choices=QUERY_FORMATS, default="table", help="output format (json, xml, csv, tsv: SPARQL results formats)")
    p.add_argument("--endpoint", metavar="URL", help="run against a remote SPARQL endpoint (SPARQL 1.1 Protocol) instead of the embedded store")
    p.add_argument("--as-of", metavar="DATE", help="answer over the atlas as known on DATE (YYYY-MM-DD): each import as of its snapshot "
                                              "date, the OSAI index's history state valid then (docs/history.md)")
    p.add_argument("--atlas-graphs", action="store_true",
                   help="with --endpoint: query the union of the atlas graphs that publish wrote, even if the endpoint's default "
                        "graph has data (by default they are used when the default graph is empty)")


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param takes KEY=VALUE; got {pair!r}")
        out[key.strip()] = value
    return out


def _query(atlas, args) -> int:
    target = args.expression if args.expression is not None else args.name
    if args.endpoint and args.as_of:
        raise UsageError("--as-of answers from the local atlas and its history: it does not go with --endpoint")
    if args.endpoint:
        result = atlas.remote_query(args.endpoint, target, _params(args.param), atlas_graphs=True if args.atlas_graphs else None)
    else:
        result = atlas.query(target, _params(args.param), as_of=args.as_of)
    sys.stdout.write(result.render(args.format))
    return EXIT_OK


def _queries(atlas, args) -> int:
    for q in atlas.saved_queries():
        print(f"{q.name:32} {q.summary}")
        for p in q.params:
            print(f"{'':32}   --param {p.name}=<{p.type}>  (default {p.default}) {p.description}")
    return EXIT_OK


def _search_args(p):
    p.add_argument("text", nargs="+", help="words to look for in labels, alternative labels, slugs and identifiers")
    p.add_argument("--limit", type=int, default=20, help="hits shown at most (default 20)")
    p.add_argument("--kind", action="append", choices=KINDS + ("concept",), help="only entities of this kind (repeatable)")
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")


def _search(atlas, args) -> int:
    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    hits = atlas.search(" ".join(args.text), limit=args.limit, kinds=args.kind)
    from .search import render_hits

    sys.stdout.write(render_hits(hits, args.format))
    return EXIT_OK


def _new_args(p):
    p.add_argument("kind", choices=KINDS, help="the kind of entity (the folder under graph/)")
    p.add_argument("slug", help="the entity's slug: lower-case letters and digits joined by hyphens, e.g. bielik")
    p.add_argument("--label", help="its English name (default: from the slug)")


def _new(atlas, args) -> int:
    path = atlas.new(args.kind, args.slug, label=args.label)
    relative = path.relative_to(atlas.root).as_posix()
    print(f"wrote {relative}: fill in every value marked FILL-IN, then run `llm-atlas fmt {relative}` and `llm-atlas check --base main`",
          file=sys.stderr)
    return EXIT_OK


# llm_atlas.importers.REGISTRY's keys (and osai, the alias of osai-index), without importing the importers for --help
IMPORT_SOURCES = ("scancode-licensedb", "hf-hub", "open-llm-leaderboard", "mot", "helm", "data-provenance", "osai-index", "osai",
                  "osai-index-history")


def _import_args(p):
    p.add_argument("dataset", choices=IMPORT_SOURCES, metavar="SOURCE", help="which source: " + ", ".join(IMPORT_SOURCES))
    p.add_argument("path", help="a clone of the source (osai-index, alias osai: the folder of system YAML files; hf-hub and open-llm-leaderboard: "
                                "the AI Stack Map repository; mot: lfai/model_openness_tool; helm: stanford-crfm/helm; data-provenance: the "
                                "Data Provenance Collection repository; scancode-licensedb reads the "
                                "installed index: give .)")
    p.add_argument("--snapshot", help="the commit or version of the clone, when the folder does not say")
    p.add_argument("--snapshots", metavar="DIR", help="the folder of snapshots PATH lies in, named relative to it in imports/MANIFEST.json "
                                                      "(default: ../shared, or $LLM_ATLAS_SNAPSHOTS)")
    _problems_format(p)


def _import(atlas, args) -> int:
    if args.dataset == "osai-index-history":  # the index's git bundle: every state, into history/osai-index.trig
        result = atlas.import_history(Path(args.path))
        sys.stdout.write(result.to_text())
        if args.format != "text":
            sys.stdout.write(render(result.skipped, args.format))
        return EXIT_OK
    result = atlas.import_source(args.dataset, Path(args.path), version=args.snapshot, snapshots=args.snapshots)
    sys.stdout.write(result.to_text())
    if args.format != "text":
        sys.stdout.write(render(result.skipped + getattr(result, "left_out", []), args.format))
    return EXIT_INVALID if result.has_errors else EXIT_OK


def _link_args(p):
    p.add_argument("service", choices=("wikidata",), help="which service")
    p.add_argument("--endpoint", default="https://query.wikidata.org/sparql", help="SPARQL endpoint (default: the Wikidata query service)")
    p.add_argument("--kind", action="append", choices=LINKED_KINDS, help="only entities of this kind (repeatable)")
    p.add_argument("--apply", action="store_true", help="write the accepted links into the entity files")
    p.add_argument("--contact", help="an e-mail address for the User-Agent (or $LLM_ATLAS_CONTACT)")
    p.add_argument("--format", choices=("table", "tsv", "json"), default="table", help="review table format")


def _link(atlas, args) -> int:
    result = atlas.link_wikidata(args.endpoint, kinds=args.kind, apply=args.apply, contact=args.contact)
    sys.stdout.write(result.render(args.format).rstrip("\n") + "\n")
    return EXIT_OK


def _export_args(p):
    p.add_argument("what", nargs="+", metavar="[void|mappings] OUT",
                   help="OUT: the folder to write (for mappings: the .sssom.tsv file); 'void' or 'mappings' first for those alone")
    p.add_argument("--format", default="all", help="comma-separated formats among ttl, nt, nq, jsonld, csv, graphml, or all (default)")
    p.add_argument("--base-url", metavar="URL",
                   help="where the files will be published, for the absolute IRIs of void.ttl (default: https://w3id.org/llm-atlas/dump/)")


def _export(atlas, args) -> int:
    options = {"base_url": args.base_url} if args.base_url else {}
    if len(args.what) == 2 and args.what[0] == "mappings":
        print(atlas.export_mappings(args.what[1]).summary())
    elif len(args.what) == 2 and args.what[0] == "void":
        print(f"wrote {atlas.export_void(args.what[1], **options)}")
    elif len(args.what) == 1:
        print(atlas.export(args.what[0], args.format, **options).summary())
    else:
        raise UsageError("export takes OUT, or void OUT, or mappings OUT")
    return EXIT_OK


def _publish_args(p):
    p.add_argument("--endpoint", required=True, metavar="URL", help="the SPARQL query endpoint (e.g. http://127.0.0.1:7878/query)")
    p.add_argument("--graph-store", metavar="URL", help="the Graph Store Protocol endpoint (default: derived from --endpoint)")
    p.add_argument("--user", help="user name (the password is read from $LLM_ATLAS_PASSWORD, never from the command line)")


def _publish(atlas, args) -> int:
    report = atlas.publish(args.endpoint, graph_store=args.graph_store, user=args.user,
                           password=os.environ.get("LLM_ATLAS_PASSWORD"), on_graph=lambda g: print(g.as_text(), file=sys.stderr))
    print(report.summary())
    return EXIT_OK if report.complete else EXIT_INVALID


def _serve_args(p):
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument("--timeout", type=float, default=10.0, help="hard limit per query, in seconds (default 10)")
    p.add_argument("--max-rows", type=int, default=10_000, help="rows returned at most; more are cut and flagged (default 10000)")
    p.add_argument("--cors", metavar="ORIGIN", help="allow cross-origin requests from ORIGIN (comma-separated, or *); off by default")
    p.add_argument("--reload", action="store_true", help="watch the checkout and serve each change as soon as it builds")
    p.add_argument("--as-of", metavar="DATE", help="answer over the atlas as known on DATE (YYYY-MM-DD): each import as of its snapshot "
                                              "date, the OSAI index's history state valid then (docs/history.md)")


def _serve(atlas, args) -> int:
    if args.timeout <= 0 or args.max_rows < 1 or not 0 <= args.port <= 65535:
        raise UsageError("--timeout must be positive, --max-rows at least 1 and --port a port number")
    return atlas.serve(host=args.host, port=args.port, timeout=args.timeout, max_rows=args.max_rows, cors=args.cors,
                       reload=args.reload, as_of=args.as_of)


def _network_args(p):
    p.add_argument("--out", help="folder for the graphs and drawings (default: report/network in the checkout)")
    p.add_argument("--no-inferred", action="store_true", help="leave out collaborations the atlas inferred")


def _network(atlas, args) -> int:
    written, analysis = atlas.network(args.out, include_inferred=not args.no_inferred)
    sys.stdout.write(analysis.to_markdown(level=1))
    for path in written:
        print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def _rules(atlas, args) -> int:
    sys.stdout.write(atlas.rules())
    return EXIT_OK


def _report_args(p):
    p.add_argument("--out", help="folder to write report.md, report.html and the figures into (default: report/ in the checkout)")
    _problems_format(p)
    p.add_argument("--query-timeout", type=float, default=60.0, metavar="SECONDS",
                   help="stop a saved query that runs longer than this (default 60): it is reported as broken")
    p.add_argument("--family", metavar="FAMILY", help="the model family whose lineage the ecosystem chapter draws (model:<slug>, a slug "
                                                     "or an IRI; default: the family whose releases have the most descendants)")
    p.add_argument("--as-of", metavar="DATE", help="answer over the atlas as known on DATE (YYYY-MM-DD): each import as of its snapshot "
                                              "date, the OSAI index's history state valid then (docs/history.md)")


def _report(atlas, args) -> int:
    if args.query_timeout <= 0:
        raise UsageError("--query-timeout must be positive")
    report = atlas.report(args.out, query_timeout=args.query_timeout, family=args.family, as_of=args.as_of)
    sys.stdout.write(report.to_text())
    for path in report.files:
        print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def _licences_args(p):
    p.add_argument("--out", help="folder to write licences.md, licences.html, licence-obligations.csv and licence-conflicts.csv into "
                                 "(default: report/licences in the checkout)")
    _problems_format(p)


def _licences(atlas, args) -> int:
    report = atlas.licences(args.out)
    sys.stdout.write(report.to_text())
    for path in report.files:
        print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def _openness_args(p):
    p.add_argument("release", nargs="?", help="the release: an IRI, model:<slug> or a slug (exit 2, with the nearest names, if unknown)")
    p.add_argument("--crosswalk", action="store_true", help="instead: the releases both indexes assess, agreement rates and every mismatch, "
                                                               "written as openness-crosswalk.md/.html/.csv and openness-mismatches.csv")
    p.add_argument("--out", help="folder for the crosswalk's files (default: report/openness in the checkout)")


def _openness(atlas, args) -> int:
    from .crosswalk import crosswalk_text, release_text
    from .openness import read_rules

    if args.crosswalk == bool(args.release) or (args.out and not args.crosswalk):
        raise UsageError("give a RELEASE, or --crosswalk (with --out DIR if you like)")
    if args.crosswalk:
        written, walk = atlas.openness_crosswalk(args.out)
        sys.stdout.write(crosswalk_text(walk))
        for path in written:
            print(f"wrote {path}", file=sys.stderr)
        return EXIT_OK
    result = atlas.openness(args.release)
    sys.stdout.write(release_text(result, read_rules(atlas.store)))
    return EXIT_OK


def _no_args(p):
    pass


COMMANDS: tuple[Command, ...] = (
    Command("build", "load ontology/, graph/ and imports/ into the store (only what changed)", _build_args, _build),
    Command("validate", "check the data against the SHACL shapes", _problems_format, _validate),
    Command("check", "the verdict on a contribution: files, entities, format, SHACL, history", _check_args, _check),
    Command("fmt", "write graph/ files in the canonical form (--check: only list those that differ)", _fmt_args, _fmt),
    Command("new", "write the skeleton of a new entity file, with the claim blocks to fill in", _new_args, _new),
    Command("query", "run a saved query, a .rq file or SPARQL text", _query_args, _query),
    Command("queries", "list the saved queries with their summary and parameters", _no_args, _queries),
    Command("search", "find entities and concepts by label, alternative label, slug or identifier", _search_args, _search),
    Command("report", "validate and answer the study's questions (the main job)", _report_args, _report),
    Command("network", "the collaboration network: centralities, components, GraphML/GEXF, PNG/SVG", _network_args, _network),
    Command("licences", "licence obligations along lineage: conflicts and reviews with path, rule and evidence (Markdown, HTML, CSV)",
            _licences_args, _licences),
    Command("openness", "a release's openness: component facts with evidence, MOF, OSAID and OSAI verdicts and why; --crosswalk: both indexes compared",
            _openness_args, _openness),
    Command("export", "write the atlas as files: ttl, nt, nq, jsonld, csv, graphml (+ VoID); or void; or mappings (SSSOM)",
            _export_args, _export),
    Command("publish", "upload the built atlas to a SPARQL 1.1 Graph Store Protocol endpoint, graph by graph", _publish_args, _publish),
    Command("serve", "a read-only SPARQL endpoint with a query page, entity pages and the ontology docs", _serve_args, _serve),
    Command("import", "import a snapshot of an external source into imports/<source>.trig", _import_args, _import),
    Command("link", "find external identifiers (wikidata: Wikidata items by label and type)", _link_args, _link),
    Command("rules", "print the rule catalogue (docs/rules.md) as Markdown", _no_args, _rules),
)


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="llm-atlas", description="LLM Atlas: the knowledge graph of open LLM projects.",
                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"llm-atlas {__version__}")
    parser.add_argument("--root", help="the atlas checkout (default: found from the current directory)")
    parser.add_argument("--store", help="the store folder (default: <root>/.llm-atlas/store or $LLM_ATLAS_STORE)")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help, epilog=EPILOG,
                                    formatter_class=argparse.RawDescriptionHelpFormatter)
        command.arguments(sub)
        sub.set_defaults(run=command.run)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    if issubclass(category, AtlasWarning):
        print(f"llm-atlas: warning: {message}", file=sys.stderr)
    else:
        _original_showwarning(message, category, filename, lineno, file, line)


_original_showwarning = warnings.showwarning


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    from .api import Atlas  # here, not at the top: --help and argument errors need none of the jobs

    with warnings.catch_warnings():
        warnings.simplefilter("always", AtlasWarning)
        warnings.showwarning = _show_warning
        try:
            atlas = Atlas.open(args.root, args.store)
            try:
                return args.run(atlas, args)
            finally:
                atlas.close()
        except InvalidData as error:
            fmt = getattr(args, "format", "text")
            sys.stdout.write(render(error.problems, fmt if fmt in PROBLEM_FORMATS else "text"))
            print(f"llm-atlas: {error}", file=sys.stderr)
            return EXIT_INVALID
        except AtlasError as error:
            print(f"llm-atlas: error: {error}", file=sys.stderr)
            return error.exit_code
        except KeyboardInterrupt:
            return 130
