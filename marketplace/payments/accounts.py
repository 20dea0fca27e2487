"""Suppliers' Stripe connected accounts (Express dashboard): onboarding and the status Minka
keeps. Only suppliers in a country where Stripe takes card payments get one (countries.py)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from marketplace import audit
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import Organization, PaymentAccount, User
from marketplace.models.base import utcnow
from marketplace.payments import countries, gateway
from marketplace.payments.permissions import can_manage_account


def account_of(org_id: int) -> PaymentAccount | None:
    """The organization's connected account, if it started onboarding."""
    return db.session.scalar(select(PaymentAccount).where(PaymentAccount.organization_id == org_id))


#: Why a supplier outside Stripe's countries cannot take cards, and what it can offer instead.
CARDS_UNAVAILABLE = _l(
    "Los pagos con tarjeta todavía no están disponibles en su país: Stripe, el servicio que "
    "Minka usa para cobrar con tarjeta, no opera allí. Sus clientes pueden pagarle en efectivo "
    "al recibir el pedido o con un crédito aprobado en Minka."
)


def takes_cards(org_id: int) -> bool:
    """True when card payment is configured, the organization is in a card country and its
    account can be charged."""
    if not gateway.configured():
        return False
    org = db.session.get(Organization, org_id)
    if org is None or not countries.takes_cards(org.country):
        return False
    account = account_of(org_id)
    return account is not None and account.charges_enabled


def _check_may_onboard(actor: User, org: Organization) -> None:
    if not gateway.configured():
        raise DomainError(_l("Los pagos con tarjeta no están configurados en Minka."))
    if not can_manage_account(actor, org):
        raise DomainError(_l("Solo los proveedores pueden recibir pagos con tarjeta."))
    if not countries.takes_cards(org.country):
        raise DomainError(CARDS_UNAVAILABLE)
    if not org.can_publish:
        raise DomainError(
            _l("Su organización debe estar verificada para recibir pagos con tarjeta.")
        )


def onboarding_link(actor: User, org: Organization, refresh_url: str, return_url: str) -> str:
    """Create the organization's Express account if missing, then an onboarding link."""
    _check_may_onboard(actor, org)
    account = account_of(org.id)
    if account is None:
        account = _create_account(actor, org)
    link = gateway.create_account_link(account.stripe_account_id, refresh_url, return_url)
    return gateway.hosted_page(link.get("url"))


def _create_account(actor: User, org: Organization) -> PaymentAccount:
    # The key makes two members' simultaneous clicks one Stripe account.
    created = gateway.create_account(org.country, org.id, f"minka-org-{org.id}-account")
    account = PaymentAccount(organization_id=org.id, stripe_account_id=created["id"])
    db.session.add(account)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        existing = account_of(org.id)
        if existing is None:
            raise
        return existing
    audit.record(actor, "payment.account_created", org, account=created["id"])
    db.session.commit()
    return account


def apply_account(remote: dict) -> PaymentAccount | None:
    """Store what Stripe says the account may do now (from account.updated or a return from
    onboarding); the caller commits. None for an account Minka does not know."""
    values = {
        "charges_enabled": bool(remote.get("charges_enabled")),
        "payouts_enabled": bool(remote.get("payouts_enabled")),
        "details_submitted": bool(remote.get("details_submitted")),
        "updated_at": utcnow(),
    }
    db.session.execute(
        update(PaymentAccount)
        .where(PaymentAccount.stripe_account_id == remote.get("id"))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return db.session.scalar(
        select(PaymentAccount)
        .where(PaymentAccount.stripe_account_id == remote.get("id"))
        .execution_options(populate_existing=True)
    )


def refresh(actor: User, org: Organization) -> PaymentAccount | None:
    """Read the organization's account from Stripe again (after onboarding) and store it."""
    account = account_of(org.id)
    if account is None or not can_manage_account(actor, org):
        return account
    remote = gateway.retrieve_account(account.stripe_account_id)
    account = apply_account(remote)
    db.session.commit()
    return account
