"""The names people read for the matching library's archetype codes, through the catalogues:
"size_high+yield_high:cacao" -> "Fincas grandes, alto rendimiento (cacao)" in Spanish,
"Large farms, high yield (cocoa)" in English. A type is named by what sets it apart from the
other producers of its country (matching.profiles). Codes of earlier versions
("emerging_independent:cafe:high") keep their earlier names. Only credit/ reads matching's
codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.models import ValueChain
from matching import profiles
from matching.types import SUBSISTENCE

# What sets a type apart from its country's producers (matching.profiles.TRAITS).
TRAITS = {
    "size_high": _l("fincas grandes"),
    "size_low": _l("fincas pequeñas"),
    "yield_high": _l("alto rendimiento"),
    "yield_low": _l("bajo rendimiento"),
    "forest_high": _l("con bosque"),
    "forest_low": _l("poco bosque"),
    "agroforestry_high": _l("agroforestales"),
    "agroforestry_low": _l("poca agroforestería"),
    "certified_high": _l("certificados"),
    "certified_low": _l("poca certificación"),
    profiles.ASSOCIATED_ALL: _l("socios de cooperativa"),
    profiles.ASSOCIATED_NONE: _l("sin cooperativa"),
}

# Types without traits, and the types of earlier versions (rules on absolute cuts).
ARCHETYPES = {
    SUBSISTENCE: _l("Subsistencia / en transición"),
    profiles.TYPICAL: _l("Típicos del país"),
    profiles.NO_TYPOLOGY: _l("Sin tipología clara"),
    profiles.AGROFORESTRY: _l("Diversificado agroforestal"),
    profiles.CERTIFIED: _l("Certificado especializado"),
    profiles.CONSOLIDATED_ASSOCIATED: _l("Consolidado asociado"),
    profiles.CONSOLIDATED_INDEPENDENT: _l("Consolidado independiente"),
    profiles.EMERGING_ASSOCIATED: _l("Emergente asociado"),
    profiles.EMERGING_INDEPENDENT: _l("Emergente independiente"),
}


def targetable_types() -> list[tuple[str, str]]:
    """What a credit product may target, with its name: each trait a type can be named by
    (a group matches when its type has the trait) and the country's typical producers."""
    named = [(code, str(words)) for code, words in TRAITS.items()]
    named.append((profiles.TYPICAL, str(ARCHETYPES[profiles.TYPICAL])))
    return [(code, words[:1].upper() + words[1:]) for code, words in named]


# what told two types of one value chain apart by their yield (codes of earlier versions)
YIELD_RANKS = {
    profiles.HIGH_YIELD: _l(", mayor rendimiento"),
    profiles.LOW_YIELD: _l(", menor rendimiento"),
}


def trait_words(code: str | None) -> list[str]:
    """The traits of a code, in words ("fincas grandes", "alto rendimiento"); [] for codes
    without traits."""
    if not code:
        return []
    return [str(TRAITS[t]) for t in profiles.parse_code(code).traits]


def archetype_label(code: str | None) -> str:
    """An archetype code as people read it: "size_high+yield_high:cacao" -> "Fincas grandes,
    alto rendimiento (cacao)"; "no_typology:cafe" -> "Sin tipología clara (café)". A value
    the library did not code (a name stored before codes that the migration could not read)
    is shown as it is."""
    if not code:
        return ""
    parts = profiles.parse_code(code)
    words = trait_words(code)
    if words:
        text = ", ".join(words)
        text = text[:1].upper() + text[1:]
    elif parts.type in ARCHETYPES:
        text = str(ARCHETYPES[parts.type])
    else:
        return code
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
