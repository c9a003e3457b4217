"""The graph view: self-contained HTML pages that explore the graph in a browser, fully offline.

``render_pages(store, summary)`` returns ``{"graph.html": ..., "themes.html": ...}``:

- ``graph.html`` draws one node per resource that :func:`essaykg.kinds.kinds_in` returns (entities,
  themes, claims, quotations) and one edge per distinct (subject, predicate, object) between two of
  them, in any named graph. Relations a claim asserts (its ``ekg:assertion`` graph) are dashed.
- ``themes.html`` draws the SKOS scheme alone, each theme with the number of claims on it.

The network is assembled with pyvis; networkx computes node size (degree centrality) and the
positions (see :mod:`essaykg.view.layout`), so the page shows a settled picture at once (physics off).
The pages use this package's own Jinja template, not pyvis's (which links Bootstrap from a CDN):
vis-network's script is inlined from pyvis's package files, so each page is one file and requests
nothing. Text reaches the page only as JSON inside ``<script type="application/json">`` (with
``<``, ``>``, ``&`` escaped) or through Jinja's autoescaping, and the page's script builds the DOM
with ``textContent``. Output is byte-deterministic: everything is sorted, the layout seed is fixed,
and numbers are rounded.

pyvis, networkx and jinja2 are imported inside the functions that use them.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from essaykg import namespaces
from essaykg.kinds import KIND_LABELS, KINDS, kinds_in
from essaykg.namespaces import (
    DCTERMS,
    EKG,
    OA,
    OWL,
    RDF_TYPE,
    RDFS,
    SCHEMA,
    SKOS,
    local_name,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
VIS_VERSION = "9.1.2"

LABEL_PROPS = (RDFS + "label", SKOS + "prefLabel", SCHEMA + "name", SCHEMA + "headline")
DESCRIPTION_PROPS = (SCHEMA + "description", SKOS + "definition", DCTERMS + "description", RDFS + "comment")
LINK_PROPS = (SCHEMA + "url", SCHEMA + "sameAs", OWL + "sameAs", RDFS + "seeAlso")
ALT_LABEL_PROPS = (SKOS + "altLabel", SCHEMA + "alternateName")
QUOTATION_TEXT = SCHEMA + "text"
ARGUMENT_PROPS = {
    EKG + "supports",
    EKG + "attacks",
    EKG + "answers",
    EKG + "contrastsWith",
    EKG + "qualifies",
    EKG + "concedes",
    EKG + "argumentLink",
}
SYMMETRIC_PROPS = {EKG + "contrastsWith", EKG + "divorcing", SKOS + "related", SCHEMA + "spouse"}
ATTRIBUTION_PROPS = {SCHEMA + "creator", SCHEMA + "spokenByCharacter", DCTERMS + "source"}

# (kind) -> (vis shape, fill colour, border colour). Shapes with the label below them, except the
# theme (an ellipse with its name inside) and the organization or product (a box with its name inside).
STYLE: dict[str, tuple[str, str, str]] = {
    "claim": ("diamond", "#f28e2b", "#b35806"),
    "quotation": ("triangle", "#ff9da7", "#c2505f"),
    "theme": ("ellipse", "#f4d35e", "#a8861a"),
    "character": ("star", "#b07aa1", "#74466a"),
    "person": ("dot", "#4e79a7", "#2b4a6f"),
    "award": ("hexagon", "#e15759", "#9c2a2c"),
    "place": ("triangleDown", "#59a14f", "#336b2c"),
    "organization": ("box", "#9fd3ce", "#3f7b76"),
    "work": ("square", "#9c755f", "#5f4536"),
}
LAYER_KINDS = ("claim", "quotation")  # the two layers that can be hidden as a whole

# edge category -> (colour, width, dashes, legend)
EDGE_STYLE: dict[str, tuple[str, float, bool, str]] = {
    "argument": ("#e07b20", 2.5, False, "argument: supports, attacks, contrasts with, qualifies, answers, concedes"),
    "subject": ("#c9a227", 1.2, False, "a claim's theme (dcterms:subject)"),
    "asserted": ("#7b5ea7", 1.6, True, "what a claim asserts (its assertion graph)"),
    "scheme": ("#9a8232", 1.4, False, "theme hierarchy: broader"),
    "related": ("#9a8232", 1.2, True, "related themes"),
    "attribution": ("#d06c7a", 1.2, False, "who said a quotation, and where"),
    "fact": ("#8c96a3", 1.0, False, "fact or description"),
}


# ---------------------------------------------------------------------------- reading the store


@dataclass
class Resource:
    """What the store says about one subject: literals and IRIs by predicate, and the graphs."""

    iri: str
    literals: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # pred -> [(value, lang)]
    links: dict[str, list[str]] = field(default_factory=dict)  # pred -> [object IRI]

    def literal(self, *preds: str) -> str | None:
        """The first value of the first predicate that has one; English or untagged first."""
        for pred in preds:
            values = self.literals.get(pred)
            if values:
                return min(values, key=lambda v: (v[1] not in ("en", ""), v[1], v[0]))[0]
        return None

    def objects(self, pred: str) -> list[str]:
        return sorted(set(self.links.get(pred, [])))

    def types(self) -> set[str]:
        return set(self.links.get(RDF_TYPE, []))


def _resources(store: ox.Store) -> tuple[dict[str, Resource], dict[tuple[str, str, str], set[str]]]:
    """Every IRI subject with its properties, and every IRI-to-IRI triple with the graphs it is in."""
    resources: dict[str, Resource] = {}
    triples: dict[tuple[str, str, str], set[str]] = {}
    for quad in store.quads_for_pattern(None, None, None, None):
        if not isinstance(quad.subject, ox.NamedNode):
            continue
        subject, pred, obj = quad.subject.value, quad.predicate.value, quad.object
        graph = quad.graph_name.value if isinstance(quad.graph_name, ox.NamedNode) else ""
        res = resources.setdefault(subject, Resource(subject))
        if isinstance(obj, ox.Literal):
            res.literals.setdefault(pred, []).append((obj.value, obj.language or ""))
        elif isinstance(obj, ox.NamedNode):
            res.links.setdefault(pred, []).append(obj.value)
            triples.setdefault((subject, pred, obj.value), set()).add(graph)
    return resources, triples


def curie(iri: str) -> str:
    """``schema:actor`` for ``http://schema.org/actor``; the IRI itself when no prefix fits."""
    return namespaces.curie(iri) or iri


