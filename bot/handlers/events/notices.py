"""Scheduled notices of events: reminders, changes, new events (the scheduler's port)."""

from __future__ import annotations

from bot.db.models import Event
from bot.handlers.events.ui import (
    cancelled_text,
    event_card_keyboard,
    moved_text,
    new_event_text,
    reminder_text,
)
from bot.scheduler.port import Notice


def event_reminder_notice(event: Event, language: str, which: str) -> Notice:
    return Notice(reminder_text(event, language, which))


def event_changed_notice(event: Event, language: str, change: str) -> Notice:
    render = cancelled_text if change == "cancelled" else moved_text
    return Notice(render(event, language))


def new_event_notice(event: Event, language: str) -> Notice:
    return Notice(new_event_text(event, language), event_card_keyboard(event))
