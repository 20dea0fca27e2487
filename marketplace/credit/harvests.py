"""The harvest calendar: the calendar months a harvest-paid loan is repaid in, by country and
value chain (the month a season's sales are done). An admin keeps it current on the credit
settings page; a (country, value chain) without a row of its own follows DEFAULT_CALENDAR,
the rough regional calendars the first migration seeded, and mid-year and year-end when
even that does not know it.

Changing the calendar moves the harvest payments of offers and of loans not yet disbursed;
a disbursed loan keeps the schedule fixed at its disbursement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from babel import dates
from flask import g
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace import audit
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.labels import COUNTRIES
from marketplace.models import HarvestCalendar, User, ValueChain

FALLBACK_MONTHS = (6, 12)

# (country, value chain) -> months; migrations/versions/20261206_4f8d2b61c7a3_* seeds the
# table with a copy of these values (a migration does not import the app).
DEFAULT_CALENDAR: dict[tuple[str, str], tuple[int, ...]] = {
    ("PE", "cacao"): (7, 12),  # main harvest Mar-Jul, second Oct-Dec (San Martín, Junín)
    ("PE", "cafe"): (8,),  # Apr-Aug
    ("PE", "miel"): (11,),
    ("PE", "ganaderia"): (6, 12),
    ("PE", "madera"): (9,),
    ("PE", "ecoturismo"): (8,),
    ("MX", "cacao"): (3, 6),  # Tabasco and Chiapas: Oct-Mar, then Apr-Jun
    ("MX", "cafe"): (3,),  # Nov-Mar
    ("MX", "miel"): (5,),  # Yucatán peninsula: Mar-May
    ("MX", "ganaderia"): (6, 12),
    ("MX", "madera"): (4,),
    ("MX", "ecoturismo"): (4, 8),
    ("CO", "cacao"): (6, 12),
    ("CO", "cafe"): (6, 12),  # mitaca Apr-Jun, main harvest Oct-Dec
    ("CO", "miel"): (6, 12),
    ("CO", "ganaderia"): (6, 12),
    ("CO", "madera"): (9,),
    ("CO", "ecoturismo"): (1, 7),
}

_CACHE = "harvest_calendar"  # on flask.g: one read of the table per request or command


def _calendar() -> dict[tuple[str, str], tuple[int, ...]]:
    cached = g.get(_CACHE)
    if cached is None:
        rows = db.session.execute(
            select(HarvestCalendar.country, HarvestCalendar.value_chain, HarvestCalendar.months)
        )
        cached = {(r.country, r.value_chain): tuple(sorted(r.months)) for r in rows}
        setattr(g, _CACHE, cached)
    return cached


def _forget() -> None:
    g.pop(_CACHE, None)


def months_for(country: str, value_chain: str) -> tuple[int, ...]:
    """The calendar months harvest money comes in for ``value_chain`` in ``country``."""
    key = (country, value_chain)
    stored = _calendar().get(key)
    if stored:
        return stored
    return DEFAULT_CALENDAR.get(key, FALLBACK_MONTHS)


@dataclass(frozen=True)
class Entry:
    """One line of the calendar as the settings page shows it."""

    country: str
    value_chain: str
    months: tuple[int, ...]

    @property
    def field(self) -> str:
        """The settings form's name for this line's months."""
        return f"months_{self.country}_{self.value_chain}"


def entries() -> list[Entry]:
    """Every country × value chain with its months, countries in Minka's order."""
    return [
        Entry(country, chain.value, months_for(country, chain.value))
        for country in COUNTRIES
        for chain in ValueChain
    ]


def parse_months(values: list[str]) -> tuple[int, ...]:
    """Month numbers as a form sends them (checkboxes, or "3, 6" typed), sorted and without
    repeats; ValueError when one is not a month."""
    months: set[int] = set()
    for value in values:
        for part in value.replace(";", ",").replace(" ", ",").split(","):
            if not part:
                continue
            month = int(part)  # ValueError on anything but digits
            if not 1 <= month <= 12:
                raise ValueError(part)
            months.add(month)
    return tuple(sorted(months))


def read_form(
    form: Mapping[str, Any],
) -> tuple[dict[tuple[str, str], tuple[int, ...] | None], dict[str, tuple[int, ...]]]:
    """The months sent for every line (None where one is not a month), and what to show
    again when the form is refused (the readable months of each line)."""
    chosen: dict[tuple[str, str], tuple[int, ...] | None] = {}
    shown: dict[str, tuple[int, ...]] = {}
    for entry in entries():
        values = form.getlist(entry.field)
        try:
            chosen[(entry.country, entry.value_chain)] = parse_months(values)
        except ValueError:
            chosen[(entry.country, entry.value_chain)] = None
        shown[entry.field] = tuple(int(v) for v in values if v.isdigit() and 1 <= int(v) <= 12)
    return chosen, shown


def month_names() -> list[tuple[int, str, str]]:
    """(number, short name, full name) of the twelve months in the viewer's language."""
    locale = get_locale() or "es"
    short = dates.get_month_names("abbreviated", locale=locale)
    full = dates.get_month_names("wide", locale=locale)
    return [(month, short[month], full[month]) for month in range(1, 13)]


def calendar_problems(chosen: dict[str, tuple[int, ...] | None]) -> dict[str, str]:
    """By form field: lines without a month, or with something that is not one (None)."""
    problems: dict[str, str] = {}
    for name, months in chosen.items():
        if months is None:
            problems[name] = _l("Use números de mes del 1 al 12, por ejemplo 3, 6.")
        elif not months:
            problems[name] = _l("Marque al menos un mes de cosecha.")
    return problems


def save_calendar(actor: User, chosen: dict[tuple[str, str], tuple[int, ...] | None]) -> int:
    """Store the months of every line given (keyed by (country, value chain)); every line
    that changes is audit-logged. InvalidInput, keyed by form field, when a line has no
    month or a wrong one; nothing is saved then. Returns how many lines changed."""
    known = {(e.country, e.value_chain): e for e in entries()}
    fields = {known[key].field: months for key, months in chosen.items() if key in known}
    problems = calendar_problems(fields)
    if problems:
        raise InvalidInput(problems)
    rows = {(r.country, r.value_chain): r for r in db.session.scalars(select(HarvestCalendar))}
    changed = 0
    for key, months in chosen.items():
        if key not in known or months == known[key].months:
            continue
        row = rows.get(key) or HarvestCalendar(country=key[0], value_chain=key[1])
        row.months = list(months)
        row.updated_by_id = actor.id
        db.session.add(row)
        db.session.flush()
        audit.record(
            actor,
            "harvest_calendar.updated",
            row,
            country=key[0],
            value_chain=key[1],
            months_before=list(known[key].months),
            months_after=list(months),
        )
        changed += 1
    db.session.commit()
    _forget()
    return changed
