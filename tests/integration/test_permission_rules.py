"""Each feature's permissions predicates, called directly: every rule x every kind of user ->
allowed or not. The pages' statuses are in test_permissions; this is the rules themselves."""

from __future__ import annotations

import secrets

import pytest

from marketplace.admin import permissions as admin
from marketplace.catalog import permissions as catalog
from marketplace.centers import permissions as centers
from marketplace.commitments import permissions as commitments
from marketplace.credit import permissions as credit
from marketplace.credit import review as credit_review
from marketplace.extensions import db
from marketplace.models import Loan, MatchingRun, Pledge, Producer, User
from marketplace.models.traceability import Lot
from marketplace.orders import permissions as orders
from marketplace.orders import services as order_services
from marketplace.orders.states import Side
from marketplace.payments import permissions as payments
from marketplace.producers import permissions as producers
from marketplace.traceability import permissions as traceability


@pytest.fixture
def world(
    make_org,
    make_user,
    make_producer,
    make_farm,
    make_center,
    make_commitment,
    make_listing,
    make_credit_product,
    make_match,
):
    """One of each record with an owner, and a user of every kind around them: the producer
    who owns them, their cooperative's technician, the buyer holding their pledge, the
    supplier they ordered from, the lender reviewing a group, and outsiders of each role."""
    coop = make_org("cooperative")
    owner = make_user("producer")
    producer = make_producer(user_id=owner.id, cooperative_id=coop.id)
    farm = make_farm(producer)
    technician = make_user("technician", organization=coop)
    center = make_center(coop)
    buyer = make_user("buyer")
    commitment = make_commitment(
        buyer.organization, created_by=buyer, collection_center_id=center.id
    )
    pledge = Pledge(
        commitment_id=commitment.id,
        farm_id=farm.id,
        producer_id=producer.id,
        pledged_by_id=owner.id,
        kg=500,
    )
    lot = Lot(
        code="LOT-PE-RULES",
        commitment_id=commitment.id,
        collection_center_id=center.id,
        created_by_id=technician.id,
    )
    db.session.add_all([pledge, lot])
    db.session.commit()
    supplier = make_user("supplier")
    listing = make_listing(supplier.organization)
    order = order_services.place_order(
        owner,
        producer,
        listing.id,
        1,
        "collection_center",
        center.id,
        None,
        "",
        secrets.token_urlsafe(24),
    )
    product = make_credit_product()
    lender = make_user("lender", organization=product.organization)
    run = MatchingRun(status="succeeded", progress=1.0, backend="cli")
    db.session.add(run)
    db.session.commit()
    match = make_match(n=2, product=product, run=run)
    loan = Loan(
        producer_id=match.cluster.members[0].producer_id,
        lender_id=product.organization_id,
        credit_product_id=product.id,
        match_id=match.id,
        amount_minor=300_000,
        currency="PEN",
        annual_rate_bp=2800,
        total_cost_bp=3100,
        term_months=12,
        approved_by_id=lender.id,
    )
    db.session.add(loan)
    db.session.commit()
    users = {
        "owner": owner,
        "other_producer": make_user("producer"),
        "technician": technician,
        "other_technician": make_user("technician"),
        "supplier": supplier,
        "other_supplier": make_user("supplier"),
        "buyer": buyer,
        "other_buyer": make_user("buyer"),
        "lender": lender,
        "other_lender": make_user("lender"),
        "unverified_lender": make_user("lender", organization=make_org("lender", verified=False)),
        "admin": make_user("admin"),
    }
    return {
        "users": users,
        "producer": producer,
        "farm": farm,
        "center": center,
        "commitment": commitment,
        "pledge": pledge,
        "lot": lot,
        "listing": listing,
        "order": order,
        "seller": supplier.organization,
        "product": product,
        "match": match,
        "loan": loan,
        "owner_account": owner,
    }


