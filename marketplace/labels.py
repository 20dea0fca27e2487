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

RISK_STATUSES = {
    "at_risk": _l("Riesgo: deforestación posterior al corte"),
    "unassessed": _l("Sin evaluar"),
    "needs_verification": _l("Requiere verificación"),
    "verified": _l("Verificado en campo"),
    "free": _l("Libre de deforestación"),
}

CONSENT_SCOPES = {
    "lenders": _l("Entidades de crédito (cajas, cooperativas, microfinancieras)"),
    "buyers": _l("Compradores de mi cosecha"),
}

# Catalogue (marketplace/catalog): listings of inputs and technical-assistance services.
LISTING_KINDS = {"input": _l("Insumo"), "service": _l("Servicio de asistencia técnica")}

LISTING_STATUSES = {
    "draft": _l("Borrador"),
    "published": _l("Publicado"),
    "paused": _l("Pausado"),
    "deleted": _l("Eliminado"),
}

LISTING_CATEGORIES = {
    # inputs
    "fertilizantes": _l("Fertilizantes"),
    "abonos_organicos": _l("Abonos orgánicos y bioinsumos"),
    "plantones": _l("Plantones y material genético"),
    "herramientas": _l("Herramientas"),
    "riego": _l("Riego"),
    "poscosecha": _l("Equipos de poscosecha"),
    "control_plagas": _l("Control de plagas y enfermedades"),
    "apicultura": _l("Apicultura: colmenas y equipos"),
    "ganaderia_insumos": _l("Ganadería: sales minerales y forrajes"),
    # services
    "poda": _l("Poda"),
    "injertacion": _l("Injertación"),
    "agroforesteria": _l("Manejo de sistemas agroforestales"),
    "moniliasis": _l("Control de moniliasis"),
    "certificacion": _l("Certificación"),
    "gestion_financiera": _l("Gestión financiera"),
    "analisis_suelo": _l("Análisis de suelo"),
    "asistencia_tecnica": _l("Asistencia técnica general"),
}

UNITS = {
    "saco_50kg": _l("saco de 50 kg"),
    "litro": _l("litro"),
    "kilogramo": _l("kilogramo"),
    "unidad": _l("unidad"),
    "jornal": _l("jornal"),
    "visita": _l("visita"),
    "hectarea": _l("hectárea"),
}

DELIVERY_MODES = {
    "pickup": _l("Recojo en un centro de acopio"),
    "farm_delivery": _l("Entrega en la finca"),
    "on_farm_service": _l("Servicio en la finca"),
}

# Orders (marketplace/orders).
ORDER_STATUSES = {
    "placed": _l("Enviado"),
    "confirmed": _l("Confirmado"),
    "delivered": _l("Entregado"),
    "completed": _l("Completado"),
    "cancelled": _l("Cancelado"),
}

PAYMENT_METHODS = {
    "cash": _l("Pago en efectivo al recibir o en el centro de acopio"),
    "card": _l("Tarjeta (pago en línea)"),
    "credit": _l("Crédito"),
}

PAYMENT_STATUSES = {
    "unpaid": _l("Sin pagar"),
    "pending": _l("Pago en curso"),
    "failed": _l("Pago rechazado"),
    "paid": _l("Pagado"),
    "refunded": _l("Devuelto"),
    "partially_refunded": _l("Devuelto en parte"),
}

DELIVERY_POINTS = {
    "collection_center": _l("Centro de acopio"),
    "farm": _l("Finca"),
}

# Purchase commitments (marketplace/commitments) and producers' pledges.
COMMITMENT_STATUSES = {
    "open": _l("Abierto"),
    "closed": _l("Cerrado"),
    "fulfilled": _l("Completo"),
}

PLEDGE_STATUSES = {"active": _l("Vigente"), "withdrawn": _l("Retirado")}

PRICE_TYPES = {
    "fixed": _l("Precio fijo por kg"),
    "premium": _l("Prima sobre un precio de referencia"),
}

