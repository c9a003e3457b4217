"""Hardening: load, faults and interruptions, bounded in count and time, on loopback only.

- load: many concurrent clients against `build.py serve` for a few seconds: no errors, memory bounded;
- a query worker killed in the middle of a query: that client gets an error, the next query works;
- an output folder that cannot be written (a file in the way, a full disk): exit code 3, a clear
  message, the previous artifacts byte for byte, no temporary file left;
- a missing or altered source text: exit code 1, a clear message, nothing written;
- a build interrupted with Ctrl-C (SIGINT) at every step and inside the writing of the files: no
  half-written artifact, no temporary file, the previous artifacts or all the new ones.
Timings are printed, never asserted (except as generous limits on how long a case may hang).
"""
from __future__ import annotations

import http.client
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from _sparql_support import RUNAWAY, make_fixture_data

from benchmarks import bench
from essaykg import config, serve
from essaykg.cli import main

GOOD = "SELECT ?label WHERE { <https://w3id.org/essay-kg/id/samantha> <http://www.w3.org/2000/01/rdf-schema#label> ?label }"
ACCEPT = {"Accept": "application/sparql-results+json"}
cases: dict[str, int] = {}


def _case(kind: str) -> None:
    cases[kind] = cases.get(kind, 0) + 1


def _env() -> dict:
    return dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(config.ROOT), os.environ.get("PYTHONPATH")])))


