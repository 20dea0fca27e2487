"""What each kind of tenure document is, as Minka's own data: the country that issues it, the
Tenure it proves and the format of its registry number, with the checks on an upload's
fields. Pure Python: codes and Spanish messages out, no database.

Registry numbers:
- Peru, SUNARP's partida electrónica: 8 digits; partidas opened by COFOPRI's former Registro
  Predial carry a leading "P" (P + 8 digits).
- Colombia, folio de matrícula inmobiliaria: the círculo registral's 3-digit code, a hyphen and
  the folio's number (1 to 8 digits), as the certificado de tradición y libertad prints it:
  "050-1234567".
- Mexico, RAN: the certificate's folio, digits only. Its length changed across PROCEDE and
  later programmes, so 6 to 14 digits are taken; the reviewer compares it with the paper.
Other kinds (a municipality's constancia de posesión, a contract) carry the number the issuer
gave, checked only for length and characters.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from marketplace.models.producers import Tenure
from marketplace.models.tenure import TenureDocKind

MAX_FILE_BYTES = 5 * 1024 * 1024
EARLIEST_ISSUE = date(1900, 1, 1)
FREE_NUMBER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z./ -]{0,38}[0-9A-Za-z]$|^[0-9A-Za-z]$")


@dataclass(frozen=True)
class NumberFormat:
    """A registry number's shape: the pattern on the normalised text and what to tell people."""

    name: LazyString
    pattern: re.Pattern
    message: LazyString


PARTIDA = NumberFormat(
    _l("Partida electrónica (SUNARP)"),
    re.compile(r"^P?\d{8}$"),
    _l(
        "La partida electrónica de SUNARP tiene 8 dígitos (por ejemplo 11023456), o una P y 8 "
        "dígitos si la abrió COFOPRI (P24012345)."
    ),
)
FOLIO_MATRICULA = NumberFormat(
    _l("Folio de matrícula inmobiliaria"),
    re.compile(r"^\d{3}-\d{1,8}$"),
    _l(
        "El folio de matrícula inmobiliaria lleva el código del círculo registral (3 dígitos), "
        "un guion y el número del folio: por ejemplo 050-1234567."
    ),
)
FOLIO_RAN = NumberFormat(
    _l("Folio del Registro Agrario Nacional"),
    re.compile(r"^\d{6,14}$"),
    _l(
        "El folio del certificado del RAN tiene solo dígitos, de 6 a 14 (por ejemplo 000000203842)."
    ),
)


@dataclass(frozen=True)
class KindRule:
    """Who issues a kind of document and what it proves."""

    countries: tuple[str, ...]
    tenure: Tenure
    number: NumberFormat | None = None


RULES: dict[TenureDocKind, KindRule] = {
    TenureDocKind.PE_TITLE: KindRule(("PE",), Tenure.TITLE, PARTIDA),
    TenureDocKind.PE_POSSESSION: KindRule(("PE",), Tenure.POSSESSION),
    TenureDocKind.PE_USE_GRANT: KindRule(("PE",), Tenure.USE_GRANT),
    TenureDocKind.CO_REGISTRY: KindRule(("CO",), Tenure.TITLE, FOLIO_MATRICULA),
    # the ANT's award of State land (baldíos) to a campesino: a title once registered
    TenureDocKind.CO_ADJUDICATION: KindRule(("CO",), Tenure.TITLE),
    TenureDocKind.MX_PARCEL: KindRule(("MX",), Tenure.PARCEL_CERTIFICATE, FOLIO_RAN),
    TenureDocKind.MX_COMMON_USE: KindRule(("MX",), Tenure.AGRARIAN_RIGHTS, FOLIO_RAN),
    TenureDocKind.MX_TITLE: KindRule(("MX",), Tenure.TITLE),
    TenureDocKind.LEASE: KindRule(("PE", "CO", "MX"), Tenure.TENANT),
}


def kinds_for(country: str) -> list[TenureDocKind]:
    """The kinds a country issues, in declaration order."""
    return [kind for kind, rule in RULES.items() if country in rule.countries]


def kinds_proving(tenure: str) -> list[TenureDocKind]:
    """The kinds whose acceptance documents this Tenure."""
    return [kind for kind, rule in RULES.items() if rule.tenure == tenure]


def normalise_number(kind: TenureDocKind, text: str) -> str:
    """The number as stored: no surrounding or inner blanks, upper case, a single hyphen."""
    number = re.sub(r"\s+", "", text or "").upper()
    if RULES[kind].number is FOLIO_MATRICULA:
        number = re.sub(r"[-‐‑–—]+", "-", number)
    if RULES[kind].number is FOLIO_RAN or RULES[kind].number is PARTIDA:
        number = number.replace(".", "").replace("-", "")
    return number


@dataclass(frozen=True)
class Upload:
    """What a person filled in for one document (the file's bytes included)."""

    kind: str
    number: str
    authority: str
    issued_on: date | None
    holder_name: str
    data: bytes


def problems(upload: Upload, country: str, tenure: str, today: date) -> dict[str, str]:
    """Each field's problem (Spanish message) for a plot in `country` declaring `tenure`."""
    found: dict[str, str] = {}
    kind = TenureDocKind(upload.kind) if upload.kind in TenureDocKind.codes() else None
    if kind is None or country not in RULES[kind].countries:
        found["kind"] = str(_l("Elija un tipo de documento que se emita en el país de la finca."))
    elif RULES[kind].tenure != tenure:
        found["kind"] = str(
            _l(
                "Este documento prueba «%(proves)s», pero la finca declara «%(declared)s». "
                "Corrija primero la tenencia en los datos de la finca.",
                proves=RULES[kind].tenure.label,
                declared=Tenure(tenure).label if tenure in Tenure.codes() else tenure,
            )
        )
    if kind is not None and "kind" not in found:
        number = normalise_number(kind, upload.number)
        shape = RULES[kind].number
        if not number:
            found["number"] = str(_l("Escriba el número del documento."))
        elif shape is not None and not shape.pattern.match(number):
            found["number"] = str(shape.message)
        elif shape is None and not FREE_NUMBER.match(number):
            found["number"] = str(
                _l("El número admite hasta 40 letras, dígitos, puntos, barras o guiones.")
            )
    if not upload.authority.strip():
        found["authority"] = str(_l("Indique quién emitió el documento."))
    if upload.issued_on is None:
        found["issued_on"] = str(_l("Indique la fecha de emisión."))
    elif upload.issued_on > today:
        found["issued_on"] = str(_l("La fecha de emisión no puede ser futura."))
    elif upload.issued_on < EARLIEST_ISSUE:
        found["issued_on"] = str(_l("Revise la fecha: es anterior a 1900."))
    if not upload.holder_name.strip():
        found["holder_name"] = str(_l("Escriba el nombre del titular tal como figura."))
    return found


# --- the holder's name against the producer's ----------------------------------------------


def _tokens(name: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", name or "").encode("ascii", "ignore").decode()
    return [t for t in re.split(r"[^a-z]+", plain.lower()) if len(t) > 1]


def holder_matches(holder_name: str, first_name: str, last_name: str) -> bool:
    """Whether the document's holder is the producer: her first given name and her first
    surname both appear in the holder's name, in any order and without accents (registries
    write "QUISPE MAMANI ROSA ELENA" for Rosa Elena Quispe Mamani)."""
    holder = set(_tokens(holder_name))
    given, surnames = _tokens(first_name), _tokens(last_name)
    if not given or not surnames:
        return False
    return given[0] in holder and surnames[0] in holder
