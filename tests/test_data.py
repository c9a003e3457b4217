"""The essay's content: golden counts, facts the essay states, links checked against wikidata.tsv."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from _golden import CLAIMS

from essaykg import namespaces
from essaykg.build.load import load_sources, store_of

GOLDEN = Path(__file__).parent / "golden" / "summary.json"
P = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in namespaces.PREFIXES.items())


@pytest.fixture(scope="module")
def store() -> ox.Store:
    return store_of(load_sources().data)


def rows(store: ox.Store, query: str) -> list[tuple[str, ...]]:
    result = store.query(P + query, use_default_graph_as_union=True)
    return sorted(tuple(row[v].value if row[v] is not None else None for v in result.variables) for row in result)


def test_summary_matches_golden(built):
    """Counts are part of the dataset's contract; update tests/golden/summary.json on purpose only."""
    summary = {k: v for k, v in built.summary.items() if k != "artifacts"}
    assert summary == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_headline_counts(built):
    s = built.summary
    assert s["anchors_verified"] == s["anchors"] and s["paragraphs_covered"] == s["paragraphs"] == 28


def test_who_plays_or_voices_whom(store):
    assert rows(store, """
        SELECT ?actor ?how ?character WHERE {
          GRAPH hg:film-facts { ?a ?p ?c FILTER(?p IN (ekg:playsOnScreen, ekg:voices)) }
          ?a rdfs:label ?actor . ?c rdfs:label ?character . BIND(STRAFTER(STR(?p), "#") AS ?how) }""") == [
        ("Amy Adams", "playsOnScreen", "Amy"),
        ("Joaquin Phoenix", "playsOnScreen", "Theodore Twombly"),
        ("Rooney Mara", "playsOnScreen", "Catherine"),
        ("Scarlett Johansson", "voices", "Samantha"),
    ]


def test_film_crew_and_places(store):
    assert rows(store, """
        SELECT ?role ?who WHERE { GRAPH hg:film-facts {
          id:her-film ?p ?x FILTER(?p IN (schema:director, schema:author, ekg:cinematographer, schema:musicBy)) }
          ?x rdfs:label ?who . BIND(STRAFTER(STR(?p), STR(schema:)) AS ?s) BIND(IF(?s = "", "cinematographer", ?s) AS ?role) }""") == [
        ("author", "Spike Jonze"), ("cinematographer", "Hoyte van Hoytema"), ("director", "Spike Jonze"),
        ("musicBy", "Arcade Fire"), ("musicBy", "Owen Pallett"),
    ]
    assert rows(store, "SELECT ?a ?b WHERE { ?x ekg:standsInFor ?y . ?x rdfs:label ?a . ?y rdfs:label ?b }") == [
        ("Shanghai", "Los Angeles")]
    assert rows(store, 'SELECT ?y WHERE { id:her-film schema:datePublished ?y }') == [("2013",)]


def test_three_voices_are_kept_apart(store):
    # Claims are never in the film-facts graph; quotations are never claims.
    assert rows(store, "SELECT ?c WHERE { GRAPH hg:film-facts { ?c a schema:Claim } }") == []
    assert rows(store, "SELECT ?q WHERE { ?q a schema:Quotation, schema:Claim }") == []
    spoken = rows(store, "SELECT ?who (COUNT(?q) AS ?n) WHERE { ?q schema:spokenByCharacter ?c . ?c rdfs:label ?who } GROUP BY ?who")
    assert spoken == [("Amy", "1"), ("OS1", "1"), ("Samantha", "2"), ("The makers of the OS1", "2"), ("Theodore Twombly", "4")]
    # schema:creator is for real people: nothing that exists only in the film has it, as a quotation's
    # speaker or as a product's maker
    assert rows(store, "SELECT ?x ?c WHERE { ?x schema:creator ?c . ?c ekg:fictionalIn ?work }") == []
    # plot summary is film facts, not claims
    assert rows(store, "SELECT ?f WHERE { ?f a ekg:FilmFact, schema:Claim }") == []


