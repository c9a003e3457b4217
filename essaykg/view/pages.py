"""Every page and text the view side makes from a built graph: the one call the build makes.

Each maker is imported when it runs (networkx, pyvis and pyLODE are slow to import), and each
writes nothing: the build stages what this returns and writes it atomically with the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pyoxigraph as ox


class ViewError(Exception):
    """A page cannot be made from this graph; the message names the page and why."""


def render_all(
    data: ox.Store,
    stats: dict,
    ontology: list[ox.Quad],
    ontology_file: Path,
    text: str | None,
    step: Callable[[str], None],
) -> dict[str, bytes]:
    """File name -> bytes: argument.argdown, graph.html, themes.html, argument.html, ontology.html,
    and reader.html when the essay's ``text`` is given (the reader shows its words).

    ``ontology`` is the ontology's quads (they name the argument's link kinds); ``ontology_file``
    is documented as written; ``stats`` is the build's summary (the graph view checks its counts)."""
    from essaykg.view import (
        argdown,
        argument_map,
        graph_page,
        ontology_docs,
        reader,
        shown,
    )

    files: dict[str, bytes] = {}
    try:
        files["argument.argdown"] = argdown.argdown(data, ontology)
    except argdown.ArgdownError as err:
        raise ViewError(f"the argument cannot be written in Argdown: {err}") from None
    step("argument.argdown: the argument in Argdown, written")

    drawn, drawn_stats, note = shown.view_of(data, stats)
    graph_pages = graph_page.render_pages(drawn, drawn_stats)
    files.update(graph_pages)
    step("rendered " + ", ".join(sorted(graph_pages)) + note)

    files["argument.html"] = argument_map.render_page(data, ontology)
    step("drew the argument map")

    docs = ontology_docs.ontology_docs(ontology_file)
    files.update(docs)
    step("documented the ontology: " + ", ".join(sorted(docs)))

    if text is None:
        step("reader.html skipped: the essay's text is not available (pass --source PATH)")
    else:
        try:
            files["reader.html"] = reader.render(data, text)
        except reader.ReaderError as err:
            raise ViewError(f"the reader cannot be made: {err}") from None
        step("reader.html: the annotated reader, rendered")
    return files
