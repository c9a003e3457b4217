"""`python build.py bench`: performance figures, measured side by side, printed and written as JSON.

Four parts, each comparing what this tool does with what a user would pick instead, in the same run:

- **build**: a cold ``python build.py`` (a fresh process) against the floor of a fresh process that
  only imports the build's third-party dependencies; the ratio; where the time goes (the build's
  own step log, and a cProfile run).
- **queries**: every saved query (queries/*.rq) on pyoxigraph and on rdflib: median and p95.
- **endpoint**: requests per second and p99 latency of a simple lookup with 1, 8 and 32 concurrent
  keep-alive clients on loopback, against ``python build.py serve`` and ``oxigraph serve-read-only``
  on the same data. The load generator is Python threads in this process: it shares the cores
  with the servers, so its own cost is part of every figure (the same for both servers).
- **scale**: synthetic corpora (:mod:`benchmarks.synth`) of 10^4, 10^5 and 10^6 triples, each built by
  the real pipeline in a subprocess (time and peak memory from ``wait4``), then loaded for queries
  (time, memory, saved-query latency) and its graph page opened in Chromium; growth exponents by
  least squares on log-log; and what broke first (pySHACL, the quality checks, the full graph view).

Medians of repeated runs; the machine is described in the JSON (CPU, cores, memory, load, versions).
Nothing here is asserted: tests/benchmarks/test_bench.py checks the arithmetic and the harness, never a time.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from essaykg import config, namespaces

PARTS = ("build", "queries", "endpoint", "scale")
DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
CLIENTS = (1, 8, 32)
LOOKUP = (
    "SELECT ?label WHERE { <https://w3id.org/essay-kg/id/samantha> "
    "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
)
LOOKUP_EXPECT = b"Samantha"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STEP_LINE = re.compile(r"^\[\s*([0-9.]+)s\] (.*)$")

# Quality checks whose FILTER NOT EXISTS over a join Oxigraph evaluates once per outer row, from
# scratch: quadratic, 10 s on 10^5 triples. The same check as MINUS (an anti-join, linear) gives
# the same rows (tests/benchmarks/test_bench.py compares them). ontology/checks/ belongs to the data's owner:
# the scale benchmark runs these rewrites in a copy of ontology/ while the originals are unchanged,
# and says so; once ontology/checks/ has them, nothing is substituted.
CHECK_REWRITES: dict[str, tuple[str, str]] = {
    "paragraph-not-covered": (
        "  FILTER NOT EXISTS {\n"
        "    ?anchor dcterms:isPartOf ?node .\n"
        "    ?user ekg:evidence ?anchor .\n"
        "    { ?user a schema:Claim } UNION { ?user a schema:Quotation }\n"
        "  }",
        "  MINUS {\n"
        "    ?anchor dcterms:isPartOf ?node .\n"
        "    ?user ekg:evidence ?anchor .\n"
        "    { ?user a schema:Claim } UNION { ?user a schema:Quotation }\n"
        "  }",
    ),
    "quotation-text-mismatch": (
        "  FILTER NOT EXISTS {\n"
        "    ?node ekg:evidence/oa:hasSelector/oa:exact ?exact .\n"
        "    FILTER(STR(?exact) = STR(?text))\n"
        "  }",
        "  MINUS {\n"
        "    ?node schema:text ?text ; ekg:evidence/oa:hasSelector/oa:exact ?exact .\n"
        "    FILTER(STR(?exact) = STR(?text))\n"
        "  }",
    ),
    "theme-unused": (
        "  FILTER NOT EXISTS { ?claim a schema:Claim ; dcterms:subject ?node }",
        "  MINUS { ?claim a schema:Claim ; dcterms:subject ?node }",
    ),
}


# The same pattern in a saved question (queries/ belongs to the SPARQL helper): 34 ms on the essay
# as written, 0.4 ms as MINUS, same answer. Measured beside the original while the original stands.
QUERY_REWRITES: dict[str, tuple[str, str]] = {
    "18-paragraphs-without-a-claim": (
        "  FILTER NOT EXISTS { ?claim a schema:Claim ; ekg:evidence ?claimAnchor ."
        " ?claimAnchor dcterms:isPartOf ?para }",
        "  MINUS { ?claim a schema:Claim ; ekg:evidence ?claimAnchor . ?claimAnchor dcterms:isPartOf ?para }",
    ),
}
PROPOSED = " (MINUS, proposed)"


def saved_with_rewrites() -> list[tuple[str, str]]:
    """(name, text) of every saved query, and of the proposed rewrite beside each that has one."""
    from essaykg.query import sparql

    out = []
    for saved in sparql.saved_queries():
        out.append((saved.name, saved.text))
        old, new = QUERY_REWRITES.get(saved.name, (None, None))
        if old and old in saved.text:
            out.append((saved.name + PROPOSED, saved.text.replace(old, new)))
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--only",
        default=",".join(PARTS),
        metavar="PARTS",
        help=f"comma-separated parts to run (default: all of {','.join(PARTS)})",
    )
    parser.add_argument(
        "--repeat", type=int, default=5, metavar="N", help="cold builds (and floors) to take the median of (default: 5)"
    )
    parser.add_argument(
        "--query-repeat", type=int, default=20, metavar="N", help="runs of each saved query per engine (default: 20)"
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="load per concurrency level against each server (default: 3)",
    )
    parser.add_argument(
        "--sizes",
        default=",".join(f"{n:.0e}".replace("+0", "") for n in DEFAULT_SIZES),
        metavar="LIST",
        help="synthetic corpus sizes in triples (default: 1e4,1e5,1e6)",
    )
    parser.add_argument(
        "--limit",
        type=float,
        default=90.0,
        metavar="SECONDS",
        help="time given to what is expected to break at scale (pySHACL, the original "
        "checks, drawing every node) before it counts as broken (default: 90)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="a short run: 3 repeats, 1 s per load level, sizes 1e4 and 1e5, limit 30 s"
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=config.OUTPUT_DIR / "bench.json",
        metavar="PATH",
        help="where to write the figures (default: output/bench.json)",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        default=None,
        metavar="DIR",
        help="keep the synthetic corpora and builds in DIR (default: a temporary folder)",
    )


# ---------------------------------------------------------------------------- statistics


def median(values) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def percentile(values, p: float) -> float:
    """The p-th percentile (0-100), nearest rank: the smallest value with at least p% at or below it."""
    values = sorted(values)
    if not values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(values)))
    return values[min(rank, len(values)) - 1]


def fit_exponent(xs, ys) -> dict:
    """Least squares of log y on log x: y ~ c * x**k. Returns k, c and r^2 (None with < 2 points)."""
    pairs = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x and y and x > 0 and y > 0]
    if len(pairs) < 2:
        return {"exponent": None, "coefficient": None, "r2": None, "points": len(pairs)}
    n = len(pairs)
    mx = sum(p[0] for p in pairs) / n
    my = sum(p[1] for p in pairs) / n
    sxx = sum((p[0] - mx) ** 2 for p in pairs)
    if sxx == 0:
        return {"exponent": None, "coefficient": None, "r2": None, "points": n}
    k = sum((p[0] - mx) * (p[1] - my) for p in pairs) / sxx
    c = my - k * mx
    ss_tot = sum((p[1] - my) ** 2 for p in pairs)
    ss_res = sum((p[1] - (c + k * p[0])) ** 2 for p in pairs)
    r2 = 1 - ss_res / ss_tot if ss_tot else 1.0
    return {"exponent": round(k, 3), "coefficient": math.exp(c), "r2": round(r2, 4), "points": n}


def parse_steps(log: str) -> list[tuple[float, str]]:
    """The build's step log ("[ 0.88s] SHACL: conforms") as (seconds since start, message)."""
    out = []
    for line in log.splitlines():
        match = STEP_LINE.match(line.strip())
        if match:
            out.append((float(match.group(1)), match.group(2)))
    return out


