"""Colombia's usury ceiling (tasa de usura): no credit may cost more, as an effective annual
rate, than 1.5 times the interés bancario corriente the Superintendencia Financiera
certifies each month. An admin keeps the figure in force current (a platform setting, with
the date it holds from and the resolution that set it); Minka refuses a Colombian product,
or a loan, whose E.A. cost from its own cash flows passes it. With no figure stored, nothing
is refused and the settings page warns the admin.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import format_date
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace import audit
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.i18n import number
from marketplace.models import CreditProduct, PlatformSetting, User
from marketplace.models.base import local_today

KEY = "co_usury_ceiling"
COUNTRY = "CO"
MIN_BP = 500  # 5 %: a lower ceiling is a typo
MAX_BP = 10_000  # 100 %
MAX_NOTE = 100
# the Superintendencia certifies a new figure every month: one older than this is stale
STALE_AFTER = timedelta(days=35)
# a ceiling certified more than a year ago has long been replaced: an older date is a typo
OLDEST_VALID_FROM = timedelta(days=366)


@dataclass(frozen=True)
class Ceiling:
    """The usury rate in force: effective annual, in basis points, from `valid_from`."""

    bp: int
    valid_from: date
    note: str = ""

    def is_stale(self, today: date) -> bool:
        """Older than a month's certification: the admin should check the new one."""
        return today - self.valid_from > STALE_AFTER


def current() -> Ceiling | None:
    """The ceiling stored, or None when no admin has set one."""
    setting = db.session.get(PlatformSetting, KEY)
    if setting is None:
        return None
    value = json.loads(setting.value)
    return Ceiling(value["bp"], date.fromisoformat(value["valid_from"]), value.get("note", ""))


def applies(country: str) -> bool:
    """Whether ``country``'s credit has this ceiling (Colombia's)."""
    return country == COUNTRY


def above(cost_bp: int, ceiling: Ceiling | None) -> bool:
    """A cost that passes the ceiling (never, when none is set)."""
    return ceiling is not None and cost_bp > ceiling.bp


def product_above(product: CreditProduct, ceiling: Ceiling | None) -> bool:
    """A Colombian product whose stated cost passes the ceiling: the lender must fix it."""
    return applies(product.coverage_country) and above(product.total_cost_bp, ceiling)


def refusal(cost_bp: int, ceiling: Ceiling) -> str:
    """Why a cost of ``cost_bp`` is refused, naming the ceiling and its date."""
    return _l(
        "El costo (E.A.) de %(cost)s %% pasa la tasa de usura vigente "
        "(%(ceiling)s %% desde el %(date)s).",
        cost=number(cost_bp / 100, 2),
        ceiling=number(ceiling.bp / 100, 2),
        date=format_date(ceiling.valid_from, "long"),
    )


def problem(country: str, cost_bp: int) -> str | None:
    """Why a credit of ``country`` costing ``cost_bp`` may not be offered, or None."""
    if not applies(country):
        return None
    ceiling = current()
    return refusal(cost_bp, ceiling) if above(cost_bp, ceiling) else None


def ceiling_problems(bp: int | None, valid_from: date | None, note: str) -> dict[str, str]:
    """By form field: what is wrong with a ceiling as typed (empty when it can be saved)."""
    problems: dict[str, str] = {}
    if bp is None:
        problems["rate"] = _l("Este dato es obligatorio.")
    elif not MIN_BP <= bp <= MAX_BP:
        problems["rate"] = _l("La tasa de usura va del 5 al 100 % (efectiva anual).")
    if valid_from is None:
        problems["valid_from"] = _l("Este dato es obligatorio.")
    elif not local_today() - OLDEST_VALID_FROM <= valid_from <= local_today():
        problems["valid_from"] = _l(
            "Escriba la fecha desde la que rige, de hace un año a hoy: Minka aplica la tasa al "
            "guardarla."
        )
    if len(note) > MAX_NOTE:
        problems["note"] = _l("Use como máximo 100 caracteres.")
    return problems


def stored_value(ceiling: Ceiling) -> str:
    """The ceiling as the platform setting's text (JSON; the note keeps its accents)."""
    value = {"bp": ceiling.bp, "valid_from": ceiling.valid_from.isoformat(), "note": ceiling.note}
    return json.dumps(value, ensure_ascii=False)


def set_ceiling(actor: User, bp: int | None, valid_from: date | None, note: str) -> Ceiling:
    """An admin stores the ceiling in force; audit-logged with the figure it replaces."""
    note = (note or "").strip()
    problems = ceiling_problems(bp, valid_from, note)
    if problems:
        raise InvalidInput(problems)
    before = current()
    ceiling = Ceiling(bp, valid_from, note)
    value = stored_value(ceiling)
    setting = db.session.get(PlatformSetting, KEY)
    if setting is None:
        setting = PlatformSetting(key=KEY, value=value, updated_by_id=actor.id)
        db.session.add(setting)
    else:
        setting.value = value
        setting.updated_by_id = actor.id
    db.session.flush()
    audit.record(
        actor,
        "credit.usury_ceiling_changed",
        audit.PLATFORM_SETTINGS,
        **({"percent_before": before.bp / 100} if before else {}),
        percent_after=bp / 100,
        valid_from=valid_from.isoformat(),
        note=note,
    )
    db.session.commit()
    return ceiling


def products_above(ceiling: Ceiling | None) -> list[CreditProduct]:
    """Colombian products whose stated cost passes the ceiling, for the admin to follow up."""
    if ceiling is None:
        return []
    return list(
        db.session.scalars(
            select(CreditProduct)
            .where(
                CreditProduct.coverage_country == COUNTRY,
                CreditProduct.total_cost_bp > ceiling.bp,
            )
            .order_by(CreditProduct.total_cost_bp.desc(), CreditProduct.id)
        )
    )
