"""Helpers for event, cabinet and announcement tests: events made directly in the store, the
admin's create dialog driven as an admin would, messages a chat received."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage

from bot.db.models import utcnow
from bot.factory import App
from bot.scheduler.outreach import schedule_event
from bot.services import events
from bot.services.events import EventDraft
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession

ADMIN_ID = 9001


def admin_driver(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(dp, bot, recording, user_id=ADMIN_ID, first_name="Admin", language_code="ru")


async def make_event(
    app: App,
    starts_in: timedelta,
    *,
    kind: str = "culture_day",
    title_kk: str = "Корей мәдениеті күні",
    title_ru: str = "День корейской культуры",
    capacity: int | None = None,
    **extra: Any,
) -> int:
    """An event published straight into the store, with its reminders scheduled."""
    draft = EventDraft(
        kind=kind,
        title_kk=title_kk,
        title_ru=title_ru,
        description_kk=extra.get("description_kk", "Ән, би және корей асханасы."),
        description_ru=extra.get("description_ru", "Песни, танцы и корейская кухня."),
        starts_at=utcnow() + starts_in,
        place=extra.get("place", "Бас корпус, 201 аудитория"),
        capacity=capacity,
    )
    async with app.session_factory() as session, session.begin():
        event = await events.create_event(session, draft, ADMIN_ID)
    assert app.planner is not None
    schedule_event(app.planner, event.id, event.starts_at)
    return event.id


def messages_to(recording: RecordingSession, chat_id: int, mark: str) -> list[str]:
    """Texts sent to `chat_id` that contain `mark` (an emoji the bot starts a notice with)."""
    return [
        m.text
        for m in recording.requests
        if isinstance(m, SendMessage) and m.chat_id == chat_id and mark in m.text
    ]


async def create_event_by_dialog(
    admin: ChatDriver,
    *,
    kind_label: str = "🎭",
    when: str = "05.12.2031 18:00",
    capacity: str | None = "20",
) -> None:
    await admin.send_command("/new_event")
    await admin.click(kind_label)
    for text in (
        "Корей мәдениеті күні",
        "День корейской культуры",
        "Ән, би және корей асханасы.",
        "Песни, танцы и корейская кухня.",
        when,
        "Бас корпус, 201 аудитория",
    ):
        await admin.send(text)
    if capacity is None:
        await admin.click("∞")
    else:
        await admin.send(capacity)
    await admin.click("✅")


def reminders_to(recording: RecordingSession, chat_id: int) -> list[str]:
    """Event reminders the chat received ("🔔 Tomorrow: …" with the time under it)."""
    return [t for t in messages_to(recording, chat_id, "🕒") if t.startswith("🔔")]
