"""Validation: SHACL shapes (pySHACL) and the named SPARQL quality checks in ontology/checks/.

Each problem is reported as one line naming the node, the path and the rule, so a failed build
says exactly what to fix.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from essaykg import config
from essaykg.namespaces import RDF as RDF_NS
from essaykg.namespaces import RDFS as RDFS_NS
from essaykg.namespaces import SH, XSD, shorten
from essaykg.store import QueryOptions, select


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
    from pyshacl.errors import ReportableRuntimeError

    data_triples = list(data_triples)
    data = to_rdflib(data_triples)
    shapes = to_rdflib(shape_triples)
    try:
        _conforms, results, _text = validate(data, shacl_graph=shapes, inference="none", advanced=False)
    except ReportableRuntimeError as err:
        # pySHACL stops at values it cannot compare ("Cannot use sh:lessThan to compare a
        # BlankNode"); the shapes as SPARQL report those as violations of the rule, like any other.
        # Its subclasses (shapes that do not load, ...) are pySHACL's to report.
        if type(err) is not ReportableRuntimeError:
            raise
        store = ox.Store()
        store.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in data_triples)
        try:
            return shacl_sparql(store, [ox.DefaultGraph()], shape_triples)
        except ShaclUnsupported:
            raise err from None
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
        problems.append(
            Problem(
                node=_describe(results, focus),
                path=_describe(results, path) if path is not None else "",
                rule=rule,
                message=text,
            )
        )
    return sorted(problems, key=lambda p: (p.node, p.path, p.rule, p.message))


@dataclass(frozen=True)
class Check:
    name: str
    description: str
    query: str

    @classmethod
    def read(cls, path: Path) -> Check:
        text = path.read_text(encoding="utf-8")
        first = text.splitlines()[0] if text else ""
        return cls(name=path.stem, description=first.lstrip("# ").strip(), query=text)


def _parallel_map(function, items) -> list:
    """``[function(item) for item in items]``, on up to one thread per core (at most 4): Oxigraph
    evaluates queries without holding the GIL. The results keep the items' order."""
    items = list(items)
    workers = min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
    if workers < 2 or len(items) < 2:
        return [function(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(function, items))


def load_checks(checks_dir: Path = config.CHECKS_DIR) -> list[Check]:
    return [Check.read(path) for path in sorted(checks_dir.glob("*.rq"))]


def run_checks(store: ox.Store, checks: list[Check]) -> list[Problem]:
    """Run every check over the store (default graph = union of all graphs); one Problem per row."""
    problems = []
    rows_of = _parallel_map(lambda check: list(select(store, check.query, use_default_graph_as_union=True)), checks)
    for check, rows in zip(checks, rows_of, strict=True):
        for row in rows:
            node = row["node"]
            problem = row["problem"]
            problems.append(
                Problem(
                    node=shorten(node.value) if isinstance(node, ox.NamedNode) else str(node.value),
                    path="",
                    rule=f"check {check.name}",
                    message=problem.value if problem is not None else check.description,
                )
            )
    return problems


# ---------------------------------------------------------------- SHACL as SPARQL, for large graphs
#
# pySHACL works on an rdflib graph and grows faster than linearly: 7 s on 10^4 triples of the
# synthetic corpus, minutes on 10^5 (see docs/benchmarks.md). For large graphs the build compiles
# the same shapes into SPARQL queries that Oxigraph runs over the data graphs: one query per
# constraint (https://www.w3.org/TR/shacl/#core-components), each naming the node, the path and the
# rule exactly as pySHACL's report would. Shapes that use something this compiler does not know
# raise ``ShaclUnsupported``, and the caller falls back to pySHACL.

PYSHACL_LIMIT = 5_000  # data triples (the essay has about 2,000); above this the build uses shacl_sparql


class ShaclUnsupported(Exception):
    """The shapes use a SHACL feature that shacl_sparql does not compile."""


class _ShapesGraph:
    def __init__(self, triples):
        self.store = ox.Store()
        self.store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in triples)

    def objects(self, s, p: str) -> list:
        return sorted((q.object for q in self.store.quads_for_pattern(s, ox.NamedNode(p), None)), key=str)

    def value(self, s, p: str):
        objects = self.objects(s, p)
        return objects[0] if objects else None

    def subjects(self, p: str, o) -> list:
        return sorted((q.subject for q in self.store.quads_for_pattern(None, ox.NamedNode(p), o)), key=str)

    def items(self, head) -> list:
        out = []
        while head is not None and head != ox.NamedNode(RDF_NS + "nil"):
            first = self.value(head, RDF_NS + "first")
            if first is None:
                raise ShaclUnsupported("a malformed RDF list in the shapes")
            out.append(first)
            head = self.value(head, RDF_NS + "rest")
        return out


