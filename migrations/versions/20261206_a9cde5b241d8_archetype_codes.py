"""archetypes stored as codes, not Spanish names

Revision ID: a9cde5b241d8
Revises: 03fd2a76d4be
Create Date: 2026-12-06 03:30:00.000000

The matching library used to name archetypes in Spanish ("Emergente independiente (café),
mayor rendimiento 2"); it now returns codes ("emerging_independent:cafe:high:2") that the
app words in the viewer's language. This rewrites what earlier runs stored:

- assessment.archetype;
- matching_run.state[<country>]["archetypes"][i]["archetype"] (the next run's `previous`,
  which keeps codes stable between runs);
- the keys of matching_run.metrics["match_rate_by_archetype"], at the top and per country.

A name is read by the naming rules as they were: a type name, then optionally
" (<value chain>)", ", mayor rendimiento" or ", menor rendimiento", and " <number>". A value
that does not read that way (one typed by hand, say) is left as it is: the app shows an
unknown code as stored, and the next run keeps it for the type it matches. The downgrade
writes the Spanish names back from the codes (the same rules backwards) and leaves other
values alone.

The rules are copied here, not imported: a migration must keep working when the code moves on.
"""

import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "a9cde5b241d8"
down_revision = "03fd2a76d4be"
branch_labels = None
depends_on = None

TYPE_NAMES = {
    "subsistence": "Subsistencia / en transición",
    "agroforestry": "Diversificado agroforestal",
    "certified": "Certificado especializado",
    "consolidated_associated": "Consolidado asociado",
    "consolidated_independent": "Consolidado independiente",
    "emerging_associated": "Emergente asociado",
    "emerging_independent": "Emergente independiente",
}
CHAIN_NAMES = {
    "cacao": "cacao",
    "cafe": "café",
    "miel": "miel",
    "ganaderia": "ganadería",
    "madera": "madera",
    "ecoturismo": "ecoturismo",
}
RANK_NAMES = {"high": ", mayor rendimiento", "low": ", menor rendimiento"}
# what may follow a type name: " (chain)", ", mayor|menor rendimiento", " n"
SUFFIX = re.compile(
    r"(?: \((?P<chain>[^()]+)\))?(?:, (?P<rank>mayor|menor) rendimiento)?(?: (?P<n>\d+))?"
)

assessment = sa.table("assessment", sa.column("archetype", sa.String))
matching_run = sa.table(
    "matching_run",
    sa.column("id", sa.Integer),
    sa.column("state", sa.JSON),
    sa.column("metrics", sa.JSON),
)


def name_to_code(name):
    """The code of a name the old rules gave; any other value unchanged."""
    if not isinstance(name, str):
        return name
    for code, type_name in TYPE_NAMES.items():
        if not name.startswith(type_name):
            continue
        found = SUFFIX.fullmatch(name[len(type_name) :])
        if found is None:
            continue
        parts = [code]
        chain = found["chain"]
        if chain is not None:
            codes = {label: chain_code for chain_code, label in CHAIN_NAMES.items()}
            if chain not in codes and not re.fullmatch(r"[a-z_]+", chain):
                return name  # not a value chain the rules could have written
            parts.append(codes.get(chain, chain))
        if found["rank"] is not None:
            parts.append("high" if found["rank"] == "mayor" else "low")
        if found["n"] is not None:
            parts.append(found["n"])
        return ":".join(parts)
    return name


def code_to_name(code):
    """The Spanish name of a code (what the old rules gave); any other value unchanged."""
    if not isinstance(code, str):
        return code
    kind, *rest = code.split(":")
    if kind not in TYPE_NAMES:
        return code
    name, rank, number = TYPE_NAMES[kind], "", ""
    for part in rest:
        if part.isdigit():
            number = f" {part}"
        elif part in RANK_NAMES:
            rank = RANK_NAMES[part]
        else:
            name += f" ({CHAIN_NAMES.get(part, part)})"
    return name + rank + number


def _rates(rates, convert):
    if not isinstance(rates, dict):
        return rates
    return {convert(key): value for key, value in rates.items()}


def _metrics(metrics, convert):
    if not isinstance(metrics, dict):
        return metrics
    out = dict(metrics)
    if "match_rate_by_archetype" in out:
        out["match_rate_by_archetype"] = _rates(out["match_rate_by_archetype"], convert)
    countries = out.get("countries")
    if isinstance(countries, dict):
        out["countries"] = {
            country: _metrics(figures, convert) for country, figures in countries.items()
        }
    return out


def _state(state, convert):
    if not isinstance(state, dict):
        return state
    out = {}
    for country, stored in state.items():
        if isinstance(stored, dict) and isinstance(stored.get("archetypes"), list):
            stored = dict(stored)
            stored["archetypes"] = [
                {**row, "archetype": convert(row.get("archetype"))}
                if isinstance(row, dict) and "archetype" in row
                else row
                for row in stored["archetypes"]
            ]
        out[country] = stored
    return out


def _rewrite(convert):
    bind = op.get_bind()
    stored = bind.execute(sa.select(assessment.c.archetype).distinct()).scalars().all()
    for value in stored:
        new = convert(value)
        if new != value:
            bind.execute(
                assessment.update().where(assessment.c.archetype == value).values(archetype=new)
            )
    runs = bind.execute(
        sa.select(matching_run.c.id, matching_run.c.state, matching_run.c.metrics)
    ).all()
    for run_id, state, metrics in runs:
        new_state, new_metrics = _state(state, convert), _metrics(metrics, convert)
        if new_state != state or new_metrics != metrics:
            bind.execute(
                matching_run.update()
                .where(matching_run.c.id == run_id)
                .values(state=new_state, metrics=new_metrics)
            )


def upgrade():
    _rewrite(name_to_code)


def downgrade():
    _rewrite(code_to_name)
