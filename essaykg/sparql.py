"""SPARQL for the CLI and the server: screening, execution in killable workers, result formats.

Every query is parsed and screened before any engine sees it (:func:`screen`): updates, ``LOAD``,
``SERVICE`` and ``FROM``/``FROM NAMED`` naming a graph outside the dataset are refused, because
pyoxigraph follows ``SERVICE`` and ``LOAD`` with real HTTP requests and rdflib downloads ``FROM``
IRIs (see shared/NOTES.md). Screened queries run in worker processes (:class:`QueryPool`) that are
killed when a query passes its time limit: pyoxigraph's Python API has no timeout
(https://github.com/oxigraph/oxigraph/issues/1926).

Results travel as :class:`Result`, whose terms are dicts in the shape of the SPARQL 1.1 Query
Results JSON format (https://www.w3.org/TR/sparql11-results-json/), and are written as JSON, XML,
CSV, TSV, a text table, or for graphs Turtle, N-Triples and JSON-LD.

>>> screen("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s").form
'SELECT'
>>> screen("DROP ALL")
Traceback (most recent call last):
essaykg.sparql.QueryRefused: SPARQL Update (DROP) is refused: this endpoint is read-only
"""
from __future__ import annotations

import csv
import functools
import io
import itertools
import json
import os
import pickle
import queue
import select
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from . import config

QUERIES_DIR = config.ROOT / "queries"
DATA_FILE = "essay-kg.nq"
ONTOLOGY_FILE = "ontology.ttl"
ONTOLOGY_GRAPH = config.BASE + "graph/ontology"  # as essaykg.load.ONTOLOGY_GRAPH

DEFAULT_TIMEOUT = 5.0  # seconds per query
DEFAULT_MAX_ROWS = 10_000  # rows (or triples) returned at most; the rest is cut and flagged
MAX_QUERY_BYTES = 64 * 1024  # a longer query (or request body) is refused: 413
WORKER_MEMORY = 4 * 1024**3  # address space a worker may take before its allocations fail

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
ENGINES = ("oxigraph", "rdflib")

# ---------------------------------------------------------------- errors


class QueryError(Exception):
    """A query that cannot be answered; ``status`` is the HTTP status the server sends."""

    status = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class QueryRefused(QueryError):
    """Screening refused the query: an update, LOAD, SERVICE or an outside FROM IRI."""


class QuerySyntaxError(QueryError):
    """The query does not parse; ``line`` and ``column`` are 1-based."""

    def __init__(self, message: str, line: int = 0, column: int = 0):
        where = f" at line {line}, column {column}" if line else ""
        super().__init__(f"malformed query{where}: {message}")
        self.line, self.column = line, column


class QueryTooLarge(QueryError):
    status = 413


class QueryTimeout(QueryError):
    """The query passed its time limit and was cancelled; ``lived`` is how long it ran, in seconds."""

    status = 503

    def __init__(self, message: str, lived: float = 0.0):
        super().__init__(message)
        self.lived = lived


class QueryAborted(QueryError):
    """The worker running the query died (killed, or out of memory): a server-side failure."""

    status = 503


class DataMissing(QueryError):
    status = 500


# ---------------------------------------------------------------- screening

FORMS = {"SelectQuery": "SELECT", "AskQuery": "ASK", "ConstructQuery": "CONSTRUCT", "DescribeQuery": "DESCRIBE"}
UPDATE_NAMES = {
    "Load": "LOAD", "Clear": "CLEAR", "Drop": "DROP", "Create": "CREATE", "Add": "ADD", "Move": "MOVE",
    "Copy": "COPY", "InsertData": "INSERT DATA", "DeleteData": "DELETE DATA", "DeleteWhere": "DELETE WHERE",
    "Modify": "DELETE/INSERT",
}


@dataclass(frozen=True)
class Screened:
    """A query that passed :func:`screen`: its text, its form and whether it is ordered."""

    text: str
    form: str  # SELECT, ASK, CONSTRUCT or DESCRIBE
    ordered: bool
    dataset: bool = False  # has FROM / FROM NAMED: then the default graph is not the union


