"""Disputes of a plot's risk: four eyes, races, the outcome in the append-only history, how
long it holds, the immutability guards and triggers; evidence with its position."""

from __future__ import annotations

import struct
from datetime import date

import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from marketplace.errors import DomainError, InvalidInput
from marketplace.extensions import db
from marketplace.forest import layers, risk
from marketplace.models import (
    AuditLog,
    Farm,
    FieldEvidence,
    ForestAssessment,
    ForestDispute,
    ForestDisputeEvidence,
    Notification,
)
from marketplace.models.disputes import ImmutableRecord
from marketplace.producers import services as producer_services
from marketplace.traceability import disputes, evidence, exif
from tests.integration.races import THREADS, race
from tests.integration.test_forest_risk import PLOT, WEST_HALF, extent_only, write_layer

LAT, LON = -7.181, -76.731  # the middle of PLOT


def tiff_with_gps(lat: float, lon: float, day: str, error_m: float | None = None) -> bytes:
    """A little-endian EXIF block: IFD0 pointing at an Exif IFD (the date) and a GPS IFD."""

    def rationals(*values: float) -> bytes:
        return b"".join(struct.pack("<II", round(v * 10000), 10000) for v in values)

    def dms(value: float) -> bytes:
        value = abs(value)
        degrees = int(value)
        minutes = int((value - degrees) * 60)
        seconds = (value - degrees - minutes / 60) * 3600
        return rationals(degrees, minutes, seconds)

    def ifd(start: int, entries: list[tuple[int, int, int, bytes]]) -> bytes:
        data_at = start + 2 + 12 * len(entries) + 4
        head, data = struct.pack("<H", len(entries)), b""
        for tag, kind, count, raw in entries:
            if len(raw) <= 4:
                head += struct.pack("<HHI", tag, kind, count) + raw.ljust(4, b"\x00")
            else:
                head += struct.pack("<HHII", tag, kind, count, data_at + len(data))
                data += raw
        return head + struct.pack("<I", 0) + data

    exif_at = 8 + 2 + 2 * 12 + 4
    date_raw = (day + " 10:30:00").encode() + b"\x00"
    exif_ifd = ifd(exif_at, [(0x9003, 2, len(date_raw), date_raw)])
    gps_at = exif_at + len(exif_ifd)
    gps_entries = [
        (1, 2, 2, b"S\x00" if lat < 0 else b"N\x00"),
        (2, 5, 3, dms(lat)),
        (3, 2, 2, b"W\x00" if lon < 0 else b"E\x00"),
        (4, 5, 3, dms(lon)),
    ]
    if error_m is not None:
        gps_entries.append((0x1F, 5, 1, rationals(error_m)))
    gps_ifd = ifd(gps_at, gps_entries)
    ifd0 = ifd(
        8, [(0x8769, 4, 1, struct.pack("<I", exif_at)), (0x8825, 4, 1, struct.pack("<I", gps_at))]
    )
    return b"II*\x00" + struct.pack("<I", 8) + ifd0 + exif_ifd + gps_ifd


def jpeg_with_gps(lat: float, lon: float, day: str, error_m: float | None = None) -> bytes:
    body = b"Exif\x00\x00" + tiff_with_gps(lat, lon, day, error_m)
    app1 = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return b"\xff\xd8" + app1 + b"\xff\xda" + b"\x00" * 32 + b"\xff\xd9"


@pytest.fixture
def world(db, make_user, make_org, make_producer, make_farm, tmp_path):
    coop = make_org("cooperative")
    owner = make_user("producer")
    producer = make_producer(user_id=owner.id, cooperative_id=coop.id)
    farm = make_farm(producer, polygon_geojson=PLOT, cleared_after_cutoff="unknown")
    tech = make_user("technician", organization=coop)
    admins = [make_user("admin") for _ in range(3)]
    item = evidence.record_evidence(
        tech,
        farm,
        note="Cacao bajo sombra desde 2012",
        observed_on=date(2026, 3, 1),
        photo=b"",
        instance_path=tmp_path,
        position=evidence.Position(LAT, LON, 8.0),
        today=date(2026, 3, 2),
    )
    return {"farm": farm, "tech": tech, "owner": owner, "admins": admins, "evidence": item}


