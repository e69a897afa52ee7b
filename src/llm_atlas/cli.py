"""The ``llm-atlas`` command: a thin layer over :class:`llm_atlas.Atlas`.

Exit codes: 0 success (the data is valid), 1 the atlas data is invalid (a file does not parse, a shape
is violated, a saved query is broken), 2 usage or input error (bad arguments, no checkout, unknown query,
bad SPARQL or parameter on the command line, store in use).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import __version__
from .api import Atlas
from .errors import EXIT_INVALID, EXIT_OK, EXIT_USAGE, AtlasError, InvalidData, UsageError, render
from .query import FORMATS
from .store import atomic_write_text

EPILOG = """exit codes:
  0  success; for validate and report: the data is valid
  1  the atlas data is invalid: a file does not parse, a shape is violated, a saved query is broken
  2  usage or input error: bad arguments, no checkout, unknown query, bad SPARQL or --param, store in use

Every problem is printed as path:line:col: severity [rule-id] <entity> message; docs/rules.md explains each rule."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # argparse exits 2 on usage errors already; keep the message short
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def make_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="llm-atlas", description="LLM Atlas: the knowledge graph of open LLM projects.",
                     epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"llm-atlas {__version__}")
    parser.add_argument("--root", help="the atlas checkout (default: found from the current directory)")
    parser.add_argument("--store", help="the store folder (default: <root>/.llm-atlas/store or $LLM_ATLAS_STORE)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    build = commands.add_parser("build", help="load ontology/ and graph/ into the store (only what changed)",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    build.add_argument("--force", action="store_true", help="reload every file")
    build.add_argument("--format", choices=("text", "json", "github"), default="text", help="how to print problems")

    validate = commands.add_parser("validate", help="check the data against the SHACL shapes",
                                   epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    validate.add_argument("--format", choices=("text", "json", "github"), default="text", help="how to print problems")

    check = commands.add_parser("check", help="the verdict on a contribution: files, entities, format, SHACL, history",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("--base", metavar="REV", help="validate only what changed since this git revision (e.g. origin/main)")
    check.add_argument("--format", choices=("text", "json", "github"), default="text", help="how to print problems")
    check.add_argument("--summary", metavar="FILE", help="write the Markdown summary (for a pull-request comment) to FILE")

    fmt = commands.add_parser("fmt", help="write graph/ files in the canonical form (--check: only list those that differ)",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    fmt.add_argument("paths", nargs="*", help="files or folders (default: graph/)")
    fmt.add_argument("--check", action="store_true", help="write nothing; exit 1 if a file is not canonical")
    fmt.add_argument("--format", choices=("text", "json", "github"), default="text", help="how to print problems")

    query = commands.add_parser("query", help="run a saved query, a .rq file or SPARQL text",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = query.add_mutually_exclusive_group(required=True)
    target.add_argument("name", nargs="?", help="a saved query name (see `llm-atlas queries`) or a .rq file")
    target.add_argument("-e", "--expression", help="SPARQL text to run")
    query.add_argument("--param", action="append", default=[], metavar="KEY=VALUE", help="a parameter of a saved query")
    query.add_argument("--format", choices=FORMATS, default="table", help="output format (json is SPARQL results JSON)")
    query.add_argument("--endpoint", metavar="URL", help="run against a remote SPARQL endpoint (SPARQLWrapper) instead of the embedded store")
    query.add_argument("--atlas-graphs", action="store_true", help="with --endpoint: query the union of the atlas graphs that publish wrote")

    commands.add_parser("queries", help="list the saved queries with their summary and parameters")
    imp = commands.add_parser("import", help="import an external dataset into imports/ (osai: the European Open Source AI Index)",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    imp.add_argument("dataset", choices=("osai", "scancode-licensedb", "hf-hub", "open-llm-leaderboard", "data-provenance"),
                     help="which source (docs/importing.md says what each reads)")
    imp.add_argument("path", help="a clone of the source (for osai: the folder of system YAML files; for hf-hub and "
                                  "open-llm-leaderboard: the AI Stack Map repository; data-provenance: the Data Provenance Collection "
                                  "repository; scancode-licensedb reads the installed index: give .)")
    imp.add_argument("--snapshot", help="the commit or version of the clone, when the folder does not say")
    imp.add_argument("--format", choices=("text", "json", "github"), default="text", help="how to print skipped files")

    link = commands.add_parser("link", help="find external identifiers (wikidata: Wikidata items by label and type)",
                               epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    link.add_argument("service", choices=("wikidata",), help="which service")
    link.add_argument("--endpoint", default="https://query.wikidata.org/sparql", help="SPARQL endpoint (default: the Wikidata query service)")
    link.add_argument("--kind", action="append", choices=("organization", "project", "model", "dataset", "benchmark", "framework", "leaderboard"),
                      help="only entities of this kind (repeatable)")
    link.add_argument("--apply", action="store_true", help="write the accepted links into the entity files")
    link.add_argument("--contact", help="an e-mail address for the User-Agent (or $LLM_ATLAS_CONTACT)")
    link.add_argument("--format", choices=("table", "tsv", "json"), default="table", help="review table format")

    export = commands.add_parser("export", help="write the atlas as files: ttl, nt, nq, jsonld, csv, graphml (+ VoID); or void; or mappings (SSSOM)",
                                 epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    export.add_argument("what", nargs="+", metavar="[void|mappings] OUT",
                        help="OUT: the folder to write (for mappings: the .sssom.tsv file); 'void' or 'mappings' first for those alone")
    export.add_argument("--format", default="all", help="comma-separated formats among ttl, nt, nq, jsonld, csv, graphml, or all (default)")

    publish = commands.add_parser("publish", help="upload the built atlas to a SPARQL 1.1 Graph Store Protocol endpoint, graph by graph",
                                  epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    publish.add_argument("--endpoint", required=True, metavar="URL", help="the SPARQL query endpoint (e.g. http://127.0.0.1:7878/query)")
    publish.add_argument("--graph-store", metavar="URL", help="the Graph Store Protocol endpoint (default: derived from --endpoint)")
    publish.add_argument("--user", help="user name (the password is read from $LLM_ATLAS_PASSWORD, never from the command line)")

    srv = commands.add_parser("serve", help="a read-only SPARQL endpoint with a query page, entity pages and the ontology docs",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    srv.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    srv.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    srv.add_argument("--timeout", type=float, default=10.0, help="hard limit per query, in seconds (default 10)")
    srv.add_argument("--max-rows", type=int, default=10_000, help="rows returned at most; more are cut and flagged (default 10000)")
    srv.add_argument("--cors", metavar="ORIGIN", help="allow cross-origin requests from ORIGIN (comma-separated, or *); off by default")

    net = commands.add_parser("network", help="the collaboration network: centralities, components, GraphML/GEXF, PNG/SVG",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    net.add_argument("--out", default="report/network", help="folder for the graphs and drawings (default: ./report/network)")
    net.add_argument("--no-inferred", action="store_true", help="leave out collaborations the atlas inferred")

    commands.add_parser("rules", help="print the rule catalogue (docs/rules.md) as Markdown")

    report = commands.add_parser("report", help="build, validate and answer the study's questions (the main job)",
                                 epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    report.add_argument("--out", default="report", help="folder to write report.md, report.html and the figures into (default: ./report)")
    report.add_argument("--format", choices=("text", "json", "github"), default="text", help="how to print problems")
    return parser


def _params(pairs: list[str]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise AtlasError(f"--param takes KEY=VALUE; got {pair!r}")
        out[key.strip()] = value
    return out


def run(args: argparse.Namespace) -> int:
    atlas = Atlas.open(args.root, args.store)
    try:
        if args.command == "build":
            print(atlas.build(force=args.force).summary())
            return EXIT_OK
        if args.command == "validate":
            report = atlas.validate()
            sys.stdout.write(render(report.problems, args.format))
            print(report.summary(), file=sys.stderr)
            return EXIT_OK if report.conforms else EXIT_INVALID
        if args.command == "check":
            report = atlas.check(args.base)
            sys.stdout.write(render(report.problems, args.format))
            if args.summary:
                atomic_write_text(Path(args.summary), report.summary_markdown())
            elif args.format == "text" and args.base:
                sys.stdout.write("\n" + report.summary_markdown())
            print(report.verdict(), file=sys.stderr)
            return EXIT_OK if report.clean else EXIT_INVALID
        if args.command == "fmt":
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
        if args.command == "queries":
            for q in atlas.saved_queries():
                print(f"{q.name:32} {q.summary}")
                for p in q.params:
                    print(f"{'':32}   --param {p.name}=<{p.type}>  (default {p.default}) {p.description}")
            return EXIT_OK
        if args.command == "import":
            if args.dataset != "osai":
                result = atlas.import_source(args.dataset, Path(args.path), version=args.snapshot)
                sys.stdout.write(result.to_text())
                if args.format != "text":
                    sys.stdout.write(render(result.skipped, args.format))
                return EXIT_INVALID if result.has_errors else EXIT_OK
            result = atlas.import_osai(Path(args.path), version=args.snapshot)
            sys.stdout.write(result.to_text())
            if args.format != "text":
                sys.stdout.write(render(result.skipped, args.format))
            return EXIT_INVALID if result.has_errors else EXIT_OK
        if args.command == "link":
            result = atlas.link_wikidata(args.endpoint, kinds=args.kind, apply=args.apply, contact=args.contact)
            sys.stdout.write(result.render(args.format).rstrip("\n") + "\n")
            return EXIT_OK
        if args.command == "export":
            if len(args.what) == 2 and args.what[0] == "mappings":
                print(atlas.export_mappings(args.what[1]).summary())
            elif len(args.what) == 2 and args.what[0] == "void":
                print(f"wrote {atlas.export_void(args.what[1])}")
            elif len(args.what) == 1:
                print(atlas.export(args.what[0], args.format).summary())
            else:
                raise UsageError("export takes OUT, or void OUT, or mappings OUT")
            return EXIT_OK
        if args.command == "publish":
            report = atlas.publish(args.endpoint, graph_store=args.graph_store, user=args.user,
                                   password=os.environ.get("LLM_ATLAS_PASSWORD"), on_graph=lambda g: print(g.as_text(), file=sys.stderr))
            print(report.summary())
            return EXIT_OK if report.complete else EXIT_INVALID
        if args.command == "serve":
            if args.timeout <= 0 or args.max_rows < 1 or not 0 <= args.port <= 65535:
                raise UsageError("--timeout must be positive, --max-rows at least 1 and --port a port number")
            return atlas.serve(host=args.host, port=args.port, timeout=args.timeout, max_rows=args.max_rows, cors=args.cors)
        if args.command == "network":
            written, analysis = atlas.network(args.out, include_inferred=not args.no_inferred)
            sys.stdout.write(analysis.to_markdown(level=1))
            for path in written:
                print(f"wrote {path}", file=sys.stderr)
            return EXIT_OK
        if args.command == "rules":
            sys.stdout.write(atlas.rules())
            return EXIT_OK
        if args.command == "query":
            target = args.expression if args.expression else args.name
            if args.endpoint:
                result = atlas.remote_query(args.endpoint, target, _params(args.param), atlas_graphs=args.atlas_graphs)
            else:
                result = atlas.query(target, _params(args.param))
            sys.stdout.write(result.render(args.format))
            return EXIT_OK
        if args.command == "report":
            out = Path(args.out)
            report = atlas.report(out)
            sys.stdout.write(report.to_text())
            for path in report.files:
                print(f"wrote {path}", file=sys.stderr)
            return EXIT_OK
    finally:
        atlas.close()
    return EXIT_USAGE


def main(argv: list[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        return run(args)
    except InvalidData as error:
        fmt = getattr(args, "format", "text")
        sys.stdout.write(render(error.problems, fmt if fmt in ("text", "json", "github") else "text"))
        print(f"llm-atlas: {error}", file=sys.stderr)
        return EXIT_INVALID
    except AtlasError as error:
        print(f"llm-atlas: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