def _walk(node):
    """Every CompValue in an rdflib parse tree."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)) or type(item).__name__ == "ParseResults":
            stack.extend(item)


def _rdflib_parser():
    import rdflib.plugins.sparql as rdflib_sparql
    from rdflib.plugins.sparql import parser

    # Never download the graphs that FROM / FROM NAMED name (rdflib does by default).
    rdflib_sparql.SPARQL_LOAD_GRAPHS = False
    return parser


def check_graph_iris(iris, allowed: set[str] | None, what: str = "FROM") -> None:
    """Refuse graph IRIs outside the dataset: ``allowed`` (its graph names) or, if None, the project's base."""
    for iri in iris:
        iri = str(iri)
        inside = iri in allowed if allowed is not None else iri.startswith(config.BASE)
        if not inside:
            raise QueryRefused(
                f"{what} <{iri}> is refused: it names a graph outside this dataset, and queries "
                "never fetch outside data (GRAPH ?g lists the graphs there are)"
            )


def screen(text: str, graphs: set[str] | None = None) -> Screened:
    """Screen ``text`` (see :func:`_screen`); answers are cached, since rdflib's parser takes 15-60 ms."""
    return _screen_cached(text, frozenset(graphs) if graphs is not None else None)


@functools.lru_cache(maxsize=512)
def _screen_cached(text: str, graphs: frozenset[str] | None) -> Screened:
    return _screen(text, graphs)


# rdflib's SPARQL parser (pyparsing) is not thread-safe (RDFLib/rdflib#1282): under concurrent
# requests valid queries failed with "Param.postParse2() missing 1 required positional argument".
_PARSE_LOCK = threading.Lock()


def _screen(text: str, graphs: frozenset[str] | None = None) -> Screened:
    """Parse ``text`` with rdflib's SPARQL parser and refuse what could write or reach outside.

    ``graphs`` is the set of graph names a FROM / FROM NAMED may use (default: IRIs under the
    project's base). Raises QueryTooLarge, QuerySyntaxError (with line and column) or QueryRefused.
    """
    if len(text.encode("utf-8")) > MAX_QUERY_BYTES:
        raise QueryTooLarge(f"the query is longer than {MAX_QUERY_BYTES} bytes")
    if not text.strip():
        raise QuerySyntaxError("the query is empty")
    parser = _rdflib_parser()
    try:
        with _PARSE_LOCK:
            tree = parser.parseQuery(text)
    except Exception as err:  # pyparsing.ParseException, or RecursionError on absurd nesting
        try:
            with _PARSE_LOCK:
                update = parser.parseUpdate(text)
        except Exception:
            raise _syntax_error(err, text) from None
        ops = []
        for request in _field(update, "request") or []:
            name = UPDATE_NAMES.get(getattr(request, "name", ""), getattr(request, "name", "update"))
            if name not in ops:
                ops.append(name)
        if "LOAD" in ops:
            raise QueryRefused("LOAD is refused: this endpoint is read-only and never fetches outside data") from None
        raise QueryRefused(f"SPARQL Update ({', '.join(ops) or 'empty'}) is refused: this endpoint is read-only") from None
    query = tree[1]
    form = FORMS.get(query.name)
    if form is None:  # pragma: no cover - the grammar has only four forms
        raise QuerySyntaxError(f"unknown query form {query.name}")
    for node in _walk(tree):
        if node.name == "ServiceGraphPattern":
            raise QueryRefused(
                f"SERVICE {_n3(_field(node, 'term'))} is refused: queries run on the local data only, "
                "never on another endpoint"
            )
    clauses = _field(query, "datasetClause") or []
    if clauses:
        from rdflib.term import URIRef

        iris = []
        if all(isinstance(_field(c, "default") or _field(c, "named"), URIRef) for c in clauses):
            resolved = clauses
        else:  # prefixed or relative names: let rdflib's algebra resolve them
            from rdflib.plugins.sparql.algebra import translateQuery

            try:
                resolved = _field(translateQuery(tree).algebra, "datasetClause") or []
            except Exception as err:
                raise QueryRefused(f"FROM is refused: its graph name could not be resolved ({err})") from None
        for clause in resolved:
            if _field(clause, "default") is not None:
                iris.append(("FROM", _field(clause, "default")))
            else:
                iris.append(("FROM NAMED", _field(clause, "named")))
        for what, iri in iris:
            check_graph_iris([iri], graphs, what)
    return Screened(text=text, form=form, ordered="orderby" in query, dataset=bool(clauses))