def _nt(term) -> str:
    if isinstance(term, ox.BlankNode):
        raise ShaclUnsupported("a blank node used as a constant in a shape")
    return str(term)


# Only the constraint components ontology/shapes.ttl uses are compiled (each is compared with pySHACL
# in tests/build/test_validate.py); any other sh: parameter raises ShaclUnsupported and pySHACL runs instead.
# value-level parameters: each is one constraint component tested on a single value node
_VALUE_PARAMS = (
    "class",
    "datatype",
    "nodeKind",
    "minLength",
    "pattern",
    "in",
    "hasValue",
    "minInclusive",
    "or",
    "not",
    "node",
)
_KNOWN = set(_VALUE_PARAMS) | {
    "targetClass",
    "targetSubjectsOf",
    "property",
    "path",
    "minCount",
    "maxCount",
    "qualifiedValueShape",
    "qualifiedMinCount",
    "qualifiedMaxCount",
    "lessThan",
    "message",
}
_COMPONENT = {
    "class": "Class",
    "datatype": "Datatype",
    "nodeKind": "NodeKind",
    "minLength": "MinLength",
    "pattern": "Pattern",
    "in": "In",
    "hasValue": "HasValue",
    "minInclusive": "MinInclusive",
    "or": "Or",
    "not": "Not",
    "node": "Node",
    "minCount": "MinCount",
    "maxCount": "MaxCount",
    "lessThan": "LessThan",
    "qualifiedMinCount": "QualifiedMinCount",
    "qualifiedMaxCount": "QualifiedMaxCount",
}
_NODE_KINDS = {"IRI": "isIRI({v})", "Literal": "isLiteral({v})"}


def _count(arg, allowed: tuple[int, ...], what: str) -> int:
    n = int(arg.value)
    if n not in allowed:
        raise ShaclUnsupported(f"{what} {n}")
    return n


