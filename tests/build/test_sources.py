"""Which text each essay is verified against (essaykg/build/sources.py): the essays a graph declares,
the --source values, and how a text is found."""
from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from essaykg import namespaces
from essaykg.build import sources


def _store(trig: str) -> ox.Store:
    store = ox.Store()
    store.load(trig, format=ox.RdfFormat.TRIG)
    return store


def test_the_essays_a_graph_declares_with_their_texts():
    one, two = namespaces.essay_iri("b-essay"), namespaces.essay_iri("a-essay")
    store = _store(f"""
        <{namespaces.BASE}graph/g> {{
          <{one}> <{namespaces.SCHEMA}sha256> "{'1' * 64}" ; <{namespaces.EKG}textFile> "b.txt" ;
              <{namespaces.RDFS}label> "Bee" .
          <{two}> <{namespaces.SCHEMA}sha256> "{'2' * 64}" .
          <{namespaces.BASE}id/x> <{namespaces.RDFS}label> "not an essay" .
        }}""")
    assert sources.essays(store) == [
        sources.Essay(iri=two, slug="a-essay", title="essay", text_file="", sha256="2" * 64),  # sorted by slug
        sources.Essay(iri=one, slug="b-essay", title="Bee", text_file="b.txt", sha256="1" * 64)]


def test_an_essay_outside_the_projects_iris_is_named_by_its_local_name():
    store = _store(f'<http://example.org/g> {{ <http://example.org/my-essay> <{namespaces.SCHEMA}sha256> "x" . }}')
    assert [e.slug for e in sources.essays(store)] == ["my-essay"]


def test_source_options_name_an_essay_or_a_file():
    named, bare = sources.parse_source_options(["one=/t/1.txt", "/t/2.txt", "C:=x", "a=b=c", "Bad=x"])
    assert named == {"one": Path("/t/1.txt"), "a": Path("b=c")}
    assert bare == [Path("/t/2.txt"), Path("C:=x"), Path("Bad=x")]  # not a slug before '=': a file name
    assert sources.parse_source_options(None) == ({}, [])


def _essay(slug: str, text_file: str) -> sources.Essay:
    return sources.Essay(iri=namespaces.essay_iri(slug), slug=slug, title=slug, text_file=text_file, sha256="0")


def test_resolve_prefers_the_command_line_then_the_sources_folder(tmp_path):
    corpus = [_essay("one", "one.txt"), _essay("two", "two.txt"), _essay("three", "")]
    (tmp_path / "one.txt").write_text("1", encoding="utf-8")
    (tmp_path / "two.txt").write_text("2", encoding="utf-8")
    named = tmp_path / "named.txt"
    named.write_text("n", encoding="utf-8")
    assert sources.resolve(corpus, tmp_path) == {"one": tmp_path / "one.txt", "two": tmp_path / "two.txt",
                                                 "three": None}  # no text file declared: none found
    assert sources.resolve(corpus, tmp_path, {"two": named}) == {
        "one": tmp_path / "one.txt", "two": named, "three": None}
    assert sources.resolve(corpus, tmp_path / "nowhere") == {"one": None, "two": None, "three": None}
    # a bare file named like an essay's text file is that essay's; a named one wins over it
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "one.txt").write_text("1", encoding="utf-8")
    assert sources.resolve(corpus, tmp_path, {}, [tmp_path / "sub" / "one.txt"])["one"] == tmp_path / "sub" / "one.txt"
    assert sources.resolve(corpus, tmp_path, {"one": named}, [tmp_path / "sub" / "one.txt"])["one"] == named


def test_resolve_refuses_what_names_no_essay_or_no_file(tmp_path):
    corpus = [_essay("one", "one.txt"), _essay("two", "two.txt")]
    with pytest.raises(sources.SourceError, match=r"^--source three=x: no essay 'three' \(essays: one, two\)$"):
        sources.resolve(corpus, tmp_path, {"three": Path("x")})
    with pytest.raises(sources.SourceError, match=r"^--source /t/one.txt: no such file$"):
        sources.resolve(corpus, tmp_path, {}, [Path("/t/one.txt")])
    with pytest.raises(sources.SourceError, match=r"no essay declares a text file named 'z.txt'; name the essay: "
                       r"--source SLUG=/t/z.txt \(essays: one, two\)$"):
        sources.resolve(corpus, tmp_path, {}, [Path("/t/z.txt")])
    # one essay: a bare file is its text, whatever its name
    (tmp_path / "z.txt").write_text("z", encoding="utf-8")
    assert sources.resolve(corpus[:1], tmp_path, {}, [tmp_path / "z.txt"]) == {"one": tmp_path / "z.txt"}
