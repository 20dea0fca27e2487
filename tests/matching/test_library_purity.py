"""matching/ is a library: importing the pipeline loads no Flask, SQLAlchemy or marketplace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECK = (
    "import matching.pipeline, sys; "
    "assert not any(m.startswith(('flask', 'sqlalchemy', 'marketplace')) for m in sys.modules)"
)


def test_pipeline_import_loads_no_web_stack():
    done = subprocess.run(
        [sys.executable, "-c", CHECK], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
