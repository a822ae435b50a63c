"""Telegram side of consultations, shared by the handlers and the scheduled jobs: cards to
curators, relaying messages both ways, notifying people in their own language.

Student messages are re-sent by file id with a case header, never forwarded, because a
forward shows its author and an anonymous student must stay a case number.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.text_decorations import html_decoration as html
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.consultation_keyboards import owner_keyboard, take_keyboard
from bot.consultation_texts import card_text, owner_line, relay_header
from bot.db.models import Consultation, ConsultationMessage
from bot.handlers.curator_assist.ui import card_block
from bot.services import consultations
from bot.services.knowledge import Entry
from bot.services.roles import ADMIN, CURATOR, RoleDirectory
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


async def send_content(
    bot: Bot,
    chat_id: int,
    kind: str,
    text: str | None,
    file_id: str | None,
    header: str,
    reply_markup: InlineKeyboardMarkup | None = None,
) -> Message:
    """Send a text, photo, document or voice with `header` (HTML) above the user's text.

    Nothing is cut here: the Bot session splits what is over Telegram's limits into parts.
    """
    body = header + ("\n" + html.quote(text) if text else "")
    if kind == "photo" and file_id:
        return await bot.send_photo(chat_id, file_id, caption=body, reply_markup=reply_markup)
    if kind == "document" and file_id:
        return await bot.send_document(chat_id, file_id, caption=body, reply_markup=reply_markup)
    if kind == "voice" and file_id:
        return await bot.send_voice(chat_id, file_id, caption=body, reply_markup=reply_markup)
    return await bot.send_message(chat_id, body, reply_markup=reply_markup)


def curators_to_notify(roles: RoleDirectory, urgent: bool) -> list[int]:
    """Every curator; admins too for urgent consultations."""
    people = set(roles.members(CURATOR))
    if urgent:
        people |= set(roles.members(ADMIN))
    return sorted(people)


async def announce(
    bot: Bot,
    session: AsyncSession,
    i18n: I18n,
    settings: Settings,
    roles: RoleDirectory,
    consultation: Consultation,
    *,
    assist: Sequence[Entry] = (),
) -> int:
    """Post the card to the curators' group (if set) and to each curator privately, ending
    with the `assist` entries closest to what the student wrote.

    Returns how many cards were delivered. An unreachable group is logged, and the private
    cards still go out.
    """
    first = await consultations.first_student_text(session, consultation.id)
    targets: list[int] = []
    if settings.curator_chat_id is not None:
        targets.append(settings.curator_chat_id)
    targets += [p for p in curators_to_notify(roles, consultation.urgent) if p not in targets]
    delivered = 0
    for chat_id in targets:
        language = await person_language(session, chat_id, settings.default_language)
        with i18n.use_locale(language):
            text = card_text(consultation, first, language, owner_line(consultation))
            text += card_block(assist, language)
            markup = take_keyboard(consultation.id)
        try:
            sent = await bot.send_message(chat_id, text, reply_markup=markup)
        except TelegramAPIError as exc:
            if chat_id == settings.curator_chat_id:
                log.warning(
                    "curators' chat %s is unreachable (%s); consultation %s goes to curators "
                    "privately",
                    chat_id,
                    exc,
                    consultation.id,
                )
            else:
                log.info("could not send the card of %s to %s: %s", consultation.id, chat_id, exc)
            continue
        delivered += 1
        await consultations.add_card(session, consultation.id, chat_id, sent.message_id)
    if not delivered:
        log.error(
            "consultation %s reached no curator: none is configured or reachable", consultation.id
        )
    return delivered


async def refresh_cards(
    bot: Bot, session: AsyncSession, i18n: I18n, settings: Settings, consultation: Consultation
) -> None:
    """Show the current owner (or closure) on every card; the Take button only while waiting."""
    first = await consultations.first_student_text(session, consultation.id)
    for card in await consultations.cards(session, consultation.id):
        language = await person_language(session, card.chat_id, settings.default_language)
        with i18n.use_locale(language):
            text = card_text(consultation, first, language, owner_line(consultation))
            markup = take_keyboard(consultation.id) if consultation.status == "waiting" else None
        try:
            await bot.edit_message_text(
                text=text, chat_id=card.chat_id, message_id=card.message_id, reply_markup=markup
            )
        except TelegramAPIError as exc:  # deleted, too old, or unchanged: the card is advisory
            log.debug("card %s of %s not updated: %s", card.message_id, consultation.id, exc)


async def notify(
    bot: Bot,
    session: AsyncSession,
    i18n: I18n,
    settings: Settings,
    people: Iterable[int],
    render: Callable[[], str],
    markup: Callable[[], InlineKeyboardMarkup | None] | None = None,
) -> list[int]:
    """Send `render()` to each person in their own language; returns who received it."""
    reached = []
    for person in people:
        language = await person_language(session, person, settings.default_language)
        with i18n.use_locale(language):
            text = render()
            keyboard = markup() if markup else None
        try:
            await bot.send_message(person, text, reply_markup=keyboard)
        except TelegramAPIError as exc:
            log.info("could not notify %s: %s", person, exc)
            continue
        reached.append(person)
    return reached


async def relay_to_curator(
    bot: Bot,
    session: AsyncSession,
    consultation: Consultation,
    message: ConsultationMessage,
    curator_id: int,
) -> bool:
    """Send one student message to the curator; True if Telegram accepted it."""
    try:
        sent = await send_content(
            bot,
            curator_id,
            message.kind,
            message.text,
            message.file_id,
            relay_header(consultation),
        )
    except TelegramAPIError as exc:
        log.warning(
            "message of consultation %s not relayed to %s: %s", consultation.id, curator_id, exc
        )
        return False
    await consultations.mark_delivered(session, message.id, curator_id, sent.message_id)
    return True


async def deliver_backlog(
    bot: Bot, session: AsyncSession, consultation: Consultation, curator_id: int
) -> int:
    """Everything the student wrote while waiting, in order, to the curator who took it."""
    delivered = 0
    for message in await consultations.undelivered_student_messages(session, consultation.id):
        if not await relay_to_curator(bot, session, consultation, message, curator_id):
            break  # keep the order: the rest waits for the next attempt
        delivered += 1
    return delivered


async def send_owner_panel(
    bot: Bot, curator_id: int, text: str, consultation_id: int
) -> Message | None:
    try:
        return await bot.send_message(
            curator_id, text, reply_markup=owner_keyboard(consultation_id)
        )
    except TelegramAPIError as exc:
        log.info("could not reach curator %s: %s", curator_id, exc)
        return None


def is_blocked(exc: TelegramAPIError) -> bool:
    """Telegram's answer when the user blocked the bot or deleted their account."""
    return isinstance(exc, TelegramForbiddenError)
