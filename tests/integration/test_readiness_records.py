"""What the readiness model learns from, as the application records it: the factors at
grant kept on each approved loan, campaigns and snapshots in the outcome table, tenure
documents that count as secure (declared and accepted), and the funnel's stages after the
matching."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from marketplace.credit import decisions
from marketplace.credit.frames import loan_stages, outcome_frame, producer_frame
from marketplace.errors import InvalidInput
from marketplace.extensions import db
from marketplace.models import Farm, Loan, Tenure, TenureDocument
from marketplace.models.producers import SECURE_TENURE, TENURE_BY_COUNTRY, secure_tenure
from marketplace.producers import services
from tests.integration.test_producers import farm_data


def accepted_document(farm: Farm, reviewer) -> TenureDocument:
    """An accepted tenure document proving the farm's declared tenure (the file is beside
    the point here: tests/integration/test_tenure_documents.py uploads real ones)."""
    doc = TenureDocument(
        farm_id=farm.id, kind="pe_title", tenure=farm.tenure, number="11023456",
        authority="SUNARP", issued_on=date(2015, 1, 1), holder_name="Rosa Quispe",
        file_path="uploads/tenure/x.pdf", status="accepted", uploaded_by_id=reviewer.id,
        reviewed_by_id=reviewer.id,
    )  # fmt: skip
    db.session.add(doc)
    db.session.commit()
    return doc


@pytest.mark.parametrize(
    ("kind", "secure"),
    [
        ("title", True),
        ("parcel_certificate", True),  # MX ejido: certificado parcelario
        ("agrarian_rights", True),  # MX ejido or comunidad: certificado de derechos agrarios
        ("possession", True),  # PE: certificado de posesión
        ("tenant", False),
        ("none", False),
    ],
)
def test_tenure_kinds_that_count_as_secure(app, make_producer, make_farm, make_user, kind, secure):
    assert secure_tenure(kind) is secure
    farm = make_farm(make_producer(), tenure=kind, land_title=not secure)
    assert farm.land_title is secure  # the declared tenure follows the document's kind
    frame = producer_frame("PE", farm.producer_id)
    # the credit factor also asks for an accepted document proving it (none uploaded yet)
    assert not frame["land_title"].iloc[0] and frame["tenure"].iloc[0] == kind
    accepted_document(farm, make_user("admin"))
    frame = producer_frame("PE", farm.producer_id)
    assert bool(frame["land_title"].iloc[0]) is secure


def test_every_country_offers_its_kinds():
    assert set(TENURE_BY_COUNTRY["MX"]) >= {Tenure.PARCEL_CERTIFICATE, Tenure.AGRARIAN_RIGHTS}
    assert Tenure.POSSESSION in TENURE_BY_COUNTRY["PE"]
    assert Tenure.POSSESSION not in TENURE_BY_COUNTRY["CO"]
    assert all(Tenure.TITLE in kinds for kinds in TENURE_BY_COUNTRY.values())
    assert {"title", "parcel_certificate", "agrarian_rights", "possession"} == SECURE_TENURE


def test_a_farm_form_keeps_the_document_and_refuses_another_countrys(app, make_user):
    user = make_user("producer")
    producer = services.save_profile(
        user,
        services.ProfileData(
            first_name="Rosa", last_name="Quispe", gender="female", country="PE",
            national_id="41234567",
        ),
    )  # fmt: skip
    farm = services.save_farm(user, producer, farm_data(tenure="possession"))
    assert farm.tenure == "possession" and farm.land_title is True
    with pytest.raises(InvalidInput) as refused:
        services.save_farm(user, producer, farm_data(tenure="parcel_certificate"))
    assert "tenure" in refused.value.errors


def test_an_approved_loan_keeps_the_factors_at_grant(
    app, make_user, make_credit_product, make_match
):
    product = make_credit_product()
    user = make_user("lender", organization=product.organization)
    match = make_match(n=1, product=product)
    producer_id = match.cluster.members[0].producer_id
    farm = db.session.query(Farm).filter_by(producer_id=producer_id).first()
    farm.tenure = "title"
    accepted_document(farm, user)
    (loan,) = decisions.approve(user, match, {producer_id: 500_000})
    snapshot = loan.factors_at_grant
    assert snapshot["land_title"] is True  # declared and documented
    assert snapshot["productive_ha"] == farm.productive_ha
    assert snapshot["land_title"] == farm.land_title
    assert snapshot["value_chain"] == farm.value_chain and "pledged_kg" in snapshot
    # the producer's farm changes later; the loan remembers what the lender knew
    farm.productive_ha, farm.tenure = 0.5, "none"
    db.session.commit()
    loan.status = "repaid"
    loan.approved_at = datetime(2025, 3, 1, tzinfo=UTC)
    db.session.commit()
    outcomes = outcome_frame("PE")
    row = outcomes[outcomes["producer_id"] == producer_id].iloc[0]
    assert row["campaign"] == 2025 and bool(row["repaid"]) is True
    assert row["campaign_closed_share"] == 1.0  # its campaign's only loan has closed
    assert row["productive_ha"] == snapshot["productive_ha"] != 0.5
    assert bool(row["land_title"]) is snapshot["land_title"]


def test_loan_stages_after_the_matching(app, make_producer, make_farm, make_credit_product):
    product = make_credit_product()
    people = [make_producer() for _ in range(4)]
    for p in people:
        make_farm(p)
    # 0: repaid on time; 1: defaulted; 2: approved, not closed; 3: never borrowed
    for p, status in zip(people[:3], ("repaid", "defaulted", "approved"), strict=True):
        db.session.add(
            Loan(
                producer_id=p.id, lender_id=product.organization_id,
                credit_product_id=product.id, amount_minor=300_000, currency="PEN",
                annual_rate_bp=2_800, total_cost_bp=3_100, term_months=12, status=status,
            )
        )  # fmt: skip
    db.session.commit()
    frame = producer_frame("PE")
    frame = frame[frame["producer_id"].isin([p.id for p in people])].reset_index(drop=True)
    approved, closed, repaid = loan_stages(frame)
    order = {pid: i for i, pid in enumerate(frame["producer_id"])}
    at = [order[p.id] for p in people]
    assert approved[at].tolist() == [True, True, True, False]
    assert closed[at].tolist() == [True, True, False, False]
    assert repaid[at].tolist() == [True, False, False, False]
