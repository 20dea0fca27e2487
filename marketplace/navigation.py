"""The navigation each role sees; later features add their entries here.

A phone at 360 px shows one row: the role's few essentials (after "Inicio") and a "Más"
disclosure holding the rest, so the menu stays under a sixth of the first screen.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from marketplace.models import Role, User


class NavItem(NamedTuple):
    endpoint: str
    label: str
    #: An outside service the page is about ("sms"): the entry shows only while it is
    #: configured (the page itself still says so when reached directly).
    needs: str = ""


class Menu(NamedTuple):
    """`primary` shows on the menu's one row; `more` one tap away behind "Más"."""

    primary: tuple[NavItem, ...]
    more: tuple[NavItem, ...] = ()

    @property
    def items(self) -> tuple[NavItem, ...]:
        return self.primary + self.more


#: At most this many entries next to "Inicio" and "Más": more do not fit one row at 360 px.
MAX_PRIMARY = 3

_ORG = NavItem("organizations.mine", _l("Mi organización"))
_CENTERS = NavItem("centers.manage", _l("Centros de acopio"))

ROLE_NAV: dict[str, Menu] = {
    Role.PRODUCER: Menu(
        (
            NavItem("catalog.browse", _l("Tienda")),
            NavItem("credit.mine", _l("Mi crédito")),
            NavItem("traceability.my_deliveries", _l("Mis entregas")),
        ),
        (
            NavItem("orders.mine", _l("Mis pedidos")),
            NavItem("commitments.browse", _l("Compromisos de compra")),
            NavItem("producers.my_farms", _l("Mis fincas")),
            NavItem("producers.my_profile", _l("Mis datos")),
            NavItem("traceability.incentives_mine", _l("Incentivos")),
            NavItem("centers.near", _l("Centros de acopio")),
        ),
    ),
    Role.TECHNICIAN: Menu(
        (
            NavItem("producers.cooperative_list", _l("Productores")),
            NavItem("catalog.browse", _l("Catálogo")),
        ),
        (NavItem("producers.register", _l("Registrar productor")), _CENTERS, _ORG),
    ),
    Role.SUPPLIER: Menu(
        (
            NavItem("catalog.mine", _l("Mis productos")),
            NavItem("orders.received", _l("Pedidos recibidos")),
        ),
        (_ORG,),
    ),
    Role.BUYER: Menu(
        (
            NavItem("commitments.mine", _l("Mis compromisos")),
            NavItem("traceability.shipments_list", _l("Embarques")),
        ),
        (NavItem("traceability.review_queue", _l("Revisiones de parcelas")), _ORG),
    ),
    Role.LENDER: Menu(
        (
            NavItem("credit.groups", _l("Grupos propuestos")),
            NavItem("credit.loans", _l("Préstamos")),
        ),
        (
            NavItem("credit.portfolio", _l("Cartera")),
            NavItem("credit.products", _l("Productos de crédito")),
            _ORG,
        ),
    ),
    Role.ADMIN: Menu(
        (
            NavItem("admin.users", _l("Usuarios")),
            NavItem("admin.audit_log", _l("Auditoría")),
        ),
        (
            NavItem("admin.organizations", _l("Organizaciones")),
            NavItem("admin.matching", _l("Emparejamiento de crédito")),
            NavItem("admin.credit_settings", _l("Ajustes de crédito")),
            NavItem("admin.conversions", _l("Factores de conversión")),
            NavItem("payments.settings", _l("Pagos con tarjeta")),
            NavItem("admin.text_messages", _l("Mensajes de texto"), needs="sms"),
            _CENTERS,
            NavItem("traceability.impact_admin", _l("Impacto")),
            NavItem("traceability.review_queue", _l("Revisiones de parcelas")),
            NavItem("traceability.tenure_queue", _l("Documentos de tenencia")),
        ),
    ),
}

ANONYMOUS_NAV = Menu(
    (
        NavItem("catalog.browse", _l("Catálogo")),
        NavItem("auth.login", _l("Ingresar")),
        NavItem("auth.signup", _l("Crear cuenta")),
    )
)


def navigation_for(user: User | None, configured: Collection[str] = ()) -> Menu:
    """The menu for `user` (None when nobody is signed in), without the entries that need a
    service not among `configured`."""
    if user is None:
        return ANONYMOUS_NAV
    menu = ROLE_NAV.get(user.role, Menu(()))

    def shown(items: tuple[NavItem, ...]) -> tuple[NavItem, ...]:
        return tuple(item for item in items if not item.needs or item.needs in configured)

    return Menu(shown(menu.primary), shown(menu.more))
