"""Everything Minka holds about one producer, as plain data: the access right's answer.

`collect(producer)` returns a JSON-ready dict with one section per kind of record. Rows are
written column by column, so a column added to a model appears in the copy without anyone
remembering to add it; `COVERAGE` says, for every column that points to a producer, a user or
a farm, which section carries those rows or why they are not about her (a test walks the
metadata and fails on a column missing here).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect, or_, select

from marketplace.extensions import db
from marketplace.models import (
    Assessment,
    AuditLog,
    Cluster,
    Consent,
    DataRequest,
    Delivery,
    FieldEvidence,
    ForestAssessment,
    ForestDispute,
    Loan,
    LoanInstalment,
    Notification,
    Objection,
    OneTimeCode,
    Order,
    OrderPayment,
    OrderRefund,
    OutboundMessage,
    Pledge,
    PlotOverlap,
    Producer,
    Repayment,
    TenureDocument,
)
from marketplace.models.base import utcnow
from marketplace.sms import outbox, texts

#: Never copied out: secrets that protect the account, not facts about the person.
SECRET_COLUMNS = frozenset({"password_hash", "session_version", "idempotency_key", "code_hash"})

STAFF = "staff"  # the column names who acted (a lender, a technician, an admin)
NOT_HERS = "not_hers"  # rows about organizations or the platform, never about a producer

#: (table, column) -> the section that exports the rows, or why none is needed.
COVERAGE: dict[tuple[str, str], str] = {
    ("producer", "user_id"): "account",
    ("producer", "registered_by_id"): STAFF,
    ("sync_receipt", "user_id"): STAFF,  # the technician whose phone sent an entry
    ("farm", "producer_id"): "farms",
    ("farm", "risk_verified_by_id"): STAFF,
    ("consent", "producer_id"): "consents",
    ("consent", "changed_by_id"): STAFF,
    ("objection", "producer_id"): "objections",
    ("objection", "changed_by_id"): STAFF,
    ("data_request", "producer_id"): "data_requests",
    ("data_request", "filed_by_id"): STAFF,
    ("data_request", "resolved_by_id"): STAFF,
    ("order", "producer_id"): "orders",
    ("order", "placed_by_id"): STAFF,
    ("order", "farm_id"): "orders",
    ("order_payment", "created_by_id"): "order_payments",  # she records her transfers
    ("order_refund", "created_by_id"): STAFF,
    ("pledge", "producer_id"): "pledges",
    ("pledge", "farm_id"): "pledges",
    ("pledge", "pledged_by_id"): STAFF,
    ("delivery", "producer_id"): "deliveries",
    ("delivery", "farm_id"): "deliveries",
    ("delivery", "recorded_by_id"): STAFF,
    ("loan", "producer_id"): "loans",
    ("loan", "approved_by_id"): STAFF,
    ("loan", "accepted_by_id"): STAFF,
    ("repayment", "recorded_by_id"): STAFF,
    ("assessment", "producer_id"): "credit_assessments",
    ("assessment", "farm_id"): "credit_assessments",
    ("field_evidence", "farm_id"): "field_evidence",
    ("field_evidence", "recorded_by_id"): STAFF,
    ("tenure_document", "farm_id"): "tenure_documents",
    ("tenure_document", "uploaded_by_id"): "tenure_documents",  # she may upload her own
    ("tenure_document", "reviewed_by_id"): STAFF,
    ("forest_assessment", "farm_id"): "forest_assessments",
    ("forest_dispute", "farm_id"): "forest_disputes",
    ("forest_dispute", "opened_by_id"): STAFF,
    ("forest_dispute", "proposed_by_id"): STAFF,
    ("forest_dispute", "returned_by_id"): STAFF,
    ("forest_dispute", "confirmed_by_id"): STAFF,
    ("lot_review", "farm_id"): NOT_HERS,  # a buyer's flag on a lot; her delivery is exported
    ("plot_overlap", "farm_a_id"): "plot_overlaps",
    ("plot_overlap", "farm_b_id"): "plot_overlaps",
    ("notification", "user_id"): "notifications",
    ("outbound_message", "producer_id"): "text_messages",
    ("outbound_message", "user_id"): "text_messages",
    ("one_time_code", "producer_id"): "one_time_codes",  # when and how tried, never the code
    ("one_time_code", "user_id"): "one_time_codes",
    ("audit_log", "actor_id"): "audit_log",
    ("purchase_commitment", "created_by_id"): NOT_HERS,
    ("match", "decided_by_id"): STAFF,
    ("matching_run", "started_by_id"): STAFF,
    ("harvest_calendar", "updated_by_id"): STAFF,
    ("platform_setting", "updated_by_id"): STAFF,
    ("forest_layer", "imported_by_id"): STAFF,
    ("lot", "created_by_id"): STAFF,
    ("shipment", "filed_by_id"): STAFF,
    ("shipment", "created_by_id"): STAFF,
    ("shipment_lot", "added_by_id"): STAFF,
    ("shipment_statement", "filed_by_id"): STAFF,
}

#: Tables whose rows point to a producer, a user or a farm (what COVERAGE must describe).
PERSONAL_TARGETS = frozenset({"producer", "user", "farm"})


def jsonable(value: Any) -> Any:
    """A column value as JSON writes it: dates and times in ISO 8601."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def row(record: Any) -> dict[str, Any]:
    """Every column of a record, by name, except the secrets."""
    return {
        attribute.key: jsonable(getattr(record, attribute.key))
        for attribute in inspect(record).mapper.column_attrs
        if attribute.key not in SECRET_COLUMNS
    }


def _rows(query) -> list[dict[str, Any]]:
    return [row(record) for record in db.session.scalars(query)]


