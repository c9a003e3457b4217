"""The essay's argument in Argdown (https://argdown.org/syntax/), the syntax argument-mapping tools read.

:func:`argdown` writes one statement per claim, in the essay's order, with its outgoing argument links
indented under it. Each statement's title is the claim's local name, its text the claim's label, its
tags the claim's stance (and ``#thesis`` / ``#conclusion``), and its data the claim's IRI, position,
paragraphs and the exact words of its evidence anchors. Which Argdown relation a link becomes is read
from the ontology (``ekg:argdownRelation`` on each sub-property of ``ekg:argumentLink``): supports and
answers are support (``+>``), attacks and concedes attack (``->``), qualifies undercut (``_>``),
contrastsWith contradictory (``><``, written once per pair: the build states both directions).

The output is byte-stable: everything is sorted. ``npx argdown map output/argument.argdown`` draws it
(tests/view/test_argdown.py renders it with the pinned @argdown/cli and compares its JSON with the graph).
"""

from __future__ import annotations

import pyoxigraph as ox

from essaykg import namespaces
from essaykg.store import select

EKG = namespaces.EKG
ARROWS = {"support": "+>", "attack": "->", "undercut": "_>", "contradictory": "><"}
_RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_SUBPROPERTY = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subPropertyOf")
_SYMMETRIC = ox.NamedNode("http://www.w3.org/2002/07/owl#SymmetricProperty")

_CLAIMS = """
PREFIX schema: <http://schema.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX ekg: <https://w3id.org/essay-kg/ontology#>
SELECT ?claim ?position ?label ?stance WHERE {
  ?claim a schema:Claim ; schema:position ?position ; rdfs:label ?label .
  OPTIONAL { ?claim ekg:stance ?stance }
}
"""

_EVIDENCE = """
PREFIX schema: <http://schema.org/>
PREFIX ekg: <https://w3id.org/essay-kg/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX dcterms: <http://purl.org/dc/terms/>
SELECT ?claim ?anchor ?exact ?start ?end ?paragraph WHERE {
  ?claim a schema:Claim ; ekg:evidence ?anchor .
  ?anchor oa:hasSelector ?quote , ?position .
  ?quote oa:exact ?exact . ?position oa:start ?start .
  OPTIONAL { ?position oa:end ?end }
  OPTIONAL { ?anchor dcterms:isPartOf/schema:position ?paragraph }
}
"""

_ESSAY = """
PREFIX ekg: <https://w3id.org/essay-kg/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label WHERE { ?essay ekg:thesis ?thesis ; rdfs:label ?label } ORDER BY ?label LIMIT 1
"""

_ENDS = """
PREFIX ekg: <https://w3id.org/essay-kg/ontology#>
SELECT ?claim ?role WHERE { ?essay ?role ?claim FILTER(?role IN (ekg:thesis, ekg:conclusion)) }
"""


class ArgdownError(Exception):
    """An argument link kind the ontology gives no Argdown relation."""


def link_kinds(ontology: list[ox.Quad]) -> dict[str, tuple[str, bool]]:
    """Argument-link property IRI -> (Argdown relation, symmetric?), from the ontology's own table."""
    triples = [(q.subject, q.predicate, q.object) for q in ontology]
    sub_of: dict[ox.NamedNode | ox.BlankNode, set] = {}
    for s, p, o in triples:
        if p == _SUBPROPERTY and not isinstance(s, ox.Triple):  # never one: no triple term is a subject
            sub_of.setdefault(s, set()).add(o)
    top = ox.NamedNode(EKG + "argumentLink")

    def is_link(prop, seen=()) -> bool:
        return any(
            parent == top or (parent not in seen and is_link(parent, (*seen, prop))) for parent in sub_of.get(prop, ())
        )

    relation = {
        s: o.value for s, p, o in triples if p == ox.NamedNode(EKG + "argdownRelation") and not isinstance(o, ox.Triple)
    }
    symmetric = {s for s, p, o in triples if p == _RDF_TYPE and o == _SYMMETRIC}
    kinds = {}
    for prop in sorted({s for s in sub_of if is_link(s)}, key=str):
        if relation.get(prop) not in ARROWS:
            raise ArgdownError(
                f"{namespaces.shorten(prop.value)} is an argument link with no ekg:argdownRelation "
                f"({', '.join(ARROWS)})"
            )
        kinds[prop.value] = (relation[prop], prop in symmetric)
    return kinds


def links(store: ox.Store, kinds: dict[str, tuple[str, bool]]) -> list[tuple[str, str, str]]:
    """(from claim, property, to claim) for every argument link, a symmetric link once per pair
    (from the claim that sorts first), sorted."""
    claim_class = ox.NamedNode("http://schema.org/Claim")
    claims = {q.subject for q in store.quads_for_pattern(None, _RDF_TYPE, claim_class, None)}
    found = set()
    for prop, (_relation, symmetric) in kinds.items():
        for quad in store.quads_for_pattern(None, ox.NamedNode(prop), None, None):
            a, b = quad.subject, quad.object
            if a not in claims or b not in claims:
                continue
            # both are claims, so named or blank nodes
            assert isinstance(a, ox.NamedNode | ox.BlankNode) and isinstance(b, ox.NamedNode | ox.BlankNode)
            if symmetric and b.value < a.value:
                a, b = b, a
            found.add((a.value, prop, b.value))
    return sorted(found)


