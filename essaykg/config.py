"""Paths: where the project's folders and the essay's text are. The IRIs are in essaykg.namespaces."""

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

# The essays' texts are the publishers', so they are not committed: each essay names its text file
# (ekg:textFile) and the build looks for it in this folder beside the clone (``--sources DIR`` for
# another, ``--source SLUG=PATH`` for one essay). See essaykg.build.sources.
SOURCES_DIR = ROOT.parent / "shared" / "source"
# The text of graph/essays/her-2023/ (its ekg:textFile), for the tests and the commands' defaults.
DEFAULT_SOURCE = SOURCES_DIR / "000_a394dd7dae399d18.txt"


# How the user started the tool, for messages that tell them what to run next: `python build.py`
# from a checkout, `essaykg` when installed (essaykg.cli sets it). Generated files never use it.
COMMAND = "python build.py"


def is_project(folder: Path) -> bool:
    """A project folder holds graph/ and ontology/."""
    return _is_project(folder)


def in_ci() -> bool:
    """CI sets CI=true; there a missing source text is a failure, not a skip."""
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}
