"""What is owed on a loan: its schedule with every repayment applied, as of a day. Pure
arithmetic (no Flask, no database) like credit/schedules.py, so the loan pages, the
check-off, the portfolio and the benchmarks share one answer.

Rules (the README's "What she owes" says the same to producers and lenders):

- A repayment pays the instalments already due, oldest first; within one instalment, the
  late charge, then the fee, the insurance, the interest and last the capital.
- Paying late costs the interés moratorio: the late rate (effective yearly) on the overdue
  capital, for the days since the due date over a 360-day year, on top of the interest the
  schedule already counts. It accrues until the instalment is paid.
- What is left of a repayment after everything due pays the next instalment (paying a few
  days early is paying on time). Beyond that it is a prepayment, without penalty: it
  repays capital from the *last* instalment backwards (the term shortens, the instalment
  stays), and every later instalment's interest and insurance fall in proportion to the
  capital left at the start of its period — a prepayment saves interest from the period
  after the next due date on.
- Paying the loan off (the payoff) costs the capital left and the interest and insurance
  earned *to the day* in the current period (days elapsed over the period's days), with no
  fee for the instalments that will not come: interest already paid ahead for days not
  yet run counts towards the capital. A repayment that reaches the payoff closes the loan.
- An instalment is late from the day after its due date; a repayment is "late" when it
  finds an instalment past its due date unpaid.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

DAYS_IN_YEAR = 360
PARTS = ("late", "fee", "insurance", "interest", "capital")  # the order a payment goes in


@dataclass(frozen=True)
class Planned:
    """One instalment as scheduled at disbursement."""

    number: int
    due_on: date
    capital_minor: int
    interest_minor: int
    insurance_minor: int
    fee_minor: int


def planned(payments: Iterable) -> list[Planned]:
    """Planned instalments from a schedule's payments, or from stored instalments (anything
    with their number, due date and parts)."""
    return [
        Planned(
            number=p.number,
            due_on=p.due_on,
            capital_minor=p.capital_minor,
            interest_minor=p.interest_minor,
            insurance_minor=p.insurance_minor,
            fee_minor=p.fee_minor,
        )
        for p in payments
    ]


@dataclass
class Line:
    """Where one instalment stands: what it owes by part, and what has been paid of each."""

    planned: Planned
    owed: dict[str, int]
    paid: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PARTS, 0))
    paid_on: date | None = None
    late_from: date | None = None  # the interés moratorio is counted up to here
    starts_on: date | None = None  # the start of its period (None: unknown, no accrual)

    @property
    def number(self) -> int:
        return self.planned.number

    @property
    def due_on(self) -> date:
        return self.planned.due_on

    @property
    def due_minor(self) -> int:
        """Capital, interest, insurance and fee as they stand (no late charge)."""
        return sum(self.owed[part] for part in PARTS if part != "late")

    @property
    def late_charge_minor(self) -> int:
        return self.owed["late"]

    @property
    def paid_minor(self) -> int:
        return sum(self.paid.values())

    @property
    def unpaid_minor(self) -> int:
        return sum(self.unpaid(part) for part in PARTS)

    def unpaid(self, part: str) -> int:
        return self.owed[part] - self.paid[part]

    def earned(self, part: str, on: date) -> int:
        """The interest or insurance of this instalment's period earned by ``on``."""
        if self.starts_on is None or self.due_on <= self.starts_on:
            return self.owed[part]
        period = (self.due_on - self.starts_on).days
        elapsed = min(max((on - self.starts_on).days, 0), period)
        return _round(self.owed[part] * elapsed / period)

    def days_late(self, today: date) -> int:
        """Days past the due date it was paid, or is still unpaid, as of ``today``."""
        end = self.paid_on if self.paid_on is not None else today
        return max((end - self.due_on).days, 0)

    def status(self, today: date) -> str:
        """paid, overdue, due (today) or upcoming."""
        if self.unpaid_minor == 0:
            return "paid"
        if self.due_on < today:
            return "overdue"
        return "due" if self.due_on == today else "upcoming"


