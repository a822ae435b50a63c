"""Facts that stay true: provenance of entries (source, review date, tags) through import,
export, the edit dialog and history; /kb_review for admins; the monthly reminder; the
"as of" line under legal answers; `kelisim kb review` for cron."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiogram.methods import SendMessage
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import select

from bot.db.models import FaqEntry, FaqEntryVersion, KbReviewReminder
from bot.factory import App, create_bot
from bot.handlers.kb_review.notices import JOB_ID, remind_overdue_entries
from bot.services import kb_review
from bot.services.knowledge import export_items, import_items
from knowledge_base.loader import dump_items, parse_document, write_items
from knowledge_base.schema import FaqItem
from tests.consult_support import ADMIN_ID as CONSULT_ADMIN_ID
from tests.consult_support import consult_settings, make_app
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession

ADMIN_ID = 9001
KELISIM = str(Path(sys.executable).parent / "kelisim")

PROVENANCE_YAML = """
- id: language-law
  category: languages
  question: {kk: "Тіл туралы заң қашан қабылданды?", ru: "Когда принят закон о языках?"}
  answer:
    kk: "«Қазақстан Республикасындағы тілдер туралы» Заң 1997 жылы қабылданды."
    ru: "Закон «О языках в Республике Казахстан» принят в 1997 году."
  tags: [legal]
  source: "Закон РК «О языках в Республике Казахстан» (1997)"
  reviewed: 2026-07-01
  review_every: 6
