"""Organizations of the demo world, their staff, and the fixed demo accounts.

Rows are planned with local row numbers standing in for foreign keys; ``build_world``
reserves the primary keys and resolves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from marketplace import tax_ids
from marketplace.demo import people
from marketplace.demo.landscapes import COOP_CERTIFICATIONS, LANDSCAPES, ORGANIZATIONS
from marketplace.organizations import lookalikes

DEMO_PASSWORD = "minka-demo-2026"
DEMO_DOMAIN = "minka.demo"
ADMIN_EMAIL = f"admin@{DEMO_DOMAIN}"


@dataclass(frozen=True)
class DemoAccount:
    """A fixed login of the demo world, one per role."""

    email: str
    role: str
    name: str
    country: str | None
    org_key: str | None  # OrgSpec.key, or "coop:<landscape key>:<n from 1>"
    what: str  # shown in the summary


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount(
        ADMIN_EMAIL,
        "admin",
        "Equipo Minka (administración)",
        None,
        None,
        "admin: organizations to verify, audit log",
    ),
    DemoAccount(
        f"productora@{DEMO_DOMAIN}",
        "producer",
        "Rosa Elvira Tapullima Sangama",
        "PE",
        None,
        "cacao producer, 2 farms in Juanjuí (San Martín)",
    ),
    DemoAccount(
        f"tecnico@{DEMO_DOMAIN}",
        "technician",
        "Julio César Panaifo Ríos",
        "PE",
        "coop:huallaga-central:2",
        "technician of a San Martín cooperative",
    ),
    DemoAccount(
        f"proveedor@{DEMO_DOMAIN}",
        "supplier",
        "Milagros Del Águila Pinedo",
        "PE",
        "elhuallaga",
        "input supplier (verified)",
    ),
    DemoAccount(
        f"comprador@{DEMO_DOMAIN}",
        "buyer",
        "Diego Ferreyra Salas",
        "PE",
        "chocoandino",
        "buyer: chocolate maker and exporter (verified)",
    ),
    DemoAccount(
        f"caja@{DEMO_DOMAIN}",
        "lender",
        "Karina Vásquez Tuanama",
        "PE",
        "selvaalta",
        "lender: caja municipal (verified)",
    ),
)
STAFF_ROLE = {
    "supplier": "supplier",
    "ta_provider": "supplier",
    "buyer": "buyer",
    "lender": "lender",
    "cooperative": "technician",
}


@dataclass
class Coop:
    """A cooperative: its landscape, its row, its technicians and certifications by chain."""

    landscape: int
    org: int  # local organization row
    technicians: list[int] = field(default_factory=list)  # local user rows
    certifications: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass
class OrgPlan:
    """Organizations and staff users, with local row numbers for foreign keys."""

    orgs: list[dict] = field(default_factory=list)
    users: list[dict] = field(default_factory=list)  # "org" holds a local org row or -1
    coops: list[Coop] = field(default_factory=list)
    coops_by_landscape: list[list[int]] = field(default_factory=list)
    demo_users: dict[str, int] = field(default_factory=dict)  # e-mail -> local user row
    verifications: list[tuple[int, datetime, str]] = field(default_factory=list)


def _join_codes(rng: np.random.Generator, n: int, taken: set[str]) -> list[str]:
    taken_ints = {int(code, 16) for code in taken if len(code) == 8 and _is_hex(code)}
    return [f"{v:08X}" for v in people.unique_ints(rng, 0x10000000, 2**32, n, taken_ints)]


_RFC_HOMOCLAVE = "ABCDEFGHJKLMNPRSTUVWXYZ123456789"


def _tax_id(country: str, i: int, created: datetime) -> str:
    """A tax id of the right form with a valid check digit, different for every organization:
    a company's RUC (prefix 20), a NIT of the 900 series, a persona moral's RFC whose date is
    the organization's founding."""
    if country == "PE":
        return tax_ids.with_check_digit("PE", f"20{48_100_000 + 7_919 * i:08d}")
    if country == "CO":
        return tax_ids.with_check_digit("CO", f"{901_200_000 + 7_919 * i}")
    letters = "".join(chr(ord("A") + (i // 26**k) % 26) for k in (2, 1, 0))
    n = len(_RFC_HOMOCLAVE)
    homoclave = _RFC_HOMOCLAVE[i % n] + _RFC_HOMOCLAVE[(i // n) % n]
    return tax_ids.with_check_digit("MX", f"M{letters[1:]}{created:%y%m%d}{homoclave}")


def _is_hex(text: str) -> bool:
    return all(c in "0123456789ABCDEFabcdef" for c in text)


def _person(rng: np.random.Generator, country: str, pools: tuple[str, ...]) -> tuple[str, str]:
    female = rng.random(1) < 0.5
    first = people.given_names(rng, country, female)[0]
    pool = people.pool_for(pools)
    paterno, materno = people.choose(rng, pool, 2)
    return first, f"{paterno} {materno}"


def _email(first: str, last: str, domain: str, taken: set[str]) -> str:
    local = f"{people.slug(first.split()[0])}.{people.slug(last.split()[0])}"
    email, k = f"{local}@{domain}", 1
    while email in taken:
        k += 1
        email = f"{local}{k}@{domain}"
    taken.add(email)
    return email


def plan(
    rng: np.random.Generator, anchor: datetime, password_hash: str, taken: dict[str, set[str]]
) -> OrgPlan:
    """Cooperatives per landscape, suppliers, TA providers, buyers, lenders and their staff."""
    result = OrgPlan()
    emails = taken["email"]
    # (key, name, kind, country, status, surname pools of its staff)
    specs: list[tuple[str, str, str, str, str, tuple[str, ...]]] = []
    for li, land in enumerate(LANDSCAPES):
        result.coops_by_landscape.append([])
        for k, name in enumerate(land.cooperatives):
            specs.append(
                (
                    f"coop:{land.key}:{k + 1}",
                    name,
                    "cooperative",
                    land.country,
                    "verified",
                    land.surnames,
                )
            )
            certs = {}
            for chain, _ in land.chains:
                options = COOP_CERTIFICATIONS.get(chain, ((),))
                certified = rng.random() < 0.5
                certs[chain] = options[int(rng.integers(0, len(options)))] if certified else ()
            result.coops_by_landscape[li].append(len(result.coops))
            result.coops.append(Coop(li, len(specs) - 1, certifications=certs))
    pools = {
        "PE": ("pe_common", "pe_andes", "pe_amazon"),
        "MX": ("mx_common",),
        "CO": ("co_common",),
    }
    for spec in ORGANIZATIONS:
        specs.append(
            (spec.key, spec.name, spec.kind, spec.country, spec.status, pools[spec.country])
        )
    codes = _join_codes(rng, len(specs), taken["join_code"])
    index = {key: i for i, (key, *_rest) in enumerate(specs)}

    for i, (_key, name, kind, country, status, _pools) in enumerate(specs):
        created = anchor - timedelta(days=float(rng.uniform(620, 900)))
        verified = None
        if status != "pending":
            verified = created + timedelta(days=float(rng.uniform(1, 20)))
            result.verifications.append((i, verified, "organization.verified"))
        else:
            created = anchor - timedelta(days=float(rng.uniform(2, 15)))
        suspended = None
        if status == "suspended":
            suspended = anchor - timedelta(days=float(rng.uniform(20, 40)))
            result.verifications.append((i, suspended, "organization.suspended"))
        tax_id = _tax_id(country, i, created)
        result.orgs.append(
            {
                "name": name,
                "kind": kind,
                "country": country,
                "tax_id": tax_id,
                "verified_name_key": lookalikes.unique_key(name) if verified else None,
                "verified_tax_id": tax_id if verified else None,
                "join_code": codes[i],
                "verified_at": verified,
                "suspended_at": suspended,
                "created_at": created,
            }
        )

    def add_user(
        name: str, email: str, role: str, country: str | None, org: int, created: datetime
    ) -> int:
        result.users.append(
            {
                "name": name,
                "email": email,
                "phone": None,
                "password_hash": password_hash,
                "role": role,
                "locale": "es",
                "country": country,
                "org": org,
                "active": True,
                "created_at": created,
                "last_login_at": None,
            }
        )
        return len(result.users) - 1

    start = anchor - timedelta(days=950)
    for account in DEMO_ACCOUNTS:
        org = index[account.org_key] if account.org_key else -1
        created = start if org < 0 else result.orgs[org]["created_at"] + timedelta(hours=1)
        emails.add(account.email)
        result.demo_users[account.email] = add_user(
            account.name, account.email, account.role, account.country, org, created
        )
    coop_of_org = {coop.org: coop for coop in result.coops}
    tecnico = result.demo_users[f"tecnico@{DEMO_DOMAIN}"]
    coop_of_org[index["coop:huallaga-central:2"]].technicians.append(tecnico)
    holders = {a.org_key for a in DEMO_ACCOUNTS if a.org_key}

    for i, (key, _name, kind, country, _status, name_pools) in enumerate(specs):
        staff = int(rng.integers(1, 4)) if kind == "cooperative" else int(rng.integers(1, 3))
        staff -= key in holders
        domain = f"{key.replace('coop:', '').replace(':', '-')}.{DEMO_DOMAIN}"
        for _ in range(staff):
            first, last = _person(rng, country, name_pools)
            joined = result.orgs[i]["created_at"]
            age_days = (anchor - joined).total_seconds() / 86_400
            created = joined + timedelta(days=float(rng.uniform(0, min(60, 0.9 * age_days))))
            row = add_user(
                f"{first} {last}",
                _email(first, last, domain, emails),
                STAFF_ROLE[kind],
                country,
                i,
                created,
            )
            if kind == "cooperative":
                coop_of_org[i].technicians.append(row)
    return result
