"""Text folding for Spanish search: case and accents do not matter."""

from __future__ import annotations

import unicodedata


def fold(text: str | None) -> str:
    """Lower-case `text` and strip accents ("Orgánico" -> "organico"); ñ becomes n too."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