def _text(value: str) -> str:
    """A label as Argdown statement text: characters that Argdown reads as syntax are replaced."""
    table = str.maketrans(
        {"[": "(", "]": ")", "<": "‹", ">": "›", "{": "(", "}": ")", "#": "No.", "*": "·", "_": " ", "\n": " "}
    )
    return " ".join(value.translate(table).split())


def _yaml(value) -> str:
    """A YAML flow value: strings double-quoted and escaped, lists in brackets."""
    if isinstance(value, list):
        return "[" + ", ".join(_yaml(v) for v in value) + "]"
    if isinstance(value, int):
        return str(value)
    escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def read_claims(store: ox.Store) -> dict[str, dict]:
    """Claim IRI -> {"position", "label", "stance"} (the stance's local name, or None), for every
    schema:Claim with a position and a label; a claim with two labels or stances keeps the first found."""
    claims: dict[str, dict] = {}
    for row in select(store, _CLAIMS, use_default_graph_as_union=True):
        iri = row["claim"].value
        if iri in claims:
            continue
        claims[iri] = {
            "position": int(row["position"].value),
            "label": row["label"].value,
            "stance": row["stance"].value.rsplit("#", 1)[-1] if row["stance"] else None,
        }
    return claims


def read_evidence(store: ox.Store) -> dict[str, list[dict]]:
    """Claim IRI -> its evidence anchors, each {"anchor", "exact", "start", "end", "paragraph"}
    (paragraph: the position of the paragraph it is part of; end and paragraph may be None), sorted by offset."""
    evidence: dict[str, list[dict]] = {}
    for row in select(store, _EVIDENCE, use_default_graph_as_union=True):
        paragraph = int(row["paragraph"].value) if row["paragraph"] is not None else None
        evidence.setdefault(row["claim"].value, []).append(
            {
                "anchor": row["anchor"].value,
                "exact": row["exact"].value,
                "start": int(row["start"].value),
                "end": int(row["end"].value) if row["end"] is not None else None,
                "paragraph": paragraph,
            }
        )
    for quotes in evidence.values():
        quotes.sort(key=lambda q: (q["start"], q["end"] or 0, q["anchor"], q["exact"], q["paragraph"] or 0))
    return evidence


def read_roles(store: ox.Store) -> dict[str, list[str]]:
    """Claim IRI -> the roles the essay gives it: "thesis", "conclusion" (ekg:thesis, ekg:conclusion)."""
    roles: dict[str, list[str]] = {}
    for row in select(store, _ENDS, use_default_graph_as_union=True):
        roles.setdefault(row["claim"].value, []).append(row["role"].value.rsplit("#", 1)[-1])
    return {iri: sorted(set(names)) for iri, names in roles.items()}


def title(iri: str) -> str:
    """The statement's title: the claim's local name (claim:x -> x)."""
    return iri.rstrip("/").rsplit("/", 1)[-1].rsplit("#", 1)[-1]


def argdown(store: ox.Store, ontology: list[ox.Quad]) -> bytes:
    """The whole argument as an Argdown document (UTF-8 bytes), titled with the essay's label."""
    kinds = link_kinds(ontology)
    essay = [row["label"].value for row in select(store, _ESSAY, use_default_graph_as_union=True)]
    title_text = "The argument of “" + essay[0] + "”" if essay else "The essay's argument"
    claims = read_claims(store)
    evidence = {
        iri: [(q["start"], q["exact"], q["paragraph"]) for q in quotes] for iri, quotes in read_evidence(store).items()
    }
    roles = read_roles(store)
    outgoing: dict[str, list[tuple[str, str]]] = {}
    for a, prop, b in links(store, kinds):
        outgoing.setdefault(a, []).append((prop, b))

    legend = ", ".join(f"{namespaces.shorten(p)} {ARROWS[r]}" for p, (r, _s) in sorted(kinds.items()))
    lines = [
        "// Generated by `python build.py` (essaykg/view/argdown.py) from the essay's graph (graph/): do not edit.",
        f"// One statement per claim (schema:Claim), in the essay's order; argument links: {legend}.",
        "// Render: npx argdown map --format svg argument.argdown OUT_DIR",
        "",
        "===",
        f"title: {_yaml(title_text)}",
        "===",
        "",
    ]
    order = sorted(claims, key=lambda iri: (claims[iri]["position"], iri))
    for iri in order:
        claim = claims[iri]
        quotes = sorted(set(evidence.get(iri, [])))
        tags = [f"#{claim['stance']}"] if claim["stance"] else []
        tags += [f"#{role}" for role in sorted(roles.get(iri, []))]
        data = ", ".join(
            [
                f"iri: {_yaml(iri)}",
                f"position: {claim['position']}",
                f"paragraphs: {_yaml(sorted({p for _s, _e, p in quotes if p is not None}))}",
                f"evidence: {_yaml([exact for _start, exact, _p in quotes])}",
            ]
        )
        lines.append(" ".join([f"[{title(iri)}]: {_text(claim['label'])}", *tags, f"{{{data}}}"]))
        for prop, target in outgoing.get(iri, []):
            lines.append(f"  {ARROWS[kinds[prop][0]]} [{title(target)}]")
        lines.append("")
    return ("\n".join(lines).rstrip("\n") + "\n").encode("utf-8")
