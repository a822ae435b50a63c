"""Anonymous pulse surveys through the real dispatcher and scheduler job with a recording Bot
session: an admin composes one from YAML and sends it; students answer with buttons (a double
press counts once); answers carry no user id; results as a PNG chart and CSV, only for groups
of at least five; one reminder to those who did not finish; `kelisim pulse` on the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import struct
import subprocess
import sys
from pathlib import Path

from aiogram import Bot
from aiogram.methods import SendDocument, SendMessage, SendPhoto
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, JobExecutionEvent
from sqlalchemy import inspect, select, text

from bot.clock import now
from bot.db.models import User
from bot.db.pulse_models import PulseAnswer, PulseParticipant
from bot.factory import App, create_bot, create_dispatcher
from bot.handlers.pulse.notices import dispatch_pulses
from bot.handlers.pulse.ui import EXAMPLE
from bot.services import pulse
from bot.services.users import delete_user_data
from tests.consult_support import ADMIN_ID, consult_settings, driver, make_app, wait_until
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession

SURVEY_YAML = """
title: {kk: Кампустағы ахуал, ru: Климат в кампусе}
questions:
  - kind: likert
    text: {kk: Мұнда өзімді қауіпсіз сезінемін, ru: Я чувствую себя здесь в безопасности}
  - kind: likert
    text: {kk: Оқытушылар бәрімізге бірдей қарайды, ru: Преподаватели относятся ко всем одинаково}
  - kind: choice
    text: {kk: "Қай тілде жиі сөйлесесіз?", ru: "На каком языке вы чаще общаетесь?"}
    options:
      - {kk: Қазақша, ru: На казахском}
      - {kk: Орысша, ru: На русском}
      - {kk: Екеуінде де, ru: На обоих}
