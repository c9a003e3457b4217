"""Broken sources fail the build with the right message, and write nothing.

Each file in tests/fixtures/broken/ carries its own expected message on a `# expect:` line; it is
added to a copy of the sources (a .trig into graph/, a .ttl into ontology/) and the build must fail
with that message.
"""
from __future__ import annotations

import shutil
import threading
from pathlib import Path
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
from _golden import FIXTURES

from essaykg import namespaces
from essaykg.build import pipeline, validate
from essaykg.build.load import ONTOLOGY_GRAPH, LoadError, load_sources, materialize_symmetric, store_of

BROKEN = FIXTURES / "broken"
CASES = sorted(BROKEN.glob("*.t*"))


def expected_message(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect: "):
            return line[len("# expect: "):]
    raise AssertionError(f"{path.name} has no '# expect:' line")


def test_every_broken_case_is_collected():
    assert len(CASES) == 18, [p.name for p in CASES]


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_broken_source_fails_with_its_message(case, sources_copy, source_path):
    target_dir = sources_copy.ontology_dir if case.suffix == ".ttl" else sources_copy.graph_dir
    shutil.copy(case, target_dir / case.name)
    with pytest.raises((pipeline.BuildError, LoadError)) as failure:
        pipeline.build(source_path, sources_copy.out_dir, graph_dir=sources_copy.graph_dir,
                       ontology_dir=sources_copy.ontology_dir, log=lambda _m: None)
    assert expected_message(case) in str(failure.value)
    assert not sources_copy.out_dir.exists()


def test_real_graph_conforms_and_passes_every_check(built):
    # The build raises on any problem; this asserts what it ran.
    assert built.summary["essays"]["her-2023"]["verified"] is True
    assert all(check.description for check in validate.load_checks())


# ------------------------------------------------------------------ every quality check, one broken fixture each
#
# Each fixture is added to the real sources (TriG into the data, Turtle into the ontology graph) and
# the checks run as the build runs them: it must trip its own check and no other, naming the node.

PREFIXES = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in namespaces.PREFIXES.items())


def _fixture(name: str) -> str:
    return (BROKEN / name).read_text(encoding="utf-8")


CHECK_CASES = {
    # check name: (fixture text, format, offending node)
    "anchor-unused": (
        "hg:essay { anchor:test-unused a oa:SpecificResource ; oa:hasSource her:essay ; dcterms:isPartOf para:2 . }",
        "trig", "anchor:test-unused"),
    "argument-self-link": (
        "hg:essay { claim:her-came-first ekg:supports claim:her-came-first . }", "trig", "claim:her-came-first"),
    "assertion-graph-mismatch": (
        "hg:essay { claim:her-came-first ekg:assertion assertion:test-empty . }\n"
        "assertion:test-stray { id:her-film ekg:anticipates theme:technology-and-ai . }",
        "trig", "assertion:test-empty assertion:test-stray"),
    "assertion-unknown-term": (
        "assertion:her-came-first { id:her-film ekg:anticipates theme:technolgy-and-ai . }",
        "trig", "theme:technolgy-and-ai"),
    "blank-node": ("kg:entities { [] a schema:Person ; schema:name \"Nobody\" . }", "trig",
                   "https://w3id.org/essay-kg/graph/entities"),
    "claim-not-reaching-thesis": (_fixture("claim-not-reaching-thesis.trig"), "trig",
                                  "claim:test-island-a claim:test-island-b"),
    # an orphan reaches no thesis either: the one case that trips two checks
    "claim-without-argument-link": (_fixture("claim-without-argument-link.trig"), "trig", "claim:test-orphan"),
    "entity-without-type": (_fixture("entity-without-type.trig"), "trig", "id:nobody"),
    "minted-term-undocumented": (_fixture("minted-term-undocumented.ttl"), "ttl", "ekg:testProperty"),
    "paragraph-not-covered": (
        "hg:essay { para:99 a ekg:Paragraph ; rdfs:label \"Paragraph 99\"@en ; schema:position 99 . }",
        "trig", "para:99"),
    "quotation-text-mismatch": (_fixture("quotation-text-mismatch.trig"), "trig", "quotation:test-mismatch"),
    "theme-unused": (_fixture("theme-unused.trig"), "trig", "theme:test-unused"),
    "undefined-term": (_fixture("typo-term.trig"), "trig", "schema:nmae"),
}


@pytest.fixture(scope="module")
def real_sources():
    return load_sources()


