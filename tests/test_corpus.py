"""A corpus of two essays: the real one and a short one written for the tests (tests/fixtures/corpus/).

Built together (conftest.py, ``corpus``): each essay verified against its own text, shared entities
and themes merged by IRI, each essay in its own named graphs, and the cross-essay saved questions
(queries/23-25) answering what the two essays' files say, read here without the tool.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from _golden import SUMMARY
from conftest import CORPUS, SECOND, make_corpus

from essaykg import config, namespaces
from essaykg.build import pipeline
from essaykg.query import sparql

SCHEMA, DCTERMS, OA = namespaces.SCHEMA, namespaces.DCTERMS, namespaces.OA
RDF_TYPE = ox.NamedNode(namespaces.RDF_TYPE)
SECOND_DIR = CORPUS / "essays" / SECOND


def _parse(*paths: Path) -> list[ox.Quad]:
    """The quads of hand-written TriG files, read with the parser alone (no build, no query)."""
    return [q for path in paths for q in ox.parse(path=path, format=ox.RdfFormat.TRIG)]


def _claims_and_themes(folder: Path) -> dict[str, set[str]]:
    """Claim IRI -> its themes (dcterms:subject), from an essay's claims.trig."""
    quads = _parse(folder / "claims.trig")
    claims = {q.subject.value for q in quads if q.predicate == RDF_TYPE and q.object.value == SCHEMA + "Claim"}
    return {c: {q.object.value for q in quads if q.subject.value == c and q.predicate.value == DCTERMS + "subject"}
            for c in claims}


def _expected_iris(name: str) -> set[str]:
    lines = (CORPUS / "expected" / name).read_text(encoding="utf-8").splitlines()
    return {line.strip("<>") for line in lines[1:] if line}


# ---------------------------------------------------------------------------- building two essays


def test_two_essays_build_together_each_verified_against_its_own_text(corpus):
    assert sorted(corpus.summary["essays"]) == ["her-2023", SECOND]
    real, second = corpus.summary["essays"]["her-2023"], corpus.summary["essays"][SECOND]
    assert real["text_file"] == config.DEFAULT_SOURCE.name and second["text_file"] == f"{SECOND}.txt"
    for essay in (real, second):
        assert essay["verified"] is True and essay["anchors_verified"] == essay["anchors"] > 0
        assert essay["paragraphs_covered"] == essay["paragraphs"]
    assert [line.split("] ", 1)[1].split(" (")[0] for line in corpus.log if "verified" in line] == [
        f"her-2023: verified {SUMMARY['anchors']} anchors against {config.DEFAULT_SOURCE.name}",
        f"{SECOND}: verified {second['anchors']} anchors against {SECOND}.txt"]
    # the real essay's part is what it is alone; the second's is what its files hold
    assert {k: real[k] for k in ("claims", "quotations", "anchors", "paragraphs")} == {
        "claims": SUMMARY["claims"], "quotations": SUMMARY["quotations"], "anchors": SUMMARY["anchors"], "paragraphs": 28}
    own = _parse(*sorted(SECOND_DIR.glob("*.trig")))
    typed = [q.object.value for q in own if q.predicate == RDF_TYPE]
    text_lines = (CORPUS / "source" / f"{SECOND}.txt").read_text(encoding="utf-8").splitlines()
    assert second["claims"] == typed.count(SCHEMA + "Claim") == len(_claims_and_themes(SECOND_DIR))
    assert second["quotations"] == typed.count(SCHEMA + "Quotation")
    assert second["anchors"] == typed.count(OA + "SpecificResource")
    assert second["paragraphs"] == len(text_lines) == 6
    assert corpus.summary["claims"] == real["claims"] + second["claims"]
    assert corpus.summary["anchors_verified"] == real["anchors"] + second["anchors"]
    assert pipeline.summary_line(corpus.summary).startswith("built 2 essays: ")
    # summary.json holds the titles as written (UTF-8), not as \u escapes
    assert f'"title": "{real["title"]}"' in (corpus.out_dir / "summary.json").read_text(encoding="utf-8")
    assert "…" in real["title"]


