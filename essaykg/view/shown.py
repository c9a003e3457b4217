"""What the graph view draws: the whole graph up to VIEW_NODES nodes, a filtered view above."""

from __future__ import annotations

import pyoxigraph as ox

from essaykg import kinds as kinds_mod
from essaykg import namespaces
from essaykg.store import select

# The graph view lays out and ranks every node it draws (networkx spring layout and betweenness,
# both faster than linear in the nodes): 107 nodes take 1 s, 460 nodes 12 s. A larger graph gets
# a filtered view instead: the essay's first claims in order, with what they link to.
VIEW_NODES = 250


def view_of(data: ox.Store, stats: dict) -> tuple[ox.Store, dict, str]:
    """The store the graph view draws, the summary it checks against, and a note for the log.

    Up to VIEW_NODES nodes: the whole graph. Above: the claims in the essay's order, each with
    the nodes it links to (themes with their broader themes, entities, quotations), while the total
    stays within VIEW_NODES; every triple about a kept node, and the evidence anchors of kept claims.
    """
    if stats.get("nodes", 0) <= VIEW_NODES:
        return data, stats, ""
    kinds = kinds_mod.kinds_in(data)
    claims = [
        row["c"]
        for row in select(
            data,
            "SELECT ?c WHERE { ?c a <http://schema.org/Claim> ; <http://schema.org/position> ?n } ORDER BY ?n ?c",
            use_default_graph_as_union=True,
        )
    ]
    broader = ox.NamedNode("http://www.w3.org/2004/02/skos/core#broader")

    def neighbours(node: ox.NamedNode) -> list[ox.NamedNode]:
        out, stack = [], [q.object for q in data.quads_for_pattern(node, None, None)]
        while stack:
            term = stack.pop()
            if isinstance(term, ox.NamedNode) and term.value in kinds and term not in out:
                out.append(term)
                if kinds[term.value] == "theme":
                    stack.extend(q.object for q in data.quads_for_pattern(term, broader, None))
        return out

    keep: dict[ox.NamedNode, None] = {}
    for claim in claims:
        group = [claim] + [n for n in neighbours(claim) if n not in keep]
        if len(keep) + len(group) > VIEW_NODES - 1:  # the essay itself is drawn too (a corpus: its first essays)
            break
        keep.update(dict.fromkeys(group))
    view = ox.Store()
    evidence = ox.NamedNode(namespaces.EKG + "evidence")
    selector = ox.NamedNode("http://www.w3.org/ns/oa#hasSelector")
    sha256 = ox.NamedNode(namespaces.SCHEMA + "sha256")
    essays = sorted({q.subject for q in data.quads_for_pattern(None, sha256, None)}, key=str)
    for node in [*keep, *essays]:
        view.extend(data.quads_for_pattern(node, None, None))
        for quad in data.quads_for_pattern(node, evidence, None):
            anchor = quad.object
            assert not isinstance(anchor, ox.Literal)  # ekg:evidence names an anchor node (shapes.ttl)
            view.extend(data.quads_for_pattern(anchor, None, None))
            for sel in data.quads_for_pattern(anchor, selector, None):
                assert not isinstance(sel.object, ox.Literal)  # oa:hasSelector names a selector node
                view.extend(data.quads_for_pattern(sel.object, None, None))
    view_kinds: dict[str, int] = {}
    for kind in kinds_mod.kinds_in(view).values():
        view_kinds[kind] = view_kinds.get(kind, 0) + 1
    shown = (
        f"a filtered view: the first {sum(1 for n in keep if kinds[n.value] == 'claim')} claims and what "
        f"they link to, {sum(view_kinds.values())} of {stats['nodes']} nodes; the view draws at most "
        f"{VIEW_NODES}"
    )
    return view, {"kinds": view_kinds, "view_note": shown}, f" ({shown})"
