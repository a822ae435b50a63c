"""The curator's reply to an e-mail consultation: sent by SMTP in the student's thread, plain
text and HTML, after the transaction that stored it commits."""

from __future__ import annotations

import html
import logging
import smtplib

from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.mail_models import MailThread
from bot.db.models import Consultation
from bot.db.unit_of_work import after_commit
from bot.mail import transport
from bot.scheduler import Planner
from bot.services import consultation_messages

log = logging.getLogger(__name__)


def reply_mail(thread: MailThread, text: str, signature: str) -> transport.OutgoingMail:
    """The curator's reply as an e-mail in the student's thread, plain text and HTML."""
    subject = (
        thread.subject if thread.subject.lower().startswith("re:") else f"Re: {thread.subject}"
    )
    paragraphs = "".join(
        f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n") if p
    )
    return transport.OutgoingMail(
        to=thread.address or "",
        subject=subject,
        text=f"{text}\n\n-- \n{signature}",
        html=f"<html><body>{paragraphs}<p>-- <br>{html.escape(signature)}</p></body></html>",
        in_reply_to=thread.message_ids[-1] if thread.message_ids else None,
        references=list(thread.message_ids),
    )


async def send_reply(settings: Settings, thread: MailThread, text: str, signature: str) -> str:
    """Send the reply; returns its Message-ID (the caller adds it to the thread)."""
    return await transport.send(settings, reply_mail(thread, text, signature))


async def relay_by_mail(
    message: Message,
    session: AsyncSession,
    planner: Planner,
    consultation: Consultation,
    thread: MailThread,
    kind: str,
    text: str | None,
) -> None:
    """A curator's message in an e-mail consultation: stored, then sent by SMTP after the
    commit; the curator sees whether it went out."""
    assert message.from_user is not None
    if kind != "text" or not text:
        await message.answer(_("⚠️ Not delivered: by e-mail I can pass text only."))
        return
    stored = await consultation_messages.add_curator_message(
        session, consultation, message.from_user.id, kind, text, None
    )
    settings = planner.settings
    with_locale = consultation.language
    stored_id = stored.id

    async def send() -> None:
        signature = _signature(with_locale)
        try:
            message_id = await send_reply(settings, thread, text, signature)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("reply in %s not sent by e-mail: %s", consultation.id, exc)
            await message.reply(_("⚠️ Not delivered: the mail server refused it. Please try again."))
            return
        # Committed right after this effect (bot/db/unit_of_work.py).
        fresh = await session.get(MailThread, thread.id)
        if fresh is not None:
            fresh.message_ids = [*fresh.message_ids, message_id]
        await consultation_messages.mark_delivered(session, stored_id)
        planner.cancel_reply_timer(consultation.id)
        await message.reply(_("✓ Sent by e-mail."))

    after_commit(session, send)


def _signature(language: str) -> str:
    from aiogram.utils.i18n import get_i18n

    i18n = get_i18n()
    return i18n.gettext(
        "Kelisim counselling service. Reply to this e-mail to continue.", locale=language
    )


async def send_survey(settings: Settings, i18n: I18n, thread: MailThread, language: str) -> str:
    """The follow-up survey by e-mail, in the thread: no links, answered with a number."""
    text = i18n.gettext(
        "Your consultation is closed. How much did it help you? Please answer this e-mail with "
        "one number from 1 (not at all) to 5 (very much).",
        locale=language,
    )
    signature = i18n.gettext(
        "Kelisim counselling service. Reply to this e-mail to continue.", locale=language
    )
    return await transport.send(settings, reply_mail(thread, text, signature))