def test_every_film_fact_has_its_own_passage(store):
    """Every relation in hg:film-facts is named by an ekg:FilmFact with its own evidence anchor, so
    "which passage says this?" is one query."""
    unanchored = rows(store, """
        SELECT ?s ?p ?o WHERE {
          GRAPH hg:film-facts { ?s ?p ?o FILTER NOT EXISTS { ?s a ekg:FilmFact } }
          FILTER NOT EXISTS { GRAPH hg:film-facts { ?f rdf:subject ?s ; rdf:predicate ?p ; rdf:object ?o ;
                                                   ekg:evidence ?anchor } }
          # the build states the inverse of a symmetric link (ekg:divorcing): the fact names one direction
          FILTER NOT EXISTS { FILTER(?p = ekg:divorcing) GRAPH hg:film-facts {
            ?f rdf:subject ?o ; rdf:predicate ?p ; rdf:object ?s ; ekg:evidence ?anchor } }
        }""")
    assert unanchored == []
    # the text says Amy is divorcing and that Charles left, not that he is her husband: no triple
    assert rows(store, """
        SELECT ?exact WHERE { GRAPH hg:film-facts { ?f schema:about id:charles ; ekg:evidence ?a
          FILTER NOT EXISTS { ?f rdf:predicate ?p } } ?a oa:hasSelector/oa:exact ?exact }""") == [("since Charles left",)]
    assert rows(store, "SELECT ?x WHERE { id:amy ekg:divorcing ?x }") == []
    assert rows(store, "SELECT (COUNT(DISTINCT ?f) AS ?n) WHERE { ?f a ekg:FilmFact ; ekg:evidence ?a }") == [("43",)]


def test_symmetric_links_answer_both_ways(store):
    assert rows(store, "SELECT ?x WHERE { id:catherine ekg:divorcing ?x }") == [(namespaces.PREFIXES["id"] + "theodore-twombly",)]
    assert rows(store, "SELECT ?x WHERE { id:theodore-twombly ekg:divorcing ?x }") == [(namespaces.PREFIXES["id"] + "catherine",)]
    assert rows(store, """SELECT (COUNT(*) AS ?n) WHERE { ?a ekg:contrastsWith ?b FILTER NOT EXISTS { ?b ekg:contrastsWith ?a } }""") == [("0",)]
    assert rows(store, """SELECT (COUNT(*) AS ?n) WHERE { ?a skos:related ?b FILTER NOT EXISTS { ?b skos:related ?a } }""") == [("0",)]


def test_stance_names_its_target(store):
    """Criticism of the film and criticism of a character are told apart by ekg:stanceOn."""
    criticised = rows(store, """
        SELECT ?claim ?target WHERE { ?c ekg:stance ekg:criticism ; ekg:stanceOn ?t .
          BIND(STRAFTER(STR(?c), "/claim/") AS ?claim) BIND(REPLACE(STR(?t), "^.*/", "") AS ?target) }""")
    assert ("film-punts-on-the-question", "her-film") in criticised
    assert ("theodore-exemplifies-passivity", "theodore-twombly") in criticised
    assert ("masculinity-is-not-toxicity", "commentators-equate-masculinity-with-toxicity") in criticised
    assert rows(store, "SELECT ?c WHERE { ?c a schema:Claim FILTER NOT EXISTS { ?c ekg:stanceOn ?t } }") == []


def test_outside_knowledge_stays_out_of_the_essays_graphs(store):
    """The essay never names Browning's poem, the Symposium or Plato; its headline, address and date
    come from the notes beside the text: all of that is in graphs derived from those notes."""
    essay_graphs = "FILTER(?g IN (hg:essay, hg:film-facts) || STRSTARTS(STR(?g), STR(assertion:)))"
    for outside in ("id:two-in-the-campagna", "id:symposium", "id:plato", "id:men-and-women"):
        assert rows(store, f"SELECT ?g WHERE {{ GRAPH ?g {{ {{ {outside} ?p ?o }} UNION {{ ?s ?p {outside} }} }} {essay_graphs} }}") == [], outside
    assert rows(store, f"""SELECT ?g ?p WHERE {{ GRAPH ?g {{ her:essay ?p ?o }} {essay_graphs}
        FILTER(?p IN (schema:headline, schema:url, schema:datePublished, schema:publisher)) }}""") == []
    assert rows(store, "SELECT ?g WHERE { GRAPH ?g { ?e schema:sameAs ?wd } } GROUP BY ?g") == [(namespaces.PREFIXES["kg"] + "wikidata-links",)]
    derived = rows(store, "SELECT ?g ?origin WHERE { VALUES ?g { hg:source-notes kg:wikidata-links } ?g prov:wasDerivedFrom ?origin }")
    assert derived == [(namespaces.PREFIXES["hg"] + "source-notes", namespaces.PREFIXES["her"] + "source-notes"),
                       (namespaces.PREFIXES["kg"] + "wikidata-links", namespaces.PREFIXES["her"] + "wikidata-list")]


