"""Both catalogues are complete: no message untranslated or fuzzy, none missing from the code."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("es", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _catalog(language: str):
    path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _source_messages() -> set[str]:
    found = set()
    for folder, method in (("marketplace", "python"), ("templates", "jinja2")):
        mapping = [(f"**.{'py' if method == 'python' else 'html'}", method)]
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, method_map=mapping, keywords=KEYWORDS
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_is_complete(language):
    catalog = _catalog(language)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(message.id)
    assert problems == [], f"{language}: untranslated or fuzzy: {problems[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_in_the_code_is_in_the_catalogue(language):
    known = {m.id[0] if isinstance(m.id, tuple) else m.id for m in _catalog(language) if m.id}
    missing = sorted(_source_messages() - known)
    assert missing == [], f"run `make translations`; missing in {language}: {missing[:10]}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_translation_compiles(language):
    """What `pybabel compile` refuses (a "%" read as a placeholder, like "% del" -> "%d")
    would stop `make run` and `make test` on a fresh machine."""
    problems = [
        f"{message.id!r}: {error}"
        for message, errors in _catalog(language).check()
        for error in errors
    ]
    assert problems == []
