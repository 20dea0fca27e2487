"""The yardstick for bench_catalogue_load.py: a bare Flask "hello" served like Minka.

    gunicorn -w 2 -b 127.0.0.1:8001 --chdir bench bare_app:app

No database, no template, no session: what a request costs through gunicorn and Flask alone
on this machine, so the catalogue's throughput can be read as a share of it.
"""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/hello")
def hello() -> str:
    """Answer a short text, nothing else."""
    return "hello"
