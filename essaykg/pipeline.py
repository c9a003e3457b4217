"""The build: load, verify anchors, validate, render, write. `python build.py` runs it."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import pyoxigraph as ox

from . import config
from .load import LoadError, load_sources, store_of


class BuildError(Exception):
    """The sources are wrong; the message lists every problem found by the failing step."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--source", type=Path, default=None,
                        help="the essay's text, to verify every quote and offset against "
                             f"(default: {config.DEFAULT_SOURCE} when it exists)")
    parser.add_argument("--out", type=Path, default=config.OUTPUT_DIR,
                        help="the output folder (default: output/)")
    parser.add_argument("--graph-dir", type=Path, default=config.GRAPH_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--ontology-dir", type=Path, default=config.ONTOLOGY_DIR, help=argparse.SUPPRESS)
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the final summary line")


def resolve_source(requested: Path | None) -> Path | None:
    """The text to verify against, or None (allowed only outside CI) when there is none."""
    if requested is not None:
        if not requested.is_file():
            raise BuildError(f"--source {requested}: no such file")
        return requested
    if config.DEFAULT_SOURCE.is_file():
        return config.DEFAULT_SOURCE
    if config.in_ci():
        raise BuildError(f"the essay's text is missing ({config.DEFAULT_SOURCE}); in CI the anchors "
                         "must be verified, so this is a failure. Pass --source PATH.")
    return None


def _data_graph_triples(quads: list[ox.Quad]) -> list[ox.Triple]:
    """What SHACL validates: every data graph except the claims' assertion graphs."""
    assertion = config.PREFIXES["assertion"]
    return [q.triple for q in quads if not q.graph_name.value.startswith(assertion)]


def build(source: Path | None = None, out_dir: Path = config.OUTPUT_DIR, *,
          graph_dir: Path = config.GRAPH_DIR, ontology_dir: Path = config.ONTOLOGY_DIR,
          log=print) -> dict:
    """Run the whole build; return the summary. Raises BuildError, LoadError or export.WriteError."""
    from . import anchors, export, summary as summary_mod, validate

    started = time.perf_counter()

    def step(message: str) -> None:
        log(f"[{time.perf_counter() - started:5.2f}s] {message}")

    source_path = resolve_source(source)
    sources = load_sources(graph_dir, ontology_dir)
    step(f"loaded {len(sources.data)} quads from {len(sources.files)} files")

    problems = validate.shacl(_data_graph_triples(sources.data), sources.shapes)
    if problems:
        raise BuildError("SHACL validation failed:\n" + "\n".join(f"  {p}" for p in problems))
    step("SHACL: conforms")

    data = store_of(sources.data)
    verified = None
    source_sha = None
    if source_path is None:
        step("WARNING: no source text found: anchors were NOT verified (pass --source PATH)")
    else:
        try:
            text = anchors.SourceText.read(source_path)
            report = anchors.verify(data, text)
        except anchors.AnchorError as err:
            raise BuildError(f"anchors do not match {source_path}:\n{err}") from None
        except (OSError, UnicodeDecodeError) as err:
            raise BuildError(f"cannot read the essay's text {source_path}: {err}") from None
        verified, source_sha = report.verified, text.sha256
        step(f"verified {report.verified} anchors against {source_path.name} "
             f"(paragraphs with anchors: {len(report.paragraphs_covered)}/{report.paragraphs_total})")

    checks = validate.load_checks(ontology_dir / "checks")
    problems = validate.run_checks(store_of(sources.data, sources.ontology), checks)
    if problems:
        raise BuildError("quality checks failed:\n" + "\n".join(f"  {p}" for p in problems))
    step(f"quality checks: {len(checks)} passed")

    stats = summary_mod.summarize(data, verified, source_sha)
    default_view = _data_graph_triples(sources.data)
    what = "the essay's knowledge graph"
    artifacts = {
        "essay-kg.trig": export.trig(sources.data, what + ", every named graph"),
        "essay-kg.nq": export.n_quads(sources.data),
        "essay-kg.ttl": export.turtle(default_view, what + ", all graphs but the claims' assertion graphs, merged"),
        "essay-kg.nt": export.n_triples(default_view),
        "essay-kg.jsonld": export.jsonld(sources.data),
        "ontology.ttl": export.turtle([q.triple for q in sources.ontology], "the ontology and the reused terms"),
        # Copied as written: its property shapes are blank nodes, whose labels a re-serialization would vary.
        "shapes.ttl": export.header("#", "the SHACL shapes, as written") + (ontology_dir / "shapes.ttl").read_bytes(),
    }
    artifacts.update(_optional_pages(data, stats, ontology_dir, step))
    stats["artifacts"] = {name: len(content) for name, content in sorted(artifacts.items())}
    artifacts["summary.json"] = (json.dumps(stats, indent=2, ensure_ascii=False) + "\n").encode()
    export.write_all(out_dir, artifacts)
    step(f"wrote {len(artifacts)} files to {out_dir}")
    return stats


def _optional_module(name: str):
    """essaykg.<name> if this version has it; a missing dependency inside it is still an error."""
    import importlib

    try:
        return importlib.import_module(f"essaykg.{name}")
    except ModuleNotFoundError as err:
        if err.name != f"essaykg.{name}":
            raise
        return None


def _optional_pages(data: ox.Store, stats: dict, ontology_dir: Path, step) -> dict[str, bytes]:
    """The graph view and the ontology's documentation, from their own modules."""
    pages: dict[str, bytes] = {}
    render = _optional_module("render")
    if render is not None:
        pages.update(render.render_pages(data, stats))
        step("rendered " + ", ".join(sorted(pages)))
    docs = _optional_module("docs")
    if docs is not None:
        doc_pages = docs.ontology_docs(ontology_dir / "ontology.ttl")
        pages.update(doc_pages)
        step("documented the ontology: " + ", ".join(sorted(doc_pages)))
    return pages


def summary_line(stats: dict) -> str:
    verified = (f"{stats['anchors_verified']}/{stats['anchors']} anchors verified"
                if stats["source"]["anchors_verified"] else "anchors NOT verified")
    return (f"built {stats['triples']} triples in {len(stats['graphs'])} graphs "
            f"({stats['claim_graphs']} claim graphs): {stats['entities']} entities, {stats['themes']} themes, "
            f"{stats['claims']} claims, {stats['quotations']} quotations; {verified}; "
            f"paragraphs covered {stats['paragraphs_covered']}/{stats['paragraphs']}")


def run(args: argparse.Namespace) -> int:
    from .export import WriteError

    log = (lambda _msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    try:
        stats = build(args.source, args.out, graph_dir=args.graph_dir, ontology_dir=args.ontology_dir, log=log)
    except (LoadError, BuildError) as err:
        print(f"build failed: {err}", file=sys.stderr)
        print("nothing was written; the previous artifacts are unchanged", file=sys.stderr)
        return 1
    except WriteError as err:
        print(f"build failed: {err}", file=sys.stderr)
        return 3
    print(summary_line(stats))
    return 0
