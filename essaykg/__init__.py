"""essaykg: build, check, render and serve the knowledge graph of an essay.

Three sides that meet through the files in output/:

- ``essaykg.build``: load graph/ and ontology/, verify the anchors, validate, write the RDF artifacts;
- ``essaykg.view``: the offline pages (graph view, argument map, reader, ontology docs) and Argdown;
- ``essaykg.serve``: the read-only web app over output/ (SPARQL endpoint, editor, entity pages).

Shared by all three: ``config`` (paths), ``namespaces`` (the one prefix table and IRI shortener),
``kinds`` (what kind of thing a node is), ``store`` (typed calls into pyoxigraph), ``query``
(screened, sandboxed SPARQL) and ``cli`` (`python build.py`, installed as the `essaykg` command).
"""
