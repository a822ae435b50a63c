"""First contact: language, consent, commands, and the data kept before and after consent."""

from __future__ import annotations

from aiogram.methods import SetMyCommands
from sqlalchemy import func, select

from bot.commands import register_commands
from bot.db.models import User
from bot.factory import App
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession, method_not_found
from tests.lang import looks_kazakh, looks_russian


async def count_users(app: App) -> int:
    async with app.session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_start_prefills_language_from_telegram(
    student: ChatDriver, other_student: ChatDriver
) -> None:
    await student.send_command("/start")
    assert student.buttons()[0].startswith("🇰🇿 Қазақша ✓")
    await other_student.send_command("/start")
    assert other_student.buttons()[0].startswith("🇷🇺 Русский ✓")


async def test_consent_in_chosen_language_then_stored(student: ChatDriver, app: App) -> None:
    await student.send_command("/start")
    await student.click("Русский")
    consent = student.last_text()
    assert looks_russian(consent)
    assert await count_users(app) == 0, "nothing personal is stored before consent"
    await student.click("✅")
    assert looks_russian(student.last_text())
    async with app.session_factory() as session:
        user = await session.get(User, student.user.id)
    assert user is not None
    assert user.language == "ru"
    assert user.consent_version and user.consent_at is not None
    assert user.username == "aigerim_s"


async def test_declining_consent_stores_nothing_but_questions_still_answered(
    student: ChatDriver, app: App
) -> None:
    await student.send_command("/start")
    await student.click("Қазақша")
    await student.click("✖")
    assert looks_kazakh(student.last_text())
    await student.send("Наурыз қашан тойланады?")
    assert "21–23" in student.last_text()
    assert await count_users(app) == 0


async def test_lang_switches_language_of_every_reply(student: ChatDriver) -> None:
    await student.send_command("/start")
    await student.click("Қазақша")
    await student.click("✅")
    await student.send_command("/lang")
    await student.click("Русский")
    assert looks_russian(student.last_text())
    await student.send_command("/help")
    assert looks_russian(student.last_text())
    await student.send_command("/menu")
    assert all(
        looks_russian(label) or "🌐" in label or "❓" in label for label in student.buttons()[:1]
    )


async def test_commands_answer_at_any_time(student: ChatDriver) -> None:
    for command in ("/help", "/menu", "/privacy", "/lang"):
        await student.send_command(command)
        assert student.texts(), f"{command} got no answer"
        assert student.buttons(), f"{command} shows no buttons"


async def test_commands_registered_per_language(app: App, bot, recording: RecordingSession) -> None:
    await register_commands(bot, app.i18n, "kk")
    calls = [m for m in recording.requests if isinstance(m, SetMyCommands)]
    by_language = {c.language_code: c for c in calls}
    assert {"kk", "ru", None} <= set(by_language)
    assert looks_kazakh(" ".join(c.description for c in by_language["kk"].commands))
    assert looks_russian(" ".join(c.description for c in by_language["ru"].commands))


async def test_bot_api_without_set_my_commands_is_not_fatal(
    app: App, bot, recording: RecordingSession
) -> None:
    recording.fail_always(SetMyCommands, method_not_found)
    await register_commands(bot, app.i18n, "kk")  # must not raise
