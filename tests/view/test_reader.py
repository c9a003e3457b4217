"""The annotated reader, reader.html: segmenting overlapping anchors, the page's markup, the build's
choice to make it only with the essay's text, and the page in Chromium.

Expectations come from the data by SPARQL or from the text with plain string methods, not from
essaykg.view.reader. A small hand-made essay (HANDMADE below) holds what the real data does not yet:
entity mentions (the oa:Annotation model), anchors that cross, an anchor of two kinds, markup-like
text, a character outside the Basic Multilingual Plane, and a line after the essay.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
from test_graph_page import load_store, query
from test_graph_page_browser import VIEWPORT, WATCH, browser, wait_until  # noqa: F401  (browser is a fixture)

from essaykg import config, namespaces
from essaykg.build import pipeline
from essaykg.view import reader
from essaykg.view.reader import Piece

# ---------------------------------------------------------------------------- the hand-made essay

LINE_1 = 'Theodore loves Samantha <dearly> & "truly", he says.'
LINE_2 = "😀 Samantha says: “I’m here.” The film came out in 2013."
TAIL = "Boilerplate: subscribe to comment on this article."
TEXT = LINE_1 + "\n" + LINE_2 + "\n" + TAIL + "\n"
P2 = len(LINE_1) + 1  # where paragraph 2 starts, in code points


def _span(line_start: int, line: str, exact: str, occurrence: int = 1) -> tuple[int, int]:
    at = -1
    for _ in range(occurrence):
        at = line.index(exact, at + 1)
    return line_start + at, line_start + at + len(exact)


# name -> (paragraph, exact, start, end)
HAND_ANCHORS = {
    "p1-claim": (1, "Theodore loves Samantha <dearly>", *_span(0, LINE_1, "Theodore loves Samantha <dearly>")),
    "p1-mention-samantha-1": (1, "Samantha", *_span(0, LINE_1, "Samantha")),
    "p1-cross": (1, '<dearly> & "truly"', *_span(0, LINE_1, '<dearly> & "truly"')),
    "p2-mention-samantha-1": (2, "Samantha", *_span(P2, LINE_2, "Samantha")),
    "p2-quote": (2, "“I’m here.”", *_span(P2, LINE_2, "“I’m here.”")),
    "p2-release": (2, "The film came out in 2013", *_span(P2, LINE_2, "The film came out in 2013")),
}
ENTITY_LABEL = "Samantha <the OS>"


def _handmade_trig() -> str:
    anchors = []
    for name, (para, exact, start, end) in HAND_ANCHORS.items():
        anchors.append(f"""
    anchor:{name} a oa:SpecificResource ; oa:hasSource her:essay ; dcterms:isPartOf para:{para} ;
        oa:hasSelector selector:{name}-q, selector:{name}-p .
    selector:{name}-q a oa:TextQuoteSelector ; oa:exact {json.dumps(exact, ensure_ascii=False)} .
    selector:{name}-p a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} .""")
    paragraphs = []
    for number, (start, end) in enumerate([(0, len(LINE_1)), (P2, P2 + len(LINE_2))], 1):
        paragraphs.append(f"""
    para:{number} a ekg:Paragraph ; schema:position {number} ; oa:hasSelector selector:paragraph-{number} .
    selector:paragraph-{number} a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} .""")
    return "\n".join(f"@prefix {p}: <{iri}> ." for p, iri in namespaces.PREFIXES.items()) + f"""
