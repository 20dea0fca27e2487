"""A lender's review of the credit groups matched to its products: the list with its map and
charts, a group's members under their consent (decisions: credit.decisions; the CSV:
credit.group_export).

A producer's personal details (name, district, exact figures, explanation) reach a lender only
under a live consent to share with lenders, checked when the page is shown, not at the run.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from marketplace import audit, gazetteer
from marketplace.credit import proposals, readiness_words
from marketplace.credit.archetypes import archetype_label
from marketplace.credit.history import History, histories
from marketplace.credit.permissions import can_decide
from marketplace.credit.proposals import Proposal
from marketplace.credit.readiness_words import Readiness
from marketplace.credit.runs import TENTH_STARTS, TENTHS, latest_run_id_query
from marketplace.extensions import db
from marketplace.models import (
    Assessment,
    Cluster,
    ConsentScope,
    Farm,
    Match,
    MatchingRun,
    MatchStatus,
    Producer,
    User,
    ValueChain,
)
from marketplace.producers.services import with_live_consent

OPEN = (MatchStatus.PROPOSED, MatchStatus.INFO_REQUESTED)
DECIDED = (MatchStatus.INFO_REQUESTED, MatchStatus.APPROVED, MatchStatus.DECLINED)
LISTED_STATUSES = (MatchStatus.PROPOSED, *DECIDED)
PAGE_SIZE = 20
MAP_LIMIT = 500  # markers on the map; more would weigh on a phone
HIDDEN_NAME = _l("Productor/a sin consentimiento")
ALREADY_DECIDED = _l("Este grupo ya fue decidido; vuelva a cargar la página.")


# --- the list of groups -------------------------------------------------------------------


@dataclass
class GroupFilters:
    """The list's filters; unknown values are ignored."""

    status: str = ""
    value_chain: str = ""


def _visible(org_id: int):
    """The org's chosen matches of the latest run, plus every match it has decided on."""
    current = and_(Match.rank == 0, Match.run_id == latest_run_id_query())
    return and_(
        Match.lender_id == org_id,
        Match.status != MatchStatus.SUPERSEDED,
        or_(current, and_(Match.rank == 0, Match.status.in_(DECIDED))),
    )


def _filtered(org_id: int, filters: GroupFilters, *columns):
    query = (
        select(*columns)
        .select_from(Match)
        .join(Cluster, Cluster.id == Match.cluster_id)
        .where(_visible(org_id))
    )
    if filters.status in LISTED_STATUSES:
        query = query.where(Match.status == filters.status)
    if filters.value_chain in {c.value for c in ValueChain}:
        query = query.where(Cluster.value_chain == filters.value_chain)
    return query


def groups_page(org_id: int, filters: GroupFilters, page: int = 1):
    """One page of the org's groups: open decisions first, then by mean readiness."""
    query = (
        _filtered(org_id, filters, Match)
        .options(
            contains_eager(Match.cluster).selectinload(Cluster.cooperative),
            selectinload(Match.credit_product),
        )
        .order_by(
            case((Match.status.in_(OPEN), 0), else_=1),
            Cluster.readiness_mean.desc(),
            Match.id,
        )
    )
    return db.paginate(query, page=page, per_page=PAGE_SIZE, error_out=False)


def map_points(org_id: int, filters: GroupFilters) -> list[dict]:
    """Where the listed groups are (at most MAP_LIMIT), for the map."""
    rows = db.session.execute(
        _filtered(org_id, filters, Match.id, Cluster.code, Cluster.lat, Cluster.lon, Cluster.size)
        .order_by(Match.id)
        .limit(MAP_LIMIT)
    ).all()
    return [
        {"id": r.id, "code": r.code, "lat": round(r.lat, 4), "lon": round(r.lon, 4), "n": r.size}
        for r in rows
    ]