def step_durations(steps: list[tuple[float, str]]) -> dict[str, float]:
    """Seconds each step took (from the previous step's mark), keyed by its first words."""
    out: dict[str, float] = {}
    previous = 0.0
    for at, message in steps:
        out[phase_name(message)] = round(at - previous, 4)
        previous = at
    return out


def phase_name(message: str) -> str:
    for prefix, name in (
        ("loaded", "load"),
        ("SHACL", "SHACL"),
        ("verified", "anchors"),
        ("WARNING", "anchors"),
        ("quality checks", "quality checks"),
        ("summarized", "summary"),
        ("rendered", "render (RDF files written meanwhile)"),
        ("documented", "ontology docs (pyLODE)"),
        ("wrote", "write (the rest)"),
    ):
        if message.startswith(prefix):
            return name
    return message.split(":")[0][:40]


# ---------------------------------------------------------------------------- the machine


def machine() -> dict:
    """CPU, cores, memory, load, OS, Python and library versions."""
    from importlib import metadata

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    except OSError:
        pass
    versions = {}
    for dist in (
        "rdflib",
        "pyoxigraph",
        "pyshacl",
        "networkx",
        "pyvis",
        "jinja2",
        "pylode",
        "oxigraph",
        "playwright",
        "hypothesis",
    ):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = None
    tools = {}
    for name, cmd in (("oxigraph", ["oxigraph", "--version"]), ("chromium", [str(CHROMIUM), "--version"])):
        try:
            tools[name] = subprocess.run(cmd, capture_output=True, text=True, timeout=20).stdout.strip() or None
        except (OSError, subprocess.TimeoutExpired):
            tools[name] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "cores_available": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "memory_bytes": memory,
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "libraries": versions,
        "tools": tools,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def describe_machine(m: dict) -> str:
    mem = f"{m['memory_bytes'] / 2**30:.1f} GiB" if m.get("memory_bytes") else "?"
    load = ", ".join(f"{x:.2f}" for x in m["load_average"]) if m.get("load_average") else "?"
    libs = ", ".join(f"{k} {v}" for k, v in m["libraries"].items() if v)
    return (
        f"{m['cpu']}, {m['cores_available']} cores, {mem}; {m['os']}; Python {m['python']}\n"
        f"load average at start: {load}\n{libs}"
    )


# ---------------------------------------------------------------------------- subprocesses


def run_measured(
    cmd: list[str], cwd: Path = config.ROOT, timeout: float | None = None, env: dict | None = None
) -> dict:
    """Run a command; its wall time, CPU time, peak resident memory (wait4), exit code and output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err, env=env)
        deadline = None if timeout is None else started + timeout
        timed_out = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline:
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                timed_out = True
                break
            time.sleep(0.005)
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {
            "seconds": wall,
            "cpu_seconds": usage.ru_utime + usage.ru_stime,
            "max_rss_bytes": usage.ru_maxrss * 1024,  # Linux reports KiB
            "returncode": process.returncode,
            "timed_out": timed_out,
            "stdout": out.read().decode("utf-8", "replace"),
            "stderr": err.read().decode("utf-8", "replace"),
        }


def _python(code: str, *args: str, timeout: float | None = None) -> dict:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(config.ROOT), os.environ.get("PYTHONPATH")])))
    return run_measured([sys.executable, "-c", code, *args], timeout=timeout, env=env)


def _json_from(result: dict, what: str) -> dict:
    if result["returncode"] != 0 or result["timed_out"]:
        raise RuntimeError(
            f"{what} failed (exit {result['returncode']}, timed out: {result['timed_out']}):\n"
            f"{result['stderr'][-2000:]}"
        )
    return json.loads(result["stdout"].strip().splitlines()[-1])


_MODULES_OF_BUILD = r"""
import json, sys
from essaykg.cli import main
code = main(["build", "--quiet", "--out", sys.argv[1]])
skip = set(sys.stdlib_module_names) | {"essaykg", "__main__", "__mp_main__"}
mods = sorted({name.split(".")[0] for name in list(sys.modules)} - skip)
print(json.dumps({"code": code, "modules": mods}))
"""

_IMPORTABLE = r"""
import importlib, json, sys
ok = []
for name in sys.argv[1:]:
    if name.startswith("_"):
        continue
    try:
        importlib.import_module(name)
        ok.append(name)
    except Exception:
        pass
