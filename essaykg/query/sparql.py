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

>>> screen("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s").ordered
True
>>> screen("SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }")  # doctest: +ELLIPSIS
Traceback (most recent call last):
essaykg.query.sparql.QueryRefused: SERVICE is refused: queries run on the local data only ...
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import overload

import pyoxigraph as ox

from essaykg import config, namespaces
from essaykg.namespaces import RDF, XSD
from essaykg.store import serialized

QUERIES_DIR = config.ROOT / "queries"
DATA_FILE = "essay-kg.nq"
ONTOLOGY_FILE = "ontology.ttl"
ONTOLOGY_GRAPH = namespaces.BASE + "graph/ontology"  # as essaykg.build.load.ONTOLOGY_GRAPH

DEFAULT_TIMEOUT = 5.0  # seconds per query
DEFAULT_MAX_ROWS = 10_000  # rows (or triples) returned at most; the rest is cut and flagged
DEFAULT_MAX_BYTES = 16 * 1024**2  # and about this many bytes of values
MAX_QUERY_BYTES = 64 * 1024  # a longer query (or request body) is refused: 413
WORKER_MEMORY = 4 * 1024**3  # address space a worker may take before its allocations fail

XSD_STRING = XSD + "string"
RDF_LANG_STRING = RDF + "langString"
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

    line = column = 0

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


class QueryBusy(QueryError):
    """No worker came free in time: the server is busy, not the query wrong."""

    status = 503


class NotAcceptable(QueryError):
    """No format the client accepts fits the answer (a table, or a graph)."""

    status = 406

    def __init__(self, form: str):
        table = GRAPH_FORMATS if form in {"CONSTRUCT", "DESCRIBE"} else RESULT_FORMATS
        super().__init__(
            f"a {form} answer can be sent as {', '.join(media_type(f) for f in table)}; "
            "the Accept header allows none of them"
        )


class NotRepresentable(QueryError):
    """The answer holds characters the asked format cannot carry (XML 1.0 and U+0001, say)."""

    status = 406


class DataMissing(QueryError):
    status = 500


# ---------------------------------------------------------------- screening
#
# What keeps a query from reaching the network is not this screen: the worker processes that run
# queries have no network at all (essaykg.query.worker.isolate_network). The screen is a second,
# independent wall that does not parse: it refuses every text in which the letters "service"
# appear anywhere (in any case, inside strings, comments and IRIs too), before and after SPARQL's
# \u / \U escapes are undone (https://www.w3.org/TR/sparql11-query/#codepointEscape), as many
# times as they nest. An engine can only call out through a SERVICE keyword, so a text without
# those letters at every escape level cannot call out, whatever any parser makes of it.

SERVICE_WORD = re.compile("service", re.IGNORECASE)  # Unicode case folding: also ſ, K (a superset)
_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")
MAX_ESCAPE_LEVELS = 8
MAX_NESTING = 512  # brackets open at once; deeper is refused before any engine sees it
# Oxigraph's parser takes time quadratic in a chain of operators (3,000 "+" 0.4 s, 9,000 about 4 s):
# more operators than this are refused with a 400 rather than left to run into the time limit.
MAX_OPERATORS = 2000
_IRI_REF = re.compile(r"<[^<>\"{}|^`\\\s]*>")
_OPERATOR = re.compile(r"\+|\*|&&|\|\||(?<=[\d)\s])[-/](?=[\s\d(?$])")
UPDATE_WORDS = re.compile(
    r"^\s*(?:(?:PREFIX\s+[^:\s]*:\s*<[^>]*>|BASE\s*<[^>]*>)\s*)*"
    r"(LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|INSERT|DELETE|WITH)\b",
    re.IGNORECASE,
)
FROM_WORD = re.compile(r"\bFROM\b", re.IGNORECASE)
ORDER_BY = re.compile(r"\bORDER\s+BY\b", re.IGNORECASE)


@dataclass(frozen=True)
class Screened:
    """A query text that passed :func:`screen`; its form is known once an engine has parsed it."""

    text: str
    ordered: bool  # has ORDER BY: answers compare in order
    names_graphs: bool  # the word FROM appears: the query may choose its own dataset