def _hers(model, producer: Producer):
    """Rows of `model` naming her record or her account."""
    mine = model.producer_id == producer.id
    return or_(mine, model.user_id == producer.user_id) if producer.user_id else mine


def _text_messages(producer: Producer) -> list[dict[str, Any]]:
    """The SMS and WhatsApp messages to her, a one-time code's text shown without the code."""
    query = select(OutboundMessage).where(_hers(OutboundMessage, producer))
    rows = _rows(query.order_by(OutboundMessage.id))
    for message in rows:
        if message["kind"] in texts.CODE_KINDS:
            message["body"] = outbox.REDACTED
    return rows


def _assessments(producer: Producer) -> list[dict[str, Any]]:
    """Her results in the matching runs, with the group (cluster) she was placed in."""
    pairs = db.session.execute(
        select(Assessment, Cluster.code)
        .outerjoin(Cluster, Cluster.id == Assessment.cluster_id)
        .where(Assessment.producer_id == producer.id)
        .order_by(Assessment.run_id)
    ).all()
    return [row(assessment) | {"cluster_code": code} for assessment, code in pairs]


def audit_entries(producer: Producer, farm_ids: list[int], consent_ids: list[int]):
    """The audit entries about her: on her records, naming her, or done by her account."""
    about = [
        (AuditLog.entity_type == "producer") & (AuditLog.entity_id == producer.id),
        AuditLog.detail["producer"].as_integer() == producer.id,
    ]
    if farm_ids:
        about.append((AuditLog.entity_type == "farm") & AuditLog.entity_id.in_(farm_ids))
    if consent_ids:
        about.append((AuditLog.entity_type == "consent") & AuditLog.entity_id.in_(consent_ids))
    if producer.user_id is not None:
        about.append(AuditLog.actor_id == producer.user_id)
        about.append((AuditLog.entity_type == "user") & (AuditLog.entity_id == producer.user_id))
    return select(AuditLog).where(or_(*about)).order_by(AuditLog.at, AuditLog.id)


def collect(producer: Producer) -> dict[str, Any]:
    """Everything Minka holds about the producer, section by section."""
    farm_ids = [farm.id for farm in producer.farms]
    consents = list(db.session.scalars(select(Consent).where(Consent.producer_id == producer.id)))
    loans = list(
        db.session.scalars(select(Loan).where(Loan.producer_id == producer.id).order_by(Loan.id))
    )
    loan_ids = [loan.id for loan in loans]
    order_ids = select(Order.id).where(Order.producer_id == producer.id).scalar_subquery()
    user = producer.user
    return {
        "generated_at": jsonable(utcnow()),
        "producer": row(producer),
        "account": row(user) if user is not None else None,
        "farms": [row(farm) for farm in producer.farms],
        "field_evidence": _rows(
            select(FieldEvidence)
            .where(FieldEvidence.farm_id.in_(farm_ids))
            .order_by(FieldEvidence.id)
        ),
        "tenure_documents": _rows(
            select(TenureDocument)
            .where(TenureDocument.farm_id.in_(farm_ids))
            .order_by(TenureDocument.id)
        ),
        "forest_assessments": _rows(
            select(ForestAssessment)
            .where(ForestAssessment.farm_id.in_(farm_ids))
            .order_by(ForestAssessment.id)
        ),
        "forest_disputes": _rows(
            select(ForestDispute)
            .where(ForestDispute.farm_id.in_(farm_ids))
            .order_by(ForestDispute.id)
        ),
        "plot_overlaps": _rows(
            select(PlotOverlap)
            .where(or_(PlotOverlap.farm_a_id.in_(farm_ids), PlotOverlap.farm_b_id.in_(farm_ids)))
            .order_by(PlotOverlap.id)
        ),
        "consents": [row(consent) for consent in consents],
        "objections": _rows(select(Objection).where(Objection.producer_id == producer.id)),
        "orders": _rows(select(Order).where(Order.producer_id == producer.id).order_by(Order.id)),
        "order_payments": _rows(
            select(OrderPayment)
            .where(OrderPayment.order_id.in_(order_ids))
            .order_by(OrderPayment.id)
        ),
        "order_refunds": _rows(
            select(OrderRefund).where(OrderRefund.order_id.in_(order_ids)).order_by(OrderRefund.id)
        ),
        "pledges": _rows(
            select(Pledge).where(Pledge.producer_id == producer.id).order_by(Pledge.id)
        ),
        "deliveries": _rows(
            select(Delivery).where(Delivery.producer_id == producer.id).order_by(Delivery.id)
        ),
        "loans": [row(loan) for loan in loans],
        "loan_instalments": _rows(
            select(LoanInstalment)
            .where(LoanInstalment.loan_id.in_(loan_ids))
            .order_by(LoanInstalment.loan_id, LoanInstalment.number)
        ),
        "repayments": _rows(
            select(Repayment).where(Repayment.loan_id.in_(loan_ids)).order_by(Repayment.id)
        ),
        "credit_assessments": _assessments(producer),
        "notifications": _rows(
            select(Notification)
            .where(Notification.user_id == producer.user_id)
            .order_by(Notification.id)
        )
        if producer.user_id is not None
        else [],
        "text_messages": _text_messages(producer),
        "one_time_codes": _rows(
            select(OneTimeCode).where(_hers(OneTimeCode, producer)).order_by(OneTimeCode.id)
        ),
        "data_requests": _rows(
            select(DataRequest)
            .where(DataRequest.producer_id == producer.id)
            .order_by(DataRequest.id)
        ),
        "audit_log": _rows(audit_entries(producer, farm_ids, [c.id for c in consents])),
    }
