"""The payment and refund state machines, as data (like orders.states): which moves exist,
and one compare-and-set UPDATE that makes a move only from an allowed prior state.

A payment: created -> pending -> confirmed | failed | canceled | expired. A declined card
leaves its Checkout page open, so a failed card attempt may still be paid (failed ->
confirmed) until its session expires. A transfer the supplier says did not arrive is
disputed until the admin decides (disputed -> confirmed | failed). A refund: created ->
done | failed. Nothing leaves confirmed, canceled, expired, done or failed-refund.
"""

from __future__ import annotations

from sqlalchemy import update

from marketplace.extensions import db
from marketplace.models import OrderPayment, OrderRefund, PaymentState, RefundState
from marketplace.models.base import utcnow

CREATED = PaymentState.CREATED.value
PENDING = PaymentState.PENDING.value
CONFIRMED = PaymentState.CONFIRMED.value
FAILED = PaymentState.FAILED.value
CANCELED = PaymentState.CANCELED.value
EXPIRED = PaymentState.EXPIRED.value
DISPUTED = PaymentState.DISPUTED.value

PAYMENT_MOVES: dict[str, frozenset[str]] = {
    CREATED: frozenset({PENDING, FAILED, CANCELED}),
    PENDING: frozenset({CONFIRMED, FAILED, CANCELED, EXPIRED, DISPUTED}),
    FAILED: frozenset({CONFIRMED, CANCELED, EXPIRED}),
    DISPUTED: frozenset({CONFIRMED, FAILED}),
    CONFIRMED: frozenset(),
    CANCELED: frozenset(),
    EXPIRED: frozenset(),
}

REFUND_MOVES: dict[str, frozenset[str]] = {
    RefundState.CREATED.value: frozenset({RefundState.DONE.value, RefundState.FAILED.value}),
    RefundState.DONE.value: frozenset(),
    RefundState.FAILED.value: frozenset(),
}

#: Attempts still under way: a new one waits for them to end.
OPEN = (CREATED, PENDING, DISPUTED)


def sources(table: dict[str, frozenset[str]], target: str) -> tuple[str, ...]:
    """The states from which `target` may be reached."""
    return tuple(sorted(state for state, targets in table.items() if target in targets))


def can_move(table: dict[str, frozenset[str]], current: str, target: str) -> bool:
    """True when the table allows `current` -> `target`."""
    return target in table.get(current, frozenset())


def move_payment(payment_id: int, target: str, only_from: tuple[str, ...] | None = None,
                 **values) -> bool:  # fmt: skip
    """Move a payment to `target` if it is in a state that allows it (narrowed to
    `only_from`), setting `values` too; True when this call made the move."""
    allowed = sources(PAYMENT_MOVES, target)
    if only_from is not None:
        allowed = tuple(s for s in allowed if s in only_from)
    result = db.session.execute(
        update(OrderPayment)
        .where(OrderPayment.id == payment_id, OrderPayment.state.in_(allowed))
        .values(state=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def annotate_payment(payment_id: int, while_in: tuple[str, ...], **values) -> bool:
    """Write `values` on a payment without moving it, while it is in one of `while_in`;
    True when it was."""
    result = db.session.execute(
        update(OrderPayment)
        .where(OrderPayment.id == payment_id, OrderPayment.state.in_(while_in))
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def move_refund(refund_id: int, target: str, **values) -> bool:
    """Move a refund to `target` from an allowed state; True when this call made the move."""
    result = db.session.execute(
        update(OrderRefund)
        .where(OrderRefund.id == refund_id, OrderRefund.state.in_(sources(REFUND_MOVES, target)))
        .values(state=target, updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