hg:essay {{
    her:essay a schema:OpinionNewsArticle ; schema:headline "A <small> essay"@en ;
        schema:author id:someone ; schema:datePublished "2023-12" .
    id:someone a schema:Person ; rdfs:label "Some One"@en .
    {"".join(paragraphs)}
    {"".join(anchors)}
    claim:loves a schema:Claim ; rdfs:label "Theodore loves Samantha"@en ;
        schema:description "He does, the essay says."@en ; ekg:stance ekg:observation ;
        ekg:evidence anchor:p1-claim .
    ekg:observation rdfs:label "observation"@en .
    claim:dated a schema:Claim ; rdfs:label "The film is from 2013"@en ; ekg:evidence anchor:p2-release .
    quotation:here a schema:Quotation ; rdfs:label "Samantha: I am here"@en ; schema:text "I’m here." ;
        schema:spokenByCharacter id:samantha ; dcterms:source id:her-film ; ekg:evidence anchor:p2-quote .
    fact:dearly a ekg:FilmFact ; schema:description "He loves her dearly."@en ; ekg:evidence anchor:p1-cross .
    fact:released a ekg:FilmFact ; schema:description "Her came out in 2013."@en ; ekg:evidence anchor:p2-release .
    id:her-film a schema:Movie ; rdfs:label "Her"@en .
}}
hg:mentions {{
    id:samantha a ekg:FictionalCharacter ; rdfs:label {json.dumps(ENTITY_LABEL)}@en .
    her:mention-1 a oa:Annotation ; oa:motivatedBy oa:identifying ; oa:hasBody id:samantha ;
        oa:hasTarget anchor:p1-mention-samantha-1 .
    her:mention-2 a oa:Annotation ; oa:motivatedBy oa:identifying ; oa:hasBody id:samantha ;
        oa:hasTarget anchor:p2-mention-samantha-1 .
}}
"""


def handmade_store(trig: str | None = None) -> ox.Store:
    store = ox.Store()
    store.load((trig or _handmade_trig()).encode("utf-8"), format=ox.RdfFormat.TRIG)
    return store


class Markup(HTMLParser):
    """What reader.html's text holds: each paragraph's text, and for each highlighted anchor its
    pieces (id, classes) and the text inside them."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.paragraphs: dict[str, str] = {}
        self.anchor_text: dict[str, str] = {}
        self.pieces: dict[str, list[dict]] = {}
        self.ids: list[str] = []
        self.scripts: list[str] = []
        self._stack: list[tuple[str, str | None]] = []  # (tag, data-anchor)
        self._para: str | None = None
        self._in_pnum = False
        self._script: list[str] | None = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "script" and "type" not in a:
            self._script = []
        if tag == "p" and re.fullmatch(r"p\d+", a.get("id", "")):
            self._para = a["id"]
            self.paragraphs[self._para] = ""
        if tag == "a" and "pnum" in a.get("class", "").split():
            self._in_pnum = True
        name = a.get("data-anchor") if tag == "span" else None
        if name:
            self.pieces.setdefault(name, []).append({"id": a.get("id"), "classes": a["class"].split()})
        self._stack.append((tag, name))

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.scripts.append("".join(self._script))
            self._script = None
        while self._stack:
            open_tag, _name = self._stack.pop()
            if open_tag == tag:
                break
        if tag == "p":
            self._para = None
        if tag == "a":
            self._in_pnum = False

    def handle_data(self, data):
        if self._script is not None:
            self._script.append(data)
        if self._para is None or self._in_pnum:
            return
        self.paragraphs[self._para] += data
        for name in dict.fromkeys(n for _t, n in self._stack if n):
            self.anchor_text[name] = self.anchor_text.get(name, "") + data


def paragraph_text(markup: Markup, pid: str) -> str:
    text = markup.paragraphs[pid]
    assert text.startswith(" "), "the paragraph number is followed by one space"
    return text[1:]


# ---------------------------------------------------------------------------- segmenting


def test_segments_split_at_every_boundary_and_list_the_covering_anchors_outermost_first():
    # nested: b inside a; crossing: c crosses a; d has the same span as b; e touches a's end
    spans = [("a", 0, 10), ("b", 2, 5), ("c", 8, 14), ("d", 2, 5), ("e", 10, 12)]
    assert reader.segments(0, 16, spans) == [
        Piece(0, 2, ("a",)),
        Piece(2, 5, ("a", "b", "d")),
        Piece(5, 8, ("a",)),
        Piece(8, 10, ("a", "c")),
        Piece(10, 12, ("c", "e")),
        Piece(12, 14, ("c",)),
        Piece(14, 16, ()),
    ]
    assert reader.segments(3, 7, []) == [Piece(3, 7, ())]


