"""The build's own steps: what it logs, which SHACL engine it takes, where the checks run, the summary line."""
from __future__ import annotations

import json
import re
import shutil

import pyoxigraph as ox
import pytest
from _golden import FIXTURES, SUMMARY

from essaykg import config, namespaces
from essaykg.build import pipeline, sources, validate
from essaykg.build.load import ONTOLOGY_GRAPH, load_sources, store_of
from essaykg.view import shown


def test_a_build_logs_each_step_it_ran(source_path, tmp_path):
    lines = []
    pipeline.build(source_path, tmp_path / "out", log=lines.append)
    assert all(re.match(r"\[ *\d+\.\d\ds\] ", line) for line in lines), lines
    assert [line.split("] ", 1)[1] for line in lines] == [
        f"loaded {SUMMARY['triples']} quads from 11 files",
        "SHACL: conforms",
        f"her-2023: verified {SUMMARY['anchors']} anchors against {source_path.name} (paragraphs with anchors: 28/28)",
        "her-2023: mentions.trig is what `python build.py mentions` writes",
        "quality checks: 13 passed",
        "summarized",
        "rendered graph.html, themes.html",
        "documented the ontology: ontology.html",
        "essays/her-2023/: graph.html, argument.html, argument.argdown, reader.html",
        "index.html: the corpus overview, rendered",
        f"wrote 16 files to {tmp_path / 'out'}",
    ]


def test_summary_line_says_what_was_built():
    stats = {"triples": 10, "graphs": {"a": 4, "b": 6}, "claim_graphs": 1, "entities": 2, "themes": 3, "claims": 4,
             "quotations": 5, "anchors_verified": 6, "anchors": 7, "paragraphs_covered": 8, "paragraphs": 9,
             "essays": {"one": {"verified": True}}}
    assert pipeline.summary_line(stats) == (
        "built 10 triples in 2 graphs (1 claim graphs): 2 entities, 3 themes, 4 claims, 5 quotations; "
        "6/7 anchors verified; paragraphs covered 8/9")
    stats["essays"]["two"] = {"verified": False}
    stats["essays"]["a-third"] = {"verified": False}
    assert pipeline.summary_line(stats) == (
        "built 3 essays: 10 triples in 2 graphs (1 claim graphs): 2 entities, 3 themes, 4 claims, 5 quotations; "
        "6/7 anchors verified (NOT verified: a-third, two); paragraphs covered 8/9")


def _essay(slug: str, text_file: str) -> sources.Essay:
    return sources.Essay(iri=namespaces.essay_iri(slug), slug=slug, title=slug, text_file=text_file, sha256="0" * 64)


def test_resolve_texts(tmp_path, monkeypatch):
    text = tmp_path / "t.txt"
    text.write_text("x", encoding="utf-8")
    one = [_essay("one", "declared.txt")]
    assert pipeline.resolve_texts(one, text, tmp_path) == {"one": text}  # the only essay: whatever the name
    with pytest.raises(pipeline.BuildError, match=f"^--source {tmp_path / 'nope'}: no such file$"):
        pipeline.resolve_texts(one, tmp_path / "nope", tmp_path)
    declared = tmp_path / "declared.txt"
    declared.write_text("y", encoding="utf-8")
    assert pipeline.resolve_texts(one, None, tmp_path) == {"one": declared}  # found in the sources folder
    monkeypatch.setattr(config, "SOURCES_DIR", tmp_path)
    assert pipeline.resolve_texts(one, None, None) == {"one": declared}  # the default sources folder
    declared.unlink()
    monkeypatch.setenv("CI", "false")
    assert pipeline.resolve_texts(one, None, tmp_path) == {"one": None}
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pipeline.BuildError, match=r"^the text of one \(.*declared.txt\) is missing; in CI the anchors"):
        pipeline.resolve_texts(one, None, tmp_path)


def test_resolve_texts_of_a_corpus(tmp_path, monkeypatch):
    monkeypatch.setenv("CI", "false")
    corpus = [_essay("one", "one.txt"), _essay("two", "two.txt")]
    (tmp_path / "one.txt").write_text("1", encoding="utf-8")
    other = tmp_path / "elsewhere.txt"
    other.write_text("2", encoding="utf-8")
    assert pipeline.resolve_texts(corpus, None, tmp_path) == {"one": tmp_path / "one.txt", "two": None}
    assert pipeline.resolve_texts(corpus, [f"two={other}"], tmp_path) == {"one": tmp_path / "one.txt", "two": other}
    renamed = tmp_path / "sub" / "two.txt"  # a bare path goes to the essay whose text file has its name
    renamed.parent.mkdir()
    renamed.write_text("2", encoding="utf-8")
    assert pipeline.resolve_texts(corpus, [str(renamed)], tmp_path)["two"] == renamed
    with pytest.raises(pipeline.BuildError, match=r"no essay declares a text file named 'elsewhere.txt'; name the essay: "
                       r"--source SLUG=.*elsewhere.txt \(essays: one, two\)$"):
        pipeline.resolve_texts(corpus, [str(other)], tmp_path)
    with pytest.raises(pipeline.BuildError, match=r"^--source three=.*: no essay 'three' \(essays: one, two\)$"):
        pipeline.resolve_texts(corpus, [f"three={other}"], tmp_path)


