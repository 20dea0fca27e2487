"""Matching runs from the database: the library's inputs, stored results, one run at a time."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.credit import runs
from marketplace.credit.frames import producer_frame
from marketplace.errors import DomainError
from marketplace.extensions import db
from marketplace.models import Assessment, Cluster, Match, MatchingRun, RunStatus
from matching.types import SUBSISTENCE
from tests.conftest import run_matching


def test_a_group_near_a_product_is_matched(app, make_group, make_credit_product):
    producers = make_group(6)
    product = make_credit_product()
    run = run_matching()
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.progress == 1.0 and run.active_slot is None
    cluster = db.session.scalars(db.select(Cluster).where(Cluster.run_id == run.id)).one()
    assert cluster.size == 6 and cluster.value_chain == "cacao" and cluster.currency == "PEN"
    assert {m.producer_id for m in cluster.members} == {p.id for p in producers}
    match = db.session.scalars(db.select(Match).where(Match.rank == 0)).one()
    assert match.credit_product_id == product.id and match.lender_id == product.organization_id
    assert match.status == "proposed" and match.amount_minor > 0
    assert run.metrics["matched_groups"] == 1 and run.metrics["match_rate"] == 1.0
    assert run.metrics["match_rate_by_gender"]["female"] == {"rate": 1.0, "n": 6}


def test_two_cooperatives_in_one_village_make_two_groups(app, make_group, make_org):
    first, second = make_org("cooperative"), make_org("cooperative")
    village = make_group(12)
    for i, producer in enumerate(village):  # neighbours alternate between the two
        producer.cooperative_id = (first if i % 2 else second).id
    db.session.commit()
    assert set(producer_frame("PE")["cooperative_id"]) == {first.id, second.id}
    run = run_matching()
    clusters = db.session.scalars(select(Cluster).where(Cluster.run_id == run.id)).all()
    assert sorted(c.cooperative_id for c in clusters) == sorted([first.id, second.id])
    for cluster in clusters:
        members = {a.producer_id for a in cluster.members}
        expected = {p.id for p in village if p.cooperative_id == cluster.cooperative_id}
        assert members == expected and cluster.archetype


def test_every_producer_is_assessed_with_reasons(app, make_group, make_producer, make_farm):
    make_group(5)
    small = make_producer()
    make_farm(small, productive_ha=1.5, total_ha=2.0, forest_ha=0.2)
    run = run_matching()
    rows = db.session.scalars(db.select(Assessment).where(Assessment.run_id == run.id)).all()
    assert len(rows) == 6
    mine = runs.latest_assessment(small.id)
    assert not mine.eligible
    assert mine.reasons == ["area_below_minimum", "no_consent"]
    assert mine.archetype == SUBSISTENCE
    assert mine.explanation and all(sign in "+-" for _, sign in mine.explanation)


def test_a_producers_largest_farm_counts(app, make_producer, make_farm):
    producer = make_producer()
    make_farm(producer, productive_ha=1.0, total_ha=1.0, forest_ha=0.0, value_chain="cafe")
    big = make_farm(producer, productive_ha=5.0, total_ha=7.0)
    frame = producer_frame("PE")
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["farm_id"] == big.id and row["productive_ha"] == 5.0
    assert row["value_chain"] == "cacao" and bool(row["certified"]) and not row["consent_lenders"]


def test_runs_never_overlap(app):
    first = runs.start_run(None, backend="cli")
    with pytest.raises(DomainError, match="corrida en curso"):
        runs.start_run(None, backend="cli")
    runs.execute(first.id)
    second = runs.start_run(None, backend="cli")
    assert second.id != first.id


def test_a_run_silent_for_long_is_given_up(app):
    stuck = runs.start_run(None, backend="cli")
    stuck.heartbeat_at = stuck.heartbeat_at - runs.STALE_AFTER * 2
    db.session.commit()
    fresh = runs.start_run(None, backend="cli")
    db.session.refresh(stuck)
    assert stuck.status == RunStatus.FAILED and "interrupted" in stuck.error
    assert fresh.status == RunStatus.QUEUED


def test_a_failed_run_keeps_the_previous_results(app, make_group, make_credit_product, monkeypatch):
    make_group(6)
    make_credit_product()
    good = run_matching()

    def broken(*args, **kwargs):
        raise RuntimeError("solver exploded")

    monkeypatch.setattr("matching.pipeline.run", broken)
    bad = run_matching()
    assert bad.status == RunStatus.FAILED and "solver exploded" in bad.error
    assert bad.active_slot is None
    assert runs.latest_run().id == good.id
    assert db.session.scalar(db.select(db.func.count(Cluster.id))) == 1
    assert db.session.scalars(db.select(Match.status)).all() == ["proposed"]


def test_a_new_run_supersedes_undecided_matches(app, make_group, make_credit_product):
    make_group(6)
    make_credit_product()
    run_matching()
    run_matching()
    statuses = sorted(db.session.scalars(db.select(Match.status)))
    assert statuses == ["proposed", "superseded"]


def test_archetype_names_carry_over_between_runs(app, make_group, make_credit_product):
    make_group(12)
    first = run_matching()
    second = run_matching()
    assert second.state["PE"] == first.state["PE"]


def test_the_thread_backend_runs_in_the_background(app, make_group, make_credit_product):
    make_group(6)
    make_credit_product()
    run = runs.start_run(None, backend="thread")
    thread = next(t for t in __import__("threading").enumerate() if t.name.endswith(str(run.id)))
    thread.join(timeout=120)
    db.session.expire_all()
    finished = db.session.get(MatchingRun, run.id)
    assert finished.status == RunStatus.SUCCEEDED, finished.error
    assert finished.metrics["matched_groups"] == 1


def test_a_producer_who_joins_after_a_run_gets_an_archetype(
    app, make_group, make_producer, make_farm
):
    members = make_group(12)
    run_matching()
    assert runs.archetype_of(members[0].id) == runs.latest_assessment(members[0].id).archetype
    newcomer = make_producer()
    assert runs.archetype_of(newcomer.id) is None  # no farm yet
    make_farm(newcomer, productive_ha=1.0, total_ha=1.5, forest_ha=0.0)
    assert runs.latest_assessment(newcomer.id) is None
    assert runs.archetype_of(newcomer.id) == SUBSISTENCE
    make_farm(newcomer, productive_ha=4.0, lat=-7.19, lon=-76.74)
    named = {m.archetype for m in db.session.scalars(db.select(Assessment))}
    assert runs.archetype_of(newcomer.id) in named


def test_old_assessments_are_pruned_but_decided_groups_keep_their_members(
    app, make_group, make_credit_product, monkeypatch
):
    monkeypatch.setattr(runs, "KEEP_ASSESSMENTS_RUNS", 2)
    make_group(6)
    make_credit_product()
    first = run_matching()
    match = db.session.scalars(db.select(Match).where(Match.run_id == first.id)).one()
    match.status = "approved"
    db.session.commit()
    for _ in range(3):
        last = run_matching()
    per_run = dict(
        db.session.execute(
            db.select(Assessment.run_id, db.func.count()).group_by(Assessment.run_id)
        ).all()
    )
    assert per_run == {first.id: 6, last.id - 1: 6, last.id: 6}