print(json.dumps(ok))
"""


def build_dependencies(out_dir: Path) -> list[str]:
    """The third-party top-level modules a real build imports (measured, not listed by hand)."""
    found = _json_from(_python(_MODULES_OF_BUILD, str(out_dir)), "a build to list its imports")
    if found["code"] != 0:
        raise RuntimeError("the build failed; run `python build.py` to see why")
    return json.loads(_python(_IMPORTABLE, *found["modules"])["stdout"].strip().splitlines()[-1])


# ---------------------------------------------------------------------------- part 1: build


_PROFILE = r"""
import cProfile, json, pstats, sys
from essaykg.cli import main
profile = cProfile.Profile()
profile.enable()
main(["build", "--quiet", "--out", sys.argv[1]])
profile.disable()
stats = pstats.Stats(profile)
rows = []
for (path, line, func), (cc, nc, tt, ct, callers) in stats.stats.items():
    rows.append({"function": func, "file": path, "line": line, "calls": nc, "own": tt, "cumulative": ct})
print(json.dumps(rows))
"""

# the functions that make up a build, named for the profile summary
PROFILE_FUNCTIONS = [
    ("load the sources", "load.py", "load_sources"),
    ("SHACL (pySHACL)", "validate.py", "shacl"),
    ("SHACL (as SPARQL)", "validate.py", "shacl_sparql"),
    ("  of which: pySHACL's own validate()", "entrypoints.py", "validate"),
    ("anchors", "anchors.py", "verify"),
    ("quality checks", "validate.py", "run_checks"),
    ("summary", "summary.py", "summarize"),
    ("serialize (TriG, N-Quads, Turtle, N-Triples, JSON-LD)", "export.py", None),
    ("graph view (render)", "graph_page.py", "render_pages"),
    ("argument map", "argument_map.py", "render_page"),
    ("reader", "reader.py", "render"),
    ("  of which: spring layout", "layout.py", "spring_positions"),
    ("  of which: centrality", "layout.py", "centrality"),
    ("ontology docs (pyLODE)", "ontology_docs.py", "ontology_docs"),
    ("write the files", "export.py", "_fill"),
]


def summarize_profile(rows: list[dict]) -> dict:
    """Cumulative seconds of the build's parts, and the top functions by own time."""
    total = max((r["cumulative"] for r in rows), default=0.0)
    parts = {}
    for label, file, func in PROFILE_FUNCTIONS:
        if func is None:  # the serializers: the sorting writers of export.py
            seconds = sum(
                r["cumulative"]
                for r in rows
                if r["file"].endswith("/" + file)
                and r["function"] in {"trig", "n_quads", "turtle", "n_triples", "jsonld"}
            )
        else:
            seconds = max(
                (r["cumulative"] for r in rows if r["file"].endswith("/" + file) and r["function"] == func), default=0.0
            )
        parts[label] = round(seconds, 4)
    imports = max((r["cumulative"] for r in rows if r["function"] == "_find_and_load"), default=0.0)
    top = sorted(rows, key=lambda r: r["own"], reverse=True)[:12]
    return {
        "total": round(total, 4),
        "parts": parts,
        "imports (largest single import, cumulative)": round(imports, 4),
        "top_own_time": [
            {
                "function": f"{Path(r['file']).name}:{r['line']}({r['function']})",
                "own": round(r["own"], 4),
                "calls": r["calls"],
            }
            for r in top
        ],
    }


def bench_build(repeat: int, work: Path, log) -> dict:
    out = work / "build-out"
    deps = build_dependencies(work / "deps-out")
    floor_code = "import " + ", ".join(deps) if deps else "pass"
    floors, builds, phases = [], [], []
    for i in range(repeat):
        floor = _python(floor_code)
        build = run_measured([sys.executable, "build.py", "--out", str(out)])
        if build["returncode"] != 0:
            raise RuntimeError(f"the build failed:\n{build['stderr'][-2000:]}")
        floors.append(floor["seconds"])
        builds.append(build["seconds"])
        phases.append(step_durations(parse_steps(build["stderr"])))
        log(f"  build {i + 1}/{repeat}: {build['seconds']:.2f} s (floor {floor['seconds']:.2f} s)")
    names = list(dict.fromkeys(name for p in phases for name in p))
    phase_medians = {name: round(median([p.get(name, 0.0) for p in phases]), 4) for name in names}
    startup = [b - sum(p.values()) for b, p in zip(builds, phases, strict=True)]
    profile = summarize_profile(_json_from(_python(_PROFILE, str(work / "profile-out")), "the profiled build"))
    return {
        "dependencies": deps,
        "floor_command": f'python -c "{floor_code}"',
        "floor_seconds": [round(x, 4) for x in floors],
        "build_seconds": [round(x, 4) for x in builds],
        "floor_median": round(median(floors), 4),
        "build_median": round(median(builds), 4),
        "ratio": round(median(builds) / median(floors), 2),
        "ratio_of_pairs": round(median([b / f for b, f in zip(builds, floors, strict=True)]), 2),
        "phases_median": {"start and imports before the first step": round(median(startup), 4), **phase_medians},
        "profile": profile,
        "output": str(out),
    }


# ---------------------------------------------------------------------------- part 2: queries


def bench_queries(data_dir: Path, repeat: int, log) -> dict:
    from essaykg.query import sparql

    started = time.perf_counter()
    store = sparql.load_store(data_dir)
    ox_load = time.perf_counter() - started
    started = time.perf_counter()
    dataset = sparql.load_rdflib(data_dir)
    rdflib_load = time.perf_counter() - started
    rows = []
    for name, text in saved_with_rewrites():
        screened = sparql.screen(text)
        entry = {"query": name}
        for engine, backend in (("oxigraph", store), ("rdflib", dataset)):
            first = time.perf_counter()
            result = sparql.execute(backend, screened, engine)
            entry[f"{engine}_first"] = time.perf_counter() - first
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                sparql.execute(backend, screened, engine)
                times.append(time.perf_counter() - t0)
            entry[f"{engine}_median"] = median(times)
            entry[f"{engine}_p95"] = percentile(times, 95)
            entry[f"{engine}_rows"] = len(result)
        entry["ratio"] = entry["rdflib_median"] / entry["oxigraph_median"] if entry["oxigraph_median"] else None
        rows.append(entry)
        log(f"  {name}: oxigraph {entry['oxigraph_median'] * 1e3:.2f} ms, rdflib {entry['rdflib_median'] * 1e3:.2f} ms")
    return {
        "load_seconds": {"oxigraph": round(ox_load, 4), "rdflib": round(rdflib_load, 4)},
        "repeat": repeat,
        "queries": rows,
        "oxigraph_worst_median": max((r["oxigraph_median"] for r in rows), default=None),
        "under_5ms": sum(1 for r in rows if r["oxigraph_median"] < 0.005 and not r["query"].endswith(PROPOSED)),
        "saved": sum(1 for r in rows if not r["query"].endswith(PROPOSED)),
        "ratio_median": median([r["ratio"] for r in rows if r["ratio"]]),
    }


