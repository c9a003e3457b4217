"""The one typed way to run a SELECT on a pyoxigraph Store.

``Store.query`` returns QuerySolutions, QueryBoolean or QueryTriples by the query's form; every
caller here wrote a SELECT and knows it, so it says so once, here, instead of at each call.
"""

from __future__ import annotations

from typing import TypedDict, Unpack

import pyoxigraph as ox


class QueryOptions(TypedDict, total=False):
    """The keyword arguments of ``Store.query`` this project passes."""

    use_default_graph_as_union: bool
    default_graph: list[ox.NamedNode | ox.BlankNode | ox.DefaultGraph]
    prefixes: dict[str, str]
    substitutions: dict[ox.Variable, ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple]


def select(store: ox.Store, query: str, **options: Unpack[QueryOptions]) -> ox.QuerySolutions:
    """Run a SELECT query; a query of another form is a programming error (TypeError)."""
    solutions = store.query(query, **options)
    if not isinstance(solutions, ox.QuerySolutions):
        raise TypeError(f"not a SELECT query: {query.strip()[:80]!r}")
    return solutions
