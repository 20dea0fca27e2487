"""Phone numbers as people type them in Peru, Mexico and Colombia, stored as +<digits>."""

from __future__ import annotations

import re

from marketplace.labels import CALLING_CODES

_SEPARATORS = re.compile(r"[\s\-().]")


def normalize_phone(raw: str, country: str | None) -> str | None:
    """Return '+<country code><number>' or None when `raw` is not a plausible phone number."""
    text = _SEPARATORS.sub("", raw or "")
    if text.startswith("+"):
        digits = text[1:]
        if not digits.isdigit():
            return None
    elif text.startswith("00") and text.isdigit():
        digits = text[2:]
    elif text.isdigit() and country in CALLING_CODES:
        digits = CALLING_CODES[country] + text.lstrip("0")
    else:
        return None
    return f"+{digits}" if 10 <= len(digits) <= 15 else None


def phone_candidates(raw: str) -> list[str]:
    """Stored forms that a phone typed at sign-in may match (the country is unknown there)."""
    exact = normalize_phone(raw, None)
    candidates = [exact] if exact else []
    candidates += [normalize_phone(raw, country) for country in CALLING_CODES]
    return [c for c in dict.fromkeys(candidates) if c]
