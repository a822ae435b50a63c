"""A curator's message to the student they are working with: stored with the consultation and
written to the outbox in the same transaction; the curator sees whether it arrived
(bot.handlers.consultation.delivery)."""

from __future__ import annotations

import logging

from aiogram.types import Message
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.mail_models import MailThread
from bot.db.models import Consultation
from bot.handlers.consultation.delivery import relay_curator_message
from bot.handlers.consultation.notices import (
    message_content,
)
from bot.handlers.consultation.texts import (
    case_number,
    curator_header,
)
from bot.handlers.context import Ctx
from bot.handlers.curator.context import FOCUS_KEY
from bot.mail.intake import thread_of
from bot.mail.replies import relay_by_mail
from bot.services import consultation_messages, consultations

# ----- relaying the curator's messages -----


log = logging.getLogger(__name__)


def _undeliverable(
    consultation: Consultation | None, by_mail: bool, case: int, curator: int
) -> str | None:
    """Why the curator's message cannot go to the student of `case` any more, if it cannot."""
    if consultation is None or (consultation.student_id is None and not by_mail):
        return _(
            "⚠️ Not delivered: the student of {case} has deleted their data, so the "
            "consultation is closed."
        ).format(case=case_number(case))
    if consultation.status != consultations.Status.ACTIVE:
        return _("⚠️ Not delivered: consultation {case} is no longer open.").format(
            case=case_number(case)
        )
    if consultation.curator_id != curator:
        return _("⚠️ Not delivered: consultation {case} is with {name} now.").format(
            case=case_number(case), name=html.quote(consultation.curator_name or "—")
        )
    return None


async def _mail_thread(
    session: AsyncSession, consultation: Consultation | None
) -> MailThread | None:
    """A consultation that came by e-mail has no Telegram student: replies go by e-mail."""
    if consultation is None or consultation.student_id is not None:
        return None
    return await thread_of(session, consultation.id)


async def relay_from_curator(message: Message, case: int, ctx: Ctx) -> None:
    """Pass the curator's message to the student, and show the curator whether it arrived."""
    consultation = await consultations.get(ctx.session, case)
    thread = await _mail_thread(ctx.session, consultation)
    if (reason := _undeliverable(consultation, thread is not None, case, ctx.user_id)) is not None:
        await ctx.state.update_data({FOCUS_KEY: None})
        await message.answer(reason)
        return
    assert consultation is not None
    content = message_content(message)
    if content is None:
        await message.answer(
            _("⚠️ Not delivered: I can pass text, photos, documents and voice messages.")
        )
        return
    kind, text, file_id = content
    if thread is not None:
        await relay_by_mail(message, ctx.session, ctx.planner, consultation, thread, kind, text)
        return
    stored = await consultation_messages.add_curator_message(
        ctx.session, consultation, ctx.user_id, kind, text, file_id
    )
    with ctx.i18n.use_locale(consultation.language):
        header = curator_header(consultation)
    # Telegram gets the text as the curator wrote it; the store keeps a bounded copy.
    await relay_curator_message(
        ctx.session,
        consultation,
        stored.id,
        kind,
        text,
        file_id,
        header,
        curator_chat=message.chat.id,
        curator_message=message.message_id,
        curator_language=ctx.i18n.current_locale,
    )