def unescape_codepoints(text: str) -> str:
    """SPARQL's codepoint escapes undone once (``\\u0053`` is ``S``); invalid code points kept as written."""

    def one(match: re.Match) -> str:
        value = int(match.group(1) or match.group(2), 16)
        return chr(value) if value <= 0x10FFFF else match.group(0)

    return _CODEPOINT.sub(one, text)


def escape_levels(text: str) -> list[str]:
    """``text`` and each distinct result of undoing its escapes again, until nothing changes."""
    levels = [text]
    for _ in range(MAX_ESCAPE_LEVELS):
        nxt = unescape_codepoints(levels[-1])
        if nxt == levels[-1]:
            return levels
        levels.append(nxt)
    raise QueryRefused(f"the query nests \\u escapes more than {MAX_ESCAPE_LEVELS} levels deep")


def nesting(text: str) -> int:
    """The most brackets ( [ { open at once, counted over the raw text (strings included)."""
    depth = deepest = 0
    for char in text:
        if char in "([{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in ")]}" and depth:
            depth -= 1
    return deepest


def operator_count(text: str) -> int:
    """Arithmetic and logical operators outside IRIs (a ``-`` or ``/`` only between numbers, brackets
    or spaces, so that ``claim:body-is-essential`` counts none)."""
    return len(_OPERATOR.findall(_IRI_REF.sub(" ", text)))


def screen(text: str) -> Screened:
    """Refuse, without parsing, what is too large, too deep or could name a SERVICE; see above.

    >>> screen("SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s").ordered
    True
    >>> screen('SELECT * WHERE { BIND("\\\\u0053ERVICE" AS ?x) }')  # doctest: +NORMALIZE_WHITESPACE
    Traceback (most recent call last):
    essaykg.query.sparql.QueryRefused: SERVICE is refused: queries run on the local data only
    (the letters 'service' may not appear anywhere in a query, even in a string)
    """
    if len(text.encode("utf-8", "surrogatepass")) > MAX_QUERY_BYTES:
        raise QueryTooLarge(f"the query is longer than {MAX_QUERY_BYTES} bytes")
    if not text.strip():
        raise QuerySyntaxError("the query is empty")
    levels = escape_levels(text)
    if any(SERVICE_WORD.search(level) for level in levels):
        raise QueryRefused(
            "SERVICE is refused: queries run on the local data only (the letters 'service' "
            "may not appear anywhere in a query, even in a string)"
        )
    deepest = max(nesting(level) for level in levels)
    if deepest > MAX_NESTING:
        raise QueryRefused(f"the query nests brackets {deepest} deep; the limit is {MAX_NESTING}")
    operators = max(operator_count(level) for level in levels)
    if operators > MAX_OPERATORS:
        raise QueryRefused(
            f"the query chains {operators} operators (+ - * / && ||); the limit is {MAX_OPERATORS}, "
            "since the parser's work grows with the square of a chain"
        )
    return Screened(
        text=text,
        ordered=any(ORDER_BY.search(level) for level in levels),
        names_graphs=any(FROM_WORD.search(level) for level in levels),
    )


def check_graph_iris(iris, allowed: set[str], what: str) -> None:
    """Refuse graph IRIs outside the dataset (``allowed``: its graph names)."""
    for iri in iris:
        if str(iri) not in allowed:
            raise QueryRefused(
                f"{what} <{iri}> is refused: it names a graph outside this dataset, and queries "
                "never fetch outside data (GRAPH ?g lists the graphs there are)"
            )


