"""curator assist: knowledge-base answers curators sent with one tap

Revision ID: i14_0001
Revises: 0003
Create Date: 2026-12-02 07:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "i14_0001"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "curator_faq_sends",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_pk", sa.Integer(), nullable=True),
        sa.Column("entry_slug", sa.String(length=80), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("curator_id", sa.BigInteger(), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultations.id"],
            name=op.f("fk_curator_faq_sends_consultation_id_consultations"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["entry_pk"],
            ["faq_entries.pk"],
            name=op.f("fk_curator_faq_sends_entry_pk_faq_entries"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_curator_faq_sends")),
    )
    with op.batch_alter_table("curator_faq_sends", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_curator_faq_sends_entry_pk"), ["entry_pk"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("curator_faq_sends", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_curator_faq_sends_entry_pk"))
    op.drop_table("curator_faq_sends")
