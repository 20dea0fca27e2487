"""Producers of the demo world, their farms and consents, drawn with vectorised numpy.

Foreign keys are local row numbers (users: rows of the combined user list, staff first;
organizations: rows of the organization plan); ``build_world`` resolves them to ids.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from marketplace import gazetteer
from marketplace.demo import farms, people
from marketplace.demo.landscapes import LANDSCAPES
from marketplace.demo.organizations import DEMO_DOMAIN, OrgPlan

DAY = 86_400.0
FEMALE_SHARE = {"PE": 0.34, "MX": 0.33, "CO": 0.37}
# Women farm smaller plots. Mexico's Censo Agropecuario 2022 (INEGI, tabulados of July 2024):
# 19 % of production units led by a woman, 8.8 ha on average against 14.7 ha for men's (a
# ratio of 0.60). Peru's IV CENAGRO 2012 counts women as about 31 % of producers, on smaller
# units, and Colombia's CNA 2014 finds women-led units concentrated under 5 ha; the demo
# takes Mexico's measured ratio for all three (an assumption where not measured).
FEMALE_AREA_RATIO = 0.60
INDEPENDENT_SHARE = 0.07  # producers outside any cooperative (they registered themselves)
MEMBER_LOGIN_SHARE = 0.035  # cooperative members with a login of their own
PHONE_SHARE = 0.5
# Of the producers with a phone, those who agreed to SMS notices, and (fewer) to WhatsApp.
# Chosen by the phone's last two digits rather than drawn, so that the rest of the world is
# drawn as before.
SMS_OPT_IN_PCT = 35
WHATSAPP_OPT_IN_PCT = 10
SECOND_FARM_SHARE = 0.15
CONSENT_P = {"lenders": (0.80, 0.03), "buyers": (0.50, 0.02)}  # (granted, revoked)

# The demo producer: a complete profile with two cacao farms in Juanjuí.
DEMO_PRODUCER = {
    "first_name": "Rosa Elvira",
    "last_name": "Tapullima Sangama",
    "gender": "female",
    "birth_year": 1979,
    "phone": "+51942517380",
    "country": "PE",
    "national_id": "41872356",
}
DEMO_FARMS = (
    {
        "name": "Chacra El Cacaotal",
        "district_code": "220601",
        "lat": -7.161944,
        "lon": -76.741389,
        "total_ha": 6.5,
        "productive_ha": 4.2,
        "forest_ha": 1.6,
        "value_chain": "cacao",
        "yield_kg_ha": 820.0,
        "plant_age_years": 9,
        "agroforestry": True,
        "certifications": ["organic", "fairtrade"],
        "tenure": "title",
        "land_title": True,
        "cleared_after_cutoff": "no",
    },
    {
        "name": "Parcela Santa Rosa",
        "district_code": "220601",
        "lat": -7.195278,
        "lon": -76.703611,
        "total_ha": 2.4,
        "productive_ha": 1.5,
        "forest_ha": 0.6,
        "value_chain": "cacao",
        "yield_kg_ha": 540.0,
        "plant_age_years": 3,
        "agroforestry": True,
        "certifications": ["organic"],
        "tenure": "possession",
        "land_title": True,
        "cleared_after_cutoff": "no",
    },
)


@dataclass
class Population:
    """Column lists/arrays for producers, their login users, farms and consents."""

    producers: dict[str, list] = field(default_factory=dict)
    producer_user: np.ndarray | None = None  # local user row or -1
    producer_coop: np.ndarray | None = None  # local organization row or -1
    producer_registrar: np.ndarray | None = None  # local user row
    login_users: dict[str, list] = field(default_factory=dict)
    farms: dict[str, list] = field(default_factory=dict)
    farm_producer: np.ndarray | None = None
    consents: dict[str, list] = field(default_factory=dict)
    consent_producer: np.ndarray | None = None
    consent_actor: np.ndarray | None = None
    earlier_grant: list = field(default_factory=list)  # revoked consents: when first granted


def _district(code: str, country: str) -> gazetteer.District:
    district = gazetteer.get_district(country, code)
    if district is None or not district.has_coordinates:
        raise LookupError(f"demo landscape district {country}-{code} missing from gazetteer")
    return district


def _times(anchor: datetime, seconds_before: np.ndarray) -> list[datetime]:
    return [anchor - timedelta(seconds=s) for s in np.round(seconds_before).tolist()]


def _people(
    rng: np.random.Generator, land: np.ndarray, taken: dict[str, set[str]], anchor: datetime
) -> dict[str, list]:
    """Names, gender, birth year, national id of each producer (landscape by landscape)."""
    n = len(land)
    country = np.array([ls.country for ls in LANDSCAPES])[land]
    u = rng.random(n)
    p_female = np.select([country == cc for cc in FEMALE_SHARE], list(FEMALE_SHARE.values()))
    female = u < p_female
    gender = np.where(
        female, "female", np.where(u < 0.994, "male", np.where(u < 0.997, "other", "undisclosed"))
    )
    named_female = female | ((~female) & (u >= 0.994) & (rng.random(n) < 0.5))
    age = np.clip(np.round(rng.normal(47, 12.5, n)), 18, 82).astype(int)
    birth_year = anchor.year - age
    first: list[str] = [""] * n
    last: list[tuple[str, str]] = [("", "")] * n
    national: list[str] = [""] * n
    for li, ls in enumerate(LANDSCAPES):
        rows = np.flatnonzero(land == li)
        if not len(rows):
            continue
        names = people.given_names(rng, ls.country, named_female[rows])
        pool = people.pool_for(ls.surnames)
        pairs = zip(
            people.choose(rng, pool, len(rows)), people.choose(rng, pool, len(rows)), strict=True
        )
        for row, name, pair in zip(rows.tolist(), names, pairs, strict=True):
            first[row], last[row] = name, pair
    for cc in ("PE", "CO", "MX"):
        rows = np.flatnonzero(country == cc)
        ids_taken = taken["national_id:" + cc]
        if cc == "PE":
            values = people.dnis(rng, len(rows), ids_taken)
        elif cc == "CO":
            values = people.cedulas(rng, birth_year[rows], ids_taken)
        else:
            states = [LANDSCAPES[li].curp_state for li in land[rows].tolist()]
            values = people.curps(
                rng,
                [first[r] for r in rows],
                [last[r] for r in rows],
                birth_year[rows],
                named_female[rows],
                states,
                ids_taken,
            )
        for row, value in zip(rows.tolist(), values, strict=True):
            national[row] = value
    return {
        "first_name": first,
        "last_name": [f"{p} {m}" for p, m in last],
        "gender": gender.tolist(),
        "birth_year": birth_year.tolist(),
        "country": country.tolist(),
        "national_id": national,
    }


def _weights(rng: np.random.Generator, k: int) -> np.ndarray:
    return rng.dirichlet(np.full(k, 3.0)) if k > 1 else np.ones(1)


def plan(
    rng: np.random.Generator,
    n: int,
    orgs: OrgPlan,
    taken: dict[str, set[str]],
    anchor: datetime,
    password_hash: str,
) -> Population:
    """Draw `n` producers (plus the demo producer, row 0) and everything that hangs on them."""
    demo = dict(DEMO_PRODUCER)
    if demo["national_id"] in taken["national_id:PE"]:  # a real producer has it already
        demo["national_id"] = people.dnis(rng, 1, taken["national_id:PE"])[0]
    taken["national_id:PE"].add(demo["national_id"])
    taken["phone"].add(demo["phone"])
    shares = np.array([ls.share for ls in LANDSCAPES])
    land = rng.choice(len(LANDSCAPES), n, p=shares / shares.sum())
    who = _people(rng, land, taken, anchor)
    country = np.asarray(who["country"], dtype="<U2")

    # Cooperative, technician, login.
    member = rng.random(n) >= INDEPENDENT_SHARE
    coop = np.full(n, -1)
    for li in range(len(LANDSCAPES)):
        rows = np.flatnonzero(land == li)
        options = orgs.coops_by_landscape[li]
        coop[rows] = np.asarray(options)[
            rng.choice(len(options), len(rows), p=_weights(rng, len(options)))
        ]
    coop = np.where(member, coop, -1)
    login = ~member | (rng.random(n) < MEMBER_LOGIN_SHARE)
    has_phone = login | (rng.random(n) < PHONE_SHARE)
    pick = rng.random(n)
    technician = np.full(n, -1)
    for c in np.unique(coop[coop >= 0]).tolist():
        rows = np.flatnonzero(coop == c)
        techs = np.asarray(orgs.coops[c].technicians)
        technician[rows] = techs[(pick[rows] * len(techs)).astype(int)]
    phone: list[str | None] = [None] * n
    for cc in ("PE", "CO", "MX"):
        rows = np.flatnonzero((country == cc) & has_phone)
        for row, value in zip(
            rows.tolist(), people.phones(rng, cc, len(rows), taken["phone"]), strict=True
        ):
            phone[row] = value
    # Registered over the last 18 months (after every organization and technician).
    created_s = np.sort(rng.uniform(1, 540, n) * DAY)[::-1]
    created = _times(anchor, created_s)

    # Row 0 is the demo producer; random producers follow, oldest first.
    pop = Population()
    tecnico = orgs.demo_users[f"tecnico@{DEMO_DOMAIN}"]
    demo_coop_org = orgs.users[tecnico]["org"]  # she belongs to the demo technician's coop
    staff = len(orgs.users)
    login_rows = np.flatnonzero(login)
    user_local = np.full(n, -1)
    user_local[login_rows] = staff + np.arange(len(login_rows))
    demo_created = anchor - timedelta(days=400)
    pop.producer_user = np.concatenate([[orgs.demo_users[f"productora@{DEMO_DOMAIN}"]], user_local])
    coop_org = np.where(coop >= 0, np.array([c.org for c in orgs.coops])[coop], -1)
    pop.producer_coop = np.concatenate([[demo_coop_org], coop_org]).astype(np.int64)
    pop.producer_registrar = np.concatenate([[tecnico], np.where(member, technician, user_local)])
    pop.producers = {key: [demo[key], *who[key]] for key in who}
    pop.producers["phone"] = [demo["phone"], *phone]
    tail = [int(p[-2:]) if p else 100 for p in phone]
    pop.producers["sms_opt_in"] = [True, *(t < SMS_OPT_IN_PCT for t in tail)]
    pop.producers["whatsapp_opt_in"] = [False, *(t < WHATSAPP_OPT_IN_PCT for t in tail)]
    pop.producers["message_locale"] = ["es"] * (len(phone) + 1)
    pop.producers["created_at"] = [demo_created, *created]
    pop.producers["updated_at"] = pop.producers["created_at"]
    pop.login_users = {
        "name": [f"{who['first_name'][r]} {who['last_name'][r]}" for r in login_rows.tolist()],
        "email": [None] * len(login_rows),
        "phone": [phone[r] for r in login_rows.tolist()],
        "password_hash": [password_hash] * len(login_rows),
        "role": ["producer"] * len(login_rows),
        "locale": ["es"] * len(login_rows),
        "country": country[login_rows].tolist(),
        "organization_id": [None] * len(login_rows),
        "active": [True] * len(login_rows),
        "created_at": [created[r] for r in login_rows.tolist()],
        "last_login_at": [None] * len(login_rows),
    }
    _plan_farms(rng, pop, land, coop, member, created_s, anchor, orgs)
    actor = pop.producer_registrar
    _plan_consents(rng, pop, actor, created_s, anchor)
    return pop


def _plan_farms(
    rng: np.random.Generator,
    pop: Population,
    land: np.ndarray,
    coop: np.ndarray,
    member: np.ndarray,
    created_s: np.ndarray,
    anchor: datetime,
    orgs: OrgPlan,
) -> None:
    n = len(land)
    female = np.asarray(pop.producers["gender"][1:]) == "female"  # row 0: the demo producer
    area = farms.producer_areas(rng, n, np.where(female, FEMALE_AREA_RATIO, 1.0))
    two = rng.random(n) < SECOND_FARM_SHARE
    owner = np.concatenate([np.arange(n), np.flatnonzero(two)])
    second = np.concatenate([np.zeros(n, bool), np.ones(int(two.sum()), bool)])
    split = rng.uniform(0.55, 0.85, n)
    productive = np.where(
        second, (area * (1 - split))[owner], np.where(two, area * split, area)[owner]
    )
    fl = land[owner]
    m = len(owner)
    chain = np.empty(m, dtype="<U10")
    code = np.empty(m, dtype="<U10")
    for li, ls in enumerate(LANDSCAPES):
        rows = np.flatnonzero(fl == li)
        names = np.array([c for c, _ in ls.chains])
        p = np.array([w for _, w in ls.chains])
        chain[rows] = names[rng.choice(len(names), len(rows), p=p / p.sum())]
        codes = np.array(ls.districts)
        code[rows] = codes[rng.choice(len(codes), len(rows), p=_weights(rng, len(codes)))]
    # Second farms: mostly the same chain and district as the first, sometimes timber.
    firsts = owner[second]  # first farm of a producer has row == producer row
    same_chain = rng.random(len(firsts)) < 0.65
    other = rng.random(len(firsts))
    alt = np.where(other < 0.1, "madera", np.where(other < 0.15, "ecoturismo", chain[second]))
    chain[second] = np.where(same_chain, chain[firsts], alt)
    same_place = rng.random(len(firsts)) < 0.7
    code[second] = np.where(same_place, code[firsts], code[second])

    fcountry = np.array([ls.country for ls in LANDSCAPES])[fl]
    seats = {
        (c, k): _district(k, c) for c, k in set(zip(fcountry.tolist(), code.tolist(), strict=True))
    }
    places = [seats[(c, k)] for c, k in zip(fcountry.tolist(), code.tolist(), strict=True)]
    coop_sets = [
        orgs.coops[coop[o]].certifications.get(ch, ()) if coop[o] >= 0 else ()
        for o, ch in zip(owner.tolist(), chain.tolist(), strict=True)
    ]
    cols = farms.draw_farms(
        rng,
        chain=chain,
        country=fcountry,
        productive=productive,
        seat_lat=np.array([d.lat for d in places]),
        seat_lon=np.array([d.lon for d in places]),
        coop_sets=coop_sets,
        member=member[owner],
    )
    # Farms are added after their owner, within 20 days (second farms up to 90 days later).
    delay = np.where(second, rng.uniform(1, 90, m), rng.uniform(0, 20, m)) * DAY
    when = _times(anchor, created_s[owner] * (1 - np.minimum(delay / created_s[owner], 0.9)))
    demo = {key: [f[key] for f in DEMO_FARMS] for key in DEMO_FARMS[0]}
    pop.farm_producer = np.concatenate([[0, 0], owner + 1])
    pop.farms = {key: [*demo.get(key, [None, None]), *cols[key]] for key in cols}
    pop.farms["district_code"] = [*demo["district_code"], *code.tolist()]
    pop.farms["country"] = ["PE", "PE", *fcountry.tolist()]
    juanjui = _district("220601", "PE")
    pop.farms["region"] = [juanjui.region, juanjui.region, *(d.region for d in places)]
    lat, lon = DEMO_FARMS[0]["lat"], DEMO_FARMS[0]["lon"]
    pop.farms["polygon_geojson"][0] = farms.polygons(
        np.array([lat]),
        np.array([lon]),
        np.array([6.5]),
        np.array([[1.0, 1.1, 0.9, 1.0, 1.05, 0.95]]),
        np.array([0.3]),
    )[0]
    demo_when = pop.producers["created_at"][0]
    pop.farms["created_at"] = [demo_when + timedelta(days=2), demo_when + timedelta(days=9), *when]
    pop.farms["updated_at"] = pop.farms["created_at"]


def _plan_consents(
    rng: np.random.Generator,
    pop: Population,
    actor: np.ndarray,
    created_s: np.ndarray,
    anchor: datetime,
) -> None:
    n = len(created_s)
    producer_rows, actors, scopes, granted, changed, revoked = [], [], [], [], [], []
    for scope, (p_granted, p_revoked) in CONSENT_P.items():
        u = rng.random(n)
        after = rng.uniform(0, 3, n) * DAY  # at registration or in the next days
        later = rng.uniform(0.1, 0.8, n)  # revoked after this share of the time since granting
        decided = np.flatnonzero(u < p_granted + p_revoked)
        is_revoked = u[decided] >= p_granted
        granted_s = created_s[decided] - np.minimum(after[decided], 0.5 * created_s[decided])
        revoked_s = granted_s * later[decided]
        producer_rows.append(np.concatenate([[0], decided + 1]))
        actors.append(np.concatenate([[actor[0]], actor[decided + 1]]))
        scopes += [scope] * (len(decided) + 1)
        granted.append(np.concatenate([[True], ~is_revoked]))
        changed.append(np.concatenate([[-1.0], np.where(is_revoked, revoked_s, granted_s)]))
        revoked.append(np.concatenate([[-1.0], np.where(is_revoked, granted_s, -1.0)]))
    pop.consent_producer = np.concatenate(producer_rows)
    pop.consent_actor = np.concatenate(actors)
    changed_s = np.concatenate(changed)
    first_s = np.concatenate(revoked)
    demo_at = pop.producers["created_at"][0] + timedelta(hours=2)
    pop.consents = {
        "scope": scopes,
        "granted": np.concatenate(granted).tolist(),
        "changed_at": [
            demo_at if s < 0 else anchor - timedelta(seconds=s)
            for s in np.round(changed_s).tolist()
        ],
    }
    # For revoked consents, when it had first been granted (the audit log keeps both).
    pop.earlier_grant = [
        None if s < 0 else anchor - timedelta(seconds=s) for s in np.round(first_s).tolist()
    ]
