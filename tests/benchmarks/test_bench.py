"""The benchmark's own logic: statistics, the step-log parser, the load generator, the synthetic
corpus, and the rewrites it measures beside the originals. Nothing here times anything."""
from __future__ import annotations

import math
import os
import random
import shutil
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from _golden import FIXTURES

from benchmarks import bench, synth
from essaykg import config, namespaces
from essaykg.build import pipeline, validate
from essaykg.build.load import load_graph_dir, load_sources, store_of
from essaykg.cli import main
from essaykg.query import sparql
from essaykg.view import shown

BROKEN = FIXTURES / "broken"


# ---------------------------------------------------------------------------- statistics


def test_median_and_percentile():
    assert bench.median([3, 1, 2]) == 2
    assert bench.median([4, 1, 2, 3]) == 2.5
    assert math.isnan(bench.median([]))
    values = list(range(1, 101))
    assert bench.percentile(values, 50) == 50
    assert bench.percentile(values, 95) == 95
    assert bench.percentile(values, 99) == 99
    assert bench.percentile(values, 100) == 100
    assert bench.percentile([7.0], 99) == 7.0
    assert bench.percentile([5, 1, 3], 0) == 1


def test_fit_exponent_recovers_a_power_law():
    xs = [1e4, 1e5, 1e6]
    fit = bench.fit_exponent(xs, [3 * x ** 1.5 for x in xs])
    assert fit["exponent"] == pytest.approx(1.5)
    assert fit["coefficient"] == pytest.approx(3.0)
    assert fit["r2"] == pytest.approx(1.0)
    linear = bench.fit_exponent(xs, [2e-6 * x for x in xs])
    assert linear["exponent"] == pytest.approx(1.0)
    assert bench.fit_exponent([1e4], [1.0])["exponent"] is None  # one point is no fit
    assert bench.fit_exponent([1e4, 1e5], [0.0, None])["points"] == 0  # missing figures are skipped


def test_step_log_is_parsed_into_phases():
    log = ("[ 0.02s] loaded 2013 quads from 10 files\n"
           "[ 0.88s] SHACL: conforms\n"
           "[ 0.89s] verified 75 anchors against x.txt (paragraphs with anchors: 28/28)\n"
           "[ 0.92s] quality checks: 11 passed\n"
           "[ 0.99s] summarized\n"
           "[ 2.50s] rendered graph.html, themes.html\n"
           "[ 3.00s] documented the ontology: ontology.html\n"
           "[ 3.05s] wrote 11 files to /tmp/out\n"
           "built 2013 triples ...\n")
    steps = bench.parse_steps(log)
    assert len(steps) == 8 and steps[0] == (0.02, "loaded 2013 quads from 10 files")
    phases = bench.step_durations(steps)
    assert list(phases) == ["load", "SHACL", "anchors", "quality checks", "summary",
                            "render (RDF files written meanwhile)", "ontology docs (pyLODE)", "write (the rest)"]
    assert phases["SHACL"] == pytest.approx(0.86)
    assert sum(phases.values()) == pytest.approx(3.05)


def test_profile_summary_names_the_parts():
    rows = [
        {"function": "main", "file": "/x/essaykg/cli.py", "line": 1, "calls": 1, "own": 0.01, "cumulative": 4.0},
        {"function": "shacl", "file": "/x/essaykg/build/validate.py", "line": 2, "calls": 1, "own": 0.1, "cumulative": 1.2},
        {"function": "trig", "file": "/x/essaykg/build/export.py", "line": 3, "calls": 1, "own": 0.1, "cumulative": 0.2},
        {"function": "jsonld", "file": "/x/essaykg/build/export.py", "line": 4, "calls": 1, "own": 0.2, "cumulative": 0.3},
        {"function": "render_pages", "file": "/x/essaykg/view/graph_page.py", "line": 5, "calls": 1, "own": 0.0,
         "cumulative": 1.5},
    ]
    summary = bench.summarize_profile(rows)
    assert summary["total"] == 4.0
    assert summary["parts"]["SHACL (pySHACL)"] == 1.2
    assert summary["parts"]["serialize (TriG, N-Quads, Turtle, N-Triples, JSON-LD)"] == pytest.approx(0.5)
    assert summary["parts"]["graph view (render)"] == 1.5
    assert summary["top_own_time"][0]["function"] == "export.py:4(jsonld)"


def test_machine_description_has_what_the_figures_need():
    m = bench.machine()
    for key in ("cpu", "cores", "cores_available", "memory_bytes", "python", "libraries", "load_average"):
        assert key in m, key
    assert m["libraries"]["pyoxigraph"]
    text = bench.describe_machine(m)
    assert "cores" in text and "Python" in text


