"""One module per component; each exposes ``deploy(component, doc)`` and ``stop(component, doc)``."""
