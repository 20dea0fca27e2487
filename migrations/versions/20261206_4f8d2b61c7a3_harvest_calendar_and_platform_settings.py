"""harvest calendar an admin keeps; the usury ceiling as a platform setting

Revision ID: 4f8d2b61c7a3
Revises: e358261a6f67
Create Date: 2026-12-06 19:45:00.000000

The months harvest-paid loans are repaid in, by country and value chain, move from a
constant in the code to harvest_calendar, which an admin edits on the credit settings page.
It is seeded with the calendar the code used until now (a copy of
marketplace/credit/harvests.py's DEFAULT_CALENDAR: a migration does not import the app), so
every schedule stays as it was.

Colombia's usury ceiling is a platform_setting row (co_usury_ceiling) the admin writes from
the Superintendencia Financiera's monthly certification. No figure is seeded: an
invented one would refuse or allow real products; until the admin sets it nothing is
refused and the settings page says so.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "4f8d2b61c7a3"
down_revision = "e358261a6f67"
branch_labels = None
depends_on = None

# (country, value chain) -> the calendar months harvest money comes in: rough regional
# calendars, the month a season's sales are done
CALENDAR = {
    ("PE", "cacao"): [7, 12],  # main harvest Mar-Jul, second Oct-Dec (San Martín, Junín)
    ("PE", "cafe"): [8],  # Apr-Aug
    ("PE", "miel"): [11],
    ("PE", "ganaderia"): [6, 12],
    ("PE", "madera"): [9],
    ("PE", "ecoturismo"): [8],
    ("MX", "cacao"): [3, 6],  # Tabasco and Chiapas: Oct-Mar, then Apr-Jun
    ("MX", "cafe"): [3],  # Nov-Mar
    ("MX", "miel"): [5],  # Yucatán peninsula: Mar-May
    ("MX", "ganaderia"): [6, 12],
    ("MX", "madera"): [4],
    ("MX", "ecoturismo"): [4, 8],
    ("CO", "cacao"): [6, 12],
    ("CO", "cafe"): [6, 12],  # mitaca Apr-Jun, main harvest Oct-Dec
    ("CO", "miel"): [6, 12],
    ("CO", "ganaderia"): [6, 12],
    ("CO", "madera"): [9],
    ("CO", "ecoturismo"): [1, 7],
}


def upgrade():
    calendar = op.create_table(
        "harvest_calendar",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=False),
        sa.Column("value_chain", sa.String(length=20), nullable=False),
        sa.Column("months", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_harvest_calendar_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_harvest_calendar")),
        sa.UniqueConstraint(
            "country", "value_chain", name=op.f("uq_harvest_calendar_country_value_chain")
        ),
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        calendar,
        [
            {
                "country": country,
                "value_chain": chain,
                "months": months,
                "updated_at": now,
            }
            for (country, chain), months in CALENDAR.items()
        ],
    )


def downgrade():
    op.execute("DELETE FROM platform_setting WHERE key = 'co_usury_ceiling'")
    op.drop_table("harvest_calendar")
