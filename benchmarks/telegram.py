"""Telegram for benchmarks: a Bot API session that answers every method at once, so only
Kelisim's own work is measured, and that notes when each message went out."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.methods import SendMessage, TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import Chat, Message, User

BOT_USER = User(id=42, is_bot=True, first_name="Kelisim")


class InstantTelegram(BaseSession):
    """Answers at once with a plausible result; `sent_at` holds each message's send time."""

    def __init__(self) -> None:
        super().__init__()
        self.sent_at: list[float] = []
        self._ids = itertools.count(1)

    async def close(self) -> None:
        return None

    async def stream_content(self, *args: Any, **kwargs: Any) -> AsyncIterator[bytes]:
        raise NotImplementedError
        yield b""

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 - the framework's signature
    ) -> TelegramType:
        if isinstance(method, SendMessage):
            self.sent_at.append(time.monotonic())
            return Message(  # type: ignore[return-value]
                message_id=next(self._ids),
                date=datetime.now(UTC),
                chat=Chat(id=int(method.chat_id), type="private"),
                from_user=BOT_USER,
                text=method.text,
            )
        return True  # type: ignore[return-value]
