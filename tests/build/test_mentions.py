"""Mentions: the rules that find entity names in the essay, the settle file, and the generated mentions.trig."""
from __future__ import annotations

import re
import shutil

import pyoxigraph as ox
import pytest
from _golden import MENTIONED_ENTITIES, MENTIONS

from essaykg import cli, config, namespaces
from essaykg.build import anchors, mentions, pipeline, validate
from essaykg.build.load import load_sources, store_of

ID = namespaces.PREFIXES["id"]
SAMANTHA, THEODORE, HER = ID + "samantha", ID + "theodore-twombly", ID + "her-film"
REAL_FILE = config.GRAPH_DIR / mentions.OUTPUT
SETTLE_FILE = config.GRAPH_DIR / mentions.SETTLED


def names(*items) -> list[mentions.Name]:
    """("Spike Jonze", "spike-jonze", False), ..."""
    return [mentions.Name(text, ID + local, derived) for text, local, derived in items]


def one_paragraph(text: str) -> dict[int, tuple[int, int]]:
    return {1: (0, len(text))}


def found(text, known, settled=(), spans=None):
    result, undecided = mentions.find(text, spans or one_paragraph(text), known, list(settled))
    return [(m.exact, m.entity[len(ID):], m.start) for m in result], [(u.exact, u.start) for u in undecided]


# ---------------------------------------------------------------- the rules, on small texts

FILM = names(("Her", "her-film", False))


def test_her_is_the_film_in_mid_sentence_and_as_a_possessive_never_the_pronoun():
    text = "We saw Her twice. Her’s ending is sad. She gave her a book. I met Jonze’s Her. They love her."
    got, undecided = found(text, FILM)
    assert got == [("Her", "her-film", 7), ("Her", "her-film", 18), ("Her", "her-film", 74)]
    assert undecided == []


def test_her_at_a_sentence_start_or_opening_a_quotation_is_undecided():
    text = "Her is a film. It ends. Her still moves us. “Her Imagines a World,” read one headline."
    got, undecided = found(text, FILM)
    assert got == []
    assert undecided == [("Her", 0), ("Her", 24), ("Her", 45)]


def test_longest_match_first_and_no_nested_mention():
    known = names(("Spike Jonze", "spike-jonze", False), ("Spike", "spike-jonze", True),
                  ("Jonze", "spike-jonze", True), ("OS1", "os1", False),
                  ("The makers of the OS1", "os1-makers", False))
    text = "Spike Jonze’s film. Jonze won. The makers of the OS1 sell the OS1."
    got, _ = found(text, known)
    assert got == [("Spike Jonze", "spike-jonze", 0), ("Jonze", "spike-jonze", 20),
                   ("The makers of the OS1", "os1-makers", 31), ("OS1", "os1", 62)]


def test_whole_words_only_and_case_sensitive():
    known = names(("LA", "los-angeles", False), ("Amy", "amy", False))
    text = "LAX is not LA. Amys and Samy and la and AMY are no Amy; LA’s trains are."
    got, _ = found(text, known)
    assert got == [("LA", "los-angeles", 11), ("Amy", "amy", 51), ("LA", "los-angeles", 56)]


def test_typographic_and_plain_apostrophes_end_a_name():
    known = names(("Theodore", "theodore-twombly", True))
    got, _ = found("Theodore’s job, Theodore's wife, Theodores.", known)
    assert got == [("Theodore", "theodore-twombly", 0), ("Theodore", "theodore-twombly", 16)]


def test_only_the_paragraphs_are_searched_never_the_text_after_them():
    text = "Samantha speaks.\nSubscribe to read more about Samantha."
    got, _ = found(text, names(("Samantha", "samantha", False)), spans={1: (0, 16)})
    assert got == [("Samantha", "samantha", 0)]


def test_an_own_name_beats_another_entity_s_derived_first_name():
    known = names(("Amy", "amy", False), ("Amy Adams", "amy-adams", False), ("Amy", "amy-adams", True),
                  ("Adams", "amy-adams", True))
    got, undecided = found("Amy (played by Amy Adams) asks. Amy replies.", known)
    assert got == [("Amy", "amy", 0), ("Amy Adams", "amy-adams", 15), ("Amy", "amy", 32)]
    assert undecided == []


