"""Property-based tests (hypothesis), bounded in examples and time, loopback only.

- the loader: garbled TriG and Turtle give a LoadError naming file:line:column, never another exception;
- the endpoint: random SPARQL gets an answer or a 4xx (503 for the time limit) with a message, never
  a 500, and the server still answers a good query afterwards;
- the fast paths of the build agree with the plain ones: the sort of the serializers, the JSON writer,
  and the SHACL shapes run as SPARQL against pySHACL on mutated graphs.

The number of cases each property tried is printed (pytest -s) and asserted, so a strategy that
silently generates nothing is noticed.
"""
from __future__ import annotations

import http.client
import json
import re
import tempfile
import urllib.parse
from pathlib import Path

import pyoxigraph as ox
import pytest
from _sparql_support import make_fixture_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks import synth
from essaykg import config, namespaces, serve
from essaykg.build import export, load, pipeline, validate
from essaykg.build.load import LoadError, store_of

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
WHERE = re.compile(r"^(?P<file>.+\.(?:trig|ttl)):(?P<line>\d+):(?P<col>\d+): \S")
OUTSIDE = re.compile(r"^.+\.trig: the triple <.*> <.*> \.\.\. is outside a named graph; wrap it in a GRAPH block$",
                     re.DOTALL)

SEED_TRIG = (config.GRAPH_DIR / "essays" / "her-2023" / "quotations.trig").read_text(encoding="utf-8")[:2500]
SEED_TTL = (config.ONTOLOGY_DIR / "ontology.ttl").read_text(encoding="utf-8")[:2500]
SYNTAX = list('{}<>"\'.;,:@^_#\\ \n\t()[]') + ["GRAPH", "@prefix", "a", "\"\"\"", "<<", ">>", "\u00e9", "\x00", "\ufeff"]

counted: dict[str, int] = {}


def _count(name: str) -> None:
    counted[name] = counted.get(name, 0) + 1


@st.composite
def garbled(draw, seed: str):
    """A source text with a few random edits: cut, insert syntax, delete a run, duplicate a run."""
    text = seed
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["insert", "delete", "cut", "duplicate", "replace"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(SYNTAX)) + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 12)):]
        elif kind == "cut":
            text = text[:at]
        elif kind == "duplicate":
            text = text[:at] + text[at:at + draw(st.integers(1, 40))] + text[at:]
        else:
            text = text[:at] + draw(st.text(min_size=1, max_size=6)) + text[at + 1:]
    return text


def _check_load_error(err: LoadError, path: Path, text: str) -> None:
    message = str(err)
    match = WHERE.match(message)
    if match is None:
        assert OUTSIDE.match(message) and path.suffix == ".trig", message
        return
    assert match.group("file").endswith(path.name), message
    line = int(match.group("line"))
    assert 1 <= line <= text.count("\n") + 2, message


@FUZZ
@given(text=garbled(SEED_TRIG))
def test_garbled_trig_gives_a_load_error_with_its_place(text):
    _count("trig")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "garbled.trig"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            load.load_graph_dir(Path(tmp))
        except LoadError as err:
            _check_load_error(err, path, text)


@FUZZ
@given(text=garbled(SEED_TTL))
def test_garbled_turtle_gives_a_load_error_with_its_place(text):
    _count("turtle")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "garbled.ttl"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            load.parse_file(path, ox.RdfFormat.TURTLE)
        except LoadError as err:
            _check_load_error(err, path, text)


@FUZZ
@given(data=st.binary(max_size=300))
def test_arbitrary_bytes_give_a_load_error_or_parse(data):
    _count("bytes")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bytes.trig"
        path.write_bytes(data)
        try:
            load.load_graph_dir(Path(tmp))
        except LoadError as err:
            _check_load_error(err, path, data.decode("utf-8", "replace"))


# ---------------------------------------------------------------------------- the endpoint

