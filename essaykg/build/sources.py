"""Which text each essay is verified against.

Every essay declares the text its offsets were made on: a file name (``ekg:textFile``) and that
file's SHA-256 (``schema:sha256``). The build looks the file up in a sources folder (``--sources
DIR``, by default ``../shared/source/`` beside the project), unless the command line names the file
for that essay (``--source SLUG=PATH``, or ``--source PATH`` for the essay whose file has that name,
or for the only essay). The texts are the publishers', so they are never part of the graph.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from essaykg import config, namespaces
from essaykg.store import select


def add_sources_option(parser: argparse.ArgumentParser) -> None:
    """``--sources DIR``, as `build` and `anchor` take it."""
    parser.add_argument(
        "--sources",
        type=Path,
        metavar="DIR",
        default=None,
        help=f"the folder holding the essays' texts (default: {config.SOURCES_DIR})",
    )


class SourceError(Exception):
    """A text named on the command line is missing, or names no essay of the graph."""


@dataclass(frozen=True)
class Essay:
    """An essay of the corpus and the text it declares."""

    iri: str
    slug: str
    title: str
    text_file: str
    sha256: str


_ESSAYS = f"""
PREFIX schema: <http://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?essay ?sha ?file ?title WHERE {{
  ?essay schema:sha256 ?sha .
  OPTIONAL {{ ?essay <{namespaces.EKG}textFile> ?file }}
  OPTIONAL {{ ?essay rdfs:label ?title }}
}} ORDER BY ?essay
"""


def essays(store: ox.Store) -> list[Essay]:
    """The essays of the graph (whatever records a text's checksum), by slug."""
    found = []
    for row in select(store, _ESSAYS, use_default_graph_as_union=True):
        iri = row["essay"].value
        found.append(
            Essay(
                iri=iri,
                slug=namespaces.essay_slug(iri) or namespaces.local_name(iri),
                title=row["title"].value if row["title"] is not None else namespaces.local_name(iri),
                text_file=row["file"].value if row["file"] is not None else "",
                sha256=row["sha"].value,
            )
        )
    return sorted(found, key=lambda essay: essay.slug)


def parse_source_options(values: list[str] | None) -> tuple[dict[str, Path], list[Path]]:
    """``--source`` values: ``SLUG=PATH`` for a named essay, a bare ``PATH`` matched by file name."""
    named: dict[str, Path] = {}
    bare: list[Path] = []
    for value in values or []:
        slug, sep, path = value.partition("=")
        if sep and namespaces.SLUG.fullmatch(slug):
            named[slug] = Path(path)
        else:
            bare.append(Path(value))
    return named, bare


def resolve(
    corpus: list[Essay],
    sources_dir: Path,
    named: dict[str, Path] | None = None,
    bare: list[Path] | None = None,
) -> dict[str, Path | None]:
    """Slug -> the text to verify that essay against, or None when there is none.

    A text named on the command line must exist and belong to an essay of the graph (SourceError);
    otherwise ``<sources_dir>/<ekg:textFile>`` if it is there."""
    named = dict(named or {})
    slugs = {essay.slug for essay in corpus}
    for path in bare or []:
        owner = [essay.slug for essay in corpus if essay.text_file == path.name]
        if not owner and len(corpus) == 1:
            owner = [corpus[0].slug]  # one essay: the text is its, whatever the file is called
        if len(owner) != 1:
            raise SourceError(
                f"--source {path}: no essay declares a text file named {path.name!r}; "
                f"name the essay: --source SLUG={path} (essays: {', '.join(sorted(slugs))})"
            )
        named.setdefault(owner[0], path)
    for slug, path in sorted(named.items()):
        if slug not in slugs:
            raise SourceError(f"--source {slug}={path}: no essay {slug!r} (essays: {', '.join(sorted(slugs))})")
        if not path.is_file():
            raise SourceError(f"--source {path}: no such file")
    resolved: dict[str, Path | None] = {}
    for essay in corpus:
        default = sources_dir / essay.text_file if essay.text_file else None
        resolved[essay.slug] = named.get(essay.slug) or (default if default and default.is_file() else None)
    return resolved