def checks_over(sources, extra: str = "", fmt: str = "trig") -> list:
    """The quality checks' problems over the real sources plus ``extra``, as the build runs them."""
    data = store_of(sources.data)
    ontology = list(sources.ontology)
    if extra and fmt == "trig":
        data.load(PREFIXES + extra, format=ox.RdfFormat.TRIG, base_iri=namespaces.BASE)
    elif extra:
        ontology += [ox.Quad(t.subject, t.predicate, t.object, ONTOLOGY_GRAPH)
                     for t in ox.parse(PREFIXES + extra, format=ox.RdfFormat.TURTLE, base_iri=namespaces.BASE)]
    materialize_symmetric(data, ontology)
    return pipeline._run_checks(data, SimpleNamespace(data=data, ontology=ontology), validate.load_checks())


def test_every_check_has_a_broken_fixture():
    assert sorted(CHECK_CASES) == sorted(check.name for check in validate.load_checks())


def test_the_real_sources_pass_every_check(real_sources):
    assert checks_over(real_sources) == []


@pytest.mark.parametrize("name", sorted(CHECK_CASES))
def test_broken_fixture_trips_its_check_only(name, real_sources):
    extra, fmt, nodes = CHECK_CASES[name]
    problems = checks_over(real_sources, extra, fmt)
    also = {"claim-without-argument-link": {"check claim-not-reaching-thesis"}}.get(name, set())
    assert {p.rule for p in problems} == {f"check {name}"} | also, [str(p) for p in problems]
    assert sorted({p.node for p in problems if p.rule == f"check {name}"}) == nodes.split()
    description = next(c.description for c in validate.load_checks() if c.name == name)
    assert all(p.message and p.message != description for p in problems)  # each check says why


def test_shacl_message_names_node_path_and_rule(sources_copy, source_path):
    shutil.copy(BROKEN / "claim-without-evidence.trig", sources_copy.graph_dir)
    with pytest.raises(pipeline.BuildError) as failure:
        pipeline.build(source_path, sources_copy.out_dir, graph_dir=sources_copy.graph_dir,
                       ontology_dir=sources_copy.ontology_dir, log=lambda _m: None)
    line = next(l for l in str(failure.value).splitlines() if "test-no-evidence" in l)
    assert line.strip() == (
        "claim:test-no-evidence ekg:evidence: needs at least one evidence anchor "
        "(ekg:evidence, an oa:SpecificResource) [sh:MinCountConstraintComponent in ekgsh:Evidence]"
    )


def test_shapes_are_valid_shacl():
    """The shapes graph itself validates against the SHACL-for-SHACL shapes (pySHACL's meta-shacl)."""
    from pyshacl import validate as shacl_validate

    from essaykg.build.load import load_sources

    sources = load_sources()
    shapes = validate.to_rdflib(sources.shapes)
    data = validate.to_rdflib([])
    conforms, _graph, text = shacl_validate(data, shacl_graph=shapes, meta_shacl=True)
    assert conforms, text


def test_an_argument_link_kind_the_reach_check_does_not_follow_is_named(real_sources):
    problems = checks_over(real_sources, (
        "ekg:testLink a owl:ObjectProperty ; rdfs:subPropertyOf ekg:supports ; rdfs:label \"test link\"@en ;\n"
        "    rdfs:comment \"A kind of support.\"@en ; rdfs:domain schema:Claim ; rdfs:range schema:Claim ."), "ttl")
    assert [str(p) for p in problems] == [
        "ekg:testLink: is an argument-link kind that ontology/checks/claim-not-reaching-thesis.rq does not know: "
        "add it to the path, or say why it is not followed [check claim-not-reaching-thesis]"]


def test_a_claim_reaching_the_conclusion_through_a_chain_passes(real_sources):
    chain = _fixture("claim-not-reaching-thesis.trig").replace(
        "ekg:contrastsWith claim:limits-to-connection", "ekg:qualifies claim:limits-to-connection")
    assert checks_over(real_sources, chain) == []


# ------------------------------------------------------------------ the shapes as SPARQL agree with pySHACL
#
# shacl_sparql compiles only the constraint components ontology/shapes.ttl uses. For each, a graph
# that breaks it and one that does not: both engines must name the same focus nodes, paths and
# constraints (the default messages, for shapes without sh:message, are worded differently), and the
# broken one must give a Problem of that component.

SHAPE_PREFIXES = """@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix ex: <http://example.org/> .
"""


