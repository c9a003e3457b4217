"""`python build.py publish --endpoint URL`: put every built graph on a triple store.

Uses the SPARQL 1.1 Graph Store HTTP Protocol (https://www.w3.org/TR/sparql11-http-rdf-update/):
one ``PUT URL?graph=<name>`` per named graph, body in N-Triples, which replaces that graph on the
server and leaves every other graph alone. Then each graph is read back (``GET``) and compared
with the built one. ``URL`` is the store's Graph Store endpoint: ``http://host:7878/store`` for
the Oxigraph server, ``http://host:3030/DATASET/data`` for Jena Fuseki,
``http://host:7200/repositories/REPO/rdf-graphs/service`` for GraphDB,
``http://host:8890/sparql-graph-crud`` for Virtuoso.
"""
from __future__ import annotations

import argparse
import base64
import os
import sys
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from . import config, sparql

PASSWORD_ENV = "ESSAYKG_PUBLISH_PASSWORD"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--endpoint", required=True, metavar="URL",
                        help="the store's Graph Store Protocol endpoint, e.g. http://127.0.0.1:7878/store")
    parser.add_argument("--data", type=Path, default=config.OUTPUT_DIR, metavar="DIR",
                        help="folder with the built essay-kg.nq and ontology.ttl (default: output/)")
    parser.add_argument("--user", help=f"user for HTTP Basic authentication; the password is read from "
                                       f"${PASSWORD_ENV}")
    parser.add_argument("--no-verify", action="store_true", help="do not read the graphs back to compare")
    parser.add_argument("--dry-run", action="store_true", help="list the graphs and their sizes; send nothing")
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS",
                        help="time limit per HTTP request (default: 60)")


class PublishError(Exception):
    """The store refused a request or could not be reached; ``exit_code`` follows cli.py."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def graphs_of(data_dir: Path) -> dict[str, list[ox.Triple]]:
    """Graph name -> its triples, for every named graph of the build (the ontology included)."""
    store = sparql.load_store(data_dir)
    out: dict[str, list[ox.Triple]] = {}
    for name in sorted(store.named_graphs(), key=lambda g: g.value):
        if isinstance(name, ox.NamedNode):
            out[name.value] = [q.triple for q in store.quads_for_pattern(None, None, None, name)]
    return out


def graph_url(endpoint: str, graph: str) -> str:
    return f"{endpoint}{'&' if '?' in endpoint else '?'}graph={quote(graph, safe='')}"


class Client:
    """A minimal Graph Store Protocol client over urllib."""

    def __init__(self, endpoint: str, user: str | None = None, password: str | None = None, timeout: float = 60.0):
        if not endpoint.startswith(("http://", "https://")):
            raise PublishError(f"--endpoint must be an http(s) URL, not {endpoint!r}", 2)
        self.endpoint, self.timeout = endpoint.rstrip("/") if endpoint.endswith("//") else endpoint, timeout
        self.headers = {}
        if user:
            token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            self.headers["Authorization"] = f"Basic {token}"

    def request(self, method: str, graph: str, body: bytes | None = None, accept: str | None = None) -> bytes:
        import urllib.error
        import urllib.request

        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/n-triples"
        if accept:
            headers["Accept"] = accept
        req = urllib.request.Request(graph_url(self.endpoint, graph), data=body, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as err:
            detail = err.read()[:300].decode("utf-8", "replace").strip()
            raise PublishError(f"{method} <{graph}>: the store answered {err.code} {err.reason}"
                               + (f": {detail}" if detail else "")) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise PublishError(f"cannot reach {self.endpoint}: {reason}", 3) from None

    def put(self, graph: str, triples: list[ox.Triple]) -> None:
        self.request("PUT", graph, ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES))

    def get(self, graph: str) -> set[ox.Triple]:
        data = self.request("GET", graph, accept="application/n-triples")
        return {q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)}


def publish(data_dir: Path, endpoint: str, user: str | None = None, password: str | None = None,
            verify: bool = True, timeout: float = 60.0, out=None) -> dict[str, int]:
    """PUT every graph, then (if ``verify``) GET each back and compare. Returns graph -> triples."""
    out = out or sys.stdout
    graphs = graphs_of(data_dir)
    client = Client(endpoint, user, password, timeout)
    for name, triples in graphs.items():
        client.put(name, triples)
        print(f"PUT {len(triples):5d} triples  <{name}>", file=out)
    if verify:
        for name, triples in graphs.items():
            back = client.get(name)
            if any(isinstance(t, ox.BlankNode) for tr in triples for t in (tr.subject, tr.object)):
                same = len(back) == len(set(triples))  # blank node labels may change on the way
            else:
                same = back == set(triples)
            if not same:
                raise PublishError(f"<{name}> came back with {len(back)} triples, not the {len(set(triples))} sent")
        print(f"verified: every graph reads back as sent ({len(graphs)} graphs, "
              f"{sum(len(t) for t in graphs.values())} triples)", file=out)
    return {name: len(triples) for name, triples in graphs.items()}


def run(args: argparse.Namespace) -> int:
    try:
        if args.dry_run:
            graphs = graphs_of(args.data)
            for name, triples in graphs.items():
                print(f"{len(triples):5d} triples  <{name}>  -> PUT {graph_url(args.endpoint, name)}")
            print(f"({len(graphs)} graphs; nothing sent)")
            return 0
        publish(args.data, args.endpoint, args.user, os.environ.get(PASSWORD_ENV), not args.no_verify, args.timeout)
    except sparql.DataMissing as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 1
    except PublishError as err:
        print(f"error: {err}", file=sys.stderr)
        return err.exit_code
    return 0