def test_a_first_name_shared_by_two_entities_is_undecided():
    known = names(("Robert", "robert-browning", True), ("Robert", "robert-plant", True))
    got, undecided = found("As Robert wrote.", known)
    assert got == [] and undecided == [("Robert", 3)]


def test_derived_names_come_from_people_and_characters_only():
    store = ox.Store()
    store.load(b"""
        @prefix schema: <http://schema.org/> . @prefix id: <https://w3id.org/essay-kg/id/> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        <https://w3id.org/essay-kg/graph/entities> {
          id:spike-jonze a schema:Person ; schema:name "Spike Jonze" .
          id:arcade-fire a schema:MusicGroup ; schema:name "Arcade Fire" .
          id:los-angeles a schema:City ; schema:name "Los Angeles" ; skos:altLabel "LA" .
        }""", format=ox.RdfFormat.TRIG)
    got = {(n.text, n.entity[len(ID):], n.derived) for n in mentions.entity_names(store)}
    assert got == {("Spike Jonze", "spike-jonze", False), ("Spike", "spike-jonze", True),
                   ("Jonze", "spike-jonze", True), ("Arcade Fire", "arcade-fire", False),
                   ("Los Angeles", "los-angeles", False), ("LA", "los-angeles", False)}


# ---------------------------------------------------------------- the settle file

def settle(paragraph, start, exact, entity, line=1):
    return mentions.Settled(paragraph, start, exact, None if entity is None else ID + entity, "test", line)


def test_the_settle_file_decides_before_the_rules_and_adds_what_they_miss():
    text = "Her is a film. Her was good. Thedore’s life."
    known = FILM + names(("Theodore", "theodore-twombly", True))
    got, undecided = found(text, known, [settle(1, 0, "Her", "her-film"), settle(1, 29, "Thedore", "theodore-twombly")])
    assert got == [("Her", "her-film", 0), ("Thedore", "theodore-twombly", 29)]
    assert undecided == [("Her", 15)]
    got, undecided = found(text, known, [settle(1, 15, "Her", None), settle(1, 0, "Her", "her-film")])
    assert got == [("Her", "her-film", 0)] and undecided == []


@pytest.mark.parametrize("line, message", [
    (settle(1, 3, "Her", "her-film"), "is not at offset 3"),
    (settle(2, 0, "Her", "her-film"), "not inside paragraph 2"),
    (settle(1, 0, "Her", "nobody"), "id:nobody is not an entity"),
    (settle(1, 4, "is", None), "settles nothing"),
])
def test_a_wrong_settle_line_is_an_error_naming_its_line(line, message):
    with pytest.raises(mentions.MentionError, match=message):
        mentions.find("Her is a film.", {1: (0, 14)}, FILM, [line])


def test_the_real_settle_file_has_one_line_per_case_and_each_is_used():
    lines = mentions.read_settled(SETTLE_FILE)
    assert [(s.paragraph, s.start, s.exact, s.entity) for s in lines] == [
        (3, 825, "Her", HER), (5, 1336, "Her", HER), (11, 5165, "Her", HER), (14, 6141, "Her", HER),
        (17, 7582, "Thedore", THEODORE)]


# ---------------------------------------------------------------- the command on a copy of graph/

@pytest.fixture
def graph_copy(tmp_path, source_path):
    shutil.copytree(config.GRAPH_DIR, tmp_path / "graph")
    return tmp_path / "graph"


def run_command(graph_dir, source_path, *extra) -> int:
    return cli.main(["mentions", "--graph-dir", str(graph_dir), "--source", str(source_path), *extra])


