"""The server's defences, one finding of the security review (issue 9) at a time.

Each test sends what the review sent, on loopback, and asserts the answer and what must not
happen: no outgoing connection (a raw TCP listener counts every attempt), no dropped connection,
no 5xx for bad input. Figures (sizes, peaks) are printed; nothing here asserts an elapsed time.
"""
from __future__ import annotations

import http.client
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

import pytest
from _sparql_support import RUNAWAY, make_fixture_data, request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from essaykg import config, serve
from essaykg.query import sparql, worker
from essaykg.serve import guard

MAX_BODY = 70_000
LIMITS = {"header_timeout": 1.0, "max_connections": 12, "max_header_bytes": 8192, "max_headers": 50,
          "write_timeout": 1.0}
BYPASS = ('SELECT * WHERE { BIND("A\\u00000022 AS ?x) BIND(" AS ?y) SERVICE <{url}json> { ?a ?b ?secret } '
          'BIND(" AS ?z) BIND(\\u00000022B" AS ?w) }')


class Listener:
    """A TCP listener on 127.0.0.1 that counts every connection made to it: the 'outside'."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.connections = 0
        self._stop = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, socket.timeout, OSError):
                continue
            self.connections += 1
            conn.close()

    def close(self):
        self._stop = True
        self.thread.join(2)
        self.sock.close()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return make_fixture_data(tmp_path_factory.mktemp("security-data"))


@pytest.fixture(scope="module")
def server(data):
    srv = serve.make_server(data, port=0, timeout=3.0, workers=2, max_rows=1000, max_body=MAX_BODY, limits=LIMITS)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def listener():
    outside = Listener()
    yield outside
    outside.close()


def post_query(server, text, accept="application/sparql-results+json", headers=None):
    """POST a query as the body itself (a form would triple a 64 KB query's size)."""
    return request(server, "POST", "/sparql", text.encode("utf-8"), {"Content-Type": "application/sparql-query",
                                                                     "Accept": accept, **(headers or {})})


def raw(server, data: bytes, read_for: float = 1.5) -> bytes:
    """Send raw bytes on one connection; everything the server sends back until it closes or goes quiet."""
    sock = socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=read_for)
    try:
        sock.sendall(data)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (TimeoutError, socket.timeout):
                break
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        sock.close()


def statuses(reply: bytes) -> list[int]:
    """The status of each response in ``reply`` (a body need not end with a line break)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", reply)]


# ---------------------------------------------------------------- 1. no outgoing request, ever


def test_the_reported_bypass_gets_400_and_the_outside_hears_nothing(server, listener):
    status, _, body = post_query(server, BYPASS.replace("{url}", listener.url))
    assert status == 400 and b"SERVICE is refused" in body
    time.sleep(0.3)
    assert listener.connections == 0


ESCAPED_S = ["S", "s", "\\u0053", "\\u0073", "\\U00000053", "\\u005Cu0053", "\\u017F"]


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(s=st.sampled_from(ESCAPED_S), rest=st.lists(st.sampled_from(["E", "e", "\\u0045", "\\u0065"]), min_size=1,
                                                   max_size=1),
       tail=st.sampled_from(["RVICE", "rvice", "R\\u0056ICE", "rv\\u0069ce"]),
       before=st.sampled_from(["", "# a comment\n", 'BIND("x" AS ?q) ', "{ ", "OPTIONAL { ", 'BIND("\\"" AS ?q) ',
                               "BIND('''x\n# y''' AS ?q) ", "FILTER EXISTS { "]),
       silent=st.sampled_from(["", " SILENT", " silent"]))
def test_service_in_any_spelling_never_leaves(server, listener, s, rest, tail, before, silent):
    keyword = s + rest[0] + tail
    closing = "}" * (before.count("{"))
    text = f"SELECT * WHERE {{ {before}{keyword}{silent} <{listener.url}> {{ ?a ?b ?c }} {closing} }}"
    status, _, body = post_query(server, text)
    assert status == 400, (text, body)
    assert listener.connections == 0, text


def test_a_worker_has_no_network_even_for_a_query_the_screen_never_saw(listener):
    """The sandbox alone: a process isolated as the workers are cannot reach 127.0.0.1, and
    pyoxigraph's SERVICE fails there with 'network is unreachable'."""
    code = ("import sys; from essaykg.query import worker; how = worker.isolate_network(); print(how); "
            "import pyoxigraph as ox\n"
            "try:\n list(ox.Store().query('SELECT * WHERE { SERVICE <%s> { ?s ?p ?o } }'))\n"
            "except OSError as err: print('refused:', err)\n") % listener.url
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          cwd=config.ROOT, env={**os.environ, "PYTHONPATH": str(config.ROOT)})
    lines = done.stdout.splitlines()
    assert lines[0] in {"network namespace", "user and network namespace"}, done.stderr
    assert "unreachable" in lines[1].lower()
    time.sleep(0.2)
    assert listener.connections == 0