def _prop(constraints: str) -> str:
    return f"ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ex:p ; {constraints} ] ."


COMPONENT_CASES = [
    # (id, shapes, broken data, conforming data, expected component of the broken data)
    ("class", _prop("sh:class ex:C"), "ex:a a ex:T ; ex:p ex:b .",
     "ex:a a ex:T ; ex:p ex:b . ex:b a ex:C .", "Class"),
    ("class-by-subclass", _prop("sh:class ex:C"), "ex:a a ex:T ; ex:p ex:b . ex:b a ex:D .",
     "ex:a a ex:T ; ex:p ex:b . ex:b a ex:D . ex:D rdfs:subClassOf ex:C .", "Class"),
    ("target-by-subclass", _prop("sh:minCount 1"), "ex:a a ex:U . ex:U rdfs:subClassOf ex:T .",
     "ex:a a ex:U ; ex:p 1 . ex:U rdfs:subClassOf ex:T .", "MinCount"),
    ("datatype", _prop("sh:datatype xsd:integer"), 'ex:a a ex:T ; ex:p "x" .', "ex:a a ex:T ; ex:p 3 .",
     "Datatype"),
    ("nodeKind-IRI", _prop("sh:nodeKind sh:IRI"), 'ex:a a ex:T ; ex:p "x" .', "ex:a a ex:T ; ex:p ex:b .",
     "NodeKind"),
    ("nodeKind-Literal", _prop("sh:nodeKind sh:Literal"), "ex:a a ex:T ; ex:p ex:b .",
     'ex:a a ex:T ; ex:p "x" .', "NodeKind"),
    ("minLength", _prop("sh:minLength 2"), 'ex:a a ex:T ; ex:p "a" .', 'ex:a a ex:T ; ex:p "ab" .', "MinLength"),
    ("pattern", _prop('sh:pattern "^a+$"'), 'ex:a a ex:T ; ex:p "ba", "aa" .', 'ex:a a ex:T ; ex:p "aa" .',
     "Pattern"),
    ("in", _prop("sh:in ( ex:x ex:y )"), "ex:a a ex:T ; ex:p ex:z .", "ex:a a ex:T ; ex:p ex:y .", "In"),
    ("hasValue", _prop("sh:hasValue ex:x"), "ex:a a ex:T ; ex:p ex:y .", "ex:a a ex:T ; ex:p ex:y, ex:x .",
     "HasValue"),
    ("minInclusive", _prop("sh:minInclusive 1"), "ex:a a ex:T ; ex:p 0 .", "ex:a a ex:T ; ex:p 1 .",
     "MinInclusive"),
    ("or", _prop("sh:or ( [ sh:datatype xsd:string ] [ sh:class ex:C ] )"), "ex:a a ex:T ; ex:p 3, ex:b .",
     'ex:a a ex:T ; ex:p "s", ex:c . ex:c a ex:C .', "Or"),
    ("or-of-property-shapes",
     "ex:S a sh:NodeShape ; sh:targetClass ex:T ; "
     "sh:or ( [ sh:path ex:p ; sh:minCount 1 ] [ sh:path ex:q ; sh:minCount 1 ] ) .",
     "ex:a a ex:T ; ex:r 1 .", "ex:a a ex:T ; ex:q 1 . ex:b a ex:T ; ex:p 1 .", "Or"),
    ("not", _prop("sh:not [ sh:path ex:q ; sh:minCount 1 ]"), "ex:a a ex:T ; ex:p ex:b . ex:b ex:q 1 .",
     "ex:a a ex:T ; ex:p ex:b . ex:b ex:r 1 .", "Not"),
    ("not-of-two-constraints", _prop("sh:not [ sh:path ex:q ; sh:minCount 1 ; sh:hasValue ex:x ]"),
     "ex:a a ex:T ; ex:p ex:b . ex:b ex:q ex:x .", "ex:a a ex:T ; ex:p ex:b, ex:c . ex:b ex:q ex:y .", "Not"),
    ("node", _prop("sh:node ex:N") + " ex:N a sh:NodeShape ; sh:class ex:C ; "
     "sh:property [ sh:path ex:q ; sh:hasValue ex:x ] .",
     "ex:a a ex:T ; ex:p ex:b, ex:c . ex:b a ex:C ; ex:q ex:y . ex:c ex:q ex:x .",
     "ex:a a ex:T ; ex:p ex:b . ex:b a ex:C ; ex:q ex:y, ex:x .", "Node"),
    ("node-blank", _prop("sh:node [ sh:class ex:C ]"), "ex:a a ex:T ; ex:p ex:b .",
     "ex:a a ex:T ; ex:p ex:b . ex:b a ex:C .", "Node*"),  # *: pySHACL writes the blank shape out
    ("property-shape-also-the-object-of-another-triple",
     "ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property _:ps . _:ps sh:path ex:p ; sh:minCount 1 . "
     "ex:A ex:about _:ps .", "ex:a a ex:T .", "ex:a a ex:T ; ex:p 1 .", "MinCount"),
    ("node-level-node-shared-value",  # the same failing value under two focus nodes: its details twice
     _prop("sh:node ex:N") + " ex:N a sh:NodeShape ; sh:class ex:C . "
     "ex:S2 a sh:NodeShape ; sh:targetClass ex:U ; sh:node [ sh:class ex:C ] .",
     "ex:a a ex:T ; ex:p ex:b . ex:a2 a ex:T ; ex:p ex:b . ex:u a ex:U .",
     "ex:a a ex:T ; ex:p ex:b . ex:a2 a ex:T ; ex:p ex:b . ex:b a ex:C . ex:u a ex:U, ex:C .", "Node*"),
    ("minCount", _prop("sh:minCount 1"), "ex:a a ex:T .", "ex:a a ex:T ; ex:p 1 .", "MinCount"),
    ("maxCount", _prop("sh:maxCount 1"), "ex:a a ex:T ; ex:p 1, 2 .", "ex:a a ex:T ; ex:p 1 .", "MaxCount"),
    ("lessThan", _prop("sh:lessThan ex:end"), "ex:a a ex:T ; ex:p 5 ; ex:end 3 .",
     "ex:a a ex:T ; ex:p 3 ; ex:end 5 .", "LessThan"),
    ("lessThan-equal", _prop("sh:lessThan ex:end"), "ex:a a ex:T ; ex:p 5 ; ex:end 5 .",
     "ex:a a ex:T ; ex:p 4 ; ex:end 5 .", "LessThan"),
    ("qualifiedMinCount", _prop("sh:qualifiedValueShape [ sh:class ex:C ] ; sh:qualifiedMinCount 1"),
     "ex:a a ex:T ; ex:p ex:b .", "ex:a a ex:T ; ex:p ex:b, ex:c . ex:c a ex:C .", "QualifiedMinCount"),
    ("qualifiedMaxCount", _prop("sh:qualifiedValueShape [ sh:class ex:C ] ; sh:qualifiedMaxCount 1"),
     "ex:a a ex:T ; ex:p ex:b, ex:c . ex:b a ex:C . ex:c a ex:C .",
     "ex:a a ex:T ; ex:p ex:b, ex:c . ex:c a ex:C .", "QualifiedMaxCount"),
    ("targetSubjectsOf", "ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ; sh:class ex:C .",
     "ex:a ex:p 1 .", "ex:a ex:p 1 ; a ex:C .", "Class"),
    ("node-level-nodeKind", "ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:nodeKind sh:IRI .",
     "[] a ex:T .", "ex:a a ex:T .", "NodeKind"),
    ("message-and-named-property-shape",
     "ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property ex:P . "
     "ex:P a sh:PropertyShape ; sh:path ex:p ; sh:minCount 1 ; sh:message \"needs an ex:p\" .",
     "ex:a a ex:T .", "ex:a a ex:T ; ex:p 1 .", "MinCount"),
]


