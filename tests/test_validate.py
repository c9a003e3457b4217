"""Broken sources fail the build with the right message, and write nothing.

Each file in tests/fixtures/broken/ carries its own expected message on a `# expect:` line; it is
added to a copy of the sources (a .trig into graph/, a .ttl into ontology/) and the build must fail
with that message.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from types import SimpleNamespace

import pyoxigraph as ox
import pytest

from essaykg import config, pipeline, validate
from essaykg.load import ONTOLOGY_GRAPH, LoadError, load_sources, materialize_symmetric, store_of

BROKEN = Path(__file__).parent / "fixtures" / "broken"
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
    assert built.summary["source"]["verified"] is True
    assert all(check.description for check in validate.load_checks())


# ------------------------------------------------------------------ every quality check, one broken fixture each
#
# Each fixture is added to the real sources (TriG into the data, Turtle into the ontology graph) and
# the checks run as the build runs them: it must trip its own check and no other, naming the node.

PREFIXES = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in config.PREFIXES.items())


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
        data.load(PREFIXES + extra, format=ox.RdfFormat.TRIG, base_iri=config.BASE)
    elif extra:
        ontology += [ox.Quad(t.subject, t.predicate, t.object, ONTOLOGY_GRAPH)
                     for t in ox.parse(PREFIXES + extra, format=ox.RdfFormat.TURTLE, base_iri=config.BASE)]
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

    from essaykg.load import load_sources

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