def dataset_clauses(text: str) -> list[tuple[str, str]]:
    """The FROM / FROM NAMED IRIs of a query, resolved against its BASE, as rdflib's parser reads them.

    Only for a query whose text holds the word FROM. This decides a message and which graph is the
    default, never safety: Oxigraph reads a FROM graph from its store and never fetches it.
    """
    import rdflib.plugins.sparql as rdflib_sparql
    from rdflib.plugins.sparql import parser
    from rdflib.plugins.sparql.algebra import translateQuery

    rdflib_sparql.SPARQL_LOAD_GRAPHS = False  # rdflib would download FROM graphs by default
    try:
        tree = parser.parseQuery(text)
        query = translateQuery(tree, initNs=namespaces.PREFIXES)
    except Exception as err:  # pyparsing's ParseException, RecursionError, an unknown prefix...
        raise QueryRefused(
            f"a query that names graphs (FROM) is read twice, and the second reader "
            f"could not read this one: {str(getattr(err, 'msg', None) or err)[:200]}"
        ) from None
    out = []
    for clause in dict.get(query.algebra, "datasetClause") or []:
        if dict.get(clause, "default") is not None:
            out.append(("FROM", str(dict.get(clause, "default"))))
        else:
            out.append(("FROM NAMED", str(dict.get(clause, "named"))))
    return out


_CHAR_CLASS = re.compile(r"\[[^\]]*\](?:\s*\|\s*\[[^\]]*\])*")  # ['a'..='z'] | ['0'..='9']: no help to a reader


def syntax_error(err: Exception, text: str) -> QueryError:
    """Oxigraph's SyntaxError as one readable line: the place, what was expected, an undeclared prefix
    named; an update (which Store.query cannot parse) as a refusal."""
    update = UPDATE_WORDS.match(text)
    if update:
        word = update.group(1).upper()
        if word == "LOAD":
            return QueryRefused("LOAD is refused: this endpoint is read-only and never fetches outside data")
        return QueryRefused(f"SPARQL Update ({word}) is refused: this endpoint is read-only")
    message = str(err)
    match = re.match(r"error at (\d+):(\d+): (.*)", message, re.DOTALL)
    if not match:
        return QuerySyntaxError(" ".join(message.split())[:300])
    line, column, rest = int(match.group(1)), int(match.group(2)), match.group(3)
    lines = text.splitlines()
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    if "Prefix not found" in rest:
        names = re.findall(r"([A-Za-z][\w.-]*)?:", source_line[:column])
        prefix = (names[-1] if names else "") + ":"
        known = ", ".join(sorted(namespaces.PREFIXES))
        return QuerySyntaxError(
            f"the prefix {prefix} is not declared (add PREFIX {prefix} <...>; declared already: {known})", line, column
        )
    head, one_of, items = " ".join(_CHAR_CLASS.sub("", rest).split()).partition("one of")
    if one_of:
        words = [item.strip() for item in items.split(",") if item.strip()]
        rest = f"{head}one of {', '.join(words)}" if words else "unexpected text"
    tail = source_line[column - 1 : column + 19].strip()
    found = f", found {tail!r}" if tail else ""
    return QuerySyntaxError(f"{rest}{found}", line, column)


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
        return {
            "type": "triple",
            "value": {
                "subject": term_from_ox(term.subject),
                "predicate": term_from_ox(term.predicate),
                "object": term_from_ox(term.object),
            },
        }
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


@overload
def term_nt(term: dict) -> str: ...
@overload
def term_nt(term: None) -> None: ...
def term_nt(term: dict | None) -> str | None:
    """The N-Triples form of a term dict: ``<iri>``, ``"text"@en``, ``"1"^^<...#integer>``."""
    return None if term is None else str(term_to_ox(term))


def short(term: dict | None, prefixes: dict[str, str] = namespaces.PREFIXES) -> str:
    """A term as a person reads it: a prefixed name, or a literal's text."""
    if term is None:
        return ""
    if term["type"] == "uri":
        return namespaces.shorten(term["value"], prefixes)
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
        raise DataMissing(f"{data_dir}/{missing[0]} is missing: run `{config.COMMAND}` first")
    return nq, onto


def load_store(data_dir: Path) -> ox.Store:
    """An in-memory Oxigraph store: every named graph, and the ontology in its own graph."""
    nq, onto = data_files(data_dir)
    store = ox.Store()
    # Parsed by Oxigraph straight into the store (no Python object per quad: 10^6 quads load in
    # about 4 s rather than 8). Lenient (IRIs are not re-validated; syntax errors still stop it): the
    # folder holds what `python build.py` wrote, which it validated.
    store.bulk_load(path=nq, format=ox.RdfFormat.N_QUADS, lenient=True)
    store.bulk_load(
        path=onto,
        format=ox.RdfFormat.TURTLE,
        base_iri=namespaces.BASE,
        to_graph=ox.NamedNode(ONTOLOGY_GRAPH),
        lenient=True,
    )
    return store


