"""What each text message says, written to fit one SMS.

One SMS holds 160 characters of the GSM-7 alphabet (GSM 03.38); a single character outside it
(á, í, ó, ú, «, a non-breaking space) sends the whole message as UCS-2, 70 characters a part.
So every text is rendered in the producer's language, then written in GSM-7 (`to_gsm7`: the
accents GSM-7 lacks are dropped, é and ñ stay) and the names in it are shortened so that the
longest realistic values still fit (tests/unit/test_sms_texts.py tries each kind).
"""

from __future__ import annotations

import unicodedata
from datetime import date

from flask_babel import force_locale, format_date
from flask_babel import lazy_gettext as _l

from marketplace.i18n import money, number

#: GSM 03.38's basic character set (one septet each); the extension table is left out on
#: purpose: its characters ({, }, €, ...) cost two septets and no text needs them.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
SMS_LENGTH = 160

_REPLACEMENTS = {"«": '"', "»": '"', "“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"}
_SPACES = {"\u00a0", "\u202f", "\u2009", "\u2007"}

#: The texts, by notification kind (the same kinds as the in-app notices, plus the codes and
#: reminders that only go by SMS). Spanish source strings; `to_gsm7` removes what GSM-7 lacks.
TEXTS = {
    "order.confirmed": _l("Minka: su pedido #%(order)s (%(title)s) fue confirmado."),
    "order.delivered": _l("Minka: su pedido #%(order)s (%(title)s) fue entregado."),
    "credit.loan_approved": _l(
        "Minka: %(lender)s aprobó su préstamo. Lea el cronograma en Mi crédito o con su "
        "técnico y diga si lo acepta."
    ),
    "credit.group_declined": _l("Minka: %(lender)s no aprobó el crédito de su grupo."),
    "loan.instalment_due": _l(
        "Minka: la cuota %(number)s de su préstamo #%(loan)s, %(amount)s, vence el %(date)s."
    ),
    "loan.instalment_overdue": _l(
        "Minka: la cuota %(number)s de su préstamo #%(loan)s, %(amount)s, venció el %(date)s. "
        "Pague pronto para evitar cargos."
    ),
    "delivery.recorded": _l("Minka: entrega %(code)s registrada: %(kg)s kg."),
    "delivery.checkoff_producer": _l(
        "Minka: entrega %(code)s registrada: %(kg)s kg. Descontado para su préstamo: %(deducted)s."
    ),
    "commitment.nearby": _l(
        "Minka: %(buyer)s compra %(product)s en %(region)s, entregas hasta el %(date)s. "
        "Pregunte a su técnico."
    ),
    "auth.reset_code": _l(
        "Minka: su código para cambiar la contraseña es %(code)s. Vence en 10 minutos. "
        "No lo comparta."
    ),
    "producer.claim_code": _l(
        "Minka: su código para unir su cuenta a su registro es %(code)s. Vence en 10 minutos. "
        "No lo comparta."
    ),
}

#: Kinds whose text carries a one-time code: redacted in the outbox once sent.
CODE_KINDS = frozenset({"auth.reset_code", "producer.claim_code"})

#: The longest a name may be in a text (a product's title, a lender's or buyer's name).
NAME_LENGTH = 28
_NAMES = frozenset({"title", "lender", "buyer", "product", "region"})


def to_gsm7(text: str) -> str:
    """`text` in GSM-7's basic set: a, i, o, u without accents, quotes made plain, other
    characters outside the set dropped."""
    out = []
    for char in text:
        if char in GSM7_BASIC:
            out.append(char)
        elif char in _SPACES:
            out.append(" ")
        elif char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        else:
            base = unicodedata.normalize("NFD", char)[0]
            if base in GSM7_BASIC:
                out.append(base)
    return "".join(out)


def is_gsm7(text: str) -> bool:
    """True when every character of `text` is in GSM-7's basic set."""
    return all(char in GSM7_BASIC for char in text)


def _short(value: str) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= NAME_LENGTH else value[: NAME_LENGTH - 3].rstrip() + "..."


def _shown(key: str, value):
    if key == "date" and isinstance(value, str):
        return format_date(date.fromisoformat(value), "dd/MM/yyyy")
    if isinstance(value, dict) and set(value) == {"minor", "currency"}:
        return money(value["minor"], value["currency"])
    if key in _NAMES:
        return _short(value)
    if isinstance(value, float):
        return number(value, 2)
    return value


def compose(kind: str, params: dict, locale: str = "es") -> str:
    """The text of `kind` in `locale`, in GSM-7 (its length is the tests' business)."""
    with force_locale(locale):
        text = str(TEXTS[kind]) % {key: _shown(key, value) for key, value in params.items()}
    return to_gsm7(text)


def render(kind: str, params: dict, locale: str = "es") -> str:
    """The text of `kind` in `locale`, in GSM-7, cut at one SMS should a text ever outgrow it."""
    return compose(kind, params, locale)[:SMS_LENGTH]
