"""Shared column helpers and the two clocks: UTC for what is stored, local dates for people."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "America/Lima"


def utcnow() -> datetime:
    """Timezone-aware now in UTC, the only time the database stores."""
    return datetime.now(UTC)


def _local_zone() -> ZoneInfo:
    if has_app_context():
        return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE", DEFAULT_TIMEZONE))
    return ZoneInfo(DEFAULT_TIMEZONE)


def local_today() -> date:
    """Today's date where Minka's users live (MINKA_TIMEZONE), not the server's UTC date.

    Every "today" a user sees or a rule checks (a delivery window, a visit's date, a payment's
    date) comes from here: between midnight UTC and midnight in Lima the two dates differ.
    """
    return datetime.now(_local_zone()).date()


def local_date(moment: datetime) -> date:
    """The calendar date, where Minka's users live, of a stored (timezone-aware) moment."""
    return moment.astimezone(_local_zone()).date()
