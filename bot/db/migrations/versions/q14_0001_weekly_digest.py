"""weekly early-warning digest: the weeks sent; a student's optional faculty and course

Revision ID: q14_0001
Revises: i14_0001
Create Date: 2026-12-02 10:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "q14_0001"
down_revision: str | None = "i14_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "weekly_digests",
        sa.Column("week", sa.String(length=8), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("week", name=op.f("pk_weekly_digests")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("faculty", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("course", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("course")
        batch_op.drop_column("faculty")
    op.drop_table("weekly_digests")