# Credit matching (marketplace/credit): codes stored on assessments, matches and loans.
ELIGIBILITY_REASONS = {
    "area_below_minimum": _l("Área productiva menor a la que piden los créditos grupales"),
    "no_consent": _l("Sin permiso para compartir sus datos con entidades de crédito"),
    "cleared_after_cutoff": _l("Bosque talado después de la fecha límite"),
    "active_loan": _l("Ya tiene un préstamo en curso"),
    "no_expected_income": _l("Sin rendimiento registrado para estimar sus ingresos"),
}

# Readiness factors: what helps ("+") or holds back ("-") a producer's readiness.
READINESS_FACTORS = {
    "area": {"+": _l("Su área productiva es amplia"), "-": _l("Su área productiva es pequeña")},
    "yield": {
        "+": _l("Su rendimiento está por encima del promedio de su zona"),
        "-": _l("Su rendimiento está por debajo del promedio de su zona"),
    },
    "plant_age": {
        "+": _l("Sus plantas están en edad productiva"),
        "-": _l("Sus plantas son muy jóvenes o muy viejas para producir bien"),
    },
    "associated": {
        "+": _l("Usted es socio de una cooperativa"),
        "-": _l("Usted no es socio de una cooperativa"),
    },
    "certified": {
        "+": _l("Su producción está certificada"),
        "-": _l("Su producción no tiene certificación"),
    },
    "land_title": {
        "+": _l("Su finca tiene título de propiedad"),
        "-": _l("Su finca no tiene título de propiedad"),
    },
    "agroforestry": {
        "+": _l("Su finca es agroforestal"),
        "-": _l("Su finca no es agroforestal"),
    },
    "market": {
        "+": _l("Su producción ya tiene comprador comprometido"),
        "-": _l("Su producción aún no tiene comprador comprometido"),
    },
    "clearing": {
        "+": _l("Su finca no tiene deforestación reciente"),
        "-": _l("No sabemos si su finca tiene deforestación reciente"),
    },
}

# Credit matching runs (marketplace/credit/runs.py). A stage is recorded when it is done.
RUN_STATUSES = {
    "queued": _l("En cola"),
    "running": _l("En curso"),
    "succeeded": _l("Terminada"),
    "failed": _l("Falló"),
}

RUN_BACKENDS = {
    "thread": _l("En la aplicación"),
    "rq": _l("Cola de trabajos (Redis)"),
    "cli": _l("Línea de comandos"),
}

RUN_STAGES = {
    "": _l("Esperando su turno"),
    "eligibility": _l("elegibilidad revisada"),
    "archetypes": _l("tipología de productores calculada"),
    "groups": _l("grupos de crédito formados"),
    "readiness": _l("preparación para el crédito estimada"),
    "affordability": _l("montos de crédito calculados"),
    "group_table": _l("cifras de los grupos listas"),
    "allocation": _l("grupos asignados a productos de crédito"),
    "saving": _l("Guardando los resultados"),
    "done": _l("Terminada"),
}

READINESS_MODELS = {
    "scorecard": _l("Tabla de puntaje"),
    "trained": _l("Modelo entrenado con pagos"),
}

# The matching library names archetypes in Spanish by rules (matching/profiles.py); a name may
# carry a value chain in brackets or a number after it, kept as they are.
ARCHETYPES = {
    "Subsistencia / en transición": _l("Subsistencia / en transición"),
    "Diversificado agroforestal": _l("Diversificado agroforestal"),
    "Certificado especializado": _l("Certificado especializado"),
    "Consolidado asociado": _l("Consolidado asociado"),
    "Consolidado independiente": _l("Consolidado independiente"),
    "Emergente asociado": _l("Emergente asociado"),
    "Emergente independiente": _l("Emergente independiente"),
}

MATCH_STATUSES = {
    "proposed": _l("Propuesto a la entidad de crédito"),
    "info_requested": _l("La entidad pidió más información"),
    "approved": _l("Aprobado"),
    "declined": _l("No aprobado"),
    "superseded": _l("Reemplazado por una evaluación más nueva"),
}

LOAN_STATUSES = {
    "approved": _l("Aprobado, por desembolsar"),
    "disbursed": _l("Desembolsado"),
    "repaid": _l("Pagado por completo"),
    "defaulted": _l("En mora"),
}

REPAYMENT_OUTCOMES = {
    "on_time": _l("A tiempo"),
    "late": _l("Con atraso"),
    "default": _l("No pagado"),
}