# ---------------------------------------------------------------------------- part 3: endpoint


class LoadResult(dict):
    """requests, errors, seconds, rps, p50, p99, max (latencies in seconds), first_error, and
    error_kinds: how many errors of each kind (status and the start of the body, or the exception)."""


def load_test(
    host: str,
    port: int,
    path: str,
    clients: int,
    duration: float,
    expect: bytes = b"",
    headers: dict | None = None,
    warmup: float = 0.2,
) -> LoadResult:
    """``clients`` threads, each with its own keep-alive connection, GET ``path`` for ``duration`` s.

    An error is any exception, a status other than 200, or a body without ``expect``; a failed
    connection is reopened. Latencies of requests that start within the warm-up are not counted.
    """
    import http.client

    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    first_error: list[str] = []
    kinds: dict[str, int] = {}
    kinds_lock = threading.Lock()

    def failed(kind: str) -> None:
        with kinds_lock:
            kinds[kind] = kinds.get(kind, 0) + 1
            if not first_error:
                first_error.append(kind)

    barrier = threading.Barrier(clients + 1)
    stop_at = [0.0]
    measure_from = [0.0]

    def client(index: int) -> None:
        conn = http.client.HTTPConnection(host, port, timeout=30)
        barrier.wait()
        mine = latencies[index]
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at[0]:
                break
            try:
                conn.request("GET", path, headers=headers or {})
                response = conn.getresponse()
                body = response.read()
                ok = response.status == 200 and expect in body
                kind = None if ok else f"HTTP {response.status}: {body[:200]!r}"
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = http.client.HTTPConnection(host, port, timeout=30)
            except (OSError, http.client.HTTPException) as err:
                ok = False
                kind = f"{type(err).__name__}: {err}"
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
            t1 = time.perf_counter()
            if t0 >= measure_from[0]:
                if ok:
                    mine.append(t1 - t0)
                else:
                    errors[index] += 1
                    failed(kind)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    now = time.perf_counter()
    measure_from[0] = now + warmup
    stop_at[0] = now + warmup + duration
    barrier.wait()
    for thread in threads:
        thread.join(duration + 60)
    merged = sorted(x for part in latencies for x in part)
    seconds = duration
    return LoadResult(
        clients=clients,
        requests=len(merged),
        errors=sum(errors),
        seconds=seconds,
        rps=len(merged) / seconds if seconds else 0.0,
        p50=percentile(merged, 50),
        p99=percentile(merged, 99),
        max=merged[-1] if merged else float("nan"),
        first_error=first_error[0] if first_error else None,
        error_kinds=dict(kinds),
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_http(port: int, path: str, timeout: float = 60.0, process=None) -> None:
    import http.client

    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", path)
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status < 500:
                return
        except OSError:
            pass
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with code {process.returncode} before answering")
        if time.monotonic() > deadline:
            raise RuntimeError(f"nothing answered on port {port} within {timeout:.0f} s")
        time.sleep(0.05)


def tree_rss(pid: int) -> int:
    """Resident memory of a process and all its descendants, in bytes (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
        stack.extend(children.get(current, []))
    return total


def start_our_server(data_dir: Path, port: int, workers: int = 2) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "build.py", "serve", "--data", str(data_dir), "--port", str(port), "--workers", str(workers)],
        cwd=config.ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_http(port, "/sparql?query=ASK%7B%7D", process=process)
    return process


def start_oxigraph(data_dir: Path, location: Path, port: int) -> subprocess.Popen:
    from essaykg.build.load import ONTOLOGY_GRAPH

    subprocess.run(
        ["oxigraph", "load", "--location", str(location), "--file", str(data_dir / "essay-kg.nq")],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "oxigraph",
            "load",
            "--location",
            str(location),
            "--file",
            str(data_dir / "ontology.ttl"),
            "--graph",
            ONTOLOGY_GRAPH.value,
            "--base",
            namespaces.BASE,
        ],
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [
            "oxigraph",
            "serve-read-only",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
            "--union-default-graph",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_http(port, "/query?query=ASK%7B%7D", process=process)
    return process


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


# A wrk script that makes every request a query never seen before: the LIMIT and a comment change.
DISTINCT_LUA = """
counter = 0
request = function()
  counter = counter + 1
  local q = "%s%%20LIMIT%%20" .. counter .. "%%20%%23" .. math.random(1, 1000000000)
  return wrk.format("GET", wrk.path .. "?query=" .. q, {["Accept"] = "application/sparql-results+json"})
end
"""
WRK_RPS = re.compile(r"Requests/sec:\s*([0-9.]+)")
WRK_P99 = re.compile(r"^\s*99%\s+([0-9.]+)(us|ms|s)\s*$", re.MULTILINE)
WRK_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s*(\d+)")
WRK_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
WRK_REQUESTS = re.compile(r"(\d+) requests in")


def parse_wrk(output: str) -> dict:
    """wrk's summary as numbers: requests/s, p99 in seconds, requests, errors (non-2xx and socket)."""
    rps = WRK_RPS.search(output)
    if not rps:
        raise ValueError(f"wrk printed no Requests/sec line:\n{output[-500:]}")
    p99 = WRK_P99.search(output)
    unit = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
    socket_errors = WRK_SOCKET.search(output)
    return {
        "rps": float(rps.group(1)),
        "p99": float(p99.group(1)) * unit[p99.group(2)] if p99 else None,
        "requests": int(WRK_REQUESTS.search(output).group(1)) if WRK_REQUESTS.search(output) else 0,
        "errors": (int(WRK_NON_2XX.search(output).group(1)) if WRK_NON_2XX.search(output) else 0)
        + (sum(int(x) for x in socket_errors.groups()) if socket_errors else 0),
    }


def wrk(url: str, connections: int, duration: float, script: Path | None = None, headers: dict | None = None) -> dict:
    """One wrk run (a native load generator, Debian's `wrk`) on 2 threads."""
    cmd = [
        "wrk",
        "-t",
        str(min(2, connections)),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(duration))}s",
        "--latency",
    ]
    for key, value in (headers or {}).items():
        cmd += ["-H", f"{key}: {value}"]
    if script:
        cmd += ["-s", str(script)]
    done = subprocess.run([*cmd, url], capture_output=True, text=True, timeout=duration + 60)
    return {"connections": connections, **parse_wrk(done.stdout)}


