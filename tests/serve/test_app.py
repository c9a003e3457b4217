"""`build.py serve`: the SPARQL 1.1 Protocol, refusals with their status, time limit, pages.

The server runs in this process on a free loopback port; queries run in its worker processes.
SPARQLWrapper is the client we did not write; plain HTTP (http.client, urllib) covers the rest.
"""
from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import pyoxigraph as ox
import pytest
from _sparql_support import (
    RUNAWAY,
    SAVED_QUESTIONS,
    StubServer,
    make_fixture_data,
    request,
)
from SPARQLWrapper import CSV, JSON, TSV, TURTLE, XML, SPARQLWrapper

from essaykg import cli, serve
from essaykg.query import sparql
from essaykg.serve import negotiate

ROLES = ("PREFIX ekg: <https://w3id.org/essay-kg/ontology#> "
         "SELECT ?actor ?character WHERE { ?actor ekg:playsOnScreen|ekg:voices ?character } ORDER BY ?actor")
ASSERTION = "https://w3id.org/essay-kg/essay/her-2023/assertion/body-is-essential"
CONSTRUCT = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{ASSERTION}> {{ ?s ?p ?o }} }}"
TIMEOUT = 2.0
MAX_ROWS = 50
MAX_BODY = 8192


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data = make_fixture_data(tmp_path_factory.mktemp("serve-data"))
    (data / "graph.html").write_text("<!doctype html><title>graph view</title><p>the graph</p>", encoding="utf-8")
    srv = serve.make_server(data, port=0, timeout=TIMEOUT, workers=2, max_rows=MAX_ROWS, max_body=MAX_BODY)
    srv.start()
    yield srv
    srv.stop()


def get(server, path, accept=None):
    return request(server, "GET", path, headers={"Accept": accept} if accept else {})


def q(text, **params):
    return "/sparql?" + urllib.parse.urlencode({"query": text, **params})


# ---------------------------------------------------------------- the protocol, through SPARQLWrapper


def wrapper(server, query, fmt, method="GET"):
    client = SPARQLWrapper(server.url + "/sparql")
    client.setQuery(query)
    client.setReturnFormat(fmt)
    client.setMethod(method)
    return client.query().convert()


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparqlwrapper_select_json(server, method):
    data = wrapper(server, ROLES, JSON, method)
    rows = [(b["actor"]["value"], b["character"]["value"]) for b in data["results"]["bindings"]]
    assert rows == [("https://w3id.org/essay-kg/id/joaquin-phoenix", "https://w3id.org/essay-kg/id/theodore-twombly"),
                    ("https://w3id.org/essay-kg/id/scarlett-johansson", "https://w3id.org/essay-kg/id/samantha")]


def test_sparqlwrapper_select_xml_csv_tsv(server):
    document = wrapper(server, ROLES, XML)
    assert len(document.getElementsByTagName("result")) == 2
    assert wrapper(server, ROLES, CSV).decode().splitlines()[0] == "actor,character"
    assert wrapper(server, ROLES, TSV).decode().splitlines()[0] == "?actor\t?character"


def test_sparqlwrapper_ask_and_construct(server):
    assert wrapper(server, "ASK { ?s a <http://schema.org/Movie> }", JSON)["boolean"] is True
    turtle = wrapper(server, CONSTRUCT, TURTLE)  # SPARQLWrapper hands Turtle back as bytes
    assert len(list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))) == 2


# ---------------------------------------------------------------- the protocol, plain HTTP


@pytest.mark.parametrize("accept, fmt, media", [
    ("application/sparql-results+json", "json", "application/sparql-results+json"),
    ("application/sparql-results+xml", "xml", "application/sparql-results+xml"),
    ("text/csv", "csv", "text/csv"),
    ("text/tab-separated-values", "tsv", "text/tab-separated-values"),
    ("application/json;q=0.9, text/tab-separated-values", "tsv", "text/tab-separated-values"),
    ("*/*", "json", "application/sparql-results+json"),
    (None, "json", "application/sparql-results+json"),
])
def test_select_accept_negotiation(server, accept, fmt, media):
    status, headers, body = get(server, q(ROLES), accept)
    assert status == 200 and headers["Content-Type"].startswith(media)
    if fmt != "csv":
        assert len(sparql.parse_results(body, fmt)) == 2


