"""A curator's message to the student they are working with: stored with the consultation and
written to the outbox in the same transaction; the curator sees whether it arrived
(bot.handlers.consultation.delivery)."""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers.consultation.delivery import relay_curator_message
from bot.handlers.consultation.notices import (
    message_content,
)
from bot.handlers.consultation.texts import (
    case_number,
    curator_header,
)
from bot.handlers.curator.context import FOCUS_KEY
from bot.mail.intake import thread_of
from bot.mail.replies import relay_by_mail
from bot.scheduler import Planner
from bot.services import consultation_messages, consultations

# ----- relaying the curator's messages -----


log = logging.getLogger(__name__)


async def relay_from_curator(
    message: Message,
    case: int,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    i18n: I18n,
    planner: Planner,
) -> None:
    """Pass the curator's message to the student, and show the curator whether it arrived."""
    assert message.from_user is not None
    consultation = await consultations.get(session, case)
    # A consultation that came by e-mail has no Telegram student: replies go by e-mail.
    thread = (
        await thread_of(session, case)
        if consultation is not None and consultation.student_id is None
        else None
    )
    if consultation is None or (consultation.student_id is None and thread is None):
        await state.update_data({FOCUS_KEY: None})
        await message.answer(
            _(
                "⚠️ Not delivered: the student of {case} has deleted their data, so the "
                "consultation is closed."
            ).format(case=case_number(case))
        )
        return
    if consultation.status != consultations.Status.ACTIVE:
        await state.update_data({FOCUS_KEY: None})
        await message.answer(
            _("⚠️ Not delivered: consultation {case} is no longer open.").format(
                case=case_number(case)
            )
        )
        return
    if consultation.curator_id != message.from_user.id:
        await state.update_data({FOCUS_KEY: None})
        await message.answer(
            _("⚠️ Not delivered: consultation {case} is with {name} now.").format(
                case=case_number(case), name=html.quote(consultation.curator_name or "—")
            )
        )
        return
    content = message_content(message)
    if content is None:
        await message.answer(
            _("⚠️ Not delivered: I can pass text, photos, documents and voice messages.")
        )
        return
    kind, text, file_id = content
    if thread is not None:
        await relay_by_mail(message, session, planner, consultation, thread, kind, text)
        return
    stored = await consultation_messages.add_curator_message(
        session, consultation, message.from_user.id, kind, text, file_id
    )
    with i18n.use_locale(consultation.language):
        header = curator_header(consultation)
    # Telegram gets the text as the curator wrote it; the store keeps a bounded copy.
    await relay_curator_message(
        session,
        consultation,
        stored.id,
        kind,
        text,
        file_id,
        header,
        curator_chat=message.chat.id,
        curator_message=message.message_id,
        curator_language=i18n.current_locale,
    )
