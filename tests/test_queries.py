"""The saved competency questions in queries/: each answers as its .expected.tsv says, on both engines.

An expected file is the query's answer on the real graph, written with
``python build.py query queries/NN-name.rq --format tsv > queries/NN-name.expected.tsv`` and then
read against the essay before it is committed. Ordered queries are compared row by row, the others
as multisets.
"""
from __future__ import annotations

import pytest
from _golden import CORPUS_QUESTIONS, SAVED_QUESTIONS

from essaykg import cli
from essaykg.query import sparql

SAVED = sparql.saved_queries()


def test_every_saved_question_is_collected():
    assert len(SAVED) == SAVED_QUESTIONS
    assert [q.name[:2] for q in SAVED] == [f"{n:02d}" for n in range(1, SAVED_QUESTIONS + 1)]


@pytest.mark.parametrize("saved", SAVED, ids=lambda q: q.name)
def test_saved_question_is_documented_and_screened(saved):
    assert saved.question.endswith((".", "?", ")")) and len(saved.question) > 20, saved.question
    assert "?" in saved.question
    assert saved.expected_path.is_file(), f"{saved.expected_path.name} is missing"
    assert sparql.screen(saved.text).text == saved.text  # nothing in it is refused before the engine


@pytest.fixture(scope="module")
def engines(built):
    return {"oxigraph": sparql.load_store(built.out_dir), "rdflib": sparql.load_rdflib(built.out_dir)}


@pytest.mark.parametrize("saved", SAVED, ids=lambda q: q.name)
def test_saved_question_gives_the_expected_answer_on_both_engines(saved, engines):
    screened = sparql.screen(saved.text)
    expected = saved.expected()
    # an expected answer with no rows proves little, but for the questions across essays on one essay
    # (their answers on two are checked in tests/test_corpus.py)
    assert (len(expected) == 0) == (saved.name[:2] in CORPUS_QUESTIONS)
    answers = {engine: sparql.execute(backend, screened, engine) for engine, backend in engines.items()}
    for engine, result in answers.items():
        assert result.variables == expected.variables, engine
        if not sparql.same_answers(expected, result, screened.ordered):
            got = {r for r in result.tuples()}
            want = {r for r in expected.tuples()}
            pytest.fail(f"{engine}: {saved.name} differs from {saved.expected_path.name}\n"
                        f"missing: {sorted(want - got, key=str)[:5]}\nextra: {sorted(got - want, key=str)[:5]}")
    assert sparql.same_answers(answers["oxigraph"], answers["rdflib"], screened.ordered)


