"""A store that refuses writes loses nothing: what a student writes meanwhile is kept, told
once, and delivered and stored in order when the store is back, without a restart."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from aiogram import Bot, Dispatcher
from sqlalchemy import event, select

from bot.config import Settings
from bot.db.models import ConsultationMessage
from bot.factory import App
from bot.middlewares.outage import UpdateSpool
from tests.consult_support import (
    CURATOR_ID,
    STUDENT_ID,
    consent,
    consult_settings,
    driver,
    request_consultation,
    texts_to,
)
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession

WRITES = ("INSERT", "UPDATE", "DELETE")
NUMBERED = re.compile(r"хабар \d+$")


@pytest.fixture
def settings(db_url: str) -> Settings:
    return consult_settings(db_url)


@pytest.fixture
async def running(app: App, bot: Bot) -> AsyncIterator[App]:
    app.start_scheduler(bot)
    yield app


@pytest.fixture
def curator(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return driver(dp, bot, recording, CURATOR_ID, "Dana", username="dana_curator")


@pytest.fixture
def read_only(app: App) -> Iterator[dict[str, bool]]:
    """A switch that makes the store refuse every write, as a read-only SQLite file does."""
    switch = {"on": False}
    dbapi = app.engine.dialect.loaded_dbapi

    def refuse(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if switch["on"] and statement.lstrip().upper().startswith(WRITES):
            raise dbapi.OperationalError("attempt to write a readonly database")

    event.listen(app.engine.sync_engine, "before_cursor_execute", refuse)
    yield switch
    event.remove(app.engine.sync_engine, "before_cursor_execute", refuse)


async def stored_texts(app: App) -> list[str]:
    async with app.session_factory() as session:
        rows = await session.scalars(
            select(ConsultationMessage)
            .where(ConsultationMessage.sender == "student")
            .order_by(ConsultationMessage.id)
        )
        return [r.text or "" for r in rows]


async def test_relays_during_a_read_only_store_arrive_in_order_once_it_is_back(
    student: ChatDriver,
    curator: ChatDriver,
    running: App,
    dp: Dispatcher,
    bot: Bot,
    recording: RecordingSession,
    read_only: dict[str, bool],
) -> None:
    await consent(student)
    await request_consultation(student)
    await curator.click("✋")

    read_only["on"] = True
    for number in range(1, 6):
        await student.send(f"хабар {number}")
    saved_notices = [t for t in texts_to(recording, STUDENT_ID) if "техникалық ақау" in t]
    assert len(saved_notices) == 1, "told once, not for every message"
    assert not [t for t in texts_to(recording, CURATOR_ID) if NUMBERED.search(t)]

    read_only["on"] = False
    await student.send("хабар 6")  # queues behind what waits, to keep the order
    spool: UpdateSpool = dp["spool"]
    assert len(spool) == 6
    await spool.replay(bot, dp)
    await dp["outbox"].drain(bot)
    assert len(spool) == 0
    relayed = [m.group(0) for t in texts_to(recording, CURATOR_ID) if (m := NUMBERED.search(t))]
    assert relayed == [f"хабар {n}" for n in range(1, 7)]
    assert [t for t in await stored_texts(running) if NUMBERED.fullmatch(t)] == relayed

    await student.send("хабар 7")  # afterwards the bot works as usual, no restart needed
    assert texts_to(recording, CURATOR_ID)[-1].endswith("хабар 7")


async def test_a_replay_stops_at_the_first_failure_and_keeps_the_rest(
    student: ChatDriver,
    dp: Dispatcher,
    bot: Bot,
    read_only: dict[str, bool],
) -> None:
    await consent(student)
    await request_consultation(student)
    read_only["on"] = True
    await student.send("бірінші")
    await student.send("екінші")
    spool: UpdateSpool = dp["spool"]
    assert len(spool) == 2
    assert await spool.replay(bot, dp) == 0
    assert len(spool) == 2
    read_only["on"] = False
    assert await spool.replay(bot, dp) == 2
