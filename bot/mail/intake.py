"""Taking an e-mail into the consultation queue: a new thread opens a consultation (area
"other", language from the text, the address shown to curators only when the sender did not
ask for anonymity); a reply in a thread whose consultation is open is added to it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import now
from bot.db.mail_models import MailThread
from bot.db.models import Consultation, ConsultationMessage
from bot.mail.message import Incoming
from bot.services import consultation_messages
from bot.services.consultations import (
    MAX_TEXT_CHARS,
    OPEN_STATUSES,
    EventKind,
    Status,
    record_event,
)
from nlu.normalize import detect_script

AREA = "other"


@dataclass(frozen=True)
class Intake:
    consultation: Consultation
    message: ConsultationMessage
    new: bool


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