@pytest.mark.parametrize("accept, media, rdf_format", [
    ("text/turtle", "text/turtle", ox.RdfFormat.TURTLE),
    ("application/n-triples", "application/n-triples", ox.RdfFormat.N_TRIPLES),
    ("application/ld+json", "application/ld+json", ox.RdfFormat.JSON_LD),
])
def test_construct_accept_negotiation(server, accept, media, rdf_format):
    status, headers, body = get(server, q(CONSTRUCT), accept)
    assert status == 200 and headers["Content-Type"].startswith(media)
    assert len(list(ox.parse(body, format=rdf_format))) == 2


def test_format_parameter_overrides_accept(server):
    status, headers, body = get(server, q(ROLES, format="csv"), "application/sparql-results+json")
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert get(server, q(ROLES, format="turtle"))[0] == 400


def test_post_urlencoded_and_direct(server):
    body = urllib.parse.urlencode({"query": ROLES}).encode()
    status, _, data = request(server, "POST", "/sparql", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200 and len(json.loads(data)["results"]["bindings"]) == 2
    status, _, data = request(server, "POST", "/sparql", ROLES.encode(), {
        "Content-Type": "application/sparql-query", "Accept": "text/tab-separated-values"})
    assert status == 200 and data.decode().count("\n") == 3


def test_protocol_dataset_parameters(server):
    path = q("SELECT ?s ?o WHERE { ?s ?p ?o }") + "&" + urllib.parse.urlencode({"default-graph-uri": ASSERTION})
    status, _, data = get(server, path)
    assert status == 200 and len(json.loads(data)["results"]["bindings"]) == 2


def test_browser_gets_an_html_table(server):
    status, headers, body = get(server, q(ROLES), "text/html,application/xhtml+xml,*/*;q=0.8")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"Scarlett Johansson" in body or b"scarlett-johansson" in body
    assert "default-src 'self'" in headers["Content-Security-Policy"]


# ---------------------------------------------------------------- refusals, each with its status

REFUSALS = [
    # (name, method, path, body, headers, status, words in the message)
    ("update by POST", "POST", "/sparql", b"INSERT DATA { <http://x/a> <http://x/b> 1 }",
     {"Content-Type": "application/sparql-update"}, 400, "read-only"),
    ("update= form field", "POST", "/sparql", b"update=DROP+ALL",
     {"Content-Type": "application/x-www-form-urlencoded"}, 400, "read-only"),
    ("update as query", "GET", q("DROP ALL"), None, {}, 400, "SPARQL Update (DROP) is refused"),
    ("LOAD", "GET", q("LOAD <{stub}x.nt>"), None, {}, 400, "LOAD is refused"),
    ("SERVICE", "GET", q("SELECT * WHERE { SERVICE <{stub}sparql> { ?s ?p ?o } }"), None, {}, 400,
     "SERVICE is refused"),
    ("FROM outside", "GET", q("SELECT * FROM <{stub}x.nt> WHERE { ?s ?p ?o }"), None, {}, 400,
     "outside this dataset"),
    ("FROM NAMED outside", "GET", q("SELECT * FROM NAMED <{stub}x.nt> WHERE { GRAPH ?g { ?s ?p ?o } }"), None, {},
     400, "FROM NAMED"),
    ("default-graph-uri outside", "GET", q("SELECT * WHERE { ?s ?p ?o }") + "&default-graph-uri={stub}x.nt",
     None, {}, 400, "default-graph-uri"),
    ("malformed", "GET", q("SELECT ?s WHERE {\n  ?s ?p\n}"), None, {}, 400, "malformed query at line 3, column 2"),
    ("body too large", "POST", "/sparql", b"query=" + b"x" * (MAX_BODY + 1),
     {"Content-Type": "application/x-www-form-urlencoded"}, 413, "the limit is"),
    ("chunked body", "POST", "/sparql", None, {"Transfer-Encoding": "chunked"}, 411, "Content-Length"),
    ("wrong body type", "POST", "/sparql", b"<x>", {"Content-Type": "text/turtle"}, 415, "application/sparql-query"),
    ("no query", "GET", "/sparql", None, {}, 400, "exactly one query"),
    ("foreign Host header", "GET", q("ASK {}"), None, {"Host": "attacker.example"}, 403, "only to 127.0.0.1"),
]


@pytest.mark.parametrize("case", REFUSALS, ids=lambda c: c[0])
def test_refusals(server, case):
    name, method, path, body, headers, status, words = case
    stub = StubServer()
    try:
        quoted = urllib.parse.quote(stub.url, safe="")
        path = path.replace("{stub}", quoted).replace(urllib.parse.quote("{stub}", safe=""), quoted)
        if body is not None:
            headers = {**headers, "Content-Length": str(len(body))}
        got, _, data = request(server, method, path, body, headers)
        assert got == status, data
        assert words in data.decode(), data
        assert stub.requests == []
    finally:
        stub.close()
    print(f"\n{name}: {got}")


def test_results_are_capped(server):
    status, headers, body = get(server, q("SELECT * WHERE { ?s ?p ?o }"))
    assert status == 200
    assert len(json.loads(body)["results"]["bindings"]) == MAX_ROWS
    assert headers["X-Results-Truncated"].startswith(f"cut at {MAX_ROWS} rows")


def test_runaway_query_times_out_while_a_simple_query_still_answers(server):
    outcome = {}

    def runaway():
        started = time.monotonic()
        outcome["status"], _, outcome["body"] = get(server, q(RUNAWAY))
        outcome["seconds"] = time.monotonic() - started

    cancelled_before = len(server.app.pool.cancelled)
    thread = threading.Thread(target=runaway)
    thread.start()
    time.sleep(0.4)
    started = time.monotonic()
    status, _, body = get(server, q(ROLES))
    simple_seconds = time.monotonic() - started
    still_running = "status" not in outcome  # answered while the runaway was still running: not after it
    thread.join(15)
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 2
    assert still_running
    assert outcome["status"] == 503 and b"time limit" in outcome["body"]
    lived = server.app.pool.cancelled[cancelled_before]
    assert lived >= TIMEOUT  # not cancelled before its limit (how soon after is printed, not asserted)
    print(f"\nrunaway query lived {lived:.2f} s (limit {TIMEOUT:g} s), client answered 503 after "
          f"{outcome['seconds']:.2f} s; a simple query sent meanwhile took {simple_seconds * 1000:.0f} ms")
    # and the server goes on: the killed worker is replaced
    for _ in range(4):
        assert get(server, q(ROLES))[0] == 200


def test_concurrent_clients(server):
    statuses = []

    def client():
        for _ in range(10):
            statuses.append(get(server, q(ROLES))[0])

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert statuses == [200] * 80


# ---------------------------------------------------------------- pages


@pytest.mark.parametrize("path, words", [
    ("/", "knowledge graph"),
    ("/queries", "Saved questions"),
    ("/queries/01-who-plays-whom", "Who plays or voices whom"),
    ("/editor", "saved-queries"),
    ("/entities", "Samantha"),
    ("/id/samantha", "Evidence in the essay"),
    ("/resource?iri=https%3A%2F%2Fw3id.org%2Fessay-kg%2Fontology%23voices", "voices"),
    ("/essay/her-2023/assertion/body-is-essential", "Inside this graph"),
    ("/ontology", "FictionalCharacter"),
    ("/graph.html", "the graph"),
    ("/files", "essay-kg.nq"),
    ("/static/app.css", "body"),
])
def test_pages(server, path, words):
    status, headers, body = get(server, path, "text/html")
    assert status == 200, body[:300]
    assert words in body.decode("utf-8")


def test_entity_page_shows_evidence_and_links(server):
    body = get(server, "/id/samantha", "text/html")[2].decode()
    assert "It’s essential." in body and "¶ 22" in body
    assert 'href="/id/her-film"' in body
    assert 'href="/essay/her-2023/claim/body-is-essential"' in body


@pytest.mark.parametrize("accept, rdf_format", [
    ("text/turtle", ox.RdfFormat.TURTLE), ("application/ld+json", ox.RdfFormat.JSON_LD),
    ("application/n-triples", ox.RdfFormat.N_TRIPLES)])
def test_entity_content_negotiation(server, accept, rdf_format):
    status, headers, body = get(server, "/id/samantha", accept)
    assert status == 200 and headers["Content-Type"].startswith(accept)
    triples = {q.triple for q in ox.parse(body, format=rdf_format)}
    samantha = ox.NamedNode("https://w3id.org/essay-kg/id/samantha")
    assert ox.Triple(ox.NamedNode("https://w3id.org/essay-kg/id/scarlett-johansson"),
                     ox.NamedNode("https://w3id.org/essay-kg/ontology#voices"), samantha) in triples
    assert all(samantha in (t.subject, t.object) for t in triples)


@pytest.mark.parametrize("path, status", [
    ("/id/nobody", 404), ("/static/../serve.py", 404), ("/static/%2e%2e/serve.py", 404),
    ("/files/../config.py", 404), ("/files/.hidden", 404), ("/queries/99-none", 404), ("/nowhere", 404),
    ("/resource", 400),
])
def test_not_found_and_traversal(server, path, status):
    assert get(server, path)[0] == status


def test_post_elsewhere_is_405(server):
    assert request(server, "POST", "/queries", b"", {"Content-Length": "0"})[0] == 405


# ---------------------------------------------------------------- the real graph, through the endpoint


def test_every_saved_question_through_the_endpoint(built):
    srv = serve.make_server(built.out_dir, port=0, timeout=10, workers=2)
    srv.start()
    try:
        saved = sparql.saved_queries()
        assert len(saved) == SAVED_QUESTIONS
        for question in saved:
            status, _, body = get(srv, q(question.text), "application/sparql-results+json")
            assert status == 200, body
            result = sparql.parse_results(body, "json")
            assert sparql.same_answers(question.expected(), result, sparql.screen(question.text).ordered), question.name
    finally:
        srv.stop()


def test_serve_command_reports_a_taken_port_and_missing_data(built, tmp_path, capsys):
    srv = serve.make_server(built.out_dir, port=0, workers=1)
    try:
        port = srv.server_address[1]
        assert cli.main(["serve", "--data", str(built.out_dir), "--port", str(port), "--workers", "1"]) == 3
        assert "cannot listen" in capsys.readouterr().err
    finally:
        srv.stop()
    assert cli.main(["serve", "--data", str(tmp_path)]) == 1
    assert "run `python build.py` first" in capsys.readouterr().err


def test_negotiate():
    table = negotiate.RESULT_OFFERS
    assert negotiate.choose("text/csv;q=0.5, application/sparql-results+xml", table) == "xml"
    assert negotiate.choose("image/png", table) is None
    assert negotiate.choose("", table) == "json"
    assert negotiate.choose(None, table) == "json"
    assert negotiate.choose("text/*;q=0.1, text/csv;q=0.3", table) == "csv"
    assert negotiate.choose("text/*", negotiate.GRAPH_OFFERS) == "turtle"
    assert negotiate.choose("application/json", negotiate.GRAPH_OFFERS) == "jsonld"
    assert negotiate.choose("*/*", negotiate.ENTITY_OFFERS) == "html"
    with pytest.raises(negotiate.BadAccept):
        negotiate.choose("a/b/c", table)


def test_urlopen_error_body_is_the_message(server):
    try:
        urllib.request.urlopen(server.url + q("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }"))
    except urllib.error.HTTPError as err:
        assert err.code == 400 and b"SERVICE is refused" in err.read()
    else:
        pytest.fail("no error")


def test_negotiated_responses_say_they_vary_by_accept(server):
    cases = [("/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}), accept, status)
             for accept, status in [("text/html", 200), ("application/json", 200), ("text/turtle", 406)]]
    cases += [("/id/samantha", accept, 200) for accept in ["text/html", "application/json", "text/turtle"]]
    for path, accept, status in cases:
        conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=10)
        conn.request("GET", path, headers={"Accept": accept})
        response = conn.getresponse()
        response.read()
        conn.close()
        assert response.status == status and response.getheader("Vary") == "Accept", (path, accept, response.status)


@pytest.mark.parametrize("name, media", [
    ("essay-kg.nq", "application/n-quads; charset=utf-8"), ("ontology.ttl", "text/turtle; charset=utf-8"),
    ("graph.html", "text/html; charset=utf-8"),
])
def test_built_files_are_served_with_their_media_type(server, name, media):
    status, headers, body = get(server, "/files/" + name)
    assert status == 200 and headers["Content-Type"] == media and body


# ---------------------------------------------------------------- a corpus's pages


@pytest.fixture(scope="module")
def corpus_server(corpus):
    srv = serve.make_server(corpus.out_dir, port=0, timeout=TIMEOUT, workers=1, max_rows=MAX_ROWS, max_body=MAX_BODY)
    srv.start()
    yield srv
    srv.stop()


def test_the_home_page_links_each_essays_pages(corpus_server, corpus):
    status, _headers, body = get(corpus_server, "/")
    page = body.decode()
    assert status == 200 and 'href="/index.html"' in page
    for slug in corpus.summary["essays"]:
        for name in ("graph", "argument", "reader"):
            assert f'href="/essays/{slug}/{name}.html"' in page


@pytest.mark.parametrize("path", ["/index.html", "/essays/her-2023/argument.html",
                                  "/essays/talking-to-machines/reader.html", "/essays/talking-to-machines/graph.html",
                                  "/essays/her-2023/argument.argdown"])
def test_an_essays_pages_are_served_as_built(corpus_server, corpus, path):
    status, headers, body = get(corpus_server, path)
    assert status == 200 and body == (corpus.out_dir / path.lstrip("/")).read_bytes()
    assert headers["content-type"].startswith("text/plain" if path.endswith(".argdown") else "text/html")


@pytest.mark.parametrize("path", ["/essays/nope/argument.html", "/essays/her-2023/summary.json",
                                  "/essays/her-2023/../summary.json", "/essays/..%2F..%2Fetc/passwd",
                                  "/essays/her-2023/essay-kg.nq", "/argument.html", "/reader.html"])
def test_nothing_else_is_served_under_essays(corpus_server, path):
    status, _headers, body = get(corpus_server, path)
    assert status == 404, (path, body[:200])


def test_a_claims_page_shows_its_own_evidence_and_no_other(corpus_server, corpus):
    """The entity page's evidence: the claim's own anchors (the query once matched every anchor of
    the corpus, its ?iri unbound inside the BIND's group)."""
    import html as html_mod
    import re

    from essaykg import namespaces

    claim = namespaces.essay_base("talking-to-machines") + "claim/borrowed-body-fails"
    store = ox.Store()
    store.load(path=str(corpus.out_dir / "essay-kg.nq"), format=ox.RdfFormat.N_QUADS)
    anchors = {q.object for q in store.quads_for_pattern(ox.NamedNode(claim), ox.NamedNode(
        namespaces.EKG + "evidence"), None)}
    exact = sorted({q.object.value for a in anchors for s in store.quads_for_pattern(a, ox.NamedNode(
        namespaces.OA + "hasSelector"), None) for q in store.quads_for_pattern(s.object, ox.NamedNode(
        namespaces.OA + "exact"), None)})
    status, _headers, body = get(corpus_server, "/resource?" + urllib.parse.urlencode({"iri": claim}))
    shown = sorted(html_mod.unescape(t) for t in re.findall(r"<blockquote>(.*?)</blockquote>", body.decode(), re.S))
    assert status == 200 and len(exact) == 2 and shown == exact
