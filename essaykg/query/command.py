"""`python build.py query`: ask the built graph a SPARQL query from the command line.

The query is a string, a ``.rq`` file, ``-`` for standard input, or the name or number of a saved
question in queries/ (``--list`` shows them). It runs in a worker process with no network, under a
time limit (essaykg.query.worker), with pyoxigraph (default) or rdflib; the prefixes the project prints
(namespaces.PREFIXES) are declared already.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from essaykg import config
from essaykg.query import sparql, worker

FORMATS = list(sparql.RESULT_FORMATS) + list(sparql.GRAPH_FORMATS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "query",
        nargs="?",
        help="a SPARQL query, a .rq file, '-' for standard input, or a saved question's name or number "
        "(e.g. 3, 03, 03-claims-per-cited-reference or claims-per-cited-reference)",
    )
    parser.add_argument("--list", action="store_true", help="list the saved questions in queries/ and exit")
    parser.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        default=None,
        help="output: table (default for SELECT and ASK), csv, tsv, json, xml; for CONSTRUCT and DESCRIBE "
        "turtle (default), ntriples, jsonld",
    )
    parser.add_argument(
        "--engine",
        choices=sparql.ENGINES,
        default="oxigraph",
        help="query engine (default: oxigraph; rdflib for comparison)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=config.OUTPUT_DIR,
        metavar="DIR",
        help="folder with the built essay-kg.nq and ontology.ttl (default: output/)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="cancel the query after this many seconds (default: 30)",
    )
    parser.add_argument(
        "--max-rows",
        type=int,
        default=sparql.DEFAULT_MAX_ROWS,
        metavar="N",
        help=f"return at most N rows or triples (default: {sparql.DEFAULT_MAX_ROWS})",
    )


def _read_query(spec: str) -> str:
    if spec == "-":
        return sys.stdin.read()
    path = Path(spec)
    if spec.endswith(".rq") or (len(spec) < 256 and "\n" not in spec and path.is_file()):
        try:
            return path.read_text(encoding="utf-8")
        except OSError as err:
            raise sparql.QueryError(f"cannot read {spec}: {err.strerror}") from None
    name = spec.strip()
    if len(name) < 128 and re.fullmatch(r"[a-z0-9][a-z0-9-]*", name):  # no SPARQL query looks like this
        saved = sparql.find_saved(name)
        if saved is None:
            raise sparql.QueryError(f"no saved question '{name}'; see `{config.COMMAND} query --list`")
        return saved.text
    return spec


def list_saved(out=None) -> int:
    out = out or sys.stdout
    queries = sparql.saved_queries()
    width = max((len(q.name) for q in queries), default=0)
    for q in queries:
        print(f"{q.name.ljust(width)}  {q.question}", file=out)
    print(
        f"({len(queries)} saved questions in {sparql.QUERIES_DIR.relative_to(config.ROOT)}/; "
        f"run one with `{config.COMMAND} query NN`)",
        file=out,
    )
    return 0


def run(args: argparse.Namespace) -> int:
    if args.list:
        return list_saved()
    if not args.query:
        print("error: give a query, a .rq file, '-' or a saved question (see --list)", file=sys.stderr)
        return 2
    fmt = args.format  # None: a table for SELECT and ASK, Turtle for CONSTRUCT and DESCRIBE
    results_format = fmt if fmt in sparql.RESULT_FORMATS else (None if fmt else "table")
    graph_format = fmt if fmt in sparql.GRAPH_FORMATS else (None if fmt else "turtle")
    try:
        text = _read_query(args.query)
        with worker.QueryPool(args.data, workers=1, timeout=args.timeout, max_rows=args.max_rows) as pool:
            answer = pool.run(text, engine=args.engine, results_format=results_format, graph_format=graph_format)
    except sparql.NotAcceptable:
        graph_form = fmt in sparql.RESULT_FORMATS
        choices = sparql.GRAPH_FORMATS if graph_form else sparql.RESULT_FORMATS
        print(
            f"error: a {'CONSTRUCT or DESCRIBE' if graph_form else 'SELECT or ASK'} query cannot be written "
            f"as {fmt}; use one of {', '.join(choices)}",
            file=sys.stderr,
        )
        return 2
    except sparql.QueryError as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 1
    sys.stdout.buffer.write(answer.body)
    sys.stdout.flush()
    if answer.truncated:
        print(
            f"warning: results cut at the limit ({args.max_rows} rows or about "
            f"{sparql.DEFAULT_MAX_BYTES // 1024**2} MB); raise --max-rows to see more",
            file=sys.stderr,
        )
    return 0
