"""Typed calls into pyoxigraph whose result type depends on how they are called, narrowed once here.

``Store.query`` returns QuerySolutions, QueryBoolean or QueryTriples by the query's form; every
caller of ``select`` wrote a SELECT and knows it. ``ox.serialize`` returns None when it writes to an
output; ``serialize`` gives it none, so it returns the bytes.
"""

from __future__ import annotations

from collections.abc import Iterable
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


def serialized(
    statements: Iterable[ox.Triple] | Iterable[ox.Quad], format: ox.RdfFormat, prefixes: dict[str, str] | None = None
) -> bytes:
    """``ox.serialize`` into memory: the serialization as bytes."""
    data = ox.serialize(statements, format=format, prefixes=prefixes)
    assert data is not None  # None only when given an output to write to
    return data
