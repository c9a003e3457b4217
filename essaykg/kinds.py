"""The kinds of node a reader sees (person, character, work, ...): one mapping from RDF classes.

The graph view colours nodes by kind and the build summary counts them, so both read this table.
Order matters: a resource with several classes takes the first kind that matches.
"""

from __future__ import annotations

import pyoxigraph as ox

from essaykg.namespaces import EKG, SCHEMA

# (kind, label shown in the legend, classes that make it)
KINDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("claim", "Claim", (SCHEMA + "Claim",)),
    ("quotation", "Quotation", (SCHEMA + "Quotation",)),
    ("theme", "Theme", ("http://www.w3.org/2004/02/skos/core#Concept",)),
    ("character", "Character", (EKG + "FictionalCharacter",)),
    ("person", "Person", (SCHEMA + "Person",)),
    ("award", "Award or event", (EKG + "Award", SCHEMA + "Event")),
    ("place", "Place", (SCHEMA + "Place", SCHEMA + "City")),
    (
        "organization",
        "Organization or product",
        (
            SCHEMA + "Organization",
            SCHEMA + "Corporation",
            SCHEMA + "NewsMediaOrganization",
            SCHEMA + "MusicGroup",
            SCHEMA + "Product",
            SCHEMA + "SoftwareApplication",
        ),
    ),
    (
        "work",
        "Work",
        (
            SCHEMA + "CreativeWork",
            SCHEMA + "Movie",
            SCHEMA + "Book",
            SCHEMA + "Article",
            SCHEMA + "OpinionNewsArticle",
            SCHEMA + "Poem",
            SCHEMA + "Periodical",
            SCHEMA + "Speech",
        ),
    ),
]

KIND_LABELS = {kind: label for kind, label, _ in KINDS}


def kind_of(classes: set[str]) -> str | None:
    """The kind for a resource with these class IRIs, or None if it is not drawn as a node."""
    for kind, _label, kind_classes in KINDS:
        if classes.intersection(kind_classes):
            return kind
    return None


def kinds_in(store: ox.Store, graphs: list[ox.NamedNode] | None = None) -> dict[str, str]:
    """IRI -> kind for every IRI resource in the store (all graphs, or the given ones) with a class
    that makes a kind."""
    classes: dict[str, set[str]] = {}
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    # Only the classes that make a kind decide it: look those up rather than read every rdf:type
    # (anchors and selectors are most of them on a large graph).
    for kind_class in sorted({c for _kind, _label, kind_classes in KINDS for c in kind_classes}):
        for quad in store.quads_for_pattern(None, rdf_type, ox.NamedNode(kind_class), None):
            if graphs is not None and quad.graph_name not in graphs:
                continue
            if isinstance(quad.subject, ox.NamedNode):
                classes.setdefault(quad.subject.value, set()).add(kind_class)
    result = {}
    for iri, iri_classes in classes.items():
        kind = kind_of(iri_classes)
        if kind:
            result[iri] = kind
    return dict(sorted(result.items()))
