"""The lender's review of matched credit groups: the list, consent gating, decisions, CSV."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import event, select

from marketplace.credit import decisions, review
from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.models import (
    AuditLog,
    CreditProduct,
    Loan,
    Match,
    MatchingRun,
    Notification,
    Producer,
)
from marketplace.producers.services import set_consent
from tests.conftest import run_matching, signed_in_client
from tests.integration.pages import html_of

NO_FILTERS = review.GroupFilters()


@pytest.fixture
def lender(make_user, make_credit_product):
    """A member of a verified lender with one product (S/ 2,000-8,000, S/ 500,000 budget)."""
    product = make_credit_product()
    return make_user("lender", organization=product.organization), product


def _audit(action: str) -> list[AuditLog]:
    return list(db.session.scalars(select(AuditLog).where(AuditLog.action == action)))


def _loans() -> list[Loan]:
    return list(db.session.scalars(select(Loan).order_by(Loan.producer_id)))


# --- the list ------------------------------------------------------------------------------


def test_the_pipeline_s_match_is_listed_for_its_lender_only(
    app, lender, make_group, make_user, make_credit_product
):
    user, product = lender
    make_group(6)
    run_matching()
    page = review.groups_page(product.organization_id, NO_FILTERS)
    assert [m.credit_product_id for m in page.items] == [product.id]
    other = make_credit_product(coverage_districts=["150101"])
    assert review.groups_page(other.organization_id, NO_FILTERS).total == 0


def test_a_new_run_replaces_proposals_but_keeps_decisions(app, lender, make_match):
    user, product = lender
    decided = make_match(product=product)
    decisions.decline(user, decided, "Zona fuera de nuestra estrategia")
    forgotten = make_match(product=product)
    newest = make_match(product=product)  # a newer run
    forgotten.status = "superseded"
    db.session.commit()
    ids = {m.id for m in review.groups_page(product.organization_id, NO_FILTERS).items}
    assert ids == {decided.id, newest.id}
    assert review.group_for(product.organization_id, forgotten.id) is None


def test_filters_by_status_and_value_chain(app, lender, make_match):
    user, product = lender
    run = MatchingRun(status="succeeded", progress=1.0, backend="cli")
    db.session.add(run)
    db.session.commit()
    cacao = make_match(product=product, run=run)
    cafe = make_match(product=product, run=run, value_chain="cafe")
    decisions.request_info(user, cafe, "¿Tienen contrato con un comprador?")
    org = product.organization_id

    def listed(**filters) -> set[int]:
        return {m.id for m in review.groups_page(org, review.GroupFilters(**filters)).items}

    assert listed() == {cacao.id, cafe.id}
    assert listed(status="info_requested") == {cafe.id}
    assert listed(value_chain="cacao") == {cacao.id}
    assert listed(status="nonsense", value_chain="nonsense") == {cacao.id, cafe.id}


def test_charts_count_the_listed_groups_members(app, lender, make_match):
    user, product = lender
    make_match(n=5, product=product)
    mix, histogram = review.member_charts(product.organization_id, NO_FILTERS)
    assert mix == [("Emergente independiente", 3), ("Consolidado asociado", 2)]
    # readiness 0.60, 0.65, 0.70, 0.75, 0.80
    assert histogram == [0, 0, 0, 0, 0, 0, 2, 2, 1, 0]
    points = review.map_points(product.organization_id, NO_FILTERS)
    assert len(points) == 1 and points[0]["n"] == 5 and points[0]["lat"] == -7.18


def test_a_group_that_keeps_its_archetype_counts_by_its_size(app, lender, make_match):
    user, product = lender
    run = MatchingRun(status="succeeded", progress=1.0, backend="cli")
    db.session.add(run)
    db.session.commit()
    old_style = make_match(n=3, product=product, run=run)  # members counted one by one
    kept = make_match(n=6, product=product, run=run, value_chain="cafe")
    kept.cluster.archetype = "size_high+yield_high:cafe"
    db.session.commit()
    org = product.organization_id
    mix, histogram = review.member_charts(org, NO_FILTERS)
    assert mix == [
        ("Fincas grandes, alto rendimiento (café)", 6),
        ("Emergente independiente", 2),
        ("Consolidado asociado", 1),
    ]
    assert sum(histogram) == 9
    cafe, _ = review.member_charts(org, review.GroupFilters(value_chain="cafe"))
    assert cafe == [("Fincas grandes, alto rendimiento (café)", 6)]
    _, cacao = review.member_charts(org, review.GroupFilters(value_chain="cacao"))
    assert cacao == [0, 0, 0, 0, 0, 0, 2, 1, 0, 0] and old_style.cluster.size == 3


def test_the_list_page_has_map_charts_and_groups(app, lender, make_match):
    user, product = lender
    match = make_match(product=product)
    response = signed_in_client(app, user).get("/credito/grupos")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert match.cluster.code in html and f"/credito/grupos/{match.id}" in html
    assert 'id="groups-map"' in html and "vendor/leaflet/leaflet.js" in html
    assert html.count("<svg") == 2 and "Emergente independiente" in html
    assert "S/" in html  # total requested, through the money filter


def test_the_list_page_runs_the_same_queries_for_any_number_of_groups(
    app, lender, make_match, make_org
):
    user, product = lender
    run = MatchingRun(status="succeeded", progress=1.0, backend="cli")
    db.session.add(run)
    db.session.commit()
    run_id, product_id = run.id, product.id
    client = signed_in_client(app, user)

    def add_group() -> None:  # each of a cooperative of its own, as the pipeline stores them
        match = make_match(
            product=db.session.get(CreditProduct, product_id),
            run=db.session.get(MatchingRun, run_id),
        )
        match.cluster.archetype = "consolidated_associated"
        match.cluster.cooperative_id = make_org("cooperative").id
        db.session.commit()

    def statements() -> int:
        db.session.expunge_all()
        found = []
        listen = lambda *args: found.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listen)
        html = client.get("/credito/grupos").get_data(as_text=True)
        event.remove(db.engine, "before_cursor_execute", listen)
        assert "Cooperativa (todos)" in html
        return len(found)

    add_group()
    one = statements()
    for _ in range(3):
        add_group()
    assert statements() == one


def test_a_run_keeps_each_group_s_tenths_and_the_histogram_sums_them(
    app, lender, make_group, make_match
):
    user, product = lender
    make_group(6)
    run_matching()
    org = product.organization_id
    [match] = review.groups_page(org, NO_FILTERS).items
    tenths = match.cluster.readiness_tenths
    assert len(tenths) == 10 and sum(tenths) == match.cluster.size == 6
    run = db.session.get(MatchingRun, match.run_id)
    older = make_match(n=5, product=product, run=run)  # stored before groups kept them
    assert older.cluster.readiness_tenths is None
    _, from_tenths = review.member_charts(org, NO_FILTERS)
    members_older = [0, 0, 0, 0, 0, 0, 2, 2, 1, 0]  # readiness 0.60 ... 0.80
    assert from_tenths == [a + b for a, b in zip(tenths, members_older, strict=True)]
    match.cluster.readiness_tenths = None  # counted member by member: the same figures
    db.session.commit()
    assert review.member_charts(org, NO_FILTERS)[1] == from_tenths


def test_an_unverified_lender_sees_a_notice_and_no_groups(app, make_org, make_user):
    org = make_org("lender", verified=False)
    user = make_user("lender", organization=org)
    response = signed_in_client(app, user).get("/credito/grupos")
    assert response.status_code == 200
    assert "no está verificada" in response.get_data(as_text=True)


# --- one group and consent -----------------------------------------------------------------


def test_members_without_a_live_consent_show_aggregates_only(app, lender, make_match):
    user, product = lender
    match = make_match(n=4)
    members = match.cluster.members
    hidden = db.session.get(Producer, members[1].producer_id)
    set_consent(user, hidden, "lenders", False)
    rows = review.members(match)
    shown = [m for m in rows if m.shown]
    assert len(shown) == 3 and hidden.id not in {m.producer_id for m in shown}
    last = rows[-1]
    assert not last.shown and last.name is None and last.producer_id is None
    assert last.productive_ha == 4.0 and last.readiness == pytest.approx(0.65)
    assert last.requested_minor is None and last.factors == [] and last.district is None
    assert shown[0].factors == [
        "Venta comprometida con un comprador",
        "Área productiva amplia",
        "Sin certificación",
    ]


def test_the_group_page_hides_a_revoked_member_and_audits_the_others(app, lender, make_match):
    user, product = lender
    match = make_match(n=3, product=product)
    producers = [db.session.get(Producer, a.producer_id) for a in match.cluster.members]
    client = signed_in_client(app, user)
    html = client.get(f"/credito/grupos/{match.id}").get_data(as_text=True)
    assert all(p.full_name in html for p in producers)
    assert "sin consentimiento" not in html
    (first_view,) = _audit("credit.members_viewed")  # one row for the group's view
    assert first_view.entity_type == "match" and first_view.entity_id == match.id
    assert sorted(first_view.detail["producers"]) == sorted(p.id for p in producers)

    set_consent(user, producers[0], "lenders", False)
    html = client.get(f"/credito/grupos/{match.id}").get_data(as_text=True)
    assert producers[0].full_name not in html
    assert producers[1].full_name in html
    assert "Productor/a sin consentimiento" in html and "1 miembro no dio su consentimiento" in html
    viewed = _audit("credit.members_viewed")
    assert len(viewed) == 2 and producers[0].id not in viewed[-1].detail["producers"]
    assert len(viewed[-1].detail["producers"]) == 2 and viewed[-1].actor_id == user.id


def test_alternatives_are_listed(app, lender, make_match, make_credit_product):
    user, product = lender
    match = make_match(product=product)
    other = make_credit_product(name="Crédito verde")
    db.session.add(
        Match(
            run_id=match.run_id,
            cluster_id=match.cluster_id,
            credit_product_id=other.id,
            lender_id=other.organization_id,
            rank=1,
            score=0.5,
            amount_minor=1_000_000,
        )
    )
    db.session.commit()
    assert [m.credit_product_id for m in review.alternatives(match)] == [other.id]
    html = signed_in_client(app, user).get(f"/credito/grupos/{match.id}").get_data(as_text=True)
    assert "Crédito verde" in html and "Opción 2" in html


def test_csv_export_is_consent_gated(app, lender, make_match):
    user, product = lender
    match = make_match(n=3, product=product, consent=True)
    first = db.session.get(Producer, match.cluster.members[0].producer_id)
    set_consent(user, first, "lenders", False)
    response = signed_in_client(app, user).get(f"/credito/grupos/{match.id}/csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        f'attachment; filename="grupo-{match.cluster.code}-corrida-{match.run_id}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Grupo", "Nombre", "Distrito"] and len(rows) == 4
    names = [r[1] for r in rows[1:]]
    assert first.full_name not in names and names[-1] == "Productor/a sin consentimiento"
    hidden = rows[-1]
    assert hidden[2] == "" and hidden[3] == "4" and hidden[7] == "" and hidden[9] == ""
    assert rows[1][7] == "7,200.00" and rows[1][8] == "PEN"
    (exported,) = _audit("credit.members_exported")
    assert len(exported.detail["producers"]) == 2


# --- decisions -----------------------------------------------------------------------------


def test_approving_records_a_loan_per_consenting_member(app, lender, make_match):
    user, product = lender
    match = make_match(n=4, product=product, consent=[True, True, True, False])
    plan = decisions.approval(match)
    assert plan.without_consent == 1 and len(plan.candidates) == 3
    assert {c.default_minor for c in plan.candidates} == {720_000}
    amounts = {c.producer_id: c.default_minor for c in plan.candidates}
    amounts[plan.candidates[0].producer_id] = 300_000
    loans = decisions.approve(user, match, amounts)
    assert sorted(loan.amount_minor for loan in loans) == [300_000, 720_000, 720_000]
    loan = loans[0]
    assert loan.lender_id == product.organization_id and loan.match_id == match.id
    assert (loan.annual_rate_bp, loan.term_months) == (2_800, 12)
    # each loan's cost comes from its own schedule, not the product's typed or stated figure
    assert loan.total_cost_bp == decisions.loan_cost_bp(product, loan.amount_minor)
    assert loan.status == "approved" and loan.approved_by_id == user.id
    db.session.expire_all()
    assert match.status == "approved" and match.decided_by_id == user.id
    entry = _audit("credit.match_approved")[0]
    assert entry.detail["total_minor"] == 1_740_000 and len(entry.detail["loans"]) == 3
    assert decisions.remaining_budget(product.id) == 50_000_000 - 1_740_000
    with pytest.raises(DomainError, match="ya fue decidido"):
        decisions.approve(user, match, amounts)


def test_defaults_are_the_proposals_within_the_product_limits(app, lender, make_match):
    user, product = lender
    match = make_match(n=2, product=product, requested_minor=950_000)
    # S/ 9,500 is clipped to the S/ 8,000 maximum, then to her capacity to pay: 30 % of
    # S/ 28,000 a year over 12 instalments at TEA 28 % (factor 0.0950159) is S/ 7,367.18
    assert {c.default_minor for c in decisions.approval(match).candidates} == {736_718}
    small = make_match(n=2, product=product, requested_minor=50_000)
    plan = decisions.approval(small)  # below the minimum: no proposal, not raised to it
    assert plan.candidates == [] and plan.below_minimum == 2


def test_amounts_outside_the_limits_change_nothing(app, lender, make_match):
    user, product = lender
    match = make_match(n=2, product=product)
    first, second = (c.producer_id for c in decisions.approval(match).candidates)
    with pytest.raises(InvalidInput) as refused:
        decisions.approve(user, match, {first: 199_999, second: 800_001})
    assert set(refused.value.errors) == {f"amount_{first}", f"amount_{second}"}
    with pytest.raises(InvalidInput) as empty:
        decisions.approve(user, match, {first: None, second: None})
    assert set(empty.value.errors) == {"amounts"}
    db.session.expire_all()
    assert match.status == "proposed" and _loans() == []


def test_the_sum_must_fit_the_remaining_budget(app, lender, make_match, make_group):
    user, product = lender
    product.budget_minor = 2_000_000
    db.session.commit()
    match = make_match(n=3, product=product)
    amounts = {c.producer_id: 720_000 for c in decisions.approval(match).candidates}
    with pytest.raises(InvalidInput, match="presupuesto"):
        decisions.approve(user, match, amounts)
    db.session.expire_all()
    assert match.status == "proposed" and _loans() == []
    # leaving one member out fits
    amounts[next(iter(amounts))] = None
    assert len(decisions.approve(user, match, amounts)) == 2
    assert decisions.remaining_budget(product.id) == 560_000


def test_members_without_consent_or_with_a_loan_cannot_get_one(app, lender, make_match):
    user, product = lender
    match = make_match(n=3, product=product)
    ids = [a.producer_id for a in match.cluster.members]
    set_consent(user, db.session.get(Producer, ids[0]), "lenders", False)
    with pytest.raises(DomainError, match="ya no pueden recibir"):
        decisions.approve(user, match, {ids[0]: 300_000})
    other = make_match(n=1, product=product)
    decisions.approve(user, other, {other.cluster.members[0].producer_id: 300_000})
    db.session.add(
        Loan(
            producer_id=ids[1],
            lender_id=product.organization_id,
            credit_product_id=product.id,
            amount_minor=300_000,
            currency="PEN",
            annual_rate_bp=2800,
            total_cost_bp=3100,
            term_months=12,
        )
    )
    db.session.commit()
    plan = decisions.approval(match)
    assert [c.producer_id for c in plan.candidates] == [ids[2]]
    assert plan.without_consent == 1 and plan.with_active_loan == 1


def test_an_inactive_product_lends_nothing(app, lender, make_match):
    user, product = lender
    match = make_match(n=1, product=product)
    product.active = False
    db.session.commit()
    with pytest.raises(DomainError, match="ya no está activo"):
        decisions.approve(user, match, {match.cluster.members[0].producer_id: 300_000})
    assert _loans() == []


def test_only_the_matched_lender_decides(app, lender, make_match, make_user):
    user, product = lender
    match = make_match(product=product)
    stranger = make_user("lender")
    for decide in (
        lambda: decisions.decline(stranger, match, "No"),
        lambda: decisions.request_info(stranger, match, "¿?"),
        lambda: decisions.approve(stranger, match, {}),
    ):
        with pytest.raises(DomainError, match="otra entidad"):
            decide()
    db.session.expire_all()
    assert match.status == "proposed"


def test_declining_needs_a_reason(app, lender, make_match):
    user, product = lender
    match = make_match(product=product)
    with pytest.raises(InvalidInput, match="obligatorio"):
        decisions.decline(user, match, "   ")
    decisions.decline(user, match, "Sin presupuesto para cacao este año")
    db.session.expire_all()
    assert match.status == "declined" and match.reason == "Sin presupuesto para cacao este año"
    assert _audit("credit.match_declined")[0].detail["reason"].startswith("Sin presupuesto")
    with pytest.raises(DomainError, match="ya fue decidido"):
        decisions.request_info(user, match, "¿Y ahora?")


def test_asking_for_information_tells_cooperatives_and_admins(
    app, lender, make_match, make_org, make_user
):
    user, product = lender
    coop = make_org("cooperative")
    admin = make_user("admin")
    match = make_match(n=3, product=product)
    for assessment in match.cluster.members[:2]:
        db.session.get(Producer, assessment.producer_id).cooperative_id = coop.id
    db.session.commit()
    decisions.request_info(user, match, "¿Cuántos tienen contrato de venta?")
    notes = db.session.scalars(select(Notification).order_by(Notification.id)).all()
    assert [(n.organization_id, n.user_id) for n in notes] == [(coop.id, None), (None, admin.id)]
    assert notes[0].kind == "credit.info_requested"
    assert notes[0].params["message"] == "¿Cuántos tienen contrato de venta?"
    db.session.expire_all()
    assert match.status == "info_requested"
    # still open: the lender can decide once the answer comes
    decisions.decline(user, match, "No tienen contrato")


# --- decisions through the pages -----------------------------------------------------------


def test_approving_through_the_form(app, lender, make_match):
    user, product = lender
    match = make_match(n=2, product=product)
    first, second = (a.producer_id for a in match.cluster.members)
    client = signed_in_client(app, user)
    page = client.get(f"/credito/grupos/{match.id}/aprobar").get_data(as_text=True)
    assert 'value="7,200.00"' in page
    response = client.post(
        f"/credito/grupos/{match.id}/aprobar",
        data={f"amount_{first}": "9.000", f"amount_{second}": "abc"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Escriba el monto con números" in html
    response = client.post(
        f"/credito/grupos/{match.id}/aprobar",
        data={f"amount_{first}": "9.000", f"amount_{second}": "3000"},
    )
    assert response.status_code == 200
    assert "entre el mínimo y el máximo" in response.get_data(as_text=True)
    assert _loans() == []
    response = client.post(
        f"/credito/grupos/{match.id}/aprobar",
        data={f"amount_{first}": "5.000,50", f"amount_{second}": ""},
    )
    assert "Escriba un monto o excluya a este miembro" in response.get_data(as_text=True)
    amounts = {
        f"amount_{first}": "5.000,50",
        f"amount_{second}": "",
        f"exclude_{second}": "y",
        f"exclude_reason_{second}": "Ya tiene crédito en otra caja",
    }
    response = client.post(f"/credito/grupos/{match.id}/aprobar", data=amounts)
    html = html_of(response)  # one tap approves nothing: confirm first
    assert response.status_code == 200 and _loans() == []
    assert "Va a aprobar 1 préstamo por un total de S/\u00a05,000.50." in html
    token = re.search(r'name="confirmed" value="([^"]+)"', html).group(1)
    assert token.startswith("1:500050:")
    changed = {**amounts, f"amount_{first}": "6.000", "confirmed": token}
    response = client.post(f"/credito/grupos/{match.id}/aprobar", data=changed)
    assert "por un total de S/\u00a06,000.00" in html_of(response)  # asked again
    assert _loans() == []
    response = client.post(
        f"/credito/grupos/{match.id}/aprobar", data={**amounts, "confirmed": token}
    )
    assert response.status_code == 302 and response.location.endswith("/credito/prestamos")
    assert [(loan.producer_id, loan.amount_minor) for loan in _loans()] == [(first, 500_050)]
    again = client.get(f"/credito/grupos/{match.id}/aprobar")
    assert again.status_code == 302


def test_declining_through_the_page_keeps_the_typed_text(app, lender, make_match):
    user, product = lender
    match = make_match(product=product)
    client = signed_in_client(app, user)
    response = client.post(f"/credito/grupos/{match.id}/rechazar", data={"reason": ""})
    assert response.status_code == 200 and "Este dato es obligatorio" in response.get_data(
        as_text=True
    )
    response = client.post(
        f"/credito/grupos/{match.id}/pedir-informacion", data={"message": "¿Título?"}
    )
    assert response.status_code == 302
    response = client.post(f"/credito/grupos/{match.id}/rechazar", data={"reason": "Sin título"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Match, match.id).status == "declined"
    html = client.get(f"/credito/grupos/{match.id}").get_data(as_text=True)
    assert "Sin título" in html and "Rechazar el grupo" not in html


def test_members_with_an_account_hear_of_the_decision(app, make_user, make_match):
    from marketplace.credit import decisions
    from marketplace.models import Notification, Producer
    from marketplace.notifications.messages import render

    match = make_match(n=3)
    account = make_user("producer")
    db.session.get(Producer, match.cluster.members[0].producer_id).user_id = account.id
    db.session.commit()
    lender = make_user("lender", organization=match.lender)
    candidates = decisions.approval(match).candidates
    decisions.approve(lender, match, {c.producer_id: c.default_minor for c in candidates})
    notes = db.session.scalars(
        db.select(Notification).where(Notification.user_id == account.id)
    ).all()
    assert [n.kind for n in notes] == ["credit.loan_approved"] and notes[0].link == "/mi-credito"
    with app.test_request_context():
        assert match.lender.name in render(notes[0].kind, notes[0].params)


def test_a_member_outside_the_product_s_districts_is_shown_why_and_left_out(
    app, lender, make_group
):
    from marketplace.credit import offers
    from marketplace.models import Assessment, Farm

    user, product = lender
    members = make_group(7)
    # her farm is among the others, but registered in a district the product does not list
    away = members[-1]
    farm = db.session.scalars(select(Farm).where(Farm.producer_id == away.id)).one()
    farm.district_code = "220901"  # a neighbouring province's district
    db.session.commit()
    assert "220901" not in product.coverage_districts
    run = run_matching()
    match = db.session.scalars(select(Match).where(Match.run_id == run.id, Match.rank == 0)).one()
    assessment = db.session.scalars(
        select(Assessment).where(Assessment.run_id == run.id, Assessment.producer_id == away.id)
    ).one()
    assert assessment.cluster_id == match.cluster_id and "outside_coverage" in assessment.reasons
    assert run.metrics["countries"]["PE"]["outside_coverage"] == 1
    assert run.metrics["producers_financed"] == 6
    plan = decisions.approval(match)
    assert away.id not in {c.producer_id for c in plan.candidates}
    assert len(plan.candidates) == 6 and plan.outside_coverage == 1 and plan.below_minimum == 0
    assert not plan.proposals[away.id].proposable
    html = signed_in_client(app, user).get(f"/credito/grupos/{match.id}").get_data(as_text=True)
    assert "vive fuera de la cobertura del producto" in html
    # the group is of one type and one cooperative (here none: a solidarity group)
    assert match.cluster.archetype and match.cluster.cooperative_id is None
    assert "Tipo de productor (todos)" in html and "Ninguna: grupo solidario" in html
    approve = signed_in_client(app, user).get(f"/credito/grupos/{match.id}/aprobar")
    assert "1 miembro vive fuera de la cobertura del producto" in approve.get_data(as_text=True)
    page = offers.credit_page(away)
    assert page.outside_coverage and page.offer is None
    assert offers.credit_page(members[0]).offer is not None
