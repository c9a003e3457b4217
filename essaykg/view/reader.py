"""The annotated reader: the essay's paragraphs with every evidence anchor highlighted, one offline page.

``render(store, text)`` returns the bytes of ``reader.html``. The page holds the essay's paragraphs
(each ``ekg:Paragraph`` cut from ``text`` at its ``oa:TextPositionSelector``), and nothing of the text
outside them. Every anchor (an ``oa:SpecificResource`` with a TextPositionSelector) is one logical
highlight, styled by its kinds:

- claim evidence: ``?c a schema:Claim ; ekg:evidence ?a``
- quotation: ``?q a schema:Quotation ; ekg:evidence ?a``
- film fact: ``?f a ekg:FilmFact ; ekg:evidence ?a``
- entity mention: ``?m a oa:Annotation ; oa:motivatedBy oa:identifying ; oa:hasBody ?entity ; oa:hasTarget ?a``

Anchors overlap: the text is split at every anchor's start and end and rendered as nested spans, so
that each piece sits inside the spans of exactly the anchors that cover it. An anchor cut by another
that crosses it is continued in several pieces; its first carries ``id=<local name>``, all carry
``data-anchor=<local name>``. Offsets are Unicode code points, end exclusive, as in the Web Annotation
model (https://www.w3.org/TR/annotation-model/#text-position-selector).

The page is the essay's text, which belongs to its publisher: it is written only into output/ and
only when the build was given the text. Text reaches the page through Jinja's autoescaping or as
JSON inside ``<script type="application/json">``; the script builds the side panel with
``textContent``; the Content-Security-Policy allows the page's own script by hash and nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import pairwise

import pyoxigraph as ox

from essaykg import namespaces
from essaykg.kinds import KIND_LABELS, kinds_in
from essaykg.store import select
from essaykg.view import graph_page as page

SCHEMA, OA, DCTERMS, EKG = page.SCHEMA, page.OA, page.DCTERMS, page.EKG

# kind -> legend label; the order is the legend's and the panel's
KINDS: dict[str, str] = {
    "claim": "Claim evidence",
    "quotation": "Quotation",
    "fact": "Film fact",
    "mention": "Entity mention",
}


class ReaderError(ValueError):
    """The data and the text do not agree (a paragraph or an anchor is not where the graph says)."""


_PARAGRAPHS = """
SELECT ?para ?number ?start ?end WHERE {
  ?para a ekg:Paragraph ; schema:position ?number ; oa:hasSelector ?s .
  ?s a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
} ORDER BY ?number
"""

_ANCHORS = """
SELECT ?anchor ?exact ?start ?end ?number WHERE {
  ?anchor a oa:SpecificResource ; oa:hasSelector ?s .
  FILTER NOT EXISTS { ?anchor a ekg:Paragraph }
  ?s a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end .
  OPTIONAL { ?anchor oa:hasSelector ?q . ?q a oa:TextQuoteSelector ; oa:exact ?exact }
  OPTIONAL { ?anchor dcterms:isPartOf ?para . ?para a ekg:Paragraph ; schema:position ?number }
}
"""

_EVIDENCE = """
SELECT DISTINCT ?anchor ?node ?class WHERE {
  VALUES ?class { schema:Claim schema:Quotation ekg:FilmFact }
  ?node a ?class ; ekg:evidence ?anchor .
}
"""

_MENTIONS = """
SELECT DISTINCT ?anchor ?annotation ?entity WHERE {
  ?annotation a oa:Annotation ; oa:motivatedBy oa:identifying ; oa:hasBody ?entity ; oa:hasTarget ?anchor .
}
"""

_KIND_OF_CLASS = {SCHEMA + "Claim": "claim", SCHEMA + "Quotation": "quotation", EKG + "FilmFact": "fact"}


@dataclass
class Anchor:
    iri: str
    name: str  # the local name: the highlight's id and the permalink's fragment
    start: int
    end: int
    exact: str
    paragraph: int
    kinds: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    quotations: list[str] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)
    mentions: list[tuple[str, str]] = field(default_factory=list)  # (annotation, entity)


def _query(store: ox.Store, text: str):
    return select(store, text, use_default_graph_as_union=True, prefixes=namespaces.PREFIXES)


def paragraphs(store: ox.Store, text: str) -> list[tuple[int, int, int]]:
    """(number, start, end) of every paragraph, checked: numbered 1..n in order, each one line of the
    text, in the order of the text. Raises ReaderError."""
    found = [(int(r["number"].value), int(r["start"].value), int(r["end"].value)) for r in _query(store, _PARAGRAPHS)]
    found.sort()
    if not found:
        raise ReaderError("the graph holds no ekg:Paragraph with a TextPositionSelector")
    numbers = [n for n, _s, _e in found]
    if numbers != list(range(1, len(found) + 1)):
        raise ReaderError(f"the paragraphs are not numbered 1..{len(found)} once each: {numbers}")
    previous_end = -1
    for number, start, end in found:
        if not (previous_end < start <= end <= len(text)):
            raise ReaderError(f"paragraph {number} at [{start}, {end}) is out of order or outside the text")
        if (
            "\n" in text[start:end]
            or (start > 0 and text[start - 1] != "\n")
            or (end < len(text) and text[end] != "\n")
        ):
            raise ReaderError(f"paragraph {number} at [{start}, {end}) is not one whole line of the text")
        previous_end = end
    return found


def anchors(store: ox.Store, text: str, spans: list[tuple[int, int, int]]) -> dict[str, Anchor]:
    """Local name -> Anchor, with its kinds and the nodes it is evidence for; each one checked to
    quote the text at its offsets and to lie inside its paragraph. Raises ReaderError."""
    by_number = {n: (s, e) for n, s, e in spans}
    found: dict[str, Anchor] = {}
    errors: list[str] = []
    for row in _query(store, _ANCHORS):
        iri = row["anchor"].value
        name = namespaces.local_name(iri)
        start, end = int(row["start"].value), int(row["end"].value)
        number = int(row["number"].value) if row["number"] is not None else 0
        exact = row["exact"].value if row["exact"] is not None else None
        if name in found and found[name].iri != iri:
            errors.append(f"two anchors share the local name {name!r}: {found[name].iri}, {iri}")
        elif name in found:
            errors.append(f"{name}: more than one position or paragraph")
        elif number not in by_number or not (by_number[number][0] <= start < end <= by_number[number][1]):
            errors.append(f"{name}: [{start}, {end}) is not inside a paragraph it names")
        elif exact is not None and text[start:end] != exact:
            errors.append(f"{name}: expected {exact!r} at [{start}, {end}), found {text[start:end]!r}")
        elif not _is_fragment(name) or _is_fragment(name, paragraph=True):
            errors.append(f"{name}: not usable as a page fragment (or taken by a paragraph's id)")
        found[name] = Anchor(iri, name, start, end, exact or text[start:end], number)
    if errors:
        raise ReaderError("\n".join(sorted(errors)))
    by_iri = {a.iri: a for a in found.values()}
    for row in _query(store, _EVIDENCE):
        anchor = by_iri.get(row["anchor"].value)
        if anchor is not None:
            kind = _KIND_OF_CLASS[row["class"].value]
            {"claim": anchor.claims, "quotation": anchor.quotations, "fact": anchor.facts}[kind].append(
                row["node"].value
            )
    for row in _query(store, _MENTIONS):
        anchor = by_iri.get(row["anchor"].value)
        if anchor is not None:
            anchor.mentions.append((row["annotation"].value, row["entity"].value))
    for anchor in found.values():
        anchor.claims.sort()
        anchor.quotations.sort()
        anchor.facts.sort()
        anchor.mentions.sort()
        anchor.kinds = [
            k
            for k, held in (
                ("claim", anchor.claims),
                ("quotation", anchor.quotations),
                ("fact", anchor.facts),
                ("mention", anchor.mentions),
            )
            if held
        ]
    return dict(sorted(found.items()))


def _is_fragment(name: str, paragraph: bool = False) -> bool:
    return bool(re.fullmatch(r"p[0-9]+" if paragraph else r"[A-Za-z][\w.\-]*", name))


# ---------------------------------------------------------------------------- segmenting


@dataclass(frozen=True)
class Piece:
    """A run of a paragraph's text and the anchors covering it, outermost first."""

    start: int
    end: int
    covering: tuple[str, ...]


