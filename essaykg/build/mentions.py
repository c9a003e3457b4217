"""`python build.py mentions`: every mention of an entity in the essay, as a W3C Web Annotation.

Each occurrence of an entity's name in the essay's paragraphs becomes an ``oa:Annotation`` whose
body is the entity and whose target is an anchor (TextQuoteSelector + TextPositionSelector, made
by :func:`essaykg.build.anchors.locate_at`), written to graph/essays/her-2023/mentions.trig in the named
graph hg:mentions (https://www.w3.org/TR/annotation-model/#motivation-and-purpose: oa:identifying).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from essaykg import config, namespaces

RULES = """\
How mentions are found (the rules, in order):
  1. Names: every entity in graph/shared/entities.trig with a kind (person, character, work,
     organization or product, place, award or event) is known by its rdfs:label, schema:name,
     skos:prefLabel, skos:altLabel and schema:alternateName. People and characters whose name has
     two words or more are also known by their first word and their last word ("Jonze" for
     Spike Jonze, "Theodore" for Theodore Twombly): these are derived names.
  2. Where: only inside the essay's paragraphs (the para: nodes of essay.trig), never in the site's
     text after them.
  3. How: case-sensitive, whole words only (no letter, digit or underscore on either side), so
     "Theodore’s" counts as Theodore and "Samanthas" would not.
  4. Longest match first: of overlapping matches the longest wins ("Spike Jonze" is one mention,
     not also "Spike" or "Jonze"); a shorter name inside a matched longer one is no mention.
  5. A name that is also an ordinary English word ("Her", the film) counts when followed by ’s
     or 's (the pronoun has no possessive), or when it does not stand at the start of a sentence
     (a capital mid-sentence is the title: italics are lost in the text). At a sentence start, or
     as the first word of a quotation, it is undecided.
  6. A string that is one entity's own name and another's derived name is the own name's ("Amy" is
     the character Amy, not Amy Adams, who the essay names in full). A string that is the own name,
     or the derived name, of two entities or more is undecided.
  7. Undecided cases, and anything the rules miss (a misspelling), are settled by hand in
     graph/essays/her-2023/mentions-settled.tsv: tab-separated paragraph, start offset (code points
     into the whole text, as oa:start), exact text, entity (id:local-name) or "-" for no mention,
     and a short reason. The file is obeyed before the rules. An undecided case without a line
     there makes the command exit 1 and list it.
