"""The notices port: what scheduled jobs ask the Telegram side to render.

Jobs decide who gets what and when, and send; how a notice reads (its text in the current
locale, its buttons) belongs to the journeys (`bot/handlers/*/notices.py`), plugged in by
the factory. So no job imports a handler or a UI module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from aiogram.types import InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.buddy_models import BuddyNotice
from bot.db.models import Event
from bot.services.announcements import Summary


@dataclass(frozen=True)
class Notice:
    text: str
    markup: InlineKeyboardMarkup | None = None


class Notices(Protocol):
    """Renders in the current locale (the job sets it for each recipient)."""

    def survey(self, consultation_id: int, survey_id: int, *, reminder: bool) -> Notice: ...

    def unclaimed(
        self, consultation_id: int, waited: float, locale: str, *, escalated: bool
    ) -> Notice: ...

    def reply_overdue(self, consultation_id: int, waited: float, locale: str) -> Notice: ...

    def event_reminder(self, event: Event, language: str, which: str) -> Notice: ...

    def event_changed(self, event: Event, language: str, change: str) -> Notice: ...

    def new_event(self, event: Event, language: str) -> Notice: ...

    def announcement_report(self, summary: Summary) -> Notice: ...

    async def buddy_notice(self, session: AsyncSession, notice: BuddyNotice) -> Notice | None: ...

    def buddy_checkin(self, pair_id: int) -> Notice: ...
