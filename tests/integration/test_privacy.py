"""Data rights as services: the copy of everything held, objections in force, requests with
their deadline, and a deletion that removes what is not needed and anonymises the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.errors import DomainError
from marketplace.extensions import db as _db
from marketplace.models import (
    Assessment,
    AuditLog,
    Consent,
    DataRequest,
    Delivery,
    Farm,
    FieldEvidence,
    Loan,
    Notification,
    Producer,
    User,
)
from marketplace.models.base import local_today
from marketplace.privacy import deadlines, erasure, export, services
from marketplace.producers import services as producer_services
from tests.conftest import run_matching
from tests.integration import deliveries
from tests.integration.loans import new_loan

SQUARE = {
    "type": "Polygon",
    "coordinates": [[[-76.73, -7.18], [-76.72, -7.18], [-76.72, -7.17], [-76.73, -7.18]]],
}


@pytest.fixture
def rosa(db, make_user, make_producer, make_farm):
    """A producer with her own account, a farm with its outline, and consent for lenders."""
    user = make_user("producer", phone="+51987654321")
    producer = make_producer(user_id=user.id, phone="+51987654321")
    make_farm(producer, name="La Esperanza", polygon_geojson=SQUARE)
    producer_services.set_consent(user, producer, "lenders", True)
    return producer


# --- access -------------------------------------------------------------------------------


def _personal_columns():
    """(table, column) of every column that points to a producer, a user or a farm, by
    foreign key or by name (a producer_id or user_id someone forgot to declare as a key)."""
    return {
        (table.name, column.name)
        for table in _db.metadata.tables.values()
        for column in table.columns
        if column.name in ("producer_id", "user_id", "farm_id")
        or any(key.column.table.name in export.PERSONAL_TARGETS for key in column.foreign_keys)
    }


def test_every_column_pointing_to_a_person_is_covered_by_the_export(app):
    missing = sorted(_personal_columns() - set(export.COVERAGE))
    assert missing == [], "add these to privacy.export.COVERAGE and export their rows"


def test_every_section_the_coverage_names_is_in_the_export(rosa):
    sections = set(export.collect(rosa))
    named = set(export.COVERAGE.values()) - {export.STAFF, export.NOT_HERS}
    assert named <= sections


def test_the_export_holds_her_profile_farms_with_geometry_consents_and_history(rosa):
    data = export.collect(rosa)
    assert data["producer"]["national_id"] == rosa.national_id
    assert data["producer"]["phone"] == "+51987654321"
    assert data["farms"][0]["polygon_geojson"] == SQUARE
    assert data["consents"][0]["scope"] == "lenders" and data["consents"][0]["granted"]
    assert "consent.granted" in {entry["action"] for entry in data["audit_log"]}
    assert "password_hash" not in data["account"]
    assert "session_version" not in data["account"]


def test_the_export_holds_her_loans_pledges_deliveries_and_assessments(
    rosa, make_org, make_user, make_center, make_commitment, make_credit_product
):
    world = deliveries.centre(make_org, make_user, make_center, make_commitment)
    farm = rosa.farms[0]
    pledge = deliveries.pledge(world.commitment, farm)
    deliveries.deliver(world, pledge, 300)
    loan = new_loan(rosa, make_credit_product())
    data = export.collect(rosa)
    assert [row["id"] for row in data["pledges"]] == [pledge.id]
    assert [row["kg"] for row in data["deliveries"]] == [300]
    assert [row["id"] for row in data["loans"]] == [loan.id]


# --- objection ----------------------------------------------------------------------------


def test_objecting_to_credit_scoring_leaves_her_out_of_the_next_matching_run(
    db, make_group, make_user
):
    group = make_group(6)
    objector = group[0]
    objector.user_id = make_user("producer").id
    db.session.commit()
    services.set_objection(objector.user, objector, "credit_scoring", True)
    run_matching()
    assessed = set(db.session.scalars(select(Assessment.producer_id)))
    assert objector.id not in assessed
    assert {p.id for p in group[1:]} <= assessed
    actions = db.session.scalars(select(AuditLog.action)).all()
    assert "privacy.objection_made" in actions


def test_withdrawing_the_objection_lets_the_matching_see_her_again(db, make_group, make_user):
    group = make_group(6)
    objector = group[0]
    objector.user_id = make_user("producer").id
    db.session.commit()
    services.set_objection(objector.user, objector, "credit_scoring", True)
    services.set_objection(objector.user, objector, "credit_scoring", False)
    run_matching()
    assert objector.id in set(db.session.scalars(select(Assessment.producer_id)))


def test_objecting_to_buyers_hides_her_even_with_a_consent_and_refuses_a_new_one(rosa):
    user = rosa.user
    producer_services.set_consent(user, rosa, "buyers", True)
    assert producer_services.with_live_consent([rosa.id], "buyers") == {rosa.id}
    services.set_objection(user, rosa, "share_buyers", True)
    assert producer_services.with_live_consent([rosa.id], "buyers") == set()
    assert producer_services.consent_states(rosa)["buyers"].granted is False
    with pytest.raises(DomainError, match="oposición"):
        producer_services.set_consent(user, rosa, "buyers", True)


def test_an_objection_is_recorded_as_an_answered_request(rosa):
    services.set_objection(rosa.user, rosa, "share_lenders", True)
    request = _db.session.scalar(select(DataRequest).where(DataRequest.kind == "objection"))
    assert request.status == "done" and request.use == "share_lenders"
    assert producer_services.consent_states(rosa)["lenders"].granted is False


# --- requests and deadlines ---------------------------------------------------------------


def test_a_technician_files_in_person_and_the_deadline_follows_her_country(
    db, make_user, make_producer
):
    tech = make_user("technician")
    producer = make_producer(cooperative_id=tech.organization_id, country="CO")
    request = services.file_request(tech, producer, "rectification", "Mi apellido es Ríos")
    assert request.channel == "in_person" and request.filed_by_id == tech.id
    assert request.due_on == deadlines.due_on("CO", "rectification", local_today())
    assert request.status == "open"


def test_a_rectification_needs_its_text_and_a_second_deletion_waits_for_the_first(rosa):
    with pytest.raises(DomainError):
        services.file_request(rosa.user, rosa, "rectification", "   ")
    services.file_request(rosa.user, rosa, "deletion", "")
    with pytest.raises(DomainError, match="en trámite"):
        services.file_request(rosa.user, rosa, "deletion", "")


def test_open_requests_come_nearest_deadline_first_with_overdue_marked(rosa, make_user):
    admin = make_user("admin")
    late = services.file_request(rosa.user, rosa, "rectification", "Mi celular cambió")
    soon = services.file_request(rosa.user, rosa, "deletion", "")
    late.due_on = local_today().replace(year=local_today().year - 1)
    _db.session.commit()
    rows = services.open_requests()
    assert [row.request.id for row in rows] == [late.id, soon.id]
    assert rows[0].overdue and not rows[1].overdue
    services.mark_done(admin, late, "Celular corregido")
    assert [row.request.id for row in services.open_requests()] == [soon.id]


def test_a_rejection_needs_a_reason_and_happens_once(rosa, make_user):
    admin = make_user("admin")
    request = services.file_request(rosa.user, rosa, "rectification", "Mi nombre")
    with pytest.raises(DomainError):
        services.reject(admin, request, "")
    services.reject(admin, request, "El dato ya es correcto")
    with pytest.raises(DomainError, match="ya fue respondida"):
        services.mark_done(admin, request, "tarde")


# --- deletion -----------------------------------------------------------------------------


def _erase(rosa, make_user, tmp_path: Path) -> tuple[DataRequest, dict]:
    request = services.file_request(rosa.user, rosa, "deletion", "Ya no vendo cacao")
    receipt = erasure.carry_out(make_user("admin"), request, tmp_path)
    return request, receipt


def test_deletion_removes_what_is_not_needed_and_anonymises_what_must_stay(
    rosa, make_user, make_farm, make_org, make_center, make_commitment, make_credit_product,
    tmp_path,
):  # fmt: skip
    user_id = rosa.user_id
    version = rosa.user.session_version
    world = deliveries.centre(make_org, make_user, make_center, make_commitment)
    delivered = rosa.farms[0]
    deliveries.deliver(world, deliveries.pledge(world.commitment, delivered), 300)
    spare = make_farm(rosa, name="Lote del río")
    photo = tmp_path / "uploads" / "evidence" / "foto.jpg"
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"jpeg")
    _db.session.add(
        FieldEvidence(
            farm_id=delivered.id,
            photo_path="uploads/evidence/foto.jpg",
            note="Rosa Quispe nos mostró el lindero",
            observed_on=local_today(),
            recorded_by_id=world.staff.id,
        )
    )
    _db.session.add(Notification(user_id=user_id, kind="order.confirmed", params={}))
    loan = new_loan(rosa, make_credit_product())
    _db.session.commit()

    request, receipt = _erase(rosa, make_user, tmp_path)

    person = _db.session.get(Producer, rosa.id)
    assert person.first_name == "Persona" and person.national_id == f"ANON{rosa.id}"
    assert person.phone is None and person.erased_at is not None
    account = _db.session.get(User, user_id)
    assert not account.active and account.email is None and account.phone is None
    assert account.session_version == version + 1
    assert _db.session.get(Farm, spare.id) is None
    kept = _db.session.get(Farm, delivered.id)
    assert kept.name == f"Parcela {delivered.id}" and kept.polygon_geojson == SQUARE
    assert _db.session.scalar(select(func.count(FieldEvidence.id))) == 0
    assert not photo.exists()
    assert _db.session.get(Loan, loan.id).producer_id == rosa.id
    assert _db.session.scalar(select(func.count(Delivery.id))) == 1
    assert _db.session.scalar(select(func.count(Notification.id))) == 0
    assert not _db.session.scalar(select(Consent.granted).where(Consent.producer_id == rosa.id))
    removed = {line["item"]: line["count"] for line in receipt["removed"]}
    kept_items = {line["item"]: line["count"] for line in receipt["anonymised"]}
    assert removed["farms"] == 1 and removed["field_evidence"] == 1 and removed["account"] == 1
    assert kept_items["farms_traceability"] == 1 and kept_items["loans"] == 1
    assert kept_items["deliveries"] == 1
    assert request.status == "done" and request.receipt == receipt


def test_deletion_keeps_the_audit_rows_and_replaces_the_personal_values(rosa, make_user, tmp_path):
    farm = rosa.farms[0]
    producer_services.delete_farm(rosa.user, farm)
    rows_before = _db.session.scalar(select(func.count(AuditLog.id)))
    _erase(rosa, make_user, tmp_path)
    deleted = _db.session.scalar(select(AuditLog).where(AuditLog.action == "farm.deleted"))
    assert deleted.detail["name"] == erasure.ANONYMISED
    assert deleted.detail["producer"] == rosa.id
    # the rows stay; the request and the deletion add theirs
    assert _db.session.scalar(select(func.count(AuditLog.id))) == rows_before + 2


def test_carrying_out_a_deletion_twice_changes_nothing_the_second_time(rosa, make_user, tmp_path):
    request, receipt = _erase(rosa, make_user, tmp_path)
    entries = _db.session.scalar(select(func.count(AuditLog.id)))
    again = erasure.carry_out(make_user("admin"), request, tmp_path)
    assert again == receipt
    assert _db.session.scalar(select(func.count(AuditLog.id))) == entries


def test_an_erased_producer_is_out_of_the_matching_and_her_cooperative_list(
    db, make_group, make_user, tmp_path
):
    group = make_group(6)
    erased = group[0]
    tech = make_user("technician")
    for producer in group:
        producer.cooperative_id = tech.organization_id
    db.session.commit()
    request = services.file_request(tech, erased, "deletion", "")
    erasure.carry_out(make_user("admin"), request, tmp_path)
    run_matching()
    assert erased.id not in set(db.session.scalars(select(Assessment.producer_id)))
    listed = producer_services.cooperative_producers(tech.organization_id).items
    assert erased.id not in {p.id for p in listed}
    with pytest.raises(DomainError, match="suprimidos"):
        services.file_request(tech, erased, "rectification", "algo")