"""

__doc__ += "\n" + RULES  # the rules are stated once: here and in `mentions --help`

ESSAY_DIR = Path("essays") / "her-2023"
OUTPUT = ESSAY_DIR / "mentions.trig"
SETTLED = ESSAY_DIR / "mentions-settled.tsv"
ENTITIES = Path("shared") / "entities.trig"
ESSAY = ESSAY_DIR / "essay.trig"
GRAPH = namespaces.PREFIXES["hg"] + "mentions"
ENTITY_KINDS = {"person", "character", "work", "organization", "place", "award"}
NAME_PROPERTIES = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://schema.org/name",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "http://schema.org/alternateName",
)
# Names that are also ordinary English words when capitalised (rule 5).
COMMON_WORDS = {"Her"}
_OPENERS = "“‘\"'([«"
_SENTENCE_ENDS = ".!?…:"
_POSSESSIVE = ("’s", "'s")
CONTEXT = 40  # characters each side in the list of undecided cases


class MentionError(Exception):
    """The inputs are wrong (a settle line that does not match the text, an unknown entity)."""


@dataclass(frozen=True)
class Name:
    text: str
    entity: str  # IRI
    derived: bool


@dataclass(frozen=True)
class Mention:
    paragraph: int
    start: int
    end: int
    exact: str
    entity: str
    how: str  # the rule or the settle line that decided it


@dataclass(frozen=True)
class Undecided:
    paragraph: int
    start: int
    exact: str
    candidates: tuple[str, ...]
    why: str
    context: str


@dataclass(frozen=True)
class Settled:
    paragraph: int
    start: int
    exact: str
    entity: str | None
    reason: str
    line: int


# ---------------------------------------------------------------- inputs


def _store(graph_dir: Path):
    import pyoxigraph as ox

    from essaykg.build.load import parse_file

    store = ox.Store()
    for rel in (ENTITIES, ESSAY):
        parse_file(graph_dir / rel, ox.RdfFormat.TRIG, into=store)
    return store


def entity_names(store) -> list[Name]:
    """Every name (own and derived, rule 1) of every entity with a kind, sorted."""
    import pyoxigraph as ox

    from essaykg import kinds

    names: set[Name] = set()
    graph = [ox.NamedNode(namespaces.PREFIXES["kg"] + "entities")]
    entity_kinds = {iri: kind for iri, kind in kinds.kinds_in(store, graph).items() if kind in ENTITY_KINDS}
    for iri, kind in entity_kinds.items():
        own = set()
        for prop in NAME_PROPERTIES:
            for quad in store.quads_for_pattern(ox.NamedNode(iri), ox.NamedNode(prop), None):
                if isinstance(quad.object, ox.Literal) and quad.object.value.strip():
                    own.add(quad.object.value.strip())
        names.update(Name(text, iri, False) for text in own)
        if kind in {"person", "character"}:
            for text in own:
                words = text.split()
                if len(words) >= 2:
                    names.update(Name(w, iri, True) for w in {words[0], words[-1]} if w not in own)
    return sorted(names, key=lambda n: (n.text, n.entity, n.derived))


def paragraph_spans(store) -> dict[int, tuple[int, int]]:
    """Paragraph number -> (start, end), from the para: nodes of essay.trig."""
    from essaykg.store import select

    query = f"""
    PREFIX oa: <http://www.w3.org/ns/oa#>
    PREFIX schema: <http://schema.org/>
    SELECT ?number ?start ?end WHERE {{
      ?para a <{namespaces.EKG}Paragraph> ; schema:position ?number ; oa:hasSelector ?s .
      ?s oa:start ?start ; oa:end ?end .
    }}"""
    return dict(
        sorted(
            (int(r["number"].value), (int(r["start"].value), int(r["end"].value)))
            for r in select(store, query, use_default_graph_as_union=True)
        )
    )


def _entity_iri(value: str) -> str:
    if value.startswith("<") and value.endswith(">"):
        return value[1:-1]
    prefix, _, local = value.partition(":")
    if prefix in namespaces.PREFIXES and not local.startswith("//"):
        return namespaces.PREFIXES[prefix] + local
    return value


def read_settled(path: Path) -> list[Settled]:
    """The hand-written decisions; a missing file is an empty one."""
    if not path.is_file():
        return []
    settled = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cells = line.split("\t")
        if len(cells) != 5:
            raise MentionError(
                f"{path.name}:{number}: needs 5 tab-separated columns "
                f"(paragraph, start, exact, entity or -, reason), found {len(cells)}"
            )
        paragraph, start, exact, entity, reason = cells
        if not (paragraph.isdigit() and start.isdigit()) or not exact or not reason.strip():
            raise MentionError(f"{path.name}:{number}: paragraph and start are numbers; exact and reason are not empty")
        settled.append(
            Settled(
                int(paragraph),
                int(start),
                exact,
                None if entity == "-" else _entity_iri(entity),
                reason.strip(),
                number,
            )
        )
    return settled


# ---------------------------------------------------------------- the rules


def _sentence_start(paragraph_text: str, at: int) -> bool:
    """True when the word at ``at`` opens a sentence or a quotation (rule 5)."""
    before = paragraph_text[:at].rstrip()
    if before and before[-1] in _OPENERS:
        return True
    return not before or before[-1] in _SENTENCE_ENDS


def _matches(text: str, names: list[Name]) -> list[tuple[int, int]]:
    """Rules 3 and 4: whole-word, case-sensitive matches, longest first, never overlapping."""
    found: set[tuple[int, int]] = set()
    for name_text in {n.text for n in names}:
        pattern = re.compile(r"(?<!\w)" + re.escape(name_text) + r"(?!\w)")
        # overlapping occurrences of one name are found too: each search starts one past the last
        position = 0
        while (match := pattern.search(text, position)) is not None:
            found.add((match.start(), match.end()))
            position = match.start() + 1
    taken: list[tuple[int, int]] = []
    for start, end in sorted(found, key=lambda span: (-(span[1] - span[0]), span[0])):
        if all(end <= s or start >= e for s, e in taken):
            taken.append((start, end))
    return sorted(taken)


def find(
    text: str, spans: dict[int, tuple[int, int]], names: list[Name], settled: Sequence[Settled] = ()
) -> tuple[list[Mention], list[Undecided]]:
    """The mentions in the paragraphs ``spans`` of ``text``, and the cases no rule or settle line decides."""
    by_text: dict[str, list[Name]] = {}
    for name in names:
        by_text.setdefault(name.text, []).append(name)
    known = {n.entity for n in names}
    settle = {(s.start, s.exact): s for s in settled}
    used: set[tuple[int, str]] = set()
    errors: list[str] = []
    mentions: list[Mention] = []
    undecided: list[Undecided] = []

    for s in settled:
        span = spans.get(s.paragraph)
        if span is None or not (span[0] <= s.start and s.start + len(s.exact) <= span[1]):
            errors.append(f"line {s.line}: offset {s.start} is not inside paragraph {s.paragraph}")
        elif text[s.start : s.start + len(s.exact)] != s.exact:
            errors.append(
                f"line {s.line}: {s.exact!r} is not at offset {s.start} "
                f"(found {text[s.start : s.start + len(s.exact)]!r})"
            )
        elif s.entity is not None and s.entity not in known:
            errors.append(f"line {s.line}: {namespaces.shorten(s.entity)} is not an entity with a name and a kind")

    for number, (p_start, p_end) in spans.items():
        paragraph = text[p_start:p_end]
        for start, end in _matches(paragraph, names):
            exact = paragraph[start:end]
            where = p_start + start
            line = settle.get((where, exact))
            if line is not None:
                used.add((where, exact))
                if line.entity is not None:
                    mentions.append(
                        Mention(
                            number,
                            where,
                            where + len(exact),
                            exact,
                            line.entity,
                            f"settled ({SETTLED.name} line {line.line}): {line.reason}",
                        )
                    )
                continue
            entity, how, why = _decide(exact, by_text[exact], paragraph, start, end)
            if entity is not None:
                mentions.append(Mention(number, where, where + len(exact), exact, entity, how))
            else:
                context = (
                    text[max(p_start, where - CONTEXT) : where]
                    + "["
                    + exact
                    + "]"
                    + text[where + len(exact) : min(p_end, where + len(exact) + CONTEXT)]
                )
                undecided.append(
                    Undecided(number, where, exact, tuple(sorted({n.entity for n in by_text[exact]})), why, context)
                )

    taken = [(m.start, m.end) for m in mentions] + [(u.start, u.start + len(u.exact)) for u in undecided]
    for s in settled:
        if (s.start, s.exact) in used:
            continue
        if s.entity is None:
            errors.append(f"line {s.line}: settles nothing: no name is found at offset {s.start} ({s.exact!r})")
            continue
        end = s.start + len(s.exact)
        if any(not (end <= a or s.start >= b) for a, b in taken):
            errors.append(f"line {s.line}: {s.exact!r} at {s.start} overlaps a name the rules found")
            continue
        mentions.append(
            Mention(s.paragraph, s.start, end, s.exact, s.entity, f"settled ({SETTLED.name} line {s.line}): {s.reason}")
        )
    if errors:
        raise MentionError(f"{SETTLED.name}: " + f"\n{SETTLED.name}: ".join(errors))
    return sorted(mentions, key=lambda m: (m.start, m.end)), sorted(undecided, key=lambda u: u.start)


def _decide(exact: str, candidates: list[Name], paragraph: str, start: int, end: int):
    """(entity, rule, None) or (None, None, why undecided), by rules 5 and 6."""
    own = sorted({n.entity for n in candidates if not n.derived})
    derived = sorted({n.entity for n in candidates if n.derived})
    if len(own) > 1:
        return None, None, "the own name of " + ", ".join(map(namespaces.shorten, own))
    if not own and len(derived) > 1:
        return None, None, "a first name or surname of " + ", ".join(map(namespaces.shorten, derived))
    entity = own[0] if own else derived[0]
    how = "own name" if own else "derived first name or surname"
    if own and derived:
        how = "own name, before the derived name of " + ", ".join(map(namespaces.shorten, derived))
    if exact in COMMON_WORDS:
        if paragraph.startswith(_POSSESSIVE, end):
            return entity, "title with a possessive", None
        if _sentence_start(paragraph, start):
            return None, None, f"{exact!r} opens a sentence or a quotation: the title or the pronoun"
        return entity, "capitalised in mid-sentence: the title", None
    return entity, how, None


# ---------------------------------------------------------------- output


def slugs(mentions: list[Mention]) -> list[str]:
    """p{paragraph}-mention-{entity local name}-{k}, k counting from 1 within the paragraph."""
    counts: dict[tuple[int, str], int] = {}
    out = []
    for m in mentions:
        local = m.entity.rsplit("/", 1)[-1]
        counts[(m.paragraph, local)] = counts.get((m.paragraph, local), 0) + 1
        out.append(f"p{m.paragraph}-mention-{local}-{counts[(m.paragraph, local)]}")
    return out


_PREFIXES = ("her", "hg", "anchor", "selector", "mention", "para", "id", "oa", "dcterms")


def trig(source, mentions: list[Mention]) -> str:
    """The file mentions.trig: byte-stable for the same inputs (text order, no timestamps)."""
    from essaykg.build import anchors

    width = max(len(p) for p in _PREFIXES) + 2
    lines = [
        "# GENERATED by `python build.py mentions` from the entities' names (graph/shared/entities.trig),",
        "# the essay's paragraphs and mentions-settled.tsv. Do not edit by hand: change those and run the",
        "# command again (the build fails while this file is not what the command would write).",
        "# Every occurrence of an entity's name in the essay: an oa:Annotation identifying the entity,",
        "# targeting an anchor in the text. The rules are in `python build.py mentions --help`.",
        "",
    ]
    lines += [f"@prefix {(p + ':').ljust(width)} <{namespaces.PREFIXES[p]}> ." for p in _PREFIXES]
    lines += ["", "hg:mentions {", ""]
    blocks = []
    for slug, m in zip(slugs(mentions), mentions, strict=True):
        located = anchors.locate_at(source, m.start, m.end)
        if located.paragraph != m.paragraph:
            raise MentionError(
                f"{m.exact!r} at {m.start}: paragraph {located.paragraph} in the text, {m.paragraph} in essay.trig"
            )
        local = m.entity.rsplit("/", 1)[-1]
        annotation = slug.replace("-mention-", "-", 1)
        blocks.append(
            anchors.selector_trig(slug, located)
            + f"    mention:{annotation} a oa:Annotation ;\n"
            + "        oa:motivatedBy oa:identifying ;\n"
            + f"        oa:hasBody id:{local} ;\n"
            + f"        oa:hasTarget anchor:{slug} .\n"
        )
    return "\n".join(lines) + "\n" + "\n".join(blocks) + ("\n" if blocks else "") + "}\n"


@dataclass(frozen=True)
class Result:
    mentions: list[Mention]
    undecided: list[Undecided]
    text: str | None  # the file's content; None while cases are undecided


def compute(graph_dir: Path, source_path: Path) -> Result:
    """Everything the command decides, from graph_dir's entities, paragraphs and settle file."""
    from essaykg.build import anchors

    source = anchors.SourceText.read(source_path)
    store = _store(graph_dir)
    names = entity_names(store)
    for name in names:
        if not name.entity.startswith(namespaces.PREFIXES["id"]):
            raise MentionError(f"{namespaces.shorten(name.entity)}: mentions name entities in the id: namespace only")
    mentions, undecided = find(source.text, paragraph_spans(store), names, read_settled(graph_dir / SETTLED))
    return Result(mentions, undecided, None if undecided else trig(source, mentions))


