"""Benchmarks and the synthetic corpora they build: `python build.py bench` (from a checkout)."""
