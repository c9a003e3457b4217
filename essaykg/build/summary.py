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


_PER_ESSAY = """
PREFIX schema: <http://schema.org/>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX ekg: <https://w3id.org/essay-kg/ontology#>
SELECT ?essay
  (COUNT(DISTINCT ?anchor) AS ?anchors) (COUNT(DISTINCT ?para) AS ?paragraphs) (COUNT(DISTINCT ?covered) AS ?covered)
WHERE {
  ?essay schema:sha256 ?sha .
  { ?anchor a oa:SpecificResource ; oa:hasSource ?essay }
  UNION { ?para a ekg:Paragraph ; oa:hasSource ?essay }
  UNION { VALUES ?kind { schema:Claim schema:Quotation }
          ?user a ?kind ; ekg:evidence ?a . ?a oa:hasSource ?essay ; dcterms:isPartOf ?covered }
} GROUP BY ?essay
"""

# What a graph holds, by type: an essay's claims and quotations are in its own graphs (their IRIs
# start with its base, essaykg.namespaces.essay_slug).
_TYPES_PER_GRAPH = """
SELECT ?g ?c (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ?c } }
GROUP BY ?g ?c
"""


def _per_essay(store: ox.Store, corpus: list, verified: dict[str, int], graphs: Counter[str]) -> dict:
    counted = {row["essay"].value: row for row in select(store, _PER_ESSAY, use_default_graph_as_union=True)}
    typed: Counter[tuple[str | None, str]] = Counter()
    for row in select(store, _TYPES_PER_GRAPH):
        typed[namespaces.essay_slug(row["g"].value), row["c"].value] += int(row["n"].value)
    result = {}
    for essay in corpus:
        row = counted.get(essay.iri)

        def count(name: str, row=row) -> int:
            return int(row[name].value) if row is not None else 0

        result[essay.slug] = {
            "iri": essay.iri,
            "title": essay.title,
            "text_file": essay.text_file,
            "sha256": essay.sha256,
            "verified": essay.slug in verified,
            "graphs": sum(1 for g in graphs if namespaces.essay_slug(g) == essay.slug),
            "triples": sum(n for g, n in graphs.items() if namespaces.essay_slug(g) == essay.slug),
            "claims": typed[essay.slug, SCHEMA + "Claim"],
            "quotations": typed[essay.slug, SCHEMA + "Quotation"],
            "anchors": count("anchors"),
            "anchors_verified": verified.get(essay.slug, 0),
            "paragraphs_covered": count("covered"),
            "paragraphs": count("paragraphs"),
        }
    return result


def summarize(store: ox.Store, corpus: list, verified: dict[str, int]) -> dict:
    """A JSON-ready, deterministic description of the built graph: the corpus's totals, and under
    ``essays`` each essay's (``corpus``: essaykg.build.sources.essays; ``verified``: slug -> the
    anchors verified against its text, for the essays whose text was read)."""
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
        "essays": _per_essay(store, corpus, verified, graphs),
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
        "anchors_verified": sum(verified.values()),
        "paragraphs_covered": int(coverage["covered"].value),
        "paragraphs": int(coverage["total"].value),
    }
