"""A group's members as a CSV file for the lender: the same members, proposals and reasons
as the group page (credit.review, credit.proposals), personal columns empty without a live
consent, every cell kept from running as a spreadsheet formula."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.credit.review import HIDDEN_NAME, Member
from marketplace.i18n import number, plain_amount
from marketplace.models import Match
from marketplace.web import csv_text

HEADER = (
    _l("Grupo"),
    _l("Nombre"),
    _l("Distrito"),
    _l("Hectáreas productivas"),
    _l("Volumen esperado (kg)"),
    _l("Volumen comprometido (kg)"),
    _l("Preparación (%)"),
    _l("Monto solicitado"),
    _l("Moneda"),
    _l("Factores principales"),
    _l("Monto propuesto"),
    _l("Motivo de la diferencia"),
    _l("Preparación explicada"),
)


def csv_filename(match: Match) -> str:
    """A file name people can file: grupo-PE-3-corrida-12.csv."""
    return f"grupo-{match.cluster.code}-corrida-{match.run_id}.csv"


def _proposed(member: Member, currency: str) -> str:
    if member.proposal is None or member.proposal.amount_minor is None:
        return ""
    return plain_amount(member.proposal.amount_minor, currency)


def _row(match: Match, m: Member) -> list[str]:
    currency = match.cluster.currency
    return [
        match.cluster.code,
        m.name if m.shown else str(HIDDEN_NAME),
        m.district or "",
        number(m.productive_ha, 2, fixed=True) if m.shown else number(m.productive_ha, 0),
        number(m.expected_kg, 0),
        number(m.pledged_kg, 0),
        number(m.readiness * 100, 0),
        plain_amount(m.requested_minor, currency) if m.shown else "",
        currency if m.shown else "",
        "; ".join(m.factors),
        _proposed(m, currency) if m.shown else "",
        m.reason if m.shown else "",
        m.explained.sentence,
    ]


def group_csv(match: Match, rows: list[Member]) -> str:
    """The group's members as CSV, figures written for the viewer as on the page; the
    currency in a column of its own."""
    return csv_text([[str(title) for title in HEADER], *(_row(match, m) for m in rows)])
