"""Legal deadlines to answer a data-protection request, in business days, per country.

A pure module: dates in, dates out. Business days skip Saturdays and Sundays; national
holidays are not counted out, so a deadline falls at the latest on the law's last day.
"""

from __future__ import annotations

from datetime import date, timedelta

from marketplace.models import RequestKind

ACCESS = RequestKind.ACCESS
RECTIFICATION = RequestKind.RECTIFICATION
OBJECTION = RequestKind.OBJECTION
DELETION = RequestKind.DELETION

#: Business days to answer, by country and request kind.
#: - PE: Ley 29733 and its Reglamento (DS 003-2013-JUS, art. 55): access 20 business days;
#:   rectification, cancellation and opposition 10.
#: - MX: LFPDPPP art. 32: 20 business days to answer any ARCO request (and 15 more to make a
#:   granted one effective, which Minka does at once).
#: - CO: Ley 1581 de 2012, art. 14 (consultas: access) 10 business days; art. 15 (reclamos:
#:   correction, deletion, objection) 15 business days.
BUSINESS_DAYS: dict[str, dict[RequestKind, int]] = {
    "PE": {ACCESS: 20, RECTIFICATION: 10, OBJECTION: 10, DELETION: 10},
    "MX": {ACCESS: 20, RECTIFICATION: 20, OBJECTION: 20, DELETION: 20},
    "CO": {ACCESS: 10, RECTIFICATION: 15, OBJECTION: 15, DELETION: 15},
}


def business_days_for(country: str, kind: str) -> int:
    """The business days the law of `country` gives to answer `kind` (the shortest of the
    three laws for a country Minka does not know)."""
    table = BUSINESS_DAYS.get(country)
    if table is None:
        return min(days[RequestKind(kind)] for days in BUSINESS_DAYS.values())
    return table[RequestKind(kind)]


def add_business_days(start: date, days: int) -> date:
    """The date `days` business days after `start` (Monday to Friday)."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


def due_on(country: str, kind: str, filed_on: date) -> date:
    """The last day to answer a request of `kind` filed on `filed_on` in `country`."""
    return add_business_days(filed_on, business_days_for(country, kind))


def business_days_left(due: date, today: date) -> int:
    """Business days from `today` to `due`: 0 on the last day, negative once it has passed
    (at least -1, even on the weekend right after it)."""
    if due >= today:
        return _business_days_between(today, due)
    return -max(_business_days_between(due, today), 1)


def _business_days_between(start: date, end: date) -> int:
    """Business days after `start` up to and including `end`."""
    return sum(1 for n in range(1, (end - start).days + 1) if (start + timedelta(n)).weekday() < 5)
