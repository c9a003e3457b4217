"""`python build.py new-essay SLUG --source FILE`: start a second (third, ...) essay of the corpus.

Writes ``graph/essays/SLUG/`` with the essay's own base IRI (``https://w3id.org/essay-kg/essay/SLUG/``):
``essay.trig`` (the essay, the text it declares by file name and SHA-256, its paragraphs and its
named graphs' descriptions) and empty ``claims.trig``, ``quotations.trig`` and ``anchors.trig`` with
their prefixes. What only a reader of the essay can write (its description, thesis, claims) is left
out, not guessed: the build names each missing piece until it is written.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

from essaykg import config, namespaces

_PREFIXES = """@prefix essay:     <{base}> .
@prefix eg:        <{base}graph/> .
@prefix claim:     <{base}claim/> .
@prefix assertion: <{base}assertion/> .
@prefix quotation: <{base}quotation/> .
@prefix anchor:    <{base}anchor/> .
@prefix selector:  <{base}selector/> .
@prefix para:      <{base}paragraph/> .
@prefix id:        <https://w3id.org/essay-kg/id/> .
@prefix theme:     <https://w3id.org/essay-kg/theme/> .
@prefix ekg:       <https://w3id.org/essay-kg/ontology#> .
@prefix schema:    <http://schema.org/> .
@prefix oa:        <http://www.w3.org/ns/oa#> .
@prefix prov:      <http://www.w3.org/ns/prov#> .
@prefix cito:      <http://purl.org/spar/cito/> .
@prefix dcterms:   <http://purl.org/dc/terms/> .
@prefix rdfs:      <http://www.w3.org/2000/01/rdf-schema#> .
"""


class NewEssayError(Exception):
    """The slug, the folder or the text cannot start an essay; the message says why."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("slug", help="the essay's name in IRIs and folders: lowercase letters, digits, hyphens")
    parser.add_argument(
        "--source",
        type=Path,
        required=True,
        metavar="FILE",
        help="the essay's text: UTF-8, one paragraph a line, no blank lines between paragraphs",
    )
    parser.add_argument("--title", help="the essay's headline (default: the slug; change it in essay.trig)")
    parser.add_argument(
        "--paragraphs",
        type=int,
        metavar="N",
        help="the essay's body is its first N lines (default: every line; leave out a site's boilerplate)",
    )
    parser.add_argument("--graph-dir", type=Path, default=config.GRAPH_DIR, help=argparse.SUPPRESS)


def _literal(value: str) -> str:
    import pyoxigraph as ox

    return str(ox.Literal(value))


def paragraph_lines(text: str, name: str = "the text") -> list[tuple[int, int]]:
    """(start, end) of each line, blank lines at the end not counted; NewEssayError on a blank line
    inside the text (each line is one paragraph: that is what anchors' paragraph numbers count), on
    Windows line ends and on a byte-order mark (both would become part of the paragraphs' words)."""
    from essaykg.build.anchors import SourceText

    if text.startswith("\ufeff"):
        raise NewEssayError(f"{name} starts with a byte-order mark; save it as UTF-8 without one")
    if "\r" in text:
        raise NewEssayError(f"{name} has Windows line ends (CR LF); convert them: sed -i 's/\\r$//' {name}")
    body = text.rstrip("\n")
    spans = SourceText(Path("-"), body, "").paragraph_spans()
    for number, (start, end) in enumerate(spans, 1):
        if not body[start:end].strip():
            raise NewEssayError(
                f"line {number} of {name} is blank: the text must hold one paragraph a line, with no blank lines "
                f"(paragraph numbers are line numbers); remove them: sed -i '/^[[:space:]]*$/d' {name}"
            )
    return spans


def essay_trig(slug: str, title: str, text_file: str, sha256: str, spans: list[tuple[int, int]]) -> str:
    base = namespaces.essay_base(slug)
    paragraphs = "\n".join(
        f"  para:{n} a ekg:Paragraph ;\n"
        f'      rdfs:label "Paragraph {n}"@en ;\n'
        f"      schema:position {n} ;\n"
        f"      oa:hasSource essay:essay ;\n"
        f"      oa:hasSelector selector:paragraph-{n} .\n"
        f"  selector:paragraph-{n} a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} .\n"
        for n, (start, end) in enumerate(spans, 1)
    )
    return (
        f"# The essay {slug}: what it is, the text its offsets are made on, its paragraphs and its named graphs.\n"
        f"# Written by `{config.COMMAND} new-essay`. Still to write here (the build names each until it is):\n"
        "#   schema:description (one sentence, your words), ekg:thesis (the claim it argues for above all,\n"
        "#   in claims.trig), and ekg:conclusion if it has one. Add schema:author, schema:publisher,\n"
        "#   schema:url, schema:datePublished when they are known; never guess them.\n\n"
        + _PREFIXES.format(base=base)
        + "\neg:essay {\n\n"
        f"  essay:essay a schema:OpinionNewsArticle ;\n"
        f"      rdfs:label {_literal(title)}@en ;\n"
        f"      schema:headline {_literal(title)}@en ;\n"
        f'      schema:inLanguage "en" ;\n'
        f"      # The SHA-256 of the text every offset in this essay's graphs was computed on (UTF-8, as received),\n"
        f"      # and the file it is in, looked up in the build's sources folder.\n"
        f'      schema:sha256 "{sha256}" ;\n'
        f"      ekg:textFile {_literal(text_file)} .\n\n"
        f"  eg:essay a prov:Entity ;\n"
        f'      rdfs:label "The graph of {slug}"@en ;\n'
        f'      dcterms:description "The essay {slug}, its paragraphs, claims, quotations and evidence anchors."@en ;\n'
        f"      prov:wasDerivedFrom essay:essay .\n\n"
        f"  # ------------------------------------------------------------ paragraphs 1-{len(spans)}\n\n"
        + paragraphs
        + "}\n"
    )