# components whose default message (a shape without sh:message) is worded differently from pySHACL's:
# the shapes give each of them an sh:message
OWN_WORDS = {"In", "Or", "Not", "LessThan", "QualifiedMinCount", "QualifiedMaxCount"}


def test_a_component_in_own_words_names_itself_and_its_argument():
    by_sparql = _both_engines(_prop("sh:in ( ex:x ex:y )"), "ex:a a ex:T ; ex:p ex:z .")[1]
    assert [p.message for p in by_sparql] == ["Value does not satisfy sh:in (value: <http://example.org/z>)"]
    by_sparql = _both_engines(_prop("sh:lessThan ex:end"), "ex:a a ex:T ; ex:p 5 ; ex:end 3 .")[1]
    assert [p.message for p in by_sparql] == ["Value does not satisfy sh:lessThan <http://example.org/end> (value: '5')"]


def _triples(turtle: str) -> list:
    return [q.triple for q in ox.parse(SHAPE_PREFIXES + turtle, format=ox.RdfFormat.TURTLE)]


def _both_engines(shapes: str, data: str) -> tuple[list, list]:
    shape_triples, data_triples = _triples(shapes), _triples(data)
    graph = ox.NamedNode("http://example.org/g")
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object, graph) for t in data_triples)
    store.add(ox.Quad(ox.NamedNode("http://example.org/other"), ox.NamedNode("http://example.org/p"),
                      ox.Literal("another graph, not validated"), ox.NamedNode("http://example.org/h")))
    return validate.shacl(data_triples, shape_triples), validate.shacl_sparql(store, [graph], shape_triples)