def test_nesting_opens_each_anchor_once_at_its_start_and_continues_a_crossed_one():
    pieces = reader.segments(0, 9, [("a", 0, 6), ("b", 4, 9)])
    assert reader.nest(pieces) == [
        ("open", "a", True), ("text", 0, 4),
        ("open", "b", True), ("text", 4, 6),
        ("close", "b"), ("close", "a"),
        ("open", "b", False), ("text", 6, 9),
        ("close", "b"),
    ]
    # a nested anchor closes inside its container and the container goes on unbroken
    pieces = reader.segments(0, 9, [("a", 0, 9), ("b", 3, 5)])
    assert reader.nest(pieces) == [
        ("open", "a", True), ("text", 0, 3), ("open", "b", True), ("text", 3, 5), ("close", "b"),
        ("text", 5, 9), ("close", "a"),
    ]


# ---------------------------------------------------------------------------- the hand-made essay


@pytest.fixture(scope="module")
def handmade_page() -> str:
    return reader.render(handmade_store(), TEXT).decode("utf-8")


def test_handmade_page_holds_the_paragraphs_and_nothing_after_them(handmade_page):
    markup = Markup(handmade_page)
    assert list(markup.paragraphs) == ["p1", "p2"]
    assert paragraph_text(markup, "p1") == LINE_1
    assert paragraph_text(markup, "p2") == LINE_2
    assert "Boilerplate" not in handmade_page and "subscribe" not in handmade_page
    # text that looks like markup is escaped, in the text and in the title
    assert "<dearly>" not in handmade_page and "&lt;dearly&gt;" in handmade_page
    assert "<small>" not in handmade_page and "A &lt;small&gt; essay" in handmade_page
    assert "by Some One · 2023-12" in handmade_page


def test_handmade_page_has_one_highlight_per_anchor_with_its_exact_words(handmade_page):
    markup = Markup(handmade_page)
    assert set(markup.pieces) == set(HAND_ANCHORS)
    for name, (_para, exact, start, end) in HAND_ANCHORS.items():
        assert TEXT[start:end] == exact  # the fixture itself is right
        assert markup.anchor_text[name] == exact, name
        ids = [p["id"] for p in markup.pieces[name]]
        assert ids[0] == name and ids[1:] == [None] * (len(ids) - 1), (name, ids)
        assert markup.ids.count(name) == 1
    # p1-cross crosses p1-claim: it is cut in two pieces, the claim is not
    assert len(markup.pieces["p1-cross"]) == 2 and len(markup.pieces["p1-claim"]) == 1


def test_handmade_page_styles_each_piece_by_its_anchors_kinds(handmade_page):
    markup = Markup(handmade_page)
    kinds = {name: {c for p in pieces for c in p["classes"] if c.startswith("k-")}
             for name, pieces in markup.pieces.items()}
    assert kinds == {
        "p1-claim": {"k-claim"},
        "p1-mention-samantha-1": {"k-mention"},
        "p1-cross": {"k-fact"},
        "p2-mention-samantha-1": {"k-mention"},
        "p2-quote": {"k-quotation"},
        "p2-release": {"k-claim", "k-fact"},
    }


def test_handmade_page_data_holds_the_mention_and_the_other_kinds(handmade_page):
    data = json.loads(re.search(r'<script id="reader-data" type="application/json">(.*?)</script>',
                                handmade_page, re.DOTALL).group(1))
    mention = data["anchors"]["p1-mention-samantha-1"]
    assert mention["kinds"] == ["mention"]
    assert mention["mentions"] == [{"annotation": namespaces.ESSAY_BASE + "mention-1",
                                    "entity": namespaces.PREFIXES["id"] + "samantha",
                                    "label": ENTITY_LABEL, "kind": "Character"}]
    assert (mention["start"], mention["end"]) == HAND_ANCHORS["p1-mention-samantha-1"][2:]
    release = data["anchors"]["p2-release"]
    assert [c["label"] for c in release["claims"]] == ["The film is from 2013"]
    assert [f["description"] for f in release["facts"]] == ["Her came out in 2013."]
    quote = data["anchors"]["p2-quote"]
    assert quote["quotations"][0]["speakers"] == [ENTITY_LABEL] and quote["quotations"][0]["sources"] == ["Her"]
    claim = data["anchors"]["p1-claim"]["claims"][0]
    assert (claim["paraphrase"], claim["stance"]) == ("He does, the essay says.", "observation")
    # offsets count code points: the emoji before paragraph 2's mention is one, not two (UTF-16)
    assert data["anchors"]["p2-mention-samantha-1"]["start"] == P2 + 2