def test_query_list_prints_every_question(capsys):
    assert cli.main(["query", "--list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == SAVED_QUESTIONS + 1
    for saved, line in zip(SAVED, out):
        assert line.startswith(saved.name) and saved.question in line
    assert f"{SAVED_QUESTIONS} saved questions" in out[-1]


def test_a_saved_question_runs_by_number(built, capsys):
    assert cli.main(["query", "1", "--data", str(built.out_dir)]) == 0
    out = capsys.readouterr().out
    assert "Scarlett Johansson  voices" in out and "(4 rows)" in out


# Facts read from the essay itself, independent of the expected files: a second check that the
# expected answers say what the essay says.
ESSAY_FACTS = {
    "01-who-plays-whom": lambda rows: {(r[1], r[2], r[4]) for r in rows} == {
        ('"Joaquin Phoenix"@en', '"plays on screen"', '"Theodore Twombly"@en'),
        ('"Scarlett Johansson"@en', '"voices"', '"Samantha"@en'),
        ('"Rooney Mara"@en', '"plays on screen"', '"Catherine"@en'),
        ('"Amy Adams"@en', '"plays on screen"', '"Amy"@en')},
    "03-claims-per-cited-reference": lambda rows: {r[0].rsplit("/", 1)[1][:-1] for r in rows} == {
        "yuval-levin", "robert-browning", "aristophanes-speech", "new-testament", "jonze-oscar-speech"},
    "07-passages-behind-a-claim": lambda rows: any("It’s essential." in r[4] for r in rows),
    "10-essay-metadata": lambda rows: '"The Dispatch"' in rows[0][3],
    "02-quotations-and-speakers": lambda rows: {
        (r[0].rsplit("/", 1)[1][:-1], r[4]) for r in rows if "theodore" in r[0] or "browning" in r[0]} == {
        ("theodore-like-being-married", '"character in the film"'), ("theodore-not-serious", '"character in the film"'),
        ("theodore-not-in-a-place-to-commit", '"character in the film"'),
        ("theodore-real-relationship", '"character in the film"'), ("browning-infinite-passion", '"real"')},
}


@pytest.mark.parametrize("name", sorted(ESSAY_FACTS))
def test_expected_answers_agree_with_the_essay(name):
    saved = next(q for q in SAVED if q.name == name)
    assert ESSAY_FACTS[name](saved.expected().tuples())


def test_saved_questions_by_short_name_and_a_clear_miss(capsys):
    from essaykg.query import sparql

    assert sparql.find_saved("theme-tree").name == "05-theme-tree"
    assert sparql.find_saved("5").name == sparql.find_saved("05-theme-tree").name
    assert cli.main(["query", "99"]) == 1
    assert "no saved question '99'; see `python build.py query --list`" in capsys.readouterr().err


def test_the_readmes_own_query_example_answers_what_the_text_says(built, source_path, capsys):
    """README, "Writing your own": the two commands as written, against the paragraphs that name
    Johansson in the essay's text itself (a plain search of lines 1-28, no graph involved)."""
    import re
    import shlex
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("Writing your own:"):readme.index("Saved questions (")]
    commands = [shlex.split(line) for line in section.splitlines() if line.startswith("python build.py query ")]
    assert len(commands) == 2
    answers = []
    for command in commands:
        assert cli.main(command[2:] + ["--data", str(built.out_dir), "--format", "tsv"]) == 0
        answers.append(capsys.readouterr().out.splitlines()[1:])
    assert "<https://w3id.org/essay-kg/id/scarlett-johansson>" in answers[0]
    paragraphs = source_path.read_text(encoding="utf-8").split("\n")[:28]
    named = [str(n) for n, text in enumerate(paragraphs, 1) if re.search(r"\bJohansson\b", text)]
    assert named and answers[1] == [f'"{n}"^^<http://www.w3.org/2001/XMLSchema#integer>' for n in named]


def _facts() -> list[dict[str, str]]:
    """tests/golden/what-the-essay-says.tsv: facts stated by hand from the essay, not from the graph."""
    from pathlib import Path

    lines = (Path(__file__).parent / "golden" / "what-the-essay-says.tsv").read_text(encoding="utf-8").splitlines()
    rows = [line.split("\t") for line in lines if line and not line.startswith("#")]
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


def _value(term: dict | None) -> str:
    """The text of a result term (a literal's lexical form, an IRI's address)."""
    return "" if term is None else term["value"]


def test_every_hand_stated_fact_is_in_the_essays_words(source_path):
    essay = "\n".join(source_path.read_text(encoding="utf-8").split("\n")[:28])
    facts = _facts()
    assert len(facts) >= 15
    missing = [f["words"] for f in facts if f["words"] not in essay]
    assert missing == []


@pytest.mark.parametrize("number, columns", [
    ("01", ("performerName", "how", "characterName")),
    ("11", ("name", "role", None)),
])
def test_who_plays_whom_and_who_made_the_film_are_what_the_essay_says(number, columns):
    """Questions 01 and 11 answer exactly the hand-stated facts, no more and no fewer."""
    saved = next(q for q in SAVED if q.name.startswith(number))
    expected = saved.expected()
    subject, relation, obj = columns
    got = sorted((_value(row[subject]), _value(row[relation]), _value(row[obj]) if obj else "Her")
                 for row in expected.rows)
    stated = sorted((f["subject"], f["relation"], f["object"]) for f in _facts() if f["question"] == number)
    assert got == stated


def test_quotations_are_attributed_as_the_essay_attributes_them():
    saved = next(q for q in SAVED if q.name.startswith("02"))
    said = {(_value(row.get("speakerName")), _value(row["text"])) for row in saved.expected().rows}
    for fact in (f for f in _facts() if f["question"] == "02"):
        assert any(speaker == fact["subject"] and fact["object"] in text for speaker, text in said), fact