def segments(start: int, end: int, spans: list[tuple[str, int, int]]) -> list[Piece]:
    """Split [start, end) at every boundary of the (name, start, end) spans; each piece lists the
    spans covering it, outermost (earliest start, then longest) first.

    >>> for piece in segments(0, 10, [("a", 0, 6), ("b", 4, 9)]):
    ...     print(piece)
    Piece(start=0, end=4, covering=('a',))
    Piece(start=4, end=6, covering=('a', 'b'))
    Piece(start=6, end=9, covering=('b',))
    Piece(start=9, end=10, covering=())
    """
    order = sorted(spans, key=lambda s: (s[1], -s[2], s[0]))
    cuts = sorted({start, end, *(s for _n, s, _e in spans), *(e for _n, _s, e in spans)})
    pieces = []
    for a, b in pairwise(cuts):
        if start <= a < b <= end:
            pieces.append(Piece(a, b, tuple(n for n, s, e in order if s <= a and b <= e)))
    return pieces


def nest(pieces: list[Piece]) -> list[tuple]:
    """The pieces as a stream of ("open", name, first) / ("text", start, end) / ("close", name) events
    that nest properly: the spans open at each piece are exactly the anchors covering it. An anchor
    crossed by another is closed and opened again; ``first`` is True only where it begins."""
    events: list[tuple] = []
    stack: list[str] = []
    opened: set[str] = set()
    for piece in pieces:
        keep = 0
        while keep < len(stack) and keep < len(piece.covering) and stack[keep] == piece.covering[keep]:
            keep += 1
        while len(stack) > keep:
            events.append(("close", stack.pop()))
        for name in piece.covering[keep:]:
            events.append(("open", name, name not in opened))
            opened.add(name)
            stack.append(name)
        events.append(("text", piece.start, piece.end))
    while stack:
        events.append(("close", stack.pop()))
    return events


