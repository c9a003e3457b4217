"""Anchors: the helper locates quotes exactly; the build checks every anchor against the text."""
from __future__ import annotations

import pyoxigraph as ox
import pytest
from _golden import ANCHORS

from essaykg import namespaces
from essaykg.build import anchor_command as anchor_cli
from essaykg.build import anchors
from essaykg.build.load import load_sources, store_of

PREFIXES = "".join(f"@prefix {p}: <{ns}> .\n" for p, ns in namespaces.PREFIXES.items())


@pytest.fixture(scope="module")
def text(source_path):
    return anchors.SourceText.read(source_path)


def test_source_is_the_text_the_offsets_were_made_on(text):
    assert text.sha256 == "86bc3793e1c646973cdee8c9ec4aa0aff0aefdc52d231cb6376e3145b16f50b5"
    assert len(text.text) == 12635
    assert len(text.paragraph_spans()) == 31


def test_locate_gives_code_point_offsets_and_context(text):
    found = anchors.locate(text, "disordered passivity")
    assert (found.start, found.end, found.paragraph) == (7362, 7382, 16)
    assert text.text[found.start:found.end] == "disordered passivity"
    assert found.prefix == "writer Yuval Levin has labeled “"
    assert found.suffix.startswith(".” It’s not a proclivity")


def test_locate_keeps_the_text_s_own_typos(text):
    found = anchors.locate(text, "Thedore’s reclusive life")
    assert found.paragraph == 17
    with pytest.raises(anchors.AnchorError, match="not found"):
        anchors.locate(text, "Theodore’s reclusive life")


def test_locate_refuses_a_quote_across_paragraphs(text):
    with pytest.raises(anchors.AnchorError, match="spans a paragraph break"):
        anchors.locate(text, "Her.\nReleased")


def test_selector_trig_round_trips_through_verify(text):
    located = anchors.locate(text, "It’s essential.")
    trig = anchors.selector_trig("p24-test", located)
    paragraphs = anchor_cli.paragraphs_trig(text, 28)
    essay = (f'her:essay schema:sha256 "{text.sha256}" .\n')
    store = ox.Store()
    store.load(PREFIXES + "hg:essay {\n" + essay + paragraphs + trig + "}\n", format=ox.RdfFormat.TRIG)
    report = anchors.verify(store, text)
    assert report.verified == 1
    assert report.paragraphs_covered == [24]
    assert report.paragraphs_total == 28


def test_every_anchor_of_the_graph_is_verified(text):
    report = anchors.verify(store_of(load_sources().data), text)
    assert report.verified == ANCHORS  # the evidence anchors (anchors.trig) and the mentions (mentions.trig)
    assert report.paragraphs_covered == list(range(1, 29))


def test_altered_text_is_a_checksum_error(text, tmp_path):
    altered = tmp_path / "essay.txt"
    altered.write_text(text.text.replace("Thedore’s", "Theodore’s"), encoding="utf-8")
    with pytest.raises(anchors.AnchorError, match="checksum mismatch: the anchors were made on a text with SHA-256 86bc"):
        anchors.verify(store_of(load_sources().data), anchors.SourceText.read(altered))


def test_mismatch_names_annotation_expected_and_found(text, tmp_path):
    # Same checksum claim, different words: rewrite the recorded checksum to the altered text's,
    # so that the offsets themselves are tested.
    altered_text = text.text.replace("disordered passivity", "disordered pasivity!")
    altered = tmp_path / "essay.txt"
    altered.write_text(altered_text, encoding="utf-8")
    altered_source = anchors.SourceText.read(altered)
    quads = [
        ox.Quad(q.subject, q.predicate, ox.Literal(altered_source.sha256), q.graph_name)
        if q.predicate.value == "http://schema.org/sha256" else q
        for q in load_sources().data
    ]
    with pytest.raises(anchors.AnchorError) as failure:
        anchors.verify(store_of(quads), altered_source)
    assert ("anchor:p16-disordered-passivity: "
            "expected 'disordered passivity' at [7362, 7382), found 'disordered pasivity!'") in str(failure.value)


def test_anchor_command_prints_the_selectors(source_path, capsys):
    from essaykg.cli import main

    assert main(["anchor", "--slug", "p13-browning", "infinite passion, and the pain of finite hearts that yearn",
                 "--source", str(source_path)]) == 0
    out = capsys.readouterr().out
    assert "oa:start 6080 ;" in out and "oa:end 6138 ." in out
    assert 'oa:exact "infinite passion, and the pain of finite hearts that yearn" ;' in out
    assert main(["anchor", "nowhere in the essay", "--source", str(source_path)]) == 1