def load_rdflib(data_dir: Path):
    """The same dataset in rdflib: a Dataset whose default graph is the union of the named graphs."""
    import rdflib.plugins.sparql as rdflib_sparql
    from rdflib import Dataset, URIRef

    rdflib_sparql.SPARQL_LOAD_GRAPHS = False  # never download what FROM names
    nq, onto = data_files(data_dir)
    ds = Dataset(default_union=True)
    ds.parse(nq, format="nquads")
    ds.graph(URIRef(ONTOLOGY_GRAPH)).parse(onto, format="turtle", publicID=namespaces.BASE)
    return ds


def graph_names(store: ox.Store) -> set[str]:
    return {g.value for g in store.named_graphs() if isinstance(g, ox.NamedNode)}


class _Budget:
    """Rows and bytes a result may still take; ``cut`` says a limit was reached."""

    def __init__(self, max_rows: int, max_bytes: int):
        self.rows, self.bytes, self.cut = max_rows, max_bytes, False

    def take(self, items, size):
        for item in items:
            cost = size(item)
            if self.rows <= 0 or cost > self.bytes:
                self.cut = True
                return
            self.rows -= 1
            self.bytes -= cost
            yield item


def _term_size(term: dict) -> int:
    """About the bytes a term takes in an answer: its UTF-8 value, datatype and language."""
    if term["type"] == "triple":
        return sum(_term_size(t) for t in term["value"].values())
    return (
        len(term["value"].encode("utf-8", "surrogatepass"))
        + len(term.get("datatype", ""))
        + len(term.get("xml:lang", ""))
        + 16
    )


def execute(
    backend,
    screened: Screened,
    engine: str = "oxigraph",
    max_rows: int = DEFAULT_MAX_ROWS,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    graphs: set[str] | None = None,
) -> Result:
    """Run a screened query on a loaded store (oxigraph) or Dataset (rdflib), in this process.

    ``graphs`` is the set of graph names a FROM may name (default: the store's). Rows (or triples)
    stop at ``max_rows`` and at about ``max_bytes`` of values; ``truncated`` says so.
    """
    if not isinstance(screened, Screened):
        raise TypeError("execute() takes a Screened query: call screen() first")
    started = time.perf_counter()
    budget = _Budget(max_rows, max_bytes)
    row_size = lambda row: sum(_term_size(t) for t in row.values()) + 8
    triple_size = lambda triple: sum(_term_size(t) for t in triple) + 8
    if engine == "oxigraph":
        kwargs: dict = {"prefixes": namespaces.PREFIXES}
        if default_graphs is not None or named_graphs is not None:
            if default_graphs is not None:
                kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs]
            if named_graphs is not None:
                kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
        elif not (screened.names_graphs and _names_graphs(screened, backend, graphs)):
            kwargs["use_default_graph_as_union"] = True
        try:
            answer = backend.query(screened.text, **kwargs)
        except SyntaxError as err:
            raise syntax_error(err, screened.text) from None
        if isinstance(answer, ox.QueryBoolean):
            result = Result(form="ASK", boolean=bool(answer))
        elif isinstance(answer, ox.QuerySolutions):
            result = Result(form="SELECT", variables=[v.value for v in answer.variables])
            result.rows = list(
                budget.take(
                    ({v: term_from_ox(s[v]) for v in result.variables if s[v] is not None} for s in answer), row_size
                )
            )
        else:
            result = Result(form="CONSTRUCT")
            result.triples = list(
                budget.take(
                    ((term_from_ox(t.subject), term_from_ox(t.predicate), term_from_ox(t.object)) for t in answer),
                    triple_size,
                )
            )
    elif engine == "rdflib":
        if default_graphs is not None or named_graphs is not None:
            raise QueryError("default-graph-uri and named-graph-uri are supported with the oxigraph engine only")
        try:
            answer = backend.query(screened.text, initNs=namespaces.PREFIXES)
        except Exception as err:
            if type(err).__name__ == "ParseException":
                raise QuerySyntaxError(
                    str(getattr(err, "msg", err)), getattr(err, "lineno", 0), getattr(err, "col", 0)
                ) from None
            raise
        result = Result(form=answer.type)
        if answer.type == "ASK":
            result.boolean = bool(answer.askAnswer)
        elif answer.type == "SELECT":
            result.variables = [str(v) for v in answer.vars]
            result.rows = list(
                budget.take(
                    ({v: term_from_rdflib(s[v]) for v in result.variables if s[v] is not None} for s in answer),
                    row_size,
                )
            )
        else:
            result.triples = list(
                budget.take(
                    ((term_from_rdflib(s), term_from_rdflib(p), term_from_rdflib(o)) for s, p, o in answer.graph),
                    triple_size,
                )
            )
    else:
        raise QueryError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    result.truncated = budget.cut
    result.seconds = time.perf_counter() - started
    return result


