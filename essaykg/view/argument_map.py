"""The argument map page (``argument.html``): the essay's claims as a layered diagram, fully offline.

Claims only: the thesis on top, each claim below the claims it bears on (``A ekg:supports B`` draws
A under B; so do attacks, concessions, qualifications and answers), the layers computed with networkx
as the longest path down from the top claims (a cycle, such as two claims attacking each other, is
condensed into one layer). ``ekg:contrastsWith`` is symmetric and does not order the layers.
Positions are fixed (physics off) and deterministic. Which kind of line a link gets is the Argdown
relation the ontology gives it (:func:`essaykg.view.argdown.link_kinds`): support, attack, undercut,
contradictory. Clicking a claim shows its paraphrase, stance, themes and the essay's exact words with
their offsets, linked to the reader (``reader.html#<anchor>``) and to the graph view
(``graph.html#<claim IRI>``); ``argument.html#<claim IRI>`` (or its prefixed name, ``#claim:...``) opens
with that claim selected, and the address follows the selection. The few links that do not point up
(out of the thesis or the conclusion, which stay on top; within a row) are curved, and the legend
counts them. The first view puts the canvas's edges between columns and rows, cutting no box.

The page is made like the graph view (essaykg/view/graph_page.py): a Jinja template with autoescaping,
vis-network inlined from pyvis's package files, the data as JSON in ``<script type="application/json">``
and a Content-Security-Policy that allows the page's two scripts by hash.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pyoxigraph as ox

from essaykg import config, namespaces
from essaykg.namespaces import DCTERMS, SCHEMA
from essaykg.store import select
from essaykg.view import argdown
from essaykg.view import graph_page as graph_view

FONT_SIZE = 15  # px at scale 1; the page opens at a scale that draws it at READABLE px or more
READABLE = 12.5
BOX_WIDTH = 190  # a label wraps within this width
LABEL_CHARS = 90  # longer labels are shortened on the map; the panel has the full text
X_STEP = 215
Y_STEP = 150

# Argdown relation -> (colour, vis dashes, arrows, legend)
LINE_STYLE: dict[str, tuple[str, Literal[False] | list[int], str, str]] = {
    "support": ("#2e8b3e", False, "to", "supports (solid green): the lower claim is a reason for the upper"),
    "attack": ("#d62728", [9, 6], "to", "attacks (red dashes): the lower claim argues against the upper"),
    "undercut": ("#e07b00", [2, 5], "to", "qualifies (orange dots): true, but not the whole story"),
    "contradictory": ("#7f7f7f", [12, 4, 3, 4], "to, from", "contrasts with (grey, both ways): set against each other"),
}

_DETAILS = """
PREFIX schema: <http://schema.org/>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?claim ?property ?value ?label WHERE {
  ?claim a schema:Claim .
  { ?claim schema:description ?value BIND(schema:description AS ?property) }
  UNION { ?claim dcterms:subject ?value BIND(dcterms:subject AS ?property)
          OPTIONAL { ?value skos:prefLabel|rdfs:label ?label } }
  UNION { ?claim schema:about ?value BIND(schema:about AS ?property)
          OPTIONAL { ?value rdfs:label|schema:name ?label } }
}
"""
_TITLE = """
PREFIX schema: <http://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX ekg: <https://w3id.org/essay-kg/ontology#>
SELECT ?title WHERE {
  ?essay ekg:thesis ?thesis . OPTIONAL { ?essay schema:headline ?headline } OPTIONAL { ?essay rdfs:label ?label }
  BIND(COALESCE(?headline, ?label) AS ?title) FILTER(BOUND(?title))
} ORDER BY ?title LIMIT 1
"""
_DESCRIPTION = SCHEMA + "description"
_SUBJECT = DCTERMS + "subject"
_ABOUT = SCHEMA + "about"
_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")


def layers(
    claims: list[str], links: list[tuple[str, str, str]], kinds: dict[str, tuple[str, bool]], top: Sequence[str] = ()
) -> dict[str, int]:
    """Claim -> layer (0 on top): one more than the deepest claim it bears on, so that every directed
    link (from, property, to) puts ``from`` below ``to``. Claims on a cycle share a layer (the
    condensation's); symmetric links order nothing. The claims in ``top`` (the thesis and the
    conclusion) are placed by their links to each other only (the conclusion that supports the thesis
    sits just under it), not by what else they bear on: the reader starts from them, so a link out
    of one of them to another claim is the one kind that may point down."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(sorted(claims))
    for lower, prop, upper in links:
        if (
            not kinds[prop][1]
            and lower in graph
            and upper in graph
            and lower != upper
            and (lower not in top or upper in top)
        ):
            graph.add_edge(upper, lower)
    condensed = nx.condensation(graph)
    depth: dict[int, int] = {}
    for component in nx.topological_sort(condensed):
        depth[component] = max((depth[p] + 1 for p in condensed.predecessors(component)), default=0)
    mapping = condensed.graph["mapping"]
    return {claim: depth[mapping[claim]] for claim in sorted(claims)}


