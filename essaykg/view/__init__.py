"""The view side: pages and texts made from the built graph, each a single offline file.

``pages`` makes them all: for the corpus, ``corpus_page`` (index.html), ``graph_page`` (graph.html,
themes.html, with ``layout``) and ``ontology_docs`` (ontology.html); for each essay, in
essays/<slug>/, its own graph.html, ``argument_map`` (argument.html), ``argdown``
(argument.argdown) and ``reader`` (reader.html, from the essay's text). ``shown`` decides what the
graph view draws of a large graph.
"""