def test_each_essay_keeps_its_own_named_graphs_and_shared_ones_merge_by_iri(corpus):
    quads = set(ox.parse(path=corpus.out_dir / "essay-kg.nq", format=ox.RdfFormat.N_QUADS))
    graphs = {q.graph_name.value for q in quads}
    own = {g for g in graphs if namespaces.essay_slug(g) == SECOND}
    assert own == {q.graph_name.value for q in _parse(*sorted(SECOND_DIR.glob("*.trig")))}
    assert corpus.summary["essays"][SECOND]["graphs"] == len(own)
    assert {g for g in graphs if namespaces.essay_slug(g) == "her-2023"} == {
        g for g in SUMMARY["graphs"] if namespaces.essay_slug(g) == "her-2023"}
    # the shared graphs hold what the repository's hold: the second essay reuses their IRIs, adds none
    shared = {g for g in graphs if namespaces.essay_slug(g) is None}
    repo_shared = [q for path in sorted((config.GRAPH_DIR / "shared").glob("*.trig")) for q in _parse(path)]
    assert shared == {q.graph_name.value for q in repo_shared} | {namespaces.PREFIXES["kg"] + "wikidata-links"}
    entities = ox.NamedNode(namespaces.PREFIXES["kg"] + "entities")
    in_corpus = {q for q in quads if q.graph_name == entities}
    assert in_corpus == {q for q in repo_shared if q.graph_name == entities}
    # an entity both essays refer to is one node: one label, both essays' claims pointing at it
    film = ox.NamedNode(namespaces.PREFIXES["id"] + "her-film")
    labels = {q.object for q in in_corpus if q.subject == film and q.predicate.value == namespaces.RDFS + "label"}
    assert len(labels) == 1
    about = {namespaces.essay_slug(q.subject.value) for q in quads
             if q.object == film and q.predicate.value == SCHEMA + "about"}
    assert {"her-2023", SECOND} <= about


# ---------------------------------------------------------------------------- verification per source


def _corpus_copy(tmp_path, source_path):
    made = make_corpus(tmp_path, source_path)
    return made, made.sources_dir / f"{SECOND}.txt", made.graph_dir / "essays" / SECOND / "essay.trig"


def _build(made):
    return pipeline.build(None, made.out_dir, sources_dir=made.sources_dir, graph_dir=made.graph_dir,
                          log=lambda _m: None)


def test_a_changed_text_fails_naming_the_essay(tmp_path, source_path, monkeypatch):
    monkeypatch.setenv("CI", "false")
    made, text, _ = _corpus_copy(tmp_path, source_path)
    text.write_text(text.read_text(encoding="utf-8").replace("chat window", "chat windows", 1), encoding="utf-8")
    with pytest.raises(pipeline.BuildError) as failure:
        _build(made)
    message = str(failure.value)
    assert message.startswith(f"anchors of essay {SECOND} do not match {text}:\nchecksum mismatch: ")
    assert "her-2023" not in message  # the real essay's text is its own and still matches
    assert not made.out_dir.exists()


def test_a_text_changed_with_its_checksum_fails_naming_the_essay_and_the_anchor(tmp_path, source_path, monkeypatch):
    """Someone edits the text and records its new checksum: every anchor over the changed words fails, named."""
    import hashlib

    monkeypatch.setenv("CI", "false")
    made, text, essay = _corpus_copy(tmp_path, source_path)
    anchors = _parse(SECOND_DIR / "anchors.trig")
    exact = {q.subject.value: q.object.value for q in anchors if q.predicate.value == OA + "exact"}
    selector, words = min(exact.items(), key=lambda kv: kv[0])
    anchor = next(q.subject.value for q in anchors if q.object.value == selector)
    old = text.read_bytes()
    new = old.replace(words.encode(), words.upper().encode(), 1)  # same length: no offset moves
    assert new != old and len(new) == len(old)
    text.write_bytes(new)
    essay.write_text(essay.read_text(encoding="utf-8").replace(
        hashlib.sha256(old).hexdigest(), hashlib.sha256(new).hexdigest()), encoding="utf-8")
    with pytest.raises(pipeline.BuildError) as failure:
        _build(made)
    lines = str(failure.value).splitlines()
    assert lines[0] == f"anchors of essay {SECOND} do not match {text}:"
    assert any(line.startswith(f"{namespaces.shorten(anchor)}: expected {words!r} at [") and
               line.endswith(f"found {words.upper()!r}") for line in lines[1:]), lines