def _empty(slug: str, what: str) -> str:
    return f"# {what}\n\n" + _PREFIXES.format(base=namespaces.essay_base(slug)) + "\neg:essay {\n\n}\n"


_FILES = {
    "claims.trig": "The essay's argument: one schema:Claim per step (see graph/essays/her-2023/claims.trig),\n"
    "# each with dcterms:subject themes, ekg:stance, ekg:evidence anchors and argument links that reach the thesis.",
    "quotations.trig": "What the essay quotes: one schema:Quotation each, with schema:text and its ekg:evidence\n"
    "# anchor.",
    "anchors.trig": 'Evidence anchors, made with `python build.py anchor --essay SLUG "exact words"`;\n'
    "# the build verifies each against the essay's text. Never edit offsets by hand.",
}


def create(graph_dir: Path, slug: str, source: Path, title: str | None, count: int | None) -> Path:
    """Write the essay's folder; return it. NewEssayError when it cannot."""
    if not namespaces.SLUG.fullmatch(slug):
        raise NewEssayError(f"{slug!r} is not a slug: use lowercase letters, digits and hyphens, e.g. my-essay-2024")
    folder = graph_dir / "essays" / slug
    if folder.exists():
        raise NewEssayError(f"{folder} exists already: an essay's folder is written once")
    try:
        raw = source.read_bytes()
    except OSError as err:
        raise NewEssayError(f"cannot read {source}: {err.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise NewEssayError(f"{source} is not UTF-8 text: {err}") from None
    spans = paragraph_lines(text, str(source))
    if count is not None:
        if not 1 <= count <= len(spans):
            raise NewEssayError(f"--paragraphs {count}: the text has {len(spans)} lines")
        spans = spans[:count]
    files = {"essay.trig": essay_trig(slug, title or slug, source.name, hashlib.sha256(raw).hexdigest(), spans)}
    files.update({name: _empty(slug, what.replace("SLUG", slug)) for name, what in _FILES.items()})
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8", newline="\n")
    return folder


def run(args: argparse.Namespace) -> int:
    try:
        folder = create(args.graph_dir, args.slug, args.source, args.title, args.paragraphs)
    except NewEssayError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    in_sources = (config.SOURCES_DIR / args.source.name).resolve() == args.source.resolve()
    command = config.COMMAND
    text = "" if in_sources else f" --source {args.source}"
    print(
        f"wrote {folder}/: essay.trig (the essay, its text {args.source.name} and its SHA-256, its paragraphs), "
        "claims.trig, quotations.trig, anchors.trig\n\nNext:\n"
        + (
            ""
            if in_sources
            else f"  0. Put the text where the build finds it: copy {args.source} to {config.SOURCES_DIR}/,\n"
            f"     or build with --source {args.slug}={args.source}\n"
        )
        + "  1. In essay.trig, write schema:description and ekg:thesis (and ekg:conclusion if it has one).\n"
        f'  2. Anchor each passage you cite: {command} anchor --essay {args.slug}{text} "exact words"\n'
        f"     (or --batch TSV), and paste what it prints inside the eg:essay {{ }} block of {folder}/anchors.trig.\n"
        "  3. Write the claims (claims.trig) and quotations (quotations.trig). The build wants, for each claim:\n"
        "     rdfs:label, schema:description, schema:position, dcterms:subject (a theme), ekg:stance and\n"
        "     ekg:stanceOn, ekg:evidence (an anchor), and a directed argument link (ekg:supports, ekg:attacks,\n"
        "     ekg:qualifies, ekg:answers, ekg:concedes) through which it reaches the thesis or conclusion;\n"
        "     and every paragraph is the evidence of some claim or quotation. See graph/essays/her-2023/.\n"
        "     Reuse the shared entities and themes (graph/shared/) by IRI; add new ones there.\n"
        f"  4. Run {command}: it names every missing piece (the whole corpus builds only when each essay is\n"
        f"     complete), and builds output/essays/{args.slug}/ when none is left."
    )
    return 0