def test_rerun_writes_the_committed_file_byte_for_byte(graph_copy, source_path, capsys):
    (graph_copy / mentions.OUTPUT).unlink()
    assert run_command(graph_copy, source_path) == 0
    first = (graph_copy / mentions.OUTPUT).read_bytes()
    assert run_command(graph_copy, source_path) == 0
    assert (graph_copy / mentions.OUTPUT).read_bytes() == first == REAL_FILE.read_bytes()
    assert f"{MENTIONS} mentions of {MENTIONED_ENTITIES} entities" in capsys.readouterr().out
    assert not list(graph_copy.rglob("*.tmp"))


def test_an_undecided_case_fails_the_command_and_is_listed(graph_copy, source_path, capsys):
    settled = graph_copy / mentions.SETTLED
    kept = [line for line in settled.read_text(encoding="utf-8").splitlines() if not line.startswith("14\t")]
    settled.write_text("\n".join(kept) + "\n", encoding="utf-8")
    before = (graph_copy / mentions.OUTPUT).read_bytes()
    assert run_command(graph_copy, source_path) == 1
    err = capsys.readouterr().err
    assert "1 undecided mention(s)" in err and "mentions-settled.tsv" in err
    assert "paragraph 14, offset 6141: 'Her'" in err and "[Her] does not shy away" in err
    assert (graph_copy / mentions.OUTPUT).read_bytes() == before  # nothing written


def test_check_passes_on_the_committed_file_and_fails_on_a_stale_one(graph_copy, source_path, capsys):
    assert run_command(graph_copy, source_path, "--check") == 0
    assert "is current" in capsys.readouterr().out
    out = graph_copy / mentions.OUTPUT
    out.write_text(out.read_text(encoding="utf-8").replace("oa:end 21 .", "oa:end 22 .", 1), encoding="utf-8")
    assert run_command(graph_copy, source_path, "--check") == 1
    err = capsys.readouterr().err
    assert "out of date: 1 line(s) would go, 1 would come" in err and "python build.py mentions" in err
    out.unlink()
    assert run_command(graph_copy, source_path, "--check") == 1
    assert "mentions.trig is missing" in capsys.readouterr().err


def test_the_build_fails_when_an_alias_is_added_and_mentions_are_not_rewritten(tmp_path, graph_copy, source_path):
    entities = graph_copy / "shared" / "entities.trig"
    text = entities.read_text(encoding="utf-8")
    entities.write_text(text.replace('schema:name "OS1" ;', 'schema:name "OS1" ; skos:altLabel "OS"@en ;'),
                        encoding="utf-8")
    with pytest.raises(pipeline.BuildError, match=r"not current: .*out of date(.|\n)*run `python build.py mentions`"):
        pipeline.build(source_path, tmp_path / "out", graph_dir=graph_copy, log=lambda _m: None)
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- the real mentions, checked independently

def _body_lines(source_path) -> list[str]:
    return source_path.read_text(encoding="utf-8").split("\n")[:28]


def _graph_mentions():
    store = store_of(load_sources().data)
    rows = store.query("""
        PREFIX oa: <http://www.w3.org/ns/oa#>
        SELECT ?m ?body ?exact ?start WHERE {
          GRAPH <https://w3id.org/essay-kg/essay/her-2023/graph/mentions> {
            ?m a oa:Annotation ; oa:motivatedBy oa:identifying ; oa:hasBody ?body ; oa:hasTarget ?a .
            ?a oa:hasSelector ?q, ?p . ?q oa:exact ?exact . ?p oa:start ?start } }""")
    return [(r["m"].value, r["body"].value, r["exact"].value, int(r["start"].value)) for r in rows]


def test_samantha_count_agrees_with_a_plain_regex_and_the_saved_question(source_path):
    lines = _body_lines(source_path)
    starts, offset = [], 0
    for line in lines:
        starts += [offset + m.start() for m in re.finditer(r"\bSamantha\b", line)]
        offset += len(line) + 1
    assert len(starts) == 16
    in_graph = sorted(start for _m, body, _e, start in _graph_mentions() if body == SAMANTHA)
    assert in_graph == starts
    expected = (config.ROOT / "queries" / "22-passages-mentioning-samantha.expected.tsv").read_text(encoding="utf-8")
    rows = expected.splitlines()[1:]
    assert [int(row.split("\t")[1].split('"')[1]) for row in rows] == starts


