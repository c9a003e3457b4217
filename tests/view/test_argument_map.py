"""output/argument.html, the argument map (essaykg/view/argument_map.py).

The unit tests lay out a tiny hand-made argument; the browser tests open the real build's page in
Debian's Chromium at 1280x800 and compare what it draws with SPARQL over the built data (never with
numbers the page itself computed). Never run `playwright install`: /usr/bin/chromium is used.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import pyoxigraph as ox
import pytest
from test_graph_page_browser import WATCH, browser, wait_until  # noqa: F401 (browser is a fixture)

from essaykg import config, namespaces
from essaykg.view import argument_map

P = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in namespaces.PREFIXES.items())
C = "https://w3id.org/essay-kg/test/claim/"
VIEWPORT = {"width": 1280, "height": 800}

TINY = """
@prefix c: <https://w3id.org/essay-kg/test/claim/> .
@prefix a: <https://w3id.org/essay-kg/test/anchor/> .
@prefix ekg: <https://w3id.org/essay-kg/ontology#> .
@prefix schema: <http://schema.org/> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
<https://w3id.org/essay-kg/test/graph> {
  <https://w3id.org/essay-kg/test/essay> ekg:thesis c:thesis ; ekg:conclusion c:end ; rdfs:label "A tiny essay" .
  c:end a schema:Claim ; schema:position 7 ; rdfs:label "In the end, only partly" ; ekg:answers c:objection .
  c:thesis a schema:Claim ; schema:position 1 ; rdfs:label "Thesis: the film is timely" .
  c:reason a schema:Claim ; schema:position 2 ; rdfs:label "It saw AI coming" ; ekg:supports c:thesis ;
      ekg:stance ekg:observation ; ekg:evidence a:p2-saw .
  c:objection a schema:Claim ; schema:position 3 ; rdfs:label "Some found it creepy" ; ekg:attacks c:reason .
  c:nuance a schema:Claim ; schema:position 4 ; rdfs:label "Only partly" ; ekg:qualifies c:reason .
  c:left a schema:Claim ; schema:position 5 ; rdfs:label "Left" ; ekg:attacks c:right ; ekg:supports c:thesis .
  c:right a schema:Claim ; schema:position 6 ; rdfs:label "Right" ; ekg:attacks c:left .
  a:p2-saw oa:hasSelector a:p2-saw-q, a:p2-saw-p ; dcterms:isPartOf <https://w3id.org/essay-kg/test/para/2> .
  a:p2-saw-q oa:exact "saw it coming" .
  a:p2-saw-p oa:start 120 ; oa:end 133 .
  <https://w3id.org/essay-kg/test/para/2> schema:position 2 .
}
"""


@pytest.fixture(scope="module")
def tiny() -> ox.Store:
    store = ox.Store()
    store.load(TINY.encode(), format=ox.RdfFormat.TRIG)
    return store


@pytest.fixture(scope="module")
def ontology() -> list[ox.Quad]:
    from essaykg.build.load import parse_file

    return parse_file(config.ONTOLOGY_DIR / "ontology.ttl", ox.RdfFormat.TURTLE)


# ---------------------------------------------------------------------------- unit


def test_layers_put_each_claim_below_what_it_bears_on(tiny, ontology):
    data = argument_map.page_data(tiny, ontology)
    layer = {n["id"][len(C):]: n["layer"] for n in data["nodes"]}
    y = {n["id"][len(C):]: n["y"] for n in data["nodes"]}
    assert layer == {"thesis": 0, "reason": 1, "objection": 2, "nuance": 2,
                     # left and right attack each other: one cycle, condensed into one layer below the thesis
                     "left": 1, "right": 1,
                     # the conclusion is on top with the thesis, though it answers a claim two layers down
                     "end": 0}
    assert y["thesis"] == y["end"] < y["reason"] < y["objection"]
    assert data["counts"] == {"claims": 7, "links": 7, "layers": 3}


def test_support_attack_and_qualify_are_drawn_differently(tiny, ontology):
    data = argument_map.page_data(tiny, ontology)
    edge = {(e["from"][len(C):], e["to"][len(C):]): e for e in data["edges"]}
    support, attack, qualify = edge[("reason", "thesis")], edge[("objection", "reason")], edge[("nuance", "reason")]
    assert (support["relation"], attack["relation"], qualify["relation"]) == ("support", "attack", "undercut")
    assert support["dashes"] is False and attack["dashes"] and qualify["dashes"]
    assert attack["dashes"] != qualify["dashes"]
    assert len({support["color"]["color"], attack["color"]["color"], qualify["color"]["color"]}) == 3
    assert edge[("left", "right")]["smooth"]["enabled"]  # within a layer the line bows around the boxes
    legend = {item["relation"]: item["properties"] for item in data["legend"]}
    assert legend == {"support": "answers, supports", "attack": "attacks, concedes", "undercut": "qualifies",
                      "contradictory": "contrasts with"}


def test_claim_details_carry_the_quote_with_offsets(tiny, ontology):
    data = argument_map.page_data(tiny, ontology)
    info = data["info"][C + "reason"]
    assert info["evidence"] == [{"anchor": "https://w3id.org/essay-kg/test/anchor/p2-saw", "exact": "saw it coming",
                                 "start": 120, "end": 133, "paragraph": 2, "readerId": "p2-saw"}]
    assert info["stance"] == "observation"
    thesis = next(n for n in data["nodes"] if n["id"] == C + "thesis")
    assert thesis["group"] == "end" and thesis["label"] == "Thesis: the film is timely"  # no second "THESIS"
    assert data["title"] == "A tiny essay"


def test_long_labels_are_shortened_at_a_word():
    text = "word " * 40
    short = argument_map.short_label(text, 30)
    assert len(short) <= 30 and short.endswith("…") and not short.endswith(" …")
    assert argument_map.short_label("  short   one ") == "short one"


def test_page_is_byte_stable_with_a_hashed_csp(tiny):
    first, second = argument_map.render(tiny), argument_map.render(tiny)
    assert first == second
    html = first.decode()
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', html).group(1)
    assert csp.count("'sha256-") == 2 and "unsafe-eval" not in csp and "default-src 'none'" in csp
    assert "<script src" not in html and "<link" not in html


# ---------------------------------------------------------------------------- the real build in Chromium


def rows(store: ox.Store, query: str) -> list[tuple]:
    result = store.query(P + query, use_default_graph_as_union=True)
    return sorted(tuple(row[v].value if row[v] is not None else None for v in result.variables) for row in result)


@pytest.fixture(scope="module")
def essay(built) -> ox.Store:
    store = ox.Store()
    store.load(path=built.out_dir / "essay-kg.trig", format=ox.RdfFormat.TRIG)
    return store


@pytest.fixture
def open_map(browser, built):  # noqa: F811
    opened = []

    def _open(fragment: str = "", viewport: dict = VIEWPORT):
        context = browser.new_context(viewport=viewport, service_workers="block")
        page = context.new_page()
        path = built.out_dir / "essays" / "her-2023" / "argument.html"
        view = type("View", (), {})()
        view.page, view.url, view.requests, view.console, view.errors = page, path.resolve().as_uri(), [], [], []
        page.on("request", lambda r: view.requests.append(r.url))
        page.on("console", lambda m: view.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: view.errors.append(str(e)))
        page.add_init_script(WATCH)
        page.goto(view.url + fragment)
        wait_until(view, "() => window.argumentMap && argumentMap.ready")
        opened.append((view, context))
        return view

    yield _open
    for view, context in opened:
        try:
            assert view.requests == [view.url], f"the page requested more than itself: {view.requests}"
            assert view.errors == [] and [m for m in view.console if m[0] == "error"] == []
            assert view.page.evaluate("window.__csp") == [] and view.page.evaluate("window.__alerts") == []
        finally:
            context.close()


def dom_positions(view) -> dict[str, tuple[float, float]]:
    """Each node's centre in the page's pixels (canvas coordinates through canvasToDOM)."""
    return {k: (v["x"], v["y"]) for k, v in view.page.evaluate("""() => {
        const n = argumentMap.network, out = {}, at = n.getPositions();
        for (const id in at) out[id] = n.canvasToDOM(at[id]);
        return out; }""").items()}


def test_every_claim_is_drawn_once(open_map, essay):
    claims = [r[0] for r in rows(essay, "SELECT DISTINCT ?c WHERE { ?c a schema:Claim }")]
    view = open_map()
    drawn = view.page.evaluate("argumentMap.drawnNodes()")
    assert len(drawn) == len(set(drawn)) and sorted(drawn) == claims
    assert sorted(view.page.evaluate("argumentMap.nodes.getIds()")) == claims


def test_supported_claims_are_drawn_above_their_supporters(open_map, essay):
    # every link but those out of the thesis and the conclusion, which are drawn on top whatever they bear on
    links = rows(essay, """SELECT ?a ?b WHERE { ?a ekg:supports|ekg:answers ?b . ?a a schema:Claim . ?b a schema:Claim
                                                FILTER NOT EXISTS { ?e ekg:thesis|ekg:conclusion ?a } }""")
    thesis = rows(essay, "SELECT ?t WHERE { ?e ekg:thesis ?t }")
    supporters = rows(essay, "SELECT ?a WHERE { ?e ekg:thesis ?t . ?a ekg:supports|ekg:answers ?t }")
    assert links and len(thesis) == 1 and supporters
    at = dom_positions(open_map())
    wrong = [(a, b) for a, b in links if not at[b][1] < at[a][1]]
    assert wrong == [], wrong
    for (a,) in supporters:
        assert at[thesis[0][0]][1] < at[a][1], a
    # the thesis on top, the conclusion (which supports it) on the first layer under it
    conclusion = rows(essay, "SELECT ?c WHERE { ?e ekg:conclusion ?c }")[0][0]
    assert all(at[thesis[0][0]][1] <= y + 0.5 for _x, y in at.values())
    below = sorted({round(y) for _x, y in at.values() if y > at[thesis[0][0]][1] + 0.5})
    assert round(at[conclusion][1]) == below[0]
    print(f"\n{len(links)} support/answers links, {len(supporters)} claims supporting the thesis")


def test_labels_are_readable_at_the_first_view(open_map, essay):
    view = open_map()
    visible = view.page.evaluate("argumentMap.visibleLabels()")
    thesis = rows(essay, "SELECT ?t WHERE { ?e ekg:thesis ?t }")[0][0]
    assert thesis in {v["id"] for v in visible}
    small = [v for v in visible if v["px"] < 12]
    assert small == [], small
    assert len(visible) >= 10  # a readable start still shows a good part of the map
    scale = view.page.evaluate("argumentMap.network.getScale()")
    print(f"\ninitial scale {scale:.3f}, {len(visible)} claims in view, label {min(v['px'] for v in visible):.1f}px")


def _claim_with_evidence(essay):
    return rows(essay, """SELECT ?c ?exact ?start ?end ?anchor WHERE {
        ?e ekg:thesis ?c . ?c ekg:evidence ?anchor . ?anchor oa:hasSelector ?q, ?p .
        ?q oa:exact ?exact . ?p oa:start ?start ; oa:end ?end }""")


def test_clicking_a_claim_shows_its_words_and_offsets(open_map, essay):
    quotes = _claim_with_evidence(essay)
    assert quotes
    claim = quotes[0][0]
    view = open_map()
    x, y = dom_positions(view)[claim]
    box = view.page.evaluate("(() => { const r = document.getElementById('graph').getBoundingClientRect();"
                             " return [r.left, r.top]; })()")
    view.page.mouse.click(box[0] + x, box[1] + y)
    wait_until(view, "(c) => argumentMap.selected() === c", claim)
    panel = view.page.inner_text("#panel")
    for _c, exact, start, end, anchor in quotes:
        assert exact in panel
        assert f"[{start}, {end})" in panel
    hrefs = view.page.eval_on_selector_all("#panel a", "els => els.map(e => e.getAttribute('href'))")
    for *_rest, anchor in quotes:
        assert "reader.html#" + anchor.rsplit("/", 1)[-1] in hrefs
    assert "graph.html#" + quote(claim, safe="") in hrefs
    supporters = rows(essay, f"SELECT ?a WHERE {{ ?a ekg:supports <{claim}> }}")
    assert {"#" + quote(a, safe="") for (a,) in supporters} <= set(hrefs)


def test_a_deep_link_selects_the_claim(open_map, essay):
    deepest = rows(essay, """SELECT ?c ?label WHERE { ?c a schema:Claim ; rdfs:label ?label ; schema:position ?p }
                             ORDER BY DESC(?p) LIMIT 1""")[0]
    view = open_map("#" + quote(deepest[0], safe=""))
    assert view.page.evaluate("argumentMap.selected()") == deepest[0]
    assert view.page.inner_text("#claim-label") == deepest[1]
    x, y = dom_positions(view)[deepest[0]]
    width, height = view.page.evaluate("[document.getElementById('graph').clientWidth,"
                                       " document.getElementById('graph').clientHeight]")
    assert 0 < x < width and 0 < y < height  # brought into view


DIRECTED = "ekg:supports|ekg:answers|ekg:attacks|ekg:concedes|ekg:qualifies"


def test_the_legend_names_the_links_that_do_not_point_up_and_they_are_drawn_curved(open_map, essay):
    links = rows(essay, f"SELECT ?a ?b WHERE {{ ?a {DIRECTED} ?b . ?a a schema:Claim . ?b a schema:Claim }}")
    top = {t for (t,) in rows(essay, "SELECT ?t WHERE { ?e ekg:thesis|ekg:conclusion ?t }")}
    view = open_map()
    at = dom_positions(view)
    down = [(a, b) for a, b in links if at[a][1] < at[b][1] - 0.5]
    sideways = [(a, b) for a, b in links if abs(at[a][1] - at[b][1]) <= 0.5]
    assert down and sideways and all(a in top for a, _b in down)  # only the thesis and conclusion point down
    rule = view.page.inner_text("#rule")
    assert f"{len(down)} links out of the thesis or the conclusion, which stay on top, point down" in rule
    assert f"{len(sideways)} links between claims that bear on each other, set on one row, run sideways" in rule
    curved = {(e["from"], e["to"]): e["smooth"] for e in view.page.evaluate(
        """() => argumentMap.network.body.edgeIndices.map(id => {
               const e = argumentMap.network.body.edges[id];
               return { from: e.fromId, to: e.toId, smooth: e.options.smooth.enabled }; })""")}
    for a, b in links:
        assert curved[(a, b)] == ((a, b) in down or (a, b) in sideways), (a, b)
    print(f"\n{len(down)} links point down, {len(sideways)} run sideways, {len(links) - len(down) - len(sideways)} point up")


def test_clicking_a_claim_puts_it_in_the_address_and_clicking_away_clears_it(open_map, essay):
    thesis = rows(essay, "SELECT ?t WHERE { ?e ekg:thesis ?t }")[0][0]
    view = open_map()
    x, y = dom_positions(view)[thesis]
    left, top = view.page.evaluate("(() => { const r = document.getElementById('graph').getBoundingClientRect();"
                                   " return [r.left, r.top]; })()")
    view.page.mouse.click(left + x, top + y)
    wait_until(view, "(c) => argumentMap.selected() === c", thesis)
    assert view.page.evaluate("location.hash") == "#" + quote(thesis, safe="")  # the form the deep link reads
    view.page.mouse.click(left + 5, top + 5)  # the empty corner
    wait_until(view, "() => argumentMap.selected() === null")
    assert view.page.evaluate("location.hash") == ""


def test_a_deep_link_by_prefixed_name_selects_the_claim_and_so_does_changing_the_hash(open_map, essay):
    claims = [c for (c,) in rows(essay, "SELECT ?c WHERE { ?c a schema:Claim }")]
    name = "claim:limits-to-connection"
    wanted = namespaces.PREFIXES["claim"] + "limits-to-connection"
    assert wanted in claims
    view = open_map("#" + name)
    assert view.page.evaluate("argumentMap.selected()") == wanted
    other = next(c for c in claims if c != wanted)
    view.page.evaluate("n => { location.hash = n; }", namespaces.shorten(other))
    wait_until(view, "(c) => argumentMap.selected() === c", other)
    view.page.evaluate("n => { location.hash = n; }", quote(wanted, safe=""))
    wait_until(view, "(c) => argumentMap.selected() === c", wanted)
    assert view.page.inner_text("#claim-label") == rows(essay, f"SELECT ?l WHERE {{ <{wanted}> rdfs:label ?l }}")[0][0]


def test_a_deep_link_to_no_claim_says_so(open_map):
    view = open_map("#" + quote("https://example.org/nope", safe=""))
    assert view.page.evaluate("argumentMap.selected()") is None
    message = view.page.locator("#panel #not-found")
    assert message.is_visible()
    assert message.inner_text() == "There is no claim https://example.org/nope in this map. Click a claim to see it."


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800}, {"width": 1024, "height": 768}],
                         ids=["1280x800", "1024x768"])
def test_the_first_view_cuts_no_box_at_the_edge(open_map, essay, viewport):
    thesis = rows(essay, "SELECT ?t WHERE { ?e ekg:thesis ?t }")[0][0]
    conclusion = rows(essay, "SELECT ?c WHERE { ?e ekg:conclusion ?c }")[0][0]
    view = open_map(viewport=viewport)
    boxes = view.page.evaluate("""() => {
        const n = argumentMap.network, c = document.getElementById('graph'), out = {};
        for (const id of n.body.nodeIndices) {
          const b = n.getBoundingBox(id), a = n.canvasToDOM({x: b.left, y: b.top}), z = n.canvasToDOM({x: b.right, y: b.bottom});
          out[id] = [a.x, a.y, z.x, z.y];
        }
        return { boxes: out, width: c.clientWidth, height: c.clientHeight, px: n.getScale() * 15 }; }""")
    width, height = boxes["width"], boxes["height"]
    whole = {i for i, (x0, y0, x1, y1) in boxes["boxes"].items() if x0 >= 0 and y0 >= 0 and x1 <= width and y1 <= height}
    cut = {i for i, (x0, y0, x1, y1) in boxes["boxes"].items()
           if i not in whole and x1 > 0 and x0 < width and y1 > 0 and y0 < height}
    assert cut == set(), cut
    assert {thesis, conclusion} <= whole
    assert boxes["px"] >= 12 and len(whole) >= 10
    print(f"\n{viewport['width']}x{viewport['height']}: {len(whole)} of {len(boxes['boxes'])} claims whole in view,"
          f" labels {boxes['px']:.1f}px")
