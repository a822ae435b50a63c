"""Side effects after commit: what leaves the process (cards to curators, scheduled jobs)
goes only once the update's transaction commits, and never from one that rolls back."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.types import TelegramObject
from sqlalchemy import func, select

from bot.config import Settings
from bot.db.models import Consultation, User, utcnow
from bot.db.unit_of_work import after_commit, unit_of_work
from bot.factory import App
from tests.consult_support import (
    CURATOR_CHAT_ID,
    CURATOR_ID,
    SECOND_CURATOR_ID,
    consent,
    consult_settings,
    request_consultation,
    sent_to,
)
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession


@pytest.fixture
def settings(db_url: str) -> Settings:
    return consult_settings(db_url)


@pytest.fixture
async def running(app: App, bot: Bot) -> AsyncIterator[App]:
    app.start_scheduler(bot)
    yield app


class FailAfterHandler(BaseMiddleware):
    """Lets the handler run, then fails the update, as a failing commit would."""

    armed = False

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        result = await handler(event, data)
        if self.armed:
            raise RuntimeError("the update fails after its handler")
        return result


async def consultations_stored(app: App) -> int:
    async with app.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(Consultation)) or 0)


async def test_a_rolled_back_consultation_reaches_no_curator_and_leaves_no_sla_job(
    student: ChatDriver, dp: Dispatcher, running: App, recording: RecordingSession
) -> None:
    failing = FailAfterHandler()
    dp.callback_query.outer_middleware(failing)
    await consent(student)
    assert running.planner is not None
    jobs_before = running.planner.pending()
    failing.armed = True
    await request_consultation(student)

    assert await consultations_stored(running) == 0
    assert running.planner.pending() == jobs_before
    for staff in (CURATOR_ID, SECOND_CURATOR_ID, CURATOR_CHAT_ID):
        assert sent_to(recording, staff) == [], staff
    # The student is told it did not work, not that the request was sent.
    assert "#1" not in student.last_text()


async def test_a_committed_consultation_reaches_curators_and_starts_its_sla_timer(
    student: ChatDriver, running: App, recording: RecordingSession
) -> None:
    await consent(student)
    assert running.planner is not None
    jobs_before = running.planner.pending()
    await request_consultation(student)

    assert await consultations_stored(running) == 1
    assert running.planner.pending() == jobs_before + 2  # curators' nudge, then the admins'
    assert sent_to(recording, CURATOR_ID) and sent_to(recording, CURATOR_CHAT_ID)
    assert "#1" in student.last_text()


async def test_effects_run_in_order_after_commit_and_one_failing_does_not_stop_the_rest(
    app: App,
) -> None:
    done: list[str] = []

    def broken() -> None:
        raise RuntimeError("this effect fails")

    async def later() -> None:
        done.append("async")

    async with unit_of_work(app.session_factory) as session:
        session.add(User(id=77, language="ru", consent_version="1", consent_at=utcnow()))
        after_commit(session, lambda: done.append("plain"))
        after_commit(session, broken)
        after_commit(session, later)
        assert done == []  # nothing before the commit
    assert done == ["plain", "async"]


async def test_effects_of_a_rolled_back_unit_of_work_are_dropped(app: App) -> None:
    done: list[str] = []
    with pytest.raises(RuntimeError):
        async with unit_of_work(app.session_factory) as session:
            session.add(User(id=78, language="ru", consent_version="1", consent_at=utcnow()))
            after_commit(session, lambda: done.append("sent"))
            raise RuntimeError("rolled back")
    assert done == []
    async with app.session_factory() as session:
        assert await session.get(User, 78) is None
