"""Spanish is Minka's source language: copy each msgid into the es catalogue's msgstr.

Run by `make translations` after `pybabel update`; English is translated by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

CATALOG = Path(__file__).resolve().parent.parent / "translations/es/LC_MESSAGES/messages.po"


def fill(path: Path = CATALOG) -> int:
    """Set msgstr = msgid for every message; return how many were filled."""
    with path.open("rb") as handle:
        catalog = read_po(handle, locale="es")
    filled = 0
    for message in catalog:
        if not message.id:
            continue
        if message.fuzzy:
            message.flags.discard("fuzzy")
        if isinstance(message.id, tuple):
            wanted = tuple(message.id[i if i < 2 else 1] for i in range(catalog.num_plurals))
        else:
            wanted = message.id
        if message.string != wanted:
            message.string = wanted
            filled += 1
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100)
    return filled


if __name__ == "__main__":
    print(f"es: {fill(Path(sys.argv[1]) if len(sys.argv) > 1 else CATALOG)} messages filled")