# rule -> (the predicate, the record it is asked about, who may)
RULES = {
    "producers.can_view": (producers.can_view, "producer", {"owner", "technician"}),
    "producers.can_edit": (producers.can_edit, "producer", {"owner", "technician"}),
    "catalog.can_edit": (catalog.can_edit, "listing", {"supplier"}),
    "orders.can_view": (orders.can_view, "order", {"owner", "technician", "supplier"}),
    "centers.can_manage": (centers.can_manage, "center", {"technician", "admin"}),
    "commitments.can_manage": (commitments.can_manage, "commitment", {"buyer"}),
    "commitments.can_withdraw": (commitments.can_withdraw, "pledge", {"owner", "technician"}),
    "credit.can_manage": (credit.can_manage, "product", {"lender"}),
    "credit.can_decide": (credit.can_decide, "match", {"lender"}),
    "credit.review.can_review": (credit_review.can_review, "match", {"lender"}),
    "credit.can_manage_loan": (credit.can_manage_loan, "loan", {"lender"}),
    "traceability.can_view_plot": (
        traceability.can_view_plot,
        "farm",
        {"owner", "technician", "buyer", "admin"},
    ),
    "traceability.can_edit_plot": (traceability.can_edit_plot, "farm", {"owner", "technician"}),
    "traceability.can_record_evidence": (
        traceability.can_record_evidence,
        "farm",
        {"technician"},
    ),
    "traceability.can_verify_plot": (traceability.can_verify_plot, "farm", {"buyer", "admin"}),
    "traceability.can_manage_deliveries": (
        traceability.can_manage_deliveries,
        "center",
        {"technician", "admin"},
    ),
    "traceability.can_manage_lot": (traceability.can_manage_lot, "lot", {"technician", "admin"}),
    "traceability.can_trace": (traceability.can_trace, "commitment", {"buyer"}),
    "traceability.can_trace_lot": (traceability.can_trace_lot, "lot", {"buyer"}),
    "payments.can_pay": (payments.can_pay, "order", {"owner"}),
    "payments.can_manage_account": (payments.can_manage_account, "seller", {"supplier"}),
    "admin.can_deactivate": (admin.can_deactivate, "owner_account", {"admin"}),
}


@pytest.mark.parametrize("rule", RULES)
def test_who_may(world, rule):
    allows, record, expected = RULES[rule]
    allowed = {role for role, user in world["users"].items() if allows(user, world[record])}
    assert allowed == expected


def test_only_admins_are_admins(world):
    assert {role for role, user in world["users"].items() if admin.is_admin(user)} == {"admin"}


def test_only_verified_lenders_review(world):
    reviewing = {role for role, user in world["users"].items() if credit.reviewing_org(user)}
    assert reviewing == {"lender", "other_lender"}


def test_an_order_has_two_sides_and_a_technician_acts_on_the_producers(world):
    sides = {role: orders.side_of(user, world["order"]) for role, user in world["users"].items()}
    assert {role: side for role, side in sides.items() if side is not None} == {
        "owner": Side.PRODUCER,
        "technician": Side.PRODUCER,
        "supplier": Side.SUPPLIER,
    }


def test_a_deleted_listing_is_nobodys_to_edit(world):
    listing = world["listing"]
    listing.status = "deleted"
    assert not catalog.can_edit(world["users"]["supplier"], listing)


def test_a_group_the_list_no_longer_shows_is_not_reviewed(world):
    match = world["match"]
    match.status = "superseded"
    db.session.commit()
    lender = world["users"]["lender"]
    assert credit.can_decide(lender, match)  # still the lender's group ...
    assert not credit_review.can_review(lender, match)  # ... but no longer on its list


def test_a_withdrawn_pledge_no_longer_shows_the_buyer_the_plot(world):
    world["pledge"].status = "withdrawn"
    db.session.commit()
    buyer = world["users"]["buyer"]
    assert not traceability.can_view_plot(buyer, world["farm"])
    assert not traceability.can_verify_plot(buyer, world["farm"])


def test_an_admin_does_not_deactivate_themself(world):
    admin_user = world["users"]["admin"]
    assert not admin.can_deactivate(admin_user, admin_user)


def test_a_cooperative_takes_no_card_payments(world):
    technician = world["users"]["technician"]
    assert not payments.can_manage_account(technician, technician.organization)


def test_a_producer_without_an_account_is_nobodys_own(world):
    nobody = Producer(first_name="Sin", last_name="Cuenta", country="PE", user_id=None)
    unsaved = User(name="Nueva", role="producer")  # no id yet
    assert not producers.can_view(unsaved, nobody)