TOKENS = ["SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "{", "}", "?s", "?p", "?o", "*", ".", ";", ",",
          "(", ")", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "SERVICE", "LOAD", "INSERT", "DATA",
          "DELETE", "DROP", "ALL", "CLEAR", "FROM", "NAMED", "<https://w3id.org/essay-kg/id/samantha>",
          "<http://example.org/x>", "<file:///etc/passwd>", "\"x\"", "\"\"\"", "'y'@en", "1", "3.5e2", "true",
          "PREFIX", "ex:", "rdfs:label", "a", "COUNT(*)", "AS", "?n", "GROUP", "BY", "ORDER", "LIMIT", "10",
          "OFFSET", "VALUES", "BIND", "REGEX(?o,", "\"(a+)+$\")", "^^", "<<", ">>", "#", "\n", "\\", "\u00e9",
          "\x00", "%00", "SILENT", "EXISTS", "NOT", "STR(?o)", "LANG(?o)", "SUBSTR(", "BASE", "<>", "!", "|"]


@st.composite
def sparqlish(draw):
    kind = draw(st.sampled_from(["tokens", "tokens", "prefixed", "text"]))
    if kind == "text":
        return draw(st.text(max_size=120))
    words = draw(st.lists(st.sampled_from(TOKENS), min_size=0, max_size=25))
    query = " ".join(words)
    if kind == "prefixed":
        query = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> SELECT * WHERE { " + query + " } LIMIT 5"
    return query


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    data = make_fixture_data(tmp_path_factory.mktemp("fuzz-data"))
    srv = serve.make_server(data, port=0, timeout=2.0, workers=2, max_rows=100, max_body=8192)
    srv.start()
    yield srv
    srv.stop()


