"""A run checks each member under her group's product: pledges as collateral under an offtake
product, the exclusion's reason stored, proposed nothing on the lender's page, counted on the
run page and told to the producer."""

from __future__ import annotations

import math

import pytest
from sqlalchemy import select

from marketplace.credit import frames, loan_terms, proposals
from marketplace.extensions import db
from marketplace.models import Assessment, Cluster, Match
from tests.conftest import run_matching, signed_in_client
from tests.integration.deliveries import pledge


def _offtake_world(make_group, make_credit_product, make_commitment, make_org, small_kg):
    """Six cacao producers near Tarapoto under an offtake product; five pledge 1,000 kg at
    S/ 9.50 (S/ 9,500: more than their harvest instalments), the sixth `small_kg`."""
    producers = make_group(6)
    product = make_credit_product(requires_offtake=True)
    buyer = make_org("buyer")
    commitment = make_commitment(buyer, volume_kg=20_000, max_kg_per_producer=5_000)
    for i, producer in enumerate(producers):
        pledge(commitment, producer.farms[0], 1_000 if i < 5 else small_kg)
    return producers, product


def test_a_member_whose_pledge_does_not_cover_is_left_out_with_the_reason(
    app, make_group, make_credit_product, make_commitment, make_org, make_user, login
):
    producers, product = _offtake_world(
        make_group, make_credit_product, make_commitment, make_org, small_kg=10
    )
    run = run_matching()
    assert run.status == "succeeded", run.error
    match = db.session.scalar(select(Match).where(Match.run_id == run.id, Match.rank == 0))
    assert match is not None and match.credit_product_id == product.id
    rows = {
        a.producer_id: a
        for a in db.session.scalars(select(Assessment).where(Assessment.run_id == run.id))
    }
    short = rows[producers[5].id]
    assert short.eligible and "pledge_short" in short.reasons
    assert all(not rows[p.id].reasons for p in producers[:5])
    # the match's amount is what the five covered members are financed
    assert match.amount_minor == sum(rows[p.id].requested_minor for p in producers[:5])
    # the lender is proposed nothing for her, with the reason
    proposed = proposals.for_match(match)
    assert not proposed[producers[5].id].proposable
    assert proposed[producers[5].id].reasons == ("pledge_short",)
    assert all(proposed[p.id].proposable for p in producers[:5])
    lender = signed_in_client(app, make_user("lender", organization=product.organization))
    group_page = lender.get(f"/credito/grupos/{match.id}").get_data(as_text=True)
    assert "Lo comprometido con compradores no cubre las cuotas de cosecha" in group_page
    # the run's figures and page count her
    figures = run.metrics["countries"]["PE"]["repayment"]
    assert figures["excluded"]["pledge_short"] == 1
    admin = login(make_user("admin"))
    page = admin.get(f"/admin/emparejamiento/corridas/{run.id}").get_data(as_text=True)
    assert "Lo comprometido con compradores no cubre las cuotas de cosecha: 1" in page
    # and she is told, with the way to pledge more
    user = make_user("producer")
    producers[5].user_id = user.id
    db.session.commit()
    mine = signed_in_client(app, user).get("/mi-credito").get_data(as_text=True)
    assert "Pero no entró en el crédito de su grupo" in mine
    assert "Comprometa más volumen con un comprador" in mine


def test_a_group_with_too_few_covering_pledges_gets_no_offtake_product(
    app, make_group, make_credit_product, make_commitment, make_org
):
    producers = make_group(6)
    make_credit_product(requires_offtake=True)
    commitment = make_commitment(make_org("buyer"), volume_kg=20_000, max_kg_per_producer=5_000)
    # one pledging member of six: the run's minimum of five is not met
    pledge(commitment, producers[0].farms[0], 5_000)
    run = run_matching()
    assert run.status == "succeeded", run.error
    (cluster,) = db.session.scalars(select(Cluster).where(Cluster.run_id == run.id))
    assert cluster.size == 6  # the group exists; no offtake product takes it
    assert db.session.scalar(select(Match).where(Match.run_id == run.id)) is None


def test_under_an_alternative_product_her_capacity_follows_its_schedule(
    make_match, make_credit_product
):
    """A monthly alternative: each instalment at most 30 % of the month's income, so her
    capacity is what her off-harvest months carry, worked out here by hand."""
    monthly = make_credit_product(repayment="monthly", grace_months=0, max_amount_minor=800_000)
    match = make_match(n=1, product=monthly, rank=1)
    (proposal,) = proposals.for_match(match).values()
    income = 2_800 * 1_000  # 2,800 kg at S/ 10.00
    schedule = loan_terms.schedule_for(monthly, 10**9, "cacao")
    largest = max(p.amount_minor for p in schedule.payments) / 10**9
    # the off-harvest month: a fifth of the year's income spread over twelve months
    expected = math.floor(income * 0.2 / 12 * 0.3 / largest)
    assert proposal.affordable_minor == pytest.approx(expected, abs=1)
    # S/ 1,4xx: under the product's S/ 2,000 minimum, so nothing is proposed under it
    assert proposal.reasons == ("affordability", "below_minimum") and not proposal.proposable


@pytest.mark.parametrize("named", [frames.NAMED_FARMS, 2])
def test_pledges_are_valued_at_their_commitments_prices(
    make_group, make_commitment, make_org, make_producer, make_farm, monkeypatch, named
):
    """Fixed price: kg x the price; a premium over a reference: kg x (farm-gate + premium);
    another currency: kg x the farm-gate price (S/ 10.00 a kg of cacao in Peru). Also when
    the country has more farms than a statement may name (a million producers): then they
    are read through their country, and a Colombian farm's pledge does not count."""
    monkeypatch.setattr(frames, "NAMED_FARMS", named)
    (a, b, c) = make_group(3)
    buyer = make_org("buyer")
    fixed = make_commitment(buyer)  # S/ 9.50 a kg
    premium = make_commitment(
        buyer, price_type="premium", price_minor_per_kg=None, premium_minor_per_kg=120
    )
    dollars = make_commitment(buyer, currency="USD", price_minor_per_kg=300)
    pledge(fixed, a.farms[0], 1_000)
    pledge(premium, b.farms[0], 1_000)
    pledge(dollars, c.farms[0], 500)
    pledge(fixed, c.farms[0], 100)
    abroad = make_farm(make_producer(country="CO"), country="CO", region="Cauca")
    pledge(fixed, abroad, 700)
    frame = frames.producer_frame("PE").set_index("producer_id")
    assert frame.loc[a.id, "pledged_value_minor"] == 1_000 * 950
    assert frame.loc[b.id, "pledged_value_minor"] == 1_000 * (1_000 + 120)
    assert frame.loc[c.id, "pledged_value_minor"] == 500 * 1_000 + 100 * 950
