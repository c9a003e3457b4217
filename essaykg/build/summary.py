"""Counts that describe a build: triples per graph, entities per kind and class, themes, claims."""

from __future__ import annotations

from collections import Counter

import pyoxigraph as ox

from essaykg import kinds, namespaces
from essaykg.namespaces import SCHEMA
from essaykg.store import select

RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")

_CLAIMS_PER_THEME = """
PREFIX schema: <http://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?theme (COUNT(DISTINCT ?claim) AS ?claims) WHERE {
  ?theme a skos:Concept .
  OPTIONAL { ?claim a schema:Claim ; dcterms:subject ?theme }
} GROUP BY ?theme
"""

_TRIPLES_PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
# one per rdf:type quad, as many times as the graphs that state it
_TYPES = """
SELECT ?c (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ?c } } GROUP BY ?c
"""

_PARAGRAPHS_COVERED = """
PREFIX schema: <http://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX ekg: <https://w3id.org/essay-kg/ontology#>
SELECT (COUNT(DISTINCT ?para) AS ?covered) (COUNT(DISTINCT ?all) AS ?total) WHERE {
  { ?all a ekg:Paragraph }
  UNION
  { VALUES ?kind { schema:Claim schema:Quotation }
    ?user a ?kind ; ekg:evidence ?anchor . ?anchor dcterms:isPartOf ?para }
}
"""


def summarize(store: ox.Store, anchors_verified: int | None, source_sha256: str | None) -> dict:
    """A JSON-ready, deterministic description of the built graph."""
    # counted by the store (a Python loop over every quad takes seconds on a large graph)
    graphs: Counter[str] = Counter()
    for row in select(store, _TRIPLES_PER_GRAPH):
        graphs[row["g"].value] += int(row["n"].value)
    classes: Counter[str] = Counter()
    for row in select(store, _TYPES, use_default_graph_as_union=True):
        classes[row["c"].value] += int(row["n"].value)
    by_kind = Counter(kinds.kinds_in(store).values())
    themes = {
        row["theme"].value: int(row["claims"].value)
        for row in select(store, _CLAIMS_PER_THEME, use_default_graph_as_union=True)
    }
    coverage = next(iter(select(store, _PARAGRAPHS_COVERED, use_default_graph_as_union=True)))
    entity_kinds = {"person", "character", "work", "organization", "place", "award"}
    return {
        "source": {"sha256": source_sha256, "verified": anchors_verified is not None},
        "triples": sum(graphs.values()),
        "graphs": dict(sorted(graphs.items())),
        "claim_graphs": sum(1 for g in graphs if namespaces.is_assertion_graph(g)),
        "classes": dict(sorted(classes.items())),
        "kinds": dict(sorted(by_kind.items())),
        "nodes": sum(by_kind.values()),
        "entities": sum(n for k, n in by_kind.items() if k in entity_kinds),
        "themes": len(themes),
        "claims_per_theme": dict(sorted(themes.items(), key=lambda kv: (-kv[1], kv[0]))),
        "claims": classes[SCHEMA + "Claim"],
        "quotations": classes[SCHEMA + "Quotation"],
        "anchors": classes["http://www.w3.org/ns/oa#SpecificResource"],
        "anchors_verified": anchors_verified or 0,
        "paragraphs_covered": int(coverage["covered"].value),
        "paragraphs": int(coverage["total"].value),
    }