def at_risk(tmp_path, farm: Farm) -> Farm:
    """Import a layer with loss in 2022 on half the plot: the farm is at risk."""
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"loss_year": 2022}), *extent_only()))
    return fresh(farm.id)


def under_forest(tmp_path, farm: Farm) -> Farm:
    layers.import_layer(write_layer(tmp_path, (WEST_HALF, {"forest": True}), *extent_only()))
    return fresh(farm.id)


def fresh(farm_id: int) -> Farm:
    db.session.expire_all()
    return db.session.get(Farm, farm_id)


def opened(world, farm: Farm, **overrides) -> ForestDispute:
    values = {
        "ground": "crop_in_2020",
        "claim": "El cacao ya estaba en 2020 bajo sombra.",
        "evidence_ids": [world["evidence"].id],
    } | overrides
    return disputes.open_dispute(world["tech"], farm, **values)


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)))


def history_count(farm: Farm) -> int:
    return db.session.scalar(
        select(func.count(ForestAssessment.id)).where(ForestAssessment.farm_id == farm.id)
    )


# --- opening ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ground": "otro"}, "ground", "Elija el motivo"),
        ({"claim": "   "}, "claim", "Explique el reclamo"),
        ({"evidence_ids": []}, "evidence", "al menos una evidencia"),
        ({"evidence_ids": [999999]}, "evidence", "de esta parcela"),
    ],
)
def test_a_dispute_needs_a_ground_a_claim_and_the_plots_own_evidence(
    tmp_path, world, overrides, field, message
):
    farm = at_risk(tmp_path, world["farm"])
    with pytest.raises(InvalidInput) as caught:
        opened(world, farm, **overrides)
    assert message in caught.value.errors[field]
    assert db.session.scalar(select(func.count(ForestDispute.id))) == 0


def test_a_free_plot_cannot_be_disputed(world):
    farm = world["farm"]
    with pytest.raises(DomainError, match="en riesgo o que requiere verificación"):
        opened(world, farm)


def test_one_dispute_under_way_per_plot(tmp_path, world):
    farm = at_risk(tmp_path, world["farm"])
    opened(world, farm)
    with pytest.raises(DomainError, match="ya tiene una disputa en curso"):
        opened(world, farm)
    assert db.session.scalar(select(func.count(ForestDispute.id))) == 1


# --- four eyes -------------------------------------------------------------------------------


def test_an_upheld_claim_on_an_at_risk_plot_takes_two_reviewers_and_appends_a_free_row(
    tmp_path, world
):
    first, second, _ = world["admins"]
    farm = at_risk(tmp_path, world["farm"])
    basis_id = farm.risk_assessment_id
    basis_reason = dict(farm.risk_assessment.reason)
    rows = history_count(farm)
    dispute = opened(world, farm)
    assert dispute.status == "open" and dispute.assessment_id == basis_id
    disputes.propose(first, dispute, outcome="upheld", reason="Las fotos muestran cacao viejo.")
    with pytest.raises(DomainError, match="Otra persona debe confirmar"):
        disputes.confirm(first, dispute)
    assert fresh(farm.id).risk_status == "at_risk"
    disputes.confirm(second, dispute)

    farm = fresh(farm.id)
    assert farm.risk_status == "free" and farm.cleared_after_cutoff == "no"
    assert history_count(farm) == rows + 1
    outcome = farm.risk_assessment
    assert outcome.id == dispute.outcome_assessment_id != basis_id
    assert outcome.reason["code"] == "dispute_upheld"
    assert outcome.reason["dispute"] == dispute.id
    assert outcome.reason["proposed_by"] == first.id
    assert outcome.reason["confirmed_by"] == second.id
    assert outcome.reason["disputed"] == basis_reason
    basis = db.session.get(ForestAssessment, basis_id)
    assert basis.status == "at_risk" and basis.reason == basis_reason  # untouched
    assert outcome.indicators == basis.indicators and outcome.layer_set_id == basis.layer_set_id
    assert [a for a in actions() if a.startswith("dispute.")] == [
        "dispute.opened",
        "dispute.proposed",
        "dispute.confirmed",
    ]
    kinds = set(db.session.scalars(select(Notification.kind)))
    assert {"dispute.awaiting_review", "dispute.awaiting_confirmation", "dispute.upheld"} <= kinds


