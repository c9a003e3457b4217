"""docs/screenshots.py: the README's pictures, taken in Chromium from a build (here into a temporary folder)."""
from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import pytest

from essaykg import config

SCRIPT = Path(__file__).resolve().parent.parent / "docs" / "screenshots.py"


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def test_each_page_is_pictured_at_1280_by_800(built, tmp_path):
    if not Path("/usr/bin/chromium").is_file():
        (pytest.fail if config.in_ci() else pytest.skip)("/usr/bin/chromium is missing: apt-get install chromium")
    spec = importlib.util.spec_from_file_location("screenshots", SCRIPT)
    screenshots = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screenshots)
    written = screenshots.shoot(built.out_dir, tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{name}.png" for name in screenshots.PAGES)
    for path in written:
        assert png_size(path) == (1280, 800)
        assert path.stat().st_size > 30_000, path  # something drawn, not a blank page
    # the README shows each picture it has
    readme = (SCRIPT.parent.parent / "README.md").read_text(encoding="utf-8")
    for name in ("argument", "reader", "graph"):
        assert f"](docs/{name}.png)" in readme
