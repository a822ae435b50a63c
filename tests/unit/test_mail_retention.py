"""Retention reaches the e-mail channel: a consultation that came by e-mail and finished
RETENTION_DAYS ago is anonymised like a deleted student's — no sender, no messages — and its
thread with the address is gone; recent and open ones are untouched."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.db.mail_models import MailThread
from bot.db.models import Consultation, ConsultationMessage, utcnow
from bot.factory import App
from bot.services.users import forget_old_mail_senders


async def by_mail(app: App, status: str, age_days: int) -> int:
    """An e-mail consultation `age_days` old (finished then, unless it is open)."""
    when = utcnow() - timedelta(days=age_days)
    async with app.session_factory() as session, session.begin():
        consultation = Consultation(
            student_id=None,
            student_name="Aigerim <aigerim@example.kz>",
            language="kk",
            area="other",
            answers=[],
            anonymous=False,
            status=status,
            created_at=when,
            closed_at=None if status in ("waiting", "active") else when,
        )
        session.add(consultation)
        await session.flush()
        session.add(
            ConsultationMessage(
                consultation_id=consultation.id, sender="student", kind="text", text="Сәлем"
            )
        )
        session.add(
            MailThread(
                consultation_id=consultation.id,
                address="aigerim@example.kz",
                subject="Сұрақ",
                message_ids=["<1@example.kz>"],
            )
        )
        return consultation.id


async def sender(app: App, case: int) -> tuple[str | None, str | None, int]:
    """The sender's name as curators see it, the thread's address, how many messages."""
    async with app.session_factory() as session:
        consultation = await session.get(Consultation, case)
        address = await session.scalar(
            select(MailThread.address).where(MailThread.consultation_id == case)
        )
        messages = await session.scalar(
            select(func.count())
            .select_from(ConsultationMessage)
            .where(ConsultationMessage.consultation_id == case)
        )
        assert consultation is not None
        return consultation.student_name, address, int(messages or 0)


async def test_only_long_finished_mail_consultations_lose_their_sender(app: App) -> None:
    old_closed = await by_mail(app, "closed", 400)
    old_cancelled = await by_mail(app, "cancelled", 400)
    recent = await by_mail(app, "closed", 10)
    still_open = await by_mail(app, "active", 400)
    async with app.session_factory() as session, session.begin():
        assert await forget_old_mail_senders(session, 365) == 2
    kept = ("Aigerim <aigerim@example.kz>", "aigerim@example.kz", 1)
    assert await sender(app, old_closed) == (None, None, 0)
    assert await sender(app, old_cancelled) == (None, None, 0)
    assert await sender(app, recent) == kept
    assert await sender(app, still_open) == kept
    # Nothing left to forget: a second pass changes nothing.
    async with app.session_factory() as session, session.begin():
        assert await forget_old_mail_senders(session, 365) == 0