def _request(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


GOOD = "SELECT ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } LIMIT 1"


@settings(max_examples=80, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(query=sparqlish(), how=st.sampled_from(["get", "form", "direct"]))
def test_random_sparql_never_gets_a_500(endpoint, query, how):
    _count("sparql")
    encoded = query.encode("utf-8", "surrogatepass")
    if how == "get":
        status, body = _request(endpoint, "GET", "/sparql?" + urllib.parse.urlencode({"query": encoded}))
    elif how == "form":
        status, body = _request(endpoint, "POST", "/sparql", urllib.parse.urlencode({"query": encoded}).encode(),
                                {"Content-Type": "application/x-www-form-urlencoded"})
    else:
        status, body = _request(endpoint, "POST", "/sparql", encoded, {"Content-Type": "application/sparql-query"})
    assert status == 200 or 400 <= status < 500 or status == 503, (status, query, body[:300])
    if status != 200:
        assert body.strip(), (status, query)  # a message, not an empty error
    # the server still answers
    status, body = _request(endpoint, "GET", "/sparql?" + urllib.parse.urlencode({"query": GOOD}),
                            headers={"Accept": "application/sparql-results+json"})
    assert status == 200 and json.loads(body)["results"]["bindings"], body[:300]


# ---------------------------------------------------------------------------- fast paths agree with plain ones

IRIS = ["http://ex.org/a", "http://ex.org/a/", "http://ex.org/a/b", "http://ex.org/a-b", "http://ex.org/a.b",
        "http://ex.org/1", "http://ex.org/10", "http://ex.org/a#", "https://w3id.org/essay-kg/id/x"]
terms_iri = st.sampled_from(IRIS).map(ox.NamedNode)
terms_bnode = st.sampled_from(["b1", "b10", "b2", "a", "a1"]).map(ox.BlankNode)
text = st.text(alphabet=st.sampled_from(list("ab \t\n\"\\é<>^@.") + ["\u2028", "\x01"]), max_size=6)
literals = st.one_of(
    text.map(ox.Literal),
    st.tuples(text, st.sampled_from(["en", "en-gb", "fr"])).map(lambda t: ox.Literal(t[0], language=t[1])),
    st.tuples(text, st.sampled_from(["http://www.w3.org/2001/XMLSchema#integer", "http://ex.org/dt"])).map(
        lambda t: ox.Literal(t[0], datatype=ox.NamedNode(t[1]))),
)
quads = st.lists(st.builds(ox.Quad, st.one_of(terms_iri, terms_bnode), terms_iri,
                           st.one_of(terms_iri, terms_bnode, literals), st.one_of(terms_iri, terms_bnode)),
                 max_size=40)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(quads=quads)
def test_fast_sort_is_the_plain_sort(quads):
    _count("sort")
    plain = sorted(set(quads), key=export._sort_key)
    assert list(export.sorted_quads(quads)) == plain
    triples = [q.triple for q in quads]
    assert list(export.sorted_triples(triples)) == sorted(
        set(triples), key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


json_values = st.recursive(
    st.one_of(st.text(max_size=5), st.integers(), st.floats(allow_nan=False), st.booleans(), st.none()),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(st.text(max_size=4), children,
                                                                                max_size=4)),
    max_leaves=25)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(value=json_values)
def test_fast_json_writer_is_json_dumps(value):
    _count("json")
    assert export.dump_json(value) == json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True)


BASE_CORPUS = synth.generate_text(700, seed=21)


def _corpus_quads() -> list[ox.Quad]:
    with tempfile.TemporaryDirectory() as tmp:
        return list(load.load_graph_dir(BASE_CORPUS.write(Path(tmp)).graph_dir)[0])


CORPUS_QUADS = _corpus_quads()
SHAPES = load.load_sources().shapes
REPLACEMENTS = [ox.Literal("x"), ox.Literal("7", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
                ox.Literal("-3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
                ox.Literal("short", language="en"), ox.NamedNode("http://example.org/x"), ox.BlankNode("b1"),
                ox.NamedNode("https://w3id.org/essay-kg/theme/t1"), ox.NamedNode("https://w3id.org/essay-kg/id/person-0")]


@st.composite
def mutations(draw):
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        edits.append((draw(st.sampled_from(["drop", "object", "predicate", "literal", "add"])),
                      draw(st.integers(0, len(CORPUS_QUADS) - 1)), draw(st.integers(0, len(CORPUS_QUADS) - 1)),
                      draw(st.integers(0, len(REPLACEMENTS) - 1))))
    return edits


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(edits=mutations())
def test_shapes_as_sparql_agree_with_pyshacl(edits):
    _count("shacl")
    quads = list(CORPUS_QUADS)
    for kind, i, j, r in edits:
        i %= len(quads)
        q = quads[i]
        if kind == "drop":
            quads.pop(i)
        elif kind == "object":
            quads[i] = ox.Quad(q.subject, q.predicate, CORPUS_QUADS[j].object, q.graph_name)
        elif kind == "predicate":
            quads[i] = ox.Quad(q.subject, CORPUS_QUADS[j].predicate, q.object, q.graph_name)
        elif kind == "literal":
            quads[i] = ox.Quad(q.subject, q.predicate, REPLACEMENTS[r], q.graph_name)
        else:
            quads.append(ox.Quad(q.subject, q.predicate, CORPUS_QUADS[j].object, q.graph_name))
    plain = validate.shacl(pipeline._data_graph_triples(quads), SHAPES)
    store = store_of(quads)
    graphs = [g for g in store.named_graphs() if not g.value.startswith(namespaces.PREFIXES["assertion"])]
    fast = validate.shacl_sparql(store, graphs, SHAPES)
    key = lambda problems: sorted((p.node, p.path, p.rule) for p in problems)  # noqa: E731
    assert key(fast) == key(plain)
    messages = {(p.node, p.path, p.rule): p.message for p in plain}
    for p in fast:  # where the shape has its own sh:message, the text is the same too
        if "Constraint" in p.rule and not p.message.startswith(("Less than", "More than", "Value", "Node", "String")):
            assert p.message == messages[(p.node, p.path, p.rule)] or p.message in {
                m.message for m in plain if (m.node, m.path, m.rule) == (p.node, p.path, p.rule)}


def test_every_property_tried_its_cases():
    """Runs last in this module (pytest keeps file order): each property above generated cases."""
    print("\nhypothesis cases tried:", dict(sorted(counted.items())))
    if not counted:
        pytest.skip("no property ran in this session (selected with -k?)")
    for name, at_least in {"trig": 30, "turtle": 30, "bytes": 30, "sparql": 40, "sort": 100, "json": 100,
                           "shacl": 10}.items():
        if name in counted:  # a property deselected with -k did not run at all
            assert counted[name] >= at_least, (name, counted)