def _named(problems) -> list:
    return [(p.node, p.path, p.rule) for p in problems]


@pytest.mark.parametrize("shapes, broken, conforming, component",
                         [case[1:] for case in COMPONENT_CASES], ids=[case[0] for case in COMPONENT_CASES])
def test_shapes_as_sparql_agree_with_pyshacl(shapes, broken, conforming, component):
    by_pyshacl, by_sparql = _both_engines(shapes, broken)
    assert _named(by_sparql) == _named(by_pyshacl)
    if component not in OWN_WORDS and not component.endswith("*"):  # where pySHACL's words are short: the same
        assert by_sparql == by_pyshacl
    component = component.rstrip("*")
    assert any(p.rule.startswith(f"sh:{component}ConstraintComponent in ") for p in by_pyshacl)
    assert _both_engines(shapes, conforming) == ([], [])


def test_agreement_reports_node_path_rule_and_message():
    by_pyshacl, by_sparql = _both_engines(COMPONENT_CASES[-1][1], COMPONENT_CASES[-1][2])
    assert [str(p) for p in by_sparql] == [str(p) for p in by_pyshacl] == [
        "<http://example.org/a> <http://example.org/p>: needs an ex:p "
        "[sh:MinCountConstraintComponent in <http://example.org/P>]"]


@pytest.mark.parametrize("shapes", [
    _prop("sh:maxLength 2"), _prop("sh:languageIn ( \"en\" )"), _prop("sh:uniqueLang true"),
    _prop("sh:equals ex:q"), _prop("sh:disjoint ex:q"), _prop("sh:lessThanOrEquals ex:q"),
    _prop("sh:maxExclusive 2"), _prop("sh:and ( [ sh:class ex:C ] )"), _prop("sh:xone ( [ sh:class ex:C ] )"),
    _prop('sh:pattern "a" ; sh:flags "i"'), _prop("sh:nodeKind sh:BlankNode"), _prop("sh:minCount 2"),
    _prop("sh:maxCount 2"), _prop("sh:maxCount 0"), _prop("sh:minCount 0"), _prop("sh:deactivated true"),
    _prop("sh:not [ sh:path ex:q ; sh:minCount 0 ]"), _prop("sh:or ( [ sh:path ex:q ; sh:minCount 1 ; sh:message \"m\" ] )"),
    _prop("sh:or ( [ sh:path ex:q ; sh:maxCount 1 ] )"), _prop("sh:not [ sh:path ex:q ; sh:minCount 2 ]"),
    _prop("sh:property [ sh:path ex:q ; sh:minCount 1 ]"), _prop("sh:class [ a ex:C ]"),
    "ex:S a sh:NodeShape ; sh:targetNode ex:a ; sh:class ex:C .",
    "ex:S a sh:NodeShape ; sh:targetObjectsOf ex:p ; sh:class ex:C .",
    "ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ( ex:p ex:q ) ; sh:minCount 1 ] .",
    "ex:S a sh:PropertyShape ; sh:targetClass ex:T ; sh:path ex:p ; sh:minCount 1 .",
    "ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:in ex:L . ex:L rdf:rest rdf:nil .",
], ids=lambda s: s.split(";", 1)[-1][:40])
def test_components_the_shapes_do_not_use_are_left_to_pyshacl(shapes):
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph())
                 for t in _triples("ex:a a ex:T ; ex:p ex:b . ex:b ex:q 1 ."))
    with pytest.raises(validate.ShaclUnsupported):
        validate.shacl_sparql(store, None, _triples(shapes))


def test_a_malformed_list_in_the_shapes_is_named():
    store = ox.Store()
    with pytest.raises(validate.ShaclUnsupported, match="^a malformed RDF list in the shapes$"):
        validate.shacl_sparql(store, None, _triples(
            "ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:in ex:L . ex:L rdf:rest rdf:nil ."))