def predicate_name(iri: str) -> str:
    """A short readable name: ``spokenByCharacter`` -> ``spoken by character``."""
    name = local_name(iri)
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).lower()


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.—–-")
    return cut + "…"


def _safe_href(url: str) -> str | None:
    """Only http(s) addresses become links; anything else (``javascript:``...) is shown as text."""
    return url if re.match(r"https?://", url, re.IGNORECASE) else None


# ---------------------------------------------------------------------------- the model


@dataclass
class Model:
    """Everything the pages show, as plain sorted data."""

    title: str
    kinds: dict[str, str]  # iri -> kind
    labels: dict[str, str]
    info: dict[str, dict]
    edges: list[dict]  # {from, to, pred, category, graphs, claim}
    theme_members: dict[str, list[str]]
    theme_claims: dict[str, dict[str, int]]  # theme -> {"direct": n, "all": n}
    broader: dict[str, list[str]]
    related: list[tuple[str, str]]


def build_model(store: ox.Store) -> Model:
    """Read the store into the view's model: nodes, labels, side-panel facts, edges, theme filters."""
    kinds = kinds_in(store)
    resources, triples = _resources(store)

    def res(iri: str) -> Resource:
        return resources.get(iri) or Resource(iri)

    labels: dict[str, str] = {}
    for iri, kind in kinds.items():
        r = res(iri)
        label = r.literal(*LABEL_PROPS)
        quoted = r.literal(QUOTATION_TEXT)
        if label is None and kind == "quotation" and quoted:
            label = "“" + _shorten(quoted, 48) + "”"
        labels[iri] = " ".join((label or local_name(iri)).split())

    def label_of(iri: str) -> str:
        if iri in labels:
            return labels[iri]
        return res(iri).literal(*LABEL_PROPS) or curie(iri)

    # named graphs that hold what a claim asserts -> the claim
    assertion_graphs: dict[str, str] = {}
    for iri, kind in kinds.items():
        if kind == "claim":
            for graph in res(iri).objects(EKG + "assertion"):
                assertion_graphs.setdefault(graph, iri)

    # edges: distinct (s, p, o) between two nodes; a symmetric relation stated both ways is one edge
    edges: dict[tuple[str, str, str], dict] = {}
    for (s, p, o), graphs in sorted(triples.items()):
        if p == RDF_TYPE or s not in kinds or o not in kinds or s == o:
            continue
        key = (s, p, o)
        if p in SYMMETRIC_PROPS and (o, p, s) in edges:
            key = (o, p, s)
        edge = edges.setdefault(key, {"from": key[0], "to": key[2], "pred": p, "graphs": set(), "claims": set()})
        edge["graphs"].update(graphs)
        edge["claims"].update(assertion_graphs[g] for g in graphs if g in assertion_graphs)
    edge_list: list[dict[str, Any]] = []
    for (s, p, o), edge in sorted(edges.items()):
        stated_outside = any(g not in assertion_graphs for g in edge["graphs"])
        if p in ARGUMENT_PROPS:
            category = "argument"
        elif edge["claims"] and not stated_outside:
            category = "asserted"
        elif p == DCTERMS + "subject":
            category = "subject"
        elif p == SKOS + "related":
            category = "related"
        elif p.startswith(SKOS):
            category = "scheme"
        elif p in ATTRIBUTION_PROPS:
            category = "attribution"
        else:
            category = "fact"
        edge_list.append(
            {
                "from": s,
                "to": o,
                "pred": p,
                "category": category,
                "graphs": sorted(edge["graphs"]),
                "claims": sorted(edge["claims"]),
            }
        )

    # the side panel's facts
    info: dict[str, dict] = {}
    for iri, kind in kinds.items():
        r = res(iri)
        entry: dict = {
            "kind": kind,
            "kindLabel": KIND_LABELS[kind],
            "label": labels[iri],
            "iri": iri,
            "curie": curie(iri),
            "description": r.literal(*DESCRIPTION_PROPS) or "",
            "altLabels": sorted({v for p in ALT_LABEL_PROPS for v, _ in r.literals.get(p, [])}),
            "links": [],
            "details": [],
        }
        links = [{"label": "IRI", "href": _safe_href(iri), "text": iri}]
        for pred in LINK_PROPS:
            for target in r.objects(pred):
                links.append({"label": predicate_name(pred), "href": _safe_href(target), "text": target})
            for value, _lang in sorted(r.literals.get(pred, [])):
                links.append({"label": predicate_name(pred), "href": _safe_href(value), "text": value})
        entry["links"] = links
        # details: the literals not shown elsewhere in the panel
        shown = {
            *DESCRIPTION_PROPS,
            *LINK_PROPS,
            *ALT_LABEL_PROPS,
            QUOTATION_TEXT,
            next((p for p in LABEL_PROPS if r.literals.get(p)), None),
        }
        for pred in sorted(r.literals):
            if pred in shown:
                continue
            for value, _lang in sorted(set(r.literals[pred])):
                if value != labels[iri]:  # e.g. a schema:name repeating the label
                    entry["details"].append([predicate_name(pred), value])
        if kind == "claim":
            entry["themes"] = r.objects(DCTERMS + "subject")
            stances = r.objects(EKG + "stance")
            entry["stance"] = ", ".join(res(s).literal(RDFS + "label") or predicate_name(s) for s in stances)
            entry["asserts"] = [
                [e["from"], predicate_name(e["pred"]), e["to"]] for e in edge_list if iri in e["claims"]
            ]
        if kind == "quotation":
            entry["text"] = r.literal(QUOTATION_TEXT) or ""
        evidence = []
        for anchor in r.objects(EKG + "evidence"):
            evidence.append(_evidence(res, anchor, label_of))
        if evidence:
            entry["evidence"] = sorted(evidence, key=lambda e: (-1 if e["start"] is None else e["start"], e["anchor"]))
        info[iri] = entry

    # themes: hierarchy, claims per theme, and the nodes each theme filter shows
    themes = sorted(i for i, k in kinds.items() if k == "theme")
    broader = {t: [b for b in res(t).objects(SKOS + "broader") if b in kinds and kinds[b] == "theme"] for t in themes}
    related = sorted(
        {
            (min(t, o), max(t, o))
            for t in themes
            for o in res(t).objects(SKOS + "related")
            if o in kinds and kinds[o] == "theme" and o != t
        }
    )
    narrower: dict[str, set[str]] = {t: set() for t in themes}
    for t, parents in broader.items():
        for b in parents:
            narrower[b].add(t)
    claims_on: dict[str, set[str]] = {t: set() for t in themes}
    for iri, kind in kinds.items():
        if kind == "claim":
            for t in res(iri).objects(DCTERMS + "subject"):
                if t in claims_on:
                    claims_on[t].add(iri)
    adjacency: dict[str, set[str]] = {i: set() for i in kinds}
    for e in edge_list:
        adjacency[e["from"]].add(e["to"])
        adjacency[e["to"]].add(e["from"])

    def claim_order(claim: str) -> tuple:
        """Claims in the argument's order (schema:position), then by label."""
        position = res(claim).literal(SCHEMA + "position")
        number = int(position) if position is not None and position.lstrip("-").isdigit() else float("inf")
        return (number, labels[claim], claim)

    theme_members: dict[str, list[str]] = {}
    theme_claims: dict[str, dict[str, int]] = {}
    for t in themes:
        below = _descendants(t, narrower)
        claims = set().union(*(claims_on[d] for d in below))
        core = below | claims
        members = set(core)
        for node in core:
            members.update(n for n in adjacency[node] if kinds[n] not in ("claim", "theme"))
        theme_members[t] = sorted(members)
        theme_claims[t] = {"direct": len(claims_on[t]), "all": len(claims)}
        info[t]["claims"] = sorted(claims_on[t], key=claim_order)
        info[t]["narrowerClaims"] = sorted(claims - claims_on[t], key=claim_order)

    return Model(
        title=_essay_title(resources),
        kinds=kinds,
        labels=labels,
        info=info,
        edges=edge_list,
        theme_members=theme_members,
        theme_claims=theme_claims,
        broader=broader,
        related=related,
    )


