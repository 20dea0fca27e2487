"""Credit matching: a pure library (no Flask, no SQLAlchemy, no marketplace).

Plain data in (pandas DataFrames, dataclasses), plain data out. Only ``marketplace.credit``
adapts between the database and this library: ``credit/frames.py`` turns rows into the
library's inputs, ``credit/runs.py`` runs the pipeline and stores its results (an
import-linter contract in pyproject.toml keeps it so).
"""
