"""The Telegram doubles behave like Telegram, driven through a small throwaway dispatcher."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F, Router, html
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNotFound,
    TelegramRetryAfter,
)
from aiogram.filters import Command, CommandStart
from aiogram.filters.callback_data import CallbackData
from aiogram.methods import EditMessageText, SendMessage, SetMyCommands
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from tests.fakes import (
    TEST_BOT_TOKEN,
    ChatDriver,
    FakeBotAPIServer,
    RecordingSession,
    retry_after,
)

pytest_plugins = ["tests.fixtures.telegram"]

STUDENT_ID = 1001
CURATOR_ID = 2002


class Language(CallbackData, prefix="lang"):
    code: str


def create_echo_router() -> Router:
    """Echo text, relay `/ask` to the curator, report received files, refuse other media."""
    router = Router(name="echo")

    @router.message(CommandStart())
    async def start(message: Message) -> None:
        menu = ReplyKeyboardMarkup(keyboard=[[KeyboardButton(text="Help")]], resize_keyboard=True)
        await message.answer("Welcome", reply_markup=menu)

    @router.message(Command("ask"))
    async def ask(message: Message, bot: Bot) -> None:
        await bot.copy_message(CURATOR_ID, message.chat.id, message.message_id)
        await message.answer("Sent to a curator")

    @router.message(F.document)
    async def document(message: Message, bot: Bot) -> None:
        assert message.document is not None
        content = await bot.download(message.document.file_id)
        assert content is not None
        size = len(content.read())
        await message.answer(f"Got {message.document.file_name}, {size} bytes")

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"Echo: {html.quote(message.text or '')}")

    @router.message()
    async def other(message: Message) -> None:
        await message.answer("I read only text")

    return router


def create_menu_router() -> Router:
    """A language menu with inline buttons; choosing edits the menu into a confirmation."""
    router = Router(name="menu")

    @router.message(Command("menu"))
    async def menu(message: Message) -> None:
        keyboard = InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(text="Қазақша", callback_data=Language(code="kk").pack()),
                    InlineKeyboardButton(text="Русский", callback_data=Language(code="ru").pack()),
                ],
                [InlineKeyboardButton(text="Website", url="https://example.org")],
            ]
        )
        await message.answer("Choose a language", reply_markup=keyboard)

    @router.callback_query(Language.filter())
    async def choose(query: CallbackQuery, callback_data: Language) -> None:
        assert isinstance(query.message, Message)
        await query.message.edit_text(f"Language: {callback_data.code}")
        await query.answer("Saved")

    @router.callback_query()
    async def stale(query: CallbackQuery) -> None:
        await query.answer("This button is outdated", show_alert=True)

    return router


def create_dispatcher() -> Dispatcher:
    dispatcher = Dispatcher()
    dispatcher.include_routers(create_menu_router(), create_echo_router())
    return dispatcher


@pytest.fixture
def student(recording_bot: Bot, recording_session: RecordingSession) -> ChatDriver:
    return ChatDriver(create_dispatcher(), recording_bot, recording_session, user_id=STUDENT_ID)


# ----- ChatDriver -----


async def test_text_is_answered_in_the_users_chat(student: ChatDriver) -> None:
    await student.send("Сәлем <бот>")

    assert student.texts() == ["Echo: Сәлем &lt;бот&gt;"]
    [reply] = student.sent()
    assert isinstance(reply, SendMessage)
    assert reply.chat_id == STUDENT_ID


async def test_inspection_covers_only_the_last_action(student: ChatDriver) -> None:
    await student.send("first")
    await student.send("second")

    assert student.texts() == ["Echo: second"]


async def test_command_carries_a_bot_command_entity(student: ChatDriver) -> None:
    sent = await student.send_command("/start", "ref42")

    assert sent.text == "/start ref42"
    assert sent.entities is not None
    assert (sent.entities[0].type, sent.entities[0].length) == ("bot_command", len("/start"))
    assert student.last_text() == "Welcome"
    assert student.reply_buttons() == ["Help"]


async def test_user_and_bot_messages_share_increasing_ids(student: ChatDriver) -> None:
    first = await student.send("one")
    second = await student.send("two")
    replies = student.bot_messages()

    assert [first.message_id, second.message_id] == [1, 3]
    assert [m.message_id for m in replies] == [2, 4]


@pytest.mark.parametrize(
    "send", [lambda d: d.send_sticker(), lambda d: d.send_photo(), lambda d: d.send_voice()]
)
async def test_media_other_than_documents_is_refused(student: ChatDriver, send: Any) -> None:
    await send(student)

    assert student.last_text() == "I read only text"


async def test_photo_caption_reaches_the_bot_as_a_caption(student: ChatDriver) -> None:
    sent = await student.send_photo(caption="my dorm")

    assert sent.photo and sent.caption == "my dorm"
    assert student.last_text() == "I read only text"


async def test_bot_can_download_a_sent_document(student: ChatDriver) -> None:
    await student.send_document("notes.txt", b"hello", mime_type="text/plain")

    assert student.last_text() == "Got notes.txt, 5 bytes"


async def test_click_edits_the_menu_and_answers_the_press(student: ChatDriver) -> None:
    await student.send_command("/menu")
    assert student.buttons() == ["Қазақша", "Русский", "Website"]

    await student.click("Қазақ")

    assert student.last_text() == "Language: kk"
    assert student.answered_callback_text() == "Saved"
    # The edit did not repeat the keyboard, so Telegram removed it.
    assert student.bot_messages()[-1].text == "Language: kk"
    with pytest.raises(AssertionError, match="no bot message with inline buttons"):
        student.buttons()


async def test_click_on_a_missing_label_lists_the_buttons(student: ChatDriver) -> None:
    await student.send_command("/menu")

    with pytest.raises(AssertionError, match=r"Қазақша.*Русский"):
        await student.click("English")


async def test_link_buttons_cannot_be_clicked(student: ChatDriver) -> None:
    await student.send_command("/menu")

    with pytest.raises(AssertionError, match="opens a link"):
        await student.click("Website")


async def test_forged_callback_data_gets_the_outdated_alert(student: ChatDriver) -> None:
    await student.send_command("/menu")
    menu_id = student.bot_messages()[-1].message_id

    await student.click_data("forged:1", message_id=menu_id)

    answer = student.callback_answer()
    assert (answer.text, answer.show_alert) == ("This button is outdated", True)
    assert student.buttons(menu_id) == ["Қазақша", "Русский", "Website"]


async def test_each_user_sees_only_their_chat(
    recording_bot: Bot, recording_session: RecordingSession
) -> None:
    dispatcher = create_dispatcher()
    student = ChatDriver(dispatcher, recording_bot, recording_session, user_id=STUDENT_ID)
    curator = ChatDriver(
        dispatcher, recording_bot, recording_session, user_id=CURATOR_ID, first_name="Daniyar"
    )

    await student.send("/ask Where is the dormitory office?")

    assert student.texts() == ["Sent to a curator"]
    assert curator.texts() == ["/ask Where is the dormitory office?"]
    await curator.send("ok")
    assert curator.texts() == ["Echo: ok"]
    assert student.texts() == ["Sent to a curator"]


# ----- RecordingSession -----


async def test_get_me_describes_the_test_bot(recording_bot: Bot) -> None:
    me = await recording_bot.get_me()

    assert (me.id, me.is_bot, me.username) == (123456789, True, "kelisim_test_bot")


async def test_blocked_user_fails_only_the_next_send(student: ChatDriver) -> None:
    student.session.fail_next(SendMessage, TelegramForbiddenError, chat_id=STUDENT_ID)

    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await student.send("hi")
    assert len(student.sent()) == 1
    assert student.texts() == []

    await student.send("hi again")
    assert student.texts() == ["Echo: hi again"]


async def test_block_of_one_chat_spares_others(
    recording_bot: Bot, recording_session: RecordingSession
) -> None:
    recording_session.fail_always(SendMessage, TelegramForbiddenError, chat_id=CURATOR_ID)

    with pytest.raises(TelegramForbiddenError):
        await recording_bot.send_message(CURATOR_ID, "new consultation")
    sent = await recording_bot.send_message(STUDENT_ID, "reply")
    assert sent.chat.id == STUDENT_ID


async def test_retry_after_carries_the_delay(
    recording_bot: Bot, recording_session: RecordingSession
) -> None:
    recording_session.fail_next(SendMessage, retry_after(3))

    with pytest.raises(TelegramRetryAfter) as caught:
        await recording_bot.send_message(STUDENT_ID, "hi")
    assert caught.value.retry_after == 3


async def test_missing_method_fails_every_time(
    recording_bot: Bot, recording_session: RecordingSession
) -> None:
    recording_session.fail_always(SetMyCommands, TelegramNotFound)
    commands = [BotCommand(command="start", description="Start")]

    for _ in range(2):
        with pytest.raises(TelegramNotFound):
            await recording_bot.set_my_commands(commands)
    assert len(recording_session.of_type(SetMyCommands)) == 2


async def test_edit_to_the_same_text_is_not_modified(recording_bot: Bot) -> None:
    sent = await recording_bot.send_message(STUDENT_ID, "Queue: 3")

    edited = await sent.edit_text("Queue: 2")
    assert isinstance(edited, Message) and edited.text == "Queue: 2"
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await recording_bot.edit_message_text(
            "Queue: 2", chat_id=STUDENT_ID, message_id=sent.message_id
        )


async def test_not_modified_can_be_forced(
    recording_bot: Bot, recording_session: RecordingSession
) -> None:
    sent = await recording_bot.send_message(STUDENT_ID, "Queue: 3")
    recording_session.fail_next(EditMessageText, TelegramBadRequest)

    with pytest.raises(TelegramBadRequest, match="not modified"):
        await sent.edit_text("Queue: 1")


# ----- FakeBotAPIServer -----


def server_bot(server: FakeBotAPIServer) -> Bot:
    return Bot(TEST_BOT_TOKEN, session=AiohttpSession(api=server.api()))


async def test_polling_bot_answers_through_the_fake_server(fake_bot_api: FakeBotAPIServer) -> None:
    bot = server_bot(fake_bot_api)
    dispatcher = create_dispatcher()
    polling = asyncio.create_task(
        dispatcher.start_polling(bot, handle_signals=False, polling_timeout=5)
    )
    try:
        fake_bot_api.push_message(STUDENT_ID, "/menu")
        menu = await fake_bot_api.wait_for("sendMessage", lambda c: c.chat_id == STUDENT_ID)
        assert menu.text == "Choose a language"

        fake_bot_api.push_click(STUDENT_ID, "Русский")
        edit = await fake_bot_api.wait_for("editMessageText")
        answer = await fake_bot_api.wait_for("answerCallbackQuery")
        assert edit.text == "Language: ru"
        assert menu.response is not None
        assert edit.params["message_id"] == menu.response["result"]["message_id"]
        assert answer.params["text"] == "Saved"
    finally:
        await dispatcher.stop_polling()
        await polling
    assert fake_bot_api.calls_of("getMe")


async def test_setmycommands_missing_on_a_self_hosted_server() -> None:
    async with FakeBotAPIServer(missing_methods=["setMyCommands"]) as server:
        bot = server_bot(server)
        async with bot.session:
            with pytest.raises(TelegramNotFound, match="method not found"):
                await bot.set_my_commands([BotCommand(command="start", description="Start")])
            assert await bot.delete_webhook() is True


async def test_unknown_method_is_404_and_json_requests_work(fake_bot_api: FakeBotAPIServer) -> None:
    base = f"{fake_bot_api.url}/bot{TEST_BOT_TOKEN}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/flyToTheMoon") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.post(f"{base}/sendmessage", json={"chat_id": 7, "text": "12"}) as response:
            body = await response.json()
    assert body["ok"] is True
    assert (body["result"]["chat"]["id"], body["result"]["text"]) == (7, "12")
    assert fake_bot_api.calls_of("sendMessage")[0].params == {"chat_id": 7, "text": "12"}


async def test_get_updates_honours_the_offset(fake_bot_api: FakeBotAPIServer) -> None:
    base = f"{fake_bot_api.url}/bot{TEST_BOT_TOKEN}"
    pushed = fake_bot_api.push_message(STUDENT_ID, "hello")

    async def get_updates(**params: Any) -> list[dict[str, Any]]:
        async with http.post(f"{base}/getUpdates", data=params) as response:
            body: dict[str, Any] = await response.json()
            return list(body["result"])

    async with aiohttp.ClientSession() as http:
        first = await get_updates(offset=0, timeout=0)
        again = await get_updates(offset=pushed.update_id, timeout=0)
        waiting = asyncio.create_task(get_updates(offset=pushed.update_id + 1, timeout=5))
        await fake_bot_api.wait_for("getUpdates", since=len(fake_bot_api.calls))
        later = fake_bot_api.push_message(STUDENT_ID, "are you there?")
        woken = await waiting

    assert [u["message"]["text"] for u in first] == ["hello"]
    assert [u["update_id"] for u in again] == [pushed.update_id]
    assert [u["update_id"] for u in woken] == [later.update_id]


async def test_uploads_and_errors_travel_over_http(fake_bot_api: FakeBotAPIServer) -> None:
    bot = server_bot(fake_bot_api)
    fake_bot_api.fail_next(SendMessage, retry_after(2))
    async with bot.session:
        with pytest.raises(TelegramRetryAfter) as caught:
            await bot.send_message(STUDENT_ID, "report")
        sent = await bot.send_document(
            STUDENT_ID, BufferedInputFile(b"id,rating\n1,5\n", "ratings.csv"), caption="Report"
        )

    assert caught.value.retry_after == 2
    upload = fake_bot_api.calls_of("sendDocument")[0]
    assert upload.files["document"].filename == "ratings.csv"
    assert upload.files["document"].content == b"id,rating\n1,5\n"
    assert sent.caption == "Report" and sent.document is not None
