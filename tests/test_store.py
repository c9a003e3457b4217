"""essaykg/store.py: the typed calls into pyoxigraph."""
from __future__ import annotations

import pyoxigraph as ox
import pytest

from essaykg import store as typed


@pytest.fixture
def data() -> ox.Store:
    s = ox.Store()
    s.add(ox.Quad(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("é"), ox.NamedNode("http://x/g")))
    return s


def test_select_gives_the_solutions_with_the_options_passed_on(data):
    assert [row["o"].value for row in typed.select(data, "SELECT ?o WHERE { ?s ?p ?o }",
                                                    use_default_graph_as_union=True)] == ["é"]
    assert list(typed.select(data, "SELECT ?o WHERE { ?s ?p ?o }")) == []  # the default graph alone is empty
    bound = typed.select(data, "SELECT ?o WHERE { ?s x:p ?o }", use_default_graph_as_union=True,
                         prefixes={"x": "http://x/"})
    assert [row["o"].value for row in bound] == ["é"]


@pytest.mark.parametrize("query", ["ASK { ?s ?p ?o }", "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"])
def test_select_refuses_another_form(data, query):
    with pytest.raises(TypeError, match="not a SELECT query"):
        typed.select(data, query)


def test_serialized_gives_the_bytes():
    triple = ox.Triple(ox.NamedNode("http://x/a"), ox.NamedNode("http://x/p"), ox.Literal("é"))
    assert typed.serialized([triple], ox.RdfFormat.N_TRIPLES) == '<http://x/a> <http://x/p> "é" .\n'.encode()