def test_an_anchor_on_the_other_essays_paragraph_is_refused(tmp_path, source_path, monkeypatch):
    monkeypatch.setenv("CI", "false")
    made, _text, _ = _corpus_copy(tmp_path, source_path)
    anchors = made.graph_dir / "essays" / SECOND / "anchors.trig"
    trig = anchors.read_text(encoding="utf-8")
    first = trig.index("dcterms:isPartOf para:")
    end = trig.index(" ;", first)
    anchors.write_text(trig[:first] + "dcterms:isPartOf <https://w3id.org/essay-kg/essay/her-2023/paragraph/1>"
                       + trig[end:], encoding="utf-8")
    with pytest.raises(pipeline.BuildError) as failure:
        _build(made)
    assert "is not inside the paragraph it names (para:1)" in str(failure.value)
    assert str(failure.value).startswith(f"anchors of essay {SECOND} do not match")


def test_a_missing_text_skips_that_essay_only_outside_ci_and_fails_in_ci(tmp_path, source_path, monkeypatch):
    made, text, _ = _corpus_copy(tmp_path, source_path)
    text.unlink()
    monkeypatch.setenv("CI", "false")
    log: list[str] = []
    summary = pipeline.build(None, made.out_dir, sources_dir=made.sources_dir, graph_dir=made.graph_dir,
                             log=log.append)
    assert summary["essays"][SECOND]["verified"] is False and summary["essays"]["her-2023"]["verified"] is True
    warned = [line.split("] ", 1)[1] for line in log if "WARNING" in line]
    assert warned == [f"WARNING: the text of {SECOND} ({SECOND}.txt) is not in {made.sources_dir}: its anchors were "
                      f"NOT verified (pass --source {SECOND}=PATH)"]
    assert not (made.out_dir / "essays" / SECOND / "reader.html").exists()
    assert (made.out_dir / "essays" / "her-2023" / "reader.html").is_file()
    # no page links to the reader that was not made: not its nav, not its quotes' "read in context"
    for page, flag in (("argument.html", '"reader":false'), ("graph.html", '"readers":[]')):
        text = (made.out_dir / "essays" / SECOND / page).read_text(encoding="utf-8")
        assert 'href="reader.html"' not in text and flag in text, page
    assert '"readers":["her-2023"]' in (made.out_dir / "graph.html").read_text(encoding="utf-8")
    assert 'href="reader.html"' in (made.out_dir / "essays" / "her-2023" / "argument.html").read_text(encoding="utf-8")
    assert pipeline.summary_line(summary).count(f"(NOT verified: {SECOND})") == 1
    # named on the command line instead, from anywhere
    elsewhere = tmp_path / "elsewhere.txt"
    shutil.copyfile(CORPUS / "source" / f"{SECOND}.txt", elsewhere)
    again = pipeline.build([f"{SECOND}={elsewhere}"], tmp_path / "out2", sources_dir=made.sources_dir,
                           graph_dir=made.graph_dir, log=lambda _m: None)
    assert again["essays"][SECOND]["verified"] is True
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pipeline.BuildError, match=f"^the text of {SECOND} .* is missing; in CI"):
        _build(made)


def test_the_repository_builds_the_real_essay_alone(built):
    assert sorted(built.summary["essays"]) == ["her-2023"]
    assert not (config.GRAPH_DIR / "essays" / SECOND).exists()


# ---------------------------------------------------------------------------- questions across essays


@pytest.fixture(scope="module")
def answers(corpus):
    store = sparql.load_store(corpus.out_dir)
    found = {}
    for saved in sparql.saved_queries():
        if saved.name[:2] in {"23", "24", "25"}:
            found[saved.name[:2]] = sparql.execute(store, sparql.screen(saved.text))
    return found


