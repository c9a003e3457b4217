"""The web app in a real browser: Playwright driving Debian's Chromium (never `playwright install`).

Every request the pages make is recorded; one that leaves 127.0.0.1 fails the test (and is aborted).
A query typed into the YASGUI editor must come back with rows.
"""
from __future__ import annotations

import os
import urllib.parse

import pytest

from essaykg import config, serve
from essaykg.serve import app as serve_app

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def _unavailable() -> str | None:
    if not os.path.exists(CHROMIUM):
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed"
    if not (serve_app.YASGUI_DIR / "yasgui.min.js").is_file():
        return "YASGUI is not installed (npm ci)"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = _unavailable()
    if reason:
        if config.in_ci():
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def app(built):
    srv = serve.make_server(built.out_dir, port=0, timeout=10, workers=2)
    srv.start()
    yield srv
    srv.stop()


@pytest.fixture
def page(browser, app):
    context = browser.new_context()
    page = context.new_page()
    page.outside = []  # requests that tried to leave 127.0.0.1
    page.errors = []  # uncaught JavaScript errors

    def route(route):
        host = urllib.parse.urlsplit(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host == "127.0.0.1":
            route.continue_()
        else:
            page.outside.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    yield page
    context.close()


@pytest.mark.parametrize("path, selector, words", [
    ("/", "h1", "knowledge graph"),
    ("/queries", "table", "Who plays or voices whom"),
    ("/queries/01-who-plays-whom", "table tbody tr", "Scarlett Johansson"),
    ("/entities", "h2", "Character"),
    ("/id/samantha", "blockquote", "Samantha"),
    ("/ontology", "body", "fictional character"),
    ("/graph.html", "body", ""),
])
def test_page_loads_with_nothing_from_outside(page, app, path, selector, words):
    response = page.goto(app.url + path)
    assert response.status == 200
    page.wait_for_selector(selector, timeout=15000)
    assert words in page.inner_text("body")
    assert page.outside == []
    assert page.errors == []


def test_a_query_typed_into_the_editor_returns_rows(page, app):
    page.goto(app.url + "/editor")
    page.wait_for_selector(".yasqe .CodeMirror", timeout=20000)
    tabs = page.locator(".tabPanel, [role=tab]")
    assert tabs.count() >= 1
    assert "01-who-plays-whom" in page.inner_text("#yasgui")  # the saved questions are pre-loaded as tabs
    editor = page.locator(".tabPanel.active .yasqe .CodeMirror").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.type(
        "PREFIX ekg: <https://w3id.org/essay-kg/ontology#>\n"
        "SELECT ?performer ?character WHERE { ?performer ekg:voices ?character }")
    page.locator(".tabPanel.active .yasqe_queryButton").first.click()
    page.wait_for_selector(".tabPanel.active .yasr table tbody tr td", timeout=20000)
    text = page.locator(".tabPanel.active .yasr").first.inner_text()
    assert "scarlett-johansson" in text and "samantha" in text
    assert page.outside == []
    assert page.errors == []


def test_the_editor_never_runs_a_query_that_came_in_the_address(page, app):
    """Another site could link to /editor?query=...: the editor must not run it (it would come from
    this app's own page, past the Origin check)."""
    queries = []
    page.on("request", lambda request: queries.append(request.url) if "/sparql" in request.url else None)
    page.goto(app.url + "/editor?" + urllib.parse.urlencode({
        "query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } # from the address", "endpoint": "http://127.0.0.1:9/x"}))
    page.wait_for_selector(".yasqe .CodeMirror", timeout=20000)
    page.wait_for_timeout(1500)
    assert queries == []
    assert "from the address" not in page.inner_text("#yasgui")
    assert page.outside == []
