"""Helpers shared by the SPARQL, server, publish and browser tests (not a test module)."""
from __future__ import annotations

import contextlib
import http.client
import re
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
from _golden import SAVED_QUESTIONS  # noqa: F401  (the count lives in _golden.py; re-exported here)


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
        raise RuntimeError("the `oxigraph` command is missing: pip install -r requirements-test.lock")
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


VIRTUOSO_INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")  # Debian's virtuoso-opensource
VIRTUOSO_USER = ("dba", "dba")  # the administrator of a fresh Virtuoso database


def virtuoso_ini(template: str, folder: Path, sql_port: int, http_port: int) -> str:
    """Debian's virtuoso.ini with the database files in ``folder`` and both servers on 127.0.0.1 only."""
    out, section = [], ""
    for line in template.splitlines():
        if header := re.match(r"\s*\[([^\]]+)\]", line):
            section = header.group(1)
        elif setting := re.match(r"\s*(\w+)\s*=\s*(.*)", line):
            key, value = setting.groups()
            if section in ("Database", "TempDatabase") and key in (
                    "DatabaseFile", "ErrorLogFile", "LockFile", "TransactionFile", "xa_persistent_file"):
                line = f"{key} = {folder / Path(value.strip()).name}"
            elif section == "Parameters" and key == "ServerPort":
                line = f"ServerPort = 127.0.0.1:{sql_port}"
            elif section == "HTTPServer" and key == "ServerPort":
                line = f"ServerPort = 127.0.0.1:{http_port}"
            elif section == "URIQA" and key == "DefaultHost":
                line = f"DefaultHost = 127.0.0.1:{http_port}"
        out.append(line)
    return "\n".join(out) + "\n"


@contextlib.contextmanager
def virtuoso_server(folder: Path):
    """Virtuoso open source (Debian's `virtuoso-t`) with a new database in ``folder``, on free loopback
    ports; yields its HTTP base URL. The server is stopped and the folder deleted afterwards."""
    exe = shutil.which("virtuoso-t")
    if exe is None:
        raise RuntimeError("the `virtuoso-t` command is missing: apt-get install virtuoso-opensource")
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(virtuoso_ini(VIRTUOSO_INI.read_text(encoding="utf-8"), folder, sql_port, http_port),
                   encoding="utf-8")
    proc = subprocess.Popen([exe, "+foreground", "+configfile", str(ini)], cwd=folder,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{http_port}"
    try:
        deadline = time.monotonic() + 180  # a new database takes 7 s alone, 40 s on a busy 2-core machine
        while True:  # online once it answers a query (its HTTP port opens a little before)
            try:
                with urllib.request.urlopen(url + "/sparql?query=ASK%7B%7D", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log = folder / "virtuoso.log"
                raise RuntimeError("virtuoso-t did not start: "
                                   + (log.read_text(errors="replace")[-800:] if log.exists() else "no log"))
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


def request(server, method, path, body=None, headers=None):
    """(status, headers, body) of one request to a running essaykg server, errors included."""
    conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()
