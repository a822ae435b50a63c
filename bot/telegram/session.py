"""Request middlewares on the Bot session: every call the bot makes passes through them.

`TelegramLimits` makes what would be refused acceptable before it is sent (a text over 4,096
UTF-16 units goes as numbered parts, a caption over 1,024 as a caption plus text, an edit is
shortened). `TelegramRetry` retries what Telegram asks to retry: a 429 after its
``retry_after``, a 5xx or a network error with backoff, all within a time budget so no handler
waits much longer than it (answerCallbackQuery gets a short one: Telegram drops it after ~15 s).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramRetryAfter, TelegramServerError
from aiogram.methods import (
    AnswerCallbackQuery,
    CopyMessage,
    EditMessageCaption,
    EditMessageText,
    Response,
    SendAnimation,
    SendAudio,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType

from bot.telegram.limits import (
    CAPTION_LIMIT,
    MESSAGE_LIMIT,
    fits,
    split_numbered,
    split_text,
    truncate,
)

log = logging.getLogger(__name__)

# Set while the outbox sends: it retries durably itself, so the call fails fast instead.
DURABLE_CALL: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "kelisim_durable_call", default=False
)

_CAPTIONED = (SendPhoto, SendDocument, SendVideo, SendAudio, SendVoice, SendAnimation, CopyMessage)
_CALLBACK_BUDGET = 8.0


def _is_html(bot: Bot, method: Any) -> bool:
    mode = getattr(method, "parse_mode", None)
    if isinstance(mode, Default):
        mode = bot.default[mode.name] if bot.default else None
    return isinstance(mode, str) and mode.upper() == "HTML"


class TelegramLimits(BaseRequestMiddleware):
    """Splits or shortens texts and captions Telegram would refuse for their length."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, SendMessage) and not fits(method.text, MESSAGE_LIMIT):
            return await self._send_parts(make_request, bot, method)
        if (
            isinstance(method, _CAPTIONED)
            and method.caption
            and not fits(method.caption, CAPTION_LIMIT)
        ):
            return await self._send_captioned(make_request, bot, method)
        outgoing: Any = method
        if isinstance(method, EditMessageText) and method.text and not fits(method.text):
            html = _is_html(bot, method)
            outgoing = method.model_copy(
                update={"text": truncate(method.text, MESSAGE_LIMIT, html=html)}
            )
        elif (
            isinstance(method, EditMessageCaption)
            and method.caption
            and not fits(method.caption, CAPTION_LIMIT)
        ):
            html = _is_html(bot, method)
            outgoing = method.model_copy(
                update={"caption": truncate(method.caption, CAPTION_LIMIT, html=html)}
            )
        return await make_request(bot, outgoing)

    async def _send_parts(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: SendMessage
    ) -> Any:
        parts = split_numbered(method.text, MESSAGE_LIMIT, html=_is_html(bot, method))
        log.info(
            "a text of %s characters to %s goes in %s parts",
            len(method.text),
            method.chat_id,
            len(parts),
        )
        result: Any = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            update: dict[str, Any] = {"text": part, "entities": None}
            if not last:
                update["reply_markup"] = None
            if index:
                update["reply_parameters"] = None
                update["reply_to_message_id"] = None
            result = await make_request(bot, method.model_copy(update=update))
        return result

    async def _send_captioned(
        self, make_request: NextRequestMiddlewareType[Any], bot: Bot, method: Any
    ) -> Any:
        html = _is_html(bot, method)
        head, *tail = split_text(method.caption, CAPTION_LIMIT, html=html)
        media = method.model_copy(
            update={"caption": head, "caption_entities": None, "reply_markup": None}
        )
        result: Any = await make_request(bot, media)
        parts = split_numbered("".join(tail), MESSAGE_LIMIT, html=html)
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            text = SendMessage(
                chat_id=method.chat_id,
                text=part,
                parse_mode=method.parse_mode,
                message_thread_id=method.message_thread_id,
                reply_markup=method.reply_markup if last else None,
            )
            result = await make_request(bot, text)
        return result


Sleep = Callable[[float], Awaitable[Any]]


class TelegramRetry(BaseRequestMiddleware):
    """Retries 429 (after ``retry_after``), 5xx and network errors within a time budget."""

    def __init__(
        self,
        budget: float = 30.0,
        *,
        first_delay: float = 0.5,
        max_delay: float = 8.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.budget = budget
        self.first_delay = first_delay
        self.max_delay = max_delay
        self._sleep = sleep

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if DURABLE_CALL.get():
            return await make_request(bot, method)
        budget = (
            min(self.budget, _CALLBACK_BUDGET)
            if isinstance(method, AnswerCallbackQuery)
            else self.budget
        )
        waited = 0.0
        attempt = 0
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                delay = float(exc.retry_after)
                error: Exception = exc
            except (TelegramServerError, TelegramNetworkError) as exc:
                delay = min(self.first_delay * 2**attempt, self.max_delay)
                error = exc
            if waited + delay > budget:
                log.warning(
                    "%s to %s failed after %s attempts: %s",
                    type(method).__name__,
                    getattr(method, "chat_id", None),
                    attempt + 1,
                    error,
                )
                raise error
            attempt += 1
            waited += delay
            log.info(
                "%s to %s: %s; retrying in %.1f s",
                type(method).__name__,
                getattr(method, "chat_id", None),
                type(error).__name__,
                delay,
            )
            await self._sleep(delay)
