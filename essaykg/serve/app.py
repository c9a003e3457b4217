"""The web app: Starlette routes over the built files, the query pool and the pages.

Every bad input gets a 4xx with a one-line message (plain text, or an HTML page for a browser), from
one error handler; nothing drops a connection. Queries never run in this process: the pool's
workers screen, parse, run and serialise them (essaykg.query.worker). Answers are cached by query, format
and dataset, since the data cannot change while the server runs.
"""

from __future__ import annotations

import asyncio
import functools
import json
import mimetypes
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qsl

import pyoxigraph as ox
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from essaykg import config, namespaces
from essaykg.query import sparql, worker

from . import negotiate, pages

STATIC_DIR = Path(__file__).resolve().parent / "static"
YASGUI_DIR = config.ROOT / "node_modules" / "@zazuko" / "yasgui" / "build"
YASGUI_FILES = {"yasgui.min.js", "yasgui.min.css", "yasgui.min.js.map"}
BUILT_VIEWS = {"index.html", "graph.html", "themes.html"}
ESSAY_VIEWS = {"graph.html", "argument.html", "reader.html", "argument.argdown"}  # in essays/<slug>/
BODY_SECONDS = 10.0  # a request body must arrive within this
CACHE_BYTES = 64 * 1024**2  # answers kept for repeated queries
CACHE_ENTRY = 2 * 1024**2  # larger answers are not kept
# An HTML page repeats each value several times (text, link, title): pages show less than the
# machine formats, and are rendered two at a time.
PAGE_ROWS = 1000
PAGE_BYTES = 1024**2
PAGE_RENDERS = 2
CHARSETS = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "utf-16"}
# RDF files get their media type from pyoxigraph; these few are neither RDF nor in mimetypes' table
EXTRA_TYPES = {".rq": "application/sparql-query", ".map": "application/json", ".argdown": "text/plain"}


