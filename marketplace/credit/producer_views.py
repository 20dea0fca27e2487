"""Producers' "Mi crédito" page: their assessment explained, their group's offer, their loans
and the switch to share their details with lenders.

Technicians of a producer's cooperative see the same page under /productores/<id>/credito
and may flip the switch on the producer's behalf, confirming the producer agreed in person.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.credit import acceptance, loan_terms, offers
from marketplace.credit.blueprint import bp
from marketplace.credit.forms import LenderConsentForm, LoanAnswerForm
from marketplace.errors import DomainError
from marketplace.models import ConsentScope, Loan, Producer, Role
from marketplace.permissions import load_or_404, role_required
from marketplace.producers.permissions import can_edit, can_view
from marketplace.producers.services import producer_of, set_consent
from marketplace.web import csv_download

FIELD_ROLES = (Role.PRODUCER, Role.TECHNICIAN)


@bp.context_processor
def _credit_helpers() -> dict:
    return {"format_date": format_date}


def _page_url(producer: Producer) -> str:
    if current_user.role == Role.PRODUCER:
        return url_for("credit.mine")
    return url_for("credit.for_producer", producer_id=producer.id)


def _render(
    producer: Producer,
    form: LenderConsentForm | None = None,
    answer_form: LoanAnswerForm | None = None,
):
    return render_template(
        "credit/mine.html",
        page=offers.credit_page(producer),
        form=form or LenderConsentForm(),
        answer_form=answer_form or LoanAnswerForm(),
        on_behalf=current_user.role != Role.PRODUCER,
    )


@bp.route("/mi-credito")
@role_required(Role.PRODUCER)
def mine():
    producer = producer_of(current_user)
    if producer is None:
        flash(_("Primero complete sus datos y registre sus fincas."), "info")
        return redirect(url_for("producers.my_profile"))
    return _render(producer)


@bp.route("/productores/<int:producer_id>/credito")
@role_required(*FIELD_ROLES)
def for_producer(producer_id: int):
    return _render(load_or_404(Producer, producer_id, can_view))


@bp.route("/productores/<int:producer_id>/credito/permiso", methods=["POST"])
@role_required(*FIELD_ROLES)
def consent(producer_id: int):
    producer = load_or_404(Producer, producer_id, can_edit)
    form = LenderConsentForm()
    if not form.validate_on_submit():
        flash(_("El formulario caducó. Envíelo de nuevo."), "error")
        return redirect(_page_url(producer))
    on_behalf = current_user.role != Role.PRODUCER
    if on_behalf and form.granted.data and not form.in_person.data:
        form.in_person.errors = [_("Confirme que la persona dio su consentimiento.")]
        return _render(producer, form)
    try:
        set_consent(current_user, producer, ConsentScope.LENDERS.value, bool(form.granted.data))
    except DomainError as error:
        flash(str(error.message), "error")
        return redirect(_page_url(producer))
    if form.granted.data:
        flash(_("Listo: las entidades de crédito podrán ver sus datos."), "success")
    else:
        flash(_("Listo: las entidades de crédito ya no verán sus datos."), "success")
    return redirect(_page_url(producer))


@bp.route("/productores/<int:producer_id>/credito/prestamos/<int:loan_id>", methods=["POST"])
@role_required(*FIELD_ROLES)
def answer_loan(producer_id: int, loan_id: int):
    """Accept or decline an approved loan after reading its hoja resumen."""
    producer = load_or_404(Producer, producer_id, can_edit)
    loan = load_or_404(Loan, loan_id, producer_id=producer.id)
    form = LoanAnswerForm()
    if not form.validate_on_submit() or form.answer.data not in ("accept", "decline"):
        flash(_("El formulario caducó. Envíelo de nuevo."), "error")
        return redirect(_page_url(producer))
    if current_user.role != Role.PRODUCER and not form.in_person.data:
        form.in_person.errors = [_("Confirme que leyó el cronograma con la persona.")]
        return _render(producer, answer_form=form)
    try:
        if form.answer.data == "accept":
            acceptance.accept(current_user, loan)
            flash(_("Préstamo aceptado. La entidad ya puede entregar el dinero."), "success")
        else:
            acceptance.decline(current_user, loan)
            flash(_("Listo: no tomó este préstamo. La entidad fue avisada."), "success")
    except DomainError as error:
        flash(error.message, "error")
    return redirect(_page_url(producer))


@bp.route("/productores/<int:producer_id>/credito/prestamos/<int:loan_id>/cronograma.csv")
@role_required(*FIELD_ROLES)
def producer_loan_schedule_csv(producer_id: int, loan_id: int):
    """Her loan's schedule as a spreadsheet (or to print)."""
    producer = load_or_404(Producer, producer_id, can_view)
    loan = load_or_404(Loan, loan_id, producer_id=producer.id)
    return csv_download(*loan_terms.loan_schedule_file(loan, producer))
