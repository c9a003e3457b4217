"""Entry point of a query worker process: ``python -m essaykg.worker DATA_DIR MAX_ROWS MEMORY``.

Started by :class:`essaykg.sparql.QueryPool`, never by hand; see :func:`essaykg.sparql.worker_main`.
"""
import sys

from essaykg.sparql import worker_main

if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