def bench_endpoint(data_dir: Path, work: Path, duration: float, log) -> dict:
    """Our server against `oxigraph serve-read-only --union-default-graph` on the same data, with wrk:
    one repeated query and distinct queries, at 1, 8 and 32 connections."""
    from urllib.parse import quote, urlencode

    if shutil.which("wrk") is None:
        log("  `wrk` is missing (apt-get install wrk): the endpoint is not measured")
        return {"skipped": "wrk is not installed"}
    if shutil.which("oxigraph") is None:
        log("  the `oxigraph` command is missing (pip install oxigraph): comparing nothing")
    accept = {"Accept": "application/sparql-results+json"}
    script = work / "distinct.lua"
    distinct_base = "SELECT ?s WHERE { ?s a <http://schema.org/Claim> }"
    script.write_text(DISTINCT_LUA % quote(distinct_base, safe=""), encoding="utf-8")
    plans = [("essaykg serve", "/sparql", lambda port: start_our_server(data_dir, port))]
    if shutil.which("oxigraph"):
        plans.append(
            ("oxigraph serve-read-only", "/query", lambda port: start_oxigraph(data_dir, work / "oxigraph-db", port))
        )
    servers = {}
    for name, path, start in plans:
        port = free_port()
        process = start(port)
        try:
            rss_before = rss_peak = tree_rss(process.pid)
            runs: dict[str, list] = {"repeated": [], "distinct": []}
            for clients in CLIENTS:
                url = f"http://127.0.0.1:{port}{path}"
                runs["repeated"].append(
                    wrk(url + "?" + urlencode({"query": LOOKUP}), clients, duration, headers=accept)
                )
                runs["distinct"].append(wrk(url, clients, duration, script=script))
                rss_peak = max(rss_peak, tree_rss(process.pid))
                for kind in runs:
                    r = runs[kind][-1]
                    log(
                        f"  {name}, {kind}, {clients} connections: {r['rps']:.0f} req/s, "
                        f"p99 {(r['p99'] or 0) * 1e3:.2f} ms, {r['errors']} errors"
                    )
            servers[name] = {**runs, "rss_before_bytes": rss_before, "rss_peak_bytes": rss_peak}
        finally:
            stop(process)
    ratio = {}
    if len(servers) == 2:
        ours, theirs = servers["essaykg serve"], servers["oxigraph serve-read-only"]
        ratio = {
            kind: {
                str(a["connections"]): round(a["rps"] / b["rps"], 3) if b["rps"] else None
                for a, b in zip(ours[kind], theirs[kind], strict=True)
            }
            for kind in ("repeated", "distinct")
        }
    return {
        "query": LOOKUP,
        "distinct": distinct_base + " LIMIT n #random",
        "duration_per_level": duration,
        "servers": servers,
        "throughput_ratio_ours_over_oxigraph": ratio,
        "note": "load generator: wrk (native), 2 threads, on the same 2 cores as the server under test",
    }


# ---------------------------------------------------------------------------- part 4: scale


def patched_ontology(work: Path) -> tuple[Path, list[str]]:
    """ontology/ with CHECK_REWRITES applied where a check still has its original text."""
    target = work / "ontology"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(config.ONTOLOGY_DIR, target)
    applied = []
    for name, (old, new) in CHECK_REWRITES.items():
        path = target / "checks" / f"{name}.rq"
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if old in text:
                path.write_text(text.replace(old, new), encoding="utf-8")
                applied.append(name)
    return target, applied


_PYSHACL_AT = r"""
import json, sys, time
from pathlib import Path
from essaykg import config
from essaykg.build import pipeline
from essaykg.build import validate
from essaykg.build.load import load_sources
sources = load_sources(Path(sys.argv[1]), config.ONTOLOGY_DIR)
view = pipeline._data_graph_triples(sources.data)
t = time.perf_counter()
problems = validate.shacl(view, sources.shapes)
print(json.dumps({"seconds": time.perf_counter() - t, "problems": len(problems)}))
"""

_CHECKS_AT = r"""
import json, sys, time
from pathlib import Path
from essaykg import config
from essaykg.build import validate
from essaykg.build.load import load_sources
sources = load_sources(Path(sys.argv[1]), config.ONTOLOGY_DIR)
store = sources.data
store.bulk_extend(sources.ontology)
for check in validate.load_checks(Path(sys.argv[2])):
    if sys.argv[3:] and check.name not in sys.argv[3:]:
        continue
    t = time.perf_counter()
    rows = validate.run_checks(store, [check])
    print(json.dumps({"check": check.name, "seconds": time.perf_counter() - t, "rows": len(rows)}), flush=True)
"""

_RENDER_ALL_AT = r"""
import json, sys, time
from pathlib import Path
from essaykg import config
from essaykg.view import graph_page as render
from essaykg.build import summary
from essaykg.build.load import load_sources
store = load_sources(Path(sys.argv[1]), config.ONTOLOGY_DIR).data
stats = summary.summarize(store, None, None)
t = time.perf_counter()
pages = render.render_pages(store, stats)
print(json.dumps({"seconds": time.perf_counter() - t, "nodes": stats["nodes"], "bytes": len(pages["graph.html"])}))
"""

