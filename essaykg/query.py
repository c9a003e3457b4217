"""`python build.py query`: ask the built graph a SPARQL query from the command line.

The query is a string, a ``.rq`` file, ``-`` for standard input, or the name or number of a saved
question in queries/ (``--list`` shows them). It is screened (essaykg.sparql.screen) and run in a
worker process under a time limit, with pyoxigraph (default) or rdflib.
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from . import config, sparql

FORMATS = list(sparql.RESULT_FORMATS) + list(sparql.GRAPH_FORMATS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "query", nargs="?",
        help="a SPARQL query, a .rq file, '-' for standard input, or a saved question's name or number "
        "(e.g. 3, 03, 03-claims-per-cited-reference or claims-per-cited-reference)",
    )
    parser.add_argument("--list", action="store_true", help="list the saved questions in queries/ and exit")
    parser.add_argument(
        "--format", "-f", choices=FORMATS, default=None,
        help="output: table (default for SELECT and ASK), csv, tsv, json, xml; for CONSTRUCT and DESCRIBE "
        "turtle (default), ntriples, jsonld",
    )
    parser.add_argument("--engine", choices=sparql.ENGINES, default="oxigraph",
                        help="query engine (default: oxigraph; rdflib for comparison)")
    parser.add_argument("--data", type=Path, default=config.OUTPUT_DIR, metavar="DIR",
                        help="folder with the built essay-kg.nq and ontology.ttl (default: output/)")
    parser.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                        help="cancel the query after this many seconds (default: 30)")
    parser.add_argument("--max-rows", type=int, default=sparql.DEFAULT_MAX_ROWS, metavar="N",
                        help=f"return at most N rows or triples (default: {sparql.DEFAULT_MAX_ROWS})")


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
            raise sparql.QueryError(f"no saved question '{name}'; see `python build.py query --list`")
        return saved.text
    return spec


def list_saved(out=None) -> int:
    out = out or sys.stdout
    queries = sparql.saved_queries()
    width = max((len(q.name) for q in queries), default=0)
    for q in queries:
        print(f"{q.name.ljust(width)}  {q.question}", file=out)
    print(f"({len(queries)} saved questions in {sparql.QUERIES_DIR.relative_to(config.ROOT)}/; "
          "run one with `python build.py query NN`)", file=out)
    return 0


def run(args: argparse.Namespace) -> int:
    if args.list:
        return list_saved()
    if not args.query:
        print("error: give a query, a .rq file, '-' or a saved question (see --list)", file=sys.stderr)
        return 2
    try:
        text = _read_query(args.query)
        screened = sparql.screen(text)
        fmt = args.format or ("turtle" if screened.form in {"CONSTRUCT", "DESCRIBE"} else "table")
        graph_form = screened.form in {"CONSTRUCT", "DESCRIBE"}
        if graph_form != (fmt in sparql.GRAPH_FORMATS):
            choices = sparql.GRAPH_FORMATS if graph_form else sparql.RESULT_FORMATS
            print(f"error: a {screened.form} query cannot be written as {fmt}; use one of "
                  f"{', '.join(choices)}", file=sys.stderr)
            return 2
        with sparql.QueryPool(args.data, workers=1, timeout=args.timeout, max_rows=args.max_rows) as pool:
            result = pool.run(screened, engine=args.engine)
    except sparql.QueryError as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 1
    data = sparql.serialize(result, fmt)
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    if result.truncated:
        print(f"warning: results cut at {args.max_rows}; raise --max-rows to see more", file=sys.stderr)
    return 0
