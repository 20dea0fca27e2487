"""A second yardstick for bench_catalogue_load.py: Minka's frame with no page.

    gunicorn -w 2 -b 127.0.0.1:8002 --chdir bench frame_app:app

Minka's app with its settings, extensions and request hooks, plus one route that does what
every signed-in page does before its own work (open the session, load the user) and answers
a short text: the ceiling of any signed-in page's throughput on this machine.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flask_login import current_user, login_required

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from marketplace import create_app  # noqa: E402 (after the project is on the path)

app = create_app()


@app.get("/_bench/frame")
@login_required
def frame() -> str:
    """Answer a short text naming the signed-in user, nothing else."""
    return f"hello {current_user.id}"
