"""The Spanish taxonomy of the catalogue: categories of inputs (insumos) and of
technical-assistance services, the value chains each fits, units and currencies.

The labels live in marketplace/labels.py (categories, units) and on the enums (kinds, value
chains); this module says how the codes relate: a category belongs to one kind and fits some
value chains.
"""

from __future__ import annotations

from typing import NamedTuple

from marketplace.labels import UNITS, label
from marketplace.models import ValueChain

INPUT = "input"
SERVICE = "service"
KINDS = (INPUT, SERVICE)

ALL_CHAINS = ValueChain.codes()
CROPS = ("cacao", "cafe")


class Category(NamedTuple):
    """A category of the catalogue: its code, kind and the value chains it fits."""

    code: str
    kind: str
    chains: tuple[str, ...]

    @property
    def label(self) -> str:
        """The translated name of the category."""
        return label("listing_category", self.code)


CATEGORIES: dict[str, Category] = {
    c.code: c
    for c in (
        Category("fertilizantes", INPUT, (*CROPS, "ganaderia")),
        Category("abonos_organicos", INPUT, (*CROPS, "ganaderia")),
        Category("plantones", INPUT, (*CROPS, "madera")),
        Category("herramientas", INPUT, (*CROPS, "madera", "ganaderia")),
        Category("riego", INPUT, (*CROPS, "ganaderia")),
        Category("poscosecha", INPUT, CROPS),
        Category("control_plagas", INPUT, CROPS),
        Category("apicultura", INPUT, ("miel",)),
        Category("ganaderia_insumos", INPUT, ("ganaderia",)),
        Category("poda", SERVICE, CROPS),
        Category("injertacion", SERVICE, CROPS),
        Category("agroforesteria", SERVICE, (*CROPS, "madera", "ganaderia")),
        Category("moniliasis", SERVICE, ("cacao",)),
        Category("certificacion", SERVICE, (*CROPS, "miel", "madera")),
        Category("gestion_financiera", SERVICE, ALL_CHAINS),
        Category("analisis_suelo", SERVICE, (*CROPS, "ganaderia", "madera")),
        Category("asistencia_tecnica", SERVICE, ALL_CHAINS),
    )
}

UNIT_CODES = tuple(UNITS)


def categories_of(kind: str) -> list[Category]:
    """The categories of one kind, in taxonomy order."""
    return [c for c in CATEGORIES.values() if c.kind == kind]


def fits(category: str, kind: str) -> bool:
    """True when `category` exists and belongs to `kind`."""
    found = CATEGORIES.get(category)
    return found is not None and found.kind == kind
