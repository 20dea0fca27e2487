"""Each country's money for affordability: input costs per hectare and farm-gate prices, in
major units as cooperatives' cost sheets write them, converted once to minor units."""

from __future__ import annotations

from dataclasses import dataclass

from marketplace import currencies


@dataclass(frozen=True)
class Economics:
    """A country's money for affordability, in major units of `currency` as cooperatives'
    cost sheets write them: inputs per productive ha and farm-gate price per kg (rough
    2025-26 figures). The library takes minor units: `input_cost_per_ha_minor` and
    `price_per_kg_minor` convert them once, through Minka's currency table."""

    currency: str
    input_cost_per_ha: dict[str, int]
    price_per_kg: dict[str, int]

    @property
    def input_cost_per_ha_minor(self) -> dict[str, int]:
        """Inputs per productive ha, in minor units."""
        return {k: currencies.to_minor(v, self.currency) for k, v in self.input_cost_per_ha.items()}

    @property
    def price_per_kg_minor(self) -> dict[str, int]:
        """Farm-gate price per kg, in minor units."""
        return {k: currencies.to_minor(v, self.currency) for k, v in self.price_per_kg.items()}


COUNTRY_ECONOMICS: dict[str, Economics] = {
    "PE": Economics(
        "PEN",
        {"cacao": 1_800, "cafe": 2_200, "miel": 900, "ganaderia": 1_500, "madera": 600,
         "ecoturismo": 800},
        {"cacao": 10, "cafe": 14, "miel": 12, "ganaderia": 8, "madera": 3, "ecoturismo": 0},
    ),
    "MX": Economics(
        "MXN",
        {"cacao": 9_000, "cafe": 11_000, "miel": 4_500, "ganaderia": 7_500, "madera": 3_000,
         "ecoturismo": 4_000},
        {"cacao": 50, "cafe": 70, "miel": 60, "ganaderia": 40, "madera": 15, "ecoturismo": 0},
    ),
    "CO": Economics(
        "COP",
        {"cacao": 2_000_000, "cafe": 2_500_000, "miel": 1_000_000, "ganaderia": 1_700_000,
         "madera": 700_000, "ecoturismo": 900_000},
        {"cacao": 11_000, "cafe": 16_000, "miel": 13_000, "ganaderia": 9_000, "madera": 3_500,
         "ecoturismo": 0},
    ),
}  # fmt: skip
