"""How scheduled work sends: one pacer for everything the process sends in bulk, Telegram's
429 honoured, 403 recorded; and a message to several people, each in their own language."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramForbiddenError, TelegramRetryAfter
from aiogram.methods import SendMessage
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.i18n import I18n
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.outbox.queue import enqueue
from bot.services.notifications import mark_blocked
from bot.services.users import person_language

if TYPE_CHECKING:
    from bot.scheduler.context import JobContext

log = logging.getLogger(__name__)

# Telegram allows about 30 messages a second overall; scheduled bursts stay under it.
SEND_RATE = 25.0
SENT = "sent"
BLOCKED = "blocked"
FAILED = "failed"
# How often Telegram may ask us to slow down for one message before we give up on it.
MAX_RETRIES = 5


class Pacer:
    """Spaces sends evenly at `rate` per second, across all scheduled jobs."""

    def __init__(self, rate: float = SEND_RATE) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._lock: asyncio.Lock | None = None

    async def wait(self) -> None:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            now = time.monotonic()
            if self._next > now:
                await asyncio.sleep(self._next - now)
                now = self._next
            self._next = now + self.interval


async def send_once(
    bot: Bot, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Send; one retry when Telegram asks to slow down."""
    try:
        await bot.send_message(chat_id, text, reply_markup=markup)
    except TelegramRetryAfter as exc:
        await asyncio.sleep(exc.retry_after)
        await bot.send_message(chat_id, text, reply_markup=markup)


async def deliver(
    ctx: JobContext,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    paced: bool = False,
) -> str:
    """Send one message at the paced rate: "sent", "blocked" (403, marked) or "failed".

    Telegram's 429 is honoured by waiting retry_after, a few times at most. `paced`: the
    caller has already waited for its turn.
    """
    for attempt in range(MAX_RETRIES):
        if attempt or not paced:
            await ctx.pacer.wait()
        try:
            await ctx.bot.send_message(
                chat_id, text, reply_markup=markup, disable_web_page_preview=True
            )
            return SENT
        except TelegramRetryAfter as exc:
            log.info("Telegram asks to wait %s s before writing to %s", exc.retry_after, chat_id)
            await asyncio.sleep(exc.retry_after)
        except TelegramForbiddenError:
            async with ctx.session_factory() as session, session.begin():
                await mark_blocked(session, chat_id)
            return BLOCKED
        except TelegramAPIError as exc:
            log.warning("message to %s not delivered: %s", chat_id, exc)
            return FAILED
    return FAILED


async def notify(
    session: AsyncSession,
    i18n: I18n,
    settings: Settings,
    people: Iterable[int],
    render: Callable[[], str],
    markup: Callable[[], InlineKeyboardMarkup | None] | None = None,
) -> list[int]:
    """Owe `render()` to each person, in their own language, through the outbox (sent once
    `session` commits); returns who it is owed to."""
    owed = []
    for person in people:
        language = await person_language(session, person, settings.default_language)
        with i18n.use_locale(language):
            text = render()
            keyboard = markup() if markup else None
        await enqueue(session, SendMessage(chat_id=person, text=text, reply_markup=keyboard))
        owed.append(person)
    return owed
