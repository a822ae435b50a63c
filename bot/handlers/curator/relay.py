"""A curator's message to the student they are working with: stored with the consultation,
relayed once the transaction commits, and the curator sees whether it arrived."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReactionTypeEmoji
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Consultation
from bot.db.unit_of_work import after_commit
from bot.handlers.consultation.notices import (
    is_blocked,
    message_content,
    send_content,
)
from bot.handlers.consultation.texts import (
    case_number,
    curator_header,
)
from bot.handlers.curator.context import FOCUS_KEY, _mark_blocked
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
    reply = _Reply(stored.id, kind, text, file_id, header)
    after_commit(session, lambda: _relay(session, bot, planner, message, consultation, reply))


@dataclass(frozen=True)
class _Reply:
    stored_id: int
    kind: str
    text: str | None
    file_id: str | None
    header: str


async def _relay(
    session: AsyncSession,
    bot: Bot,
    planner: Planner,
    message: Message,
    consultation: Consultation,
    reply: _Reply,
) -> None:
    """After the curator's message is stored: to the student, and a receipt to the curator."""
    assert consultation.student_id is not None
    try:
        sent = await send_content(
            bot, consultation.student_id, reply.kind, reply.text, reply.file_id, reply.header
        )
    except TelegramAPIError as exc:
        if is_blocked(exc):
            await _mark_blocked(session, consultation.student_id)
            await message.reply(_("⚠️ Not delivered: the student has blocked the bot."))
        else:
            log.warning("reply in %s not delivered: %s", consultation.id, exc)
            await message.reply(_("⚠️ Not delivered, Telegram refused it. Please try again."))
        return
    await consultation_messages.mark_delivered(
        session, reply.stored_id, consultation.student_id, sent.message_id
    )
    planner.cancel_reply_timer(consultation.id)
    try:
        await bot.set_message_reaction(
            message.chat.id, message.message_id, [ReactionTypeEmoji(emoji="👌")]
        )
    except TelegramAPIError:
        # Reactions are a nicety; a Bot API server without them gets a text receipt.
        await message.reply(_("✓ Delivered."))
