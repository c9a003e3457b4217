"""The build's own steps: what it logs, which SHACL engine it takes, where the checks run, the summary line."""
from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pyoxigraph as ox
import pytest
from _golden import FIXTURES, SUMMARY
from benchmarks import synth

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
    assert pipeline.summary_line(stats).startswith("built 2 essays: 10 triples in 2 graphs")
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
    with pytest.raises(pipeline.BuildError) as failure:
        pipeline.resolve_texts(one, None, tmp_path)
    assert str(failure.value) == (f"the text of one ({tmp_path / 'declared.txt'}) is missing; in CI the anchors must "
                                  "be verified, so this is a failure. Pass --source SLUG=PATH or --sources DIR.")


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
    count = len(sources.data)
    assert pipeline._shacl(sources.data, count, sources.shapes) == ([], "")
    monkeypatch.setattr(validate, "PYSHACL_LIMIT", count - 1)
    assert pipeline._shacl(sources.data, count, sources.shapes) == (
        [], f" ({count} quads: the shapes run as SPARQL queries)")
    assert len(sources.data) == count  # the assertion graphs are back
    # shapes the compiler does not know: pySHACL after all
    odd = sources.shapes + [ox.Triple(ox.NamedNode(namespaces.BASE + "shapes#X"),
                                      ox.NamedNode(validate.SH + "targetNode"), ox.NamedNode(namespaces.BASE + "id/a"))]
    assert pipeline._shacl(sources.data, count, odd) == ([], "")
    monkeypatch.setattr(validate, "PYSHACL_LIMIT", count)
    calls = []
    monkeypatch.setattr(validate, "shacl_sparql", lambda *a: calls.append(a) or [])
    pipeline._shacl(sources.data, count, sources.shapes)
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
    # ... and that copy holds the ontology too: every term the data uses is defined there
    undefined = [c for c in validate.load_checks() if c.name == "undefined-term"]
    assert pipeline._run_checks(sources.data, type(sources)(sources.data, list(sources.ontology), [], []), undefined) == []
    assert len(validate.run_checks(store_of(sources.data), undefined)) > 10  # not so without it


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
    (out / "essays" / "empty").mkdir()  # its file is gone already: the folder still goes
    for name in ("kept-absolute.txt", "kept-dotted.txt"):
        (out / name).write_text("kept", encoding="utf-8")
    listed = {"argument.html": 3, "essays/gone/reader.html": 3, "../outside.txt": 8, str(outside): 8, "graph.html": 1,
              "essays/empty/reader.html": 3,
              # names that are not plain relative names are never followed, even where they lead inside
              str(out / "kept-absolute.txt"): 4, "essays/../kept-dotted.txt": 4}
    (out / "summary.json").write_text(json.dumps({"artifacts": listed}), encoding="utf-8")
    stats = pipeline.build(source_path, out, log=lambda _m: None)
    assert not (out / "argument.html").exists() and not (out / "essays" / "gone").exists()
    assert not (out / "essays" / "empty").exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "old"  # never listed: not the build's to remove
    assert outside.read_text(encoding="utf-8") == "not ours"  # listed, but outside the output folder
    assert (out / "graph.html").stat().st_size == stats["artifacts"]["graph.html"] > 1  # written anew
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == sorted(
        [*stats["artifacts"], "summary.json", "notes.txt", "kept-absolute.txt", "kept-dotted.txt"])


@pytest.mark.parametrize("content", ["not json", '{"artifacts": ["a"]}', '{"no": 1}', '[]'])
def test_an_unreadable_earlier_summary_removes_nothing(tmp_path, content):
    (tmp_path / "summary.json").write_text(content, encoding="utf-8")
    assert pipeline._earlier_artifacts(tmp_path) == set()


# ------------------------------------------------------------------ whole builds of a small corpus
#
# A seeded synthetic corpus (benchmarks/synth.py, about 600 quads: 8 claims, 6 paragraphs) goes
# through every step of a real build in about a second, against the project's ontology/: fast enough
# for mutation testing to run for each planted bug in build(). The expected counts come from the
# generator, the expected RDF from reading the sources back with load_sources.

