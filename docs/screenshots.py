"""The README's pictures: each built page at 1280×800 in Debian's Chromium (never a downloaded browser).

    python build.py && python docs/screenshots.py            # writes docs/<page>.png
    python docs/screenshots.py --pages output --out /tmp/x   # elsewhere

The pages open from disk (file://), as a reader opens them; what each shows is what a person sees first.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 800}
# picture -> (the page in the built output, fragment to open it at, what the picture shows)
PAGES = {
    "graph": ("graph.html", "", "the whole graph"),
    "argument": ("essays/her-2023/argument.html", "", "the argument map, thesis on top"),
    "reader": ("essays/her-2023/reader.html", "#p12", "the essay with its highlights, from paragraph 12"),
    "themes": ("themes.html", "", "the theme scheme"),
}


def shoot(pages_dir: Path, out_dir: Path, names=tuple(PAGES)) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        for name in names:
            page_file = pages_dir / PAGES[name][0]
            if not page_file.is_file():
                print(f"skipped {name}: {page_file} is missing (run `python build.py`)", file=sys.stderr)
                continue
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(page_file.resolve().as_uri() + PAGES[name][1])
            page.wait_for_timeout(1500)  # the network pages draw after load; nothing else moves
            target = out_dir / f"{name}.png"
            page.screenshot(path=str(target))
            page.close()
            written.append(target)
            print(f"{target}: {PAGES[name][2]}")
        browser.close()
    return written


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=Path, default=ROOT / "output", help="the built pages (default: output/)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="where the PNGs go (default: docs/)")
    args = parser.parse_args(argv)
    return 0 if shoot(args.pages, args.out) else 1


if __name__ == "__main__":
    sys.exit(main())