def test_claims_have_theme_evidence_and_stance(store):
    assert rows(store, """
        SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {
          ?c a schema:Claim ; dcterms:subject ?t ; ekg:evidence ?a ; ekg:stance ?s . ?t skos:inScheme theme:scheme }""") == [(str(CLAIMS),)]


def test_disordered_passivity_claim_and_its_assertion(store):
    assert rows(store, """
        SELECT ?who ?theme WHERE { claim:theodore-exemplifies-passivity ekg:assertion ?g .
          GRAPH ?g { ?x ekg:exemplifies ?t } ?x rdfs:label ?who . ?t skos:prefLabel ?theme }""") == [
        ("Theodore Twombly", "Disordered passivity")]


def test_browning_is_quoted_from_two_in_the_campagna(store):
    assert rows(store, """
        SELECT ?text ?work ?poet WHERE { ?q schema:creator id:robert-browning ; schema:text ?text ;
          dcterms:source ?w . ?w rdfs:label ?work ; schema:author ?p . ?p rdfs:label ?poet }""") == [
        ("infinite passion, and the pain of finite hearts that yearn", "Two in the Campagna", "Robert Browning")]


def test_wikidata_links_come_only_from_the_checked_list(store, source_path):
    checked = {}
    with open(source_path.parent / "wikidata.tsv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            checked["http://www.wikidata.org/entity/" + row["wikidata_qid"]] = row["entity"]
    linked = rows(store, "SELECT ?e ?label ?wd WHERE { ?e schema:sameAs ?wd ; rdfs:label ?label }")
    assert len(linked) == len(checked) == 13
    for _entity, label, wikidata in linked:
        assert wikidata in checked, (label, wikidata)
        assert checked[wikidata].split(" (")[0] in (label, "Her", "Symposium", "Academy Award for Best Original Screenplay"), label


def test_essay_metadata_leaves_unknowns_unknown(store):
    assert rows(store, "SELECT ?p WHERE { her:essay ?p ?o FILTER(?p IN (schema:author, schema:creator, dcterms:creator)) }") == []
    assert rows(store, "SELECT ?d ?url WHERE { her:essay schema:datePublished ?d ; schema:url ?url }") == [
        ("2023-12", "https://thedispatch.com/article/is-the-cure-for-male-loneliness-her")]


def _words(text: str) -> list[str]:
    text = text.replace("’", "'").replace("“", '"').replace("”", '"')
    return "".join(c.lower() if c.isalnum() or c == "'" else " " for c in text).split()


def test_paraphrases_are_in_our_own_words(store, source_path):
    """No description, label or definition repeats six or more consecutive words of the essay."""
    words = _words(source_path.read_text(encoding="utf-8"))
    essay_runs = {tuple(words[i:i + 6]) for i in range(len(words) - 5)}
    texts = rows(store, """
        SELECT ?s ?text WHERE { ?s schema:description|skos:definition|rdfs:label ?text
          FILTER NOT EXISTS { ?s a schema:Quotation } FILTER NOT EXISTS { ?s a schema:Article } }""")
    assert len(texts) > 150
    copied = []
    for subject, text in texts:
        mine = _words(text)
        copied += [(subject, " ".join(mine[i:i + 6])) for i in range(len(mine) - 5) if tuple(mine[i:i + 6]) in essay_runs]
    assert copied == []