def test_the_proposal_notifies_the_other_reviewers_not_the_proposer(tmp_path, world):
    first, second, third = world["admins"]
    dispute = opened(world, at_risk(tmp_path, world["farm"]))
    disputes.propose(first, dispute, outcome="rejected", reason="La foto es de otra finca.")
    told = set(
        db.session.scalars(
            select(Notification.user_id).where(Notification.kind == "dispute.awaiting_confirmation")
        )
    )
    assert told == {second.id, third.id}


def test_whoever_opened_a_dispute_cannot_review_it(tmp_path, world):
    dispute = opened(world, at_risk(tmp_path, world["farm"]))
    with pytest.raises(DomainError, match="Quien abrió la disputa no puede revisarla"):
        disputes.propose(world["tech"], dispute, outcome="upheld", reason="Yo lo vi.")
    disputes.propose(world["admins"][0], dispute, outcome="upheld", reason="Correcto.")
    with pytest.raises(DomainError, match="Quien abrió la disputa"):
        disputes.confirm(world["tech"], dispute)
    assert db.session.get(ForestDispute, dispute.id).status == "proposed"


def test_a_returned_proposal_waits_for_a_new_first_review(tmp_path, world):
    first, second, third = world["admins"]
    farm = at_risk(tmp_path, world["farm"])
    dispute = opened(world, farm)
    disputes.propose(first, dispute, outcome="upheld", reason="Parece bien.")
    with pytest.raises(InvalidInput):
        disputes.send_back(second, dispute, note=" ")
    with pytest.raises(DomainError, match="Otra persona"):
        disputes.send_back(first, dispute, note="Me equivoqué.")
    disputes.send_back(second, dispute, note="La foto no muestra la zona con pérdida.")
    assert dispute.status == "open" and dispute.proposed_by_id is None
    assert dispute.returned_by_id == second.id
    with pytest.raises(DomainError, match="ya no espera confirmación"):
        disputes.confirm(third, dispute)
    disputes.propose(second, dispute, outcome="rejected", reason="La pérdida es de 2022.")
    disputes.confirm(first, dispute)  # the first proposer may confirm someone else's proposal
    farm = fresh(farm.id)
    assert farm.risk_status == "at_risk"
    assert farm.risk_assessment.reason["code"] == "dispute_rejected"
    assert "dispute.returned" in actions()


def test_an_upheld_claim_on_a_plot_needing_verification_makes_it_verified(tmp_path, world):
    first, second, _ = world["admins"]
    farm = under_forest(tmp_path, world["farm"])
    assert farm.risk_status == "needs_verification"
    dispute = opened(world, farm)
    disputes.propose(first, dispute, outcome="upheld", reason="Cacao bajo sombra.")
    disputes.confirm(second, dispute)
    farm = fresh(farm.id)
    assert farm.risk_status == "verified"
    assert farm.risk_assessment.reason["code"] == "dispute_upheld"


def test_two_reviewers_confirming_at_once_decide_once(racing_app, tmp_path, world, make_user):
    proposer = world["admins"][0]
    farm = at_risk(tmp_path, world["farm"])
    dispute = opened(world, farm)
    disputes.propose(proposer, dispute, outcome="upheld", reason="De acuerdo.")
    confirmers = [make_user("admin").id for _ in range(THREADS)]
    dispute_id = dispute.id  # read here: the threads must not touch this session

    def confirming(user_id: int):
        def prepare():
            from marketplace.models import User

            user = db.session.get(User, user_id)
            target = db.session.get(ForestDispute, dispute_id)
            return lambda: disputes.confirm(user, target).status

        return prepare

    results = race(racing_app, [confirming(user_id) for user_id in confirmers])
    assert not [r for r in results if r[0] == "error"], results
    assert [r for r in results if r[0] == "ok"] == [("ok", "upheld")], results
    db.session.expire_all()
    assert history_count(farm) == 2  # the layer's assessment and one outcome
    assert actions().count("dispute.confirmed") == 1


