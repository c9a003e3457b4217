"""essaykg.serve.guard and essaykg.serve.negotiate as plain functions: every rule, both ways.

The server tests (tests/serve/test_app.py, tests/serve/test_security.py) send the same cases over HTTP; these run in
milliseconds, so that mutation testing can afford them for every planted bug.
"""
from __future__ import annotations

import asyncio
import logging

import pytest

from essaykg.serve import guard, negotiate


@pytest.mark.parametrize("host, loopback_only, expected", [
    ("127.0.0.1", True, "127.0.0.1"), ("localhost:8765", True, "localhost:8765"), ("LocalHost", True, "localhost"),
    ("[::1]:80", True, "[::1]:80"), ("kg.example.org", False, "kg.example.org"),
    ("10.0.0.1:65535", False, "10.0.0.1:65535"),
])
def test_host_accepted(host, loopback_only, expected):
    assert guard.check_host([host], loopback_only) == expected


ONE_HOST = "a request needs exactly one Host header"
LOOPBACK_ONLY = "this server answers only to 127.0.0.1 and localhost"


@pytest.mark.parametrize("values, loopback_only, status, message", [
    ([], True, 400, ONE_HOST), (["localhost", "localhost"], True, 400, ONE_HOST),
    (["a b"], True, 400, "malformed Host header: 'a b'"), (["[::1"], True, 400, "malformed Host header: '[::1'"),
    ([""], True, 400, "malformed Host header: ''"), (["localhost:65536"], True, 400, "malformed Host header: 'localhost:65536'"),
    (["localhost:"], True, 400, "malformed Host header: 'localhost:'"),
    (["local\x1bhost"], True, 400, "malformed Host header: 'local\\\\x1bhost'"),
    (["localhost.attacker.example"], True, 403, LOOPBACK_ONLY), (["127.0.0.1.nip.io"], True, 403, LOOPBACK_ONLY),
    (["attacker.example:8765"], True, 403, LOOPBACK_ONLY), (["[::2]"], True, 403, LOOPBACK_ONLY),
    (["localhost."], True, 403, LOOPBACK_ONLY), (["a b"], False, 400, "malformed Host header: 'a b'"),
    (["x", "y"], False, 400, ONE_HOST),
])
def test_host_refused(values, loopback_only, status, message):
    with pytest.raises(guard.Refusal) as err:
        guard.check_host(values, loopback_only)
    assert (err.value.status, err.value.message, str(err.value)) == (status, message, message)


@pytest.mark.parametrize("origins, sites, allowed", [
    ([], [], frozenset()), (["http://127.0.0.1:8765"], ["same-origin"], frozenset()),
    (["HTTP://127.0.0.1:8765"], [], frozenset()), ([], ["none"], frozenset()), ([], ["same-origin"], frozenset()),
    (["https://kg.example.org"], ["same-origin"], frozenset({"https://kg.example.org"})),
])
def test_origin_accepted(origins, sites, allowed):
    assert guard.check_origin(origins, sites, "127.0.0.1:8765", allowed) is None  # no Refusal raised


@pytest.mark.parametrize("origins, sites", [
    (["http://evil.example"], []), (["null"], []), (["http://127.0.0.1:8766"], []), (["https://127.0.0.1:8765"], []),
    (["http://127.0.0.1:8765", "http://evil.example"], []), ([], ["cross-site"]), ([], ["same-site"]),
    ([], ["same-origin", "cross-site"]), (["https://kg.example.org.evil"], ["cross-site"]),
])
def test_origin_refused(origins, sites):
    with pytest.raises(guard.Refusal) as err:
        guard.check_origin(origins, sites, "127.0.0.1:8765", frozenset({"https://kg.example.org"}))
    expected = (f"a query may not be sent from another origin ({', '.join(origins)})" if origins
                else "a query may not be sent from another site's page")
    assert err.value.status == 403 and err.value.message == expected


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


def test_offers_list_aliases_then_formats_with_pyoxigraph_media_types():
    assert negotiate._offers(["turtle", "json", "table"], {"text/x": "x"}) == [
        ("text/x", "x"), ("text/turtle", "turtle"), ("application/sparql-results+json", "json"), ("text/plain", "table")]


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


# ---------------------------------------------------------------- the middleware itself, without a server


def call_guard(path="/entities", method="GET", headers=None, bound="127.0.0.1", raw_path=None, query=b"",
               allowed=(), quiet=True):
    """Run Guard over a stand-in app; return (status, headers, body, whether the app ran)."""
    ran, sent = [], []

    async def app(scope, receive, send):
        ran.append(scope["path"])
        ctype = b"text/html; charset=utf-8" if scope["path"] != "/data" else b"application/json"
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", ctype)]})
        await send({"type": "http.response.body", "body": b"ok"})

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    headers = [(b"host", b"127.0.0.1:8765")] if headers is None else headers
    scope = {"type": "http", "method": method, "path": path, "raw_path": raw_path or path.encode(),
             "query_string": query, "headers": headers, "client": ("127.0.0.1", 5)}
    asyncio.run(guard.Guard(app, bound, quiet=quiet, allowed_origins=allowed)(scope, receive, send))
    start = sent[0]
    return start["status"], dict(start["headers"]), b"".join(m.get("body", b"") for m in sent[1:]), bool(ran)


def test_guard_lets_a_good_request_through_with_security_headers():
    status, headers, body, ran = call_guard()
    assert (status, body, ran) == (200, b"ok", True)
    assert headers[b"x-content-type-options"] == b"nosniff" and headers[b"referrer-policy"] == b"no-referrer"
    assert headers[b"content-security-policy"] == guard.PAGE_CSP.encode()


