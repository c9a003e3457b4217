"""Namespaces: every IRI base and prefix the project uses, stated once, and the one IRI shortener.

The hand-written files (graph/, ontology/, queries/) declare the same prefixes; a test checks that
the README lists them all.
"""

from __future__ import annotations

import re

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
XSD = "http://www.w3.org/2001/XMLSchema#"
OWL = "http://www.w3.org/2002/07/owl#"
SH = "http://www.w3.org/ns/shacl#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OA = "http://www.w3.org/ns/oa#"
PROV = "http://www.w3.org/ns/prov#"
SCHEMA = "http://schema.org/"
DCTERMS = "http://purl.org/dc/terms/"
CITO = "http://purl.org/spar/cito/"
WD = "http://www.wikidata.org/entity/"
RDF_TYPE = RDF + "type"

BASE = "https://w3id.org/essay-kg/"
ONTOLOGY_IRI = BASE + "ontology"
EKG = ONTOLOGY_IRI + "#"
ESSAYS = BASE + "essay/"  # every essay's IRIs start with ESSAYS + its slug + "/"
ESSAY_BASE = ESSAYS + "her-2023/"  # the essay this project was made for; its prefixes are below
ESSAY_IRI = ESSAY_BASE + "essay"

# Prefixes used when serializing; the same ones the hand-written files declare.
PREFIXES: dict[str, str] = {
    "ekg": EKG,
    "id": BASE + "id/",
    "theme": BASE + "theme/",
    "kg": BASE + "graph/",
    "ekgsh": BASE + "shapes#",
    "her": ESSAY_BASE,
    "claim": ESSAY_BASE + "claim/",
    "assertion": ESSAY_BASE + "assertion/",
    "quotation": ESSAY_BASE + "quotation/",
    "fact": ESSAY_BASE + "fact/",
    "anchor": ESSAY_BASE + "anchor/",
    "selector": ESSAY_BASE + "selector/",
    "mention": ESSAY_BASE + "mention/",
    "para": ESSAY_BASE + "paragraph/",
    "hg": ESSAY_BASE + "graph/",
    "schema": SCHEMA,
    "wd": WD,
    "skos": SKOS,
    "oa": OA,
    "prov": PROV,
    "cito": CITO,
    "dcterms": DCTERMS,
    "owl": OWL,
    "rdf": RDF,
    "rdfs": RDFS,
    "xsd": XSD,
    "sh": SH,
}


_LOCAL = re.compile(r"[\w.\-]*")  # a local part every reader of prefixed names takes as it is


def curie(iri: str, prefixes: dict[str, str] = PREFIXES) -> str | None:
    """``schema:actor`` for ``http://schema.org/actor`` (the longest namespace that fits, with a
    plain local part); None when no prefix fits."""
    best = None
    for prefix, namespace in prefixes.items():
        if iri.startswith(namespace) and (best is None or len(namespace) > len(best[1])):
            best = (prefix, namespace)
    if best is None or not _LOCAL.fullmatch(iri[len(best[1]) :]):
        return None
    return f"{best[0]}:{iri[len(best[1]) :]}"


def shorten(iri: str, prefixes: dict[str, str] = PREFIXES) -> str:
    """The prefixed form of an IRI for people (messages, tables); ``<iri>`` when no prefix fits."""
    return curie(iri, prefixes) or f"<{iri}>"


def local_name(iri: str) -> str:
    """The last segment of an IRI's path or its fragment: ``p13-browning`` for ``anchor:p13-browning``."""
    return re.split(r"[#/]", iri.rstrip("/#"))[-1]


_ESSAY_PART = re.compile(re.escape(ESSAYS) + r"([a-z0-9][a-z0-9-]*)/(?:([a-z-]+)/)?")
SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")  # an essay's folder name under graph/essays/ and its IRIs' segment


def essay_base(slug: str) -> str:
    """Where the IRIs of essay ``slug`` (its folder graph/essays/<slug>/) start."""
    return f"{ESSAYS}{slug}/"


def essay_iri(slug: str) -> str:
    """The essay itself: ``<essay base>essay``."""
    return essay_base(slug) + "essay"


def essay_slug(iri: str) -> str | None:
    """The slug of the essay an IRI belongs to (``her-2023`` for ``claim:x``); None for a shared one."""
    match = _ESSAY_PART.match(iri)
    return match.group(1) if match else None


def essay_prefix(slug: str) -> str:
    """The prefix an essay's files bind to its base: ``her:`` for this project's essay, ``essay:``
    in the files ``new-essay`` writes."""
    return "her" if essay_base(slug) == ESSAY_BASE else "essay"


def is_assertion_graph(graph_iri: str) -> bool:
    """A claim's assertion graph, in any essay (``<essay base>assertion/...``): what the claim asserts,
    not what the graph states as fact. SHACL, the merged Turtle and the graph view's facts leave these out."""
    match = _ESSAY_PART.match(graph_iri)
    return match is not None and match.group(2) == "assertion"