def _graph(value: str) -> ox.NamedNode:
    return ox.NamedNode(value)


def test_assertion_graphs_are_left_out_of_shacl_and_the_view():
    assertion = _graph(namespaces.PREFIXES["assertion"] + "x")
    assert namespaces.is_assertion_graph(assertion.value) and not namespaces.is_assertion_graph(namespaces.BASE + "graph/x")
    other = _graph(namespaces.BASE + "graph/entities")
    s, p = ox.NamedNode(namespaces.BASE + "id/a"), ox.NamedNode("http://schema.org/name")
    quads = [ox.Quad(s, p, ox.Literal("in assertion"), assertion), ox.Quad(s, p, ox.Literal("in data"), other)]
    assert pipeline._data_graph_triples(quads) == [ox.Triple(s, p, ox.Literal("in data"))]
    store = store_of(quads)
    assert pipeline._view_graphs(store) == [other]
    with pipeline._assertion_graphs_set_aside(store):
        assert set(store) == {quads[1]}
    assert set(store) == set(quads)


def test_large_graphs_take_the_sparql_engine_and_small_ones_pyshacl(monkeypatch):
    sources = load_sources()
    graphs = pipeline._view_graphs(sources.data)
    count = len(sources.data)
    assert pipeline._shacl(sources.data, count, graphs, sources.shapes) == ([], "")
    monkeypatch.setattr(validate, "PYSHACL_LIMIT", count - 1)
    assert pipeline._shacl(sources.data, count, graphs, sources.shapes) == (
        [], f" ({count} quads: the shapes run as SPARQL queries)")
    assert len(sources.data) == count  # the assertion graphs are back
    # shapes the compiler does not know: pySHACL after all
    odd = sources.shapes + [ox.Triple(ox.NamedNode(namespaces.BASE + "shapes#X"),
                                      ox.NamedNode(validate.SH + "targetNode"), ox.NamedNode(namespaces.BASE + "id/a"))]
    assert pipeline._shacl(sources.data, count, graphs, odd) == ([], "")
    monkeypatch.setattr(validate, "PYSHACL_LIMIT", count)
    calls = []
    monkeypatch.setattr(validate, "shacl_sparql", lambda *a: calls.append(a) or [])
    pipeline._shacl(sources.data, count, graphs, sources.shapes)
    assert calls == []


def test_checks_run_over_the_data_and_the_ontology_graph_which_is_then_removed():
    sources = load_sources()
    before = len(sources.data)
    extra = ox.Quad(ox.NamedNode(namespaces.EKG + "testTerm"), ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                    ox.NamedNode("http://www.w3.org/2002/07/owl#Class"), ONTOLOGY_GRAPH)
    ontology = list(sources.ontology) + [extra]
    checks = [c for c in validate.load_checks() if c.name == "minted-term-undocumented"]
    found = pipeline._run_checks(sources.data, type(sources)(sources.data, ontology, [], []), checks)
    assert {p.node for p in found} == {"ekg:testTerm"}
    assert len(sources.data) == before
    # a data graph that uses the ontology graph's name: the checks run on a copy, the data is untouched
    sources.data.add(extra)
    found = pipeline._run_checks(sources.data, type(sources)(sources.data, list(sources.ontology), [], []), checks)
    assert {p.node for p in found} == {"ekg:testTerm"}
    assert extra in sources.data and len(sources.data) == before + 1


def test_a_failed_shacl_step_also_reports_the_quality_checks(sources_copy, source_path):
    # a person whose name is misspelt: SHACL misses a schema:name, the check names the typo
    shutil.copy(FIXTURES / "broken" / "typo-replaces-term.trig", sources_copy.graph_dir)
    with pytest.raises(pipeline.BuildError) as failure:
        pipeline.build(source_path, sources_copy.out_dir, graph_dir=sources_copy.graph_dir,
                       ontology_dir=sources_copy.ontology_dir, log=lambda _m: None)
    text = str(failure.value)
    assert text.startswith("SHACL validation failed:\n  ")
    assert "\nquality checks failed:\n  schema:nmae: is used as a property but defined nowhere" in text


def test_a_broken_anchor_fails_the_build_naming_the_text(sources_copy, source_path):
    anchors_file = sources_copy.graph_dir / "essays" / "her-2023" / "anchors.trig"
    text = anchors_file.read_text(encoding="utf-8")
    assert "oa:start 7362 ;" in text
    anchors_file.write_text(text.replace("oa:start 7362 ;", "oa:start 7363 ;"), encoding="utf-8")
    with pytest.raises(pipeline.BuildError) as failure:
        pipeline.build(source_path, sources_copy.out_dir, graph_dir=sources_copy.graph_dir,
                       ontology_dir=sources_copy.ontology_dir, log=lambda _m: None)
    assert str(failure.value) == (
        f"anchors of essay her-2023 do not match {source_path}:\nanchor:p16-disordered-passivity: expected 'disordered passivity' "
        "at [7363, 7382), found 'isordered passivity'")
    assert not sources_copy.out_dir.exists()


