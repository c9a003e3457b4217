"""HTML pages of the local web app: layout, result tables, entity pages, the saved questions.

Every value that comes from the graph or from a request is escaped (``html.escape``); pages load
scripts and styles only from the app itself.
"""
from __future__ import annotations

import html
import json
from dataclasses import dataclass
from urllib.parse import quote, urlencode

import pyoxigraph as ox

from . import config, kinds, sparql

RDF_TYPE = config.PREFIXES["rdf"] + "type"
LABEL_PREDICATES = [
    config.PREFIXES["rdfs"] + "label", config.PREFIXES["skos"] + "prefLabel", "http://schema.org/name",
    "http://schema.org/headline",
]
DESCRIPTION_PREDICATES = [
    "http://schema.org/description", config.PREFIXES["skos"] + "definition", config.PREFIXES["rdfs"] + "comment",
    "http://schema.org/text", config.PREFIXES["oa"] + "exact",
]
# IRIs under the base whose path starts with one of these get a short page address: /id/samantha
PAGE_ROOTS = ("id/", "theme/", "essay/", "graph/")

CSS = "/static/app.css"
e = html.escape


def page_href(iri: str) -> str:
    """The app's address of the page for ``iri``."""
    if iri.startswith(config.BASE):
        rest = iri[len(config.BASE):]
        if rest.startswith(PAGE_ROOTS) and "#" not in rest and "?" not in rest:
            return "/" + quote(rest, safe="/-._~")
    return "/resource?" + urlencode({"iri": iri})


def iri_of_path(path: str) -> str | None:
    """The IRI a short page address stands for, or None."""
    rest = path.lstrip("/")
    if rest.startswith(PAGE_ROOTS):
        from urllib.parse import unquote

        return config.BASE + unquote(rest)
    return None


def layout(title: str, body: str, active: str = "") -> bytes:
    nav = [("/", "Home"), ("/queries", "Saved questions"), ("/editor", "Query editor"),
           ("/entities", "Entities"), ("/graph.html", "Graph view"), ("/ontology", "Ontology")]
    links = " ".join(
        f'<a href="{href}"{" class=active" if href == active else ""}>{e(name)}</a>' for href, name in nav)
    return (
        "<!doctype html>\n<html lang=en><head><meta charset=utf-8>"
        "<meta name=viewport content='width=device-width, initial-scale=1'>"
        f"<title>{e(title)} · essay-kg</title><link rel=stylesheet href='{CSS}'></head>"
        f"<body><nav>{links}</nav><main>{body}</main></body></html>\n"
    ).encode("utf-8")


@dataclass
class Labels:
    """Labels and kinds of every IRI in the store, for link texts."""

    labels: dict[str, str]
    kinds: dict[str, str]

    @classmethod
    def of(cls, store: ox.Store) -> "Labels":
        labels: dict[str, str] = {}
        for pred in reversed(LABEL_PREDICATES):  # the first predicate wins
            for quad in store.quads_for_pattern(None, ox.NamedNode(pred), None, None):
                if isinstance(quad.subject, ox.NamedNode) and isinstance(quad.object, ox.Literal):
                    labels[quad.subject.value] = quad.object.value
        return cls(labels=labels, kinds=kinds.kinds_in(store))

    def text(self, iri: str) -> str:
        return self.labels.get(iri) or sparql.short({"type": "uri", "value": iri})


def term_html(term: dict | None, labels: Labels | None = None) -> str:
    """A term as HTML: IRIs link to their page (and out, for outside IRIs); literals escaped."""
    if term is None:
        return ""
    if term["type"] == "uri":
        iri = term["value"]
        text = labels.text(iri) if labels else sparql.short(term)
        link = f'<a href="{e(page_href(iri))}" title="{e(iri)}">{e(text)}</a>'
        if not iri.startswith(config.BASE) and iri.startswith(("http://", "https://")):
            link += f' <a class=out href="{e(iri)}" rel="noreferrer noopener" title="open {e(iri)}">↗</a>'
        return link
    if term["type"] == "literal":
        extra = ""
        if "xml:lang" in term:
            extra = f" <small>@{e(term['xml:lang'])}</small>"
        elif "datatype" in term:
            extra = f" <small>{e(sparql.short({'type': 'uri', 'value': term['datatype']}))}</small>"
        return f"{e(term['value'])}{extra}"
    return e(sparql.short(term))


