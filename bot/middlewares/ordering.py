"""Updates from one chat are handled one after another, in the order they arrived.

Polling hands each update to its own task, so two messages a curator (or student) sends in
quick succession could otherwise be relayed in the wrong order whenever the first one's
database work happens to take longer. The lock is taken before any handler work suspends, and
asyncio locks are first-come first-served, so arrival order is kept. Different chats never wait
for each other.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update

from bot.middlewares import Data, Handler


class ChatOrderMiddleware(BaseMiddleware):
    """An outer middleware on `dp.update`: one lock per chat, dropped when nobody waits."""

    def __init__(self) -> None:
        # chat id -> (lock, how many updates hold or wait for it)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: Data) -> Any:
        chat_id = _chat_of(event)
        if chat_id is None:
            return await handler(event, data)
        lock, users = self._locks.get(chat_id) or (asyncio.Lock(), 0)
        self._locks[chat_id] = (lock, users + 1)
        try:
            async with lock:
                return await handler(event, data)
        finally:
            lock, users = self._locks[chat_id]
            if users <= 1:
                del self._locks[chat_id]
            else:
                self._locks[chat_id] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)


def _chat_of(event: TelegramObject) -> int | None:
    if not isinstance(event, Update):
        return None
    if event.message is not None:
        return event.message.chat.id
    if event.callback_query is not None:
        return event.callback_query.from_user.id
    return None
