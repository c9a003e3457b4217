"""Shared fixtures: the essay's text and one real build of the graph per test session."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from essaykg import config as kg_config
from essaykg.build import pipeline

FIXTURES = Path(__file__).parent / "fixtures"

# mutmut runs the tests in a copy of the repository one folder down (mutants/), where the text beside
# the clone is one folder further up: the same file, seen from the copy.
_OUTER_SOURCE = kg_config.ROOT.parent.parent / "shared" / "source" / kg_config.DEFAULT_SOURCE.name
if kg_config.ROOT.name == "mutants" and not kg_config.DEFAULT_SOURCE.is_file() and _OUTER_SOURCE.is_file():
    kg_config.DEFAULT_SOURCE = _OUTER_SOURCE


def pytest_report_header(config):
    where = kg_config.DEFAULT_SOURCE if kg_config.DEFAULT_SOURCE.is_file() else "MISSING"
    return f"essay text: {where}"


@pytest.fixture(scope="session")
def source_path() -> Path:
    """The essay's text. Outside CI a missing text skips the tests that need it; in CI it fails them."""
    if not kg_config.DEFAULT_SOURCE.is_file():
        if kg_config.in_ci():
            pytest.fail(f"the essay's text is missing at {kg_config.DEFAULT_SOURCE}")
        pytest.skip(f"the essay's text is not at {kg_config.DEFAULT_SOURCE}")
    return kg_config.DEFAULT_SOURCE


@pytest.fixture(scope="session")
def built(tmp_path_factory, source_path) -> SimpleNamespace:
    """The real graph, built once into a temporary folder: `.out_dir` and `.summary`."""
    out_dir = tmp_path_factory.mktemp("output")
    summary = pipeline.build(source_path, out_dir, log=lambda _m: None)
    assert json.loads((out_dir / "summary.json").read_text(encoding="utf-8")) == summary
    return SimpleNamespace(out_dir=out_dir, summary=summary)


@pytest.fixture
def sources_copy(tmp_path) -> SimpleNamespace:
    """A writable copy of graph/ and ontology/, for tests that break the sources on purpose."""
    graph_dir = tmp_path / "graph"
    ontology_dir = tmp_path / "ontology"
    shutil.copytree(kg_config.GRAPH_DIR, graph_dir)
    shutil.copytree(kg_config.ONTOLOGY_DIR, ontology_dir)
    return SimpleNamespace(graph_dir=graph_dir, ontology_dir=ontology_dir, out_dir=tmp_path / "out")


# The two-essay corpus: the real essay and a short one written for the tests (tests/fixtures/corpus/),
# built together from a copy of graph/ with the fixture's folder added. `python build.py` on the
# repository never sees the fixture.
CORPUS = FIXTURES / "corpus"
SECOND = "talking-to-machines"


def make_corpus(root: Path, source_path: Path) -> SimpleNamespace:
    """graph/ with the second essay's folder, and a sources folder with both texts, under ``root``."""
    graph_dir, sources_dir = root / "graph", root / "sources"
    shutil.copytree(kg_config.GRAPH_DIR, graph_dir)
    shutil.copytree(CORPUS / "essays" / SECOND, graph_dir / "essays" / SECOND)
    sources_dir.mkdir()
    shutil.copyfile(source_path, sources_dir / kg_config.DEFAULT_SOURCE.name)
    shutil.copyfile(CORPUS / "source" / f"{SECOND}.txt", sources_dir / f"{SECOND}.txt")
    return SimpleNamespace(graph_dir=graph_dir, sources_dir=sources_dir, out_dir=root / "out")


@pytest.fixture(scope="session")
def corpus(tmp_path_factory, source_path) -> SimpleNamespace:
    """The two-essay corpus, built once: `.graph_dir`, `.sources_dir`, `.out_dir`, `.summary`, `.log`."""
    made = make_corpus(tmp_path_factory.mktemp("corpus"), source_path)
    made.log = []
    made.summary = pipeline.build(
        None, made.out_dir, sources_dir=made.sources_dir, graph_dir=made.graph_dir, log=made.log.append
    )
    return made
