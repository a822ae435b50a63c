"""Bad input: each gets a clear answer in the user's language and changes nothing it shouldn't."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from aiogram import Bot
from sqlalchemy import func, select

from bot.config import Settings
from bot.db.models import QuestionLog, User
from bot.factory import App, create_app, create_dispatcher
from nlu.client import NluClient
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.lang import looks_kazakh, looks_russian
from tests.support import RuleNlu


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "document"])
async def test_non_text_messages_explained_in_users_language(
    student: ChatDriver, other_student: ChatDriver, kind: str
) -> None:
    for driver, looks in ((student, looks_kazakh), (other_student, looks_russian)):
        await getattr(driver, f"send_{kind}")()
        assert len(driver.texts()) == 1
        assert looks(driver.last_text()), driver.last_text()


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
async def test_empty_text_gets_a_prompt(student: ChatDriver, text: str) -> None:
    await student.send(text)
    assert looks_kazakh(student.last_text())


async def test_emoji_only_text_redirected_politely(student: ChatDriver, app: App) -> None:
    await student.send("😀😀🎉")
    assert looks_kazakh(student.last_text())
    assert student.buttons(), "offers the menu"


async def test_very_long_text_is_answered_and_read(other_student: ChatDriver, app: App) -> None:
    text = "Когда празднуют Наурыз? " + "очень длинная история " * 250
    assert len(text) > 4000
    await other_student.send(text)
    texts = other_student.texts()
    assert len(texts) == 2, "a note that only the beginning was read, then the answer"
    assert "21–23" in texts[-1] or any("Наурыз" in b for b in other_student.buttons())
    await app.recorder.flush()
    async with app.session_factory() as session:
        stored = (await session.scalars(select(QuestionLog.text))).all()
    assert stored and len(stored[0]) <= 1000


async def test_unknown_command(student: ChatDriver) -> None:
    await student.send_command("/frobnicate")
    assert "/help" in student.last_text()
    assert looks_kazakh(student.last_text())


async def test_html_in_user_text_is_escaped_in_replies(
    other_student: ChatDriver, nlu: RuleNlu
) -> None:
    text = "<b>что</b> & <script>"
    nlu.script(text, "nlu_fallback", 0.2)
    await other_student.send(text)
    for reply in other_student.texts():
        assert "<script>" not in reply


async def test_flood_throttled_with_single_notice_and_others_unaffected(
    student: ChatDriver, other_student: ChatDriver, app: App
) -> None:
    burst = app.settings.throttle_burst
    for _ in range(burst):
        await student.send("сәлем")
    answered = 0
    notices = 0
    for _ in range(10):
        await student.send("сәлем")
        answered += len(student.texts())
        notices += 1 if student.texts() else 0
    assert notices == 1, "exactly one notice per flood"
    await other_student.send("привет")
    assert other_student.texts(), "another user is not throttled"


async def test_stale_and_forged_buttons(student: ChatDriver, app: App) -> None:
    await student.send_command("/menu")
    for data in (
        "faq:99999",
        "vote:99999:1",
        "lang:xx",
        "garbage",
        "menu:nonexistent",
        "erase:maybe",
    ):
        await student.click_data(data)
        answer = student.callback_answer()
        assert answer.text, f"{data} left without an explanation"
    async with app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0


async def test_rasa_down_degrades_to_rules_and_kb(
    settings: Settings, app: App, bot: Bot, recording: RecordingSession
) -> None:
    client = NluClient("http://127.0.0.1:9", timeout=0.5)  # nothing listens on port 9
    app.nlu = client
    dp = create_dispatcher(app)
    student = ChatDriver(dp, bot, recording, user_id=7001, language_code="ru")
    await student.send("когда наурыз")
    assert "21–23" in student.last_text()
    await student.send("меня избили из-за национальности")
    assert "102" in student.texts()[0]
    await app.recorder.flush()
    async with app.session_factory() as session:
        rows = (await session.scalars(select(QuestionLog))).all()
    assert rows and all(r.degraded for r in rows)
    await client.aclose()


@pytest.mark.sqlite_only("a store path that cannot exist on disk")
async def test_database_unavailable_reported_and_bot_keeps_running(
    tmp_path: Path, recording: RecordingSession, bot: Bot
) -> None:
    # A database path inside a regular file cannot be opened or created by anyone, root included.
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token="42:TEST",
        database_url=f"sqlite+aiosqlite:///{blocker}/kelisim.sqlite3",
    )
    app = create_app(settings, nlu=RuleNlu())  # type: ignore[arg-type]
    dp = create_dispatcher(app)
    student = ChatDriver(dp, bot, recording, user_id=7002, language_code="ru")
    await student.send_command("/start")
    reply = student.last_text()
    assert looks_russian(reply) and "сохранено" in reply  # kept for when the store is back
    await student.send_command("/help")  # fails too: kept, and not told twice
    assert not student.texts()
    other = ChatDriver(dp, bot, recording, user_id=7004, language_code="kk")
    await other.send_command("/help")
    assert other.texts(), "the bot still answers after the failure"
    assert len(dp["spool"]) == 3, "every update is kept for when the store is back"
    assert stat.S_ISREG(blocker.stat().st_mode)


@pytest.mark.sqlite_only("opens the same SQLite file read-only")
async def test_read_only_database_write_fails_cleanly(
    settings: Settings, app: App, recording: RecordingSession, bot: Bot
) -> None:
    """The store opens but refuses writes (as an unwritable file does): the user is told, the
    bot keeps answering, and the question log keeps its records until it can write them."""
    path = settings.database_url.split("///", 1)[1]
    read_only = settings.model_copy(
        update={"database_url": f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"}
    )
    ro_app = create_app(read_only, nlu=RuleNlu())  # type: ignore[arg-type]
    await ro_app.kb.reload(ro_app.session_factory)
    dp = create_dispatcher(ro_app)
    student = ChatDriver(dp, bot, recording, user_id=7003, language_code="ru")
    await student.send_command("/start")
    await student.click("Русский")
    await student.click("✅")  # storing the consent fails
    assert looks_russian(student.last_text())
    assert "✅" not in " ".join(student.texts())
    await student.send("когда наурыз")
    assert "21–23" in student.last_text(), "answers still come from the loaded knowledge base"
    with pytest.raises(Exception, match="readonly"):
        await ro_app.recorder.flush()
    assert ro_app.recorder.pending == 1, "the question is kept for the next write"
    async with app.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(User)) == 0
    await ro_app.aclose()  # logs what it could not write instead of raising


async def test_rasa_too_slow_answers_from_the_knowledge_base(
    app: App, bot: Bot, recording: RecordingSession
) -> None:
    """Rasa accepts the connection but does not answer within the client's timeout."""
    import asyncio

    from aiohttp import web

    async def slow_parse(request: web.Request) -> web.Response:
        await asyncio.sleep(1.5)
        return web.json_response({})

    server_app = web.Application()
    server_app.router.add_post("/model/parse", slow_parse)
    runner = web.AppRunner(server_app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    client = NluClient(f"http://127.0.0.1:{port}", timeout=0.3)
    app.nlu = client
    student = ChatDriver(create_dispatcher(app), bot, recording, user_id=7004, language_code="ru")
    try:
        await student.send("когда наурыз")
        assert "21–23" in student.last_text()
    finally:
        await client.aclose()
        await runner.cleanup()


async def test_forged_numbers_in_buttons_get_the_out_of_date_answer(student: ChatDriver) -> None:
    await student.send_command("/start")
    for data in (
        "srate:9223372036854775808:5",
        "faq:99999999999999999999999999",
        "vote:-9223372036854775809:1",
        "case:take:18446744073709551616",
    ):
        await student.click_data(data)
        assert student.answered_callback_text(), f"{data} left without an explanation"
