"""What a new password may not be: one of the most common, or made of the user's own
identifiers (e-mail, phone, name). The list is Minka's own file, read once, no network."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

COMMON_FILE = Path(__file__).with_name("common_passwords.txt")
MIN_PART = 4  # shorter name parts ("Ana", "Li") are too common inside words to refuse
_TAIL = re.compile(r"[\d\W_]+$")
_SEPARATORS = re.compile(r"[\s.\-_+]+")

COMMON = _l("Esa contraseña es demasiado común. Elija otra más difícil de adivinar.")
PERSONAL = _l("La contraseña no puede contener su correo, celular o nombre.")


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list, lower-case."""
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _is_common(password: str) -> bool:
    text = password.lower()
    base = _TAIL.sub("", text)  # "Password123!" is "password" with a tail
    return text in common_passwords() or (bool(base) and base in common_passwords())


def _parts(identifier: str) -> list[str]:
    """The pieces of an e-mail, phone or name that a password must not contain."""
    text = identifier.strip().lower()
    if not text:
        return []
    if text.startswith("+") and text[1:].isdigit():
        return [text[1:], text[-9:]]  # with and without the country code
    pieces = [text, _SEPARATORS.sub("", text)]
    if "@" in text:
        pieces.append(text.split("@")[0])
    pieces += _SEPARATORS.split(text.split("@")[0])
    return [piece for piece in pieces if len(piece) >= MIN_PART]


def problem(password: str, identifiers: Iterable[str | None] = ()) -> LazyString | None:
    """Why `password` is refused, or None when it may be used."""
    if _is_common(password):
        return COMMON
    squeezed = _SEPARATORS.sub("", password.lower())
    for identifier in identifiers:
        for part in _parts(identifier or ""):
            if part in password.lower() or _SEPARATORS.sub("", part) in squeezed:
                return PERSONAL
    return None