def test_the_pool_reports_its_sandbox(server):
    assert server.kg.pool.sandbox in {"network namespace", "user and network namespace"}


@pytest.mark.parametrize("headers, status", [
    ({"Origin": "http://evil.example"}, 403),
    ({"Origin": "null"}, 403),
    ({"Sec-Fetch-Site": "cross-site"}, 403),
    ({"Sec-Fetch-Site": "same-site"}, 403),
    ({"Origin": "http://127.0.0.1:{port}", "Sec-Fetch-Site": "same-origin"}, 200),
    ({}, 200),
])
def test_a_query_from_another_sites_page_is_refused(server, headers, status):
    port = server.server_address[1]
    headers = {k: v.replace("{port}", str(port)) for k, v in headers.items()}
    headers["Host"] = f"127.0.0.1:{port}"
    got, _, body = post_query(server, "ASK { ?s ?p ?o }", headers=headers)
    assert got == status, body
    got, _, _ = request(server, "GET", "/sparql?" + urllib.parse.urlencode({"query": "ASK {}"}), headers=headers)
    assert got == status
    got, _, _ = request(server, "GET", "/queries/01-roles", headers=headers)
    assert got in {status, 404}
    # a page that runs no query may be linked from anywhere
    assert request(server, "GET", "/entities", headers=headers)[0] == 200


