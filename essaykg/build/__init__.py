"""The build side: from the hand-written sources (graph/, ontology/) to the artifacts in output/.

``pipeline`` runs it: ``load`` parses the sources, ``sources`` finds each essay's text, ``anchors``
verifies every quote against its essay's text, ``validate`` runs SHACL and the quality checks,
``export`` writes the RDF files atomically, ``summary`` counts. ``anchor_command``, ``mentions`` and
``new_essay`` write into graph/; ``publish`` uploads the built graphs to a triple store.
"""