def _field(node, key):
    """A field of an rdflib CompValue, or None (CompValue.get returns the key itself when absent)."""
    return dict.get(node, key)


def _n3(term) -> str:
    try:
        return term.n3()
    except AttributeError:
        return str(term)


def _syntax_error(err: Exception, text: str) -> QuerySyntaxError:
    if isinstance(err, RecursionError):
        return QuerySyntaxError("the query is nested too deeply to parse")
    line = getattr(err, "lineno", 0) or 0
    column = getattr(err, "col", 0) or 0
    message = getattr(err, "msg", None) or str(err)
    found = ""
    loc = getattr(err, "loc", None)
    if isinstance(loc, int) and loc < len(text):
        found = f", found {text[loc:loc + 20].splitlines()[0]!r}" if text[loc:loc + 20].strip() else ""
    return QuerySyntaxError(f"{message}{found}", line, column)


# ---------------------------------------------------------------- results


@dataclass
class Result:
    """The answer to one query. Terms are SPARQL-JSON term dicts (``{"type": "uri", "value": ...}``)."""

    form: str
    variables: list[str] = field(default_factory=list)
    rows: list[dict[str, dict]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[dict, dict, dict]] = field(default_factory=list)
    truncated: bool = False
    seconds: float = 0.0

    @property
    def is_graph(self) -> bool:
        return self.form in {"CONSTRUCT", "DESCRIBE"}

    def __len__(self) -> int:
        return len(self.triples) if self.is_graph else len(self.rows)

    def tuples(self) -> list[tuple]:
        """Rows as tuples of N-Triples strings (None if unbound), in the variables' order."""
        return [tuple(term_nt(row[v]) if v in row else None for v in self.variables) for row in self.rows]


def term_from_ox(term) -> dict:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype.value != XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, ox.Triple):
        return {"type": "triple", "value": {
            "subject": term_from_ox(term.subject), "predicate": term_from_ox(term.predicate),
            "object": term_from_ox(term.object)}}
    raise TypeError(f"unexpected term {term!r}")


def term_from_rdflib(term) -> dict:
    from rdflib.term import BNode, Literal, URIRef

    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype is not None and str(term.datatype) not in {XSD_STRING, RDF_LANG_STRING}:
            out["datatype"] = str(term.datatype)
        return out
    raise TypeError(f"unexpected term {term!r}")


def term_to_ox(term: dict):
    kind = term["type"]
    if kind == "uri":
        return ox.NamedNode(term["value"])
    if kind == "bnode":
        return ox.BlankNode(term["value"])
    if kind in {"literal", "typed-literal"}:
        if "xml:lang" in term:
            return ox.Literal(term["value"], language=term["xml:lang"])
        if "datatype" in term:
            return ox.Literal(term["value"], datatype=ox.NamedNode(term["datatype"]))
        return ox.Literal(term["value"])
    if kind == "triple":
        v = term["value"]
        return ox.Triple(term_to_ox(v["subject"]), term_to_ox(v["predicate"]), term_to_ox(v["object"]))
    raise ValueError(f"unexpected term type {kind!r}")


def term_nt(term: dict | None) -> str | None:
    """The N-Triples form of a term dict: ``<iri>``, ``"text"@en``, ``"1"^^<...#integer>``."""
    return None if term is None else str(term_to_ox(term))