def _files(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (each essay's pages are in essays/SLUG/), by relative path."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _no_temporary_files(folder: Path) -> None:
    leftovers = [p.relative_to(folder).as_posix() for p in folder.rglob("*")
                 if p.name.startswith(".") or p.name.endswith(".tmp")]
    assert leftovers == [], leftovers


# ---------------------------------------------------------------------------- load


@pytest.fixture(scope="module")
def fixture_data(tmp_path_factory) -> Path:
    return make_fixture_data(tmp_path_factory.mktemp("hardening-data"))


def test_many_clients_for_a_bounded_time(fixture_data):
    port = bench.free_port()
    process = bench.start_our_server(fixture_data, port, workers=2)
    try:
        path = "/sparql?" + urllib.parse.urlencode({"query": GOOD})
        before = bench.tree_rss(process.pid)
        results = [bench.load_test("127.0.0.1", port, path, clients, 1.5, b"Samantha", ACCEPT)
                   for clients in (8, 32)]
        after = bench.tree_rss(process.pid)
        for result in results:
            _case("load levels")
            print(f"\n{result['clients']} clients: {result['requests']} requests, {result['rps']:.0f}/s, "
                  f"p99 {result['p99'] * 1e3:.1f} ms, {result['errors']} errors {result['error_kinds']}")
            assert result["errors"] == 0 and result["error_kinds"] == {}, result["error_kinds"]
            assert result["requests"] > 0
        print(f"server and workers: {before / 2**20:.0f} MiB before, {after / 2**20:.0f} MiB after")
        assert after < 1024 * 2**20  # the server and its two workers, on a small dataset
        assert after - before < 200 * 2**20  # no growth worth the name from thousands of requests
        assert process.poll() is None  # still up
    finally:
        bench.stop(process)


# ---------------------------------------------------------------------------- a worker killed mid-query


def _worker_pids() -> list[int]:
    """Query worker processes started by this process (python -m essaykg.query.worker ...)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and b"essaykg.query.worker" in cmdline:
            pids.append(int(entry.name))
    return pids


def _get(port: int, query: str, timeout: float = 60):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": query}), headers=ACCEPT)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def test_a_worker_killed_mid_query(fixture_data):
    others = set(_worker_pids())  # workers of servers other tests may still hold
    srv = serve.make_server(fixture_data, port=0, timeout=30.0, workers=1)
    srv.start()
    port = srv.server_address[1]
    mine = lambda: sorted(set(_worker_pids()) - others)  # noqa: E731
    try:
        for round_ in range(2):  # twice: the replacement worker can be killed too
            _case("worker killed")
            before = mine()
            assert len(before) == 1, before
            answer: dict = {}
            client = threading.Thread(target=lambda: answer.update(zip(("status", "body"), _get(port, RUNAWAY))))
            client.start()
            time.sleep(0.5)  # the runaway query is running in the worker now
            os.kill(before[0], signal.SIGKILL)
            client.join(30)
            assert not client.is_alive(), "the client was left hanging"
            assert answer["status"] == 503 and b"worker stopped" in answer["body"], answer
            print(f"\nround {round_}: killed worker {before[0]}; the client got {answer['status']}: "
                  f"{answer['body'][:120]!r}")
            assert answer["body"].strip()
            started = time.monotonic()
            status, body = _get(port, GOOD)
            assert status == 200 and b"Samantha" in body, (status, body[:200])
            print(f"the next query answered in {time.monotonic() - started:.2f} s")
            # the replacement is there (read from /proc, which a loaded machine may show a moment late)
            deadline = time.monotonic() + 10
            while not (mine() and mine() != before) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert mine() and mine() != before
    finally:
        srv.stop()


# ---------------------------------------------------------------------------- output that cannot be written


def _build_cli(*args: str, env: dict | None = None, code: str | None = None) -> subprocess.CompletedProcess:
    head = [sys.executable, "-c", code] if code else [sys.executable, "build.py"]
    return subprocess.run(head + list(args), cwd=config.ROOT, capture_output=True, text=True, env=env or _env(),
                          timeout=300)


def test_output_path_under_a_file(tmp_path, source_path):
    _case("unwritable output")
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way")
    done = _build_cli("--quiet", "--out", str(blocker / "out"))
    assert done.returncode == 3, done.stderr
    assert "cannot write to" in done.stderr and "Traceback" not in done.stderr
    assert blocker.read_text() == "in the way"


def test_output_path_is_a_file(tmp_path, source_path):
    _case("unwritable output")
    target = tmp_path / "out"
    target.write_text("a file where the folder should be")
    done = _build_cli("--quiet", "--out", str(target))
    assert done.returncode == 3, done.stderr
    assert "cannot write to" in done.stderr and "Traceback" not in done.stderr
    assert target.read_text() == "a file where the folder should be"


# RLIMIT_FSIZE makes every write past the limit fail with EFBIG, as a full disk fails with ENOSPC:
# the build writes its small files, then fails on a large one, halfway through the set.
FULL_DISK = (
    "import resource, signal, sys\n"
    "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
    "resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[1]), int(sys.argv[1])))\n"
    "from essaykg.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


@pytest.mark.parametrize("where", ["at the first file", "halfway", "at the largest file"])
def test_a_full_disk_leaves_the_previous_artifacts(where, built, tmp_path):
    _case("full disk")
    sizes = sorted(p.stat().st_size for p in built.out_dir.rglob("*") if p.is_file())
    limit = {"at the first file": 0, "halfway": sizes[len(sizes) // 2], "at the largest file": sizes[-1] - 1}[where]
    out = tmp_path / "out"
    shutil.copytree(built.out_dir, out)
    for path in [p for p in out.rglob("*") if p.is_file()]:  # previous artifacts unlike what the build writes
        path.write_bytes(b"previous " + path.name.encode())
    before = _files(out)
    done = _build_cli(str(limit), "build", "--quiet", "--out", str(out), code=FULL_DISK)
    assert done.returncode == 3, done.stderr
    assert "File too large; the previous artifacts are unchanged" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert _files(out) == before
    _no_temporary_files(out)


# ---------------------------------------------------------------------------- the source text


def _source_variants(source_path: Path, folder: Path) -> dict[str, tuple[Path, str]]:
    text = source_path.read_bytes()
    variants = {
        "missing": (folder / "nope.txt", "nope.txt: no such file"),
        "a folder": (folder, "no such file"),
        "one character changed": (folder / "changed.txt", "checksum mismatch"),
        "truncated": (folder / "truncated.txt", "checksum mismatch"),
        "empty": (folder / "empty.txt", "checksum mismatch"),
        "not UTF-8": (folder / "latin1.txt", "cannot read the text of essay her-2023"),
    }
    (folder / "changed.txt").write_bytes(text.replace(b"Theodore", b"Theodora", 1))
    (folder / "truncated.txt").write_bytes(text[: len(text) // 2])
    (folder / "empty.txt").write_bytes(b"")
    (folder / "latin1.txt").write_bytes(text.replace("’".encode(), b"\x92"))
    return variants


def test_missing_or_altered_source_text(tmp_path, source_path, built, capsys):
    folder = tmp_path / "sources"
    folder.mkdir()
    out = tmp_path / "out"
    shutil.copytree(built.out_dir, out)
    before = _files(out)
    for name, (path, message) in _source_variants(source_path, folder).items():
        _case("source text")
        assert main(["build", "--quiet", "--source", str(path), "--out", str(out)]) == 1, name
        err = capsys.readouterr().err
        assert message in err, (name, err)
        assert "previous artifacts are unchanged" in err, name
        assert _files(out) == before, name


# ---------------------------------------------------------------------------- Ctrl-C

# fsync slowed to 0.1 s a file, so that an interrupt can land inside the writing of the files
SLOW_WRITES = (
    "import os, sys, time\n"
    "real = os.fsync\n"
    "def slow(fd):\n"
    "    time.sleep(0.1)\n"
    "    return real(fd)\n"
    "os.fsync = slow\n"
    "from essaykg.cli import main\n"
    "sys.exit(main(sys.argv[1:]))\n"
)
# Files are written as they are made (the RDF files before the summary, the pages after "documented",
# summary.json last, then the renames): the points after "summarized" land inside the writing.
POINTS = [("loaded", 0.0), ("SHACL", 0.0), ("verified", 0.0), ("quality checks", 0.0), ("summarized", 0.0),
          ("rendered", 0.0), ("documented", 0.05), ("documented", 0.2), ("documented", 0.35)]


def _interrupt_build(script: str, args: list[str], after: str, delay: float):
    """Run ``script`` as a build with ``args``; send SIGINT ``delay`` s after a log line containing
    ``after``. Returns the finished process, the log lines seen until then, and all of stderr."""
    process = subprocess.Popen([sys.executable, "-c", script, "build", *args], cwd=config.ROOT,
                               env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seen = []
    try:
        for line in process.stderr:
            seen.append(line)
            if after in line:
                time.sleep(delay)
                process.send_signal(signal.SIGINT)
                break
        _out, rest_err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    return process, seen, "".join(seen) + rest_err


@pytest.mark.parametrize("after,delay", POINTS, ids=[f"{a}+{d}s" for a, d in POINTS])
def test_ctrl_c_leaves_no_half_written_artifact(after, delay, built, tmp_path, source_path):
    _case("ctrl-c")
    out = tmp_path / "out"
    shutil.copytree(built.out_dir, out)
    for path in [p for p in out.rglob("*") if p.is_file()]:
        path.write_bytes(b"previous " + path.name.encode())
    old, new = _files(out), _files(built.out_dir)
    process, seen, err = _interrupt_build(SLOW_WRITES, ["--out", str(out)], after, delay)
    assert any(after in line for line in seen), err
    print(f"\nSIGINT {delay:.2f} s after '{after}': exit {process.returncode}")
    assert "Traceback" not in err, err
    _no_temporary_files(out)
    now = _files(out)
    if process.returncode == 130:
        assert "build interrupted" in err
        assert now == old  # interrupted before the renames: everything as it was
    else:  # the interrupt landed while the renames ran, which finish first: all the new files
        assert process.returncode == 0, err
        assert now == new


def test_ctrl_c_while_oxigraph_writes_a_large_graph_on_threads(tmp_path):
    """Above export.SORTED_LIMIT the RDF files are written on threads while the pages are made:
    an interrupt then waits for those writers, removes their files and replaces nothing."""
    from benchmarks import synth

    _case("ctrl-c")
    corpus = synth.generate(4_000, tmp_path / "corpus", seed=9)
    out = tmp_path / "out"
    out.mkdir()
    (out / "essay-kg.nq").write_bytes(b"previous")
    script = SLOW_WRITES.replace("from essaykg.cli", "from essaykg.build import export\nexport.SORTED_LIMIT = 100\nfrom essaykg.cli")
    # after "summarized" the five writers have started, each held 0.1 s in fsync
    process, _seen, err = _interrupt_build(script, ["--out", str(out), "--graph-dir", str(corpus.graph_dir),
                                                    "--source", str(corpus.source)], "summarized", 0.0)
    assert process.returncode == 130, err
    assert "build interrupted" in err and "Traceback" not in err, err
    _no_temporary_files(out)
    assert _files(out) == {"essay-kg.nq": b"previous"}


@pytest.fixture(scope="module", autouse=True)
def _report_cases():
    """After this module's tests: how many cases of each kind ran (a report, not a test)."""
    yield
    print("\nhardening cases:", dict(sorted(cases.items())))
