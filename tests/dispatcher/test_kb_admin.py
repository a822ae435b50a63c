"""Admins edit the knowledge base from Telegram: the /kb menu, the add and edit dialogs with
previews, versions with history and restore, deletion, publishing, and the refusals."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from aiogram import Bot, Dispatcher
from aiogram.fsm.storage.base import StorageKey
from aiogram.methods import SendDocument
from sqlalchemy import select

from bot.db.models import FaqEntry, FaqEntryVersion
from bot.factory import App
from bot.handlers.kb_admin import dialog as kb_admin_router
from bot.handlers.kb_admin.ui import (
    KbAct,
    KbAttach,
    KbCategory,
    KbDialog,
    KbField,
    KbImport,
    KbNav,
    KbOpen,
    KbPickCategory,
    KbQuestion,
    KbVersion,
)
from bot.services import kb_admin
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.lang import looks_kazakh, looks_russian

ADMIN_ID = 9001
SECOND_ADMIN_ID = 9002
CURATOR_ID = 8001


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(dp, bot, recording, user_id=ADMIN_ID, first_name="Admin", language_code="ru")


@pytest.fixture
def admin_kk(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(dp, bot, recording, user_id=ADMIN_ID, first_name="Admin", language_code="kk")


async def second_admin(
    admin: ChatDriver, dp: Dispatcher, bot: Bot, recording: RecordingSession
) -> ChatDriver:
    await admin.send(f"/add_admin {SECOND_ADMIN_ID}")
    return ChatDriver(dp, bot, recording, user_id=SECOND_ADMIN_ID, language_code="ru")


async def stored(app: App, slug: str) -> FaqEntry | None:
    async with app.session_factory() as session:
        return await session.scalar(select(FaqEntry).where(FaqEntry.slug == slug))


async def open_entry(admin: ChatDriver, query: str, label: str) -> None:
    await admin.send(f"/kb {query}")
    await admin.click(label)


async def test_menu_search_browse_and_view_both_languages(admin: ChatDriver) -> None:
    await admin.send("/kb")
    assert looks_russian(admin.last_text())
    assert any("Поиск" in label for label in admin.buttons())
    await admin.click("🔎")
    await admin.send("nauryz qashan")
    assert "Когда празднуют Наурыз?" in admin.buttons()
    await admin.click("Когда празднуют Наурыз?")
    card = admin.last_text()
    # both languages, one under the other
    assert "Наурыз мейрамы қашан тойланады?" in card and "Когда празднуют Наурыз?" in card
    assert "21–23 наурызда" in card and "21–23 марта" in card
    assert "nauryz-dates" in card and "holidays" in card

    await admin.send("/kb")
    await admin.click("🗂")
    await admin.click("holidays")
    labels = admin.buttons()
    assert "Когда празднуют Наурыз?" in labels
    assert any(label.startswith("🚫") for label in labels)  # the unpublished draft is listed


async def test_add_dialog_in_russian_reaches_students_at_once(
    admin: ChatDriver, student: ChatDriver, app: App
) -> None:
    await admin.send("/kb")
    await admin.click("➕")
    await admin.click("culture")
    await admin.send("Қазақ халқының дәстүрлі киіз үйі қалай аталады?")
    await admin.send("Как называется традиционное жилище казахов?")
    await admin.send("киіз үй деген не\nkiiz ui degen ne")
    await admin.click("⏭")  # no Russian paraphrases
    await admin.send("Киіз үй — көшпелілердің <b>жиналмалы</b> баспанасы.")
    await admin.send("Юрта — <b>разборное</b> жилище кочевников & их символ.")
    await admin.send("https://example.org/yurt")
    texts = admin.texts()
    # a preview in each language, exactly as students will see it
    assert any(t.endswith("https://example.org/yurt") and "Киіз үй —" in t for t in texts)
    assert any("Юрта — <b>разборное</b> жилище кочевников &amp; их символ." in t for t in texts)
    assert looks_russian(admin.last_text())
    assert await stored(app, "kak-nazyvaetsya-traditsionnoe-zhilische-kazahov") is None
    await admin.click("💾")
    assert "✅" in admin.last_text()

    row = await stored(app, "kak-nazyvaetsya-traditsionnoe-zhilische-kazahov")
    assert row is not None and row.published and row.version == 1
    assert row.alternatives == {"kk": ["киіз үй деген не", "kiiz ui degen ne"]}

    await student.send("kiiz ui degen ne")
    assert "жиналмалы" in student.last_text()


async def test_add_dialog_in_kazakh_and_saving_unpublished(
    admin_kk: ChatDriver, student: ChatDriver, app: App
) -> None:
    await admin_kk.send("/kb")
    assert looks_kazakh(admin_kk.last_text())
    await admin_kk.click("➕")
    assert looks_kazakh(admin_kk.last_text())
    await admin_kk.send("Bad Category!")
    assert "university" in admin_kk.last_text()  # explained, asked again
    await admin_kk.send("sport")
    await admin_kk.send("Университетте қандай спорт секциялары бар?")
    await admin_kk.send("Какие спортивные секции есть в университете?")
    await admin_kk.click("⏭")
    await admin_kk.click("⏭")
    await admin_kk.send("Футбол, волейбол, <blink>күрес</blink>.")
    assert "blink" in admin_kk.last_text() and looks_kazakh(admin_kk.last_text())
    await admin_kk.send("Футбол, волейбол, күрес.")
    await admin_kk.send("Футбол, волейбол, борьба.")
    await admin_kk.click("⏭")
    await admin_kk.click("📝")  # save without publishing
    row = await stored(app, "kakie-sportivnye-sektsii-est-v-universitete")
    assert row is not None and row.category == "sport" and not row.published
    await student.send("Университетте қандай спорт секциялары бар?")
    assert "Футбол" not in student.last_text()


async def test_answer_too_long_for_a_message_is_refused(admin: ChatDriver, app: App) -> None:
    await admin.send("/kb")
    await admin.click("➕")
    await admin.click("culture")
    for text in ("Сұрақ?", "Вопрос?"):
        await admin.send(text)
    await admin.click("⏭")
    await admin.click("⏭")
    await admin.send("ә" * 3600)
    assert "3600" in admin.last_text()  # over the answer limit: asked again
    await admin.send("ә" * 3400)
    await admin.send("ответ")
    await admin.send("\n".join(f"https://example.org/{'x' * 180}/{n}" for n in range(5)))
    assert "4096" in admin.last_text()  # with the links it would not fit in one message
    await admin.click("⏭")
    await admin.click("💾")
    row = await stored(app, "vopros")
    assert row is not None and row.links == [] and len(row.answer_kk) == 3400


async def test_edit_one_field_with_preview_history_and_restore(
    admin: ChatDriver, student: ChatDriver, app: App
) -> None:
    await open_entry(admin, "наурыз", "Когда празднуют Наурыз?")
    await admin.click("✏️")
    await admin.click("Ответ (ru)")
    assert "21–23 марта" in admin.last_text()  # the current text is shown
    await admin.send("Наурыз празднуют <b>21–23 марта</b>; это выходные дни.")
    assert any("<b>21–23 марта</b>; это выходные" in t for t in admin.texts())  # preview
    await admin.click("💾")
    row = await stored(app, "nauryz-dates")
    assert row is not None and row.version == 2
    await student.send_command("/lang")
    await student.click("Русский")
    await student.send("когда наурыз")
    assert "это выходные дни" in student.last_text()

    await admin.click("🕘")
    history = admin.last_text()
    assert "v2" in history and "v1" in history and str(ADMIN_ID) in history
    assert "Ответ (ru)" in history
    await admin.click("v1")
    assert "эти дни выходные" in admin.last_text()
    await admin.click("♻️")
    row = await stored(app, "nauryz-dates")
    assert row is not None and row.version == 3 and "эти дни выходные" in row.answer_ru
    await student.send("когда наурыз")
    assert "эти дни выходные" in student.last_text()
    async with app.session_factory() as session:
        actions = (
            await session.scalars(
                select(FaqEntryVersion.action)
                .where(FaqEntryVersion.entry_pk == row.pk)
                .order_by(FaqEntryVersion.version)
            )
        ).all()
    assert actions == ["created", "edited", "restored"]


async def test_edit_paraphrases_and_clear_links(admin: ChatDriver, app: App) -> None:
    await open_entry(admin, "наурыз", "Когда празднуют Наурыз?")
    await admin.click("✏️")
    await admin.click("Перефразировки (ru)")
    await admin.send("наурыз когда\nдаты наурыза")
    await admin.click("💾")
    row = await stored(app, "nauryz-dates")
    assert row is not None and row.alternatives["ru"] == ["наурыз когда", "даты наурыза"]


async def test_second_admin_is_told_the_entry_changed_and_sees_the_new_version(
    admin: ChatDriver, dp: Dispatcher, bot: Bot, recording: RecordingSession, app: App
) -> None:
    other = await second_admin(admin, dp, bot, recording)
    await open_entry(admin, "наурыз", "Когда празднуют Наурыз?")
    await open_entry(other, "наурыз", "Когда празднуют Наурыз?")
    await admin.click("✏️")
    await admin.click("Вопрос (ru)")
    await other.click("✏️")
    await other.click("Вопрос (ru)")
    await admin.send("Когда отмечают Наурыз?")
    await other.send("Какого числа Наурыз?")
    await admin.click("💾")
    await other.click("💾")
    texts = other.texts()
    assert any("⚠️" in t for t in texts)
    assert "Когда отмечают Наурыз?" in other.last_text()  # the current version is shown
    row = await stored(app, "nauryz-dates")
    assert row is not None and row.question_ru == "Когда отмечают Наурыз?" and row.version == 2


async def test_stale_publish_button_shows_the_new_version(
    admin: ChatDriver, dp: Dispatcher, bot: Bot, recording: RecordingSession, app: App
) -> None:
    other = await second_admin(admin, dp, bot, recording)
    await open_entry(admin, "наурыз", "Когда празднуют Наурыз?")
    await open_entry(other, "наурыз", "Когда празднуют Наурыз?")
    await admin.click("🚫")
    await other.click("🗑")
    assert any("⚠️" in t for t in other.texts())
    assert "🚫" in other.last_text()  # the new version: unpublished
    row = await stored(app, "nauryz-dates")
    assert row is not None and row.deleted_at is None and not row.published


async def test_abandoned_dialog_times_out_with_nothing_saved(
    admin: ChatDriver, dp: Dispatcher, bot: Bot, app: App
) -> None:
    await admin.send("/kb")
    await admin.click("➕")
    await admin.click("culture")
    await admin.send("Тест сұрағы?")
    key = StorageKey(bot_id=bot.id, chat_id=ADMIN_ID, user_id=ADMIN_ID)
    data = await dp.storage.get_data(key)
    data["kb"]["touched"] = time.time() - kb_admin_router.DIALOG_TIMEOUT - 1
    await dp.storage.set_data(key, data)
    await admin.send("Тестовый вопрос?")
    assert "30" in admin.last_text() and looks_russian(admin.last_text())
    assert await dp.storage.get_state(key) is None
    async with app.session_factory() as session:
        count = len((await session.scalars(select(FaqEntry))).all())
    assert count == 7  # the small knowledge base, nothing added


async def test_cancel_leaves_nothing(admin: ChatDriver, app: App) -> None:
    await admin.send("/kb")
    await admin.click("➕")
    await admin.click("culture")
    await admin.send("/cancel")
    assert looks_russian(admin.last_text())
    await admin.send("Когда празднуют Наурыз?")  # an ordinary question again
    assert "21–23 марта" in admin.last_text()


async def test_delete_restore_and_restore_a_version_of_a_deleted_entry(
    admin: ChatDriver, student: ChatDriver, app: App
) -> None:
    await open_entry(admin, "наурыз", "Когда празднуют Наурыз?")
    await admin.click("✏️")
    await admin.click("Ответ (ru)")
    await admin.send("Новый ответ про Наурыз, 21–23 марта.")
    await admin.click("💾")
    await admin.click("🗑")
    await admin.click("Да")
    assert "30" not in admin.last_text() or "🗑" in admin.last_text()
    await student.send("nauryz qashan")
    assert "21–23 наурызда" not in student.last_text()
    await admin.send("/kb наурыз")
    assert "Когда празднуют Наурыз?" not in admin.buttons()  # gone from the lists

    await admin.send("/kb")
    await admin.click("🗑")
    await admin.click("Когда празднуют Наурыз?")
    assert "🗑" in admin.last_text()
    await admin.click("🕘")
    await admin.click("v1")
    await admin.click("♻️")
    row = await stored(app, "nauryz-dates")
    assert row is not None and row.deleted_at is None
    assert row.answer_ru == "Наурыз празднуют 21–23 марта, эти дни выходные."
    await student.send("nauryz qashan")
    assert "21–23 наурызда" in student.last_text()


async def test_kb_stats_lists_most_shown_and_least_helpful(
    admin: ChatDriver, student: ChatDriver, app: App
) -> None:
    for _ in range(3):
        await student.send("nauryz qashan")
    await student.click("👎")
    await student.send("мемлекеттік тіл")
    await student.click("👍")
    await app.recorder.flush()
    await admin.send("/kb_stats")
    text = admin.last_text()
    assert text.index("Когда празднуют Наурыз?") < text.index("Какой язык")
    assert "3" in text
    least = text.split("\n\n")[-1]
    assert least.index("Наурыз") < least.index("Какой язык")
    await open_entry(admin, "наурыз", "Когда празднуют Наурыз?")
    assert "👎 1" in admin.last_text()


ADMIN_COMMANDS = [
    "/kb",
    "/kb наурыз",
    "/kb_stats",
    "/kb_export",
    "/kb_import",
    "/unanswered",
    "/kb_retrain",
]


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
async def test_non_admins_are_refused_every_command(
    student: ChatDriver,
    dp: Dispatcher,
    bot: Bot,
    recording: RecordingSession,
    command: str,
) -> None:
    curator = ChatDriver(dp, bot, recording, user_id=CURATOR_ID, language_code="ru")
    await student.send(command)
    assert looks_kazakh(student.last_text()) and len(student.texts()) == 1
    await curator.send(command)
    assert looks_russian(curator.last_text()) and len(curator.texts()) == 1
    assert "админ" in curator.last_text().lower()


async def test_non_admins_are_refused_every_button(
    admin: ChatDriver, student: ChatDriver, app: App
) -> None:
    row = await stored(app, "nauryz-dates")
    assert row is not None
    buttons = [
        KbNav(to="menu"),
        KbNav(to="add"),
        KbNav(to="export"),
        KbNav(to="unanswered"),
        KbCategory(index=0),
        KbOpen(pk=row.pk),
        KbAct(pk=row.pk, v=1, act="confirm_delete"),
        KbAct(pk=row.pk, v=1, act="unpublish"),
        KbField(pk=row.pk, v=1, field="answer_ru"),
        KbVersion(pk=row.pk, ver=1, act="restore"),
        KbDialog(act="save"),
        KbPickCategory(index=0),
        KbImport(act="replace"),
        KbQuestion(row=1, act="dismiss"),
        KbAttach(row=1, pk=row.pk),
    ]
    await student.send("привет")
    for data in buttons:
        await student.click_data(data.pack())
        answer = student.answered_callback_text() or ""
        assert looks_kazakh(answer), data
    after = await stored(app, "nauryz-dates")
    assert after is not None and after.version == 1 and after.published


async def test_an_entry_with_the_longest_answers_still_fits_one_message(
    admin: ChatDriver, app: App
) -> None:
    entry = app.kb.by_slug("nauryz-dates")
    assert entry is not None
    # Near the limit once stray "&" are escaped: 2,890 and 3,380 characters.
    answers = {"kk": "Жауап <b>жуан</b> " * 170, "ru": "Ответ <i>курсив</i> & " * 130}
    paraphrases = {"kk": tuple(f"нұсқа {n} " * 8 for n in range(30)), "ru": ("вариант",)}
    async with app.session_factory() as session, session.begin():
        await kb_admin.update_entry(
            session,
            entry.pk,
            1,
            replace(entry.item, answer=answers, alternatives=paraphrases),
            ADMIN_ID,
        )
    await open_entry(admin, "nauryz-dates", "Когда празднуют Наурыз?")
    card = admin.last_text()
    assert len(card.encode("utf-16-le")) // 2 <= 4096
    assert "Когда празднуют Наурыз?" in card and "Ответ &lt;i&gt;курсив" in card
    await admin.click("👁")
    previews = admin.texts()
    assert all(len(text.encode("utf-16-le")) // 2 <= 4096 for text in previews)
    assert any("Ответ <i>курсив</i> &amp;" in text for text in previews)


async def test_a_photo_in_the_dialog_is_asked_again_as_text(admin: ChatDriver) -> None:
    await admin.send("/kb")
    await admin.click("➕")
    await admin.click("culture")
    await admin.send_photo()
    assert "текст" in admin.last_text()
    await admin.send("Қазақша сұрақ?")
    assert "Шаг 3 из 8" in admin.last_text()  # the dialog went on


async def test_dialog_buttons_after_the_dialog_ended_are_out_of_date(
    admin: ChatDriver, app: App
) -> None:
    await admin.send("/kb")
    await admin.click("➕")
    await admin.click("culture")
    await admin.send("/cancel")
    await admin.click_data(KbDialog(act="save").pack())
    assert "устарела" in (admin.answered_callback_text() or "")


async def test_an_expired_import_confirmation_imports_nothing(
    admin: ChatDriver, dp: Dispatcher, bot: Bot, app: App
) -> None:
    await admin.send_command("/kb_export")
    exported = next(m for m in admin.sent() if isinstance(m, SendDocument))
    content = exported.document.data.replace("21–23 марта".encode(), "22 марта".encode())
    await admin.send_document("kb.yml", content)
    key = StorageKey(bot_id=bot.id, chat_id=ADMIN_ID, user_id=ADMIN_ID)
    data = await dp.storage.get_data(key)
    data["kb"]["touched"] = time.time() - kb_admin_router.DIALOG_TIMEOUT - 1
    await dp.storage.set_data(key, data)
    await admin.click("Применить")
    assert "30" in admin.last_text()
    row = await stored(app, "nauryz-dates")
    assert row is not None and "21–23 марта" in row.answer_ru and row.version == 1


async def test_text_while_a_preview_waits_replaces_the_value_or_gets_a_hint(
    admin: ChatDriver, app: App
) -> None:
    await open_entry(admin, "наурыз", "Когда празднуют Наурыз?")
    await admin.click("✏️")
    await admin.click("Вопрос (ru)")
    await admin.send("Когда Наурыз?")
    await admin.send("Когда отмечают Наурыз?")  # changed their mind before saving
    await admin.click("💾")
    row = await stored(app, "nauryz-dates")
    assert row is not None and row.question_ru == "Когда отмечают Наурыз?" and row.version == 2

    await admin.send("/kb")
    await admin.click("➕")
    await admin.click("culture")
    for text in ("Сұрақ?", "Вопрос?"):
        await admin.send(text)
    await admin.click("⏭")
    await admin.click("⏭")
    await admin.send("Жауап.")
    await admin.send("Ответ.")
    await admin.click("⏭")
    await admin.send("сохранить")
    assert "/cancel" in admin.last_text() and looks_russian(admin.last_text())
    assert await stored(app, "vopros") is None
