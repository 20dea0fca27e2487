"""The page an analyst decides a group on: requested vs proposed and why, amounts rounded to
the lender's step, members' identity and Minka history under live consent, readiness in
words, excluding a member before approving."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from marketplace.credit import decisions, history, proposals, review
from marketplace.credit.proposals import Limits, propose
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.models import AuditLog, Loan, LoanInstalment, Producer, Repayment
from marketplace.models.base import local_today
from marketplace.producers.services import set_consent
from tests.conftest import signed_in_client
from tests.integration.pages import html_of

# make_match's member: 2,800 kg expected at S/ 10 a kg, S/ 28,000 a year; at TEA 28 % over
# 12 months (instalment factor 0.0950159) 30 % of it carries S/ 7,367.18 of principal
AFFORDABLE = 736_718


@pytest.fixture
def lender(make_user, make_credit_product):
    product = make_credit_product()
    return make_user("lender", organization=product.organization), product


def _audit(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def _page(app, user, path: str) -> str:
    response = signed_in_client(app, user).get(path)
    assert response.status_code == 200
    return html_of(response)


def _producers(match) -> list[Producer]:
    return [db.session.get(Producer, a.producer_id) for a in match.cluster.members]


# --- the rule ------------------------------------------------------------------------------


def test_each_step_only_lowers_the_amount_and_says_so():
    limits = Limits(min_minor=200_000, max_minor=800_000, step_minor=1_000)
    clipped = propose(950_000, limits, affordable_minor=None)
    assert clipped.amount_minor == 800_000 and clipped.reasons == ("product_maximum",)
    afford = propose(950_000, limits, affordable_minor=736_718)
    assert afford.amount_minor == 736_000
    assert afford.cuts == (
        ("product_maximum", 150_000),
        ("affordability", 63_282),
        ("rounded", 718),
    )
    unchanged = propose(500_000, limits, affordable_minor=736_718)
    assert unchanged.amount_minor == 500_000 and unchanged.reasons == ()


def test_no_request_starts_from_the_maximum_and_below_the_minimum_there_is_no_proposal():
    limits = Limits(min_minor=200_000, max_minor=800_000, step_minor=0)
    unsaid = propose(0, limits, affordable_minor=None)
    assert unsaid.not_stated and unsaid.requested_minor == 800_000
    assert unsaid.amount_minor == 800_000
    small = propose(209_000, Limits(210_000, 800_000, 10_000), affordable_minor=None)
    assert small.amount_minor is None and small.reasons == ("rounded", "below_minimum")
    assert not small.proposable


def test_rounding_never_goes_above_the_limits():
    limits = Limits(min_minor=0, max_minor=799_999, step_minor=10_000)
    assert propose(900_000, limits, affordable_minor=None).amount_minor == 790_000
    assert propose(900_000, limits, affordable_minor=555_555).amount_minor == 550_000


# --- the group page ------------------------------------------------------------------------


def test_a_proposal_clipped_to_the_product_maximum_shows_why(app, make_user, lender, make_match):
    user, product = lender
    product.max_amount_minor = 700_000
    db.session.commit()
    match = make_match(n=2, product=product)  # each asks S/ 7,200
    proposal = proposals.for_match(match)[match.cluster.members[0].producer_id]
    assert proposal.amount_minor == 700_000 and proposal.reasons == ("product_maximum",)
    html = _page(app, user, f"/credito/grupos/{match.id}")
    assert "recortado al máximo del producto (S/\u00a07,000.00)" in html
    assert "S/\u00a014,400.00" in html and "S/\u00a014,000.00" in html  # requested, proposed


def test_a_proposal_clipped_to_her_capacity_to_pay_shows_why(app, lender, make_match):
    user, product = lender
    product.max_amount_minor = 1_000_000
    db.session.commit()
    match = make_match(n=1, product=product, requested_minor=950_000)
    (proposal,) = proposals.for_match(match).values()
    assert proposal.amount_minor == AFFORDABLE and proposal.reasons == ("affordability",)
    html = _page(app, user, f"/credito/grupos/{match.id}")
    assert "según su capacidad de pago: cuota ≤ 30 % de su ingreso" in html
    assert "S/\u00a07,367.18" in html


def test_proposals_and_totals_are_rounded_to_the_lender_step(app, lender, make_match):
    user, product = lender
    product.amount_step_minor = 1_000  # S/ 10
    db.session.commit()
    match = make_match(n=3, product=product, requested_minor=719_999)
    plan = decisions.approval(match)
    assert {c.default_minor for c in plan.candidates} == {719_000}
    assert plan.total_minor == 2_157_000
    html = _page(app, user, f"/credito/grupos/{match.id}")
    assert "redondeado a S/\u00a010.00" in html
    assert "3 préstamos por S/\u00a021,570.00" in html
    assert "S/\u00a07,199.99" in html  # what she asked, beside what is proposed


def test_the_approved_total_is_the_group_page_total(app, lender, make_match):
    user, product = lender
    product.amount_step_minor = 10_000
    db.session.commit()
    match = make_match(n=3, product=product, requested_minor=950_000, consent=[True, True, False])
    html = _page(app, user, f"/credito/grupos/{match.id}")
    plan = decisions.approval(match)
    # S/ 9,500 x 3 asked; the member without consent is proposed S/ 7,300 but cannot borrow
    assert plan.totals.requested_minor == 2_850_000 and plan.totals.proposed_minor == 2_190_000
    assert plan.withheld_minor["without_consent"] == 730_000
    assert "2 préstamos por S/\u00a014,600.00" in html
    loans = decisions.approve(
        user, match, {c.producer_id: c.default_minor for c in plan.candidates}
    )
    assert sum(loan.amount_minor for loan in loans) == 1_460_000


def test_below_the_minimum_a_member_is_not_proposed_and_the_page_says_so(app, lender, make_match):
    user, product = lender
    match = make_match(n=2, product=product, requested_minor=150_000)
    plan = decisions.approval(match)
    assert plan.candidates == [] and plan.below_minimum == 2
    html = _page(app, user, f"/credito/grupos/{match.id}")
    assert "no llega al mínimo del producto (S/\u00a02,000.00): no se le puede proponer" in html
    approve = _page(app, user, f"/credito/grupos/{match.id}/aprobar")
    assert "A 2 miembros no se les puede proponer un préstamo" in approve


# --- identity and history under consent ----------------------------------------------------


def _past_loan(producer: Producer, product, status: str = "repaid", **fields) -> Loan:
    loan = Loan(
        producer_id=producer.id,
        lender_id=product.organization_id,
        credit_product_id=product.id,
        amount_minor=fields.pop("amount_minor", 300_000),
        currency="PEN",
        annual_rate_bp=2_800,
        total_cost_bp=3_100,
        term_months=12,
        status=status,
        **fields,
    )
    db.session.add(loan)
    db.session.flush()
    return loan


def _instalment(loan: Loan, number: int, due_in_days: int, paid_days_after_due: int | None):
    due = local_today() + timedelta(days=due_in_days)
    paid_on = None if paid_days_after_due is None else due + timedelta(days=paid_days_after_due)
    db.session.add(
        LoanInstalment(
            loan_id=loan.id,
            number=number,
            month=number,
            due_on=due,
            capital_minor=100_000,
            interest_minor=5_000,
            insurance_minor=0,
            fee_minor=0,
            due_minor=105_000,
            paid_minor=105_000 if paid_on else 0,
            paid_on=paid_on,
        )
    )


def test_history_counts_instalments_on_time_and_late(app, lender, make_match):
    user, product = lender
    match = make_match(n=2, product=product)
    borrower, newcomer = _producers(match)
    old = _past_loan(borrower, product, amount_minor=300_000)
    _instalment(old, 1, -120, 0)  # paid on its due date
    _instalment(old, 2, -90, -3)  # paid early
    _instalment(old, 3, -60, 12)  # paid late
    current = _past_loan(
        borrower, product, "disbursed", amount_minor=400_000, balance_minor=250_000
    )
    _instalment(current, 1, -30, None)  # past due, unpaid: late
    _instalment(current, 2, 30, None)  # not yet due: neither
    db.session.commit()
    found = history.histories([borrower.id, newcomer.id])
    past = found[borrower.id]
    assert (past.count, past.on_time, past.late) == (2, 2, 2)
    assert past.outstanding == {"PEN": 250_000}
    assert found[newcomer.id].empty and found[newcomer.id].on_time == 0
    html = _page(app, user, f"/credito/grupos/{match.id}")
    assert "2 préstamos en Minka" in html
    assert "Cuotas pagadas a tiempo: 2 · con atraso: 2" in html
    assert "Debe hoy en Minka: S/\u00a02,500.00" in html
    assert "Sin préstamos anteriores en Minka." in html


def test_loans_closed_before_schedules_count_their_recorded_repayments(app, lender, make_match):
    user, product = lender
    match = make_match(n=1, product=product)
    (borrower,) = _producers(match)
    old = _past_loan(borrower, product)
    for outcome in ("on_time", "on_time", "late", "default"):
        db.session.add(
            Repayment(loan_id=old.id, amount_minor=100_000, paid_on=local_today(), outcome=outcome)
        )
    db.session.commit()
    found = history.histories([borrower.id])[borrower.id]
    assert (found.count, found.on_time, found.late) == (1, 2, 2)


def test_id_phone_and_history_show_under_live_consent_only(app, lender, make_match):
    user, product = lender
    match = make_match(n=2, product=product)
    shown, revoking = _producers(match)
    shown.phone, revoking.phone = "+51987000111", "+51987000222"
    _past_loan(revoking, product, amount_minor=345_600)
    db.session.commit()
    for path in (f"/credito/grupos/{match.id}", f"/credito/grupos/{match.id}/aprobar"):
        html = _page(app, user, path)
        assert shown.national_id in html and "+51987000111" in html
        assert revoking.national_id in html and "+51987000222" in html
        assert "S/\u00a03,456.00" in html
    set_consent(user, revoking, "lenders", False)
    for path in (f"/credito/grupos/{match.id}", f"/credito/grupos/{match.id}/aprobar"):
        html = _page(app, user, path)
        assert shown.national_id in html and "+51987000111" in html
        assert revoking.national_id not in html and "+51987000222" not in html
        assert revoking.full_name not in html and "S/\u00a03,456.00" not in html
    hidden = [m for m in review.members(match) if not m.shown]
    assert len(hidden) == 1 and hidden[0].history is None and hidden[0].national_id is None


def test_viewing_members_on_the_approve_page_is_audited(app, lender, make_match):
    user, product = lender
    match = make_match(n=3, product=product, consent=[True, True, False])
    _page(app, user, f"/credito/grupos/{match.id}/aprobar")
    (viewed,) = _audit("credit.members_viewed")
    assert viewed.entity_id == match.id
    assert set(viewed.detail["producers"]) == {a.producer_id for a in match.cluster.members[:2]}


# --- readiness in words --------------------------------------------------------------------


def test_readiness_is_explained_with_the_model_s_own_factors(app, lender, make_match):
    user, product = lender
    match = make_match(n=2, product=product)  # readiness 0.60 and 0.65
    html = _page(app, user, f"/credito/grupos/{match.id}")
    assert "Preparación media: se estima un 60 % de probabilidad de que pague a tiempo." in html
    assert "La sube: Venta comprometida con un comprador · Área productiva amplia" in html
    assert "La baja: Sin certificación" in html
    first = match.cluster.members[0]
    first.readiness, first.explanation = 0.99, [["land_title", "+"], ["yield", "-"]]
    db.session.commit()
    (member,) = [m for m in review.members(match) if m.producer_id == first.producer_id]
    assert member.explained.sentence.startswith("Preparación alta: se estima un 99 %")
    assert member.explained.raised == ["Finca con tenencia segura (título o certificado)"]
    assert member.explained.lowered == ["Rendimiento bajo el promedio de la zona"]


# --- excluding members ---------------------------------------------------------------------


def test_excluding_a_member_lowers_the_confirmed_count_and_total(app, lender, make_match):
    user, product = lender
    match = make_match(n=3, product=product)
    kept, also_kept, left_out = (a.producer_id for a in match.cluster.members)
    client = signed_in_client(app, user)
    form = {
        f"amount_{kept}": "7,200.00",
        f"amount_{also_kept}": "7,200.00",
        f"amount_{left_out}": "7,200.00",
        f"exclude_{left_out}": "y",
        f"exclude_reason_{left_out}": "",
    }
    url = f"/credito/grupos/{match.id}/aprobar"
    html = html_of(client.post(url, data=form))
    assert "Diga por qué excluye a este miembro." in html and "Va a aprobar" not in html
    form[f"exclude_reason_{left_out}"] = "Deuda vencida con otra caja"
    html = html_of(client.post(url, data=form))
    assert "Va a aprobar 2 préstamos por un total de S/\u00a014,400.00." in html
    assert "1 miembro queda excluido y no recibe préstamo." in html
    token = re.search(r'name="confirmed" value="([^"]+)"', html).group(1)
    response = client.post(url, data={**form, "confirmed": token})
    assert response.status_code == 302
    loans = db.session.scalars(select(Loan).where(Loan.match_id == match.id)).all()
    assert sorted(loan.producer_id for loan in loans) == sorted([kept, also_kept])
    (excluded,) = _audit("credit.member_excluded")
    assert excluded.entity_id == left_out and excluded.actor_id == user.id
    assert excluded.detail == {
        "match": match.id,
        "group": match.cluster.code,
        "reason": "Deuda vencida con otra caja",
    }
    (approved,) = _audit("credit.match_approved")
    assert approved.detail["excluded"] == [left_out] and approved.detail["total_minor"] == 1_440_000


def test_changing_an_exclusion_asks_for_confirmation_again(app, lender, make_match):
    user, product = lender
    match = make_match(n=2, product=product)
    first, second = (a.producer_id for a in match.cluster.members)
    client = signed_in_client(app, user)
    url = f"/credito/grupos/{match.id}/aprobar"
    keep_second = {
        f"amount_{first}": "",
        f"exclude_{first}": "y",
        f"exclude_reason_{first}": "No vive en la zona",
        f"amount_{second}": "7,200.00",
    }
    html = client.post(url, data=keep_second).get_data(as_text=True)
    token = re.search(r'name="confirmed" value="([^"]+)"', html).group(1)
    keep_first = {
        f"amount_{first}": "7,200.00",
        f"amount_{second}": "",
        f"exclude_{second}": "y",
        f"exclude_reason_{second}": "No vive en la zona",
    }
    html = html_of(client.post(url, data={**keep_first, "confirmed": token}))
    assert "Va a aprobar 1 préstamo" in html  # same count and total, other member: asked again
    assert db.session.scalars(select(Loan)).all() == []


def test_an_excluded_member_with_an_amount_is_refused(app, lender, make_match):
    user, product = lender
    match = make_match(n=2, product=product)
    first, second = (a.producer_id for a in match.cluster.members)
    with pytest.raises(InvalidInput) as refused:
        decisions.approve(user, match, {first: 500_000, second: 500_000}, {second: "motivo"})
    assert set(refused.value.errors) == {f"amount_{second}"}
    assert db.session.scalars(select(Loan)).all() == []


def test_amounts_above_her_capacity_or_off_the_step_are_refused(app, lender, make_match):
    user, product = lender
    product.max_amount_minor, product.amount_step_minor = 1_000_000, 1_000
    db.session.commit()
    match = make_match(n=2, product=product)
    first, second = (a.producer_id for a in match.cluster.members)
    with pytest.raises(InvalidInput) as refused:
        decisions.approve(user, match, {first: 740_000, second: 500_050})
    assert "capacidad de pago" in str(refused.value.errors[f"amount_{first}"])
    assert "múltiplo" in str(refused.value.errors[f"amount_{second}"])


# --- the CSV -------------------------------------------------------------------------------


def test_the_csv_has_the_proposal_its_reason_and_readiness(app, lender, make_match):
    user, product = lender
    product.max_amount_minor = 700_000
    db.session.commit()
    match = make_match(n=2, product=product)
    first = _producers(match)[0]
    first.first_name = "=HYPERLINK(1)"
    db.session.commit()
    body = signed_in_client(app, user).get(f"/credito/grupos/{match.id}/csv")
    rows = list(csv.DictReader(io.StringIO(body.get_data(as_text=True).lstrip("\ufeff"))))
    assert [r["Monto solicitado"] for r in rows] == ["7,200.00", "7,200.00"]
    assert [r["Monto propuesto"] for r in rows] == ["7,000.00", "7,000.00"]
    assert (
        rows[0]["Motivo de la diferencia"] == "recortado al máximo del producto (S/\u00a07,000.00)"
    )
    assert rows[0]["Preparación explicada"].startswith("Preparación media")
    assert any(r["Nombre"].startswith("'=HYPERLINK") for r in rows)
