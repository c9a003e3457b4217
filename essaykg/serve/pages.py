"""The web app's HTML pages: Jinja templates (templates/*.html.j2, autoescaped) and what they show.

Every value from the graph or from a request reaches a page through Jinja's autoescaping; pages
load scripts and styles from the app only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote_to_bytes, urlencode

import jinja2
import pyoxigraph as ox
from markupsafe import Markup, escape

from essaykg import kinds, namespaces
from essaykg.query import sparql
from essaykg.store import select

TEMPLATES = Path(__file__).resolve().parent / "templates"
RDF_TYPE = namespaces.PREFIXES["rdf"] + "type"
LABEL_PREDICATES = [
    namespaces.PREFIXES["rdfs"] + "label",
    namespaces.PREFIXES["skos"] + "prefLabel",
    "http://schema.org/name",
    "http://schema.org/headline",
]
DESCRIPTION_PREDICATES = [
    "http://schema.org/description",
    namespaces.PREFIXES["skos"] + "definition",
    namespaces.PREFIXES["rdfs"] + "comment",
    "http://schema.org/text",
    namespaces.PREFIXES["oa"] + "exact",
]
# IRIs under the base whose path starts with one of these get a short page address: /id/samantha
PAGE_ROOTS = ("id/", "theme/", "essay/", "graph/")
NAV = [
    ("/", "Home"),
    ("/queries", "Saved questions"),
    ("/editor", "Query editor"),
    ("/entities", "Entities"),
    ("/graph.html", "Graph view"),
    ("/ontology", "Ontology"),
]
# built pages the home page links, when they are there
VIEWS = [("index.html", "the essays, side by side"), ("graph.html", "the graph view"), ("themes.html", "the themes")]
ESSAY_PAGE_NAMES = {"graph.html": "graph", "argument.html": "argument map", "reader.html": "reader"}


class BadIRI(ValueError):
    """A page address or ``iri=`` that is not an IRI."""


def page_href(iri: str) -> str:
    """The app's address of the page for ``iri``."""
    if iri.startswith(namespaces.BASE):
        rest = iri[len(namespaces.BASE) :]
        if rest.startswith(PAGE_ROOTS) and "#" not in rest and "?" not in rest:
            return "/" + quote(rest, safe="/-._~")
    return "/resource?" + urlencode({"iri": iri})


def checked_iri(iri: str) -> str:
    """``iri`` if it is an absolute IRI (RFC 3987, as Oxigraph reads it); else BadIRI with the reason."""
    try:
        ox.NamedNode(iri)
    except ValueError as err:
        raise BadIRI(f"not an IRI: {iri!r} ({err})") from None
    return iri


def iri_of_path(raw_path: bytes) -> str | None:
    """The IRI a short page address stands for (``/id/samantha``), None if the path is no such
    address; BadIRI if it is one but its percent-encoding is not UTF-8 or the result is no IRI."""
    rest = raw_path.lstrip(b"/")
    if not rest.startswith(tuple(r.encode() for r in PAGE_ROOTS)):
        return None
    try:
        decoded = unquote_to_bytes(rest).decode("utf-8")
    except UnicodeDecodeError:
        raise BadIRI("the address is not UTF-8 once its %-escapes are undone") from None
    return checked_iri(namespaces.BASE + decoded)


@dataclass
class Labels:
    """Labels and kinds of every IRI in the store, for link texts."""

    labels: dict[str, str]
    kinds: dict[str, str]

    @classmethod
    def of(cls, store: ox.Store) -> Labels:
        labels: dict[str, str] = {}
        for pred in reversed(LABEL_PREDICATES):  # the first predicate wins
            for quad in store.quads_for_pattern(None, ox.NamedNode(pred), None, None):
                if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal):
                    labels[quad.subject.value] = quad.object.value
        return cls(labels=labels, kinds=kinds.kinds_in(store))

    def text(self, iri: str) -> str:
        return self.labels.get(iri) or sparql.short({"type": "uri", "value": iri})


