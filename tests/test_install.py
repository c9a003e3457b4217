"""`pip install .` in a fresh virtual environment gives a working `essaykg` command (pyproject.toml).

The venv has no access to this interpreter's packages: the dependencies come from the package index,
pinned by requirements.lock, as a new user's would. The build it runs writes into a temporary folder.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(*args, cwd=None, env=None, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def test_pip_install_gives_the_essaykg_command(tmp_path, source_path, built):
    where = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(where)
    python = where / "bin" / "python"
    # from a copy: setuptools builds in the source folder (build/, *.egg-info), never in the checkout
    source = tmp_path / "source"
    shutil.copytree(ROOT / "essaykg", source / "essaykg", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    installed = run(str(python), "-m", "pip", "install", "-q", "-c", str(ROOT / "requirements.lock"), str(source))
    assert installed.returncode == 0, installed.stderr[-3000:]

    # what was installed: the package and its data, not the tests or the benchmarks
    listing = run(str(python), "-c", "import essaykg, pathlib; p = pathlib.Path(essaykg.__file__).parent; "
                  "print('\\n'.join(sorted(str(f.relative_to(p.parent)) for f in p.rglob('*') if f.is_file() "
                  "and '__pycache__' not in f.parts)))", cwd=tmp_path)  # not the checkout's folder, which is importable
    files = set(listing.stdout.split())
    assert {"essaykg/cli.py", "essaykg/build/pipeline.py", "essaykg/view/templates/graph.js",
            "essaykg/serve/static/editor.js", "essaykg/serve/templates/base.html.j2"} <= files
    assert not any(f.startswith(("tests/", "benchmarks/")) for f in files)
    assert str(where) in listing.stdout or str(where) in run(
        str(python), "-c", "import essaykg; print(essaykg.__file__)", cwd=tmp_path).stdout

    command = where / "bin" / "essaykg"
    usage = run(str(command), "--help", cwd=ROOT)
    assert usage.returncode == 0 and usage.stdout.startswith("usage: essaykg ")
    for name in ("build", "anchor", "mentions", "query", "serve", "publish"):
        assert f"    {name} " in usage.stdout

    # a build from the project folder, as `python build.py` does it, into a folder of its own
    out = tmp_path / "out"
    result = run(str(command), "--source", str(source_path), "--out", str(out), "-q", cwd=ROOT)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith("built ")
    assert {p.name for p in out.iterdir()} == {p.name for p in built.out_dir.iterdir()}
    for name in ("essay-kg.trig", "graph.html", "index.html", "essays/her-2023/argument.html", "essays/her-2023/reader.html"):
        assert (out / name).read_bytes() == (built.out_dir / name).read_bytes(), name  # same bytes
    assert json.loads((out / "summary.json").read_text())["triples"] == built.summary["triples"]

    # the benchmarks are not installed: the command says where they run
    bench = run(str(command), "bench", cwd=ROOT)
    assert bench.returncode == 3 and "runs only from a checkout" in bench.stderr
    assert "python build.py bench" in bench.stderr

    # outside any project folder: said plainly, exit 3; the messages name the command that was run
    elsewhere = run(str(command), "--out", str(tmp_path / "x"), cwd=tmp_path)
    assert elsewhere.returncode == 3, elsewhere.stderr
    assert f"{tmp_path.resolve()} is not a project folder" in elsewhere.stderr
    assert "run `essaykg build` in the project's folder, or set ESSAYKG_HOME" in elsewhere.stderr
    listing = run(str(command), "query", "--list", cwd=ROOT)
    assert "run one with `essaykg query NN`" in listing.stdout


def test_the_project_folder_is_found_as_the_readme_says(tmp_path, monkeypatch):
    """$ESSAYKG_HOME first; then the checkout the package sits in; installed, the nearest folder at or
    above the working directory that holds graph/ and ontology/."""
    from essaykg import config

    project = tmp_path / "my-essay"
    (project / "graph").mkdir(parents=True)
    (project / "ontology").mkdir()
    (project / "graph" / "deep").mkdir()
    monkeypatch.setenv("ESSAYKG_HOME", str(project))
    assert config.project_root() == project.resolve()
    monkeypatch.delenv("ESSAYKG_HOME")
    assert config.project_root() == ROOT  # running from this checkout
    # an installed package: its parent folder holds no graph/, so the working directory decides
    monkeypatch.setattr(config, "__file__", str(tmp_path / "site-packages" / "essaykg" / "config.py"))
    monkeypatch.chdir(project / "graph" / "deep")
    assert config.project_root() == project.resolve()
    monkeypatch.chdir(tmp_path)
    assert config.project_root() == tmp_path.resolve()  # no project above: the working directory