def test_guard_gives_built_views_their_own_policy_and_data_none():
    assert call_guard("/graph.html")[1][b"content-security-policy"] == guard.VIEW_CSP.encode()
    assert call_guard("/ontology.html")[1][b"content-security-policy"] == guard.PAGE_CSP.encode()
    assert b"content-security-policy" not in call_guard("/data")[1]


@pytest.mark.parametrize("headers, status", [
    ([], 400), ([(b"host", b"evil.example")], 403), ([(b"host", b"localhost"), (b"host", b"localhost")], 400),
])
def test_guard_refuses_a_bad_host_without_running_the_app(headers, status):
    got, response_headers, body, ran = call_guard(headers=headers)
    assert got == status and not ran and body.endswith(b"\n")
    assert response_headers[b"content-type"] == b"text/plain; charset=utf-8"
    assert response_headers[b"content-length"] == str(len(body)).encode()
    assert response_headers[b"x-content-type-options"] == b"nosniff"


def test_guard_answers_any_host_when_not_on_loopback():
    assert call_guard(headers=[(b"host", b"kg.example.org")], bound="0.0.0.0")[3]


@pytest.mark.parametrize("path, method, origin, status", [
    ("/sparql", "GET", b"http://evil.example", 403), ("/sparql", "POST", b"http://evil.example", 403),
    ("/queries/01-x", "GET", b"http://evil.example", 403), ("/entities", "POST", b"http://evil.example", 403),
    ("/entities", "GET", b"http://evil.example", 200), ("/sparql", "POST", b"http://127.0.0.1:8765", 200),
    ("/sparql", "POST", b"https://kg.example.org", 200), ("/queries", "GET", b"http://evil.example", 200),
])
def test_guard_checks_origin_where_work_is_done(path, method, origin, status):
    headers = [(b"host", b"127.0.0.1:8765"), (b"origin", origin)]
    got, _, _, ran = call_guard(path, method, headers, allowed=("https://kg.example.org/",))
    assert got == status and ran == (status == 200)


def test_guard_refuses_a_long_target_with_414():
    assert call_guard(query=b"q=" + b"a" * guard.MAX_TARGET)[0] == 414
    assert call_guard(raw_path=b"/" + b"a" * (guard.MAX_TARGET + 1))[0] == 414
    exactly = b"q=" + b"a" * (guard.MAX_TARGET - len(b"/entities") - 2)
    assert call_guard(query=exactly)[0] == 200  # the limit itself passes


def test_guard_passes_other_scopes_untouched():
    seen = []

    async def inner(scope, receive, send):
        seen.append((scope, receive, send))

    scope = {"type": "lifespan"}
    receive, send = object(), object()
    asyncio.run(guard.Guard(inner, "127.0.0.1")(scope, receive, send))
    assert seen == [(scope, receive, send)]


def test_guard_gives_the_app_its_own_receive_and_headers_to_a_bare_response():
    got = []

    async def inner(scope, receive, send):
        got.append(await receive())
        await send({"type": "http.response.start", "status": 204})
        await send({"type": "http.response.body"})

    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b"the body"}

    scope = {"type": "http", "method": "GET", "path": "/", "raw_path": b"/", "query_string": b"",
             "headers": [(b"host", b"localhost")]}
    asyncio.run(guard.Guard(inner, "127.0.0.1")(scope, receive, send))
    assert got == [{"type": "http.request", "body": b"the body"}]
    assert sent[0]["headers"] == [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"no-referrer")]


def test_guard_refusal_messages_are_asgi_and_utf8():
    sent = []

    async def send(message):
        sent.append(message)

    async def inner(scope, receive, send):
        raise AssertionError("the app must not run")

    scope = {"type": "http", "method": "POST", "path": "/sparql", "raw_path": b"/sparql", "query_string": b"",
             "headers": [(b"host", b"localhost"), (b"origin", "http://évil.example".encode())]}
    asyncio.run(guard.Guard(inner, "127.0.0.1")(scope, None, send))
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[1]["body"] == "a query may not be sent from another origin (http://Ã©vil.example)\n".encode("utf-8")


@pytest.mark.parametrize("method, headers, status", [
    ("HEAD", [(b"origin", b"http://evil.example")], 200),
    ("GET", [(b"sec-fetch-site", b"cross-site")], 200),
    ("POST", [(b"sec-fetch-site", b"cross-site")], 403),
    ("PUT", [(b"origin", b"http://evil.example")], 403),
])
def test_guard_checks_only_what_does_work(method, headers, status):
    assert call_guard("/entities", method, [(b"host", b"127.0.0.1:8765")] + headers)[0] == status
    assert call_guard("/sparql", "GET", [(b"host", b"127.0.0.1:8765"), (b"sec-fetch-site", b"cross-site")])[0] == 403


def test_guard_sends_no_body_for_head():
    status, headers, body, ran = call_guard(method="HEAD", headers=[])
    assert status == 400 and body == b"" and headers[b"content-length"] != b"0"


def test_guard_logs_one_escaped_line(caplog):
    with caplog.at_level(logging.INFO, logger="essaykg.serve"):
        call_guard("/id/x", raw_path=b"/id/%1b\x1b", query=b"a=\x07", quiet=False)
        call_guard(quiet=True)
        call_guard("/" + "a" * 2500, quiet=False)
    lines = [r.getMessage() for r in caplog.records if r.name == "essaykg.serve"]
    assert len(lines) == 2
    assert lines[0].startswith("127.0.0.1 GET /id/%1b\\x1b?a=\\x07 200 ") and lines[0].endswith(" ms")
    assert lines[1].startswith("127.0.0.1 GET /" + "a" * 1999 + " 200 ")  # the target cut at 2,000