def term_html(term, labels: Labels | None = None) -> Markup:
    """A term (a SPARQL-JSON dict or a pyoxigraph term) as HTML: IRIs link to their page, and out for
    outside IRIs; literals escaped."""
    if term is None:
        return Markup("")
    if not isinstance(term, dict):
        term = sparql.term_from_ox(term)
    if term["type"] == "uri":
        iri = term["value"]
        text = labels.text(iri) if labels else sparql.short(term)
        link = Markup('<a href="{}" title="{}">{}</a>').format(page_href(iri), iri, text)
        if not iri.startswith(namespaces.BASE) and iri.startswith(("http://", "https://")):
            link += Markup(' <a class=out href="{}" rel="noreferrer noopener" title="open {}">↗</a>').format(iri, iri)
        return link
    if term["type"] == "literal":
        extra = Markup("")
        if "xml:lang" in term:
            extra = Markup(" <small>@{}</small>").format(term["xml:lang"])
        elif "datatype" in term:
            extra = Markup(" <small>{}</small>").format(sparql.short({"type": "uri", "value": term["datatype"]}))
        return escape(term["value"]) + extra
    return escape(sparql.short(term))


def _table_of(result: sparql.Result) -> tuple[list[dict], list[str]]:
    if result.is_graph:
        return [{"subject": s, "predicate": p, "object": o} for s, p, o in result.triples], [
            "subject",
            "predicate",
            "object",
        ]
    return result.rows, result.variables


_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals.update(
    nav=NAV,
    term=term_html,
    table_of=_table_of,
    link=lambda iri, labels: term_html({"type": "uri", "value": iri}, labels),
)


def render(template: str, title: str, active: str = "", **values) -> bytes:
    return _env.get_template(template).render(title=title, active=active, **values).encode("utf-8")


def home(
    summary: dict,
    saved: list[sparql.SavedQuery],
    views: list[tuple[str, str]],
    essays: list[tuple[str, str, list[str]]] | None = None,
) -> bytes:
    """The home page; ``essays``: (slug, title, its built pages) of each, linked under /essays/<slug>/."""
    shown = [
        (slug, title, [(f"/essays/{slug}/{n}", ESSAY_PAGE_NAMES[n]) for n in built if n in ESSAY_PAGE_NAMES])
        for slug, title, built in essays or []
    ]
    return render("home.html.j2", "Home", "/", summary=summary, saved=saved, views=views, essays=shown)


def saved_list(saved: list[sparql.SavedQuery]) -> bytes:
    return render("saved_list.html.j2", "Saved questions", "/queries", saved=saved)


def saved_page(saved: sparql.SavedQuery, result: sparql.Result | None, error: str | None, labels: Labels) -> bytes:
    return render("saved.html.j2", saved.name, "/queries", saved=saved, result=result, error=error, labels=labels)


def results_page(text: str, result: sparql.Result, labels: Labels) -> bytes:
    return render("results.html.j2", "Results", text=text, result=result, labels=labels)


def error_page(status: int, message: str) -> bytes:
    return render("error.html.j2", f"Error {status}", status=status, message=message)


def entities_page(labels: Labels) -> bytes:
    groups: dict[str, list[str]] = {}
    for iri, kind in labels.kinds.items():
        groups.setdefault(kind, []).append(iri)
    shown = [
        (label, sorted(groups[kind], key=lambda i: labels.text(i).lower()))
        for kind, label, _ in kinds.KINDS
        if groups.get(kind)
    ]
    return render("entities.html.j2", "Entities", "/entities", groups=shown, labels=labels)


