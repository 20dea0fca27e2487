"""The names people read for the matching library's archetype codes, through the catalogues:
"emerging_independent:cafe:high" -> "Emergente independiente (café), mayor rendimiento" in
Spanish, "... (coffee), higher yield" in English. Only credit/ reads matching's codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.models import ValueChain
from matching import profiles
from matching.types import SUBSISTENCE

# The matching library's archetype types (matching.profiles): the type of an archetype code.
ARCHETYPES = {
    SUBSISTENCE: _l("Subsistencia / en transición"),
    profiles.AGROFORESTRY: _l("Diversificado agroforestal"),
    profiles.CERTIFIED: _l("Certificado especializado"),
    profiles.CONSOLIDATED_ASSOCIATED: _l("Consolidado asociado"),
    profiles.CONSOLIDATED_INDEPENDENT: _l("Consolidado independiente"),
    profiles.EMERGING_ASSOCIATED: _l("Emergente asociado"),
    profiles.EMERGING_INDEPENDENT: _l("Emergente independiente"),
}


def targetable_types() -> list[tuple[str, str]]:
    """The archetype types a credit product may target, with their names: every type but
    subsistence (under the area threshold, offered technical assistance, not credit)."""
    return [(code, name) for code, name in ARCHETYPES.items() if code != SUBSISTENCE]


# what tells two types of one value chain apart by their yield
YIELD_RANKS = {
    profiles.HIGH_YIELD: _l(", mayor rendimiento"),
    profiles.LOW_YIELD: _l(", menor rendimiento"),
}


def archetype_label(code: str | None) -> str:
    """An archetype code as people read it: "emerging_independent:cafe:high" ->
    "Emergente independiente (café), mayor rendimiento". A value the library did not code
    (a name stored before codes that the migration could not read) is shown as it is."""
    if not code:
        return ""
    parts = profiles.parse_code(code)
    name = ARCHETYPES.get(parts.type)
    if name is None:
        return code
    text = str(name)
    if parts.value_chain:
        # inside a name the crop is a common noun, lower case in Spanish and English alike
        try:
            chain = ValueChain(parts.value_chain).label.lower()
        except ValueError:
            chain = parts.value_chain
        text += f" ({chain})"
    if parts.yield_rank in YIELD_RANKS:
        text += str(YIELD_RANKS[parts.yield_rank])
    if parts.ordinal:
        text += f" {parts.ordinal}"
    return text
