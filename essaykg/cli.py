"""The command line: `python build.py [COMMAND] [options]`.

Each subcommand lives in its own module with ``add_arguments(parser)`` and ``run(args) -> int``;
those modules import their heavy libraries inside functions, so `--help` and small commands start
fast. Installed (``pip install .``), the same command line is the ``essaykg`` command.
Exit codes: 0 success, 1 the data or the input is wrong (a report says what), 2 usage error,
3 the environment is wrong (a file cannot be written, a port is taken).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from essaykg import config

# name -> (module, one-line help, longer description)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "build": (
        "essaykg.build.pipeline",
        "build every artifact into output/ (the default command)",
        "Load the ontology and graph/, verify every quote of each essay against that essay's text "
        "(its ekg:textFile in --sources, or --source SLUG=PATH), validate with SHACL and the quality "
        "checks in ontology/checks/, then write Turtle, TriG, N-Quads, N-Triples, JSON-LD, the corpus's "
        "pages (index.html: the essays side by side, graph.html, themes.html, ontology.html), each essay's "
        "pages in essays/SLUG/ (graph.html, argument.html, argument.argdown, reader.html when its text "
        "is there) and a summary into output/. Nothing is written unless "
        "every check passes, and each file is replaced whole, so a failed build leaves the previous "
        "artifacts as they were.",
    ),
    "anchor": (
        "essaykg.build.anchor_command",
        "print the Web Annotation selectors for a quote of the essay",
        "Find a quote in the essay's text and print the TriG for an evidence anchor: a "
        "TextQuoteSelector (exact, prefix, suffix) and a TextPositionSelector (start, end in Unicode "
        "code points, end exclusive). Paste it into the essay's anchors.trig (graph/essays/SLUG/); never "
        "type offsets by hand.",
    ),
    "new-essay": (
        "essaykg.build.new_essay",
        "start another essay of the corpus: write graph/essays/SLUG/ for a text",
        "Write the folder of a new essay: essay.trig (the essay, its text's file name and SHA-256, its "
        "paragraphs, its named graph) and empty claims.trig, quotations.trig and anchors.trig, then "
        "print the next steps. Shared entities and themes (graph/shared/) are reused by IRI.",
    ),
    "mentions": (
        "essaykg.build.mentions",
        "write every mention of an entity's name in the essay as a Web Annotation (mentions.trig)",
        "Find each occurrence of an entity's name or alias in the essay's 28 paragraphs, by the rules "
        "below, and write it to graph/essays/her-2023/mentions.trig as an oa:Annotation whose body is "
        "the entity and whose target is an anchor (TextQuoteSelector + TextPositionSelector). Cases the "
        "rules cannot decide are settled by hand in mentions-settled.tsv; with --check, write nothing "
        "and exit 1 if the file is out of date.",
    ),
    "query": (
        "essaykg.query.command",
        "ask the graph a SPARQL query (text or a .rq file); --list shows the saved questions",
        "Run a SPARQL query over all graphs (the default graph is their union; named claim graphs "
        "are reachable with GRAPH). Results as a table, CSV, TSV or SPARQL JSON; CONSTRUCT and "
        "DESCRIBE as Turtle or JSON-LD. The project's prefixes (schema:, ekg:, claim:, ...) are declared "
        "already. Updates, LOAD, SERVICE and outside FROM IRIs are refused.",
    ),
    "serve": (
        "essaykg.serve",
        "serve the graph on http://127.0.0.1: SPARQL endpoint, query editor, entity pages, graph view",
        "Start a local, read-only web app: the SPARQL 1.1 Protocol at /sparql, a query editor, a page "
        "per entity, the graph view and the ontology's documentation. Queries run in worker processes "
        "that have no network, each under a time limit; see SECURITY.md.",
    ),
    "publish": (
        "essaykg.build.publish",
        "upload every graph to a SPARQL 1.1 Graph Store Protocol server",
        "Replace each named graph on a triple store with the built one, using the SPARQL 1.1 Graph "
        "Store HTTP Protocol, then read each back to compare. Tested against the Oxigraph server and "
        "Virtuoso open source 7 (HTTP Digest); the password is read from $ESSAYKG_PUBLISH_PASSWORD.",
    ),
    "bench": (
        "benchmarks.bench",
        "measure build, query, endpoint and scale performance; print a table, write JSON",
        "Benchmarks with medians of repeated runs and ratios against rdflib and the Oxigraph server.",
    ),
}


# The commands that read the project's sources (graph/, ontology/); `query` and `serve` may be
# pointed at a built output/ instead, with --data.
NEEDS_PROJECT = {"build", "anchor", "mentions", "new-essay"}


def parser(prog: str = "python build.py") -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog=prog,
        description=(
            "Build, check, query and serve the knowledge graph of a corpus of essays: here the essay "
            "'Is the Cure to Male Loneliness ... Her?' (The Dispatch, December 2023); `new-essay` adds "
            "another. With no command, runs `build`."
        ),
        epilog=f"Run `{prog} COMMAND --help` for a command's options.",
    )
    subs = top.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, short, long) in COMMANDS.items():
        sub = subs.add_parser(name, help=short, description=long)
        sub.set_defaults(_module=module)
        try:
            importlib.import_module(module).add_arguments(sub)
        except ModuleNotFoundError as err:
            # The benchmarks live beside the package, in a checkout, and are not installed with it.
            if not module.startswith("benchmarks.") or err.name not in {"benchmarks", module}:
                raise
            sub.set_defaults(_checkout_only=True)
    return top


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in {"-h", "--help"}):
        argv.insert(0, "build")
    prog = "essaykg" if Path(sys.argv[0]).name == "essaykg" else "python build.py"
    config.COMMAND = prog
    args = parser(prog).parse_args(argv)
    if getattr(args, "_checkout_only", False):
        print(
            f"error: '{args.command}' is not part of the installed package: its code (benchmarks/) runs only "
            f"from a checkout, as `python build.py {args.command}` in the checkout's folder",
            file=sys.stderr,
        )
        return 3
    if args.command in NEEDS_PROJECT and not config.is_project(config.ROOT):
        print(
            f"error: {config.ROOT} is not a project folder (neither it nor a folder above it has graph/ and "
            f"ontology/): run `{prog} {args.command}` in the project's folder, or set ESSAYKG_HOME to it",
            file=sys.stderr,
        )
        return 3
    return importlib.import_module(args._module).run(args)