def _listed_members(org_id: int, filters: GroupFilters, *columns):
    """`columns` over the members of the listed groups: a join the database drives from the
    lender's few groups through the members' cluster index (an IN over the groups made
    PostgreSQL walk the whole assessment index)."""
    return _filtered(org_id, filters, *columns).join(
        Assessment, Assessment.cluster_id == Match.cluster_id
    )


def member_charts(org_id: int, filters: GroupFilters) -> tuple[list[tuple[str, int]], list[int]]:
    """The listed groups' members by archetype (its name in the viewer's language, largest
    first) and per tenth of readiness (0-10 %, ..., 90-100 %), from what each group keeps, in
    one statement: a group's members all share its archetype, so its size counts, and it
    keeps how many fall in each tenth (summed by the database). Groups of runs from before
    groups kept either are counted member by member, only when the list has some."""
    tenths = [func.sum(Cluster.readiness_tenths[i].as_integer()) for i in range(TENTHS)]
    without_tenths = func.sum(case((Cluster.readiness_tenths.is_(None), 1), else_=0))
    kept = _filtered(org_id, filters, Cluster.archetype, func.sum(Cluster.size), without_tenths)
    counted: dict[str, int] = defaultdict(int)
    histogram = [0] * TENTHS
    older_archetypes = older_tenths = False
    for archetype, size, missing, *members in db.session.execute(
        kept.add_columns(*tenths).group_by(Cluster.archetype)
    ):
        if archetype is None:
            older_archetypes = True
        else:
            counted[archetype] += int(size)
        older_tenths = older_tenths or bool(missing)
        histogram = _added(histogram, members)
    if older_archetypes:
        for code, n in _older_archetypes(org_id, filters):
            counted[code] += int(n)
    if older_tenths:
        histogram = _added(histogram, _older_tenths(org_id, filters))
    ranked = sorted(counted.items(), key=lambda item: (-item[1], item[0]))
    return [(archetype_label(code), n) for code, n in ranked], histogram


def _added(histogram: list[int], more: Iterable[int | None]) -> list[int]:
    return [a + int(n or 0) for a, n in zip(histogram, more, strict=True)]


def _older_archetypes(org_id: int, filters: GroupFilters):
    """(archetype, members) of the listed groups that keep none, member by member."""
    by_member = _listed_members(org_id, filters, Assessment.archetype, func.count(Assessment.id))
    return db.session.execute(
        by_member.where(Cluster.archetype.is_(None)).group_by(Assessment.archetype)
    )


def _tenth(i: int):
    """1 when a member's readiness falls in the i-th tenth (runs.readiness_tenths), else 0."""
    within = []
    if i > 0:
        within.append(Assessment.readiness >= TENTH_STARTS[i - 1])
    if i < TENTHS - 1:
        within.append(Assessment.readiness < TENTH_STARTS[i])
    return case((and_(*within), 1), else_=0)


def _older_tenths(org_id: int, filters: GroupFilters):
    """Members per tenth of the listed groups that keep none, in one row (portable: no
    floor() in SQLite)."""
    by_member = [func.sum(_tenth(i)) for i in range(TENTHS)]
    older = _listed_members(org_id, filters, *by_member).where(Cluster.readiness_tenths.is_(None))
    return db.session.execute(older).one()


# --- one group ----------------------------------------------------------------------------


def can_review(user: User, match: Match) -> bool:
    """Whoever may decide on the group (credit.permissions), while the lender's list of groups
    shows it: a rule on the latest run, so it lives with the list's query."""
    return can_decide(user, match) and group_for(match.lender_id, match.id) is not None


def group_for(org_id: int, match_id: int) -> Match | None:
    """The org's match `match_id` if the org may see it (None otherwise: answer 404)."""
    return db.session.scalar(select(Match).where(Match.id == match_id, _visible(org_id)))