def test_the_real_shapes_compile_and_the_real_graph_conforms_in_both_engines(real_sources):
    from essaykg.build import pipeline as p

    graphs = p._view_graphs(real_sources.data)
    assert validate.shacl_sparql(real_sources.data, graphs, real_sources.shapes) == []
    assert validate.shacl(p._data_graph_triples(real_sources.data), real_sources.shapes) == []


# ------------------------------------------------------------------ the pieces of a report

def test_problem_line_names_node_path_message_and_rule():
    assert str(validate.Problem("claim:x", "ekg:evidence", "sh:MinCount", "needs one")) == \
        "claim:x ekg:evidence: needs one [sh:MinCount]"
    assert str(validate.Problem("claim:x", "", "check c", "is wrong")) == "claim:x: is wrong [check c]"


def test_check_reads_its_name_and_first_comment_line(tmp_path):
    (tmp_path / "b-check.rq").write_text("#  Says what it checks.\nSELECT ?node WHERE { ?node ?p ?o }\n",
                                         encoding="utf-8")
    (tmp_path / "a-check.rq").write_text("", encoding="utf-8")
    (tmp_path / "not-a-check.txt").write_text("# no\n", encoding="utf-8")
    checks = validate.load_checks(tmp_path)
    assert [(c.name, c.description) for c in checks] == [("a-check", ""), ("b-check", "Says what it checks.")]
    assert checks[1].query.startswith("#  Says what it checks.\nSELECT")


def test_a_check_without_problem_column_reports_its_description_and_names_any_node():
    store = ox.Store()
    g = ox.NamedNode("http://example.org/g")
    store.add(ox.Quad(ox.NamedNode(namespaces.BASE + "id/x"), ox.NamedNode("http://example.org/p"), ox.Literal("v"), g))
    checks = [validate.Check("object", "An object.", "SELECT ?node WHERE { ?s ?p ?node }"),
              validate.Check("subject", "A subject.", "SELECT ?node ?problem WHERE { ?node ?p ?o BIND('why' AS ?problem) }")]
    assert [str(p) for p in validate.run_checks(store, checks)] == [
        "v: An object. [check object]", "id:x: why [check subject]"]


def test_parallel_map_keeps_the_order():
    assert validate._parallel_map(lambda n: n * n, range(7)) == [0, 1, 4, 9, 16, 25, 36]
    assert validate._parallel_map(lambda n: n + 1, [41]) == [42]