def short(term: dict | None, prefixes: dict[str, str] = config.PREFIXES) -> str:
    """A term as a person reads it: a prefixed name, or a literal's text."""
    if term is None:
        return ""
    if term["type"] == "uri":
        iri = term["value"]
        best = ""
        for prefix, ns in prefixes.items():
            if iri.startswith(ns) and len(ns) > len(best):
                best, name = ns, prefix
        if best:
            local = iri[len(best):]
            if local and all(c.isalnum() or c in "-_." for c in local):
                return f"{name}:{local}"
        return f"<{iri}>"
    if term["type"] == "bnode":
        return "_:" + term["value"]
    if term["type"] == "triple":
        v = term["value"]
        return f"<< {short(v['subject'])} {short(v['predicate'])} {short(v['object'])} >>"
    return term["value"]


# ---------------------------------------------------------------- loading and execution


def data_files(data_dir: Path) -> tuple[Path, Path]:
    """The built N-Quads and ontology in ``data_dir``; DataMissing if they are not there."""
    data_dir = Path(data_dir)
    nq, onto = data_dir / DATA_FILE, data_dir / ONTOLOGY_FILE
    missing = [p.name for p in (nq, onto) if not p.is_file()]
    if missing:
        raise DataMissing(f"{data_dir}/{missing[0]} is missing: run `python build.py` first")
    return nq, onto


def load_store(data_dir: Path) -> ox.Store:
    """An in-memory Oxigraph store: every named graph, and the ontology in its own graph."""
    nq, onto = data_files(data_dir)
    store = ox.Store()
    # Parsed by Oxigraph straight into the store (no Python object per quad: 10^6 quads load in
    # about 4 s rather than 8). Lenient (IRIs are not re-validated; syntax errors still stop it): the
    # folder holds what `python build.py` wrote, which it validated.
    store.bulk_load(path=nq, format=ox.RdfFormat.N_QUADS, lenient=True)
    store.bulk_load(path=onto, format=ox.RdfFormat.TURTLE, base_iri=config.BASE,
                    to_graph=ox.NamedNode(ONTOLOGY_GRAPH), lenient=True)
    return store


def load_rdflib(data_dir: Path):
    """The same dataset in rdflib: a Dataset whose default graph is the union of the named graphs."""
    from rdflib import Dataset, URIRef

    _rdflib_parser()
    nq, onto = data_files(data_dir)
    ds = Dataset(default_union=True)
    ds.parse(nq, format="nquads")
    ds.graph(URIRef(ONTOLOGY_GRAPH)).parse(onto, format="turtle", publicID=config.BASE)
    return ds


def graph_names(store: ox.Store) -> set[str]:
    return {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}


def _capped(items, max_rows: int) -> tuple[list, bool]:
    """At most ``max_rows`` of ``items`` (read lazily), and whether more were left."""
    taken = list(itertools.islice(items, max_rows))
    return taken, next(items, None) is not None


def execute(backend, screened: Screened, engine: str = "oxigraph", max_rows: int = DEFAULT_MAX_ROWS,
            default_graphs: list[str] | None = None, named_graphs: list[str] | None = None) -> Result:
    """Run a screened query on a loaded store (oxigraph) or Dataset (rdflib), in this process."""
    if not isinstance(screened, Screened):
        raise TypeError("execute() takes a Screened query: call screen() first")
    started = time.perf_counter()
    result = Result(form=screened.form)
    if engine == "oxigraph":
        kwargs = {}
        if default_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
        elif not screened.dataset:
            kwargs["use_default_graph_as_union"] = True
        if named_graphs is not None:
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        answer = backend.query(screened.text, **kwargs)
        if isinstance(answer, ox.QueryBoolean):
            result.boolean = bool(answer)
        elif isinstance(answer, ox.QuerySolutions):
            result.variables = [v.value for v in answer.variables]
            result.rows, result.truncated = _capped(
                ({v: term_from_ox(s[v]) for v in result.variables if s[v] is not None} for s in answer), max_rows)
        else:
            result.triples, result.truncated = _capped(
                ((term_from_ox(t.subject), term_from_ox(t.predicate), term_from_ox(t.object)) for t in answer),
                max_rows)
    elif engine == "rdflib":
        if default_graphs is not None or named_graphs is not None:
            raise QueryError("default-graph-uri and named-graph-uri are supported with the oxigraph engine only")
        answer = backend.query(screened.text)
        if answer.type == "ASK":
            result.boolean = bool(answer.askAnswer)
        elif answer.type == "SELECT":
            result.variables = [str(v) for v in answer.vars]
            result.rows, result.truncated = _capped(
                ({v: term_from_rdflib(s[v]) for v in result.variables if s[v] is not None} for s in answer), max_rows)
        else:
            result.triples, result.truncated = _capped(
                ((term_from_rdflib(s), term_from_rdflib(p), term_from_rdflib(o)) for s, p, o in answer.graph), max_rows)
    else:
        raise QueryError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    result.seconds = time.perf_counter() - started
    return result


