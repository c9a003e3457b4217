"""The graph view's pages as files: what they contain, that they load nothing, that they escape text.

Expectations are computed from the data with SPARQL, independently of ``essaykg.view.graph_page``; the
browser checks are in test_graph_page_browser.py.
"""
from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
from _golden import FIXTURES

from essaykg import config, namespaces
from essaykg.kinds import kinds_in
from essaykg.view import graph_page as render

FIXTURE = FIXTURES / "render" / "essay.trig"
XSS_LABEL = "<img src=x onerror=alert(1)>"
SCHEMA = "http://schema.org/"
SYMMETRIC = {namespaces.EKG + "contrastsWith", namespaces.EKG + "divorcing",
             "http://www.w3.org/2004/02/skos/core#related", SCHEMA + "spouse"}
PREFIXES = """
PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX schema: <http://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX ekg: <https://w3id.org/essay-kg/ontology#>
"""


# ---------------------------------------------------------------------------- helpers shared with the browser tests


def load_store(path: Path) -> ox.Store:
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TRIG)
    return store


def summary_of(store: ox.Store) -> dict:
    return {"kinds": dict(sorted(Counter(kinds_in(store).values()).items()))}


def page_data(page: bytes) -> dict:
    """The JSON the page carries in <script id="graph-data">."""
    match = re.search(rb'<script id="graph-data" type="application/json">(.*?)</script>', page, re.DOTALL)
    assert match, "the page has no graph-data script"
    return json.loads(match.group(1).decode("utf-8"))


def query(store: ox.Store, text: str) -> list[dict[str, str]]:
    rows = store.query(PREFIXES + text, use_default_graph_as_union=True)
    names = [v.value for v in rows.variables]
    return [{n: (row[n].value if row[n] is not None else None) for n in names} for row in rows]


def expected_edges(store: ox.Store) -> set[tuple[str, str, str]]:
    """Distinct IRI-to-IRI triples between two drawn nodes, in any graph; a symmetric relation once."""
    nodes = set(kinds_in(store))
    stated = {(r["s"], r["p"], r["o"]) for r in query(store, """
        SELECT DISTINCT ?s ?p ?o WHERE {
          GRAPH ?g { ?s ?p ?o } FILTER(isIRI(?s) && isIRI(?o) && ?p != rdf:type && ?s != ?o)
        }""") if r["s"] in nodes and r["o"] in nodes}
    # stated both ways, a symmetric relation is drawn once, from the first in sorted order
    return {(s, p, o) for s, p, o in stated if not (p in SYMMETRIC and (o, p, s) in stated and (o, p, s) < (s, p, o))}


def expected_theme_members(store: ox.Store, theme: str) -> set[str]:
    """What the theme filter must leave: the theme and its narrower themes, the claims on them, and
    the entities and quotations one edge away from those."""
    kinds = kinds_in(store)
    core = {r["n"] for r in query(store, f"""
        SELECT DISTINCT ?n WHERE {{
          {{ ?n skos:broader* <{theme}> ; a skos:Concept }}
          UNION
          {{ ?n a schema:Claim ; dcterms:subject ?d . ?d skos:broader* <{theme}> ; a skos:Concept }}
        }}""")}
    members = set(core)
    for s, _p, o in expected_edges(store):
        if s in core and kinds[o] not in ("claim", "theme"):
            members.add(o)
        if o in core and kinds[s] not in ("claim", "theme"):
            members.add(s)
    return members


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return load_store(FIXTURE)


@pytest.fixture(scope="module")
def pages(store) -> dict[str, bytes]:
    return render.render_pages(store, summary_of(store))


@pytest.fixture(scope="module")
def graph(pages) -> dict:
    return page_data(pages["graph.html"])


# ---------------------------------------------------------------------------- the contract


def test_render_pages_returns_the_two_pages(pages):
    assert sorted(pages) == ["graph.html", "themes.html"]
    for content in pages.values():
        assert isinstance(content, bytes)
        assert content.startswith(b"<!DOCTYPE html>")
        content.decode("utf-8")  # valid UTF-8


