"""The lexicon in the store: seeded from knowledge_base/lexicon.yml, imported and exported by
`kelisim kb lexicon` (all or nothing), extended by admins from the /kb menu through the real
dispatcher, refused with a clear reason, and picked up by every process without a restart."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher

from bot.config import Settings
from bot.factory import App, create_app
from bot.runner import prepare_store
from bot.services import lexicon
from knowledge_base.lexicon import DEFAULT_LEXICON_PATH, load_lexicon_file
from tests.fakes.chat import ChatDriver
from tests.fakes.recording import RecordingSession

ROOT = Path(__file__).resolve().parents[2]
KELISIM = str(Path(sys.executable).parent / "kelisim")
ADMIN_ID = 9001
# A word the shipped lexicon does not know, for the entry "Как связаться с куратором?".
NEW_WORD = "классрук"
QUESTION = "как написать классруку"


@pytest.fixture
async def seeded(app: App) -> App:
    await prepare_store(app)  # seeds the lexicon like a first start
    return app


@pytest.fixture
def admin(dp: Dispatcher, bot: Bot, recording: RecordingSession) -> ChatDriver:
    return ChatDriver(dp, bot, recording, user_id=ADMIN_ID, first_name="Admin", language_code="ru")


@pytest.fixture
def kazakh_admin(
    settings: Settings, dp: Dispatcher, bot: Bot, recording: RecordingSession
) -> ChatDriver:
    return ChatDriver(dp, bot, recording, user_id=ADMIN_ID, first_name="Admin", language_code="kk")


async def open_lexicon(admin: ChatDriver) -> None:
    await admin.send("/kb")
    await admin.click("📖")


async def test_first_start_seeds_the_shipped_lexicon(seeded: App) -> None:
    async with seeded.session_factory() as session:
        stored = await lexicon.load_groups(session)
    assert stored == load_lexicon_file(DEFAULT_LEXICON_PATH)
    assert seeded.kb.lexicon is not None and len(seeded.kb.lexicon) > 0


async def test_admin_adds_a_word_and_the_next_question_finds_the_entry(
    seeded: App, admin: ChatDriver, other_student: ChatDriver
) -> None:
    await other_student.send(QUESTION)
    assert "Нажмите «Связаться с куратором»" not in other_student.last_text()
    await open_lexicon(admin)
    assert "Лексикон" in admin.last_text()
    await admin.click("Добавить слово")
    await admin.send("куратор")  # a word of the group
    assert "curator" in admin.last_text()
    await admin.send(NEW_WORD)
    assert "✅" in admin.last_text() and NEW_WORD in admin.last_text()
    await other_student.send(QUESTION)
    assert "Нажмите «Связаться с куратором»" in other_student.last_text()


async def test_admin_creates_a_group(
    seeded: App, admin: ChatDriver, other_student: ChatDriver
) -> None:
    await open_lexicon(admin)
    await admin.click("Новая группа")
    await admin.send("спортзал, спортзалы, спорткомплекс\nкачалка")  # two forms of one word
    assert "✅" in admin.last_text() and "спорткомплекс" in admin.last_text()
    async with seeded.session_factory() as session:
        group = await lexicon.find_group(session, "спорткомплекса")
    assert group is not None and group.words == ("спортзал", "спорткомплекс", "качалка")


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        ("общежитие", "уже входит в группу «dormitory»"),  # a word of another group
        ("тьютору", "уже входит в группу «mentoring»"),  # another form of one
        ("және", "служебное слово"),  # a stop word
        ("два слова", "не одно слово"),
    ],
)
async def test_refused_words_say_why_and_change_nothing(
    seeded: App, admin: ChatDriver, words: str, reason: str
) -> None:
    async with seeded.session_factory() as session:
        before = await lexicon.load_groups(session)
    await open_lexicon(admin)
    await admin.click("Добавить слово")
    await admin.send("куратор")
    await admin.send(words)
    assert reason in admin.last_text()
    async with seeded.session_factory() as session:
        assert await lexicon.load_groups(session) == before


async def test_a_group_of_one_is_refused_in_kazakh(seeded: App, kazakh_admin: ChatDriver) -> None:
    await open_lexicon(kazakh_admin)
    await kazakh_admin.click("Жаңа топ")
    await kazakh_admin.send("спортзал")
    assert "кемінде екі" in kazakh_admin.last_text()


async def test_another_process_picks_the_change_up_without_a_restart(
    seeded: App, settings: Settings, admin: ChatDriver
) -> None:
    other = create_app(settings)  # another bot process on the same store
    try:
        await other.kb.reload(other.session_factory)
        assert not other.kb.search(QUESTION, "ru").confident
        await open_lexicon(admin)
        await admin.click("Добавить слово")
        await admin.send("куратор")
        await admin.send(NEW_WORD)
        # What its store watcher does every few seconds:
        assert await other.kb.refresh(other.session_factory)
        result = other.kb.search(QUESTION, "ru")
        assert result.confident and result.best is not None
        assert result.best.id == "curator-contact"
    finally:
        await other.aclose()


# --- the command line ------------------------------------------------------------------------


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


BAD_FILES = {
    "a word in two groups": (
        "- id: dorm\n  words: [жатақхана, общежитие]\n- id: hostel\n  words: [хостел, общежития]\n",
        ":4:",
    ),
    "an empty group": (
        "- id: dorm\n  words: [жатақхана, общежитие]\n- id: empty\n  words: []\n",
        ":3:",
    ),
    "a stop word": ("- id: dorm\n  words: [жатақхана,\n    және]\n", ":3:"),
}


def test_cli_import_of_a_bad_file_names_the_line_and_loads_nothing(tmp_path: Path) -> None:
    db = tmp_path / "lexicon.sqlite3"
    exported = tmp_path / "before.yml"
    assert kelisim("kb", "lexicon", "export", str(exported), db=db).returncode == 0
    for case, (text, line) in BAD_FILES.items():
        bad = tmp_path / "bad.yml"
        bad.write_text(text, encoding="utf-8")
        result = kelisim("kb", "lexicon", "import", str(bad), db=db)
        assert result.returncode == 1, case
        assert f"bad.yml{line}" in result.stderr and "nothing imported" in result.stderr, case
    after = tmp_path / "after.yml"
    kelisim("kb", "lexicon", "export", str(after), db=db)
    assert after.read_text(encoding="utf-8") == exported.read_text(encoding="utf-8")


def test_cli_import_and_export_round_trip(tmp_path: Path) -> None:
    db = tmp_path / "lexicon.sqlite3"
    extra = tmp_path / "extra.yml"
    extra.write_text("- id: sport-hall\n  words: [спортзал, спорткомплекс]\n", encoding="utf-8")
    result = kelisim("kb", "lexicon", "import", str(extra), db=db)
    assert result.returncode == 0, result.stderr
    assert "1 added" in result.stdout
    out = tmp_path / "out.yml"
    assert kelisim("kb", "lexicon", "export", str(out), db=db).returncode == 0
    exported = load_lexicon_file(out)
    assert exported[-1].words == ("спортзал", "спорткомплекс")
    assert len(exported) == len(load_lexicon_file(DEFAULT_LEXICON_PATH)) + 1
    # A file that clashes with what is stored is refused as a whole.
    clash = tmp_path / "clash.yml"
    clash.write_text("- id: gym\n  words: [спортзал, качалка]\n", encoding="utf-8")
    result = kelisim("kb", "lexicon", "import", str(clash), db=db)
    assert result.returncode == 1 and "sport-hall" in result.stderr
