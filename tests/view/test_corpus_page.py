"""index.html, the corpus overview (essaykg/view/corpus_page.py), and each essay's pages in essays/SLUG/:
on the two-essay corpus, and on the real essay alone."""
from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

from conftest import CORPUS, SECOND

from essaykg import config, namespaces


def _page(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _argument_data(path: Path) -> dict:
    text = _page(path)
    found = re.search(r'<script id="graph-data" type="application/json">(.*?)</script>', text, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_each_essay_has_its_own_pages(corpus):
    for slug in ("her-2023", SECOND):
        folder = corpus.out_dir / "essays" / slug
        assert sorted(p.name for p in folder.iterdir()) == [
            "argument.argdown", "argument.html", "graph.html", "reader.html"]
        claims = corpus.summary["essays"][slug]["claims"]
        data = _argument_data(folder / "argument.html")
        # the map draws this essay's claims and no other's
        assert len(data["nodes"]) == data["counts"]["claims"] == claims
        assert {namespaces.essay_slug(node["id"]) for node in data["nodes"]} == {slug}
        statements = re.findall(r"^\[[^\]]+\]: ", _page(folder / "argument.argdown"), re.M)
        assert len(statements) == claims  # one Argdown statement per claim of this essay
    second = _page(corpus.out_dir / "essays" / SECOND / "reader.html")
    first_line = (CORPUS / "source" / f"{SECOND}.txt").read_text(encoding="utf-8").split("\n")[0]
    assert first_line[:60] in unescape(second)  # the reader shows the second essay's own words
    assert "Theodore Twombly as played by" not in second


def test_the_overview_lists_the_essays_and_what_they_share(corpus):
    page = unescape(_page(corpus.out_dir / "index.html"))
    assert "2 essays in the knowledge graph" in page
    for slug, essay in corpus.summary["essays"].items():
        assert essay["title"] in page
        for name in ("graph", "argument", "reader"):
            assert f'href="essays/{slug}/{name}.html"' in page
    expected_themes = {line.strip("<>").rsplit("/", 1)[1] for line in
                       (CORPUS / "expected" / "themes-both-discuss.tsv").read_text(encoding="utf-8").splitlines()[1:]}
    table = page[page.index('id="themes-h"'):page.index('id="entities-h"')]
    assert set(re.findall(r"<code>theme:([a-z-]+)</code>", table)) == expected_themes
    entities = page[page.index('id="entities-h"'):]
    expected_entities = {line.strip("<>").rsplit("/", 1)[1] for line in
                         (CORPUS / "expected" / "entities-both-name.tsv").read_text(encoding="utf-8").splitlines()[1:]}
    listed = re.findall(r"<code>id:([a-z-]+)</code>", entities)
    assert set(listed) == expected_entities and len(listed) == len(expected_entities)  # each once
    listed_themes = re.findall(r"<code>theme:([a-z-]+)</code>", table)
    assert len(listed_themes) == len(expected_themes)


def test_every_link_between_the_pages_leads_to_a_page(corpus):
    """Relative links in every written page, the essays' folders included, land on a written file."""
    pages = sorted(corpus.out_dir.rglob("*.html"))
    assert len(pages) == 4 + 2 * 3  # index, graph, themes, ontology; each essay's graph, argument, reader
    for page in pages:
        for href in re.findall(r'\bhref="([^"#:]+)(?:#[^"]*)?"', _page(page)):
            assert (page.parent / href).resolve().is_file(), (page.relative_to(corpus.out_dir), href)


def test_the_overview_is_a_static_page_with_nothing_from_elsewhere(corpus):
    page = _page(corpus.out_dir / "index.html")
    assert "<script" not in page
    assert "script-src 'none';" in page and "default-src 'none'" in page
    assert not re.search(r'\b(src|href)="(https?:)?//', page)


def test_with_one_essay_the_overview_says_how_to_add_another(built):
    page = unescape(_page(built.out_dir / "index.html"))
    assert "1 essay in the knowledge graph" in page
    assert "new-essay SLUG --source FILE" in page and 'id="themes-h"' not in page


def _graph_data(path: Path) -> dict:
    found = re.search(r'<script id="graph-data" type="application/json">(.*?)</script>', _page(path), re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_an_essays_graph_view_draws_the_themes_it_is_on_and_their_broader_ones(corpus):
    import pyoxigraph as ox

    themes_file = [q for q in ox.parse(path=config.GRAPH_DIR / "shared" / "themes.trig",
                                        format=ox.RdfFormat.TRIG)]
    broader = {}
    for q in themes_file:
        if q.predicate.value == namespaces.SKOS + "broader":
            broader.setdefault(q.subject.value, set()).add(q.object.value)
    claims = [q for q in ox.parse(path=CORPUS / "essays" / SECOND / "claims.trig", format=ox.RdfFormat.TRIG)]
    on = {q.object.value for q in claims if q.predicate.value == namespaces.DCTERMS + "subject"}
    expected, stack = set(), list(on)
    while stack:
        theme = stack.pop()
        if theme not in expected:
            expected.add(theme)
            stack.extend(broader.get(theme, ()))
    data = _graph_data(corpus.out_dir / "essays" / SECOND / "graph.html")
    drawn = {iri for iri, entry in data["info"].items() if entry["kind"] == "theme"}
    assert drawn == expected and len(drawn) < 23  # not the whole scheme
    # and its title is the essay's; the corpus's graph names how many essays it holds
    assert data["title"] == corpus.summary["essays"][SECOND]["title"]
    assert _graph_data(corpus.out_dir / "graph.html")["title"] == "a corpus of 2 essays"
