"""output/argument.argdown: the whole argument in Argdown, rendered by the pinned @argdown/cli.

The CLI exits 0 even on bad syntax, so the test reads what it exports (``argdown json``) and compares
it with the graph: one statement per claim, one relation per argument link, of the kind the ontology
gives that link (``ekg:argdownRelation``). The expectations come from SPARQL over the sources, not
from essaykg/view/argdown.py.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pyoxigraph as ox
import pytest
from _golden import ARGUMENT_LINKS, CLAIMS

from essaykg import config, namespaces
from essaykg.build.load import load_sources, store_of
from essaykg.view import argdown

CLI = config.ROOT / "node_modules" / ".bin" / "argdown"
P = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in namespaces.PREFIXES.items())


@pytest.fixture(scope="module")
def store() -> ox.Store:
    sources = load_sources()
    return store_of(sources.data, sources.ontology)


def rows(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    result = store.query(P + query, use_default_graph_as_union=True)
    return sorted(tuple(row[v].value if row[v] is not None else None for v in result.variables) for row in result)


@pytest.fixture(scope="module")
def exported(built, tmp_path_factory) -> tuple[dict, Path]:
    """What the Argdown CLI reads from output/argument.argdown: its JSON export, and the map's folder."""
    if not CLI.is_file():
        if config.in_ci():
            pytest.fail(f"{CLI} is missing: run npm ci")
        pytest.skip(f"{CLI} is missing: run npm ci")
    out = tmp_path_factory.mktemp("argdown")
    document = built.out_dir / "essays" / "her-2023" / "argument.argdown"
    env = {**os.environ, "NO_COLOR": "1"}
    for command in (["json", str(document), str(out)], ["map", "--format", "svg", str(document), str(out)]):
        done = subprocess.run([str(CLI), *command], capture_output=True, text=True, timeout=300, env=env)
        assert done.returncode == 0, done.stderr
        assert "Invalid" not in done.stdout + done.stderr, done.stdout + done.stderr
    exported_json = out / "argument.json"
    assert exported_json.is_file(), "argdown json wrote nothing: the syntax is invalid"
    return json.loads(exported_json.read_text(encoding="utf-8")), out


def _defining_member(statement: dict) -> dict:
    """The statement's definition (the member with text), not a reference to it."""
    members = [m for m in statement["members"] if m.get("text") and not m.get("isReference")]
    assert len(members) == 1, statement["title"]
    return members[0]


def test_the_map_renders_to_svg(exported):
    _data, out = exported
    svg = (out / "argument.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and svg.rstrip().endswith("</svg>")
    # the map draws every claim and every relation (graphviz: one <g class="node"> / "edge" each)
    assert svg.count('class="node"') == CLAIMS
    assert svg.count('class="edge"') == ARGUMENT_LINKS


def test_one_statement_per_claim_with_its_iri_and_evidence(exported, store):
    data, _out = exported
    claims = rows(store, "SELECT ?c ?label WHERE { ?c a schema:Claim ; rdfs:label ?label }")
    assert len(claims) == CLAIMS
    by_iri = {}
    for statement in data["statements"].values():
        member = _defining_member(statement)
        by_iri[member["data"]["iri"]] = (statement, member)
    assert sorted(by_iri) == [c for c, _label in claims]
    for iri, label in claims:
        statement, member = by_iri[iri]
        assert statement["title"] == iri.rsplit("/", 1)[1]
        assert member["text"].startswith(label), (iri, member["text"])
        exact = [e for (e,) in rows(store, f"""SELECT ?e WHERE {{ <{iri}> ekg:evidence/oa:hasSelector/oa:exact ?e }}""")]
        assert sorted(member["data"]["evidence"]) == exact, iri
        (stance,) = rows(store, f"SELECT ?s WHERE {{ <{iri}> ekg:stance ?s }}")
        assert stance[0].rsplit("#", 1)[1] in member["tags"]
    thesis = [s for s in data["statements"].values() if "thesis" in (_defining_member(s).get("tags") or [])]
    assert [s["title"] for s in thesis] == ["timely-meditation-on-intimacy"]


def test_one_relation_per_argument_link_of_the_same_kind(exported, store):
    data, _out = exported
    iri_of = {title: _defining_member(s)["data"]["iri"] for title, s in data["statements"].items()}
    links = rows(store, """
        SELECT ?a ?relation ?b ?symmetric WHERE {
          GRAPH <https://w3id.org/essay-kg/graph/ontology> {
            ?p rdfs:subPropertyOf+ ekg:argumentLink ; ekg:argdownRelation ?relation }
          ?a ?p ?b . ?a a schema:Claim . ?b a schema:Claim .
          BIND(EXISTS { GRAPH <https://w3id.org/essay-kg/graph/ontology> { ?p a owl:SymmetricProperty } } AS ?symmetric)
        }""")
    # a symmetric link (ekg:contrastsWith) is stated both ways in the graph: one relation per pair
    expected = {(r, frozenset((a, b)) if s == "true" else (a, b)) for a, r, b, s in links}
    got = [(rel["relationType"], frozenset((iri_of[rel["from"]], iri_of[rel["to"]]))
            if rel["relationType"] == "contradictory" else (iri_of[rel["from"]], iri_of[rel["to"]]))
           for rel in data["relations"]]
    assert len(got) == len(set(got)) == len(expected) == ARGUMENT_LINKS
    assert set(got) == expected
    kinds = {r for r, _pair in got}
    assert kinds == {"support", "attack", "undercut", "contradictory"}


def test_every_argument_link_kind_has_an_argdown_relation():
    kinds = argdown.link_kinds(load_sources().ontology)
    assert {k.rsplit("#", 1)[1]: v for k, v in kinds.items()} == {
        "supports": ("support", False), "answers": ("support", False), "attacks": ("attack", False),
        "concedes": ("attack", False), "qualifies": ("undercut", False), "contrastsWith": ("contradictory", True),
    }


def test_a_link_kind_without_an_argdown_relation_is_an_error():
    ontology = load_sources().ontology
    relation = ox.NamedNode(namespaces.EKG + "argdownRelation")
    answers = ox.NamedNode(namespaces.EKG + "answers")
    stripped = [q for q in ontology if not (q.subject == answers and q.predicate == relation)]
    with pytest.raises(argdown.ArgdownError, match="ekg:answers is an argument link with no ekg:argdownRelation"):
        argdown.link_kinds(stripped)


def test_statement_text_escapes_argdown_syntax():
    assert argdown._text("A [b] <c> {d} #e *f* g_h\nnext") == "A (b) ‹c› (d) No.e ·f· g h next"
    assert argdown._yaml(['say "hi"', "back\\slash"]) == '["say \\"hi\\"", "back\\\\slash"]'
