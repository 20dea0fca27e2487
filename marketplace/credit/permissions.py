"""Who may manage a credit product, review the groups matched to it and follow its loans:
members of its lender organization (reviews and loans: once the organization is verified)."""

from __future__ import annotations

from marketplace.models import CreditProduct, Loan, Match, Organization, OrgKind, Role, User


def is_lender_member(user: User) -> bool:
    """A lender who belongs to a lender organization."""
    org = user.organization
    return user.role == Role.LENDER and org is not None and org.kind == OrgKind.LENDER


def can_manage(user: User, product: CreditProduct) -> bool:
    """Members of the organization that offers the product, and nobody else."""
    return is_lender_member(user) and product.organization_id == user.organization_id


def reviewing_org(user: User) -> Organization | None:
    """The verified, active lender organization `user` reviews groups for, or None."""
    if not is_lender_member(user) or not user.organization.can_publish:
        return None
    return user.organization


def can_decide(user: User, match: Match) -> bool:
    """Members of the reviewing organization the group was matched to."""
    org = reviewing_org(user)
    return org is not None and match.lender_id == org.id


def can_manage_loan(user: User, loan: Loan) -> bool:
    """Members of the lender organization that granted the loan."""
    return is_lender_member(user) and loan.lender_id == user.organization_id