def test_theodore_count_includes_the_misspelling(source_path):
    body = "\n".join(_body_lines(source_path))
    plain = re.findall(r"\bTheodore\b", body)
    misspelt = re.findall(r"\bThedore\b", body)
    assert (len(plain), len(misspelt)) == (23, 1)
    assert sum(1 for _m, b, _e, _s in _graph_mentions() if b == THEODORE) == 24
    # and nothing after the 28 paragraphs is annotated
    p28_end = sum(len(line) + 1 for line in _body_lines(source_path)) - 1
    assert max(start for _m, _b, _e, start in _graph_mentions()) < p28_end


def test_each_mention_s_exact_text_is_a_name_of_its_entity_or_settled_by_hand():
    store = store_of(load_sources().data)
    known: dict[str, set[str]] = {}
    for name in mentions.entity_names(store):
        known.setdefault(name.entity, set()).add(name.text)
    settled = {(s.start, s.exact): s.entity for s in mentions.read_settled(SETTLE_FILE)}
    got = _graph_mentions()
    assert len(got) == MENTIONS
    for iri, body, exact, start in got:
        assert exact in known[body] or settled.get((start, exact)) == body, (iri, exact)
        local = body.rsplit("/", 1)[1]
        assert re.fullmatch(rf"{re.escape(namespaces.PREFIXES['mention'])}p\d+-{re.escape(local)}-\d+", iri), iri


def test_verify_checks_mention_anchors_too(source_path):
    store = store_of(load_sources().data)
    start = ox.NamedNode(namespaces.PREFIXES["selector"] + "p3-mention-samantha-1-position")
    pred = ox.NamedNode("http://www.w3.org/ns/oa#start")
    [quad] = list(store.quads_for_pattern(start, pred, None))
    store.remove(quad)
    store.add(ox.Quad(start, pred, ox.Literal("703", datatype=ox.NamedNode(
        "http://www.w3.org/2001/XMLSchema#integer")), quad.graph_name))
    with pytest.raises(anchors.AnchorError, match="anchor:p3-mention-samantha-1: expected 'Samantha' at"):
        anchors.verify(store, anchors.SourceText.read(source_path))


def test_shacl_refuses_a_mention_of_a_theme_or_without_its_motivation():
    sources = load_sources()
    bad = ox.Store()
    bad.load(b"""
        @prefix oa: <http://www.w3.org/ns/oa#> . @prefix mention: <https://w3id.org/essay-kg/essay/her-2023/mention/> .
        @prefix anchor: <https://w3id.org/essay-kg/essay/her-2023/anchor/> .
        <https://w3id.org/essay-kg/essay/her-2023/graph/mentions> {
          mention:bad-1 a oa:Annotation ; oa:hasBody <https://w3id.org/essay-kg/theme/loneliness> ;
              oa:motivatedBy oa:identifying ; oa:hasTarget anchor:p3-mention-samantha-1 .
          mention:bad-2 a oa:Annotation ; oa:hasBody <https://w3id.org/essay-kg/id/samantha> ;
              oa:hasTarget anchor:p3-mention-samantha-1 .
        }""", format=ox.RdfFormat.TRIG)
    triples = pipeline._data_graph_triples(sources.data) + [q.triple for q in bad]
    problems = [str(p) for p in validate.shacl(triples, sources.shapes)]
    assert any("bad-1" in p and "body is one entity with a kind" in p for p in problems), problems
    assert any("bad-2" in p and "motivated by oa:identifying" in p for p in problems), problems
    # the missing motivation breaks sh:minCount and sh:hasValue; nothing else in the graph is touched
    assert sorted(p.split(" ")[0] + " " + p.rsplit("[", 1)[1].split(" ")[0] for p in problems) == [
        "mention:bad-1 sh:OrConstraintComponent", "mention:bad-2 sh:HasValueConstraintComponent",
        "mention:bad-2 sh:MinCountConstraintComponent"], "\n".join(problems)