EVIDENCE_QUERY = """
SELECT DISTINCT ?iri ?item ?exact ?start ?end ?number WHERE {
  { ?iri ekg:evidence ?anchor BIND(?iri AS ?item) }  # ?iri is bound by the caller; BIND first would see it unbound
  UNION { ?item schema:about|schema:spokenByCharacter|schema:creator|dcterms:subject ?iri ; ekg:evidence ?anchor }
  UNION { ?item ekg:assertion ?g . GRAPH ?g { { ?iri ?p ?o } UNION { ?s ?p ?iri } } ?item ekg:evidence ?anchor }
  ?anchor oa:hasSelector ?sel . ?sel oa:exact ?exact .
  OPTIONAL { ?anchor oa:hasSelector ?pos . ?pos oa:start ?start ; oa:end ?end }
  OPTIONAL { ?anchor dcterms:isPartOf ?para . ?para schema:position ?number }
} ORDER BY ?number ?start ?item
"""


def entity_triples(store: ox.Store, iri: str) -> tuple[list[ox.Quad], list[ox.Quad]]:
    node = ox.NamedNode(iri)
    out = sorted(store.quads_for_pattern(node, None, None, None), key=lambda q: (q.predicate.value, str(q.object)))
    inc = sorted(store.quads_for_pattern(None, None, node, None), key=lambda q: (q.predicate.value, str(q.subject)))
    return out, inc


def entity_graph(store: ox.Store, iri: str) -> list[ox.Triple]:
    """What the entity page shows, as triples: statements about it and pointing to it (all graphs)."""
    out, inc = entity_triples(store, iri)
    return list(dict.fromkeys(quad.triple for quad in out + inc))


def entity_page(store: ox.Store, iri: str, labels: Labels) -> bytes | None:
    out, inc = entity_triples(store, iri)
    node = ox.NamedNode(iri)
    contents = (
        sorted(store.quads_for_pattern(None, None, None, node), key=str) if node in set(store.named_graphs()) else []
    )
    if not out and not inc and not contents:
        return None
    description = next(
        (
            q.object.value
            for p in DESCRIPTION_PREDICATES
            for q in out
            if q.predicate.value == p and isinstance(q.object, ox.Literal)
        ),
        "",
    )
    kind = labels.kinds.get(iri)
    evidence = []
    # the IRI goes in as a bound term (substitutions), never pasted into the query text
    for row in select(
        store,
        EVIDENCE_QUERY,
        use_default_graph_as_union=True,
        prefixes=namespaces.PREFIXES,
        substitutions={ox.Variable("iri"): node},
    ):
        where = f"¶ {row['number'].value}" if row["number"] else ""
        if row["start"]:
            where += f", characters {row['start'].value}–{row['end'].value}"
        evidence.append(
            {"exact": row["exact"].value, "where": where, "via": None if row["item"] == node else row["item"]}
        )
    named = lambda quads, *parts: [
        tuple(getattr(q, p) for p in parts) for q in quads if not isinstance(q.graph_name, ox.DefaultGraph)
    ]
    sections = [
        ("About it", ["property", "value", "graph"], named(out, "predicate", "object", "graph_name")),
        ("Pointing to it", ["subject", "property", "graph"], named(inc, "subject", "predicate", "graph_name")),
        ("Inside this graph", ["subject", "property", "value"], named(contents, "subject", "predicate", "object")),
    ]
    return render(
        "entity.html.j2",
        labels.text(iri),
        "/entities",
        iri=iri,
        labels=labels,
        kind=kinds.KIND_LABELS.get(kind, kind) if kind else None,
        types=[q.object for q in out if q.predicate.value == RDF_TYPE],
        description=description,
        href=page_href(iri),
        evidence=evidence,
        sections=sections,
    )


def editor_page(saved: list[sparql.SavedQuery], yasgui: bool) -> bytes:
    data = [{"name": q.name, "question": q.question, "query": q.text} for q in saved]
    return render("editor.html.j2", "Query editor", "/editor", saved=saved, saved_data=data, yasgui=yasgui)


def files_page(names: list[str]) -> bytes:
    return render("files.html.j2", "Downloads", names=names)
