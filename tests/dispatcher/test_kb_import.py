"""/kb_export and YAML uploads through the real dispatcher: a summary first, changes only after
confirmation, and an invalid document rejected as a whole with every problem by entry id."""

from __future__ import annotations

import pytest
import yaml
from aiogram import Bot, Dispatcher
from aiogram.methods import SendDocument
from aiogram.types import BufferedInputFile
from sqlalchemy import func, select

from bot.db.models import FaqEntry, FaqEntryVersion
from bot.factory import App
from knowledge_base.loader import parse_document
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.lang import looks_russian

ADMIN_ID = 9001


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(dp, bot, recording, user_id=ADMIN_ID, first_name="Admin", language_code="ru")


async def exported(admin: ChatDriver) -> str:
    await admin.send("/kb_export")
    documents = [m for m in admin.sent() if isinstance(m, SendDocument)]
    assert len(documents) == 1
    document = documents[0].document
    assert isinstance(document, BufferedInputFile)
    assert document.filename and document.filename.endswith(".yml")
    return document.data.decode("utf-8")


async def snapshot(app: App) -> tuple[int, int, list[tuple[str, str, bool]]]:
    async with app.session_factory() as session:
        versions = await session.scalar(select(func.count()).select_from(FaqEntryVersion))
        rows = (await session.scalars(select(FaqEntry).order_by(FaqEntry.slug))).all()
        live = [(r.slug, r.answer_ru, r.deleted_at is None) for r in rows]
    return int(versions or 0), len(rows), live


async def test_export_is_the_whole_base_in_the_cli_format(admin: ChatDriver) -> None:
    text = await exported(admin)
    result = parse_document(text, "export.yml")
    assert result.ok, result.problems
    assert {item.id for item in result.items} >= {"nauryz-dates", "hidden-draft"}
    assert next(i for i in result.items if i.id == "hidden-draft").published is False
    assert looks_russian(admin.texts()[-1])


async def test_import_shows_a_summary_and_applies_only_after_confirmation(
    admin: ChatDriver, student: ChatDriver, app: App
) -> None:
    entries = yaml.safe_load(await exported(admin))
    nauryz = next(e for e in entries if e["id"] == "nauryz-dates")
    nauryz["answer"]["kk"] = "Наурыз 21–23 наурызда, үш күн демалыс."
    entries = [e for e in entries if e["id"] != "textbook"]
    entries.append(
        {
            "id": "dorm-curfew",
            "category": "university",
            "question": {"kk": "Жатақхана қашан жабылады?", "ru": "Когда закрывается общежитие?"},
            "answer": {
                "kk": "Жатақхана 23:00-де жабылады.",
                "ru": "Общежитие закрывается в 23:00.",
            },
        }
    )
    before = await snapshot(app)
    await admin.send_document("kb.yml", yaml.safe_dump(entries, allow_unicode=True).encode())
    summary = admin.last_text()
    assert "новых: 1" in summary and "изменённых: 1" in summary
    assert f"без изменений: {len(entries) - 2}" in summary
    assert "удалены (восстановить можно в течение 30 дней): 1" in summary
    assert await snapshot(app) == before  # nothing applied yet

    await admin.click("Применить")
    assert "новых — 1" in admin.last_text()
    await student.send("жатақхана қашан жабылады")
    assert "23:00" in student.last_text()
    await student.send("nauryz qashan")
    assert "үш күн демалыс" in student.last_text()
    _versions, _count, live = await snapshot(app)
    assert [alive for slug, _a, alive in live if slug == "textbook"] == [True]  # merge keeps it


async def test_replace_mode_deletes_what_is_not_in_the_file(admin: ChatDriver, app: App) -> None:
    entries = [e for e in yaml.safe_load(await exported(admin)) if e["id"] != "textbook"]
    await admin.send_document("kb.yml", yaml.safe_dump(entries, allow_unicode=True).encode())
    await admin.click("Заменить")
    assert "удалённых — 1" in admin.last_text()
    _versions, _count, live = await snapshot(app)
    assert [alive for slug, _a, alive in live if slug == "textbook"] == [False]
    # deleted, not gone: it can be restored from the bot
    await admin.send("/kb")
    await admin.click("🗑 Удалённые")
    assert "🗑 Есть ли учебник по межэтническим отношениям?" in admin.buttons()


