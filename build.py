#!/usr/bin/env python3
"""The one entry point: `python build.py --help` lists what it does."""

import sys

from essaykg.cli import main

if __name__ == "__main__":
    sys.exit(main())
