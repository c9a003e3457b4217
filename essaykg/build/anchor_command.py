"""`python build.py anchor`: print evidence-anchor TriG for quotes of the essay, or the paragraphs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from essaykg import config, namespaces
from essaykg.build import sources


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("quote", nargs="?", help="the exact words, character for character")
    parser.add_argument("--slug", help="the anchor's name, e.g. p16-disordered-passivity (default: from the quote)")
    parser.add_argument(
        "--occurrence",
        type=int,
        default=None,
        help="which occurrence of the quote (default 1, with a warning if it recurs)",
    )
    parser.add_argument(
        "--batch", type=Path, metavar="TSV", help="a file of 'slug<TAB>quote' lines: print one block per line"
    )
    parser.add_argument(
        "--paragraphs", type=int, metavar="N", help="print the TriG for paragraphs 1..N (the essay's body) instead"
    )
    parser.add_argument(
        "--essay",
        metavar="SLUG",
        default=None,
        help="the essay (its folder graph/essays/SLUG/) whose text to quote; needed when there are several",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help="the essay's text file (default: its ekg:textFile in the sources folder)",
    )
    sources.add_sources_option(parser)
    parser.add_argument("--graph-dir", type=Path, default=config.GRAPH_DIR, help=argparse.SUPPRESS)


class _Refused(Exception):
    """The command cannot start; the message says why, ``code`` is the exit code."""

    def __init__(self, message: str, code: int):
        super().__init__(message)
        self.code = code


def _essay_slug(graph_dir: Path, requested: str | None) -> str:
    folders = sorted(p.name for p in (graph_dir / "essays").glob("*/") if p.is_dir())
    if requested is not None:
        if requested not in folders:
            raise _Refused(
                f"--essay {requested}: no essay folder graph/essays/{requested}/ (essays: {', '.join(folders)})", 2
            )
        return requested
    if len(folders) != 1:
        raise _Refused(f"name the essay to quote: --essay SLUG (essays: {', '.join(folders) or 'none'})", 2)
    return folders[0]


def _declared(graph_dir: Path, slug: str) -> tuple[str | None, str | None]:
    """The text file and SHA-256 the essay's essay.trig declares (ekg:textFile, schema:sha256)."""
    import pyoxigraph as ox

    path = graph_dir / "essays" / slug / "essay.trig"
    if not path.is_file():
        return None, None
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TRIG)
    subject = ox.NamedNode(namespaces.essay_iri(slug))

    def value(predicate: str) -> str | None:
        found = [
            q.object.value
            for q in store.quads_for_pattern(subject, ox.NamedNode(predicate), None)
            if isinstance(q.object, ox.Literal)
        ]
        return found[0] if found else None

    return value(namespaces.EKG + "textFile"), value(namespaces.SCHEMA + "sha256")


def _existing_anchors(graph_dir: Path, slug: str) -> set[str]:
    """The local names of the anchors the essay's anchors.trig holds already."""
    import pyoxigraph as ox

    path = graph_dir / "essays" / slug / "anchors.trig"
    if not path.is_file():
        return set()
    try:
        quads = ox.parse(path=str(path), format=ox.RdfFormat.TRIG)
        return {
            q.subject.value.rsplit("/", 1)[1]
            for q in quads
            if q.object == ox.NamedNode(namespaces.OA + "SpecificResource") and "/anchor/" in q.subject.value
        }
    except SyntaxError:
        return set()  # the build names a file that does not parse


def _slug(quote: str, paragraph: int) -> str:
    words = "".join(c.lower() if c.isalnum() else " " for c in quote).split()
    return f"p{paragraph}-" + "-".join(words[:4])


def paragraphs_trig(source, count: int, essay: str = "her:essay") -> str:
    blocks = []
    for number, (start, end) in enumerate(source.paragraph_spans()[:count], 1):
        blocks.append(
            f"    para:{number} a ekg:Paragraph ;\n"
            f'        rdfs:label "Paragraph {number}"@en ;\n'
            f"        schema:position {number} ;\n"
            f"        oa:hasSource {essay} ;\n"
            f"        oa:hasSelector selector:paragraph-{number} .\n"
            f"    selector:paragraph-{number} a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} .\n"
        )
    return "\n".join(blocks)


def run(args: argparse.Namespace) -> int:
    from essaykg.build import anchors

    try:
        slug = _essay_slug(args.graph_dir, args.essay)
    except _Refused as err:
        print(f"error: {err}", file=sys.stderr)
        return err.code
    essay = f"{namespaces.essay_prefix(slug)}:essay"  # as the essay's own files name it
    text_file, sha256 = _declared(args.graph_dir, slug)
    folder = config.SOURCES_DIR if args.sources is None else args.sources
    path = args.source or (folder / text_file if text_file else None)
    if path is None:
        print(
            f"error: graph/essays/{slug}/essay.trig declares no text file (ekg:textFile); pass --source FILE",
            file=sys.stderr,
        )
        return 3
    try:
        source = anchors.SourceText.read(path)
    except OSError as err:
        print(f"error: cannot read the text of {slug} at {path}: {err.strerror}", file=sys.stderr)
        return 3
    if sha256 and sha256 != source.sha256:
        print(
            f"warning: {path} is not the text graph/essays/{slug}/essay.trig declares (SHA-256 {source.sha256}, "
            f"declared {sha256}): the build will refuse anchors made on it",
            file=sys.stderr,
        )
    if args.paragraphs:
        print(paragraphs_trig(source, args.paragraphs, essay), end="")
        return 0
    jobs: list[tuple[str | None, str, int | None]] = []
    if args.batch:
        for line in args.batch.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                name, quote = line.split("\t", 1)
                jobs.append((name, quote, None))
    elif args.quote:
        jobs.append((args.slug, args.quote, args.occurrence))
    else:
        print("error: give a quote, --batch FILE or --paragraphs N", file=sys.stderr)
        return 2
    taken = _existing_anchors(args.graph_dir, slug)
    status = 0
    for name, quote, occurrence in jobs:
        try:
            located = anchors.locate(source, quote, occurrence or 1)
        except anchors.AnchorError as err:
            print(f"error: {name + ': ' if name else ''}{err}", file=sys.stderr)
            status = 1
            continue
        anchor = name or _slug(quote, located.paragraph)
        if anchor in taken:
            print(
                f"error: anchor:{anchor} is in graph/essays/{slug}/anchors.trig already: choose another name "
                "(--slug NAME)",
                file=sys.stderr,
            )
            status = 1
            continue
        taken.add(anchor)
        count = source.text.count(quote)
        if occurrence is None and count > 1:
            print(
                f"warning: {anchor}: the quote occurs {count} times; this is the first (--occurrence N for "
                "another, or quote more words)",
                file=sys.stderr,
            )
        print(anchors.selector_trig(anchor, located, essay))
    return status
