"""The platform's card fee: a percentage an admin sets, kept in basis points."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace import audit, currencies
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import PlatformSetting, User
from marketplace.numbers import NumberError, read_number
from marketplace.payments import gateway

FEE_KEY = "card_fee_bp"
DEFAULT_FEE_BP = 500  # 5 %
MAX_FEE_BP = 3_000  # 30 %: anything higher is a typo


def fee_bp() -> int:
    """The card fee in basis points (1 % = 100)."""
    setting = db.session.get(PlatformSetting, FEE_KEY)
    return int(setting.value) if setting is not None else DEFAULT_FEE_BP


def fee_for(total_minor: int, currency: str, bp: int | None = None) -> int:
    """The platform's fee on a card payment of `total_minor`, rounded half up, in whole
    units where Stripe charges whole units only."""
    bp = fee_bp() if bp is None else bp
    fee = (total_minor * bp + 5_000) // 10_000
    if currency.upper() in gateway.WHOLE_UNITS:
        unit = 10 ** currencies.minor_units(currency)
        fee = (fee + unit // 2) // unit * unit
    return min(fee, total_minor)


def percent_text(bp: int) -> str:
    """Basis points as the percentage an admin types ("5", "2.5")."""
    whole, rest = divmod(bp, 100)
    return f"{whole}.{rest:02d}".rstrip("0").rstrip(".") if rest else str(whole)


def parse_percent(text: str) -> int:
    """A typed percentage ("5", "2,5", "2.75 %") as basis points; DomainError if unreadable."""
    raw = (text or "").strip().removesuffix("%")
    try:
        bp = int(read_number(raw, places=2, thousands=False).scaleb(2))
    except NumberError:
        raise DomainError(_l("Escriba un porcentaje, por ejemplo 5 o 2,5."), "percent") from None
    if bp > MAX_FEE_BP:
        raise DomainError(_l("La comisión no puede pasar del 30 %."), "percent")
    return bp


def set_fee(actor: User, text: str) -> int:
    """An admin sets the card fee; audit-logged. Returns the new basis points."""
    bp = parse_percent(text)
    setting = db.session.get(PlatformSetting, FEE_KEY)
    before = int(setting.value) if setting is not None else DEFAULT_FEE_BP
    if setting is None:
        setting = PlatformSetting(key=FEE_KEY, value=str(bp), updated_by_id=actor.id)
        db.session.add(setting)
    else:
        setting.value = str(bp)
        setting.updated_by_id = actor.id
    db.session.flush()
    audit.record(actor, "payment.fee_changed", audit.PLATFORM_SETTINGS, before=before, after=bp)
    db.session.commit()
    return bp
