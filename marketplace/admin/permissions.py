"""Who administers Minka: admins; and no admin switches off their own account."""

from __future__ import annotations

from marketplace.models import Role, User


def is_admin(user: User) -> bool:
    """A signed-in admin."""
    return user.role == Role.ADMIN


def can_deactivate(actor: User, user: User) -> bool:
    """An admin deactivates any account but their own."""
    return is_admin(actor) and user.id != actor.id
