"""The tests mirror the code: essaykg/<side>/<module>.py has tests/<side>/test_<module>.py (README, Layout).

A module without a test file of its own is listed below with the file that tests it, and why."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# module -> (the test file that covers it, why it has no file of its own)
TESTED_ELSEWHERE = {
    "essaykg/config.py": ("tests/test_install.py", "paths only; where the project folder is found is what installing changes"),
    "essaykg/kinds.py": ("tests/view/test_graph_page.py", "what kind a node is shows as what the graph view draws"),
    "essaykg/namespaces.py": ("tests/test_queries.py", "the prefixes are what queries may use; the README lists them"),
    "essaykg/build/anchor_command.py": ("tests/test_cli.py", "a command that prints what anchors.py makes"),
    "essaykg/build/summary.py": ("tests/test_data.py", "the summary is compared whole with tests/golden/summary.json"),
    "essaykg/query/command.py": ("tests/query/test_sparql.py", "the `query` command over sparql.py and worker.py"),
    "essaykg/query/worker.py": ("tests/query/test_sparql.py", "the pool runs every query of the sparql tests"),
    "essaykg/serve/__init__.py": ("tests/serve/test_app.py", "the server's start, stop and command line"),
    "essaykg/serve/negotiate.py": ("tests/serve/test_guard.py", "content negotiation is tested with the guard's fast cases"),
    "essaykg/serve/pages.py": ("tests/serve/test_app.py", "pages are tested as the server sends them"),
    "essaykg/view/layout.py": ("tests/view/test_graph_page.py", "positions are tested where they are drawn"),
    "essaykg/view/ontology_docs.py": ("tests/query/test_sparql.py", "ontology.html is tested as the server serves it"),
    "essaykg/view/pages.py": ("tests/build/test_pipeline.py", "the build's log names each page it makes"),
    "essaykg/view/shown.py": ("tests/build/test_pipeline.py", "what a large graph's view keeps"),
}


def modules() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for p in (ROOT / "essaykg").rglob("*.py")
                  if p.name != "__init__.py" or p.parent.name == "serve")


def own_test(module: str) -> Path:
    path = Path(module)
    side = path.parent.relative_to("essaykg")
    name = path.parent.name if path.name == "__init__.py" else path.stem
    return ROOT / "tests" / side / f"test_{name}.py"


def test_every_module_has_its_test_file_or_says_where_it_is_tested():
    missing = []
    for module in modules():
        if own_test(module).is_file():
            assert module not in TESTED_ELSEWHERE, f"{module} has {own_test(module)}: drop it from the list"
        elif module in TESTED_ELSEWHERE:
            assert (ROOT / TESTED_ELSEWHERE[module][0]).is_file(), TESTED_ELSEWHERE[module]
        else:
            missing.append(module)
    assert missing == [], f"no tests/<side>/test_<module>.py for {missing}"
    assert set(TESTED_ELSEWHERE) <= set(modules())


def test_every_test_file_in_a_side_folder_names_a_module_of_that_side():
    strays = []
    for test in sorted((ROOT / "tests").glob("*/test_*.py")):
        side = test.parent.name
        stem = test.stem.removeprefix("test_")
        base = ROOT / "benchmarks" if side == "benchmarks" else ROOT / "essaykg" / side
        if not any((base / f"{name}.py").is_file() for name in (stem, stem.removesuffix("_browser"))) \
                and not (side == "serve" and stem in {"app", "security", "browser"}):
            strays.append(str(test.relative_to(ROOT)))
    assert strays == []


def test_pytest_collects_every_test_file():
    """pytest skips folders named build/ unless told (pyproject.toml, norecursedirs): every test file
    must be collected by the plain test command, tests/build/ included."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
                          cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    collected = {line.split("::", 1)[0] for line in done.stdout.splitlines() if "::" in line}
    files = {str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("test_*.py")}
    assert files - collected == set()