def test_to_rdflib_keeps_languages_datatypes_and_blank_nodes():
    import rdflib

    s, p = ox.BlankNode("b1"), ox.NamedNode("http://example.org/p")
    graph = validate.to_rdflib([ox.Triple(s, p, ox.Literal("chat", language="fr")),
                                ox.Triple(s, p, ox.Literal("3", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer"))),
                                ox.Triple(s, p, ox.NamedNode("http://example.org/o"))])
    assert set(graph) == {
        (rdflib.BNode("b1"), rdflib.URIRef("http://example.org/p"), rdflib.Literal("chat", lang="fr")),
        (rdflib.BNode("b1"), rdflib.URIRef("http://example.org/p"), rdflib.Literal(3)),
        (rdflib.BNode("b1"), rdflib.URIRef("http://example.org/p"), rdflib.URIRef("http://example.org/o")),
    }


def test_shacl_names_a_literal_value_and_a_blank_focus_node():
    shapes = _triples("ex:S a sh:NodeShape ; sh:targetClass ex:T ; "
                      "sh:property [ sh:path ex:p ; sh:nodeKind sh:IRI ; sh:message \"an IRI\" ] .")
    data = _triples('[] a ex:T ; ex:p "lit" .')
    assert [str(p) for p in validate.shacl(data, shapes)] == [
        "a blank node <http://example.org/p>: an IRI (value: 'lit') [sh:NodeKindConstraintComponent in <http://example.org/S>]"]
    store = ox.Store()
    store.extend(ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in data)
    assert [str(p) for p in validate.shacl_sparql(store, None, shapes)] == [str(p) for p in validate.shacl(data, shapes)]


def _concurrency(monkeypatch, cores, cpu_count, items=8) -> tuple[list, int, set]:
    """_parallel_map over ``items`` calls that each wait a moment, with the machine's cores as given
    (``cores`` None: a platform without sched_getaffinity): the results, the most calls at once, the threads."""
    if cores is None:
        monkeypatch.delattr(validate.os, "sched_getaffinity", raising=False)
    else:
        monkeypatch.setattr(validate.os, "sched_getaffinity", lambda pid: set(range(cores)))
    monkeypatch.setattr(validate.os, "cpu_count", lambda: cpu_count)
    lock, state, threads, never = threading.Lock(), {"now": 0, "peak": 0}, set(), threading.Event()

    def call(n):
        with lock:
            state["now"] += 1
            state["peak"] = max(state["peak"], state["now"])
            threads.add(threading.get_ident())
        never.wait(0.05)  # long enough for the other threads of the pool to start theirs
        with lock:
            state["now"] -= 1
        return n * 10

    return validate._parallel_map(call, range(items)), state["peak"], threads


def test_parallel_map_takes_one_thread_a_core_up_to_four(monkeypatch):
    main = threading.get_ident()
    assert _concurrency(monkeypatch, 8, 1)[:2] == ([n * 10 for n in range(8)], 4)
    assert _concurrency(monkeypatch, 3, 1)[1] == 3
    assert _concurrency(monkeypatch, 2, 8)[1] == 2  # the cores this process may use, not the machine's
    result, peak, threads = _concurrency(monkeypatch, 2, 8, items=2)
    assert result == [0, 10] and peak == 2 and main not in threads
    result, peak, threads = _concurrency(monkeypatch, 1, 8)  # one core: in this thread
    assert peak == 1 and threads == {main}
    result, peak, threads = _concurrency(monkeypatch, 4, 8, items=1)  # one item: in this thread
    assert result == [0] and threads == {main}
    assert _concurrency(monkeypatch, 4, 8, items=0)[0] == []
    assert _concurrency(monkeypatch, None, 3)[1] == 3  # no sched_getaffinity: the cores of the machine
    assert _concurrency(monkeypatch, None, 6)[1] == 4
    result, peak, threads = _concurrency(monkeypatch, None, None)  # the number is unknown: one
    assert peak == 1 and threads == {main}



@pytest.mark.parametrize("shapes, message", [
    (_prop("sh:maxLength 2"), "sh:maxLength"),
    (_prop("sh:class [ a ex:C ]"), "a blank node used as a constant in a shape"),
    (_prop("sh:nodeKind sh:BlankNode"), "sh:nodeKind <http://www.w3.org/ns/shacl#BlankNode>"),
    (_prop("sh:minCount 2"), "sh:minCount 2"),
    (_prop("sh:maxCount 0"), "sh:maxCount 0"),
    (_prop("sh:not [ sh:path ex:q ; sh:minCount 2 ]"), "a nested sh:minCount 2"),
    (_prop("sh:or ( [ sh:path ex:q ; sh:maxCount 1 ; sh:class ex:C ] )"), "a nested sh:class"),
    (_prop("sh:property [ sh:path ex:q ; sh:minCount 1 ]"), "sh:property inside a property shape"),
    ("ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property [ sh:path ( ex:p ex:q ) ; sh:minCount 1 ] .",
     "a property path other than a single IRI"),
    ("ex:S a sh:PropertyShape ; sh:targetClass ex:T ; sh:path ex:p ; sh:minCount 1 .", "a property shape with a target"),
])
def test_what_the_compiler_leaves_to_pyshacl_is_named(shapes, message):
    with pytest.raises(validate.ShaclUnsupported) as refused:
        validate.shacl_sparql(ox.Store(), None, _triples(shapes))
    assert str(refused.value) == message


def test_a_nested_property_shape_with_no_constraint_is_met_by_every_node():
    """``sh:not [ sh:path ex:q ]``: every node conforms to the nested shape, so every value breaks sh:not."""
    shapes = _prop("sh:not [ sh:path ex:q ]")
    by_pyshacl, by_sparql = _both_engines(shapes, "ex:a a ex:T ; ex:p ex:b, 1 . ex:c a ex:T .")
    assert _named(by_sparql) == _named(by_pyshacl) == [("<http://example.org/a>", "<http://example.org/p>",
                                                        "sh:NotConstraintComponent in <http://example.org/S>")] * 2
    assert _both_engines(_prop("sh:or ( [ sh:path ex:q ] )"), "ex:a a ex:T ; ex:p ex:b .") == ([], [])
    # a node shape with no constraint at all: every value conforms to it
    empty = " ex:N a sh:NodeShape ."
    assert _both_engines(_prop("sh:node ex:N") + empty, "ex:a a ex:T ; ex:p ex:b .") == ([], [])
    by_pyshacl, by_sparql = _both_engines(_prop("sh:not ex:N") + empty, "ex:a a ex:T ; ex:p ex:b .")
    assert _named(by_sparql) == _named(by_pyshacl) == [("<http://example.org/a>", "<http://example.org/p>",
                                                        "sh:NotConstraintComponent in <http://example.org/S>")]


def test_a_property_shape_shared_by_a_named_and_a_blank_node_shape_is_named_by_the_named_one():
    shapes = ("ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:property _:ps . "
              "[ a sh:NodeShape ; sh:targetClass ex:U ; sh:property _:ps ] . _:ps sh:path ex:p ; sh:minCount 1 .")
    by_pyshacl, by_sparql = _both_engines(shapes, "ex:a a ex:T . ex:u a ex:U .")
    assert by_sparql == by_pyshacl
    assert [(p.node, p.rule) for p in by_sparql] == [
        ("<http://example.org/a>", "sh:MinCountConstraintComponent in <http://example.org/S>"),
        ("<http://example.org/u>", "sh:MinCountConstraintComponent in <http://example.org/S>")]


def test_a_node_level_has_value_names_the_focus_node_alone():
    by_pyshacl, by_sparql = _both_engines("ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:hasValue ex:x .",
                                          "ex:a a ex:T . ex:x a ex:T .")
    assert _named(by_sparql) == _named(by_pyshacl) == [
        ("<http://example.org/a>", "", "sh:HasValueConstraintComponent in <http://example.org/S>")]
    # worded as for a property shape, with no path (pySHACL words the node-level case differently)
    assert [p.message for p in by_sparql] == [
        "Node <http://example.org/a> does not contain a value in the set: ['<http://example.org/x>']"]


def test_check_description_is_the_first_line_without_its_hashes_and_spaces(tmp_path):
    for name, text, description in [
        ("spaces", "#   Says what it checks.   \n# Not this line.\nSELECT ?node WHERE { ?node ?p ?o }\n", "Says what it checks."),
        ("hashes", "## # Two hashes.\n", "Two hashes."),
        ("bare", "No hash at all", "No hash at all"),
        ("query-first", "SELECT ?node WHERE { ?node ?p ?o }\n# a later comment\n", "SELECT ?node WHERE { ?node ?p ?o }"),
    ]:
        (tmp_path / f"{name}.rq").write_text(text, encoding="utf-8")
        check = validate.Check.read(tmp_path / f"{name}.rq")
        assert (check.name, check.description, check.query) == (name, description, text)


def test_an_empty_sh_in_is_met_by_no_value():
    # (an empty sh:or is a malformed shape to pySHACL: ShapeLoadError)
    by_pyshacl, by_sparql = _both_engines(_prop("sh:in ( )"), "ex:a a ex:T ; ex:p ex:b . ex:c a ex:T .")
    assert _named(by_sparql) == _named(by_pyshacl) == [
        ("<http://example.org/a>", "<http://example.org/p>", "sh:InConstraintComponent in <http://example.org/S>")]


def test_shacl_sparql_over_all_graphs_or_a_list_of_graphs_blank_names_included():
    shapes = _triples(_prop("sh:minCount 1"))
    named, blank = ox.NamedNode("http://example.org/g"), ox.BlankNode("g")
    store = ox.Store()
    for focus, graph in (("http://example.org/a", named), ("http://example.org/b", blank)):
        store.add(ox.Quad(ox.NamedNode(focus), ox.NamedNode(validate.RDF_NS + "type"), ox.NamedNode("http://example.org/T"), graph))
    every = validate.shacl_sparql(store, None, shapes)  # None: the union of every graph
    assert [p.node for p in every] == ["<http://example.org/a>", "<http://example.org/b>"]
    assert validate.shacl_sparql(store, [blank, named], shapes) == every
    assert [p.node for p in validate.shacl_sparql(store, [named], shapes)] == ["<http://example.org/a>"]
    assert validate.shacl_sparql(store, [], shapes) == []


def test_two_blank_focus_nodes_breaking_a_shape_are_both_named():
    by_pyshacl, by_sparql = _both_engines("ex:S a sh:NodeShape ; sh:targetClass ex:T ; sh:nodeKind sh:IRI .",
                                          "[] a ex:T . [] a ex:T . ex:a a ex:T .")
    assert _named(by_sparql) == _named(by_pyshacl) == [
        ("a blank node", "", "sh:NodeKindConstraintComponent in <http://example.org/S>")] * 2