class Failure(Exception):
    """A request that cannot be answered: status and a one-line message."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


class AnswerCache:
    """Serialised answers by (query, formats, dataset), least recently used out, bounded in bytes."""

    def __init__(self, budget: int = CACHE_BYTES):
        self.budget, self.used = budget, 0
        self.items: OrderedDict[tuple, worker.Answer] = OrderedDict()

    def get(self, key):
        answer = self.items.get(key)
        if answer is not None:
            self.items.move_to_end(key)
        return answer

    def put(self, key, answer: worker.Answer) -> None:
        size = len(answer.body) + len(key[0])
        if size > CACHE_ENTRY or key in self.items:
            return
        self.items[key] = answer
        self.used += size
        while self.used > self.budget:
            old_key, old = self.items.popitem(last=False)
            self.used -= len(old.body) + len(old_key[0])


class State:
    """What the handlers share: the data, the worker pool, the saved queries, the settings."""

    def __init__(
        self,
        data_dir: Path,
        timeout: float,
        workers: int,
        max_rows: int,
        max_body: int,
        queries_dir: Path = sparql.QUERIES_DIR,
        yasgui_dir: Path = YASGUI_DIR,
        sandboxed: bool = True,
    ):
        self.data_dir = Path(data_dir)
        self.store = sparql.load_store(self.data_dir)  # for the pages' own fixed queries
        self.graphs = sparql.graph_names(self.store)
        self.labels = pages.Labels.of(self.store)
        self.saved = sparql.saved_queries(queries_dir)
        self.max_body, self.yasgui_dir = max_body, yasgui_dir
        self.pool = worker.QueryPool(
            self.data_dir, workers=workers, timeout=timeout, max_rows=max_rows, require_sandbox=sandboxed
        )
        self.cache = AnswerCache()
        self.renders = asyncio.Semaphore(PAGE_RENDERS)
        self._docs: bytes | None = None

    def summary(self) -> dict:
        try:
            data = json.loads((self.data_dir / "summary.json").read_text(encoding="utf-8"))
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
        if self._docs is None:
            from essaykg.view import ontology_docs as docs

            self._docs = docs.ontology_docs(self.data_dir / sparql.ONTOLOGY_FILE)[docs.DOCS_FILE]
        return self._docs

    def essays(self) -> list[tuple[str, str, list[str]]]:
        """(slug, title, its built pages) of each essay the summary lists, its pages in essays/<slug>/."""
        try:
            listed = json.loads((self.data_dir / "summary.json").read_text(encoding="utf-8"))["essays"]
        except (OSError, ValueError, KeyError, TypeError):
            return []
        found = []
        for slug, essay in sorted(listed.items()) if isinstance(listed, dict) else []:
            if isinstance(slug, str) and namespaces.SLUG.fullmatch(slug) and isinstance(essay, dict):
                built = [n for n in sorted(ESSAY_VIEWS) if (self.data_dir / "essays" / slug / n).is_file()]
                found.append((slug, str(essay.get("title", slug)), built))
        return found

    def files(self) -> list[str]:
        return sorted(p.name for p in self.data_dir.iterdir() if p.is_file() and not p.name.startswith("."))

    async def run(
        self,
        text: str,
        results_format: str | None,
        graph_format: str | None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        for_page: bool = False,
        request: Request | None = None,
    ) -> worker.Answer:
        """The answer, from the cache or a worker; ``for_page``: within the smaller caps of a page."""
        key = (
            text,
            results_format,
            graph_format,
            tuple(default_graphs or ()),
            tuple(named_graphs or ()),
            default_graphs is None,
            named_graphs is None,
            for_page,
        )
        answer = self.cache.get(key)
        if answer is None:
            if request is not None and await request.is_disconnected():
                raise Failure(400, "the client went away before its query ran")
            try:
                answer = await run_in_threadpool(
                    functools.partial(
                        self.pool.run,
                        text,
                        results_format=results_format,
                        graph_format=graph_format,
                        default_graphs=default_graphs,
                        named_graphs=named_graphs,
                        max_rows=PAGE_ROWS if for_page else None,
                        max_bytes=PAGE_BYTES if for_page else None,
                    )
                )
            except sparql.QueryError as err:
                raise Failure(err.status, err.message) from None
            self.cache.put(key, answer)
        return answer

    def close(self) -> None:
        self.pool.close()


# ---------------------------------------------------------------- request helpers


def state(request: Request) -> State:
    return request.app.state.kg


def accept(request: Request, offers) -> str:
    """The format for this request's Accept header among ``offers``; 406 when none fits."""
    try:
        fmt = negotiate.choose(request.headers.get("accept"), offers)
    except negotiate.BadAccept as err:
        raise Failure(400, str(err)) from None
    if fmt is None:
        kinds = ", ".join(dict.fromkeys(m for m, _ in offers))
        raise Failure(406, f"nothing here fits the Accept header; this address answers {kinds}")
    return fmt


