"""Chain of custody: what state the product is in (cacao en baba or seco; café cereza,
pergamino or verde) and the conversion factors between states, which the lots' mass balance
uses: a lot's output may not weigh more than its deliveries converted to the lot's state.

Factors are kept in thousandths (380 = 0.380) so the mass balance is integer arithmetic in
one SQL UPDATE. Defaults (README, "Cadena de custodia"): fresh to dry cacao 0.38 (the usual
35-40 % of fermented, dried beans from cacao en baba); coffee cherry to dry parchment 0.20
and parchment to green 0.80 (the International Coffee Organization's standard factor). An
admin changes them at /admin/trazabilidad/conversiones (a platform setting, audit-logged).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import case

from marketplace import audit
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.models import PlatformSetting, ProductState, User
from marketplace.models.traceability import Delivery

KEY = "conversion_factors"
SCALE = 1000  # factors in thousandths

# each value chain's states in processing order (a later state can't turn back into an earlier)
CHAIN_STATES: dict[str, tuple[ProductState, ...]] = {
    "cacao": (ProductState.CACAO_FRESH, ProductState.CACAO_DRY),
    "cafe": (ProductState.COFFEE_CHERRY, ProductState.COFFEE_PARCHMENT, ProductState.COFFEE_GREEN),
}
# what a centre takes in and sends out unless someone says otherwise
DEFAULT_STATE = {"cacao": ProductState.CACAO_DRY, "cafe": ProductState.COFFEE_PARCHMENT}


@dataclass(frozen=True)
class Step:
    """One processing step and its factor (output kg per input kg, in thousandths)."""

    source: ProductState
    target: ProductState

    @property
    def key(self) -> str:
        """The step's name in the stored setting and the settings form."""
        return f"{self.source.value}__{self.target.value}"


STEPS = [
    Step(states[i], states[i + 1])
    for states in CHAIN_STATES.values()
    for i in range(len(states) - 1)
]
DEFAULT_FACTORS = {
    Step(ProductState.CACAO_FRESH, ProductState.CACAO_DRY).key: 380,
    Step(ProductState.COFFEE_CHERRY, ProductState.COFFEE_PARCHMENT).key: 200,
    Step(ProductState.COFFEE_PARCHMENT, ProductState.COFFEE_GREEN).key: 800,
}


def states_of(value_chain: str) -> tuple[ProductState, ...]:
    """The states a value chain's product goes through (none for other chains)."""
    return CHAIN_STATES.get(value_chain, ())


def default_state(value_chain: str) -> str | None:
    """The state a delivery or lot of this chain is in when nobody says (None: no states)."""
    state = DEFAULT_STATE.get(value_chain)
    return state.value if state else None


def factors() -> dict[str, int]:
    """Each step's factor in thousandths: the admin's figures over the defaults."""
    setting = db.session.get(PlatformSetting, KEY)
    stored = json.loads(setting.value) if setting is not None else {}
    return {key: int(stored.get(key, default)) for key, default in DEFAULT_FACTORS.items()}


def factor(source: str | None, target: str | None, table: dict[str, int] | None = None) -> int:
    """Output kg per input kg from `source` to `target` state, in thousandths: 1000 for the
    same state (or none), the product of the steps between them, 0 when `source` comes
    after `target` (dry beans cannot become fresh ones)."""
    if not source or not target or source == target:
        return SCALE
    table = factors() if table is None else table
    for states in CHAIN_STATES.values():
        codes = [s.value for s in states]
        if source in codes and target in codes:
            start, end = codes.index(source), codes.index(target)
            if start > end:
                return 0
            result = SCALE
            for i in range(start, end):
                result = result * table[Step(states[i], states[i + 1]).key] // SCALE
            return result
    return 0


def converted_kg_expression(target: str | None, table: dict[str, int] | None = None):
    """SQL: a delivery's kg converted to `target`, in thousandths of a kg (for sums)."""
    table = factors() if table is None else table
    codes = [s.value for states in CHAIN_STATES.values() for s in states]
    whens = [(Delivery.product_state == code, factor(code, target, table)) for code in codes]
    return Delivery.kg * case(*whens, else_=SCALE)


def set_factors(actor: User, values: dict[str, int | None]) -> dict[str, int]:
    """An admin stores the conversion factors (thousandths, 1..1000); audit-logged with the
    figures they replace. InvalidInput keyed by step when one is missing or out of range."""
    problems = {
        key: _l("Un factor entre 0,001 y 1 (kilos que salen por kilo que entra).")
        for key in DEFAULT_FACTORS
        if values.get(key) is None or not 0 < values[key] <= SCALE
    }
    if problems:
        raise InvalidInput(problems)
    before = factors()
    chosen = {key: int(values[key]) for key in DEFAULT_FACTORS}
    setting = db.session.get(PlatformSetting, KEY)
    if setting is None:
        setting = PlatformSetting(key=KEY, value="{}")
        db.session.add(setting)
    setting.value = json.dumps(chosen)
    setting.updated_by_id = actor.id
    audit.record(
        actor,
        "custody.conversion_factors_changed",
        audit.PLATFORM_SETTINGS,
        before=before,
        after=chosen,
    )
    db.session.commit()
    return chosen
