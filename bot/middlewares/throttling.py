"""Per-user flood control: a sliding window of messages, one notice per flood.

It protects without losing what matters: curators and admins are never throttled (they work in
bursts: editing the FAQ, answering a queue), an album counts as one message however many
photos it has, and a student's messages in an open consultation always go through to be
relayed in order, since dropping them would lose what they told their curator. With Redis the
window is counted there, so a burst spread over several replicas is counted once.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, User
from aiogram.utils.i18n import gettext as _

from bot.middlewares import Data, Handler
from bot.services.consultations import OpenCases
from bot.services.roles import RoleDirectory
from bot.shared_state import SharedState


class ThrottlingMiddleware(BaseMiddleware):
    """Lets `burst` events per user through in any `window` seconds.

    Past that, the user gets a single notice and further events are dropped until the window
    has room again; other users are unaffected.
    """

    def __init__(
        self,
        burst: int,
        window: float,
        max_users: int = 100_000,
        *,
        roles: RoleDirectory | None = None,
        cases: OpenCases | None = None,
        shared: SharedState | None = None,
    ) -> None:
        self.burst = burst
        self.window = window
        self.max_users = max_users
        self.roles = roles
        self.cases = cases
        self.shared = shared
        self._events: dict[int, deque[float]] = {}
        self._noticed: dict[int, float] = {}
        self._albums: dict[int, str] = {}

    def _exempt(self, user_id: int, event: TelegramObject) -> bool:
        if self.roles is not None and (
            self.roles.is_admin(user_id) or self.roles.is_curator(user_id)
        ):
            return True
        if isinstance(event, Message):
            if self.cases is not None and user_id in self.cases:
                return True
            album = event.media_group_id
            if album is not None:
                if self._albums.get(user_id) == album:
                    return True  # the rest of an album already counted once
                if len(self._albums) >= self.max_users:
                    self._albums.clear()
                self._albums[user_id] = album
        return False

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

    async def __call__(self, handler: Handler, event: TelegramObject, data: Data) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return await handler(event, data)
        if self._exempt(user.id, event):
            return await handler(event, data)
        if self.shared is not None:
            verdict = await self.shared.allow(user.id, self.burst, self.window, time.time())
            if verdict == 1:
                return await handler(event, data)
            told = verdict == -1
        else:
            now = time.monotonic()
            if self._allow(user.id, now):
                return await handler(event, data)
            told = user.id in self._noticed
            self._noticed[user.id] = now
        if told:
            if isinstance(event, CallbackQuery):
                await event.answer()
            return None
        notice = _(
            "You are writing very fast. Please wait a few seconds, then send your message again."
        )
        if isinstance(event, Message):
            await event.answer(notice)
        elif isinstance(event, CallbackQuery):
            await event.answer(notice, show_alert=True)
        return None
