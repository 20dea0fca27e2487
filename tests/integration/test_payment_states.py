"""The payment and refund state tables hold whatever happens: no sequence of moves, in any
order and from any side, takes a row outside its table (hypothesis draws the sequences)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketplace.extensions import db as _db
from marketplace.models import OrderPayment, OrderRefund, PaymentState, RefundState
from marketplace.payments import records, states
from tests.integration.cards import place_card_order

PAYMENT_STATES = list(PaymentState.codes())
REFUND_STATES = list(RefundState.codes())
#: A move: the wanted state, and maybe the states the caller expects it to come from.
moves = st.lists(
    st.tuples(
        st.sampled_from(PAYMENT_STATES),
        st.none() | st.lists(st.sampled_from(PAYMENT_STATES), min_size=1, unique=True),
    ),
    max_size=12,
)


def an_order(db, shop):
    shop.listing.stock = 1_000_000  # as many examples as hypothesis draws
    db.session.commit()
    return place_card_order(shop, 1)


def state_of(model, row_id: int) -> str:
    _db.session.expire_all()
    return _db.session.get(model, row_id).state


def test_every_state_has_a_row_in_each_table():
    assert set(states.PAYMENT_MOVES) == set(PAYMENT_STATES)
    assert set(states.REFUND_MOVES) == set(REFUND_STATES)
    for targets in states.PAYMENT_MOVES.values():
        assert targets <= set(PAYMENT_STATES)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=moves)
def test_no_sequence_of_moves_leaves_the_payment_table(db, card_shop, sequence):
    order = an_order(db, card_shop)
    payment = records.open_attempt(card_shop.user, order, "card")
    db.session.commit()
    current = states.CREATED
    for target, only_from in sequence:
        moved = states.move_payment(payment.id, target, tuple(only_from) if only_from else None)
        db.session.commit()
        now = state_of(OrderPayment, payment.id)
        allowed = states.can_move(states.PAYMENT_MOVES, current, target) and (
            only_from is None or current in only_from
        )
        assert moved == allowed, (current, target, only_from)
        assert now == (target if allowed else current)
        current = now


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sequence=st.lists(st.sampled_from(REFUND_STATES), max_size=6))
def test_no_sequence_of_moves_leaves_the_refund_table(db, card_shop, sequence):
    order = an_order(db, card_shop)
    payment = records.open_attempt(card_shop.user, order, "card", state=states.CONFIRMED)
    refund = OrderRefund(order_id=order.id, payment_id=payment.id, amount_minor=100,
                         currency="MXN", reason="cancelled")  # fmt: skip
    db.session.add(refund)
    db.session.commit()
    current = RefundState.CREATED.value
    for target in sequence:
        moved = states.move_refund(refund.id, target)
        db.session.commit()
        allowed = states.can_move(states.REFUND_MOVES, current, target)
        assert moved == allowed
        current = state_of(OrderRefund, refund.id)
        assert current in REFUND_STATES
    # once done or failed, a refund never changes again
    if current != RefundState.CREATED.value:
        assert not any(states.move_refund(refund.id, s) for s in REFUND_STATES)
