"""The corpus overview (``index.html``): every essay with its pages, and what the essays share.

For each essay: its title, thesis, counts and links to its graph view, argument map and reader
(``essays/<slug>/``). Then, when there are two essays or more, the themes more than one essay's
claims are on (with each essay's claims on it, side by side) and the entities more than one essay
refers to. An essay's part of the graph is its named graphs: those ``prov:wasDerivedFrom`` it (the
same rule as the saved questions 23-25). A static page: no script, nothing loaded from elsewhere.
"""

from __future__ import annotations

import pyoxigraph as ox

from essaykg import namespaces
from essaykg.store import select

_PREFIXES = """
PREFIX schema: <http://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX ekg: <https://w3id.org/essay-kg/ontology#>
"""

# Each essay's claims on each theme (dcterms:subject), for the themes more than one essay is on.
_SHARED_THEMES = (
    _PREFIXES
    + """
SELECT ?theme ?label ?essay ?claim ?claimLabel ?position WHERE {
  { SELECT ?theme WHERE {
      GRAPH ?g { ?c a schema:Claim ; dcterms:subject ?theme }
      ?g prov:wasDerivedFrom ?e . ?e schema:sha256 ?sha
    } GROUP BY ?theme HAVING (COUNT(DISTINCT ?e) > 1) }
  GRAPH ?graph { ?claim a schema:Claim ; dcterms:subject ?theme }
  ?graph prov:wasDerivedFrom ?essay . ?essay schema:sha256 ?s .
  ?theme skos:prefLabel ?label .
  OPTIONAL { ?claim rdfs:label ?claimLabel }
  OPTIONAL { ?claim schema:position ?position }
} ORDER BY LCASE(STR(?label)) ?essay ?position ?claim
"""
)

# Entities (the shared graph's) that the graphs of more than one essay refer to.
_SHARED_ENTITIES = (
    _PREFIXES
    + """
SELECT ?entity ?label (COUNT(DISTINCT ?essay) AS ?essays) WHERE {
  GRAPH <https://w3id.org/essay-kg/graph/entities> { ?entity a ?type ; rdfs:label ?label }  # one each (shapes)
  GRAPH ?g { ?s ?p ?entity }
  ?g prov:wasDerivedFrom ?essay . ?essay schema:sha256 ?sha .
} GROUP BY ?entity ?label HAVING (COUNT(DISTINCT ?essay) > 1) ORDER BY LCASE(STR(?label)) ?entity
"""
)

_THESES = (
    _PREFIXES
    + """
SELECT ?essay ?thesis ?label WHERE { ?essay ekg:thesis ?thesis . OPTIONAL { ?thesis rdfs:label ?label } }
"""
)


def page_data(store: ox.Store, summary: dict, pages: set[str]) -> dict:
    """What the page shows: ``summary`` is the build's (its ``essays``); ``pages`` the files written,
    so that a reader not built (its text missing) is not linked."""
    theses = {
        row["essay"].value: row["label"].value
        if row["label"] is not None
        else namespaces.local_name(row["thesis"].value)
        for row in select(store, _THESES, use_default_graph_as_union=True)
    }
    essays = []
    for slug, essay in sorted(summary["essays"].items()):
        folder = f"essays/{slug}/"
        essays.append(
            {
                "slug": slug,
                "title": essay["title"],
                "iri": essay["iri"],
                "thesis": theses.get(essay["iri"], ""),
                "counts": {k: essay[k] for k in ("claims", "quotations", "anchors", "paragraphs")},
                "verified": essay["verified"],
                "text_file": essay["text_file"],
                "links": [
                    (name, folder + file)
                    for name, file in (
                        ("Graph", "graph.html"),
                        ("Argument map", "argument.html"),
                        ("Reader", "reader.html"),
                    )
                    if folder + file in pages
                ],
            }
        )
    titles = {e["iri"]: e["title"] for e in essays}
    themes: dict[str, dict] = {}
    for row in select(store, _SHARED_THEMES, use_default_graph_as_union=True):
        theme = themes.setdefault(row["theme"].value, {"label": row["label"].value, "by_essay": {}})
        claims = theme["by_essay"].setdefault(titles.get(row["essay"].value, row["essay"].value), [])
        label = row["claimLabel"].value if row["claimLabel"] is not None else namespaces.local_name(row["claim"].value)
        claims.append({"label": label, "curie": namespaces.shorten(row["claim"].value)})
    entities = [
        {
            "label": row["label"].value,
            "curie": namespaces.shorten(row["entity"].value),
            "essays": int(row["essays"].value),
        }
        for row in select(store, _SHARED_ENTITIES, use_default_graph_as_union=True)
    ]
    return {
        "essays": essays,
        "themes": [
            {"label": t["label"], "curie": namespaces.shorten(iri), "by_essay": sorted(t["by_essay"].items())}
            for iri, t in themes.items()
        ],
        "entities": entities,
        "triples": summary["triples"],
    }


def render(store: ox.Store, summary: dict, pages: set[str]) -> bytes:
    """The bytes of ``index.html``."""
    from essaykg.view import graph_page as page

    return page.render_with_csp(
        page.environment().get_template("corpus.html.j2"),
        0,
        data=page_data(store, summary, pages),
        data_json="{}",
        page_css=page.template_file("corpus.css"),
    )
