"""Organizations that look like another: the same or a very similar name, or the same tax id,
in the same country. A look-alike is how someone passes for a known cooperative, so the
admin who reviews an organization sees them, and no two verified ones share a name."""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher
from typing import NamedTuple

from sqlalchemy import select

from marketplace.extensions import db
from marketplace.models import Organization

SIMILAR_RATIO = 0.9
# Legal forms and generic words that do not tell two organizations apart (Peru: S.A.C.,
# E.I.R.L.; Mexico: S.C. de R.L. de C.V.; Colombia: S.A.S., Ltda.), with the connectors.
_NOISE = frozenset(
    {
        *("sa", "sac", "saa", "sas", "srl", "eirl", "sc", "rl", "cv", "ltda", "limitada", "spr"),
        *("sociedad", "anonima", "cerrada", "cooperativa", "coop", "cooperative", "asociacion"),
        *("de", "del", "la", "las", "los", "el", "y", "e"),
    }
)


def name_key(name: str) -> str:
    """The name without accents, case, punctuation, legal forms or connectors."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = re.sub(r"(?<=\b\w)\.", "", text)  # initials: "s.a.c." -> "sac", "r.l." -> "rl"
    words = re.findall(r"[a-z0-9&]+", text)
    return " ".join(
        word for word in words if word not in _NOISE and (len(word) > 1 or word.isdigit())
    )


def unique_key(name: str) -> str:
    """What must differ between two verified organizations of a country: the normalised
    words in alphabetical order."""
    return " ".join(sorted(name_key(name).split()))


def same_name(a: str, b: str) -> bool:
    """Equal once normalised, whatever the order of the words."""
    return unique_key(a) == unique_key(b)


def _similar_keys(key_a: str, key_b: str) -> bool:
    if not key_a or not key_b:
        return False
    if sorted(key_a.split()) == sorted(key_b.split()):
        return True
    matcher = SequenceMatcher(None, key_a, key_b)
    # the quick ratios are upper bounds of ratio(): most pairs stop there
    return (
        matcher.real_quick_ratio() >= SIMILAR_RATIO
        and matcher.quick_ratio() >= SIMILAR_RATIO
        and matcher.ratio() >= SIMILAR_RATIO
    )


def similar_names(a: str, b: str) -> bool:
    """The same name, or one a letter or two away (difflib ratio >= 0.9)."""
    return _similar_keys(name_key(a), name_key(b))


# --- the database side -----------------------------------------------------------------------


class Lookalike(NamedTuple):
    """Another organization of the same country, and what it shares with the reviewed one."""

    org: Organization
    similar_name: bool
    same_tax_id: bool


def lookalikes(org: Organization) -> list[Lookalike]:
    """Other organizations of the organization's country with a similar name or its tax id,
    verified ones first."""
    query = select(Organization).where(
        Organization.country == org.country, Organization.id != org.id
    )
    found = []
    for other in db.session.scalars(query.order_by(Organization.id)):
        similar = similar_names(org.name, other.name)
        same_tax = bool(org.tax_id) and other.tax_id == org.tax_id
        if similar or same_tax:
            found.append(Lookalike(other, similar, same_tax))
    return sorted(found, key=lambda item: (not item.org.verified, item.org.id))


def flagged(orgs: list[Organization]) -> set[int]:
    """Which of `orgs` (a page of the admin's list) have a look-alike, in one query."""
    countries = {org.country for org in orgs}
    if not countries:
        return set()
    query = select(Organization.id, Organization.country, Organization.name, Organization.tax_id)
    others = [
        (row.id, row.country, name_key(row.name), row.tax_id)
        for row in db.session.execute(query.where(Organization.country.in_(countries)))
    ]
    found = set()
    for org in orgs:
        key = name_key(org.name)
        for other_id, country, other_key, tax_id in others:
            if other_id == org.id or country != org.country:
                continue
            if (org.tax_id and tax_id == org.tax_id) or _similar_keys(key, other_key):
                found.add(org.id)
                break
    return found


def verified_twin(org: Organization) -> Organization | None:
    """A verified organization of the same country with the same name or tax id, if any."""
    query = select(Organization).where(
        Organization.country == org.country,
        Organization.id != org.id,
        Organization.verified_at.is_not(None),
    )
    for other in db.session.scalars(query.order_by(Organization.id)):
        if same_name(org.name, other.name) or (org.tax_id and other.tax_id == org.tax_id):
            return other
    return None
