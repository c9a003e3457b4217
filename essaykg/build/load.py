"""Parse the hand-written sources into quads, with errors that name file, line and column.

Sources are TriG (``graph/**/*.trig``: every triple inside a named graph) and Turtle
(``ontology/*.ttl``: the ontology, loaded into a graph of its own). Parsing uses
Oxigraph, which reports syntax errors with their exact position.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from essaykg import config, namespaces

ONTOLOGY_GRAPH = ox.NamedNode(namespaces.BASE + "graph/ontology")
SHAPES_FILE = "shapes.ttl"


class LoadError(Exception):
    """A source file could not be read or parsed; the message is file:line:column: reason."""


@dataclass(frozen=True)
class Sources:
    """What the build reads: the essay's data (parsed straight into a store: a million quads held
    as Python objects would take gigabytes), the ontology, the shapes."""

    data: ox.Store
    ontology: list[ox.Quad]
    shapes: list[ox.Triple]
    files: list[Path]


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(config.ROOT))
    except ValueError:
        return str(path)


def parse_file(path: Path, fmt: ox.RdfFormat, into: ox.Store | None = None) -> list[ox.Quad]:
    """Parse one file (into a store, when given: then nothing is returned); raise LoadError naming
    file:line:column on a syntax error. A store gives each file's blank nodes fresh labels (so
    ``_:x`` in two files is two nodes); the data may hold none anyway (ontology/checks/blank-node.rq)."""
    try:
        if into is not None:
            into.load(path=path, format=fmt, base_iri=namespaces.BASE)
            return []
        with open(path, "rb") as handle:
            return list(ox.parse(handle, format=fmt, base_iri=namespaces.BASE))
    except SyntaxError as err:
        # Oxigraph: "Parser error at line 4 between columns 18 and 25: <reason>"
        reason = str(err.msg)
        if ": " in reason and reason.startswith("Parser error"):
            reason = reason.split(": ", 1)[1]
        line = err.lineno or 0
        col = err.offset or 0
        raise LoadError(f"{_rel(path)}:{line}:{col}: {reason}") from None
    except OSError as err:
        raise LoadError(f"{_rel(path)}: cannot read: {err.strerror}") from None


def load_graph_dir(graph_dir: Path = config.GRAPH_DIR) -> tuple[ox.Store, list[Path]]:
    """A store of all quads of ``graph/``; a triple outside a named graph is an error."""
    files = sorted(graph_dir.rglob("*.trig"))
    # mentions-settled.tsv: the hand-settled mentions that `python build.py mentions` reads
    stray = sorted(
        p
        for p in graph_dir.rglob("*")
        if p.is_file() and p.suffix not in {".trig", ".md"} and p.name != "mentions-settled.tsv"
    )
    if stray:
        raise LoadError(f"{_rel(stray[0])}: graph/ holds only .trig files (and README.md, mentions-settled.tsv)")
    store = ox.Store()
    for path in files:
        parse_file(path, ox.RdfFormat.TRIG, into=store)
        # checked after each file, so the message names the file that has it
        stray_quad = next(iter(store.quads_for_pattern(None, None, None, ox.DefaultGraph())), None)
        if stray_quad is not None:
            subject = stray_quad.subject
            assert not isinstance(subject, ox.Triple)  # pyoxigraph 0.5 parses no triple term as a subject
            raise LoadError(
                f"{_rel(path)}: the triple <{subject.value}> <{stray_quad.predicate.value}> ... "
                "is outside a named graph; wrap it in a GRAPH block"
            )
    return store, files


def load_sources(graph_dir: Path = config.GRAPH_DIR, ontology_dir: Path = config.ONTOLOGY_DIR) -> Sources:
    """Read data, ontology and shapes. Raises LoadError on the first bad file."""
    for folder in (graph_dir, ontology_dir):
        if not folder.is_dir():
            raise LoadError(f"{_rel(folder)}: no such folder")
    data, files = load_graph_dir(graph_dir)
    ontology: list[ox.Quad] = []
    shapes: list[ox.Triple] = []
    for path in sorted(ontology_dir.glob("*.ttl")):
        files.append(path)
        quads = parse_file(path, ox.RdfFormat.TURTLE)
        if path.name == SHAPES_FILE:
            shapes.extend(q.triple for q in quads)
        else:
            ontology.extend(ox.Quad(q.subject, q.predicate, q.object, ONTOLOGY_GRAPH) for q in quads)
    materialize_symmetric(data, ontology)
    return Sources(data=data, ontology=ontology, shapes=shapes, files=files)


OWL_SYMMETRIC = ox.NamedNode("http://www.w3.org/2002/07/owl#SymmetricProperty")
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")


def materialize_symmetric(data: ox.Store, ontology: list[ox.Quad]) -> int:
    """State the inverse of every triple whose property the ontology (or external-terms.ttl) declares
    owl:SymmetricProperty (ekg:divorcing, ekg:contrastsWith, skos:related), in the same named graph,
    so that either direction answers a query. The sources state each link once; returns how many
    quads were added."""
    symmetric = sorted(
        {
            q.subject
            for q in ontology
            if q.predicate == RDF_TYPE and q.object == OWL_SYMMETRIC and isinstance(q.subject, ox.NamedNode)
        },
        key=str,
    )
    added = [
        ox.Quad(q.object, q.predicate, q.subject, q.graph_name)
        for prop in symmetric
        for q in data.quads_for_pattern(None, prop, None, None)
        if isinstance(q.object, (ox.NamedNode, ox.BlankNode))
    ]
    fresh = [q for q in added if q not in data]
    data.bulk_extend(fresh)
    return len(fresh)


def store_of(quads, *more) -> ox.Store:
    """An in-memory Oxigraph store holding the given quads."""
    store = ox.Store()
    store.bulk_extend(quads)
    for extra in more:
        store.bulk_extend(extra)
    return store
