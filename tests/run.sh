#!/usr/bin/env bash
# Install everything the tests need, then run them: the README's second command, and what CI runs.
# Debian packages: raptor2-utils (rapper, an independent RDF parser), wrk (the endpoint benchmark's load
# generator), virtuoso-opensource (virtuoso-t, a triple store that `publish` is tested against) and chromium
# (browser tests, driven by Playwright through executable_path; no browser is ever downloaded).
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v rapper >/dev/null 2>&1 || missing+=(raptor2-utils)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v wrk >/dev/null 2>&1 || missing+=(wrk)
command -v virtuoso-t >/dev/null 2>&1 || missing+=(virtuoso-opensource)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  # env inside sudo: sudo drops the caller's environment, and virtuoso-opensource asks debconf questions
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python -m pip install -q -r requirements-test.lock
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# The code is linted, formatted and typed before the tests run (pyproject.toml: [tool.ruff], [tool.mypy]).
code=(essaykg benchmarks build.py docs/screenshots.py)
python -m ruff check "${code[@]}"
python -m ruff format --check "${code[@]}"
python -m mypy

exec python -m pytest "$@"