def _descendants(theme: str, narrower: dict[str, set[str]]) -> set[str]:
    seen, stack = set(), [theme]
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(narrower.get(current, ()))
    return seen


def _evidence(res, anchor: str, label_of) -> dict:
    """One evidence anchor: the quote with its context, offsets, paragraph and source."""
    a = res(anchor)
    item: dict = {
        "anchor": anchor,
        "exact": "",
        "prefix": "",
        "suffix": "",
        "start": None,
        "end": None,
        "paragraph": None,
        "source": None,
        "essay": None,
        "sourceLabel": "",
        "sourceUrl": None,
    }
    for selector in a.objects(OA + "hasSelector"):
        s = res(selector)
        if s.literal(OA + "exact") is not None:
            item["exact"] = s.literal(OA + "exact")
            item["prefix"] = s.literal(OA + "prefix") or ""
            item["suffix"] = s.literal(OA + "suffix") or ""
        if s.literal(OA + "start") is not None and s.literal(OA + "end") is not None:
            item["start"] = int(s.literal(OA + "start"))
            item["end"] = int(s.literal(OA + "end"))
    for para in a.objects(DCTERMS + "isPartOf"):
        position = res(para).literal(SCHEMA + "position")
        if position is not None:
            item["paragraph"] = int(position)
    for source in a.objects(OA + "hasSource"):
        item["source"] = source
        item["essay"] = namespaces.essay_slug(source)  # whose reader holds the passage
        item["sourceLabel"] = label_of(source)
        urls = res(source).objects(SCHEMA + "url") or [v for v, _ in res(source).literals.get(SCHEMA + "url", [])]
        url = next((u for u in sorted(urls) if _safe_href(u)), None)
        item["sourceUrl"] = url
    return item


