"""The loader: syntax errors name file, line and column; triples must sit in a named graph."""
from __future__ import annotations

import pytest

from essaykg.build import load


def test_syntax_error_names_file_line_and_column(tmp_path):
    bad = tmp_path / "bad.trig"
    bad.write_text('@prefix ex: <http://ex.org/> .\nex:g {\n  ex:a ex:b "x" ;\n  ex:c ex:d ex:e .\n}\n')
    with pytest.raises(load.LoadError) as failure:
        load.load_graph_dir(tmp_path)
    assert str(failure.value).startswith(f"{bad}:4:")
    assert "expected" in str(failure.value)


def test_unterminated_string_points_at_its_line(tmp_path):
    bad = tmp_path / "strings.trig"
    bad.write_text('@prefix ex: <http://ex.org/> .\nex:g {\n  ex:a ex:b "open .\n}\n')
    with pytest.raises(load.LoadError, match=r"strings\.trig:3:\d+: "):
        load.load_graph_dir(tmp_path)


def test_triple_outside_a_named_graph_is_refused(tmp_path):
    (tmp_path / "loose.trig").write_text("<http://ex.org/a> <http://ex.org/b> <http://ex.org/c> .\n")
    with pytest.raises(load.LoadError, match="outside a named graph"):
        load.load_graph_dir(tmp_path)


def test_only_trig_files_in_graph_dir(tmp_path):
    (tmp_path / "notes.ttl").write_text("")
    with pytest.raises(load.LoadError, match="holds only .trig files"):
        load.load_graph_dir(tmp_path)


def test_the_settle_file_of_mentions_is_the_one_other_file_allowed(tmp_path):
    (tmp_path / "mentions-settled.tsv").write_text("")
    assert len(load.load_graph_dir(tmp_path)[0]) == 0
    (tmp_path / "other.tsv").write_text("")
    with pytest.raises(load.LoadError, match="other.tsv: graph/ holds only .trig files"):
        load.load_graph_dir(tmp_path)


def test_real_sources_load():
    sources = load.load_sources()
    names = sorted(p.name for p in sources.files)
    assert names == ["anchors.trig", "claims.trig", "entities.trig", "essay.trig", "external-terms.ttl",
                     "film-facts.trig", "mentions.trig", "ontology.ttl", "quotations.trig", "shapes.ttl", "themes.trig"]
    assert all(q.graph_name == load.ONTOLOGY_GRAPH for q in sources.ontology)


def test_missing_folder_is_named(tmp_path):
    with pytest.raises(load.LoadError, match=r"nope: no such folder"):
        load.load_sources(tmp_path, tmp_path / "nope")
