"""Taking an e-mail into the consultation queue: a new thread opens a consultation (area
"other", language from the text, the address shown to curators only when the sender did not
ask for anonymity); a reply in a thread whose consultation is open is added to it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now
from bot.db.mail_models import MailThread
from bot.db.models import Consultation, ConsultationMessage, FollowUpSurvey
from bot.mail.message import Incoming
from bot.services import consultation_messages
from bot.services.consultations import (
    MAX_TEXT_CHARS,
    OPEN_STATUSES,
    EventKind,
    Status,
    record_event,
)
from bot.services.surveys import AWAITING_ANSWER, SurveyStatus
from nlu.normalize import detect_script

AREA = "other"


@dataclass(frozen=True)
class Intake:
    consultation: Consultation
    message: ConsultationMessage | None
    new: bool
    # The 1–5 answer to the follow-up survey (the mail was that answer, not a new request).
    rating: int | None = None


_RATING = re.compile(r"^\s*([1-5])(?!\d)")


async def _rate(session: AsyncSession, consultation: Consultation, text: str) -> int | None:
    """Record "answer with a number 1–5" to the e-mailed survey; None if it is not that."""
    match = _RATING.match(text)
    survey = await session.scalar(
        select(FollowUpSurvey).where(FollowUpSurvey.consultation_id == consultation.id)
    )
    if match is None or survey is None or survey.status not in AWAITING_ANSWER:
        return None
    rating = int(match[1])
    moment = now()
    survey.rating, survey.status, survey.answered_at = rating, SurveyStatus.ANSWERED.value, moment
    await record_event(
        session,
        consultation.id,
        EventKind.SURVEY_ANSWERED,
        survey.curator_id,
        {"rating": rating},
        at=moment,
    )
    return rating


async def claim_due_surveys(session: AsyncSession, delay: float) -> list[tuple[MailThread, str]]:
    """E-mail consultations closed `delay` seconds ago or more that have no survey yet: the
    survey row is written (sent) before the mail goes, so it goes once. (thread, language)."""
    before = now() - timedelta(seconds=delay)
    rows = (
        await session.execute(
            select(MailThread, Consultation)
            .join(Consultation, Consultation.id == MailThread.consultation_id)
            .outerjoin(FollowUpSurvey, FollowUpSurvey.consultation_id == Consultation.id)
            .where(
                Consultation.status == Status.CLOSED.value,
                Consultation.closed_at <= before,
                FollowUpSurvey.id.is_(None),
                MailThread.address.is_not(None),
            )
        )
    ).all()
    due = []
    moment = now()
    for thread, consultation in rows:
        session.add(
            FollowUpSurvey(
                consultation_id=consultation.id,
                student_id=None,
                curator_id=consultation.curator_id,
                language=consultation.language,
                status=SurveyStatus.SENT.value,
                due_at=moment,
                sent_at=moment,
            )
        )
        due.append((thread, consultation.language))
    await session.flush()
    return due


def language_of(text: str, default: str) -> str:
    script = detect_script(text)
    if script == "kk_cyrillic":
        return "kk"
    if script in ("cyrillic", "mixed"):
        return "ru"
    return default


def _text(incoming: Incoming) -> str:
    lines = [incoming.text] if incoming.text else []
    lines += [f"📎 {name}" for name in incoming.attachments]
    lines += [f"📎 ✖ {name}" for name in incoming.oversized]
    return "\n".join(lines)[:MAX_TEXT_CHARS]


async def thread_of(session: AsyncSession, consultation_id: int) -> MailThread | None:
    return await session.scalar(
        select(MailThread).where(MailThread.consultation_id == consultation_id)
    )


async def _thread_for(session: AsyncSession, incoming: Incoming) -> MailThread | None:
    if not incoming.references:
        return None
    threads = await session.scalars(
        select(MailThread)
        .where(MailThread.address == incoming.address)
        .order_by(MailThread.id.desc())
    )
    wanted = set(incoming.references)
    return next((t for t in threads if wanted & set(t.message_ids)), None)


async def take_in(session: AsyncSession, incoming: Incoming, default_language: str) -> Intake:
    """Store the e-mail as a new consultation or as a follow-up in its open one."""
    thread = await _thread_for(session, incoming)
    text = _text(incoming)
    if thread is not None:
        consultation = await session.get(Consultation, thread.consultation_id)
        if consultation is not None and consultation.status == Status.CLOSED.value:
            rating = await _rate(session, consultation, incoming.text)
            if rating is not None:
                thread.message_ids = [*thread.message_ids, incoming.message_id]
                return Intake(consultation, None, new=False, rating=rating)
        if consultation is not None and consultation.status in OPEN_STATUSES:
            message, _waits = await consultation_messages.add_student_message(
                session, consultation.id, "text", text, None
            )
            thread.message_ids = [*thread.message_ids, incoming.message_id]
            return Intake(consultation, message, new=False)
    moment = now()
    shown = None if incoming.anonymous else f"{incoming.name} <{incoming.address}>".strip()
    consultation = Consultation(
        student_id=None,
        student_name=shown[:128] if shown else None,
        language=language_of(incoming.text, default_language),
        area=AREA,
        answers=[],
        anonymous=incoming.anonymous,
        urgent=False,
        status=Status.WAITING.value,
        created_at=moment,
    )
    session.add(consultation)
    await session.flush()
    await record_event(
        session,
        consultation.id,
        EventKind.OPENED,
        details={"area": AREA, "urgent": False, "anonymous": incoming.anonymous, "channel": "mail"},
        at=moment,
    )
    message = ConsultationMessage(
        consultation_id=consultation.id, sender="student", kind="text", text=text, created_at=moment
    )
    session.add(message)
    session.add(
        MailThread(
            consultation_id=consultation.id,
            address=incoming.address,
            subject=incoming.subject or "—",
            message_ids=[incoming.message_id, *incoming.references],
        )
    )
    await session.flush()
    return Intake(consultation, message, new=True)
