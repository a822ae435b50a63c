"""The report an admin gets when their announcement has been delivered (the scheduler's
port)."""

from __future__ import annotations

from bot.handlers.announcements.ui import announcement_report
from bot.scheduler.port import Notice
from bot.services.announcements import Summary


def report_notice(summary: Summary) -> Notice:
    return Notice(announcement_report(summary))
