"""Answering SPARQL, shared by the `query` command and the server.

``sparql`` screens a query and runs it with row and byte limits; ``worker`` runs it in a process
with no network, under a time limit; ``command`` is `python build.py query`.
"""
