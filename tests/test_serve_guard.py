"""essaykg.serve.guard and essaykg.serve.negotiate as plain functions: every rule, both ways.

The server tests (test_serve.py, test_serve_security.py) send the same cases over HTTP; these run in
milliseconds, so that mutation testing can afford them for every planted bug.
"""
from __future__ import annotations

import pytest

from essaykg.serve import guard, negotiate


@pytest.mark.parametrize("host, loopback_only, expected", [
    ("127.0.0.1", True, "127.0.0.1"), ("localhost:8765", True, "localhost:8765"), ("LocalHost", True, "localhost"),
    ("[::1]:80", True, "[::1]:80"), ("kg.example.org", False, "kg.example.org"),
    ("10.0.0.1:65535", False, "10.0.0.1:65535"),
])
def test_host_accepted(host, loopback_only, expected):
    assert guard.check_host([host], loopback_only) == expected


@pytest.mark.parametrize("values, loopback_only, status, words", [
    ([], True, 400, "exactly one Host"), (["localhost", "localhost"], True, 400, "exactly one Host"),
    (["a b"], True, 400, "malformed"), (["[::1"], True, 400, "malformed"), ([""], True, 400, "malformed"),
    (["localhost:65536"], True, 400, "malformed"), (["localhost:"], True, 400, "malformed"),
    (["local\x1bhost"], True, 400, "\\x1b"),
    (["localhost.attacker.example"], True, 403, "only to 127.0.0.1"), (["127.0.0.1.nip.io"], True, 403, "only"),
    (["attacker.example:8765"], True, 403, "only"), (["[::2]"], True, 403, "only"), (["localhost."], True, 403, "only"),
    (["a b"], False, 400, "malformed"), (["x", "y"], False, 400, "exactly one"),
])
def test_host_refused(values, loopback_only, status, words):
    with pytest.raises(guard.Refusal) as err:
        guard.check_host(values, loopback_only)
    assert err.value.status == status and words in err.value.message


@pytest.mark.parametrize("origins, sites, allowed", [
    ([], [], frozenset()), (["http://127.0.0.1:8765"], ["same-origin"], frozenset()),
    (["HTTP://127.0.0.1:8765"], [], frozenset()), ([], ["none"], frozenset()), ([], ["same-origin"], frozenset()),
    (["https://kg.example.org"], ["same-origin"], frozenset({"https://kg.example.org"})),
])
def test_origin_accepted(origins, sites, allowed):
    guard.check_origin(origins, sites, "127.0.0.1:8765", allowed)


@pytest.mark.parametrize("origins, sites", [
    (["http://evil.example"], []), (["null"], []), (["http://127.0.0.1:8766"], []), (["https://127.0.0.1:8765"], []),
    (["http://127.0.0.1:8765", "http://evil.example"], []), ([], ["cross-site"]), ([], ["same-site"]),
    ([], ["same-origin", "cross-site"]), (["https://kg.example.org.evil"], ["cross-site"]),
])
def test_origin_refused(origins, sites):
    with pytest.raises(guard.Refusal) as err:
        guard.check_origin(origins, sites, "127.0.0.1:8765", frozenset({"https://kg.example.org"}))
    assert err.value.status == 403 and "may not be sent" in err.value.message


def test_loopback_addresses():
    assert guard.is_loopback("127.0.0.1") and guard.is_loopback("127.5.5.5") and guard.is_loopback("::1")
    assert guard.is_loopback("[::1]") and guard.is_loopback("localhost")
    assert not guard.is_loopback("0.0.0.0") and not guard.is_loopback("10.0.0.1") and not guard.is_loopback("example")


def test_escape_controls():
    assert guard.escape_controls("plain /id/x?y=1") == "plain /id/x?y=1"
    assert guard.escape_controls("\x00\x1f\x7f\x85\x9f\\") == "\\x00\\x1f\\x7f\\x85\\x9f\\x5c"
    assert guard.escape_controls("é ü") == "é ü"