def _paragraph_html(text: str, start: int, end: int, inside: list[Anchor]):
    """The paragraph's text as markup: escaped text inside nested highlight spans."""
    from markupsafe import Markup, escape

    by_name = {a.name: a for a in inside}
    out: list[str] = []
    for event in nest(segments(start, end, [(a.name, a.start, a.end) for a in inside])):
        if event[0] == "text":
            out.append(str(escape(text[event[1] : event[2]])))
        elif event[0] == "close":
            out.append("</span>")
        else:
            anchor = by_name[event[1]]
            classes = " ".join(["hl"] + [f"k-{k}" for k in anchor.kinds] + ([] if event[2] else ["cont"]))
            ident = f' id="{escape(anchor.name)}"' if event[2] else ""
            out.append(f'<span class="{classes}"{ident} data-anchor="{escape(anchor.name)}">')
    return Markup("".join(out))


# ---------------------------------------------------------------------------- the page


def _essay(resources: dict[str, page.Resource]) -> tuple[str, str]:
    """The title and a byline (authors, publisher, date: whichever the data holds)."""
    # the store holds one essay (the build gives the reader that essay's graphs): the one with a checksum
    found = sorted(iri for iri, r in resources.items() if r.literal(SCHEMA + "sha256"))
    iri = found[0] if found else namespaces.ESSAY_IRI
    essay = resources.get(iri) or page.Resource(iri)
    title = essay.literal(SCHEMA + "headline", *page.LABEL_PROPS) or "the essay"

    def name(iri: str) -> str:
        r = resources.get(iri)
        return (r.literal(*page.LABEL_PROPS) if r else None) or namespaces.local_name(iri)

    parts = []
    authors = [name(a) for a in essay.objects(SCHEMA + "author")]
    parts.append("by " + ", ".join(authors) if authors else "byline not known")
    parts += [name(p) for p in essay.objects(SCHEMA + "publisher")]
    date = essay.literal(SCHEMA + "datePublished")
    if date:
        parts.append(date)
    return title, " · ".join(parts)


