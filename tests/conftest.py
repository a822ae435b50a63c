"""Shared fixtures: a real store migrated with Alembic (a SQLite file, or PostgreSQL: see
tests/fixtures/stores.py), the real dispatcher with a
recording Bot session, and chat drivers that act like Telegram users."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher

from bot.config import Settings
from bot.db.migrate import upgrade
from bot.factory import App, create_app, create_bot, create_dispatcher
from bot.services.knowledge import import_items
from knowledge_base.loader import load_paths
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.support import RuleNlu

pytest_plugins = ["tests.fixtures.rasa", "tests.fixtures.stores", "tests.fixtures.telegram"]

SMALL_KB = Path(__file__).parent / "data" / "faq_small.yml"
STUDENT_ID = 5001
OTHER_STUDENT_ID = 5002


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token="42:TEST",
        database_url=db_url,
        rasa_url="http://127.0.0.1:9",
        admin_ids=[9001],
        curator_ids=[8001],
        log_flush_interval=0.05,
        throttle_burst=30,
        # Telegram's pace is the outbox's business in production; tests need not wait for it.
        outbox_rate=1000.0,
        outbox_chat_rate=1000.0,
        outbox_chat_burst=1000.0,
        outbox_group_per_minute=60_000.0,
    )


@pytest.fixture
def nlu() -> RuleNlu:
    return RuleNlu()


@pytest.fixture
async def app(settings: Settings, nlu: RuleNlu) -> AsyncIterator[App]:
    await asyncio.to_thread(upgrade, settings.database_url)
    application = create_app(settings, nlu=nlu)  # type: ignore[arg-type]
    result = load_paths([SMALL_KB])
    assert result.ok, result.problems
    async with application.session_factory() as session, session.begin():
        await import_items(session, result.items)
    await application.kb.reload(application.session_factory)
    application.recorder.start()
    yield application
    await application.aclose()


@pytest.fixture
def recording() -> RecordingSession:
    return RecordingSession()


@pytest.fixture
async def bot(settings: Settings, recording: RecordingSession) -> AsyncIterator[Bot]:
    instance = create_bot(settings, session=recording)
    yield instance
    await instance.session.close()


@pytest.fixture
def dp(app: App) -> Dispatcher:
    return create_dispatcher(app)


@pytest.fixture
def student(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(
        dp,
        bot,
        recording,
        user_id=STUDENT_ID,
        first_name="Aigerim",
        username="aigerim_s",
        language_code="kk",
    )


@pytest.fixture
def other_student(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(
        dp, bot, recording, user_id=OTHER_STUDENT_ID, first_name="Ivan", language_code="ru"
    )
