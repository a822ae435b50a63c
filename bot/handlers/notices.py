"""The journeys' side of the scheduler's notices port: one object the factory hands to the
planner, each method rendered by the journey it belongs to."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.buddy_models import BuddyNotice
from bot.db.models import Event
from bot.handlers.announcements.notices import report_notice
from bot.handlers.buddy.notices import buddy_notice, checkin_notice
from bot.handlers.consultation.notices import (
    reply_overdue_notice,
    survey_notice,
    unclaimed_notice,
)
from bot.handlers.events.notices import (
    event_changed_notice,
    event_reminder_notice,
    new_event_notice,
)
from bot.scheduler.port import Notice
from bot.services.announcements import Summary


class TelegramNotices:
    """Implements `bot.scheduler.port.Notices`."""

    def survey(self, consultation_id: int, survey_id: int, *, reminder: bool) -> Notice:
        return survey_notice(consultation_id, survey_id, reminder=reminder)

    def unclaimed(
        self, consultation_id: int, waited: float, locale: str, *, escalated: bool
    ) -> Notice:
        return unclaimed_notice(consultation_id, waited, locale, escalated=escalated)

    def reply_overdue(self, consultation_id: int, waited: float, locale: str) -> Notice:
        return reply_overdue_notice(consultation_id, waited, locale)

    def event_reminder(self, event: Event, language: str, which: str) -> Notice:
        return event_reminder_notice(event, language, which)

    def event_changed(self, event: Event, language: str, change: str) -> Notice:
        return event_changed_notice(event, language, change)

    def new_event(self, event: Event, language: str) -> Notice:
        return new_event_notice(event, language)

    def announcement_report(self, summary: Summary) -> Notice:
        return report_notice(summary)

    async def buddy_notice(self, session: AsyncSession, notice: BuddyNotice) -> Notice | None:
        return await buddy_notice(session, notice)

    def buddy_checkin(self, pair_id: int) -> Notice:
        return checkin_notice(pair_id)