_QUERY_AT = r"""
import json, resource, sys, time
from pathlib import Path
from benchmarks import bench
from essaykg.query import sparql
data, repeat, limit = Path(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
t = time.perf_counter()
store = sparql.load_store(data)
load = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
del store
out = {"load_seconds": load, "rss_after_load_bytes": rss, "queries": {}}
with sparql.QueryPool(data, workers=1, timeout=limit, max_rows=10**9) as pool:
    for name, text in bench.saved_with_rewrites():
        screened = sparql.screen(text)
        times, rows = [], None
        for _ in range(repeat):
            try:
                result = pool.run(screened)
            except sparql.QueryTimeout:
                times = None
                break
            times.append(result.seconds)
            rows = len(result)
        out["queries"][name] = ({"median": sorted(times)[len(times) // 2], "rows": rows} if times
                                else {"median": None, "timed_out": limit})
        print(json.dumps({"progress": name}), flush=True)
print(json.dumps(out))
"""


def open_page(page_path: Path, timeout: float = 60.0) -> dict:
    """Open a built graph page from disk in Chromium; seconds until the network is drawn."""
    if not CHROMIUM.is_file():
        return {"skipped": f"{CHROMIUM} is missing (apt-get install chromium)"}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "playwright is not installed"}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            requests: list[str] = []
            errors: list[str] = []
            page.on("request", lambda r: requests.append(r.url))
            page.on("pageerror", lambda e: errors.append(str(e)))
            started = time.perf_counter()
            page.goto(page_path.resolve().as_uri())
            deadline = time.monotonic() + timeout
            while not page.evaluate("() => !!(window.essayGraph && essayGraph.timings.settled > 0)"):
                if time.monotonic() > deadline:
                    return {"timed_out": timeout}
                page.wait_for_timeout(20)
            wall = time.perf_counter() - started
            timings = page.evaluate("essayGraph.timings")
            nodes = page.evaluate("essayGraph.drawnNodes().length")
            return {
                "seconds": wall,
                "settled_ms_in_page": timings.get("settled"),
                "nodes_drawn": nodes,
                "bytes": page_path.stat().st_size,
                "other_requests": [u for u in requests if not u.startswith("file:")],
                "errors": errors,
            }
        finally:
            browser.close()