def _error_message(err: Exception) -> str:
    return str(getattr(err, "msg", None) or err)


def _write_message(stream, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack(">Q", len(data)) + data)
    stream.flush()


def _read_exact(stream, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = stream.read(left)
        if not chunk:
            raise EOFError("the worker's pipe closed")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_message(stream):
    (size,) = struct.unpack(">Q", _read_exact(stream, 8))
    return pickle.loads(_read_exact(stream, size))


def worker_main(argv: list[str]) -> int:
    """A worker process (``python -m essaykg.worker DATA_DIR MAX_ROWS MEMORY``): load the data,
    then answer (query, engine, graphs) messages on stdin until it closes. Replies go to the
    original stdout; anything a library prints goes to stderr."""
    data_dir, max_rows, memory = Path(argv[0]), int(argv[1]), int(argv[2])
    out = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    inp = os.fdopen(os.dup(0), "rb", buffering=0)
    try:
        import resource

        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    except (ImportError, ValueError, OSError):  # pragma: no cover - not on every platform
        pass
    backends: dict[str, object] = {}
    try:
        backends["oxigraph"] = load_store(data_dir)
    except Exception as err:
        _write_message(out, ("error", "DataMissing" if isinstance(err, DataMissing) else "QueryError", str(err)))
        return 1
    _write_message(out, ("ready",))
    while True:
        try:
            message = _read_message(inp)
        except (EOFError, KeyboardInterrupt):
            return 0
        if message is None:
            return 0
        screened, engine, default_graphs, named_graphs = message
        try:
            if engine not in backends:
                backends[engine] = load_rdflib(data_dir)
            result = execute(backends[engine], screened, engine, max_rows, default_graphs, named_graphs)
            reply = ("ok", result)
        except MemoryError:
            reply = ("error", "QueryError", "the query needed more memory than a query may use")
        except QueryError as err:
            reply = ("error", type(err).__name__, err.message)
        except Exception as err:  # the engine's own evaluation errors
            reply = ("error", "QueryError", f"{engine}: {_error_message(err)}")
        _write_message(out, reply)


class _Worker:
    """One worker process and its pipes."""

    def __init__(self, data_dir: Path, max_rows: int, memory: int):
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(config.ROOT), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "essaykg.worker", str(data_dir), str(max_rows), str(memory)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, bufsize=0, env=env, close_fds=True,
        )

    def send(self, message) -> None:
        _write_message(self.process.stdin, message)

    def poll(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.process.stdout], [], [], max(0.0, timeout))
        return bool(ready)

    def recv(self):
        return _read_message(self.process.stdout)

    def wait_ready(self, timeout: float = 60.0) -> None:
        try:
            if not self.poll(timeout):
                raise EOFError("no answer")
            message = self.recv()
        except (EOFError, OSError) as err:
            self.kill()
            raise QueryError(f"a query worker did not start ({err})") from None
        if message[0] != "ready":
            self.kill()
            raise (DataMissing if message[1] == "DataMissing" else QueryError)(message[2])

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:  # pragma: no cover
            pass
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class QueryPool:
    """Worker processes, each holding the dataset, that run screened queries under a time limit.

    A query that passes its limit is cancelled by killing its worker, which is replaced in the
    background; queries in the other workers go on. ``cancelled`` records how long each cancelled
    query lived, in seconds.
    """

    def __init__(self, data_dir: Path, workers: int = 2, timeout: float = DEFAULT_TIMEOUT,
                 max_rows: int = DEFAULT_MAX_ROWS, memory: int = WORKER_MEMORY):
        data_files(data_dir)  # fail early, in the caller's process, if the data is not built
        self.data_dir, self.timeout, self.max_rows, self.memory = Path(data_dir), timeout, max_rows, memory
        self.size = max(1, workers)
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.cancelled: list[float] = []
        started = [self._new_worker() for _ in range(self.size)]
        for worker in started:
            worker.wait_ready()
            self._idle.put(worker)

    def _new_worker(self) -> _Worker:
        worker = _Worker(self.data_dir, self.max_rows, self.memory)
        with self._lock:
            self._all.add(worker)
        return worker

    def _replace(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        if self._closed:
            return

        def start():
            try:
                fresh = self._new_worker()
                fresh.wait_ready()
                self._idle.put(fresh)
            except QueryError:  # pragma: no cover - the data vanished under a running server
                pass

        threading.Thread(target=start, daemon=True).start()

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        self._replace(worker)

    def run(self, screened: Screened, engine: str = "oxigraph", timeout: float | None = None,
            default_graphs: list[str] | None = None, named_graphs: list[str] | None = None) -> Result:
        """Answer a screened query within ``timeout`` seconds, or raise QueryTimeout."""
        if not isinstance(screened, Screened):
            raise TypeError("run() takes a Screened query: call screen() first")
        limit = self.timeout if timeout is None else timeout
        started = time.monotonic()
        try:
            worker = self._idle.get(timeout=limit)
        except queue.Empty:
            raise QueryTimeout(f"every query worker stayed busy for the time limit ({limit:g} s); try again") from None
        try:
            worker.send((screened, engine, default_graphs, named_graphs))
            left = limit - (time.monotonic() - started)
            reply = worker.recv() if worker.poll(left) else None
        except (EOFError, OSError, pickle.UnpicklingError):
            self._discard(worker)
            raise QueryAborted("the query's worker stopped before answering (killed, or out of memory); "
                               "it has been replaced: try again") from None
        if reply is None:
            self._discard(worker)
            lived = time.monotonic() - started
            self.cancelled.append(lived)
            raise QueryTimeout(f"the query was cancelled: it ran past the time limit of {limit:g} s", lived)
        self._idle.put(worker)
        if reply[0] == "ok":
            return reply[1]
        error = {"QuerySyntaxError": QueryError, "DataMissing": DataMissing}.get(reply[1], QueryError)
        raise error(reply[2])

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            try:
                worker.send(None)
            except OSError:
                pass
        for worker in workers:
            try:
                worker.process.wait(1)
            except subprocess.TimeoutExpired:
                pass
            worker.kill()

    def __enter__(self) -> "QueryPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# ---------------------------------------------------------------- result formats

# name -> (media type, file extension); results formats for SELECT/ASK, graph formats for CONSTRUCT/DESCRIBE
RESULT_FORMATS = {
    "json": ("application/sparql-results+json", "srj"),
    "xml": ("application/sparql-results+xml", "srx"),
    "csv": ("text/csv", "csv"),
    "tsv": ("text/tab-separated-values", "tsv"),
    "table": ("text/plain", "txt"),
}
GRAPH_FORMATS = {
    "turtle": ("text/turtle", "ttl"),
    "ntriples": ("application/n-triples", "nt"),
    "jsonld": ("application/ld+json", "jsonld"),
}
_OX_GRAPH = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}