def _names_graphs(screened: Screened, store: ox.Store, graphs: set[str] | None) -> bool:
    """Whether the query has FROM clauses (then Oxigraph takes its dataset from them); refuses outside graphs."""
    clauses = dataset_clauses(screened.text)
    allowed = graph_names(store) if graphs is None else graphs
    for what, iri in clauses:
        check_graph_iris([iri], allowed, what)
    return bool(clauses)


# ---------------------------------------------------------------- result formats

# Format names. Media types come from pyoxigraph's format enums (media_type below), not from a
# table of our own; "table" (a text table for the terminal) is the one format of ours.
_OX_RESULTS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
_OX_GRAPH = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}
RESULT_FORMATS = [*_OX_RESULTS, "table"]
GRAPH_FORMATS = list(_OX_GRAPH)


def media_type(fmt: str) -> str:
    """The media type of a format name, with its charset where the type is text."""
    if fmt == "table":
        return "text/plain; charset=utf-8"
    kind = _OX_RESULTS.get(fmt) or _OX_GRAPH[fmt]
    media = kind.media_type
    if "charset" not in media and (media.startswith("text/") or fmt in {"xml", "ntriples"}):
        media += "; charset=utf-8"
    return media


def to_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON (https://www.w3.org/TR/sparql11-results-json/)."""
    if result.form == "ASK":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)}, ensure_ascii=False)
    return json.dumps(
        {"head": {"vars": result.variables}, "results": {"bindings": result.rows}}, ensure_ascii=False, indent=1
    )


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_escape(text: str) -> str:
    bad = _NOT_XML.search(text)
    if bad:
        raise NotRepresentable(
            f"the answer holds U+{ord(bad.group()):04X}, which XML 1.0 cannot carry; ask for JSON, CSV or TSV"
        )
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
        return (
            "<triple>"
            + "".join(f"<{k}>{_xml_term(v[k])}</{k}>" for k in ("subject", "predicate", "object"))
            + "</triple>"
        )
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
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
    out = [line(result.variables), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    noun = "row" if len(rows) == 1 else "rows"
    out.append(f"({len(rows)} {noun}{', cut at the limit' if result.truncated else ''})")
    return "\n".join(out) + "\n"


def to_graph(result: Result, fmt: str = "turtle") -> bytes:
    """CONSTRUCT / DESCRIBE results as Turtle, N-Triples or JSON-LD."""
    triples = [ox.Triple(term_to_ox(s), term_to_ox(p), term_to_ox(o)) for s, p, o in result.triples]
    if fmt == "turtle":
        iris = {t.value for tr in triples for t in (tr.subject, tr.predicate, tr.object) if isinstance(t, ox.NamedNode)}
        iris |= {tr.object.datatype.value for tr in triples if isinstance(tr.object, ox.Literal)}
        used = {p: ns for p, ns in namespaces.PREFIXES.items() if any(i.startswith(ns) for i in iris)}
        return serialized(triples, ox.RdfFormat.TURTLE, prefixes=used)
    return serialized(triples, _OX_GRAPH[fmt])


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
    parsed = ox.parse_query_results(data, format=_OX_RESULTS[fmt])
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
    key = lambda row: tuple(x or "" for x in row)
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
