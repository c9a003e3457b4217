"""`python build.py serve`: a local, read-only web app over the built graph.

- ``/sparql``: the SPARQL 1.1 Protocol (https://www.w3.org/TR/sparql11-protocol/): GET and POST,
  URL-encoded and direct bodies; results as JSON, XML, CSV or TSV, graphs as Turtle, N-Triples or
  JSON-LD, by the Accept header or ``format=``; an HTML table for a browser.
- ``/editor`` (YASGUI, served from node_modules/, pre-loaded with the saved questions),
  ``/queries`` (the saved questions and their answers), ``/entities`` and a page per entity
  (``/id/samantha``, ``/resource?iri=...``; Turtle or JSON-LD by content negotiation),
  ``/graph.html`` and ``/themes.html`` (the graph view), ``/ontology`` (pyLODE), ``/files``.

Every query is screened (:func:`essaykg.sparql.screen`) and runs in a worker process with a time
limit (:class:`essaykg.sparql.QueryPool`); results are capped, large bodies get 413. The server is
the standard library's ThreadingHTTPServer and binds 127.0.0.1 unless told otherwise.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import mimetypes
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from . import config, pages, sparql

STATIC_DIR = Path(__file__).resolve().parent / "static"
YASGUI_DIR = config.ROOT / "node_modules" / "@zazuko" / "yasgui" / "build"
YASGUI_FILES = {"yasgui.min.js", "yasgui.min.css", "yasgui.min.js.map"}
DEFAULT_PORT = 8765
DEFAULT_MAX_BODY = sparql.MAX_QUERY_BYTES
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}

CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
       "base-uri 'none'; form-action 'self'")

# media type -> format name, for SELECT/ASK and for CONSTRUCT/DESCRIBE
RESULT_TYPES = {
    "application/sparql-results+json": "json", "application/json": "json",
    "application/sparql-results+xml": "xml", "application/xml": "xml", "text/xml": "xml",
    "text/csv": "csv", "text/tab-separated-values": "tsv", "text/plain": "table", "text/html": "html",
}
GRAPH_TYPES = {
    "text/turtle": "turtle", "application/x-turtle": "turtle", "application/n-triples": "ntriples",
    "text/plain": "ntriples", "application/ld+json": "jsonld", "application/json": "jsonld", "text/html": "html",
}
FORMAT_ALIASES = {"nt": "ntriples", "n-triples": "ntriples", "ttl": "turtle", "json-ld": "jsonld", "srj": "json",
                  "srx": "xml", "text": "table"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on (default: {DEFAULT_PORT}; 0 picks a free one)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="address to bind (default: 127.0.0.1; anything else exposes the server to others)")
    parser.add_argument("--data", type=Path, default=config.OUTPUT_DIR, metavar="DIR",
                        help="folder with the built artifacts (default: output/)")
    parser.add_argument("--timeout", type=float, default=sparql.DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time limit per query (default: {sparql.DEFAULT_TIMEOUT:g})")
    parser.add_argument("--workers", type=int, default=2,
                        help="worker processes running queries at the same time (default: 2)")
    parser.add_argument("--max-rows", type=int, default=sparql.DEFAULT_MAX_ROWS, metavar="N",
                        help=f"rows or triples returned at most (default: {sparql.DEFAULT_MAX_ROWS})")
    parser.add_argument("--max-body", type=int, default=DEFAULT_MAX_BODY, metavar="BYTES",
                        help=f"largest request body accepted; larger gets 413 (default: {DEFAULT_MAX_BODY})")


def negotiate(accept: str, table: dict[str, str], default: str) -> str:
    """The format for an Accept header: the highest-q media type we have (ties: header order)."""
    best, best_q = None, 0.0
    for index, part in enumerate(accept.split(",") if accept else []):
        pieces = [p.strip() for p in part.split(";")]
        media, q = pieces[0].lower(), 1.0
        for param in pieces[1:]:
            if param.startswith("q="):
                try:
                    q = float(param[2:])
                except ValueError:
                    q = 0.0
        candidate = table.get(media)
        if candidate is None and media in {"*/*", "application/*", "text/*"}:
            candidate = default
        if candidate and q > best_q:
            best, best_q = candidate, q
    return best or default


class App:
    """What the request handlers share: the data, the worker pool, the saved queries, the settings."""

    def __init__(self, data_dir: Path, timeout: float = sparql.DEFAULT_TIMEOUT, workers: int = 2,
                 max_rows: int = sparql.DEFAULT_MAX_ROWS, max_body: int = DEFAULT_MAX_BODY,
                 queries_dir: Path = sparql.QUERIES_DIR, yasgui_dir: Path = YASGUI_DIR):
        self.data_dir = Path(data_dir)
        self.store = sparql.load_store(self.data_dir)  # for the pages' own small queries
        self.graphs = sparql.graph_names(self.store)
        self.labels = pages.Labels.of(self.store)
        self.saved = sparql.saved_queries(queries_dir)
        self.timeout, self.max_rows, self.max_body = timeout, max_rows, max_body
        self.yasgui_dir = yasgui_dir
        sparql.screen("ASK {}")  # load rdflib's SPARQL parser now, not on the first request
        self.pool = sparql.QueryPool(self.data_dir, workers=workers, timeout=timeout, max_rows=max_rows)
        self._docs: bytes | None = None
        self._docs_lock = threading.Lock()

    def summary(self) -> dict:
        path = self.data_dir / "summary.json"
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
                flat = {k: v for k, v in data.items() if isinstance(v, (int, float, str))}
                if flat:
                    return flat
            except (OSError, ValueError):
                pass
        return {"quads": len(self.store), "named graphs": len(self.graphs), "entities": len(self.labels.kinds)}

    def docs(self) -> bytes:
        built = self.data_dir / "ontology.html"
        if built.is_file():
            return built.read_bytes()
        with self._docs_lock:
            if self._docs is None:
                from . import docs

                self._docs = docs.ontology_docs(self.data_dir / sparql.ONTOLOGY_FILE)[docs.DOCS_FILE]
            return self._docs

    def files(self) -> list[str]:
        return sorted(p.name for p in self.data_dir.iterdir() if p.is_file() and not p.name.startswith("."))

    def close(self) -> None:
        self.pool.close()


class Handler(BaseHTTPRequestHandler):
    server_version = "essay-kg"
    protocol_version = "HTTP/1.1"
    timeout = 30  # seconds a client may take to send its request
    # Headers and body are two writes; without TCP_NODELAY the second waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True

    @property
    def app(self) -> App:
        return self.server.app  # type: ignore[attr-defined]

    def log_message(self, fmt, *args):  # quieter than the default: one line per request, to stderr
        if not getattr(self.server, "quiet", False):
            sys.stderr.write(f"{self.address_string()} {fmt % args}\n")

    # ---------------------------------------------------------------- sending

    def send(self, status: int, body: bytes, content_type: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if content_type.startswith("text/html"):
            self.send_header("Content-Security-Policy", CSP)
        headers = dict(headers or {})
        if self.path.startswith(("/sparql", "/id/", "/resource")):
            headers.setdefault("Vary", "Accept")  # the same URL answers HTML, JSON, CSV, Turtle...: caches must key on Accept
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def fail(self, status: int, message: str, close: bool = False) -> None:
        headers = {"Connection": "close"} if close else {}
        if close:
            self.close_connection = True
        if "text/html" in self.headers.get("Accept", "") and not self.path.startswith("/sparql"):
            self.send(status, pages.error_page(status, message), "text/html; charset=utf-8", headers)
        else:
            self.send(status, (message + "\n").encode("utf-8"), "text/plain; charset=utf-8", headers)

    # ---------------------------------------------------------------- routing

    def _host_ok(self) -> bool:
        """Refuse other Host names on a loopback server: a guard against DNS rebinding."""
        bound = self.server.server_address[0]
        try:
            if not ipaddress.ip_address(bound).is_loopback:
                return True
        except ValueError:
            return True
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:].split("]")[0]
        return name.lower() in LOOPBACK_NAMES

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if not self._host_ok():
            return self.fail(403, "this server answers only to 127.0.0.1 and localhost")
        url = urlsplit(self.path)
        path = url.path
        params = parse_qs(url.query, keep_blank_values=True)
        try:
            if path == "/sparql":
                return self.sparql(params)
            if path == "/":
                return self.html(pages.home(self.app.summary(), self.app.saved, (self.app.data_dir / "graph.html").is_file()))
            if path == "/queries":
                return self.html(pages.saved_list(self.app.saved))
            if path.startswith("/queries/"):
                return self.saved_query(path[len("/queries/"):])
            if path == "/editor":
                return self.html(pages.editor_page(self.app.saved, (self.app.yasgui_dir / "yasgui.min.js").is_file()))
            if path == "/entities":
                return self.html(pages.entities_page(self.app.labels))
            if path == "/resource":
                iri = (params.get("iri") or [""])[0]
                return self.entity(iri, params)
            iri = pages.iri_of_path(path)
            if iri:
                return self.entity(iri, params)
            if path in {"/ontology", "/ontology.html"}:
                return self.html(self.app.docs())
            if path in {"/graph.html", "/themes.html"}:
                return self.data_file(path[1:])
            if path == "/files":
                return self.html(pages.files_page(self.app.files()))
            if path.startswith("/files/"):
                return self.data_file(path[len("/files/"):])
            if path.startswith("/static/yasgui/"):
                name = path[len("/static/yasgui/"):]
                if name in YASGUI_FILES:
                    return self.file(self.app.yasgui_dir / name)
            elif path.startswith("/static/"):
                return self.static(path[len("/static/"):])
            if path == "/favicon.ico":
                return self.send(204, b"", "image/x-icon")
            return self.fail(404, f"nothing at {path}")
        except BrokenPipeError:
            pass

    def do_POST(self):
        if not self._host_ok():
            return self.fail(403, "this server answers only to 127.0.0.1 and localhost")
        url = urlsplit(self.path)
        if url.path != "/sparql":
            return self.fail(405, "only /sparql takes POST", close=True)
        if self.headers.get("Transfer-Encoding"):
            return self.fail(411, "send a Content-Length (chunked bodies are not accepted)", close=True)
        try:
            length = int(self.headers.get("Content-Length", ""))
        except ValueError:
            return self.fail(411, "a POST needs a Content-Length", close=True)
        if length > self.app.max_body or length < 0:
            return self.fail(413, f"the request body is {length} bytes; the limit is {self.app.max_body}",
                             close=True)
        body = self.rfile.read(length)
        ctype = self.headers.get("Content-Type", "").split(";")[0].strip().lower()
        params = parse_qs(url.query, keep_blank_values=True)
        if ctype == "application/x-www-form-urlencoded":
            for key, values in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items():
                params.setdefault(key, []).extend(values)
        elif ctype == "application/sparql-query":
            params["query"] = [body.decode("utf-8", "replace")]
        elif ctype == "application/sparql-update":
            return self.fail(400, "SPARQL Update is refused: this endpoint is read-only")
        else:
            return self.fail(415, "POST a query as application/sparql-query or application/x-www-form-urlencoded")
        try:
            self.sparql(params)
        except BrokenPipeError:
            pass

    # ---------------------------------------------------------------- handlers

    def html(self, body: bytes, status: int = 200) -> None:
        self.send(status, body, "text/html; charset=utf-8")

    def sparql(self, params: dict[str, list[str]]) -> None:
        if "update" in params:
            return self.fail(400, "SPARQL Update is refused: this endpoint is read-only")
        queries = params.get("query", [])
        if len(queries) != 1:
            if not queries and "text/html" in self.headers.get("Accept", ""):
                return self.redirect("/editor")
            return self.fail(400, "give exactly one query parameter (the SPARQL 1.1 Protocol)")
        text = queries[0]
        default_graphs = params.get("default-graph-uri") or None
        named_graphs = params.get("named-graph-uri") or None
        try:
            screened = sparql.screen(text, self.app.graphs)
            sparql.check_graph_iris(default_graphs or [], self.app.graphs, "default-graph-uri")
            sparql.check_graph_iris(named_graphs or [], self.app.graphs, "named-graph-uri")
        except sparql.QueryError as err:
            return self.fail(err.status, err.message)
        graph_form = screened.form in {"CONSTRUCT", "DESCRIBE"}
        table = GRAPH_TYPES if graph_form else RESULT_TYPES
        fmt = (params.get("format") or [""])[0].lower()
        fmt = FORMAT_ALIASES.get(fmt, fmt)
        if fmt:
            if fmt not in set(table.values()):
                return self.fail(400, f"format={fmt} does not fit a {screened.form} query; use one of "
                                      f"{', '.join(sorted(set(table.values())))}")
        else:
            fmt = negotiate(self.headers.get("Accept", ""), table, "turtle" if graph_form else "json")
        try:
            result = self.app.pool.run(screened, default_graphs=default_graphs, named_graphs=named_graphs)
        except sparql.QueryError as err:
            return self.fail(err.status, err.message)
        headers = {"X-Query-Seconds": f"{result.seconds:.4f}"}
        if result.truncated:
            headers["X-Results-Truncated"] = f"cut at {self.app.max_rows}"
        if fmt == "html":
            return self.send(200, pages.results_page(text, result, self.app.labels), "text/html; charset=utf-8",
                             headers)
        media = {**{k: v[0] for k, v in sparql.RESULT_FORMATS.items()},
                 **{k: v[0] for k, v in sparql.GRAPH_FORMATS.items()}}[fmt]
        charset = "" if media.endswith("json") and not media.startswith("application/sparql") else "; charset=utf-8"
        self.send(200, sparql.serialize(result, fmt), media + charset, headers)

    def redirect(self, location: str) -> None:
        self.send(303, b"", "text/plain", {"Location": location})

    def saved_query(self, name: str) -> None:
        raw = name.endswith(".rq")
        name = name[:-3] if raw else name
        saved = next((q for q in self.app.saved if q.name == name), None)
        if saved is None:
            return self.fail(404, f"no saved question named {name}")
        if raw:
            return self.send(200, saved.text.encode("utf-8"), "application/sparql-query; charset=utf-8")
        result, error = None, None
        try:
            result = self.app.pool.run(sparql.screen(saved.text, self.app.graphs))
        except sparql.QueryError as err:
            error = err.message
        self.html(pages.saved_page(saved, result, error, self.app.labels))

    def entity(self, iri: str, params: dict[str, list[str]]) -> None:
        if not iri:
            return self.fail(400, "give the entity's IRI: /resource?iri=...")
        fmt = (params.get("format") or [""])[0].lower()
        fmt = FORMAT_ALIASES.get(fmt, fmt) or negotiate(self.headers.get("Accept", ""), GRAPH_TYPES, "html")
        if fmt == "html":
            body = pages.entity_page(self.app.store, iri, self.app.labels)
            if body is None:
                return self.fail(404, f"the graph says nothing about <{iri}>")
            return self.html(body, 200)
        if fmt not in sparql.GRAPH_FORMATS:
            return self.fail(400, f"format={fmt}: use html, turtle, ntriples or jsonld")
        triples = pages.entity_graph(self.app.store, iri)
        if not triples:
            return self.fail(404, f"the graph says nothing about <{iri}>")
        result = sparql.Result(form="CONSTRUCT", triples=[tuple(sparql.term_from_ox(t) for t in (
            tr.subject, tr.predicate, tr.object)) for tr in triples])
        self.send(200, sparql.to_graph(result, fmt), sparql.GRAPH_FORMATS[fmt][0] + "; charset=utf-8",
                  {"Vary": "Accept"})

    def data_file(self, name: str) -> None:
        if "/" in name or name.startswith(".") or name not in self.app.files():
            return self.fail(404, f"no built file named {name}" + (" (run `python build.py`)" if name.endswith(
                ".html") else ""))
        return self.file(self.app.data_dir / name)

    def static(self, name: str) -> None:
        path = (STATIC_DIR / name).resolve()
        if STATIC_DIR.resolve() not in path.parents or not path.is_file():
            return self.fail(404, f"no static file {name}")
        return self.file(path)

    def file(self, path: Path) -> None:
        if not path.is_file():
            return self.fail(404, f"no file {path.name}")
        ctype = {".nq": "application/n-quads", ".nt": "application/n-triples", ".ttl": "text/turtle",
                 ".trig": "application/trig", ".jsonld": "application/ld+json", ".rq": "application/sparql-query",
                 ".map": "application/json"}.get(path.suffix) or mimetypes.guess_type(path.name)[0] or \
            "application/octet-stream"
        if ctype.startswith("text/") or ctype.endswith(("javascript", "json", "trig", "n-quads", "n-triples")):
            ctype += "; charset=utf-8"
        self.send(200, path.read_bytes(), ctype, {"Cache-Control": "max-age=300"})


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, app: App, host: str = "127.0.0.1", port: int = DEFAULT_PORT, quiet: bool = False):
        self.app, self.quiet = app, quiet
        super().__init__((host, port), Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    def start(self) -> threading.Thread:
        """Serve in a background thread (for tests); stop with :meth:`stop`."""
        thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        self.app.close()


def make_server(data_dir: Path, host: str = "127.0.0.1", port: int = 0, quiet: bool = True, **settings) -> Server:
    """An App over ``data_dir`` behind a Server; ``port=0`` picks a free port."""
    app = App(data_dir, **settings)
    try:
        return Server(app, host, port, quiet=quiet)
    except OSError:
        app.close()
        raise


def run(args: argparse.Namespace) -> int:
    try:
        server = make_server(args.data, args.host, args.port, quiet=False, timeout=args.timeout,
                             workers=args.workers, max_rows=args.max_rows, max_body=args.max_body)
    except sparql.DataMissing as err:
        print(f"error: {err.message}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"error: cannot listen on {args.host}:{args.port}: {err.strerror}", file=sys.stderr)
        return 3
    try:
        if not ipaddress.ip_address(server.server_address[0]).is_loopback:
            print(f"warning: listening on {args.host}: other machines can reach this server", file=sys.stderr)
    except ValueError:
        pass
    print(f"Serving the essay's graph on {server.url}/ (SPARQL at {server.url}/sparql); Ctrl-C stops it.",
          flush=True)
    started = time.monotonic()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print(f"\nstopped after {time.monotonic() - started:.0f} s", file=sys.stderr)
    finally:
        server.server_close()
        server.app.close()
    return 0

