"""The demo world shows a plot dispute at each step of the four-eyes review."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.demo import disputes as demo_disputes
from marketplace.extensions import db
from marketplace.forest import overlaps
from marketplace.models import Farm, ForestDispute, User
from marketplace.traceability import evidence
from marketplace.traceability.permissions import can_verify_plot
from tests.integration.test_demo_data import build


@pytest.mark.parametrize("per_read", [demo_disputes.CANDIDATES_PER_READ, 1])
def test_the_demo_has_a_dispute_decided_one_proposed_and_one_open(runner, monkeypatch, per_read):
    monkeypatch.setattr(demo_disputes, "CANDIDATES_PER_READ", per_read)  # 1: read after read
    output = build(runner)
    assert "plot disputes: 3 (confirmed, proposed, open)" in output
    found = list(db.session.scalars(select(ForestDispute).order_by(ForestDispute.id)))
    assert [d.status for d in found] == ["upheld", "proposed", "open"]
    admin = db.session.scalar(select(User).where(User.email == "admin@minka.demo"))
    decided = found[0]
    farm = db.session.get(Farm, decided.farm_id)
    assert decided.proposed_by_id == admin.id
    assert can_verify_plot(decided.confirmed_by, farm)  # a buyer holding a pledge from it
    assert decided.confirmed_by.role == "buyer"
    assert farm.risk_assessment_id == decided.outcome_assessment_id
    assert farm.risk_status in ("verified", "free")
    assert all(d.evidence and d.evidence[0].position_source == "device" for d in found)
    assert all(d.opened_by.role == "technician" for d in found)
    assert not overlaps.open_pairs(d.farm_id for d in found)  # an overlap takes an outline
    far = found[2].evidence[1]
    assert evidence.is_far(far, db.session.get(Farm, found[2].farm_id))