def test_run_measured_reports_exit_code_memory_and_timeout():
    done = bench._python("import sys; x = bytearray(30 * 2**20); print('ok'); sys.exit(3)")
    assert done["returncode"] == 3 and done["stdout"].strip() == "ok"
    assert done["max_rss_bytes"] > 30 * 2**20  # the 30 MiB it touched, seen through wait4
    slow = bench._python("import time; time.sleep(30)", timeout=0.5)
    assert slow["timed_out"] and slow["seconds"] < 10


def test_tree_rss_counts_this_process():
    assert bench.tree_rss(os.getpid()) > 10 * 2**20


# ---------------------------------------------------------------------------- the load generator


class _Stub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fail_every = 0
    count = 0
    lock = threading.Lock()

    def do_GET(self):
        with _Stub.lock:
            _Stub.count += 1
            n = _Stub.count
        status = 500 if self.fail_every and n % self.fail_every == 0 else 200
        body = b'{"label": "Samantha"}' if status == 200 else b"boom"
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    _Stub.count, _Stub.fail_every = 0, 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_load_test_counts_requests_and_no_errors(stub):
    result = bench.load_test("127.0.0.1", stub.server_address[1], "/x", clients=4, duration=0.4,
                             expect=b"Samantha", warmup=0.05)
    assert result["errors"] == 0 and result["first_error"] is None
    assert result["requests"] > 0 and result["rps"] == pytest.approx(result["requests"] / 0.4)
    assert result["p50"] <= result["p99"] <= result["max"]


def test_load_test_counts_server_errors_and_wrong_bodies(stub):
    _Stub.fail_every = 3
    result = bench.load_test("127.0.0.1", stub.server_address[1], "/x", clients=2, duration=0.3, expect=b"Samantha",
                             warmup=0.0)
    assert result["errors"] > 0
    assert result["first_error"].startswith("HTTP 500")
    wrong = bench.load_test("127.0.0.1", stub.server_address[1], "/x", clients=1, duration=0.2,
                            expect=b"not in the body", warmup=0.0)
    assert wrong["requests"] == 0 and wrong["errors"] > 0


WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:1/x
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.10ms  300.00us   4.00ms   80.00%
  Latency Distribution
     50%    1.00ms
     75%    1.20ms
     90%    1.50ms
     99%    2.50ms
  7000 requests in 1.00s, 1.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   6990.50
