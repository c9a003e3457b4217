"""The real graph's hand-checked counts, in one place: tests/golden/summary.json (the build's own
summary, compared whole by test_data.py) and the few numbers the summary does not hold. A change to
graph/ that changes a count changes it here, on purpose, and nowhere else."""
from __future__ import annotations

import json
from pathlib import Path

SUMMARY: dict = json.loads((Path(__file__).parent / "golden" / "summary.json").read_text(encoding="utf-8"))

CLAIMS: int = SUMMARY["claims"]
ANCHORS: int = SUMMARY["anchors"]
# argument.argdown's links: every directed argument link between claims, and each contrastsWith pair once
ARGUMENT_LINKS = 60
# graph/essays/her-2023/mentions.trig: occurrences of entity names in paragraphs 1-28, and of how many entities
MENTIONS = 97
MENTIONED_ENTITIES = 26
# queries/NN-*.rq
SAVED_QUESTIONS = 25
# the questions across essays: no rows on the real essay alone; tests/test_corpus.py checks them on two
CORPUS_QUESTIONS = {"23", "24", "25"}

# Hand-made inputs for the tests: broken sources, the graph view's fixture, SPARQL cases.
FIXTURES = Path(__file__).parent / "fixtures"