async def test_cancelled_import_changes_nothing(admin: ChatDriver, app: App) -> None:
    entries = yaml.safe_load(await exported(admin))
    entries[0]["answer"]["ru"] = "Другой ответ."
    before = await snapshot(app)
    await admin.send_document("kb.yml", yaml.safe_dump(entries, allow_unicode=True).encode())
    await admin.click("Отмена")
    assert await snapshot(app) == before


INVALID = """
- id: nauryz-dates
  category: holidays
  question: {kk: "Наурыз қашан?", ru: "Когда Наурыз?"}
  answer: {kk: "21 наурыз", ru: "21 марта"}
- id: nauryz-dates
  category: holidays
  question: {kk: "Наурыз қашан?", ru: "Когда Наурыз?"}
  answer: {kk: "21 наурыз", ru: "21 марта"}
- id: no-russian
  category: rights
  question: {kk: "Құқықтарым қандай?"}
  answer: {kk: "Конституция", ru: "Конституция"}
- id: extra-field
  category: rights
  question: {kk: "Сұрақ?", ru: "Вопрос?"}
  answer: {kk: "Жауап", ru: "Ответ"}
  priority: high
- id: broken-html
  category: rights
  question: {kk: "Сұрақ?", ru: "Вопрос?"}
  answer: {kk: "<b>Жауап", ru: "<script>Ответ</script>"}
- id: fine-entry
  category: rights
  question: {kk: "Жақсы сұрақ?", ru: "Хороший вопрос?"}
  answer: {kk: "Жауап", ru: "Ответ"}
"""


async def test_invalid_document_is_rejected_whole_with_every_problem_by_id(
    admin: ChatDriver, app: App
) -> None:
    before = await snapshot(app)
    await admin.send_document("kb.yml", INVALID.encode())
    report = admin.last_text()
    for entry_id in ("nauryz-dates", "no-russian", "extra-field", "broken-html"):
        assert entry_id in report, entry_id
    assert "twice" in report and "question.ru is missing" in report and "priority" in report
    assert "<b>" in report.replace("&lt;", "<") and "script" in report
    assert "❌" in report and looks_russian(report)
    assert await snapshot(app) == before  # not even the fine entry was loaded


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("kb.yml", b"\x89PNG\r\n\x1a\n\x00\x00binary", "UTF-8"),
        ("kb.yml", b"- id: [unclosed\n  category: x", "not valid YAML"),
        ("kb.yml", b"just: a mapping\n", "list of entries"),
        ("kb.yaml", b"", "empty"),
    ],
)
async def test_documents_that_are_not_a_knowledge_base_are_refused(
    admin: ChatDriver, app: App, name: str, content: bytes, expected: str
) -> None:
    before = await snapshot(app)
    await admin.send_document(name, content, mime_type="application/x-yaml")
    assert expected in admin.last_text()
    assert "❌" in admin.last_text()
    assert await snapshot(app) == before


async def test_a_file_that_is_not_yaml_is_refused_by_name(admin: ChatDriver, app: App) -> None:
    before = await snapshot(app)
    await admin.send("/kb_import")
    await admin.send_document("faq.pdf", b"%PDF-1.4 test")
    assert "YAML" in admin.last_text() and looks_russian(admin.last_text())
    assert await snapshot(app) == before


async def test_a_file_over_two_megabytes_is_refused_unread(
    admin: ChatDriver, app: App, recording: RecordingSession
) -> None:
    before = await snapshot(app)
    await admin.send_document("big.yml", b"- " + b"x" * (2 * 1024 * 1024 + 10))
    assert "2 МБ" in admin.last_text()
    assert await snapshot(app) == before


async def test_students_uploading_yaml_change_nothing(student: ChatDriver, app: App) -> None:
    before = await snapshot(app)
    await student.send_document("kb.yml", b"- id: x\n")
    assert await snapshot(app) == before
    assert student.texts()  # they get the usual explanation, not silence
