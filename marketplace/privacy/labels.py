"""What each line of a deletion receipt means, in words the producer reads."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

RECEIPT_ITEMS = {
    "farms": (_l("Fincas sin entregas ni contratos"), _l("Eliminadas.")),
    "field_evidence": (_l("Evidencia de campo y sus fotos"), _l("Eliminadas.")),
    "tenure_documents": (
        _l("Documentos de tenencia de la tierra y sus archivos"),
        _l("Eliminados."),
    ),
    "credit_assessments": (
        _l("Evaluaciones para crédito (puntaje y grupo)"),
        _l("Eliminadas."),
    ),
    "notifications": (_l("Avisos en Minka"), _l("Eliminados.")),
    "contact": (_l("Celular y correo electrónico"), _l("Eliminados.")),
    "identity": (
        _l("Nombre, documento de identidad, año de nacimiento y género"),
        _l("Reemplazados por «Persona anonimizada»."),
    ),
    "consents": (_l("Permisos para compartir datos"), _l("Retirados.")),
    "account": (
        _l("Cuenta de acceso"),
        _l("Cerrada: ya no se puede ingresar y todas las sesiones terminaron."),
    ),
    "farms_traceability": (
        _l("Fincas de las que salieron entregas"),
        _l(
            "Se guardan sin nombre, con su ubicación: la ley europea contra la deforestación "
            "exige saber de qué parcela viene cada lote vendido."
        ),
    ),
    "farms_contracts": (
        _l("Fincas con pedidos o compromisos de venta"),
        _l("Se guardan sin nombre ni contorno, con la ubicación aproximada (unos 1 km)."),
    ),
    "deliveries": (
        _l("Entregas de cosecha"),
        _l("Se guardan sin su nombre: forman parte de lotes ya vendidos (trazabilidad)."),
    ),
    "loans": (
        _l("Préstamos, cuotas y pagos"),
        _l("Se guardan sin su nombre: la entidad de crédito y la ley los exigen."),
    ),
    "orders": (
        _l("Pedidos de insumos"),
        _l("Se guardan sin su nombre ni notas: son registros de venta para impuestos."),
    ),
    "pledges": (
        _l("Compromisos de venta"),
        _l("Se guardan sin su nombre: son contratos con compradores."),
    ),
    "data_requests": (
        _l("Sus solicitudes sobre datos"),
        _l("Se guardan sin el texto que escribió: prueban que se respondieron."),
    ),
    "audit_log": (
        _l("Registro de auditoría"),
        _l("Se guardan las filas; su nombre, documento, contacto y notas se reemplazan."),
    ),
}


def receipt_lines(receipt: dict | None, section: str) -> list[tuple[str, str, int]]:
    """(what, what happened, how many) for each item of a receipt's section."""
    if not receipt:
        return []
    lines = []
    for entry in receipt.get(section, []):
        what, outcome = RECEIPT_ITEMS.get(entry["item"], (entry["item"], ""))
        lines.append((str(what), str(outcome), int(entry["count"])))
    return lines
