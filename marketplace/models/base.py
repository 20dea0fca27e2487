"""Shared column helpers."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware now in UTC, the only time the database stores."""
    return datetime.now(UTC)
