"""`build.py publish`: the SPARQL 1.1 Graph Store Protocol, against the real Oxigraph server.

The test starts `oxigraph serve` on a free loopback port, publishes the real build, then asks the
server every saved question through its own /query endpoint and compares with the expected answers.
"""
from __future__ import annotations

import io
import json
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest

from _sparql_support import SAVED_QUESTIONS, free_port, oxigraph_server
from essaykg import cli, publish, sparql


@pytest.fixture(scope="module")
def store_url(tmp_path_factory):
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph-store")) as url:
        yield url


def ask(url: str, text: str) -> sparql.Result:
    """A SELECT on the Oxigraph server; its default graph is the union, as in our endpoint."""
    query = urllib.parse.urlencode({"query": text, "union-default-graph": ""})
    req = urllib.request.Request(f"{url}/query?{query}", headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(req, timeout=30) as response:
        return sparql.parse_results(response.read(), "json")


def graph_counts(url: str) -> dict[str, int]:
    result = ask(url, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    return {row["g"]["value"]: int(row["n"]["value"]) for row in result.rows}


def test_publish_round_trip_and_every_saved_question(built, store_url, capsys):
    # something stale on the server, in one of our graphs and in a graph of someone else's
    stale = ("INSERT DATA { GRAPH <https://w3id.org/essay-kg/graph/entities> { <http://x/stale> <http://x/p> 1 } "
             "GRAPH <http://example.org/other> { <http://x/a> <http://x/b> 2 } }")
    urllib.request.urlopen(urllib.request.Request(
        f"{store_url}/update", data=stale.encode(), headers={"Content-Type": "application/sparql-update"}), timeout=30)

    assert cli.main(["publish", "--endpoint", f"{store_url}/store", "--data", str(built.out_dir)]) == 0
    out = capsys.readouterr().out
    local = publish.graphs_of(built.out_dir)
    assert out.count("PUT ") == len(local)
    assert "verified: every graph reads back as sent" in out

    counts = graph_counts(store_url)
    assert counts.pop("http://example.org/other") == 1  # another graph is left alone
    assert counts == {name: len(triples) for name, triples in local.items()}  # ours replaced, stale triple gone
    total = sum(counts.values())
    assert total == sum(len(t) for t in local.values()) > 1000

    drop = "DROP GRAPH <http://example.org/other>"  # so that the store holds exactly our graphs again
    urllib.request.urlopen(urllib.request.Request(
        f"{store_url}/update", data=drop.encode(), headers={"Content-Type": "application/sparql-update"}), timeout=30)
    saved = sparql.saved_queries()
    assert len(saved) == SAVED_QUESTIONS
    for question in saved:
        result = ask(store_url, question.text)
        assert sparql.same_answers(question.expected(), result, sparql.screen(question.text).ordered), question.name
    print(f"\npublished {len(local)} graphs, {total} triples; {len(saved)} saved questions answer as expected "
          "on the Oxigraph server")


def test_publishing_twice_replaces_rather_than_adds(built, store_url):
    quiet = io.StringIO()
    publish.publish(built.out_dir, f"{store_url}/store", out=quiet)
    first = graph_counts(store_url)
    publish.publish(built.out_dir, f"{store_url}/store", out=quiet)
    assert graph_counts(store_url) == first


def test_dry_run_sends_nothing(built, capsys):
    port = free_port()  # nothing listens here
    assert cli.main(["publish", "--endpoint", f"http://127.0.0.1:{port}/store", "--data", str(built.out_dir),
                     "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"({len(publish.graphs_of(built.out_dir))} graphs; nothing sent)" in out


def test_unreachable_store_is_an_environment_error(built, capsys):
    port = free_port()
    assert cli.main(["publish", "--endpoint", f"http://127.0.0.1:{port}/store", "--data", str(built.out_dir),
                     "--timeout", "5"]) == 3
    assert "cannot reach" in capsys.readouterr().err


def test_store_errors_are_reported(built, store_url, capsys):
    # /query does not take PUT: the store's refusal is shown with its status
    assert cli.main(["publish", "--endpoint", f"{store_url}/query", "--data", str(built.out_dir)]) == 1
    assert "the store answered" in capsys.readouterr().err


def test_missing_data_and_bad_endpoint(tmp_path, capsys):
    assert cli.main(["publish", "--endpoint", "http://127.0.0.1:1/store", "--data", str(tmp_path)]) == 1
    assert "run `python build.py` first" in capsys.readouterr().err
    with pytest.raises(publish.PublishError):
        publish.Client("ftp://example.org/store")


def test_graph_store_requests_are_what_the_protocol_says(built):
    """PUT ?graph=<iri> with N-Triples: checked against a recording stub, not only through Oxigraph."""
    from http.server import BaseHTTPRequestHandler, HTTPServer
    import threading

    seen = []

    class Handler(BaseHTTPRequestHandler):
        def do_PUT(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seen.append((self.path, self.headers["Content-Type"], body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/store"
        publish.publish(built.out_dir, url, verify=False, out=io.StringIO())
    finally:
        server.shutdown()
        server.server_close()
    local = publish.graphs_of(built.out_dir)
    assert [urllib.parse.unquote(path.split("?graph=")[1]) for path, _, _ in seen] == list(local)
    for (path, ctype, body), (name, triples) in zip(seen, local.items()):
        assert ctype == "application/n-triples"
        assert {q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)} == set(triples)
    assert json.dumps(sorted(local)).count("https://w3id.org/essay-kg/") == len(local)
