"""`python build.py new-essay SLUG --source FILE` (essaykg/build/new_essay.py): the folder it writes,
what it refuses, the next steps it prints, and the build naming what is still to write."""
from __future__ import annotations

import hashlib
import shutil

import pyoxigraph as ox
import pytest
from conftest import CORPUS, SECOND

from essaykg import cli, config, namespaces
from essaykg.build import anchors, new_essay, pipeline

TEXT = CORPUS / "source" / f"{SECOND}.txt"


@pytest.fixture
def graph_dir(tmp_path):
    folder = tmp_path / "graph"
    shutil.copytree(config.GRAPH_DIR, folder)
    return folder


def _new(graph_dir, *extra: str) -> int:
    return cli.main(["new-essay", "my-essay", "--source", str(TEXT), "--graph-dir", str(graph_dir), *extra])


def test_writes_the_folder_with_the_text_its_checksum_and_its_paragraphs(graph_dir, capsys, monkeypatch):
    monkeypatch.setattr(config, "SOURCES_DIR", graph_dir.parent / "sources")  # the text is not in it
    assert _new(graph_dir, "--title", "My “essay”") == 0
    folder = graph_dir / "essays" / "my-essay"
    assert sorted(p.name for p in folder.iterdir()) == ["anchors.trig", "claims.trig", "essay.trig", "quotations.trig"]
    quads = [q for p in sorted(folder.iterdir()) for q in ox.parse(path=p, format=ox.RdfFormat.TRIG)]
    base = namespaces.essay_base("my-essay")
    assert {q.graph_name.value for q in quads} == {base + "graph/essay"}  # one graph of its own
    essay = {q.predicate.value: q.object.value for q in quads if q.subject.value == base + "essay"}
    assert essay[namespaces.SCHEMA + "sha256"] == hashlib.sha256(TEXT.read_bytes()).hexdigest()
    assert essay[namespaces.EKG + "textFile"] == TEXT.name
    assert essay[namespaces.SCHEMA + "headline"] == essay[namespaces.RDFS + "label"] == "My “essay”"
    assert namespaces.EKG + "thesis" not in essay and namespaces.SCHEMA + "description" not in essay  # not guessed
    # one paragraph per line, at the offsets the anchors' verification checks
    spans = anchors.SourceText.read(TEXT).paragraph_spans()[:-1]  # the text ends with a newline
    starts = sorted((int(q.object.value), q.subject.value) for q in quads if q.predicate.value == namespaces.OA + "start")
    ends = sorted((int(q.object.value), q.subject.value) for q in quads if q.predicate.value == namespaces.OA + "end")
    assert [(s, e) for (s, _), (e, _) in zip(starts, ends, strict=True)] == spans and len(spans) == 6
    out = capsys.readouterr().out
    assert f"copy {TEXT} to {config.SOURCES_DIR}/" in out and f"--source my-essay={TEXT}" in out
    # the text is not in the sources folder: the anchor step names it
    assert f'anchor --essay my-essay --source {TEXT} "exact words"' in out and "output/essays/my-essay/" in out
    assert "every paragraph is the evidence of some claim or quotation" in out


def test_the_build_names_what_is_still_to_write(graph_dir, tmp_path, monkeypatch):
    assert _new(graph_dir) == 0
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pipeline.BuildError) as failure:
        pipeline.build([f"my-essay={TEXT}"], tmp_path / "out", graph_dir=graph_dir, log=lambda _m: None)
    problems = [line for line in str(failure.value).splitlines() if "my-essay/essay" in line]
    assert any("the essay names its thesis (ekg:thesis, one claim)" in line for line in problems), problems
    assert any("schema:description" in line for line in problems), problems
    assert not (tmp_path / "out").exists()


def test_the_anchor_command_quotes_the_new_essay_from_its_declared_text(graph_dir, capsys, monkeypatch):
    assert _new(graph_dir) == 0
    capsys.readouterr()
    sources = graph_dir.parent / "sources"
    sources.mkdir()
    shutil.copyfile(TEXT, sources / TEXT.name)
    monkeypatch.setattr(config, "SOURCES_DIR", sources)
    words = TEXT.read_text(encoding="utf-8").split("\n")[1][:40]
    assert cli.main(["anchor", "--essay", "my-essay", "--graph-dir", str(graph_dir), "--slug", "p2", words]) == 0
    trig = capsys.readouterr().out
    assert "oa:hasSource essay:essay ;" in trig and "dcterms:isPartOf para:2 ;" in trig
    assert f"oa:exact {anchors._literal(words)}" in trig
    assert cli.main(["anchor", "--essay", "no-such", "--graph-dir", str(graph_dir), "x"]) == 2
    assert "--essay no-such: no essay folder graph/essays/no-such/ (essays: her-2023, my-essay)" in capsys.readouterr().err
    # two essays: the one to quote must be named
    assert cli.main(["anchor", "--graph-dir", str(graph_dir), words]) == 2


@pytest.mark.parametrize(("slug", "text", "extra", "message"), [
    ("My_Essay", "One.\n", [], "'My_Essay' is not a slug: use lowercase letters, digits and hyphens"),
    ("her-2023", "One.\n", [], "her-2023 exists already: an essay's folder is written once"),
    ("gap", "One.\n\nTwo.\n", [], "t.txt is blank: the text must hold one paragraph a line"),
    ("crlf", "One.\r\nTwo.\r\n", [], "t.txt has Windows line ends (CR LF); convert them: sed -i"),
    ("bom", "\ufeffOne.\n", [], "t.txt starts with a byte-order mark"),
    ("latin", b"caf\xe9\n", [], "is not UTF-8 text"),
    ("few", "One.\nTwo.\n", ["--paragraphs", "3"], "--paragraphs 3: the text has 2 lines"),
    ("none", None, [], "cannot read"),
])
def test_what_it_refuses(graph_dir, tmp_path, capsys, slug, text, extra, message):
    source = tmp_path / "t.txt"
    if isinstance(text, bytes):
        source.write_bytes(text)
    elif text is not None:
        source.write_text(text, encoding="utf-8")
    before = sorted(p.name for p in (graph_dir / "essays").iterdir())
    assert cli.main(["new-essay", slug, "--source", str(source), "--graph-dir", str(graph_dir), *extra]) == 1
    assert message in capsys.readouterr().err
    assert sorted(p.name for p in (graph_dir / "essays").iterdir()) == before  # nothing written


def test_paragraphs_limits_the_body():
    spans = new_essay.paragraph_lines("One.\nTwo.\nThree.\n")
    assert spans == [(0, 4), (5, 9), (10, 16)]
    assert new_essay.paragraph_lines("One.\nTwo.\nThree.\n\n\n") == spans  # blank lines at the end are no paragraph
    with pytest.raises(new_essay.NewEssayError, match="^line 2 of essay.txt is blank"):
        new_essay.paragraph_lines("One.\n \nThree.\n", "essay.txt")
    trig = new_essay.essay_trig("x", "X", "x.txt", "0" * 64, spans[:2])
    assert "para:2 a ekg:Paragraph" in trig and "para:3" not in trig
