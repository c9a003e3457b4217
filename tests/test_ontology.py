"""The ontology: its identity, no remote imports, every minted term documented and placed."""
from __future__ import annotations

import pyoxigraph as ox

from essaykg import namespaces
from essaykg.build.load import ONTOLOGY_GRAPH, load_sources, store_of

OWL = "http://www.w3.org/2002/07/owl#"


def _store() -> ox.Store:
    return store_of(load_sources().ontology)


def test_ontology_has_iri_version_label_and_comment():
    store = _store()
    rows = list(store.query(f"""
        SELECT ?version ?info ?label ?comment WHERE {{ GRAPH <{ONTOLOGY_GRAPH.value}> {{
          <{namespaces.ONTOLOGY_IRI}> a <{OWL}Ontology> ; <{OWL}versionIRI> ?version ; <{OWL}versionInfo> ?info ;
          <http://www.w3.org/2000/01/rdf-schema#label> ?label ; <http://www.w3.org/2000/01/rdf-schema#comment> ?comment }} }}"""))
    assert len(rows) == 1
    row = rows[0]
    # The version is stated once (versionInfo); the version IRI must agree with it.
    assert row["version"].value == f"{namespaces.ONTOLOGY_IRI}/{row['info'].value}"


def test_no_owl_imports_anywhere():
    assert not list(_store().quads_for_pattern(None, ox.NamedNode(OWL + "imports"), None, None))


def test_minted_terms_are_documented():
    minted = {}
    for quad in _store().quads_for_pattern(None, None, None, None):
        if quad.subject.value.startswith(namespaces.EKG):
            minted.setdefault(quad.subject.value, set()).add(quad.predicate.value)
    assert len(minted) >= 25
    for term, predicates in minted.items():
        assert "http://www.w3.org/2000/01/rdf-schema#label" in predicates, term
        assert "http://www.w3.org/2000/01/rdf-schema#comment" in predicates, term


def test_every_data_term_is_declared():
    declared = {q.subject.value for q in _store()}
    used = set()
    for quad in load_sources().data:
        used.add(quad.predicate.value)
        if quad.predicate.value.endswith("#type"):
            used.add(quad.object.value)
    assert sorted(used - declared) == []