def query_params(raw: bytes, what: str = "query string") -> dict[str, list[str]]:
    """Form-encoded parameters; 400 unless they decode as UTF-8."""
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise Failure(400, f"the {what} is not UTF-8 once its %-escapes are undone") from None
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, at most ``limit`` bytes (413), arriving within BODY_SECONDS (408)."""
    length = request.headers.get("content-length")
    if length is None:
        raise Failure(411, "a POST needs a Content-Length")
    if int(length) > limit:  # llhttp has checked that it is a number
        raise Failure(413, f"the request body is {length} bytes; the limit is {limit}")
    try:
        return await asyncio.wait_for(request.body(), BODY_SECONDS)
    except TimeoutError:
        raise Failure(408, f"the request body did not arrive within {BODY_SECONDS:g} s") from None


def decode(body: bytes, content_type: str) -> str:
    charset = "utf-8"
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset":
            charset = value.strip('"').lower()
    if charset not in CHARSETS:
        raise Failure(415, f"charset {charset!r} is not accepted; send UTF-8")
    try:
        return body.decode(charset)
    except UnicodeError:
        raise Failure(400, f"the request body is not {charset}") from None


def html(body: bytes, status: int = 200, headers: dict | None = None) -> Response:
    return Response(body, status, headers, media_type="text/html; charset=utf-8")


# ---------------------------------------------------------------- handlers


async def sparql_endpoint(request: Request) -> Response:
    kg = state(request)
    params = query_params(request.scope["query_string"])
    if request.method == "POST":
        if "transfer-encoding" in request.headers:
            raise Failure(411, "send a Content-Length (chunked bodies are not accepted)")
        ctype = request.headers.get("content-type", "")
        media = ctype.split(";")[0].strip().lower()
        if media not in {"application/x-www-form-urlencoded", "application/sparql-query", "application/sparql-update"}:
            raise Failure(415, "POST a query as application/sparql-query or application/x-www-form-urlencoded")
        body = await read_body(request, kg.max_body)
        if media == "application/sparql-update" or "update" in params:
            raise Failure(400, "SPARQL Update is refused: this endpoint is read-only")
        if media == "application/x-www-form-urlencoded":
            if ";" in ctype and "charset" in ctype.lower() and "utf-8" not in ctype.lower():
                raise Failure(415, "a form body must be UTF-8 (the HTML and URL standards say so)")
            for key, values in query_params(body, "form body").items():
                params.setdefault(key, []).extend(values)
        else:
            params["query"] = [*params.get("query", []), decode(body, ctype)]
    if "update" in params:
        raise Failure(400, "SPARQL Update is refused: this endpoint is read-only")
    queries = params.get("query", [])
    if len(queries) != 1:
        if not queries and "text/html" in request.headers.get("accept", ""):
            return RedirectResponse("/editor", 303)
        raise Failure(400, "give exactly one query parameter (the SPARQL 1.1 Protocol)")
    text = queries[0]
    if len(text.encode("utf-8", "surrogatepass")) > sparql.MAX_QUERY_BYTES:
        raise Failure(413, f"the query is longer than {sparql.MAX_QUERY_BYTES} bytes")
    default_graphs = params.get("default-graph-uri") or None
    named_graphs = params.get("named-graph-uri") or None
    try:
        sparql.check_graph_iris(default_graphs or [], kg.graphs, "default-graph-uri")
        sparql.check_graph_iris(named_graphs or [], kg.graphs, "named-graph-uri")
    except sparql.QueryError as err:
        raise Failure(err.status, err.message) from None
    fmt = negotiate.format_param(params)
    if fmt:
        if fmt not in {*sparql.RESULT_FORMATS, *sparql.GRAPH_FORMATS, "html"}:
            raise Failure(
                400, f"format={fmt}: use one of html, {', '.join(sparql.RESULT_FORMATS + sparql.GRAPH_FORMATS)}"
            )
        results_format = fmt if fmt in sparql.RESULT_FORMATS or fmt == "html" else None
        graph_format = fmt if fmt in sparql.GRAPH_FORMATS or fmt == "html" else None
    else:
        try:
            results_format = negotiate.choose(request.headers.get("accept"), negotiate.RESULT_OFFERS)
            graph_format = negotiate.choose(request.headers.get("accept"), negotiate.GRAPH_OFFERS)
        except negotiate.BadAccept as err:
            raise Failure(400, str(err)) from None
    as_page = "html" in {results_format, graph_format}
    try:
        answer = await kg.run(
            text,
            "json" if results_format == "html" else results_format,
            "ntriples" if graph_format == "html" else graph_format,
            default_graphs,
            named_graphs,
            for_page=as_page,
            request=request,
        )
    except Failure as failure:
        if failure.status == 406 and fmt:  # asked for by name, not negotiated: the request is wrong
            raise Failure(400, f"format={fmt} does not fit this query's answer; {failure.message}") from None
        failure.headers.setdefault("Vary", "Accept")
        raise
    headers = {"X-Query-Seconds": f"{answer.seconds:.4f}", "Vary": "Accept"}
    if answer.truncated:
        headers["X-Results-Truncated"] = f"cut at {kg.pool.max_rows} rows or about {kg.pool.max_bytes} bytes of values"
    page_format = graph_format if answer.form in {"CONSTRUCT", "DESCRIBE"} else results_format
    if page_format == "html":
        async with kg.renders:
            body = await run_in_threadpool(pages.results_page, text, answer.result(), kg.labels)
        return html(body, headers=headers)
    return Response(answer.body, 200, headers, media_type=answer.media_type)


async def home(request: Request) -> Response:
    kg = state(request)
    accept(request, negotiate.PAGE_OFFERS)
    views = [(name, what) for name, what in pages.VIEWS if (kg.data_dir / name).is_file()]
    return html(pages.home(kg.summary(), kg.saved, views, kg.essays()))


async def saved_list(request: Request) -> Response:
    accept(request, negotiate.PAGE_OFFERS)
    return html(pages.saved_list(state(request).saved))


async def saved_query(request: Request) -> Response:
    kg = state(request)
    name = request.path_params["name"]
    raw = name.endswith(".rq")
    name = name[:-3] if raw else name
    saved = next((q for q in kg.saved if q.name == name), None)
    if saved is None:
        raise Failure(404, f"no saved question named {name}")
    if raw:
        return Response(saved.text, media_type="application/sparql-query; charset=utf-8")
    accept(request, negotiate.PAGE_OFFERS)
    result, error = None, None
    try:
        result = (await kg.run(saved.text, "json", "ntriples", for_page=True, request=request)).result()
    except Failure as failure:
        error = failure.message
    return html(pages.saved_page(saved, result, error, kg.labels))


async def editor(request: Request) -> Response:
    kg = state(request)
    accept(request, negotiate.PAGE_OFFERS)
    return html(pages.editor_page(kg.saved, (kg.yasgui_dir / "yasgui.min.js").is_file()))


async def entities(request: Request) -> Response:
    accept(request, negotiate.PAGE_OFFERS)
    return html(pages.entities_page(state(request).labels))


async def resource(request: Request) -> Response:
    iris = query_params(request.scope["query_string"]).get("iri") or [""]
    if not iris[0]:
        raise Failure(400, "give the entity's IRI: /resource?iri=...")
    return entity(request, iris[0])


async def short_address(request: Request) -> Response:
    try:
        iri = pages.iri_of_path(request.scope["raw_path"])
    except pages.BadIRI as err:
        raise Failure(400, str(err)) from None
    if iri is None:  # pragma: no cover - the routes send only these roots here
        raise Failure(404, f"nothing at {request.url.path}")
    return entity(request, iri)


def entity(request: Request, iri: str) -> Response:
    kg = state(request)
    try:
        pages.checked_iri(iri)
    except pages.BadIRI as err:
        raise Failure(400, str(err)) from None
    fmt = negotiate.format_param(query_params(request.scope["query_string"])) or accept(
        request, negotiate.ENTITY_OFFERS
    )
    vary = {"Vary": "Accept"}
    if fmt == "html":
        body = pages.entity_page(kg.store, iri, kg.labels)
        if body is None:
            raise Failure(404, f"the graph says nothing about <{iri}>")
        return html(body, headers=vary)
    if fmt not in sparql.GRAPH_FORMATS:
        raise Failure(400, f"format={fmt}: use html, {', '.join(sparql.GRAPH_FORMATS)}")
    triples = pages.entity_graph(kg.store, iri)
    if not triples:
        raise Failure(404, f"the graph says nothing about <{iri}>")
    result = sparql.Result(
        form="CONSTRUCT",
        triples=[
            (sparql.term_from_ox(tr.subject), sparql.term_from_ox(tr.predicate), sparql.term_from_ox(tr.object))
            for tr in triples
        ],
    )
    return Response(sparql.to_graph(result, fmt), headers=vary, media_type=sparql.media_type(fmt))


async def ontology(request: Request) -> Response:
    accept(request, negotiate.PAGE_OFFERS)
    return html(await run_in_threadpool(state(request).docs))


async def built_view(request: Request) -> Response:
    return data_file(request, request.url.path.lstrip("/"))


async def files(request: Request) -> Response:
    accept(request, negotiate.PAGE_OFFERS)
    return html(pages.files_page(state(request).files()))


async def essay_view(request: Request) -> Response:
    """An essay's page, essays/<slug>/<name>: the slug must be one the build listed, the name one of
    ESSAY_VIEWS; the path is made from those two checked parts, nothing else of the request."""
    slug, name = request.path_params["slug"], request.path_params["name"]
    essays = {found: built for found, _title, built in state(request).essays()}
    if slug not in essays or name not in essays[slug]:
        raise Failure(
            404,
            f"no built page essays/{slug[:100]}/{name[:100]}"
            + (f" (run `{config.COMMAND}`)" if name in ESSAY_VIEWS else ""),
        )
    return file_response(state(request).data_dir / "essays" / slug / name)


async def built_file(request: Request) -> Response:
    return data_file(request, request.path_params["name"])


def data_file(request: Request, name: str) -> Response:
    kg = state(request)
    if name not in kg.files():
        raise Failure(
            404, f"no built file named {name}" + (f" (run `{config.COMMAND}`)" if name in BUILT_VIEWS else "")
        )
    return file_response(kg.data_dir / name)


async def yasgui(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in YASGUI_FILES or not (state(request).yasgui_dir / name).is_file():
        raise Failure(404, f"no static file yasgui/{name}")
    return file_response(state(request).yasgui_dir / name)


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if "\x00" in name or "\\" in name:
        raise Failure(404, f"no static file {name!r}")
    try:
        path = (STATIC_DIR / name).resolve()
        found = STATIC_DIR.resolve() in path.parents and path.is_file()
    except (OSError, ValueError):  # a name too long for the file system, say
        found = False
    if not found:
        raise Failure(404, f"no static file {name[:200]!r}")
    return file_response(path)


def file_response(path: Path) -> Response:
    rdf = ox.RdfFormat.from_extension(path.suffix[1:]) if path.suffix else None
    ctype = (
        rdf.media_type
        if rdf
        else EXTRA_TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    if ctype.startswith("text/") or ctype.endswith(("javascript", "json", "trig", "n-quads", "n-triples")):
        ctype += "; charset=utf-8"
    return FileResponse(path, media_type=ctype, headers={"Cache-Control": "max-age=300"})


async def favicon(request: Request) -> Response:
    return Response(b"", 204, media_type="image/x-icon")


# ---------------------------------------------------------------- errors


def error_response(request: Request, status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """The one shape of every error: HTML for a browser on a page, else one line of plain text."""
    headers = dict(headers or {})
    if (
        status >= 400
        and "text/html" in request.headers.get("accept", "")
        and not request.url.path.startswith("/sparql")
    ):
        return html(pages.error_page(status, message), status, headers)
    return Response(message + "\n", status, headers, media_type="text/plain; charset=utf-8")


async def on_failure(request: Request, exc: Exception) -> Response:
    if isinstance(exc, Failure):
        return error_response(request, exc.status, exc.message, exc.headers)
    if isinstance(exc, HTTPException):
        message = {404: f"nothing at {request.url.path!r}", 405: f"{request.method} is not allowed here"}.get(
            exc.status_code, exc.detail
        )
        return error_response(request, exc.status_code, message, exc.headers)
    if isinstance(exc, ClientDisconnect):
        return Response(b"", 400)
    return error_response(request, 500, f"the server failed on this request ({type(exc).__name__}); it goes on")


READ = ["GET", "HEAD"]
ROUTES = [
    Route("/", home, methods=READ),
    Route("/sparql", sparql_endpoint, methods=["GET", "HEAD", "POST"]),
    Route("/queries", saved_list, methods=READ),
    Route("/queries/{name}", saved_query, methods=READ),
    Route("/editor", editor, methods=READ),
    Route("/entities", entities, methods=READ),
    Route("/resource", resource, methods=READ),
    *[Route(f"/{root}{{rest:path}}", short_address, methods=READ) for root in pages.PAGE_ROOTS],
    Route("/ontology", ontology, methods=READ),
    Route("/ontology.html", ontology, methods=READ),
    *[Route(f"/{name}", built_view, methods=READ) for name in sorted(BUILT_VIEWS)],
    Route("/essays/{slug}/{name}", essay_view, methods=READ),
    Route("/files", files, methods=READ),
    Route("/files/{name}", built_file, methods=READ),
    Route("/static/yasgui/{name}", yasgui, methods=READ),
    Route("/static/{name:path}", static, methods=READ),
    Route("/favicon.ico", favicon, methods=READ),
]


def create_app(kg: State) -> Starlette:
    app = Starlette(
        routes=ROUTES, exception_handlers={Exception: on_failure, HTTPException: on_failure, Failure: on_failure}
    )
    app.state.kg = kg
    return app
