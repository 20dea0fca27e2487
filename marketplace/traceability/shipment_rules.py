"""The EU's rules a shipment must meet, kept as Minka's own data (no Flask, no database).

- HS codes at 6 digits (Harmonized System, World Customs Organization), the ones a cacao or
  coffee shipment of Minka's producers can carry (EUDR Annex I, headings 1801 and 0901):

  ====== =====================================================================
  180100 cocoa beans, whole or broken, raw or roasted
  090111 coffee, not roasted, not decaffeinated (green coffee)
  090112 coffee, not roasted, decaffeinated
  090121 coffee, roasted, not decaffeinated
  090122 coffee, roasted, decaffeinated
  ====== =====================================================================

- EORI (Economic Operators Registration and Identification): the issuing country's 2-letter
  code and up to 15 letters or digits (EU customs' rule; e.g. ``DE123456789012345``). An EU
  importer's EORI is issued by a member state (or ``XI``, Northern Ireland).
- DDS numbers, as the EU information system (TRACES) returns them: the reference number is
  14 characters - two digits of the year, the 2-letter code of the member state, ten letters
  or digits (``25NLSN6LX69730``; the conventional reference for re-exports is
  ``99EU9999999999``) - and the verification number 8 letters or digits (``K7R8LA90``).
  The Commission publishes no formal grammar; these are the shapes of the numbers it issues
  (from its API examples). Should it change them, this module is the one place to change.
- Limits per DDS: 25 MB of geolocation (counted as 25,000,000 bytes, the stricter reading),
  1,000 producers per commodity and 10,000 per statement. A shipment holds one commodity,
  so 1,000 producers binds first; both stay here in case shipments ever mix commodities.
"""

from __future__ import annotations

import re

HS_CODES: dict[str, tuple[str, ...]] = {
    "cacao": ("180100",),
    "cafe": ("090111", "090112", "090121", "090122"),
}
DEFAULT_HS_CODE = {chain: codes[0] for chain, codes in HS_CODES.items()}

EORI = re.compile(r"[A-Z]{2}[A-Z0-9]{1,15}")
DDS_REFERENCE = re.compile(r"[0-9]{2}[A-Z]{2}[A-Z0-9]{10}")
DDS_VERIFICATION = re.compile(r"[A-Z0-9]{8}")
DESCRIPTION_MAX = 150

# EU member states (ISO 3166-1 alpha-2; Greece's EORI prefix is EL, not GR) and Northern
# Ireland, whose EORIs start with XI.
EU_COUNTRIES = (
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
    "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
)  # fmt: skip
EU_EORI_PREFIXES = frozenset(EU_COUNTRIES) - {"GR"} | {"EL", "XI"}

MAX_BYTES = 25_000_000
MAX_PRODUCERS_PER_COMMODITY = 1_000
MAX_PRODUCERS_PER_STATEMENT = 10_000
MAX_PRODUCERS = min(MAX_PRODUCERS_PER_COMMODITY, MAX_PRODUCERS_PER_STATEMENT)


def normalized(code: str | None) -> str:
    """An identifier as typed, without spaces and in capitals ("de 1234 56" -> "DE123456")."""
    return re.sub(r"\s+", "", code or "").upper()


def is_eori(code: str) -> bool:
    """Whether `code` (normalized) has the shape of an EORI number."""
    return EORI.fullmatch(code) is not None


def is_eu_eori(code: str) -> bool:
    """An EORI issued in the EU (what an EU importer has)."""
    return is_eori(code) and code[:2] in EU_EORI_PREFIXES


def is_dds_reference(code: str) -> bool:
    """Whether `code` (normalized) has the shape of a DDS reference number."""
    return DDS_REFERENCE.fullmatch(code) is not None


def is_dds_verification(code: str) -> bool:
    """Whether `code` (normalized) has the shape of a DDS verification number."""
    return DDS_VERIFICATION.fullmatch(code) is not None


def hs_code_allowed(value_chain: str, hs_code: str) -> bool:
    """Whether the HS code is one of the value chain's."""
    return hs_code in HS_CODES.get(value_chain, ())