def test_handmade_page_allows_its_one_script_by_hash(handmade_page):
    markup = Markup(handmade_page)
    assert len(markup.scripts) == 1
    digest = base64.b64encode(hashlib.sha256(markup.scripts[0].encode("utf-8")).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', handmade_page).group(1)
    assert f"script-src 'sha256-{digest}';" in csp and "default-src 'none'" in csp
    assert not re.search(r"<(script|link|img|iframe)\b[^>]*\b(src|href)\s*=", handmade_page, re.IGNORECASE)


def test_anchor_not_matching_the_text_is_refused():
    trig = _handmade_trig().replace('oa:exact "Samantha"', 'oa:exact "Samanta"', 1)
    with pytest.raises(reader.ReaderError, match="p1-mention-samantha-1: expected 'Samanta'"):
        reader.render(handmade_store(trig), TEXT)


def test_paragraph_that_is_not_a_line_of_the_text_is_refused():
    trig = _handmade_trig().replace(f"oa:start 0 ; oa:end {len(LINE_1)} .", f"oa:start 0 ; oa:end {len(LINE_1) - 3} .")
    with pytest.raises(reader.ReaderError, match="paragraph 1 .* is not one whole line"):
        reader.render(handmade_store(trig), TEXT)


# ---------------------------------------------------------------------------- the build


def test_build_without_the_text_makes_no_reader_and_says_so(tmp_path, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(config, "SOURCES_DIR", tmp_path)  # the essay's text file is not in it
    lines: list[str] = []
    summary = pipeline.build(None, tmp_path / "out", log=lines.append)
    assert not (tmp_path / "out" / "essays" / "her-2023" / "reader.html").exists()
    assert "essays/her-2023/reader.html" not in summary["artifacts"]
    assert "essays/her-2023/argument.html" in summary["artifacts"]
    said = [line for line in lines if "reader.html" in line]
    assert len(said) == 1
    assert said[0].endswith(
        "] essays/her-2023/reader.html skipped: the essay's text is not available (pass --source her-2023=PATH)")
    index = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert 'href="essays/her-2023/argument.html"' in index and "reader.html" not in index


@pytest.fixture(scope="module")
def essay(built) -> SimpleNamespace:
    page_path = built.out_dir / "essays" / "her-2023" / "reader.html"
    page = page_path.read_text(encoding="utf-8")
    return SimpleNamespace(path=page_path, page=page, markup=Markup(page),
                           store=load_store(built.out_dir / "essay-kg.trig"), summary=built.summary)


def test_build_with_the_text_makes_the_reader(essay, source_path):
    assert essay.summary["artifacts"]["essays/her-2023/reader.html"] == essay.path.stat().st_size
    rendered = reader.render(essay.store, source_path.read_text(encoding="utf-8"))
    assert rendered == essay.path.read_bytes()  # byte-for-byte the same from the same data


def test_essay_page_holds_its_paragraphs_and_nothing_after_them(essay, source_path):
    lines = source_path.read_text(encoding="utf-8").split("\n")
    rows = query(essay.store, """
        SELECT ?n ?start ?end WHERE { ?p a ekg:Paragraph ; schema:position ?n ; oa:hasSelector ?s .
                                      ?s oa:start ?start ; oa:end ?end } ORDER BY ?n""")
    assert len(rows) == 28 and [int(r["n"]) for r in rows] == list(range(1, 29))
    assert list(essay.markup.paragraphs) == [f"p{n}" for n in range(1, 29)]
    text = source_path.read_text(encoding="utf-8")
    for row in rows:
        n = int(row["n"])
        assert paragraph_text(essay.markup, f"p{n}") == text[int(row["start"]):int(row["end"])] == lines[n - 1]
    tail = [line.strip() for line in lines[28:] if line.strip()]
    assert len(tail) >= 2  # the site's boilerplate after the essay
    for line in tail:
        for words in (line[:40], line[-40:]):
            assert words not in essay.page, words


def _anchor_rows(store) -> dict[str, dict]:
    """Local name -> offsets and kinds of every anchor, from SPARQL."""
    rows = query(store, """
        SELECT ?a ?start ?end ?exact WHERE {
          ?a a oa:SpecificResource ; oa:hasSelector ?p . ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
          ?a oa:hasSelector ?q . ?q oa:exact ?exact . FILTER NOT EXISTS { ?a a ekg:Paragraph } }""")
    found = {r["a"].rsplit("/", 1)[1]: {"iri": r["a"], "start": int(r["start"]), "end": int(r["end"]),
                                        "exact": r["exact"], "kinds": set(), "labels": []} for r in rows}
    for kind, pattern in KIND_PATTERNS.items():
        for r in query(store, f"SELECT DISTINCT ?a ?label ?node WHERE {{ {pattern} }}"):
            entry = found[r["a"].rsplit("/", 1)[1]]
            entry["kinds"].add(kind)
            entry["labels"].append((kind, r["node"], r["label"]))
    return found


KIND_PATTERNS = {
    "claim": "?node a schema:Claim ; ekg:evidence ?a ; rdfs:label ?label",
    "quotation": "?node a schema:Quotation ; ekg:evidence ?a ; rdfs:label ?label",
    "fact": "?node a ekg:FilmFact ; ekg:evidence ?a ; schema:description ?label",
    "mention": "?m a oa:Annotation ; oa:motivatedBy oa:identifying ; oa:hasBody ?node ; oa:hasTarget ?a . "
               "?node rdfs:label ?label",
}


def test_essay_page_highlights_every_anchor_with_its_exact_words(essay):
    anchors = _anchor_rows(essay.store)
    assert len(anchors) == essay.summary["anchors"]
    assert set(essay.markup.pieces) == set(anchors)
    for name, a in anchors.items():
        assert essay.markup.anchor_text[name] == a["exact"], name
        assert essay.markup.ids.count(name) == 1 and essay.markup.pieces[name][0]["id"] == name
        assert {c[2:] for p in essay.markup.pieces[name] for c in p["classes"] if c.startswith("k-")} == a["kinds"]


# ---------------------------------------------------------------------------- in Chromium


@pytest.fixture
def open_reader(browser):  # noqa: F811
    """open_reader(path, fragment) -> a loaded reader page; on teardown it asserts that the page asked
    for nothing but itself, logged no error and broke no CSP rule."""
    opened = []

    def _open(path: Path, fragment: str = ""):
        context = browser.new_context(viewport=VIEWPORT, service_workers="block")
        page = context.new_page()
        view = SimpleNamespace(page=page, context=context, url=path.resolve().as_uri(), requests=[],
                               console=[], errors=[])
        page.on("request", lambda r: view.requests.append(r.url))
        page.on("console", lambda m: view.console.append((m.type, m.text)))
        page.on("pageerror", lambda e: view.errors.append(str(e)))
        page.add_init_script(WATCH)
        page.goto(view.url + fragment)
        wait_until(view, "() => window.essayReader && essayReader.ready")
        opened.append(view)
        return view

    yield _open
    for view in opened:
        try:
            assert [r.split("#")[0] for r in view.requests] == [view.url], view.requests
            assert view.errors == [] and [m for m in view.console if m[0] == "error"] == []
            assert view.page.evaluate("window.__alerts") == [] and view.page.evaluate("window.__csp") == []
        finally:
            view.context.close()


def distinct_anchors(view, kind: str) -> set[str]:
    return set(view.page.evaluate(
        "k => Array.from(document.querySelectorAll('#text .hl.k-' + k), e => e.getAttribute('data-anchor'))", kind))


def in_viewport(view, element_id: str) -> bool:
    return view.page.evaluate("""id => { const r = document.getElementById(id).getBoundingClientRect();
        return r.top >= 0 && r.top < window.innerHeight && r.height > 0; }""", element_id)


def panel_labels(view) -> list[str]:
    return view.page.locator("#panel .item .label").all_text_contents()


def test_reader_counts_one_highlight_per_anchor_of_each_kind(essay, open_reader):
    view = open_reader(essay.path)
    for kind, pattern in KIND_PATTERNS.items():
        expected = {r["a"].rsplit("/", 1)[1] for r in query(essay.store, f"SELECT DISTINCT ?a WHERE {{ {pattern} }}")}
        assert distinct_anchors(view, kind) == expected, kind
        legend = view.page.locator(f'[data-count="{kind}"]').text_content()
        assert int(legend) == len(expected), kind
        print(f"{kind}: {len(expected)} anchors")


def test_clicking_a_highlight_shows_its_node(essay, open_reader):
    anchors = _anchor_rows(essay.store)

    def alone(name):  # no other anchor shares a character with it
        a = anchors[name]
        return all(o["end"] <= a["start"] or a["end"] <= o["start"] for n, o in anchors.items() if n != name)

    view = open_reader(essay.path)
    clicked = 0
    for kind in ("claim", "quotation", "fact"):
        name = next((n for n in sorted(anchors) if anchors[n]["kinds"] == {kind} and alone(n)), None)
        assert name is not None, kind
        view.page.locator(f"#{name}").click()
        wait_until(view, "n => essayReader.selected() === n && essayReader.shown() === n", name)
        expected = [label for k, _node, label in anchors[name]["labels"] if k == kind]
        if kind == "fact":
            shown = view.page.locator("#panel .item .description").all_text_contents()
        else:
            shown = panel_labels(view)
        assert sorted(shown) == sorted(expected), (name, shown)
        assert view.page.locator("#panel .offsets").text_content() == \
            f"characters {anchors[name]['start']}–{anchors[name]['end']}"
        assert view.page.locator("#panel a.permalink").get_attribute("href") == f"reader.html#{name}"
        if kind == "claim":
            node = anchors[name]["labels"][0][1]
            hrefs = view.page.locator("#panel .links a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
            assert hrefs == [f"argument.html#{_quote(node)}", f"graph.html#{_quote(node)}"]
        clicked += 1
    assert clicked == 3


def _quote(iri: str) -> str:
    from urllib.parse import quote

    return quote(iri, safe="-_.!~*'()")  # encodeURIComponent


def test_clicking_overlapping_highlights_picks_the_shortest(essay, open_reader):
    anchors = _anchor_rows(essay.store)
    pairs = sorted(
        (inner, outer) for inner, i in anchors.items() for outer, o in anchors.items()
        if inner != outer and o["start"] <= i["start"] and i["end"] <= o["end"] and (i["start"], i["end"]) != (o["start"], o["end"])
        and not any(n not in (inner, outer) and anchors[n]["start"] < i["end"] and i["start"] < anchors[n]["end"]
                    for n in anchors))
    assert pairs, "the essay's data has anchors inside others"
    inner, outer = pairs[0]
    view = open_reader(essay.path)
    view.page.locator(f'#text [data-anchor="{inner}"]').first.click()
    wait_until(view, "n => essayReader.selected() === n", inner)
    others = view.page.locator("#panel button.other").evaluate_all("els => els.map(e => e.getAttribute('data-anchor'))")
    assert others == [outer]
    print(f"overlapping pairs (inner, outer) with nothing else there: {len(pairs)}")


def test_deep_link_to_a_paragraph_lands_on_it(essay, open_reader):
    view = open_reader(essay.path, "#p16")
    wait_until(view, "() => essayReader.marked() === 'p16'")
    assert in_viewport(view, "p16") and not in_viewport(view, "p1")


def test_deep_link_to_an_anchor_selects_it(essay, open_reader):
    anchors = _anchor_rows(essay.store)
    name = max(anchors, key=lambda n: (anchors[n]["start"], n))  # the last one, far down the page
    view = open_reader(essay.path, f"#{name}")
    wait_until(view, "n => essayReader.selected() === n && essayReader.shown() === n", name)
    assert in_viewport(view, name) and not in_viewport(view, "p1")
    assert view.page.locator("#panel blockquote.exact").text_content() == anchors[name]["exact"]


def test_graph_view_links_each_evidence_to_its_place_in_the_reader(essay, built, open_reader):
    anchors = _anchor_rows(essay.store)
    claim = min(n for _a in anchors.values() for k, n, _l in _a["labels"] if k == "claim")
    evidence = sorted(n for n, a in anchors.items() if any(node == claim for _k, node, _l in a["labels"]))
    view = open_reader(built.out_dir / "essays" / "her-2023" / "reader.html")  # the reader first: the graph page is opened in its context
    page = view.context.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.add_init_script(WATCH)
    graph_url = (built.out_dir / "graph.html").resolve().as_uri()
    page.goto(graph_url + "#" + _quote(claim))
    page.wait_for_selector("#panel .evidence a.in-context")
    hrefs = page.locator("#panel .evidence a.in-context").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    # the corpus's graph view links into the essay's folder; the essay's own graph view sits beside its reader
    assert hrefs == [f"essays/her-2023/reader.html#{n}" for n in sorted(evidence, key=lambda n: (anchors[n]["start"], n))]
    for href in hrefs:
        assert href.split("#", 1)[1] in essay.markup.ids
    assert [r.split("#")[0] for r in requests] == [graph_url] and page.evaluate("window.__csp") == []
    own = (built.out_dir / "essays" / "her-2023" / "graph.html").resolve().as_uri()
    page.goto(own + "#" + _quote(claim))
    page.wait_for_selector("#panel .evidence a.in-context")
    assert page.locator("#panel .evidence a.in-context").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))") == [h.removeprefix("essays/her-2023/") for h in hrefs]
    page.close()
    hrefs = [h.removeprefix("essays/her-2023/") for h in hrefs]
    # and following one lands on it
    view.page.goto(view.url + "#" + hrefs[0].split("#", 1)[1])
    wait_until(view, "n => essayReader.selected() === n", hrefs[0].split("#", 1)[1])


def test_handmade_mention_in_the_browser_picks_the_mention_then_the_claim_when_mentions_are_hidden(
        handmade_page, tmp_path, open_reader):
    path = tmp_path / "reader.html"
    path.write_text(handmade_page, encoding="utf-8")
    view = open_reader(path)
    mention = view.page.locator("#p1-mention-samantha-1")
    mention.hover()
    wait_until(view, "() => essayReader.shown() === 'p1-mention-samantha-1'")
    assert essay_selected(view) is None  # hovering shows, it does not select
    mention.click()
    wait_until(view, "() => essayReader.selected() === 'p1-mention-samantha-1'")
    assert panel_labels(view) == [ENTITY_LABEL]
    assert view.page.locator("#panel .entity-kind").text_content() == "Character"
    assert view.page.locator("#panel .links a").get_attribute("href") == \
        "graph.html#" + _quote(namespaces.PREFIXES["id"] + "samantha")
    others = view.page.locator("#panel button.other").evaluate_all("els => els.map(e => e.getAttribute('data-anchor'))")
    assert others == ["p1-claim"]
    assert distinct_anchors(view, "mention") == {"p1-mention-samantha-1", "p2-mention-samantha-1"}
    # with mentions hidden, the same spot picks the claim's evidence around it
    view.page.locator('input[data-kind="mention"]').uncheck()
    mention.click()
    wait_until(view, "() => essayReader.selected() === 'p1-claim'")
    assert panel_labels(view) == ["Theodore loves Samantha"]
    # the crossing film fact, in two pieces: its second piece selects it too
    view.page.locator('#text [data-anchor="p1-cross"]').nth(1).click()
    wait_until(view, "() => essayReader.selected() === 'p1-cross'")
    assert view.page.locator("#panel .item .description").all_text_contents() == ["He loves her dearly."]


def essay_selected(view):
    return view.page.evaluate("essayReader.selected()")


def test_a_film_fact_is_headed_by_what_it_says_and_links_what_it_is_about(essay, open_reader):
    anchors = _anchor_rows(essay.store)
    facts = query(essay.store, """
        SELECT ?a ?f ?d ?e WHERE { ?f a ekg:FilmFact ; ekg:evidence ?a ; schema:description ?d ;
                                      rdf:subject|rdf:object|schema:about ?e . ?e a ?type FILTER(isIRI(?e)) }""")
    by_anchor: dict[str, dict] = {}
    for r in facts:
        name = r["a"].rsplit("/", 1)[1]
        by_anchor.setdefault(name, {"facts": {}, "entities": set()})
        by_anchor[name]["facts"][r["f"]] = r["d"]
        by_anchor[name]["entities"].add(r["e"])
    name = min(n for n in by_anchor if anchors[n]["kinds"] == {"fact"})  # a fact and nothing else there
    view = open_reader(essay.path)
    view.page.evaluate("n => essayReader.select(n)", name)
    wait_until(view, "n => essayReader.shown() === n", name)
    headings = view.page.locator("#panel .item .label").all_text_contents()
    assert sorted(headings) == sorted(" ".join(d.split()) for d in by_anchor[name]["facts"].values())
    panel = view.page.inner_text("#panel")
    for fact in by_anchor[name]["facts"]:
        assert fact.rsplit("/", 1)[1] not in panel  # no slug
    hrefs = view.page.locator("#panel .entities a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert sorted(hrefs) == sorted(f"graph.html#{_quote(e)}" for e in by_anchor[name]["entities"])
    print(f"\n{name}: {headings} about {len(hrefs)} entities")


def test_handmade_fact_links_its_subject_when_the_graph_draws_it(tmp_path, open_reader):
    trig = _handmade_trig().replace(
        'fact:released a ekg:FilmFact ;',
        'fact:released a ekg:FilmFact ; rdf:subject id:her-film ; rdf:object "2013" ; schema:about id:nowhere ;')
    path = tmp_path / "reader.html"
    path.write_bytes(reader.render(handmade_store(trig), TEXT))
    view = open_reader(path, "#p2-release")
    wait_until(view, "() => essayReader.shown() === 'p2-release'")
    assert view.page.locator("#panel .item .description").all_text_contents() == ["Her came out in 2013."]
    # the film is a node of the graph view; id:nowhere (nothing said about it) and the literal are not
    assert view.page.locator("#panel .entities a").evaluate_all(
        "els => els.map(e => [e.getAttribute('href'), e.textContent])") == \
        [["graph.html#" + _quote(namespaces.PREFIXES["id"] + "her-film"), "Her"]]


def test_narrow_window_puts_the_legend_above_a_wide_text_column(essay, browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1024, "height": 768}, service_workers="block")
    try:
        page = context.new_page()
        page.goto(essay.path.resolve().as_uri())
        box = page.evaluate("""() => Object.fromEntries(['controls', 'text', 'panel'].map(id => {
            const r = document.getElementById(id).getBoundingClientRect();
            return [id, [r.left, r.top, r.right, r.bottom, document.getElementById(id).clientWidth]]; }))""")
        assert box["text"][4] >= 560, box
        assert box["controls"][3] <= box["text"][1] + 0.5  # above the text, not beside it
        assert box["text"][2] <= box["panel"][0] + 0.5
        print(f"\ntext column {box['text'][4]} px, panel {box['panel'][4]} px, legend row {box['controls'][3] - box['controls'][1]:.0f} px")
    finally:
        context.close()


def test_deep_link_to_a_paragraph_shows_its_number_below_the_header(essay, open_reader):
    view = open_reader(essay.path, "#p16")
    wait_until(view, "() => essayReader.marked() === 'p16'")
    at = view.page.evaluate("""() => ({ header: document.querySelector('header.top').getBoundingClientRect().bottom,
        text: document.getElementById('text').getBoundingClientRect().top,
        para: document.getElementById('p16').getBoundingClientRect().top,
        pnum: document.querySelector('#p16 .pnum').getBoundingClientRect().top })""")
    assert at["para"] > at["header"] + 8 and at["pnum"] > at["text"] + 8, at


def test_legend_says_how_many_anchors_have_two_kinds_and_that_kinds_combine(essay, open_reader):
    anchors = _anchor_rows(essay.store)
    two = sum(1 for a in anchors.values() if len(a["kinds"]) == 2)
    assert two and max(len(a["kinds"]) for a in anchors.values()) == 2
    view = open_reader(essay.path)
    counts = sum(int(view.page.locator(f'[data-count="{k}"]').text_content()) for k in KIND_PATTERNS)
    assert counts == len(anchors) + two  # why the counts add up to more than the anchors
    assert f"{len(anchors)} anchors; {two} have two kinds" in view.page.inner_text("#anchor-count")
    assert "overlap" in view.page.inner_text("#overlap-hint") and "combine" in view.page.inner_text("#overlap-hint")
