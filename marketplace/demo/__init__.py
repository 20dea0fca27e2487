"""A believable demo world for Minka: landscapes, cooperatives, producers, farms, consents.

``build_world`` is what ``flask demo-data`` runs. It is deterministic for a seed (all draws
come from one numpy ``Generator``; dates count back from a fixed anchor) and idempotent: when
the demo admin account already exists it changes nothing and says so. It writes with chunked
bulk inserts and reserved primary keys, so 100,000 producers take seconds, not minutes.

Every demo login shares one password, ``minka-demo-2026``, hashed once: the same hash string
is stored for all of them (acceptable for a demo world, never for real accounts).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from time import perf_counter

import numpy as np
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from marketplace.demo import (
    bulk,
    data_requests,
    deliveries,
    disputes,
    forest,
    loans,
    market,
    organizations,
    payments,
    plots,
    population,
    tenure_docs,
)
from marketplace.demo.organizations import ADMIN_EMAIL, DEMO_ACCOUNTS, DEMO_PASSWORD
from marketplace.extensions import db
from marketplace.models import AuditLog, Consent, Farm, Organization, Producer, RunBackend, User

__all__ = [
    "ADMIN_EMAIL",
    "ANCHOR",
    "DEFAULT_PRODUCERS",
    "DEMO_ACCOUNTS",
    "DEMO_PASSWORD",
    "build_world",
]

#: "Now" of the demo world: every date is drawn backwards from here (not from the clock).
ANCHOR = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
SUSPENSION_REASON = "Documentación tributaria vencida"
# Enough producers for each country to have the past loans that train the readiness model
# (Mexico, the smallest, gets ~750), and still a start-up of a few seconds.
DEFAULT_PRODUCERS = 5_000


def build_world(
    producers: int = DEFAULT_PRODUCERS,
    seed: int = 2026,
    echo: Callable[[str], None] | None = None,
    listings: int = 400,
    matching: bool = True,
) -> str:
    """Create the demo world in one transaction and return a summary of what was made; then,
    unless `matching` is False, run the credit matching once so its pages have results."""
    say = echo or (lambda _message: None)
    started = perf_counter()
    demo_emails = [account.email for account in DEMO_ACCOUNTS]
    present = set(db.session.scalars(select(User.email).where(User.email.in_(demo_emails))))
    if ADMIN_EMAIL in present:
        return "\n".join(
            [
                f"The demo world is already here ({ADMIN_EMAIL} exists): nothing changed.",
                *_accounts_lines(),
            ]
        )
    if present:
        return "Nothing changed: these demo e-mails belong to other accounts: " + ", ".join(
            sorted(present)
        )

    say(f"Drawing the demo world: {producers:,} producers, seed {seed}…")
    rng = np.random.default_rng(seed)
    password_hash = generate_password_hash(DEMO_PASSWORD)
    taken = _taken()
    org_plan = organizations.plan(rng, ANCHOR, password_hash, taken)
    # The demo producer (productora@minka.demo) is one of the `producers`.
    people = population.plan(rng, max(producers - 1, 0), org_plan, taken, ANCHOR, password_hash)
    say(f"  drawn in {perf_counter() - started:.1f} s; writing…")
    try:
        counts = _write(org_plan, people, say)
        forest_line = forest.build(say)  # farms' clearing, which pledges and matching read
        counts |= market.build(np.random.default_rng([seed, 1]), ANCHOR, listings, say)
        counts |= loans.build(np.random.default_rng([seed, 2]), ANCHOR, say)
        # today's matching reads documented tenure (the past loans, the declared one)
        counts |= tenure_docs.build(np.random.default_rng([seed, 4]), ANCHOR, say)
        counts |= plots.build(say)
        counts |= deliveries.build(seed, say)
        counts |= data_requests.build(ANCHOR, say)
        counts |= payments.build(np.random.default_rng([seed, 3]), ANCHOR, say)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    disputes_line = disputes.build(say)  # through the services, which commit each step
    summary = _summary(seed, counts, org_plan, people, perf_counter() - started)
    summary += "\n" + forest_line + "\n" + disputes_line
    if matching:
        summary += "\n" + _run_matching(say)
    return summary


def _run_matching(say: Callable[[str], None]) -> str:
    """One matching run on the new world, in this process; its summary lines."""
    from marketplace.credit import runs

    say("Running the credit matching…")
    started = perf_counter()
    run = runs.execute(runs.start_run(None, backend=RunBackend.CLI).id)
    return "\n".join(runs.run_summary(run, perf_counter() - started))


def _taken() -> dict[str, set[str]]:
    """Identifiers already in the database, which the new world must not reuse."""
    taken: dict[str, set[str]] = {
        "email": set(db.session.scalars(select(User.email).where(User.email.is_not(None)))),
        "phone": set(db.session.scalars(select(User.phone).where(User.phone.is_not(None)))),
        "join_code": set(db.session.scalars(select(Organization.join_code))),
    }
    taken["phone"] |= set(
        db.session.scalars(select(Producer.phone).where(Producer.phone.is_not(None)))
    )
    for country in ("PE", "CO", "MX"):
        taken["national_id:" + country] = set(
            db.session.scalars(select(Producer.national_id).where(Producer.country == country))
        )
    return taken


def _write(
    org_plan: organizations.OrgPlan, people: population.Population, say: Callable[[str], None]
) -> dict[str, int]:
    """Reserve primary keys, resolve foreign keys and bulk-insert every table."""
    started = perf_counter()
    n_staff = len(org_plan.users)
    n_logins = len(people.login_users["name"])
    org_ids = bulk.reserve_ids(Organization, len(org_plan.orgs))
    user_ids = bulk.reserve_ids(User, n_staff + n_logins)
    producer_ids = bulk.reserve_ids(Producer, len(people.producers["first_name"]))
    farm_ids = bulk.reserve_ids(Farm, len(people.farms["name"]))
    consent_ids = bulk.reserve_ids(Consent, len(people.consents["scope"]))

    counts = {
        "organization": bulk.insert_rows(
            Organization, [{"id": int(org_ids[i]), **row} for i, row in enumerate(org_plan.orgs)]
        )
    }
    staff = []
    for i, row in enumerate(org_plan.users):
        values = {key: value for key, value in row.items() if key != "org"}
        org = row["org"]
        values.update(id=int(user_ids[i]), organization_id=int(org_ids[org]) if org >= 0 else None)
        staff.append(values)
    counts["user"] = bulk.insert_rows(User, staff)
    counts["user"] += bulk.insert_columns(User, {"id": user_ids[n_staff:], **people.login_users})

    producer_user = bulk.resolve(user_ids, people.producer_user)
    counts["producer"] = bulk.insert_columns(
        Producer,
        {
            "id": producer_ids,
            "user_id": producer_user,
            "cooperative_id": bulk.resolve(org_ids, people.producer_coop),
            "registered_by_id": bulk.resolve(user_ids, people.producer_registrar),
            **people.producers,
        },
    )
    say(f"  organizations, users, producers: {perf_counter() - started:.1f} s")
    counts["farm"] = bulk.insert_columns(
        Farm,
        {
            "id": farm_ids,
            "producer_id": producer_ids[people.farm_producer],
            **people.farms,
        },
    )
    consent_producer = producer_ids[people.consent_producer]
    consent_actor = bulk.resolve(user_ids, people.consent_actor)
    counts["consent"] = bulk.insert_columns(
        Consent,
        {
            "id": consent_ids,
            "producer_id": consent_producer,
            **people.consents,
            "changed_by_id": consent_actor,
        },
    )
    say(f"  farms, consents: {perf_counter() - started:.1f} s")
    audit = _audit_rows(
        org_plan,
        people,
        org_ids,
        user_ids,
        consent_ids,
        consent_producer,
        consent_actor,
        producer_user,
    )
    audit_ids = bulk.reserve_ids(AuditLog, len(audit["at"]))
    counts["audit_log"] = bulk.insert_columns(AuditLog, {"id": audit_ids, **audit})
    say(f"  audit log: {perf_counter() - started:.1f} s")
    return counts


def _audit_rows(
    org_plan: organizations.OrgPlan,
    people: population.Population,
    org_ids: np.ndarray,
    user_ids: np.ndarray,
    consent_ids: np.ndarray,
    consent_producer: np.ndarray,
    consent_actor: list[int | None],
    producer_user: list[int | None],
) -> dict[str, list]:
    """Admin decisions on organizations and every consent change, oldest first."""
    admin = int(user_ids[org_plan.demo_users[ADMIN_EMAIL]])
    rows: list[tuple] = []  # (at, actor, action, entity_type, entity_id, detail)
    for org, at, action in org_plan.verifications:
        # The same details as marketplace.admin.org_review records.
        if action == "organization.suspended":
            detail = {"reason": SUSPENSION_REASON}
        else:
            detail = {"name": org_plan.orgs[org]["name"], "tax_id": org_plan.orgs[org]["tax_id"]}
        rows.append((at, admin, action, "organization", int(org_ids[org]), detail))
    owner_user = np.asarray([-1 if u is None else u for u in producer_user], dtype=np.int64)
    on_behalf = (
        np.asarray(consent_actor, dtype=np.int64) != owner_user[people.consent_producer]
    ).tolist()
    for cid, pid, actor, scope, granted, at, before, proxy in zip(
        consent_ids.tolist(),
        consent_producer.tolist(),
        consent_actor,
        people.consents["scope"],
        people.consents["granted"],
        people.consents["changed_at"],
        people.earlier_grant,
        on_behalf,
        strict=True,
    ):
        detail = {"producer": pid, "scope": scope, "on_behalf": proxy}
        if before is not None:
            rows.append((before, actor, "consent.granted", "consent", cid, detail))
        action = "consent.granted" if granted else "consent.revoked"
        rows.append((at, actor, action, "consent", cid, detail))
    rows.sort(key=lambda row: row[0])
    keys = ("at", "actor_id", "action", "entity_type", "entity_id", "detail")
    return {key: [row[k] for row in rows] for k, key in enumerate(keys)}


def _accounts_lines() -> list[str]:
    lines = [f"Demo accounts (password for all: {DEMO_PASSWORD}):"]
    width = max(len(account.email) for account in DEMO_ACCOUNTS)
    for account in DEMO_ACCOUNTS:
        lines.append(f"  {account.email:<{width}}  {account.role:<10}  {account.what}")
    return lines


def _summary(
    seed: int,
    counts: dict[str, int],
    org_plan: organizations.OrgPlan,
    people: population.Population,
    seconds: float,
) -> str:
    """Figures a person checks at a glance, then the logins."""
    orgs = org_plan.orgs
    coops = sum(org["kind"] == "cooperative" for org in orgs)
    pending = sum(org["verified_at"] is None for org in orgs)
    suspended = sum(org["suspended_at"] is not None for org in orgs)
    n = counts["producer"]
    women = sum(g == "female" for g in people.producers["gender"]) / max(n, 1)
    area = np.bincount(people.farm_producer, weights=people.farms["productive_ha"], minlength=n)
    under_2 = float((area < 2).mean()) if n else 0.0
    cacao = [
        y
        for y, chain in zip(people.farms["yield_kg_ha"], people.farms["value_chain"], strict=True)
        if chain == "cacao" and y is not None
    ]
    cacao_mean = sum(cacao) / len(cacao) if cacao else 0.0
    logins = len(people.login_users["name"])
    return "\n".join(
        [
            f"Demo world built in {seconds:.1f} s (seed {seed}).",
            f"  organizations: {counts['organization']} ({coops} cooperatives; {pending} pending "
            f"verification, {suspended} suspended)",
            f"  users: {counts['user']:,} ({counts['user'] - logins} staff and demo accounts, "
            f"{logins:,} producers with their own login)",
            f"  producers: {n:,} ({women:.0%} women); farms: {counts['farm']:,}",
            f"  producers under 2 productive ha: {under_2:.1%}; mean cacao yield: "
            f"{cacao_mean:,.0f} kg/ha",
            f"  consents: {counts['consent']:,}; audit rows: {counts['audit_log']:,}",
            loans.summary(),
            *_accounts_lines(),
        ]
    )
