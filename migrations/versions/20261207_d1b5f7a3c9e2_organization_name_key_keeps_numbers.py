"""verified organizations' name keys keep their one-digit numbers

Revision ID: d1b5f7a3c9e2
Revises: c9e1f3a5b7d2
Create Date: 2026-12-07 20:30:00.000000

lookalikes.name_key dropped every one-character word, digits too: "Asociación Sector 1" and
"Asociación Sector 2" had the same key, so the second could not be verified. The key now
keeps digits; the verified organizations' stored keys are computed again (a key only gains
words, so no two distinct keys become equal).
"""

import sqlalchemy as sa
from alembic import op

from marketplace.organizations.lookalikes import unique_key

revision = "d1b5f7a3c9e2"
down_revision = "c9e1f3a5b7d2"
branch_labels = None
depends_on = None

organization = sa.table(
    "organization",
    sa.column("id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("verified_name_key", sa.String),
)


def upgrade():
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(organization.c.id, organization.c.name, organization.c.verified_name_key).where(
            organization.c.verified_name_key.is_not(None)
        )
    ).all()
    for row in rows:
        key = unique_key(row.name)[:160]
        if key != row.verified_name_key:
            connection.execute(
                organization.update()
                .where(organization.c.id == row.id)
                .values(verified_name_key=key)
            )


def downgrade():
    pass  # the old rule would give "Sector 1" and "Sector 2", both verified, one key
