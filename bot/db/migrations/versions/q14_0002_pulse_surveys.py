"""anonymous pulse surveys: surveys, questions, participants (no link to answers), answers

Revision ID: q14_0002
Revises: q14_0001
Create Date: 2026-12-02 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "q14_0002"
down_revision: str | None = "q14_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pulse_surveys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title_kk", sa.String(length=200), nullable=False),
        sa.Column("title_ru", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_surveys")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("pulse_surveys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pulse_surveys_status"), ["status"], unique=False)
    op.create_table(
        "pulse_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("text_kk", sa.Text(), nullable=False),
        sa.Column("text_ru", sa.Text(), nullable=False),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["pulse_surveys.id"],
            name=op.f("fk_pulse_questions_survey_id_pulse_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_questions")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("pulse_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pulse_questions_survey_id"), ["survey_id"], unique=False
        )
    op.create_table(
        "pulse_participants",
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("reminded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["pulse_surveys.id"],
            name=op.f("fk_pulse_participants_survey_id_pulse_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("survey_id", "user_id", name=op.f("pk_pulse_participants")),
    )
    with op.batch_alter_table("pulse_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pulse_participants_user_id"), ["user_id"], unique=False
        )
    op.create_table(
        "pulse_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("survey_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("faculty", sa.String(length=120), nullable=True),
        sa.Column("course", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["pulse_questions.id"],
            name=op.f("fk_pulse_answers_question_id_pulse_questions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["survey_id"],
            ["pulse_surveys.id"],
            name=op.f("fk_pulse_answers_survey_id_pulse_surveys"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pulse_answers")),
    )
    with op.batch_alter_table("pulse_answers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pulse_answers_survey_id"), ["survey_id"], unique=False)


def downgrade() -> None:
    op.drop_table("pulse_answers")
    op.drop_table("pulse_participants")
    op.drop_table("pulse_questions")
    op.drop_table("pulse_surveys")
