"""The build: load, verify anchors, validate, render, write. `python build.py` runs it."""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox

from essaykg import config, namespaces
from essaykg.build.load import LoadError, load_sources, store_of


class BuildError(Exception):
    """The sources are wrong; the message lists every problem found by the failing step."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        type=Path,
        default=None,
        help="the essay's text, to verify every quote and offset against "
        f"(default: {config.DEFAULT_SOURCE} when it exists)",
    )
    parser.add_argument("--out", type=Path, default=config.OUTPUT_DIR, help="the output folder (default: output/)")
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
        raise BuildError(
            f"the essay's text is missing ({config.DEFAULT_SOURCE}); in CI the anchors "
            "must be verified, so this is a failure. Pass --source PATH."
        )
    return None


def _data_graph_triples(quads) -> list[ox.Triple]:
    """What SHACL validates: every data graph except the claims' assertion graphs."""
    return [q.triple for q in quads if not namespaces.is_assertion_graph(q.graph_name.value)]


def _view_graphs(data: ox.Store) -> list[ox.NamedNode | ox.BlankNode]:
    """The graphs SHACL validates and the merged Turtle / N-Triples hold: all but the assertion graphs."""
    return sorted((g for g in data.named_graphs() if not namespaces.is_assertion_graph(g.value)), key=str)


def build(
    source: Path | None = None,
    out_dir: Path = config.OUTPUT_DIR,
    *,
    graph_dir: Path = config.GRAPH_DIR,
    ontology_dir: Path = config.ONTOLOGY_DIR,
    log=print,
) -> dict:
    """Run the whole build; return the summary. Raises BuildError, LoadError or export.WriteError."""
    from essaykg.build import anchors, export, validate
    from essaykg.build import summary as summary_mod
    from essaykg.view import pages as view

    started = time.perf_counter()

    def step(message: str) -> None:
        log(f"[{time.perf_counter() - started:5.2f}s] {message}")

    source_path = resolve_source(source)
    sources = load_sources(graph_dir, ontology_dir)
    data = sources.data
    quad_count = len(data)
    step(f"loaded {quad_count} quads from {len(sources.files)} files")

    view_graphs = _view_graphs(data)
    problems, engine = _shacl(data, quad_count, view_graphs, sources.shapes)
    checks = validate.load_checks(ontology_dir / "checks")
    if problems:
        # The quality checks run too: a typo (schema:nmae) shows in SHACL only as a missing
        # schema:name; the undefined-term check names the typo itself.
        found = _run_checks(data, sources, checks)
        raise BuildError(
            "SHACL validation failed:\n"
            + "\n".join(f"  {p}" for p in problems)
            + ("\nquality checks failed:\n" + "\n".join(f"  {p}" for p in found) if found else "")
        )
    step("SHACL: conforms" + engine)

    verified = None
    source_sha = None
    text = None
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
        step(
            f"verified {report.verified} anchors against {source_path.name} "
            f"(paragraphs with anchors: {len(report.paragraphs_covered)}/{report.paragraphs_total})"
        )
        _check_mentions(graph_dir, source_path)
        step("mentions: graph/essays/her-2023/mentions.trig is what `python build.py mentions` writes")

    problems = _run_checks(data, sources, checks)
    if problems:
        raise BuildError("quality checks failed:\n" + "\n".join(f"  {p}" for p in problems))
    step(f"quality checks: {len(checks)} passed")

    with export.Staging(out_dir) as staging:
        # Written first: on a large graph Oxigraph writes these on threads while the pages are made.
        staging.add(_rdf_artifacts(data, quad_count, view_graphs))
        staging.add(
            {
                "ontology.ttl": export.turtle(
                    [q.triple for q in sources.ontology], "the ontology and the reused terms"
                ),
                # Copied as written: its property shapes are blank nodes, whose labels a re-serialization would vary.
                "shapes.ttl": export.header("#", "the SHACL shapes, as written")
                + (ontology_dir / "shapes.ttl").read_bytes(),
            }
        )
        stats = summary_mod.summarize(data, verified, source_sha)
        step("summarized")
        try:
            staging.add(
                view.render_all(
                    data,
                    stats,
                    sources.ontology,
                    ontology_dir / "ontology.ttl",
                    None if text is None else text.text,
                    step,
                )
            )
        except view.ViewError as err:
            raise BuildError(str(err)) from None

        def summary_file(sizes: dict[str, int]) -> dict[str, bytes]:
            stats["artifacts"] = dict(sorted(sizes.items()))
            return {"summary.json": (json.dumps(stats, indent=2, ensure_ascii=False) + "\n").encode()}

        staging.commit(then=summary_file)
    step(f"wrote {len(stats['artifacts']) + 1} files to {out_dir}")
    return stats


