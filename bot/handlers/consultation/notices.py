"""Telegram side of consultations, shared by the handlers and the scheduled jobs: cards to
curators, relaying messages both ways, notifying people in their own language.

Student messages are re-sent by file id with a case header, never forwarded, because a
forward shows its author and an anonymous student must stay a case number.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.methods import (
    EditMessageText,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVoice,
    TelegramMethod,
)
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.db.models import Consultation
from bot.handlers.consultation.texts import (
    card_text,
    case_number,
    duration_text,
    owner_line,
    survey_reminder_text,
    survey_text,
)
from bot.handlers.consultation.ui import owner_keyboard, rating_keyboard, take_keyboard
from bot.handlers.curator_assist.ui import card_block
from bot.outbox.hooks import Delivery, HookContext, hook
from bot.outbox.queue import enqueue
from bot.scheduler.port import Notice
from bot.services import consultation_messages
from bot.services.knowledge import Entry
from bot.services.roles import RoleDirectory, curators_to_notify
from bot.services.users import person_language

log = logging.getLogger(__name__)


# An edit is relayed as a new message under this mark; both languages, since the reader may
# speak either.
EDITED_MARK = "✏️ өңделді / изменено:"


def message_content(message: Message) -> tuple[str, str | None, str | None] | None:
    """(kind, text, file id) of what can be passed on; None for anything else.

    An edited message comes back marked as an edit, so the reader sees what changed.
    """
    content = _plain_content(message)
    if content is None or message.edit_date is None:
        return content
    kind, text, file_id = content
    return kind, f"{EDITED_MARK} {text}" if text else EDITED_MARK, file_id


def _plain_content(message: Message) -> tuple[str, str | None, str | None] | None:
    if message.text is not None:
        return "text", message.text, None
    if message.photo:
        return "photo", message.caption, message.photo[-1].file_id
    if message.document is not None:
        return "document", message.caption, message.document.file_id
    if message.voice is not None:
        return "voice", message.caption, message.voice.file_id
    return None


def content_method(
    chat_id: int,
    kind: str,
    text: str | None,
    file_id: str | None,
    header: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> TelegramMethod[Message]:
    """The call that sends a text, photo, document or voice with `header` (HTML) above the
    user's text. Nothing is cut here: the outbox (or the Bot session) splits what is over
    Telegram's limits into parts."""
    body = header + ("\n" + html.quote(text) if text else "")
    if kind == "photo" and file_id:
        return SendPhoto(chat_id=chat_id, photo=file_id, caption=body, reply_markup=reply_markup)
    if kind == "document" and file_id:
        return SendDocument(
            chat_id=chat_id, document=file_id, caption=body, reply_markup=reply_markup
        )
    if kind == "voice" and file_id:
        return SendVoice(chat_id=chat_id, voice=file_id, caption=body, reply_markup=reply_markup)
    return SendMessage(chat_id=chat_id, text=body, reply_markup=reply_markup)


async def send_content(
    bot: Bot,
    chat_id: int,
    kind: str,
    text: str | None,
    file_id: str | None,
    header: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Send `content_method(...)` now."""
    return await bot(content_method(chat_id, kind, text, file_id, header, reply_markup))


CARD_SENT = "consultation.card_sent"


async def announce(
    session: AsyncSession,
    i18n: I18n,
    settings: Settings,
    roles: RoleDirectory,
    consultation: Consultation,
    *,
    assist: Sequence[Entry] = (),
) -> int:
    """Owe the card to the curators' group (if set) and to each curator privately, ending
    with the `assist` entries closest to what the student wrote.

    Returns how many cards are owed. Each card's message id is stored once it is delivered
    (for later edits); an unreachable chat is logged by the outbox.
    """
    first = await consultation_messages.first_student_text(session, consultation.id)
    targets: list[int] = []
    if settings.curator_chat_id is not None:
        targets.append(settings.curator_chat_id)
    targets += [p for p in curators_to_notify(roles, consultation.urgent) if p not in targets]
    for chat_id in targets:
        language = await person_language(session, chat_id, settings.default_language)
        with i18n.use_locale(language):
            text = card_text(consultation, first, language, owner_line(consultation))
            text += card_block(assist, language)
            markup = take_keyboard(consultation.id)
        await enqueue(
            session,
            SendMessage(chat_id=chat_id, text=text, reply_markup=markup),
            key=f"card:{consultation.id}:{chat_id}",
            on_sent=CARD_SENT,
            args={"case": consultation.id},
        )
    if not targets:
        log.error("consultation %s reached no curator: none is configured", consultation.id)
    return len(targets)


@hook(CARD_SENT)
async def _card_sent(
    ctx: HookContext, session: AsyncSession, delivery: Delivery, args: dict[str, Any]
) -> None:
    if delivery.message_id is not None:
        await consultation_messages.add_card(
            session, args["case"], delivery.chat_id, delivery.message_id
        )


async def refresh_cards(
    session: AsyncSession, i18n: I18n, settings: Settings, consultation: Consultation
) -> None:
    """Show the current owner (or closure) on every card; the Take button only while waiting.

    The edits go through the outbox; a card deleted meanwhile is skipped there."""
    first = await consultation_messages.first_student_text(session, consultation.id)
    for card in await consultation_messages.cards(session, consultation.id):
        language = await person_language(session, card.chat_id, settings.default_language)
        with i18n.use_locale(language):
            text = card_text(consultation, first, language, owner_line(consultation))
            markup = take_keyboard(consultation.id) if consultation.status == "waiting" else None
        await enqueue(
            session,
            EditMessageText(
                chat_id=card.chat_id, message_id=card.message_id, text=text, reply_markup=markup
            ),
        )


async def send_owner_panel(
    session: AsyncSession, curator_id: int, text: str, consultation_id: int
) -> None:
    """Owe the owner's panel (the case and its buttons) to the curator."""
    await enqueue(
        session,
        SendMessage(chat_id=curator_id, text=text, reply_markup=owner_keyboard(consultation_id)),
    )


def is_blocked(exc: TelegramAPIError) -> bool:
    """Telegram's answer when the user blocked the bot or deleted their account."""
    return isinstance(exc, TelegramForbiddenError)


# ----- scheduled notices (the scheduler's port, for consultations and surveys) -----


def survey_notice(consultation_id: int, survey_id: int, *, reminder: bool) -> Notice:
    text = (survey_reminder_text if reminder else survey_text)(consultation_id)
    return Notice(text, rating_keyboard(survey_id))


def unclaimed_notice(
    consultation_id: int, waited: float, locale: str, *, escalated: bool
) -> Notice:
    if not escalated:
        return Notice(
            _(
                "⏰ Consultation {case} has been waiting for a curator for {time}. "
                "Please take it, or see /queue."
            ).format(case=case_number(consultation_id), time=duration_text(waited, locale)),
            take_keyboard(consultation_id),
        )
    return Notice(
        _(
            "⚠️ Consultation {case} still has no curator after {time}. Please make sure "
            "someone takes it (/queue)."
        ).format(case=case_number(consultation_id), time=duration_text(waited, locale))
    )


def reply_overdue_notice(consultation_id: int, waited: float, locale: str) -> Notice:
    return Notice(
        _(
            "⏰ The student in consultation {case} has been waiting for your reply for {time}."
        ).format(case=case_number(consultation_id), time=duration_text(waited, locale)),
        owner_keyboard(consultation_id),
    )
