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


def essay_part(data: ox.Store, slug: str) -> ox.Store:
    """What an essay's own pages draw: its named graphs (their IRIs start with its base), and of the
    shared graphs what its graphs refer to, with what that refers to in turn; of the theme scheme,
    the themes it refers to with their broader themes, and the scheme itself."""
    from essaykg import namespaces

    part = ox.Store()
    own = [g for g in data.named_graphs() if isinstance(g, ox.NamedNode) and namespaces.essay_slug(g.value) == slug]
    for graph in own:
        part.extend(data.quads_for_pattern(None, None, None, graph))
    shared = [g for g in data.named_graphs() if namespaces.essay_slug(g.value) is None]
    # Followed down from the essay's graphs: a theme's narrower, related and top concepts are other
    # themes, which the essay may not be on; its broader themes and its scheme are where it sits.
    skos = namespaces.SKOS
    not_followed = {ox.NamedNode(skos + p) for p in ("narrower", "related", "hasTopConcept")}
    seen: set[ox.NamedNode | ox.BlankNode | ox.Triple] = {
        q.object for q in part if not isinstance(q.object, ox.Literal)
    }
    todo = list(seen)  # a work list: each node is looked up once
    kept: list[ox.Quad] = []
    while todo:
        node = todo.pop()
        if isinstance(node, ox.Triple):
            continue
        for shared_graph in shared:
            for quad in data.quads_for_pattern(node, None, None, shared_graph):
                kept.append(quad)
                target = quad.object
                if quad.predicate not in not_followed and not isinstance(target, ox.Literal) and target not in seen:
                    seen.add(target)
                    todo.append(target)
    # a link between two kept themes stays; one to a theme left out goes
    part.extend(q for q in kept if q.predicate not in not_followed or q.object in seen)
    return part


def render_all(
    data: ox.Store,
    stats: dict,
    ontology: list[ox.Quad],
    ontology_file: Path,
    texts: dict[str, str],
    step: Callable[[str], None],
) -> dict[str, bytes]:
    """File name -> bytes: the corpus's pages (index.html, graph.html, themes.html, ontology.html) and,
    in ``essays/<slug>/``, each essay's (graph.html, argument.html, argument.argdown, and reader.html
    when its text is in ``texts``, slug -> words: the reader shows them).

    ``ontology`` is the ontology's quads (they name the argument's link kinds); ``ontology_file``
    is documented as written; ``stats`` is the build's summary (the graph view checks its counts,
    the overview lists its ``essays``)."""
    from collections import Counter

    from essaykg import kinds
    from essaykg.view import (
        argdown,
        argument_map,
        corpus_page,
        graph_page,
        ontology_docs,
        reader,
        shown,
    )

    files: dict[str, bytes] = {}
    drawn, drawn_stats, note = shown.view_of(data, stats)
    graph_pages = graph_page.render_pages(drawn, drawn_stats, corpus=True, readers=sorted(texts))
    files.update(graph_pages)
    step("rendered " + ", ".join(sorted(graph_pages)) + note)

    docs = ontology_docs.ontology_docs(ontology_file)
    files.update(docs)
    step("documented the ontology: " + ", ".join(sorted(docs)))

    for slug in sorted(stats["essays"]):
        folder = f"essays/{slug}/"
        part = essay_part(data, slug)
        try:
            files[folder + "argument.argdown"] = argdown.argdown(part, ontology)
        except argdown.ArgdownError as err:
            raise ViewError(f"the argument of {slug} cannot be written in Argdown: {err}") from None
        files[folder + "argument.html"] = argument_map.render_page(part, ontology, reader=slug in texts)
        counts = Counter(kinds.kinds_in(part).values())
        drawn, drawn_stats, note = shown.view_of(part, {"kinds": dict(counts), "nodes": sum(counts.values())})
        readers = [slug] if slug in texts else []
        files[folder + "graph.html"] = graph_page.render_pages(drawn, drawn_stats, readers=readers)["graph.html"]
        made = ["graph.html", "argument.html", "argument.argdown"]
        if slug in texts:
            try:
                files[folder + "reader.html"] = reader.render(part, texts[slug])
            except reader.ReaderError as err:
                raise ViewError(f"the reader of {slug} cannot be made: {err}") from None
            made.append("reader.html")
        else:
            step(f"{folder}reader.html skipped: the essay's text is not available (pass --source {slug}=PATH)")
        step(f"{folder}: " + ", ".join(made) + note)

    files["index.html"] = corpus_page.render(data, stats, set(files))
    step("index.html: the corpus overview, rendered")
    return files
