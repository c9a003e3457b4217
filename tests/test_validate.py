"""Broken sources fail the build with the right message, and write nothing.

Each file in tests/fixtures/broken/ carries its own expected message on a `# expect:` line; it is
added to a copy of the sources (a .trig into graph/, a .ttl into ontology/) and the build must fail
with that message.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from essaykg.build import pipeline, validate
from essaykg.build.load import LoadError

BROKEN = Path(__file__).parent / "fixtures" / "broken"
CASES = sorted(BROKEN.glob("*.t*"))


def expected_message(path: Path) -> str:
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("# expect: "):
            return line[len("# expect: "):]
    raise AssertionError(f"{path.name} has no '# expect:' line")


def test_every_broken_case_is_collected():
    assert len(CASES) == 18, [p.name for p in CASES]


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_broken_source_fails_with_its_message(case, sources_copy, source_path):
    target_dir = sources_copy.ontology_dir if case.suffix == ".ttl" else sources_copy.graph_dir
    shutil.copy(case, target_dir / case.name)
    with pytest.raises((pipeline.BuildError, LoadError)) as failure:
        pipeline.build(source_path, sources_copy.out_dir, graph_dir=sources_copy.graph_dir,
                       ontology_dir=sources_copy.ontology_dir, log=lambda _m: None)
    assert expected_message(case) in str(failure.value)
    assert not sources_copy.out_dir.exists()


def test_real_graph_conforms_and_passes_every_check(built):
    # The build raises on any problem; this asserts what it ran.
    assert built.summary["source"]["verified"] is True
    checks = validate.load_checks()
    assert len(checks) == 13
    assert all(check.description for check in checks)


def test_shacl_message_names_node_path_and_rule(sources_copy, source_path):
    shutil.copy(BROKEN / "claim-without-evidence.trig", sources_copy.graph_dir)
    with pytest.raises(pipeline.BuildError) as failure:
        pipeline.build(source_path, sources_copy.out_dir, graph_dir=sources_copy.graph_dir,
                       ontology_dir=sources_copy.ontology_dir, log=lambda _m: None)
    line = next(l for l in str(failure.value).splitlines() if "test-no-evidence" in l)
    assert line.strip() == (
        "claim:test-no-evidence ekg:evidence: needs at least one evidence anchor "
        "(ekg:evidence, an oa:SpecificResource) [sh:MinCountConstraintComponent in ekgsh:Evidence]"
    )


def test_shapes_are_valid_shacl():
    """The shapes graph itself validates against the SHACL-for-SHACL shapes (pySHACL's meta-shacl)."""
    from pyshacl import validate as shacl_validate

    from essaykg.build.load import load_sources

    sources = load_sources()
    shapes = validate.to_rdflib(sources.shapes)
    data = validate.to_rdflib([])
    conforms, _graph, text = shacl_validate(data, shacl_graph=shapes, meta_shacl=True)
    assert conforms, text
