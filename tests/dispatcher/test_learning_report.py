"""Reports on learning and belonging: quiz pass rates per material and group joins, in /stats
for admins and in `kelisim report`."""

from __future__ import annotations

import json

import pytest
from aiogram import Bot, Dispatcher

from bot.factory import App
from tests.consult_support import consent
from tests.dispatcher.test_groups import publish_group
from tests.dispatcher.test_quizzes import _import as import_quiz
from tests.event_support import admin_driver
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession
from tests.process.test_cli import kelisim


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return admin_driver(dp, bot, recording)


async def _take(who: ChatDriver, first: str) -> None:
    await who.send_command("/quiz")
    await who.click("📝")
    await who.click(first)
    await who.click("A)")
    await who.click("C)")
    await who.click("✅")


async def test_pass_rates_and_group_joins_in_stats_and_report(
    admin: ChatDriver, student: ChatDriver, other_student: ChatDriver, app: App
) -> None:
    await import_quiz(app)
    await consent(student)
    await consent(other_student, "Русский")
    await _take(student, "A) 21–23 наурыз")  # all right: passed
    await _take(other_student, "B) 1 мая")  # one wrong: 50%, the pass mark is 100%
    await _take(other_student, "A) 21–23 марта")  # passed on the second attempt
    await consent(admin, "Русский")
    await publish_group(admin)
    await student.send_command("/groups")
    await student.click("👥")
    await student.click("✅")

    await admin.send_command("/stats")
    text = "\n".join(admin.texts())
    assert "holidays-reading: 2 / 2, 100%" in text and "3" in text
    assert "Клуб казахского языка: 1, +1" in text

    run = kelisim("report", "--json", db=app.settings.database_url)
    assert run.returncode == 0, run.stderr
    learning = json.loads(run.stdout)["learning"]
    assert learning["quizzes"] == [
        {
            "material": "holidays-reading",
            "students": 2,
            "passed": 2,
            "attempts": 3,
            "pass_rate": 100,
        }
    ]
    assert [(g["title"], g["members"]) for g in learning["groups"]] == [
        ("Клуб казахского языка", 1)
    ]
    plain = kelisim("report", db=app.settings.database_url).stdout
    assert "holidays-reading: 2 / 2, 100%, 3 attempts" in plain