Transfer/sec:      1.00MB
"""


def test_parse_wrk_reads_rate_p99_and_errors():
    assert bench.parse_wrk(WRK_OUTPUT) == {"rps": 6990.5, "p99": 0.0025, "requests": 7000, "errors": 7}
    with pytest.raises(ValueError):
        bench.parse_wrk("wrk: connection refused")


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (apt-get install wrk)")
def test_wrk_against_a_stub_counts_requests_and_errors(stub):
    url = f"http://127.0.0.1:{stub.server_address[1]}/x"
    good = bench.wrk(url, connections=2, duration=1)
    assert good["requests"] > 0 and good["errors"] == 0 and good["rps"] > 0
    _Stub.fail_every = 3
    bad = bench.wrk(url, connections=2, duration=1)
    assert bad["errors"] > 0


def test_load_test_counts_a_refused_connection_as_errors():
    port = bench.free_port()  # nothing listens there
    result = bench.load_test("127.0.0.1", port, "/x", clients=1, duration=0.2, warmup=0.0)
    assert result["requests"] == 0 and result["errors"] > 0
    assert "Refused" in result["first_error"] or "Errno" in result["first_error"]


def test_report_renders_every_part():
    m = bench.machine()
    results = {
        "machine": m,
        "build": {"build_seconds": [1.0, 1.2], "build_median": 1.1, "floor_median": 0.5, "ratio": 2.2,
                  "dependencies": ["rdflib"], "phases_median": {"load": 0.1},
                  "profile": {"parts": {"SHACL (pySHACL)": 0.9}}},
        "queries": {"repeat": 3, "queries": [{"query": "01-x", "oxigraph_median": 0.001, "oxigraph_p95": 0.002,
                                              "rdflib_median": 0.01, "rdflib_p95": 0.02, "ratio": 10.0}],
                    "under_5ms": 1, "saved": 1, "ratio_median": 10.0,
                    "load_seconds": {"oxigraph": 0.01, "rdflib": 0.3}},
        "endpoint": {"duration_per_level": 1, "servers": {
            "essaykg serve": {"repeated": [{"connections": 8, "rps": 900.0, "p99": 0.003, "errors": 0}],
                              "distinct": [{"connections": 8, "rps": 300.0, "p99": 0.009, "errors": 0}],
                              "rss_peak_bytes": 2**27},
            "oxigraph serve-read-only": {"repeated": [{"connections": 8, "rps": 1800.0, "p99": 0.001, "errors": 0}],
                                         "distinct": [{"connections": 8, "rps": 1200.0, "p99": 0.002, "errors": 0}],
                                         "rss_peak_bytes": 2**25}},
            "throughput_ratio_ours_over_oxigraph": {"repeated": {"8": 0.5}, "distinct": {"8": 0.25}}, "note": "wrk"},
        "scale": {"sizes": [{"triples": 10000, "build_seconds": 2.0, "build_ok": True, "build_max_rss_bytes": 2**28,
                             "load_seconds": 0.1, "load_rss_bytes": 2**26, "query_median_of_medians": 0.002,
                             "query_worst": ["18-x", 0.5], "query_timed_out": [], "page": {"seconds": 0.9},
                             "pyshacl_seconds": 2.0}],
                  "exponents": {"build_seconds": bench.fit_exponent([1e4, 1e5], [1, 10])},
                  "broke": [{"what": "SHACL with pySHACL", "size": 100000, "limit_seconds": 90}],
                  "check_rewrites_applied": ["theme-unused"]},
    }
    text = bench.report(results)
    assert "essaykg serve             repeated            8    900    3.00       0       128            0.500" in text
    assert "distinct            8    300    9.00       0       128            0.250" in text
    for expected in ("## Build", "ratio build / floor", "## Saved queries", "## Endpoint", "## Scale",
                     "what broke first: SHACL with pySHACL at 100000 triples", "check rewrites applied: theme-unused"):
        assert expected in text, expected


def test_unknown_part_is_a_usage_error(capsys):
    assert main(["bench", "--only", "speed"]) == 2
    assert "unknown part 'speed'" in capsys.readouterr().err


# ---------------------------------------------------------------------------- the synthetic corpus


def test_synthetic_corpus_is_seeded_and_sized():
    a = synth.generate_text(1_500, seed=7)
    b = synth.generate_text(1_500, seed=7)
    c = synth.generate_text(1_500, seed=8)
    assert a.files == b.files and a.source == b.source
    assert a.files != c.files
    assert 1_350 <= a.triples <= 1_650
    big = synth.generate_text(6_000, seed=1)
    assert 5_400 <= big.triples <= 6_600
    assert big.counts["claims"] > a.counts["claims"]


def test_synthetic_corpus_builds_with_the_real_pipeline(tmp_path):
    corpus = synth.generate(1_500, tmp_path / "corpus", seed=3)
    quads, _files = load_graph_dir(corpus.graph_dir)
    assert len(quads) == corpus.triples  # the generator's own count is the loader's
    stats = pipeline.build(corpus.source, tmp_path / "out", graph_dir=corpus.graph_dir, log=lambda _m: None)
    assert stats["triples"] == corpus.triples
    assert stats["anchors_verified"] == stats["anchors"] == corpus.counts["anchors"]
    assert stats["claims"] == corpus.counts["claims"]
    assert stats["quotations"] == corpus.counts["quotations"]
    assert stats["paragraphs_covered"] == stats["paragraphs"] == corpus.counts["paragraphs"]
    assert stats["claim_graphs"] == corpus.counts["assertion_graphs"]
    assert (tmp_path / "out" / "graph.html").is_file()
    # the other SHACL engine agrees that it conforms
    sources = load_sources(corpus.graph_dir)
    store = store_of(sources.data)
    graphs = [g for g in store.named_graphs() if not g.value.startswith(namespaces.PREFIXES["assertion"])]
    assert validate.shacl_sparql(store, graphs, sources.shapes) == []


def test_a_synthetic_text_that_does_not_match_fails_the_build(tmp_path):
    corpus = synth.generate(1_200, tmp_path / "corpus", seed=4)
    corpus.source.write_text(corpus.source.read_text(encoding="utf-8").replace("a", "o", 1), encoding="utf-8")
    with pytest.raises(pipeline.BuildError, match="checksum mismatch"):
        pipeline.build(corpus.source, tmp_path / "out", graph_dir=corpus.graph_dir, log=lambda _m: None)


def test_large_graphs_validate_with_sparql_and_draw_a_filtered_view(tmp_path, monkeypatch):
    """The switches the scale benchmark relies on, at a small size: lower the thresholds."""
    monkeypatch.setattr(validate, "PYSHACL_LIMIT", 100)
    monkeypatch.setattr(shown, "VIEW_NODES", 30)
    corpus = synth.generate(1_500, tmp_path / "corpus", seed=5)
    lines = []
    stats = pipeline.build(corpus.source, tmp_path / "out", graph_dir=corpus.graph_dir, log=lines.append)
    assert any("SHACL: conforms (" in line and "as SPARQL queries" in line for line in lines), lines
    rendered = next(line for line in lines if "rendered" in line)
    assert "a filtered view" in rendered and f"of {stats['nodes']} nodes" in rendered
    page = (tmp_path / "out" / "graph.html").read_text(encoding="utf-8")
    assert "claim/c0" in page  # the first claims are drawn
    assert '<p id="view-note" class="status">Showing part of the graph: a filtered view: ' in page
    assert f"of {stats['nodes']} nodes; the view draws at most 30." in page


# ---------------------------------------------------------------------------- the rewrites it measures


def _rows(store, query: str) -> list[tuple]:
    return sorted(tuple(str(v) for v in row) for row in store.query(query, use_default_graph_as_union=True))


def _mutated_corpora(n: int = 6):
    """Small synthetic graphs with triples dropped at random: paragraphs, themes and quotations lose
    what covers or matches them, so the checks have rows to find."""
    corpus = synth.generate_text(900, seed=11)
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        quads, _ = load_graph_dir(corpus.write(Path(tmp)).graph_dir)
    rng = random.Random(5)
    for _ in range(n):
        kept = [q for q in quads if rng.random() > 0.08]
        yield kept


def test_check_rewrites_find_the_same_rows_as_the_originals():
    ontology = load_sources().ontology
    stores = [store_of(load_sources().data, ontology)]
    for case in ("quotation-text-mismatch.trig", "theme-unused.trig"):
        extra = list(ox.parse(path=str(BROKEN / case), format=ox.RdfFormat.TRIG, base_iri=namespaces.BASE))
        stores.append(store_of(load_sources().data, extra, ontology))
    stores += [store_of(quads, ontology) for quads in _mutated_corpora()]
    found_rows = 0
    for name, (old, new) in bench.CHECK_REWRITES.items():
        current = (config.CHECKS_DIR / f"{name}.rq").read_text(encoding="utf-8")
        # ontology/checks/ now holds the MINUS forms: rebuild the FILTER NOT EXISTS original from them.
        original = current.replace(new, old) if new in current else current
        assert old in original, name
        rewritten = original.replace(old, new)
        for store in stores:
            expected = _rows(store, original)
            assert _rows(store, rewritten) == expected, name
            found_rows += len(expected)
    assert found_rows > 0  # the cases did exercise the checks


def test_query_rewrites_give_the_same_answers(built):
    stores = [sparql.load_store(built.out_dir)]
    stores += [store_of(quads) for quads in _mutated_corpora(4)]
    compared = 0
    for saved in sparql.saved_queries():
        old, new = bench.QUERY_REWRITES.get(saved.name, (None, None))
        if not old:
            continue
        # queries/ may already hold the MINUS form: compare it with the FILTER NOT EXISTS original.
        original = saved.text.replace(new, old) if new in saved.text else saved.text
        assert old in original, saved.name
        for store in stores:
            assert _rows(store, original.replace(old, new)) == _rows(store, original), saved.name
        compared += 1
    assert compared == len(bench.QUERY_REWRITES)
    names = [name for name, _text in bench.saved_with_rewrites()]
    assert len([n for n in names if not n.endswith(bench.PROPOSED)]) == len(sparql.saved_queries())


def test_patched_ontology_rewrites_only_what_still_needs_it(tmp_path):
    ontology, applied = bench.patched_ontology(tmp_path)
    for name in bench.CHECK_REWRITES:
        text = (ontology / "checks" / f"{name}.rq").read_text(encoding="utf-8")
        assert bench.CHECK_REWRITES[name][0] not in text
        assert (name in applied) == (bench.CHECK_REWRITES[name][0] in (config.CHECKS_DIR / f"{name}.rq").read_text(
            encoding="utf-8"))
    assert sorted(p.name for p in (ontology / "checks").glob("*.rq")) == sorted(
        p.name for p in config.CHECKS_DIR.glob("*.rq"))
    # a second call starts from a fresh copy
    assert bench.patched_ontology(tmp_path)[1] == applied


def test_build_dependencies_are_measured_from_a_real_build(tmp_path, source_path):
    deps = bench.build_dependencies(tmp_path / "out")
    assert {"rdflib", "pyoxigraph", "pyshacl"} <= set(deps)
    assert not any(d.startswith("essaykg") for d in deps)
