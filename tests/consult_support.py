"""Helpers for consultation tests: settings with short delays, curators, the request form
driven as a student would, waiting for scheduled messages."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage, TelegramMethod
from sqlalchemy import select

from bot.config import Settings
from bot.db.migrate import upgrade
from bot.db.models import Consultation, FollowUpSurvey
from bot.factory import App, create_app
from bot.services.knowledge import import_items
from knowledge_base.loader import load_paths
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession, chat_of
from tests.support import RuleNlu

SMALL_KB = Path(__file__).parent / "data" / "faq_small.yml"
ADMIN_ID = 9001
CURATOR_ID = 8001
SECOND_CURATOR_ID = 8002
CURATOR_CHAT_ID = -100777
STUDENT_NAME = "Aigerim"
STUDENT_USERNAME = "aigerim_s"
STUDENT_ID = 5001


def consult_settings(db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "bot_token": "42:TEST",
        "database_url": db_url,
        "rasa_url": "http://127.0.0.1:9",
        "admin_ids": [ADMIN_ID],
        "curator_ids": [CURATOR_ID, SECOND_CURATOR_ID],
        "curator_chat_id": CURATOR_CHAT_ID,
        "survey_delay": 1,
        "sla_remind_after": 3600,
        "log_flush_interval": 0.05,
        "throttle_burst": 50,
        "outbox_rate": 1000.0,
        "outbox_chat_rate": 1000.0,
        "outbox_chat_burst": 1000.0,
        "outbox_group_per_minute": 60_000.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def make_app(settings: Settings) -> App:
    """An application over a migrated store with the small test knowledge base."""
    await asyncio.to_thread(upgrade, settings.database_url)
    app = create_app(settings, nlu=RuleNlu())  # type: ignore[arg-type]
    async with app.session_factory() as session, session.begin():
        if not app.kb.by_slug("nauryz-dates"):
            result = load_paths([SMALL_KB])
            await import_items(session, result.items)
    await app.kb.reload(app.session_factory)
    app.recorder.start()
    return app


def driver(
    dp: Dispatcher,
    bot: Bot,
    recording: RecordingSession,
    user_id: int,
    name: str,
    language: str = "ru",
    **kwargs: Any,
) -> ChatDriver:
    return ChatDriver(
        dp, bot, recording, user_id=user_id, first_name=name, language_code=language, **kwargs
    )


async def consent(student: ChatDriver, label: str = "Қазақша") -> None:
    await student.send_command("/start")
    await student.click(label)
    await student.click("✅")


async def request_consultation(
    student: ChatDriver,
    *,
    area: str = "⚖️",
    answers: tuple[str | None, ...] = ("Жатақханада", None, "Иә, бұрын да болған"),
    message: str | None = "Мені ұлтыма байланысты қорлады",
    anonymous: bool = True,
) -> None:
    """Go through /consult as a consenting student: area, questionnaire, message, anonymity."""
    await student.send_command("/consult")
    await student.click(area)
    for answer in answers:
        if answer is None:
            await student.click("⏭")
        else:
            await student.send(answer)
    if message is None:
        await student.click("⏭")
    else:
        await student.send(message)
    await student.click("🕶" if anonymous else "👤")
    await student.click("📨")


STAFF_CHATS = (CURATOR_ID, SECOND_CURATOR_ID, ADMIN_ID, CURATOR_CHAT_ID)


def assert_anonymous(recording: RecordingSession) -> None:
    """Nothing a curator or admin can see (texts, captions, buttons) names the student."""
    for chat in STAFF_CHATS:
        for method in sent_to(recording, chat):
            shown = str(method.model_dump(exclude={"chat_id"}))
            for secret in (STUDENT_NAME, STUDENT_USERNAME, str(STUDENT_ID)):
                assert secret not in shown, f"{secret!r} shown to {chat}: {shown[:300]}"


def sent_to(recording: RecordingSession, chat_id: int) -> list[TelegramMethod[Any]]:
    return [m for m in recording.requests if chat_of(m) == chat_id]


def texts_to(recording: RecordingSession, chat_id: int) -> list[str]:
    out = []
    for method in sent_to(recording, chat_id):
        text = getattr(method, "text", None) or getattr(method, "caption", None)
        if text:
            out.append(text)
    return out


def survey_messages(recording: RecordingSession, student_id: int) -> list[SendMessage]:
    """Survey questions (messages with the 1–5 rating buttons) sent to the student."""
    found = []
    for method in recording.requests:
        if isinstance(method, SendMessage) and method.chat_id == student_id:
            markup = method.reply_markup
            labels = [b.text for row in getattr(markup, "inline_keyboard", []) for b in row]
            if any(label.startswith("5 ") for label in labels):
                found.append(method)
    return found


async def wait_until(predicate: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("the expected message did not arrive in time")
        await asyncio.sleep(0.05)


async def the_consultation(app: App) -> Consultation:
    async with app.session_factory() as session:
        row = await session.scalar(select(Consultation).order_by(Consultation.id.desc()))
    assert row is not None
    return row


async def the_survey(app: App) -> FollowUpSurvey | None:
    async with app.session_factory() as session:
        return await session.scalar(select(FollowUpSurvey).order_by(FollowUpSurvey.id.desc()))
