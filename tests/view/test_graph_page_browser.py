"""The graph view in a real browser: Debian's Chromium driven by Playwright, every request recorded.

Each page is opened from disk (file://) twice over: the small fixture in tests/fixtures/render/
(which holds the XSS labels) and the real build of the essay. What the page must show is computed
from the data with SPARQL. Timings and sizes are printed, never asserted.
Never run `playwright install`: the tests use /usr/bin/chromium (apt-get install chromium).
"""
from __future__ import annotations

import json
import struct
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from test_graph_page import (
    FIXTURE,
    XSS_LABEL,
    expected_edges,
    expected_theme_members,
    load_store,
    query,
    summary_of,
)

from essaykg import config
from essaykg.kinds import kinds_in
from essaykg.view import graph_page as render

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1600, "height": 1000}
ID = "https://w3id.org/essay-kg/id/"
THEME = "https://w3id.org/essay-kg/theme/"
CLAIM = "https://w3id.org/essay-kg/essay/her-2023/claim/"

# Runs before any script of the page: records alert/confirm/prompt calls and CSP violations.
WATCH = """
window.__alerts = [];
for (const name of ["alert", "confirm", "prompt", "print"]) {
  window[name] = function (message) { window.__alerts.push([name, String(message)]); };
}
window.__csp = [];
document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI));
"""


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        message = f"{CHROMIUM} is missing: apt-get install chromium (never `playwright install`)"
        if config.in_ci():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module", params=["fixture", "essay"])
def site(request, tmp_path_factory) -> SimpleNamespace:
    """A folder holding graph.html and themes.html, with the store and summary they were made from."""
    if request.param == "fixture":
        store = load_store(FIXTURE)
        summary = summary_of(store)
        out_dir = tmp_path_factory.mktemp("render-fixture")
        render.write_pages(store, summary, out_dir)
    else:
        built = request.getfixturevalue("built")
        out_dir, summary = built.out_dir, built.summary
        store = load_store(out_dir / "essay-kg.trig")
    return SimpleNamespace(name=request.param, out_dir=out_dir, store=store, summary=summary,
                           kinds=kinds_in(store), edges=expected_edges(store))


@pytest.fixture
def open_page(browser):
    """open_page(path) -> a loaded page with its requests, console messages and dialogs recorded.

    On teardown it asserts that the page asked for nothing but itself and logged no error.
    """
    opened = []

    def _open(path: Path, fragment: str = ""):
        context = browser.new_context(viewport=VIEWPORT, service_workers="block")
        page = context.new_page()
        view = SimpleNamespace(page=page, context=context, url=path.resolve().as_uri(), requests=[],
                               console=[], errors=[], dialogs=[])
        page.on("request", lambda r: view.requests.append(r.url))
        page.on("console", lambda m: view.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: view.errors.append(str(e)))
        page.on("dialog", lambda d: (view.dialogs.append(d.message), d.dismiss()))
        page.add_init_script(WATCH)
        page.goto(view.url + fragment)
        wait_until(view, "() => window.essayGraph && essayGraph.timings.settled > 0")
        opened.append(view)
        return view

    yield _open
    for view in opened:
        try:
            assert view.requests == [view.url], f"the page requested more than itself: {view.requests}"
            assert view.errors == [], view.errors
            assert [m for m in view.console if m[0] == "error"] == []
            assert view.dialogs == []
            assert view.page.evaluate("window.__alerts") == []
            assert view.page.evaluate("window.__csp") == []
        finally:
            view.context.close()


# ---------------------------------------------------------------------------- helpers