def bench_scale(sizes: list[int], work: Path, limit: float, query_repeat: int, log) -> dict:
    from benchmarks import synth

    ontology, rewritten = patched_ontology(work)
    if rewritten:
        log(f"  quality checks run as MINUS rewrites (CHECK_REWRITES) at scale: {', '.join(rewritten)}")
    rows = []
    broke: list[dict] = []
    pyshacl_broken = checks_broken = render_broken = False
    for size in sizes:
        where = work / f"corpus-{size}"
        if where.exists():
            shutil.rmtree(where)
        started = time.perf_counter()
        corpus = synth.generate(size, where, seed=size)
        generated = time.perf_counter() - started
        log(f"  {size:.0e}: generated {corpus.triples} triples in {generated:.1f} s")
        out = where / "output"
        build = run_measured(
            [
                sys.executable,
                "build.py",
                "--graph-dir",
                str(corpus.graph_dir),
                "--source",
                str(corpus.source),
                "--out",
                str(out),
                "--ontology-dir",
                str(ontology),
            ]
        )
        row = {
            "target": size,
            "triples": corpus.triples,
            "counts": corpus.counts,
            "generate_seconds": generated,
            "build_seconds": build["seconds"],
            "build_cpu_seconds": build["cpu_seconds"],
            "build_max_rss_bytes": build["max_rss_bytes"],
            "build_ok": build["returncode"] == 0,
            "build_phases": step_durations(parse_steps(build["stderr"])),
        }
        log(
            f"  {size:.0e}: build {build['seconds']:.1f} s, peak {build['max_rss_bytes'] / 2**20:.0f} MiB"
            + ("" if row["build_ok"] else f" FAILED: {build['stderr'][-500:]}")
        )
        if row["build_ok"]:
            row["artifact_bytes"] = {p.name: p.stat().st_size for p in sorted(out.iterdir()) if p.is_file()}
            per_query = min(limit, 30.0)
            queried = _python(
                _QUERY_AT, str(out), str(max(1, query_repeat // 4)), str(per_query), timeout=60 * per_query + 300
            )
            lines = [json.loads(x) for x in queried["stdout"].splitlines() if x.strip()]
            final = next((x for x in reversed(lines) if "queries" in x), None)
            if final:
                medians = {k: v["median"] for k, v in final["queries"].items()}
                timed_out = sorted(k for k, v in medians.items() if v is None)
                saved = {k: v for k, v in medians.items() if v is not None and not k.endswith(PROPOSED)}
                row.update(
                    load_seconds=final["load_seconds"],
                    load_rss_bytes=final["rss_after_load_bytes"],
                    query_medians=medians,
                    query_timed_out=timed_out,
                    query_limit_seconds=per_query,
                    query_median_of_medians=median(saved.values()),
                    query_worst=max(saved.items(), key=lambda kv: kv[1]) if saved else None,
                )
                log(
                    f"  {size:.0e}: loaded for queries in {final['load_seconds']:.1f} s "
                    f"({final['rss_after_load_bytes'] / 2**20:.0f} MiB); saved queries: median "
                    f"{row['query_median_of_medians'] * 1e3:.1f} ms, worst that finished {row['query_worst'][0]} "
                    f"{row['query_worst'][1] * 1e3:.1f} ms; over {per_query:.0f} s: {', '.join(timed_out) or 'none'}"
                )
            else:
                row["queries_failed"] = (
                    queried["stderr"][-500:] or "timed out"
                ) + f" (last: {lines[-1] if lines else None})"
            row["page"] = open_page(out / "graph.html", timeout=max(limit, 60))
            if "seconds" in row["page"]:
                log(
                    f"  {size:.0e}: graph page drawn in Chromium in {row['page']['seconds']:.2f} s "
                    f"({row['page']['nodes_drawn']} nodes, {row['page']['bytes'] / 2**20:.1f} MiB)"
                )
        # what breaks: each tried at growing sizes until it passes the limit once
        if not pyshacl_broken:
            res = _python(_PYSHACL_AT, str(corpus.graph_dir), timeout=limit)
            row["pyshacl_seconds"] = None if res["timed_out"] else _json_from(res, "pySHACL")["seconds"]
            row["pyshacl_max_rss_bytes"] = res["max_rss_bytes"]
            log(
                f"  {size:.0e}: pySHACL alone: "
                + (f"more than {limit:.0f} s" if res["timed_out"] else f"{row['pyshacl_seconds']:.1f} s")
            )
            if res["timed_out"]:
                pyshacl_broken = True
                broke.append({"what": "SHACL with pySHACL", "size": corpus.triples, "limit_seconds": limit})
        if rewritten and not checks_broken:
            res = _python(_CHECKS_AT, str(corpus.graph_dir), str(config.CHECKS_DIR), *rewritten, timeout=limit)
            done = [json.loads(x) for x in res["stdout"].splitlines() if x.strip()]
            row["original_checks"] = {d["check"]: d["seconds"] for d in done}
            if res["timed_out"]:
                row["original_checks"]["(timed out)"] = limit
                checks_broken = True
                broke.append(
                    {
                        "what": "quality checks as written (FILTER NOT EXISTS over a join)",
                        "size": corpus.triples,
                        "limit_seconds": limit,
                    }
                )
            log(
                f"  {size:.0e}: original checks: "
                + ", ".join(f"{k} {v:.1f} s" for k, v in row["original_checks"].items())
            )
        if not render_broken:
            res = _python(_RENDER_ALL_AT, str(corpus.graph_dir), timeout=limit)
            if res["timed_out"]:
                render_broken = True
                row["render_all_seconds"] = None
                broke.append(
                    {"what": "the graph view drawing every node", "size": corpus.triples, "limit_seconds": limit}
                )
                log(f"  {size:.0e}: drawing every node: more than {limit:.0f} s")
            else:
                found = _json_from(res, "rendering every node")
                row["render_all_seconds"] = found["seconds"]
                row["render_all_nodes"] = found["nodes"]
                log(f"  {size:.0e}: drawing all {found['nodes']} nodes: {found['seconds']:.1f} s")
        rows.append(row)
    ok = [r for r in rows if r.get("build_ok")]
    xs = [r["triples"] for r in ok]
    fits = {
        "build_seconds": fit_exponent(xs, [r["build_seconds"] for r in ok]),
        "build_max_rss_bytes": fit_exponent(xs, [r["build_max_rss_bytes"] for r in ok]),
        "load_seconds": fit_exponent(
            [r["triples"] for r in ok if "load_seconds" in r], [r["load_seconds"] for r in ok if "load_seconds" in r]
        ),
        "query_median_of_medians": fit_exponent(
            [r["triples"] for r in ok if "query_median_of_medians" in r],
            [r["query_median_of_medians"] for r in ok if "query_median_of_medians" in r],
        ),
        "page_seconds": fit_exponent(
            [r["triples"] for r in ok if "seconds" in r.get("page", {})],
            [r["page"]["seconds"] for r in ok if "seconds" in r.get("page", {})],
        ),
        "pyshacl_seconds": fit_exponent(
            [r["triples"] for r in rows if r.get("pyshacl_seconds")],
            [r["pyshacl_seconds"] for r in rows if r.get("pyshacl_seconds")],
        ),
    }
    if len(ok) >= 2:  # fixed costs (imports, pyLODE, a 250-node view) flatten the fit at small sizes
        a, b = ok[-2], ok[-1]
        span = math.log(b["triples"] / a["triples"])
        for key in ("build_seconds", "build_max_rss_bytes", "load_seconds"):
            if a.get(key) and b.get(key):
                fits[f"{key} (between the two largest sizes)"] = {
                    "exponent": round(math.log(b[key] / a[key]) / span, 3),
                    "coefficient": None,
                    "r2": None,
                    "points": 2,
                }
    phase_names = list(dict.fromkeys(n for r in ok for n in r["build_phases"]))
    for name in phase_names:
        fits[f"phase: {name}"] = fit_exponent(xs, [r["build_phases"].get(name) for r in ok])
    return {
        "sizes": rows,
        "exponents": fits,
        "broke": broke,
        "check_rewrites_applied": rewritten,
        "ontology_used": str(ontology),
    }


# ---------------------------------------------------------------------------- report


def _ms(seconds) -> str:
    return "-" if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)) else f"{seconds * 1e3:.2f}"


def _mib(n) -> str:
    return "-" if not n else f"{n / 2**20:.0f}"


def table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = lambda cells: "  ".join(
        str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
    )
    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


