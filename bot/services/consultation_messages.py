"""A consultation's messages, cards and lists: what the student and the curator wrote, where
each was relayed, the curators' cards, the queue and each person's consultations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import (
    Consultation,
    ConsultationCard,
    ConsultationMessage,
    utcnow,
)
from bot.services.consultations import MAX_TEXT_CHARS, EventKind, Status, record_event


async def add_student_message(
    session: AsyncSession,
    consultation_id: int,
    kind: str,
    text: str | None,
    file_id: str | None,
) -> tuple[ConsultationMessage, bool]:
    """Store the student's message; True when it starts a wait for the curator's reply."""
    now = utcnow()
    message = ConsultationMessage(
        consultation_id=consultation_id,
        sender="student",
        kind=kind,
        text=text[:MAX_TEXT_CHARS] if text else None,
        file_id=file_id,
        created_at=now,
    )
    session.add(message)
    result = await session.execute(
        update(Consultation)
        .where(
            Consultation.id == consultation_id,
            Consultation.status == Status.ACTIVE.value,
            Consultation.awaiting_reply_since.is_(None),
        )
        .values(awaiting_reply_since=now)
    )
    await session.flush()
    return message, bool(result.rowcount)  # type: ignore[attr-defined]


async def add_curator_message(
    session: AsyncSession,
    consultation: Consultation,
    curator_id: int,
    kind: str,
    text: str | None,
    file_id: str | None,
) -> ConsultationMessage:
    """Store the curator's reply; the first one is the "first reply" of the reports."""
    now = utcnow()
    message = ConsultationMessage(
        consultation_id=consultation.id,
        sender="curator",
        author_id=curator_id,
        kind=kind,
        text=text[:MAX_TEXT_CHARS] if text else None,
        file_id=file_id,
        created_at=now,
    )
    session.add(message)
    values: dict[str, Any] = {"awaiting_reply_since": None}
    if consultation.first_reply_at is None:
        values["first_reply_at"] = now
        await record_event(session, consultation.id, EventKind.FIRST_REPLY, curator_id, at=now)
    await session.execute(
        update(Consultation).where(Consultation.id == consultation.id).values(**values)
    )
    await session.flush()
    return message


async def add_note(
    session: AsyncSession, consultation_id: int, curator_id: int, text: str
) -> ConsultationMessage:
    """An internal note: curators see it in the history, the student never does."""
    note = ConsultationMessage(
        consultation_id=consultation_id,
        sender="note",
        author_id=curator_id,
        kind="text",
        text=text.strip()[:MAX_TEXT_CHARS],
        delivered=True,
    )
    session.add(note)
    await session.flush()
    return note


async def mark_delivered(
    session: AsyncSession,
    message_id: int,
    relay_chat_id: int | None = None,
    relay_message_id: int | None = None,
) -> None:
    await session.execute(
        update(ConsultationMessage)
        .where(ConsultationMessage.id == message_id)
        .values(delivered=True, relay_chat_id=relay_chat_id, relay_message_id=relay_message_id)
    )


async def undelivered_student_messages(
    session: AsyncSession, consultation_id: int
) -> Sequence[ConsultationMessage]:
    """Messages the student wrote that no curator has received yet, oldest first."""
    return (
        await session.scalars(
            select(ConsultationMessage)
            .where(
                ConsultationMessage.consultation_id == consultation_id,
                ConsultationMessage.sender == "student",
                ConsultationMessage.delivered.is_(False),
            )
            .order_by(ConsultationMessage.id)
        )
    ).all()


async def history(session: AsyncSession, consultation_id: int) -> Sequence[ConsultationMessage]:
    return (
        await session.scalars(
            select(ConsultationMessage)
            .where(ConsultationMessage.consultation_id == consultation_id)
            .order_by(ConsultationMessage.id)
        )
    ).all()


async def first_student_text(session: AsyncSession, consultation_id: int) -> str | None:
    return await session.scalar(
        select(ConsultationMessage.text)
        .where(
            ConsultationMessage.consultation_id == consultation_id,
            ConsultationMessage.sender == "student",
        )
        .order_by(ConsultationMessage.id)
        .limit(1)
    )


async def case_for_relayed(session: AsyncSession, chat_id: int, message_id: int) -> int | None:
    """The consultation of a message the bot relayed into `chat_id` (for a curator's reply)."""
    found = await session.scalar(
        select(ConsultationMessage.consultation_id).where(
            ConsultationMessage.relay_message_id == message_id,
            ConsultationMessage.relay_chat_id == chat_id,
        )
    )
    if found is not None:
        return int(found)
    card = await session.scalar(
        select(ConsultationCard.consultation_id).where(
            ConsultationCard.chat_id == chat_id, ConsultationCard.message_id == message_id
        )
    )
    return int(card) if card is not None else None


async def student_consultations(
    session: AsyncSession, student_id: int, limit: int = 10
) -> Sequence[Consultation]:
    """The student's consultations, newest first."""
    return (
        await session.scalars(
            select(Consultation)
            .where(Consultation.student_id == student_id)
            .order_by(Consultation.id.desc())
            .limit(limit)
        )
    ).all()


async def waiting_queue(session: AsyncSession, limit: int = 20) -> Sequence[Consultation]:
    """Consultations waiting for a curator: urgent first, then oldest first."""
    return (
        await session.scalars(
            select(Consultation)
            .where(Consultation.status == Status.WAITING.value)
            .order_by(
                case((Consultation.urgent.is_(True), 0), else_=1),
                Consultation.created_at,
                Consultation.id,
            )
            .limit(limit)
        )
    ).all()


async def curator_consultations(
    session: AsyncSession, curator_id: int, limit: int = 20
) -> Sequence[Consultation]:
    """A curator's active consultations, urgent first, then oldest first."""
    return (
        await session.scalars(
            select(Consultation)
            .where(
                Consultation.curator_id == curator_id,
                Consultation.status == Status.ACTIVE.value,
            )
            .order_by(case((Consultation.urgent.is_(True), 0), else_=1), Consultation.id)
            .limit(limit)
        )
    ).all()


async def add_card(
    session: AsyncSession, consultation_id: int, chat_id: int, message_id: int
) -> None:
    session.add(
        ConsultationCard(consultation_id=consultation_id, chat_id=chat_id, message_id=message_id)
    )
    await session.flush()


async def cards(session: AsyncSession, consultation_id: int) -> Sequence[ConsultationCard]:
    return (
        await session.scalars(
            select(ConsultationCard).where(ConsultationCard.consultation_id == consultation_id)
        )
    ).all()