@pytest.mark.parametrize("host, status", [
    ("localhost.attacker.example", 403), ("127.0.0.1.attacker.example", 403), ("attacker.example", 403),
    ("localhost:80", 200), ("LOCALHOST", 200), ("[::1]:8765", 200), ("127.0.0.1", 200),
    ("a b", 400), ("[::1", 400), ("", 400), ("localhost:99999", 400),
])
def test_host_must_be_a_loopback_name_exactly(server, host, status):
    reply = raw(server, f"GET /entities HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    assert statuses(reply)[:1] == [status], reply[:200]


def test_duplicate_or_missing_host_is_400(server):
    both = raw(server, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
    none = raw(server, b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n")
    assert statuses(both) == [400] and statuses(none) == [400]


# ---------------------------------------------------------------- 2. no denial of service from small inputs


def test_a_64_kb_query_is_parsed_in_a_worker_while_others_are_answered(server):
    big = "SELECT * WHERE { FILTER(1 IN (" + ",".join(["1"] * 32_000) + ")) }"
    big = big[: sparql.MAX_QUERY_BYTES - 10].rsplit(",", 1)[0] + ")) }"
    assert len(big.encode()) < sparql.MAX_QUERY_BYTES
    results, order = {}, []

    def send(name, text):
        results[name] = post_query(server, text)
        order.append(name)

    threads = [threading.Thread(target=send, args=(f"big{i}", big + " " * i)) for i in range(2)]
    for thread in threads:
        thread.start()
    send("simple", "ASK { ?s ?p ?o }")
    for thread in threads:
        thread.join(30)
    assert results["simple"][0] == 200
    assert all(results[f"big{i}"][0] == 200 for i in range(2))
    assert not any(server.kg.pool.cancelled)
    print(f"\n64 KB query: {len(big)} bytes, answered 200 by a worker; order {order}")


def test_a_doubling_concat_is_cut_at_the_byte_cap(server):
    binds = " ".join(f"BIND(CONCAT(?x{i}, ?x{i}) AS ?x{i + 1})" for i in range(22))
    text = f"SELECT ?x22 WHERE {{ VALUES ?n {{ 1 2 3 4 5 6 7 8 9 10 }} BIND(STR(?n) AS ?x0) {binds} }}"
    assert len(text) < 1200
    before = _worker_peaks(server)
    status, headers, body = post_query(server, text)
    peaks = _worker_peaks(server)
    assert status == 200 and headers["X-Results-Truncated"].startswith("cut at")
    assert len(body) < 2 * sparql.DEFAULT_MAX_BYTES
    assert max(peaks) < 1024**3, peaks
    print(f"\ndoubling CONCAT: {len(body)} bytes sent, worker peak RSS {max(peaks) / 2**20:.0f} MiB "
          f"(before {max(before) / 2**20:.0f} MiB)")


def _worker_peaks(server) -> list[int]:
    peaks = []
    for w in list(server.kg.pool._all):
        try:
            for line in open(f"/proc/{w.process.pid}/status"):
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) * 1024)
        except OSError:
            pass
    return peaks or [0]


@pytest.mark.parametrize("text, status, answer", [
    ("SELECT ?x WHERE { BIND(" + "+".join(["1"] * 9000) + " AS ?x) }", 400, "chains 8999 operators"),
    ("SELECT ?x WHERE { BIND(" + "+".join(["1"] * 2000) + " AS ?x) }", 200, "2000"),
    ("SELECT ?x WHERE { BIND(" + "!" * 60_000 + "true AS ?x) }", 200, "true"),
    ("SELECT ?x WHERE { BIND(" + "(" * 25 + "1" + ")" * 25 + " AS ?x) }", 200, "1"),
    ("SELECT ?x WHERE { BIND(" + "(" * 600 + "1" + ")" * 600 + " AS ?x) }", 400, "nests brackets"),
], ids=["9000-plus", "2000-plus", "60000-not", "25-parens", "600-parens"])
def test_a_long_expression_gets_an_answer_or_a_400_never_a_crash(server, text, status, answer):
    workers_before = {w.process.pid for w in server.kg.pool._all}
    got, _, body = post_query(server, text)
    assert got == status and answer.encode() in body, body[:300]
    assert {w.process.pid for w in server.kg.pool._all} == workers_before  # no worker died


def test_the_wait_for_a_worker_is_not_part_of_the_limit(data, monkeypatch):
    with worker.QueryPool(data, workers=1, timeout=0.5, wait=5.0) as pool:
        real_get = pool._idle.get

        def slow_get(timeout=None):
            time.sleep(1.0)  # a worker comes free only after twice the query's limit
            return real_get(timeout=timeout)

        monkeypatch.setattr(pool._idle, "get", slow_get)
        assert pool.run("ASK { ?s ?p ?o }").body.count(b"true") == 1
        assert pool.cancelled == []


def test_a_busy_pool_says_503_busy_not_timeout(data):
    with worker.QueryPool(data, workers=1, timeout=3.0, wait=0.3) as pool:
        thread = threading.Thread(target=lambda: pytest.raises(sparql.QueryTimeout, pool.run, RUNAWAY))
        thread.start()
        time.sleep(0.2)
        with pytest.raises(sparql.QueryBusy) as err:
            pool.run("ASK {}")
        assert err.value.status == 503 and "busy" in err.value.message
        thread.join(10)


def test_a_crashed_worker_gives_503_at_once_and_is_replaced(data):
    with worker.QueryPool(data, workers=1, timeout=20) as pool:
        victim = next(iter(pool._all))
        threading.Timer(0.3, lambda: os.kill(victim.process.pid, 11)).start()
        with pytest.raises(sparql.QueryAborted) as err:
            pool.run(RUNAWAY)
        assert err.value.status == 503 and pool.cancelled == []
        assert b"true" in pool.run("ASK { ?s ?p ?o }", timeout=20).body


# ---------------------------------------------------------------- 5. framing: no smuggling


SMUGGLED = b"GET /queries/smuggled-request HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


@pytest.mark.parametrize("head", [
    b"GET /entities HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n",
    b"HEAD /entities HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n",
    b"POST /entities HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n",
    b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/turtle\r\nContent-Length: %d\r\n\r\n",
    b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\nContent-Length: %d\r\n\r\n",
])
def test_a_body_is_never_read_as_the_next_request(server, head):
    reply = raw(server, head % len(SMUGGLED) + SMUGGLED + b"GET /queries HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Connection: close\r\n\r\n")
    codes = statuses(reply)
    assert len(codes) == 2 and codes[1] == 200, reply[:400]  # the request, then /queries: nothing in between
    assert b"smuggled-request" not in reply


@pytest.mark.parametrize("length_headers", [
    b"Content-Length: 5\r\nContent-Length: 6\r\n", b"Content-Length: 5\r\nContent-Length: 5\r\n",
    b"Content-Length: +5\r\n", b"Content-Length: 0_5\r\n", b"Content-Length: 5 5\r\n", b"Content-Length: -1\r\n",
    b"Content-Length: 0x5\r\n", b"Transfer-Encoding:\r\nContent-Length: 5\r\n",
    b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", b"Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n",
])
def test_ambiguous_framing_is_400_and_closed(server, length_headers):
    reply = raw(server, b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                + length_headers + b"\r\nASK{}" + SMUGGLED)
    assert statuses(reply) == [400], reply[:300]


# ---------------------------------------------------------------- 6. invalid IRIs: a 4xx with a message


@pytest.mark.parametrize("path", [
    "/id/foo%20bar", "/id/%", "/id/%zz", "/id/%ff", "/id/%00", "/theme/%ff", "/essay/%", "/graph/a%20b",
    "/resource?iri=a", "/resource?iri=%ff", "/resource?iri=http://x/%3Cscript%3E", "/static/a%00b", "/id/a%0Ab",
])
def test_invalid_iris_get_a_message_not_a_dropped_connection(server, path):
    status, headers, body = request(server, "GET", path)
    assert status in {400, 404}, (path, status, body)
    assert body.strip() and headers["Content-Type"].startswith("text/plain")


def test_raw_bytes_in_a_path_get_400(server):
    assert statuses(raw(server, b"GET /id/\xff\xfe HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")) == [400]


# ---------------------------------------------------------------- 7. bounds, methods, negotiation, encodings


def test_connections_are_bounded(server):
    socks = []
    try:
        for _ in range(LIMITS["max_connections"] + 3):
            socks.append(socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=5))
        time.sleep(0.3)
        last = socks[-1]
        last.settimeout(3)
        assert last.recv(200).startswith(b"HTTP/1.1 503")
    finally:
        for sock in socks:
            sock.close()
    time.sleep(0.3)
    assert request(server, "GET", "/entities")[0] == 200  # the slots came back


