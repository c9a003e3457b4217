"""`python build.py anchor`: print evidence-anchor TriG for quotes of the essay, or the paragraphs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from essaykg import config, namespaces


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("quote", nargs="?", help="the exact words, character for character")
    parser.add_argument("--slug", help="the anchor's name, e.g. p16-disordered-passivity (default: from the quote)")
    parser.add_argument("--occurrence", type=int, default=1, help="which occurrence of the quote (default 1)")
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
        help="the essay (its folder graph/essays/SLUG/) whose text to quote (default: the only essay, or her-2023)",
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help=f"the essay's text file (default: its ekg:textFile in the sources folder, {config.SOURCES_DIR})",
    )
    parser.add_argument("--graph-dir", type=Path, default=config.GRAPH_DIR, help=argparse.SUPPRESS)


def _essay_slug(graph_dir: Path, requested: str | None) -> str:
    if requested:
        return requested
    folders = sorted(p.name for p in (graph_dir / "essays").glob("*/") if p.is_dir())
    return folders[0] if len(folders) == 1 else namespaces.essay_slug(namespaces.ESSAY_IRI) or ""


def _declared_text(graph_dir: Path, slug: str) -> Path | None:
    """The essay's text file as its essay.trig declares it (ekg:textFile), in the sources folder."""
    import pyoxigraph as ox

    path = graph_dir / "essays" / slug / "essay.trig"
    if not path.is_file():
        return None
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.TRIG)
    subject = ox.NamedNode(namespaces.essay_iri(slug))
    for quad in store.quads_for_pattern(subject, ox.NamedNode(namespaces.EKG + "textFile"), None):
        if isinstance(quad.object, ox.Literal):
            return config.SOURCES_DIR / quad.object.value
    return None


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

    slug = _essay_slug(args.graph_dir, args.essay)
    if not namespaces.SLUG.fullmatch(slug):
        print(f"error: --essay {slug!r}: a slug is lowercase letters, digits and hyphens", file=sys.stderr)
        return 2
    essay = f"{namespaces.essay_prefix(slug)}:essay"  # as the essay's own files name it
    path = args.source or _declared_text(args.graph_dir, slug)
    if path is None:
        print(
            f"error: graph/essays/{slug}/essay.trig declares no text file (ekg:textFile); pass --source FILE",
            file=sys.stderr,
        )
        return 3
    try:
        source = anchors.SourceText.read(path)
    except OSError as err:
        print(f"error: cannot read the essay's text at {path}: {err.strerror}", file=sys.stderr)
        return 3
    if args.paragraphs:
        print(paragraphs_trig(source, args.paragraphs, essay), end="")
        return 0
    jobs: list[tuple[str | None, str, int]] = []
    if args.batch:
        for line in args.batch.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                name, quote = line.split("\t", 1)
                jobs.append((name, quote, 1))
    elif args.quote:
        jobs.append((args.slug, args.quote, args.occurrence))
    else:
        print("error: give a quote, --batch FILE or --paragraphs N", file=sys.stderr)
        return 2
    status = 0
    for name, quote, occurrence in jobs:
        try:
            located = anchors.locate(source, quote, occurrence)
        except anchors.AnchorError as err:
            print(f"error: {name + ': ' if name else ''}{err}", file=sys.stderr)
            status = 1
            continue
        print(anchors.selector_trig(name or _slug(quote, located.paragraph), located, essay))
    return status