"""


def item(slug: str, reviewed: date | None, **fields: object) -> FaqItem:
    base = FaqItem(
        id=slug,
        category="rights",
        question={"kk": f"{slug} сұрағы?", "ru": f"Вопрос {slug}?"},
        answer={
            "kk": "Конституция кемсітушілікке тыйым салады; куратормен сөйлесіңіз.",
            "ru": "Конституция запрещает дискриминацию; поговорите с куратором.",
        },
        reviewed=reviewed,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


async def add_items(app: App, *items: FaqItem, only: bool = False) -> None:
    """Import `items`; with `only`, every other entry is deleted."""
    async with app.session_factory() as session, session.begin():
        await import_items(session, items, replace=only)
    await app.kb.reload(app.session_factory)


async def stored(app: App, slug: str) -> FaqEntry:
    async with app.session_factory() as session:
        row = await session.scalar(select(FaqEntry).where(FaqEntry.slug == slug))
    assert row is not None
    return row


# --- provenance through import, export and history ---------------------------------------------


async def test_provenance_survives_import_export_and_is_kept_in_history(
    app: App, tmp_path: Path
) -> None:
    parsed = parse_document(PROVENANCE_YAML, "law.yml")
    assert parsed.ok, parsed.problems
    [law] = parsed.items
    assert law.tags == ("legal",) and law.reviewed == date(2026, 7, 1) and law.review_every == 6
    assert law.source == "Закон РК «О языках в Республике Казахстан» (1997)"

    async with app.session_factory() as session, session.begin():
        await import_items(session, [law])
    async with app.session_factory() as session:
        exported = {i.id: i for i in await export_items(session)}
    assert exported["language-law"] == law

    path = tmp_path / "export.yml"
    write_items(exported.values(), path)
    text = path.read_text(encoding="utf-8")
    assert "reviewed: 2026-07-01" in text and "review_every: 6" in text and "- legal" in text
    again = parse_document(text, "export.yml")
    assert again.ok and {i.id: i for i in again.items} == exported

    # A later import that only moves the review date is a change, recorded as a version.
    async with app.session_factory() as session, session.begin():
        summary = await import_items(session, [replace(law, reviewed=date(2026, 12, 1))])
    assert summary.changed == 1
    row = await stored(app, "language-law")
    async with app.session_factory() as session:
        versions = (
            await session.scalars(
                select(FaqEntryVersion)
                .where(FaqEntryVersion.entry_pk == row.pk)
                .order_by(FaqEntryVersion.version)
            )
        ).all()
    assert [v.data["reviewed"] for v in versions] == ["2026-07-01", "2026-12-01"]
    assert versions[-1].changed == ["reviewed"]
    assert versions[0].data["source"] == law.source and versions[0].data["tags"] == ["legal"]


def test_export_of_an_entry_without_provenance_has_no_empty_fields() -> None:
    text = dump_items([item("plain", None)])
    for name in ("tags", "source", "reviewed", "review_every"):
        assert f"{name}:" not in text


# --- /kb_review through the dispatcher ----------------------------------------------------------


async def test_kb_review_lists_overdue_first_and_still_true_records_today(
    app: App, dp: Dispatcher, bot: Bot, recording: RecordingSession
) -> None:
    today = kb_review.today()
    await add_items(
        app,
        item("old-answer", today - timedelta(days=500)),
        item(
            "fresh-law",
            today,
            tags=("legal",),
            source="Конституция Республики Казахстан (2026)",
        ),
        only=True,
    )
    admin = ChatDriver(dp, bot, recording, user_id=ADMIN_ID, language_code="ru")

    await admin.send("/kb_review")
    summary, card = admin.texts()[-2:]
    assert "old-answer" in summary and "fresh-law" in summary
    assert summary.index("old-answer") < summary.index("fresh-law")
    assert "old-answer" in card and "срок проверки прошёл" in card
    assert "fresh-law" not in card

    await admin.click("✅")
    assert "old-answer" in admin.texts()[-2] and "следующая проверка" in admin.texts()[-2]
    row = await stored(app, "old-answer")
    assert row.reviewed == today and row.version == 2
    # The next card is the legal entry, listed though it is fresh: laws change.
    card = admin.last_text()
    assert "fresh-law" in card and "опирается на закон" in card

    # The check is in the entry's history.
    await admin.send("/kb old-answer")
    await admin.click("Вопрос old-answer?")
    await admin.click("🕘")
    assert "проверено: всё ещё верно" in admin.last_text()

    # Nothing is overdue any more.
    async with app.session_factory() as session:
        entries = await kb_review.review_list(session, today)
    assert kb_review.overdue(entries) == []


async def test_kb_review_edit_changes_the_source_through_the_edit_dialog(
    app: App, dp: Dispatcher, bot: Bot, recording: RecordingSession
) -> None:
    today = kb_review.today()
    await add_items(app, item("old-answer", today - timedelta(days=500)))
    admin = ChatDriver(dp, bot, recording, user_id=ADMIN_ID, language_code="kk")
    await admin.send("/kb_review")
    await admin.click("✏️")
    assert "Дереккөз" in admin.buttons()
    await admin.click("Дереккөз")
    await admin.send("Қазақстан Республикасының Конституциясы (2026)")
    await admin.click("💾")
    row = await stored(app, "old-answer")
    assert row.source == "Қазақстан Республикасының Конституциясы (2026)"
    assert row.reviewed == today - timedelta(days=500)  # editing is not a review by itself

    await admin.click("✏️")
    await admin.click("Тексерілген күні")
    await admin.send("2 желтоқсан")
    assert "YYYY-MM-DD" in admin.last_text()  # bad input: a clear answer in the admin's language
    assert "Күнді" in admin.last_text()


async def test_students_cannot_use_kb_review(student: ChatDriver) -> None:
    await student.send("/kb_review")
    assert "әкімшілеріне" in student.last_text()


async def test_legal_answers_end_with_an_as_of_line_in_the_students_language(
    app: App, student: ChatDriver, other_student: ChatDriver
) -> None:
    await add_items(
        app,
        item(
            "state-language",
            date(2026, 12, 1),
            tags=("legal",),
            source="Конституция Республики Казахстан (2026), статья 9",
            question={
                "kk": "Қазақстанда мемлекеттік тіл қандай?",
                "ru": "Какой язык в Казахстане государственный?",
            },
            answer={
                "kk": "2026 жылғы Конституция бойынша мемлекеттік тіл — қазақ тілі.",
                "ru": "По Конституции 2026 года государственный язык — казахский.",
            },
        ),
    )
    await student.send("Қазақстанда мемлекеттік тіл қандай?")
    assert "Тексерілген күні: 2026" in student.last_text()
    assert "1 желтоқсан" in student.last_text()
    await other_student.send("Какой язык в Казахстане государственный?")
    assert "Актуально на 1 декабря 2026" in other_student.last_text()


# --- the monthly reminder ---------------------------------------------------------------------


async def start_scheduler(app: App, bot: Bot) -> None:
    """Start the app's scheduler and wait for its start-up job (re-arming outreach) to finish,
    so closing the app does not cut it off in the middle of a query."""
    assert app.planner is not None
    settled = asyncio.Event()

    def on_job(event: JobExecutionEvent) -> None:
        if event.job_id == "resume-outreach":
            settled.set()

    app.planner.scheduler.add_listener(on_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    app.start_scheduler(bot)
    await asyncio.wait_for(settled.wait(), timeout=60)


def reminders(recording: RecordingSession) -> list[SendMessage]:
    return [m for m in recording.of_type(SendMessage) if "/kb_review" in m.text]


async def test_monthly_reminder_is_sent_once_across_a_restart(db_url: str) -> None:
    settings = consult_settings(db_url)
    recording = RecordingSession()
    bot = create_bot(settings, session=recording)
    overdue = item("old-answer", kb_review.today() - timedelta(days=500))

    first = await make_app(settings)
    await add_items(first, overdue)
    await start_scheduler(first, bot)
    assert first.planner is not None
    job = first.planner.scheduler.get_job(JOB_ID)
    assert job is not None and job.next_run_time.day == 1  # the first of the month
    assert await remind_overdue_entries() == 1
    await first.aclose()

    second = await make_app(settings)  # the bot restarts within the same month
    await start_scheduler(second, bot)
    assert second.planner is not None and second.planner.scheduler.get_job(JOB_ID) is not None
    assert await remind_overdue_entries() == 0
    await second.aclose()
    await bot.session.close()

    [reminder] = reminders(recording)
    assert reminder.chat_id == CONSULT_ADMIN_ID and "1" in reminder.text
    async with second.session_factory() as session:
        periods = (await session.scalars(select(KbReviewReminder.period))).all()
    assert periods == [kb_review.month_of(kb_review.today())]


async def test_no_reminder_when_nothing_is_overdue(tmp_path: Path) -> None:
    settings = consult_settings(f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}")
    recording = RecordingSession()
    bot = create_bot(settings, session=recording)
    app = await make_app(settings)
    await add_items(app, item("fresh", kb_review.today()))
    await start_scheduler(app, bot)
    assert await remind_overdue_entries() == 0
    await app.aclose()
    await bot.session.close()
    assert reminders(recording) == []


# --- the command line -------------------------------------------------------------------------


def kelisim(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "RASA_URL": "http://127.0.0.1:9",
    }
    return subprocess.run(
        [KELISIM, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=db.parent,
        timeout=120,
        check=False,
    )


def test_kb_review_command_exits_1_when_anything_is_overdue(tmp_path: Path) -> None:
    db = tmp_path / "cli.sqlite3"
    today = kb_review.today()
    fresh = tmp_path / "fresh.yml"
    write_items([item("fresh", today, tags=("legal",), source="Конституция (2026)")], fresh)
    assert kelisim("kb", "import", str(fresh), "--replace", db=db).returncode == 0

    result = kelisim("kb", "review", "--json", db=db)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["overdue"] == 0
    [row] = report["entries"]
    assert row["id"] == "fresh" and row["reasons"] == ["legal"] and row["review_every"] == 6

    stale = tmp_path / "stale.yml"
    write_items([item("stale", today - timedelta(days=400))], stale)
    assert kelisim("kb", "import", str(stale), db=db).returncode == 0
    result = kelisim("kb", "review", db=db)
    assert result.returncode == 1
    assert "stale" in result.stdout and "1 overdue" in result.stdout
