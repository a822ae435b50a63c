"""Deleting one's data: asked for confirmation, then really deleted; /privacy tells the truth."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.db.models import FaqEntryStats, FaqFeedback, QuestionLog, User
from bot.factory import App
from tests.fakes.chat import ChatDriver
from tests.lang import looks_kazakh
from tests.support import RuleNlu


async def rows(app: App, model, user_id: int) -> int:  # type: ignore[no-untyped-def]
    async with app.session_factory() as session:
        column = model.id if model is User else model.user_id
        return int(
            await session.scalar(select(func.count()).select_from(model).where(column == user_id))
            or 0
        )


async def test_delete_my_data_asks_then_erases_everything_personal(
    student: ChatDriver, other_student: ChatDriver, app: App, nlu: RuleNlu
) -> None:
    for driver, label in ((student, "Қазақша"), (other_student, "Русский")):
        await driver.send_command("/start")
        await driver.click(label)
        await driver.click("✅")
        await driver.send("какой-то вопрос без ответа про стипендию")
        await driver.send("Наурыз қашан?")
        await driver.click("👍")
    await app.recorder.flush()
    assert await rows(app, QuestionLog, student.user.id) == 2

    nlu.script("менің деректерімді өшіріңіз", "delete_my_data", 0.97)
    await student.send("менің деректерімді өшіріңіз")
    assert looks_kazakh(student.last_text())
    # Nothing is deleted until confirmed.
    assert await rows(app, User, student.user.id) == 1
    await student.click("🗑")
    assert looks_kazakh(student.last_text())

    for model in (User, QuestionLog, FaqFeedback):
        assert await rows(app, model, student.user.id) == 0, model.__name__
    # Another student's data and the anonymous counters stay.
    assert await rows(app, User, other_student.user.id) == 1
    assert await rows(app, QuestionLog, other_student.user.id) == 2
    async with app.session_factory() as session:
        assert sum(s.helpful for s in (await session.scalars(select(FaqEntryStats))).all()) == 2

    # Writing again starts from scratch: no profile, consent asked again on /start.
    await student.send_command("/start")
    assert any("Қазақша" in b for b in student.buttons())


async def test_cancel_deletion_keeps_data(student: ChatDriver, app: App) -> None:
    await student.send_command("/start")
    await student.click("Қазақша")
    await student.click("✅")
    await student.send_command("/privacy")
    await student.click("🗑")
    labels = student.buttons()
    await student.click(labels[-1])  # cancel
    assert await rows(app, User, student.user.id) == 1


async def test_privacy_tells_whether_anything_is_stored(student: ChatDriver) -> None:
    await student.send_command("/privacy")
    before = student.last_text()
    await student.send_command("/start")
    await student.click("Қазақша")
    await student.click("✅")
    await student.send_command("/privacy")
    assert student.last_text() != before
    assert looks_kazakh(student.last_text())


async def test_retention_deletes_only_long_inactive_students(
    student: ChatDriver, other_student: ChatDriver, app: App
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from bot.db.models import utcnow
    from bot.services.users import purge_inactive

    for driver, label in ((student, "Қазақша"), (other_student, "Русский")):
        await driver.send_command("/start")
        await driver.click(label)
        await driver.click("✅")
    async with app.session_factory() as session, session.begin():
        await session.execute(
            update(User)
            .where(User.id == student.user.id)
            .values(last_seen_at=utcnow() - timedelta(days=400))
        )
        assert await purge_inactive(session, 365) == 1
    assert await rows(app, User, student.user.id) == 0
    assert await rows(app, User, other_student.user.id) == 1