REPAYMENT_SCHEDULES = {
    "harvest": _l("En la cosecha"),
    "monthly": _l("Cada mes"),
}

# A readiness factor and its direction ("+" helps, "-" weighs), as a lender reads it.
LENDER_FACTORS = {
    "area+": _l("Área productiva amplia"),
    "area-": _l("Área productiva pequeña"),
    "yield+": _l("Rendimiento sobre el promedio de la zona"),
    "yield-": _l("Rendimiento bajo el promedio de la zona"),
    "plant_age+": _l("Plantas en edad productiva"),
    "plant_age-": _l("Plantas muy jóvenes o muy viejas"),
    "associated+": _l("Socio/a de una cooperativa"),
    "associated-": _l("No es socio/a de una cooperativa"),
    "certified+": _l("Producción certificada"),
    "certified-": _l("Sin certificación"),
    "land_title+": _l("Finca con título de propiedad"),
    "land_title-": _l("Finca sin título de propiedad"),
    "agroforestry+": _l("Finca agroforestal"),
    "agroforestry-": _l("Finca no agroforestal"),
    "market+": _l("Venta comprometida con un comprador"),
    "market-": _l("Sin venta comprometida"),
    "clearing+": _l("Sin deforestación reciente"),
    "clearing-": _l("Deforestación reciente sin confirmar"),
}

ALL = {
    "country": COUNTRIES,
    "role": ROLES,
    "org_kind": ORG_KINDS,
    "gender": GENDERS,
    "value_chain": VALUE_CHAINS,
    "certification": CERTIFICATIONS,
    "clearing": CLEARING,
    "risk_status": RISK_STATUSES,
    "consent_scope": CONSENT_SCOPES,
    "commitment_status": COMMITMENT_STATUSES,
    "pledge_status": PLEDGE_STATUSES,
    "price_type": PRICE_TYPES,
    "order_status": ORDER_STATUSES,
    "payment_method": PAYMENT_METHODS,
    "payment_status": PAYMENT_STATUSES,
    "delivery_point": DELIVERY_POINTS,
    "listing_kind": LISTING_KINDS,
    "listing_status": LISTING_STATUSES,
    "listing_category": LISTING_CATEGORIES,
    "unit": UNITS,
    "delivery_mode": DELIVERY_MODES,
    "eligibility_reason": ELIGIBILITY_REASONS,
    "match_status": MATCH_STATUSES,
    "loan_status": LOAN_STATUSES,
    "repayment_outcome": REPAYMENT_OUTCOMES,
    "repayment": REPAYMENT_SCHEDULES,
    "run_status": RUN_STATUSES,
    "run_backend": RUN_BACKENDS,
    "readiness_model": READINESS_MODELS,
    "readiness_factor": LENDER_FACTORS,
}


def label(kind: str, code: str | None) -> str:
    """The translated label of `code` in the `kind` vocabulary (the code itself if unknown)."""
    if code is None:
        return ""
    return str(ALL[kind].get(code, code))


def choices(kind: str) -> list[tuple[str, str]]:
    """(code, label) pairs for a form's select or radio field."""
    return [(code, text) for code, text in ALL[kind].items()]


def factor_label(code: str, sign: str) -> str:
    """What a readiness factor says about the producer ("+" helps, "-" holds back)."""
    texts = READINESS_FACTORS.get(code)
    if texts is None or sign not in texts:
        return code
    return str(texts[sign])


# what the library adds to tell two types of one value chain apart (matching.profiles)
ARCHETYPE_QUALIFIERS = {
    ", mayor rendimiento": _l(", mayor rendimiento"),
    ", menor rendimiento": _l(", menor rendimiento"),
}


def archetype_label(name: str | None) -> str:
    """An archetype's translated name; the library's suffixes (" (cacao)", " 2") are kept."""
    if not name:
        return ""
    for base, text in ARCHETYPES.items():
        if name == base or name.startswith(base + " "):
            rest = name[len(base) :]
            for qualifier, translated in ARCHETYPE_QUALIFIERS.items():
                rest = rest.replace(qualifier, str(translated))
            return str(text) + rest
    return name
