"""The ontology's documentation as one self-contained HTML page, made at build time.

Made with pyLODE (https://github.com/RDFLib/pyLODE, profile OntPub) when it is installed: its page
inlines its CSS and images, so it loads nothing from outside. Without pyLODE, a plain page is made
from the ontology's labels and comments. Either way :func:`external_resources` finds nothing to
load from outside the page (a test checks).
"""

from __future__ import annotations

import html
import logging
import re
from pathlib import Path

DOCS_FILE = "ontology.html"

# src= / href= of elements that make the browser fetch something (not plain <a href> links)
_FETCHING = re.compile(
    r"<(?:script|img|iframe|source|embed|audio|video)\b[^>]*\bsrc\s*=\s*[\"']?(https?:)?//"
    r"|<link\b[^>]*\bhref\s*=\s*[\"']?(https?:)?//"
    r"|@import\s+(url\()?[\"']?(https?:)?//"
    r"|url\(\s*[\"']?(https?:)?//",
    re.IGNORECASE,
)


def external_resources(page: str) -> list[str]:
    """Snippets of ``page`` that would make a browser load something from another host."""
    return [page[max(0, m.start() - 20) : m.end() + 60] for m in _FETCHING.finditer(page)]


def ontology_docs(ontology_ttl_path: Path) -> dict[str, bytes]:
    """``{"ontology.html": page}`` for the ontology in ``ontology_ttl_path`` (Turtle)."""
    try:
        page = _pylode(Path(ontology_ttl_path))
    except ImportError:
        page = _plain(Path(ontology_ttl_path))
    found = external_resources(page)
    if found:
        raise ValueError(f"the ontology's documentation would load outside resources: {found[0]!r}")
    return {DOCS_FILE: page.encode("utf-8")}


def _pylode(path: Path) -> str:
    # pyLODE calls logging.basicConfig(level=DEBUG) when its modules load: undo that afterwards.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        from pylode import OntPub

        root.setLevel(logging.WARNING)
        return OntPub(ontology=str(path), sort_subjects=True).make_html(include_css=True)
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


def _plain(path: Path) -> str:
    """A simple page without pyLODE: every class and property with its label, comment and links."""
    import pyoxigraph as ox

    from essaykg import namespaces
    from essaykg.store import select

    rdf, rdfs, owl = namespaces.PREFIXES["rdf"], namespaces.PREFIXES["rdfs"], namespaces.PREFIXES["owl"]
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=namespaces.BASE)
    rows = select(
        store,
        f"""
        SELECT ?term ?kind ?label ?comment (GROUP_CONCAT(DISTINCT ?rel; separator=" ") AS ?rels) WHERE {{
          ?term a ?kind . FILTER(?kind IN (<{owl}Class>, <{owl}ObjectProperty>, <{owl}DatatypeProperty>))
          OPTIONAL {{ ?term <{rdfs}label> ?label }} OPTIONAL {{ ?term <{rdfs}comment> ?comment }}
          OPTIONAL {{ ?term <{rdfs}subClassOf>|<{rdfs}subPropertyOf>|<{rdfs}domain>|<{rdfs}range> ?r
                     BIND(STR(?r) AS ?rel) }}
        }} GROUP BY ?term ?kind ?label ?comment ORDER BY ?kind ?term""",
    )
    body = []
    for row in rows:
        iri = row["term"].value
        local = iri.split("#")[-1]
        kind = row["kind"].value.split("#")[-1]
        rels = " ".join(f"<code>{html.escape(r)}</code>" for r in (row["rels"].value.split() if row["rels"] else []))
        body.append(
            f'<section id="{html.escape(local)}"><h3>{html.escape(local)} <small>({kind})</small></h3>'
            f"<p><code>{html.escape(iri)}</code></p>"
            f"<p><b>{html.escape(row['label'].value if row['label'] else local)}</b>: "
            f"{html.escape(row['comment'].value if row['comment'] else '')}</p>"
            + (f"<p>related: {rels}</p>" if rels else "")
            + "</section>"
        )
    del rdf
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>Essay KG ontology</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto;padding:1em}"
        "section{border-top:1px solid #ccc}</style></head><body>"
        "<h1>Essay knowledge graph ontology</h1>"
        "<p>Generated from ontology/ontology.ttl (pyLODE was not installed).</p>" + "".join(body) + "</body></html>"
    )