def page_data(store: ox.Store, text: str) -> dict:
    """Everything the page shows, as plain sorted data: paragraphs (with their markup) and anchors."""
    spans = paragraphs(store, text)
    found = anchors(store, text, spans)
    resources, _triples = page._resources(store)
    node_kinds = kinds_in(store)

    def res(iri: str) -> page.Resource:
        return resources.get(iri) or page.Resource(iri)

    def label(iri: str) -> str:
        return " ".join((res(iri).literal(*page.LABEL_PROPS) or namespaces.local_name(iri)).split())

    def names(iris: list[str]) -> list[str]:
        return sorted({label(i) for i in iris})

    panel: dict[str, dict] = {}
    for name, a in found.items():
        entry: dict = {
            "iri": a.iri,
            "start": a.start,
            "end": a.end,
            "exact": a.exact,
            "paragraph": a.paragraph,
            "kinds": a.kinds,
            "length": a.end - a.start,
        }
        entry["claims"] = []
        for c in a.claims:
            r = res(c)
            stance = ", ".join(
                res(s).literal(page.RDFS + "label") or page.predicate_name(s) for s in r.objects(EKG + "stance")
            )
            entry["claims"].append(
                {"iri": c, "label": label(c), "paraphrase": r.literal(SCHEMA + "description") or "", "stance": stance}
            )
        entry["quotations"] = []
        for q in a.quotations:
            r = res(q)
            entry["quotations"].append(
                {
                    "iri": q,
                    "label": label(q),
                    "text": r.literal(page.QUOTATION_TEXT) or "",
                    "speakers": names(r.objects(SCHEMA + "creator") + r.objects(SCHEMA + "spokenByCharacter")),
                    "sources": names(r.objects(DCTERMS + "source")),
                }
            )
        entry["facts"] = []
        for f in a.facts:
            r = res(f)
            description = r.literal(*page.DESCRIPTION_PROPS) or ""
            # what the fact is about, linked to the graph view when it draws it (a node of a known kind)
            about = [
                o
                for prop in (namespaces.RDF + "subject", namespaces.RDF + "object", SCHEMA + "about")
                for o in r.objects(prop)
            ]
            entities = [{"iri": e, "label": label(e)} for e in dict.fromkeys(about) if e in node_kinds]
            entry["facts"].append(
                {
                    "iri": f,
                    "label": label(f),
                    "description": description,
                    "heading": " ".join(description.split()) or label(f),
                    "entities": entities,
                }
            )
        entry["mentions"] = [
            {
                "annotation": m,
                "entity": e,
                "label": label(e),
                "kind": KIND_LABELS.get(node_kinds.get(e, ""), "Resource"),
            }
            for m, e in a.mentions
        ]
        panel[name] = entry

    counts = {k: sum(1 for a in found.values() if k in a.kinds) for k in KINDS}
    title, byline = _essay(resources)
    paras = []
    for number, start, end in spans:
        inside = sorted((a for a in found.values() if a.paragraph == number), key=lambda a: (a.start, -a.end, a.name))
        paras.append({"number": number, "html": _paragraph_html(text, start, end, inside)})
    return {
        "title": title,
        "byline": byline,
        "paragraphs": paras,
        "anchors": panel,
        "kinds": [{"kind": k, "label": lab, "count": counts[k]} for k, lab in KINDS.items()],
        "unkinded": sum(1 for a in found.values() if not a.kinds),
        "multikind": sum(1 for a in found.values() if len(a.kinds) > 1),
        "most_kinds": max((len(a.kinds) for a in found.values()), default=0),
    }


def render(store: ox.Store, text: str) -> bytes:
    """The bytes of ``reader.html`` for the essay in ``store`` whose text is ``text``. Raises
    ReaderError when a paragraph or an anchor does not match the text."""
    data = page_data(store, text)
    script_data = {"anchors": data["anchors"], "kinds": KINDS}
    return page.render_with_csp(
        page.environment().get_template("reader.html.j2"),
        1,
        data=data,
        data_json=page.json_for_script(script_data),
        page_js=page.template_file("reader.js"),
        page_css=page.template_file("reader.css"),
    )
