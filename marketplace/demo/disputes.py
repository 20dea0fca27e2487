"""Demo disputes of plots' deforestation risk, one at each step of the four-eyes review
(the demo technician's cooperative first): one decided (upheld: proposed by the admin,
confirmed by a buyer holding a pledge from the farm, the demo buyer when it does), one
proposed and waiting for a second reviewer, one open and waiting for a first review. Each
rests on field evidence with the phone's position inside the plot; the open one also on a
photo taken about 900 m away, which the plot page flags. Written through the
services after the world is committed (they commit each step), so the audit log and the
notifications read as in real use."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select, true

from marketplace.demo.organizations import ADMIN_EMAIL, DEMO_DOMAIN
from marketplace.extensions import db
from marketplace.models import Farm, Pledge, PlotOverlap, Producer, PurchaseCommitment, User
from marketplace.models.base import local_today
from marketplace.models.commitments import PledgeStatus
from marketplace.models.traceability import RiskStatus
from marketplace.traceability import disputes, evidence

STEPS = ("confirmed", "proposed", "open")
CANDIDATES_PER_READ = 500  # farms read at a time while looking for one to dispute
FAR_OFFSET_DEG = 0.008  # about 890 m north: beyond evidence.FAR_M
NOTES = {
    RiskStatus.AT_RISK: (
        "La zona marcada como pérdida es un cacaotal de 2015 bajo guaba e inga; la mancha de "
        "2022 coincide con nubes en la imagen."
    ),
    RiskStatus.NEEDS_VERIFICATION: (
        "Cacao bajo sombra de 12 años: copas de pashaco y guaba sobre las plantas de cacao."
    ),
}
REASON = "La foto y la nota del técnico muestran cultivo bajo sombra anterior a 2020."
GROUNDS = {RiskStatus.AT_RISK: "map_error", RiskStatus.NEEDS_VERIFICATION: "crop_in_2020"}


def build(say: Callable[[str], None]) -> str:
    """Open, propose and confirm the demo disputes; a summary line."""
    admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    if admin is None:
        return "  plot disputes: no admin, none made"
    today = local_today()
    made: list[str] = []
    used: set[int] = set()
    for step in STEPS:
        found = _pick(step, used)
        if found is None:
            continue
        farm, opener, confirmer = found
        used.add(farm.id)
        status = RiskStatus(farm.risk_status)
        item = evidence.record_evidence(
            opener,
            farm,
            note=NOTES[status],
            observed_on=today - timedelta(days=9),
            photo=b"",
            instance_path=Path(current_app.instance_path),  # no photo is stored
            position=evidence.Position(farm.lat, farm.lon, 6.0),
        )
        chosen = [item.id]
        if step == "open":  # a second photo taken from the road, flagged as far from the plot
            far = evidence.record_evidence(
                opener,
                farm,
                note="Vista desde la carretera, al otro lado del río.",
                observed_on=today - timedelta(days=9),
                photo=b"",
                instance_path=Path(current_app.instance_path),
                position=evidence.Position(farm.lat + FAR_OFFSET_DEG, farm.lon, 15.0),
            )
            chosen.append(far.id)
        dispute = disputes.open_dispute(
            opener, farm, ground=GROUNDS[status], claim=NOTES[status], evidence_ids=chosen
        )
        if step in ("proposed", "confirmed"):
            disputes.propose(admin, dispute, outcome="upheld", reason=REASON)
        if step == "confirmed":
            disputes.confirm(confirmer, dispute)
        made.append(step)
    say(f"  {len(made)} plot disputes ({', '.join(made)})")
    return f"  plot disputes: {len(made)} ({', '.join(made) or 'no farm to dispute'})"


def _pick(step: str, used: set[int]) -> tuple[Farm, User, User | None] | None:
    """A farm to dispute at `step`, the technician who opens it and, for a decided dispute,
    the buyer who confirms it: the demo technician's farms and the demo buyer first."""
    tech = db.session.scalar(select(User).where(User.email == f"tecnico@{DEMO_DOMAIN}"))
    buyer = db.session.scalar(select(User).where(User.email == f"comprador@{DEMO_DOMAIN}"))
    for farm, coop_id in _candidates(tech.organization_id if tech else None):
        if farm.id in used:
            continue
        opener = _technician(coop_id, tech)
        confirmer = _pledged_buyer(farm, buyer) if step == "confirmed" else None
        if opener is not None and (step != "confirmed" or confirmer is not None):
            return farm, opener, confirmer
    return None


def _candidates(first_coop: int | None) -> Iterator[tuple[Farm, int]]:
    """Disputable farms of cooperative members with no open overlap (an overlap is settled
    by an outline, not a dispute), with their cooperative: `first_coop`'s first, each part
    by id. Read a slice at a time after the last id seen, so that the millionth candidate
    costs what the first did (an OFFSET would sort every candidate again for each slice)."""
    overlapped = (
        select(PlotOverlap.id)
        .where(PlotOverlap.resolved_at.is_(None), PlotOverlap.farm_a_id == Farm.id)
        .exists(),
        select(PlotOverlap.id)
        .where(PlotOverlap.resolved_at.is_(None), PlotOverlap.farm_b_id == Farm.id)
        .exists(),
    )
    query = (
        select(Farm, Producer.cooperative_id)
        .join(Producer, Producer.id == Farm.producer_id)
        .where(
            Farm.risk_status.in_(disputes.DISPUTABLE),
            Farm.risk_assessment_id.is_not(None),
            Producer.cooperative_id.is_not(None),
            *(~exists for exists in overlapped),
        )
        .order_by(Farm.id)
        .limit(CANDIDATES_PER_READ)
    )
    first = Producer.cooperative_id == first_coop
    for part in (first, ~first) if first_coop is not None else (true(),):
        last_id = 0
        while rows := db.session.execute(query.where(part, Farm.id > last_id)).all():
            yield from rows
            last_id = rows[-1][0].id


def _technician(coop_id: int, preferred: User | None) -> User | None:
    if preferred is not None and preferred.organization_id == coop_id:
        return preferred
    return db.session.scalar(
        select(User)
        .where(User.role == "technician", User.organization_id == coop_id, User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    )


def _pledged_buyer(farm: Farm, preferred: User | None) -> User | None:
    """A buyer user whose organization holds an active pledge from the farm."""
    orgs = set(
        db.session.scalars(
            select(PurchaseCommitment.organization_id)
            .join(Pledge, Pledge.commitment_id == PurchaseCommitment.id)
            .where(Pledge.farm_id == farm.id, Pledge.status == PledgeStatus.ACTIVE)
        )
    )
    if preferred is not None and preferred.organization_id in orgs:
        return preferred
    return db.session.scalar(
        select(User)
        .where(User.role == "buyer", User.organization_id.in_(orgs), User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    )