class _Compiler:
    """Turns shapes into SPARQL: expressions for 'this value conforms', queries for violations."""

    def __init__(self, shapes: _ShapesGraph, subclasses: bool):
        self.g = shapes
        self.type_path = f"<{RDF_NS}type>/<{RDFS_NS}subClassOf>*" if subclasses else f"<{RDF_NS}type>"
        self.fresh = 0

    def var(self) -> str:
        self.fresh += 1
        return f"?_v{self.fresh}"

    def params(self, shape) -> dict[str, list]:
        out: dict[str, list] = {}
        for quad in self.g.store.quads_for_pattern(shape, None, None):
            p = quad.predicate.value
            if p.startswith(SH):
                out.setdefault(p[len(SH) :], []).append(quad.object)
        for values in out.values():
            values.sort(key=str)
        return out

    def path(self, shape) -> ox.NamedNode:
        path = self.g.value(shape, SH + "path")
        if not isinstance(path, ox.NamedNode):
            raise ShaclUnsupported("a property path other than a single IRI")
        return path

    # -- one value node
    def value_test(self, name: str, arg, v: str) -> str:
        if name == "class":
            return f"EXISTS {{ {v} {self.type_path} {_nt(arg)} }}"
        if name == "datatype":
            return f"(isLiteral({v}) && sameTerm(DATATYPE({v}), {_nt(arg)}))"
        if name == "nodeKind":
            kind = _NODE_KINDS.get(arg.value[len(SH) :])
            if kind is None:
                raise ShaclUnsupported(f"sh:nodeKind {arg}")
            return kind.format(v=v)
        if name == "minLength":
            return f"(!isBlank({v}) && STRLEN(STR({v})) >= {int(arg.value)})"
        if name == "pattern":
            return f"(!isBlank({v}) && REGEX(STR({v}), {_nt(ox.Literal(arg.value))}))"
        if name == "in":
            members = self.g.items(arg)
            return "(" + (" || ".join(f"sameTerm({v}, {_nt(m)})" for m in members) or "false") + ")"
        if name == "hasValue":
            return f"sameTerm({v}, {_nt(arg)})"
        if name == "minInclusive":
            return f"({v} >= {_nt(arg)})"
        if name == "or":
            return "(" + (" || ".join(self.conforms(s, v) for s in self.g.items(arg)) or "false") + ")"
        if name == "not":
            return f"(!{self.conforms(arg, v)})"
        return self.conforms(arg, v)  # sh:node

    def conforms(self, shape, v: str) -> str:
        """A SPARQL expression: ``v`` conforms to ``shape`` (all its constraints, its property shapes)."""
        params = self.params(shape)
        if "path" in params:  # a property shape used as a whole (inside sh:or, sh:not...): its
            return self.property_conforms(shape, v)  # constraints are on the path's values, not on v
        parts = [self.value_test(n, a, v) for n in _VALUE_PARAMS for a in params.get(n, [])]
        parts += [self.property_conforms(ps, v) for ps in params.get("property", [])]
        return "(" + (" && ".join(f"COALESCE({p}, false)" for p in parts) or "true") + ")"

    def property_conforms(self, ps, focus: str) -> str:
        """A nested property shape: the shapes use sh:minCount 1 and sh:hasValue there, nothing else."""
        params = self.params(ps)
        p = _nt(self.path(ps))
        unsupported = sorted(set(params) - {"path", "minCount", "hasValue"})
        if unsupported:
            raise ShaclUnsupported(f"a nested sh:{unsupported[0]}")
        parts = [
            f"EXISTS {{ {focus} {p} {self.var()} }}"
            for arg in params.get("minCount", [])
            if _count(arg, (1,), "a nested sh:minCount")
        ]
        parts += [f"EXISTS {{ {focus} {p} {_nt(arg)} }}" for arg in params.get("hasValue", [])]
        return "(" + (" && ".join(parts) or "true") + ")"

    # -- targets and violations
    def focus(self, params: dict) -> str:
        parts = []
        classes = params.get("targetClass", [])
        if classes:
            parts.append(
                f"{{ VALUES ?_class {{ {' '.join(_nt(c) for c in classes)} }} ?focus {self.type_path} ?_class }}"
            )
        for p in params.get("targetSubjectsOf", []):
            parts.append(f"{{ ?focus {_nt(p)} ?_o }}")
        # no DISTINCT here: every query over the focus nodes is DISTINCT or counts DISTINCT values
        return "{ " + " UNION ".join(parts) + " }"

    def plans(self, shape) -> list[_Plan]:
        """One plan per constraint of a target shape: its node-level constraints and its property shapes'."""
        params = self.params(shape)
        if "path" in params:
            raise ShaclUnsupported("a property shape with a target")
        out = []
        for name in _VALUE_PARAMS:
            for arg in params.get(name, []):
                test = self.value_test(name, arg, "?focus")
                out.append(_Plan(name, arg, shape, None, f"FILTER(!COALESCE({test}, false))"))
        for ps in params.get("property", []):
            out.extend(self.property_plans(ps))
        return out

    def property_plans(self, ps) -> list[_Plan]:
        params = self.params(ps)
        path = self.path(ps)
        p = _nt(path)
        out = []
        for arg in params.get("minCount", []):
            _count(arg, (1,), "sh:minCount")
            out.append(_Plan("minCount", arg, ps, path, f"FILTER NOT EXISTS {{ ?focus {p} ?_x }}"))
        for arg in params.get("maxCount", []):
            _count(arg, (1,), "sh:maxCount")
            out.append(_Plan("maxCount", arg, ps, path, f"?focus {p} ?_a, ?_b FILTER(!sameTerm(?_a, ?_b))"))
        for arg in params.get("hasValue", []):
            out.append(_Plan("hasValue", arg, ps, path, f"FILTER NOT EXISTS {{ ?focus {p} {_nt(arg)} }}"))
        for name in _VALUE_PARAMS:
            if name == "hasValue":
                continue
            for arg in params.get(name, []):
                test = self.value_test(name, arg, "?value")
                out.append(
                    _Plan(name, arg, ps, path, f"?focus {p} ?value FILTER(!COALESCE({test}, false))", value=True)
                )
        if "qualifiedValueShape" in params:
            test = self.conforms(params["qualifiedValueShape"][0], "?_x")
            body = f"OPTIONAL {{ ?focus {p} ?_x FILTER(COALESCE({test}, false)) }}"
            for bound, op in (("qualifiedMinCount", "<"), ("qualifiedMaxCount", ">")):
                for arg in params.get(bound, []):
                    out.append(
                        _Plan(
                            bound,
                            arg,
                            ps,
                            path,
                            body,
                            f"GROUP BY ?focus HAVING (COUNT(DISTINCT ?_x) {op} {int(arg.value)})",
                        )
                    )
        for arg in params.get("lessThan", []):
            out.append(
                _Plan(
                    "lessThan",
                    arg,
                    ps,
                    path,
                    f"?focus {p} ?value . ?focus {_nt(arg)} ?_o FILTER(!COALESCE(?value < ?_o, false))",
                    value=True,
                )
            )
        if "property" in params:
            raise ShaclUnsupported("sh:property inside a property shape")
        return out