def test_header_values_keep_order_and_repeats():
    headers = [(b"host", b"a"), (b"origin", b"o"), (b"host", b"\xe9")]
    assert guard.header_values(headers, b"host") == ["a", "é"]
    assert guard.header_values(headers, b"cookie") == []


@pytest.mark.parametrize("accept, offers, expected", [
    (None, negotiate.RESULT_OFFERS, "json"), ("", negotiate.RESULT_OFFERS, "json"),
    ("   ", negotiate.GRAPH_OFFERS, "turtle"), ("*/*", negotiate.PAGE_OFFERS, "html"),
    ("application/sparql-results+json", negotiate.RESULT_OFFERS, "json"),
    ("application/json", negotiate.RESULT_OFFERS, "json"), ("application/sparql-results+xml", negotiate.RESULT_OFFERS, "xml"),
    ("application/xml", negotiate.RESULT_OFFERS, "xml"), ("text/xml", negotiate.RESULT_OFFERS, "xml"),
    ("text/csv", negotiate.RESULT_OFFERS, "csv"), ("text/tab-separated-values", negotiate.RESULT_OFFERS, "tsv"),
    ("text/plain", negotiate.RESULT_OFFERS, "table"), ("text/html", negotiate.RESULT_OFFERS, "html"),
    ("text/*", negotiate.RESULT_OFFERS, "csv"), ("text/csv;q=0.2, text/tab-separated-values;q=0.9",
                                                 negotiate.RESULT_OFFERS, "tsv"),
    ("text/turtle", negotiate.GRAPH_OFFERS, "turtle"), ("application/x-turtle", negotiate.GRAPH_OFFERS, "turtle"),
    ("application/n-triples", negotiate.GRAPH_OFFERS, "ntriples"), ("text/plain", negotiate.GRAPH_OFFERS, "ntriples"),
    ("application/ld+json", negotiate.GRAPH_OFFERS, "jsonld"), ("application/json", negotiate.GRAPH_OFFERS, "jsonld"),
    ("text/*", negotiate.GRAPH_OFFERS, "turtle"), ("*/*", negotiate.ENTITY_OFFERS, "html"),
    ("text/turtle", negotiate.ENTITY_OFFERS, "turtle"), ("application/json", negotiate.ENTITY_OFFERS, "jsonld"),
    ("image/png", negotiate.RESULT_OFFERS, None), ("image/png", negotiate.PAGE_OFFERS, None),
    ("text/html;q=0", negotiate.PAGE_OFFERS, None), ("text/turtle", negotiate.RESULT_OFFERS, None),
])
def test_choose(accept, offers, expected):
    assert negotiate.choose(accept, offers) == expected


@pytest.mark.parametrize("accept", ["a/b/c", "foo", ";;;"])
def test_a_malformed_accept_is_named(accept):
    with pytest.raises(negotiate.BadAccept) as err:
        negotiate.choose(accept, negotiate.RESULT_OFFERS)
    assert "Accept header does not parse" in str(err.value)


def test_offers_take_media_types_from_pyoxigraph():
    media = dict(negotiate.RESULT_OFFERS + negotiate.GRAPH_OFFERS)
    assert media["application/sparql-results+json"] == "json" and media["text/turtle"] == "turtle"
    assert negotiate.RESULT_OFFERS[-1] == ("application/sparql-results+json", "json")  # */* gets the default


@pytest.mark.parametrize("params, expected", [
    ({}, ""), ({"format": ["CSV"]}, "csv"), ({"format": ["ttl"]}, "turtle"), ({"format": ["nt"]}, "ntriples"),
    ({"format": ["json-ld"]}, "jsonld"), ({"format": ["srx", "json"]}, "xml"), ({"format": ["text"]}, "table"),
    ({"format": ["nonesuch"]}, "nonesuch"),
])
def test_format_param(params, expected):
    assert negotiate.format_param(params) == expected
