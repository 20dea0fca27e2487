"""Stored codes that carry how people read them: a translated label and, for the ones shown
as badges, a tone.

Each status or kind is a `Vocabulary` enum whose members are written
``CODE = "code", _l("Etiqueta"), Tone.OK``: the code stored in the database, its label
(a Spanish msgid, translated when read) and, where it is shown as a badge, its tone. Templates
get every vocabulary by name (``OrderStatus``) and compare members, never string literals.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import LazyString


class Tone(StrEnum):
    """A badge's colour by meaning (CSS class ``badge-<tone>``)."""

    OK = "ok"  # done, good news
    WARN = "warn"  # waiting on someone, or worth a look
    BAD = "bad"  # refused, failed, at risk
    NEUTRAL = "neutral"  # no judgement: the plain badge


class Vocabulary(StrEnum):
    """A StrEnum whose members also carry a label and, when shown as a badge, a tone."""

    def __new__(cls, code: str, label: LazyString, tone: Tone | None = None):
        member = str.__new__(cls, code)
        member._value_ = code
        member._label = label
        member._tone = tone
        return member

    @property
    def label(self) -> str:
        """The member's name in the viewer's language."""
        return str(self._label)

    @property
    def lazy_label(self) -> LazyString:
        """The label, translated only when shown (for what is built at import, e.g. forms)."""
        return self._label

    @property
    def tone(self) -> Tone | None:
        """The badge's tone; None for a vocabulary that is never shown as a badge."""
        return self._tone

    @classmethod
    def codes(cls) -> tuple[str, ...]:
        """The stored codes, in declaration order (``code in X.codes()`` checks a raw value)."""
        return tuple(member.value for member in cls)

    @classmethod
    def choices(cls) -> list[tuple[str, LazyString]]:
        """(code, label) pairs for a form's select or radio field, in declaration order."""
        return [(member.value, member.lazy_label) for member in cls]


def vocabularies() -> dict[str, type[Vocabulary]]:
    """Every vocabulary by class name (the models must be imported): the templates' globals."""
    found: dict[str, type[Vocabulary]] = {}
    pending = list(Vocabulary.__subclasses__())
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return dict(sorted(found.items()))
