"""Validation: SHACL shapes (pySHACL) and the named SPARQL quality checks in ontology/checks/.

Each problem is reported as one line naming the node, the path and the rule, so a failed build
says exactly what to fix.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from . import config
from .config import shorten

SH = "http://www.w3.org/ns/shacl#"


@dataclass(frozen=True)
class Problem:
    node: str
    path: str
    rule: str
    message: str

    def __str__(self) -> str:
        path = f" {self.path}" if self.path else ""
        return f"{self.node}{path}: {self.message} [{self.rule}]"


def to_rdflib(triples):
    """An rdflib Graph holding the given Oxigraph triples (pySHACL works on rdflib)."""
    import rdflib

    def term(t):
        if isinstance(t, ox.NamedNode):
            return rdflib.URIRef(t.value)
        if isinstance(t, ox.BlankNode):
            return rdflib.BNode(t.value)
        if t.language:
            return rdflib.Literal(t.value, lang=t.language)
        return rdflib.Literal(t.value, datatype=rdflib.URIRef(t.datatype.value))

    graph = rdflib.Graph()
    for triple in triples:
        graph.add((term(triple.subject), term(triple.predicate), term(triple.object)))
    return graph


def _describe(graph, node) -> str:
    """A readable name for a SHACL value or focus node; blank nodes (shapes' own) by their content."""
    import rdflib

    if isinstance(node, rdflib.URIRef):
        return shorten(str(node))
    if isinstance(node, rdflib.BNode):
        return "a blank node"
    return repr(str(node))


def shacl(data_triples, shape_triples) -> list[Problem]:
    """Validate; return one Problem per sh:ValidationResult, sorted."""
    import rdflib
    from pyshacl import validate

    data = to_rdflib(data_triples)
    shapes = to_rdflib(shape_triples)
    _conforms, results, _text = validate(data, shacl_graph=shapes, inference="none", advanced=False)
    sh = rdflib.Namespace(SH)
    problems = []
    for result in results.subjects(rdflib.RDF.type, sh.ValidationResult):
        focus = results.value(result, sh.focusNode)
        path = results.value(result, sh.resultPath)
        component = results.value(result, sh.sourceConstraintComponent)
        shape = results.value(result, sh.sourceShape)
        value = results.value(result, sh.value)
        message = results.value(result, sh.resultMessage)
        rule = shorten(str(component))
        if isinstance(shape, rdflib.BNode):  # a property shape inside a named node shape
            shape = shapes.value(predicate=sh.property, object=shape) or shape
        if isinstance(shape, rdflib.URIRef):
            rule += f" in {shorten(str(shape))}"
        text = str(message) if message is not None else "violates the shape"
        if value is not None and value != focus:
            text += f" (value: {_describe(results, value)})"
        problems.append(Problem(
            node=_describe(results, focus),
            path=_describe(results, path) if path is not None else "",
            rule=rule,
            message=text,
        ))
    return sorted(problems, key=lambda p: (p.node, p.path, p.rule, p.message))


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    query: str

    @classmethod
    def read(cls, path: Path) -> "Check":
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        return cls(name=path.stem, description=first.lstrip("# ").strip(), query=text)


def load_checks(checks_dir: Path = config.CHECKS_DIR) -> list[Check]:
    return [Check.read(path) for path in sorted(checks_dir.glob("*.rq"))]


def run_checks(store: ox.Store, checks: list[Check]) -> list[Problem]:
    """Run every check over the store (default graph = union of all graphs); one Problem per row."""
    problems = []
    for check in checks:
        for row in store.query(check.query, use_default_graph_as_union=True):
            node = row["node"]
            problem = row["problem"]
            problems.append(Problem(
                node=shorten(node.value) if isinstance(node, ox.NamedNode) else str(node.value),
                path="",
                rule=f"check {check.name}",
                message=problem.value if problem is not None else check.description,
            ))
    return problems