@dataclass(frozen=True)
class _Plan:
    """One constraint as a SPARQL pattern over ``?focus`` (and ``?value`` when it reports one)."""

    name: str
    arg: object
    source: object
    path: ox.NamedNode | None
    body: str
    tail: str = ""
    value: bool = False

    def query(self, focus: str) -> str:
        head = "SELECT DISTINCT ?focus ?value" if self.value else "SELECT DISTINCT ?focus"
        if self.tail:
            head = "SELECT ?focus"
        return f"{head} WHERE {{ {focus} {self.body} }} {self.tail}"

    def branch(self, focus: str) -> str:
        """This constraint as one branch of a UNION joined with ``focus`` (a pattern that is only a
        FILTER needs ``?focus`` bound inside its own group, so it carries the focus pattern along)."""
        if self.tail:
            return f"{{ SELECT ?focus WHERE {{ {focus} {self.body} }} {self.tail} }}"
        if self.body.startswith("FILTER"):
            return f"{{ {focus} {self.body} }}"
        return f"{{ {self.body} }}"


def _default_message(name: str, arg, focus: str, path: str | None) -> str:
    """pySHACL's wording for the components where it is short; the shapes give sh:message for the
    others (sh:or, sh:not, sh:lessThan, sh:qualified...), which get a plain 'does not satisfy'."""
    where = f"{focus}->{path}" if path else focus
    # a blank node's label is drawn at random: named by what it is, so messages are the same every run
    short = arg.value if isinstance(arg, ox.Literal) else _describe_ox(arg)
    if isinstance(arg, ox.Literal) and arg.datatype.value.startswith(XSD):
        number = f'Literal("{arg.value}", datatype=xsd:{arg.datatype.value[len(XSD) :]})'  # as pySHACL prints it
    else:
        number = short
    return {
        "minCount": f"Less than {short} values on {where}",
        "maxCount": f"More than {short} values on {where}",
        "class": f"Value does not have class {short}",
        "datatype": f"Value is not Literal with datatype {short}",
        "nodeKind": f"Value is not of Node Kind {short}",
        "minLength": f"String length not >= {number}",
        "minInclusive": f"Value is not >= {number}",
        "pattern": f"Value does not match pattern '{short}'",
        "hasValue": f"Node {where} does not contain a value in the set: ['{arg}']",
        "node": f"Value does not conform to Shape {short}. See details for more information.",
    }.get(name, f"Value does not satisfy sh:{name}" + ("" if isinstance(arg, ox.BlankNode) else f" {short}"))


