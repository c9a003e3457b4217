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
from essaykg.build.sources import add_sources_option


class BuildError(Exception):
    """The sources are wrong; the message lists every problem found by the failing step."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--source",
        action="append",
        metavar="[SLUG=]PATH",
        default=None,
        help="an essay's text, to verify its quotes and offsets against: SLUG=PATH for the essay in "
        "graph/essays/SLUG/, or PATH for the essay whose text file has that name (or the only essay); "
        "repeat for several essays (default: each essay's ekg:textFile in --sources)",
    )
    add_sources_option(parser)
    parser.add_argument("--out", type=Path, default=config.OUTPUT_DIR, help="the output folder (default: output/)")
    parser.add_argument("--graph-dir", type=Path, default=config.GRAPH_DIR, help=argparse.SUPPRESS)
    parser.add_argument("--ontology-dir", type=Path, default=config.ONTOLOGY_DIR, help=argparse.SUPPRESS)
    parser.add_argument("-q", "--quiet", action="store_true", help="print only the final summary line")


def resolve_texts(corpus: list, source: Path | list[str] | None, sources_dir: Path | None) -> dict[str, Path | None]:
    """Slug -> the text each essay is verified against, or None (allowed only outside CI)."""
    from essaykg.build import sources as sources_mod

    named: dict[str, Path]
    bare: list[Path]
    if isinstance(source, Path):
        named, bare = {}, [source]
    else:
        named, bare = sources_mod.parse_source_options(source)
    folder = config.SOURCES_DIR if sources_dir is None else sources_dir
    try:
        texts = sources_mod.resolve(corpus, folder, named, bare)
    except sources_mod.SourceError as err:
        raise BuildError(str(err)) from None
    missing = [essay for essay in corpus if texts[essay.slug] is None]
    if missing and config.in_ci():
        raise BuildError(
            "the text of "
            + ", ".join(f"{essay.slug} ({folder / essay.text_file})" for essay in missing)
            + " is missing; in CI the anchors must be verified, so this is a failure. "
            "Pass --source SLUG=PATH or --sources DIR."
        )
    return texts


def _data_graph_triples(quads) -> list[ox.Triple]:
    """What SHACL validates: every data graph except the claims' assertion graphs."""
    return [q.triple for q in quads if not namespaces.is_assertion_graph(q.graph_name.value)]


def _view_graphs(data: ox.Store) -> list[ox.NamedNode | ox.BlankNode]:
    """The graphs SHACL validates and the merged Turtle / N-Triples hold: all but the assertion graphs."""
    return sorted((g for g in data.named_graphs() if not namespaces.is_assertion_graph(g.value)), key=str)


def build(
    source: Path | list[str] | None = None,
    out_dir: Path = config.OUTPUT_DIR,
    *,
    sources_dir: Path | None = None,
    graph_dir: Path = config.GRAPH_DIR,
    ontology_dir: Path = config.ONTOLOGY_DIR,
    log=print,
) -> dict:
    """Run the whole build; return the summary. Raises BuildError, LoadError or export.WriteError.

    ``source``: a text (the essay whose file has that name, or the only essay), or ``--source``
    values (``SLUG=PATH`` or ``PATH``); the other essays' texts come from ``sources_dir`` (default
    config.SOURCES_DIR)."""
    from essaykg.build import anchors, export, validate
    from essaykg.build import sources as sources_mod
    from essaykg.build import summary as summary_mod
    from essaykg.view import pages as view

    started = time.perf_counter()

    def step(message: str) -> None:
        log(f"[{time.perf_counter() - started:5.2f}s] {message}")

    sources = load_sources(graph_dir, ontology_dir)
    data = sources.data
    quad_count = len(data)
    step(f"loaded {quad_count} quads from {len(sources.files)} files")

    view_graphs = _view_graphs(data)
    problems, engine = _shacl(data, quad_count, sources.shapes)
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

    corpus = sources_mod.essays(data)
    texts = resolve_texts(corpus, source, sources_dir)
    verified: dict[str, int] = {}
    essay_texts: dict[str, str] = {}  # slug -> the words, for the readers
    for essay in corpus:
        path = texts[essay.slug]
        if path is None:
            step(
                f"WARNING: the text of {essay.slug} ({essay.text_file}) is not in "
                f"{config.SOURCES_DIR if sources_dir is None else sources_dir}: its anchors were NOT verified "
                f"(pass --source {essay.slug}=PATH)"
            )
            continue
        try:
            text = anchors.SourceText.read(path)
            report = anchors.verify(data, text, essay.iri)
        except anchors.AnchorError as err:
            raise BuildError(f"anchors of essay {essay.slug} do not match {path}:\n{err}") from None
        except (OSError, UnicodeDecodeError) as err:
            raise BuildError(f"cannot read the text of essay {essay.slug}, {path}: {err}") from None
        verified[essay.slug] = report.verified
        essay_texts[essay.slug] = text.text
        step(
            f"{essay.slug}: verified {report.verified} anchors against {path.name} "
            f"(paragraphs with anchors: {len(report.paragraphs_covered)}/{report.paragraphs_total})"
        )
        if _check_mentions(graph_dir, essay.slug, path):
            step(f"{essay.slug}: mentions.trig is what `python build.py mentions` writes")

    problems = _run_checks(data, sources, checks)
    if problems:
        raise BuildError("quality checks failed:\n" + "\n".join(f"  {p}" for p in problems))
    step(f"quality checks: {len(checks)} passed")

    earlier = _earlier_artifacts(out_dir)
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
        stats = summary_mod.summarize(data, corpus, verified)
        step("summarized")
        try:
            staging.add(
                view.render_all(
                    data,
                    stats,
                    sources.ontology,
                    ontology_dir / "ontology.ttl",
                    essay_texts,
                    step,
                )
            )
        except view.ViewError as err:
            raise BuildError(str(err)) from None

        def summary_file(sizes: dict[str, int]) -> dict[str, bytes]:
            stats["artifacts"] = dict(sorted(sizes.items()))
            return {"summary.json": (json.dumps(stats, indent=2, ensure_ascii=False) + "\n").encode()}

        staging.commit(then=summary_file)
    try:
        _remove_stale(out_dir, earlier - set(stats["artifacts"]) - {"summary.json"})
    except KeyboardInterrupt:
        pass  # pressed after the new artifacts were in place: the build is done, a stale file may stay
    step(f"wrote {len(stats['artifacts']) + 1} files to {out_dir}")
    return stats


