"""Helpers shared by the SPARQL, server, publish and browser tests (not a test module)."""
from __future__ import annotations

import contextlib
import http.client
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pyoxigraph as ox

from essaykg import config

FIXTURE_TRIG = Path(__file__).parent / "fixtures" / "sparql" / "data.trig"

# The runaway query of the issue: a four-way cross product of all triples (10^13 rows on ~2k triples).
RUNAWAY = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"
# The number of saved questions in queries/: asserted, so a collector that drops some is noticed.
SAVED_QUESTIONS = 22


def make_fixture_data(out_dir: Path) -> Path:
    """Write the small fixture dataset as a build would: essay-kg.nq and ontology.ttl."""
    out_dir.mkdir(parents=True, exist_ok=True)
    quads = ox.parse(path=str(FIXTURE_TRIG), format=ox.RdfFormat.TRIG)
    ox.serialize(quads, str(out_dir / "essay-kg.nq"), format=ox.RdfFormat.N_QUADS)
    shutil.copy(config.ONTOLOGY_DIR / "ontology.ttl", out_dir / "ontology.ttl")
    return out_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StubServer:
    """An HTTP server on 127.0.0.1 that counts the requests it gets: the 'outside world' of the tests."""

    def __init__(self):
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                stub.requests.append(f"{self.command} {self.path}")
                body = b"<http://x/s> <http://x/p> <http://x/o> .\n"
                self.send_response(200)
                self.send_header("Content-Type", "application/n-triples")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def oxigraph_server(location: Path):
    """The real Oxigraph server (PyPI `oxigraph`) on a free loopback port; yields its base URL."""
    exe = shutil.which("oxigraph")
    if exe is None:
        raise RuntimeError("the `oxigraph` command is missing: pip install -r requirements-test.txt")
    port = free_port()
    proc = subprocess.Popen([exe, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "/query?query=ASK%7B%7D", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"oxigraph serve did not start: {proc.stderr.read().decode()[:500]}")
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def request(server, method, path, body=None, headers=None):
    """(status, headers, body) of one request to a running essaykg server, errors included."""
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()
