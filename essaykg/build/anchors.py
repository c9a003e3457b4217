"""Evidence anchors: W3C Web Annotation selectors into the essay's text.

Offsets count Unicode code points from 0, end exclusive (Python ``str`` indexing), as the
TextPositionSelector does (https://www.w3.org/TR/annotation-model/#text-position-selector).
``selector_trig`` writes the selectors for a quote, so offsets are never typed by hand;
``verify`` checks every anchor in the graph against the text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from essaykg import namespaces
from essaykg.store import select

CONTEXT = 32  # code points of prefix and suffix, cut at the paragraph's edge


class AnchorError(Exception):
    """An anchor does not match the source text, or the text is not the one the anchors were made on."""


@dataclass(frozen=True)
class SourceText:
    path: Path
    text: str
    sha256: str

    @classmethod
    def read(cls, path: Path) -> SourceText:
        raw = path.read_bytes()
        return cls(path=path, text=raw.decode("utf-8"), sha256=hashlib.sha256(raw).hexdigest())

    def paragraph_spans(self) -> list[tuple[int, int]]:
        """(start, end) of each line; the essay keeps one paragraph a line."""
        spans, start = [], 0
        for line in self.text.split("\n"):
            spans.append((start, start + len(line)))
            start += len(line) + 1
        return spans

    def paragraph_of(self, start: int, end: int) -> int:
        """1-based number of the paragraph holding [start, end); 0 if it spans a line break."""
        for number, (p_start, p_end) in enumerate(self.paragraph_spans(), 1):
            if p_start <= start and end <= p_end:
                return number
        return 0


@dataclass(frozen=True)
class Located:
    exact: str
    start: int
    end: int
    prefix: str
    suffix: str
    paragraph: int


def locate(source: SourceText, exact: str, occurrence: int = 1) -> Located:
    """Find the n-th occurrence of ``exact``; its prefix and suffix stop at the paragraph's edges."""
    if not exact:
        raise AnchorError("an empty quote cannot be anchored")
    start = -1
    for _ in range(occurrence):
        start = source.text.find(exact, start + 1)
        if start < 0:
            raise AnchorError(f"quote not found in {source.path.name} (occurrence {occurrence}): {exact!r}")
    return locate_at(source, start, start + len(exact))


def locate_at(source: SourceText, start: int, end: int) -> Located:
    """The quote at [start, end), with the same prefix and suffix rules as :func:`locate`."""
    exact = source.text[start:end]
    if not exact or start < 0:
        raise AnchorError(f"no text at [{start}, {end}) in {source.path.name}")
    paragraph = source.paragraph_of(start, end)
    if not paragraph:
        raise AnchorError(f"quote spans a paragraph break: {exact!r}")
    p_start, p_end = source.paragraph_spans()[paragraph - 1]
    return Located(
        exact=exact,
        start=start,
        end=end,
        prefix=source.text[max(p_start, start - CONTEXT) : start],
        suffix=source.text[end : min(p_end, end + CONTEXT)],
        paragraph=paragraph,
    )


def _literal(value: str) -> str:
    return ox.Literal(value).__str__()  # N-Triples escaping, valid in TriG


def selector_trig(slug: str, located: Located, essay: str = "her:essay") -> str:
    """The TriG block for one anchor, ready to paste into an essay's anchors.trig; ``essay`` is how
    that file names the essay (``essay:essay`` in the files ``new-essay`` writes)."""
    lines = [
        f"anchor:{slug} a oa:SpecificResource ;",
        f"    oa:hasSource {essay} ;",
        f"    dcterms:isPartOf para:{located.paragraph} ;",
        f"    oa:hasSelector selector:{slug}-quote, selector:{slug}-position .",
        f"selector:{slug}-quote a oa:TextQuoteSelector ;",
        f"    oa:exact {_literal(located.exact)} ;",
    ]
    if located.prefix:
        lines.append(f"    oa:prefix {_literal(located.prefix)} ;")
    if located.suffix:
        lines.append(f"    oa:suffix {_literal(located.suffix)} ;")
    lines[-1] = lines[-1][:-2] + " ."
    lines += [
        f"selector:{slug}-position a oa:TextPositionSelector ;",
        f"    oa:start {located.start} ;",
        f"    oa:end {located.end} .",
    ]
    return "\n".join("    " + line for line in lines) + "\n"


@dataclass(frozen=True)
class AnchorReport:
    verified: int
    paragraphs_covered: list[int]
    paragraphs_total: int


_VERIFY_QUERY = f"""
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX schema: <http://schema.org/>
SELECT ?anchor ?exact ?prefix ?suffix ?start ?end ?para ?number WHERE {{
  %s
  ?anchor a oa:SpecificResource ; oa:hasSource ?essay .
  FILTER NOT EXISTS {{ ?anchor a <{namespaces.EKG}Paragraph> }}
  OPTIONAL {{ ?anchor oa:hasSelector ?q . ?q a oa:TextQuoteSelector ; oa:exact ?exact .
             OPTIONAL {{ ?q oa:prefix ?prefix }} OPTIONAL {{ ?q oa:suffix ?suffix }} }}
  OPTIONAL {{ ?anchor oa:hasSelector ?p . ?p a oa:TextPositionSelector ; oa:start ?start ; oa:end ?end }}
  OPTIONAL {{ ?anchor dcterms:isPartOf ?para . ?para schema:position ?number }}
}}
"""