def test_a_stale_confirmation_is_refused_by_the_guarded_update(tmp_path, world):
    first, second, third = world["admins"]
    dispute = opened(world, at_risk(tmp_path, world["farm"]))
    disputes.propose(first, dispute, outcome="upheld", reason="Bien.")
    disputes.confirm(second, dispute)
    stale = ForestDispute(**{c: getattr(dispute, c) for c in ("id", "farm_id", "assessment_id")})
    stale.status, stale.proposed_by_id, stale.opened_by_id = "proposed", first.id, world["tech"].id
    stale.proposed_outcome, stale.disputed_status = "upheld", "at_risk"
    with pytest.raises(DomainError, match="ya no espera confirmación"):
        disputes.confirm(third, stale)
    assert actions().count("dispute.confirmed") == 1


# --- how long an outcome holds ----------------------------------------------------------------


def test_an_outcome_holds_through_a_reassessment_with_the_same_layers(tmp_path, world):
    first, second, _ = world["admins"]
    farm = at_risk(tmp_path, world["farm"])
    dispute = opened(world, farm)
    disputes.propose(first, dispute, outcome="upheld", reason="Bien.")
    disputes.confirm(second, dispute)
    rows = history_count(farm)
    risk.assess_all()
    risk.assess_farm(farm.id)
    farm = fresh(farm.id)
    assert farm.risk_status == "free"
    assert farm.risk_assessment_id == dispute.outcome_assessment_id
    assert history_count(farm) == rows


def test_new_layer_evidence_reopens_the_plot(tmp_path, world):
    first, second, _ = world["admins"]
    farm = at_risk(tmp_path, world["farm"])
    dispute = opened(world, farm)
    disputes.propose(first, dispute, outcome="upheld", reason="Bien.")
    disputes.confirm(second, dispute)
    # a new layer (a new disturbance, or a new version of the map) reaches the plot
    newer = box_east_half()
    layers.import_layer(write_layer(tmp_path, (newer, {"loss_year": 2025}), name="v2.geojson"))
    farm = fresh(farm.id)
    assert farm.risk_status == "at_risk"
    assert farm.risk_assessment_id != dispute.outcome_assessment_id
    assert farm.risk_assessment.reason["code"] == "loss_after"
    assert "dispute.lapsed" in actions()
    assert db.session.get(ForestDispute, dispute.id).status == "upheld"  # decided stays so
    second_dispute = opened(world, farm)  # and the new assessment can be disputed
    assert second_dispute.assessment_id == farm.risk_assessment_id


def test_a_dispute_not_yet_decided_is_superseded_when_the_assessment_changes(tmp_path, world):
    first, second, _ = world["admins"]
    farm = at_risk(tmp_path, world["farm"])
    dispute = opened(world, farm)
    disputes.propose(first, dispute, outcome="upheld", reason="Bien.")
    layers.import_layer(
        write_layer(tmp_path, (box_east_half(), {"loss_year": 2025}), name="v2.geojson")
    )
    assert db.session.get(ForestDispute, dispute.id).status == "superseded"
    db.session.expire_all()
    with pytest.raises(DomainError):
        disputes.confirm(second, db.session.get(ForestDispute, dispute.id))
    assert fresh(farm.id).risk_status == "at_risk"


def box_east_half() -> dict:
    from tests.integration.test_forest_risk import MID, E, N, S, box

    return box(MID, S - 0.001, E + 0.001, N + 0.001)


# --- immutability ----------------------------------------------------------------------------


def test_the_orm_refuses_to_change_or_delete_an_assessment(tmp_path, world):
    farm = at_risk(tmp_path, world["farm"])
    row = farm.risk_assessment
    row.status = "free"
    with pytest.raises(ImmutableRecord):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(ForestAssessment, farm.risk_assessment_id))
    with pytest.raises(ImmutableRecord):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(ForestAssessment, farm.risk_assessment_id).status == "at_risk"


def test_the_database_refuses_to_update_an_assessment(tmp_path, world):
    farm = at_risk(tmp_path, world["farm"])
    with pytest.raises(DBAPIError):
        db.session.execute(
            update(ForestAssessment)
            .where(ForestAssessment.id == farm.risk_assessment_id)
            .values(status="free")
        )
    db.session.rollback()
    assert fresh(farm.id).risk_assessment.status == "at_risk"


