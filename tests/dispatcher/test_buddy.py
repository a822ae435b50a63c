"""The buddy programme through the real dispatcher and scheduler: a match from the request to
the check-in, consent withdrawal of one side (the other is told, the contact is hidden), a
volunteer who blocked the bot, and curators' decisions counted once."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramForbiddenError
from aiogram.methods import SendMessage

from bot.config import Settings
from bot.factory import App, create_dispatcher
from tests.consult_support import consent, make_app, wait_until
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.fixtures.stores import store_rows
from tests.lang import looks_kazakh, looks_russian

NEWCOMER, VOLUNTEER, SECOND_VOLUNTEER, CURATOR = 5001, 5002, 5003, 8001


@pytest.fixture
def settings(db_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token="42:TEST",
        database_url=db_url,
        rasa_url="http://127.0.0.1:9",
        admin_ids=[9001],
        curator_ids=[CURATOR],
        log_flush_interval=0.05,
        throttle_burst=50,
        buddy_checkin_after=1,
    )


@pytest.fixture
async def running(settings: Settings, bot: Bot) -> AsyncIterator[App]:
    app = await make_app(settings)
    app.start_scheduler(bot)
    yield app
    await app.aclose()


@pytest.fixture
def dispatcher(running: App) -> Dispatcher:
    return create_dispatcher(running)


def person(
    dp: Dispatcher, bot: Bot, recording: RecordingSession, user_id: int, name: str, lang: str
) -> ChatDriver:
    return ChatDriver(dp, bot, recording, user_id=user_id, first_name=name, language_code=lang)


def _rows(app: App, sql: str) -> list[tuple[object, ...]]:
    return store_rows(app.settings.database_url, sql)


def _texts_to(recording: RecordingSession, chat_id: int) -> list[str]:
    return [
        m.text for m in recording.requests if isinstance(m, SendMessage) and m.chat_id == chat_id
    ]


async def volunteer_up(
    who: ChatDriver, faculty: str, contact: str, languages: str = "На русском"
) -> None:
    await consent(who, "Русский")
    await who.send_command("/buddy")
    await who.click("🤝")
    await who.send(faculty)
    await who.click(languages)
    await who.send("Футбол, кино, помогаю с общежитием")
    await who.send(contact)
    await who.click("✅")


async def ask_for_buddy(who: ChatDriver, faculty: str = "инженерия") -> None:
    await consent(who)
    await who.send_command("/buddy")
    await who.click("🙋")
    await who.send(faculty)
    await who.click("Қазақ және орыс")
    await who.click("басқа елден")
    await who.send("@aigerim_s")
    await who.click("✅")


async def test_a_match_from_request_to_check_in(
    dispatcher: Dispatcher, bot: Bot, recording: RecordingSession, running: App
) -> None:
    newcomer = person(dispatcher, bot, recording, NEWCOMER, "Aigerim", "kk")
    volunteer = person(dispatcher, bot, recording, VOLUNTEER, "Ivan", "ru")
    other = person(dispatcher, bot, recording, SECOND_VOLUNTEER, "Dana", "ru")
    curator = person(dispatcher, bot, recording, CURATOR, "Curator", "ru")
    await consent(curator, "Русский")
    await volunteer_up(other, "Экономика", "@dana_help", languages="На казахском")
    await volunteer_up(volunteer, "Инженерия", "@ivan_buddy")
    await ask_for_buddy(newcomer)
    assert looks_kazakh(newcomer.last_text())

    # Same faculty wins over a shared language: Ivan is proposed to the curator.
    await wait_until(lambda: any("#" in t for t in _texts_to(recording, CURATOR)))
    card = _texts_to(recording, CURATOR)[-1]
    assert "Aigerim" in card and "Ivan" in card and "Dana" not in card and looks_russian(card)
    assert "@ivan_buddy" not in card and "@aigerim_s" not in card  # contacts only after approval
    await curator.click("✅")
    await curator.click_data("bd:1:1")  # a second press changes nothing
    assert "уже" in (curator.answered_callback_text() or "")

    await wait_until(lambda: any("@ivan_buddy" in t for t in _texts_to(recording, NEWCOMER)))
    await wait_until(lambda: any("@aigerim_s" in t for t in _texts_to(recording, VOLUNTEER)))
    assert looks_kazakh(_texts_to(recording, NEWCOMER)[-1])
    await newcomer.send_command("/buddy")
    await newcomer.click("👥")
    assert "@ivan_buddy" in newcomer.last_text()

    # BUDDY_CHECKIN_AFTER (1 s here) later both are asked how it goes.
    await wait_until(
        lambda: (
            len(recording.of_type(SendMessage)) > 0
            and any(
                "👎" in str(m.reply_markup)
                for m in recording.of_type(SendMessage)
                if m.chat_id == VOLUNTEER
            )
        )
    )
    await wait_until(
        lambda: any(
            "👎" in str(m.reply_markup)
            for m in recording.of_type(SendMessage)
            if m.chat_id == NEWCOMER
        )
    )
    await newcomer.click("👎")
    assert any("🧑‍🏫" in b for b in newcomer.buttons())  # a curator is offered
    await volunteer.click("👍")
    assert _rows(running, "select newcomer_checkin, volunteer_checkin from buddy_pairs") == [(0, 1)]

    # Either side can end it; the other is told.
    await volunteer.send_command("/buddy")
    await volunteer.click("👥")
    before = len(_texts_to(recording, NEWCOMER))
    await volunteer.click("✖️")
    await volunteer.click("✖️")
    await wait_until(lambda: len(_texts_to(recording, NEWCOMER)) > before)
    assert looks_kazakh(_texts_to(recording, NEWCOMER)[-1])
    await newcomer.send_command("/buddy")
    await newcomer.click("👥")
    assert "@ivan_buddy" not in newcomer.last_text()


async def test_withdrawing_consent_ends_the_pair_and_hides_the_contact(
    dispatcher: Dispatcher, bot: Bot, recording: RecordingSession, running: App
) -> None:
    newcomer = person(dispatcher, bot, recording, NEWCOMER, "Aigerim", "kk")
    volunteer = person(dispatcher, bot, recording, VOLUNTEER, "Ivan", "ru")
    curator = person(dispatcher, bot, recording, CURATOR, "Curator", "ru")
    await consent(curator, "Русский")
    await volunteer_up(volunteer, "Инженерия", "@ivan_buddy")
    await ask_for_buddy(newcomer)
    await wait_until(lambda: any("#" in t for t in _texts_to(recording, CURATOR)))
    await curator.click("✅")
    await wait_until(lambda: any("@ivan_buddy" in t for t in _texts_to(recording, NEWCOMER)))

    before = len(_texts_to(recording, NEWCOMER))
    await volunteer.send_command("/me")
    await volunteer.click("↩️")
    await volunteer.click("↩️")
    await wait_until(lambda: len(_texts_to(recording, NEWCOMER)) > before)
    told = _texts_to(recording, NEWCOMER)[-1]
    assert looks_kazakh(told) and "@ivan_buddy" not in told
    await newcomer.send_command("/buddy")
    await newcomer.click("👥")
    assert "@ivan_buddy" not in newcomer.last_text()
    assert _rows(running, "select count(*) from buddy_volunteers") == [(0,)]
    # The newcomer's request waits for another volunteer.
    assert _rows(running, "select status from buddy_requests") == [("waiting",)]


async def test_a_volunteer_who_blocked_the_bot_is_replaced(
    dispatcher: Dispatcher, bot: Bot, recording: RecordingSession, running: App
) -> None:
    newcomer = person(dispatcher, bot, recording, NEWCOMER, "Aigerim", "kk")
    volunteer = person(dispatcher, bot, recording, VOLUNTEER, "Ivan", "ru")
    other = person(dispatcher, bot, recording, SECOND_VOLUNTEER, "Dana", "ru")
    curator = person(dispatcher, bot, recording, CURATOR, "Curator", "ru")
    await consent(curator, "Русский")
    await volunteer_up(volunteer, "Инженерия", "@ivan_buddy")
    await volunteer_up(other, "Экономика", "@dana_help")
    recording.fail_always(SendMessage, TelegramForbiddenError, chat_id=VOLUNTEER)
    await ask_for_buddy(newcomer)
    await wait_until(lambda: any("Ivan" in t for t in _texts_to(recording, CURATOR)))
    await curator.click("✅")
    # The introduction to Ivan fails: he is out, Aigerim is told, Dana is proposed instead.
    await wait_until(lambda: any("Dana" in t and "#" in t for t in _texts_to(recording, CURATOR)))
    assert _rows(running, "select status from buddy_volunteers where user_id = 5002") == [
        ("blocked",)
    ]
    # Aigerim never saw the contact of someone who cannot answer, and was told.
    told = _texts_to(recording, NEWCOMER)
    assert not any("@ivan_buddy" in t for t in told)
    assert looks_kazakh(told[-1]) and "/buddy" not in told[-1]
    await curator.click("✅")
    await wait_until(lambda: any("@dana_help" in t for t in _texts_to(recording, NEWCOMER)))


async def test_only_consenting_students_join_and_only_curators_decide(
    dispatcher: Dispatcher, bot: Bot, recording: RecordingSession, running: App
) -> None:
    newcomer = person(dispatcher, bot, recording, NEWCOMER, "Aigerim", "kk")
    await newcomer.send_command("/buddy")
    await newcomer.click("🙋")
    assert "/start" in (newcomer.answered_callback_text() or "")
    await newcomer.click_data("bd:1:1")
    assert looks_kazakh(newcomer.answered_callback_text() or "")