"""
ENGINEERS = [7001, 7002, 7003, 7004, 7005]
LAWYER = 7101
KELISIM = str(Path(sys.executable).parent / "kelisim")


async def start_scheduler(app: App, bot: Bot) -> None:
    assert app.planner is not None
    settled = asyncio.Event()

    def on_job(event: JobExecutionEvent) -> None:
        if event.job_id == "resume-outreach":
            settled.set()

    app.planner.scheduler.add_listener(on_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    app.start_scheduler(bot)
    await asyncio.wait_for(settled.wait(), timeout=60)


async def add_students(app: App) -> None:
    async with app.session_factory() as session, session.begin():
        for student in [*ENGINEERS, LAWYER]:
            session.add(
                User(
                    id=student,
                    language="ru" if student % 2 else "kk",
                    consent_version="2026-11",
                    consent_at=now(),
                    faculty="Engineering" if student in ENGINEERS else "Law",
                    course=2,
                )
            )
        # An admin with a profile is not asked.
        session.add(User(id=ADMIN_ID, language="ru", consent_version="2026-11", consent_at=now()))


def survey_questions(recording: RecordingSession, chat_id: int) -> list[SendMessage]:
    return [
        m
        for m in recording.of_type(SendMessage)
        if m.chat_id == chat_id and m.reply_markup is not None and "📋" in m.text
    ]


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_survey_from_telegram_answered_anonymously_with_k_anonymous_results(
    tmp_path: Path,
) -> None:
    settings = consult_settings(
        f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}",
        pulse_remind_after=3600,
        pulse_poll_every=3600,
    )
    app = await make_app(settings)
    await add_students(app)
    recording = RecordingSession()
    bot = create_bot(settings, session=recording)
    dp = create_dispatcher(app)
    await start_scheduler(app, bot)
    admin = driver(dp, bot, recording, ADMIN_ID, "Admin", "ru")
    students = {s: driver(dp, bot, recording, s, f"S{s}", "ru") for s in [*ENGINEERS, LAWYER]}

    # Students cannot compose surveys.
    await students[LAWYER].send_command("/pulse_new")
    assert "📋" not in students[LAWYER].last_text()

    await admin.send_command("/pulse_new")
    await admin.send("title: {kk: X}\nquestions: []")
    assert "ничего не сохранено" in admin.last_text()
    await admin.send(SURVEY_YAML)
    assert "#1" in admin.last_text()
    await admin.click("📨")
    assert "6" in admin.last_text()  # six students; the admin is not asked

    await wait_until(lambda: all(survey_questions(recording, s) for s in students), within=30)
    first = survey_questions(recording, ENGINEERS[0])[0]
    assert "Климат в кампусе" in first.text and "1 из 3" in first.text
    assert survey_questions(recording, ENGINEERS[1])[0].text.count("Кампустағы ахуал") == 1
    assert survey_questions(recording, ADMIN_ID) == []

    # Four engineers answer everything; the fifth presses the first button twice.
    async def answer_all(student: ChatDriver, values: tuple[str, str, str]) -> None:
        for label in values:
            await student.click(label)

    for n, engineer in enumerate(ENGINEERS[:4]):
        choice = "обоих" if engineer % 2 else "Екеуінде"
        await answer_all(students[engineer], (str(5 - n % 2), "4", choice))
    assert "анонимно" in students[ENGINEERS[0]].last_text() or "Рақмет" in (
        students[ENGINEERS[0]].last_text()
    )

    # Four respondents: nothing is shown yet.
    await admin.send_command("/pulse")
    await admin.click("📊")
    assert "5" in admin.last_text() and not recording.of_type(SendPhoto)

    fifth = students[ENGINEERS[4]]
    question = survey_questions(recording, ENGINEERS[4])[0]
    assert question.reply_markup is not None
    three = question.reply_markup.inline_keyboard[0][2].callback_data or ""  # type: ignore[union-attr]
    await fifth.click_data(three)
    await fifth.click_data(three)  # a double press on the same button
    assert "учтён" in (fifth.callback_answer().text or "")
    async with app.session_factory() as session:
        participant = await session.get(PulseParticipant, (1, ENGINEERS[4]))
        assert participant is not None and participant.answered == 1
    await fifth.click("4")
    await fifth.click("казахском")
    await students[LAWYER].click("1")  # the lawyer answers only the first question

    # Answers: no user id anywhere in their rows.
    async with app.session_factory() as session:
        columns = await session.run_sync(
            lambda s: [c["name"] for c in inspect(s.connection()).get_columns("pulse_answers")]
        )
        rows = (await session.execute(text("SELECT * FROM pulse_answers"))).all()
        answers = (await session.scalars(select(PulseAnswer))).all()
    assert "user_id" not in columns
    secrets = {str(s) for s in [*ENGINEERS, LAWYER]}
    assert not any(str(v) in secrets for row in rows for v in row)
    assert len(answers) == 5 * 3 + 1  # the double press counted once

    recording.requests.clear()
    recording.responses.clear()
    await admin.send_command("/pulse")
    await admin.click("📊")
    [photo] = recording.of_type(SendPhoto)
    [document] = recording.of_type(SendDocument)
    png = photo.photo.data  # type: ignore[union-attr]
    assert png_size(png) == (1000, 560)
    assert b"series=5" in png
    rows_csv = list(csv.DictReader(io.StringIO(document.document.data.decode())))  # type: ignore[union-attr]
    groups = {r["group"] for r in rows_csv}
    assert "faculty: Engineering" in groups and not any("Law" in g for g in groups)
    assert "course: 2" in groups  # five second-year students answered
    first_all = {
        r["value"]: int(r["count"])
        for r in rows_csv
        if r["question"] == "1" and r["group"] == "all"
    }
    assert sum(first_all.values()) == 6 and first_all["3"] == 1
    assert {r["question"] for r in rows_csv} == {"1", "2", "3"}

    # One reminder, to the lawyer only (everyone else finished), with the question he is at.
    app.settings.pulse_remind_after = 0
    recording.requests.clear()
    recording.responses.clear()
    assert await dispatch_pulses() == 1
    assert await dispatch_pulses() == 0
    [reminder] = [m for m in recording.of_type(SendMessage)]
    assert reminder.chat_id == LAWYER and "2 из 3" in reminder.text and "🔔" in reminder.text

    # A student who deletes their data leaves no participation behind; answers stay.
    async with app.session_factory() as session, session.begin():
        await delete_user_data(session, LAWYER)
    async with app.session_factory() as session:
        assert await session.get(PulseParticipant, (1, LAWYER)) is None
        assert len((await session.scalars(select(PulseAnswer))).all()) == 16

    await app.aclose()
    await bot.session.close()


def test_survey_yaml_problems_are_all_listed() -> None:
    assert len(pulse.parse_survey(EXAMPLE).questions) == 3  # the example /pulse_new shows
    try:
        pulse.parse_survey(
            "title: {kk: A}\nquestions:\n  - kind: scale\n  - kind: choice\n    text: {kk: a, ru: b}\n"
        )
    except pulse.PulseError as error:
        joined = "\n".join(error.problems)
        assert "title.ru" in joined and "questions: 3 to 8" in joined
        assert "likert or choice" in joined and "options" in joined
    else:
        raise AssertionError("accepted")


def kelisim(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "RASA_URL": "http://127.0.0.1:9",
        "ADMIN_IDS": str(ADMIN_ID),
    }
    return subprocess.run(
        [KELISIM, *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=db.parent,
        timeout=180,
        check=False,
    )


async def test_pulse_command_line(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite3"
    settings = consult_settings(f"sqlite+aiosqlite:///{db}")
    app = await make_app(settings)
    await add_students(app)
    await app.aclose()
    survey = tmp_path / "survey.yml"
    survey.write_text(SURVEY_YAML, encoding="utf-8")
    bad = tmp_path / "bad.yml"
    bad.write_text("title: {kk: X, ru: Y}\nquestions: []\n", encoding="utf-8")

    result = await asyncio.to_thread(kelisim, "pulse", "import", str(bad), db=db)
    assert result.returncode == 1 and "questions: 3 to 8" in result.stderr
    result = await asyncio.to_thread(kelisim, "pulse", "import", str(survey), db=db)
    assert result.returncode == 0, result.stderr
    result = await asyncio.to_thread(kelisim, "pulse", "send", "1", db=db)
    assert result.returncode == 0 and "6 students" in result.stdout, result.stderr

    # Five answers to the first question arrive (as the bot would record them).
    app = await make_app(settings)
    async with app.session_factory() as session, session.begin():
        questions = await pulse.questions(session, 1)
        for student in ENGINEERS:
            await pulse.record_delivery(session, 1, student, pulse.DELIVERED)
            assert (
                await pulse.answer(session, 1, questions[0].id, student, 4)
            ).outcome == pulse.SAVED
    await app.aclose()

    out = tmp_path / "results.csv"
    chart = tmp_path / "results.png"
    result = await asyncio.to_thread(
        kelisim, "pulse", "results", "1", "--csv", str(out), "--chart", str(chart), db=db
    )
    assert result.returncode == 0, result.stderr
    assert "fewer than 5 answers, not shown" in result.stdout  # questions 2 and 3
    assert png_size(chart.read_bytes()) == (1000, 560)
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert {r["question"] for r in rows} == {"1"}
    result = await asyncio.to_thread(kelisim, "pulse", "list", "--json", db=db)
    assert '"status": "sending"' in result.stdout and '"questions": 3' in result.stdout
