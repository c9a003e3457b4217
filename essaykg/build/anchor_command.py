"""`python build.py anchor`: print evidence-anchor TriG for quotes of the essay, or the paragraphs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from essaykg import config


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
    parser.add_argument("--source", type=Path, default=config.DEFAULT_SOURCE, help="the essay's text file")


def _slug(quote: str, paragraph: int) -> str:
    words = "".join(c.lower() if c.isalnum() else " " for c in quote).split()
    return f"p{paragraph}-" + "-".join(words[:4])


def paragraphs_trig(source, count: int) -> str:
    blocks = []
    for number, (start, end) in enumerate(source.paragraph_spans()[:count], 1):
        blocks.append(
            f"    para:{number} a ekg:Paragraph ;\n"
            f'        rdfs:label "Paragraph {number}"@en ;\n'
            f"        schema:position {number} ;\n"
            f"        oa:hasSource her:essay ;\n"
            f"        oa:hasSelector selector:paragraph-{number} .\n"
            f"    selector:paragraph-{number} a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} .\n"
        )
    return "\n".join(blocks)


def run(args: argparse.Namespace) -> int:
    from essaykg.build import anchors

    try:
        source = anchors.SourceText.read(args.source)
    except OSError as err:
        print(f"error: cannot read the essay's text at {args.source}: {err.strerror}", file=sys.stderr)
        return 3
    if args.paragraphs:
        print(paragraphs_trig(source, args.paragraphs), end="")
        return 0
    jobs: list[tuple[str | None, str, int]] = []
    if args.batch:
        for line in args.batch.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                slug, quote = line.split("\t", 1)
                jobs.append((slug, quote, 1))
    elif args.quote:
        jobs.append((args.slug, args.quote, args.occurrence))
    else:
        print("error: give a quote, --batch FILE or --paragraphs N", file=sys.stderr)
        return 2
    status = 0
    for slug, quote, occurrence in jobs:
        try:
            located = anchors.locate(source, quote, occurrence)
        except anchors.AnchorError as err:
            print(f"error: {slug + ': ' if slug else ''}{err}", file=sys.stderr)
            status = 1
            continue
        print(anchors.selector_trig(slug or _slug(quote, located.paragraph), located))
    return status
