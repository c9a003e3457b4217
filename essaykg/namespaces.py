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
ESSAY_BASE = BASE + "essay/her-2023/"
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


def is_assertion_graph(graph_iri: str) -> bool:
    """A claim's assertion graph: what the claim asserts, not what the graph states as fact. SHACL,
    the merged Turtle and the graph view's facts leave these out."""
    return graph_iri.startswith(PREFIXES["assertion"])