@dataclass
class Ledger:
    """A loan's lines as of ``today`` and what each repayment was."""

    lines: list[Line]
    today: date
    late_repayments: list[bool]  # one per repayment, in the order given
    unapplied_minor: int  # paid beyond everything owed (refused before it is recorded)

    @property
    def capital_outstanding_minor(self) -> int:
        """The capital still owed: the outstanding balance PAR and the budget count."""
        return sum(line.unpaid("capital") for line in self.lines)

    @property
    def overdue_minor(self) -> int:
        """Everything past its due date and unpaid, late charges included."""
        return sum(line.unpaid_minor for line in self.lines if line.due_on < self.today)

    @property
    def due_to_date_minor(self) -> int:
        """What the schedule asked for up to today (its charges included)."""
        return sum(
            line.due_minor + line.late_charge_minor
            for line in self.lines
            if line.due_on <= self.today
        )

    @property
    def paid_minor(self) -> int:
        return sum(line.paid_minor for line in self.lines)

    @property
    def remaining_minor(self) -> int:
        """Everything she would pay from today if she kept to the schedule."""
        return sum(line.unpaid_minor for line in self.lines)

    @property
    def payoff_minor(self) -> int:
        """What closes the loan today: everything due, the capital left and the interest
        and insurance earned to the day."""
        due = sum(line.unpaid_minor for line in self.lines if line.due_on <= self.today)
        return due + _closing_minor(_future(self.lines, self.today), self.today)

    @property
    def days_past_due(self) -> int:
        """Days since the oldest unpaid instalment fell due (0 when none is late)."""
        return max((line.days_late(self.today) for line in self._unpaid()), default=0)

    @property
    def unpaid_since(self) -> date | None:
        """The due date of the oldest instalment not yet paid in full."""
        unpaid = self._unpaid()
        return unpaid[0].due_on if unpaid else None

    @property
    def fully_paid(self) -> bool:
        return not self._unpaid()

    def _unpaid(self) -> list[Line]:
        return [line for line in self.lines if line.unpaid_minor > 0]