def to_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON (https://www.w3.org/TR/sparql11-results-json/)."""
    if result.form == "ASK":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)}, ensure_ascii=False)
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": result.rows}},
                      ensure_ascii=False, indent=1)


def xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoteattr(text: str) -> str:
    return '"' + xml_escape(text).replace('"', "&quot;") + '"'


def to_xml(result: Result) -> str:
    """SPARQL Query Results XML (https://www.w3.org/TR/rdf-sparql-XMLres/)."""
    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">', "<head>"]
    out += [f"  <variable name={quoteattr(v)}/>" for v in result.variables]
    out.append("</head>")
    if result.form == "ASK":
        out.append(f"<boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        out.append("<results>")
        for row in result.rows:
            out.append("  <result>")
            for var in result.variables:
                if var in row:
                    out.append(f"    <binding name={quoteattr(var)}>{_xml_term(row[var])}</binding>")
            out.append("  </result>")
        out.append("</results>")
    out.append("</sparql>")
    return "\n".join(out) + "\n"


def _xml_term(term: dict) -> str:
    if term["type"] == "uri":
        return f"<uri>{xml_escape(term['value'])}</uri>"
    if term["type"] == "bnode":
        return f"<bnode>{xml_escape(term['value'])}</bnode>"
    if term["type"] == "triple":
        v = term["value"]
        return ("<triple>" + "".join(f"<{k}>{_xml_term(v[k])}</{k}>" for k in ("subject", "predicate", "object"))
                + "</triple>")
    attrs = ""
    if "xml:lang" in term:
        attrs = f" xml:lang={quoteattr(term['xml:lang'])}"
    elif "datatype" in term:
        attrs = f" datatype={quoteattr(term['datatype'])}"
    return f"<literal{attrs}>{xml_escape(term['value'])}</literal>"


def to_csv(result: Result) -> str:
    """SPARQL 1.1 Query Results CSV (https://www.w3.org/TR/sparql11-results-csv-tsv/): plain values."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    if result.form == "ASK":
        writer.writerow(["_askResult"])
        writer.writerow(["true" if result.boolean else "false"])
        return buf.getvalue()
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_csv_value(row.get(v)) for v in result.variables])
    return buf.getvalue()


def _csv_value(term: dict | None) -> str:
    if term is None:
        return ""
    if term["type"] == "bnode":
        return "_:" + term["value"]
    if term["type"] == "triple":
        return term_nt(term)
    return term["value"]


def to_tsv(result: Result) -> str:
    """SPARQL 1.1 Query Results TSV: terms in their N-Triples form, unbound as empty."""
    if result.form == "ASK":
        return "?_askResult\n" + ("true" if result.boolean else "false") + "\n"
    lines = ["\t".join("?" + v for v in result.variables)]
    lines += ["\t".join(nt or "" for nt in row) for row in result.tuples()]
    return "\n".join(lines) + "\n"


def to_table(result: Result, width: int = 70) -> str:
    """A plain-text table for the terminal: prefixed names, literal text, long cells cut."""
    if result.form == "ASK":
        return ("yes" if result.boolean else "no") + "\n"
    if result.is_graph:
        return to_graph(result, "turtle").decode("utf-8")

    def cell(term):
        text = " ".join(short(term).split())
        return text if len(text) <= width else text[: width - 1] + "…"

    rows = [[cell(row.get(v)) for v in result.variables] for row in result.rows]
    widths = [max([len(v)] + [len(r[i]) for r in rows]) for i, v in enumerate(result.variables)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    out = [line(result.variables), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    noun = "row" if len(rows) == 1 else "rows"
    out.append(f"({len(rows)} {noun}{', cut at the limit' if result.truncated else ''})")
    return "\n".join(out) + "\n"


def to_graph(result: Result, fmt: str = "turtle") -> bytes:
    """CONSTRUCT / DESCRIBE results as Turtle, N-Triples or JSON-LD."""
    triples = [ox.Triple(term_to_ox(s), term_to_ox(p), term_to_ox(o)) for s, p, o in result.triples]
    if fmt == "turtle":
        iris = {t.value for tr in triples for t in (tr.subject, tr.predicate, tr.object)
                if isinstance(t, ox.NamedNode)}
        iris |= {tr.object.datatype.value for tr in triples if isinstance(tr.object, ox.Literal)}
        used = {p: ns for p, ns in config.PREFIXES.items() if any(i.startswith(ns) for i in iris)}
        return ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=used)
    return ox.serialize(triples, format=_OX_GRAPH[fmt])


def serialize(result: Result, fmt: str) -> bytes:
    """``result`` in the named format (see RESULT_FORMATS and GRAPH_FORMATS)."""
    if result.is_graph:
        if fmt not in GRAPH_FORMATS:
            raise QueryError(f"a {result.form} result is a graph: use one of {', '.join(GRAPH_FORMATS)}")
        return to_graph(result, fmt)
    writers = {"json": to_json, "xml": to_xml, "csv": to_csv, "tsv": to_tsv, "table": to_table}
    if fmt not in writers:
        raise QueryError(f"a {result.form} result is a table: use one of {', '.join(RESULT_FORMATS)}")
    return writers[fmt](result).encode("utf-8")


def parse_results(data: bytes, fmt: str) -> Result:
    """Read SPARQL results (json, xml, tsv) back into a Result, e.g. from another server."""
    ox_fmt = {"json": ox.QueryResultsFormat.JSON, "xml": ox.QueryResultsFormat.XML,
              "tsv": ox.QueryResultsFormat.TSV, "csv": ox.QueryResultsFormat.CSV}[fmt]
    parsed = ox.parse_query_results(data, format=ox_fmt)
    if isinstance(parsed, ox.QueryBoolean):
        return Result(form="ASK", boolean=bool(parsed))
    result = Result(form="SELECT", variables=[v.value for v in parsed.variables])
    for solution in parsed:
        result.rows.append({v: term_from_ox(solution[v]) for v in result.variables if solution[v] is not None})
    return result


def same_answers(a: Result, b: Result, ordered: bool) -> bool:
    """Whether two SELECT results agree: same variables, same rows (in order if ``ordered``)."""
    if sorted(a.variables) != sorted(b.variables) or a.form != b.form:
        return False
    if a.form == "ASK":
        return a.boolean == b.boolean
    order = a.variables
    rows_a = a.tuples()
    rows_b = [tuple(term_nt(r.get(v)) for v in order) for r in b.rows]
    if ordered:
        return rows_a == rows_b
    key = lambda row: tuple(x or "" for x in row)  # noqa: E731
    return sorted(rows_a, key=key) == sorted(rows_b, key=key)


# ---------------------------------------------------------------- saved queries


@dataclass(frozen=True)
class SavedQuery:
    """A competency question: ``queries/NN-name.rq`` with ``NN-name.expected.tsv`` beside it."""

    name: str
    path: Path
    question: str
    text: str

    @property
    def expected_path(self) -> Path:
        return self.path.with_name(self.name + ".expected.tsv")

    def expected(self) -> Result:
        return parse_results(self.expected_path.read_bytes(), "tsv")


def question_of(text: str) -> str:
    """The leading comment block of a .rq file, as one line."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(filter(None, lines))


def saved_queries(directory: Path = QUERIES_DIR) -> list[SavedQuery]:
    """Every ``*.rq`` in ``directory``, sorted by name."""
    out = []
    for path in sorted(Path(directory).glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        out.append(SavedQuery(name=path.stem, path=path, question=question_of(text), text=text))
    return out


def find_saved(name: str, directory: Path = QUERIES_DIR) -> SavedQuery | None:
    """A saved query by its full name (``03-quotations``), its name without the number
    (``quotations``) or its number (``3``, ``03``)."""
    for saved in saved_queries(directory):
        number, _, rest = saved.name.partition("-")
        if name in {saved.name, number, rest} or (name.isdigit() and number.isdigit() and int(name) == int(number)):
            return saved
    return None


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
