"""Translatable labels for the codes that are not a vocabulary enum: countries, catalogue
categories and units, and what the matching library reports (eligibility reasons, readiness
factors, run stages). Statuses and kinds carry their own labels (marketplace.models.vocabulary);
archetype codes are named in marketplace.credit.archetypes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

COUNTRIES = {"PE": _l("Perú"), "MX": _l("México"), "CO": _l("Colombia")}
CALLING_CODES = {"PE": "51", "MX": "52", "CO": "57"}

# Catalogue (marketplace/catalog): listings of inputs and technical-assistance services.
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

# Credit matching (marketplace/credit): codes stored on assessments, matches and loans.
ELIGIBILITY_REASONS = {
    "area_below_minimum": _l("Área productiva menor a la que piden los créditos grupales"),
    "no_consent": _l("Sin permiso para compartir sus datos con entidades de crédito"),
    "cleared_after_cutoff": _l("Bosque talado después de la fecha límite"),
    "active_loan": _l("Ya tiene un préstamo en curso"),
    "no_expected_income": _l("Sin rendimiento registrado para estimar sus ingresos"),
    "outside_coverage": _l("Vive fuera de la zona que cubre el producto asignado a su grupo"),
    "unaffordable_schedule": _l(
        "Sus ingresos del mes no alcanzan para las cuotas del producto asignado"
    ),
    "pledge_short": _l("Lo comprometido con compradores no cubre las cuotas de cosecha"),
    "group_below_minimum": _l("Su grupo quedó con menos socios que el mínimo del producto"),
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
        "+": _l("Su finca tiene título o certificado que asegura la tenencia"),
        "-": _l("Su finca no tiene título ni certificado que asegure la tenencia"),
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
RUN_STAGES = {
    "": _l("Esperando su turno"),
    "eligibility": _l("elegibilidad revisada"),
    "archetypes": _l("tipología de productores calculada"),
    "groups": _l("grupos de crédito formados"),
    "readiness": _l("preparación para el crédito estimada"),
    "affordability": _l("montos de crédito calculados"),
    "group_table": _l("cifras de los grupos listas"),
    "allocation": _l("grupos asignados a productos de crédito"),
    "repayment": _l("cuotas y garantías de cada socio revisadas"),
    "saving": _l("Guardando los resultados"),
    "done": _l("Terminada"),
}

READINESS_MODELS = {
    "scorecard": _l("Tabla de puntaje"),
    "trained": _l("Modelo entrenado con pagos"),
}

# How a run's allocation was decided (matching.allocation.solve's status)
# Why a country's run kept the scorecard (matching.readiness._check)
READINESS_REASONS = {
    "no_outcomes": _l("Aún no hay créditos cerrados para aprender de ellos."),
    "few_outcomes": _l("Hay menos créditos cerrados de los que pide el entrenamiento."),
    "one_class": _l("Casi todos los créditos cerrados terminaron igual: no hay de qué aprender."),
    "no_campaign": _l("Los créditos no dicen en qué campaña se otorgaron."),
    "few_test_outcomes": _l(
        "Ninguna campaña tiene suficientes créditos cerrados de ambos tipos para probar el modelo."
    ),
    "few_train_outcomes": _l(
        "Las campañas anteriores a la de prueba tienen muy pocos créditos cerrados para entrenar."
    ),
}

# Stages of the credit funnel the fairness table follows (and whom each rate counts)
FUNNEL_STAGES = {
    "eligible": _l("Elegibles (de todos los productores)"),
    "grouped": _l("En un grupo (de los elegibles)"),
    "matched": _l("Grupo emparejado con un crédito (de los agrupados)"),
    "approved": _l("Con algún crédito aprobado (historial, de todos)"),
    "repaid": _l("Pagó a tiempo su último crédito (de quienes cerraron uno)"),
}

ALLOCATION_METHODS = {
    "lp_rounding": _l("Relajación lineal redondeada"),
    "core_milp": _l("Programa entero sobre el núcleo"),
    "greedy": _l("Orden por puntaje por monto"),
    "no_pairs": _l("Ningún grupo cabe en un producto"),
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
    "land_title+": _l("Finca con tenencia segura (título o certificado)"),
    "land_title-": _l("Finca sin tenencia segura"),
    "agroforestry+": _l("Finca agroforestal"),
    "agroforestry-": _l("Finca no agroforestal"),
    "market+": _l("Venta comprometida con un comprador"),
    "market-": _l("Sin venta comprometida"),
    "clearing+": _l("Sin deforestación reciente"),
    "clearing-": _l("Deforestación reciente sin confirmar"),
}

ALL = {
    "country": COUNTRIES,
    "listing_category": LISTING_CATEGORIES,
    "unit": UNITS,
    "eligibility_reason": ELIGIBILITY_REASONS,
    "readiness_model": READINESS_MODELS,
    "allocation_method": ALLOCATION_METHODS,
    "readiness_reason": READINESS_REASONS,
    "funnel_stage": FUNNEL_STAGES,
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