def _round(value: float) -> int:
    return int(Decimal(str(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _lines(planned: Iterable[Planned], opened_on: date | None) -> list[Line]:
    lines = [
        Line(
            planned=p,
            owed={
                "late": 0,
                "fee": p.fee_minor,
                "insurance": p.insurance_minor,
                "interest": p.interest_minor,
                "capital": p.capital_minor,
            },
            late_from=p.due_on,
        )
        for p in sorted(planned, key=lambda p: p.number)
    ]
    starts = [opened_on, *(line.due_on for line in lines)]
    for line, start in zip(lines, starts, strict=False):
        line.starts_on = start
    return lines


def late_charge(capital_minor: int, late_rate: float, days: int) -> int:
    """The interés moratorio on ``capital_minor`` overdue for ``days`` days."""
    if late_rate <= 0 or days <= 0:
        return 0
    return _round(capital_minor * ((1 + late_rate) ** (days / DAYS_IN_YEAR) - 1))


def _accrue_late(lines: list[Line], on: date, late_rate: float) -> None:
    """Add the interés moratorio of every overdue instalment up to ``on``."""
    if late_rate <= 0:
        return
    for line in lines:
        start = line.late_from or line.due_on
        capital = line.unpaid("capital")
        if line.due_on < on and capital > 0 and start < on:
            line.owed["late"] += late_charge(capital, late_rate, (on - start).days)
            line.late_from = on


def _pay(line: Line, amount: int, on: date, parts: Sequence[str] = PARTS) -> int:
    """Pay ``line``'s ``parts`` in order with up to ``amount``; what is left of it."""
    for part in parts:
        take = min(amount, line.unpaid(part))
        line.paid[part] += take
        amount -= take
    if line.unpaid_minor == 0 and line.paid_on is None:
        line.paid_on = on
    return amount


def _start_balances(lines: list[Line], key) -> list[int]:
    """The capital owed at the start of each line's period, by ``key`` of each line."""
    balances, running = [], 0
    for line in reversed(lines):
        running += key(line)
        balances.append(running)
    return balances[::-1]


def _future(lines: list[Line], on: date) -> list[Line]:
    """The instalments falling due after ``on``: the first is the current period's."""
    return [line for line in lines if line.due_on > on]


CHARGES = ("interest", "insurance")  # earned day by day


def _closing_minor(future: list[Line], on: date) -> int:
    """What pays off ``future`` instalments on ``on`` (see the module's rules)."""
    if not future:
        return 0
    capital = sum(line.unpaid("capital") for line in future)
    following = future[0]
    charges = sum(following.earned(part, on) - following.paid[part] for part in CHARGES)
    return max(capital + charges, 0)


def _close(future: list[Line], on: date, amount: int) -> int:
    """Pay ``future`` off with ``amount`` (at least the closing amount); what is left."""
    following = future[0]
    for part in CHARGES:
        earned = following.earned(part, on)
        amount += max(following.paid[part] - earned, 0)  # paid ahead: counts for capital
        following.owed[part] = earned
        following.paid[part] = min(following.paid[part], earned)
    for line in future:
        for part in ("fee", *(CHARGES if line is not following else ())):
            line.owed[part] = line.paid[part]
        amount = _pay(line, amount, on)
    return amount


def _prepay(lines: list[Line], on: date, amount: int) -> int:
    """Apply ``amount`` beyond what is due (see the module's rules); what is left of it."""
    future = _future(lines, on)
    if amount == 0 or not any(line.unpaid_minor for line in future):
        return amount
    if amount >= _closing_minor(future, on):
        return _close(future, on, amount)
    following, later = future[0], future[1:]
    amount = _pay(following, amount, on)
    for line in reversed(later):
        amount = _pay(line, amount, on, ("capital",))
    planned = _start_balances(later, lambda line: line.planned.capital_minor)
    left = _start_balances(later, lambda line: line.unpaid("capital"))
    for line, before, after in zip(later, planned, left, strict=True):
        for part in ("interest", "insurance"):
            scheduled = getattr(line.planned, f"{part}_minor")
            owed = _round(scheduled * after / before) if before else 0
            line.owed[part] = max(owed, line.paid[part])
        if line.unpaid("capital") == 0 and line.paid["capital"] == line.owed["capital"]:
            # all its capital prepaid: the instalment is gone, and its fee with it
            line.owed["fee"] = line.paid["fee"]
        if line.unpaid_minor == 0 and line.paid_on is None:
            line.paid_on = on
    return amount


def _is_late(lines: list[Line], on: date) -> bool:
    return any(line.due_on < on and line.unpaid_minor > 0 for line in lines)


def run(
    planned: Iterable[Planned],
    repayments: Iterable[tuple[date, int]],
    today: date,
    late_rate: float = 0.0,
    opened_on: date | None = None,
) -> Ledger:
    """The ledger of a schedule disbursed on ``opened_on`` after ``repayments`` (day,
    amount) in the order given (sort them by day), with late charges counted up to
    ``today``."""
    lines = _lines(planned, opened_on)
    late_flags, unapplied = [], 0
    for paid_on, amount in repayments:
        _accrue_late(lines, paid_on, late_rate)
        late_flags.append(_is_late(lines, paid_on))
        for line in lines:
            if line.due_on <= paid_on and line.unpaid_minor > 0:
                amount = _pay(line, amount, paid_on)
        unapplied += _prepay(lines, paid_on, amount)
    _accrue_late(lines, today, late_rate)
    return Ledger(lines=lines, today=today, late_repayments=late_flags, unapplied_minor=unapplied)