def results_table(result: sparql.Result, labels: Labels | None = None) -> str:
    if result.form == "ASK":
        return f"<p class=answer>{'yes' if result.boolean else 'no'}</p>"
    if result.is_graph:
        rows = [{"subject": s, "predicate": p, "object": o} for s, p, o in result.triples]
        variables = ["subject", "predicate", "object"]
    else:
        rows, variables = result.rows, result.variables
    head = "".join(f"<th>{e(v)}</th>" for v in variables)
    body = "".join(
        "<tr>" + "".join(f"<td>{term_html(row.get(v), labels)}</td>" for v in variables) + "</tr>" for row in rows)
    count = len(rows)
    note = f"<p class=count>{count} {'row' if count == 1 else 'rows'}"
    if result.truncated:
        note += " (cut at the limit)"
    note += f" · {result.seconds * 1000:.1f} ms</p>"
    return f"{note}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def query_links(text: str) -> str:
    """Links to the same query's results as JSON, CSV, TSV and XML."""
    fmts = [("json", "JSON"), ("csv", "CSV"), ("tsv", "TSV"), ("xml", "XML")]
    return " · ".join(
        f'<a href="/sparql?{e(urlencode({"query": text, "format": f}))}">{name}</a>' for f, name in fmts)


def home(summary: dict, saved: list[sparql.SavedQuery], graph_view: bool) -> bytes:
    items = "".join(f"<li><a href='/queries/{e(q.name)}'>{e(q.question)}</a></li>" for q in saved[:6])
    counts = "".join(f"<tr><th>{e(k)}</th><td>{e(str(v))}</td></tr>" for k, v in summary.items())
    view = ("<li><a href='/graph.html'>the graph view</a> and <a href='/themes.html'>the themes</a></li>"
            if graph_view else "<li>the graph view (not built)</li>")
    body = (
        "<h1>The essay's knowledge graph</h1>"
        "<p>“Is the Cure to Male Loneliness … <i>Her</i>?” (The Dispatch, December 2023), as RDF: "
        "who and what it names, its themes, its claims and the passages they rest on.</p>"
        "<ul><li><a href='/queries'>saved questions</a> and their answers</li>"
        "<li><a href='/editor'>the query editor</a> (SPARQL, YASGUI); the endpoint is <code>/sparql</code></li>"
        "<li><a href='/entities'>every entity</a>, a page each</li>"
        f"{view}<li><a href='/ontology'>the ontology's documentation</a></li>"
        "<li><a href='/files'>downloads</a></li></ul>"
        f"<h2>Some questions</h2><ul>{items}</ul>"
        f"<h2>The data</h2><table class=narrow>{counts}</table>"
    )
    return layout("Home", body, "/")


def saved_list(saved: list[sparql.SavedQuery]) -> bytes:
    rows = "".join(
        f"<tr><td><a href='/queries/{e(q.name)}'>{e(q.name)}</a></td><td>{e(q.question)}</td></tr>" for q in saved)
    body = (f"<h1>Saved questions</h1><p>{len(saved)} competency questions, each a SPARQL file in "
            f"<code>queries/</code>. Open one to see its answer.</p><table>{rows}</table>")
    return layout("Saved questions", body, "/queries")