def test_a_trickling_client_is_cut_off_after_the_header_timeout(server):
    sock = socket.create_connection(("127.0.0.1", server.server_address[1]), timeout=10)
    try:
        sock.sendall(b"GET /entities HTTP/1.1\r\n")
        for byte in b"Host: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa":
            try:
                sock.sendall(bytes([byte]))
            except OSError:
                break
            time.sleep(0.1)
        reply = sock.recv(200)
    finally:
        sock.close()
    assert reply.startswith(b"HTTP/1.1 408"), reply


def test_an_answer_left_unread_is_dropped_after_the_write_timeout(server):
    """A client that never reads cannot hold the server's memory and a slot (hostile review, finding 1)."""
    binds = " ".join(f"BIND(CONCAT(?x{i}, ?x{i}) AS ?x{i + 1})" for i in range(20))
    text = f"SELECT ?x20 WHERE {{ VALUES ?n {{ 1 2 3 }} BIND(STR(?n) AS ?x0) {binds} }}"  # about 3 MB
    body = text.encode()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", server.server_address[1]))
    try:
        sock.sendall(b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        time.sleep(4)  # the answer is ready and waits, unread, past the 1 s write timeout
        got, sock_ended = 0, False
        sock.settimeout(5)
        while True:
            try:
                chunk = sock.recv(1 << 20)
            except (ConnectionResetError, TimeoutError, socket.timeout):
                sock_ended = True
                break
            if not chunk:
                sock_ended = True
                break
            got += len(chunk)
    finally:
        sock.close()
    assert sock_ended and got < 3 * 1024**2, got  # cut off before the whole answer went out
    assert request(server, "GET", "/entities")[0] == 200


def test_an_html_page_shows_at_most_a_pages_worth(server):
    text = "SELECT ?n WHERE { VALUES ?a { 0 1 2 3 4 5 6 7 8 9 } VALUES ?b { 0 1 2 3 4 5 6 7 8 9 } " \
           "VALUES ?c { 0 1 2 3 4 5 6 7 8 9 } VALUES ?d { 0 1 2 } BIND(?a + 10 * ?b + 100 * ?c + 1000 * ?d AS ?n) }"
    status, headers, body = request(server, "GET", "/sparql?" + urllib.parse.urlencode({"query": text}),
                                    headers={"Accept": "text/html"})
    assert status == 200 and b"cut at a page" in body and body.count(b"<tr>") == 1001  # the head and 1,000 rows
    status, _, body = post_query(server, text)
    assert status == 200 and len(json.loads(body)["results"]["bindings"]) == 1000  # the server's --max-rows here


@pytest.mark.parametrize("charset, status", [("idna", 415), ("punycode", 415), ("utf-7", 415), ("undefined", 415),
                                             ("unicode_escape", 415), ("utf-8", 200), ("latin-1", 200)])
def test_only_plain_charsets_are_decoded(server, charset, status):
    got, _, body = request(server, "POST", "/sparql", b"ASK {}", {
        "Content-Type": f"application/sparql-query; charset={charset}"})
    assert got == status, body


@pytest.mark.parametrize("name", ["a" * 256, "a" * 256 + "/x", "a/" * 2100])
def test_a_static_name_too_long_for_the_file_system_is_404(server, name):
    status, _, body = request(server, "GET", "/static/" + name)
    assert status == 404 and body.startswith(b"no static file")


@pytest.mark.parametrize("headers", [b"X-Big: " + b"a" * 9000 + b"\r\n",
                                     b"".join(b"X-%d: 1\r\n" % i for i in range(60))])
def test_large_headers_get_431(server, headers):
    reply = raw(server, b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n")
    assert statuses(reply) == [431]


@pytest.mark.parametrize("method", ["OPTIONS", "PUT", "DELETE", "TRACE", "PATCH"])
def test_other_methods_get_405_with_allow(server, method):
    status, headers, _ = request(server, method, "/sparql")
    assert status == 405 and set(headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD", "POST"}
    status, headers, _ = request(server, method, "/entities")
    assert status == 405 and set(headers["Allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}


@pytest.mark.parametrize("path, accept, status, media", [
    ("/entities", "image/png", 406, "text/plain"),
    ("/sparql?query=ASK%7B%7D", "image/png", 406, "text/plain"),
    ("/sparql?query=SELECT%20*%20WHERE%7B%3Fs%20%3Fp%20%3Fo%7DLIMIT%201", "text/*", 200, "text/csv"),
    ("/sparql?query=CONSTRUCT%20WHERE%7B%3Fs%20%3Fp%20%3Fo%7DLIMIT%201", "text/*", 200, "text/turtle"),
    ("/id/samantha", "text/*", 200, "text/html"),
    ("/sparql?query=ASK%7B%7D", "application/sparql-results+json;q=0", 406, "text/plain"),
    ("/entities", "text/html;q=0.5, */*;q=0.1", 200, "text/html"),
    ("/entities", "a/b/c", 400, "text/plain"),
])
def test_content_negotiation(server, path, accept, status, media):
    got, headers, body = request(server, "GET", path, headers={"Accept": accept})
    assert got == status and headers["Content-Type"].startswith(media), body[:200]


def test_xml_results_with_a_character_xml_cannot_carry_get_406_with_a_way_out(server):
    text = 'SELECT ?x WHERE { BIND("a\\u0001b" AS ?x) }'
    status, _, body = post_query(server, text, accept="application/sparql-results+xml")
    assert status == 406 and b"U+0001" in body and b"JSON" in body
    status, _, body = post_query(server, text)
    assert status == 200 and json.loads(body)["results"]["bindings"][0]["x"]["value"] == "a\x01b"


def test_a_form_body_must_be_utf8_and_a_query_body_may_name_its_charset(server):
    latin1 = "query=" + urllib.parse.quote("ASK { ?s ?p \"caf\xe9\" }", encoding="latin-1")
    status, _, body = request(server, "POST", "/sparql", latin1.encode(), {
        "Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and b"not UTF-8" in body
    status, _, body = request(server, "POST", "/sparql", 'SELECT ?x WHERE { BIND("caf\xe9" AS ?x) }'.encode("latin-1"), {
        "Content-Type": "application/sparql-query; charset=iso-8859-1", "Accept": "text/tab-separated-values"})
    assert status == 200 and "café" in body.decode("utf-8")
    status, _, body = request(server, "POST", "/sparql", b"ASK { ?s ?p \"\xe9\" }", {
        "Content-Type": "application/sparql-query"})
    assert status == 400 and b"not utf-8" in body


@pytest.mark.parametrize("text", [
    "SELECT ?x WHERE { BIND(" + "(" * 25 + "1" + ")" * 25 + " AS ?x) }",
    "PREFIX : <http://x/> SELECT * WHERE { " + "".join(f"?s :{i:x} ?o." for i in range(5000)) + " } LIMIT 1",
    "BASE <https://w3id.org/essay-kg/essay/her-2023/assertion/> SELECT * FROM <body-is-essential> "
    "WHERE { ?s ?p ?o }",
], ids=["25-nested-parentheses", "5000-triple-patterns", "base-relative-from"])
def test_valid_queries_the_old_screen_refused_reach_the_engine(server, text):
    """Answered; or, for 5,000 patterns sharing their variables, run until the limit: Oxigraph's
    planner is exponential in them (100 patterns 0.8 s, 200 14 s, 400 200 s, measured here)."""
    assert len(text.encode()) <= MAX_BODY
    sparql.screen(text)  # nothing refused before the engine
    status, _, body = post_query(server, text)
    assert status == 200 or (status == 503 and b"time limit" in body), body[:300]


def test_the_log_escapes_control_characters(server, caplog):
    assert guard.escape_controls("a\x1b[31mred\x07\\") == "a\\x1b[31mred\\x07\\x5c"
    loud = serve.make_server(server.kg.data_dir, port=0, quiet=False, workers=1)
    loud.start()
    try:
        with caplog.at_level(logging.INFO, logger="essaykg.serve"):
            request(loud, "GET", "/id/%1b%5b31mred?x=%07")
            time.sleep(0.2)
    finally:
        loud.stop()
    lines = [r.getMessage() for r in caplog.records if r.name == "essaykg.serve"]
    assert any("/id/%1b%5b31mred" in line for line in lines)
    assert not any("\x1b" in line or "\x07" in line for line in lines)


def test_app_pages_allow_no_inline_script(server):
    _, headers, _ = request(server, "GET", "/entities")
    csp = headers["Content-Security-Policy"]
    script = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert script.strip() == "script-src 'self'"


# ---------------------------------------------------------------- fuzz every route


PATHS = ["/", "/sparql", "/queries", "/queries/01-roles", "/queries/x.rq", "/editor", "/entities", "/resource",
         "/id/samantha", "/theme/x", "/essay/her-2023/essay", "/graph/x", "/ontology", "/graph.html", "/files",
         "/files/essay-kg.nq", "/static/app.css", "/static/yasgui/yasgui.min.js", "/favicon.ico", "/nothing"]
PATH_NOISE = st.lists(st.sampled_from(list("abc/.%0123456789ABCDEFff?=&#;+ ~\\") + ["%00", "%ff", "..", "%2e%2e",
                                                                                  "%zz", "%c3%28", "\u00e9"]),
                      max_size=20).map("".join)
HEADER_VALUE = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
CAMPAIGN = {"requests": 0, "dropped": 0, "5xx": 0}


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "OPTIONS", "DELETE", "TRACE", "PATCH"]),
       base=st.sampled_from(PATHS), noise=PATH_NOISE,
       query=st.dictionaries(st.sampled_from(["query", "format", "iri", "default-graph-uri", "named-graph-uri",
                                              "update", "x"]), st.text(max_size=40), max_size=3),
       headers=st.dictionaries(st.sampled_from(["Accept", "Content-Type", "Origin", "Sec-Fetch-Site", "X-Any",
                                                "Accept-Encoding", "Range", "If-None-Match", "Cookie"]),
                               HEADER_VALUE, max_size=4),
       body=st.one_of(st.none(), st.binary(max_size=200), st.text(max_size=200).map(str.encode)))
def test_fuzz_every_route(fuzz_server, listener_module, method, base, noise, query, headers, body):
    path = urllib.parse.quote(base + noise, safe="/%?=&;+~#") if noise else base
    if query:
        path += ("&" if "?" in path else "?") + urllib.parse.urlencode(query)
    CAMPAIGN["requests"] += 1
    conn = http.client.HTTPConnection("127.0.0.1", fuzz_server.server_address[1], timeout=20)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
    except (http.client.RemoteDisconnected, ConnectionResetError, http.client.BadStatusLine) as err:
        CAMPAIGN["dropped"] += 1
        raise AssertionError(f"{method} {path} {headers}: connection dropped ({err})") from None
    finally:
        conn.close()
    if response.status >= 500:
        CAMPAIGN["5xx"] += 1
    assert response.status < 500 or response.status == 503, (method, path, headers, response.status)
    assert listener_module.connections == 0


@pytest.fixture(scope="module")
def listener_module():
    outside = Listener()
    yield outside
    outside.close()


@pytest.fixture(scope="module")
def fuzz_server(data):
    srv = serve.make_server(data, port=0, timeout=2.0, workers=2, max_rows=100, max_body=8192)
    srv.start()
    yield srv
    srv.stop()


def _rss() -> int:
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def test_after_the_campaign_memory_is_back(fuzz_server):
    """Runs after the fuzz campaign (file order): the server's memory (this process) within 10% of a
    second campaign's start, and the counts of the first."""
    import gc

    assert CAMPAIGN["requests"] >= 400 and CAMPAIGN["dropped"] == 0 and CAMPAIGN["5xx"] == 0, CAMPAIGN
    gc.collect()
    start = _rss()
    for i in range(300):
        request(fuzz_server, "GET", f"/sparql?query=SELECT%20%3Fs%20WHERE%7B%3Fs%20%3Fp%20%3Fo%7DLIMIT%20{i}")
        request(fuzz_server, "GET", "/id/samantha", headers={"X-Pad": "a" * 4000})
    gc.collect()
    end = _rss()
    print(f"\nroute fuzz: {CAMPAIGN}; memory {start / 2**20:.0f} MiB before 600 more requests, "
          f"{end / 2**20:.0f} MiB after")
    assert end <= start * 1.10


def test_workers_that_could_not_be_sandboxed_stop_the_pool(data, monkeypatch):
    real = worker._Worker.wait_ready

    def unsandboxed(self, timeout=60.0):
        real(self, timeout)
        self.sandbox = None  # as where unshare(2) is refused

    monkeypatch.setattr(worker._Worker, "wait_ready", unsandboxed)
    with pytest.raises(sparql.QueryError) as err:
        worker.QueryPool(data, workers=1, require_sandbox=True)
    assert "could not be cut off from the network" in err.value.message
    with worker.QueryPool(data, workers=1) as pool:  # the query command's pool: allowed, and it says so
        assert pool.sandbox is None


def test_a_replacement_worker_is_never_weaker(data, monkeypatch):
    with worker.QueryPool(data, workers=1, timeout=0.5, require_sandbox=True) as pool:
        real = worker._Worker.wait_ready

        def unsandboxed(self, timeout=60.0):
            real(self, timeout)
            self.sandbox = None

        monkeypatch.setattr(worker._Worker, "wait_ready", unsandboxed)
        with pytest.raises(sparql.QueryTimeout):
            pool.run(RUNAWAY)  # its worker is killed and a replacement started
        time.sleep(3)
        assert pool._idle.qsize() == 0 and len(pool._all) == 0  # the weaker replacement was not taken
