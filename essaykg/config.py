"""Paths and namespaces: each stated once, read everywhere else."""
from __future__ import annotations

import os
from pathlib import Path



def _is_project(folder: Path) -> bool:
    return (folder / "graph").is_dir() and (folder / "ontology").is_dir()


def project_root() -> Path:
    """The project folder (graph/, ontology/, queries/ and output/ live in it).

    ``$ESSAYKG_HOME`` if set; else the checkout this package sits in (``python build.py``); else, for
    an installed package (``pip install .``, the ``essaykg`` command), the nearest folder at or above
    the working directory that holds graph/ and ontology/; else the working directory.
    """
    if os.environ.get("ESSAYKG_HOME"):
        return Path(os.environ["ESSAYKG_HOME"]).resolve()
    checkout = Path(__file__).resolve().parent.parent
    if _is_project(checkout):
        return checkout
    here = Path.cwd().resolve()
    return next((folder for folder in (here, *here.parents) if _is_project(folder)), here)


ROOT = project_root()
GRAPH_DIR = ROOT / "graph"
ONTOLOGY_DIR = ROOT / "ontology"
CHECKS_DIR = ONTOLOGY_DIR / "checks"
OUTPUT_DIR = ROOT / "output"

# The essay text is the publisher's, so it is not committed: by default it is read
# from the shared folder beside the clone. ``--source`` points at another copy.
DEFAULT_SOURCE = ROOT.parent / "shared" / "source" / "000_a394dd7dae399d18.txt"

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
    "schema": "http://schema.org/",
    "wd": "http://www.wikidata.org/entity/",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "oa": "http://www.w3.org/ns/oa#",
    "prov": "http://www.w3.org/ns/prov#",
    "cito": "http://purl.org/spar/cito/",
    "dcterms": "http://purl.org/dc/terms/",
    "owl": "http://www.w3.org/2002/07/owl#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "sh": "http://www.w3.org/ns/shacl#",
}


def shorten(iri: str) -> str:
    """Prefixed form of an IRI for messages (schema:name, claim:x); the IRI itself if no prefix fits."""
    best = None
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and (best is None or len(namespace) > len(best[1])):
            best = (prefix, namespace)
    return f"{best[0]}:{iri[len(best[1]):]}" if best else f"<{iri}>"


def in_ci() -> bool:
    """CI sets CI=true; there a missing source text is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}
