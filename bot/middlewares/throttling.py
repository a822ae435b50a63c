"""Per-user flood control: a sliding window of messages, one notice per flood."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from aiogram.utils.i18n import gettext as _


class ThrottlingMiddleware(BaseMiddleware):
    """Lets `burst` events per user through in any `window` seconds.

    Past that, the user gets a single notice and further events are dropped until the window
    has room again; other users are unaffected.
    """

    def __init__(self, burst: int, window: float, max_users: int = 100_000) -> None:
        self.burst = burst
        self.window = window
        self.max_users = max_users
        self._events: dict[int, deque[float]] = {}
        self._noticed: dict[int, float] = {}

    def _allow(self, user_id: int, now: float) -> bool:
        events = self._events.get(user_id)
        if events is None:
            if len(self._events) >= self.max_users:
                self._events.clear()
                self._noticed.clear()
            events = self._events[user_id] = deque()
        while events and events[0] <= now - self.window:
            events.popleft()
        if len(events) >= self.burst:
            return False
        events.append(now)
        self._noticed.pop(user_id, None)
        return True

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        now = time.monotonic()
        if self._allow(user.id, now):
            return await handler(event, data)
        if user.id in self._noticed:
            if isinstance(event, CallbackQuery):
                await event.answer()
            return None
        self._noticed[user.id] = now
        notice = _(
            "You are writing very fast. Please wait a few seconds, then send your message again."
        )
        if isinstance(event, Message):
            await event.answer(notice)
        elif isinstance(event, CallbackQuery):
            await event.answer(notice, show_alert=True)
        return None