ESSAY = "essays/her-2023/"  # the synthetic essay's IRIs are her-2023's: its pages go in that folder
ARTIFACTS = sorted(["essay-kg.jsonld", "essay-kg.nq", "essay-kg.nt", "essay-kg.trig", "essay-kg.ttl", "graph.html",
                    "index.html", "ontology.html", "ontology.ttl", "shapes.ttl", "summary.json", "themes.html",
                    *(ESSAY + name for name in ("argument.argdown", "argument.html", "graph.html", "reader.html"))])
CHECKS = len(list((config.ONTOLOGY_DIR / "checks").glob("*.rq")))


def _corpus(root: Path):
    return synth.generate(300, root / "corpus", seed=1)


def _files(graph_dir: Path) -> int:
    return len(list(graph_dir.rglob("*.trig"))) + len(list(config.ONTOLOGY_DIR.glob("*.ttl")))


def _listing(out_dir: Path) -> dict[str, int]:
    return {p.relative_to(out_dir).as_posix(): p.stat().st_size for p in sorted(out_dir.rglob("*")) if p.is_file()}


def _quads(path: Path, fmt: ox.RdfFormat) -> set:
    return set(ox.parse(path=path, format=fmt))


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> SimpleNamespace:
    """The small corpus, built once with its text: the log, the summary returned, the output folder."""
    root = tmp_path_factory.mktemp("small")
    corpus = _corpus(root)
    log = []
    summary = pipeline.build(corpus.source, root / "out", graph_dir=corpus.graph_dir, log=log.append)
    return SimpleNamespace(corpus=corpus, out_dir=root / "out", summary=summary, log=log)


def _broken(tmp_path: Path, expected_error=pipeline.BuildError, source=None, ontology_dir=config.ONTOLOGY_DIR, **edits):
    """Build a fresh copy of the small corpus with files replaced (``path="text"``); return the error."""
    corpus = _corpus(tmp_path)
    for rel, text in edits.items():
        path = corpus.graph_dir / rel.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text(path.read_text(encoding="utf-8")) if callable(text) else text, encoding="utf-8")
    log = []
    with pytest.raises(expected_error) as failure:
        pipeline.build(source or corpus.source, tmp_path / "out", graph_dir=corpus.graph_dir,
                       ontology_dir=ontology_dir, log=log.append)
    return SimpleNamespace(corpus=corpus, message=str(failure.value), log=log, out_dir=tmp_path / "out")


def test_a_small_corpus_builds_logging_each_step(small):
    counts = small.corpus.counts
    assert all(re.fullmatch(r"\[ *\d+\.\d\ds\] .+", line) for line in small.log), small.log
    assert [line.split("] ", 1)[1] for line in small.log] == [
        f"loaded {small.corpus.triples} quads from {_files(small.corpus.graph_dir)} files",
        "SHACL: conforms",
        f"her-2023: verified {counts['anchors']} anchors against source.txt (paragraphs with anchors: "
        f"{counts['paragraphs']}/{counts['paragraphs']})",
        f"quality checks: {CHECKS} passed",  # no mentions.trig in the synthetic essay: none checked
        "summarized",
        "rendered graph.html, themes.html",
        "documented the ontology: ontology.html",
        f"{ESSAY}: graph.html, argument.html, argument.argdown, reader.html",
        "index.html: the corpus overview, rendered",
        f"wrote {len(ARTIFACTS)} files to {small.out_dir}",
    ]


def test_a_small_corpus_build_writes_every_artifact_and_a_summary_of_their_sizes(small):
    sizes = _listing(small.out_dir)
    assert sorted(sizes) == ARTIFACTS
    text = (small.out_dir / "summary.json").read_text(encoding="utf-8")
    assert text == json.dumps(small.summary, indent=2, ensure_ascii=False) + "\n"
    del sizes["summary.json"]
    assert list(small.summary["artifacts"].items()) == list(sizes.items())  # every other file, by name
    assert small.summary["triples"] == small.corpus.triples
    assert small.summary["claims"] == small.corpus.counts["claims"]
    assert small.summary["anchors_verified"] == small.corpus.counts["anchors"]
    source_bytes = small.corpus.source.read_bytes()
    assert small.summary["essays"]["her-2023"]["verified"] is True
    assert small.summary["essays"]["her-2023"]["sha256"] == hashlib.sha256(source_bytes).hexdigest()


