"""The view side: pages and texts made from the built graph, each a single offline file.

``graph_page`` (graph.html, themes.html, with ``layout``), ``argument_map`` (argument.html),
``reader`` (reader.html, from the essay's text), ``argdown`` (argument.argdown) and
``ontology_docs`` (ontology.html). ``shown`` decides what the graph view draws of a large graph.
"""
