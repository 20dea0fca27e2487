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
    # Few, short entries: a phone shows them in two rows. Profile and privacy are reached
    # from the producer's home and farm pages.
    Role.PRODUCER: (
        NavItem("catalog.browse", _l("Catálogo")),
        NavItem("orders.mine", _l("Mis pedidos")),
        NavItem("credit.mine", _l("Mi crédito")),
        NavItem("commitments.browse", _l("Compromisos de compra")),
        NavItem("producers.my_farms", _l("Mis fincas")),
        NavItem("traceability.incentives_mine", _l("Incentivos")),
        NavItem("centers.near", _l("Centros de acopio")),
    ),
    Role.TECHNICIAN: (
        NavItem("producers.cooperative_list", _l("Productores")),
        NavItem("producers.register", _l("Registrar productor")),
        NavItem("catalog.browse", _l("Catálogo")),
        NavItem("centers.manage", _l("Centros de acopio")),
        *_ORG_ITEMS,
    ),
    Role.SUPPLIER: (
        NavItem("catalog.mine", _l("Mis productos")),
        NavItem("orders.received", _l("Pedidos recibidos")),
        *_ORG_ITEMS,
    ),
    Role.BUYER: (
        NavItem("commitments.mine", _l("Mis compromisos")),
        NavItem("traceability.shipments_list", _l("Embarques")),
        NavItem("traceability.review_queue", _l("Revisiones de parcelas")),
        *_ORG_ITEMS,
    ),
    Role.LENDER: (
        NavItem("credit.groups", _l("Grupos propuestos")),
        NavItem("credit.loans", _l("Préstamos")),
        NavItem("credit.portfolio", _l("Cartera")),
        NavItem("credit.products", _l("Productos de crédito")),
        *_ORG_ITEMS,
    ),
    Role.ADMIN: (
        NavItem("admin.users", _l("Usuarios")),
        NavItem("admin.organizations", _l("Organizaciones")),
        NavItem("admin.audit_log", _l("Auditoría")),
        NavItem("admin.matching", _l("Emparejamiento de crédito")),
        NavItem("admin.credit_settings", _l("Ajustes de crédito")),
        NavItem("admin.conversions", _l("Factores de conversión")),
        NavItem("payments.settings", _l("Pagos con tarjeta")),
        NavItem("centers.manage", _l("Centros de acopio")),
        NavItem("traceability.impact_admin", _l("Impacto")),
        NavItem("traceability.review_queue", _l("Revisiones de parcelas")),
        NavItem("traceability.tenure_queue", _l("Documentos de tenencia")),
    ),
}

ANONYMOUS_NAV = (
    NavItem("catalog.browse", _l("Catálogo")),
    NavItem("auth.login", _l("Ingresar")),
    NavItem("auth.signup", _l("Crear cuenta")),
)


def navigation_for(user: User | None) -> tuple[NavItem, ...]:
    """The menu entries for `user` (None when nobody is signed in)."""
    if user is None:
        return ANONYMOUS_NAV
    return ROLE_NAV.get(user.role, ())