def test_output_is_byte_deterministic(store, pages):
    again = render.render_pages(store, summary_of(store))
    assert again == pages
    # the same quads inserted in another order give the same bytes
    shuffled = ox.Store()
    quads = sorted(store, key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)),
                   reverse=True)
    shuffled.extend(quads)
    assert render.render_pages(shuffled, summary_of(shuffled)) == pages


def test_output_does_not_depend_on_the_hash_seed(pages):
    code = ("import sys, hashlib; sys.path[:0] = ['tests', 'tests/view']; from test_graph_page import *; "
            "s = load_store(FIXTURE); p = render.render_pages(s, summary_of(s)); "
            "print(hashlib.sha256(p['graph.html'] + p['themes.html']).hexdigest())")
    expected = hashlib.sha256(pages["graph.html"] + pages["themes.html"]).hexdigest()
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             cwd=config.ROOT, env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
        assert out == expected, f"PYTHONHASHSEED={seed} changed the pages"


def test_a_summary_that_disagrees_is_refused(store):
    wrong = summary_of(store)
    wrong["kinds"]["claim"] += 1
    with pytest.raises(ValueError, match="summary counts"):
        render.render_pages(store, wrong)


def test_importing_render_loads_no_heavy_library():
    code = ("import sys, essaykg.view.graph_page; "
            "print(sorted(m for m in ('pyvis', 'networkx', 'jinja2', 'numpy', 'IPython') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=config.ROOT).stdout.strip()
    assert out == "[]"


# ---------------------------------------------------------------------------- nodes and edges


def test_one_node_per_resource_kinds_in_returns(store, graph):
    kinds = kinds_in(store)
    ids = [n["id"] for n in graph["nodes"]]
    assert len(ids) == len(set(ids)) == 31
    assert set(ids) == set(kinds)
    assert Counter(graph["info"][i]["kind"] for i in ids) == Counter(kinds.values())
    assert graph["counts"]["nodes"] == sum(summary_of(store)["kinds"].values())


def test_each_kind_has_its_own_shape_colour_and_legend_entry(store, graph):
    by_kind: dict[str, set[tuple[str, str]]] = {}
    for node in graph["nodes"]:
        by_kind.setdefault(graph["info"][node["id"]]["kind"], set()).add((node["shape"], node["color"]["background"]))
    assert all(len(styles) == 1 for styles in by_kind.values()), by_kind
    styles = [next(iter(s)) for s in by_kind.values()]
    assert len(by_kind) == 9
    assert len({shape for shape, _ in styles}) == 9 and len({colour for _, colour in styles}) == 9
    legend = {k["kind"]: k for k in graph["kinds"]}
    assert set(legend) == set(by_kind)
    for kind, ((shape, colour),) in ((k, tuple(v)) for k, v in by_kind.items()):
        assert (legend[kind]["shape"], legend[kind]["colour"]) == (shape, colour)
        assert legend[kind]["count"] == Counter(kinds_in(store).values())[kind]


def test_labels_come_from_the_data(store, graph):
    labels = {n["id"]: n["label"] for n in graph["nodes"]}
    people = query(store, "SELECT ?s ?l WHERE { ?s a schema:Person ; rdfs:label ?l }")
    assert len(people) == 6
    for row in people:
        assert labels[row["s"]] == row["l"]
    themes = query(store, "SELECT ?s ?l WHERE { ?s a skos:Concept ; skos:prefLabel ?l }")
    assert len(themes) == 7
    for row in themes:
        assert labels[row["s"]] == row["l"]
    # a quotation without a label shows its words, in typographic quotes
    quote = "https://w3id.org/essay-kg/essay/her-2023/quotation/not-ready"
    assert labels[quote] == "“I’m not ready; I like being married.”"


def test_edges_are_every_relation_between_nodes(store, graph):
    drawn = {(e["from"], e["to"]) for e in graph["edges"]}
    expected = expected_edges(store)
    assert len(graph["edges"]) == len(expected) == 42
    assert drawn == {(s, o) for s, _p, o in expected}
    by_pair = {(e["from"], e["to"]): e for e in graph["edges"]}
    claim = "https://w3id.org/essay-kg/essay/her-2023/claim/"
    supports = by_pair[(claim + "theodore-cannot-commit", claim + "disordered-passivity")]
    assert (supports["label"], supports["arrows"], supports["dashes"]) == ("supports", "to", False)
    contrast = by_pair[(claim + "body-essential", claim + "intimacy-central")]
    assert (contrast["label"], contrast["arrows"]) == ("contrasts with", "")  # symmetric: no arrowhead
    assert by_pair[(claim + "theodore-cannot-commit", claim + "body-essential")]["arrows"] == ""
    related = [e for e in graph["edges"] if e["label"] == "related"]
    assert [(e["from"], e["to"]) for e in related] == [  # stated both ways, drawn once
        ("https://w3id.org/essay-kg/theme/commitment", "https://w3id.org/essay-kg/theme/disordered-passivity")]
    asserted = by_pair[("https://w3id.org/essay-kg/id/theodore-twombly",
                        "https://w3id.org/essay-kg/theme/disordered-passivity")]
    assert asserted["label"] == "exemplifies" and asserted["dashes"] is True
    assert graph["edgeCategory"][asserted["id"]] == "asserted"
    assert "asserted by the claim “Men fail from disordered passivity, not machismo”" in asserted["title"]
    spoken = by_pair[("https://w3id.org/essay-kg/essay/her-2023/quotation/not-ready",
                      "https://w3id.org/essay-kg/id/theodore-twombly")]
    assert spoken["label"] == "spoken by character"


def test_node_size_is_degree_centrality(store, graph):
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(kinds_in(store))
    g.add_edges_from((s, o) for s, _p, o in expected_edges(store))
    centrality = nx.degree_centrality(g)
    for node in graph["nodes"]:
        assert node["value"] == round(centrality[node["id"]], 4)
    film = next(n for n in graph["nodes"] if n["id"].endswith("/id/her-film"))
    assert film["value"] == max(n["value"] for n in graph["nodes"])  # the film is the hub
    assert graph["options"]["nodes"]["scaling"]["min"] < graph["options"]["nodes"]["scaling"]["max"]


def test_layout_is_precomputed_and_physics_is_off(graph):
    assert graph["options"]["physics"] == {"enabled": False}
    points = [(n["x"], n["y"]) for n in graph["nodes"]]
    assert all(isinstance(c, int) for p in points for c in p)
    closest = min(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5
                  for i, a in enumerate(points) for b in points[i + 1:])
    assert closest >= 60, f"two nodes are only {closest:.0f}px apart"


# ---------------------------------------------------------------------------- the side panel's data


def test_claims_carry_their_evidence_with_offsets_and_source(store, graph):
    rows = query(store, """
        SELECT ?c ?exact ?start ?end ?n ?url WHERE {
          ?c a schema:Claim ; ekg:evidence ?a .
          ?a oa:hasSource ?essay ; dcterms:isPartOf ?p ;
             oa:hasSelector [ oa:exact ?exact ], [ oa:start ?start ; oa:end ?end ] .
          ?p schema:position ?n . ?essay schema:url ?url .
        } ORDER BY ?c""")
    assert len(rows) == 4
    for row in rows:
        (ev,) = graph["info"][row["c"]]["evidence"]
        assert (ev["exact"], ev["start"], ev["end"], ev["paragraph"], ev["sourceUrl"]) == (
            row["exact"], int(row["start"]), int(row["end"]), int(row["n"]), row["url"])
    passivity = graph["info"]["https://w3id.org/essay-kg/essay/her-2023/claim/disordered-passivity"]
    assert "“disordered passivity.”" in passivity["evidence"][0]["exact"]  # typographic quotes kept
    assert passivity["asserts"] == [["https://w3id.org/essay-kg/id/theodore-twombly", "exemplifies",
                                     "https://w3id.org/essay-kg/theme/disordered-passivity"]]
    assert passivity["stance"] == "endorsement"


def test_quotations_carry_their_text_and_evidence(store, graph):
    rows = query(store, "SELECT ?q ?text WHERE { ?q a schema:Quotation ; schema:text ?text }")
    assert len(rows) == 3
    for row in rows:
        entry = graph["info"][row["q"]]
        assert entry["text"] == row["text"]
        assert entry["evidence"][0]["exact"] == row["text"]


def test_only_http_links_become_links(graph):
    xss = graph["info"]["https://w3id.org/essay-kg/id/xss-test"]
    javascript = [link for link in xss["links"] if link["text"].startswith("javascript:")]
    assert javascript and all(link["href"] is None for link in javascript)
    for entry in graph["info"].values():
        for link in entry["links"]:
            assert link["href"] is None or link["href"].startswith(("http://", "https://"))


def test_theme_filters_hold_what_the_data_says(store, graph):
    themes = [r["t"] for r in query(store, "SELECT ?t WHERE { ?t a skos:Concept } ORDER BY ?t")]
    assert sorted(graph["themeMembers"]) == themes
    for theme in themes:
        assert set(graph["themeMembers"][theme]) == expected_theme_members(store, theme), theme
    relationships = set(graph["themeMembers"]["https://w3id.org/essay-kg/theme/relationships"])
    assert "https://w3id.org/essay-kg/essay/her-2023/claim/theodore-cannot-commit" in relationships  # via Commitment


def test_a_themes_claims_are_listed_in_the_arguments_order(store, graph):
    rows = query(store, """
        SELECT ?c ?n WHERE { ?c a schema:Claim ; schema:position ?n ; dcterms:subject ?t .
          ?t skos:broader+ <https://w3id.org/essay-kg/theme/relationships> } ORDER BY ?n""")
    entry = graph["info"]["https://w3id.org/essay-kg/theme/relationships"]
    assert entry["claims"] == []
    assert entry["narrowerClaims"] == [r["c"] for r in rows] == [
        "https://w3id.org/essay-kg/essay/her-2023/claim/intimacy-central",
        "https://w3id.org/essay-kg/essay/her-2023/claim/theodore-cannot-commit"]


# ---------------------------------------------------------------------------- offline and safe


def test_pages_reference_nothing_outside(pages):
    for name, content in pages.items():
        text = content.decode("utf-8")
        assert not re.search(r"<(script|link|img|iframe|embed|object|source)\b[^>]*\b(src|href)\s*=", text, re.I), name
        hrefs = re.findall(r'\bhref="([^"]*)"', text)
        # the site's own pages: beside it, or (from an essay's folder, essays/SLUG/) the corpus's two levels up
        assert hrefs and set(hrefs) <= {"graph.html", "themes.html", "index.html", "argument.html", "reader.html",
                                        "../../index.html", "../../graph.html", "../../themes.html"}, hrefs
        assert "sourceMappingURL" not in text
        assert len(re.findall(r"^<script", text, re.M)) == 3  # data, vis-network, the page's own


def test_content_security_policy_allows_only_the_pages_own_scripts(pages):
    for content in pages.values():
        text = content.decode("utf-8")
        policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', text).group(1)
        scripts = re.findall(r"<script>(.*?)</script>", text, re.DOTALL)
        hashes = sorted("'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"
                        for s in scripts)
        assert "default-src 'none'" in policy
        assert sorted(re.search(r"script-src ([^;]*)", policy).group(1).split()) == hashes
        assert "unsafe-inline" not in re.search(r"script-src ([^;]*)", policy).group(1)


def test_markup_in_the_data_is_never_raw_in_the_page(pages, graph):
    for content in pages.values():
        assert b"<img" not in content
        assert b"<script>alert" not in content and b"</script><script>alert" not in content
        assert b"<b onmouseover" not in content
    text = pages["graph.html"].decode("utf-8")
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in text  # inside the JSON, escaped
    assert "&lt;b onmouseover=alert(3)&gt;Theme&lt;/b&gt;" in text  # the theme filter's option, autoescaped
    labels = {n["id"]: n["label"] for n in graph["nodes"]}
    assert labels["https://w3id.org/essay-kg/id/xss-test"] == XSS_LABEL  # and still shown as written


def test_json_for_script_escapes_what_could_close_the_script():
    out = render.json_for_script({"a": "</script><!-- & \u2028"})
    assert "<" not in out and ">" not in out and "&" not in out and "\u2028" not in out
    assert json.loads(out) == {"a": "</script><!-- & \u2028"}


def test_typography_survives(pages, graph):
    text = pages["graph.html"].decode("utf-8")
    for character in "’“”—…":
        assert character in text
    title = html.unescape(re.search(r"<title>(.*?)</title>", text).group(1))
    assert title == "Graph · Is the Cure to Male Loneliness … ‘Her’?"
    assert graph["info"]["https://w3id.org/essay-kg/id/yuval-levin"]["description"] == (
        "Writer whose term “disordered passivity” the essay adopts — to describe a kind of male failure.")


# ---------------------------------------------------------------------------- the themes view


def test_themes_page_is_the_scheme_with_claims_per_theme(store, pages):
    data = page_data(pages["themes.html"])
    themes = {r["t"]: r for r in query(store, """
        SELECT ?t (COUNT(DISTINCT ?c) AS ?n) (COUNT(DISTINCT ?d) AS ?all) WHERE {
          ?t a skos:Concept .
          OPTIONAL { ?c a schema:Claim ; dcterms:subject ?t }
          OPTIONAL { ?d a schema:Claim ; dcterms:subject/skos:broader* ?t }
        } GROUP BY ?t""")}
    assert {n["id"] for n in data["nodes"]} == set(themes)
    graph_options = {o["id"]: o["claims"] for o in page_data(pages["graph.html"])["themeOptions"]}
    for node in data["nodes"]:
        n, total = int(themes[node["id"]]["n"]), int(themes[node["id"]]["all"])
        said = f"{n} claim{'' if n == 1 else 's'}" + ("" if total == n else f", {total} with narrower")
        assert node["label"].endswith("\n" + said)
        assert graph_options[node["id"]] == said  # the graph view's theme menu counts the same way
        assert node["shape"] == "box"
    broader = query(store, "SELECT ?a ?b WHERE { ?a skos:broader ?b }")
    related = query(store, "SELECT ?a ?b WHERE { ?a skos:related ?b }")
    assert all("label" not in e for e in data["edges"])  # the legend names them; no label floats alone
    broader_drawn = {(e["from"], e["to"]) for e in data["edges"] if e["name"] == "broader"}
    assert broader_drawn == {(r["a"], r["b"]) for r in broader}
    related_drawn = [frozenset((e["from"], e["to"])) for e in data["edges"] if e["name"] == "related"]
    assert len(related_drawn) == len(set(related_drawn))  # once per pair, however often stated
    assert set(related_drawn) == {frozenset((r["a"], r["b"])) for r in related}
    assert len(data["edges"]) == len(broader) + len(related_drawn) == 5
    # an outline: broader themes left of their narrower ones, every top concept in the first column
    x = {n["id"]: n["x"] for n in data["nodes"]}
    for row in broader:
        assert x[row["a"]] > x[row["b"]]
    tops = set(themes) - {r["a"] for r in broader}
    assert {x[t] for t in tops} == {min(x.values())}


# ---------------------------------------------------------------------------- the real build


def test_built_graph_view_matches_the_summary(built):
    data = page_data((built.out_dir / "graph.html").read_bytes())
    assert len(data["nodes"]) == sum(built.summary["kinds"].values()) == built.summary["nodes"]
    store = load_store(built.out_dir / "essay-kg.trig")
    assert {n["id"] for n in data["nodes"]} == set(kinds_in(store))
    assert len(data["edges"]) == len(expected_edges(store))
    themes = page_data((built.out_dir / "themes.html").read_bytes())
    assert len(themes["nodes"]) == built.summary["themes"]