def _check_mentions(graph_dir: Path, source_path: Path) -> None:
    """mentions.trig must be what `python build.py mentions` writes from the names and the text.
    Checked for the project's graph/ and for any graph folder that has the file (a synthetic corpus
    for benchmarks has none)."""
    from essaykg.build import mentions
    from essaykg.build.load import LoadError

    if graph_dir.resolve() != config.GRAPH_DIR.resolve() and not (graph_dir / mentions.OUTPUT).is_file():
        return
    try:
        problem = mentions.stale(graph_dir, source_path)
    except (mentions.MentionError, LoadError) as err:
        problem = str(err)
    if problem:
        raise BuildError(
            f"the mentions are not current: {problem}\n"
            f"run `{config.COMMAND} mentions` to rewrite graph/essays/her-2023/mentions.trig"
        )


def _rdf_artifacts(data: ox.Store, quad_count: int, view_graphs: list[ox.NamedNode | ox.BlankNode]) -> dict:
    """The graph in five RDF formats: sorted by Python up to export.SORTED_LIMIT quads, written
    by Oxigraph from the store above it."""
    from essaykg.build import export

    what = "the essay's knowledge graph"
    if quad_count > export.SORTED_LIMIT:
        return export.store_writers(data, view_graphs, what)
    quads = list(data)
    ordered = export.sorted_quads(quads)  # sorted once for the three writers of every graph
    ordered_view = export.sorted_triples(_data_graph_triples(quads))
    return {
        "essay-kg.trig": export.trig(ordered, what + ", every named graph"),
        "essay-kg.nq": export.n_quads(ordered),
        "essay-kg.ttl": export.turtle(ordered_view, what + ", all graphs but the claims' assertion graphs, merged"),
        "essay-kg.nt": export.n_triples(ordered_view),
        "essay-kg.jsonld": export.jsonld(ordered),
    }


def _shacl(
    data: ox.Store, quad_count: int, view_graphs: list[ox.NamedNode | ox.BlankNode], shapes: list[ox.Triple]
) -> tuple[list, str]:
    """SHACL problems and how they were found: pySHACL up to validate.PYSHACL_LIMIT quads, above
    that the same shapes compiled to SPARQL (pySHACL takes minutes on 10^5 triples)."""
    from essaykg.build import validate

    if quad_count > validate.PYSHACL_LIMIT:
        try:
            with _assertion_graphs_set_aside(data):
                problems = validate.shacl_sparql(data, None, shapes)
            return problems, f" ({quad_count} quads: the shapes run as SPARQL queries)"
        except validate.ShaclUnsupported:
            pass
    return validate.shacl(_data_graph_triples(data), shapes), ""


@contextmanager
def _assertion_graphs_set_aside(data: ox.Store):
    """Without the claims' assertion graphs (a small share of the quads) for a while, so the store's
    union of graphs is the data SHACL validates."""
    graphs = [g for g in data.named_graphs() if namespaces.is_assertion_graph(g.value)]
    held = [q for g in graphs for q in data.quads_for_pattern(None, None, None, g)]
    for graph in graphs:
        data.remove_graph(graph)
    try:
        yield
    finally:
        data.bulk_extend(held)


def _run_checks(data: ox.Store, sources, checks) -> list:
    """The quality checks over the data and the ontology graph. The ontology is added to the data's
    store for the checks and removed after them, rather than copying a large graph into a second store."""
    from essaykg.build import validate
    from essaykg.build.load import ONTOLOGY_GRAPH

    if next(iter(data.quads_for_pattern(None, None, None, ONTOLOGY_GRAPH)), None) is not None:
        return validate.run_checks(store_of(sources.data, sources.ontology), checks)  # the data uses that graph name
    data.bulk_extend(sources.ontology)
    try:
        return validate.run_checks(data, checks)
    finally:
        data.remove_graph(ONTOLOGY_GRAPH)


def summary_line(stats: dict) -> str:
    verified = (
        f"{stats['anchors_verified']}/{stats['anchors']} anchors verified"
        if stats["source"]["verified"]
        else "anchors NOT verified"
    )
    return (
        f"built {stats['triples']} triples in {len(stats['graphs'])} graphs "
        f"({stats['claim_graphs']} claim graphs): {stats['entities']} entities, {stats['themes']} themes, "
        f"{stats['claims']} claims, {stats['quotations']} quotations; {verified}; "
        f"paragraphs covered {stats['paragraphs_covered']}/{stats['paragraphs']}"
    )


def run(args: argparse.Namespace) -> int:
    from essaykg.build.export import WriteError

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
    except KeyboardInterrupt:
        print("build interrupted: nothing was written; the previous artifacts are unchanged", file=sys.stderr)
        return 130
    print(summary_line(stats))
    return 0
