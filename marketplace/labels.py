"""Translatable labels for the codes stored in the database."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

COUNTRIES = {"PE": _l("Perú"), "MX": _l("México"), "CO": _l("Colombia")}
CALLING_CODES = {"PE": "51", "MX": "52", "CO": "57"}

ROLES = {
    "producer": _l("Productor o productora"),
    "supplier": _l("Proveedor de insumos o asistencia técnica"),
    "buyer": _l("Comprador"),
    "lender": _l("Entidad de crédito"),
    "technician": _l("Técnico de cooperativa"),
    "admin": _l("Administrador"),
}

ORG_KINDS = {
    "supplier": _l("Proveedor de insumos"),
    "ta_provider": _l("Proveedor de asistencia técnica"),
    "buyer": _l("Comprador"),
    "lender": _l("Entidad de crédito (caja, cooperativa, microfinanciera)"),
    "cooperative": _l("Cooperativa o asociación de productores"),
}

GENDERS = {
    "female": _l("Mujer"),
    "male": _l("Hombre"),
    "other": _l("Otro"),
    "undisclosed": _l("Prefiero no decirlo"),
}

VALUE_CHAINS = {
    "cacao": _l("Cacao"),
    "cafe": _l("Café"),
    "miel": _l("Miel"),
    "ganaderia": _l("Ganadería"),
    "madera": _l("Madera"),
    "ecoturismo": _l("Ecoturismo"),
}

CERTIFICATIONS = {
    "organic": _l("Orgánico"),
    "fairtrade": _l("Comercio Justo (Fairtrade)"),
    "rainforest": _l("Rainforest Alliance"),
    "spp": _l("Símbolo de Pequeños Productores (SPP)"),
    "bird_friendly": _l("Bird Friendly"),
    "4c": _l("4C"),
}

CLEARING = {
    "no": _l("No"),
    "yes": _l("Sí"),
    "unknown": _l("No sé"),
}

CONSENT_SCOPES = {
    "lenders": _l("Entidades de crédito (cajas, cooperativas, microfinancieras)"),
    "buyers": _l("Compradores de mi cosecha"),
}

ALL = {
    "country": COUNTRIES,
    "role": ROLES,
    "org_kind": ORG_KINDS,
    "gender": GENDERS,
    "value_chain": VALUE_CHAINS,
    "certification": CERTIFICATIONS,
    "clearing": CLEARING,
    "consent_scope": CONSENT_SCOPES,
}


def label(kind: str, code: str | None) -> str:
    """The translated label of `code` in the `kind` vocabulary (the code itself if unknown)."""
    if code is None:
        return ""
    return str(ALL[kind].get(code, code))


def choices(kind: str) -> list[tuple[str, str]]:
    """(code, label) pairs for a form's select or radio field."""
    return [(code, text) for code, text in ALL[kind].items()]
