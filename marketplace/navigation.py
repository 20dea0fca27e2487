"""The navigation each role sees; later features add their entries here."""

from __future__ import annotations

from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from marketplace.models import Role, User


class NavItem(NamedTuple):
    endpoint: str
    label: str


_ORG_ITEMS = (NavItem("organizations.mine", _l("Mi organización")),)

ROLE_NAV: dict[str, tuple[NavItem, ...]] = {
    Role.PRODUCER: (
        NavItem("producers.my_farms", _l("Mis fincas")),
        NavItem("producers.my_profile", _l("Mis datos")),
        NavItem("producers.my_consents", _l("Privacidad")),
    ),
    Role.TECHNICIAN: (
        NavItem("producers.cooperative_list", _l("Productores")),
        NavItem("producers.register", _l("Registrar productor")),
        *_ORG_ITEMS,
    ),
    Role.SUPPLIER: _ORG_ITEMS,
    Role.BUYER: _ORG_ITEMS,
    Role.LENDER: _ORG_ITEMS,
    Role.ADMIN: (
        NavItem("admin.users", _l("Usuarios")),
        NavItem("admin.organizations", _l("Organizaciones")),
        NavItem("admin.audit_log", _l("Auditoría")),
    ),
}

ANONYMOUS_NAV = (
    NavItem("auth.login", _l("Ingresar")),
    NavItem("auth.signup", _l("Crear cuenta")),
)


def navigation_for(user: User | None) -> tuple[NavItem, ...]:
    """The menu entries for `user` (None when nobody is signed in)."""
    if user is None:
        return ANONYMOUS_NAV
    return ROLE_NAV.get(user.role, ())
