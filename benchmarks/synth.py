"""Seeded synthetic corpora shaped like the essay's graph, for the scale benchmarks.

:func:`generate` writes a ``graph/`` folder with the same vocabulary and named-graph layout as the
real one (``kg:entities``, ``kg:themes``, ``hg:essay``, ``hg:film-facts``, one ``assertion:`` graph
per claim that asserts relations) and a synthetic essay text, one paragraph a line, that every
anchor's selectors point into. The real pipeline builds it unchanged::

    python -m benchmarks.synth 100000 /tmp/corpus
    python build.py --graph-dir /tmp/corpus/graph --source /tmp/corpus/source.txt --out /tmp/corpus/output

Every count grows with the number of claims ``k`` (about 55 triples per claim): paragraphs ~ 5k/6,
anchors ~ 2.4k, quotations ~ 2k/5, entities ~ k/2, themes ~ 3 sqrt(k). The corpus passes the SHACL
shapes, the quality checks in ontology/checks/ and anchor verification, so a build of it does all
the work a real build does. The same ``(triples, seed)`` gives the same bytes.

>>> corpus = generate_text(2_000, seed=1)
>>> 1_800 < corpus.triples < 2_200 and corpus.counts["claims"] > 20
True
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

from essaykg import namespaces

PREFIXES = {
    p: namespaces.PREFIXES[p]
    for p in (
        "her",
        "hg",
        "claim",
        "assertion",
        "quotation",
        "anchor",
        "selector",
        "para",
        "id",
        "kg",
        "theme",
        "ekg",
        "schema",
        "skos",
        "oa",
        "prov",
        "cito",
        "dcterms",
        "rdfs",
        "xsd",
        "wd",
    )
}

STANCES = ("praise", "criticism", "mixed", "agnostic", "endorsement", "observation")
ARGUMENT_LINKS = ("ekg:supports", "ekg:attacks", "ekg:contrastsWith", "ekg:answers", "ekg:qualifies", "ekg:concedes")

# entity kind -> (class, weight); characters need a movie, quotations need people and works.
ENTITY_KINDS = [  # in an order where what a kind points to comes before it (a movie before its characters)
    ("person", "schema:Person", 36),
    ("movie", "schema:Movie", 8),
    ("character", "ekg:FictionalCharacter", 14),
    ("book", "schema:Book", 8),
    ("work", "schema:CreativeWork", 6),
    ("news", "schema:NewsMediaOrganization", 3),
    ("article", "schema:Article", 3),
    ("corporation", "schema:Corporation", 3),
    ("software", "schema:SoftwareApplication", 3),
    ("city", "schema:City", 6),
    ("award", "ekg:Award", 3),
    ("event", "schema:Event", 4),
    ("band", "schema:MusicGroup", 3),
]

SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "to",
    "vi",
    "ze",
    "an",
    "el",
    "or",
    "us",
    "ith",
    "em",
    "qua",
    "bri",
    "dor",
    "fen",
    "gal",
    "hel",
    "jor",
    "kel",
    "lun",
    "mar",
    "nov",
    "pel",
    "ros",
)
ACCENTED = ("é", "ö", "ñ", "å", "ø", "ü")  # code points beyond ASCII, so offsets must count code points
PER_CLAIM = 55.0  # triples per claim, measured; refined by a pilot run in :func:`claims_for`


@dataclass
class Corpus:
    """A generated corpus: its TriG files (relative path -> text), the source text and counts."""

    files: dict[str, str]
    source: str
    triples: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()

    def write(self, out_dir: Path) -> Written:
        """Write ``graph/...`` and ``source.txt`` under ``out_dir``; return their paths."""
        out_dir = Path(out_dir)
        graph_dir = out_dir / "graph"
        for rel, text in sorted(self.files.items()):
            path = graph_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        source = out_dir / "source.txt"
        source.write_bytes(self.source.encode("utf-8"))
        return Written(graph_dir=graph_dir, source=source, triples=self.triples, counts=dict(self.counts))


@dataclass(frozen=True)
class Written:
    graph_dir: Path
    source: Path
    triples: int
    counts: dict[str, int]


class _Graph:
    """TriG text for one named graph, subject by subject, counting the triples."""

    def __init__(self, name: str):
        self.name = name
        self.lines: list[str] = []
        self.triples = 0

    def subject(self, subject: str, pairs: list[tuple[str, list[str] | str]]) -> None:
        parts = []
        for pred, objects in pairs:
            objs = [objects] if isinstance(objects, str) else list(objects)
            if not objs:
                continue
            self.triples += len(objs)
            parts.append(f"{pred} {', '.join(objs)}")
        if parts:
            self.lines.append(f"  {subject} " + " ;\n      ".join(parts) + " .")

    def text(self) -> str:
        return f"{self.name} {{\n" + "\n".join(self.lines) + "\n}\n"


def _lit(text: str, lang: str | None = "en") -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"' + (f"@{lang}" if lang else "")


def _typed(value: str | int, datatype: str) -> str:
    return f'"{value}"^^{datatype}'


def _header(comment: str) -> str:
    lines = [f"# {comment}", "# Synthetic: generated by benchmarks.synth for the scale benchmarks; not the essay.", ""]
    lines += [f"@prefix {p + ':':<11}<{ns}> ." for p, ns in PREFIXES.items()]
    return "\n".join(lines) + "\n\n"


class _Words:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def word(self) -> str:
        rng = self.rng
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(1, 3)))
        if rng.random() < 0.04:
            i = rng.randrange(len(word))
            word = word[:i] + rng.choice(ACCENTED) + word[i + 1 :]
        return word

    def words(self, n: int) -> str:
        return " ".join(self.word() for _ in range(n))

    def name(self) -> str:
        return " ".join(self.word().capitalize() for _ in range(self.rng.randint(1, 3)))


def claims_for(triples: int, seed: int = 0) -> int:
    """How many claims make a corpus of about ``triples`` triples (a pilot run fixes the rate)."""
    pilot_k = 400
    if triples <= PER_CLAIM * pilot_k:
        pilot_k = max(8, int(triples / PER_CLAIM))
    pilot = _generate(pilot_k, seed)
    rate = pilot.triples / pilot_k
    return max(8, round(triples / rate))


def generate_text(triples: int, seed: int = 0) -> Corpus:
    """A corpus of about ``triples`` triples (within a few percent), in memory."""
    return _generate(claims_for(triples, seed), seed)


def generate(triples: int, out_dir: Path, seed: int = 0) -> Written:
    """Write a corpus of about ``triples`` triples under ``out_dir`` (``graph/``, ``source.txt``)."""
    return generate_text(triples, seed).write(out_dir)


def _generate(k: int, seed: int) -> Corpus:
    rng = random.Random(seed)
    words = _Words(rng)
    n_paragraphs = max(4, k * 5 // 6)
    n_quotations = max(2, k * 2 // 5)
    n_entities = max(40, k // 2)
    n_themes = min(k, max(20, int(3 * math.sqrt(k))))
    n_tops = min(7, n_themes)

    # ---------------------------------------------------------------- entities
    kinds = [kind for kind, _cls, weight in ENTITY_KINDS for _ in range(weight)]
    classes = {kind: cls for kind, cls, _w in ENTITY_KINDS}
    entities: dict[str, list[str]] = {kind: [] for kind in classes}
    order: list[tuple[str, str]] = []
    for i in range(n_entities):
        # the first len(ENTITY_KINDS) entities give every kind one member, the rest are drawn
        kind = ENTITY_KINDS[i][0] if i < len(ENTITY_KINDS) else rng.choice(kinds)
        iri = f"id:{kind}-{i}"
        entities[kind].append(iri)
        order.append((kind, iri))
    by = entities
    shared = _Graph("kg:entities")
    facts = _Graph("hg:film-facts")
    movie_of: dict[str, str] = {}
    for kind, iri in order:
        name = words.name()
        pairs: list[tuple[str, list[str] | str]] = [
            ("a", classes[kind]),
            ("rdfs:label", _lit(name)),
        ]
        if kind == "article":
            pairs += [("schema:headline", _lit(name, None)), ("schema:publisher", rng.choice(by["news"]))]
        else:
            pairs.append(("schema:name", _lit(name, None)))
        pairs.append(("schema:description", _lit(f"Synthetic {kind}: {words.words(rng.randint(4, 9))}.")))
        if kind == "character":
            movie_of[iri] = rng.choice(by["movie"])
            pairs.append(("ekg:fictionalIn", movie_of[iri]))
        if kind in {"person", "movie", "book", "city", "award"} and rng.random() < 0.3:
            pairs.append(("schema:sameAs", f"wd:Q{rng.randint(1, 10**8)}"))
        if kind in {"book", "work"} and rng.random() < 0.6:
            pairs.append(("schema:author", rng.choice(by["person"])))
        shared.subject(iri, pairs)

    # facts about the films: cast, crew, who plays whom
    characters_of: dict[str, list[str]] = {m: [] for m in by["movie"]}
    for character, movie in movie_of.items():
        characters_of[movie].append(character)
    for movie in by["movie"]:
        cast = rng.sample(by["person"], min(len(by["person"]), rng.randint(1, 4)))
        chars = sorted(characters_of.get(movie, []))
        facts.subject(
            movie,
            [
                ("schema:director", rng.choice(by["person"])),
                ("schema:datePublished", _typed(rng.randint(1950, 2030), "xsd:gYear")),
                ("schema:actor", sorted(set(cast))),
                ("schema:character", chars),
                ("schema:contentLocation", rng.choice(by["city"])),
            ],
        )
        for actor, character in zip(cast, chars, strict=False):  # a cast and a film's characters differ in number
            facts.subject(actor, [("ekg:voices" if rng.random() < 0.2 else "ekg:playsOnScreen", character)])
    for person in by["person"][: max(1, len(by["person"]) // 20)]:
        facts.subject(person, [("ekg:awardReceived", rng.choice(by["award"]))])

    # ---------------------------------------------------------------- themes
    themes = [f"theme:t{i}" for i in range(n_themes)]
    scheme = _Graph("kg:themes")
    scheme.subject(
        "theme:scheme",
        [
            ("a", "skos:ConceptScheme"),
            ("rdfs:label", _lit("Themes")),
            ("skos:prefLabel", _lit("Themes")),
            ("dcterms:description", _lit("The synthetic corpus's themes.")),
            ("skos:hasTopConcept", themes[:n_tops]),
        ],
    )
    for i, theme in enumerate(themes):
        pairs = [("a", "skos:Concept"), ("skos:inScheme", "theme:scheme")]
        if i < n_tops:
            pairs.append(("skos:topConceptOf", "theme:scheme"))
        pairs += [
            ("skos:prefLabel", _lit(words.name())),
            ("skos:definition", _lit(f"Synthetic theme: {words.words(rng.randint(5, 10))}.")),
        ]
        if i >= n_tops:
            pairs.append(("skos:broader", themes[rng.randrange(i)]))
            if rng.random() < 0.2:
                pairs.append(("skos:related", themes[rng.randrange(i)]))
        scheme.subject(theme, pairs)
        # skos:related is symmetric: stated both ways here, so the build's materialization adds nothing
        # and the generator's count stays the loader's
        for pred, other in pairs:
            if pred == "skos:related":
                scheme.subject(other, [("skos:related", theme)])

    # ---------------------------------------------------------------- the argument's plan
    # claim i takes its evidence from paragraph i % P (so every paragraph is covered);
    # quotation j from paragraph (j * 7) % P.
    plan: dict[int, list[tuple[str, int]]] = {p: [] for p in range(n_paragraphs)}
    claim_anchors: list[list[str]] = []
    for i in range(k):
        names = [f"c{i}-{n}" for n in range(1 if rng.random() < 0.6 else 2)]
        claim_anchors.append([f"anchor:{name}" for name in names])
        for name in names:
            plan[i % n_paragraphs].append((name, rng.randint(3, 9)))
    for j in range(n_quotations):
        plan[(j * 7) % n_paragraphs].append((f"q{j}", rng.randint(2, 7)))

    # ---------------------------------------------------------------- the text, paragraphs, anchors
    essay = _Graph("hg:essay")
    anchors = _Graph("hg:essay")
    lines: list[str] = []
    offset = 0
    exact_of: dict[str, str] = {}
    for p in range(n_paragraphs):
        pieces: list[str] = []
        length = 0
        spans: list[tuple[str, int, int]] = []
        for name, n_words in plan[p]:
            filler = words.words(rng.randint(2, 8)) + ", "
            pieces.append(filler)
            length += len(filler)
            phrase = words.words(n_words)
            spans.append((name, length, length + len(phrase)))
            pieces.append(phrase)
            length += len(phrase)
            pieces.append(" ")
            length += 1
        tail = words.words(rng.randint(3, 10)) + "."
        pieces.append(tail)
        line = "".join(pieces)
        lines.append(line)
        start, end = offset, offset + len(line)
        number = p + 1
        essay.subject(
            f"para:{number}",
            [
                ("a", "ekg:Paragraph"),
                ("rdfs:label", _lit(f"Paragraph {number}")),
                ("schema:position", str(number)),
                ("oa:hasSource", "her:essay"),
                ("oa:hasSelector", f"selector:paragraph-{number}"),
            ],
        )
        essay.subject(
            f"selector:paragraph-{number}",
            [
                ("a", "oa:TextPositionSelector"),
                ("oa:start", str(start)),
                ("oa:end", str(end)),
            ],
        )
        for name, a_start, a_end in spans:
            exact = line[a_start:a_end]
            exact_of[name] = exact
            prefix = line[max(0, a_start - 32) : a_start]
            suffix = line[a_end : a_end + 32]
            anchors.subject(
                f"anchor:{name}",
                [
                    ("a", "oa:SpecificResource"),
                    ("oa:hasSource", "her:essay"),
                    ("dcterms:isPartOf", f"para:{number}"),
                    ("oa:hasSelector", [f"selector:{name}-quote", f"selector:{name}-position"]),
                ],
            )
            quote = [("a", "oa:TextQuoteSelector"), ("oa:exact", _lit(exact, None))]
            if prefix:
                quote.append(("oa:prefix", _lit(prefix, None)))
            if suffix:
                quote.append(("oa:suffix", _lit(suffix, None)))
            anchors.subject(f"selector:{name}-quote", quote)
            anchors.subject(
                f"selector:{name}-position",
                [
                    ("a", "oa:TextPositionSelector"),
                    ("oa:start", str(offset + a_start)),
                    ("oa:end", str(offset + a_end)),
                ],
            )
        offset = end + 1
    lines.append("Synthetic boilerplate after the essay: not a paragraph, never anchored.")
    source = "\n".join(lines) + "\n"
    sha = hashlib.sha256(source.encode("utf-8")).hexdigest()

    publisher = by["news"][0]
    head = _Graph("hg:essay")
    head.subject(
        "her:essay",
        [
            ("a", "schema:OpinionNewsArticle"),
            ("rdfs:label", _lit("A synthetic essay")),
            ("schema:headline", _lit("A synthetic essay")),
            (
                "schema:description",
                _lit(f"A synthetic essay of {n_paragraphs} paragraphs and {k} claims, for benchmarks."),
            ),
            ("schema:publisher", publisher),
            ("schema:url", "<https://example.org/synthetic-essay>"),
            ("schema:datePublished", _typed("2023-12", "xsd:gYearMonth")),
            ("schema:inLanguage", _lit("en", None)),
            ("schema:about", by["movie"][0]),
            ("schema:sha256", _lit(sha, None)),
            ("ekg:textFile", _lit("source.txt", None)),
            # the first claim is the thesis: every later claim links to an earlier one, so all reach it
            ("ekg:thesis", "claim:c0"),
        ],
    )
    for graph, label in (
        ("hg:essay", "The essay's graph"),
        ("hg:film-facts", "Facts about the films"),
        ("kg:entities", "Shared entities"),
        ("kg:themes", "Themes"),
    ):
        pairs = [
            ("a", "prov:Entity"),
            ("rdfs:label", _lit(label)),
            ("dcterms:description", _lit(f"Synthetic: {label.lower()}.")),
        ]
        if graph.startswith("hg:"):
            pairs.append(("prov:wasDerivedFrom", "her:essay"))
        head.subject(graph, pairs)

    # ---------------------------------------------------------------- quotations
    quotes = _Graph("hg:essay")
    quotation_iris = []
    works = by["book"] + by["work"] + by["article"] + by["movie"]
    for j in range(n_quotations):
        iri = f"quotation:q{j}"
        quotation_iris.append(iri)
        pairs = [
            ("a", "schema:Quotation"),
            ("rdfs:label", _lit(f"Quotation {j}")),
            ("schema:text", _lit(exact_of[f"q{j}"])),
        ]
        roll = rng.random()
        if roll < 0.4:
            pairs.append(("schema:creator", rng.choice(by["person"])))
        elif roll < 0.7:
            pairs.append(("schema:spokenByCharacter", rng.choice(by["character"])))
        if roll >= 0.4 or rng.random() < 0.5:
            pairs.append(("dcterms:source", rng.choice(works)))
        pairs.append(("ekg:evidence", f"anchor:q{j}"))
        quotes.subject(iri, pairs)

    # ---------------------------------------------------------------- claims and their assertion graphs
    claims = _Graph("hg:essay")
    assertions: list[_Graph] = []
    described: list[str] = []
    everything = [iri for _kind, iri in order]
    for i in range(k):
        iri = f"claim:c{i}"
        subjects = {themes[i % n_themes]} if i < n_themes else set()
        subjects |= {rng.choice(themes) for _ in range(rng.randint(1 - bool(subjects), 2))}
        pairs = [
            ("a", "schema:Claim"),
            ("schema:position", str(i + 1)),
            ("rdfs:label", _lit(f"Claim {i}: {words.words(rng.randint(3, 6))}")),
            ("schema:description", _lit(f"The essay argues that {words.words(rng.randint(6, 14))}.")),
            ("dcterms:subject", sorted(subjects)),
            ("schema:about", sorted({rng.choice(everything) for _ in range(rng.randint(1, 2))})),
            ("ekg:stance", f"ekg:{rng.choice(STANCES)}"),
            ("ekg:evidence", claim_anchors[i]),
        ]
        pairs.append(("ekg:stanceOn", next(o for p, o in pairs if p == "schema:about")[0]))
        if i > 0:  # every claim but the thesis (c0) links to an earlier one, so every claim reaches it
            link, target = (
                rng.choice(ARGUMENT_LINKS) if rng.random() < 0.3 else "ekg:supports",
                f"claim:c{rng.randrange(i)}",
            )
            pairs.append((link, target))
            if link == "ekg:contrastsWith":  # symmetric: stated both ways, as for skos:related
                claims.subject(target, [(link, iri)])
                # the reachability check follows directed links only: a rival also attacks what it is set against
                pairs.append(("ekg:attacks", target))
        if quotation_iris and rng.random() < 0.2:
            pairs.append(("cito:citesAsEvidence", rng.choice(quotation_iris)))
        if rng.random() < 0.33:
            graph = f"assertion:c{i}"
            pairs.append(("ekg:assertion", graph))
            described.append(graph)
            asserted = _Graph(graph)
            for _ in range(rng.randint(1, 2)):
                asserted.subject(
                    rng.choice(everything),
                    [("ekg:exemplifies" if rng.random() < 0.7 else "schema:about", rng.choice(themes))],
                )
            assertions.append(asserted)
        claims.subject(iri, pairs)
    for graph in described:
        claims.subject(graph, [("a", "ekg:AssertionGraph"), ("prov:wasDerivedFrom", "her:essay")])

    files = {
        "shared/entities.trig": _header("Shared entities (synthetic).") + shared.text(),
        "shared/themes.trig": _header("The theme scheme (synthetic).") + scheme.text(),
        "essays/her-2023/essay.trig": _header("The essay and its paragraphs (synthetic).") + head.text() + essay.text(),
        "essays/her-2023/film-facts.trig": _header("Facts about the films (synthetic).") + facts.text(),
        "essays/her-2023/anchors.trig": _header("Evidence anchors (synthetic).") + anchors.text(),
        "essays/her-2023/quotations.trig": _header("Quotations (synthetic).") + quotes.text(),
        "essays/her-2023/claims.trig": (
            _header("The argument (synthetic).") + claims.text() + "\n" + "\n".join(g.text() for g in assertions)
        ),
    }
    graphs = [shared, facts, scheme, essay, anchors, head, quotes, claims, *assertions]
    counts = {
        "claims": k,
        "paragraphs": n_paragraphs,
        "quotations": n_quotations,
        "entities": n_entities,
        "themes": n_themes,
        "anchors": sum(len(a) for a in claim_anchors) + n_quotations,
        "assertion_graphs": len(assertions),
    }
    return Corpus(files=files, source=source, triples=sum(g.triples for g in graphs), counts=counts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.synth", description=__doc__.split("\n\n")[0])
    parser.add_argument("triples", type=float, help="about how many triples (e.g. 1e5)")
    parser.add_argument("out", type=Path, help="folder to write graph/ and source.txt into")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    written = generate(int(args.triples), args.out, seed=args.seed)
    print(f"{written.triples} triples in {written.graph_dir}; text {written.source}; {written.counts}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
