"""Tables of self-check quizzes: one quiz per learning material and students' attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, utcnow


class Quiz(Base):
    """A material's self-check quiz. Questions are kept as one JSON list (the YAML shape) so
    that an attempt can take a snapshot of exactly what the student is shown; every change
    bumps `version`."""

    __tablename__ = "quizzes"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    material_pk: Mapped[int] = mapped_column(
        ForeignKey("learning_materials.pk", ondelete="CASCADE"), unique=True
    )
    pass_percent: Mapped[int] = mapped_column(Integer, default=60)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(BigInteger)


class QuizAttempt(Base):
    """One run through a quiz by a student, over a snapshot of its questions.

    `position` is the question being answered; answering moves it on only if it still is the
    same question (compare-and-set), so a double click is counted once.
    """

    __tablename__ = "quiz_attempts"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(BigInteger, index=True)
    quiz_version: Mapped[int] = mapped_column(Integer)
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    pass_percent: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Options ticked so far in a multiple-choice question that is not yet checked.
    selected: Mapped[list[int]] = mapped_column(JSON, default=list)
    answers: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    correct: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="active")
    score_percent: Mapped[int | None] = mapped_column(Integer)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