def test_a_small_corpus_build_writes_the_graph_the_ontology_and_the_shapes(small):
    sources = load_sources(small.corpus.graph_dir)
    quads = set(sources.data)
    for name, fmt in (("essay-kg.nq", ox.RdfFormat.N_QUADS), ("essay-kg.trig", ox.RdfFormat.TRIG),
                      ("essay-kg.jsonld", ox.RdfFormat.JSON_LD)):
        assert _quads(small.out_dir / name, fmt) == quads, name
    view = {q.triple for q in quads if not namespaces.is_assertion_graph(q.graph_name.value)}
    assert 0 < len(view) < len(quads)
    for name, fmt in (("essay-kg.nt", ox.RdfFormat.N_TRIPLES), ("essay-kg.ttl", ox.RdfFormat.TURTLE)):
        assert {q.triple for q in _quads(small.out_dir / name, fmt)} == view, name
    ontology = (small.out_dir / "ontology.ttl").read_text(encoding="utf-8")
    assert ontology.startswith("# Generated by `python build.py` from graph/ and ontology/: "
                               "the ontology and the reused terms. Do not edit; edit the sources.\n")
    assert {q.triple for q in ox.parse(ontology.encode(), format=ox.RdfFormat.TURTLE)} == {
        q.triple for q in sources.ontology}
    shapes = (small.out_dir / "shapes.ttl").read_bytes()
    assert shapes == (b"# Generated by `python build.py` from graph/ and ontology/: the SHACL shapes, as written. "
                      b"Do not edit; edit the sources.\n" + (config.ONTOLOGY_DIR / "shapes.ttl").read_bytes())
    for name, what in (("essay-kg.trig", "every named graph"),
                       ("essay-kg.ttl", "all graphs but the claims' assertion graphs, merged")):
        assert (small.out_dir / name).read_text(encoding="utf-8").startswith(
            f"# Generated by `python build.py` from graph/ and ontology/: the essay's knowledge graph, {what}. "
            "Do not edit; edit the sources.\n"), name
    lines = (small.out_dir / "essay-kg.nq").read_text(encoding="utf-8").splitlines()
    assert lines == sorted(lines, key=lambda line: (line.rsplit(" ", 2)[-2], line))  # by graph: the sorted writers


def test_a_large_graph_without_its_text_takes_the_sparql_engine_and_oxigraphs_writers(tmp_path, monkeypatch):
    from essaykg.build import export

    corpus = _corpus(tmp_path)
    monkeypatch.setattr(export, "SORTED_LIMIT", 100)
    monkeypatch.setattr(validate, "PYSHACL_LIMIT", 100)
    monkeypatch.setattr(config, "SOURCES_DIR", tmp_path / "absent")
    monkeypatch.setenv("CI", "false")
    log = []
    summary = pipeline.build(None, tmp_path / "out", graph_dir=corpus.graph_dir, log=log.append)
    assert [line.split("] ", 1)[1] for line in log] == [
        f"loaded {corpus.triples} quads from {_files(corpus.graph_dir)} files",
        f"SHACL: conforms ({corpus.triples} quads: the shapes run as SPARQL queries)",
        f"WARNING: the text of her-2023 (source.txt) is not in {tmp_path / 'absent'}: its anchors were NOT verified "
        "(pass --source her-2023=PATH)",
        f"quality checks: {CHECKS} passed",
        "summarized",
        "rendered graph.html, themes.html",
        "documented the ontology: ontology.html",
        f"{ESSAY}reader.html skipped: the essay's text is not available (pass --source her-2023=PATH)",
        f"{ESSAY}: graph.html, argument.html, argument.argdown",
        "index.html: the corpus overview, rendered",
        f"wrote {len(ARTIFACTS) - 1} files to {tmp_path / 'out'}",
    ]
    sizes = _listing(tmp_path / "out")
    assert sorted(sizes) == [name for name in ARTIFACTS if name != ESSAY + "reader.html"]
    assert summary["essays"]["her-2023"]["verified"] is False and summary["anchors_verified"] == 0
    quads = set(load_sources(corpus.graph_dir).data)
    assert _quads(tmp_path / "out" / "essay-kg.nq", ox.RdfFormat.N_QUADS) == quads
    assert (tmp_path / "out" / "essay-kg.trig").read_text(encoding="utf-8").startswith(
        "# Generated by `python build.py` from graph/ and ontology/: the essay's knowledge graph, every named graph.")


