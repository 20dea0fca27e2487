"""Routes: see the module docstring of marketplace.traceability."""

from marketplace.traceability import bp  # noqa: F401