def positions(
    layer_of: dict[str, int], links: list[tuple[str, str, str]], order: dict[str, tuple], top: Sequence[str] = ()
) -> dict:
    """Claim -> (x, y): layers Y_STEP apart, every claim on one grid of columns X_STEP apart (a row of
    an even number of claims sits half a column right of centre), so that one vertical line can
    pass between the boxes of every row: the page's first view puts its edges there. Within a layer
    the claims are sorted by the mean x of the claims above them that they bear on (then by
    ``order``), which keeps most lines short and uncrossed; a claim of ``top`` (the conclusion)
    takes the middle of its row, right under the thesis."""
    above: dict[str, set[str]] = {}
    for lower, _prop, upper in links:
        if layer_of.get(upper, -1) < layer_of.get(lower, -1):
            above.setdefault(lower, set()).add(upper)
    by_layer: dict[int, list[str]] = {}
    for claim, layer in layer_of.items():
        by_layer.setdefault(layer, []).append(claim)
    placed: dict[str, tuple[int, int]] = {}
    for layer in sorted(by_layer):

        def key(claim: str):
            xs = [placed[u][0] for u in sorted(above.get(claim, ())) if u in placed]
            return (sum(xs) / len(xs) if xs else 0.0, order[claim])

        row = sorted(by_layer[layer], key=key)
        middle = (len(row) - 1) // 2
        ends = [c for c in row if c in top]
        if ends and len(row) > 1:
            rest = [c for c in row if c not in top]
            start = max(0, min(middle - (len(ends) - 1) // 2, len(row) - len(ends)))
            row = rest[:start] + ends + rest[start:]
        for index, claim in enumerate(row):
            placed[claim] = ((index - middle) * X_STEP, layer * Y_STEP)
    return placed


def short_label(text: str, limit: int = LABEL_CHARS) -> str:
    """The label as drawn: whole when it fits ``limit`` characters, else cut at a word and ended with '…'."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _labels(quads: list[ox.Quad]) -> dict[str, str]:
    return {
        q.subject.value: q.object.value
        for q in sorted(quads, key=str, reverse=True)
        if q.predicate == _LABEL and isinstance(q.subject, ox.NamedNode) and isinstance(q.object, ox.Literal)
    }


def page_data(store: ox.Store, ontology: list[ox.Quad]) -> dict:
    """Everything the page draws and shows, as JSON-ready data (sorted, so the page is byte-stable)."""
    kinds = argdown.link_kinds(ontology)
    names = _labels(ontology)
    claims = argdown.read_claims(store)
    evidence = argdown.read_evidence(store)
    roles = argdown.read_roles(store)
    found = [link for link in argdown.links(store, kinds) if link[0] in claims and link[2] in claims]
    details: dict[str, dict[str, dict[str, str]]] = {}
    for row in select(store, _DETAILS, use_default_graph_as_union=True):
        value = row["value"].value
        label = row["label"].value if row["label"] is not None else namespaces.local_name(value)
        bucket = details.setdefault(row["claim"].value, {}).setdefault(row["property"].value, {})
        bucket[value] = min(bucket.get(value, label), label)

    order = {iri: (0 if "thesis" in roles.get(iri, []) else 1, c["position"], iri) for iri, c in claims.items()}
    layer_of = layers(list(claims), found, kinds, top=sorted(iri for iri, r in roles.items() if r))
    top = sorted(iri for iri, r in roles.items() if r)
    xy = positions(layer_of, found, order, top)

    nodes, info = [], {}
    for iri in sorted(claims, key=lambda i: order[i]):
        claim = claims[iri]
        role = roles.get(iri, [])
        x, y = xy[iri]
        # THESIS / CONCLUSION above the label, unless the label already starts with its role
        mark = " · ".join(r.upper() for r in role if not claim["label"].lower().startswith(r))
        node = {
            "id": iri,
            "label": (mark + "\n" if mark else "") + short_label(claim["label"]),
            "x": x,
            "y": y,
            "layer": layer_of[iri],
            "group": "end" if role else ("reported" if claim["stance"] == "reported" else "claim"),
            "title": claim["label"],
        }
        nodes.append(node)
        about = details.get(iri, {})
        info[iri] = {
            "label": claim["label"],
            "position": claim["position"],
            "roles": role,
            "layer": layer_of[iri],
            "stance": names.get(namespaces.EKG + claim["stance"], claim["stance"]) if claim["stance"] else None,
            "description": min(about.get(_DESCRIPTION, {}), default=None),
            "themes": [
                {"id": t, "label": lab}
                for t, lab in sorted(about.get(_SUBJECT, {}).items(), key=lambda kv: (kv[1].lower(), kv[0]))
            ],
            "about": [
                {"id": t, "label": lab}
                for t, lab in sorted(about.get(_ABOUT, {}).items(), key=lambda kv: (kv[1].lower(), kv[0]))
            ],
            "evidence": [dict(q, readerId=namespaces.local_name(q["anchor"])) for q in evidence.get(iri, [])],
        }
    edges = []
    exceptions = {"down": 0, "row": 0}
    for number, (a, prop, b) in enumerate(found):
        relation, symmetric = kinds[prop]
        colour, dashes, arrows, _legend = LINE_STYLE[relation]
        name = names.get(prop, namespaces.local_name(prop))
        edge = {
            "id": f"e{number}",
            "from": a,
            "to": b,
            "relation": relation,
            "property": prop,
            "name": name,
            "symmetric": symmetric,
            "color": {"color": colour, "highlight": colour, "hover": colour},
            "dashes": dashes,
            "arrows": arrows,
            "width": 2.2 if relation == "support" else 2.0,
            "title": f"{claims[a]['label']}\n{name}\n{claims[b]['label']}",
        }
        # the links that break the rule "the lower claim bears on the upper" bow, so that they stand out:
        # one within a layer (a cycle condensed into one row) and one out of the thesis or the
        # conclusion (kept on top) down to a claim below
        exception = None
        if layer_of[a] == layer_of[b]:
            exception = "row"
        elif not symmetric and layer_of[a] < layer_of[b]:
            exception = "down"
        if exception:
            exceptions[exception] += 1
            edge["exception"] = exception
            edge["smooth"] = {"enabled": True, "type": "curvedCW", "roundness": 0.35 if exception == "row" else 0.25}
        edges.append(edge)
    relations = []
    for prop, (relation, _symmetric) in sorted(kinds.items(), key=lambda kv: (list(LINE_STYLE).index(kv[1][0]), kv[0])):
        relations.append({"property": prop, "name": names.get(prop, namespaces.local_name(prop)), "relation": relation})
    legend = [
        {
            "relation": r,
            "colour": s[0],
            "dashes": " ".join(map(str, s[1])) if s[1] else "",
            "text": s[3],
            "properties": ", ".join(x["name"] for x in relations if x["relation"] == r),
        }
        for r, s in LINE_STYLE.items()
    ]
    return {
        "rule": rule_sentence(exceptions),
        "prefixes": {
            p: ns for p, ns in sorted(namespaces.PREFIXES.items()) if any(iri.startswith(ns) for iri in claims)
        },
        "title": next(
            (row["title"].value for row in select(store, _TITLE, use_default_graph_as_union=True)), "the essay"
        ),
        "nodes": nodes,
        "edges": edges,
        "info": info,
        "legend": legend,
        "counts": {"claims": len(claims), "links": len(found), "layers": max(layer_of.values(), default=-1) + 1},
        "readable": READABLE,
        "options": _options(),
    }


def rule_sentence(exceptions: dict[str, int]) -> str:
    """The legend's sentence on which way the map reads, with its exceptions as the data has them."""
    rule = "Lower claims bear on the claims above them; arrows point at the claim they bear on"
    parts = []
    if exceptions.get("down"):
        n = exceptions["down"]
        parts.append(
            f"{n} link{'s' if n > 1 else ''} out of the thesis or the conclusion, which stay on top, "
            f"point{'' if n > 1 else 's'} down"
        )
    if exceptions.get("row"):
        n = exceptions["row"]
        parts.append(
            f"{n} link{'s' if n > 1 else ''} between claims that bear on each other, set on one row, "
            f"run{'' if n > 1 else 's'} sideways"
        )
    if not parts:
        return rule + "."
    return rule + ". Except (drawn curved): " + "; ".join(parts) + "."


def _options() -> dict:
    return {
        "autoResize": True,
        "physics": {"enabled": False},
        "layout": {"improvedLayout": False, "randomSeed": 1},
        "interaction": {
            "hover": True,
            "tooltipDelay": 400,
            "keyboard": False,
            "multiselect": False,
            "dragNodes": False,
        },
        "groups": {
            "claim": {
                "color": {
                    "background": "#eef4fb",
                    "border": "#4e79a7",
                    "highlight": {"background": "#d7e6f7", "border": "#111111"},
                    "hover": {"background": "#e3eef9", "border": "#1d232b"},
                }
            },
            "reported": {
                "color": {
                    "background": "#f1f1f1",
                    "border": "#8c8c8c",
                    "highlight": {"background": "#e2e2e2", "border": "#111111"},
                    "hover": {"background": "#ebebeb", "border": "#1d232b"},
                },
                "shapeProperties": {"borderDashes": [5, 4]},
            },
            "end": {
                "color": {
                    "background": "#fde9a9",
                    "border": "#a8861a",
                    "highlight": {"background": "#fbd96a", "border": "#111111"},
                    "hover": {"background": "#fce39a", "border": "#1d232b"},
                },
                "borderWidth": 3,
            },
        },
        "nodes": {
            "shape": "box",
            "borderWidth": 1.5,
            "margin": 8,
            "widthConstraint": {"minimum": BOX_WIDTH - 30, "maximum": BOX_WIDTH},
            "font": {
                "face": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
                "size": FONT_SIZE,
                "color": "#1d232b",
            },
        },
        "edges": {
            "smooth": False,
            "arrows": {"to": {"scaleFactor": 0.7}, "from": {"scaleFactor": 0.7}},
            "selectionWidth": 1.5,
            "hoverWidth": 0.5,
        },
    }


def render_page(store: ox.Store, ontology: list[ox.Quad], *, reader: bool = True) -> bytes:
    """The page's bytes, from the data and the ontology's quads (which name the link kinds);
    ``reader``: the essay's reader is built beside it (with the essay's text), so quotes link to it."""
    data = page_data(store, ontology)
    data["reader"] = reader
    return graph_view._render(data, graph_view.environment(), graph_view.vis_script(), page="argument")


def render(store: ox.Store, ontology_file: Path = config.ONTOLOGY_DIR / "ontology.ttl") -> bytes:
    """``argument.html``: the argument map of the claims in ``store``, its link kinds read from ``ontology_file``."""
    from essaykg.build.load import parse_file

    return render_page(store, parse_file(ontology_file, ox.RdfFormat.TURTLE))