def _earlier_artifacts(out_dir: Path) -> set[str]:
    """The files the last build wrote into ``out_dir``, as its summary.json lists them."""
    try:
        listed = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))["artifacts"]
    except (OSError, ValueError, KeyError, TypeError):
        return set()
    return {name for name in listed if isinstance(name, str)} if isinstance(listed, dict) else set()


def _remove_stale(out_dir: Path, names: set[str]) -> None:
    """Remove what an earlier build wrote and this one did not (argument.html before the pages moved
    into essays/SLUG/, the pages of an essay since removed), so output/ holds one build. Only plain
    relative names inside ``out_dir`` are touched; emptied folders go too."""
    root = out_dir.resolve()
    for name in sorted(names):
        path = (out_dir / name).resolve()
        if Path(name).is_absolute() or ".." in Path(name).parts or not path.is_relative_to(root):
            continue
        try:
            path.unlink(missing_ok=True)
            for folder in path.parents:
                if folder == root or not folder.is_dir() or any(folder.iterdir()):
                    break
                folder.rmdir()
        except OSError:
            continue  # a stale file that cannot go is left; the new artifacts are in place


def _check_mentions(graph_dir: Path, slug: str, source_path: Path) -> bool:
    """An essay's mentions.trig must be what `python build.py mentions` writes from the names and
    the text. Only the project's essay has the command's rules (mentions-settled.tsv): in the
    project's graph/ its file must be there; elsewhere (a synthetic corpus for benchmarks) a folder
    without the file is not checked, and no other essay is. True when the file was checked."""
    from essaykg.build import mentions
    from essaykg.build.load import LoadError

    project = graph_dir.resolve() == config.GRAPH_DIR.resolve()
    if slug != mentions.ESSAY_DIR.name or not (project or (graph_dir / mentions.OUTPUT).is_file()):
        return False
    try:
        problem = mentions.stale(graph_dir, source_path)
    except (mentions.MentionError, LoadError) as err:
        problem = str(err)
    if problem:
        raise BuildError(
            f"the mentions are not current: {problem}\n"
            f"run `{config.COMMAND} mentions` to rewrite graph/{mentions.OUTPUT}"
        )
    return True


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


def _shacl(data: ox.Store, quad_count: int, shapes: list[ox.Triple]) -> tuple[list, str]:
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
    unverified = sorted(slug for slug, essay in stats["essays"].items() if not essay["verified"])
    verified = f"{stats['anchors_verified']}/{stats['anchors']} anchors verified" + (
        f" (NOT verified: {', '.join(unverified)})" if unverified else ""
    )
    essays = f"{len(stats['essays'])} essays: " if len(stats["essays"]) > 1 else ""
    return (
        f"built {essays}{stats['triples']} triples in {len(stats['graphs'])} graphs "
        f"({stats['claim_graphs']} claim graphs): {stats['entities']} entities, {stats['themes']} themes, "
        f"{stats['claims']} claims, {stats['quotations']} quotations; {verified}; "
        f"paragraphs covered {stats['paragraphs_covered']}/{stats['paragraphs']}"
    )


def run(args: argparse.Namespace) -> int:
    from essaykg.build.export import WriteError

    log = (lambda _msg: None) if args.quiet else (lambda msg: print(msg, file=sys.stderr))
    try:
        stats = build(
            args.source,
            args.out,
            sources_dir=args.sources,
            graph_dir=args.graph_dir,
            ontology_dir=args.ontology_dir,
            log=log,
        )
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
