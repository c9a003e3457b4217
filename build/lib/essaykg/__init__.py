"""essaykg: build, check, render and serve the knowledge graph of an essay.

One module per concern: ``config`` (paths and IRIs), ``load`` (parse sources),
``anchors`` (verify quotes against the essay text), ``validate`` (SHACL and
quality checks), ``export`` (serialize artifacts atomically), ``summary``
(counts), ``pipeline`` (the build), ``cli`` (the command line).
"""
