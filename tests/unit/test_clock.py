"""One clock for "today": the date where Minka's users live, never the server's UTC date."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask

from marketplace.models.base import DEFAULT_TIMEZONE, local_date, local_today

ROOT = Path(__file__).resolve().parents[2]
# The server's date: UTC on the hosts, so wrong for Lima between 19:00 and midnight.
SERVER_DATE = re.compile(r"\bdate\.today\(\)|\bnow\(\)\.date\(\)|utcnow\(\)\.date\(\)")
# A parameter tuple computing today: evaluated when pytest collects, which may be before
# midnight while the test runs after it.
COLLECTED_TODAY = re.compile(r"^\s*\(\{.*local_today\(\)")


def _today_in(zone: str):
    app = Flask(__name__)
    app.config["BABEL_DEFAULT_TIMEZONE"] = zone
    with app.app_context():
        return local_today()


def test_today_follows_the_configured_zone() -> None:
    # Kiritimati (UTC+14) and Pago Pago (UTC-11) are 25 hours apart: never the same date.
    east, west = _today_in("Pacific/Kiritimati"), _today_in("Pacific/Pago_Pago")
    assert east > west
    assert east == datetime.now(ZoneInfo("Pacific/Kiritimati")).date()


def test_without_an_app_today_is_limas() -> None:
    assert DEFAULT_TIMEZONE == "America/Lima"
    assert local_today() == datetime.now(ZoneInfo(DEFAULT_TIMEZONE)).date()


def test_no_code_or_test_reads_the_servers_date() -> None:
    """A test that builds "yesterday" from the UTC date fails every evening in Lima."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for folder in ("marketplace", "tests", "bench", "scripts")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path != Path(__file__).resolve()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SERVER_DATE.search(line)
    ]
    assert offenders == []


def test_a_moment_falls_on_the_local_date() -> None:
    # 02:30 UTC on 6 December is still the evening of the 5th in Lima.
    moment = datetime(2026, 12, 6, 2, 30, tzinfo=ZoneInfo("UTC"))
    assert local_date(moment).isoformat() == "2026-12-05"


def test_no_test_parameter_computes_today():
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if COLLECTED_TODAY.search(line)
    ]
    assert offenders == []
