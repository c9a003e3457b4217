"""Anchors: the helper locates quotes exactly; the build checks every anchor against the text."""
from __future__ import annotations

import re
from pathlib import Path

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

    assert main(["anchor", "--slug", "p13-browning-again", "infinite passion, and the pain of finite hearts that yearn",
                 "--source", str(source_path)]) == 0
    captured = capsys.readouterr()
    assert "oa:start 6080 ;" in captured.out and "oa:end 6138 ." in captured.out
    assert 'oa:exact "infinite passion, and the pain of finite hearts that yearn" ;' in captured.out
    assert captured.err == ""  # the declared text, a name not taken, a quote that occurs once
    assert main(["anchor", "nowhere in the essay", "--source", str(source_path)]) == 1


def test_anchor_command_refuses_a_name_taken_and_warns_of_a_recurring_quote_or_another_text(
        source_path, capsys, tmp_path):
    from essaykg.cli import main

    assert main(["anchor", "--slug", "p13-browning", "infinite passion", "--source", str(source_path)]) == 1
    assert capsys.readouterr().err == ("error: anchor:p13-browning is in graph/essays/her-2023/anchors.trig already: "
                                       "choose another name (--slug NAME)\n")
    assert main(["anchor", "--slug", "any-her", "Her", "--source", str(source_path)]) == 0
    count = source_path.read_text(encoding="utf-8").count("Her")
    assert f"warning: any-her: the quote occurs {count} times; this is the first" in capsys.readouterr().err
    assert main(["anchor", "--slug", "any-her", "--occurrence", "2", "Her", "--source", str(source_path)]) == 0
    assert capsys.readouterr().err == ""  # an occurrence asked for is no surprise
    other = tmp_path / "changed.txt"
    other.write_text(source_path.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert main(["anchor", "--slug", "x-1", "infinite passion", "--source", str(other)]) == 0
    assert "is not the text graph/essays/her-2023/essay.trig declares" in capsys.readouterr().err


def test_anchor_command_needs_the_essay_named_when_there_are_several(tmp_path, capsys):
    import shutil

    from essaykg import config
    from essaykg.cli import main

    shutil.copytree(config.GRAPH_DIR, tmp_path / "graph")
    (tmp_path / "graph" / "essays" / "another").mkdir()
    args = ["anchor", "--graph-dir", str(tmp_path / "graph"), "words"]
    assert main(args) == 2
    assert capsys.readouterr().err == "error: name the essay to quote: --essay SLUG (essays: another, her-2023)\n"
    assert main([*args, "--essay", "nope"]) == 2
    assert capsys.readouterr().err == ("error: --essay nope: no essay folder graph/essays/nope/ "
                                       "(essays: another, her-2023)\n")
    assert main([*args, "--essay", "another"]) == 3
    assert "graph/essays/another/essay.trig declares no text file" in capsys.readouterr().err


# ------------------------------------------------------------------ every rule of verify, one broken fixture each
#
# A three-paragraph text and hand-written TriG: each test breaks one rule and asserts the exact line
# that names the anchor (or paragraph) and the rule. The offsets below are counted by hand on TINY
# (code points: the ’ is one, though three bytes in UTF-8).

TINY = "Alpha’s beta gamma.\nDelta epsilon zeta.\nEta theta iota"
# paragraph spans: [0, 19) [20, 39) [40, 54)
TINY_SHA = "sha-of-tiny"  # any string: the fixture's SourceText carries the same one


def tiny_source(text: str = TINY, sha: str = TINY_SHA):
    from pathlib import Path

    return anchors.SourceText(path=Path("tiny.txt"), text=text, sha256=sha)


def anchor_trig(slug, exact, start, end, para, prefix=None, suffix=None, quote=True, position=True) -> str:
    selectors = []
    lines = [f"anchor:{slug} a oa:SpecificResource ; oa:hasSource her:essay"]
    if para is not None:
        lines.append(f"dcterms:isPartOf para:{para}")
    if quote:
        selectors.append(f"selector:{slug}-quote")
    if position:
        selectors.append(f"selector:{slug}-position")
    if selectors:
        lines.append("oa:hasSelector " + ", ".join(selectors))
    out = " ;\n  ".join(lines) + " .\n"
    if quote:
        parts = [f"selector:{slug}-quote a oa:TextQuoteSelector"]
        if exact is not None:
            parts.append(f"oa:exact {anchors._literal(exact)}")
        if prefix is not None:
            parts.append(f"oa:prefix {anchors._literal(prefix)}")
        if suffix is not None:
            parts.append(f"oa:suffix {anchors._literal(suffix)}")
        out += " ; ".join(parts) + " .\n"
    if position:
        parts = [f"selector:{slug}-position a oa:TextPositionSelector"]
        if start is not None:
            parts.append(f"oa:start {start}")
        if end is not None:
            parts.append(f"oa:end {end}")
        out += " ; ".join(parts) + " .\n"
    return out


def tiny_store(*blocks: str, sha: str | None = TINY_SHA, paragraphs: str | None = None) -> ox.Store:
    essay = f'her:essay schema:sha256 "{sha}" .\n' if sha is not None else ""
    if paragraphs is None:
        paragraphs = anchor_cli.paragraphs_trig(tiny_source(), 3)
    store = ox.Store()
    store.load(PREFIXES + "hg:essay {\n" + essay + paragraphs + "".join(blocks) + "}\n", format=ox.RdfFormat.TRIG)
    return store


def verify_error(store: ox.Store, source=None, essay: str | None = None) -> list[str]:
    with pytest.raises(anchors.AnchorError) as failure:
        anchors.verify(store, source or tiny_source(), essay)
    return str(failure.value).splitlines()


def test_tiny_fixture_verifies_with_prefix_suffix_and_code_points():
    # "beta" starts at 8: "Alpha’s " is 8 code points (11 bytes)
    store = tiny_store(
        anchor_trig("beta", "beta", 8, 12, 1, prefix="Alpha’s ", suffix=" gamma."),
        anchor_trig("zeta", "zeta", 34, 38, 2, prefix="epsilon ", suffix="."),
    )
    report = anchors.verify(store, tiny_source())
    assert report == anchors.AnchorReport(verified=2, paragraphs_covered=[1, 2], paragraphs_total=3)


def test_tiny_paragraph_spans():
    assert tiny_source().paragraph_spans() == [(0, 19), (20, 39), (40, 54)]
    assert tiny_source().paragraph_of(20, 39) == 2
    assert tiny_source().paragraph_of(18, 21) == 0
    assert tiny_source("a\n").paragraph_spans() == [(0, 1), (2, 2)]


def test_no_checksum_recorded_is_refused():
    assert verify_error(tiny_store(sha=None)) == [
        "no schema:sha256 is recorded for the essay: offsets cannot be trusted"]


def test_one_wrong_checksum_among_right_ones_is_refused():
    store = tiny_store(anchor_trig("beta", "beta", 8, 12, 1))
    store.add(ox.Quad(ox.NamedNode(namespaces.ESSAY_BASE + "other"), ox.NamedNode("http://schema.org/sha256"),
                      ox.Literal("abc"), ox.NamedNode(namespaces.ESSAY_BASE + "graph/essay")))
    assert verify_error(store) == [
        "checksum mismatch: the anchors were made on a text with SHA-256 abc, but tiny.txt has sha-of-tiny"]


def test_checksum_error_comes_alone_before_any_offset_is_read():
    store = tiny_store(anchor_trig("beta", "nowhere", 8, 12, 1), sha="abc")
    assert verify_error(store) == [
        "checksum mismatch: the anchors were made on a text with SHA-256 abc, but tiny.txt has sha-of-tiny"]


def test_paragraph_at_wrong_offsets_is_refused():
    paragraphs = anchor_cli.paragraphs_trig(tiny_source(), 3).replace("oa:end 39 ", "oa:end 38 ")
    assert verify_error(tiny_store(paragraphs=paragraphs)) == [
        "para:2: paragraph 2 is not at [20, 38) in the text"]
    paragraphs = anchor_cli.paragraphs_trig(tiny_source(), 3).replace("oa:start 20 ", "oa:start 21 ")
    assert verify_error(tiny_store(paragraphs=paragraphs)) == [
        "para:2: paragraph 2 is not at [21, 39) in the text"]


def test_paragraph_beyond_the_text_is_refused_and_the_last_one_is_not():
    last = anchor_cli.paragraphs_trig(tiny_source(), 3)
    assert anchors.verify(tiny_store(paragraphs=last), tiny_source()).paragraphs_total == 3
    extra = last + ("    para:4 a ekg:Paragraph ; schema:position 4 ; oa:hasSource her:essay ; oa:hasSelector selector:paragraph-4 .\n"
                    "    selector:paragraph-4 oa:start 54 ; oa:end 54 .\n")
    assert verify_error(tiny_store(paragraphs=extra)) == ["para:4: paragraph 4 is not at [54, 54) in the text"]


@pytest.mark.parametrize("missing", ["quote", "position", "exact", "start", "end"])
def test_an_anchor_needs_both_selectors_and_all_their_values(missing):
    kwargs = {"quote": missing != "quote", "position": missing != "position"}
    values = {"exact": "beta", "start": 8, "end": 12}
    if missing in values:
        values[missing] = None
    store = tiny_store(anchor_trig("beta", values["exact"], values["start"], values["end"], 1, **kwargs))
    assert verify_error(store) == ["anchor:beta: needs both a TextQuoteSelector and a TextPositionSelector"]


@pytest.mark.parametrize("exact, start, end, found", [
    ("beta", 9, 13, "'eta '"),          # off by one
    ("beta", -46, 12, "None"),          # negative: TINY[-46:12] would be 'beta'
    ("beta", 8, 8, "None"),             # empty span
    ("", 8, 8, "None"),                 # an empty quote at an empty span: still refused
    ("beta", 12, 8, "None"),            # reversed
    ("iota", 50, 55, "None"),           # one past the text's end
    ("iota", 50, 99, "None"),           # far beyond it
])
def test_quote_must_be_exact_at_its_offsets(exact, start, end, found):
    assert len(TINY) == 54 and TINY[-46:12] == "beta"
    store = tiny_store(anchor_trig("q", exact, start, end, 1))
    assert verify_error(store) == [f"anchor:q: expected {exact!r} at [{start}, {end}), found {found}"]


def test_quote_at_the_text_s_first_and_last_code_points_is_allowed():
    store = tiny_store(anchor_trig("first", "Alpha", 0, 5, 1), anchor_trig("last", "iota", 50, 54, 3))
    assert anchors.verify(store, tiny_source()).paragraphs_covered == [1, 3]


def test_prefix_must_precede_the_quote_not_match_elsewhere():
    # "Delta " is in the text, but not before "iota"
    store = tiny_store(anchor_trig("iota", "iota", 50, 54, 3, prefix="Delta "))
    assert verify_error(store) == ["anchor:iota: prefix 'Delta ' does not precede the quote"]
    store = tiny_store(anchor_trig("iota", "iota", 50, 54, 3, prefix="theta "))
    assert anchors.verify(store, tiny_source()).verified == 1


def test_prefix_reaching_the_text_s_start_is_checked_from_0():
    store = tiny_store(anchor_trig("beta", "beta", 8, 12, 1, prefix="Alpha’s "))
    assert anchors.verify(store, tiny_source()).verified == 1
    store = tiny_store(anchor_trig("beta", "beta", 8, 12, 1, prefix="XAlpha’s "))
    assert verify_error(store) == ["anchor:beta: prefix 'XAlpha’s ' does not precede the quote"]


def test_suffix_must_follow_the_quote_not_match_elsewhere():
    # " zeta." does occur in the text, but after "epsilon", not after "Delta"
    store = tiny_store(anchor_trig("delta", "Delta", 20, 25, 2, suffix=" zeta."))
    assert verify_error(store) == ["anchor:delta: suffix ' zeta.' does not follow the quote"]
    store = tiny_store(anchor_trig("delta", "Delta", 20, 25, 2, suffix=" epsilon zeta."))
    assert anchors.verify(store, tiny_source()).verified == 1


def test_suffix_that_runs_past_the_text_is_refused():
    store = tiny_store(anchor_trig("theta", "theta", 44, 49, 3, suffix=" iota!"))
    assert verify_error(store) == ["anchor:theta: suffix ' iota!' does not follow the quote"]


def test_prefix_and_suffix_errors_are_both_reported():
    store = tiny_store(anchor_trig("beta", "beta", 8, 12, 1, prefix="x", suffix="y"))
    assert verify_error(store) == ["anchor:beta: prefix 'x' does not precede the quote",
                                   "anchor:beta: suffix 'y' does not follow the quote"]


def test_quote_one_code_point_past_its_paragraph_is_refused():
    # [0, 20) is paragraph 1 and its line break: in the text, but not inside the paragraph
    store = tiny_store(anchor_trig("p1", TINY[0:20], 0, 20, 1))
    assert verify_error(store) == ["anchor:p1: [0, 20) is not inside the paragraph it names (para:1)"]
    store = tiny_store(anchor_trig("p1", TINY[0:19], 0, 19, 1))
    assert anchors.verify(store, tiny_source()).paragraphs_covered == [1]


def test_quote_starting_at_its_paragraph_s_start_is_allowed_one_before_is_refused():
    store = tiny_store(anchor_trig("d", "Delta", 20, 25, 2))
    assert anchors.verify(store, tiny_source()).paragraphs_covered == [2]
    store = tiny_store(anchor_trig("d", "\nDelta", 19, 25, 2))
    assert verify_error(store) == ["anchor:d: [19, 25) is not inside the paragraph it names (para:2)"]


def test_quote_in_another_paragraph_than_it_names_is_refused():
    store = tiny_store(anchor_trig("beta", "beta", 8, 12, 2))
    assert verify_error(store) == ["anchor:beta: [8, 12) is not inside the paragraph it names (para:2)"]


def test_anchor_naming_no_paragraph_or_an_unknown_one_is_refused():
    store = tiny_store(anchor_trig("beta", "beta", 8, 12, None))
    assert verify_error(store) == [
        "anchor:beta: names no paragraph (dcterms:isPartOf a paragraph with a schema:position)"]
    store = tiny_store(anchor_trig("beta", "beta", 8, 12, 9),
                       "para:9 a ekg:Paragraph ; schema:position 9 .\n")
    assert verify_error(store) == ["anchor:beta: [8, 12) is not inside the paragraph it names (para:9)"]


def test_paragraphs_themselves_are_not_checked_as_anchors():
    store = tiny_store("para:1 a oa:SpecificResource .\n")
    assert anchors.verify(store, tiny_source()) == anchors.AnchorReport(
        verified=0, paragraphs_covered=[], paragraphs_total=3)


def test_every_broken_anchor_is_listed_sorted():
    store = tiny_store(
        anchor_trig("z", "beta", 9, 13, 1),
        anchor_trig("a", "beta", 8, 12, 1, suffix="y"),
        anchor_trig("m", "beta", 8, 12, 3),
        anchor_trig("ok", "zeta", 34, 38, 2),
    )
    assert verify_error(store) == [
        "anchor:a: suffix 'y' does not follow the quote",
        "anchor:m: [8, 12) is not inside the paragraph it names (para:3)",
        "anchor:z: expected 'beta' at [9, 13), found 'eta '",
    ]


def test_a_paragraph_error_and_anchor_errors_are_reported_together():
    paragraphs = anchor_cli.paragraphs_trig(tiny_source(), 3).replace("oa:end 54 ", "oa:end 53 ")
    store = tiny_store(anchor_trig("z", "beta", 9, 13, 1), paragraphs=paragraphs)
    assert verify_error(store) == ["para:3: paragraph 3 is not at [40, 53) in the text",
                                   "anchor:z: expected 'beta' at [9, 13), found 'eta '"]


def test_locate_on_the_tiny_text_counts_occurrences_from_the_start():
    source = tiny_source()
    assert anchors.locate(source, "Alpha").start == 0
    assert [anchors.locate(source, "eta", n).start for n in (1, 2, 3)] == [9, 35, 46]
    assert anchors.locate(source, "m", 2).start == 16  # "gamma": the next occurrence may be adjacent
    with pytest.raises(anchors.AnchorError, match=r"^quote not found in tiny.txt \(occurrence 4\): 'eta'$"):
        anchors.locate(source, "eta", 4)
    with pytest.raises(anchors.AnchorError, match="^an empty quote cannot be anchored$"):
        anchors.locate(source, "")


def test_selector_trig_of_a_whole_paragraph_has_no_prefix_or_suffix():
    located = anchors.locate(tiny_source(), "Delta epsilon zeta.")
    assert (located.prefix, located.suffix, located.paragraph) == ("", "", 2)
    assert anchors.selector_trig("p2-all", located) == (
        "    anchor:p2-all a oa:SpecificResource ;\n"
        "        oa:hasSource her:essay ;\n"
        "        dcterms:isPartOf para:2 ;\n"
        "        oa:hasSelector selector:p2-all-quote, selector:p2-all-position .\n"
        "    selector:p2-all-quote a oa:TextQuoteSelector ;\n"
        '        oa:exact "Delta epsilon zeta." .\n'
        "    selector:p2-all-position a oa:TextPositionSelector ;\n"
        "        oa:start 20 ;\n"
        "        oa:end 39 .\n"
    )


def test_two_wrong_checksums_are_two_lines():
    store = tiny_store(sha="abc")
    store.add(ox.Quad(ox.NamedNode(namespaces.ESSAY_BASE + "other"), ox.NamedNode("http://schema.org/sha256"),
                      ox.Literal("def"), ox.NamedNode(namespaces.ESSAY_BASE + "graph/essay")))
    assert verify_error(store) == [
        "checksum mismatch: the anchors were made on a text with SHA-256 abc, but tiny.txt has sha-of-tiny",
        "checksum mismatch: the anchors were made on a text with SHA-256 def, but tiny.txt has sha-of-tiny"]


@pytest.mark.parametrize("kind", ["no position", "not exact", "wrong paragraph", "no paragraph"])
def test_every_anchor_is_checked_after_one_fails(kind):
    # several anchors broken the same way: each is named (the query returns them in no set order)
    def broken(slug, exact, start, end, para):
        if kind == "no position":
            return anchor_trig(slug, exact, start, end, para, position=False)
        if kind == "not exact":
            return anchor_trig(slug, exact, start + 1, end + 1, para)
        if kind == "no paragraph":
            return anchor_trig(slug, exact, start, end, None)
        return anchor_trig(slug, exact, start, end, 3 if para != 3 else 1)

    store = tiny_store(broken("a", "Alpha", 0, 5, 1), broken("b", "beta", 8, 12, 1), broken("d", "Delta", 20, 25, 2),
                       broken("e", "Eta", 40, 43, 3))
    lines = verify_error(store)
    assert [line.split(":")[1] for line in lines] == ["a", "b", "d", "e"], lines


@pytest.mark.parametrize("start, end", [(-3, 2), (-5, 19), (5, 5), (7, 3), (10_000, 10_005)])
def test_locate_at_refuses_a_span_with_no_text_or_a_negative_start(start, end):
    """[-3, 2) would slice Python's way (from the end); an empty or reversed span, or one past the text, has no words."""
    source = anchors.SourceText(path=Path("tiny.txt"), text="One line.\nTwo lines.", sha256="0")
    with pytest.raises(anchors.AnchorError) as caught:
        anchors.locate_at(source, start, end)
    assert str(caught.value) == f"no text at [{start}, {end}) in tiny.txt"


def test_locate_at_gives_the_quote_with_its_context():
    source = anchors.SourceText(path=Path("tiny.txt"), text="One line.\nTwo lines.", sha256="0")
    located = anchors.locate_at(source, 14, 19)
    assert (located.exact, located.prefix, located.suffix, located.paragraph) == ("lines", "Two ", ".", 2)


# ---------------------------------------------------------------------------- two essays, two texts

OTHER = "Zulu yankee.\nXray whiskey victor."  # a second essay's text: paragraphs [0, 12) [13, 33)


def two_essay_store(other_anchor: str) -> ox.Store:
    """The tiny essay (her:essay) and a second one, each with its paragraphs, checksum and anchors."""
    base = namespaces.essay_base("other")
    other = (f'<{base}essay> <{namespaces.SCHEMA}sha256> "sha-of-other" .\n'
             + anchor_cli.paragraphs_trig(tiny_source(OTHER), 2, f"<{base}essay>").replace("para:", f"<{base}paragraph/")
             .replace("selector:paragraph-", f"<{base}selector/paragraph-"))
    other = re.sub(rf"(<{re.escape(base)}(?:paragraph|selector/paragraph-)/?\d+)", r"\1>", other)
    return tiny_store(anchor_trig("beta", "beta", 8, 12, 1), other + other_anchor)


def other_anchor(exact: str, start: int, end: int, para_iri: str) -> str:
    base = namespaces.essay_base("other")
    return (f"<{base}anchor/a> a oa:SpecificResource ; oa:hasSource <{base}essay> ; dcterms:isPartOf <{para_iri}> ;"
            f" oa:hasSelector <{base}selector/a-q>, <{base}selector/a-p> .\n"
            f"<{base}selector/a-q> a oa:TextQuoteSelector ; oa:exact {anchors._literal(exact)} .\n"
            f"<{base}selector/a-p> a oa:TextPositionSelector ; oa:start {start} ; oa:end {end} .\n")


def test_each_essay_is_verified_against_its_own_text_alone():
    base = namespaces.essay_base("other")
    store = two_essay_store(other_anchor("whiskey", 18, 25, f"{base}paragraph/2"))
    assert anchors.verify(store, tiny_source(), namespaces.ESSAY_IRI) == anchors.AnchorReport(
        verified=1, paragraphs_covered=[1], paragraphs_total=3)
    assert anchors.verify(store, tiny_source(OTHER, "sha-of-other"), base + "essay") == anchors.AnchorReport(
        verified=1, paragraphs_covered=[2], paragraphs_total=2)
    # the other essay's checksum is not the tiny text's, and the tiny essay's not the other's
    with pytest.raises(anchors.AnchorError, match="^checksum mismatch: the anchors were made on a text with "
                       "SHA-256 sha-of-other, but tiny.txt has sha-of-tiny$"):
        anchors.verify(store, tiny_source(), base + "essay")
    # without an essay, every checksum must match the one text: two essays cannot
    with pytest.raises(anchors.AnchorError, match="checksum mismatch"):
        anchors.verify(store, tiny_source())


def test_an_essay_without_a_checksum_is_named():
    with pytest.raises(anchors.AnchorError, match="^no schema:sha256 is recorded for <https://w3id.org/essay-kg/"
                       "essay/nowhere/essay>: offsets cannot be trusted$"):
        anchors.verify(tiny_store(), tiny_source(), namespaces.essay_iri("nowhere"))


def test_an_anchor_may_not_name_a_paragraph_of_another_essay():
    # "whiskey" is at [18, 25) of the other text, inside the other essay's paragraph 2; the anchor names
    # the tiny essay's paragraph 2, which spans the same offsets in its own text
    store = two_essay_store(other_anchor("whiskey", 18, 25, namespaces.PREFIXES["para"] + "2"))
    assert verify_error(store, tiny_source(OTHER, "sha-of-other"), namespaces.essay_base("other") + "essay") == [
        "<https://w3id.org/essay-kg/essay/other/anchor/a>: [18, 25) is not inside the paragraph it names (para:2)"]
