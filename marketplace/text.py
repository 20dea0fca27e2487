"""Text folding for Spanish search: case and accents do not matter."""

from __future__ import annotations

import unicodedata


def fold(text: str | None) -> str:
    """Lower-case `text` and strip accents ("Orgánico" -> "organico"); ñ becomes n too."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


MIN_STEM = 4
VOWELS = "aeiou"


def stem(word: str) -> str:
    """A light Spanish stem of one word, folded: the plural and gender endings (-es/-s,
    -a/-o/-e) and -ción/-ciones come off, so that every inflection of a word contains it
    ("Fertilizantes" and "fertilizante" -> "fertilizant", "orgánicas" -> "organic",
    "fumigaciones" -> "fumigac"). A stem is never shorter than MIN_STEM letters: a short word
    stays as it is ("poda"). Searches match stems as substrings of the folded text."""
    word = fold(word)
    for ending, keep in (("ciones", "c"), ("cion", "c")):
        if word.endswith(ending) and len(word) - len(ending) + len(keep) >= MIN_STEM:
            return word[: -len(ending)] + keep
    if word.endswith("es") and len(word) > MIN_STEM + 2 and word[-3] not in VOWELS:
        word = word[:-2]
    elif word.endswith("s") and len(word) > MIN_STEM:
        word = word[:-1]
    if word[-1:] in ("a", "o", "e") and len(word) > MIN_STEM:
        word = word[:-1]
    return word
