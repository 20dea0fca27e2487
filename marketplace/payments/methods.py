"""Which payment methods one supplier offers now: its country's row of countries.METHODS,
narrowed to what it set up (a Stripe account that can charge, declared transfer details)."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Organization, PaymentMethod, TransferDetails
from marketplace.payments import accounts, countries


def transfer_details(org_id: int) -> list[TransferDetails]:
    """The channels the supplier declared, in its country's order."""
    org = db.session.get(Organization, org_id)
    order = countries.methods_of(org.country if org else None).channels
    rows = db.session.scalars(
        select(TransferDetails).where(TransferDetails.organization_id == org_id)
    ).all()
    return sorted((r for r in rows if r.channel in order), key=lambda r: order.index(r.channel))


def offered(org_id: int) -> tuple[str, ...]:
    """The methods a producer may choose for an order from this supplier now."""
    org = db.session.get(Organization, org_id)
    if org is None:
        return ()
    table = countries.methods_of(org.country).methods
    stripe_ready = accounts.takes_cards(org_id)
    ready = {
        PaymentMethod.CASH.value: True,
        PaymentMethod.CREDIT.value: True,
        PaymentMethod.CARD.value: stripe_ready,
        PaymentMethod.OXXO.value: stripe_ready,
        PaymentMethod.TRANSFER.value: bool(transfer_details(org_id)),
    }
    return tuple(m for m in table if ready.get(m, False))