def test_a_decided_dispute_is_final_in_the_orm_and_the_database(tmp_path, world):
    first, second, _ = world["admins"]
    dispute = opened(world, at_risk(tmp_path, world["farm"]))
    disputes.propose(first, dispute, outcome="rejected", reason="No.")
    disputes.confirm(second, dispute)
    dispute.claim = "Otra cosa"
    with pytest.raises(ImmutableRecord):
        db.session.commit()
    db.session.rollback()
    db.session.delete(dispute)
    with pytest.raises(ImmutableRecord):
        db.session.commit()
    db.session.rollback()
    with pytest.raises(DBAPIError):
        db.session.execute(
            update(ForestDispute).where(ForestDispute.id == dispute.id).values(status="open")
        )
    db.session.rollback()
    assert db.session.get(ForestDispute, dispute.id).status == "rejected"


def test_deleting_a_farm_still_removes_its_history_and_disputes(tmp_path, world):
    first, second, _ = world["admins"]
    farm = at_risk(tmp_path, world["farm"])
    dispute = opened(world, farm)
    disputes.propose(first, dispute, outcome="upheld", reason="Bien.")
    disputes.confirm(second, dispute)
    producer_services.delete_farm(world["owner"], fresh(farm.id))
    db.session.expire_all()
    assert db.session.get(Farm, farm.id) is None
    assert history_count(farm) == 0
    assert db.session.scalar(select(func.count(ForestDispute.id))) == 0
    assert db.session.scalar(select(func.count()).select_from(ForestDisputeEvidence)) == 0


def test_the_plain_delete_below_the_orm_is_not_blocked_by_the_triggers(tmp_path, world):
    farm = at_risk(tmp_path, world["farm"])
    db.session.execute(delete(ForestAssessment).where(ForestAssessment.farm_id == farm.id))
    db.session.commit()
    assert history_count(farm) == 0


# --- evidence with a position ----------------------------------------------------------------


def record(world, tmp_path, **values) -> FieldEvidence:
    defaults = {"note": "Visita", "observed_on": date(2026, 3, 1), "photo": b""}
    return evidence.record_evidence(
        world["tech"],
        world["farm"],
        instance_path=tmp_path,
        today=date(2026, 3, 2),
        **(defaults | values),
    )


def test_the_phones_position_is_stored_with_its_accuracy_and_source(tmp_path, world):
    item = record(world, tmp_path, position=evidence.Position(LAT, LON, 12.0))
    assert (item.lat, item.lon, item.accuracy_m) == (LAT, LON, 12.0)
    assert item.position_source == "device"
    assert evidence.distance_m(item, world["farm"]) == 0
    assert not evidence.is_far(item, world["farm"])


def test_the_photos_own_gps_and_date_come_first(tmp_path, world):
    photo = jpeg_with_gps(-7.1815, -76.7312, "2026:02:27", error_m=5)
    item = record(
        world, tmp_path, photo=photo, observed_on=None, position=evidence.Position(-7.0, -76.0, 30)
    )
    assert item.position_source == "photo"
    assert item.lat == pytest.approx(-7.1815, abs=1e-5)
    assert item.lon == pytest.approx(-76.7312, abs=1e-5)
    assert item.accuracy_m == pytest.approx(5)
    assert item.photo_taken_on == date(2026, 2, 27)
    assert item.observed_on == date(2026, 2, 27)  # no visit date given: the photo's


def test_evidence_taken_far_from_the_plot_is_flagged(tmp_path, world):
    item = record(world, tmp_path, position=evidence.Position(LAT + 0.01, LON, 10))  # ~1 km
    distance = evidence.distance_m(item, world["farm"])
    assert 900 < distance < 1100
    assert evidence.is_far(item, world["farm"])


