"""Two replicas over one store and one Redis (TEST_REDIS_URL): a form started on one replica
goes on on the other, a burst is counted once across them, and a change committed on one is
seen by the other at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.methods import SendMessage
from sqlalchemy import select, update

from bot.db.models import Consultation, User
from bot.factory import App, create_dispatcher
from tests.consult_support import STUDENT_ID, consent, consult_settings, driver, make_app
from tests.fakes.builders import make_user, message_update, user_message
from tests.fakes.recording import RecordingSession

pytestmark = pytest.mark.redis


@pytest.fixture
async def replicas(
    db_url: str, redis_url: str, redis_prefix: str
) -> AsyncIterator[tuple[App, App]]:
    settings = consult_settings(db_url, redis_url=redis_url, redis_prefix=redis_prefix)
    first = await make_app(settings)
    second = await make_app(settings)
    yield first, second
    assert first.shared is not None
    async for key in first.shared.redis.scan_iter(match=f"{redis_prefix}:*"):
        await first.shared.redis.delete(key)
    await first.aclose()
    await second.aclose()


async def test_a_form_started_on_one_replica_is_finished_on_the_other(
    replicas: tuple[App, App], recording: RecordingSession, bot: Bot
) -> None:
    first, second = replicas
    on_first = driver(create_dispatcher(first), bot, recording, 5077, "Ivan")
    on_second = driver(create_dispatcher(second), bot, recording, 5077, "Ivan")
    await consent(on_first, "Русский")
    await on_first.send_command("/consult")
    await on_first.click("⚖️")
    await on_second.send("В общежитии")  # the next step of the form, on the other replica
    await on_second.click("⏭")
    await on_first.send("Да, уже было")
    await on_second.send("Соседи по комнате смеются над моим акцентом")
    await on_first.click("🕶")
    await on_second.click("📨")
    async with second.session_factory() as session:
        case = await session.scalar(select(Consultation).where(Consultation.student_id == 5077))
    assert case is not None and case.answers[0]["a"] == "В общежитии"


async def test_a_burst_is_counted_once_across_replicas(
    replicas: tuple[App, App], recording: RecordingSession, bot: Bot
) -> None:
    first, second = replicas
    await consent(driver(create_dispatcher(first), bot, recording, STUDENT_ID, "Aigerim"))
    for app in replicas:
        app.settings = app.settings.model_copy(update={"throttle_burst": 3})
    dps = [create_dispatcher(first), create_dispatcher(second)]
    drivers = [driver(dp, bot, recording, STUDENT_ID, "Aigerim") for dp in dps]
    for turn in range(4):  # two on each replica: only the fourth in all is over the limit
        await drivers[turn % 2].send_command("/help")
    texts = [m.text for m in recording.of_type(SendMessage) if m.chat_id == STUDENT_ID]
    notices = [t for t in texts if "өте жылдам" in t]
    assert len(notices) == 1, texts  # told once, by whichever replica saw the limit first


async def test_a_language_change_on_one_replica_is_seen_by_the_other_at_once(
    replicas: tuple[App, App], recording: RecordingSession, bot: Bot
) -> None:
    first, second = replicas
    assert second.shared is not None
    ready = asyncio.Event()
    listening = asyncio.create_task(second.shared.listen(second.apply_changes, ready))
    try:
        await asyncio.wait_for(ready.wait(), 5)
        on_second = driver(create_dispatcher(second), bot, recording, STUDENT_ID, "Aigerim")
        await consent(on_second)
        known, profile = second.profiles.get(STUDENT_ID)
        assert known and profile is not None and profile.language == "kk"
        async with first.session_factory() as session, session.begin():
            user = await session.get(User, STUDENT_ID)
            assert user is not None
            user.language = "ru"
        for _ in range(100):
            if not second.profiles.get(STUDENT_ID)[0]:
                break
            await asyncio.sleep(0.05)
        assert not second.profiles.get(STUDENT_ID)[0], "the stale profile is dropped"
        async with first.session_factory() as session, session.begin():
            await session.execute(update(User).values(language="kk"))
    finally:
        listening.cancel()


async def test_an_update_delivered_to_both_replicas_is_handled_once(
    replicas: tuple[App, App], recording: RecordingSession, bot: Bot
) -> None:
    first, second = replicas
    user = make_user(5088, language_code="ru")
    update = message_update(777_001, user_message(777_001, user, text="/start"))
    # A proxy's retry reaches the other replica while the first is still at it.
    await asyncio.gather(
        create_dispatcher(first).feed_update(bot, update),
        create_dispatcher(second).feed_update(bot, update),
    )
    replies = [m for m in recording.of_type(SendMessage) if m.chat_id == 5088]
    assert len(replies) == 1, [m.text for m in replies]
