"""The build side: from the hand-written sources (graph/, ontology/) to the artifacts in output/.

``pipeline`` runs it: ``load`` parses the sources, ``anchors`` verifies every quote against the
essay's text, ``validate`` runs SHACL and the quality checks, ``export`` writes the RDF files
atomically, ``summary`` counts. ``anchor_command`` and ``mentions`` make the anchors in graph/;
``publish`` uploads the built graphs to a triple store.
"""