def alternatives(match: Match) -> list[Match]:
    """The group's other ranked products (any lender), best first."""
    return list(
        db.session.scalars(
            select(Match)
            .where(
                Match.cluster_id == match.cluster_id,
                Match.id != match.id,
                Match.status != MatchStatus.SUPERSEDED,
            )
            .order_by(Match.rank)
            .options(selectinload(Match.credit_product), selectinload(Match.lender))
        )
    )


def consenting(producer_ids: list[int]) -> set[int]:
    """Which of these producers share their details with lenders right now."""
    return with_live_consent(producer_ids, ConsentScope.LENDERS)


@dataclass
class Member:
    """A group member as the lender may see them; personal fields None when hidden."""

    shown: bool
    productive_ha: float
    readiness: float
    explained: Readiness
    producer_id: int | None = None
    name: str | None = None
    national_id: str | None = None
    phone: str | None = None
    district: str | None = None
    expected_kg: float | None = None
    pledged_kg: float | None = None
    proposal: Proposal | None = None
    reason: str = ""
    history: History | None = None

    @property
    def factors(self) -> list[str]:
        """The readiness factors shown for her, raising ones first."""
        return [*self.explained.raised, *self.explained.lowered]

    @property
    def requested_minor(self) -> int | None:
        return self.proposal.requested_minor if self.proposal is not None else None


def _district(farm: Farm | None) -> str:
    if farm is None:
        return ""
    district = gazetteer.get_district(farm.country, farm.district_code)
    return district.label if district is not None else farm.district_code


def _shown(a: Assessment, producer: Producer, farm: Farm | None, context: dict) -> Member:
    proposal = context["proposals"][producer.id]
    return Member(
        shown=True,
        productive_ha=a.productive_ha,
        readiness=a.readiness,
        explained=readiness_words.explain(a.readiness, a.explanation or [], context["model"]),
        producer_id=producer.id,
        name=producer.full_name,
        national_id=producer.national_id,
        phone=producer.phone,
        district=_district(farm),
        expected_kg=a.expected_kg,
        pledged_kg=a.pledged_kg,
        proposal=proposal,
        reason=proposals.reason_text(proposal, context["product"], context["share"]),
        history=context["histories"][producer.id],
    )


def _hidden(a: Assessment) -> Member:
    return Member(
        shown=False,
        productive_ha=float(round(a.productive_ha)),
        readiness=a.readiness,
        explained=readiness_words.explain(a.readiness, [], None),
    )


def members(match: Match) -> list[Member]:
    """The group's members: consenting ones in full (identity, phone, Minka history, the
    proposal and its reason), the others with aggregates only (last, in no order that could
    tell them apart)."""
    rows = db.session.execute(
        select(Assessment, Producer, Farm)
        .join(Producer, Producer.id == Assessment.producer_id)
        .outerjoin(Farm, Farm.id == Assessment.farm_id)
        .where(Assessment.cluster_id == match.cluster_id)
        .order_by(Producer.last_name, Producer.first_name, Producer.id)
    ).all()
    allowed = consenting([a.producer_id for a, _, _ in rows])
    context = {
        "proposals": proposals.for_match(match),
        "product": match.credit_product,
        "share": proposals.instalment_share(match.run_id),
        "model": readiness_words.model_kind(
            db.session.get(MatchingRun, match.run_id), match.cluster.country
        ),
        "histories": histories(sorted(allowed)),
    }
    shown = [_shown(a, p, farm, context) for a, p, farm in rows if p.id in allowed]
    hidden = sorted(
        (_hidden(a) for a, producer, _ in rows if producer.id not in allowed),
        key=lambda m: (-m.readiness, m.productive_ha),
    )
    return shown + hidden


def record_views(actor: User, match: Match, shown: Iterable[Member], action: str) -> None:
    """Audit that `actor` saw these consenting members' details: one row for the group,
    listing the producers whose details were shown."""
    seen = [member.producer_id for member in shown if member.shown]
    if seen:
        audit.record(actor, action, match, group=match.cluster.code, producers=seen)
    db.session.commit()
