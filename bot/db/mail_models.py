"""Tables of the e-mail channel: which consultation an e-mail thread belongs to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.db.models import Base, utcnow


class MailThread(Base):
    """An e-mail conversation that is a consultation: the sender's address (personal data,
    removed with the consultation's anonymisation), the subject and every Message-ID seen, so
    follow-ups and the curator's replies stay in one thread."""

    __tablename__ = "mail_threads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    address: Mapped[str | None] = mapped_column(String(320), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    message_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