def saved_page(saved: sparql.SavedQuery, result: sparql.Result | None, error: str | None,
               labels: Labels) -> bytes:
    answer = f"<p class=error>{e(error)}</p>" if error else results_table(result, labels)
    body = (
        f"<h1>{e(saved.question)}</h1>"
        f"<p><code>queries/{e(saved.path.name)}</code> · <a href='/editor?tab={e(saved.name)}'>open in the editor</a>"
        f" · <a href='/queries/{e(saved.name)}.rq'>.rq</a> · {query_links(saved.text)}</p>"
        f"<details><summary>The query</summary><pre>{e(saved.text)}</pre></details>{answer}"
    )
    return layout(saved.name, body, "/queries")


def results_page(text: str, result: sparql.Result, labels: Labels) -> bytes:
    body = (f"<h1>Query results</h1><details><summary>The query</summary><pre>{e(text)}</pre></details>"
            f"<p>{query_links(text)}</p>{results_table(result, labels)}")
    return layout("Results", body)


def error_page(status: int, message: str) -> bytes:
    return layout(f"Error {status}", f"<h1>Error {status}</h1><p class=error>{e(message)}</p>")


def entities_page(labels: Labels) -> bytes:
    groups: dict[str, list[str]] = {}
    for iri, kind in labels.kinds.items():
        groups.setdefault(kind, []).append(iri)
    parts = []
    for kind, label, _ in kinds.KINDS:
        iris = sorted(groups.get(kind, []), key=lambda i: labels.text(i).lower())
        if not iris:
            continue
        items = "".join(f"<li>{term_html({'type': 'uri', 'value': i}, labels)}</li>" for i in iris)
        parts.append(f"<section><h2>{e(label)} <small>({len(iris)})</small></h2><ul class=cols>{items}</ul></section>")
    return layout("Entities", "<h1>Entities</h1>" + "".join(parts), "/entities")