def report(results: dict) -> str:
    out = ["# Benchmarks", "", describe_machine(results["machine"]), ""]
    build = results.get("build")
    if build:
        out += [
            f"## Build (median of {len(build['build_seconds'])} cold runs)",
            "",
            table(
                [
                    ["python build.py", f"{build['build_median']:.3f}"],
                    [f"floor: import {len(build['dependencies'])} dependencies", f"{build['floor_median']:.3f}"],
                    ["ratio build / floor", f"{build['ratio']:.2f}x"],
                ],
                ["", "seconds"],
            ),
            "",
            "where the time goes (the build's step log, medians):",
            "",
            table([[k, f"{v:.3f}"] for k, v in build["phases_median"].items()], ["phase", "seconds"]),
            "",
            "cProfile (one run; profiling slows Python code more than native code):",
            "",
            table([[k, f"{v:.3f}"] for k, v in build["profile"]["parts"].items() if v], ["part", "cumulative s"]),
            "",
        ]
    queries = results.get("queries")
    if queries:
        rows = [
            [
                q["query"],
                _ms(q["oxigraph_median"]),
                _ms(q["oxigraph_p95"]),
                _ms(q["rdflib_median"]),
                _ms(q["rdflib_p95"]),
                f"{q['ratio']:.0f}x" if q["ratio"] else "-",
            ]
            for q in queries["queries"]
        ]
        out += [
            f"## Saved queries ({queries['repeat']} runs each, in-process, ms)",
            "",
            table(rows, ["query", "oxigraph median", "p95", "rdflib median", "p95", "rdflib/oxigraph"]),
            "",
            f"{queries['under_5ms']}/{queries['saved']} saved queries under 5 ms on pyoxigraph; median ratio "
            f"{queries['ratio_median']:.0f}x; loading: pyoxigraph {queries['load_seconds']['oxigraph']:.3f} s, "
            f"rdflib {queries['load_seconds']['rdflib']:.3f} s",
            "",
        ]
    endpoint = results.get("endpoint")
    if endpoint and "servers" in endpoint:
        rows = []
        ratios = endpoint["throughput_ratio_ours_over_oxigraph"]
        for name, server in endpoint["servers"].items():
            for kind in ("repeated", "distinct"):
                for level in server[kind]:
                    ratio = ratios.get(kind, {}).get(str(level["connections"])) if name == "essaykg serve" else None
                    rows.append(
                        [
                            name,
                            kind,
                            level["connections"],
                            f"{level['rps']:.0f}",
                            _ms(level["p99"]),
                            level["errors"],
                            _mib(server["rss_peak_bytes"]),
                            f"{ratio:.3f}" if ratio else "-",
                        ]
                    )
        out += [
            f"## Endpoint: wrk, {endpoint['duration_per_level']:g} s per level on loopback",
            "",
            table(
                rows, ["server", "queries", "connections", "req/s", "p99 ms", "errors", "peak MiB", "ours / Oxigraph"]
            ),
            "",
            endpoint["note"],
            "",
        ]
    scale = results.get("scale")
    if scale:
        rows = []
        for r in scale["sizes"]:
            page = r.get("page", {})
            rows.append(
                [
                    r["triples"],
                    f"{r['build_seconds']:.2f}" + ("" if r["build_ok"] else " FAILED"),
                    _mib(r["build_max_rss_bytes"]),
                    f"{r['load_seconds']:.2f}" if "load_seconds" in r else "-",
                    _mib(r.get("load_rss_bytes")),
                    _ms(r.get("query_median_of_medians")),
                    _ms(r["query_worst"][1]) if r.get("query_worst") else "-",
                    len(r.get("query_timed_out", [])),
                    f"{page['seconds']:.2f}" if "seconds" in page else "-",
                    f"{r['pyshacl_seconds']:.1f}"
                    if r.get("pyshacl_seconds")
                    else ("broke" if "pyshacl_seconds" in r else "-"),
                ]
            )
        out += [
            "## Scale: synthetic corpora, built by the real pipeline in a subprocess",
            "",
            table(
                rows,
                [
                    "triples",
                    "build s",
                    "build MiB",
                    "load s",
                    "load MiB",
                    "query med ms",
                    "worst ms",
                    "over limit",
                    "page s",
                    "pySHACL s",
                ],
            ),
            "",
            "growth exponents (y ~ triples^k, least squares on log-log):",
            "",
            table(
                [
                    [k, v["exponent"] if v["exponent"] is not None else "-", v["r2"] if v["r2"] is not None else "-"]
                    for k, v in scale["exponents"].items()
                ],
                ["cost", "k", "r^2"],
            ),
            "",
            "what broke first: "
            + (
                "; ".join(
                    f"{b['what']} at {b['size']} triples (over {b['limit_seconds']:.0f} s)" for b in scale["broke"]
                )
                or "nothing within the limits"
            ),
            ("check rewrites applied: " + ", ".join(scale["check_rewrites_applied"]))
            if scale["check_rewrites_applied"]
            else "the quality checks ran as written",
            "",
        ]
    return "\n".join(out)


def run(args: argparse.Namespace) -> int:
    parts = [p.strip() for p in args.only.split(",") if p.strip()]
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        print(f"error: unknown part {unknown[0]!r}; choose from {', '.join(PARTS)}", file=sys.stderr)
        return 2
    try:
        sizes = [int(float(x)) for x in args.sizes.split(",") if x.strip()]
    except ValueError:
        print(f"error: --sizes {args.sizes!r}: give numbers such as 1e4,1e5", file=sys.stderr)
        return 2
    repeat, duration, limit, query_repeat = args.repeat, args.duration, args.limit, args.query_repeat
    if args.quick:
        repeat, duration, limit, query_repeat = (
            min(repeat, 3),
            min(duration, 1.0),
            min(limit, 30.0),
            min(query_repeat, 10),
        )
        if args.sizes == add_arguments_default_sizes():
            sizes = [10_000, 100_000]

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    results: dict = {
        "machine": machine(),
        "settings": {
            "parts": parts,
            "repeat": repeat,
            "query_repeat": query_repeat,
            "duration": duration,
            "sizes": sizes,
            "limit": limit,
        },
    }
    log(describe_machine(results["machine"]))
    work_ctx = tempfile.TemporaryDirectory(prefix="essaykg-bench-") if args.keep is None else None
    work = Path(work_ctx.name) if work_ctx else args.keep
    work.mkdir(parents=True, exist_ok=True)
    try:
        data_dir = None
        if "build" in parts:
            log("build: cold builds against the import floor")
            results["build"] = bench_build(repeat, work, log)
            data_dir = Path(results["build"]["output"])
        if data_dir is None and {"queries", "endpoint"} & set(parts):
            data_dir = work / "build-out"
            built = run_measured([sys.executable, "build.py", "--quiet", "--out", str(data_dir)])
            if built["returncode"] != 0:
                log(f"the build failed:\n{built['stderr']}")
                return 1
        if "queries" in parts:
            log("queries: every saved query on pyoxigraph and rdflib")
            results["queries"] = bench_queries(data_dir, query_repeat, log)
        if "endpoint" in parts:
            log("endpoint: a simple lookup under load, ours and the Oxigraph server")
            results["endpoint"] = bench_endpoint(data_dir, work, duration, log)
        if "scale" in parts:
            log(f"scale: synthetic corpora of {', '.join(f'{s:.0e}' for s in sizes)} triples")
            results["scale"] = bench_scale(sizes, work, limit, query_repeat, log)
    except KeyboardInterrupt:
        log("interrupted: no figures written")
        return 130
    finally:
        if work_ctx is not None:
            work_ctx.cleanup()
    results["finished"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    text = report(results)
    print(text)
    try:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n", encoding="utf-8")
    except OSError as err:
        print(f"error: cannot write {args.json}: {err.strerror}", file=sys.stderr)
        return 3
    log(f"figures written to {args.json}")
    return 0


def add_arguments_default_sizes() -> str:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return parser.get_default("sizes")