def wait_until(view, expression: str, arg=None, timeout: float = 10.0):
    """Poll a JS function of ``arg`` until it returns something truthy.

    Not page.wait_for_function: that evaluates its predicate with eval(), which the page's
    Content-Security-Policy forbids (and the CSP watch would record). page.evaluate goes through
    the DevTools protocol, which CSP does not govern.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = view.page.evaluate(expression, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression} ({arg!r})")
        view.page.wait_for_timeout(20)


def drawn_nodes(view) -> set[str]:
    return set(view.page.evaluate("essayGraph.drawnNodes()"))


def drawn_edges(view) -> list[str]:
    return view.page.evaluate("essayGraph.drawnEdges()")


def node_point(view, node_id: str, scale: float = 1.4) -> tuple[float, float]:
    """Centre the view on a node and return its position on the screen; check nothing covers it."""
    # A zoom still running (search's Enter, a double click) would move the view after ours: wait
    # until the view holds still for 150 ms.
    view.page.evaluate("""() => new Promise(resolve => {
        const net = essayGraph.network;
        const look = () => JSON.stringify([net.getViewPosition(), net.getScale()]);
        let last = look();
        const check = () => { const now = look(); if (now === last) resolve(); else { last = now; setTimeout(check, 150); } };
        setTimeout(check, 150);
    })""")
    dom = view.page.evaluate("""([id, scale]) => {
        const net = essayGraph.network;
        net.moveTo({position: net.getPositions([id])[id], scale: scale, animation: false});
        return net.canvasToDOM(net.getPositions([id])[id]);
    }""", [node_id, scale])
    assert view.page.evaluate("p => essayGraph.network.getNodeAt(p)", dom) == node_id
    box = view.page.locator("#graph").bounding_box()
    return box["x"] + dom["x"], box["y"] + dom["y"]


def click_node(view, node_id: str) -> None:
    x, y = node_point(view, node_id)
    view.page.mouse.click(x, y)
    wait_until(view, "id => essayGraph.selected() === id", node_id)


def neighbours(site, node_id: str) -> set[str]:
    found = {node_id}
    for s, _p, o in site.edges:
        if s == node_id:
            found.add(o)
        if o == node_id:
            found.add(s)
    return found


def label_of(site, text: str) -> str:
    """The node whose label is ``text`` (found by querying the data, not by its IRI)."""
    rows = query(site.store, f"""
        SELECT DISTINCT ?s WHERE {{
          ?s rdfs:label|skos:prefLabel|schema:name ?l FILTER(STR(?l) = {json.dumps(text)})
        }}""")
    hits = sorted({r["s"] for r in rows} & set(site.kinds))
    assert len(hits) == 1, hits
    return hits[0]


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


# ---------------------------------------------------------------------------- loading


def test_page_loads_offline_and_draws_every_node(site, open_page, capsys):
    view = open_page(site.out_dir / "graph.html")
    nodes = drawn_nodes(view)
    edges = drawn_edges(view)
    assert nodes == set(site.kinds)
    assert len(nodes) == sum(site.summary["kinds"].values())
    assert len(edges) == len(site.edges)
    assert view.page.locator("#status").text_content() == f"{len(nodes)} nodes · {len(edges)} edges"
    timings = view.page.evaluate("essayGraph.timings")
    size = (site.out_dir / "graph.html").stat().st_size
    with capsys.disabled():
        print(f"\n[graph page: {site.name}] {len(nodes)} nodes and {len(edges)} edges drawn; "
              f"page {size / 1024:.0f} KB; requests {view.requests}; "
              f"settled {timings['settled']:.0f} ms after navigation start "
              f"({timings['settled'] - timings['scriptStart']:.0f} ms after its script started)")


def test_layout_is_settled_at_once_and_does_not_drift(site, open_page):
    view = open_page(site.out_dir / "graph.html")
    assert view.page.evaluate("essayGraph.network.physics.physicsEnabled") is False
    before = view.page.evaluate("essayGraph.network.getPositions()")
    view.page.wait_for_timeout(700)
    after = view.page.evaluate("essayGraph.network.getPositions()")
    assert before == after
    data = view.page.evaluate("essayGraph.data.nodes.map(n => [n.id, n.x, n.y])")
    assert {i: {"x": x, "y": y} for i, x, y in data} == before  # drawn where the build put them


def test_themes_page_shows_the_scheme_with_claims_per_theme(site, open_page):
    view = open_page(site.out_dir / "themes.html")
    themes = {t for t, k in site.kinds.items() if k == "theme"}
    assert drawn_nodes(view) == themes
    counts = {r["t"]: int(r["n"]) for r in query(site.store, """
        SELECT ?t (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?t a skos:Concept . OPTIONAL { ?c a schema:Claim ; dcterms:subject ?t } } GROUP BY ?t""")}
    theme = max(sorted(counts), key=lambda t: counts[t])  # the theme with most claims
    click_node(view, theme)
    assert view.page.locator("#panel h2").text_content() == view.page.evaluate(
        "id => essayGraph.data.info[id].label", theme)
    assert view.page.locator("#panel .theme-claims li").count() == counts[theme]
    # a claim listed there leads to the whole graph, by its IRI
    href = view.page.locator("#panel .theme-claims a").first.get_attribute("href")
    assert href.startswith("graph.html#https%3A%2F%2Fw3id.org%2Fessay-kg%2Fessay%2F")


# ---------------------------------------------------------------------------- interaction


def test_search_finds_yuval_levin(site, open_page):
    view = open_page(site.out_dir / "graph.html")
    levin = label_of(site, "Yuval Levin")
    view.page.fill("#search", "yuval lev")
    first = view.page.locator("#results li button").first
    assert first.get_attribute("data-id") == levin
    assert first.text_content().startswith("Yuval Levin")
    view.page.press("#search", "Enter")
    wait_until(view, "id => essayGraph.selected() === id", levin)
    assert view.page.locator("#panel h2").text_content() == "Yuval Levin"
    assert view.page.locator("#panel .kind").text_content() == "Person"
    links = [a.get_attribute("data-id") for a in view.page.locator("#results li button").all()]
    assert links[0] == levin


def test_clicking_the_disordered_passivity_claim_shows_its_verbatim_quote(site, open_page):
    rows = query(site.store, """
        SELECT DISTINCT ?c ?exact ?start ?end ?url WHERE {
          ?c a schema:Claim ; ekg:evidence ?a .
          ?a oa:hasSelector ?q, ?p . ?q oa:exact ?exact . ?p oa:start ?start ; oa:end ?end .
          OPTIONAL { ?a oa:hasSource ?essay . ?essay schema:url ?url }
          FILTER(CONTAINS(?exact, "disordered passivity"))
        } ORDER BY ?c ?start""")
    assert rows, "no claim rests on the words 'disordered passivity'"
    view = open_page(site.out_dir / "graph.html")
    for claim in sorted({r["c"] for r in rows}):
        click_node(view, claim)
        panel = view.page.locator("#panel")
        assert panel.locator("h2").text_content() == view.page.evaluate("id => essayGraph.data.info[id].label", claim)
        assert panel.locator(".kind").text_content() == "Claim"
        quotes = panel.locator(".evidence mark.exact").all_text_contents()
        offsets = panel.locator(".evidence .offsets").all_text_contents()
        for row in (r for r in rows if r["c"] == claim):
            assert row["exact"] in quotes  # verbatim, typographic quotes and all
            assert f"characters {row['start']}–{row['end']}" in offsets
            if row["url"]:
                assert panel.locator(f'.evidence .source-url a[href="{row["url"]}"]').count() >= 1
        # the selection's neighbourhood is highlighted, the rest dimmed
        wait_until(view, "id => (essayGraph.highlighted() || []).includes(id)", claim)
        assert set(view.page.evaluate("essayGraph.highlighted()")) == neighbours(site, claim)
        dimmed = view.page.evaluate("""() => {
            const base = new Map(essayGraph.data.nodes.map(n => [n.id, n.color.background]));
            return essayGraph.nodes.get().filter(n => n.color.background !== base.get(n.id)).map(n => n.id);
        }""")
        assert set(dimmed) == set(site.kinds) - neighbours(site, claim)


def test_double_click_focuses_the_node(site, open_page):
    view = open_page(site.out_dir / "graph.html")
    theodore = label_of(site, "Theodore Twombly")
    x, y = node_point(view, theodore, scale=1.0)
    view.page.mouse.dblclick(x, y)
    # headless software rendering on a busy machine can take seconds for the 350 ms animation
    wait_until(view, "() => essayGraph.timings.lastAnimationFinished > 0", timeout=60)
    assert view.page.evaluate("essayGraph.selected()") == theodore
    assert view.page.evaluate("essayGraph.network.getScale()") == pytest.approx(1.6, abs=0.01)
    centre = view.page.evaluate("essayGraph.network.getViewPosition()")
    node = view.page.evaluate("id => essayGraph.network.getPositions([id])[id]", theodore)
    assert centre["x"] == pytest.approx(node["x"], abs=1) and centre["y"] == pytest.approx(node["y"], abs=1)
    assert view.page.locator("#panel h2").text_content() == "Theodore Twombly"


def test_theme_filter_hides_the_nodes_it_should(site, open_page):
    view = open_page(site.out_dir / "graph.html")
    everything = set(site.kinds)
    for theme in (THEME + "disordered-passivity", THEME + "masculinity"):
        expected = expected_theme_members(site.store, theme)
        assert 3 <= len(expected) < len(everything)
        view.page.select_option("#theme-filter", theme)
        assert drawn_nodes(view) == expected
        edges_left = {(s, p, o) for s, p, o in site.edges if s in expected and o in expected}
        assert len(drawn_edges(view)) == len(edges_left)
        assert view.page.locator("#status").text_content().startswith(f"{len(expected)} of {len(everything)} nodes")
    # masculinity is broader than disordered passivity: its filter keeps the narrower theme's claims
    assert expected_theme_members(site.store, THEME + "disordered-passivity") <= expected
    view.page.select_option("#theme-filter", "")
    assert drawn_nodes(view) == everything


def test_after_a_zoom_each_theme_filter_frames_what_it_shows(site, open_page):
    """A new user zoomed in, chose a theme and saw a blank canvas ("11 of 107 nodes shown")."""
    view = open_page(site.out_dir / "graph.html")
    themes = view.page.evaluate("Array.from(document.querySelectorAll('#theme-filter option')).map(o => o.value)")
    assert themes[0] == "" and len(themes) - 1 == sum(1 for k in site.kinds.values() if k == "theme")
    box = view.page.locator("#graph").bounding_box()
    for theme in themes[1:]:
        # zoomed far in on a corner, away from most nodes
        view.page.evaluate("() => essayGraph.network.moveTo({position: {x: -5000, y: -5000}, scale: 3, animation: false})")
        view.page.select_option("#theme-filter", theme)
        shown = sorted(drawn_nodes(view) - set(view.page.evaluate(
            "essayGraph.nodes.get({filter: n => n.hidden}).map(n => n.id)")))
        assert set(shown) == expected_theme_members(site.store, theme)
        points = view.page.evaluate("""ids => {
            const net = essayGraph.network, pos = net.getPositions(ids);
            return ids.map(id => net.canvasToDOM(pos[id]));
        }""", shown)
        outside = [(node, p) for node, p in zip(shown, points)
                   if not (0 <= p["x"] <= box["width"] and 0 <= p["y"] <= box["height"])]
        assert outside == [], f"{theme}: shown nodes outside the canvas"
    view.page.select_option("#theme-filter", "")


@pytest.mark.parametrize("width, height", [(1280, 800), (1024, 768)])
def test_themes_outline_opens_readable_with_the_top_concepts_in_the_first_column(site, browser, width, height):
    """The themes page is an outline: top concepts in the first column, which is on screen at
    the first view (across; a short screen scrolls down to the last ones), with labels of 12 px or more."""
    tops = {r["t"] for r in query(site.store, "SELECT ?t WHERE { ?t a skos:Concept FILTER NOT EXISTS { ?t skos:broader ?b } }")}
    narrower = {r["t"] for r in query(site.store, "SELECT ?t WHERE { ?t skos:broader ?b }")}
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        page.goto((site.out_dir / "themes.html").resolve().as_uri())
        page.wait_for_function("() => window.essayGraph && essayGraph.timings.settled > 0", polling=100)
        at = page.evaluate("""() => { const n = essayGraph.network, p = n.getPositions(), out = {};
            for (const id in p) out[id] = n.canvasToDOM(p[id]); return out; }""")
        box = page.locator("#graph").bounding_box()
        assert {round(at[t]["x"]) for t in tops} == {round(min(p["x"] for p in at.values()))}
        assert all(round(at[t]["x"]) > round(at[tops.__iter__().__next__()]["x"]) for t in narrower - tops)
        for t in tops:
            assert 0 < at[t]["x"] < box["width"], t
        scale = page.evaluate("essayGraph.network.getScale()")
        font = page.evaluate("essayGraph.data.options.nodes.font.size")
        assert font * scale >= 12, f"labels drawn at {font * scale:.1f} px"
    finally:
        context.close()

def test_deep_links_by_iri_or_curie_and_on_hash_change(site, open_page):
    view = open_page(site.out_dir / "graph.html")
    theodore = label_of(site, "Theodore Twombly")
    curie = "id:" + theodore.rsplit("/", 1)[1]
    view.page.evaluate("h => { location.hash = h; }", curie)  # an open page follows a new fragment
    wait_until(view, "id => essayGraph.selected() === id", theodore)
    assert view.page.locator("#panel h2").text_content() == "Theodore Twombly"
    view.page.evaluate("h => { location.hash = h; }", "https://example.org/nope")
    wait_until(view, "() => document.querySelector('#panel .not-found') !== null")
    assert view.page.locator("#panel .not-found").text_content() == "Nothing in this view is named “https://example.org/nope”."

def test_search_says_when_nothing_matches(site, open_page):
    view = open_page(site.out_dir / "graph.html")
    view.page.fill("#search", "zzzz no such node")
    assert view.page.locator("#results li").all_text_contents() == ["Nothing matches “zzzz no such node”."]
    assert view.page.locator("#results li button").count() == 0
    view.page.fill("#search", "")
    assert view.page.locator("#results li").count() == 0

def test_claim_and_quotation_layers_can_be_hidden(site, open_page):
    view = open_page(site.out_dir / "graph.html")
    claims = {n for n, k in site.kinds.items() if k == "claim"}
    quotations = {n for n, k in site.kinds.items() if k == "quotation"}
    view.page.uncheck('input[data-kind="claim"]')
    assert drawn_nodes(view) == set(site.kinds) - claims
    assert len(drawn_edges(view)) == sum(1 for s, _p, o in site.edges if s not in claims and o not in claims)
    view.page.uncheck('input[data-kind="quotation"]')
    assert drawn_nodes(view) == set(site.kinds) - claims - quotations
    view.page.check('input[data-kind="claim"]')
    view.page.check('input[data-kind="quotation"]')
    assert drawn_nodes(view) == set(site.kinds)
    asserted = view.page.evaluate(
        "Object.entries(essayGraph.data.edgeCategory).filter(e => e[1] === 'asserted').map(e => e[0])")
    assert asserted
    view.page.uncheck("#asserted-layer")
    assert not set(asserted) & set(drawn_edges(view))
    assert len(drawn_edges(view)) == len(site.edges) - len(asserted)


def test_a_link_to_a_node_opens_the_page_on_it(site, open_page):
    from urllib.parse import quote

    levin = label_of(site, "Yuval Levin")
    view = open_page(site.out_dir / "graph.html", "#" + quote(levin, safe=""))
    wait_until(view, "id => essayGraph.selected() === id", levin)
    assert view.page.locator("#panel h2").text_content() == "Yuval Levin"
    wait_until(view, "() => essayGraph.timings.lastAnimationFinished > 0", timeout=60)
    centre = view.page.evaluate("essayGraph.network.getViewPosition()")
    node = view.page.evaluate("id => essayGraph.network.getPositions([id])[id]", levin)
    assert centre["x"] == pytest.approx(node["x"], abs=1) and centre["y"] == pytest.approx(node["y"], abs=1)


# ---------------------------------------------------------------------------- safety and text


def test_xss_fixture_shows_as_text_and_runs_nothing(site, open_page):
    if site.name != "fixture":
        pytest.skip("the XSS labels live in the fixture only")
    view = open_page(site.out_dir / "graph.html")
    page = view.page
    page.fill("#search", "<img")
    assert page.locator("#results li button").first.get_attribute("data-id") == ID + "xss-test"
    page.press("#search", "Enter")
    wait_until(view, "id => essayGraph.selected() === id", ID + "xss-test")
    assert page.locator("#panel h2").text_content() == XSS_LABEL
    description = page.locator("#panel .description").text_content()
    assert description == "<script>alert(2)</script> & “quotes” — dashes…"
    assert page.locator("#panel").get_by_text("javascript:alert(4)", exact=True).count() == 1
    assert page.locator("#panel a[href^='javascript']").count() == 0
    click_node(view, CLAIM + "xss")
    assert page.locator("#panel h2").text_content() == "A claim about <img src=y onerror=alert(5)>"
    assert page.locator("#panel .description").text_content() == "</script><script>alert(6)</script>"
    option = page.locator("#theme-filter option[value='https://w3id.org/essay-kg/theme/xss']")
    assert option.text_content() == "<b onmouseover=alert(3)>Theme</b> (1 claim)"
    # the tooltip is plain text too
    x, y = node_point(view, ID + "xss-test")
    page.mouse.move(x, y)
    page.wait_for_selector("div.vis-tooltip", state="visible")
    tooltip = page.locator("div.vis-tooltip")
    assert tooltip.text_content() == "Person: " + XSS_LABEL
    assert tooltip.evaluate("t => t.children.length") == 0
    page.wait_for_timeout(300)
    assert page.evaluate("document.querySelectorAll('img, b, iframe, object, embed').length") == 0
    assert page.evaluate("document.scripts.length") == 3
    # open_page's teardown checks: no dialog, no alert(), no CSP violation, no request but the page


def test_typographic_quotes_and_dashes_display_as_written(site, open_page):
    view = open_page(site.out_dir / "graph.html")
    rows = query(site.store, """
        SELECT ?q ?text WHERE { ?q a schema:Quotation ; schema:text ?text
          FILTER(REGEX(?text, "[’“”—…]")) } ORDER BY ?q LIMIT 1""")
    assert rows, "no quotation with typographic characters"
    quotation, text = rows[0]["q"], rows[0]["text"]
    click_node(view, quotation)
    assert view.page.locator("#panel .quotation-text").text_content() == f"“{text}”"
    assert view.page.locator("#panel .kind").text_content() == "Quotation"


def test_screenshots_show_the_drawn_pages(site, open_page):
    shots = []
    for name in ("graph", "themes"):
        view = open_page(site.out_dir / f"{name}.html")
        view.page.wait_for_timeout(100)
        path = site.out_dir / f"{name}.png"
        view.page.screenshot(path=str(path))
        assert png_size(path) == (VIEWPORT["width"], VIEWPORT["height"])
        assert path.stat().st_size > 40_000  # a drawn graph, not a blank page
        shots.append(path)
    # and one with a claim selected: its neighbourhood highlighted, its evidence in the panel
    claim = query(site.store, """
        SELECT ?c WHERE { ?c a schema:Claim ; ekg:evidence/oa:hasSelector/oa:exact ?exact
          FILTER(CONTAINS(?exact, "disordered passivity")) } ORDER BY ?c LIMIT 1""")[0]["c"]
    view = open_page(site.out_dir / "graph.html")
    assert view.page.evaluate("id => essayGraph.select(id, false)", claim) is True
    wait_until(view, "id => (essayGraph.highlighted() || []).includes(id)", claim)
    view.page.wait_for_timeout(200)
    path = site.out_dir / "graph-claim.png"
    view.page.screenshot(path=str(path))
    assert png_size(path) == (VIEWPORT["width"], VIEWPORT["height"])
    shots.append(path)
    assert len({p.read_bytes() for p in shots}) == 3  # the selection changed what is drawn
