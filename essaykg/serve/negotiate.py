"""Content negotiation (RFC 9110 §12.5.1) with python-mimeparse; media types from pyoxigraph's enums.

Each offer list runs from least to most preferred (mimeparse breaks ties by position): what a
client that accepts anything (``*/*``) gets comes last. No match is None, which the app answers
with 406.
"""

from __future__ import annotations

import mimeparse

from essaykg.query import sparql


class BadAccept(ValueError):
    """An Accept header that does not parse."""


def _offers(formats: list[str], aliases: dict[str, str]) -> list[tuple[str, str]]:
    """(media type without parameters, format name) pairs: the aliases first, then the formats in order."""
    pairs = [(media, fmt) for media, fmt in aliases.items()]
    pairs += [(sparql.media_type(fmt).split(";")[0], fmt) for fmt in formats]
    return pairs


# A browser gets HTML; text/* a text format; */* the protocol's default (SPARQL JSON, Turtle).
RESULT_OFFERS = _offers(
    ["table", "tsv", "xml", "csv", "json"],
    {"text/html": "html", "application/xml": "xml", "text/xml": "xml", "application/json": "json"},
)
GRAPH_OFFERS = _offers(
    ["ntriples", "jsonld", "turtle"],
    {"text/html": "html", "text/plain": "ntriples", "application/json": "jsonld", "application/x-turtle": "turtle"},
)
PAGE_OFFERS = [("text/html", "html")]
# an entity page: HTML for anyone, its triples for who asks
ENTITY_OFFERS = [
    *_offers(["ntriples", "jsonld", "turtle"], {"text/plain": "ntriples", "application/json": "jsonld"}),
    ("text/html", "html"),
]


def choose(accept: str | None, offers: list[tuple[str, str]]) -> str | None:
    """The format name for an Accept header (None or empty: anything), or None when nothing fits."""
    if not accept or not accept.strip():
        return offers[-1][1]
    try:
        media = mimeparse.best_match([m for m, _ in offers], accept)
    except (mimeparse.MimeTypeParseException, ValueError, IndexError) as err:
        raise BadAccept(f"the Accept header does not parse: {err}") from None
    return dict(offers)[media] if media else None


# ``format=`` overrides the Accept header; these short names are accepted too
FORMAT_ALIASES = {
    "nt": "ntriples",
    "n-triples": "ntriples",
    "ttl": "turtle",
    "json-ld": "jsonld",
    "srj": "json",
    "srx": "xml",
    "text": "table",
}


def format_param(params: dict[str, list[str]]) -> str:
    """The ``format=`` parameter's format name, '' when there is none."""
    value = (params.get("format") or [""])[0].lower()
    return FORMAT_ALIASES.get(value, value)