@pytest.mark.parametrize(
    ("position", "field", "message"),
    [
        (evidence.Position(91.0, LON), "lat", "entre -90 y 90"),
        (evidence.Position(LAT, -181.0), "lon", "entre -180 y 180"),
        (evidence.Position(LAT, None), "lat", "incompleta"),
        (evidence.Position(LAT, LON, -3.0), "accuracy_m", "entre 0 y 10 000"),
    ],
)
def test_a_position_out_of_range_is_refused_in_spanish(tmp_path, world, position, field, message):
    before = db.session.scalar(select(func.count(FieldEvidence.id)))
    with pytest.raises(InvalidInput) as caught:
        record(world, tmp_path, position=position)
    assert message in caught.value.errors[field]
    assert db.session.scalar(select(func.count(FieldEvidence.id))) == before


def test_exif_reader_reads_gps_and_date_and_ignores_garbage():
    tags = exif.read(jpeg_with_gps(10.5, 20.25, "2025:12:31"))
    assert tags.lat == pytest.approx(10.5, abs=1e-5)
    assert tags.lon == pytest.approx(20.25, abs=1e-5)
    assert tags.taken_on == date(2025, 12, 31)
    assert tags.accuracy_m is None
    assert exif.read(b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\xff\xff") == exif.PhotoTags()
    assert exif.read(b"\x89PNG\r\n\x1a\n") == exif.PhotoTags()


# --- personal data -----------------------------------------------------------------------------


def test_her_data_export_holds_her_plots_disputes(tmp_path, world):
    from marketplace.privacy import export

    dispute = opened(world, at_risk(tmp_path, world["farm"]))
    section = export.collect(world["farm"].producer)["forest_disputes"]
    assert [row["id"] for row in section] == [dispute.id]
    assert section[0]["claim"] == dispute.claim


def test_erasing_her_removes_an_unused_plot_with_its_decided_dispute(tmp_path, world):
    from marketplace.privacy import erasure
    from marketplace.privacy import services as privacy_services

    first, second, _ = world["admins"]
    farm = at_risk(tmp_path, world["farm"])
    dispute = opened(world, farm)
    disputes.propose(first, dispute, outcome="upheld", reason="Bien.")
    disputes.confirm(second, dispute)
    producer = fresh(farm.id).producer
    request = privacy_services.file_request(world["owner"], producer, "deletion", "Me retiro")
    erasure.carry_out(first, request, tmp_path)
    db.session.expire_all()
    assert db.session.get(Farm, farm.id) is None
    assert db.session.scalar(select(func.count(ForestDispute.id))) == 0
    assert db.session.scalar(select(func.count()).select_from(ForestDisputeEvidence)) == 0


def test_a_confirmation_after_the_plot_moved_on_supersedes_the_dispute(tmp_path, world):
    first, second, _ = world["admins"]
    farm = at_risk(tmp_path, world["farm"])
    dispute = opened(world, farm)
    disputes.propose(first, dispute, outcome="upheld", reason="Bien.")
    # another assessment became current without passing through a reassessment's hold
    newer = ForestAssessment(
        farm_id=farm.id, status="at_risk", indicators={}, reason={"code": "no_layer"}, settings={}
    )
    db.session.add(newer)
    db.session.flush()
    db.session.execute(update(Farm).where(Farm.id == farm.id).values(risk_assessment_id=newer.id))
    db.session.commit()
    with pytest.raises(DomainError, match="La evaluación de la parcela cambió"):
        disputes.confirm(second, dispute)
    db.session.expire_all()
    assert db.session.get(ForestDispute, dispute.id).status == "superseded"
    assert fresh(farm.id).risk_assessment_id == newer.id
    assert history_count(farm) == 2  # the outcome row was rolled back
    assert actions().count("dispute.lapsed") == 1


def test_another_producers_plot_drawn_over_it_ends_the_outcome(
    tmp_path, world, make_producer, make_farm
):
    first, second, _ = world["admins"]
    farm = at_risk(tmp_path, world["farm"])
    dispute = opened(world, farm)
    disputes.propose(first, dispute, outcome="upheld", reason="Bien.")
    disputes.confirm(second, dispute)
    assert fresh(farm.id).risk_status == "free"
    make_farm(make_producer(), polygon_geojson=PLOT)  # the same land, another producer
    risk.assess_all()
    farm = fresh(farm.id)
    assert farm.risk_status == "at_risk"  # an at-risk plot stays at risk, now overlapping too
    assert farm.risk_assessment.reason.get("plot_overlaps")
    assert "dispute.lapsed" in actions()