def test_themes_several_essays_discuss(answers):
    rows = answers["23"].tuples()
    assert {r[0].strip("<>") for r in rows} == _expected_iris("themes-both-discuss.tsv")
    # each essay's claims on the theme, counted from its claims.trig
    per_essay = {"her-2023": _claims_and_themes(config.GRAPH_DIR / "essays" / "her-2023"),
                 SECOND: _claims_and_themes(SECOND_DIR)}
    for theme, _label, essay, _title, claims in rows:
        slug = namespaces.essay_slug(essay.strip("<>"))
        expected = sum(1 for themes in per_essay[slug].values() if theme.strip("<>") in themes)
        assert int(claims.split('"')[1]) == expected > 0, (theme, slug)
    assert len(rows) == 2 * len(_expected_iris("themes-both-discuss.tsv"))  # one row per theme and essay


def test_entities_several_essays_name(answers):
    rows = answers["24"].tuples()
    assert {r[0].strip("<>") for r in rows} == _expected_iris("entities-both-name.tsv")
    assert {r[2] for r in rows} == {'"2"^^<http://www.w3.org/2001/XMLSchema#integer>'}


def test_claims_on_a_shared_theme_side_by_side(answers):
    rows = answers["25"].tuples()
    shared = _expected_iris("themes-both-discuss.tsv")
    expected = {(claim, theme) for folder in (config.GRAPH_DIR / "essays" / "her-2023", SECOND_DIR)
                for claim, themes in _claims_and_themes(folder).items() for theme in themes & shared}
    assert len(rows) == len(expected)
    assert {r[3].strip("<>") for r in rows} == {claim for claim, _theme in expected}
    titles = [r[1] for r in rows]
    assert {namespaces.essay_slug(r[3].strip("<>")) for r in rows} == {"her-2023", SECOND}
    # side by side: within each theme, one essay's claims, then the other's
    by_theme: dict[str, list[str]] = {}
    for label, title in zip([r[0] for r in rows], titles, strict=True):
        by_theme.setdefault(label, []).append(title)
    for label, order in by_theme.items():
        assert order == sorted(order) and len(set(order)) == 2, label


def test_on_the_real_essay_alone_the_cross_essay_questions_have_no_rows(built):
    store = sparql.load_store(built.out_dir)
    for saved in sparql.saved_queries():
        if saved.name[:2] in {"23", "24", "25"}:
            assert len(sparql.execute(store, sparql.screen(saved.text))) == 0, saved.name
            assert saved.expected().tuples() == []


def test_a_claim_must_reach_its_own_essays_thesis_not_another_essays(tmp_path, source_path, monkeypatch):
    """ontology/checks/claim-not-reaching-thesis.rq: a claim of the second essay that supports only the
    first essay's thesis does not bear on its own argument."""
    monkeypatch.setenv("CI", "false")
    made, _text, _ = _corpus_copy(tmp_path, source_path)
    claims = made.graph_dir / "essays" / SECOND / "claims.trig"
    trig = claims.read_text(encoding="utf-8")
    start = trig.index("claim:longing-is-bodily a schema:Claim")
    link = trig.index("ekg:supports claim:eases-but-cannot-replace .", start)
    other_thesis = "<https://w3id.org/essay-kg/essay/her-2023/claim/timely-meditation-on-intimacy>"
    claims.write_text(trig[:link] + f"ekg:supports {other_thesis} ." + trig[link + 46:], encoding="utf-8")
    with pytest.raises(pipeline.BuildError) as failure:
        _build(made)
    base = namespaces.essay_base(SECOND) + "claim/"
    named = sorted(line.split(">", 1)[0].rsplit("/", 1)[1] for line in str(failure.value).splitlines()
                   if "reaches neither the thesis nor the conclusion" in line)
    assert named == ["borrowed-body-fails", "longing-is-bodily"]  # it, and the claim that reaches the thesis through it
    assert base + "longing-is-bodily" in str(failure.value)