EVIDENCE_QUERY = """
PREFIX ekg: <https://w3id.org/essay-kg/ontology#>
PREFIX schema: <http://schema.org/>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT DISTINCT ?item ?exact ?start ?end ?number WHERE {
  { BIND(<%(iri)s> AS ?item) ?item ekg:evidence ?anchor }
  UNION { ?item schema:about|schema:spokenByCharacter|schema:creator|dcterms:subject <%(iri)s> ;
                ekg:evidence ?anchor }
  UNION { ?item ekg:assertion ?g . GRAPH ?g { { <%(iri)s> ?p ?o } UNION { ?s ?p <%(iri)s> } }
          ?item ekg:evidence ?anchor }
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
    seen, triples = set(), []
    for quad in out + inc:
        if quad.triple not in seen:
            seen.add(quad.triple)
            triples.append(quad.triple)
    return triples


def entity_page(store: ox.Store, iri: str, labels: Labels) -> bytes | None:
    out, inc = entity_triples(store, iri)
    node = ox.NamedNode(iri)
    contents = sorted(store.quads_for_pattern(None, None, None, node), key=lambda q: str(q)) \
        if node in set(store.named_graphs()) else []
    if not out and not inc and not contents:
        return None
    t = lambda term: term_html(sparql.term_from_ox(term), labels)  # noqa: E731
    types = [q.object for q in out if q.predicate.value == RDF_TYPE]
    description = next((q.object.value for p in DESCRIPTION_PREDICATES for q in out
                        if q.predicate.value == p and isinstance(q.object, ox.Literal)), "")
    title = labels.text(iri)
    kind = labels.kinds.get(iri)
    parts = [f"<h1>{e(title)}</h1><p><code>{e(iri)}</code>"
             + (f" · <span class=kind>{e(kinds.KIND_LABELS.get(kind, kind))}</span>" if kind else "")
             + (" · is a " + ", ".join(t(c) for c in types) if types else "") + "</p>"]
    if description:
        parts.append(f"<p class=description>{e(description)}</p>")
    alt = "".join(f' <a href="{e(page_href(iri))}{"&" if "?" in page_href(iri) else "?"}format={f}">{n}</a>'
                  for f, n in (("turtle", "Turtle"), ("jsonld", "JSON-LD"), ("ntriples", "N-Triples")))
    parts.append(f"<p class=formats>This page as{alt}</p>")
    evidence = list(store.query(EVIDENCE_QUERY % {"iri": iri}, use_default_graph_as_union=True))
    if evidence:
        items = []
        for row in evidence:
            where = f"¶ {row['number'].value}" if row["number"] else ""
            if row["start"]:
                where += f", characters {row['start'].value}–{row['end'].value}"
            via = "" if row["item"] == node else f" <small>({t(row['item'])})</small>"
            items.append(f"<li><blockquote>{e(row['exact'].value)}</blockquote><small>{e(where)}</small>{via}</li>")
        parts.append(f"<h2>Evidence in the essay</h2><ul class=evidence>{''.join(items)}</ul>")
    if out:
        rows = "".join(f"<tr><td>{t(q.predicate)}</td><td>{t(q.object)}</td><td>{t(q.graph_name)}</td></tr>"
                       for q in out if not isinstance(q.graph_name, ox.DefaultGraph))
        parts.append(f"<h2>About it <small>({len(out)})</small></h2><table><thead><tr><th>property</th>"
                     f"<th>value</th><th>graph</th></tr></thead><tbody>{rows}</tbody></table>")
    if inc:
        rows = "".join(f"<tr><td>{t(q.subject)}</td><td>{t(q.predicate)}</td><td>{t(q.graph_name)}</td></tr>"
                       for q in inc if not isinstance(q.graph_name, ox.DefaultGraph))
        parts.append(f"<h2>Pointing to it <small>({len(inc)})</small></h2><table><thead><tr><th>subject</th>"
                     f"<th>property</th><th>graph</th></tr></thead><tbody>{rows}</tbody></table>")
    if contents:
        rows = "".join(f"<tr><td>{t(q.subject)}</td><td>{t(q.predicate)}</td><td>{t(q.object)}</td></tr>"
                       for q in contents)
        parts.append(f"<h2>Inside this graph <small>({len(contents)})</small></h2><table><thead><tr>"
                     f"<th>subject</th><th>property</th><th>value</th></tr></thead><tbody>{rows}</tbody></table>")
    return layout(title, "".join(parts), "/entities")


def editor_page(saved: list[sparql.SavedQuery], yasgui: bool) -> bytes:
    data = json.dumps([{"name": q.name, "question": q.question, "query": q.text} for q in saved])
    data = data.replace("</", "<\\/")  # safe inside <script>
    if not yasgui:
        options = "".join(f"<option value='{e(q.name)}'>{e(q.name)}: {e(q.question)}</option>" for q in saved)
        body = (
            "<h1>Query editor</h1><p class=error>YASGUI is not installed (run <code>npm ci</code>); "
            "this is the plain editor.</p>"
            f"<form action=/sparql method=get><select id=saved><option value=''>a saved question…</option>"
            f"{options}</select><textarea name=query id=query rows=16>SELECT * WHERE {{ ?s ?p ?o }} LIMIT 10"
            "</textarea><button type=submit>Run</button></form>"
            f"<script type=application/json id=saved-queries>{data}</script>"
            "<script src=/static/plain-editor.js></script>"
        )
        return layout("Query editor", body, "/editor")
    body = (
        "<link rel=stylesheet href=/static/yasgui/yasgui.min.css>"
        f"<script type=application/json id=saved-queries>{data}</script>"
        "<div id=yasgui></div>"
        "<script src=/static/yasgui/yasgui.min.js></script><script src=/static/editor.js></script>"
    )
    return layout("Query editor", body, "/editor")


def files_page(names: list[str]) -> bytes:
    items = "".join(f"<li><a href='/files/{e(n)}'>{e(n)}</a></li>" for n in names)
    return layout("Downloads", f"<h1>Downloads</h1><p>The built artifacts.</p><ul>{items}</ul>")