def shacl_sparql(store: ox.Store, graphs, shape_triples) -> list[Problem]:
    """Validate the union of ``graphs`` (graphs of ``store``; None: all of them) against the shapes,
    in SPARQL. (Oxigraph runs these queries about twice as fast over the union of all graphs as over
    a list of graphs: the build takes the graphs it does not validate out of the store first.)

    The same Problems as :func:`shacl` (node, path and rule; the shape's sh:message, or a default
    message where it has none), sorted. Raises ShaclUnsupported for shapes it cannot compile.
    Each target shape is first screened by one query for the focus nodes that break any of its
    constraints; only those are then checked constraint by constraint, to name what is wrong.
    """
    shapes = _ShapesGraph(shape_triples)
    for quad in shapes.store:  # anything else (a target, a component) is left to pySHACL
        if quad.predicate.value.startswith(SH) and quad.predicate.value[len(SH) :] not in _KNOWN:
            raise ShaclUnsupported(shorten(quad.predicate.value))
    if graphs is None:
        dataset: QueryOptions = {"use_default_graph_as_union": True}
    else:
        graphs = sorted(graphs, key=str)
        if not graphs:
            return []
        dataset = {"default_graph": graphs}
    subclasses = store.query(f"ASK {{ ?a <{RDFS_NS}subClassOf> ?b }}", **dataset)
    compiler = _Compiler(shapes, bool(subclasses))
    targets: set[ox.NamedNode | ox.BlankNode | ox.Triple] = set()
    for name in ("targetClass", "targetSubjectsOf"):
        targets.update(q.subject for q in shapes.store.quads_for_pattern(None, ox.NamedNode(SH + name), None))
    shaped = []  # (focus pattern, plans): compile everything before running anything
    for shape in sorted(targets, key=str):
        plans = compiler.plans(shape)
        if plans:
            shaped.append((compiler.focus(compiler.params(shape)), plans))

    def screen(item) -> list:
        focus, plans = item
        query = f"SELECT DISTINCT ?focus WHERE {{ {focus} " + " UNION ".join(p.branch(focus) for p in plans) + " }"
        return sorted((row["focus"] for row in select(store, query, **dataset)), key=str)

    # Screen every target shape, in parallel (Oxigraph releases the GIL while it evaluates): which
    # focus nodes break anything at all? Then name what is wrong with those only.
    # todo: (focus pattern, plans, repeat counts for sh:detail results or None, suspects)
    todo = [
        (focus, plans, None, suspects)
        for (focus, plans), suspects in zip(shaped, _parallel_map(screen, shaped), strict=True)
    ]
    problems: list[Problem] = []
    while todo:
        focus, plans, repeat, suspects = todo.pop(0)
        if repeat is None:
            if not suspects:
                continue
            if any(isinstance(n, ox.BlankNode) for n in suspects):
                suspects_focus = focus  # blank nodes cannot be named in VALUES: check every target
            else:
                suspects_focus = "{ VALUES ?focus { " + " ".join(_nt(n) for n in suspects) + " } }"
        else:
            suspects_focus = focus
        for plan in plans:
            problems.extend(_run_plan(store, dataset, shapes, compiler, plan, suspects_focus, repeat, todo))
    return sorted(problems, key=lambda p: (p.node, p.path, p.rule, p.message))


def _run_plan(store, dataset: QueryOptions, shapes, compiler, plan: _Plan, focus: str, repeat, todo) -> list[Problem]:
    component = "sh:" + _COMPONENT[plan.name] + "ConstraintComponent"
    owner = plan.source
    if isinstance(owner, ox.BlankNode):  # a property shape inside a named node shape: name that one
        parents = shapes.subjects(SH + "property", owner)
        owner = parents[0] if parents else owner
    rule = component + (f" in {shorten(owner.value)}" if isinstance(owner, ox.NamedNode) else "")
    message = shapes.value(plan.source, SH + "message")
    path_text = shorten(plan.path.value) if plan.path is not None else ""
    problems, failed = [], []
    for row in select(store, plan.query(focus), **dataset):
        focus_node = row["focus"]
        node = _describe_ox(focus_node)
        text = message.value if message is not None else _default_message(plan.name, plan.arg, node, path_text or None)
        value = row["value"] if plan.value else (focus_node if plan.path is None else None)
        if value is not None and value != focus_node:
            text += f" (value: {_describe_ox(value)})"
        times = repeat.get(focus_node, 1) if repeat else 1
        problems.extend([Problem(node=node, path=path_text, rule=rule, message=text)] * times)
        failed.extend([value] * times)
    if plan.name == "node" and failed:
        # pySHACL also reports why each failing value fails the nested shape (sh:detail results)
        counts: dict = {}
        for v in failed:
            if v is not None and not isinstance(v, ox.BlankNode):
                counts[v] = counts.get(v, 0) + 1
        if counts:
            nested = "{ VALUES ?focus { " + " ".join(_nt(n) for n in sorted(counts, key=str)) + " } }"
            todo.insert(0, (nested, compiler.plans(plan.arg), counts, None))
    return problems


def _describe_ox(term) -> str:
    if isinstance(term, ox.NamedNode):
        return shorten(term.value)
    if isinstance(term, ox.BlankNode):
        return "a blank node"
    return repr(term.value)