def test_a_small_corpus_with_a_wrong_anchor_fails_before_writing(tmp_path):
    def shifted(text):
        start = re.search(r"oa:start (\d+)", text)
        moved.append(int(start[1]) + 1)
        return text[:start.start(1)] + str(moved[0]) + text[start.end(1):]

    moved = []
    failure = _broken(tmp_path, **{"essays__her-2023__anchors.trig": shifted})
    assert re.fullmatch(rf"anchors of essay her-2023 do not match {re.escape(str(failure.corpus.source))}:\n"
                        rf"anchor:\S+: expected '[^']+' at \[{moved[0]}, \d+\), found '[^']+'", failure.message), failure.message
    assert [line.split("] ", 1)[1] for line in failure.log][1:] == ["SHACL: conforms"]
    assert not failure.out_dir.exists()


def test_a_small_corpus_with_an_unreadable_text_fails(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes(b"caf\xe9")
    failure = _broken(tmp_path, source=bad)
    assert failure.message == (f"cannot read the text of essay her-2023, {bad}: 'utf-8' codec can't decode byte 0xe9 in "
                               "position 3: unexpected end of data")
    assert not failure.out_dir.exists()


TYPO = ("@prefix id: <https://w3id.org/essay-kg/id/> .\n@prefix schema: <http://schema.org/> .\n"
        "@prefix kg: <https://w3id.org/essay-kg/graph/> .\n")


def test_a_small_corpus_failing_shacl_reports_the_quality_checks_too(tmp_path):
    failure = _broken(tmp_path, **{"typo.trig": TYPO + 'kg:entities { id:person-0 schema:nmae "X" ; schema:nam "Y" . '
                                               'id:nobody a schema:Person . }\n'})
    lines = failure.message.split("\n")
    assert lines[0] == "SHACL validation failed:"
    assert lines[1:4] == [
        "  id:nobody rdfs:label: needs exactly one non-empty rdfs:label [sh:MinCountConstraintComponent in ekgsh:OneLabel]",
        "  id:nobody schema:description: needs exactly one schema:description, at least 10 characters, in a language "
        '(e.g. "..."@en) [sh:MinCountConstraintComponent in ekgsh:OneDescription]',
        "  id:nobody schema:name: needs exactly one schema:name (a plain string) [sh:MinCountConstraintComponent in ekgsh:Named]"]
    assert lines[4:] == [
        "quality checks failed:",
        "  schema:nam: is used as a property but defined nowhere (ontology.ttl, external-terms.ttl); used on "
        "<https://w3id.org/essay-kg/id/person-0> in the graph <https://w3id.org/essay-kg/graph/entities> [check undefined-term]",
        "  schema:nmae: is used as a property but defined nowhere (ontology.ttl, external-terms.ttl); used on "
        "<https://w3id.org/essay-kg/id/person-0> in the graph <https://w3id.org/essay-kg/graph/entities> [check undefined-term]"]
    assert len(failure.log) == 1 and not failure.out_dir.exists()


def test_a_small_corpus_failing_shacl_alone_says_nothing_of_the_checks(tmp_path):
    failure = _broken(tmp_path, **{"typo.trig": TYPO + "kg:entities { id:nobody a schema:Person . }\n"})
    assert failure.message.startswith("SHACL validation failed:\n  id:nobody rdfs:label: needs exactly one")
    assert failure.message.endswith("\n  id:nobody schema:name: needs exactly one schema:name (a plain string) "
                                    "[sh:MinCountConstraintComponent in ekgsh:Named]")  # and nothing of the checks
    assert len(failure.message.split("\n")) == 4


def test_a_small_corpus_failing_a_quality_check_fails(tmp_path):
    self_link = ("@prefix claim: <https://w3id.org/essay-kg/essay/her-2023/claim/> .\n"
                 "@prefix hg: <https://w3id.org/essay-kg/essay/her-2023/graph/> .\n"
                 "@prefix ekg: <https://w3id.org/essay-kg/ontology#> .\n"
                 "hg:essay { claim:c1 ekg:supports claim:c1 . claim:c2 ekg:supports claim:c2 . }\n")
    failure = _broken(tmp_path, **{"self.trig": self_link})
    assert failure.message == ("quality checks failed:\n"
                               "  claim:c1: is linked to itself in the argument [check argument-self-link]\n"
                               "  claim:c2: is linked to itself in the argument [check argument-self-link]")
    assert [line.split("] ", 1)[1] for line in failure.log][-1].startswith("her-2023: verified ")
    assert not failure.out_dir.exists()


def test_stale_mentions_fail_the_build_naming_the_command(tmp_path):
    failure = _broken(tmp_path, **{"essays__her-2023__mentions.trig": ""})
    first, second = failure.message.split("\n")
    assert first.startswith("the mentions are not current: graph/essays/her-2023/mentions.trig is out of date: "
                            "0 line(s) would go, ")
    assert second == "run `python build.py mentions` to rewrite graph/essays/her-2023/mentions.trig"
    assert not failure.out_dir.exists()


def test_mentions_are_checked_for_the_project_graph_folder_only_when_it_is_that_folder(tmp_path, source_path,
                                                                                      monkeypatch):
    assert pipeline._check_mentions(config.GRAPH_DIR, "her-2023", source_path) is True  # current: no error
    assert pipeline._check_mentions(config.GRAPH_DIR, "another", source_path) is False  # the rules are her-2023's
    # in the project's own graph/ the file must be there: a deleted mentions.trig is not a skipped check
    project = tmp_path / "project-graph"
    shutil.copytree(config.GRAPH_DIR, project)
    (project / "essays" / "her-2023" / "mentions.trig").unlink()
    monkeypatch.setattr(config, "GRAPH_DIR", project)
    with pytest.raises(pipeline.BuildError, match="^the mentions are not current: "):
        pipeline._check_mentions(project, "her-2023", source_path)
    monkeypatch.undo()
    corpus = _corpus(tmp_path)
    assert pipeline._check_mentions(corpus.graph_dir, "her-2023", corpus.source) is False  # no mentions file
    (corpus.graph_dir / "essays" / "her-2023" / "mentions.trig").write_text("", encoding="utf-8")
    with pytest.raises(pipeline.BuildError, match="^the mentions are not current: "):
        pipeline._check_mentions(corpus.graph_dir, "her-2023", corpus.source)
    # the hand-written decisions cannot be read: that error is the reason given
    (corpus.graph_dir / "essays" / "her-2023" / "mentions-settled.tsv").write_text("one column\n", encoding="utf-8")
    with pytest.raises(pipeline.BuildError) as failure:
        pipeline._check_mentions(corpus.graph_dir, "her-2023", corpus.source)
    assert str(failure.value) == (
        "the mentions are not current: mentions-settled.tsv:1: needs 5 tab-separated columns "
        "(paragraph, start, exact, entity or -, reason), found 1\n"
        "run `python build.py mentions` to rewrite graph/essays/her-2023/mentions.trig")


def test_a_page_that_cannot_be_made_fails_the_build(tmp_path):
    ontology_dir = tmp_path / "ontology"
    shutil.copytree(config.ONTOLOGY_DIR, ontology_dir)
    ontology = ontology_dir / "ontology.ttl"
    text = ontology.read_text(encoding="utf-8")
    assert 'ekg:argdownRelation "support" .' in text
    ontology.write_text(text.replace('ekg:argdownRelation "support" .', 'ekg:argdownRelation "backs" .', 1), encoding="utf-8")
    failure = _broken(tmp_path, ontology_dir=ontology_dir)
    assert failure.message.startswith("the argument of her-2023 cannot be written in Argdown: ekg:supports is an argument link "
                                      "with no ekg:argdownRelation (")
    assert list(failure.out_dir.iterdir()) == []  # made for the staged files, which are gone


def test_an_output_folder_that_cannot_be_made_is_a_write_error(tmp_path):
    from essaykg.build import export

    corpus = _corpus(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(export.WriteError, match=f"^cannot write to {blocker / 'out'}: "):
        pipeline.build(corpus.source, blocker / "out", graph_dir=corpus.graph_dir, log=lambda _m: None)


# ------------------------------------------------------------------ the command: arguments, exit codes, output


def _args(*argv: str):
    import argparse

    parser = argparse.ArgumentParser(prog="build")
    pipeline.add_arguments(parser)
    return parser, parser.parse_args(list(argv))


def test_the_build_arguments_and_their_defaults():
    parser, args = _args()
    assert vars(args) == {"source": None, "sources": None, "out": config.OUTPUT_DIR, "graph_dir": config.GRAPH_DIR,
                          "ontology_dir": config.ONTOLOGY_DIR, "quiet": False}
    _, args = _args("--source", "t.txt", "--source", "a=u.txt", "--sources", "s", "--out", "o", "--graph-dir", "g",
                    "--ontology-dir", "n", "-q")
    assert vars(args) == {"source": ["t.txt", "a=u.txt"], "sources": Path("s"), "out": Path("o"),
                          "graph_dir": Path("g"), "ontology_dir": Path("n"), "quiet": True}
    assert _args("--quiet")[1].quiet is True
    text = " ".join(parser.format_help().split())
    assert ("--source [SLUG=]PATH an essay's text, to verify its quotes and offsets against: SLUG=PATH for the "
            "essay in graph/essays/SLUG/, or PATH for the essay whose text file has that name (or the only essay); "
            "repeat for several essays (default: each essay's ekg:textFile in --sources)") in text
    assert f"--sources DIR the folder holding the essays' texts (default: {config.SOURCES_DIR})" in text
    assert "--out OUT the output folder (default: output/)" in text
    assert "-q, --quiet print only the final summary line" in text
    assert "--graph-dir" not in text and "--ontology-dir" not in text


def test_run_prints_the_summary_line_and_exits_0(tmp_path, capsys):
    corpus = _corpus(tmp_path)
    out = tmp_path / "out"
    _, args = _args("--source", str(corpus.source), "--out", str(out), "--graph-dir", str(corpus.graph_dir), "-q")
    assert pipeline.run(args) == 0
    captured = capsys.readouterr()
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert captured.out == pipeline.summary_line(summary) + "\n"
    assert captured.err == ""


def test_run_logs_to_stderr_unless_quiet(tmp_path, capsys):
    corpus = _corpus(tmp_path)
    _, args = _args("--source", str(corpus.source), "--out", str(tmp_path / "out"), "--graph-dir", str(corpus.graph_dir))
    assert pipeline.run(args) == 0
    captured = capsys.readouterr()
    lines = captured.err.splitlines()
    assert len(lines) == 10 and lines[0].endswith(f"] loaded {corpus.triples} quads from 10 files")
    assert lines[-1].endswith(f"] wrote {len(ARTIFACTS)} files to {tmp_path / 'out'}")
    assert captured.out.startswith(f"built {corpus.triples} triples in ")


def test_run_exits_1_on_wrong_sources_and_3_on_a_write_error(tmp_path, capsys):
    corpus = _corpus(tmp_path)
    _, args = _args("--source", str(tmp_path / "nope.txt"), "--out", str(tmp_path / "out"),
                    "--graph-dir", str(corpus.graph_dir), "-q")
    assert pipeline.run(args) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (f"build failed: --source {tmp_path / 'nope.txt'}: no such file\n"
                            "nothing was written; the previous artifacts are unchanged\n")
    (corpus.graph_dir / "bad.trig").write_text("this is not TriG", encoding="utf-8")
    assert pipeline.run(args) == 1  # a LoadError
    assert capsys.readouterr().err.startswith("build failed: ")
    (corpus.graph_dir / "bad.trig").unlink()
    _, args = _args("--source", str(corpus.source), "--out", str(tmp_path / "out"), "--graph-dir", str(corpus.graph_dir),
                    "--ontology-dir", str(tmp_path / "no-ontology"), "-q")
    assert pipeline.run(args) == 1  # the ontology folder given is the one read
    assert capsys.readouterr().err.startswith(f"build failed: {tmp_path / 'no-ontology'}: no such folder\n")
    assert not (tmp_path / "out").exists()
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    _, args = _args("--source", str(corpus.source), "--out", str(blocker / "out"), "--graph-dir", str(corpus.graph_dir), "-q")
    assert pipeline.run(args) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"build failed: cannot write to {blocker / 'out'}: ")
    assert captured.err.endswith("; the previous artifacts are unchanged\n") and captured.err.count("\n") == 1


def test_run_exits_130_on_ctrl_c(tmp_path, monkeypatch):
    """A Ctrl-C during the build (here: while the first log line is written) is exit 130, with a message."""
    corpus = _corpus(tmp_path)

    class Interrupted:
        def __init__(self):
            self.text = []

        def write(self, text):
            if text.startswith("[") and not self.text:  # the build's first log line
                self.text.append("")
                raise KeyboardInterrupt
            self.text.append(text)

        def flush(self):
            pass

    err = Interrupted()
    monkeypatch.setattr("sys.stderr", err)
    _, args = _args("--source", str(corpus.source), "--out", str(tmp_path / "out"), "--graph-dir", str(corpus.graph_dir))
    assert pipeline.run(args) == 130
    assert "".join(err.text) == "build interrupted: nothing was written; the previous artifacts are unchanged\n"
    assert not (tmp_path / "out").exists()


def test_the_rdf_artifacts_are_sorted_bytes_up_to_the_limit_and_oxigraphs_writers_above_it(tmp_path, monkeypatch):
    from essaykg.build import export

    data = load_sources(_corpus(tmp_path).graph_dir).data
    count, graphs = len(data), pipeline._view_graphs(data)
    monkeypatch.setattr(export, "SORTED_LIMIT", count)
    sorted_files = pipeline._rdf_artifacts(data, count, graphs)
    assert sorted(sorted_files) == ["essay-kg.jsonld", "essay-kg.nq", "essay-kg.nt", "essay-kg.trig", "essay-kg.ttl"]
    assert all(isinstance(content, bytes) for content in sorted_files.values())
    monkeypatch.setattr(export, "SORTED_LIMIT", count - 1)
    written = pipeline._rdf_artifacts(data, count, graphs)
    assert sorted(written) == sorted(sorted_files) and all(callable(writer) for writer in written.values())
    for name, fmt in (("essay-kg.nq", ox.RdfFormat.N_QUADS), ("essay-kg.ttl", ox.RdfFormat.TURTLE)):
        handle = io.BytesIO()
        written[name](handle)
        assert set(ox.parse(handle.getvalue(), format=fmt)) == set(ox.parse(sorted_files[name], format=fmt)), name
    assert handle.getvalue().startswith(b"# Generated by `python build.py` from graph/ and ontology/: the essay's "
                                        b"knowledge graph, all graphs but the claims' assertion graphs, merged.")


def test_run_reads_the_texts_from_the_sources_folder_it_is_given(tmp_path, capsys, monkeypatch):
    corpus = _corpus(tmp_path)
    monkeypatch.setattr(config, "SOURCES_DIR", tmp_path / "not-here")
    monkeypatch.setenv("CI", "true")  # a text not found fails: only --sources can find it
    _, args = _args("--sources", str(corpus.source.parent), "--out", str(tmp_path / "out"),
                    "--graph-dir", str(corpus.graph_dir), "-q")
    assert pipeline.run(args) == 0, capsys.readouterr().err
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["essays"]["her-2023"]["verified"] is True


def test_view_graphs_are_sorted_by_their_n_triples_form_blank_graph_names_included():
    named, blank = ox.NamedNode(namespaces.BASE + "graph/entities"), ox.BlankNode("g")
    s, p = ox.NamedNode(namespaces.BASE + "id/a"), ox.NamedNode("http://schema.org/name")
    store = store_of([ox.Quad(s, p, ox.Literal("in a blank graph"), blank), ox.Quad(s, p, ox.Literal("named"), named)])
    assert pipeline._view_graphs(store) == [named, blank]  # "<https://…" before "_:g"
