"""knowledge-base provenance (tags, source, review dates) and the monthly review reminder

Revision ID: i10_kb_provenance
Revises: 0004
Create Date: 2026-12-02 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i10_kb_provenance"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tags", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("source", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("reviewed", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("review_every", sa.Integer(), nullable=True))
    op.execute("UPDATE faq_entries SET tags = '[]'")
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.alter_column("tags", existing_type=sa.JSON(), nullable=False)
    op.create_table(
        "kb_review_reminders",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("overdue", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_kb_review_reminders")),
    )


def downgrade() -> None:
    op.drop_table("kb_review_reminders")
    with op.batch_alter_table("faq_entries", schema=None) as batch_op:
        batch_op.drop_column("review_every")
        batch_op.drop_column("reviewed")
        batch_op.drop_column("source")
        batch_op.drop_column("tags")
