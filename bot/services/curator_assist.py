"""Curator assist: the knowledge-base answers closest to what a student wrote, found with the
same search the bot answers students with, and sent by the curator with one tap.

A sent answer is stored as the curator's message of the consultation (so it is in the history
and counts as a reply) and as one `CuratorFaqSend` row, which the reports count per entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Consultation, ConsultationMessage, CuratorFaqSend, User
from bot.services import consultation_messages, consultations
from bot.services.consultations import ConsultationRefused, Refusal
from bot.services.knowledge import Entry, KnowledgeBase

SUGGESTIONS = 3
# The newest texts of the student searched; older ones rarely change what fits.
_TEXTS_SEARCHED = 10


class EntryGone(Exception):
    """The entry was unpublished or deleted since the suggestion was shown."""


async def student_texts(session: AsyncSession, consultation: Consultation) -> list[str]:
    """The questionnaire answers and the student's text messages, oldest first."""
    texts = [str(a["a"]) for a in consultation.answers or [] if a.get("a")]
    rows = await session.scalars(
        select(ConsultationMessage.text)
        .where(
            ConsultationMessage.consultation_id == consultation.id,
            ConsultationMessage.sender == "student",
            ConsultationMessage.text.is_not(None),
        )
        .order_by(ConsultationMessage.id)
    )
    texts += [text for text in rows.all() if text]
    return texts


def closest_entries(kb: KnowledgeBase, texts: Sequence[str], language: str) -> list[Entry]:
    """Up to three entries, best first: each text is searched on its own and an entry keeps
    its best score, so one long message does not drown the others."""
    best: dict[str, float] = {}
    for text in texts[-_TEXTS_SEARCHED:]:
        for match in kb.search(text, language, limit=SUGGESTIONS).matches:
            best[match.id] = max(best.get(match.id, 0.0), match.score)
    ranked = sorted(best, key=lambda slug: (-best[slug], slug))
    entries = [entry for slug in ranked if (entry := kb.by_slug(slug)) is not None]
    return entries[:SUGGESTIONS]


async def suggestions(
    session: AsyncSession, kb: KnowledgeBase, consultation: Consultation
) -> list[Entry]:
    """The entries closest to everything the student has written in this consultation."""
    return closest_entries(kb, await student_texts(session, consultation), consultation.language)


async def answer_to_send(
    session: AsyncSession,
    kb: KnowledgeBase,
    consultation_id: int,
    curator_id: int,
    entry_pk: int,
    *,
    override: bool = False,
) -> tuple[Consultation, Entry]:
    """The consultation and entry a curator's tap sends, after checking both.

    Raises `ConsultationRefused` when the curator does not own the open consultation (admins
    may, with `override`) or the student is gone, and `EntryGone` for an unpublished entry.
    """
    consultation = await owned_case(session, consultation_id, curator_id, override=override)
    entry = kb.get(entry_pk)
    if entry is None:
        raise EntryGone(entry_pk)
    return consultation, entry


@dataclass(frozen=True, slots=True)
class Sent:
    """What a tap stored: the curator's message and the counted send."""

    message_id: int
    send_id: int


async def owned_case(
    session: AsyncSession, consultation_id: int, curator_id: int, *, override: bool = False
) -> Consultation:
    """The open consultation of `curator_id` whose student is still there, else a refusal."""
    consultation = await consultations.owned(
        session, consultation_id, curator_id, override=override
    )
    if consultation.student_id is None:
        raise ConsultationRefused(Refusal.CLOSED, consultation)
    return consultation


async def record_sent(
    session: AsyncSession, consultation: Consultation, entry: Entry, curator_id: int
) -> Sent:
    """The answer as the curator's reply, and one more send of the entry."""
    message = await consultation_messages.add_curator_message(
        session, consultation, curator_id, "text", entry.answer(consultation.language), None
    )
    send = CuratorFaqSend(
        entry_pk=entry.pk,
        entry_slug=entry.item.id,
        consultation_id=consultation.id,
        curator_id=curator_id,
        language=consultation.language,
    )
    session.add(send)
    await session.flush()
    return Sent(message.id, send.id)


async def delivered(session: AsyncSession, sent: Sent, student_id: int, message_id: int) -> None:
    """Telegram accepted the answer: replies to it reach the consultation."""
    await consultation_messages.mark_delivered(session, sent.message_id, student_id, message_id)


async def undo_send(session: AsyncSession, sent: Sent, *, blocked: bool) -> None:
    """Telegram refused the answer: it is not counted (the reply stays, undelivered)."""
    await session.execute(delete(CuratorFaqSend).where(CuratorFaqSend.id == sent.send_id))
    if blocked:
        student = await session.scalar(
            select(Consultation.student_id)
            .join(ConsultationMessage, ConsultationMessage.consultation_id == Consultation.id)
            .where(ConsultationMessage.id == sent.message_id)
        )
        if student is not None:
            await session.execute(update(User).where(User.id == student).values(blocked_bot=True))


async def sends_per_entry(
    session: AsyncSession, since: datetime | None = None
) -> list[tuple[str, int]]:
    """(entry slug, times curators sent it), most sent first."""
    query = select(CuratorFaqSend.entry_slug, func.count()).group_by(CuratorFaqSend.entry_slug)
    if since is not None:
        query = query.where(CuratorFaqSend.created_at >= since)
    rows = (await session.execute(query)).all()
    return sorted(((str(slug), int(n)) for slug, n in rows), key=lambda row: (-row[1], row[0]))