def test_an_unreadable_text_is_a_build_error(sources_copy, tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"caf\xe9")
    with pytest.raises(pipeline.BuildError, match=f"^cannot read the text of essay her-2023, {bad}: "):
        pipeline.build(bad, sources_copy.out_dir, graph_dir=sources_copy.graph_dir,
                       ontology_dir=sources_copy.ontology_dir, log=lambda _m: None)


def test_a_failing_quality_check_fails_the_build(sources_copy, source_path):
    (sources_copy.graph_dir / "self.trig").write_text(
        "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in namespaces.PREFIXES.items())
        + "hg:essay { claim:her-came-first ekg:supports claim:her-came-first . }\n", encoding="utf-8")
    with pytest.raises(pipeline.BuildError) as failure:
        pipeline.build(source_path, sources_copy.out_dir, graph_dir=sources_copy.graph_dir,
                       ontology_dir=sources_copy.ontology_dir, log=lambda _m: None)
    assert str(failure.value) == ("quality checks failed:\n"
                                  "  claim:her-came-first: is linked to itself in the argument [check argument-self-link]")


def test_a_small_graph_is_drawn_whole_and_a_large_one_as_its_first_claims(monkeypatch):
    data = load_sources().data
    stats = {"nodes": shown.VIEW_NODES}
    assert shown.view_of(data, stats) == (data, stats, "")
    monkeypatch.setattr(shown, "VIEW_NODES", 20)
    view, view_stats, note = shown.view_of(data, {"nodes": 400})
    match = re.fullmatch(r" \(a filtered view: the first (\d+) claims and what they link to, (\d+) of 400 nodes; "
                         r"the view draws at most 20\)", note)
    assert match, note
    claims, drawn = int(match[1]), int(match[2])
    assert view_stats == {"kinds": view_stats["kinds"], "view_note": note[2:-1]}
    assert sum(view_stats["kinds"].values()) == drawn and view_stats["kinds"]["claim"] == claims >= 1
    ordered = [row["c"].value for row in data.query(
        "SELECT ?c WHERE { ?c a <http://schema.org/Claim> ; <http://schema.org/position> ?n } ORDER BY ?n ?c",
        use_default_graph_as_union=True)]
    drawn = {q.subject.value for q in view.quads_for_pattern(None, ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
                                                           ox.NamedNode("http://schema.org/Claim"))}
    # the first claims in the essay's order, and the claims they link to
    assert ordered[0] in drawn and len(drawn) == claims and set(ordered[claims + 5:]) - drawn
    # the essay is drawn, and each drawn claim's evidence anchors with their selectors
    assert next(view.quads_for_pattern(ox.NamedNode(namespaces.ESSAY_IRI), None, None), None) is not None
    first = ox.NamedNode(ordered[0])
    for evidence in data.quads_for_pattern(first, ox.NamedNode(namespaces.EKG + "evidence"), None):
        assert set(data.quads_for_pattern(evidence.object, None, None)) <= set(view)
        for sel in data.quads_for_pattern(evidence.object, ox.NamedNode("http://www.w3.org/ns/oa#hasSelector"), None):
            assert set(data.quads_for_pattern(sel.object, None, None)) <= set(view)


def test_a_build_removes_what_the_previous_build_wrote_and_this_one_does_not(source_path, tmp_path):
    out = tmp_path / "out"
    (out / "essays" / "gone").mkdir(parents=True)
    for name in ("argument.html", "essays/gone/reader.html", "notes.txt"):
        (out / name).write_text("old", encoding="utf-8")
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours", encoding="utf-8")
    listed = {"argument.html": 3, "essays/gone/reader.html": 3, "../outside.txt": 8, str(outside): 8, "graph.html": 1}
    (out / "summary.json").write_text(json.dumps({"artifacts": listed}), encoding="utf-8")
    stats = pipeline.build(source_path, out, log=lambda _m: None)
    assert not (out / "argument.html").exists() and not (out / "essays" / "gone").exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "old"  # never listed: not the build's to remove
    assert outside.read_text(encoding="utf-8") == "not ours"  # listed, but outside the output folder
    assert (out / "graph.html").stat().st_size == stats["artifacts"]["graph.html"] > 1  # written anew
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        [*stats["artifacts"], "summary.json", "notes.txt"])


@pytest.mark.parametrize("content", ["not json", '{"artifacts": ["a"]}', '{"no": 1}', '[]'])
def test_an_unreadable_earlier_summary_removes_nothing(tmp_path, content):
    (tmp_path / "summary.json").write_text(content, encoding="utf-8")
    assert pipeline._earlier_artifacts(tmp_path) == set()