def _essay_title(resources: dict[str, Resource]) -> str:
    # an essay of the corpus is what declares its text's checksum (an article it cites has none)
    essays = sorted(iri for iri, r in resources.items() if r.literal(SCHEMA + "sha256"))
    if len(essays) > 1:
        return f"a corpus of {len(essays)} essays"
    title = resources[essays[0]].literal(SCHEMA + "headline", *LABEL_PROPS) if essays else None
    return title or "the essay"  # every one of essays has a headline


# ---------------------------------------------------------------------------- pyvis network


def _colour(kind: str) -> dict:
    _shape, fill, border = STYLE[kind]
    return {
        "background": fill,
        "border": border,
        "highlight": {"background": fill, "border": "#111111"},
        "hover": {"background": fill, "border": "#111111"},
    }


def theme_count_text(counts: dict[str, int]) -> str:
    """The claims on a theme, said the same way on both pages: those directly on it, and with its
    narrower themes' claims when that differs ("3 claims, 7 with narrower")."""
    direct, total = counts["direct"], counts["all"]
    text = f"{direct} claim{'' if direct == 1 else 's'}"
    return text if total == direct else f"{text}, {total} with narrower"


def _network(model: Model, node_ids: list[str], positions, values, labels, edges, edge_labels: bool = True):
    """A pyvis Network holding the nodes and edges; pyvis is imported here, not at module load."""
    from pyvis.network import Network

    net = Network(directed=True)
    for iri in node_ids:
        kind = model.kinds[iri]
        shape = STYLE[kind][0]
        x, y = positions[iri]
        options = {
            "title": f"{KIND_LABELS[kind]}: {model.labels[iri]}",
            "value": values[iri],
            "x": x,
            "y": y,
            "borderWidth": 1.5,
        }
        if kind in ("claim", "quotation"):
            options["widthConstraint"] = {"maximum": 190}
        elif kind == "theme":
            options["widthConstraint"] = {"maximum": 150}
        net.add_node(iri, label=labels[iri], shape=shape, color=_colour(kind), **options)
    pairs: dict[tuple[str, str], int] = {}
    for number, edge in enumerate(edges):
        colour, width, dashes, _legend = EDGE_STYLE[edge["category"]]
        pair = tuple(sorted((edge["from"], edge["to"])))
        index = pairs.get(pair, 0)
        pairs[pair] = index + 1
        options = {
            "id": f"e{number}",
            "name": predicate_name(edge["pred"]),  # the panel's connections list reads this
            "title": _edge_title(model, edge),
            "color": {"color": colour, "highlight": "#111111", "hover": "#111111"},
            "width": width,
            "dashes": dashes,
            "arrows": "" if edge["pred"] in SYMMETRIC_PROPS else "to",
        }
        if edge_labels:
            options["label"] = options["name"]
        if index:  # a second relation between the same two nodes curves away from the first
            options["smooth"] = {
                "enabled": True,
                "type": "curvedCW" if index % 2 else "curvedCCW",
                "roundness": round(0.18 * ((index + 1) // 2), 2),
            }
        net.add_edge(edge["from"], edge["to"], **options)
    return net


def _edge_title(model: Model, edge: dict) -> str:
    lines = [
        f"{model.labels[edge['from']]} → {predicate_name(edge['pred'])} → {model.labels[edge['to']]}",
        curie(edge["pred"]),
    ]
    for claim in edge["claims"]:
        lines.append(f"asserted by the claim “{model.labels[claim]}”")
    lines.append("in " + ", ".join(curie(g) for g in edge["graphs"] if g))
    return "\n".join(lines)


VIS_OPTIONS = {
    "autoResize": True,
    "physics": {"enabled": False},
    "layout": {"improvedLayout": False, "randomSeed": 1},
    "interaction": {
        "hover": True,
        "tooltipDelay": 250,
        "navigationButtons": False,
        "keyboard": False,
        "multiselect": False,
        "hideEdgesOnDrag": False,
    },
    "nodes": {
        "font": {
            "face": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
            "size": 15,
            "color": "#1d232b",
            "strokeWidth": 3,
            "strokeColor": "#ffffff",
        },
        "scaling": {
            "min": 10,
            "max": 42,
            "label": {"enabled": True, "min": 13, "max": 26, "maxVisible": 26, "drawThreshold": 6},
        },
    },
    "edges": {
        "smooth": False,
        "font": {"size": 10, "color": "#4a5560", "strokeWidth": 3, "strokeColor": "#ffffff", "align": "middle"},
        "arrows": {"to": {"scaleFactor": 0.55}},
        "color": {"opacity": 0.6},
        "scaling": {"label": {"enabled": True, "drawThreshold": 8}},
        "selectionWidth": 1.5,
        "hoverWidth": 0.5,
    },
}


# ---------------------------------------------------------------------------- pages


@functools.lru_cache(maxsize=4)
def _layout_of(node_ids: tuple[str, ...], pairs: tuple[tuple[str, str], ...]) -> tuple[dict, dict]:
    """Centrality and positions of a node set, computed once per build for the same nodes and edges:
    a corpus of one essay draws the same graph at the top and in the essay's folder."""
    from essaykg.view import layout

    return layout.centrality(list(node_ids), list(pairs)), layout.spring_positions(list(node_ids), list(pairs))


def _graph_page_data(model: Model, note: str | None = None) -> dict:
    """The graph page's data; ``note`` says on the page when it shows only part of a larger graph."""
    node_ids = sorted(model.kinds)
    pairs = [(e["from"], e["to"]) for e in model.edges]

    central, positions = copy.deepcopy(_layout_of(tuple(node_ids), tuple(pairs)))  # the cache's stay as made
    values = {n: central[n]["degree"] for n in node_ids}
    net = _network(model, node_ids, positions, values, model.labels, model.edges)
    info = {}
    for iri in node_ids:
        entry = dict(model.info[iri])
        entry["centrality"] = central[iri]
        info[iri] = entry
    counts = {kind: 0 for kind, _l, _c in KINDS}
    for kind in model.kinds.values():
        counts[kind] += 1
    themes = sorted((t for t, k in model.kinds.items() if k == "theme"), key=lambda t: (model.labels[t].lower(), t))
    return {
        "view": "graph",
        "title": model.title,
        "nodes": net.nodes,
        "edges": net.edges,
        "info": info,
        "themeMembers": model.theme_members,
        "themeOptions": [
            {"id": t, "label": model.labels[t], "claims": theme_count_text(model.theme_claims[t])} for t in themes
        ],
        "kinds": [
            {
                "kind": k,
                "label": KIND_LABELS[k],
                "count": counts[k],
                "shape": STYLE[k][0],
                "colour": STYLE[k][1],
                "layer": k in LAYER_KINDS,
            }
            for k, _l, _c in KINDS
        ],
        "edgeCategories": [
            {"category": c, "colour": s[0], "dashes": s[2], "legend": s[3]} for c, s in EDGE_STYLE.items()
        ],
        "edgeCategory": {f"e{i}": e["category"] for i, e in enumerate(model.edges)},
        "counts": {"nodes": len(node_ids), "edges": len(model.edges)},
        "viewNote": note,
        "prefixes": namespaces.PREFIXES,  # a deep link may name a node as the panel does (claim:x)
        "options": VIS_OPTIONS,
    }


def _themes_page_data(model: Model) -> dict:
    themes = sorted(t for t, k in model.kinds.items() if k == "theme")
    sort_key = lambda t: (model.labels[t].lower(), t)
    from essaykg.view import layout

    # an outline, broader themes on the left: every top concept in the first column, and the whole
    # scheme readable at once on a laptop screen (a top-down tree of 23 themes is too wide)
    positions = layout.tree_positions(themes, model.broader, sort_key=sort_key, dx=240, dy=50, across=True, gap=0.25)
    edges = []
    for t in themes:
        for b in sorted(model.broader[t]):
            edges.append(
                {
                    "from": t,
                    "to": b,
                    "pred": SKOS + "broader",
                    "category": "scheme",
                    "graphs": _graphs_of(model, t, SKOS + "broader", b),
                    "claims": [],
                }
            )
    for a, b in model.related:
        edges.append(
            {
                "from": a,
                "to": b,
                "pred": SKOS + "related",
                "category": "related",
                "graphs": _graphs_of(model, a, SKOS + "related", b),
                "claims": [],
            }
        )
    labels = {}
    values = {}
    for t in themes:
        labels[t] = f"{model.labels[t]}\n{theme_count_text(model.theme_claims[t])}"
        values[t] = model.theme_claims[t]["direct"]
    # No edge labels here: the legend tells broader from related, and a long related edge's label
    # could float alone at a corner of the view with its line out of sight.
    net = _network(model, themes, positions, values, labels, edges, edge_labels=False)
    info = {t: dict(model.info[t], claimCount=model.theme_claims[t]) for t in themes}
    for t in themes:  # the panel lists claims by label: carry their labels along
        for claim in info[t]["claims"] + info[t]["narrowerClaims"]:
            info.setdefault(claim, {"label": model.labels[claim], "kind": "claim", "iri": claim, "ref": True})
    options = json.loads(json.dumps(VIS_OPTIONS))
    options["edges"]["color"] = {"opacity": 0.9}
    # Boxes of one width with the label at one size: an outline that reads at a glance. The claim
    # counts are in the labels (a size by count made the big ones overlap their neighbours).
    options["nodes"]["scaling"] = {"label": {"enabled": False}}
    options["nodes"]["font"] = dict(options["nodes"]["font"], size=15)
    for node in net.nodes:
        node.pop("value", None)
        node.update(shape="box", margin=5, widthConstraint={"minimum": 225, "maximum": 225})
    return {
        "view": "themes",
        "title": model.title,
        "nodes": net.nodes,
        "edges": net.edges,
        "info": info,
        "themeMembers": {},
        "themeOptions": [],
        "kinds": [
            {
                "kind": "theme",
                "label": KIND_LABELS["theme"],
                "count": len(themes),
                "shape": STYLE["theme"][0],
                "colour": STYLE["theme"][1],
                "layer": False,
            }
        ],
        "edgeCategories": [
            {"category": c, "colour": EDGE_STYLE[c][0], "dashes": EDGE_STYLE[c][2], "legend": EDGE_STYLE[c][3]}
            for c in ("scheme", "related")
        ],
        "edgeCategory": {f"e{i}": e["category"] for i, e in enumerate(edges)},
        "prefixes": namespaces.PREFIXES,
        "counts": {
            "nodes": len(themes),
            "edges": len(edges),
            "claims": sum(1 for k in model.kinds.values() if k == "claim"),
        },
        "options": options,
    }


def _graphs_of(model: Model, s: str, p: str, o: str) -> list[str]:
    for e in model.edges:
        if (e["from"], e["pred"], e["to"]) in ((s, p, o), (o, p, s)):
            return e["graphs"]
    return []


def json_for_script(data) -> str:
    """JSON that is safe inside ``<script type="application/json">``: no ``<``, ``>``, ``&`` left."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (
        text.replace("&", "\\u0026")
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def vis_script() -> str:
    """vis-network's standalone build, from pyvis's own package files, made safe to inline."""
    import importlib.util

    spec = importlib.util.find_spec("pyvis")
    assert spec is not None and spec.origin is not None  # pyvis is a dependency
    base = Path(spec.origin).parent
    for path in (
        base / "templates" / "lib" / f"vis-{VIS_VERSION}" / "vis-network.min.js",
        base / "lib" / f"vis-{VIS_VERSION}" / "vis-network.min.js",
    ):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            break
    else:  # pragma: no cover - pyvis is pinned
        raise FileNotFoundError(f"vis-network {VIS_VERSION} is not in pyvis's package ({base})")
    text = re.sub(r"\n?//# sourceMappingURL=\S*\s*$", "\n", text)
    if re.search(r"</script|<!--", text, re.IGNORECASE):
        raise ValueError("vis-network.min.js holds '</script' or '<!--' and cannot be inlined as is")
    return text


def environment():
    """The pages' Jinja environment: templates/, autoescaping on, undefined names an error."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )


_HASHES = "'__script-hashes__'"


def _render(data: dict, env, vis: str, page: str = "graph") -> bytes:
    """The page from templates/<page>.html.j2 with <page>.js and <page>.css inlined; its
    Content-Security-Policy allows exactly its own two scripts (by hash), so even markup that
    slipped through could run nothing: no inline handler, no other script."""
    from markupsafe import Markup

    return render_with_csp(
        env.get_template(f"{page}.html.j2"),
        2,
        data=data,
        data_json=json_for_script(data),
        vis_js=Markup(vis),
        page_js=template_file(f"{page}.js"),
        page_css=template_file(f"{page}.css"),
        vis_version=VIS_VERSION,
    )


def template_file(name: str):
    """A file from templates/ (a script or a style sheet) as markup to inline in a page."""
    from markupsafe import Markup

    return Markup((TEMPLATES / name).read_text(encoding="utf-8"))


def render_with_csp(template, scripts_expected: int, *, data_json: str, **context) -> bytes:
    """Render ``template`` and fill its Content-Security-Policy with the SHA-256 hash of each of its
    inline ``<script>`` blocks (it must hold ``{{ script_hashes }}`` once and exactly
    ``scripts_expected`` of them). ``data_json`` comes from :func:`json_for_script`."""
    import base64
    import hashlib

    from markupsafe import Markup

    html = template.render(data_json=Markup(data_json), script_hashes=Markup(_HASHES), **context)
    scripts = re.findall(r"<script>(.*?)</script>", html, flags=re.DOTALL)
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode("ascii") + "'" for s in scripts
    )
    if html.count(_HASHES) != 1 or len(scripts) != scripts_expected:
        raise ValueError(f"the page template must hold one CSP placeholder and {scripts_expected} inline scripts")
    return html.replace(_HASHES, hashes).encode("utf-8")


def render_pages(
    store: ox.Store, summary: dict, *, corpus: bool = False, readers: list[str] | None = None
) -> dict[str, bytes]:
    """File name -> bytes of each page: ``graph.html`` (everything) and ``themes.html`` (the scheme).

    ``corpus``: the pages sit at the top of the output, above each essay's folder
    (``essays/<slug>/reader.html``), rather than in one essay's folder beside its reader.
    ``readers``: the slugs of the essays whose reader is built (None: every essay's), which the
    evidence links into.

    ``store`` holds the data quads in their named graphs; ``summary["kinds"]`` is the count per kind
    from :func:`essaykg.kinds.kinds_in`, and the graph view must draw exactly that many nodes:
    a mismatch raises ``ValueError``.
    """
    model = build_model(store)
    expected = summary.get("kinds") if isinstance(summary, dict) else None
    if expected is not None:
        drawn: dict[str, int] = {}
        for kind in model.kinds.values():
            drawn[kind] = drawn.get(kind, 0) + 1
        if {k: v for k, v in expected.items() if v} != drawn:
            raise ValueError(f"the graph view would draw {drawn}, but the summary counts {expected}")
    env = environment()
    vis = vis_script()
    note = summary.get("view_note") if isinstance(summary, dict) else None
    graph_data = _graph_page_data(model, note)
    graph_data["readerInEssayFolders"] = corpus
    graph_data["readers"] = sorted(
        {slug for slug in map(namespaces.essay_slug, model.kinds) if slug} if readers is None else readers
    )
    graph_data["essayFolder"] = not corpus  # the page sits in essays/<slug>/, beside that essay's other pages
    return {
        "graph.html": _render(graph_data, env, vis),
        "themes.html": _render(_themes_page_data(model), env, vis),
    }


def write_pages(store: ox.Store, summary: dict, out_dir: Path) -> dict[str, Path]:
    """Render and write the pages into ``out_dir`` (for tests and tools; the build writes atomically)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, content in sorted(render_pages(store, summary).items()):
        path = out_dir / name
        path.write_bytes(content)
        written[name] = path
    return written