def undecided_report(undecided: list[Undecided]) -> str:
    lines = [
        (
            f"{len(undecided)} undecided mention(s): add a line for each to graph/{SETTLED} "
            "(paragraph<TAB>start<TAB>exact<TAB>id:entity or -<TAB>reason):"
        )
    ]
    for u in undecided:
        lines.append(
            f"  paragraph {u.paragraph}, offset {u.start}: {u.exact!r} ({u.why}; candidates: "
            f"{', '.join(map(namespaces.shorten, u.candidates))})\n      …{u.context}…"
        )
    return "\n".join(lines)


def stale(graph_dir: Path, source_path: Path) -> str | None:
    """Why mentions.trig is not what the command would write, or None when it is current."""
    result = compute(graph_dir, source_path)
    if result.undecided:
        return undecided_report(result.undecided)
    assert result.text is not None  # None only while cases are undecided
    path = graph_dir / OUTPUT
    current = path.read_text(encoding="utf-8") if path.is_file() else None
    if current == result.text:
        return None
    if current is None:
        return f"graph/{OUTPUT} is missing"
    diff = list(difflib.unified_diff(current.splitlines(), result.text.splitlines(), lineterm="", n=0))
    removed = sum(1 for d in diff if d.startswith("-") and not d.startswith("---"))
    added = sum(1 for d in diff if d.startswith("+") and not d.startswith("+++"))
    first = next((d for d in diff if d[:1] in "+-" and d[:3] not in ("---", "+++")), "")
    return f"graph/{OUTPUT} is out of date: {removed} line(s) would go, {added} would come (first: {first[:100]})"


