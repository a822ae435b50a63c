"""Tables of anonymous pulse surveys.

Answers carry no user id and no time: who was asked and how far they got is kept apart in
`pulse_participants`, with nothing linking a participant to an answer. An answer keeps the
faculty and course only if the student gave them (/faculty).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, utcnow


class PulseSurvey(Base):
    """A short survey (3–8 questions, both languages) that admins send to students."""

    __tablename__ = "pulse_surveys"
    # Survey numbers are shown to admins and carried by buttons: never reused.
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title_kk: Mapped[str] = mapped_column(String(200))
    title_ru: Mapped[str] = mapped_column(String(200))
    # draft -> sending (recipients listed, being sent) -> sent
    status: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class PulseQuestion(Base):
    __tablename__ = "pulse_questions"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))  # "likert" (1–5) or "choice"
    text_kk: Mapped[str] = mapped_column(Text)
    text_ru: Mapped[str] = mapped_column(Text)
    # For "choice": [{"kk": ..., "ru": ...}, ...]; the answer is the option's number from 1.
    options: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class PulseParticipant(Base):
    """One student asked: delivery status and how many questions they answered, never what."""

    __tablename__ = "pulse_participants"

    survey_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_surveys.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, index=True
    )
    # pending -> claimed (being sent) -> sent | blocked | failed | skipped
    status: Mapped[str] = mapped_column(String(16), default="pending")
    answered: Mapped[int] = mapped_column(Integer, default=0)
    reminded: Mapped[bool] = mapped_column(default=False)


class PulseAnswer(Base):
    """One answer to one question, with no link to who gave it."""

    __tablename__ = "pulse_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("pulse_surveys.id", ondelete="CASCADE"), index=True
    )
    question_id: Mapped[int] = mapped_column(ForeignKey("pulse_questions.id", ondelete="CASCADE"))
    value: Mapped[int] = mapped_column(Integer)
    faculty: Mapped[str | None] = mapped_column(String(120))
    course: Mapped[int | None] = mapped_column(Integer)
