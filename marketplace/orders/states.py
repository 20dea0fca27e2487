"""The order state machine, in one place: which moves exist, who may make them, and the
message each refused move gives.

placed -> confirmed -> delivered -> completed; cancelled from placed or confirmed. The
supplier organization's members make every move; the producer may only cancel while the
order is still placed.
"""

from __future__ import annotations

from enum import StrEnum

from flask_babel import lazy_gettext as _l

from marketplace.errors import DomainError
from marketplace.models import OrderStatus

PLACED = OrderStatus.PLACED.value
CONFIRMED = OrderStatus.CONFIRMED.value
DELIVERED = OrderStatus.DELIVERED.value
COMPLETED = OrderStatus.COMPLETED.value
CANCELLED = OrderStatus.CANCELLED.value

TRANSITIONS: dict[str, frozenset[str]] = {
    PLACED: frozenset({CONFIRMED, CANCELLED}),
    CONFIRMED: frozenset({DELIVERED, CANCELLED}),
    DELIVERED: frozenset({COMPLETED}),
    COMPLETED: frozenset(),
    CANCELLED: frozenset(),
}

#: Statuses a supplier still has to act on ("por atender").
OPEN = (PLACED, CONFIRMED)
#: The order in which the buttons and the timeline show moves.
ORDERED_TARGETS = (CONFIRMED, DELIVERED, COMPLETED, CANCELLED)


class Side(StrEnum):
    """Who acts on an order: the producer who ordered, or the supplier organization."""

    PRODUCER = "producer"
    SUPPLIER = "supplier"


# What each side may do, from which status.
_ALLOWED: dict[Side, dict[str, frozenset[str]]] = {
    Side.SUPPLIER: TRANSITIONS,
    Side.PRODUCER: {PLACED: frozenset({CANCELLED})},
}

# Why a move is refused, by (current status, wanted status); `None` as the wanted status
# means "any move from this status".
_REFUSALS = {
    (DELIVERED, CANCELLED): _l("Este pedido ya fue entregado: no se puede cancelar."),
    (COMPLETED, CANCELLED): _l("Este pedido ya está completado: no se puede cancelar."),
    (CANCELLED, CANCELLED): _l("Este pedido ya fue cancelado."),
    (CONFIRMED, CONFIRMED): _l("Este pedido ya fue confirmado."),
    (DELIVERED, CONFIRMED): _l("Este pedido ya fue entregado."),
    (COMPLETED, CONFIRMED): _l("Este pedido ya está completado."),
    (DELIVERED, DELIVERED): _l("Este pedido ya fue marcado como entregado."),
    (COMPLETED, DELIVERED): _l("Este pedido ya está completado."),
    (PLACED, DELIVERED): _l("Primero confirme el pedido; después márquelo como entregado."),
    (COMPLETED, COMPLETED): _l("Este pedido ya está completado."),
    (PLACED, COMPLETED): _l("Solo se completa un pedido que ya fue entregado."),
    (CONFIRMED, COMPLETED): _l("Solo se completa un pedido que ya fue entregado."),
    (CANCELLED, None): _l("Este pedido fue cancelado: ya no se puede cambiar."),
}
_PRODUCER_LATE_CANCEL = _l(
    "El proveedor ya confirmó este pedido: para cancelarlo, comuníquese con el proveedor."
)
_NOT_YOURS = _l("Usted no puede hacer este cambio en el pedido.")


def can_move(current: str, target: str, side: Side) -> bool:
    """True when `side` may move an order from `current` to `target`."""
    return target in _ALLOWED[side].get(current, frozenset())


def allowed_targets(current: str, side: Side) -> list[str]:
    """The statuses `side` may move an order to from `current`, in display order."""
    return [target for target in ORDERED_TARGETS if can_move(current, target, side)]


def refusal(current: str, target: str, side: Side) -> str:
    """The message that explains why `side` cannot move an order from `current` to `target`."""
    if side == Side.PRODUCER and target == CANCELLED and current == CONFIRMED:
        return _PRODUCER_LATE_CANCEL
    message = _REFUSALS.get((current, target)) or _REFUSALS.get((current, None))
    if message is not None:
        return message
    if target in TRANSITIONS.get(current, frozenset()):
        return _NOT_YOURS  # the move exists, but not for this side
    return _l("Este cambio de estado no es posible.")


def check(current: str, target: str, side: Side) -> None:
    """Raise DomainError (with a clear Spanish message) unless the move is allowed."""
    if target not in TRANSITIONS:
        raise DomainError(_l("Ese estado de pedido no existe."), "status")
    if not can_move(current, target, side):
        raise DomainError(refusal(current, target, side), "status")