# ---------------------------------------------------------------- the command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = RULES
    parser.add_argument("--source", type=Path, default=config.DEFAULT_SOURCE, help="the essay's text file")
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"write nothing; exit 1 if graph/{OUTPUT} is not what the command would write",
    )
    parser.add_argument("--graph-dir", type=Path, default=config.GRAPH_DIR, help=argparse.SUPPRESS)


def summary(mentions: list[Mention]) -> str:
    counts: dict[str, int] = {}
    for m in mentions:
        counts[m.entity] = counts.get(m.entity, 0) + 1
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return f"{len(mentions)} mentions of {len(counts)} entities: " + ", ".join(
        f"{namespaces.shorten(e)} {n}" for e, n in ordered
    )


def run(args: argparse.Namespace) -> int:
    from essaykg.build.load import LoadError

    try:
        if args.check:
            problem = stale(args.graph_dir, args.source)
            if problem:
                print(f"error: {problem}\nrun `{config.COMMAND} mentions` to rewrite it", file=sys.stderr)
                return 1
            print(f"graph/{OUTPUT} is current")
            return 0
        result = compute(args.graph_dir, args.source)
    except OSError as err:
        print(f"error: cannot read {err.filename}: {err.strerror}", file=sys.stderr)
        return 3
    except (MentionError, LoadError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    if result.undecided:
        print("error: " + undecided_report(result.undecided), file=sys.stderr)
        return 1
    path = args.graph_dir / OUTPUT
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(result.text, encoding="utf-8", newline="\n")
        os.replace(tmp, path)
    except OSError as err:
        print(f"error: cannot write {path}: {err.strerror}", file=sys.stderr)
        return 3
    print(f"wrote {path}: {summary(result.mentions)}")
    return 0