_PARAGRAPH_QUERY = f"""
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX schema: <http://schema.org/>
SELECT ?para ?number ?start ?end WHERE {{
  %s
  ?para a <{namespaces.EKG}Paragraph> ; oa:hasSource ?essay ; schema:position ?number ; oa:hasSelector ?p .
  ?p oa:start ?start ; oa:end ?end .
}} ORDER BY ?number
"""

_CHECKSUM_QUERY = """
PREFIX schema: <http://schema.org/>
SELECT ?essay ?sha WHERE { %s ?essay schema:sha256 ?sha } ORDER BY ?essay
"""


def _value(term) -> str | None:
    return None if term is None else term.value


def verify(store: ox.Store, source: SourceText, essay: str | None = None) -> AnchorReport:
    """Check checksum, paragraphs and every anchor against the text; raise AnchorError listing all mismatches.

    ``essay`` (an IRI) limits the check to that essay's checksum, paragraphs and anchors (those whose
    ``oa:hasSource`` it is), for a corpus where each essay has its own text; None checks them all
    against ``source``."""
    scope = "" if essay is None else f"VALUES ?essay {{ <{essay}> }}"
    errors: list[str] = []
    shas = [row["sha"].value for row in select(store, _CHECKSUM_QUERY % scope, use_default_graph_as_union=True)]
    if not shas:
        errors.append(
            f"no schema:sha256 is recorded for {'the essay' if essay is None else namespaces.shorten(essay)}: "
            "offsets cannot be trusted"
        )
    for sha in shas:
        if sha != source.sha256:
            errors.append(
                f"checksum mismatch: the anchors were made on a text with SHA-256 {sha}, "
                f"but {source.path} has {source.sha256}"
            )
    if errors:
        raise AnchorError("\n".join(errors))

    spans = source.paragraph_spans()
    paragraphs: dict[str, tuple[int, int]] = {}  # by IRI: in a corpus every essay has a paragraph 1
    for row in select(store, _PARAGRAPH_QUERY % scope, use_default_graph_as_union=True):
        number, start, end = int(row["number"].value), int(row["start"].value), int(row["end"].value)
        if number > len(spans) or spans[number - 1] != (start, end):
            errors.append(
                f"{namespaces.shorten(row['para'].value)}: paragraph {number} is not at [{start}, {end}) in the text"
            )
        paragraphs[row["para"].value] = (start, end)

    covered: set[int] = set()
    count = 0
    anchor_errors: list[str] = []  # sorted at the end: the query leaves rows unordered (faster on large graphs)

    def name(row) -> str:
        return namespaces.shorten(row["anchor"].value)

    for row in select(store, _VERIFY_QUERY % scope, use_default_graph_as_union=True):
        count += 1
        exact, start_text, end_text = _value(row["exact"]), _value(row["start"]), _value(row["end"])
        if exact is None or start_text is None or end_text is None:
            anchor_errors.append(f"{name(row)}: needs both a TextQuoteSelector and a TextPositionSelector")
            continue
        start, end = int(start_text), int(end_text)
        found = source.text[start:end] if 0 <= start < end <= len(source.text) else None
        if found != exact:
            anchor_errors.append(f"{name(row)}: expected {exact!r} at [{start}, {end}), found {found!r}")
            continue
        prefix, suffix = _value(row["prefix"]), _value(row["suffix"])
        # compared in place: slicing the text before or after each quote is quadratic in anchors
        if prefix is not None and not source.text.endswith(prefix, 0, start):
            anchor_errors.append(f"{name(row)}: prefix {prefix!r} does not precede the quote")
        if suffix is not None and not source.text.startswith(suffix, end):
            anchor_errors.append(f"{name(row)}: suffix {suffix!r} does not follow the quote")
        number = row["number"]
        if row["para"] is None:
            anchor_errors.append(
                f"{name(row)}: names no paragraph (dcterms:isPartOf a paragraph with a schema:position)"
            )
            continue
        span = paragraphs.get(row["para"].value)  # None for a paragraph of another essay
        if span is None or not (span[0] <= start and end <= span[1]):
            anchor_errors.append(
                f"{name(row)}: [{start}, {end}) is not inside the paragraph it names "
                f"({namespaces.shorten(row['para'].value)})"
            )
            continue
        covered.add(int(number.value))
    errors.extend(sorted(anchor_errors))
    if errors:
        raise AnchorError("\n".join(errors))
    return AnchorReport(verified=count, paragraphs_covered=sorted(covered), paragraphs_total=len(paragraphs))
